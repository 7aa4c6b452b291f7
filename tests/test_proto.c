/*
 * test_proto.c - checks for include/fusecore/proto.h.
 *
 * Two groups of tests:
 *   "wire": independent of any system header; decodes a hand-written INIT
 *           request byte by byte and pins down fixed protocol values.
 *   "host": compares every struct layout and constant with the system's
 *           <linux/fuse.h>, when there is one (7.38 or newer); anything the
 *           host header is too old to have is skipped by its minor version.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/proto.h"

#if defined(__has_include)
#if __has_include(<linux/fuse.h>)
#include <linux/ioctl.h>
#include <linux/fuse.h>
#if FUSE_KERNEL_MINOR_VERSION >= 38
#define HAVE_HOST_FUSE 1
#endif
#endif
#endif

/* ------------------------------------------------------------------ */
/* Host-independent tests                                               */
/* ------------------------------------------------------------------ */

/*
 * The INIT request Linux 6.18 writes to /dev/fuse, as it appears on the wire
 * (little-endian): fuse_in_header followed by fuse_init_in.
 */
static const unsigned char init_request[104] = {
	/* in_header (40 bytes) */
	0x68, 0x00, 0x00, 0x00,                         /* len = 104 */
	0x1a, 0x00, 0x00, 0x00,                         /* opcode = 26 (INIT) */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* unique = 2 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* nodeid = 0 */
	0x00, 0x00, 0x00, 0x00,                         /* uid = 0 */
	0x00, 0x00, 0x00, 0x00,                         /* gid = 0 */
	0x00, 0x00, 0x00, 0x00,                         /* pid = 0 */
	0x00, 0x00,                                     /* total_extlen = 0 */
	0x00, 0x00,                                     /* padding */
	/* init_in (64 bytes) */
	0x07, 0x00, 0x00, 0x00,                         /* major = 7 */
	0x2d, 0x00, 0x00, 0x00,                         /* minor = 45 */
	0x00, 0x00, 0x02, 0x00,                         /* max_readahead = 131072 */
	0xfb, 0xff, 0xff, 0x73,                         /* flags = 0x73fffffb */
	0xfd, 0x05, 0x00, 0x00,                         /* flags2 = 0x000005fd */
	/* unused[11]: 44 zero bytes (implicit) */
};

static uint32_t le32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64_at(const unsigned char *p)
{
	return (uint64_t)le32_at(p) | (uint64_t)le32_at(p + 4) << 32;
}

START_TEST(test_init_request_decode)
{
	struct fc_in_header ih;
	struct fc_init_in ii;
	size_t i;

	ck_assert_uint_eq(sizeof(init_request),
			  sizeof(struct fc_in_header) + sizeof(struct fc_init_in));

	/* The struct offsets agree with an explicit little-endian decode. */
	ck_assert_uint_eq(le32_at(init_request + offsetof(struct fc_in_header, len)), 104);
	ck_assert_uint_eq(le32_at(init_request + offsetof(struct fc_in_header, opcode)), 26);
	ck_assert_uint_eq(le64_at(init_request + offsetof(struct fc_in_header, unique)), 2);
	ck_assert_uint_eq(le32_at(init_request + sizeof(ih) + offsetof(struct fc_init_in, minor)), 45);
	ck_assert_uint_eq(le32_at(init_request + sizeof(ih) + offsetof(struct fc_init_in, flags)),
			  0x73fffffbu);
	ck_assert_uint_eq(le32_at(init_request + sizeof(ih) + offsetof(struct fc_init_in, flags2)),
			  0x000005fdu);

	/* And a plain memcpy into the structs (the header assumes a LE host). */
	memcpy(&ih, init_request, sizeof(ih));
	memcpy(&ii, init_request + sizeof(ih), sizeof(ii));

	ck_assert_uint_eq(ih.len, 104);
	ck_assert_uint_eq(ih.len, sizeof(init_request));
	ck_assert_uint_eq(ih.opcode, FC_INIT);
	ck_assert_uint_eq(ih.unique, 2);
	ck_assert_uint_eq(ih.unique & FC_UNIQUE_RESEND, 0);
	ck_assert_uint_eq(ih.nodeid, 0);
	ck_assert_uint_eq(ih.uid, 0);
	ck_assert_uint_eq(ih.gid, 0);
	ck_assert_uint_eq(ih.pid, 0);
	ck_assert_uint_eq(ih.total_extlen, 0);
	ck_assert_uint_eq(ih.padding, 0);

	ck_assert_uint_eq(ii.major, FC_KERNEL_VERSION);
	ck_assert_uint_eq(ii.minor, FC_KERNEL_MINOR_VERSION);
	ck_assert_uint_eq(ii.max_readahead, 131072);
	ck_assert_uint_eq(ii.flags, 0x73fffffbu);
	ck_assert_uint_eq(ii.flags2, 0x000005fdu);
	for (i = 0; i < sizeof(ii.unused) / sizeof(ii.unused[0]); i++)
		ck_assert_uint_eq(ii.unused[i], 0);
}
END_TEST

START_TEST(test_init_flags_decode)
{
	struct fc_init_in ii;
	uint64_t f;
	uint64_t expect;

	memcpy(&ii, init_request + sizeof(struct fc_in_header), sizeof(ii));
	f = (uint64_t)ii.flags | ((uint64_t)ii.flags2 << 32);

	/* FC_INIT_EXT is what makes flags2 meaningful. */
	ck_assert((f & FC_INIT_EXT) != 0);

	ck_assert((f & FC_ASYNC_READ) != 0);
	ck_assert((f & FC_POSIX_LOCKS) != 0);
	ck_assert((f & FC_ATOMIC_O_TRUNC) != 0);
	ck_assert((f & FC_WRITEBACK_CACHE) != 0);
	ck_assert((f & FC_NO_OPEN_SUPPORT) != 0);
	ck_assert((f & FC_MAX_PAGES) != 0);
	ck_assert((f & FC_HANDLE_KILLPRIV_V2) != 0);
	ck_assert((f & FC_SETXATTR_EXT) != 0);
	ck_assert((f & FC_SECURITY_CTX) != 0);
	ck_assert((f & FC_CREATE_SUPP_GROUP) != 0);
	ck_assert((f & FC_HAS_EXPIRE_ONLY) != 0);
	ck_assert((f & FC_DIRECT_IO_ALLOW_MMAP) != 0);
	ck_assert((f & FC_DIRECT_IO_RELAX) != 0);
	ck_assert((f & FC_PASSTHROUGH) != 0);
	ck_assert((f & FC_HAS_RESEND) != 0);
	ck_assert((f & FC_ALLOW_IDMAP) != 0);
	ck_assert((f & FC_REQUEST_TIMEOUT) != 0);

	/* Offered only for DAX / virtiofs, io_uring, or never. */
	ck_assert((f & FC_FILE_OPS) == 0);
	ck_assert((f & FC_MAP_ALIGNMENT) == 0);
	ck_assert((f & FC_SUBMOUNTS) == 0);
	ck_assert((f & FC_INIT_RESERVED) == 0);
	ck_assert((f & FC_HAS_INODE_DAX) == 0);
	ck_assert((f & FC_OVER_IO_URING) == 0);

	/* The named bits account for the whole advertised set, nothing else. */
	expect = FC_ASYNC_READ | FC_POSIX_LOCKS | FC_ATOMIC_O_TRUNC |
		 FC_EXPORT_SUPPORT | FC_BIG_WRITES | FC_DONT_MASK |
		 FC_SPLICE_WRITE | FC_SPLICE_MOVE | FC_SPLICE_READ |
		 FC_FLOCK_LOCKS | FC_HAS_IOCTL_DIR | FC_AUTO_INVAL_DATA |
		 FC_DO_READDIRPLUS | FC_READDIRPLUS_AUTO | FC_ASYNC_DIO |
		 FC_WRITEBACK_CACHE | FC_NO_OPEN_SUPPORT | FC_PARALLEL_DIROPS |
		 FC_HANDLE_KILLPRIV | FC_POSIX_ACL | FC_ABORT_ERROR |
		 FC_MAX_PAGES | FC_CACHE_SYMLINKS | FC_NO_OPENDIR_SUPPORT |
		 FC_EXPLICIT_INVAL_DATA | FC_HANDLE_KILLPRIV_V2 |
		 FC_SETXATTR_EXT | FC_INIT_EXT |
		 FC_SECURITY_CTX | FC_CREATE_SUPP_GROUP | FC_HAS_EXPIRE_ONLY |
		 FC_DIRECT_IO_ALLOW_MMAP | FC_PASSTHROUGH |
		 FC_NO_EXPORT_SUPPORT | FC_HAS_RESEND | FC_ALLOW_IDMAP |
		 FC_REQUEST_TIMEOUT;
	ck_assert_uint_eq(f, expect);
	ck_assert_uint_eq((uint32_t)expect, 0x73fffffbu);
	ck_assert_uint_eq((uint32_t)(expect >> 32), 0x000005fdu);
}
END_TEST

START_TEST(test_fixed_values)
{
	/* Only the namelen fields are read; no room for a name is needed. */
	struct fc_direntplus dp;
	struct fc_dirent *d = &dp.dirent;

	ck_assert_int_eq(FC_KERNEL_VERSION, 7);
	ck_assert_int_eq(FC_KERNEL_MINOR_VERSION, 45);
	ck_assert_int_eq(FC_ROOT_ID, 1);

	ck_assert_int_eq(FC_LOOKUP, 1);
	ck_assert_int_eq(FC_FORGET, 2);
	ck_assert_int_eq(FC_INIT, 26);
	ck_assert_int_eq(FC_INTERRUPT, 36);
	ck_assert_int_eq(FC_NOTIFY_REPLY, 41);
	ck_assert_int_eq(FC_BATCH_FORGET, 42);
	ck_assert_int_eq(FC_RENAME2, 45);
	ck_assert_int_eq(FC_LSEEK, 46);
	ck_assert_int_eq(FC_COPY_FILE_RANGE, 47);
	ck_assert_int_eq(FC_SETUPMAPPING, 48);
	ck_assert_int_eq(FC_REMOVEMAPPING, 49);
	ck_assert_int_eq(FC_SYNCFS, 50);
	ck_assert_int_eq(FC_TMPFILE, 51);
	ck_assert_int_eq(FC_STATX, 52);
	ck_assert_int_eq(FC_COPY_FILE_RANGE_64, 53);
	ck_assert_int_eq(FC_CUSE_INIT, 4096);
	ck_assert_int_eq(FC_INIT_BSWAP_RESERVED, FC_INIT << 24);
	ck_assert_int_eq(FC_CUSE_INIT_BSWAP_RESERVED, FC_CUSE_INIT << 8);

	ck_assert_int_eq(FC_NOTIFY_POLL, 1);
	ck_assert_int_eq(FC_NOTIFY_INC_EPOCH, 8);
	ck_assert_int_eq(FC_NOTIFY_PRUNE, 9);
	ck_assert_int_eq(FC_NOTIFY_CODE_MAX, FC_NOTIFY_PRUNE + 1);

	ck_assert_uint_eq(FC_INIT_RESERVED, 0x80000000ULL);
	ck_assert_uint_eq(FC_SECURITY_CTX, 0x100000000ULL);
	ck_assert_uint_eq(FC_REQUEST_TIMEOUT, 1ULL << 42);
	ck_assert_uint_eq(FC_UNIQUE_RESEND, 0x8000000000000000ULL);
	ck_assert_uint_eq(FC_INVALID_UIDGID, 0xffffffffu);
	ck_assert_uint_eq(FC_FOPEN_PASSTHROUGH, 0x80u);
	ck_assert_uint_eq(FC_WRITE_KILL_PRIV, FC_WRITE_KILL_SUIDGID);
	ck_assert_int_eq(FC_EXT_GROUPS, 32);

	ck_assert_int_eq(FC_MIN_READ_BUFFER, 8192);
	ck_assert_int_eq(FC_COMPAT_ENTRY_OUT_SIZE, 120);
	ck_assert_int_eq(FC_COMPAT_ATTR_OUT_SIZE, 96);
	ck_assert_int_eq(FC_COMPAT_MKNOD_IN_SIZE, 8);
	ck_assert_int_eq(FC_COMPAT_WRITE_IN_SIZE, 24);
	ck_assert_int_eq(FC_COMPAT_STATFS_SIZE, 48);
	ck_assert_int_eq(FC_COMPAT_INIT_OUT_SIZE, 8);
	ck_assert_int_eq(FC_COMPAT_22_INIT_OUT_SIZE, 24);
	ck_assert_int_eq(FC_COMPAT_SETXATTR_IN_SIZE, 8);

	/* Compat sizes are prefixes of the current records. */
	ck_assert_uint_eq(FC_COMPAT_ENTRY_OUT_SIZE,
			  sizeof(struct fc_entry_out) - 8);
	ck_assert_uint_eq(FC_COMPAT_ATTR_OUT_SIZE,
			  sizeof(struct fc_attr_out) - 8);
	ck_assert_uint_eq(FC_COMPAT_STATFS_SIZE,
			  offsetof(struct fc_kstatfs, frsize));
	ck_assert_uint_eq(FC_COMPAT_22_INIT_OUT_SIZE,
			  offsetof(struct fc_init_out, time_gran));
	ck_assert_uint_eq(FC_COMPAT_WRITE_IN_SIZE,
			  offsetof(struct fc_write_in, lock_owner));

	/* Directory record arithmetic. */
	ck_assert_uint_eq(FC_NAME_OFFSET, 24);
	ck_assert_uint_eq(FC_NAME_OFFSET_DIRENTPLUS, 152);
	ck_assert_uint_eq(FC_DIRENT_ALIGN(0), 0);
	ck_assert_uint_eq(FC_DIRENT_ALIGN(1), 8);
	ck_assert_uint_eq(FC_DIRENT_ALIGN(8), 8);
	ck_assert_uint_eq(FC_DIRENT_ALIGN(25), 32);
	memset(&dp, 0, sizeof(dp));
	d->namelen = 1;
	ck_assert_uint_eq(FC_DIRENT_SIZE(d), 32);
	ck_assert_uint_eq(FC_DIRENTPLUS_SIZE(&dp), 160);
	d->namelen = 8;
	ck_assert_uint_eq(FC_DIRENT_SIZE(d), 32);
	ck_assert_uint_eq(FC_DIRENTPLUS_SIZE(&dp), 160);
	d->namelen = 9;
	ck_assert_uint_eq(FC_DIRENT_SIZE(d), 40);
	ck_assert_uint_eq(FC_DIRENTPLUS_SIZE(&dp), 168);

	ck_assert_uint_eq(FC_REMOVEMAPPING_MAX_ENTRY(4096), 256);
	ck_assert_uint_eq(sizeof(struct fc_uring_req_header),
			  FC_URING_IN_OUT_HEADER_SZ + FC_URING_OP_IN_OUT_SZ +
			  sizeof(struct fc_uring_ent_in_out));
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
	defined(__arm__) || (defined(__riscv) && !defined(__mips__))
	/* asm-generic ioctl encoding */
	ck_assert_uint_eq(FC_DEV_IOC_CLONE, 0x8004e500u);
	ck_assert_uint_eq(FC_DEV_IOC_BACKING_OPEN, 0x4010e501u);
	ck_assert_uint_eq(FC_DEV_IOC_BACKING_CLOSE, 0x4004e502u);
	ck_assert_uint_eq(FC_DEV_IOC_SYNC_INIT, 0x0000e503u);
#endif
}
END_TEST

/* ------------------------------------------------------------------ */
/* Comparison with the host's <linux/fuse.h>                            */
/* ------------------------------------------------------------------ */

#ifdef HAVE_HOST_FUSE

/* 1 for signed integer types, 0 for everything else (incl. arrays, structs). */
#define IS_SIGNED(x) \
	_Generic((x), signed char: 1, short: 1, int: 1, long: 1, \
		 long long: 1, default: 0)

#define MEMBER(type, f) (((struct type *)0)->f)

/* Same size. */
#define CHECK_SIZE(fc, k) \
	ck_assert_msg(sizeof(struct fc) == sizeof(struct k), \
		      "sizeof(struct " #fc ") = %zu, host " #k " = %zu", \
		      sizeof(struct fc), sizeof(struct k))

/* Same offset only (flexible array members, or fields that changed type). */
#define CHECK_OFFSET2(fc, k, f, kf) \
	ck_assert_msg(offsetof(struct fc, f) == offsetof(struct k, kf), \
		      #fc "." #f " at %zu, host " #k "." #kf " at %zu", \
		      offsetof(struct fc, f), offsetof(struct k, kf))
#define CHECK_OFFSET(fc, k, f) CHECK_OFFSET2(fc, k, f, f)

/* Same offset, size and signedness; kf names the host field. */
#define CHECK_FIELD2(fc, k, f, kf) \
	do { \
		CHECK_OFFSET2(fc, k, f, kf); \
		ck_assert_msg(sizeof(MEMBER(fc, f)) == sizeof(MEMBER(k, kf)), \
			      #fc "." #f " is %zu bytes, host %zu", \
			      sizeof(MEMBER(fc, f)), sizeof(MEMBER(k, kf))); \
		ck_assert_msg(IS_SIGNED(MEMBER(fc, f)) == \
			      IS_SIGNED(MEMBER(k, kf)), \
			      #fc "." #f " signedness differs from host"); \
	} while (0)
#define CHECK_FIELD(fc, k, f) CHECK_FIELD2(fc, k, f, f)

/* Same value (compared as 64-bit unsigned). */
#define CHECK_CONST(fc, k) \
	ck_assert_msg((uint64_t)(fc) == (uint64_t)(k), \
		      #fc " = %#llx, host " #k " = %#llx", \
		      (unsigned long long)(fc), (unsigned long long)(k))

START_TEST(test_layout_attr)
{
	CHECK_SIZE(fc_attr, fuse_attr);
	CHECK_FIELD(fc_attr, fuse_attr, ino);
	CHECK_FIELD(fc_attr, fuse_attr, size);
	CHECK_FIELD(fc_attr, fuse_attr, blocks);
	CHECK_FIELD(fc_attr, fuse_attr, atime);
	CHECK_FIELD(fc_attr, fuse_attr, mtime);
	CHECK_FIELD(fc_attr, fuse_attr, ctime);
	CHECK_FIELD(fc_attr, fuse_attr, atimensec);
	CHECK_FIELD(fc_attr, fuse_attr, mtimensec);
	CHECK_FIELD(fc_attr, fuse_attr, ctimensec);
	CHECK_FIELD(fc_attr, fuse_attr, mode);
	CHECK_FIELD(fc_attr, fuse_attr, nlink);
	CHECK_FIELD(fc_attr, fuse_attr, uid);
	CHECK_FIELD(fc_attr, fuse_attr, gid);
	CHECK_FIELD(fc_attr, fuse_attr, rdev);
	CHECK_FIELD(fc_attr, fuse_attr, blksize);
	CHECK_FIELD(fc_attr, fuse_attr, flags);
}
END_TEST

#if FUSE_KERNEL_MINOR_VERSION >= 39
START_TEST(test_layout_sx_time)
{
	CHECK_SIZE(fc_sx_time, fuse_sx_time);
	CHECK_FIELD(fc_sx_time, fuse_sx_time, tv_sec);
	CHECK_FIELD(fc_sx_time, fuse_sx_time, tv_nsec);
	CHECK_FIELD(fc_sx_time, fuse_sx_time, __reserved);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 39
START_TEST(test_layout_statx)
{
	CHECK_SIZE(fc_statx, fuse_statx);
	CHECK_FIELD(fc_statx, fuse_statx, mask);
	CHECK_FIELD(fc_statx, fuse_statx, blksize);
	CHECK_FIELD(fc_statx, fuse_statx, attributes);
	CHECK_FIELD(fc_statx, fuse_statx, nlink);
	CHECK_FIELD(fc_statx, fuse_statx, uid);
	CHECK_FIELD(fc_statx, fuse_statx, gid);
	CHECK_FIELD(fc_statx, fuse_statx, mode);
	CHECK_FIELD(fc_statx, fuse_statx, __spare0);
	CHECK_FIELD(fc_statx, fuse_statx, ino);
	CHECK_FIELD(fc_statx, fuse_statx, size);
	CHECK_FIELD(fc_statx, fuse_statx, blocks);
	CHECK_FIELD(fc_statx, fuse_statx, attributes_mask);
	CHECK_FIELD(fc_statx, fuse_statx, atime);
	CHECK_FIELD(fc_statx, fuse_statx, btime);
	CHECK_FIELD(fc_statx, fuse_statx, ctime);
	CHECK_FIELD(fc_statx, fuse_statx, mtime);
	CHECK_FIELD(fc_statx, fuse_statx, rdev_major);
	CHECK_FIELD(fc_statx, fuse_statx, rdev_minor);
	CHECK_FIELD(fc_statx, fuse_statx, dev_major);
	CHECK_FIELD(fc_statx, fuse_statx, dev_minor);
	CHECK_FIELD(fc_statx, fuse_statx, __spare2);
}
END_TEST
#endif

START_TEST(test_layout_kstatfs)
{
	CHECK_SIZE(fc_kstatfs, fuse_kstatfs);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, blocks);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, bfree);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, bavail);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, files);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, ffree);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, bsize);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, namelen);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, frsize);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, padding);
	CHECK_FIELD(fc_kstatfs, fuse_kstatfs, spare);
}
END_TEST

START_TEST(test_layout_file_lock)
{
	CHECK_SIZE(fc_file_lock, fuse_file_lock);
	CHECK_FIELD(fc_file_lock, fuse_file_lock, start);
	CHECK_FIELD(fc_file_lock, fuse_file_lock, end);
	CHECK_FIELD(fc_file_lock, fuse_file_lock, type);
	CHECK_FIELD(fc_file_lock, fuse_file_lock, pid);
}
END_TEST

START_TEST(test_layout_entry_out)
{
	CHECK_SIZE(fc_entry_out, fuse_entry_out);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, nodeid);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, generation);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, entry_valid);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, attr_valid);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, entry_valid_nsec);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, attr_valid_nsec);
	CHECK_FIELD(fc_entry_out, fuse_entry_out, attr);
}
END_TEST

START_TEST(test_layout_forget_in)
{
	CHECK_SIZE(fc_forget_in, fuse_forget_in);
	CHECK_FIELD(fc_forget_in, fuse_forget_in, nlookup);
}
END_TEST

START_TEST(test_layout_forget_one)
{
	CHECK_SIZE(fc_forget_one, fuse_forget_one);
	CHECK_FIELD(fc_forget_one, fuse_forget_one, nodeid);
	CHECK_FIELD(fc_forget_one, fuse_forget_one, nlookup);
}
END_TEST

START_TEST(test_layout_batch_forget_in)
{
	CHECK_SIZE(fc_batch_forget_in, fuse_batch_forget_in);
	CHECK_FIELD(fc_batch_forget_in, fuse_batch_forget_in, count);
	CHECK_FIELD(fc_batch_forget_in, fuse_batch_forget_in, dummy);
}
END_TEST

START_TEST(test_layout_getattr_in)
{
	CHECK_SIZE(fc_getattr_in, fuse_getattr_in);
	CHECK_FIELD(fc_getattr_in, fuse_getattr_in, getattr_flags);
	CHECK_FIELD(fc_getattr_in, fuse_getattr_in, dummy);
	CHECK_FIELD(fc_getattr_in, fuse_getattr_in, fh);
}
END_TEST

START_TEST(test_layout_attr_out)
{
	CHECK_SIZE(fc_attr_out, fuse_attr_out);
	CHECK_FIELD(fc_attr_out, fuse_attr_out, attr_valid);
	CHECK_FIELD(fc_attr_out, fuse_attr_out, attr_valid_nsec);
	CHECK_FIELD(fc_attr_out, fuse_attr_out, dummy);
	CHECK_FIELD(fc_attr_out, fuse_attr_out, attr);
}
END_TEST

#if FUSE_KERNEL_MINOR_VERSION >= 39
START_TEST(test_layout_statx_in)
{
	CHECK_SIZE(fc_statx_in, fuse_statx_in);
	CHECK_FIELD(fc_statx_in, fuse_statx_in, getattr_flags);
	CHECK_FIELD(fc_statx_in, fuse_statx_in, reserved);
	CHECK_FIELD(fc_statx_in, fuse_statx_in, fh);
	CHECK_FIELD(fc_statx_in, fuse_statx_in, sx_flags);
	CHECK_FIELD(fc_statx_in, fuse_statx_in, sx_mask);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 39
START_TEST(test_layout_statx_out)
{
	CHECK_SIZE(fc_statx_out, fuse_statx_out);
	CHECK_FIELD(fc_statx_out, fuse_statx_out, attr_valid);
	CHECK_FIELD(fc_statx_out, fuse_statx_out, attr_valid_nsec);
	CHECK_FIELD(fc_statx_out, fuse_statx_out, flags);
	CHECK_FIELD(fc_statx_out, fuse_statx_out, spare);
	CHECK_FIELD(fc_statx_out, fuse_statx_out, stat);
}
END_TEST
#endif

START_TEST(test_layout_mknod_in)
{
	CHECK_SIZE(fc_mknod_in, fuse_mknod_in);
	CHECK_FIELD(fc_mknod_in, fuse_mknod_in, mode);
	CHECK_FIELD(fc_mknod_in, fuse_mknod_in, rdev);
	CHECK_FIELD(fc_mknod_in, fuse_mknod_in, umask);
	CHECK_FIELD(fc_mknod_in, fuse_mknod_in, padding);
}
END_TEST

START_TEST(test_layout_mkdir_in)
{
	CHECK_SIZE(fc_mkdir_in, fuse_mkdir_in);
	CHECK_FIELD(fc_mkdir_in, fuse_mkdir_in, mode);
	CHECK_FIELD(fc_mkdir_in, fuse_mkdir_in, umask);
}
END_TEST

START_TEST(test_layout_rename_in)
{
	CHECK_SIZE(fc_rename_in, fuse_rename_in);
	CHECK_FIELD(fc_rename_in, fuse_rename_in, newdir);
}
END_TEST

START_TEST(test_layout_rename2_in)
{
	CHECK_SIZE(fc_rename2_in, fuse_rename2_in);
	CHECK_FIELD(fc_rename2_in, fuse_rename2_in, newdir);
	CHECK_FIELD(fc_rename2_in, fuse_rename2_in, flags);
	CHECK_FIELD(fc_rename2_in, fuse_rename2_in, padding);
}
END_TEST

START_TEST(test_layout_link_in)
{
	CHECK_SIZE(fc_link_in, fuse_link_in);
	CHECK_FIELD(fc_link_in, fuse_link_in, oldnodeid);
}
END_TEST

START_TEST(test_layout_setattr_in)
{
	CHECK_SIZE(fc_setattr_in, fuse_setattr_in);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, valid);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, padding);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, fh);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, size);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, lock_owner);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, atime);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, mtime);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, ctime);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, atimensec);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, mtimensec);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, ctimensec);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, mode);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, unused4);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, uid);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, gid);
	CHECK_FIELD(fc_setattr_in, fuse_setattr_in, unused5);
}
END_TEST

START_TEST(test_layout_open_in)
{
	CHECK_SIZE(fc_open_in, fuse_open_in);
	CHECK_FIELD(fc_open_in, fuse_open_in, flags);
	CHECK_FIELD(fc_open_in, fuse_open_in, open_flags);
}
END_TEST

START_TEST(test_layout_create_in)
{
	CHECK_SIZE(fc_create_in, fuse_create_in);
	CHECK_FIELD(fc_create_in, fuse_create_in, flags);
	CHECK_FIELD(fc_create_in, fuse_create_in, mode);
	CHECK_FIELD(fc_create_in, fuse_create_in, umask);
	CHECK_FIELD(fc_create_in, fuse_create_in, open_flags);
}
END_TEST

START_TEST(test_layout_open_out)
{
	CHECK_SIZE(fc_open_out, fuse_open_out);
	CHECK_FIELD(fc_open_out, fuse_open_out, fh);
	CHECK_FIELD(fc_open_out, fuse_open_out, open_flags);
#if FUSE_KERNEL_MINOR_VERSION >= 40
	CHECK_FIELD(fc_open_out, fuse_open_out, backing_id);
#else
	CHECK_OFFSET2(fc_open_out, fuse_open_out, backing_id, padding);
#endif
}
END_TEST

START_TEST(test_layout_release_in)
{
	CHECK_SIZE(fc_release_in, fuse_release_in);
	CHECK_FIELD(fc_release_in, fuse_release_in, fh);
	CHECK_FIELD(fc_release_in, fuse_release_in, flags);
	CHECK_FIELD(fc_release_in, fuse_release_in, release_flags);
	CHECK_FIELD(fc_release_in, fuse_release_in, lock_owner);
}
END_TEST

START_TEST(test_layout_flush_in)
{
	CHECK_SIZE(fc_flush_in, fuse_flush_in);
	CHECK_FIELD(fc_flush_in, fuse_flush_in, fh);
	CHECK_FIELD(fc_flush_in, fuse_flush_in, unused);
	CHECK_FIELD(fc_flush_in, fuse_flush_in, padding);
	CHECK_FIELD(fc_flush_in, fuse_flush_in, lock_owner);
}
END_TEST

START_TEST(test_layout_read_in)
{
	CHECK_SIZE(fc_read_in, fuse_read_in);
	CHECK_FIELD(fc_read_in, fuse_read_in, fh);
	CHECK_FIELD(fc_read_in, fuse_read_in, offset);
	CHECK_FIELD(fc_read_in, fuse_read_in, size);
	CHECK_FIELD(fc_read_in, fuse_read_in, read_flags);
	CHECK_FIELD(fc_read_in, fuse_read_in, lock_owner);
	CHECK_FIELD(fc_read_in, fuse_read_in, flags);
	CHECK_FIELD(fc_read_in, fuse_read_in, padding);
}
END_TEST

START_TEST(test_layout_write_in)
{
	CHECK_SIZE(fc_write_in, fuse_write_in);
	CHECK_FIELD(fc_write_in, fuse_write_in, fh);
	CHECK_FIELD(fc_write_in, fuse_write_in, offset);
	CHECK_FIELD(fc_write_in, fuse_write_in, size);
	CHECK_FIELD(fc_write_in, fuse_write_in, write_flags);
	CHECK_FIELD(fc_write_in, fuse_write_in, lock_owner);
	CHECK_FIELD(fc_write_in, fuse_write_in, flags);
	CHECK_FIELD(fc_write_in, fuse_write_in, padding);
}
END_TEST

START_TEST(test_layout_write_out)
{
	CHECK_SIZE(fc_write_out, fuse_write_out);
	CHECK_FIELD(fc_write_out, fuse_write_out, size);
	CHECK_FIELD(fc_write_out, fuse_write_out, padding);
}
END_TEST

START_TEST(test_layout_statfs_out)
{
	CHECK_SIZE(fc_statfs_out, fuse_statfs_out);
	CHECK_FIELD(fc_statfs_out, fuse_statfs_out, st);
}
END_TEST

START_TEST(test_layout_fsync_in)
{
	CHECK_SIZE(fc_fsync_in, fuse_fsync_in);
	CHECK_FIELD(fc_fsync_in, fuse_fsync_in, fh);
	CHECK_FIELD(fc_fsync_in, fuse_fsync_in, fsync_flags);
	CHECK_FIELD(fc_fsync_in, fuse_fsync_in, padding);
}
END_TEST

START_TEST(test_layout_setxattr_in)
{
	CHECK_SIZE(fc_setxattr_in, fuse_setxattr_in);
	CHECK_FIELD(fc_setxattr_in, fuse_setxattr_in, size);
	CHECK_FIELD(fc_setxattr_in, fuse_setxattr_in, flags);
	CHECK_FIELD(fc_setxattr_in, fuse_setxattr_in, setxattr_flags);
	CHECK_FIELD(fc_setxattr_in, fuse_setxattr_in, padding);
}
END_TEST

START_TEST(test_layout_getxattr_in)
{
	CHECK_SIZE(fc_getxattr_in, fuse_getxattr_in);
	CHECK_FIELD(fc_getxattr_in, fuse_getxattr_in, size);
	CHECK_FIELD(fc_getxattr_in, fuse_getxattr_in, padding);
}
END_TEST

START_TEST(test_layout_getxattr_out)
{
	CHECK_SIZE(fc_getxattr_out, fuse_getxattr_out);
	CHECK_FIELD(fc_getxattr_out, fuse_getxattr_out, size);
	CHECK_FIELD(fc_getxattr_out, fuse_getxattr_out, padding);
}
END_TEST

START_TEST(test_layout_lk_in)
{
	CHECK_SIZE(fc_lk_in, fuse_lk_in);
	CHECK_FIELD(fc_lk_in, fuse_lk_in, fh);
	CHECK_FIELD(fc_lk_in, fuse_lk_in, owner);
	CHECK_FIELD(fc_lk_in, fuse_lk_in, lk);
	CHECK_FIELD(fc_lk_in, fuse_lk_in, lk_flags);
	CHECK_FIELD(fc_lk_in, fuse_lk_in, padding);
}
END_TEST

START_TEST(test_layout_lk_out)
{
	CHECK_SIZE(fc_lk_out, fuse_lk_out);
	CHECK_FIELD(fc_lk_out, fuse_lk_out, lk);
}
END_TEST

START_TEST(test_layout_access_in)
{
	CHECK_SIZE(fc_access_in, fuse_access_in);
	CHECK_FIELD(fc_access_in, fuse_access_in, mask);
	CHECK_FIELD(fc_access_in, fuse_access_in, padding);
}
END_TEST

START_TEST(test_layout_init_in)
{
	CHECK_SIZE(fc_init_in, fuse_init_in);
	CHECK_FIELD(fc_init_in, fuse_init_in, major);
	CHECK_FIELD(fc_init_in, fuse_init_in, minor);
	CHECK_FIELD(fc_init_in, fuse_init_in, max_readahead);
	CHECK_FIELD(fc_init_in, fuse_init_in, flags);
	CHECK_FIELD(fc_init_in, fuse_init_in, flags2);
	CHECK_FIELD(fc_init_in, fuse_init_in, unused);
}
END_TEST

START_TEST(test_layout_init_out)
{
	CHECK_SIZE(fc_init_out, fuse_init_out);
	CHECK_FIELD(fc_init_out, fuse_init_out, major);
	CHECK_FIELD(fc_init_out, fuse_init_out, minor);
	CHECK_FIELD(fc_init_out, fuse_init_out, max_readahead);
	CHECK_FIELD(fc_init_out, fuse_init_out, flags);
	CHECK_FIELD(fc_init_out, fuse_init_out, max_background);
	CHECK_FIELD(fc_init_out, fuse_init_out, congestion_threshold);
	CHECK_FIELD(fc_init_out, fuse_init_out, max_write);
	CHECK_FIELD(fc_init_out, fuse_init_out, time_gran);
	CHECK_FIELD(fc_init_out, fuse_init_out, max_pages);
	CHECK_FIELD(fc_init_out, fuse_init_out, map_alignment);
	CHECK_FIELD(fc_init_out, fuse_init_out, flags2);
#if FUSE_KERNEL_MINOR_VERSION >= 43
	CHECK_FIELD(fc_init_out, fuse_init_out, max_stack_depth);
	CHECK_FIELD(fc_init_out, fuse_init_out, request_timeout);
	CHECK_FIELD(fc_init_out, fuse_init_out, unused);
#elif FUSE_KERNEL_MINOR_VERSION >= 40
	CHECK_FIELD(fc_init_out, fuse_init_out, max_stack_depth);
	CHECK_OFFSET2(fc_init_out, fuse_init_out, request_timeout, unused);
#else
	/* Older hosts still call these words unused[]. */
	CHECK_FIELD2(fc_init_out, fuse_init_out, max_stack_depth, unused[0]);
	CHECK_OFFSET2(fc_init_out, fuse_init_out, request_timeout, unused[1]);
#endif
}
END_TEST

START_TEST(test_layout_cuse_init_in)
{
	CHECK_SIZE(fc_cuse_init_in, cuse_init_in);
	CHECK_FIELD(fc_cuse_init_in, cuse_init_in, major);
	CHECK_FIELD(fc_cuse_init_in, cuse_init_in, minor);
	CHECK_FIELD(fc_cuse_init_in, cuse_init_in, unused);
	CHECK_FIELD(fc_cuse_init_in, cuse_init_in, flags);
}
END_TEST

START_TEST(test_layout_cuse_init_out)
{
	CHECK_SIZE(fc_cuse_init_out, cuse_init_out);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, major);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, minor);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, unused);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, flags);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, max_read);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, max_write);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, dev_major);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, dev_minor);
	CHECK_FIELD(fc_cuse_init_out, cuse_init_out, spare);
}
END_TEST

START_TEST(test_layout_interrupt_in)
{
	CHECK_SIZE(fc_interrupt_in, fuse_interrupt_in);
	CHECK_FIELD(fc_interrupt_in, fuse_interrupt_in, unique);
}
END_TEST

START_TEST(test_layout_bmap_in)
{
	CHECK_SIZE(fc_bmap_in, fuse_bmap_in);
	CHECK_FIELD(fc_bmap_in, fuse_bmap_in, block);
	CHECK_FIELD(fc_bmap_in, fuse_bmap_in, blocksize);
	CHECK_FIELD(fc_bmap_in, fuse_bmap_in, padding);
}
END_TEST

START_TEST(test_layout_bmap_out)
{
	CHECK_SIZE(fc_bmap_out, fuse_bmap_out);
	CHECK_FIELD(fc_bmap_out, fuse_bmap_out, block);
}
END_TEST

START_TEST(test_layout_ioctl_in)
{
	CHECK_SIZE(fc_ioctl_in, fuse_ioctl_in);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, fh);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, flags);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, cmd);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, arg);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, in_size);
	CHECK_FIELD(fc_ioctl_in, fuse_ioctl_in, out_size);
}
END_TEST

START_TEST(test_layout_ioctl_iovec)
{
	CHECK_SIZE(fc_ioctl_iovec, fuse_ioctl_iovec);
	CHECK_FIELD(fc_ioctl_iovec, fuse_ioctl_iovec, base);
	CHECK_FIELD(fc_ioctl_iovec, fuse_ioctl_iovec, len);
}
END_TEST

START_TEST(test_layout_ioctl_out)
{
	CHECK_SIZE(fc_ioctl_out, fuse_ioctl_out);
	CHECK_FIELD(fc_ioctl_out, fuse_ioctl_out, result);
	CHECK_FIELD(fc_ioctl_out, fuse_ioctl_out, flags);
	CHECK_FIELD(fc_ioctl_out, fuse_ioctl_out, in_iovs);
	CHECK_FIELD(fc_ioctl_out, fuse_ioctl_out, out_iovs);
}
END_TEST

START_TEST(test_layout_poll_in)
{
	CHECK_SIZE(fc_poll_in, fuse_poll_in);
	CHECK_FIELD(fc_poll_in, fuse_poll_in, fh);
	CHECK_FIELD(fc_poll_in, fuse_poll_in, kh);
	CHECK_FIELD(fc_poll_in, fuse_poll_in, flags);
	CHECK_FIELD(fc_poll_in, fuse_poll_in, events);
}
END_TEST

START_TEST(test_layout_poll_out)
{
	CHECK_SIZE(fc_poll_out, fuse_poll_out);
	CHECK_FIELD(fc_poll_out, fuse_poll_out, revents);
	CHECK_FIELD(fc_poll_out, fuse_poll_out, padding);
}
END_TEST

START_TEST(test_layout_fallocate_in)
{
	CHECK_SIZE(fc_fallocate_in, fuse_fallocate_in);
	CHECK_FIELD(fc_fallocate_in, fuse_fallocate_in, fh);
	CHECK_FIELD(fc_fallocate_in, fuse_fallocate_in, offset);
	CHECK_FIELD(fc_fallocate_in, fuse_fallocate_in, length);
	CHECK_FIELD(fc_fallocate_in, fuse_fallocate_in, mode);
	CHECK_FIELD(fc_fallocate_in, fuse_fallocate_in, padding);
}
END_TEST

START_TEST(test_layout_in_header)
{
	CHECK_SIZE(fc_in_header, fuse_in_header);
	CHECK_FIELD(fc_in_header, fuse_in_header, len);
	CHECK_FIELD(fc_in_header, fuse_in_header, opcode);
	CHECK_FIELD(fc_in_header, fuse_in_header, unique);
	CHECK_FIELD(fc_in_header, fuse_in_header, nodeid);
	CHECK_FIELD(fc_in_header, fuse_in_header, uid);
	CHECK_FIELD(fc_in_header, fuse_in_header, gid);
	CHECK_FIELD(fc_in_header, fuse_in_header, pid);
	CHECK_FIELD(fc_in_header, fuse_in_header, total_extlen);
	CHECK_FIELD(fc_in_header, fuse_in_header, padding);
}
END_TEST

START_TEST(test_layout_out_header)
{
	CHECK_SIZE(fc_out_header, fuse_out_header);
	CHECK_FIELD(fc_out_header, fuse_out_header, len);
	CHECK_FIELD(fc_out_header, fuse_out_header, error);
	CHECK_FIELD(fc_out_header, fuse_out_header, unique);
}
END_TEST

START_TEST(test_layout_dirent)
{
	CHECK_SIZE(fc_dirent, fuse_dirent);
	CHECK_FIELD(fc_dirent, fuse_dirent, ino);
	CHECK_FIELD(fc_dirent, fuse_dirent, off);
	CHECK_FIELD(fc_dirent, fuse_dirent, namelen);
	CHECK_FIELD(fc_dirent, fuse_dirent, type);
	CHECK_OFFSET(fc_dirent, fuse_dirent, name);
}
END_TEST

START_TEST(test_layout_direntplus)
{
	CHECK_SIZE(fc_direntplus, fuse_direntplus);
	CHECK_FIELD(fc_direntplus, fuse_direntplus, entry_out);
	CHECK_FIELD(fc_direntplus, fuse_direntplus, dirent);
}
END_TEST

START_TEST(test_layout_notify_poll_wakeup_out)
{
	CHECK_SIZE(fc_notify_poll_wakeup_out, fuse_notify_poll_wakeup_out);
	CHECK_FIELD(fc_notify_poll_wakeup_out, fuse_notify_poll_wakeup_out, kh);
}
END_TEST

START_TEST(test_layout_notify_inval_inode_out)
{
	CHECK_SIZE(fc_notify_inval_inode_out, fuse_notify_inval_inode_out);
	CHECK_FIELD(fc_notify_inval_inode_out, fuse_notify_inval_inode_out, ino);
	CHECK_FIELD(fc_notify_inval_inode_out, fuse_notify_inval_inode_out, off);
	CHECK_FIELD(fc_notify_inval_inode_out, fuse_notify_inval_inode_out, len);
}
END_TEST

START_TEST(test_layout_notify_inval_entry_out)
{
	CHECK_SIZE(fc_notify_inval_entry_out, fuse_notify_inval_entry_out);
	CHECK_FIELD(fc_notify_inval_entry_out, fuse_notify_inval_entry_out, parent);
	CHECK_FIELD(fc_notify_inval_entry_out, fuse_notify_inval_entry_out, namelen);
	CHECK_FIELD(fc_notify_inval_entry_out, fuse_notify_inval_entry_out, flags);
}
END_TEST

START_TEST(test_layout_notify_delete_out)
{
	CHECK_SIZE(fc_notify_delete_out, fuse_notify_delete_out);
	CHECK_FIELD(fc_notify_delete_out, fuse_notify_delete_out, parent);
	CHECK_FIELD(fc_notify_delete_out, fuse_notify_delete_out, child);
	CHECK_FIELD(fc_notify_delete_out, fuse_notify_delete_out, namelen);
	CHECK_FIELD(fc_notify_delete_out, fuse_notify_delete_out, padding);
}
END_TEST

START_TEST(test_layout_notify_store_out)
{
	CHECK_SIZE(fc_notify_store_out, fuse_notify_store_out);
	CHECK_FIELD(fc_notify_store_out, fuse_notify_store_out, nodeid);
	CHECK_FIELD(fc_notify_store_out, fuse_notify_store_out, offset);
	CHECK_FIELD(fc_notify_store_out, fuse_notify_store_out, size);
	CHECK_FIELD(fc_notify_store_out, fuse_notify_store_out, padding);
}
END_TEST

START_TEST(test_layout_notify_retrieve_out)
{
	CHECK_SIZE(fc_notify_retrieve_out, fuse_notify_retrieve_out);
	CHECK_FIELD(fc_notify_retrieve_out, fuse_notify_retrieve_out, notify_unique);
	CHECK_FIELD(fc_notify_retrieve_out, fuse_notify_retrieve_out, nodeid);
	CHECK_FIELD(fc_notify_retrieve_out, fuse_notify_retrieve_out, offset);
	CHECK_FIELD(fc_notify_retrieve_out, fuse_notify_retrieve_out, size);
	CHECK_FIELD(fc_notify_retrieve_out, fuse_notify_retrieve_out, padding);
}
END_TEST

START_TEST(test_layout_notify_retrieve_in)
{
	CHECK_SIZE(fc_notify_retrieve_in, fuse_notify_retrieve_in);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, dummy1);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, offset);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, size);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, dummy2);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, dummy3);
	CHECK_FIELD(fc_notify_retrieve_in, fuse_notify_retrieve_in, dummy4);
}
END_TEST

#if FUSE_KERNEL_MINOR_VERSION >= 45
START_TEST(test_layout_notify_prune_out)
{
	CHECK_SIZE(fc_notify_prune_out, fuse_notify_prune_out);
	CHECK_FIELD(fc_notify_prune_out, fuse_notify_prune_out, count);
	CHECK_FIELD(fc_notify_prune_out, fuse_notify_prune_out, padding);
	CHECK_FIELD(fc_notify_prune_out, fuse_notify_prune_out, spare);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 40
START_TEST(test_layout_backing_map)
{
	CHECK_SIZE(fc_backing_map, fuse_backing_map);
	CHECK_FIELD(fc_backing_map, fuse_backing_map, fd);
	CHECK_FIELD(fc_backing_map, fuse_backing_map, flags);
	CHECK_FIELD(fc_backing_map, fuse_backing_map, padding);
}
END_TEST
#endif

START_TEST(test_layout_lseek_in)
{
	CHECK_SIZE(fc_lseek_in, fuse_lseek_in);
	CHECK_FIELD(fc_lseek_in, fuse_lseek_in, fh);
	CHECK_FIELD(fc_lseek_in, fuse_lseek_in, offset);
	CHECK_FIELD(fc_lseek_in, fuse_lseek_in, whence);
	CHECK_FIELD(fc_lseek_in, fuse_lseek_in, padding);
}
END_TEST

START_TEST(test_layout_lseek_out)
{
	CHECK_SIZE(fc_lseek_out, fuse_lseek_out);
	CHECK_FIELD(fc_lseek_out, fuse_lseek_out, offset);
}
END_TEST

START_TEST(test_layout_copy_file_range_in)
{
	CHECK_SIZE(fc_copy_file_range_in, fuse_copy_file_range_in);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, fh_in);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, off_in);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, nodeid_out);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, fh_out);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, off_out);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, len);
	CHECK_FIELD(fc_copy_file_range_in, fuse_copy_file_range_in, flags);
}
END_TEST

#if FUSE_KERNEL_MINOR_VERSION >= 45
START_TEST(test_layout_copy_file_range_out)
{
	CHECK_SIZE(fc_copy_file_range_out, fuse_copy_file_range_out);
	CHECK_FIELD(fc_copy_file_range_out, fuse_copy_file_range_out, bytes_copied);
}
END_TEST
#endif

START_TEST(test_layout_setupmapping_in)
{
	CHECK_SIZE(fc_setupmapping_in, fuse_setupmapping_in);
	CHECK_FIELD(fc_setupmapping_in, fuse_setupmapping_in, fh);
	CHECK_FIELD(fc_setupmapping_in, fuse_setupmapping_in, foffset);
	CHECK_FIELD(fc_setupmapping_in, fuse_setupmapping_in, len);
	CHECK_FIELD(fc_setupmapping_in, fuse_setupmapping_in, flags);
	CHECK_FIELD(fc_setupmapping_in, fuse_setupmapping_in, moffset);
}
END_TEST

START_TEST(test_layout_removemapping_in)
{
	CHECK_SIZE(fc_removemapping_in, fuse_removemapping_in);
	CHECK_FIELD(fc_removemapping_in, fuse_removemapping_in, count);
}
END_TEST

START_TEST(test_layout_removemapping_one)
{
	CHECK_SIZE(fc_removemapping_one, fuse_removemapping_one);
	CHECK_FIELD(fc_removemapping_one, fuse_removemapping_one, moffset);
	CHECK_FIELD(fc_removemapping_one, fuse_removemapping_one, len);
}
END_TEST

START_TEST(test_layout_syncfs_in)
{
	CHECK_SIZE(fc_syncfs_in, fuse_syncfs_in);
	CHECK_FIELD(fc_syncfs_in, fuse_syncfs_in, padding);
}
END_TEST

START_TEST(test_layout_secctx)
{
	CHECK_SIZE(fc_secctx, fuse_secctx);
	CHECK_FIELD(fc_secctx, fuse_secctx, size);
	CHECK_FIELD(fc_secctx, fuse_secctx, padding);
}
END_TEST

START_TEST(test_layout_secctx_header)
{
	CHECK_SIZE(fc_secctx_header, fuse_secctx_header);
	CHECK_FIELD(fc_secctx_header, fuse_secctx_header, size);
	CHECK_FIELD(fc_secctx_header, fuse_secctx_header, nr_secctx);
}
END_TEST

START_TEST(test_layout_ext_header)
{
	CHECK_SIZE(fc_ext_header, fuse_ext_header);
	CHECK_FIELD(fc_ext_header, fuse_ext_header, size);
	CHECK_FIELD(fc_ext_header, fuse_ext_header, type);
}
END_TEST

#if FUSE_KERNEL_MINOR_VERSION >= 39
START_TEST(test_layout_supp_groups)
{
	CHECK_SIZE(fc_supp_groups, fuse_supp_groups);
	CHECK_FIELD(fc_supp_groups, fuse_supp_groups, nr_groups);
	CHECK_OFFSET(fc_supp_groups, fuse_supp_groups, groups);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 42
START_TEST(test_layout_uring_ent_in_out)
{
	CHECK_SIZE(fc_uring_ent_in_out, fuse_uring_ent_in_out);
	CHECK_FIELD(fc_uring_ent_in_out, fuse_uring_ent_in_out, flags);
	CHECK_FIELD(fc_uring_ent_in_out, fuse_uring_ent_in_out, commit_id);
	CHECK_FIELD(fc_uring_ent_in_out, fuse_uring_ent_in_out, payload_sz);
	CHECK_FIELD(fc_uring_ent_in_out, fuse_uring_ent_in_out, padding);
	CHECK_FIELD(fc_uring_ent_in_out, fuse_uring_ent_in_out, reserved);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 42
START_TEST(test_layout_uring_req_header)
{
	CHECK_SIZE(fc_uring_req_header, fuse_uring_req_header);
	CHECK_FIELD(fc_uring_req_header, fuse_uring_req_header, in_out);
	CHECK_FIELD(fc_uring_req_header, fuse_uring_req_header, op_in);
	CHECK_FIELD(fc_uring_req_header, fuse_uring_req_header, ring_ent_in_out);
}
END_TEST
#endif

#if FUSE_KERNEL_MINOR_VERSION >= 42
START_TEST(test_layout_uring_cmd_req)
{
	CHECK_SIZE(fc_uring_cmd_req, fuse_uring_cmd_req);
	CHECK_FIELD(fc_uring_cmd_req, fuse_uring_cmd_req, flags);
	CHECK_FIELD(fc_uring_cmd_req, fuse_uring_cmd_req, commit_id);
	CHECK_FIELD(fc_uring_cmd_req, fuse_uring_cmd_req, qid);
	CHECK_FIELD(fc_uring_cmd_req, fuse_uring_cmd_req, padding);
}
END_TEST
#endif

START_TEST(test_host_constants)
{
	ck_assert_int_eq(FC_KERNEL_VERSION, FUSE_KERNEL_VERSION);
	/* The host may be older or newer than 7.45; only shared names are compared. */

	/* Preprocessor constants present in the host header. */
#ifdef FUSE_KERNEL_VERSION
	CHECK_CONST(FC_KERNEL_VERSION, FUSE_KERNEL_VERSION);
#endif
#ifdef FUSE_ROOT_ID
	CHECK_CONST(FC_ROOT_ID, FUSE_ROOT_ID);
#endif
#ifdef FATTR_MODE
	CHECK_CONST(FC_FATTR_MODE, FATTR_MODE);
#endif
#ifdef FATTR_UID
	CHECK_CONST(FC_FATTR_UID, FATTR_UID);
#endif
#ifdef FATTR_GID
	CHECK_CONST(FC_FATTR_GID, FATTR_GID);
#endif
#ifdef FATTR_SIZE
	CHECK_CONST(FC_FATTR_SIZE, FATTR_SIZE);
#endif
#ifdef FATTR_ATIME
	CHECK_CONST(FC_FATTR_ATIME, FATTR_ATIME);
#endif
#ifdef FATTR_MTIME
	CHECK_CONST(FC_FATTR_MTIME, FATTR_MTIME);
#endif
#ifdef FATTR_FH
	CHECK_CONST(FC_FATTR_FH, FATTR_FH);
#endif
#ifdef FATTR_ATIME_NOW
	CHECK_CONST(FC_FATTR_ATIME_NOW, FATTR_ATIME_NOW);
#endif
#ifdef FATTR_MTIME_NOW
	CHECK_CONST(FC_FATTR_MTIME_NOW, FATTR_MTIME_NOW);
#endif
#ifdef FATTR_LOCKOWNER
	CHECK_CONST(FC_FATTR_LOCKOWNER, FATTR_LOCKOWNER);
#endif
#ifdef FATTR_CTIME
	CHECK_CONST(FC_FATTR_CTIME, FATTR_CTIME);
#endif
#ifdef FATTR_KILL_SUIDGID
	CHECK_CONST(FC_FATTR_KILL_SUIDGID, FATTR_KILL_SUIDGID);
#endif
#ifdef FOPEN_DIRECT_IO
	CHECK_CONST(FC_FOPEN_DIRECT_IO, FOPEN_DIRECT_IO);
#endif
#ifdef FOPEN_KEEP_CACHE
	CHECK_CONST(FC_FOPEN_KEEP_CACHE, FOPEN_KEEP_CACHE);
#endif
#ifdef FOPEN_NONSEEKABLE
	CHECK_CONST(FC_FOPEN_NONSEEKABLE, FOPEN_NONSEEKABLE);
#endif
#ifdef FOPEN_CACHE_DIR
	CHECK_CONST(FC_FOPEN_CACHE_DIR, FOPEN_CACHE_DIR);
#endif
#ifdef FOPEN_STREAM
	CHECK_CONST(FC_FOPEN_STREAM, FOPEN_STREAM);
#endif
#ifdef FOPEN_NOFLUSH
	CHECK_CONST(FC_FOPEN_NOFLUSH, FOPEN_NOFLUSH);
#endif
#ifdef FOPEN_PARALLEL_DIRECT_WRITES
	CHECK_CONST(FC_FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PARALLEL_DIRECT_WRITES);
#endif
#ifdef FOPEN_PASSTHROUGH
	CHECK_CONST(FC_FOPEN_PASSTHROUGH, FOPEN_PASSTHROUGH);
#endif
#ifdef FUSE_ASYNC_READ
	CHECK_CONST(FC_ASYNC_READ, FUSE_ASYNC_READ);
#endif
#ifdef FUSE_POSIX_LOCKS
	CHECK_CONST(FC_POSIX_LOCKS, FUSE_POSIX_LOCKS);
#endif
#ifdef FUSE_FILE_OPS
	CHECK_CONST(FC_FILE_OPS, FUSE_FILE_OPS);
#endif
#ifdef FUSE_ATOMIC_O_TRUNC
	CHECK_CONST(FC_ATOMIC_O_TRUNC, FUSE_ATOMIC_O_TRUNC);
#endif
#ifdef FUSE_EXPORT_SUPPORT
	CHECK_CONST(FC_EXPORT_SUPPORT, FUSE_EXPORT_SUPPORT);
#endif
#ifdef FUSE_BIG_WRITES
	CHECK_CONST(FC_BIG_WRITES, FUSE_BIG_WRITES);
#endif
#ifdef FUSE_DONT_MASK
	CHECK_CONST(FC_DONT_MASK, FUSE_DONT_MASK);
#endif
#ifdef FUSE_SPLICE_WRITE
	CHECK_CONST(FC_SPLICE_WRITE, FUSE_SPLICE_WRITE);
#endif
#ifdef FUSE_SPLICE_MOVE
	CHECK_CONST(FC_SPLICE_MOVE, FUSE_SPLICE_MOVE);
#endif
#ifdef FUSE_SPLICE_READ
	CHECK_CONST(FC_SPLICE_READ, FUSE_SPLICE_READ);
#endif
#ifdef FUSE_FLOCK_LOCKS
	CHECK_CONST(FC_FLOCK_LOCKS, FUSE_FLOCK_LOCKS);
#endif
#ifdef FUSE_HAS_IOCTL_DIR
	CHECK_CONST(FC_HAS_IOCTL_DIR, FUSE_HAS_IOCTL_DIR);
#endif
#ifdef FUSE_AUTO_INVAL_DATA
	CHECK_CONST(FC_AUTO_INVAL_DATA, FUSE_AUTO_INVAL_DATA);
#endif
#ifdef FUSE_DO_READDIRPLUS
	CHECK_CONST(FC_DO_READDIRPLUS, FUSE_DO_READDIRPLUS);
#endif
#ifdef FUSE_READDIRPLUS_AUTO
	CHECK_CONST(FC_READDIRPLUS_AUTO, FUSE_READDIRPLUS_AUTO);
#endif
#ifdef FUSE_ASYNC_DIO
	CHECK_CONST(FC_ASYNC_DIO, FUSE_ASYNC_DIO);
#endif
#ifdef FUSE_WRITEBACK_CACHE
	CHECK_CONST(FC_WRITEBACK_CACHE, FUSE_WRITEBACK_CACHE);
#endif
#ifdef FUSE_NO_OPEN_SUPPORT
	CHECK_CONST(FC_NO_OPEN_SUPPORT, FUSE_NO_OPEN_SUPPORT);
#endif
#ifdef FUSE_PARALLEL_DIROPS
	CHECK_CONST(FC_PARALLEL_DIROPS, FUSE_PARALLEL_DIROPS);
#endif
#ifdef FUSE_HANDLE_KILLPRIV
	CHECK_CONST(FC_HANDLE_KILLPRIV, FUSE_HANDLE_KILLPRIV);
#endif
#ifdef FUSE_POSIX_ACL
	CHECK_CONST(FC_POSIX_ACL, FUSE_POSIX_ACL);
#endif
#ifdef FUSE_ABORT_ERROR
	CHECK_CONST(FC_ABORT_ERROR, FUSE_ABORT_ERROR);
#endif
#ifdef FUSE_MAX_PAGES
	CHECK_CONST(FC_MAX_PAGES, FUSE_MAX_PAGES);
#endif
#ifdef FUSE_CACHE_SYMLINKS
	CHECK_CONST(FC_CACHE_SYMLINKS, FUSE_CACHE_SYMLINKS);
#endif
#ifdef FUSE_NO_OPENDIR_SUPPORT
	CHECK_CONST(FC_NO_OPENDIR_SUPPORT, FUSE_NO_OPENDIR_SUPPORT);
#endif
#ifdef FUSE_EXPLICIT_INVAL_DATA
	CHECK_CONST(FC_EXPLICIT_INVAL_DATA, FUSE_EXPLICIT_INVAL_DATA);
#endif
#ifdef FUSE_MAP_ALIGNMENT
	CHECK_CONST(FC_MAP_ALIGNMENT, FUSE_MAP_ALIGNMENT);
#endif
#ifdef FUSE_SUBMOUNTS
	CHECK_CONST(FC_SUBMOUNTS, FUSE_SUBMOUNTS);
#endif
#ifdef FUSE_HANDLE_KILLPRIV_V2
	CHECK_CONST(FC_HANDLE_KILLPRIV_V2, FUSE_HANDLE_KILLPRIV_V2);
#endif
#ifdef FUSE_SETXATTR_EXT
	CHECK_CONST(FC_SETXATTR_EXT, FUSE_SETXATTR_EXT);
#endif
#ifdef FUSE_INIT_EXT
	CHECK_CONST(FC_INIT_EXT, FUSE_INIT_EXT);
#endif
	/*
	 * FUSE_INIT_RESERVED is not compared: Linux spells it (1 << 31), which
	 * overflows int (UBSan reports it) and sign-extends when widened.
	 * test_fixed_values pins FC_INIT_RESERVED to 0x80000000 instead.
	 */
#ifdef FUSE_SECURITY_CTX
	CHECK_CONST(FC_SECURITY_CTX, FUSE_SECURITY_CTX);
#endif
#ifdef FUSE_HAS_INODE_DAX
	CHECK_CONST(FC_HAS_INODE_DAX, FUSE_HAS_INODE_DAX);
#endif
#ifdef FUSE_CREATE_SUPP_GROUP
	CHECK_CONST(FC_CREATE_SUPP_GROUP, FUSE_CREATE_SUPP_GROUP);
#endif
#ifdef FUSE_HAS_EXPIRE_ONLY
	CHECK_CONST(FC_HAS_EXPIRE_ONLY, FUSE_HAS_EXPIRE_ONLY);
#endif
#ifdef FUSE_DIRECT_IO_ALLOW_MMAP
	CHECK_CONST(FC_DIRECT_IO_ALLOW_MMAP, FUSE_DIRECT_IO_ALLOW_MMAP);
#endif
#ifdef FUSE_PASSTHROUGH
	CHECK_CONST(FC_PASSTHROUGH, FUSE_PASSTHROUGH);
#endif
#ifdef FUSE_NO_EXPORT_SUPPORT
	CHECK_CONST(FC_NO_EXPORT_SUPPORT, FUSE_NO_EXPORT_SUPPORT);
#endif
#ifdef FUSE_HAS_RESEND
	CHECK_CONST(FC_HAS_RESEND, FUSE_HAS_RESEND);
#endif
#ifdef FUSE_ALLOW_IDMAP
	CHECK_CONST(FC_ALLOW_IDMAP, FUSE_ALLOW_IDMAP);
#endif
#ifdef FUSE_OVER_IO_URING
	CHECK_CONST(FC_OVER_IO_URING, FUSE_OVER_IO_URING);
#endif
#ifdef FUSE_REQUEST_TIMEOUT
	CHECK_CONST(FC_REQUEST_TIMEOUT, FUSE_REQUEST_TIMEOUT);
#endif
#ifdef FUSE_DIRECT_IO_RELAX
	CHECK_CONST(FC_DIRECT_IO_RELAX, FUSE_DIRECT_IO_RELAX);
#endif
#ifdef CUSE_UNRESTRICTED_IOCTL
	CHECK_CONST(FC_CUSE_UNRESTRICTED_IOCTL, CUSE_UNRESTRICTED_IOCTL);
#endif
#ifdef FUSE_RELEASE_FLUSH
	CHECK_CONST(FC_RELEASE_FLUSH, FUSE_RELEASE_FLUSH);
#endif
#ifdef FUSE_RELEASE_FLOCK_UNLOCK
	CHECK_CONST(FC_RELEASE_FLOCK_UNLOCK, FUSE_RELEASE_FLOCK_UNLOCK);
#endif
#ifdef FUSE_GETATTR_FH
	CHECK_CONST(FC_GETATTR_FH, FUSE_GETATTR_FH);
#endif
#ifdef FUSE_LK_FLOCK
	CHECK_CONST(FC_LK_FLOCK, FUSE_LK_FLOCK);
#endif
#ifdef FUSE_WRITE_CACHE
	CHECK_CONST(FC_WRITE_CACHE, FUSE_WRITE_CACHE);
#endif
#ifdef FUSE_WRITE_LOCKOWNER
	CHECK_CONST(FC_WRITE_LOCKOWNER, FUSE_WRITE_LOCKOWNER);
#endif
#ifdef FUSE_WRITE_KILL_SUIDGID
	CHECK_CONST(FC_WRITE_KILL_SUIDGID, FUSE_WRITE_KILL_SUIDGID);
#endif
#ifdef FUSE_WRITE_KILL_PRIV
	CHECK_CONST(FC_WRITE_KILL_PRIV, FUSE_WRITE_KILL_PRIV);
#endif
#ifdef FUSE_READ_LOCKOWNER
	CHECK_CONST(FC_READ_LOCKOWNER, FUSE_READ_LOCKOWNER);
#endif
#ifdef FUSE_IOCTL_COMPAT
	CHECK_CONST(FC_IOCTL_COMPAT, FUSE_IOCTL_COMPAT);
#endif
#ifdef FUSE_IOCTL_UNRESTRICTED
	CHECK_CONST(FC_IOCTL_UNRESTRICTED, FUSE_IOCTL_UNRESTRICTED);
#endif
#ifdef FUSE_IOCTL_RETRY
	CHECK_CONST(FC_IOCTL_RETRY, FUSE_IOCTL_RETRY);
#endif
#ifdef FUSE_IOCTL_32BIT
	CHECK_CONST(FC_IOCTL_32BIT, FUSE_IOCTL_32BIT);
#endif
#ifdef FUSE_IOCTL_DIR
	CHECK_CONST(FC_IOCTL_DIR, FUSE_IOCTL_DIR);
#endif
#ifdef FUSE_IOCTL_COMPAT_X32
	CHECK_CONST(FC_IOCTL_COMPAT_X32, FUSE_IOCTL_COMPAT_X32);
#endif
#ifdef FUSE_IOCTL_MAX_IOV
	CHECK_CONST(FC_IOCTL_MAX_IOV, FUSE_IOCTL_MAX_IOV);
#endif
#ifdef FUSE_POLL_SCHEDULE_NOTIFY
	CHECK_CONST(FC_POLL_SCHEDULE_NOTIFY, FUSE_POLL_SCHEDULE_NOTIFY);
#endif
#ifdef FUSE_FSYNC_FDATASYNC
	CHECK_CONST(FC_FSYNC_FDATASYNC, FUSE_FSYNC_FDATASYNC);
#endif
#ifdef FUSE_ATTR_SUBMOUNT
	CHECK_CONST(FC_ATTR_SUBMOUNT, FUSE_ATTR_SUBMOUNT);
#endif
#ifdef FUSE_ATTR_DAX
	CHECK_CONST(FC_ATTR_DAX, FUSE_ATTR_DAX);
#endif
#ifdef FUSE_OPEN_KILL_SUIDGID
	CHECK_CONST(FC_OPEN_KILL_SUIDGID, FUSE_OPEN_KILL_SUIDGID);
#endif
#ifdef FUSE_SETXATTR_ACL_KILL_SGID
	CHECK_CONST(FC_SETXATTR_ACL_KILL_SGID, FUSE_SETXATTR_ACL_KILL_SGID);
#endif
#ifdef FUSE_EXPIRE_ONLY
	CHECK_CONST(FC_EXPIRE_ONLY, FUSE_EXPIRE_ONLY);
#endif
#ifdef FUSE_MIN_READ_BUFFER
	CHECK_CONST(FC_MIN_READ_BUFFER, FUSE_MIN_READ_BUFFER);
#endif
#ifdef FUSE_COMPAT_ENTRY_OUT_SIZE
	CHECK_CONST(FC_COMPAT_ENTRY_OUT_SIZE, FUSE_COMPAT_ENTRY_OUT_SIZE);
#endif
#ifdef FUSE_COMPAT_ATTR_OUT_SIZE
	CHECK_CONST(FC_COMPAT_ATTR_OUT_SIZE, FUSE_COMPAT_ATTR_OUT_SIZE);
#endif
#ifdef FUSE_COMPAT_MKNOD_IN_SIZE
	CHECK_CONST(FC_COMPAT_MKNOD_IN_SIZE, FUSE_COMPAT_MKNOD_IN_SIZE);
#endif
#ifdef FUSE_COMPAT_WRITE_IN_SIZE
	CHECK_CONST(FC_COMPAT_WRITE_IN_SIZE, FUSE_COMPAT_WRITE_IN_SIZE);
#endif
#ifdef FUSE_COMPAT_STATFS_SIZE
	CHECK_CONST(FC_COMPAT_STATFS_SIZE, FUSE_COMPAT_STATFS_SIZE);
#endif
#ifdef FUSE_COMPAT_SETXATTR_IN_SIZE
	CHECK_CONST(FC_COMPAT_SETXATTR_IN_SIZE, FUSE_COMPAT_SETXATTR_IN_SIZE);
#endif
#ifdef FUSE_COMPAT_INIT_OUT_SIZE
	CHECK_CONST(FC_COMPAT_INIT_OUT_SIZE, FUSE_COMPAT_INIT_OUT_SIZE);
#endif
#ifdef FUSE_COMPAT_22_INIT_OUT_SIZE
	CHECK_CONST(FC_COMPAT_22_INIT_OUT_SIZE, FUSE_COMPAT_22_INIT_OUT_SIZE);
#endif
#ifdef CUSE_INIT_INFO_MAX
	CHECK_CONST(FC_CUSE_INIT_INFO_MAX, CUSE_INIT_INFO_MAX);
#endif
#ifdef FUSE_UNIQUE_RESEND
	CHECK_CONST(FC_UNIQUE_RESEND, FUSE_UNIQUE_RESEND);
#endif
#ifdef FUSE_INVALID_UIDGID
	CHECK_CONST(FC_INVALID_UIDGID, FUSE_INVALID_UIDGID);
#endif
#ifdef FUSE_DEV_IOC_MAGIC
	CHECK_CONST(FC_DEV_IOC_MAGIC, FUSE_DEV_IOC_MAGIC);
#endif
#ifdef FUSE_DEV_IOC_CLONE
	CHECK_CONST(FC_DEV_IOC_CLONE, FUSE_DEV_IOC_CLONE);
#endif
#ifdef FUSE_DEV_IOC_BACKING_OPEN
	CHECK_CONST(FC_DEV_IOC_BACKING_OPEN, FUSE_DEV_IOC_BACKING_OPEN);
#endif
#ifdef FUSE_DEV_IOC_BACKING_CLOSE
	CHECK_CONST(FC_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_CLOSE);
#endif
#ifdef FUSE_DEV_IOC_SYNC_INIT
	CHECK_CONST(FC_DEV_IOC_SYNC_INIT, FUSE_DEV_IOC_SYNC_INIT);
#endif
#ifdef FUSE_SETUPMAPPING_FLAG_WRITE
	CHECK_CONST(FC_SETUPMAPPING_FLAG_WRITE, FUSE_SETUPMAPPING_FLAG_WRITE);
#endif
#ifdef FUSE_SETUPMAPPING_FLAG_READ
	CHECK_CONST(FC_SETUPMAPPING_FLAG_READ, FUSE_SETUPMAPPING_FLAG_READ);
#endif
#ifdef FUSE_URING_IN_OUT_HEADER_SZ
	CHECK_CONST(FC_URING_IN_OUT_HEADER_SZ, FUSE_URING_IN_OUT_HEADER_SZ);
#endif
#ifdef FUSE_URING_OP_IN_OUT_SZ
	CHECK_CONST(FC_URING_OP_IN_OUT_SZ, FUSE_URING_OP_IN_OUT_SZ);
#endif

	/* Enumerators. */
	CHECK_CONST(FC_MAX_NR_SECCTX, FUSE_MAX_NR_SECCTX);
#if FUSE_KERNEL_MINOR_VERSION >= 39
	CHECK_CONST(FC_EXT_GROUPS, FUSE_EXT_GROUPS);
#endif
	CHECK_CONST(FC_LOOKUP, FUSE_LOOKUP);
	CHECK_CONST(FC_FORGET, FUSE_FORGET);
	CHECK_CONST(FC_GETATTR, FUSE_GETATTR);
	CHECK_CONST(FC_SETATTR, FUSE_SETATTR);
	CHECK_CONST(FC_READLINK, FUSE_READLINK);
	CHECK_CONST(FC_SYMLINK, FUSE_SYMLINK);
	CHECK_CONST(FC_MKNOD, FUSE_MKNOD);
	CHECK_CONST(FC_MKDIR, FUSE_MKDIR);
	CHECK_CONST(FC_UNLINK, FUSE_UNLINK);
	CHECK_CONST(FC_RMDIR, FUSE_RMDIR);
	CHECK_CONST(FC_RENAME, FUSE_RENAME);
	CHECK_CONST(FC_LINK, FUSE_LINK);
	CHECK_CONST(FC_OPEN, FUSE_OPEN);
	CHECK_CONST(FC_READ, FUSE_READ);
	CHECK_CONST(FC_WRITE, FUSE_WRITE);
	CHECK_CONST(FC_STATFS, FUSE_STATFS);
	CHECK_CONST(FC_RELEASE, FUSE_RELEASE);
	CHECK_CONST(FC_FSYNC, FUSE_FSYNC);
	CHECK_CONST(FC_SETXATTR, FUSE_SETXATTR);
	CHECK_CONST(FC_GETXATTR, FUSE_GETXATTR);
	CHECK_CONST(FC_LISTXATTR, FUSE_LISTXATTR);
	CHECK_CONST(FC_REMOVEXATTR, FUSE_REMOVEXATTR);
	CHECK_CONST(FC_FLUSH, FUSE_FLUSH);
	CHECK_CONST(FC_INIT, FUSE_INIT);
	CHECK_CONST(FC_OPENDIR, FUSE_OPENDIR);
	CHECK_CONST(FC_READDIR, FUSE_READDIR);
	CHECK_CONST(FC_RELEASEDIR, FUSE_RELEASEDIR);
	CHECK_CONST(FC_FSYNCDIR, FUSE_FSYNCDIR);
	CHECK_CONST(FC_GETLK, FUSE_GETLK);
	CHECK_CONST(FC_SETLK, FUSE_SETLK);
	CHECK_CONST(FC_SETLKW, FUSE_SETLKW);
	CHECK_CONST(FC_ACCESS, FUSE_ACCESS);
	CHECK_CONST(FC_CREATE, FUSE_CREATE);
	CHECK_CONST(FC_INTERRUPT, FUSE_INTERRUPT);
	CHECK_CONST(FC_BMAP, FUSE_BMAP);
	CHECK_CONST(FC_DESTROY, FUSE_DESTROY);
	CHECK_CONST(FC_IOCTL, FUSE_IOCTL);
	CHECK_CONST(FC_POLL, FUSE_POLL);
	CHECK_CONST(FC_NOTIFY_REPLY, FUSE_NOTIFY_REPLY);
	CHECK_CONST(FC_BATCH_FORGET, FUSE_BATCH_FORGET);
	CHECK_CONST(FC_FALLOCATE, FUSE_FALLOCATE);
	CHECK_CONST(FC_READDIRPLUS, FUSE_READDIRPLUS);
	CHECK_CONST(FC_RENAME2, FUSE_RENAME2);
	CHECK_CONST(FC_LSEEK, FUSE_LSEEK);
	CHECK_CONST(FC_COPY_FILE_RANGE, FUSE_COPY_FILE_RANGE);
	CHECK_CONST(FC_SETUPMAPPING, FUSE_SETUPMAPPING);
	CHECK_CONST(FC_REMOVEMAPPING, FUSE_REMOVEMAPPING);
	CHECK_CONST(FC_SYNCFS, FUSE_SYNCFS);
	CHECK_CONST(FC_TMPFILE, FUSE_TMPFILE);
#if FUSE_KERNEL_MINOR_VERSION >= 39
	CHECK_CONST(FC_STATX, FUSE_STATX);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 45
	CHECK_CONST(FC_COPY_FILE_RANGE_64, FUSE_COPY_FILE_RANGE_64);
#endif
	CHECK_CONST(FC_CUSE_INIT, CUSE_INIT);
	CHECK_CONST(FC_CUSE_INIT_BSWAP_RESERVED, CUSE_INIT_BSWAP_RESERVED);
	CHECK_CONST(FC_INIT_BSWAP_RESERVED, FUSE_INIT_BSWAP_RESERVED);
	CHECK_CONST(FC_NOTIFY_POLL, FUSE_NOTIFY_POLL);
	CHECK_CONST(FC_NOTIFY_INVAL_INODE, FUSE_NOTIFY_INVAL_INODE);
	CHECK_CONST(FC_NOTIFY_INVAL_ENTRY, FUSE_NOTIFY_INVAL_ENTRY);
	CHECK_CONST(FC_NOTIFY_STORE, FUSE_NOTIFY_STORE);
	CHECK_CONST(FC_NOTIFY_RETRIEVE, FUSE_NOTIFY_RETRIEVE);
	CHECK_CONST(FC_NOTIFY_DELETE, FUSE_NOTIFY_DELETE);
#if FUSE_KERNEL_MINOR_VERSION >= 40
	CHECK_CONST(FC_NOTIFY_RESEND, FUSE_NOTIFY_RESEND);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 44
	CHECK_CONST(FC_NOTIFY_INC_EPOCH, FUSE_NOTIFY_INC_EPOCH);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 45
	CHECK_CONST(FC_NOTIFY_PRUNE, FUSE_NOTIFY_PRUNE);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 42
	CHECK_CONST(FC_IO_URING_CMD_INVALID, FUSE_IO_URING_CMD_INVALID);
	CHECK_CONST(FC_IO_URING_CMD_REGISTER, FUSE_IO_URING_CMD_REGISTER);
	CHECK_CONST(FC_IO_URING_CMD_COMMIT_AND_FETCH, FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
#endif
}
END_TEST

START_TEST(test_host_macros)
{
	struct fuse_direntplus kdp;
	struct fc_direntplus fdp;
	size_t x;
	uint32_t n;

	ck_assert_uint_eq(FC_NAME_OFFSET, FUSE_NAME_OFFSET);
	ck_assert_uint_eq(FC_NAME_OFFSET_DIRENTPLUS, FUSE_NAME_OFFSET_DIRENTPLUS);
	for (x = 0; x < 64; x++)
		ck_assert_uint_eq(FC_DIRENT_ALIGN(x), FUSE_DIRENT_ALIGN(x));
	memset(&kdp, 0, sizeof(kdp));
	memset(&fdp, 0, sizeof(fdp));
	for (n = 0; n < 16; n++) {
		kdp.dirent.namelen = n;
		fdp.dirent.namelen = n;
		ck_assert_uint_eq(FC_DIRENT_SIZE(&fdp.dirent),
				  FUSE_DIRENT_SIZE(&kdp.dirent));
		ck_assert_uint_eq(FC_DIRENTPLUS_SIZE(&fdp),
				  FUSE_DIRENTPLUS_SIZE(&kdp));
	}

	ck_assert_uint_eq(FC_DEV_IOC_MAGIC, FUSE_DEV_IOC_MAGIC);
	ck_assert_uint_eq(FC_DEV_IOC_CLONE, FUSE_DEV_IOC_CLONE);
#ifdef FUSE_DEV_IOC_BACKING_OPEN
	ck_assert_uint_eq(FC_DEV_IOC_BACKING_OPEN, FUSE_DEV_IOC_BACKING_OPEN);
	ck_assert_uint_eq(FC_DEV_IOC_BACKING_CLOSE, FUSE_DEV_IOC_BACKING_CLOSE);
#endif
#ifdef FUSE_DEV_IOC_SYNC_INIT
	ck_assert_uint_eq(FC_DEV_IOC_SYNC_INIT, FUSE_DEV_IOC_SYNC_INIT);
#endif
}
END_TEST

#endif /* HAVE_HOST_FUSE */

/* ------------------------------------------------------------------ */

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("wire");
	tcase_add_test(tc, test_init_request_decode);
	tcase_add_test(tc, test_init_flags_decode);
	tcase_add_test(tc, test_fixed_values);
	suite_add_tcase(s, tc);

#ifdef HAVE_HOST_FUSE
	tc = tcase_create("host");
	tcase_add_test(tc, test_host_constants);
	tcase_add_test(tc, test_host_macros);
	tcase_add_test(tc, test_layout_attr);
#if FUSE_KERNEL_MINOR_VERSION >= 39
	tcase_add_test(tc, test_layout_sx_time);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 39
	tcase_add_test(tc, test_layout_statx);
#endif
	tcase_add_test(tc, test_layout_kstatfs);
	tcase_add_test(tc, test_layout_file_lock);
	tcase_add_test(tc, test_layout_entry_out);
	tcase_add_test(tc, test_layout_forget_in);
	tcase_add_test(tc, test_layout_forget_one);
	tcase_add_test(tc, test_layout_batch_forget_in);
	tcase_add_test(tc, test_layout_getattr_in);
	tcase_add_test(tc, test_layout_attr_out);
#if FUSE_KERNEL_MINOR_VERSION >= 39
	tcase_add_test(tc, test_layout_statx_in);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 39
	tcase_add_test(tc, test_layout_statx_out);
#endif
	tcase_add_test(tc, test_layout_mknod_in);
	tcase_add_test(tc, test_layout_mkdir_in);
	tcase_add_test(tc, test_layout_rename_in);
	tcase_add_test(tc, test_layout_rename2_in);
	tcase_add_test(tc, test_layout_link_in);
	tcase_add_test(tc, test_layout_setattr_in);
	tcase_add_test(tc, test_layout_open_in);
	tcase_add_test(tc, test_layout_create_in);
	tcase_add_test(tc, test_layout_open_out);
	tcase_add_test(tc, test_layout_release_in);
	tcase_add_test(tc, test_layout_flush_in);
	tcase_add_test(tc, test_layout_read_in);
	tcase_add_test(tc, test_layout_write_in);
	tcase_add_test(tc, test_layout_write_out);
	tcase_add_test(tc, test_layout_statfs_out);
	tcase_add_test(tc, test_layout_fsync_in);
	tcase_add_test(tc, test_layout_setxattr_in);
	tcase_add_test(tc, test_layout_getxattr_in);
	tcase_add_test(tc, test_layout_getxattr_out);
	tcase_add_test(tc, test_layout_lk_in);
	tcase_add_test(tc, test_layout_lk_out);
	tcase_add_test(tc, test_layout_access_in);
	tcase_add_test(tc, test_layout_init_in);
	tcase_add_test(tc, test_layout_init_out);
	tcase_add_test(tc, test_layout_cuse_init_in);
	tcase_add_test(tc, test_layout_cuse_init_out);
	tcase_add_test(tc, test_layout_interrupt_in);
	tcase_add_test(tc, test_layout_bmap_in);
	tcase_add_test(tc, test_layout_bmap_out);
	tcase_add_test(tc, test_layout_ioctl_in);
	tcase_add_test(tc, test_layout_ioctl_iovec);
	tcase_add_test(tc, test_layout_ioctl_out);
	tcase_add_test(tc, test_layout_poll_in);
	tcase_add_test(tc, test_layout_poll_out);
	tcase_add_test(tc, test_layout_fallocate_in);
	tcase_add_test(tc, test_layout_in_header);
	tcase_add_test(tc, test_layout_out_header);
	tcase_add_test(tc, test_layout_dirent);
	tcase_add_test(tc, test_layout_direntplus);
	tcase_add_test(tc, test_layout_notify_poll_wakeup_out);
	tcase_add_test(tc, test_layout_notify_inval_inode_out);
	tcase_add_test(tc, test_layout_notify_inval_entry_out);
	tcase_add_test(tc, test_layout_notify_delete_out);
	tcase_add_test(tc, test_layout_notify_store_out);
	tcase_add_test(tc, test_layout_notify_retrieve_out);
	tcase_add_test(tc, test_layout_notify_retrieve_in);
#if FUSE_KERNEL_MINOR_VERSION >= 45
	tcase_add_test(tc, test_layout_notify_prune_out);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 40
	tcase_add_test(tc, test_layout_backing_map);
#endif
	tcase_add_test(tc, test_layout_lseek_in);
	tcase_add_test(tc, test_layout_lseek_out);
	tcase_add_test(tc, test_layout_copy_file_range_in);
#if FUSE_KERNEL_MINOR_VERSION >= 45
	tcase_add_test(tc, test_layout_copy_file_range_out);
#endif
	tcase_add_test(tc, test_layout_setupmapping_in);
	tcase_add_test(tc, test_layout_removemapping_in);
	tcase_add_test(tc, test_layout_removemapping_one);
	tcase_add_test(tc, test_layout_syncfs_in);
	tcase_add_test(tc, test_layout_secctx);
	tcase_add_test(tc, test_layout_secctx_header);
	tcase_add_test(tc, test_layout_ext_header);
#if FUSE_KERNEL_MINOR_VERSION >= 39
	tcase_add_test(tc, test_layout_supp_groups);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 42
	tcase_add_test(tc, test_layout_uring_ent_in_out);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 42
	tcase_add_test(tc, test_layout_uring_req_header);
#endif
#if FUSE_KERNEL_MINOR_VERSION >= 42
	tcase_add_test(tc, test_layout_uring_cmd_req);
#endif
	suite_add_tcase(s, tc);
#endif

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
