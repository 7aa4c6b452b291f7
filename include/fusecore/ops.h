/*
 * fusecore/ops.h - the inode-operations seam.
 *
 * The calls a VFS makes on a FUSE mount, and the objects they work on.
 * This is the part of libfusecore that decides *what* to send and how to
 * interpret the answer, as Linux's fs/fuse/{inode,dir,file,xattr}.c do.
 * The simulated VFS (fusecore/vfs.h) is one user; a foreign kernel's VFS or
 * an emulator can call it directly.  Nothing here assumes a path, a dentry
 * cache or a file-descriptor table: those belong to the VFS.
 *
 * Objects:
 *  - struct fc_client: the FUSE client over one connection: the node table,
 *    the forget queue and the per-connection policies.
 *  - struct fc_node: one inode, keyed by nodeid, with generation, lookup
 *    count, attributes and their timeout.  Reference counted by the VFS.
 *  - struct fc_open_ctx: one open file description (Linux's struct
 *    fuse_file): fh, flags, FOPEN_* reply flags, credentials at open.
 *
 * Results are 0 (or a byte count) on success and -errno on failure, with
 * Linux's errno values.  Replies are validated before use; a reply that
 * breaks the protocol gives -EIO.
 *
 * Open flags are Linux's (x86-64/generic values, FC_O_* below): they are
 * what travels in OPEN, CREATE, READ, WRITE, FLUSH and RELEASE.
 */
#ifndef FUSECORE_OPS_H
#define FUSECORE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/conn.h"
#include "fusecore/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Linux open flags (the values that travel on the wire) -------------- */

#define FC_O_ACCMODE   00000003
#define FC_O_RDONLY    00000000
#define FC_O_WRONLY    00000001
#define FC_O_RDWR      00000002
#define FC_O_CREAT     00000100
#define FC_O_EXCL      00000200
#define FC_O_NOCTTY    00000400
#define FC_O_TRUNC     00001000
#define FC_O_APPEND    00002000
#define FC_O_NONBLOCK  00004000
#define FC_O_DSYNC     00010000
#define FC_O_DIRECT    00040000
#define FC_O_LARGEFILE 00100000
#define FC_O_DIRECTORY 00200000
#define FC_O_NOFOLLOW  00400000
#define FC_O_NOATIME   01000000
#define FC_O_CLOEXEC   02000000
#define FC_O_SYNC      04010000
#define FC_O_PATH      010000000

/* File types in fc_attr.mode (Linux's S_IF*). */
#define FC_S_IFMT   0170000
#define FC_S_IFSOCK 0140000
#define FC_S_IFLNK  0120000
#define FC_S_IFREG  0100000
#define FC_S_IFBLK  0060000
#define FC_S_IFDIR  0040000
#define FC_S_IFCHR  0020000
#define FC_S_IFIFO  0010000

/* Lock types (Linux's F_RDLCK, F_WRLCK, F_UNLCK) and flock operations. */
#define FC_F_RDLCK 0
#define FC_F_WRLCK 1
#define FC_F_UNLCK 2
#define FC_LOCK_SH 1
#define FC_LOCK_EX 2
#define FC_LOCK_NB 4
#define FC_LOCK_UN 8

/* rename flags (Linux's RENAME_*). */
#define FC_RENAME_NOREPLACE (1u << 0)
#define FC_RENAME_EXCHANGE  (1u << 1)
#define FC_RENAME_WHITEOUT  (1u << 2)

/** The largest offset a lock may name (Linux's OFFSET_MAX). */
#define FC_OFFSET_MAX INT64_MAX

struct fc_client;
struct fc_node;
struct fc_open_ctx;

/**
 * Who makes a call: the header credentials, the umask for creations, the
 * per-process lock owner (Linux's scrambled files_struct id, carried by
 * FLUSH, direct I/O and size-changing SETATTR), and the task that
 * fc_conn_interrupt() names.
 */
struct fc_caller {
	uint32_t uid, gid, pid;
	uint32_t umask;
	uint64_t lock_owner;
	const void *task;
};

/* ---- Client ---------------------------------------------------------------- */

/** Version of struct fc_client_config this header describes. */
#define FC_CLIENT_CONFIG_VERSION 1

/** How to create a client. */
struct fc_client_config {
	/** Must be FC_CLIENT_CONFIG_VERSION. */
	unsigned version;
	/** Mode of the root node until its first GETATTR (Linux's rootmode). */
	uint32_t root_mode;
	/**
	 * Send FORGET for every node still looked up when the client is freed,
	 * so the daemon's lookup counts return to zero.  Linux sends none
	 * during unmount (fuse_evict_inode checks SB_ACTIVE); the default (1)
	 * keeps the counts balanced for daemons that outlive a mount.
	 */
	int forget_on_unmount;
};

/** Fill @cfg with the defaults (root mode directory 0755, forget on unmount). */
void fc_client_config_default(struct fc_client_config *cfg);

/**
 * Create the FUSE client over @conn, whose INIT must have succeeded
 * (fc_conn_init()).  The client does not own the connection.
 * Returns 0 and sets *@out, or -errno.
 */
int fc_client_new(struct fc_conn *conn, const struct fc_client_config *cfg,
		  struct fc_client **out);

/**
 * Unmount: send the queued forgets (and, with forget_on_unmount, a forget
 * for every node still looked up), then free the client and every node.
 * Open contexts must have been released.
 */
void fc_client_free(struct fc_client *cl);

/** The connection of @cl. */
struct fc_conn *fc_client_conn(const struct fc_client *cl);

/** The root node (nodeid 1); the client holds its reference. */
struct fc_node *fc_client_root(const struct fc_client *cl);

/**
 * Send the forgets queued by fc_node_put(), as BATCH_FORGET when the
 * daemon's minor is >= 16 and more than one is queued (dev.c
 * fuse_read_forget), else one FORGET each.  A VFS calls it when a syscall
 * ends; every other operation also sends queued forgets first.
 */
void fc_client_flush_forgets(struct fc_client *cl);

/** Nodes in the table (stale ones that are still referenced excluded). */
unsigned fc_client_nnodes(struct fc_client *cl);

/* ---- Nodes -------------------------------------------------------------------- */

/** Take another reference to @n. */
void fc_node_get(struct fc_client *cl, struct fc_node *n);

/**
 * Drop a reference.  When the last one goes the node is evicted: a FORGET
 * for its whole lookup count is queued (fuse_evict_inode) and the node
 * leaves the table.
 */
void fc_node_put(struct fc_client *cl, struct fc_node *n);

/** The node's nodeid. */
uint64_t fc_node_id(const struct fc_node *n);

/** The generation the daemon gave with the nodeid. */
uint64_t fc_node_generation(const struct fc_node *n);

/** Lookups the daemon counts for this node and that no FORGET returned yet. */
uint64_t fc_node_nlookup(const struct fc_node *n);

/** Non-zero once the nodeid came back with another generation or type. */
int fc_node_is_stale(const struct fc_node *n);

/**
 * The cached attributes (mode, size, times...), whether or not they are
 * still valid.  The FC_ATTR_* flags of the last entry reply (for example
 * FC_ATTR_SUBMOUNT) are in ->flags.
 */
const struct fc_attr *fc_node_attr(const struct fc_node *n);

/**
 * Copy the cached attributes into @out under the client's lock (a reply
 * may update them on another thread); returns their deadline.
 */
uint64_t fc_node_attr_snapshot(struct fc_client *cl, const struct fc_node *n,
			       struct fc_attr *out);

/** Platform-clock time (ns) until which the cached attributes are valid. */
uint64_t fc_node_attr_deadline(const struct fc_node *n);

/** Forget the attribute timeout: the next fc_getattr() asks the daemon. */
void fc_node_invalidate_attr(struct fc_client *cl, struct fc_node *n);

/** A pointer the VFS or page cache may keep on the node (not used by the client). */
void *fc_node_private(const struct fc_node *n);
void fc_node_set_private(struct fc_node *n, void *p);

/**
 * The node with @nodeid if it is in the table, with a new reference, or
 * NULL.  For notifications, which name nodes by nodeid.
 */
struct fc_node *fc_node_find(struct fc_client *cl, uint64_t nodeid);

/* ---- Lookup and directory operations ---------------------------------------- */

/** The result of a call that returns a directory entry. */
struct fc_entry {
	/** The node, with a reference the caller now owns; NULL if negative. */
	struct fc_node *node;
	/** Platform-clock times (ns) until which the name and the attributes are valid. */
	uint64_t entry_deadline;
	uint64_t attr_deadline;
};

/**
 * LOOKUP @name (@namelen bytes) in @dir (dir.c fuse_lookup_name).  A name
 * longer than the negotiated name_max is -ENAMETOOLONG without a request.
 * A daemon's nodeid 0 is a negative entry: -ENOENT with
 * @out->entry_deadline from the reply (a daemon's -ENOENT gives deadline
 * 0).  A known nodeid with another generation or file type makes the old
 * node stale and a fresh node takes the nodeid.  A child claiming nodeid 1
 * is -EIO.  Each successful lookup adds one to the node's lookup count.
 */
int fc_lookup(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen,
	      struct fc_entry *out);

/**
 * MKNOD: create @name with @mode (type and permissions; umasked unless the
 * daemon took FUSE_DONT_MASK, the umask is sent too) and device @rdev.
 */
int fc_mknod(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen,
	     uint32_t mode, uint32_t rdev, struct fc_entry *out);

/** MKDIR @name with permissions @mode. */
int fc_mkdir(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen,
	     uint32_t mode, struct fc_entry *out);

/** SYMLINK @name pointing to @target (NUL-terminated). */
int fc_symlink(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *dir, const char *name, size_t namelen,
	       const char *target, struct fc_entry *out);

/** LINK @node as @newname in @newdir (ENOSYS cached: then -EPERM, fuse_link). */
int fc_link(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_node *node, struct fc_node *newdir, const char *newname,
	    size_t newnamelen, struct fc_entry *out);

/**
 * UNLINK @name in @dir.  The VFS drops its reference to the victim itself
 * and, on success, tells the client with fc_entry_unlinked().
 */
int fc_unlink(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen);

/** RMDIR @name in @dir (then fc_entry_unlinked() on the directory, as for UNLINK). */
int fc_rmdir(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen);

/**
 * @node lost a name: a successful fc_unlink() or fc_rmdir() of it, or a
 * rename over it (fuse_entry_unlinked): its cached link count drops (to 0
 * for a directory), older replies no longer count, and its change time
 * moves (fc_update_ctime()).
 */
void fc_entry_unlinked(struct fc_client *cl, const struct fc_caller *who,
		       struct fc_node *node);

/**
 * @node's change time moved on the daemon's side -- it was renamed (and,
 * with FC_RENAME_EXCHANGE, so was the other one), or unlinked
 * (fuse_update_ctime): its ctime is stale, and in writeback-cache
 * mode a regular file takes the time now and pushes it at once with a
 * SETATTR of MTIME|CTIME (fuse_flush_time_update; an error is kept for
 * the file's next fsync).  fc_link() does this itself.
 */
void fc_update_ctime(struct fc_client *cl, const struct fc_caller *who,
		     struct fc_node *node);

/**
 * RENAME (flags 0) or RENAME2 (@flags FC_RENAME_*; minor >= 23, ENOSYS
 * cached: then -EINVAL, as fuse_rename2).
 */
int fc_rename(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *olddir, const char *oldname, size_t oldlen,
	      struct fc_node *newdir, const char *newname, size_t newlen,
	      unsigned flags);

/**
 * READLINK into @buf (@size bytes, NUL-terminated on success).  Returns
 * the length; a reply of PAGE_SIZE bytes or more is -EIO
 * (fuse_readlink_folio), one longer than @size - 1 is -ENAMETOOLONG.
 */
int fc_readlink(struct fc_client *cl, const struct fc_caller *who,
		struct fc_node *node, char *buf, size_t size);

/* ---- Attributes ---------------------------------------------------------------- */

/* statx() mask bits: what a caller asks of the attributes (fc_update_attr, fc_statx). */
#define FC_STATX_TYPE        0x001u
#define FC_STATX_MODE        0x002u
#define FC_STATX_NLINK       0x004u
#define FC_STATX_UID         0x008u
#define FC_STATX_GID         0x010u
#define FC_STATX_ATIME       0x020u
#define FC_STATX_MTIME       0x040u
#define FC_STATX_CTIME       0x080u
#define FC_STATX_INO         0x100u
#define FC_STATX_SIZE        0x200u
#define FC_STATX_BLOCKS      0x400u
#define FC_STATX_BASIC_STATS 0x7ffu
#define FC_STATX_BTIME       0x800u

/**
 * The node's attributes into @out as fuse_update_attributes() gets them
 * for a caller that needs the fields in @request_mask (FC_STATX_* basic
 * stats): GETATTR is sent only when the attributes timed out, or when a
 * field asked for was left stale by a local change -- a write leaves
 * size, mtime, ctime and blocks stale, a READ, READLINK or READDIR the
 * atime -- and is not one the client keeps itself (in writeback-cache
 * mode size, mtime and ctime of a regular file).  A mask of 0 never asks.
 * With @of, GETATTR carries FUSE_GETATTR_FH and its fh.
 */
int fc_update_attr(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_node *node, struct fc_open_ctx *of,
		   uint32_t request_mask, struct fc_attr *out);

/**
 * Non-zero if fc_update_attr() with @request_mask would ask the daemon
 * now (fuse_update_get_attr's choice), for a caller such as statx() that
 * decides itself how to ask.
 */
int fc_node_attr_stale(struct fc_client *cl, const struct fc_node *n,
		       uint32_t request_mask);


/**
 * The node's attributes into @out.  With @force GETATTR is always sent;
 * without, this is fc_update_attr() with FC_STATX_BASIC_STATS.  With @of,
 * GETATTR carries FUSE_GETATTR_FH and its fh.  A reply that changes the
 * file type is -EIO and makes the node stale: later calls get -ESTALE
 * without a request (Linux's fuse_make_bad, with ESTALE for EIO).
 */
int fc_getattr(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *node, struct fc_open_ctx *of, int force,
	       struct fc_attr *out);

/**
 * SETATTR with the fields @in->valid names (FC_FATTR_*).  With @of the
 * request carries FATTR_FH and its fh; a size change adds FATTR_LOCKOWNER
 * with the caller's lock owner (fuse_do_setattr).  The reply's attributes
 * refresh the cache and go to @out if non-NULL.
 */
int fc_setattr(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *node, struct fc_open_ctx *of,
	       const struct fc_setattr_in *in, struct fc_attr *out);

/**
 * STATX where the daemon has it (7.41): @sx_flags and @sx_mask as
 * statx(2) takes them.  On ENOSYS (cached) it falls back to GETATTR and
 * fills the basic fields (fuse_update_get_attr).
 */
int fc_statx(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *node, struct fc_open_ctx *of, uint32_t sx_flags,
	     uint32_t sx_mask, struct fc_statx *out);

/** STATFS of the file system @node is on. */
int fc_statfs(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *node, struct fc_kstatfs *out);

/** ACCESS check of @mask (R_OK=4, W_OK=2, X_OK=1); ENOSYS cached: then 0. */
int fc_access(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *node, uint32_t mask);

/* ---- Open files -------------------------------------------------------------- */

/**
 * OPEN (or OPENDIR for a directory) @node with the application's @flags
 * (file.c fuse_send_open): O_CREAT, O_EXCL and O_NOCTTY never travel,
 * O_TRUNC only with FUSE_ATOMIC_O_TRUNC (otherwise the truncation follows
 * as SETATTR of size 0 with the lock owner), O_LARGEFILE is always set and
 * O_CLOEXEC never.  ENOSYS sets no-open for the connection: this and every
 * later open succeeds with fh 0 without a request, and no RELEASE is sent.
 * The context pins @node (a reference) for its lifetime.
 */
int fc_open(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_node *node, uint32_t flags, struct fc_open_ctx **out);

/**
 * CREATE @name in @dir and open it (dir.c fuse_create_open): the flags
 * keep O_CREAT and O_EXCL, O_TRUNC only without O_EXCL, never O_NOCTTY;
 * the mode is umasked unless FUSE_DONT_MASK.  On ENOSYS (cached) it falls
 * back to MKNOD + OPEN.  The reply must be a regular file, else -EIO.
 */
int fc_create(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen,
	      uint32_t flags, uint32_t mode, struct fc_entry *entry,
	      struct fc_open_ctx **out);

/**
 * FLUSH, for every close() of a descriptor (file.c fuse_flush), with the
 * caller's lock owner.  Not sent with FOPEN_NOFLUSH or once the daemon
 * said ENOSYS (then 0).  The daemon's error is returned.
 */
int fc_flush(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of);

/**
 * The last reference to the open file description is gone: RELEASE (or
 * RELEASEDIR) is sent in the background with zero credentials, the
 * file's flags, and FUSE_RELEASE_FLOCK_UNLOCK with the flock owner if
 * flock() was used; none on a no-open connection.  @of is freed.
 */
void fc_release(struct fc_client *cl, struct fc_open_ctx *of);

/**
 * FSYNC (or FSYNCDIR for a directory) with FUSE_FSYNC_FDATASYNC if
 * @datasync.  Sent with fh 0 on a no-open file too.  ENOSYS is cached and
 * then reported as success.
 */
int fc_fsync(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, int datasync);

/** I/O flags for fc_read() / fc_write(). */
enum fc_io_flags {
	/**
	 * Direct I/O (O_DIRECT or FOPEN_DIRECT_IO): carries the caller's lock
	 * owner with FUSE_READ_LOCKOWNER / FUSE_WRITE_LOCKOWNER.  Without it
	 * the request is a page-cache one: lock owner 0.
	 */
	FC_IO_DIRECT = 1u << 0,
	/** A writeback WRITE: FUSE_WRITE_CACHE, flags 0 (and see @who). */
	FC_IO_WRITEBACK = 1u << 1,
};

/**
 * READ @size bytes at @off into @buf, split into requests of at most
 * min(max_read, max_pages pages).  A short reply is end of file: the
 * bytes so far are returned.  A reply longer than asked is -EIO.
 */
long fc_read(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, void *buf, size_t size, uint64_t off,
	     unsigned io_flags);

/**
 * WRITE @size bytes at @off, split into requests of at most
 * min(max_write, max_pages pages) (one page without FUSE_BIG_WRITES).
 * The `flags` field is the file's flags (0 for writeback).  A reply
 * claiming more than was sent is -EIO; a short one stops the write and
 * returns the bytes written so far (-EIO if none).
 */
long fc_write(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_open_ctx *of, const void *buf, size_t size,
	      uint64_t off, unsigned io_flags);

/**
 * LSEEK with SEEK_DATA (3) or SEEK_HOLE (4) where the daemon has it.
 * Returns -ENOSYS once the daemon said so (cached): the VFS then applies
 * the generic rule on the size (fuse_lseek).
 */
int64_t fc_lseek(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_open_ctx *of, int64_t off, int whence);

/** FALLOCATE (ENOSYS cached: then -EOPNOTSUPP). */
int fc_fallocate(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_open_ctx *of, uint32_t mode, uint64_t off,
		 uint64_t len);

/**
 * COPY_FILE_RANGE (ENOSYS cached: then -EOPNOTSUPP, the caller falls back
 * to READ + WRITE).  Returns bytes copied.
 */
long fc_copy_file_range(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *in, uint64_t off_in,
			struct fc_open_ctx *out, uint64_t off_out,
			uint64_t len, uint32_t flags);

/** A byte-range lock as the VFS describes it (struct flock with a 64-bit range). */
struct fc_lock {
	uint32_t type;   /**< FC_F_RDLCK, FC_F_WRLCK, FC_F_UNLCK */
	uint64_t start;  /**< first byte */
	uint64_t end;    /**< last byte, FC_OFFSET_MAX for "to EOF" */
	uint32_t pid;    /**< owning process (GETLK result) */
};

/**
 * GETLK: the first lock that would block @lk (owner @owner), or
 * type FC_F_UNLCK.  -ENOLCK-free: when POSIX locks were not negotiated the
 * VFS keeps locks itself and never calls this (fc_conn_info posix_locks).
 * A reply with an invalid range or type is -EIO (convert_fuse_file_lock).
 */
int fc_getlk(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint64_t owner, struct fc_lock *lk);

/** SETLK, or SETLKW if @wait (interruptible through the caller's task). */
int fc_setlk(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint64_t owner, const struct fc_lock *lk,
	     int wait);

/**
 * flock(2) @op (FC_LOCK_SH/EX/UN, | FC_LOCK_NB) as SETLK(W) with
 * FUSE_LK_FLOCK and the open file's own owner id; RELEASE then carries
 * FUSE_RELEASE_FLOCK_UNLOCK.
 */
int fc_flock(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, int op);

/**
 * IOCTL, restricted as for an unprivileged caller: @in_size bytes from
 * @in go to the daemon, at most @out_size come back into @out; a reply
 * asking for a retry (FUSE_IOCTL_RETRY) is -EIO.  Returns the daemon's
 * result value, or -errno.  On a directory only with minor >= 18.
 */
int fc_ioctl(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint32_t cmd, uint64_t arg,
	     const void *in, uint32_t in_size, void *out, uint32_t out_size,
	     uint32_t *out_len);

/**
 * POLL for @events; with @kh non-zero the daemon may later send
 * FUSE_NOTIFY_POLL for it.  ENOSYS cached: then the default mask
 * (readable and writable).  Returns the ready events, or -errno.
 */
int fc_poll(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_open_ctx *of, uint64_t kh, uint32_t events);

/* ---- Directories ------------------------------------------------------------------ */

/** One directory entry, as fc_readdir() hands it over. */
struct fc_dir_entry {
	uint64_t ino;
	uint64_t off;       /**< the cookie for the next read */
	uint32_t type;      /**< DT_* value */
	uint32_t namelen;
	const char *name;   /**< not NUL-terminated */
	/** READDIRPLUS: the looked-up entry (node NULL if the daemon gave none). */
	struct fc_entry entry;
};

/**
 * Called for each entry; return non-zero to stop (the entry is then not
 * consumed and fc_readdir() returns).  With READDIRPLUS the callback owns
 * the reference in @d->entry.node.
 */
typedef int (*fc_dirent_fn)(void *ctx, const struct fc_dir_entry *d);

/**
 * One READDIR (or READDIRPLUS if @plus and the daemon granted
 * FUSE_DO_READDIRPLUS) of up to @size bytes at cookie @off.  Entries are
 * validated (readdir.c parse_dirfile: namelen 0, too long or holding '/'
 * is -EIO) and passed to @fn.  READDIRPLUS entries with nodeid 0 are not
 * linked; '.' and '..' never are.  Returns the number of entries passed,
 * 0 at end of directory, or -errno.
 */
int fc_readdir(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_open_ctx *of, uint64_t off, uint32_t size, int plus,
	       fc_dirent_fn fn, void *ctx);

/* ---- Extended attributes ------------------------------------------------------ */

/** SETXATTR (ENOSYS cached: then -EOPNOTSUPP). */
int fc_setxattr(struct fc_client *cl, const struct fc_caller *who,
		struct fc_node *node, const char *name, const void *value,
		uint32_t size, uint32_t flags);

/**
 * GETXATTR into @value (@size 0 asks for the size).  Returns the length.
 * ENOSYS cached: then -EOPNOTSUPP.
 */
long fc_getxattr(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_node *node, const char *name, void *value,
		 uint32_t size);

/**
 * LISTXATTR into @list (@size 0 asks for the size); the list must be
 * NUL-terminated names (fuse_verify_xattr_list) or it is -EIO.
 */
long fc_listxattr(struct fc_client *cl, const struct fc_caller *who,
		  struct fc_node *node, char *list, uint32_t size);

/** REMOVEXATTR (ENOSYS cached: then -EOPNOTSUPP). */
int fc_removexattr(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_node *node, const char *name);

/* ---- Open contexts ---------------------------------------------------------------- */

/** The daemon's file handle (0 is a valid handle). */
uint64_t fc_open_fh(const struct fc_open_ctx *of);

/** The flags as the OPEN/CREATE request carried them. */
uint32_t fc_open_sent_flags(const struct fc_open_ctx *of);

/**
 * The file's flags as later requests carry them (creation flags and
 * O_TRUNC cleared, O_LARGEFILE set): Linux's f_flags.
 */
uint32_t fc_open_file_flags(const struct fc_open_ctx *of);

/** Change the file's status flags (fcntl F_SETFL: O_APPEND, O_NONBLOCK, O_DIRECT...). */
void fc_open_set_file_flags(struct fc_open_ctx *of, uint32_t flags);

/** The FOPEN_* flags the daemon answered (as honoured: see fc_open()). */
uint32_t fc_open_fopen_flags(const struct fc_open_ctx *of);

/** The node the file was opened on (pinned while it is open). */
struct fc_node *fc_open_node(const struct fc_open_ctx *of);

/** The credentials the file was opened with. */
const struct fc_caller *fc_open_caller(const struct fc_open_ctx *of);

/** The node's generation when it was opened (a writeback on a newer one is refused). */
uint64_t fc_open_generation(const struct fc_open_ctx *of);

/** The owner id this open file uses for flock() (Linux: the struct file). */
uint64_t fc_open_flock_owner(const struct fc_open_ctx *of);

/** A pointer the VFS or page cache may keep on the open context. */
void *fc_open_private(const struct fc_open_ctx *of);
void fc_open_set_private(struct fc_open_ctx *of, void *p);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_OPS_H */
