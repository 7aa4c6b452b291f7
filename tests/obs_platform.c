/* The observing test platform: see obs_platform.h. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <string.h>

#include "obs_platform.h"

static void *tp_alloc(void *ctx, size_t size)
{
	struct obs_platform *tp = ctx;
	void *p = tp->base->alloc(tp->base->ctx, size);

	if (p) {
		pthread_mutex_lock(&tp->lock);
		tp->live_allocs++;
		pthread_mutex_unlock(&tp->lock);
	}
	return p;
}

static void tp_free(void *ctx, void *ptr)
{
	struct obs_platform *tp = ctx;

	if (ptr) {
		pthread_mutex_lock(&tp->lock);
		tp->live_allocs--;
		pthread_mutex_unlock(&tp->lock);
	}
	tp->base->free(tp->base->ctx, ptr);
}

static struct fc_mutex *tp_mutex_new(void *ctx)
{
	struct obs_platform *tp = ctx;

	return tp->base->mutex_new(tp->base->ctx);
}

static void tp_mutex_free(void *ctx, struct fc_mutex *m)
{
	struct obs_platform *tp = ctx;

	tp->base->mutex_free(tp->base->ctx, m);
}

static void tp_mutex_lock(void *ctx, struct fc_mutex *m)
{
	struct obs_platform *tp = ctx;

	tp->base->mutex_lock(tp->base->ctx, m);
}

static void tp_mutex_unlock(void *ctx, struct fc_mutex *m)
{
	struct obs_platform *tp = ctx;

	tp->base->mutex_unlock(tp->base->ctx, m);
}

static struct fc_cond *tp_cond_new(void *ctx)
{
	struct obs_platform *tp = ctx;

	return tp->base->cond_new(tp->base->ctx);
}

static void tp_cond_free(void *ctx, struct fc_cond *c)
{
	struct obs_platform *tp = ctx;

	tp->base->cond_free(tp->base->ctx, c);
}

/* Slot of @what, created on first use (tp->lock held). */
static unsigned tp_slot(struct obs_platform *tp, const char *what)
{
	unsigned i;

	for (i = 0; i < OBS_MAX_WHAT && tp->what[i]; i++)
		if (strcmp(tp->what[i], what) == 0)
			return i;
	ck_assert_msg(i < OBS_MAX_WHAT, "too many wait reasons");
	tp->what[i] = what;
	return i;
}

static void tp_count(struct obs_platform *tp, const char *what, int delta)
{
	pthread_mutex_lock(&tp->lock);
	tp->blocked[tp_slot(tp, what ? what : "?")] += (unsigned)delta;
	pthread_cond_broadcast(&tp->changed);
	pthread_mutex_unlock(&tp->lock);
}

/*
 * The waiter is counted while it still holds @m: whatever the test does
 * next to the object it waits on needs @m, so by then the waiter really
 * sleeps.
 */
static void tp_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			 const char *what)
{
	struct obs_platform *tp = ctx;

	tp_count(tp, what, 1);
	tp->base->cond_wait(tp->base->ctx, c, m, what);
	tp_count(tp, what, -1);
}

static void tp_cond_broadcast(void *ctx, struct fc_cond *c)
{
	struct obs_platform *tp = ctx;

	tp->base->cond_broadcast(tp->base->ctx, c);
}

static uint64_t tp_now_ns(void *ctx)
{
	struct obs_platform *tp = ctx;

	return tp->base->now_ns(tp->base->ctx);
}

void obs_platform_init(struct obs_platform *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->base = fc_platform_posix();
	pthread_mutex_init(&tp->lock, NULL);
	pthread_cond_init(&tp->changed, NULL);
	tp->plat.version = FC_PLATFORM_VERSION;
	tp->plat.ctx = tp;
	tp->plat.alloc = tp_alloc;
	tp->plat.free = tp_free;
	tp->plat.mutex_new = tp_mutex_new;
	tp->plat.mutex_free = tp_mutex_free;
	tp->plat.mutex_lock = tp_mutex_lock;
	tp->plat.mutex_unlock = tp_mutex_unlock;
	tp->plat.cond_new = tp_cond_new;
	tp->plat.cond_free = tp_cond_free;
	tp->plat.cond_wait = tp_cond_wait;
	tp->plat.cond_broadcast = tp_cond_broadcast;
	tp->plat.now_ns = tp_now_ns;
	tp->plat.log = NULL; /* the malformed-reply tests would be noisy */
}

void obs_platform_destroy(struct obs_platform *tp)
{
	pthread_cond_destroy(&tp->changed);
	pthread_mutex_destroy(&tp->lock);
}

void obs_wait_blocked(struct obs_platform *tp, const char *what, unsigned n)
{
	pthread_mutex_lock(&tp->lock);
	while (tp->blocked[tp_slot(tp, what)] < n)
		pthread_cond_wait(&tp->changed, &tp->lock);
	pthread_mutex_unlock(&tp->lock);
}

unsigned obs_blocked(struct obs_platform *tp, const char *what)
{
	unsigned n;

	pthread_mutex_lock(&tp->lock);
	n = tp->blocked[tp_slot(tp, what)];
	pthread_mutex_unlock(&tp->lock);
	return n;
}
