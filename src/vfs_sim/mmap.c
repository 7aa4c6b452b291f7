/*
 * Memory mappings: mmap, munmap, msync and the loads and stores of the
 * simulated CPU, over the page cache (fusecore/pagecache.h).  The VFS
 * part is Linux's mm/mmap.c and mm/msync.c around fuse_file_mmap: the
 * descriptor checks of do_mmap, the file reference a mapping holds
 * (vma->vm_file, so RELEASE follows munmap), and the per-syscall context.
 * Faults, page_mkwrite, copy on write and writeback (also the one at
 * munmap, fuse_vma_close) are the page cache's.
 */
#include "fusecore/pagecache.h"
#include "vfs_i.h"

struct fc_vfs_map {
	struct fc_vfs *vfs;
	struct vfs_file *f;      /* a reference (vm_file) */
	struct fc_vma *vma;
};

int fc_sys_mmap(struct fc_proc *p, int fd, int64_t off, size_t len, int prot,
		int flags, struct fc_vfs_map **out)
{
	struct fc_vfs_map *map;
	struct fc_vma *vma;
	struct vfs_file *f;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!out)
		return (int)vctx_end(&c, -EFAULT);
	*out = NULL;
	if (off < 0 || !len || (off & (VFS_PAGE_SIZE - 1)) ||
	    !(flags & (FC_MAP_SHARED | FC_MAP_PRIVATE)) ||
	    ((flags & FC_MAP_SHARED) && (flags & FC_MAP_PRIVATE)))
		return (int)vctx_end(&c, -EINVAL);
	vfs_lock(c.vfs);
	f = fget(p, fd);
	vfs_unlock(c.vfs);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	/* do_mmap: read access always, write access for a shared writable map. */
	if (f->fmode & FMODE_PATH)
		err = -EBADF;
	else if (!(f->fmode & FMODE_READ))
		err = -EACCES;
	else if ((flags & FC_MAP_SHARED) && (prot & FC_PROT_WRITE) &&
		 !(f->fmode & FMODE_WRITE))
		err = -EACCES;
	else if (f->is_dir || !f->of || !VFS_S_ISREG(d_mode(f->path.d)))
		err = -ENODEV;
	if (!err)
		err = fc_cache_mmap(f->fuse->cl, &c.who, f->of, (uint64_t)off, len,
				    (unsigned)prot, (unsigned)flags, &vma);
	if (err) {
		fput(&c, f);
		return (int)vctx_end(&c, err);
	}
	map = vfs_zalloc(c.vfs, sizeof(*map));
	if (!map) {
		fc_vma_unmap(vma);
		fput(&c, f);
		return (int)vctx_end(&c, -ENOMEM);
	}
	map->vfs = c.vfs;
	map->f = f;       /* the descriptor's reference becomes the map's */
	map->vma = vma;
	*out = map;
	return (int)vctx_end(&c, 0);
}

int fc_sys_munmap(struct fc_proc *p, struct fc_vfs_map *map)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!map)
		return (int)vctx_end(&c, -EINVAL);
	/*
	 * remove_vma -> fuse_vma_close: the node's dirty pages are written
	 * back and waited for (a failure is left on the mapping for fsync
	 * and close to report; munmap itself succeeds), then the mapping
	 * goes and with it its file reference.
	 */
	fc_vma_close(map->vma, &c.who);
	fc_vma_unmap(map->vma);
	fput(&c, map->f);
	vfs_free(c.vfs, map);
	return (int)vctx_end(&c, 0);
}

int fc_sys_msync(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		 size_t len, int flags)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!map || (off & (VFS_PAGE_SIZE - 1)) ||
	    (flags & ~(int)(FC_MS_ASYNC | FC_MS_SYNC | FC_MS_INVALIDATE)))
		return (int)vctx_end(&c, -EINVAL);
	err = fc_vma_msync(map->vma, &c.who, off, len, (unsigned)flags);
	return (int)vctx_end(&c, err);
}

long fc_vfs_map_load(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		     void *buf, size_t len)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!map || (!buf && len))
		return vctx_end(&c, -EFAULT);
	return vctx_end(&c, fc_vma_load(map->vma, off, buf, len));
}

long fc_vfs_map_store(struct fc_proc *p, struct fc_vfs_map *map, uint64_t off,
		      const void *buf, size_t len)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (!map || (!buf && len))
		return vctx_end(&c, -EFAULT);
	return vctx_end(&c, fc_vma_store(map->vma, off, buf, len));
}
