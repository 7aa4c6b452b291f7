/*
 * fdk.c - the fd transport against the Linux kernel, with the same
 * unmodified daemon on both sides: libfuse3's passthrough_ll with caching
 * off (-o cache=never: entry and attribute timeouts 0, direct I/O on every
 * open file), so that every call reaches the daemon.
 *
 *  kernel side:      open("/dev/fuse") + mount(2) with fd=N, and the daemon
 *                    started on that very descriptor as /dev/fd/N (no relay);
 *                    the workload makes real system calls on the mount.
 *  libfusecore side: the launcher (fusecore/launch.h) starts the daemon on a
 *                    socketpair as /dev/fd/N; fd transport, FUSE client and
 *                    the simulated VFS; the workload makes fc_sys_* calls.
 *
 * Both sides run alternately (A B A B ...) in this process; each pair gives
 * one ratio.  Multi-threaded passthrough_ll, then single-threaded (-s).
 * Then virtio-fs (QEMU's virtiofsd, -o cache=none, over the vhost-user
 * transport) against the fd transport, both through libfusecore.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/launch.h"
#include "fusecore/virtiofs.h"
#include "fusecore/ops.h"
#include "fusecore/platform.h"
#include "fusecore/vfs.h"

#include "bench.h"

#define MIB (1024u * 1024u)
#define DIRENT_BUF 32768
#define LIB_MNT "/mnt"

struct side {
	int kernel;
	int ready;
	pid_t daemon;
	char root[PATH_MAX];      /* where the tree is seen: the mount */
	/* kernel */
	char mnt[PATH_MAX];
	int mounted;
	/* libfusecore */
	struct fc_daemon *d;          /* fd transport: the launched daemon */
	struct fc_virtiofsd *vd;      /* virtio-fs: virtiofsd ... */
	struct fc_conn *vconn;        /* ... and our connection to it */
	struct fc_client *cl;
	struct fc_vfs *vfs;
	struct fc_proc *p;
	/* open files */
	int fd_file, fd_data, fd_wfile;
	/* workload state */
	unsigned char *buf;
	uint64_t rnd, roff, woff;
	uint64_t data_size;
	long dir_entries;
	char path_file[PATH_MAX + 16], path_dir[PATH_MAX + 16];
};

static char src_dir[PATH_MAX];
static uint64_t data_size;
static long dir_entries;

/* ---- the source tree ------------------------------------------------------------ */

static int write_file(const char *path, uint64_t size)
{
	static unsigned char chunk[MIB];
	uint64_t done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -errno;
	memset(chunk, 'x', sizeof(chunk));
	while (done < size) {
		size_t n = size - done < sizeof(chunk) ? (size_t)(size - done) : sizeof(chunk);

		if (write(fd, chunk, n) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		done += n;
	}
	close(fd);
	return 0;
}

static int make_tree(void)
{
	char path[PATH_MAX + 64];
	long i;
	int err;

	data_size = g_opts.quick ? 4ull * MIB : 64ull * MIB;
	dir_entries = g_opts.quick ? 1000 : 10000;
	snprintf(src_dir, sizeof(src_dir), "%s/src", g_opts.workdir);
	if (mkdir(src_dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/file", src_dir);
	if ((err = write_file(path, 4096)))
		return err;
	snprintf(path, sizeof(path), "%s/data", src_dir);
	{
		struct stat st;

		/* Keep a data file of the right size from an earlier run. */
		if ((stat(path, &st) || (uint64_t)st.st_size != data_size) &&
		    (err = write_file(path, data_size)))
			return err;
	}
	snprintf(path, sizeof(path), "%s/wfile", src_dir);
	if ((err = write_file(path, 0)))
		return err;
	snprintf(path, sizeof(path), "%s/dir", src_dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	for (i = 0; i < dir_entries; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/dir/entry-%06ld", src_dir, i);
		fd = open(path, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	/* A reused --workdir may hold more: count what is there. */
	{
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "%s/dir", src_dir);
		d = opendir(path);
		if (!d)
			return -errno;
		dir_entries = 0;
		while ((de = readdir(d)))
			dir_entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
		closedir(d);
	}
	return 0;
}

/* ---- the kernel side ------------------------------------------------------------------ */

/* Mounts to detach if we are killed (async-signal-safe: a static array). */
static char cleanup_mnts[4][PATH_MAX];

static void cleanup_mounts(void)
{
	int i;

	for (i = 0; i < 4; i++)
		if (cleanup_mnts[i][0])
			umount2(cleanup_mnts[i], MNT_DETACH);
}

static void on_fatal(int sig)
{
	cleanup_mounts();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void register_mount(const char *mnt, int on)
{
	static int handlers;
	int i;

	if (!handlers) {
		handlers = 1;
		atexit(cleanup_mounts);
		signal(SIGINT, on_fatal);
		signal(SIGTERM, on_fatal);
		signal(SIGHUP, on_fatal);
		signal(SIGSEGV, on_fatal);
		signal(SIGABRT, on_fatal);
		signal(SIGBUS, on_fatal);
	}
	for (i = 0; i < 4; i++) {
		if (on && !cleanup_mnts[i][0]) {
			snprintf(cleanup_mnts[i], PATH_MAX, "%s", mnt);
			return;
		}
		if (!on && !strcmp(cleanup_mnts[i], mnt)) {
			cleanup_mnts[i][0] = 0;
			return;
		}
	}
}

static int daemon_argv(const char **argv, char *opt, size_t optlen, int single,
		       const char *mountarg)
{
	int n = 0;

	snprintf(opt, optlen, "cache=never,source=%s", src_dir);
	argv[n++] = g_opts.passthrough_ll;
	argv[n++] = "-f";
	if (single)
		argv[n++] = "-s";
	argv[n++] = "-o";
	argv[n++] = opt;
	argv[n++] = mountarg;
	argv[n] = NULL;
	return n;
}

static int kernel_start(struct side *s, int single, const char *tag)
{
	char opts[256], opt[PATH_MAX + 64], devfd[32];
	const char *argv[10];
	struct stat st;
	int kfd, devnull;
	pid_t pid;

	snprintf(s->mnt, sizeof(s->mnt), "%s/kmnt-%s", g_opts.workdir, tag);
	if (mkdir(s->mnt, 0755) && errno != EEXIST)
		return -errno;
	kfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", kfd);
	if (mount("fusecore-bench", s->mnt, "fuse.passthrough_ll", MS_NOSUID | MS_NODEV,
		  opts) < 0) {
		int e = errno;

		close(kfd);
		return -e;
	}
	s->mounted = 1;
	register_mount(s->mnt, 1);
	snprintf(devfd, sizeof(devfd), "/dev/fd/%d", kfd);
	daemon_argv(argv, opt, sizeof(opt), single, devfd);
	pid = fork();
	if (pid < 0) {
		close(kfd);
		return -errno;
	}
	if (pid == 0) {
		/* The daemon gets /dev/fuse itself, as /dev/fd/N. */
		fcntl(kfd, F_SETFD, 0);
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0 && !g_opts.verbose) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* The daemon holds the last descriptor: its death ends the connection. */
	close(kfd);
	s->daemon = pid;
	/* The first access waits for INIT. */
	if (stat(s->mnt, &st) < 0)
		return -errno;
	snprintf(s->root, sizeof(s->root), "%s", s->mnt);
	return 0;
}

static void reap(pid_t pid)
{
	int i, status;

	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void kernel_stop(struct side *s)
{
	if (s->fd_file > 0)
		close(s->fd_file);
	if (s->fd_data > 0)
		close(s->fd_data);
	if (s->fd_wfile > 0)
		close(s->fd_wfile);
	s->fd_file = s->fd_data = s->fd_wfile = 0;
	if (s->mounted) {
		umount2(s->mnt, MNT_DETACH);
		register_mount(s->mnt, 0);
		s->mounted = 0;
	}
	if (s->daemon > 0)
		reap(s->daemon);
	s->daemon = 0;
	rmdir(s->mnt);
}

/* ---- the libfusecore side ------------------------------------------------------------------- */

static int lib_mount(struct side *s, struct fc_conn *conn, const char *subtype);

static int lib_start(struct side *s, int single)
{
	const struct fc_platform *plat = fc_platform_posix();
	struct fc_launch_config cfg;
	struct fc_launch_result res;
	char opt[PATH_MAX + 64];
	const char *argv[10];
	int err, devnull;

	daemon_argv(argv, opt, sizeof(opt), single, FC_LAUNCH_PLACEHOLDER);
	fc_launch_config_default(&cfg, plat, argv);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!g_opts.verbose) {
		cfg.stdout_fd = devnull;
		cfg.stderr_fd = devnull;
	}
	err = fc_daemon_launch(&cfg, &s->d, &res);
	if (devnull >= 0)
		close(devnull);
	if (err) {
		logf_("fusecore-bench: launch failed: %s\n", res.message);
		return err;
	}
	s->daemon = fc_daemon_info(s->d)->pid;
	return lib_mount(s, fc_daemon_conn(s->d), "passthrough_ll");
}

/* The client, the simulated kernel and the mount over connection @conn. */
static int lib_mount(struct side *s, struct fc_conn *conn, const char *subtype)
{
	const struct fc_platform *plat = fc_platform_posix();
	struct fc_client_config clcfg;
	struct fc_vfs_mount_opts mo;
	int err;

	fc_client_config_default(&clcfg);
	clcfg.root_mode = FC_S_IFDIR; /* rootmode=40000, as the kernel mount */
	clcfg.forget_on_unmount = 0;
	if ((err = fc_client_new(conn, &clcfg, &s->cl)) ||
	    (err = fc_vfs_new(plat, &s->vfs)) ||
	    (err = fc_proc_new(s->vfs, 1000, NULL, &s->p)) ||
	    (err = fc_sys_mkdir(s->p, LIB_MNT, 0755)))
		return err;
	fc_vfs_mount_opts_default(&mo);
	mo.subtype = subtype;
	err = fc_vfs_mount_fuse(s->vfs, s->p, LIB_MNT, s->cl, &mo);
	if (err < 0)
		return err;
	snprintf(s->root, sizeof(s->root), "%s", LIB_MNT);
	return 0;
}

static void lib_stop(struct side *s)
{
	if (s->p) {
		fc_proc_exit(s->p); /* closes the descriptors */
		s->p = NULL;
	}
	if (s->vfs) {
		fc_vfs_free(s->vfs); /* detaches the mount */
		s->vfs = NULL;
	}
	if (s->cl) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		/* docs/oracle.md B4: a RELEASE's end may still run just after. */
		fc_conn_wait_background(s->d ? fc_daemon_conn(s->d) : s->vconn);
		nanosleep(&ts, NULL);
		fc_client_free(s->cl);
		s->cl = NULL;
	}
	if (s->d) {
		fc_daemon_stop(s->d, NULL);
		fc_daemon_free(s->d);
		s->d = NULL;
	}
	if (s->vconn) {
		fc_conn_destroy_request(s->vconn);
		fc_conn_free(s->vconn); /* virtiofsd exits when its socket closes */
		s->vconn = NULL;
	}
	if (s->vd) {
		fc_virtiofsd_stop(s->vd, NULL);
		fc_virtiofsd_free(s->vd);
		s->vd = NULL;
	}
	s->daemon = 0;
}

/*
 * virtio-fs: QEMU's virtiofsd on the same source tree, caching off
 * (-o cache=none: timeouts 0, direct I/O), over the vhost-user transport.
 * Returns -ENOENT/-EPERM and the like when virtiofsd cannot run here.
 */
static int virtiofs_start(struct side *s, char *msg, size_t msglen)
{
	const struct fc_platform *plat = fc_platform_posix();
	struct fc_virtiofsd_config dc;
	struct fc_virtiofs_config vc;
	struct fc_conn_config cc;
	struct fc_transport *tp;
	int err, devnull;

	err = fc_virtiofsd_check(NULL, msg, msglen);
	if (err)
		return err;
	fc_virtiofsd_config_default(&dc);
	dc.source = src_dir;
	dc.cache = "none";
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dc.stderr_fd = g_opts.verbose ? -1 : devnull;
	err = fc_virtiofsd_start(&dc, &s->vd, msg, msglen);
	if (devnull >= 0)
		close(devnull);
	if (err)
		return err;
	s->daemon = fc_virtiofsd_pid(s->vd);
	fc_virtiofs_config_default(&vc);
	vc.socket_path = fc_virtiofsd_socket_path(s->vd);
	vc.pidfd = fc_virtiofsd_pidfd(s->vd);
	if (vc.pidfd < 0)
		vc.pidfd = -1;
	err = fc_virtiofs_transport_new(plat, &vc, &tp);
	if (err) {
		snprintf(msg, msglen, "vhost-user handshake: %s", strerror(-err));
		return err;
	}
	fc_virtiofs_conn_config_default(&cc, plat, tp);
	err = fc_conn_new(&cc, &s->vconn);
	if (!err)
		err = fc_conn_init(s->vconn);
	if (err) {
		snprintf(msg, msglen, "INIT: %s", strerror(-err));
		return err;
	}
	return lib_mount(s, s->vconn, "virtiofs");
}

/* ---- system calls on either side ----------------------------------------------------------- */

static int x_open(struct side *s, const char *path, int flags)
{
	int fd;

	if (s->kernel) {
		fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	/* The FC_O_* values are Linux's. */
	return fc_sys_open(s->p, path, flags, 0);
}

static int x_close(struct side *s, int fd)
{
	if (s->kernel)
		return close(fd) < 0 ? -errno : 0;
	return fc_sys_close(s->p, fd);
}

static int side_open_files(struct side *s)
{
	char path[PATH_MAX + 16];

	snprintf(s->path_file, sizeof(s->path_file), "%s/file", s->root);
	snprintf(s->path_dir, sizeof(s->path_dir), "%s/dir", s->root);
	s->fd_file = x_open(s, s->path_file, O_RDONLY);
	snprintf(path, sizeof(path), "%s/data", s->root);
	s->fd_data = x_open(s, path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/wfile", s->root);
	s->fd_wfile = x_open(s, path, O_WRONLY);
	if (s->fd_file < 0 || s->fd_data < 0 || s->fd_wfile < 0)
		return -EIO;
	s->buf = aligned_alloc(4096, MIB);
	if (!s->buf)
		return -ENOMEM;
	memset(s->buf, 'y', MIB);
	s->rnd = 0x2545F4914F6CDD1DULL;
	s->data_size = data_size;
	s->dir_entries = dir_entries;
	return 0;
}

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static long w_stat(void *ctx, long n)
{
	struct side *s = ctx;
	long i;

	for (i = 0; i < n; i++) {
		if (s->kernel) {
			struct stat st;

			if (stat(s->path_file, &st) < 0)
				return -errno;
		} else {
			struct fc_vfs_stat st;
			int err = fc_sys_stat(s->p, s->path_file, &st);

			if (err)
				return err;
		}
	}
	return n;
}

static long w_fstat(void *ctx, long n)
{
	struct side *s = ctx;
	long i;

	for (i = 0; i < n; i++) {
		if (s->kernel) {
			struct stat st;

			if (fstat(s->fd_file, &st) < 0)
				return -errno;
		} else {
			struct fc_vfs_stat st;
			int err = fc_sys_fstat(s->p, s->fd_file, &st);

			if (err)
				return err;
		}
	}
	return n;
}

static long w_openclose(void *ctx, long n)
{
	struct side *s = ctx;
	long i;

	for (i = 0; i < n; i++) {
		int fd = x_open(s, s->path_file, O_RDONLY);

		if (fd < 0)
			return fd;
		if (x_close(s, fd))
			return -EIO;
	}
	return n;
}

static long w_pread4k(void *ctx, long n)
{
	struct side *s = ctx;
	uint64_t pages = s->data_size / 4096;
	long i, got;

	for (i = 0; i < n; i++) {
		uint64_t off = (next_rand(&s->rnd) % pages) * 4096;

		if (s->kernel)
			got = pread(s->fd_data, s->buf, 4096, (off_t)off);
		else
			got = fc_sys_pread(s->p, s->fd_data, s->buf, 4096, (int64_t)off);
		if (got != 4096)
			return got < 0 ? (s->kernel ? -errno : got) : -EIO;
	}
	return n;
}

/* Bytes, not calls: a throughput row. */
static long w_read1m(void *ctx, long n)
{
	struct side *s = ctx;
	long i, got;

	for (i = 0; i < n; i++) {
		if (s->roff + MIB > s->data_size)
			s->roff = 0;
		if (s->kernel)
			got = pread(s->fd_data, s->buf, MIB, (off_t)s->roff);
		else
			got = fc_sys_pread(s->p, s->fd_data, s->buf, MIB, (int64_t)s->roff);
		if (got != (long)MIB)
			return got < 0 ? (s->kernel ? -errno : got) : -EIO;
		s->roff += MIB;
	}
	return n * (long)MIB;
}

static long w_write4k(void *ctx, long n)
{
	struct side *s = ctx;
	long i, got;

	for (i = 0; i < n; i++) {
		if (s->woff + 4096 > s->data_size)
			s->woff = 0;
		if (s->kernel)
			got = pwrite(s->fd_wfile, s->buf, 4096, (off_t)s->woff);
		else
			got = fc_sys_pwrite(s->p, s->fd_wfile, s->buf, 4096, (int64_t)s->woff);
		if (got != 4096)
			return got < 0 ? (s->kernel ? -errno : got) : -EIO;
		s->woff += 4096;
	}
	return n;
}

static long w_readdir(void *ctx, long n)
{
	struct side *s = ctx;
	long i;

	for (i = 0; i < n; i++) {
		long entries = 0;
		int fd = x_open(s, s->path_dir, O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			return fd;
		for (;;) {
			long got;
			long off = 0;

			if (s->kernel)
				got = syscall(SYS_getdents64, fd, s->buf, DIRENT_BUF);
			else
				got = fc_sys_getdents64(s->p, fd, s->buf, DIRENT_BUF);
			if (got < 0) {
				x_close(s, fd);
				return s->kernel ? -errno : got;
			}
			if (got == 0)
				break;
			while (off < got) {
				uint16_t reclen;

				memcpy(&reclen, s->buf + off + 16, sizeof(reclen));
				off += reclen;
				entries++;
			}
		}
		x_close(s, fd);
		if (entries != s->dir_entries + 2)
			return -EIO;
	}
	return n;
}

/* ---- the rows ----------------------------------------------------------------------------------- */

struct fd_row {
	const char *name;
	bench_fn fn;
	enum row_kind kind;
	long min_n;
};

static const struct fd_row fd_rows[] = {
	{ "stat(path) loop", w_stat, ROW_RATE, 200 },
	{ "fstat(fd) loop (one GETATTR)", w_fstat, ROW_RATE, 200 },
	{ "open+close loop", w_openclose, ROW_RATE, 100 },
	{ "4 KiB random pread", w_pread4k, ROW_RATE, 200 },
	{ "1 MiB sequential read", w_read1m, ROW_THROUGHPUT, 8 },
	{ "4 KiB sequential write", w_write4k, ROW_RATE, 200 },
	{ "readdir of a 10,000-entry directory", w_readdir, ROW_RATE, 2 },
};

static int stop_both(struct side *k, struct side *l)
{
	lib_stop(l);
	if (k->kernel)
		kernel_stop(k);
	else
		lib_stop(k);
	free(k->buf);
	free(l->buf);
	k->buf = l->buf = NULL;
	return 0;
}

/* Scaling: @threads callers at once, each with its own process view. */
struct par_side {
	struct side *s;
	int threads;
};

static long w_fstat_par(void *ctx, long n)
{
	struct par_side *ps = ctx;

	return bench_parallel(w_fstat, ps->s, ps->threads, n);
}

static int run_mode(int single, int *kernel_ok)
{
	const char *mode = single ? "single-threaded passthrough_ll (-s)"
				  : "multi-threaded passthrough_ll";
	char section[48];
	struct side k, l;
	unsigned i;
	int err;

	snprintf(section, sizeof(section), "fd transport vs kernel, %s",
		 single ? "-s" : "MT");
	memset(&k, 0, sizeof(k));
	memset(&l, 0, sizeof(l));
	k.kernel = 1;
	if (*kernel_ok) {
		err = kernel_start(&k, single, single ? "st" : "mt");
		if (err) {
			logf_("fusecore-bench: kernel mount failed (%s): kernel rows skipped\n",
			      strerror(-err));
			kernel_stop(&k);
			*kernel_ok = 0;
		} else if ((err = side_open_files(&k))) {
			logf_("fusecore-bench: kernel side: cannot open files (%s)\n",
			      strerror(-err));
			kernel_stop(&k);
			*kernel_ok = 0;
		}
	}
	err = lib_start(&l, single);
	if (!err)
		err = side_open_files(&l);
	if (err) {
		struct row *r = row_add(section, "set-up", ROW_VALUE);

		row_note(r, "libfusecore side failed (%s)", strerror(-err));
		stop_both(&k, &l);
		return err;
	}
	for (i = 0; i < sizeof(fd_rows) / sizeof(fd_rows[0]); i++) {
		const struct fd_row *fr = &fd_rows[i];
		struct fc_fd_stats fs0, fs1;
		char name[96];
		struct row *r;
		long n;

		if (g_opts.filter && !strstr(fr->name, g_opts.filter))
			continue;
		if (fr->fn == w_readdir)
			snprintf(name, sizeof(name), "readdir of a %ld-entry directory",
				 dir_entries);
		else
			snprintf(name, sizeof(name), "%s", fr->name);
		r = row_add(section, name, fr->kind);
		snprintf(r->b_label, sizeof(r->b_label), "Linux kernel");
		if (g_opts.verbose)
			logf_("  %s: %s\n", mode, name);
		/* Warm both (dentries, daemon inodes), then size the runs on the slower. */
		n = calibrate(fr->fn, &l, fr->min_n);
		if (*kernel_ok) {
			long nk = calibrate(fr->fn, &k, fr->min_n);

			if (nk > 0 && nk < n)
				n = nk;
		}
		if (n < 0) {
			row_note(r, "failed");
			continue;
		}
		{
			/* What one call costs in requests on our side. */
			struct fc_conn_stats s0, s1;
			long k = fr->min_n;

			fc_conn_stats(fc_daemon_conn(l.d), &s0);
			fr->fn(&l, k);
			fc_conn_stats(fc_daemon_conn(l.d), &s1);
			row_note(r, "%.2f requests/call here",
				 (double)(s1.requests - s0.requests) / (double)k);
		}
		fc_fd_transport_stats(fc_conn_transport(fc_daemon_conn(l.d)), &fs0);
		if (*kernel_ok) {
			r->target = 1.3;
			err = measure_pair(r, fr->fn, &l, l.daemon, n, fr->fn, &k, k.daemon, n);
		} else {
			err = measure_one(r, fr->fn, &l, l.daemon, n);
			row_note(r, "kernel side skipped (needs root and /dev/fuse)");
		}
		if (err)
			row_note(r, "failed (%s)", strerror(-err));
		fc_fd_transport_stats(fc_conn_transport(fc_daemon_conn(l.d)), &fs1);
		if (fs1.rx_msgs > fs0.rx_msgs)
			row_note(r, "%.0f%% of replies read by the caller, %.0f%% of those "
				    "polled for (%.0f%% caught), polling budget now %.1f µs",
				 100.0 * (double)(fs1.caller_reads - fs0.caller_reads) /
					 (double)(fs1.rx_msgs - fs0.rx_msgs),
				 fs1.caller_reads > fs0.caller_reads ?
					 100.0 * (double)(fs1.spin_reads - fs0.spin_reads) /
						 (double)(fs1.caller_reads - fs0.caller_reads) : 0.0,
				 fs1.spin_reads > fs0.spin_reads ?
					 100.0 * (double)(fs1.spin_hits - fs0.spin_hits) /
						 (double)(fs1.spin_reads - fs0.spin_reads) : 0.0,
				 (double)fs1.spin_ns / 1000.0);
		if (fr->kind == ROW_THROUGHPUT) {
			/* Per-op figures of a throughput row: per MiB. */
			r->a.us_per_op *= MIB;
			r->a.cpu_self_us *= MIB;
			if (r->a.cpu_daemon_us > 0)
				r->a.cpu_daemon_us *= MIB;
			r->b.us_per_op *= MIB;
			r->b.cpu_self_us *= MIB;
			if (r->b.cpu_daemon_us > 0)
				r->b.cpu_daemon_us *= MIB;
			row_note(r, "1 MiB per call; CPU per MiB");
		}
	}

	/* The memory transport's GETATTR against the kernel's, side by side. */
	if (!single && *kernel_ok && !g_opts.fd_only) {
		void *me = mem_getattr_open();
		struct row *r = row_add("Targets, side by side",
					"GETATTR: memory transport (polled) vs kernel fstat",
					ROW_RATE);

		snprintf(r->a_label, sizeof(r->a_label), "memory transport");
		snprintf(r->b_label, sizeof(r->b_label), "Linux kernel");
		if (me) {
			long nm = calibrate(mem_getattr_run, me, 1000);
			long nk = calibrate(w_fstat, &k, 200);

			r->target = 100;
			err = measure_pair(r, mem_getattr_run, me, 0, nm, w_fstat, &k,
					   k.daemon, nk);
			if (err)
				row_note(r, "failed (%d)", err);
			row_note(r, "kernel: fstat() of a file on the passthrough_ll mount");
			mem_getattr_close(me);
		} else {
			row_note(r, "memory set-up failed");
		}
	}

	/* Scaling: fstat from 1, 2, 4, 8 threads. */
	if (!single && (!g_opts.filter || strstr("scaling", g_opts.filter))) {
		static const int counts[] = { 1, 2, 4, 8 };

		for (i = 0; i < 4; i++) {
			struct par_side pl = { &l, counts[i] }, pk = { &k, counts[i] };
			char name[96];
			struct row *r;
			long n;

			snprintf(name, sizeof(name), "fstat from %d threads at once", counts[i]);
			r = row_add("Scaling: fd transport vs kernel, MT passthrough_ll",
				    name, ROW_RATE);
			snprintf(r->b_label, sizeof(r->b_label), "Linux kernel");
			n = calibrate(w_fstat_par, &pl, 200 * counts[i]);
			if (*kernel_ok)
				err = measure_pair(r, w_fstat_par, &pl, l.daemon, n,
						   w_fstat_par, &pk, k.daemon, n);
			else
				err = measure_one(r, w_fstat_par, &pl, l.daemon, n);
			if (err)
				row_note(r, "failed (%s)", strerror(-err));
			row_note(r, "total rate of all threads");
			if (g_opts.quick)
				break;
		}
	}
	stop_both(&k, &l);
	return 0;
}

/*
 * virtio-fs against the fd transport: both through libfusecore's VFS and
 * client, each with its usual daemon on the same tree and caching off
 * (virtiofsd -o cache=none; passthrough_ll -o cache=never, multi-threaded).
 */
static int run_virtiofs(void)
{
	const char *section = "virtio-fs vs fd transport (both libfusecore)";
	char msg[256] = "";
	struct side v, l;
	unsigned i;
	int err;

	memset(&v, 0, sizeof(v));
	memset(&l, 0, sizeof(l));
	err = virtiofs_start(&v, msg, sizeof(msg));
	if (!err)
		err = side_open_files(&v);
	if (err) {
		struct row *r = row_add(section, "all rows", ROW_VALUE);

		snprintf(r->a_label, sizeof(r->a_label), "virtio-fs");
		snprintf(r->b_label, sizeof(r->b_label), "fd transport");
		row_note(r, "skipped: %s", msg[0] ? msg : strerror(-err));
		lib_stop(&v);
		free(v.buf);
		return 0;
	}
	err = lib_start(&l, 0);
	if (!err)
		err = side_open_files(&l);
	if (err) {
		struct row *r = row_add(section, "set-up", ROW_VALUE);

		row_note(r, "fd side failed (%s)", strerror(-err));
		stop_both(&v, &l);
		return err;
	}
	for (i = 0; i < sizeof(fd_rows) / sizeof(fd_rows[0]); i++) {
		const struct fd_row *fr = &fd_rows[i];
		char name[96];
		struct row *r;
		long n, nl;

		if (g_opts.filter && !strstr(fr->name, g_opts.filter))
			continue;
		if (fr->fn == w_readdir)
			snprintf(name, sizeof(name), "readdir of a %ld-entry directory",
				 dir_entries);
		else
			snprintf(name, sizeof(name), "%s", fr->name);
		r = row_add(section, name, fr->kind);
		snprintf(r->a_label, sizeof(r->a_label), "virtio-fs");
		snprintf(r->b_label, sizeof(r->b_label), "fd transport");
		n = calibrate(fr->fn, &v, fr->min_n);
		nl = calibrate(fr->fn, &l, fr->min_n);
		if (n < 0 || nl < 0) {
			row_note(r, "failed");
			continue;
		}
		if (nl < n)
			n = nl;
		{
			struct fc_conn_stats s0, s1;

			fc_conn_stats(v.vconn, &s0);
			fr->fn(&v, fr->min_n);
			fc_conn_stats(v.vconn, &s1);
			row_note(r, "%.2f requests/call over virtio-fs",
				 (double)(s1.requests - s0.requests) / (double)fr->min_n);
		}
		err = measure_pair(r, fr->fn, &v, v.daemon, n, fr->fn, &l, l.daemon, n);
		if (err)
			row_note(r, "failed (%s)", strerror(-err));
		if (fr->kind == ROW_THROUGHPUT) {
			r->a.us_per_op *= MIB;
			r->a.cpu_self_us *= MIB;
			if (r->a.cpu_daemon_us > 0)
				r->a.cpu_daemon_us *= MIB;
			r->b.us_per_op *= MIB;
			r->b.cpu_self_us *= MIB;
			if (r->b.cpu_daemon_us > 0)
				r->b.cpu_daemon_us *= MIB;
			row_note(r, "1 MiB per call; CPU per MiB");
		}
	}
	row_note(rows_last(), "daemons: virtiofsd -o cache=none vs passthrough_ll -o cache=never");
	stop_both(&v, &l);
	return 0;
}

int bench_fd_kernel(void)
{
	int kernel_ok = !g_opts.no_kernel && geteuid() == 0 &&
			access("/dev/fuse", R_OK | W_OK) == 0;
	int err;

	if (!g_opts.passthrough_ll || !*g_opts.passthrough_ll ||
	    access(g_opts.passthrough_ll, X_OK) != 0) {
		struct row *r = row_add("fd transport vs kernel", "all rows", ROW_VALUE);

		row_note(r, "skipped: passthrough_ll not found (--passthrough PATH)");
		return 0;
	}
	if (!kernel_ok && !g_opts.no_kernel)
		logf_("fusecore-bench: not root or no /dev/fuse: kernel rows skipped\n");
	err = make_tree();
	if (err) {
		logf_("fusecore-bench: cannot make the source tree (%s)\n", strerror(-err));
		return err;
	}
	err = run_mode(0, &kernel_ok);
	if (!g_opts.quick && !g_opts.mt_only)
		err |= run_mode(1, &kernel_ok);

	err |= run_virtiofs();
	return err;
}
