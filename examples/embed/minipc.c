/*
 * minipc.c - the host's own page cache behind libfusecore's page-cache
 * seam (struct fc_pc_ops, fusecore/pagecache.h).
 *
 * A real kernel would forward these calls to its filemap routines.  This
 * host has none, so here is the smallest honest one: a fixed pool of
 * 4096-byte pages from the host allocator, found by a linear scan, no
 * threads.  Where Linux would sleep (a locked page, a page under
 * writeback) there is nobody else to wake us: the cache asks the client
 * to make progress instead (fc_pc_aops.wait_progress, which runs the
 * transport's poll hook) and re-checks; if no progress can ever come the
 * call fails with -EDEADLK.  Pages that cannot be dropped at once (an
 * invalidation without waiting) are marked and dropped when they become
 * clean and unlocked.  Writeback errors follow Linux's errseq_t.
 *
 * Everything the client needs is here, in about the order fusecore's
 * cached I/O uses it: page_get/put/lock, the read path with readahead,
 * the fault path, write_range/wait_range (fsync, flush, writeback-cache
 * mode), invalidate and truncate, and the writeback error sequence.
 */
#include <errno.h>
#include <string.h>

#include "embed.h"

#define MAX_MAPPINGS 32

struct fc_page {
	struct fc_pagecache *pc;
	struct fc_mapping *m;     /* NULL: free, or detached and waiting for its last put */
	int used;                 /* slot in use (attached or detached) */
	uint64_t index;
	unsigned flags;           /* FC_PG_* */
	unsigned refs;
	int inval;                /* drop once clean, unlocked, out of writeback */
	unsigned char data[FC_PC_PAGE_SIZE];
};

struct fc_mapping {
	struct fc_pagecache *pc;
	int used;
	const struct fc_pc_aops *aops;
	void *ctx;
	uint32_t ra_pages;
	uint64_t wb_err;          /* errseq: errno bits 0-11, SEEN bit 12, counter above */
	unsigned as_flags;        /* 1: AS_EIO, 2: AS_ENOSPC */
};

struct fc_pagecache {
	const struct fc_platform *plat;
	unsigned npages;
	struct fc_page *pages;
	struct fc_mapping maps[MAX_MAPPINGS];
	unsigned writepages_calls;
};

/* ---- waiting without threads ------------------------------------------------- */

/* Instead of sleeping: let the client make progress; 0 to re-check, or -errno. */
static int pc_wait(struct fc_mapping *m)
{
	int r = m->aops->wait_progress ? m->aops->wait_progress(m->ctx) : 0;

	if (r > 0)
		return 0;
	return r < 0 ? r : -EDEADLK;
}

/* ---- pages -------------------------------------------------------------------------- */

static struct fc_page *lookup(struct fc_mapping *m, uint64_t index)
{
	struct fc_pagecache *pc = m->pc;
	unsigned i;

	for (i = 0; i < pc->npages; i++)
		if (pc->pages[i].used && pc->pages[i].m == m && pc->pages[i].index == index)
			return &pc->pages[i];
	return NULL;
}

/* Take @pg out of its mapping; its slot is free once nobody holds it. */
static void detach(struct fc_page *pg)
{
	pg->m = NULL;
	pg->flags = 0;
	pg->inval = 0;
	if (pg->refs == 0)
		pg->used = 0;
}

static void maybe_drop(struct fc_page *pg)
{
	if (pg->m && pg->inval &&
	    !(pg->flags & (FC_PG_DIRTY | FC_PG_WRITEBACK | FC_PG_LOCKED)))
		detach(pg);
}

/* A free slot, evicting a clean, idle page if the pool is full. */
static struct fc_page *slot(struct fc_pagecache *pc)
{
	unsigned i;

	for (i = 0; i < pc->npages; i++)
		if (!pc->pages[i].used)
			return &pc->pages[i];
	for (i = 0; i < pc->npages; i++) {
		struct fc_page *pg = &pc->pages[i];

		if (pg->m && !pg->refs &&
		    !(pg->flags & (FC_PG_DIRTY | FC_PG_WRITEBACK | FC_PG_LOCKED))) {
			detach(pg);
			return pg;
		}
	}
	/* A real kernel would write dirty pages back here and wait. */
	return NULL;
}

static void op_page_lock(struct fc_page *pg)
{
	/*
	 * With one thread, a locked page is held by a caller further up this
	 * very call chain, or by a read the client has in flight: progress
	 * of the transport unlocks it, or nothing ever will.
	 */
	while (pg->flags & FC_PG_LOCKED)
		if (pc_wait(pg->m) < 0)
			return;	/* cannot happen in this host; the client re-checks */
	pg->flags |= FC_PG_LOCKED;
}

static struct fc_page *op_page_get(struct fc_mapping *m, uint64_t index,
				   unsigned flags, int *err)
{
	struct fc_page *pg = lookup(m, index);
	int dummy;

	if (!err)
		err = &dummy;
	*err = 0;
	if (!pg) {
		if (!(flags & FC_PGET_CREATE)) {
			*err = -ENOENT;
			return NULL;
		}
		pg = slot(m->pc);
		if (!pg) {
			*err = -ENOMEM;
			return NULL;
		}
		memset(pg->data, 0, sizeof(pg->data));
		pg->used = 1;
		pg->m = m;
		pg->index = index;
		pg->flags = 0;
		pg->refs = 0;
		pg->inval = 0;
	}
	if ((flags & FC_PGET_LOCK) && (pg->flags & FC_PG_LOCKED) &&
	    (flags & FC_PGET_NOWAIT)) {
		*err = -EAGAIN;
		return NULL;
	}
	pg->refs++;
	if (flags & FC_PGET_LOCK)
		op_page_lock(pg);
	return pg;
}

static void op_page_ref(struct fc_page *pg)
{
	pg->refs++;
}

static void op_page_put(struct fc_page *pg)
{
	if (--pg->refs == 0 && !pg->m)
		pg->used = 0;
}

static int op_page_trylock(struct fc_page *pg)
{
	if (pg->flags & FC_PG_LOCKED)
		return 0;
	pg->flags |= FC_PG_LOCKED;
	return 1;
}

static void op_page_unlock(struct fc_page *pg)
{
	pg->flags &= ~FC_PG_LOCKED;
	maybe_drop(pg);
}

static unsigned op_page_flags(struct fc_page *pg)
{
	return pg->flags;
}

static void op_page_set_uptodate(struct fc_page *pg, int uptodate)
{
	if (uptodate)
		pg->flags |= FC_PG_UPTODATE;
	else
		pg->flags &= ~FC_PG_UPTODATE;
}

static void op_page_set_dirty(struct fc_page *pg)
{
	pg->flags |= FC_PG_DIRTY;
}

static void *op_page_data(struct fc_page *pg)
{
	return pg->data;
}

static uint64_t op_page_index(struct fc_page *pg)
{
	return pg->index;
}

static int op_page_wait_writeback(struct fc_page *pg)
{
	while (pg->flags & FC_PG_WRITEBACK) {
		int r = pc_wait(pg->m);

		if (r < 0)
			return r;
	}
	return 0;
}

static void op_page_end_writeback(struct fc_page *pg, int redirty)
{
	pg->flags &= ~FC_PG_WRITEBACK;
	if (redirty)
		pg->flags |= FC_PG_DIRTY;
	maybe_drop(pg);
}

/* ---- mappings ------------------------------------------------------------------------ */

static int op_mapping_new(struct fc_pagecache *pc, const struct fc_pc_aops *aops,
			  void *ctx, uint32_t ra_pages, struct fc_mapping **out)
{
	unsigned i;

	for (i = 0; i < MAX_MAPPINGS; i++) {
		struct fc_mapping *m = &pc->maps[i];

		if (m->used)
			continue;
		memset(m, 0, sizeof(*m));
		m->pc = pc;
		m->used = 1;
		m->aops = aops;
		m->ctx = ctx;
		m->ra_pages = ra_pages ? ra_pages : 1;
		*out = m;
		return 0;
	}
	return -ENOMEM;
}

static void op_mapping_free(struct fc_mapping *m)
{
	unsigned i;

	for (i = 0; i < m->pc->npages; i++)
		if (m->pc->pages[i].used && m->pc->pages[i].m == m)
			detach(&m->pc->pages[i]);
	m->used = 0;
}

static void op_mapping_stats(struct fc_mapping *m, struct fc_mapping_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < m->pc->npages; i++) {
		const struct fc_page *pg = &m->pc->pages[i];

		if (!pg->used || pg->m != m)
			continue;
		out->nrpages++;
		out->uptodate += !!(pg->flags & FC_PG_UPTODATE);
		out->dirty += !!(pg->flags & FC_PG_DIRTY);
		out->writeback += !!(pg->flags & FC_PG_WRITEBACK);
		out->locked += !!(pg->flags & FC_PG_LOCKED);
	}
}

/* ---- the generic paths ------------------------------------------------------------- */

static uint64_t last_index(uint64_t size)
{
	return size ? (size - 1) / FC_PC_PAGE_SIZE : 0;
}

/*
 * Make page @index up to date, reading it and the missing pages after it
 * (up to ra_pages, within the file) in one readpages call.  Returns the
 * page with a reference, or NULL with *err.
 */
static struct fc_page *get_uptodate(struct fc_mapping *m, void *file, uint64_t index,
				    int *err)
{
	struct fc_page *run[64], *pg;
	uint64_t size = m->aops->size(m->ctx), last = last_index(size);
	unsigned n = 0, max = m->ra_pages < 64 ? m->ra_pages : 64, i;

	pg = op_page_get(m, index, FC_PGET_CREATE | FC_PGET_LOCK, err);
	if (!pg)
		return NULL;
	if (pg->flags & FC_PG_UPTODATE) {
		op_page_unlock(pg);
		return pg;
	}
	run[n++] = pg;
	/* Readahead: the following pages that are not cached yet. */
	while (n < max && index + n <= last && !lookup(m, index + n)) {
		struct fc_page *next = op_page_get(m, index + n,
						   FC_PGET_CREATE | FC_PGET_LOCK, err);

		if (!next)
			break;
		run[n++] = next;
	}
	*err = m->aops->readpages(m->ctx, m, file, run, n);	/* unlocks them all */
	for (i = 1; i < n; i++)
		op_page_put(run[i]);
	if (*err == 0 && !(pg->flags & FC_PG_UPTODATE))
		*err = -EIO;
	if (*err) {
		op_page_put(pg);
		return NULL;
	}
	return pg;
}

static long op_read(struct fc_mapping *m, void *file, void *buf, size_t len,
		    uint64_t off)
{
	uint64_t size = m->aops->size(m->ctx);
	size_t done = 0;
	int err = 0;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	while (done < len) {
		uint64_t pos = off + done, index = pos / FC_PC_PAGE_SIZE;
		size_t in = (size_t)(pos % FC_PC_PAGE_SIZE);
		size_t n = FC_PC_PAGE_SIZE - in < len - done ? FC_PC_PAGE_SIZE - in : len - done;
		struct fc_page *pg = get_uptodate(m, file, index, &err);

		if (!pg)
			break;
		memcpy((char *)buf + done, pg->data + in, n);
		op_page_put(pg);
		done += n;
	}
	return done ? (long)done : err;
}

static int op_fault(struct fc_mapping *m, void *file, uint64_t index,
		    struct fc_page **out)
{
	uint64_t size = m->aops->size(m->ctx);
	int err = 0;

	if (index * FC_PC_PAGE_SIZE >= size)
		return -EFAULT;	/* SIGBUS */
	*out = get_uptodate(m, file, index, &err);
	return *out ? 0 : err;
}

static int op_range_has_writeback(struct fc_mapping *m, uint64_t first, uint64_t last)
{
	unsigned i;

	for (i = 0; i < m->pc->npages; i++) {
		struct fc_page *pg = &m->pc->pages[i];

		if (pg->used && pg->m == m && pg->index >= first && pg->index <= last &&
		    (pg->flags & FC_PG_WRITEBACK))
			return 1;
	}
	return 0;
}

/* The lowest dirty page of @m in [first, last] from @from on, or NULL. */
static struct fc_page *next_dirty(struct fc_mapping *m, uint64_t from, uint64_t last)
{
	struct fc_page *best = NULL;
	unsigned i;

	for (i = 0; i < m->pc->npages; i++) {
		struct fc_page *pg = &m->pc->pages[i];

		if (pg->used && pg->m == m && (pg->flags & FC_PG_DIRTY) &&
		    pg->index >= from && pg->index <= last &&
		    (!best || pg->index < best->index))
			best = pg;
	}
	return best;
}

static int op_write_range(struct fc_mapping *m, uint64_t first, uint64_t last, int sync)
{
	struct fc_page *run[64];
	uint64_t from = first;
	unsigned n = 0, i;
	int ret = 0, r;

	for (;;) {
		struct fc_page *pg = next_dirty(m, from, last);

		/* Send the run when it ends (a gap, the end, or full). */
		if (n && (!pg || pg->index != run[n - 1]->index + 1 || n == 64)) {
			m->pc->writepages_calls++;
			r = m->aops->writepages(m->ctx, m, run, n, sync);
			if (r < 0 && !ret)
				ret = r;
			for (i = 0; i < n; i++)
				op_page_put(run[i]);
			n = 0;
		}
		if (!pg)
			break;
		from = pg->index + 1;
		if (pg->flags & (FC_PG_WRITEBACK | FC_PG_LOCKED)) {
			if (!sync)
				continue;	/* WB_SYNC_NONE skips busy pages */
			pg->refs++;
			r = op_page_wait_writeback(pg);
			if (!r)
				op_page_lock(pg);
			pg->refs--;
			if (r < 0) {
				if (!ret)
					ret = r;
				continue;
			}
			if (!(pg->flags & FC_PG_DIRTY)) {
				op_page_unlock(pg);
				continue;
			}
		} else {
			pg->flags |= FC_PG_LOCKED;
		}
		/* Out of the dirty state into writeback, then unlocked. */
		pg->flags &= ~FC_PG_DIRTY;
		pg->flags |= FC_PG_WRITEBACK;
		pg->flags &= ~FC_PG_LOCKED;
		pg->refs++;
		run[n++] = pg;
	}
	return ret;
}

static int op_wait_range(struct fc_mapping *m, uint64_t first, uint64_t last)
{
	while (op_range_has_writeback(m, first, last)) {
		int r = pc_wait(m);

		if (r < 0)
			return r;
	}
	return 0;
}

static int op_invalidate_range(struct fc_mapping *m, uint64_t first, uint64_t last,
			       enum fc_pc_inval_mode mode)
{
	unsigned i;
	int busy = 0;

	if (mode == FC_PC_INVAL_WAIT) {
		/* Launder: dirty pages written back and waited for, then dropped. */
		int r = op_write_range(m, first, last, 1);

		if (r == 0)
			r = op_wait_range(m, first, last);
		if (r < 0)
			return -EBUSY;
	} else {
		op_write_range(m, first, last, 0);
	}
	for (i = 0; i < m->pc->npages; i++) {
		struct fc_page *pg = &m->pc->pages[i];

		if (!pg->used || pg->m != m || pg->index < first || pg->index > last)
			continue;
		if (pg->flags & (FC_PG_DIRTY | FC_PG_WRITEBACK | FC_PG_LOCKED)) {
			if (mode == FC_PC_INVAL_WAIT)
				busy = 1;
			else
				pg->inval = 1;	/* dropped once idle */
			continue;
		}
		detach(pg);
	}
	return busy ? -EBUSY : 0;
}

static void op_truncate(struct fc_mapping *m, uint64_t size)
{
	uint64_t first_gone = (size + FC_PC_PAGE_SIZE - 1) / FC_PC_PAGE_SIZE;
	unsigned i;

	for (i = 0; i < m->pc->npages; i++) {
		struct fc_page *pg = &m->pc->pages[i];

		if (!pg->used || pg->m != m)
			continue;
		if (pg->index >= first_gone) {
			pg->refs++;
			op_page_wait_writeback(pg);
			op_page_lock(pg);
			pg->refs--;
			detach(pg);	/* even if dirty: the data is past the end */
		} else if (pg->index == size / FC_PC_PAGE_SIZE && size % FC_PC_PAGE_SIZE) {
			size_t keep = size % FC_PC_PAGE_SIZE;

			memset(pg->data + keep, 0, FC_PC_PAGE_SIZE - keep);
		}
	}
}

/* ---- writeback errors (Linux's errseq_t) -------------------------------------------- */

#define ERRSEQ_SEEN (1ull << 12)
#define ERRSEQ_CTR (1ull << 13)

static void op_set_error(struct fc_mapping *m, int err)
{
	uint64_t old = m->wb_err;

	m->wb_err = ((old & ~(ERRSEQ_CTR - 1)) + ERRSEQ_CTR) | (uint64_t)(-err & 0xfff);
	m->as_flags |= err == -ENOSPC ? 2u : 1u;
}

static uint64_t op_err_sample(struct fc_mapping *m)
{
	/* An error nobody saw yet is reported to a new opener too. */
	return (m->wb_err & ERRSEQ_SEEN) ? m->wb_err : 0;
}

static int op_err_check_and_advance(struct fc_mapping *m, uint64_t *cursor)
{
	uint64_t cur = m->wb_err;

	if ((cur & ~ERRSEQ_SEEN) == (*cursor & ~ERRSEQ_SEEN))
		return 0;
	m->wb_err = cur | ERRSEQ_SEEN;
	*cursor = m->wb_err;
	return cur & 0xfff ? -(int)(cur & 0xfff) : 0;
}

static int op_check_errors(struct fc_mapping *m)
{
	int r = (m->as_flags & 2u) ? -ENOSPC : (m->as_flags & 1u) ? -EIO : 0;

	m->as_flags = 0;
	return r;
}

/* ---- the table and the cache ----------------------------------------------------- */

static const struct fc_pc_ops minipc = {
	.version = FC_PC_OPS_VERSION,
	.name = "minipc",
	.mapping_new = op_mapping_new,
	.mapping_free = op_mapping_free,
	.mapping_stats = op_mapping_stats,
	.page_get = op_page_get,
	.page_ref = op_page_ref,
	.page_put = op_page_put,
	.page_lock = op_page_lock,
	.page_trylock = op_page_trylock,
	.page_unlock = op_page_unlock,
	.page_flags = op_page_flags,
	.page_set_uptodate = op_page_set_uptodate,
	.page_set_dirty = op_page_set_dirty,
	.page_data = op_page_data,
	.page_index = op_page_index,
	.page_wait_writeback = op_page_wait_writeback,
	.page_end_writeback = op_page_end_writeback,
	.read = op_read,
	.fault = op_fault,
	.write_range = op_write_range,
	.wait_range = op_wait_range,
	.range_has_writeback = op_range_has_writeback,
	.invalidate_range = op_invalidate_range,
	.truncate = op_truncate,
	.set_error = op_set_error,
	.err_sample = op_err_sample,
	.err_check_and_advance = op_err_check_and_advance,
	.check_errors = op_check_errors,
};

const struct fc_pc_ops *minipc_ops(void)
{
	return &minipc;
}

struct fc_pagecache *minipc_new(const struct fc_platform *plat, unsigned npages)
{
	struct fc_pagecache *pc = plat->alloc(plat->ctx, sizeof(*pc));

	if (!pc)
		return NULL;
	memset(pc, 0, sizeof(*pc));
	pc->plat = plat;
	pc->npages = npages;
	pc->pages = plat->alloc(plat->ctx, npages * sizeof(*pc->pages));
	if (!pc->pages) {
		plat->free(plat->ctx, pc);
		return NULL;
	}
	memset(pc->pages, 0, npages * sizeof(*pc->pages));
	return pc;
}

void minipc_free(struct fc_pagecache *pc)
{
	pc->plat->free(pc->plat->ctx, pc->pages);
	pc->plat->free(pc->plat->ctx, pc);
}

unsigned minipc_pages_used(struct fc_pagecache *pc)
{
	unsigned i, n = 0;

	for (i = 0; i < pc->npages; i++)
		n += pc->pages[i].used;
	return n;
}

unsigned minipc_writepages_calls(struct fc_pagecache *pc)
{
	return pc->writepages_calls;
}
