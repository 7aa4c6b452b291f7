/*
 * Open file descriptions (Linux's struct file): references, deferred
 * close (filp_flush then fput, the last fput sending RELEASE), the one
 * read/write function pair that the page-cache layer will replace, and
 * the attribute helpers shared by the syscalls (getattr, setattr with
 * Linux's kill-privilege handling).
 */
#include "fusecore/pagecache.h"
#include "vfs_i.h"

struct vfs_file *file_alloc(struct fc_vfs *vfs)
{
	struct vfs_file *f = vfs_zalloc(vfs, sizeof(*f));

	if (!f)
		return NULL;
	f->vfs = vfs;
	f->refs = 1;
	f->id = vfs_mix64(++vfs->file_ctr ^ 0x66696c656f776e72ULL);
	return f;
}

void file_get(struct vfs_file *f)
{
	f->refs++;
}

const void *file_lock_key(const struct vfs_file *f)
{
	/* The inode: the node for FUSE (one per nodeid), the dentry for ramfs. */
	return f->node ? (const void *)f->node : (const void *)f->path.d;
}

static int posix_locks_remote(const struct vfs_file *f)
{
	return f->fuse && fc_conn_info(f->fuse->conn)->posix_locks;
}

static int flock_remote(const struct vfs_file *f)
{
	return f->fuse && fc_conn_info(f->fuse->conn)->flock_locks;
}

/* __fput(): the last reference went. */
static void file_release(struct vctx *c, struct vfs_file *f)
{
	struct fc_vfs *vfs = f->vfs;

	if (!(f->fmode & FMODE_PATH) && !flock_remote(f)) {
		/* locks_remove_file(): this description's flock() locks. */
		vfs_lock(vfs);
		lock_flock_remove(vfs, file_lock_key(f), f->id);
		vfs_unlock(vfs);
	}
	if (f->of)
		fc_release(f->fuse->cl, f->of); /* RELEASE in the background */
	f->of = NULL;
	vfs_lock(vfs);
	if (f->node)
		fc_node_put(f->fuse->cl, f->node);
	f->node = NULL;
	path_put(&f->path);
	vfs_unlock(vfs);
	vfs_free(vfs, f);
	(void)c;
}

void fput(struct vctx *c, struct vfs_file *f)
{
	int last;

	vfs_lock(f->vfs);
	last = --f->refs == 0;
	vfs_unlock(f->vfs);
	if (last)
		file_release(c, f);
}

int fput_deferred(struct vfs_file *f)
{
	int last;

	vfs_lock(f->vfs);
	last = --f->refs == 0;
	vfs_unlock(f->vfs);
	return last;
}

void fput_final(struct vctx *c, struct vfs_file *f)
{
	file_release(c, f);
}

int filp_flush(struct vctx *c, struct vfs_file *f)
{
	int err = 0;

	if (f->fmode & FMODE_PATH)
		return 0;
	if (f->of)
		err = fc_flush(f->fuse->cl, &c->who, f->of);
	if (!posix_locks_remote(f)) {
		/* locks_remove_posix(filp, current->files) */
		vfs_lock(c->vfs);
		lock_posix_remove_owner(c->vfs, file_lock_key(f), c->who.lock_owner);
		vfs_unlock(c->vfs);
	}
	return err;
}

/* ---- attributes --------------------------------------------------------------- */

static void ts_from(struct fc_vfs_timespec *ts, uint64_t sec, uint32_t nsec)
{
	ts->tv_sec = (int64_t)sec;
	ts->tv_nsec = nsec;
}

static int64_t blksize_of(uint32_t b)
{
	/* fuse_fillattr: 1 << ilog2(blksize); the page size when 0. */
	int64_t r = 1;

	if (!b)
		return VFS_PAGE_SIZE;
	while (b >>= 1)
		r <<= 1;
	return r;
}

static uint64_t encode_dev(uint32_t major, uint32_t minor)
{
	/* new_encode_dev() */
	return (uint64_t)((minor & 0xffu) | (major << 8) | ((minor & ~0xffu) << 12));
}

int vfs_getattr(struct vctx *c, struct vfs_dentry *d, struct vfs_mount *mnt,
		int sync, struct fc_vfs_stat *st)
{
	struct fc_attr a;
	int err;

	memset(st, 0, sizeof(*st));
	st->dev = encode_dev(0, vfs_dev(mnt->sb));
	if (d->sb->kind == VFS_SB_RAMFS) {
		vfs_lock(c->vfs);
		st->ino = d->ri.ino;
		st->mode = d->ri.mode;
		st->nlink = d->ri.nlink;
		st->uid = d->ri.uid;
		st->gid = d->ri.gid;
		st->blksize = VFS_PAGE_SIZE;
		st->atime = d->ri.atime;
		st->mtime = d->ri.mtime;
		st->ctime = d->ri.ctime;
		vfs_unlock(c->vfs);
		return 0;
	}
	if (!d->node)
		return -ENOENT;
	if (sync < 0) {
		/* AT_STATX_DONT_SYNC: whatever is cached. */
		if (fc_node_is_stale(d->node))
			return -ESTALE;
		fc_node_attr_snapshot(d->sb->fuse->cl, d->node, &a);
	} else {
		err = fc_getattr(d->sb->fuse->cl, &c->who, d->node, NULL, sync, &a);
		if (err)
			return err;
	}
	st->ino = a.ino;
	st->mode = a.mode;
	st->nlink = a.nlink;
	st->uid = a.uid;
	st->gid = a.gid;
	st->rdev = a.rdev;
	st->size = (int64_t)a.size;
	st->blksize = blksize_of(a.blksize);
	st->blocks = (int64_t)a.blocks;
	ts_from(&st->atime, a.atime, a.atimensec);
	ts_from(&st->mtime, a.mtime, a.mtimensec);
	ts_from(&st->ctime, a.ctime, a.ctimensec);
	return 0;
}

int vfs_need_remove_privs(struct vctx *c, struct vfs_dentry *d, unsigned base)
{
	struct fc_client *cl;
	unsigned kill = base;
	uint32_t mode;
	long r;

	if (!vfs_is_fuse(d) || !d->node)
		return 0;
	cl = d->sb->fuse->cl;
	mode = d_mode(d);
	/* setattr_should_drop_suidgid(): not for CAP_FSETID (root). */
	if (VFS_S_ISREG(mode) && c->p->cred.uid != 0) {
		if (mode & VFS_S_ISUID)
			kill |= VFS_KILL_SUID;
		if ((mode & (VFS_S_ISGID | VFS_S_IXGRP)) ==
		    (VFS_S_ISGID | VFS_S_IXGRP))
			kill |= VFS_KILL_SGID;
	}
	/* security_inode_need_killpriv() -> cap_inode_need_killpriv(). */
	if (!fc_conn_nosys(fc_client_conn(cl), FC_GETXATTR)) {
		r = fc_getxattr(cl, &c->who, d->node, "security.capability",
				NULL, 0);
		if (r > 0)
			kill |= VFS_KILL_PRIV;
	}
	return (int)kill;
}

int vfs_setattr(struct vctx *c, const struct vfs_path *p, struct vfs_file *f,
		struct fc_setattr_in *in, unsigned kill)
{
	struct vfs_dentry *d = p->d;
	struct fc_client *cl;
	uint64_t flags;
	int err;

	if (d->sb->kind == VFS_SB_RAMFS) {
		vfs_lock(c->vfs);
		if (in->valid & FC_FATTR_MODE)
			d->ri.mode = (d->ri.mode & FC_S_IFMT) | (in->mode & 07777);
		if (in->valid & FC_FATTR_UID)
			d->ri.uid = in->uid;
		if (in->valid & FC_FATTR_GID)
			d->ri.gid = in->gid;
		if (in->valid & FC_FATTR_ATIME)
			ts_from(&d->ri.atime, in->atime, in->atimensec);
		if (in->valid & FC_FATTR_MTIME)
			ts_from(&d->ri.mtime, in->mtime, in->mtimensec);
		ramfs_touch(c, &d->ri, 0);
		vfs_unlock(c->vfs);
		return 0;
	}
	if (!d->node)
		return -ENOENT;
	cl = d->sb->fuse->cl;
	flags = fc_conn_info(d->sb->fuse->conn)->flags;
	if (kill & VFS_KILL_PRIV) {
		/* cap_inode_killpriv(): remove security.capability. */
		err = fc_removexattr(cl, &c->who, d->node, "security.capability");
		if (err && err != -ENODATA && err != -EOPNOTSUPP)
			return err;
	}
	if ((kill & (VFS_KILL_SUID | VFS_KILL_SGID)) &&
	    !(flags & (FC_HANDLE_KILLPRIV | FC_HANDLE_KILLPRIV_V2))) {
		/* fuse_setattr: refresh the mode, then clear the bits. */
		struct fc_attr a;
		uint32_t mode;

		err = fc_getattr(cl, &c->who, d->node, f ? f->of : NULL, 1, &a);
		if (err)
			return err;
		mode = a.mode;
		if (mode & VFS_S_ISUID)
			mode &= ~VFS_S_ISUID;
		if ((mode & (VFS_S_ISGID | VFS_S_IXGRP)) ==
		    (VFS_S_ISGID | VFS_S_IXGRP))
			mode &= ~VFS_S_ISGID;
		if (mode != a.mode) {
			in->valid |= FC_FATTR_MODE;
			in->mode = mode;
		}
	}
	if (!in->valid)
		return 0;
	err = fc_setattr(cl, &c->who, d->node, f ? f->of : NULL, in, NULL);
	if (!err && (in->valid & FC_FATTR_MODE) && VFS_S_ISDIR(d_mode(d)) &&
	    d->parent) {
		/*
		 * fuse_setattr: "Directory mode changed, may need to
		 * revalidate access" -> fuse_invalidate_entry_cache(): the
		 * entry expires, the next walk through it LOOKUPs it again.
		 * (A mount's root has no parent and is never looked up.)
		 */
		vfs_lock(c->vfs);
		d->entry_deadline = 0;
		vfs_unlock(c->vfs);
	}
	return err;
}

int vfs_remove_privs(struct vctx *c, struct vfs_dentry *d, struct vfs_file *f,
		     unsigned kill)
{
	struct fc_setattr_in in;
	struct vfs_path p = { NULL, d };

	(void)f;
	if (!kill)
		return 0;
	memset(&in, 0, sizeof(in));
	return vfs_setattr(c, &p, NULL, &in, kill);
}

/* ---- data --------------------------------------------------------------------- */

static unsigned io_flags(const struct vfs_file *f)
{
	if ((f->flags & FC_O_DIRECT) ||
	    (fc_open_fopen_flags(f->of) & FC_FOPEN_DIRECT_IO))
		return FC_IO_DIRECT;
	return 0;
}

/*
 * The read side of a regular FUSE file: through the page cache when the
 * client has one (fc_cache_read: fuse_cache_read_iter, or direct I/O for
 * O_DIRECT / FOPEN_DIRECT_IO).  Without one every read goes to the
 * daemon: buffered ones as page-cache reads (no lock owner), O_DIRECT /
 * FOPEN_DIRECT_IO ones as direct I/O.
 */
long vfs_file_read(struct vctx *c, struct vfs_file *f, void *buf, size_t n,
		   uint64_t off)
{
	if (!f->of)
		return -EINVAL;
	if (fc_cache_mapping(f->fuse->cl, f->node))
		return fc_cache_read(f->fuse->cl, &c->who, f->of, buf, n, off);
	return fc_read(f->fuse->cl, &c->who, f->of, buf, n, off, io_flags(f));
}

/* The write side; buffered writes first drop privileges (file_remove_privs). */
long vfs_file_write(struct vctx *c, struct vfs_file *f, const void *buf,
		    size_t n, uint64_t off)
{
	unsigned io;
	int kill;

	if (!f->of)
		return -EINVAL;
	io = io_flags(f);
	if (!(fc_open_fopen_flags(f->of) & FC_FOPEN_DIRECT_IO)) {
		kill = vfs_need_remove_privs(c, f->path.d, 0);
		if (kill > 0) {
			int err = vfs_remove_privs(c, f->path.d, f, (unsigned)kill);

			if (err)
				return err;
		}
	}
	if (fc_cache_mapping(f->fuse->cl, f->node)) {
		/* The page cache: write-through, writeback cache or direct I/O. */
		uint64_t pos = off;

		return fc_cache_write(f->fuse->cl, &c->who, f->of, buf, n, &pos);
	}
	return fc_write(f->fuse->cl, &c->who, f->of, buf, n, off, io);
}
