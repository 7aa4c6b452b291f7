#include <check.h>
#include <string.h>

#include "fixture.h"

void fixture_up(struct fixture *f, uint64_t flags, uint32_t minor)
{
	const struct fc_platform *p = fc_platform_posix();
	struct fc_conn_config cfg;
	struct fc_transport *t;
	struct fc_init_out io;

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(fc_mock_new(p, &f->mock), 0);
	ck_assert_int_eq(fc_mock_new_transport(f->mock, FC_TRANSPORT_FUSE_DEV, 1, &t), 0);
	fc_conn_config_default(&cfg, p, t);
	ck_assert_int_eq(fc_conn_new(&cfg, &f->conn), 0);
	fc_mock_init_out(&io, flags | FC_INIT_EXT);
	if (minor)
		io.minor = minor;
	io.max_write = 128 * 1024;
	if (flags & FC_MAX_PAGES)
		io.max_pages = 256;
	ck_assert_ptr_nonnull(fc_mock_expect_init(f->mock, &io));
	ck_assert_int_eq(fc_conn_init(f->conn), 0);
	ck_assert_int_eq(fc_client_new(f->conn, NULL, &f->cl), 0);
	f->who.uid = 1000;
	f->who.gid = 1000;
	f->who.pid = 4242;
	f->who.umask = 022;
	f->who.lock_owner = 0x1234;
}

void fixture_down(struct fixture *f)
{
	unsigned unexpected = fc_mock_unexpected(f->mock);

	fc_client_free(f->cl);
	fc_conn_free(f->conn);
	fc_mock_free(f->mock);
	ck_assert_uint_eq(unexpected, 0);
}

struct lookup_match {
	char name[256];
};

static int match_name(const struct fc_mock_req *r, void *ctx)
{
	const struct lookup_match *m = ctx;
	size_t n = strlen(m->name) + 1;

	return r->body_len == n && memcmp(r->body, m->name, n) == 0;
}

struct fc_mock_exp *fixture_expect_lookup(struct fixture *f, uint64_t parent,
					  const char *name, uint64_t nodeid,
					  uint64_t gen, uint32_t mode)
{
	/* Matches live until the mock is freed: keep them in a static pool. */
	static struct lookup_match pool[256];
	static unsigned next;
	struct lookup_match *m = &pool[next++ % 256];
	struct fc_mock_exp *e = fc_mock_expect(f->mock, FC_LOOKUP, parent);
	struct fc_entry_out eo;

	strncpy(m->name, name, sizeof(m->name) - 1);
	m->name[sizeof(m->name) - 1] = 0;
	fc_mock_exp_match(e, match_name, m);
	fc_mock_entry_out(&eo, nodeid, gen, mode);
	eo.entry_valid = 1;
	eo.attr_valid = 1;
	ck_assert_int_eq(fc_mock_exp_reply(e, &eo, sizeof(eo)), 0);
	return e;
}

struct fc_node *fixture_lookup(struct fixture *f, const char *name,
			       uint64_t nodeid, uint64_t gen, uint32_t mode)
{
	struct fc_entry ent;

	fixture_expect_lookup(f, FC_ROOT_ID, name, nodeid, gen, mode);
	ck_assert_int_eq(fc_lookup(f->cl, &f->who, fc_client_root(f->cl), name,
				   strlen(name), &ent), 0);
	ck_assert_ptr_nonnull(ent.node);
	return ent.node;
}

struct fc_mock_exp *fixture_expect_open(struct fixture *f, uint64_t nodeid,
					uint64_t fh, uint32_t fopen)
{
	struct fc_mock_exp *e = fc_mock_expect(f->mock, FC_OPEN, nodeid);
	struct fc_open_out oo;

	memset(&oo, 0, sizeof(oo));
	oo.fh = fh;
	oo.open_flags = fopen;
	ck_assert_int_eq(fc_mock_exp_reply(e, &oo, sizeof(oo)), 0);
	return e;
}

const void *fixture_body(struct fixture *f, unsigned i, size_t min_len)
{
	const struct fc_mock_req *r = fc_mock_recorded(f->mock, i);

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_ge(r->body_len, min_len);
	return r->body;
}

const struct fc_mock_req *fixture_last(struct fixture *f, uint32_t opcode)
{
	unsigned i = fc_mock_nrecorded(f->mock);

	while (i--) {
		const struct fc_mock_req *r = fc_mock_recorded(f->mock, i);

		if (r->hdr.opcode == opcode)
			return r;
	}
	ck_abort_msg("no request with opcode %u recorded", opcode);
	return NULL;
}
