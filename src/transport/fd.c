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

/* ---- the syscall receiver --------------------------------------------------- */

static void fd_rx_syscalls(struct fd_transport *ft)
{
	struct iovec v = { .iov_base = ft->buf, .iov_len = ft->bufsize };
	struct msghdr m;
	ssize_t n;

	for (;;) {
		if (ft->dq_head) {
			struct pollfd p = { .fd = ft->fd,
					    .events = POLLIN | POLLOUT };

			if (poll(&p, 1, -1) < 0) {
				if (errno == EINTR)
					continue;
				fd_peer_gone(ft, errno);
				return;
			}
			if ((p.revents & (POLLOUT | POLLERR | POLLHUP)) &&
			    fd_flush_deferred(ft) < 0) {
				fd_peer_gone(ft, EPIPE);
				return;
			}
			if (!(p.revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
				continue;
		}
		memset(&m, 0, sizeof(m));
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		n = recvmsg(ft->fd, &m, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fd_peer_gone(ft, errno);
			return;
		}
		if (n == 0 && fd_at_eof(ft)) {
			fd_peer_gone(ft, 0);
			return;
		}
		FD_COUNT(ft, rx_wakeups, 1);
		/* A truncated message (MSG_TRUNC) is counted by fd_deliver. */
		fd_deliver(ft, ft->buf, (size_t)n);
	}
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
	plat->free(plat->ctx, ft->buf);
	plat->free(plat->ctx, ft);
}

static const struct fc_transport_ops fd_ops = {
	.version = FC_TRANSPORT_VERSION,
	.name = "fd",
	.send = fd_send,
	.poll = NULL,	/* a receiver thread delivers */
	.attach = fd_attach,
	.destroy = fd_destroy,
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
	if (io == FC_FD_IO_AUTO || io == FC_FD_IO_URING) {
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
	ft->io = io;
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
