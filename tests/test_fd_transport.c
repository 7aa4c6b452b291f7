/*
 * test_fd_transport.c - the fd transport (src/transport/fd.c) at the
 * connection level, against an in-test fake daemon thread that reads and
 * writes the other end of a SOCK_SEQPACKET socketpair exactly as a daemon
 * reads and writes /dev/fuse (one whole message per read or write).
 *
 * Every test that moves messages runs on each completion path: the plain
 * syscall receiver, io_uring with a multishot receive and provided
 * buffers, and io_uring with single-shot receive SQEs (the fallback for
 * kernels without multishot).  The io_uring variants are skipped, with a
 * message, when liburing was not compiled in or the kernel refuses rings.
 *
 * No sleeps: the fake daemon and the test threads meet on a mutex and a
 * condition variable.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

enum { PATH_SYSCALLS, PATH_URING_MULTI, PATH_URING_SINGLE, NPATHS };

static const char *const path_names[NPATHS] = {
	"syscalls", "io_uring multishot", "io_uring single-shot",
};

#define MIB (1024u * 1024u)
#define FAKE_BUF (2u * MIB)
/* A message the fake daemon reads and ignores (fills the socket). */
#define OP_FILLER 9999u
/* STATFS nodeids that make the fake daemon misbehave. */
#define NODE_BADLEN 1000u   /* header len says 8 bytes more than sent */
#define NODE_EMPTY 1001u    /* an empty message, then the real reply */
#define NODE_STRAY 1002u    /* a reply to an unknown unique, then the real one */

static uint8_t pat(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 8) ^ (off >> 16) ^ 0x5a);
}

/* ---- the fake daemon ---------------------------------------------------- */

struct held {
	uint64_t unique, nodeid;
	uint32_t opcode;
};

struct fake {
	int fd;
	pthread_t th;
	unsigned char *buf;
	unsigned char *pattern;
	pthread_mutex_t lock;
	pthread_cond_t cond;

	/* behaviour */
	uint16_t max_background;
	uint32_t max_write;
	uint16_t max_pages;
	unsigned hold;          /* hold this many requests, answer in reverse */
	unsigned close_after;   /* close the socket after this many requests */
	int hold_first_write;   /* keep the first WRITE's reply until go */

	/* state, under lock */
	unsigned nreq;          /* requests read (INIT, fillers excluded) */
	unsigned nfiller;
	unsigned bad_frames;    /* reads whose length != header len */
	unsigned bad_data;      /* WRITE payloads not matching the pattern */
	int write1_seen, go, drain, close_on_drain;
	struct held held[64];
	unsigned nheld;
	int done;
};

static void fake_send(struct fake *f, uint64_t unique, int32_t error,
		      const void *payload, size_t len)
{
	struct fc_out_header oh = {
		.len = (uint32_t)(sizeof(oh) + len),
		.error = error,
		.unique = unique,
	};
	struct iovec v[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	ssize_t n = writev(f->fd, v, len ? 2 : 1);

	/* The kernel side may be gone in the abort tests; that is fine. */
	(void)n;
}

static void fake_answer(struct fake *f, const struct fc_in_header *h,
			const unsigned char *body, size_t blen)
{
	switch (h->opcode) {
	case FC_INIT: {
		const struct fc_init_in *in = (const void *)body;
		struct fc_init_out o;

		memset(&o, 0, sizeof(o));
		o.major = FC_KERNEL_VERSION;
		o.minor = FC_KERNEL_MINOR_VERSION;
		o.max_readahead = in->max_readahead;
		o.flags = (uint32_t)((FC_MAX_PAGES | FC_BIG_WRITES | FC_ASYNC_READ |
				      FC_INIT_EXT) & (in->flags | FC_INIT_EXT));
		o.max_background = f->max_background;
		o.congestion_threshold = f->max_background;
		o.max_write = f->max_write;
		o.time_gran = 1;
		o.max_pages = f->max_pages;
		fake_send(f, h->unique, 0, &o, sizeof(o));
		break;
	}
	case FC_GETATTR: {
		struct fc_attr_out o;

		memset(&o, 0, sizeof(o));
		o.attr.ino = h->nodeid;
		o.attr.size = h->nodeid * 3;
		o.attr.mode = 0100644;
		o.attr.nlink = 1;
		fake_send(f, h->unique, 0, &o, sizeof(o));
		break;
	}
	case FC_WRITE: {
		const struct fc_write_in *in = (const void *)body;
		const unsigned char *data = body + sizeof(*in);
		struct fc_write_out o = { .size = in->size };
		size_t i;
		int bad = blen != sizeof(*in) + in->size;

		for (i = 0; !bad && i < in->size; i++)
			bad = data[i] != pat(in->offset + i);
		if (bad) {
			pthread_mutex_lock(&f->lock);
			f->bad_data++;
			pthread_mutex_unlock(&f->lock);
			fake_send(f, h->unique, -EIO, NULL, 0);
			break;
		}
		fake_send(f, h->unique, 0, &o, sizeof(o));
		break;
	}
	case FC_READ: {
		const struct fc_read_in *in = (const void *)body;

		/* pattern[] is pat(i) for i < FAKE_BUF: offsets stay below. */
		if (in->offset + in->size > FAKE_BUF) {
			fake_send(f, h->unique, -EINVAL, NULL, 0);
			break;
		}
		fake_send(f, h->unique, 0, f->pattern + in->offset, in->size);
		break;
	}
	case FC_STATFS: {
		struct fc_statfs_out o;

		memset(&o, 0, sizeof(o));
		o.st.bsize = 4096;
		o.st.namelen = 255;
		if (h->nodeid == NODE_BADLEN) {
			struct fc_out_header oh = {
				.len = sizeof(oh) + sizeof(o) + 8,
				.unique = h->unique,
			};
			struct iovec v[2] = {
				{ .iov_base = &oh, .iov_len = sizeof(oh) },
				{ .iov_base = &o, .iov_len = sizeof(o) },
			};
			ssize_t n = writev(f->fd, v, 2);

			(void)n;
			break;
		}
		if (h->nodeid == NODE_EMPTY) {
			ssize_t n = send(f->fd, "", 0, 0);

			(void)n;
		}
		if (h->nodeid == NODE_STRAY)
			fake_send(f, h->unique + 2000, 0, &o, sizeof(o));
		fake_send(f, h->unique, 0, &o, sizeof(o));
		break;
	}
	case FC_DESTROY:
		fake_send(f, h->unique, 0, NULL, 0);
		break;
	case FC_FORGET:
	case FC_BATCH_FORGET:
	case FC_INTERRUPT:
		break;
	default:
		fake_send(f, h->unique, -ENOSYS, NULL, 0);
		break;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct fc_in_header h;
		ssize_t n = recv(f->fd, f->buf, FAKE_BUF, 0);
		unsigned count;

		if (n <= 0)
			break;
		if ((size_t)n < sizeof(h)) {
			pthread_mutex_lock(&f->lock);
			f->bad_frames++;
			pthread_mutex_unlock(&f->lock);
			continue;
		}
		memcpy(&h, f->buf, sizeof(h));
		pthread_mutex_lock(&f->lock);
		if (h.len != (size_t)n)
			f->bad_frames++;
		if (h.opcode == OP_FILLER) {
			f->nfiller++;
			pthread_mutex_unlock(&f->lock);
			continue;
		}
		count = h.opcode == FC_INIT ? f->nreq : ++f->nreq;
		pthread_cond_broadcast(&f->cond);
		if (f->close_after && h.opcode != FC_INIT) {
			/* Answer nothing; go away once enough are waiting. */
			if (count < f->close_after) {
				pthread_mutex_unlock(&f->lock);
				continue;
			}
			close(f->fd);
			f->fd = -1;
			pthread_mutex_unlock(&f->lock);
			break;
		}
		if (h.opcode == FC_WRITE && f->hold_first_write &&
		    !f->write1_seen) {
			/* Reply only on go, then read nothing more until drain. */
			f->write1_seen = 1;
			pthread_cond_broadcast(&f->cond);
			while (!f->go)
				pthread_cond_wait(&f->cond, &f->lock);
			pthread_mutex_unlock(&f->lock);
			fake_answer(f, &h, f->buf + sizeof(h),
				    (size_t)n - sizeof(h));
			pthread_mutex_lock(&f->lock);
			while (!f->drain)
				pthread_cond_wait(&f->cond, &f->lock);
			if (f->close_on_drain) {
				/* Go away with the receiver's queued send pending. */
				close(f->fd);
				f->fd = -1;
				pthread_mutex_unlock(&f->lock);
				break;
			}
			pthread_mutex_unlock(&f->lock);
			continue;
		}
		if (f->hold && h.opcode == FC_GETATTR) {
			struct held *hd = &f->held[f->nheld++];

			hd->unique = h.unique;
			hd->nodeid = h.nodeid;
			hd->opcode = h.opcode;
			if (f->nheld < f->hold) {
				pthread_mutex_unlock(&f->lock);
				continue;
			}
			/* All of them are in flight at once: answer in reverse. */
			f->hold = 0;
			pthread_mutex_unlock(&f->lock);
			while (f->nheld) {
				struct fc_in_header hh;

				memset(&hh, 0, sizeof(hh));
				hd = &f->held[--f->nheld];
				hh.unique = hd->unique;
				hh.nodeid = hd->nodeid;
				hh.opcode = hd->opcode;
				fake_answer(f, &hh, NULL, 0);
			}
			continue;
		}
		pthread_mutex_unlock(&f->lock);
		fake_answer(f, &h, f->buf + sizeof(h), (size_t)n - sizeof(h));
	}
	pthread_mutex_lock(&f->lock);
	f->done = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static unsigned char *shared_pattern(void)
{
	static unsigned char *p;
	size_t i;

	if (!p) {
		p = malloc(FAKE_BUF);
		ck_assert_ptr_nonnull(p);
		for (i = 0; i < FAKE_BUF; i++)
			p[i] = pat(i);
	}
	return p;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->max_background = 12;
	f->max_write = MIB;
	f->max_pages = 256;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
}

static void fake_start(struct fake *f, int fd)
{
	f->fd = fd;
	f->buf = malloc(FAKE_BUF);
	ck_assert_ptr_nonnull(f->buf);
	f->pattern = shared_pattern();
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

/* After the connection is freed (our end closed) the fake sees EOF. */
static void fake_join(struct fake *f)
{
	pthread_join(f->th, NULL);
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
}

/* ---- a platform that lets tests see the transport's log ----------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_cond = PTHREAD_COND_INITIALIZER;
static unsigned deferred_logged;
static struct fc_platform test_plat;

static void test_log(void *ctx, enum fc_log_level lvl, const char *msg)
{
	(void)ctx;
	if (strstr(msg, "send deferred")) {
		pthread_mutex_lock(&log_lock);
		deferred_logged++;
		pthread_cond_broadcast(&log_cond);
		pthread_mutex_unlock(&log_lock);
	} else if (lvl <= FC_LOG_WARN) {
		fprintf(stderr, "%s\n", msg);
	}
}

/* The POSIX platform with the log hook above. */
static const struct fc_platform *plat(void)
{
	if (!test_plat.version) {
		test_plat = *fc_platform_posix();
		test_plat.log = test_log;
	}
	return &test_plat;
}

/* ---- connection set-up ------------------------------------------------------ */

/* Fill the path-specific part of @cfg; 0, or 1 if the path is unavailable. */
static int path_config(int path, struct fc_fd_config *cfg)
{
	switch (path) {
	case PATH_SYSCALLS:
		cfg->io = FC_FD_IO_SYSCALLS;
		return 0;
	case PATH_URING_MULTI:
	case PATH_URING_SINGLE:
		if (!fc_fd_uring_available()) {
			fprintf(stderr, "SKIP (%s): io_uring not available "
				"(liburing not compiled in, or the kernel refuses rings)\n",
				path_names[path]);
			return 1;
		}
		cfg->io = FC_FD_IO_URING;
		cfg->uring_no_multishot = path == PATH_URING_SINGLE;
		return 0;
	default:
		return 1;
	}
}

struct setup {
	struct fake f;
	struct fc_conn *c;
	struct fc_transport *t;
	int ourfd;
};

/*
 * Socketpair, fake daemon on one end, connection on the other, INIT done.
 * @sockbuf 0 keeps the default socket buffers.  Returns 1 to skip.
 */
static int setup_start(struct setup *s, int path, size_t sockbuf,
		       size_t recv_buf)
{
	struct fc_fd_config cfg;
	struct fc_conn_config cc;
	int sv[2];

	memset(s, 0, sizeof(*s));
	fake_init(&s->f);
	fc_fd_config_default(&cfg, -1);
	if (path_config(path, &cfg))
		return 1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	if (sockbuf) {
		size_t lim0, lim1;

		ck_assert_int_eq(fc_fd_size_socket_buffers(sv[0], sockbuf, &lim0), 0);
		ck_assert_int_eq(fc_fd_size_socket_buffers(sv[1], sockbuf, &lim1), 0);
		ck_assert_uint_ge(lim0, fc_fd_msg_size(MIB));
		ck_assert_uint_ge(lim1, fc_fd_msg_size(MIB));
	}
	cfg.fd = sv[0];
	cfg.recv_buf = recv_buf;
	s->ourfd = sv[0];
	ck_assert_int_eq(fc_fd_transport_new(plat(), &cfg, &s->t), 0);
	ck_assert_int_eq(fc_fd_transport_io(s->t),
			 path == PATH_SYSCALLS ? FC_FD_IO_SYSCALLS : FC_FD_IO_URING);
	ck_assert_int_eq(fc_fd_transport_multishot(s->t),
			 path == PATH_URING_MULTI);
	fake_start(&s->f, sv[1]);
	fc_conn_config_default(&cc, plat(), s->t);
	ck_assert_int_eq(fc_conn_new(&cc, &s->c), 0);
	return 0;
}

static void setup_init(struct setup *s)
{
	const struct fc_conn_info *ci;

	ck_assert_int_eq(fc_conn_init(s->c), 0);
	ci = fc_conn_info(s->c);
	ck_assert_uint_eq(ci->max_write, s->f.max_write);
	ck_assert_uint_eq(ci->max_pages, s->f.max_pages);
}

static void setup_finish(struct setup *s)
{
	fc_conn_free(s->c);
	fake_join(&s->f);
}

/* ---- requests --------------------------------------------------------------- */

static void creds(struct fc_args *a)
{
	a->creds.uid = 1000;
	a->creds.gid = 1000;
	a->creds.pid = (uint32_t)getpid();
}

static int do_getattr(struct fc_conn *c, uint64_t nodeid,
		      struct fc_attr_out *out)
{
	struct fc_getattr_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	memset(&a, 0, sizeof(a));
	a.opcode = FC_GETATTR;
	a.nodeid = nodeid;
	creds(&a);
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	a.out_numargs = 1;
	a.out[0].value = out;
	a.out[0].size = sizeof(*out);
	return fc_conn_send(c, &a);
}

static int do_statfs(struct fc_conn *c, uint64_t nodeid)
{
	struct fc_statfs_out out;
	struct fc_args a;

	memset(&a, 0, sizeof(a));
	a.opcode = FC_STATFS;
	a.nodeid = nodeid;
	creds(&a);
	a.out_numargs = 1;
	a.out[0].value = &out;
	a.out[0].size = sizeof(out);
	return fc_conn_send(c, &a);
}

static void fill_write(struct fc_args *a, struct fc_write_in *in,
		       struct fc_write_out *out, uint64_t nodeid,
		       uint64_t off, const void *data, uint32_t size)
{
	memset(in, 0, sizeof(*in));
	memset(a, 0, sizeof(*a));
	in->fh = 1;
	in->offset = off;
	in->size = size;
	a->opcode = FC_WRITE;
	a->nodeid = nodeid;
	creds(a);
	a->in_numargs = 2;
	a->in[0].value = in;
	a->in[0].size = sizeof(*in);
	a->in[1].value = (void *)data;
	a->in[1].size = size;
	a->out_numargs = 1;
	a->out[0].value = out;
	a->out[0].size = sizeof(*out);
}

static int do_write(struct fc_conn *c, uint64_t off, const void *data,
		    uint32_t size)
{
	struct fc_write_in in;
	struct fc_write_out out;
	struct fc_args a;
	int r;

	fill_write(&a, &in, &out, 2, off, data, size);
	r = fc_conn_send(c, &a);
	if (r < 0)
		return r;
	return (int)out.size;
}

static int do_read(struct fc_conn *c, uint64_t off, void *buf, uint32_t size)
{
	struct fc_read_in in;
	struct fc_args a;

	memset(&in, 0, sizeof(in));
	memset(&a, 0, sizeof(a));
	in.fh = 1;
	in.offset = off;
	in.size = size;
	a.opcode = FC_READ;
	a.nodeid = 2;
	a.flags = FC_ARGS_OUT_VAR;
	creds(&a);
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	a.out_numargs = 1;
	a.out[0].value = buf;
	a.out[0].size = size;
	return fc_conn_send(c, &a);
}

static unsigned char *pattern_copy(uint64_t off, size_t len)
{
	unsigned char *p = malloc(len);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < len; i++)
		p[i] = pat(off + i);
	return p;
}

/* ---- tests ------------------------------------------------------------------ */

/* One message per request and per reply, both ways; bad replies rejected. */
START_TEST(test_framing)
{
	struct setup s;
	struct fc_attr_out ao;
	struct fc_fd_stats st;
	struct fc_conn_stats cs;
	int i;

	if (setup_start(&s, _i, 0, 0))
		return;
	setup_init(&s);
	for (i = 0; i < 20; i++) {
		memset(&ao, 0, sizeof(ao));
		ck_assert_int_eq(do_getattr(s.c, 100 + (uint64_t)i, &ao),
				 (int)sizeof(ao));
		ck_assert_uint_eq(ao.attr.ino, 100 + (uint64_t)i);
		ck_assert_uint_eq(ao.attr.size, 3 * (100 + (uint64_t)i));
	}
	/* Header length larger than the message: the request fails EIO. */
	ck_assert_int_eq(do_statfs(s.c, NODE_BADLEN), -EIO);
	/* An empty message from a live daemon is rejected, not taken for EOF. */
	ck_assert_int_eq(do_statfs(s.c, NODE_EMPTY),
			 (int)sizeof(struct fc_statfs_out));
	/* A reply naming no pending request is rejected; the real one works. */
	ck_assert_int_eq(do_statfs(s.c, NODE_STRAY),
			 (int)sizeof(struct fc_statfs_out));
	ck_assert_int_eq(fc_conn_state(s.c), FC_CONN_READY);
	ck_assert_int_eq(do_getattr(s.c, 7, &ao), (int)sizeof(ao));

	fc_fd_transport_stats(s.t, &st);
	fc_conn_stats(s.c, &cs);
	/* INIT + 20 + 3 STATFS + 1 GETATTR = 25 requests, each one message. */
	ck_assert_uint_eq(st.tx_msgs, 25);
	ck_assert_uint_eq(cs.requests, 25);
	/* 25 replies + the bad one's sibling messages: empty, stray. */
	ck_assert_uint_eq(st.rx_msgs, 27);
	ck_assert_uint_eq(st.rx_rejected, 3);
	ck_assert_uint_eq(cs.bad_len, 1);
	ck_assert_uint_eq(cs.bad_short, 1);
	ck_assert_uint_eq(cs.bad_unique, 1);
	ck_assert_uint_eq(st.rx_truncated, 0);
	ck_assert_uint_eq(st.tx_deferred, 0);
	if (_i == PATH_SYSCALLS)
		ck_assert_uint_eq(st.uring_rearms, 0);
	else
		ck_assert_uint_ge(st.uring_rearms, 1);

	pthread_mutex_lock(&s.f.lock);
	ck_assert_uint_eq(s.f.bad_frames, 0);
	ck_assert_uint_eq(s.f.nreq, 24);
	pthread_mutex_unlock(&s.f.lock);

	ck_assert_int_eq(fc_conn_destroy_request(s.c), 0);
	setup_finish(&s);
}
END_TEST

#define NTHREADS 8
#define PER_THREAD 200

struct worker {
	struct fc_conn *c;
	unsigned id;
	int failures;
};

static void *getattr_worker(void *arg)
{
	struct worker *w = arg;
	unsigned i;

	for (i = 0; i < PER_THREAD; i++) {
		uint64_t node = 10000 + (uint64_t)w->id * 1000 + i;
		struct fc_attr_out ao;

		memset(&ao, 0, sizeof(ao));
		if (do_getattr(w->c, node, &ao) != (int)sizeof(ao) ||
		    ao.attr.ino != node || ao.attr.size != node * 3)
			w->failures++;
		if (i % 16 == 0) {
			/* Some data too: a 4 KiB READ at a thread-specific offset. */
			unsigned char b[4096];
			uint64_t off = (uint64_t)w->id * 8192;
			unsigned k;

			if (do_read(w->c, off, b, sizeof(b)) != (int)sizeof(b))
				w->failures++;
			for (k = 0; k < sizeof(b); k++)
				if (b[k] != pat(off + k)) {
					w->failures++;
					break;
				}
		}
	}
	return NULL;
}

/*
 * Many requests in flight from several threads: the fake daemon holds the
 * first NTHREADS GETATTRs until all are in (proof they were in flight at
 * once), answers them in reverse order, then each thread does PER_THREAD
 * round trips checking that every reply is its own.
 */
START_TEST(test_inflight_threads)
{
	struct setup s;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct fc_fd_stats st;
	unsigned i;

	if (setup_start(&s, _i, 0, 0))
		return;
	s.f.hold = NTHREADS;
	setup_init(&s);
	for (i = 0; i < NTHREADS; i++) {
		w[i].c = s.c;
		w[i].id = i;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, getattr_worker,
						&w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	pthread_mutex_lock(&s.f.lock);
	ck_assert_uint_eq(s.f.hold, 0); /* the hold was released: all 8 at once */
	ck_assert_uint_eq(s.f.bad_frames, 0);
	pthread_mutex_unlock(&s.f.lock);
	fc_fd_transport_stats(s.t, &st);
	ck_assert_uint_eq(st.rx_rejected, 0);
	ck_assert_uint_eq(st.rx_msgs, st.tx_msgs);
	setup_finish(&s);
}
END_TEST

struct big_reader {
	struct fc_conn *c;
	uint64_t off;
	int ok;
};

static void *big_read_worker(void *arg)
{
	struct big_reader *r = arg;
	unsigned char *b = malloc(MIB);
	size_t k;

	r->ok = 0;
	if (!b)
		return NULL;
	if (do_read(r->c, r->off, b, MIB) == (int)MIB) {
		r->ok = 1;
		for (k = 0; k < MIB; k++)
			if (b[k] != pat(r->off + k)) {
				r->ok = 0;
				break;
			}
	}
	free(b);
	return NULL;
}

/* 1 MiB WRITE and 1 MiB READ reply through sized socket buffers. */
START_TEST(test_big_io)
{
	struct setup s;
	unsigned char *data, *back;
	struct big_reader rd[4];
	pthread_t th[4];
	unsigned i;

	if (setup_start(&s, _i, FC_FD_DEFAULT_SOCKBUF, 0))
		return;
	setup_init(&s);
	data = pattern_copy(4096, MIB);
	ck_assert_int_eq(do_write(s.c, 4096, data, MIB), (int)MIB);
	/* A corrupted byte is caught by the daemon: the check is real. */
	data[MIB / 2] ^= 1;
	ck_assert_int_eq(do_write(s.c, 4096, data, MIB), -EIO);
	free(data);

	back = malloc(MIB);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq(do_read(s.c, 0, back, MIB), (int)MIB);
	for (i = 0; i < MIB; i++)
		if (back[i] != pat(i))
			break;
	ck_assert_uint_eq(i, MIB);
	free(back);

	/* Four 1 MiB replies at once (more than the multishot buffers in use). */
	for (i = 0; i < 4; i++) {
		rd[i].c = s.c;
		rd[i].off = (uint64_t)i * 4096;
		ck_assert_int_eq(pthread_create(&th[i], NULL, big_read_worker,
						&rd[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert(rd[i].ok);
	}
	pthread_mutex_lock(&s.f.lock);
	ck_assert_uint_eq(s.f.bad_data, 1);
	ck_assert_uint_eq(s.f.bad_frames, 0);
	pthread_mutex_unlock(&s.f.lock);
	setup_finish(&s);
}
END_TEST

/* Without sized buffers a 1 MiB WRITE fails cleanly with EMSGSIZE. */
START_TEST(test_unsized_emsgsize)
{
	struct setup s;
	struct fc_attr_out ao;
	unsigned char *data;
	size_t lim = 0;
	int fd, val = 0;
	socklen_t vl = sizeof(val);

	if (setup_start(&s, _i, 0, 0))
		return;
	setup_init(&s);
	fd = fc_fd_transport_fd(s.t);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, &vl), 0);
	lim = (size_t)val - 32;
	if (lim >= fc_fd_msg_size(MIB)) {
		fprintf(stderr, "SKIP: default socket buffers already fit 1 MiB\n");
		setup_finish(&s);
		return;
	}
	data = pattern_copy(0, MIB);
	ck_assert_int_eq(do_write(s.c, 0, data, MIB), -EMSGSIZE);
	/* What fits still goes. */
	ck_assert_int_eq(do_write(s.c, 0, data, 64 * 1024), 64 * 1024);
	free(data);
	ck_assert_int_eq(do_getattr(s.c, 5, &ao), (int)sizeof(ao));
	setup_finish(&s);
}
END_TEST

/* A reply longer than the receive buffer fails its request with EIO. */
START_TEST(test_truncated_reply)
{
	struct setup s;
	struct fc_attr_out ao;
	struct fc_fd_stats st;
	unsigned char *b = malloc(100 * 1024);

	ck_assert_ptr_nonnull(b);
	if (setup_start(&s, _i, FC_FD_DEFAULT_SOCKBUF, 64 * 1024)) {
		free(b);
		return;
	}
	setup_init(&s);
	ck_assert_int_eq(do_read(s.c, 0, b, 60 * 1024), 60 * 1024);
	ck_assert_int_eq(do_read(s.c, 0, b, 100 * 1024), -EIO);
	/* The rest of the long message was dropped with it: framing holds. */
	ck_assert_int_eq(do_getattr(s.c, 9, &ao), (int)sizeof(ao));
	ck_assert_uint_eq(ao.attr.ino, 9);
	fc_fd_transport_stats(s.t, &st);
	ck_assert_uint_eq(st.rx_truncated, 1);
	ck_assert_uint_eq(st.rx_rejected, 1);
	free(b);
	setup_finish(&s);
}
END_TEST

struct waiter {
	struct fc_conn *c;
	uint64_t node;
	int result;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct fc_attr_out ao;

	w->result = do_getattr(w->c, w->node, &ao);
	return NULL;
}

/* The daemon closes its end with requests in flight: all get ENOTCONN. */
START_TEST(test_daemon_close)
{
	struct setup s;
	struct waiter w[6];
	pthread_t th[6];
	struct fc_attr_out ao;
	unsigned i;

	if (setup_start(&s, _i, 0, 0))
		return;
	s.f.close_after = 6;
	setup_init(&s);
	for (i = 0; i < 6; i++) {
		w[i].c = s.c;
		w[i].node = 50 + i;
		w[i].result = 1;
		ck_assert_int_eq(pthread_create(&th[i], NULL, waiter_main, &w[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].result, -ENOTCONN);
	}
	ck_assert_int_eq(fc_conn_state(s.c), FC_CONN_ABORTED);
	ck_assert_int_eq(do_getattr(s.c, 3, &ao), -ENOTCONN);
	setup_finish(&s);
}
END_TEST

/* The daemon goes away before answering INIT. */
START_TEST(test_daemon_close_before_init)
{
	struct setup s;

	if (setup_start(&s, _i, 0, 0))
		return;
	pthread_mutex_lock(&s.f.lock);
	/* The fake thread is already running; shut its end under the lock. */
	shutdown(s.f.fd, SHUT_RDWR);
	pthread_mutex_unlock(&s.f.lock);
	ck_assert_int_eq(fc_conn_init(s.c), -ENOTCONN);
	ck_assert_int_eq(fc_conn_state(s.c), FC_CONN_ABORTED);
	setup_finish(&s);
}
END_TEST

/* fc_fd_transport_shutdown() (a watchdog) fails the waiters too. */
START_TEST(test_local_shutdown)
{
	struct setup s;
	struct waiter w;
	pthread_t th;

	if (setup_start(&s, _i, 0, 0))
		return;
	s.f.hold = 2; /* holds the first GETATTR: it stays in flight */
	setup_init(&s);
	w.c = s.c;
	w.node = 77;
	w.result = 1;
	ck_assert_int_eq(pthread_create(&th, NULL, waiter_main, &w), 0);
	pthread_mutex_lock(&s.f.lock);
	while (s.f.nheld < 1)
		pthread_cond_wait(&s.f.cond, &s.f.lock);
	pthread_mutex_unlock(&s.f.lock);
	fc_fd_transport_shutdown(s.t);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.result, -ENOTCONN);
	ck_assert_int_eq(fc_conn_state(s.c), FC_CONN_ABORTED);
	setup_finish(&s);
}
END_TEST

struct bg_count {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done, ok;
};

static void bg_end(struct fc_conn *c, struct fc_args *a, int error, void *ctx)
{
	struct bg_count *b = ctx;

	(void)c;
	(void)a;
	pthread_mutex_lock(&b->lock);
	b->done++;
	if (error >= 0)
		b->ok++;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * The receiver thread sends (the next background request, started by a
 * completion) while the socket is full: the send is queued instead of
 * blocking the receiver, and goes out once the daemon drains the socket.
 */
static void deferred_send(int path, int close_instead)
{
	enum { NBG = 3, WSIZE = 16 * 1024 };
	struct setup s;
	struct bg_count bc = { .done = 0 };
	struct fc_args a[NBG];
	struct fc_write_in in[NBG];
	struct fc_write_out out[NBG];
	struct fc_fd_stats st;
	unsigned char *data = pattern_copy(0, WSIZE);
	unsigned char filler[2048];
	struct fc_in_header fh;
	size_t lim = 0;
	unsigned i, nfill = 0;
	int fd;

	unsigned logged0;

	if (setup_start(&s, path, 0, 0)) {
		free(data);
		return;
	}
	s.f.max_background = 1;
	s.f.hold_first_write = 1;
	s.f.close_on_drain = close_instead;
	pthread_mutex_lock(&log_lock);
	logged0 = deferred_logged;
	pthread_mutex_unlock(&log_lock);
	setup_init(&s);
	ck_assert_uint_eq(fc_conn_info(s.c)->max_background, 1);
	fd = fc_fd_transport_fd(s.t);
	/* A small send buffer, so that it fills quickly. */
	ck_assert_int_eq(fc_fd_size_socket_buffers(fd, 64 * 1024, &lim), 0);

	pthread_mutex_init(&bc.lock, NULL);
	pthread_cond_init(&bc.cond, NULL);
	for (i = 0; i < NBG; i++) {
		fill_write(&a[i], &in[i], &out[i], 2, 0, data, WSIZE);
		a[i].flags |= FC_ARGS_FORCE; /* queue without waiting for a slot */
		ck_assert_int_eq(fc_conn_send_bg(s.c, &a[i], bg_end, &bc), 0);
	}
	/* The first WRITE is with the daemon, held; the others wait in the core. */
	pthread_mutex_lock(&s.f.lock);
	while (!s.f.write1_seen)
		pthread_cond_wait(&s.f.cond, &s.f.lock);
	pthread_mutex_unlock(&s.f.lock);

	/* Fill our socket until it refuses more. */
	memset(filler, 0, sizeof(filler));
	memset(&fh, 0, sizeof(fh));
	fh.len = sizeof(filler);
	fh.opcode = OP_FILLER;
	memcpy(filler, &fh, sizeof(fh));
	while (send(fd, filler, sizeof(filler), MSG_DONTWAIT | MSG_NOSIGNAL) ==
	       (ssize_t)sizeof(filler))
		nfill++;
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_gt(nfill, 0);

	/* Now the first reply: its completion sends WRITE 2 on the receiver. */
	pthread_mutex_lock(&s.f.lock);
	s.f.go = 1;
	pthread_cond_broadcast(&s.f.cond);
	pthread_mutex_unlock(&s.f.lock);

	/* The receiver queued WRITE 2 instead of blocking: let the daemon read. */
	pthread_mutex_lock(&log_lock);
	while (deferred_logged == logged0)
		pthread_cond_wait(&log_cond, &log_lock);
	pthread_mutex_unlock(&log_lock);
	pthread_mutex_lock(&s.f.lock);
	s.f.drain = 1;
	pthread_cond_broadcast(&s.f.cond);
	pthread_mutex_unlock(&s.f.lock);

	pthread_mutex_lock(&bc.lock);
	while (bc.done < NBG)
		pthread_cond_wait(&bc.cond, &bc.lock);
	pthread_mutex_unlock(&bc.lock);
	fc_fd_transport_stats(s.t, &st);
	ck_assert_uint_ge(st.tx_deferred, 1);
	if (close_instead) {
		/* WRITE 1 was answered; the queued WRITE 2 and WRITE 3 failed. */
		ck_assert_int_eq(bc.ok, 1);
		ck_assert_int_eq(fc_conn_state(s.c), FC_CONN_ABORTED);
	} else {
		ck_assert_int_eq(bc.ok, NBG);
		pthread_mutex_lock(&s.f.lock);
		ck_assert_uint_eq(s.f.nfiller, nfill);
		ck_assert_uint_eq(s.f.bad_data, 0);
		ck_assert_uint_eq(s.f.bad_frames, 0);
		pthread_mutex_unlock(&s.f.lock);
	}
	free(data);
	setup_finish(&s);
	pthread_cond_destroy(&bc.cond);
	pthread_mutex_destroy(&bc.lock);
}

START_TEST(test_deferred_send)
{
	deferred_send(_i, 0);
}
END_TEST

/*
 * The same, but the daemon goes away while the receiver holds the queued
 * send: every background request still completes (no hang).
 */
START_TEST(test_deferred_send_close)
{
	deferred_send(_i, 1);
}
END_TEST

/* Creation checks: wrong kinds of fd, versions, paths. */
START_TEST(test_new_errors)
{
	const struct fc_platform *p = plat();
	struct fc_fd_config cfg;
	struct fc_transport *t = NULL;
	int sv[2], pfd[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fc_fd_config_default(&cfg, sv[0]);
	ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), -EPROTOTYPE);
	/* The fd was taken over and closed. */
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);
	close(sv[1]);

	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	fc_fd_config_default(&cfg, pfd[0]);
	ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), -ENOTSOCK);
	close(pfd[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fc_fd_config_default(&cfg, sv[0]);
	cfg.version = 99;
	ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), -EINVAL);
	fc_fd_config_default(&cfg, sv[1]);
	cfg.uring_bufs = 3; /* not a power of two */
	ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), -EINVAL);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fc_fd_config_default(&cfg, sv[0]);
	cfg.io = FC_FD_IO_URING;
	if (fc_fd_uring_available()) {
		ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), 0);
		ck_assert_int_eq(fc_fd_transport_io(t), FC_FD_IO_URING);
		/* Multishot receive exists since Linux 6.0. */
		ck_assert_int_eq(fc_fd_transport_multishot(t), 1);
		t->ops->destroy(t);
	} else {
		ck_assert_int_eq(fc_fd_transport_new(p, &cfg, &t), -EOPNOTSUPP);
	}
	close(sv[1]);

	ck_assert_uint_eq(fc_fd_msg_size(0), MIB + 4096 + FC_FD_MSG_SLACK);
	ck_assert_uint_eq(fc_fd_msg_size(4096), MIB + 4096);
}
END_TEST

static Suite *fd_suite(void)
{
	Suite *s = suite_create("fd_transport");
	TCase *tc = tcase_create("paths");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_framing, 0, NPATHS);
	tcase_add_loop_test(tc, test_inflight_threads, 0, NPATHS);
	tcase_add_loop_test(tc, test_big_io, 0, NPATHS);
	tcase_add_loop_test(tc, test_unsized_emsgsize, 0, NPATHS);
	tcase_add_loop_test(tc, test_truncated_reply, 0, NPATHS);
	tcase_add_loop_test(tc, test_daemon_close, 0, NPATHS);
	tcase_add_loop_test(tc, test_daemon_close_before_init, 0, NPATHS);
	tcase_add_loop_test(tc, test_local_shutdown, 0, NPATHS);
	tcase_add_loop_test(tc, test_deferred_send, 0, NPATHS);
	tcase_add_loop_test(tc, test_deferred_send_close, 0, NPATHS);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_new_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fd_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
