/*
 * The scriptable mock daemon (see fusecore/mock.h).
 *
 * It lives on the daemon side of the memory transport.  A step reads one
 * request, records a private copy, finds the first expectation that fits
 * and answers as that expectation says.
 *
 * Locking: one platform mutex guards expectations, the record and held
 * answers, because in threaded mode a daemon thread steps while the test
 * thread adds expectations, releases held answers and reads the record.
 * The lock is never held while writing to the transport: a write delivers
 * into the connection, which may complete a caller whose code sends again,
 * and in polled mode that re-enters fc_mock_pump() on the same thread.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fusecore/mock.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

enum mock_action {
	MOCK_DEFAULT = 0,	/* empty success, or nothing for no-reply ops */
	MOCK_REPLY,
	MOCK_ERROR,
	MOCK_NOREPLY,
	MOCK_RESPOND,
	MOCK_DISCONNECT,
};

/* A recorded request and the bytes it points into, in one allocation. */
struct mock_req {
	struct fc_mock_req pub;
	unsigned char bytes[];
};

struct fc_mock_exp {
	struct fc_mock *mock;
	struct fc_mock_exp *next;	/* in the order added */

	uint32_t opcode;
	uint64_t nodeid;
	fc_mock_pred_fn pred;
	void *pred_ctx;
	unsigned times;
	unsigned used;
	/* Requests whose answer has been carried out (written or skipped). */
	unsigned answered;

	enum mock_action action;
	void *payload;
	size_t payload_len;
	int error;
	fc_mock_respond_fn respond;
	void *respond_ctx;
	int hold;

	/* Requests whose answer is held back, oldest first. */
	const struct fc_mock_req **held;
	unsigned nheld, held_cap;

	/* Write results of the messages sent for this expectation. */
	int *results;
	unsigned nresults, results_cap;

	const struct fc_mock_req *last;
};

struct fc_mock {
	const struct fc_platform *plat;
	struct fc_mutex *lock;
	/* Broadcast whenever the record, a hold count or "gone" changes. */
	struct fc_cond *changed;

	struct fc_transport *transport;
	int polled;
	int gone;

	struct fc_mock_exp *exp_head, *exp_tail;

	struct mock_req **rec;
	unsigned nrec, rec_cap;
	unsigned unexpected;
};

static void mock_lock(struct fc_mock *m)
{
	m->plat->mutex_lock(m->plat->ctx, m->lock);
}

static void mock_unlock(struct fc_mock *m)
{
	m->plat->mutex_unlock(m->plat->ctx, m->lock);
}

static void mock_wake(struct fc_mock *m)
{
	m->plat->cond_broadcast(m->plat->ctx, m->changed);
}

/*
 * Make room for @need elements of @elem bytes in @arr (capacity *@cap).
 * The platform has no realloc, so grow by doubling with copy.  Returns the
 * array to use from now on, or NULL if out of memory (@arr is then left
 * as it was).
 */
static void *mock_grow(struct fc_mock *m, void *arr, unsigned *cap,
		       size_t elem, unsigned need)
{
	unsigned ncap = *cap ? *cap : 8;
	void *narr;

	if (need <= *cap)
		return arr;
	while (ncap < need)
		ncap *= 2;
	narr = m->plat->alloc(m->plat->ctx, (size_t)ncap * elem);
	if (!narr)
		return NULL;
	if (arr)
		memcpy(narr, arr, (size_t)*cap * elem);
	m->plat->free(m->plat->ctx, arr);
	*cap = ncap;
	return narr;
}

/* Requests the kernel side never waits an answer for. */
static int opcode_takes_no_reply(uint32_t opcode)
{
	return opcode == FC_FORGET || opcode == FC_BATCH_FORGET ||
	       opcode == FC_NOTIFY_REPLY;
}

/* Append a write result to @exp; called without the lock. */
static void mock_note_result(struct fc_mock_exp *exp, int result)
{
	struct fc_mock *m;
	int *results;

	if (!exp)
		return;
	m = exp->mock;
	mock_lock(m);
	/* On ENOMEM the result is lost; the count then shows it. */
	results = mock_grow(m, exp->results, &exp->results_cap, sizeof(int),
			    exp->nresults + 1);
	if (results) {
		exp->results = results;
		exp->results[exp->nresults++] = result;
	}
	mock_unlock(m);
}

/* ---- Lifecycle ----------------------------------------------------------- */

int fc_mock_new(const struct fc_platform *plat, struct fc_mock **out)
{
	struct fc_mock *m;

	if (!plat || !out || plat->version != FC_PLATFORM_VERSION)
		return -EINVAL;
	m = plat->alloc(plat->ctx, sizeof(*m));
	if (!m)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	m->plat = plat;
	m->lock = plat->mutex_new(plat->ctx);
	if (!m->lock)
		goto fail;
	m->changed = plat->cond_new(plat->ctx);
	if (!m->changed)
		goto fail_lock;
	*out = m;
	return 0;

fail_lock:
	plat->mutex_free(plat->ctx, m->lock);
fail:
	plat->free(plat->ctx, m);
	return -ENOMEM;
}

int fc_mock_new_transport(struct fc_mock *m, enum fc_transport_kind kind,
			  int polled, struct fc_transport **out)
{
	struct fc_transport *t;
	int err;

	err = fc_mem_transport_new(m->plat, kind, polled ? fc_mock_pump : NULL,
				   m, &t);
	if (err)
		return err;
	fc_mock_attach(m, t, polled);
	*out = t;
	return 0;
}

void fc_mock_attach(struct fc_mock *m, struct fc_transport *t, int polled)
{
	mock_lock(m);
	m->transport = t;
	m->polled = polled;
	m->gone = 0;
	mock_unlock(m);
}

struct fc_transport *fc_mock_transport(struct fc_mock *m)
{
	return m->transport;
}

void fc_mock_free(struct fc_mock *m)
{
	const struct fc_platform *plat;
	struct fc_mock_exp *exp;
	unsigned i;

	if (!m)
		return;
	plat = m->plat;
	exp = m->exp_head;
	while (exp) {
		struct fc_mock_exp *next = exp->next;

		plat->free(plat->ctx, exp->payload);
		plat->free(plat->ctx, exp->held);
		plat->free(plat->ctx, exp->results);
		plat->free(plat->ctx, exp);
		exp = next;
	}
	for (i = 0; i < m->nrec; i++)
		plat->free(plat->ctx, m->rec[i]);
	plat->free(plat->ctx, m->rec);
	plat->cond_free(plat->ctx, m->changed);
	plat->mutex_free(plat->ctx, m->lock);
	plat->free(plat->ctx, m);
}

/* ---- Expectations -------------------------------------------------------- */

struct fc_mock_exp *fc_mock_expect(struct fc_mock *m, uint32_t opcode,
				   uint64_t nodeid)
{
	struct fc_mock_exp *exp;

	exp = m->plat->alloc(m->plat->ctx, sizeof(*exp));
	if (!exp)
		return NULL;
	memset(exp, 0, sizeof(*exp));
	exp->mock = m;
	exp->opcode = opcode;
	exp->nodeid = nodeid;
	exp->times = 1;

	mock_lock(m);
	if (m->exp_tail)
		m->exp_tail->next = exp;
	else
		m->exp_head = exp;
	m->exp_tail = exp;
	mock_unlock(m);
	return exp;
}

void fc_mock_exp_times(struct fc_mock_exp *exp, unsigned times)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->times = times;
	mock_unlock(exp->mock);
}

void fc_mock_exp_match(struct fc_mock_exp *exp, fc_mock_pred_fn pred,
		       void *ctx)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->pred = pred;
	exp->pred_ctx = ctx;
	mock_unlock(exp->mock);
}

int fc_mock_exp_reply(struct fc_mock_exp *exp, const void *payload,
		      size_t len)
{
	struct fc_mock *m;
	void *copy = NULL;

	if (!exp)
		return -EINVAL;
	m = exp->mock;
	if (len) {
		copy = m->plat->alloc(m->plat->ctx, len);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, payload, len);
	}
	mock_lock(m);
	m->plat->free(m->plat->ctx, exp->payload);
	exp->payload = copy;
	exp->payload_len = len;
	exp->action = MOCK_REPLY;
	mock_unlock(m);
	return 0;
}

void fc_mock_exp_error(struct fc_mock_exp *exp, int error)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->action = MOCK_ERROR;
	exp->error = error;
	mock_unlock(exp->mock);
}

void fc_mock_exp_noreply(struct fc_mock_exp *exp)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->action = MOCK_NOREPLY;
	mock_unlock(exp->mock);
}

void fc_mock_exp_respond(struct fc_mock_exp *exp, fc_mock_respond_fn fn,
			 void *ctx)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->action = MOCK_RESPOND;
	exp->respond = fn;
	exp->respond_ctx = ctx;
	mock_unlock(exp->mock);
}

void fc_mock_exp_disconnect(struct fc_mock_exp *exp)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->action = MOCK_DISCONNECT;
	mock_unlock(exp->mock);
}

void fc_mock_exp_hold(struct fc_mock_exp *exp)
{
	if (!exp)
		return;
	mock_lock(exp->mock);
	exp->hold = 1;
	mock_unlock(exp->mock);
}

unsigned fc_mock_exp_used(struct fc_mock_exp *exp)
{
	unsigned n;

	mock_lock(exp->mock);
	n = exp->used;
	mock_unlock(exp->mock);
	return n;
}

unsigned fc_mock_exp_answered(struct fc_mock_exp *exp)
{
	unsigned n;

	mock_lock(exp->mock);
	n = exp->answered;
	mock_unlock(exp->mock);
	return n;
}

unsigned fc_mock_exp_held(struct fc_mock_exp *exp)
{
	unsigned n;

	mock_lock(exp->mock);
	n = exp->nheld;
	mock_unlock(exp->mock);
	return n;
}

const struct fc_mock_req *fc_mock_exp_last(struct fc_mock_exp *exp)
{
	const struct fc_mock_req *r;

	mock_lock(exp->mock);
	r = exp->last;
	mock_unlock(exp->mock);
	return r;
}

unsigned fc_mock_exp_nresults(struct fc_mock_exp *exp)
{
	unsigned n;

	mock_lock(exp->mock);
	n = exp->nresults;
	mock_unlock(exp->mock);
	return n;
}

int fc_mock_exp_result(struct fc_mock_exp *exp, int i)
{
	int result = -ERANGE;
	long idx;

	mock_lock(exp->mock);
	idx = i < 0 ? (long)exp->nresults + i : i;
	if (idx >= 0 && idx < (long)exp->nresults)
		result = exp->results[idx];
	mock_unlock(exp->mock);
	return result;
}

/* ---- Answering ----------------------------------------------------------- */

/*
 * Carry out @exp's answer to @r.  Called without the lock; the fields read
 * here are only changed by the script, which does so before the requests
 * they concern arrive.  Returns the result of the last write, 0 if none.
 */
static int mock_answer(struct fc_mock *m, struct fc_mock_exp *exp,
		       const struct fc_mock_req *r)
{
	uint64_t unique = r->hdr.unique;

	switch (exp->action) {
	case MOCK_DEFAULT:
		if (opcode_takes_no_reply(r->hdr.opcode))
			return 0;
		return fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique,
					   NULL, 0);
	case MOCK_REPLY:
		return fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, unique,
					   exp->payload, exp->payload_len);
	case MOCK_ERROR:
		return fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO,
					   exp->error, unique, NULL, 0);
	case MOCK_NOREPLY:
		return 0;
	case MOCK_RESPOND: {
		unsigned before = fc_mock_exp_nresults(exp);

		exp->respond(m, exp, r, exp->respond_ctx);
		return fc_mock_exp_nresults(exp) > before ?
		       fc_mock_exp_result(exp, -1) : 0;
	}
	case MOCK_DISCONNECT:
		fc_mock_disconnect(m);
		return 0;
	}
	return 0;
}

/* Answer, then let fc_mock_wait_answered() waiters know. */
static int mock_answer_counted(struct fc_mock *m, struct fc_mock_exp *exp,
			       const struct fc_mock_req *r)
{
	int result = mock_answer(m, exp, r);

	mock_lock(m);
	exp->answered++;
	mock_wake(m);
	mock_unlock(m);
	return result;
}

static int mock_matches(const struct fc_mock_exp *exp,
			const struct fc_mock_req *r)
{
	if (exp->times != FC_MOCK_UNLIMITED && exp->used >= exp->times)
		return 0;
	if (exp->opcode != FC_MOCK_ANY_OPCODE && exp->opcode != r->hdr.opcode)
		return 0;
	if (exp->nodeid != FC_MOCK_ANY_NODEID && exp->nodeid != r->hdr.nodeid)
		return 0;
	if (exp->pred && !exp->pred(r, exp->pred_ctx))
		return 0;
	return 1;
}

int fc_mock_release(struct fc_mock_exp *exp)
{
	struct fc_mock *m = exp->mock;
	const struct fc_mock_req *r;

	mock_lock(m);
	if (!exp->nheld) {
		mock_unlock(m);
		return -ENOENT;
	}
	r = exp->held[0];
	exp->nheld--;
	memmove(exp->held, exp->held + 1, exp->nheld * sizeof(exp->held[0]));
	mock_wake(m);
	mock_unlock(m);

	return mock_answer_counted(m, exp, r);
}

/*
 * Take the next request off the transport into a fresh record.  Returns 1
 * and sets *@out, 0 if nothing is queued, or -errno.
 */
static int mock_read(struct fc_mock *m, int block, struct mock_req **out)
{
	struct fc_transport *t = m->transport;

	for (;;) {
		size_t size = fc_mem_daemon_peek(t);
		struct mock_req *req;
		long got;

		if (!size) {
			/*
			 * A zero-sized buffer waits (if @block) without
			 * taking anything: -EMSGSIZE says a request arrived.
			 */
			got = fc_mem_daemon_read(t, NULL, 0, block);
			if (got == -EMSGSIZE)
				continue;
			return got < 0 ? (int)got : 0;
		}

		req = m->plat->alloc(m->plat->ctx, sizeof(*req) + size);
		if (!req)
			return -ENOMEM;
		got = fc_mem_daemon_read(t, req->bytes, size, 0);
		if (got <= 0) {
			m->plat->free(m->plat->ctx, req);
			/* Another reader took it first: look again. */
			if (got == 0 || got == -EMSGSIZE)
				continue;
			return (int)got;
		}

		memset(&req->pub, 0, sizeof(req->pub));
		memcpy(&req->pub.hdr, req->bytes,
		       (size_t)got < sizeof(req->pub.hdr) ? (size_t)got
							   : sizeof(req->pub.hdr));
		req->pub.msg = req->bytes;
		req->pub.len = (size_t)got;
		if ((size_t)got > sizeof(struct fc_in_header)) {
			req->pub.body = req->bytes + sizeof(struct fc_in_header);
			req->pub.body_len = (size_t)got -
					    sizeof(struct fc_in_header);
		} else {
			req->pub.body = req->bytes + got;
			req->pub.body_len = 0;
		}
		*out = req;
		return 1;
	}
}

int fc_mock_step(struct fc_mock *m, int block)
{
	struct fc_mock_exp *exp;
	struct mock_req *req = NULL, **rec; /* gcc -O2 cannot see mock_read set it */
	const struct fc_mock_req *r, **held;
	int err;

	if (!m->transport)
		return -ENODEV;
	err = mock_read(m, block, &req);
	if (err <= 0) {
		if (err == -ENODEV) {
			mock_lock(m);
			m->gone = 1;
			mock_wake(m);
			mock_unlock(m);
		}
		return err;
	}
	r = &req->pub;

	mock_lock(m);
	rec = mock_grow(m, m->rec, &m->rec_cap, sizeof(m->rec[0]), m->nrec + 1);
	if (!rec) {
		mock_unlock(m);
		m->plat->free(m->plat->ctx, req);
		return -ENOMEM;
	}
	m->rec = rec;
	req->pub.index = m->nrec;
	m->rec[m->nrec++] = req;

	for (exp = m->exp_head; exp; exp = exp->next)
		if (mock_matches(exp, r))
			break;
	req->pub.exp = exp;

	if (!exp) {
		m->unexpected++;
		mock_wake(m);
		mock_unlock(m);
		/* A daemon that does not know an operation says ENOSYS. */
		if (!opcode_takes_no_reply(r->hdr.opcode))
			fc_mock_write_reply(m, NULL, FC_MOCK_LEN_AUTO, -ENOSYS,
					    r->hdr.unique, NULL, 0);
		return 1;
	}

	exp->used++;
	exp->last = r;
	if (exp->hold) {
		held = mock_grow(m, exp->held, &exp->held_cap,
				 sizeof(exp->held[0]), exp->nheld + 1);
		if (held) {
			exp->held = held;
			exp->held[exp->nheld++] = r;
			mock_wake(m);
			mock_unlock(m);
			return 1;
		}
		/* Cannot hold it: answer at once rather than lose it. */
	}
	mock_wake(m);
	mock_unlock(m);

	mock_answer_counted(m, exp, r);
	return 1;
}

int fc_mock_pump(void *mock)
{
	struct fc_mock *m = mock;
	int handled = 0;
	int ret;

	while ((ret = fc_mock_step(m, 0)) > 0)
		handled++;
	if (!handled && ret < 0)
		return ret;
	return handled;
}

unsigned fc_mock_serve(struct fc_mock *m)
{
	unsigned handled = 0;

	while (fc_mock_step(m, 1) > 0)
		handled++;
	return handled;
}

enum mock_wait_kind { WAIT_RECORDED, WAIT_USED, WAIT_HELD, WAIT_ANSWERED };

/* Has the awaited count been reached?  Called with the lock held. */
static int mock_wait_done(struct fc_mock *m, struct fc_mock_exp *exp,
			  enum mock_wait_kind kind, unsigned n)
{
	switch (kind) {
	case WAIT_RECORDED:
		return m->nrec >= n;
	case WAIT_USED:
		return exp->used >= n;
	case WAIT_HELD:
		return exp->nheld >= n;
	case WAIT_ANSWERED:
		return exp->answered >= n;
	}
	return 1;
}

/*
 * Wait for a count.  In polled mode nobody else would move the daemon
 * forward, so serve queued requests here and give up when none is left.
 */
static int mock_wait(struct fc_mock *m, struct fc_mock_exp *exp,
		     enum mock_wait_kind kind, unsigned n)
{
	int ret = 0;

	mock_lock(m);
	while (!mock_wait_done(m, exp, kind, n)) {
		if (m->gone) {
			ret = -ENODEV;
			break;
		}
		if (m->polled) {
			int stepped;

			mock_unlock(m);
			stepped = fc_mock_step(m, 0);
			mock_lock(m);
			if (stepped == 0) {
				ret = -EDEADLK;
				break;
			}
			if (stepped < 0) {
				ret = stepped;
				break;
			}
			continue;
		}
		m->plat->cond_wait(m->plat->ctx, m->changed, m->lock, "mock");
	}
	mock_unlock(m);
	return ret;
}

int fc_mock_wait_recorded(struct fc_mock *m, unsigned n)
{
	return mock_wait(m, NULL, WAIT_RECORDED, n);
}

int fc_mock_wait_used(struct fc_mock_exp *exp, unsigned n)
{
	return mock_wait(exp->mock, exp, WAIT_USED, n);
}

int fc_mock_wait_held(struct fc_mock_exp *exp, unsigned n)
{
	return mock_wait(exp->mock, exp, WAIT_HELD, n);
}

int fc_mock_wait_answered(struct fc_mock_exp *exp, unsigned n)
{
	return mock_wait(exp->mock, exp, WAIT_ANSWERED, n);
}

/* ---- Writing raw messages ------------------------------------------------ */

int fc_mock_write(struct fc_mock *m, struct fc_mock_exp *exp,
		  const void *msg, size_t len)
{
	int result;

	if (!m->transport)
		return -ENODEV;
	result = fc_mem_daemon_write(m->transport, msg, len);
	mock_note_result(exp, result);
	return result;
}

int fc_mock_write_reply(struct fc_mock *m, struct fc_mock_exp *exp,
			uint32_t len, int32_t error, uint64_t unique,
			const void *payload, size_t payload_len)
{
	struct fc_out_header oh;
	unsigned char *buf;
	size_t total = sizeof(oh) + payload_len;
	int result;

	buf = m->plat->alloc(m->plat->ctx, total);
	if (!buf)
		return -ENOMEM;
	oh.len = len == FC_MOCK_LEN_AUTO ? (uint32_t)total : len;
	oh.error = error;
	oh.unique = unique;
	memcpy(buf, &oh, sizeof(oh));
	if (payload_len)
		memcpy(buf + sizeof(oh), payload, payload_len);
	result = fc_mock_write(m, exp, buf, total);
	m->plat->free(m->plat->ctx, buf);
	return result;
}

int fc_mock_notify(struct fc_mock *m, int32_t code, const void *payload,
		   size_t len)
{
	return fc_mock_write_reply(m, NULL, FC_MOCK_LEN_AUTO, code, 0,
				   payload, len);
}

void fc_mock_disconnect(struct fc_mock *m)
{
	if (m->transport)
		fc_mem_daemon_disconnect(m->transport);
	mock_lock(m);
	m->gone = 1;
	mock_wake(m);
	mock_unlock(m);
}

/* ---- What the daemon saw ------------------------------------------------- */

unsigned fc_mock_nrecorded(struct fc_mock *m)
{
	unsigned n;

	mock_lock(m);
	n = m->nrec;
	mock_unlock(m);
	return n;
}

const struct fc_mock_req *fc_mock_recorded(struct fc_mock *m, unsigned i)
{
	const struct fc_mock_req *r = NULL;

	mock_lock(m);
	if (i < m->nrec)
		r = &m->rec[i]->pub;
	mock_unlock(m);
	return r;
}

unsigned fc_mock_count(struct fc_mock *m, uint32_t opcode)
{
	unsigned i, n = 0;

	mock_lock(m);
	for (i = 0; i < m->nrec; i++)
		if (m->rec[i]->pub.hdr.opcode == opcode)
			n++;
	mock_unlock(m);
	return n;
}

unsigned fc_mock_unexpected(struct fc_mock *m)
{
	unsigned n;

	mock_lock(m);
	n = m->unexpected;
	mock_unlock(m);
	return n;
}

/* ---- Payload helpers ----------------------------------------------------- */

void fc_mock_init_out(struct fc_init_out *out, uint64_t flags)
{
	memset(out, 0, sizeof(*out));
	if (flags >> 32)
		flags |= FC_INIT_EXT;
	out->major = FC_KERNEL_VERSION;
	out->minor = FC_KERNEL_MINOR_VERSION;
	out->max_readahead = 131072;
	out->flags = (uint32_t)flags;
	out->flags2 = (uint32_t)(flags >> 32);
	out->max_write = 131072;
	out->time_gran = 1;
	out->max_pages = 32;
}

struct fc_mock_exp *fc_mock_expect_init(struct fc_mock *m,
					const struct fc_init_out *reply)
{
	struct fc_mock_exp *exp = fc_mock_expect(m, FC_INIT,
						 FC_MOCK_ANY_NODEID);

	if (exp && fc_mock_exp_reply(exp, reply, sizeof(*reply)) != 0) {
		/* Retire it, so that INIT is not answered with nothing. */
		fc_mock_exp_times(exp, 0);
		return NULL;
	}
	return exp;
}

void fc_mock_attr_out(struct fc_attr_out *out, uint64_t ino, uint32_t mode)
{
	memset(out, 0, sizeof(*out));
	out->attr.ino = ino;
	out->attr.mode = mode;
	out->attr.nlink = 1;
	out->attr.blksize = 4096;
}

void fc_mock_entry_out(struct fc_entry_out *out, uint64_t nodeid,
		       uint64_t generation, uint32_t mode)
{
	memset(out, 0, sizeof(*out));
	out->nodeid = nodeid;
	out->generation = generation;
	out->attr.ino = nodeid;
	out->attr.mode = mode;
	out->attr.nlink = 1;
	out->attr.blksize = 4096;
}
