/*
 * The path walk (Linux's fs/namei.c): components, ".", "..", symlinks
 * (READLINK through the client, at most FC_VFS_MAXSYMLINKS per walk),
 * crossing into the top mount at each mount point, ".." out of a mount
 * root, FUSE submount automounts, and the permission checks
 * (generic_permission on cached attributes, fuse_permission's GETATTR
 * refresh and ACCESS requests).
 */
#include "vfs_i.h"

/* ---- permissions ---------------------------------------------------------------- */

int vfs_in_group(const struct fc_vfs_cred *cred, uint32_t gid)
{
	uint32_t i;

	if (cred->gid == gid)
		return 1;
	for (i = 0; i < cred->ngroups && i < FC_VFS_NGROUPS_MAX; i++)
		if (cred->groups[i] == gid)
			return 1;
	return 0;
}

int vfs_generic_permission(const struct fc_vfs_cred *cred, uint32_t mode,
			   uint32_t uid, uint32_t gid, unsigned mask)
{
	uint32_t m;

	mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
	if (cred->uid == 0) {
		/* CAP_DAC_OVERRIDE, except exec of a file nobody may execute. */
		if (!(mask & MAY_EXEC) || VFS_S_ISDIR(mode) || (mode & 0111))
			return 0;
		return -EACCES;
	}
	if (cred->uid == uid)
		m = mode >> 6;
	else if (vfs_in_group(cred, gid))
		m = mode >> 3;
	else
		m = mode;
	return (mask & ~m & 7) ? -EACCES : 0;
}

int vfs_fuse_dp(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_FUSE && d->sb->fuse->default_permissions;
}

/*
 * fuse_perm_getattr: a forced GETATTR (lock dropped around it); the fresh
 * attributes land in @attr.
 */
static int perm_getattr(struct vctx *c, struct vfs_dentry *d,
			struct fc_attr *attr)
{
	int err;

	vfs_unlock(c->vfs);
	err = fc_getattr(d->sb->fuse->cl, &c->who, d->node, NULL, 1, attr);
	vfs_lock(c->vfs);
	return err;
}

int vfs_permission(struct vctx *c, const struct vfs_path *p, unsigned mask)
{
	const struct fc_vfs_cred *cred = &c->p->cred;
	struct vfs_dentry *d = p->d;
	struct fc_client *cl;
	struct fc_attr snap;
	const struct fc_attr *a = &snap;
	int refreshed = 0, err;

	if (d->sb->kind == VFS_SB_RAMFS)
		return vfs_generic_permission(cred, d->ri.mode, d->ri.uid,
					      d->ri.gid, mask);
	if (!d->node)
		return -ENOENT;
	if (fc_node_is_stale(d->node))
		return -ESTALE;
	cl = d->sb->fuse->cl;
	fc_node_attr_snapshot(cl, d->node, &snap);
	if (vfs_fuse_dp(d) || ((mask & MAY_EXEC) && VFS_S_ISREG(a->mode))) {
		/* fuse_permission: mode, uid and gid stale or timed out. */
		if (fc_node_attr_stale(cl, d->node, FC_STATX_MODE | FC_STATX_UID |
						    FC_STATX_GID)) {
			refreshed = 1;
			err = perm_getattr(c, d, &snap);
			if (err)
				return err;
		}
	}
	if (vfs_fuse_dp(d)) {
		err = vfs_generic_permission(cred, a->mode, a->uid, a->gid, mask);
		if (err == -EACCES && !refreshed) {
			err = perm_getattr(c, d, &snap);
			if (!err)
				err = vfs_generic_permission(cred, a->mode, a->uid,
							     a->gid, mask);
		}
		return err;
	}
	if (mask & (MAY_ACCESS | MAY_CHDIR)) {
		vfs_unlock(c->vfs);
		err = fc_access(cl, &c->who, d->node,
				mask & (MAY_READ | MAY_WRITE | MAY_EXEC));
		vfs_lock(c->vfs);
		return err;
	}
	if ((mask & MAY_EXEC) && VFS_S_ISREG(a->mode) && !(a->mode & 0111)) {
		if (refreshed)
			return -EACCES;
		err = perm_getattr(c, d, &snap);
		if (!err && !(a->mode & 0111))
			err = -EACCES;
		return err;
	}
	return 0;
}

/* check_sticky() */
static int sticky_denied(struct vctx *c, struct vfs_dentry *dir,
			 struct vfs_dentry *victim)
{
	const struct fc_vfs_cred *cred = &c->p->cred;
	uint32_t duid, vuid;

	if (!(d_mode(dir) & VFS_S_ISVTX) || cred->uid == 0)
		return 0;
	if (dir->sb->kind == VFS_SB_RAMFS) {
		duid = dir->ri.uid;
		vuid = victim->ri.uid;
	} else {
		duid = fc_node_attr(dir->node)->uid;
		vuid = fc_node_attr(victim->node)->uid;
	}
	return cred->uid != vuid && cred->uid != duid;
}

int vfs_may_delete(struct vctx *c, const struct vfs_path *dir,
		   struct vfs_dentry *victim, int isdir)
{
	int err;

	if (d_negative(victim))
		return -ENOENT;
	err = vfs_permission(c, dir, MAY_WRITE | MAY_EXEC);
	if (err)
		return err;
	if (sticky_denied(c, dir->d, victim))
		return -EPERM;
	if (isdir) {
		if (!d_is_dir(victim))
			return -ENOTDIR;
		if (!victim->parent)
			return -EBUSY;
	} else if (d_is_dir(victim)) {
		return -EISDIR;
	}
	if (dir->d->dead)
		return -ENOENT;
	return 0;
}

/* ---- symlinks ----------------------------------------------------------------------- */

int vfs_read_link(struct vctx *c, struct vfs_dentry *d, char **out, size_t *lenp)
{
	struct fc_vfs *vfs = c->vfs;
	char *buf;
	int n;

	*out = NULL;
	*lenp = 0;
	if (d->sb->kind != VFS_SB_FUSE || !d->node ||
	    !VFS_S_ISLNK(d_mode(d)))
		return -EINVAL;
	buf = vfs_alloc(vfs, FC_VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	d_get(d);
	vfs_unlock(vfs);
	n = fc_readlink(d->sb->fuse->cl, &c->who, d->node, buf, FC_VFS_PATH_MAX);
	vfs_lock(vfs);
	d_put(d);
	if (n >= 0 && vfs_strnlen(buf, (size_t)n) != (size_t)n)
		n = -EIO; /* a NUL inside the target */
	if (n < 0) {
		vfs_free(vfs, buf);
		return n;
	}
	buf[n] = 0;
	*out = buf;
	*lenp = (size_t)n;
	return 0;
}

static int get_link(struct walk *w, struct vfs_path *link, const char **body)
{
	char *buf;
	size_t len;
	int err;

	/* nd->total_link_count++ >= MAXSYMLINKS */
	if (w->total_links++ >= FC_VFS_MAXSYMLINKS ||
	    w->nbufs >= sizeof(w->bufs) / sizeof(w->bufs[0]))
		return -ELOOP;
	err = vfs_read_link(w->c, link->d, &buf, &len);
	if (err)
		return err;
	w->bufs[w->nbufs++] = buf;
	if (!len)
		return -ENOENT;
	*body = buf;
	return 0;
}

/* ---- walking ------------------------------------------------------------------------- */

int vfs_follow_mounts(struct vfs_path *p, int automount)
{
	int err;

	for (;;) {
		struct vfs_mount *m = mnt_child_at(p->mnt, p->d);

		if (m) {
			struct vfs_path np = { m, m->root };

			path_set(p, &np);
			continue;
		}
		if (p->d->automount && automount) {
			err = mnt_automount(p);
			if (err)
				return err;
			continue;
		}
		return 0;
	}
}

static int follow_dotdot(struct walk *w)
{
	struct vfs_path p = w->path, np;

	for (;;) {
		if (p.mnt == w->root.mnt && p.d == w->root.d)
			break;
		if (p.d != p.mnt->root) {
			if (p.d->parent)
				p.d = p.d->parent;
			break;
		}
		if (!p.mnt->parent)
			break;
		p.d = p.mnt->mountpoint;
		p.mnt = p.mnt->parent;
	}
	np = p;
	path_get(&np);
	path_put(&w->path);
	w->path = np;
	return vfs_follow_mounts(&w->path, 1);
}

static int link_path_walk(struct walk *w, const char *s);
static int lookup_last(struct walk *w, int follow, int automount, unsigned lk,
		       int need_dir);

static int is_symlink(const struct vfs_dentry *d)
{
	return VFS_S_ISLNK(d_mode(d));
}

/* A symlink met before the last component: resolve it completely. */
static int follow_link_inner(struct walk *w, struct vfs_path *link)
{
	const char *body;
	int err;

	if (w->depth >= FC_VFS_MAXSYMLINKS)
		return -ELOOP;
	err = get_link(w, link, &body);
	if (err)
		return err;
	w->depth++;
	err = link_path_walk(w, body);
	if (!err)
		err = lookup_last(w, 1, 1, 0, 0);
	w->depth--;
	return err;
}

static int walk_component(struct walk *w, const char *name, size_t len,
			  int type)
{
	struct vfs_path next;
	struct vfs_dentry *d;
	int err;

	if (type == LAST_DOT)
		return 0;
	if (type == LAST_DOTDOT)
		return follow_dotdot(w);
	err = vfs_lookup_child(w->c, &w->path, name, len, 0, &d);
	if (err)
		return err;
	next.mnt = w->path.mnt;
	next.d = d;
	mnt_get(next.mnt);
	err = vfs_follow_mounts(&next, 1);
	if (!err && is_symlink(next.d))
		err = follow_link_inner(w, &next);
	else if (!err) {
		path_put(&w->path);
		w->path = next;
		return 0;
	}
	path_put(&next);
	return err;
}

static int link_path_walk(struct walk *w, const char *s)
{
	int err;

	if (*s == '/') {
		path_set(&w->path, &w->root);
		while (*s == '/')
			s++;
	}
	if (!*s) {
		w->last = s;
		w->lastlen = 0;
		w->last_type = LAST_ROOT;
		w->trailing = 0;
		return 0;
	}
	for (;;) {
		const char *name = s;
		size_t len;
		int type = LAST_NORM, trailing = 0;

		err = vfs_permission(w->c, &w->path, MAY_EXEC);
		if (err)
			return err;
		while (*s && *s != '/')
			s++;
		len = (size_t)(s - name);
		if (len == 1 && name[0] == '.')
			type = LAST_DOT;
		else if (len == 2 && name[0] == '.' && name[1] == '.')
			type = LAST_DOTDOT;
		while (*s == '/') {
			s++;
			trailing = 1;
		}
		if (!*s) {
			w->last = name;
			w->lastlen = len;
			w->last_type = type;
			w->trailing = trailing;
			return 0;
		}
		err = walk_component(w, name, len, type);
		if (err)
			return err;
		if (!d_is_dir(w->path.d))
			return -ENOTDIR;
	}
}

static int lookup_last(struct walk *w, int follow, int automount, unsigned lk,
		       int need_dir)
{
	struct vfs_path next;
	struct vfs_dentry *d;
	const char *body;
	int err;

	for (;;) {
		if (w->trailing) {
			follow = 1;
			need_dir = 1;
		}
		if (w->last_type == LAST_DOTDOT) {
			err = follow_dotdot(w);
			if (err)
				return err;
			break;
		}
		if (w->last_type != LAST_NORM)
			break;
		err = vfs_lookup_child(w->c, &w->path, w->last, w->lastlen, lk, &d);
		if (err)
			return err;
		next.mnt = w->path.mnt;
		next.d = d;
		mnt_get(next.mnt);
		err = vfs_follow_mounts(&next, automount);
		if (err) {
			path_put(&next);
			return err;
		}
		if (follow && is_symlink(next.d)) {
			err = get_link(w, &next, &body);
			path_put(&next);
			if (!err)
				err = link_path_walk(w, body);
			if (err)
				return err;
			lk = 0;
			continue;
		}
		path_put(&w->path);
		w->path = next;
		break;
	}
	if (need_dir && !d_is_dir(w->path.d))
		return -ENOTDIR;
	return 0;
}

/* ---- the walk API ---------------------------------------------------------------- */

int walk_begin(struct walk *w, struct vctx *c, int dirfd, const char *path,
	       unsigned flags)
{
	struct fc_proc *p = c->p;
	size_t len;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->flags = flags;
	w->name = path;
	vfs_lock(c->vfs);
	if (!path)
		return -EFAULT;
	len = vfs_strnlen(path, FC_VFS_PATH_MAX);
	if (len >= FC_VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (!len && !(flags & W_EMPTY_PATH))
		return -ENOENT;
	w->root = p->root;
	path_get(&w->root);
	if (path[0] == '/' || (dirfd == FC_AT_FDCWD)) {
		w->path = path[0] == '/' ? p->root : p->cwd;
		path_get(&w->path);
		return 0;
	}
	{
		struct vfs_file *f = fget(p, dirfd);

		if (!f)
			return -EBADF;
		w->path = f->path;
		path_get(&w->path);
		/* The descriptor's reference was taken under the VFS lock. */
		f->refs--;
		if (len && !d_is_dir(w->path.d))
			return -ENOTDIR;
	}
	return 0;
}

int walk_parent(struct walk *w)
{
	return link_path_walk(w, w->name);
}

int walk_last(struct walk *w)
{
	return lookup_last(w, !!(w->flags & W_FOLLOW),
			   !(w->flags & W_NOAUTOMOUNT),
			   (w->flags & W_EXCL) ? LK_EXCL : 0,
			   !!(w->flags & W_DIRECTORY));
}

int walk_full(struct walk *w)
{
	int err = walk_parent(w);

	return err ? err : walk_last(w);
}

int walk_follow_last_link(struct walk *w, struct vfs_path *link)
{
	const char *body;
	int err = get_link(w, link, &body);

	return err ? err : link_path_walk(w, body);
}

void walk_end(struct walk *w)
{
	struct fc_vfs *vfs = w->c->vfs;
	unsigned i;

	path_put(&w->path);
	path_put(&w->root);
	for (i = 0; i < w->nbufs; i++)
		vfs_free(vfs, w->bufs[i]);
	w->nbufs = 0;
	vfs_unlock(vfs);
}
