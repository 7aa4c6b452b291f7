/*
 * Shared pieces of the fuzz harnesses (docs/fuzzing.md): an input reader,
 * a thread-free platform whose allocations are counted (every input must
 * end with none live), and the check that traps on a violated invariant.
 *
 * Each harness defines LLVMFuzzerTestOneInput().  Built with
 * -DFUSECORE_FUZZ=ON (clang) it is a libFuzzer target; otherwise
 * replay_main.c runs it over the files and directories on its command line
 * (the corpus replay CTest runs in every build).
 */
#ifndef FUSECORE_FUZZ_COMMON_H
#define FUSECORE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For the harnesses' own byte-by-byte checks: no coverage feedback (it is
 * not the code under test, and instrumenting it costs most of the time).
 */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

/* ---- Invariants ------------------------------------------------------------ */

/* Report and trap: a violated invariant is a finding, like a crash. */
void fz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

#define FZ_CHECK(cond) \
	do { if (!(cond)) fz_fail(__FILE__, __LINE__, #cond); } while (0)

/*
 * Known open bugs (fuzz/known-open.txt) are tolerated by the harnesses so
 * that fuzzing goes on past them, unless the environment variable
 * FUSECORE_FUZZ_STRICT is set: then they trap like any other violation.
 * The known-open reproducers run strict, as tests expected to fail until
 * the fix lands.  FZ_KNOWN(id, cond): @cond is a deviation tracked as @id.
 */
int fz_strict(void);

#define FZ_KNOWN(id, cond) ((cond) && !fz_strict())

/* Non-zero if FUSECORE_FUZZ_TRACE is set: harnesses then narrate a run. */
int fz_tracing(void);

/* ---- Input ------------------------------------------------------------------ */

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline int fz_empty(const struct fz_in *in)
{
	return in->n == 0;
}

/* Take one byte; 0 once the input is used up. */
static inline uint8_t fz_u8(struct fz_in *in)
{
	uint8_t v;

	if (!in->n)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
	uint16_t lo = fz_u8(in);

	return (uint16_t)(lo | (uint16_t)fz_u8(in) << 8);
}

static inline uint32_t fz_u32(struct fz_in *in)
{
	uint32_t lo = fz_u16(in);

	return lo | (uint32_t)fz_u16(in) << 16;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t lo = fz_u32(in);

	return lo | (uint64_t)fz_u32(in) << 32;
}

/* Copy up to @len bytes into @dst, zero-filling what the input lacks. */
size_t fz_take(struct fz_in *in, void *dst, size_t len);

/* ---- Platform ---------------------------------------------------------------- */

/*
 * A thread-free platform: no-op locks (a polled run never blocks), a
 * deterministic clock that fz_begin() resets, malloc.  A cond_wait is a
 * bug in polled mode (nobody could signal): it traps.
 */
const struct fc_platform *fz_platform_base(void);

/*
 * Start an input: reset the clock and wrap the base platform in @f
 * (fc_platform_failing), so fz_end() can check that nothing stays
 * allocated.  Returns the platform to use.
 */
const struct fc_platform *fz_begin(struct fc_failing *f);

/* End an input: no allocation through @f may be left live. */
void fz_end(struct fc_failing *f);

/* Advance the deterministic clock by @ns. */
void fz_clock_advance(uint64_t ns);

#endif /* FUSECORE_FUZZ_COMMON_H */
