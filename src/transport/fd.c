/*
 * The fd transport: /dev/fuse framing over a message-preserving socket.
 *
 * One request is one sendmsg(2) of the connection's iov pieces; one reply
 * or notification is one message read whole.  SOCK_SEQPACKET (and
 * SOCK_DGRAM) sockets queue a message atomically, so concurrent senders
 * need no lock; a daemon on the other end that read()s and writev()s sees
 * exactly what /dev/fuse would give it.
 *
 * A receiver thread, started when the connection attaches, reads messages
 * and calls fc_conn_deliver().  Two completion paths, chosen at creation:
 *
 *  - syscalls: the thread blocks in recvmsg(2) on one preallocated buffer;
 *  - io_uring: a multishot IORING_OP_RECV with a ring of provided buffers
 *    (single-shot receive SQEs on one buffer if the kernel lacks them).
 *    The thread submits re-arms, buffer returns and queued sends together
 *    with each wait (io_uring_submit_and_wait) and handles every
 *    completion that is ready per wake-up.
 *
 * Sends from the receiver thread.  Completing a background request makes
 * the connection send the next queued one from inside fc_conn_deliver(),
 * i.e. on the receiver thread.  If that send blocked on a full socket, the
 * receiver would stop reading, the daemon could block writing its replies,
 * and neither side would move.  So on the receiver thread a send is tried
 * with MSG_DONTWAIT and, if the socket is full, the message is copied into
 * a FIFO (the only allocation, and only then) that the receiver drains when
 * the socket becomes writable (poll(2) for POLLOUT on the syscall path, an
 * IORING_OP_SENDMSG at a time on the io_uring path) while it goes on
 * reading.  Other threads simply block in sendmsg(2).
 *
 * Caller-driven receive (syscall path).  A reply that goes through the
 * receiver thread costs a third thread switch per round trip (daemon,
 * receiver, caller; Linux has two).  So the connection's caller, instead
 * of sleeping, reads the socket itself through the recv hook
 * (fusecore/transport.h) and delivers on its own thread: one socket
 * reader at a time, the holder of a token.  The receiver thread holds the
 * token only while no caller has read for FD_IDLE_NS, or while background
 * requests are in flight (their replies and notifications need a reader
 * when no caller waits); otherwise it parks.  A caller that finds the
 * receiver reading waits for its next delivery instead.  Whoever holds
 * the token owns the deferred-send queue below.
 *
 * Adaptive polling.  A caller may poll (recvmsg with MSG_DONTWAIT) for a
 * bounded time before it blocks: spinning keeps the caller's CPU hot but
 * makes the daemon run on the other CPU, blocking lets the kernel run the
 * daemon where the caller was (a synchronous wake-up) but adds a wake-up.
 * Which is faster depends on the daemon and the machine, so the transport
 * measures both: it compares the mean time from one reply to the next in
 * each mode, uses the faster one and re-tries the other for a few requests
 * every so often (less often while the choice holds; fd_spin_learn()).  A
 * poll lasts one and a half times the recent wait for a reply, at most
 * FD_SPIN_MAX_NS, then the caller blocks (with a bound,
 * FD_RECV_TIMEOUT_MS, so that an abort is noticed); polling that misses
 * more often than not is given up until it catches replies again.
 *
 * Shutdown.  Detaching the connection shuts the socket down, which ends
 * the receiver's recvmsg (or its multishot receive) with 0 bytes, then
 * joins the thread; destroy closes the socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifdef FUSECORE_HAVE_LIBURING
#include <liburing.h>
#endif

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

/* The core never sends more than a header and four input pieces. */
#define FD_MAX_IOV 16
/* Unix sockets refuse a message longer than sk_sndbuf - 32 (af_unix.c). */
#define FD_SNDBUF_OVERHEAD 32

#define FD_URING_ENTRIES 64
#define FD_URING_BUFS 4
#define FD_URING_BGID 7
/* user_data of the ring's two kinds of operations. */
#define FD_UD_RECV 1
#define FD_UD_SEND 2

/* Caller-driven receive and adaptive polling (syscall path). */
#define FD_IDLE_NS (1000u * 1000u)        /* receiver resumes after this */
#define FD_RECV_TIMEOUT_MS 100            /* bound of one blocking read */
#define FD_SPIN_MIN_NS 2000u
#define FD_SPIN_MAX_NS 50000u
#define FD_SPIN_INITIAL_NS 20000u
#define FD_SPIN_EPOCH_MIN 64              /* reads in the chosen mode ... */
#define FD_SPIN_EPOCH_MAX 2048            /* ... growing while it stays best */
#define FD_SPIN_EXPLORE_LEN 16            /* reads in the other mode */
#define FD_SPIN_SETTLE 4                  /* reads not counted after a switch */
#define FD_SPIN_CYCLE_MAX_NS (1000u * 1000u) /* longer: not a cycle */

enum fd_token { FD_TOK_NONE = 0, FD_TOK_RX, FD_TOK_CALLER };

/* The adaptive polling policy; only the token holder touches it. */
struct fd_spin {
	int mode;            /* 1: poll before blocking; 0: block at once */
	unsigned exploring;  /* 1: trying the other mode */
	unsigned n;          /* reads in this part of the epoch */
	unsigned epoch;      /* reads in the chosen mode per epoch */
	uint64_t sum[2], cnt[2]; /* counted latencies: [0] chosen, [1] other */
	uint64_t all;        /* moving average of the wait for a reply (ns) */
	uint64_t last_ns;    /* when the previous caller read got its message */
	unsigned hitrate;    /* moving share of polls that caught the reply, /1024 */
	uint64_t spins, spin_hits; /* counters */
};

/* A send the receiver thread could not make at once (socket full). */
struct fd_deferred {
	struct fd_deferred *next;
	size_t len;
	uint64_t unique;	/* of the request, to fail it if the send fails */
	int noreply;
	struct msghdr msg;	/* for IORING_OP_SENDMSG: lives until its CQE */
	struct iovec iov;
	unsigned char data[];
};

struct fd_transport {
	struct fc_transport base;	/* first: the core sees only this */
	const struct fc_platform *plat;
	int fd;
	enum fc_fd_io io;
	size_t bufsize;
	/* Syscall path and single-shot io_uring receive. */
	unsigned char *buf;

	struct fc_conn *conn;
	pthread_t rx;
	int rx_started;
	atomic_int gone;	/* the daemon's end is gone: sends fail */
	atomic_int stopping;	/* detaching: the end is ours, no abort */
	atomic_int shut;	/* shutdown(2) done once */

	/* Receiver-thread sends waiting for room; only that thread touches them. */
	struct fd_deferred *dq_head, *dq_tail;

	/* Counters (struct fc_fd_stats). */
	atomic_uint_fast64_t rx_msgs, rx_bytes, rx_rejected, rx_truncated;
	atomic_uint_fast64_t rx_wakeups, uring_rearms, tx_deferred;
	atomic_uint_fast64_t tx_msgs, tx_bytes;

#ifdef FUSECORE_HAVE_LIBURING
	struct io_uring ring;
	int ring_ready;
	struct io_uring_buf_ring *br;
	size_t br_len;		/* bytes mapped for br (manual setup) */
	unsigned char *bufs;	/* nbufs * bufsize, mmap()ed */
	unsigned nbufs;
	int multishot;
	int send_inflight;
#endif
	unsigned uring_entries;

	/*
	 * Caller-driven receive (syscall path): who reads the socket.
	 * Everything below tok_lock is under it, except @spin (token holder).
	 */
	int caller_recv;          /* enabled (the syscall path) */
	pthread_mutex_t tok_lock;
	pthread_cond_t tok_cv;    /* token freed, delivery, receiver wanted */
	enum fd_token tok_holder;
	unsigned tok_waiters;     /* callers waiting for the token */
	atomic_int rx_wanted;     /* background in flight: the receiver reads */
	uint64_t delivered;       /* messages delivered by token holders */
	uint64_t caller_ns;       /* when a caller last read (or wanted to) */
	atomic_int rx_parked;     /* the receiver waits for the token */
	uint64_t caller_reads;    /* messages callers delivered */
	long spin_fixed;          /* FUSECORE_FD_SPIN_NS: fixed budget, -1 adaptive */
	struct fd_spin spin;
};

/* The transport whose receiver runs on this thread (NULL elsewhere). */
static _Thread_local struct fd_transport *fd_rx_self;

static struct fd_transport *to_fd(struct fc_transport *t)
{
	return (struct fd_transport *)t;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void fd_log(struct fd_transport *ft, enum fc_log_level lvl,
		   const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!ft->plat->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ft->plat->log(ft->plat->ctx, lvl, msg);
}

/* Counters are read by other threads: relaxed atomic increments. */
#define FD_COUNT(ft, field, n) \
	atomic_fetch_add_explicit(&(ft)->field, (n), memory_order_relaxed)

size_t fc_fd_msg_size(uint32_t max_write)
{
	size_t n = (size_t)(max_write ? max_write : FC_FD_DEFAULT_MAX_WRITE) +
		   4096 + FC_FD_MSG_SLACK;
	size_t floor = 1024 * 1024 + 4096;

	return n < floor ? floor : n;
}

void fc_fd_config_default(struct fc_fd_config *cfg, int fd)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_FD_CONFIG_VERSION;
	cfg->fd = fd;
	cfg->kind = FC_TRANSPORT_FUSE_DEV;
	cfg->io = FC_FD_IO_AUTO;
	cfg->max_write = FC_FD_DEFAULT_MAX_WRITE;
}

/* Errors that mean the other end is gone. */
static int fd_peer_gone_errno(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	       e == ESHUTDOWN || e == EBADF || e == ECONNREFUSED;
}

/* ---- receiving ------------------------------------------------------------ */

/*
 * recv() gave 0 bytes: the peer shut down, or it sent an empty message
 * (legal on SOCK_SEQPACKET).  Tell them apart without consuming anything.
 */
static int fd_at_eof(struct fd_transport *ft)
{
	struct pollfd p = { .fd = ft->fd, .events = POLLIN | POLLRDHUP };

	if (atomic_load(&ft->shut) || atomic_load(&ft->stopping))
		return 1;
	if (poll(&p, 1, 0) < 0)
		return 1;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* Hand one received message to the connection. */
static void fd_deliver(struct fd_transport *ft, const unsigned char *msg,
		       size_t len)
{
	int r;

	FD_COUNT(ft, rx_msgs, 1);
	FD_COUNT(ft, rx_bytes, len);
	if (len >= sizeof(uint32_t)) {
		uint32_t hlen;

		memcpy(&hlen, msg, sizeof(hlen));
		/* A full buffer may hide a longer message cut short. */
		if (hlen > len && len == ft->bufsize)
			FD_COUNT(ft, rx_truncated, 1);
	}
	r = fc_conn_deliver(ft->conn, msg, len);
	if (r < 0) {
		FD_COUNT(ft, rx_rejected, 1);
		fd_log(ft, FC_LOG_DEBUG,
		       "fd transport: daemon message rejected (%d)", r);
	}
}

/*
 * The daemon is gone: fail everything.  Idempotent, and called by every
 * thread that notices (receiver or sender) before it reports -ENOTCONN,
 * so that the connection is aborted by the time any caller sees the
 * error: fc_conn_init() must say -ENOTCONN, not take a failed INIT send
 * for a refusal.  Nothing is aborted while detaching (the connection is
 * going away and did its own abort).
 */
static void fd_peer_gone(struct fd_transport *ft, int err)
{
	if (!atomic_exchange(&ft->gone, 1) && err &&
	    !atomic_load(&ft->stopping))
		fd_log(ft, FC_LOG_INFO, "fd transport: daemon gone (errno %d)",
		       err);
	if (!atomic_load(&ft->stopping) && ft->conn)
		fc_conn_abort(ft->conn);
	if (ft->caller_recv) {
		/* A parked receiver and waiting callers learn it too. */
		pthread_mutex_lock(&ft->tok_lock);
		pthread_cond_broadcast(&ft->tok_cv);
		pthread_mutex_unlock(&ft->tok_lock);
	}
}

static uint64_t fd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Absolute CLOCK_MONOTONIC deadline @ns from now, for the token waits. */
static void fd_deadline(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec += (long)(ns % 1000000000u);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void fd_drop_deferred(struct fd_transport *ft)
{
	while (ft->dq_head) {
		struct fd_deferred *d = ft->dq_head;

		ft->dq_head = d->next;
		ft->plat->free(ft->plat->ctx, d);
	}
	ft->dq_tail = NULL;
}

/* ---- sending --------------------------------------------------------------- */

static int fd_sendmsg(struct fd_transport *ft, struct msghdr *m, size_t total,
		      int flags)
{
	ssize_t n;

	do {
		n = sendmsg(ft->fd, m, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != total)
		return -EIO; /* cannot happen on a message socket */
	FD_COUNT(ft, tx_msgs, 1);
	FD_COUNT(ft, tx_bytes, total);
	return 0;
}

/*
 * A queued send failed for good: the connection believes the request is
 * with the daemon, so answer it ourselves with the error (as a reply the
 * connection validates like any other), instead of leaving it pending.
 */
static void fd_fail_deferred(struct fd_transport *ft,
			     const struct fd_deferred *d, int err)
{
	struct fc_out_header oh;

	fd_log(ft, FC_LOG_WARN, "fd transport: queued send failed (%d)", err);
	if (d->noreply || !ft->conn)
		return;
	if (err >= 0 || err < -511)
		err = -EIO;
	memset(&oh, 0, sizeof(oh));
	oh.len = sizeof(oh);
	oh.error = err;
	oh.unique = d->unique;
	fc_conn_deliver(ft->conn, &oh, sizeof(oh));
}

/* Receiver thread, socket full: keep a copy for later (FIFO). */
static int fd_defer(struct fd_transport *ft, const struct iovec *v,
		    unsigned n, size_t total, const struct fc_send_info *info)
{
	struct fd_deferred *d;
	size_t off = 0;
	unsigned i;

	d = ft->plat->alloc(ft->plat->ctx, sizeof(*d) + total);
	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	for (i = 0; i < n; i++) {
		memcpy(d->data + off, v[i].iov_base, v[i].iov_len);
		off += v[i].iov_len;
	}
	d->len = total;
	d->unique = info ? info->unique : 0;
	d->noreply = info ? info->noreply : 1;
	d->iov.iov_base = d->data;
	d->iov.iov_len = total;
	d->msg.msg_iov = &d->iov;
	d->msg.msg_iovlen = 1;
	if (ft->dq_tail)
		ft->dq_tail->next = d;
	else
		ft->dq_head = d;
	ft->dq_tail = d;
	FD_COUNT(ft, tx_deferred, 1);
	fd_log(ft, FC_LOG_DEBUG,
	       "fd transport: socket full, send deferred (%zu bytes)", total);
	return 0;
}

static int fd_send(struct fc_transport *t, const struct fc_iov *iov,
		   unsigned niov, const struct fc_send_info *info)
{
	struct fd_transport *ft = to_fd(t);
	struct iovec v[FD_MAX_IOV];
	struct msghdr m;
	size_t total = 0;
	unsigned i, n = 0;
	int err;

	if (niov > FD_MAX_IOV)
		return -EINVAL;
	for (i = 0; i < niov; i++) {
		if (!iov[i].len)
			continue;
		v[n].iov_base = (void *)iov[i].base;
		v[n].iov_len = iov[i].len;
		total += iov[i].len;
		n++;
	}
	if (atomic_load(&ft->gone)) {
		fd_peer_gone(ft, 0);
		return -ENOTCONN;
	}
	memset(&m, 0, sizeof(m));
	m.msg_iov = v;
	m.msg_iovlen = n;

	if (fd_rx_self == ft) {
		/* Keep this thread's own sends in order behind the queue. */
		if (ft->dq_head)
			return fd_defer(ft, v, n, total, info);
		err = fd_sendmsg(ft, &m, total, MSG_DONTWAIT);
		if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS)
			return fd_defer(ft, v, n, total, info);
	} else {
		err = fd_sendmsg(ft, &m, total, 0);
		/*
		 * A background request's reply may have nobody to read it: the
		 * parked receiver is to take over if no caller reads before it
		 * leaves, or at once for page-cache I/O (writeback WRITEs,
		 * readahead READs), which is waited for outside the
		 * connection.  A RELEASE's reply usually comes in while the
		 * next caller reads: waking the receiver for it would only
		 * make the two contend.
		 */
		if (!err && ft->caller_recv &&
		    atomic_load_explicit(&ft->rx_parked, memory_order_relaxed) &&
		    ft->conn && fc_conn_num_background(ft->conn)) {
			int now = info && (info->opcode == FC_WRITE ||
					   info->opcode == FC_READ);

			pthread_mutex_lock(&ft->tok_lock);
			atomic_store(&ft->rx_wanted, 1);
			if (now)
				pthread_cond_broadcast(&ft->tok_cv);
			pthread_mutex_unlock(&ft->tok_lock);
		}
	}
	if (err && fd_peer_gone_errno(-err)) {
		/*
		 * Abort before the caller learns of the failure, so that the
		 * connection reports the daemon's end (-ENOTCONN everywhere,
		 * INIT included) rather than a failed request.
		 */
		fd_peer_gone(ft, -err);
		return -ENOTCONN;
	}
	return err;
}

/* Syscall path: write out what the socket takes now; 0, or -errno if gone. */
static int fd_flush_deferred(struct fd_transport *ft)
{
	while (ft->dq_head) {
		struct fd_deferred *d = ft->dq_head;
		int err = fd_sendmsg(ft, &d->msg, d->len, MSG_DONTWAIT);

		if (err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS)
			return 0;
		ft->dq_head = d->next;
		if (!ft->dq_head)
			ft->dq_tail = NULL;
		if (err)
			fd_fail_deferred(ft, d, err);
		ft->plat->free(ft->plat->ctx, d);
		if (err && fd_peer_gone_errno(-err))
			return err;
	}
	return 0;
}

/* ---- the syscall receiver and caller-driven receive ------------------------------ */

/* fd_read_one() result for end of file (the peer shut down). */
#define FD_EOF (-ESHUTDOWN)

/*
 * Read and deliver one message, as the token holder.  First polls for up
 * to @spin_ns (non-blocking reads), then blocks, bounded by the socket's
 * receive timeout (FD_RECV_TIMEOUT_MS).  Writes out deferred sends when
 * the socket takes them.  Returns 1 (delivered), 0 (nothing yet), FD_EOF
 * or another -errno (the peer is gone).
 */
static int fd_read_one(struct fd_transport *ft, uint64_t spin_ns)
{
	struct iovec v = { .iov_base = ft->buf, .iov_len = ft->bufsize };
	struct msghdr m;
	ssize_t n = -1;
	int e = EAGAIN;

	if (ft->dq_head) {
		struct pollfd p = { .fd = ft->fd, .events = POLLIN | POLLOUT };
		int pr = poll(&p, 1, FD_RECV_TIMEOUT_MS);

		if (pr < 0)
			return errno == EINTR ? 0 : -errno;
		if ((p.revents & (POLLOUT | POLLERR | POLLHUP)) &&
		    fd_flush_deferred(ft) < 0)
			return -EPIPE;
		if (!(p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
			return 0;
		spin_ns = 0;
	}
	memset(&m, 0, sizeof(m));
	m.msg_iov = &v;
	m.msg_iovlen = 1;
	if (spin_ns) {
		uint64_t t0 = fd_now_ns();

		for (;;) {
			n = recvmsg(ft->fd, &m, MSG_DONTWAIT);
			if (n >= 0)
				break;
			e = errno;
			if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR)
				break;
			if (fd_now_ns() - t0 >= spin_ns)
				break;
			fd_cpu_relax();
		}
	}
	if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)) {
		n = recvmsg(ft->fd, &m, 0);
		e = n < 0 ? errno : 0;
	}
	if (n < 0)
		return e == EINTR || e == EAGAIN || e == EWOULDBLOCK ? 0 : -e;
	if (n == 0 && fd_at_eof(ft))
		return FD_EOF;
	FD_COUNT(ft, rx_wakeups, 1);
	/* A truncated message (MSG_TRUNC) is counted by fd_deliver. */
	fd_deliver(ft, ft->buf, (size_t)n);
	return 1;
}

/* How long the next caller read polls before it blocks (0: it blocks). */
static uint64_t fd_spin_budget(const struct fd_transport *ft)
{
	const struct fd_spin *sp = &ft->spin;
	int mode = sp->exploring ? !sp->mode : sp->mode;
	uint64_t b;

	if (ft->spin_fixed >= 0)
		return (uint64_t)ft->spin_fixed;
	if (!mode)
		return 0;
	/* Long enough for the usual reply, bounded. */
	b = sp->all ? sp->all + sp->all / 2 : FD_SPIN_INITIAL_NS;
	if (b < FD_SPIN_MIN_NS)
		b = FD_SPIN_MIN_NS;
	if (b > FD_SPIN_MAX_NS)
		b = FD_SPIN_MAX_NS;
	return b;
}

/*
 * Learn from one read that waited @wait ns for its message after polling
 * for up to @spun ns, @cycle ns after the previous caller read's message.
 * Epochs: sp->epoch reads in the current mode, then FD_SPIN_EXPLORE_LEN
 * in the other; the first FD_SPIN_SETTLE reads after each switch are not
 * counted (where the daemon runs follows the mode with a delay).  The
 * means of the counted reads decide the mode; each epoch that confirms it
 * doubles the next one (up to FD_SPIN_EPOCH_MAX), so that trying the
 * worse mode costs little once it is known to be worse.
 */
static void fd_spin_learn(struct fd_transport *ft, uint64_t spun, uint64_t wait,
			  uint64_t cycle)
{
	struct fd_spin *sp = &ft->spin;
	unsigned side = sp->exploring;

	/* The polling budget follows the wait for replies... */
	sp->all = sp->all ? (sp->all * 7 + wait) / 8 : wait;
	if (spun) {
		int hit = wait <= spun;

		sp->spins++;
		sp->spin_hits += (uint64_t)hit;
		sp->hitrate = (sp->hitrate * 7 + (hit ? 1024u : 0u)) / 8;
		/*
		 * Polling that mostly misses (replies slower than any bounded
		 * poll) only burns the CPU: block until an exploration shows
		 * that polling catches replies again.
		 */
		if (!sp->exploring && sp->mode && sp->hitrate < 512) {
			sp->mode = 0;
			sp->epoch = FD_SPIN_EPOCH_MIN;
		}
	}
	/* ... the choice of mode follows the whole cycle. */
	if (++sp->n > FD_SPIN_SETTLE) {
		sp->sum[side] += cycle;
		sp->cnt[side]++;
	}
	if (!side && sp->n >= sp->epoch) {
		sp->exploring = 1;
		sp->n = 0;
		sp->sum[1] = sp->cnt[1] = 0;
	} else if (side && sp->n >= FD_SPIN_EXPLORE_LEN) {
		uint64_t here = sp->cnt[0] ? sp->sum[0] / sp->cnt[0] : 0;
		uint64_t there = sp->cnt[1] ? sp->sum[1] / sp->cnt[1] : 0;

		/* The other is faster (polling: if it catches replies too). */
		if (here && there && there + there / 16 < here &&
		    (sp->mode || sp->hitrate >= 512)) {
			sp->mode = !sp->mode;
			sp->epoch = FD_SPIN_EPOCH_MIN;
		} else if (sp->epoch < FD_SPIN_EPOCH_MAX) {
			sp->epoch *= 2;
		}
		sp->exploring = 0;
		sp->n = 0;
		sp->sum[0] = sp->cnt[0] = 0;
	}
}

/* The receiver should read: nobody else does, or will soon. */
static int fd_rx_should_read(struct fd_transport *ft)
{
	if (ft->tok_holder != FD_TOK_NONE || ft->tok_waiters)
		return 0;
	return !ft->caller_recv || atomic_load(&ft->rx_wanted) || !ft->caller_ns ||
	       fd_now_ns() - ft->caller_ns >= FD_IDLE_NS;
}

static void fd_rx_syscalls(struct fd_transport *ft)
{
	int r = 0;

	pthread_mutex_lock(&ft->tok_lock);
	for (;;) {
		struct timespec ts;

		if (atomic_load(&ft->stopping) || atomic_load(&ft->gone))
			break;
		if (fd_rx_should_read(ft)) {
			unsigned bg;

			ft->tok_holder = FD_TOK_RX;
			pthread_mutex_unlock(&ft->tok_lock);
			r = fd_read_one(ft, 0);
			/* Replies of background requests still to come: keep reading. */
			bg = r >= 0 && ft->conn ? fc_conn_num_background(ft->conn) : 0;
			pthread_mutex_lock(&ft->tok_lock);
			ft->tok_holder = FD_TOK_NONE;
			atomic_store(&ft->rx_wanted, bg > 0);
			if (r > 0)
				ft->delivered += (uint64_t)r;
			if (ft->tok_waiters)
				pthread_cond_broadcast(&ft->tok_cv);
			if (r < 0)
				break;
			continue;
		}
		/* Callers read themselves: park until idle or wanted. */
		atomic_store(&ft->rx_parked, 1);
		if (ft->tok_holder == FD_TOK_NONE && !ft->tok_waiters &&
		    ft->caller_ns) {
			uint64_t left = FD_IDLE_NS - (fd_now_ns() - ft->caller_ns);

			fd_deadline(&ts, left > FD_IDLE_NS ? FD_IDLE_NS : left);
			pthread_cond_timedwait(&ft->tok_cv, &ft->tok_lock, &ts);
		} else {
			fd_deadline(&ts, FD_IDLE_NS);
			pthread_cond_timedwait(&ft->tok_cv, &ft->tok_lock, &ts);
		}
		atomic_store(&ft->rx_parked, 0);
	}
	pthread_cond_broadcast(&ft->tok_cv);
	pthread_mutex_unlock(&ft->tok_lock);
	if (r < 0)
		fd_peer_gone(ft, r == FD_EOF ? 0 : -r);
}

/* The recv hook: the connection's caller reads on its own thread. */
static int fd_recv(struct fc_transport *t)
{
	struct fd_transport *ft = to_fd(t);
	struct fd_transport *prev;
	uint64_t spin, t0, t1, lat;
	int r, wake_rx;

	pthread_mutex_lock(&ft->tok_lock);
	ft->caller_ns = fd_now_ns();
	while (ft->tok_holder != FD_TOK_NONE) {
		uint64_t seq = ft->delivered;
		struct timespec ts;
		int tr;

		if (atomic_load(&ft->gone))
			break;
		/* The receiver (or another caller) reads: wait for its delivery. */
		fd_deadline(&ts, (uint64_t)FD_RECV_TIMEOUT_MS * 1000000u);
		ft->tok_waiters++;
		tr = pthread_cond_timedwait(&ft->tok_cv, &ft->tok_lock, &ts);
		ft->tok_waiters--;
		if (ft->delivered != seq || tr == ETIMEDOUT) {
			pthread_mutex_unlock(&ft->tok_lock);
			return 0; /* something happened, or not: re-check */
		}
	}
	if (atomic_load(&ft->gone)) {
		pthread_mutex_unlock(&ft->tok_lock);
		return -ENOTCONN;
	}
	ft->tok_holder = FD_TOK_CALLER;
	pthread_mutex_unlock(&ft->tok_lock);

	/* Sends made while delivering must not block: as the receiver's. */
	prev = fd_rx_self;
	fd_rx_self = ft;
	spin = fd_spin_budget(ft);
	t0 = fd_now_ns();
	r = fd_read_one(ft, spin);
	t1 = fd_now_ns();
	fd_rx_self = prev;
	if (r > 0) {
		/*
		 * What a mode costs shows in the whole cycle (the send's
		 * wake-up of the daemon included), so compare modes on the
		 * time from one caller read's message to the next; a long
		 * gap (nobody asked) says nothing and counts the wait only.
		 */
		lat = t1 - t0;
		if (ft->spin.last_ns && t1 - ft->spin.last_ns < FD_SPIN_CYCLE_MAX_NS)
			lat = t1 - ft->spin.last_ns;
		ft->spin.last_ns = t1;
		fd_spin_learn(ft, spin, t1 - t0, lat);
	}

	/* Leaving with background replies to come: the receiver reads them. */
	wake_rx = atomic_load(&ft->rx_wanted) && ft->conn &&
		  fc_conn_num_background(ft->conn);
	pthread_mutex_lock(&ft->tok_lock);
	ft->tok_holder = FD_TOK_NONE;
	ft->caller_ns = fd_now_ns();
	if (r > 0) {
		ft->delivered += (uint64_t)r;
		ft->caller_reads += (uint64_t)r;
	}
	if (!wake_rx)
		atomic_store(&ft->rx_wanted, 0);
	if (ft->tok_waiters || (wake_rx && atomic_load(&ft->rx_parked)))
		pthread_cond_broadcast(&ft->tok_cv);
	pthread_mutex_unlock(&ft->tok_lock);
	if (r < 0) {
		fd_peer_gone(ft, r == FD_EOF ? 0 : -r);
		return -ENOTCONN;
	}
	return r;
}

/* ---- the io_uring receiver ---------------------------------------------------- */

#ifdef FUSECORE_HAVE_LIBURING

static int fd_uring_setup_bufs(struct fd_transport *ft)
{
	size_t total = (size_t)ft->nbufs * ft->bufsize;
	unsigned i;
	int err;

	ft->bufs = mmap(NULL, total, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ft->bufs == MAP_FAILED) {
		ft->bufs = NULL;
		return -ENOMEM;
	}
#ifdef FUSECORE_HAVE_URING_SETUP_BUF_RING
	ft->br = io_uring_setup_buf_ring(&ft->ring, ft->nbufs, FD_URING_BGID,
					 0, &err);
	if (!ft->br)
		goto fail;
	/* liburing mapped nbufs entries; unmapped by fd_uring_free_bufs(). */
	ft->br_len = ft->nbufs * sizeof(struct io_uring_buf);
#else
	{
		struct io_uring_buf_reg reg;

		/* liburing < 2.4: map and register the ring by hand. */
		ft->br_len = ft->nbufs * sizeof(struct io_uring_buf);
		ft->br = mmap(NULL, ft->br_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ft->br == MAP_FAILED) {
			ft->br = NULL;
			err = -ENOMEM;
			goto fail;
		}
		memset(&reg, 0, sizeof(reg));
		reg.ring_addr = (unsigned long)ft->br;
		reg.ring_entries = ft->nbufs;
		reg.bgid = FD_URING_BGID;
		err = io_uring_register_buf_ring(&ft->ring, &reg, 0);
		if (err) {
			munmap(ft->br, ft->br_len);
			ft->br = NULL;
			goto fail;
		}
		io_uring_buf_ring_init(ft->br);
	}
#endif
	for (i = 0; i < ft->nbufs; i++)
		io_uring_buf_ring_add(ft->br, ft->bufs + (size_t)i * ft->bufsize,
				      (unsigned)ft->bufsize, (unsigned short)i,
				      io_uring_buf_ring_mask(ft->nbufs), (int)i);
	io_uring_buf_ring_advance(ft->br, (int)ft->nbufs);
	return 0;
fail:
	munmap(ft->bufs, total);
	ft->bufs = NULL;
	return err;
}

/*
 * Unmap the provided buffers and their ring.  Only after
 * io_uring_queue_exit(), which cancels and waits for every request (a
 * receive still armed could otherwise write into unmapped memory); the
 * kernel drops the ring's registration with the io_uring instance.
 */
static void fd_uring_free_bufs(struct fd_transport *ft)
{
	if (ft->br) {
		munmap(ft->br, ft->br_len);
		ft->br = NULL;
	}
	if (ft->bufs) {
		munmap(ft->bufs, (size_t)ft->nbufs * ft->bufsize);
		ft->bufs = NULL;
	}
}

/* Create the ring and, if possible, the provided-buffer ring.  0 or -errno. */
static int fd_uring_init(struct fd_transport *ft, int no_multishot)
{
	int err = io_uring_queue_init(ft->uring_entries, &ft->ring, 0);

	if (err)
		return err;
	ft->ring_ready = 1;
	ft->multishot = 0;
	if (!no_multishot && fd_uring_setup_bufs(ft) == 0)
		ft->multishot = 1;
	return 0;
}

static struct io_uring_sqe *fd_get_sqe(struct fd_transport *ft)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ft->ring);

	if (!sqe) {
		/* Full: push what is queued and take the freed slot. */
		io_uring_submit(&ft->ring);
		sqe = io_uring_get_sqe(&ft->ring);
	}
	return sqe;
}

static int fd_arm_recv(struct fd_transport *ft)
{
	struct io_uring_sqe *sqe = fd_get_sqe(ft);

	if (!sqe)
		return -EBUSY;
	if (ft->multishot) {
		io_uring_prep_recv_multishot(sqe, ft->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = FD_URING_BGID;
	} else {
		io_uring_prep_recv(sqe, ft->fd, ft->buf, ft->bufsize, 0);
	}
	io_uring_sqe_set_data64(sqe, FD_UD_RECV);
	FD_COUNT(ft, uring_rearms, 1);
	return 0;
}

static void fd_arm_send(struct fd_transport *ft)
{
	struct io_uring_sqe *sqe;

	if (ft->send_inflight || !ft->dq_head)
		return;
	sqe = fd_get_sqe(ft);
	if (!sqe)
		return; /* retried after the next completion */
	io_uring_prep_sendmsg(sqe, ft->fd, &ft->dq_head->msg, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, FD_UD_SEND);
	ft->send_inflight = 1;
}

/* The multishot receive is refused by this kernel: receive one at a time. */
static int fd_fall_back_single(struct fd_transport *ft)
{
	fd_log(ft, FC_LOG_INFO,
	       "fd transport: multishot receive refused (%d), using single-shot",
	       -EINVAL);
	ft->multishot = 0;
	if (!ft->buf) {
		ft->buf = ft->plat->alloc(ft->plat->ctx, ft->bufsize);
		if (!ft->buf)
			return -ENOMEM;
	}
	return 0;
}

static void fd_rx_uring(struct fd_transport *ft)
{
	int rearm = 1, delivered_any = 0;

	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int readd = 0, err, stop = 0, stop_err = 0;

		if (rearm) {
			if (fd_arm_recv(ft) < 0) {
				fd_peer_gone(ft, EBUSY);
				return;
			}
			rearm = 0;
		}
		fd_arm_send(ft);
		/* One syscall: submit re-arms, buffer returns, sends; wait. */
		err = io_uring_submit_and_wait(&ft->ring, 1);
		if (err < 0 && err != -EINTR && err != -EAGAIN &&
		    err != -EBUSY) {
			fd_peer_gone(ft, -err);
			return;
		}
		delivered_any = 0;
		io_uring_for_each_cqe(&ft->ring, head, cqe) {
			int res = cqe->res;

			seen++;
			if (cqe->user_data == FD_UD_SEND) {
				struct fd_deferred *d = ft->dq_head;

				ft->send_inflight = 0;
				if (res == -EAGAIN || res == -EINTR)
					continue; /* resubmitted below */
				if (d) {
					ft->dq_head = d->next;
					if (!ft->dq_head)
						ft->dq_tail = NULL;
					if (res < 0) {
						fd_fail_deferred(ft, d, res);
					} else {
						FD_COUNT(ft, tx_msgs, 1);
						FD_COUNT(ft, tx_bytes, d->len);
					}
					ft->plat->free(ft->plat->ctx, d);
				}
				continue;
			}
			/* FD_UD_RECV */
			if (!(cqe->flags & IORING_CQE_F_MORE))
				rearm = 1;
			if (res > 0) {
				unsigned char *b = ft->buf;

				if (cqe->flags & IORING_CQE_F_BUFFER) {
					unsigned bid = cqe->flags >>
						       IORING_CQE_BUFFER_SHIFT;

					b = ft->bufs + (size_t)bid * ft->bufsize;
					fd_deliver(ft, b, (size_t)res);
					io_uring_buf_ring_add(ft->br, b,
						(unsigned)ft->bufsize,
						(unsigned short)bid,
						io_uring_buf_ring_mask(ft->nbufs),
						readd++);
				} else {
					fd_deliver(ft, b, (size_t)res);
				}
				delivered_any = 1;
				continue;
			}
			if (res == 0) {
				if (cqe->flags & IORING_CQE_F_BUFFER) {
					unsigned bid = cqe->flags >>
						       IORING_CQE_BUFFER_SHIFT;

					io_uring_buf_ring_add(ft->br,
						ft->bufs + (size_t)bid * ft->bufsize,
						(unsigned)ft->bufsize,
						(unsigned short)bid,
						io_uring_buf_ring_mask(ft->nbufs),
						readd++);
				}
				if (fd_at_eof(ft)) {
					stop = 1;
				} else {
					fd_deliver(ft, ft->bufs ? ft->bufs : ft->buf, 0);
				}
				continue;
			}
			/* res < 0 */
			if (res == -ENOBUFS || res == -EINTR || res == -EAGAIN ||
			    res == -ECANCELED) {
				rearm = 1; /* buffers come back below */
				if (res == -ECANCELED && atomic_load(&ft->stopping))
					stop = 1;
				continue;
			}
			if (res == -EINVAL && ft->multishot &&
			    atomic_load(&ft->rx_msgs) == 0) {
				if (fd_fall_back_single(ft) < 0) {
					stop = 1;
					stop_err = ENOMEM;
				}
				rearm = 1;
				continue;
			}
			stop = 1;
			stop_err = -res;
		}
		io_uring_cq_advance(&ft->ring, seen);
		if (readd)
			io_uring_buf_ring_advance(ft->br, readd);
		if (delivered_any)
			FD_COUNT(ft, rx_wakeups, 1);
		if (stop) {
			fd_peer_gone(ft, stop_err);
			return;
		}
	}
}

#endif /* FUSECORE_HAVE_LIBURING */

static void *fd_rx_main(void *arg)
{
	struct fd_transport *ft = arg;

	fd_rx_self = ft;
#ifdef FUSECORE_HAVE_LIBURING
	if (ft->io == FC_FD_IO_URING)
		fd_rx_uring(ft);
	else
#endif
		fd_rx_syscalls(ft);
	/*
	 * Queued sends stay queued: an IORING_OP_SENDMSG may still point at
	 * one until io_uring_queue_exit() in fd_destroy(), which frees them.
	 */
	fd_rx_self = NULL;
	return NULL;
}

/* ---- lifecycle ---------------------------------------------------------------- */

void fc_fd_transport_shutdown(struct fc_transport *t)
{
	struct fd_transport *ft = to_fd(t);

	if (!atomic_exchange(&ft->shut, 1))
		shutdown(ft->fd, SHUT_RDWR);
}

static void fd_stop_rx(struct fd_transport *ft)
{
	if (!ft->rx_started)
		return;
	atomic_store(&ft->stopping, 1);
	fc_fd_transport_shutdown(&ft->base);
	if (ft->caller_recv) {
		pthread_mutex_lock(&ft->tok_lock);
		pthread_cond_broadcast(&ft->tok_cv);
		pthread_mutex_unlock(&ft->tok_lock);
	}
	if (fd_rx_self == ft)
		pthread_detach(ft->rx); /* detached from a callback: cannot join */
	else
		pthread_join(ft->rx, NULL);
	ft->rx_started = 0;
}

static void fd_attach(struct fc_transport *t, struct fc_conn *conn)
{
	struct fd_transport *ft = to_fd(t);
	int err;

	if (!conn) {
		fd_stop_rx(ft);
		atomic_store(&ft->gone, 1);
		ft->conn = NULL;
		return;
	}
	ft->conn = conn;
	err = pthread_create(&ft->rx, NULL, fd_rx_main, ft);
	if (err) {
		/* No receiver: nothing could ever answer, so refuse to send. */
		fd_log(ft, FC_LOG_ERR,
		       "fd transport: cannot start the receiver (%d)", err);
		atomic_store(&ft->gone, 1);
		return;
	}
	ft->rx_started = 1;
}

static void fd_destroy(struct fc_transport *t)
{
	struct fd_transport *ft = to_fd(t);
	const struct fc_platform *plat = ft->plat;

	fd_stop_rx(ft);
#ifdef FUSECORE_HAVE_LIBURING
	if (ft->ring_ready) {
		/* Waits for anything the kernel still holds (a queued send). */
		io_uring_queue_exit(&ft->ring);
		fd_uring_free_bufs(ft);
		ft->ring_ready = 0;
	}
#endif
	fd_drop_deferred(ft);
	if (ft->fd >= 0)
		close(ft->fd);
	if (ft->caller_recv) {
		pthread_cond_destroy(&ft->tok_cv);
		pthread_mutex_destroy(&ft->tok_lock);
	}
	plat->free(plat->ctx, ft->buf);
	plat->free(plat->ctx, ft);
}

/* Syscall path: callers read for themselves (recv), else the receiver. */
static const struct fc_transport_ops fd_ops = {
	.version = FC_TRANSPORT_VERSION,
	.name = "fd",
	.send = fd_send,
	.poll = NULL,	/* a receiver thread delivers */
	.attach = fd_attach,
	.destroy = fd_destroy,
	.recv = fd_recv,
};

/* io_uring path: the receiver thread owns the socket's receive. */
static const struct fc_transport_ops fd_ops_uring = {
	.version = FC_TRANSPORT_VERSION,
	.name = "fd",
	.send = fd_send,
	.poll = NULL,
	.attach = fd_attach,
	.destroy = fd_destroy,
	.recv = NULL,
};

static enum fc_fd_io fd_io_from_env(enum fc_fd_io io)
{
	const char *e = getenv("FUSECORE_FD_IO");

	if (io != FC_FD_IO_AUTO || !e)
		return io;
	if (!strcmp(e, "syscalls"))
		return FC_FD_IO_SYSCALLS;
	if (!strcmp(e, "uring"))
		return FC_FD_IO_URING;
	return io;
}

int fc_fd_uring_available(void)
{
#ifdef FUSECORE_HAVE_LIBURING
	struct io_uring ring;

	if (io_uring_queue_init(2, &ring, 0) != 0)
		return 0;
	io_uring_queue_exit(&ring);
	return 1;
#else
	return 0;
#endif
}

int fc_fd_transport_new(const struct fc_platform *plat,
			const struct fc_fd_config *cfg,
			struct fc_transport **out)
{
	struct fd_transport *ft;
	struct stat st;
	enum fc_fd_io io;
	int type = 0, err;
	socklen_t tl = sizeof(type);

	if (!cfg || cfg->version != FC_FD_CONFIG_VERSION) {
		if (cfg && cfg->fd >= 0)
			close(cfg->fd);
		return -EINVAL;
	}
	if (!plat || plat->version != FC_PLATFORM_VERSION || !out ||
	    cfg->fd < 0 ||
	    (cfg->kind != FC_TRANSPORT_FUSE_DEV &&
	     cfg->kind != FC_TRANSPORT_VIRTIO_FS) ||
	    (cfg->uring_bufs & (cfg->uring_bufs - 1)) ||
	    cfg->uring_bufs > 32768) {
		err = -EINVAL;
		goto fail_fd;
	}
	if (fstat(cfg->fd, &st) < 0) {
		err = -errno;
		goto fail_fd;
	}
	if (!S_ISSOCK(st.st_mode)) {
		err = -ENOTSOCK;
		goto fail_fd;
	}
	if (getsockopt(cfg->fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		err = -errno;
		goto fail_fd;
	}
	if (type != SOCK_SEQPACKET && type != SOCK_DGRAM) {
		err = -EPROTOTYPE;
		goto fail_fd;
	}

	io = fd_io_from_env(cfg->io);
#ifndef FUSECORE_HAVE_LIBURING
	if (io == FC_FD_IO_URING) {
		err = -EOPNOTSUPP;
		goto fail_fd;
	}
	io = FC_FD_IO_SYSCALLS;
#endif

	ft = plat->alloc(plat->ctx, sizeof(*ft));
	if (!ft) {
		err = -ENOMEM;
		goto fail_fd;
	}
	memset(ft, 0, sizeof(*ft));
	ft->plat = plat;
	ft->fd = cfg->fd;
	ft->base.ops = &fd_ops;
	ft->base.kind = cfg->kind;
	ft->base.no_interrupt = 0;
	ft->bufsize = cfg->recv_buf ? cfg->recv_buf : fc_fd_msg_size(cfg->max_write);
	if (ft->bufsize < sizeof(struct fc_out_header) || ft->bufsize > UINT32_MAX) {
		err = -EINVAL;
		goto fail_ft;
	}
	ft->uring_entries = cfg->uring_entries ? cfg->uring_entries
					       : FD_URING_ENTRIES;
	atomic_init(&ft->gone, 0);
	atomic_init(&ft->stopping, 0);
	atomic_init(&ft->shut, 0);
	/* memset() zeroed the counters (atomic integers are plain words here). */

#ifdef FUSECORE_HAVE_LIBURING
	ft->nbufs = cfg->uring_bufs ? cfg->uring_bufs : FD_URING_BUFS;
	/*
	 * AUTO is the syscall path: its callers read replies themselves,
	 * which beats any receiver thread on latency.  io_uring on request.
	 */
	if (io == FC_FD_IO_AUTO)
		io = FC_FD_IO_SYSCALLS;
	if (io == FC_FD_IO_URING) {
		err = fd_uring_init(ft, cfg->uring_no_multishot);
		if (err == 0) {
			io = FC_FD_IO_URING;
		} else if (io == FC_FD_IO_URING) {
			fd_log(ft, FC_LOG_WARN,
			       "fd transport: io_uring unavailable (%d)", err);
			err = -EOPNOTSUPP;
			goto fail_ft;
		} else {
			io = FC_FD_IO_SYSCALLS;
		}
	}
#endif
	if (io == FC_FD_IO_AUTO)
		io = FC_FD_IO_SYSCALLS;
	ft->io = io;
	if (io == FC_FD_IO_SYSCALLS) {
		pthread_condattr_t ca;
		struct timeval tv = { .tv_sec = FD_RECV_TIMEOUT_MS / 1000,
				      .tv_usec = (FD_RECV_TIMEOUT_MS % 1000) * 1000 };

		/* A blocked caller read ends after FD_RECV_TIMEOUT_MS to re-check. */
		if (setsockopt(ft->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
			err = -errno;
			goto fail_ring;
		}
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (pthread_mutex_init(&ft->tok_lock, NULL) ||
		    pthread_cond_init(&ft->tok_cv, &ca)) {
			pthread_condattr_destroy(&ca);
			err = -ENOMEM;
			goto fail_ring;
		}
		pthread_condattr_destroy(&ca);
		atomic_init(&ft->rx_parked, 0);
		atomic_init(&ft->rx_wanted, 0);
		ft->caller_recv = 1;
		ft->spin.mode = 0;
		ft->spin.epoch = FD_SPIN_EPOCH_MIN;
		ft->spin.hitrate = 1024;
		/* A fixed polling budget in ns (0: always block), for measurements. */
		ft->spin_fixed = getenv("FUSECORE_FD_SPIN_NS") ?
				 atol(getenv("FUSECORE_FD_SPIN_NS")) : -1;
		if (ft->spin_fixed > (long)FD_SPIN_MAX_NS)
			ft->spin_fixed = FD_SPIN_MAX_NS;
	}
	ft->base.ops = ft->caller_recv ? &fd_ops : &fd_ops_uring;
	if (io == FC_FD_IO_SYSCALLS
#ifdef FUSECORE_HAVE_LIBURING
	    || !ft->multishot
#endif
	) {
		ft->buf = plat->alloc(plat->ctx, ft->bufsize);
		if (!ft->buf) {
			err = -ENOMEM;
			goto fail_ring;
		}
	}
	*out = &ft->base;
	return 0;

fail_ring:
	if (ft->caller_recv) {
		pthread_cond_destroy(&ft->tok_cv);
		pthread_mutex_destroy(&ft->tok_lock);
	}
#ifdef FUSECORE_HAVE_LIBURING
	if (ft->ring_ready) {
		io_uring_queue_exit(&ft->ring);
		fd_uring_free_bufs(ft);
	}
#endif
fail_ft:
	plat->free(plat->ctx, ft);
fail_fd:
	close(cfg->fd);
	return err;
}

enum fc_fd_io fc_fd_transport_io(struct fc_transport *t)
{
	return to_fd(t)->io;
}

int fc_fd_transport_multishot(struct fc_transport *t)
{
#ifdef FUSECORE_HAVE_LIBURING
	struct fd_transport *ft = to_fd(t);

	return ft->io == FC_FD_IO_URING && ft->multishot;
#else
	(void)t;
	return 0;
#endif
}

int fc_fd_transport_fd(struct fc_transport *t)
{
	return to_fd(t)->fd;
}

void fc_fd_transport_stats(struct fc_transport *t, struct fc_fd_stats *out)
{
	struct fd_transport *ft = to_fd(t);

	memset(out, 0, sizeof(*out));
	out->rx_msgs = atomic_load(&ft->rx_msgs);
	out->rx_bytes = atomic_load(&ft->rx_bytes);
	out->rx_rejected = atomic_load(&ft->rx_rejected);
	out->rx_truncated = atomic_load(&ft->rx_truncated);
	out->rx_wakeups = atomic_load(&ft->rx_wakeups);
	out->tx_msgs = atomic_load(&ft->tx_msgs);
	out->tx_bytes = atomic_load(&ft->tx_bytes);
	out->tx_deferred = atomic_load(&ft->tx_deferred);
	out->uring_rearms = atomic_load(&ft->uring_rearms);
	if (ft->caller_recv) {
		pthread_mutex_lock(&ft->tok_lock);
		out->caller_reads = ft->caller_reads;
		out->spin_reads = ft->spin.spins;
		out->spin_hits = ft->spin.spin_hits;
		out->spin_ns = ft->tok_holder == FD_TOK_CALLER ? 0 : fd_spin_budget(ft);
		pthread_mutex_unlock(&ft->tok_lock);
	}
}

int fc_fd_size_socket_buffers(int fd, size_t bufsize, size_t *msg_limit)
{
	int val = bufsize > INT32_MAX / 2 ? INT32_MAX / 2 : (int)bufsize;
	int got = 0, err = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &val, sizeof(val)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)) < 0)
		err = -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &val, sizeof(val)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)) < 0 && !err)
		err = -errno;
	if (msg_limit) {
		*msg_limit = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 &&
		    got > FD_SNDBUF_OVERHEAD)
			*msg_limit = (size_t)got - FD_SNDBUF_OVERHEAD;
	}
	return err;
}
