/*
 * The simulated page cache: the cache object, mappings, pages (lookup,
 * creation, references, locks, state), eviction under a capacity, and
 * writeback errors (mm/filemap.c, mm/vmscan.c in miniature, lib/errseq.c).
 */
#include <errno.h>
#include <string.h>

#include "sim_i.h"

#define SIM_HASH_INITIAL 64u

/* lib/errseq.c layout. */
#define ERRSEQ_MAX_ERRNO 4095u
#define ERRSEQ_SEEN      (1u << 12)
#define ERRSEQ_CTR_INC   (1u << 13)

/* ---- hash and LRU (lock held) ------------------------------------------- */

static unsigned hash_index(const struct fc_mapping *m, uint64_t index)
{
	uint64_t h = index * 0x9e3779b97f4a7c15ULL;

	return (unsigned)(h >> 40) & m->hmask;
}

struct fc_page *sim_lookup(struct fc_mapping *m, uint64_t index)
{
	struct fc_page *pg;

	for (pg = m->hash[hash_index(m, index)]; pg; pg = pg->hnext)
		if (pg->index == index)
			return pg;
	return NULL;
}

static void hash_grow(struct fc_mapping *m)
{
	const struct fc_platform *p = m->pc->plat;
	unsigned nsize = (m->hmask + 1) * 2, i, old_size = m->hmask + 1;
	struct fc_page **nh = p->alloc(p->ctx, nsize * sizeof(*nh));
	struct fc_page **old = m->hash;

	if (!nh)
		return; /* longer chains, still correct */
	memset(nh, 0, nsize * sizeof(*nh));
	m->hash = nh;
	m->hmask = nsize - 1;
	for (i = 0; i < old_size; i++) {
		struct fc_page *pg = old[i], *next;

		for (; pg; pg = next) {
			unsigned h = hash_index(m, pg->index);

			next = pg->hnext;
			pg->hnext = nh[h];
			nh[h] = pg;
		}
	}
	p->free(p->ctx, old);
}

static void lru_unlink(struct fc_pagecache *pc, struct fc_page *pg)
{
	if (pg->lprev)
		pg->lprev->lnext = pg->lnext;
	else
		pc->lru_head = pg->lnext;
	if (pg->lnext)
		pg->lnext->lprev = pg->lprev;
	else
		pc->lru_tail = pg->lprev;
	pg->lprev = pg->lnext = NULL;
}

static void lru_add_tail(struct fc_pagecache *pc, struct fc_page *pg)
{
	pg->lnext = NULL;
	pg->lprev = pc->lru_tail;
	if (pc->lru_tail)
		pc->lru_tail->lnext = pg;
	else
		pc->lru_head = pg;
	pc->lru_tail = pg;
}

void sim_lru_touch(struct fc_pagecache *pc, struct fc_page *pg)
{
	if (!pg->m || pc->lru_tail == pg)
		return;
	lru_unlink(pc, pg);
	lru_add_tail(pc, pg);
}

/* ---- page lifetime (lock held) ---------------------------------------------- */

static void page_free_if_unused(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	if (pg->m || pg->refs || (pg->flags & (FC_PG_LOCKED | FC_PG_WRITEBACK)))
		return;
	pc->st.pages--;
	pc->plat->free(pc->plat->ctx, pg);
	sim_wake(pc);
}

void sim_detach(struct fc_page *pg)
{
	struct fc_mapping *m = pg->m;
	struct fc_page **pp;

	if (!m)
		return;
	for (pp = &m->hash[hash_index(m, pg->index)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == pg) {
			*pp = pg->hnext;
			break;
		}
	}
	pg->hnext = NULL;
	lru_unlink(m->pc, pg);
	m->nrpages--;
	pg->m = NULL;
	pg->flags &= ~FC_PG_DIRTY; /* nobody will write a detached page */
	pg->inval = 0;
	page_free_if_unused(pg);
}

void sim_maybe_drop(struct fc_page *pg)
{
	if (pg->m && pg->inval &&
	    !(pg->flags & (FC_PG_LOCKED | FC_PG_DIRTY | FC_PG_WRITEBACK)))
		sim_detach(pg);
}

void sim_unref_locked(struct fc_page *pg)
{
	pg->refs--;
	page_free_if_unused(pg);
}

int sim_range_has_writeback_locked(struct fc_mapping *m, uint64_t first,
				   uint64_t last)
{
	unsigned i;

	for (i = 0; i <= m->hmask; i++) {
		struct fc_page *pg;

		for (pg = m->hash[i]; pg; pg = pg->hnext)
			if (pg->index >= first && pg->index <= last &&
			    (pg->flags & FC_PG_WRITEBACK))
				return 1;
	}
	return 0;
}

/*
 * Wait for a change on behalf of @m (lock held).  A client on a host
 * without threads makes progress itself (wait_progress() > 0); with
 * threads we sleep until the next wake-up.  The wake generation closes
 * the window in which the lock is dropped for wait_progress().
 */
int sim_wait(struct fc_mapping *m, const char *what)
{
	struct fc_pagecache *pc = m->pc;

	if (m->aops->wait_progress) {
		const struct fc_pc_aops *aops = m->aops;
		uint64_t gen = pc->wake_gen;
		void *ctx = m->ctx;
		int r;

		m->busy++;
		sim_unlock(pc);
		r = aops->wait_progress(ctx);
		sim_lock(pc);
		m->busy--;
		if (r < 0)
			return r;
		/* Progress made, or a wake-up came while the lock was dropped. */
		if (r > 0 || pc->wake_gen != gen)
			return 0;
	}
	pc->plat->cond_wait(pc->plat->ctx, pc->cond, pc->lock, what);
	return 0;
}

void sim_lock_page_locked(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	while (pg->flags & FC_PG_LOCKED)
		pc->plat->cond_wait(pc->plat->ctx, pc->cond, pc->lock,
				    "page lock");
	pg->flags |= FC_PG_LOCKED;
}

void sim_unlock_page_locked(struct fc_page *pg)
{
	pg->flags &= ~FC_PG_LOCKED;
	sim_wake(pg->pc);
	if (pg->m)
		sim_maybe_drop(pg); /* frees it if it goes */
	else
		page_free_if_unused(pg);
}

void sim_start_writeback(struct fc_page *pg)
{
	pg->flags &= ~FC_PG_DIRTY;
	pg->flags |= FC_PG_WRITEBACK;
}

/* ---- eviction (lock held) ------------------------------------------------------ */

/*
 * Make room for one more page (shrink_folio_list in miniature): evict the
 * least recently used clean, unlocked, unreferenced page; if every
 * candidate is dirty, write the oldest one back and wait for it; if pages
 * are only under writeback, wait for one.  -ENOMEM when nothing can go.
 */
static int make_room(struct fc_mapping *m, unsigned flags)
{
	struct fc_pagecache *pc = m->pc;
	int failed_writebacks = 0;

	while (pc->st.pages >= pc->capacity) {
		struct fc_page *pg, *dirty = NULL, *wb = NULL;
		struct fc_mapping *dm;
		int err;

		for (pg = pc->lru_head; pg; pg = pg->lnext) {
			if (pg->flags & FC_PG_LOCKED)
				continue;
			if (pg->flags & FC_PG_WRITEBACK) {
				if (!wb)
					wb = pg;
				continue;
			}
			if (pg->flags & FC_PG_DIRTY) {
				if (!dirty)
					dirty = pg;
				continue;
			}
			if (pg->refs)
				continue;
			break;
		}
		if (pg) {
			pc->st.evicted++;
			sim_detach(pg);
			continue;
		}
		if (flags & FC_PGET_NOWAIT)
			return -ENOMEM;
		if (dirty && failed_writebacks < 2) {
			/* pageout(): write the dirty page, then it is clean. */
			dm = dirty->m;
			dirty->refs++;
			sim_start_writeback(dirty);
			pc->st.evict_writebacks++;
			pc->st.writepages_calls++;
			dm->busy++;
			sim_unlock(pc);
			err = dm->aops->writepages(dm->ctx, dm, &dirty, 1, 1);
			sim_lock(pc);
			while (!err && (dirty->flags & FC_PG_WRITEBACK))
				err = sim_wait(dm, "eviction");
			dm->busy--;
			sim_wake(pc);
			if (err || (dirty->flags & FC_PG_DIRTY))
				failed_writebacks++;
			sim_unref_locked(dirty);
			continue;
		}
		if (wb) {
			err = sim_wait(wb->m, "eviction");
			if (err)
				return -ENOMEM;
			continue;
		}
		return -ENOMEM;
	}
	return 0;
}

/* ---- pages ------------------------------------------------------------------- */

static struct fc_page *page_create(struct fc_mapping *m, uint64_t index,
				   unsigned flags, int *err)
{
	struct fc_pagecache *pc = m->pc;
	struct fc_page *pg;
	int e;

	e = make_room(m, flags);
	if (e) {
		*err = e;
		return NULL;
	}
	/* make_room may have dropped the lock: someone may have made it. */
	pg = sim_lookup(m, index);
	if (pg)
		return pg;
	pg = pc->plat->alloc(pc->plat->ctx, sizeof(*pg));
	if (!pg) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(pg, 0, sizeof(*pg));
	pg->pc = pc;
	pg->m = m;
	pg->index = index;
	if (m->nrpages > m->hmask)
		hash_grow(m);
	pg->hnext = m->hash[hash_index(m, index)];
	m->hash[hash_index(m, index)] = pg;
	lru_add_tail(pc, pg);
	m->nrpages++;
	pc->st.pages++;
	pc->st.created++;
	return pg;
}

struct fc_page *sim_page_get(struct fc_mapping *m, uint64_t index,
			     unsigned flags, int *errp)
{
	struct fc_pagecache *pc = m->pc;
	struct fc_page *pg;
	int err = 0;

	sim_lock(pc);
	for (;;) {
		pg = sim_lookup(m, index);
		if (!pg) {
			if (!(flags & FC_PGET_CREATE)) {
				err = -ENOENT;
				break;
			}
			pg = page_create(m, index, flags, &err);
			if (!pg)
				break;
		}
		if (flags & FC_PGET_LOCK) {
			if (pg->flags & FC_PG_LOCKED) {
				if (flags & FC_PGET_NOWAIT) {
					pg = NULL;
					err = -EAGAIN;
					break;
				}
				pg->refs++;
				sim_lock_page_locked(pg);
				if (!pg->m) {
					/* Truncated meanwhile: look again. */
					sim_unlock_page_locked(pg);
					sim_unref_locked(pg);
					continue;
				}
				pg->refs--;
			} else {
				pg->flags |= FC_PG_LOCKED;
			}
		}
		pg->refs++;
		sim_lru_touch(pc, pg);
		break;
	}
	sim_unlock(pc);
	if (errp)
		*errp = pg ? 0 : err;
	return pg;
}

void sim_page_put(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	sim_unref_locked(pg);
	sim_unlock(pc);
}

static void op_page_ref(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	pg->refs++;
	sim_unlock(pc);
}

static void op_page_lock(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	sim_lock_page_locked(pg);
	sim_unlock(pc);
}

static int op_page_trylock(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;
	int ok;

	sim_lock(pc);
	ok = !(pg->flags & FC_PG_LOCKED);
	if (ok)
		pg->flags |= FC_PG_LOCKED;
	sim_unlock(pc);
	return ok;
}

static void op_page_unlock(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	sim_unlock_page_locked(pg);
	sim_unlock(pc);
}

static unsigned op_page_flags(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;
	unsigned f;

	sim_lock(pc);
	f = pg->flags;
	sim_unlock(pc);
	return f;
}

static void op_page_set_uptodate(struct fc_page *pg, int uptodate)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	if (uptodate)
		pg->flags |= FC_PG_UPTODATE;
	else
		pg->flags &= ~FC_PG_UPTODATE;
	sim_unlock(pc);
}

static void op_page_set_dirty(struct fc_page *pg)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	if (pg->m)
		pg->flags |= FC_PG_DIRTY;
	sim_unlock(pc);
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
	struct fc_pagecache *pc = pg->pc;
	int err = 0;

	sim_lock(pc);
	while (!err && (pg->flags & FC_PG_WRITEBACK)) {
		if (pg->m)
			err = sim_wait(pg->m, "writeback");
		else
			pc->plat->cond_wait(pc->plat->ctx, pc->cond, pc->lock,
					    "writeback");
	}
	sim_unlock(pc);
	return err;
}

static void op_page_end_writeback(struct fc_page *pg, int redirty)
{
	struct fc_pagecache *pc = pg->pc;

	sim_lock(pc);
	pg->flags &= ~FC_PG_WRITEBACK;
	if (redirty && pg->m)
		pg->flags |= FC_PG_DIRTY;
	sim_wake(pc);
	if (pg->m)
		sim_maybe_drop(pg);
	else
		page_free_if_unused(pg);
	sim_unlock(pc);
}

/* ---- collecting pages of a range (lock held) ------------------------------------ */

static void sort_pages(struct fc_page **v, unsigned n)
{
	/* Shell sort by index: no libc qsort in the core. */
	unsigned gap, i, j;

	for (gap = n / 2; gap; gap /= 2) {
		for (i = gap; i < n; i++) {
			struct fc_page *t = v[i];

			for (j = i; j >= gap && v[j - gap]->index > t->index;
			     j -= gap)
				v[j] = v[j - gap];
			v[j] = t;
		}
	}
}

int sim_collect(struct fc_mapping *m, uint64_t first, uint64_t last,
		unsigned need_flags, struct fc_page ***out, unsigned *n)
{
	const struct fc_platform *p = m->pc->plat;
	struct fc_page **v;
	unsigned i, k = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i <= m->hmask; i++) {
		struct fc_page *pg;

		for (pg = m->hash[i]; pg; pg = pg->hnext)
			if (pg->index >= first && pg->index <= last &&
			    (!need_flags || (pg->flags & need_flags)))
				cap++;
	}
	if (!cap)
		return 0;
	v = p->alloc(p->ctx, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i <= m->hmask; i++) {
		struct fc_page *pg;

		for (pg = m->hash[i]; pg; pg = pg->hnext) {
			if (pg->index >= first && pg->index <= last &&
			    (!need_flags || (pg->flags & need_flags))) {
				pg->refs++;
				v[k++] = pg;
			}
		}
	}
	sort_pages(v, k);
	*out = v;
	*n = k;
	return 0;
}

void sim_put_all(struct fc_pagecache *pc, struct fc_page **v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sim_unref_locked(v[i]);
	pc->plat->free(pc->plat->ctx, v);
}

/* ---- mappings ----------------------------------------------------------------- */

static int op_mapping_new(struct fc_pagecache *pc, const struct fc_pc_aops *aops,
			  void *ctx, uint32_t ra_pages, struct fc_mapping **out)
{
	const struct fc_platform *p = pc->plat;
	struct fc_mapping *m;

	*out = NULL;
	if (!aops || aops->version != FC_PC_AOPS_VERSION || !aops->readpages ||
	    !aops->writepages || !aops->size)
		return -EINVAL;
	m = p->alloc(p->ctx, sizeof(*m));
	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	m->hash = p->alloc(p->ctx, SIM_HASH_INITIAL * sizeof(*m->hash));
	if (!m->hash) {
		p->free(p->ctx, m);
		return -ENOMEM;
	}
	memset(m->hash, 0, SIM_HASH_INITIAL * sizeof(*m->hash));
	m->hmask = SIM_HASH_INITIAL - 1;
	m->pc = pc;
	m->aops = aops;
	m->ctx = ctx;
	m->ra_pages = ra_pages;
	m->ra_prev_pos = UINT64_MAX; /* file_ra_state_init */
	sim_lock(pc);
	m->mnext = pc->mappings;
	if (pc->mappings)
		pc->mappings->mprev = m;
	pc->mappings = m;
	sim_unlock(pc);
	*out = m;
	return 0;
}

static void op_mapping_free(struct fc_mapping *m)
{
	struct fc_pagecache *pc;
	unsigned i;

	if (!m)
		return;
	pc = m->pc;
	sim_lock(pc);
	while (m->busy)
		pc->plat->cond_wait(pc->plat->ctx, pc->cond, pc->lock,
				    "mapping busy");
	for (i = 0; i <= m->hmask; i++)
		while (m->hash[i])
			sim_detach(m->hash[i]);
	if (m->mprev)
		m->mprev->mnext = m->mnext;
	else
		pc->mappings = m->mnext;
	if (m->mnext)
		m->mnext->mprev = m->mprev;
	sim_unlock(pc);
	pc->plat->free(pc->plat->ctx, m->hash);
	pc->plat->free(pc->plat->ctx, m);
}

static void op_mapping_stats(struct fc_mapping *m, struct fc_mapping_stats *out)
{
	struct fc_pagecache *pc = m->pc;
	unsigned i;

	memset(out, 0, sizeof(*out));
	sim_lock(pc);
	out->nrpages = m->nrpages;
	for (i = 0; i <= m->hmask; i++) {
		struct fc_page *pg;

		for (pg = m->hash[i]; pg; pg = pg->hnext) {
			out->uptodate += !!(pg->flags & FC_PG_UPTODATE);
			out->dirty += !!(pg->flags & FC_PG_DIRTY);
			out->writeback += !!(pg->flags & FC_PG_WRITEBACK);
			out->locked += !!(pg->flags & FC_PG_LOCKED);
		}
	}
	sim_unlock(pc);
}

/* ---- writeback errors (lib/errseq.c, mm/filemap.c) -------------------------------- */

static void op_set_error(struct fc_mapping *m, int err)
{
	struct fc_pagecache *pc = m->pc;
	uint64_t old, nw;

	if (err >= 0 || (unsigned)-err > ERRSEQ_MAX_ERRNO)
		return;
	sim_lock(pc);
	/* errseq_set: a new error after one was seen bumps the counter. */
	old = m->wb_err;
	nw = (old & ~(uint64_t)(ERRSEQ_MAX_ERRNO | ERRSEQ_SEEN)) | (unsigned)-err;
	if (old & ERRSEQ_SEEN)
		nw += ERRSEQ_CTR_INC;
	m->wb_err = nw;
	/* mapping_set_error: the legacy AS_* flags too. */
	m->as_flags |= err == -ENOSPC ? SIM_AS_ENOSPC : SIM_AS_EIO;
	sim_unlock(pc);
}

static uint64_t op_err_sample(struct fc_mapping *m)
{
	struct fc_pagecache *pc = m->pc;
	uint64_t v;

	sim_lock(pc);
	v = m->wb_err;
	/* errseq_sample: an error nobody saw yet is reported to a new opener. */
	if (!(v & ERRSEQ_SEEN))
		v = 0;
	sim_unlock(pc);
	return v;
}

static int op_err_check_and_advance(struct fc_mapping *m, uint64_t *cursor)
{
	struct fc_pagecache *pc = m->pc;
	uint64_t old;
	int err = 0;

	sim_lock(pc);
	old = m->wb_err;
	if (old != *cursor) {
		uint64_t nw = old | ERRSEQ_SEEN;

		m->wb_err = nw;
		*cursor = nw;
		err = -(int)(nw & ERRSEQ_MAX_ERRNO);
	}
	sim_unlock(pc);
	return err;
}

static int op_check_errors(struct fc_mapping *m)
{
	struct fc_pagecache *pc = m->pc;
	int err = 0;

	sim_lock(pc);
	if (m->as_flags & SIM_AS_ENOSPC)
		err = -ENOSPC;
	if (m->as_flags & SIM_AS_EIO)
		err = -EIO;
	m->as_flags = 0;
	sim_unlock(pc);
	return err;
}

/* ---- the cache ------------------------------------------------------------------- */

static const struct fc_pc_ops sim_ops = {
	.version = FC_PC_OPS_VERSION,
	.name = "sim",
	.mapping_new = op_mapping_new,
	.mapping_free = op_mapping_free,
	.mapping_stats = op_mapping_stats,
	.page_get = sim_page_get,
	.page_ref = op_page_ref,
	.page_put = sim_page_put,
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
	.read = sim_read,
	.fault = sim_fault,
	.write_range = sim_write_range,
	.wait_range = sim_wait_range,
	.range_has_writeback = sim_range_has_writeback,
	.invalidate_range = sim_invalidate_range,
	.truncate = sim_truncate,
	.set_error = op_set_error,
	.err_sample = op_err_sample,
	.err_check_and_advance = op_err_check_and_advance,
	.check_errors = op_check_errors,
};

const struct fc_pc_ops *fc_pagecache_sim_ops(void)
{
	return &sim_ops;
}

void fc_pagecache_sim_config_default(struct fc_pagecache_sim_config *cfg,
				     const struct fc_platform *plat)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_PAGECACHE_SIM_CONFIG_VERSION;
	cfg->plat = plat;
	cfg->capacity = 1024;
}

int fc_pagecache_sim_new(const struct fc_pagecache_sim_config *cfg,
			 struct fc_pagecache **out)
{
	const struct fc_platform *p;
	struct fc_pagecache *pc;

	*out = NULL;
	if (!cfg || cfg->version != FC_PAGECACHE_SIM_CONFIG_VERSION ||
	    !cfg->plat || cfg->plat->version != FC_PLATFORM_VERSION ||
	    cfg->capacity < 1)
		return -EINVAL;
	p = cfg->plat;
	pc = p->alloc(p->ctx, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	memset(pc, 0, sizeof(*pc));
	pc->plat = p;
	pc->capacity = cfg->capacity;
	pc->st.capacity = cfg->capacity;
	pc->lock = p->mutex_new(p->ctx);
	pc->cond = p->cond_new(p->ctx);
	if (!pc->lock || !pc->cond) {
		if (pc->lock)
			p->mutex_free(p->ctx, pc->lock);
		if (pc->cond)
			p->cond_free(p->ctx, pc->cond);
		p->free(p->ctx, pc);
		return -ENOMEM;
	}
	*out = pc;
	return 0;
}

void fc_pagecache_sim_free(struct fc_pagecache *pc)
{
	const struct fc_platform *p;

	if (!pc)
		return;
	p = pc->plat;
	p->cond_free(p->ctx, pc->cond);
	p->mutex_free(p->ctx, pc->lock);
	p->free(p->ctx, pc);
}

void fc_pagecache_sim_stats(struct fc_pagecache *pc,
			    struct fc_pagecache_sim_stats *out)
{
	sim_lock(pc);
	*out = pc->st;
	sim_unlock(pc);
}

int fc_pagecache_sim_writeback(struct fc_pagecache *pc, int wait)
{
	struct fc_mapping *m;
	int ret = 0;

	/* The flusher's walk: a busy mapping is not freed under it. */
	sim_lock(pc);
	m = pc->mappings;
	if (m)
		m->busy++;
	while (m) {
		struct fc_mapping *next;
		int err;

		sim_unlock(pc);
		err = sim_write_range(m, 0, FC_PC_INDEX_MAX, 0);
		if (!err && wait)
			err = sim_wait_range(m, 0, FC_PC_INDEX_MAX);
		if (err && !ret)
			ret = err;
		sim_lock(pc);
		next = m->mnext;
		if (next)
			next->busy++;
		m->busy--;
		sim_wake(pc);
		m = next;
	}
	sim_unlock(pc);
	return ret;
}
