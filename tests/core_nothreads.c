/*
 * The protocol core on a host without threads (lwIP's NO_SYS idea): the
 * platform's locks are no-ops, nothing ever sleeps, and the connection
 * runs the in-process mock daemon whenever it waits.  This program is
 * linked from the core's objects alone, without pthreads, which proves the
 * core needs nothing else from its host.  Exit status 0 on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/conn.h"
#include "fusecore/mock.h"

static char dummy_lock;
static uint64_t ticks;

static void *nt_alloc(void *ctx, size_t n) { (void)ctx; return malloc(n ? n : 1); }
static void nt_free(void *ctx, void *p) { (void)ctx; free(p); }
static struct fc_mutex *nt_mutex_new(void *ctx) { (void)ctx; return (struct fc_mutex *)&dummy_lock; }
static void nt_mutex_free(void *ctx, struct fc_mutex *m) { (void)ctx; (void)m; }
static void nt_mutex_op(void *ctx, struct fc_mutex *m) { (void)ctx; (void)m; }
static struct fc_cond *nt_cond_new(void *ctx) { (void)ctx; return (struct fc_cond *)&dummy_lock; }
static void nt_cond_free(void *ctx, struct fc_cond *c) { (void)ctx; (void)c; }
static void nt_cond_broadcast(void *ctx, struct fc_cond *c) { (void)ctx; (void)c; }
static uint64_t nt_now(void *ctx) { (void)ctx; return ++ticks; }

/* Nobody could ever signal: a wait here is a bug in the core. */
static void nt_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			 const char *what)
{
	(void)ctx; (void)c; (void)m;
	fprintf(stderr, "core_nothreads: the core slept on '%s' without threads\n", what);
	abort();
}

static const struct fc_platform nothreads = {
	.version = FC_PLATFORM_VERSION,
	.alloc = nt_alloc, .free = nt_free,
	.mutex_new = nt_mutex_new, .mutex_free = nt_mutex_free,
	.mutex_lock = nt_mutex_op, .mutex_unlock = nt_mutex_op,
	.cond_new = nt_cond_new, .cond_free = nt_cond_free,
	.cond_wait = nt_cond_wait, .cond_broadcast = nt_cond_broadcast,
	.now_ns = nt_now,
};

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "core_nothreads: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	return 1; } } while (0)

int main(void)
{
	struct fc_mock *m;
	struct fc_transport *t;
	struct fc_conn_config cfg;
	struct fc_conn *c;
	struct fc_init_out io;
	struct fc_attr_out attr, got;
	struct fc_getattr_in gin;
	struct fc_args a;
	struct fc_mock_exp *e;

	CHECK(fc_mock_new(&nothreads, &m) == 0);
	CHECK(fc_mock_new_transport(m, FC_TRANSPORT_FUSE_DEV, 1, &t) == 0);
	fc_conn_config_default(&cfg, &nothreads, t);
	CHECK(fc_conn_new(&cfg, &c) == 0);

	fc_mock_init_out(&io, FC_ASYNC_READ | FC_MAX_PAGES | FC_INIT_EXT);
	io.max_pages = 256;
	CHECK(fc_mock_expect_init(m, &io) != NULL);
	CHECK(fc_conn_init(c) == 0);
	CHECK(fc_conn_info(c)->max_pages == 256);
	CHECK(fc_conn_info(c)->flags == (FC_ASYNC_READ | FC_MAX_PAGES | FC_INIT_EXT));

	/* A synchronous round trip, answered by the mock from inside the wait. */
	fc_mock_attr_out(&attr, 1, 040755);
	e = fc_mock_expect(m, FC_GETATTR, 1);
	CHECK(fc_mock_exp_reply(e, &attr, sizeof(attr)) == 0);
	memset(&a, 0, sizeof(a));
	memset(&gin, 0, sizeof(gin));
	a.opcode = FC_GETATTR;
	a.nodeid = 1;
	a.in_numargs = 1;
	a.in[0].value = &gin;
	a.in[0].size = sizeof(gin);
	a.out_numargs = 1;
	a.out[0].value = &got;
	a.out[0].size = sizeof(got);
	CHECK(fc_conn_send(c, &a) == (int)sizeof(got));
	CHECK(got.attr.mode == 040755);

	/* A reply held back forever: the thread-free wait gives up, not hangs. */
	e = fc_mock_expect(m, FC_GETATTR, 1);
	fc_mock_exp_hold(e);
	CHECK(fc_conn_send(c, &a) == -EDEADLK);

	/* The daemon goes away: ENOTCONN from then on. */
	fc_mock_disconnect(m);
	CHECK(fc_conn_send(c, &a) == -ENOTCONN);

	fc_conn_free(c);
	fc_mock_free(m);
	printf("core_nothreads: INIT, round trip, stall and disconnect without threads: ok\n");
	return 0;
}
