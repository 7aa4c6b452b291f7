/*
 * Memory mappings of FUSE files: fuse_file_mmap, the fault path
 * (filemap_fault with read-around, through the page cache's read path),
 * fuse_page_mkwrite for stores into shared mappings, copy on write for
 * private ones, msync (vfs_fsync_range -> fuse_fsync) and the writeback
 * at munmap (fuse_vma_close).
 *
 * Loads and stores are calls here (the simulated CPU has no MMU): each
 * access that is not to a private copy goes through a fault, which is
 * equivalent to Linux's page tables being write-protected again whenever
 * a page goes into writeback (folio_mkclean) and dropped whenever a page
 * is invalidated or truncated (unmap_mapping_range).
 */
#include <errno.h>
#include <string.h>

#include "cache_i.h"

struct fc_vma {
	struct fc_client *cl;
	struct fc_open_ctx *of;
	struct fc_cnode *cn;
	struct fc_caller who;        /* the task that mapped it (fault READs) */
	uint64_t off;                /* file offset of the first byte */
	uint64_t len;
	unsigned prot, flags;
	uint64_t npages;
	unsigned char **cow;         /* private copies, per page (MAP_PRIVATE) */
};

int fc_cache_mmap(struct fc_client *cl, const struct fc_caller *who,
		  struct fc_open_ctx *of, uint64_t off, uint64_t len,
		  unsigned prot, unsigned flags, struct fc_vma **out)
{
	const struct fc_platform *p = cl->plat;
	int shared = !!(flags & FC_MAP_SHARED);
	struct fc_cnode *cn;
	struct fc_vma *vma;

	*out = NULL;
	if (of->is_dir)
		return -ENODEV;
	if (of->node->stale)
		return -ESTALE;
	if (!len || (off & (FC_PC_PAGE_SIZE - 1)) ||
	    shared == !!(flags & FC_MAP_PRIVATE) ||
	    len > UINT64_MAX - off - FC_PC_PAGE_SIZE)
		return -EINVAL;
	/* do_mmap: a shared writable mapping needs a file opened for writing. */
	if (shared && (prot & FC_PROT_WRITE) &&
	    (of->file_flags & FC_O_ACCMODE) == FC_O_RDONLY)
		return -EACCES;
	if (!(prot & FC_PROT_READ) && (of->file_flags & FC_O_ACCMODE) == FC_O_WRONLY)
		return -EACCES;
	cn = fc_cnode_get(cl, of->node);
	if (!cn)
		return cl->cache ? -ENOMEM : -ENODEV;
	if (of->fopen_flags & FC_FOPEN_DIRECT_IO) {
		/*
		 * fuse_file_mmap: MAP_SHARED cannot be kept coherent with direct
		 * I/O unless the daemon allowed it; the cache is dropped first.
		 */
		if (shared && !fc_cl_has(cl, FC_DIRECT_IO_ALLOW_MMAP))
			return -ENODEV;
		cn->cc->ops->invalidate_range(cn->m, 0, FC_PC_INDEX_MAX,
					      FC_PC_INVAL_WAIT);
	}
	vma = p->alloc(p->ctx, sizeof(*vma));
	if (!vma)
		return -ENOMEM;
	memset(vma, 0, sizeof(*vma));
	vma->npages = (len + FC_PC_PAGE_SIZE - 1) >> FC_PC_PAGE_SHIFT;
	if (!shared) {
		if (vma->npages > SIZE_MAX / sizeof(*vma->cow)) {
			p->free(p->ctx, vma);
			return -ENOMEM;
		}
		vma->cow = p->alloc(p->ctx, (size_t)vma->npages * sizeof(*vma->cow));
		if (!vma->cow) {
			p->free(p->ctx, vma);
			return -ENOMEM;
		}
		memset(vma->cow, 0, (size_t)vma->npages * sizeof(*vma->cow));
	}
	vma->cl = cl;
	vma->of = of;
	vma->cn = cn;
	if (who)
		vma->who = *who;
	vma->off = off;
	vma->len = len;
	vma->prot = prot;
	vma->flags = flags;
	/*
	 * A shared mapping of a file opened for writing may dirty pages: its
	 * fh is there for writeback WRITEs (fuse_link_write_file), in either
	 * cache mode, until the file is released.
	 */
	if (shared && (of->file_flags & FC_O_ACCMODE) != FC_O_RDONLY)
		fc_cc_link_write_file(cn, of);
	*out = vma;
	return 0;
}

/* Fault page @pi of the mapping in: the up-to-date page cache page. */
static int vma_fault(struct fc_vma *vma, uint64_t pi, struct fc_page **out)
{
	struct fc_cache_file cf = { vma->of, &vma->who };
	struct fc_cnode *cn = vma->cn;

	fc_cc_process_pending(cn);
	return cn->cc->ops->fault(cn->m, &cf,
				  (vma->off >> FC_PC_PAGE_SHIFT) + pi, out);
}

static int vma_range_ok(const struct fc_vma *vma, uint64_t off, size_t len)
{
	return off <= vma->len && len <= vma->len - off;
}

long fc_vma_load(struct fc_vma *vma, uint64_t off, void *buf, size_t len)
{
	const struct fc_pc_ops *ops = vma->cn->cc->ops;
	size_t done = 0;

	if (!vma_range_ok(vma, off, len) || !(vma->prot & FC_PROT_READ))
		return -EFAULT; /* SIGSEGV */
	while (done < len) {
		uint64_t pos = off + done, pi = pos >> FC_PC_PAGE_SHIFT;
		size_t in = (size_t)(pos & (FC_PC_PAGE_SIZE - 1));
		size_t n = FC_PC_PAGE_SIZE - in;
		struct fc_page *pg;
		int err;

		if (n > len - done)
			n = len - done;
		if (vma->cow && vma->cow[pi]) {
			memcpy((char *)buf + done, vma->cow[pi] + in, n);
			done += n;
			continue;
		}
		err = vma_fault(vma, pi, &pg);
		if (err)
			return done ? (long)done : err;
		memcpy((char *)buf + done, (char *)ops->page_data(pg) + in, n);
		ops->page_put(pg);
		done += n;
	}
	return (long)done;
}

/*
 * fuse_page_mkwrite: the page is locked and waits for its writeback to
 * end (no store may change a page a WRITE is carrying); then the store
 * lands and the page is dirty.  In writeback-cache mode the times are
 * updated locally (file_update_time).
 */
static int store_shared(struct fc_vma *vma, uint64_t pi, size_t in,
			const void *src, size_t n)
{
	struct fc_cnode *cn = vma->cn;
	const struct fc_pc_ops *ops = cn->cc->ops;
	uint64_t index = (vma->off >> FC_PC_PAGE_SHIFT) + pi;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct fc_page *pg, *again;
		int err;

		err = vma_fault(vma, pi, &pg);
		if (err)
			return err;
		fc_cc_touch_times(cn);
		ops->page_lock(pg);
		err = ops->page_wait_writeback(pg);
		if (err) {
			ops->page_unlock(pg);
			ops->page_put(pg);
			return err;
		}
		/* Truncated or invalidated meanwhile: fault again. */
		again = ops->page_get(cn->m, index, 0, NULL);
		if (again != pg ||
		    !(ops->page_flags(pg) & FC_PG_UPTODATE)) {
			if (again)
				ops->page_put(again);
			ops->page_unlock(pg);
			ops->page_put(pg);
			continue;
		}
		ops->page_put(again);
		memcpy((char *)ops->page_data(pg) + in, src, n);
		ops->page_set_dirty(pg);
		ops->page_unlock(pg);
		ops->page_put(pg);
		return 0;
	}
	return -EFAULT;
}

/* A private mapping: the first store copies the page (do_cow_fault). */
static int store_private(struct fc_vma *vma, uint64_t pi, size_t in,
			 const void *src, size_t n)
{
	const struct fc_platform *p = vma->cl->plat;
	const struct fc_pc_ops *ops = vma->cn->cc->ops;

	if (!vma->cow[pi]) {
		unsigned char *copy = p->alloc(p->ctx, FC_PC_PAGE_SIZE);
		struct fc_page *pg;
		int err;

		if (!copy)
			return -ENOMEM;
		err = vma_fault(vma, pi, &pg);
		if (err) {
			p->free(p->ctx, copy);
			return err;
		}
		memcpy(copy, ops->page_data(pg), FC_PC_PAGE_SIZE);
		ops->page_put(pg);
		vma->cow[pi] = copy;
	}
	memcpy(vma->cow[pi] + in, src, n);
	return 0;
}

long fc_vma_store(struct fc_vma *vma, uint64_t off, const void *buf,
		  size_t len)
{
	size_t done = 0;

	if (!vma_range_ok(vma, off, len) || !(vma->prot & FC_PROT_WRITE))
		return -EFAULT; /* SIGSEGV */
	while (done < len) {
		uint64_t pos = off + done, pi = pos >> FC_PC_PAGE_SHIFT;
		size_t in = (size_t)(pos & (FC_PC_PAGE_SIZE - 1));
		size_t n = FC_PC_PAGE_SIZE - in;
		int err;

		if (n > len - done)
			n = len - done;
		if (vma->cow)
			err = store_private(vma, pi, in, (const char *)buf + done, n);
		else
			err = store_shared(vma, pi, in, (const char *)buf + done, n);
		if (err)
			return done ? (long)done : err;
		done += n;
	}
	return (long)done;
}

/*
 * fuse_fsync_common: FSYNC with FUSE_FSYNC_FDATASYNC, sent here rather
 * than through fc_fsync() so that only the msync range was written back
 * (fc_fsync() writes the whole file back first).  ENOSYS is success (the
 * connection remembers it: no_fsync).
 */
static int send_fsync(struct fc_client *cl, const struct fc_caller *who,
		      struct fc_open_ctx *of)
{
	struct fc_fsync_in in;
	struct fc_args a;
	int err;

	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.fsync_flags = FC_FSYNC_FDATASYNC;
	fc_args_init(&a, FC_FSYNC, of->node->nodeid, who);
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS)
		return 0;
	return err < 0 ? err : 0;
}

int fc_vma_msync(struct fc_vma *vma, const struct fc_caller *who,
		 uint64_t off, uint64_t len, unsigned flags)
{
	/* The mapping covers whole pages (vm_end). */
	uint64_t maplen = (vma->len + FC_PC_PAGE_SIZE - 1) & ~(uint64_t)(FC_PC_PAGE_SIZE - 1);
	uint64_t start, first, last;
	int err, unmapped = 0;

	if ((flags & FC_MS_ASYNC) && (flags & FC_MS_SYNC))
		return -EINVAL;
	if (off > maplen)
		return -ENOMEM;
	/*
	 * msync(2): the length in whole pages; past the end of the mapping
	 * lies no vma, which is -ENOMEM once the mapped part is done.
	 */
	if (len > maplen - off) {
		len = maplen - off;
		unmapped = 1;
	}
	/* Only MS_SYNC on a shared mapping does anything (msync(2) in Linux). */
	if (!(flags & FC_MS_SYNC) || vma->cow || !len)
		return unmapped ? -ENOMEM : 0;
	start = vma->off + off;
	first = start >> FC_PC_PAGE_SHIFT;
	last = (start + len - 1) >> FC_PC_PAGE_SHIFT;
	/* vfs_fsync_range(file, start, end, 1) -> fuse_fsync */
	err = fc_cc_sync_range(vma->cn, who, vma->of, first, last);
	if (!err)
		err = send_fsync(vma->cl, who, vma->of);
	return err ? err : (unmapped ? -ENOMEM : 0);
}

void fc_vma_close(struct fc_vma *vma, const struct fc_caller *who)
{
	struct fc_cnode *cn;
	int err;

	if (!vma)
		return;
	cn = vma->cn;
	/*
	 * fuse_vma_close (the close of fuse_file_vm_ops, which fuse_file_mmap
	 * installs on every mapping): write_inode_now(inode, 1), then
	 * mapping_set_error() with what it returned.  The WRITEs are the
	 * writeback WRITEs msync's sends; no FSYNC follows.
	 */
	err = fc_cc_write_inode_now(cn, who ? who : &vma->who);
	if (err) {
		cn->cc->ops->set_error(cn->m, err);
		fc_cc_mirror_err(cn);
	}
}

void fc_vma_unmap(struct fc_vma *vma)
{
	const struct fc_platform *p;
	uint64_t i;

	if (!vma)
		return;
	p = vma->cl->plat;
	/*
	 * Only the teardown: the writeback munmap(2) does first is
	 * fc_vma_close()'s.
	 */
	if (vma->cow) {
		for (i = 0; i < vma->npages; i++)
			p->free(p->ctx, vma->cow[i]);
		p->free(p->ctx, vma->cow);
	}
	p->free(p->ctx, vma);
}
