/*
 * The extended-attribute calls (fs/xattr.c): argument checks, the
 * namespace permission rules of xattr_permission(), the XATTR_SIZE_MAX /
 * XATTR_LIST_MAX clamps (E2BIG when the largest buffer is still too
 * small), then GETXATTR/SETXATTR/LISTXATTR/REMOVEXATTR through the client.
 */
#include "vfs_i.h"

static int prefix_is(const char *name, const char *prefix)
{
	size_t n = vfs_strnlen(prefix, 32);

	return vfs_strnlen(name, n) == n && memcmp(name, prefix, n) == 0;
}

/* setxattr_copy()/getxattr name rules: "" or too long is -ERANGE. */
static int check_name(const char *name)
{
	size_t n;

	if (!name)
		return -EFAULT;
	n = vfs_strnlen(name, FC_XATTR_NAME_MAX + 1);
	if (n == 0 || n > FC_XATTR_NAME_MAX)
		return -ERANGE;
	return 0;
}

/* xattr_permission() */
static int xattr_permission(struct vctx *c, struct vfs_path *vp,
			    const char *name, unsigned mask)
{
	uint32_t mode = d_mode(vp->d);
	int err;

	if (prefix_is(name, "security.") || prefix_is(name, "system."))
		return 0;
	if (prefix_is(name, "trusted.")) {
		if (c->p->cred.uid != 0)
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		return 0;
	}
	if (prefix_is(name, "user.")) {
		if (!VFS_S_ISREG(mode) && !VFS_S_ISDIR(mode))
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		if (VFS_S_ISDIR(mode) && (mode & VFS_S_ISVTX) &&
		    (mask & MAY_WRITE) && c->p->cred.uid != 0) {
			uint32_t uid = vp->d->sb->kind == VFS_SB_RAMFS ?
				       vp->d->ri.uid : fc_node_attr(vp->d->node)->uid;

			if (uid != c->p->cred.uid)
				return -EPERM;
		}
	}
	vfs_lock(c->vfs);
	err = vfs_permission(c, vp, mask);
	vfs_unlock(c->vfs);
	return err;
}

static int path_of(struct vctx *c, const char *path, int follow, int fd,
		   struct vfs_path *vp)
{
	struct vfs_file *f;
	struct walk w;
	int err;

	vp->mnt = NULL;
	if (!path) {
		if (fd < 0 && fd != FC_AT_FDCWD)
			return -EBADF;
		vfs_lock(c->vfs);
		f = fget(c->p, fd);
		if (f && (f->fmode & FMODE_PATH)) {
			f->refs--;
			f = NULL;
			vfs_unlock(c->vfs);
			return -EBADF;
		}
		if (f) {
			*vp = f->path;
			path_get(vp);
			f->refs--;
		}
		vfs_unlock(c->vfs);
		return f ? 0 : -EBADF;
	}
	err = walk_begin(&w, c, FC_AT_FDCWD, path, follow ? W_FOLLOW : 0);
	if (!err)
		err = walk_full(&w);
	if (!err) {
		*vp = w.path;
		path_get(vp);
	}
	walk_end(&w);
	return err;
}

static void put_path(struct vctx *c, struct vfs_path *vp)
{
	if (!vp->mnt)
		return;
	vfs_lock(c->vfs);
	path_put(vp);
	vfs_unlock(c->vfs);
}

static int do_setxattr(struct fc_proc *p, const char *path, int follow, int fd,
		       const char *name, const void *value, size_t size,
		       int flags)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (flags & ~(FC_XATTR_CREATE | FC_XATTR_REPLACE))
		return (int)vctx_end(&c, -EINVAL);
	err = check_name(name);
	if (err)
		return (int)vctx_end(&c, err);
	if (size > FC_XATTR_SIZE_MAX)
		return (int)vctx_end(&c, -E2BIG);
	if (size && !value)
		return (int)vctx_end(&c, -EFAULT);
	err = path_of(&c, path, follow, fd, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	if (vp.mnt->read_only)
		err = -EROFS;
	else if (!vfs_is_fuse(vp.d))
		err = -EOPNOTSUPP;
	else
		err = xattr_permission(&c, &vp, name, MAY_WRITE);
	if (!err)
		err = fc_setxattr(vp.d->sb->fuse->cl, &c.who, vp.d->node, name,
				  value, (uint32_t)size, (uint32_t)flags);
	put_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_setxattr(struct fc_proc *p, const char *path, const char *name,
		    const void *value, size_t size, int flags)
{
	if (!path)
		return -EFAULT;
	return do_setxattr(p, path, 1, -1, name, value, size, flags);
}

int fc_sys_lsetxattr(struct fc_proc *p, const char *path, const char *name,
		     const void *value, size_t size, int flags)
{
	if (!path)
		return -EFAULT;
	return do_setxattr(p, path, 0, -1, name, value, size, flags);
}

int fc_sys_fsetxattr(struct fc_proc *p, int fd, const char *name,
		     const void *value, size_t size, int flags)
{
	return do_setxattr(p, NULL, 0, fd, name, value, size, flags);
}

static long do_getxattr(struct fc_proc *p, const char *path, int follow, int fd,
			const char *name, void *value, size_t size)
{
	struct vfs_path vp;
	struct vctx c;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = check_name(name);
	if (err)
		return vctx_end(&c, err);
	if (size && !value)
		return vctx_end(&c, -EFAULT);
	if (size > FC_XATTR_SIZE_MAX)
		size = FC_XATTR_SIZE_MAX;
	err = path_of(&c, path, follow, fd, &vp);
	if (err)
		return vctx_end(&c, err);
	if (!vfs_is_fuse(vp.d))
		ret = -EOPNOTSUPP;
	else
		ret = xattr_permission(&c, &vp, name, MAY_READ);
	if (!ret) {
		ret = fc_getxattr(vp.d->sb->fuse->cl, &c.who, vp.d->node, name,
				  value, (uint32_t)size);
		if (ret == -ERANGE && size >= FC_XATTR_SIZE_MAX)
			ret = -E2BIG;
	}
	put_path(&c, &vp);
	return vctx_end(&c, ret);
}

long fc_sys_getxattr(struct fc_proc *p, const char *path, const char *name,
		     void *value, size_t size)
{
	if (!path)
		return -EFAULT;
	return do_getxattr(p, path, 1, -1, name, value, size);
}

long fc_sys_lgetxattr(struct fc_proc *p, const char *path, const char *name,
		      void *value, size_t size)
{
	if (!path)
		return -EFAULT;
	return do_getxattr(p, path, 0, -1, name, value, size);
}

long fc_sys_fgetxattr(struct fc_proc *p, int fd, const char *name, void *value,
		      size_t size)
{
	return do_getxattr(p, NULL, 0, fd, name, value, size);
}

static long do_listxattr(struct fc_proc *p, const char *path, int follow,
			 int fd, char *list, size_t size)
{
	struct vfs_path vp;
	struct vctx c;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (size && !list)
		return vctx_end(&c, -EFAULT);
	if (size > FC_XATTR_LIST_MAX)
		size = FC_XATTR_LIST_MAX;
	err = path_of(&c, path, follow, fd, &vp);
	if (err)
		return vctx_end(&c, err);
	if (!vfs_is_fuse(vp.d)) {
		ret = 0; /* no attributes on ramfs */
	} else {
		ret = fc_listxattr(vp.d->sb->fuse->cl, &c.who, vp.d->node, list,
				   (uint32_t)size);
		if (ret == -ERANGE && size >= FC_XATTR_LIST_MAX)
			ret = -E2BIG;
	}
	put_path(&c, &vp);
	return vctx_end(&c, ret);
}

long fc_sys_listxattr(struct fc_proc *p, const char *path, char *list,
		      size_t size)
{
	if (!path)
		return -EFAULT;
	return do_listxattr(p, path, 1, -1, list, size);
}

long fc_sys_llistxattr(struct fc_proc *p, const char *path, char *list,
		       size_t size)
{
	if (!path)
		return -EFAULT;
	return do_listxattr(p, path, 0, -1, list, size);
}

long fc_sys_flistxattr(struct fc_proc *p, int fd, char *list, size_t size)
{
	return do_listxattr(p, NULL, 0, fd, list, size);
}

static int do_removexattr(struct fc_proc *p, const char *path, int follow,
			  int fd, const char *name)
{
	struct vfs_path vp;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	err = check_name(name);
	if (err)
		return (int)vctx_end(&c, err);
	err = path_of(&c, path, follow, fd, &vp);
	if (err)
		return (int)vctx_end(&c, err);
	if (vp.mnt->read_only)
		err = -EROFS;
	else if (!vfs_is_fuse(vp.d))
		err = -EOPNOTSUPP;
	else
		err = xattr_permission(&c, &vp, name, MAY_WRITE);
	if (!err)
		err = fc_removexattr(vp.d->sb->fuse->cl, &c.who, vp.d->node, name);
	put_path(&c, &vp);
	return (int)vctx_end(&c, err);
}

int fc_sys_removexattr(struct fc_proc *p, const char *path, const char *name)
{
	if (!path)
		return -EFAULT;
	return do_removexattr(p, path, 1, -1, name);
}

int fc_sys_lremovexattr(struct fc_proc *p, const char *path, const char *name)
{
	if (!path)
		return -EFAULT;
	return do_removexattr(p, path, 0, -1, name);
}

int fc_sys_fremovexattr(struct fc_proc *p, int fd, const char *name)
{
	return do_removexattr(p, NULL, 0, fd, name);
}
