/*
 * fusecore-bench - how fast libfusecore is, against the Linux kernel's own
 * FUSE client and against itself (docs/performance.md).
 *
 *   fusecore-bench [--quick] [--memory-only | --fd-only] [--no-kernel]
 *                  [--mt-only] [--filter TEXT] [--runs N] [--seconds S]
 *                  [--json FILE] [--markdown FILE] [--passthrough PATH]
 *                  [--workdir DIR] [--no-callgrind] [--verbose]
 *
 * Prints Markdown tables on stdout and writes the same results as JSON
 * (default: fusecore-bench.json).  The kernel rows need root and a
 * working /dev/fuse; without them they are skipped with a note.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct bench_opts g_opts = {
	.runs = 5,
	.run_seconds = 0.4,
};

#ifndef FUSECORE_BENCH_PASSTHROUGH_LL
#define FUSECORE_BENCH_PASSTHROUGH_LL ""
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusecore-bench [options]\n"
		"  --quick            short runs and small sizes (a smoke test)\n"
		"  --memory-only      only the memory-transport rows (no daemons, no kernel)\n"
		"  --no-kernel        fd-transport rows without the kernel side\n"
		"  --no-callgrind     skip the instruction counts\n"
		"  --runs N           runs per figure, median reported (default 5)\n"
		"  --seconds S        target length of one run (default 0.4)\n"
		"  --json FILE        where to write the JSON results (default fusecore-bench.json)\n"
		"  --markdown FILE    also write the Markdown tables there\n"
		"  --passthrough PATH libfuse3's passthrough_ll (default: the one built here)\n"
		"  --workdir DIR      scratch directory (default: a new one under /tmp)\n"
		"  --fd-only          only the fd-transport and kernel rows\n"
		"  --mt-only          no rows with the single-threaded daemon\n"
		"  --filter TEXT      only fd rows whose name contains TEXT\n"
		"  --verbose          progress on stderr\n");
}

static void print_targets(FILE *f)
{
	int n, i, fd_rows = 0, fd_met = 0;
	struct row *rows = rows_all(&n);

	fprintf(f, "\n### Targets\n\n");
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];

		if (r->target <= 0)
			continue;
		if (!strncmp(r->section, "fd transport", 12)) {
			fd_rows++;
			fd_met += r->ratio >= r->target;
			continue;
		}
		fprintf(f, "- %s — %s: %.2f× (target %.4g×): **%s**\n", r->section,
			r->name, r->ratio, r->target,
			r->ratio >= r->target ? "met" : "missed");
	}
	if (fd_rows)
		fprintf(f, "- fd transport ≥ 1.3× the kernel: met on %d of %d rows\n",
			fd_met, fd_rows);
}

int main(int argc, char **argv)
{
	const char *json = "fusecore-bench.json", *markdown = NULL;
	char workdir[PATH_MAX];
	int i, err = 0, own_workdir = 0;
	FILE *md;

	g_opts.self = argv[0];
	g_opts.passthrough_ll = FUSECORE_BENCH_PASSTHROUGH_LL;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--callgrind-child") && i + 2 < argc)
			return bench_callgrind_child(argv[i + 1], atol(argv[i + 2]));
		if (!strcmp(a, "--quick")) {
			g_opts.quick = 1;
		} else if (!strcmp(a, "--memory-only")) {
			g_opts.memory_only = 1;
		} else if (!strcmp(a, "--no-kernel")) {
			g_opts.no_kernel = 1;
		} else if (!strcmp(a, "--no-callgrind")) {
			g_opts.no_callgrind = 1;
		} else if (!strcmp(a, "--fd-only")) {
			g_opts.fd_only = 1;
		} else if (!strcmp(a, "--mt-only")) {
			g_opts.mt_only = 1;
		} else if (!strcmp(a, "--filter") && i + 1 < argc) {
			g_opts.filter = argv[++i];
		} else if (!strcmp(a, "--verbose")) {
			g_opts.verbose = 1;
		} else if (!strcmp(a, "--runs") && i + 1 < argc) {
			g_opts.runs = atoi(argv[++i]);
		} else if (!strcmp(a, "--seconds") && i + 1 < argc) {
			g_opts.run_seconds = atof(argv[++i]);
		} else if (!strcmp(a, "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(a, "--markdown") && i + 1 < argc) {
			markdown = argv[++i];
		} else if (!strcmp(a, "--passthrough") && i + 1 < argc) {
			g_opts.passthrough_ll = argv[++i];
		} else if (!strcmp(a, "--workdir") && i + 1 < argc) {
			g_opts.workdir = argv[++i];
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (g_opts.runs < 1 || g_opts.runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "fusecore-bench: --runs must be 1..%d\n", BENCH_MAX_RUNS);
		return 2;
	}
	if (g_opts.quick) {
		if (g_opts.run_seconds == 0.4)
			g_opts.run_seconds = 0.02;
		g_opts.runs = g_opts.runs == 5 ? 3 : g_opts.runs;
	}
	if (!g_opts.workdir) {
		snprintf(workdir, sizeof(workdir), "/tmp/fusecore-bench-XXXXXX");
		if (!mkdtemp(workdir)) {
			perror("fusecore-bench: mkdtemp");
			return 1;
		}
		g_opts.workdir = workdir;
		own_workdir = 1;
	}

	if (g_opts.verbose)
		logf_("memory transport...\n");
	if (!g_opts.fd_only) {
		err |= bench_memory();
		err |= bench_memory_scaling();
		err |= bench_node_memory();
		err |= bench_page_memory();
		if (!g_opts.quick || !g_opts.memory_only)
			err |= bench_instructions();
	}
	if (!g_opts.memory_only)
		err |= bench_fd_kernel();

	{
		struct machine m;

		machine_describe(&m);
		printf("## fusecore-bench results\n\n");
		printf("Machine: %s, %d CPUs, %s; %s; built with %s. "
		       "Each figure: median of %d runs of about %.2f s; "
		       "ratios: median of per-pair ratios, the two sides run alternately.\n",
		       m.cpu, m.nproc, m.kernel, m.date, m.compiler,
		       g_opts.runs, g_opts.run_seconds);
	}
	print_markdown(stdout);
	print_targets(stdout);
	if (markdown) {
		md = fopen(markdown, "w");
		if (md) {
			print_markdown(md);
			print_targets(md);
			fclose(md);
		}
	}
	if (write_json(json))
		fprintf(stderr, "fusecore-bench: cannot write %s\n", json);
	if (own_workdir) {
		char cmd[PATH_MAX + 32];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
		if (system(cmd) != 0)
			fprintf(stderr, "fusecore-bench: could not remove %s\n", workdir);
	}
	return err ? 1 : 0;
}
