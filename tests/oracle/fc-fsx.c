/*
 * fc-fsx - the differential random exerciser (docs/oracle.md), in the
 * spirit of fsx: a seeded generator of random but valid system-call
 * sequences (opens in every mode, reads and writes at random offsets and
 * sizes, truncates, renames, links, unlinks, directories, listings,
 * fsync, dup and close) runs against two fresh, identical daemon
 * instances, one through the real kernel (the kernel tap), one through
 * libfusecore (simulated VFS over the fd transport).  Every user-visible
 * result is compared: return values and errno, bytes read, sorted
 * directory listings, stat fields, and the final tree (every file's
 * size and contents).  A mismatch prints the seed and a minimal
 * reproducing sequence, shrunk by removing operations while the mismatch
 * stays, in the syntax of tests/oracle/scenarios.txt.
 *
 *   fc-fsx [-s FIRST_SEED] [-n SEEDS] [-N OPS] [-D DAEMON] [-d NAME=PATH]
 *          [-T SECONDS] [-k] [-q] [-t TMPDIR]
 *
 *   -s N      first seed (default 1)
 *   -n N      number of seeds (default 50)
 *   -N N      operations per seed (default 200)
 *   -D NAME   only this daemon (passthrough_ll or refdaemon; default both)
 *   -o N=OPTS extra -o options of daemon N (e.g. passthrough_ll=writeback)
 *   -T S      stop starting new seeds after S seconds (0: no limit)
 *   -k        keep going after a mismatch (default: stop at the first)
 *   -m        mmap(MAP_SHARED) stores, loads, msync and munmap too (off in
 *             CI until the reported page-cache bug B9 is fixed)
 *   -x        no shrinking
 *   -p        print every seed's operations
 *   -E        expect a mismatch (with -L): exit 0 only if one was found and
 *             its shrunk reproducer still mismatches
 *   -L NAME   run the libfusecore side against this other daemon (a
 *             self-test of the comparison and the shrinking: the daemons'
 *             own differences must show up as mismatches)
 *   -V        run the libfusecore side over the vhost-user virtio-fs
 *             transport against QEMU's virtiofsd (fusecore/virtiofs.h;
 *             $FUSECORE_VIRTIOFSD or /usr/lib/qemu/virtiofsd) on a fresh,
 *             empty source directory; the Linux side stays passthrough_ll
 *             through the kernel (implies -D passthrough_ll).  Skipped (77)
 *             without virtiofsd.
 *   -C MODE   with -V: virtiofsd's -o cache=MODE (default: the launcher's, auto)
 *
 * Exit: 0 if every seed agreed, 1 on a mismatch or error, 77 (skipped)
 * without root or /dev/fuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/ops.h"
#include "fusecore/virtiofs.h"
#include "oracle.h"

static struct ora_daemon daemons[2] = {
	{ "passthrough_ll", ORA_DAEMON_PASSTHROUGH_LL, NULL, NULL },
	{ "refdaemon", ORA_DAEMON_REFDAEMON, NULL, NULL },
};

static const char *tmpdir_base;
static const struct ora_daemon *lib_daemon; /* -L: another daemon for the lib side */
static int virtiofs_mode;                    /* -V: lib side over virtio-fs to virtiofsd */
static const char *virtiofs_cache;           /* -C: virtiofsd's cache mode */
static unsigned runs;
static uint64_t ops_ok, ops_total;

/* ---- the generator ---------------------------------------------------------------- */

static int with_mmap; /* -m: mmap stores, loads, msync and munmap too */

struct rng {
	uint64_t s;
	int map_made[4];
	/* A rough model, only to make most calls valid: which slots were
	 * opened, which directories made.  Results are never predicted. */
	int slot_open[8];
	int dir_made[4];
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(next(r) % n);
}

static const char *const files[] = {
	"f0", "f1", "f2", "f3", "f4", "d0/f0", "d0/f1", "d1/f0", "d0/e/f0",
};
static const char *const dirs[] = { "d0", "d1", "d0/e", "d2" };
#define NFILES (sizeof(files) / sizeof(files[0]))
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))
#define NSLOTS 8

/* A file whose directory probably exists (mostly). */
static const char *likely_file(struct rng *r)
{
	unsigned k, tries;

	for (tries = 0; tries < 4; tries++) {
		k = below(r, NFILES);
		if (!strncmp(files[k], "d0/e/", 5) ? r->dir_made[0] && r->dir_made[2] :
		    !strncmp(files[k], "d0/", 3) ? r->dir_made[0] :
		    !strncmp(files[k], "d1/", 3) ? r->dir_made[1] : 1)
			return files[k];
	}
	return files[k];
}

/* A slot that was probably opened (mostly). */
static int likely_slot(struct rng *r)
{
	unsigned k, tries;

	for (tries = 0; tries < 6; tries++) {
		k = below(r, NSLOTS);
		if (r->slot_open[k])
			return (int)k;
	}
	return (int)below(r, NSLOTS);
}

static const char *any_path(struct rng *r)
{
	unsigned k = below(r, NFILES + NDIRS);

	return k < NFILES ? files[k] : dirs[k - NFILES];
}

/* Sizes: mostly small, sometimes around a page, now and then large. */
static uint32_t some_size(struct rng *r)
{
	static const uint32_t max[] = { 16, 600, 5000, 9000, 70000, 300000 };

	return 1 + below(r, max[below(r, 6)]);
}

static int64_t some_offset(struct rng *r)
{
	switch (below(r, 5)) {
	case 0:
		return 0;
	case 1:
		return below(r, 8) * 4096;
	case 2:
		return below(r, 8) * 4096 - 1 - below(r, 8) + 8;
	default:
		return below(r, 1u << 17);
	}
}

static void gen_mmap_op(struct rng *r, struct ora_op *op)
{
	unsigned w = below(r, 100), k, tries;

	op->slot2 = (int)below(r, ORA_MSLOTS);
	for (tries = 0; tries < 4 && !r->map_made[op->slot2]; tries++)
		op->slot2 = (int)below(r, ORA_MSLOTS);
	if (w < 20 || !r->map_made[op->slot2]) {
		op->kind = ORA_MMAP;
		op->slot = likely_slot(r);
		op->len = (int64_t)(1 + below(r, 4)) * 4096 - (below(r, 2) ? below(r, 4000) : 0);
		op->flags = below(r, 5) ? 3 : 1;
		r->map_made[op->slot2] = 1;
		return;
	}
	k = below(r, 100);
	if (k < 45) {
		op->kind = ORA_MSTORE;
		op->data.size = 1 + below(r, below(r, 2) ? 64 : 6000);
		op->data.seed = (uint32_t)below(r, 1000000);
		op->off = below(r, 12000);
	} else if (k < 65) {
		op->kind = ORA_MLOAD;
		op->len = 1 + below(r, 5000);
		op->off = below(r, 12000);
	} else if (k < 85) {
		op->kind = ORA_MSYNC;
		op->flags = below(r, 4) ? 4 : 1;
	} else {
		op->kind = ORA_MUNMAP;
		r->map_made[op->slot2] = 0;
	}
}

static void gen_op(struct rng *r, struct ora_op *op)
{
	unsigned w = below(r, 100);

	if (with_mmap && below(r, 100) < 15) {
		memset(op, 0, sizeof(*op));
		gen_mmap_op(r, op);
		return;
	}
	memset(op, 0, sizeof(*op));
	op->mode = 0644;
	op->slot = below(r, 5) ? likely_slot(r) : (int)below(r, NSLOTS);
	if (w < 14) {
		static const int acc[] = { FC_O_RDONLY, FC_O_WRONLY, FC_O_RDWR, FC_O_RDWR };
		int64_t f = acc[below(r, 4)];

		op->kind = ORA_OPEN;
		op->slot = (int)below(r, NSLOTS);
		snprintf(op->path, sizeof(op->path), "%s",
			 below(r, 10) ? likely_file(r) : any_path(r));
		if (below(r, 10) < 6)
			f |= FC_O_CREAT;
		if ((f & FC_O_CREAT) && below(r, 20) == 0)
			f |= FC_O_EXCL;
		/* O_RDONLY|O_TRUNC is left out: refdaemon does not truncate
		 * then (passthrough_ll does), and the two kernel sides react
		 * differently to that daemon's inconsistency (scenario
		 * fsx_append_after_trunc). */
		if (below(r, 10) == 0 && (f & FC_O_ACCMODE) != FC_O_RDONLY)
			f |= FC_O_TRUNC;
		if (below(r, 7) == 0)
			f |= FC_O_APPEND;
		if (below(r, 30) == 0)
			f |= FC_O_NOCTTY;
		op->flags = f;
		op->mode = below(r, 4) ? 0644 : 0600;
		r->slot_open[op->slot] = 1;
	} else if (w < 22) {
		op->kind = ORA_CLOSE;
		r->slot_open[op->slot] = 0;
	} else if (w < 25) {
		op->kind = ORA_DUP;
		op->slot2 = (int)below(r, NSLOTS);
		r->slot_open[op->slot2] = r->slot_open[op->slot];
	} else if (w < 33) {
		op->kind = below(r, 2) ? ORA_READ : ORA_PREAD;
		op->len = some_size(r);
		op->off = some_offset(r);
	} else if (w < 51) {
		op->kind = below(r, 3) ? ORA_PWRITE : ORA_WRITE;
		op->data.size = some_size(r);
		op->data.seed = (uint32_t)below(r, 1000000);
		op->off = some_offset(r);
	} else if (w < 54) {
		op->kind = ORA_LSEEK;
		op->flags = below(r, 3);
		op->off = op->flags == 2 ? -(int64_t)below(r, 100) : some_offset(r);
	} else if (w < 56) {
		op->kind = ORA_FSYNC;
	} else if (w < 58) {
		op->kind = ORA_FDATASYNC;
	} else if (w < 62) {
		op->kind = ORA_FTRUNCATE;
		op->len = some_offset(r);
	} else if (w < 65) {
		op->kind = ORA_TRUNCATE;
		snprintf(op->path, sizeof(op->path), "%s", any_path(r));
		op->len = some_offset(r);
	} else if (w < 69) {
		op->kind = ORA_STAT;
		snprintf(op->path, sizeof(op->path), "%s", any_path(r));
	} else if (w < 72) {
		op->kind = ORA_FSTAT;
	} else if (w < 76) {
		op->kind = ORA_RENAME;
		snprintf(op->path, sizeof(op->path), "%s", any_path(r));
		snprintf(op->path2, sizeof(op->path2), "%s", any_path(r));
	} else if (w < 78) {
		op->kind = ORA_LINK;
		snprintf(op->path, sizeof(op->path), "%s", files[below(r, NFILES)]);
		snprintf(op->path2, sizeof(op->path2), "%s", files[below(r, NFILES)]);
	} else if (w < 82) {
		op->kind = ORA_UNLINK;
		snprintf(op->path, sizeof(op->path), "%s", any_path(r));
	} else if (w < 87) {
		unsigned k = below(r, NDIRS);

		op->kind = ORA_MKDIR;
		snprintf(op->path, sizeof(op->path), "%s", dirs[k]);
		op->mode = 0755;
		r->dir_made[k] = 1;
	} else if (w < 89) {
		unsigned k = below(r, NDIRS);

		op->kind = ORA_RMDIR;
		snprintf(op->path, sizeof(op->path), "%s", dirs[k]);
		if (below(r, 2))
			r->dir_made[k] = 0;
	} else if (w < 94) {
		op->kind = ORA_READDIR;
		snprintf(op->path, sizeof(op->path), "%s",
			 below(r, 3) ? "." : dirs[below(r, NDIRS)]);
	} else if (w < 96) {
		op->kind = ORA_SYMLINK;
		snprintf(op->path, sizeof(op->path), "%s", files[below(r, NFILES)]);
		snprintf(op->path2, sizeof(op->path2), "%s", files[below(r, NFILES)]);
	} else if (w < 97) {
		op->kind = ORA_READLINK;
		snprintf(op->path, sizeof(op->path), "%s", files[below(r, NFILES)]);
	} else if (w < 98) {
		op->kind = ORA_SETFL;
		op->flags = below(r, 2) ? FC_O_APPEND : 0;
	} else {
		op->kind = ORA_LSTAT;
		snprintf(op->path, sizeof(op->path), "%s", any_path(r));
	}
}

/* ---- one comparison ------------------------------------------------------------------- */

struct verdict {
	int error;            /* a run could not be made */
	int mismatch;         /* -1: none; op index; or nops for the final tree */
	char what[2048];
};

static void compare(const struct ora_daemon *d, const struct ora_op *ops, unsigned nops,
		    struct verdict *v)
{
	struct ora_run_config cfg;
	struct ora_run lr, br;
	unsigned i;
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	memset(v, 0, sizeof(*v));
	v->mismatch = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.daemon = d;
	cfg.tmpdir = tmpdir_base;
	cfg.ops = ops;
	cfg.nops = nops;
	cfg.log_fd = -1;
	cfg.daemon_stderr = devnull;
	memset(&lr, 0, sizeof(lr));
	memset(&br, 0, sizeof(br));
	lr.want_tree = br.want_tree = 1;
	runs++;
	if (ora_run_linux(&cfg, &lr) < 0) {
		v->error = 1;
		snprintf(v->what, sizeof(v->what), "Linux run: %s", lr.error);
		goto out;
	}
	if (lib_daemon)
		cfg.daemon = lib_daemon;
	cfg.virtiofs = virtiofs_mode;
	cfg.virtiofs_cache = virtiofs_cache;
	if (ora_run_lib(&cfg, &br) < 0) {
		v->error = 1;
		snprintf(v->what, sizeof(v->what), "libfusecore run: %s", br.error);
		goto out;
	}
	for (i = 0; i < nops; i++) {
		ops_total++;
		ops_ok += lr.results[i].ret >= 0;
	}
	for (i = 0; i < nops; i++) {
		char op[256], a[600], b[600];

		if (ora_result_equal(&lr.results[i], &br.results[i]))
			continue;
		ora_op_format(&ops[i], op, sizeof(op));
		ora_result_format(&lr.results[i], a, sizeof(a));
		ora_result_format(&br.results[i], b, sizeof(b));
		v->mismatch = (int)i;
		snprintf(v->what, sizeof(v->what), "op %u (%s): linux=%s lib=%s", i + 1, op, a, b);
		goto out;
	}
	if (strcmp(lr.final_tree, br.final_tree)) {
		const char *p = lr.final_tree, *q = br.final_tree;

		/* The first differing line of each. */
		for (;;) {
			size_t lp = strcspn(p, "\n"), lq = strcspn(q, "\n");

			if (lp != lq || strncmp(p, q, lp) || !p[lp] || !q[lq])
				break;
			p += lp + 1;
			q += lq + 1;
		}
		v->mismatch = (int)nops;
		snprintf(v->what, sizeof(v->what), "final tree: linux '%.*s' lib '%.*s'",
			 (int)strcspn(p, "\n"), p, (int)strcspn(q, "\n"), q);
	}
out:
	ora_run_free(&lr);
	ora_run_free(&br);
	if (devnull >= 0)
		close(devnull);
}

/* ---- shrinking ---------------------------------------------------------------------------- */

static unsigned shrink(const struct ora_daemon *d, struct ora_op *ops, unsigned n,
		       unsigned max_trials)
{
	struct ora_op *cand = malloc(n * sizeof(*cand));
	unsigned chunk = n / 2, trials = 0;
	struct verdict v;

	if (!cand)
		return n;
	while (chunk >= 1 && trials < max_trials) {
		unsigned i = 0;
		int progress = 0;

		while (i < n && trials < max_trials) {
			unsigned end = i + chunk < n ? i + chunk : n, m = 0, k;

			for (k = 0; k < n; k++)
				if (k < i || k >= end)
					cand[m++] = ops[k];
			if (!m) {
				i = end;
				continue;
			}
			compare(d, cand, m, &v);
			trials++;
			if (!v.error && v.mismatch >= 0) {
				memcpy(ops, cand, m * sizeof(*ops));
				n = m;
				progress = 1;
				/* Everything after a mismatching op is irrelevant to it. */
				if ((unsigned)v.mismatch < n)
					n = (unsigned)v.mismatch + 1;
			} else {
				i = end;
			}
		}
		if (!progress)
			chunk /= 2;
		else if (chunk > n / 2)
			chunk = n / 2 ? n / 2 : 1;
	}
	free(cand);
	return n;
}

static void print_ops(const char *title, const struct ora_op *ops, unsigned n,
		      const char *daemon)
{
	unsigned i;
	char line[256];

	printf("scenario %s\n  daemons %s\n", title, daemon);
	if (daemons[0].opts && !strcmp(daemon, daemons[0].name))
		printf("  opts %s %s\n", daemon, daemons[0].opts);
	if (daemons[1].opts && !strcmp(daemon, daemons[1].name))
		printf("  opts %s %s\n", daemon, daemons[1].opts);
	for (i = 0; i < n; i++) {
		ora_op_format(&ops[i], line, sizeof(line));
		printf("  %s\n", line);
	}
	printf("end\n");
}

int main(int argc, char **argv)
{
	uint64_t first = 1;
	unsigned nseeds = 50, nops = 200, limit_s = 0, seeds_run = 0, mismatches = 0, errors = 0;
	int c, d, keep = 0, no_shrink = 0, print = 0, expect = 0, reproduced = 0;
	const char *only = NULL;
	char tmp[512];
	struct ora_op *ops;
	struct timespec t0, t1;

#ifdef FC_ORACLE_PASSTHROUGH_LL
	daemons[0].path = FC_ORACLE_PASSTHROUGH_LL;
#endif
#ifdef FC_ORACLE_REFDAEMON
	daemons[1].path = FC_ORACLE_REFDAEMON;
#endif
	setvbuf(stdout, NULL, _IOLBF, 0);
	tmpdir_base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	while ((c = getopt(argc, argv, "s:n:N:D:d:o:T:kmxpt:L:EVC:h")) != -1) {
		switch (c) {
		case 's': first = strtoull(optarg, NULL, 0); break;
		case 'n': nseeds = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'N': nops = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'D': only = optarg; break;
		case 'd': {
			char *eq = strchr(optarg, '=');

			if (!eq) {
				fprintf(stderr, "fc-fsx: -d NAME=PATH\n");
				return 2;
			}
			*eq = 0;
			for (d = 0; d < 2; d++)
				if (!strcmp(daemons[d].name, optarg))
					daemons[d].path = eq + 1;
			break;
		}
		case 'o': {
			char *eq = strchr(optarg, '=');

			if (!eq) {
				fprintf(stderr, "fc-fsx: -o NAME=OPTIONS\n");
				return 2;
			}
			*eq = 0;
			for (d = 0; d < 2; d++)
				if (!strcmp(daemons[d].name, optarg))
					daemons[d].opts = eq + 1;
			break;
		}
		case 'T': limit_s = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'k': keep = 1; break;
		case 'm': with_mmap = 1; break;
		case 'x': no_shrink = 1; break;
		case 'p': print = 1; break;
		case 'E': expect = 1; break;
		case 'V': virtiofs_mode = 1; break;
		case 'C': virtiofs_cache = optarg; break;
		case 't': tmpdir_base = optarg; break;
		case 'L':
			for (d = 0; d < 2; d++)
				if (!strcmp(daemons[d].name, optarg))
					lib_daemon = &daemons[d];
			break;
		default:
			fprintf(stderr, "usage: fc-fsx [-s SEED] [-n SEEDS] [-N OPS] [-D DAEMON] "
					"[-d NAME=PATH] [-T SECONDS] [-k] [-x] [-p]\n");
			return 2;
		}
	}
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		printf("fsx: SKIP: the differential exerciser needs root and /dev/fuse\n");
		return 77;
	}
	if (virtiofs_mode) {
		char msg[256] = "", ver[128] = "";

		if (fc_virtiofsd_check(NULL, msg, sizeof(msg)) < 0) {
			printf("fsx: SKIP: -V needs QEMU's virtiofsd: %s\n", msg);
			return 77;
		}
		if (lib_daemon) {
			fprintf(stderr, "fc-fsx: -V and -L exclude each other\n");
			return 2;
		}
		only = "passthrough_ll";
		if (fc_virtiofsd_version(NULL, ver, sizeof(ver)) < 0)
			snprintf(ver, sizeof(ver), "virtiofsd");
		printf("fsx: libfusecore side over virtio-fs: %s, cache=%s\n", ver,
		       virtiofs_cache ? virtiofs_cache : "auto");
	}
	if (!nops || nops > 100000) {
		fprintf(stderr, "fc-fsx: -N between 1 and 100000\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s/fc-fsx-XXXXXX", tmpdir_base);
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	tmpdir_base = tmp;
	ops = calloc(nops, sizeof(*ops));
	if (!ops)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (d = 0; d < 2; d++) {
		const struct ora_daemon *dm = &daemons[d];
		unsigned s, dseeds = 0;

		if (only && strcmp(only, dm->name))
			continue;
		if (!dm->path || access(dm->path, X_OK) != 0) {
			printf("fsx: [%s] skipped: daemon not built\n", dm->name);
			continue;
		}
		for (s = 0; s < nseeds; s++) {
			uint64_t seed = first + s;
			struct rng r = { .s = seed * 0x2545f4914f6cdd1dULL + 7 };
			struct verdict v;
			unsigned i;

			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (limit_s && (unsigned)(t1.tv_sec - t0.tv_sec) >= limit_s) {
				printf("fsx: [%s] time limit reached after %u seeds\n", dm->name, dseeds);
				break;
			}
			for (i = 0; i < nops; i++)
				gen_op(&r, &ops[i]);
			if (print) {
				char title[64];

				snprintf(title, sizeof(title), "fsx_seed%" PRIu64, seed);
				print_ops(title, ops, nops, dm->name);
			}
			compare(dm, ops, nops, &v);
			seeds_run++;
			dseeds++;
			if (v.error) {
				printf("fsx: seed %" PRIu64 " [%s]: ERROR: %s\n", seed, dm->name, v.what);
				errors++;
				if (!keep)
					goto done;
				continue;
			}
			if (v.mismatch < 0)
				continue;
			mismatches++;
			printf("fsx: seed %" PRIu64 " [%s%s%s] (%u ops): MISMATCH at %s\n", seed,
			       dm->name, dm->opts ? " -o " : "", dm->opts ? dm->opts : "", nops, v.what);
			if (!no_shrink) {
				unsigned before = runs, n;
				struct ora_op *copy = malloc(nops * sizeof(*copy));
				char title[64];

				if (!copy)
					return 2;
				memcpy(copy, ops, nops * sizeof(*copy));
				n = (unsigned)v.mismatch < nops ? (unsigned)v.mismatch + 1 : nops;
				n = shrink(dm, copy, n, 400);
				compare(dm, copy, n, &v);
				printf("fsx: shrunk to %u ops in %u runs; minimal mismatch: %s\n", n,
				       runs - before, v.mismatch >= 0 ? v.what : "(not reproduced)");
				reproduced += v.mismatch >= 0;
				printf("fsx: reproducer (tests/oracle/scenarios.txt syntax; fc-oracle "
				       "compares its results and request streams):\n");
				snprintf(title, sizeof(title), "fsx_seed%" PRIu64, seed);
				print_ops(title, copy, n, dm->name);
				free(copy);
			}
			if (!keep)
				goto done;
		}
		printf("fsx: [%s] %u seeds x %u ops\n", dm->name, dseeds, nops);
	}
done:
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rmdir(tmp);
	printf("fsx: %u seeds x %u ops run (%u runs, %.1f s, %.0f%% of the ops succeeded): "
	       "%u agree, %u mismatching, %u errors; first seed %" PRIu64 "\n",
	       seeds_run, nops, runs * 2,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ops_total ? 100.0 * (double)ops_ok / (double)ops_total : 0.0,
	       seeds_run - mismatches - errors, mismatches, errors, first);
	free(ops);
	if (expect) {
		printf("fsx: self-test: %s\n", mismatches && reproduced == (int)mismatches && !errors
		       ? "the mismatch was found and shrunk" : "FAILED");
		return mismatches && reproduced == (int)mismatches && !errors ? 0 : 1;
	}
	return mismatches || errors ? 1 : 0;
}
