/*
 * fusecore/pagecache.h - the page-cache seam, the simulated page cache,
 * and the FUSE client's cached file I/O.
 *
 * Three parts, in the order a call travels:
 *
 *  1. The cached file operations (fc_cache_*, fc_vma_*): what Linux's
 *     fs/fuse/file.c does for a regular file with a page cache --
 *     fuse_cache_read_iter, fuse_perform_write (write-through),
 *     generic_perform_write (writeback-cache mode), fuse_direct_io,
 *     fuse_file_mmap with fault / page_mkwrite, msync, fsync and the
 *     close-time flush, the writeback WRITEs (fuse_writepages,
 *     fuse_send_writepage), fuse_set_nowrite / fuse_release_nowrite, and
 *     the notifications that act on the cache (INVAL_INODE, STORE,
 *     RETRIEVE).  A VFS calls these for regular files instead of
 *     fc_read() / fc_write().
 *
 *  2. The seam proper, two explicit, versioned tables of function
 *     pointers (in the manner of SQLite's sqlite3_vfs):
 *      - struct fc_pc_ops: what the FUSE client asks of a page cache
 *        (Linux's mm/filemap.c, mm/readahead.c, mm/truncate.c,
 *        lib/errseq.c): find or create a page of a mapping, its state and
 *        lock, the generic read and fault paths with readahead, start and
 *        wait for writeback on a range, invalidate and truncate a range,
 *        and the writeback-error sequence of the mapping;
 *      - struct fc_pc_aops: what the page cache asks of the client (Linux's
 *        address_space_operations): read pages, write dirty pages back,
 *        the file size, and a way to make progress while waiting on a host
 *        without threads.
 *     A foreign kernel's page cache implements struct fc_pc_ops (usually
 *     by forwarding to its own routines) and calls the client's
 *     struct fc_pc_aops from its address-space operations.
 *
 *  3. The simulated page cache (fc_pagecache_sim_new()): 4096-byte pages,
 *     a capacity set by the embedder, eviction of clean pages and
 *     writeback of dirty ones under pressure, readahead.
 *
 * Page states (FC_PG_*): UPTODATE (the page holds the file's data),
 * DIRTY (it holds data the daemon does not have yet), WRITEBACK (a WRITE
 * carrying it is queued or in flight; the data must not change until it
 * ends), LOCKED (someone is filling it, moving it into writeback or
 * writing into it).  The ordering rules that tie them together are
 * described in docs/pagecache.md.
 *
 * Every place that blocks waits through the platform's cond_wait with a
 * descriptive @what: "page lock", "writeback" (page writeback, or all
 * writeback WRITEs of a node, Linux's fuse_set_nowrite), "inode lock"
 * (the per-node I/O lock), "eviction".
 *
 * Results are 0 (or a byte count) on success and -errno on failure.
 */
#ifndef FUSECORE_PAGECACHE_H
#define FUSECORE_PAGECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/ops.h"
#include "fusecore/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Page size of every page cache behind this seam (Linux's PAGE_SIZE). */
#define FC_PC_PAGE_SIZE 4096u
/** log2(FC_PC_PAGE_SIZE). */
#define FC_PC_PAGE_SHIFT 12
/** "To the end of the file" as a last page index. */
#define FC_PC_INDEX_MAX UINT64_MAX

struct fc_pagecache;  /* a page cache (one per mount or per host) */
struct fc_mapping;    /* the cached pages of one node (Linux's address_space) */
struct fc_page;       /* one page of a mapping (Linux's folio of order 0) */

/* ======================================================================== */
/* Page states                                                              */
/* ======================================================================== */

/** Page state bits, as fc_pc_ops.page_flags() reports them. */
enum fc_page_flag {
	/** The page holds the file's data (Linux's PG_uptodate). */
	FC_PG_UPTODATE = 1u << 0,
	/** Data the daemon does not have yet (PG_dirty). */
	FC_PG_DIRTY = 1u << 1,
	/** A WRITE carrying the page is queued or in flight (PG_writeback). */
	FC_PG_WRITEBACK = 1u << 2,
	/** Locked by a task (PG_locked). */
	FC_PG_LOCKED = 1u << 3,
};

/** Flags of fc_pc_ops.page_get(). */
enum fc_page_get_flag {
	/** Create the page (not up to date, zero-filled) if it is missing. */
	FC_PGET_CREATE = 1u << 0,
	/** Return the page locked (waiting for the lock, what = "page lock"). */
	FC_PGET_LOCK = 1u << 1,
	/**
	 * Never block: with FC_PGET_LOCK give up (NULL, -EAGAIN) if the page
	 * is locked; with FC_PGET_CREATE evict only clean pages to make room.
	 * For notification handlers, which run on the transport's receive path.
	 */
	FC_PGET_NOWAIT = 1u << 2,
};

/** How fc_pc_ops.invalidate_range() treats pages it cannot drop at once. */
enum fc_pc_inval_mode {
	/**
	 * invalidate_inode_pages2_range: wait for locked pages and for
	 * writeback; write dirty pages back first (launder, synchronous);
	 * then drop them.  Returns -EBUSY if a page could not be dropped
	 * (redirtied meanwhile, or its writeback failed to start).
	 */
	FC_PC_INVAL_WAIT = 0,
	/**
	 * Never block: drop the clean, unlocked pages now; start writeback of
	 * the dirty ones (without waiting); every other page of the range is
	 * dropped as soon as it is clean, unlocked and out of writeback.
	 * For notification handlers (FUSE_NOTIFY_INVAL_INODE).
	 */
	FC_PC_INVAL_NOWAIT = 1,
};

/** Counters of one mapping (fc_pc_ops.mapping_stats()). */
struct fc_mapping_stats {
	uint64_t nrpages;     /**< pages in the mapping */
	uint64_t uptodate;    /**< of which up to date */
	uint64_t dirty;       /**< of which dirty */
	uint64_t writeback;   /**< of which under writeback */
	uint64_t locked;      /**< of which locked */
};

/* ======================================================================== */
/* What the page cache asks of the client (address-space operations)       */
/* ======================================================================== */

/** Version of struct fc_pc_aops this header describes. */
#define FC_PC_AOPS_VERSION 1

/**
 * The client's side of a mapping, given to fc_pc_ops.mapping_new().
 * Each call receives the @ctx given with the table.  The page cache calls
 * these without holding any lock of its own.
 */
struct fc_pc_aops {
	/** Must be FC_PC_AOPS_VERSION. */
	unsigned version;

	/**
	 * Fill @n pages of consecutive indices (Linux's ->readahead and
	 * ->read_folio).  Each page is locked, referenced by the caller and
	 * not up to date.  The client reads them from the daemon, copies the
	 * data, zero-fills what the daemon did not send, marks them up to date
	 * and unlocks every page -- also on failure, then without marking it.
	 * @file is the open file the read is done for (a struct fc_open_ctx
	 * for libfusecore's client; may be NULL).  Returns 0 or -errno; on
	 * return the pages are unlocked.
	 */
	int (*readpages)(void *ctx, struct fc_mapping *m, void *file,
			 struct fc_page **pages, unsigned n);

	/**
	 * Write back @n pages of consecutive indices (->writepages).  Each
	 * page is referenced by the caller, unlocked, no longer dirty and
	 * under writeback.  The client sends them (possibly later, in the
	 * background) and calls fc_pc_ops.page_end_writeback() for every page
	 * once its WRITE is answered, recording a failure with
	 * fc_pc_ops.set_error().  It takes its own references if it needs the
	 * pages beyond the call.  If it cannot write them at all it ends their
	 * writeback with @redirty set and returns -errno; otherwise 0.  @sync:
	 * the caller will wait for the writeback (WB_SYNC_ALL).
	 */
	int (*writepages)(void *ctx, struct fc_mapping *m,
			  struct fc_page **pages, unsigned n, int sync);

	/** The file size (i_size) the page cache reads, faults and evicts against. */
	uint64_t (*size)(void *ctx);

	/**
	 * The page cache is about to sleep until a writeback or a read the
	 * client started ends.  On a host without threads nobody else could
	 * end it: the client makes progress itself (it runs the transport's
	 * poll hook) and returns 1 so that the page cache re-checks instead
	 * of sleeping; -errno if nothing can ever end it (-EDEADLK).  With
	 * threads it returns 0 and the page cache sleeps on its condition
	 * variable.  Optional (NULL: always sleep).
	 */
	int (*wait_progress)(void *ctx);
};

/* ======================================================================== */
/* What the client asks of a page cache                                     */
/* ======================================================================== */

/** Version of struct fc_pc_ops this header describes. */
#define FC_PC_OPS_VERSION 1

/**
 * A page cache implementation.  Every call names its page cache, mapping
 * or page; the page cache keeps no global state.  Unless stated, a call
 * may block (waiting through the platform with a descriptive @what).
 */
struct fc_pc_ops {
	/** Must be FC_PC_OPS_VERSION. */
	unsigned version;
	/** Short name for logs ("sim"). */
	const char *name;

	/* ---- mappings ---- */

	/**
	 * Create the mapping of one node, served by @aops with @ctx, reading
	 * ahead at most @ra_pages pages at once (Linux's bdi ra_pages, from
	 * the negotiated max_readahead).  Returns 0 and sets *@out, or -errno.
	 */
	int (*mapping_new)(struct fc_pagecache *pc, const struct fc_pc_aops *aops,
			   void *ctx, uint32_t ra_pages, struct fc_mapping **out);

	/**
	 * Drop every page and free the mapping (truncate_inode_pages_final).
	 * No page may be locked or under writeback; dirty pages are discarded.
	 */
	void (*mapping_free)(struct fc_mapping *m);

	/** Counters of @m.  Never blocks. */
	void (*mapping_stats)(struct fc_mapping *m, struct fc_mapping_stats *out);

	/* ---- pages ---- */

	/**
	 * Find page @index of @m, or create it with FC_PGET_CREATE
	 * (filemap_grab_folio / __filemap_get_folio), locked with
	 * FC_PGET_LOCK.  Creating may evict pages of any mapping, and write
	 * dirty ones back first, to stay within the capacity.  Returns the
	 * page with a reference (release with page_put), or NULL with *@err
	 * set: -ENOENT (missing, no FC_PGET_CREATE), -ENOMEM (no room),
	 * -EAGAIN (FC_PGET_NOWAIT and locked).  @err may be NULL.
	 */
	struct fc_page *(*page_get)(struct fc_mapping *m, uint64_t index,
				    unsigned flags, int *err);

	/** Take another reference to @pg.  Never blocks. */
	void (*page_ref)(struct fc_page *pg);

	/** Drop a reference from page_get() or page_ref().  Never blocks. */
	void (*page_put)(struct fc_page *pg);

	/** Lock @pg (folio_lock), waiting with what = "page lock". */
	void (*page_lock)(struct fc_page *pg);

	/** Lock @pg if nobody holds it; 1 if locked, 0 if not.  Never blocks. */
	int (*page_trylock)(struct fc_page *pg);

	/** Unlock @pg and wake its waiters.  Never blocks. */
	void (*page_unlock)(struct fc_page *pg);

	/** The FC_PG_* state of @pg.  Never blocks. */
	unsigned (*page_flags)(struct fc_page *pg);

	/**
	 * Mark the locked page @pg up to date (or, with @uptodate 0, not up
	 * to date: folio_clear_uptodate).  Never blocks.
	 */
	void (*page_set_uptodate)(struct fc_page *pg, int uptodate);

	/**
	 * Mark the locked, up-to-date page @pg dirty (folio_mark_dirty).  It
	 * must not be under writeback (wait for it first).  Never blocks.
	 */
	void (*page_set_dirty)(struct fc_page *pg);

	/** The page's 4096 bytes of data. */
	void *(*page_data)(struct fc_page *pg);

	/** The page's index in its mapping (file offset / 4096). */
	uint64_t (*page_index)(struct fc_page *pg);

	/**
	 * Wait until @pg is not under writeback (folio_wait_writeback), with
	 * what = "writeback".  Returns 0, or -errno if the wait can never end
	 * (a host without threads whose client cannot make progress).
	 */
	int (*page_wait_writeback)(struct fc_page *pg);

	/**
	 * End the writeback of @pg (folio_end_writeback) and wake its
	 * waiters; with @redirty the page becomes dirty again (its WRITE was
	 * never sent).  Called by the client, from any thread.  Never blocks.
	 */
	void (*page_end_writeback)(struct fc_page *pg, int redirty);

	/* ---- generic paths ---- */

	/**
	 * Read @len bytes at @off through the cache (filemap_read): pages
	 * missing or not up to date are read ahead through
	 * fc_pc_aops.readpages (for @file), at most ra_pages at once, never
	 * past the size fc_pc_aops.size() reports.  Returns the bytes copied
	 * (0 at or past the end of the file) or -errno if none were.
	 */
	long (*read)(struct fc_mapping *m, void *file, void *buf, size_t len,
		     uint64_t off);

	/**
	 * A page fault on page @index (filemap_fault): the page up to date,
	 * read around @index (ra_pages pages centred on it, within the file)
	 * if needed, with a reference in *@out.  Returns 0, -EFAULT (SIGBUS:
	 * the page is wholly past the end of the file), or the read's -errno.
	 */
	int (*fault)(struct fc_mapping *m, void *file, uint64_t index,
		     struct fc_page **out);

	/**
	 * Start writeback of the dirty pages in [@first, @last]
	 * (filemap_fdatawrite_range): each is locked, taken out of the dirty
	 * state and put under writeback, then runs of consecutive pages go to
	 * fc_pc_aops.writepages.  With @sync, pages already under writeback
	 * are waited for first and locks are waited for (WB_SYNC_ALL);
	 * without, such pages are skipped and nothing blocks (WB_SYNC_NONE).
	 * Returns 0 or the first -errno writepages returned.
	 */
	int (*write_range)(struct fc_mapping *m, uint64_t first, uint64_t last,
			   int sync);

	/**
	 * Wait until no page in [@first, @last] is under writeback
	 * (filemap_fdatawait_range, what = "writeback").  Returns 0 or
	 * -errno if the wait can never end.
	 */
	int (*wait_range)(struct fc_mapping *m, uint64_t first, uint64_t last);

	/** Non-zero if a page in [@first, @last] is under writeback.  Never blocks. */
	int (*range_has_writeback)(struct fc_mapping *m, uint64_t first,
				   uint64_t last);

	/**
	 * Drop the pages in [@first, @last] (invalidate_inode_pages2_range);
	 * see enum fc_pc_inval_mode.  Returns 0 or -EBUSY.
	 */
	int (*invalidate_range)(struct fc_mapping *m, uint64_t first,
				uint64_t last, enum fc_pc_inval_mode mode);

	/**
	 * The file is now @size bytes (truncate_pagecache): wait for the
	 * locks and writeback of the pages past it, drop them even if dirty,
	 * and zero the part of the last page past @size.
	 */
	void (*truncate)(struct fc_mapping *m, uint64_t size);

	/* ---- writeback errors (lib/errseq.c, mapping_set_error) ---- */

	/**
	 * Record writeback error @err (-errno) on @m (mapping_set_error): the
	 * sequence advances so that every cursor taken before sees it once,
	 * and the AS_EIO / AS_ENOSPC flag is set.  Never blocks.
	 */
	void (*set_error)(struct fc_mapping *m, int err);

	/**
	 * A cursor for a new opener (errseq_sample): errors already seen by
	 * someone are not reported to it; an error nobody saw yet is.  Never
	 * blocks.
	 */
	uint64_t (*err_sample)(struct fc_mapping *m);

	/**
	 * The error recorded since *@cursor, once (errseq_check_and_advance,
	 * file_check_and_advance_wb_err): returns it as -errno and moves
	 * *@cursor past it, or returns 0.  Never blocks.
	 */
	int (*err_check_and_advance)(struct fc_mapping *m, uint64_t *cursor);

	/**
	 * Test and clear AS_EIO / AS_ENOSPC (filemap_check_errors): -EIO,
	 * -ENOSPC or 0.  Never blocks.
	 */
	int (*check_errors)(struct fc_mapping *m);
};

/* ======================================================================== */
/* The simulated page cache                                                 */
/* ======================================================================== */

/** Version of struct fc_pagecache_sim_config this header describes. */
#define FC_PAGECACHE_SIM_CONFIG_VERSION 1

/** How to create a simulated page cache. */
struct fc_pagecache_sim_config {
	/** Must be FC_PAGECACHE_SIM_CONFIG_VERSION. */
	unsigned version;
	/** Allocation, locks and waits. */
	const struct fc_platform *plat;
	/**
	 * Most pages held by all mappings together (at least 1).  Creating a
	 * page beyond it first evicts the least recently used clean page, or,
	 * if every evictable page is dirty, writes one back and waits for it
	 * (what = "eviction").
	 */
	uint64_t capacity;
};

/** Statistics of a simulated page cache (fc_pagecache_sim_stats()). */
struct fc_pagecache_sim_stats {
	uint64_t pages;          /**< pages held now */
	uint64_t capacity;
	uint64_t created;        /**< pages created */
	uint64_t evicted;        /**< clean pages evicted under pressure */
	uint64_t evict_writebacks; /**< dirty pages written back to make room */
	uint64_t readahead_pages;  /**< pages asked of readpages */
	uint64_t readpages_calls;
	uint64_t writepages_calls;
};

/** Fill @cfg with defaults: the POSIX-free @plat, capacity 1024 pages (4 MiB). */
void fc_pagecache_sim_config_default(struct fc_pagecache_sim_config *cfg,
				     const struct fc_platform *plat);

/**
 * Create a simulated page cache.  Returns 0 and sets *@out, or -errno.
 * Its operations are fc_pagecache_sim_ops().
 */
int fc_pagecache_sim_new(const struct fc_pagecache_sim_config *cfg,
			 struct fc_pagecache **out);

/** Free a simulated page cache whose mappings are all freed. */
void fc_pagecache_sim_free(struct fc_pagecache *pc);

/** The operations table of the simulated page cache (static, shared). */
const struct fc_pc_ops *fc_pagecache_sim_ops(void);

/** Counters of a simulated page cache. */
void fc_pagecache_sim_stats(struct fc_pagecache *pc,
			    struct fc_pagecache_sim_stats *out);

/**
 * Write back dirty pages of every mapping (WB_SYNC_NONE), as Linux's
 * flusher threads do on their own schedule: an explicit call stands in
 * for them.  With @wait, also wait for that writeback to end.  Returns 0
 * or the first -errno.
 */
int fc_pagecache_sim_writeback(struct fc_pagecache *pc, int wait);

/* ======================================================================== */
/* The client's cached file I/O                                             */
/* ======================================================================== */

/** Whose credentials a writeback WRITE carries (a per-mount policy). */
enum fc_wb_creds {
	/**
	 * Linux: uid = gid = pid = 0, as for every request the kernel makes
	 * on its own behalf (fuse_writepage_args_setup sets nocreds).  The
	 * default.
	 */
	FC_WB_CREDS_NONE = 0,
	/**
	 * The credentials the chosen open file was opened with (DragonOS:
	 * the writeback WRITE carries the opener's pid).
	 */
	FC_WB_CREDS_OPENER = 1,
};

/** Version of struct fc_cache_config this header describes. */
#define FC_CACHE_CONFIG_VERSION 1

/** How to put a page cache under a client (fc_cache_attach()). */
struct fc_cache_config {
	/** Must be FC_CACHE_CONFIG_VERSION. */
	unsigned version;
	/** The page cache and its operations (e.g. fc_pagecache_sim_ops()). */
	const struct fc_pc_ops *ops;
	struct fc_pagecache *pc;
	/** Credentials of writeback WRITEs. */
	enum fc_wb_creds wb_creds;
	/**
	 * Optional: wall-clock time in ns since the epoch, for the times the
	 * kernel side owns in writeback-cache mode.  NULL: the platform's
	 * now_ns (monotonic; times are then only ordered, not calendar times).
	 * Linux reads a coarse clock (one tick's resolution), so writes in the
	 * same tick leave the times alone; CLOCK_REALTIME_COARSE matches it.
	 */
	uint64_t (*realtime_ns)(void *ctx);
	void *realtime_ctx;
};

/** Fill @cfg with the defaults for page cache @pc with @ops (Linux's policies). */
void fc_cache_config_default(struct fc_cache_config *cfg,
			     const struct fc_pc_ops *ops,
			     struct fc_pagecache *pc);

/**
 * Put a page cache under @cl: from now on the fc_cache_* calls cache
 * regular files' data in it.  Call once, before the first open.  Returns
 * 0, -EINVAL (bad config), -EBUSY (already attached) or -ENOMEM.
 * The writeback-cache mode is on when the daemon granted
 * FUSE_WRITEBACK_CACHE (leave it out of the INIT profile to stay in
 * write-through mode).
 */
int fc_cache_attach(struct fc_client *cl, const struct fc_cache_config *cfg);

/**
 * Take the page cache away again: every node's mapping is freed (dirty
 * pages are written back first, waiting for them).  fc_client_free()
 * does it too.  Open files must have been released.
 */
void fc_cache_detach(struct fc_client *cl);

/** Non-zero if a page cache is attached and the writeback-cache mode is on. */
int fc_cache_writeback_mode(const struct fc_client *cl);

/**
 * The mapping of @node, created on first use; NULL without a page cache
 * or for anything but a regular file.  For tests and for a VFS that wants
 * fc_pc_ops.mapping_stats().
 */
struct fc_mapping *fc_cache_mapping(struct fc_client *cl,
				    struct fc_node *node);

/* ---- the hooks fc_open/fc_create, fc_flush, fc_fsync and fc_release call --- */

/*
 * libfusecore's own file.c calls these four; a VFS that calls fc_open(),
 * fc_flush(), fc_fsync() and fc_release() needs nothing more.  Each is a
 * no-op without a page cache or on anything but a regular file, and safe
 * to call twice.
 */

/**
 * After a successful OPEN or CREATE (fuse_open, fuse_finish_open): take
 * the file's writeback-error cursor (errseq_sample), link a file opened
 * for writing onto the node's writable files in writeback-cache mode
 * (fuse_link_write_file), truncate the cache after an atomic O_TRUNC,
 * and drop the node's cached pages unless the daemon answered
 * FOPEN_KEEP_CACHE (invalidate_inode_pages2).
 */
void fc_cache_hook_open(struct fc_client *cl, struct fc_open_ctx *of);

/**
 * Before FLUSH (fuse_flush): write every dirty page of the node back and
 * wait for it (write_inode_now), push the kernel side's times in
 * writeback-cache mode (fuse_flush_times: SETATTR MTIME|CTIME|FH), then
 * report a writeback error this file has not seen yet.  Returns 0 or
 * -errno (FLUSH is then not sent).
 */
int fc_cache_hook_flush(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *of);

/**
 * Before FSYNC (fuse_fsync): write back and wait
 * (file_write_and_wait_range), wait for every writeback WRITE of the
 * node (fuse_sync_writes), report a writeback error this file has not
 * seen yet (file_check_and_advance_wb_err), push the times in
 * writeback-cache mode (sync_inode_metadata).  Returns 0 or -errno
 * (FSYNC is then not sent).
 */
int fc_cache_hook_fsync(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *of, int datasync);

/**
 * Before RELEASE (fuse_release): in writeback-cache mode write the node
 * back (write_inode_now); unlink the file from the node's writable files;
 * wait until no writeback WRITE uses its fh any more (Linux: those hold a
 * reference to the fuse_file, so RELEASE follows them).
 */
void fc_cache_hook_release(struct fc_client *cl, struct fc_open_ctx *of);

/* ---- reads and writes ---------------------------------------------------- */

/**
 * read(2) of a regular file.  Direct I/O (FOPEN_DIRECT_IO, or O_DIRECT):
 * dirty cached pages of the range are written back first, then READ with
 * the lock owner (fuse_direct_io).  Otherwise fuse_cache_read_iter: with
 * FUSE_AUTO_INVAL_DATA, or when the read reaches past the cached size, the
 * attributes are refreshed if they expired (GETATTR with the fh; a changed
 * size or mtime drops the cached pages), then the read goes through the
 * page cache; missing pages are read with READ (read_flags 0, lock owner
 * 0, the file's flags), at most max_pages pages per request and
 * max_readahead bytes ahead.  A short READ is the end of the file: the
 * cached size shrinks to it (fuse_short_read; not in writeback-cache
 * mode, where it is a hole).  Returns the bytes read or -errno.
 */
long fc_cache_read(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_open_ctx *of, void *buf, size_t size,
		   uint64_t off);

/**
 * write(2) of a regular file at *@pos (the end of the file with O_APPEND);
 * *@pos moves past what was written.
 *  - Direct I/O: a per-node lock shuts out cached I/O; the dirty cached
 *    pages of the range are written back, their writeback waited for, and
 *    the range invalidated before WRITE (with the lock owner) is sent.
 *  - Write-through (no writeback cache; fuse_perform_write): the pages of
 *    the range wait for their writeback to end and stay locked while the
 *    WRITE of the exact bytes is in flight; the bytes are merged into the
 *    pages that are up to date (and whole pages become up to date), so an
 *    overlapping shared mapping sees them at once.  WRITEs are split at
 *    max_write and max_pages (one page without FUSE_BIG_WRITES), and
 *    after a page written in part that is not up to date (or not cached)
 *    (fuse_fill_write_pages): pwrite of 100 bytes at 4000 to an uncached
 *    file is WRITE 4000+96, then WRITE 4096+4.
 *  - Writeback-cache mode (generic_perform_write): the bytes only dirty
 *    pages; a partly written page that is not up to date is read first
 *    (READ on this file).  The kernel side owns the size and the times.
 * Returns the bytes written or -errno if none were.
 */
long fc_cache_write(struct fc_client *cl, const struct fc_caller *who,
		    struct fc_open_ctx *of, const void *buf, size_t size,
		    uint64_t *pos);

/**
 * Write dirty pages of @node (of every cached node if NULL) back, as
 * Linux's flusher threads would (WB_SYNC_NONE); with @wait, also wait for
 * the writeback to end.  Returns 0 or the first -errno.
 */
int fc_cache_writeback(struct fc_client *cl, struct fc_node *node, int wait);

/* ---- memory mappings ------------------------------------------------------ */

/** fc_cache_mmap() protections and flags (Linux's PROT_* and MAP_*). */
#define FC_PROT_READ   0x1u
#define FC_PROT_WRITE  0x2u
#define FC_MAP_SHARED  0x01u
#define FC_MAP_PRIVATE 0x02u
/** fc_vma_msync() flags (Linux's MS_*). */
#define FC_MS_ASYNC      1u
#define FC_MS_INVALIDATE 2u
#define FC_MS_SYNC       4u

struct fc_vma;

/**
 * mmap(2) of @len bytes of @of from file offset @off (page aligned)
 * (fuse_file_mmap).  FOPEN_DIRECT_IO: a shared mapping is -ENODEV unless
 * FUSE_DIRECT_IO_ALLOW_MMAP was negotiated, and the node's pages are
 * dropped first.  A shared mapping of a file opened for writing links it
 * onto the node's writable files, whose fh writeback WRITEs use.  A
 * shared writable mapping of a file not opened for writing is -EACCES.
 * The mapping keeps @of in use: unmap before fc_release().  Nothing is
 * sent.  Returns 0 and sets *@out, or -errno.
 */
int fc_cache_mmap(struct fc_client *cl, const struct fc_caller *who,
		  struct fc_open_ctx *of, uint64_t off, uint64_t len,
		  unsigned prot, unsigned flags, struct fc_vma **out);

/**
 * Loads from the mapping at @off (relative to its start): each page not
 * yet cached faults, which reads it and the pages around it through the
 * read path (filemap_fault, read-around).  Returns the bytes loaded, or
 * -EFAULT (SIGBUS: a page wholly past the end of the file; SIGSEGV:
 * outside the mapping or no PROT_READ) or the read's -errno if none were.
 */
long fc_vma_load(struct fc_vma *vma, uint64_t off, void *buf, size_t len);

/**
 * Stores into the mapping at @off.  A shared mapping: the page is faulted
 * in, waits for its writeback to end (fuse_page_mkwrite: a page never
 * changes while a WRITE carries it), and is dirtied; in writeback-cache
 * mode the times are the kernel side's (file_update_time).  A private
 * mapping: the page is copied (copy on write) and only the copy changes.
 * Returns the bytes stored or -errno (-EFAULT: SIGSEGV / SIGBUS).
 */
long fc_vma_store(struct fc_vma *vma, uint64_t off, const void *buf,
		  size_t len);

/**
 * msync(2) of [@off, @off + @len) of the mapping.  FC_MS_SYNC on a shared
 * mapping is vfs_fsync_range(datasync): the dirty pages of the range are
 * written back (WRITE with FUSE_WRITE_CACHE, lock owner 0, flags 0) and
 * waited for, then FSYNC with FUSE_FSYNC_FDATASYNC is sent
 * (fc_fsync()).  FC_MS_ASYNC and private mappings send nothing, as in
 * Linux.  @len counts in whole pages; a range that reaches past the end of
 * the mapping syncs the mapped part and then is -ENOMEM, as msync(2) is
 * for an unmapped hole.  Returns 0 or -errno.
 */
int fc_vma_msync(struct fc_vma *vma, const struct fc_caller *who,
		 uint64_t off, uint64_t len, unsigned flags);

/**
 * The close of the mapping at munmap(2) (fuse_vma_close, which Linux runs
 * for every FUSE mapping): write_inode_now(inode, 1) -- every dirty page
 * of the node is written back (the same writeback WRITEs as msync's:
 * FUSE_WRITE_CACHE, lock owner 0) and waited for, and in writeback-cache
 * mode the kernel side's times are pushed -- then a failure is recorded on
 * the mapping (mapping_set_error), for fsync and the close-time flush to
 * report.  No FSYNC is sent.  @who: the task unmapping (NULL: the one that
 * mapped).  Nothing is sent if no page is dirty (e.g. msync(MS_SYNC) has
 * just cleaned them).  Call it before fc_vma_unmap() to model munmap(2).
 */
void fc_vma_close(struct fc_vma *vma, const struct fc_caller *who);

/**
 * Tear the mapping down: private copies are freed, @vma is freed.
 * Nothing is sent; munmap(2) is fc_vma_close() and then this.
 */
void fc_vma_unmap(struct fc_vma *vma);

/* ---- notifications ---------------------------------------------------------- */

/**
 * Handle a notification that acts on the cache; for the layer that owns
 * the connection's notification handler (fc_conn_set_notify()) to call:
 *  - FUSE_NOTIFY_INVAL_INODE: the attributes expire; with off >= 0 the
 *    pages of [off, off + len) (to the end if len <= 0) are dropped
 *    (fuse_reverse_inval_inode), without blocking: dirty pages are written
 *    back first and dropped when that ends.  -ENOENT if the node is not
 *    known.
 *  - FUSE_NOTIFY_STORE: the data goes into the cache, the cached size
 *    grows to cover it (fuse_notify_store).  -ENOENT, -EINVAL.
 *  - FUSE_NOTIFY_RETRIEVE: FUSE_NOTIFY_REPLY (opcode 41, no reply
 *    expected, unique = notify_unique) carries the cached data of the
 *    range, capped by max_write, max_pages and the file size, and ending at
 *    the first page that is missing or not up to date (fuse_retrieve).
 *    -ENOENT if the node is not known.
 * Other codes: -ENOSYS (not handled here).  Without a page cache attached,
 * INVAL_INODE only expires the attributes, STORE is accepted and its data
 * dropped, RETRIEVE is -ENOSYS.  Payloads were size-checked by the
 * connection.  Never blocks on the cache.
 */
int fc_cache_notify(struct fc_client *cl, uint32_t code, const void *payload,
		    size_t len);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_PAGECACHE_H */
