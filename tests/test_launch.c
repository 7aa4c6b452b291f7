/*
 * test_launch.c - the daemon launcher (fusecore/launch.h) driving real,
 * unmodified libfuse3 daemons over the fd transport, with raw fc_args
 * requests (no VFS layer exists yet):
 *
 *  - libfuse3's stock hello_ll and passthrough_ll (built by CMake from
 *    /usr/share/doc/libfuse3-dev/examples), under each of the three
 *    handoff modes: /dev/fd/N, the fusermount stand-in in a private mount
 *    namespace, and the LD_PRELOAD shim;
 *  - the project's reference daemon (examples/refdaemon.c) and its
 *    options: request log, fh 0, ENOSYS answers, failing writeback WRITEs,
 *    nodeid reuse, submount attributes, every operation it implements, and
 *    its own open("/dev/fuse") + mount(2) under the shim;
 *  - error cases: a missing command, a daemon exiting at start, one that
 *    never answers INIT, bad configurations, and socket buffers too small
 *    for 1 MiB messages (the INIT profile is clamped).
 *
 * Tests that need a program CMake could not build, or root (the
 * fusermount mode needs a mount namespace), are skipped with a message.
 * The only waits are bounded waits for the external daemon processes,
 * inside the launcher.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/launch.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

#define MIB (1024u * 1024u)

/* Without libfuse3 most helpers below have no user: that is fine. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

static const char *const mode_names[] = { "devfd", "fusermount", "preload" };

/* ---- environment ------------------------------------------------------------ */

static char tmpbase[256];

/* A fresh directory under the test's temporary base. */
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

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* The line of @log containing every word of @words (space separated). */
static char *find_line(const char *log, const char *words)
{
	const char *p = log;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *line = strndup(p, len), *w, *save = NULL;
		char *ws = strdup(words);
		int all = 1;

		for (w = strtok_r(ws, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
			char *k = NULL;

			/* Whole words: " w " in " line ". */
			ck_assert_int_ge(asprintf(&k, " %s ", w), 0);
			{
				char *padded = NULL;

				ck_assert_int_ge(asprintf(&padded, " %s ", line), 0);
				if (!strstr(padded, k))
					all = 0;
				free(padded);
			}
			free(k);
		}
		free(ws);
		if (all)
			return line;
		free(line);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static unsigned count_lines(const char *log, const char *words)
{
	unsigned n = 0;
	const char *p = log;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		char *one = strndup(p, end ? (size_t)(end - p) : strlen(p));
		char *hit = find_line(one, words);

		n += hit != NULL;
		free(hit);
		free(one);
		p = end ? end + 1 : NULL;
	}
	return n;
}

static int mode_available(int mode)
{
	if (mode == FC_LAUNCH_FUSERMOUNT && geteuid() != 0) {
		fprintf(stderr, "SKIP (fusermount mode): needs root for a mount "
			"namespace\n");
		return 0;
	}
#ifndef FC_TEST_FUSERMOUNT
	if (mode == FC_LAUNCH_FUSERMOUNT) {
		fprintf(stderr, "SKIP (fusermount mode): stand-in not built\n");
		return 0;
	}
#endif
#ifndef FC_TEST_PRELOAD
	if (mode == FC_LAUNCH_PRELOAD) {
		fprintf(stderr, "SKIP (preload mode): shim not built\n");
		return 0;
	}
#endif
	return 1;
}

/* ---- launching ----------------------------------------------------------------- */

struct run {
	struct fc_daemon *d;
	struct fc_conn *c;
	struct fc_launch_result res;
	char *helper_log;	/* stand-in or shim log */
	char *asan_env;
	const char *env[4];
};

/* Launch @argv in @mode; returns 0, or the launch error. */
static int run_start(struct run *r, int mode, const char *const *argv,
		     const struct fc_launch_config *tweak)
{
	struct fc_launch_config cfg;
	const char *asan = getenv("ASAN_OPTIONS");
	unsigned ne = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (tweak)
		cfg = *tweak;
	else
		fc_launch_config_default(&cfg, fc_platform_posix(), argv);
	cfg.argv = argv;
	cfg.mode = (enum fc_launch_mode)mode;
	r->helper_log = NULL;
	ck_assert_int_ge(asprintf(&r->helper_log, "%s/helper-%s.log", tmpbase,
				  mode_names[mode]), 0);
	unlink(r->helper_log);
#ifdef FC_TEST_FUSERMOUNT
	cfg.fusermount_helper = FC_TEST_FUSERMOUNT;
#endif
#ifdef FC_TEST_PRELOAD
	cfg.preload_shim = FC_TEST_PRELOAD;
#endif
	if (mode == FC_LAUNCH_FUSERMOUNT) {
		ck_assert_int_ge(asprintf((char **)&r->env[ne], "%s=%s",
					  FC_LAUNCH_ENV_FUSERMOUNT_LOG,
					  r->helper_log), 0);
		ne++;
	}
	if (mode == FC_LAUNCH_PRELOAD) {
		ck_assert_int_ge(asprintf((char **)&r->env[ne], "%s=%s",
					  FC_LAUNCH_ENV_PRELOAD_LOG,
					  r->helper_log), 0);
		ne++;
		/* A sanitized daemon must accept a preloaded library first. */
		ck_assert_int_ge(asprintf(&r->asan_env,
					  "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
					  asan ? asan : "", asan && *asan ? ":" : ""), 0);
		r->env[ne++] = r->asan_env;
	}
	r->env[ne] = NULL;
	cfg.env = r->env;
	err = fc_daemon_launch(&cfg, &r->d, &r->res);
	if (!err)
		r->c = fc_daemon_conn(r->d);
	return err;
}

/* DESTROY, close, reap; the stop result in r->res. */
static void run_stop(struct run *r)
{
	unsigned i;

	if (r->d) {
		fc_daemon_stop(r->d, &r->res);
		fc_daemon_free(r->d);
		r->d = NULL;
	}
	for (i = 0; r->env[i]; i++)
		if (r->env[i] != r->asan_env)
			free((char *)r->env[i]);
	memset(r->env, 0, sizeof(r->env));
	free(r->asan_env);
	r->asan_env = NULL;
}

static void run_free(struct run *r)
{
	run_stop(r);
	if (r->helper_log)
		unlink(r->helper_log);
	free(r->helper_log);
	r->helper_log = NULL;
}

/* ---- raw requests ---------------------------------------------------------------- */

static struct fc_creds test_creds = { .uid = 0, .gid = 0, .pid = 4242 };

static void args_init(struct fc_args *a, uint32_t opcode, uint64_t nodeid)
{
	memset(a, 0, sizeof(*a));
	a->opcode = opcode;
	a->nodeid = nodeid;
	a->creds = test_creds;
}

static void in_arg(struct fc_args *a, const void *v, size_t n)
{
	a->in[a->in_numargs].value = (void *)v;
	a->in[a->in_numargs].size = (uint32_t)n;
	a->in_numargs++;
}

static void out_arg(struct fc_args *a, void *v, size_t n)
{
	a->out[a->out_numargs].value = v;
	a->out[a->out_numargs].size = (uint32_t)n;
	a->out_numargs++;
}

static int r_lookup(struct fc_conn *c, uint64_t parent, const char *name,
		    struct fc_entry_out *e)
{
	struct fc_args a;

	args_init(&a, FC_LOOKUP, parent);
	in_arg(&a, name, strlen(name) + 1);
	out_arg(&a, e, sizeof(*e));
	memset(e, 0, sizeof(*e));
	return fc_conn_send(c, &a);
}

static void r_forget(struct fc_conn *c, uint64_t nodeid, uint64_t n)
{
	struct fc_forget_in in = { .nlookup = n };
	struct fc_args a;

	args_init(&a, FC_FORGET, nodeid);
	a.flags = FC_ARGS_NOREPLY | FC_ARGS_NOCREDS;
	in_arg(&a, &in, sizeof(in));
	ck_assert_int_eq(fc_conn_send(c, &a), 0);
}

static int r_getattr(struct fc_conn *c, uint64_t nodeid, struct fc_attr_out *o)
{
	struct fc_getattr_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	args_init(&a, FC_GETATTR, nodeid);
	in_arg(&a, &in, sizeof(in));
	out_arg(&a, o, sizeof(*o));
	return fc_conn_send(c, &a);
}

static int r_open(struct fc_conn *c, uint32_t opcode, uint64_t nodeid,
		  uint32_t flags, uint64_t *fh)
{
	struct fc_open_in in = { .flags = flags };
	struct fc_open_out o;
	struct fc_args a;
	int r;

	memset(&o, 0, sizeof(o));
	args_init(&a, opcode, nodeid);
	in_arg(&a, &in, sizeof(in));
	out_arg(&a, &o, sizeof(o));
	r = fc_conn_send(c, &a);
	if (fh)
		*fh = o.fh;
	return r;
}

static int r_create(struct fc_conn *c, uint64_t parent, const char *name,
		    uint32_t mode, uint32_t flags, struct fc_entry_out *e,
		    uint64_t *fh)
{
	struct fc_create_in in = { .flags = flags, .mode = mode, .umask = 022 };
	struct fc_open_out o;
	struct fc_args a;
	int r;

	memset(&o, 0, sizeof(o));
	memset(e, 0, sizeof(*e));
	args_init(&a, FC_CREATE, parent);
	in_arg(&a, &in, sizeof(in));
	in_arg(&a, name, strlen(name) + 1);
	out_arg(&a, e, sizeof(*e));
	out_arg(&a, &o, sizeof(o));
	r = fc_conn_send(c, &a);
	*fh = o.fh;
	return r;
}

static int r_read(struct fc_conn *c, uint64_t nodeid, uint64_t fh,
		  uint64_t off, void *buf, uint32_t size, uint32_t opcode)
{
	struct fc_read_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.offset = off;
	in.size = size;
	in.flags = O_RDWR;
	args_init(&a, opcode, nodeid);
	a.flags = FC_ARGS_OUT_VAR;
	in_arg(&a, &in, sizeof(in));
	out_arg(&a, buf, size);
	return fc_conn_send(c, &a);
}

static int r_write_ex(struct fc_conn *c, uint64_t nodeid, uint64_t fh,
		      uint64_t off, const void *data, uint32_t size,
		      uint32_t write_flags, uint64_t lock_owner, int nocreds)
{
	struct fc_write_in in;
	struct fc_write_out o;
	struct fc_args a;
	int r;

	memset(&in, 0, sizeof(in));
	memset(&o, 0, sizeof(o));
	in.fh = fh;
	in.offset = off;
	in.size = size;
	in.write_flags = write_flags;
	in.lock_owner = lock_owner;
	in.flags = nocreds ? 0 : O_RDWR;
	args_init(&a, FC_WRITE, nodeid);
	if (nocreds)
		a.flags |= FC_ARGS_NOCREDS;
	in_arg(&a, &in, sizeof(in));
	in_arg(&a, data, size);
	out_arg(&a, &o, sizeof(o));
	r = fc_conn_send(c, &a);
	return r < 0 ? r : (int)o.size;
}

static int r_write(struct fc_conn *c, uint64_t nodeid, uint64_t fh,
		   uint64_t off, const void *data, uint32_t size)
{
	return r_write_ex(c, nodeid, fh, off, data, size, 0, 0, 0);
}

static int r_release(struct fc_conn *c, uint32_t opcode, uint64_t nodeid,
		     uint64_t fh)
{
	struct fc_release_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.flags = O_RDWR;
	args_init(&a, opcode, nodeid);
	a.flags = FC_ARGS_NOCREDS;
	in_arg(&a, &in, sizeof(in));
	return fc_conn_send(c, &a);
}

static int r_flush(struct fc_conn *c, uint64_t nodeid, uint64_t fh,
		   uint64_t owner)
{
	struct fc_flush_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.lock_owner = owner;
	args_init(&a, FC_FLUSH, nodeid);
	in_arg(&a, &in, sizeof(in));
	return fc_conn_send(c, &a);
}

static int r_fsync(struct fc_conn *c, uint32_t opcode, uint64_t nodeid,
		   uint64_t fh)
{
	struct fc_fsync_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	args_init(&a, opcode, nodeid);
	in_arg(&a, &in, sizeof(in));
	return fc_conn_send(c, &a);
}

static int r_name_op(struct fc_conn *c, uint32_t opcode, uint64_t parent,
		     const char *name)
{
	struct fc_args a;

	args_init(&a, opcode, parent);
	in_arg(&a, name, strlen(name) + 1);
	return fc_conn_send(c, &a);
}

static int r_mkdir(struct fc_conn *c, uint64_t parent, const char *name,
		   struct fc_entry_out *e)
{
	struct fc_mkdir_in in = { .mode = 0755, .umask = 022 };
	struct fc_args a;

	memset(e, 0, sizeof(*e));
	args_init(&a, FC_MKDIR, parent);
	in_arg(&a, &in, sizeof(in));
	in_arg(&a, name, strlen(name) + 1);
	out_arg(&a, e, sizeof(*e));
	return fc_conn_send(c, &a);
}

static int r_lk(struct fc_conn *c, uint32_t opcode, uint64_t nodeid,
		uint64_t fh, uint64_t owner, uint32_t type, uint32_t lk_flags,
		struct fc_lk_out *o)
{
	struct fc_lk_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.owner = owner;
	in.lk.start = 0;
	in.lk.end = 99;
	in.lk.type = type;
	in.lk.pid = 4242;
	in.lk_flags = lk_flags;
	args_init(&a, opcode, nodeid);
	in_arg(&a, &in, sizeof(in));
	if (o)
		out_arg(&a, o, sizeof(*o));
	return fc_conn_send(c, &a);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

/* ---- libfuse3 stock examples --------------------------------------------------------- */

/* hello_ll: INIT, LOOKUP, GETATTR, OPEN, READ "Hello World!\n", RELEASE. */
START_TEST(test_hello_ll)
{
#ifdef FC_TEST_HELLO_LL
	const char *argv[] = { FC_TEST_HELLO_LL, "-f", FC_LAUNCH_PLACEHOLDER, NULL };
	struct run r;
	struct fc_entry_out e;
	struct fc_attr_out ao;
	char buf[4096];
	uint64_t fh = 99;
	int n;

	if (!mode_available(_i))
		return;
	ck_assert_msg(run_start(&r, _i, argv, NULL) == 0, "launch (%s): %s",
		      mode_names[_i], r.res.message);
	ck_assert_int_eq(fc_conn_state(r.c), FC_CONN_READY);
	ck_assert_uint_eq(fc_conn_info(r.c)->major, 7);
	ck_assert_int_eq(fc_daemon_info(r.d)->clamped, 0);
	ck_assert_uint_ge(fc_daemon_info(r.d)->msg_limit, fc_fd_msg_size(MIB));
	if (_i == FC_LAUNCH_DEVFD)
		ck_assert_ptr_null(fc_daemon_info(r.d)->mountpoint);
	else
		ck_assert_ptr_nonnull(fc_daemon_info(r.d)->mountpoint);

	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_uint_eq(e.nodeid, 2);
	ck_assert_uint_eq(e.attr.size, 13);
	ck_assert_int_eq(r_getattr(r.c, e.nodeid, &ao), (int)sizeof(ao));
	ck_assert_uint_eq(ao.attr.mode, 0100444);
	ck_assert_uint_eq(ao.attr.size, 13);
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDONLY, &fh), 16);
	n = r_read(r.c, e.nodeid, fh, 0, buf, sizeof(buf), FC_READ);
	ck_assert_int_eq(n, 13);
	ck_assert_mem_eq(buf, "Hello World!\n", 13);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "nothere", &e), -ENOENT);
	ck_assert_int_eq(r_open(r.c, FC_OPEN, 2, O_RDWR, NULL), -EACCES);

	run_stop(&r);
	ck_assert_int_eq(r.res.destroy, 0);
	ck_assert(r.res.exited);
	ck_assert_msg(!r.res.sent_sigterm, "hello_ll needed SIGTERM");
	if (_i != FC_LAUNCH_DEVFD) {
		char *log = read_file(r.helper_log);
		char *line = find_line(log, "mount");

		ck_assert_msg(line != NULL, "the %s helper was not used: '%s'",
			      mode_names[_i], log);
		free(line);
		if (_i == FC_LAUNCH_PRELOAD) {
			line = find_line(log, "open /dev/fuse");
			ck_assert_ptr_nonnull(line);
			free(line);
		}
		free(log);
	}
	run_free(&r);
#else
	fprintf(stderr, "SKIP: hello_ll not built (no libfuse3 examples)\n");
#endif
}
END_TEST

#ifdef FC_TEST_PASSTHROUGH_LL
struct pt_worker {
	struct fc_conn *c;
	uint64_t nodeid, fh;
	unsigned id;
	int failures;
};

/* Each thread owns a 128 KiB region of the file: write, read back, compare. */
static void *pt_worker_main(void *arg)
{
	struct pt_worker *w = arg;
	unsigned i;

	for (i = 0; i < 24; i++) {
		size_t sz = 16 * 1024;
		uint64_t off = (uint64_t)w->id * 128 * 1024 + (i % 8) * sz;
		unsigned char *data = pattern(sz, w->id * 1000 + i);
		unsigned char *back = malloc(sz);
		struct fc_attr_out ao;

		if (r_write(w->c, w->nodeid, w->fh, off, data, (uint32_t)sz) !=
		    (int)sz)
			w->failures++;
		if (r_read(w->c, w->nodeid, w->fh, off, back, (uint32_t)sz,
			   FC_READ) != (int)sz || memcmp(data, back, sz))
			w->failures++;
		if (r_getattr(w->c, w->nodeid, &ao) != (int)sizeof(ao))
			w->failures++;
		free(data);
		free(back);
	}
	return NULL;
}
#endif

/*
 * passthrough_ll on a temporary source directory: a 1 MiB file created,
 * written and read back in single 1 MiB requests (checksum, and the real
 * file on disk compared), then 8 threads with requests in flight at once.
 * Loop index: handoff mode (index % 3) x completion path (syscalls for
 * 0..2, io_uring for 3..5).
 */
START_TEST(test_passthrough_ll)
{
#ifdef FC_TEST_PASSTHROUGH_LL
	char *src = mkdir_tmp("ptsrc"), *srcopt = NULL, *path = NULL;
	const char *argv[] = { FC_TEST_PASSTHROUGH_LL, "-f", "-o", NULL,
			       FC_LAUNCH_PLACEHOLDER, NULL };
	struct run r;
	struct fc_entry_out e;
	struct pt_worker w[8];
	pthread_t th[8];
	unsigned char *data, *back, *disk;
	uint64_t fh = 0;
	unsigned i;
	FILE *f;

	int mode = _i % 3;
	enum fc_fd_io io = _i < 3 ? FC_FD_IO_SYSCALLS : FC_FD_IO_URING;
	struct fc_launch_config cfg;

	if (!mode_available(mode) ||
	    (io == FC_FD_IO_URING && !fc_fd_uring_available())) {
		if (io == FC_FD_IO_URING)
			fprintf(stderr, "SKIP: io_uring not available\n");
		rm_rf(src);
		free(src);
		return;
	}
	ck_assert_int_ge(asprintf(&srcopt, "source=%s", src), 0);
	argv[3] = srcopt;
	fc_launch_config_default(&cfg, fc_platform_posix(), argv);
	cfg.io = io;
	ck_assert_msg(run_start(&r, mode, argv, &cfg) == 0, "launch (%s): %s",
		      mode_names[mode], r.res.message);
	ck_assert_int_eq(fc_daemon_info(r.d)->io, io);
	ck_assert_uint_ge(fc_conn_info(r.c)->max_write, MIB);
	ck_assert_uint_eq(fc_conn_info(r.c)->max_pages, 256);

	ck_assert_int_eq(r_create(r.c, FC_ROOT_ID, "big", 0100644,
				  O_RDWR | O_CREAT, &e, &fh), (int)(sizeof(e) + 16));
	ck_assert_uint_ne(e.nodeid, 0);
	data = pattern(MIB, 7);
	ck_assert_int_eq(r_write(r.c, e.nodeid, fh, 0, data, MIB), (int)MIB);
	back = malloc(MIB);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(r_read(r.c, e.nodeid, fh, 0, back, MIB, FC_READ), (int)MIB);
	ck_assert_uint_eq(fnv1a(back, MIB), fnv1a(data, MIB));
	/* And on disk, through the real filesystem. */
	ck_assert_int_ge(asprintf(&path, "%s/big", src), 0);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	disk = malloc(MIB);
	ck_assert_uint_eq(fread(disk, 1, MIB, f), MIB);
	fclose(f);
	ck_assert_uint_eq(fnv1a(disk, MIB), fnv1a(data, MIB));
	free(disk);

	/* Eight threads, each with its region, all in flight together. */
	for (i = 0; i < 8; i++) {
		w[i].c = r.c;
		w[i].nodeid = e.nodeid;
		w[i].fh = fh;
		w[i].id = i;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, pt_worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(r_flush(r.c, e.nodeid, fh, 0x1234), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, FC_ROOT_ID, "big"), 0);
	r_forget(r.c, e.nodeid, 1);
	ck_assert_int_eq(access(path, F_OK), -1);

	run_stop(&r);
	ck_assert_int_eq(r.res.destroy, 0);
	ck_assert(r.res.exited);
	run_free(&r);
	free(data);
	free(back);
	free(path);
	free(srcopt);
	rm_rf(src);
	free(src);
#else
	fprintf(stderr, "SKIP: passthrough_ll not built (no libfuse3 examples)\n");
#endif
}
END_TEST

/*
 * passthrough_fh, a high-level-API daemon (small integer nodeids) that
 * mirrors the host's whole tree: only our temporary directory is touched,
 * reached by LOOKUPs from the root.
 */
START_TEST(test_passthrough_fh)
{
#ifdef FC_TEST_PASSTHROUGH_FH
	const char *argv[] = { FC_TEST_PASSTHROUGH_FH, "-f", FC_LAUNCH_PLACEHOLDER,
			       NULL };
	char *dir = mkdir_tmp("pfh"), *real = realpath(dir, NULL), *p, *save = NULL;
	char *path = NULL;
	struct run r;
	struct fc_entry_out e, f;
	uint64_t node = FC_ROOT_ID, fh = 0;
	unsigned char *data = pattern(256 * 1024, 11), *back = malloc(256 * 1024);
	FILE *fp;

	ck_assert_ptr_nonnull(real);
	ck_assert_msg(run_start(&r, FC_LAUNCH_DEVFD, argv, NULL) == 0, "launch: %s",
		      r.res.message);
	for (p = strtok_r(real, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		ck_assert_int_eq(r_lookup(r.c, node, p, &e), (int)sizeof(e));
		ck_assert_uint_eq(e.attr.mode & S_IFMT, S_IFDIR);
		node = e.nodeid;
	}
	ck_assert_int_eq(r_create(r.c, node, "f", 0100644, O_RDWR | O_CREAT, &f,
				  &fh), (int)(sizeof(f) + 16));
	ck_assert_int_eq(r_write(r.c, f.nodeid, fh, 0, data, 256 * 1024),
			 256 * 1024);
	ck_assert_int_eq(r_read(r.c, f.nodeid, fh, 0, back, 256 * 1024, FC_READ),
			 256 * 1024);
	ck_assert_mem_eq(back, data, 256 * 1024);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, f.nodeid, fh), 0);
	ck_assert_int_ge(asprintf(&path, "%s/f", dir), 0);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	memset(back, 0, 256 * 1024);
	ck_assert_uint_eq(fread(back, 1, 256 * 1024, fp), 256 * 1024);
	fclose(fp);
	ck_assert_mem_eq(back, data, 256 * 1024);
	ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, node, "f"), 0);
	run_stop(&r);
	ck_assert_int_eq(r.res.destroy, 0);
	ck_assert(r.res.exited);
	run_free(&r);
	free(path);
	free(data);
	free(back);
	free(real);
	rm_rf(dir);
	free(dir);
#else
	fprintf(stderr, "SKIP: passthrough_fh not built (no libfuse3 examples)\n");
#endif
}
END_TEST

/*
 * Socket buffers too small for 1 MiB: the launcher lowers the INIT
 * profile's max_pages_limit so that every negotiated request fits.
 */
START_TEST(test_clamp_small_buffers)
{
#ifdef FC_TEST_PASSTHROUGH_LL
	char *src = mkdir_tmp("ptclamp"), *srcopt = NULL;
	const char *argv[] = { FC_TEST_PASSTHROUGH_LL, "-f", "-o", NULL,
			       FC_LAUNCH_PLACEHOLDER, NULL };
	struct fc_launch_config cfg;
	const struct fc_daemon_info *info;
	struct run r;
	struct fc_entry_out e;
	unsigned char *data, *back;
	uint64_t fh = 0;
	uint32_t io;

	ck_assert_int_ge(asprintf(&srcopt, "source=%s", src), 0);
	argv[3] = srcopt;
	fc_launch_config_default(&cfg, fc_platform_posix(), argv);
	cfg.sockbuf = 64 * 1024;
	ck_assert_msg(run_start(&r, FC_LAUNCH_DEVFD, argv, &cfg) == 0, "launch: %s",
		      r.res.message);
	info = fc_daemon_info(r.d);
	ck_assert_int_eq(info->clamped, 1);
	ck_assert_uint_lt(info->msg_limit, fc_fd_msg_size(MIB));
	ck_assert_uint_ge(info->max_pages_limit, 1);
	ck_assert_uint_le((size_t)info->max_pages_limit * 4096 + 8192,
			  info->msg_limit);
	ck_assert_uint_eq(fc_conn_info(r.c)->max_pages, info->max_pages_limit);

	/* A request of max_pages pages goes through both ways. */
	io = fc_conn_info(r.c)->max_pages * 4096;
	ck_assert_int_eq(r_create(r.c, FC_ROOT_ID, "f", 0100644, O_RDWR | O_CREAT,
				  &e, &fh), (int)(sizeof(e) + 16));
	data = pattern(io, 3);
	back = malloc(io);
	ck_assert_int_eq(r_write(r.c, e.nodeid, fh, 0, data, io), (int)io);
	ck_assert_int_eq(r_read(r.c, e.nodeid, fh, 0, back, io, FC_READ), (int)io);
	ck_assert_mem_eq(back, data, io);
	free(data);
	free(back);
	/* One that the clamp forbids fails here, cleanly. */
	data = pattern(MIB, 4);
	ck_assert_int_eq(r_write(r.c, e.nodeid, fh, 0, data, MIB), -EMSGSIZE);
	free(data);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	run_free(&r);
	free(srcopt);
	rm_rf(src);
	free(src);
#else
	fprintf(stderr, "SKIP: passthrough_ll not built (no libfuse3 examples)\n");
#endif
}
END_TEST

/* ---- the reference daemon ---------------------------------------------------------------- */

#ifdef FC_TEST_REFDAEMON
/* Launch refdaemon with "-o OPTS,log=LOG" in @mode. */
static void ref_start(struct run *r, int mode, const char *opts, char **logp)
{
	char *o = NULL;
	static const char *argv[6];

	ck_assert_int_ge(asprintf(logp, "%s/ref-XXXXXX", tmpbase), 0);
	ck_assert_int_ge(mkstemp(*logp), 0);
	ck_assert_int_ge(asprintf(&o, "%s%slog=%s", opts, *opts ? "," : "", *logp), 0);
	argv[0] = FC_TEST_REFDAEMON;
	argv[1] = "-f";
	argv[2] = "-o";
	argv[3] = o;
	argv[4] = FC_LAUNCH_PLACEHOLDER;
	argv[5] = NULL;
	ck_assert_msg(run_start(r, mode, argv, NULL) == 0, "launch refdaemon -o %s: %s",
		      o, r->res.message);
	free(o);
}

/* Stop (DESTROY), check the clean exit, return the request log. */
static char *ref_stop(struct run *r, char *logpath)
{
	char *log;

	run_stop(r);
	ck_assert_int_eq(r->res.destroy, 0);
	ck_assert(r->res.exited);
	ck_assert_msg(WIFEXITED(r->res.status) && WEXITSTATUS(r->res.status) == 0,
		      "refdaemon status 0x%x", r->res.status);
	log = read_file(logpath);
	unlink(logpath);
	free(logpath);
	return log;
}
#endif

/* In the #else branch of every refdaemon test. */
#define NEED_REFDAEMON() \
	fprintf(stderr, "SKIP: refdaemon not built (libfuse3 not found)\n")

/* The request log records the fields tests need, for each request. */
START_TEST(test_ref_log)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out e;
	struct fc_lk_out lo;
	char buf[64], *logpath, *log, *line, *want = NULL;
	uint64_t fh = 0;

	ref_start(&r, FC_LAUNCH_DEVFD, "seed", &logpath);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDWR, &fh), 16);
	ck_assert_uint_ne(fh, 0);
	ck_assert_int_eq(r_read(r.c, e.nodeid, fh, 0, buf, sizeof(buf), FC_READ), 13);
	ck_assert_mem_eq(buf, "Hello World!\n", 13);
	test_creds.uid = 1234;
	test_creds.gid = 5678;
	test_creds.pid = 4321;
	ck_assert_int_eq(r_write_ex(r.c, e.nodeid, fh, 6, "there", 5,
				    FC_WRITE_LOCKOWNER, 0x77, 0), 5);
	test_creds.uid = test_creds.gid = 0;
	test_creds.pid = 4242;
	/* A writeback WRITE: no credentials, FUSE_WRITE_CACHE. */
	ck_assert_int_eq(r_write_ex(r.c, e.nodeid, fh, 0, "HELLO", 5,
				    FC_WRITE_CACHE, 0, 1), 5);
	ck_assert_int_eq(r_lk(r.c, FC_GETLK, e.nodeid, fh, 0xabcdef, F_WRLCK, 0,
			      &lo), (int)sizeof(lo));
	ck_assert_uint_eq(lo.lk.type, F_UNLCK);
	ck_assert_int_eq(r_lk(r.c, FC_SETLK, e.nodeid, fh, 0xabcdef, F_RDLCK, 0,
			      NULL), 0);
	ck_assert_int_eq(r_lk(r.c, FC_SETLKW, e.nodeid, fh, 0xfeed, F_WRLCK,
			      FC_LK_FLOCK, NULL), 0);
	ck_assert_int_eq(r_flush(r.c, e.nodeid, fh, 0xd27c1b3b15c93b3dULL), 0);
	ck_assert_int_eq(r_fsync(r.c, FC_FSYNC, e.nodeid, fh), 0);
	ck_assert_int_eq(r_read(r.c, e.nodeid, fh, 0, buf, sizeof(buf), FC_READ), 13);
	ck_assert_mem_eq(buf, "HELLO there!\n", 13);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	log = ref_stop(&r, logpath);

	line = find_line(log, "op=INIT uid=0 gid=0 pid=0 major=7 minor=45");
	ck_assert_msg(line != NULL, "no INIT line in:\n%s", log);
	free(line);
	line = find_line(log, "op=LOOKUP nodeid=1 pid=4242 name=\"hello\"");
	ck_assert_ptr_nonnull(line);
	free(line);
	ck_assert_int_ge(asprintf(&want, "op=WRITE nodeid=%" PRIu64 " uid=1234 "
				  "gid=5678 pid=4321 fh=%" PRIu64 " flags=0x2 "
				  "lock_owner=0x77 write_flags=0x2 offset=6 size=5",
				  e.nodeid, fh), 0);
	line = find_line(log, want);
	ck_assert_msg(line != NULL, "no '%s' in:\n%s", want, log);
	free(line);
	free(want);
	ck_assert_int_ge(asprintf(&want, "op=WRITE uid=0 gid=0 pid=0 fh=%" PRIu64
				  " flags=0x0 write_flags=0x1 offset=0 size=5", fh), 0);
	line = find_line(log, want);
	ck_assert_msg(line != NULL, "no '%s' in:\n%s", want, log);
	free(line);
	free(want);
	line = find_line(log, "op=GETLK owner=0xabcdef lock_owner=0xabcdef type=1 "
			 "start=0 end=99 lk_pid=4242 lk_flags=0x0");
	ck_assert_msg(line != NULL, "no GETLK line in:\n%s", log);
	free(line);
	line = find_line(log, "op=SETLK owner=0xabcdef type=0");
	ck_assert_ptr_nonnull(line);
	free(line);
	line = find_line(log, "op=SETLKW owner=0xfeed lk_flags=0x1");
	ck_assert_ptr_nonnull(line);
	free(line);
	line = find_line(log, "op=FLUSH lock_owner=0xd27c1b3b15c93b3d");
	ck_assert_ptr_nonnull(line);
	free(line);
	line = find_line(log, "op=RELEASE uid=0 gid=0 pid=0 flags=0x2");
	ck_assert_ptr_nonnull(line);
	free(line);
	line = find_line(log, "op=FSYNC fsync_flags=0x0");
	ck_assert_ptr_nonnull(line);
	free(line);
	/* DESTROY was sent before the socket closed. */
	line = find_line(log, "op=DESTROY nodeid=0 uid=0 gid=0 pid=0");
	ck_assert_ptr_nonnull(line);
	free(line);
	ck_assert_uint_eq(count_lines(log, "op=READ"), 2);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/* fh0: OPEN, OPENDIR and CREATE answer fh 0. */
START_TEST(test_ref_fh0)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out e, ce;
	char buf[16], *logpath, *log;
	uint64_t fh = 99, dfh = 99, cfh = 99;

	ref_start(&r, FC_LAUNCH_DEVFD, "seed,fh0", &logpath);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDONLY, &fh), 16);
	ck_assert_uint_eq(fh, 0);
	ck_assert_int_eq(r_read(r.c, e.nodeid, fh, 0, buf, sizeof(buf), FC_READ), 13);
	ck_assert_int_eq(r_open(r.c, FC_OPENDIR, FC_ROOT_ID, O_RDONLY, &dfh), 16);
	ck_assert_uint_eq(dfh, 0);
	ck_assert_int_eq(r_create(r.c, FC_ROOT_ID, "new", 0100600, O_RDWR | O_CREAT,
				  &ce, &cfh), (int)(sizeof(ce) + 16));
	ck_assert_uint_eq(cfh, 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASEDIR, FC_ROOT_ID, dfh), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, ce.nodeid, cfh), 0);
	log = ref_stop(&r, logpath);
	ck_assert_uint_eq(count_lines(log, "op=READ fh=0"), 1);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/* nosys=open:flush:fsync:fsyncdir: ENOSYS, remembered by the connection. */
START_TEST(test_ref_nosys)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out e;
	char *logpath, *log;
	uint64_t dfh = 0;

	ref_start(&r, FC_LAUNCH_DEVFD, "seed,nosys=open:flush:fsync:fsyncdir",
		  &logpath);
	/*
	 * The profile offers NO_OPEN_SUPPORT (as Linux does); libfuse does not
	 * echo it in its reply, and the bit means nothing there anyway.
	 */
	ck_assert(fc_conn_info(r.c)->requested & FC_NO_OPEN_SUPPORT);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDONLY, NULL), -ENOSYS);
	ck_assert(fc_conn_nosys(r.c, FC_OPEN));
	/* Remembered: the second OPEN does not reach the daemon. */
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDONLY, NULL), -ENOSYS);
	ck_assert_int_eq(r_flush(r.c, e.nodeid, 0, 1), -ENOSYS);
	ck_assert(fc_conn_nosys(r.c, FC_FLUSH));
	ck_assert_int_eq(r_fsync(r.c, FC_FSYNC, e.nodeid, 0), -ENOSYS);
	ck_assert_int_eq(r_open(r.c, FC_OPENDIR, FC_ROOT_ID, O_RDONLY, &dfh), 16);
	ck_assert_int_eq(r_fsync(r.c, FC_FSYNCDIR, FC_ROOT_ID, dfh), -ENOSYS);
	ck_assert_int_eq(r_release(r.c, FC_RELEASEDIR, FC_ROOT_ID, dfh), 0);
	log = ref_stop(&r, logpath);
	ck_assert_uint_eq(count_lines(log, "op=OPEN"), 1);
	ck_assert_uint_eq(count_lines(log, "op=FLUSH"), 1);
	ck_assert_uint_eq(count_lines(log, "op=FSYNCDIR"), 1);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/* fail_wb_write: a writeback WRITE fails EIO, an ordinary one works. */
START_TEST(test_ref_fail_wb_write)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out e;
	char *logpath, *log;
	uint64_t fh = 0;

	ref_start(&r, FC_LAUNCH_DEVFD, "seed,fail_wb_write", &logpath);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_int_eq(r_open(r.c, FC_OPEN, e.nodeid, O_RDWR, &fh), 16);
	ck_assert_int_eq(r_write_ex(r.c, e.nodeid, fh, 0, "x", 1, FC_WRITE_CACHE,
				    0, 1), -EIO);
	ck_assert_int_eq(r_write(r.c, e.nodeid, fh, 0, "y", 1), 1);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, e.nodeid, fh), 0);
	log = ref_stop(&r, logpath);
	ck_assert_uint_eq(count_lines(log, "op=WRITE write_flags=0x1"), 1);
	ck_assert_uint_eq(count_lines(log, "op=WRITE write_flags=0x0"), 1);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/* reuse_ino: a freed nodeid comes back with the next generation. */
START_TEST(test_ref_reuse_ino)
{
#ifdef FC_TEST_REFDAEMON
	int reuse;

	for (reuse = 0; reuse <= 1; reuse++) {
		struct run r;
		struct fc_entry_out a, b;
		char *logpath, *log;
		uint64_t fh = 0;

		ref_start(&r, FC_LAUNCH_DEVFD, reuse ? "reuse_ino" : "", &logpath);
		ck_assert_int_eq(r_create(r.c, FC_ROOT_ID, "a", 0100644,
					  O_RDWR | O_CREAT, &a, &fh),
				 (int)(sizeof(a) + 16));
		ck_assert_int_eq(r_release(r.c, FC_RELEASE, a.nodeid, fh), 0);
		ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, FC_ROOT_ID, "a"), 0);
		r_forget(r.c, a.nodeid, 1);
		ck_assert_int_eq(r_create(r.c, FC_ROOT_ID, "b", 0100644,
					  O_RDWR | O_CREAT, &b, &fh),
				 (int)(sizeof(b) + 16));
		if (reuse) {
			ck_assert_uint_eq(b.nodeid, a.nodeid);
			ck_assert_uint_eq(b.generation, a.generation + 1);
		} else {
			ck_assert_uint_ne(b.nodeid, a.nodeid);
		}
		ck_assert_int_eq(r_release(r.c, FC_RELEASE, b.nodeid, fh), 0);
		log = ref_stop(&r, logpath);
		ck_assert_uint_eq(count_lines(log, "op=FORGET nlookup=1"), 1);
		free(log);
		run_free(&r);
	}
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

#ifdef FC_TEST_REFDAEMON
/* The attr.flags of @name's record in a READDIRPLUS buffer, or -1. */
static long direntplus_flags(const unsigned char *buf, size_t len,
			     const char *name)
{
	size_t off = 0;

	while (off + FC_NAME_OFFSET_DIRENTPLUS <= len) {
		struct fc_entry_out eo;
		uint32_t namelen;
		const char *nm = (const char *)buf + off + FC_NAME_OFFSET_DIRENTPLUS;

		memcpy(&eo, buf + off, sizeof(eo));
		memcpy(&namelen, buf + off + offsetof(struct fc_direntplus,
						      dirent.namelen), 4);
		if (namelen == strlen(name) && !memcmp(nm, name, namelen))
			return (long)eo.attr.flags;
		off += FC_REC_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + namelen);
	}
	return -1;
}
#endif

/* submount=sub: those directories carry FUSE_ATTR_SUBMOUNT. */
START_TEST(test_ref_submount)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out s, p, l;
	struct fc_attr_out ao;
	unsigned char buf[8192];
	char *logpath, *log;
	uint64_t dfh = 0;
	int n;

	ref_start(&r, FC_LAUNCH_DEVFD, "submount=sub", &logpath);
	ck_assert_int_eq(r_mkdir(r.c, FC_ROOT_ID, "subvol", &s), (int)sizeof(s));
	ck_assert_uint_eq(s.attr.flags & FC_ATTR_SUBMOUNT, FC_ATTR_SUBMOUNT);
	ck_assert_int_eq(r_mkdir(r.c, FC_ROOT_ID, "plain", &p), (int)sizeof(p));
	ck_assert_uint_eq(p.attr.flags & FC_ATTR_SUBMOUNT, 0);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "subvol", &l), (int)sizeof(l));
	ck_assert_uint_eq(l.attr.flags & FC_ATTR_SUBMOUNT, FC_ATTR_SUBMOUNT);
	ck_assert_int_eq(r_getattr(r.c, s.nodeid, &ao), (int)sizeof(ao));
	ck_assert_uint_eq(ao.attr.flags & FC_ATTR_SUBMOUNT, FC_ATTR_SUBMOUNT);
	ck_assert_int_eq(r_getattr(r.c, p.nodeid, &ao), (int)sizeof(ao));
	ck_assert_uint_eq(ao.attr.flags & FC_ATTR_SUBMOUNT, 0);
	ck_assert_int_eq(r_open(r.c, FC_OPENDIR, FC_ROOT_ID, O_RDONLY, &dfh), 16);
	n = r_read(r.c, FC_ROOT_ID, dfh, 0, buf, sizeof(buf), FC_READDIRPLUS);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(direntplus_flags(buf, (size_t)n, "subvol") & FC_ATTR_SUBMOUNT,
			 FC_ATTR_SUBMOUNT);
	ck_assert_int_eq(direntplus_flags(buf, (size_t)n, "plain"), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASEDIR, FC_ROOT_ID, dfh), 0);
	log = ref_stop(&r, logpath);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

#ifdef FC_TEST_REFDAEMON
/* Names of a READDIR buffer, joined with ','. */
static void dirent_names(const unsigned char *buf, size_t len, char *out,
			 size_t outlen)
{
	size_t off = 0;

	out[0] = 0;
	while (off + FC_NAME_OFFSET <= len) {
		uint32_t namelen;

		memcpy(&namelen, buf + off + offsetof(struct fc_dirent, namelen), 4);
		strncat(out, (const char *)buf + off + FC_NAME_OFFSET,
			namelen < outlen - strlen(out) - 2 ? namelen : 0);
		strcat(out, ",");
		off += FC_REC_ALIGN(FC_NAME_OFFSET + namelen);
	}
}
#endif

/* Every operation refdaemon implements, once, with raw requests. */
START_TEST(test_ref_ops)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out d, f, sl, nd, ln;
	struct fc_attr_out ao;
	struct fc_statfs_out so;
	struct fc_getxattr_out gx;
	unsigned char buf[4096];
	char names[512], *logpath, *log;
	uint64_t fh = 0, dfh = 0;
	struct fc_args a;
	int n;

	ref_start(&r, FC_LAUNCH_DEVFD, "", &logpath);
	/* MKDIR, CREATE, WRITE, SETATTR (truncate), GETATTR */
	ck_assert_int_eq(r_mkdir(r.c, FC_ROOT_ID, "d", &d), (int)sizeof(d));
	ck_assert_uint_eq(d.attr.mode & S_IFMT, S_IFDIR);
	ck_assert_int_eq(r_create(r.c, d.nodeid, "f", 0100640, O_RDWR | O_CREAT,
				  &f, &fh), (int)(sizeof(f) + 16));
	ck_assert_int_eq(r_write(r.c, f.nodeid, fh, 0, "0123456789", 10), 10);
	{
		struct fc_setattr_in si;

		memset(&si, 0, sizeof(si));
		si.valid = FC_FATTR_SIZE | FC_FATTR_MODE;
		si.size = 4;
		si.mode = 0100600;
		args_init(&a, FC_SETATTR, f.nodeid);
		in_arg(&a, &si, sizeof(si));
		out_arg(&a, &ao, sizeof(ao));
		ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(ao));
		ck_assert_uint_eq(ao.attr.size, 4);
		ck_assert_uint_eq(ao.attr.mode, 0100600);
	}
	/* FALLOCATE (extend), LSEEK (SEEK_HOLE) */
	{
		struct { uint64_t fh, offset, length; uint32_t mode, pad; } fa = {
			fh, 0, 8192, 0, 0 };
		struct { uint64_t fh, offset; uint32_t whence, pad; } ls = {
			fh, 0, SEEK_HOLE, 0 };
		uint64_t pos = 0;

		args_init(&a, FC_FALLOCATE, f.nodeid);
		in_arg(&a, &fa, sizeof(fa));
		ck_assert_int_eq(fc_conn_send(r.c, &a), 0);
		args_init(&a, FC_LSEEK, f.nodeid);
		in_arg(&a, &ls, sizeof(ls));
		out_arg(&a, &pos, sizeof(pos));
		ck_assert_int_eq(fc_conn_send(r.c, &a), 8);
		ck_assert_uint_eq(pos, 8192);
	}
	ck_assert_int_eq(r_getattr(r.c, f.nodeid, &ao), (int)sizeof(ao));
	ck_assert_uint_eq(ao.attr.size, 8192);
	/* flock (SETLK with FUSE_LK_FLOCK) */
	ck_assert_int_eq(r_lk(r.c, FC_SETLK, f.nodeid, fh, 5, F_WRLCK, FC_LK_FLOCK,
			      NULL), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASE, f.nodeid, fh), 0);
	/* SYMLINK + READLINK */
	{
		char target[] = "d/f";

		args_init(&a, FC_SYMLINK, FC_ROOT_ID);
		in_arg(&a, "sl", 3);
		in_arg(&a, target, sizeof(target));
		out_arg(&a, &sl, sizeof(sl));
		ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(sl));
		ck_assert_uint_eq(sl.attr.mode & S_IFMT, S_IFLNK);
		args_init(&a, FC_READLINK, sl.nodeid);
		a.flags = FC_ARGS_OUT_VAR;
		out_arg(&a, buf, sizeof(buf));
		ck_assert_int_eq(fc_conn_send(r.c, &a), 3);
		ck_assert_mem_eq(buf, "d/f", 3);
	}
	/* MKNOD (a fifo) */
	{
		struct fc_mknod_in mi = { .mode = S_IFIFO | 0600, .rdev = 0, .umask = 0 };

		args_init(&a, FC_MKNOD, d.nodeid);
		in_arg(&a, &mi, sizeof(mi));
		in_arg(&a, "fifo", 5);
		out_arg(&a, &nd, sizeof(nd));
		ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(nd));
		ck_assert_uint_eq(nd.attr.mode & S_IFMT, S_IFIFO);
	}
	/* LINK */
	{
		struct fc_link_in li = { .oldnodeid = f.nodeid };

		args_init(&a, FC_LINK, FC_ROOT_ID);
		in_arg(&a, &li, sizeof(li));
		in_arg(&a, "hard", 5);
		out_arg(&a, &ln, sizeof(ln));
		ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(ln));
		ck_assert_uint_eq(ln.nodeid, f.nodeid);
		ck_assert_uint_eq(ln.attr.nlink, 2);
	}
	/* RENAME d/f -> d/g */
	{
		struct fc_rename_in ri = { .newdir = d.nodeid };

		args_init(&a, FC_RENAME, d.nodeid);
		in_arg(&a, &ri, sizeof(ri));
		in_arg(&a, "f", 2);
		in_arg(&a, "g", 2);
		ck_assert_int_eq(fc_conn_send(r.c, &a), 0);
		ck_assert_int_eq(r_lookup(r.c, d.nodeid, "f", &nd), -ENOENT);
		ck_assert_int_eq(r_lookup(r.c, d.nodeid, "g", &nd), (int)sizeof(nd));
		ck_assert_uint_eq(nd.nodeid, f.nodeid);
	}
	/* OPENDIR + READDIR + RELEASEDIR + FSYNCDIR */
	ck_assert_int_eq(r_open(r.c, FC_OPENDIR, d.nodeid, O_RDONLY, &dfh), 16);
	n = r_read(r.c, d.nodeid, dfh, 0, buf, sizeof(buf), FC_READDIR);
	ck_assert_int_gt(n, 0);
	dirent_names(buf, (size_t)n, names, sizeof(names));
	ck_assert_str_eq(names, ".,..,fifo,g,");
	ck_assert_int_eq(r_fsync(r.c, FC_FSYNCDIR, d.nodeid, dfh), 0);
	ck_assert_int_eq(r_release(r.c, FC_RELEASEDIR, d.nodeid, dfh), 0);
	/* STATFS, ACCESS */
	args_init(&a, FC_STATFS, FC_ROOT_ID);
	out_arg(&a, &so, sizeof(so));
	ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(so));
	ck_assert_uint_eq(so.st.namelen, 255);
	{
		struct fc_access_in ai = { .mask = 4 };

		args_init(&a, FC_ACCESS, f.nodeid);
		in_arg(&a, &ai, sizeof(ai));
		ck_assert_int_eq(fc_conn_send(r.c, &a), 0);
	}
	/* xattrs: SETXATTR, GETXATTR (size, value), LISTXATTR, REMOVEXATTR */
	{
		struct fc_setxattr_in si = { .size = 3, .flags = 0 };
		struct fc_getxattr_in gi = { .size = 0 };

		args_init(&a, FC_SETXATTR, f.nodeid);
		in_arg(&a, &si, sizeof(si));
		in_arg(&a, "user.k", 7);
		in_arg(&a, "val", 3);
		ck_assert_int_eq(fc_conn_send(r.c, &a), 0);
		args_init(&a, FC_GETXATTR, f.nodeid);
		in_arg(&a, &gi, sizeof(gi));
		in_arg(&a, "user.k", 7);
		out_arg(&a, &gx, sizeof(gx));
		ck_assert_int_eq(fc_conn_send(r.c, &a), (int)sizeof(gx));
		ck_assert_uint_eq(gx.size, 3);
		gi.size = 64;
		args_init(&a, FC_GETXATTR, f.nodeid);
		a.flags = FC_ARGS_OUT_VAR;
		in_arg(&a, &gi, sizeof(gi));
		in_arg(&a, "user.k", 7);
		out_arg(&a, buf, 64);
		ck_assert_int_eq(fc_conn_send(r.c, &a), 3);
		ck_assert_mem_eq(buf, "val", 3);
		args_init(&a, FC_LISTXATTR, f.nodeid);
		a.flags = FC_ARGS_OUT_VAR;
		in_arg(&a, &gi, sizeof(gi));
		out_arg(&a, buf, 64);
		ck_assert_int_eq(fc_conn_send(r.c, &a), 7);
		ck_assert_str_eq((char *)buf, "user.k");
		ck_assert_int_eq(r_name_op(r.c, FC_REMOVEXATTR, f.nodeid, "user.k"), 0);
		ck_assert_int_eq(r_name_op(r.c, FC_REMOVEXATTR, f.nodeid, "user.k"),
				 -ENODATA);
	}
	/* UNLINK, RMDIR (not empty, then empty) */
	ck_assert_int_eq(r_name_op(r.c, FC_RMDIR, FC_ROOT_ID, "d"), -ENOTEMPTY);
	ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, d.nodeid, "g"), 0);
	ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, d.nodeid, "fifo"), 0);
	ck_assert_int_eq(r_name_op(r.c, FC_UNLINK, FC_ROOT_ID, "hard"), 0);
	ck_assert_int_eq(r_name_op(r.c, FC_RMDIR, FC_ROOT_ID, "d"), 0);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "d", &nd), -ENOENT);
	{
		/* BATCH_FORGET of everything looked up. */
		struct {
			struct fc_batch_forget_in h;
			struct fc_forget_one one[2];
		} bf = { { 2, 0 }, { { f.nodeid, 3 }, { d.nodeid, 1 } } };

		args_init(&a, FC_BATCH_FORGET, 0);
		a.flags = FC_ARGS_NOREPLY | FC_ARGS_NOCREDS;
		in_arg(&a, &bf, sizeof(bf));
		ck_assert_int_eq(fc_conn_send(r.c, &a), 0);
	}
	log = ref_stop(&r, logpath);
	ck_assert_uint_eq(count_lines(log, "op=BATCH_FORGET count=2"), 1);
	ck_assert_uint_eq(count_lines(log, "op=SYMLINK name=\"sl\" target=\"d/f\""), 1);
	ck_assert_uint_eq(count_lines(log, "op=RENAME name=\"f\" newname=\"g\""), 1);
	ck_assert_uint_eq(count_lines(log, "op=SETLK lk_flags=0x1"), 1);
	free(log);
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/*
 * A daemon that opens /dev/fuse and mounts itself (refdaemon -o
 * selfmount), under the shim and, for comparison, with libfuse mounting
 * (refdaemon without selfmount, which as root also opens /dev/fuse and
 * calls mount(2) itself) in every mode.
 */
START_TEST(test_ref_modes)
{
#ifdef FC_TEST_REFDAEMON
	struct run r;
	struct fc_entry_out e;
	char *logpath, *log, *hl, *line;
	int selfmount = _i == 3;
	int mode = selfmount ? FC_LAUNCH_PRELOAD : _i;

	if (!mode_available(mode))
		return;
	ref_start(&r, mode, selfmount ? "seed,selfmount" : "seed", &logpath);
	ck_assert_int_eq(r_lookup(r.c, FC_ROOT_ID, "hello", &e), (int)sizeof(e));
	ck_assert_uint_eq(e.attr.size, 13);
	log = ref_stop(&r, logpath);
	ck_assert_uint_eq(count_lines(log, "op=INIT"), 1);
	ck_assert_uint_eq(count_lines(log, "op=DESTROY"), 1);
	free(log);
	if (mode != FC_LAUNCH_DEVFD) {
		hl = read_file(r.helper_log);
		line = find_line(hl, "mount");
		ck_assert_msg(line != NULL, "helper log: '%s'", hl);
		free(line);
		if (mode == FC_LAUNCH_PRELOAD) {
			/* The shim saw the open, the mount and the umount. */
			line = find_line(hl, selfmount ? "type=fuse.refdaemon"
						       : "open /dev/fuse");
			ck_assert_msg(line != NULL, "shim log: '%s'", hl);
			free(line);
			line = find_line(hl, "umount");
			ck_assert_msg(line != NULL, "shim log: '%s'", hl);
			free(line);
		}
		free(hl);
	}
	run_free(&r);
#else
	NEED_REFDAEMON();
#endif
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------------ */

START_TEST(test_missing_command)
{
	const char *argv1[] = { "/nonexistent/daemon", FC_LAUNCH_PLACEHOLDER, NULL };
	const char *argv2[] = { "no-such-fuse-daemon-xyz", FC_LAUNCH_PLACEHOLDER,
				NULL };
	struct run r;

	ck_assert_int_eq(run_start(&r, FC_LAUNCH_DEVFD, argv1, NULL), -ENOENT);
	ck_assert_msg(strstr(r.res.message, "/nonexistent/daemon") != NULL,
		      "message: %s", r.res.message);
	ck_assert_ptr_null(r.d);
	run_free(&r);
	ck_assert_int_eq(run_start(&r, FC_LAUNCH_DEVFD, argv2, NULL), -ENOENT);
	ck_assert_msg(strstr(r.res.message, "not found in PATH") != NULL,
		      "message: %s", r.res.message);
	run_free(&r);
}
END_TEST

START_TEST(test_bad_config)
{
	const char *noph[] = { "/bin/true", NULL };
	const char *ok[] = { "/bin/true", FC_LAUNCH_PLACEHOLDER, NULL };
	struct fc_launch_config cfg;
	struct fc_launch_result res;
	struct fc_daemon *d = NULL;

	fc_launch_config_default(&cfg, fc_platform_posix(), noph);
	ck_assert_int_eq(fc_daemon_launch(&cfg, &d, &res), -EINVAL);
	ck_assert_msg(strstr(res.message, "%m") != NULL, "message: %s", res.message);
	fc_launch_config_default(&cfg, fc_platform_posix(), ok);
	cfg.mode = FC_LAUNCH_PRELOAD;
	cfg.preload_shim = "/nonexistent/fc-preload.so";
	ck_assert_int_eq(fc_daemon_launch(&cfg, &d, &res), -ENOENT);
	ck_assert_msg(strstr(res.message, "preload shim") != NULL, "message: %s",
		      res.message);
	cfg.version = 42;
	ck_assert_int_eq(fc_daemon_launch(&cfg, &d, &res), -EINVAL);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(fc_launch_mode_name(FC_LAUNCH_FUSERMOUNT), "fusermount");
}
END_TEST

/* A daemon that exits at once: ENOTCONN with its exit status. */
START_TEST(test_exits_at_start)
{
	const char *argv[] = { "/bin/sh", "-c", "exit 3", "sh",
			       FC_LAUNCH_PLACEHOLDER, NULL };
	struct run r;

	ck_assert_int_eq(run_start(&r, FC_LAUNCH_DEVFD, argv, NULL), -ENOTCONN);
	ck_assert(r.res.exited);
	ck_assert(WIFEXITED(r.res.status));
	ck_assert_int_eq(WEXITSTATUS(r.res.status), 3);
	ck_assert_msg(strstr(r.res.message, "exited with status 3") != NULL,
		      "message: %s", r.res.message);
	run_free(&r);
}
END_TEST

/* A daemon that never answers INIT: ETIMEDOUT within the bound. */
START_TEST(test_init_timeout)
{
	const char *argv[] = { "/bin/sh", "-c", "exec sleep 60", "sh",
			       FC_LAUNCH_PLACEHOLDER, NULL };
	struct fc_launch_config cfg;
	struct timespec t0, t1;
	struct run r;
	double secs;

	fc_launch_config_default(&cfg, fc_platform_posix(), argv);
	cfg.init_timeout_ms = 300;
	cfg.term_grace_ms = 100;
	cfg.kill_grace_ms = 2000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(run_start(&r, FC_LAUNCH_DEVFD, argv, &cfg), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs >= 0.25 && secs < 5.0, "took %.2f s", secs);
	ck_assert_msg(strstr(r.res.message, "did not answer FUSE_INIT within 300 ms"),
		      "message: %s", r.res.message);
	/* sleep ignores the closed socket: it was ended with SIGTERM. */
	ck_assert(r.res.exited);
	ck_assert(WIFSIGNALED(r.res.status));
	ck_assert_int_eq(WTERMSIG(r.res.status), SIGTERM);
	run_free(&r);
}
END_TEST

static Suite *launch_suite(void)
{
	Suite *s = suite_create("launch");
	TCase *tc;

	tc = tcase_create("stock");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_hello_ll, 0, 3);
	tcase_add_loop_test(tc, test_passthrough_ll, 0, 6);
	tcase_add_test(tc, test_passthrough_fh);
	tcase_add_test(tc, test_clamp_small_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("refdaemon");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ref_log);
	tcase_add_test(tc, test_ref_fh0);
	tcase_add_test(tc, test_ref_nosys);
	tcase_add_test(tc, test_ref_fail_wb_write);
	tcase_add_test(tc, test_ref_reuse_ino);
	tcase_add_test(tc, test_ref_submount);
	tcase_add_test(tc, test_ref_ops);
	tcase_add_loop_test(tc, test_ref_modes, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_missing_command);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_exits_at_start);
	tcase_add_test(tc, test_init_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	snprintf(tmpbase, sizeof(tmpbase), "%s/fusecore-test-launch-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpbase)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(launch_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_rf(tmpbase);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
