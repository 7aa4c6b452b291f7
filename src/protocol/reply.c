/*
 * Validation and dispatch of what the daemon writes: replies and
 * notifications.  The daemon is untrusted: every length and range is
 * checked before a byte is used (dev.c fuse_dev_do_write,
 * fuse_copy_out_args).  A reply that fails a check ends its own request
 * with -EIO and nothing else; each class of violation has a counter.
 */
#include <errno.h>
#include <string.h>

#include "conn_i.h"

/* Linux accepts errors -511..0 (dev.c fuse_dev_do_write: error <= -ERESTARTSYS). */
#define FC_ERROR_MIN (-511)

/*
 * Fail the request @unique names, if any, for a reply that was malformed
 * beyond the header (lock held; drops it).  Linux leaves such a request
 * pending; a message-framed transport never sends a second reply, so
 * waiting on would only hang the caller.
 */
/* A reply failed validation: INIT then reports -EIO, not a refusal (lock held). */
static void note_malformed(struct fc_conn *c, const struct fc_req *r)
{
	if (r->args == &c->init_args)
		c->init_malformed = 1;
}

static void fail_named_request(struct fc_conn *c, uint64_t unique)
{
	/* A broken INTERRUPT reply must not take the interrupted request down. */
	struct fc_req *r = unique && !(unique & 1) ? fc_pending_take(c, unique)
						   : NULL;

	if (r) {
		r->state = FC_REQ_COMPLETING;
		note_malformed(c, r);
	}
	fc_unlock(c);
	if (r)
		fc_req_finish(c, r, -EIO);
}

/* Reply to an FUSE_INTERRUPT (unique | 1): header only (dev.c fuse_dev_do_write). */
static int interrupt_reply(struct fc_conn *c, const struct fc_out_header *oh,
			   size_t len)
{
	uint64_t target = oh->unique & ~1ULL;
	int resend = 0;

	fc_lock(c);
	if (!fc_pending_find(c, target)) {
		c->stats.bad_unique++;
		fc_unlock(c);
		return -ENOENT;
	}
	if (len != sizeof(*oh)) {
		c->stats.bad_interrupt++;
		fc_unlock(c);
		return -EINVAL;
	}
	if (oh->error == -ENOSYS)
		c->no_interrupt = 1;
	else if (oh->error == -EAGAIN)
		resend = 1; /* the daemon has not seen the request yet */
	fc_unlock(c);
	if (resend)
		fc_send_interrupt(c, target);
	return 0;
}

/* Check the payload size against what @a allows and copy it out. */
static int copy_out(struct fc_args *a, const unsigned char *p, size_t n)
{
	size_t expected = 0;
	unsigned i;

	for (i = 0; i < a->out_numargs; i++)
		expected += a->out[i].size;
	if (n > expected)
		return -EIO;
	if (n < expected) {
		/* Only the last, variable-sized piece may come short. */
		if (!(a->flags & FC_ARGS_OUT_VAR) || !a->out_numargs ||
		    expected - n > a->out[a->out_numargs - 1].size)
			return -EIO;
	}
	a->out_len = (uint32_t)n;
	for (i = 0; i < a->out_numargs && n; i++) {
		size_t take = a->out[i].size < n ? a->out[i].size : n;

		memcpy(a->out[i].value, p, take);
		p += take;
		n -= take;
	}
	return 0;
}

int fc_conn_deliver(struct fc_conn *c, const void *msg, size_t len)
{
	const unsigned char *bytes = msg;
	struct fc_out_header oh;
	struct fc_req *r;
	int err;

	if (len < sizeof(oh)) {
		fc_lock(c);
		c->stats.bad_short++;
		fc_unlock(c);
		return -EINVAL;
	}
	memcpy(&oh, bytes, sizeof(oh));
	fc_lock(c);
	if (oh.len != len) {
		c->stats.bad_len++;
		fail_named_request(c, oh.unique);
		return -EINVAL;
	}
	if (oh.unique == 0) {
		fc_unlock(c);
		/* A notification: the code travels in the error field. */
		return fc_notify_dispatch(c, (uint32_t)oh.error,
					  bytes + sizeof(oh), len - sizeof(oh));
	}
	if (oh.error > 0 || oh.error < FC_ERROR_MIN) {
		c->stats.bad_error++;
		fail_named_request(c, oh.unique);
		return -EINVAL;
	}
	if (oh.unique & 1) {
		fc_unlock(c);
		return interrupt_reply(c, &oh, len);
	}
	r = fc_pending_take(c, oh.unique);
	if (!r) {
		c->stats.bad_unique++;
		fc_unlock(c);
		return -ENOENT;
	}
	r->state = FC_REQ_COMPLETING;
	if (oh.error) {
		if (len != sizeof(oh)) {
			c->stats.bad_err_payload++;
			note_malformed(c, r);
			fc_unlock(c);
			fc_req_finish(c, r, -EIO);
			return -EINVAL;
		}
		if (oh.error == -ENOSYS && fc_opcode_caches_nosys(r->args->opcode) &&
		    !(r->args->flags & FC_ARGS_NO_NOSYS_CACHE))
			fc_nosys_set_locked(c, r->args->opcode, 1);
		c->stats.replies++;
		fc_unlock(c);
		fc_req_finish(c, r, oh.error);
		return 0;
	}
	fc_unlock(c);
	/* The request is ours alone now: copy without holding the lock. */
	err = copy_out(r->args, bytes + sizeof(oh), len - sizeof(oh));
	fc_lock(c);
	if (err) {
		c->stats.bad_size++;
		note_malformed(c, r);
	} else {
		c->stats.replies++;
	}
	fc_unlock(c);
	fc_req_finish(c, r, err);
	return err ? -EINVAL : 0;
}
