/*
 * Local POSIX record locks and flock() locks, kept by the VFS when the
 * daemon did not negotiate FUSE_POSIX_LOCKS / FUSE_FLOCK_LOCKS (Linux's
 * fs/locks.c: posix_lock_file, posix_test_lock, flock_lock_inode_wait,
 * posix_locks_deadlock).  POSIX locks belong to a descriptor table's
 * lock owner, flock locks to an open file description.  Blocking waits go
 * through the platform's condition variable, so they are observable and
 * interruptible (fc_proc_interrupt).
 */
#include "vfs_i.h"

static int overlaps(const struct vfs_lock *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

static int mutually_exclusive(uint32_t a, uint32_t b)
{
	return a == FC_F_WRLCK || b == FC_F_WRLCK;
}

static struct vfs_lock *posix_conflict(struct fc_vfs *vfs, const void *key,
				       uint64_t owner, const struct fc_lock *lk)
{
	struct vfs_lock *l;

	for (l = vfs->locks; l; l = l->next) {
		if (l->key != key || l->flock || l->owner == owner)
			continue;
		if (overlaps(l, lk->start, lk->end) &&
		    mutually_exclusive(l->type, lk->type))
			return l;
	}
	return NULL;
}

static void lock_unlink(struct fc_vfs *vfs, struct vfs_lock *victim)
{
	struct vfs_lock **pp;

	for (pp = &vfs->locks; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			vfs_free(vfs, victim);
			return;
		}
	}
}

static struct vfs_lock *lock_new(struct fc_vfs *vfs, const void *key, int flock,
				 uint64_t owner, uint32_t pid, uint32_t type,
				 uint64_t start, uint64_t end)
{
	struct vfs_lock *l = vfs_zalloc(vfs, sizeof(*l));

	if (!l)
		return NULL;
	l->key = key;
	l->flock = flock;
	l->owner = owner;
	l->pid = pid;
	l->type = type;
	l->start = start;
	l->end = end;
	l->next = vfs->locks;
	vfs->locks = l;
	return l;
}

static void wake(struct fc_vfs *vfs)
{
	vfs->plat->cond_broadcast(vfs->plat->ctx, vfs->lock_cond);
}

int lock_posix_get(struct vctx *c, const void *key, uint64_t owner,
		   struct fc_lock *lk)
{
	struct vfs_lock *l;

	vfs_lock(c->vfs);
	l = posix_conflict(c->vfs, key, owner, lk);
	if (l) {
		lk->type = l->type;
		lk->start = l->start;
		lk->end = l->end;
		lk->pid = l->pid;
	} else {
		lk->type = FC_F_UNLCK;
	}
	vfs_unlock(c->vfs);
	return 0;
}

/* posix_locks_deadlock(): would @owner waiting on @blocker close a cycle? */
static int would_deadlock(struct fc_vfs *vfs, uint64_t owner, uint64_t blocker)
{
	struct vfs_waiter *w;
	int i;

	for (i = 0; i < 10; i++) {
		if (blocker == owner)
			return 1;
		for (w = vfs->waiters; w; w = w->next)
			if (w->owner == blocker)
				break;
		if (!w)
			return 0;
		blocker = w->blocker;
	}
	return 0;
}

/* Cut [start, end] out of @owner's POSIX locks on @key. */
static int carve(struct fc_vfs *vfs, const void *key, uint64_t owner,
		 uint64_t start, uint64_t end)
{
	struct vfs_lock *l, *next;

	for (l = vfs->locks; l; l = next) {
		next = l->next;
		if (l->key != key || l->flock || l->owner != owner ||
		    !overlaps(l, start, end))
			continue;
		if (l->start >= start && l->end <= end) {
			lock_unlink(vfs, l);
		} else if (l->start < start && l->end > end) {
			if (!lock_new(vfs, key, 0, owner, l->pid, l->type, end + 1,
				      l->end))
				return -ENOLCK;
			l->end = start - 1;
		} else if (l->start < start) {
			l->end = start - 1;
		} else {
			l->start = end + 1;
		}
	}
	return 0;
}

static void merge(struct fc_vfs *vfs, struct vfs_lock *n)
{
	struct vfs_lock *l, *next;
	int again = 1;

	while (again) {
		again = 0;
		for (l = vfs->locks; l; l = next) {
			next = l->next;
			if (l == n || l->key != n->key || l->flock ||
			    l->owner != n->owner || l->type != n->type)
				continue;
			if ((l->end != UINT64_MAX && l->end + 1 == n->start) ||
			    (n->end != UINT64_MAX && n->end + 1 == l->start) ||
			    overlaps(l, n->start, n->end)) {
				if (l->start < n->start)
					n->start = l->start;
				if (l->end > n->end)
					n->end = l->end;
				lock_unlink(vfs, l);
				again = 1;
				break;
			}
		}
	}
}

int lock_posix_set(struct vctx *c, const void *key, uint64_t owner,
		   const struct fc_lock *lk, int wait)
{
	struct fc_vfs *vfs = c->vfs;
	struct vfs_lock *b, *n;
	int err;

	vfs_lock(vfs);
	for (;;) {
		struct vfs_waiter me;

		if (lk->type == FC_F_UNLCK)
			break;
		b = posix_conflict(vfs, key, owner, lk);
		if (!b)
			break;
		if (!wait) {
			vfs_unlock(vfs);
			return -EAGAIN;
		}
		if (would_deadlock(vfs, owner, b->owner)) {
			vfs_unlock(vfs);
			return -EDEADLK;
		}
		if (c->p->sigpending) {
			vfs_unlock(vfs);
			return -EINTR;
		}
		me.owner = owner;
		me.blocker = b->owner;
		me.p = c->p;
		me.next = vfs->waiters;
		vfs->waiters = &me;
		vfs->plat->cond_wait(vfs->plat->ctx, vfs->lock_cond, vfs->lock,
				     "posix lock");
		{
			struct vfs_waiter **pp;

			for (pp = &vfs->waiters; *pp; pp = &(*pp)->next) {
				if (*pp == &me) {
					*pp = me.next;
					break;
				}
			}
		}
	}
	err = carve(vfs, key, owner, lk->start, lk->end);
	if (!err && lk->type != FC_F_UNLCK) {
		n = lock_new(vfs, key, 0, owner, c->who.pid, lk->type, lk->start,
			     lk->end);
		if (!n)
			err = -ENOLCK;
		else
			merge(vfs, n);
	}
	wake(vfs);
	vfs_unlock(vfs);
	return err;
}

void lock_posix_remove_owner(struct fc_vfs *vfs, const void *key, uint64_t owner)
{
	struct vfs_lock *l, *next;
	int removed = 0;

	for (l = vfs->locks; l; l = next) {
		next = l->next;
		if (l->key == key && !l->flock && l->owner == owner) {
			lock_unlink(vfs, l);
			removed = 1;
		}
	}
	if (removed)
		wake(vfs);
}

void lock_flock_remove(struct fc_vfs *vfs, const void *key, uint64_t owner)
{
	struct vfs_lock *l, *next;
	int removed = 0;

	for (l = vfs->locks; l; l = next) {
		next = l->next;
		if (l->key == key && l->flock && l->owner == owner) {
			lock_unlink(vfs, l);
			removed = 1;
		}
	}
	if (removed)
		wake(vfs);
}

int lock_flock(struct vctx *c, const void *key, uint64_t owner, int op)
{
	struct fc_vfs *vfs = c->vfs;
	struct vfs_lock *l, *mine = NULL;
	uint32_t type;
	int cmd = op & ~FC_LOCK_NB;

	type = cmd == FC_LOCK_SH ? FC_F_RDLCK :
	       cmd == FC_LOCK_EX ? FC_F_WRLCK : FC_F_UNLCK;
	vfs_lock(vfs);
	for (l = vfs->locks; l; l = l->next)
		if (l->key == key && l->flock && l->owner == owner)
			mine = l;
	/* flock_lock_inode(): the same type is a no-op, else unlock first. */
	if (mine && mine->type == type) {
		vfs_unlock(vfs);
		return 0;
	}
	if (mine) {
		lock_unlink(vfs, mine);
		wake(vfs);
	}
	if (type == FC_F_UNLCK) {
		vfs_unlock(vfs);
		return 0;
	}
	for (;;) {
		struct vfs_lock *conflict = NULL;

		for (l = vfs->locks; l; l = l->next) {
			if (l->key == key && l->flock && l->owner != owner &&
			    mutually_exclusive(l->type, type)) {
				conflict = l;
				break;
			}
		}
		if (!conflict)
			break;
		if (op & FC_LOCK_NB) {
			vfs_unlock(vfs);
			return -EAGAIN;
		}
		if (c->p->sigpending) {
			vfs_unlock(vfs);
			return -EINTR;
		}
		vfs->plat->cond_wait(vfs->plat->ctx, vfs->lock_cond, vfs->lock,
				     "flock");
	}
	l = lock_new(vfs, key, 1, owner, c->who.pid, type, 0, UINT64_MAX);
	vfs_unlock(vfs);
	return l ? 0 : -ENOLCK;
}

void lock_remove_all(struct fc_vfs *vfs)
{
	while (vfs->locks) {
		struct vfs_lock *l = vfs->locks;

		vfs->locks = l->next;
		vfs_free(vfs, l);
	}
}
