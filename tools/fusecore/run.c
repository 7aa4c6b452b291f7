/*
 * run.c - `fusecore run`: conformance scenarios against a FUSE daemon.
 *
 * Each scenario is a short workload of system calls through the simulated
 * kernel (fc_sys_*, fusecore/vfs.h) with the results a program would
 * expect from a POSIX file system, and, where a protocol rule is at stake,
 * a request-level check read from the transport wrapper's counters
 * (target.c) or the connection's statistics.  docs/conformance.md lists
 * what each scenario checks and how to read the report.
 *
 * Scenarios that modify the file system work in a scratch directory
 * "fusecore-run.<pid>" below the mount point, removed at the end.  If the
 * scratch directory cannot be created because the file system is
 * read-only (EROFS, EPERM, EACCES, ENOSYS), those scenarios are skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fusecore/proto.h"
#include "report.h"
#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
#include "fusecore/virtiofs.h"
#endif

#define KIB 1024u
#define MIB (1024u * 1024u)
#define PATHSZ FC_VFS_PATH_MAX

/* ---- scenario context and checks ------------------------------------------------- */

struct sc {
	struct cli_target *t;
	struct fc_proc *p;
	char root[PATHSZ];          /* scratch directory, "" if none */
	int writable;               /* the scratch directory exists */
	char ro_reason[256];        /* why not */
	struct scen_record *rec;
	unsigned char *big, *big2;  /* 1 MiB + slack of buffers */
};

static int sc_fail(struct sc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sc_fail(struct sc *c, const char *fmt, ...)
{
	va_list ap;

	if (c->rec->result == SCEN_FAIL)
		return -1;	/* keep the first failure */
	va_start(ap, fmt);
	vsnprintf(c->rec->message, sizeof(c->rec->message), fmt, ap);
	va_end(ap);
	c->rec->result = SCEN_FAIL;
	return -1;
}

static int sc_skip(struct sc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sc_skip(struct sc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->rec->message, sizeof(c->rec->message), fmt, ap);
	va_end(ap);
	c->rec->result = SCEN_SKIP;
	return 1;
}

static void sc_detail(struct sc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sc_detail(struct sc *c, const char *fmt, ...)
{
	size_t n = strlen(c->rec->detail);
	va_list ap;

	if (n && n < sizeof(c->rec->detail) - 2) {
		c->rec->detail[n++] = ';';
		c->rec->detail[n++] = ' ';
		c->rec->detail[n] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(c->rec->detail + n, sizeof(c->rec->detail) - n, fmt, ap);
	va_end(ap);
}

/* "DESC = -ENOENT (No such file or directory)" */
static int sc_syserr(struct sc *c, long r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sc_syserr(struct sc *c, long r, const char *fmt, ...)
{
	char desc[400], e[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return sc_fail(c, "%s = %s", desc, cli_errstr(r, e, sizeof(e)));
}

/* "DESC = 0, expected -EEXIST" */
static int sc_experr(struct sc *c, long r, int want, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int sc_experr(struct sc *c, long r, int want, const char *fmt, ...)
{
	char desc[400], e[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return sc_fail(c, "%s = %s, expected -%s", desc, cli_errstr(r, e, sizeof(e)),
		       cli_errname(want));
}

/* @var = @expr; fail the scenario if it is negative. */
#define TRY(var, expr, ...)                                                  \
	do {                                                                 \
		(var) = (expr);                                              \
		c->rec->checks++;                                            \
		if ((long)(var) < 0)                                         \
			return sc_syserr(c, (long)(var), __VA_ARGS__);       \
	} while (0)

/* @expr must fail with -@want. */
#define EXPECT_ERR(expr, want, ...)                                          \
	do {                                                                 \
		long r_ = (long)(expr);                                      \
		c->rec->checks++;                                            \
		if (r_ != -(long)(want))                                     \
			return sc_experr(c, r_, (want), __VA_ARGS__);        \
	} while (0)

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		c->rec->checks++;                                            \
		if (!(cond))                                                 \
			return sc_fail(c, __VA_ARGS__);                      \
	} while (0)

/* A sub-step that already recorded its failure. */
#define STEP(expr)                                                           \
	do {                                                                 \
		if ((expr) < 0)                                              \
			return -1;                                           \
	} while (0)

static const char *P(struct sc *c, char *buf, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *P(struct sc *c, char *buf, const char *fmt, ...)
{
	char name[PATHSZ / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	cli_fmt(buf, PATHSZ, "%s/%s", c->root, name);
	return buf;
}

static void pattern(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

static uint64_t wire(struct sc *c, uint32_t op)
{
	struct cli_wire_stats w;

	cli_target_wire(c->t, &w);
	return op < CLI_NOPS ? w.sent[op] : 0;
}

static uint64_t requests_now(struct cli_target *t)
{
	struct fc_conn_stats s;

	if (!t->conn)
		return 0;
	fc_conn_stats(t->conn, &s);
	return s.requests;
}

/* Write @len bytes of @data to @path (O_CREAT|O_TRUNC|@extra). */
static int put(struct sc *c, const char *path, const void *data, size_t len, int extra)
{
	long n;
	int fd, r;

	TRY(fd, fc_sys_open(c->p, path, FC_O_WRONLY | FC_O_CREAT | FC_O_TRUNC | extra, 0644),
	    "open(%s, O_WRONLY|O_CREAT|O_TRUNC)", path);
	n = len ? fc_sys_write(c->p, fd, data, len) : 0;
	if (n < 0 || (size_t)n != len) {
		fc_sys_close(c->p, fd);
		if (n < 0)
			return sc_syserr(c, n, "write(%s, %zu bytes)", path, len);
		return sc_fail(c, "write(%s, %zu bytes) = %ld: short write", path, len, n);
	}
	TRY(r, fc_sys_close(c->p, fd), "close(%s) after writing", path);
	return 0;
}

/* Read @path whole into @buf (at most @cap bytes); *@len gets the size. */
static int get(struct sc *c, const char *path, void *buf, size_t cap, size_t *len,
	       size_t chunk)
{
	size_t got = 0;
	long n;
	int fd, r;

	TRY(fd, fc_sys_open(c->p, path, FC_O_RDONLY, 0), "open(%s, O_RDONLY)", path);
	for (;;) {
		size_t want = cap - got < chunk ? cap - got : chunk;

		if (!want)
			break;
		n = fc_sys_read(c->p, fd, (char *)buf + got, want);
		if (n < 0) {
			fc_sys_close(c->p, fd);
			return sc_syserr(c, n, "read(%s, %zu bytes at %zu)", path, want, got);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	TRY(r, fc_sys_close(c->p, fd), "close(%s) after reading", path);
	*len = got;
	return 0;
}

struct names {
	char **v;
	unsigned char *type;
	size_t n, cap;
};

static void names_free(struct names *ns)
{
	while (ns->n)
		free(ns->v[--ns->n]);
	free(ns->v);
	free(ns->type);
	memset(ns, 0, sizeof(*ns));
}

/* getdents64 with a @bufsize buffer until the end; "." and ".." dropped. */
static int list(struct sc *c, const char *dir, size_t bufsize, struct names *ns)
{
	static char buf[65536];
	long n, off;
	int fd, r;

	memset(ns, 0, sizeof(*ns));
	TRY(fd, fc_sys_open(c->p, dir, FC_O_RDONLY | FC_O_DIRECTORY, 0),
	    "open(%s, O_RDONLY|O_DIRECTORY)", dir);
	for (;;) {
		n = fc_sys_getdents64(c->p, fd, buf, bufsize);
		if (n < 0) {
			fc_sys_close(c->p, fd);
			names_free(ns);
			return sc_syserr(c, n, "getdents64(%s, %zu)", dir, bufsize);
		}
		if (n == 0)
			break;
		for (off = 0; off < n;) {
			uint16_t reclen;
			const char *name = buf + off + FC_VFS_DIRENT64_NAME_OFFSET;

			memcpy(&reclen, buf + off + 16, 2);
			if (reclen == 0 || off + reclen > n) {
				fc_sys_close(c->p, fd);
				names_free(ns);
				return sc_fail(c, "getdents64(%s) returned a bad record", dir);
			}
			if (strcmp(name, ".") && strcmp(name, "..")) {
				if (ns->n == ns->cap) {
					ns->cap = ns->cap ? ns->cap * 2 : 64;
					ns->v = realloc(ns->v, ns->cap * sizeof(*ns->v));
					ns->type = realloc(ns->type, ns->cap);
					if (!ns->v || !ns->type)
						abort();
				}
				ns->type[ns->n] = (unsigned char)buf[off + 18];
				ns->v[ns->n++] = strdup(name);
			}
			off += reclen;
		}
	}
	TRY(r, fc_sys_close(c->p, fd), "close(%s)", dir);
	return 0;
}

static long find_name(const struct names *ns, const char *name)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return (long)i;
	return -1;
}

static unsigned dt_of(uint32_t mode)
{
	switch (mode & FC_S_IFMT) {
	case FC_S_IFDIR: return FC_DT_DIR;
	case FC_S_IFREG: return FC_DT_REG;
	case FC_S_IFLNK: return FC_DT_LNK;
	case FC_S_IFIFO: return FC_DT_FIFO;
	case FC_S_IFSOCK: return FC_DT_SOCK;
	case FC_S_IFCHR: return FC_DT_CHR;
	case FC_S_IFBLK: return FC_DT_BLK;
	}
	return FC_DT_UNKNOWN;
}

/* rm -r */
static int rm_tree(struct sc *c, const char *path)
{
	struct fc_vfs_stat st;
	struct names ns;
	char sub[PATHSZ];
	size_t i;
	int r;

	TRY(r, fc_sys_lstat(c->p, path, &st), "lstat(%s)", path);
	if ((st.mode & FC_S_IFMT) != FC_S_IFDIR) {
		TRY(r, fc_sys_unlink(c->p, path), "unlink(%s)", path);
		return 0;
	}
	STEP(list(c, path, 32768, &ns));
	for (i = 0; i < ns.n; i++) {
		cli_fmt(sub, sizeof(sub), "%s/%s", path, ns.v[i]);
		if (rm_tree(c, sub) < 0) {
			names_free(&ns);
			return -1;
		}
	}
	names_free(&ns);
	TRY(r, fc_sys_rmdir(c->p, path), "rmdir(%s)", path);
	return 0;
}

/* ---- scenarios: the connection and the existing tree ------------------------------ */

static int sc_init(struct sc *c)
{
	const struct fc_conn_info *ci = fc_conn_info(c->t->conn);
	struct fc_init_profile def;

	fc_init_profile_default(&def, c->t->opts.transport == CLI_TRANSPORT_VIRTIOFS ?
				FC_TRANSPORT_VIRTIO_FS : FC_TRANSPORT_FUSE_DEV);
	CHECK(fc_conn_state(c->t->conn) == FC_CONN_READY, "the connection is not READY");
	CHECK(ci->major == FC_KERNEL_VERSION, "the daemon speaks major %u, not %u",
	      ci->major, FC_KERNEL_VERSION);
	CHECK(ci->minor >= 1, "negotiated minor %u", ci->minor);
	CHECK((ci->flags & ~ci->requested) == 0,
	      "capabilities enabled that were not requested: 0x%llx",
	      (unsigned long long)(ci->flags & ~ci->requested));
	CHECK((ci->flags & ~ci->granted) == 0,
	      "capabilities enabled that were not granted: 0x%llx",
	      (unsigned long long)(ci->flags & ~ci->granted));
	CHECK(ci->max_write >= 4096, "max_write %u < 4096", ci->max_write);
	CHECK(ci->max_pages >= 1, "max_pages %u", ci->max_pages);
	CHECK(ci->time_gran >= 1 && ci->time_gran <= 1000000000u, "time_gran %u",
	      ci->time_gran);
	CHECK(ci->max_readahead <= def.max_readahead, "max_readahead %u above the %u offered",
	      ci->max_readahead, def.max_readahead);
	CHECK(ci->max_background >= 1, "max_background %u", ci->max_background);
	sc_detail(c, "protocol 7.%u, max_write %u, max_pages %u, max_readahead %u, "
		  "enabled flags 0x%llx of 0x%llx requested", ci->minor, ci->max_write,
		  ci->max_pages, ci->max_readahead, (unsigned long long)ci->flags,
		  (unsigned long long)ci->requested);
	return 0;
}

static int sc_root(struct sc *c)
{
	const char *mnt = c->t->opts.mountpoint;
	struct fc_vfs_stat st, st2;
	int fd, r;

	TRY(r, fc_sys_stat(c->p, mnt, &st), "stat(%s)", mnt);
	CHECK((st.mode & FC_S_IFMT) == FC_S_IFDIR, "stat(%s): mode 0%o is not a directory",
	      mnt, st.mode);
	CHECK(st.nlink >= 1, "stat(%s): nlink %u", mnt, st.nlink);
	TRY(fd, fc_sys_open(c->p, mnt, FC_O_RDONLY | FC_O_DIRECTORY, 0),
	    "open(%s, O_DIRECTORY)", mnt);
	r = fc_sys_fstat(c->p, fd, &st2);
	fc_sys_close(c->p, fd);
	CHECK(r == 0, "fstat of the root: %s", cli_errname(r));
	CHECK(st2.ino == st.ino && st2.mode == st.mode,
	      "fstat and stat of the root disagree (ino %llu/%llu, mode 0%o/0%o)",
	      (unsigned long long)st2.ino, (unsigned long long)st.ino, st2.mode, st.mode);
	TRY(r, fc_sys_access(c->p, mnt, FC_R_OK | FC_X_OK), "access(%s, R_OK|X_OK)", mnt);
	sc_detail(c, "root ino %llu, mode 0%o, nlink %u", (unsigned long long)st.ino,
		  st.mode, st.nlink);
	return 0;
}

static int sc_statfs(struct sc *c)
{
	const char *mnt = c->t->opts.mountpoint;
	struct fc_vfs_statfs s;
	int r;

	TRY(r, fc_sys_statfs(c->p, mnt, &s), "statfs(%s)", mnt);
	CHECK(s.type == FC_FUSE_SUPER_MAGIC, "f_type 0x%llx, not FUSE's 0x%x",
	      (unsigned long long)s.type, FC_FUSE_SUPER_MAGIC);
	CHECK(s.bsize > 0, "f_bsize is 0");
	CHECK(s.bfree <= s.blocks, "f_bfree %llu > f_blocks %llu",
	      (unsigned long long)s.bfree, (unsigned long long)s.blocks);
	CHECK(s.bavail <= s.bfree || s.bfree == 0, "f_bavail %llu > f_bfree %llu",
	      (unsigned long long)s.bavail, (unsigned long long)s.bfree);
	CHECK(s.ffree <= s.files || s.files == 0, "f_ffree %llu > f_files %llu",
	      (unsigned long long)s.ffree, (unsigned long long)s.files);
	CHECK(s.namelen > 0, "f_namelen is 0");
	sc_detail(c, "bsize %llu, %llu of %llu blocks free, namelen %llu",
		  (unsigned long long)s.bsize, (unsigned long long)s.bfree,
		  (unsigned long long)s.blocks, (unsigned long long)s.namelen);
	return 0;
}

/*
 * The tree as it is: every top-level entry listed by readdir can be looked
 * up with the type readdir gave; regular files (up to 1 MiB) read the same
 * twice and as long as their size; symbolic links read.
 */
static int sc_tree(struct sc *c)
{
	const char *mnt = c->t->opts.mountpoint;
	struct names ns;
	size_t i, files = 0, links = 0, dirs = 0, bytes = 0;
	char path[PATHSZ];
	int r;

	STEP(list(c, mnt, 4096, &ns));
	for (i = 0; i < ns.n && i < 64; i++) {
		struct fc_vfs_stat st;
		size_t len1, len2;

		cli_fmt(path, sizeof(path), "%s/%s", mnt, ns.v[i]);
		CHECK(!strchr(ns.v[i], '/') && ns.v[i][0], "readdir gave the name '%s'", ns.v[i]);
		CHECK(find_name(&ns, ns.v[i]) == (long)i, "readdir listed '%s' twice", ns.v[i]);
		r = fc_sys_lstat(c->p, path, &st);
		if (r < 0) {
			names_free(&ns);
			return sc_syserr(c, r, "lstat(%s) of a name readdir listed", path);
		}
		if (ns.type[i] != FC_DT_UNKNOWN && ns.type[i] != dt_of(st.mode)) {
			unsigned t = ns.type[i];

			names_free(&ns);
			return sc_fail(c, "readdir says d_type %u for %s, lstat says mode 0%o",
				       t, path, st.mode);
		}
		if ((st.mode & FC_S_IFMT) == FC_S_IFREG && st.size <= (int64_t)MIB) {
			uint64_t h1, h2;

			if (get(c, path, c->big, MIB + 1, &len1, 65536) < 0) {
				names_free(&ns);
				return -1;
			}
			h1 = cli_fnv1a(c->big, len1, CLI_FNV_INIT);
			if (get(c, path, c->big, MIB + 1, &len2, 4096) < 0) {
				names_free(&ns);
				return -1;
			}
			h2 = cli_fnv1a(c->big, len2, CLI_FNV_INIT);
			if (len1 != (size_t)st.size || len2 != len1 || h1 != h2) {
				int64_t sz = st.size;

				names_free(&ns);
				return sc_fail(c, "%s: size %lld, read %zu then %zu bytes, "
					       "checksums %s", path, (long long)sz, len1, len2,
					       h1 == h2 ? "equal" : "differ");
			}
			files++;
			bytes += len1;
		} else if ((st.mode & FC_S_IFMT) == FC_S_IFLNK) {
			long n = fc_sys_readlink(c->p, path, path, sizeof(path));

			if (n < 0) {
				names_free(&ns);
				return sc_syserr(c, n, "readlink of a symbolic link");
			}
			links++;
		} else if ((st.mode & FC_S_IFMT) == FC_S_IFDIR) {
			dirs++;
		}
		c->rec->checks += 3;
	}
	sc_detail(c, "%zu entr%s at the root: %zu file%s (%zu bytes read twice), %zu "
		  "director%s, %zu symbolic link%s", ns.n, ns.n == 1 ? "y" : "ies", files,
		  files == 1 ? "" : "s", bytes, dirs, dirs == 1 ? "y" : "ies", links,
		  links == 1 ? "" : "s");
	names_free(&ns);
	return 0;
}

static int sc_scratch(struct sc *c)
{
	struct fc_vfs_stat st;
	int r;

	cli_fmt(c->root, sizeof(c->root), "%s/fusecore-run.%d", c->t->opts.mountpoint,
		 (int)getpid());
	r = fc_sys_mkdir(c->p, c->root, 0755);
	if (r == -EROFS || r == -EPERM || r == -EACCES || r == -ENOSYS) {
		cli_fmt(c->ro_reason, sizeof(c->ro_reason), "read-only file system "
			 "(mkdir answered %s)", cli_errname(r));
		c->root[0] = 0;
		return sc_skip(c, "%s: the scenarios that modify files are skipped",
			       c->ro_reason);
	}
	if (r < 0) {
		cli_fmt(c->ro_reason, sizeof(c->ro_reason), "no scratch directory");
		c->root[0] = 0;
		return sc_syserr(c, r, "mkdir(%s/fusecore-run.%d)", c->t->opts.mountpoint,
				 (int)getpid());
	}
	c->writable = 1;
	TRY(r, fc_sys_stat(c->p, c->root, &st), "stat(%s) after mkdir", c->root);
	CHECK((st.mode & FC_S_IFMT) == FC_S_IFDIR, "%s: mode 0%o after mkdir", c->root,
	      st.mode);
	sc_detail(c, "%s", c->root);
	return 0;
}

/* ---- scenarios: files ----------------------------------------------------------------- */

static int sc_create_rw(struct sc *c)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65536 + 3, 128 * KIB,
					 MIB - 1, MIB };
	const struct fc_conn_info *ci = fc_conn_info(c->t->conn);
	struct cli_wire_stats w0, w1;
	char path[PATHSZ];
	size_t i, total = 0;
	int fd, r;
	long n;

	cli_target_wire(c->t, &w0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct fc_vfs_stat st;
		size_t len = sizes[i], got;
		uint64_t want;

		P(c, path, "file-%zu", len);
		pattern(c->big, len, i + 1);
		want = cli_fnv1a(c->big, len, CLI_FNV_INIT);
		TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR | FC_O_CREAT | FC_O_EXCL, 0644),
		    "open(%s, O_RDWR|O_CREAT|O_EXCL)", path);
		n = len ? fc_sys_write(c->p, fd, c->big, len) : 0;
		if (n != (long)len) {
			fc_sys_close(c->p, fd);
			if (n < 0)
				return sc_syserr(c, n, "write(%s, %zu bytes)", path, len);
			return sc_fail(c, "write(%s, %zu bytes) = %ld", path, len, n);
		}
		r = fc_sys_fstat(c->p, fd, &st);
		if (r < 0 || st.size != (int64_t)len) {
			fc_sys_close(c->p, fd);
			if (r < 0)
				return sc_syserr(c, r, "fstat(%s)", path);
			return sc_fail(c, "fstat(%s) after writing %zu bytes: size %lld", path,
				       len, (long long)st.size);
		}
		/* Read back on the same descriptor, from the start. */
		memset(c->big2, 0, len + 1);
		n = fc_sys_pread(c->p, fd, c->big2, len + 1, 0);
		fc_sys_close(c->p, fd);
		CHECK(n == (long)len && cli_fnv1a(c->big2, len, CLI_FNV_INIT) == want,
		      "pread(%s, %zu, 0) on the writing descriptor = %ld, checksum %s", path,
		      len + 1, n, n == (long)len ? "differs" : "not computed");
		c->rec->checks += 2;
		/* Reopen and read in 4 KiB and in 128 KiB pieces. */
		STEP(get(c, path, c->big2, MIB + 1, &got, 4096));
		CHECK(got == len && cli_fnv1a(c->big2, got, CLI_FNV_INIT) == want,
		      "%s read back in 4 KiB pieces: %zu bytes, checksum %s", path, got,
		      cli_fnv1a(c->big2, got, CLI_FNV_INIT) == want ? "equal" : "differs");
		STEP(get(c, path, c->big2, MIB + 1, &got, 128 * KIB));
		CHECK(got == len && cli_fnv1a(c->big2, got, CLI_FNV_INIT) == want,
		      "%s read back in 128 KiB pieces: %zu bytes, checksum %s", path, got,
		      cli_fnv1a(c->big2, got, CLI_FNV_INIT) == want ? "equal" : "differs");
		TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
		CHECK((st.mode & FC_S_IFMT) == FC_S_IFREG && (st.mode & 07777) == 0644,
		      "stat(%s): mode 0%o, expected 0100644 (umask 022)", path, st.mode);
		CHECK(st.size == (int64_t)len, "stat(%s): size %lld, expected %zu", path,
		      (long long)st.size, len);
		total += len;
	}
	/* Scattered preads of the 1 MiB file. */
	P(c, path, "file-%u", MIB);
	pattern(c->big, MIB, sizeof(sizes) / sizeof(sizes[0]));
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDONLY, 0), "open(%s)", path);
	for (i = 0; i < 16; i++) {
		size_t off = (i * 65599u + 17) % MIB, len = (i * 4099u) % (64 * KIB) + 1;

		if (off + len > MIB)
			len = MIB - off;
		n = fc_sys_pread(c->p, fd, c->big2, len, (int64_t)off);
		if (n != (long)len || memcmp(c->big2, c->big + off, len)) {
			fc_sys_close(c->p, fd);
			return sc_fail(c, "pread(%s, %zu, %zu) = %ld, %s", path, len, off, n,
				       n == (long)len ? "wrong data" : "short");
		}
		c->rec->checks++;
	}
	n = fc_sys_pread(c->p, fd, c->big2, 100, MIB);
	fc_sys_close(c->p, fd);
	CHECK(n == 0, "pread at the end of a 1 MiB file = %ld, expected 0", n);

	/* Protocol: requests within the negotiated sizes. */
	cli_target_wire(c->t, &w1);
	CHECK(w1.max_write <= ci->max_write, "a WRITE carried %llu bytes, max_write is %u",
	      (unsigned long long)w1.max_write, ci->max_write);
	CHECK(w1.max_write <= (uint64_t)ci->max_pages * 4096u,
	      "a WRITE carried %llu bytes, max_pages is %u",
	      (unsigned long long)w1.max_write, ci->max_pages);
	CHECK(w1.max_read <= (uint64_t)ci->max_pages * 4096u,
	      "a READ asked for %llu bytes, max_pages is %u",
	      (unsigned long long)w1.max_read, ci->max_pages);
	CHECK(w1.sent[FC_WRITE] - w0.sent[FC_WRITE] >= (MIB + ci->max_write - 1) / ci->max_write,
	      "only %llu WRITEs for %zu bytes", (unsigned long long)(w1.sent[FC_WRITE] -
								  w0.sent[FC_WRITE]), total);
	sc_detail(c, "%zu files, %zu bytes written and read back 3 times with equal "
		  "checksums; %llu WRITE (largest %llu bytes), %llu READ (largest %llu)",
		  sizeof(sizes) / sizeof(sizes[0]), total,
		  (unsigned long long)(w1.sent[FC_WRITE] - w0.sent[FC_WRITE]),
		  (unsigned long long)w1.max_write,
		  (unsigned long long)(w1.sent[FC_READ] - w0.sent[FC_READ]),
		  (unsigned long long)w1.max_read);
	return 0;
}

static int sc_append(struct sc *c)
{
	char path[PATHSZ], buf[64];
	size_t got;
	long n;
	int fd, r;

	P(c, path, "append");
	STEP(put(c, path, "0123456789", 10, 0));
	TRY(fd, fc_sys_open(c->p, path, FC_O_WRONLY | FC_O_APPEND, 0), "open(%s, O_APPEND)", path);
	n = fc_sys_write(c->p, fd, "abc", 3);
	if (n != 3) {
		fc_sys_close(c->p, fd);
		return sc_fail(c, "write(O_APPEND) = %ld", n);
	}
	/* pwrite on O_APPEND appends too (Linux). */
	n = fc_sys_pwrite(c->p, fd, "XY", 2, 0);
	fc_sys_close(c->p, fd);
	CHECK(n == 2, "pwrite(O_APPEND) = %ld", n);
	STEP(get(c, path, buf, sizeof(buf) - 1, &got, 4096));
	buf[got] = 0;
	CHECK(got == 15 && !memcmp(buf, "0123456789abcXY", 15),
	      "after appends the file holds '%s', expected '0123456789abcXY'", buf);
	/* Overwrite in the middle. */
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR, 0), "open(%s, O_RDWR)", path);
	n = fc_sys_pwrite(c->p, fd, "--", 2, 4);
	fc_sys_close(c->p, fd);
	CHECK(n == 2, "pwrite(%s, 2, 4) = %ld", path, n);
	STEP(get(c, path, buf, sizeof(buf) - 1, &got, 4096));
	buf[got] = 0;
	CHECK(got == 15 && !memcmp(buf, "0123--6789abcXY", 15),
	      "after an overwrite the file holds '%s', expected '0123--6789abcXY'", buf);
	/* lseek(SEEK_END) and write. */
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR, 0), "open(%s, O_RDWR)", path);
	{
		int64_t off = fc_sys_lseek(c->p, fd, 0, FC_SEEK_END);

		n = off == 15 ? fc_sys_write(c->p, fd, "!", 1) : -1;
		fc_sys_close(c->p, fd);
		CHECK(off == 15, "lseek(SEEK_END) = %lld, expected 15", (long long)off);
		CHECK(n == 1, "write after SEEK_END = %ld", n);
	}
	/* O_TRUNC empties it. */
	TRY(fd, fc_sys_open(c->p, path, FC_O_WRONLY | FC_O_TRUNC, 0), "open(%s, O_TRUNC)", path);
	fc_sys_close(c->p, fd);
	{
		struct fc_vfs_stat st;

		TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
		CHECK(st.size == 0, "size %lld after open(O_TRUNC)", (long long)st.size);
	}
	sc_detail(c, "O_APPEND write and pwrite land at the end, pwrite overwrites, "
		  "O_TRUNC empties");
	return 0;
}

static int sc_rename(struct sc *c)
{
	char a[PATHSZ], b[PATHSZ], d[PATHSZ], e[PATHSZ], buf[64];
	struct fc_vfs_stat st, st2;
	uint64_t before = wire(c, FC_RENAME) + wire(c, FC_RENAME2);
	size_t got;
	int r;

	P(c, a, "ren-a");
	P(c, b, "ren-b");
	STEP(put(c, a, "alpha", 5, 0));
	TRY(r, fc_sys_stat(c->p, a, &st), "stat(%s)", a);
	TRY(r, fc_sys_rename(c->p, a, b), "rename(%s, %s)", a, b);
	EXPECT_ERR(fc_sys_stat(c->p, a, &st2), ENOENT, "stat(%s) after renaming it away", a);
	TRY(r, fc_sys_stat(c->p, b, &st2), "stat(%s) after rename", b);
	CHECK(st2.ino == st.ino, "the renamed file has inode %llu, was %llu",
	      (unsigned long long)st2.ino, (unsigned long long)st.ino);
	STEP(get(c, b, buf, sizeof(buf), &got, 4096));
	CHECK(got == 5 && !memcmp(buf, "alpha", 5), "the renamed file lost its content");
	/* Over an existing file: it is replaced. */
	STEP(put(c, a, "beta!!", 6, 0));
	TRY(r, fc_sys_rename(c->p, a, b), "rename(%s, %s) over an existing file", a, b);
	STEP(get(c, b, buf, sizeof(buf), &got, 4096));
	CHECK(got == 6 && !memcmp(buf, "beta!!", 6),
	      "rename over an existing file: the target holds %zu bytes, not the source's 6",
	      got);
	EXPECT_ERR(fc_sys_stat(c->p, a, &st2), ENOENT, "stat(%s) after rename over", a);
	/* Across directories. */
	P(c, d, "ren-dir");
	TRY(r, fc_sys_mkdir(c->p, d, 0755), "mkdir(%s)", d);
	P(c, e, "ren-dir/moved");
	TRY(r, fc_sys_rename(c->p, b, e), "rename(%s, %s) into a subdirectory", b, e);
	STEP(get(c, e, buf, sizeof(buf), &got, 4096));
	CHECK(got == 6, "the file moved to a subdirectory holds %zu bytes", got);
	/* A directory into its own subtree: EINVAL. */
	P(c, a, "ren-dir/moved-dir");
	EXPECT_ERR(fc_sys_rename(c->p, d, a), EINVAL, "rename(%s, %s) into itself", d, a);
	/* RENAME_NOREPLACE on an existing target. */
	P(c, a, "ren-c");
	STEP(put(c, a, "c", 1, 0));
	r = fc_sys_renameat2(c->p, FC_AT_FDCWD, a, FC_AT_FDCWD, e, FC_RENAME_NOREPLACE);
	if (r == -EINVAL && fc_conn_nosys(c->t->conn, FC_RENAME2)) {
		sc_detail(c, "RENAME_NOREPLACE not checked: the daemon has no RENAME2");
	} else {
		CHECK(r == -EEXIST, "renameat2(%s, %s, RENAME_NOREPLACE) over an existing file "
		      "= %s, expected -EEXIST", a, e, cli_errname(r));
		STEP(get(c, e, buf, sizeof(buf), &got, 4096));
		CHECK(got == 6, "RENAME_NOREPLACE replaced the target anyway");
	}
	CHECK(wire(c, FC_RENAME) + wire(c, FC_RENAME2) > before, "no RENAME request was sent");
	sc_detail(c, "plain, over an existing file, across directories; "
		  "%llu RENAME/RENAME2 requests",
		  (unsigned long long)(wire(c, FC_RENAME) + wire(c, FC_RENAME2) - before));
	return 0;
}

static int sc_readdir(struct sc *c)
{
	char dir[PATHSZ], path[PATHSZ], name[300];
	struct names ns;
	uint64_t rd0 = wire(c, FC_READDIR) + wire(c, FC_READDIRPLUS), rd;
	const unsigned nfiles = 100;
	unsigned i;
	size_t k;
	int r, fd;

	P(c, dir, "listing");
	TRY(r, fc_sys_mkdir(c->p, dir, 0755), "mkdir(%s)", dir);
	/* An empty directory lists nothing but . and .. */
	STEP(list(c, dir, 4096, &ns));
	k = ns.n;
	names_free(&ns);
	CHECK(k == 0, "an empty directory lists %zu names", k);
	for (i = 0; i < nfiles; i++) {
		/* Names of varied lengths, with spaces and UTF-8. */
		cli_fmt(name, sizeof(name), "f%03u-%.*s%s", i, (int)(i * 7 % 120),
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
			 i % 10 == 3 ? " with space" : i % 10 == 7 ? "-\xc3\xa9t\xc3\xa9" : "");
		cli_fmt(path, sizeof(path), "%s/%s", dir, name);
		TRY(fd, fc_sys_open(c->p, path, FC_O_WRONLY | FC_O_CREAT | FC_O_EXCL, 0644),
		    "create %s", path);
		fc_sys_close(c->p, fd);
	}
	cli_fmt(path, sizeof(path), "%s/subdir", dir);
	TRY(r, fc_sys_mkdir(c->p, path, 0755), "mkdir(%s)", path);
	cli_fmt(path, sizeof(path), "%s/link", dir);
	TRY(r, fc_sys_symlink(c->p, "subdir", path), "symlink(subdir, %s)", path);
	/* A small buffer: several getdents64 calls, cookies followed. */
	STEP(list(c, dir, 1024, &ns));
	if (ns.n != nfiles + 2) {
		k = ns.n;
		names_free(&ns);
		return sc_fail(c, "readdir lists %zu names, expected exactly %u", k, nfiles + 2);
	}
	for (i = 0; i < nfiles + 2; i++) {
		unsigned want_type = FC_DT_REG;

		if (i < nfiles)
			cli_fmt(name, sizeof(name), "f%03u-%.*s%s", i, (int)(i * 7 % 120),
				 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
				 i % 10 == 3 ? " with space" : i % 10 == 7 ? "-\xc3\xa9t\xc3\xa9" : "");
		else if (i == nfiles)
			cli_fmt(name, sizeof(name), "subdir"), want_type = FC_DT_DIR;
		else
			cli_fmt(name, sizeof(name), "link"), want_type = FC_DT_LNK;
		{
			long at = find_name(&ns, name);

			c->rec->checks++;
			if (at < 0) {
				names_free(&ns);
				return sc_fail(c, "readdir does not list '%s'", name);
			}
			if (ns.type[at] != FC_DT_UNKNOWN && ns.type[at] != want_type) {
				unsigned t = ns.type[at];

				names_free(&ns);
				return sc_fail(c, "readdir gives '%s' d_type %u, expected %u", name,
					       t, want_type);
			}
		}
	}
	for (k = 0; k < ns.n; k++)
		if (find_name(&ns, ns.v[k]) != (long)k) {
			names_free(&ns);
			return sc_fail(c, "readdir lists a name twice");
		}
	names_free(&ns);
	rd = wire(c, FC_READDIR) + wire(c, FC_READDIRPLUS) - rd0;
	CHECK(rd >= 2, "%llu READDIR requests for %u entries in 1 KiB buffers",
	      (unsigned long long)rd, nfiles + 2);
	/* A big buffer lists the same. */
	STEP(list(c, dir, 65536, &ns));
	k = ns.n;
	names_free(&ns);
	CHECK(k == nfiles + 2, "readdir with a 64 KiB buffer lists %zu names", k);
	sc_detail(c, "%u names listed exactly, d_type right, %llu READDIR%s requests",
		  nfiles + 2, (unsigned long long)rd,
		  wire(c, FC_READDIRPLUS) ? "(PLUS)" : "");
	return 0;
}

static int sc_unlink(struct sc *c)
{
	char path[PATHSZ], dir[PATHSZ], buf[32];
	struct fc_vfs_stat st;
	struct names ns;
	long n;
	int fd, r;

	P(c, path, "victim");
	STEP(put(c, path, "still here", 10, 0));
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDONLY, 0), "open(%s)", path);
	r = fc_sys_unlink(c->p, path);
	if (r < 0) {
		fc_sys_close(c->p, fd);
		return sc_syserr(c, r, "unlink(%s)", path);
	}
	c->rec->checks++;
	/* Data stays readable through the open descriptor (POSIX). */
	n = fc_sys_pread(c->p, fd, buf, sizeof(buf), 0);
	fc_sys_close(c->p, fd);
	CHECK(n == 10 && !memcmp(buf, "still here", 10),
	      "pread of an open file after unlink = %ld%s", n,
	      n == 10 ? " with wrong data" : "");
	EXPECT_ERR(fc_sys_stat(c->p, path, &st), ENOENT, "stat(%s) after unlink", path);
	EXPECT_ERR(fc_sys_open(c->p, path, FC_O_RDONLY, 0), ENOENT, "open(%s) after unlink", path);
	STEP(list(c, c->root, 4096, &ns));
	n = find_name(&ns, "victim");
	names_free(&ns);
	CHECK(n < 0, "readdir still lists an unlinked file");
	EXPECT_ERR(fc_sys_unlink(c->p, path), ENOENT, "unlink(%s) twice", path);
	P(c, dir, "unlink-dir");
	TRY(r, fc_sys_mkdir(c->p, dir, 0755), "mkdir(%s)", dir);
	EXPECT_ERR(fc_sys_unlink(c->p, dir), EISDIR, "unlink(%s) of a directory", dir);
	TRY(r, fc_sys_rmdir(c->p, dir), "rmdir(%s)", dir);
	sc_detail(c, "unlinked file gone from stat, open and readdir, still readable "
		  "through its open descriptor");
	return 0;
}

static int sc_mkdir(struct sc *c)
{
	char dir[PATHSZ], path[PATHSZ];
	struct fc_vfs_stat st;
	unsigned depth;
	int r;

	P(c, dir, "d");
	TRY(r, fc_sys_mkdir(c->p, dir, 0750), "mkdir(%s, 0750)", dir);
	TRY(r, fc_sys_stat(c->p, dir, &st), "stat(%s)", dir);
	CHECK((st.mode & FC_S_IFMT) == FC_S_IFDIR && (st.mode & 07777) == 0750,
	      "mkdir(0750): mode 0%o", st.mode);
	CHECK(st.nlink >= 2 || st.nlink == 1, "a new directory has nlink %u", st.nlink);
	EXPECT_ERR(fc_sys_mkdir(c->p, dir, 0755), EEXIST, "mkdir(%s) again", dir);
	P(c, path, "d/inner");
	TRY(r, fc_sys_mkdir(c->p, path, 0755), "mkdir(%s)", path);
	r = fc_sys_rmdir(c->p, dir);
	c->rec->checks++;
	if (r != -ENOTEMPTY && r != -EEXIST)
		return sc_experr(c, r, ENOTEMPTY, "rmdir(%s) of a non-empty directory", dir);
	TRY(r, fc_sys_rmdir(c->p, path), "rmdir(%s)", path);
	TRY(r, fc_sys_rmdir(c->p, dir), "rmdir(%s)", dir);
	EXPECT_ERR(fc_sys_stat(c->p, dir, &st), ENOENT, "stat(%s) after rmdir", dir);
	/* mkdir -p eight deep, then take it down. */
	P(c, path, "deep");
	for (depth = 0; depth < 8; depth++) {
		TRY(r, fc_sys_mkdir(c->p, path, 0755), "mkdir(%s)", path);
		strncat(path, "/x", sizeof(path) - strlen(path) - 1);
	}
	P(c, path, "deep/x/x/x/x/x/x/x");
	TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
	for (depth = 0; depth < 8; depth++) {
		TRY(r, fc_sys_rmdir(c->p, path), "rmdir(%s)", path);
		*strrchr(path, '/') = 0;
	}
	sc_detail(c, "mode kept, EEXIST and ENOTEMPTY where due, 8 levels created "
		  "and removed");
	return 0;
}

static int sc_symlink(struct sc *c)
{
	char link[PATHSZ], target[PATHSZ], buf[PATHSZ], dangling[PATHSZ];
	struct fc_vfs_stat st, lst, tst;
	const char *tname = "symlink-target";
	size_t got;
	long n;
	int r;

	P(c, target, "%s", tname);
	P(c, link, "symlink");
	STEP(put(c, target, "pointed at", 10, 0));
	TRY(r, fc_sys_symlink(c->p, tname, link), "symlink(%s, %s)", tname, link);
	TRY(n, fc_sys_readlink(c->p, link, buf, sizeof(buf)), "readlink(%s)", link);
	CHECK((size_t)n == strlen(tname) && !memcmp(buf, tname, (size_t)n),
	      "readlink(%s) = '%.*s', expected '%s'", link, (int)n, buf, tname);
	TRY(r, fc_sys_lstat(c->p, link, &lst), "lstat(%s)", link);
	CHECK((lst.mode & FC_S_IFMT) == FC_S_IFLNK, "lstat(%s): mode 0%o is not a link",
	      link, lst.mode);
	CHECK(lst.size == (int64_t)strlen(tname), "lstat(%s): size %lld, expected %zu",
	      link, (long long)lst.size, strlen(tname));
	TRY(r, fc_sys_stat(c->p, link, &st), "stat(%s) through the link", link);
	TRY(r, fc_sys_stat(c->p, target, &tst), "stat(%s)", target);
	CHECK(st.ino == tst.ino, "stat through the link reaches inode %llu, the target "
	      "is %llu", (unsigned long long)st.ino, (unsigned long long)tst.ino);
	STEP(get(c, link, buf, sizeof(buf), &got, 4096));
	CHECK(got == 10 && !memcmp(buf, "pointed at", 10), "reading through the link "
	      "gave %zu bytes", got);
	/* A long target (PATH_MAX-ish is daemon-dependent: 1000 bytes). */
	memset(target, 'x', 1000);
	target[1000] = 0;
	P(c, link, "symlink-long");
	TRY(r, fc_sys_symlink(c->p, target, link), "symlink(<1000 bytes>, %s)", link);
	TRY(n, fc_sys_readlink(c->p, link, buf, sizeof(buf)), "readlink(%s)", link);
	CHECK(n == 1000 && !memcmp(buf, target, 1000), "a 1000-byte target read back as "
	      "%ld bytes", n);
	/* Dangling. */
	P(c, dangling, "symlink-dangling");
	TRY(r, fc_sys_symlink(c->p, "does-not-exist", dangling), "symlink(%s)", dangling);
	EXPECT_ERR(fc_sys_stat(c->p, dangling, &st), ENOENT, "stat(%s) of a dangling link",
		   dangling);
	TRY(r, fc_sys_lstat(c->p, dangling, &st), "lstat(%s)", dangling);
	P(c, target, "%s", tname);
	EXPECT_ERR(fc_sys_readlink(c->p, target, buf, sizeof(buf)), EINVAL,
		   "readlink(%s) of a regular file", target);
	EXPECT_ERR(fc_sys_symlink(c->p, "x", target), EEXIST, "symlink over an existing name");
	sc_detail(c, "readlink, lstat, stat and open through a link, a 1000-byte target, "
		  "a dangling link");
	return 0;
}

static int sc_link(struct sc *c)
{
	char a[PATHSZ], b[PATHSZ], buf[16];
	struct fc_vfs_stat sa, sb;
	size_t got;
	int r;

	P(c, a, "hard-a");
	P(c, b, "hard-b");
	STEP(put(c, a, "shared", 6, 0));
	r = fc_sys_link(c->p, a, b);
	if (r == -EPERM && fc_conn_nosys(c->t->conn, FC_LINK))
		return sc_skip(c, "the daemon has no hard links (LINK answered ENOSYS)");
	if (r == -EPERM || r == -EOPNOTSUPP)
		return sc_skip(c, "the daemon refuses hard links (%s)", cli_errname(r));
	c->rec->checks++;
	if (r < 0)
		return sc_syserr(c, r, "link(%s, %s)", a, b);
	TRY(r, fc_sys_stat(c->p, a, &sa), "stat(%s)", a);
	TRY(r, fc_sys_stat(c->p, b, &sb), "stat(%s)", b);
	CHECK(sa.ino == sb.ino, "the two names have inodes %llu and %llu",
	      (unsigned long long)sa.ino, (unsigned long long)sb.ino);
	CHECK(sa.nlink == 2 && sb.nlink == 2, "nlink %u/%u after link, expected 2",
	      sa.nlink, sb.nlink);
	STEP(put(c, b, "SHARED", 6, 0));
	STEP(get(c, a, buf, sizeof(buf), &got, 4096));
	CHECK(got == 6 && !memcmp(buf, "SHARED", 6), "a write through one name is not "
	      "seen through the other");
	TRY(r, fc_sys_unlink(c->p, a), "unlink(%s)", a);
	TRY(r, fc_sys_stat(c->p, b, &sb), "stat(%s)", b);
	CHECK(sb.nlink == 1, "nlink %u after unlinking the other name", sb.nlink);
	sc_detail(c, "same inode, nlink 2 then 1, data shared");
	return 0;
}

static int sc_truncate(struct sc *c)
{
	char path[PATHSZ];
	struct fc_vfs_stat st;
	uint64_t sa0 = wire(c, FC_SETATTR);
	size_t got, i;
	long n;
	int r, fd;

	P(c, path, "trunc");
	pattern(c->big, 5000, 99);
	STEP(put(c, path, c->big, 5000, 0));
	TRY(r, fc_sys_truncate(c->p, path, 10000), "truncate(%s, 10000)", path);
	TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
	CHECK(st.size == 10000, "size %lld after growing to 10000", (long long)st.size);
	STEP(get(c, path, c->big2, MIB, &got, 65536));
	CHECK(got == 10000 && !memcmp(c->big2, c->big, 5000), "grown file: %zu bytes, "
	      "old data %s", got, memcmp(c->big2, c->big, 5000) ? "changed" : "kept");
	for (i = 5000; i < 10000; i++)
		if (c->big2[i])
			return sc_fail(c, "byte %zu of the grown file is %u, not 0", i, c->big2[i]);
	c->rec->checks++;
	TRY(r, fc_sys_truncate(c->p, path, 10), "truncate(%s, 10)", path);
	STEP(get(c, path, c->big2, MIB, &got, 65536));
	CHECK(got == 10 && !memcmp(c->big2, c->big, 10), "shrunk file: %zu bytes", got);
	/* ftruncate on an open descriptor, then read through it. */
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR, 0), "open(%s, O_RDWR)", path);
	r = fc_sys_ftruncate(c->p, fd, 3);
	n = r == 0 ? fc_sys_pread(c->p, fd, c->big2, 100, 0) : -1;
	fc_sys_close(c->p, fd);
	CHECK(r == 0, "ftruncate(3) = %s", cli_errname(r));
	CHECK(n == 3, "pread after ftruncate(3) = %ld", n);
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDONLY, 0), "open(%s, O_RDONLY)", path);
	r = fc_sys_ftruncate(c->p, fd, 0);
	fc_sys_close(c->p, fd);
	EXPECT_ERR(r, EINVAL, "ftruncate on a read-only descriptor");
	TRY(r, fc_sys_truncate(c->p, path, 0), "truncate(%s, 0)", path);
	TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
	CHECK(st.size == 0, "size %lld after truncate(0)", (long long)st.size);
	CHECK(wire(c, FC_SETATTR) > sa0, "no SETATTR request was sent");
	sc_detail(c, "grow (zero-filled), shrink, ftruncate; %llu SETATTR requests",
		  (unsigned long long)(wire(c, FC_SETATTR) - sa0));
	return 0;
}

/*
 * mmap: a shared writable mapping faults through the page cache, stores
 * dirty it, msync(MS_SYNC) writes it back (WRITE with FUSE_WRITE_CACHE,
 * then FSYNC), a second store is written back by munmap (fuse_vma_close),
 * and the daemon's file then holds every byte.
 */
static int sc_mmap(struct sc *c)
{
	char path[PATHSZ];
	struct fc_vfs_map *map = NULL;
	uint64_t w0, f0;
	size_t got, len = 3 * 4096 + 100;
	long n;
	int r, fd;

	if (!c->t->pc)
		return sc_skip(c, "no page cache under the client (run with --page-cache)");
	P(c, path, "mapped");
	pattern(c->big, len, 7);
	STEP(put(c, path, c->big, len, 0));
	w0 = wire(c, FC_WRITE);
	f0 = wire(c, FC_FSYNC);
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR, 0), "open(%s, O_RDWR)", path);
	r = fc_sys_mmap(c->p, fd, 0, len, FC_PROT_READ | FC_PROT_WRITE,
			FC_MAP_SHARED, &map);
	if (r) {
		fc_sys_close(c->p, fd);
		return sc_fail(c, "mmap(%s) = %s", path, cli_errname(r));
	}
	n = fc_vfs_map_load(c->p, map, 4096 + 10, c->big2, 100);
	CHECK(n == 100 && !memcmp(c->big2, c->big + 4096 + 10, 100),
	      "mapped load = %ld, data %s", n,
	      n == 100 && !memcmp(c->big2, c->big + 4096 + 10, 100) ? "equal" : "differs");
	memcpy(c->big + 5, "HELLO", 5);
	n = fc_vfs_map_store(c->p, map, 5, "HELLO", 5);
	CHECK(n == 5, "mapped store = %ld", n);
	r = fc_sys_msync(c->p, map, 0, len, FC_MS_SYNC);
	CHECK(r == 0, "msync(MS_SYNC) = %s", cli_errname(r));
	CHECK(wire(c, FC_WRITE) > w0 && wire(c, FC_FSYNC) > f0,
	      "msync sent %llu WRITE and %llu FSYNC requests",
	      (unsigned long long)(wire(c, FC_WRITE) - w0),
	      (unsigned long long)(wire(c, FC_FSYNC) - f0));
	memcpy(c->big + 2 * 4096 + 1, "again", 5);
	n = fc_vfs_map_store(c->p, map, 2 * 4096 + 1, "again", 5);
	CHECK(n == 5, "second mapped store = %ld", n);
	r = fc_sys_munmap(c->p, map);
	CHECK(r == 0, "munmap = %s", cli_errname(r));
	r = fc_sys_close(c->p, fd);
	CHECK(r == 0, "close after munmap = %s", cli_errname(r));
	/* Drop the cache so the check reads what the daemon holds. */
	fc_vfs_drop_caches(c->t->vfs);
	STEP(get(c, path, c->big2, MIB, &got, 65536));
	CHECK(got == len && !memcmp(c->big2, c->big, len),
	      "after munmap the file has %zu bytes, data %s", got,
	      got == len && !memcmp(c->big2, c->big, len) ? "equal" : "differs");
	sc_detail(c, "fault, store, msync, store, munmap: %llu WRITE, %llu FSYNC in all",
		  (unsigned long long)(wire(c, FC_WRITE) - w0),
		  (unsigned long long)(wire(c, FC_FSYNC) - f0));
	return 0;
}

static int sc_setattr(struct sc *c)
{
	const struct fc_conn_info *ci = fc_conn_info(c->t->conn);
	struct fc_vfs_timespec ts[2];
	struct fc_vfs_stat st;
	char path[PATHSZ];
	int r;

	P(c, path, "attrs");
	STEP(put(c, path, "x", 1, 0));
	TRY(r, fc_sys_chmod(c->p, path, 0600), "chmod(%s, 0600)", path);
	TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
	CHECK((st.mode & 07777) == 0600, "mode 0%o after chmod 0600", st.mode & 07777);
	TRY(r, fc_sys_chmod(c->p, path, 0644), "chmod(%s, 0644)", path);
	ts[0].tv_sec = 1000000000;	/* 2001-09-09 */
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 1234567890;
	ts[1].tv_nsec = 500000000;
	TRY(r, fc_sys_utimensat(c->p, FC_AT_FDCWD, path, ts, 0), "utimensat(%s)", path);
	TRY(r, fc_sys_stat(c->p, path, &st), "stat(%s)", path);
	CHECK(st.mtime.tv_sec == ts[1].tv_sec, "mtime %lld after utimensat(%lld)",
	      (long long)st.mtime.tv_sec, (long long)ts[1].tv_sec);
	CHECK(ci->time_gran > 500000000u || st.mtime.tv_nsec == ts[1].tv_nsec ||
	      st.mtime.tv_nsec == 0,
	      "mtime nanoseconds %lld after utimensat(.5 s)", (long long)st.mtime.tv_nsec);
	CHECK(st.atime.tv_sec == ts[0].tv_sec, "atime %lld after utimensat(%lld)",
	      (long long)st.atime.tv_sec, (long long)ts[0].tv_sec);
	TRY(r, fc_sys_chown(c->p, path, st.uid, st.gid), "chown(%s, %u, %u) to the same owner",
	    path, st.uid, st.gid);
	sc_detail(c, "chmod and utimensat read back by stat");
	return 0;
}

static int sc_fsync(struct sc *c)
{
	uint64_t f0 = wire(c, FC_FSYNC), fd0 = wire(c, FC_FSYNCDIR);
	char path[PATHSZ];
	int fd, r, r2, r3;

	P(c, path, "synced");
	TRY(fd, fc_sys_open(c->p, path, FC_O_RDWR | FC_O_CREAT, 0644), "open(%s)", path);
	pattern(c->big, 8192, 5);
	if (fc_sys_write(c->p, fd, c->big, 8192) != 8192) {
		fc_sys_close(c->p, fd);
		return sc_fail(c, "write(%s, 8192) failed", path);
	}
	r = fc_sys_fsync(c->p, fd);
	r2 = fc_sys_fdatasync(c->p, fd);
	fc_sys_close(c->p, fd);
	CHECK(r == 0, "fsync(%s) = %s", path, cli_errname(r));
	CHECK(r2 == 0, "fdatasync(%s) = %s", path, cli_errname(r2));
	TRY(fd, fc_sys_open(c->p, c->root, FC_O_RDONLY | FC_O_DIRECTORY, 0), "open(%s)", c->root);
	r3 = fc_sys_fsync(c->p, fd);
	fc_sys_close(c->p, fd);
	CHECK(r3 == 0, "fsync of a directory = %s", cli_errname(r3));
	if (fc_conn_nosys(c->t->conn, FC_FSYNC))
		sc_detail(c, "the daemon has no FSYNC (ENOSYS, remembered): fsync succeeds "
			  "without a request, as on Linux");
	else
		CHECK(wire(c, FC_FSYNC) - f0 >= 2, "fsync and fdatasync sent %llu FSYNC",
		      (unsigned long long)(wire(c, FC_FSYNC) - f0));
	sc_detail(c, "%llu FSYNC, %llu FSYNCDIR requests",
		  (unsigned long long)(wire(c, FC_FSYNC) - f0),
		  (unsigned long long)(wire(c, FC_FSYNCDIR) - fd0));
	return 0;
}

static int sc_xattr(struct sc *c)
{
	char path[PATHSZ], list_buf[4096], val[256];
	const char *name = "user.fusecore", *value = "conformance value";
	size_t vlen = strlen(value);
	long n, k;
	int r, found = 0;

	P(c, path, "xattrs");
	STEP(put(c, path, "x", 1, 0));
	r = fc_sys_setxattr(c->p, path, name, value, vlen, 0);
	if (r == -EOPNOTSUPP || r == -ENOTSUP || r == -ENOSYS) {
		if (fc_conn_nosys(c->t->conn, FC_SETXATTR))
			return sc_skip(c, "the daemon has no extended attributes "
				       "(SETXATTR answered ENOSYS)");
		return sc_skip(c, "the daemon does not support extended attributes here "
			       "(setxattr = -%s)", cli_errname(r));
	}
	c->rec->checks++;
	if (r < 0)
		return sc_syserr(c, r, "setxattr(%s, %s)", path, name);
	TRY(n, fc_sys_getxattr(c->p, path, name, NULL, 0), "getxattr(%s, %s, size 0)", path, name);
	CHECK(n == (long)vlen, "getxattr size query = %ld, expected %zu", n, vlen);
	TRY(n, fc_sys_getxattr(c->p, path, name, val, sizeof(val)), "getxattr(%s, %s)", path, name);
	CHECK(n == (long)vlen && !memcmp(val, value, vlen), "getxattr read back %ld bytes%s",
	      n, n == (long)vlen ? " that differ" : "");
	EXPECT_ERR(fc_sys_getxattr(c->p, path, name, val, 3), ERANGE,
		   "getxattr into a 3-byte buffer");
	EXPECT_ERR(fc_sys_setxattr(c->p, path, name, "y", 1, FC_XATTR_CREATE), EEXIST,
		   "setxattr(XATTR_CREATE) of an existing attribute");
	EXPECT_ERR(fc_sys_setxattr(c->p, path, "user.fusecore.none", "y", 1, FC_XATTR_REPLACE),
		   ENODATA, "setxattr(XATTR_REPLACE) of a missing attribute");
	TRY(n, fc_sys_listxattr(c->p, path, NULL, 0), "listxattr(%s, size 0)", path);
	CHECK(n > 0 && n < (long)sizeof(list_buf), "listxattr size query = %ld", n);
	TRY(k, fc_sys_listxattr(c->p, path, list_buf, sizeof(list_buf)), "listxattr(%s)", path);
	CHECK(k == n, "listxattr gave %ld bytes, the size query said %ld", k, n);
	{
		long off = 0;

		while (off < k) {
			size_t l = strnlen(list_buf + off, (size_t)(k - off));

			found |= !strcmp(list_buf + off, name);
			off += (long)l + 1;
		}
	}
	CHECK(found, "listxattr does not list %s", name);
	TRY(r, fc_sys_removexattr(c->p, path, name), "removexattr(%s, %s)", path, name);
	EXPECT_ERR(fc_sys_getxattr(c->p, path, name, val, sizeof(val)), ENODATA,
		   "getxattr after removexattr");
	EXPECT_ERR(fc_sys_removexattr(c->p, path, name), ENODATA, "removexattr twice");
	sc_detail(c, "set, get (with size query and ERANGE), list, CREATE/REPLACE flags, "
		  "remove");
	return 0;
}

/* ---- scenarios: locks ----------------------------------------------------------------- */

static int sc_posix_locks(struct sc *c)
{
	const struct fc_conn_info *ci = fc_conn_info(c->t->conn);
	uint64_t l0 = wire(c, FC_SETLK) + wire(c, FC_GETLK) + wire(c, FC_SETLKW), l1;
	struct fc_proc *b = NULL;
	struct fc_vfs_flock fl;
	char path[PATHSZ];
	int fa = -1, fb = -1, r, ret = -1;

	P(c, path, "locked");
	STEP(put(c, path, c->big, 4096, 0));
	r = fc_proc_new(c->t->vfs, 1001, NULL, &b);
	if (r < 0)
		return sc_syserr(c, r, "a second process");
#define LK(type_, start_, len_)                                                     \
	(memset(&fl, 0, sizeof(fl)), fl.l_type = (type_), fl.l_whence = FC_SEEK_SET,   \
	 fl.l_start = (start_), fl.l_len = (len_), &fl)
	fa = fc_sys_open(c->p, path, FC_O_RDWR, 0);
	fb = fc_sys_open(b, path, FC_O_RDWR, 0);
	if (fa < 0 || fb < 0) {
		sc_syserr(c, fa < 0 ? fa : fb, "open(%s) in two processes", path);
		goto out;
	}
	r = fc_sys_fcntl_lock(c->p, fa, FC_F_SETLK, LK(FC_F_WRLCK, 0, 100));
	if (r < 0) {
		sc_syserr(c, r, "process A: F_SETLK F_WRLCK [0,100)");
		goto out;
	}
	r = fc_sys_fcntl_lock(b, fb, FC_F_SETLK, LK(FC_F_RDLCK, 50, 10));
	c->rec->checks += 2;
	if (r != -EAGAIN && r != -EACCES) {
		sc_experr(c, r, EAGAIN, "process B: F_SETLK F_RDLCK [50,60) under A's write lock");
		goto out;
	}
	r = fc_sys_fcntl_lock(b, fb, FC_F_GETLK, LK(FC_F_WRLCK, 0, 0));
	c->rec->checks++;
	if (r < 0) {
		sc_syserr(c, r, "process B: F_GETLK");
		goto out;
	}
	c->rec->checks++;
	if (fl.l_type != FC_F_WRLCK || fl.l_start != 0 || fl.l_len != 100) {
		sc_fail(c, "F_GETLK reports type %d [%lld, +%lld), expected A's F_WRLCK [0, +100)",
			fl.l_type, (long long)fl.l_start, (long long)fl.l_len);
		goto out;
	}
	if (!ci->posix_locks && fl.l_pid != 1000) {
		sc_fail(c, "F_GETLK reports pid %d, expected 1000", fl.l_pid);
		goto out;
	}
	r = fc_sys_fcntl_lock(b, fb, FC_F_SETLK, LK(FC_F_WRLCK, 100, 50));
	c->rec->checks++;
	if (r < 0) {
		sc_syserr(c, r, "process B: F_SETLK F_WRLCK [100,150) next to A's lock");
		goto out;
	}
	r = fc_sys_fcntl_lock(c->p, fa, FC_F_SETLK, LK(FC_F_UNLCK, 0, 100));
	c->rec->checks++;
	if (r < 0) {
		sc_syserr(c, r, "process A: F_UNLCK");
		goto out;
	}
	r = fc_sys_fcntl_lock(b, fb, FC_F_SETLK, LK(FC_F_RDLCK, 50, 10));
	c->rec->checks++;
	if (r < 0) {
		sc_syserr(c, r, "process B: F_SETLK F_RDLCK [50,60) after A unlocked");
		goto out;
	}
	r = fc_sys_fcntl_lock(c->p, fa, FC_F_SETLK, LK(FC_F_WRLCK, 0, 0));
	c->rec->checks++;
	if (r != -EAGAIN && r != -EACCES) {
		sc_experr(c, r, EAGAIN, "process A: F_SETLK F_WRLCK on the whole file "
			  "while B holds locks");
		goto out;
	}
	/* Closing any descriptor of B releases B's locks (POSIX). */
	fc_sys_close(b, fb);
	fb = -1;
	r = fc_sys_fcntl_lock(c->p, fa, FC_F_SETLK, LK(FC_F_WRLCK, 0, 0));
	c->rec->checks++;
	if (r < 0) {
		sc_syserr(c, r, "process A: F_SETLK F_WRLCK after B closed the file");
		goto out;
	}
	l1 = wire(c, FC_SETLK) + wire(c, FC_GETLK) + wire(c, FC_SETLKW) - l0;
	c->rec->checks++;
	if (ci->posix_locks && l1 == 0) {
		sc_fail(c, "POSIX locks were negotiated but no GETLK/SETLK was sent");
		goto out;
	}
	if (!ci->posix_locks && l1 != 0) {
		sc_fail(c, "POSIX locks were not negotiated but %llu GETLK/SETLK were sent",
			(unsigned long long)l1);
		goto out;
	}
	sc_detail(c, "conflicts, F_GETLK, adjacent ranges, release on close; locks kept "
		  "by %s (%llu lock requests)", ci->posix_locks ? "the daemon" :
		  "the kernel side: the daemon did not grant POSIX_LOCKS",
		  (unsigned long long)l1);
	ret = 0;
out:
#undef LK
	if (fa >= 0)
		fc_sys_close(c->p, fa);
	if (fb >= 0)
		fc_sys_close(b, fb);
	fc_proc_exit(b);
	return ret;
}

static int sc_flock(struct sc *c)
{
	const struct fc_conn_info *ci = fc_conn_info(c->t->conn);
	uint64_t l0 = wire(c, FC_SETLK) + wire(c, FC_SETLKW), l1;
	char path[PATHSZ];
	int f1 = -1, f2 = -1, f3 = -1, r, ret = -1;
	unsigned i;

	P(c, path, "flocked");
	STEP(put(c, path, "f", 1, 0));
	f1 = fc_sys_open(c->p, path, FC_O_RDWR, 0);
	f2 = fc_sys_open(c->p, path, FC_O_RDWR, 0);
	if (f1 < 0 || f2 < 0) {
		sc_syserr(c, f1 < 0 ? f1 : f2, "open(%s) twice", path);
		goto out;
	}
#define FL(fd, op, want, what)                                                         \
	do {                                                                           \
		r = fc_sys_flock(c->p, (fd), (op));                                    \
		c->rec->checks++;                                                      \
		if (r != (want)) {                                                     \
			if ((want) == 0)                                               \
				sc_syserr(c, r, "%s", (what));                         \
			else                                                           \
				sc_experr(c, r, -(want), "%s", (what));                \
			goto out;                                                      \
		}                                                                      \
	} while (0)
	FL(f1, FC_LOCK_EX, 0, "flock(fd1, LOCK_EX)");
	FL(f2, FC_LOCK_EX | FC_LOCK_NB, -EAGAIN, "flock(fd2, LOCK_EX|LOCK_NB) while fd1 holds LOCK_EX");
	FL(f2, FC_LOCK_SH | FC_LOCK_NB, -EAGAIN, "flock(fd2, LOCK_SH|LOCK_NB) while fd1 holds LOCK_EX");
	FL(f1, FC_LOCK_UN, 0, "flock(fd1, LOCK_UN)");
	FL(f2, FC_LOCK_SH | FC_LOCK_NB, 0, "flock(fd2, LOCK_SH|LOCK_NB) after the unlock");
	FL(f1, FC_LOCK_SH | FC_LOCK_NB, 0, "flock(fd1, LOCK_SH|LOCK_NB) next to another shared lock");
	FL(f1, FC_LOCK_EX | FC_LOCK_NB, -EAGAIN, "flock(fd1, LOCK_EX|LOCK_NB) while fd2 holds LOCK_SH");
	fc_sys_close(c->p, f2);
	f2 = -1;
	/*
	 * fd2's lock goes with its RELEASE (FLOCK_UNLOCK), which is sent in
	 * the background, as Linux's fuse_file_put does: a multi-threaded
	 * daemon may serve the next SETLK first.  Give it a moment (at most
	 * 200 ms) before calling the lock kept.
	 */
	for (i = 0; i < 200; i++) {
		struct timespec ms = { 0, 1000000 };

		if (fc_sys_flock(c->p, f1, FC_LOCK_EX | FC_LOCK_NB) != -EAGAIN)
			break;
		nanosleep(&ms, NULL);
	}
	FL(f1, FC_LOCK_EX | FC_LOCK_NB, 0, "flock(fd1, LOCK_EX|LOCK_NB) after fd2 was closed");
	f3 = fc_sys_dup(c->p, f1);
	FL(f3, FC_LOCK_EX | FC_LOCK_NB, 0, "flock on a dup of the holder");
#undef FL
	l1 = wire(c, FC_SETLK) + wire(c, FC_SETLKW) - l0;
	c->rec->checks++;
	if (ci->flock_locks && l1 == 0) {
		sc_fail(c, "flock locks were negotiated but no SETLK was sent");
		goto out;
	}
	if (!ci->flock_locks && l1 != 0) {
		sc_fail(c, "flock locks were not negotiated but %llu SETLK were sent",
			(unsigned long long)l1);
		goto out;
	}
	sc_detail(c, "exclusive/shared conflicts between open files, release on close, "
		  "dup shares the lock; kept by %s", ci->flock_locks ? "the daemon" :
		  "the kernel side: the daemon did not grant FLOCK_LOCKS");
	ret = 0;
out:
	if (f3 >= 0)
		fc_sys_close(c->p, f3);
	if (f2 >= 0)
		fc_sys_close(c->p, f2);
	if (f1 >= 0)
		fc_sys_close(c->p, f1);
	return ret;
}

/* ---- scenarios: errors, concurrency, cleanup, protocol ------------------------------- */

static int sc_errors(struct sc *c)
{
	char file[PATHSZ], path[PATHSZ];
	struct fc_vfs_stat st;
	int r;

	P(c, file, "plain");
	STEP(put(c, file, "p", 1, 0));
	P(c, path, "missing");
	EXPECT_ERR(fc_sys_open(c->p, path, FC_O_RDONLY, 0), ENOENT, "open(%s)", path);
	EXPECT_ERR(fc_sys_stat(c->p, path, &st), ENOENT, "stat(%s)", path);
	EXPECT_ERR(fc_sys_open(c->p, file, FC_O_RDWR | FC_O_CREAT | FC_O_EXCL, 0644), EEXIST,
		   "open(%s, O_CREAT|O_EXCL) of an existing file", file);
	P(c, path, "plain/below");
	EXPECT_ERR(fc_sys_stat(c->p, path, &st), ENOTDIR, "stat(%s) through a file", path);
	EXPECT_ERR(fc_sys_open(c->p, path, FC_O_RDWR | FC_O_CREAT, 0644), ENOTDIR,
		   "create below a file");
	EXPECT_ERR(fc_sys_rmdir(c->p, file), ENOTDIR, "rmdir(%s) of a file", file);
	EXPECT_ERR(fc_sys_open(c->p, c->root, FC_O_WRONLY, 0), EISDIR,
		   "open(%s, O_WRONLY) of a directory", c->root);
	EXPECT_ERR(fc_sys_open(c->p, file, FC_O_RDONLY | FC_O_DIRECTORY, 0), ENOTDIR,
		   "open(%s, O_DIRECTORY) of a file", file);
	P(c, path, "missing/x");
	EXPECT_ERR(fc_sys_mkdir(c->p, path, 0755), ENOENT, "mkdir(%s) in a missing directory",
		   path);
	TRY(r, fc_sys_stat(c->p, file, &st), "stat(%s) after the errors", file);
	sc_detail(c, "ENOENT, EEXIST, ENOTDIR, EISDIR where Linux gives them");
	return 0;
}

struct worker {
	struct sc *c;
	struct fc_proc *p;
	unsigned id;
	unsigned char *buf, *back;
	char failure[512];
	unsigned ops;
};

#define WORKERS 8
#define WORKER_ROUNDS 8
#define WORKER_CHUNK (64u * 1024u)

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char path[PATHSZ], other[PATHSZ];
	struct fc_vfs_stat st;
	unsigned round;
	long n;
	int fd, r;

	cli_fmt(path, sizeof(path), "%s/conc/t%u", w->c->root, w->id);
	fd = fc_sys_open(w->p, path, FC_O_RDWR | FC_O_CREAT | FC_O_EXCL, 0644);
	if (fd < 0) {
		cli_fmt(w->failure, sizeof(w->failure), "thread %u: create %s: %s", w->id,
			 path, cli_errname(fd));
		return NULL;
	}
	for (round = 0; round < WORKER_ROUNDS; round++) {
		pattern(w->buf, WORKER_CHUNK, w->id * 100 + round);
		n = fc_sys_pwrite(w->p, fd, w->buf, WORKER_CHUNK,
				  (int64_t)round * WORKER_CHUNK);
		if (n != (long)WORKER_CHUNK) {
			cli_fmt(w->failure, sizeof(w->failure), "thread %u: pwrite round %u = %ld",
				 w->id, round, n);
			break;
		}
		n = fc_sys_pread(w->p, fd, w->back, WORKER_CHUNK, (int64_t)round * WORKER_CHUNK);
		if (n != (long)WORKER_CHUNK || memcmp(w->buf, w->back, WORKER_CHUNK)) {
			cli_fmt(w->failure, sizeof(w->failure), "thread %u: pread round %u = %ld%s",
				 w->id, round, n, n == (long)WORKER_CHUNK ? ", wrong data" : "");
			break;
		}
		cli_fmt(other, sizeof(other), "%s/conc/t%u", w->c->root,
			 (w->id + round + 1) % WORKERS);
		r = fc_sys_stat(w->p, other, &st);	/* may not exist yet */
		if (r < 0 && r != -ENOENT) {
			cli_fmt(w->failure, sizeof(w->failure), "thread %u: stat(%s) = %s",
				 w->id, other, cli_errname(r));
			break;
		}
		/*
		 * Another thread's stat() of this file may have had a LOOKUP
		 * or GETATTR in flight across the write: its older size must
		 * not come back (fuse_change_attributes, attr_version).
		 */
		r = fc_sys_fstat(w->p, fd, &st);
		if (r < 0 || st.size != (int64_t)(round + 1) * WORKER_CHUNK) {
			cli_fmt(w->failure, sizeof(w->failure), "thread %u: fstat = %s, size %lld",
				 w->id, r < 0 ? cli_errname(r) : "0",
				 r < 0 ? -1LL : (long long)st.size);
			break;
		}
		w->ops += 4;
	}
	r = fc_sys_close(w->p, fd);
	if (r < 0 && !w->failure[0])
		cli_fmt(w->failure, sizeof(w->failure), "thread %u: close = %s", w->id,
			 cli_errname(r));
	return NULL;
}

struct monitor {
	struct cli_target *t;
	atomic_int stop;
	uint64_t peak;
};

static void *monitor_main(void *arg)
{
	struct monitor *m = arg;
	struct timespec ts = { 0, 100000 };

	while (!atomic_load(&m->stop)) {
		struct fc_conn_stats s;
		struct cli_wire_stats w;
		uint64_t inflight;

		fc_conn_stats(m->t->conn, &s);
		cli_target_wire(m->t, &w);
		inflight = s.requests - s.replies;
		inflight = inflight > w.noreply ? inflight - w.noreply : 0;
		if (inflight > m->peak && inflight < 1u << 20)
			m->peak = inflight;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int sc_concurrency(struct sc *c)
{
	struct worker w[WORKERS];
	pthread_t th[WORKERS], mon;
	struct monitor m;
	char dir[PATHSZ];
	uint64_t r0 = requests_now(c->t);
	unsigned i, ops = 0;
	int r, started = 0, ret = 0;

	P(c, dir, "conc");
	TRY(r, fc_sys_mkdir(c->p, dir, 0755), "mkdir(%s)", dir);
	memset(w, 0, sizeof(w));
	for (i = 0; i < WORKERS; i++) {
		w[i].c = c;
		w[i].id = i;
		w[i].buf = malloc(WORKER_CHUNK);
		w[i].back = malloc(WORKER_CHUNK);
		r = fc_proc_new(c->t->vfs, 2000 + i, NULL, &w[i].p);
		if (!w[i].buf || !w[i].back || r < 0) {
			ret = sc_fail(c, "cannot set up thread %u", i);
			goto out;
		}
	}
	memset(&m, 0, sizeof(m));
	m.t = c->t;
	atomic_init(&m.stop, 0);
	if (pthread_create(&mon, NULL, monitor_main, &m) != 0) {
		ret = sc_fail(c, "cannot start a thread");
		goto out;
	}
	for (i = 0; i < WORKERS; i++) {
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < (unsigned)started; i++)
		pthread_join(th[i], NULL);
	atomic_store(&m.stop, 1);
	pthread_join(mon, NULL);
	if (started < WORKERS) {
		ret = sc_fail(c, "started only %d of %u threads", started, WORKERS);
		goto out;
	}
	for (i = 0; i < WORKERS; i++) {
		c->rec->checks += w[i].ops;
		ops += w[i].ops;
		if (w[i].failure[0]) {
			ret = sc_fail(c, "%s", w[i].failure);
			goto out;
		}
	}
	/* Every file whole and right afterwards. */
	for (i = 0; i < WORKERS && ret == 0; i++) {
		char path[PATHSZ];
		size_t got;
		unsigned round;

		cli_fmt(path, sizeof(path), "%s/t%u", dir, i);
		if (get(c, path, c->big, MIB, &got, 256 * KIB) < 0) {
			ret = -1;
			break;
		}
		if (got != WORKER_ROUNDS * WORKER_CHUNK) {
			ret = sc_fail(c, "%s holds %zu bytes, expected %u", path, got,
				      WORKER_ROUNDS * WORKER_CHUNK);
			break;
		}
		for (round = 0; round < WORKER_ROUNDS; round++) {
			pattern(c->big2, WORKER_CHUNK, i * 100 + round);
			if (memcmp(c->big2, c->big + round * WORKER_CHUNK, WORKER_CHUNK)) {
				ret = sc_fail(c, "%s: chunk %u holds another thread's data or "
					      "garbage", path, round);
				break;
			}
		}
		c->rec->checks++;
	}
	if (ret == 0) {
		c->rec->checks++;
		if (!cli_target_alive(c->t))
			ret = sc_fail(c, "the connection did not survive the threads");
	}
	if (ret == 0)
		sc_detail(c, "%u threads (one process each), %u system calls, %llu requests, "
			  "up to %llu in flight at once", WORKERS, ops,
			  (unsigned long long)(requests_now(c->t) - r0),
			  (unsigned long long)m.peak);
out:
	for (i = 0; i < WORKERS; i++) {
		if (w[i].p)
			fc_proc_exit(w[i].p);
		free(w[i].buf);
		free(w[i].back);
	}
	return ret;
}

static int sc_cleanup(struct sc *c)
{
	uint64_t f0 = wire(c, FC_FORGET) + wire(c, FC_BATCH_FORGET), f1;
	struct fc_vfs_stat st;
	struct names ns;
	unsigned nodes;
	long at;

	STEP(rm_tree(c, c->root));
	EXPECT_ERR(fc_sys_stat(c->p, c->root, &st), ENOENT, "stat(%s) after removing it",
		   c->root);
	STEP(list(c, c->t->opts.mountpoint, 4096, &ns));
	at = find_name(&ns, strrchr(c->root, '/') + 1);
	names_free(&ns);
	CHECK(at < 0, "the mount root still lists the removed scratch directory");
	c->root[0] = 0;
	c->writable = 0;
	/* Unused dentries go: their nodes' lookups are returned with FORGET. */
	fc_vfs_drop_caches(c->t->vfs);
	fc_client_flush_forgets(c->t->cl);
	f1 = wire(c, FC_FORGET) + wire(c, FC_BATCH_FORGET) - f0;
	nodes = fc_client_nnodes(c->t->cl);
	CHECK(f1 > 0 || nodes <= 2, "drop_caches sent no FORGET and %u nodes stay", nodes);
	CHECK(nodes <= 4, "%u nodes stay in the client's table after drop_caches", nodes);
	sc_detail(c, "scratch tree removed; drop_caches sent %llu FORGET/BATCH_FORGET, "
		  "%u node%s left", (unsigned long long)f1, nodes, nodes == 1 ? "" : "s");
	return 0;
}

static int sc_protocol(struct sc *c)
{
	struct fc_conn_stats s;
	struct cli_wire_stats w;
	uint64_t bad;
	int r;

	r = fc_conn_wait_background(c->t->conn);
	CHECK(r == 0, "waiting for background requests: %s", cli_errname(r));
	fc_conn_stats(c->t->conn, &s);
	cli_target_wire(c->t, &w);
	bad = s.bad_short + s.bad_len + s.bad_error + s.bad_unique + s.bad_size +
	      s.bad_err_payload + s.bad_interrupt + s.bad_notify + s.bad_content;
	CHECK(bad == 0, "%llu replies rejected: short %llu, length %llu, error %llu, "
	      "unique %llu, size %llu, error with payload %llu, interrupt %llu, notify %llu, "
	      "content %llu", (unsigned long long)bad, (unsigned long long)s.bad_short,
	      (unsigned long long)s.bad_len, (unsigned long long)s.bad_error,
	      (unsigned long long)s.bad_unique, (unsigned long long)s.bad_size,
	      (unsigned long long)s.bad_err_payload, (unsigned long long)s.bad_interrupt,
	      (unsigned long long)s.bad_notify, (unsigned long long)s.bad_content);
	CHECK(w.send_errors == 0, "%llu requests could not be sent",
	      (unsigned long long)w.send_errors);
	if (!strcmp(fc_conn_transport(c->t->conn)->ops->name, "fd")) {
		struct fc_fd_stats fs;

		fc_fd_transport_stats(fc_conn_transport(c->t->conn), &fs);
		CHECK(fs.rx_rejected == 0 && fs.rx_truncated == 0,
		      "the fd transport rejected %llu and truncated %llu messages",
		      (unsigned long long)fs.rx_rejected, (unsigned long long)fs.rx_truncated);
	}
#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
	if (!strcmp(fc_conn_transport(c->t->conn)->ops->name, "virtiofs")) {
		struct fc_virtiofs_stats vs;

		fc_virtiofs_stats(fc_conn_transport(c->t->conn), &vs);
		CHECK(vs.bad_len == 0 && vs.bad_unique == 0 && vs.rings_broken == 0,
		      "the virtio-fs transport saw %llu used lengths out of range, %llu replies "
		      "naming another request, %llu broken rings",
		      (unsigned long long)vs.bad_len, (unsigned long long)vs.bad_unique,
		      (unsigned long long)vs.rings_broken);
	}
#endif
	CHECK(s.requests == s.replies + w.noreply + s.interrupts ||
	      s.requests == s.replies + w.noreply,
	      "%llu requests, %llu replies, %llu without reply: %lld unanswered",
	      (unsigned long long)s.requests, (unsigned long long)s.replies,
	      (unsigned long long)w.noreply,
	      (long long)(s.requests - s.replies - w.noreply));
	CHECK(cli_target_alive(c->t), "the connection is no longer READY");
	sc_detail(c, "%llu requests, %llu replies, %llu without reply, %llu notifications, "
		  "0 rejected", (unsigned long long)s.requests, (unsigned long long)s.replies,
		  (unsigned long long)w.noreply, (unsigned long long)s.notifications);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

struct scenario {
	const char *id;
	const char *title;
	int writes;   /* needs the scratch directory */
	int (*fn)(struct sc *c);
};

static const struct scenario scenarios[] = {
	{ "init", "FUSE_INIT negotiated sanely", 0, sc_init },
	{ "root", "the mount root is a directory", 0, sc_root },
	{ "statfs", "statfs answers are consistent", 0, sc_statfs },
	{ "tree", "the existing tree: readdir, lookup, read", 0, sc_tree },
	{ "scratch", "a scratch directory can be made", 0, sc_scratch },
	{ "create-rw", "create, write, read back 0 B .. 1 MiB", 1, sc_create_rw },
	{ "append", "O_APPEND, pwrite, O_TRUNC", 1, sc_append },
	{ "rename", "rename: plain, over a file, across dirs", 1, sc_rename },
	{ "readdir", "readdir lists exactly the created names", 1, sc_readdir },
	{ "unlink", "unlink removes the name, not open data", 1, sc_unlink },
	{ "mkdir", "mkdir and rmdir", 1, sc_mkdir },
	{ "symlink", "symlink and readlink", 1, sc_symlink },
	{ "link", "hard links", 1, sc_link },
	{ "truncate", "truncate and ftruncate", 1, sc_truncate },
	{ "mmap", "shared mapping: fault, store, msync, munmap", 1, sc_mmap },
	{ "setattr", "chmod, utimensat, chown", 1, sc_setattr },
	{ "fsync", "fsync, fdatasync, fsync of a directory", 1, sc_fsync },
	{ "xattr", "extended attributes", 1, sc_xattr },
	{ "posix-locks", "fcntl record locks between processes", 1, sc_posix_locks },
	{ "flock", "flock between open files", 1, sc_flock },
	{ "errors", "error numbers of failing calls", 1, sc_errors },
	{ "concurrency", "8 threads with requests in flight", 1, sc_concurrency },
	{ "cleanup", "remove the scratch tree, forget nodes", 1, sc_cleanup },
	{ "protocol", "no rejected replies, none unanswered", 0, sc_protocol },
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* ---- the watchdog: a scenario that hangs aborts the connection ----------------------- */

struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	double deadline;     /* 0: idle */
	int quit, fired;
	struct cli_target *t;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->quit) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000l;
		if (ts.tv_nsec >= 1000000000l) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000l;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		if (w->deadline > 0 && cli_now() > w->deadline && !w->fired) {
			w->fired = 1;
			/* Every waiter gets ENOTCONN: the run can end. */
			fc_conn_abort(w->t->conn);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the command --------------------------------------------------------------------- */

static void usage(FILE *f)
{
	unsigned i;

	fprintf(f,
		"usage: fusecore run [OPTIONS] -- DAEMON ARGS...\n"
		"\n"
		"Launch DAEMON, mount it in a simulated kernel and run the conformance\n"
		"scenarios: short system-call workloads whose results are checked against\n"
		"what POSIX and Linux promise, plus protocol checks on the requests sent and\n"
		"the replies received.  Prints a report (progress on a terminal, one line per\n"
		"scenario otherwise) and exits 0 if nothing failed.\n"
		"\n"
		"Options:\n"
		"  --tap               TAP version 13 on standard output instead of the report\n"
		"  --junit FILE        also write JUnit XML to FILE\n"
		"  --json FILE         also write the results as JSON to FILE\n"
		"  --only ID[,ID...]   run only these scenarios\n"
		"  --skip ID[,ID...]   do not run these scenarios\n"
		"  --timeout SECONDS   a scenario running longer fails and ends the run (60)\n"
		"  --keep              keep the scratch directory\n"
		"  --list              list the scenarios and exit\n"
		"  -q, --quiet         only the summary (and failures)\n"
		"  -h, --help          this text\n");
	cli_target_usage(f);
	fprintf(f, "\nScenarios:\n");
	for (i = 0; i < NSCEN; i++)
		fprintf(f, "  %-13s %s%s\n", scenarios[i].id, scenarios[i].title,
			scenarios[i].writes ? "" : " (read-only)");
	fprintf(f,
		"\nExamples:\n"
		"  fusecore run -- passthrough_ll -f -o source=/tmp/src\n"
		"  fusecore run --tap --junit report.xml -- hello_ll -f\n"
		"  fusecore run --mode preload -- ./myfs -f %%m\n\n");
	cli_print_exit_codes(f);
}

static int in_list(const char *list, const char *id)
{
	size_t n = strlen(id);
	const char *p = list;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !strncmp(p, id, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

static int check_list(const char *list)
{
	const char *p = list;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		unsigned i;
		int ok = 0;

		for (i = 0; i < NSCEN; i++)
			ok |= strlen(scenarios[i].id) == len && !strncmp(scenarios[i].id, p, len);
		if (!ok) {
			fprintf(stderr, "fusecore run: unknown scenario '%.*s' (see --list)\n",
				(int)len, p);
			return -1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* The progress line on a terminal. */
static void progress(const struct report *rep, unsigned i, const char *id)
{
	printf("\r\033[K[%u/%u] %s ...  %u passed, %u failed, %u skipped", i + 1, rep->n, id,
	       rep->passed, rep->failed, rep->skipped);
	fflush(stdout);
}

int cli_run_main(int argc, char **argv)
{
	struct cli_target_opts o;
	struct cli_target t;
	struct report rep;
	struct scen_record recs[NSCEN];
	struct sc c;
	struct watchdog wd;
	pthread_t wdt;
	const char *junit = NULL, *json = NULL, *only = NULL, *skip = NULL, *v;
	int tap = 0, quiet = 0, keep = 0, list_only = 0, tty, code, i, r;
	unsigned timeout = 60, k;
	double t0;
	char cmdline[1024] = "", gone_in[64] = "";

	cli_target_opts_default(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (!strcmp(a, "--tap")) {
			tap = 1;
			continue;
		}
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (!strcmp(a, "--keep")) {
			keep = 1;
			continue;
		}
		if (!strcmp(a, "--list")) {
			list_only = 1;
			continue;
		}
#define STROPT(name, var)                                                          \
	if (cli_opt(a, name, &v)) {                                                \
		if (!v) {                                                          \
			if (i + 1 >= argc) {                                       \
				fprintf(stderr, "fusecore run: %s needs a value\n", name); \
				return CLI_EXIT_USAGE;                             \
			}                                                          \
			v = argv[++i];                                             \
		}                                                                  \
		var = v;                                                           \
		continue;                                                          \
	}
		STROPT("--junit", junit)
		STROPT("--json", json)
		STROPT("--only", only)
		STROPT("--skip", skip)
		if (cli_opt(a, "--timeout", &v)) {
			const char *tv = v;

			if (!tv) {
				if (i + 1 >= argc) {
					fprintf(stderr, "fusecore run: --timeout needs a value\n");
					return CLI_EXIT_USAGE;
				}
				tv = argv[++i];
			}
			timeout = (unsigned)strtoul(tv, NULL, 10);
			if (timeout == 0) {
				fprintf(stderr, "fusecore run: bad --timeout '%s'\n", tv);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
#undef STROPT
		r = cli_target_parse(&o, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0) {
			if (a[0] == '-') {
				fprintf(stderr, "fusecore run: unknown option %s (see --help)\n", a);
				return CLI_EXIT_USAGE;
			}
			break;	/* the daemon command without "--" */
		}
	}
	if (list_only) {
		for (k = 0; k < NSCEN; k++)
			printf("%-13s %s%s\n", scenarios[k].id, scenarios[k].title,
			       scenarios[k].writes ? "" : " (read-only)");
		return CLI_EXIT_OK;
	}
	if ((only && check_list(only) < 0) || (skip && check_list(skip) < 0))
		return CLI_EXIT_USAGE;
	o.argv = argv + i;
	o.argc = argc - i;
	if (o.transport == CLI_TRANSPORT_FD && o.argc < 1) {
		fprintf(stderr, "fusecore run: no daemon command "
			"(fusecore run [OPTIONS] -- DAEMON ARGS...)\n");
		return CLI_EXIT_USAGE;
	}
	for (k = 0; k < (unsigned)o.argc; k++) {
		size_t n = strlen(cmdline);

		cli_fmt(cmdline + n, sizeof(cmdline) - n, "%s%s", k ? " " : "", o.argv[k]);
	}
	if (!o.argc && o.source)
		cli_fmt(cmdline, sizeof(cmdline), "virtiofsd --source %s", o.source);

	tty = !tap && !quiet && isatty(STDOUT_FILENO);
	t0 = cli_now();
	code = cli_target_up(&t, &o);
	if (code != CLI_EXIT_OK) {
		fprintf(stderr, "fusecore run: %s\n", t.message);
		cli_target_show_log(&t, stderr, 12);
		if (tap) {
			/* A plan of zero with the reason: the TAP consumer sees a bail-out. */
			printf("TAP version 13\n1..0\nBail out! %s\n", t.message);
		}
		return code;
	}

	memset(&rep, 0, sizeof(rep));
	memset(recs, 0, sizeof(recs));
	rep.daemon = t.name;
	rep.command = cmdline;
	rep.transport = t.transport_desc;
	rep.mountpoint = o.mountpoint;
	rep.v = recs;
	{
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(rep.timestamp, sizeof(rep.timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	{
		const struct fc_conn_info *ci = fc_conn_info(t.conn);

		cli_fmt(rep.protocol, sizeof(rep.protocol), "7.%u: max_write %u, max_pages %u, "
			 "flags 0x%llx, posix locks %s, flock %s", ci->minor, ci->max_write,
			 ci->max_pages, (unsigned long long)ci->flags,
			 ci->posix_locks ? "daemon" : "local", ci->flock_locks ? "daemon" : "local");
		if (t.pc) {
			size_t n = strlen(rep.protocol);

			cli_fmt(rep.protocol + n, sizeof(rep.protocol) - n, "; page cache %u pages, %s",
				o.page_cache, fc_cache_writeback_mode(t.cl) ? "writeback-cache mode" :
				"write-through");
		} else {
			size_t n = strlen(rep.protocol);

			cli_fmt(rep.protocol + n, sizeof(rep.protocol) - n, "; uncached I/O");
		}
	}
	for (k = 0; k < NSCEN; k++) {
		if (only && !in_list(only, scenarios[k].id) && strcmp(scenarios[k].id, "scratch") &&
		    strcmp(scenarios[k].id, "cleanup"))
			continue;
		if (skip && in_list(skip, scenarios[k].id))
			continue;
		recs[rep.n].id = scenarios[k].id;
		recs[rep.n].title = scenarios[k].title;
		rep.n++;
	}
	if (!tap && !quiet)
		printf("fusecore run: %s over %s, mounted on %s\nFUSE %s\n\n", t.name,
		       t.transport_desc, o.mountpoint, rep.protocol);
	fflush(stdout);

	memset(&c, 0, sizeof(c));
	c.t = &t;
	c.p = t.proc;
	c.big = malloc(MIB + 4096);
	c.big2 = malloc(MIB + 4096);
	if (!c.big || !c.big2) {
		fprintf(stderr, "fusecore run: out of memory\n");
		free(c.big);
		free(c.big2);
		cli_target_down(&t);
		return CLI_EXIT_SETUP;
	}
	memset(&wd, 0, sizeof(wd));
	pthread_mutex_init(&wd.lock, NULL);
	pthread_cond_init(&wd.cond, NULL);
	wd.t = &t;
	if (pthread_create(&wdt, NULL, watchdog_main, &wd) != 0) {
		fprintf(stderr, "fusecore run: cannot start a thread\n");
		free(c.big);
		free(c.big2);
		cli_target_down(&t);
		return CLI_EXIT_SETUP;
	}

	for (k = 0; k < rep.n; k++) {
		const struct scenario *s = NULL;
		struct scen_record *rec = &recs[k];
		uint64_t req0;
		double s0;
		unsigned j;

		for (j = 0; j < NSCEN; j++)
			if (scenarios[j].id == rec->id)
				s = &scenarios[j];
		c.rec = rec;
		if (tty)
			progress(&rep, k, rec->id);
		if (gone_in[0]) {
			sc_skip(&c, "not run: the daemon went away during '%s'", gone_in);
		} else if (wd.fired) {
			sc_skip(&c, "not run: the run was stopped after a scenario hung");
		} else if (s->writes && !c.writable) {
			if (!strcmp(rec->id, "cleanup") && keep)
				sc_skip(&c, "--keep");
			else
				sc_skip(&c, "%s", c.ro_reason[0] ? c.ro_reason :
					"no scratch directory (the 'scratch' scenario did not run)");
		} else if (!strcmp(rec->id, "cleanup") && keep) {
			sc_skip(&c, "--keep: the scratch directory %s stays", c.root);
		} else {
			req0 = requests_now(&t);
			s0 = cli_now();
			pthread_mutex_lock(&wd.lock);
			wd.deadline = s0 + timeout;
			pthread_mutex_unlock(&wd.lock);
			r = s->fn(&c);
			pthread_mutex_lock(&wd.lock);
			wd.deadline = 0;
			pthread_mutex_unlock(&wd.lock);
			rec->seconds = cli_now() - s0;
			rec->requests = requests_now(&t) - req0;
			if (r < 0 && rec->result != SCEN_FAIL)
				sc_fail(&c, "failed");
			if (wd.fired) {
				char keepmsg[sizeof(rec->message)];

				cli_fmt(keepmsg, sizeof(keepmsg), "%s", rec->message);
				rec->result = SCEN_PASS;
				sc_fail(&c, "timed out after %u s (the connection was aborted)%s%s",
					timeout, keepmsg[0] ? "; " : "", keepmsg);
				cli_fmt(rep.problem, sizeof(rep.problem), "scenario '%s' hung for "
					 "%u s; the run was stopped", rec->id, timeout);
			} else if (!cli_target_alive(&t)) {
				cli_fmt(gone_in, sizeof(gone_in), "%s", rec->id);
				if (rec->result != SCEN_FAIL)
					sc_fail(&c, "the daemon went away");
			}
		}
		switch (rec->result) {
		case SCEN_PASS: rep.passed++; break;
		case SCEN_FAIL: rep.failed++; break;
		case SCEN_SKIP: rep.skipped++; break;
		}
		if (!tty && !tap && (!quiet || rec->result == SCEN_FAIL)) {
			report_text_line(stdout, &rep, k);
			fflush(stdout);
		}
	}
	if (tty)
		printf("\r\033[K");
	/* Leave no scratch tree behind after a failure (best effort). */
	if (c.root[0] && !keep && cli_target_alive(&t)) {
		struct scen_record scratch_rec;

		memset(&scratch_rec, 0, sizeof(scratch_rec));
		c.rec = &scratch_rec;
		rm_tree(&c, c.root);
	}
	pthread_mutex_lock(&wd.lock);
	wd.quit = 1;
	pthread_cond_signal(&wd.cond);
	pthread_mutex_unlock(&wd.lock);
	pthread_join(wdt, NULL);
	pthread_mutex_destroy(&wd.lock);
	pthread_cond_destroy(&wd.cond);
	free(c.big);
	free(c.big2);

	rep.requests = requests_now(&t);
	r = cli_target_down(&t);
	rep.seconds = cli_now() - t0;
	if (r != CLI_EXIT_OK && !rep.problem[0])
		cli_fmt(rep.problem, sizeof(rep.problem), "%s%s%s", t.message,
			 gone_in[0] ? ", during scenario " : "", gone_in);

	if (tap)
		report_tap(stdout, &rep);
	else
		report_text(stdout, &rep, tty);
	fflush(stdout);
	if (r != CLI_EXIT_OK)
		cli_target_show_log(&t, stderr, 12);
	if (junit && (k = (unsigned)-report_junit(junit, &rep)) != 0) {
		fprintf(stderr, "fusecore run: cannot write %s: %s\n", junit, strerror((int)k));
		return CLI_EXIT_SETUP;
	}
	if (json && (k = (unsigned)-report_json(json, &rep)) != 0) {
		fprintf(stderr, "fusecore run: cannot write %s: %s\n", json, strerror((int)k));
		return CLI_EXIT_SETUP;
	}
	if (r != CLI_EXIT_OK)
		return wd.fired ? CLI_EXIT_FAILED : r;
	if (wd.fired)
		return CLI_EXIT_FAILED;
	return rep.failed ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
