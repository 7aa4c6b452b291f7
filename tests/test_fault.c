/*
 * Fault injection (docs/fuzzing.md), deterministic, under CTest:
 *
 *  - allocation failure: a scripted FUSE-client workload runs on the
 *    failing platform (fc_platform_failing) once for every N up to the
 *    number of allocations it makes, with the N-th allocation refused (and
 *    once more with every allocation from the N-th on refused); each run
 *    must end with every call giving its normal result or a clean -ENOMEM
 *    (or the documented consequence of an earlier one), no crash, and no
 *    allocation left live;
 *  - daemon death: the same workload with the daemon killed after its
 *    k-th answer, for every k, polled (the daemon is the transport's pump)
 *    and threaded (a daemon thread, callers blocked on condition
 *    variables): every call then gets -ENOTCONN, nothing hangs (CTest's
 *    timeout), nothing leaks;
 *  - replies out of order, duplicated, for unknown uniques, and with
 *    lengths at the limits, through the connection and the client.
 *
 * Lookup accounting is checked throughout: the FORGETs the daemon
 * receives never return more than its accepted entry replies granted.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"

#define REG (FC_S_IFREG | 0644)
#define DIRM (FC_S_IFDIR | 0755)
#define IO_SIZE 10000u
#define MAX_NODEID 64

/* ---- The daemon: a mock whose entry replies are counted -------------------- */

struct daemon {
	struct fc_mock *mock;
	/* Lookups granted (entry replies the connection accepted) per nodeid. */
	uint64_t granted[MAX_NODEID];
	/* Open file handles granted (OPEN, OPENDIR, CREATE replies accepted). */
	uint64_t opens;
	pthread_mutex_t lock;
};

static void granted_open(struct daemon *d, int result)
{
	if (result == 0) {
		pthread_mutex_lock(&d->lock);
		d->opens++;
		pthread_mutex_unlock(&d->lock);
	}
}

static void grant(struct daemon *d, uint64_t nodeid, int result)
{
	if (result == 0 && nodeid && nodeid < MAX_NODEID) {
		pthread_mutex_lock(&d->lock);
		d->granted[nodeid]++;
		pthread_mutex_unlock(&d->lock);
	}
}

struct entry_answer {
	struct daemon *d;
	uint64_t nodeid;
	uint32_t mode;
	int with_open; /* CREATE: an open_out follows */
};

static void answer_entry(struct fc_mock *m, struct fc_mock_exp *exp,
			 const struct fc_mock_req *r, void *ctx)
{
	struct entry_answer *ea = ctx;
	unsigned char buf[sizeof(struct fc_entry_out) + sizeof(struct fc_open_out)];
	struct fc_entry_out eo;
	struct fc_open_out oo;
	size_t len = sizeof(eo);
	int res;

	fc_mock_entry_out(&eo, ea->nodeid, 0, ea->mode);
	eo.entry_valid = 10;
	eo.attr_valid = 10;
	memcpy(buf, &eo, sizeof(eo));
	if (ea->with_open) {
		memset(&oo, 0, sizeof(oo));
		oo.fh = 0x55;
		memcpy(buf + sizeof(eo), &oo, sizeof(oo));
		len += sizeof(oo);
	}
	res = fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, buf, len);
	grant(ea->d, ea->nodeid, res);
	if (ea->with_open)
		granted_open(ea->d, res);
}

/* OPEN / OPENDIR: file handle 0x77. */
static void answer_open(struct fc_mock *m, struct fc_mock_exp *exp,
			const struct fc_mock_req *r, void *ctx)
{
	struct fc_open_out oo;

	memset(&oo, 0, sizeof(oo));
	oo.fh = 0x77;
	granted_open(ctx, fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0,
					      r->hdr.unique, &oo, sizeof(oo)));
}

/* READDIRPLUS: "x" (nodeid 10) and "y" (nodeid 11), then end of directory. */
static void answer_readdirplus(struct fc_mock *m, struct fc_mock_exp *exp,
			       const struct fc_mock_req *r, void *ctx)
{
	struct daemon *d = ctx;
	unsigned char buf[2 * 160] = { 0 };
	struct fc_read_in ri;
	size_t len = 0;
	unsigned i;
	int res;

	memcpy(&ri, r->body, sizeof(ri));
	if (ri.offset == 0) {
		for (i = 0; i < 2; i++) {
			struct fc_entry_out eo;
			struct fc_dirent de;
			size_t rec = FC_DIRENT_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + 1);

			fc_mock_entry_out(&eo, 10 + i, 0, REG);
			memset(buf + len, 0, rec);
			memcpy(buf + len, &eo, sizeof(eo));
			memset(&de, 0, sizeof(de));
			de.ino = 10 + i;
			de.off = i + 1;
			de.namelen = 1;
			de.type = 8;
			memcpy(buf + len + sizeof(eo), &de, FC_NAME_OFFSET);
			buf[len + FC_NAME_OFFSET_DIRENTPLUS] = (unsigned char)('x' + i);
			len += rec;
		}
	}
	res = fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, buf, len);
	if (len) {
		grant(d, 10, res);
		grant(d, 11, res);
	}
}

/* READ: the bytes asked for, each (offset & 0xff). */
static void answer_read(struct fc_mock *m, struct fc_mock_exp *exp,
			const struct fc_mock_req *r, void *ctx)
{
	static unsigned char data[1 << 17];
	struct fc_read_in ri;
	uint32_t i, n;

	(void)ctx;
	memcpy(&ri, r->body, sizeof(ri));
	n = ri.size < IO_SIZE ? ri.size : IO_SIZE;
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)((ri.offset + i) & 0xff);
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, data, n);
}

/* WRITE: everything was written. */
static void answer_write(struct fc_mock *m, struct fc_mock_exp *exp,
			 const struct fc_mock_req *r, void *ctx)
{
	struct fc_write_in wi;
	struct fc_write_out wo;

	(void)ctx;
	memcpy(&wi, r->body, sizeof(wi));
	memset(&wo, 0, sizeof(wo));
	wo.size = wi.size;
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, &wo, sizeof(wo));
}

/* GETXATTR / LISTXATTR: size 0 asks for the size, else the value. */
static void answer_xattr(struct fc_mock *m, struct fc_mock_exp *exp,
			 const struct fc_mock_req *r, void *ctx)
{
	static const char value[] = "user.x"; /* also a valid list */
	struct fc_getxattr_in gi;

	(void)ctx;
	memcpy(&gi, r->body, sizeof(gi));
	if (gi.size == 0) {
		struct fc_getxattr_out go = { .size = sizeof(value) };

		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique,
				    &go, sizeof(go));
	} else {
		fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique,
				    value, sizeof(value));
	}
}

static struct entry_answer ea_file, ea_dir, ea_create, ea_link;

static void expect_unlimited_reply(struct fc_mock *m, uint32_t op,
				   const void *p, size_t len)
{
	struct fc_mock_exp *e = fc_mock_expect(m, op, FC_MOCK_ANY_NODEID);

	ck_assert_ptr_nonnull(e);
	fc_mock_exp_times(e, FC_MOCK_UNLIMITED);
	ck_assert_int_eq(fc_mock_exp_reply(e, p, len), 0);
}

static void expect_unlimited_respond(struct fc_mock *m, uint32_t op,
				     fc_mock_respond_fn fn, void *ctx)
{
	struct fc_mock_exp *e = fc_mock_expect(m, op, FC_MOCK_ANY_NODEID);

	ck_assert_ptr_nonnull(e);
	fc_mock_exp_times(e, FC_MOCK_UNLIMITED);
	fc_mock_exp_respond(e, fn, ctx);
}

/* Script the daemon for the workload: every operation, any number of times. */
static void daemon_script(struct daemon *d)
{
	struct fc_mock *m = d->mock;
	struct fc_init_out io;
	struct fc_attr_out ao;
	struct fc_kstatfs st;
	static const uint32_t empty_ops[] = {
		FC_SETATTR, FC_FLUSH, FC_FSYNC, FC_RELEASE, FC_RELEASEDIR,
		FC_SETXATTR, FC_REMOVEXATTR, FC_RENAME, FC_UNLINK, FC_RMDIR,
		FC_SETLK, FC_ACCESS, FC_DESTROY,
	};
	unsigned i;

	fc_mock_init_out(&io, FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES |
			      FC_DO_READDIRPLUS | FC_POSIX_LOCKS | FC_FLOCK_LOCKS |
			      FC_INIT_EXT);
	io.max_pages = 32;
	io.max_background = 2; /* a queue of background RELEASEs forms */
	ck_assert_ptr_nonnull(fc_mock_expect_init(m, &io));
	fc_mock_exp_times(fc_mock_expect(m, FC_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
	fc_mock_exp_times(fc_mock_expect(m, FC_BATCH_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);

	ea_file = (struct entry_answer){ d, 2, REG, 0 };
	ea_dir = (struct entry_answer){ d, 3, DIRM, 0 };
	ea_create = (struct entry_answer){ d, 4, REG, 1 };
	ea_link = (struct entry_answer){ d, 5, FC_S_IFLNK | 0777, 0 };
	expect_unlimited_respond(m, FC_LOOKUP, answer_entry, &ea_file);
	expect_unlimited_respond(m, FC_MKDIR, answer_entry, &ea_dir);
	expect_unlimited_respond(m, FC_CREATE, answer_entry, &ea_create);
	expect_unlimited_respond(m, FC_SYMLINK, answer_entry, &ea_link);
	expect_unlimited_respond(m, FC_READDIRPLUS, answer_readdirplus, d);
	expect_unlimited_respond(m, FC_READ, answer_read, NULL);
	expect_unlimited_respond(m, FC_WRITE, answer_write, NULL);
	expect_unlimited_respond(m, FC_GETXATTR, answer_xattr, NULL);
	expect_unlimited_respond(m, FC_LISTXATTR, answer_xattr, NULL);

	fc_mock_attr_out(&ao, 2, REG);
	ao.attr.size = IO_SIZE;
	expect_unlimited_reply(m, FC_GETATTR, &ao, sizeof(ao));
	expect_unlimited_respond(m, FC_OPEN, answer_open, d);
	expect_unlimited_respond(m, FC_OPENDIR, answer_open, d);
	memset(&st, 0, sizeof(st));
	st.bsize = 4096;
	st.namelen = 255;
	expect_unlimited_reply(m, FC_STATFS, &st, sizeof(st));
	expect_unlimited_reply(m, FC_READLINK, "target", 6);
	for (i = 0; i < sizeof(empty_ops) / sizeof(empty_ops[0]); i++)
		expect_unlimited_reply(m, empty_ops[i], NULL, 0);
}

/* ---- One run of the workload --------------------------------------------------- */

enum run_mode { RUN_PLAIN, RUN_ALLOC_FAIL, RUN_KILL };

struct run {
	enum run_mode mode;
	struct fc_failing fail;          /* the library's platform */
	struct fc_failing mock_counting; /* the daemon's (never fails) */
	const struct fc_platform *plat;
	struct daemon d;
	struct fc_transport *t;
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_caller who;
	/* Daemon death after @kill_after answers (RUN_KILL). */
	unsigned kill_after, answers;
	int killed;
	int threaded;
	pthread_t daemon_thread;
	/* What happened. */
	unsigned steps, nomem, notconn;
	uint64_t lookups_left, opens_left;
	const char *what; /* label for messages */
	unsigned long long param;
};

static int dirent_put(void *ctx, const struct fc_dir_entry *de)
{
	struct run *r = ctx;

	if (de->entry.node)
		fc_node_put(r->cl, de->entry.node);
	return 0;
}

/*
 * Check one result: the normal @want, or the failure the run injects.
 * -ENOMEM only where allocations fail; -ENOTCONN only once the daemon is
 * dead.  Returns non-zero if the call succeeded.
 */
static int step(struct run *r, int line, long got, long want)
{
	r->steps++;
	if (got == want)
		return 1;
	if (r->mode == RUN_ALLOC_FAIL && got == -ENOMEM) {
		r->nomem++;
		return 0;
	}
	if (r->mode == RUN_KILL && got == -ENOTCONN &&
	    __atomic_load_n(&r->killed, __ATOMIC_SEQ_CST)) {
		r->notconn++;
		return 0;
	}
	ck_abort_msg("%s %llu: line %d: got %ld, want %ld", r->what, r->param,
		     line, got, want);
	return 0;
}

#define STEP(expr, want) step(r, __LINE__, (long)(expr), (long)(want))

/* The memory transport's pump when the daemon dies after k answers. */
static int killing_pump(void *ctx)
{
	struct run *r = ctx;
	int handled = 0, n;

	for (;;) {
		if (r->answers >= r->kill_after) {
			if (!r->killed) {
				r->killed = 1;
				fc_mock_disconnect(r->d.mock);
			}
			return handled;
		}
		n = fc_mock_step(r->d.mock, 0);
		if (n <= 0)
			return handled ? handled : n;
		r->answers++;
		handled++;
	}
}

static void *daemon_main(void *arg)
{
	struct run *r = arg;

	while (r->answers < r->kill_after && fc_mock_step(r->d.mock, 1) > 0)
		r->answers++;
	/* The daemon dies (or was already cut off by the connection). */
	__atomic_store_n(&r->killed, 1, __ATOMIC_SEQ_CST);
	fc_mock_disconnect(r->d.mock);
	return NULL;
}

static void workload(struct run *r)
{
	struct fc_conn_config cfg;
	struct fc_node *root, *a = NULL, *dnode = NULL, *s = NULL;
	struct fc_open_ctx *of = NULL, *dof = NULL, *cof = NULL;
	struct fc_open_ctx *bg[4] = { NULL };
	struct fc_entry e;
	static unsigned char buf[IO_SIZE];
	struct fc_attr at;
	struct fc_kstatfs st;
	struct fc_lock lk;
	unsigned i;
	int err;

	if (r->mode == RUN_KILL) {
		err = fc_mem_transport_new(r->plat, FC_TRANSPORT_FUSE_DEV,
					   r->threaded ? NULL : killing_pump, r, &r->t);
		ck_assert_int_eq(err, 0);
		fc_mock_attach(r->d.mock, r->t, !r->threaded);
		if (r->threaded)
			ck_assert_int_eq(pthread_create(&r->daemon_thread, NULL,
							daemon_main, r), 0);
	} else {
		err = fc_mem_transport_new(r->plat, FC_TRANSPORT_FUSE_DEV,
					   fc_mock_pump, r->d.mock, &r->t);
		if (!STEP(err, 0))
			return;
		fc_mock_attach(r->d.mock, r->t, 1);
	}
	fc_conn_config_default(&cfg, r->plat, r->t);
	err = fc_conn_new(&cfg, &r->conn);
	if (!STEP(err, 0))
		return;
	/* An INIT that cannot be sent for lack of memory is -ENOMEM, not a refusal. */
	err = fc_conn_init(r->conn);
	if (!STEP(err, 0))
		return;
	err = fc_client_new(r->conn, NULL, &r->cl);
	if (!STEP(err, 0))
		return;
	root = fc_client_root(r->cl);

	/* A file: look it up, stat it, open it, write, read back, sync. */
	if (STEP(fc_lookup(r->cl, &r->who, root, "a", 1, &e), 0))
		a = e.node;
	if (a) {
		STEP(fc_getattr(r->cl, &r->who, a, NULL, 1, &at), 0);
		STEP(fc_open(r->cl, &r->who, a, FC_O_RDWR, &of), 0);
	}
	if (of) {
		memset(buf, 0x5a, sizeof(buf));
		STEP(fc_write(r->cl, &r->who, of, buf, IO_SIZE, 0, 0), IO_SIZE);
		memset(buf, 0, sizeof(buf));
		if (STEP(fc_read(r->cl, &r->who, of, buf, IO_SIZE, 0, 0), IO_SIZE)) {
			for (i = 0; i < IO_SIZE; i++)
				ck_assert_uint_eq(buf[i], i & 0xff);
		}
		STEP(fc_fsync(r->cl, &r->who, of, 0), 0);
		memset(&lk, 0, sizeof(lk));
		lk.type = FC_F_WRLCK;
		lk.end = FC_OFFSET_MAX;
		STEP(fc_setlk(r->cl, &r->who, of, 0x99, &lk, 0), 0);
		STEP(fc_flush(r->cl, &r->who, of), 0);
	}

	/* A directory: make one, list the root with READDIRPLUS. */
	if (STEP(fc_mkdir(r->cl, &r->who, root, "d", 1, 0755, &e), 0))
		dnode = e.node;
	if (STEP(fc_open(r->cl, &r->who, root, FC_O_RDONLY | FC_O_DIRECTORY, &dof), 0)) {
		STEP(fc_readdir(r->cl, &r->who, dof, 0, 4096, 1, dirent_put, r), 2);
		STEP(fc_readdir(r->cl, &r->who, dof, 2, 4096, 1, dirent_put, r), 0);
	}

	/* CREATE, xattrs, statfs, rename, unlink, symlink. */
	if (STEP(fc_create(r->cl, &r->who, root, "c", 1, FC_O_CREAT | FC_O_RDWR,
			   0644, &e, &cof), 0)) {
		STEP(fc_write(r->cl, &r->who, cof, "hello", 5, 0, 0), 5);
		fc_node_put(r->cl, e.node);
	}
	if (a) {
		STEP(fc_setxattr(r->cl, &r->who, a, "user.x", "v", 1, 0), 0);
		STEP(fc_getxattr(r->cl, &r->who, a, "user.x", NULL, 0), 7);
		STEP(fc_getxattr(r->cl, &r->who, a, "user.x", buf, 64), 7);
		STEP(fc_listxattr(r->cl, &r->who, a, (char *)buf, 64), 7);
	}
	STEP(fc_statfs(r->cl, &r->who, root, &st), 0);
	STEP(fc_rename(r->cl, &r->who, root, "a", 1, root, "b", 1, 0), 0);
	STEP(fc_unlink(r->cl, &r->who, root, "b", 1), 0);
	if (STEP(fc_symlink(r->cl, &r->who, root, "s", 1, "target", &e), 0))
		s = e.node;
	if (s)
		STEP(fc_readlink(r->cl, &r->who, s, (char *)buf, 64), 6);

	/* Background RELEASEs, more than max_background at once. */
	for (i = 0; i < 4 && a; i++)
		STEP(fc_open(r->cl, &r->who, a, FC_O_RDONLY, &bg[i]), 0);
	for (i = 0; i < 4; i++)
		fc_release(r->cl, bg[i]);
	fc_release(r->cl, of);
	fc_release(r->cl, dof);
	fc_release(r->cl, cof);
	if (dnode)
		STEP(fc_rmdir(r->cl, &r->who, root, "d", 1), 0);
	if (dnode)
		fc_node_put(r->cl, dnode);
	if (s)
		fc_node_put(r->cl, s);
	if (a)
		fc_node_put(r->cl, a);
	fc_client_flush_forgets(r->cl);
}

/*
 * The daemon's view: what its FORGETs returned never exceeds what its
 * entry replies granted, and no more RELEASEs come than handles it gave.
 * Sets the lookups it still counts and the handles never released (both
 * lost to the daemon), for the caller to judge.
 */
static void check_daemon_view(struct run *r)
{
	uint64_t forgotten[MAX_NODEID] = { 0 };
	uint64_t releases = 0;
	unsigned i, n = fc_mock_nrecorded(r->d.mock);

	r->lookups_left = 0;
	for (i = 0; i < n; i++) {
		const struct fc_mock_req *q = fc_mock_recorded(r->d.mock, i);

		if (q->hdr.opcode == FC_RELEASE || q->hdr.opcode == FC_RELEASEDIR)
			releases++;
		if (q->hdr.opcode == FC_FORGET) {
			struct fc_forget_in fi;

			ck_assert_uint_eq(q->body_len, sizeof(fi));
			memcpy(&fi, q->body, sizeof(fi));
			ck_assert_uint_lt(q->hdr.nodeid, MAX_NODEID);
			forgotten[q->hdr.nodeid] += fi.nlookup;
		} else if (q->hdr.opcode == FC_BATCH_FORGET) {
			struct fc_batch_forget_in bi;
			uint32_t j;

			memcpy(&bi, q->body, sizeof(bi));
			ck_assert_uint_eq(q->body_len, sizeof(bi) + bi.count * sizeof(struct fc_forget_one));
			for (j = 0; j < bi.count; j++) {
				struct fc_forget_one f;

				memcpy(&f, (const unsigned char *)q->body + sizeof(bi) + j * sizeof(f),
				       sizeof(f));
				ck_assert_uint_lt(f.nodeid, MAX_NODEID);
				forgotten[f.nodeid] += f.nlookup;
			}
		}
	}
	for (i = 0; i < MAX_NODEID; i++) {
		ck_assert_msg(forgotten[i] <= r->d.granted[i],
			      "%s %llu: nodeid %u forgotten %llu > granted %llu",
			      r->what, r->param, i, (unsigned long long)forgotten[i],
			      (unsigned long long)r->d.granted[i]);
		r->lookups_left += r->d.granted[i] - forgotten[i];
	}
	ck_assert_msg(releases <= r->d.opens, "%s %llu: %llu RELEASEs for %llu opens",
		      r->what, r->param, (unsigned long long)releases,
		      (unsigned long long)r->d.opens);
	r->opens_left = r->d.opens - releases;
}

/*
 * Run the workload once; returns the lookups and open handles the daemon
 * still counts after the unmount (lost FORGETs and RELEASEs).
 */
static uint64_t run_once(struct run *r, const char *what, unsigned long long param)
{
	const struct fc_platform *mp;

	r->what = what;
	r->param = param;
	r->who = (struct fc_caller){ .uid = 1000, .gid = 1000, .pid = 4242,
				     .umask = 022, .lock_owner = 0x1234,
				     .task = r };
	mp = fc_platform_failing(fc_platform_posix(), &r->mock_counting);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(pthread_mutex_init(&r->d.lock, NULL), 0);
	ck_assert_int_eq(fc_mock_new(mp, &r->d.mock), 0);
	daemon_script(&r->d);

	workload(r);

	/* Unmount and tear down, as an embedder would after any failure. */
	fc_client_free(r->cl);
	r->cl = NULL;
	/* The daemon reads the forgets of the unmount. */
	if (r->t && r->conn && !r->threaded)
		r->mode == RUN_KILL ? (void)killing_pump(r) : (void)fc_mock_pump(r->d.mock);
	if (r->threaded && r->t) {
		/* Stop the daemon before the transport goes (mock.h). */
		if (r->conn)
			fc_conn_abort(r->conn);
		fc_mock_disconnect(r->d.mock);
		pthread_join(r->daemon_thread, NULL);
	}
	if (r->mode == RUN_KILL && r->killed && r->conn) {
		struct fc_args probe;

		/* Once the daemon is gone, everything fails with ENOTCONN. */
		memset(&probe, 0, sizeof(probe));
		probe.opcode = FC_GETATTR;
		probe.nodeid = 1;
		ck_assert_int_eq(fc_conn_send(r->conn, &probe), -ENOTCONN);
	}
	if (r->conn) {
		ck_assert_uint_eq(fc_conn_num_background(r->conn), 0);
		fc_conn_free(r->conn);
	} else if (r->t && r->mode == RUN_KILL) {
		/* fc_conn_new failed: it destroyed the transport. */
	}
	r->conn = NULL;
	check_daemon_view(r);
	fc_mock_free(r->d.mock);
	pthread_mutex_destroy(&r->d.lock);
	ck_assert_msg(fc_failing_live(&r->mock_counting) == 0, "mock leak");
	fc_failing_done(&r->mock_counting);
	return r->lookups_left + r->opens_left;
}

/* ---- Allocation failure ------------------------------------------------------- */

static uint64_t count_allocations(void)
{
	struct run r;
	uint64_t n;

	memset(&r, 0, sizeof(r));
	r.mode = RUN_PLAIN;
	r.plat = fc_platform_failing(fc_platform_posix(), &r.fail);
	ck_assert_ptr_nonnull(r.plat);
	ck_assert_uint_eq(run_once(&r, "plain run", 0), 0);
	ck_assert_uint_eq(r.nomem, 0);
	n = fc_failing_attempts(&r.fail);
	ck_assert_int_eq(fc_failing_live(&r.fail), 0);
	fc_failing_done(&r.fail);
	return n;
}

/*
 * A single failed allocation must cost the daemon nothing: every FORGET
 * and every RELEASE still reaches it (Linux allocates the forget link
 * with the inode and the release request with the file; here an evicted
 * node carries its own FORGET and an open file holds a request set aside
 * for its RELEASE).  With every allocation from N on failing, what cannot
 * be sent is counted and reported, not asserted.
 */
static void alloc_sweep(int and_after)
{
	uint64_t total = count_allocations(), n;
	unsigned long nomem_runs = 0, invisible = 0;
	unsigned long lookup_runs = 0, open_runs = 0;
	uint64_t lookups = 0, opens = 0;
	int verbose = getenv("FAULT_VERBOSE") != NULL;

	ck_assert_uint_gt(total, 20);
	for (n = 1; n <= total; n++) {
		struct run r;

		memset(&r, 0, sizeof(r));
		r.mode = RUN_ALLOC_FAIL;
		r.plat = fc_platform_failing(fc_platform_posix(), &r.fail);
		ck_assert_ptr_nonnull(r.plat);
		fc_failing_arm(&r.fail, n, and_after);
		run_once(&r, and_after ? "allocations failing from" : "allocation failing", n);
		ck_assert_msg(fc_failing_live(&r.fail) == 0,
			      "allocation %llu failing%s: %ld allocations leaked",
			      (unsigned long long)n, and_after ? " (and after)" : "",
			      fc_failing_live(&r.fail));
		ck_assert_uint_ge(fc_failing_failures(&r.fail), 1);
		nomem_runs += r.nomem > 0;
		lookup_runs += r.lookups_left > 0;
		open_runs += r.opens_left > 0;
		lookups += r.lookups_left;
		opens += r.opens_left;
		if (!r.nomem && !r.lookups_left && !r.opens_left)
			invisible++;
		if (verbose && (r.lookups_left || r.opens_left))
			printf("  allocation %llu: %llu lookups, %llu open handles left with the daemon\n",
			       (unsigned long long)n, (unsigned long long)r.lookups_left,
			       (unsigned long long)r.opens_left);
		if (!and_after)
			ck_assert_msg(!r.lookups_left && !r.opens_left,
				      "allocation %llu failing: %llu lookups and %llu open "
				      "handles left with the daemon", (unsigned long long)n,
				      (unsigned long long)r.lookups_left,
				      (unsigned long long)r.opens_left);
		fc_failing_done(&r.fail);
	}
	printf("allocation failure%s: %llu runs (one per allocation of the workload): "
	       "%lu with a call ending -ENOMEM, "
	       "%lu absorbed without a visible error; "
	       "%lu left %llu lookups and %lu left %llu open handles with the daemon\n",
	       and_after ? " from N on" : " at N", (unsigned long long)total,
	       nomem_runs, invisible, lookup_runs, (unsigned long long)lookups,
	       open_runs, (unsigned long long)opens);
}

START_TEST(test_alloc_fail_each)
{
	alloc_sweep(0);
}
END_TEST

START_TEST(test_alloc_fail_from)
{
	alloc_sweep(1);
}
END_TEST

/* ---- Daemon death ---------------------------------------------------------------- */

static unsigned count_answers(void)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.mode = RUN_KILL;
	r.kill_after = ~0u;
	r.plat = fc_platform_failing(fc_platform_posix(), &r.fail);
	ck_assert_uint_eq(run_once(&r, "counting run", 0), 0);
	ck_assert_int_eq(fc_failing_live(&r.fail), 0);
	fc_failing_done(&r.fail);
	return r.answers;
}

static void kill_sweep(int threaded)
{
	unsigned total = count_answers(), k, notconn_runs = 0;

	ck_assert_uint_gt(total, 20);
	for (k = 0; k <= total; k++) {
		struct run r;

		memset(&r, 0, sizeof(r));
		r.mode = RUN_KILL;
		r.threaded = threaded;
		r.kill_after = k;
		r.plat = fc_platform_failing(fc_platform_posix(), &r.fail);
		run_once(&r, threaded ? "daemon thread killed after answer"
				      : "polled daemon killed after answer", k);
		ck_assert_msg(fc_failing_live(&r.fail) == 0,
			      "daemon killed after %u: %ld allocations leaked", k,
			      fc_failing_live(&r.fail));
		if (r.notconn)
			notconn_runs++;
		fc_failing_done(&r.fail);
	}
	printf("daemon death (%s): %u runs (killed after each of %u answers, and never), "
	       "%u ending in -ENOTCONN\n", threaded ? "threaded" : "polled",
	       total + 1, total, notconn_runs);
}

START_TEST(test_daemon_killed_polled)
{
	kill_sweep(0);
}
END_TEST

START_TEST(test_daemon_killed_threaded)
{
	kill_sweep(1);
}
END_TEST

/* ---- Replies out of order, duplicated, unknown, at the length limits -------------- */

struct env {
	struct fc_failing fail;
	const struct fc_platform *plat;
	struct fc_mock *mock;
	struct fc_transport *t;
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_caller who;
};

static void env_up(struct env *e, uint32_t max_pages)
{
	struct fc_conn_config cfg;
	struct fc_init_out io;

	memset(e, 0, sizeof(*e));
	e->plat = fc_platform_failing(fc_platform_posix(), &e->fail);
	ck_assert_int_eq(fc_mock_new(e->plat, &e->mock), 0);
	ck_assert_int_eq(fc_mock_new_transport(e->mock, FC_TRANSPORT_FUSE_DEV, 1, &e->t), 0);
	fc_conn_config_default(&cfg, e->plat, e->t);
	ck_assert_int_eq(fc_conn_new(&cfg, &e->conn), 0);
	fc_mock_init_out(&io, FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES | FC_INIT_EXT);
	io.max_pages = (uint16_t)max_pages;
	io.max_write = max_pages * 4096;
	ck_assert_ptr_nonnull(fc_mock_expect_init(e->mock, &io));
	ck_assert_int_eq(fc_conn_init(e->conn), 0);
	ck_assert_int_eq(fc_client_new(e->conn, NULL, &e->cl), 0);
	fc_mock_exp_times(fc_mock_expect(e->mock, FC_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
	fc_mock_exp_times(fc_mock_expect(e->mock, FC_BATCH_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
	e->who = (struct fc_caller){ .uid = 1000, .gid = 1000, .pid = 7 };
}

static void env_down(struct env *e)
{
	fc_client_free(e->cl);
	fc_conn_free(e->conn);
	fc_mock_free(e->mock);
	ck_assert_int_eq(fc_failing_live(&e->fail), 0);
	fc_failing_done(&e->fail);
}

struct bg_getattr {
	struct fc_args a;
	struct fc_getattr_in in;
	struct fc_attr_out out;
	int ends, error;
};

static void bg_end(struct fc_conn *c, struct fc_args *a, int error, void *ctx)
{
	struct bg_getattr *g = ctx;

	(void)c;
	ck_assert_ptr_eq(a, &g->a);
	g->ends++;
	g->error = error;
}

static void bg_prepare(struct bg_getattr *g, uint64_t nodeid)
{
	memset(g, 0, sizeof(*g));
	g->a.opcode = FC_GETATTR;
	g->a.nodeid = nodeid;
	g->a.in_numargs = 1;
	g->a.in[0].value = &g->in;
	g->a.in[0].size = sizeof(g->in);
	g->a.out_numargs = 1;
	g->a.out[0].value = &g->out;
	g->a.out[0].size = sizeof(g->out);
}

START_TEST(test_replies_out_of_order_and_duplicated)
{
	struct env e;
	struct bg_getattr g[4];
	struct fc_mock_exp *x[4];
	struct fc_conn_stats before, after;
	unsigned i;
	int k;

	env_up(&e, 32);
	for (i = 0; i < 4; i++) {
		struct fc_attr_out ao;

		fc_mock_attr_out(&ao, 100 + i, REG);
		x[i] = fc_mock_expect(e.mock, FC_GETATTR, 100 + i);
		ck_assert_int_eq(fc_mock_exp_reply(x[i], &ao, sizeof(ao)), 0);
		fc_mock_exp_hold(x[i]);
		bg_prepare(&g[i], 100 + i);
		ck_assert_int_eq(fc_conn_send_bg(e.conn, &g[i].a, bg_end, &g[i]), 0);
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(fc_mock_wait_held(x[i], 1), 0);
	/* Answered last first: each request gets its own reply. */
	for (k = 3; k >= 0; k--) {
		const struct fc_mock_req *q = fc_mock_exp_last(x[k]);

		ck_assert_int_eq(fc_mock_release(x[k]), 0);
		ck_assert_int_eq(g[k].ends, 1);
		ck_assert_int_eq(g[k].error, 0);
		ck_assert_uint_eq(g[k].out.attr.ino, 100 + (unsigned)k);
		for (i = 0; i < (unsigned)k; i++)
			ck_assert_int_eq(g[i].ends, 0);
		/* The same reply again: nobody waits for it. */
		fc_conn_stats(e.conn, &before);
		ck_assert_int_eq(fc_mock_write_reply(e.mock, NULL, FC_MOCK_LEN_AUTO, 0,
						     q->hdr.unique, &g[k].out,
						     sizeof(g[k].out)), -ENOENT);
		fc_conn_stats(e.conn, &after);
		ck_assert_uint_eq(after.bad_unique, before.bad_unique + 1);
		ck_assert_uint_eq(after.replies, before.replies);
		ck_assert_int_eq(g[k].ends, 1);
	}
	env_down(&e);
}
END_TEST

START_TEST(test_unknown_uniques)
{
	static const uint64_t uniques[] = {
		2,                          /* INIT's, long answered */
		0x1000, 0x1001,             /* never sent; an INTERRUPT of one */
		UINT64_MAX - 1, UINT64_MAX,
		FC_UNIQUE_RESEND | 4,       /* a resend that never happened */
	};
	struct env e;
	struct fc_conn_stats before, after;
	struct fc_node *root;
	struct fc_entry ent;
	unsigned i;

	env_up(&e, 32);
	root = fc_client_root(e.cl);
	for (i = 0; i < sizeof(uniques) / sizeof(uniques[0]); i++) {
		fc_conn_stats(e.conn, &before);
		ck_assert_int_eq(fc_mock_write_reply(e.mock, NULL, FC_MOCK_LEN_AUTO, 0,
						     uniques[i], NULL, 0), -ENOENT);
		ck_assert_int_eq(fc_mock_write_reply(e.mock, NULL, FC_MOCK_LEN_AUTO, -EIO,
						     uniques[i], NULL, 0), -ENOENT);
		fc_conn_stats(e.conn, &after);
		ck_assert_uint_eq(after.bad_unique, before.bad_unique + 2);
	}
	/* A FORGET's unique: it takes no reply, so none is accepted. */
	{
		struct fc_entry_out eo;
		struct fc_mock_exp *l = fc_mock_expect(e.mock, FC_LOOKUP, 1);
		const struct fc_mock_req *q;

		fc_mock_entry_out(&eo, 9, 0, REG);
		ck_assert_int_eq(fc_mock_exp_reply(l, &eo, sizeof(eo)), 0);
		ck_assert_int_eq(fc_lookup(e.cl, &e.who, root, "n", 1, &ent), 0);
		fc_node_put(e.cl, ent.node);
		fc_client_flush_forgets(e.cl);
		fc_mock_pump(e.mock);
		q = fc_mock_recorded(e.mock, fc_mock_nrecorded(e.mock) - 1);
		ck_assert_uint_eq(q->hdr.opcode, FC_FORGET);
		ck_assert_int_eq(fc_mock_write_reply(e.mock, NULL, FC_MOCK_LEN_AUTO, 0,
						     q->hdr.unique, NULL, 0), -ENOENT);
	}
	/* After all that, the connection still works. */
	{
		struct fc_attr_out ao;
		struct fc_attr at;
		struct fc_mock_exp *x = fc_mock_expect(e.mock, FC_GETATTR, 1);

		fc_mock_attr_out(&ao, 1, DIRM);
		ck_assert_int_eq(fc_mock_exp_reply(x, &ao, sizeof(ao)), 0);
		ck_assert_int_eq(fc_getattr(e.cl, &e.who, root, NULL, 1, &at), 0);
		ck_assert_uint_eq(at.mode, DIRM);
	}
	env_down(&e);
}
END_TEST

/* A respond function that writes exactly the test's raw message. */
struct raw_answer {
	uint32_t hdr_len;     /* FC_MOCK_LEN_AUTO or a forged length */
	int32_t error;
	size_t payload_len;
	int result;           /* the write's result, for the test */
};

static void answer_raw(struct fc_mock *m, struct fc_mock_exp *exp,
		       const struct fc_mock_req *r, void *ctx)
{
	static unsigned char payload[(256 << 12) + 64];
	struct raw_answer *ra = ctx;
	size_t i;

	for (i = 0; i < ra->payload_len && i < sizeof(payload); i++)
		payload[i] = (unsigned char)i;
	ra->result = fc_mock_write_reply(m, exp, ra->hdr_len, ra->error,
					 r->hdr.unique, payload, ra->payload_len);
}

/* One READ through the client, answered with @ra; returns fc_read()'s result. */
static long read_with(struct env *e, struct fc_open_ctx *of, size_t size,
		      struct raw_answer *ra)
{
	static unsigned char buf[(256 << 12) + 64];
	struct fc_mock_exp *x = fc_mock_expect(e->mock, FC_READ, FC_MOCK_ANY_NODEID);

	fc_mock_exp_respond(x, answer_raw, ra);
	return fc_read(e->cl, &e->who, of, buf, size, 0, FC_IO_DIRECT);
}

START_TEST(test_lengths_at_limits)
{
	struct env e;
	struct fc_node *root, *n;
	struct fc_open_ctx *of = NULL;
	struct fc_entry ent;
	struct fc_entry_out eo;
	struct fc_open_out oo;
	const size_t max = 32 * 4096; /* max_pages pages: the largest READ */
	struct {
		size_t ask;
		uint32_t hdr_len;
		int32_t error;
		size_t payload;
		long want;
		int want_write;
	} cases[] = {
		/* Exactly the most a READ may bring, and one byte more. */
		{ max, FC_MOCK_LEN_AUTO, 0, max, (long)max, 0 },
		{ max, FC_MOCK_LEN_AUTO, 0, max + 1, -EIO, -EINVAL },
		/* Nothing (end of file), one byte, one short of the request. */
		{ 4096, FC_MOCK_LEN_AUTO, 0, 0, 0, 0 },
		{ 4096, FC_MOCK_LEN_AUTO, 0, 1, 1, 0 },
		{ 4096, FC_MOCK_LEN_AUTO, 0, 4095, 4095, 0 },
		/* Header lengths that lie: 0, one short, one long, the maximum. */
		{ 4096, 0, 0, 100, -EIO, -EINVAL },
		{ 4096, 16 + 99, 0, 100, -EIO, -EINVAL },
		{ 4096, 16 + 101, 0, 100, -EIO, -EINVAL },
		{ 4096, UINT32_MAX - 1, 0, 100, -EIO, -EINVAL },
		/* Errors at the edge of the accepted range, and with a payload. */
		{ 4096, FC_MOCK_LEN_AUTO, -511, 0, -511, 0 },
		{ 4096, FC_MOCK_LEN_AUTO, -512, 0, -EIO, -EINVAL },
		{ 4096, FC_MOCK_LEN_AUTO, 1, 0, -EIO, -EINVAL },
		{ 4096, FC_MOCK_LEN_AUTO, -EIO, 8, -EIO, -EINVAL },
		{ 4096, FC_MOCK_LEN_AUTO, INT32_MIN, 0, -EIO, -EINVAL },
	};
	unsigned i;

	env_up(&e, 32);
	root = fc_client_root(e.cl);
	fc_mock_entry_out(&eo, 2, 0, REG);
	ck_assert_int_eq(fc_mock_exp_reply(fc_mock_expect(e.mock, FC_LOOKUP, 1), &eo, sizeof(eo)), 0);
	ck_assert_int_eq(fc_lookup(e.cl, &e.who, root, "f", 1, &ent), 0);
	n = ent.node;
	memset(&oo, 0, sizeof(oo));
	oo.open_flags = FC_FOPEN_DIRECT_IO;
	ck_assert_int_eq(fc_mock_exp_reply(fc_mock_expect(e.mock, FC_OPEN, 2), &oo, sizeof(oo)), 0);
	ck_assert_int_eq(fc_open(e.cl, &e.who, n, FC_O_RDONLY, &of), 0);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct raw_answer ra = { cases[i].hdr_len, cases[i].error,
					 cases[i].payload, 1 };
		long got = read_with(&e, of, cases[i].ask, &ra);

		ck_assert_msg(got == cases[i].want, "case %u: fc_read %ld, want %ld",
			      i, got, cases[i].want);
		ck_assert_msg(ra.result == cases[i].want_write,
			      "case %u: write %d, want %d", i, ra.result,
			      cases[i].want_write);
	}
	/* Messages shorter than a header. */
	for (i = 0; i < 16; i++) {
		unsigned char junk[16] = { 0 };

		ck_assert_int_eq(fc_mock_write(e.mock, NULL, junk, i), -EINVAL);
	}
	fc_release(e.cl, of);
	fc_mock_exp_times(fc_mock_expect(e.mock, FC_RELEASE, 2), 1);
	fc_mock_pump(e.mock);
	fc_node_put(e.cl, n);
	env_down(&e);
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("alloc");
	TCase *tk = tcase_create("kill");
	TCase *tr = tcase_create("replies");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_alloc_fail_each);
	tcase_add_test(tc, test_alloc_fail_from);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tk, 300);
	tcase_add_test(tk, test_daemon_killed_polled);
	tcase_add_test(tk, test_daemon_killed_threaded);
	suite_add_tcase(s, tk);
	tcase_add_test(tr, test_replies_out_of_order_and_duplicated);
	tcase_add_test(tr, test_unknown_uniques);
	tcase_add_test(tr, test_lengths_at_limits);
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fault_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
