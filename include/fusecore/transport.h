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

/** Version of struct fc_transport_ops this header describes. */
#define FC_TRANSPORT_VERSION 1

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
	/** Must be FC_TRANSPORT_VERSION. */
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

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_TRANSPORT_H */
