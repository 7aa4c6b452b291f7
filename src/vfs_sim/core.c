/*
 * The simulated kernel object: creation and teardown, platform helpers,
 * and the per-syscall context (whose end sends the forgets the call
 * queued, as Linux's FORGET follows an unlink at once).
 */
#include "vfs_i.h"

void vfs_lock(struct fc_vfs *vfs)
{
	vfs->plat->mutex_lock(vfs->plat->ctx, vfs->lock);
}

void vfs_unlock(struct fc_vfs *vfs)
{
	vfs->plat->mutex_unlock(vfs->plat->ctx, vfs->lock);
}

void *vfs_alloc(struct fc_vfs *vfs, size_t size)
{
	return vfs->plat->alloc(vfs->plat->ctx, size);
}

void *vfs_zalloc(struct fc_vfs *vfs, size_t size)
{
	void *p = vfs->plat->alloc(vfs->plat->ctx, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void vfs_free(struct fc_vfs *vfs, void *p)
{
	if (p)
		vfs->plat->free(vfs->plat->ctx, p);
}

uint64_t vfs_now(struct fc_vfs *vfs)
{
	return vfs->plat->now_ns(vfs->plat->ctx);
}

size_t vfs_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

char *vfs_strndup(struct fc_vfs *vfs, const char *s, size_t n)
{
	char *p = vfs_alloc(vfs, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void vfs_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n;

	if (!size)
		return;
	n = src ? vfs_strnlen(src, size - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

int vfs_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

uint64_t vfs_mix64(uint64_t x)
{
	/* splitmix64's finaliser: a bijective scramble. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---- lifecycle ---------------------------------------------------------------- */

int fc_vfs_new(const struct fc_platform *plat, struct fc_vfs **out)
{
	struct fc_vfs *vfs;
	int err;

	if (!out)
		return -EFAULT;
	*out = NULL;
	if (!plat || plat->version != FC_PLATFORM_VERSION)
		return -EINVAL;
	vfs = plat->alloc(plat->ctx, sizeof(*vfs));
	if (!vfs)
		return -ENOMEM;
	memset(vfs, 0, sizeof(*vfs));
	vfs->plat = plat;
	vfs->next_mnt_id = 1;
	vfs->next_dev_minor = 1;
	vfs->lock = plat->mutex_new(plat->ctx);
	vfs->lock_cond = plat->cond_new(plat->ctx);
	if (!vfs->lock || !vfs->lock_cond) {
		err = -ENOMEM;
		goto fail;
	}
	err = vfs_mount_init(vfs);
	if (err)
		goto fail;
	*out = vfs;
	return 0;
fail:
	if (vfs->lock_cond)
		plat->cond_free(plat->ctx, vfs->lock_cond);
	if (vfs->lock)
		plat->mutex_free(plat->ctx, vfs->lock);
	plat->free(plat->ctx, vfs);
	return err;
}

void fc_vfs_free(struct fc_vfs *vfs)
{
	const struct fc_platform *plat;

	if (!vfs)
		return;
	plat = vfs->plat;
	while (vfs->procs)
		fc_proc_exit(vfs->procs);
	vfs_mount_teardown(vfs);
	vfs_run_deferred(vfs);
	vfs_lock(vfs);
	lock_remove_all(vfs);
	vfs_unlock(vfs);
	plat->cond_free(plat->ctx, vfs->lock_cond);
	plat->mutex_free(plat->ctx, vfs->lock);
	plat->free(plat->ctx, vfs);
}

const struct fc_platform *fc_vfs_platform(const struct fc_vfs *vfs)
{
	return vfs ? vfs->plat : NULL;
}

/* ---- syscall context ------------------------------------------------------------ */

int vctx_begin(struct vctx *c, struct fc_proc *p)
{
	memset(c, 0, sizeof(*c));
	if (!p)
		return -EFAULT;
	c->vfs = p->vfs;
	c->p = p;
	vfs_lock(p->vfs);
	fc_proc_caller(p, &c->who);
	vfs_unlock(p->vfs);
	return 0;
}

/*
 * Send the queued forgets of every mounted client, then run the release
 * callbacks of clients whose last superblock went.  No lock held.
 */
void vfs_run_deferred(struct fc_vfs *vfs)
{
	struct vfs_fuse **list = NULL, *f, *rel;
	unsigned n = 0, i;

	vfs_lock(vfs);
	for (f = vfs->fuses; f; f = f->next)
		n++;
	if (n)
		list = vfs_alloc(vfs, n * sizeof(*list));
	n = 0;
	if (list) {
		for (f = vfs->fuses; f; f = f->next) {
			f->pins++;
			list[n++] = f;
		}
	}
	vfs_unlock(vfs);
	/* Without memory the forgets wait for the client's next request. */
	for (i = 0; i < n; i++)
		fc_client_flush_forgets(list[i]->cl);
	vfs_lock(vfs);
	for (i = 0; i < n; i++)
		list[i]->pins--;
	vfs_unlock(vfs);
	vfs_free(vfs, list);

	/* Release callbacks, one at a time, without the lock. */
	for (;;) {
		struct vfs_fuse **pp;

		vfs_lock(vfs);
		rel = NULL;
		for (pp = &vfs->released; *pp; pp = &(*pp)->next) {
			if (!(*pp)->pins) {
				rel = *pp;
				*pp = rel->next;
				break;
			}
		}
		vfs_unlock(vfs);
		if (!rel)
			break;
		fc_conn_set_notify(rel->conn, NULL, NULL);
		fc_client_flush_forgets(rel->cl);
		if (rel->release)
			rel->release(rel->release_ctx, rel->cl);
		vfs_free(vfs, rel);
	}
}

long vctx_end(struct vctx *c, long ret)
{
	if (c->p) {
		/* A signal is delivered on the way out of the syscall. */
		vfs_lock(c->vfs);
		c->p->sigpending = 0;
		vfs_unlock(c->vfs);
	}
	if (c->vfs)
		vfs_run_deferred(c->vfs);
	return ret;
}

void fc_vfs_drop_caches(struct fc_vfs *vfs)
{
	struct vfs_sb *sb;

	if (!vfs)
		return;
	vfs_lock(vfs);
	for (sb = vfs->sbs; sb; sb = sb->next)
		if (sb->kind == VFS_SB_FUSE && sb->root)
			d_shrink(sb->root);
	vfs_unlock(vfs);
	vfs_run_deferred(vfs);
}
