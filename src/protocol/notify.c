/*
 * Notifications (unique 0, code in the error field): sizes are checked
 * here for every code before the embedder's handler sees a byte
 * (dev.c fuse_notify and the fuse_notify_* functions it calls).
 */
#include <errno.h>
#include <string.h>

#include "conn_i.h"

/* The fixed part of each notification, and whether more may follow. */
static int notify_size_ok(const struct fc_conn *c, uint32_t code,
			  const unsigned char *p, size_t len, int *errp)
{
	*errp = -EINVAL;
	switch (code) {
	case FC_NOTIFY_POLL:
		return len == sizeof(struct fc_notify_poll_wakeup_out);
	case FC_NOTIFY_INVAL_INODE:
		return len == sizeof(struct fc_notify_inval_inode_out);
	case FC_NOTIFY_RETRIEVE:
		return len == sizeof(struct fc_notify_retrieve_out);
	case FC_NOTIFY_INVAL_ENTRY: {
		struct fc_notify_inval_entry_out e;

		if (len < sizeof(e))
			return 0;
		memcpy(&e, p, sizeof(e));
		if (e.namelen > c->info.name_max) {
			*errp = -ENAMETOOLONG;
			return 0;
		}
		return len == sizeof(e) + e.namelen + 1;
	}
	case FC_NOTIFY_DELETE: {
		struct fc_notify_delete_out d;

		if (len < sizeof(d))
			return 0;
		memcpy(&d, p, sizeof(d));
		if (d.namelen > c->info.name_max) {
			*errp = -ENAMETOOLONG;
			return 0;
		}
		return len == sizeof(d) + d.namelen + 1;
	}
	case FC_NOTIFY_STORE: {
		struct fc_notify_store_out s;

		if (len < sizeof(s))
			return 0;
		memcpy(&s, p, sizeof(s));
		return len - sizeof(s) == s.size;
	}
	case FC_NOTIFY_PRUNE: {
		struct fc_notify_prune_out pr;

		if (len < sizeof(pr))
			return 0;
		memcpy(&pr, p, sizeof(pr));
		return (len - sizeof(pr)) / sizeof(uint64_t) == pr.count &&
		       (len - sizeof(pr)) % sizeof(uint64_t) == 0;
	}
	case FC_NOTIFY_RESEND:
	case FC_NOTIFY_INC_EPOCH:
		return 1;
	default:
		return 0; /* unknown code: EINVAL, as fuse_notify */
	}
}

int fc_notify_dispatch(struct fc_conn *c, uint32_t code, const void *payload,
		       size_t len)
{
	fc_notify_fn fn;
	void *ctx;
	int err;

	fc_lock(c);
	if (!notify_size_ok(c, code, payload, len, &err)) {
		c->stats.bad_notify++;
		fc_unlock(c);
		return err;
	}
	c->stats.notifications++;
	fn = c->notify;
	ctx = c->notify_ctx;
	if (fn && code != FC_NOTIFY_RESEND)
		c->notify_running++;
	fc_unlock(c);
	if (code == FC_NOTIFY_RESEND) {
		fc_conn_resend(c);
		return 0;
	}
	if (!fn)
		return -ENOSYS;
	err = fn(ctx, code, payload, len);
	fc_lock(c);
	if (!--c->notify_running)
		c->plat->cond_broadcast(c->plat->ctx, c->waitq);
	fc_unlock(c);
	return err;
}

void fc_conn_set_notify(struct fc_conn *c, fc_notify_fn fn, void *ctx)
{
	fc_lock(c);
	c->notify = fn;
	c->notify_ctx = ctx;
	/* The old handler's context may be freed next: let running calls end. */
	while (c->notify_running)
		c->plat->cond_wait(c->plat->ctx, c->waitq, c->lock, "notify");
	fc_unlock(c);
}
