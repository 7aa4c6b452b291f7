/*
 * Path syscalls: stat family, access, chmod/chown/utimensat, truncate,
 * statfs, mkdir/mknod/symlink/link, unlink/rmdir, rename(at2), readlink,
 * chdir and getcwd - with Linux's order of checks (fs/namei.c, fs/open.c,
 * fs/stat.c, fs/attr.c) and FUSE's request stream (fs/fuse/dir.c).
 */
#include "vfs_i.h"

/* Resolve @path and keep a reference to the result; the lock is released. */
static int resolve_hold(struct vctx *c, int dirfd, const char *path,
			unsigned wflags, struct vfs_path *out)
{
	struct walk w;
	int err;

	out->mnt = NULL;
	out->d = NULL;
	err = walk_begin(&w, c, dirfd, path, wflags);
	if (!err)
		err = walk_full(&w);
	if (!err) {
		*out = w.path;
		path_get(out);
	}
	walk_end(&w);
	return err;
}

static void release_path(struct vctx *c, struct vfs_path *p)
{
	if (!p->mnt)
		return;
	vfs_lock(c->vfs);
	path_put(p);
	vfs_unlock(c->vfs);
}

static struct vfs_file *fget_locked(struct vctx *c, int fd)
{
	struct vfs_file *f;

	vfs_lock(c->vfs);
	f = fget(c->p, fd);
	vfs_unlock(c->vfs);
	return f;
}

/* A held path from a descriptor (the file's own). */
static int fd_path(struct vctx *c, int fd, struct vfs_path *out)
{
	struct vfs_file *f;

	out->mnt = NULL;
	vfs_lock(c->vfs);
	f = fget(c->p, fd);
	if (f) {
		*out = f->path;
		path_get(out);
		f->refs--; /* the descriptor still holds it */
	}
	vfs_unlock(c->vfs);
	return f ? 0 : -EBADF;
}

/* ---- stat ---------------------------------------------------------------------------- */

static int do_fstatat(struct vctx *c, int dirfd, const char *path,
		      struct fc_vfs_stat *st, int flags)
{
	struct vfs_path p;
	unsigned wf = 0;
	int err;

	if (flags & ~(FC_AT_SYMLINK_NOFOLLOW | FC_AT_NO_AUTOMOUNT | FC_AT_EMPTY_PATH))
		return -EINVAL;
	if (!st)
		return -EFAULT;
	if (!(flags & FC_AT_SYMLINK_NOFOLLOW))
		wf |= W_FOLLOW;
	if (flags & FC_AT_NO_AUTOMOUNT)
		wf |= W_NOAUTOMOUNT;
	if (flags & FC_AT_EMPTY_PATH)
		wf |= W_EMPTY_PATH;
	err = resolve_hold(c, dirfd, path, wf, &p);
	if (err)
		return err;
	err = vfs_getattr(c, p.d, p.mnt, 0, st);
	release_path(c, &p);
	return err;
}

int fc_sys_fstatat(struct fc_proc *p, int dirfd, const char *path,
		   struct fc_vfs_stat *st, int flags)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return (int)vctx_end(&c, do_fstatat(&c, dirfd, path, st, flags));
}

int fc_sys_stat(struct fc_proc *p, const char *path, struct fc_vfs_stat *st)
{
	return fc_sys_fstatat(p, FC_AT_FDCWD, path, st, 0);
}

int fc_sys_lstat(struct fc_proc *p, const char *path, struct fc_vfs_stat *st)
{
	return fc_sys_fstatat(p, FC_AT_FDCWD, path, st, FC_AT_SYMLINK_NOFOLLOW);
}

int fc_sys_fstat(struct fc_proc *p, int fd, struct fc_vfs_stat *st)
{
	struct vfs_file *f;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	err = st ? vfs_getattr(&c, f->path.d, f->path.mnt, 0, st) : -EFAULT;
	fput(&c, f);
	return (int)vctx_end(&c, err);
}

static void statx_from_stat(struct fc_statx *sx, const struct fc_vfs_stat *st)
{
	memset(sx, 0, sizeof(*sx));
	sx->mask = FC_STATX_BASIC_STATS;
	sx->blksize = (uint32_t)st->blksize;
	sx->nlink = st->nlink;
	sx->uid = st->uid;
	sx->gid = st->gid;
	sx->mode = (uint16_t)st->mode;
	sx->ino = st->ino;
	sx->size = (uint64_t)st->size;
	sx->blocks = (uint64_t)st->blocks;
	sx->atime.tv_sec = st->atime.tv_sec;
	sx->atime.tv_nsec = (uint32_t)st->atime.tv_nsec;
	sx->mtime.tv_sec = st->mtime.tv_sec;
	sx->mtime.tv_nsec = (uint32_t)st->mtime.tv_nsec;
	sx->ctime.tv_sec = st->ctime.tv_sec;
	sx->ctime.tv_nsec = (uint32_t)st->ctime.tv_nsec;
	sx->rdev_major = (uint32_t)(st->rdev >> 8);
	sx->rdev_minor = (uint32_t)(st->rdev & 0xff);
}

int fc_sys_statx(struct fc_proc *p, int dirfd, const char *path, int flags,
		 uint32_t mask, struct fc_statx *out)
{
	const int sync_type = FC_AT_STATX_FORCE_SYNC | FC_AT_STATX_DONT_SYNC;
	struct fc_vfs_stat st;
	struct vfs_path vp;
	struct vctx c;
	unsigned wf = 0;
	int err = vctx_begin(&c, p);
	int sync;

	if (err)
		return err;
	if (flags & ~(FC_AT_SYMLINK_NOFOLLOW | FC_AT_NO_AUTOMOUNT |
		      FC_AT_EMPTY_PATH | sync_type))
		return (int)vctx_end(&c, -EINVAL);
	if ((flags & sync_type) == sync_type || (mask & 0x80000000u))
		return (int)vctx_end(&c, -EINVAL);
	if (!out)
		return (int)vctx_end(&c, -EFAULT);
	if (!(flags & FC_AT_SYMLINK_NOFOLLOW))
		wf |= W_FOLLOW;
	if (flags & FC_AT_NO_AUTOMOUNT)
		wf |= W_NOAUTOMOUNT;
	if (flags & FC_AT_EMPTY_PATH) {
		wf |= W_EMPTY_PATH;
		if (!path)
			path = "";
	}
	err = resolve_hold(&c, dirfd, path, wf, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	if (vfs_is_fuse(vp.d) && vp.d->node) {
		struct fc_client *cl = vp.d->sb->fuse->cl;
		struct fc_conn *conn = vp.d->sb->fuse->conn;

		/* fuse_update_get_attr() */
		mask &= FC_STATX_BASIC_STATS | FC_STATX_BTIME;
		if (fc_conn_nosys(conn, FC_STATX))
			mask &= FC_STATX_BASIC_STATS;
		if (!mask)
			sync = 0;
		else if (flags & FC_AT_STATX_FORCE_SYNC)
			sync = 1;
		else if (flags & FC_AT_STATX_DONT_SYNC)
			sync = 0;
		else
			sync = fc_node_attr_stale(cl, vp.d->node, mask);
		if (sync && (mask & FC_STATX_BTIME)) {
			err = fc_statx(cl, &c.who, vp.d->node, NULL, 0,
				       FC_STATX_BASIC_STATS | FC_STATX_BTIME, out);
		} else {
			err = vfs_getattr(&c, vp.d, vp.mnt, sync ? 1 : -1, &st);
			if (!err)
				statx_from_stat(out, &st);
		}
	} else {
		err = vfs_getattr(&c, vp.d, vp.mnt, 0, &st);
		if (!err)
			statx_from_stat(out, &st);
	}
	if (!err) {
		out->dev_major = 0;
		out->dev_minor = vfs_dev(vp.mnt->sb);
	}
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

/* ---- access ---------------------------------------------------------------------- */

int fc_sys_faccessat(struct fc_proc *p, int dirfd, const char *path, int mode,
		     int flags)
{
	struct vfs_path vp;
	struct vctx c;
	unsigned wf = W_FOLLOW;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (mode & ~7)
		return (int)vctx_end(&c, -EINVAL);
	if (flags & ~(FC_AT_EACCESS | FC_AT_SYMLINK_NOFOLLOW | FC_AT_EMPTY_PATH))
		return (int)vctx_end(&c, -EINVAL);
	if (flags & FC_AT_SYMLINK_NOFOLLOW)
		wf = 0;
	if (flags & FC_AT_EMPTY_PATH)
		wf |= W_EMPTY_PATH;
	err = resolve_hold(&c, dirfd, path, wf, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	vfs_lock(c.vfs);
	err = vfs_permission(&c, &vp, (unsigned)mode | MAY_ACCESS);
	if (!err && (mode & FC_W_OK) && vp.mnt->read_only) {
		uint32_t m = d_mode(vp.d);

		if (VFS_S_ISREG(m) || VFS_S_ISDIR(m) || VFS_S_ISLNK(m))
			err = -EROFS;
	}
	vfs_unlock(c.vfs);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_access(struct fc_proc *p, const char *path, int mode)
{
	return fc_sys_faccessat(p, FC_AT_FDCWD, path, mode, 0);
}

/* ---- setattr family ------------------------------------------------------------- */

static uint32_t owner_of(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_RAMFS ? d->ri.uid : fc_node_attr(d->node)->uid;
}

static uint32_t group_of(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_RAMFS ? d->ri.gid : fc_node_attr(d->node)->gid;
}

/* setattr_prepare() applies on ramfs and with default_permissions. */
static int checks_apply(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_RAMFS || vfs_fuse_dp(d);
}

static int chmod_common(struct vctx *c, struct vfs_path *vp, uint32_t mode)
{
	struct fc_setattr_in in;
	struct vfs_dentry *d = vp->d;
	const struct fc_vfs_cred *cred = &c->p->cred;

	if (d_negative(d))
		return -ENOENT;
	if (vp->mnt->read_only)
		return -EROFS;
	memset(&in, 0, sizeof(in));
	in.valid = FC_FATTR_MODE;
	in.mode = (mode & 07777) | (d_mode(d) & FC_S_IFMT);
	if (checks_apply(d) && cred->uid != 0) {
		if (cred->uid != owner_of(d))
			return -EPERM;
		if (!vfs_in_group(cred, group_of(d)))
			in.mode &= ~VFS_S_ISGID;
	}
	return vfs_setattr(c, vp, NULL, &in, 0);
}

static int chown_common(struct vctx *c, struct vfs_path *vp, uint32_t uid,
			uint32_t gid)
{
	const struct fc_vfs_cred *cred = &c->p->cred;
	struct vfs_dentry *d = vp->d;
	struct fc_setattr_in in;
	unsigned kill = 0;
	uint32_t mode;

	if (d_negative(d))
		return -ENOENT;
	if (vp->mnt->read_only)
		return -EROFS;
	memset(&in, 0, sizeof(in));
	if (uid != (uint32_t)-1) {
		in.valid |= FC_FATTR_UID;
		in.uid = uid;
	}
	if (gid != (uint32_t)-1) {
		in.valid |= FC_FATTR_GID;
		in.gid = gid;
	}
	if (checks_apply(d) && cred->uid != 0) {
		/* chown_ok() / chgrp_ok() */
		if ((in.valid & FC_FATTR_UID) &&
		    (cred->uid != owner_of(d) || uid != owner_of(d)))
			return -EPERM;
		if ((in.valid & FC_FATTR_GID) &&
		    (cred->uid != owner_of(d) ||
		     (gid != group_of(d) && !vfs_in_group(cred, gid))))
			return -EPERM;
	}
	mode = d_mode(d);
	if (vfs_is_fuse(d) && !VFS_S_ISDIR(mode)) {
		int k;

		/* chown_common(): ATTR_KILL_SUID | ATTR_KILL_PRIV (| SGID). */
		kill = VFS_KILL_SUID;
		if ((mode & (VFS_S_ISGID | VFS_S_IXGRP)) ==
		    (VFS_S_ISGID | VFS_S_IXGRP))
			kill |= VFS_KILL_SGID;
		k = vfs_need_remove_privs(c, d, kill);
		if (k > 0)
			kill = (unsigned)k;
	}
	return vfs_setattr(c, vp, NULL, &in, kill);
}

/*
 * The *at() path argument with AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH (any
 * other flag is EINVAL), resolved and held.
 */
static int resolve_at(struct vctx *c, int dirfd, const char *path, int flags,
		      struct vfs_path *vp)
{
	unsigned wf = W_FOLLOW;

	if (flags & ~(FC_AT_SYMLINK_NOFOLLOW | FC_AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & FC_AT_SYMLINK_NOFOLLOW)
		wf = 0;
	if (flags & FC_AT_EMPTY_PATH)
		wf |= W_EMPTY_PATH;
	return resolve_hold(c, dirfd, path, wf, vp);
}

int fc_sys_fchmodat(struct fc_proc *p, int dirfd, const char *path,
		    uint32_t mode, int flags)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = resolve_at(&c, dirfd, path, flags, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	if (VFS_S_ISLNK(d_mode(vp.d)))
		err = -EOPNOTSUPP;
	else
		err = chmod_common(&c, &vp, mode);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_chmod(struct fc_proc *p, const char *path, uint32_t mode)
{
	return fc_sys_fchmodat(p, FC_AT_FDCWD, path, mode, 0);
}

int fc_sys_fchmod(struct fc_proc *p, int fd, uint32_t mode)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = fd_path(&c, fd, &vp);
	if (!err)
		err = chmod_common(&c, &vp, mode);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_fchownat(struct fc_proc *p, int dirfd, const char *path,
		    uint32_t uid, uint32_t gid, int flags)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = resolve_at(&c, dirfd, path, flags, &vp);
	if (!err)
		err = chown_common(&c, &vp, uid, gid);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_chown(struct fc_proc *p, const char *path, uint32_t uid,
		 uint32_t gid)
{
	return fc_sys_fchownat(p, FC_AT_FDCWD, path, uid, gid, 0);
}

int fc_sys_lchown(struct fc_proc *p, const char *path, uint32_t uid,
		  uint32_t gid)
{
	return fc_sys_fchownat(p, FC_AT_FDCWD, path, uid, gid,
			       FC_AT_SYMLINK_NOFOLLOW);
}

int fc_sys_fchown(struct fc_proc *p, int fd, uint32_t uid, uint32_t gid)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = fd_path(&c, fd, &vp);
	if (!err)
		err = chown_common(&c, &vp, uid, gid);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

static int nsec_valid(int64_t nsec)
{
	return nsec == FC_UTIME_NOW || nsec == FC_UTIME_OMIT ||
	       (nsec >= 0 && nsec <= 999999999);
}

/* vfs_utimes() */
static int utimes_common(struct vctx *c, struct vfs_path *vp,
			 const struct fc_vfs_timespec *ts)
{
	struct vfs_dentry *d = vp->d;
	const struct fc_vfs_cred *cred = &c->p->cred;
	struct fc_setattr_in in;
	uint64_t now = vfs_now(c->vfs);
	uint32_t gran = 1;
	int i, explicit_set = 0;

	if (d_negative(d))
		return -ENOENT;
	if (ts && ts[0].tv_nsec == FC_UTIME_NOW && ts[1].tv_nsec == FC_UTIME_NOW)
		ts = NULL;
	if (vp->mnt->read_only)
		return -EROFS;
	if (vfs_is_fuse(d))
		gran = fc_conn_info(d->sb->fuse->conn)->time_gran;
	if (!gran)
		gran = 1;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < 2; i++) {
		uint64_t sec;
		uint32_t nsec;
		uint32_t bit = i ? FC_FATTR_MTIME : FC_FATTR_ATIME;
		uint32_t nowbit = i ? FC_FATTR_MTIME_NOW : FC_FATTR_ATIME_NOW;

		if (ts && ts[i].tv_nsec == FC_UTIME_OMIT)
			continue;
		if (!ts || ts[i].tv_nsec == FC_UTIME_NOW) {
			sec = now / 1000000000u;
			nsec = (uint32_t)(now % 1000000000u);
			in.valid |= bit | nowbit;
		} else {
			sec = (uint64_t)ts[i].tv_sec;
			nsec = (uint32_t)ts[i].tv_nsec;
			in.valid |= bit;
			explicit_set = 1;
		}
		/* timestamp_truncate() to the superblock's time granularity */
		nsec -= nsec % gran;
		if (i) {
			in.mtime = sec;
			in.mtimensec = nsec;
		} else {
			in.atime = sec;
			in.atimensec = nsec;
		}
	}
	if (!in.valid)
		return 0;
	if (cred->uid != 0 && cred->uid != owner_of(d)) {
		int err = 0;

		if (explicit_set) {
			/* setattr_prepare(): setting a time needs ownership. */
			if (checks_apply(d))
				return -EPERM;
		} else {
			/* may_setattr(ATTR_TOUCH): write permission is enough. */
			vfs_lock(c->vfs);
			err = vfs_permission(c, vp, MAY_WRITE);
			vfs_unlock(c->vfs);
		}
		if (err)
			return err;
	}
	return vfs_setattr(c, vp, NULL, &in, 0);
}

int fc_sys_utimensat(struct fc_proc *p, int dirfd, const char *path,
		     const struct fc_vfs_timespec ts[2], int flags)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (ts && (!nsec_valid(ts[0].tv_nsec) || !nsec_valid(ts[1].tv_nsec)))
		return (int)vctx_end(&c, -EINVAL);
	if (flags & ~(FC_AT_SYMLINK_NOFOLLOW | FC_AT_EMPTY_PATH))
		return (int)vctx_end(&c, -EINVAL);
	if (!path && dirfd != FC_AT_FDCWD) {
		/* futimens() */
		if (flags & FC_AT_SYMLINK_NOFOLLOW)
			return (int)vctx_end(&c, -EINVAL);
		err = fd_path(&c, dirfd, &vp);
	} else {
		err = resolve_at(&c, dirfd, path, flags, &vp);
	}
	if (!err)
		err = utimes_common(&c, &vp, ts);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_futimens(struct fc_proc *p, int fd, const struct fc_vfs_timespec ts[2])
{
	if (fd == FC_AT_FDCWD)
		return -EBADF;
	return fc_sys_utimensat(p, fd, NULL, ts, 0);
}

/* ---- truncate -------------------------------------------------------------------- */

static int truncate_common(struct vctx *c, struct vfs_path *vp,
			   struct vfs_file *f, int64_t length)
{
	struct fc_setattr_in in;
	int kill;

	if (!vfs_is_fuse(vp->d))
		return -EISDIR; /* ramfs has directories only */
	kill = vfs_need_remove_privs(c, vp->d, 0);
	memset(&in, 0, sizeof(in));
	in.valid = FC_FATTR_SIZE;
	in.size = (uint64_t)length;
	return vfs_setattr(c, vp, f, &in, kill > 0 ? (unsigned)kill : 0);
}

int fc_sys_truncate(struct fc_proc *p, const char *path, int64_t length)
{
	struct vfs_path vp;
	struct vctx c;
	uint32_t mode;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (length < 0)
		return (int)vctx_end(&c, -EINVAL);
	err = resolve_hold(&c, FC_AT_FDCWD, path, W_FOLLOW, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	mode = d_mode(vp.d);
	if (VFS_S_ISDIR(mode))
		err = -EISDIR;
	else if (!VFS_S_ISREG(mode))
		err = -EINVAL;
	else if (vp.mnt->read_only)
		err = -EROFS;
	if (!err) {
		vfs_lock(c.vfs);
		err = vfs_permission(&c, &vp, MAY_WRITE);
		vfs_unlock(c.vfs);
	}
	if (!err)
		err = truncate_common(&c, &vp, NULL, length);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_ftruncate(struct fc_proc *p, int fd, int64_t length)
{
	struct vfs_file *f;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (length < 0)
		return (int)vctx_end(&c, -EINVAL);
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	if (f->fmode & FMODE_PATH)
		err = -EBADF;
	else if (!VFS_S_ISREG(d_mode(f->path.d)) || !(f->fmode & FMODE_WRITE) ||
		 !f->of)
		err = -EINVAL;
	else
		err = truncate_common(&c, &f->path, f, length);
	fput(&c, f);
	return (int)vctx_end(&c, err);
}

/* ---- statfs ---------------------------------------------------------------------- */

static int statfs_common(struct vctx *c, struct vfs_path *vp,
			 struct fc_vfs_statfs *out)
{
	struct fc_kstatfs k;
	int err;

	memset(out, 0, sizeof(*out));
	out->fsid = vfs_dev(vp->mnt->sb);
	out->flags = vp->mnt->read_only ? FC_ST_RDONLY : 0;
	if (!vfs_is_fuse(vp->d)) {
		out->type = FC_RAMFS_MAGIC;
		out->bsize = VFS_PAGE_SIZE;
		out->frsize = VFS_PAGE_SIZE;
		out->namelen = FC_VFS_NAME_MAX;
		return 0;
	}
	if (!vp->d->node)
		return -ENOENT;
	err = fc_statfs(vp->d->sb->fuse->cl, &c->who, vp->d->node, &k);
	if (err)
		return err;
	out->type = FC_FUSE_SUPER_MAGIC;
	out->bsize = k.bsize;
	out->blocks = k.blocks;
	out->bfree = k.bfree;
	out->bavail = k.bavail;
	out->files = k.files;
	out->ffree = k.ffree;
	out->namelen = k.namelen;
	out->frsize = k.frsize;
	return 0;
}

int fc_sys_statfs(struct fc_proc *p, const char *path, struct fc_vfs_statfs *out)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!out)
		return (int)vctx_end(&c, -EFAULT);
	err = resolve_hold(&c, FC_AT_FDCWD, path, W_FOLLOW, &vp);
	if (!err)
		err = statfs_common(&c, &vp, out);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_fstatfs(struct fc_proc *p, int fd, struct fc_vfs_statfs *out)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = fd_path(&c, fd, &vp);
	if (!err)
		err = out ? statfs_common(&c, &vp, out) : -EFAULT;
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

/* ---- creating names ---------------------------------------------------------------- */

/*
 * filename_create() + may_create(): the parent is walked, the name looked
 * up with LOOKUP_EXCL (a cached entry is revalidated), and it must not
 * exist.  Lock held on return (walk_end() releases).
 */
static int create_prep(struct walk *w, struct vctx *c, int dirfd,
		       const char *path, int want_dir)
{
	struct vfs_dentry *d;
	int err = walk_begin(w, c, dirfd, path, 0);

	if (!err)
		err = walk_parent(w);
	if (err)
		return err;
	if (w->last_type != LAST_NORM)
		return -EEXIST;
	err = vfs_lookup_child(c, &w->path, w->last, w->lastlen, LK_EXCL, &d);
	if (!err) {
		d_put(d);
		return -EEXIST;
	}
	if (err != -ENOENT)
		return err;
	if (w->trailing && !want_dir)
		return -ENOENT;
	if (w->path.mnt->read_only)
		return -EROFS;
	if (w->path.d->dead)
		return -ENOENT;
	return vfs_permission(c, &w->path, MAY_WRITE | MAY_EXEC);
}

/* Link a successful creation's entry under the parent (lock held). */
static int created(struct walk *w, struct fc_entry *ent)
{
	struct vfs_dentry *dir = w->path.d;

	/* fuse_dir_changed(dir) */
	fc_node_invalidate_attr(dir->sb->fuse->cl, dir->node);
	return d_link_entry(dir, w->last, w->lastlen, ent, NULL);
}

int fc_sys_mkdirat(struct fc_proc *p, int dirfd, const char *path,
		   uint32_t mode)
{
	struct fc_entry ent;
	struct walk w;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = create_prep(&w, &c, dirfd, path, 1);
	if (!err && !vfs_is_fuse(w.path.d)) {
		err = ramfs_mkdir(&c, w.path.d, w.last, w.lastlen, mode);
	} else if (!err) {
		struct vfs_dentry *dir = w.path.d;

		vfs_unlock(c.vfs);
		err = fc_mkdir(dir->sb->fuse->cl, &c.who, dir->node, w.last,
			       w.lastlen, mode & 01777, &ent);
		vfs_lock(c.vfs);
		if (!err)
			err = created(&w, &ent);
	}
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

int fc_sys_mkdir(struct fc_proc *p, const char *path, uint32_t mode)
{
	return fc_sys_mkdirat(p, FC_AT_FDCWD, path, mode);
}

int fc_sys_mknodat(struct fc_proc *p, int dirfd, const char *path,
		   uint32_t mode, uint32_t dev)
{
	struct fc_entry ent;
	struct walk w;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	/* may_mknod() */
	switch (mode & FC_S_IFMT) {
	case 0:
		mode |= FC_S_IFREG;
		break;
	case FC_S_IFREG:
	case FC_S_IFCHR:
	case FC_S_IFBLK:
	case FC_S_IFIFO:
	case FC_S_IFSOCK:
		break;
	case FC_S_IFDIR:
		return (int)vctx_end(&c, -EPERM);
	default:
		return (int)vctx_end(&c, -EINVAL);
	}
	err = create_prep(&w, &c, dirfd, path, 0);
	if (!err && (((mode & FC_S_IFMT) == FC_S_IFCHR ||
		      (mode & FC_S_IFMT) == FC_S_IFBLK) && c.p->cred.uid != 0))
		err = -EPERM;
	if (!err && !vfs_is_fuse(w.path.d))
		err = -EPERM;
	if (!err) {
		struct vfs_dentry *dir = w.path.d;

		vfs_unlock(c.vfs);
		err = fc_mknod(dir->sb->fuse->cl, &c.who, dir->node, w.last,
			       w.lastlen, (mode & FC_S_IFMT) | (mode & 07777),
			       dev, &ent);
		vfs_lock(c.vfs);
		if (!err)
			err = created(&w, &ent);
	}
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

int fc_sys_symlinkat(struct fc_proc *p, const char *target, int newdirfd,
		     const char *linkpath)
{
	struct fc_entry ent;
	struct walk w;
	struct vctx c;
	size_t tl;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!target)
		return (int)vctx_end(&c, -EFAULT);
	tl = vfs_strnlen(target, FC_VFS_PATH_MAX);
	if (tl >= FC_VFS_PATH_MAX)
		return (int)vctx_end(&c, -ENAMETOOLONG);
	if (!tl)
		return (int)vctx_end(&c, -ENOENT);
	err = create_prep(&w, &c, newdirfd, linkpath, 0);
	if (!err && !vfs_is_fuse(w.path.d))
		err = -EPERM;
	if (!err) {
		struct vfs_dentry *dir = w.path.d;

		vfs_unlock(c.vfs);
		err = fc_symlink(dir->sb->fuse->cl, &c.who, dir->node, w.last,
				 w.lastlen, target, &ent);
		vfs_lock(c.vfs);
		if (!err)
			err = created(&w, &ent);
	}
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

int fc_sys_symlink(struct fc_proc *p, const char *target, const char *linkpath)
{
	return fc_sys_symlinkat(p, target, FC_AT_FDCWD, linkpath);
}

int fc_sys_linkat(struct fc_proc *p, int olddirfd, const char *oldpath,
		  int newdirfd, const char *newpath, int flags)
{
	struct vfs_path old;
	struct fc_entry ent;
	struct walk w;
	struct vctx c;
	unsigned wf = 0;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (flags & ~(FC_AT_SYMLINK_FOLLOW | FC_AT_EMPTY_PATH))
		return (int)vctx_end(&c, -EINVAL);
	if (flags & FC_AT_SYMLINK_FOLLOW)
		wf |= W_FOLLOW;
	if (flags & FC_AT_EMPTY_PATH)
		wf |= W_EMPTY_PATH;
	err = resolve_hold(&c, olddirfd, oldpath, wf, &old);
	if (err)
		return (int)vctx_end(&c, err);
	err = create_prep(&w, &c, newdirfd, newpath, 0);
	if (!err && old.mnt != w.path.mnt)
		err = -EXDEV;
	if (!err && d_is_dir(old.d))
		err = -EPERM;
	if (!err && !vfs_is_fuse(w.path.d))
		err = -EPERM;
	if (!err) {
		struct vfs_dentry *dir = w.path.d;

		vfs_unlock(c.vfs);
		err = fc_link(dir->sb->fuse->cl, &c.who, old.d->node, dir->node,
			      w.last, w.lastlen, &ent);
		vfs_lock(c.vfs);
		if (!err)
			err = created(&w, &ent);
	}
	path_put(&old);
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

int fc_sys_link(struct fc_proc *p, const char *oldpath, const char *newpath)
{
	return fc_sys_linkat(p, FC_AT_FDCWD, oldpath, FC_AT_FDCWD, newpath, 0);
}

/* ---- removing names ------------------------------------------------------------------ */

static int do_unlink(struct vctx *c, int dirfd, const char *path)
{
	struct vfs_dentry *d = NULL, *dir;
	struct walk w;
	int err = walk_begin(&w, c, dirfd, path, 0);

	if (!err)
		err = walk_parent(&w);
	if (err)
		goto out;
	if (w.last_type != LAST_NORM) {
		err = -EISDIR;
		goto out;
	}
	if (w.path.mnt->read_only) {
		err = -EROFS;
		goto out;
	}
	dir = w.path.d;
	err = vfs_lookup_child(c, &w.path, w.last, w.lastlen, 0, &d);
	if (err)
		goto out;
	if (w.trailing) {
		err = d_is_dir(d) ? -EISDIR : -ENOTDIR;
		goto out;
	}
	err = vfs_may_delete(c, &w.path, d, 0);
	if (!err && d->mounted)
		err = -EBUSY;
	if (!err && !vfs_is_fuse(dir))
		err = -EPERM;
	if (err)
		goto out;
	vfs_unlock(c->vfs);
	/* fuse_unlink: fuse_dir_changed (fc_unlink), fuse_entry_unlinked. */
	err = fc_unlink(dir->sb->fuse->cl, &c->who, dir->node, w.last, w.lastlen);
	if (!err)
		fc_entry_unlinked(dir->sb->fuse->cl, &c->who, d->node);
	vfs_lock(c->vfs);
	if (!err) {
		d_invalidate(d); /* d_delete */
	} else if (err == -ENOENT) {
		d_invalidate(d);
	}
out:
	if (d)
		d_put(d);
	walk_end(&w);
	return err;
}

static int do_rmdir(struct vctx *c, int dirfd, const char *path)
{
	struct vfs_dentry *d = NULL, *dir;
	struct walk w;
	int err = walk_begin(&w, c, dirfd, path, 0);

	if (!err)
		err = walk_parent(&w);
	if (err)
		goto out;
	switch (w.last_type) {
	case LAST_DOTDOT:
		err = -ENOTEMPTY;
		goto out;
	case LAST_DOT:
		err = -EINVAL;
		goto out;
	case LAST_ROOT:
		err = -EBUSY;
		goto out;
	default:
		break;
	}
	if (w.path.mnt->read_only) {
		err = -EROFS;
		goto out;
	}
	dir = w.path.d;
	err = vfs_lookup_child(c, &w.path, w.last, w.lastlen, 0, &d);
	if (err)
		goto out;
	err = vfs_may_delete(c, &w.path, d, 1);
	if (!err && d->mounted)
		err = -EBUSY;
	if (err)
		goto out;
	if (!vfs_is_fuse(dir)) {
		err = ramfs_rmdir(c, dir, d);
		goto out;
	}
	vfs_unlock(c->vfs);
	/* fuse_rmdir: fuse_dir_changed (fc_rmdir), fuse_entry_unlinked. */
	err = fc_rmdir(dir->sb->fuse->cl, &c->who, dir->node, w.last, w.lastlen);
	if (!err)
		fc_entry_unlinked(dir->sb->fuse->cl, &c->who, d->node);
	vfs_lock(c->vfs);
	if (!err) {
		d->dead = 1;
		d_invalidate(d);
	} else if (err == -ENOENT) {
		d_invalidate(d);
	}
out:
	if (d)
		d_put(d);
	walk_end(&w);
	return err;
}

int fc_sys_unlinkat(struct fc_proc *p, int dirfd, const char *path, int flags)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (flags & ~FC_AT_REMOVEDIR)
		return (int)vctx_end(&c, -EINVAL);
	if (flags & FC_AT_REMOVEDIR)
		return (int)vctx_end(&c, do_rmdir(&c, dirfd, path));
	return (int)vctx_end(&c, do_unlink(&c, dirfd, path));
}

int fc_sys_unlink(struct fc_proc *p, const char *path)
{
	return fc_sys_unlinkat(p, FC_AT_FDCWD, path, 0);
}

int fc_sys_rmdir(struct fc_proc *p, const char *path)
{
	return fc_sys_unlinkat(p, FC_AT_FDCWD, path, FC_AT_REMOVEDIR);
}

/* ---- rename ------------------------------------------------------------------------ */

static int do_rename(struct vctx *c, int olddirfd, const char *oldpath,
		     int newdirfd, const char *newpath, unsigned flags)
{
	struct vfs_path olddir = { NULL, NULL };
	struct vfs_dentry *old = NULL, *tgt = NULL, *nd;
	char oldname[FC_VFS_PATH_MAX];
	size_t oldlen = 0;
	int old_trailing = 0, err;
	struct walk w;

	/* The source's parent first, keeping its last name. */
	err = walk_begin(&w, c, olddirfd, oldpath, 0);
	if (!err)
		err = walk_parent(&w);
	if (!err && w.last_type != LAST_NORM)
		err = -EBUSY;
	if (!err) {
		olddir = w.path;
		path_get(&olddir);
		oldlen = w.lastlen;
		memcpy(oldname, w.last, oldlen);
		oldname[oldlen] = 0;
		old_trailing = w.trailing;
	}
	walk_end(&w);
	if (err)
		return err;

	err = walk_begin(&w, c, newdirfd, newpath, 0);
	if (!err)
		err = walk_parent(&w);
	if (err)
		goto out;
	if (w.last_type != LAST_NORM) {
		err = (flags & FC_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
		goto out;
	}
	if (olddir.mnt != w.path.mnt) {
		err = -EXDEV;
		goto out;
	}
	if (w.path.mnt->read_only) {
		err = -EROFS;
		goto out;
	}
	nd = w.path.d;
	err = vfs_lookup_child(c, &olddir, oldname, oldlen, 0, &old);
	if (err)
		goto out;
	/* The target: LOOKUP_RENAME_TARGET revalidates a cached entry. */
	err = vfs_lookup_child(c, &w.path, w.last, w.lastlen,
			       (flags & FC_RENAME_EXCHANGE) ? 0 : LK_EXCL, &tgt);
	if (err && err != -ENOENT)
		goto out;
	err = 0;
	if ((flags & FC_RENAME_NOREPLACE) && tgt) {
		err = -EEXIST;
		goto out;
	}
	if ((flags & FC_RENAME_EXCHANGE) && !tgt) {
		err = -ENOENT;
		goto out;
	}
	if (!d_is_dir(old)) {
		if (old_trailing ||
		    (!(flags & FC_RENAME_EXCHANGE) && w.trailing)) {
			err = -ENOTDIR;
			goto out;
		}
	}
	/* The traps of lock_rename(): a directory into its own subtree. */
	if (old->sb == nd->sb && d_is_ancestor(old, nd)) {
		err = -EINVAL;
		goto out;
	}
	if (tgt && tgt->sb == olddir.d->sb && d_is_ancestor(tgt, olddir.d)) {
		err = (flags & FC_RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
		goto out;
	}
	/* vfs_rename() */
	if (tgt && (tgt == old || (tgt->node && tgt->node == old->node)))
		goto out; /* the same inode: nothing to do */
	err = vfs_may_delete(c, &olddir, old, d_is_dir(old));
	if (err)
		goto out;
	if (!tgt) {
		err = vfs_permission(c, &w.path, MAY_WRITE | MAY_EXEC);
		if (!err && nd->dead)
			err = -ENOENT;
	} else {
		err = vfs_may_delete(c, &w.path, tgt,
				     (flags & FC_RENAME_EXCHANGE) ?
				     d_is_dir(tgt) : d_is_dir(old));
	}
	if (err)
		goto out;
	if (old->mounted || (tgt && tgt->mounted)) {
		err = -EBUSY;
		goto out;
	}
	if (!vfs_is_fuse(nd)) {
		err = ramfs_rename(olddir.d, old, nd, w.last, w.lastlen, tgt, flags);
		goto out;
	}
	{
		struct fc_client *cl = nd->sb->fuse->cl;

		vfs_unlock(c->vfs);
		err = fc_rename(cl, &c->who, olddir.d->node, oldname, oldlen,
				nd->node, w.last, w.lastlen, flags);
		if (!err) {
			/*
			 * fuse_rename_common: the ctimes change (the directories'
			 * attributes fc_rename made stale), and a replaced entry
			 * ends up negative (fuse_entry_unlinked); in
			 * writeback-cache mode a SETATTR may go out for each.
			 */
			fc_update_ctime(cl, &c->who, old->node);
			if (tgt && (flags & FC_RENAME_EXCHANGE))
				fc_update_ctime(cl, &c->who, tgt->node);
			else if (tgt)
				fc_entry_unlinked(cl, &c->who, tgt->node);
		}
		vfs_lock(c->vfs);
		if (err == -ENOENT) {
			d_invalidate(old);
			if (tgt)
				d_invalidate(tgt);
			goto out;
		}
		if (err)
			goto out;
		if (flags & FC_RENAME_EXCHANGE) {
			char tmp[FC_VFS_PATH_MAX];
			size_t tl = tgt->namelen;
			struct vfs_dentry *tparent = tgt->parent;

			memcpy(tmp, tgt->name, tl);
			d_move(tgt, olddir.d, oldname, oldlen, &err);
			if (!err)
				d_move(old, tparent, tmp, tl, &err);
		} else {
			if (tgt)
				d_invalidate(tgt); /* negative now */
			d_move(old, nd, w.last, w.lastlen, &err);
		}
		err = 0;
	}
out:
	if (old)
		d_put(old);
	if (tgt)
		d_put(tgt);
	path_put(&olddir);
	walk_end(&w);
	return err;
}

int fc_sys_renameat2(struct fc_proc *p, int olddirfd, const char *oldpath,
		     int newdirfd, const char *newpath, unsigned flags)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (flags & ~(FC_RENAME_NOREPLACE | FC_RENAME_EXCHANGE | FC_RENAME_WHITEOUT))
		return (int)vctx_end(&c, -EINVAL);
	if ((flags & (FC_RENAME_NOREPLACE | FC_RENAME_WHITEOUT)) &&
	    (flags & FC_RENAME_EXCHANGE))
		return (int)vctx_end(&c, -EINVAL);
	if ((flags & FC_RENAME_WHITEOUT) && c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	return (int)vctx_end(&c, do_rename(&c, olddirfd, oldpath, newdirfd,
					   newpath, flags));
}

int fc_sys_rename(struct fc_proc *p, const char *oldpath, const char *newpath)
{
	return fc_sys_renameat2(p, FC_AT_FDCWD, oldpath, FC_AT_FDCWD, newpath, 0);
}

/* ---- readlink, chdir, getcwd ------------------------------------------------------ */

long fc_sys_readlinkat(struct fc_proc *p, int dirfd, const char *path,
		       char *buf, size_t size)
{
	struct vfs_path vp;
	struct vctx c;
	char *target;
	size_t len;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (size == 0 || size > (size_t)INT32_MAX)
		return vctx_end(&c, -EINVAL);
	err = resolve_hold(&c, dirfd, path, W_EMPTY_PATH, &vp);
	if (err)
		return vctx_end(&c, err);
	vfs_lock(c.vfs);
	if (!VFS_S_ISLNK(d_mode(vp.d))) {
		ret = -EINVAL;
	} else if (!buf) {
		ret = -EFAULT;
	} else {
		ret = vfs_read_link(&c, vp.d, &target, &len);
		if (!ret) {
			if (len > size)
				len = size;
			memcpy(buf, target, len);
			vfs_free(c.vfs, target);
			ret = (long)len;
		}
	}
	path_put(&vp);
	vfs_unlock(c.vfs);
	return vctx_end(&c, ret);
}

long fc_sys_readlink(struct fc_proc *p, const char *path, char *buf, size_t size)
{
	return fc_sys_readlinkat(p, FC_AT_FDCWD, path, buf, size);
}

static int set_cwd(struct vctx *c, struct vfs_path *vp)
{
	int err;

	vfs_lock(c->vfs);
	if (!d_is_dir(vp->d))
		err = -ENOTDIR;
	else
		err = vfs_permission(c, vp, MAY_EXEC | MAY_CHDIR);
	if (!err)
		path_set(&c->p->cwd, vp);
	vfs_unlock(c->vfs);
	return err;
}

int fc_sys_chdir(struct fc_proc *p, const char *path)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = resolve_hold(&c, FC_AT_FDCWD, path, W_FOLLOW | W_DIRECTORY, &vp);
	if (!err)
		err = set_cwd(&c, &vp);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_fchdir(struct fc_proc *p, int fd)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = fd_path(&c, fd, &vp);
	if (!err)
		err = set_cwd(&c, &vp);
	release_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

long fc_sys_getcwd(struct fc_proc *p, char *buf, size_t size)
{
	char *tmp;
	long n;

	if (!p)
		return -EFAULT;
	tmp = vfs_alloc(p->vfs, FC_VFS_PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	vfs_lock(p->vfs);
	n = vfs_d_path(&p->cwd, 0, 1, tmp, FC_VFS_PATH_MAX);
	vfs_unlock(p->vfs);
	if (n >= 0) {
		if (!buf)
			n = -EFAULT;
		else if ((size_t)n + 1 > size)
			n = -ERANGE;
		else {
			memcpy(buf, tmp, (size_t)n + 1);
			n++;
		}
	}
	vfs_free(p->vfs, tmp);
	return n;
}
