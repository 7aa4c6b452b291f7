/*
 * Test fixture: a mock daemon on a polled memory transport, a connection
 * whose INIT it answered, and a FUSE client on top.  Shared by the client
 * tests so that each test states only its own expectations.
 */
#ifndef FUSECORE_TEST_FIXTURE_H
#define FUSECORE_TEST_FIXTURE_H

#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"

struct fixture {
	struct fc_mock *mock;
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_caller who;
};

/*
 * Bring the stack up.  The daemon grants @flags (FC_INIT_EXT is added)
 * with protocol minor @minor (0: FC_KERNEL_MINOR_VERSION) and max_write
 * 128 KiB, max_pages 32 (256 with FC_MAX_PAGES).  Aborts the test on
 * failure.  The caller @f->who is uid 1000, gid 1000, pid 4242, umask 022,
 * lock owner 0x1234.
 */
void fixture_up(struct fixture *f, uint64_t flags, uint32_t minor);

/*
 * Tear down: free the client (sending its forgets), the connection and
 * the mock.  Asserts no request went unexpected.
 */
void fixture_down(struct fixture *f);

/* Expect LOOKUP @name in @parent, answered with @nodeid/@gen/@mode (timeouts 1 s). */
struct fc_mock_exp *fixture_expect_lookup(struct fixture *f, uint64_t parent,
					  const char *name, uint64_t nodeid,
					  uint64_t gen, uint32_t mode);

/* Look @name up in the root through the client (asserting success). */
struct fc_node *fixture_lookup(struct fixture *f, const char *name,
			       uint64_t nodeid, uint64_t gen, uint32_t mode);

/* Expect OPEN of @nodeid answered with fh @fh and FOPEN flags @fopen. */
struct fc_mock_exp *fixture_expect_open(struct fixture *f, uint64_t nodeid,
					uint64_t fh, uint32_t fopen);

/* The recorded request @i's body as a @type pointer (asserts it is long enough). */
#define FIXTURE_BODY(f, i, type) \
	((const type *)fixture_body((f), (i), sizeof(type)))
const void *fixture_body(struct fixture *f, unsigned i, size_t min_len);

/* The last recorded request with @opcode (asserts there is one). */
const struct fc_mock_req *fixture_last(struct fixture *f, uint32_t opcode);

#endif
