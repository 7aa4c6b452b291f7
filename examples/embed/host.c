/*
 * host.c - a minimal "host kernel" that embeds libfusecore's protocol core.
 *
 * This is the example docs/embedding.md walks through.  The host:
 *
 *  1. brings its own platform table (struct fc_platform): an allocator over
 *     a static arena, a fake clock it moves itself, and no threads -- so
 *     mutexes are flags that must never be found taken, and a condition
 *     wait must never happen (the core waits through the transport's poll
 *     hook instead);
 *  2. brings its own page cache behind the page-cache seam (minipc.c);
 *  3. makes its own "VFS" calls straight on the inode-operations seam
 *     (fusecore/ops.h) and the cached file I/O (fusecore/pagecache.h): no
 *     fc_sys_*, no simulated VFS, no paths -- just nodes and open files;
 *  4. drives a daemon: here the library's mock daemon in polled mode,
 *     scripted as a small file system (toyfs.c).
 *
 * It links only the core's objects (FUSECORE_CORE_SOURCES: no pthreads, no
 * libc beyond mem*), so it also shows what a kernel build would link.  The
 * host itself may use stdio for its messages: that is the host's business.
 *
 * It runs the same workload twice: write-through (the daemon does not
 * grant FUSE_WRITEBACK_CACHE) and writeback-cache mode (writes dirty the
 * host's pages; fsync and close write them back as WRITEs).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/transport.h"

/* ======================================================================== */
/* 1. The platform table                                                      */
/* ======================================================================== */

/*
 * The allocator: power-of-two size classes carved from a static arena, a
 * free list per class.  A kernel would use its own slab allocator here.
 */
#define ARENA_SIZE (16u * 1024u * 1024u)
#define NCLASSES 25                       /* 16 B .. 256 MiB */

struct block {
	union {
		struct block *next;       /* on a free list */
		unsigned cls;             /* in use: its class */
	} u;
	uint64_t pad;                     /* keeps the payload 16-byte aligned */
};

static _Alignas(16) unsigned char arena[ARENA_SIZE];
static size_t arena_used, live, peak;
static struct block *free_lists[NCLASSES];

static unsigned class_of(size_t size)
{
	unsigned c = 4;

	while (((size_t)1 << c) < size + sizeof(struct block))
		c++;
	return c;
}

static void *host_alloc(void *ctx, size_t size)
{
	unsigned c = class_of(size);
	struct block *b;

	(void)ctx;
	if (c >= NCLASSES)
		return NULL;
	b = free_lists[c];
	if (b) {
		free_lists[c] = b->u.next;
	} else {
		if (arena_used + ((size_t)1 << c) > ARENA_SIZE)
			return NULL;	/* out of memory: the core copes (-ENOMEM) */
		b = (struct block *)(arena + arena_used);
		arena_used += (size_t)1 << c;
	}
	b->u.cls = c;
	live += (size_t)1 << c;
	if (live > peak)
		peak = live;
	return b + 1;
}

static void host_free(void *ctx, void *ptr)
{
	struct block *b;
	unsigned c;

	(void)ctx;
	if (!ptr)
		return;
	b = (struct block *)ptr - 1;
	c = b->u.cls;
	live -= (size_t)1 << c;
	b->u.next = free_lists[c];
	free_lists[c] = b;
}

/*
 * Locks: this host has one thread.  A mutex is a flag; finding it taken
 * would mean the core waits for itself, which must never happen.
 */
struct fc_mutex {
	int locked;
};
struct fc_cond {
	int unused;
};

static unsigned cond_waits;

static struct fc_mutex *host_mutex_new(void *ctx)
{
	struct fc_mutex *m = host_alloc(ctx, sizeof(*m));

	if (m)
		m->locked = 0;
	return m;
}

static void host_mutex_free(void *ctx, struct fc_mutex *m)
{
	host_free(ctx, m);
}

static void host_mutex_lock(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	if (m->locked) {
		fprintf(stderr, "host: a mutex was found locked on a single-threaded host\n");
		abort();
	}
	m->locked = 1;
}

static void host_mutex_unlock(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	m->locked = 0;
}

static struct fc_cond *host_cond_new(void *ctx)
{
	return host_alloc(ctx, sizeof(struct fc_cond));
}

static void host_cond_free(void *ctx, struct fc_cond *c)
{
	host_free(ctx, c);
}

/*
 * Nobody else could signal a condition variable here.  A return is a
 * legal spurious wake-up; the core re-checks.  Counted: the example
 * expects none at all, since a polled transport lets the core wait by
 * pumping the daemon instead.
 */
static void host_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			   const char *what)
{
	(void)ctx;
	(void)c;
	(void)m;
	if (++cond_waits > 1000000) {
		fprintf(stderr, "host: endless wait on \"%s\"\n", what);
		abort();
	}
}

static void host_cond_broadcast(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	(void)c;
}

/* The fake clock: entry and attribute timeouts run on it. */
static uint64_t clock_ns = 1000000000ull;

static uint64_t host_now_ns(void *ctx)
{
	(void)ctx;
	return clock_ns;
}

void host_clock_advance(uint64_t ns)
{
	clock_ns += ns;
}

static void host_log(void *ctx, enum fc_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	if (level <= FC_LOG_WARN)
		fprintf(stderr, "host: fusecore %s: %s\n", names[level & 3], msg);
}

const struct fc_platform *host_platform(void)
{
	static const struct fc_platform plat = {
		.version = FC_PLATFORM_VERSION,
		.ctx = NULL,
		.alloc = host_alloc,
		.free = host_free,
		.mutex_new = host_mutex_new,
		.mutex_free = host_mutex_free,
		.mutex_lock = host_mutex_lock,
		.mutex_unlock = host_mutex_unlock,
		.cond_new = host_cond_new,
		.cond_free = host_cond_free,
		.cond_wait = host_cond_wait,
		.cond_broadcast = host_cond_broadcast,
		.now_ns = host_now_ns,
		.log = host_log,
	};

	return &plat;
}

size_t host_arena_live(void)
{
	return live;
}

size_t host_arena_peak(void)
{
	return peak;
}

/* ======================================================================== */
/* 3. The host's own VFS calls, straight on fusecore/ops.h                   */
/* ======================================================================== */

static int failures;

#define EXPECT(cond, ...)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "host: FAILED at line %d: ", __LINE__); \
			fprintf(stderr, __VA_ARGS__);                      \
			fprintf(stderr, "\n");                             \
			failures++;                                        \
			return -1;                                         \
		}                                                          \
	} while (0)

struct list_ctx {
	char names[256];
	unsigned n;
	uint64_t next;      /* the cookie to continue from */
};

/* fc_readdir() hands over each entry; the host's getdents would copy it out. */
static int on_dirent(void *ctx, const struct fc_dir_entry *d)
{
	struct list_ctx *l = ctx;
	size_t used = strlen(l->names);

	snprintf(l->names + used, sizeof(l->names) - used, "%s%.*s", l->n ? " " : "",
		 (int)d->namelen, d->name);
	l->n++;
	l->next = d->off;
	return 0;
}

static int workload(struct fc_client *cl, struct fc_pagecache *pc, int writeback)
{
	/* Who makes the calls: the header credentials, umask, lock owner, task. */
	struct fc_caller who = { .uid = 1000, .gid = 1000, .pid = 42, .umask = 022,
				 .lock_owner = 0x42, .task = NULL };
	struct fc_node *root = fc_client_root(cl);
	struct fc_entry dir, file, again;
	struct fc_open_ctx *of, *dof;
	struct fc_kstatfs sfs;
	struct fc_attr attr;
	struct fc_vma *vma;
	struct list_ctx list;
	static char text[20000], back[20000];
	uint64_t pos = 0, off;
	char head[32];
	long n;
	int r, i;

	who.task = &who;
	for (i = 0; i < (int)sizeof(text); i++)
		text[i] = (char)('a' + i % 26);

	/* mkdir /docs; creat /docs/notes.txt */
	r = fc_mkdir(cl, &who, root, "docs", 4, 0755, &dir);
	EXPECT(r == 0, "mkdir docs: %d", r);
	r = fc_create(cl, &who, dir.node, "notes.txt", 9, FC_O_RDWR | FC_O_CREAT, 0644,
		      &file, &of);
	EXPECT(r == 0, "create docs/notes.txt: %d", r);

	/* write(2) through the host's page cache, in three pieces. */
	for (i = 0; i < 3; i++) {
		n = fc_cache_write(cl, &who, of, text + pos, i < 2 ? 7000 : 6000, &pos);
		EXPECT(n > 0, "write: %ld", n);
	}
	EXPECT(pos == sizeof(text), "wrote up to %llu", (unsigned long long)pos);
	if (writeback)
		printf("  after write:  %u pages cached (dirty until fsync)\n",
		       minipc_pages_used(pc));
	/* fsync(2): in writeback-cache mode the dirty pages go out as WRITEs now. */
	r = fc_fsync(cl, &who, of, 0);
	EXPECT(r == 0, "fsync: %d", r);
	/* read(2) back: from the cache (write-through merged the bytes in). */
	n = fc_cache_read(cl, &who, of, back, sizeof(back), 0);
	EXPECT(n == (long)sizeof(text) && !memcmp(back, text, sizeof(text)),
	       "read back %ld bytes", n);
	r = fc_getattr(cl, &who, file.node, of, 1, &attr);
	EXPECT(r == 0 && attr.size == sizeof(text), "getattr: %d, size %llu", r,
	       (unsigned long long)attr.size);
	/* close(2): FLUSH, then RELEASE with the last reference. */
	r = fc_flush(cl, &who, of);
	EXPECT(r == 0, "flush: %d", r);
	fc_release(cl, of);

	/* A later open by path: the host's dcache would have it; here, LOOKUP. */
	host_clock_advance(2000000000ull);	/* past the 1 s entry timeout */
	r = fc_lookup(cl, &who, dir.node, "notes.txt", 9, &again);
	EXPECT(r == 0 && again.node == file.node, "lookup: %d", r);
	r = fc_open(cl, &who, again.node, FC_O_RDONLY, &of);
	EXPECT(r == 0, "open: %d", r);
	n = fc_cache_read(cl, &who, of, back, sizeof(back), 0);
	EXPECT(n == (long)sizeof(text) && !memcmp(back, text, sizeof(text)),
	       "read after reopen: %ld", n);
	/* mmap(2) and a load through the fault path. */
	r = fc_cache_mmap(cl, &who, of, 0, 8192, FC_PROT_READ, FC_MAP_SHARED, &vma);
	EXPECT(r == 0, "mmap: %d", r);
	n = fc_vma_load(vma, 4096, head, 8);
	EXPECT(n == 8 && !memcmp(head, text + 4096, 8), "load from the mapping: %ld", n);
	fc_vma_unmap(vma);
	r = fc_flush(cl, &who, of);
	EXPECT(r == 0, "flush: %d", r);
	fc_release(cl, of);
	fc_node_put(cl, again.node);

	/* getdents(2) of /docs. */
	r = fc_open(cl, &who, dir.node, FC_O_RDONLY | FC_O_DIRECTORY, &dof);
	EXPECT(r == 0, "opendir: %d", r);
	memset(&list, 0, sizeof(list));
	for (off = 0;;) {
		r = fc_readdir(cl, &who, dof, off, 4096, 0, on_dirent, &list);
		EXPECT(r >= 0, "readdir: %d", r);
		if (r == 0)
			break;
		off = list.next;
	}
	fc_release(cl, dof);
	EXPECT(list.n == 1 && !strcmp(list.names, "notes.txt"), "readdir gave '%s'",
	       list.names);

	r = fc_statfs(cl, &who, root, &sfs);
	EXPECT(r == 0 && sfs.bsize == 4096, "statfs: %d", r);

	/* rm /docs/notes.txt; the host drops its references, FORGETs follow. */
	r = fc_unlink(cl, &who, dir.node, "notes.txt", 9);
	EXPECT(r == 0, "unlink: %d", r);
	fc_entry_unlinked(cl, &who, file.node); /* its link count and ctime */
	fc_node_put(cl, file.node);
	fc_node_put(cl, dir.node);
	fc_client_flush_forgets(cl);
	printf("  %u bytes written, fsynced, read back twice, mapped; readdir: %s\n",
	       (unsigned)sizeof(text), list.names);
	return 0;
}

/* ======================================================================== */
/* Putting it together                                                        */
/* ======================================================================== */

static int run(int writeback)
{
	const struct fc_platform *plat = host_platform();
	struct fc_conn_config cfg;
	struct fc_cache_config cc;
	struct fc_transport *t;
	struct fc_pagecache *pc;
	struct fc_client *cl;
	struct fc_mock *mock;
	struct fc_conn *conn;
	char summary[512];
	int r, ret;

	printf("%s:\n", writeback ? "writeback-cache mode" : "write-through mode");
	/* 4. The daemon, behind the memory transport in polled mode. */
	r = fc_mock_new(plat, &mock);
	if (r == 0)
		r = fc_mock_new_transport(mock, FC_TRANSPORT_FUSE_DEV, 1, &t);
	if (r < 0) {
		fprintf(stderr, "host: mock: %d\n", r);
		return -1;
	}
	toyfs_attach(mock, writeback);

	/* The connection: FUSE_INIT with the /dev/fuse profile. */
	fc_conn_config_default(&cfg, plat, t);
	r = fc_conn_new(&cfg, &conn);
	if (r == 0)
		r = fc_conn_init(conn);
	if (r < 0) {
		fprintf(stderr, "host: INIT: %d\n", r);
		return -1;
	}
	printf("  FUSE_INIT: protocol 7.%u, max_write %u, writeback cache %s\n",
	       fc_conn_info(conn)->minor, fc_conn_info(conn)->max_write,
	       fc_conn_info(conn)->flags & FC_WRITEBACK_CACHE ? "on" : "off");

	/* The client, and 2. the host's page cache under it. */
	r = fc_client_new(conn, NULL, &cl);
	if (r < 0)
		return -1;
	pc = minipc_new(plat, 64);
	if (!pc)
		return -1;
	fc_cache_config_default(&cc, minipc_ops(), pc);
	r = fc_cache_attach(cl, &cc);
	if (r < 0) {
		fprintf(stderr, "host: fc_cache_attach: %d\n", r);
		return -1;
	}

	ret = workload(cl, pc, writeback);

	/* Unmount: the client goes (its cache mappings with it), then the page
	 * cache, then DESTROY and the connection, then the daemon. */
	printf("  page cache: %u pages in use before unmount, %u writepages calls\n",
	       minipc_pages_used(pc), minipc_writepages_calls(pc));
	fc_client_free(cl);
	minipc_free(pc);
	fc_conn_destroy_request(conn);
	fc_conn_free(conn);
	toyfs_summary(summary, sizeof(summary));
	printf("  the daemon answered: %s\n", summary);
	if (fc_mock_unexpected(mock))
		fprintf(stderr, "host: %u unexpected requests\n", fc_mock_unexpected(mock));
	fc_mock_free(mock);
	return ret;
}

int main(void)
{
	if (run(0) < 0 || run(1) < 0)
		failures++;
	printf("arena: peak %zu bytes, %zu still allocated; %u condition waits\n",
	       host_arena_peak(), host_arena_live(), cond_waits);
	if (host_arena_live() != 0) {
		fprintf(stderr, "host: memory leaked\n");
		failures++;
	}
	if (cond_waits != 0) {
		fprintf(stderr, "host: the core waited on a condition variable\n");
		failures++;
	}
	printf("%s\n", failures ? "embed example: FAILED" : "embed example: ok");
	return failures ? 1 : 0;
}
