/*
 * The client's cached file I/O: what Linux's fs/fuse/file.c does for a
 * regular file with a page cache (fuse_cache_read_iter, fuse_readahead,
 * fuse_short_read, fuse_perform_write, fuse_write_begin/end,
 * fuse_direct_io, fuse_writepages / fuse_send_writepage /
 * fuse_writepage_end, fuse_set_nowrite / fuse_release_nowrite,
 * fuse_flush_times, fuse_fsync, fuse_flush, fuse_release) and what
 * inode.c does when attributes change (fuse_change_attributes,
 * fuse_do_setattr), over the page-cache seam (fusecore/pagecache.h).
 *
 * Writeback WRITEs are background requests, as in Linux: the page cache
 * moves pages into writeback and hands them over; the WRITE's completion
 * ends their writeback.  Synchronous callers (fsync, flush, msync) wait
 * on the pages' writeback state, through the platform.
 */
#include <errno.h>
#include <string.h>

#include "cache_i.h"

#define MAX_LFS_FILESIZE ((uint64_t)INT64_MAX)

static const struct fc_pc_aops cache_aops;

/* ---- small helpers ----------------------------------------------------------- */

/*
 * Wait on cc->cond (lock held).  A polled transport has nobody else to
 * deliver replies: run it instead of sleeping.  Returns 0 to re-check,
 * or -errno when nothing can ever arrive.
 */
int fc_cc_wait(struct fc_cache *cc, const char *what)
{
	struct fc_transport *t = fc_conn_transport(cc->cl->conn);
	int n;

	if (!t->ops->poll) {
		cc->plat->cond_wait(cc->plat->ctx, cc->cond, cc->lock, what);
		return 0;
	}
	cc_unlock(cc);
	n = t->ops->poll(t, 1);
	cc_lock(cc);
	if (n > 0)
		return 0;
	return n == 0 ? -EDEADLK : n;
}

uint64_t fc_cc_isize(struct fc_client *cl, struct fc_node *n)
{
	uint64_t s;

	fc_client_lock(cl);
	s = n->attr.size;
	fc_client_unlock(cl);
	return s;
}

int fc_cc_wb_mode(const struct fc_client *cl)
{
	return cl->cache && fc_cl_has(cl, FC_WRITEBACK_CACHE);
}

int fc_cache_writeback_mode(const struct fc_client *cl)
{
	return fc_cc_wb_mode(cl);
}

static int of_direct(const struct fc_open_ctx *of)
{
	return (of->fopen_flags & FC_FOPEN_DIRECT_IO) ||
	       (of->file_flags & FC_O_DIRECT);
}

static int of_writable(const struct fc_open_ctx *of)
{
	return (of->file_flags & FC_O_ACCMODE) != FC_O_RDONLY;
}

static uint64_t last_index(uint64_t off, uint64_t len)
{
	return len ? (off + len - 1) >> FC_PC_PAGE_SHIFT : off >> FC_PC_PAGE_SHIFT;
}

static uint64_t now_real_ns(struct fc_cache *cc)
{
	if (cc->cfg.realtime_ns)
		return cc->cfg.realtime_ns(cc->cfg.realtime_ctx);
	return cc->plat->now_ns(cc->plat->ctx);
}

/* The node's writeback-error sequence as a new opener would sample it. */
void fc_cc_mirror_err(struct fc_cnode *cn)
{
	struct fc_cache *cc = cn->cc;
	uint64_t v = cc->ops->err_sample(cn->m);

	fc_client_lock(cc->cl);
	cn->node->wb_err_seq = v;
	fc_client_unlock(cc->cl);
}

/* ---- nodes' cache state --------------------------------------------------------- */

struct fc_cnode *fc_cnode_get(struct fc_client *cl, struct fc_node *n)
{
	struct fc_cache *cc = cl->cache;
	struct fc_cnode *cn;
	uint32_t ra_pages;
	int reg, err;

	if (!cc)
		return NULL;
	fc_client_lock(cl);
	cn = n->cache;
	reg = cc_is_reg(n);
	fc_client_unlock(cl);
	if (cn || !reg)
		return cn;

	cn = cc->plat->alloc(cc->plat->ctx, sizeof(*cn));
	if (!cn)
		return NULL;
	memset(cn, 0, sizeof(*cn));
	cn->cc = cc;
	cn->node = n;
	/* fuse_bdi_init / process_init_reply: ra_pages from max_readahead. */
	ra_pages = fc_cl_info(cl)->max_readahead / FC_PC_PAGE_SIZE;
	err = cc->ops->mapping_new(cc->pc, &cache_aops, cn, ra_pages, &cn->m);
	if (err) {
		cc->plat->free(cc->plat->ctx, cn);
		return NULL;
	}
	fc_client_lock(cl);
	if (n->cache) {
		struct fc_cnode *other = n->cache;

		fc_client_unlock(cl);
		cc->ops->mapping_free(cn->m);
		cc->plat->free(cc->plat->ctx, cn);
		return other;
	}
	n->cache = cn;
	fc_client_unlock(cl);
	cc_lock(cc);
	cc->ncnodes++;
	cc_unlock(cc);
	return cn;
}

struct fc_mapping *fc_cache_mapping(struct fc_client *cl, struct fc_node *node)
{
	struct fc_cnode *cn = fc_cnode_get(cl, node);

	return cn ? cn->m : NULL;
}

static void cache_free(struct fc_cache *cc)
{
	cc->plat->cond_free(cc->plat->ctx, cc->cond);
	cc->plat->mutex_free(cc->plat->ctx, cc->lock);
	cc->plat->free(cc->plat->ctx, cc);
}

/* The node is being freed (fuse_evict_inode: truncate_inode_pages_final). */
void fc_cache_hook_node_free(struct fc_client *cl, struct fc_node *n)
{
	struct fc_cnode *cn = n->cache;
	struct fc_cache *cc;
	int last;

	(void)cl;
	if (!cn)
		return;
	n->cache = NULL;
	cc = cn->cc;
	cc->ops->mapping_free(cn->m);
	cc->plat->free(cc->plat->ctx, cn->wfiles);
	cc->plat->free(cc->plat->ctx, cn);
	cc_lock(cc);
	cc->ncnodes--;
	last = cc->detached && !cc->ncnodes;
	cc_unlock(cc);
	if (last)
		cache_free(cc);
}

/* ---- attachment ------------------------------------------------------------------ */

void fc_cache_config_default(struct fc_cache_config *cfg,
			     const struct fc_pc_ops *ops,
			     struct fc_pagecache *pc)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_CACHE_CONFIG_VERSION;
	cfg->ops = ops;
	cfg->pc = pc;
	cfg->wb_creds = FC_WB_CREDS_NONE;
}

int fc_cache_attach(struct fc_client *cl, const struct fc_cache_config *cfg)
{
	const struct fc_platform *p = cl->plat;
	struct fc_cache *cc;

	if (!cfg || cfg->version != FC_CACHE_CONFIG_VERSION || !cfg->ops ||
	    cfg->ops->version != FC_PC_OPS_VERSION || !cfg->pc ||
	    (cfg->wb_creds != FC_WB_CREDS_NONE &&
	     cfg->wb_creds != FC_WB_CREDS_OPENER))
		return -EINVAL;
	if (cl->cache)
		return -EBUSY;
	cc = p->alloc(p->ctx, sizeof(*cc));
	if (!cc)
		return -ENOMEM;
	memset(cc, 0, sizeof(*cc));
	cc->cl = cl;
	cc->plat = p;
	cc->ops = cfg->ops;
	cc->pc = cfg->pc;
	cc->cfg = *cfg;
	cc->lock = p->mutex_new(p->ctx);
	cc->cond = p->cond_new(p->ctx);
	if (!cc->lock || !cc->cond) {
		if (cc->lock)
			p->mutex_free(p->ctx, cc->lock);
		if (cc->cond)
			p->cond_free(p->ctx, cc->cond);
		p->free(p->ctx, cc);
		return -ENOMEM;
	}
	fc_client_lock(cl);
	cl->cache = cc;
	fc_client_unlock(cl);
	return 0;
}

/* Referenced nodes of @cl that have cache state (client lock taken here). */
static struct fc_node **cached_nodes(struct fc_client *cl, unsigned *count)
{
	struct fc_node **v = NULL, *nd;
	unsigned i, n = 0, k = 0;

	*count = 0;
	fc_client_lock(cl);
	for (i = 0; cl->table && i <= cl->table_mask; i++)
		for (nd = cl->table[i]; nd; nd = nd->hnext)
			n += !!nd->cache;
	for (nd = cl->stale; nd; nd = nd->hnext)
		n += !!nd->cache;
	if (n)
		v = cl->plat->alloc(cl->plat->ctx, n * sizeof(*v));
	for (i = 0; v && cl->table && i <= cl->table_mask; i++)
		for (nd = cl->table[i]; nd; nd = nd->hnext)
			if (nd->cache && k < n) {
				nd->refcount++;
				v[k++] = nd;
			}
	for (nd = cl->stale; v && nd; nd = nd->hnext)
		if (nd->cache && k < n) {
			nd->refcount++;
			v[k++] = nd;
		}
	fc_client_unlock(cl);
	*count = k;
	return v;
}

void fc_cache_detach(struct fc_client *cl)
{
	struct fc_cache *cc = cl->cache;
	struct fc_node **v;
	unsigned n, i;
	int now;

	if (!cc)
		return;
	fc_cache_writeback(cl, NULL, 1);
	v = cached_nodes(cl, &n);
	for (i = 0; i < n; i++) {
		fc_client_lock(cl);
		v[i]->refcount--;
		fc_client_unlock(cl);
		fc_cache_hook_node_free(cl, v[i]);
	}
	cl->plat->free(cl->plat->ctx, v);
	fc_client_lock(cl);
	cl->cache = NULL;
	fc_client_unlock(cl);
	cc_lock(cc);
	cc->detached = 1;
	now = !cc->ncnodes;
	cc_unlock(cc);
	if (now)
		cache_free(cc);
}

/* ---- the per-node I/O lock (i_rwsem) ------------------------------------------ */

static int io_lock(struct fc_cnode *cn, int excl)
{
	struct fc_cache *cc = cn->cc;
	int err = 0;

	cc_lock(cc);
	while (!err && (cn->io_excl || (excl && cn->io_shared)))
		err = fc_cc_wait(cc, "inode lock");
	if (!err) {
		if (excl)
			cn->io_excl = 1;
		else
			cn->io_shared++;
	}
	cc_unlock(cc);
	return err;
}

static void io_unlock(struct fc_cnode *cn, int excl)
{
	struct fc_cache *cc = cn->cc;

	cc_lock(cc);
	if (excl)
		cn->io_excl = 0;
	else
		cn->io_shared--;
	cc_wake(cc);
	cc_unlock(cc);
}

/* ---- writable files (fi->write_files) ------------------------------------------- */

void fc_cc_link_write_file(struct fc_cnode *cn, struct fc_open_ctx *of)
{
	struct fc_cache *cc = cn->cc;
	unsigned i;

	cc_lock(cc);
	for (i = 0; i < cn->nwfiles; i++) {
		if (cn->wfiles[i] == of) {
			cc_unlock(cc);
			return;
		}
	}
	if (cn->nwfiles == cn->wfcap) {
		unsigned ncap = cn->wfcap ? cn->wfcap * 2 : 4;
		struct fc_open_ctx **nv =
			cc->plat->alloc(cc->plat->ctx, ncap * sizeof(*nv));

		if (!nv) {
			cc_unlock(cc);
			return; /* writeback will use another file, or fail EIO */
		}
		if (cn->nwfiles)
			memcpy(nv, cn->wfiles, cn->nwfiles * sizeof(*nv));
		cc->plat->free(cc->plat->ctx, cn->wfiles);
		cn->wfiles = nv;
		cn->wfcap = ncap;
	}
	/* fuse_link_write_file: list_add, so the newest file comes first. */
	memmove(cn->wfiles + 1, cn->wfiles, cn->nwfiles * sizeof(*cn->wfiles));
	cn->wfiles[0] = of;
	cn->nwfiles++;
	cc_unlock(cc);
}

/* (cc lock held) */
static void unlink_write_file(struct fc_cnode *cn, struct fc_open_ctx *of)
{
	unsigned i;

	for (i = 0; i < cn->nwfiles; i++) {
		if (cn->wfiles[i] == of) {
			memmove(cn->wfiles + i, cn->wfiles + i + 1,
				(cn->nwfiles - i - 1) * sizeof(*cn->wfiles));
			cn->nwfiles--;
			return;
		}
	}
}

/* ---- reading pages (fuse_readahead, fuse_read_folio) ----------------------------- */

/*
 * fuse_read_update_size: a short cached READ is the end of the file,
 * unless the attributes changed meanwhile (@attr_ver) or writeback cache
 * is on (then it is a hole: fuse_short_read).
 */
static void short_read(struct fc_cnode *cn, uint64_t attr_ver, uint64_t pos)
{
	struct fc_client *cl = cn->cc->cl;
	struct fc_node *n = cn->node;

	if (fc_cc_wb_mode(cl))
		return;
	fc_client_lock(cl);
	if (n->attr_version == attr_ver && pos < n->attr.size) {
		n->attr.size = pos;
		fc_node_attr_changed_locked(cl, n);
	}
	fc_client_unlock(cl);
}

/*
 * Fill @n locked pages of consecutive indices with READs of at most
 * max_pages pages each (read_flags 0, lock owner 0, the file's flags).
 * Pages that were read are up to date; with @unlock they are unlocked
 * (all of them, also on failure).  Returns 0 or the first -errno.
 */
static int read_pages(struct fc_cnode *cn, const struct fc_cache_file *cf,
		      struct fc_page **pages, unsigned n, int unlock)
{
	struct fc_cache *cc = cn->cc;
	struct fc_client *cl = cc->cl;
	const struct fc_pc_ops *ops = cc->ops;
	uint32_t per = fc_cl_info(cl)->max_pages;
	unsigned done = 0, i;
	unsigned char *buf;
	uint64_t attr_ver;
	int ret = 0, eof = 0;

	if (!per)
		per = 1;
	buf = cc->plat->alloc(cc->plat->ctx,
			      (size_t)(n < per ? n : per) * FC_PC_PAGE_SIZE);
	if (!buf || !cf || !cf->of)
		ret = buf ? -EBADF : -ENOMEM;
	fc_client_lock(cl);
	attr_ver = cn->node->attr_version;
	fc_client_unlock(cl);

	while (!ret && done < n) {
		unsigned k = n - done < per ? n - done : per;
		uint64_t off = ops->page_index(pages[done]) << FC_PC_PAGE_SHIFT;
		size_t want = (size_t)k * FC_PC_PAGE_SIZE;
		long got = 0;

		if (!eof) {
			got = fc_read(cl, cf->who, cf->of, buf, want, off, 0);
			if (got < 0) {
				ret = (int)got;
				break;
			}
			if ((size_t)got < want) {
				/* A short READ: the end of the file (or a hole). */
				eof = 1;
				short_read(cn, attr_ver, off + (uint64_t)got);
			}
		}
		memset(buf + got, 0, want - (size_t)got);
		for (i = 0; i < k; i++) {
			memcpy(ops->page_data(pages[done + i]),
			       buf + (size_t)i * FC_PC_PAGE_SIZE, FC_PC_PAGE_SIZE);
			ops->page_set_uptodate(pages[done + i], 1);
		}
		done += k;
	}
	if (buf)
		cc->plat->free(cc->plat->ctx, buf);
	if (unlock)
		for (i = 0; i < n; i++)
			ops->page_unlock(pages[i]);
	return ret;
}

static int aop_readpages(void *ctx, struct fc_mapping *m, void *file,
			 struct fc_page **pages, unsigned n)
{
	(void)m;
	return read_pages(ctx, file, pages, n, 1);
}

static uint64_t aop_size(void *ctx)
{
	struct fc_cnode *cn = ctx;

	return fc_cc_isize(cn->cc->cl, cn->node);
}

static int aop_wait_progress(void *ctx)
{
	struct fc_cnode *cn = ctx;
	struct fc_transport *t = fc_conn_transport(cn->cc->cl->conn);
	int n;

	if (!t->ops->poll)
		return 0;
	n = t->ops->poll(t, 1);
	if (n > 0)
		return 1;
	return n == 0 ? -EDEADLK : n;
}

/* ---- writeback WRITEs --------------------------------------------------------- */

/* The WRITE is over (or was never sent): end the pages' writeback. */
static void wb_finish(struct fc_wb_req *r, int error)
{
	struct fc_cnode *cn = r->cn;
	struct fc_cache *cc = cn->cc;
	const struct fc_pc_ops *ops = cc->ops;
	const struct fc_platform *plat;
	struct fc_client *cl;
	struct fc_node *node;
	unsigned i;

	if (error) {
		/*
		 * fuse_writepage_end -> mapping_set_error: the error is kept for
		 * fsync and flush to report; the pages stay up to date and clean
		 * (Linux does not redirty them: a daemon that keeps failing would
		 * pin them for ever).
		 */
		ops->set_error(cn->m, error);
		fc_cc_mirror_err(cn);
	}
	for (i = 0; i < r->npages; i++) {
		ops->page_end_writeback(r->pages[i], 0);
		ops->page_put(r->pages[i]);
	}
	if (!fc_cc_wb_mode(cc->cl)) {
		/*
		 * The daemon's mtime moved; in writeback-cache mode the local one
		 * is trusted instead (fuse_writepage_end).
		 */
		fc_client_lock(cc->cl);
		fc_node_inval_locked(cn->node, FC_STATX_MODIFY);
		fc_client_unlock(cc->cl);
	}
	cc_lock(cc);
	if (r->prev)
		r->prev->next = r->next;
	else
		cn->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (!r->queued)
		cn->inflight--;
	cc_wake(cc);
	/*
	 * Once unlinked, a release waiting for this request may free the
	 * file, and then the node and the cache: touch none of them after.
	 */
	plat = cc->plat;
	cl = cc->cl;
	node = cn->node;
	plat->mutex_unlock(plat->ctx, cc->lock);
	plat->free(plat->ctx, r);
	fc_node_put(cl, node);
}

static void wb_end(struct fc_conn *conn, struct fc_args *args, int error,
		   void *ctx)
{
	struct fc_wb_req *r = ctx;

	(void)args;
	if (!error && r->out.size > r->in.size) {
		fc_conn_count_bad_content(conn);
		error = -EIO;
	} else if (!error && r->out.size < r->in.size) {
		/* A writeback cannot be continued part-way: the batch failed. */
		error = -EIO;
	}
	wb_finish(r, error);
}

/*
 * fuse_send_writepage: crop the WRITE to the current size (a truncation
 * may have come since it was prepared), drop it if it lies wholly past
 * the end, then send it in the background (forced).
 */
static void wb_send(struct fc_wb_req *r)
{
	struct fc_cnode *cn = r->cn;
	struct fc_client *cl = cn->cc->cl;
	uint64_t size = fc_cc_isize(cl, cn->node);
	int err;

	if (r->in.offset >= size) {
		wb_finish(r, 0);
		return;
	}
	r->in.size = r->len;
	if (r->in.offset + r->len > size)
		r->in.size = (uint32_t)(size - r->in.offset);
	r->args.in[1].size = r->in.size;
	err = fc_conn_send_bg(cl->conn, &r->args, wb_end, r);
	if (err)
		wb_finish(r, err);
}

/* Send @r now, or queue it while someone holds nowrite. */
static void wb_submit(struct fc_wb_req *r)
{
	struct fc_cnode *cn = r->cn;
	struct fc_cache *cc = cn->cc;

	cc_lock(cc);
	r->next = cn->reqs;
	if (cn->reqs)
		cn->reqs->prev = r;
	cn->reqs = r;
	if (cn->nowrite) {
		r->queued = 1;
		cc_unlock(cc);
		return;
	}
	cn->inflight++;
	cc_unlock(cc);
	wb_send(r);
}

/* fuse_set_nowrite: hold new writeback WRITEs back, wait for those in flight. */
static int set_nowrite(struct fc_cnode *cn)
{
	struct fc_cache *cc = cn->cc;
	int err = 0;

	cc_lock(cc);
	cn->nowrite++;
	while (!err && cn->inflight)
		err = fc_cc_wait(cc, "writeback");
	cc_unlock(cc);
	return err;
}

/* fuse_release_nowrite: send what was held back (cropped to the new size). */
static void release_nowrite(struct fc_cnode *cn)
{
	struct fc_cache *cc = cn->cc;

	cc_lock(cc);
	cn->nowrite--;
	while (!cn->nowrite) {
		struct fc_wb_req *r, *last = NULL;

		/* The oldest queued request is the last in the list. */
		for (r = cn->reqs; r; r = r->next)
			if (r->queued)
				last = r;
		if (!last)
			break;
		last->queued = 0;
		cn->inflight++;
		cc_unlock(cc);
		wb_send(last);
		cc_lock(cc);
	}
	cc_wake(cc);
	cc_unlock(cc);
}

/* fuse_sync_writes */
static int sync_writes(struct fc_cnode *cn)
{
	int err = set_nowrite(cn);

	release_nowrite(cn);
	return err;
}

static struct fc_wb_req *wb_alloc(struct fc_cache *cc, unsigned npages)
{
	size_t sz = sizeof(struct fc_wb_req) + npages * sizeof(struct fc_page *) +
		    (size_t)npages * FC_PC_PAGE_SIZE;
	struct fc_wb_req *r = cc->plat->alloc(cc->plat->ctx, sz);

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->pages = (struct fc_page **)(r + 1);
	r->data = (unsigned char *)(r->pages + npages);
	return r;
}

static void end_pages(const struct fc_pc_ops *ops, struct fc_page **pages,
		      unsigned n, int redirty)
{
	unsigned i;

	for (i = 0; i < n; i++)
		ops->page_end_writeback(pages[i], redirty);
}

/*
 * iomap_writeback_handle_eof (fuse writes back through iomap since 6.17):
 * the page that straddles i_size has its tail past i_size zeroed in the
 * page itself on every writeback, "because it may be mmapped": a store
 * through a mapping past EOF is not written, and once written back it is
 * not seen by later loads either.  The WRITE is cropped to i_size later,
 * when it is sent (wb_send).
 */
static void zero_past_eof(struct fc_cnode *cn, const struct fc_pc_ops *ops,
			  struct fc_page *pg)
{
	uint64_t size = fc_cc_isize(cn->cc->cl, cn->node);
	uint64_t index = ops->page_index(pg);

	if (index == size >> FC_PC_PAGE_SHIFT && (size & (FC_PC_PAGE_SIZE - 1)))
		memset((char *)ops->page_data(pg) + (size & (FC_PC_PAGE_SIZE - 1)), 0,
		       FC_PC_PAGE_SIZE - (size & (FC_PC_PAGE_SIZE - 1)));
}

/*
 * ->writepages (fuse_writepages, fuse_writepages_fill): the pages go out
 * in WRITEs of at most max_write bytes and max_pages pages, with the fh
 * of the newest writable file, FUSE_WRITE_CACHE, lock owner 0 and flags
 * 0, forced; credentials by the mount's policy.
 */
static int aop_writepages(void *ctx, struct fc_mapping *m,
			  struct fc_page **pages, unsigned n, int sync)
{
	struct fc_cnode *cn = ctx;
	struct fc_cache *cc = cn->cc;
	struct fc_client *cl = cc->cl;
	const struct fc_pc_ops *ops = cc->ops;
	const struct fc_conn_info *ci = fc_cl_info(cl);
	struct fc_open_ctx *of = NULL;
	uint32_t per;
	unsigned done = 0;
	int stale;

	(void)m;
	/* WB_SYNC_NONE writeback waits while the connection is congested. */
	if (!sync && fc_conn_congested(cl->conn)) {
		end_pages(ops, pages, n, 1);
		return 0;
	}
	cc_lock(cc);
	if (cn->nwfiles) {
		of = cn->wfiles[0];
		cn->wb_busy++;
	}
	cc_unlock(cc);
	if (!of) {
		/* fuse_write_file_get: nobody can write (Linux WARNs): EIO. */
		end_pages(ops, pages, n, 1);
		return -EIO;
	}
	fc_client_lock(cl);
	stale = cn->node->stale || of->generation != cn->node->generation;
	fc_client_unlock(cl);
	if (stale) {
		/* A stale handle: the daemon's object is not this node any more. */
		end_pages(ops, pages, n, 1);
		cc_lock(cc);
		cn->wb_busy--;
		cc_wake(cc);
		cc_unlock(cc);
		return -ESTALE;
	}
	per = ci->max_write / FC_PC_PAGE_SIZE;
	if (per > ci->max_pages)
		per = ci->max_pages;
	if (!per)
		per = 1;
	while (done < n) {
		unsigned k = n - done < per ? n - done : per, i;
		struct fc_wb_req *r = wb_alloc(cc, k);

		if (!r) {
			end_pages(ops, pages + done, n - done, 1);
			break;
		}
		r->cn = cn;
		/*
		 * The WRITE pins its node (Linux: the writeback holds the
		 * inode): a RELEASE ending first must not free the node and
		 * this cnode under it.  Dropped last thing in wb_finish().
		 */
		fc_node_get(cc->cl, cn->node);
		r->of = of;
		r->creds = of->caller;
		r->npages = k;
		for (i = 0; i < k; i++) {
			r->pages[i] = pages[done + i];
			zero_past_eof(cn, ops, pages[done + i]);
			memcpy(r->data + (size_t)i * FC_PC_PAGE_SIZE,
			       ops->page_data(pages[done + i]), FC_PC_PAGE_SIZE);
		}
		/* The request's own page references, dropped at its end. */
		for (i = 0; i < k; i++)
			ops->page_ref(r->pages[i]);
		r->len = k * FC_PC_PAGE_SIZE;
		r->in.fh = of->fh;
		r->in.offset = ops->page_index(pages[done]) << FC_PC_PAGE_SHIFT;
		r->in.size = r->len;
		r->in.write_flags = FC_WRITE_CACHE;
		r->in.lock_owner = 0;
		r->in.flags = 0;
		fc_args_init(&r->args, FC_WRITE, cn->node->nodeid,
			     cc->cfg.wb_creds == FC_WB_CREDS_OPENER ? &r->creds
								     : NULL);
		r->args.task = NULL;
		r->args.flags |= FC_ARGS_FORCE;
		r->args.in_numargs = 2;
		r->args.in[0].value = &r->in;
		r->args.in[0].size = sizeof(r->in);
		r->args.in[1].value = r->data;
		r->args.in[1].size = r->len;
		r->args.out_numargs = 1;
		r->args.out[0].value = &r->out;
		r->args.out[0].size = sizeof(r->out);
		wb_submit(r);
		done += k;
	}
	cc_lock(cc);
	cn->wb_busy--;
	cc_wake(cc);
	cc_unlock(cc);
	return 0;
}

static const struct fc_pc_aops cache_aops = {
	.version = FC_PC_AOPS_VERSION,
	.readpages = aop_readpages,
	.writepages = aop_writepages,
	.size = aop_size,
	.wait_progress = aop_wait_progress,
};

/* ---- times in writeback-cache mode (file_update_time, fuse_flush_times) ---------- */

/*
 * In writeback-cache mode the kernel side owns mtime and ctime (no
 * S_NOCMTIME): a write or a store into a shared mapping sets them to now
 * and marks them for fuse_flush_times.
 */
void fc_cc_touch_times(struct fc_cnode *cn)
{
	struct fc_cache *cc = cn->cc;
	struct fc_attr *a = &cn->node->attr;
	uint32_t gran = fc_cl_info(cc->cl)->time_gran;
	uint64_t now, sec;
	uint32_t nsec;
	int changed;

	if (!fc_cc_wb_mode(cc->cl))
		return;
	/* current_time: truncated to the superblock's granularity (INIT time_gran). */
	now = now_real_ns(cc);
	sec = now / 1000000000u;
	nsec = (uint32_t)(now % 1000000000u);
	if (gran > 1 && gran <= 1000000000u)
		nsec -= nsec % gran;
	/*
	 * inode_needs_update_time: times already equal to now stay as they
	 * are and nothing is marked for fuse_flush_times -- with a coarse
	 * clock (Linux's), a write in the same tick as the CREATE that made
	 * the file sends no SETATTR of the times.
	 */
	fc_client_lock(cc->cl);
	changed = a->mtime != sec || a->mtimensec != nsec ||
		  a->ctime != sec || a->ctimensec != nsec;
	if (changed) {
		a->mtime = a->ctime = sec;
		a->mtimensec = a->ctimensec = nsec;
	}
	fc_client_unlock(cc->cl);
	if (!changed)
		return;
	cc_lock(cc);
	cn->times_dirty = 1;
	cc_unlock(cc);
}

/*
 * fuse_write_inode -> fuse_flush_times: SETATTR of the local mtime (and
 * ctime from 7.23), with the fh of a writable file if there is one.  The
 * reply's attributes are not taken (Linux ignores them too).
 */
static int flush_times(struct fc_cnode *cn, const struct fc_caller *who)
{
	struct fc_cache *cc = cn->cc;
	struct fc_client *cl = cc->cl;
	struct fc_setattr_in in;
	struct fc_attr_out ao;
	struct fc_args a;
	uint64_t fh = 0;
	int has_fh = 0, err;

	cc_lock(cc);
	if (!cn->times_dirty) {
		cc_unlock(cc);
		return 0;
	}
	cn->times_dirty = 0;
	if (cn->nwfiles) {
		fh = cn->wfiles[0]->fh;
		has_fh = 1;
	}
	cc_unlock(cc);

	memset(&in, 0, sizeof(in));
	fc_client_lock(cl);
	in.mtime = cn->node->attr.mtime;
	in.mtimensec = cn->node->attr.mtimensec;
	in.ctime = cn->node->attr.ctime;
	in.ctimensec = cn->node->attr.ctimensec;
	fc_client_unlock(cl);
	in.valid = FC_FATTR_MTIME;
	if (fc_cl_info(cl)->minor >= 23)
		in.valid |= FC_FATTR_CTIME;
	if (has_fh) {
		in.valid |= FC_FATTR_FH;
		in.fh = fh;
	}
	memset(&ao, 0, sizeof(ao));
	fc_args_init(&a, FC_SETATTR, cn->node->nodeid, who);
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	a.out_numargs = 1;
	a.out[0].value = &ao;
	a.out[0].size = sizeof(ao);
	err = fc_cl_send(cl, &a);
	if (err < 0) {
		cc_lock(cc);
		cn->times_dirty = 1;
		cc_unlock(cc);
		return err;
	}
	return 0;
}

/* write_inode_now(inode, 1): every dirty page out and waited for, then the times. */
int fc_cc_write_inode_now(struct fc_cnode *cn, const struct fc_caller *who)
{
	const struct fc_pc_ops *ops = cn->cc->ops;
	int err, err2;

	err = ops->write_range(cn->m, 0, FC_PC_INDEX_MAX, 1);
	err2 = ops->wait_range(cn->m, 0, FC_PC_INDEX_MAX);
	if (!err)
		err = err2;
	if (!err && fc_cc_wb_mode(cn->cc->cl))
		err = flush_times(cn, who);
	return err;
}

int fc_cc_sync_range(struct fc_cnode *cn, const struct fc_caller *who,
		     struct fc_open_ctx *of, uint64_t first, uint64_t last)
{
	const struct fc_pc_ops *ops = cn->cc->ops;
	int err, err2;

	/* file_write_and_wait_range */
	err = ops->write_range(cn->m, first, last, 1);
	if (err != -EIO) {
		err2 = ops->wait_range(cn->m, first, last);
		if (!err)
			err = err2;
	}
	/* fuse_sync_writes: every writeback WRITE of the node answered. */
	err2 = sync_writes(cn);
	if (!err)
		err = err2;
	/* file_check_and_advance_wb_err: an error this file has not seen, once. */
	if (of) {
		err2 = ops->err_check_and_advance(cn->m, &of->wb_err_cursor);
		fc_cc_mirror_err(cn);
		if (!err)
			err = err2;
	}
	/* sync_inode_metadata -> fuse_write_inode */
	if (!err && fc_cc_wb_mode(cn->cc->cl))
		err = flush_times(cn, who);
	return err;
}

void fc_cache_hook_ctime(struct fc_client *cl, const struct fc_caller *who,
			 struct fc_node *n)
{
	struct fc_cnode *cn;
	uint64_t now;
	int err;

	/* Every other inode is S_NOCMTIME (fuse_iget): the daemon keeps its times. */
	if (!fc_cc_wb_mode(cl))
		return;
	cn = fc_cnode_get(cl, n);
	if (!cn)
		return;
	/* inode_set_ctime_current, mark_inode_dirty_sync */
	now = now_real_ns(cl->cache);
	fc_client_lock(cl);
	n->attr.ctime = now / 1000000000u;
	n->attr.ctimensec = (uint32_t)(now % 1000000000u);
	fc_client_unlock(cl);
	cc_lock(cl->cache);
	cn->times_dirty = 1;
	cc_unlock(cl->cache);
	/* fuse_flush_time_update: sync_inode_metadata, then mapping_set_error. */
	err = flush_times(cn, who);
	if (err) {
		cl->cache->ops->set_error(cn->m, err);
		fc_cc_mirror_err(cn);
	}
}

/* ---- deferred effects of attribute changes ---------------------------------------- */

/*
 * fuse_change_attributes runs under the client lock here, where nothing
 * may block: it only records what the cache must do, and the next use
 * of the cache does it (truncate_pagecache to the current size,
 * invalidate_inode_pages2).
 */
void fc_cc_process_pending(struct fc_cnode *cn)
{
	struct fc_cache *cc = cn->cc;
	int t, i;

	cc_lock(cc);
	t = cn->pend_trunc;
	i = cn->pend_inval;
	cn->pend_trunc = cn->pend_inval = 0;
	cc_unlock(cc);
	if (t)
		cc->ops->truncate(cn->m, fc_cc_isize(cc->cl, cn->node));
	if (i)
		cc->ops->invalidate_range(cn->m, 0, FC_PC_INDEX_MAX,
					  FC_PC_INVAL_WAIT);
}

void fc_cache_hook_attr_settle(struct fc_client *cl, struct fc_node *n)
{
	struct fc_cnode *cn;

	fc_client_lock(cl);
	cn = n->cache;
	fc_client_unlock(cl);
	if (cn)
		fc_cc_process_pending(cn);
}

int fc_cache_hook_attr_locked(struct fc_client *cl, struct fc_node *n,
			      const struct fc_attr *old)
{
	struct fc_cache *cc = cl->cache;
	struct fc_cnode *cn = n->cache;
	int pending;

	/* A new node takes the daemon's attributes as they are. */
	if (!cc || !cc_is_reg(n) || !(old->mode & FC_S_IFMT))
		return 0;
	if (fc_cl_has(cl, FC_WRITEBACK_CACHE)) {
		/*
		 * fuse_get_cache_mask: in writeback-cache mode the cached writes
		 * beat remote attributes -- size, mtime and ctime stay local.
		 */
		n->attr.size = old->size;
		n->attr.mtime = old->mtime;
		n->attr.mtimensec = old->mtimensec;
		n->attr.ctime = old->ctime;
		n->attr.ctimensec = old->ctimensec;
		return 0;
	}
	if (!cn)
		return 0;
	cc_lock(cc);
	if (cn->size_unstable) {
		/* FUSE_I_SIZE_UNSTABLE: the truncation in progress decides. */
		n->attr.size = old->size;
	} else if (n->attr.size != old->size) {
		cn->pend_trunc = 1;
		if (!fc_cl_has(cl, FC_EXPLICIT_INVAL_DATA))
			cn->pend_inval = 1;
	} else if (fc_cl_has(cl, FC_AUTO_INVAL_DATA) &&
		   (n->attr.mtime != old->mtime ||
		    n->attr.mtimensec != old->mtimensec)) {
		cn->pend_inval = 1;
	}
	pending = cn->pend_trunc || cn->pend_inval;
	cc_unlock(cc);
	return pending;
}

/* ---- SETATTR (fuse_do_setattr) ------------------------------------------------------- */

/* notify_change's ATTR_CTIME, sent in writeback-cache mode: the time now. */
static void set_ctime_now(struct fc_cnode *cn, struct fc_setattr_in *in)
{
	uint64_t now = now_real_ns(cn->cc);

	in->valid |= FC_FATTR_CTIME;
	in->ctime = now / 1000000000u;
	in->ctimensec = (uint32_t)(now % 1000000000u);
}

/*
 * fuse_do_setattr with trust_local_cmtime: the times the SETATTR carries
 * become the cached ones (the reply's are not taken in this mode).
 */
static void set_local_times(struct fc_client *cl, struct fc_node *n,
			    const struct fc_setattr_in *in)
{
	fc_client_lock(cl);
	if (in->valid & FC_FATTR_MTIME) {
		n->attr.mtime = in->mtime;
		n->attr.mtimensec = in->mtimensec;
	}
	if (in->valid & FC_FATTR_CTIME) {
		n->attr.ctime = in->ctime;
		n->attr.ctimensec = in->ctimensec;
	}
	fc_client_unlock(cl);
}

void fc_cache_hook_setattr_begin(struct fc_client *cl,
				 const struct fc_caller *who,
				 struct fc_node *n, struct fc_setattr_in *in)
{
	struct fc_cnode *cn;
	int wb = fc_cc_wb_mode(cl);

	if (!cl->cache)
		return;
	cn = fc_cnode_get(cl, n);
	if (!cn)
		return;
	if (wb && !(in->valid & FC_FATTR_SIZE) &&
	    (in->valid & (FC_FATTR_MODE | FC_FATTR_UID | FC_FATTR_GID |
			  FC_FATTR_MTIME | FC_FATTR_ATIME))) {
		/* Flush dirty data and times before a non-truncating SETATTR. */
		fc_cc_write_inode_now(cn, who);
		sync_writes(cn);
		/*
		 * trust_local_cmtime (iattr_to_fattr): the kernel side's times
		 * are the file's, so "now" travels as the time itself, not as
		 * MTIME_NOW, and the change time (notify_change's ATTR_CTIME)
		 * goes with it.
		 */
		in->valid &= ~FC_FATTR_MTIME_NOW;
		set_ctime_now(cn, in);
	}
	if (!(in->valid & FC_FATTR_SIZE))
		return;
	/*
	 * A truncation: no cached I/O meanwhile (the VFS holds i_rwsem), no
	 * writeback WRITE in flight or starting (fuse_set_nowrite), and no
	 * reply may change the size (FUSE_I_SIZE_UNSTABLE).
	 */
	io_lock(cn, 1);
	set_nowrite(cn);
	cc_lock(cl->cache);
	cn->size_unstable = 1;
	cc_unlock(cl->cache);
	cn->trunc_oldsize = fc_cc_isize(cl, n);
	if (wb && in->size != cn->trunc_oldsize) {
		/* trust_local_cmtime: a truncation that changes the size sets both times. */
		set_ctime_now(cn, in);
		in->valid |= FC_FATTR_MTIME;
		in->mtime = in->ctime;
		in->mtimensec = in->ctimensec;
		set_local_times(cl, n, in);
	}
}

void fc_cache_hook_setattr_end(struct fc_client *cl, struct fc_node *n,
			       const struct fc_setattr_in *in, int err,
			       const struct fc_attr *reply)
{
	struct fc_cnode *cn = n->cache;
	uint64_t newsize;

	if (!cl->cache || !cn)
		return;
	if (!err && fc_cc_wb_mode(cl)) {
		set_local_times(cl, n, in);
		/* The daemon has the times now: nothing left for fuse_flush_times. */
		if (in->valid & FC_FATTR_MTIME) {
			cc_lock(cl->cache);
			cn->times_dirty = 0;
			cc_unlock(cl->cache);
		}
	}
	if (!(in->valid & FC_FATTR_SIZE)) {
		if (!err)
			fc_cc_process_pending(cn);
		return;
	}
	newsize = err ? cn->trunc_oldsize : reply->size;
	if (!err) {
		fc_client_lock(cl);
		n->attr.size = newsize;
		fc_node_attr_changed_locked(cl, n);
		fc_client_unlock(cl);
	}
	/* Queued writeback goes out now, cropped to the new size. */
	release_nowrite(cn);
	if (!err && newsize != cn->trunc_oldsize) {
		/* Only after release_nowrite, or waiting for writeback would hang. */
		cl->cache->ops->truncate(cn->m, newsize);
		cl->cache->ops->invalidate_range(cn->m, 0, FC_PC_INDEX_MAX,
						 FC_PC_INVAL_WAIT);
	}
	cc_lock(cl->cache);
	cn->size_unstable = 0;
	cn->pend_trunc = 0;
	cc_unlock(cl->cache);
	io_unlock(cn, 1);
}

/* ---- open, flush, fsync, release ------------------------------------------------- */

static struct fc_cnode *file_cnode(struct fc_client *cl, struct fc_open_ctx *of)
{
	struct fc_cnode *cn;

	if (!cl->cache || !of || of->is_dir)
		return NULL;
	fc_client_lock(cl);
	cn = of->node->cache;
	fc_client_unlock(cl);
	return cn;
}

void fc_cache_hook_open(struct fc_client *cl, struct fc_open_ctx *of)
{
	const struct fc_pc_ops *ops;
	struct fc_cnode *cn;

	if (!cl->cache || !of || of->is_dir)
		return;
	cn = fc_cnode_get(cl, of->node);
	if (!cn)
		return;
	ops = cn->cc->ops;
	/* The file sees writeback errors from now on (errseq_sample). */
	of->wb_err_cursor = ops->err_sample(cn->m);
	/* fuse_finish_open: writable files write back in writeback-cache mode. */
	if (fc_cc_wb_mode(cl) && of_writable(of))
		fc_cc_link_write_file(cn, of);
	if (of->sent_flags & FC_O_TRUNC) {
		/* OPEN truncated (atomic O_TRUNC): nothing cached survives. */
		ops->truncate(cn->m, 0);
		fc_cc_touch_times(cn);
	}
	/* fuse_open: without FOPEN_KEEP_CACHE the cached pages go. */
	if (!(of->fopen_flags & FC_FOPEN_KEEP_CACHE))
		ops->invalidate_range(cn->m, 0, FC_PC_INDEX_MAX,
				      FC_PC_INVAL_WAIT);
}

int fc_cache_hook_flush(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *of)
{
	struct fc_cnode *cn = file_cnode(cl, of);
	int err;

	if (!cn)
		return 0;
	/* fuse_flush: write_inode_now, then the errors not reported yet. */
	err = fc_cc_write_inode_now(cn, who);
	if (err)
		return err;
	err = cn->cc->ops->err_check_and_advance(cn->m, &of->wb_err_cursor);
	fc_cc_mirror_err(cn);
	return err;
}

int fc_cache_hook_fsync(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *of, int datasync)
{
	struct fc_cnode *cn = file_cnode(cl, of);

	(void)datasync;
	if (!cn)
		return 0;
	return fc_cc_sync_range(cn, who, of, 0, FC_PC_INDEX_MAX);
}

static int file_in_use(struct fc_cnode *cn, struct fc_open_ctx *of)
{
	struct fc_wb_req *r;

	if (cn->wb_busy)
		return 1;
	for (r = cn->reqs; r; r = r->next)
		if (r->of == of)
			return 1;
	return 0;
}

void fc_cache_hook_release(struct fc_client *cl, struct fc_open_ctx *of)
{
	struct fc_cnode *cn = file_cnode(cl, of);
	struct fc_cache *cc;

	if (!cn)
		return;
	cc = cn->cc;
	/* fuse_release: dirty pages racing with the close go now. */
	if (fc_cc_wb_mode(cl))
		fc_cc_write_inode_now(cn, &of->caller);
	cc_lock(cc);
	unlink_write_file(cn, of);
	/* RELEASE follows every writeback WRITE that carries this fh. */
	while (file_in_use(cn, of))
		if (fc_cc_wait(cc, "writeback"))
			break;
	cc_unlock(cc);
}

/* ---- reads --------------------------------------------------------------------------- */

static int range_sync(struct fc_cnode *cn, uint64_t off, uint64_t len)
{
	const struct fc_pc_ops *ops = cn->cc->ops;
	uint64_t first = off >> FC_PC_PAGE_SHIFT, last = last_index(off, len);
	int err, err2;

	/* filemap_write_and_wait_range */
	err = ops->write_range(cn->m, first, last, 1);
	err2 = ops->wait_range(cn->m, first, last);
	return err ? err : err2;
}

long fc_cache_read(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_open_ctx *of, void *buf, size_t size,
		   uint64_t off)
{
	struct fc_node *n = of->node;
	struct fc_cache_file cf = { of, who };
	struct fc_cnode *cn;
	struct fc_attr attr;
	long r;
	int err;

	if (of->is_dir)
		return -EISDIR;
	if (n->stale)
		return -ESTALE;
	cn = fc_cnode_get(cl, n);
	if (!cn)
		return fc_read(cl, who, of, buf, size, off,
			       of_direct(of) ? FC_IO_DIRECT : 0);
	if (off > MAX_LFS_FILESIZE)
		return -EINVAL;
	if (!size)
		return 0;
	if (!(of->fopen_flags & FC_FOPEN_DIRECT_IO)) {
		/*
		 * fuse_cache_read_iter: with auto_inval_data always, otherwise
		 * when reading past the cached size, refresh expired attributes.
		 */
		if (fc_cl_has(cl, FC_AUTO_INVAL_DATA) ||
		    off + size > fc_cc_isize(cl, n)) {
			err = fc_update_attr(cl, who, n, of, FC_STATX_SIZE,
					     &attr);
			if (err)
				return err;
		}
	}
	if (of_direct(of)) {
		/* fuse_direct_io (or generic_file_read_iter's direct path). */
		err = io_lock(cn, 0);
		if (err)
			return err;
		err = range_sync(cn, off, size);
		r = err ? err : fc_read(cl, who, of, buf, size, off, FC_IO_DIRECT);
		io_unlock(cn, 0);
		return r;
	}
	fc_cc_process_pending(cn);
	err = io_lock(cn, 0);
	if (err)
		return err;
	r = cn->cc->ops->read(cn->m, &cf, buf, size, off);
	io_unlock(cn, 0);
	return r;
}

/* ---- writes ---------------------------------------------------------------------------- */

/*
 * fuse_direct_io for writes: written back and invalidated first (the
 * FOPEN_DIRECT_IO path and generic_file_direct_write alike), and again
 * invalidated after (kiocb_invalidate_post_direct_write).
 */
static long direct_write(struct fc_cnode *cn, const struct fc_caller *who,
			 struct fc_open_ctx *of, const void *buf, size_t size,
			 uint64_t *pos)
{
	struct fc_client *cl = cn->cc->cl;
	const struct fc_pc_ops *ops = cn->cc->ops;
	uint64_t p, first, last;
	long r;
	int err;

	err = io_lock(cn, 1);
	if (err)
		return err;
	p = (of->file_flags & FC_O_APPEND) ? fc_cc_isize(cl, cn->node) : *pos;
	first = p >> FC_PC_PAGE_SHIFT;
	last = last_index(p, size);
	err = range_sync(cn, p, size);
	if (!err && ops->invalidate_range(cn->m, first, last, FC_PC_INVAL_WAIT))
		err = -EBUSY;
	if (err) {
		io_unlock(cn, 1);
		return err;
	}
	r = fc_write(cl, who, of, buf, size, p, FC_IO_DIRECT);
	ops->invalidate_range(cn->m, first, last, FC_PC_INVAL_WAIT);
	io_unlock(cn, 1);
	if (r > 0)
		*pos = p + (uint64_t)r;
	return r;
}

/*
 * fuse_perform_write: write-through.  The pages of each WRITE stay locked
 * while it is in flight, after any older writeback of them ended; a WRITE
 * ends after a page it covers in part that is not up to date
 * (fuse_fill_write_pages); the
 * bytes go into the pages that are up to date (whole pages become up to
 * date), so a shared mapping sees the newest data at once and a later
 * writeback of a dirty page carries them too.
 */
static long through_write(struct fc_cnode *cn, const struct fc_caller *who,
			  struct fc_open_ctx *of, const void *buf, size_t size,
			  uint64_t *pos)
{
	struct fc_cache *cc = cn->cc;
	struct fc_client *cl = cc->cl;
	const struct fc_pc_ops *ops = cc->ops;
	const struct fc_conn_info *ci = fc_cl_info(cl);
	uint32_t pages = fc_cl_has(cl, FC_BIG_WRITES) ? ci->max_pages : 1;
	struct fc_page **locked;
	size_t done = 0;
	uint64_t p;
	long ret = 0;
	int err;

	if (!pages)
		pages = 1;
	locked = cc->plat->alloc(cc->plat->ctx, (pages + 1) * sizeof(*locked));
	if (!locked)
		return -ENOMEM;
	err = io_lock(cn, 1);
	if (err) {
		cc->plat->free(cc->plat->ctx, locked);
		return err;
	}
	fc_cc_process_pending(cn);
	p = (of->file_flags & FC_O_APPEND) ? fc_cc_isize(cl, cn->node) : *pos;
	while (done < size) {
		uint64_t cpos = p + done, limit, idx, first, last;
		size_t chunk;
		unsigned nl = 0, i;
		long n;

		limit = (uint64_t)pages * FC_PC_PAGE_SIZE - (cpos & (FC_PC_PAGE_SIZE - 1));
		if (limit > ci->max_write)
			limit = ci->max_write;
		chunk = size - done < limit ? size - done : (size_t)limit;
		first = cpos >> FC_PC_PAGE_SHIFT;
		last = last_index(cpos, chunk);
		for (idx = first; idx <= last && nl <= pages; idx++) {
			uint64_t ps = idx << FC_PC_PAGE_SHIFT;
			uint64_t cs = cpos > ps ? cpos : ps;
			uint64_t ce = cpos + chunk < ps + FC_PC_PAGE_SIZE ?
					      cpos + chunk : ps + FC_PC_PAGE_SIZE;
			int full = cs == ps && ce == ps + FC_PC_PAGE_SIZE;
			struct fc_page *pg;

			pg = ops->page_get(cn->m, idx,
					   FC_PGET_LOCK | (full ? FC_PGET_CREATE : 0),
					   NULL);
			if (pg)
				/* An older WRITE of this page lands before ours goes out. */
				ops->page_wait_writeback(pg);
			if (!full && (!pg || !(ops->page_flags(pg) & FC_PG_UPTODATE))) {
				/*
				 * fuse_fill_write_pages: a page written in part
				 * that is not up to date (Linux creates it, so an
				 * uncached one too) ends the WRITE: pwrite of 100
				 * bytes at 4000 is WRITE 4000+96, WRITE 4096+4.
				 * Nothing to keep coherent in it.
				 */
				if (pg) {
					ops->page_unlock(pg);
					ops->page_put(pg);
				}
				chunk = (size_t)(ce - cpos);
				break;
			}
			if (!pg)
				continue; /* could not be cached: nothing to keep coherent */
			memcpy((char *)ops->page_data(pg) + (cs - ps),
			       (const char *)buf + done + (cs - cpos),
			       (size_t)(ce - cs));
			if (full)
				ops->page_set_uptodate(pg, 1);
			locked[nl++] = pg;
		}
		n = fc_write(cl, who, of, (const char *)buf + done, chunk, cpos, 0);
		for (i = 0; i < nl; i++) {
			struct fc_page *pg = locked[i];
			uint64_t ps = ops->page_index(pg) << FC_PC_PAGE_SHIFT;
			uint64_t pe = ps + FC_PC_PAGE_SIZE;
			uint64_t want_end = cpos + chunk < pe ? cpos + chunk : pe;

			/*
			 * fuse_send_write_pages: a page the WRITE did not fully
			 * cover is no longer known to match the daemon (unless
			 * dirty: then the cache holds the newest data anyway).
			 */
			if ((n < 0 || cpos + (uint64_t)n < want_end) &&
			    !(ops->page_flags(pg) & FC_PG_DIRTY))
				ops->page_set_uptodate(pg, 0);
			ops->page_unlock(pg);
			ops->page_put(pg);
		}
		if (n < 0) {
			ret = n;
			break;
		}
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	io_unlock(cn, 1);
	cc->plat->free(cc->plat->ctx, locked);
	if (done) {
		*pos = p + done;
		return (long)done;
	}
	return ret;
}

/*
 * generic_perform_write with fuse_write_begin / fuse_write_end: the bytes
 * only dirty pages.  A page written in part and not up to date is read
 * first (READ on this file, even write-only), unless it lies past the end
 * of the file; the size grows locally.
 */
static long wb_write(struct fc_cnode *cn, const struct fc_caller *who,
		     struct fc_open_ctx *of, const void *buf, size_t size,
		     uint64_t *pos)
{
	struct fc_cache *cc = cn->cc;
	struct fc_client *cl = cc->cl;
	const struct fc_pc_ops *ops = cc->ops;
	struct fc_cache_file cf = { of, who };
	struct fc_attr attr;
	size_t done = 0;
	uint64_t p;
	long ret = 0;
	int err;

	/* fuse_cache_write_iter: update size (EOF) and mode (SUID clearing). */
	err = fc_update_attr(cl, who, cn->node, of,
			     FC_STATX_SIZE | FC_STATX_MODE, &attr);
	if (err)
		return err;
	err = io_lock(cn, 1);
	if (err)
		return err;
	fc_cc_process_pending(cn);
	p = (of->file_flags & FC_O_APPEND) ? fc_cc_isize(cl, cn->node) : *pos;
	if (p >= MAX_LFS_FILESIZE) {
		io_unlock(cn, 1);
		return -EFBIG;
	}
	if (size > MAX_LFS_FILESIZE - p)
		size = (size_t)(MAX_LFS_FILESIZE - p);
	while (done < size) {
		uint64_t cpos = p + done, idx = cpos >> FC_PC_PAGE_SHIFT;
		size_t in = (size_t)(cpos & (FC_PC_PAGE_SIZE - 1));
		size_t bytes = FC_PC_PAGE_SIZE - in;
		struct fc_page *pg;

		if (bytes > size - done)
			bytes = size - done;
		pg = ops->page_get(cn->m, idx, FC_PGET_CREATE | FC_PGET_LOCK, &err);
		if (!pg) {
			ret = err;
			break;
		}
		/* FGP_STABLE: no writing into a page a WRITE carries. */
		ops->page_wait_writeback(pg);
		if (!(ops->page_flags(pg) & FC_PG_UPTODATE) &&
		    bytes < FC_PC_PAGE_SIZE) {
			if (fc_cc_isize(cl, cn->node) <= (idx << FC_PC_PAGE_SHIFT)) {
				memset(ops->page_data(pg), 0, FC_PC_PAGE_SIZE);
			} else {
				err = read_pages(cn, &cf, &pg, 1, 0);
				if (err) {
					ops->page_unlock(pg);
					ops->page_put(pg);
					ret = err;
					break;
				}
			}
		}
		memcpy((char *)ops->page_data(pg) + in, (const char *)buf + done,
		       bytes);
		ops->page_set_uptodate(pg, 1);
		ops->page_set_dirty(pg);
		ops->page_unlock(pg);
		ops->page_put(pg);
		done += bytes;
		/* fuse_write_end -> fuse_write_update_attr */
		fc_client_lock(cl);
		fc_node_written_locked(cl, cn->node, cpos + bytes);
		fc_client_unlock(cl);
	}
	if (done)
		fc_cc_touch_times(cn);
	io_unlock(cn, 1);
	if (done) {
		*pos = p + done;
		return (long)done;
	}
	return ret;
}

long fc_cache_write(struct fc_client *cl, const struct fc_caller *who,
		    struct fc_open_ctx *of, const void *buf, size_t size,
		    uint64_t *pos)
{
	struct fc_node *n = of->node;
	struct fc_cnode *cn;

	if (of->is_dir)
		return -EISDIR;
	if (n->stale)
		return -ESTALE;
	cn = fc_cnode_get(cl, n);
	if (!cn) {
		uint64_t p = (of->file_flags & FC_O_APPEND) ? fc_cc_isize(cl, n)
							     : *pos;
		long r = fc_write(cl, who, of, buf, size, p,
				  of_direct(of) ? FC_IO_DIRECT : 0);

		if (r > 0)
			*pos = p + (uint64_t)r;
		return r;
	}
	if (!size)
		return 0;
	if (of_direct(of))
		return direct_write(cn, who, of, buf, size, pos);
	if (fc_cc_wb_mode(cl))
		return wb_write(cn, who, of, buf, size, pos);
	return through_write(cn, who, of, buf, size, pos);
}

/* ---- explicit writeback (the flusher's stand-in) ------------------------------------- */

static int writeback_node(struct fc_cnode *cn, int wait)
{
	const struct fc_pc_ops *ops = cn->cc->ops;
	int err = ops->write_range(cn->m, 0, FC_PC_INDEX_MAX, 0);

	if (!err && wait)
		err = ops->wait_range(cn->m, 0, FC_PC_INDEX_MAX);
	return err;
}

int fc_cache_writeback(struct fc_client *cl, struct fc_node *node, int wait)
{
	struct fc_node **v;
	unsigned n, i;
	int ret = 0;

	if (!cl->cache)
		return 0;
	if (node) {
		struct fc_cnode *cn;

		fc_client_lock(cl);
		cn = node->cache;
		fc_client_unlock(cl);
		return cn ? writeback_node(cn, wait) : 0;
	}
	v = cached_nodes(cl, &n);
	for (i = 0; i < n; i++) {
		int err = writeback_node(v[i]->cache, wait);

		if (err && !ret)
			ret = err;
		fc_node_put(cl, v[i]);
	}
	cl->plat->free(cl->plat->ctx, v);
	return ret;
}
