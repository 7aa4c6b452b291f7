/*
 * util.c - timing, CPU accounting, medians, interleaved pairs, and the
 * Markdown and JSON output of fusecore-bench.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROWS 128

static struct row rows[MAX_ROWS];
static int nrows;

void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

double cpu_of_pid(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name may hold spaces: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* After ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15). */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int sample_run(bench_fn fn, void *ctx, long n, pid_t daemon,
	       struct sample *out)
{
	double t0, t1, c0, c1, d0 = 0, d1 = 0;
	long done;

	d0 = daemon > 0 ? cpu_of_pid(daemon) : 0;
	c0 = cpu_self();
	t0 = now_sec();
	done = fn(ctx, n);
	t1 = now_sec();
	c1 = cpu_self();
	d1 = daemon > 0 ? cpu_of_pid(daemon) : 0;
	if (done < 0)
		return (int)done;
	out->ops = (double)done;
	out->secs = t1 - t0;
	out->cpu_self = c1 - c0;
	out->cpu_daemon = daemon > 0 && d0 >= 0 && d1 >= 0 ? d1 - d0 : -1;
	return 0;
}

long calibrate(bench_fn fn, void *ctx, long min_n)
{
	long n = min_n > 0 ? min_n : 1;
	double want = g_opts.run_seconds;

	for (;;) {
		double t0 = now_sec(), t;

		if (fn(ctx, n) < 0)
			return -1;
		t = now_sec() - t0;
		if (t >= want / 8 || n >= (1L << 40)) {
			double scaled = (double)n * want / (t > 1e-9 ? t : 1e-9);

			if (scaled < (double)min_n)
				scaled = (double)min_n;
			return (long)scaled;
		}
		n *= 4;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(double *v, int n)
{
	double tmp[BENCH_MAX_RUNS * 2];

	if (n <= 0)
		return 0;
	memcpy(tmp, v, (size_t)n * sizeof(*v));
	qsort(tmp, (size_t)n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

struct row *row_add(const char *section, const char *name, enum row_kind kind)
{
	struct row *r;

	if (nrows == MAX_ROWS) {
		fprintf(stderr, "fusecore-bench: too many rows\n");
		exit(2);
	}
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->section, sizeof(r->section), "%s", section);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->kind = kind;
	snprintf(r->unit, sizeof(r->unit), "%s",
		 kind == ROW_RATE ? "ops/s" : kind == ROW_THROUGHPUT ? "MiB/s" : "");
	snprintf(r->a_label, sizeof(r->a_label), "libfusecore");
	return r;
}

void row_note(struct row *r, const char *fmt, ...)
{
	size_t len = strlen(r->note);
	va_list ap;

	if (len && len < sizeof(r->note) - 2) {
		r->note[len++] = ';';
		r->note[len++] = ' ';
		r->note[len] = 0;
	}
	va_start(ap, fmt);
	vsnprintf(r->note + len, sizeof(r->note) - len, fmt, ap);
	va_end(ap);
}

struct row *rows_last(void)
{
	return nrows ? &rows[nrows - 1] : NULL;
}

struct row *rows_all(int *n)
{
	*n = nrows;
	return rows;
}

static double sample_value(enum row_kind kind, const struct sample *s)
{
	if (kind == ROW_THROUGHPUT)
		return s->bytes / s->secs;
	return s->ops / s->secs;
}

void side_fill(struct side_result *s, enum row_kind kind,
	       const struct sample *v, int n)
{
	double us[BENCH_MAX_RUNS], cs[BENCH_MAX_RUNS], cd[BENCH_MAX_RUNS];
	int i, have_daemon = 1;

	s->present = 1;
	s->nruns = n;
	for (i = 0; i < n; i++) {
		s->runs[i] = sample_value(kind, &v[i]);
		us[i] = v[i].secs * 1e6 / v[i].ops;
		cs[i] = v[i].cpu_self * 1e6 / v[i].ops;
		cd[i] = v[i].cpu_daemon * 1e6 / v[i].ops;
		if (v[i].cpu_daemon < 0)
			have_daemon = 0;
	}
	s->value = median(s->runs, n);
	s->us_per_op = median(us, n);
	s->cpu_self_us = median(cs, n);
	s->cpu_daemon_us = have_daemon ? median(cd, n) : -1;
}

int measure_one(struct row *r, bench_fn fn, void *ctx, pid_t daemon, long n)
{
	struct sample s[BENCH_MAX_RUNS];
	int i, err;

	for (i = 0; i < g_opts.runs; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		err = sample_run(fn, ctx, n, daemon, &s[i]);
		if (err)
			return err;
		if (r->kind == ROW_THROUGHPUT && s[i].bytes == 0)
			s[i].bytes = s[i].ops; /* fn counted bytes as ops */
	}
	side_fill(&r->a, r->kind, s, g_opts.runs);
	return 0;
}

int measure_pair(struct row *r, bench_fn fa, void *ca, pid_t da, long na,
		 bench_fn fb, void *cb, pid_t db, long nb)
{
	struct sample sa[BENCH_MAX_RUNS], sb[BENCH_MAX_RUNS];
	double ratio[BENCH_MAX_RUNS];
	int i, err;

	for (i = 0; i < g_opts.runs; i++) {
		memset(&sa[i], 0, sizeof(sa[i]));
		memset(&sb[i], 0, sizeof(sb[i]));
		/* Alternate which side goes first, so neither always follows the other. */
		if (i % 2 == 0) {
			err = sample_run(fa, ca, na, da, &sa[i]);
			if (!err)
				err = sample_run(fb, cb, nb, db, &sb[i]);
		} else {
			err = sample_run(fb, cb, nb, db, &sb[i]);
			if (!err)
				err = sample_run(fa, ca, na, da, &sa[i]);
		}
		if (err)
			return err;
		if (r->kind == ROW_THROUGHPUT) {
			if (sa[i].bytes == 0)
				sa[i].bytes = sa[i].ops;
			if (sb[i].bytes == 0)
				sb[i].bytes = sb[i].ops;
		}
		ratio[i] = sample_value(r->kind, &sa[i]) /
			   sample_value(r->kind, &sb[i]);
	}
	side_fill(&r->a, r->kind, sa, g_opts.runs);
	side_fill(&r->b, r->kind, sb, g_opts.runs);
	r->ratio = median(ratio, g_opts.runs);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

static void fmt_value(char *buf, size_t len, const struct row *r,
		      const struct side_result *s)
{
	if (!s->present) {
		snprintf(buf, len, "—");
		return;
	}
	switch (r->kind) {
	case ROW_RATE:
		if (s->us_per_op >= 10)
			snprintf(buf, len, "%.0f/s (%.1f µs)", s->value, s->us_per_op);
		else
			snprintf(buf, len, "%.0f/s (%.3f µs)", s->value, s->us_per_op);
		break;
	case ROW_THROUGHPUT:
		snprintf(buf, len, "%.0f MiB/s", s->value / (1024.0 * 1024.0));
		break;
	default:
		snprintf(buf, len, "%.1f %s", s->value, r->unit);
		break;
	}
}

static void fmt_cpu(char *buf, size_t len, const struct side_result *s)
{
	if (!s->present || s->cpu_self_us <= 0) {
		snprintf(buf, len, "—");
		return;
	}
	if (s->cpu_daemon_us >= 0)
		snprintf(buf, len, "%.2f + %.2f", s->cpu_self_us, s->cpu_daemon_us);
	else
		snprintf(buf, len, "%.3f", s->cpu_self_us);
}

void print_markdown(FILE *f)
{
	const char *section = "";
	int i;

	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		char va[64], vb[64], ca[48], cb[48], ratio[48];

		if (strcmp(section, r->section)) {
			section = r->section;
			fprintf(f, "\n### %s\n\n", section);
			fprintf(f, "| benchmark | %s | %s | ratio | CPU µs/op %s | CPU µs/op %s | note |\n",
				r->a_label, r->b_label[0] ? r->b_label : "reference",
				r->a_label, r->b_label[0] ? r->b_label : "reference");
			fprintf(f, "|---|---|---|---|---|---|---|\n");
		}
		fmt_value(va, sizeof(va), r, &r->a);
		fmt_value(vb, sizeof(vb), r, &r->b);
		fmt_cpu(ca, sizeof(ca), &r->a);
		fmt_cpu(cb, sizeof(cb), &r->b);
		if (r->ratio > 0 && r->target > 0)
			snprintf(ratio, sizeof(ratio), "**%.2f×** %s %.4g×", r->ratio,
				 r->ratio >= r->target ? "≥" : "<", r->target);
		else if (r->ratio > 0)
			snprintf(ratio, sizeof(ratio), "%.2f×", r->ratio);
		else
			snprintf(ratio, sizeof(ratio), "—");
		fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", r->name, va, vb,
			ratio, ca, cb, r->note);
	}
	fprintf(f, "\nCPU µs/op: this process (user + system; for the kernel rows that includes the "
		   "kernel's FUSE work done in the calling thread) + the daemon process "
		   "(/proc/<pid>/stat utime + stime). A single number: in-process daemon.\n");
}

static cJSON *side_json(const struct row *r, const struct side_result *s,
			const char *label)
{
	cJSON *o = cJSON_CreateObject(), *runs;
	int i;

	cJSON_AddStringToObject(o, "label", label);
	if (!s->present) {
		cJSON_AddBoolToObject(o, "present", 0);
		return o;
	}
	cJSON_AddNumberToObject(o, "median", s->value);
	if (r->kind == ROW_RATE)
		cJSON_AddNumberToObject(o, "us_per_op", s->us_per_op);
	if (s->cpu_self_us > 0)
		cJSON_AddNumberToObject(o, "cpu_self_us_per_op", s->cpu_self_us);
	if (s->cpu_daemon_us >= 0)
		cJSON_AddNumberToObject(o, "cpu_daemon_us_per_op", s->cpu_daemon_us);
	runs = cJSON_AddArrayToObject(o, "runs");
	for (i = 0; i < s->nruns; i++)
		cJSON_AddItemToArray(runs, cJSON_CreateNumber(s->runs[i]));
	return o;
}

int write_json(const char *path)
{
	struct machine m;
	cJSON *root = cJSON_CreateObject(), *mo, *arr;
	char *text;
	FILE *f;
	int i;

	machine_describe(&m);
	mo = cJSON_AddObjectToObject(root, "machine");
	cJSON_AddStringToObject(mo, "cpu", m.cpu);
	cJSON_AddNumberToObject(mo, "nproc", m.nproc);
	cJSON_AddStringToObject(mo, "kernel", m.kernel);
	cJSON_AddStringToObject(mo, "date", m.date);
	cJSON_AddStringToObject(mo, "compiler", m.compiler);
	mo = cJSON_AddObjectToObject(root, "config");
	cJSON_AddNumberToObject(mo, "runs", g_opts.runs);
	cJSON_AddNumberToObject(mo, "run_seconds", g_opts.run_seconds);
	cJSON_AddBoolToObject(mo, "quick", g_opts.quick);
	arr = cJSON_AddArrayToObject(root, "rows");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "section", r->section);
		cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddStringToObject(o, "kind", r->kind == ROW_RATE ? "rate" :
					r->kind == ROW_THROUGHPUT ? "bytes_per_second" : "value");
		if (r->unit[0])
			cJSON_AddStringToObject(o, "unit", r->unit);
		cJSON_AddItemToObject(o, "a", side_json(r, &r->a, r->a_label));
		if (r->b.present || (r->b_label[0] && strcmp(r->b_label, "—")))
			cJSON_AddItemToObject(o, "b", side_json(r, &r->b, r->b_label));
		if (r->ratio > 0)
			cJSON_AddNumberToObject(o, "ratio", r->ratio);
		if (r->target > 0) {
			cJSON_AddNumberToObject(o, "target", r->target);
			cJSON_AddBoolToObject(o, "met", r->ratio >= r->target);
		}
		if (r->note[0])
			cJSON_AddStringToObject(o, "note", r->note);
		cJSON_AddItemToArray(arr, o);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f) {
		int e = errno;

		free(text);
		return -e;
	}
	fputs(text, f);
	fputc('\n', f);
	fclose(f);
	free(text);
	return 0;
}

void machine_describe(struct machine *m)
{
	struct utsname u;
	char line[256];
	time_t t = time(NULL);
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu, sizeof(m->cpu), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');

				if (p) {
					p++;
					while (*p == ' ')
						p++;
					p[strcspn(p, "\n")] = 0;
					snprintf(m->cpu, sizeof(m->cpu), "%s", p);
				}
				break;
			}
		}
		fclose(f);
	}
	m->nproc = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname,
			 u.release, u.machine);
	strftime(m->date, sizeof(m->date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
#if defined(__clang__)
	snprintf(m->compiler, sizeof(m->compiler), "clang %s", __clang_version__);
#elif defined(__GNUC__)
	snprintf(m->compiler, sizeof(m->compiler), "gcc %s", __VERSION__);
#endif
}
