/*
 * fusecore/platform.h - the platform seam.
 *
 * Everything libfusecore's protocol core needs from its host, as one
 * explicit, versioned table of function pointers (in the manner of
 * SQLite's sqlite3_vfs and lwIP's sys_arch).  The core keeps no globals:
 * every object is created with a platform table and uses only it.
 *
 * A host kernel, an emulator or a fuzzer fills its own table; POSIX hosts
 * use fc_platform_posix().  A host that runs without threads may make the
 * lock calls no-ops: the core then only waits through the transport's poll
 * hook (see fusecore/transport.h), never on a condition variable that no
 * other thread could signal.
 */
#ifndef FUSECORE_PLATFORM_H
#define FUSECORE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of struct fc_platform this header describes. */
#define FC_PLATFORM_VERSION 1

/** Log levels passed to fc_platform.log. */
enum fc_log_level {
	FC_LOG_ERR = 0,
	FC_LOG_WARN = 1,
	FC_LOG_INFO = 2,
	FC_LOG_DEBUG = 3,
};

/** Opaque lock and condition objects; their layout belongs to the platform. */
struct fc_mutex;
struct fc_cond;

/**
 * The platform table.  All members are required unless marked optional.
 * Each call receives @ctx, the platform's own pointer.
 */
struct fc_platform {
	/** Must be FC_PLATFORM_VERSION. */
	unsigned version;
	/** Passed back as the first argument of every call. */
	void *ctx;

	/** Allocate @size bytes (uninitialised); NULL on failure. */
	void *(*alloc)(void *ctx, size_t size);
	/** Free memory from alloc(); NULL is accepted and ignored. */
	void (*free)(void *ctx, void *ptr);

	/** Create a (non-recursive) mutex; NULL on failure. */
	struct fc_mutex *(*mutex_new)(void *ctx);
	/** Destroy an unlocked mutex. */
	void (*mutex_free)(void *ctx, struct fc_mutex *m);
	/** Lock @m. */
	void (*mutex_lock)(void *ctx, struct fc_mutex *m);
	/** Unlock @m. */
	void (*mutex_unlock)(void *ctx, struct fc_mutex *m);

	/** Create a condition variable; NULL on failure. */
	struct fc_cond *(*cond_new)(void *ctx);
	/** Destroy a condition variable nobody waits on. */
	void (*cond_free)(void *ctx, struct fc_cond *c);
	/**
	 * Block on @c with @m held, releasing it while blocked and holding it
	 * again on return.  Spurious wake-ups are allowed.  @what names what
	 * is waited for ("reply", "background", "init", ...), so that a test
	 * platform can observe that a task is blocked and on what, instead of
	 * sleeping and hoping.
	 */
	void (*cond_wait)(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			  const char *what);
	/** Wake every waiter of @c. */
	void (*cond_broadcast)(void *ctx, struct fc_cond *c);

	/** Monotonic time in nanoseconds (entry/attribute timeouts use it). */
	uint64_t (*now_ns)(void *ctx);

	/** Optional: log one message (no trailing newline).  NULL: silent. */
	void (*log)(void *ctx, enum fc_log_level level, const char *msg);
};

/**
 * The POSIX implementation (pthreads, CLOCK_MONOTONIC, malloc, stderr for
 * warnings and errors).  The returned table is static and shared.
 */
const struct fc_platform *fc_platform_posix(void);

/* ---- The fault-injecting wrapper (tests, fuzzers) --------------------- */

/**
 * A platform that forwards every call to @base and counts, and on demand
 * fails, its allocations.  "Allocations" are alloc(), mutex_new() and
 * cond_new(), numbered 1, 2, 3... in the order they are attempted since
 * fc_platform_failing() or the last fc_failing_arm().  The wrapper lives in
 * caller-provided storage (no allocation of its own besides one @base
 * mutex guarding the counters), so a thread-free host can use it too.
 * Read the counters with the functions below; do not touch the fields.
 */
struct fc_failing {
	struct fc_platform plat;       /* the table handed out; ctx = this */
	const struct fc_platform *base;
	struct fc_mutex *lock;         /* a @base mutex: the counters */
	uint64_t fail_at;              /* 0: never fail */
	int fail_after;                /* also fail every later allocation */
	uint64_t attempts;             /* allocations attempted since arming */
	uint64_t failures;             /* allocations refused since arming */
	long live;                     /* allocated and not yet freed */
	long peak;                     /* highest @live seen */
};

/**
 * Set up @f around @base and return its table (&@f->plat), or NULL if
 * @base could not create the counters' mutex.  Nothing fails until
 * fc_failing_arm().  Release with fc_failing_done().
 */
const struct fc_platform *fc_platform_failing(const struct fc_platform *base,
					      struct fc_failing *f);

/**
 * Restart the allocation numbering (the attempt and failure counts go back
 * to 0; the live count is kept) and fail the @nth allocation from now on
 * (1 = the next one; 0 = none).  With @and_after, every allocation after
 * the @nth fails as well (memory stays exhausted).
 */
void fc_failing_arm(struct fc_failing *f, uint64_t nth, int and_after);

/** Allocations attempted since arming (successful or not). */
uint64_t fc_failing_attempts(struct fc_failing *f);

/** Allocations refused since arming. */
uint64_t fc_failing_failures(struct fc_failing *f);

/**
 * Objects allocated through the wrapper and not freed yet (memory, mutexes
 * and condition variables together); 0 after a leak-free teardown.
 */
long fc_failing_live(struct fc_failing *f);

/** Release the counters' mutex.  Objects still live are not touched. */
void fc_failing_done(struct fc_failing *f);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_PLATFORM_H */
