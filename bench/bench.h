/*
 * bench.h - shared pieces of fusecore-bench (see docs/performance.md).
 *
 * Every figure is the median of several runs.  A comparison runs its two
 * sides alternately (A B A B ...) in the same process and the same minute,
 * so that whatever else the machine does hits both; the ratio is computed
 * run pair by run pair and its median reported.
 */
#ifndef FUSECORE_BENCH_H
#define FUSECORE_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BENCH_MAX_RUNS 15

/* Options shared by every section. */
struct bench_opts {
	int runs;             /* runs per figure (median taken) */
	double run_seconds;   /* target length of one run */
	int quick;            /* --quick: short runs, small sizes */
	int memory_only;      /* --memory-only: no daemons, no kernel */
	int no_kernel;        /* --no-kernel: fd rows without the kernel side */
	int no_callgrind;     /* --no-callgrind */
	int verbose;
	const char *self;     /* argv[0], for the callgrind child */
	const char *passthrough_ll;
	const char *workdir;  /* scratch directory (source trees, mountpoints) */
	const char *filter;   /* --filter: only fd rows whose name has this */
	int fd_only;          /* --fd-only: skip the memory sections */
	int mt_only;          /* --mt-only: no single-threaded daemon rows */
};

extern struct bench_opts g_opts;

/* ---- measurement ------------------------------------------------------- */

/* CPU seconds (user + system) of this process, and of another one. */
double cpu_self(void);
double cpu_of_pid(pid_t pid); /* < 0 if unreadable */
double now_sec(void);

/* One timed run of one side. */
struct sample {
	double ops;          /* operations done */
	double secs;         /* wall time */
	double cpu_self;     /* CPU seconds of this process */
	double cpu_daemon;   /* CPU seconds of the daemon process (0: in-process) */
	double bytes;        /* for throughput rows */
};

/*
 * A benchmark body: do @n operations and return the number done (or < 0 on
 * error).  @ctx is the side's state.
 */
typedef long (*bench_fn)(void *ctx, long n);

/* Run @fn once for @n operations and measure it. */
int sample_run(bench_fn fn, void *ctx, long n, pid_t daemon,
	       struct sample *out);

/*
 * Choose the operation count for runs of about g_opts.run_seconds: a few
 * growing probe runs of @fn.  At least @min_n.
 */
long calibrate(bench_fn fn, void *ctx, long min_n);

double median(double *v, int n);

/* ---- results ------------------------------------------------------------- */

enum row_kind {
	ROW_RATE,       /* operations per second, plus µs per op */
	ROW_THROUGHPUT, /* bytes per second */
	ROW_VALUE,      /* a plain number with its unit */
};

struct side_result {
	int present;
	double value;        /* median rate (ops/s), throughput (B/s) or value */
	double us_per_op;    /* median latency */
	double cpu_self_us;  /* median CPU µs per op, this process */
	double cpu_daemon_us;/* median CPU µs per op, daemon process (-1: n/a) */
	double runs[BENCH_MAX_RUNS];
	int nruns;
};

struct row {
	char section[48];
	char name[96];
	enum row_kind kind;
	char unit[24];
	struct side_result a, b;  /* a: libfusecore; b: the reference (kernel, fd) */
	char a_label[32], b_label[32];
	double ratio;        /* median of pairwise a/b (higher is better for a), 0: none */
	double target;       /* the ratio wanted, 0: none */
	char note[320];
};

struct row *row_add(const char *section, const char *name, enum row_kind kind);
void row_note(struct row *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct row *rows_all(int *n);
struct row *rows_last(void);

/* Fill @s from samples. */
void side_fill(struct side_result *s, enum row_kind kind,
	       const struct sample *v, int n);

/*
 * Measure one side alone (@runs samples) or two sides interleaved, and
 * fill @r (ratio = a / b per pair for rates and throughputs).
 */
int measure_one(struct row *r, bench_fn fn, void *ctx, pid_t daemon,
		long n);
int measure_pair(struct row *r, bench_fn fa, void *ca, pid_t da, long na,
		 bench_fn fb, void *cb, pid_t db, long nb);

void print_markdown(FILE *f);
int write_json(const char *path);

/* ---- sections ------------------------------------------------------------------ */

int bench_memory(void);
int bench_memory_scaling(void);
int bench_node_memory(void);
int bench_page_memory(void);
long bench_parallel(bench_fn fn, void *ctx, int threads, long n);

/* The polled memory-transport GETATTR, for the side-by-side target row. */
void *mem_getattr_open(void);
long mem_getattr_run(void *ctx, long n);
void mem_getattr_close(void *ctx);
int bench_instructions(void);
int bench_callgrind_child(const char *what, long n);
int bench_fd_kernel(void);

/* Facts recorded with the results. */
struct machine {
	char cpu[128];
	int nproc;
	char kernel[256];
	char date[64];
	char compiler[64];
};
void machine_describe(struct machine *m);

void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FUSECORE_BENCH_H */
