/*
 * The dentry cache as Linux keeps it for FUSE (fs/fuse/dir.c
 * fuse_lookup, fuse_dentry_revalidate, fuse_reverse_inval_entry):
 *  - names map to nodes until the entry timeout of the reply; each cached
 *    positive dentry holds a node reference, so dropping the dentry puts
 *    the node and (with no other user) queues its FORGET;
 *  - a LOOKUP answered with nodeid 0 is a negative entry kept until its
 *    deadline; a daemon -ENOENT is not kept;
 *  - an expired (or LOOKUP_EXCL) entry is revalidated by a fresh LOOKUP:
 *    the same node keeps the dentry (the lookup is counted), anything else
 *    drops it (the new node's reference is put: FORGET(nodeid, 1)) and a
 *    second LOOKUP follows, as lookup_fast() -> lookup_slow();
 *  - notifications (INVAL_ENTRY, DELETE, INVAL_INODE, INC_EPOCH, PRUNE);
 *  - a directory has one dentry per superblock (d_splice_alias);
 *  - nothing is looked up in a removed directory (IS_DEADDIR).
 *
 * A hashed dentry is in its parent's child list, and its parent is hashed
 * too (or a root): everything cached is reachable from a superblock root,
 * where unmounting finds it.  A dentry that is not hashed lives only as
 * long as its users.
 */
#include "fusecore/pagecache.h"
#include "vfs_i.h"

/* ---- the alias hash: positive FUSE dentries by node --------------------------- */

static unsigned alias_bucket(const struct fc_node *n)
{
	uint64_t h = vfs_mix64((uint64_t)(uintptr_t)n);

	return (unsigned)(h & (VFS_ALIAS_BUCKETS - 1));
}

static void alias_add(struct vfs_dentry *d)
{
	struct fc_vfs *vfs = d->sb->vfs;
	unsigned b = alias_bucket(d->node);

	d->alias_next = vfs->alias[b];
	vfs->alias[b] = d;
}

static void alias_del(struct vfs_dentry *d)
{
	struct fc_vfs *vfs = d->sb->vfs;
	struct vfs_dentry **pp;

	if (!d->node)
		return;
	for (pp = &vfs->alias[alias_bucket(d->node)]; *pp; pp = &(*pp)->alias_next) {
		if (*pp == d) {
			*pp = d->alias_next;
			d->alias_next = NULL;
			return;
		}
	}
}

/*
 * The dentry directory @node already has on @sb, hashed or not: a
 * directory has one (Linux's __d_find_any_alias in d_splice_alias).  A
 * submount's root is its superblock's dentry of the mount point's node.
 */
static struct vfs_dentry *d_find_dir_alias(struct vfs_sb *sb,
					   struct fc_node *node)
{
	struct vfs_dentry *d;

	if (!VFS_S_ISDIR(fc_node_attr(node)->mode))
		return NULL;
	for (d = sb->vfs->alias[alias_bucket(node)]; d; d = d->alias_next)
		if (d->node == node && d->sb == sb)
			return d;
	return NULL;
}

/* ---- allocation and references ------------------------------------------------ */

struct fc_client *d_client(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_FUSE ? d->sb->fuse->cl : NULL;
}

struct vfs_dentry *d_alloc(struct vfs_sb *sb, struct vfs_dentry *parent,
			   const char *name, size_t len)
{
	struct fc_vfs *vfs = sb->vfs;
	struct vfs_dentry *d = vfs_zalloc(vfs, sizeof(*d));

	if (!d)
		return NULL;
	d->name = vfs_strndup(vfs, name ? name : "", name ? len : 0);
	if (!d->name) {
		vfs_free(vfs, d);
		return NULL;
	}
	d->namelen = name ? (uint32_t)len : 0;
	d->sb = sb;
	d->refs = 1;
	d->parent = parent;
	if (parent)
		parent->refs++;
	return d;
}

void d_get(struct vfs_dentry *d)
{
	d->refs++;
}

void d_set_node(struct vfs_dentry *d, struct fc_node *node)
{
	d->node = node;
	if (node)
		alias_add(d);
}

static void d_free(struct vfs_dentry *d)
{
	struct fc_vfs *vfs = d->sb->vfs;

	alias_del(d);
	if (d->node)
		fc_node_put(d->sb->fuse->cl, d->node);
	vfs_free(vfs, d->name);
	vfs_free(vfs, d);
}

void d_put(struct vfs_dentry *d)
{
	while (d) {
		struct vfs_dentry *parent;

		if (--d->refs || d->hashed)
			return;
		parent = d->parent;
		d_free(d);
		d = parent;
	}
}

/* Linux's d_unlinked(): unhashed, and not a root. */
static int d_unlinked(const struct vfs_dentry *d)
{
	return !d->hashed && d->parent;
}

void d_add(struct vfs_dentry *d)
{
	struct vfs_dentry *p = d->parent;

	/*
	 * Under an unlinked directory (invalidated or removed, still held as a
	 * cwd, an open directory or a walk's parent) a name is not cached:
	 * nothing could reach it from the root, so it goes with its last user.
	 * Linux hashes it there and frees it at memory pressure or unmount;
	 * this dcache has no LRU, and would never free it.
	 */
	if (d->hashed || !p || d_unlinked(p))
		return;
	d->sib = p->children;
	p->children = d;
	d->hashed = 1;
}

void d_drop(struct vfs_dentry *d)
{
	struct vfs_dentry **pp;

	if (!d->hashed)
		return;
	for (pp = &d->parent->children; *pp; pp = &(*pp)->sib) {
		if (*pp == d) {
			*pp = d->sib;
			break;
		}
	}
	d->sib = NULL;
	d->hashed = 0;
	if (!d->refs) {
		d->refs = 1;
		d_put(d);
	}
}

struct vfs_dentry *d_find_child(struct vfs_dentry *dir, const char *name,
				size_t len)
{
	struct vfs_dentry *d;

	for (d = dir->children; d; d = d->sib)
		if (vfs_name_eq(d->name, d->namelen, name, len))
			return d;
	return NULL;
}

/*
 * d_invalidate(): detach the mounts at or below @d, drop the cached
 * subtree and unhash @d.  Users keep their references.
 */
void d_invalidate(struct vfs_dentry *d)
{
	d_get(d);
	mnt_detach_under(d);
	while (d->children)
		d_invalidate(d->children);
	d_drop(d);
	d_put(d);
}

/* Drop every unused cached dentry below @d (shrink_dcache_parent). */
void d_shrink(struct vfs_dentry *d)
{
	struct vfs_dentry *c, *next;

	d_get(d);
	for (c = d->children; c; c = next) {
		d_get(c);
		d_shrink(c);
		next = c->sib;
		if (c->refs == 1 && !c->children && !c->mounted) {
			d_drop(c);
			d_put(c);
		} else {
			d_put(c);
		}
	}
	d_put(d);
}

/* ---- properties ------------------------------------------------------------------ */

int d_negative(const struct vfs_dentry *d)
{
	return d->sb->kind == VFS_SB_FUSE && !d->node;
}

uint32_t d_mode(const struct vfs_dentry *d)
{
	if (d->sb->kind == VFS_SB_RAMFS)
		return d->ri.mode;
	return d->node ? fc_node_attr(d->node)->mode : 0;
}

int d_is_dir(const struct vfs_dentry *d)
{
	return VFS_S_ISDIR(d_mode(d));
}

int d_is_ancestor(const struct vfs_dentry *anc, const struct vfs_dentry *d)
{
	for (; d; d = d->parent)
		if (d == anc)
			return 1;
	return 0;
}

void d_move(struct vfs_dentry *d, struct vfs_dentry *newparent,
	    const char *name, size_t len, int *err)
{
	struct fc_vfs *vfs = d->sb->vfs;
	struct vfs_dentry *oldparent = d->parent;
	char *nn = vfs_strndup(vfs, name, len);

	*err = 0;
	if (!nn) {
		/* Keep the cache coherent anyway: forget the old name. */
		d_invalidate(d);
		*err = -ENOMEM;
		return;
	}
	d_get(d);
	d_drop(d);
	vfs_free(vfs, d->name);
	d->name = nn;
	d->namelen = (uint32_t)len;
	if (newparent != oldparent) {
		newparent->refs++;
		d->parent = newparent;
		d_put(oldparent);
	}
	d_add(d);
	/* Moved under an unlinked directory: its cached subtree goes too (d_add). */
	if (!d->hashed)
		d_invalidate(d);
	d_put(d);
}

static int fuse_automount_flag(struct vfs_sb *sb, struct fc_node *node)
{
	const struct fc_attr *a = fc_node_attr(node);

	/*
	 * fuse_iget: only with fc->auto_submounts, a property of the mount
	 * (virtio-fs), which is why FUSE_SUBMOUNTS is requested; Linux never
	 * looks at the reply bit, and virtiofsd 7.2 announces submounts
	 * without granting it.
	 */
	return (a->flags & FC_ATTR_SUBMOUNT) && VFS_S_ISDIR(a->mode) &&
	       (fc_conn_info(sb->fuse->conn)->requested & FC_SUBMOUNTS);
}

int d_link_entry(struct vfs_dentry *dir, const char *name, size_t len,
		 const struct fc_entry *ent, struct vfs_dentry **out)
{
	struct vfs_sb *sb = dir->sb;
	struct fc_client *cl = sb->fuse->cl;
	struct vfs_dentry *d = d_find_child(dir, name, len);
	int err = 0;

	if (d && d->node == ent->node) {
		/* fuse_direntplus_link / revalidate: same node, refresh. */
		fc_node_put(cl, ent->node);
		d_get(d);
		goto refresh;
	}
	if (d)
		d_invalidate(d);
	d = d_find_dir_alias(sb, ent->node);
	if (d) {
		/*
		 * d_splice_alias(): the directory's dentry moves to the new
		 * name (__d_unalias -> __d_move), unless that would make it its
		 * own descendant (-ELOOP).  It holds the node already; the
		 * reply's reference goes back (its lookup stays counted).
		 */
		fc_node_put(cl, ent->node);
		if (d_is_ancestor(d, dir))
			return -ELOOP;
		d_get(d);
		d_move(d, dir, name, len, &err);
		if (err) {
			d_put(d);
			return err;
		}
		goto refresh;
	}
	d = d_alloc(sb, dir, name, len);
	if (!d) {
		fc_node_put(cl, ent->node);
		return -ENOMEM;
	}
	d_set_node(d, ent->node);
	d_add(d);
refresh:
	d->entry_deadline = ent->entry_deadline;
	d->epoch = sb->fuse->epoch;
	d->automount = fuse_automount_flag(sb, d->node);
	if (out)
		*out = d;
	else
		d_put(d);
	return 0;
}

/* ---- lookup ------------------------------------------------------------------------ */

static int entry_valid(struct vfs_dentry *d, uint64_t now)
{
	return now < d->entry_deadline && d->epoch == d->sb->fuse->epoch;
}

static void cache_negative(struct vfs_dentry *dir, const char *name, size_t len,
			   uint64_t deadline)
{
	struct vfs_dentry *d = d_find_child(dir, name, len);

	if (d)
		d_invalidate(d);
	d = d_alloc(dir->sb, dir, name, len);
	if (!d)
		return;
	d->entry_deadline = deadline;
	d->epoch = dir->sb->fuse->epoch;
	d_add(d);
	d_put(d);
}

static int fuse_lookup_fresh(struct vctx *c, const struct vfs_path *dir,
			     const char *name, size_t len,
			     struct vfs_dentry **out)
{
	struct fc_vfs *vfs = c->vfs;
	struct vfs_dentry *pd = dir->d;
	struct fc_client *cl = pd->sb->fuse->cl;
	struct fc_entry ent;
	int err;

	/*
	 * A removed directory gets no LOOKUP: __lookup_slow(),
	 * lookup_one_qstr_excl() and lookup_open() answer IS_DEADDIR with
	 * -ENOENT once the dcache has nothing (and it has nothing under a
	 * removed directory).
	 */
	if (pd->dead)
		return -ENOENT;
	vfs_unlock(vfs);
	err = fc_lookup(cl, &c->who, pd->node, name, len, &ent);
	vfs_lock(vfs);
	if (err == 0)
		return d_link_entry(pd, name, len, &ent, out);
	if (err == -ENOENT && ent.entry_deadline > vfs_now(vfs))
		cache_negative(pd, name, len, ent.entry_deadline);
	return err;
}

static int fuse_lookup_child(struct vctx *c, const struct vfs_path *dir,
			     const char *name, size_t len, unsigned flags,
			     struct vfs_dentry **out)
{
	struct fc_vfs *vfs = c->vfs;
	struct vfs_dentry *pd = dir->d;
	struct fc_client *cl = pd->sb->fuse->cl;
	struct vfs_dentry *d = d_find_child(pd, name, len);
	uint64_t now = vfs_now(vfs);
	struct fc_entry ent;
	int err;

	if (!d)
		return fuse_lookup_fresh(c, dir, name, len, out);
	if (!d->node) {
		/* A negative entry: valid until its deadline, unless LOOKUP_EXCL. */
		if (!(flags & LK_EXCL) && entry_valid(d, now))
			return -ENOENT;
		d_invalidate(d);
		return fuse_lookup_fresh(c, dir, name, len, out);
	}
	if (!fc_node_is_stale(d->node) && !(flags & LK_EXCL) &&
	    entry_valid(d, now)) {
		d_get(d);
		*out = d;
		return 0;
	}
	if (fc_node_is_stale(d->node)) {
		d_invalidate(d);
		return fuse_lookup_fresh(c, dir, name, len, out);
	}

	/* fuse_dentry_revalidate: a fresh LOOKUP of the same name. */
	d_get(d);
	vfs_unlock(vfs);
	err = fc_lookup(cl, &c->who, pd->node, name, len, &ent);
	vfs_lock(vfs);
	if (err == 0 && ent.node == d->node &&
	    fuse_automount_flag(pd->sb, ent.node) == d->automount) {
		/* Same node: keep the dentry; the lookup was counted (nlookup++). */
		d->entry_deadline = ent.entry_deadline;
		d->epoch = pd->sb->fuse->epoch;
		fc_node_put(cl, ent.node);
		*out = d;
		return 0;
	}
	if (err == 0) {
		/* Another node: its lookup goes back at once (FORGET nodeid, 1). */
		fc_node_put(cl, ent.node);
	} else if (err == -ENOMEM || err == -EINTR) {
		d_put(d);
		return err;
	}
	d_invalidate(d);
	d_put(d);
	return fuse_lookup_fresh(c, dir, name, len, out);
}

int vfs_lookup_child(struct vctx *c, const struct vfs_path *dir,
		     const char *name, size_t len, unsigned flags,
		     struct vfs_dentry **out)
{
	struct vfs_dentry *pd = dir->d, *d;

	*out = NULL;
	if (pd->sb->kind == VFS_SB_FUSE)
		return fuse_lookup_child(c, dir, name, len, flags, out);
	/* ramfs (simple_lookup): the dcache is the directory. */
	if (len > FC_VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (pd->dead)
		return -ENOENT;
	d = d_find_child(pd, name, len);
	if (!d)
		return -ENOENT;
	d_get(d);
	*out = d;
	return 0;
}

/* ---- notifications ------------------------------------------------------------------ */

#define MAX_ALIASES 16

/* The dentries of @node on @fuse's superblocks, each with a reference. */
static unsigned find_aliases(struct vfs_fuse *fuse, struct fc_node *node,
			     struct vfs_dentry **out)
{
	struct fc_vfs *vfs = fuse->vfs;
	struct vfs_dentry *d;
	unsigned n = 0;

	for (d = vfs->alias[alias_bucket(node)]; d && n < MAX_ALIASES;
	     d = d->alias_next) {
		if (d->node == node && d->sb->fuse == fuse) {
			d_get(d);
			out[n++] = d;
		}
	}
	return n;
}

static int has_positive_children(struct vfs_dentry *d)
{
	struct vfs_dentry *c;

	for (c = d->children; c; c = c->sib)
		if (c->node)
			return 1;
	return 0;
}

/* fuse_reverse_inval_entry(): INVAL_ENTRY (@child 0) and DELETE. */
static int notify_entry(struct vfs_fuse *fuse, uint64_t parent, uint64_t child,
			const char *name, size_t len, uint32_t flags)
{
	struct fc_vfs *vfs = fuse->vfs;
	struct fc_client *cl = fuse->cl;
	struct vfs_dentry *aliases[MAX_ALIASES];
	struct fc_node *pnode;
	unsigned n, i;
	int err = -ENOENT;

	pnode = fc_node_find(cl, parent);
	if (!pnode)
		return -ENOENT;
	if (!VFS_S_ISDIR(fc_node_attr(pnode)->mode)) {
		fc_node_put(cl, pnode);
		return -ENOTDIR;
	}
	vfs_lock(vfs);
	if (fuse->dead) {
		vfs_unlock(vfs);
		fc_node_put(cl, pnode);
		return -ENOENT;
	}
	n = find_aliases(fuse, pnode, aliases);
	for (i = 0; i < n; i++) {
		struct vfs_dentry *e = d_find_child(aliases[i], name, len);

		if (!e)
			continue;
		d_get(e);
		/* fuse_dir_changed(parent) */
		fc_node_invalidate_attr(cl, pnode);
		if (!child) {
			if (!(flags & FC_EXPIRE_ONLY))
				d_invalidate(e);
			else
				e->entry_deadline = 0;
			err = 0;
		} else if (!e->node || fc_node_id(e->node) != child) {
			if (err != 0)
				err = -ENOENT;
		} else if (e->mounted) {
			err = -EBUSY;
		} else {
			int ok = 1;

			if (d_is_dir(e)) {
				d_shrink(e);
				if (has_positive_children(e)) {
					err = -ENOTEMPTY;
					ok = 0;
				}
			}
			if (ok) {
				/* clear_nlink + d_delete */
				fc_node_invalidate_attr(cl, e->node);
				d_invalidate(e);
				err = 0;
			}
		}
		d_put(e);
	}
	for (i = 0; i < n; i++)
		d_put(aliases[i]);
	vfs_unlock(vfs);
	fc_node_put(cl, pnode);
	return err;
}

static int notify_prune(struct vfs_fuse *fuse, const unsigned char *ids,
			uint32_t count)
{
	struct fc_vfs *vfs = fuse->vfs;
	struct vfs_dentry *aliases[MAX_ALIASES];
	uint32_t k;
	unsigned n, i;

	for (k = 0; k < count; k++) {
		uint64_t id;
		struct fc_node *node;

		memcpy(&id, ids + (size_t)k * sizeof(id), sizeof(id));
		node = fc_node_find(fuse->cl, id);
		if (!node)
			continue;
		vfs_lock(vfs);
		n = fuse->dead ? 0 : find_aliases(fuse, node, aliases);
		for (i = 0; i < n; i++) {
			struct vfs_dentry *d = aliases[i];

			/* d_prune_aliases: unused dentries only. */
			if (d->refs == 1 && !d->children && !d->mounted &&
			    d->hashed)
				d_drop(d);
			d_put(d);
		}
		vfs_unlock(vfs);
		fc_node_put(fuse->cl, node);
	}
	return 0;
}

int vfs_notify(void *ctx, uint32_t code, const void *payload, size_t len)
{
	struct vfs_fuse *fuse = ctx;
	const unsigned char *p = payload;

	switch (code) {
	case FC_NOTIFY_INVAL_INODE:
	case FC_NOTIFY_STORE:
	case FC_NOTIFY_RETRIEVE:
		/*
		 * The page cache's (fusecore/pagecache.h): attributes and pages,
		 * STORE's data, RETRIEVE's NOTIFY_REPLY.  Without a page cache
		 * attached: attributes only, data dropped, -ENOSYS.
		 */
		return fc_cache_notify(fuse->cl, code, payload, len);
	case FC_NOTIFY_INVAL_ENTRY: {
		struct fc_notify_inval_entry_out o;

		memcpy(&o, p, sizeof(o));
		return notify_entry(fuse, o.parent, 0,
				    (const char *)p + sizeof(o), o.namelen,
				    o.flags);
	}
	case FC_NOTIFY_DELETE: {
		struct fc_notify_delete_out o;

		memcpy(&o, p, sizeof(o));
		return notify_entry(fuse, o.parent, o.child,
				    (const char *)p + sizeof(o), o.namelen, 0);
	}
	case FC_NOTIFY_INC_EPOCH:
		vfs_lock(fuse->vfs);
		fuse->epoch++;
		vfs_unlock(fuse->vfs);
		return 0;
	case FC_NOTIFY_PRUNE: {
		struct fc_notify_prune_out o;

		memcpy(&o, p, sizeof(o));
		return notify_prune(fuse, p + sizeof(o), o.count);
	}
	case FC_NOTIFY_POLL:
		return 0;
	default:
		(void)len;
		return -EINVAL;
	}
}
