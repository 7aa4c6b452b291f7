/*
 * open(2) and friends (Linux's do_sys_openat2 -> path_openat ->
 * open_last_lookups / lookup_open / do_open): O_CREAT sends CREATE on a
 * missing or negative entry (after a LOOKUP unless a valid negative entry
 * is cached), O_EXCL revalidates a cached entry and fails -EEXIST on an
 * existing name without CREATE, an existing file gets OPEN/OPENDIR, and
 * the open file keeps the node it was opened on.  Also fcntl().
 */
#include "vfs_i.h"

#define O_TMPFILE_BIT 020000000u

/* may_open() */
static int may_open(struct vctx *c, const struct vfs_path *p, unsigned acc_mode,
		    int flags)
{
	struct vfs_dentry *d = p->d;
	uint32_t mode = d_mode(d);
	int err;

	switch (mode & FC_S_IFMT) {
	case FC_S_IFLNK:
		return -ELOOP;
	case FC_S_IFDIR:
		if (acc_mode & MAY_WRITE)
			return -EISDIR;
		if (acc_mode & MAY_EXEC)
			return -EACCES;
		break;
	case FC_S_IFREG:
		break;
	default:
		/* Device nodes, FIFOs and sockets have no driver here. */
		return -ENXIO;
	}
	err = vfs_permission(c, p, MAY_OPEN | acc_mode);
	if (err)
		return err;
	if (flags & FC_O_NOATIME) {
		uint32_t uid = d->sb->kind == VFS_SB_RAMFS ? d->ri.uid :
			       fc_node_attr(d->node)->uid;

		if (c->p->cred.uid != 0 && c->p->cred.uid != uid)
			return -EPERM;
	}
	if ((acc_mode & MAY_WRITE) && p->mnt->read_only)
		return -EROFS;
	return 0;
}

static uint32_t plain_file_flags(uint32_t flags)
{
	return (flags & ~(uint32_t)(FC_O_CREAT | FC_O_EXCL | FC_O_NOCTTY |
				    FC_O_TRUNC)) | FC_O_LARGEFILE;
}

static unsigned fmode_of(uint32_t flags)
{
	if (flags & FC_O_PATH)
		return FMODE_PATH;
	switch (flags & FC_O_ACCMODE) {
	case FC_O_RDONLY:
		return FMODE_READ;
	case FC_O_WRONLY:
		return FMODE_WRITE;
	case FC_O_RDWR:
		return FMODE_READ | FMODE_WRITE;
	default:
		return 0;
	}
}

/* A file object on @p (lock held); takes its own path and node references. */
static struct vfs_file *make_file(struct vctx *c, const struct vfs_path *p,
				  struct fc_open_ctx *of, uint32_t flags)
{
	struct vfs_file *f = file_alloc(c->vfs);

	if (!f)
		return NULL;
	f->path = *p;
	path_get(&f->path);
	f->fmode = fmode_of(flags);
	f->is_dir = d_is_dir(p->d);
	if (vfs_is_fuse(p->d)) {
		f->fuse = p->d->sb->fuse;
		f->node = p->d->node;
		fc_node_get(f->fuse->cl, f->node);
	}
	f->of = of;
	f->flags = of ? fc_open_file_flags(of) : plain_file_flags(flags);
	return f;
}

/* Open the existing object at w->path (lock held, dropped around requests). */
static int open_existing(struct vctx *c, struct walk *w, int flags,
			 unsigned acc_mode, struct vfs_file **out)
{
	struct vfs_path p = w->path;
	struct vfs_dentry *d = p.d;
	struct fc_open_ctx *of = NULL;
	struct vfs_file *f;
	int err;

	if ((flags & FC_O_CREAT) && d_is_dir(d))
		return -EISDIR;
	if ((flags & FC_O_DIRECTORY) && !d_is_dir(d))
		return -ENOTDIR;
	if (!(flags & FC_O_PATH)) {
		err = may_open(c, &p, acc_mode, flags);
		if (err)
			return err;
	}
	if (!(flags & FC_O_PATH) && vfs_is_fuse(d)) {
		struct fc_client *cl = d->sb->fuse->cl;

		vfs_unlock(c->vfs);
		err = fc_open(cl, &c->who, d->node, (uint32_t)flags, &of);
		vfs_lock(c->vfs);
		if (err)
			return err;
	}
	f = make_file(c, &p, of, (uint32_t)flags);
	if (!f) {
		if (of) {
			vfs_unlock(c->vfs);
			fc_release(d->sb->fuse->cl, of);
			vfs_lock(c->vfs);
		}
		return -ENOMEM;
	}
	/*
	 * O_TRUNC: fc_open() did handle_truncate's truncation (OPEN carried it
	 * with ATOMIC_O_TRUNC, else SETATTR size 0 followed).  With
	 * ATOMIC_O_TRUNC, handle_truncate -> do_truncate still asks
	 * dentry_needs_remove_privs after the OPEN: the security.capability
	 * probe (GETXATTR until ENOSYS), and the removal if it is there.
	 */
	if (of && (flags & FC_O_TRUNC) && VFS_S_ISREG(d_mode(d)) &&
	    (fc_conn_info(d->sb->fuse->conn)->flags & FC_ATOMIC_O_TRUNC)) {
		int kill;

		vfs_unlock(c->vfs);
		kill = vfs_need_remove_privs(c, d, 0);
		if (kill > 0)
			vfs_remove_privs(c, d, f, (unsigned)kill);
		vfs_lock(c->vfs);
	}
	*out = f;
	return 0;
}

/* O_CREAT on a missing or negative entry: CREATE (lock held). */
static int open_create(struct vctx *c, struct walk *w, int flags, uint32_t mode,
		       struct vfs_file **out)
{
	struct vfs_dentry *dir = w->path.d, *d;
	struct fc_open_ctx *of;
	struct fc_client *cl;
	struct fc_entry ent;
	struct vfs_path p;
	struct vfs_file *f;
	int err;

	if (w->path.mnt->read_only)
		return -EROFS;
	err = vfs_permission(c, &w->path, MAY_WRITE | MAY_EXEC);
	if (err)
		return err;
	if (dir->dead)
		return -ENOENT;
	if (!vfs_is_fuse(dir))
		return -EPERM; /* ramfs holds directories only */
	cl = dir->sb->fuse->cl;
	vfs_unlock(c->vfs);
	err = fc_create(cl, &c->who, dir->node, w->last, w->lastlen,
			(uint32_t)flags, FC_S_IFREG | (mode & 07777), &ent, &of);
	vfs_lock(c->vfs);
	if (err) {
		if (err == -EEXIST) {
			d = d_find_child(dir, w->last, w->lastlen);
			if (d)
				d_invalidate(d);
		}
		return err;
	}
	/* fuse_dir_changed(dir) */
	fc_node_invalidate_attr(cl, dir->node);
	err = d_link_entry(dir, w->last, w->lastlen, &ent, &d);
	if (err) {
		vfs_unlock(c->vfs);
		fc_release(cl, of);
		vfs_lock(c->vfs);
		return err;
	}
	p.mnt = w->path.mnt;
	p.d = d;
	f = make_file(c, &p, of, (uint32_t)flags);
	d_put(d);
	if (!f) {
		vfs_unlock(c->vfs);
		fc_release(cl, of);
		vfs_lock(c->vfs);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

static int path_openat(struct vctx *c, int dirfd, const char *path, int flags,
		       uint32_t mode, unsigned acc_mode, struct vfs_file **out)
{
	struct walk w;
	int err;

	err = walk_begin(&w, c, dirfd, path, 0);
	if (!err)
		err = walk_parent(&w);
	while (!err) {
		struct vfs_dentry *d;
		struct vfs_path next;

		if (!(flags & FC_O_CREAT)) {
			w.flags = ((flags & FC_O_NOFOLLOW) ? 0 : W_FOLLOW) |
				  ((flags & FC_O_DIRECTORY) ? W_DIRECTORY : 0);
			err = walk_last(&w);
			if (!err)
				err = open_existing(c, &w, flags, acc_mode, out);
			break;
		}
		/* The create side (open_last_lookups). */
		if (w.last_type != LAST_NORM) {
			w.flags = W_FOLLOW;
			err = walk_last(&w);
			if (!err)
				err = open_existing(c, &w, flags, acc_mode, out);
			break;
		}
		if (w.trailing) {
			err = -EISDIR;
			break;
		}
		err = vfs_lookup_child(c, &w.path, w.last, w.lastlen,
				       (flags & FC_O_EXCL) ? LK_EXCL : 0, &d);
		if (err == -ENOENT) {
			err = open_create(c, &w, flags, mode, out);
			break;
		}
		if (err)
			break;
		if (flags & FC_O_EXCL) {
			d_put(d);
			err = -EEXIST;
			break;
		}
		next.mnt = w.path.mnt;
		next.d = d;
		mnt_get(next.mnt);
		if (VFS_S_ISLNK(d_mode(d)) && !(flags & FC_O_NOFOLLOW)) {
			err = walk_follow_last_link(&w, &next);
			path_put(&next);
			continue;
		}
		path_put(&w.path);
		w.path = next;
		/* Cross any mount on it, as step_into() does. */
		err = vfs_follow_mounts(&w.path, 1);
		if (!err)
			err = open_existing(c, &w, flags, acc_mode, out);
		break;
	}
	walk_end(&w);
	return err;
}

static int do_open(struct vctx *c, int dirfd, const char *path, int flags,
		   uint32_t mode)
{
	struct vfs_file *f = NULL;
	unsigned acc_mode = 0;
	size_t len;
	int fd, err;

	if (flags & (int)O_TMPFILE_BIT)
		return -EOPNOTSUPP; /* no TMPFILE in the inode operations */
	if (flags & FC_O_PATH) {
		flags &= FC_O_DIRECTORY | FC_O_NOFOLLOW | FC_O_PATH | FC_O_CLOEXEC;
	} else {
		if ((flags & (FC_O_CREAT | FC_O_DIRECTORY)) ==
		    (FC_O_CREAT | FC_O_DIRECTORY))
			return -EINVAL;
		switch (flags & FC_O_ACCMODE) {
		case FC_O_RDONLY:
			acc_mode = MAY_READ;
			break;
		case FC_O_WRONLY:
			acc_mode = MAY_WRITE;
			break;
		default:
			acc_mode = MAY_READ | MAY_WRITE;
			break;
		}
		if (flags & FC_O_TRUNC)
			acc_mode |= MAY_WRITE;
		if (flags & FC_O_APPEND)
			acc_mode |= MAY_APPEND;
		/* lookup_open(): O_EXCL creations never truncate. */
		if ((flags & (FC_O_CREAT | FC_O_EXCL)) == (FC_O_CREAT | FC_O_EXCL))
			flags &= ~FC_O_TRUNC;
	}
	/* getname(): before a descriptor is reserved. */
	if (!path)
		return -EFAULT;
	len = vfs_strnlen(path, FC_VFS_PATH_MAX);
	if (len >= FC_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	fd = fd_alloc(c->p, 0);
	if (fd < 0)
		return fd;
	err = path_openat(c, dirfd, path, flags, mode, acc_mode, &f);
	if (err) {
		fd_unreserve(c->p, fd);
		return err;
	}
	fd_install(c->p, fd, f, flags & FC_O_CLOEXEC);
	return fd;
}

int fc_sys_openat(struct fc_proc *p, int dirfd, const char *path, int flags,
		  uint32_t mode)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return (int)vctx_end(&c, do_open(&c, dirfd, path, flags, mode));
}

int fc_sys_open(struct fc_proc *p, const char *path, int flags, uint32_t mode)
{
	return fc_sys_openat(p, FC_AT_FDCWD, path, flags, mode);
}

int fc_sys_creat(struct fc_proc *p, const char *path, uint32_t mode)
{
	return fc_sys_openat(p, FC_AT_FDCWD, path,
			     FC_O_CREAT | FC_O_WRONLY | FC_O_TRUNC, mode);
}

/* ---- fcntl ------------------------------------------------------------------------ */



#define SETFL_MASK (FC_O_APPEND | FC_O_NONBLOCK | FC_O_DIRECT | FC_O_NOATIME | \
		    020000 /* O_ASYNC */)

int fc_sys_fcntl(struct fc_proc *p, int fd, int cmd, long arg)
{
	struct vfs_file *f;
	struct vctx c;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	switch (cmd) {
	case FC_F_DUPFD:
	case FC_F_DUPFD_CLOEXEC:
	case FC_F_GETFD:
	case FC_F_SETFD:
		return (int)vctx_end(&c, vfs_fcntl_fd(&c, fd, cmd, arg));
	case FC_F_GETFL:
	case FC_F_SETFL:
		break;
	case FC_F_GETLK:
	case FC_F_SETLK:
	case FC_F_SETLKW:
		return (int)vctx_end(&c, -EFAULT); /* use fc_sys_fcntl_lock() */
	default:
		return (int)vctx_end(&c, -EINVAL);
	}
	vfs_lock(c.vfs);
	f = fget(p, fd);
	if (!f) {
		vfs_unlock(c.vfs);
		return (int)vctx_end(&c, -EBADF);
	}
	if (cmd == FC_F_GETFL) {
		ret = (long)f->flags;
		if (f->fmode & FMODE_PATH)
			ret = FC_O_PATH | (long)(f->flags & ~(uint32_t)FC_O_ACCMODE);
	} else if (f->fmode & FMODE_PATH) {
		ret = -EBADF;
	} else {
		uint32_t nf = (uint32_t)arg;

		ret = 0;
		if ((nf & FC_O_NOATIME) && !(f->flags & FC_O_NOATIME)) {
			uint32_t uid = f->path.d->sb->kind == VFS_SB_RAMFS ?
				       f->path.d->ri.uid :
				       fc_node_attr(f->node)->uid;

			if (c.p->cred.uid != 0 && c.p->cred.uid != uid)
				ret = -EPERM;
		}
		if (!ret) {
			f->flags = (nf & SETFL_MASK) | (f->flags & ~(uint32_t)SETFL_MASK);
			if (f->of)
				fc_open_set_file_flags(f->of, f->flags);
		}
	}
	vfs_unlock(c.vfs);
	fput(&c, f);
	return (int)vctx_end(&c, ret);
}
