/*
 * A tiny in-memory, directory-only file system, so that the namespace has
 * a root and mount points exist (Linux's ramfs with the dcache as the
 * directory: simple_lookup, simple_mkdir, simple_rmdir, simple_rename).
 * Regular files, symlinks and device nodes are not supported (-EPERM).
 */
#include "vfs_i.h"

static void ramfs_now(struct fc_vfs *vfs, struct fc_vfs_timespec *ts)
{
	uint64_t now = vfs_now(vfs);

	ts->tv_sec = (int64_t)(now / 1000000000u);
	ts->tv_nsec = (int64_t)(now % 1000000000u);
}

void ramfs_touch(struct vctx *c, struct vfs_rinode *ri, int mtime)
{
	ramfs_now(c->vfs, &ri->ctime);
	if (mtime)
		ri->mtime = ri->ctime;
}

void ramfs_init_inode(struct vfs_sb *sb, struct vfs_dentry *d, uint32_t mode,
		      uint32_t uid, uint32_t gid)
{
	d->ri.ino = sb->next_ino++;
	d->ri.mode = FC_S_IFDIR | (mode & 07777);
	d->ri.uid = uid;
	d->ri.gid = gid;
	d->ri.nlink = 2;
	ramfs_now(sb->vfs, &d->ri.atime);
	d->ri.mtime = d->ri.atime;
	d->ri.ctime = d->ri.atime;
}

struct vfs_sb *ramfs_new_sb(struct fc_vfs *vfs, const char *source)
{
	struct vfs_sb *sb = sb_new(vfs, VFS_SB_RAMFS);

	if (!sb)
		return NULL;
	vfs_strlcpy(sb->source, source, sizeof(sb->source));
	vfs_strlcpy(sb->fstype, "ramfs", sizeof(sb->fstype));
	sb->root = d_alloc(sb, NULL, NULL, 0);
	if (!sb->root) {
		struct vfs_sb **pp;

		for (pp = &vfs->sbs; *pp; pp = &(*pp)->next) {
			if (*pp == sb) {
				*pp = sb->next;
				break;
			}
		}
		vfs_free(vfs, sb);
		return NULL;
	}
	ramfs_init_inode(sb, sb->root, 0755, 0, 0);
	return sb;
}

int ramfs_mkdir(struct vctx *c, struct vfs_dentry *dir, const char *name,
		size_t len, uint32_t mode)
{
	struct vfs_dentry *d;

	if (len > FC_VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (dir->dead)
		return -ENOENT;
	d = d_alloc(dir->sb, dir, name, len);
	if (!d)
		return -ENOMEM;
	/* ramfs is not POSIXACL: the VFS applies the umask. */
	ramfs_init_inode(dir->sb, d, mode & ~c->p->umask & 07777,
			 c->p->cred.uid,
			 (dir->ri.mode & VFS_S_ISGID) ? dir->ri.gid : c->p->cred.gid);
	if (dir->ri.mode & VFS_S_ISGID)
		d->ri.mode |= VFS_S_ISGID;
	/* A ramfs dentry pins itself (d_instantiate + dget). */
	d_add(d);
	dir->ri.nlink++;
	ramfs_touch(c, &dir->ri, 1);
	return 0;
}

static int ramfs_empty(struct vfs_dentry *d)
{
	return d->children == NULL;
}

int ramfs_rmdir(struct vctx *c, struct vfs_dentry *dir, struct vfs_dentry *victim)
{
	if (!ramfs_empty(victim))
		return -ENOTEMPTY;
	victim->dead = 1;
	victim->ri.nlink = 0;
	dir->ri.nlink--;
	ramfs_touch(c, &dir->ri, 1);
	/* Drop the pin taken at mkdir, and the name. */
	d_drop(victim);
	d_put(victim);
	return 0;
}

int ramfs_rename(struct vfs_dentry *olddir, struct vfs_dentry *old,
		 struct vfs_dentry *newdir, const char *newname, size_t newlen,
		 struct vfs_dentry *target, unsigned flags)
{
	int err;

	if (newlen > FC_VFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (flags & FC_RENAME_WHITEOUT)
		return -EINVAL;
	if (flags & FC_RENAME_EXCHANGE) {
		/* Both exist (the caller checked): swap the names. */
		char tmpname[FC_VFS_NAME_MAX + 1];
		size_t tl = old->namelen;

		memcpy(tmpname, old->name, tl);
		d_move(old, newdir, newname, newlen, &err);
		if (err)
			return err;
		d_move(target, olddir, tmpname, tl, &err);
		return err;
	}
	if (target) {
		if (!ramfs_empty(target))
			return -ENOTEMPTY;
		target->dead = 1;
		target->ri.nlink = 0;
		newdir->ri.nlink--;
		d_drop(target);
		d_put(target); /* the mkdir pin */
	}
	if (olddir != newdir) {
		olddir->ri.nlink--;
		newdir->ri.nlink++;
	}
	d_move(old, newdir, newname, newlen, &err);
	return err;
}

/* The last mount of a ramfs instance went: unpin and free its directories. */
void ramfs_kill_tree(struct vfs_dentry *d)
{
	while (d->children) {
		struct vfs_dentry *c = d->children;

		d_get(c);
		ramfs_kill_tree(c);
		d_drop(c);
		d_put(c);  /* the mkdir pin */
		d_put(c);  /* ours */
	}
}
