/*
 * The mount namespace: superblocks, mounts, mount / bind / rbind / move /
 * umount (lazy too), FUSE submount automounts, and the listing in the
 * spirit of /proc/self/mountinfo.  Every path shown is computed from the
 * mount tree and the dentry tree, never asked of a file system.
 */
#include "vfs_i.h"

/* ---- superblocks ----------------------------------------------------------------- */

struct vfs_sb *sb_new(struct fc_vfs *vfs, enum vfs_sb_kind kind)
{
	struct vfs_sb *sb = vfs_zalloc(vfs, sizeof(*sb));

	if (!sb)
		return NULL;
	sb->vfs = vfs;
	sb->kind = kind;
	sb->dev_minor = vfs->next_dev_minor++;
	sb->next_ino = 1;
	sb->next = vfs->sbs;
	vfs->sbs = sb;
	return sb;
}

/* The last mount of @sb went: drop its dentries (their nodes go too). */
static void sb_put(struct vfs_sb *sb)
{
	struct fc_vfs *vfs = sb->vfs;
	struct vfs_sb **pp;

	if (--sb->refs)
		return;
	if (sb->root) {
		if (sb->kind == VFS_SB_RAMFS)
			ramfs_kill_tree(sb->root);
		d_shrink(sb->root);
		d_put(sb->root);
		sb->root = NULL;
	}
	for (pp = &vfs->sbs; *pp; pp = &(*pp)->next) {
		if (*pp == sb) {
			*pp = sb->next;
			break;
		}
	}
	if (sb->fuse && --sb->fuse->nsb == 0) {
		struct vfs_fuse *f = sb->fuse, **fp;

		/* The client's last superblock: release it once nobody flushes. */
		f->dead = 1;
		for (fp = &vfs->fuses; *fp; fp = &(*fp)->next) {
			if (*fp == f) {
				*fp = f->next;
				break;
			}
		}
		f->next = vfs->released;
		vfs->released = f;
	}
	vfs_free(vfs, sb);
}

/* ---- mounts ------------------------------------------------------------------------ */

void mnt_get(struct vfs_mount *m)
{
	m->refs++;
}

void mnt_put(struct vfs_mount *m)
{
	struct fc_vfs *vfs;
	struct vfs_mount **pp, *prev = NULL;

	if (--m->refs)
		return;
	vfs = m->sb->vfs;
	for (pp = &vfs->mounts; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			if (vfs->mounts_tail == m)
				vfs->mounts_tail = prev;
			break;
		}
	}
	d_put(m->root);
	sb_put(m->sb);
	vfs_free(vfs, m);
}

void path_get(struct vfs_path *p)
{
	mnt_get(p->mnt);
	d_get(p->d);
}

void path_put(struct vfs_path *p)
{
	if (!p->mnt)
		return;
	d_put(p->d);
	mnt_put(p->mnt);
	p->mnt = NULL;
	p->d = NULL;
}

void path_set(struct vfs_path *dst, const struct vfs_path *src)
{
	struct vfs_path old = *dst;

	dst->mnt = src->mnt;
	dst->d = src->d;
	path_get(dst);
	path_put(&old);
}

static struct vfs_mount *mnt_new(struct fc_vfs *vfs, struct vfs_sb *sb,
				 struct vfs_dentry *root)
{
	struct vfs_mount *m = vfs_zalloc(vfs, sizeof(*m));

	if (!m)
		return NULL;
	m->id = vfs->next_mnt_id++;
	m->sb = sb;
	sb->refs++;
	m->root = root;
	d_get(root);
	if (vfs->mounts_tail)
		vfs->mounts_tail->next = m;
	else
		vfs->mounts = m;
	vfs->mounts_tail = m;
	return m;
}

static void mnt_attach(struct vfs_mount *m, struct vfs_mount *parent,
		       struct vfs_dentry *mp)
{
	m->parent = parent;
	m->mountpoint = mp;
	d_get(mp);
	mp->mounted++;
	if (!m->attached) {
		m->attached = 1;
		m->refs++;
	}
	m->seq = ++m->sb->vfs->mount_seq;
}

/* Undo mnt_attach's link to the parent (the namespace reference stays). */
static void mnt_unlink_parent(struct vfs_mount *m)
{
	if (m->mountpoint) {
		m->mountpoint->mounted--;
		d_put(m->mountpoint);
	}
	m->mountpoint = NULL;
	m->parent = NULL;
}

static void mnt_detach(struct vfs_mount *m)
{
	if (!m->attached)
		return;
	m->attached = 0;
	mnt_unlink_parent(m);
	mnt_put(m);
}

void mnt_detach_tree(struct vfs_mount *m)
{
	struct fc_vfs *vfs = m->sb->vfs;
	struct vfs_mount *c;

	mnt_get(m);
again:
	for (c = vfs->mounts; c; c = c->next) {
		if (c->attached && c->parent == m) {
			mnt_detach_tree(c);
			goto again;
		}
	}
	mnt_detach(m);
	mnt_put(m);
}

void mnt_detach_under(struct vfs_dentry *d)
{
	struct fc_vfs *vfs = d->sb->vfs;
	struct vfs_mount *m;

again:
	for (m = vfs->mounts; m; m = m->next) {
		if (m->attached && m->mountpoint && m->mountpoint->sb == d->sb &&
		    d_is_ancestor(d, m->mountpoint)) {
			mnt_detach_tree(m);
			goto again;
		}
	}
}

struct vfs_mount *mnt_child_at(struct vfs_mount *m, struct vfs_dentry *d)
{
	struct vfs_mount *c;

	if (!d->mounted)
		return NULL;
	for (c = m->sb->vfs->mounts; c; c = c->next)
		if (c->attached && c->parent == m && c->mountpoint == d)
			return c;
	return NULL;
}

/* ---- FUSE submounts ------------------------------------------------------------ */

/*
 * fuse_dentry_automount + fuse_get_tree_submount: a new superblock on the
 * same client (own device number) whose root is the mount point's node,
 * mounted on @path as a child of @path->mnt.  Lock held.
 */
int mnt_automount(struct vfs_path *path)
{
	struct vfs_sb *psb = path->mnt->sb, *sb;
	struct fc_vfs *vfs = psb->vfs;
	struct vfs_dentry *root;
	struct vfs_mount *m;

	if (psb->kind != VFS_SB_FUSE || !path->d->node)
		return -ENOENT;
	sb = sb_new(vfs, VFS_SB_FUSE);
	if (!sb)
		return -ENOMEM;
	sb->fuse = psb->fuse;
	sb->fuse->nsb++;
	sb->submount = 1;
	memcpy(sb->source, psb->source, sizeof(sb->source));
	memcpy(sb->fstype, psb->fstype, sizeof(sb->fstype));
	root = d_alloc(sb, NULL, NULL, 0);
	if (!root) {
		sb->refs = 1;
		sb_put(sb);
		return -ENOMEM;
	}
	fc_node_get(sb->fuse->cl, path->d->node);
	d_set_node(root, path->d->node);
	root->entry_deadline = UINT64_MAX;
	sb->root = root;
	m = mnt_new(vfs, sb, root);
	if (!m) {
		sb->refs = 1;
		sb_put(sb);
		return -ENOMEM;
	}
	m->submount = 1;
	m->read_only = path->mnt->read_only;
	mnt_attach(m, path->mnt, path->d);
	return 0;
}

/* ---- namespace setup ----------------------------------------------------------- */

int vfs_mount_init(struct fc_vfs *vfs)
{
	struct vfs_sb *sb = ramfs_new_sb(vfs, "rootfs");
	struct vfs_mount *m;

	if (!sb)
		return -ENOMEM;
	m = mnt_new(vfs, sb, sb->root);
	if (!m) {
		sb->refs = 1;
		sb_put(sb);
		return -ENOMEM;
	}
	m->attached = 1;
	m->refs = 1;
	m->seq = ++vfs->mount_seq;
	vfs->rootmnt = m;
	return 0;
}

void vfs_mount_teardown(struct fc_vfs *vfs)
{
	vfs_lock(vfs);
	if (vfs->rootmnt)
		mnt_detach_tree(vfs->rootmnt);
	vfs->rootmnt = NULL;
	vfs_unlock(vfs);
}

/* ---- paths ------------------------------------------------------------------------ */

static int prepend(char *buf, size_t *pos, const char *s, size_t n)
{
	if (n > *pos)
		return -ENAMETOOLONG;
	*pos -= n;
	memcpy(buf + *pos, s, n);
	return 0;
}

long vfs_d_path(const struct vfs_path *p, int fs_relative, int strict,
		char *buf, size_t size)
{
	struct fc_vfs *vfs = p->mnt->sb->vfs;
	struct vfs_mount *m = p->mnt;
	struct vfs_dentry *d = p->d;
	size_t pos = size;
	int unreachable = 0, err = 0;

	if (size < 2)
		return -ENAMETOOLONG;
	buf[--pos] = 0;
	for (;;) {
		if (fs_relative) {
			if (!d->parent)
				break;
		} else if (d == m->root) {
			if (m->parent) {
				d = m->mountpoint;
				m = m->parent;
				continue;
			}
			if (m != vfs->rootmnt || !m->attached)
				unreachable = 1;
			break;
		} else if (!d->parent) {
			unreachable = 1;
			break;
		}
		if (!d->hashed)
			unreachable = 1;
		err = prepend(buf, &pos, d->name, d->namelen);
		if (!err)
			err = prepend(buf, &pos, "/", 1);
		if (err)
			return err;
		d = d->parent;
	}
	if (pos == size - 1 && prepend(buf, &pos, "/", 1))
		return -ENAMETOOLONG;
	if (unreachable && strict)
		return -ENOENT;
	memmove(buf, buf + pos, size - pos);
	return (long)(size - pos - 1);
}

/* ---- the syscalls ------------------------------------------------------------------ */

void fc_vfs_mount_opts_default(struct fc_vfs_mount_opts *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof(*o));
	o->version = FC_VFS_MOUNT_OPTS_VERSION;
}

/* Resolve @path to a directory for mounting on; lock held on success. */
static int mount_target(struct walk *w, struct vctx *c, const char *path)
{
	int err = walk_begin(w, c, FC_AT_FDCWD, path, W_FOLLOW);

	if (!err)
		err = walk_full(w);
	return err;
}

static int graft_check(struct vfs_dentry *mp, struct vfs_dentry *root)
{
	if (d_negative(mp))
		return -ENOENT;
	if (d_is_dir(mp) != d_is_dir(root))
		return -ENOTDIR;
	return 0;
}

int fc_vfs_mount_fuse(struct fc_vfs *vfs, struct fc_proc *p, const char *path,
		      struct fc_client *cl, const struct fc_vfs_mount_opts *opts)
{
	struct fc_vfs_mount_opts def;
	struct vfs_fuse *fuse, *f;
	struct vfs_sb *sb;
	struct vfs_dentry *root;
	struct vfs_mount *m;
	struct fc_conn *conn;
	struct walk w;
	struct vctx c;
	int err, id;

	if (!vfs || !p || !path)
		return -EFAULT;
	if (!cl || p->vfs != vfs)
		return -EINVAL;
	if (!opts) {
		fc_vfs_mount_opts_default(&def);
		opts = &def;
	}
	if (opts->version != FC_VFS_MOUNT_OPTS_VERSION)
		return -EINVAL;
	conn = fc_client_conn(cl);
	if (fc_conn_state(conn) != FC_CONN_READY)
		return -ENOTCONN;
	err = vctx_begin(&c, p);
	if (err)
		return err;
	if (c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	err = mount_target(&w, &c, path);
	if (err)
		goto out;
	for (f = vfs->fuses; f; f = f->next)
		if (f->cl == cl)
			err = -EBUSY;
	for (f = vfs->released; f; f = f->next)
		if (f->cl == cl)
			err = -EBUSY;
	if (!err && !d_is_dir(w.path.d))
		err = -ENOTDIR;
	if (err)
		goto out;
	fuse = vfs_zalloc(vfs, sizeof(*fuse));
	sb = fuse ? sb_new(vfs, VFS_SB_FUSE) : NULL;
	root = sb ? d_alloc(sb, NULL, NULL, 0) : NULL;
	if (!root) {
		if (sb) {
			sb->refs = 1;
			sb_put(sb);
		}
		vfs_free(vfs, fuse);
		err = -ENOMEM;
		goto out;
	}
	fuse->vfs = vfs;
	fuse->cl = cl;
	fuse->conn = conn;
	fuse->default_permissions = opts->default_permissions ||
				    fc_conn_info(conn)->default_permissions;
	fuse->owner_uid = c.p->cred.uid;
	fuse->owner_gid = c.p->cred.gid;
	fuse->release = opts->release;
	fuse->release_ctx = opts->release_ctx;
	fuse->nsb = 1;
	fuse->next = vfs->fuses;
	vfs->fuses = fuse;
	sb->fuse = fuse;
	vfs_strlcpy(sb->source, opts->source ? opts->source : "fuse",
		    sizeof(sb->source));
	if (opts->subtype && opts->subtype[0]) {
		memcpy(sb->fstype, "fuse.", 5);
		vfs_strlcpy(sb->fstype + 5, opts->subtype, 32);
	} else {
		vfs_strlcpy(sb->fstype, "fuse", sizeof(sb->fstype));
	}
	fc_node_get(cl, fc_client_root(cl));
	d_set_node(root, fc_client_root(cl));
	root->entry_deadline = UINT64_MAX;
	sb->root = root;
	m = mnt_new(vfs, sb, root);
	if (!m) {
		sb->refs = 1;
		sb_put(sb);
		err = -ENOMEM;
		goto out;
	}
	m->read_only = !!opts->read_only;
	mnt_attach(m, w.path.mnt, w.path.d);
	id = m->id;
	walk_end(&w);
	fc_conn_set_notify(conn, vfs_notify, fuse);
	return (int)vctx_end(&c, id);
out:
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

int fc_vfs_mount_ramfs(struct fc_vfs *vfs, struct fc_proc *p, const char *path,
		       const char *source)
{
	struct vfs_sb *sb;
	struct vfs_mount *m;
	struct walk w;
	struct vctx c;
	int err;

	if (!vfs || !p || !path)
		return -EFAULT;
	if (p->vfs != vfs)
		return -EINVAL;
	err = vctx_begin(&c, p);
	if (err)
		return err;
	if (c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	err = mount_target(&w, &c, path);
	if (!err && !d_is_dir(w.path.d))
		err = -ENOTDIR;
	if (!err) {
		sb = ramfs_new_sb(vfs, source ? source : "none");
		m = sb ? mnt_new(vfs, sb, sb->root) : NULL;
		if (!m) {
			if (sb) {
				sb->refs = 1;
				sb_put(sb);
			}
			err = -ENOMEM;
		} else {
			mnt_attach(m, w.path.mnt, w.path.d);
			err = m->id;
		}
	}
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

/* Clone the mounts below @src (within @sub if set) onto @dst (copy_tree). */
static int clone_children(struct vfs_mount *src, struct vfs_mount *dst,
			  struct vfs_dentry *sub, uint64_t before)
{
	struct fc_vfs *vfs = src->sb->vfs;
	struct vfs_mount *c, *cc;
	int err;

	for (c = vfs->mounts; c; c = c->next) {
		if (!c->attached || c->parent != src || c->seq > before)
			continue;
		if (sub && !d_is_ancestor(sub, c->mountpoint))
			continue;
		cc = mnt_new(vfs, c->sb, c->root);
		if (!cc)
			return -ENOMEM;
		cc->submount = c->submount;
		cc->read_only = c->read_only;
		mnt_attach(cc, dst, c->mountpoint);
		err = clone_children(c, cc, NULL, before);
		if (err)
			return err;
	}
	return 0;
}

int fc_vfs_mount_bind(struct fc_vfs *vfs, struct fc_proc *p, const char *src,
		      const char *dst, int recursive)
{
	struct vfs_path sp = { NULL, NULL };
	struct vfs_mount *m;
	struct walk w;
	struct vctx c;
	uint64_t before;
	int err;

	if (!vfs || !p || !src || !dst)
		return -EFAULT;
	if (p->vfs != vfs)
		return -EINVAL;
	err = vctx_begin(&c, p);
	if (err)
		return err;
	if (c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	err = mount_target(&w, &c, src);
	if (!err) {
		sp = w.path;
		path_get(&sp);
		if (!sp.mnt->attached)
			err = -EINVAL;
	}
	walk_end(&w);
	if (err)
		goto out;
	err = mount_target(&w, &c, dst);
	if (!err)
		err = graft_check(w.path.d, sp.d);
	if (!err) {
		before = vfs->mount_seq;
		m = mnt_new(vfs, sp.mnt->sb, sp.d);
		if (!m) {
			err = -ENOMEM;
		} else {
			m->read_only = sp.mnt->read_only;
			mnt_attach(m, w.path.mnt, w.path.d);
			err = m->id;
			if (recursive) {
				int e = clone_children(sp.mnt, m, sp.d, before);

				if (e) {
					mnt_detach_tree(m);
					err = e;
				}
			}
		}
	}
	walk_end(&w);
out:
	if (sp.mnt) {
		vfs_lock(vfs);
		path_put(&sp);
		vfs_unlock(vfs);
	}
	return (int)vctx_end(&c, err);
}

int fc_vfs_mount_move(struct fc_vfs *vfs, struct fc_proc *p, const char *src,
		      const char *dst)
{
	struct vfs_path sp = { NULL, NULL };
	struct vfs_mount *m, *a;
	struct walk w;
	struct vctx c;
	int err;

	if (!vfs || !p || !src || !dst)
		return -EFAULT;
	if (p->vfs != vfs)
		return -EINVAL;
	err = vctx_begin(&c, p);
	if (err)
		return err;
	if (c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	err = walk_begin(&w, &c, FC_AT_FDCWD, src, W_FOLLOW | W_NOAUTOMOUNT);
	if (!err)
		err = walk_full(&w);
	if (!err) {
		sp = w.path;
		path_get(&sp);
		if (sp.d != sp.mnt->root || !sp.mnt->attached || !sp.mnt->parent)
			err = -EINVAL;
	}
	walk_end(&w);
	if (err)
		goto out;
	err = mount_target(&w, &c, dst);
	if (!err)
		err = graft_check(w.path.d, sp.d);
	if (!err) {
		m = sp.mnt;
		for (a = w.path.mnt; a; a = a->parent)
			if (a == m)
				err = -ELOOP;
		if (!m->attached)
			err = -EINVAL;
		if (!err) {
			struct vfs_dentry *mp = w.path.d;
			struct vfs_mount *pm = w.path.mnt;

			d_get(mp);
			mnt_unlink_parent(m);
			m->parent = pm;
			m->mountpoint = mp;
			mp->mounted++;
		}
	}
	walk_end(&w);
out:
	if (sp.mnt) {
		vfs_lock(vfs);
		path_put(&sp);
		vfs_unlock(vfs);
	}
	return (int)vctx_end(&c, err);
}

/* Busy: in use beyond the namespace's own reference (@extra more allowed). */
static int mnt_busy(struct vfs_mount *m, unsigned extra)
{
	struct vfs_mount *c;

	if (m->refs > 1 + extra)
		return 1;
	for (c = m->sb->vfs->mounts; c; c = c->next) {
		if (!c->attached || c->parent != m)
			continue;
		/* shrink_submounts: idle automounted submounts go along. */
		if (!c->submount || mnt_busy(c, 0))
			return 1;
	}
	return 0;
}

int fc_sys_umount2(struct fc_proc *p, const char *path, int flags)
{
	struct fc_vfs *vfs;
	struct vfs_mount *m;
	struct walk w;
	struct vctx c;
	unsigned wf = W_NOAUTOMOUNT;
	int err;

	if (!p)
		return -EFAULT;
	if (flags & ~(FC_MNT_FORCE | FC_MNT_DETACH | FC_MNT_EXPIRE |
		      FC_UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & FC_MNT_EXPIRE) && (flags & (FC_MNT_FORCE | FC_MNT_DETACH)))
		return -EINVAL;
	if (!(flags & FC_UMOUNT_NOFOLLOW))
		wf |= W_FOLLOW;
	err = vctx_begin(&c, p);
	if (err)
		return err;
	vfs = c.vfs;
	if (c.p->cred.uid != 0)
		return (int)vctx_end(&c, -EPERM);
	if (!path)
		return (int)vctx_end(&c, -EFAULT);
	err = walk_begin(&w, &c, FC_AT_FDCWD, path, wf);
	if (!err)
		err = walk_full(&w);
	if (err)
		goto out;
	m = w.path.mnt;
	if (w.path.d != m->root || !m->attached) {
		err = -EINVAL;
		goto out;
	}
	if (m == vfs->rootmnt) {
		err = -EBUSY;
		goto out;
	}
	if (flags & FC_MNT_EXPIRE) {
		/* Expiry marks are not modelled: an unused mount just goes. */
		if (mnt_busy(m, 1)) {
			err = -EBUSY;
			goto out;
		}
	}
	if ((flags & FC_MNT_FORCE) && m->sb->kind == VFS_SB_FUSE) {
		/* fuse_umount_begin: abort the connection. */
		struct fc_conn *conn = m->sb->fuse->conn;

		vfs_unlock(vfs);
		fc_conn_abort(conn);
		vfs_lock(vfs);
	}
	if (!(flags & FC_MNT_DETACH) && mnt_busy(m, 1)) {
		err = -EBUSY;
		goto out;
	}
	mnt_detach_tree(m);
out:
	walk_end(&w);
	return (int)vctx_end(&c, err);
}

/* ---- listing ------------------------------------------------------------------------- */

static void fill_entry(struct vfs_mount *m, struct fc_vfs_mount_entry *e)
{
	struct vfs_path p = { m, m->root };
	struct vfs_sb *sb = m->sb;

	memset(e, 0, sizeof(*e));
	e->id = m->id;
	e->parent_id = m->parent ? m->parent->id : m->id;
	e->dev_major = 0;
	e->dev_minor = sb->dev_minor;
	if (sb->kind == VFS_SB_RAMFS)
		vfs_strlcpy(e->fstype, "ramfs", sizeof(e->fstype));
	else
		vfs_strlcpy(e->fstype, sb->fstype, sizeof(e->fstype));
	vfs_strlcpy(e->source, sb->source, sizeof(e->source));
	if (vfs_d_path(&p, 1, 0, e->root, sizeof(e->root)) < 0)
		vfs_strlcpy(e->root, "?", sizeof(e->root));
	if (vfs_d_path(&p, 0, 0, e->path, sizeof(e->path)) < 0)
		vfs_strlcpy(e->path, "?", sizeof(e->path));
	e->submount = m->submount;
	e->read_only = m->read_only;
	e->default_permissions = sb->fuse ? sb->fuse->default_permissions : 0;
}

int fc_vfs_mount_get(struct fc_vfs *vfs, unsigned index,
		     struct fc_vfs_mount_entry *out)
{
	struct vfs_mount *m;
	unsigned i = 0;

	if (!vfs || !out)
		return -EFAULT;
	vfs_lock(vfs);
	for (m = vfs->mounts; m; m = m->next) {
		if (!m->attached)
			continue;
		if (i++ == index) {
			fill_entry(m, out);
			vfs_unlock(vfs);
			return 0;
		}
	}
	vfs_unlock(vfs);
	return -ENOENT;
}

unsigned fc_vfs_mount_count(struct fc_vfs *vfs)
{
	struct vfs_mount *m;
	unsigned n = 0;

	if (!vfs)
		return 0;
	vfs_lock(vfs);
	for (m = vfs->mounts; m; m = m->next)
		if (m->attached)
			n++;
	vfs_unlock(vfs);
	return n;
}

struct textbuf {
	char *buf;
	size_t size, len;
};

static void tb_putc(struct textbuf *t, char ch)
{
	if (t->len + 1 < t->size)
		t->buf[t->len] = ch;
	t->len++;
}

static void tb_puts(struct textbuf *t, const char *s)
{
	while (*s)
		tb_putc(t, *s++);
}

/* mangle(): space, tab, newline and backslash as octal escapes. */
static void tb_put_escaped(struct textbuf *t, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\\') {
			tb_putc(t, '\\');
			tb_putc(t, (char)('0' + ((ch >> 6) & 7)));
			tb_putc(t, (char)('0' + ((ch >> 3) & 7)));
			tb_putc(t, (char)('0' + (ch & 7)));
		} else {
			tb_putc(t, (char)ch);
		}
	}
}

static void tb_putu(struct textbuf *t, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		tb_putc(t, tmp[--n]);
}

long fc_vfs_mountinfo(struct fc_vfs *vfs, char *buf, size_t size)
{
	struct fc_vfs_mount_entry *e;
	struct textbuf t = { buf, size, 0 };
	unsigned i;

	if (!vfs || (!buf && size))
		return -EFAULT;
	e = vfs_alloc(vfs, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (i = 0; fc_vfs_mount_get(vfs, i, e) == 0; i++) {
		tb_putu(&t, (uint64_t)e->id);
		tb_putc(&t, ' ');
		tb_putu(&t, (uint64_t)e->parent_id);
		tb_putc(&t, ' ');
		tb_putu(&t, e->dev_major);
		tb_putc(&t, ':');
		tb_putu(&t, e->dev_minor);
		tb_putc(&t, ' ');
		tb_put_escaped(&t, e->root);
		tb_putc(&t, ' ');
		tb_put_escaped(&t, e->path);
		tb_puts(&t, e->read_only ? " ro,relatime" : " rw,relatime");
		if (e->submount)
			tb_puts(&t, " submount");
		tb_puts(&t, " - ");
		tb_put_escaped(&t, e->fstype);
		tb_putc(&t, ' ');
		tb_put_escaped(&t, e->source);
		tb_puts(&t, e->read_only ? " ro" : " rw");
		if (!memcmp(e->fstype, "fuse", 4)) {
			tb_puts(&t, ",user_id=0,group_id=0");
			if (e->default_permissions)
				tb_puts(&t, ",default_permissions");
		}
		tb_putc(&t, '\n');
	}
	vfs_free(vfs, e);
	if (size)
		buf[t.len < size ? t.len : size - 1] = 0;
	return (long)t.len;
}
