/*
 * Tests of the connection core (fusecore/conn.h) against the mock daemon.
 *
 * Most tests run polled: the mock is the memory transport's pump, so a
 * whole exchange happens on the test's thread and is deterministic.  Tests
 * that need a caller blocked in the connection (held replies, interrupts,
 * abort with waiters) use real threads and a daemon thread; they never
 * sleep, but wait on facts: the observing platform below counts the tasks
 * blocked in the connection per "what", and the mock counts what it has
 * received, held and answered.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"
#include "obs_platform.h"

#define S_IFREG_ 0100000u
#define S_IFDIR_ 0040000u

/* ---- Test environment ------------------------------------------------------ */

struct env {
	struct obs_platform tp;
	struct fc_mock *m;
	struct fc_transport *t;
	struct fc_conn *c;
	int threaded;
	pthread_t daemon;
	/* Notifications that reached the handler. */
	unsigned notified;
	uint32_t last_notify_code;
};

static int env_notify(void *ctx, uint32_t code, const void *payload,
		      size_t len)
{
	struct env *e = ctx;

	(void)payload;
	(void)len;
	e->notified++;
	e->last_notify_code = code;
	return 0;
}

static void *daemon_main(void *arg)
{
	fc_mock_serve(arg);
	return NULL;
}

/* Mock, memory transport of @kind and a connection; INIT not sent yet. */
static void env_setup(struct env *e, enum fc_transport_kind kind, int threaded)
{
	struct fc_conn_config cfg;

	memset(e, 0, sizeof(*e));
	obs_platform_init(&e->tp);
	e->threaded = threaded;
	ck_assert_int_eq(fc_mock_new(&e->tp.plat, &e->m), 0);
	ck_assert_int_eq(fc_mock_new_transport(e->m, kind, !threaded, &e->t),
			 0);
	fc_conn_config_default(&cfg, &e->tp.plat, e->t);
	cfg.notify = env_notify;
	cfg.notify_ctx = e;
	ck_assert_int_eq(fc_conn_new(&cfg, &e->c), 0);
	if (threaded)
		ck_assert_int_eq(pthread_create(&e->daemon, NULL, daemon_main,
						e->m), 0);
}

/* Stop the daemon, free everything, and check that nothing leaked. */
static void env_teardown(struct env *e)
{
	if (e->threaded) {
		fc_mock_disconnect(e->m);
		pthread_join(e->daemon, NULL);
	}
	fc_conn_free(e->c);
	fc_mock_free(e->m);
	ck_assert_int_eq(e->tp.live_allocs, 0);
	obs_platform_destroy(&e->tp);
}

/* INIT with @o as the reply; returns fc_conn_init()'s result. */
static int env_init_with(struct env *e, const struct fc_init_out *o)
{
	ck_assert_ptr_nonnull(fc_mock_expect_init(e->m, o));
	return fc_conn_init(e->c);
}

/* INIT granting everything, with the given background limits. */
static void env_init_bg(struct env *e, uint16_t max_bg, uint16_t congestion)
{
	struct fc_init_out o;

	fc_mock_init_out(&o, ~0ULL);
	o.max_background = max_bg;
	o.congestion_threshold = congestion;
	o.max_stack_depth = 1;
	ck_assert_int_eq(env_init_with(e, &o), 0);
	ck_assert_int_eq(fc_conn_state(e->c), FC_CONN_READY);
}

static void env_init(struct env *e)
{
	env_init_bg(e, 0, 0);
}

/* ---- Requests ---------------------------------------------------------------- */

struct getattr_call {
	struct fc_args args;
	struct fc_getattr_in in;
	struct fc_attr_out out;
};

static void getattr_prepare(struct getattr_call *g, uint64_t nodeid,
			    const void *task)
{
	memset(g, 0, sizeof(*g));
	g->args.opcode = FC_GETATTR;
	g->args.nodeid = nodeid;
	g->args.creds.uid = 1000;
	g->args.creds.gid = 100;
	g->args.creds.pid = 4242;
	g->args.task = task;
	g->args.in_numargs = 1;
	g->args.in[0].value = &g->in;
	g->args.in[0].size = sizeof(g->in);
	g->args.out_numargs = 1;
	g->args.out[0].value = &g->out;
	g->args.out[0].size = sizeof(g->out);
}

static int do_getattr(struct env *e, uint64_t nodeid)
{
	struct getattr_call g;

	getattr_prepare(&g, nodeid, NULL);
	return fc_conn_send(e->c, &g.args);
}

/* Expect GETATTR of @nodeid, answered with attributes of that inode. */
static struct fc_mock_exp *expect_getattr(struct env *e, uint64_t nodeid)
{
	struct fc_mock_exp *exp = fc_mock_expect(e->m, FC_GETATTR, nodeid);
	struct fc_attr_out attr;

	ck_assert_ptr_nonnull(exp);
	fc_mock_attr_out(&attr, nodeid, S_IFREG_ | 0644);
	ck_assert_int_eq(fc_mock_exp_reply(exp, &attr, sizeof(attr)), 0);
	return exp;
}

/* A full GETATTR round trip works: the connection is still usable. */
static void assert_roundtrip(struct env *e)
{
	struct fc_mock_exp *exp = expect_getattr(e, 777);
	struct getattr_call g;

	getattr_prepare(&g, 777, NULL);
	ck_assert_int_eq(fc_conn_send(e->c, &g.args),
			 (int)sizeof(struct fc_attr_out));
	ck_assert_uint_eq(g.out.attr.ino, 777);
	ck_assert_uint_eq(fc_mock_exp_used(exp), 1);
	/* Threaded: the caller may wake before the daemon notes the result. */
	ck_assert_int_eq(fc_mock_wait_answered(exp, 1), 0);
	ck_assert_int_eq(fc_mock_exp_result(exp, -1), 0);
}

/* The flags of the INIT request the mock recorded first. */
static uint64_t recorded_init_flags(struct env *e, struct fc_init_in *in_out)
{
	const struct fc_mock_req *r = fc_mock_recorded(e->m, 0);
	struct fc_init_in in;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->hdr.opcode, FC_INIT);
	ck_assert_uint_eq(r->body_len, sizeof(in));
	memcpy(&in, r->body, sizeof(in));
	if (in_out)
		*in_out = in;
	return (uint64_t)in.flags | (uint64_t)in.flags2 << 32;
}

/* ---- INIT: the request profile ------------------------------------------------ */

static void check_init_request(enum fc_transport_kind kind)
{
	struct env e;
	const struct fc_mock_req *r;
	struct fc_init_in in;
	uint64_t flags;
	unsigned i;

	env_setup(&e, kind, 0);
	env_init(&e);

	ck_assert_uint_eq(fc_mock_nrecorded(e.m), 1);
	r = fc_mock_recorded(e.m, 0);
	/* fuse_send_init: first message, unique 2, nodeid 0, no credentials. */
	ck_assert_uint_eq(r->len, sizeof(struct fc_in_header) + sizeof(in));
	ck_assert_uint_eq(r->hdr.len, r->len);
	ck_assert_uint_eq(r->hdr.unique, 2);
	ck_assert_uint_eq(r->hdr.nodeid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->hdr.total_extlen, 0);

	flags = recorded_init_flags(&e, &in);
	ck_assert_uint_eq(in.major, 7);
	ck_assert_uint_eq(in.minor, 45);
	ck_assert_uint_eq(in.max_readahead, 131072);
	for (i = 0; i < 11; i++)
		ck_assert_uint_eq(in.unused[i], 0);

	ck_assert_uint_eq(flags, fc_conn_info(e.c)->requested);
	ck_assert(flags & FC_INIT_EXT);
	ck_assert(flags & FC_NO_OPEN_SUPPORT);
	ck_assert(flags & FC_NO_OPENDIR_SUPPORT);
	/* Requested by default since the page cache owns size and mtime. */
	ck_assert(flags & FC_WRITEBACK_CACHE);
	ck_assert(!(flags & FC_FILE_OPS));
	ck_assert(!(flags & FC_INIT_RESERVED));
	/* Never more than what the library implements. */
	ck_assert_uint_eq(flags & ~(fc_init_supported_flags() | FC_INIT_EXT), 0);
	/* virtio_fs_get_tree sets auto_submounts; /dev/fuse never asks. */
	if (kind == FC_TRANSPORT_VIRTIO_FS)
		ck_assert(flags & FC_SUBMOUNTS);
	else
		ck_assert(!(flags & FC_SUBMOUNTS));
	env_teardown(&e);
}

START_TEST(test_init_request_fuse_dev)
{
	check_init_request(FC_TRANSPORT_FUSE_DEV);
}
END_TEST

START_TEST(test_init_request_virtio_fs)
{
	check_init_request(FC_TRANSPORT_VIRTIO_FS);
}
END_TEST

START_TEST(test_init_profile_default)
{
	struct fc_init_profile fuse, vfs;

	fc_init_profile_default(&fuse, FC_TRANSPORT_FUSE_DEV);
	fc_init_profile_default(&vfs, FC_TRANSPORT_VIRTIO_FS);
	ck_assert(!(fuse.flags & FC_SUBMOUNTS));
	ck_assert(vfs.flags & FC_SUBMOUNTS);
	ck_assert(fuse.flags & FC_WRITEBACK_CACHE);
	ck_assert(vfs.flags & FC_WRITEBACK_CACHE);
	ck_assert((fuse.flags | FC_SUBMOUNTS) == vfs.flags);
	ck_assert_uint_eq(fuse.minor, FC_KERNEL_MINOR_VERSION);
	ck_assert_uint_eq(fuse.max_pages_limit, 256);
}
END_TEST

/* ---- INIT: requested ∩ granted ------------------------------------------------ */

/*
 * What Linux enables for @granted when @requested was asked, at a current
 * minor: the intersection, less the bits process_init_reply does not act
 * on in that combination.
 */
static uint64_t expected_enabled(uint64_t requested, uint64_t granted)
{
	uint64_t flags = requested & granted;

	/* AUTO_INVAL_DATA wins over EXPLICIT_INVAL_DATA. */
	if (flags & FC_AUTO_INVAL_DATA)
		flags &= ~FC_EXPLICIT_INVAL_DATA;
	/* READDIRPLUS_AUTO means nothing without DO_READDIRPLUS. */
	if (!(flags & FC_DO_READDIRPLUS))
		flags &= ~FC_READDIRPLUS_AUTO;
	return flags;
}

static void check_grant(enum fc_transport_kind kind, uint64_t granted)
{
	struct env e;
	struct fc_init_out o;
	const struct fc_conn_info *ci;
	uint64_t want;

	env_setup(&e, kind, 0);
	fc_mock_init_out(&o, 0);
	o.flags = (uint32_t)granted;
	o.flags2 = (uint32_t)(granted >> 32);
	o.max_stack_depth = 1;
	ck_assert_int_eq(env_init_with(&e, &o), 0);
	ci = fc_conn_info(e.c);

	want = expected_enabled(ci->requested, granted);
	if (!(granted & FC_INIT_EXT))
		want &= 0xffffffffULL;
	ck_assert_msg(ci->flags == want,
		      "granted %#llx: enabled %#llx, expected %#llx",
		      (unsigned long long)granted,
		      (unsigned long long)ci->flags,
		      (unsigned long long)want);
	ck_assert_uint_eq(ci->granted, (granted & FC_INIT_EXT) ? granted :
				       (granted & 0xffffffffULL));
	ck_assert_int_eq(ci->posix_locks, !!(want & FC_POSIX_LOCKS));
	ck_assert_int_eq(ci->flock_locks, !!(want & FC_FLOCK_LOCKS));
	env_teardown(&e);
}

START_TEST(test_init_grant_everything)
{
	check_grant(FC_TRANSPORT_FUSE_DEV, ~0ULL);
	check_grant(FC_TRANSPORT_VIRTIO_FS, ~0ULL);
}
END_TEST

/* One bit at a time (bits above 31 need INIT_EXT to count). */
START_TEST(test_init_grant_each_bit)
{
	uint64_t bit = 1ULL << _i;

	check_grant(FC_TRANSPORT_FUSE_DEV, _i >= 32 ? bit | FC_INIT_EXT : bit);
	check_grant(FC_TRANSPORT_VIRTIO_FS, _i >= 32 ? bit | FC_INIT_EXT : bit);
}
END_TEST

/* process_init_reply: flags2 only counts when the reply has INIT_EXT. */
START_TEST(test_init_flags2_needs_init_ext)
{
	check_grant(FC_TRANSPORT_FUSE_DEV, ~0ULL & ~FC_INIT_EXT);
}
END_TEST

/* ---- INIT: old daemons --------------------------------------------------------- */

/* INIT answered by a daemon of @minor with @len bytes of @o. */
static void env_init_minor(struct env *e, struct fc_init_out *o,
			   uint32_t minor, size_t len)
{
	struct fc_mock_exp *exp = fc_mock_expect(e->m, FC_INIT,
						 FC_MOCK_ANY_NODEID);

	o->minor = minor;
	ck_assert_int_eq(fc_mock_exp_reply(exp, o, len), 0);
	ck_assert_int_eq(fc_conn_init(e->c), 0);
	ck_assert_int_eq(fc_mock_exp_result(exp, 0), 0);
	ck_assert_uint_eq(fc_conn_info(e->c)->minor, minor);
}

START_TEST(test_init_minor4)
{
	struct env e;
	struct fc_init_out o;

	/* A 7.4 daemon: the 8-byte reply libfuse sends below minor 5. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, 0);
	env_init_minor(&e, &o, 4, FC_COMPAT_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_write, 4096);
	ck_assert_uint_eq(fc_conn_info(e.c)->flags, 0);
	env_teardown(&e);

	/* Even if it claims more: max_write is 4096 below minor 5. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_write = 1 << 20;
	env_init_minor(&e, &o, 4, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_write, 4096);
	ck_assert_uint_eq(fc_conn_info(e.c)->flags, 0);
	ck_assert_int_eq(fc_conn_info(e.c)->posix_locks, 0);
	ck_assert_int_eq(fc_conn_info(e.c)->flock_locks, 0);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_minor5_no_flags)
{
	struct env e;
	struct fc_init_out o;

	/* Below minor 6 no reply flag takes effect; max_write does from 5. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_write = 65536;
	env_init_minor(&e, &o, 5, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->flags, 0);
	ck_assert_int_eq(fc_conn_info(e.c)->posix_locks, 0);
	ck_assert_int_eq(fc_conn_info(e.c)->flock_locks, 0);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_write, 65536);
	env_teardown(&e);

	/* Minor 6 is the first whose flags count. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, FC_POSIX_LOCKS | FC_ASYNC_READ);
	env_init_minor(&e, &o, 6, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->flags,
			  FC_POSIX_LOCKS | FC_ASYNC_READ);
	ck_assert_int_eq(fc_conn_info(e.c)->posix_locks, 1);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_minor12_max_background_ignored)
{
	struct env e;
	struct fc_init_out o;

	/* process_init_limits: minor < 13 keeps the defaults 12 / 9. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, 0);
	o.max_background = 2;
	o.congestion_threshold = 1;
	env_init_minor(&e, &o, 12, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_background, 12);
	ck_assert_uint_eq(fc_conn_info(e.c)->congestion_threshold, 9);
	env_teardown(&e);

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, 0);
	o.max_background = 2;
	o.congestion_threshold = 1;
	env_init_minor(&e, &o, 13, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_background, 2);
	ck_assert_uint_eq(fc_conn_info(e.c)->congestion_threshold, 1);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_minor15_no_batch_forget)
{
	struct env e;
	struct fc_init_out o;

	/*
	 * fuse_read_forget sends BATCH_FORGET only from minor 16.  The
	 * connection exposes that through info.minor: what fc_conn_info()
	 * reports is what the forget path has to test.
	 */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	env_init_minor(&e, &o, 15, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_uint_lt(fc_conn_info(e.c)->minor, 16);
	ck_assert_int_eq(fc_conn_state(e.c), FC_CONN_READY);
	env_teardown(&e);
}
END_TEST

/* Locks enabled when a daemon of @minor grants @granted. */
static void check_locks(uint32_t minor, uint64_t granted, int posix, int flock)
{
	struct env e;
	struct fc_init_out o;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, granted);
	env_init_minor(&e, &o, minor, FC_COMPAT_22_INIT_OUT_SIZE);
	ck_assert_int_eq(fc_conn_info(e.c)->posix_locks, posix);
	ck_assert_int_eq(fc_conn_info(e.c)->flock_locks, flock);
	env_teardown(&e);
}

START_TEST(test_init_minor16_flock_rule)
{
	/* Before 17, flock follows POSIX_LOCKS (no_flock = !POSIX_LOCKS). */
	check_locks(16, FC_POSIX_LOCKS, 1, 1);
	check_locks(16, FC_FLOCK_LOCKS, 0, 0);
	check_locks(16, 0, 0, 0);
	/* From 17 on FLOCK_LOCKS decides. */
	check_locks(17, FC_FLOCK_LOCKS, 0, 1);
	check_locks(17, FC_POSIX_LOCKS, 1, 0);
	check_locks(17, FC_POSIX_LOCKS | FC_FLOCK_LOCKS, 1, 1);
}
END_TEST

/* ---- INIT: refused and malformed ------------------------------------------------ */

/* After a failed INIT nothing reaches the daemon: ECONNREFUSED. */
static void end_count(struct fc_conn *c, struct fc_args *a, int error,
		      void *ctx)
{
	(void)c;
	(void)a;
	(void)error;
	++*(int *)ctx;
}

static void assert_refused_after(struct env *e)
{
	unsigned before = fc_mock_nrecorded(e->m);
	struct getattr_call g;
	int ends = 0;

	ck_assert_int_eq(fc_conn_state(e->c), FC_CONN_FAILED);
	ck_assert_int_eq(do_getattr(e, 1), -ECONNREFUSED);
	getattr_prepare(&g, 1, NULL);
	ck_assert_int_eq(fc_conn_send_bg(e->c, &g.args, end_count, &ends),
			 -ECONNREFUSED);
	ck_assert_int_eq(ends, 0);
	ck_assert_uint_eq(fc_mock_nrecorded(e->m), before);
}

START_TEST(test_init_error_reply)
{
	struct env e;
	struct fc_mock_exp *exp;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	exp = fc_mock_expect(e.m, FC_INIT, FC_MOCK_ANY_NODEID);
	fc_mock_exp_error(exp, -EPROTO);
	ck_assert_int_eq(fc_conn_init(e.c), -ECONNREFUSED);
	ck_assert_int_eq(fc_mock_exp_result(exp, 0), 0);
	assert_refused_after(&e);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_major8)
{
	struct env e;
	struct fc_init_out o;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.major = 8;
	ck_assert_int_eq(env_init_with(&e, &o), -ECONNREFUSED);
	assert_refused_after(&e);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_short_reply_accepted)
{
	struct env e;
	struct fc_init_out o;
	const struct fc_conn_info *ci;

	/*
	 * The 24-byte reply of a 7.22 daemon (FUSE_COMPAT_22_INIT_OUT_SIZE).
	 * Everything past byte 24 is set in the source buffer but not sent:
	 * the connection must read it as zero.
	 */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, FC_ASYNC_READ | FC_POSIX_LOCKS | FC_INIT_EXT);
	o.max_readahead = 65536;
	o.max_background = 20;
	o.congestion_threshold = 15;
	o.max_write = 65536;
	o.time_gran = 1000;
	o.max_pages = 100;
	o.flags2 = 0xffffffffu;
	env_init_minor(&e, &o, 22, FC_COMPAT_22_INIT_OUT_SIZE);
	ci = fc_conn_info(e.c);
	ck_assert_uint_eq(ci->flags,
			  FC_ASYNC_READ | FC_POSIX_LOCKS | FC_INIT_EXT);
	ck_assert_uint_eq(ci->max_readahead, 65536);
	ck_assert_uint_eq(ci->max_background, 20);
	ck_assert_uint_eq(ci->congestion_threshold, 15);
	ck_assert_uint_eq(ci->max_write, 65536);
	ck_assert_uint_eq(ci->time_gran, 1);  /* zero tail: ignored */
	ck_assert_uint_eq(ci->max_pages, 32); /* no MAX_PAGES */
	ck_assert_uint_eq(ci->granted >> 32, 0);
	assert_roundtrip(&e);
	env_teardown(&e);
}
END_TEST

START_TEST(test_init_oversized_reply)
{
	static const size_t sizes[] = { sizeof(struct fc_init_out) + 1,
					sizeof(struct fc_init_out) + 8 };
	unsigned char big[sizeof(struct fc_init_out) + 8];
	struct fc_conn_stats st;
	struct fc_init_out o;
	struct fc_mock_exp *exp;
	struct env e;

	fc_mock_init_out(&o, ~0ULL);
	memset(big, 0, sizeof(big));
	memcpy(big, &o, sizeof(o));

	/* fuse_copy_out_args: -EINVAL to the write, -EIO to INIT: it failed. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	exp = fc_mock_expect(e.m, FC_INIT, FC_MOCK_ANY_NODEID);
	ck_assert_int_eq(fc_mock_exp_reply(exp, big, sizes[_i]), 0);
	ck_assert_int_eq(fc_conn_init(e.c), -EIO);
	ck_assert_int_eq(fc_mock_exp_result(exp, 0), -EINVAL);
	fc_conn_stats(e.c, &st);
	ck_assert_uint_eq(st.bad_size, 1);
	assert_refused_after(&e);
	env_teardown(&e);
}
END_TEST

/* ---- INIT: clamping --------------------------------------------------------------- */

/* Negotiate with @o (minor 45, all flags unless @o says otherwise). */
static void env_init_reply(struct env *e, struct fc_init_out *o)
{
	ck_assert_int_eq(env_init_with(e, o), 0);
}

static uint32_t max_pages_for(uint64_t flags, uint16_t reply_pages)
{
	struct env e;
	struct fc_init_out o;
	uint32_t pages;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, flags);
	o.max_pages = reply_pages;
	env_init_reply(&e, &o);
	pages = fc_conn_info(e.c)->max_pages;
	/* Longer names once requests may span more than a page. */
	ck_assert_uint_eq(fc_conn_info(e.c)->name_max,
			  pages > 1 ? FC_NAME_MAX : FC_NAME_LOW_MAX);
	env_teardown(&e);
	return pages;
}

START_TEST(test_init_clamp_max_pages)
{
	ck_assert_uint_eq(max_pages_for(FC_MAX_PAGES, 0), 1);
	ck_assert_uint_eq(max_pages_for(FC_MAX_PAGES, 1), 1);
	ck_assert_uint_eq(max_pages_for(FC_MAX_PAGES, 64), 64);
	ck_assert_uint_eq(max_pages_for(FC_MAX_PAGES, 256), 256);
	ck_assert_uint_eq(max_pages_for(FC_MAX_PAGES, 1000), 256);
	ck_assert_uint_eq(max_pages_for(0, 100), 32);
}
END_TEST

static uint32_t max_write_for(uint32_t reply)
{
	struct env e;
	struct fc_init_out o;
	uint32_t v;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_write = reply;
	env_init_reply(&e, &o);
	v = fc_conn_info(e.c)->max_write;
	env_teardown(&e);
	return v;
}

START_TEST(test_init_clamp_max_write)
{
	ck_assert_uint_eq(max_write_for(0), 4096);
	ck_assert_uint_eq(max_write_for(100), 4096);
	ck_assert_uint_eq(max_write_for(4096), 4096);
	ck_assert_uint_eq(max_write_for(1 << 20), 1 << 20);
}
END_TEST

static uint32_t readahead_for(uint32_t reply)
{
	struct env e;
	struct fc_init_out o;
	uint32_t v;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_readahead = reply;
	env_init_reply(&e, &o);
	v = fc_conn_info(e.c)->max_readahead;
	env_teardown(&e);
	return v;
}

START_TEST(test_init_readahead_only_shrinks)
{
	/* The default profile offers 131072. */
	ck_assert_uint_eq(readahead_for(1 << 20), 131072);
	ck_assert_uint_eq(readahead_for(131072), 131072);
	ck_assert_uint_eq(readahead_for(4096), 4096);
	ck_assert_uint_eq(readahead_for(0), 0);
}
END_TEST

static uint32_t time_gran_for(uint32_t reply)
{
	struct env e;
	struct fc_init_out o;
	uint32_t v;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.time_gran = reply;
	env_init_reply(&e, &o);
	v = fc_conn_info(e.c)->time_gran;
	env_teardown(&e);
	return v;
}

START_TEST(test_init_time_gran)
{
	ck_assert_uint_eq(time_gran_for(0), 1);
	ck_assert_uint_eq(time_gran_for(2000000000u), 1);
	ck_assert_uint_eq(time_gran_for(1000000001u), 1);
	ck_assert_uint_eq(time_gran_for(1000000000u), 1000000000u);
	ck_assert_uint_eq(time_gran_for(1000), 1000);
	ck_assert_uint_eq(time_gran_for(1), 1);
}
END_TEST

START_TEST(test_init_max_background_zero)
{
	struct env e;
	struct fc_init_out o;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_background = 0;
	o.congestion_threshold = 0;
	env_init_reply(&e, &o);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_background, 12);
	ck_assert_uint_eq(fc_conn_info(e.c)->congestion_threshold, 9);
	env_teardown(&e);

	/* Each limit on its own: only a non-zero value replaces the default. */
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	fc_mock_init_out(&o, ~0ULL);
	o.max_background = 0;
	o.congestion_threshold = 5;
	env_init_reply(&e, &o);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_background, 12);
	ck_assert_uint_eq(fc_conn_info(e.c)->congestion_threshold, 5);
	env_teardown(&e);
}
END_TEST

/* ---- Malformed replies --------------------------------------------------------- */

/* The rejection counters, each checked to move only when it should. */
static const struct {
	const char *name;
	size_t off;
} bad_counters[] = {
	{ "bad_short", offsetof(struct fc_conn_stats, bad_short) },
	{ "bad_len", offsetof(struct fc_conn_stats, bad_len) },
	{ "bad_error", offsetof(struct fc_conn_stats, bad_error) },
	{ "bad_unique", offsetof(struct fc_conn_stats, bad_unique) },
	{ "bad_size", offsetof(struct fc_conn_stats, bad_size) },
	{ "bad_err_payload", offsetof(struct fc_conn_stats, bad_err_payload) },
	{ "bad_interrupt", offsetof(struct fc_conn_stats, bad_interrupt) },
	{ "bad_notify", offsetof(struct fc_conn_stats, bad_notify) },
	{ "bad_content", offsetof(struct fc_conn_stats, bad_content) },
};

static uint64_t stat_at(const struct fc_conn_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

/* Since @before, counter @off went up by @n and no other rejection counter moved. */
static void assert_bad_delta(struct env *e, const struct fc_conn_stats *before,
			     size_t off, uint64_t n)
{
	struct fc_conn_stats after;
	unsigned i;

	fc_conn_stats(e->c, &after);
	for (i = 0; i < sizeof(bad_counters) / sizeof(bad_counters[0]); i++) {
		uint64_t delta = stat_at(&after, bad_counters[i].off) -
				 stat_at(before, bad_counters[i].off);

		ck_assert_msg(delta == (bad_counters[i].off == off ? n : 0),
			      "%s moved by %llu", bad_counters[i].name,
			      (unsigned long long)delta);
	}
}

enum bad_reply {
	BAD_SHORT,
	BAD_LEN_GREATER,
	BAD_LEN_LESS,
	BAD_ERROR_POSITIVE,
	BAD_ERROR_TOO_LOW,
	BAD_UNIQUE_UNKNOWN,
	BAD_UNIQUE_COMPLETED,
	BAD_FIXED_TOO_SHORT,
	BAD_FIXED_TOO_LONG,
	BAD_VAR_TOO_LONG,
	BAD_ERROR_WITH_PAYLOAD,
};

#define VAR_SIZE 100

static const struct bad_case {
	const char *name;
	enum bad_reply kind;
	/* What the caller gets. */
	int result;
	/* The write results, in order (0-terminated after the last). */
	int writes[2];
	unsigned nwrites;
	size_t counter;
} bad_cases[] = {
	/* No header to read: nothing to fail, a later good reply completes it. */
	{ "shorter than the header", BAD_SHORT, (int)sizeof(struct fc_attr_out),
	  { -EINVAL, 0 }, 2, offsetof(struct fc_conn_stats, bad_short) },
	{ "header len > received", BAD_LEN_GREATER, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_len) },
	{ "header len < received", BAD_LEN_LESS, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_len) },
	{ "error > 0", BAD_ERROR_POSITIVE, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_error) },
	{ "error <= -512", BAD_ERROR_TOO_LOW, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_error) },
	/* Matches no request: ENOENT, and the real reply still works. */
	{ "unknown unique", BAD_UNIQUE_UNKNOWN, (int)sizeof(struct fc_attr_out),
	  { -ENOENT, 0 }, 2, offsetof(struct fc_conn_stats, bad_unique) },
	{ "unique already completed", BAD_UNIQUE_COMPLETED,
	  (int)sizeof(struct fc_attr_out), { 0, -ENOENT }, 2,
	  offsetof(struct fc_conn_stats, bad_unique) },
	{ "fixed-size reply too short", BAD_FIXED_TOO_SHORT, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_size) },
	{ "fixed-size reply too long", BAD_FIXED_TOO_LONG, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_size) },
	{ "variable reply longer than asked", BAD_VAR_TOO_LONG, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_size) },
	{ "error reply with payload", BAD_ERROR_WITH_PAYLOAD, -EIO,
	  { -EINVAL }, 1, offsetof(struct fc_conn_stats, bad_err_payload) },
};

static void bad_respond(struct fc_mock *m, struct fc_mock_exp *exp,
			const struct fc_mock_req *r, void *ctx)
{
	const struct bad_case *bc = ctx;
	unsigned char buf[512];
	struct fc_attr_out attr;
	struct fc_out_header oh;
	uint64_t unique = r->hdr.unique;
	size_t full;

	memset(buf, 0, sizeof(buf));
	fc_mock_attr_out(&attr, r->hdr.nodeid, S_IFREG_ | 0644);
	memcpy(buf, &attr, sizeof(attr));
	full = sizeof(oh) + (bc->kind == BAD_VAR_TOO_LONG ? VAR_SIZE
							   : sizeof(attr));

	switch (bc->kind) {
	case BAD_SHORT:
		oh.len = sizeof(oh);
		oh.error = 0;
		oh.unique = unique;
		fc_mock_write(m, exp, &oh, 8);
		break;
	case BAD_LEN_GREATER:
		fc_mock_write_reply(m, exp, (uint32_t)full + 8, 0, unique, buf,
				    sizeof(attr));
		return;
	case BAD_LEN_LESS:
		fc_mock_write_reply(m, exp, (uint32_t)full - 8, 0, unique, buf,
				    sizeof(attr));
		return;
	case BAD_ERROR_POSITIVE:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 5, unique, NULL, 0);
		return;
	case BAD_ERROR_TOO_LOW:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, -512, unique, NULL,
				    0);
		return;
	case BAD_UNIQUE_UNKNOWN:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique + 1000,
				    buf, sizeof(attr));
		break;
	case BAD_UNIQUE_COMPLETED:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
				    sizeof(attr));
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
				    sizeof(attr));
		return;
	case BAD_FIXED_TOO_SHORT:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
				    sizeof(attr) - 54);
		return;
	case BAD_FIXED_TOO_LONG:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
				    sizeof(attr) + 1);
		return;
	case BAD_VAR_TOO_LONG:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
				    VAR_SIZE + 1);
		return;
	case BAD_ERROR_WITH_PAYLOAD:
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, -ENOENT, unique,
				    buf, 8);
		return;
	}
	/* The cases that matched no request: now the real answer. */
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique, buf,
			    sizeof(attr));
}

START_TEST(test_malformed_reply)
{
	const struct bad_case *bc = &bad_cases[_i];
	struct fc_conn_stats before;
	struct fc_mock_exp *exp;
	struct getattr_call g;
	unsigned char var_out[VAR_SIZE];
	struct fc_args *a = &g.args;
	unsigned i;
	struct env e;
	int result;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_conn_stats(e.c, &before);

	getattr_prepare(&g, 5, NULL);
	if (bc->kind == BAD_VAR_TOO_LONG) {
		/* A READ: the only out piece may come short, not long. */
		a->opcode = FC_READ;
		a->flags |= FC_ARGS_OUT_VAR;
		a->out[0].value = var_out;
		a->out[0].size = VAR_SIZE;
	}
	exp = fc_mock_expect(e.m, a->opcode, 5);
	fc_mock_exp_respond(exp, bad_respond, (void *)bc);

	result = fc_conn_send(e.c, a);
	ck_assert_msg(result == bc->result, "%s: caller got %d, expected %d",
		      bc->name, result, bc->result);
	ck_assert_uint_eq(fc_mock_exp_nresults(exp), bc->nwrites);
	for (i = 0; i < bc->nwrites; i++)
		ck_assert_msg(fc_mock_exp_result(exp, (int)i) == bc->writes[i],
			      "%s: write %u returned %d, expected %d",
			      bc->name, i, fc_mock_exp_result(exp, (int)i),
			      bc->writes[i]);
	assert_bad_delta(&e, &before, bc->counter, 1);
	ck_assert_uint_eq(fc_mock_unexpected(e.m), 0);
	assert_roundtrip(&e);
	env_teardown(&e);
}
END_TEST

/* Boundary of the error range: -511 is a valid errno for the wire. */
START_TEST(test_reply_error_boundary)
{
	struct fc_conn_stats before;
	struct fc_mock_exp *exp;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_conn_stats(e.c, &before);
	exp = fc_mock_expect(e.m, FC_GETATTR, 5);
	fc_mock_exp_error(exp, -511);
	ck_assert_int_eq(do_getattr(&e, 5), -511);
	ck_assert_int_eq(fc_mock_exp_result(exp, 0), 0);
	assert_bad_delta(&e, &before, offsetof(struct fc_conn_stats, bad_short),
			 0);
	env_teardown(&e);
}
END_TEST

/* A variable-sized reply may be shorter; the caller learns its length. */
START_TEST(test_reply_var_short_ok)
{
	unsigned char out[VAR_SIZE], data[40];
	struct fc_mock_exp *exp;
	struct fc_read_in in;
	struct fc_args a;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	memset(data, 0xab, sizeof(data));
	exp = fc_mock_expect(e.m, FC_READ, 5);
	fc_mock_exp_reply(exp, data, sizeof(data));

	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	in.size = VAR_SIZE;
	a.opcode = FC_READ;
	a.nodeid = 5;
	a.flags = FC_ARGS_OUT_VAR;
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	a.out_numargs = 1;
	a.out[0].value = out;
	a.out[0].size = VAR_SIZE;
	ck_assert_int_eq(fc_conn_send(e.c, &a), 40);
	ck_assert_uint_eq(a.out_len, 40);
	ck_assert_int_eq(memcmp(out, data, sizeof(data)), 0);
	env_teardown(&e);
}
END_TEST

/*
 * Interrupt reply with a payload.  Done without threads: the daemon, run
 * by the caller's own poll, interrupts the caller's task itself.
 */
struct int_ctx {
	struct env *e;
	const void *task;
};

static void interrupt_from_daemon(struct fc_mock *m, struct fc_mock_exp *exp,
				  const struct fc_mock_req *r, void *ctx)
{
	struct int_ctx *ic = ctx;

	(void)m;
	(void)exp;
	(void)r;
	/* The request is with the daemon: this sends FC_INTERRUPT at once. */
	fc_conn_interrupt(ic->e->c, ic->task, 0);
}

static void bad_interrupt_reply(struct fc_mock *m, struct fc_mock_exp *exp,
				const struct fc_mock_req *r, void *ctx)
{
	struct fc_interrupt_in in;
	struct fc_attr_out attr;
	uint64_t zero = 0;

	(void)ctx;
	memcpy(&in, r->body, sizeof(in));
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, &zero,
			    sizeof(zero));
	/* The interrupted request still gets its own, good reply. */
	fc_mock_attr_out(&attr, 5, S_IFREG_ | 0644);
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, in.unique, &attr,
			    sizeof(attr));
}

START_TEST(test_malformed_interrupt_reply)
{
	struct fc_conn_stats before;
	struct fc_mock_exp *orig, *intr;
	struct getattr_call g;
	struct int_ctx ic;
	struct env e;
	int task;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_conn_stats(e.c, &before);
	ic.e = &e;
	ic.task = &task;
	orig = fc_mock_expect(e.m, FC_GETATTR, 5);
	fc_mock_exp_respond(orig, interrupt_from_daemon, &ic);
	intr = fc_mock_expect(e.m, FC_INTERRUPT, 0);
	fc_mock_exp_respond(intr, bad_interrupt_reply, NULL);

	getattr_prepare(&g, 5, &task);
	ck_assert_int_eq(fc_conn_send(e.c, &g.args),
			 (int)sizeof(struct fc_attr_out));
	ck_assert_uint_eq(fc_mock_exp_used(intr), 1);
	ck_assert_int_eq(fc_mock_exp_result(intr, 0), -EINVAL);
	ck_assert_int_eq(fc_mock_exp_result(intr, 1), 0);
	assert_bad_delta(&e, &before,
			 offsetof(struct fc_conn_stats, bad_interrupt), 1);
	assert_roundtrip(&e);
	env_teardown(&e);
}
END_TEST

/* ---- Malformed notifications --------------------------------------------------- */

enum bad_notify_kind {
	NOTIFY_UNKNOWN_CODE,
	NOTIFY_CODE_MAX,
	NOTIFY_CODE_ZERO,
	NOTIFY_POLL_TOO_LONG,
	NOTIFY_POLL_TOO_SHORT,
	NOTIFY_INVAL_INODE_SHORT,
	NOTIFY_RETRIEVE_SHORT,
	NOTIFY_INVAL_ENTRY_NO_NUL,
	NOTIFY_INVAL_ENTRY_TOO_LONG,
	NOTIFY_INVAL_ENTRY_HEADER_SHORT,
	NOTIFY_INVAL_ENTRY_NAME_MAX,
};

static const struct {
	const char *name;
	enum bad_notify_kind kind;
	int result;
} bad_notifies[] = {
	{ "unknown code", NOTIFY_UNKNOWN_CODE, -EINVAL },
	{ "code NOTIFY_CODE_MAX", NOTIFY_CODE_MAX, -EINVAL },
	{ "code 0", NOTIFY_CODE_ZERO, -EINVAL },
	{ "POLL of 16 bytes", NOTIFY_POLL_TOO_LONG, -EINVAL },
	{ "POLL of 4 bytes", NOTIFY_POLL_TOO_SHORT, -EINVAL },
	{ "INVAL_INODE of 16 bytes", NOTIFY_INVAL_INODE_SHORT, -EINVAL },
	{ "RETRIEVE of 24 bytes", NOTIFY_RETRIEVE_SHORT, -EINVAL },
	{ "INVAL_ENTRY name without NUL", NOTIFY_INVAL_ENTRY_NO_NUL, -EINVAL },
	{ "INVAL_ENTRY longer than namelen", NOTIFY_INVAL_ENTRY_TOO_LONG,
	  -EINVAL },
	{ "INVAL_ENTRY shorter than its header",
	  NOTIFY_INVAL_ENTRY_HEADER_SHORT, -EINVAL },
	/* fuse_notify_inval_entry: namelen > name_max is ENAMETOOLONG. */
	{ "INVAL_ENTRY namelen > name_max", NOTIFY_INVAL_ENTRY_NAME_MAX,
	  -ENAMETOOLONG },
};

START_TEST(test_malformed_notification)
{
	unsigned char buf[64];
	struct fc_notify_inval_entry_out ie;
	struct fc_conn_stats before, after;
	int32_t code = 0;
	size_t len = 0;
	struct env e;
	int result;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_conn_stats(e.c, &before);
	memset(buf, 0, sizeof(buf));
	memset(&ie, 0, sizeof(ie));
	ie.parent = 1;
	ie.namelen = 3;

	switch (bad_notifies[_i].kind) {
	case NOTIFY_UNKNOWN_CODE:
		code = 100;
		len = 8;
		break;
	case NOTIFY_CODE_MAX:
		code = FC_NOTIFY_CODE_MAX;
		len = 8;
		break;
	case NOTIFY_CODE_ZERO:
		code = 0;
		len = 8;
		break;
	case NOTIFY_POLL_TOO_LONG:
		code = FC_NOTIFY_POLL;
		len = 16;
		break;
	case NOTIFY_POLL_TOO_SHORT:
		code = FC_NOTIFY_POLL;
		len = 4;
		break;
	case NOTIFY_INVAL_INODE_SHORT:
		code = FC_NOTIFY_INVAL_INODE;
		len = 16;
		break;
	case NOTIFY_RETRIEVE_SHORT:
		code = FC_NOTIFY_RETRIEVE;
		len = 24;
		break;
	case NOTIFY_INVAL_ENTRY_NO_NUL:
		code = FC_NOTIFY_INVAL_ENTRY;
		memcpy(buf, &ie, sizeof(ie));
		memcpy(buf + sizeof(ie), "abc", 3);
		len = sizeof(ie) + 3;
		break;
	case NOTIFY_INVAL_ENTRY_TOO_LONG:
		code = FC_NOTIFY_INVAL_ENTRY;
		memcpy(buf, &ie, sizeof(ie));
		memcpy(buf + sizeof(ie), "abc\0\0", 5);
		len = sizeof(ie) + 5;
		break;
	case NOTIFY_INVAL_ENTRY_HEADER_SHORT:
		code = FC_NOTIFY_INVAL_ENTRY;
		memcpy(buf, &ie, 8);
		len = 8;
		break;
	case NOTIFY_INVAL_ENTRY_NAME_MAX:
		code = FC_NOTIFY_INVAL_ENTRY;
		ie.namelen = 5000;
		memcpy(buf, &ie, sizeof(ie));
		len = sizeof(ie) + 4;
		break;
	}

	result = fc_mock_notify(e.m, code, buf, len);
	ck_assert_msg(result == bad_notifies[_i].result,
		      "%s: write returned %d, expected %d",
		      bad_notifies[_i].name, result, bad_notifies[_i].result);
	ck_assert_uint_eq(e.notified, 0);
	assert_bad_delta(&e, &before, offsetof(struct fc_conn_stats, bad_notify),
			 1);
	fc_conn_stats(e.c, &after);
	ck_assert_uint_eq(after.notifications, before.notifications);
	assert_roundtrip(&e);
	env_teardown(&e);
}
END_TEST

/* The positive controls: well-formed notifications reach the handler. */
START_TEST(test_notification_ok)
{
	unsigned char buf[64];
	struct fc_notify_inval_entry_out ie;
	struct fc_notify_poll_wakeup_out pw;
	struct fc_conn_stats before;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_conn_stats(e.c, &before);

	memset(&pw, 0, sizeof(pw));
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_POLL, &pw, sizeof(pw)),
			 0);
	ck_assert_uint_eq(e.notified, 1);
	ck_assert_uint_eq(e.last_notify_code, FC_NOTIFY_POLL);

	memset(&ie, 0, sizeof(ie));
	ie.parent = 1;
	ie.namelen = 3;
	memcpy(buf, &ie, sizeof(ie));
	memcpy(buf + sizeof(ie), "abc", 4);
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_INVAL_ENTRY, buf,
					sizeof(ie) + 4), 0);
	ck_assert_uint_eq(e.notified, 2);
	ck_assert_uint_eq(e.last_notify_code, FC_NOTIFY_INVAL_ENTRY);
	assert_bad_delta(&e, &before, offsetof(struct fc_conn_stats, bad_notify),
			 0);
	env_teardown(&e);
}
END_TEST

/* ---- Interrupts (threaded) ------------------------------------------------------- */

struct caller {
	struct env *e;
	struct getattr_call g;
	int result;
	pthread_t thread;
};

static void *caller_main(void *arg)
{
	struct caller *cl = arg;

	cl->result = fc_conn_send(cl->e->c, &cl->g.args);
	return NULL;
}

/* Start a thread sending GETATTR(@nodeid) as @task. */
static void caller_start(struct caller *cl, struct env *e, uint64_t nodeid,
			 const void *task)
{
	cl->e = e;
	cl->result = 1; /* not a possible result */
	getattr_prepare(&cl->g, nodeid, task);
	ck_assert_int_eq(pthread_create(&cl->thread, NULL, caller_main, cl), 0);
}

static int caller_join(struct caller *cl)
{
	pthread_join(cl->thread, NULL);
	return cl->result;
}

/* The recorded @r is the INTERRUPT of request @target. */
static void assert_interrupt_of(const struct fc_mock_req *r, uint64_t target)
{
	struct fc_interrupt_in in;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->hdr.opcode, FC_INTERRUPT);
	ck_assert_uint_eq(r->hdr.unique, target | 1);
	ck_assert_uint_eq(r->hdr.nodeid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->len, sizeof(struct fc_in_header) + sizeof(in));
	ck_assert_uint_eq(r->hdr.len, r->len);
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.unique, target);
}

START_TEST(test_interrupt_eagain_then_eintr)
{
	struct fc_mock_exp *orig, *int1, *int2;
	struct fc_conn_stats st;
	struct caller cl;
	uint64_t target;
	struct env e;
	int task;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 1);
	env_init(&e);
	orig = fc_mock_expect(e.m, FC_GETATTR, 5);
	fc_mock_exp_hold(orig);
	fc_mock_exp_error(orig, -EINTR);
	/* "Not seen yet, ask again": the kernel re-sends the INTERRUPT. */
	int1 = fc_mock_expect(e.m, FC_INTERRUPT, 0);
	fc_mock_exp_error(int1, -EAGAIN);
	int2 = fc_mock_expect(e.m, FC_INTERRUPT, 0);
	fc_mock_exp_noreply(int2);

	caller_start(&cl, &e, 5, &task);
	ck_assert_int_eq(fc_mock_wait_held(orig, 1), 0);
	obs_wait_blocked(&e.tp, "reply", 1);
	target = fc_mock_exp_last(orig)->hdr.unique;

	fc_conn_interrupt(e.c, &task, 0);
	ck_assert_int_eq(fc_mock_wait_used(int2, 1), 0);
	ck_assert_int_eq(fc_mock_exp_result(int1, 0), 0);
	assert_interrupt_of(fc_mock_exp_last(int1), target);
	assert_interrupt_of(fc_mock_exp_last(int2), target);
	ck_assert_uint_lt(fc_mock_exp_last(int1)->index,
			  fc_mock_exp_last(int2)->index);

	/* The interrupt does not end the request: its own reply does. */
	ck_assert_int_eq(fc_mock_release(orig), 0);
	ck_assert_int_eq(caller_join(&cl), -EINTR);
	fc_conn_stats(e.c, &st);
	ck_assert_uint_eq(st.interrupts, 2);
	ck_assert_uint_eq(fc_mock_count(e.m, FC_INTERRUPT), 2);
	ck_assert_uint_eq(fc_mock_unexpected(e.m), 0);
	env_teardown(&e);
}
END_TEST

START_TEST(test_interrupt_enosys_disables)
{
	struct fc_mock_exp *a, *b, *intr;
	struct fc_conn_stats st;
	struct caller cl;
	struct env e;
	int task;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 1);
	env_init(&e);
	a = expect_getattr(&e, 5);
	fc_mock_exp_hold(a);
	b = expect_getattr(&e, 6);
	fc_mock_exp_hold(b);
	intr = fc_mock_expect(e.m, FC_INTERRUPT, 0);
	fc_mock_exp_error(intr, -ENOSYS);
	/* Only one INTERRUPT may ever come. */
	fc_mock_exp_times(intr, FC_MOCK_UNLIMITED);

	caller_start(&cl, &e, 5, &task);
	ck_assert_int_eq(fc_mock_wait_held(a, 1), 0);
	obs_wait_blocked(&e.tp, "reply", 1);
	fc_conn_interrupt(e.c, &task, 0);
	ck_assert_int_eq(fc_mock_wait_answered(intr, 1), 0);
	ck_assert_int_eq(fc_mock_exp_result(intr, 0), 0);
	assert_interrupt_of(fc_mock_exp_last(intr),
			    fc_mock_exp_last(a)->hdr.unique);
	ck_assert_int_eq(fc_mock_release(a), 0);
	ck_assert_int_eq(caller_join(&cl), (int)sizeof(struct fc_attr_out));

	/* no_interrupt is set: the next interrupt sends nothing. */
	caller_start(&cl, &e, 6, &task);
	ck_assert_int_eq(fc_mock_wait_held(b, 1), 0);
	obs_wait_blocked(&e.tp, "reply", 1);
	fc_conn_interrupt(e.c, &task, 0);
	ck_assert_uint_eq(fc_mem_queued(e.t), 0);
	ck_assert_int_eq(fc_mock_release(b), 0);
	ck_assert_int_eq(caller_join(&cl), (int)sizeof(struct fc_attr_out));
	/* The daemon serves in order: past this, no INTERRUPT is in flight. */
	assert_roundtrip(&e);
	ck_assert_uint_eq(fc_mock_exp_used(intr), 1);
	ck_assert_uint_eq(fc_mock_count(e.m, FC_INTERRUPT), 1);
	fc_conn_stats(e.c, &st);
	ck_assert_uint_eq(st.interrupts, 1);
	env_teardown(&e);
}
END_TEST

/* ---- Abort (threaded) --------------------------------------------------------------- */

#define NBG_ABORT 2

struct bg_log {
	pthread_mutex_t lock;
	int order[8];
	int errors[8];
	unsigned n;
};

struct bg_call {
	struct getattr_call g;
	struct bg_log *log;
	int id;
};

static void bg_end(struct fc_conn *c, struct fc_args *args, int error,
		   void *ctx)
{
	struct bg_call *bc = ctx;
	struct bg_log *log = bc->log;

	(void)c;
	ck_assert_ptr_eq(args, &bc->g.args);
	pthread_mutex_lock(&log->lock);
	log->order[log->n] = bc->id;
	log->errors[log->n] = error;
	log->n++;
	pthread_mutex_unlock(&log->lock);
}

static void bg_submit(struct env *e, struct bg_call *bc, struct bg_log *log,
		      int id, uint64_t nodeid)
{
	getattr_prepare(&bc->g, nodeid, NULL);
	bc->g.args.flags |= FC_ARGS_FORCE;
	bc->log = log;
	bc->id = id;
	ck_assert_int_eq(fc_conn_send_bg(e->c, &bc->g.args, bg_end, bc), 0);
}

static void check_abort(int by_daemon)
{
	struct fc_mock_exp *sync, *bgexp;
	struct bg_call bg[NBG_ABORT], late;
	struct caller cl[3];
	struct bg_log log;
	unsigned i, nrec;
	struct env e;
	int task[3];

	memset(&log, 0, sizeof(log));
	pthread_mutex_init(&log.lock, NULL);
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 1);
	env_init_bg(&e, 1, 1);
	sync = expect_getattr(&e, 1);
	fc_mock_exp_times(sync, FC_MOCK_UNLIMITED);
	fc_mock_exp_hold(sync);
	bgexp = expect_getattr(&e, 200);
	fc_mock_exp_hold(bgexp);

	for (i = 0; i < 3; i++)
		caller_start(&cl[i], &e, 1, &task[i]);
	ck_assert_int_eq(fc_mock_wait_held(sync, 3), 0);
	obs_wait_blocked(&e.tp, "reply", 3);
	/* One background request with the daemon, one queued behind it. */
	bg_submit(&e, &bg[0], &log, 0, 200);
	bg_submit(&e, &bg[1], &log, 1, 201);
	ck_assert_int_eq(fc_mock_wait_held(bgexp, 1), 0);
	ck_assert_uint_eq(fc_conn_num_background(e.c), 2);
	ck_assert_uint_eq(fc_mock_count(e.m, FC_GETATTR), 4);

	if (by_daemon)
		fc_mock_disconnect(e.m);
	else
		fc_conn_abort(e.c);

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(caller_join(&cl[i]), -ENOTCONN);
	ck_assert_uint_eq(log.n, NBG_ABORT);
	for (i = 0; i < NBG_ABORT; i++)
		ck_assert_int_eq(log.errors[i], -ENOTCONN);
	ck_assert_uint_eq(fc_conn_num_background(e.c), 0);
	ck_assert_int_eq(fc_conn_state(e.c), FC_CONN_ABORTED);

	/* Later requests fail at once and never reach the daemon. */
	nrec = fc_mock_nrecorded(e.m);
	ck_assert_int_eq(do_getattr(&e, 1), -ENOTCONN);
	getattr_prepare(&late.g, 1, NULL);
	ck_assert_int_eq(fc_conn_send_bg(e.c, &late.g.args, bg_end, &late),
			 -ENOTCONN);
	ck_assert_uint_eq(log.n, NBG_ABORT);
	ck_assert_uint_eq(fc_mock_nrecorded(e.m), nrec);

	/* A late answer: the daemon is gone, or the request is (ENOENT). */
	ck_assert_int_eq(fc_mock_release(sync),
			 by_daemon ? -ENOTCONN : -ENOENT);
	env_teardown(&e);
	pthread_mutex_destroy(&log.lock);
}

START_TEST(test_abort_by_daemon_disconnect)
{
	check_abort(1);
}
END_TEST

START_TEST(test_abort_by_conn_abort)
{
	check_abort(0);
}
END_TEST

/* ---- Background limits (polled, stepped by hand) ----------------------------------- */

#define NBG 5

START_TEST(test_background_limits)
{
	/* The order the test answers them in, and so the order ends run in. */
	static const int release_order[NBG] = { 1, 2, 0, 4, 3 };
	struct fc_mock_exp *exp[NBG];
	struct bg_call bg[NBG];
	struct bg_log log;
	unsigned i, held;
	struct env e;

	memset(&log, 0, sizeof(log));
	pthread_mutex_init(&log.lock, NULL);
	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init_bg(&e, 2, 1);
	ck_assert_uint_eq(fc_conn_info(e.c)->max_background, 2);
	ck_assert_uint_eq(fc_conn_info(e.c)->congestion_threshold, 1);
	for (i = 0; i < NBG; i++) {
		exp[i] = expect_getattr(&e, 100 + i);
		fc_mock_exp_hold(exp[i]);
	}
	ck_assert_int_eq(fc_conn_congested(e.c), 0);

	for (i = 0; i < NBG; i++)
		bg_submit(&e, &bg[i], &log, (int)i, 100 + i);
	ck_assert_uint_eq(fc_conn_num_background(e.c), NBG);
	ck_assert_int_ne(fc_conn_congested(e.c), 0);
	/* flush_bg_queue: only max_background reach the daemon. */
	ck_assert_uint_eq(fc_mem_queued(e.t), 2);
	ck_assert_int_eq(fc_mock_pump(e.m), 2);
	ck_assert_int_eq(fc_mock_pump(e.m), 0);
	ck_assert_uint_eq(fc_mock_count(e.m, FC_GETATTR), 2);

	for (i = 0; i < NBG; i++) {
		struct fc_mock_exp *x = exp[release_order[i]];
		unsigned j;

		ck_assert_int_eq(fc_mock_release(x), 0);
		ck_assert_uint_eq(log.n, i + 1);
		ck_assert_int_eq(log.order[i], release_order[i]);
		ck_assert_int_eq(log.errors[i], 0);
		ck_assert_uint_eq(fc_conn_num_background(e.c), NBG - 1 - i);
		/* The freed slot went to the next queued request. */
		fc_mock_pump(e.m);
		for (held = 0, j = 0; j < NBG; j++)
			held += fc_mock_exp_held(exp[j]);
		ck_assert_uint_le(held, 2);
		ck_assert_uint_eq(held, NBG - 1 - i < 2 ? NBG - 1 - i : 2);
	}
	ck_assert_int_eq(fc_conn_congested(e.c), 0);
	ck_assert_uint_eq(fc_conn_num_background(e.c), 0);
	/* They reached the daemon in submission order. */
	for (i = 0; i < NBG; i++)
		ck_assert_uint_eq(fc_mock_recorded(e.m, 1 + i)->hdr.nodeid,
				  100 + i);
	for (i = 0; i < NBG; i++)
		ck_assert_uint_eq(bg[i].g.out.attr.ino, 100 + i);
	assert_roundtrip(&e);
	env_teardown(&e);
	pthread_mutex_destroy(&log.lock);
}
END_TEST

/* ---- Requests before INIT (threaded) ----------------------------------------------- */

START_TEST(test_requests_wait_for_init)
{
	struct fc_mock_exp *init, *ga;
	struct fc_init_out o;
	struct caller cl;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 1);
	fc_mock_init_out(&o, ~0ULL);
	init = fc_mock_expect_init(e.m, &o);
	fc_mock_exp_hold(init);
	ga = expect_getattr(&e, 5);
	ck_assert_int_eq(fc_conn_init_start(e.c), 0);
	ck_assert_int_eq(fc_mock_wait_held(init, 1), 0);

	/* fuse_block_alloc: the request waits for INIT, unsent. */
	caller_start(&cl, &e, 5, NULL);
	obs_wait_blocked(&e.tp, "init", 1);
	ck_assert_uint_eq(fc_mock_nrecorded(e.m), 1);
	ck_assert_uint_eq(fc_mem_queued(e.t), 0);

	ck_assert_int_eq(fc_mock_release(init), 0);
	ck_assert_int_eq(fc_conn_init(e.c), 0);
	ck_assert_int_eq(caller_join(&cl), (int)sizeof(struct fc_attr_out));
	ck_assert_uint_eq(fc_mock_exp_used(ga), 1);
	ck_assert_uint_eq(fc_mock_recorded(e.m, 1)->hdr.unique, 4);
	env_teardown(&e);
}
END_TEST

/* ---- ENOSYS cache ------------------------------------------------------------------- */

static int do_flush(struct env *e, unsigned extra_flags)
{
	struct fc_flush_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	memset(&a, 0, sizeof(a));
	a.opcode = FC_FLUSH;
	a.nodeid = 5;
	a.flags = extra_flags;
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	return fc_conn_send(e->c, &a);
}

START_TEST(test_nosys_cached_flush)
{
	struct fc_mock_exp *exp;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	ck_assert(fc_opcode_caches_nosys(FC_FLUSH));
	exp = fc_mock_expect(e.m, FC_FLUSH, 5);
	fc_mock_exp_error(exp, -ENOSYS);
	fc_mock_exp_times(exp, FC_MOCK_UNLIMITED);

	ck_assert_int_eq(fc_conn_nosys(e.c, FC_FLUSH), 0);
	ck_assert_int_eq(do_flush(&e, 0), -ENOSYS);
	ck_assert_int_ne(fc_conn_nosys(e.c, FC_FLUSH), 0);
	/* Linux's fc->no_flush: never sent again. */
	ck_assert_int_eq(do_flush(&e, 0), -ENOSYS);
	ck_assert_uint_eq(fc_mock_exp_used(exp), 1);
	ck_assert_uint_eq(fc_mock_count(e.m, FC_FLUSH), 1);

	/* Forgetting it lets the next one through. */
	fc_conn_set_nosys(e.c, FC_FLUSH, 0);
	ck_assert_int_eq(do_flush(&e, 0), -ENOSYS);
	ck_assert_uint_eq(fc_mock_exp_used(exp), 2);
	env_teardown(&e);
}
END_TEST

START_TEST(test_nosys_getattr_not_cached)
{
	struct fc_mock_exp *exp;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	ck_assert(!fc_opcode_caches_nosys(FC_GETATTR));
	exp = fc_mock_expect(e.m, FC_GETATTR, 5);
	fc_mock_exp_error(exp, -ENOSYS);
	fc_mock_exp_times(exp, FC_MOCK_UNLIMITED);
	ck_assert_int_eq(do_getattr(&e, 5), -ENOSYS);
	ck_assert_int_eq(do_getattr(&e, 5), -ENOSYS);
	ck_assert_uint_eq(fc_mock_exp_used(exp), 2);
	ck_assert_int_eq(fc_conn_nosys(e.c, FC_GETATTR), 0);
	env_teardown(&e);
}
END_TEST

START_TEST(test_nosys_not_cached_on_request)
{
	struct fc_mock_exp *exp;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	exp = fc_mock_expect(e.m, FC_FLUSH, 5);
	fc_mock_exp_error(exp, -ENOSYS);
	fc_mock_exp_times(exp, FC_MOCK_UNLIMITED);
	ck_assert_int_eq(do_flush(&e, FC_ARGS_NO_NOSYS_CACHE), -ENOSYS);
	ck_assert_int_eq(fc_conn_nosys(e.c, FC_FLUSH), 0);
	ck_assert_int_eq(do_flush(&e, 0), -ENOSYS);
	ck_assert_uint_eq(fc_mock_exp_used(exp), 2);
	env_teardown(&e);
}
END_TEST

/* ---- Unique ids ------------------------------------------------------------------------ */

START_TEST(test_uniques_even_increasing)
{
	struct fc_forget_in fin;
	struct fc_mock_exp *forget;
	struct fc_args a;
	unsigned i, n;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	fc_mock_exp_times(expect_getattr(&e, 5), FC_MOCK_UNLIMITED);
	forget = fc_mock_expect(e.m, FC_FORGET, 5);
	fc_mock_exp_noreply(forget);

	ck_assert_int_eq(do_getattr(&e, 5), (int)sizeof(struct fc_attr_out));
	/* FORGET takes no reply, but it takes a unique (fuse_get_unique). */
	memset(&a, 0, sizeof(a));
	memset(&fin, 0, sizeof(fin));
	fin.nlookup = 1;
	a.opcode = FC_FORGET;
	a.nodeid = 5;
	a.flags = FC_ARGS_NOREPLY | FC_ARGS_FORCE | FC_ARGS_NOCREDS;
	a.in_numargs = 1;
	a.in[0].value = &fin;
	a.in[0].size = sizeof(fin);
	ck_assert_int_eq(fc_conn_send(e.c, &a), 0);
	ck_assert_int_eq(do_getattr(&e, 5), (int)sizeof(struct fc_attr_out));
	ck_assert_int_eq(do_getattr(&e, 5), (int)sizeof(struct fc_attr_out));
	/* The FORGET may still be queued: a pump delivers it to the mock. */
	fc_mock_pump(e.m);

	n = fc_mock_nrecorded(e.m);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(fc_mock_exp_used(forget), 1);
	for (i = 0; i < n; i++) {
		const struct fc_mock_req *r = fc_mock_recorded(e.m, i);

		ck_assert_uint_eq(r->hdr.unique, 2 + 2 * i);
	}
	ck_assert_uint_eq(fc_mock_unexpected(e.m), 0);
	env_teardown(&e);
}
END_TEST

/* ---- Request headers ------------------------------------------------------------------ */

START_TEST(test_request_header_fields)
{
	const struct fc_mock_req *r;
	struct fc_mock_exp *exp;
	struct getattr_call g;
	struct env e;

	env_setup(&e, FC_TRANSPORT_FUSE_DEV, 0);
	env_init(&e);
	exp = expect_getattr(&e, 9);
	getattr_prepare(&g, 9, NULL);
	g.in.getattr_flags = FC_GETATTR_FH;
	g.in.fh = 0x1234;
	ck_assert_int_eq(fc_conn_send(e.c, &g.args),
			 (int)sizeof(struct fc_attr_out));
	r = fc_mock_exp_last(exp);
	ck_assert_uint_eq(r->len, sizeof(struct fc_in_header) + sizeof(g.in));
	ck_assert_uint_eq(r->hdr.len, r->len);
	ck_assert_uint_eq(r->hdr.opcode, FC_GETATTR);
	ck_assert_uint_eq(r->hdr.nodeid, 9);
	ck_assert_uint_eq(r->hdr.uid, 1000);
	ck_assert_uint_eq(r->hdr.gid, 100);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert_int_eq(memcmp(r->body, &g.in, sizeof(g.in)), 0);

	/* NOCREDS: uid = gid = pid = 0 (RELEASE, writeback WRITE, ...). */
	exp = expect_getattr(&e, 9);
	g.args.flags |= FC_ARGS_NOCREDS;
	ck_assert_int_eq(fc_conn_send(e.c, &g.args),
			 (int)sizeof(struct fc_attr_out));
	r = fc_mock_exp_last(exp);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	env_teardown(&e);
}
END_TEST

/* ---- The memory transport on its own ------------------------------------------------ */

START_TEST(test_memory_transport)
{
	struct obs_platform tp;
	struct fc_transport *t;
	struct fc_in_header h;
	struct fc_send_info info;
	struct fc_iov iov[2];
	unsigned char buf[128];
	const char body[] = "body";

	obs_platform_init(&tp);
	ck_assert_int_eq(fc_mem_transport_new(&tp.plat, FC_TRANSPORT_VIRTIO_FS,
					      NULL, NULL, &t), 0);
	ck_assert_int_eq(t->kind, FC_TRANSPORT_VIRTIO_FS);
	ck_assert_int_eq(t->no_interrupt, 0);
	ck_assert_ptr_null(t->ops->poll);
	ck_assert_uint_eq(fc_mem_queued(t), 0);
	ck_assert_int_eq(fc_mem_daemon_read(t, buf, sizeof(buf), 0), 0);

	memset(&h, 0, sizeof(h));
	h.len = sizeof(h) + sizeof(body);
	h.opcode = FC_FORGET;
	h.unique = 2;
	iov[0].base = &h;
	iov[0].len = sizeof(h);
	iov[1].base = body;
	iov[1].len = sizeof(body);
	memset(&info, 0, sizeof(info));
	info.opcode = FC_FORGET;
	info.unique = 2;
	info.noreply = 1;
	ck_assert_int_eq(t->ops->send(t, iov, 2, &info), 0);
	ck_assert_uint_eq(fc_mem_queued(t), 1);
	ck_assert_uint_eq(fc_mem_daemon_peek(t), sizeof(h) + sizeof(body));
	/* Too small a buffer: the request stays queued. */
	ck_assert_int_eq(fc_mem_daemon_read(t, buf, 10, 0), -EMSGSIZE);
	ck_assert_uint_eq(fc_mem_queued(t), 1);
	ck_assert_int_eq(fc_mem_daemon_read(t, buf, sizeof(buf), 1),
			 (long)(sizeof(h) + sizeof(body)));
	ck_assert_int_eq(memcmp(buf, &h, sizeof(h)), 0);
	ck_assert_int_eq(memcmp(buf + sizeof(h), body, sizeof(body)), 0);
	ck_assert_uint_eq(fc_mem_queued(t), 0);

	/* No connection attached: nothing to deliver to. */
	ck_assert_int_eq(fc_mem_daemon_write(t, buf, 16), -ENOTCONN);

	ck_assert_int_eq(t->ops->send(t, iov, 2, &info), 0);
	fc_mem_daemon_disconnect(t);
	ck_assert_uint_eq(fc_mem_queued(t), 0);
	ck_assert_int_eq(fc_mem_daemon_read(t, buf, sizeof(buf), 1), -ENODEV);
	ck_assert_int_eq(t->ops->send(t, iov, 2, &info), -ENOTCONN);
	t->ops->destroy(t);
	ck_assert_int_eq(tp.live_allocs, 0);
	obs_platform_destroy(&tp);
}
END_TEST

static int count_pump(void *ctx)
{
	return ++*(int *)ctx > 1 ? 0 : 7;
}

START_TEST(test_memory_transport_polled)
{
	struct obs_platform tp;
	struct fc_transport *t;
	int calls = 0;

	obs_platform_init(&tp);
	ck_assert_int_eq(fc_mem_transport_new(&tp.plat, FC_TRANSPORT_FUSE_DEV,
					      count_pump, &calls, &t), 0);
	ck_assert_ptr_nonnull(t->ops->poll);
	ck_assert_int_eq(t->ops->poll(t, 1), 7);
	ck_assert_int_eq(t->ops->poll(t, 1), 0);
	ck_assert_int_eq(calls, 2);
	fc_mem_daemon_disconnect(t);
	ck_assert_int_eq(t->ops->poll(t, 1), -ENOTCONN);
	t->ops->destroy(t);
	ck_assert_int_eq(tp.live_allocs, 0);
	obs_platform_destroy(&tp);
}
END_TEST

/* ---- Runner ------------------------------------------------------------------------------ */

static Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc;

	tc = tcase_create("init");
	tcase_add_test(tc, test_init_request_fuse_dev);
	tcase_add_test(tc, test_init_request_virtio_fs);
	tcase_add_test(tc, test_init_profile_default);
	tcase_add_test(tc, test_init_grant_everything);
	tcase_add_loop_test(tc, test_init_grant_each_bit, 0, 64);
	tcase_add_test(tc, test_init_flags2_needs_init_ext);
	tcase_add_test(tc, test_init_minor4);
	tcase_add_test(tc, test_init_minor5_no_flags);
	tcase_add_test(tc, test_init_minor12_max_background_ignored);
	tcase_add_test(tc, test_init_minor15_no_batch_forget);
	tcase_add_test(tc, test_init_minor16_flock_rule);
	tcase_add_test(tc, test_init_error_reply);
	tcase_add_test(tc, test_init_major8);
	tcase_add_test(tc, test_init_short_reply_accepted);
	tcase_add_loop_test(tc, test_init_oversized_reply, 0, 2);
	tcase_add_test(tc, test_init_clamp_max_pages);
	tcase_add_test(tc, test_init_clamp_max_write);
	tcase_add_test(tc, test_init_readahead_only_shrinks);
	tcase_add_test(tc, test_init_time_gran);
	tcase_add_test(tc, test_init_max_background_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_malformed_reply, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_reply_error_boundary);
	tcase_add_test(tc, test_reply_var_short_ok);
	tcase_add_test(tc, test_malformed_interrupt_reply);
	tcase_add_loop_test(tc, test_malformed_notification, 0,
			    sizeof(bad_notifies) / sizeof(bad_notifies[0]));
	tcase_add_test(tc, test_notification_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_interrupt_eagain_then_eintr);
	tcase_add_test(tc, test_interrupt_enosys_disables);
	tcase_add_test(tc, test_abort_by_daemon_disconnect);
	tcase_add_test(tc, test_abort_by_conn_abort);
	tcase_add_test(tc, test_background_limits);
	tcase_add_test(tc, test_requests_wait_for_init);
	tcase_add_test(tc, test_nosys_cached_flush);
	tcase_add_test(tc, test_nosys_getattr_not_cached);
	tcase_add_test(tc, test_nosys_not_cached_on_request);
	tcase_add_test(tc, test_uniques_even_increasing);
	tcase_add_test(tc, test_request_header_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_test(tc, test_memory_transport);
	tcase_add_test(tc, test_memory_transport_polled);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
