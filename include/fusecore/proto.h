/*
 * fusecore/proto.h - libfusecore's own definition of the FUSE wire protocol,
 * version 7.45 (the protocol spoken over /dev/fuse by Linux 6.18).
 *
 * All structures are laid out exactly as Linux lays them out on a
 * little-endian host: natural alignment, every request/reply record padded
 * to a multiple of 8 bytes so that 32-bit and 64-bit peers agree.  Sizes are
 * checked with static assertions at the bottom of this file.
 *
 * Naming rule (relied upon by the rest of the project):
 *   - struct fuse_X          -> struct fc_X   (same fields, types and order)
 *   - struct cuse_X          -> struct fc_cuse_X
 *   - FUSE_X / enum FUSE_X   -> FC_X          (same value)
 *   - any other prefix P_X   -> FC_P_X        (FOPEN_X -> FC_FOPEN_X,
 *                                              FATTR_X -> FC_FATTR_X,
 *                                              CUSE_X  -> FC_CUSE_X)
 * Anything that is not part of the Linux uapi header is marked as such.
 *
 * Data only: no functions, no includes beyond <stdint.h> and <stddef.h>.
 * Valid C11 and C++11.
 */
#ifndef FUSECORE_PROTO_H
#define FUSECORE_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Protocol version implemented by this header. */
#define FC_KERNEL_VERSION       7
#define FC_KERNEL_MINOR_VERSION 45

/* Node id of the filesystem root. */
#define FC_ROOT_ID 1

/* ------------------------------------------------------------------ */
/* Attribute records                                                    */
/* ------------------------------------------------------------------ */

/* Inode attributes as carried in entry/attr replies. */
struct fc_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags; /* FC_ATTR_* */
};

/* Timestamp inside struct fc_statx (same layout as struct statx_timestamp). */
struct fc_sx_time {
	int64_t  tv_sec;
	uint32_t tv_nsec;
	int32_t  __reserved;
};

/* Extended attributes for FC_STATX (same layout as the statx(2) buffer). */
struct fc_statx {
	uint32_t mask;
	uint32_t blksize;
	uint64_t attributes;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint16_t mode;
	uint16_t __spare0[1];
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t attributes_mask;
	struct fc_sx_time atime;
	struct fc_sx_time btime;
	struct fc_sx_time ctime;
	struct fc_sx_time mtime;
	uint32_t rdev_major;
	uint32_t rdev_minor;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint64_t __spare2[14];
};

/* Filesystem statistics (FC_STATFS reply body). */
struct fc_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};

/* A POSIX/flock lock range. */
struct fc_file_lock {
	uint64_t start;
	uint64_t end;
	uint32_t type;
	uint32_t pid; /* thread group id of the owner */
};

/* ------------------------------------------------------------------ */
/* Flag values                                                          */
/* ------------------------------------------------------------------ */

/* fc_setattr_in.valid: which fields of the SETATTR request are set. */
#define FC_FATTR_MODE        (1u << 0)
#define FC_FATTR_UID         (1u << 1)
#define FC_FATTR_GID         (1u << 2)
#define FC_FATTR_SIZE        (1u << 3)
#define FC_FATTR_ATIME       (1u << 4)
#define FC_FATTR_MTIME       (1u << 5)
#define FC_FATTR_FH          (1u << 6)
#define FC_FATTR_ATIME_NOW   (1u << 7)
#define FC_FATTR_MTIME_NOW   (1u << 8)
#define FC_FATTR_LOCKOWNER   (1u << 9)
#define FC_FATTR_CTIME       (1u << 10)
#define FC_FATTR_KILL_SUIDGID (1u << 11)

/* fc_open_out.open_flags: per-open behaviour chosen by the server. */
#define FC_FOPEN_DIRECT_IO             (1u << 0)
#define FC_FOPEN_KEEP_CACHE            (1u << 1)
#define FC_FOPEN_NONSEEKABLE           (1u << 2)
#define FC_FOPEN_CACHE_DIR             (1u << 3)
#define FC_FOPEN_STREAM                (1u << 4)
#define FC_FOPEN_NOFLUSH               (1u << 5)
#define FC_FOPEN_PARALLEL_DIRECT_WRITES (1u << 6)
#define FC_FOPEN_PASSTHROUGH           (1u << 7)

/*
 * INIT capability flags, as one 64-bit set: bits 0..31 travel in
 * init_in/init_out.flags, bits 32..63 in .flags2 (shifted down by 32).
 */
#define FC_ASYNC_READ            (1ULL << 0)
#define FC_POSIX_LOCKS           (1ULL << 1)
#define FC_FILE_OPS              (1ULL << 2)
#define FC_ATOMIC_O_TRUNC        (1ULL << 3)
#define FC_EXPORT_SUPPORT        (1ULL << 4)
#define FC_BIG_WRITES            (1ULL << 5)
#define FC_DONT_MASK             (1ULL << 6)
#define FC_SPLICE_WRITE          (1ULL << 7)
#define FC_SPLICE_MOVE           (1ULL << 8)
#define FC_SPLICE_READ           (1ULL << 9)
#define FC_FLOCK_LOCKS           (1ULL << 10)
#define FC_HAS_IOCTL_DIR         (1ULL << 11)
#define FC_AUTO_INVAL_DATA       (1ULL << 12)
#define FC_DO_READDIRPLUS        (1ULL << 13)
#define FC_READDIRPLUS_AUTO      (1ULL << 14)
#define FC_ASYNC_DIO             (1ULL << 15)
#define FC_WRITEBACK_CACHE       (1ULL << 16)
#define FC_NO_OPEN_SUPPORT       (1ULL << 17)
#define FC_PARALLEL_DIROPS       (1ULL << 18)
#define FC_HANDLE_KILLPRIV       (1ULL << 19)
#define FC_POSIX_ACL             (1ULL << 20)
#define FC_ABORT_ERROR           (1ULL << 21)
#define FC_MAX_PAGES             (1ULL << 22)
#define FC_CACHE_SYMLINKS        (1ULL << 23)
#define FC_NO_OPENDIR_SUPPORT    (1ULL << 24)
#define FC_EXPLICIT_INVAL_DATA   (1ULL << 25)
#define FC_MAP_ALIGNMENT         (1ULL << 26)
#define FC_SUBMOUNTS             (1ULL << 27)
#define FC_HANDLE_KILLPRIV_V2    (1ULL << 28)
#define FC_SETXATTR_EXT          (1ULL << 29)
#define FC_INIT_EXT              (1ULL << 30)
#define FC_INIT_RESERVED         (1ULL << 31)
#define FC_SECURITY_CTX          (1ULL << 32)
#define FC_HAS_INODE_DAX         (1ULL << 33)
#define FC_CREATE_SUPP_GROUP     (1ULL << 34)
#define FC_HAS_EXPIRE_ONLY       (1ULL << 35)
#define FC_DIRECT_IO_ALLOW_MMAP  (1ULL << 36)
#define FC_PASSTHROUGH           (1ULL << 37)
#define FC_NO_EXPORT_SUPPORT     (1ULL << 38)
#define FC_HAS_RESEND            (1ULL << 39)
#define FC_ALLOW_IDMAP           (1ULL << 40)
#define FC_OVER_IO_URING         (1ULL << 41)
#define FC_REQUEST_TIMEOUT       (1ULL << 42)
/* Old name of FC_DIRECT_IO_ALLOW_MMAP. */
#define FC_DIRECT_IO_RELAX       FC_DIRECT_IO_ALLOW_MMAP

/* CUSE INIT flags. */
#define FC_CUSE_UNRESTRICTED_IOCTL (1u << 0)

/* fc_release_in.release_flags. */
#define FC_RELEASE_FLUSH        (1u << 0)
#define FC_RELEASE_FLOCK_UNLOCK (1u << 1)

/* fc_getattr_in.getattr_flags. */
#define FC_GETATTR_FH (1u << 0)

/* fc_lk_in.lk_flags. */
#define FC_LK_FLOCK (1u << 0)

/* fc_write_in.write_flags. */
#define FC_WRITE_CACHE        (1u << 0)
#define FC_WRITE_LOCKOWNER    (1u << 1)
#define FC_WRITE_KILL_SUIDGID (1u << 2)
/* Old name of FC_WRITE_KILL_SUIDGID. */
#define FC_WRITE_KILL_PRIV    FC_WRITE_KILL_SUIDGID

/* fc_read_in.read_flags. */
#define FC_READ_LOCKOWNER (1u << 1)

/* fc_ioctl_in/out.flags, and the iovec count limit for retried ioctls. */
#define FC_IOCTL_COMPAT       (1u << 0)
#define FC_IOCTL_UNRESTRICTED (1u << 1)
#define FC_IOCTL_RETRY        (1u << 2)
#define FC_IOCTL_32BIT        (1u << 3)
#define FC_IOCTL_DIR          (1u << 4)
#define FC_IOCTL_COMPAT_X32   (1u << 5)
#define FC_IOCTL_MAX_IOV      256

/* fc_poll_in.flags. */
#define FC_POLL_SCHEDULE_NOTIFY (1u << 0)

/* fc_fsync_in.fsync_flags. */
#define FC_FSYNC_FDATASYNC (1u << 0)

/* fc_attr.flags. */
#define FC_ATTR_SUBMOUNT (1u << 0)
#define FC_ATTR_DAX      (1u << 1)

/* fc_open_in.open_flags / fc_create_in.open_flags. */
#define FC_OPEN_KILL_SUIDGID (1u << 0)

/* fc_setxattr_in.setxattr_flags. */
#define FC_SETXATTR_ACL_KILL_SGID (1u << 0)

/* fc_notify_inval_entry_out.flags. */
#define FC_EXPIRE_ONLY (1u << 0)

/* Request extension types (fc_ext_header.type); 0..31 mean a secctx header. */
enum fc_ext_type {
	FC_MAX_NR_SECCTX = 31,
	FC_EXT_GROUPS    = 32
};

/* ------------------------------------------------------------------ */
/* Opcodes and notification codes                                       */
/* ------------------------------------------------------------------ */

/* Request opcodes (fc_in_header.opcode). */
enum fc_opcode {
	FC_LOOKUP          = 1,
	FC_FORGET          = 2, /* no reply */
	FC_GETATTR         = 3,
	FC_SETATTR         = 4,
	FC_READLINK        = 5,
	FC_SYMLINK         = 6,
	FC_MKNOD           = 8,
	FC_MKDIR           = 9,
	FC_UNLINK          = 10,
	FC_RMDIR           = 11,
	FC_RENAME          = 12,
	FC_LINK            = 13,
	FC_OPEN            = 14,
	FC_READ            = 15,
	FC_WRITE           = 16,
	FC_STATFS          = 17,
	FC_RELEASE         = 18,
	FC_FSYNC           = 20,
	FC_SETXATTR        = 21,
	FC_GETXATTR        = 22,
	FC_LISTXATTR       = 23,
	FC_REMOVEXATTR     = 24,
	FC_FLUSH           = 25,
	FC_INIT            = 26,
	FC_OPENDIR         = 27,
	FC_READDIR         = 28,
	FC_RELEASEDIR      = 29,
	FC_FSYNCDIR        = 30,
	FC_GETLK           = 31,
	FC_SETLK           = 32,
	FC_SETLKW          = 33,
	FC_ACCESS          = 34,
	FC_CREATE          = 35,
	FC_INTERRUPT       = 36,
	FC_BMAP            = 37,
	FC_DESTROY         = 38,
	FC_IOCTL           = 39,
	FC_POLL            = 40,
	FC_NOTIFY_REPLY    = 41,
	FC_BATCH_FORGET    = 42, /* no reply */
	FC_FALLOCATE       = 43,
	FC_READDIRPLUS     = 44,
	FC_RENAME2         = 45,
	FC_LSEEK           = 46,
	FC_COPY_FILE_RANGE = 47,
	FC_SETUPMAPPING    = 48,
	FC_REMOVEMAPPING   = 49,
	FC_SYNCFS          = 50,
	FC_TMPFILE         = 51,
	FC_STATX           = 52,
	FC_COPY_FILE_RANGE_64 = 53,

	/* CUSE only. */
	FC_CUSE_INIT       = 4096,

	/* Byte-swapped INIT opcodes, reserved to detect an endian mismatch. */
	FC_CUSE_INIT_BSWAP_RESERVED = 1048576,   /* FC_CUSE_INIT << 8 */
	FC_INIT_BSWAP_RESERVED      = 436207616  /* FC_INIT << 24 */
};

/*
 * Server-to-kernel notification codes (carried in fc_out_header.error with
 * unique == 0).  FC_NOTIFY_CODE_MAX is this project's one-past-the-end
 * sentinel; Linux dropped it from the uapi header at 7.45.
 */
enum fc_notify_code {
	FC_NOTIFY_POLL        = 1,
	FC_NOTIFY_INVAL_INODE = 2,
	FC_NOTIFY_INVAL_ENTRY = 3,
	FC_NOTIFY_STORE       = 4,
	FC_NOTIFY_RETRIEVE    = 5,
	FC_NOTIFY_DELETE      = 6,
	FC_NOTIFY_RESEND      = 7,
	FC_NOTIFY_INC_EPOCH   = 8,
	FC_NOTIFY_PRUNE       = 9,
	FC_NOTIFY_CODE_MAX
};

/* Smallest read buffer a server may hand to the device. */
#define FC_MIN_READ_BUFFER 8192

/* ------------------------------------------------------------------ */
/* Request and reply bodies                                             */
/* ------------------------------------------------------------------ */

/* Reply size for protocol minor < 9. */
#define FC_COMPAT_ENTRY_OUT_SIZE 120

/* Reply to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK (and part of CREATE). */
struct fc_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid; /* seconds the name may be cached */
	uint64_t attr_valid;  /* seconds the attributes may be cached */
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fc_attr attr;
};

/* FORGET body. */
struct fc_forget_in {
	uint64_t nlookup;
};

/* One record of a BATCH_FORGET. */
struct fc_forget_one {
	uint64_t nodeid;
	uint64_t nlookup;
};

/* BATCH_FORGET body, followed by count fc_forget_one records. */
struct fc_batch_forget_in {
	uint32_t count;
	uint32_t dummy;
};

/* GETATTR body. */
struct fc_getattr_in {
	uint32_t getattr_flags; /* FC_GETATTR_* */
	uint32_t dummy;
	uint64_t fh;
};

/* Reply size for protocol minor < 9. */
#define FC_COMPAT_ATTR_OUT_SIZE 96

/* Reply to GETATTR and SETATTR. */
struct fc_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fc_attr attr;
};

/* STATX body. */
struct fc_statx_in {
	uint32_t getattr_flags;
	uint32_t reserved;
	uint64_t fh;
	uint32_t sx_flags;
	uint32_t sx_mask;
};

/* Reply to STATX. */
struct fc_statx_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t flags;
	uint64_t spare[2];
	struct fc_statx stat;
};

/* Request size for protocol minor < 12. */
#define FC_COMPAT_MKNOD_IN_SIZE 8

/* MKNOD body, followed by the name. */
struct fc_mknod_in {
	uint32_t mode;
	uint32_t rdev;
	uint32_t umask;
	uint32_t padding;
};

/* MKDIR body, followed by the name. */
struct fc_mkdir_in {
	uint32_t mode;
	uint32_t umask;
};

/* RENAME body, followed by old and new names. */
struct fc_rename_in {
	uint64_t newdir;
};

/* RENAME2 body, followed by old and new names. */
struct fc_rename2_in {
	uint64_t newdir;
	uint32_t flags;
	uint32_t padding;
};

/* LINK body, followed by the new name. */
struct fc_link_in {
	uint64_t oldnodeid;
};

/* SETATTR body. */
struct fc_setattr_in {
	uint32_t valid; /* FC_FATTR_* */
	uint32_t padding;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t unused4;
	uint32_t uid;
	uint32_t gid;
	uint32_t unused5;
};

/* OPEN / OPENDIR body. */
struct fc_open_in {
	uint32_t flags;
	uint32_t open_flags; /* FC_OPEN_* */
};

/* CREATE body, followed by the name. */
struct fc_create_in {
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;
	uint32_t open_flags; /* FC_OPEN_* */
};

/* Reply to OPEN / OPENDIR (and part of CREATE). */
struct fc_open_out {
	uint64_t fh;
	uint32_t open_flags; /* FC_FOPEN_* */
	int32_t  backing_id;
};

/* RELEASE / RELEASEDIR body. */
struct fc_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags; /* FC_RELEASE_* */
	uint64_t lock_owner;
};

/* FLUSH body. */
struct fc_flush_in {
	uint64_t fh;
	uint32_t unused;
	uint32_t padding;
	uint64_t lock_owner;
};

/* READ / READDIR / READDIRPLUS body. */
struct fc_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags; /* FC_READ_* */
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

/* Request size for protocol minor < 9. */
#define FC_COMPAT_WRITE_IN_SIZE 24

/* WRITE body, followed by the data. */
struct fc_write_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t write_flags; /* FC_WRITE_* */
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

/* Reply to WRITE. */
struct fc_write_out {
	uint32_t size;
	uint32_t padding;
};

/* Reply size for protocol minor < 4. */
#define FC_COMPAT_STATFS_SIZE 48

/* Reply to STATFS. */
struct fc_statfs_out {
	struct fc_kstatfs st;
};

/* FSYNC / FSYNCDIR body. */
struct fc_fsync_in {
	uint64_t fh;
	uint32_t fsync_flags; /* FC_FSYNC_* */
	uint32_t padding;
};

/* Request size when FC_SETXATTR_EXT was not negotiated. */
#define FC_COMPAT_SETXATTR_IN_SIZE 8

/* SETXATTR body, followed by name and value. */
struct fc_setxattr_in {
	uint32_t size;
	uint32_t flags;
	uint32_t setxattr_flags; /* FC_SETXATTR_* */
	uint32_t padding;
};

/* GETXATTR / LISTXATTR body. */
struct fc_getxattr_in {
	uint32_t size;
	uint32_t padding;
};

/* Reply to GETXATTR / LISTXATTR when asked for the size only. */
struct fc_getxattr_out {
	uint32_t size;
	uint32_t padding;
};

/* GETLK / SETLK / SETLKW body. */
struct fc_lk_in {
	uint64_t fh;
	uint64_t owner;
	struct fc_file_lock lk;
	uint32_t lk_flags; /* FC_LK_* */
	uint32_t padding;
};

/* Reply to GETLK. */
struct fc_lk_out {
	struct fc_file_lock lk;
};

/* ACCESS body. */
struct fc_access_in {
	uint32_t mask;
	uint32_t padding;
};

/* INIT request body. */
struct fc_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;  /* low half of the FC_* INIT flags */
	uint32_t flags2; /* high half, valid with FC_INIT_EXT */
	uint32_t unused[11];
};

/* INIT reply sizes accepted from servers speaking minor < 5 and < 23. */
#define FC_COMPAT_INIT_OUT_SIZE    8
#define FC_COMPAT_22_INIT_OUT_SIZE 24

/* INIT reply body. */
struct fc_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint32_t max_write;
	uint32_t time_gran;
	uint16_t max_pages;
	uint16_t map_alignment;
	uint32_t flags2;
	uint32_t max_stack_depth;
	uint16_t request_timeout;
	uint16_t unused[11];
};

/* Largest device-info string a CUSE server may return with its INIT reply. */
#define FC_CUSE_INIT_INFO_MAX 4096

/* CUSE_INIT request body. */
struct fc_cuse_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t unused;
	uint32_t flags;
};

/* CUSE_INIT reply body, followed by the device-info string. */
struct fc_cuse_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t unused;
	uint32_t flags;
	uint32_t max_read;
	uint32_t max_write;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t spare[10];
};

/* INTERRUPT body: the unique id of the request to interrupt. */
struct fc_interrupt_in {
	uint64_t unique;
};

/* BMAP body and reply. */
struct fc_bmap_in {
	uint64_t block;
	uint32_t blocksize;
	uint32_t padding;
};

struct fc_bmap_out {
	uint64_t block;
};

/* IOCTL body, reply and the iovec used by unrestricted retries. */
struct fc_ioctl_in {
	uint64_t fh;
	uint32_t flags; /* FC_IOCTL_* */
	uint32_t cmd;
	uint64_t arg;
	uint32_t in_size;
	uint32_t out_size;
};

struct fc_ioctl_iovec {
	uint64_t base;
	uint64_t len;
};

struct fc_ioctl_out {
	int32_t  result;
	uint32_t flags; /* FC_IOCTL_* */
	uint32_t in_iovs;
	uint32_t out_iovs;
};

/* POLL body and reply. */
struct fc_poll_in {
	uint64_t fh;
	uint64_t kh;
	uint32_t flags; /* FC_POLL_* */
	uint32_t events;
};

struct fc_poll_out {
	uint32_t revents;
	uint32_t padding;
};

/* FALLOCATE body. */
struct fc_fallocate_in {
	uint64_t fh;
	uint64_t offset;
	uint64_t length;
	uint32_t mode;
	uint32_t padding;
};

/* ------------------------------------------------------------------ */
/* Message headers                                                      */
/* ------------------------------------------------------------------ */

/* High bit of fc_in_header.unique: this request is being resent. */
#define FC_UNIQUE_RESEND (1ULL << 63)

/* uid/gid placed in fc_in_header when an idmapped id cannot be mapped. */
#define FC_INVALID_UIDGID ((uint32_t)(-1))

/* Header in front of every request. */
struct fc_in_header {
	uint32_t len;
	uint32_t opcode; /* enum fc_opcode */
	uint64_t unique;
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint16_t total_extlen; /* extension bytes after the body, in 8-byte units */
	uint16_t padding;
};

/* Header in front of every reply and notification. */
struct fc_out_header {
	uint32_t len;
	int32_t  error; /* -errno, or enum fc_notify_code when unique == 0 */
	uint64_t unique;
};

/* ------------------------------------------------------------------ */
/* Directory records                                                    */
/* ------------------------------------------------------------------ */

/*
 * Flexible array members (and a struct ending in one nested in another, as
 * the kernel does for direntplus) are extensions in ISO C++ and in nesting;
 * keep -Wpedantic quiet for these few records only.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
/* One READDIR record; the name is not NUL-terminated. */
struct fc_dirent {
	uint64_t ino;
	uint64_t off;
	uint32_t namelen;
	uint32_t type;
	char name[];
};

/* Round a record length up to 8 bytes. */
#define FC_REC_ALIGN(x) \
	(((x) + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1))

#define FC_NAME_OFFSET offsetof(struct fc_dirent, name)
#define FC_DIRENT_ALIGN(x) FC_REC_ALIGN(x)
#define FC_DIRENT_SIZE(d) FC_DIRENT_ALIGN(FC_NAME_OFFSET + (d)->namelen)

/* One READDIRPLUS record. */
struct fc_direntplus {
	struct fc_entry_out entry_out;
	struct fc_dirent dirent;
};

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#define FC_NAME_OFFSET_DIRENTPLUS offsetof(struct fc_direntplus, dirent.name)
#define FC_DIRENTPLUS_SIZE(d) \
	FC_DIRENT_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + (d)->dirent.namelen)

/* ------------------------------------------------------------------ */
/* Notifications (server to kernel) and NOTIFY_REPLY                    */
/* ------------------------------------------------------------------ */

/* FC_NOTIFY_POLL. */
struct fc_notify_poll_wakeup_out {
	uint64_t kh;
};

/* FC_NOTIFY_INVAL_INODE. */
struct fc_notify_inval_inode_out {
	uint64_t ino;
	int64_t  off;
	int64_t  len;
};

/* FC_NOTIFY_INVAL_ENTRY, followed by the name. */
struct fc_notify_inval_entry_out {
	uint64_t parent;
	uint32_t namelen;
	uint32_t flags; /* FC_EXPIRE_ONLY */
};

/* FC_NOTIFY_DELETE, followed by the name. */
struct fc_notify_delete_out {
	uint64_t parent;
	uint64_t child;
	uint32_t namelen;
	uint32_t padding;
};

/* FC_NOTIFY_STORE, followed by the data. */
struct fc_notify_store_out {
	uint64_t nodeid;
	uint64_t offset;
	uint32_t size;
	uint32_t padding;
};

/* FC_NOTIFY_RETRIEVE. */
struct fc_notify_retrieve_out {
	uint64_t notify_unique;
	uint64_t nodeid;
	uint64_t offset;
	uint32_t size;
	uint32_t padding;
};

/* Body of the NOTIFY_REPLY request answering a retrieve; sized like fc_write_in. */
struct fc_notify_retrieve_in {
	uint64_t dummy1;
	uint64_t offset;
	uint32_t size;
	uint32_t dummy2;
	uint64_t dummy3;
	uint64_t dummy4;
};

/* FC_NOTIFY_PRUNE, followed by count node ids. */
struct fc_notify_prune_out {
	uint32_t count;
	uint32_t padding;
	uint64_t spare;
};

/* ------------------------------------------------------------------ */
/* Device ioctls                                                        */
/* ------------------------------------------------------------------ */

/* Argument of FC_DEV_IOC_BACKING_OPEN. */
struct fc_backing_map {
	int32_t  fd;
	uint32_t flags;
	uint64_t padding;
};

/* ioctl type byte and command numbers on /dev/fuse. */
#define FC_DEV_IOC_MAGIC            229
#define FC_DEV_IOC_CLONE_NR         0
#define FC_DEV_IOC_BACKING_OPEN_NR  1
#define FC_DEV_IOC_BACKING_CLOSE_NR 2
#define FC_DEV_IOC_SYNC_INIT_NR     3

/*
 * Full ioctl request numbers, encoded as <linux/ioctl.h> would for this
 * architecture (the _NR constants and the FC_IOC_* helpers are ours).
 */
#if defined(__powerpc__) || defined(__mips__) || defined(__sparc__) || \
	defined(__alpha__)
#define FC_IOC_NONE_   1u
#define FC_IOC_READ_   2u
#define FC_IOC_WRITE_  4u
#define FC_IOC_DIRSHIFT_ 29
#elif defined(__hppa__)
#define FC_IOC_NONE_   0u
#define FC_IOC_READ_   1u
#define FC_IOC_WRITE_  2u
#define FC_IOC_DIRSHIFT_ 30
#else
#define FC_IOC_NONE_   0u
#define FC_IOC_READ_   2u
#define FC_IOC_WRITE_  1u
#define FC_IOC_DIRSHIFT_ 30
#endif
#define FC_IOC_(dir, nr, size) \
	((unsigned int)(((dir) << FC_IOC_DIRSHIFT_) | \
			((unsigned int)(size) << 16) | \
			((unsigned int)FC_DEV_IOC_MAGIC << 8) | (unsigned int)(nr)))

#define FC_DEV_IOC_CLONE \
	FC_IOC_(FC_IOC_READ_, FC_DEV_IOC_CLONE_NR, sizeof(uint32_t))
#define FC_DEV_IOC_BACKING_OPEN \
	FC_IOC_(FC_IOC_WRITE_, FC_DEV_IOC_BACKING_OPEN_NR, \
		sizeof(struct fc_backing_map))
#define FC_DEV_IOC_BACKING_CLOSE \
	FC_IOC_(FC_IOC_WRITE_, FC_DEV_IOC_BACKING_CLOSE_NR, sizeof(uint32_t))
#define FC_DEV_IOC_SYNC_INIT \
	FC_IOC_(FC_IOC_NONE_, FC_DEV_IOC_SYNC_INIT_NR, 0)

/* ------------------------------------------------------------------ */
/* Seek, copy, DAX mapping, syncfs                                      */
/* ------------------------------------------------------------------ */

/* LSEEK body and reply. */
struct fc_lseek_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t whence;
	uint32_t padding;
};

struct fc_lseek_out {
	uint64_t offset;
};

/* COPY_FILE_RANGE / COPY_FILE_RANGE_64 body. */
struct fc_copy_file_range_in {
	uint64_t fh_in;
	uint64_t off_in;
	uint64_t nodeid_out;
	uint64_t fh_out;
	uint64_t off_out;
	uint64_t len;
	uint64_t flags;
};

/* Reply to COPY_FILE_RANGE_64 (plain COPY_FILE_RANGE replies fc_write_out). */
struct fc_copy_file_range_out {
	uint64_t bytes_copied;
};

/* SETUPMAPPING (virtiofs DAX) flags and body. */
#define FC_SETUPMAPPING_FLAG_WRITE (1ULL << 0)
#define FC_SETUPMAPPING_FLAG_READ  (1ULL << 1)

struct fc_setupmapping_in {
	uint64_t fh;
	uint64_t foffset; /* file offset */
	uint64_t len;
	uint64_t flags;   /* FC_SETUPMAPPING_FLAG_* */
	uint64_t moffset; /* offset in the DAX window */
};

/* REMOVEMAPPING body, followed by count fc_removemapping_one records. */
struct fc_removemapping_in {
	uint32_t count;
};

struct fc_removemapping_one {
	uint64_t moffset;
	uint64_t len;
};

/* Records that fit in one page (Linux uses PAGE_SIZE; ours takes it). */
#define FC_REMOVEMAPPING_MAX_ENTRY(page_size) \
	((page_size) / sizeof(struct fc_removemapping_one))

/* SYNCFS body. */
struct fc_syncfs_in {
	uint64_t padding;
};

/* ------------------------------------------------------------------ */
/* Request extensions (after the body, total_extlen * 8 bytes)          */
/* ------------------------------------------------------------------ */

/* One security context: this record, then the xattr name, then the label. */
struct fc_secctx {
	uint32_t size;
	uint32_t padding;
};

/* Security-context extension header: total size and number of contexts. */
struct fc_secctx_header {
	uint32_t size;
	uint32_t nr_secctx;
};

/* Generic extension header; type > FC_MAX_NR_SECCTX (enum fc_ext_type). */
struct fc_ext_header {
	uint32_t size; /* including this header */
	uint32_t type;
};

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
/* FC_EXT_GROUPS payload: supplementary group ids. */
struct fc_supp_groups {
	uint32_t nr_groups;
	uint32_t groups[];
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* ------------------------------------------------------------------ */
/* FUSE over io_uring                                                   */
/* ------------------------------------------------------------------ */

/* Space reserved for the fc_in/out_header and for the per-opcode body. */
#define FC_URING_IN_OUT_HEADER_SZ 128
#define FC_URING_OP_IN_OUT_SZ     128

/* Per-entry bookkeeping inside struct fc_uring_req_header. */
struct fc_uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;  /* to be echoed in the commit of this request */
	uint32_t payload_sz; /* size of the payload buffer */
	uint32_t padding;
	uint64_t reserved;
};

/* Header buffer shared by the kernel and the server for each ring entry. */
struct fc_uring_req_header {
	char in_out[FC_URING_IN_OUT_HEADER_SZ];
	char op_in[FC_URING_OP_IN_OUT_SZ];
	struct fc_uring_ent_in_out ring_ent_in_out;
};

/* io_uring command codes sent by the server. */
enum fc_uring_cmd {
	FC_IO_URING_CMD_INVALID          = 0,
	FC_IO_URING_CMD_REGISTER         = 1,
	FC_IO_URING_CMD_COMMIT_AND_FETCH = 2
};

/* Command payload in the SQE's 80-byte command area. */
struct fc_uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t  padding[6];
};

/* ------------------------------------------------------------------ */
/* Kernel-side defaults (Linux fs/fuse/fuse_i.h; not wire protocol)     */
/* ------------------------------------------------------------------ */

/* max_pages used until the server negotiates FC_MAX_PAGES. */
#define FC_DEFAULT_MAX_PAGES_PER_REQ 32
/* Default ceiling for a negotiated init_out.max_pages. */
#define FC_DEFAULT_MAX_PAGES_LIMIT   256
/* Longest name accepted while requests must fit FC_MIN_READ_BUFFER. */
#define FC_NAME_LOW_MAX              1024
/* Longest name accepted otherwise (PATH_MAX - 1). */
#define FC_NAME_MAX                  4095

/* ------------------------------------------------------------------ */
/* Wire sizes                                                           */
/* ------------------------------------------------------------------ */

#ifdef __cplusplus
#define FC_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define FC_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define FC_CHECK_SIZE_(name, n) \
	FC_STATIC_ASSERT(sizeof(struct name) == (n), \
			 "struct " #name " must be " #n " bytes on the wire")

FC_CHECK_SIZE_(fc_attr, 88);
FC_CHECK_SIZE_(fc_sx_time, 16);
FC_CHECK_SIZE_(fc_statx, 256);
FC_CHECK_SIZE_(fc_kstatfs, 80);
FC_CHECK_SIZE_(fc_file_lock, 24);
FC_CHECK_SIZE_(fc_entry_out, 128);
FC_CHECK_SIZE_(fc_forget_in, 8);
FC_CHECK_SIZE_(fc_forget_one, 16);
FC_CHECK_SIZE_(fc_batch_forget_in, 8);
FC_CHECK_SIZE_(fc_getattr_in, 16);
FC_CHECK_SIZE_(fc_attr_out, 104);
FC_CHECK_SIZE_(fc_statx_in, 24);
FC_CHECK_SIZE_(fc_statx_out, 288);
FC_CHECK_SIZE_(fc_mknod_in, 16);
FC_CHECK_SIZE_(fc_mkdir_in, 8);
FC_CHECK_SIZE_(fc_rename_in, 8);
FC_CHECK_SIZE_(fc_rename2_in, 16);
FC_CHECK_SIZE_(fc_link_in, 8);
FC_CHECK_SIZE_(fc_setattr_in, 88);
FC_CHECK_SIZE_(fc_open_in, 8);
FC_CHECK_SIZE_(fc_create_in, 16);
FC_CHECK_SIZE_(fc_open_out, 16);
FC_CHECK_SIZE_(fc_release_in, 24);
FC_CHECK_SIZE_(fc_flush_in, 24);
FC_CHECK_SIZE_(fc_read_in, 40);
FC_CHECK_SIZE_(fc_write_in, 40);
FC_CHECK_SIZE_(fc_write_out, 8);
FC_CHECK_SIZE_(fc_statfs_out, 80);
FC_CHECK_SIZE_(fc_fsync_in, 16);
FC_CHECK_SIZE_(fc_setxattr_in, 16);
FC_CHECK_SIZE_(fc_getxattr_in, 8);
FC_CHECK_SIZE_(fc_getxattr_out, 8);
FC_CHECK_SIZE_(fc_lk_in, 48);
FC_CHECK_SIZE_(fc_lk_out, 24);
FC_CHECK_SIZE_(fc_access_in, 8);
FC_CHECK_SIZE_(fc_init_in, 64);
FC_CHECK_SIZE_(fc_init_out, 64);
FC_CHECK_SIZE_(fc_cuse_init_in, 16);
FC_CHECK_SIZE_(fc_cuse_init_out, 72);
FC_CHECK_SIZE_(fc_interrupt_in, 8);
FC_CHECK_SIZE_(fc_bmap_in, 16);
FC_CHECK_SIZE_(fc_bmap_out, 8);
FC_CHECK_SIZE_(fc_ioctl_in, 32);
FC_CHECK_SIZE_(fc_ioctl_iovec, 16);
FC_CHECK_SIZE_(fc_ioctl_out, 16);
FC_CHECK_SIZE_(fc_poll_in, 24);
FC_CHECK_SIZE_(fc_poll_out, 8);
FC_CHECK_SIZE_(fc_fallocate_in, 32);
FC_CHECK_SIZE_(fc_in_header, 40);
FC_CHECK_SIZE_(fc_out_header, 16);
FC_CHECK_SIZE_(fc_dirent, 24);
FC_CHECK_SIZE_(fc_direntplus, 152);
FC_CHECK_SIZE_(fc_notify_poll_wakeup_out, 8);
FC_CHECK_SIZE_(fc_notify_inval_inode_out, 24);
FC_CHECK_SIZE_(fc_notify_inval_entry_out, 16);
FC_CHECK_SIZE_(fc_notify_delete_out, 24);
FC_CHECK_SIZE_(fc_notify_store_out, 24);
FC_CHECK_SIZE_(fc_notify_retrieve_out, 32);
FC_CHECK_SIZE_(fc_notify_retrieve_in, 40);
FC_CHECK_SIZE_(fc_notify_prune_out, 16);
FC_CHECK_SIZE_(fc_backing_map, 16);
FC_CHECK_SIZE_(fc_lseek_in, 24);
FC_CHECK_SIZE_(fc_lseek_out, 8);
FC_CHECK_SIZE_(fc_copy_file_range_in, 56);
FC_CHECK_SIZE_(fc_copy_file_range_out, 8);
FC_CHECK_SIZE_(fc_setupmapping_in, 40);
FC_CHECK_SIZE_(fc_removemapping_in, 4);
FC_CHECK_SIZE_(fc_removemapping_one, 16);
FC_CHECK_SIZE_(fc_syncfs_in, 8);
FC_CHECK_SIZE_(fc_secctx, 8);
FC_CHECK_SIZE_(fc_secctx_header, 8);
FC_CHECK_SIZE_(fc_ext_header, 8);
FC_CHECK_SIZE_(fc_supp_groups, 4);
FC_CHECK_SIZE_(fc_uring_ent_in_out, 32);
FC_CHECK_SIZE_(fc_uring_req_header, 288);
FC_CHECK_SIZE_(fc_uring_cmd_req, 24);

/* Records that must match another record's size. */
FC_STATIC_ASSERT(sizeof(struct fc_notify_retrieve_in) ==
		 sizeof(struct fc_write_in),
		 "notify_retrieve_in must be sized like write_in");
FC_STATIC_ASSERT(sizeof(struct fc_in_header) + sizeof(struct fc_init_in) ==
		 104, "an INIT request is 104 bytes");
FC_STATIC_ASSERT(FC_NAME_OFFSET == 24, "dirent name offset");
FC_STATIC_ASSERT(FC_NAME_OFFSET_DIRENTPLUS == 152, "direntplus name offset");

#undef FC_CHECK_SIZE_

#endif /* FUSECORE_PROTO_H */
