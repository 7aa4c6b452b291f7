/*
 * The in-memory transport: a FIFO of whole request messages between a
 * connection and a daemon living in the same process (a mock, a fuzzer's
 * harness, an in-process filesystem).
 *
 * The connection sends; each request is copied into one allocation and
 * queued.  The daemon takes requests with fc_mem_daemon_read() and writes
 * answers with fc_mem_daemon_write(), which hands them to fc_conn_deliver()
 * at once, on the daemon's own thread.  That makes the pipe behave like
 * /dev/fuse: a write returns what the kernel side thought of the message.
 *
 * Two ways to drive it:
 *  - polled: the transport was given a pump.  Whenever the connection must
 *    wait it calls ops->poll, which runs the pump (the in-process daemon)
 *    until the queue is served.  No thread is needed anywhere, so a run is a
 *    deterministic function of its input.
 *  - threaded: no pump; a daemon thread blocks in fc_mem_daemon_read() on a
 *    platform condition variable, and connection callers block on theirs.
 *
 * Locking: one platform mutex guards the queue and the state flags.  It is
 * never held while calling into the connection (fc_conn_deliver,
 * fc_conn_abort) or the pump, because delivering a reply may make the
 * connection send again (the next background request, a re-queued
 * INTERRUPT), which takes this lock.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/transport.h"

/* One queued request: the header and bytes follow in the same allocation. */
struct mem_msg {
	struct mem_msg *next;
	size_t len;
	unsigned char data[];
};

/*
 * Requests up to MEM_SMALL bytes (every metadata request) travel in
 * buffers kept for reuse, at most MEM_SMALL_KEEP of them, so that a round
 * trip allocates nothing.
 */
#define MEM_SMALL 512u
#define MEM_SMALL_KEEP 32u

struct mem_transport {
	struct fc_transport base;	/* first: the core sees only this */
	const struct fc_platform *plat;
	struct fc_mutex *lock;
	/* Broadcast when a message is queued or the transport goes away. */
	struct fc_cond *queue_changed;

	struct mem_msg *head, *tail;
	unsigned nqueued;
	struct mem_msg *spare;	/* small buffers for reuse */
	unsigned nspare;

	/* Set by attach(); NULL before and after. */
	struct fc_conn *conn;
	/* The daemon went away, or the connection detached. */
	int gone;

	int (*pump)(void *pump_ctx);
	void *pump_ctx;
};

static struct mem_transport *to_mem(struct fc_transport *t)
{
	return (struct mem_transport *)t;
}

static void mem_lock(struct mem_transport *mt)
{
	mt->plat->mutex_lock(mt->plat->ctx, mt->lock);
}

static void mem_unlock(struct mem_transport *mt)
{
	mt->plat->mutex_unlock(mt->plat->ctx, mt->lock);
}

/* Drop every queued message; called with the lock held. */
static void mem_drop_queue(struct mem_transport *mt)
{
	struct mem_msg *msg = mt->head;

	while (msg) {
		struct mem_msg *next = msg->next;

		mt->plat->free(mt->plat->ctx, msg);
		msg = next;
	}
	mt->head = mt->tail = NULL;
	mt->nqueued = 0;
}

/* A message buffer for @total bytes: a spare small one if any (lock held). */
static struct mem_msg *mem_take_spare(struct mem_transport *mt, size_t total)
{
	struct mem_msg *msg = mt->spare;

	if (total > MEM_SMALL || !msg)
		return NULL;
	mt->spare = msg->next;
	mt->nspare--;
	return msg;
}

/* Done with @msg (lock held): keep a small one, free the rest. */
static void mem_put_msg(struct mem_transport *mt, struct mem_msg *msg)
{
	if (msg->len <= MEM_SMALL && mt->nspare < MEM_SMALL_KEEP) {
		msg->next = mt->spare;
		mt->spare = msg;
		mt->nspare++;
		return;
	}
	mt->plat->free(mt->plat->ctx, msg);
}

static void mem_copy_in(struct mem_msg *msg, const struct fc_iov *iov,
			unsigned niov, size_t total)
{
	size_t off = 0;
	unsigned i;

	msg->next = NULL;
	msg->len = total;
	for (i = 0; i < niov; i++) {
		if (iov[i].len)
			memcpy(msg->data + off, iov[i].base, iov[i].len);
		off += iov[i].len;
	}
}

static int mem_send(struct fc_transport *t, const struct fc_iov *iov,
		    unsigned niov, const struct fc_send_info *info)
{
	struct mem_transport *mt = to_mem(t);
	struct mem_msg *msg;
	size_t total = 0;
	unsigned i;

	/*
	 * Requests that expect no reply (FORGET, BATCH_FORGET, NOTIFY_REPLY)
	 * are queued like any other: the daemon must see them, and tests
	 * assert on them.
	 */
	(void)info;

	for (i = 0; i < niov; i++) {
		if (iov[i].len > SIZE_MAX - sizeof(*msg) - total)
			return -EMSGSIZE;
		total += iov[i].len;
	}

	mem_lock(mt);
	/* A small request is copied into a spare buffer under the lock. */
	msg = mem_take_spare(mt, total);
	if (msg) {
		mem_copy_in(msg, iov, niov, total);
	} else {
		/* Copy before taking the lock: the caller's pieces may be large. */
		mem_unlock(mt);
		msg = mt->plat->alloc(mt->plat->ctx,
				      sizeof(*msg) + (total > MEM_SMALL ? total : MEM_SMALL));
		if (!msg)
			return -ENOMEM;
		mem_copy_in(msg, iov, niov, total);
		mem_lock(mt);
	}
	if (mt->gone) {
		mem_unlock(mt);
		mt->plat->free(mt->plat->ctx, msg);
		return -ENOTCONN;
	}
	if (mt->tail)
		mt->tail->next = msg;
	else
		mt->head = msg;
	mt->tail = msg;
	mt->nqueued++;
	mt->plat->cond_broadcast(mt->plat->ctx, mt->queue_changed);
	mem_unlock(mt);
	return 0;
}

/*
 * Polled mode: let the in-process daemon run.  The pump serves whatever is
 * queued and says how many requests it handled; @wait is not needed because
 * a pump never leaves queued work behind, so 0 really means that nothing
 * can progress without outside help.
 */
static int mem_poll(struct fc_transport *t, int wait)
{
	struct mem_transport *mt = to_mem(t);
	int handled, gone;

	(void)wait;
	handled = mt->pump(mt->pump_ctx);
	if (handled > 0)
		return handled;

	mem_lock(mt);
	gone = mt->gone;
	mem_unlock(mt);
	if (gone || handled < 0)
		return -ENOTCONN;
	return 0;
}

static void mem_attach(struct fc_transport *t, struct fc_conn *conn)
{
	struct mem_transport *mt = to_mem(t);

	mem_lock(mt);
	mt->conn = conn;
	/*
	 * Detaching is the connection side closing the pipe: a daemon thread
	 * blocked in a read must learn that nothing more will come.
	 */
	if (!conn) {
		mt->gone = 1;
		mt->plat->cond_broadcast(mt->plat->ctx, mt->queue_changed);
	}
	mem_unlock(mt);
}

static void mem_destroy(struct fc_transport *t)
{
	struct mem_transport *mt = to_mem(t);
	const struct fc_platform *plat = mt->plat;

	mem_drop_queue(mt);
	while (mt->spare) {
		struct mem_msg *msg = mt->spare;

		mt->spare = msg->next;
		plat->free(plat->ctx, msg);
	}
	plat->cond_free(plat->ctx, mt->queue_changed);
	plat->mutex_free(plat->ctx, mt->lock);
	plat->free(plat->ctx, mt);
}

/*
 * Two tables, because a NULL poll hook is how the connection knows that a
 * daemon thread delivers replies and that it must sleep instead of pumping.
 */
static const struct fc_transport_ops mem_ops_polled = {
	.version = FC_TRANSPORT_VERSION,
	.name = "memory",
	.send = mem_send,
	.poll = mem_poll,
	.attach = mem_attach,
	.destroy = mem_destroy,
};

static const struct fc_transport_ops mem_ops_threaded = {
	.version = FC_TRANSPORT_VERSION,
	.name = "memory",
	.send = mem_send,
	.poll = NULL,
	.attach = mem_attach,
	.destroy = mem_destroy,
};

int fc_mem_transport_new(const struct fc_platform *plat,
			 enum fc_transport_kind kind,
			 int (*pump)(void *pump_ctx), void *pump_ctx,
			 struct fc_transport **out)
{
	struct mem_transport *mt;

	if (!plat || !out)
		return -EINVAL;
	if (plat->version != FC_PLATFORM_VERSION)
		return -EINVAL;
	if (kind != FC_TRANSPORT_FUSE_DEV && kind != FC_TRANSPORT_VIRTIO_FS)
		return -EINVAL;

	mt = plat->alloc(plat->ctx, sizeof(*mt));
	if (!mt)
		return -ENOMEM;
	memset(mt, 0, sizeof(*mt));
	mt->plat = plat;
	mt->lock = plat->mutex_new(plat->ctx);
	if (!mt->lock)
		goto fail;
	mt->queue_changed = plat->cond_new(plat->ctx);
	if (!mt->queue_changed)
		goto fail_lock;

	mt->base.ops = pump ? &mem_ops_polled : &mem_ops_threaded;
	mt->base.kind = kind;
	/* A memory pipe carries INTERRUPT whatever kind it imitates. */
	mt->base.no_interrupt = 0;
	mt->pump = pump;
	mt->pump_ctx = pump_ctx;
	*out = &mt->base;
	return 0;

fail_lock:
	plat->mutex_free(plat->ctx, mt->lock);
fail:
	plat->free(plat->ctx, mt);
	return -ENOMEM;
}

long fc_mem_daemon_read(struct fc_transport *t, void *buf, size_t cap,
			int block)
{
	struct mem_transport *mt = to_mem(t);
	struct mem_msg *msg;
	long len;

	mem_lock(mt);
	while (!mt->head) {
		if (mt->gone) {
			mem_unlock(mt);
			return -ENODEV;
		}
		if (!block) {
			mem_unlock(mt);
			return 0;
		}
		mt->plat->cond_wait(mt->plat->ctx, mt->queue_changed, mt->lock,
				    "daemon-read");
	}

	msg = mt->head;
	/* Like a short /dev/fuse read buffer, but the request is not lost. */
	if (msg->len > cap) {
		mem_unlock(mt);
		return -EMSGSIZE;
	}
	mt->head = msg->next;
	if (!mt->head)
		mt->tail = NULL;
	mt->nqueued--;
	len = (long)msg->len;
	if (msg->len <= MEM_SMALL) {
		/* Small: copied under the lock, the buffer kept for reuse. */
		memcpy(buf, msg->data, msg->len);
		mem_put_msg(mt, msg);
		mem_unlock(mt);
		return len;
	}
	mem_unlock(mt);

	memcpy(buf, msg->data, msg->len);
	mt->plat->free(mt->plat->ctx, msg);
	return len;
}

size_t fc_mem_daemon_peek(struct fc_transport *t)
{
	struct mem_transport *mt = to_mem(t);
	size_t len;

	mem_lock(mt);
	len = mt->head ? mt->head->len : 0;
	mem_unlock(mt);
	return len;
}

int fc_mem_daemon_write(struct fc_transport *t, const void *msg, size_t len)
{
	struct mem_transport *mt = to_mem(t);
	struct fc_conn *conn;

	mem_lock(mt);
	conn = mt->gone ? NULL : mt->conn;
	mem_unlock(mt);
	if (!conn)
		return -ENOTCONN;

	/* Unlocked: delivery may send (next background request, INTERRUPT). */
	return fc_conn_deliver(conn, msg, len);
}

void fc_mem_daemon_disconnect(struct fc_transport *t)
{
	struct mem_transport *mt = to_mem(t);
	struct fc_conn *conn;
	int was_gone;

	mem_lock(mt);
	was_gone = mt->gone;
	mt->gone = 1;
	conn = mt->conn;
	/* Nobody is left to read what was queued. */
	mem_drop_queue(mt);
	mt->plat->cond_broadcast(mt->plat->ctx, mt->queue_changed);
	mem_unlock(mt);

	/* Like the last close of /dev/fuse: every waiter fails with ENOTCONN. */
	if (conn && !was_gone)
		fc_conn_abort(conn);
}

unsigned fc_mem_queued(struct fc_transport *t)
{
	struct mem_transport *mt = to_mem(t);
	unsigned n;

	mem_lock(mt);
	n = mt->nqueued;
	mem_unlock(mt);
	return n;
}
