/*
 * The request lifecycle of a connection: unique ids, the pending table,
 * synchronous send-and-wait, background requests, interrupts and abort.
 * Follows Linux fs/fuse/dev.c (fuse_simple_request, fuse_request_queue_
 * background, flush_bg_queue, request_wait_answer, fuse_abort_conn).
 */
#include <errno.h>
#include <string.h>

#include "conn_i.h"

/* Linux's FUSE_DEFAULT_MAX_BACKGROUND / FUSE_DEFAULT_CONGESTION_THRESHOLD. */
#define FC_DEFAULT_MAX_BACKGROUND 12
#define FC_DEFAULT_CONGESTION_THRESHOLD 9
/* Requests kept for reuse, so a round trip allocates nothing. */
#define FC_REQ_CACHE 64
#define FC_HASH_INITIAL 64

void fc_conn_log(struct fc_conn *c, enum fc_log_level level, const char *msg)
{
	if (c->plat->log)
		c->plat->log(c->plat->ctx, level, msg);
}

/* ---- pending table ------------------------------------------------------- */

static unsigned hash_unique(const struct fc_conn *c, uint64_t unique)
{
	/* Ordinary uniques step by 2; bit 63 marks a resend. */
	return (unsigned)((unique ^ (unique >> 32)) >> 1) & c->hash_mask;
}

static void pending_grow(struct fc_conn *c)
{
	unsigned nsize = (c->hash_mask + 1) * 2;
	struct fc_req **nh = c->plat->alloc(c->plat->ctx, nsize * sizeof(*nh));
	unsigned i;

	/* Growing is an optimisation: on allocation failure chains get longer. */
	if (!nh)
		return;
	memset(nh, 0, nsize * sizeof(*nh));
	for (i = 0; i <= c->hash_mask; i++) {
		struct fc_req *r = c->hash[i], *next;

		for (; r; r = next) {
			unsigned h = (unsigned)((r->unique ^ (r->unique >> 32)) >> 1) & (nsize - 1);

			next = r->hnext;
			r->hnext = nh[h];
			nh[h] = r;
		}
	}
	c->plat->free(c->plat->ctx, c->hash);
	c->hash = nh;
	c->hash_mask = nsize - 1;
}

static void pending_insert(struct fc_conn *c, struct fc_req *r)
{
	unsigned h;

	if (c->npending > c->hash_mask)
		pending_grow(c);
	h = hash_unique(c, r->unique);
	r->hnext = c->hash[h];
	c->hash[h] = r;
	c->npending++;
}

struct fc_req *fc_pending_find(struct fc_conn *c, uint64_t unique)
{
	struct fc_req *r;

	for (r = c->hash[hash_unique(c, unique)]; r; r = r->hnext)
		if (r->unique == unique)
			return r;
	return NULL;
}

/* Remove the request answering @unique from the table (lock held). */
struct fc_req *fc_pending_take(struct fc_conn *c, uint64_t unique)
{
	struct fc_req **pp = &c->hash[hash_unique(c, unique)];

	for (; *pp; pp = &(*pp)->hnext) {
		struct fc_req *r = *pp;

		if (r->unique == unique) {
			*pp = r->hnext;
			r->hnext = NULL;
			c->npending--;
			return r;
		}
	}
	return NULL;
}

/* ---- request objects ----------------------------------------------------- */

/* A fresh request object (lock held), or NULL. */
static struct fc_req *req_new(struct fc_conn *c)
{
	struct fc_req *r = c->plat->alloc(c->plat->ctx, sizeof(*r));

	if (r) {
		memset(r, 0, sizeof(*r));
		/* Without one, its caller sleeps on the connection's waitq. */
		r->cond = c->plat->cond_new(c->plat->ctx);
	}
	return r;
}

/*
 * Lock held, on entry to a send: a request with FC_ARGS_RESERVED uses its
 * reservation up, sent or not, leaving its object free for req_alloc.
 */
static void req_reservation_used(struct fc_conn *c, const struct fc_args *a)
{
	if ((a->flags & FC_ARGS_RESERVED) && c->nreserved)
		c->nreserved--;
}

static struct fc_req *req_alloc(struct fc_conn *c, struct fc_args *args)
{
	struct fc_req *r = NULL;
	struct fc_cond *cond;

	/*
	 * The free objects beyond the reserved ones are anybody's; a request
	 * with a reservation gave it up on entry, so one is there for it.
	 */
	if (c->free_reqs && c->nfree > c->nreserved) {
		r = c->free_reqs;
		c->free_reqs = r->qnext;
		c->nfree--;
	}
	if (!r)
		r = req_new(c);
	if (!r)
		return NULL;
	cond = r->cond;
	memset(r, 0, sizeof(*r));
	r->cond = cond;
	r->args = args;
	r->lnext = c->live;
	if (c->live)
		c->live->lprev = r;
	c->live = r;
	return r;
}

static void live_unlink(struct fc_conn *c, struct fc_req *r)
{
	if (r->lprev)
		r->lprev->lnext = r->lnext;
	else if (c->live == r)
		c->live = r->lnext;
	if (r->lnext)
		r->lnext->lprev = r->lprev;
	r->lprev = r->lnext = NULL;
}

static void req_free(struct fc_conn *c, struct fc_req *r)
{
	if (r->cond)
		c->plat->cond_free(c->plat->ctx, r->cond);
	c->plat->free(c->plat->ctx, r);
}

/* Give a finished request back (lock held). */
static void req_release(struct fc_conn *c, struct fc_req *r)
{
	if (c->nfree < FC_REQ_CACHE + c->nreserved) {
		r->qnext = c->free_reqs;
		c->free_reqs = r;
		c->nfree++;
	} else {
		req_free(c, r);
	}
}

int fc_conn_reserve(struct fc_conn *c)
{
	int err = 0;

	fc_lock(c);
	if (c->nfree <= c->nreserved) {
		struct fc_req *r = req_new(c);

		if (r) {
			r->qnext = c->free_reqs;
			c->free_reqs = r;
			c->nfree++;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err)
		c->nreserved++;
	fc_unlock(c);
	return err;
}

void fc_conn_unreserve(struct fc_conn *c)
{
	fc_lock(c);
	if (c->nreserved)
		c->nreserved--;
	fc_unlock(c);
}

/* The condition the synchronous caller of @r sleeps on. */
static struct fc_cond *req_cond(const struct fc_conn *c, const struct fc_req *r)
{
	return r->cond ? r->cond : c->waitq;
}

/* A synchronous request is done: its waiter takes the result (lock held). */
static void req_done_locked(struct fc_conn *c, struct fc_req *r, int error)
{
	r->error = error;
	r->state = FC_REQ_DONE;
	live_unlink(c, r);
	/* Only the thread waiting for this request (dev.c request_end). */
	c->plat->cond_broadcast(c->plat->ctx, req_cond(c, r));
	/* A caller still waiting for INIT sleeps on waitq. */
	if (c->nsleep_waitq)
		c->plat->cond_broadcast(c->plat->ctx, c->waitq);
}

static uint64_t next_unique(struct fc_conn *c)
{
	/* dev.c fuse_get_unique_locked: step 2, the low bit is for INTERRUPT. */
	c->reqctr += 2;
	return c->reqctr;
}

/* ---- waiting --------------------------------------------------------------- */

/*
 * Wait for the state to change (lock held).  With a polled transport the
 * host has no receiver thread: run it here.  Returns 0 to re-check, or
 * -EDEADLK when nothing can ever arrive, or the transport's error.
 */
/*
 * Hand the reading over (lock held, nobody reading any more): wake one
 * thread that sleeps while its request is in flight, so that it reads in
 * turn, and the threads asleep on waitq, whose wait may need the
 * transport read too.  Without it they would depend on the transport's
 * own receiver.
 */
static void reader_handover(struct fc_conn *c)
{
	struct fc_req *r;

	if (c->reading)
		return;
	if (c->nsleep_reply) {
		for (r = c->live; r; r = r->lnext) {
			if (r->sleeping && r->state == FC_REQ_SENT) {
				/*
				 * The reading is its caller's from now on, so that
				 * a thread coming back with its next request does
				 * not take it first and leave this one awake for
				 * nothing.
				 */
				c->reading = 1;
				c->handed = r;
				c->plat->cond_broadcast(c->plat->ctx, req_cond(c, r));
				return;
			}
		}
	}
	if (c->nsleep_waitq)
		c->plat->cond_broadcast(c->plat->ctx, c->waitq);
}

/* @r's caller leaves: if the reading was handed to it, pass it on. */
static void reader_release_handed(struct fc_conn *c, struct fc_req *r)
{
	if (c->handed != r)
		return;
	c->handed = NULL;
	c->reading = 0;
	reader_handover(c);
}

/*
 * With a transport that receives on the caller's thread: if nobody else
 * is reading, read (deliver at least one message, or give up after the
 * transport's bounded wait) and return 1; the caller re-checks its
 * condition.  Returns 0 if it should sleep instead (lock held throughout,
 * released while reading).
 */
static int conn_try_read(struct fc_conn *c, struct fc_req *r, int handover)
{
	int n;

	if (!c->tp_recv)
		return 0;
	if (c->reading) {
		/* Someone else reads, unless the reading was handed to us. */
		if (!r || c->handed != r)
			return 0;
		c->handed = NULL;
	}
	c->reading = 1;
	fc_unlock(c);
	n = c->tp_recv(c->tp);
	fc_lock(c);
	c->reading = 0;
	if (handover)
		reader_handover(c);
	/* Gone: the transport aborted the connection first; re-check then. */
	return n >= 0 || c->state == FC_CONN_ABORTED;
}

static int conn_wait(struct fc_conn *c, const char *what)
{
	int n;

	if (!c->tp->ops->poll) {
		if (conn_try_read(c, NULL, 1))
			return 0;
		c->nsleep_waitq++;
		c->plat->cond_wait(c->plat->ctx, c->waitq, c->lock, what);
		c->nsleep_waitq--;
		return 0;
	}
	fc_unlock(c);
	n = c->tp->ops->poll(c->tp, 1);
	fc_lock(c);
	if (n > 0)
		return 0;
	return n == 0 ? -EDEADLK : n;
}

/* ---- sending --------------------------------------------------------------- */

static int send_message(struct fc_conn *c, const struct fc_args *a,
			uint64_t unique)
{
	struct fc_in_header h;
	struct fc_iov iov[1 + FC_ARGS_MAX_IN];
	struct fc_send_info info;
	unsigned i, n = 1;
	uint32_t len = sizeof(h);

	for (i = 0; i < a->in_numargs; i++) {
		if (a->in[i].size) {
			iov[n].base = a->in[i].value;
			iov[n].len = a->in[i].size;
			n++;
		}
		len += a->in[i].size;
	}
	memset(&h, 0, sizeof(h));
	h.len = len;
	h.opcode = a->opcode;
	h.unique = unique;
	h.nodeid = a->nodeid;
	if (!(a->flags & FC_ARGS_NOCREDS)) {
		h.uid = a->creds.uid;
		h.gid = a->creds.gid;
		h.pid = a->creds.pid;
	}
	iov[0].base = &h;
	iov[0].len = sizeof(h);

	info.opcode = a->opcode;
	info.unique = unique;
	info.noreply = !!(a->flags & FC_ARGS_NOREPLY);
	info.reply_max = sizeof(struct fc_out_header);
	for (i = 0; i < a->out_numargs; i++)
		info.reply_max += a->out[i].size;
	return c->tp->ops->send(c->tp, iov, n, &info);
}

int fc_send_interrupt(struct fc_conn *c, uint64_t unique)
{
	struct fc_interrupt_in in = { .unique = unique };
	struct fc_args a;

	/* dev.c fuse_read_interrupt: unique | 1, nodeid 0, no credentials. */
	memset(&a, 0, sizeof(a));
	a.opcode = FC_INTERRUPT;
	a.flags = FC_ARGS_NOCREDS | FC_ARGS_NOREPLY;
	a.in_numargs = 1;
	a.in[0].value = &in;
	a.in[0].size = sizeof(in);
	fc_lock(c);
	c->stats.interrupts++;
	c->stats.requests++;
	fc_unlock(c);
	return send_message(c, &a, unique | 1);
}

/*
 * Send a request that is in the pending table (no lock held).  On failure
 * it is completed with the error, unless a reply already took it.
 */
static void send_req(struct fc_conn *c, struct fc_req *r)
{
	uint64_t unique = r->unique;
	int noreply = !!(r->args->flags & FC_ARGS_NOREPLY);
	int err, interrupt, deferred;

	/*
	 * While r->sending is set, a reply (or an abort) only records its
	 * result: the request, and the caller's buffers it points to, stay
	 * valid until the transport is done with them, even if the daemon
	 * answers before send() has returned.
	 */
	err = send_message(c, r->args, unique);
	fc_lock(c);
	r->sending = 0;
	deferred = r->finish_deferred;
	interrupt = !err && !deferred && r->state == FC_REQ_SENT &&
		    r->interrupted && !c->no_interrupt && !c->tp->no_interrupt;
	if (!deferred && err && err != -ENOTCONN) {
		struct fc_req *t = noreply ? r : fc_pending_take(c, unique);

		if (t)
			t->state = FC_REQ_COMPLETING;
		deferred = !!t;
		r->finish_error = err;
		if (r->args == &c->init_args)
			c->init_unsent = 1;
	} else if (!deferred && !err && noreply) {
		deferred = 1;
		r->finish_error = 0;
	}
	fc_unlock(c);

	if (err == -ENOTCONN) {
		/* The daemon is gone: everyone learns it the same way. */
		fc_conn_abort(c);
		if (noreply && !deferred)
			fc_req_finish(c, r, err);
	}
	if (deferred) {
		fc_req_finish(c, r, r->finish_error);
		return;
	}
	/* An interrupt that came before the daemon had the request goes now. */
	if (interrupt)
		fc_send_interrupt(c, unique);
}

/* Give @r its unique and put it in the pending table (lock held). */
static void dispatch_locked(struct fc_conn *c, struct fc_req *r)
{
	r->unique = next_unique(c);
	r->state = FC_REQ_SENT;
	r->sending = 1;
	if (!(r->args->flags & FC_ARGS_NOREPLY))
		pending_insert(c, r);
	else
		r->state = FC_REQ_COMPLETING;
	c->stats.requests++;
}

/*
 * Move background requests into flight while below max_background
 * (dev.c flush_bg_queue).  Returns the list to send, linked by qnext.
 */
static struct fc_req *flush_bg_locked(struct fc_conn *c)
{
	struct fc_req *head = NULL, **tail = &head;

	while (c->bg_head && c->active_background < c->info.max_background) {
		struct fc_req *r = c->bg_head;

		c->bg_head = r->qnext;
		if (!c->bg_head)
			c->bg_tail = NULL;
		r->qnext = NULL;
		c->active_background++;
		dispatch_locked(c, r);
		*tail = r;
		tail = &r->qnext;
	}
	return head;
}

static void send_list(struct fc_conn *c, struct fc_req *list)
{
	while (list) {
		struct fc_req *next = list->qnext;

		list->qnext = NULL;
		send_req(c, list);
		list = next;
	}
}

/*
 * Complete a request that is out of the pending table (state COMPLETING),
 * no lock held.  A waiter is woken; a background request's end runs here
 * and frees its slot for the next queued one.
 */
void fc_req_finish(struct fc_conn *c, struct fc_req *r, int error)
{
	struct fc_req *more;
	fc_end_fn end;
	void *ctx;

	fc_lock(c);
	if (r->sending) {
		/* send_req() finishes it once the transport has let go. */
		r->finish_deferred = 1;
		r->finish_error = error;
		fc_unlock(c);
		return;
	}
	if (!r->background) {
		req_done_locked(c, r, error);
		fc_unlock(c);
		return;
	}
	live_unlink(c, r);
	if (r->state != FC_REQ_WAITING)
		c->active_background--;
	end = r->end;
	ctx = r->end_ctx;
	more = c->state == FC_CONN_ABORTED ? NULL : flush_bg_locked(c);
	fc_unlock(c);

	end(c, r->args, error, ctx);
	/*
	 * It counts as background until its end has run, so that
	 * fc_conn_wait_background() means "every end callback is over".
	 */
	fc_lock(c);
	c->num_background--;
	req_release(c, r);
	c->plat->cond_broadcast(c->plat->ctx, c->waitq);
	fc_unlock(c);
	send_list(c, more);
}

/* Common checks before a request may be made (lock held). */
static int conn_usable(const struct fc_conn *c)
{
	switch (c->state) {
	case FC_CONN_ABORTED:
		return -ENOTCONN;
	case FC_CONN_FAILED:
		return -ECONNREFUSED;
	case FC_CONN_NEW:
		/* INIT has to be sent first (fc_conn_init). */
		return -ENOTCONN;
	default:
		return 0;
	}
}

int fc_conn_send(struct fc_conn *c, struct fc_args *a)
{
	struct fc_req *r;
	int err, read = 0;

	fc_lock(c);
	req_reservation_used(c, a);
	err = conn_usable(c);
	if (err)
		goto out_unlock;
	r = req_alloc(c, a);
	if (!r) {
		err = -ENOMEM;
		goto out_unlock;
	}
	/* dev.c fuse_block_alloc: nothing but forced requests before INIT is done. */
	while (r->state == FC_REQ_WAITING && c->state == FC_CONN_INIT_SENT &&
	       !(a->flags & FC_ARGS_FORCE)) {
		err = conn_wait(c, "init");
		if (err)
			break;
	}
	if (r->state == FC_REQ_DONE) {
		err = r->error; /* interrupted fatally while waiting */
		goto out_release;
	}
	if (!err)
		err = conn_usable(c);
	if (!err && fc_opcode_caches_nosys(a->opcode) &&
	    fc_conn_nosys(c, a->opcode))
		err = -ENOSYS;
	if (err) {
		live_unlink(c, r);
		goto out_release;
	}
	if (c->state == FC_CONN_READY)
		fc_adjust_compat(c, a);
	dispatch_locked(c, r);
	fc_unlock(c);

	send_req(c, r);

	fc_lock(c);
	while (r->state != FC_REQ_DONE) {
		if (r->state != FC_REQ_COMPLETING && !c->tp->ops->poll &&
		    conn_try_read(c, r, 0)) {
			read = 1;
			continue; /* re-check */
		}
		if (r->state == FC_REQ_COMPLETING || !c->tp->ops->poll) {
			/*
			 * Another thread is copying the reply in, or reads for
			 * us: sleep until this request is done (or, reading
			 * handed over, until it is our turn to read).
			 */
			if (r->state == FC_REQ_DONE)
				break;
			r->sleeping = 1;
			c->nsleep_reply++;
			c->plat->cond_wait(c->plat->ctx, req_cond(c, r), c->lock,
					   "reply");
			c->nsleep_reply--;
			r->sleeping = 0;
			continue;
		}
		err = conn_wait(c, "reply");
		if (err && r->state == FC_REQ_SENT) {
			/* Nothing will ever answer: give the request up. */
			fc_pending_take(c, r->unique);
			req_done_locked(c, r, err);
		}
	}
	/* Done reading for ourselves: another waiter reads now. */
	reader_release_handed(c, r);
	if (read)
		reader_handover(c);
	err = r->error;
	if (err >= 0)
		err = (int)a->out_len;
out_release:
	req_release(c, r);
out_unlock:
	fc_unlock(c);
	return err;
}

int fc_conn_send_bg(struct fc_conn *c, struct fc_args *a, fc_end_fn end,
		    void *ctx)
{
	struct fc_req *r, *list;
	int err;

	fc_lock(c);
	req_reservation_used(c, a);
	for (;;) {
		err = conn_usable(c);
		if (err || (a->flags & FC_ARGS_FORCE))
			break;
		/* dev.c fuse_get_req: wait for INIT and for a background slot. */
		if (c->state == FC_CONN_INIT_SENT)
			err = conn_wait(c, "init");
		else if (c->num_background >= c->info.max_background)
			err = conn_wait(c, "background");
		else
			break;
		if (err)
			break;
	}
	if (!err && fc_opcode_caches_nosys(a->opcode) &&
	    fc_conn_nosys(c, a->opcode))
		err = -ENOSYS;
	if (err)
		goto out_unlock;
	r = req_alloc(c, a);
	if (!r) {
		err = -ENOMEM;
		goto out_unlock;
	}
	if (c->state == FC_CONN_READY)
		fc_adjust_compat(c, a);
	r->background = 1;
	r->end = end;
	r->end_ctx = ctx;
	c->num_background++;
	c->stats.background++;
	if (c->bg_tail)
		c->bg_tail->qnext = r;
	else
		c->bg_head = r;
	c->bg_tail = r;
	list = flush_bg_locked(c);
	fc_unlock(c);
	send_list(c, list);
	return 0;
out_unlock:
	fc_unlock(c);
	return err;
}

void fc_conn_interrupt(struct fc_conn *c, const void *task, int fatal)
{
	int again = 1;

	while (again) {
		struct fc_req *r;
		uint64_t unique = 0;

		again = 0;
		fc_lock(c);
		for (r = c->live; r; r = r->lnext) {
			if (r->background || r->args->task != task || !task ||
			    r->interrupted)
				continue;
			if (r->state == FC_REQ_WAITING) {
				if (fatal && !(r->args->flags & FC_ARGS_FORCE))
					req_done_locked(c, r, -EINTR);
				else
					r->interrupted = 1;
				again = 1;
				break;
			}
			if (r->state == FC_REQ_SENT) {
				/* dev.c request_wait_answer: FR_INTERRUPTED is set once. */
				r->interrupted = 1;
				if (!c->no_interrupt && !c->tp->no_interrupt)
					unique = r->unique;
				again = 1;
				break;
			}
		}
		fc_unlock(c);
		if (unique)
			fc_send_interrupt(c, unique);
	}
}

void fc_conn_resend(struct fc_conn *c)
{
	struct fc_req *r, *list = NULL;

	/*
	 * dev.c fuse_resend: every request the daemon holds goes out again
	 * with FUSE_UNIQUE_RESEND set; its reply must carry that unique.
	 */
	fc_lock(c);
	for (r = c->live; r; r = r->lnext) {
		if (r->state != FC_REQ_SENT || (r->unique & FC_UNIQUE_RESEND))
			continue;
		fc_pending_take(c, r->unique);
		r->unique |= FC_UNIQUE_RESEND;
		r->sending = 1;
		pending_insert(c, r);
		r->qnext = list;
		list = r;
	}
	fc_unlock(c);
	for (r = list; r; r = list) {
		list = r->qnext;
		r->qnext = NULL;
		send_req(c, r);
	}
}

void fc_conn_abort(struct fc_conn *c)
{
	struct fc_req *r, *next, *list = NULL;

	fc_lock(c);
	if (c->state == FC_CONN_ABORTED) {
		fc_unlock(c);
		return;
	}
	c->state = FC_CONN_ABORTED;
	for (r = c->live; r; r = next) {
		next = r->lnext;
		if (r->state == FC_REQ_COMPLETING)
			continue; /* its deliverer finishes it */
		if (r->state == FC_REQ_SENT)
			fc_pending_take(c, r->unique);
		if (!r->background) {
			req_done_locked(c, r, -ENOTCONN);
			continue;
		}
		/*
		 * Background: the end callbacks run without the lock.  Linked
		 * by anext, not qnext: a request just taken off the background
		 * queue may still be on a list that send_list() walks unlocked.
		 */
		if (r->state == FC_REQ_SENT)
			r->state = FC_REQ_COMPLETING;
		r->anext = list;
		list = r;
	}
	c->bg_head = c->bg_tail = NULL;
	c->plat->cond_broadcast(c->plat->ctx, c->waitq);
	fc_unlock(c);
	fc_conn_log(c, FC_LOG_INFO, "connection aborted");

	for (r = list; r; r = next) {
		next = r->anext;
		r->anext = NULL;
		fc_req_finish(c, r, -ENOTCONN);
	}
}

/* ---- lifecycle ------------------------------------------------------------ */

void fc_conn_config_default(struct fc_conn_config *cfg,
			    const struct fc_platform *plat,
			    struct fc_transport *t)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_CONN_CONFIG_VERSION;
	cfg->plat = plat;
	cfg->transport = t;
	fc_init_profile_default(&cfg->init, t ? t->kind : FC_TRANSPORT_FUSE_DEV);
}

static void conn_free_objects(struct fc_conn *c)
{
	const struct fc_platform *p = c->plat;

	while (c->free_reqs) {
		struct fc_req *r = c->free_reqs;

		c->free_reqs = r->qnext;
		req_free(c, r);
	}
	p->free(p->ctx, c->hash);
	if (c->waitq)
		p->cond_free(p->ctx, c->waitq);
	if (c->lock)
		p->mutex_free(p->ctx, c->lock);
	p->free(p->ctx, c);
}

int fc_conn_new(const struct fc_conn_config *cfg, struct fc_conn **out)
{
	const struct fc_platform *p;
	struct fc_conn *c;

	*out = NULL;
	if (!cfg || cfg->version != FC_CONN_CONFIG_VERSION || !cfg->plat ||
	    cfg->plat->version != FC_PLATFORM_VERSION || !cfg->transport ||
	    !cfg->transport->ops || cfg->transport->ops->version < 1 ||
	    cfg->transport->ops->version > FC_TRANSPORT_VERSION) {
		if (cfg && cfg->transport && cfg->transport->ops)
			cfg->transport->ops->destroy(cfg->transport);
		return -EINVAL;
	}
	p = cfg->plat;
	c = p->alloc(p->ctx, sizeof(*c));
	if (!c)
		goto nomem;
	memset(c, 0, sizeof(*c));
	c->plat = p;
	c->tp = cfg->transport;
	c->lock = p->mutex_new(p->ctx);
	c->waitq = p->cond_new(p->ctx);
	c->hash = p->alloc(p->ctx, FC_HASH_INITIAL * sizeof(*c->hash));
	if (!c->lock || !c->waitq || !c->hash) {
		conn_free_objects(c);
		goto nomem;
	}
	memset(c->hash, 0, FC_HASH_INITIAL * sizeof(*c->hash));
	c->hash_mask = FC_HASH_INITIAL - 1;
	c->profile = cfg->init;
	c->notify = cfg->notify;
	c->notify_ctx = cfg->notify_ctx;
	c->info.max_background = FC_DEFAULT_MAX_BACKGROUND;
	c->info.congestion_threshold = FC_DEFAULT_CONGESTION_THRESHOLD;
	c->state = FC_CONN_NEW;
	/* Version 1 tables end before the recv hook. */
	if (c->tp->ops->version >= 2)
		c->tp_recv = c->tp->ops->recv;
	if (c->tp->ops->attach)
		c->tp->ops->attach(c->tp, c);
	*out = c;
	return 0;
nomem:
	cfg->transport->ops->destroy(cfg->transport);
	return -ENOMEM;
}

void fc_conn_free(struct fc_conn *c)
{
	if (!c)
		return;
	fc_conn_abort(c);
	if (c->tp->ops->attach)
		c->tp->ops->attach(c->tp, NULL);
	c->tp->ops->destroy(c->tp);
	conn_free_objects(c);
}

int fc_conn_init_start(struct fc_conn *c)
{
	int err;

	fc_lock(c);
	if (c->state != FC_CONN_NEW) {
		fc_unlock(c);
		return -EALREADY;
	}
	c->state = FC_CONN_INIT_SENT;
	fc_init_fill_request(c);
	fc_unlock(c);
	err = fc_conn_send_bg(c, &c->init_args, fc_init_reply_end, NULL);
	if (err) {
		fc_lock(c);
		if (c->state == FC_CONN_INIT_SENT)
			c->state = FC_CONN_FAILED;
		c->init_error = err;
		c->plat->cond_broadcast(c->plat->ctx, c->waitq);
		fc_unlock(c);
	}
	return err;
}

int fc_conn_init(struct fc_conn *c)
{
	int err = 0;

	if (fc_conn_state(c) == FC_CONN_NEW) {
		err = fc_conn_init_start(c);
		if (err)
			return err;
	}
	fc_lock(c);
	while (c->state == FC_CONN_INIT_SENT) {
		err = conn_wait(c, "init");
		if (err)
			break;
	}
	if (c->state == FC_CONN_READY)
		err = 0;
	else if (c->state == FC_CONN_FAILED)
		err = c->init_error ? c->init_error : -ECONNREFUSED;
	else if (c->state == FC_CONN_ABORTED)
		err = -ENOTCONN;
	fc_unlock(c);
	return err;
}

int fc_conn_destroy_request(struct fc_conn *c)
{
	struct fc_args a;

	if (fc_conn_state(c) != FC_CONN_READY)
		return -ENOTCONN;
	/* inode.c fuse_send_destroy: forced, without credentials. */
	memset(&a, 0, sizeof(a));
	a.opcode = FC_DESTROY;
	a.flags = FC_ARGS_FORCE | FC_ARGS_NOCREDS;
	return fc_conn_send(c, &a);
}

enum fc_conn_state fc_conn_state(struct fc_conn *c)
{
	enum fc_conn_state s;

	fc_lock(c);
	s = c->state;
	fc_unlock(c);
	return s;
}

const struct fc_conn_info *fc_conn_info(const struct fc_conn *c)
{
	return &c->info;
}

/* ---- ENOSYS cache, statistics, accessors --------------------------------- */

int fc_opcode_caches_nosys(uint32_t opcode)
{
	switch (opcode) {
	case FC_OPEN: case FC_OPENDIR: case FC_FLUSH: case FC_FSYNC:
	case FC_FSYNCDIR: case FC_SETXATTR: case FC_GETXATTR:
	case FC_LISTXATTR: case FC_REMOVEXATTR: case FC_ACCESS:
	case FC_CREATE: case FC_TMPFILE: case FC_LINK: case FC_RENAME2:
	case FC_BMAP: case FC_POLL: case FC_FALLOCATE: case FC_LSEEK:
	case FC_COPY_FILE_RANGE: case FC_COPY_FILE_RANGE_64: case FC_STATX:
	case FC_SYNCFS:
		return 1;
	default:
		return 0;
	}
}

int fc_conn_nosys(const struct fc_conn *c, uint32_t opcode)
{
	if (opcode >= 64 * FC_NOSYS_WORDS)
		return 0;
	return !!(c->nosys[opcode / 64] & (1ULL << (opcode % 64)));
}

void fc_conn_set_nosys(struct fc_conn *c, uint32_t opcode, int on)
{
	fc_lock(c);
	fc_nosys_set_locked(c, opcode, on);
	fc_unlock(c);
}

void fc_conn_stats(struct fc_conn *c, struct fc_conn_stats *out)
{
	fc_lock(c);
	*out = c->stats;
	fc_unlock(c);
}

void fc_conn_count_bad_content(struct fc_conn *c)
{
	fc_lock(c);
	c->stats.bad_content++;
	fc_unlock(c);
}

unsigned fc_conn_num_background(struct fc_conn *c)
{
	unsigned n;

	fc_lock(c);
	n = c->num_background;
	fc_unlock(c);
	return n;
}

int fc_conn_wait_background(struct fc_conn *c)
{
	int err = 0;

	fc_lock(c);
	while (c->num_background && !err)
		err = conn_wait(c, "background-idle");
	if (!c->num_background)
		err = 0;
	fc_unlock(c);
	return err;
}

int fc_conn_congested(struct fc_conn *c)
{
	int r;

	fc_lock(c);
	r = c->num_background >= c->info.congestion_threshold;
	fc_unlock(c);
	return r;
}

const struct fc_platform *fc_conn_platform(const struct fc_conn *c)
{
	return c->plat;
}

struct fc_transport *fc_conn_transport(const struct fc_conn *c)
{
	return c->tp;
}
