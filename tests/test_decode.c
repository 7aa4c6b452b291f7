/*
 * The decoder against byte-exact captures of Linux 6.18 <-> libfuse 3.14
 * passthrough_ll (tests/vectors/, FCAP format): every record parses, every
 * reply finds its request, the per-opcode counts are the recorded ones, and
 * the lines say what the kernel sent.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/decode.h"
#include "fusecore/proto.h"

#ifndef VECTOR_DIR
#error "VECTOR_DIR must name tests/vectors"
#endif

static unsigned char *load(const char *name, size_t *len)
{
	char path[512];
	unsigned char *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", VECTOR_DIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct tally {
	unsigned records, requests, replies, errors;
	unsigned req[64], rep[64];
	char init_line[512], create_line[512], setlkw_line[512];
	char wb_write_line[512];
};

static void run(const char *name, struct tally *t)
{
	struct fc_decoder *d = fc_decoder_new();
	struct fc_fcap_record rec;
	size_t len, off = FC_FCAP_HEADER_SIZE;
	unsigned char *buf = load(name, &len);
	char line[1024];
	int r;

	memset(t, 0, sizeof(*t));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(fc_fcap_check(buf, len), 0);
	while ((r = fc_fcap_next(buf, len, &off, &rec)) == 1) {
		t->records++;
		if (rec.dir == FC_DIR_REQUEST) {
			struct fc_in_header h;

			ck_assert_uint_ge(rec.len, sizeof(h));
			memcpy(&h, rec.msg, sizeof(h));
			ck_assert_uint_eq(h.len, rec.len);
			ck_assert_int_eq(fc_decode(d, rec.dir, rec.msg, rec.len, line,
						   sizeof(line)), 0);
			ck_assert_uint_lt(h.opcode, 64);
			t->req[h.opcode]++;
			t->requests++;
			if (h.opcode == FC_INIT)
				strcpy(t->init_line, line);
			if (h.opcode == FC_CREATE && !t->create_line[0])
				strcpy(t->create_line, line);
			if (h.opcode == FC_SETLKW)
				strcpy(t->setlkw_line, line);
			if (h.opcode == FC_WRITE && h.pid == 0 && !t->wb_write_line[0])
				strcpy(t->wb_write_line, line);
		} else {
			struct fc_out_header h;
			uint32_t op;

			memcpy(&h, rec.msg, sizeof(h));
			op = fc_decoder_opcode_of(d, h.unique);
			ck_assert_msg(op != 0, "reply %llu has no request",
				      (unsigned long long)h.unique);
			ck_assert_int_eq(fc_decode(d, rec.dir, rec.msg, rec.len, line,
						   sizeof(line)), 0);
			ck_assert_ptr_nonnull(strstr(line, fc_opcode_name(op)));
			t->rep[op]++;
			t->replies++;
			if (h.error)
				t->errors++;
		}
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(off, len);
	fc_decoder_free(d);
	free(buf);
}

START_TEST(plain_capture)
{
	struct tally t;

	run("linux-6.18-passthrough_ll-plain.fcap", &t);
	ck_assert_uint_eq(t.records, 137);
	ck_assert_uint_eq(t.requests, 70);
	ck_assert_uint_eq(t.replies, 67);
	ck_assert_uint_eq(t.errors, 6);
	/* The per-opcode counts the capture's README gives. */
	ck_assert_uint_eq(t.req[FC_LOOKUP], 8);
	ck_assert_uint_eq(t.req[FC_FORGET], 3);
	ck_assert_uint_eq(t.rep[FC_FORGET], 0);
	ck_assert_uint_eq(t.req[FC_GETATTR], 7);
	ck_assert_uint_eq(t.req[FC_FLUSH], 10);
	ck_assert_uint_eq(t.req[FC_RELEASE], 8);
	ck_assert_uint_eq(t.rep[FC_RELEASE], 8);
	ck_assert_uint_eq(t.req[FC_READDIRPLUS], 1);
	ck_assert_uint_eq(t.req[FC_CREATE], 2);
	ck_assert_ptr_nonnull(strstr(t.init_line,
		"INIT unique=2 nodeid=0 uid=0 gid=0 pid=0 major=7 minor=45 "
		"max_readahead=131072 flags=0x73fffffb flags2=0x000005fd"));
	ck_assert_ptr_nonnull(strstr(t.create_line,
		"flags=0100302 mode=0100644 umask=022 open_flags=0x0 name='f1'"));
	ck_assert_ptr_nonnull(strstr(t.setlkw_line, "lk_flags=0x1"));
	/* msync's writeback WRITE: pid 0, FUSE_WRITE_CACHE, lock owner 0, flags 0. */
	ck_assert_ptr_nonnull(strstr(t.wb_write_line,
		"write_flags=0x1 lock_owner=0x0 flags=00"));
}
END_TEST

START_TEST(writeback_capture)
{
	struct tally t;

	run("linux-6.18-passthrough_ll-writeback.fcap", &t);
	ck_assert_uint_eq(t.records, 147);
	ck_assert_uint_eq(t.requests, 75);
	ck_assert_uint_eq(t.replies, 72);
	ck_assert_uint_eq(t.req[FC_SETATTR], 9);
	ck_assert_uint_eq(t.req[FC_GETATTR], 4);
}
END_TEST

START_TEST(malformed_input)
{
	struct fc_decoder *d = fc_decoder_new();
	unsigned char cap[] = { 'F', 'C', 'A', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 1 };
	struct fc_fcap_record rec;
	struct fc_in_header h;
	unsigned char msg[64];
	size_t off = FC_FCAP_HEADER_SIZE;
	char line[256];

	/* A record that claims more bytes than the file has. */
	ck_assert_int_eq(fc_fcap_check(cap, sizeof(cap)), 0);
	ck_assert_int_eq(fc_fcap_next(cap, sizeof(cap), &off, &rec), -EINVAL);
	cap[0] = 'X';
	ck_assert_int_eq(fc_fcap_check(cap, sizeof(cap)), -EINVAL);

	/* Too short for a header, a len that lies, a body too short. */
	ck_assert_int_eq(fc_decode(d, FC_DIR_REQUEST, msg, 10, line, sizeof(line)), -EINVAL);
	memset(&h, 0, sizeof(h));
	h.len = 99;
	h.opcode = FC_GETATTR;
	memcpy(msg, &h, sizeof(h));
	ck_assert_int_eq(fc_decode(d, FC_DIR_REQUEST, msg, sizeof(h), line, sizeof(line)), -EINVAL);
	h.len = sizeof(h) + 4;
	memcpy(msg, &h, sizeof(h));
	ck_assert_int_eq(fc_decode(d, FC_DIR_REQUEST, msg, h.len, line, sizeof(line)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(line, "MALFORMED"));
	/* A cut line stays terminated. */
	h.len = sizeof(h);
	h.opcode = FC_DESTROY;
	memcpy(msg, &h, sizeof(h));
	ck_assert_int_eq(fc_decode(d, FC_DIR_REQUEST, msg, h.len, line, 8), 0);
	ck_assert_uint_eq(strlen(line), 7);
	fc_decoder_free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, plain_capture);
	tcase_add_test(tc, writeback_capture);
	tcase_add_test(tc, malformed_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
