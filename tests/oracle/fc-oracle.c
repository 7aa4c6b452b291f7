/*
 * fc-oracle - the differential conformance suite (docs/oracle.md).
 *
 *   fc-oracle [-s SCENARIOS] [-d NAME=PATH]... [-o SCENARIO] [-D DAEMON]
 *             [-l LOGDIR] [-v] [-S] [-t TMPDIR] [--docs FILE]...
 *
 * Every scenario (a list of system calls, tests/oracle/scenarios.txt) runs
 * twice per daemon: through the real kernel via the tap, and through
 * libfusecore's simulated VFS over the fd transport, each time against a
 * fresh daemon with a fresh, empty source directory.  The normalised
 * request streams and the user-visible results are compared step by step.
 * A difference fails the suite unless an allowance of the scenario (or a
 * global one) covers it; every allowance names a section of
 * docs/linux-differences.md ("D" tags: documented differences) or of
 * docs/oracle.md ("B" tags: suspected bugs, reported and awaiting fixes).
 *
 *   -s FILE    scenario file (default: the one in the source tree)
 *   -d N=PATH  daemon binary (passthrough_ll=..., refdaemon=...)
 *   -o NAME    only this scenario (repeatable)
 *   -D NAME    only this daemon
 *   -l DIR     write each run's decoded stream to DIR
 *   -v         print the normalised streams of every step
 *   -S         strict: known-bug allowances count as failures, unused
 *              allowances too
 *   --docs F   check that every allowance's tag is documented in F
 *   -V         libfusecore side over virtio-fs to QEMU's virtiofsd (only
 *              the user-visible results are compared: the daemons differ;
 *              passthrough_ll scenarios without -o options; 77 without
 *              virtiofsd)
 *
 * Exit: 0 when nothing but allowed differences was found, 1 otherwise, 77
 * (skipped) without root or /dev/fuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/proto.h"
#include "fusecore/virtiofs.h"
#include "oracle.h"

#define MAX_SCEN 128
#define MAX_OPS 256
#define MAX_ALLOW 64
#define MAX_GLOBAL 16
#define NDAEMONS 2

static int virtiofs_mode; /* -V */

struct scenario {
	char name[64];
	char note[160];
	unsigned daemons;          /* bit per daemon */
	char opts[NDAEMONS][128];  /* per-daemon -o options */
	struct ora_op ops[MAX_OPS];
	unsigned nops;
	struct ora_allow allow[MAX_ALLOW];
	unsigned nallow;
	int line;
};

static struct ora_daemon daemons[NDAEMONS] = {
	{ "passthrough_ll", ORA_DAEMON_PASSTHROUGH_LL, NULL, NULL },
	{ "refdaemon", ORA_DAEMON_REFDAEMON, NULL, NULL },
};

static struct scenario *scen;
static unsigned nscen;
static struct ora_allow global_allow[MAX_GLOBAL];
static unsigned nglobal;
static int verbose, strict;

static int daemon_index(const char *name)
{
	int i;

	for (i = 0; i < NDAEMONS; i++)
		if (!strcmp(daemons[i].name, name))
			return i;
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

static int load(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[1024], err[160];
	struct scenario *cur = NULL;
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "fc-oracle: %s: %s\n", path, strerror(errno));
		return -1;
	}
	scen = calloc(MAX_SCEN, sizeof(*scen));
	if (!scen)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		char *s = trim(buf);

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (!strncmp(s, "global ", 7)) {
			if (nglobal == MAX_GLOBAL ||
			    ora_allow_parse(trim(s + 7), &global_allow[nglobal], err, sizeof(err)) < 0)
				goto bad;
			nglobal++;
		} else if (!strncmp(s, "scenario ", 9)) {
			if (cur || nscen == MAX_SCEN) {
				snprintf(err, sizeof(err), "scenario inside a scenario, or too many");
				goto bad;
			}
			cur = &scen[nscen++];
			snprintf(cur->name, sizeof(cur->name), "%s", trim(s + 9));
			cur->daemons = (1u << NDAEMONS) - 1;
			cur->line = lineno;
		} else if (!cur) {
			snprintf(err, sizeof(err), "outside a scenario");
			goto bad;
		} else if (!strcmp(s, "end")) {
			cur = NULL;
		} else if (!strncmp(s, "note ", 5)) {
			snprintf(cur->note, sizeof(cur->note), "%s", trim(s + 5));
		} else if (!strncmp(s, "daemons ", 8)) {
			char *tok, *save = NULL;

			cur->daemons = 0;
			for (tok = strtok_r(s + 8, " \t", &save); tok;
			     tok = strtok_r(NULL, " \t", &save)) {
				int d = daemon_index(tok);

				if (d < 0) {
					snprintf(err, sizeof(err), "unknown daemon %s", tok);
					goto bad;
				}
				cur->daemons |= 1u << d;
			}
		} else if (!strncmp(s, "opts ", 5)) {
			char *name = trim(s + 5), *sp = strchr(name, ' ');
			int d;

			if (!sp) {
				snprintf(err, sizeof(err), "opts DAEMON OPTIONS");
				goto bad;
			}
			*sp = 0;
			d = daemon_index(name);
			if (d < 0) {
				snprintf(err, sizeof(err), "unknown daemon %s", name);
				goto bad;
			}
			snprintf(cur->opts[d], sizeof(cur->opts[d]), "%s", trim(sp + 1));
		} else if (!strncmp(s, "allow ", 6) || !strncmp(s, "bug ", 4)) {
			if (cur->nallow == MAX_ALLOW ||
			    ora_allow_parse(s, &cur->allow[cur->nallow], err, sizeof(err)) < 0)
				goto bad;
			cur->nallow++;
		} else {
			if (cur->nops == MAX_OPS ||
			    ora_op_parse(s, &cur->ops[cur->nops], err, sizeof(err)) < 0)
				goto bad;
			cur->nops++;
		}
	}
	fclose(f);
	if (cur) {
		fprintf(stderr, "fc-oracle: %s: scenario %s has no 'end'\n", path, cur->name);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "fc-oracle: %s:%d: %s\n", path, lineno, err);
	fclose(f);
	return -1;
}

/* Every tag must be documented: "**D3**" in linux-differences.md or oracle.md. */
static int check_docs(char **docs, unsigned ndocs)
{
	char *text = NULL;
	size_t len = 0;
	unsigned i, j, bad = 0;

	for (i = 0; i < ndocs; i++) {
		FILE *f = fopen(docs[i], "r");
		char buf[4096];
		size_t n;

		if (!f) {
			fprintf(stderr, "fc-oracle: %s: %s\n", docs[i], strerror(errno));
			return -1;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
			text = realloc(text, len + n + 1);
			memcpy(text + len, buf, n);
			len += n;
			text[len] = 0;
		}
		fclose(f);
	}
	if (!text)
		return 0;
	for (i = 0; i <= nscen; i++) {
		struct ora_allow *a = i < nscen ? scen[i].allow : global_allow;
		unsigned n = i < nscen ? scen[i].nallow : nglobal;

		for (j = 0; j < n; j++) {
			char key[32];

			snprintf(key, sizeof(key), "**%s**", a[j].tag);
			if (!strstr(text, key)) {
				fprintf(stderr, "fc-oracle: allowance tag %s (%s) is not documented\n",
					a[j].tag, i < nscen ? scen[i].name : "global");
				bad++;
			}
		}
	}
	free(text);
	return bad ? -1 : 0;
}

static void print_stream(const char *who, const struct ora_stream *s, unsigned seg)
{
	size_t i;
	char line[1024];

	for (i = 0; i < s->n; i++) {
		if (s->v[i].seg != seg)
			continue;
		ora_nmsg_format(&s->v[i], line, sizeof(line));
		printf("        %-5s %s\n", who, line);
	}
}

static int open_log(const char *dir, const char *scn, const char *dmn, const char *side)
{
	char *p = NULL;
	int fd;

	if (!dir)
		return -1;
	if (asprintf(&p, "%s/%s.%s.%s.log", dir, scn, dmn, side) < 0)
		return -1;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	free(p);
	return fd;
}

struct totals {
	unsigned runs, exact, documented, bugs, failing, skipped, errors;
};

static void run_one(struct scenario *sc, int d, const char *tmpdir, const char *logdir,
		    struct totals *tot)
{
	struct ora_daemon dm = daemons[d];
	struct ora_run_config cfg;
	struct ora_run lr, br;
	struct ora_stream ls, bs;
	struct ora_diff_report rep = { .out = stdout, .show_allowed = verbose };
	struct ora_allow all[MAX_ALLOW + MAX_GLOBAL];
	unsigned i, nall = 0;
	int linux_fd, lib_fd;
	char tags[256] = "";

	for (i = 0; i < sc->nops; i++) {
		if (!ora_lib_supports(sc->ops[i].kind)) {
			printf("oracle: %-28s [%s] skipped: libfusecore's VFS has no %s yet\n",
			       sc->name, dm.name, ora_kind_name(sc->ops[i].kind));
			tot->skipped++;
			return;
		}
	}
	tot->runs++;
	if (sc->opts[d][0])
		dm.opts = sc->opts[d];
	memset(&cfg, 0, sizeof(cfg));
	cfg.daemon = &dm;
	cfg.tmpdir = tmpdir;
	cfg.ops = sc->ops;
	cfg.nops = sc->nops;
	cfg.markers = 1;
	cfg.capture = !virtiofs_mode;
	cfg.virtiofs = virtiofs_mode;
	cfg.daemon_stderr = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memset(&lr, 0, sizeof(lr));
	memset(&br, 0, sizeof(br));
	linux_fd = open_log(logdir, sc->name, dm.name, "linux");
	lib_fd = open_log(logdir, sc->name, dm.name, "lib");
	cfg.log_fd = linux_fd;
	if (ora_run_linux(&cfg, &lr) < 0) {
		printf("oracle: %-28s [%s] ERROR (Linux run): %s\n", sc->name, dm.name, lr.error);
		tot->errors++;
		goto out;
	}
	cfg.log_fd = lib_fd;
	if (ora_run_lib(&cfg, &br) < 0) {
		printf("oracle: %-28s [%s] ERROR (libfusecore run): %s\n", sc->name, dm.name,
		       br.error);
		tot->errors++;
		goto out;
	}
	ora_normalize(&lr.cap, &ls);
	ora_normalize(&br.cap, &bs);

	/* Global allowances first, then the scenario's own. */
	for (i = 0; i < nglobal; i++)
		all[nall++] = global_allow[i];
	for (i = 0; i < sc->nallow; i++)
		all[nall++] = sc->allow[i];
	for (i = 0; i < nall; i++)
		all[i].used = 0;	/* this run's uses; added up below */
	if (verbose) {
		printf("oracle: %-28s [%s] %u steps\n", sc->name, dm.name, sc->nops);
		unsigned k, nsegs = ls.nsegs > bs.nsegs ? ls.nsegs : bs.nsegs;
		char op[256];

		for (k = 0; k < nsegs + 2; k++) {
			unsigned seg = k < nsegs ? k : k == nsegs ? ORA_SEG_EXIT : ORA_SEG_UMOUNT;

			if (seg == 0)
				printf("    step 0: mount\n");
			else if (seg == ORA_SEG_EXIT)
				printf("    step exit: the workload ends\n");
			else if (seg == ORA_SEG_UMOUNT)
				printf("    step umount\n");
			else if (seg <= sc->nops) {
				ora_op_format(&sc->ops[seg - 1], op, sizeof(op));
				printf("    step %u: %s\n", seg, op);
			}
			print_stream("linux", &ls, seg);
			print_stream("lib", &bs, seg);
		}
	}
	if (!virtiofs_mode)	/* different daemons: only the results compare */
		ora_compare_streams(&ls, &bs, all, nall, dm.name, &rep);
	ora_compare_results(sc->ops, sc->nops, lr.results, br.results, all, nall, dm.name, &rep);
	for (i = 0; i < nall; i++) {
		if (!all[i].used)
			continue;
		if (!strstr(tags, all[i].tag)) {
			if (strlen(tags) + strlen(all[i].tag) + 2 < sizeof(tags)) {
				strcat(tags, " ");
				strcat(tags, all[i].tag);
			}
		}
		if (i < nglobal)
			global_allow[i].used += all[i].used;
		else
			sc->allow[i - nglobal].used += all[i].used;
	}
	if (rep.differences || (strict && rep.allowed_bug)) {
		printf("oracle: %-28s [%s] FAIL: %u difference(s)%s%s\n", sc->name, dm.name,
		       rep.differences, tags[0] ? ", allowed:" : "", tags);
		tot->failing++;
	} else if (rep.allowed_bug) {
		printf("oracle: %-28s [%s] ok with known bugs:%s\n", sc->name, dm.name, tags);
		tot->bugs++;
	} else {
		/* Only global allowances (INIT flags, unmount FORGETs): exact. */
		int local = 0;

		for (i = nglobal; i < nall; i++)
			local |= all[i].used != 0;
		if (local) {
			printf("oracle: %-28s [%s] ok with documented differences:%s\n", sc->name,
			       dm.name, tags);
			tot->documented++;
		} else {
			printf("oracle: %-28s [%s] agrees exactly%s%s%s\n", sc->name, dm.name,
			       tags[0] ? " (global allowances:" : "", tags, tags[0] ? ")" : "");
			tot->exact++;
		}
	}
	ora_stream_free(&ls);
	ora_stream_free(&bs);
out:
	if (linux_fd >= 0)
		close(linux_fd);
	if (lib_fd >= 0)
		close(lib_fd);
	if (cfg.daemon_stderr >= 0)
		close(cfg.daemon_stderr);
	ora_run_free(&lr);
	ora_run_free(&br);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "docs", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = FC_ORACLE_SCENARIOS, *logdir = NULL, *only_daemon = NULL;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *only[64], *docs[8], tmpdir[512];
	unsigned nonly = 0, ndocs = 0, i;
	int c, d, scenarios_run = 0;
	struct totals tot = { 0 };
	struct timespec t0, t1;

	setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef FC_ORACLE_PASSTHROUGH_LL
	daemons[0].path = FC_ORACLE_PASSTHROUGH_LL;
#endif
#ifdef FC_ORACLE_REFDAEMON
	daemons[1].path = FC_ORACLE_REFDAEMON;
#endif
	while ((c = getopt_long(argc, argv, "s:d:o:D:l:vSt:Vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's': file = optarg; break;
		case 'd': {
			char *eq = strchr(optarg, '=');

			if (!eq || (*eq = 0, d = daemon_index(optarg)) < 0) {
				fprintf(stderr, "fc-oracle: -d passthrough_ll=PATH or refdaemon=PATH\n");
				return 2;
			}
			daemons[d].path = eq + 1;
			break;
		}
		case 'o': if (nonly < 64) only[nonly++] = optarg; break;
		case 'D': only_daemon = optarg; break;
		case 'l': logdir = optarg; break;
		case 'v': verbose = 1; break;
		case 'S': strict = 1; break;
		case 'V': virtiofs_mode = 1; break;
		case 't': tmp = optarg; break;
		case 'x': if (ndocs < 8) docs[ndocs++] = optarg; break;
		default:
			fprintf(stderr, "usage: fc-oracle [-s FILE] [-d NAME=PATH] [-o SCENARIO] "
					"[-D DAEMON] [-l LOGDIR] [-v] [-S] [--docs FILE]\n");
			return 2;
		}
	}
	if (load(file) < 0)
		return 2;
	if (ndocs && check_docs(docs, ndocs) < 0)
		return 1;
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		printf("oracle: SKIP: the differential suite needs root and /dev/fuse "
		       "(a real FUSE mount is its oracle)\n");
		return 77;
	}
	if (virtiofs_mode) {
		char msg[256] = "";

		if (fc_virtiofsd_check(NULL, msg, sizeof(msg)) < 0) {
			printf("oracle: SKIP: -V needs QEMU's virtiofsd: %s\n", msg);
			return 77;
		}
		only_daemon = "passthrough_ll";
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/fc-oracle-XXXXXX", tmp);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nscen; i++) {
		struct scenario *sc = &scen[i];
		unsigned k;
		int selected = !nonly;

		for (k = 0; k < nonly; k++)
			if (!strcmp(only[k], sc->name))
				selected = 1;
		if (!selected)
			continue;
		scenarios_run++;
		for (d = 0; d < NDAEMONS; d++) {
			if (!(sc->daemons & (1u << d)))
				continue;
			if (only_daemon && strcmp(only_daemon, daemons[d].name))
				continue;
			if (!daemons[d].path || access(daemons[d].path, X_OK) != 0) {
				printf("oracle: %-28s [%s] skipped: daemon not built\n", sc->name,
				       daemons[d].name);
				tot.skipped++;
				continue;
			}
			if (virtiofs_mode && sc->opts[d][0]) {
				printf("oracle: %-28s [%s] skipped: -o %s has no virtiofsd "
				       "counterpart\n", sc->name, daemons[d].name, sc->opts[d]);
				tot.skipped++;
				continue;
			}
			run_one(sc, d, tmpdir, logdir, &tot);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rmdir(tmpdir);

	/* Allowances that were never needed. */
	{
		unsigned unused = 0;

		for (i = 0; i < nscen; i++) {
			unsigned k;
			int selected = !nonly;

			for (k = 0; k < nonly; k++)
				if (!strcmp(only[k], scen[i].name))
					selected = 1;
			if (!selected || only_daemon)
				continue;
			for (k = 0; k < scen[i].nallow; k++) {
				if (scen[i].allow[k].used)
					continue;
				printf("oracle: note: %s allowance %s of scenario %s was not needed%s\n",
				       scen[i].allow[k].bug ? "known-bug" : "documented",
				       scen[i].allow[k].tag, scen[i].name,
				       scen[i].allow[k].bug ? " (fixed? remove it)" : "");
				unused++;
			}
		}
		if (strict && unused)
			tot.failing++;
	}
	printf("oracle: %d scenarios, %u runs (scenario x daemon) in %.1f s: %u agree exactly "
	       "(apart from the global allowances), %u agree up to documented differences, "
	       "%u up to known bugs, %u failing, %u errors, %u skipped\n",
	       scenarios_run, tot.runs,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       tot.exact, tot.documented, tot.bugs, tot.failing, tot.errors, tot.skipped);
	return tot.failing || tot.errors ? 1 : 0;
}
