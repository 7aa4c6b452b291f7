/*
 * mem.c - the memory transport with an in-process daemon: round trips
 * through the library's real request path (FUSE client, connection,
 * memory transport), against a responder that is as cheap as a daemon can
 * be (it parses the header and answers from preallocated buffers), in a
 * second thread and polled; request scaling with 1..8 callers; engine
 * memory per cached node and per cached page; instructions per round trip
 * under callgrind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

#include "bench.h"

#define MIB (1024u * 1024u)
#define MSG_CAP (MIB + 8192u)

/* ---- a counting platform ------------------------------------------------ */

/*
 * Forwards to the POSIX platform and counts the engine's live bytes as
 * malloc would charge them: the size rounded up to 16 plus a 16-byte
 * header per allocation (glibc's chunk header and alignment).  The size is
 * kept in a header of our own in front of each block.
 */
static atomic_long count_live;      /* bytes as charged */
static atomic_long count_allocs;    /* live allocations */

static size_t charged(size_t n)
{
	return ((n + 15) & ~(size_t)15) + 16;
}

static void *cnt_alloc(void *ctx, size_t n)
{
	size_t *p = malloc(n + 16);

	(void)ctx;
	if (!p)
		return NULL;
	p[0] = n;
	atomic_fetch_add(&count_live, (long)charged(n));
	atomic_fetch_add(&count_allocs, 1);
	return p + 2;
}

static void cnt_free(void *ctx, void *ptr)
{
	size_t *p = ptr;

	(void)ctx;
	if (!p)
		return;
	p -= 2;
	atomic_fetch_sub(&count_live, (long)charged(p[0]));
	atomic_fetch_sub(&count_allocs, 1);
	free(p);
}

static struct fc_platform counting;

static const struct fc_platform *counting_platform(void)
{
	counting = *fc_platform_posix();
	counting.alloc = cnt_alloc;
	counting.free = cnt_free;
	return &counting;
}

/* ---- the responder ----------------------------------------------------------- */

struct responder {
	struct fc_transport *t;
	int distinct;            /* LOOKUP: a new nodeid each time */
	uint64_t next_nodeid;
	uint64_t file_size;
	uint64_t attr_valid;     /* seconds */
	atomic_long handled;
};

/* Per-thread buffers: several callers may run the polled responder at once. */
static _Thread_local unsigned char *tl_req, *tl_rep;

static int responder_bufs(void)
{
	if (!tl_req) {
		tl_req = malloc(MSG_CAP);
		tl_rep = calloc(1, MSG_CAP);
		if (!tl_req || !tl_rep)
			return -ENOMEM;
	}
	return 0;
}

static void fill_attr(struct fc_attr *a, uint64_t ino, uint32_t mode,
		      uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode;
	a->nlink = 1;
	a->size = size;
	a->blocks = (size + 511) / 512;
	a->blksize = 4096;
}

static int respond(struct responder *rs, const unsigned char *req, size_t len)
{
	struct fc_in_header ih;
	struct fc_out_header *oh = (struct fc_out_header *)tl_rep;
	unsigned char *body = tl_rep + sizeof(*oh);
	size_t blen = 0;

	if (len < sizeof(ih))
		return -EINVAL;
	memcpy(&ih, req, sizeof(ih));
	switch (ih.opcode) {
	case FC_INIT: {
		struct fc_init_out io;

		memset(&io, 0, sizeof(io));
		io.major = FC_KERNEL_VERSION;
		io.minor = FC_KERNEL_MINOR_VERSION;
		io.max_readahead = 128 * 1024;
		io.flags = (uint32_t)(FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES);
		io.max_background = 64;
		io.congestion_threshold = 48;
		io.max_write = MIB;
		io.time_gran = 1;
		io.max_pages = 256;
		memcpy(body, &io, sizeof(io));
		blen = sizeof(io);
		break;
	}
	case FC_GETATTR: {
		struct fc_attr_out ao;

		memset(&ao, 0, sizeof(ao));
		ao.attr_valid = rs->attr_valid;
		fill_attr(&ao.attr, ih.nodeid,
			  ih.nodeid == FC_ROOT_ID ? FC_S_IFDIR | 0755 : FC_S_IFREG | 0644,
			  ih.nodeid == FC_ROOT_ID ? 0 : rs->file_size);
		memcpy(body, &ao, sizeof(ao));
		blen = sizeof(ao);
		break;
	}
	case FC_LOOKUP: {
		struct fc_entry_out eo;

		memset(&eo, 0, sizeof(eo));
		eo.nodeid = rs->distinct ? rs->next_nodeid++ : 2;
		eo.attr_valid = rs->attr_valid;
		eo.entry_valid = rs->attr_valid;
		fill_attr(&eo.attr, eo.nodeid, FC_S_IFREG | 0644, rs->file_size);
		memcpy(body, &eo, sizeof(eo));
		blen = sizeof(eo);
		break;
	}
	case FC_OPEN: {
		struct fc_open_out oo;

		memset(&oo, 0, sizeof(oo));
		oo.fh = 1;
		memcpy(body, &oo, sizeof(oo));
		blen = sizeof(oo);
		break;
	}
	case FC_READ: {
		struct fc_read_in ri;
		uint64_t end;

		memcpy(&ri, req + sizeof(ih), sizeof(ri));
		end = ri.offset + ri.size;
		if (end > rs->file_size)
			end = rs->file_size > ri.offset ? rs->file_size : ri.offset;
		blen = (size_t)(end - ri.offset);
		if (blen > MSG_CAP - sizeof(*oh))
			blen = MSG_CAP - sizeof(*oh);
		/* The data: whatever the buffer holds (never written: zeros). */
		break;
	}
	case FC_WRITE: {
		struct fc_write_in wi;
		struct fc_write_out wo;

		memcpy(&wi, req + sizeof(ih), sizeof(wi));
		memset(&wo, 0, sizeof(wo));
		wo.size = wi.size;
		memcpy(body, &wo, sizeof(wo));
		blen = sizeof(wo);
		break;
	}
	case FC_FORGET:
	case FC_BATCH_FORGET:
		return 0; /* no reply */
	case FC_RELEASE:
	case FC_RELEASEDIR:
	case FC_FLUSH:
	case FC_DESTROY:
		break;
	default:
		oh->len = sizeof(*oh);
		oh->error = -ENOSYS;
		oh->unique = ih.unique;
		return fc_mem_daemon_write(rs->t, tl_rep, sizeof(*oh));
	}
	oh->len = (uint32_t)(sizeof(*oh) + blen);
	oh->error = 0;
	oh->unique = ih.unique;
	return fc_mem_daemon_write(rs->t, tl_rep, sizeof(*oh) + blen);
}

/* Polled mode: the connection runs this whenever it waits. */
static int responder_pump(void *ctx)
{
	struct responder *rs = ctx;
	int handled = 0;

	long n;

	if (responder_bufs())
		return -1;
	/* One request per call: the connection calls again while it waits. */
	n = fc_mem_daemon_read(rs->t, tl_req, MSG_CAP, 0);
	if (n < 0)
		return -1;
	if (n > 0) {
		respond(rs, tl_req, (size_t)n);
		handled++;
	}
	return handled;
}

/* Threaded mode: a daemon thread. */
static void *responder_thread(void *arg)
{
	struct responder *rs = arg;

	if (responder_bufs())
		return NULL;
	for (;;) {
		long n = fc_mem_daemon_read(rs->t, tl_req, MSG_CAP, 1);

		if (n < 0)
			break;
		if (n > 0)
			respond(rs, tl_req, (size_t)n);
	}
	free(tl_req);
	free(tl_rep);
	tl_req = tl_rep = NULL;
	return NULL;
}

/* ---- a client over the memory transport ------------------------------------------------- */

struct mem_env {
	const struct fc_platform *plat;
	struct responder rs;
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_node *file;     /* nodeid 2, one reference held */
	struct fc_open_ctx *of;
	pthread_t daemon;
	int threaded;
	struct fc_caller who;
	unsigned char *buf;
	uint64_t rnd;
};

static int mem_env_open(struct mem_env *e, const struct fc_platform *plat,
			int threaded, uint64_t file_size)
{
	struct fc_transport *t;
	struct fc_conn_config cfg;
	struct fc_entry ent;
	int err;

	memset(e, 0, sizeof(*e));
	e->plat = plat;
	e->threaded = threaded;
	e->rs.file_size = file_size;
	e->rs.attr_valid = 0;
	e->rs.next_nodeid = 2;
	e->who.pid = (uint32_t)getpid();
	e->who.umask = 022;
	e->rnd = 0x9e3779b97f4a7c15ULL;
	e->buf = calloc(1, MSG_CAP);
	if (!e->buf)
		return -ENOMEM;
	err = fc_mem_transport_new(plat, FC_TRANSPORT_FUSE_DEV,
				   threaded ? NULL : responder_pump, &e->rs, &t);
	if (err)
		return err;
	e->rs.t = t;
	fc_conn_config_default(&cfg, plat, t);
	err = fc_conn_new(&cfg, &e->conn);
	if (err)
		return err;
	if (threaded) {
		err = pthread_create(&e->daemon, NULL, responder_thread, &e->rs);
		if (err)
			return -err;
	}
	err = fc_conn_init(e->conn);
	if (err)
		return err;
	err = fc_client_new(e->conn, NULL, &e->cl);
	if (err)
		return err;
	err = fc_lookup(e->cl, &e->who, fc_client_root(e->cl), "f", 1, &ent);
	if (err)
		return err;
	e->file = ent.node;
	return fc_open(e->cl, &e->who, e->file, FC_O_RDWR, &e->of);
}

static void mem_env_close(struct mem_env *e)
{
	if (e->of)
		fc_release(e->cl, e->of);
	if (e->file)
		fc_node_put(e->cl, e->file);
	if (e->cl)
		fc_client_free(e->cl);
	if (e->conn)
		fc_conn_destroy_request(e->conn);
	/* The daemon thread must be gone before the transport is freed. */
	if (e->threaded && e->daemon) {
		fc_mem_daemon_disconnect(e->rs.t);
		pthread_join(e->daemon, NULL);
	}
	if (e->conn)
		fc_conn_free(e->conn);
	free(e->buf);
}

static long w_getattr(void *ctx, long n)
{
	struct mem_env *e = ctx;
	struct fc_attr a;
	long i;

	for (i = 0; i < n; i++)
		if (fc_getattr(e->cl, &e->who, e->file, NULL, 1, &a))
			return -EIO;
	return n;
}

static long w_lookup(void *ctx, long n)
{
	struct mem_env *e = ctx;
	struct fc_entry ent;
	long i;

	for (i = 0; i < n; i++) {
		if (fc_lookup(e->cl, &e->who, fc_client_root(e->cl), "f", 1, &ent))
			return -EIO;
		fc_node_put(e->cl, ent.node);
	}
	return n;
}

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static long w_read4k(void *ctx, long n)
{
	struct mem_env *e = ctx;
	uint64_t pages = e->rs.file_size / 4096;
	long i;

	for (i = 0; i < n; i++) {
		uint64_t off = (next_rand(&e->rnd) % pages) * 4096;

		if (fc_read(e->cl, &e->who, e->of, e->buf, 4096, off, 0) != 4096)
			return -EIO;
	}
	return n;
}

static long w_write4k(void *ctx, long n)
{
	struct mem_env *e = ctx;
	uint64_t pages = e->rs.file_size / 4096;
	long i;

	for (i = 0; i < n; i++) {
		uint64_t off = (i % pages) * 4096;

		if (fc_write(e->cl, &e->who, e->of, e->buf, 4096, off, 0) != 4096)
			return -EIO;
	}
	return n;
}

/* Counts bytes as "ops" (the row is a throughput row). */
static long w_read1m(void *ctx, long n)
{
	struct mem_env *e = ctx;
	uint64_t chunks = e->rs.file_size / MIB;
	long i;

	for (i = 0; i < n; i++) {
		uint64_t off = (i % chunks) * MIB;

		if (fc_read(e->cl, &e->who, e->of, e->buf, MIB, off, 0) != (long)MIB)
			return -EIO;
	}
	return n;
}

/* Throughput rows need bytes: wrap a 1 MiB op count. */
struct bytes_wrap {
	bench_fn fn;
	void *ctx;
	double per_op;
};

static long w_bytes(void *ctx, long n)
{
	struct bytes_wrap *w = ctx;
	long r = w->fn(w->ctx, n);

	return r < 0 ? r : (long)((double)r * w->per_op);
}

static int run_mem_row(const char *name, int threaded, bench_fn fn,
		       enum row_kind kind)
{
	struct mem_env e;
	struct row *r;
	long n;
	int err;

	r = row_add(threaded ? "Memory transport, daemon thread"
			     : "Memory transport, polled in-process daemon",
		    name, kind);
	snprintf(r->b_label, sizeof(r->b_label), "—");
	err = mem_env_open(&e, fc_platform_posix(), threaded, 64ull * MIB);
	if (err) {
		row_note(r, "set-up failed (%d)", err);
		mem_env_close(&e);
		return err;
	}
	if (kind == ROW_THROUGHPUT) {
		struct bytes_wrap w = { fn, &e, (double)MIB };

		n = calibrate(fn, &e, 4);
		/* The samples count ops; measure_one turns ops into bytes. */
		w.per_op = MIB;
		err = n < 0 ? (int)n : measure_one(r, w_bytes, &w, 0, n);
		/* Per-op figures of a throughput row are per byte: make them per MiB. */
		r->a.us_per_op *= MIB;
		r->a.cpu_self_us *= MIB;
		snprintf(r->unit, sizeof(r->unit), "MiB/s");
		row_note(r, "1 MiB READ per request; CPU per MiB");
	} else {
		n = calibrate(fn, &e, 1000);
		err = n < 0 ? (int)n : measure_one(r, fn, &e, 0, n);
	}
	if (err)
		row_note(r, "failed (%d)", err);
	mem_env_close(&e);
	return err;
}

int bench_memory(void)
{
	int err = 0;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		int threaded = mode == 1;

		err |= run_mem_row("GETATTR round trip", threaded, w_getattr, ROW_RATE);
		err |= run_mem_row("LOOKUP round trip", threaded, w_lookup, ROW_RATE);
		err |= run_mem_row("4 KiB READ (random offsets)", threaded, w_read4k, ROW_RATE);
		err |= run_mem_row("4 KiB WRITE (sequential)", threaded, w_write4k, ROW_RATE);
		err |= run_mem_row("1 MiB sequential READ", threaded, w_read1m, ROW_THROUGHPUT);
		if (g_opts.quick)
			break;
	}
	return err ? -EIO : 0;
}

/* ---- scaling ------------------------------------------------------------------------ */

struct par_ctx {
	bench_fn fn;
	void *ctx;
	long n;
	long result;
	pthread_barrier_t *start;
};

static void *par_thread(void *arg)
{
	struct par_ctx *p = arg;

	pthread_barrier_wait(p->start);
	p->result = p->fn(p->ctx, p->n);
	return NULL;
}

/* Run @fn on @threads threads at once, n / threads operations each. */
struct par_run {
	bench_fn fn;
	void *ctx;
	int threads;
};

static long w_parallel(void *ctx, long n)
{
	struct par_run *pr = ctx;
	struct par_ctx pc[16];
	pthread_t th[16];
	pthread_barrier_t bar;
	long total = 0;
	int i;

	pthread_barrier_init(&bar, NULL, (unsigned)pr->threads + 1);
	for (i = 0; i < pr->threads; i++) {
		pc[i].fn = pr->fn;
		pc[i].ctx = pr->ctx;
		pc[i].n = n / pr->threads;
		pc[i].start = &bar;
		pthread_create(&th[i], NULL, par_thread, &pc[i]);
	}
	pthread_barrier_wait(&bar);
	for (i = 0; i < pr->threads; i++) {
		pthread_join(th[i], NULL);
		if (pc[i].result < 0)
			total = -1;
		else if (total >= 0)
			total += pc[i].result;
	}
	pthread_barrier_destroy(&bar);
	return total;
}

long bench_parallel(bench_fn fn, void *ctx, int threads, long n)
{
	struct par_run pr = { fn, ctx, threads };

	return w_parallel(&pr, n);
}

int bench_memory_scaling(void)
{
	static const int counts[] = { 1, 2, 4, 8 };
	int mode, i, err = 0;

	/*
	 * A daemon thread serves every caller.  (The polled mode is for hosts
	 * without threads: there, a caller whose request another caller's
	 * poll already answered finds nothing to do and gets -EDEADLK, so it
	 * has one caller only: its figure is the polled GETATTR row above.)
	 */
	for (mode = 1; mode < 2; mode++) {
		struct mem_env e;
		long n = 0;

		err = mem_env_open(&e, fc_platform_posix(), mode, 64ull * MIB);
		if (err) {
			mem_env_close(&e);
			return err;
		}
		for (i = 0; i < 4; i++) {
			struct par_run pr = { w_getattr, &e, counts[i] };
			char name[64];
			struct row *r;

			snprintf(name, sizeof(name), "GETATTR, %d in flight (daemon thread)",
				 counts[i]);
			r = row_add("Scaling: memory transport", name, ROW_RATE);
			snprintf(r->b_label, sizeof(r->b_label), "—");
			if (!n)
				n = calibrate(w_parallel, &pr, 1000 * counts[i]);
			err = n < 0 ? (int)n : measure_one(r, w_parallel, &pr, 0, n);
			if (err)
				row_note(r, "failed (%d)", err);
			row_note(r, "%d threads", counts[i]);
		}
		mem_env_close(&e);
	}
	return err;
}

/* ---- engine memory per node and per page ----------------------------------------------------- */

int bench_node_memory(void)
{
	long nodes = g_opts.quick ? 20000 : 1000000;
	struct fc_node **keep;
	struct mem_env e;
	struct row *r;
	long before, after, i;
	int err;
	char name[96];

	snprintf(name, sizeof(name), "engine bytes per cached node (%ld LOOKUPs)", nodes);
	r = row_add("Memory", name, ROW_VALUE);
	snprintf(r->unit, sizeof(r->unit), "B/node");
	snprintf(r->b_label, sizeof(r->b_label), "target");
	keep = malloc((size_t)nodes * sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	err = mem_env_open(&e, counting_platform(), 0, 64ull * MIB);
	if (err)
		goto out;
	e.rs.distinct = 1;
	e.rs.next_nodeid = 1000;
	/* Warm up what every request allocates once (request cache, forget queue). */
	for (i = 0; i < 1000; i++) {
		struct fc_entry ent;

		err = fc_lookup(e.cl, &e.who, fc_client_root(e.cl), "w", 1, &ent);
		if (err)
			goto out_env;
		fc_node_put(e.cl, ent.node);
	}
	fc_client_flush_forgets(e.cl);
	before = atomic_load(&count_live);
	for (i = 0; i < nodes; i++) {
		struct fc_entry ent;

		err = fc_lookup(e.cl, &e.who, fc_client_root(e.cl), "n", 1, &ent);
		if (err)
			goto out_env;
		keep[i] = ent.node;
	}
	after = atomic_load(&count_live);
	r->a.present = 1;
	r->a.value = (double)(after - before) / (double)nodes;
	r->a.runs[0] = r->a.value;
	r->a.nruns = 1;
	r->b.present = 1;
	r->b.value = 128;
	r->ratio = 128.0 / r->a.value;
	r->target = 1.0;
	row_note(r, "counting platform: size rounded to 16 + 16-byte malloc header per "
		    "allocation, table slots included; %u nodes in the table",
		 fc_client_nnodes(e.cl));
	for (i = 0; i < nodes; i++)
		fc_node_put(e.cl, keep[i]);
	fc_client_flush_forgets(e.cl);
out_env:
	mem_env_close(&e);
out:
	free(keep);
	if (err)
		row_note(r, "failed (%d)", err);
	return err;
}

int bench_page_memory(void)
{
	uint64_t size = g_opts.quick ? 16ull * MIB : 256ull * MIB;
	struct fc_pagecache_sim_config pcfg;
	struct fc_pagecache_sim_stats st;
	struct fc_cache_config ccfg;
	struct fc_pagecache *pc = NULL;
	struct fc_open_ctx *of = NULL;
	struct fc_entry ent;
	struct mem_env e;
	struct row *r;
	long before, after;
	uint64_t off;
	int err;

	r = row_add("Memory", "engine bytes per cached page (4096 data + overhead)", ROW_VALUE);
	snprintf(r->unit, sizeof(r->unit), "B/page");
	snprintf(r->b_label, sizeof(r->b_label), "—");
	memset(&e, 0, sizeof(e));
	e.plat = counting_platform();
	/* mem_env_open opens the file without a cache: set one up by hand. */
	{
		struct fc_transport *t;
		struct fc_conn_config cfg;

		e.rs.file_size = size;
		e.rs.attr_valid = 1000;
		e.who.pid = (uint32_t)getpid();
		e.buf = calloc(1, MSG_CAP);
		err = fc_mem_transport_new(e.plat, FC_TRANSPORT_FUSE_DEV,
					   responder_pump, &e.rs, &t);
		if (err)
			goto out;
		e.rs.t = t;
		fc_conn_config_default(&cfg, e.plat, t);
		err = fc_conn_new(&cfg, &e.conn);
		if (!err)
			err = fc_conn_init(e.conn);
		if (!err)
			err = fc_client_new(e.conn, NULL, &e.cl);
		if (err)
			goto out;
	}
	fc_pagecache_sim_config_default(&pcfg, e.plat);
	pcfg.capacity = size / 4096 + 16;
	err = fc_pagecache_sim_new(&pcfg, &pc);
	if (err)
		goto out;
	fc_cache_config_default(&ccfg, fc_pagecache_sim_ops(), pc);
	err = fc_cache_attach(e.cl, &ccfg);
	if (err)
		goto out;
	err = fc_lookup(e.cl, &e.who, fc_client_root(e.cl), "f", 1, &ent);
	if (err)
		goto out;
	e.file = ent.node;
	err = fc_open(e.cl, &e.who, e.file, FC_O_RDONLY, &of);
	if (err)
		goto out;
	/* One page first: the mapping itself is per node, not per page. */
	if (fc_cache_read(e.cl, &e.who, of, e.buf, 4096, 0) != 4096) {
		err = -EIO;
		goto out;
	}
	fc_pagecache_sim_stats(pc, &st);
	before = atomic_load(&count_live) - (long)st.pages * 0;
	{
		uint64_t pages0 = st.pages;

		for (off = 0; off < size; off += MIB) {
			long got = fc_cache_read(e.cl, &e.who, of, e.buf, MIB, off);

			if (got != (long)MIB) {
				err = -EIO;
				goto out;
			}
		}
		after = atomic_load(&count_live);
		fc_pagecache_sim_stats(pc, &st);
		r->a.present = 1;
		r->a.value = (double)(after - before) / (double)(st.pages - pages0);
		r->a.runs[0] = r->a.value;
		r->a.nruns = 1;
		row_note(r, "%llu pages cached by sequential 1 MiB cached reads",
			 (unsigned long long)st.pages);
	}
out:
	if (of)
		fc_release(e.cl, of);
	if (e.file)
		fc_node_put(e.cl, e.file);
	e.file = NULL;
	if (e.cl)
		fc_client_free(e.cl);
	e.cl = NULL;
	if (pc)
		fc_pagecache_sim_free(pc);
	if (e.conn)
		fc_conn_free(e.conn);
	free(e.buf);
	if (err)
		row_note(r, "failed (%d)", err);
	return err;
}

/* ---- instructions per round trip (callgrind) ------------------------------------------------ */

int bench_callgrind_child(const char *what, long n)
{
	struct mem_env e;
	long r;
	int err;

	err = mem_env_open(&e, fc_platform_posix(), 0, 64ull * MIB);
	if (err)
		return 1;
	/* Warm up (first-use allocations), then the counted operations. */
	if (!strcmp(what, "getattr")) {
		w_getattr(&e, 100);
		r = w_getattr(&e, n);
	} else if (!strcmp(what, "lookup")) {
		w_lookup(&e, 100);
		r = w_lookup(&e, n);
	} else if (!strcmp(what, "read4k")) {
		w_read4k(&e, 100);
		r = w_read4k(&e, n);
	} else {
		r = 0;
	}
	mem_env_close(&e);
	return r == n ? 0 : 1;
}

/* Total instructions of one callgrind run of the child, or < 0. */
static double callgrind_total(const char *what, long n)
{
	char out[512], nbuf[32], line[512];
	double total = -1;
	pid_t pid;
	int status;
	FILE *f;

	snprintf(out, sizeof(out), "%s/callgrind.%s.%ld.out", g_opts.workdir, what, n);
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char ofile[600];
		int devnull = open("/dev/null", O_WRONLY);

		snprintf(ofile, sizeof(ofile), "--callgrind-out-file=%s", out);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("valgrind", "valgrind", "--tool=callgrind", ofile,
		       g_opts.self, "--callgrind-child", what, nbuf, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	f = fopen(out, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "summary:", 8) || !strncmp(line, "totals:", 7)) {
			total = strtod(strchr(line, ':') + 1, NULL);
			break;
		}
	}
	fclose(f);
	unlink(out);
	return total;
}

int bench_instructions(void)
{
	static const char *const ops[][2] = {
		{ "getattr", "instructions per GETATTR round trip (polled)" },
		{ "lookup", "instructions per LOOKUP round trip (polled)" },
		{ "read4k", "instructions per 4 KiB READ (polled)" },
	};
	long n1 = 2000, n2 = g_opts.quick ? 4000 : 12000;
	unsigned i;

	if (g_opts.no_callgrind || system("valgrind --version >/dev/null 2>&1") != 0) {
		struct row *r = row_add("Instructions", "instructions per round trip", ROW_VALUE);

		snprintf(r->b_label, sizeof(r->b_label), "—");
		row_note(r, g_opts.no_callgrind ? "skipped (--no-callgrind)"
			 : "skipped: valgrind not installed (scripts/deps.sh --bench)");
		return 0;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct row *r = row_add("Instructions", ops[i][1], ROW_VALUE);
		double a, b;

		snprintf(r->unit, sizeof(r->unit), "instr");
		snprintf(r->b_label, sizeof(r->b_label), "—");
		a = callgrind_total(ops[i][0], n1);
		b = callgrind_total(ops[i][0], n2);
		if (a < 0 || b < 0) {
			row_note(r, "callgrind run failed");
			continue;
		}
		r->a.present = 1;
		r->a.value = (b - a) / (double)(n2 - n1);
		r->a.runs[0] = r->a.value;
		r->a.nruns = 1;
		row_note(r, "callgrind Ir, (%ld ops − %ld ops) / %ld: client, connection, "
			    "memory transport and the responder", n2, n1, n2 - n1);
	}
	return 0;
}

/* ---- for the side-by-side row against the kernel (fdk.c) ------------------------------------ */

void *mem_getattr_open(void)
{
	struct mem_env *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (mem_env_open(e, fc_platform_posix(), 0, 64ull * MIB)) {
		mem_env_close(e);
		free(e);
		return NULL;
	}
	return e;
}

long mem_getattr_run(void *ctx, long n)
{
	return w_getattr(ctx, n);
}

void mem_getattr_close(void *ctx)
{
	if (ctx) {
		mem_env_close(ctx);
		free(ctx);
	}
}
