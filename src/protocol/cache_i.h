/*
 * Internal view of the client's cached file I/O (fusecore/pagecache.h),
 * shared by cache.c (attachment, hooks, read/write paths, writeback
 * WRITEs), cache_mmap.c (memory mappings) and cache_notify.c
 * (INVAL_INODE, STORE, RETRIEVE).
 *
 * Locking: cc->lock guards every struct fc_cnode and the writeback
 * requests.  Order: client lock -> cc->lock -> the page cache's own lock.
 * Nothing is sent, and no page-cache call that may block is made, while
 * cc->lock is held; the client lock is never taken under cc->lock.
 */
#ifndef FUSECORE_CACHE_I_H
#define FUSECORE_CACHE_I_H

#include "client_i.h"
#include "fusecore/pagecache.h"

struct fc_cnode;

/* One writeback WRITE (Linux's fuse_writepage_args), pages and data with it. */
struct fc_wb_req {
	struct fc_cnode *cn;
	struct fc_open_ctx *of;      /* whose fh it carries */
	struct fc_caller creds;      /* FC_WB_CREDS_OPENER */
	struct fc_args args;
	struct fc_write_in in;
	struct fc_write_out out;
	uint32_t len;                /* bytes of data before cropping */
	unsigned npages;
	int queued;                  /* held back by nowrite, not sent yet */
	struct fc_page **pages;      /* referenced, under writeback */
	unsigned char *data;         /* npages * 4096, copied from the pages */
	struct fc_wb_req *prev, *next;
};

/* The page-cache part of one node (Linux keeps it in struct fuse_inode). */
struct fc_cnode {
	struct fc_cache *cc;
	struct fc_node *node;
	struct fc_mapping *m;
	/* fi->writectr split in two: WRITEs in flight, and holders of nowrite. */
	unsigned inflight;
	unsigned nowrite;
	unsigned wb_busy;            /* writepages calls choosing a file */
	struct fc_wb_req *reqs;      /* every request, sent or queued */
	/* fi->write_files, the newest first. */
	struct fc_open_ctx **wfiles;
	unsigned nwfiles, wfcap;
	/* The per-node I/O lock (i_rwsem). */
	unsigned io_shared;
	int io_excl;
	int size_unstable;           /* FUSE_I_SIZE_UNSTABLE */
	int times_dirty;             /* local mtime/ctime not pushed (writeback cache) */
	int pend_trunc, pend_inval;  /* from attribute changes, applied later */
	uint64_t trunc_oldsize;
};

struct fc_cache {
	struct fc_client *cl;
	const struct fc_platform *plat;
	const struct fc_pc_ops *ops;
	struct fc_pagecache *pc;
	struct fc_cache_config cfg;
	struct fc_mutex *lock;
	struct fc_cond *cond;
	unsigned ncnodes;
	int detached;                /* freed with the last cnode */
};

/* What the page cache passes back as "file": the open file and the caller. */
struct fc_cache_file {
	struct fc_open_ctx *of;
	const struct fc_caller *who;
};

static inline void cc_lock(struct fc_cache *cc)
{
	cc->plat->mutex_lock(cc->plat->ctx, cc->lock);
}

static inline void cc_unlock(struct fc_cache *cc)
{
	cc->plat->mutex_unlock(cc->plat->ctx, cc->lock);
}

static inline void cc_wake(struct fc_cache *cc)
{
	cc->plat->cond_broadcast(cc->plat->ctx, cc->cond);
}

static inline int cc_is_reg(const struct fc_node *n)
{
	return (n->attr.mode & FC_S_IFMT) == FC_S_IFREG;
}

/* cache.c */
int fc_cc_wait(struct fc_cache *cc, const char *what);
struct fc_cnode *fc_cnode_get(struct fc_client *cl, struct fc_node *n);
uint64_t fc_cc_isize(struct fc_client *cl, struct fc_node *n);
int fc_cc_wb_mode(const struct fc_client *cl);
void fc_cc_process_pending(struct fc_cnode *cn);
void fc_cc_link_write_file(struct fc_cnode *cn, struct fc_open_ctx *of);
/* Write back [first, last], wait, wait for writeback WRITEs, report an unseen error. */
int fc_cc_sync_range(struct fc_cnode *cn, const struct fc_caller *who,
		     struct fc_open_ctx *of, uint64_t first, uint64_t last);
void fc_cc_touch_times(struct fc_cnode *cn);
void fc_cc_mirror_err(struct fc_cnode *cn);
/* write_inode_now(inode, 1): write every dirty page back and wait, then the times. */
int fc_cc_write_inode_now(struct fc_cnode *cn, const struct fc_caller *who);

#endif /* FUSECORE_CACHE_I_H */
