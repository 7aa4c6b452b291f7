/*
 * Tests of the names-and-directories part of the FUSE client (src/protocol/
 * dir.c, with the node table of inode.c underneath): LOOKUP and lookup
 * counting, stale nodes, FORGET balance, the create-type calls, LINK,
 * UNLINK/RMDIR, RENAME/RENAME2, READLINK and READDIR(PLUS).
 *
 * In the manner of FreeBSD's fusefs tests: each test scripts the mock
 * daemon's answers, makes the call, and checks both what the caller got
 * and the request exactly as the daemon read it.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "protocol/client_i.h"

#define DT_DIR_ 4
#define DT_REG_ 8

/* ---- helpers ----------------------------------------------------------------- */

/* Expect @op in @parent answered with an entry (timeouts 1 s). */
static struct fc_mock_exp *expect_entry(struct fixture *f, uint32_t op,
					uint64_t parent, uint64_t nodeid,
					uint64_t gen, uint32_t mode)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, parent);
	struct fc_entry_out eo;

	fc_mock_entry_out(&eo, nodeid, gen, mode);
	eo.entry_valid = 1;
	eo.attr_valid = 1;
	ck_assert_int_eq(fc_mock_exp_reply(e, &eo, sizeof(eo)), 0);
	return e;
}

static struct fc_mock_exp *expect_raw_entry(struct fixture *f, uint32_t op,
					    uint64_t parent,
					    const struct fc_entry_out *eo)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, parent);

	ck_assert_int_eq(fc_mock_exp_reply(e, eo, sizeof(*eo)), 0);
	return e;
}

static struct fc_mock_exp *expect_error(struct fixture *f, uint32_t op,
					uint64_t nodeid, int error)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, nodeid);

	fc_mock_exp_error(e, error);
	return e;
}

/* FORGET and BATCH_FORGET take no answer: just let them be recorded. */
static void expect_forgets(struct fixture *f)
{
	fc_mock_exp_times(fc_mock_expect(f->mock, FC_FORGET, FC_MOCK_ANY_NODEID),
			  FC_MOCK_UNLIMITED);
	fc_mock_exp_times(fc_mock_expect(f->mock, FC_BATCH_FORGET, 0),
			  FC_MOCK_UNLIMITED);
}

/*
 * The lookups returned for @nodeid by every FORGET and BATCH_FORGET the
 * daemon read, after checking each message's layout.
 */
static uint64_t forgotten(struct fixture *f, uint64_t nodeid)
{
	unsigned i, n;
	uint64_t sum = 0;

	fc_mock_pump(f->mock); /* forgets take no reply: read what is queued */
	n = fc_mock_nrecorded(f->mock);
	for (i = 0; i < n; i++) {
		const struct fc_mock_req *r = fc_mock_recorded(f->mock, i);

		if (r->hdr.opcode == FC_FORGET) {
			struct fc_forget_in fi;

			ck_assert_uint_eq(r->body_len, sizeof(fi));
			ck_assert_uint_eq(r->hdr.uid, 0);
			ck_assert_uint_eq(r->hdr.pid, 0);
			memcpy(&fi, r->body, sizeof(fi));
			if (r->hdr.nodeid == nodeid)
				sum += fi.nlookup;
		} else if (r->hdr.opcode == FC_BATCH_FORGET) {
			struct fc_batch_forget_in bi;
			const unsigned char *p = r->body;
			uint32_t k;

			ck_assert_uint_eq(r->hdr.nodeid, 0);
			ck_assert_uint_ge(r->body_len, sizeof(bi));
			memcpy(&bi, p, sizeof(bi));
			ck_assert_uint_ge(bi.count, 2);
			ck_assert_uint_eq(r->body_len, sizeof(bi) +
					  bi.count * sizeof(struct fc_forget_one));
			for (k = 0; k < bi.count; k++) {
				struct fc_forget_one one;

				memcpy(&one, p + sizeof(bi) + k * sizeof(one),
				       sizeof(one));
				if (one.nodeid == nodeid)
					sum += one.nlookup;
			}
		}
	}
	return sum;
}

/* The body of @r must be exactly the @len bytes at @want. */
static void body_is(const struct fc_mock_req *r, const void *want, size_t len)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->body_len, len);
	ck_assert_mem_eq(r->body, want, len);
}

/* The request carries the fixture caller's credentials. */
static void creds_are_caller(const struct fc_mock_req *r)
{
	ck_assert_uint_eq(r->hdr.uid, 1000);
	ck_assert_uint_eq(r->hdr.gid, 1000);
	ck_assert_uint_eq(r->hdr.pid, 4242);
}

static uint64_t bad_content(struct fixture *f)
{
	struct fc_conn_stats st;

	fc_conn_stats(f->conn, &st);
	return st.bad_content;
}

static struct fc_node *root(struct fixture *f)
{
	return fc_client_root(f->cl);
}

/* A directory below the root, looked up (nlookup 1). */
static struct fc_node *subdir(struct fixture *f, const char *name,
			      uint64_t nodeid)
{
	return fixture_lookup(f, name, nodeid, 1, FC_S_IFDIR | 0755);
}

/*
 * An open directory as fc_open() leaves it after OPENDIR (fh and the
 * f_flags opendir(3) gives); built by hand so that these tests depend on
 * dir.c only.
 */
static void dir_ctx(struct fc_open_ctx *of, struct fc_node *dir, uint64_t fh)
{
	memset(of, 0, sizeof(*of));
	of->node = dir;
	of->fh = fh;
	of->sent_flags = of->file_flags = FC_O_RDONLY | FC_O_NONBLOCK |
					  FC_O_LARGEFILE | FC_O_DIRECTORY;
	of->is_dir = 1;
}

/* ---- directory buffers ----------------------------------------------------------- */

struct dbuf {
	unsigned char b[16384];
	size_t len;
};

/* A READDIR record; @namelen may lie about @name (whose @copy bytes go in). */
static void add_raw_dirent(struct dbuf *d, uint64_t ino, uint64_t off,
			   uint32_t type, uint32_t namelen, const char *name,
			   size_t copy, size_t reclen)
{
	struct fc_dirent de;

	memset(&de, 0, sizeof(de));
	de.ino = ino;
	de.off = off;
	de.namelen = namelen;
	de.type = type;
	ck_assert_uint_le(d->len + reclen, sizeof(d->b));
	memset(d->b + d->len, 0, reclen);
	memcpy(d->b + d->len, &de, FC_NAME_OFFSET);
	memcpy(d->b + d->len + FC_NAME_OFFSET, name, copy);
	d->len += reclen;
}

static void add_dirent(struct dbuf *d, uint64_t ino, uint64_t off,
		       uint32_t type, const char *name)
{
	size_t n = strlen(name);

	add_raw_dirent(d, ino, off, type, (uint32_t)n, name, n,
		       FC_DIRENT_ALIGN(FC_NAME_OFFSET + n));
}

static void add_direntplus(struct dbuf *d, uint64_t nodeid, uint64_t gen,
			   uint32_t mode, uint64_t off, const char *name)
{
	size_t n = strlen(name);
	size_t reclen = FC_DIRENT_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + n);
	struct fc_entry_out eo;
	struct fc_dirent de;

	fc_mock_entry_out(&eo, nodeid, gen, mode);
	eo.entry_valid = 1;
	eo.attr_valid = 1;
	if (!nodeid)
		memset(&eo, 0, sizeof(eo));
	memset(&de, 0, sizeof(de));
	de.ino = nodeid ? nodeid : 99;
	de.off = off;
	de.namelen = (uint32_t)n;
	de.type = (mode & FC_S_IFMT) >> 12;
	ck_assert_uint_le(d->len + reclen, sizeof(d->b));
	memset(d->b + d->len, 0, reclen);
	memcpy(d->b + d->len, &eo, sizeof(eo));
	memcpy(d->b + d->len + sizeof(eo), &de, FC_NAME_OFFSET);
	memcpy(d->b + d->len + FC_NAME_OFFSET_DIRENTPLUS, name, n);
	d->len += reclen;
}

static struct fc_mock_exp *expect_dir(struct fixture *f, uint32_t op,
				      uint64_t nodeid, const struct dbuf *d)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, nodeid);

	ck_assert_int_eq(fc_mock_exp_reply(e, d->b, d->len), 0);
	return e;
}

/* What the readdir callback saw. */
struct seen {
	unsigned n;
	unsigned stop_at; /* 1-based call that returns "stop"; 0: never */
	struct {
		uint64_t ino, off;
		uint32_t type;
		char name[64];
		struct fc_node *node;
	} e[16];
};

static int collect(void *ctx, const struct fc_dir_entry *d)
{
	struct seen *s = ctx;
	unsigned i = s->n++;

	ck_assert_uint_lt(i, 16);
	s->e[i].ino = d->ino;
	s->e[i].off = d->off;
	s->e[i].type = d->type;
	ck_assert_uint_lt(d->namelen, sizeof(s->e[i].name));
	memcpy(s->e[i].name, d->name, d->namelen);
	s->e[i].name[d->namelen] = 0;
	s->e[i].node = d->entry.node;
	return s->stop_at && s->n == s->stop_at;
}

/* Just the name length of the single entry. */
static int collect_len(void *ctx, const struct fc_dir_entry *d)
{
	*(unsigned *)ctx = d->namelen;
	return 0;
}

static void seen_put(struct fixture *f, struct seen *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		fc_node_put(f->cl, s->e[i].node);
}

/* ---- LOOKUP ------------------------------------------------------------------- */

START_TEST(test_lookup_positive)
{
	struct fixture f;
	struct fc_entry e1, e2;
	struct fc_mock_exp *x;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	x = fixture_expect_lookup(&f, FC_ROOT_ID, "foo", 10, 3, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "foo", 3, &e1), 0);
	ck_assert_ptr_nonnull(e1.node);
	ck_assert_uint_eq(fc_node_id(e1.node), 10);
	ck_assert_uint_eq(fc_node_generation(e1.node), 3);
	ck_assert_uint_eq(fc_node_nlookup(e1.node), 1);
	ck_assert_uint_ne(e1.entry_deadline, 0);
	ck_assert_uint_ne(e1.attr_deadline, 0);
	ck_assert_uint_eq(fc_node_attr(e1.node)->mode, FC_S_IFREG | 0644);

	/* LOOKUP(parent 1, "foo\0") with the caller's credentials. */
	ck_assert_uint_eq(fc_mock_exp_used(x), 1);
	ck_assert_uint_eq(fc_mock_exp_last(x)->hdr.nodeid, FC_ROOT_ID);
	creds_are_caller(fc_mock_exp_last(x));
	body_is(fc_mock_exp_last(x), "foo", 4);

	/* The same nodeid again: the same node, one more lookup. */
	fixture_expect_lookup(&f, FC_ROOT_ID, "foo", 10, 3, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "foo", 3, &e2), 0);
	ck_assert_ptr_eq(e2.node, e1.node);
	ck_assert_uint_eq(fc_node_nlookup(e1.node), 2);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 2);

	/* Both references gone: one FORGET returns both lookups. */
	fc_node_put(f.cl, e2.node);
	ck_assert_uint_eq(forgotten(&f, 10), 0);
	fc_node_put(f.cl, e1.node);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 10), 2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FORGET), 1);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_name_not_nul_terminated_by_caller)
{
	struct fixture f;
	struct fc_entry e;
	struct fc_mock_exp *x;

	/* The caller's name is a counted string: only @namelen bytes go. */
	fixture_up(&f, 0, 0);
	x = fixture_expect_lookup(&f, FC_ROOT_ID, "ab", 10, 1, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "abcdef", 2, &e), 0);
	body_is(fc_mock_exp_last(x), "ab", 3);
	fc_node_put(f.cl, e.node);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_negative_entry)
{
	struct fixture f;
	struct fc_entry_out eo;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	/* nodeid 0: ENOENT, cached for entry_valid (fuse_lookup). */
	memset(&eo, 0, sizeof(eo));
	eo.entry_valid = 5;
	expect_raw_entry(&f, FC_LOOKUP, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "nope", 4, &e), -ENOENT);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_ne(e.entry_deadline, 0);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);

	/* A daemon's ENOENT: negative, but not cached. */
	expect_error(&f, FC_LOOKUP, FC_ROOT_ID, -ENOENT);
	e.entry_deadline = 12345;
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "nope", 4, &e), -ENOENT);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(e.entry_deadline, 0);

	/* Other errors pass through. */
	expect_error(&f, FC_LOOKUP, FC_ROOT_ID, -EACCES);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "nope", 4, &e), -EACCES);
	ck_assert_uint_eq(bad_content(&f), 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_name_too_long)
{
	struct fixture f;
	struct fc_entry e;
	uint32_t max;
	char *name;
	unsigned before;

	fixture_up(&f, 0, 0);
	max = fc_conn_info(f.conn)->name_max;
	ck_assert_uint_eq(max, FC_NAME_MAX); /* max_pages 32 > 1 */
	name = malloc(max + 1);
	memset(name, 'x', max + 1);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), name, max + 1, &e),
			 -ENAMETOOLONG);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);

	/* Exactly name_max is sent. */
	expect_error(&f, FC_LOOKUP, FC_ROOT_ID, -ENOENT);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), name, max, &e), -ENOENT);
	ck_assert_uint_eq(fixture_last(&f, FC_LOOKUP)->body_len, max + 1);
	free(name);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_child_claims_root)
{
	struct fixture f;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	fixture_expect_lookup(&f, FC_ROOT_ID, "evil", FC_ROOT_ID, 0,
			      FC_S_IFDIR | 0755);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "evil", 4, &e), -EIO);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(bad_content(&f), 1);
	ck_assert_int_eq(fc_node_is_stale(root(&f)), 0);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_invalid_attr)
{
	struct fixture f;
	struct fc_entry_out eo;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	/* No valid file type (fuse_invalid_attr). */
	fc_mock_entry_out(&eo, 10, 1, 0170000 | 0644);
	expect_raw_entry(&f, FC_LOOKUP, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "a", 1, &e), -EIO);
	ck_assert_ptr_null(e.node);
	/* A size beyond LLONG_MAX. */
	fc_mock_entry_out(&eo, 10, 1, FC_S_IFREG | 0644);
	eo.attr.size = (uint64_t)INT64_MAX + 1;
	expect_raw_entry(&f, FC_LOOKUP, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "a", 1, &e), -EIO);
	ck_assert_uint_eq(bad_content(&f), 2);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_lookup_short_reply)
{
	struct fixture f;
	struct fc_entry_out eo;
	struct fc_mock_exp *x;
	struct fc_entry e;

	/* An entry reply cut short is refused by the connection. */
	fixture_up(&f, 0, 0);
	fc_mock_entry_out(&eo, 10, 1, FC_S_IFREG | 0644);
	x = fc_mock_expect(f.mock, FC_LOOKUP, FC_ROOT_ID);
	ck_assert_int_eq(fc_mock_exp_reply(x, &eo, sizeof(eo) - 8), 0);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "a", 1, &e), -EIO);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

/* ---- stale nodes ------------------------------------------------------------------ */

/* Every call on @n fails ESTALE and sends nothing. */
static void all_stale(struct fixture *f, struct fc_node *n)
{
	unsigned before = fc_mock_nrecorded(f->mock);
	struct fc_setattr_in sa;
	struct fc_open_ctx of, *ofp = NULL;
	struct fc_kstatfs sf;
	struct fc_attr attr;
	struct fc_entry e;
	struct seen s;
	char buf[64];

	memset(&sa, 0, sizeof(sa));
	memset(&s, 0, sizeof(s));
	sa.valid = FC_FATTR_MODE;
	dir_ctx(&of, n, 7);
	ck_assert_int_eq(fc_getattr(f->cl, &f->who, n, NULL, 1, &attr), -ESTALE);
	ck_assert_int_eq(fc_setattr(f->cl, &f->who, n, NULL, &sa, NULL), -ESTALE);
	ck_assert_int_eq(fc_statfs(f->cl, &f->who, n, &sf), -ESTALE);
	ck_assert_int_eq(fc_access(f->cl, &f->who, n, 4), -ESTALE);
	ck_assert_int_eq(fc_open(f->cl, &f->who, n, FC_O_RDONLY, &ofp), -ESTALE);
	ck_assert_ptr_null(ofp);
	ck_assert_int_eq(fc_lookup(f->cl, &f->who, n, "x", 1, &e), -ESTALE);
	ck_assert_int_eq(fc_mkdir(f->cl, &f->who, n, "x", 1, 0755, &e), -ESTALE);
	ck_assert_int_eq(fc_mknod(f->cl, &f->who, n, "x", 1, FC_S_IFIFO | 0644,
				  0, &e), -ESTALE);
	ck_assert_int_eq(fc_symlink(f->cl, &f->who, n, "x", 1, "t", &e), -ESTALE);
	ck_assert_int_eq(fc_link(f->cl, &f->who, n, root(f), "x", 1, &e), -ESTALE);
	ck_assert_int_eq(fc_link(f->cl, &f->who, root(f), n, "x", 1, &e), -ESTALE);
	ck_assert_int_eq(fc_unlink(f->cl, &f->who, n, "x", 1), -ESTALE);
	ck_assert_int_eq(fc_rmdir(f->cl, &f->who, n, "x", 1), -ESTALE);
	ck_assert_int_eq(fc_rename(f->cl, &f->who, n, "x", 1, root(f), "y", 1, 0),
			 -ESTALE);
	ck_assert_int_eq(fc_rename(f->cl, &f->who, root(f), "x", 1, n, "y", 1, 0),
			 -ESTALE);
	ck_assert_int_eq(fc_readlink(f->cl, &f->who, n, buf, sizeof(buf)), -ESTALE);
	ck_assert_int_eq(fc_readdir(f->cl, &f->who, &of, 0, 4096, 0, collect, &s),
			 -ESTALE);
	ck_assert_int_eq(fc_setxattr(f->cl, &f->who, n, "user.a", "v", 1, 0),
			 -ESTALE);
	ck_assert_int_eq(fc_getxattr(f->cl, &f->who, n, "user.a", buf, sizeof(buf)),
			 -ESTALE);
	ck_assert_int_eq(fc_listxattr(f->cl, &f->who, n, buf, sizeof(buf)), -ESTALE);
	ck_assert_int_eq(fc_removexattr(f->cl, &f->who, n, "user.a"), -ESTALE);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(fc_mock_nrecorded(f->mock), before);
}

START_TEST(test_stale_generation)
{
	struct fixture f;
	struct fc_node *old, *fresh;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	old = subdir(&f, "d", 10);
	/* The nodeid comes back with another generation: a new object. */
	fixture_expect_lookup(&f, FC_ROOT_ID, "d", 10, 2, FC_S_IFDIR | 0755);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "d", 1, &e), 0);
	fresh = e.node;
	ck_assert_ptr_ne(fresh, old);
	ck_assert_int_ne(fc_node_is_stale(old), 0);
	ck_assert_int_eq(fc_node_is_stale(fresh), 0);
	ck_assert_uint_eq(fc_node_generation(fresh), 2);
	ck_assert_uint_eq(fc_node_nlookup(fresh), 1);
	ck_assert_uint_eq(fc_node_nlookup(old), 1);
	/* The table now finds the fresh node for the nodeid. */
	ck_assert_ptr_eq(fc_node_find(f.cl, 10), fresh);
	fc_node_put(f.cl, fresh);

	all_stale(&f, old);

	/* The fresh node works. */
	fixture_expect_lookup(&f, 10, "x", 11, 1, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, fresh, "x", 1, &e), 0);
	fc_node_put(f.cl, e.node);

	/* Both nodes return their own lookup: the daemon counted two. */
	fc_node_put(f.cl, old);
	fc_node_put(f.cl, fresh);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 10), 2);
	ck_assert_uint_eq(forgotten(&f, 11), 1);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_stale_type_change)
{
	struct fixture f;
	struct fc_node *old;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	old = fixture_lookup(&f, "n", 10, 1, FC_S_IFREG | 0644);
	/* Same nodeid and generation, but now a directory. */
	fixture_expect_lookup(&f, FC_ROOT_ID, "n", 10, 1, FC_S_IFDIR | 0755);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "n", 1, &e), 0);
	ck_assert_ptr_ne(e.node, old);
	ck_assert_int_ne(fc_node_is_stale(old), 0);
	ck_assert_int_eq(fc_node_is_stale(e.node), 0);
	all_stale(&f, old);
	fc_node_put(f.cl, old);
	fc_node_put(f.cl, e.node);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 10), 2);
	fixture_down(&f);
}
END_TEST

/* ---- FORGET balance ------------------------------------------------------------ */

START_TEST(test_forget_batch_balance)
{
	struct fixture f;
	struct fc_node *a1, *a2, *a3, *b, *c;

	fixture_up(&f, 0, 0); /* minor 45 */
	expect_forgets(&f);
	a1 = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	a2 = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	a3 = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	b = fixture_lookup(&f, "b", 21, 1, FC_S_IFREG | 0644);
	c = fixture_lookup(&f, "c", 22, 1, FC_S_IFDIR | 0755);
	ck_assert_ptr_eq(a1, a2);
	ck_assert_ptr_eq(a1, a3);
	ck_assert_uint_eq(fc_node_nlookup(a1), 3);
	fc_node_put(f.cl, a1);
	fc_node_put(f.cl, b);
	fc_node_put(f.cl, a2);
	fc_node_put(f.cl, c);
	fc_node_put(f.cl, a3);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fc_client_flush_forgets(f.cl);
	/* Three nodes queued: one BATCH_FORGET holding all of them. */
	ck_assert_uint_eq(forgotten(&f, 20), 3);
	ck_assert_uint_eq(forgotten(&f, 21), 1);
	ck_assert_uint_eq(forgotten(&f, 22), 1);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_BATCH_FORGET), 1);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FORGET), 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_forget_single_below_16)
{
	struct fixture f;
	struct fc_node *a, *b;

	fixture_up(&f, 0, 15);
	expect_forgets(&f);
	a = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	b = fixture_lookup(&f, "b", 21, 1, FC_S_IFREG | 0644);
	fc_node_put(f.cl, a);
	fc_node_put(f.cl, b);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 20), 1);
	ck_assert_uint_eq(forgotten(&f, 21), 1);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_FORGET), 2);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_BATCH_FORGET), 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_forget_sent_before_next_request)
{
	struct fixture f;
	struct fc_node *a;
	struct fc_entry e;
	const struct fc_mock_req *r;
	unsigned n;

	/* Queued forgets go out before the next request (fc_cl_send). */
	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	a = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	fc_node_put(f.cl, a);
	expect_error(&f, FC_LOOKUP, FC_ROOT_ID, -ENOENT);
	ck_assert_int_eq(fc_lookup(f.cl, &f.who, root(&f), "b", 1, &e), -ENOENT);
	n = fc_mock_nrecorded(f.mock);
	r = fc_mock_recorded(f.mock, n - 2);
	ck_assert_uint_eq(r->hdr.opcode, FC_FORGET);
	ck_assert_uint_eq(r->hdr.nodeid, 20);
	ck_assert_uint_eq(fc_mock_recorded(f.mock, n - 1)->hdr.opcode, FC_LOOKUP);
	fixture_down(&f);
}
END_TEST

START_TEST(test_forget_on_unmount)
{
	struct fixture f;
	struct fc_node *a, *b;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	a = fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	fixture_lookup(&f, "a", 20, 1, FC_S_IFREG | 0644);
	b = fixture_lookup(&f, "b", 21, 1, FC_S_IFDIR | 0755);
	ck_assert_uint_eq(fc_node_nlookup(a), 2);
	ck_assert_uint_eq(fc_node_nlookup(b), 1);
	ck_assert_uint_eq(forgotten(&f, 20) + forgotten(&f, 21), 0);

	/* Tear down by hand to read what the unmount sent. */
	ck_assert_uint_eq(fc_mock_unexpected(f.mock), 0);
	fc_client_free(f.cl);
	ck_assert_uint_eq(forgotten(&f, 20), 2);
	ck_assert_uint_eq(forgotten(&f, 21), 1);
	ck_assert_uint_eq(forgotten(&f, FC_ROOT_ID), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_BATCH_FORGET), 1);
	fc_conn_free(f.conn);
	fc_mock_free(f.mock);
}
END_TEST

/* ---- MKNOD, MKDIR, SYMLINK ------------------------------------------------------ */

START_TEST(test_mknod_fields)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_mknod_in in;
	struct fc_entry e;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0); /* DONT_MASK not granted */
	expect_forgets(&f);
	x = expect_entry(&f, FC_MKNOD, FC_ROOT_ID, 30, 1, FC_S_IFCHR | 0644);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "dev", 3,
				  FC_S_IFCHR | 0666, 0x0801, &e), 0);
	ck_assert_ptr_nonnull(e.node);
	ck_assert_uint_eq(fc_node_id(e.node), 30);
	ck_assert_uint_eq(fc_node_nlookup(e.node), 1);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	ck_assert_uint_eq(r->body_len, sizeof(in) + 4);
	memcpy(&in, r->body, sizeof(in));
	/* The kernel masks: mode & ~umask, and the umask travels too. */
	ck_assert_uint_eq(in.mode, FC_S_IFCHR | 0644);
	ck_assert_uint_eq(in.umask, 022);
	ck_assert_uint_eq(in.rdev, 0x0801);
	ck_assert_uint_eq(in.padding, 0);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), "dev", 4);
	fc_node_put(f.cl, e.node);

	/* No type: a regular file (may_mknod). */
	x = expect_entry(&f, FC_MKNOD, FC_ROOT_ID, 31, 1, FC_S_IFREG | 0600);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "f", 1, 0600, 0, &e), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.mode, FC_S_IFREG | 0600);
	fc_node_put(f.cl, e.node);
	fixture_down(&f);
}
END_TEST

START_TEST(test_mknod_dont_mask)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_mknod_in in;
	struct fc_entry e;

	fixture_up(&f, FC_DONT_MASK, 0);
	x = expect_entry(&f, FC_MKNOD, FC_ROOT_ID, 30, 1, FC_S_IFIFO | 0666);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "p", 1,
				  FC_S_IFIFO | 0666, 0, &e), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	/* The daemon applies the umask itself. */
	ck_assert_uint_eq(in.mode, FC_S_IFIFO | 0666);
	ck_assert_uint_eq(in.umask, 022);
	fc_node_put(f.cl, e.node);
	fixture_down(&f);
}
END_TEST

START_TEST(test_mknod_compat_minor11)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_entry e;
	uint32_t mode;

	/* Below 7.12 the body is the 8-byte {mode, rdev} (fuse_adjust_compat). */
	fixture_up(&f, 0, 11);
	x = expect_entry(&f, FC_MKNOD, FC_ROOT_ID, 30, 1, FC_S_IFSOCK | 0755);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "s", 1,
				  FC_S_IFSOCK | 0777, 0, &e), 0);
	ck_assert_uint_eq(fc_mock_exp_last(x)->body_len, FC_COMPAT_MKNOD_IN_SIZE + 2);
	memcpy(&mode, fc_mock_exp_last(x)->body, 4);
	ck_assert_uint_eq(mode, FC_S_IFSOCK | 0755);
	ck_assert_mem_eq((const char *)fc_mock_exp_last(x)->body +
			 FC_COMPAT_MKNOD_IN_SIZE, "s", 2);
	fc_node_put(f.cl, e.node);
	fixture_down(&f);
}
END_TEST

START_TEST(test_mknod_bad_replies)
{
	struct fixture f;
	struct fc_entry_out eo;
	struct fc_entry e;
	unsigned before;

	fixture_up(&f, 0, 0);
	/* A FIFO was asked for, a regular file came back. */
	expect_entry(&f, FC_MKNOD, FC_ROOT_ID, 30, 1, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "p", 1,
				  FC_S_IFIFO | 0644, 0, &e), -EIO);
	ck_assert_ptr_null(e.node);
	/* nodeid 0 and nodeid 1 are invalid (invalid_nodeid). */
	memset(&eo, 0, sizeof(eo));
	expect_raw_entry(&f, FC_MKNOD, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "p", 1,
				  FC_S_IFIFO | 0644, 0, &e), -EIO);
	expect_entry(&f, FC_MKNOD, FC_ROOT_ID, FC_ROOT_ID, 0, FC_S_IFIFO | 0644);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "p", 1,
				  FC_S_IFIFO | 0644, 0, &e), -EIO);
	ck_assert_uint_eq(bad_content(&f), 3);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);

	/* Daemon errors pass through. */
	expect_error(&f, FC_MKNOD, FC_ROOT_ID, -EPERM);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "p", 1,
				  FC_S_IFIFO | 0644, 0, &e), -EPERM);

	/* Types mknod cannot make never reach the daemon. */
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "d", 1,
				  FC_S_IFDIR | 0755, 0, &e), -EPERM);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), "l", 1,
				  FC_S_IFLNK | 0777, 0, &e), -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	fixture_down(&f);
}
END_TEST

START_TEST(test_mkdir_fields)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_mkdir_in in;
	struct fc_node *d;
	struct fc_entry e;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	d = subdir(&f, "parent", 10);
	ck_assert_uint_ne(fc_node_attr_deadline(d), 0);
	x = expect_entry(&f, FC_MKDIR, 10, 40, 1, FC_S_IFDIR | 0755);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, d, "sub", 3, 0777, &e), 0);
	ck_assert_ptr_nonnull(e.node);
	ck_assert_uint_eq(fc_node_id(e.node), 40);
	ck_assert_uint_eq(fc_node_nlookup(e.node), 1);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	ck_assert_uint_eq(r->body_len, sizeof(in) + 4);
	memcpy(&in, r->body, sizeof(in));
	/* Permission bits only, no S_IFDIR (observed: mode=0755 umask=022). */
	ck_assert_uint_eq(in.mode, 0755);
	ck_assert_uint_eq(in.umask, 022);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), "sub", 4);
	/* The parent's attributes changed (fuse_dir_changed). */
	ck_assert_uint_eq(fc_node_attr_deadline(d), 0);
	fc_node_put(f.cl, e.node);

	/* vfs_mkdir keeps only rwx and the sticky bit. */
	x = expect_entry(&f, FC_MKDIR, 10, 41, 1, FC_S_IFDIR | 01700);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, d, "t", 1, FC_S_IFDIR | 06700 | 01000,
				  &e), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.mode, 01700);
	fc_node_put(f.cl, e.node);
	fc_node_put(f.cl, d);
	fixture_down(&f);
}
END_TEST

START_TEST(test_mkdir_bad_replies)
{
	struct fixture f;
	struct fc_entry_out eo;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	/* Not a directory. */
	expect_entry(&f, FC_MKDIR, FC_ROOT_ID, 40, 1, FC_S_IFREG | 0755);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, root(&f), "d", 1, 0755, &e), -EIO);
	ck_assert_ptr_null(e.node);
	/* nodeid 0 is no negative entry here. */
	memset(&eo, 0, sizeof(eo));
	eo.entry_valid = 10;
	eo.attr.mode = FC_S_IFDIR | 0755;
	expect_raw_entry(&f, FC_MKDIR, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, root(&f), "d", 1, 0755, &e), -EIO);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(bad_content(&f), 2);
	/* EEXIST goes to the caller. */
	expect_error(&f, FC_MKDIR, FC_ROOT_ID, -EEXIST);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, root(&f), "d", 1, 0755, &e), -EEXIST);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_create_calls_name_too_long)
{
	struct fixture f;
	struct fc_entry e;
	uint32_t max;
	unsigned before;
	char *name;

	fixture_up(&f, 0, 0);
	max = fc_conn_info(f.conn)->name_max;
	name = malloc(max + 1);
	memset(name, 'n', max + 1);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_mkdir(f.cl, &f.who, root(&f), name, max + 1, 0755, &e),
			 -ENAMETOOLONG);
	ck_assert_int_eq(fc_mknod(f.cl, &f.who, root(&f), name, max + 1,
				  FC_S_IFREG | 0644, 0, &e), -ENAMETOOLONG);
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), name, max + 1, "t", &e),
			 -ENAMETOOLONG);
	ck_assert_int_eq(fc_link(f.cl, &f.who, root(&f), root(&f), name, max + 1,
				 &e), -ENAMETOOLONG);
	ck_assert_int_eq(fc_unlink(f.cl, &f.who, root(&f), name, max + 1),
			 -ENAMETOOLONG);
	ck_assert_int_eq(fc_rmdir(f.cl, &f.who, root(&f), name, max + 1),
			 -ENAMETOOLONG);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), name, max + 1, root(&f),
				   "b", 1, 0), -ENAMETOOLONG);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), name,
				   max + 1, 0), -ENAMETOOLONG);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	free(name);
	fixture_down(&f);
}
END_TEST

START_TEST(test_symlink_fields)
{
	static const char body[] = "lnk\0../target";
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_entry e;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	expect_forgets(&f);
	x = expect_entry(&f, FC_SYMLINK, FC_ROOT_ID, 50, 1, FC_S_IFLNK | 0777);
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), "lnk", 3, "../target",
				    &e), 0);
	ck_assert_ptr_nonnull(e.node);
	ck_assert_uint_eq(fc_node_nlookup(e.node), 1);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	/* "name\0target\0" (fuse_symlink). */
	body_is(r, body, sizeof(body));
	fc_node_put(f.cl, e.node);

	/* The reply must be a symlink. */
	expect_entry(&f, FC_SYMLINK, FC_ROOT_ID, 51, 1, FC_S_IFREG | 0777);
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), "l2", 2, "t", &e), -EIO);
	ck_assert_ptr_null(e.node);
	ck_assert_uint_eq(bad_content(&f), 1);
	fixture_down(&f);
}
END_TEST

START_TEST(test_symlink_target_limits)
{
	struct fixture f;
	struct fc_entry e;
	struct fc_mock_exp *x;
	unsigned before;
	char *t;

	fixture_up(&f, 0, 0);
	t = malloc(4097);
	memset(t, 't', 4096);
	t[4096] = 0;
	before = fc_mock_nrecorded(f.mock);
	/* getname: PATH_MAX bytes with the NUL at most; never empty. */
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), "l", 1, t, &e),
			 -ENAMETOOLONG);
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), "l", 1, "", &e),
			 -ENOENT);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	t[4095] = 0;
	x = expect_entry(&f, FC_SYMLINK, FC_ROOT_ID, 50, 1, FC_S_IFLNK | 0777);
	ck_assert_int_eq(fc_symlink(f.cl, &f.who, root(&f), "l", 1, t, &e), 0);
	ck_assert_uint_eq(fc_mock_exp_last(x)->body_len, 2 + 4096);
	fc_node_put(f.cl, e.node);
	free(t);
	fixture_down(&f);
}
END_TEST

/* ---- LINK --------------------------------------------------------------------------- */

START_TEST(test_link_same_node)
{
	struct fixture f;
	struct fc_node *file, *d;
	struct fc_mock_exp *x;
	struct fc_link_in in;
	struct fc_entry e;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	file = fixture_lookup(&f, "f", 60, 1, FC_S_IFREG | 0644);
	d = subdir(&f, "d", 10);
	x = expect_entry(&f, FC_LINK, 10, 60, 1, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, d, "hard", 4, &e), 0);
	/* The reply names the node we have: one more lookup on it. */
	ck_assert_ptr_eq(e.node, file);
	ck_assert_uint_eq(fc_node_nlookup(file), 2);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	ck_assert_uint_eq(r->hdr.nodeid, 10);
	ck_assert_uint_eq(r->body_len, sizeof(in) + 5);
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.oldnodeid, 60);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), "hard", 5);
	ck_assert_uint_eq(fc_node_attr_deadline(d), 0);
	fc_node_put(f.cl, e.node);

	/* A reply of another type than the source is refused. */
	expect_entry(&f, FC_LINK, 10, 60, 1, FC_S_IFDIR | 0755);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, d, "h2", 2, &e), -EIO);
	ck_assert_ptr_null(e.node);
	ck_assert_int_eq(fc_node_is_stale(file), 0);
	ck_assert_uint_eq(fc_node_nlookup(file), 2);
	fc_node_put(f.cl, file);
	fc_node_put(f.cl, d);
	fixture_down(&f);
}
END_TEST

START_TEST(test_link_enosys_eperm)
{
	struct fixture f;
	struct fc_node *file;
	struct fc_entry e;
	unsigned before;

	fixture_up(&f, 0, 0);
	file = fixture_lookup(&f, "f", 60, 1, FC_S_IFREG | 0644);
	expect_error(&f, FC_LINK, FC_ROOT_ID, -ENOSYS);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, root(&f), "h", 1, &e), -EPERM);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_LINK), 1);
	/* fc->no_link: EPERM without asking again. */
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, root(&f), "h", 1, &e), -EPERM);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	ck_assert_uint_eq(fc_node_nlookup(file), 1);
	fc_node_put(f.cl, file);
	fixture_down(&f);
}
END_TEST

START_TEST(test_link_bad_nodeid)
{
	struct fixture f;
	struct fc_node *file;
	struct fc_entry_out eo;
	struct fc_entry e;

	fixture_up(&f, 0, 0);
	file = fixture_lookup(&f, "f", 60, 1, FC_S_IFREG | 0644);
	memset(&eo, 0, sizeof(eo));
	eo.attr.mode = FC_S_IFREG | 0644;
	expect_raw_entry(&f, FC_LINK, FC_ROOT_ID, &eo);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, root(&f), "h", 1, &e), -EIO);
	expect_entry(&f, FC_LINK, FC_ROOT_ID, FC_ROOT_ID, 0, FC_S_IFREG | 0644);
	ck_assert_int_eq(fc_link(f.cl, &f.who, file, root(&f), "h", 1, &e), -EIO);
	ck_assert_uint_eq(bad_content(&f), 2);
	ck_assert_uint_eq(fc_node_nlookup(file), 1);
	fc_node_put(f.cl, file);
	fixture_down(&f);
}
END_TEST

/* ---- UNLINK, RMDIR ----------------------------------------------------------------- */

START_TEST(test_unlink_rmdir)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_node *d;

	fixture_up(&f, 0, 0);
	d = subdir(&f, "d", 10);
	x = fc_mock_expect(f.mock, FC_UNLINK, 10);
	ck_assert_int_eq(fc_unlink(f.cl, &f.who, d, "file", 4), 0);
	creds_are_caller(fc_mock_exp_last(x));
	body_is(fc_mock_exp_last(x), "file", 5);
	ck_assert_uint_eq(fc_node_attr_deadline(d), 0);

	x = fc_mock_expect(f.mock, FC_RMDIR, 10);
	ck_assert_int_eq(fc_rmdir(f.cl, &f.who, d, "sub", 3), 0);
	body_is(fc_mock_exp_last(x), "sub", 4);

	expect_error(&f, FC_RMDIR, 10, -ENOTEMPTY);
	ck_assert_int_eq(fc_rmdir(f.cl, &f.who, d, "full", 4), -ENOTEMPTY);
	expect_error(&f, FC_UNLINK, 10, -EPERM);
	ck_assert_int_eq(fc_unlink(f.cl, &f.who, d, "x", 1), -EPERM);
	/* No ENOSYS cache for UNLINK: asked each time. */
	expect_error(&f, FC_UNLINK, 10, -ENOSYS);
	ck_assert_int_eq(fc_unlink(f.cl, &f.who, d, "x", 1), -ENOSYS);
	expect_error(&f, FC_UNLINK, 10, -ENOSYS);
	ck_assert_int_eq(fc_unlink(f.cl, &f.who, d, "x", 1), -ENOSYS);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_UNLINK), 4);
	fc_node_put(f.cl, d);
	fixture_down(&f);
}
END_TEST

/* ---- RENAME, RENAME2 ------------------------------------------------------------------ */

START_TEST(test_rename_fields)
{
	static const char names[] = "old\0new";
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_rename_in in;
	struct fc_node *d;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	d = subdir(&f, "d", 10);
	x = fc_mock_expect(f.mock, FC_RENAME, FC_ROOT_ID);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "old", 3, d, "new", 3, 0),
			 0);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	/* {newdir} "old\0new\0", header nodeid the old directory. */
	ck_assert_uint_eq(r->hdr.nodeid, FC_ROOT_ID);
	ck_assert_uint_eq(r->body_len, sizeof(in) + sizeof(names));
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.newdir, 10);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), names, sizeof(names));
	ck_assert_uint_eq(fc_node_attr_deadline(d), 0);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RENAME2), 0);

	expect_error(&f, FC_RENAME, 10, -EXDEV);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, d, "a", 1, d, "b", 1, 0), -EXDEV);
	fc_node_put(f.cl, d);
	fixture_down(&f);
}
END_TEST

START_TEST(test_rename2_noreplace)
{
	static const char names[] = "a\0bb";
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_rename2_in in;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	x = fc_mock_expect(f.mock, FC_RENAME2, FC_ROOT_ID);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "bb", 2,
				   FC_RENAME_NOREPLACE), 0);
	r = fc_mock_exp_last(x);
	ck_assert_uint_eq(r->body_len, sizeof(in) + sizeof(names));
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.newdir, FC_ROOT_ID);
	ck_assert_uint_eq(in.flags, FC_RENAME_NOREPLACE);
	ck_assert_uint_eq(in.padding, 0);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), names, sizeof(names));

	x = fc_mock_expect(f.mock, FC_RENAME2, FC_ROOT_ID);
	fc_mock_exp_error(x, -EEXIST);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "bb", 2,
				   FC_RENAME_EXCHANGE), -EEXIST);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.flags, FC_RENAME_EXCHANGE);
	fixture_down(&f);
}
END_TEST

START_TEST(test_rename2_old_minor)
{
	struct fixture f;
	unsigned before;

	fixture_up(&f, 0, 22);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   FC_RENAME_NOREPLACE), -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	/* A plain rename still goes. */
	fc_mock_expect(f.mock, FC_RENAME, FC_ROOT_ID);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   0), 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_rename2_enosys)
{
	struct fixture f;
	unsigned before;

	fixture_up(&f, 0, 0);
	expect_error(&f, FC_RENAME2, FC_ROOT_ID, -ENOSYS);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   FC_RENAME_NOREPLACE), -EINVAL);
	ck_assert_uint_eq(fc_mock_count(f.mock, FC_RENAME2), 1);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   FC_RENAME_WHITEOUT), -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	fc_mock_expect(f.mock, FC_RENAME, FC_ROOT_ID);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   0), 0);
	fixture_down(&f);
}
END_TEST

START_TEST(test_rename_bad_flags)
{
	struct fixture f;
	unsigned before;

	fixture_up(&f, 0, 0);
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   1u << 3), -EINVAL);
	ck_assert_int_eq(fc_rename(f.cl, &f.who, root(&f), "a", 1, root(&f), "b", 1,
				   FC_RENAME_NOREPLACE | (1u << 31)), -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	fixture_down(&f);
}
END_TEST

/* ---- READLINK ---------------------------------------------------------------------- */

START_TEST(test_readlink)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_node *l;
	char buf[64];
	char small[4];
	unsigned before;

	fixture_up(&f, 0, 0);
	l = fixture_lookup(&f, "l", 70, 1, FC_S_IFLNK | 0777);
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, "../target", 9), 0);
	memset(buf, 'X', sizeof(buf));
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, sizeof(buf)), 9);
	ck_assert_str_eq(buf, "../target");
	/* No body (FreeBSD's audit: READLINK is header only). */
	ck_assert_uint_eq(fc_mock_exp_last(x)->body_len, 0);
	creds_are_caller(fc_mock_exp_last(x));

	/* Too long for the caller's buffer (with its NUL). */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, "abcd", 4), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, small, sizeof(small)),
			 -ENAMETOOLONG);
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, "abc", 3), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, small, sizeof(small)), 3);
	ck_assert_str_eq(small, "abc");

	/* Empty target. */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, "", 0), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");

	/* Daemon error. */
	expect_error(&f, FC_READLINK, 70, -EACCES);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, sizeof(buf)), -EACCES);

	/* Not a symlink, or no room: no request. */
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, root(&f), buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 0), -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	fc_node_put(f.cl, l);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readlink_page_limit)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_conn_stats st;
	struct fc_node *l;
	char *page, *buf;

	fixture_up(&f, 0, 0);
	l = fixture_lookup(&f, "l", 70, 1, FC_S_IFLNK | 0777);
	page = malloc(4096);
	buf = malloc(8192);
	memset(page, 'p', 4096);

	/* PAGE_SIZE - 1 bytes is the longest target. */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, page, 4095), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 8192), 4095);
	ck_assert_int_eq(buf[4095], 0);
	ck_assert_mem_eq(buf, page, 4095);
	/* Through the bounce page as well. */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, page, 4095), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 4096), 4095);

	/* A whole page does not fit (fuse_readlink_folio): EIO. */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, page, 4096), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 8192), -EIO);
	ck_assert_int_eq(fc_mock_exp_result(x, -1), -EINVAL);
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, page, 4096), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 100), -EIO);
	fc_conn_stats(f.conn, &st);
	ck_assert_uint_eq(st.bad_size, 2);

	/* The connection still works. */
	x = fc_mock_expect(f.mock, FC_READLINK, 70);
	ck_assert_int_eq(fc_mock_exp_reply(x, "ok", 2), 0);
	ck_assert_int_eq(fc_readlink(f.cl, &f.who, l, buf, 100), 2);
	free(page);
	free(buf);
	fc_node_put(f.cl, l);
	fixture_down(&f);
}
END_TEST

/* ---- READDIR ---------------------------------------------------------------------- */

START_TEST(test_readdir_entries)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct fc_mock_exp *x;
	struct fc_read_in in;
	struct fc_node *d;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0); /* READDIRPLUS not granted */
	d = subdir(&f, "d", 10);
	dir_ctx(&of, d, 0xd1);
	add_dirent(b, 10, 1, DT_DIR_, ".");
	add_dirent(b, 1, 2, DT_DIR_, "..");
	add_dirent(b, 77, 3, DT_REG_, "a-file");
	x = expect_dir(&f, FC_READDIR, 10, b);
	memset(&s, 0, sizeof(s));
	/* plus asked for, but the daemon did not grant READDIRPLUS. */
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 32768, 1, collect, &s), 3);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.e[0].name, ".");
	ck_assert_str_eq(s.e[1].name, "..");
	ck_assert_str_eq(s.e[2].name, "a-file");
	ck_assert_uint_eq(s.e[0].off, 1);
	ck_assert_uint_eq(s.e[1].off, 2);
	ck_assert_uint_eq(s.e[2].off, 3);
	ck_assert_uint_eq(s.e[0].type, DT_DIR_);
	ck_assert_uint_eq(s.e[2].type, DT_REG_);
	ck_assert_uint_eq(s.e[2].ino, 77);
	ck_assert_ptr_null(s.e[2].node);

	/* READDIR(nodeid, {fh, offset, size, flags = f_flags}). */
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	ck_assert_uint_eq(r->body_len, sizeof(in));
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.fh, 0xd1);
	ck_assert_uint_eq(in.offset, 0);
	ck_assert_uint_eq(in.size, 32768);
	ck_assert_uint_eq(in.read_flags, 0);
	ck_assert_uint_eq(in.lock_owner, 0);
	ck_assert_uint_eq(in.flags, FC_O_RDONLY | FC_O_NONBLOCK | FC_O_LARGEFILE |
			  FC_O_DIRECTORY);

	/* Continue at the last cookie: an empty answer is the end. */
	x = fc_mock_expect(f.mock, FC_READDIR, 10);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 3, 32768, 0, collect, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.offset, 3);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 2);
	fc_node_put(f.cl, d);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_through_opendir)
{
	struct fixture f;
	struct fc_open_ctx *of;
	struct fc_mock_exp *x, *rel;
	struct fc_open_out oo;
	struct fc_read_in in;
	struct fc_node *d;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;

	/* opendir(3) + getdents + closedir, as the observed trace has it. */
	fixture_up(&f, 0, 0);
	d = subdir(&f, "d", 10);
	x = fc_mock_expect(f.mock, FC_OPENDIR, 10);
	memset(&oo, 0, sizeof(oo));
	oo.fh = 0xd3;
	ck_assert_int_eq(fc_mock_exp_reply(x, &oo, sizeof(oo)), 0);
	ck_assert_int_eq(fc_open(f.cl, &f.who, d, FC_O_RDONLY | FC_O_NONBLOCK |
				 FC_O_DIRECTORY | FC_O_CLOEXEC, &of), 0);
	add_dirent(b, 44, 1, DT_REG_, "x");
	x = expect_dir(&f, FC_READDIR, 10, b);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, of, 0, 32768, 0, collect, &s), 1);
	ck_assert_str_eq(s.e[0].name, "x");
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.fh, 0xd3);
	ck_assert_uint_eq(in.flags, 0304000);
	rel = fc_mock_expect(f.mock, FC_RELEASEDIR, 10);
	fc_release(f.cl, of);
	ck_assert_int_eq(fc_mock_wait_answered(rel, 1), 0);
	fc_node_put(f.cl, d);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_size_clamp)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct fc_mock_exp *x;
	struct fc_read_in in;
	struct seen s;

	/* fuse_readdir_uncached: clamp(count, PAGE_SIZE, max_pages pages). */
	fixture_up(&f, 0, 0);
	dir_ctx(&of, root(&f), 1);
	x = fc_mock_expect(f.mock, FC_READDIR, FC_ROOT_ID);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 100, 0, collect, &s), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.size, 4096);
	x = fc_mock_expect(f.mock, FC_READDIR, FC_ROOT_ID);
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 1u << 20, 0, collect, &s),
			 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.size, 32 * 4096);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_reply_too_long)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;
	unsigned i;

	/* More bytes than asked for: refused by the connection. */
	fixture_up(&f, 0, 0);
	dir_ctx(&of, root(&f), 1);
	for (i = 0; i < 100; i++)
		add_dirent(b, 100 + i, i + 1, DT_REG_, "a-longer-name-of-a-file");
	ck_assert_uint_gt(b->len, 4096);
	expect_dir(&f, FC_READDIR, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 0, collect, &s), -EIO);
	ck_assert_uint_eq(s.n, 0);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_not_dir)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct seen s;

	fixture_up(&f, 0, 0);
	dir_ctx(&of, root(&f), 1);
	of.is_dir = 0;
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 0, collect, &s),
			 -ENOTDIR);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), 1); /* INIT only */
	fixture_down(&f);
}
END_TEST

/* Malformed READDIR answers, one per loop index. */
static void bad_dirbuf(struct dbuf *b, int which, uint32_t name_max)
{
	static char big[5000];

	memset(big, 'n', sizeof(big));
	add_dirent(b, 5, 1, DT_REG_, "good");
	switch (which) {
	case 0: /* namelen 0 */
		add_raw_dirent(b, 6, 2, DT_REG_, 0, "", 0, 24);
		break;
	case 1: /* a '/' in the name */
		add_dirent(b, 6, 2, DT_REG_, "a/b");
		break;
	case 2: /* the name runs past the end */
		add_raw_dirent(b, 6, 2, DT_REG_, 20, "short", 5, 32);
		break;
	case 3: /* the padding is missing */
		add_raw_dirent(b, 6, 2, DT_REG_, 3, "abc", 3, 27);
		break;
	case 4: /* longer than name_max */
		add_raw_dirent(b, 6, 2, DT_REG_, name_max + 1, big, name_max + 1,
			       FC_DIRENT_ALIGN(FC_NAME_OFFSET + name_max + 1));
		break;
	case 5: /* a header cut short */
		memset(b->b + b->len, 0, 16);
		b->len += 16;
		break;
	case 6: /* an absurd namelen */
		add_raw_dirent(b, 6, 2, DT_REG_, UINT32_MAX, "x", 1, 32);
		break;
	}
}

START_TEST(test_readdir_malformed)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;

	fixture_up(&f, 0, 0);
	dir_ctx(&of, root(&f), 1);
	bad_dirbuf(b, _i, fc_conn_info(f.conn)->name_max);
	expect_dir(&f, FC_READDIR, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 16384, 0, collect, &s),
			 -EIO);
	/* Nothing is handed out of a reply that fails. */
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(bad_content(&f), 1);

	/* The connection still works. */
	memset(b, 0, sizeof(*b));
	add_dirent(b, 5, 1, DT_REG_, "good");
	expect_dir(&f, FC_READDIR, FC_ROOT_ID, b);
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 16384, 0, collect, &s), 1);
	ck_assert_str_eq(s.e[0].name, "good");
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_name_max_boundary)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	static char big[4095];
	unsigned namelen = 0;

	/* A name of exactly name_max bytes is accepted. */
	fixture_up(&f, 0, 0);
	ck_assert_uint_eq(fc_conn_info(f.conn)->name_max, sizeof(big));
	dir_ctx(&of, root(&f), 1);
	memset(big, 'n', sizeof(big));
	add_raw_dirent(b, 6, 2, DT_REG_, sizeof(big), big, sizeof(big),
		       FC_DIRENT_ALIGN(FC_NAME_OFFSET + sizeof(big)));
	expect_dir(&f, FC_READDIR, FC_ROOT_ID, b);
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 16384, 0, collect_len,
				    &namelen), 1);
	ck_assert_uint_eq(namelen, sizeof(big));
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdir_callback_stop)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;

	fixture_up(&f, 0, 0);
	dir_ctx(&of, root(&f), 1);
	add_dirent(b, 5, 1, DT_REG_, "one");
	add_dirent(b, 6, 2, DT_REG_, "two");
	add_dirent(b, 7, 3, DT_REG_, "three");
	expect_dir(&f, FC_READDIR, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	/* "two" is refused: one entry consumed, the next read starts at 1. */
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 0, collect, &s), 1);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.e[1].name, "two");
	free(b);
	fixture_down(&f);
}
END_TEST

/* ---- READDIRPLUS ------------------------------------------------------------------ */

START_TEST(test_readdirplus_links)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct fc_mock_exp *x;
	struct fc_node *d, *known, *found;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;

	fixture_up(&f, FC_DO_READDIRPLUS, 0);
	expect_forgets(&f);
	d = subdir(&f, "d", 10);
	known = fixture_lookup(&f, "k", 81, 1, FC_S_IFREG | 0644);
	dir_ctx(&of, d, 0xd2);
	add_direntplus(b, 10, 1, FC_S_IFDIR | 0755, 1, ".");
	add_direntplus(b, FC_ROOT_ID, 0, FC_S_IFDIR | 0755, 2, "..");
	add_direntplus(b, 80, 1, FC_S_IFREG | 0644, 3, "new");
	add_direntplus(b, 0, 0, FC_S_IFREG, 4, "nonode");
	add_direntplus(b, 81, 1, FC_S_IFREG | 0600, 5, "k");
	x = expect_dir(&f, FC_READDIRPLUS, 10, b);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 1, collect, &s), 5);
	ck_assert_uint_eq(fc_mock_exp_used(x), 1);
	ck_assert_uint_eq(s.n, 5);
	/* '.' and '..' are never linked; nodeid 0 has no node. */
	ck_assert_ptr_null(s.e[0].node);
	ck_assert_ptr_null(s.e[1].node);
	ck_assert_ptr_null(s.e[3].node);
	ck_assert_str_eq(s.e[3].name, "nonode");
	ck_assert_uint_eq(fc_node_nlookup(d), 1);
	ck_assert_uint_eq(fc_node_nlookup(root(&f)), 0);
	/* A new node, with one lookup. */
	ck_assert_ptr_nonnull(s.e[2].node);
	ck_assert_uint_eq(fc_node_id(s.e[2].node), 80);
	ck_assert_uint_eq(fc_node_nlookup(s.e[2].node), 1);
	ck_assert_uint_eq(s.e[2].off, 3);
	ck_assert_uint_eq(s.e[2].type, DT_REG_);
	/* A known node: the same one, one more lookup, fresh attributes. */
	ck_assert_ptr_eq(s.e[4].node, known);
	ck_assert_uint_eq(fc_node_nlookup(known), 2);
	ck_assert_uint_eq(fc_node_attr(known)->mode, FC_S_IFREG | 0600);
	ck_assert_ptr_eq(found = fc_node_find(f.cl, 80), s.e[2].node);
	fc_node_put(f.cl, found);
	ck_assert_uint_eq(bad_content(&f), 0);

	/* Every lookup counted comes back when the references go. */
	seen_put(&f, &s);
	fc_node_put(f.cl, known);
	fc_node_put(f.cl, d);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 80), 1);
	ck_assert_uint_eq(forgotten(&f, 81), 2);
	ck_assert_uint_eq(forgotten(&f, 10), 1);
	ck_assert_uint_eq(forgotten(&f, FC_ROOT_ID), 0);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdirplus_stop_forgets_rest)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct fc_node *n;
	struct seen s;

	fixture_up(&f, FC_DO_READDIRPLUS, 0);
	expect_forgets(&f);
	dir_ctx(&of, root(&f), 1);
	add_direntplus(b, 90, 1, FC_S_IFREG | 0644, 1, "a");
	add_direntplus(b, 91, 1, FC_S_IFREG | 0644, 2, "b");
	add_direntplus(b, 92, 1, FC_S_IFREG | 0644, 3, "c");
	add_direntplus(b, 0, 0, FC_S_IFREG, 4, "d");
	add_direntplus(b, 93, 1, FC_S_IFDIR | 0755, 5, "..");
	expect_dir(&f, FC_READDIRPLUS, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 1, collect, &s), 1);
	ck_assert_uint_eq(s.n, 2);
	/* Delivered: linked, the callback holds the references. */
	ck_assert_uint_eq(fc_node_nlookup(s.e[0].node), 1);
	ck_assert_uint_eq(fc_node_nlookup(s.e[1].node), 1);
	/* Not delivered: no node, and the daemon's lookup goes back. */
	n = fc_node_find(f.cl, 92);
	ck_assert_ptr_null(n);
	ck_assert_uint_eq(forgotten(&f, 92), 1);
	ck_assert_uint_eq(forgotten(&f, 93), 0); /* ".." was not counted */
	ck_assert_uint_eq(forgotten(&f, 90) + forgotten(&f, 91), 0);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 3);
	seen_put(&f, &s);
	fc_client_flush_forgets(f.cl);
	ck_assert_uint_eq(forgotten(&f, 90), 1);
	ck_assert_uint_eq(forgotten(&f, 91), 1);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdirplus_bad_entry_listed_and_forgotten)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct fc_entry_out eo;
	struct seen s;

	fixture_up(&f, FC_DO_READDIRPLUS, 0);
	expect_forgets(&f);
	dir_ctx(&of, root(&f), 1);
	add_direntplus(b, 95, 1, FC_S_IFREG | 0644, 1, "badattr");
	/* Spoil the attributes of that entry: no valid type. */
	memcpy(&eo, b->b, sizeof(eo));
	eo.attr.mode = 0644;
	memcpy(b->b, &eo, sizeof(eo));
	add_direntplus(b, FC_ROOT_ID, 0, FC_S_IFDIR | 0755, 2, "rootagain");
	add_direntplus(b, 96, 1, FC_S_IFREG | 0644, 3, "fine");
	expect_dir(&f, FC_READDIRPLUS, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	/* parse_dirplusfile lists them; linking fails; FORGET(nodeid, 1). */
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 1, collect, &s), 3);
	ck_assert_ptr_null(s.e[0].node);
	ck_assert_ptr_null(s.e[1].node);
	ck_assert_ptr_nonnull(s.e[2].node);
	ck_assert_uint_eq(bad_content(&f), 2);
	ck_assert_uint_eq(forgotten(&f, 95), 1);
	ck_assert_uint_eq(forgotten(&f, FC_ROOT_ID), 1);
	ck_assert_int_eq(fc_node_is_stale(root(&f)), 0);
	seen_put(&f, &s);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdirplus_malformed_forgets_prefix)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct dbuf *b = calloc(1, sizeof(*b));
	struct seen s;

	fixture_up(&f, FC_DO_READDIRPLUS, 0);
	expect_forgets(&f);
	dir_ctx(&of, root(&f), 1);
	add_direntplus(b, 97, 1, FC_S_IFREG | 0644, 1, "ok");
	add_direntplus(b, 0, 0, FC_S_IFREG, 2, "nonode");
	add_direntplus(b, 98, 1, FC_S_IFREG | 0644, 3, "x/y");
	add_direntplus(b, 99, 1, FC_S_IFREG | 0644, 4, "after");
	expect_dir(&f, FC_READDIRPLUS, FC_ROOT_ID, b);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 4096, 1, collect, &s),
			 -EIO);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(fc_client_nnodes(f.cl), 1);
	/* The well-formed entries before the bad one were counted: returned. */
	ck_assert_uint_eq(forgotten(&f, 97), 1);
	ck_assert_uint_eq(forgotten(&f, 98), 0);
	ck_assert_uint_eq(forgotten(&f, 99), 0);
	ck_assert_uint_eq(forgotten(&f, 0), 0);
	free(b);
	fixture_down(&f);
}
END_TEST

START_TEST(test_readdirplus_request)
{
	struct fixture f;
	struct fc_open_ctx of;
	struct fc_mock_exp *x;
	struct fc_read_in in;
	struct seen s;

	fixture_up(&f, FC_DO_READDIRPLUS | FC_READDIRPLUS_AUTO, 0);
	dir_ctx(&of, root(&f), 0x55);
	x = fc_mock_expect(f.mock, FC_READDIRPLUS, FC_ROOT_ID);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, 0, 32768, 1, collect, &s), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.fh, 0x55);
	ck_assert_uint_eq(in.size, 32768);
	ck_assert_uint_eq(in.flags, FC_O_RDONLY | FC_O_NONBLOCK | FC_O_LARGEFILE |
			  FC_O_DIRECTORY);
	/* plus not asked for: plain READDIR (the READDIRPLUS_AUTO choice). */
	x = fc_mock_expect(f.mock, FC_READDIR, FC_ROOT_ID);
	ck_assert_int_eq(fc_readdir(f.cl, &f.who, &of, INT64_MAX, 32768, 0, collect,
				    &s), 0);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.offset, INT64_MAX);
	fixture_down(&f);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------ */

static Suite *dir_suite(void)
{
	Suite *s = suite_create("dir");
	TCase *tc;

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_lookup_positive);
	tcase_add_test(tc, test_lookup_name_not_nul_terminated_by_caller);
	tcase_add_test(tc, test_lookup_negative_entry);
	tcase_add_test(tc, test_lookup_name_too_long);
	tcase_add_test(tc, test_lookup_child_claims_root);
	tcase_add_test(tc, test_lookup_invalid_attr);
	tcase_add_test(tc, test_lookup_short_reply);
	tcase_add_test(tc, test_stale_generation);
	tcase_add_test(tc, test_stale_type_change);
	suite_add_tcase(s, tc);

	tc = tcase_create("forget");
	tcase_add_test(tc, test_forget_batch_balance);
	tcase_add_test(tc, test_forget_single_below_16);
	tcase_add_test(tc, test_forget_sent_before_next_request);
	tcase_add_test(tc, test_forget_on_unmount);
	suite_add_tcase(s, tc);

	tc = tcase_create("create");
	tcase_add_test(tc, test_mknod_fields);
	tcase_add_test(tc, test_mknod_dont_mask);
	tcase_add_test(tc, test_mknod_compat_minor11);
	tcase_add_test(tc, test_mknod_bad_replies);
	tcase_add_test(tc, test_mkdir_fields);
	tcase_add_test(tc, test_mkdir_bad_replies);
	tcase_add_test(tc, test_create_calls_name_too_long);
	tcase_add_test(tc, test_symlink_fields);
	tcase_add_test(tc, test_symlink_target_limits);
	tcase_add_test(tc, test_link_same_node);
	tcase_add_test(tc, test_link_enosys_eperm);
	tcase_add_test(tc, test_link_bad_nodeid);
	suite_add_tcase(s, tc);

	tc = tcase_create("remove_rename");
	tcase_add_test(tc, test_unlink_rmdir);
	tcase_add_test(tc, test_rename_fields);
	tcase_add_test(tc, test_rename2_noreplace);
	tcase_add_test(tc, test_rename2_old_minor);
	tcase_add_test(tc, test_rename2_enosys);
	tcase_add_test(tc, test_rename_bad_flags);
	suite_add_tcase(s, tc);

	tc = tcase_create("readlink");
	tcase_add_test(tc, test_readlink);
	tcase_add_test(tc, test_readlink_page_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("readdir");
	tcase_add_test(tc, test_readdir_entries);
	tcase_add_test(tc, test_readdir_through_opendir);
	tcase_add_test(tc, test_readdir_size_clamp);
	tcase_add_test(tc, test_readdir_reply_too_long);
	tcase_add_test(tc, test_readdir_not_dir);
	tcase_add_loop_test(tc, test_readdir_malformed, 0, 7);
	tcase_add_test(tc, test_readdir_name_max_boundary);
	tcase_add_test(tc, test_readdir_callback_stop);
	tcase_add_test(tc, test_readdirplus_links);
	tcase_add_test(tc, test_readdirplus_stop_forgets_rest);
	tcase_add_test(tc, test_readdirplus_bad_entry_listed_and_forgotten);
	tcase_add_test(tc, test_readdirplus_malformed_forgets_prefix);
	tcase_add_test(tc, test_readdirplus_request);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dir_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
