/*
 * refdaemon - the reference FUSE daemon of libfusecore's tests.
 *
 * An in-memory filesystem on libfuse3's low-level API that any kernel side
 * (Linux, or libfusecore through fusecore/launch.h) can drive, with knobs
 * for the awkward answers real daemons give, and a log of every request it
 * receives so that tests can check exactly what the kernel side sent.
 *
 *   refdaemon [-f] [-d] [-o OPTIONS] MOUNTPOINT
 *
 * It always runs in the foreground and single-threaded (requests are
 * handled, and logged, in arrival order).  Options of its own (-o, comma
 * separated; anything else goes to libfuse):
 *
 *   log=FILE          append one line per request received to FILE
 *   seed              start with /hello ("Hello World!\n"), /dir/,
 *                     /dir/file ("file\n") and /link -> hello
 *   fh0               answer OPEN, OPENDIR and CREATE with fh 0
 *   nosys=OP[:OP...]  answer ENOSYS to these requests: open, opendir,
 *                     flush, fsync, fsyncdir, access, create, getlk,
 *                     setlk, flock, fallocate, lseek, xattr, statfs
 *                     ("nosys=open" also asks for FUSE_NO_OPEN_SUPPORT)
 *   fail_wb_write     fail a writeback WRITE (write_flags has
 *                     FUSE_WRITE_CACHE) with EIO
 *   reuse_ino         give a freed nodeid to the next new inode, with
 *                     the generation increased
 *   submount=PREFIX   directories whose name starts with PREFIX carry
 *                     FUSE_ATTR_SUBMOUNT in entry and attribute replies
 *   selfmount         open /dev/fuse and mount(2) itself (with the
 *                     launcher's preload shim: the socket, and no mount),
 *                     instead of fuse_session_mount()
 *
 * Log lines are "key=value" words; every line has op, opcode, unique,
 * nodeid, uid, gid, pid, fh, flags and lock_owner (0 where the request has
 * none), then the request's own fields (WRITE: write_flags, offset, size;
 * READ: read_flags, offset, size; GETLK/SETLK/SETLKW: owner, type, start,
 * end, lk_pid, lk_flags; ...).  Names are printed with C escapes.
 *
 * DESTROY ends the daemon with exit status 0; the kernel side closing its
 * end without DESTROY ends it with status 1 (libfuse's "short read").
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/proto.h"

/* ---- options ------------------------------------------------------------- */

struct options {
	char *log;
	char *nosys;
	char *submount;
	int seed, fh0, fail_wb_write, reuse_ino, selfmount;
};

static struct options opt;

#define OPT(t, p) { t, offsetof(struct options, p), 1 }
static const struct fuse_opt option_spec[] = {
	{ "log=%s", offsetof(struct options, log), 0 },
	{ "nosys=%s", offsetof(struct options, nosys), 0 },
	{ "submount=%s", offsetof(struct options, submount), 0 },
	OPT("seed", seed),
	OPT("fh0", fh0),
	OPT("fail_wb_write", fail_wb_write),
	OPT("reuse_ino", reuse_ino),
	OPT("selfmount", selfmount),
	FUSE_OPT_END
};

/* Is @op (e.g. "flush") in the nosys= list? */
static int nosys(const char *op)
{
	const char *p = opt.nosys;
	size_t n = strlen(op);

	while (p && *p) {
		if (!strncmp(p, op, n) && (p[n] == ':' || p[n] == '\0'))
			return 1;
		p = strchr(p, ':');
		if (p)
			p++;
	}
	return 0;
}

/* ---- the in-memory filesystem -------------------------------------------------- */

struct xattr {
	struct xattr *next;
	char *name;
	char *value;
	size_t size;
};

struct dent {
	struct dent *next;
	char *name;
	fuse_ino_t ino;
	uint64_t cookie;	/* readdir offset of the next entry */
};

struct inode {
	int used;
	uint64_t generation;
	struct stat st;		/* st_ino, st_nlink, st_size, times, ... */
	uint64_t nlookup;	/* kernel references (LOOKUP minus FORGET) */
	unsigned nopen;		/* open handles */
	char *data;		/* regular file contents */
	size_t cap;
	char *target;		/* symlink target */
	struct dent *entries;	/* directory entries, in creation order */
	fuse_ino_t parent;
	struct xattr *xattrs;
	int submount;
};

static struct inode **itab;
static size_t icap, inext = 2;	/* nodeid 1 is the root */
static uint64_t cookie_ctr = 2;	/* "." is 1, ".." is 2 */
static uint64_t fh_ctr;
static const double timeout = 1.0;

static struct inode *iget(fuse_ino_t ino)
{
	if (ino >= icap || !itab[ino] || !itab[ino]->used)
		return NULL;
	return itab[ino];
}

static void stamp(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static struct inode *inew(mode_t mode, const struct fuse_ctx *ctx)
{
	fuse_ino_t ino = 0;
	struct inode *in;
	size_t i;

	if (opt.reuse_ino)
		for (i = 2; i < inext; i++)
			if (itab[i] && !itab[i]->used) {
				ino = i;
				break;
			}
	if (!ino) {
		if (inext >= icap) {
			size_t ncap = icap ? icap * 2 : 64;
			struct inode **nt = realloc(itab, ncap * sizeof(*nt));

			if (!nt)
				return NULL;
			memset(nt + icap, 0, (ncap - icap) * sizeof(*nt));
			itab = nt;
			icap = ncap;
		}
		ino = inext++;
		itab[ino] = calloc(1, sizeof(struct inode));
		if (!itab[ino])
			return NULL;
	}
	in = itab[ino];
	/* A reused nodeid gets the next generation (that is the point). */
	in->generation++;
	in->used = 1;
	in->st.st_ino = ino;
	in->st.st_mode = mode;
	in->st.st_nlink = S_ISDIR(mode) ? 2 : 1;
	in->st.st_uid = ctx ? ctx->uid : getuid();
	in->st.st_gid = ctx ? ctx->gid : getgid();
	in->st.st_blksize = 4096;
	stamp(&in->st.st_atim);
	in->st.st_mtim = in->st.st_ctim = in->st.st_atim;
	return in;
}

/* Free the inode once nothing refers to it (names, kernel, handles). */
static void imaybe_free(struct inode *in)
{
	struct xattr *x, *xn;

	if (!in || !in->used || in->st.st_ino == FUSE_ROOT_ID ||
	    in->st.st_nlink > (S_ISDIR(in->st.st_mode) ? 1u : 0u) ||
	    in->nlookup || in->nopen)
		return;
	for (x = in->xattrs; x; x = xn) {
		xn = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	free(in->data);
	free(in->target);
	{
		uint64_t gen = in->generation;

		memset(in, 0, sizeof(*in));
		in->generation = gen; /* kept for reuse_ino */
	}
}

static struct dent *dfind(struct inode *dir, const char *name)
{
	struct dent *d;

	for (d = dir->entries; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static int dadd(struct inode *dir, const char *name, struct inode *in)
{
	struct dent *d = calloc(1, sizeof(*d)), **pp;

	if (!d || !(d->name = strdup(name))) {
		free(d);
		return -ENOMEM;
	}
	d->ino = in->st.st_ino;
	d->cookie = ++cookie_ctr;
	for (pp = &dir->entries; *pp; pp = &(*pp)->next)
		;
	*pp = d;
	if (S_ISDIR(in->st.st_mode)) {
		in->parent = dir->st.st_ino;
		dir->st.st_nlink++;
	}
	if (opt.submount && S_ISDIR(in->st.st_mode) &&
	    !strncmp(name, opt.submount, strlen(opt.submount)))
		in->submount = 1;
	stamp(&dir->st.st_mtim);
	dir->st.st_ctim = dir->st.st_mtim;
	return 0;
}

/* Take entry @d out of @dir; the inode's own link count is untouched. */
static void dremove(struct inode *dir, struct dent *d)
{
	struct dent **pp;
	struct inode *in = iget(d->ino);

	for (pp = &dir->entries; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	if (in && S_ISDIR(in->st.st_mode))
		dir->st.st_nlink--; /* the child's ".." */
	free(d->name);
	free(d);
	stamp(&dir->st.st_mtim);
	dir->st.st_ctim = dir->st.st_mtim;
}

/* Remove @name from @dir: the inode loses the link (a directory: all). */
static void ddel(struct inode *dir, const char *name)
{
	struct dent *d = dfind(dir, name);
	struct inode *in;

	if (!d)
		return;
	in = iget(d->ino);
	dremove(dir, d);
	if (!in)
		return;
	if (S_ISDIR(in->st.st_mode))
		in->st.st_nlink = 0;
	else
		in->st.st_nlink--;
	stamp(&in->st.st_ctim);
	imaybe_free(in);
}

static void fill_entry(struct fuse_entry_param *e, struct inode *in)
{
	memset(e, 0, sizeof(*e));
	e->ino = in->st.st_ino;
	e->generation = in->generation;
	e->attr = in->st;
	e->attr.st_blocks = (in->st.st_size + 511) / 512;
	e->attr_timeout = timeout;
	e->entry_timeout = timeout;
}

/* Reply with the entry of @in, taking a lookup reference. */
static void reply_entry(fuse_req_t req, struct inode *in)
{
	struct fuse_entry_param e;

	fill_entry(&e, in);
	in->nlookup++;
	if (fuse_reply_entry(req, &e) != 0)
		in->nlookup--; /* the kernel side never got it */
}

static int resize(struct inode *in, size_t size)
{
	if (size > in->cap) {
		size_t ncap = in->cap ? in->cap : 4096;
		char *nd;

		while (ncap < size)
			ncap *= 2;
		nd = realloc(in->data, ncap);
		if (!nd)
			return -ENOMEM;
		in->data = nd;
		in->cap = ncap;
	}
	if (size > (size_t)in->st.st_size)
		memset(in->data + in->st.st_size, 0, size - (size_t)in->st.st_size);
	in->st.st_size = (off_t)size;
	return 0;
}

static void seed(void)
{
	struct inode *root = iget(FUSE_ROOT_ID), *f, *d, *l;
	static const char hello[] = "Hello World!\n";

	f = inew(S_IFREG | 0644, NULL);
	resize(f, sizeof(hello) - 1);
	memcpy(f->data, hello, sizeof(hello) - 1);
	dadd(root, "hello", f);
	d = inew(S_IFDIR | 0755, NULL);
	dadd(root, "dir", d);
	f = inew(S_IFREG | 0644, NULL);
	resize(f, 5);
	memcpy(f->data, "file\n", 5);
	dadd(d, "file", f);
	l = inew(S_IFLNK | 0777, NULL);
	l->target = strdup("hello");
	l->st.st_size = 5;
	dadd(root, "link", l);
}

/* ---- the request log --------------------------------------------------------------- */

static int log_fd = -1;
/* Opcode of the request being handled (single-threaded loop). */
static uint32_t cur_opcode;

static const char *const opnames[] = {
	[FC_LOOKUP] = "LOOKUP", [FC_FORGET] = "FORGET", [FC_GETATTR] = "GETATTR",
	[FC_SETATTR] = "SETATTR", [FC_READLINK] = "READLINK",
	[FC_SYMLINK] = "SYMLINK", [FC_MKNOD] = "MKNOD", [FC_MKDIR] = "MKDIR",
	[FC_UNLINK] = "UNLINK", [FC_RMDIR] = "RMDIR", [FC_RENAME] = "RENAME",
	[FC_LINK] = "LINK", [FC_OPEN] = "OPEN", [FC_READ] = "READ",
	[FC_WRITE] = "WRITE", [FC_STATFS] = "STATFS", [FC_RELEASE] = "RELEASE",
	[FC_FSYNC] = "FSYNC", [FC_SETXATTR] = "SETXATTR",
	[FC_GETXATTR] = "GETXATTR", [FC_LISTXATTR] = "LISTXATTR",
	[FC_REMOVEXATTR] = "REMOVEXATTR", [FC_FLUSH] = "FLUSH", [FC_INIT] = "INIT",
	[FC_OPENDIR] = "OPENDIR", [FC_READDIR] = "READDIR",
	[FC_RELEASEDIR] = "RELEASEDIR", [FC_FSYNCDIR] = "FSYNCDIR",
	[FC_GETLK] = "GETLK", [FC_SETLK] = "SETLK", [FC_SETLKW] = "SETLKW",
	[FC_ACCESS] = "ACCESS", [FC_CREATE] = "CREATE",
	[FC_INTERRUPT] = "INTERRUPT", [FC_BMAP] = "BMAP", [FC_DESTROY] = "DESTROY",
	[FC_IOCTL] = "IOCTL", [FC_POLL] = "POLL", [FC_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FC_BATCH_FORGET] = "BATCH_FORGET", [FC_FALLOCATE] = "FALLOCATE",
	[FC_READDIRPLUS] = "READDIRPLUS", [FC_RENAME2] = "RENAME2",
	[FC_LSEEK] = "LSEEK", [FC_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FC_SYNCFS] = "SYNCFS", [FC_TMPFILE] = "TMPFILE", [FC_STATX] = "STATX",
};

struct line {
	char buf[1024];
	size_t len;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n
							     : sizeof(l->buf) - 1 - l->len;
}

/* key="name" with C escapes; @p/@n: the bytes, up to a NUL. */
static void add_name(struct line *l, const char *key, const char *p, size_t n)
{
	size_t i;

	add(l, " %s=\"", key);
	for (i = 0; i < n && p[i]; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			add(l, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			add(l, "\\x%02x", c);
		else
			add(l, "%c", c);
	}
	add(l, "\"");
}

/* Body struct of the request, if long enough. */
#define BODY(type) (blen >= sizeof(type) ? (const type *)body : NULL)

static void log_request(const unsigned char *msg, size_t len)
{
	struct fc_in_header h;
	const unsigned char *body;
	size_t blen;
	struct line l = { .len = 0 };
	uint64_t fh = 0, lock_owner = 0;
	uint32_t flags = 0;
	const char *name;

	if (len < sizeof(h))
		return;
	memcpy(&h, msg, sizeof(h));
	body = msg + sizeof(h);
	blen = len - sizeof(h);
	cur_opcode = h.opcode;
	if (log_fd < 0)
		return;
	name = h.opcode < sizeof(opnames) / sizeof(opnames[0]) && opnames[h.opcode]
	       ? opnames[h.opcode] : "UNKNOWN";

	/* The common fields first. */
	switch (h.opcode) {
	case FC_OPEN: case FC_OPENDIR: {
		const struct fc_open_in *in = BODY(struct fc_open_in);

		if (in)
			flags = in->flags;
		break;
	}
	case FC_CREATE: {
		const struct fc_create_in *in = BODY(struct fc_create_in);

		if (in)
			flags = in->flags;
		break;
	}
	case FC_READ: case FC_READDIR: case FC_READDIRPLUS: {
		const struct fc_read_in *in = BODY(struct fc_read_in);

		if (in) {
			fh = in->fh;
			flags = in->flags;
			lock_owner = in->lock_owner;
		}
		break;
	}
	case FC_WRITE: {
		const struct fc_write_in *in = BODY(struct fc_write_in);

		if (in) {
			fh = in->fh;
			flags = in->flags;
			lock_owner = in->lock_owner;
		}
		break;
	}
	case FC_RELEASE: case FC_RELEASEDIR: {
		const struct fc_release_in *in = BODY(struct fc_release_in);

		if (in) {
			fh = in->fh;
			flags = in->flags;
			lock_owner = in->lock_owner;
		}
		break;
	}
	case FC_FLUSH: {
		const struct fc_flush_in *in = BODY(struct fc_flush_in);

		if (in) {
			fh = in->fh;
			lock_owner = in->lock_owner;
		}
		break;
	}
	case FC_FSYNC: case FC_FSYNCDIR: {
		const struct fc_fsync_in *in = BODY(struct fc_fsync_in);

		if (in)
			fh = in->fh;
		break;
	}
	case FC_GETATTR: {
		const struct fc_getattr_in *in = BODY(struct fc_getattr_in);

		if (in)
			fh = in->fh;
		break;
	}
	case FC_SETATTR: {
		const struct fc_setattr_in *in = BODY(struct fc_setattr_in);

		if (in) {
			fh = in->fh;
			lock_owner = in->lock_owner;
		}
		break;
	}
	case FC_GETLK: case FC_SETLK: case FC_SETLKW: {
		const struct fc_lk_in *in = BODY(struct fc_lk_in);

		if (in) {
			fh = in->fh;
			lock_owner = in->owner;
		}
		break;
	}
	case FC_FALLOCATE: case FC_LSEEK:
		if (blen >= sizeof(uint64_t))
			memcpy(&fh, body, sizeof(fh));
		break;
	default:
		break;
	}
	add(&l, "op=%s opcode=%u unique=%" PRIu64 " nodeid=%" PRIu64
	    " uid=%u gid=%u pid=%u fh=%" PRIu64 " flags=0x%x lock_owner=0x%" PRIx64,
	    name, h.opcode, h.unique, h.nodeid, h.uid, h.gid, h.pid, fh, flags,
	    lock_owner);

	/* Then what is particular to the request. */
	switch (h.opcode) {
	case FC_INIT: {
		const struct fc_init_in *in = BODY(struct fc_init_in);

		if (in)
			add(&l, " major=%u minor=%u init_flags=0x%x flags2=0x%x",
			    in->major, in->minor, in->flags, in->flags2);
		break;
	}
	case FC_LOOKUP: case FC_UNLINK: case FC_RMDIR:
		add_name(&l, "name", (const char *)body, blen);
		break;
	case FC_FORGET: {
		const struct fc_forget_in *in = BODY(struct fc_forget_in);

		if (in)
			add(&l, " nlookup=%" PRIu64, in->nlookup);
		break;
	}
	case FC_BATCH_FORGET: {
		const struct fc_batch_forget_in *in = BODY(struct fc_batch_forget_in);

		if (in)
			add(&l, " count=%u", in->count);
		break;
	}
	case FC_GETATTR: {
		const struct fc_getattr_in *in = BODY(struct fc_getattr_in);

		if (in)
			add(&l, " getattr_flags=0x%x", in->getattr_flags);
		break;
	}
	case FC_SETATTR: {
		const struct fc_setattr_in *in = BODY(struct fc_setattr_in);

		if (in)
			add(&l, " valid=0x%x size=%" PRIu64 " mode=0%o", in->valid,
			    in->size, in->mode);
		break;
	}
	case FC_MKNOD: {
		const struct fc_mknod_in *in = BODY(struct fc_mknod_in);

		if (in) {
			add(&l, " mode=0%o rdev=%u umask=0%o", in->mode, in->rdev,
			    in->umask);
			add_name(&l, "name", (const char *)body + sizeof(*in),
				 blen - sizeof(*in));
		}
		break;
	}
	case FC_MKDIR: {
		const struct fc_mkdir_in *in = BODY(struct fc_mkdir_in);

		if (in) {
			add(&l, " mode=0%o umask=0%o", in->mode, in->umask);
			add_name(&l, "name", (const char *)body + sizeof(*in),
				 blen - sizeof(*in));
		}
		break;
	}
	case FC_SYMLINK: {
		size_t n = strnlen((const char *)body, blen);

		add_name(&l, "name", (const char *)body, blen);
		if (n < blen)
			add_name(&l, "target", (const char *)body + n + 1,
				 blen - n - 1);
		break;
	}
	case FC_RENAME: case FC_RENAME2: {
		size_t off = h.opcode == FC_RENAME ? sizeof(struct fc_rename_in)
						   : sizeof(struct fc_rename2_in);
		uint64_t newdir = 0;

		if (blen < off)
			break;
		memcpy(&newdir, body, sizeof(newdir));
		add(&l, " newdir=%" PRIu64, newdir);
		if (h.opcode == FC_RENAME2) {
			const struct fc_rename2_in *in = BODY(struct fc_rename2_in);

			add(&l, " rename_flags=0x%x", in->flags);
		}
		{
			const char *p = (const char *)body + off;
			size_t n = strnlen(p, blen - off);

			add_name(&l, "name", p, blen - off);
			if (n < blen - off)
				add_name(&l, "newname", p + n + 1, blen - off - n - 1);
		}
		break;
	}
	case FC_LINK: {
		const struct fc_link_in *in = BODY(struct fc_link_in);

		if (in) {
			add(&l, " oldnodeid=%" PRIu64, in->oldnodeid);
			add_name(&l, "name", (const char *)body + sizeof(*in),
				 blen - sizeof(*in));
		}
		break;
	}
	case FC_OPEN: case FC_OPENDIR: {
		const struct fc_open_in *in = BODY(struct fc_open_in);

		if (in)
			add(&l, " open_flags=0x%x", in->open_flags);
		break;
	}
	case FC_CREATE: {
		const struct fc_create_in *in = BODY(struct fc_create_in);

		if (in) {
			add(&l, " mode=0%o umask=0%o open_flags=0x%x", in->mode,
			    in->umask, in->open_flags);
			add_name(&l, "name", (const char *)body + sizeof(*in),
				 blen - sizeof(*in));
		}
		break;
	}
	case FC_READ: case FC_READDIR: case FC_READDIRPLUS: {
		const struct fc_read_in *in = BODY(struct fc_read_in);

		if (in)
			add(&l, " read_flags=0x%x offset=%" PRIu64 " size=%u",
			    in->read_flags, in->offset, in->size);
		break;
	}
	case FC_WRITE: {
		const struct fc_write_in *in = BODY(struct fc_write_in);

		if (in)
			add(&l, " write_flags=0x%x offset=%" PRIu64 " size=%u",
			    in->write_flags, in->offset, in->size);
		break;
	}
	case FC_RELEASE: case FC_RELEASEDIR: {
		const struct fc_release_in *in = BODY(struct fc_release_in);

		if (in)
			add(&l, " release_flags=0x%x", in->release_flags);
		break;
	}
	case FC_FSYNC: case FC_FSYNCDIR: {
		const struct fc_fsync_in *in = BODY(struct fc_fsync_in);

		if (in)
			add(&l, " fsync_flags=0x%x", in->fsync_flags);
		break;
	}
	case FC_SETXATTR: {
		size_t off = sizeof(struct fc_setxattr_in);

		if (blen >= off) {
			const struct fc_setxattr_in *in = BODY(struct fc_setxattr_in);

			add(&l, " size=%u xattr_flags=0x%x", in->size, in->flags);
			add_name(&l, "name", (const char *)body + off, blen - off);
		}
		break;
	}
	case FC_GETXATTR: case FC_LISTXATTR: {
		const struct fc_getxattr_in *in = BODY(struct fc_getxattr_in);

		if (in) {
			add(&l, " size=%u", in->size);
			if (h.opcode == FC_GETXATTR)
				add_name(&l, "name", (const char *)body + sizeof(*in),
					 blen - sizeof(*in));
		}
		break;
	}
	case FC_REMOVEXATTR:
		add_name(&l, "name", (const char *)body, blen);
		break;
	case FC_GETLK: case FC_SETLK: case FC_SETLKW: {
		const struct fc_lk_in *in = BODY(struct fc_lk_in);

		if (in)
			add(&l, " owner=0x%" PRIx64 " type=%u start=%" PRIu64
			    " end=%" PRIu64 " lk_pid=%u lk_flags=0x%x", in->owner,
			    in->lk.type, in->lk.start, in->lk.end, in->lk.pid,
			    in->lk_flags);
		break;
	}
	case FC_ACCESS: {
		const struct fc_access_in *in = BODY(struct fc_access_in);

		if (in)
			add(&l, " mask=0%o", in->mask);
		break;
	}
	case FC_INTERRUPT: {
		uint64_t target = 0;

		if (blen >= sizeof(target))
			memcpy(&target, body, sizeof(target));
		add(&l, " target=%" PRIu64, target);
		break;
	}
	case FC_FALLOCATE: {
		/* fuse_fallocate_in: fh, offset, length, mode */
		uint64_t v[3];
		uint32_t mode = 0;

		if (blen >= 28) {
			memcpy(v, body, sizeof(v));
			memcpy(&mode, body + 24, sizeof(mode));
			add(&l, " offset=%" PRIu64 " length=%" PRIu64 " mode=0x%x",
			    v[1], v[2], mode);
		}
		break;
	}
	case FC_LSEEK: {
		/* fuse_lseek_in: fh, offset, whence */
		uint64_t off = 0;
		uint32_t whence = 0;

		if (blen >= 20) {
			memcpy(&off, body + 8, sizeof(off));
			memcpy(&whence, body + 16, sizeof(whence));
			add(&l, " offset=%" PRIu64 " whence=%u", off, whence);
		}
		break;
	}
	default:
		break;
	}
	add(&l, "\n");
	if (write(log_fd, l.buf, l.len) != (ssize_t)l.len)
		perror("refdaemon: log");
}

/*
 * Reply patching for FUSE_ATTR_SUBMOUNT: libfuse 3.14 has no way to set
 * fuse_attr.flags, so the few replies that carry attributes get the bit
 * on their way out (the loop is single-threaded: cur_opcode is the
 * request being answered).
 */
static void patch_attr_flags(struct iovec *iov, int count)
{
	size_t off;
	struct fc_out_header oh;
	uint64_t nodeid;
	struct inode *in;

	if (count < 2 || iov[0].iov_len < sizeof(oh))
		return;
	memcpy(&oh, iov[0].iov_base, sizeof(oh));
	if (oh.error)
		return;
	switch (cur_opcode) {
	case FC_LOOKUP: case FC_MKNOD: case FC_MKDIR: case FC_SYMLINK:
	case FC_LINK: case FC_CREATE:
		if (iov[1].iov_len < sizeof(struct fc_entry_out))
			return;
		memcpy(&nodeid, iov[1].iov_base, sizeof(nodeid));
		off = offsetof(struct fc_entry_out, attr.flags);
		break;
	case FC_GETATTR: case FC_SETATTR:
		if (iov[1].iov_len < sizeof(struct fc_attr_out))
			return;
		memcpy(&nodeid, (char *)iov[1].iov_base +
		       offsetof(struct fc_attr_out, attr.ino), sizeof(nodeid));
		off = offsetof(struct fc_attr_out, attr.flags);
		break;
	default:
		return;
	}
	in = iget(nodeid);
	if (in && in->submount) {
		uint32_t f;

		memcpy(&f, (char *)iov[1].iov_base + off, sizeof(f));
		f |= FC_ATTR_SUBMOUNT;
		memcpy((char *)iov[1].iov_base + off, &f, sizeof(f));
	}
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);

	(void)userdata;
	if (n > 0)
		log_request(buf, (size_t)n);
	return n;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	if (opt.submount)
		patch_attr_flags(iov, count);
	return writev(fd, iov, count);
}

static const struct fuse_custom_io custom_io = {
	.read = io_read,
	.writev = io_writev,
};

/* ---- operations ----------------------------------------------------------------------- */

static struct fuse_session *session;

static void rd_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (nosys("open") && (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT))
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
	if (nosys("opendir") && (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT))
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
}

static void rd_destroy(void *userdata)
{
	(void)userdata;
	/* A clean end: leave the loop after this reply, exit status 0. */
	fuse_session_exit(session);
}

static void rd_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct inode *dir = iget(parent), *in;
	struct dent *d;

	if (!dir || !S_ISDIR(dir->st.st_mode)) {
		fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
		return;
	}
	if (!strcmp(name, "."))
		in = dir;
	else if (!strcmp(name, ".."))
		in = iget(dir->parent ? dir->parent : FUSE_ROOT_ID);
	else
		in = (d = dfind(dir, name)) ? iget(d->ino) : NULL;
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_entry(req, in);
}

static void do_forget(fuse_ino_t ino, uint64_t nlookup)
{
	struct inode *in = iget(ino);

	if (!in)
		return;
	in->nlookup = in->nlookup > nlookup ? in->nlookup - nlookup : 0;
	imaybe_free(in);
}

static void rd_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	do_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void rd_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		do_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void reply_attr(fuse_req_t req, struct inode *in)
{
	struct stat st = in->st;

	st.st_blocks = (st.st_size + 511) / 512;
	fuse_reply_attr(req, &st, timeout);
}

static void rd_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	(void)fi;
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_attr(req, in);
}

static void rd_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);
	struct timespec now;

	(void)fi;
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	stamp(&now);
	if (to_set & FUSE_SET_ATTR_MODE)
		in->st.st_mode = (in->st.st_mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		in->st.st_uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		in->st.st_gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (!S_ISREG(in->st.st_mode)) {
			fuse_reply_err(req, S_ISDIR(in->st.st_mode) ? EISDIR : EINVAL);
			return;
		}
		if (resize(in, (size_t)attr->st_size) < 0) {
			fuse_reply_err(req, ENOSPC);
			return;
		}
		in->st.st_mtim = now;
	}
	if (to_set & FUSE_SET_ATTR_ATIME)
		in->st.st_atim = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		in->st.st_atim = now;
	if (to_set & FUSE_SET_ATTR_MTIME)
		in->st.st_mtim = attr->st_mtim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		in->st.st_mtim = now;
	in->st.st_ctim = (to_set & FUSE_SET_ATTR_CTIME) ? attr->st_ctim : now;
	reply_attr(req, in);
}

static void rd_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct inode *in = iget(ino);

	if (!in || !S_ISLNK(in->st.st_mode)) {
		fuse_reply_err(req, in ? EINVAL : ENOENT);
		return;
	}
	fuse_reply_readlink(req, in->target);
}

/* Common part of MKNOD, MKDIR, SYMLINK, CREATE: a new name in @parent. */
static struct inode *make_node(fuse_req_t req, fuse_ino_t parent,
			       const char *name, mode_t mode, int *err)
{
	struct inode *dir = iget(parent), *in;

	*err = 0;
	if (!dir) {
		*err = ENOENT;
		return NULL;
	}
	if (!S_ISDIR(dir->st.st_mode)) {
		*err = ENOTDIR;
		return NULL;
	}
	if (strlen(name) > 255) {
		*err = ENAMETOOLONG;
		return NULL;
	}
	if (dfind(dir, name)) {
		*err = EEXIST;
		return NULL;
	}
	in = inew(mode, fuse_req_ctx(req));
	if (!in || dadd(dir, name, in) < 0) {
		if (in) {
			in->st.st_nlink = 0;
			imaybe_free(in);
		}
		*err = ENOMEM;
		return NULL;
	}
	return in;
}

static void rd_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	int err;
	struct inode *in = make_node(req, parent, name, mode, &err);

	if (!in) {
		fuse_reply_err(req, err);
		return;
	}
	in->st.st_rdev = rdev;
	reply_entry(req, in);
}

static void rd_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	int err;
	struct inode *in = make_node(req, parent, name, S_IFDIR | (mode & 07777),
				     &err);

	if (!in) {
		fuse_reply_err(req, err);
		return;
	}
	reply_entry(req, in);
}

static void rd_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	int err;
	struct inode *in = make_node(req, parent, name, S_IFLNK | 0777, &err);

	if (!in) {
		fuse_reply_err(req, err);
		return;
	}
	in->target = strdup(link);
	in->st.st_size = (off_t)strlen(link);
	reply_entry(req, in);
}

static void rd_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct inode *dir = iget(parent), *in;
	struct dent *d;

	if (!dir || !(d = dfind(dir, name)) || !(in = iget(d->ino))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(in->st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	ddel(dir, name);
	fuse_reply_err(req, 0);
}

static void rd_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct inode *dir = iget(parent), *in;
	struct dent *d;

	if (!dir || !(d = dfind(dir, name)) || !(in = iget(d->ino))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!S_ISDIR(in->st.st_mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (in->entries) {
		fuse_reply_err(req, ENOTEMPTY);
		return;
	}
	ddel(dir, name);
	fuse_reply_err(req, 0);
}

static void rd_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct inode *src = iget(parent), *dst = iget(newparent), *in, *old;
	struct dent *d, *nd;

	if (!src || !dst || !(d = dfind(src, name)) || !(in = iget(d->ino))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	nd = dfind(dst, newname);
	old = nd ? iget(nd->ino) : NULL;
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((flags & RENAME_NOREPLACE) && old) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	if (flags & RENAME_EXCHANGE) {
		if (!old) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		d->ino = old->st.st_ino;
		nd->ino = in->st.st_ino;
		if (S_ISDIR(in->st.st_mode))
			in->parent = newparent;
		if (S_ISDIR(old->st.st_mode))
			old->parent = parent;
		fuse_reply_err(req, 0);
		return;
	}
	if (old == in) {
		fuse_reply_err(req, 0);
		return;
	}
	if (old) {
		if (S_ISDIR(old->st.st_mode) != S_ISDIR(in->st.st_mode)) {
			fuse_reply_err(req, S_ISDIR(old->st.st_mode) ? EISDIR : ENOTDIR);
			return;
		}
		if (S_ISDIR(old->st.st_mode) && old->entries) {
			fuse_reply_err(req, ENOTEMPTY);
			return;
		}
		ddel(dst, newname);
	}
	/* Move the name: the inode keeps its links. */
	if (dadd(dst, newname, in) < 0) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dremove(src, d);
	stamp(&in->st.st_ctim);
	fuse_reply_err(req, 0);
}

static void rd_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	struct inode *in = iget(ino), *dir = iget(newparent);

	if (!in || !dir) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(in->st.st_mode)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (dfind(dir, newname)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	if (dadd(dir, newname, in) < 0) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	in->st.st_nlink++;
	stamp(&in->st.st_ctim);
	reply_entry(req, in);
}

static uint64_t new_fh(void)
{
	return opt.fh0 ? 0 : ++fh_ctr;
}

static void rd_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	if (nosys("open")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(in->st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_TRUNC) && S_ISREG(in->st.st_mode) &&
	    (fi->flags & O_ACCMODE) != O_RDONLY) {
		resize(in, 0);
		stamp(&in->st.st_mtim);
		in->st.st_ctim = in->st.st_mtim;
	}
	fi->fh = new_fh();
	in->nopen++;
	if (fuse_reply_open(req, fi) != 0)
		in->nopen--;
}

static void rd_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct inode *in;
	int err;

	if (nosys("create")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	in = make_node(req, parent, name, S_IFREG | (mode & 07777), &err);
	if (!in) {
		fuse_reply_err(req, err);
		return;
	}
	fill_entry(&e, in);
	fi->fh = new_fh();
	in->nlookup++;
	in->nopen++;
	if (fuse_reply_create(req, &e, fi) != 0) {
		in->nlookup--;
		in->nopen--;
	}
}

static void rd_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);
	size_t n = 0;

	(void)fi;
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!S_ISREG(in->st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (off < in->st.st_size)
		n = (size_t)(in->st.st_size - off) < size ?
		    (size_t)(in->st.st_size - off) : size;
	fuse_reply_buf(req, n ? in->data + off : NULL, n);
}

static void rd_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (opt.fail_wb_write && fi->writepage) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (!S_ISREG(in->st.st_mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((size_t)off + size > (size_t)in->st.st_size &&
	    resize(in, (size_t)off + size) < 0) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	memcpy(in->data + off, buf, size);
	stamp(&in->st.st_mtim);
	in->st.st_ctim = in->st.st_mtim;
	fuse_reply_write(req, size);
}

static void rd_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, nosys("flush") ? ENOSYS : 0);
}

static void rd_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	(void)fi;
	if (in && in->nopen) {
		in->nopen--;
		imaybe_free(in);
	}
	fuse_reply_err(req, 0);
}

static void rd_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, nosys("fsync") ? ENOSYS : 0);
}

static void rd_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	if (nosys("opendir")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in || !S_ISDIR(in->st.st_mode)) {
		fuse_reply_err(req, in ? ENOTDIR : ENOENT);
		return;
	}
	fi->fh = new_fh();
	in->nopen++;
	if (fuse_reply_open(req, fi) != 0)
		in->nopen--;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, int plus)
{
	struct inode *dir = iget(ino), *in;
	struct dent *d;
	char *buf, *p;
	size_t rem = size, n;

	if (!dir || !S_ISDIR(dir->st.st_mode)) {
		fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
		return;
	}
	buf = p = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* "." (offset 1) and ".." (offset 2), then entries by cookie. */
	for (int dot = 1; dot <= 2; dot++) {
		struct fuse_entry_param e;

		if (off >= dot)
			continue;
		in = dot == 1 ? dir : iget(dir->parent ? dir->parent : FUSE_ROOT_ID);
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = in->st.st_ino;
		e.attr.st_mode = in->st.st_mode;
		/* e.ino 0: the kernel takes no reference for . and .. */
		n = plus ? fuse_add_direntry_plus(req, p, rem, dot == 1 ? "." : "..",
						  &e, dot)
			 : fuse_add_direntry(req, p, rem, dot == 1 ? "." : "..",
					     &e.attr, dot);
		if (n > rem)
			goto full;
		p += n;
		rem -= n;
	}
	for (d = dir->entries; d; d = d->next) {
		if ((uint64_t)off >= d->cookie || !(in = iget(d->ino)))
			continue;
		if (plus) {
			struct fuse_entry_param e;

			fill_entry(&e, in);
			n = fuse_add_direntry_plus(req, p, rem, d->name, &e,
						   (off_t)d->cookie);
			if (n > rem)
				break;
			in->nlookup++; /* the kernel now holds a reference */
			if (in->submount) {
				uint32_t f;
				size_t fo = offsetof(struct fc_direntplus,
						     entry_out.attr.flags);

				memcpy(&f, p + fo, sizeof(f));
				f |= FC_ATTR_SUBMOUNT;
				memcpy(p + fo, &f, sizeof(f));
			}
		} else {
			n = fuse_add_direntry(req, p, rem, d->name, &in->st,
					      (off_t)d->cookie);
			if (n > rem)
				break;
		}
		p += n;
		rem -= n;
	}
full:
	fuse_reply_buf(req, buf, size - rem);
	free(buf);
}

static void rd_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, 0);
}

static void rd_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	readdir_common(req, ino, size, off, 1);
}

static void rd_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	rd_release(req, ino, fi);
}

static void rd_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, nosys("fsyncdir") ? ENOSYS : 0);
}

static void rd_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	size_t i, used = 0;

	(void)ino;
	if (nosys("statfs")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	for (i = 1; i < inext; i++)
		used += itab[i] && itab[i]->used;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	sv.f_blocks = 1u << 20;
	sv.f_bfree = sv.f_bavail = 1u << 19;
	sv.f_files = 1u << 20;
	sv.f_ffree = sv.f_favail = (1u << 20) - used;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

static struct xattr *xfind(struct inode *in, const char *name)
{
	struct xattr *x;

	for (x = in->xattrs; x; x = x->next)
		if (!strcmp(x->name, name))
			return x;
	return NULL;
}

static void rd_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct inode *in = iget(ino);
	struct xattr *x;
	char *v;

	if (nosys("xattr")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	x = xfind(in, name);
	if ((flags & XATTR_CREATE) && x) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	if ((flags & XATTR_REPLACE) && !x) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	v = malloc(size ? size : 1);
	if (!v) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(v, value, size);
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x || !(x->name = strdup(name))) {
			free(x);
			free(v);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		x->next = in->xattrs;
		in->xattrs = x;
	}
	free(x->value);
	x->value = v;
	x->size = size;
	stamp(&in->st.st_ctim);
	fuse_reply_err(req, 0);
}

static void rd_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	struct inode *in = iget(ino);
	struct xattr *x;

	if (nosys("xattr")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!(x = xfind(in, name))) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (!size)
		fuse_reply_xattr(req, x->size);
	else if (size < x->size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, x->value, x->size);
}

static void rd_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct inode *in = iget(ino);
	struct xattr *x;
	size_t total = 0;
	char *buf, *p;

	if (nosys("xattr")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (x = in->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	if (!size) {
		fuse_reply_xattr(req, total);
		return;
	}
	if (size < total) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	buf = p = malloc(total ? total : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (x = in->xattrs; x; x = x->next) {
		size_t n = strlen(x->name) + 1;

		memcpy(p, x->name, n);
		p += n;
	}
	fuse_reply_buf(req, buf, total);
	free(buf);
}

static void rd_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct inode *in = iget(ino);
	struct xattr **pp, *x;

	if (nosys("xattr")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (pp = &in->xattrs; (x = *pp); pp = &x->next) {
		if (!strcmp(x->name, name)) {
			*pp = x->next;
			free(x->name);
			free(x->value);
			free(x);
			fuse_reply_err(req, 0);
			return;
		}
	}
	fuse_reply_err(req, ENODATA);
}

static void rd_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	(void)mask;
	if (nosys("access"))
		fuse_reply_err(req, ENOSYS);
	else
		fuse_reply_err(req, iget(ino) ? 0 : ENOENT);
}

/* Locks are only recorded (in the log): nothing ever conflicts. */
static void rd_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock)
{
	struct flock none = *lock;

	(void)ino;
	(void)fi;
	if (nosys("getlk")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	none.l_type = F_UNLCK;
	fuse_reply_lock(req, &none);
}

static void rd_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock, int sleep)
{
	(void)ino;
	(void)fi;
	(void)lock;
	(void)sleep;
	fuse_reply_err(req, nosys("setlk") ? ENOSYS : 0);
}

static void rd_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     int op)
{
	(void)ino;
	(void)fi;
	(void)op;
	fuse_reply_err(req, nosys("flock") ? ENOSYS : 0);
}

static void rd_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t offset, off_t length, struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);
	size_t end = (size_t)offset + (size_t)length;

	(void)fi;
	if (nosys("fallocate")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in || !S_ISREG(in->st.st_mode)) {
		fuse_reply_err(req, in ? ENODEV : ENOENT);
		return;
	}
	if (offset < 0 || length <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		size_t size = (size_t)in->st.st_size;

		if (!(mode & FALLOC_FL_KEEP_SIZE)) {
			fuse_reply_err(req, EINVAL);
			return;
		}
		if ((size_t)offset < size)
			memset(in->data + offset, 0,
			       (end < size ? end : size) - (size_t)offset);
	} else if (mode & ~FALLOC_FL_KEEP_SIZE) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	} else if (!(mode & FALLOC_FL_KEEP_SIZE) &&
		   end > (size_t)in->st.st_size && resize(in, end) < 0) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	fuse_reply_err(req, 0);
}

static void rd_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct inode *in = iget(ino);

	(void)fi;
	if (nosys("lseek")) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (!in) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	/* No holes are kept: all data up to the size, one hole after it. */
	if (whence == SEEK_DATA) {
		if (off >= in->st.st_size)
			fuse_reply_err(req, ENXIO);
		else
			fuse_reply_lseek(req, off);
	} else if (whence == SEEK_HOLE) {
		if (off > in->st.st_size)
			fuse_reply_err(req, ENXIO);
		else
			fuse_reply_lseek(req, in->st.st_size);
	} else {
		fuse_reply_err(req, EINVAL);
	}
}

static const struct fuse_lowlevel_ops ops = {
	.init = rd_init,
	.destroy = rd_destroy,
	.lookup = rd_lookup,
	.forget = rd_forget,
	.forget_multi = rd_forget_multi,
	.getattr = rd_getattr,
	.setattr = rd_setattr,
	.readlink = rd_readlink,
	.mknod = rd_mknod,
	.mkdir = rd_mkdir,
	.symlink = rd_symlink,
	.unlink = rd_unlink,
	.rmdir = rd_rmdir,
	.rename = rd_rename,
	.link = rd_link,
	.open = rd_open,
	.create = rd_create,
	.read = rd_read,
	.write = rd_write,
	.flush = rd_flush,
	.release = rd_release,
	.fsync = rd_fsync,
	.opendir = rd_opendir,
	.readdir = rd_readdir,
	.readdirplus = rd_readdirplus,
	.releasedir = rd_releasedir,
	.fsyncdir = rd_fsyncdir,
	.statfs = rd_statfs,
	.setxattr = rd_setxattr,
	.getxattr = rd_getxattr,
	.listxattr = rd_listxattr,
	.removexattr = rd_removexattr,
	.access = rd_access,
	.getlk = rd_getlk,
	.setlk = rd_setlk,
	.flock = rd_flock,
	.fallocate = rd_fallocate,
	.lseek = rd_lseek,
};

/* ---- main -------------------------------------------------------------------------------- */

/* Open /dev/fuse and mount(2) like the kernel tap does; the fd or -1. */
static int self_mount(const char *mnt)
{
	char data[128];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("refdaemon: open /dev/fuse");
		return -1;
	}
	snprintf(data, sizeof(data), "fd=%d,rootmode=%o,user_id=%u,group_id=%u",
		 fd, S_IFDIR | 0755, getuid(), getgid());
	if (mount("refdaemon", mnt, "fuse.refdaemon", MS_NOSUID | MS_NODEV,
		  data) < 0) {
		perror("refdaemon: mount");
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cl;
	struct inode *root;
	int ret = 1, fd = -1;

	if (fuse_opt_parse(&args, &opt, option_spec, NULL) < 0)
		return 1;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return 1;
	if (cl.show_help || cl.show_version || !cl.mountpoint) {
		printf("usage: %s [-d] [-o log=FILE,seed,fh0,nosys=OP:...,"
		       "fail_wb_write,reuse_ino,submount=PREFIX,selfmount] "
		       "MOUNTPOINT\n", argv[0]);
		fuse_lowlevel_help();
		ret = cl.mountpoint ? 0 : 1;
		goto out_args;
	}
	if (opt.log) {
		log_fd = open(opt.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			perror(opt.log);
			goto out_args;
		}
	}

	/* The root directory is nodeid 1. */
	inext = FUSE_ROOT_ID;
	root = inew(S_IFDIR | 0755, NULL);
	if (!root)
		goto out_args;
	root->parent = FUSE_ROOT_ID;
	root->nlookup = 1;
	if (opt.seed)
		seed();

	session = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!session)
		goto out_args;
	if (fuse_set_signal_handlers(session) != 0)
		goto out_session;
	if (opt.selfmount) {
		fd = self_mount(cl.mountpoint);
		if (fd < 0)
			goto out_signals;
	} else {
		if (fuse_session_mount(session, cl.mountpoint) != 0)
			goto out_signals;
		fd = fuse_session_fd(session);
	}
	/* Our own read/writev: every request is logged as it arrives. */
	if (fuse_session_custom_io(session, &custom_io, fd) != 0)
		goto out_unmount;

	ret = fuse_session_loop(session) ? 1 : 0;

out_unmount:
	if (opt.selfmount) {
		/* fuse_session_destroy() closes the fd. */
		umount2(cl.mountpoint, MNT_DETACH);
	} else {
		fuse_session_unmount(session);
	}
out_signals:
	fuse_remove_signal_handlers(session);
out_session:
	fuse_session_destroy(session);
out_args:
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	if (log_fd >= 0)
		close(log_fd);
	return ret;
}
