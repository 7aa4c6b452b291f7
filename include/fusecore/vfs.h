/*
 * fusecore/vfs.h - the simulated kernel: mount namespace, path walk,
 * dentry cache, processes, file descriptors and a syscall-like API.
 *
 * This is the layer above the inode-operations seam (fusecore/ops.h).  It
 * plays the part of Linux's VFS around fs/fuse so that the request stream
 * a FUSE daemon sees for a sequence of system calls can be produced (and
 * tested) in ordinary userspace: path walks send LOOKUP only when the
 * dentry cache has no valid entry, negative entries suppress LOOKUPs until
 * they expire, open files stay pinned to the node resolved at open, close
 * sends FLUSH outside the descriptor-table lock and RELEASE on the last
 * reference, and so on.  docs/vfs.md lists where it knowingly differs from
 * Linux.
 *
 * Objects:
 *  - struct fc_vfs: one simulated kernel with one mount namespace whose
 *    root is a tiny in-memory directory-only file system ("ramfs").  FUSE
 *    clients (struct fc_client) are mounted on its directories or on each
 *    other.
 *  - struct fc_proc: a process: credentials, umask, cwd and a descriptor
 *    table (shared with fc_proc_fork(FC_PROC_SHARE_FILES), like threads).
 *
 * Conventions: every call returns 0 (or a count, a descriptor, an offset)
 * on success and a negative Linux errno on failure, exactly where Linux
 * would fail; bad arguments never crash (NULL pointers give -EFAULT).
 * Open flags are the FC_O_* values of fusecore/ops.h; the other constants
 * below carry Linux's values with an FC_ prefix.  Paths are NUL-terminated
 * strings of at most FC_VFS_PATH_MAX - 1 bytes.
 *
 * Host independence: like the protocol core, this layer allocates, locks
 * and reads the clock only through the platform table, and uses no libc
 * beyond the mem* functions.  Time (entry and attribute timeouts) is the
 * platform's now_ns(), so a test moves a fake clock instead of sleeping.
 *
 * Threads: calls may come from several threads (one per process, or
 * several sharing a descriptor table).  No VFS lock is held while a request
 * is sent, so a daemon (or a test's mock responder) may call back into the
 * VFS, and notifications may arrive at any time.
 */
#ifndef FUSECORE_VFS_H
#define FUSECORE_VFS_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Limits and constants (Linux values) -------------------------------- */

/** Longest path, NUL included (Linux's PATH_MAX). */
#define FC_VFS_PATH_MAX 4096
/** Longest name on ramfs (Linux's NAME_MAX); FUSE mounts use name_max. */
#define FC_VFS_NAME_MAX 255
/** Symlinks followed in one walk before ELOOP (Linux's MAXSYMLINKS). */
#define FC_VFS_MAXSYMLINKS 40
/** Supplementary groups a credential may carry. */
#define FC_VFS_NGROUPS_MAX 32
/** Descriptors per table (RLIMIT_NOFILE). */
#define FC_VFS_NOFILE 1024

/* *at() conventions. */
#define FC_AT_FDCWD            (-100)
#define FC_AT_SYMLINK_NOFOLLOW 0x100
#define FC_AT_EACCESS          0x200
#define FC_AT_REMOVEDIR        0x200
#define FC_AT_SYMLINK_FOLLOW   0x400
#define FC_AT_NO_AUTOMOUNT     0x800
#define FC_AT_EMPTY_PATH       0x1000
#define FC_AT_STATX_FORCE_SYNC 0x2000
#define FC_AT_STATX_DONT_SYNC  0x4000

/* lseek whence. */
#define FC_SEEK_SET  0
#define FC_SEEK_CUR  1
#define FC_SEEK_END  2
#define FC_SEEK_DATA 3
#define FC_SEEK_HOLE 4

/* fcntl commands and descriptor flags. */
#define FC_F_DUPFD         0
#define FC_F_GETFD         1
#define FC_F_SETFD         2
#define FC_F_GETFL         3
#define FC_F_SETFL         4
#define FC_F_GETLK         5
#define FC_F_SETLK         6
#define FC_F_SETLKW        7
#define FC_F_DUPFD_CLOEXEC 1030
#define FC_FD_CLOEXEC      1

/* access() modes. */
#define FC_F_OK 0
#define FC_X_OK 1
#define FC_W_OK 2
#define FC_R_OK 4

/* umount2() flags. */
#define FC_MNT_FORCE       1
#define FC_MNT_DETACH      2
#define FC_MNT_EXPIRE      4
#define FC_UMOUNT_NOFOLLOW 8

/* utimensat() special nanosecond values. */
#define FC_UTIME_NOW  ((1l << 30) - 1l)
#define FC_UTIME_OMIT ((1l << 30) - 2l)

/* setxattr() flags and the size limits of the xattr calls. */
#define FC_XATTR_CREATE   1
#define FC_XATTR_REPLACE  2
#define FC_XATTR_NAME_MAX 255
#define FC_XATTR_SIZE_MAX 65536
#define FC_XATTR_LIST_MAX 65536

/* fallocate() modes understood by FUSE. */
#define FC_FALLOC_FL_KEEP_SIZE  0x01
#define FC_FALLOC_FL_PUNCH_HOLE 0x02
#define FC_FALLOC_FL_ZERO_RANGE 0x10

/* d_type values of getdents64. */
#define FC_DT_UNKNOWN 0
#define FC_DT_FIFO    1
#define FC_DT_CHR     2
#define FC_DT_DIR     4
#define FC_DT_BLK     6
#define FC_DT_REG     8
#define FC_DT_LNK     10
#define FC_DT_SOCK    12

/* statfs f_type values. */
#define FC_FUSE_SUPER_MAGIC  0x65735546u
#define FC_RAMFS_MAGIC       0x858458f6u

/* statfs f_flags (ST_*). */
#define FC_ST_RDONLY 1u

/* ---- Value types ------------------------------------------------------------ */

/** A process's credentials. */
struct fc_vfs_cred {
	uint32_t uid, gid;
	uint32_t ngroups;                     /**< entries used in @groups */
	uint32_t groups[FC_VFS_NGROUPS_MAX];  /**< supplementary groups */
};

/** A timestamp (struct timespec). */
struct fc_vfs_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/** stat() result (the fields of struct stat). */
struct fc_vfs_stat {
	uint64_t dev;      /**< (major << 8) | minor of the mount's superblock */
	uint64_t ino;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t rdev;
	int64_t size;
	int64_t blksize;
	int64_t blocks;    /**< 512-byte units */
	struct fc_vfs_timespec atime, mtime, ctime;
};

/** statfs() result (the fields of struct statfs). */
struct fc_vfs_statfs {
	uint64_t type;     /**< FC_FUSE_SUPER_MAGIC or FC_RAMFS_MAGIC */
	uint64_t bsize;
	uint64_t blocks, bfree, bavail;
	uint64_t files, ffree;
	uint64_t fsid;     /**< the superblock's device number */
	uint64_t namelen;
	uint64_t frsize;
	uint64_t flags;    /**< FC_ST_* */
};

/** A record lock as fcntl(F_GETLK/F_SETLK/F_SETLKW) takes it (struct flock). */
struct fc_vfs_flock {
	int16_t l_type;    /**< FC_F_RDLCK, FC_F_WRLCK, FC_F_UNLCK */
	int16_t l_whence;  /**< FC_SEEK_SET, FC_SEEK_CUR, FC_SEEK_END */
	int64_t l_start;
	int64_t l_len;     /**< 0: to the end of file; negative: before l_start */
	int32_t l_pid;     /**< F_GETLK: the holder's pid */
};

/** One piece of a readv()/writev() buffer. */
struct fc_vfs_iovec {
	void *base;
	size_t len;
};

/*
 * getdents64() writes Linux's struct linux_dirent64 records:
 *   uint64_t d_ino; int64_t d_off; uint16_t d_reclen; uint8_t d_type;
 *   char d_name[] (NUL-terminated), each record 8-byte aligned.
 * FC_VFS_DIRENT64_NAME_OFFSET is the offset of d_name (19).
 */
#define FC_VFS_DIRENT64_NAME_OFFSET 19

/* ---- The simulated kernel --------------------------------------------------- */

struct fc_vfs;
struct fc_proc;

/**
 * Create a simulated kernel that allocates, locks and reads time through
 * @plat.  Its namespace holds one mount: a ramfs root ("/"), mount id 1.
 * Returns 0 and sets *@out, or -errno.
 */
int fc_vfs_new(const struct fc_platform *plat, struct fc_vfs **out);

/**
 * Tear the kernel down: every process still alive exits (its descriptors
 * are closed, which may send FLUSH and RELEASE), every mount is detached
 * and released (release callbacks of FUSE mounts run), then everything is
 * freed.  NULL is accepted.
 */
void fc_vfs_free(struct fc_vfs *vfs);

/** The platform @vfs was made with. */
const struct fc_platform *fc_vfs_platform(const struct fc_vfs *vfs);

/**
 * Drop every unused cached dentry (Linux's "echo 2 > drop_caches"): the
 * nodes they held are put, so their FORGETs go out (they are sent before
 * this call returns).  Dentries in use, mount points and mount roots stay.
 */
void fc_vfs_drop_caches(struct fc_vfs *vfs);

/* ---- Processes ----------------------------------------------------------------- */

/**
 * Create a process with pid @pid and credentials @cred (NULL: root, uid 0
 * gid 0 no groups), umask 022, cwd and root at the namespace root, an
 * empty descriptor table of its own (so a lock-owner id of its own).
 * Returns 0 and sets *@out, or -errno.
 */
int fc_proc_new(struct fc_vfs *vfs, uint32_t pid,
		const struct fc_vfs_cred *cred, struct fc_proc **out);

/** fc_proc_fork() flag: share the descriptor table (CLONE_FILES, a thread). */
#define FC_PROC_SHARE_FILES 1u

/**
 * fork(): a new process @pid with @parent's credentials, umask and cwd and
 * a copy of its descriptor table whose descriptors refer to the same open
 * file descriptions (offsets and flags shared; FD_CLOEXEC copied).  The
 * copy is a new table, so the child has its own lock-owner id and holds
 * none of the parent's POSIX locks.  With FC_PROC_SHARE_FILES the table
 * itself is shared (a thread: same lock owner).  Returns 0 or -errno.
 */
int fc_proc_fork(struct fc_proc *parent, uint32_t pid, unsigned flags,
		 struct fc_proc **out);

/**
 * execve() as far as descriptors go: the table is unshared if shared, and
 * every descriptor marked close-on-exec is closed (each close is a full
 * close(): FLUSH, lock release, RELEASE on the last reference).
 * Returns 0 or -errno.
 */
int fc_proc_exec(struct fc_proc *p);

/**
 * exit(): close_files() -- every descriptor is flushed in order (FLUSH),
 * then the files whose last reference went are released, last first
 * (the deferred fputs of exit_task_work: RELEASE in reverse order) --
 * drop the cwd, free @p.
 * NULL is accepted.
 */
void fc_proc_exit(struct fc_proc *p);

/** Replace the credentials of @p (setresuid/setgroups). -EFAULT if @cred is NULL. */
int fc_proc_set_cred(struct fc_proc *p, const struct fc_vfs_cred *cred);

/** The credentials of @p. */
const struct fc_vfs_cred *fc_proc_cred(const struct fc_proc *p);

/** The pid of @p. */
uint32_t fc_proc_pid(const struct fc_proc *p);

/** umask(): set the file-creation mask (& 0777), return the old one. */
uint32_t fc_proc_umask(struct fc_proc *p, uint32_t mask);

/**
 * The lock-owner id of @p's descriptor table (Linux's fuse_lock_owner_id
 * of current->files): a scrambled per-table value, constant for the
 * table's life, carried by FLUSH, direct I/O, size-changing SETATTR and
 * POSIX lock requests.
 */
uint64_t fc_proc_lock_owner(const struct fc_proc *p);

/**
 * Fill @out with what a request made by @p carries: uid, gid, pid,
 * umask, lock owner, and @p as the task (for fc_conn_interrupt()).
 */
void fc_proc_caller(const struct fc_proc *p, struct fc_caller *out);

/**
 * A signal arrives for @p: its requests waiting on any mounted FUSE
 * connection are interrupted (fc_conn_interrupt(), @fatal as there), and
 * a blocking local lock wait (F_SETLKW, flock) returns -EINTR.
 */
void fc_proc_interrupt(struct fc_proc *p, int fatal);

/* ---- Mounts ---------------------------------------------------------------------- */

/** Version of struct fc_vfs_mount_opts this header describes. */
#define FC_VFS_MOUNT_OPTS_VERSION 1

/** How to mount a FUSE client. */
struct fc_vfs_mount_opts {
	/** Must be FC_VFS_MOUNT_OPTS_VERSION. */
	unsigned version;
	/**
	 * The kernel checks permissions from cached attributes (MAY_EXEC on
	 * each directory walked, ...) instead of asking ACCESS.  Also on when
	 * the connection says so (fc_conn_info()->default_permissions).
	 */
	int default_permissions;
	/** Mount read-only (MS_RDONLY): modifications fail -EROFS without a request. */
	int read_only;
	/** Mount source shown in the listing (NULL: "fuse"); at most 63 bytes used. */
	const char *source;
	/** Sub-type: the listing's file-system type becomes "fuse.<subtype>"; at most 31 bytes used. */
	const char *subtype;
	/**
	 * Called once the last mount, submount, open file and dentry of the
	 * client are gone (after umount, or after the last user of a lazily
	 * detached mount): the VFS no longer uses @cl, the forgets queued so
	 * far have been sent, the notification handler is cleared, and the
	 * caller may free the client and its connection.  A RELEASE still in
	 * flight queues its node's FORGET when answered; fc_client_free()
	 * sends it.  Called without VFS locks held.  Optional.
	 */
	void (*release)(void *ctx, struct fc_client *cl);
	void *release_ctx;
};

/** Fill @o with the defaults (no default_permissions, read-write, source "fuse"). */
void fc_vfs_mount_opts_default(struct fc_vfs_mount_opts *o);

/**
 * mount(2) of FUSE client @cl (its connection initialised) on the
 * directory @path, resolved by @p (following symlinks and covering
 * mounts: the new mount covers whatever is visible there).  The VFS
 * registers itself as the connection's notification handler
 * (fc_conn_set_notify()).  A client can be mounted once (-EBUSY after).
 * Needs uid 0 (-EPERM).  Returns the new mount id, or -errno.
 */
int fc_vfs_mount_fuse(struct fc_vfs *vfs, struct fc_proc *p, const char *path,
		      struct fc_client *cl, const struct fc_vfs_mount_opts *opts);

/**
 * mount -t ramfs @source @path: a fresh, empty ramfs instance.
 * Returns the new mount id, or -errno.
 */
int fc_vfs_mount_ramfs(struct fc_vfs *vfs, struct fc_proc *p, const char *path,
		       const char *source);

/**
 * mount --bind @src @dst (--rbind with @recursive: the mounts below @src
 * are cloned too).  @src may be any directory; the new mount's root is
 * it.  Returns the new mount id, or -errno.
 */
int fc_vfs_mount_bind(struct fc_vfs *vfs, struct fc_proc *p, const char *src,
		      const char *dst, int recursive);

/**
 * mount --move @src @dst: @src must be a mount root (-EINVAL), and @dst
 * must not be below it (-ELOOP).  The mount keeps its id and its position
 * in the listing.  Returns 0 or -errno.
 */
int fc_vfs_mount_move(struct fc_vfs *vfs, struct fc_proc *p, const char *src,
		      const char *dst);

/**
 * umount2(@path, @flags): @path must be a mount root (-EINVAL).  A mount
 * in use (open files, cwds, mounts below it other than idle submounts) is
 * -EBUSY unless FC_MNT_DETACH, which detaches it and everything below it
 * at once and frees each when its last user goes.  FC_MNT_FORCE on a FUSE
 * mount first aborts the connection (fuse_umount_begin).  Idle automounted
 * submounts go with their parent.  Needs uid 0.  Returns 0 or -errno.
 */
int fc_sys_umount2(struct fc_proc *p, const char *path, int flags);

/** A mount as the listing describes it. */
struct fc_vfs_mount_entry {
	int id;                        /**< mount id */
	int parent_id;                 /**< parent's id (the root: its own) */
	uint32_t dev_major, dev_minor; /**< the superblock's device number */
	char fstype[40];               /**< "ramfs", "fuse" or "fuse.<subtype>" */
	char source[64];
	char root[FC_VFS_PATH_MAX];    /**< the mount's root within its file system */
	char path[FC_VFS_PATH_MAX];    /**< where it is mounted, from the namespace */
	int submount;                  /**< automounted FUSE submount */
	int read_only;
	int default_permissions;
};

/**
 * The @index-th attached mount of the namespace, in mount order (as
 * /proc/self/mountinfo lists them).  Paths come from the mount tree, never
 * from a file system.  Returns 0, or -ENOENT past the last, -EFAULT if
 * @out is NULL.
 */
int fc_vfs_mount_get(struct fc_vfs *vfs, unsigned index,
		     struct fc_vfs_mount_entry *out);

/** Number of attached mounts. */
unsigned fc_vfs_mount_count(struct fc_vfs *vfs);

/**
 * /proc/self/mountinfo as text, one line per mount:
 *   id parent major:minor root path rw|ro,relatime [submount] - fstype source superopts
 * (an automounted submount carries the optional field "submount").
 * Writes at most @size bytes, NUL-terminated if @size > 0, and returns the
 * length of the whole text (like snprintf), or -errno.
 */
long fc_vfs_mountinfo(struct fc_vfs *vfs, char *buf, size_t size);

/* ---- Files: open, close, I/O ----------------------------------------------------- */

/**
 * open(2)/openat(2): resolve @path relative to @dirfd (FC_AT_FDCWD: the
 * cwd).  O_CREAT on a missing or negative entry sends CREATE (LOOKUP first
 * if nothing valid is cached); O_EXCL on an existing name is -EEXIST
 * without CREATE; an existing file is opened with OPEN (OPENDIR for a
 * directory).  O_PATH opens without a request.  Returns the lowest free
 * descriptor, or -errno.
 */
int fc_sys_openat(struct fc_proc *p, int dirfd, const char *path, int flags,
		  uint32_t mode);
/** open(2): fc_sys_openat(p, FC_AT_FDCWD, ...). */
int fc_sys_open(struct fc_proc *p, const char *path, int flags, uint32_t mode);
/** creat(2): open(O_CREAT|O_WRONLY|O_TRUNC). */
int fc_sys_creat(struct fc_proc *p, const char *path, uint32_t mode);

/**
 * close(2): the descriptor leaves the table under the table's lock; then,
 * with no lock held, FLUSH is sent and this process's POSIX locks on the
 * file are released; RELEASE follows when the last reference to the open
 * file description goes.  The FLUSH error is returned (the descriptor is
 * closed anyway).
 */
int fc_sys_close(struct fc_proc *p, int fd);

/** read(2) at the file offset, which advances. */
long fc_sys_read(struct fc_proc *p, int fd, void *buf, size_t count);
/** write(2) at the file offset (the end of file with O_APPEND). */
long fc_sys_write(struct fc_proc *p, int fd, const void *buf, size_t count);
/** pread(2): -EINVAL for a negative offset, -ESPIPE on a non-seekable file. */
long fc_sys_pread(struct fc_proc *p, int fd, void *buf, size_t count,
		  int64_t off);
/** pwrite(2) (appends with O_APPEND, as Linux does). */
long fc_sys_pwrite(struct fc_proc *p, int fd, const void *buf, size_t count,
		   int64_t off);
/** readv(2): -EINVAL for a negative count or more than 1024 pieces. */
long fc_sys_readv(struct fc_proc *p, int fd, const struct fc_vfs_iovec *iov,
		  int iovcnt);
/** writev(2). */
long fc_sys_writev(struct fc_proc *p, int fd, const struct fc_vfs_iovec *iov,
		   int iovcnt);

/**
 * lseek(2).  SEEK_END refreshes the size if its attributes expired;
 * SEEK_DATA/SEEK_HOLE ask the daemon (LSEEK) when it has it, else apply
 * the generic rule on the size.  Returns the new offset or -errno.
 */
int64_t fc_sys_lseek(struct fc_proc *p, int fd, int64_t off, int whence);

/** dup(2). */
int fc_sys_dup(struct fc_proc *p, int fd);
/** dup2(2): closing a previous @newfd is a full close (FLUSH, ...). */
int fc_sys_dup2(struct fc_proc *p, int oldfd, int newfd);
/** dup3(2): @flags 0 or O_CLOEXEC; @oldfd == @newfd is -EINVAL. */
int fc_sys_dup3(struct fc_proc *p, int oldfd, int newfd, int flags);

/**
 * fcntl(2) with an integer argument: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
 * F_SETFD, F_GETFL, F_SETFL (O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME;
 * later requests carry the new flags).  Unknown commands: -EINVAL.
 */
int fc_sys_fcntl(struct fc_proc *p, int fd, int cmd, long arg);

/**
 * fcntl(2) record locks: F_GETLK, F_SETLK, F_SETLKW.  With POSIX locks
 * negotiated (fc_conn_info()->posix_locks) they go to the daemon as
 * GETLK/SETLK/SETLKW with the process's lock owner; otherwise the VFS
 * keeps them itself (ramfs too).  Returns 0 or -errno (-EAGAIN for a
 * conflict, -EDEADLK for a wait that would deadlock, -EINTR).
 */
int fc_sys_fcntl_lock(struct fc_proc *p, int fd, int cmd,
		      struct fc_vfs_flock *fl);

/** flock(2): FC_LOCK_SH/EX/UN (| FC_LOCK_NB); -EWOULDBLOCK(-EAGAIN) on conflict. */
int fc_sys_flock(struct fc_proc *p, int fd, int op);

/** fsync(2). */
int fc_sys_fsync(struct fc_proc *p, int fd);
/** fdatasync(2). */
int fc_sys_fdatasync(struct fc_proc *p, int fd);

/** fallocate(2) (@mode: FC_FALLOC_FL_*). */
int fc_sys_fallocate(struct fc_proc *p, int fd, int mode, int64_t off,
		     int64_t len);

/**
 * copy_file_range(2): @off_in/@off_out NULL use and advance the file
 * offsets.  COPY_FILE_RANGE when both files are on one FUSE connection and
 * the daemon has it, else READ + WRITE through the VFS.  Returns bytes
 * copied or -errno.
 */
long fc_sys_copy_file_range(struct fc_proc *p, int fd_in, int64_t *off_in,
			    int fd_out, int64_t *off_out, size_t len,
			    unsigned flags);

/**
 * getdents64(2) into @buf (see FC_VFS_DIRENT64_NAME_OFFSET).  On FUSE one
 * READDIR (READDIRPLUS when granted; with READDIRPLUS_AUTO only for the
 * first batch) per call, sized min(max(@count, 4096), max_pages pages).
 * Returns bytes written, 0 at the end, -EINVAL if not even one record fits.
 */
long fc_sys_getdents64(struct fc_proc *p, int fd, void *buf, size_t count);

/* ---- Paths: metadata -------------------------------------------------------------- */

/** stat(2): attributes from the cache, GETATTR once they expired. */
int fc_sys_stat(struct fc_proc *p, const char *path, struct fc_vfs_stat *st);
/** lstat(2). */
int fc_sys_lstat(struct fc_proc *p, const char *path, struct fc_vfs_stat *st);
/** fstat(2) (GETATTR without a file handle, as Linux). */
int fc_sys_fstat(struct fc_proc *p, int fd, struct fc_vfs_stat *st);
/** fstatat(2): @flags FC_AT_SYMLINK_NOFOLLOW | FC_AT_EMPTY_PATH | FC_AT_NO_AUTOMOUNT. */
int fc_sys_fstatat(struct fc_proc *p, int dirfd, const char *path,
		   struct fc_vfs_stat *st, int flags);
/**
 * statx(2): STATX (with the btime) only when FC_STATX_BTIME is asked for
 * and the daemon has it; FC_AT_STATX_FORCE_SYNC / DONT_SYNC as Linux.
 * dev_major/dev_minor come from the mount.
 */
int fc_sys_statx(struct fc_proc *p, int dirfd, const char *path, int flags,
		 uint32_t mask, struct fc_statx *out);

/** access(2). */
int fc_sys_access(struct fc_proc *p, const char *path, int mode);
/** faccessat2(2): @flags FC_AT_EACCESS | FC_AT_SYMLINK_NOFOLLOW | FC_AT_EMPTY_PATH. */
int fc_sys_faccessat(struct fc_proc *p, int dirfd, const char *path, int mode,
		     int flags);

/** chmod(2): SETATTR FATTR_MODE (the file type bits included, as Linux). */
int fc_sys_chmod(struct fc_proc *p, const char *path, uint32_t mode);
/** fchmod(2). */
int fc_sys_fchmod(struct fc_proc *p, int fd, uint32_t mode);
/** fchmodat(2). */
int fc_sys_fchmodat(struct fc_proc *p, int dirfd, const char *path,
		    uint32_t mode, int flags);
/** chown(2): (uint32_t)-1 leaves an id alone. */
int fc_sys_chown(struct fc_proc *p, const char *path, uint32_t uid,
		 uint32_t gid);
/** lchown(2). */
int fc_sys_lchown(struct fc_proc *p, const char *path, uint32_t uid,
		  uint32_t gid);
/** fchown(2). */
int fc_sys_fchown(struct fc_proc *p, int fd, uint32_t uid, uint32_t gid);
/** fchownat(2). */
int fc_sys_fchownat(struct fc_proc *p, int dirfd, const char *path,
		    uint32_t uid, uint32_t gid, int flags);
/**
 * utimensat(2): @ts NULL sets both times to now (FATTR_ATIME_NOW |
 * FATTR_MTIME_NOW); FC_UTIME_NOW / FC_UTIME_OMIT per field.  Times are
 * rounded to the connection's time_gran.  @path NULL with @dirfd a
 * descriptor is futimens().
 */
int fc_sys_utimensat(struct fc_proc *p, int dirfd, const char *path,
		     const struct fc_vfs_timespec ts[2], int flags);
/** futimens(2). */
int fc_sys_futimens(struct fc_proc *p, int fd,
		    const struct fc_vfs_timespec ts[2]);

/** truncate(2): SETATTR FATTR_SIZE | FATTR_LOCKOWNER, no file handle. */
int fc_sys_truncate(struct fc_proc *p, const char *path, int64_t length);
/** ftruncate(2): adds FATTR_FH; the file must be open for writing (-EINVAL). */
int fc_sys_ftruncate(struct fc_proc *p, int fd, int64_t length);

/** statfs(2) (STATFS on the node the path resolves to). */
int fc_sys_statfs(struct fc_proc *p, const char *path, struct fc_vfs_statfs *out);
/** fstatfs(2). */
int fc_sys_fstatfs(struct fc_proc *p, int fd, struct fc_vfs_statfs *out);

/* ---- Paths: namespace operations --------------------------------------------------- */

/** mkdir(2): the parent's cached entry for the name is revalidated (LOOKUP_EXCL). */
int fc_sys_mkdir(struct fc_proc *p, const char *path, uint32_t mode);
/** mkdirat(2). */
int fc_sys_mkdirat(struct fc_proc *p, int dirfd, const char *path,
		   uint32_t mode);
/** mknodat(2): regular files, FIFOs, sockets; devices need uid 0. */
int fc_sys_mknodat(struct fc_proc *p, int dirfd, const char *path,
		   uint32_t mode, uint32_t dev);
/** rmdir(2). */
int fc_sys_rmdir(struct fc_proc *p, const char *path);
/** unlink(2): UNLINK, then the node's FORGET once nothing else holds it. */
int fc_sys_unlink(struct fc_proc *p, const char *path);
/** unlinkat(2): @flags 0 or FC_AT_REMOVEDIR. */
int fc_sys_unlinkat(struct fc_proc *p, int dirfd, const char *path, int flags);
/** rename(2): the target's entry is revalidated (LOOKUP) first. */
int fc_sys_rename(struct fc_proc *p, const char *oldpath, const char *newpath);
/** renameat2(2): @flags FC_RENAME_NOREPLACE / EXCHANGE / WHITEOUT. */
int fc_sys_renameat2(struct fc_proc *p, int olddirfd, const char *oldpath,
		     int newdirfd, const char *newpath, unsigned flags);
/** link(2). */
int fc_sys_link(struct fc_proc *p, const char *oldpath, const char *newpath);
/** linkat(2): @flags FC_AT_SYMLINK_FOLLOW | FC_AT_EMPTY_PATH. */
int fc_sys_linkat(struct fc_proc *p, int olddirfd, const char *oldpath,
		  int newdirfd, const char *newpath, int flags);
/** symlink(2). */
int fc_sys_symlink(struct fc_proc *p, const char *target, const char *linkpath);
/** symlinkat(2). */
int fc_sys_symlinkat(struct fc_proc *p, const char *target, int newdirfd,
		     const char *linkpath);
/** readlink(2): READLINK; at most @size bytes, not NUL-terminated. */
long fc_sys_readlink(struct fc_proc *p, const char *path, char *buf,
		     size_t size);
/** readlinkat(2). */
long fc_sys_readlinkat(struct fc_proc *p, int dirfd, const char *path,
		       char *buf, size_t size);

/** chdir(2) (without default_permissions: ACCESS X_OK, as Linux). */
int fc_sys_chdir(struct fc_proc *p, const char *path);
/** fchdir(2). */
int fc_sys_fchdir(struct fc_proc *p, int fd);
/**
 * getcwd(2): the cwd's path in the namespace, NUL-terminated.  Returns the
 * length including the NUL, -ERANGE if @size is too small, -ENOENT if the
 * cwd was removed or its mount detached.
 */
long fc_sys_getcwd(struct fc_proc *p, char *buf, size_t size);

/* ---- Extended attributes ----------------------------------------------------------- */

/** setxattr(2). */
int fc_sys_setxattr(struct fc_proc *p, const char *path, const char *name,
		    const void *value, size_t size, int flags);
/** lsetxattr(2). */
int fc_sys_lsetxattr(struct fc_proc *p, const char *path, const char *name,
		     const void *value, size_t size, int flags);
/** fsetxattr(2). */
int fc_sys_fsetxattr(struct fc_proc *p, int fd, const char *name,
		     const void *value, size_t size, int flags);
/** getxattr(2): @size 0 asks for the length. */
long fc_sys_getxattr(struct fc_proc *p, const char *path, const char *name,
		     void *value, size_t size);
/** lgetxattr(2). */
long fc_sys_lgetxattr(struct fc_proc *p, const char *path, const char *name,
		      void *value, size_t size);
/** fgetxattr(2). */
long fc_sys_fgetxattr(struct fc_proc *p, int fd, const char *name, void *value,
		      size_t size);
/** listxattr(2): @size 0 asks for the length. */
long fc_sys_listxattr(struct fc_proc *p, const char *path, char *list,
		      size_t size);
/** llistxattr(2). */
long fc_sys_llistxattr(struct fc_proc *p, const char *path, char *list,
		       size_t size);
/** flistxattr(2). */
long fc_sys_flistxattr(struct fc_proc *p, int fd, char *list, size_t size);
/** removexattr(2). */
int fc_sys_removexattr(struct fc_proc *p, const char *path, const char *name);
/** lremovexattr(2). */
int fc_sys_lremovexattr(struct fc_proc *p, const char *path, const char *name);
/** fremovexattr(2). */
int fc_sys_fremovexattr(struct fc_proc *p, int fd, const char *name);

/* ---- Memory mappings (src/vfs_sim/mmap.c, over fusecore/pagecache.h) -------- */

/*
 * mmap of a FUSE regular file goes through the page cache attached to its
 * client (fc_cache_attach()); without one it is -ENODEV.  The simulated
 * CPU has no MMU: loads and stores are the calls fc_vfs_map_load() and
 * fc_vfs_map_store(), each access faulting through the page cache as
 * Linux's page tables make it (fusecore/pagecache.h, docs/pagecache.md).
 * Protections and flags are FC_PROT_* / FC_MAP_* / FC_MS_* of
 * fusecore/pagecache.h.  A mapping holds a reference on its open file
 * (as vma->vm_file): closing the descriptor sends FLUSH but RELEASE waits
 * for munmap.  Mappings are not inherited by fork nor dropped by exit:
 * the caller unmaps them.
 */
struct fc_vfs_map;

/**
 * mmap(2) of @len bytes of @fd from @off (page aligned).  -EBADF (no such
 * descriptor, O_PATH), -EACCES (not open for reading; a shared writable
 * mapping of a file not open for writing), -ENODEV (not a FUSE regular
 * file, no page cache, FOPEN_DIRECT_IO without DIRECT_IO_ALLOW_MMAP for a
 * shared mapping), -EINVAL.  Nothing is sent.  Sets *@out.
 */
int fc_sys_mmap(struct fc_proc *p, int fd, int64_t off, size_t len, int prot,
		int flags, struct fc_vfs_map **out);

/**
 * munmap(2): the node's dirty pages are written back and waited for
 * (fuse_vma_close -> write_inode_now: writeback WRITEs, no FSYNC; a
 * failure is left for fsync and close to report, munmap succeeds), then
 * RELEASE if this was the file's last use.
 */
int fc_sys_munmap(struct fc_proc *p, struct fc_vfs_map *map);

/**
 * msync(2) of [@off, @off + @len) of the mapping: FC_MS_SYNC writes the
 * range's dirty pages back (WRITE with FUSE_WRITE_CACHE) and sends FSYNC
 * with FUSE_FSYNC_FDATASYNC; FC_MS_ASYNC sends nothing.
 */
int fc_sys_msync(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		 size_t len, int flags);

/** Load @len bytes at @off of the mapping (a fault may READ); -EFAULT is SIGBUS/SIGSEGV. */
long fc_vfs_map_load(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		     void *buf, size_t len);

/** Store @len bytes at @off of the mapping (dirties a shared mapping's pages). */
long fc_vfs_map_store(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		      const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_VFS_H */
