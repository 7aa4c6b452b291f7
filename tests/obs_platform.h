/*
 * An observing platform for the tests: fc_platform_posix() with two
 * additions.  It counts, per "what" string, the tasks blocked in
 * cond_wait, so a test can wait until a caller is really blocked instead
 * of sleeping; and it counts live allocations, so a test can end with a
 * leak check.  Its log is silent (malformed-reply tests would be noisy).
 */
#ifndef FUSECORE_TEST_OBS_PLATFORM_H
#define FUSECORE_TEST_OBS_PLATFORM_H

#include <pthread.h>

#include "fusecore/platform.h"

#define OBS_MAX_WHAT 16

struct obs_platform {
	struct fc_platform plat;	/* handed to the code; ctx = this */
	const struct fc_platform *base;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	const char *what[OBS_MAX_WHAT];
	unsigned blocked[OBS_MAX_WHAT];
	long live_allocs;
};

/* Set @tp up over fc_platform_posix(). */
void obs_platform_init(struct obs_platform *tp);

/* Release what obs_platform_init() made. */
void obs_platform_destroy(struct obs_platform *tp);

/* Wait until at least @n tasks are blocked on @what. */
void obs_wait_blocked(struct obs_platform *tp, const char *what, unsigned n);

/* How many tasks are blocked on @what now. */
unsigned obs_blocked(struct obs_platform *tp, const char *what);

#endif
