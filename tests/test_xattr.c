/*
 * Tests of the extended-attribute calls of the FUSE client
 * (src/protocol/xattr.c, after fs/fuse/xattr.c): the request layouts, the
 * size probes, the ENOSYS cache and the checks on LISTXATTR answers.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* A regular file below the root to work on. */
static struct fc_node *file(struct fixture *f)
{
	return fixture_lookup(f, "f", 10, 1, FC_S_IFREG | 0644);
}

static void body_is(const struct fc_mock_req *r, const void *want, size_t len)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->body_len, len);
	ck_assert_mem_eq(r->body, want, len);
}

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

static struct fc_mock_exp *expect_size(struct fixture *f, uint32_t op,
				       uint32_t size)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, 10);
	struct fc_getxattr_out go;

	memset(&go, 0, sizeof(go));
	go.size = size;
	ck_assert_int_eq(fc_mock_exp_reply(e, &go, sizeof(go)), 0);
	return e;
}

static struct fc_mock_exp *expect_data(struct fixture *f, uint32_t op,
				       const void *data, size_t len)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, op, 10);

	ck_assert_int_eq(fc_mock_exp_reply(e, data, len), 0);
	return e;
}

/* ---- SETXATTR ----------------------------------------------------------------- */

START_TEST(test_setxattr_ext_layout)
{
	struct fixture f;
	struct fc_setxattr_in in;
	struct fc_mock_exp *x;
	struct fc_node *n;
	const struct fc_mock_req *r;
	const char *p;

	fixture_up(&f, FC_SETXATTR_EXT, 0);
	n = file(&f);
	ck_assert_uint_ne(fc_node_attr_deadline(n), 0);
	x = fc_mock_expect(f.mock, FC_SETXATTR, 10);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.k", "value", 5, 2), 0);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	/* {size, flags, setxattr_flags, padding} "user.k\0" "value" */
	ck_assert_uint_eq(r->body_len, sizeof(in) + 7 + 5);
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.size, 5);
	ck_assert_uint_eq(in.flags, 2);
	ck_assert_uint_eq(in.setxattr_flags, 0);
	ck_assert_uint_eq(in.padding, 0);
	p = (const char *)r->body + sizeof(in);
	ck_assert_mem_eq(p, "user.k\0value", 12);
	/* ctime changed (fuse_update_ctime). */
	ck_assert_uint_eq(fc_node_attr_deadline(n), 0);

	/* An empty value is a value: no bytes after the name. */
	x = fc_mock_expect(f.mock, FC_SETXATTR, 10);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.e", NULL, 0, 0), 0);
	ck_assert_uint_eq(fc_mock_exp_last(x)->body_len, sizeof(in) + 7);

	/* Daemon errors pass through. */
	x = fc_mock_expect(f.mock, FC_SETXATTR, 10);
	fc_mock_exp_error(x, -EEXIST);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.k", "v", 1, 1), -EEXIST);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

START_TEST(test_setxattr_compat_layout)
{
	static const char body[] = "\x03\0\0\0\x01\0\0\0user.k\0abc";
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_node *n;

	/* Without SETXATTR_EXT: the 8-byte {size, flags} (fuse_setxattr). */
	fixture_up(&f, 0, 0);
	n = file(&f);
	x = fc_mock_expect(f.mock, FC_SETXATTR, 10);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.k", "abc", 3, 1), 0);
	body_is(fc_mock_exp_last(x), body, sizeof(body) - 1);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

START_TEST(test_xattr_argument_limits)
{
	struct fixture f;
	struct fc_node *n;
	char name[300];
	char buf[16];
	unsigned before;

	/* The VFS's limits (fs/xattr.c): nothing reaches the daemon. */
	fixture_up(&f, 0, 0);
	n = file(&f);
	memset(name, 'n', sizeof(name));
	name[256] = 0;
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "", "v", 1, 0), -ERANGE);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, name, "v", 1, 0), -ERANGE);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "", buf, sizeof(buf)), -ERANGE);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, name, buf, sizeof(buf)),
			 -ERANGE);
	ck_assert_int_eq(fc_removexattr(f.cl, &f.who, n, name), -ERANGE);
	ck_assert_int_eq(fc_removexattr(f.cl, &f.who, n, ""), -ERANGE);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.k", "v", 65537, 0),
			 -E2BIG);
	ck_assert_int_eq(fc_setxattr(f.cl, &f.who, n, "user.k", "v", 1, 4),
			 -EINVAL);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);

	/* 255 bytes is the longest name. */
	name[255] = 0;
	fc_mock_expect(f.mock, FC_REMOVEXATTR, 10);
	ck_assert_int_eq(fc_removexattr(f.cl, &f.who, n, name), 0);
	ck_assert_uint_eq(fixture_last(&f, FC_REMOVEXATTR)->body_len, 256);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* ---- GETXATTR -------------------------------------------------------------------- */

START_TEST(test_getxattr_probe_and_value)
{
	struct fixture f;
	struct fc_getxattr_in in;
	struct fc_mock_exp *x;
	struct fc_node *n;
	char val[16];
	const struct fc_mock_req *r;

	fixture_up(&f, 0, 0);
	n = file(&f);
	/* size 0: the answer is fc_getxattr_out {size}. */
	x = expect_size(&f, FC_GETXATTR, 5);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", NULL, 0), 5);
	r = fc_mock_exp_last(x);
	creds_are_caller(r);
	ck_assert_uint_eq(r->body_len, sizeof(in) + 7);
	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(in.size, 0);
	ck_assert_uint_eq(in.padding, 0);
	ck_assert_mem_eq((const char *)r->body + sizeof(in), "user.k", 7);

	/* size > 0: the value itself, at most size bytes. */
	x = expect_data(&f, FC_GETXATTR, "hello", 5);
	memset(val, 0, sizeof(val));
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", val, sizeof(val)), 5);
	ck_assert_mem_eq(val, "hello", 5);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.size, sizeof(val));

	/* A daemon ERANGE (buffer too small) passes through. */
	x = fc_mock_expect(f.mock, FC_GETXATTR, 10);
	fc_mock_exp_error(x, -ERANGE);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", val, 2), -ERANGE);
	/* ENODATA too. */
	x = fc_mock_expect(f.mock, FC_GETXATTR, 10);
	fc_mock_exp_error(x, -ENODATA);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.none", NULL, 0),
			 -ENODATA);

	/* More than asked for: refused by the connection. */
	expect_data(&f, FC_GETXATTR, "toolong", 7);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", val, 4), -EIO);
	/* A short size answer is refused as well. */
	expect_data(&f, FC_GETXATTR, "abc", 3);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", NULL, 0), -EIO);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

START_TEST(test_getxattr_size_caps)
{
	struct fixture f;
	struct fc_getxattr_in in;
	struct fc_mock_exp *x;
	struct fc_node *n;
	char *big;

	fixture_up(&f, 0, 0);
	n = file(&f);
	/* A probe answer is capped at XATTR_SIZE_MAX (min_t in fuse_getxattr). */
	expect_size(&f, FC_GETXATTR, 70000);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", NULL, 0), 65536);
	expect_size(&f, FC_GETXATTR, 65536);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", NULL, 0), 65536);
	/* A buffer bigger than any value asks for XATTR_SIZE_MAX (do_getxattr). */
	big = malloc(100000);
	x = expect_data(&f, FC_GETXATTR, "v", 1);
	ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", big, 100000), 1);
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.size, 65536);
	free(big);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* ---- LISTXATTR ---------------------------------------------------------------------- */

START_TEST(test_listxattr)
{
	static const char list[] = "user.a\0user.bb";
	struct fixture f;
	struct fc_getxattr_in in;
	struct fc_mock_exp *x;
	struct fc_node *n;
	char buf[64];

	fixture_up(&f, 0, 0);
	n = file(&f);
	x = expect_size(&f, FC_LISTXATTR, sizeof(list));
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, NULL, 0), sizeof(list));
	/* Just {size, padding}: no name. */
	memset(&in, 0, sizeof(in));
	body_is(fc_mock_exp_last(x), &in, sizeof(in));
	creds_are_caller(fc_mock_exp_last(x));

	x = expect_data(&f, FC_LISTXATTR, list, sizeof(list));
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, buf, sizeof(buf)),
			 sizeof(list));
	ck_assert_mem_eq(buf, list, sizeof(list));
	memcpy(&in, fc_mock_exp_last(x)->body, sizeof(in));
	ck_assert_uint_eq(in.size, sizeof(buf));

	/* No attributes at all. */
	expect_data(&f, FC_LISTXATTR, "", 0);
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, buf, sizeof(buf)), 0);

	/* Probe answers are capped at XATTR_LIST_MAX. */
	expect_size(&f, FC_LISTXATTR, 1u << 20);
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, NULL, 0), 65536);
	ck_assert_uint_eq(bad_content(&f), 0);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* Lists fuse_verify_xattr_list refuses. */
static const struct {
	const char *data;
	size_t len;
} bad_lists[] = {
	{ "user.a", 6 },            /* not NUL-terminated */
	{ "user.a\0user.b", 13 },   /* the last one is not */
	{ "\0", 1 },                /* an empty name */
	{ "user.a\0\0", 8 },        /* an empty name after a good one */
	{ "\0user.a", 8 },          /* starts empty */
};

START_TEST(test_listxattr_malformed)
{
	struct fixture f;
	struct fc_node *n;
	char buf[64];

	fixture_up(&f, 0, 0);
	n = file(&f);
	expect_data(&f, FC_LISTXATTR, bad_lists[_i].data, bad_lists[_i].len);
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, buf, sizeof(buf)), -EIO);
	ck_assert_uint_eq(bad_content(&f), 1);
	/* The connection still works. */
	expect_data(&f, FC_LISTXATTR, "a\0", 2);
	ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, buf, sizeof(buf)), 2);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* ---- REMOVEXATTR ------------------------------------------------------------------- */

START_TEST(test_removexattr)
{
	struct fixture f;
	struct fc_mock_exp *x;
	struct fc_node *n;

	fixture_up(&f, 0, 0);
	n = file(&f);
	x = fc_mock_expect(f.mock, FC_REMOVEXATTR, 10);
	ck_assert_int_eq(fc_removexattr(f.cl, &f.who, n, "user.gone"), 0);
	body_is(fc_mock_exp_last(x), "user.gone", 10);
	creds_are_caller(fc_mock_exp_last(x));
	ck_assert_uint_eq(fc_node_attr_deadline(n), 0);
	x = fc_mock_expect(f.mock, FC_REMOVEXATTR, 10);
	fc_mock_exp_error(x, -ENODATA);
	ck_assert_int_eq(fc_removexattr(f.cl, &f.who, n, "user.gone"), -ENODATA);
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* ---- ENOSYS ------------------------------------------------------------------------ */

/* One call of each kind; @_i picks the opcode answered ENOSYS. */
static long call(struct fixture *f, struct fc_node *n, uint32_t op)
{
	char buf[16];

	switch (op) {
	case FC_SETXATTR:
		return fc_setxattr(f->cl, &f->who, n, "user.k", "v", 1, 0);
	case FC_GETXATTR:
		return fc_getxattr(f->cl, &f->who, n, "user.k", buf, sizeof(buf));
	case FC_LISTXATTR:
		return fc_listxattr(f->cl, &f->who, n, buf, sizeof(buf));
	default:
		return fc_removexattr(f->cl, &f->who, n, "user.k");
	}
}

static const uint32_t xattr_ops[] = {
	FC_SETXATTR, FC_GETXATTR, FC_LISTXATTR, FC_REMOVEXATTR,
};

START_TEST(test_xattr_enosys_cached)
{
	uint32_t op = xattr_ops[_i];
	struct fixture f;
	struct fc_node *n;
	unsigned before, i;

	fixture_up(&f, 0, 0);
	n = file(&f);
	fc_mock_exp_error(fc_mock_expect(f.mock, op, 10), -ENOSYS);
	ck_assert_int_eq(call(&f, n, op), -EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_count(f.mock, op), 1);
	/* fc->no_*xattr: EOPNOTSUPP at once, for good. */
	before = fc_mock_nrecorded(f.mock);
	ck_assert_int_eq(call(&f, n, op), -EOPNOTSUPP);
	ck_assert_int_eq(call(&f, n, op), -EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);
	/* The size probe of GETXATTR/LISTXATTR is the same opcode. */
	if (op == FC_GETXATTR)
		ck_assert_int_eq(fc_getxattr(f.cl, &f.who, n, "user.k", NULL, 0),
				 -EOPNOTSUPP);
	if (op == FC_LISTXATTR)
		ck_assert_int_eq(fc_listxattr(f.cl, &f.who, n, NULL, 0), -EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_nrecorded(f.mock), before);

	/* The other xattr calls are still asked. */
	for (i = 0; i < 4; i++) {
		if (xattr_ops[i] == op)
			continue;
		fc_mock_exp_error(fc_mock_expect(f.mock, xattr_ops[i], 10), -ENODATA);
		ck_assert_int_eq(call(&f, n, xattr_ops[i]), -ENODATA);
	}
	fc_node_put(f.cl, n);
	fixture_down(&f);
}
END_TEST

/* ---- suite ------------------------------------------------------------------------ */

static Suite *xattr_suite(void)
{
	Suite *s = suite_create("xattr");
	TCase *tc = tcase_create("xattr");

	tcase_add_test(tc, test_setxattr_ext_layout);
	tcase_add_test(tc, test_setxattr_compat_layout);
	tcase_add_test(tc, test_xattr_argument_limits);
	tcase_add_test(tc, test_getxattr_probe_and_value);
	tcase_add_test(tc, test_getxattr_size_caps);
	tcase_add_test(tc, test_listxattr);
	tcase_add_loop_test(tc, test_listxattr_malformed, 0,
			    sizeof(bad_lists) / sizeof(bad_lists[0]));
	tcase_add_test(tc, test_removexattr);
	tcase_add_loop_test(tc, test_xattr_enosys_cached, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xattr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
