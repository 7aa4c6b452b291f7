/*
 * Internal view of the simulated VFS (fusecore/vfs.h), shared by the files
 * of src/vfs_sim/.  The VFS uses only the public seams: fusecore/ops.h for
 * the FUSE client, fusecore/conn.h for negotiated state, notifications and
 * interrupts, fusecore/platform.h for memory, locks and time.
 *
 * Locking.  One VFS mutex (vfs->lock) guards the namespace, the dentry
 * cache, superblocks, file reference counts and offsets, the process list
 * and the local lock table.  Each descriptor table has its own mutex.
 * Neither is ever held while a FUSE request is made (the client may block,
 * and in a thread-free host the daemon, and with it notifications and
 * re-entrant calls, runs inside the request).  Objects used across such a
 * call are pinned by references taken under the lock.
 */
#ifndef FUSECORE_VFS_I_H
#define FUSECORE_VFS_I_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fusecore/vfs.h"

/* Permission masks (Linux's MAY_*). */
#define MAY_EXEC   0x01u
#define MAY_WRITE  0x02u
#define MAY_READ   0x04u
#define MAY_APPEND 0x08u
#define MAY_ACCESS 0x10u
#define MAY_OPEN   0x20u
#define MAY_CHDIR  0x40u

/* Open-file modes (Linux's FMODE_*). */
#define FMODE_READ  0x1u
#define FMODE_WRITE 0x2u
#define FMODE_PATH  0x4u

/* Kill-privilege bits (Linux's ATTR_KILL_*). */
#define VFS_KILL_SUID 0x1u
#define VFS_KILL_SGID 0x2u
#define VFS_KILL_PRIV 0x4u

#define VFS_S_ISUID 04000u
#define VFS_S_ISGID 02000u
#define VFS_S_ISVTX 01000u
#define VFS_S_IXGRP 00010u

#define VFS_PAGE_SIZE 4096u
/* Linux's MAX_RW_COUNT: INT_MAX rounded down to a page. */
#define VFS_MAX_RW_COUNT 0x7ffff000u
#define VFS_IOV_MAX 1024

#define VFS_ALIAS_BUCKETS 256u

enum vfs_sb_kind { VFS_SB_RAMFS = 0, VFS_SB_FUSE = 1 };

struct vfs_dentry;
struct vfs_mount;

/* One mounted FUSE client (a connection): shared by its mount and submounts. */
struct vfs_fuse {
	struct fc_vfs *vfs;
	struct fc_client *cl;
	struct fc_conn *conn;
	int default_permissions;
	unsigned nsb;            /* live superblocks on this client */
	unsigned pins;           /* syscalls using it without the lock */
	uint64_t epoch;          /* FUSE_NOTIFY_INC_EPOCH */
	uint32_t owner_uid, owner_gid;
	void (*release)(void *ctx, struct fc_client *cl);
	void *release_ctx;
	int dead;                /* no superblock left: release pending */
	struct vfs_fuse *next;
};

/* A superblock: one ramfs instance, one FUSE mount, or one FUSE submount. */
struct vfs_sb {
	struct fc_vfs *vfs;
	enum vfs_sb_kind kind;
	uint32_t dev_minor;
	unsigned refs;           /* mounts of it */
	struct vfs_dentry *root;
	struct vfs_fuse *fuse;   /* FUSE only */
	int submount;
	char source[64];
	char fstype[40];
	uint64_t next_ino;       /* ramfs inode numbers */
	struct vfs_sb *next;
};

/* A ramfs directory's inode (ramfs dentries are their own directories). */
struct vfs_rinode {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	struct fc_vfs_timespec atime, mtime, ctime;
};

/*
 * A dentry.  FUSE dentries hold a node reference (NULL: a negative entry)
 * and the entry deadline from the reply; ramfs dentries hold the inode.
 * A hashed dentry is in its parent's child list; it is kept with no users
 * (the cache) until it is dropped.  A child holds a reference on its parent.
 */
struct vfs_dentry {
	struct vfs_sb *sb;
	struct vfs_dentry *parent;
	struct vfs_dentry *children;  /* hashed children */
	struct vfs_dentry *sib;
	struct vfs_dentry *alias_next; /* vfs->alias chain (positive FUSE dentries) */
	char *name;
	uint32_t namelen;
	unsigned refs;
	unsigned mounted;        /* mounts whose mount point this is */
	int hashed;
	int automount;           /* FUSE submount point (FUSE_ATTR_SUBMOUNT) */
	int dead;                /* removed directory (IS_DEADDIR) */
	struct fc_node *node;
	uint64_t entry_deadline;
	uint64_t epoch;
	struct vfs_rinode ri;
};

/* A mount. */
struct vfs_mount {
	int id;
	struct vfs_mount *parent;      /* NULL: the namespace root, or detached */
	struct vfs_dentry *mountpoint; /* in parent (a reference) */
	struct vfs_dentry *root;       /* a reference */
	struct vfs_sb *sb;             /* a reference */
	unsigned refs;                 /* 1 while attached + one per path held */
	int attached;
	int submount;
	int read_only;
	uint64_t seq;                  /* attach order */
	struct vfs_mount *next;        /* vfs->mounts, in mount order */
};

struct vfs_path {
	struct vfs_mount *mnt;
	struct vfs_dentry *d;
};

/* An open file description (Linux's struct file). */
struct vfs_file {
	struct fc_vfs *vfs;
	unsigned refs;
	struct vfs_path path;
	struct vfs_fuse *fuse;         /* FUSE only */
	struct fc_node *node;          /* FUSE: pinned (a reference) */
	struct fc_open_ctx *of;        /* FUSE and not O_PATH */
	uint32_t flags;                /* f_flags */
	unsigned fmode;
	int64_t pos;
	int is_dir;
	uint64_t id;                   /* owner of local flock() locks */
};

struct vfs_fdent {
	struct vfs_file *f;
	int cloexec;
	int reserved;                  /* taken by an open in progress */
};

/* A descriptor table (Linux's files_struct). */
struct vfs_files {
	struct fc_mutex *lock;
	unsigned users;
	uint64_t owner;                /* fuse_lock_owner_id */
	struct vfs_fdent *fd;
	unsigned cap;
};

struct fc_proc {
	struct fc_vfs *vfs;
	uint32_t pid;
	struct fc_vfs_cred cred;
	uint32_t umask;
	struct vfs_path cwd, root;
	struct vfs_files *files;
	int sigpending;
	struct fc_proc *next;
};

/* A local POSIX or flock lock (when the daemon does not take them). */
struct vfs_lock {
	struct vfs_lock *next;
	const void *key;               /* the inode */
	int flock;
	uint64_t owner;
	uint32_t pid;
	uint32_t type;                 /* FC_F_RDLCK / FC_F_WRLCK */
	uint64_t start, end;
};

/* A task blocked on a local lock, for deadlock detection. */
struct vfs_waiter {
	struct vfs_waiter *next;
	uint64_t owner, blocker;
	struct fc_proc *p;
};

struct fc_vfs {
	const struct fc_platform *plat;
	struct fc_mutex *lock;
	struct fc_cond *lock_cond;     /* local lock waits */
	struct vfs_mount *mounts, *mounts_tail;
	struct vfs_mount *rootmnt;
	struct vfs_sb *sbs;
	struct vfs_fuse *fuses;
	struct vfs_fuse *released;     /* dead, release callback pending */
	struct fc_proc *procs;
	struct vfs_dentry *alias[VFS_ALIAS_BUCKETS];
	struct vfs_lock *locks;
	struct vfs_waiter *waiters;
	int next_mnt_id;
	uint32_t next_dev_minor;
	uint64_t mount_seq;
	uint64_t files_ctr;
	uint64_t file_ctr;
};

/* Per-syscall context. */
struct vctx {
	struct fc_vfs *vfs;
	struct fc_proc *p;
	struct fc_caller who;
};

/* ---- core.c: helpers ------------------------------------------------------------ */

void vfs_lock(struct fc_vfs *vfs);
void vfs_unlock(struct fc_vfs *vfs);
void *vfs_alloc(struct fc_vfs *vfs, size_t size);
void *vfs_zalloc(struct fc_vfs *vfs, size_t size);
void vfs_free(struct fc_vfs *vfs, void *p);
uint64_t vfs_now(struct fc_vfs *vfs);
size_t vfs_strnlen(const char *s, size_t max);
char *vfs_strndup(struct fc_vfs *vfs, const char *s, size_t n);
void vfs_strlcpy(char *dst, const char *src, size_t size);
int vfs_name_eq(const char *a, size_t alen, const char *b, size_t blen);
uint64_t vfs_mix64(uint64_t x);

/* Start a syscall for @p (-EFAULT if @p is NULL). */
int vctx_begin(struct vctx *c, struct fc_proc *p);
/*
 * End a syscall: send the forgets the call queued on every mounted
 * client and run pending release callbacks.  Returns @ret.
 */
long vctx_end(struct vctx *c, long ret);
/* Flush forgets and run release callbacks (no syscall context). */
void vfs_run_deferred(struct fc_vfs *vfs);

/* ---- dcache.c: dentries ---------------------------------------------------------- */

struct vfs_dentry *d_alloc(struct vfs_sb *sb, struct vfs_dentry *parent,
			   const char *name, size_t len);
void d_get(struct vfs_dentry *d);
void d_put(struct vfs_dentry *d);
void d_add(struct vfs_dentry *d);
void d_drop(struct vfs_dentry *d);
void d_invalidate(struct vfs_dentry *d);
void d_shrink(struct vfs_dentry *d);
void d_set_node(struct vfs_dentry *d, struct fc_node *node);
struct vfs_dentry *d_find_child(struct vfs_dentry *dir, const char *name,
				size_t len);
int d_is_dir(const struct vfs_dentry *d);
uint32_t d_mode(const struct vfs_dentry *d);
int d_negative(const struct vfs_dentry *d);
int d_is_ancestor(const struct vfs_dentry *anc, const struct vfs_dentry *d);
void d_move(struct vfs_dentry *d, struct vfs_dentry *newparent,
	    const char *name, size_t len, int *err);
struct fc_client *d_client(const struct vfs_dentry *d);

/* Lookup flags. */
#define LK_EXCL 0x1u     /* revalidate a cached entry (LOOKUP_EXCL/RENAME_TARGET) */

/*
 * Look @name up in directory @dir (a held path): the dcache first (with
 * FUSE revalidation), then the file system.  Returns 0 with a referenced
 * positive dentry in *@out, -ENOENT for a negative or missing entry, or
 * another -errno.  May drop and retake the VFS lock (held on entry/exit).
 */
int vfs_lookup_child(struct vctx *c, const struct vfs_path *dir,
		     const char *name, size_t len, unsigned flags,
		     struct vfs_dentry **out);

/*
 * Link the result of a successful FUSE lookup, creation or READDIRPLUS
 * entry under @dir: an existing dentry with the same node is refreshed,
 * any other is invalidated; a directory's own dentry, wherever it is, is
 * moved there (d_splice_alias; -ELOOP if it is @dir or above).  Consumes
 * @ent->node's reference; returns the dentry with a reference in *@out if
 * @out is non-NULL.  Lock held.
 */
int d_link_entry(struct vfs_dentry *dir, const char *name, size_t len,
		 const struct fc_entry *ent, struct vfs_dentry **out);

/* The notification handler registered for each mounted client. */
int vfs_notify(void *ctx, uint32_t code, const void *payload, size_t len);

/* ---- mount.c: namespace --------------------------------------------------------- */

void path_get(struct vfs_path *p);
void path_put(struct vfs_path *p);
void path_set(struct vfs_path *dst, const struct vfs_path *src);
void mnt_get(struct vfs_mount *m);
void mnt_put(struct vfs_mount *m);
struct vfs_mount *mnt_child_at(struct vfs_mount *m, struct vfs_dentry *d);
int mnt_automount(struct vfs_path *path);
void mnt_detach_tree(struct vfs_mount *m);
void mnt_detach_under(struct vfs_dentry *d);
struct vfs_sb *sb_new(struct fc_vfs *vfs, enum vfs_sb_kind kind);
/*
 * The path of (@mnt, @d) in the namespace (@relroot NULL) or inside its
 * file system (@relroot set: up to the superblock root), into @buf.
 * Returns the length, -ENAMETOOLONG if it does not fit, or -ENOENT if the
 * path is unreachable (detached mount, removed dentry) and @strict.
 */
long vfs_d_path(const struct vfs_path *p, int fs_relative, int strict,
		char *buf, size_t size);
int vfs_mount_init(struct fc_vfs *vfs);
void vfs_mount_teardown(struct fc_vfs *vfs);

/* ---- ramfs.c ------------------------------------------------------------------------ */

void ramfs_init_inode(struct vfs_sb *sb, struct vfs_dentry *d, uint32_t mode,
		      uint32_t uid, uint32_t gid);
struct vfs_sb *ramfs_new_sb(struct fc_vfs *vfs, const char *source);
int ramfs_mkdir(struct vctx *c, struct vfs_dentry *dir, const char *name,
		size_t len, uint32_t mode);
int ramfs_rmdir(struct vctx *c, struct vfs_dentry *dir, struct vfs_dentry *victim);
int ramfs_rename(struct vfs_dentry *olddir, struct vfs_dentry *old,
		 struct vfs_dentry *newdir, const char *newname, size_t newlen,
		 struct vfs_dentry *target, unsigned flags);
void ramfs_touch(struct vctx *c, struct vfs_rinode *ri, int mtime);
void ramfs_kill_tree(struct vfs_dentry *d);

/* ---- namei.c: path walk and permissions -------------------------------------------- */

/* Walk flags. */
#define W_FOLLOW      0x01u  /* follow a symlink in the last component */
#define W_DIRECTORY   0x02u  /* the result must be a directory */
#define W_NOAUTOMOUNT 0x04u  /* do not trigger an automount on the last component */
#define W_EMPTY_PATH  0x08u  /* "" names @dirfd itself */
#define W_EXCL        0x10u  /* revalidate the last component (LOOKUP_EXCL) */

enum { LAST_NORM = 0, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct walk {
	struct vctx *c;
	struct vfs_path path;      /* where the walk stands */
	struct vfs_path root;      /* the process root */
	unsigned flags;
	const char *last;
	size_t lastlen;
	int last_type;
	int trailing;              /* the last component had a trailing '/' */
	unsigned total_links;
	unsigned depth;
	char *bufs[FC_VFS_MAXSYMLINKS + 2];
	unsigned nbufs;
	const char *name;          /* the path as given */
};

/*
 * Begin a walk of @path relative to @dirfd for process @c->p; the lock is
 * taken and held until walk_end() (dropped only around requests).
 */
int walk_begin(struct walk *w, struct vctx *c, int dirfd, const char *path,
	       unsigned flags);
/* Walk everything but the last component (w->last, w->last_type). */
int walk_parent(struct walk *w);
/* Resolve the last component into w->path (following per W_FOLLOW). */
int walk_last(struct walk *w);
/* walk_parent() + walk_last(). */
int walk_full(struct walk *w);
/* Follow the symlink @link found as the last component: w->last becomes the target's. */
int walk_follow_last_link(struct walk *w, struct vfs_path *link);
/* Cross into the top mount at @p (and automount if allowed); lock held. */
int vfs_follow_mounts(struct vfs_path *p, int automount);
/* fcntl on the descriptor itself (F_DUPFD*, F_GETFD, F_SETFD). */
int vfs_fcntl_fd(struct vctx *c, int fd, int cmd, long arg);
/* Release the walk's references; drops the lock. */
void walk_end(struct walk *w);

/*
 * Check @mask (MAY_*) on the object at @p for @c's process, as
 * inode_permission() with fuse_permission(): cached attributes refreshed
 * by GETATTR when needed, ACCESS for MAY_ACCESS/MAY_CHDIR without
 * default_permissions.  Lock held (dropped around requests).
 */
int vfs_permission(struct vctx *c, const struct vfs_path *p, unsigned mask);
int vfs_generic_permission(const struct fc_vfs_cred *cred, uint32_t mode,
			   uint32_t uid, uint32_t gid, unsigned mask);
int vfs_in_group(const struct fc_vfs_cred *cred, uint32_t gid);
int vfs_may_delete(struct vctx *c, const struct vfs_path *dir,
		   struct vfs_dentry *victim, int isdir);
int vfs_fuse_dp(const struct vfs_dentry *d);
/* Read a symlink's target into a new buffer (FUSE READLINK). */
int vfs_read_link(struct vctx *c, struct vfs_dentry *d, char **out, size_t *len);

/* ---- proc.c: processes and descriptor tables ---------------------------------------- */

/* The file at @fd with a reference, or NULL (-EBADF). */
struct vfs_file *fget(struct fc_proc *p, int fd);
int fd_alloc(struct fc_proc *p, int minfd);
void fd_install(struct fc_proc *p, int fd, struct vfs_file *f, int cloexec);
void fd_unreserve(struct fc_proc *p, int fd);
int vfs_close_fd(struct vctx *c, int fd);

/* ---- file.c: open files ------------------------------------------------------------- */

struct vfs_file *file_alloc(struct fc_vfs *vfs);
void fput(struct vctx *c, struct vfs_file *f);
/*
 * fput() whose __fput is deferred (task work, as at process exit): drops a
 * reference and returns 1 if it was the last; the caller then calls
 * fput_final() (RELEASE) when the task work runs.
 */
int fput_deferred(struct vfs_file *f);
void fput_final(struct vctx *c, struct vfs_file *f);
void file_get(struct vfs_file *f);
/* Linux's filp_flush(): FLUSH and the release of the caller's POSIX locks. */
int filp_flush(struct vctx *c, struct vfs_file *f);
/* Read/write through the file (the page-cache issue replaces these). */
long vfs_file_read(struct vctx *c, struct vfs_file *f, void *buf, size_t n,
		   uint64_t off);
long vfs_file_write(struct vctx *c, struct vfs_file *f, const void *buf,
		    size_t n, uint64_t off);
/* Linux's file_remove_privs()/dentry_needs_remove_privs() for FUSE. */
int vfs_remove_privs(struct vctx *c, struct vfs_dentry *d,
		     struct vfs_file *f, unsigned kill);
int vfs_need_remove_privs(struct vctx *c, struct vfs_dentry *d, unsigned base);
int vfs_setattr(struct vctx *c, const struct vfs_path *p, struct vfs_file *f,
		struct fc_setattr_in *in, unsigned kill);
int vfs_getattr(struct vctx *c, struct vfs_dentry *d, struct vfs_mount *mnt,
		int sync, struct fc_vfs_stat *st);

/* ---- lock.c: local locks ---------------------------------------------------------- */

int lock_posix_get(struct vctx *c, const void *key, uint64_t owner,
		   struct fc_lock *lk);
int lock_posix_set(struct vctx *c, const void *key, uint64_t owner,
		   const struct fc_lock *lk, int wait);
void lock_posix_remove_owner(struct fc_vfs *vfs, const void *key, uint64_t owner);
int lock_flock(struct vctx *c, const void *key, uint64_t owner, int op);
void lock_flock_remove(struct fc_vfs *vfs, const void *key, uint64_t owner);
void lock_remove_all(struct fc_vfs *vfs);

/* ---- sys_*.c -------------------------------------------------------------------------- */

const void *file_lock_key(const struct vfs_file *f);

static inline int vfs_is_fuse(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_FUSE;
}

static inline uint32_t vfs_dev(const struct vfs_sb *sb)
{
	return sb->dev_minor;
}

#define VFS_S_ISDIR(m) (((m) & FC_S_IFMT) == FC_S_IFDIR)
#define VFS_S_ISREG(m) (((m) & FC_S_IFMT) == FC_S_IFREG)
#define VFS_S_ISLNK(m) (((m) & FC_S_IFMT) == FC_S_IFLNK)

#endif /* FUSECORE_VFS_I_H */
