/*
 * The simulated page cache's generic paths: the read path with readahead
 * (mm/filemap.c filemap_read, mm/readahead.c page_cache_sync_ra), the
 * fault path with read-around (filemap_fault, do_sync_mmap_readahead),
 * writeback of a range (filemap_fdatawrite_range / write_cache_pages,
 * filemap_fdatawait_range), invalidation (invalidate_inode_pages2_range)
 * and truncation (truncate_pagecache).
 */
#include <errno.h>
#include <string.h>

#include "sim_i.h"

/* ---- readahead ----------------------------------------------------------- */

/* mm/readahead.c get_init_ra_size */
static uint64_t init_ra_size(uint64_t req, uint64_t max)
{
	uint64_t n = 1;

	while (n < req && n < (UINT64_C(1) << 40))
		n <<= 1;
	if (n <= max / 32)
		n *= 4;
	else if (n <= max / 4)
		n *= 2;
	else
		n = max;
	return n;
}

/* mm/readahead.c get_next_ra_size */
static uint64_t next_ra_size(uint64_t cur, uint64_t max)
{
	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/*
 * mm/filemap.c page_cache_prev_miss: scanning down from @index, at most
 * @max pages, the first that is not cached; UINT64_MAX (Linux's wrap to
 * ULONG_MAX) when every page down to 0 is; lock held.
 */
static uint64_t prev_miss(struct fc_mapping *m, uint64_t index, uint64_t max)
{
	while (max--) {
		if (!sim_lookup(m, index))
			return index;
		if (!index)
			return UINT64_MAX;
		if (!max)
			break;
		index--;
	}
	return index;
}

/*
 * mm/readahead.c page_cache_sync_ra: the window for a cache miss at
 * @index reading @req pages, at most @max; lock held.  A read at the
 * start, an oversized one or one that follows the previous read gets an
 * initial window (grown while the reader keeps to the window before); a
 * random read is read as is, unless the pages before it are cached -- a
 * stream that was read ahead before.
 */
static uint64_t sync_ra_size(struct fc_mapping *m, uint64_t index,
			     uint64_t req, uint64_t max)
{
	uint64_t prev_index = m->ra_prev_pos >> FC_PC_PAGE_SHIFT, miss, contig;

	if (index == m->ra_next && m->ra_size)
		return next_ra_size(m->ra_size, max);
	if (!index || req > max || index - prev_index <= 1)
		return init_ra_size(req, max);
	miss = prev_miss(m, index - 1, max);
	contig = index - miss - 1;
	if (contig <= req)
		return req;	/* standalone, small random read */
	if (miss == UINT64_MAX)
		contig *= 2;	/* cached from the start: a long stream */
	return contig + req < max ? contig + req : max;
}

static int read_run(struct fc_mapping *m, void *file, struct fc_page **run,
		    unsigned n)
{
	struct fc_pagecache *pc = m->pc;
	unsigned i;
	int err;

	if (!n)
		return 0;
	sim_lock(pc);
	pc->st.readpages_calls++;
	pc->st.readahead_pages += n;
	sim_unlock(pc);
	err = m->aops->readpages(m->ctx, m, file, run, n);
	for (i = 0; i < n; i++)
		sim_page_put(run[i]);
	return err;
}

/*
 * Read the missing pages of [start, start + nr), within the file
 * (page_cache_ra_unbounded): a page already there ends a run, as in
 * Linux; a page that cannot be made ends the window.
 */
static void do_readahead(struct fc_mapping *m, void *file, uint64_t start,
			 uint64_t nr)
{
	struct fc_pagecache *pc = m->pc;
	const struct fc_platform *p = pc->plat;
	uint64_t isize = m->aops->size(m->ctx), last, i;
	struct fc_page *one, **run;
	unsigned n = 0;

	if (!isize || !nr)
		return;
	last = (isize - 1) >> FC_PC_PAGE_SHIFT;
	if (start > last)
		return;
	if (nr > last - start + 1)
		nr = last - start + 1;
	if (nr > 4096)
		nr = 4096;
	run = nr > 1 ? p->alloc(p->ctx, (size_t)nr * sizeof(*run)) : NULL;
	if (!run) {
		run = &one; /* no memory for a window: one page */
		nr = 1;
	}
	for (i = 0; i < nr; i++) {
		struct fc_page *pg;
		int err;

		sim_lock(pc);
		pg = sim_lookup(m, start + i);
		sim_unlock(pc);
		if (pg) {
			/* Already cached (or being read): end the run here. */
			read_run(m, file, run, n);
			n = 0;
			continue;
		}
		pg = sim_page_get(m, start + i, FC_PGET_CREATE | FC_PGET_LOCK,
				  &err);
		if (!pg)
			break;
		sim_lock(pc);
		if (pg->flags & FC_PG_UPTODATE) {
			/* Someone filled it meanwhile. */
			sim_unlock_page_locked(pg);
			sim_unlock(pc);
			sim_page_put(pg);
			read_run(m, file, run, n);
			n = 0;
			continue;
		}
		sim_unlock(pc);
		run[n++] = pg;
	}
	read_run(m, file, run, n);
	if (run != &one)
		p->free(p->ctx, run);
}

/*
 * The up-to-date page @index with a reference, reading it (and the
 * window around or after it) if needed: filemap_get_pages with
 * filemap_update_page's single-page retry (filemap_read_folio).
 */
static struct fc_page *get_uptodate(struct fc_mapping *m, void *file,
				    uint64_t index, uint64_t ra_start,
				    uint64_t ra_nr, int *errp, int *did_ra)
{
	struct fc_pagecache *pc = m->pc;
	int read_window = 0, retried = 0;

	for (;;) {
		struct fc_page *pg;
		int err;

		sim_lock(pc);
		pg = sim_lookup(m, index);
		if (pg) {
			pg->refs++;
			sim_lru_touch(pc, pg);
			while (pg->flags & FC_PG_LOCKED)
				pc->plat->cond_wait(pc->plat->ctx, pc->cond,
						    pc->lock, "page lock");
			if (pg->m && (pg->flags & FC_PG_UPTODATE)) {
				sim_unlock(pc);
				return pg;
			}
			if (!pg->m || retried) {
				int gone = !pg->m;

				sim_unlock(pc);
				sim_page_put(pg);
				if (gone && retried < 3) {
					retried++;
					continue;
				}
				*errp = -EIO;
				return NULL;
			}
			/* There but not up to date: read this page alone. */
			pg->flags |= FC_PG_LOCKED;
			retried = 1;
			pc->st.readpages_calls++;
			pc->st.readahead_pages++;
			sim_unlock(pc);
			err = m->aops->readpages(m->ctx, m, file, &pg, 1);
			sim_lock(pc);
			if (pg->m && (pg->flags & FC_PG_UPTODATE)) {
				sim_unlock(pc);
				return pg;
			}
			sim_unlock(pc);
			sim_page_put(pg);
			*errp = err ? err : -EIO;
			return NULL;
		}
		sim_unlock(pc);
		if (read_window) {
			/* Nothing could be made: out of room. */
			pg = sim_page_get(m, index, FC_PGET_CREATE | FC_PGET_LOCK,
					  &err);
			if (!pg) {
				*errp = err;
				return NULL;
			}
			sim_lock(pc);
			sim_unlock_page_locked(pg);
			sim_unlock(pc);
			sim_page_put(pg);
			continue;
		}
		read_window = 1;
		if (did_ra)
			*did_ra = 1;
		do_readahead(m, file, ra_start, ra_nr);
	}
}

long sim_read(struct fc_mapping *m, void *file, void *buf, size_t len,
	      uint64_t off)
{
	struct fc_pagecache *pc = m->pc;
	size_t done = 0;

	while (done < len) {
		uint64_t pos = off + done, isize, index, req, size, max;
		struct fc_page *pg;
		size_t n, in_page;
		int err, did_ra = 0;

		isize = m->aops->size(m->ctx);
		if (pos >= isize)
			break;
		index = pos >> FC_PC_PAGE_SHIFT;
		req = ((pos + (len - done) - 1) >> FC_PC_PAGE_SHIFT) - index + 1;

		/* page_cache_sync_ra: the window, growing while sequential. */
		sim_lock(pc);
		max = m->ra_pages ? m->ra_pages : 1;
		size = m->ra_pages ? sync_ra_size(m, index, req, max) : 1;
		if (size < req && size < max)
			size = req < max ? req : max;
		sim_unlock(pc);

		pg = get_uptodate(m, file, index, index, size, &err, &did_ra);
		if (!pg)
			return done ? (long)done : err;
		if (did_ra) {
			/* The window just read: the next sequential miss grows it. */
			sim_lock(pc);
			m->ra_next = index + size;
			m->ra_size = (uint32_t)size;
			sim_unlock(pc);
		}
		/* A short read may have moved the end of the file. */
		isize = m->aops->size(m->ctx);
		if (pos >= isize) {
			sim_page_put(pg);
			break;
		}
		in_page = FC_PC_PAGE_SIZE - (size_t)(pos & (FC_PC_PAGE_SIZE - 1));
		n = len - done < in_page ? len - done : in_page;
		if (n > isize - pos)
			n = (size_t)(isize - pos);
		memcpy((char *)buf + done,
		       pg->data + (pos & (FC_PC_PAGE_SIZE - 1)), n);
		sim_page_put(pg);
		done += n;
	}
	/* filemap_read: where this read ended, for the next one's readahead. */
	sim_lock(pc);
	m->ra_prev_pos = off + done;
	sim_unlock(pc);
	return (long)done;
}

int sim_fault(struct fc_mapping *m, void *file, uint64_t index,
	      struct fc_page **out)
{
	uint64_t isize = m->aops->size(m->ctx), start, nr;
	struct fc_page *pg;
	int err = 0;

	*out = NULL;
	/* Wholly past the end of the file: SIGBUS, nothing read. */
	if (!isize || index > (isize - 1) >> FC_PC_PAGE_SHIFT)
		return -EFAULT;
	/* do_sync_mmap_readahead: ra_pages centred on the fault. */
	nr = m->ra_pages ? m->ra_pages : 1;
	start = index >= nr / 2 ? index - nr / 2 : 0;
	if (!m->ra_pages)
		start = index;
	pg = get_uptodate(m, file, index, start, nr, &err, NULL);
	if (!pg)
		return err ? err : -EIO;
	*out = pg;
	return 0;
}

/* ---- writeback ------------------------------------------------------------------ */

/* Hand a run of pages under writeback to the client (lock held, dropped). */
static int flush_run(struct fc_mapping *m, struct fc_page **run, unsigned *n,
		     int sync)
{
	struct fc_pagecache *pc = m->pc;
	int err;

	if (!*n)
		return 0;
	pc->st.writepages_calls++;
	sim_unlock(pc);
	err = m->aops->writepages(m->ctx, m, run, *n, sync);
	sim_lock(pc);
	*n = 0;
	return err;
}

int sim_write_range(struct fc_mapping *m, uint64_t first, uint64_t last,
		    int sync)
{
	struct fc_pagecache *pc = m->pc;
	struct fc_page **v, **run;
	unsigned n, i, nrun = 0;
	int ret = 0, err;

	sim_lock(pc);
	err = sim_collect(m, first, last, FC_PG_DIRTY, &v, &n);
	if (err || !n) {
		sim_unlock(pc);
		return err;
	}
	run = pc->plat->alloc(pc->plat->ctx, n * sizeof(*run));
	if (!run) {
		sim_put_all(pc, v, n);
		sim_unlock(pc);
		return -ENOMEM;
	}
	m->busy++;
	for (i = 0; i < n; i++) {
		struct fc_page *pg = v[i];

		/*
		 * write_cache_pages: lock the page (WB_SYNC_NONE skips a locked
		 * one), wait for or skip its writeback, then move it from dirty
		 * to writeback under the lock -- a fault never sees it halfway.
		 */
		if (pg->flags & FC_PG_LOCKED) {
			if (!sync)
				continue;
			sim_lock_page_locked(pg);
		} else {
			pg->flags |= FC_PG_LOCKED;
		}
		err = 0;
		while (sync && !err && pg->m && (pg->flags & FC_PG_WRITEBACK))
			err = sim_wait(m, "writeback");
		if (err && !ret)
			ret = err;
		if (err || !pg->m || !(pg->flags & FC_PG_DIRTY) ||
		    (pg->flags & FC_PG_WRITEBACK)) {
			sim_unlock_page_locked(pg);
			continue;
		}
		sim_start_writeback(pg);
		sim_unlock_page_locked(pg);
		if (nrun && run[nrun - 1]->index + 1 != pg->index) {
			err = flush_run(m, run, &nrun, sync);
			if (err && !ret)
				ret = err;
		}
		run[nrun++] = pg;
	}
	err = flush_run(m, run, &nrun, sync);
	if (err && !ret)
		ret = err;
	m->busy--;
	sim_wake(pc);
	sim_put_all(pc, v, n);
	sim_unlock(pc);
	pc->plat->free(pc->plat->ctx, run);
	return ret;
}

int sim_wait_range(struct fc_mapping *m, uint64_t first, uint64_t last)
{
	struct fc_pagecache *pc = m->pc;
	int err = 0;

	sim_lock(pc);
	while (!err && sim_range_has_writeback_locked(m, first, last))
		err = sim_wait(m, "writeback");
	sim_unlock(pc);
	return err;
}

int sim_range_has_writeback(struct fc_mapping *m, uint64_t first,
			    uint64_t last)
{
	struct fc_pagecache *pc = m->pc;
	int r;

	sim_lock(pc);
	r = sim_range_has_writeback_locked(m, first, last);
	sim_unlock(pc);
	return r;
}

/* ---- invalidation and truncation -------------------------------------------------- */

static int invalidate_wait(struct fc_mapping *m, uint64_t first, uint64_t last)
{
	struct fc_pagecache *pc = m->pc;
	struct fc_page **v;
	unsigned n, i;
	int ret = 0, err;

	sim_lock(pc);
	err = sim_collect(m, first, last, 0, &v, &n);
	if (err || !n) {
		sim_unlock(pc);
		return err ? -EBUSY : 0;
	}
	m->busy++;
	for (i = 0; i < n; i++) {
		struct fc_page *pg = v[i];

		sim_lock_page_locked(pg);
		err = 0;
		while (!err && pg->m && (pg->flags & FC_PG_WRITEBACK))
			err = sim_wait(m, "writeback");
		if (!err && pg->m && (pg->flags & FC_PG_DIRTY)) {
			/* folio_launder: write it back now, synchronously. */
			sim_start_writeback(pg);
			pc->st.writepages_calls++;
			sim_unlock(pc);
			err = m->aops->writepages(m->ctx, m, &pg, 1, 1);
			sim_lock(pc);
			while (!err && pg->m && (pg->flags & FC_PG_WRITEBACK))
				err = sim_wait(m, "writeback");
		}
		if (err || (pg->m && (pg->flags & (FC_PG_DIRTY | FC_PG_WRITEBACK))))
			ret = -EBUSY;
		else
			sim_detach(pg);
		sim_unlock_page_locked(pg);
	}
	m->busy--;
	sim_wake(pc);
	sim_put_all(pc, v, n);
	sim_unlock(pc);
	return ret;
}

static int invalidate_nowait(struct fc_mapping *m, uint64_t first,
			     uint64_t last)
{
	struct fc_pagecache *pc = m->pc;
	struct fc_page **v;
	unsigned n, i;
	int err;

	sim_lock(pc);
	err = sim_collect(m, first, last, 0, &v, &n);
	if (err || !n) {
		sim_unlock(pc);
		return err ? -EBUSY : 0;
	}
	for (i = 0; i < n; i++) {
		struct fc_page *pg = v[i];

		if (pg->m && !(pg->flags & (FC_PG_LOCKED | FC_PG_DIRTY |
					    FC_PG_WRITEBACK)))
			sim_detach(pg);
		else if (pg->m)
			pg->inval = 1; /* dropped once clean and unlocked */
	}
	sim_put_all(pc, v, n);
	sim_unlock(pc);
	/* Dirty pages go out first (without waiting), then drop themselves. */
	return sim_write_range(m, first, last, 0);
}

int sim_invalidate_range(struct fc_mapping *m, uint64_t first, uint64_t last,
			 enum fc_pc_inval_mode mode)
{
	if (first > last)
		return 0;
	if (mode == FC_PC_INVAL_NOWAIT) {
		invalidate_nowait(m, first, last);
		return 0;
	}
	return invalidate_wait(m, first, last);
}

void sim_truncate(struct fc_mapping *m, uint64_t size)
{
	struct fc_pagecache *pc = m->pc;
	uint64_t first = (size + FC_PC_PAGE_SIZE - 1) >> FC_PC_PAGE_SHIFT;
	struct fc_page **v, *pg;
	unsigned n, i;

	sim_lock(pc);
	m->busy++;
	/* truncate_inode_pages_range: whole pages past the size go, dirty or not. */
	if (!sim_collect(m, first, FC_PC_INDEX_MAX, 0, &v, &n) && n) {
		for (i = 0; i < n; i++) {
			pg = v[i];
			sim_lock_page_locked(pg);
			while (pg->m && (pg->flags & FC_PG_WRITEBACK))
				if (sim_wait(m, "writeback"))
					break;
			sim_detach(pg);
			sim_unlock_page_locked(pg);
		}
		sim_put_all(pc, v, n);
	}
	/* truncate_inode_partial_folio: zero the tail of the last page. */
	if (size & (FC_PC_PAGE_SIZE - 1)) {
		pg = sim_lookup(m, size >> FC_PC_PAGE_SHIFT);
		if (pg) {
			pg->refs++;
			sim_lock_page_locked(pg);
			while (pg->m && (pg->flags & FC_PG_WRITEBACK))
				if (sim_wait(m, "writeback"))
					break;
			if (pg->m)
				memset(pg->data + (size & (FC_PC_PAGE_SIZE - 1)), 0,
				       FC_PC_PAGE_SIZE -
					       (size & (FC_PC_PAGE_SIZE - 1)));
			sim_unlock_page_locked(pg);
			sim_unref_locked(pg);
		}
	}
	/* Readahead starts afresh. */
	m->ra_next = 0;
	m->ra_size = 0;
	m->ra_prev_pos = UINT64_MAX;
	m->busy--;
	sim_wake(pc);
	sim_unlock(pc);
}
