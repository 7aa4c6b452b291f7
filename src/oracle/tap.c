/*
 * The kernel tap (fusecore/tap.h): a daemon on a socketpair, a kernel
 * side (/dev/fuse + mount(2), or a second socketpair), and two relay
 * threads that pass whole messages both ways and record them.
 *
 * Order of events in fc_tap_start():
 *   1. resolve the command, build argv/envp (nothing allocated later in a
 *      forked child);
 *   2. FC_TAP_KERNEL with @guardian: fork the watcher first, while no
 *      descriptor of the tap exists yet (it must hold none: a /dev/fuse
 *      copy would keep the connection alive);
 *   3. the daemon's socketpair, SO_SNDBUFFORCE on both ends, fork + exec
 *      with "/dev/fd/N" (exec errors come back over a close-on-exec pipe);
 *   4. the kernel side: open("/dev/fuse") + mount(2) (the mount id is
 *      looked up in /proc/self/mountinfo and told to the watcher), or the
 *      second socketpair;
 *   5. the relay threads.
 *
 * End of the relay: the kernel->daemon thread ends when /dev/fuse reads
 * ENODEV (unmounted), the kernel socket reads end-of-file, or it is told
 * to stop; it then closes /dev/fuse (the last /dev/fuse descriptor: the
 * kernel aborts the connection) and shuts the daemon's socket down (the
 * daemon reads end-of-file).  The daemon->kernel thread ends when the
 * daemon's socket reads end-of-file; if the daemon went first, it tells
 * the other thread to stop, and the mount is detached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/decode.h"
#include "fusecore/tap.h"

extern char **environ;

#define DEF_END_TIMEOUT_MS 5000u
#define DEF_TERM_GRACE_MS 2000u
#define DEF_KILL_GRACE_MS 2000u
#define LINE_MAX_LEN 8192

struct fc_tap {
	struct fc_tap_config cfg;
	char *mnt;		/* canonical mount point (KERNEL) */
	char *fstype;
	int kfd;		/* /dev/fuse or our kernel-side socket */
	int kfd_user;		/* SOCKET: the end handed out, until taken */
	int dsock;		/* our end of the daemon's socketpair */
	int stop_pipe[2];	/* tells the kernel->daemon thread to stop */
	int end_pipe[2];	/* readable once both threads ended */
	int guard_fd;		/* write end of the watcher's pipe, or -1 */
	pid_t guard_pid;
	pid_t daemon_pid;
	int daemon_reaped;
	int daemon_status;
	int mount_id;
	dev_t mount_dev;
	int mounted;		/* mount(2) succeeded and not detached yet */
	int reg_slot;		/* emergency registry slot, or -1 */

	pthread_t k2d, d2k;
	int threads;		/* relay threads started */
	pthread_mutex_t lock;	/* kfd writes/close, counters, end state */
	pthread_cond_t cond;
	int running;		/* relay threads still running */
	int daemon_died_first;
	int k2d_ending;		/* the kernel side ended first */
	int stopped;
	int stop_ret;
	struct fc_tap_result stop_res;

	pthread_mutex_t emit_lock; /* decoder, log, capture, callback */
	struct fc_decoder *dec;
	uint64_t requests, replies, write_errors;
	char *kbuf, *dbuf;	/* relay buffers */
	char line[LINE_MAX_LEN];
};

/* ---- small helpers ------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct fc_tap_result *res, int err, const char *fmt, ...)
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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- the emergency registry -------------------------------------------------------------- */

#define MAX_TAPS 32

static struct {
	volatile sig_atomic_t used;
	char path[PATH_MAX];
} registry[MAX_TAPS];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

void fc_tap_emergency_cleanup(void)
{
	unsigned i;

	for (i = 0; i < MAX_TAPS; i++) {
		if (registry[i].used) {
			umount2(registry[i].path, MNT_DETACH);
			registry[i].used = 0;
		}
	}
}

static void register_atexit(void)
{
	atexit(fc_tap_emergency_cleanup);
}

static int registry_add(const char *path)
{
	int i, slot = -1;

	pthread_once(&atexit_once, register_atexit);
	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < MAX_TAPS; i++) {
		if (!registry[i].used) {
			snprintf(registry[i].path, sizeof(registry[i].path), "%s", path);
			registry[i].used = 1;
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	return slot;
}

static void registry_del(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&registry_lock);
	registry[slot].used = 0;
	pthread_mutex_unlock(&registry_lock);
}

/* ---- /proc/self/mountinfo ------------------------------------------------------------------ */

/* Undo mountinfo's octal escapes (\040 ...) in place. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = 0;
}

int fc_tap_find_mount(const char *path, const char *fstype, int *mount_id,
		      dev_t *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		int id, parent;
		unsigned maj, min;
		char mp[PATH_MAX + 1], type[256];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%d %d %u:%u %*s %4096s", &id, &parent,
				   &maj, &min, mp) != 5)
			continue;
		if (sscanf(sep + 3, "%255s", type) != 1)
			continue;
		unescape(mp);
		if (strcmp(mp, path) || (fstype && strcmp(type, fstype)))
			continue;
		found = 1;
		if (mount_id)
			*mount_id = id;
		if (dev)
			*dev = makedev(maj, min);
	}
	free(line);
	fclose(f);
	return found;
}

/* ---- the watcher ------------------------------------------------------------------------------ */

/*
 * The watcher holds only the read end of a pipe.  The tap writes the
 * mount id once mounted and -1 once cleanly unmounted.  At end-of-file
 * (the tap process ended, however) with a mount id outstanding, it
 * detaches the mount if /proc/self/mountinfo still lists that id.  Only
 * async-signal-safe calls: it may be forked from a threaded process.
 */
static int mount_listed(int id)
{
	char buf[4096], num[16];
	int fd, n, i, len = 0, at_line_start = 1, matched = 0, pos = 0;
	unsigned v = (unsigned)id;

	/* "id " as text. */
	do {
		num[len++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && len < 14);
	for (i = 0; i < len / 2; i++) {
		char c = num[i];

		num[i] = num[len - 1 - i];
		num[len - 1 - i] = c;
	}
	num[len++] = ' ';

	fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = (int)read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			char c = buf[i];

			if (at_line_start) {
				pos = 0;
				at_line_start = 0;
			}
			if (pos >= 0 && pos < len) {
				if (c == num[pos]) {
					pos++;
					if (pos == len)
						matched = 1;
				} else {
					pos = -1;
				}
			}
			if (c == '\n')
				at_line_start = 1;
		}
		if (matched)
			break;
	}
	close(fd);
	return matched;
}

static void guardian_main(int rd, const char *path)
{
	int id = -1, v, devnull;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "fc-tap-guard", 0, 0, 0);
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	if (rd != 3) {
		dup2(rd, 3);
		rd = 3;
	}
	close_range(4, ~0u, 0);
	for (;;) {
		n = read(rd, &v, sizeof(v));
		if (n == (ssize_t)sizeof(v)) {
			id = v;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (id > 0 && mount_listed(id))
		umount2(path, MNT_DETACH);
	_exit(0);
}

static int start_guardian(struct fc_tap *t, struct fc_tap_result *res)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return fail(res, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return fail(res, err, "fork (watcher): %s", strerror(-err));
	}
	if (pid == 0) {
		close(p[1]);
		guardian_main(p[0], t->mnt);
	}
	close(p[0]);
	t->guard_fd = p[1];
	t->guard_pid = pid;
	return 0;
}

static void guardian_tell(struct fc_tap *t, int id)
{
	if (t->guard_fd >= 0)
		write_all(t->guard_fd, &id, sizeof(id));
}

static void guardian_end(struct fc_tap *t)
{
	if (t->guard_fd < 0)
		return;
	guardian_tell(t, -1);
	close_fd(&t->guard_fd);
	while (waitpid(t->guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	t->guard_pid = -1;
}

/* ---- the daemon ----------------------------------------------------------------------------- */

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

static char *resolve_command(const char *name, struct fc_tap_result *res)
{
	const char *path, *p;
	int err;

	if (!*name) {
		fail(res, -ENOENT, "empty command name");
		return NULL;
	}
	if (strchr(name, '/')) {
		err = check_exec(name);
		if (err) {
			fail(res, err, "cannot execute '%s': %s", name, strerror(-err));
			return NULL;
		}
		return strdup(name);
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; p;) {
		const char *end = strchr(p, ':');
		int len = end ? (int)(end - p) : (int)strlen(p);
		char *cand = NULL;

		if (asprintf(&cand, "%.*s/%s", len, len ? p : ".", name) < 0)
			return NULL;
		if (check_exec(cand) == 0)
			return cand;
		free(cand);
		p = end ? end + 1 : NULL;
	}
	fail(res, -ENOENT, "command '%s' not found in PATH", name);
	return NULL;
}

static void free_vec(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static int spawn_daemon(struct fc_tap *t, int dfd, struct fc_tap_result *res)
{
	const struct fc_tap_config *c = &t->cfg;
	const char *ph = c->placeholder ? c->placeholder : FC_TAP_PLACEHOLDER;
	char **argv = NULL, **envp = NULL, *path = NULL, devfd[32];
	size_t n, ne, nx = 0, i, k;
	int errp[2] = { -1, -1 }, placeholders = 0, err = 0, child_err = 0;
	pid_t pid;
	ssize_t r;

	if (!c->argv || !c->argv[0])
		return fail(res, -EINVAL, "no daemon command");
	snprintf(devfd, sizeof(devfd), "/dev/fd/%d", dfd);
	for (n = 0; c->argv[n]; n++)
		placeholders += !strcmp(c->argv[n], ph);
	if (!placeholders)
		return fail(res, -EINVAL, "no '%s' placeholder in the daemon command", ph);
	path = resolve_command(c->argv[0], res);
	if (!path)
		return res && res->error ? res->error : -ENOMEM;
	argv = calloc(n + 1, sizeof(*argv));
	for (ne = 0; environ[ne]; ne++)
		;
	if (c->env)
		for (nx = 0; c->env[nx]; nx++)
			;
	envp = calloc(ne + nx + 1, sizeof(*envp));
	if (!argv || !envp) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!(argv[i] = strdup(strcmp(c->argv[i], ph) ? c->argv[i] : devfd))) {
			err = -ENOMEM;
			goto out;
		}
	for (i = 0, k = 0; i < ne; i++) {
		size_t j, nl = strcspn(environ[i], "=");
		int overridden = 0;

		for (j = 0; j < nx; j++)
			if (!strncmp(c->env[j], environ[i], nl) && c->env[j][nl] == '=')
				overridden = 1;
		if (!overridden && !(envp[k++] = strdup(environ[i]))) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < nx; i++)
		if (!(envp[k++] = strdup(c->env[i]))) {
			err = -ENOMEM;
			goto out;
		}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		err = fail(res, -errno, "pipe: %s", strerror(errno));
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		err = fail(res, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Async-signal-safe calls only from here on. */
		int e;

		close(errp[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (c->stdout_fd >= 0 && c->stdout_fd != 1)
			dup2(c->stdout_fd, 1);
		if (c->stderr_fd >= 0 && c->stderr_fd != 2)
			dup2(c->stderr_fd, 2);
		if (fcntl(dfd, F_SETFD, 0) < 0)
			goto child_fail;
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
child_fail:
		e = errno;
		r = write(errp[1], &e, sizeof(e));
		(void)r;
		_exit(127);
	}
	close_fd(&errp[1]);
	do
		r = read(errp[0], &child_err, sizeof(child_err));
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)sizeof(child_err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		err = fail(res, -child_err, "exec '%s': %s", path, strerror(child_err));
		goto out;
	}
	t->daemon_pid = pid;
out:
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	free(path);
	free_vec(argv);
	free_vec(envp);
	return err;
}

/* Reap within @ms; 1 if reaped. */
static int daemon_wait(struct fc_tap *t, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;

	while (!t->daemon_reaped) {
		int st = 0;
		pid_t r = waitpid(t->daemon_pid, &st, WNOHANG);
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		if (r == t->daemon_pid) {
			t->daemon_reaped = 1;
			t->daemon_status = st;
			break;
		}
		if (r < 0 && errno != EINTR) {
			t->daemon_reaped = 1;
			t->daemon_status = 0;
			break;
		}
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&ts, NULL);
	}
	return 1;
}

/* ---- sockets ------------------------------------------------------------------------------------- */

static int size_socket(int fd, size_t size)
{
	int v = size > INT_MAX ? INT_MAX : (int)size;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		return -errno;
	return 0;
}

static int make_pair(int sv[2], size_t bufsize, struct fc_tap_result *res)
{
	int err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fail(res, -errno, "socketpair: %s", strerror(errno));
	if ((err = size_socket(sv[0], bufsize)) < 0 ||
	    (err = size_socket(sv[1], bufsize)) < 0) {
		close(sv[0]);
		close(sv[1]);
		return fail(res, err, "socket buffers: %s", strerror(-err));
	}
	return 0;
}

/* ---- recording ------------------------------------------------------------------------------------- */

static void emit(struct fc_tap *t, enum fc_dir dir, const void *msg, size_t len)
{
	pthread_mutex_lock(&t->emit_lock);
	if (dir == FC_DIR_REQUEST)
		t->requests++;
	else
		t->replies++;
	if (t->cfg.on_msg)
		t->cfg.on_msg(t->cfg.on_msg_ctx, dir, msg, len);
	if (t->cfg.log_fd >= 0) {
		size_t n;

		memcpy(t->line, dir == FC_DIR_REQUEST ? "K>D " : "D>K ", 4);
		fc_decode(t->dec, dir, msg, len, t->line + 4, sizeof(t->line) - 5);
		n = strlen(t->line);
		t->line[n++] = '\n';
		write_all(t->cfg.log_fd, t->line, n);
	} else {
		/* Keep the decoder's unique table in step anyway. */
		fc_decode(t->dec, dir, msg, len, t->line, sizeof(t->line));
	}
	if (t->cfg.fcap_fd >= 0) {
		unsigned char hdr[8] = { (unsigned char)dir, 0, 0, 0 };
		uint32_t l = (uint32_t)len;

		memcpy(hdr + 4, &l, 4);
		write_all(t->cfg.fcap_fd, hdr, sizeof(hdr));
		write_all(t->cfg.fcap_fd, msg, len);
	}
	pthread_mutex_unlock(&t->emit_lock);
}

void fc_tap_mark(struct fc_tap *t, const char *text)
{
	if (!t || t->cfg.log_fd < 0)
		return;
	pthread_mutex_lock(&t->emit_lock);
	snprintf(t->line, sizeof(t->line), "## %s\n", text);
	write_all(t->cfg.log_fd, t->line, strlen(t->line));
	pthread_mutex_unlock(&t->emit_lock);
}

static void note(struct fc_tap *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct fc_tap *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fc_tap_mark(t, buf);
}

/* ---- the relay threads ------------------------------------------------------------------------------ */

static void thread_done(struct fc_tap *t)
{
	pthread_mutex_lock(&t->lock);
	if (--t->running == 0) {
		char c = 1;

		write_all(t->end_pipe[1], &c, 1);
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
}

/* Detach our mount if it is still there (by its id). */
static void detach_mount(struct fc_tap *t)
{
	int id = -1;

	pthread_mutex_lock(&t->lock);
	if (t->mounted) {
		if (fc_tap_find_mount(t->mnt, t->fstype, &id, NULL) == 1 &&
		    id == t->mount_id)
			umount2(t->mnt, MNT_DETACH);
		t->mounted = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

static void *k2d_main(void *arg)
{
	struct fc_tap *t = arg;
	int kernel = t->cfg.kind == FC_TAP_KERNEL, died;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = t->kfd, .events = POLLIN },
			{ .fd = t->stop_pipe[0], .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		n = kernel ? read(t->kfd, t->kbuf, FC_TAP_BUF_SIZE)
			   : recv(t->kfd, t->kbuf, FC_TAP_BUF_SIZE, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			if (errno != ENODEV)
				note(t, "read from the kernel side: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		emit(t, FC_DIR_REQUEST, t->kbuf, (size_t)n);
		for (;;) {
			if (send(t->dsock, t->kbuf, (size_t)n, MSG_NOSIGNAL) >= 0)
				break;
			if (errno == EINTR)
				continue;
			note(t, "send to the daemon: %s", strerror(errno));
			break;
		}
	}
	pthread_mutex_lock(&t->lock);
	if (kernel)
		close_fd(&t->kfd); /* the last /dev/fuse fd: the connection ends */
	else
		shutdown(t->kfd, SHUT_RDWR);
	died = t->daemon_died_first;
	t->k2d_ending = 1;
	pthread_mutex_unlock(&t->lock);
	shutdown(t->dsock, SHUT_RDWR);
	if (kernel && died)
		detach_mount(t);
	thread_done(t);
	return NULL;
}

static void *d2k_main(void *arg)
{
	struct fc_tap *t = arg;
	int kernel = t->cfg.kind == FC_TAP_KERNEL;

	for (;;) {
		struct iovec iov = { t->dbuf, FC_TAP_BUF_SIZE };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(t->dsock, &mh, 0), w;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		if (mh.msg_flags & MSG_TRUNC)
			note(t, "a daemon message was longer than %u bytes", FC_TAP_BUF_SIZE);
		emit(t, FC_DIR_REPLY, t->dbuf, (size_t)n);
		pthread_mutex_lock(&t->lock);
		if (t->kfd >= 0) {
			do
				w = kernel ? write(t->kfd, t->dbuf, (size_t)n)
					   : send(t->kfd, t->dbuf, (size_t)n, MSG_NOSIGNAL);
			while (w < 0 && errno == EINTR);
			if (w < 0) {
				int e = errno;

				t->write_errors++;
				pthread_mutex_unlock(&t->lock);
				note(t, "write to the kernel side: %s", strerror(e));
				continue;
			}
		}
		pthread_mutex_unlock(&t->lock);
	}
	/* The daemon is gone (or we shut its socket down). */
	pthread_mutex_lock(&t->lock);
	if (!t->k2d_ending) {
		char c = 1;

		t->daemon_died_first = 1;
		write_all(t->stop_pipe[1], &c, 1);
	}
	pthread_mutex_unlock(&t->lock);
	thread_done(t);
	return NULL;
}

/* ---- public API ---------------------------------------------------------------------------------- */

void fc_tap_config_default(struct fc_tap_config *cfg, enum fc_tap_kind kind,
			   const char *const *argv, const char *mountpoint)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_TAP_CONFIG_VERSION;
	cfg->kind = kind;
	cfg->argv = argv;
	cfg->mountpoint = mountpoint;
	cfg->placeholder = FC_TAP_PLACEHOLDER;
	cfg->fstype = FC_TAP_FSTYPE;
	cfg->source = FC_TAP_SOURCE;
	cfg->mount_flags = MS_NOSUID | MS_NODEV;
	cfg->log_fd = -1;
	cfg->fcap_fd = -1;
	cfg->stdout_fd = -1;
	cfg->stderr_fd = -1;
	cfg->sockbuf = FC_TAP_SOCKBUF;
}

static void tap_release(struct fc_tap *t)
{
	close_fd(&t->kfd);
	close_fd(&t->kfd_user);
	close_fd(&t->dsock);
	close_fd(&t->stop_pipe[0]);
	close_fd(&t->stop_pipe[1]);
	close_fd(&t->end_pipe[0]);
	close_fd(&t->end_pipe[1]);
	guardian_end(t);
	registry_del(t->reg_slot);
	t->reg_slot = -1;
	fc_decoder_free(t->dec);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->emit_lock);
	pthread_cond_destroy(&t->cond);
	free(t->kbuf);
	free(t->dbuf);
	free(t->mnt);
	free(t->fstype);
	free(t);
}

static int mount_kernel(struct fc_tap *t, struct fc_tap_result *res)
{
	const struct fc_tap_config *c = &t->cfg;
	char *opts = NULL;
	int err;

	t->kfd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->kfd < 0)
		return fail(res, -errno, "open /dev/fuse: %s", strerror(errno));
	if (asprintf(&opts, "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s", t->kfd,
		     (unsigned)getuid(), (unsigned)getgid(),
		     c->mount_opts && *c->mount_opts ? "," : "",
		     c->mount_opts ? c->mount_opts : "") < 0)
		return fail(res, -ENOMEM, "out of memory");
	if (mount(c->source ? c->source : FC_TAP_SOURCE, t->mnt, t->fstype,
		  c->mount_flags, opts) < 0) {
		err = -errno;
		free(opts);
		return fail(res, err, "mount %s on %s: %s", t->fstype, t->mnt,
			    strerror(-err));
	}
	free(opts);
	t->mounted = 1;
	t->reg_slot = registry_add(t->mnt);
	if (fc_tap_find_mount(t->mnt, t->fstype, &t->mount_id, &t->mount_dev) != 1) {
		umount2(t->mnt, MNT_DETACH);
		t->mounted = 0;
		return fail(res, -ENOENT, "the new mount is not in /proc/self/mountinfo");
	}
	guardian_tell(t, t->mount_id);
	return 0;
}

int fc_tap_start(const struct fc_tap_config *cfg, struct fc_tap **out,
		 struct fc_tap_result *res)
{
	struct fc_tap *t;
	int sv[2], err;
	pthread_condattr_t ca;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!cfg || !out || cfg->version != FC_TAP_CONFIG_VERSION)
		return fail(res, -EINVAL, "bad configuration");
	if (cfg->kind == FC_TAP_KERNEL && !cfg->mountpoint)
		return fail(res, -EINVAL, "no mount point");
	t = calloc(1, sizeof(*t));
	if (!t)
		return fail(res, -ENOMEM, "out of memory");
	t->cfg = *cfg;
	t->kfd = t->kfd_user = t->dsock = t->guard_fd = -1;
	t->stop_pipe[0] = t->stop_pipe[1] = t->end_pipe[0] = t->end_pipe[1] = -1;
	t->guard_pid = -1;
	t->reg_slot = -1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->emit_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->dec = fc_decoder_new();
	t->kbuf = malloc(FC_TAP_BUF_SIZE);
	t->dbuf = malloc(FC_TAP_BUF_SIZE);
	t->fstype = strdup(cfg->fstype ? cfg->fstype : FC_TAP_FSTYPE);
	if (!t->dec || !t->kbuf || !t->dbuf || !t->fstype) {
		err = fail(res, -ENOMEM, "out of memory");
		goto fail;
	}
	if (cfg->kind == FC_TAP_KERNEL) {
		t->mnt = realpath(cfg->mountpoint, NULL);
		if (!t->mnt) {
			err = fail(res, -errno, "mount point %s: %s", cfg->mountpoint,
				   strerror(errno));
			goto fail;
		}
		if (cfg->guardian && (err = start_guardian(t, res)) < 0)
			goto fail;
	}
	if (pipe2(t->stop_pipe, O_CLOEXEC) < 0 || pipe2(t->end_pipe, O_CLOEXEC) < 0) {
		err = fail(res, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((err = make_pair(sv, cfg->sockbuf ? cfg->sockbuf : FC_TAP_SOCKBUF, res)) < 0)
		goto fail;
	t->dsock = sv[0];
	err = spawn_daemon(t, sv[1], res);
	close(sv[1]);
	if (err < 0)
		goto fail;
	if (cfg->kind == FC_TAP_KERNEL) {
		if ((err = mount_kernel(t, res)) < 0)
			goto fail_daemon;
	} else {
		if ((err = make_pair(sv, cfg->sockbuf ? cfg->sockbuf : FC_TAP_SOCKBUF,
				     res)) < 0)
			goto fail_daemon;
		t->kfd = sv[0];
		t->kfd_user = sv[1];
	}
	if (cfg->fcap_fd >= 0) {
		uint32_t v = 1;

		write_all(cfg->fcap_fd, "FCAP", 4);
		write_all(cfg->fcap_fd, &v, 4);
	}
	t->running = 2;
	if ((err = pthread_create(&t->k2d, NULL, k2d_main, t)) != 0) {
		t->running = 0;
		err = fail(res, -err, "pthread_create: %s", strerror(err));
		goto fail_mount;
	}
	if ((err = pthread_create(&t->d2k, NULL, d2k_main, t)) != 0) {
		char c = 1;

		t->running = 1;
		write_all(t->stop_pipe[1], &c, 1);
		pthread_join(t->k2d, NULL);
		err = fail(res, -err, "pthread_create: %s", strerror(err));
		goto fail_mount;
	}
	t->threads = 1;
	*out = t;
	return 0;

fail_mount:
	detach_mount(t);
fail_daemon:
	close_fd(&t->dsock);
	close_fd(&t->kfd);
	if (!daemon_wait(t, DEF_TERM_GRACE_MS)) {
		kill(t->daemon_pid, SIGKILL);
		daemon_wait(t, 60u * 1000);
	}
fail:
	tap_release(t);
	return err;
}

int fc_tap_take_kernel_fd(struct fc_tap *t)
{
	int fd;

	if (!t)
		return -1;
	fd = t->kfd_user;
	t->kfd_user = -1;
	return fd;
}

pid_t fc_tap_daemon_pid(const struct fc_tap *t)
{
	return t ? t->daemon_pid : -1;
}

const char *fc_tap_mountpoint(const struct fc_tap *t)
{
	return t && t->cfg.kind == FC_TAP_KERNEL ? t->mnt : NULL;
}

int fc_tap_end_fd(const struct fc_tap *t)
{
	return t ? t->end_pipe[0] : -1;
}

pid_t fc_tap_fork(struct fc_tap *t)
{
	int fds[9];
	unsigned i;
	pid_t pid;

	pthread_mutex_lock(&t->lock);
	fds[0] = t->kfd;
	pthread_mutex_unlock(&t->lock);
	fds[1] = t->kfd_user;
	fds[2] = t->dsock;
	fds[3] = t->stop_pipe[0];
	fds[4] = t->stop_pipe[1];
	fds[5] = t->end_pipe[0];
	fds[6] = t->end_pipe[1];
	fds[7] = t->guard_fd;
	fds[8] = t->cfg.fcap_fd;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] > 2)
				close(fds[i]);
		/* The mounts belong to the parent: never detach them from here. */
		for (i = 0; i < MAX_TAPS; i++)
			registry[i].used = 0;
		return 0;
	}
	return pid;
}

int fc_tap_wait(struct fc_tap *t, int timeout_ms)
{
	struct timespec ts;
	int ended;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout_ms >= 0) {
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&t->lock);
	while (t->running > 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&t->cond, &t->lock);
		else if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) == ETIMEDOUT)
			break;
	}
	ended = t->running == 0;
	pthread_mutex_unlock(&t->lock);
	return ended;
}

int fc_tap_stop(struct fc_tap *t, struct fc_tap_result *res)
{
	const struct fc_tap_config *c;
	unsigned end_ms, term_ms, kill_ms;
	int ret = 0;

	if (!t)
		return -EINVAL;
	if (t->stopped) {
		if (res)
			*res = t->stop_res;
		return t->stop_ret;
	}
	c = &t->cfg;
	end_ms = c->end_timeout_ms ? c->end_timeout_ms : DEF_END_TIMEOUT_MS;
	term_ms = c->term_grace_ms ? c->term_grace_ms : DEF_TERM_GRACE_MS;
	kill_ms = c->kill_grace_ms ? c->kill_grace_ms : DEF_KILL_GRACE_MS;
	memset(&t->stop_res, 0, sizeof(t->stop_res));

	if (t->threads) {
		if (!fc_tap_wait(t, 0)) {
			if (c->kind == FC_TAP_KERNEL)
				detach_mount(t);
			else
				shutdown(t->dsock, SHUT_RDWR);
		}
		if (!fc_tap_wait(t, (int)end_ms)) {
			char ch = 1;

			/* Force: close /dev/fuse (abort) and the daemon's socket. */
			ret = -ETIMEDOUT;
			snprintf(t->stop_res.message, sizeof(t->stop_res.message),
				 "the relay did not end %u ms after the unmount: "
				 "connection aborted", end_ms);
			write_all(t->stop_pipe[1], &ch, 1);
			shutdown(t->dsock, SHUT_RDWR);
		}
		pthread_join(t->k2d, NULL);
		pthread_join(t->d2k, NULL);
		t->threads = 0;
	}
	detach_mount(t);
	registry_del(t->reg_slot);
	t->reg_slot = -1;
	guardian_end(t);
	close_fd(&t->dsock);

	if (t->daemon_pid > 0 && !daemon_wait(t, term_ms)) {
		kill(t->daemon_pid, SIGTERM);
		t->stop_res.sent_sigterm = 1;
		ret = -ETIMEDOUT;
		if (!daemon_wait(t, kill_ms)) {
			kill(t->daemon_pid, SIGKILL);
			t->stop_res.sent_sigkill = 1;
			daemon_wait(t, 60u * 60 * 1000);
		}
	}
	t->stop_res.error = ret;
	t->stop_res.daemon_exited = t->daemon_reaped;
	t->stop_res.daemon_status = t->daemon_status;
	t->stop_res.daemon_died_first = t->daemon_died_first;
	t->stop_res.requests = t->requests;
	t->stop_res.replies = t->replies;
	t->stop_res.write_errors = t->write_errors;
	t->stopped = 1;
	t->stop_ret = ret;
	if (res)
		*res = t->stop_res;
	return ret;
}

void fc_tap_free(struct fc_tap *t)
{
	if (!t)
		return;
	fc_tap_stop(t, NULL);
	tap_release(t);
}
