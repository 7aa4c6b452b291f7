/*
 * The daemon launcher: a FUSE daemon command on one end of a
 * SOCK_SEQPACKET socketpair, an fd transport and a connection on the
 * other (fusecore/launch.h).
 *
 * Order of events in fc_daemon_launch():
 *   1. resolve argv[0] (and the helper of the mode) before anything else,
 *      so that a missing command is a clear ENOENT, not an exit status;
 *   2. socketpair, both ends sized for the largest message
 *      (fc_fd_size_socket_buffers); if the kernel will not give enough,
 *      clamp the INIT profile's max_pages_limit so every message fits;
 *   3. fork; the child optionally enters a private mount namespace with
 *      the fusermount stand-in bind-mounted over the real fusermount and
 *      CAP_SYS_ADMIN dropped, then execs.  Exec failures travel back over
 *      a close-on-exec pipe (the classic trick), so they are errors, not
 *      exit codes;
 *   4. fd transport + connection on our end; FUSE_INIT with a watchdog
 *      thread that shuts the socket down when the deadline passes (the
 *      connection core itself waits without a timeout).
 *
 * The child between fork and exec runs only async-signal-safe calls: the
 * caller may have other threads (receivers of other connections).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/launch.h"
#include "fusecore/transport.h"

extern char **environ;

#define DEF_INIT_TIMEOUT_MS 10000u
#define DEF_DESTROY_TIMEOUT_MS 5000u
#define DEF_TERM_GRACE_MS 2000u
#define DEF_KILL_GRACE_MS 2000u

/* Where libfuse2/3 exec fusermount first (FUSERMOUNT_DIR), before $PATH. */
static const char *const fusermount_paths[] = {
	"/bin/fusermount3", "/usr/bin/fusermount3",
	"/bin/fusermount", "/usr/bin/fusermount",
};
#define NFUSERMOUNT (sizeof(fusermount_paths) / sizeof(fusermount_paths[0]))

/* What the child reports over the error pipe before exec (or instead). */
enum child_stage {
	STAGE_EXEC = 0,
	STAGE_UNSHARE,
	STAGE_PRIVATE,
	STAGE_BIND,
	STAGE_CAPS,
	STAGE_FDS,
};

static const char *const stage_names[] = {
	"exec", "unshare(CLONE_NEWNS)", "make / private",
	"bind-mount the fusermount stand-in", "drop CAP_SYS_ADMIN",
	"set up file descriptors",
};

struct child_report {
	int stage;
	int err;
};

struct fc_daemon {
	const struct fc_platform *plat;
	struct fc_conn *conn;
	struct fc_transport *tp; /* owned by conn once it exists */
	pid_t pid;
	int pidfd;
	int reaped;
	int status;
	int stopped;
	struct fc_launch_result stop_res;
	int stop_ret;

	char *tmpdir;		/* our private temporary directory, or NULL */
	char *mnt;		/* mountpoint (ours under tmpdir, or the caller's) */
	int mnt_ours;		/* we created mnt (and remove it) */
	char *bindir;		/* tmpdir/bin with fusermount links, or NULL */
	unsigned destroy_timeout_ms, term_grace_ms, kill_grace_ms;
	struct fc_daemon_info info;
};

/* ---- small helpers ----------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int set_msg(struct fc_launch_result *res, int err, const char *fmt, ...)
{
	va_list ap;

	if (res) {
		res->error = err;
		va_start(ap, fmt);
		vsnprintf(res->message, sizeof(res->message), fmt, ap);
		va_end(ap);
	}
	return err;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void plog(const struct fc_platform *plat, enum fc_log_level lvl,
		 const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (!plat->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	plat->log(plat->ctx, lvl, msg);
}

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *fc_launch_mode_name(enum fc_launch_mode mode)
{
	switch (mode) {
	case FC_LAUNCH_DEVFD:
		return "devfd";
	case FC_LAUNCH_FUSERMOUNT:
		return "fusermount";
	case FC_LAUNCH_PRELOAD:
		return "preload";
	}
	return "?";
}

void fc_launch_config_default(struct fc_launch_config *cfg,
			      const struct fc_platform *plat,
			      const char *const *argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_LAUNCH_CONFIG_VERSION;
	cfg->plat = plat;
	cfg->argv = argv;
	cfg->mode = FC_LAUNCH_DEVFD;
	cfg->placeholder = FC_LAUNCH_PLACEHOLDER;
	cfg->max_write = FC_FD_DEFAULT_MAX_WRITE;
	cfg->io = FC_FD_IO_AUTO;
	cfg->stdout_fd = -1;
	cfg->stderr_fd = -1;
}

/* An executable regular file?  0 or -errno. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

/* argv[0] as a path: itself if it has a '/', else the $PATH match. */
static int resolve_command(const char *name, char **out,
			   struct fc_launch_result *res)
{
	const char *path, *p;
	int err;

	if (!*name)
		return set_msg(res, -ENOENT, "empty command name");
	if (strchr(name, '/')) {
		err = check_exec(name);
		if (err)
			return set_msg(res, err, "cannot execute '%s': %s", name,
				       strerror(-err));
		*out = strdup(name);
		return *out ? 0 : -ENOMEM;
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; p; ) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)len, len ? p : ".", name);

		if (!cand)
			return -ENOMEM;
		if (check_exec(cand) == 0) {
			*out = cand;
			return 0;
		}
		free(cand);
		p = end ? end + 1 : NULL;
	}
	return set_msg(res, -ENOENT, "command '%s' not found in PATH", name);
}

/* ---- environment --------------------------------------------------------------- */

struct strvec {
	char **v;
	size_t n, cap;
};

static int sv_push(struct strvec *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (s->n + 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		char **nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv) {
			free(str);
			return -ENOMEM;
		}
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

static void sv_free(struct strvec *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Set "NAME=value" in @s, replacing an entry with the same name. */
static int env_set(struct strvec *s, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t nl = eq ? (size_t)(eq - entry) : strlen(entry);
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!strncmp(s->v[i], entry, nl) && s->v[i][nl] == '=') {
			char *dup = strdup(entry);

			if (!dup)
				return -ENOMEM;
			free(s->v[i]);
			s->v[i] = dup;
			return 0;
		}
	}
	return sv_push(s, strdup(entry));
}

/* The value of NAME in @s, or NULL. */
static const char *env_get(const struct strvec *s, const char *name)
{
	size_t nl = strlen(name), i;

	for (i = 0; i < s->n; i++)
		if (!strncmp(s->v[i], name, nl) && s->v[i][nl] == '=')
			return s->v[i] + nl + 1;
	return NULL;
}

/* ---- child processes ------------------------------------------------------------- */

/* Reap within @ms milliseconds; 1 if reaped (d->status set), else 0. */
static int child_wait(struct fc_daemon *d, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	while (!d->reaped) {
		int st = 0;
		pid_t r = waitpid(d->pid, &st, WNOHANG);
		uint64_t now;

		if (r == d->pid) {
			d->reaped = 1;
			d->status = st;
			break;
		}
		if (r < 0 && errno != EINTR) {
			/* Reaped elsewhere (SIGCHLD ignored?): status unknown. */
			d->reaped = 1;
			d->status = 0;
			break;
		}
		now = now_ms();
		if (now >= deadline)
			return 0;
		if (d->pidfd >= 0) {
			struct pollfd p = { .fd = d->pidfd, .events = POLLIN };
			uint64_t left = deadline - now;

			poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		} else {
			/* No pidfd (kernel < 5.3): look again in 2 ms. */
			struct timespec ts = { 0, 2 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	if (d->pidfd >= 0) {
		close(d->pidfd);
		d->pidfd = -1;
	}
	return 1;
}

/* Wait, then SIGTERM, wait, then SIGKILL; always reaps.  Signals sent. */
static void child_end(struct fc_daemon *d, unsigned term_ms, unsigned kill_ms,
		      struct fc_launch_result *res)
{
	if (d->pid <= 0 || child_wait(d, term_ms))
		return;
	kill(d->pid, SIGTERM);
	if (res)
		res->sent_sigterm = 1;
	if (child_wait(d, kill_ms))
		return;
	kill(d->pid, SIGKILL);
	if (res)
		res->sent_sigkill = 1;
	child_wait(d, 60u * 60 * 1000);
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}

/* Drop CAP_SYS_ADMIN from the bounding set and the current sets. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) < 0)
		return -1;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	data[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	data[CAP_SYS_ADMIN / 32].inheritable &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	return 0;
}

struct child_plan {
	const char *path;
	char *const *argv;
	char *const *envp;
	int dfd;
	int errfd;
	int out_fd, err_fd;
	int ns;			/* FUSERMOUNT: private namespace + stand-in */
	const char *helper;
	const char *targets[NFUSERMOUNT];
	unsigned ntargets;
};

static void child_fail(const struct child_plan *p, int stage, int err)
{
	struct child_report r = { .stage = stage, .err = err };
	ssize_t n = write(p->errfd, &r, sizeof(r));

	(void)n;
	_exit(127);
}

/* After fork: async-signal-safe calls only. */
static void child_exec(const struct child_plan *p)
{
	sigset_t none;
	unsigned i;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (p->out_fd >= 0 && dup2(p->out_fd, 1) < 0)
		child_fail(p, STAGE_FDS, errno);
	if (p->err_fd >= 0 && dup2(p->err_fd, 2) < 0)
		child_fail(p, STAGE_FDS, errno);
	/* The daemon's end crosses exec (and libfuse's fork of fusermount). */
	if (fcntl(p->dfd, F_SETFD, 0) < 0)
		child_fail(p, STAGE_FDS, errno);
	if (p->ns) {
		if (unshare(CLONE_NEWNS) < 0)
			child_fail(p, STAGE_UNSHARE, errno);
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(p, STAGE_PRIVATE, errno);
		for (i = 0; i < p->ntargets; i++)
			if (mount(p->helper, p->targets[i], NULL, MS_BIND, NULL) < 0)
				child_fail(p, STAGE_BIND, errno);
		/* libfuse's own mount(2) must fail with EPERM. */
		if (drop_sys_admin() < 0)
			child_fail(p, STAGE_CAPS, errno);
	}
	execve(p->path, p->argv, p->envp);
	child_fail(p, STAGE_EXEC, errno);
}

/* ---- the INIT / DESTROY watchdog ------------------------------------------------- */

struct watchdog {
	pthread_mutex_t m;
	pthread_cond_t c;
	int done, fired, started;
	unsigned ms;
	struct fc_transport *tp;
	pthread_t th;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec dl;
	int fired;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += w->ms / 1000;
	dl.tv_nsec += (long)(w->ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->m);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->c, &w->m, &dl) == ETIMEDOUT &&
		    !w->done) {
			w->fired = 1;
			break;
		}
	}
	fired = w->fired;
	pthread_mutex_unlock(&w->m);
	/* Every waiter of the connection fails with -ENOTCONN. */
	if (fired)
		fc_fd_transport_shutdown(w->tp);
	return NULL;
}

static void watchdog_start(struct watchdog *w, struct fc_transport *tp,
			   unsigned ms)
{
	pthread_condattr_t ca;

	memset(w, 0, sizeof(*w));
	w->tp = tp;
	w->ms = ms;
	pthread_mutex_init(&w->m, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->c, &ca);
	pthread_condattr_destroy(&ca);
	w->started = pthread_create(&w->th, NULL, watchdog_main, w) == 0;
}

/* Returns non-zero if the deadline passed (the socket was shut down). */
static int watchdog_stop(struct watchdog *w)
{
	int fired;

	pthread_mutex_lock(&w->m);
	w->done = 1;
	pthread_cond_broadcast(&w->c);
	pthread_mutex_unlock(&w->m);
	if (w->started)
		pthread_join(w->th, NULL);
	fired = w->fired;
	pthread_cond_destroy(&w->c);
	pthread_mutex_destroy(&w->m);
	return fired;
}

/* ---- temporary directories --------------------------------------------------------- */

static void remove_dirs(struct fc_daemon *d)
{
	if (d->bindir) {
		char *l1 = xasprintf("%s/fusermount3", d->bindir);
		char *l2 = xasprintf("%s/fusermount", d->bindir);

		if (l1)
			unlink(l1);
		if (l2)
			unlink(l2);
		free(l1);
		free(l2);
		rmdir(d->bindir);
		free(d->bindir);
		d->bindir = NULL;
	}
	if (d->tmpdir) {
		if (d->mnt && d->mnt_ours)
			rmdir(d->mnt);
		rmdir(d->tmpdir);
		free(d->tmpdir);
		d->tmpdir = NULL;
	}
	free(d->mnt);
	d->mnt = NULL;
	d->info.mountpoint = NULL;
}

/* A private directory with mnt/ (and bin/ links to the stand-in). */
static int make_dirs(struct fc_daemon *d, const struct fc_launch_config *cfg,
		     const char *helper, struct fc_launch_result *res)
{
	const char *tmp = getenv("TMPDIR");
	int err;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	d->tmpdir = xasprintf("%s/fusecore-launch-XXXXXX", tmp);
	if (!d->tmpdir)
		return -ENOMEM;
	if (!mkdtemp(d->tmpdir)) {
		err = -errno;
		free(d->tmpdir);
		d->tmpdir = NULL;
		return set_msg(res, err, "cannot create a temporary directory in %s: %s",
			       tmp, strerror(-err));
	}
	if (cfg->mountpoint) {
		d->mnt = strdup(cfg->mountpoint);
		if (!d->mnt)
			return -ENOMEM;
	} else if (cfg->mode != FC_LAUNCH_DEVFD) {
		d->mnt = xasprintf("%s/mnt", d->tmpdir);
		if (!d->mnt)
			return -ENOMEM;
		if (mkdir(d->mnt, 0755) < 0) {
			err = -errno;
			return set_msg(res, err, "cannot create %s: %s", d->mnt,
				       strerror(-err));
		}
		d->mnt_ours = 1;
	}
	if (cfg->mode == FC_LAUNCH_FUSERMOUNT) {
		char *l1, *l2;

		d->bindir = xasprintf("%s/bin", d->tmpdir);
		if (!d->bindir)
			return -ENOMEM;
		if (mkdir(d->bindir, 0755) < 0)
			return -errno;
		l1 = xasprintf("%s/fusermount3", d->bindir);
		l2 = xasprintf("%s/fusermount", d->bindir);
		err = (!l1 || !l2) ? -ENOMEM : 0;
		if (!err && (symlink(helper, l1) < 0 || symlink(helper, l2) < 0))
			err = -errno;
		free(l1);
		free(l2);
		if (err)
			return set_msg(res, err, "cannot link the fusermount stand-in: %s",
				       strerror(-err));
	}
	d->info.mountpoint = cfg->mode == FC_LAUNCH_DEVFD ? NULL : d->mnt;
	return 0;
}

/* ---- launch -------------------------------------------------------------------------- */

/* Lower max_pages_limit so that the largest message fits in @limit bytes. */
static int clamp_profile(struct fc_init_profile *prof, size_t limit,
			 size_t want, uint32_t max_write,
			 const struct fc_platform *plat, int *clamped)
{
	size_t pages;

	*clamped = 0;
	if (limit >= want)
		return 0;
	/* A message is at most max_pages pages + 4096 (headers) + slack. */
	pages = limit > 4096 + FC_FD_MSG_SLACK ?
		(limit - 4096 - FC_FD_MSG_SLACK) / 4096 : 0;
	if (pages < 1)
		return -ENOBUFS;
	if (!prof->max_pages_limit || prof->max_pages_limit > pages) {
		prof->max_pages_limit = (uint32_t)pages;
		*clamped = 1;
	}
	plog(plat, FC_LOG_WARN,
	     "launch: socket buffers carry messages of at most %zu bytes, "
	     "not the %zu that max_write %u needs: INIT max_pages_limit "
	     "lowered to %u (requests of at most %zu bytes of data; a daemon "
	     "that does not negotiate MAX_PAGES still gets 32 pages)",
	     limit, want, max_write, prof->max_pages_limit,
	     (size_t)prof->max_pages_limit * 4096);
	return 0;
}

static void daemon_release(struct fc_daemon *d)
{
	if (d->pidfd >= 0)
		close(d->pidfd);
	remove_dirs(d);
	free(d);
}

int fc_daemon_launch(const struct fc_launch_config *cfg,
		     struct fc_daemon **out, struct fc_launch_result *res)
{
	struct fc_launch_result dummy;
	struct fc_daemon *d = NULL;
	struct strvec env = { 0 }, args = { 0 };
	struct child_plan plan;
	struct fc_init_profile prof;
	struct fc_fd_config fcfg;
	struct fc_conn_config cc;
	struct watchdog wd;
	const char *ph, *helper = NULL;
	char *cmd = NULL, *mountarg = NULL;
	char resolved[NFUSERMOUNT][PATH_MAX];
	size_t want, req, lim0 = 0, lim1 = 0, i;
	int sv[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int err, nph = 0, fired;
	uint32_t max_write;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (out)
		*out = NULL;
	if (!cfg || cfg->version != FC_LAUNCH_CONFIG_VERSION || !cfg->plat ||
	    !out || !cfg->argv || !cfg->argv[0])
		return set_msg(res, -EINVAL, "invalid launch configuration");
	if (cfg->mode != FC_LAUNCH_DEVFD && cfg->mode != FC_LAUNCH_FUSERMOUNT &&
	    cfg->mode != FC_LAUNCH_PRELOAD)
		return set_msg(res, -EINVAL, "unknown launch mode %d", cfg->mode);
	ph = cfg->placeholder ? cfg->placeholder : FC_LAUNCH_PLACEHOLDER;
	for (i = 0; cfg->argv[i]; i++)
		nph += !strcmp(cfg->argv[i], ph);
	if (!nph)
		return set_msg(res, -EINVAL,
			       "no '%s' argument in the command for the mountpoint", ph);
	max_write = cfg->max_write ? cfg->max_write : FC_FD_DEFAULT_MAX_WRITE;

	/* 1. Everything that must exist. */
	err = resolve_command(cfg->argv[0], &cmd, res);
	if (err)
		return err;
	if (cfg->mode == FC_LAUNCH_FUSERMOUNT) {
		helper = cfg->fusermount_helper ? cfg->fusermount_helper
						: getenv(FC_LAUNCH_ENV_FUSERMOUNT);
		if (geteuid() != 0) {
			err = set_msg(res, -EPERM,
				      "fusermount mode needs root (a private mount namespace)");
			goto out_cmd;
		}
	} else if (cfg->mode == FC_LAUNCH_PRELOAD) {
		helper = cfg->preload_shim ? cfg->preload_shim
					   : getenv(FC_LAUNCH_ENV_PRELOAD);
	}
	if (cfg->mode != FC_LAUNCH_DEVFD) {
		const char *what = cfg->mode == FC_LAUNCH_FUSERMOUNT ?
				   "fusermount stand-in" : "preload shim";
		struct stat st;

		if (!helper || !*helper) {
			err = set_msg(res, -ENOENT, "no %s given (config or $%s)", what,
				      cfg->mode == FC_LAUNCH_FUSERMOUNT ?
				      FC_LAUNCH_ENV_FUSERMOUNT : FC_LAUNCH_ENV_PRELOAD);
			goto out_cmd;
		}
		if (helper[0] != '/' || stat(helper, &st) < 0 || !S_ISREG(st.st_mode)) {
			err = set_msg(res, -ENOENT,
				      "%s '%s' missing (an absolute path to a file is needed)",
				      what, helper);
			goto out_cmd;
		}
	}

	d = calloc(1, sizeof(*d));
	if (!d) {
		err = -ENOMEM;
		goto out_cmd;
	}
	d->plat = cfg->plat;
	d->pid = -1;
	d->pidfd = -1;
	d->destroy_timeout_ms = cfg->destroy_timeout_ms ? cfg->destroy_timeout_ms
							: DEF_DESTROY_TIMEOUT_MS;
	d->term_grace_ms = cfg->term_grace_ms ? cfg->term_grace_ms : DEF_TERM_GRACE_MS;
	d->kill_grace_ms = cfg->kill_grace_ms ? cfg->kill_grace_ms : DEF_KILL_GRACE_MS;
	if (cfg->mode != FC_LAUNCH_DEVFD) {
		err = make_dirs(d, cfg, helper, res);
		if (err)
			goto fail;
	}

	/* 2. The socketpair, sized; the INIT profile clamped if need be. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = set_msg(res, -errno, "socketpair: %s", strerror(errno));
		goto fail;
	}
	want = fc_fd_msg_size(max_write);
	req = cfg->sockbuf ? cfg->sockbuf :
	      (2 * want > FC_FD_DEFAULT_SOCKBUF ? 2 * want : FC_FD_DEFAULT_SOCKBUF);
	if (fc_fd_size_socket_buffers(sv[0], req, &lim0) < 0 ||
	    fc_fd_size_socket_buffers(sv[1], req, &lim1) < 0)
		plog(cfg->plat, FC_LOG_WARN, "launch: cannot set socket buffers: %s",
		     strerror(errno));
	d->info.msg_limit = lim0 < lim1 ? lim0 : lim1;
	if (cfg->init)
		prof = *cfg->init;
	else
		fc_init_profile_default(&prof, FC_TRANSPORT_FUSE_DEV);
	err = clamp_profile(&prof, d->info.msg_limit, want, max_write, cfg->plat,
			    &d->info.clamped);
	if (err) {
		set_msg(res, err, "socket buffers too small (%zu bytes) for any request",
			d->info.msg_limit);
		goto fail;
	}
	d->info.max_pages_limit = prof.max_pages_limit;
	d->info.daemon_fd = sv[1];

	/* 3. argv, environment, fork + exec. */
	if (cfg->mode == FC_LAUNCH_DEVFD)
		mountarg = xasprintf("/dev/fd/%d", sv[1]);
	else
		mountarg = strdup(d->mnt);
	if (!mountarg) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; cfg->argv[i]; i++) {
		err = sv_push(&args, strdup(strcmp(cfg->argv[i], ph) ? cfg->argv[i]
								  : mountarg));
		if (err)
			goto fail;
	}
	for (i = 0; environ && environ[i]; i++) {
		err = sv_push(&env, strdup(environ[i]));
		if (err)
			goto fail;
	}
	for (i = 0; cfg->env && cfg->env[i]; i++) {
		err = env_set(&env, cfg->env[i]);
		if (err)
			goto fail;
	}
	if (cfg->mode == FC_LAUNCH_FUSERMOUNT) {
		const char *path = env_get(&env, "PATH");
		char *e1 = xasprintf("PATH=%s%s%s", d->bindir, path ? ":" : "",
				     path ? path : "");
		char *e2 = xasprintf("%s=%d", FC_LAUNCH_ENV_FUSERMOUNT_FD, sv[1]);

		err = (!e1 || !e2) ? -ENOMEM : env_set(&env, e1);
		if (!err)
			err = env_set(&env, e2);
		free(e1);
		free(e2);
		if (err)
			goto fail;
	} else if (cfg->mode == FC_LAUNCH_PRELOAD) {
		const char *pre = env_get(&env, "LD_PRELOAD");
		char *e1 = xasprintf("LD_PRELOAD=%s%s%s", helper,
				     pre && *pre ? ":" : "", pre ? pre : "");
		char *e2 = xasprintf("%s=%d", FC_LAUNCH_ENV_PRELOAD_FD, sv[1]);

		err = (!e1 || !e2) ? -ENOMEM : env_set(&env, e1);
		if (!err)
			err = env_set(&env, e2);
		free(e1);
		free(e2);
		if (err)
			goto fail;
	}

	memset(&plan, 0, sizeof(plan));
	plan.path = cmd;
	plan.argv = args.v;
	plan.envp = env.v;
	plan.dfd = sv[1];
	plan.out_fd = cfg->stdout_fd;
	plan.err_fd = cfg->stderr_fd;
	if (cfg->mode == FC_LAUNCH_FUSERMOUNT) {
		plan.ns = 1;
		plan.helper = helper;
		/* Bind over each real file once (/bin may be a link to /usr/bin). */
		for (i = 0; i < NFUSERMOUNT; i++) {
			unsigned k;
			int dup = 0;

			if (!realpath(fusermount_paths[i], resolved[plan.ntargets]))
				continue;
			for (k = 0; k < plan.ntargets; k++)
				dup |= !strcmp(resolved[k], resolved[plan.ntargets]);
			if (!dup) {
				plan.targets[plan.ntargets] = resolved[plan.ntargets];
				plan.ntargets++;
			}
		}
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		err = set_msg(res, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	plan.errfd = ep[1];

	d->pid = fork();
	if (d->pid < 0) {
		err = set_msg(res, -errno, "fork: %s", strerror(errno));
		goto fail;
	}
	if (d->pid == 0)
		child_exec(&plan); /* does not return */
	d->info.pid = d->pid;
#ifdef SYS_pidfd_open
	d->pidfd = (int)syscall(SYS_pidfd_open, d->pid, 0);
#endif
	close(ep[1]);
	ep[1] = -1;
	close(sv[1]);
	sv[1] = -1;
	{
		struct child_report r;
		ssize_t n;

		do {
			n = read(ep[0], &r, sizeof(r));
		} while (n < 0 && errno == EINTR);
		close(ep[0]);
		ep[0] = -1;
		if (n == (ssize_t)sizeof(r)) {
			child_wait(d, 60u * 60 * 1000);
			err = r.err == ENOENT || r.err == EACCES || r.err == EPERM ?
			      -r.err : (r.stage == STAGE_EXEC ? -EACCES : -EPERM);
			if (r.stage == STAGE_EXEC)
				set_msg(res, err, "cannot execute '%s': %s", cmd,
					strerror(r.err));
			else
				set_msg(res, err, "daemon set-up failed (%s): %s",
					stage_names[r.stage], strerror(r.err));
			res->exited = 1;
			res->status = d->status;
			goto fail;
		}
	}

	/* 4. Transport, connection, INIT within the deadline. */
	fc_fd_config_default(&fcfg, sv[0]);
	sv[0] = -1; /* the transport owns it now, even on failure */
	fcfg.io = cfg->io;
	fcfg.max_write = max_write;
	err = fc_fd_transport_new(cfg->plat, &fcfg, &d->tp);
	if (err) {
		set_msg(res, err, "fd transport: %s", strerror(-err));
		goto fail_child;
	}
	d->info.io = fc_fd_transport_io(d->tp);
	fc_conn_config_default(&cc, cfg->plat, d->tp);
	cc.init = prof;
	cc.notify = cfg->notify;
	cc.notify_ctx = cfg->notify_ctx;
	err = fc_conn_new(&cc, &d->conn);
	if (err) {
		d->tp = NULL; /* destroyed by fc_conn_new */
		set_msg(res, err, "connection: %s", strerror(-err));
		goto fail_child;
	}
	watchdog_start(&wd, d->tp, cfg->init_timeout_ms ? cfg->init_timeout_ms
							: DEF_INIT_TIMEOUT_MS);
	err = fc_conn_init(d->conn);
	fired = watchdog_stop(&wd);
	if (fired) {
		err = set_msg(res, -ETIMEDOUT,
			      "daemon '%s' did not answer FUSE_INIT within %u ms",
			      cfg->argv[0], wd.ms);
		goto fail_child;
	}
	if (err == -ENOTCONN) {
		char how[96];

		/* It went away: say how, if it is gone within the grace period. */
		if (child_wait(d, d->term_grace_ms)) {
			describe_status(how, sizeof(how), d->status);
			res->exited = 1;
			res->status = d->status;
			set_msg(res, -ENOTCONN,
				"daemon '%s' %s before answering FUSE_INIT",
				cfg->argv[0], how);
		} else {
			set_msg(res, -ENOTCONN,
				"daemon '%s' closed its end without answering FUSE_INIT",
				cfg->argv[0]);
		}
		goto fail_child;
	}
	if (err) {
		set_msg(res, err, "daemon '%s' failed FUSE_INIT: %s", cfg->argv[0],
			strerror(-err));
		goto fail_child;
	}

	sv_free(&args);
	sv_free(&env);
	free(mountarg);
	free(cmd);
	plog(cfg->plat, FC_LOG_INFO, "launch: %s (pid %d, %s mode) is ready",
	     cfg->argv[0], (int)d->pid, fc_launch_mode_name(cfg->mode));
	*out = d;
	return 0;

fail_child:
	/* Close our end (the daemon reads EOF), then make sure it is gone. */
	if (d->conn)
		fc_conn_free(d->conn);
	else if (d->tp)
		d->tp->ops->destroy(d->tp);
	d->conn = NULL;
	d->tp = NULL;
	child_end(d, d->term_grace_ms, d->kill_grace_ms, NULL);
	if (d->reaped && !res->exited) {
		res->exited = 1;
		res->status = d->status;
	}
fail:
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv_free(&args);
	sv_free(&env);
	free(mountarg);
	if (d)
		daemon_release(d);
out_cmd:
	free(cmd);
	if (!res->error)
		set_msg(res, err, "launch failed: %s", strerror(-err));
	return err;
}

struct fc_conn *fc_daemon_conn(struct fc_daemon *d)
{
	return d->conn;
}

const struct fc_daemon_info *fc_daemon_info(const struct fc_daemon *d)
{
	return &d->info;
}

int fc_daemon_stop(struct fc_daemon *d, struct fc_launch_result *res)
{
	struct fc_launch_result r;
	struct watchdog wd;

	if (d->stopped) {
		if (res)
			*res = d->stop_res;
		return d->stop_ret;
	}
	memset(&r, 0, sizeof(r));
	r.destroy = -ENOTCONN;
	if (d->conn) {
		if (fc_conn_state(d->conn) == FC_CONN_READY) {
			watchdog_start(&wd, d->tp, d->destroy_timeout_ms);
			r.destroy = fc_conn_destroy_request(d->conn);
			if (watchdog_stop(&wd))
				r.destroy = -ETIMEDOUT;
		}
		fc_conn_free(d->conn);
		d->conn = NULL;
		d->tp = NULL;
	}
	child_end(d, d->term_grace_ms, d->kill_grace_ms, &r);
	r.exited = d->reaped;
	r.status = d->status;
	r.error = (r.sent_sigterm || r.sent_sigkill) ? -ETIMEDOUT : 0;
	if (r.error) {
		snprintf(r.message, sizeof(r.message),
			 "daemon (pid %d) did not exit within %u ms of the close: %s",
			 (int)d->pid, d->term_grace_ms,
			 r.sent_sigkill ? "killed with SIGKILL" : "stopped with SIGTERM");
	}
	d->stopped = 1;
	d->stop_res = r;
	d->stop_ret = r.error;
	if (res)
		*res = r;
	return r.error;
}

void fc_daemon_free(struct fc_daemon *d)
{
	if (!d)
		return;
	fc_daemon_stop(d, NULL);
	daemon_release(d);
}
