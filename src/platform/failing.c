/*
 * The fault-injecting platform wrapper (fusecore/platform.h,
 * fc_platform_failing): every call goes to the base platform; allocations
 * (alloc, mutex_new, cond_new) are numbered, counted while live, and the
 * armed one (or every one from it on) is refused with NULL.
 *
 * Part of the protocol core's object set: it uses nothing but the base
 * table, so a thread-free or in-kernel host can run the fault-injection
 * workloads too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fusecore/platform.h"

static struct fc_failing *to_failing(void *ctx)
{
	return ctx;
}

static void f_lock(struct fc_failing *f)
{
	f->base->mutex_lock(f->base->ctx, f->lock);
}

static void f_unlock(struct fc_failing *f)
{
	f->base->mutex_unlock(f->base->ctx, f->lock);
}

/* Number the next allocation; non-zero if it is to be refused. */
static int f_should_fail(struct fc_failing *f)
{
	int fail;

	f_lock(f);
	f->attempts++;
	fail = f->fail_at &&
	       (f->attempts == f->fail_at ||
		(f->fail_after && f->attempts > f->fail_at));
	if (fail)
		f->failures++;
	f_unlock(f);
	return fail;
}

static void f_count(struct fc_failing *f, long delta)
{
	f_lock(f);
	f->live += delta;
	if (f->live > f->peak)
		f->peak = f->live;
	f_unlock(f);
}

static void *f_alloc(void *ctx, size_t size)
{
	struct fc_failing *f = to_failing(ctx);
	void *p;

	if (f_should_fail(f))
		return NULL;
	p = f->base->alloc(f->base->ctx, size);
	if (p)
		f_count(f, 1);
	return p;
}

static void f_free(void *ctx, void *ptr)
{
	struct fc_failing *f = to_failing(ctx);

	if (!ptr)
		return;
	f_count(f, -1);
	f->base->free(f->base->ctx, ptr);
}

static struct fc_mutex *f_mutex_new(void *ctx)
{
	struct fc_failing *f = to_failing(ctx);
	struct fc_mutex *m;

	if (f_should_fail(f))
		return NULL;
	m = f->base->mutex_new(f->base->ctx);
	if (m)
		f_count(f, 1);
	return m;
}

static void f_mutex_free(void *ctx, struct fc_mutex *m)
{
	struct fc_failing *f = to_failing(ctx);

	if (!m)
		return;
	f_count(f, -1);
	f->base->mutex_free(f->base->ctx, m);
}

static void f_mutex_lock(void *ctx, struct fc_mutex *m)
{
	struct fc_failing *f = to_failing(ctx);

	f->base->mutex_lock(f->base->ctx, m);
}

static void f_mutex_unlock(void *ctx, struct fc_mutex *m)
{
	struct fc_failing *f = to_failing(ctx);

	f->base->mutex_unlock(f->base->ctx, m);
}

static struct fc_cond *f_cond_new(void *ctx)
{
	struct fc_failing *f = to_failing(ctx);
	struct fc_cond *c;

	if (f_should_fail(f))
		return NULL;
	c = f->base->cond_new(f->base->ctx);
	if (c)
		f_count(f, 1);
	return c;
}

static void f_cond_free(void *ctx, struct fc_cond *c)
{
	struct fc_failing *f = to_failing(ctx);

	if (!c)
		return;
	f_count(f, -1);
	f->base->cond_free(f->base->ctx, c);
}

static void f_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			const char *what)
{
	struct fc_failing *f = to_failing(ctx);

	f->base->cond_wait(f->base->ctx, c, m, what);
}

static void f_cond_broadcast(void *ctx, struct fc_cond *c)
{
	struct fc_failing *f = to_failing(ctx);

	f->base->cond_broadcast(f->base->ctx, c);
}

static uint64_t f_now_ns(void *ctx)
{
	struct fc_failing *f = to_failing(ctx);

	return f->base->now_ns(f->base->ctx);
}

static void f_log(void *ctx, enum fc_log_level level, const char *msg)
{
	struct fc_failing *f = to_failing(ctx);

	if (f->base->log)
		f->base->log(f->base->ctx, level, msg);
}

const struct fc_platform *fc_platform_failing(const struct fc_platform *base,
					      struct fc_failing *f)
{
	if (!base || !f || base->version != FC_PLATFORM_VERSION)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->base = base;
	f->lock = base->mutex_new(base->ctx);
	if (!f->lock)
		return NULL;
	f->plat.version = FC_PLATFORM_VERSION;
	f->plat.ctx = f;
	f->plat.alloc = f_alloc;
	f->plat.free = f_free;
	f->plat.mutex_new = f_mutex_new;
	f->plat.mutex_free = f_mutex_free;
	f->plat.mutex_lock = f_mutex_lock;
	f->plat.mutex_unlock = f_mutex_unlock;
	f->plat.cond_new = f_cond_new;
	f->plat.cond_free = f_cond_free;
	f->plat.cond_wait = f_cond_wait;
	f->plat.cond_broadcast = f_cond_broadcast;
	f->plat.now_ns = f_now_ns;
	f->plat.log = base->log ? f_log : NULL;
	return &f->plat;
}

void fc_failing_arm(struct fc_failing *f, uint64_t nth, int and_after)
{
	f_lock(f);
	f->fail_at = nth;
	f->fail_after = and_after;
	f->attempts = 0;
	f->failures = 0;
	f_unlock(f);
}

uint64_t fc_failing_attempts(struct fc_failing *f)
{
	uint64_t n;

	f_lock(f);
	n = f->attempts;
	f_unlock(f);
	return n;
}

uint64_t fc_failing_failures(struct fc_failing *f)
{
	uint64_t n;

	f_lock(f);
	n = f->failures;
	f_unlock(f);
	return n;
}

long fc_failing_live(struct fc_failing *f)
{
	long n;

	f_lock(f);
	n = f->live;
	f_unlock(f);
	return n;
}

void fc_failing_done(struct fc_failing *f)
{
	if (f->lock)
		f->base->mutex_free(f->base->ctx, f->lock);
	f->lock = NULL;
}
