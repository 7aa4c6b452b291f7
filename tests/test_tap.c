/*
 * test_tap.c - the kernel tap (fusecore/tap.h, tools/fc-tap.c) on the real
 * kernel: a FUSE mount through /dev/fuse with refdaemon or libfuse3's
 * passthrough_ll behind the recording relay.
 *
 *  - a workload in a child process; the relay's callback, decoded log and
 *    FCAP capture agree, and the mount is gone after fc_tap_stop();
 *  - 1 MiB WRITE requests and 1 MiB READ replies cross the relay;
 *  - the daemon dying: the relay ends, the workload's requests fail with
 *    ENOTCONN, the mount is detached;
 *  - the fc-tap tool: a workload run (-x), SIGTERM, and SIGKILL (the
 *    watcher process detaches the mount);
 *  - the socket kind with libfusecore's fd transport on the kernel side.
 *
 * Needs root (mount(2) of a FUSE file system) and the daemons CMake
 * builds; without them each test prints SKIP and passes.  The only waits
 * are bounded waits for external processes (the daemon, the tool).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/decode.h"
#include "fusecore/proto.h"
#include "fusecore/tap.h"
#include "fusecore/transport.h"

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

static char tmpbase[256];

static int can_mount(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: the kernel tap needs root (mount(2))\n");
		return 0;
	}
	if (access("/dev/fuse", R_OK | W_OK) != 0) {
		fprintf(stderr, "SKIP: no /dev/fuse\n");
		return 0;
	}
	return 1;
}

static char *mkdir_tmp(const char *what)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s-XXXXXX", tmpbase, what), 0);
	ck_assert_ptr_nonnull(mkdtemp(p));
	return p;
}

static void rm_rf(const char *path)
{
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", path) < 0)
		return;
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Is anything of type fuse.fctap mounted on @dir? */
static int mounted(const char *dir)
{
	char *real = realpath(dir, NULL);
	int r;

	ck_assert_ptr_nonnull(real);
	r = fc_tap_find_mount(real, FC_TAP_FSTYPE, NULL, NULL);
	free(real);
	ck_assert_int_ge(r, 0);
	return r;
}

/* Wait (bounded, for another process) until @dir is (un)mounted. */
static int wait_mounted(const char *dir, int want, unsigned ms)
{
	unsigned waited = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	while (mounted(dir) != want) {
		if (waited >= ms)
			return 0;
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return 1;
}

/* Reap @pid within @ms (SIGKILL after); its status. */
static int reap(pid_t pid, unsigned ms)
{
	unsigned waited = 0;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		ck_assert_int_eq(r, 0);
		if (waited >= ms) {
			kill(pid, SIGKILL);
			ck_assert_int_eq(waitpid(pid, &st, 0), pid);
			ck_abort_msg("process %d did not end within %u ms", (int)pid, ms);
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

/* ---- message statistics from the callback ---------------------------------------------- */

struct seen {
	unsigned requests, replies;
	unsigned by_op[64];
	uint32_t max_write;      /* largest WRITE payload */
	uint32_t max_reply;      /* largest reply */
	int init_reply_ok;
	uint64_t last_unique;
	int uniques_ordered;
};

static void on_msg(void *ctx, enum fc_dir dir, const void *msg, size_t len)
{
	struct seen *s = ctx;

	if (dir == FC_DIR_REQUEST) {
		struct fc_in_header h;

		ck_assert_uint_ge(len, sizeof(h));
		memcpy(&h, msg, sizeof(h));
		ck_assert_uint_eq(h.len, len);
		s->requests++;
		if (h.opcode < 64)
			s->by_op[h.opcode]++;
		if (h.opcode == FC_WRITE) {
			struct fc_write_in w;

			memcpy(&w, (const char *)msg + sizeof(h), sizeof(w));
			if (w.size > s->max_write)
				s->max_write = w.size;
		}
		if (h.opcode != FC_FORGET && h.opcode != FC_BATCH_FORGET) {
			if (h.unique <= s->last_unique)
				s->uniques_ordered = 0;
			s->last_unique = h.unique;
		}
	} else {
		struct fc_out_header h;

		ck_assert_uint_ge(len, sizeof(h));
		memcpy(&h, msg, sizeof(h));
		s->replies++;
		if (h.unique == 2 && h.error == 0)
			s->init_reply_ok = 1;
		if (len > s->max_reply)
			s->max_reply = (uint32_t)len;
	}
}

/* ---- the workload ------------------------------------------------------------------------------ */

/* Child: a small workload on @mnt; exit status = the failing step (0: all well). */
static void basic_workload(const char *mnt)
{
	char path[PATH_MAX], buf[64];
	int fd;

	snprintf(path, sizeof(path), "%s/f1", mnt);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		_exit(1);
	if (write(fd, "hello tap\n", 10) != 10)
		_exit(2);
	if (pread(fd, buf, sizeof(buf), 0) != 10 || memcmp(buf, "hello tap\n", 10))
		_exit(3);
	if (fsync(fd) < 0)
		_exit(4);
	if (close(fd) < 0)
		_exit(5);
	snprintf(path, sizeof(path), "%s/d1", mnt);
	if (mkdir(path, 0755) < 0)
		_exit(6);
	snprintf(path, sizeof(path), "%s/nonexistent", mnt);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		_exit(7);
	_exit(0);
}

#ifdef FC_TEST_REFDAEMON
START_TEST(test_kernel_basic)
{
	char *mnt, *log = NULL, *cap = NULL, *dlog = NULL, *opt = NULL, *text, *fcap;
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *t;
	struct seen s = { .uniques_ordered = 1 };
	int log_fd, cap_fd, st;
	pid_t pid;
	size_t caplen, off = FC_FCAP_HEADER_SIZE;
	struct fc_fcap_record rec;
	unsigned records = 0;

	if (!can_mount())
		return;
	mnt = mkdir_tmp("mnt");
	ck_assert_int_ge(asprintf(&log, "%s/tap.log", tmpbase), 0);
	ck_assert_int_ge(asprintf(&cap, "%s/tap.fcap", tmpbase), 0);
	ck_assert_int_ge(asprintf(&dlog, "%s/daemon.log", tmpbase), 0);
	ck_assert_int_ge(asprintf(&opt, "log=%s", dlog), 0);
	{
		const char *argv[] = { FC_TEST_REFDAEMON, "-f", "-o", opt, "%m", NULL };

		log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		cap_fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ck_assert_int_ge(log_fd, 0);
		ck_assert_int_ge(cap_fd, 0);
		fc_tap_config_default(&cfg, FC_TAP_KERNEL, argv, mnt);
		cfg.log_fd = log_fd;
		cfg.fcap_fd = cap_fd;
		cfg.on_msg = on_msg;
		cfg.on_msg_ctx = &s;
		cfg.guardian = 1;
		ck_assert_msg(fc_tap_start(&cfg, &t, &res) == 0, "%s", res.message);
	}
	ck_assert_int_eq(mounted(mnt), 1);
	ck_assert_ptr_nonnull(fc_tap_mountpoint(t));
	ck_assert_int_gt(fc_tap_daemon_pid(t), 0);
	ck_assert_int_eq(fc_tap_take_kernel_fd(t), -1);
	pid = fc_tap_fork(t);
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		basic_workload(fc_tap_mountpoint(t));
	st = reap(pid, 30000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "workload failed at step %d", WEXITSTATUS(st));
	fc_tap_mark(t, "workload done");
	ck_assert_int_eq(fc_tap_stop(t, &res), 0);
	ck_assert_int_eq(mounted(mnt), 0);
	ck_assert(res.daemon_exited);
	ck_assert(!res.daemon_died_first);
	ck_assert_uint_eq(res.requests, s.requests);
	ck_assert_uint_eq(res.replies, s.replies);
	ck_assert_uint_eq(res.write_errors, 0);
	/* Idempotent. */
	ck_assert_int_eq(fc_tap_stop(t, NULL), 0);
	fc_tap_free(t);
	close(log_fd);
	close(cap_fd);

	ck_assert(s.init_reply_ok);
	ck_assert(s.uniques_ordered);
	ck_assert_uint_eq(s.by_op[FC_INIT], 1);
	ck_assert_uint_ge(s.by_op[FC_CREATE], 1);
	ck_assert_uint_ge(s.by_op[FC_WRITE], 1);
	ck_assert_uint_ge(s.by_op[FC_FSYNC], 1);
	ck_assert_uint_ge(s.by_op[FC_FLUSH], 1);
	ck_assert_uint_ge(s.by_op[FC_RELEASE], 1);
	ck_assert_uint_ge(s.by_op[FC_MKDIR], 1);

	/* The decoded log: one line per message, plus our marker. */
	text = slurp(log, NULL);
	ck_assert_ptr_nonnull(strstr(text, "K>D INIT unique=2 nodeid=0"));
	ck_assert_ptr_nonnull(strstr(text, "D>K reply INIT unique=2 error=0"));
	ck_assert_ptr_nonnull(strstr(text, "name='f1'"));
	ck_assert_ptr_nonnull(strstr(text, "K>D MKDIR"));
	ck_assert_ptr_nonnull(strstr(text, "## workload done"));
	{
		unsigned lines = 0;
		const char *p;

		for (p = text; *p; p++)
			lines += *p == '\n';
		ck_assert_uint_eq(lines, s.requests + s.replies + 1);
	}
	free(text);

	/* The capture holds the same messages. */
	fcap = slurp(cap, &caplen);
	ck_assert_int_eq(fc_fcap_check(fcap, caplen), 0);
	while (fc_fcap_next(fcap, caplen, &off, &rec) == 1)
		records++;
	ck_assert_uint_eq(off, caplen);
	ck_assert_uint_eq(records, s.requests + s.replies);
	free(fcap);

	/* The daemon saw what the relay passed on. */
	text = slurp(dlog, NULL);
	ck_assert_ptr_nonnull(strstr(text, "op=CREATE"));
	free(text);

	rm_rf(mnt);
	unlink(log);
	unlink(cap);
	unlink(dlog);
	free(mnt);
	free(log);
	free(cap);
	free(dlog);
	free(opt);
}
END_TEST

/* The daemon dies while the workload sits in the mount. */
START_TEST(test_daemon_death)
{
	const char *argv[] = { FC_TEST_REFDAEMON, "-f", "%m", NULL };
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *t;
	char *mnt;
	int go[2], ready[2], st;
	pid_t pid;

	if (!can_mount())
		return;
	mnt = mkdir_tmp("mnt");
	fc_tap_config_default(&cfg, FC_TAP_KERNEL, argv, mnt);
	ck_assert_msg(fc_tap_start(&cfg, &t, &res) == 0, "%s", res.message);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fc_tap_fork(t);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct stat sb;
		char c;

		close(go[1]);
		close(ready[0]);
		if (chdir(fc_tap_mountpoint(t)) < 0 || stat(".", &sb) < 0)
			_exit(1);
		close(ready[1]);		/* sitting in the mount */
		if (read(go[0], &c, 1) != 0)	/* the parent closes: go on */
			_exit(2);
		/* Cached attributes would still answer stat(): ask the daemon. */
		if (mkdir("newdir", 0755) == 0)
			_exit(3);
		_exit(errno == ENOTCONN ? 0 : 4);
	}
	close(go[0]);
	close(ready[1]);
	/*
	 * Kill the daemon only once the child has its cwd in the mount and
	 * its stat() answered (EOF on @ready), not merely after chdir().
	 */
	{
		char c;

		ck_assert_int_eq(read(ready[0], &c, 1), 0);
		close(ready[0]);
	}
	ck_assert_int_eq(kill(fc_tap_daemon_pid(t), SIGKILL), 0);
	ck_assert_int_eq(fc_tap_wait(t, 10000), 1);
	/* The relay ended by itself, the mount is detached already. */
	ck_assert_int_eq(mounted(mnt), 0);
	close(go[1]);
	st = reap(pid, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "workload: step %d", WEXITSTATUS(st));
	fc_tap_stop(t, &res);
	ck_assert(res.daemon_died_first);
	ck_assert(res.daemon_exited);
	ck_assert(WIFSIGNALED(res.daemon_status));
	fc_tap_free(t);
	ck_assert_int_eq(mounted(mnt), 0);
	rm_rf(mnt);
	free(mnt);
}
END_TEST

/* The socket kind: libfusecore's fd transport as the kernel side. */
START_TEST(test_socket_kind)
{
	const char *argv[] = { FC_TEST_REFDAEMON, "-f", "%m", NULL };
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *t;
	struct fc_fd_config fcfg;
	struct fc_transport *tp;
	struct fc_conn_config ccfg;
	struct fc_conn *c;
	struct seen s = { .uniques_ordered = 1 };
	int fd;

	fc_tap_config_default(&cfg, FC_TAP_SOCKET, argv, NULL);
	cfg.on_msg = on_msg;
	cfg.on_msg_ctx = &s;
	ck_assert_msg(fc_tap_start(&cfg, &t, &res) == 0, "%s", res.message);
	ck_assert_ptr_null(fc_tap_mountpoint(t));
	fd = fc_tap_take_kernel_fd(t);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_tap_take_kernel_fd(t), -1);
	fc_fd_config_default(&fcfg, fd);
	ck_assert_int_eq(fc_fd_transport_new(fc_platform_posix(), &fcfg, &tp), 0);
	fc_conn_config_default(&ccfg, fc_platform_posix(), tp);
	ck_assert_int_eq(fc_conn_new(&ccfg, &c), 0);
	ck_assert_int_eq(fc_conn_init(c), 0);
	ck_assert_int_eq(fc_conn_destroy_request(c), 0);
	fc_conn_free(c);
	ck_assert_int_eq(fc_tap_wait(t, 10000), 1);
	ck_assert_int_eq(fc_tap_stop(t, &res), 0);
	ck_assert(res.daemon_exited);
	ck_assert(WIFEXITED(res.daemon_status));
	ck_assert_int_eq(WEXITSTATUS(res.daemon_status), 0); /* DESTROY: clean */
	fc_tap_free(t);
	ck_assert_uint_eq(s.by_op[FC_INIT], 1);
	ck_assert_uint_eq(s.by_op[FC_DESTROY], 1);
	ck_assert(s.init_reply_ok);
	ck_assert_uint_eq(s.requests, 2);
	ck_assert_uint_eq(s.replies, 2);
}
END_TEST

START_TEST(test_bad_config)
{
	const char *noph[] = { FC_TEST_REFDAEMON, "-f", NULL };
	const char *missing[] = { "/nonexistent/daemon", "%m", NULL };
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *t = NULL;

	fc_tap_config_default(&cfg, FC_TAP_SOCKET, noph, NULL);
	ck_assert_int_eq(fc_tap_start(&cfg, &t, &res), -EINVAL);
	ck_assert_ptr_nonnull(strstr(res.message, "placeholder"));
	fc_tap_config_default(&cfg, FC_TAP_SOCKET, missing, NULL);
	ck_assert_int_eq(fc_tap_start(&cfg, &t, &res), -ENOENT);
	fc_tap_config_default(&cfg, FC_TAP_KERNEL, noph, NULL);
	ck_assert_int_eq(fc_tap_start(&cfg, &t, &res), -EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST
#endif /* FC_TEST_REFDAEMON */

#ifdef FC_TEST_PASSTHROUGH_LL
/* 1 MiB WRITE requests and 1 MiB READ replies fit through the relay. */
START_TEST(test_big_messages)
{
	char *mnt = NULL, *src, *opt = NULL;
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *t;
	struct seen s = { .uniques_ordered = 1 };
	const size_t size = 1024 * 1024;
	char *wbuf, *rbuf;
	int st;
	pid_t pid;

	if (!can_mount())
		return;
	mnt = mkdir_tmp("mnt");
	src = mkdir_tmp("src");
	ck_assert_int_ge(asprintf(&opt, "source=%s", src), 0);
	/* Buffers the child uses: allocated before the fork. */
	wbuf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rbuf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(wbuf != MAP_FAILED && rbuf != MAP_FAILED);
	for (size_t i = 0; i < size; i++)
		wbuf[i] = (char)(i * 7 + i / 4096);
	{
		const char *argv[] = { FC_TEST_PASSTHROUGH_LL, "-f", "-o", opt, "%m", NULL };

		fc_tap_config_default(&cfg, FC_TAP_KERNEL, argv, mnt);
		cfg.on_msg = on_msg;
		cfg.on_msg_ctx = &s;
		ck_assert_msg(fc_tap_start(&cfg, &t, &res) == 0, "%s", res.message);
	}
	pid = fc_tap_fork(t);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/big", fc_tap_mountpoint(t));
		fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0)
			_exit(1);
		if (write(fd, wbuf, size) != (ssize_t)size)
			_exit(2);
		close(fd);
		fd = open(path, O_RDONLY | O_DIRECT);
		if (fd < 0)
			_exit(3);
		if (pread(fd, rbuf, size, 0) != (ssize_t)size)
			_exit(4);
		close(fd);
		_exit(memcmp(wbuf, rbuf, size) ? 5 : 0);
	}
	st = reap(pid, 30000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "workload: step %d",
		      WEXITSTATUS(st));
	ck_assert_int_eq(fc_tap_stop(t, &res), 0);
	fc_tap_free(t);
	ck_assert_uint_eq(s.max_write, size);
	ck_assert_uint_eq(s.max_reply, size + sizeof(struct fc_out_header));
	ck_assert_int_eq(mounted(mnt), 0);
	munmap(wbuf, size);
	munmap(rbuf, size);
	rm_rf(mnt);
	rm_rf(src);
	free(mnt);
	free(src);
	free(opt);
}
END_TEST
#endif

#if defined(FC_TEST_FC_TAP) && defined(FC_TEST_REFDAEMON)
/* Start the tool on @mnt; its pid.  @workload may be NULL. */
static pid_t tool_start(const char *mnt, const char *log, const char *workload)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (workload)
			execl(FC_TEST_FC_TAP, "fc-tap", "-q", "-l", log, "-x", workload,
			      mnt, "--", FC_TEST_REFDAEMON, "-f", "-o", "seed", "%m",
			      (char *)NULL);
		else
			execl(FC_TEST_FC_TAP, "fc-tap", "-q", "-l", log, mnt, "--",
			      FC_TEST_REFDAEMON, "-f", "-o", "seed", "%m", (char *)NULL);
		_exit(127);
	}
	return pid;
}

START_TEST(test_tool_workload)
{
	char *mnt, *log = NULL, *text;
	int st;

	if (!can_mount())
		return;
	mnt = mkdir_tmp("mnt");
	ck_assert_int_ge(asprintf(&log, "%s/tool.log", tmpbase), 0);
	unlink(log);
	st = reap(tool_start(mnt, log, "test -f \"$FCTAP_MNT/hello\" && "
				       "echo '## marker' >> \"$FCTAP_LOG\" && exit 7"), 30000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 7);
	ck_assert_int_eq(mounted(mnt), 0);
	text = slurp(log, NULL);
	ck_assert_ptr_nonnull(strstr(text, "K>D INIT"));
	ck_assert_ptr_nonnull(strstr(text, "name='hello'"));
	ck_assert_ptr_nonnull(strstr(text, "## marker"));
	free(text);
	unlink(log);
	rm_rf(mnt);
	free(mnt);
	free(log);
}
END_TEST

/* SIGTERM (loop 0), SIGINT (1), SIGHUP (2): a clean unmount; SIGKILL (3): the watcher. */
START_TEST(test_tool_signals)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGKILL };
	char *mnt, *log = NULL;
	pid_t pid;
	int st;

	if (!can_mount())
		return;
	mnt = mkdir_tmp("mnt");
	ck_assert_int_ge(asprintf(&log, "%s/sig.log", tmpbase), 0);
	pid = tool_start(mnt, log, NULL);
	ck_assert_msg(wait_mounted(mnt, 1, 10000), "fc-tap did not mount");
	ck_assert_int_eq(kill(pid, sigs[_i]), 0);
	st = reap(pid, 15000);
	if (sigs[_i] == SIGKILL) {
		ck_assert(WIFSIGNALED(st));
	} else {
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
		/* A clean stop unmounts before exiting. */
		ck_assert_int_eq(mounted(mnt), 0);
	}
	ck_assert_msg(wait_mounted(mnt, 0, 10000), "mount left behind after signal %d",
		      sigs[_i]);
	unlink(log);
	rm_rf(mnt);
	free(mnt);
	free(log);
}
END_TEST
#endif

static Suite *tap_suite(void)
{
	Suite *s = suite_create("tap");
	TCase *tc = tcase_create("tap");

	tcase_set_timeout(tc, 60);
#ifdef FC_TEST_REFDAEMON
	tcase_add_test(tc, test_kernel_basic);
	tcase_add_test(tc, test_daemon_death);
	tcase_add_test(tc, test_socket_kind);
	tcase_add_test(tc, test_bad_config);
#else
	fprintf(stderr, "SKIP: refdaemon not built (no libfuse3)\n");
#endif
#ifdef FC_TEST_PASSTHROUGH_LL
	tcase_add_test(tc, test_big_messages);
#endif
#if defined(FC_TEST_FC_TAP) && defined(FC_TEST_REFDAEMON)
	tcase_add_test(tc, test_tool_workload);
	tcase_add_loop_test(tc, test_tool_signals, 0, 4);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpbase, sizeof(tmpbase), "%s/fusecore-test-tap-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpbase)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(tap_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_rf(tmpbase);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
