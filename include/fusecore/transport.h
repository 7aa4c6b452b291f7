/*
 * fusecore/transport.h - the transport seam.
 *
 * A transport carries whole FUSE messages between a connection (the kernel
 * side, fusecore/conn.h) and a daemon.  Requests go out through
 * fc_transport_ops.send; replies and notifications come back by the
 * transport calling fc_conn_deliver() (see fusecore/conn.h), from its own
 * receiver thread or from its poll hook.  A new transport is one file that
 * fills this table.
 */
#ifndef FUSECORE_TRANSPORT_H
#define FUSECORE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Version of struct fc_transport_ops this header describes.  2 added the
 * recv hook; connections still accept version 1 tables (without it).
 */
#define FC_TRANSPORT_VERSION 2

struct fc_conn;
struct fc_transport;

/**
 * What kind of wire a transport is.  Each kind has its own INIT request
 * profile (fc_init_profile_default()), as Linux's /dev/fuse and virtio-fs
 * mounts request different capabilities.
 */
enum fc_transport_kind {
	/** /dev/fuse framing: one whole message per read or write. */
	FC_TRANSPORT_FUSE_DEV = 0,
	/** virtio-fs: requests on virtqueues, FORGET on the hiprio queue. */
	FC_TRANSPORT_VIRTIO_FS = 1,
};

/** One piece of an outgoing message (the core does not use struct iovec). */
struct fc_iov {
	const void *base;
	size_t len;
};

/** Per-message facts a transport may need besides the bytes. */
struct fc_send_info {
	/** The request's opcode and unique (also in the header bytes). */
	uint32_t opcode;
	uint64_t unique;
	/** Largest reply (header included) this request can receive. */
	size_t reply_max;
	/** Non-zero if no reply will come (FORGET, BATCH_FORGET, NOTIFY_REPLY). */
	int noreply;
};

/**
 * The operations of a transport.  Calls may come from several threads at
 * once; send() must be safe for that.
 */
struct fc_transport_ops {
	/** FC_TRANSPORT_VERSION (1 is accepted: a table without recv). */
	unsigned version;
	/** Short name for logs ("memory", "fd", "virtiofs"). */
	const char *name;

	/**
	 * Send one whole request made of @niov pieces (the first starts with
	 * struct fc_in_header).  The transport must be done with the bytes
	 * when it returns (copy or write them out).  Returns 0 or -errno;
	 * -ENOTCONN means the daemon is gone.
	 */
	int (*send)(struct fc_transport *t, const struct fc_iov *iov,
		    unsigned niov, const struct fc_send_info *info);

	/**
	 * Optional: make progress in a host without receiver threads.  Deliver
	 * whatever replies are available (calling fc_conn_deliver()); with
	 * @wait non-zero the transport may block or run an in-process daemon
	 * until at least one message was delivered.  Returns the number of
	 * messages delivered, 0 if none can arrive without outside help (the
	 * caller then gives up with -EDEADLK), or -errno (-ENOTCONN: gone).
	 * NULL for transports that deliver from their own thread.
	 */
	int (*poll)(struct fc_transport *t, int wait);

	/**
	 * Called once when the connection attaches (@conn non-NULL) and once
	 * when it detaches (@conn NULL).  Optional.
	 */
	void (*attach)(struct fc_transport *t, struct fc_conn *conn);

	/** Release the transport; the connection is detached by then. */
	void (*destroy)(struct fc_transport *t);

	/**
	 * Optional (version >= 2): receive on the caller's thread.  For a
	 * transport that delivers from its own thread (poll is NULL), a
	 * connection whose caller would otherwise sleep until a reply comes
	 * calls this instead, from at most one thread at a time and without
	 * its lock held: the transport reads and delivers (fc_conn_deliver())
	 * on that thread, sparing the hand-off through a receiver thread.  It
	 * returns after delivering one or more messages, or after a bounded
	 * wait without any (the caller re-checks and may call again), and may
	 * also return at once with 0 once another of its own threads has
	 * delivered something.  Returns the number of messages delivered, or
	 * -ENOTCONN once the daemon is gone (the connection was aborted
	 * first).  NULL: callers sleep and the transport's thread delivers.
	 */
	int (*recv)(struct fc_transport *t);
};

/** A transport instance: the ops table plus its kind.  Embed it first. */
struct fc_transport {
	const struct fc_transport_ops *ops;
	enum fc_transport_kind kind;
	/**
	 * Non-zero if the transport can never carry FUSE_INTERRUPT (virtio-fs,
	 * as Linux's virtio_fs_send_interrupt is a no-op).
	 */
	int no_interrupt;
};

/* ---- The in-memory transport ----------------------------------------- */

/**
 * Create an in-memory pipe transport.  Requests sent by the connection are
 * queued for an in-process daemon that takes them with
 * fc_mem_daemon_read() and answers with fc_mem_daemon_write().
 *
 * If @pump is non-NULL the transport runs in polled mode: whenever the
 * connection waits, it calls @pump(@pump_ctx), which should let the daemon
 * handle what is queued (for example fc_mock_step()); it returns the number
 * of requests handled.  If @pump is NULL, a daemon thread must serve the
 * queue (fc_mem_daemon_read() with @block set).
 *
 * @kind chooses the INIT profile the connection uses on this transport.
 * Returns 0 and sets *@out, or -errno.
 */
int fc_mem_transport_new(const struct fc_platform *plat,
			 enum fc_transport_kind kind,
			 int (*pump)(void *pump_ctx), void *pump_ctx,
			 struct fc_transport **out);

/**
 * Daemon side: take the oldest queued request into @buf (@cap bytes).
 * Returns its length, 0 if none is queued and @block is 0, -EMSGSIZE if
 * it does not fit (it stays queued), or -ENODEV once the transport is
 * disconnected (either side) and the queue is empty.
 */
long fc_mem_daemon_read(struct fc_transport *t, void *buf, size_t cap,
			int block);

/** Daemon side: size of the oldest queued request, 0 if none. */
size_t fc_mem_daemon_peek(struct fc_transport *t);

/**
 * Daemon side: write one reply or notification, as a daemon writes to
 * /dev/fuse.  It is delivered to the connection at once; the result is
 * what a write(2) to /dev/fuse would return (0 or -errno, e.g. -EINVAL for
 * a malformed header, -ENOENT for an unknown unique).
 */
int fc_mem_daemon_write(struct fc_transport *t, const void *msg, size_t len);

/**
 * Daemon side: the daemon goes away.  The connection is aborted (every
 * waiter gets -ENOTCONN) and later sends fail with -ENOTCONN.
 */
void fc_mem_daemon_disconnect(struct fc_transport *t);

/** Number of requests queued for the daemon and not read yet. */
unsigned fc_mem_queued(struct fc_transport *t);

/* ---- The fd transport ------------------------------------------------- */

/*
 * /dev/fuse framing over a message-preserving socket: every request is one
 * message written with a single sendmsg(2), every reply or notification is
 * one message read whole, exactly as a daemon reads and writes /dev/fuse.
 * The usual wire is one end of a socketpair(AF_UNIX, SOCK_SEQPACKET); the
 * other end goes to an unmodified daemon (as /dev/fd/N, through a
 * fusermount stand-in, or through an open("/dev/fuse") shim: see
 * fusecore/launch.h), which then believes it holds /dev/fuse.
 *
 * Host-side code (pthreads, sockets, optionally liburing): it is part of
 * the library, not of the thread-free protocol core.
 *
 * Threads: send() may be called from any number of threads at once; each
 * message goes out with one sendmsg(2), which a SOCK_SEQPACKET or
 * SOCK_DGRAM socket performs atomically, so no lock is taken.  Whole
 * messages are read into preallocated buffers and handed to
 * fc_conn_deliver(), never with an allocation per message: on the syscall
 * path by the connection's waiting caller itself (the recv hook) or, when
 * no caller has read lately or background requests are in flight, by a
 * receiver thread started when the connection attaches; on the io_uring
 * path by that thread always.  A send made while delivering (the
 * connection starts the next background request when one completes) never
 * blocks: if the socket is full, the message is copied and queued, and the
 * reader writes it out once the socket is writable, still reading replies
 * meanwhile, so a daemon blocked on its own full socket cannot deadlock
 * against it.
 *
 * End of the daemon: a read of 0 bytes with the peer shut down, ECONNRESET
 * or any other read error aborts the connection (fc_conn_abort(): every
 * waiter fails with -ENOTCONN) and later sends fail with -ENOTCONN.  A
 * zero-length message from a live peer is rejected like any malformed
 * message.  A message longer than the receive buffer arrives truncated;
 * its header length no longer matches, so fc_conn_deliver() fails the
 * request it names with -EIO instead of leaving it pending.
 *
 * Message size: a SOCK_SEQPACKET message must fit in the sender's
 * SO_SNDBUF (less 32 bytes), on both ends.  Size both ends with
 * fc_fd_size_socket_buffers() before the daemon gets its end, or the
 * largest WRITE fails here with -EMSGSIZE and the daemon's largest READ
 * replies fail inside the daemon.
 */

/** How the fd transport's receiver waits for messages. */
enum fc_fd_io {
	/**
	 * The syscall path (lowest latency: callers read their replies
	 * themselves).  The environment variable
	 * FUSECORE_FD_IO=syscalls|uring overrides this choice (for running a
	 * whole test suite on one path).
	 */
	FC_FD_IO_AUTO = 0,
	/**
	 * recvmsg(2), one message per call, by the connection's waiting
	 * caller itself (the transport's recv hook), which polls for a
	 * bounded, adaptively chosen time before it blocks; by a receiver
	 * thread when no caller has read for a millisecond or background
	 * requests are in flight.
	 */
	FC_FD_IO_SYSCALLS = 1,
	/**
	 * io_uring (liburing): a multishot receive with a ring of provided
	 * buffers where the kernel has them (IORING_RECV_MULTISHOT,
	 * io_uring_register_buf_ring, Linux >= 6.0), single-shot receive SQEs
	 * otherwise; re-arms, buffer returns and queued sends are submitted
	 * in one batch with each wait, and every completion available is
	 * handled per wake-up.  Fails with -EOPNOTSUPP if not compiled in or
	 * the kernel refuses io_uring.
	 */
	FC_FD_IO_URING = 2,
};

/** Version of struct fc_fd_config this header describes. */
#define FC_FD_CONFIG_VERSION 1
/** max_write assumed when a configuration leaves it 0 (libfuse3's 1 MiB). */
#define FC_FD_DEFAULT_MAX_WRITE (1024u * 1024u)
/** Bytes reserved beyond max_write + 4096 in buffers and socket limits. */
#define FC_FD_MSG_SLACK 4096u
/** Socket buffer size fc_fd_size_socket_buffers() callers usually ask for. */
#define FC_FD_DEFAULT_SOCKBUF (4u * 1024u * 1024u)

/** How to create an fd transport. */
struct fc_fd_config {
	/** Must be FC_FD_CONFIG_VERSION. */
	unsigned version;
	/**
	 * A connected message-preserving socket (SOCK_SEQPACKET, or a
	 * connected SOCK_DGRAM).  The transport owns it from then on, also on
	 * failure, and closes it when destroyed.
	 */
	int fd;
	/** INIT profile kind; FC_TRANSPORT_FUSE_DEV for /dev/fuse framing. */
	enum fc_transport_kind kind;
	/** Completion path (see enum fc_fd_io). */
	enum fc_fd_io io;
	/**
	 * Largest WRITE payload or READ reply the connection may see; sizes
	 * the receive buffers.  0 means FC_FD_DEFAULT_MAX_WRITE.
	 */
	uint32_t max_write;
	/**
	 * Receive buffer size in bytes; 0 means fc_fd_msg_size(max_write).
	 * Smaller values are allowed (tests use them to exercise truncation).
	 */
	size_t recv_buf;
	/** io_uring: submission queue entries; 0 means 64. */
	unsigned uring_entries;
	/** io_uring: provided buffers for the multishot receive (a power of
	 *  two, each recv_buf bytes); 0 means 4. */
	unsigned uring_bufs;
	/** io_uring: never use the multishot receive (tests the fallback). */
	int uring_no_multishot;
};

/** Counters of one fd transport (monotonic). */
struct fc_fd_stats {
	uint64_t rx_msgs;       /**< messages read from the daemon */
	uint64_t rx_bytes;      /**< their bytes */
	uint64_t rx_rejected;   /**< messages fc_conn_deliver() refused */
	uint64_t rx_truncated;  /**< messages longer than the receive buffer */
	uint64_t rx_wakeups;    /**< receiver wake-ups with >= 1 message */
	uint64_t tx_msgs;       /**< requests written */
	uint64_t tx_bytes;      /**< their bytes */
	uint64_t tx_deferred;   /**< receiver-thread sends queued (socket full) */
	uint64_t uring_rearms;  /**< receive SQEs (re-)armed */
	/* Caller-driven receive (syscall path). */
	uint64_t caller_reads;  /**< messages read by the connection's callers */
	uint64_t spin_reads;    /**< caller reads that polled before blocking */
	uint64_t spin_hits;     /**< ... whose message came while polling */
	uint64_t spin_ns;       /**< the polling budget now (0: callers block) */
};

/**
 * Fill @cfg with defaults for @fd: FC_TRANSPORT_FUSE_DEV, FC_FD_IO_AUTO,
 * max_write FC_FD_DEFAULT_MAX_WRITE, derived buffer sizes.
 */
void fc_fd_config_default(struct fc_fd_config *cfg, int fd);

/**
 * Bytes needed for the largest message of a connection whose max_write is
 * @max_write (0: FC_FD_DEFAULT_MAX_WRITE): max_write + 4096 (headers) +
 * FC_FD_MSG_SLACK, and never less than 1 MiB + 4 KiB.
 */
size_t fc_fd_msg_size(uint32_t max_write);

/**
 * Create an fd transport on @cfg->fd.  The receiver starts when a
 * connection attaches (fc_conn_new()).  Returns 0 and sets *@out, or
 * -errno: -EINVAL (bad config), -ENOTSOCK (not a socket), -EPROTOTYPE (a
 * stream socket: no message boundaries), -EOPNOTSUPP (FC_FD_IO_URING
 * asked for but unavailable), -ENOMEM.  The fd is closed on failure.
 */
int fc_fd_transport_new(const struct fc_platform *plat,
			const struct fc_fd_config *cfg,
			struct fc_transport **out);

/** The completion path in use: FC_FD_IO_SYSCALLS or FC_FD_IO_URING. */
enum fc_fd_io fc_fd_transport_io(struct fc_transport *t);

/**
 * Non-zero if the io_uring path receives with a multishot receive and
 * provided buffers (0 on the syscall path, or after falling back to
 * single-shot receive SQEs).
 */
int fc_fd_transport_multishot(struct fc_transport *t);

/** The socket the transport owns (for diagnostics; do not close it). */
int fc_fd_transport_fd(struct fc_transport *t);

/** Copy the transport's counters into @out. */
void fc_fd_transport_stats(struct fc_transport *t, struct fc_fd_stats *out);

/**
 * Shut the socket down in both directions, as the daemon's death would:
 * the receiver sees the end, the connection is aborted (every waiter gets
 * -ENOTCONN), senders blocked on a full socket return -ENOTCONN, and the
 * daemon reads end-of-file.  For watchdogs; idempotent; thread-safe.
 */
void fc_fd_transport_shutdown(struct fc_transport *t);

/**
 * Non-zero if FC_FD_IO_URING can work here: liburing was compiled in and
 * the running kernel creates a ring.
 */
int fc_fd_uring_available(void);

/**
 * Size the send and receive buffers of socket @fd to @bufsize bytes:
 * SO_SNDBUFFORCE / SO_RCVBUFFORCE when permitted (CAP_NET_ADMIN), else
 * SO_SNDBUF / SO_RCVBUF (capped by net.core.wmem_max / rmem_max).  Socket
 * options belong to the socket, so calling this on the daemon's end before
 * handing it over works.  Sets *@msg_limit (if non-NULL) to the largest
 * message this end can then send (SO_SNDBUF as read back, less 32 bytes).
 * Returns 0, or -errno if even the unforced options failed.
 */
int fc_fd_size_socket_buffers(int fd, size_t bufsize, size_t *msg_limit);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_TRANSPORT_H */
