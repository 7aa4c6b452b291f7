/*
 * Shared pieces of the fuzz harnesses: see fuzz_common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

void fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz invariant violated: %s:%d: %s\n", file, line, what);
	fflush(stderr);
	__builtin_trap();
}

int fz_strict(void)
{
	static int strict = -1;

	if (strict < 0)
		strict = getenv("FUSECORE_FUZZ_STRICT") != NULL;
	return strict;
}

int fz_tracing(void)
{
	static int trace = -1;

	if (trace < 0)
		trace = getenv("FUSECORE_FUZZ_TRACE") != NULL;
	return trace;
}

size_t fz_take(struct fz_in *in, void *dst, size_t len)
{
	size_t n = len < in->n ? len : in->n;

	if (n)
		memcpy(dst, in->p, n);
	if (len > n)
		memset((unsigned char *)dst + n, 0, len - n);
	in->p += n;
	in->n -= n;
	return n;
}

static char fz_dummy;
static uint64_t fz_clock;

/*
 * With FUSECORE_FUZZ_TRACE set, every live allocation keeps its call
 * stack, and a leak found at the end of an input prints them (glibc).
 */
#ifdef __GLIBC__
#include <execinfo.h>
#define FZ_TRACK 4096
static void *track_p[FZ_TRACK];
static void *track_bt[FZ_TRACK][10];
static int track_n[FZ_TRACK];
#endif

static void *fz_alloc(void *ctx, size_t n)
{
	void *p = malloc(n ? n : 1);

	(void)ctx;
#ifdef __GLIBC__
	if (p && fz_tracing()) {
		int i;

		for (i = 0; i < FZ_TRACK; i++) {
			if (!track_p[i]) {
				track_p[i] = p;
				track_n[i] = backtrace(track_bt[i], 10);
				break;
			}
		}
	}
#endif
	return p;
}

static void fz_free(void *ctx, void *p)
{
	(void)ctx;
#ifdef __GLIBC__
	if (p && fz_tracing()) {
		int i;

		for (i = 0; i < FZ_TRACK; i++) {
			if (track_p[i] == p) {
				track_p[i] = NULL;
				break;
			}
		}
	}
#endif
	free(p);
}

static void fz_print_live(void)
{
#ifdef __GLIBC__
	int i;

	for (i = 0; i < FZ_TRACK; i++) {
		if (track_p[i]) {
			fprintf(stderr, "fuzz: allocated and never freed:\n");
			backtrace_symbols_fd(track_bt[i], track_n[i], 2);
		}
	}
#endif
}

static struct fc_mutex *fz_mutex_new(void *ctx)
{
	(void)ctx;
	return (struct fc_mutex *)&fz_dummy;
}

static void fz_mutex_free(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	(void)m;
}

static void fz_mutex_op(void *ctx, struct fc_mutex *m)
{
	(void)ctx;
	(void)m;
}

static struct fc_cond *fz_cond_new(void *ctx)
{
	(void)ctx;
	return (struct fc_cond *)&fz_dummy;
}

static void fz_cond_free(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	(void)c;
}

static void fz_cond_broadcast(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	(void)c;
}

static void fz_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			 const char *what)
{
	(void)ctx;
	(void)c;
	(void)m;
	fprintf(stderr, "fuzz: the core slept on '%s' in a thread-free run\n",
		what);
	fz_fail(__FILE__, __LINE__, "no cond_wait without threads");
}

static uint64_t fz_now(void *ctx)
{
	(void)ctx;
	return fz_clock += 1000;
}

static const struct fc_platform fz_base = {
	.version = FC_PLATFORM_VERSION,
	.alloc = fz_alloc,
	.free = fz_free,
	.mutex_new = fz_mutex_new,
	.mutex_free = fz_mutex_free,
	.mutex_lock = fz_mutex_op,
	.mutex_unlock = fz_mutex_op,
	.cond_new = fz_cond_new,
	.cond_free = fz_cond_free,
	.cond_wait = fz_cond_wait,
	.cond_broadcast = fz_cond_broadcast,
	.now_ns = fz_now,
};

const struct fc_platform *fz_platform_base(void)
{
	return &fz_base;
}

const struct fc_platform *fz_begin(struct fc_failing *f)
{
	const struct fc_platform *p;

	fz_clock = 1000000000ull;
	p = fc_platform_failing(&fz_base, f);
	FZ_CHECK(p != NULL);
	return p;
}

void fz_end(struct fc_failing *f)
{
	long live = fc_failing_live(f);

	if (live != 0) {
		fprintf(stderr, "fuzz: %ld allocations left live%s\n", live,
			fz_tracing() ? "" : " (FUSECORE_FUZZ_TRACE=1 shows where)");
		if (fz_tracing())
			fz_print_live();
		fz_fail(__FILE__, __LINE__, "no allocation left live");
	}
	fc_failing_done(f);
}

void fz_clock_advance(uint64_t ns)
{
	fz_clock += ns;
}
