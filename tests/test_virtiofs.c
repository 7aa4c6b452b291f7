/*
 * test_virtiofs.c - the vhost-user virtio-fs transport (fusecore/virtiofs.h)
 * against QEMU's C virtiofsd (/usr/lib/qemu/virtiofsd from Debian's
 * qemu-system-common), started by the launcher in the same header:
 *
 *  - the vhost-user handshake (features, protocol features, queues) and
 *    FUSE_INIT with the virtio-fs profile (negotiated flags printed);
 *  - LOOKUP / GETATTR / READDIRPLUS / STATFS compared with the host's view;
 *  - files created, written and read back with checksums through the
 *    simulated VFS (fc_sys_*), checked against the host file too, and
 *    through the page cache in writeback-cache mode;
 *  - buffer sizing: every chain's descriptor lengths as posted (READ by
 *    its size, READDIR by its size, fixed replies by their size);
 *  - FORGETs on the high-priority queue, single, readable-only;
 *  - submounts: a tmpfs mounted inside the shared directory is announced
 *    (FUSE_ATTR_SUBMOUNT) and automounted by the simulated VFS, shown by
 *    its mount listing, with both sandbox modes;
 *  - the back end killed (or its socket shut) with requests in flight:
 *    every waiter gets -ENOTCONN, nothing hangs, the memory is unmapped;
 *  - back-pressure on tiny rings started near index 65535 (16-bit wrap),
 *    kick batching, and a few throughput figures;
 *  - DESTROY before disconnect, after which virtiofsd exits 0 by itself.
 *
 * virtiofsd needs root; without it (or without the binary) each test
 * prints "SKIP: ..." and passes.  The only waits are bounded waits on the
 * external virtiofsd process.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"
#include "fusecore/vfs.h"
#include "fusecore/virtiofs.h"

#include "vu_fake.h"

#define MIB (1024u * 1024u)
#define HIN ((uint32_t)sizeof(struct fc_in_header))
#define HOUT ((uint32_t)sizeof(struct fc_out_header))

static const struct fc_caller root_who = { 0, 0, 1, 022, 0, NULL };

/* ---- skipping ------------------------------------------------------------------- */

/* Non-zero (after printing why) if virtiofsd cannot run here. */
static int no_virtiofsd(const char *test)
{
	char msg[256];

	if (fc_virtiofsd_check(NULL, msg, sizeof(msg)) == 0)
		return 0;
	fprintf(stderr, "SKIP (%s): %s\n", test, msg);
	return 1;
}

#define NEED_VIRTIOFSD()                      \
	do {                                  \
		if (no_virtiofsd(__func__))   \
			return;               \
	} while (0)

/* ---- the chain trace ------------------------------------------------------------ */

#define MAXREC 16384
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rec_cond = PTHREAD_COND_INITIALIZER;
static struct fc_virtiofs_chain recs[MAXREC];
static unsigned nrec, rec_lost;

static void trace_fn(void *ctx, const struct fc_virtiofs_chain *c)
{
	(void)ctx;
	pthread_mutex_lock(&rec_lock);
	if (nrec < MAXREC)
		recs[nrec++] = *c;
	else
		rec_lost++;
	pthread_cond_broadcast(&rec_cond);
	pthread_mutex_unlock(&rec_lock);
}

static void rec_reset(void)
{
	pthread_mutex_lock(&rec_lock);
	nrec = rec_lost = 0;
	pthread_mutex_unlock(&rec_lock);
}

static unsigned rec_count(void)
{
	unsigned n;

	pthread_mutex_lock(&rec_lock);
	n = nrec;
	pthread_mutex_unlock(&rec_lock);
	return n;
}

/* The last chain with @opcode at or after record @from; 0 if none. */
static int rec_last(uint32_t opcode, unsigned from, struct fc_virtiofs_chain *out)
{
	int found = 0;
	unsigned i;

	pthread_mutex_lock(&rec_lock);
	for (i = from; i < nrec; i++) {
		if (recs[i].opcode == opcode) {
			*out = recs[i];
			found = 1;
		}
	}
	pthread_mutex_unlock(&rec_lock);
	return found;
}

/* Wait (bounded) until a chain with @opcode is posted at or after @from. */
static int rec_wait(uint32_t opcode, unsigned from, unsigned timeout_ms)
{
	struct timespec ts;
	struct fc_virtiofs_chain c;
	int found;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	for (;;) {
		found = rec_last(opcode, from, &c);
		if (found)
			return 1;
		pthread_mutex_lock(&rec_lock);
		if (pthread_cond_timedwait(&rec_cond, &rec_lock, &ts) == ETIMEDOUT) {
			pthread_mutex_unlock(&rec_lock);
			return rec_last(opcode, from, &c);
		}
		pthread_mutex_unlock(&rec_lock);
	}
}

/* Assert a chain's descriptors: readable lengths, then writable ones (0-terminated lists). */
static void assert_chain(const struct fc_virtiofs_chain *c, const uint32_t *rd,
			 const uint32_t *wr)
{
	unsigned i = 0, k;

	for (k = 0; rd[k]; k++, i++) {
		ck_assert_uint_lt(i, c->ndesc);
		ck_assert_int_eq(c->writable[i], 0);
		ck_assert_uint_eq(c->len[i], rd[k]);
	}
	for (k = 0; wr[k]; k++, i++) {
		ck_assert_uint_lt(i, c->ndesc);
		ck_assert_int_eq(c->writable[i], 1);
		ck_assert_uint_eq(c->len[i], wr[k]);
	}
	ck_assert_uint_eq(i, c->ndesc);
}

/* ---- files on the host ---------------------------------------------------------- */

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

#define FNV0 1469598103934665603ull

static void pattern(unsigned char *buf, size_t n, uint64_t seed)
{
	uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

static void host_write(const char *dir, const char *name, const void *data,
		       size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* The host file's checksum and size; -1 if it cannot be read. */
static long host_sum(const char *dir, const char *name, uint64_t *sum)
{
	char path[512];
	unsigned char buf[65536];
	FILE *f;
	long total = 0;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return -1;
	*sum = FNV0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		*sum = fnv(buf, n, *sum);
		total += (long)n;
	}
	fclose(f);
	return total;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- the environment ------------------------------------------------------------ */

struct env_opts {
	int announce_submounts;
	const char *sandbox;
	const char *cache;
	const char *const *extra;
	unsigned queue_size;
	uint16_t ring_base;
	int no_init;
	int no_trace;
};

struct env {
	char src[256];
	char log[300];
	int logfd;
	struct fc_virtiofsd *d;
	struct fc_transport *t;
	struct fc_conn *conn;
	struct fc_client *cl;
	const struct fc_platform *plat;
	int killed;     /* the back end was killed: no clean exit expected */
	int traced;     /* chains are recorded */
};

static void env_make_src(struct env *e)
{
	char tmpl[] = "/tmp/fc-vfs-test-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(e->src, sizeof(e->src), "%s/share", tmpl);
	ck_assert_int_eq(mkdir(e->src, 0755), 0);
	snprintf(e->log, sizeof(e->log), "%s/virtiofsd.log", tmpl);
}

/* Start virtiofsd on e->src (made already), connect, INIT. */
static void env_start(struct env *e, const struct env_opts *o)
{
	struct fc_virtiofsd_config dc;
	struct fc_virtiofs_config vc;
	struct fc_conn_config cc;
	char msg[256];
	int err;

	e->plat = fc_platform_posix();
	e->logfd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(e->logfd, 0);
	fc_virtiofsd_config_default(&dc);
	dc.source = e->src;
	dc.announce_submounts = o->announce_submounts;
	dc.sandbox = o->sandbox;
	dc.cache = o->cache;
	dc.extra_args = o->extra;
	dc.stderr_fd = e->logfd;
	dc.debug = getenv("FC_TEST_VIRTIOFSD_DEBUG") != NULL;
	err = fc_virtiofsd_start(&dc, &e->d, msg, sizeof(msg));
	if (err)
		ck_abort_msg("virtiofsd did not start: %s (%d)", msg, err);

	fc_virtiofs_config_default(&vc);
	vc.socket_path = fc_virtiofsd_socket_path(e->d);
	vc.pidfd = fc_virtiofsd_pidfd(e->d);
	if (o->queue_size)
		vc.queue_size = o->queue_size;
	vc.ring_base = o->ring_base;
	err = fc_virtiofs_transport_new(e->plat, &vc, &e->t);
	ck_assert_int_eq(err, 0);
	rec_reset();
	if (!o->no_trace) {
		fc_virtiofs_set_trace(e->t, trace_fn, NULL);
		e->traced = 1;
	}
	fc_virtiofs_conn_config_default(&cc, e->plat, e->t);
	ck_assert_int_eq(fc_conn_new(&cc, &e->conn), 0);
	if (o->no_init)
		return;
	ck_assert_int_eq(fc_conn_init(e->conn), 0);
	ck_assert_int_eq(fc_client_new(e->conn, NULL, &e->cl), 0);
}

static void env_up(struct env *e, const struct env_opts *o)
{
	static const struct env_opts dflt;

	memset(e, 0, sizeof(*e));
	e->logfd = -1;
	env_make_src(e);
	env_start(e, o ? o : &dflt);
}

static void dump_log(const struct env *e)
{
	char buf[4096];
	FILE *f = fopen(e->log, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	fprintf(stderr, "--- virtiofsd log (%s)\n%s---\n", e->log, buf);
}

/*
 * DESTROY, free, and check the order of things: DESTROY is the last chain
 * posted, and virtiofsd exits 0 on its own once the socket closes.
 */
static void env_down(struct env *e)
{
	struct fc_virtiofs_chain c;
	char base[300];
	int status = 0, err;
	unsigned before = rec_count();

	if (e->cl) {
		/* Background RELEASEs and FORGETs are over. */
		fc_conn_wait_background(e->conn);
		fc_virtiofs_wait_idle(e->t);
		fc_client_free(e->cl);
	}
	if (e->conn) {
		err = fc_conn_destroy_request(e->conn);
		if (!e->killed && e->traced) {
			static const uint32_t rd[] = { HIN, 0 }, wr[] = { HOUT, 0 };

			ck_assert(rec_last(FC_DESTROY, before, &c));
			ck_assert_uint_eq(c.queue, 1);
			assert_chain(&c, rd, wr);
			/* Nothing after DESTROY. */
			pthread_mutex_lock(&rec_lock);
			ck_assert_uint_eq(recs[nrec - 1].opcode, FC_DESTROY);
			pthread_mutex_unlock(&rec_lock);
		}
		if (!e->killed)
			ck_assert_int_eq(err, 0);
		fc_conn_free(e->conn);
	}
	if (e->d) {
		err = fc_virtiofsd_stop(e->d, &status);
		if (!e->killed) {
			if (err || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
				dump_log(e);
			ck_assert_int_eq(err, 0);
			ck_assert(WIFEXITED(status));
			ck_assert_int_eq(WEXITSTATUS(status), 0);
		}
		fc_virtiofsd_free(e->d);
	}
	if (e->logfd >= 0)
		close(e->logfd);
	snprintf(base, sizeof(base), "%s", e->src);
	*strrchr(base, '/') = 0;
	rm_rf(base);
}

static struct fc_node *lookup(struct env *e, struct fc_node *dir,
			      const char *name)
{
	struct fc_entry ent;
	int err = fc_lookup(e->cl, &root_who, dir, name, strlen(name), &ent);

	ck_assert_msg(err == 0, "lookup %s: %d", name, err);
	ck_assert_ptr_nonnull(ent.node);
	return ent.node;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Poll the transport's counters until @cond holds, bounded (virtiofsd is a separate process). */
#define WAIT_STATS(t, st, cond)                                            \
	do {                                                               \
		uint64_t dl_ = now_ns() + 10000000000ull;                  \
		for (;;) {                                                 \
			fc_virtiofs_stats((t), &(st));                     \
			if (cond)                                          \
				break;                                     \
			ck_assert_msg(now_ns() < dl_, "timed out: %s", #cond); \
			usleep(1000);                                      \
		}                                                          \
	} while (0)

/* ---- handshake and INIT ----------------------------------------------------------- */

START_TEST(test_handshake)
{
	static const struct env_opts o = { .no_init = 1 };
	struct fc_virtiofs_info in;
	struct fc_virtiofs_stats st;
	char ver[128];
	struct env e;

	NEED_VIRTIOFSD();
	ck_assert_int_eq(fc_virtiofsd_version(NULL, ver, sizeof(ver)), 0);
	ck_assert_msg(strstr(ver, "virtiofsd") != NULL, "version: %s", ver);
	env_up(&e, &o);
	fc_virtiofs_info(e.t, &in);
	fprintf(stderr,
		"virtiofs handshake with %s: features %#" PRIx64 " (acked %#" PRIx64
		"), protocol features %#" PRIx64 " (acked %#" PRIx64 "), queues %u "
		"(using %u x %u), REPLY_ACK %d, %u messages in %.2f ms\n",
		ver, in.backend_features, in.acked_features,
		in.backend_protocol_features, in.acked_protocol_features,
		in.backend_queues, in.num_queues, in.queue_size, in.reply_ack,
		in.handshake_msgs, (double)in.handshake_ns / 1e6);
	ck_assert(in.backend_features & FC_VIRTIO_F_VERSION_1);
	/* Only what both sides offer, and only what the ring code implements. */
	ck_assert_uint_eq(in.acked_features,
			  in.backend_features & (FC_VIRTIO_F_VERSION_1 |
						 FC_VHOST_USER_F_PROTOCOL_FEATURES));
	ck_assert_uint_eq(in.acked_features & FC_VIRTIO_RING_F_EVENT_IDX, 0);
	ck_assert_uint_eq(in.acked_protocol_features,
			  in.backend_protocol_features &
			  (FC_VHOST_USER_PROTOCOL_F_MQ | FC_VHOST_USER_PROTOCOL_F_REPLY_ACK));
	ck_assert_int_eq(in.reply_ack,
			 !!(in.backend_protocol_features & FC_VHOST_USER_PROTOCOL_F_REPLY_ACK));
	/* virtiofsd 7.2 has one hiprio and one request queue. */
	if (in.backend_queues)
		ck_assert_uint_eq(in.num_queues, in.backend_queues < 2 ? 2 : 2);
	ck_assert_uint_eq(in.num_queues, 2);
	ck_assert_uint_eq(in.queue_size, FC_VIRTIOFS_DEFAULT_QUEUE_SIZE);
	/* GET_FEATURES .. SET_VRING_ENABLE for 2 queues: 19 messages (QEMU's order). */
	if (in.reply_ack && in.backend_queues)
		ck_assert_uint_eq(in.handshake_msgs, 19);
	ck_assert_uint_ge(in.arena_size, FC_VIRTIOFS_DEFAULT_MEM_SIZE / 2);
	fc_virtiofs_stats(e.t, &st);
	ck_assert_int_eq(st.mem_mapped, 1);
	ck_assert_uint_eq(st.chains, 0);
	ck_assert_int_eq(fc_conn_init(e.conn), 0);
	env_down(&e);
}
END_TEST

START_TEST(test_init)
{
	static const uint32_t rd[] = { HIN, sizeof(struct fc_init_in), 0 };
	static const uint32_t wr[] = { HOUT, sizeof(struct fc_init_out), 0 };
	const struct fc_conn_info *ci;
	struct fc_virtiofs_chain c;
	struct env e;

	NEED_VIRTIOFSD();
	env_up(&e, NULL);
	ck_assert_int_eq(fc_conn_state(e.conn), FC_CONN_READY);
	ck_assert_int_eq(fc_conn_transport(e.conn)->kind, FC_TRANSPORT_VIRTIO_FS);
	ck_assert_int_eq(fc_conn_transport(e.conn)->no_interrupt, 1);
	ci = fc_conn_info(e.conn);
	fprintf(stderr,
		"virtiofs INIT: daemon %u.%u, requested %#" PRIx64 ", granted %#" PRIx64
		", enabled %#" PRIx64 ", max_write %u, max_pages %u, max_readahead %u, "
		"time_gran %u, max_background %u\n",
		ci->major, ci->minor, ci->requested, ci->granted, ci->flags,
		ci->max_write, ci->max_pages, ci->max_readahead, ci->time_gran,
		ci->max_background);
	ck_assert_uint_eq(ci->major, 7);
	ck_assert_uint_ge(ci->minor, 31);
	/* The virtio-fs profile asks for submounts (virtio_fs_get_tree). */
	ck_assert(ci->requested & FC_SUBMOUNTS);
	ck_assert(ci->requested & FC_INIT_EXT);
	/* Without announce_submounts virtiofsd does not grant them. */
	ck_assert(!(ci->flags & FC_SUBMOUNTS));
	ck_assert_uint_eq(ci->flags & ~(ci->requested & ci->granted), 0);
	ck_assert(ci->default_permissions);
	/* Linux's virtio-fs max_pages_limit: queue size - 4. */
	ck_assert_uint_le(ci->max_pages, FC_VIRTIOFS_DEFAULT_QUEUE_SIZE - 4);
	/* INIT: the first request, unique 2, on request queue 1, exact buffers. */
	ck_assert(rec_last(FC_INIT, 0, &c));
	pthread_mutex_lock(&rec_lock);
	ck_assert_uint_eq(recs[0].opcode, FC_INIT);
	pthread_mutex_unlock(&rec_lock);
	ck_assert_uint_eq(c.unique, 2);
	ck_assert_uint_eq(c.queue, 1);
	assert_chain(&c, rd, wr);
	/* Descriptors carry guest-physical addresses inside the region. */
	ck_assert_uint_ge(c.gpa[0], FC_VIRTIOFS_DEFAULT_GPA_BASE);
	ck_assert_uint_lt(c.gpa[3], FC_VIRTIOFS_DEFAULT_GPA_BASE + FC_VIRTIOFS_DEFAULT_MEM_SIZE);
	ck_assert_uint_eq(c.gpa[1], c.gpa[0] + HIN);
	env_down(&e);
}
END_TEST

/* ---- operations through the client ------------------------------------------------ */

struct names {
	char seen[64][64];
	unsigned n;
	struct fc_client *cl;
	int plus_nodes;
};

static int collect(void *ctx, const struct fc_dir_entry *d)
{
	struct names *nm = ctx;

	if (nm->n < 64) {
		unsigned l = d->namelen < 63 ? d->namelen : 63;

		memcpy(nm->seen[nm->n], d->name, l);
		nm->seen[nm->n][l] = 0;
		nm->n++;
	}
	if (d->entry.node) {
		nm->plus_nodes++;
		fc_node_put(nm->cl, d->entry.node);
	}
	return 0;
}

static int has_name(const struct names *nm, const char *name)
{
	unsigned i;

	for (i = 0; i < nm->n; i++)
		if (!strcmp(nm->seen[i], name))
			return 1;
	return 0;
}

START_TEST(test_lookup_getattr_readdirplus)
{
	static const uint32_t rd_ga[] = { HIN, sizeof(struct fc_getattr_in), 0 };
	static const uint32_t wr_ga[] = { HOUT, sizeof(struct fc_attr_out), 0 };
	static const uint32_t wr_lk[] = { HOUT, sizeof(struct fc_entry_out), 0 };
	static const uint32_t wr_rdp[] = { HOUT, 4096, 0 };
	unsigned char data[12345];
	struct fc_virtiofs_chain c;
	struct fc_open_ctx *dof;
	struct fc_node *file, *dir, *lnk;
	struct fc_kstatfs sfs;
	struct fc_attr a;
	struct names nm;
	struct stat st;
	char path[512];
	struct env e;
	int n, total = 0;
	unsigned mark;

	NEED_VIRTIOFSD();
	memset(&e, 0, sizeof(e));
	env_make_src(&e);
	pattern(data, sizeof(data), 1);
	host_write(e.src, "file", data, sizeof(data));
	snprintf(path, sizeof(path), "%s/dir", e.src);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/link", e.src);
	ck_assert_int_eq(symlink("file", path), 0);
	{
		static const struct env_opts o;

		env_start(&e, &o);
	}

	mark = rec_count();
	file = lookup(&e, fc_client_root(e.cl), "file");
	ck_assert(rec_last(FC_LOOKUP, mark, &c));
	{
		uint32_t rd_lk[] = { HIN, 5, 0 };

		assert_chain(&c, rd_lk, wr_lk);
	}
	dir = lookup(&e, fc_client_root(e.cl), "dir");
	lnk = lookup(&e, fc_client_root(e.cl), "link");
	snprintf(path, sizeof(path), "%s/file", e.src);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(fc_node_attr(file)->size, 12345);
	ck_assert_uint_eq(fc_node_attr(file)->mode, st.st_mode);
	ck_assert_uint_eq(fc_node_attr(file)->ino, st.st_ino);
	ck_assert(S_ISDIR(fc_node_attr(dir)->mode));
	ck_assert_uint_eq(fc_node_attr(dir)->mode & 07777, 0750);
	ck_assert(S_ISLNK(fc_node_attr(lnk)->mode));
	{
		struct fc_entry ent;

		ck_assert_int_eq(fc_lookup(e.cl, &root_who, fc_client_root(e.cl),
					   "missing", 7, &ent), -ENOENT);
	}

	mark = rec_count();
	ck_assert_int_eq(fc_getattr(e.cl, &root_who, file, NULL, 1, &a), 0);
	ck_assert_uint_eq(a.size, 12345);
	ck_assert_uint_eq(a.ino, st.st_ino);
	ck_assert(rec_last(FC_GETATTR, mark, &c));
	assert_chain(&c, rd_ga, wr_ga);

	/* READDIRPLUS of the root, 4096 bytes at a time. */
	mark = rec_count();
	ck_assert_int_eq(fc_open(e.cl, &root_who, fc_client_root(e.cl),
				 FC_O_RDONLY | FC_O_DIRECTORY, &dof), 0);
	memset(&nm, 0, sizeof(nm));
	nm.cl = e.cl;
	n = fc_readdir(e.cl, &root_who, dof, 0, 4096, 1, collect, &nm);
	ck_assert_int_ge(n, 5);
	total += n;
	ck_assert_int_gt(total, 0);
	ck_assert(has_name(&nm, "file"));
	ck_assert(has_name(&nm, "dir"));
	ck_assert(has_name(&nm, "link"));
	ck_assert_int_ge(nm.plus_nodes, 3);
	ck_assert(rec_last(FC_READDIRPLUS, mark, &c));
	{
		uint32_t rd_rd[] = { HIN, sizeof(struct fc_read_in), 0 };

		assert_chain(&c, rd_rd, wr_rdp);
	}
	ck_assert(rec_last(FC_OPENDIR, mark, &c));
	fc_release(e.cl, dof);

	ck_assert_int_eq(fc_statfs(e.cl, &root_who, fc_client_root(e.cl), &sfs), 0);
	ck_assert(rec_last(FC_STATFS, mark, &c));
	{
		uint32_t rd_sf[] = { HIN, 0 }, wr_sf[] = { HOUT, sizeof(struct fc_statfs_out), 0 };

		assert_chain(&c, rd_sf, wr_sf);
	}

	fc_node_put(e.cl, file);
	fc_node_put(e.cl, dir);
	fc_node_put(e.cl, lnk);
	env_down(&e);
}
END_TEST

/* ---- data through the simulated VFS ---------------------------------------------------- */

struct vfs_env {
	struct fc_vfs *vfs;
	struct fc_proc *p;
	int mnt;
	int released;
};

static void on_release(void *ctx, struct fc_client *cl)
{
	(void)cl;
	((struct vfs_env *)ctx)->released = 1;
}

static void vfs_up(struct env *e, struct vfs_env *v)
{
	struct fc_vfs_mount_opts mo;

	memset(v, 0, sizeof(*v));
	ck_assert_int_eq(fc_vfs_new(e->plat, &v->vfs), 0);
	ck_assert_int_eq(fc_proc_new(v->vfs, 100, NULL, &v->p), 0);
	ck_assert_int_eq(fc_sys_mkdir(v->p, "/mnt", 0755), 0);
	fc_vfs_mount_opts_default(&mo);
	mo.source = "virtiofs";
	mo.subtype = "virtiofs";
	mo.release = on_release;
	mo.release_ctx = v;
	v->mnt = fc_vfs_mount_fuse(v->vfs, v->p, "/mnt", e->cl, &mo);
	ck_assert_int_gt(v->mnt, 0);
}

static void vfs_down(struct vfs_env *v)
{
	fc_vfs_free(v->vfs);
	ck_assert_int_eq(v->released, 1);
}

/* Write @n bytes of pattern @seed to @path through the VFS in @chunk pieces. */
static uint64_t vfs_write_file(struct fc_proc *p, const char *path, size_t n,
			       uint64_t seed, size_t chunk)
{
	unsigned char *buf = malloc(n);
	uint64_t sum;
	size_t off = 0;
	int fd;

	ck_assert_ptr_nonnull(buf);
	pattern(buf, n, seed);
	sum = fnv(buf, n, FNV0);
	fd = fc_sys_open(p, path, FC_O_CREAT | FC_O_RDWR | FC_O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		long w = fc_sys_write(p, fd, buf + off, k);

		ck_assert_int_eq(w, (long)k);
		off += k;
	}
	ck_assert_int_eq(fc_sys_fsync(p, fd), 0);
	ck_assert_int_eq(fc_sys_close(p, fd), 0);
	free(buf);
	return sum;
}

static uint64_t vfs_read_sum(struct fc_proc *p, const char *path, size_t chunk,
			     long *total)
{
	unsigned char *buf = malloc(chunk);
	uint64_t sum = FNV0;
	long r;
	int fd;

	ck_assert_ptr_nonnull(buf);
	*total = 0;
	fd = fc_sys_open(p, path, FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	while ((r = fc_sys_read(p, fd, buf, chunk)) > 0) {
		sum = fnv(buf, (size_t)r, sum);
		*total += r;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(fc_sys_close(p, fd), 0);
	free(buf);
	return sum;
}

START_TEST(test_vfs_create_write_read)
{
	const size_t big = 3 * MIB + 4321;
	unsigned char *hb;
	struct fc_vfs_stat vs;
	struct vfs_env v;
	uint64_t sum, hsum, rsum;
	long total;
	struct env e;
	char path[512];

	NEED_VIRTIOFSD();
	env_up(&e, NULL);
	vfs_up(&e, &v);

	/* Create and write through the VFS; the host sees the same bytes. */
	sum = vfs_write_file(v.p, "/mnt/big", big, 42, 100000);
	ck_assert_int_eq(host_sum(e.src, "big", &hsum), (long)big);
	ck_assert_uint_eq(hsum, sum);
	rsum = vfs_read_sum(v.p, "/mnt/big", 65536, &total);
	ck_assert_int_eq(total, (long)big);
	ck_assert_uint_eq(rsum, sum);
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/big", &vs), 0);
	ck_assert_int_eq(vs.size, (int64_t)big);
	ck_assert(S_ISREG(vs.mode));

	/* A file the host wrote reads back through the VFS. */
	hb = malloc(MIB + 17);
	pattern(hb, MIB + 17, 9);
	host_write(e.src, "hostfile", hb, MIB + 17);
	rsum = vfs_read_sum(v.p, "/mnt/hostfile", 1 << 20, &total);
	ck_assert_int_eq(total, (long)(MIB + 17));
	ck_assert_uint_eq(rsum, fnv(hb, MIB + 17, FNV0));
	free(hb);

	/* Directories, rename, unlink: the host follows. */
	ck_assert_int_eq(fc_sys_mkdir(v.p, "/mnt/d", 0755), 0);
	ck_assert_int_eq(fc_sys_rename(v.p, "/mnt/big", "/mnt/d/big2"), 0);
	snprintf(path, sizeof(path), "%s/d/big2", e.src);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/big", &vs), -ENOENT);
	rsum = vfs_read_sum(v.p, "/mnt/d/big2", 300000, &total);
	ck_assert_uint_eq(rsum, sum);
	ck_assert_int_eq(fc_sys_unlink(v.p, "/mnt/d/big2"), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(fc_sys_rmdir(v.p, "/mnt/d"), 0);

	vfs_down(&v);
	env_down(&e);
}
END_TEST

START_TEST(test_pagecache_writeback)
{
	/* virtiofsd grants WRITEBACK_CACHE only with -o writeback. */
	static const char *const extra[] = { "-o", "writeback", NULL };
	static const struct env_opts o = { .extra = extra };
	struct fc_pagecache_sim_config pcc;
	struct fc_cache_config cc;
	struct fc_pagecache *pc;
	struct fc_open_ctx *of;
	struct fc_entry ent;
	unsigned char *buf, *back;
	const size_t n = 2 * MIB + 100;
	uint64_t pos = 0, hsum;
	struct env e;
	long r;

	NEED_VIRTIOFSD();
	env_up(&e, &o);
	fc_pagecache_sim_config_default(&pcc, e.plat);
	pcc.capacity = 256; /* 1 MiB: eviction and writeback under pressure */
	ck_assert_int_eq(fc_pagecache_sim_new(&pcc, &pc), 0);
	fc_cache_config_default(&cc, fc_pagecache_sim_ops(), pc);
	ck_assert_int_eq(fc_cache_attach(e.cl, &cc), 0);
	ck_assert_int_eq(fc_cache_writeback_mode(e.cl), 1);

	ck_assert_int_eq(fc_create(e.cl, &root_who, fc_client_root(e.cl), "cached", 6,
				   FC_O_RDWR | FC_O_CREAT, 0644, &ent, &of), 0);
	/* The cache hooks (file.c does not call them itself yet). */
	fc_cache_hook_open(e.cl, of);
	buf = malloc(n);
	back = malloc(n);
	pattern(buf, n, 77);
	/* Like write(2) callers: go on after a short write. */
	while (pos < n) {
		r = fc_cache_write(e.cl, &root_who, of, buf + pos, n - pos, &pos);
		ck_assert_int_gt(r, 0);
	}
	ck_assert_int_eq(fc_cache_hook_fsync(e.cl, &root_who, of, 0), 0);
	ck_assert_int_eq(fc_fsync(e.cl, &root_who, of, 0), 0);
	ck_assert_int_eq(host_sum(e.src, "cached", &hsum), (long)n);
	ck_assert_uint_eq(hsum, fnv(buf, n, FNV0));
	r = fc_cache_read(e.cl, &root_who, of, back, n, 0);
	ck_assert_int_eq(r, (long)n);
	ck_assert_int_eq(memcmp(buf, back, n), 0);
	ck_assert_int_eq(fc_cache_hook_flush(e.cl, &root_who, of), 0);
	ck_assert_int_eq(fc_flush(e.cl, &root_who, of), 0);
	fc_cache_hook_release(e.cl, of);
	fc_release(e.cl, of);
	fc_node_put(e.cl, ent.node);
	fc_cache_detach(e.cl);
	fc_pagecache_sim_free(pc);
	free(buf);
	free(back);
	env_down(&e);
}
END_TEST

/* ---- exact buffer sizing ------------------------------------------------------------ */

START_TEST(test_sizing_read_readdir)
{
	static const uint32_t rd_read[] = { HIN, sizeof(struct fc_read_in), 0 };
	const size_t fsize = 3 * MIB;
	unsigned char *data, *buf;
	struct fc_virtiofs_chain c;
	struct fc_open_ctx *of, *dof;
	struct fc_node *file, *dir;
	const struct fc_conn_info *ci;
	uint32_t maxreq;
	struct names nm;
	struct env e;
	char path[512];
	unsigned i, mark;
	uint64_t payload = 0;
	long r;

	NEED_VIRTIOFSD();
	memset(&e, 0, sizeof(e));
	env_make_src(&e);
	data = malloc(fsize);
	pattern(data, fsize, 5);
	host_write(e.src, "big", data, fsize);
	snprintf(path, sizeof(path), "%s/many", e.src);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (i = 0; i < 400; i++) {
		char name[300];

		snprintf(name, sizeof(name), "many/entry-with-a-rather-long-name-%04u", i);
		host_write(e.src, name, "x", 1);
	}
	{
		static const struct env_opts o;

		env_start(&e, &o);
	}
	ci = fc_conn_info(e.conn);
	maxreq = ci->max_pages * 4096u;
	buf = malloc(fsize);
	file = lookup(&e, fc_client_root(e.cl), "big");
	ck_assert_int_eq(fc_open(e.cl, &root_who, file, FC_O_RDONLY, &of), 0);

	/* One READ of 1000000 bytes: the reply buffer is 16 + 1000000, exactly. */
	mark = rec_count();
	r = fc_read(e.cl, &root_who, of, buf, 1000000, 0, FC_IO_DIRECT);
	ck_assert_int_eq(r, 1000000);
	ck_assert_int_eq(memcmp(buf, data, 1000000), 0);
	ck_assert(rec_last(FC_READ, mark, &c));
	{
		uint32_t wr[] = { HOUT, 1000000, 0 };

		assert_chain(&c, rd_read, wr);
	}
	/* One byte: 16 + 1. */
	mark = rec_count();
	ck_assert_int_eq(fc_read(e.cl, &root_who, of, buf, 1, 12345, FC_IO_DIRECT), 1);
	ck_assert_uint_eq(buf[0], data[12345]);
	ck_assert(rec_last(FC_READ, mark, &c));
	{
		uint32_t wr[] = { HOUT, 1, 0 };

		assert_chain(&c, rd_read, wr);
	}
	/* The whole file: split at max_pages pages, each buffer sized by its READ. */
	mark = rec_count();
	r = fc_read(e.cl, &root_who, of, buf, fsize, 0, FC_IO_DIRECT);
	ck_assert_int_eq(r, (long)fsize);
	ck_assert_int_eq(memcmp(buf, data, fsize), 0);
	pthread_mutex_lock(&rec_lock);
	for (i = mark; i < nrec; i++) {
		if (recs[i].opcode != FC_READ)
			continue;
		ck_assert_uint_eq(recs[i].ndesc, 4);
		ck_assert_uint_eq(recs[i].len[2], HOUT);
		ck_assert_uint_le(recs[i].len[3], maxreq);
		payload += recs[i].len[3];
	}
	pthread_mutex_unlock(&rec_lock);
	ck_assert_uint_eq(payload, fsize);
	/* Reading past the end: a short reply in a buffer sized by the request. */
	mark = rec_count();
	r = fc_read(e.cl, &root_who, of, buf, 8192, fsize - 100, FC_IO_DIRECT);
	ck_assert_int_eq(r, 100);
	ck_assert(rec_last(FC_READ, mark, &c));
	{
		uint32_t wr[] = { HOUT, 8192, 0 };

		assert_chain(&c, rd_read, wr);
	}
	fc_release(e.cl, of);
	fc_node_put(e.cl, file);

	/* READDIR (not plus) of 70000 and of 4096 bytes. */
	dir = lookup(&e, fc_client_root(e.cl), "many");
	ck_assert_int_eq(fc_open(e.cl, &root_who, dir, FC_O_RDONLY | FC_O_DIRECTORY, &dof), 0);
	memset(&nm, 0, sizeof(nm));
	nm.cl = e.cl;
	mark = rec_count();
	ck_assert_int_gt(fc_readdir(e.cl, &root_who, dof, 0, 70000, 0, collect, &nm), 60);
	ck_assert(rec_last(FC_READDIR, mark, &c));
	{
		uint32_t wr[] = { HOUT, 70000, 0 };

		assert_chain(&c, rd_read, wr);
	}
	mark = rec_count();
	nm.n = 0;
	ck_assert_int_gt(fc_readdir(e.cl, &root_who, dof, 0, 4096, 0, collect, &nm), 0);
	ck_assert(rec_last(FC_READDIR, mark, &c));
	{
		uint32_t wr[] = { HOUT, 4096, 0 };

		assert_chain(&c, rd_read, wr);
	}
	fc_release(e.cl, dof);
	fc_node_put(e.cl, dir);

	/* No chain of the whole run has a reply buffer beyond what its request allows. */
	pthread_mutex_lock(&rec_lock);
	for (i = 0; i < nrec; i++) {
		const struct fc_virtiofs_chain *x = &recs[i];

		switch (x->opcode) {
		case FC_READ: case FC_READDIR: case FC_READDIRPLUS:
			ck_assert_uint_le(x->writable_bytes, HOUT + maxreq);
			break;
		case FC_LOOKUP:
			ck_assert_uint_eq(x->writable_bytes, HOUT + sizeof(struct fc_entry_out));
			break;
		case FC_GETATTR:
			ck_assert_uint_eq(x->writable_bytes, HOUT + sizeof(struct fc_attr_out));
			break;
		case FC_OPEN: case FC_OPENDIR:
			ck_assert_uint_eq(x->writable_bytes, HOUT + sizeof(struct fc_open_out));
			break;
		case FC_RELEASE: case FC_RELEASEDIR: case FC_FLUSH:
			ck_assert_uint_eq(x->writable_bytes, HOUT);
			ck_assert_uint_eq(x->ndesc, 3);
			break;
		case FC_FORGET:
			ck_assert_uint_eq(x->writable_bytes, 0);
			break;
		default:
			break;
		}
	}
	pthread_mutex_unlock(&rec_lock);
	free(buf);
	free(data);
	env_down(&e);
}
END_TEST

/* ---- FORGET on the high-priority queue ------------------------------------------------ */

START_TEST(test_forget_hiprio)
{
	static const uint32_t rd[] = { HIN, sizeof(struct fc_forget_in), 0 };
	static const uint32_t none[] = { 0 };
	struct fc_virtiofs_stats st;
	struct fc_node *nodes[20];
	struct fc_attr a;
	struct env e;
	unsigned i, mark, nforget = 0;
	char name[32];

	NEED_VIRTIOFSD();
	memset(&e, 0, sizeof(e));
	env_make_src(&e);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%02u", i);
		host_write(e.src, name, name, strlen(name));
	}
	{
		static const struct env_opts o;

		env_start(&e, &o);
	}
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%02u", i);
		nodes[i] = lookup(&e, fc_client_root(e.cl), name);
	}
	mark = rec_count();
	for (i = 0; i < 20; i++)
		fc_node_put(e.cl, nodes[i]);
	fc_client_flush_forgets(e.cl);

	pthread_mutex_lock(&rec_lock);
	for (i = mark; i < nrec; i++) {
		ck_assert_uint_ne(recs[i].opcode, FC_BATCH_FORGET);
		if (recs[i].opcode == FC_FORGET) {
			ck_assert_uint_eq(recs[i].queue, 0);
			assert_chain(&recs[i], rd, none);
			nforget++;
		} else {
			ck_assert_uint_ne(recs[i].queue, 0);
		}
	}
	pthread_mutex_unlock(&rec_lock);
	ck_assert_uint_eq(nforget, 20);
	fc_virtiofs_stats(e.t, &st);
	ck_assert_uint_eq(st.queue_chains[0], 20);
	/* virtiofsd hands every forget back (used length 0). */
	WAIT_STATS(e.t, st, st.inflight == 0);
	ck_assert_uint_eq(st.bad_len, 0);
	ck_assert_int_eq(fc_getattr(e.cl, &root_who, fc_client_root(e.cl), NULL, 1, &a), 0);
	env_down(&e);
}
END_TEST

/* ---- submounts -------------------------------------------------------------------------- */

/*
 * virtiofsd announces a mount point inside its source with
 * FUSE_ATTR_SUBMOUNT; the simulated VFS automounts it as Linux does on
 * fc->auto_submounts alone (fuse_iget) -- QEMU 7.2's virtiofsd never echoes
 * FUSE_SUBMOUNTS in its INIT reply.
 */
/* Detach the tmpfs first: env_down's removal does not cross mount points. */
static void submount_cleanup(struct env *e)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/sub", e->src);
	umount2(path, MNT_DETACH);
	env_down(e);
}

static void submount_run(const char *sandbox)
{
	struct env_opts o = { .announce_submounts = 1, .sandbox = sandbox };
	struct fc_vfs_mount_entry me, fuse_me, sub_me;
	struct fc_vfs_stat st_mnt, st_sub, st_in;
	const struct fc_conn_info *ci;
	struct fc_node *sub, *plain;
	struct vfs_env v;
	struct env e;
	char path[512], info[4096], buf[64];
	unsigned i, nsub = 0;
	long r;
	int fd;

	/* A private mount namespace for this test process (Check forks each test). */
	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "SKIP (submounts): unshare(CLONE_NEWNS): %s\n",
			strerror(errno));
		return;
	}
	ck_assert_int_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	memset(&e, 0, sizeof(e));
	env_make_src(&e);
	snprintf(path, sizeof(path), "%s/sub", e.src);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(mount("fc-vfs-tmpfs", path, "tmpfs", 0, "size=1m"), 0);
	host_write(e.src, "sub/inner.txt", "inside the tmpfs\n", 17);
	snprintf(path, sizeof(path), "%s/plain", e.src);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	env_start(&e, &o);

	/* The virtio-fs profile asked; virtiofsd announces the mount point. */
	ci = fc_conn_info(e.conn);
	ck_assert(ci->requested & FC_SUBMOUNTS);
	sub = lookup(&e, fc_client_root(e.cl), "sub");
	plain = lookup(&e, fc_client_root(e.cl), "plain");
	ck_assert(fc_node_attr(sub)->flags & FC_ATTR_SUBMOUNT);
	ck_assert(S_ISDIR(fc_node_attr(sub)->mode));
	ck_assert(!(fc_node_attr(plain)->flags & FC_ATTR_SUBMOUNT));
	fc_node_put(e.cl, sub);
	fc_node_put(e.cl, plain);

	vfs_up(&e, &v);
	ck_assert_uint_eq(fc_vfs_mount_count(v.vfs), 2);
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt", &st_mnt), 0);
	/* Walking into the mount point automounts it. */
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/sub/inner.txt", &st_in), 0);
	ck_assert_int_eq(st_in.size, 17);
	fd = fc_sys_open(v.p, "/mnt/sub/inner.txt", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	r = fc_sys_read(v.p, fd, buf, sizeof(buf));
	ck_assert_int_eq(r, 17);
	ck_assert_int_eq(memcmp(buf, "inside the tmpfs\n", 17), 0);
	ck_assert_int_eq(fc_sys_close(v.p, fd), 0);
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/plain", &st_in), 0);
	ck_assert_uint_eq(st_in.dev, st_mnt.dev);
	ck_assert(fc_vfs_mountinfo(v.vfs, info, sizeof(info)) > 0);

	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/sub", &st_sub), 0);
	ck_assert_uint_ne(st_sub.dev, st_mnt.dev);
	ck_assert_int_eq(fc_sys_stat(v.p, "/mnt/sub/inner.txt", &st_in), 0);
	ck_assert_uint_eq(st_in.dev, st_sub.dev);
	/* The listing shows it: a submount below the FUSE mount, its own device. */
	ck_assert_uint_eq(fc_vfs_mount_count(v.vfs), 3);
	memset(&fuse_me, 0, sizeof(fuse_me));
	memset(&sub_me, 0, sizeof(sub_me));
	for (i = 0; fc_vfs_mount_get(v.vfs, i, &me) == 0; i++) {
		if (!strcmp(me.path, "/mnt"))
			fuse_me = me;
		if (me.submount) {
			sub_me = me;
			nsub++;
		}
	}
	ck_assert_uint_eq(nsub, 1);
	ck_assert_str_eq(sub_me.path, "/mnt/sub");
	ck_assert_int_eq(sub_me.parent_id, fuse_me.id);
	ck_assert(sub_me.dev_major != fuse_me.dev_major ||
		  sub_me.dev_minor != fuse_me.dev_minor);
	ck_assert(fc_vfs_mountinfo(v.vfs, info, sizeof(info)) > 0);
	ck_assert_ptr_nonnull(strstr(info, " submount "));
	fprintf(stderr, "virtiofs submount automounted (sandbox=%s), mount listing:\n%s",
		sandbox, info);

	vfs_down(&v);
	submount_cleanup(&e);
}

START_TEST(test_submount_automount)
{
	static const char *const sandboxes[] = { "chroot", "namespace" };

	NEED_VIRTIOFSD();
	submount_run(sandboxes[_i]);
}
END_TEST

/* ---- the back end going away --------------------------------------------------------- */

struct getattr_job {
	struct env *e;
	struct fc_node *node;
	int result;
};

static void *getattr_thread(void *arg)
{
	struct getattr_job *j = arg;
	struct fc_attr a;

	j->result = fc_getattr(j->e->cl, &root_who, j->node, NULL, 1, &a);
	return NULL;
}

struct bg_req {
	struct fc_args a;
	struct fc_getattr_in in;
	struct fc_attr_out out;
};

static int bg_errors[64], bg_ends;
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;

/* Wait (bounded) until @n end callbacks ran. */
static void bg_wait(int n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	pthread_mutex_lock(&bg_lock);
	while (bg_ends < n)
		if (pthread_cond_timedwait(&bg_cond, &bg_lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&bg_lock);
	ck_assert_int_eq(bg_ends, n);
}

static void bg_end(struct fc_conn *c, struct fc_args *a, int error, void *ctx)
{
	(void)c;
	(void)a;
	pthread_mutex_lock(&bg_lock);
	if (bg_ends < 64)
		bg_errors[bg_ends] = error;
	bg_ends++;
	pthread_cond_broadcast(&bg_cond);
	pthread_mutex_unlock(&bg_lock);
	(void)ctx;
}

static void bg_getattr(struct fc_conn *c, struct bg_req *r, uint64_t nodeid,
		       unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->a.opcode = FC_GETATTR;
	r->a.nodeid = nodeid;
	r->a.flags = flags;
	r->a.in_numargs = 1;
	r->a.in[0].value = &r->in;
	r->a.in[0].size = sizeof(r->in);
	r->a.out_numargs = 1;
	r->a.out[0].value = &r->out;
	r->a.out[0].size = sizeof(r->out);
	ck_assert_int_eq(fc_conn_send_bg(c, &r->a, bg_end, NULL), 0);
}

/* Wait (bounded) until every thread of @pid is stopped: kill() does not wait. */
static void wait_stopped(pid_t pid)
{
	uint64_t deadline = now_ns() + 10000000000ull;
	char path[128];

	for (;;) {
		int running = 0;
		DIR *dir;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		dir = opendir(path);
		ck_assert_ptr_nonnull(dir);
		while ((de = readdir(dir)) != NULL) {
			char sp[512], buf[512], *rp;
			FILE *f;

			if (de->d_name[0] == '.')
				continue;
			snprintf(sp, sizeof(sp), "%s/%s/stat", path, de->d_name);
			f = fopen(sp, "r");
			if (!f)
				continue;
			if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
			    rp[1] == ' ' && rp[2] != 'T' && rp[2] != 't')
				running = 1;
			fclose(f);
		}
		closedir(dir);
		if (!running)
			return;
		ck_assert_msg(now_ns() < deadline, "virtiofsd did not stop");
		usleep(1000);
	}
}

static void kill_mid_request(int how)
{
	struct fc_virtiofs_stats st;
	struct getattr_job j;
	struct bg_req bg[3];
	struct timespec ts;
	struct fc_attr a;
	struct env e;
	pthread_t th;
	unsigned mark, i;
	int status = 0;
	uint64_t t0;

	env_up(&e, NULL);
	j.e = &e;
	j.node = lookup(&e, fc_client_root(e.cl), ".");
	j.result = 1;
	/* Stopped: it will not answer, so the requests stay in flight. */
	ck_assert_int_eq(fc_virtiofsd_kill(e.d, SIGSTOP), 0);
	wait_stopped(fc_virtiofsd_pid(e.d));
	mark = rec_count();
	ck_assert_int_eq(pthread_create(&th, NULL, getattr_thread, &j), 0);
	ck_assert(rec_wait(FC_GETATTR, mark, 10000));
	bg_ends = 0;
	for (i = 0; i < 3; i++)
		bg_getattr(e.conn, &bg[i], 1, 0);
	fc_virtiofs_stats(e.t, &st);
	ck_assert_uint_ge(st.inflight, 4);
	ck_assert_int_eq(st.mem_mapped, 1);

	t0 = now_ns();
	if (how == 0) {
		ck_assert_int_eq(fc_virtiofsd_kill(e.d, SIGKILL), 0);
		e.killed = 1;
	} else {
		fc_virtiofs_disconnect(e.t);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	ck_assert_msg(pthread_timedjoin_np(th, NULL, &ts) == 0,
		      "the waiter hangs after the back end went away");
	ck_assert_int_eq(j.result, -ENOTCONN);
	ck_assert_int_eq(fc_conn_wait_background(e.conn), 0);
	bg_wait(3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(bg_errors[i], -ENOTCONN);
	fprintf(stderr, "virtiofs: back end %s -> every waiter -ENOTCONN after %.2f ms\n",
		how == 0 ? "SIGKILLed" : "socket shut down",
		(double)(now_ns() - t0) / 1e6);
	ck_assert_int_eq(fc_conn_state(e.conn), FC_CONN_ABORTED);
	/* The completion thread unmapped the shared memory. */
	WAIT_STATS(e.t, st, st.mem_mapped == 0);
	ck_assert_int_eq(st.dead, 1);
	ck_assert_uint_eq(st.inflight, 0);
	/* Later requests fail at once. */
	ck_assert_int_eq(fc_getattr(e.cl, &root_who, j.node, NULL, 1, &a), -ENOTCONN);
	fc_node_put(e.cl, j.node);
	if (how == 1) {
		/* Stopped with its socket shut: the launcher has to signal it. */
		e.killed = 1;
	}
	env_down(&e);
	(void)status;
}

START_TEST(test_backend_killed_mid_request)
{
	NEED_VIRTIOFSD();
	kill_mid_request(0);
}
END_TEST

START_TEST(test_backend_disconnected_mid_request)
{
	NEED_VIRTIOFSD();
	kill_mid_request(1);
}
END_TEST

START_TEST(test_backend_gone_before_init)
{
	static const struct env_opts o = { .no_init = 1 };
	struct fc_virtiofs_stats st;
	struct env e;
	int status;

	NEED_VIRTIOFSD();
	env_up(&e, &o);
	ck_assert_int_eq(fc_virtiofsd_kill(e.d, SIGKILL), 0);
	ck_assert_int_eq(fc_virtiofsd_wait(e.d, 10000, &status), 0);
	ck_assert(WIFSIGNALED(status));
	/* INIT is sent into a dead ring, or refused: either way -ENOTCONN, no hang. */
	ck_assert_int_eq(fc_conn_init(e.conn), -ENOTCONN);
	WAIT_STATS(e.t, st, st.mem_mapped == 0);
	e.killed = 1;
	env_down(&e);
}
END_TEST

/* ---- back-pressure, wrap-around, batching --------------------------------------------- */

struct hammer {
	struct env *e;
	struct fc_node *node;
	unsigned n;
	int errors;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct fc_attr a;
	unsigned i;

	for (i = 0; i < h->n; i++)
		if (fc_getattr(h->e->cl, &root_who, h->node, NULL, 1, &a) != 0)
			h->errors++;
	return NULL;
}

START_TEST(test_backpressure_wraparound)
{
	/* 8 descriptors: two 4-descriptor requests fill a ring. */
	static const struct env_opts o = { .queue_size = 8, .ring_base = 65500, .no_trace = 1 };
	struct fc_virtiofs_stats st;
	struct hammer h[4];
	pthread_t th[4];
	struct bg_req *bg;
	struct env e;
	unsigned i;
	uint64_t t0;

	NEED_VIRTIOFSD();
	env_up(&e, &o);
	t0 = now_ns();
	bg = calloc(60, sizeof(*bg));
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ &e, fc_client_root(e.cl), 300, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer_thread, &h[i]), 0);
	}
	/* Background requests too: the completion thread sends the next ones. */
	bg_ends = 0;
	for (i = 0; i < 60; i++)
		bg_getattr(e.conn, &bg[i], 1, FC_ARGS_FORCE);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(h[i].errors, 0);
	}
	ck_assert_int_eq(fc_conn_wait_background(e.conn), 0);
	bg_wait(60);
	for (i = 0; i < 60 && i < 64; i++)
		ck_assert_int_eq(bg_errors[i], 0);
	fc_virtiofs_stats(e.t, &st);
	fprintf(stderr,
		"virtiofs back-pressure (8-entry ring from index 65500): %" PRIu64
		" chains, %" PRIu64 " sender waits, %" PRIu64 " deferred, %" PRIu64
		" kicks, %.0f ops/s\n", st.chains, st.full_waits, st.deferred, st.kicks,
		(double)st.chains * 1e9 / (double)(now_ns() - t0));
	/* The 16-bit indices wrapped: 65500 + chains > 65535. */
	ck_assert_uint_gt(st.chains, 1260);
	ck_assert_uint_gt(st.full_waits + st.deferred, 0);
	ck_assert_uint_eq(st.bad_len + st.bad_unique + st.rings_broken, 0);
	free(bg);
	env_down(&e);
}
END_TEST

START_TEST(test_batching_and_figures)
{
	static const struct env_opts o = { .no_trace = 1 };
	const unsigned n = 2000;
	struct fc_virtiofs_stats s0, s1, s2;
	struct bg_req *bg;
	struct fc_attr a;
	struct env e;
	uint64_t t0, t_sync, t_bg;
	unsigned i;

	NEED_VIRTIOFSD();
	env_up(&e, &o);
	/* Synchronous GETATTRs: one request, one kick, one wake-up each. */
	fc_virtiofs_stats(e.t, &s0);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		ck_assert_int_eq(fc_getattr(e.cl, &root_who, fc_client_root(e.cl), NULL, 1, &a), 0);
	t_sync = now_ns() - t0;
	fc_virtiofs_stats(e.t, &s1);

	/* Background GETATTRs: a plug posts the first max_background with one kick. */
	bg = calloc(n, sizeof(*bg));
	bg_ends = 0;
	t0 = now_ns();
	fc_virtiofs_plug(e.t);
	for (i = 0; i < n; i++)
		bg_getattr(e.conn, &bg[i], 1, FC_ARGS_FORCE);
	fc_virtiofs_unplug(e.t);
	ck_assert_int_eq(fc_conn_wait_background(e.conn), 0);
	bg_wait((int)n);
	t_bg = now_ns() - t0;
	fc_virtiofs_stats(e.t, &s2);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(bg_errors[i], 0);
	fprintf(stderr,
		"virtiofs GETATTR: synchronous %.0f ops/s (%.1f us each, %" PRIu64
		" kicks for %u); background %.0f ops/s (%" PRIu64 " kicks for %u chains, "
		"largest batch %" PRIu64 ", %" PRIu64 " completion wake-ups)\n",
		(double)n * 1e9 / (double)t_sync, (double)t_sync / n / 1e3,
		s1.kicks - s0.kicks, n, (double)n * 1e9 / (double)t_bg,
		s2.kicks - s1.kicks, n, s2.max_kick_batch, s2.wakeups - s1.wakeups);
	/* The plugged batch went out with one kick. */
	ck_assert_uint_ge(s2.max_kick_batch, fc_conn_info(e.conn)->max_background);
	ck_assert_uint_lt(s2.kicks - s1.kicks, n);
	free(bg);

	/* Sequential 1 MiB-class READs of a 64 MiB file. */
	{
		const size_t fsize = 64 * MIB;
		unsigned char *buf = malloc(fsize);
		struct fc_open_ctx *of;
		struct fc_node *f;
		uint64_t off = 0;

		pattern(buf, fsize, 3);
		host_write(e.src, "stream", buf, fsize);
		f = lookup(&e, fc_client_root(e.cl), "stream");
		ck_assert_int_eq(fc_open(e.cl, &root_who, f, FC_O_RDONLY, &of), 0);
		t0 = now_ns();
		while (off < fsize) {
			long r = fc_read(e.cl, &root_who, of, buf, MIB, off, FC_IO_DIRECT);

			ck_assert_int_gt(r, 0);
			off += (uint64_t)r;
		}
		t_bg = now_ns() - t0;
		fprintf(stderr, "virtiofs READ: 64 MiB in 1 MiB reads at %.0f MiB/s\n",
			64.0 * 1e9 / (double)t_bg);
		fc_release(e.cl, of);
		fc_node_put(e.cl, f);
		free(buf);
	}
	env_down(&e);
}
END_TEST

/* ---- the launcher's errors --------------------------------------------------------------- */

START_TEST(test_launcher_errors)
{
	struct fc_virtiofsd_config dc;
	struct fc_virtiofs_config vc;
	struct fc_transport *t;
	struct fc_virtiofsd *d;
	char msg[256];
	int err;

	/* A missing binary: a clear error (no root needed to find out). */
	setenv(FC_VIRTIOFSD_ENV, "/nonexistent/virtiofsd", 1);
	ck_assert_int_eq(fc_virtiofsd_check(NULL, msg, sizeof(msg)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(msg, "qemu-system-common"));
	fc_virtiofsd_config_default(&dc);
	dc.source = "/tmp";
	ck_assert_int_eq(fc_virtiofsd_start(&dc, &d, msg, sizeof(msg)), -ENOENT);
	unsetenv(FC_VIRTIOFSD_ENV);
	ck_assert_int_eq(fc_virtiofsd_start(NULL, &d, msg, sizeof(msg)), -EINVAL);
	dc.source = NULL;
	ck_assert_int_eq(fc_virtiofsd_start(&dc, &d, msg, sizeof(msg)), -EINVAL);

	/* Nobody listening: the transport gives up after its bound. */
	fc_virtiofs_config_default(&vc);
	vc.socket_path = "/nonexistent/vfs.sock";
	vc.connect_timeout_ms = 50;
	err = fc_virtiofs_transport_new(fc_platform_posix(), &vc, &t);
	ck_assert_int_eq(err, -ENOENT);
	vc.socket_path = NULL;
	ck_assert_int_eq(fc_virtiofs_transport_new(fc_platform_posix(), &vc, &t), -EINVAL);
	vc.socket_path = "/x";
	vc.queue_size = 100;
	ck_assert_int_eq(fc_virtiofs_transport_new(fc_platform_posix(), &vc, &t), -EINVAL);

	NEED_VIRTIOFSD();
	/* A source that does not exist: virtiofsd exits, the status is reported. */
	fc_virtiofsd_config_default(&dc);
	dc.source = "/nonexistent/share";
	dc.stderr_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	err = fc_virtiofsd_start(&dc, &d, msg, sizeof(msg));
	close(dc.stderr_fd);
	ck_assert_int_eq(err, -ECHILD);
	ck_assert_ptr_nonnull(strstr(msg, "exited with status"));
	fprintf(stderr, "virtiofsd with a missing source: %s\n", msg);
}
END_TEST

/* ---- a scripted back end (tests/vu_fake.c): no root, no virtiofsd ----------------- */

struct fenv {
	struct vu_fake *f;
	struct fc_transport *t;
	struct fc_conn *conn;
	struct fc_client *cl;
};

/* Start the fake and a transport on it; returns the transport's result. */
static unsigned fenv_queue_size;

static int fenv_up(struct fenv *fe, const struct vu_fake_cfg *fc,
		   unsigned nreq, unsigned timeout_ms, int init)
{
	struct fc_virtiofs_config vc;
	struct fc_conn_config cc;
	int fd, err;

	memset(fe, 0, sizeof(*fe));
	ck_assert_int_eq(vu_fake_start(fc, &fd, &fe->f), 0);
	fc_virtiofs_config_default(&vc);
	vc.fd = fd;
	vc.num_request_queues = nreq;
	vc.mem_size = 4 * MIB;
	if (fenv_queue_size)
		vc.queue_size = fenv_queue_size;
	if (timeout_ms)
		vc.timeout_ms = timeout_ms;
	err = fc_virtiofs_transport_new(fc_platform_posix(), &vc, &fe->t);
	if (err)
		return err;
	rec_reset();
	fc_virtiofs_set_trace(fe->t, trace_fn, NULL);
	fc_virtiofs_conn_config_default(&cc, fc_platform_posix(), fe->t);
	ck_assert_int_eq(fc_conn_new(&cc, &fe->conn), 0);
	if (init) {
		ck_assert_int_eq(fc_conn_init(fe->conn), 0);
		ck_assert_int_eq(fc_client_new(fe->conn, NULL, &fe->cl), 0);
	}
	return 0;
}

static void fenv_down(struct fenv *fe)
{
	if (fe->cl) {
		fc_conn_wait_background(fe->conn);
		fc_virtiofs_wait_idle(fe->t);
		fc_client_free(fe->cl);
	}
	if (fe->conn) {
		fc_conn_destroy_request(fe->conn);
		fc_conn_free(fe->conn);
	}
	vu_fake_stop(fe->f);
}

static int fgetattr(struct fenv *fe)
{
	struct fc_attr a;

	return fc_getattr(fe->cl, &root_who, fc_client_root(fe->cl), NULL, 1, &a);
}

START_TEST(test_fake_handshake_variants)
{
	struct vu_fake_cfg fc;
	struct fc_virtiofs_info in;
	struct fenv fe;
	unsigned i;

	vu_fake_cfg_default(&fc);
	if (_i == 1)
		fc.protocol_features = 0;          /* no REPLY_ACK, no MQ */
	if (_i == 2)
		fc.features = FC_VIRTIO_F_VERSION_1; /* no protocol features at all */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 1), 0);
	fc_virtiofs_info(fe.t, &in);
	ck_assert_uint_eq(in.num_queues, 2);
	ck_assert_int_eq(in.reply_ack, _i == 0);
	ck_assert_uint_eq(in.backend_queues, _i == 0 ? 2 : 0);
	ck_assert_uint_eq(in.acked_features & FC_VHOST_USER_F_PROTOCOL_FEATURES,
			  _i == 2 ? 0 : FC_VHOST_USER_F_PROTOCOL_FEATURES);
	/*
	 * 19 with REPLY_ACK (QEMU's order); without it a final GET_FEATURES
	 * proves the SET_* messages were taken; without protocol features
	 * there are no GET/SET_PROTOCOL_FEATURES and no SET_VRING_ENABLE.
	 */
	ck_assert_uint_eq(in.handshake_msgs, _i == 0 ? 19 : _i == 1 ? 19 - 1 + 1 : 15);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(fgetattr(&fe), 0);
	ck_assert_uint_ge(vu_fake_chains(fe.f, 1), 51);
	fenv_down(&fe);
}
END_TEST

struct fthread {
	struct fenv *fe;
	int errors;
};

static void *fake_hammer(void *arg)
{
	struct fthread *ft = arg;
	unsigned i;

	for (i = 0; i < 200; i++)
		if (fgetattr(ft->fe))
			ft->errors++;
	return NULL;
}

START_TEST(test_fake_multiqueue)
{
	struct vu_fake_cfg fc;
	struct fc_virtiofs_info in;
	struct fc_virtiofs_stats st;
	struct fthread ft[4];
	struct fc_entry ent;
	pthread_t th[4];
	struct fenv fe;
	unsigned i;

	vu_fake_cfg_default(&fc);
	fc.queues = 5; /* hiprio + 4 request queues */
	ck_assert_int_eq(fenv_up(&fe, &fc, 8, 0, 1), 0);
	fc_virtiofs_info(fe.t, &in);
	ck_assert_uint_eq(in.backend_queues, 5);
	ck_assert_uint_eq(in.num_queues, 5); /* 8 wanted, 4 there */
	for (i = 0; i < 4; i++) {
		ft[i] = (struct fthread){ &fe, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, fake_hammer, &ft[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(ft[i].errors, 0);
	}
	/* A forget goes to queue 0, never to a request queue. */
	ck_assert_int_eq(fc_lookup(fe.cl, &root_who, fc_client_root(fe.cl), "x", 1, &ent), 0);
	fc_node_put(fe.cl, ent.node);
	fc_client_flush_forgets(fe.cl);
	fc_virtiofs_stats(fe.t, &st);
	ck_assert_uint_eq(st.queue_chains[0], 1);
	for (i = 1; i <= 4; i++) {
		fprintf(stderr, "virtiofs (fake): request queue %u carried %" PRIu64 " chains\n",
			i, st.queue_chains[i]);
		ck_assert_uint_ge(st.queue_chains[i], 150);
	}
	WAIT_STATS(fe.t, st, st.inflight == 0);
	ck_assert_uint_eq(vu_fake_chains(fe.f, 0), 1);
	fenv_down(&fe);
}
END_TEST

START_TEST(test_fake_handshake_errors)
{
	struct vu_fake_cfg fc;
	struct fenv fe;
	uint64_t t0;

	vu_fake_cfg_default(&fc);
	fc.features = 0x75000000ull; /* no VERSION_1 */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 0), -EOPNOTSUPP);
	vu_fake_stop(fe.f);

	vu_fake_cfg_default(&fc);
	fc.silent = 1;
	t0 = now_ns();
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 200, 0), -ETIMEDOUT);
	ck_assert_uint_lt(now_ns() - t0, 5000000000ull);
	vu_fake_stop(fe.f);

	vu_fake_cfg_default(&fc);
	fc.nack_request = 5; /* SET_MEM_TABLE refused */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 0), -EPROTO);
	vu_fake_stop(fe.f);

	vu_fake_cfg_default(&fc);
	fc.queues = 1; /* no room for a request queue */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 0), -EPROTO);
	vu_fake_stop(fe.f);
}
END_TEST

/* The hook corrupts the completion of the @target-th GETATTR. */
static int hook_mode, hook_target, hook_count;

static void hostile_hook(void *ctx, struct vu_fake_chain *ch)
{
	(void)ctx;
	if (ch->in.opcode != FC_GETATTR || ++hook_count != hook_target)
		return;
	switch (hook_mode) {
	case 0: ch->used_len = ch->wcap + 1; break;            /* beyond capacity */
	case 1: ch->used_len = 0; break;                      /* no out header */
	case 2: ((struct fc_out_header *)ch->reply)->unique += 2; break; /* another request */
	case 3: ch->used_len = 20; break;                     /* disagrees with the header */
	case 4: ch->used_id = 5000; break;                    /* id out of range */
	case 5: ch->used_id = (uint32_t)ch->head + 1; break;  /* not a head */
	case 6: ch->used_idx_extra = 5; break;                /* index runs ahead */
	case 7: ch->hangup = 1; break;                        /* the back end goes away */
	case 8: ch->used_id = 0xffffffffu; ch->used_len = 0xffffffffu; break;
	}
}

START_TEST(test_fake_hostile_completion)
{
	/* Modes 0-3 fail one request with EIO; 4-8 end the connection. */
	struct fc_virtiofs_stats st;
	struct vu_fake_cfg fc;
	struct fc_conn_stats cs;
	struct fenv fe;
	int err, fatal = _i >= 4;

	vu_fake_cfg_default(&fc);
	fc.hook = hostile_hook;
	hook_mode = _i;
	hook_target = 3;
	hook_count = 0;
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 1), 0);
	ck_assert_int_eq(fgetattr(&fe), 0);
	ck_assert_int_eq(fgetattr(&fe), 0);
	err = fgetattr(&fe);
	fc_virtiofs_stats(fe.t, &st);
	fc_conn_stats(fe.conn, &cs);
	if (!fatal) {
		ck_assert_int_eq(err, -EIO);
		/* That request only: the connection goes on. */
		ck_assert_int_eq(fgetattr(&fe), 0);
		ck_assert_int_eq(fc_conn_state(fe.conn), FC_CONN_READY);
		ck_assert_uint_eq(st.rings_broken, 0);
		ck_assert_int_eq(st.mem_mapped, 1);
		if (_i <= 1)
			ck_assert_uint_eq(st.bad_len, 1);
		if (_i == 2)
			ck_assert_uint_eq(st.bad_unique, 1);
		if (_i == 3)
			ck_assert_uint_eq(cs.bad_len, 1);
	} else {
		ck_assert_int_eq(err, -ENOTCONN);
		ck_assert_int_eq(fgetattr(&fe), -ENOTCONN);
		ck_assert_int_eq(fc_conn_state(fe.conn), FC_CONN_ABORTED);
		WAIT_STATS(fe.t, st, st.mem_mapped == 0);
		ck_assert_int_eq(st.dead, 1);
		if (_i != 7)
			ck_assert_uint_eq(st.rings_broken, 1);
	}
	fenv_down(&fe);
}
END_TEST

struct bgsub {
	struct fc_conn *conn;
	struct bg_req *bg;
	unsigned n;
};

static void *bg_submit_thread(void *arg)
{
	struct bgsub *s = arg;
	unsigned i;

	for (i = 0; i < s->n; i++)
		bg_getattr(s->conn, &s->bg[i], 1, FC_ARGS_FORCE);
	return NULL;
}

/* A gate the fake's hook waits on: the back end answers nothing until opened. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open;

static void gate_hook(void *ctx, struct vu_fake_chain *ch)
{
	(void)ctx;
	if (ch->in.opcode != FC_GETATTR)
		return;
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

START_TEST(test_fake_backpressure_deferred)
{
	struct fc_virtiofs_stats st;
	struct vu_fake_cfg fc;
	struct bg_req *bg;
	struct fenv fe;
	unsigned i;

	vu_fake_cfg_default(&fc);
	fc.hook = gate_hook;
	gate_open = 0;
	fenv_queue_size = 8; /* two 4-descriptor chains fill a ring */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 1), 0);
	bg = calloc(60, sizeof(*bg));
	bg_ends = 0;
	/*
	 * Twelve threads (max_background) submit one request each: they wait
	 * for ring space in turn, so all twelve are active and the other 48
	 * queue in the connection.  Each completion makes the completion
	 * thread send the next queued one; it finds senders waiting and must
	 * never wait itself: it sets the request aside and posts it as soon
	 * as space frees.
	 */
	{
		struct bgsub sub[12];
		pthread_t th[12];

		for (i = 0; i < 12; i++) {
			sub[i] = (struct bgsub){ fe.conn, &bg[i], 1 };
			ck_assert_int_eq(pthread_create(&th[i], NULL, bg_submit_thread, &sub[i]), 0);
		}
		WAIT_STATS(fe.t, st, fc_conn_num_background(fe.conn) >= 12);
		WAIT_STATS(fe.t, st, st.full_waits >= 10 && st.inflight == 2);
		for (i = 12; i < 60; i++)
			bg_getattr(fe.conn, &bg[i], 1, FC_ARGS_FORCE);
		pthread_mutex_lock(&gate_lock);
		gate_open = 1;
		pthread_cond_broadcast(&gate_cond);
		pthread_mutex_unlock(&gate_lock);
		for (i = 0; i < 12; i++)
			pthread_join(th[i], NULL);
	}
	bg_wait(60);
	for (i = 0; i < 60; i++)
		ck_assert_int_eq(bg_errors[i], 0);
	fc_virtiofs_stats(fe.t, &st);
	fprintf(stderr, "virtiofs (fake, 8-entry ring): %" PRIu64 " sender waits, %" PRIu64
		" completion-thread sends set aside\n", st.full_waits, st.deferred);
	ck_assert_uint_gt(st.full_waits, 0);
	ck_assert_uint_gt(st.deferred, 0);
	ck_assert_int_eq(fc_virtiofs_wait_idle(fe.t), 0);
	free(bg);
	fenv_down(&fe);
	fenv_queue_size = 0;
}
END_TEST

START_TEST(test_fake_no_notify)
{
	struct fc_virtiofs_stats s0, s1;
	struct vu_fake_cfg fc;
	struct fenv fe;
	unsigned i;

	vu_fake_cfg_default(&fc);
	fc.no_notify = 1; /* the back end polls; kicks are not wanted */
	ck_assert_int_eq(fenv_up(&fe, &fc, 1, 0, 1), 0);
	fc_virtiofs_stats(fe.t, &s0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(fgetattr(&fe), 0);
	fc_virtiofs_stats(fe.t, &s1);
	ck_assert_uint_eq(s1.kicks, 0);
	ck_assert_uint_ge(s1.kicks_suppressed - s0.kicks_suppressed, 100);
	fenv_down(&fe);
}
END_TEST

static Suite *virtiofs_suite(void)
{
	Suite *s = suite_create("virtiofs");
	TCase *tc;

	tc = tcase_create("virtiofsd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_lookup_getattr_readdirplus);
	tcase_add_test(tc, test_vfs_create_write_read);
	tcase_add_test(tc, test_pagecache_writeback);
	tcase_add_test(tc, test_sizing_read_readdir);
	tcase_add_test(tc, test_forget_hiprio);
	tcase_add_loop_test(tc, test_submount_automount, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_backend_killed_mid_request);
	tcase_add_test(tc, test_backend_disconnected_mid_request);
	tcase_add_test(tc, test_backend_gone_before_init);
	tcase_add_test(tc, test_launcher_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("fake");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fake_handshake_variants, 0, 3);
	tcase_add_test(tc, test_fake_multiqueue);
	tcase_add_test(tc, test_fake_handshake_errors);
	tcase_add_loop_test(tc, test_fake_hostile_completion, 0, 9);
	tcase_add_test(tc, test_fake_no_notify);
	tcase_add_test(tc, test_fake_backpressure_deferred);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_backpressure_wraparound);
	tcase_add_test(tc, test_batching_and_figures);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtiofs_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
