/*
 * target.c - a daemon behind a transport, mounted in a simulated kernel.
 *
 * fd transport: fusecore/launch.h starts the daemon in one of the three
 * handoff modes and completes FUSE_INIT.  virtio-fs (when the library has
 * the transport, FUSECORE_CLI_HAVE_VIRTIOFS): fusecore/virtiofs.h starts
 * virtiofsd on a shared directory (or connects to a running back end's
 * socket), the vhost-user handshake runs, then FUSE_INIT.
 *
 * Either way the connection's transport is then wrapped: its ops table is
 * replaced by a copy whose send() counts requests by opcode and notes the
 * largest WRITE and READ before forwarding (the conformance checks read
 * these counters).  One target per process: the wrapper's state is static.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fusecore/proto.h"
#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
#include "fusecore/virtiofs.h"
#endif

/* ---- the transport wrapper ------------------------------------------------------ */

static const struct fc_transport_ops *wire_orig;
static struct fc_transport_ops wire_ops;
static _Atomic uint64_t wire_sent[CLI_NOPS];
static _Atomic uint64_t wire_noreply, wire_max_write, wire_max_read, wire_errors;

static void atomic_max(_Atomic uint64_t *v, uint64_t x)
{
	uint64_t cur = atomic_load(v);

	while (cur < x && !atomic_compare_exchange_weak(v, &cur, x))
		;
}

/* Copy the first @n bytes of the message into @out; 0 if shorter. */
static int gather(const struct fc_iov *iov, unsigned niov, void *out, size_t n)
{
	unsigned char *o = out;
	size_t got = 0;
	unsigned i;

	for (i = 0; i < niov && got < n; i++) {
		size_t k = iov[i].len < n - got ? iov[i].len : n - got;

		memcpy(o + got, iov[i].base, k);
		got += k;
	}
	return got == n;
}

static int wire_send(struct fc_transport *t, const struct fc_iov *iov,
		     unsigned niov, const struct fc_send_info *info)
{
	uint32_t op = info->opcode;
	int r;

	atomic_fetch_add(&wire_sent[op < CLI_NOPS ? op : 0], 1);
	if (info->noreply)
		atomic_fetch_add(&wire_noreply, 1);
	if (op == FC_WRITE) {
		size_t total = 0;
		unsigned i;

		for (i = 0; i < niov; i++)
			total += iov[i].len;
		if (total >= sizeof(struct fc_in_header) + sizeof(struct fc_write_in))
			atomic_max(&wire_max_write, total - sizeof(struct fc_in_header) -
				   sizeof(struct fc_write_in));
	} else if (op == FC_READ) {
		struct {
			struct fc_in_header h;
			struct fc_read_in r;
		} m;

		if (gather(iov, niov, &m, sizeof(m)))
			atomic_max(&wire_max_read, m.r.size);
	}
	r = wire_orig->send(t, iov, niov, info);
	if (r < 0)
		atomic_fetch_add(&wire_errors, 1);
	return r;
}

static void wire_install(struct fc_transport *t)
{
	wire_orig = t->ops;
	wire_ops = *t->ops;
	wire_ops.send = wire_send;
	t->ops = &wire_ops;
}

void cli_target_wire(struct cli_target *t, struct cli_wire_stats *out)
{
	unsigned i;

	(void)t;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < CLI_NOPS; i++)
		out->sent[i] = atomic_load(&wire_sent[i]);
	out->noreply = atomic_load(&wire_noreply);
	out->max_write = atomic_load(&wire_max_write);
	out->max_read = atomic_load(&wire_max_read);
	out->send_errors = atomic_load(&wire_errors);
}

/* ---- options ---------------------------------------------------------------------- */

void cli_target_opts_default(struct cli_target_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->transport = CLI_TRANSPORT_FD;
	o->mode = FC_LAUNCH_DEVFD;
	o->io = FC_FD_IO_AUTO;
	o->mountpoint = "/mnt";
}

void cli_target_usage(FILE *f)
{
	fprintf(f,
		"Daemon options:\n"
		"  --transport fd|virtiofs   wire to the daemon (default fd: /dev/fuse framing\n"
		"                            over a socketpair; virtiofs: vhost-user virtio-fs)\n"
		"  --mode devfd|fusermount|preload\n"
		"                            fd: how the daemon gets its /dev/fuse (default devfd:\n"
		"                            \"/dev/fd/N\" as the mountpoint; fusermount: a\n"
		"                            fusermount stand-in, needs root; preload: an\n"
		"                            LD_PRELOAD shim for daemons that open /dev/fuse)\n"
		"  --io auto|syscalls|uring  fd: the receiver's completion path (default auto)\n"
		"  --source DIR              virtiofs: the directory virtiofsd shares\n"
		"  --socket PATH             virtiofs: connect to a running back end instead\n"
		"  --daemon-log FILE         the daemon's stdout/stderr go to FILE (\"-\": the\n"
		"                            terminal; default: kept and shown if it fails)\n"
		"  --init-timeout MS         bound on the FUSE_INIT answer (default 10000)\n"
		"  --mountpoint PATH         mount point in the simulated kernel (default /mnt)\n"
		"  --page-cache[=PAGES]      cache file data in a simulated page cache of PAGES\n"
		"                            4 KiB pages (default 1024); writeback-cache mode if\n"
		"                            the daemon grants it (default: uncached I/O)\n"
		"  -v, --verbose             say what is being set up\n"
		"DAEMON ARGS: the daemon command; an argument \"%%m\" is replaced by its\n"
		"mountpoint argument (\"/dev/fd/N\" in devfd mode), and appended if absent.\n"
		"libfuse daemons must stay in the foreground: pass -f.\n"
#ifndef FUSECORE_CLI_HAVE_VIRTIOFS
		"(This build's library has no virtio-fs transport: --transport virtiofs\n"
		"fails with exit status 7.)\n"
#endif
	);
}

/* The value of option @name at argv[*i] ("--x V" or "--x=V"). */
static const char *optval(int argc, char **argv, int *i, const char *name,
			  int *is)
{
	const char *v = NULL;

	*is = 0;
	if (!cli_opt(argv[*i], name, &v))
		return NULL;
	*is = 1;
	if (v)
		return v;
	if (*i + 1 >= argc) {
		fprintf(stderr, "fusecore: %s needs a value\n", name);
		return NULL;
	}
	return argv[++*i];
}

int cli_target_parse(struct cli_target_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	int is;

	if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		o->verbose = 1;
		return 1;
	}
#define VAL(name)                                            \
	(v = optval(argc, argv, i, name, &is), is)
	if (VAL("--transport")) {
		if (!v)
			return -1;
		if (!strcmp(v, "fd"))
			o->transport = CLI_TRANSPORT_FD;
		else if (!strcmp(v, "virtiofs") || !strcmp(v, "virtio-fs"))
			o->transport = CLI_TRANSPORT_VIRTIOFS;
		else {
			fprintf(stderr, "fusecore: unknown transport '%s' (fd or virtiofs)\n", v);
			return -1;
		}
		return 1;
	}
	if (VAL("--mode")) {
		if (!v)
			return -1;
		if (!strcmp(v, "devfd"))
			o->mode = FC_LAUNCH_DEVFD;
		else if (!strcmp(v, "fusermount"))
			o->mode = FC_LAUNCH_FUSERMOUNT;
		else if (!strcmp(v, "preload"))
			o->mode = FC_LAUNCH_PRELOAD;
		else {
			fprintf(stderr, "fusecore: unknown mode '%s' (devfd, fusermount or preload)\n", v);
			return -1;
		}
		return 1;
	}
	if (VAL("--io")) {
		if (!v)
			return -1;
		if (!strcmp(v, "auto"))
			o->io = FC_FD_IO_AUTO;
		else if (!strcmp(v, "syscalls"))
			o->io = FC_FD_IO_SYSCALLS;
		else if (!strcmp(v, "uring"))
			o->io = FC_FD_IO_URING;
		else {
			fprintf(stderr, "fusecore: unknown io '%s' (auto, syscalls or uring)\n", v);
			return -1;
		}
		return 1;
	}
	if (VAL("--source")) {
		o->source = v;
		return v ? 1 : -1;
	}
	if (VAL("--socket")) {
		o->socket = v;
		return v ? 1 : -1;
	}
	if (VAL("--daemon-log")) {
		o->daemon_log = v;
		return v ? 1 : -1;
	}
	if (VAL("--mountpoint")) {
		if (!v)
			return -1;
		if (v[0] != '/' || !v[1]) {
			fprintf(stderr, "fusecore: --mountpoint must be an absolute path below /\n");
			return -1;
		}
		o->mountpoint = v;
		return 1;
	}
	if (VAL("--init-timeout")) {
		char *end;
		unsigned long ms;

		if (!v)
			return -1;
		ms = strtoul(v, &end, 10);
		if (*end || ms == 0 || ms > 3600000) {
			fprintf(stderr, "fusecore: bad --init-timeout '%s'\n", v);
			return -1;
		}
		o->init_timeout_ms = (unsigned)ms;
		return 1;
	}
	if (cli_opt(a, "--page-cache", &v)) {
		char *end;
		unsigned long n = 1024;

		if (v) {
			n = strtoul(v, &end, 10);
			if (*end || n == 0 || n > (1ul << 22)) {
				fprintf(stderr, "fusecore: bad --page-cache '%s'\n", v);
				return -1;
			}
		}
		o->page_cache = (unsigned)n;
		return 1;
	}
#undef VAL
	return 0;
}

/* ---- bringing it up ------------------------------------------------------------------ */

static void say(struct cli_target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct cli_target *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->opts.verbose)
		return;
	va_start(ap, fmt);
	fputs("fusecore: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int fail(struct cli_target *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct cli_target *t, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->message, sizeof(t->message), fmt, ap);
	va_end(ap);
	return code;
}

/* The daemon's output: a named file, the terminal, or a private log. */
static int open_log(struct cli_target *t)
{
	char path[] = "/tmp/fusecore-daemon-XXXXXX";
	const char *tmp;

	t->log_fd = -1;
	if (t->opts.daemon_log && !strcmp(t->opts.daemon_log, "-"))
		return 0;
	if (t->opts.daemon_log) {
		t->log_fd = open(t->opts.daemon_log, O_WRONLY | O_CREAT | O_APPEND |
				 O_CLOEXEC, 0644);
		if (t->log_fd < 0)
			return fail(t, CLI_EXIT_SETUP, "cannot open --daemon-log %s: %s",
				    t->opts.daemon_log, strerror(errno));
		return 0;
	}
	tmp = getenv("TMPDIR");
	if (tmp && *tmp) {
		char *p = NULL;

		if (asprintf(&p, "%s/fusecore-daemon-XXXXXX", tmp) >= 0) {
			t->log_fd = mkostemp(p, O_CLOEXEC);
			if (t->log_fd >= 0)
				unlink(p);
			free(p);
		}
	}
	if (t->log_fd < 0) {
		t->log_fd = mkostemp(path, O_CLOEXEC);
		if (t->log_fd >= 0)
			unlink(path);
	}
	return 0;	/* without a log the daemon inherits our stderr */
}

void cli_target_show_log(struct cli_target *t, FILE *f, unsigned max_lines)
{
	char buf[8192];
	off_t size;
	ssize_t n;
	size_t start = 0;
	unsigned lines = 0;
	long i;

	if (t->log_fd < 0 || (t->opts.daemon_log && strcmp(t->opts.daemon_log, "-")))
		return;
	size = lseek(t->log_fd, 0, SEEK_END);
	if (size <= 0)
		return;
	n = pread(t->log_fd, buf, sizeof(buf) - 1,
		  size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	/* The last @max_lines lines. */
	for (i = n - 1; i >= 0; i--) {
		if (buf[i] == '\n' && i != n - 1 && ++lines >= max_lines) {
			start = (size_t)i + 1;
			break;
		}
	}
	fprintf(f, "  the daemon's output (last lines):\n");
	{
		char *line = buf + start, *nl;

		while (*line) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			fprintf(f, "  | %s\n", line);
			if (!nl)
				break;
			line = nl + 1;
		}
	}
}

static void describe_status(char *buf, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with wait status 0x%x", status);
}

static void on_release(void *ctx, struct fc_client *cl)
{
	struct cli_target *t = ctx;

	(void)cl;
	t->released = 1;
}

/* Calendar time for the times the kernel side owns in writeback-cache mode. */
static uint64_t realtime_ns(void *ctx)
{
	struct timespec ts;

	/* Linux's current_time() reads the coarse clock (ktime_get_coarse_real_ts64). */
	(void)ctx;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Client, kernel, process, mount; the connection is READY. */
static int mount_it(struct cli_target *t)
{
	struct fc_vfs_mount_opts mo;
	char subtype[32];
	size_t i, j;
	int r;

	r = fc_client_new(t->conn, NULL, &t->cl);
	if (r < 0)
		return fail(t, CLI_EXIT_SETUP, "fc_client_new: %s", strerror(-r));
	if (t->opts.page_cache) {
		struct fc_pagecache_sim_config pcc;
		struct fc_cache_config cc;

		fc_pagecache_sim_config_default(&pcc, t->plat);
		pcc.capacity = t->opts.page_cache;
		r = fc_pagecache_sim_new(&pcc, &t->pc);
		if (r < 0)
			return fail(t, CLI_EXIT_SETUP, "fc_pagecache_sim_new: %s", strerror(-r));
		fc_cache_config_default(&cc, fc_pagecache_sim_ops(), t->pc);
		cc.realtime_ns = realtime_ns;
		r = fc_cache_attach(t->cl, &cc);
		if (r < 0)
			return fail(t, CLI_EXIT_SETUP, "fc_cache_attach: %s", strerror(-r));
		say(t, "page cache of %u pages attached (%s)", t->opts.page_cache,
		    fc_cache_writeback_mode(t->cl) ? "writeback-cache mode" : "write-through");
	}
	r = fc_vfs_new(t->plat, &t->vfs);
	if (r < 0)
		return fail(t, CLI_EXIT_SETUP, "fc_vfs_new: %s", strerror(-r));
	r = fc_proc_new(t->vfs, 1000, NULL, &t->proc);
	if (r < 0)
		return fail(t, CLI_EXIT_SETUP, "fc_proc_new: %s", strerror(-r));
	/* mkdir -p the mount point on the kernel's ramfs root. */
	{
		char path[FC_VFS_PATH_MAX];

		snprintf(path, sizeof(path), "%s", t->opts.mountpoint);
		for (i = 1; path[i]; i++) {
			if (path[i] != '/')
				continue;
			path[i] = 0;
			r = fc_sys_mkdir(t->proc, path, 0755);
			path[i] = '/';
			if (r < 0 && r != -EEXIST)
				return fail(t, CLI_EXIT_SETUP, "mkdir in the simulated kernel: %s",
					    strerror(-r));
		}
		r = fc_sys_mkdir(t->proc, path, 0755);
		if (r < 0 && r != -EEXIST)
			return fail(t, CLI_EXIT_SETUP, "mkdir %s in the simulated kernel: %s",
				    path, strerror(-r));
	}
	for (i = j = 0; t->name[i] && j < sizeof(subtype) - 1; i++) {
		char ch = t->name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		    ch == '-' || (ch >= 'A' && ch <= 'Z'))
			subtype[j++] = ch;
	}
	subtype[j] = 0;
	fc_vfs_mount_opts_default(&mo);
	mo.source = t->name;
	mo.subtype = j ? subtype : NULL;
	mo.release = on_release;
	mo.release_ctx = t;
	r = fc_vfs_mount_fuse(t->vfs, t->proc, t->opts.mountpoint, t->cl, &mo);
	if (r < 0)
		return fail(t, CLI_EXIT_SETUP, "mount on %s in the simulated kernel: %s",
			    t->opts.mountpoint, strerror(-r));
	t->mnt_id = r;
	say(t, "mounted on %s (mount id %d)", t->opts.mountpoint, r);
	return CLI_EXIT_OK;
}

static int up_fd(struct cli_target *t)
{
	struct fc_launch_config cfg;
	struct fc_launch_result res;
	const char **argv;
	char *helper = NULL;
	int i, has_ph = 0, r, code;

	if (t->opts.argc < 1 || !t->opts.argv[0] || !t->opts.argv[0][0])
		return fail(t, CLI_EXIT_USAGE, "no daemon command given (after --)");
	argv = calloc((size_t)t->opts.argc + 2, sizeof(*argv));
	if (!argv)
		return fail(t, CLI_EXIT_SETUP, "out of memory");
	for (i = 0; i < t->opts.argc; i++) {
		argv[i] = t->opts.argv[i];
		has_ph |= !strcmp(argv[i], FC_LAUNCH_PLACEHOLDER);
	}
	if (!has_ph)
		argv[i++] = FC_LAUNCH_PLACEHOLDER;
	argv[i] = NULL;

	fc_launch_config_default(&cfg, t->plat, argv);
	cfg.mode = t->opts.mode;
	cfg.io = t->opts.io;
	if (t->opts.init_timeout_ms)
		cfg.init_timeout_ms = t->opts.init_timeout_ms;
	cfg.stdout_fd = t->log_fd;
	cfg.stderr_fd = t->log_fd;
	if (t->opts.mode == FC_LAUNCH_FUSERMOUNT) {
		helper = cli_find_helper("fc-fusermount", FC_LAUNCH_ENV_FUSERMOUNT);
		if (!helper) {
			free(argv);
			return fail(t, CLI_EXIT_NO_DAEMON, "the fusermount stand-in fc-fusermount "
				    "was not found (set $%s)", FC_LAUNCH_ENV_FUSERMOUNT);
		}
		cfg.fusermount_helper = helper;
	} else if (t->opts.mode == FC_LAUNCH_PRELOAD) {
		helper = cli_find_helper("fc-preload.so", FC_LAUNCH_ENV_PRELOAD);
		if (!helper) {
			free(argv);
			return fail(t, CLI_EXIT_NO_DAEMON, "the preload shim fc-preload.so "
				    "was not found (set $%s)", FC_LAUNCH_ENV_PRELOAD);
		}
		cfg.preload_shim = helper;
	}
	say(t, "launching %s (fd transport, %s mode)", argv[0],
	    fc_launch_mode_name(t->opts.mode));
	r = fc_daemon_launch(&cfg, &t->daemon, &res);
	free(argv);
	free(helper);
	if (r < 0) {
		t->daemon_exited = res.exited;
		t->daemon_status = res.status;
		switch (r) {
		case -ENOENT:
		case -EACCES:
		case -ENOEXEC:
		case -ENOTDIR:
		case -ELOOP:
			code = CLI_EXIT_NO_DAEMON;
			break;
		case -ENOTCONN:
			code = CLI_EXIT_DAEMON_DIED;
			break;
		case -ECONNREFUSED:
		case -EIO:
		case -EPROTO:
			code = CLI_EXIT_INIT_REFUSED;
			break;
		case -ETIMEDOUT:
			code = CLI_EXIT_INIT_TIMEOUT;
			break;
		case -EINVAL:
			code = CLI_EXIT_USAGE;
			break;
		default:
			code = CLI_EXIT_SETUP;
		}
		return fail(t, code, "%s", res.message[0] ? res.message : strerror(-r));
	}
	t->conn = fc_daemon_conn(t->daemon);
	wire_install(fc_conn_transport(t->conn));
	{
		const struct fc_daemon_info *di = fc_daemon_info(t->daemon);

		snprintf(t->transport_desc, sizeof(t->transport_desc), "fd (%s, %s)",
			 fc_launch_mode_name(t->opts.mode),
			 di->io == FC_FD_IO_URING ? "io_uring" : "syscalls");
		say(t, "daemon pid %d answered FUSE_INIT", (int)di->pid);
	}
	return CLI_EXIT_OK;
}

#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
/* FUSE_INIT on a transport without its own bound: a watchdog disconnects. */
struct init_watch {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, fired;
	unsigned ms;
	struct fc_transport *tp;
};

static void *init_watchdog(void *arg)
{
	struct init_watch *w = arg;
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += w->ms / 1000;
	dl.tv_nsec += (long)(w->ms % 1000) * 1000000l;
	if (dl.tv_nsec >= 1000000000l) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000l;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &dl) == ETIMEDOUT &&
		    !w->done) {
			w->fired = 1;
			fc_virtiofs_disconnect(w->tp);
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int up_virtiofs(struct cli_target *t)
{
	struct fc_virtiofsd_config vc;
	struct fc_virtiofs_config tc;
	struct fc_conn_config cc;
	struct fc_transport *tp = NULL;
	struct fc_virtiofsd *vd = NULL;
	struct init_watch w;
	pthread_t th;
	char msg[256] = "";
	const char *sock = t->opts.socket;
	int r;

	if (!sock) {
		if (!t->opts.source)
			return fail(t, CLI_EXIT_USAGE, "--transport virtiofs needs --source DIR "
				    "(the directory virtiofsd shares) or --socket PATH");
		fc_virtiofsd_config_default(&vc);
		if (t->opts.argc > 0) {
			vc.binary = t->opts.argv[0];
			vc.extra_args = (const char *const *)t->opts.argv + 1;
		}
		vc.source = t->opts.source;
		vc.stderr_fd = t->log_fd;
		say(t, "starting virtiofsd on %s", vc.source);
		r = fc_virtiofsd_start(&vc, &vd, msg, sizeof(msg));
		if (r < 0) {
			int code = r == -ENOENT || r == -EACCES ? CLI_EXIT_NO_DAEMON :
				   r == -ECHILD ? CLI_EXIT_DAEMON_DIED :
				   r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_SETUP;

			return fail(t, code, "virtiofsd: %s", msg[0] ? msg : strerror(-r));
		}
		t->vfsd = vd;
		sock = fc_virtiofsd_socket_path(vd);
	}
	fc_virtiofs_config_default(&tc);
	tc.socket_path = sock;
	tc.pidfd = vd ? fc_virtiofsd_pidfd(vd) : -1;
	if (tc.pidfd < 0)
		tc.pidfd = -1;
	say(t, "vhost-user handshake on %s", sock);
	r = fc_virtiofs_transport_new(t->plat, &tc, &tp);
	if (r < 0)
		return fail(t, r == -ECONNRESET ? CLI_EXIT_DAEMON_DIED : CLI_EXIT_SETUP,
			    "vhost-user handshake with %s: %s", sock, strerror(-r));
	wire_install(tp);
	fc_virtiofs_conn_config_default(&cc, t->plat, tp);
	r = fc_conn_new(&cc, &t->conn);
	if (r < 0)
		return fail(t, CLI_EXIT_SETUP, "fc_conn_new: %s", strerror(-r));
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.ms = t->opts.init_timeout_ms ? t->opts.init_timeout_ms : 10000;
	w.tp = tp;
	if (pthread_create(&th, NULL, init_watchdog, &w) != 0)
		return fail(t, CLI_EXIT_SETUP, "cannot start a thread");
	r = fc_conn_init(t->conn);
	pthread_mutex_lock(&w.lock);
	w.done = 1;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(th, NULL);
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	if (r < 0) {
		if (w.fired)
			return fail(t, CLI_EXIT_INIT_TIMEOUT, "the back end did not answer "
				    "FUSE_INIT within %u ms", w.ms);
		if (r == -ENOTCONN)
			return fail(t, CLI_EXIT_DAEMON_DIED, "the back end went away before "
				    "answering FUSE_INIT");
		return fail(t, CLI_EXIT_INIT_REFUSED, "the back end refused FUSE_INIT: %s",
			    strerror(-r));
	}
	{
		struct fc_virtiofs_info vi;

		fc_virtiofs_info(tp, &vi);
		snprintf(t->transport_desc, sizeof(t->transport_desc),
			 "virtio-fs (vhost-user, %u request queue%s of %u)",
			 vi.num_queues - 1, vi.num_queues == 2 ? "" : "s", vi.queue_size);
	}
	return CLI_EXIT_OK;
}
#endif

int cli_target_up(struct cli_target *t, const struct cli_target_opts *opts)
{
	const char *base;
	int code;

	memset(t, 0, sizeof(*t));
	t->opts = *opts;
	t->plat = fc_platform_posix();
	t->log_fd = -1;
	if (opts->transport == CLI_TRANSPORT_VIRTIOFS) {
		base = opts->argc > 0 ? opts->argv[0] : "virtiofsd";
	} else {
		base = opts->argc > 0 ? opts->argv[0] : "daemon";
	}
	if (strrchr(base, '/'))
		base = strrchr(base, '/') + 1;
	snprintf(t->name, sizeof(t->name), "%s", base);
	code = open_log(t);
	if (code)
		return code;
	if (opts->transport == CLI_TRANSPORT_VIRTIOFS) {
#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
		code = up_virtiofs(t);
#else
		code = fail(t, CLI_EXIT_SETUP, "this libfusecore has no virtio-fs "
			    "transport (fusecore/virtiofs.h)");
#endif
	} else {
		code = up_fd(t);
	}
	if (code == CLI_EXIT_OK)
		code = mount_it(t);
	if (code != CLI_EXIT_OK) {
		char keep[sizeof(t->message)];

		memcpy(keep, t->message, sizeof(keep));
		cli_target_down(t);
		memcpy(t->message, keep, sizeof(keep));
	}
	return code;
}

int cli_target_alive(struct cli_target *t)
{
	return t->conn && fc_conn_state(t->conn) == FC_CONN_READY;
}

int cli_target_down(struct cli_target *t)
{
	int died = t->conn && fc_conn_state(t->conn) == FC_CONN_ABORTED;
	char how[128] = "";

	if (t->proc) {
		fc_proc_exit(t->proc);
		t->proc = NULL;
	}
	if (t->vfs) {
		fc_vfs_free(t->vfs);
		t->vfs = NULL;
	}
	if (t->cl) {
		if (!t->released && t->mnt_id > 0)
			fprintf(stderr, "fusecore: warning: the mount did not release its client\n");
		fc_client_free(t->cl);
		t->cl = NULL;
	}
	if (t->pc) {
		fc_pagecache_sim_free(t->pc);	/* its mappings went with the client */
		t->pc = NULL;
	}
	if (t->daemon) {
		struct fc_launch_result res;

		memset(&res, 0, sizeof(res));
		fc_daemon_stop(t->daemon, &res);
		t->daemon_exited = res.exited;
		t->daemon_status = res.status;
		fc_daemon_free(t->daemon);
		t->daemon = NULL;
		t->conn = NULL;	/* freed by the launcher */
	}
#ifdef FUSECORE_CLI_HAVE_VIRTIOFS
	if (t->conn) {
		if (fc_conn_state(t->conn) == FC_CONN_READY)
			fc_conn_destroy_request(t->conn);
		fc_conn_free(t->conn);
		t->conn = NULL;
	}
	if (t->vfsd) {
		int status = 0;

		fc_virtiofsd_stop(t->vfsd, &status);
		t->daemon_exited = 1;
		t->daemon_status = status;
		fc_virtiofsd_free(t->vfsd);
		t->vfsd = NULL;
	}
#endif
	if (died) {
		if (t->daemon_exited)
			describe_status(how, sizeof(how), t->daemon_status);
		snprintf(t->message, sizeof(t->message),
			 "the daemon went away during the run%s%s", how[0] ? " (it " : "",
			 how[0] ? how : "");
		if (how[0])
			strncat(t->message, ")", sizeof(t->message) - strlen(t->message) - 1);
		return CLI_EXIT_DAEMON_DIED;
	}
	return CLI_EXIT_OK;
}
