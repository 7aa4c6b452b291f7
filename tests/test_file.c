/*
 * Tests of open files and their I/O (src/protocol/file.c) against the mock
 * daemon, in the manner of FreeBSD's fusefs tests: each test says which
 * requests it expects and how they are answered, makes the calls, and
 * checks both what the caller got and the exact fields the daemon saw.
 * The expected values are Linux 6.18's (../shared/reference/
 * linux-6.18-observed.md), which win over the FreeBSD/DragonOS catalogue.
 *
 * Polled mode throughout: RELEASE goes out in the background, so the tests
 * pump the mock after fc_release() before looking for it.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"
#include "fusecore/proto.h"

#define REG (FC_S_IFREG | 0644)
#define DIR_ (FC_S_IFDIR | 0755)
#define LOCK_OWNER 0x1234u
#define KIB 1024u

/* ---- helpers --------------------------------------------------------------- */

/* Bring the stack up; node puts may queue FORGETs, which are fine. */
static void up(struct fixture *f, uint64_t flags, uint32_t minor)
{
	fixture_up(f, flags, minor);
	fc_mock_exp_times(fc_mock_expect(f->mock, FC_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
	fc_mock_exp_times(fc_mock_expect(f->mock, FC_BATCH_FORGET,
					 FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
}

static struct fc_mock_exp *expect(struct fixture *f, uint32_t op,
				  uint64_t nodeid, unsigned times)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, nodeid);

	ck_assert_ptr_nonnull(e);
	fc_mock_exp_times(e, times);
	return e;
}

static struct fc_mock_exp *expect_reply(struct fixture *f, uint32_t op,
					uint64_t nodeid, const void *p,
					size_t len, unsigned times)
{
	struct fc_mock_exp *e = expect(f, op, nodeid, times);

	ck_assert_int_eq(fc_mock_exp_reply(e, p, len), 0);
	return e;
}

static struct fc_mock_exp *expect_error(struct fixture *f, uint32_t op,
					uint64_t nodeid, int err, unsigned times)
{
	struct fc_mock_exp *e = expect(f, op, nodeid, times);

	fc_mock_exp_error(e, err);
	return e;
}

static struct fc_mock_exp *expect_open_times(struct fixture *f, uint32_t op,
					     uint64_t nodeid, uint64_t fh,
					     uint32_t fopen, unsigned times)
{
	struct fc_open_out oo;

	memset(&oo, 0, sizeof(oo));
	oo.fh = fh;
	oo.open_flags = fopen;
	return expect_reply(f, op, nodeid, &oo, sizeof(oo), times);
}

/* A CREATE reply: entry of @nodeid with @mode, then fh @fh. */
static struct fc_mock_exp *expect_create(struct fixture *f, uint64_t nodeid,
					 uint32_t mode, uint64_t fh,
					 uint32_t fopen, unsigned times)
{
	unsigned char buf[sizeof(struct fc_entry_out) + sizeof(struct fc_open_out)];
	struct fc_entry_out eo;
	struct fc_open_out oo;

	fc_mock_entry_out(&eo, nodeid, 1, mode);
	eo.entry_valid = 1;
	eo.attr_valid = 1;
	memset(&oo, 0, sizeof(oo));
	oo.fh = fh;
	oo.open_flags = fopen;
	memcpy(buf, &eo, sizeof(eo));
	memcpy(buf + sizeof(eo), &oo, sizeof(oo));
	return expect_reply(f, FC_CREATE, FC_ROOT_ID, buf, sizeof(buf), times);
}

/* Look up "f" (nodeid 2) and open it with fh @fh. */
static struct fc_open_ctx *open_file(struct fixture *f, struct fc_node **node,
				     uint32_t flags, uint64_t fh, uint32_t fopen)
{
	struct fc_open_ctx *of = NULL;

	*node = fixture_lookup(f, "f", 2, 1, REG);
	expect_open_times(f, FC_OPEN, 2, fh, fopen, 1);
	ck_assert_int_eq(fc_open(f->cl, &f->who, *node, flags, &of), 0);
	ck_assert_ptr_nonnull(of);
	return of;
}

static void release(struct fixture *f, struct fc_open_ctx *of)
{
	fc_release(f->cl, of);
	fc_mock_pump(f->mock);
}

/* The @k-th request recorded from index @start on, FORGETs skipped. */
static const struct fc_mock_req *req_after(struct fixture *f, unsigned start,
					   unsigned k)
{
	unsigned i, n = fc_mock_nrecorded(f->mock);

	for (i = start; i < n; i++) {
		const struct fc_mock_req *r = fc_mock_recorded(f->mock, i);

		if (r->hdr.opcode == FC_FORGET || r->hdr.opcode == FC_BATCH_FORGET)
			continue;
		if (k-- == 0)
			return r;
	}
	return NULL;
}

static unsigned reqs_after(struct fixture *f, unsigned start)
{
	unsigned k = 0;

	while (req_after(f, start, k))
		k++;
	return k;
}

static const void *body_of(const struct fc_mock_req *r, size_t min_len)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_ge(r->body_len, min_len);
	return r->body;
}

#define BODY(r, type) ((const type *)body_of((r), sizeof(type)))

static uint64_t bad_content(struct fixture *f)
{
	struct fc_conn_stats st;

	fc_conn_stats(f->conn, &st);
	return st.bad_content;
}

/* A file of @size bytes whose byte i is (i & 0xff): READ answers from it. */
struct file_data {
	uint64_t size;
	uint32_t extra; /* bytes beyond what was asked (a broken daemon) */
};

static void respond_read(struct fc_mock *m, struct fc_mock_exp *exp,
			 const struct fc_mock_req *r, void *ctx)
{
	const struct file_data *fd = ctx;
	const struct fc_read_in *in = r->body;
	uint64_t n = 0, i;
	unsigned char *buf;

	if (in->offset < fd->size)
		n = fd->size - in->offset;
	if (n > in->size)
		n = in->size;
	n += fd->extra;
	buf = malloc(n ? n : 1);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(in->offset + i);
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, buf, n);
	free(buf);
}

/* WRITE answered "all written", or @short_size on call number @short_call. */
struct write_script {
	unsigned calls;
	unsigned short_call; /* 0: never */
	uint32_t short_size;
	uint32_t extra;      /* claim this many bytes more than sent */
};

static void respond_write(struct fc_mock *m, struct fc_mock_exp *exp,
			  const struct fc_mock_req *r, void *ctx)
{
	struct write_script *ws = ctx;
	const struct fc_write_in *in = r->body;
	struct fc_write_out wo;

	memset(&wo, 0, sizeof(wo));
	ws->calls++;
	wo.size = in->size + ws->extra;
	if (ws->short_call && ws->calls == ws->short_call)
		wo.size = ws->short_size;
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, &wo,
			    sizeof(wo));
}

static struct fc_mock_exp *expect_writes(struct fixture *f, uint64_t nodeid,
					 struct write_script *ws)
{
	struct fc_mock_exp *e = expect(f, FC_WRITE, nodeid, FC_MOCK_UNLIMITED);

	fc_mock_exp_respond(e, respond_write, ws);
	return e;
}

static struct fc_mock_exp *expect_reads(struct fixture *f, uint64_t nodeid,
					struct file_data *fd)
{
	struct fc_mock_exp *e = expect(f, FC_READ, nodeid, FC_MOCK_UNLIMITED);

	fc_mock_exp_respond(e, respond_read, fd);
	return e;
}

/* ---- INIT ---------------------------------------------------------------------- */

START_TEST(InitRequestsLinuxNoOpenSupport)
{
	struct fixture f;
	const struct fc_mock_req *r;
	const struct fc_init_in *in;
	uint64_t flags;

	up(&f, 0, 0);
	r = fc_mock_recorded(f.mock, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->hdr.opcode, FC_INIT);
	in = BODY(r, struct fc_init_in);
	ck_assert_uint_eq(in->flags & FC_INIT_EXT, FC_INIT_EXT);
	flags = in->flags | (uint64_t)in->flags2 << 32;
	ck_assert(flags & FC_NO_OPEN_SUPPORT);
	ck_assert(flags & FC_NO_OPENDIR_SUPPORT);
	ck_assert(flags & FC_HAS_EXPIRE_ONLY);
	/* What this file relies on is offered too. */
	ck_assert(flags & FC_ATOMIC_O_TRUNC);
	ck_assert(flags & FC_BIG_WRITES);
	ck_assert(flags & FC_DONT_MASK);
	ck_assert(flags & FC_MAX_PAGES);
	ck_assert(flags & FC_POSIX_LOCKS);
	ck_assert(flags & FC_FLOCK_LOCKS);
	ck_assert(flags & FC_HAS_IOCTL_DIR);
	/* Never offered: we cannot honour them. */
	ck_assert(!(flags & FC_PASSTHROUGH));
	ck_assert(!(flags & FC_HANDLE_KILLPRIV_V2));
	fixture_down(&f);
}
END_TEST

/* ---- OPEN / no-open -------------------------------------------------------- */

/*
 * Unmounting with a RELEASE still queued: the client waits for it (and the
 * node it pins) before freeing nodes.  Under ASan this was a use after free.
 */
START_TEST(ClientFreeWaitsForRelease)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_mock_exp *rel;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 0, 7);
	fc_node_put(f.cl, node);
	rel = expect(&f, FC_RELEASE, 2, 1);
	fc_release(f.cl, of); /* queued in the background, not yet answered */
	ck_assert_uint_eq(fc_mock_exp_used(rel), 0);
	fc_client_free(f.cl); /* must let it end before the nodes go */
	ck_assert_uint_eq(fc_mock_exp_used(rel), 1);
	ck_assert_uint_eq(fc_mock_unexpected(f.mock), 0);
	fc_conn_free(f.conn);
	fc_mock_free(f.mock);
}
END_TEST

START_TEST(OpenReturnsZeroFhIsValid)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct file_data fd = { .size = 100, .extra = 0 };
	struct write_script ws = { 0 };
	char buf[16];

	up(&f, FC_BIG_WRITES | FC_ATOMIC_O_TRUNC, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0, 0);
	ck_assert_uint_eq(fc_open_fh(of), 0);

	expect_reads(&f, 2, &fd);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 10, 0, 0), 10);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_READ), struct fc_read_in)->fh, 0);

	expect_writes(&f, 2, &ws);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, "abc", 3, 0, 0), 3);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_WRITE), struct fc_write_in)->fh, 0);

	expect(&f, FC_FLUSH, 2, 1);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FLUSH), struct fc_flush_in)->fh, 0);

	expect(&f, FC_FSYNC, 2, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 0), 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FSYNC), struct fc_fsync_in)->fh, 0);

	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->fh, 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(NoOpenFsyncUsesZeroFh)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of, *of2;
	const struct fc_fsync_in *fs;

	up(&f, 0, 0);
	node = fixture_lookup(&f, "f", 2, 1, REG);
	expect_error(&f, FC_OPEN, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &of), 0);
	ck_assert_uint_eq(fc_open_fh(of), 0);
	ck_assert_uint_eq(fc_open_fopen_flags(of), FC_FOPEN_KEEP_CACHE);
	ck_assert(fc_conn_nosys(f.conn, FC_OPEN));

	/* Later opens send no OPEN. */
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDONLY, &of2), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_OPEN), 1);
	ck_assert_uint_eq(fc_open_fh(of2), 0);

	/* fsync still goes out, with fh 0; FLUSH is still tried. */
	expect(&f, FC_FSYNC, 2, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 1), 0);
	fs = BODY(fixture_last(&f, FC_FSYNC), struct fc_fsync_in);
	ck_assert_uint_eq(fs->fh, 0);
	ck_assert_uint_eq(fs->fsync_flags, FC_FSYNC_FDATASYNC);
	expect(&f, FC_FLUSH, 2, 1);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FLUSH), struct fc_flush_in)->fh, 0);

	/* Closing sends no RELEASE. */
	release(&f, of);
	release(&f, of2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(NoOpendirKeepsCacheDir)
{
	struct fixture f;
	struct fc_node *dir;
	struct fc_open_ctx *d1, *d2;

	up(&f, 0, 0);
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	expect_error(&f, FC_OPENDIR, 3, -ENOSYS, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &d1), 0);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &d2), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_OPENDIR), 1);
	ck_assert_uint_eq(fc_open_fopen_flags(d1),
			  FC_FOPEN_KEEP_CACHE | FC_FOPEN_CACHE_DIR);
	ck_assert_uint_eq(fc_open_fh(d2), 0);
	release(&f, d1);
	release(&f, d2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASEDIR), 0);
	/* OPEN of files is not affected by no-opendir. */
	{
		struct fc_node *node;
		struct fc_open_ctx *of = open_file(&f, &node, FC_O_RDONLY, 5, 0);

		expect(&f, FC_RELEASE, 2, 1);
		release(&f, of);
		ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
		fc_node_put(f.cl, node);
	}
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

/*
 * fuse_file_put tests fc->no_open when the file is released: a file opened
 * with a real handle gets no RELEASE once another OPEN was answered ENOSYS.
 * Directories are not affected (RELEASEDIR is skipped only for handles
 * that came without OPENDIR).
 */
START_TEST(ReleaseSkippedOnceOpenIsEnosys)
{
	struct fixture f;
	struct fc_node *node, *dir;
	struct fc_open_ctx *a, *b, *d1, *d2;

	up(&f, 0, 0);
	a = open_file(&f, &node, FC_O_RDWR, 5, 0);
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	expect_open_times(&f, FC_OPENDIR, 3, 6, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY, &d1), 0);
	expect_error(&f, FC_OPEN, 2, -ENOSYS, 1);
	expect_error(&f, FC_OPENDIR, 3, -ENOSYS, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &b), 0);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY, &d2), 0);
	expect(&f, FC_RELEASEDIR, 3, 1);
	release(&f, a);
	release(&f, b);
	release(&f, d2);
	release(&f, d1);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASEDIR), 1);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASEDIR), struct fc_release_in)->fh, 6);
	fc_node_put(f.cl, node);
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

/*
 * Every access mode with every subset of the creation and status flags, for
 * OPEN with and without FUSE_ATOMIC_O_TRUNC and for CREATE (with and
 * without): the exact flags Linux sends, and what follows.
 */
static const uint32_t mask_bits[8] = {
	FC_O_CREAT, FC_O_EXCL, FC_O_NOCTTY, FC_O_TRUNC,
	FC_O_APPEND, FC_O_NONBLOCK, FC_O_DIRECT, FC_O_SYNC,
};

START_TEST(OpenFlagsMatchLinuxMask)
{
	static const uint32_t accmodes[3] = { FC_O_RDONLY, FC_O_WRONLY, FC_O_RDWR };
	int create = _i >= 2, atomic = !(_i & 1);
	struct fixture f;
	struct fc_node *node = NULL;
	unsigned a, m;

	up(&f, atomic ? FC_ATOMIC_O_TRUNC : 0, 0);
	if (create) {
		expect_create(&f, 5, REG, 9, 0, FC_MOCK_UNLIMITED);
	} else {
		struct fc_attr_out ao;

		node = fixture_lookup(&f, "f", 2, 1, REG);
		expect_open_times(&f, FC_OPEN, 2, 7, 0, FC_MOCK_UNLIMITED);
		fc_mock_attr_out(&ao, 2, REG);
		expect_reply(&f, FC_SETATTR, 2, &ao, sizeof(ao), FC_MOCK_UNLIMITED);
	}
	expect(&f, FC_RELEASE, create ? 5 : 2, FC_MOCK_UNLIMITED);

	for (a = 0; a < 3; a++) {
		for (m = 0; m < 256; m++) {
			uint32_t in = accmodes[a], want, file_flags;
			const struct fc_mock_req *r;
			struct fc_open_ctx *of = NULL;
			struct fc_entry ent;
			unsigned b, start, n;

			for (b = 0; b < 8; b++)
				if (m & (1u << b))
					in |= mask_bits[b];
			/* The application's O_CLOEXEC never travels. */
			in |= FC_O_CLOEXEC;
			if (create)
				in |= FC_O_CREAT;
			file_flags = (in & ~(FC_O_CREAT | FC_O_EXCL | FC_O_NOCTTY |
					     FC_O_TRUNC | FC_O_CLOEXEC)) |
				     FC_O_LARGEFILE;

			start = fc_mock_nrecorded(f.mock);
			if (create) {
				ck_assert_int_eq(fc_create(f.cl, &f.who,
							   fc_client_root(f.cl),
							   "f", 1, in, 0666, &ent,
							   &of), 0);
				/* Linux: only O_NOCTTY leaves; O_EXCL drops O_TRUNC. */
				want = (in & ~(FC_O_NOCTTY | FC_O_CLOEXEC)) |
				       FC_O_LARGEFILE;
				if (want & FC_O_EXCL)
					want &= ~FC_O_TRUNC;
				r = req_after(&f, start, 0);
				ck_assert_ptr_nonnull(r);
				ck_assert_uint_eq(r->hdr.opcode, FC_CREATE);
				{
					const struct fc_create_in *ci =
						BODY(r, struct fc_create_in);

					ck_assert_msg(ci->flags == want,
						      "CREATE in %o: flags %o, want %o",
						      in, ci->flags, want);
					ck_assert_uint_eq(ci->mode, FC_S_IFREG | 0644);
					ck_assert_uint_eq(ci->umask, 022);
					ck_assert_uint_eq(ci->open_flags, 0);
					ck_assert_uint_eq(r->body_len, sizeof(*ci) + 2);
					ck_assert_int_eq(memcmp((const char *)r->body +
								sizeof(*ci), "f", 2), 0);
				}
				/* Nothing follows a CREATE, O_TRUNC or not. */
				n = reqs_after(&f, start);
				ck_assert_uint_eq(n, 1);
				ck_assert_uint_eq(fc_open_fh(of), 9);
				fc_node_put(f.cl, ent.node);
			} else {
				ck_assert_int_eq(fc_open(f.cl, &f.who, node, in, &of), 0);
				want = (in & ~(FC_O_CREAT | FC_O_EXCL | FC_O_NOCTTY |
					       FC_O_CLOEXEC)) | FC_O_LARGEFILE;
				if (!atomic)
					want &= ~FC_O_TRUNC;
				r = req_after(&f, start, 0);
				ck_assert_ptr_nonnull(r);
				ck_assert_uint_eq(r->hdr.opcode, FC_OPEN);
				ck_assert_msg(BODY(r, struct fc_open_in)->flags == want,
					      "OPEN in %o (atomic %d): flags %o, want %o",
					      in, atomic,
					      BODY(r, struct fc_open_in)->flags, want);
				ck_assert_uint_eq(BODY(r, struct fc_open_in)->open_flags, 0);
				n = reqs_after(&f, start);
				if ((in & FC_O_TRUNC) && !atomic) {
					const struct fc_setattr_in *sa;

					ck_assert_uint_eq(n, 2);
					r = req_after(&f, start, 1);
					ck_assert_uint_eq(r->hdr.opcode, FC_SETATTR);
					sa = BODY(r, struct fc_setattr_in);
					ck_assert_uint_eq(sa->valid,
							  FC_FATTR_SIZE | FC_FATTR_LOCKOWNER);
					ck_assert_uint_eq(sa->size, 0);
					ck_assert_uint_eq(sa->fh, 0);
					ck_assert_uint_eq(sa->lock_owner, LOCK_OWNER);
					ck_assert_uint_eq(r->hdr.pid, 4242);
				} else {
					ck_assert_uint_eq(n, 1);
				}
				ck_assert_uint_eq(fc_open_fh(of), 7);
			}
			ck_assert_uint_eq(fc_open_sent_flags(of), want);
			ck_assert_uint_eq(fc_open_file_flags(of), file_flags);

			/* RELEASE carries f_flags: no creation flags, O_LARGEFILE. */
			start = fc_mock_nrecorded(f.mock);
			release(&f, of);
			r = req_after(&f, start, 0);
			ck_assert_ptr_nonnull(r);
			ck_assert_uint_eq(r->hdr.opcode, FC_RELEASE);
			ck_assert_msg(BODY(r, struct fc_release_in)->flags == file_flags,
				      "RELEASE after %o: flags %o, want %o", in,
				      BODY(r, struct fc_release_in)->flags, file_flags);
		}
	}
	if (node)
		fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(OpendirFlagsAndReleasedir)
{
	struct fixture f;
	struct fc_node *dir;
	struct fc_open_ctx *d;
	const struct fc_mock_req *r;
	const struct fc_release_in *ri;
	uint32_t flags = FC_O_RDONLY | FC_O_NONBLOCK | FC_O_DIRECTORY | FC_O_CLOEXEC;

	up(&f, FC_ATOMIC_O_TRUNC, 0);
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	/* FOPEN_DIRECT_IO means nothing for a directory and is cleared. */
	expect_open_times(&f, FC_OPENDIR, 3, 0xd1, FC_FOPEN_DIRECT_IO |
			  FC_FOPEN_CACHE_DIR, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, flags, &d), 0);
	r = fixture_last(&f, FC_OPENDIR);
	ck_assert_uint_eq(BODY(r, struct fc_open_in)->flags, 0304000);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert_uint_eq(fc_open_fopen_flags(d), FC_FOPEN_CACHE_DIR);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_OPEN), 0);

	/* No FLUSH for directories (fuse_dir_operations has no ->flush). */
	ck_assert_int_eq(fc_flush(f.cl, &f.who, d), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FLUSH), 0);

	expect(&f, FC_RELEASEDIR, 3, 1);
	release(&f, d);
	r = fixture_last(&f, FC_RELEASEDIR);
	ri = BODY(r, struct fc_release_in);
	ck_assert_uint_eq(ri->fh, 0xd1);
	ck_assert_uint_eq(ri->flags, 0304000);
	ck_assert_uint_eq(ri->release_flags, 0);
	ck_assert_uint_eq(ri->lock_owner, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

START_TEST(FopenFlagsHonoured)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;

	up(&f, 0, 0);
	node = fixture_lookup(&f, "f", 2, 1, REG);
	expect(&f, FC_RELEASE, 2, FC_MOCK_UNLIMITED);

	/* PARALLEL_DIRECT_WRITES needs DIRECT_IO; unknown bits are harmless. */
	expect_open_times(&f, FC_OPEN, 2, 1, FC_FOPEN_PARALLEL_DIRECT_WRITES |
			  FC_FOPEN_KEEP_CACHE | (1u << 20), 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDONLY, &of), 0);
	ck_assert_uint_eq(fc_open_fopen_flags(of) & ~(1u << 20), FC_FOPEN_KEEP_CACHE);
	release(&f, of);

	expect_open_times(&f, FC_OPEN, 2, 2, FC_FOPEN_PARALLEL_DIRECT_WRITES |
			  FC_FOPEN_DIRECT_IO | FC_FOPEN_NOFLUSH, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDONLY, &of), 0);
	ck_assert_uint_eq(fc_open_fopen_flags(of), FC_FOPEN_PARALLEL_DIRECT_WRITES |
			  FC_FOPEN_DIRECT_IO | FC_FOPEN_NOFLUSH);
	/* FOPEN_NOFLUSH without writeback cache: close sends no FLUSH. */
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FLUSH), 0);
	release(&f, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 2);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(OpenPassthroughIsEIO)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of = (void *)1;
	const struct fc_mock_req *r;

	up(&f, 0, 0);
	node = fixture_lookup(&f, "f", 2, 1, REG);
	expect_open_times(&f, FC_OPEN, 2, 33, FC_FOPEN_PASSTHROUGH, 1);
	expect(&f, FC_RELEASE, 2, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &of), -EIO);
	ck_assert_ptr_null(of);
	/* fuse_sync_release: the handle goes back at once. */
	r = fixture_last(&f, FC_RELEASE);
	ck_assert_uint_eq(BODY(r, struct fc_release_in)->fh, 33);
	ck_assert_uint_eq(BODY(r, struct fc_release_in)->flags, 0100002);
	ck_assert_uint_eq(r->hdr.pid, 0);
	fc_mock_pump(f.mock);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);

	/* The same after CREATE: RELEASE with the create flags, no entry. */
	{
		struct fc_entry ent;

		expect_create(&f, 5, REG, 34, FC_FOPEN_PASSTHROUGH, 1);
		expect(&f, FC_RELEASE, 5, 1);
		ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "c",
					   1, FC_O_WRONLY | FC_O_CREAT | FC_O_TRUNC |
					   FC_O_NOCTTY, 0600, &ent, &of), -EIO);
		ck_assert_ptr_null(of);
		ck_assert_ptr_null(ent.node);
		r = fixture_last(&f, FC_RELEASE);
		ck_assert_uint_eq(BODY(r, struct fc_release_in)->fh, 34);
		ck_assert_uint_eq(BODY(r, struct fc_release_in)->flags,
				  FC_O_WRONLY | FC_O_CREAT | FC_O_TRUNC | FC_O_LARGEFILE);
		ck_assert_uint_eq(r->hdr.nodeid, 5);
		ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 2);
	}
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(OpenErrors)
{
	struct fixture f;
	struct fc_node *node, *fresh;
	struct fc_open_ctx *of;

	up(&f, 0, 0);
	node = fixture_lookup(&f, "f", 2, 1, REG);
	/* The daemon's error reaches the caller and is not cached. */
	expect_error(&f, FC_OPEN, 2, -EACCES, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &of), -EACCES);
	ck_assert(!fc_conn_nosys(f.conn, FC_OPEN));
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);

	/* Non-atomic O_TRUNC whose SETATTR fails: the open fails, RELEASE follows. */
	expect_open_times(&f, FC_OPEN, 2, 4, 0, 1);
	expect_error(&f, FC_SETATTR, 2, -EPERM, 1);
	expect(&f, FC_RELEASE, 2, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_WRONLY | FC_O_TRUNC, &of),
			 -EPERM);
	fc_mock_pump(f.mock);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->fh, 4);

	/* A stale node: -ESTALE, nothing sent. */
	fresh = fixture_lookup(&f, "g", 2, 2, REG);
	ck_assert(fc_node_is_stale(node));
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &of), -ESTALE);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_OPEN), 2);
	fc_node_put(f.cl, fresh);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

/* ---- CREATE ---------------------------------------------------------------- */

START_TEST(CreateExclDropsTrunc)
{
	struct fixture f;
	struct fc_open_ctx *of;
	struct fc_entry ent;
	const struct fc_mock_req *r;
	const struct fc_create_in *ci;

	up(&f, FC_ATOMIC_O_TRUNC, 0);
	expect_create(&f, 5, REG, 9, 0, 1);
	/* Observed: open(O_RDWR|O_CREAT|O_EXCL|O_TRUNC, 0644), umask 022. */
	ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "f1", 2,
				   FC_O_RDWR | FC_O_CREAT | FC_O_EXCL | FC_O_TRUNC |
				   FC_O_CLOEXEC, 0644, &ent, &of), 0);
	r = fixture_last(&f, FC_CREATE);
	ci = BODY(r, struct fc_create_in);
	ck_assert_uint_eq(ci->flags, 0100302);
	ck_assert_uint_eq(ci->mode, 0100644);
	ck_assert_uint_eq(ci->umask, 022);
	ck_assert_uint_eq(r->hdr.nodeid, FC_ROOT_ID);
	ck_assert_uint_eq(r->hdr.uid, 1000);
	ck_assert_uint_eq(fc_open_file_flags(of), 0100002);
	ck_assert_uint_eq(fc_node_id(ent.node), 5);
	ck_assert_uint_eq(fc_node_nlookup(ent.node), 1);
	ck_assert_ptr_eq(fc_open_node(of), ent.node);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), 2); /* INIT, CREATE */

	expect(&f, FC_RELEASE, 5, 1);
	release(&f, of);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->flags,
			  0100002);
	fc_node_put(f.cl, ent.node);
	fixture_down(&f);
}
END_TEST

START_TEST(CreateDontMaskKeepsMode)
{
	struct fixture f;
	struct fc_open_ctx *of;
	struct fc_entry ent;

	up(&f, FC_DONT_MASK, 0);
	expect_create(&f, 5, REG, 9, 0, 1);
	expect(&f, FC_RELEASE, 5, 1);
	ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "f", 1,
				   FC_O_WRONLY, 0666, &ent, &of), 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_CREATE), struct fc_create_in)->mode,
			  0100666);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_CREATE), struct fc_create_in)->umask,
			  022);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_CREATE), struct fc_create_in)->flags,
			  FC_O_WRONLY | FC_O_CREAT | FC_O_LARGEFILE);
	release(&f, of);
	fc_node_put(f.cl, ent.node);
	fixture_down(&f);
}
END_TEST

START_TEST(CreateReplyNotRegularIsEIO)
{
	static const struct { uint64_t nodeid; uint32_t mode; } bad[] = {
		{ 5, DIR_ }, { 5, FC_S_IFLNK | 0777 }, { 0, REG }, { 1, REG },
		{ 5, 0644 /* no type */ },
	};
	struct fixture f;
	struct fc_open_ctx *of;
	struct fc_entry ent;
	unsigned i;

	up(&f, 0, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = bad_content(&f);

		expect_create(&f, bad[i].nodeid, bad[i].mode, 9, 0, 1);
		of = (void *)1;
		ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "f",
					   1, FC_O_RDWR, 0644, &ent, &of), -EIO);
		ck_assert_ptr_null(of);
		ck_assert_ptr_null(ent.node);
		ck_assert_uint_eq(bad_content(&f), before + 1);
	}
	/* The handle is dropped without RELEASE, no node is kept. */
	fc_mock_pump(f.mock);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(CreateEnosysFallsBackToMknodOpen)
{
	struct fixture f;
	struct fc_open_ctx *of1, *of2;
	struct fc_entry e1, e2;
	const struct fc_mock_req *r;
	const struct fc_mknod_in *mi;

	up(&f, FC_ATOMIC_O_TRUNC, 0);
	expect_error(&f, FC_CREATE, FC_ROOT_ID, -ENOSYS, 1);
	{
		struct fc_entry_out m;

		fc_mock_entry_out(&m, 6, 1, REG);
		expect_reply(&f, FC_MKNOD, FC_ROOT_ID, &m, sizeof(m), 2);
	}
	expect_open_times(&f, FC_OPEN, 6, 11, 0, 2);
	expect(&f, FC_RELEASE, 6, 2);

	ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "n", 1,
				   FC_O_RDWR | FC_O_CREAT | FC_O_TRUNC, 0666, &e1,
				   &of1), 0);
	r = fixture_last(&f, FC_MKNOD);
	mi = BODY(r, struct fc_mknod_in);
	ck_assert_uint_eq(mi->mode, FC_S_IFREG | 0644);
	ck_assert_uint_eq(mi->rdev, 0);
	ck_assert_uint_eq(mi->umask, 022);
	/* The VFS's open of the new file: its f_flags, O_TRUNC with ATOMIC_O_TRUNC. */
	r = fixture_last(&f, FC_OPEN);
	ck_assert_uint_eq(BODY(r, struct fc_open_in)->flags,
			  FC_O_RDWR | FC_O_TRUNC | FC_O_LARGEFILE);
	ck_assert_uint_eq(fc_open_fh(of1), 11);
	ck_assert_uint_eq(fc_node_id(e1.node), 6);
	ck_assert(fc_conn_nosys(f.conn, FC_CREATE));

	/* From now on no CREATE at all. */
	ck_assert_int_eq(fc_create(f.cl, &f.who, fc_client_root(f.cl), "n", 1,
				   FC_O_WRONLY | FC_O_CREAT, 0600, &e2, &of2), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_CREATE), 1);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_MKNOD), 2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_OPEN), 2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_SETATTR), 0);
	release(&f, of1);
	release(&f, of2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 2);
	fc_node_put(f.cl, e1.node);
	fc_node_put(f.cl, e2.node);
	fixture_down(&f);
}
END_TEST

/* ---- FLUSH / RELEASE / FSYNC ------------------------------------------------ */

START_TEST(FlushFieldsAndEnosysCached)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	const struct fc_mock_req *r;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_WRONLY, 3, 0);
	expect_error(&f, FC_FLUSH, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	r = fixture_last(&f, FC_FLUSH);
	ck_assert_uint_eq(BODY(r, struct fc_flush_in)->fh, 3);
	ck_assert_uint_eq(BODY(r, struct fc_flush_in)->lock_owner, LOCK_OWNER);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert_uint_eq(r->hdr.uid, 1000);
	/* Every later close: success without FLUSH. */
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FLUSH), 1);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(FlushErrorReachesCaller)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_WRONLY, 3, 0);
	expect_error(&f, FC_FLUSH, 2, -EIO, 2);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), -EIO);
	/* Not cached: the next close asks again. */
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), -EIO);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FLUSH), 2);
	/* RELEASE still follows. */
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(ReleaseCarriesLinuxFlags)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	const struct fc_mock_req *r;
	const struct fc_release_in *ri;

	up(&f, FC_ATOMIC_O_TRUNC, 0);
	of = open_file(&f, &node, FC_O_WRONLY | FC_O_APPEND | FC_O_CREAT |
		       FC_O_EXCL | FC_O_NOCTTY | FC_O_TRUNC | FC_O_CLOEXEC, 0x99, 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_OPEN), struct fc_open_in)->flags,
			  0103001);
	expect(&f, FC_RELEASE, 2, 1);
	fc_release(f.cl, of);
	/* Background: nothing read by the daemon until it runs. */
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	fc_mock_pump(f.mock);
	r = fixture_last(&f, FC_RELEASE);
	ri = BODY(r, struct fc_release_in);
	ck_assert_uint_eq(r->body_len, sizeof(*ri));
	ck_assert_uint_eq(r->hdr.nodeid, 2);
	ck_assert_uint_eq(ri->fh, 0x99);
	ck_assert_uint_eq(ri->flags, 0102001);
	ck_assert_uint_eq(ri->release_flags, 0);
	ck_assert_uint_eq(ri->lock_owner, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);
	/* fcntl(F_SETFL) flags show up in RELEASE; access mode does not change. */
	expect_open_times(&f, FC_OPEN, 2, 0x9a, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDWR, &of), 0);
	fc_open_set_file_flags(of, FC_O_NONBLOCK | FC_O_WRONLY);
	ck_assert_uint_eq(fc_open_file_flags(of), 0104002);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->flags,
			  0104002);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(ReleaseAfterFlockUnlocks)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	const struct fc_lk_in *lk;
	const struct fc_release_in *ri;
	uint64_t owner;

	up(&f, FC_POSIX_LOCKS | FC_FLOCK_LOCKS, 0);
	of = open_file(&f, &node, FC_O_RDWR | FC_O_CREAT, 9, 0);
	owner = fc_open_flock_owner(of);
	expect(&f, FC_SETLKW, 2, 1);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, FC_LOCK_EX), 0);
	lk = BODY(fixture_last(&f, FC_SETLKW), struct fc_lk_in);
	ck_assert_uint_eq(lk->owner, owner);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ri = BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in);
	ck_assert_uint_eq(ri->fh, 9);
	ck_assert_uint_eq(ri->flags, 0100002);
	ck_assert_uint_eq(ri->release_flags, FC_RELEASE_FLOCK_UNLOCK);
	ck_assert_uint_eq(ri->lock_owner, owner);
	ck_assert_uint_eq(fixture_last(&f, FC_RELEASE)->hdr.pid, 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(ReleaseWhenDaemonGone)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 9, 0);
	fc_mock_disconnect(f.mock);
	/* Nothing can be queued: the context is freed at once (no leak). */
	fc_release(f.cl, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(FsyncFieldsAndEnosysCached)
{
	struct fixture f;
	struct fc_node *node, *dir;
	struct fc_open_ctx *of, *d;
	const struct fc_mock_req *r;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x44, 0);
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	expect_open_times(&f, FC_OPENDIR, 3, 0x55, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &d), 0);

	expect(&f, FC_FSYNC, 2, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 0), 0);
	r = fixture_last(&f, FC_FSYNC);
	ck_assert_uint_eq(BODY(r, struct fc_fsync_in)->fh, 0x44);
	ck_assert_uint_eq(BODY(r, struct fc_fsync_in)->fsync_flags, 0);
	ck_assert_uint_eq(r->hdr.pid, 4242);

	/* An error other than ENOSYS goes to the caller and is not cached. */
	expect_error(&f, FC_FSYNC, 2, -EIO, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 1), -EIO);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FSYNC), struct fc_fsync_in)->fsync_flags,
			  FC_FSYNC_FDATASYNC);

	expect_error(&f, FC_FSYNC, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 0), 0);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 1), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FSYNC), 3);

	/* FSYNCDIR has its own cache. */
	expect_error(&f, FC_FSYNCDIR, 3, -ENOSYS, 1);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, d, 1), 0);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FSYNCDIR), struct fc_fsync_in)->fh, 0x55);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_FSYNCDIR), struct fc_fsync_in)->fsync_flags,
			  FC_FSYNC_FDATASYNC);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, d, 0), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FSYNCDIR), 1);

	expect(&f, FC_RELEASE, 2, 1);
	expect(&f, FC_RELEASEDIR, 3, 1);
	release(&f, of);
	release(&f, d);
	fc_node_put(f.cl, node);
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

/* ---- READ / WRITE -------------------------------------------------------------- */

START_TEST(ReadWriteFieldsBufferedVsDirect)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct file_data fd = { .size = 1 << 20, .extra = 0 };
	struct write_script ws = { 0 };
	const struct fc_mock_req *r;
	const struct fc_read_in *ri;
	const struct fc_write_in *wi;
	char buf[64];

	up(&f, FC_BIG_WRITES, 0);
	of = open_file(&f, &node, FC_O_RDWR | FC_O_APPEND, 0x77, 0);
	expect_reads(&f, 2, &fd);
	expect_writes(&f, 2, &ws);

	/* Page-cache READ: no lock owner. */
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 64, 4096, 0), 64);
	ck_assert_uint_eq((unsigned char)buf[1], 1);
	r = fixture_last(&f, FC_READ);
	ri = BODY(r, struct fc_read_in);
	ck_assert_uint_eq(ri->fh, 0x77);
	ck_assert_uint_eq(ri->offset, 4096);
	ck_assert_uint_eq(ri->size, 64);
	ck_assert_uint_eq(ri->read_flags, 0);
	ck_assert_uint_eq(ri->lock_owner, 0);
	ck_assert_uint_eq(ri->flags, 0102002);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert_uint_eq(r->hdr.uid, 1000);

	/* Direct READ: FUSE_READ_LOCKOWNER and the caller's owner. */
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 64, 0, FC_IO_DIRECT), 64);
	ri = BODY(fixture_last(&f, FC_READ), struct fc_read_in);
	ck_assert_uint_eq(ri->read_flags, FC_READ_LOCKOWNER);
	ck_assert_uint_eq(ri->lock_owner, LOCK_OWNER);

	/* Write-through WRITE. */
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, "hello", 5, 12, 0), 5);
	r = fixture_last(&f, FC_WRITE);
	wi = BODY(r, struct fc_write_in);
	ck_assert_uint_eq(r->body_len, sizeof(*wi) + 5);
	ck_assert_int_eq(memcmp((const char *)r->body + sizeof(*wi), "hello", 5), 0);
	ck_assert_uint_eq(wi->fh, 0x77);
	ck_assert_uint_eq(wi->offset, 12);
	ck_assert_uint_eq(wi->size, 5);
	ck_assert_uint_eq(wi->write_flags, 0);
	ck_assert_uint_eq(wi->lock_owner, 0);
	ck_assert_uint_eq(wi->flags, 0102002);
	ck_assert_uint_eq(r->hdr.pid, 4242);

	/* Direct WRITE. */
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, "hello", 5, 12, FC_IO_DIRECT), 5);
	wi = BODY(fixture_last(&f, FC_WRITE), struct fc_write_in);
	ck_assert_uint_eq(wi->write_flags, FC_WRITE_LOCKOWNER);
	ck_assert_uint_eq(wi->lock_owner, LOCK_OWNER);
	ck_assert_uint_eq(wi->flags, 0102002);

	/* Writeback WRITE: WRITE_CACHE, flags 0, no owner, no credentials. */
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, "HELLO", 5, 0, FC_IO_WRITEBACK), 5);
	r = fixture_last(&f, FC_WRITE);
	wi = BODY(r, struct fc_write_in);
	ck_assert_uint_eq(wi->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(wi->flags, 0);
	ck_assert_uint_eq(wi->lock_owner, 0);
	ck_assert_uint_eq(wi->fh, 0x77);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(r->hdr.gid, 0);

	/* Zero bytes: nothing sent. */
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 0, 0, 0), 0);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, buf, 0, 0, 0), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_READ), 2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_WRITE), 3);

	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(WriteSplitsAtMaxWrite)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct write_script ws = { 0 };
	unsigned char *data = malloc(300 * KIB);
	unsigned i, start;

	for (i = 0; i < 300 * KIB; i++)
		data[i] = (unsigned char)(i * 7);
	/* max_write 128 KiB, max_pages 256 (1 MiB): max_write decides. */
	up(&f, FC_BIG_WRITES | FC_MAX_PAGES, 0);
	ck_assert_uint_eq(fc_conn_info(f.conn)->max_pages, 256);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	expect_writes(&f, 2, &ws);
	for (i = 0; i < 3; i++) {
		unsigned flags = i == 0 ? 0 : i == 1 ? FC_IO_DIRECT : FC_IO_WRITEBACK;
		static const uint32_t sizes[3] = { 128 * KIB, 128 * KIB, 44 * KIB };
		unsigned k;

		start = fc_mock_nrecorded(f.mock);
		ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 300 * KIB, 0, flags),
				 300 * KIB);
		ck_assert_uint_eq(reqs_after(&f, start), 3);
		for (k = 0; k < 3; k++) {
			const struct fc_mock_req *r = req_after(&f, start, k);
			const struct fc_write_in *wi = BODY(r, struct fc_write_in);

			ck_assert_uint_eq(r->hdr.opcode, FC_WRITE);
			ck_assert_uint_eq(wi->size, sizes[k]);
			ck_assert_uint_eq(wi->offset, k * 128 * KIB);
			ck_assert_uint_eq(r->body_len, sizeof(*wi) + sizes[k]);
			ck_assert_int_eq(memcmp((const char *)r->body + sizeof(*wi),
						data + k * 128 * KIB, sizes[k]), 0);
		}
	}
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
	free(data);
}
END_TEST

START_TEST(WriteMaxPagesBoundsWrites)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct write_script ws = { 0 };
	unsigned char *data = calloc(1, 300 * KIB);
	unsigned start;

	/* max_write 128 KiB but 32 pages without FUSE_MAX_PAGES, from offset 100. */
	up(&f, FC_BIG_WRITES, 0);
	ck_assert_uint_eq(fc_conn_info(f.conn)->max_pages, 32);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	expect_writes(&f, 2, &ws);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 200 * KIB, 100, 0),
			 200 * KIB);
	/* Write-through: 32 pages of the page cache, the first one partial. */
	ck_assert_uint_eq(reqs_after(&f, start), 2);
	ck_assert_uint_eq(BODY(req_after(&f, start, 0), struct fc_write_in)->size,
			  128 * KIB - 100);
	ck_assert_uint_eq(BODY(req_after(&f, start, 1), struct fc_write_in)->offset,
			  128 * KIB);
	ck_assert_uint_eq(BODY(req_after(&f, start, 1), struct fc_write_in)->size,
			  72 * KIB + 100);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
	free(data);
}
END_TEST

START_TEST(WithoutBigWritesOnePagePerWrite)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct write_script ws = { 0 };
	unsigned char data[10000];
	unsigned start;

	memset(data, 'x', sizeof(data));
	up(&f, FC_MAX_PAGES, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	expect_writes(&f, 2, &ws);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 10000, 100, 0), 10000);
	/* One page each, never crossing a page boundary. */
	ck_assert_uint_eq(reqs_after(&f, start), 3);
	ck_assert_uint_eq(BODY(req_after(&f, start, 0), struct fc_write_in)->offset, 100);
	ck_assert_uint_eq(BODY(req_after(&f, start, 0), struct fc_write_in)->size, 3996);
	ck_assert_uint_eq(BODY(req_after(&f, start, 1), struct fc_write_in)->offset, 4096);
	ck_assert_uint_eq(BODY(req_after(&f, start, 1), struct fc_write_in)->size, 4096);
	ck_assert_uint_eq(BODY(req_after(&f, start, 2), struct fc_write_in)->offset, 8192);
	ck_assert_uint_eq(BODY(req_after(&f, start, 2), struct fc_write_in)->size, 1908);
	/* Direct I/O is bounded by max_write only (fuse_direct_io). */
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 10000, 100, FC_IO_DIRECT),
			 10000);
	ck_assert_uint_eq(reqs_after(&f, start), 1);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(WriteReplyLargerThanSentIsEIO)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct write_script ws = { .extra = 1 };
	unsigned char data[20000];

	memset(data, 'y', sizeof(data));
	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	expect_writes(&f, 2, &ws);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 5, 0, 0), -EIO);
	ck_assert_uint_eq(bad_content(&f), 1);
	/* A huge claim is no different. */
	ws.extra = 0x80000000u;
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 5, 0, FC_IO_DIRECT), -EIO);
	ck_assert_uint_eq(bad_content(&f), 2);
	/* After good chunks, the bytes written so far are the result. */
	ws.extra = 0;
	ws.calls = 0;
	ws.short_call = 2;
	ws.short_size = 5000;
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 3 * 4096, 0, 0), 4096);
	ck_assert_uint_eq(bad_content(&f), 3);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(WriteShortReplyStops)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct write_script ws = { .short_call = 2, .short_size = 100 };
	unsigned char data[3 * 4096];
	struct fc_mock_exp *e;
	unsigned start;

	memset(data, 'z', sizeof(data));
	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	e = expect_writes(&f, 2, &ws);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, sizeof(data), 0, 0),
			 4096 + 100);
	ck_assert_uint_eq(reqs_after(&f, start), 2);
	/* Nothing written at all: -EIO. */
	ws.calls = 0;
	ws.short_call = 1;
	ws.short_size = 0;
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 10, 0, 0), -EIO);
	ck_assert_uint_eq(bad_content(&f), 0);
	/* The daemon's error: that error, or the bytes written before it. */
	fc_mock_exp_times(e, fc_mock_exp_used(e)); /* retire the responder */
	expect_error(&f, FC_WRITE, 2, -ENOSPC, 1);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 10, 0, 0), -ENOSPC);
	ws.calls = 0;
	ws.short_call = 0;
	e = expect_writes(&f, 2, &ws);
	fc_mock_exp_times(e, 1);
	expect_error(&f, FC_WRITE, 2, -ENOSPC, 1);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, data, 2 * 4096, 0, 0), 4096);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(ReadSplitsAtMaxPages)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct file_data fd = { .size = 1 << 20, .extra = 0 };
	unsigned char *buf = malloc(300 * KIB);
	unsigned i, start;

	/* Without FUSE_MAX_PAGES: 32 pages (128 KiB) per READ. */
	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 1, 0);
	expect_reads(&f, 2, &fd);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 300 * KIB, 8192, 0), 300 * KIB);
	ck_assert_uint_eq(reqs_after(&f, start), 3);
	ck_assert_uint_eq(BODY(req_after(&f, start, 0), struct fc_read_in)->size, 128 * KIB);
	ck_assert_uint_eq(BODY(req_after(&f, start, 1), struct fc_read_in)->offset,
			  8192 + 128 * KIB);
	ck_assert_uint_eq(BODY(req_after(&f, start, 2), struct fc_read_in)->size, 44 * KIB);
	for (i = 0; i < 300 * KIB; i++)
		ck_assert_uint_eq(buf[i], (unsigned char)(8192 + i));
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);

	/* With 256 pages a READ is not bounded by max_write (128 KiB). */
	up(&f, FC_MAX_PAGES, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 1, 0);
	expect_reads(&f, 2, &fd);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 300 * KIB, 0, FC_IO_DIRECT),
			 300 * KIB);
	ck_assert_uint_eq(reqs_after(&f, start), 1);
	ck_assert_uint_eq(BODY(req_after(&f, start, 0), struct fc_read_in)->size, 300 * KIB);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
	free(buf);
}
END_TEST

START_TEST(ShortReadIsEOF)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct file_data fd = { .size = 100, .extra = 0 };
	unsigned char *buf = malloc(300 * KIB);
	unsigned start;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 1, 0);
	expect_reads(&f, 2, &fd);
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 8192, 0, 0), 100);
	ck_assert_uint_eq(reqs_after(&f, start), 1);
	/* At EOF: 0 bytes, one READ. */
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 8192, 100, 0), 0);
	/* A short reply in a later chunk stops there. */
	fd.size = 128 * KIB + 1000;
	start = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 300 * KIB, 0, FC_IO_DIRECT),
			 128 * KIB + 1000);
	ck_assert_uint_eq(reqs_after(&f, start), 2);
	/* A reply longer than asked is a protocol error. */
	fd.extra = 1;
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 10, 0, 0), -EIO);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
	free(buf);
}
END_TEST

START_TEST(ReadErrorAfterData)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	unsigned char *buf = malloc(200 * KIB);
	unsigned char *chunk = calloc(1, 128 * KIB);

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 1, 0);
	expect_reply(&f, FC_READ, 2, chunk, 128 * KIB, 1);
	expect_error(&f, FC_READ, 2, -EIO, 2);
	/* The bytes so far win over a later error (fuse_direct_io). */
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 200 * KIB, 0, FC_IO_DIRECT),
			 128 * KIB);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 10, 0, 0), -EIO);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
	free(buf);
	free(chunk);
}
END_TEST

START_TEST(IoOnStaleNodeIsESTALE)
{
	struct fixture f;
	struct fc_node *node, *fresh;
	struct fc_open_ctx *of;
	char buf[8];
	unsigned before;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	/* Same nodeid, new generation: the old node is stale. */
	fresh = fixture_lookup(&f, "g", 2, 2, REG);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_read(f.cl, &f.who, of, buf, 8, 0, 0), -ESTALE);
	ck_assert_int_eq(fc_write(f.cl, &f.who, of, buf, 8, 0, 0), -ESTALE);
	ck_assert_int_eq(fc_flush(f.cl, &f.who, of), -ESTALE);
	ck_assert_int_eq(fc_fsync(f.cl, &f.who, of, 0), -ESTALE);
	ck_assert_uint_eq(reqs_after(&f, before), 0);
	/* The handle is still given back. */
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RELEASE), 1);
	fc_node_put(f.cl, fresh);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

/* ---- LSEEK, FALLOCATE, COPY_FILE_RANGE, POLL, IOCTL ------------------------ */

START_TEST(LseekFieldsAndEnosys)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_lseek_out lo = { .offset = 8192 };
	const struct fc_lseek_in *li;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 0x21, 0);
	expect_reply(&f, FC_LSEEK, 2, &lo, sizeof(lo), 1);
	ck_assert_int_eq(fc_lseek(f.cl, &f.who, of, 100, 3), 8192);
	li = BODY(fixture_last(&f, FC_LSEEK), struct fc_lseek_in);
	ck_assert_uint_eq(li->fh, 0x21);
	ck_assert_uint_eq(li->offset, 100);
	ck_assert_uint_eq(li->whence, 3);
	expect_error(&f, FC_LSEEK, 2, -ENXIO, 1);
	ck_assert_int_eq(fc_lseek(f.cl, &f.who, of, 1 << 20, 4), -ENXIO);
	/* Only SEEK_DATA / SEEK_HOLE travel. */
	ck_assert_int_eq(fc_lseek(f.cl, &f.who, of, 0, 0), -EINVAL);
	expect_error(&f, FC_LSEEK, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_lseek(f.cl, &f.who, of, 0, 4), -ENOSYS);
	ck_assert_int_eq(fc_lseek(f.cl, &f.who, of, 0, 3), -ENOSYS);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_LSEEK), 3);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(FallocateFieldsAndEnosys)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	const struct fc_fallocate_in *fi;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x31, 0);
	expect(&f, FC_FALLOCATE, 2, 1);
	ck_assert_int_eq(fc_fallocate(f.cl, &f.who, of, 0x03, 4096, 8192), 0);
	fi = BODY(fixture_last(&f, FC_FALLOCATE), struct fc_fallocate_in);
	ck_assert_uint_eq(fi->fh, 0x31);
	ck_assert_uint_eq(fi->offset, 4096);
	ck_assert_uint_eq(fi->length, 8192);
	ck_assert_uint_eq(fi->mode, 0x03);
	/* Modes FUSE does not pass on: EOPNOTSUPP without a request. */
	ck_assert_int_eq(fc_fallocate(f.cl, &f.who, of, 0x08, 0, 1), -EOPNOTSUPP);
	/* EOPNOTSUPP from the daemon is not cached. */
	expect_error(&f, FC_FALLOCATE, 2, -EOPNOTSUPP, 1);
	ck_assert_int_eq(fc_fallocate(f.cl, &f.who, of, 0, 0, 1), -EOPNOTSUPP);
	expect_error(&f, FC_FALLOCATE, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_fallocate(f.cl, &f.who, of, 0, 0, 1), -EOPNOTSUPP);
	ck_assert_int_eq(fc_fallocate(f.cl, &f.who, of, 0, 0, 1), -EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FALLOCATE), 3);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(CopyFileRangeFieldsAndEnosys)
{
	struct fixture f;
	struct fc_node *n1, *n2;
	struct fc_open_ctx *in, *out;
	struct fc_write_out wo = { .size = 4000 };
	const struct fc_mock_req *r;
	const struct fc_copy_file_range_in *ci;

	up(&f, 0, 0);
	in = open_file(&f, &n1, FC_O_RDONLY, 0x41, 0);
	n2 = fixture_lookup(&f, "g", 3, 1, REG);
	expect_open_times(&f, FC_OPEN, 3, 0x42, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, n2, FC_O_WRONLY, &out), 0);

	expect_reply(&f, FC_COPY_FILE_RANGE, 2, &wo, sizeof(wo), 1);
	ck_assert_int_eq(fc_copy_file_range(f.cl, &f.who, in, 10, out, 20, 5000, 0),
			 4000);
	r = fixture_last(&f, FC_COPY_FILE_RANGE);
	ci = BODY(r, struct fc_copy_file_range_in);
	ck_assert_uint_eq(r->hdr.nodeid, 2);
	ck_assert_uint_eq(ci->fh_in, 0x41);
	ck_assert_uint_eq(ci->off_in, 10);
	ck_assert_uint_eq(ci->nodeid_out, 3);
	ck_assert_uint_eq(ci->fh_out, 0x42);
	ck_assert_uint_eq(ci->off_out, 20);
	ck_assert_uint_eq(ci->len, 5000);
	ck_assert_uint_eq(ci->flags, 0);
	/* More than asked: EIO. */
	wo.size = 5001;
	expect_reply(&f, FC_COPY_FILE_RANGE, 2, &wo, sizeof(wo), 1);
	ck_assert_int_eq(fc_copy_file_range(f.cl, &f.who, in, 0, out, 0, 5000, 0), -EIO);
	ck_assert_uint_eq(bad_content(&f), 1);
	/* ENOSYS: EOPNOTSUPP, once. */
	expect_error(&f, FC_COPY_FILE_RANGE, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_copy_file_range(f.cl, &f.who, in, 0, out, 0, 10, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(fc_copy_file_range(f.cl, &f.who, in, 0, out, 0, 10, 0),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_COPY_FILE_RANGE), 3);
	expect(&f, FC_RELEASE, FC_MOCK_ANY_NODEID, 2);
	release(&f, in);
	release(&f, out);
	fc_node_put(f.cl, n1);
	fc_node_put(f.cl, n2);
	fixture_down(&f);
}
END_TEST

START_TEST(PollFieldsAndEnosys)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_poll_out po = { .revents = 0x1 };
	const struct fc_poll_in *pi;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDONLY, 0x51, 0);
	expect_reply(&f, FC_POLL, 2, &po, sizeof(po), 2);
	ck_assert_int_eq(fc_poll(f.cl, &f.who, of, 0, 0x5), 0x1);
	pi = BODY(fixture_last(&f, FC_POLL), struct fc_poll_in);
	ck_assert_uint_eq(pi->fh, 0x51);
	ck_assert_uint_eq(pi->kh, 0);
	ck_assert_uint_eq(pi->flags, 0);
	ck_assert_uint_eq(pi->events, 0x5);
	ck_assert_int_eq(fc_poll(f.cl, &f.who, of, 0xabc, 0x4), 0x1);
	pi = BODY(fixture_last(&f, FC_POLL), struct fc_poll_in);
	ck_assert_uint_eq(pi->kh, 0xabc);
	ck_assert_uint_eq(pi->flags, FC_POLL_SCHEDULE_NOTIFY);
	expect_error(&f, FC_POLL, 2, -ENOSYS, 1);
	ck_assert_int_eq(fc_poll(f.cl, &f.who, of, 0, 0x1), 0x145);
	ck_assert_int_eq(fc_poll(f.cl, &f.who, of, 0, 0x1), 0x145);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_POLL), 3);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

struct ioctl_reply {
	int32_t result;
	uint32_t flags;
	uint32_t out_len;
	unsigned char data[64];
};

static void respond_ioctl(struct fc_mock *m, struct fc_mock_exp *exp,
			  const struct fc_mock_req *r, void *ctx)
{
	const struct ioctl_reply *ir = ctx;
	unsigned char buf[sizeof(struct fc_ioctl_out) + 64];
	struct fc_ioctl_out io;

	memset(&io, 0, sizeof(io));
	io.result = ir->result;
	io.flags = ir->flags;
	memcpy(buf, &io, sizeof(io));
	memcpy(buf + sizeof(io), ir->data, ir->out_len);
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, buf,
			    sizeof(io) + ir->out_len);
}

START_TEST(IoctlRestricted)
{
	struct fixture f;
	struct fc_node *node, *dir;
	struct fc_open_ctx *of, *d;
	struct ioctl_reply ir = { .result = 7, .flags = 0, .out_len = 4,
				  .data = { 1, 2, 3, 4 } };
	const struct fc_mock_req *r;
	const struct fc_ioctl_in *ii;
	unsigned char out[8];
	uint32_t out_len = 99;
	struct fc_mock_exp *e;

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x61, 0);
	e = expect(&f, FC_IOCTL, FC_MOCK_ANY_NODEID, FC_MOCK_UNLIMITED);
	fc_mock_exp_respond(e, respond_ioctl, &ir);
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, of, 0xc0045401, 0x1000, "abcd", 4,
				  out, sizeof(out), &out_len), 7);
	ck_assert_uint_eq(out_len, 4);
	ck_assert_int_eq(memcmp(out, "\1\2\3\4", 4), 0);
	r = fixture_last(&f, FC_IOCTL);
	ii = BODY(r, struct fc_ioctl_in);
	ck_assert_uint_eq(ii->fh, 0x61);
	ck_assert_uint_eq(ii->flags, 0);
	ck_assert_uint_eq(ii->cmd, 0xc0045401);
	ck_assert_uint_eq(ii->arg, 0x1000);
	ck_assert_uint_eq(ii->in_size, 4);
	ck_assert_uint_eq(ii->out_size, 8);
	ck_assert_uint_eq(r->body_len, sizeof(*ii) + 4);
	ck_assert_int_eq(memcmp((const char *)r->body + sizeof(*ii), "abcd", 4), 0);

	/* More out data than the caller has room for: EIO. */
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, of, 1, 0, NULL, 0, out, 2, &out_len),
			 -EIO);
	/* A restricted ioctl cannot be retried. */
	ir.flags = FC_IOCTL_RETRY;
	ir.out_len = 0;
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, of, 1, 0, NULL, 0, out, 8, &out_len),
			 -EIO);
	/* ENOSYS (as error or result) is ENOTTY, and not cached. */
	ir.flags = 0;
	ir.result = -ENOSYS;
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, of, 1, 0, NULL, 0, NULL, 0, NULL),
			 -ENOTTY);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_IOCTL), 4);

	/* A directory ioctl carries FUSE_IOCTL_DIR. */
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	expect_open_times(&f, FC_OPENDIR, 3, 0x62, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &d), 0);
	ir.result = 0;
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, d, 2, 0, NULL, 0, NULL, 0, NULL), 0);
	ii = BODY(fixture_last(&f, FC_IOCTL), struct fc_ioctl_in);
	ck_assert_uint_eq(ii->flags, FC_IOCTL_DIR);
	ck_assert_uint_eq(ii->fh, 0x62);
	/* Beyond max_pages pages: ENOMEM, nothing sent. */
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, of, 1, 0, NULL, 33 * 4096, NULL, 0,
				  NULL), -ENOMEM);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_IOCTL), 5);

	expect(&f, FC_RELEASE, 2, 1);
	expect(&f, FC_RELEASEDIR, 3, 1);
	release(&f, of);
	release(&f, d);
	fc_node_put(f.cl, node);
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

START_TEST(IoctlDirNeedsMinor18)
{
	struct fixture f;
	struct fc_node *dir;
	struct fc_open_ctx *d;

	up(&f, 0, 17);
	dir = fixture_lookup(&f, "d", 3, 1, DIR_);
	expect_open_times(&f, FC_OPENDIR, 3, 0x62, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &d), 0);
	ck_assert_int_eq(fc_ioctl(f.cl, &f.who, d, 2, 0, NULL, 0, NULL, 0, NULL),
			 -ENOTTY);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_IOCTL), 0);
	expect(&f, FC_RELEASEDIR, 3, 1);
	release(&f, d);
	fc_node_put(f.cl, dir);
	fixture_down(&f);
}
END_TEST

/* ---- locks ------------------------------------------------------------------- */

START_TEST(GetlkRequestAndReplyValidation)
{
	static const struct fc_file_lock bad[] = {
		{ .start = (uint64_t)INT64_MAX + 1, .end = (uint64_t)INT64_MAX + 2,
		  .type = FC_F_WRLCK },
		{ .start = 0, .end = (uint64_t)INT64_MAX + 1, .type = FC_F_RDLCK },
		{ .start = 10, .end = 9, .type = FC_F_WRLCK },
		{ .start = 0, .end = 10, .type = 7 },
		{ .start = 0, .end = 10, .type = 3 },
	};
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_lk_out lo;
	struct fc_lock lk;
	const struct fc_mock_req *r;
	const struct fc_lk_in *li;
	unsigned i;

	up(&f, FC_POSIX_LOCKS, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x71, 0);

	/* A conflicting lock comes back. */
	memset(&lo, 0, sizeof(lo));
	lo.lk.start = 5;
	lo.lk.end = 15;
	lo.lk.type = FC_F_RDLCK;
	lo.lk.pid = 99;
	expect_reply(&f, FC_GETLK, 2, &lo, sizeof(lo), 1);
	lk.type = FC_F_WRLCK;
	lk.start = 10;
	lk.end = 19;
	lk.pid = 0;
	ck_assert_int_eq(fc_getlk(f.cl, &f.who, of, 0xfeed, &lk), 0);
	ck_assert_uint_eq(lk.type, FC_F_RDLCK);
	ck_assert_uint_eq(lk.start, 5);
	ck_assert_uint_eq(lk.end, 15);
	ck_assert_uint_eq(lk.pid, 99);
	r = fixture_last(&f, FC_GETLK);
	li = BODY(r, struct fc_lk_in);
	ck_assert_uint_eq(r->body_len, sizeof(*li));
	ck_assert_uint_eq(li->fh, 0x71);
	ck_assert_uint_eq(li->owner, 0xfeed);
	ck_assert_uint_eq(li->lk.start, 10);
	ck_assert_uint_eq(li->lk.end, 19);
	ck_assert_uint_eq(li->lk.type, FC_F_WRLCK);
	ck_assert_uint_eq(li->lk.pid, 0); /* fuse_getlk passes no pid */
	ck_assert_uint_eq(li->lk_flags, 0);
	ck_assert_uint_eq(r->hdr.pid, 4242);

	/* F_UNLCK: only the type changes, whatever the range says. */
	memset(&lo, 0, sizeof(lo));
	lo.lk.type = FC_F_UNLCK;
	lo.lk.start = 30;
	lo.lk.end = 3;
	expect_reply(&f, FC_GETLK, 2, &lo, sizeof(lo), 1);
	lk.type = FC_F_WRLCK;
	lk.start = 10;
	lk.end = 19;
	ck_assert_int_eq(fc_getlk(f.cl, &f.who, of, 0xfeed, &lk), 0);
	ck_assert_uint_eq(lk.type, FC_F_UNLCK);
	ck_assert_uint_eq(lk.start, 10);
	ck_assert_uint_eq(lk.end, 19);

	/* convert_fuse_file_lock: bad ranges and types are EIO. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&lo, 0, sizeof(lo));
		lo.lk = bad[i];
		expect_reply(&f, FC_GETLK, 2, &lo, sizeof(lo), 1);
		lk.type = FC_F_RDLCK;
		lk.start = 0;
		lk.end = 1;
		ck_assert_int_eq(fc_getlk(f.cl, &f.who, of, 1, &lk), -EIO);
		ck_assert_uint_eq(lk.type, FC_F_RDLCK);
		ck_assert_uint_eq(lk.end, 1);
	}
	ck_assert_uint_eq(bad_content(&f), sizeof(bad) / sizeof(bad[0]));
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(SetlkRequestFields)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_lock lk = { .type = FC_F_WRLCK, .start = 0, .end = 10, .pid = 0 };
	const struct fc_mock_req *r;
	const struct fc_lk_in *li;

	up(&f, FC_POSIX_LOCKS, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x72, 0);
	expect(&f, FC_SETLK, 2, 1);
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 0xbeef, &lk, 0), 0);
	r = fixture_last(&f, FC_SETLK);
	li = BODY(r, struct fc_lk_in);
	ck_assert_uint_eq(li->fh, 0x72);
	ck_assert_uint_eq(li->owner, 0xbeef);
	ck_assert_uint_eq(li->lk.start, 0);
	ck_assert_uint_eq(li->lk.end, 10);
	ck_assert_uint_eq(li->lk.type, FC_F_WRLCK);
	ck_assert_uint_eq(li->lk.pid, 4242);
	ck_assert_uint_eq(li->lk_flags, 0);

	/* F_SETLKW; the daemon's answer goes to the caller. */
	expect_error(&f, FC_SETLKW, 2, -EDEADLK, 1);
	lk.type = FC_F_RDLCK;
	lk.end = FC_OFFSET_MAX;
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 0xbeef, &lk, 1), -EDEADLK);
	li = BODY(fixture_last(&f, FC_SETLKW), struct fc_lk_in);
	ck_assert_uint_eq(li->lk.end, (uint64_t)INT64_MAX);
	ck_assert_uint_eq(li->lk.type, FC_F_RDLCK);

	/* An unlock carries no pid (fuse_setlk). */
	expect_error(&f, FC_SETLK, 2, -EAGAIN, 1);
	lk.type = FC_F_UNLCK;
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 0xbeef, &lk, 0), -EAGAIN);
	li = BODY(fixture_last(&f, FC_SETLK), struct fc_lk_in);
	ck_assert_uint_eq(li->lk.type, FC_F_UNLCK);
	ck_assert_uint_eq(li->lk.pid, 0);

	/* Bad locks never reach the daemon. */
	lk.type = 5;
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 1, &lk, 0), -EINVAL);
	lk.type = FC_F_WRLCK;
	lk.start = 20;
	lk.end = 10;
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 1, &lk, 0), -EINVAL);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_SETLK) +
			  fc_mock_count(f.mock, FC_SETLKW), 3);
	/* No flock was used: RELEASE has no FLOCK_UNLOCK. */
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->release_flags, 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(FlockRequestFields)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of, *of2;
	const struct fc_mock_req *r;
	const struct fc_lk_in *li;
	uint64_t owner, owner2;

	up(&f, FC_POSIX_LOCKS | FC_FLOCK_LOCKS, 0);
	of = open_file(&f, &node, FC_O_RDWR, 0x81, 0);
	expect_open_times(&f, FC_OPEN, 2, 0x82, 0, 1);
	ck_assert_int_eq(fc_open(f.cl, &f.who, node, FC_O_RDONLY, &of2), 0);
	owner = fc_open_flock_owner(of);
	owner2 = fc_open_flock_owner(of2);
	/* One id per open file, never a small integer. */
	ck_assert_uint_ne(owner, owner2);
	ck_assert_uint_gt(owner, 0xffffffffu);
	ck_assert_uint_gt(owner2, 0xffffffffu);

	expect(&f, FC_SETLKW, 2, 1);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, FC_LOCK_EX), 0);
	r = fixture_last(&f, FC_SETLKW);
	li = BODY(r, struct fc_lk_in);
	ck_assert_uint_eq(li->fh, 0x81);
	ck_assert_uint_eq(li->owner, owner);
	ck_assert_uint_eq(li->lk.start, 0);
	ck_assert_uint_eq(li->lk.end, (uint64_t)INT64_MAX);
	ck_assert_uint_eq(li->lk.type, FC_F_WRLCK);
	ck_assert_uint_eq(li->lk.pid, 4242);
	ck_assert_uint_eq(li->lk_flags, FC_LK_FLOCK);
	ck_assert_uint_eq(r->hdr.pid, 4242);

	expect_error(&f, FC_SETLK, 2, -EAGAIN, 1);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of2, FC_LOCK_SH | FC_LOCK_NB), -EAGAIN);
	li = BODY(fixture_last(&f, FC_SETLK), struct fc_lk_in);
	ck_assert_uint_eq(li->owner, owner2);
	ck_assert_uint_eq(li->lk.type, FC_F_RDLCK);
	ck_assert_uint_eq(li->lk_flags, FC_LK_FLOCK);

	/* LOCK_UN without LOCK_NB: SETLKW, F_UNLCK, no pid. */
	expect(&f, FC_SETLKW, 2, 1);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, FC_LOCK_UN), 0);
	li = BODY(fixture_last(&f, FC_SETLKW), struct fc_lk_in);
	ck_assert_uint_eq(li->lk.type, FC_F_UNLCK);
	ck_assert_uint_eq(li->lk.pid, 0);
	ck_assert_uint_eq(li->owner, owner);

	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, FC_LOCK_SH | FC_LOCK_EX), -EINVAL);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, 0), -EINVAL);

	/* Both files used flock: both RELEASEs unlock with their own owner. */
	expect(&f, FC_RELEASE, 2, 2);
	release(&f, of);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->lock_owner,
			  owner);
	release(&f, of2);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->lock_owner,
			  owner2);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->release_flags,
			  FC_RELEASE_FLOCK_UNLOCK);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

START_TEST(LocksNotNegotiatedStayLocal)
{
	struct fixture f;
	struct fc_node *node;
	struct fc_open_ctx *of;
	struct fc_lock lk = { .type = FC_F_WRLCK, .start = 0, .end = 1, .pid = 0 };

	/* POSIX locks granted, flock not (minor >= 17 has a flag of its own). */
	up(&f, FC_POSIX_LOCKS, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	ck_assert_int_eq(fc_flock(f.cl, &f.who, of, FC_LOCK_EX), -ENOLCK);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	ck_assert_uint_eq(BODY(fixture_last(&f, FC_RELEASE), struct fc_release_in)->release_flags, 0);
	fc_node_put(f.cl, node);
	fixture_down(&f);

	up(&f, 0, 0);
	of = open_file(&f, &node, FC_O_RDWR, 1, 0);
	ck_assert_int_eq(fc_getlk(f.cl, &f.who, of, 1, &lk), -ENOLCK);
	ck_assert_int_eq(fc_setlk(f.cl, &f.who, of, 1, &lk, 1), -ENOLCK);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_GETLK) + fc_mock_count(f.mock, FC_SETLK) +
			  fc_mock_count(f.mock, FC_SETLKW), 0);
	expect(&f, FC_RELEASE, 2, 1);
	release(&f, of);
	fc_node_put(f.cl, node);
	fixture_down(&f);
}
END_TEST

/* ---- suite ------------------------------------------------------------------- */

static Suite *file_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("file");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, InitRequestsLinuxNoOpenSupport);
	tcase_add_test(tc, OpenReturnsZeroFhIsValid);
	tcase_add_test(tc, ClientFreeWaitsForRelease);
	tcase_add_test(tc, NoOpenFsyncUsesZeroFh);
	tcase_add_test(tc, NoOpendirKeepsCacheDir);
	tcase_add_test(tc, ReleaseSkippedOnceOpenIsEnosys);
	tcase_add_loop_test(tc, OpenFlagsMatchLinuxMask, 0, 4);
	tcase_add_test(tc, OpendirFlagsAndReleasedir);
	tcase_add_test(tc, FopenFlagsHonoured);
	tcase_add_test(tc, OpenPassthroughIsEIO);
	tcase_add_test(tc, OpenErrors);
	tcase_add_test(tc, CreateExclDropsTrunc);
	tcase_add_test(tc, CreateDontMaskKeepsMode);
	tcase_add_test(tc, CreateReplyNotRegularIsEIO);
	tcase_add_test(tc, CreateEnosysFallsBackToMknodOpen);
	tcase_add_test(tc, FlushFieldsAndEnosysCached);
	tcase_add_test(tc, FlushErrorReachesCaller);
	tcase_add_test(tc, ReleaseCarriesLinuxFlags);
	tcase_add_test(tc, ReleaseAfterFlockUnlocks);
	tcase_add_test(tc, ReleaseWhenDaemonGone);
	tcase_add_test(tc, FsyncFieldsAndEnosysCached);
	tcase_add_test(tc, ReadWriteFieldsBufferedVsDirect);
	tcase_add_test(tc, WriteSplitsAtMaxWrite);
	tcase_add_test(tc, WriteMaxPagesBoundsWrites);
	tcase_add_test(tc, WithoutBigWritesOnePagePerWrite);
	tcase_add_test(tc, WriteReplyLargerThanSentIsEIO);
	tcase_add_test(tc, WriteShortReplyStops);
	tcase_add_test(tc, ReadSplitsAtMaxPages);
	tcase_add_test(tc, ShortReadIsEOF);
	tcase_add_test(tc, ReadErrorAfterData);
	tcase_add_test(tc, IoOnStaleNodeIsESTALE);
	tcase_add_test(tc, LseekFieldsAndEnosys);
	tcase_add_test(tc, FallocateFieldsAndEnosys);
	tcase_add_test(tc, CopyFileRangeFieldsAndEnosys);
	tcase_add_test(tc, PollFieldsAndEnosys);
	tcase_add_test(tc, IoctlRestricted);
	tcase_add_test(tc, IoctlDirNeedsMinor18);
	tcase_add_test(tc, GetlkRequestAndReplyValidation);
	tcase_add_test(tc, SetlkRequestFields);
	tcase_add_test(tc, FlockRequestFields);
	tcase_add_test(tc, LocksNotNegotiatedStayLocal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(file_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
