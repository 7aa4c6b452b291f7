/*
 * init_demo: negotiate FUSE_INIT with the in-process mock daemon over the
 * memory transport and print what was requested, granted and enabled.
 *
 *   init_demo [fuse|virtiofs]
 *
 * The mock answers as libfuse 3.14's passthrough_ll did on Linux 6.18
 * (minor 31, flags 0x4040f439, max_write 1 MiB, max_pages 256).
 */
#include <stdio.h>
#include <string.h>

#include "fusecore/conn.h"
#include "fusecore/mock.h"

static const struct {
	uint64_t bit;
	const char *name;
} flag_names[] = {
#define F(x) { FC_##x, #x }
	F(ASYNC_READ), F(POSIX_LOCKS), F(FILE_OPS), F(ATOMIC_O_TRUNC),
	F(EXPORT_SUPPORT), F(BIG_WRITES), F(DONT_MASK), F(SPLICE_WRITE),
	F(SPLICE_MOVE), F(SPLICE_READ), F(FLOCK_LOCKS), F(HAS_IOCTL_DIR),
	F(AUTO_INVAL_DATA), F(DO_READDIRPLUS), F(READDIRPLUS_AUTO),
	F(ASYNC_DIO), F(WRITEBACK_CACHE), F(NO_OPEN_SUPPORT),
	F(PARALLEL_DIROPS), F(HANDLE_KILLPRIV), F(POSIX_ACL), F(ABORT_ERROR),
	F(MAX_PAGES), F(CACHE_SYMLINKS), F(NO_OPENDIR_SUPPORT),
	F(EXPLICIT_INVAL_DATA), F(MAP_ALIGNMENT), F(SUBMOUNTS),
	F(HANDLE_KILLPRIV_V2), F(SETXATTR_EXT), F(INIT_EXT), F(SECURITY_CTX),
	F(HAS_INODE_DAX), F(CREATE_SUPP_GROUP), F(HAS_EXPIRE_ONLY),
	F(DIRECT_IO_ALLOW_MMAP), F(PASSTHROUGH), F(NO_EXPORT_SUPPORT),
	F(HAS_RESEND), F(ALLOW_IDMAP), F(OVER_IO_URING), F(REQUEST_TIMEOUT),
#undef F
};

static void print_flags(const char *label, uint64_t flags)
{
	size_t i, col;

	printf("%-10s 0x%016llx", label, (unsigned long long)flags);
	col = 30;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		size_t len = strlen(flag_names[i].name) + 1;

		if (!(flags & flag_names[i].bit))
			continue;
		if (col + len > 100) {
			printf("\n%30s", "");
			col = 30;
		}
		printf(" %s", flag_names[i].name);
		col += len;
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	enum fc_transport_kind kind = FC_TRANSPORT_FUSE_DEV;
	const struct fc_platform *plat = fc_platform_posix();
	struct fc_conn_config cfg;
	const struct fc_conn_info *ci;
	struct fc_transport *t;
	struct fc_init_out reply;
	struct fc_conn *c;
	struct fc_mock *m;
	int err;

	if (argc > 1 && strcmp(argv[1], "virtiofs") == 0)
		kind = FC_TRANSPORT_VIRTIO_FS;
	else if (argc > 1 && strcmp(argv[1], "fuse") != 0) {
		fprintf(stderr, "usage: %s [fuse|virtiofs]\n", argv[0]);
		return 2;
	}
	if (fc_mock_new(plat, &m) || fc_mock_new_transport(m, kind, 1, &t)) {
		fprintf(stderr, "init_demo: out of memory\n");
		return 1;
	}
	fc_conn_config_default(&cfg, plat, t);
	if ((err = fc_conn_new(&cfg, &c)) != 0) {
		fprintf(stderr, "init_demo: fc_conn_new: %s\n", strerror(-err));
		return 1;
	}

	/* What passthrough_ll (libfuse 3.14) answered the Linux 6.18 kernel. */
	fc_mock_init_out(&reply, 0);
	reply.minor = 31;
	reply.flags = 0x4040f439;
	reply.max_write = 1048576;
	reply.max_pages = 256;
	reply.max_background = 0;
	reply.congestion_threshold = 0;
	fc_mock_expect_init(m, &reply);

	err = fc_conn_init(c);
	if (err) {
		fprintf(stderr, "init_demo: INIT failed: %s\n", strerror(-err));
		return 1;
	}
	ci = fc_conn_info(c);
	printf("transport  %s (memory pipe, mock daemon answering as passthrough_ll)\n",
	       kind == FC_TRANSPORT_VIRTIO_FS ? "virtio-fs profile" : "/dev/fuse profile");
	printf("protocol   kernel side 7.%u, daemon %u.%u\n", FC_KERNEL_MINOR_VERSION,
	       ci->major, ci->minor);
	print_flags("requested", ci->requested);
	print_flags("granted", ci->granted);
	print_flags("enabled", ci->flags);
	printf("max_write %u  max_pages %u  max_readahead %u  time_gran %u\n",
	       ci->max_write, ci->max_pages, ci->max_readahead, ci->time_gran);
	printf("max_background %u  congestion_threshold %u  name_max %u\n",
	       ci->max_background, ci->congestion_threshold, ci->name_max);
	printf("posix_locks %s  flock_locks %s  default_permissions %s\n",
	       ci->posix_locks ? "yes" : "no", ci->flock_locks ? "yes" : "no",
	       ci->default_permissions ? "yes" : "no");

	fc_conn_free(c);
	fc_mock_free(m);
	return 0;
}
