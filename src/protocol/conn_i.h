/*
 * Internal view of struct fc_conn, shared by the files of the connection
 * core (conn.c: lifecycle and sending; reply.c: validation and dispatch of
 * daemon messages; init.c: INIT negotiation; notify.c: notifications).
 */
#ifndef FUSECORE_CONN_I_H
#define FUSECORE_CONN_I_H

#include "fusecore/conn.h"
#include "fusecore/proto.h"

/* Life of a request (Linux keeps the same facts in req->flags). */
enum fc_req_state {
	FC_REQ_WAITING = 0, /* allocated, waiting for INIT or a background slot */
	FC_REQ_SENT,        /* in the pending table, the daemon may answer */
	FC_REQ_COMPLETING,  /* out of the table, its reply being copied */
	FC_REQ_DONE,        /* result in error; the waiter may take it */
};

struct fc_req {
	struct fc_args *args;
	uint64_t unique;
	enum fc_req_state state;
	int error;             /* result: payload length or -errno */
	unsigned background:1;
	unsigned interrupted:1; /* an INTERRUPT was asked for (sent once sent) */
	unsigned sending:1;     /* the transport may still read its buffers */
	unsigned finish_deferred:1; /* completed while sending: finish_error */
	int finish_error;
	unsigned sleeping:1;    /* its synchronous caller sleeps on @cond */
	/*
	 * What its synchronous caller sleeps on: the request's own condition
	 * (kept with the cached request object), so that a reply wakes only
	 * the thread waiting for it; the connection's waitq if none could be
	 * made.
	 */
	struct fc_cond *cond;
	fc_end_fn end;
	void *end_ctx;
	struct fc_req *hnext;              /* pending table chain */
	struct fc_req *lprev, *lnext;      /* every live request */
	struct fc_req *qnext;              /* background queue */
	struct fc_req *anext;              /* fc_conn_abort()'s list */
};

#define FC_NOSYS_WORDS 2 /* opcodes below 128 */

struct fc_conn {
	const struct fc_platform *plat;
	struct fc_transport *tp;
	struct fc_mutex *lock;
	struct fc_cond *waitq;
	enum fc_conn_state state;

	struct fc_init_profile profile;
	struct fc_conn_info info;
	int init_error;
	int init_malformed;   /* the INIT reply failed validation */
	int init_unsent;      /* INIT could not be sent: a local error, not a refusal */
	struct fc_init_in init_in;
	struct fc_init_out init_out;
	struct fc_args init_args;

	uint64_t reqctr;
	struct fc_req **hash;
	unsigned hash_mask;
	unsigned npending;
	struct fc_req *live;
	struct fc_req *free_reqs;
	unsigned nfree;
	unsigned nreserved;       /* of the free ones, promised (fc_conn_reserve) */

	struct fc_req *bg_head, *bg_tail;
	unsigned num_background;    /* queued + in flight */
	unsigned active_background; /* in flight */

	/*
	 * Caller-driven receive (transports with a recv hook): at most one
	 * waiting thread reads from the transport at a time; the others sleep
	 * (reply waiters on their request's cond, other waits on waitq).
	 */
	int (*tp_recv)(struct fc_transport *t);
	int reading;             /* a thread is in tp_recv, or was handed it */
	struct fc_req *handed;   /* reading handed to this request's caller */
	unsigned nsleep_waitq;   /* threads asleep on waitq */
	unsigned nsleep_reply;   /* reply waiters asleep on their request's cond */

	uint64_t nosys[FC_NOSYS_WORDS];
	int no_interrupt;

	fc_notify_fn notify;
	void *notify_ctx;
	unsigned notify_running; /* handler calls in progress */
	struct fc_conn_stats stats;
};

static inline void fc_lock(struct fc_conn *c)
{
	c->plat->mutex_lock(c->plat->ctx, c->lock);
}

static inline void fc_unlock(struct fc_conn *c)
{
	c->plat->mutex_unlock(c->plat->ctx, c->lock);
}

static inline void fc_nosys_set_locked(struct fc_conn *c, uint32_t opcode,
				       int on)
{
	if (opcode >= 64 * FC_NOSYS_WORDS)
		return;
	if (on)
		c->nosys[opcode / 64] |= 1ULL << (opcode % 64);
	else
		c->nosys[opcode / 64] &= ~(1ULL << (opcode % 64));
}

/* conn.c */
struct fc_req *fc_pending_take(struct fc_conn *c, uint64_t unique);
struct fc_req *fc_pending_find(struct fc_conn *c, uint64_t unique);
void fc_req_finish(struct fc_conn *c, struct fc_req *r, int error);
int fc_send_interrupt(struct fc_conn *c, uint64_t unique);
void fc_conn_resend(struct fc_conn *c);
void fc_conn_log(struct fc_conn *c, enum fc_log_level level, const char *msg);

/* init.c */
void fc_init_fill_request(struct fc_conn *c);
void fc_init_reply_end(struct fc_conn *c, struct fc_args *args, int error,
		       void *ctx);
void fc_adjust_compat(const struct fc_conn *c, struct fc_args *args);

/* notify.c */
int fc_notify_dispatch(struct fc_conn *c, uint32_t code, const void *payload,
		       size_t len);

#endif /* FUSECORE_CONN_I_H */
