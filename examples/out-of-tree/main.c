/*
 * An out-of-tree program built against an installed libfusecore, with CMake
 * (find_package(fusecore)) or with pkg-config (Makefile).  It negotiates
 * FUSE_INIT with the library's scriptable mock daemon over the in-memory
 * transport, without threads, and prints what was agreed.
 */
#include <stdio.h>

#include <fusecore/conn.h>
#include <fusecore/decode.h>
#include <fusecore/mock.h>
#include <fusecore/platform.h>
#include <fusecore/transport.h>

int main(void)
{
	const struct fc_platform *plat = fc_platform_posix();
	struct fc_conn_config cfg;
	struct fc_transport *t;
	struct fc_init_out reply;
	struct fc_mock *mock;
	struct fc_conn *conn;
	const struct fc_conn_info *ci;
	int r;

	if (fc_mock_new(plat, &mock) < 0 ||
	    fc_mock_new_transport(mock, FC_TRANSPORT_FUSE_DEV, 1, &t) < 0)
		return 1;
	fc_conn_config_default(&cfg, plat, t);
	if (fc_conn_new(&cfg, &conn) < 0)
		return 1;
	/* The daemon grants a few capabilities, and says INIT back. */
	fc_mock_init_out(&reply, FC_ASYNC_READ | FC_BIG_WRITES | FC_POSIX_LOCKS);
	fc_mock_expect_init(mock, &reply);
	r = fc_conn_init(conn);
	if (r < 0) {
		fprintf(stderr, "INIT failed: %d\n", r);
		return 1;
	}
	ci = fc_conn_info(conn);
	printf("%s negotiated: protocol %u.%u, max_write %u, flags 0x%llx, posix locks %s\n",
	       fc_opcode_name(FC_INIT), ci->major, ci->minor, ci->max_write,
	       (unsigned long long)ci->flags, ci->posix_locks ? "yes" : "no");
	fc_conn_free(conn);
	fc_mock_free(mock);
	return 0;
}
