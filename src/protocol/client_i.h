/*
 * Internal view of the FUSE client (fusecore/ops.h), shared by inode.c
 * (client, node table, forgets, attributes), dir.c (entries and
 * directories), file.c (open files and I/O), lock.c and xattr.c.
 */
#ifndef FUSECORE_CLIENT_I_H
#define FUSECORE_CLIENT_I_H

#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "conn_i.h"

/* Linux's PAGE_SIZE: requests are split and READLINK bounded in pages. */
#define FC_PAGE_SIZE 4096u

struct fc_node {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t nlookup;        /* lookups the daemon counts for us */
	unsigned refcount;       /* VFS references (dentries, open files) */
	uint16_t stale;          /* nodeid reused with another generation/type */
	uint16_t inval_mask;     /* FC_STATX_* left stale locally (fi->inval_mask) */
	struct fc_attr attr;
	uint64_t attr_deadline;  /* platform-clock ns */
	uint64_t attr_version;   /* client's attr_ctr at the last change */
	uint64_t wb_err_seq;     /* writeback error sequence (errseq_t) */
	void *priv;
	struct fc_node *hnext;   /* node table chain, or the stale list */
	struct fc_cnode *cache;  /* page-cache state (cache.c), NULL until used */
};

struct fc_open_ctx {
	struct fc_node *node;    /* pinned (a reference) */
	uint64_t fh;
	uint32_t sent_flags;     /* as OPEN/CREATE carried them */
	uint32_t file_flags;     /* Linux's f_flags after open */
	uint32_t fopen_flags;    /* FOPEN_* as honoured */
	int is_dir;
	int no_open;             /* opened without a request: no RELEASE */
	int flock_used;          /* RELEASE carries FLOCK_UNLOCK */
	int release_reserved;    /* a request is set aside for the RELEASE */
	uint64_t flock_owner;    /* this open file's flock owner id */
	struct fc_caller caller; /* credentials at open */
	uint64_t generation;     /* node generation at open */
	uint64_t wb_err_cursor;  /* writeback error seen at open */
	void *priv;
	/* RELEASE is sent in the background from here. */
	struct fc_release_in release_in;
	struct fc_args release_args;
	struct fc_client *cl;
};

/* A queued FORGET (Linux's fuse_forget_link). */
struct fc_forget {
	uint64_t nodeid;
	uint64_t nlookup;
};

struct fc_client {
	struct fc_conn *conn;
	const struct fc_platform *plat;
	struct fc_mutex *lock;   /* node table, refcounts, forget queue */
	struct fc_client_config cfg;
	struct fc_node *root;
	struct fc_node *stale;   /* stale nodes still referenced */
	struct fc_node **table;
	unsigned table_mask;
	unsigned nnodes;
	struct fc_forget *forgets;
	unsigned nforgets, forgets_cap;
	struct fc_node *forget_nodes; /* evicted nodes carrying their FORGET */
	uint64_t flock_owner_ctr; /* distinct flock owner ids per open file */
	struct fc_node_slab *slabs;  /* node storage (inode.c), freed with the client */
	struct fc_node *free_nodes;  /* unused slab slots, linked by hnext */
	struct fc_cache *cache;   /* the attached page cache (cache.c), or NULL */
	uint64_t attr_ctr;        /* fc->attr_version: stamps attribute changes */
};

static inline void fc_client_lock(struct fc_client *cl)
{
	cl->plat->mutex_lock(cl->plat->ctx, cl->lock);
}

static inline void fc_client_unlock(struct fc_client *cl)
{
	cl->plat->mutex_unlock(cl->plat->ctx, cl->lock);
}

static inline const struct fc_conn_info *fc_cl_info(const struct fc_client *cl)
{
	return fc_conn_info(cl->conn);
}

static inline int fc_cl_has(const struct fc_client *cl, uint64_t flag)
{
	return !!(fc_cl_info(cl)->flags & flag);
}

/* Append an input piece to @a. */
static inline void fc_arg_in(struct fc_args *a, const void *value, size_t size)
{
	a->in[a->in_numargs].value = (void *)value;
	a->in[a->in_numargs].size = (uint32_t)size;
	a->in_numargs++;
}

/* Append an output piece to @a. */
static inline void fc_arg_out(struct fc_args *a, void *value, size_t size)
{
	a->out[a->out_numargs].value = value;
	a->out[a->out_numargs].size = (uint32_t)size;
	a->out_numargs++;
}

/* A name and the NUL the kernel's dentry names carry after it. */
static inline void fc_arg_name(struct fc_args *a, const char *name,
			       size_t namelen)
{
	static const char nul;

	fc_arg_in(a, name, namelen);
	fc_arg_in(a, &nul, 1);
}

/* Start a request for @nodeid on behalf of @who (NULL: no credentials). */
void fc_args_init(struct fc_args *a, uint32_t opcode, uint64_t nodeid,
		  const struct fc_caller *who);

/* Send queued forgets, then @a synchronously (fc_conn_send). */
int fc_cl_send(struct fc_client *cl, struct fc_args *a);

/* Absolute deadline from a (sec, nsec) timeout (fuse_time_to_jiffies). */
uint64_t fc_deadline(const struct fc_client *cl, uint64_t sec, uint32_t nsec);

/* fuse_invalid_attr: a known file type and a size that fits off_t. */
int fc_attr_ok(const struct fc_attr *attr);

/*
 * Take an entry reply (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, CREATE,
 * READDIRPLUS): validate it, find or make the node, count the lookup and
 * fill @out.  @want_type is the S_IFMT the operation created (0: any).
 * @attr_version: fc_cl_attr_version() before the request, or 0 when the
 * attributes are taken whatever happened meanwhile (fuse_iget's argument).
 * Returns 0, -ENOENT for a negative entry (nodeid 0, with the entry
 * deadline set), or -EIO (counted) for a reply that cannot be used.
 */
int fc_entry_take(struct fc_client *cl, const struct fc_entry_out *eo,
		  uint32_t want_type, int allow_negative, uint64_t attr_version,
		  struct fc_entry *out);

/*
 * Return @nlookup lookups of @nodeid to the daemon: queued, sent with the
 * next request or fc_client_flush_forgets().  For entries the client could
 * not keep (fuse_lookup_name, fuse_force_forget).
 */
void fc_cl_forget(struct fc_client *cl, uint64_t nodeid, uint64_t nlookup);

/*
 * fuse_get_attr_version: taken before sending a request whose reply
 * carries attributes (LOOKUP, GETATTR, READDIRPLUS).  A reply is dropped
 * when the node changed after that (fuse_change_attributes): an answer
 * the daemon gave before a local write or truncation must not bring the
 * old size back.
 */
uint64_t fc_cl_attr_version(struct fc_client *cl);

/*
 * Client lock held: @n's attributes changed here (a reply taken, a write,
 * a truncation); fi->attr_version = atomic64_inc_return(&fc->attr_version).
 */
static inline void fc_node_attr_changed_locked(struct fc_client *cl,
					       struct fc_node *n)
{
	n->attr_version = ++cl->attr_ctr;
}

/* Linux's FUSE_STATX_MODIFY and FUSE_STATX_MODSIZE: what a write leaves stale. */
#define FC_STATX_MODIFY (FC_STATX_MTIME | FC_STATX_CTIME | FC_STATX_BLOCKS)
#define FC_STATX_MODSIZE (FC_STATX_MODIFY | FC_STATX_SIZE)

/*
 * fuse_invalidate_attr_mask, client lock held: the fields in @mask are
 * stale while the attribute timeout still holds for the others.
 */
static inline void fc_node_inval_locked(struct fc_node *n, uint32_t mask)
{
	n->inval_mask |= (uint16_t)mask;
}

/*
 * fuse_write_update_attr, client lock held: data written up to @end (0:
 * the size stays) grows the cached size; size, times and blocks are stale.
 */
static inline void fc_node_written_locked(struct fc_client *cl,
					  struct fc_node *n, uint64_t end)
{
	fc_node_attr_changed_locked(cl, n);
	if (end > n->attr.size)
		n->attr.size = end;
	fc_node_inval_locked(n, FC_STATX_MODSIZE);
}

/* fuse_invalidate_atime: after a READ, READLINK or READDIR of @n. */
void fc_node_inval_atime(struct fc_client *cl, struct fc_node *n);

/* A reply that breaks the protocol: counted, -EIO. */
int fc_cl_bad_reply(struct fc_client *cl);

/* The name length check every name-taking call makes first. */
int fc_check_name(const struct fc_client *cl, size_t namelen);

/*
 * Page-cache hooks (cache.c); no-ops without an attached page cache.
 * The public ones (fc_cache_hook_open/flush/fsync/release) are in
 * fusecore/pagecache.h.
 */
/*
 * update_attr_locked, client lock held: @old is what the node had.
 * Returns non-zero if it recorded a truncation or invalidation for
 * fc_cache_hook_attr_settle().
 */
int fc_cache_hook_attr_locked(struct fc_client *cl, struct fc_node *n,
			      const struct fc_attr *old);
/*
 * No lock held, after a LOOKUP, READDIRPLUS entry or GETATTR was taken
 * and fc_cache_hook_attr_locked() recorded work: the truncation and
 * invalidation that fuse_change_attributes does at once.
 */
void fc_cache_hook_attr_settle(struct fc_client *cl, struct fc_node *n);
/* fc_setattr around the request (fuse_do_setattr); @in may gain fields. */
void fc_cache_hook_setattr_begin(struct fc_client *cl,
				 const struct fc_caller *who,
				 struct fc_node *n, struct fc_setattr_in *in);
void fc_cache_hook_setattr_end(struct fc_client *cl, struct fc_node *n,
			       const struct fc_setattr_in *in, int err,
			       const struct fc_attr *reply);
/*
 * fuse_update_ctime_in_cache: in writeback-cache mode a regular file's
 * ctime is now, pushed at once (fuse_flush_time_update).
 */
void fc_cache_hook_ctime(struct fc_client *cl, const struct fc_caller *who,
			 struct fc_node *n);
/* Just before a node is freed (fc_client_free detaches the cache first). */
void fc_cache_hook_node_free(struct fc_client *cl, struct fc_node *n);

#endif /* FUSECORE_CLIENT_I_H */
