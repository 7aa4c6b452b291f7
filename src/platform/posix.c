/*
 * POSIX implementation of the platform seam: malloc, pthreads,
 * CLOCK_MONOTONIC, stderr.  The only file of the library proper that uses
 * threads; the protocol core reaches all of this through the table.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fusecore/platform.h"

struct fc_mutex {
	pthread_mutex_t m;
};

struct fc_cond {
	pthread_cond_t c;
};

static void *posix_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size ? size : 1);
}

static void posix_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static struct fc_mutex *posix_mutex_new(void *ctx)
{
	struct fc_mutex *m = malloc(sizeof(*m));

	(void)ctx;
	if (m && pthread_mutex_init(&m->m, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

static void posix_mutex_free(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	if (!m)
		return;
	pthread_mutex_destroy(&m->m);
	free(m);
}

static void posix_mutex_lock(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	pthread_mutex_lock(&m->m);
}

static void posix_mutex_unlock(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	pthread_mutex_unlock(&m->m);
}

static struct fc_cond *posix_cond_new(void *ctx)
{
	struct fc_cond *c = malloc(sizeof(*c));
	pthread_condattr_t attr;

	(void)ctx;
	if (!c)
		return NULL;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&c->c, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		free(c);
		return NULL;
	}
	pthread_condattr_destroy(&attr);
	return c;
}

static void posix_cond_free(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	if (!c)
		return;
	pthread_cond_destroy(&c->c);
	free(c);
}

static void posix_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			    const char *what)
{
	(void)ctx;
	(void)what;
	pthread_cond_wait(&c->c, &m->m);
}

static void posix_cond_broadcast(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	pthread_cond_broadcast(&c->c);
}

static uint64_t posix_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void posix_log(void *ctx, enum fc_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	/* Only problems reach stderr by default; a host that wants more brings its own log. */
	if (level <= FC_LOG_WARN)
		fprintf(stderr, "fusecore %s: %s\n", names[level], msg);
}

static const struct fc_platform posix_platform = {
	.version = FC_PLATFORM_VERSION,
	.ctx = NULL,
	.alloc = posix_alloc,
	.free = posix_free,
	.mutex_new = posix_mutex_new,
	.mutex_free = posix_mutex_free,
	.mutex_lock = posix_mutex_lock,
	.mutex_unlock = posix_mutex_unlock,
	.cond_new = posix_cond_new,
	.cond_free = posix_cond_free,
	.cond_wait = posix_cond_wait,
	.cond_broadcast = posix_cond_broadcast,
	.now_ns = posix_now_ns,
	.log = posix_log,
};

const struct fc_platform *fc_platform_posix(void)
{
	return &posix_platform;
}
