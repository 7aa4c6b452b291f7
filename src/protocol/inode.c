/*
 * The FUSE client: lifecycle, the node table and lookup counting, the
 * forget queue, and attributes (fs/fuse/inode.c fuse_iget,
 * fuse_change_attributes, fuse_evict_inode; dir.c fuse_do_getattr,
 * fuse_do_setattr; dev.c fuse_queue_forget, fuse_read_batch_forget).
 */
#include <errno.h>
#include <string.h>

#include "client_i.h"

#define FC_TABLE_INITIAL 256
#define FC_NSEC_MAX 999999999u
/* Linux's LLONG_MAX bound on a size (fuse_invalid_attr). */
#define FC_SIZE_MAX ((uint64_t)INT64_MAX)
#define FC_DEFAULT_ROOT_MODE (FC_S_IFDIR | 0755)

/* ---- small helpers shared by the client files ----------------------------- */

void fc_args_init(struct fc_args *a, uint32_t opcode, uint64_t nodeid,
		  const struct fc_caller *who)
{
	memset(a, 0, sizeof(*a));
	a->opcode = opcode;
	a->nodeid = nodeid;
	if (who) {
		a->creds.uid = who->uid;
		a->creds.gid = who->gid;
		a->creds.pid = who->pid;
		a->task = who->task;
	} else {
		a->flags = FC_ARGS_NOCREDS;
	}
}

int fc_cl_send(struct fc_client *cl, struct fc_args *a)
{
	fc_client_flush_forgets(cl);
	return fc_conn_send(cl->conn, a);
}

uint64_t fc_deadline(const struct fc_client *cl, uint64_t sec, uint32_t nsec)
{
	uint64_t now, ns;

	/* 0/0 means "already expired" (fuse_time_to_jiffies). */
	if (!sec && !nsec)
		return 0;
	if (nsec > FC_NSEC_MAX)
		nsec = FC_NSEC_MAX;
	now = cl->plat->now_ns(cl->plat->ctx);
	if (sec > (UINT64_MAX - now - nsec) / 1000000000u)
		return UINT64_MAX;
	ns = sec * 1000000000u + nsec;
	return now + ns;
}

int fc_attr_ok(const struct fc_attr *attr)
{
	switch (attr->mode & FC_S_IFMT) {
	case FC_S_IFREG: case FC_S_IFDIR: case FC_S_IFLNK: case FC_S_IFCHR:
	case FC_S_IFBLK: case FC_S_IFIFO: case FC_S_IFSOCK:
		return attr->size <= FC_SIZE_MAX;
	default:
		return 0;
	}
}

int fc_cl_bad_reply(struct fc_client *cl)
{
	fc_conn_count_bad_content(cl->conn);
	return -EIO;
}

int fc_check_name(const struct fc_client *cl, size_t namelen)
{
	/* fuse_lookup_name: too long a name never reaches the daemon. */
	return namelen > fc_cl_info(cl)->name_max ? -ENAMETOOLONG : 0;
}

/* ---- node table ------------------------------------------------------------ */

static unsigned node_hash(const struct fc_client *cl, uint64_t nodeid)
{
	/* Nodeids are often pointers (libfuse): mix the high and low bits. */
	uint64_t h = nodeid * 0x9e3779b97f4a7c15ULL;

	return (unsigned)(h >> 32) & cl->table_mask;
}

static struct fc_node *table_find(struct fc_client *cl, uint64_t nodeid)
{
	struct fc_node *n;

	for (n = cl->table[node_hash(cl, nodeid)]; n; n = n->hnext)
		if (n->nodeid == nodeid)
			return n;
	return NULL;
}

static void table_grow(struct fc_client *cl)
{
	unsigned nsize = (cl->table_mask + 1) * 2, i;
	struct fc_node **nt = cl->plat->alloc(cl->plat->ctx, nsize * sizeof(*nt));
	struct fc_node **old = cl->table;
	unsigned old_size = cl->table_mask + 1;

	if (!nt)
		return; /* longer chains, still correct */
	memset(nt, 0, nsize * sizeof(*nt));
	cl->table = nt;
	cl->table_mask = nsize - 1;
	for (i = 0; i < old_size; i++) {
		struct fc_node *n = old[i], *next;

		for (; n; n = next) {
			unsigned h = node_hash(cl, n->nodeid);

			next = n->hnext;
			n->hnext = nt[h];
			nt[h] = n;
		}
	}
	cl->plat->free(cl->plat->ctx, old);
}

static void table_insert(struct fc_client *cl, struct fc_node *n)
{
	unsigned h;

	if (cl->nnodes > cl->table_mask)
		table_grow(cl);
	h = node_hash(cl, n->nodeid);
	n->hnext = cl->table[h];
	cl->table[h] = n;
	cl->nnodes++;
}

static void table_remove(struct fc_client *cl, struct fc_node *n)
{
	struct fc_node **pp = &cl->table[node_hash(cl, n->nodeid)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			cl->nnodes--;
			return;
		}
	}
}

/*
 * The nodeid came back with another generation or type (fuse_stale_inode):
 * every later use of this node fails, and a fresh node may take the nodeid.
 * The stale node keeps its lookup count, returned by FORGET when it goes.
 */
static void node_make_stale(struct fc_client *cl, struct fc_node *n)
{
	if (n->stale)
		return;
	n->stale = 1;
	if (n == cl->root) /* the root is marked but kept (fuse_iget) */
		return;
	table_remove(cl, n);
	n->hnext = cl->stale;
	cl->stale = n;
}

static void stale_remove(struct fc_client *cl, struct fc_node *n)
{
	struct fc_node **pp;

	for (pp = &cl->stale; *pp; pp = &(*pp)->hnext) {
		if (*pp == n) {
			*pp = n->hnext;
			n->hnext = NULL;
			return;
		}
	}
}

/*
 * Node storage.  Nodes come from slabs of FC_NODE_SLAB, so that a cached
 * node does not pay an allocation header of its own (Linux keeps its
 * inodes in a slab cache too); a freed node's slot is reused and the slabs
 * go back to the platform with the client.  Sanitizer builds allocate
 * each node alone, so that a use after free is still caught.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FC_NODE_SLAB 64
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define FC_NODE_SLAB 64
#endif
#endif
#ifndef FC_NODE_SLAB
#define FC_NODE_SLAB 64
#endif

struct fc_node_slab {
	struct fc_node_slab *next;
	struct fc_node nodes[FC_NODE_SLAB ? FC_NODE_SLAB : 1];
};

/* A node's memory (client lock held, or the client not shared yet). */
static struct fc_node *node_alloc(struct fc_client *cl)
{
	struct fc_node_slab *sl;
	struct fc_node *n;
	unsigned i;

	if (!FC_NODE_SLAB)
		return cl->plat->alloc(cl->plat->ctx, sizeof(*n));
	n = cl->free_nodes;
	if (n) {
		cl->free_nodes = n->hnext;
		return n;
	}
	sl = cl->plat->alloc(cl->plat->ctx, sizeof(*sl));
	if (!sl)
		return NULL;
	sl->next = cl->slabs;
	cl->slabs = sl;
	for (i = FC_NODE_SLAB - 1; i > 0; i--) {
		sl->nodes[i].hnext = cl->free_nodes;
		cl->free_nodes = &sl->nodes[i];
	}
	return &sl->nodes[0];
}

/* Give a node's memory back (client lock held, or no other user left). */
static void node_release(struct fc_client *cl, struct fc_node *n)
{
	if (!FC_NODE_SLAB) {
		cl->plat->free(cl->plat->ctx, n);
		return;
	}
	n->hnext = cl->free_nodes;
	cl->free_nodes = n;
}

static void node_slabs_free(struct fc_client *cl)
{
	while (cl->slabs) {
		struct fc_node_slab *sl = cl->slabs;

		cl->slabs = sl->next;
		cl->plat->free(cl->plat->ctx, sl);
	}
	cl->free_nodes = NULL;
}

static struct fc_node *node_new(struct fc_client *cl, uint64_t nodeid,
				uint64_t generation)
{
	struct fc_node *n = node_alloc(cl);

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->nodeid = nodeid;
	n->generation = generation;
	n->refcount = 1;
	return n;
}

/* Make room for @more queued forgets (lock held); 0 or -ENOMEM. */
static int forgets_room(struct fc_client *cl, unsigned more)
{
	unsigned ncap = cl->forgets_cap ? cl->forgets_cap : 16;
	struct fc_forget *nf;

	if (cl->nforgets + more <= cl->forgets_cap)
		return 0;
	while (ncap < cl->nforgets + more)
		ncap *= 2;
	nf = cl->plat->alloc(cl->plat->ctx, ncap * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	if (cl->nforgets)
		memcpy(nf, cl->forgets, cl->nforgets * sizeof(*nf));
	cl->plat->free(cl->plat->ctx, cl->forgets);
	cl->forgets = nf;
	cl->forgets_cap = ncap;
	return 0;
}

/* Queue a FORGET (lock held); 0, or -ENOMEM when the queue cannot grow. */
static int queue_forget(struct fc_client *cl, uint64_t nodeid, uint64_t nlookup)
{
	if (forgets_room(cl, 1))
		return -ENOMEM;
	cl->forgets[cl->nforgets].nodeid = nodeid;
	cl->forgets[cl->nforgets].nlookup = nlookup;
	cl->nforgets++;
	return 0;
}

/* A FORGET for an entry that never got a node: nothing can carry it. */
static void queue_forget_or_warn(struct fc_client *cl, uint64_t nodeid,
				 uint64_t nlookup)
{
	if (queue_forget(cl, nodeid, nlookup))
		fc_conn_log(cl->conn, FC_LOG_WARN, "FORGET dropped: out of memory");
}

/*
 * Lock held: @n, out of the table, gives its whole lookup count back
 * (fuse_evict_inode).  When the queue cannot grow the node itself carries
 * the FORGET until fc_client_flush_forgets() sends it: Linux allocates the
 * forget link with the inode, so a FORGET is never lost for lack of
 * memory.  Returns 1 if @n is kept as that carrier (not to be released).
 */
static int forget_node_locked(struct fc_client *cl, struct fc_node *n)
{
	if (!n->nlookup || !queue_forget(cl, n->nodeid, n->nlookup))
		return 0;
	n->hnext = cl->forget_nodes;
	cl->forget_nodes = n;
	return 1;
}

void fc_cl_forget(struct fc_client *cl, uint64_t nodeid, uint64_t nlookup)
{
	fc_client_lock(cl);
	queue_forget_or_warn(cl, nodeid, nlookup);
	fc_client_unlock(cl);
}

static int send_forget_one(struct fc_client *cl, uint64_t nodeid,
			   uint64_t nlookup)
{
	struct fc_forget_in in = { .nlookup = nlookup };
	struct fc_args a;

	fc_args_init(&a, FC_FORGET, nodeid, NULL);
	a.flags |= FC_ARGS_FORCE | FC_ARGS_NOREPLY;
	fc_arg_in(&a, &in, sizeof(in));
	return fc_conn_send(cl->conn, &a);
}

static int send_forget_batch(struct fc_client *cl, struct fc_forget *f,
			     unsigned count)
{
	struct fc_batch_forget_in in = { .count = count };
	struct fc_args a;

	/* struct fc_forget has the layout of struct fc_forget_one. */
	fc_args_init(&a, FC_BATCH_FORGET, 0, NULL);
	a.flags |= FC_ARGS_FORCE | FC_ARGS_NOREPLY;
	a.in_numargs = 2;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	a.in[1].value = f;
	a.in[1].size = count * (uint32_t)sizeof(struct fc_forget_one);
	return fc_conn_send(cl->conn, &a);
}

_Static_assert(sizeof(struct fc_forget) == sizeof(struct fc_forget_one),
	       "fc_forget doubles as fc_forget_one");

/* Send @list[0, @n); returns how many went out before a send failed. */
static unsigned send_forget_list(struct fc_client *cl, struct fc_forget *list,
				 unsigned n)
{
	const struct fc_conn_info *ci = fc_cl_info(cl);
	unsigned i, per_batch;
	int batch;

	/*
	 * BATCH_FORGET from minor 16 and for two or more; virtio-fs only ever
	 * sends single FORGETs on its hiprio queue (virtio_fs_send_forget).
	 */
	batch = ci->minor >= 16 && n >= 2 &&
		fc_conn_transport(cl->conn)->kind != FC_TRANSPORT_VIRTIO_FS;
	per_batch = (ci->max_write - (uint32_t)sizeof(struct fc_batch_forget_in)) /
		    (uint32_t)sizeof(struct fc_forget_one);
	for (i = 0; i < n;) {
		unsigned left = n - i;

		if (batch && left >= 2) {
			unsigned k = left < per_batch ? left : per_batch;

			if (send_forget_batch(cl, list + i, k) < 0)
				break;
			i += k;
		} else {
			if (send_forget_one(cl, list[i].nodeid, list[i].nlookup) < 0)
				break;
			i++;
		}
	}
	return i;
}

/*
 * Lock held: the forgets @list[@sent, @n) of a flush could not be sent;
 * they go back to the queue, which also takes @list (@cap entries) back as
 * its array when that saves an allocation.
 */
static void forgets_put_back(struct fc_client *cl, struct fc_forget *list,
			     unsigned cap, unsigned sent, unsigned n)
{
	unsigned left = n - sent;

	memmove(list, list + sent, left * sizeof(*list));
	if (cl->nforgets + left <= cap) {
		if (cl->nforgets)
			memcpy(list + left, cl->forgets, cl->nforgets * sizeof(*list));
		cl->plat->free(cl->plat->ctx, cl->forgets);
		cl->forgets = list;
		cl->forgets_cap = cap;
		cl->nforgets += left;
		return;
	}
	if (!forgets_room(cl, left)) {
		memcpy(cl->forgets + cl->nforgets, list, left * sizeof(*list));
		cl->nforgets += left;
	} else {
		fc_conn_log(cl->conn, FC_LOG_WARN, "FORGET dropped: out of memory");
	}
	cl->plat->free(cl->plat->ctx, list);
}

void fc_client_flush_forgets(struct fc_client *cl)
{
	struct fc_node *carriers, *n, *unsent = NULL;
	struct fc_forget *list;
	unsigned count, cap, sent;

	fc_client_lock(cl);
	count = cl->nforgets;
	list = cl->forgets;
	cap = cl->forgets_cap;
	carriers = cl->forget_nodes;
	if (!count && !carriers) {
		fc_client_unlock(cl);
		return;
	}
	cl->forgets = NULL;
	cl->nforgets = cl->forgets_cap = 0;
	cl->forget_nodes = NULL;
	fc_client_unlock(cl);

	sent = send_forget_list(cl, list, count);
	/* Nodes that carry their own FORGET: sent alone, then released. */
	while (carriers) {
		n = carriers;
		carriers = n->hnext;
		if (send_forget_one(cl, n->nodeid, n->nlookup) < 0) {
			n->hnext = unsent;
			unsent = n;
			continue;
		}
		fc_client_lock(cl);
		node_release(cl, n);
		fc_client_unlock(cl);
	}

	/* What could not go out is queued again, for the next flush. */
	fc_client_lock(cl);
	while (unsent) {
		n = unsent;
		unsent = n->hnext;
		n->hnext = cl->forget_nodes;
		cl->forget_nodes = n;
	}
	if (list)
		forgets_put_back(cl, list, cap, sent, count);
	fc_client_unlock(cl);
}

/* ---- client lifecycle ------------------------------------------------------- */

void fc_client_config_default(struct fc_client_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_CLIENT_CONFIG_VERSION;
	cfg->root_mode = FC_DEFAULT_ROOT_MODE;
	cfg->forget_on_unmount = 1;
}

int fc_client_new(struct fc_conn *conn, const struct fc_client_config *cfg,
		  struct fc_client **out)
{
	const struct fc_platform *p = fc_conn_platform(conn);
	struct fc_client_config def;
	struct fc_client *cl;

	*out = NULL;
	if (!cfg) {
		fc_client_config_default(&def);
		cfg = &def;
	}
	if (cfg->version != FC_CLIENT_CONFIG_VERSION)
		return -EINVAL;
	if (fc_conn_state(conn) != FC_CONN_READY)
		return -ENOTCONN;
	cl = p->alloc(p->ctx, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	memset(cl, 0, sizeof(*cl));
	cl->conn = conn;
	cl->plat = p;
	cl->cfg = *cfg;
	cl->lock = p->mutex_new(p->ctx);
	cl->table = p->alloc(p->ctx, FC_TABLE_INITIAL * sizeof(*cl->table));
	/* fuse_get_root_inode: nodeid 1, generation 0, mode from rootmode. */
	cl->root = node_new(cl, FC_ROOT_ID, 0);
	if (!cl->lock || !cl->table || !cl->root) {
		if (cl->lock)
			p->mutex_free(p->ctx, cl->lock);
		p->free(p->ctx, cl->table);
		if (cl->root)
			node_release(cl, cl->root);
		node_slabs_free(cl);
		p->free(p->ctx, cl);
		return -ENOMEM;
	}
	memset(cl->table, 0, FC_TABLE_INITIAL * sizeof(*cl->table));
	cl->table_mask = FC_TABLE_INITIAL - 1;
	cl->root->attr.mode = cfg->root_mode;
	cl->root->attr.ino = FC_ROOT_ID;
	cl->root->attr.nlink = 2;
	table_insert(cl, cl->root);
	*out = cl;
	return 0;
}

void fc_client_free(struct fc_client *cl)
{
	unsigned i;

	if (!cl)
		return;
	/*
	 * Background RELEASEs still hold their nodes: let them end first
	 * (Linux waits for outstanding requests before the superblock goes).
	 * A daemon that will never answer them is cut off.
	 */
	if (fc_conn_wait_background(cl->conn))
		fc_conn_abort(cl->conn);
	/* The page cache goes first: dirty pages are written back (sync_filesystem). */
	fc_cache_detach(cl);
	fc_client_lock(cl);
	for (i = 0; i <= cl->table_mask; i++) {
		struct fc_node *n = cl->table[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			if (!cl->cfg.forget_on_unmount || !forget_node_locked(cl, n))
				node_release(cl, n);
		}
	}
	/* Stale nodes the VFS still referenced: their lookups go back too. */
	while (cl->stale) {
		struct fc_node *n = cl->stale;

		cl->stale = n->hnext;
		if (!cl->cfg.forget_on_unmount || !forget_node_locked(cl, n))
			node_release(cl, n);
	}
	cl->plat->free(cl->plat->ctx, cl->table);
	cl->table = NULL;
	fc_client_unlock(cl);
	fc_client_flush_forgets(cl);
	/* A connection that is gone takes no more: the carriers go now. */
	fc_client_lock(cl);
	while (cl->forget_nodes) {
		struct fc_node *n = cl->forget_nodes;

		cl->forget_nodes = n->hnext;
		node_release(cl, n);
	}
	node_slabs_free(cl);
	fc_client_unlock(cl);
	cl->plat->free(cl->plat->ctx, cl->forgets);
	cl->plat->mutex_free(cl->plat->ctx, cl->lock);
	cl->plat->free(cl->plat->ctx, cl);
}

struct fc_conn *fc_client_conn(const struct fc_client *cl)
{
	return cl->conn;
}

struct fc_node *fc_client_root(const struct fc_client *cl)
{
	return cl->root;
}

unsigned fc_client_nnodes(struct fc_client *cl)
{
	unsigned n;

	fc_client_lock(cl);
	n = cl->nnodes;
	fc_client_unlock(cl);
	return n;
}

/* ---- node references ---------------------------------------------------------- */

void fc_node_get(struct fc_client *cl, struct fc_node *n)
{
	fc_client_lock(cl);
	n->refcount++;
	fc_client_unlock(cl);
}

void fc_node_put(struct fc_client *cl, struct fc_node *n)
{
	int carrier;

	if (!n)
		return;
	fc_client_lock(cl);
	if (--n->refcount || n == cl->root) {
		fc_client_unlock(cl);
		return;
	}
	/* fuse_evict_inode: the whole lookup count goes back in one FORGET. */
	if (n->stale)
		stale_remove(cl, n);
	else
		table_remove(cl, n);
	carrier = forget_node_locked(cl, n);
	fc_client_unlock(cl);
	fc_cache_hook_node_free(cl, n);
	if (carrier)
		return;
	if (FC_NODE_SLAB) {
		fc_client_lock(cl);
		node_release(cl, n);
		fc_client_unlock(cl);
	} else {
		node_release(cl, n);
	}
}

struct fc_node *fc_node_find(struct fc_client *cl, uint64_t nodeid)
{
	struct fc_node *n;

	fc_client_lock(cl);
	n = table_find(cl, nodeid);
	if (n)
		n->refcount++;
	fc_client_unlock(cl);
	return n;
}

uint64_t fc_node_id(const struct fc_node *n) { return n->nodeid; }
uint64_t fc_node_generation(const struct fc_node *n) { return n->generation; }
uint64_t fc_node_nlookup(const struct fc_node *n) { return n->nlookup; }
int fc_node_is_stale(const struct fc_node *n) { return n->stale; }
const struct fc_attr *fc_node_attr(const struct fc_node *n) { return &n->attr; }
uint64_t fc_node_attr_deadline(const struct fc_node *n) { return n->attr_deadline; }
void *fc_node_private(const struct fc_node *n) { return n->priv; }
void fc_node_set_private(struct fc_node *n, void *p) { n->priv = p; }

uint64_t fc_node_attr_snapshot(struct fc_client *cl, const struct fc_node *n,
			       struct fc_attr *out)
{
	uint64_t deadline;

	fc_client_lock(cl);
	*out = n->attr;
	deadline = n->attr_deadline;
	fc_client_unlock(cl);
	return deadline;
}

void fc_node_invalidate_attr(struct fc_client *cl, struct fc_node *n)
{
	fc_client_lock(cl);
	n->attr_deadline = 0;
	fc_client_unlock(cl);
}

/* ---- entries and attributes ------------------------------------------------ */

static void attr_clamp(struct fc_attr *a)
{
	/* fuse_change_attributes_common clamps nanoseconds. */
	if (a->atimensec > FC_NSEC_MAX)
		a->atimensec = FC_NSEC_MAX;
	if (a->mtimensec > FC_NSEC_MAX)
		a->mtimensec = FC_NSEC_MAX;
	if (a->ctimensec > FC_NSEC_MAX)
		a->ctimensec = FC_NSEC_MAX;
}

uint64_t fc_cl_attr_version(struct fc_client *cl)
{
	uint64_t v;

	fc_client_lock(cl);
	v = cl->attr_ctr;
	fc_client_unlock(cl);
	return v;
}

/*
 * Lock held.  fuse_change_attributes: a reply to a request sent before
 * the node's last change (@attr_version older than the node's; 0 takes
 * it anyway) is dropped whole, deadline included.  Returns non-zero when
 * the page cache has truncation or invalidation to do once the lock is
 * dropped (fc_cache_hook_attr_settle).
 */
static int update_attr_locked(struct fc_client *cl, struct fc_node *n,
			      const struct fc_attr *attr, uint64_t deadline,
			      uint64_t attr_version)
{
	struct fc_attr old = n->attr;

	if (attr_version && n->attr_version > attr_version)
		return 0;
	n->attr = *attr;
	attr_clamp(&n->attr);
	n->attr_deadline = deadline;
	n->inval_mask = 0;
	fc_node_attr_changed_locked(cl, n);
	/* fuse_change_attributes: what the page cache keeps or drops. */
	return fc_cache_hook_attr_locked(cl, n, &old);
}

int fc_entry_take(struct fc_client *cl, const struct fc_entry_out *eo,
		  uint32_t want_type, int allow_negative, uint64_t attr_version,
		  struct fc_entry *out)
{
	struct fc_attr attr = eo->attr;
	uint64_t generation = eo->generation;
	uint64_t attr_deadline;
	struct fc_node *n;
	int settle;

	memset(out, 0, sizeof(*out));
	if (eo->nodeid == 0) {
		/* A zero nodeid: a negative entry cached for entry_valid (fuse_lookup). */
		if (!allow_negative)
			return fc_cl_bad_reply(cl);
		out->entry_deadline = fc_deadline(cl, eo->entry_valid,
						  eo->entry_valid_nsec);
		return -ENOENT;
	}
	/* A child never is the root (fuse_lookup, invalid_nodeid). */
	if (eo->nodeid == FC_ROOT_ID || !fc_attr_ok(&attr))
		return fc_cl_bad_reply(cl);
	if (want_type && (attr.mode & FC_S_IFMT) != want_type)
		return fc_cl_bad_reply(cl);

	out->entry_deadline = fc_deadline(cl, eo->entry_valid,
					  eo->entry_valid_nsec);
	attr_deadline = fc_deadline(cl, eo->attr_valid, eo->attr_valid_nsec);
	out->attr_deadline = attr_deadline;

	fc_client_lock(cl);
	n = table_find(cl, eo->nodeid);
	if (n && (n->generation != generation ||
		  (n->attr.mode & FC_S_IFMT) != (attr.mode & FC_S_IFMT))) {
		node_make_stale(cl, n);
		n = NULL;
	}
	if (n) {
		n->refcount++;
	} else {
		n = node_new(cl, eo->nodeid, generation);
		if (!n) {
			/* fuse_lookup_name: an entry we cannot keep is forgotten at once. */
			queue_forget_or_warn(cl, eo->nodeid, 1);
			fc_client_unlock(cl);
			return -ENOMEM;
		}
		table_insert(cl, n);
	}
	n->nlookup++;
	settle = update_attr_locked(cl, n, &attr, attr_deadline, attr_version);
	fc_client_unlock(cl);
	if (settle)
		fc_cache_hook_attr_settle(cl, n);
	out->node = n;
	return 0;
}

/*
 * Take a GETATTR/SETATTR reply (fuse_do_getattr, fuse_do_setattr) as of
 * @attr_version (update_attr_locked).  @out gets what the node has then:
 * the reply's attributes, or the newer ones a dropped reply left.
 */
static int take_attr_out(struct fc_client *cl, struct fc_node *n,
			 const struct fc_attr_out *ao, uint64_t attr_version,
			 struct fc_attr *out, int *settle)
{
	if (!fc_attr_ok(&ao->attr))
		return fc_cl_bad_reply(cl);
	fc_client_lock(cl);
	if ((ao->attr.mode & FC_S_IFMT) != (n->attr.mode & FC_S_IFMT)) {
		/* The type changed under us: the inode is bad from now on. */
		node_make_stale(cl, n);
		fc_client_unlock(cl);
		return fc_cl_bad_reply(cl);
	}
	*settle = update_attr_locked(cl, n, &ao->attr,
				     fc_deadline(cl, ao->attr_valid,
						 ao->attr_valid_nsec),
				     attr_version);
	if (out)
		*out = n->attr;
	fc_client_unlock(cl);
	return 0;
}

/*
 * fuse_get_cache_mask: in writeback-cache mode the client itself keeps
 * size, mtime and ctime of a regular file; they never need a GETATTR.
 */
static uint32_t cache_mask(const struct fc_client *cl, const struct fc_node *n)
{
	if (!cl->cache || !fc_cl_has(cl, FC_WRITEBACK_CACHE) ||
	    (n->attr.mode & FC_S_IFMT) != FC_S_IFREG)
		return 0;
	return FC_STATX_SIZE | FC_STATX_MTIME | FC_STATX_CTIME;
}

/* Lock held: fuse_update_get_attr's choice whether to ask. */
static int attr_stale_locked(struct fc_client *cl, const struct fc_node *n,
			     uint32_t request_mask)
{
	request_mask &= FC_STATX_BASIC_STATS | FC_STATX_BTIME;
	if (!request_mask)
		return 0;
	if (request_mask & n->inval_mask & ~cache_mask(cl, n))
		return 1;
	return cl->plat->now_ns(cl->plat->ctx) >= n->attr_deadline;
}

int fc_node_attr_stale(struct fc_client *cl, const struct fc_node *n,
		       uint32_t request_mask)
{
	int stale;

	fc_client_lock(cl);
	stale = attr_stale_locked(cl, n, request_mask);
	fc_client_unlock(cl);
	return stale;
}

void fc_node_inval_atime(struct fc_client *cl, struct fc_node *n)
{
	fc_client_lock(cl);
	fc_node_inval_locked(n, FC_STATX_ATIME);
	fc_client_unlock(cl);
}

/*
 * fuse_do_getattr: GETATTR, the reply taken as of @attr_version, the
 * client's counter before it was sent (fuse_get_attr_version).
 */
static int do_getattr(struct fc_client *cl, const struct fc_caller *who,
		      struct fc_node *node, struct fc_open_ctx *of,
		      uint64_t attr_version, struct fc_attr *out)
{
	struct fc_getattr_in in;
	struct fc_attr_out ao;
	struct fc_args a;
	int err, settle;

	memset(&in, 0, sizeof(in));
	if (of) {
		in.getattr_flags = FC_GETATTR_FH;
		in.fh = of->fh;
	}
	fc_args_init(&a, FC_GETATTR, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &ao, sizeof(ao));
	memset(&ao, 0, sizeof(ao));
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return err;
	err = take_attr_out(cl, node, &ao, attr_version, out, &settle);
	if (!err && settle)
		fc_cache_hook_attr_settle(cl, node);
	return err;
}

int fc_update_attr(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_node *node, struct fc_open_ctx *of,
		   uint32_t request_mask, struct fc_attr *out)
{
	uint64_t attr_version;

	if (node->stale)
		return -ESTALE;
	fc_client_lock(cl);
	if (!attr_stale_locked(cl, node, request_mask)) {
		*out = node->attr;
		fc_client_unlock(cl);
		return 0;
	}
	attr_version = cl->attr_ctr; /* fuse_get_attr_version, under the same lock */
	fc_client_unlock(cl);
	return do_getattr(cl, who, node, of, attr_version, out);
}

int fc_getattr(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *node, struct fc_open_ctx *of, int force,
	       struct fc_attr *out)
{
	if (!force)
		return fc_update_attr(cl, who, node, of, FC_STATX_BASIC_STATS, out);
	if (node->stale)
		return -ESTALE;
	return do_getattr(cl, who, node, of, fc_cl_attr_version(cl), out);
}

int fc_setattr(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *node, struct fc_open_ctx *of,
	       const struct fc_setattr_in *sin, struct fc_attr *out)
{
	struct fc_setattr_in in = *sin;
	struct fc_attr_out ao;
	struct fc_args a;
	int err, settle;

	if (node->stale)
		return -ESTALE;
	if (of) {
		in.valid |= FC_FATTR_FH;
		in.fh = of->fh;
	}
	if (in.valid & FC_FATTR_SIZE) {
		/* fuse_do_setattr: truncation carries the caller's lock owner. */
		in.valid |= FC_FATTR_LOCKOWNER;
		in.lock_owner = who ? who->lock_owner : 0;
	}
	/* fuse_do_setattr: writeback held off around a truncation. */
	fc_cache_hook_setattr_begin(cl, who, node, &in);
	fc_args_init(&a, FC_SETATTR, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &ao, sizeof(ao));
	memset(&ao, 0, sizeof(ao));
	err = fc_cl_send(cl, &a);
	if (err >= 0)
		/* fc_cache_hook_setattr_end does what the change calls for. */
		err = take_attr_out(cl, node, &ao, 0, NULL, &settle);
	fc_cache_hook_setattr_end(cl, node, &in, err, &ao.attr);
	/* What the node has now: the page cache may keep size and times. */
	if (!err && out)
		fc_node_attr_snapshot(cl, node, out);
	return err;
}

/* Fill the basic statx fields from attributes (the GETATTR fallback). */
static void statx_from_attr(struct fc_statx *sx, const struct fc_attr *at)
{
	memset(sx, 0, sizeof(*sx));
	sx->mask = 0x7ff; /* STATX_BASIC_STATS */
	sx->blksize = at->blksize;
	sx->nlink = at->nlink;
	sx->uid = at->uid;
	sx->gid = at->gid;
	sx->mode = (uint16_t)at->mode;
	sx->ino = at->ino;
	sx->size = at->size;
	sx->blocks = at->blocks;
	sx->atime.tv_sec = (int64_t)at->atime;
	sx->atime.tv_nsec = at->atimensec;
	sx->mtime.tv_sec = (int64_t)at->mtime;
	sx->mtime.tv_nsec = at->mtimensec;
	sx->ctime.tv_sec = (int64_t)at->ctime;
	sx->ctime.tv_nsec = at->ctimensec;
	sx->rdev_major = at->rdev >> 8;
	sx->rdev_minor = at->rdev & 0xff;
}

int fc_statx(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *node, struct fc_open_ctx *of, uint32_t sx_flags,
	     uint32_t sx_mask, struct fc_statx *out)
{
	struct fc_statx_in in;
	struct fc_statx_out so;
	struct fc_attr attr;
	struct fc_args a;
	int err;

	if (node->stale)
		return -ESTALE;
	if (fc_cl_info(cl)->minor >= 41 && !fc_conn_nosys(cl->conn, FC_STATX)) {
		memset(&in, 0, sizeof(in));
		if (of) {
			in.getattr_flags = FC_GETATTR_FH;
			in.fh = of->fh;
		}
		in.sx_flags = sx_flags;
		in.sx_mask = sx_mask;
		fc_args_init(&a, FC_STATX, node->nodeid, who);
		a.in_numargs = 1;
		a.in[0].value = &in;
		a.in[0].size = sizeof(in);
		a.out_numargs = 1;
		a.out[0].value = &so;
		a.out[0].size = sizeof(so);
		memset(&so, 0, sizeof(so));
		err = fc_cl_send(cl, &a);
		if (err != -ENOSYS) {
			if (err < 0)
				return err;
			/* fuse_do_statx: the type must be valid and unchanged. */
			memset(&attr, 0, sizeof(attr));
			attr.mode = so.stat.mode;
			attr.size = so.stat.size;
			if (!fc_attr_ok(&attr) ||
			    ((node->attr.mode ^ attr.mode) & FC_S_IFMT)) {
				fc_client_lock(cl);
				node_make_stale(cl, node);
				fc_client_unlock(cl);
				return fc_cl_bad_reply(cl);
			}
			*out = so.stat;
			return 0;
		}
	}
	/* No STATX (fuse_update_get_attr retries as GETATTR). */
	err = fc_getattr(cl, who, node, of, 1, &attr);
	if (err)
		return err;
	statx_from_attr(out, &attr);
	return 0;
}

int fc_statfs(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *node, struct fc_kstatfs *out)
{
	struct fc_statfs_out so;
	struct fc_args a;
	int err;

	if (node->stale)
		return -ESTALE;
	fc_args_init(&a, FC_STATFS, node->nodeid, who);
	fc_arg_out(&a, &so, sizeof(so));
	memset(&so, 0, sizeof(so));
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return err;
	*out = so.st;
	return 0;
}

int fc_access(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *node, uint32_t mask)
{
	struct fc_access_in in = { .mask = mask };
	struct fc_args a;
	int err;

	if (node->stale)
		return -ESTALE;
	fc_args_init(&a, FC_ACCESS, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	err = fc_cl_send(cl, &a);
	/* fuse_access: a daemon without ACCESS lets everything through. */
	return err == -ENOSYS ? 0 : (err < 0 ? err : 0);
}
