/*
 * Internal view of the simulated page cache (fusecore/pagecache.h), shared
 * by page.c (pages, mappings, eviction, errors) and paths.c (the generic
 * read, fault, writeback, invalidate and truncate paths).
 *
 * One mutex per page cache guards every mapping and page; one condition
 * variable carries every wake-up (page unlocked, writeback ended, page
 * freed, mapping no longer busy).  Page data is copied in and out without
 * the mutex, as Linux copies folio contents without a lock: the page lock
 * and the writeback state say who may change the bytes.
 */
#ifndef FUSECORE_PAGECACHE_SIM_I_H
#define FUSECORE_PAGECACHE_SIM_I_H

#include "fusecore/pagecache.h"

struct fc_page {
	struct fc_mapping *m;      /* NULL once detached (truncated, evicted) */
	uint64_t index;
	unsigned flags;            /* FC_PG_* */
	unsigned refs;             /* page_get references */
	int inval;                 /* drop once clean, unlocked, out of writeback */
	struct fc_pagecache *pc;
	struct fc_page *hnext;     /* mapping hash chain */
	struct fc_page *lprev, *lnext; /* LRU, oldest first (attached pages) */
	unsigned char data[FC_PC_PAGE_SIZE];
};

struct fc_mapping {
	struct fc_pagecache *pc;
	const struct fc_pc_aops *aops;
	void *ctx;
	uint32_t ra_pages;
	struct fc_page **hash;
	unsigned hmask;
	uint64_t nrpages;
	/* errseq_t: errno in bits 0-11, SEEN bit 12, counter above. */
	uint64_t wb_err;
	unsigned as_flags;         /* AS_EIO / AS_ENOSPC */
	/* Readahead state (Linux keeps it per open file: file_ra_state). */
	uint64_t ra_next;          /* the index a sequential reader asks next */
	uint32_t ra_size;          /* the last window */
	uint64_t ra_prev_pos;      /* prev_pos: where the last read ended (UINT64_MAX: none) */
	unsigned busy;             /* a whole-cache walk is using it */
	struct fc_mapping *mprev, *mnext;
};

struct fc_pagecache {
	const struct fc_platform *plat;
	struct fc_mutex *lock;
	struct fc_cond *cond;
	uint64_t capacity;
	struct fc_page *lru_head, *lru_tail;
	struct fc_mapping *mappings;
	struct fc_pagecache_sim_stats st;
	uint64_t wake_gen;          /* sim_wake()s so far (sim_wait) */
};

#define SIM_AS_EIO    1u
#define SIM_AS_ENOSPC 2u

static inline void sim_lock(struct fc_pagecache *pc)
{
	pc->plat->mutex_lock(pc->plat->ctx, pc->lock);
}

static inline void sim_unlock(struct fc_pagecache *pc)
{
	pc->plat->mutex_unlock(pc->plat->ctx, pc->lock);
}

/* Lock held: whoever waits for a change looks again. */
static inline void sim_wake(struct fc_pagecache *pc)
{
	pc->wake_gen++;
	pc->plat->cond_broadcast(pc->plat->ctx, pc->cond);
}

/* page.c */
struct fc_page *sim_lookup(struct fc_mapping *m, uint64_t index);
void sim_lru_touch(struct fc_pagecache *pc, struct fc_page *pg);
/* Take @pg out of its mapping; freed now if unreferenced (lock held). */
void sim_detach(struct fc_page *pg);
/* Drop a reference (lock held); frees a detached, unused page. */
void sim_unref_locked(struct fc_page *pg);
int sim_range_has_writeback_locked(struct fc_mapping *m, uint64_t first,
				   uint64_t last);
/* Drop a page marked inval once it allows it (lock held). */
void sim_maybe_drop(struct fc_page *pg);
/* Wait (lock held) for a change on behalf of @m; 0 or -errno. */
int sim_wait(struct fc_mapping *m, const char *what);
/* Locked walk helpers: referenced pages of @m in [first, last], sorted. */
int sim_collect(struct fc_mapping *m, uint64_t first, uint64_t last,
		unsigned need_flags, struct fc_page ***out, unsigned *n);
void sim_put_all(struct fc_pagecache *pc, struct fc_page **v, unsigned n);
/* Lock @pg, waiting (lock held). */
void sim_lock_page_locked(struct fc_page *pg);
void sim_unlock_page_locked(struct fc_page *pg);
/* Start writeback of the locked, dirty page (lock held). */
void sim_start_writeback(struct fc_page *pg);

/* page.c: the ops table entries paths.c shares */
struct fc_page *sim_page_get(struct fc_mapping *m, uint64_t index,
			     unsigned flags, int *err);
void sim_page_put(struct fc_page *pg);

/* paths.c */
long sim_read(struct fc_mapping *m, void *file, void *buf, size_t len,
	      uint64_t off);
int sim_fault(struct fc_mapping *m, void *file, uint64_t index,
	      struct fc_page **out);
int sim_write_range(struct fc_mapping *m, uint64_t first, uint64_t last,
		    int sync);
int sim_wait_range(struct fc_mapping *m, uint64_t first, uint64_t last);
int sim_range_has_writeback(struct fc_mapping *m, uint64_t first,
			    uint64_t last);
int sim_invalidate_range(struct fc_mapping *m, uint64_t first, uint64_t last,
			 enum fc_pc_inval_mode mode);
void sim_truncate(struct fc_mapping *m, uint64_t size);

#endif /* FUSECORE_PAGECACHE_SIM_I_H */
