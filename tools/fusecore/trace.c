/*
 * trace.c - `fusecore trace`: an FCAP capture (fusecore/decode.h) as text,
 * one line per message, like strace, with an opcode filter and a summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "fusecore/decode.h"
#include "fusecore/proto.h"

#define MAX_FILTERS 32
#define NOPS 64  /* opcodes counted one by one; the rest share "other" */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusecore trace [OPTIONS] FILE.fcap|-\n"
		"\n"
		"Decode a recorded FUSE request/reply stream (FCAP, as written by fc-tap -c\n"
		"or fusecore tap -c) to text, one line per message: \"K>D\" for a request\n"
		"from the kernel side to the daemon, \"D>K\" for a reply or notification.\n"
		"A reply is decoded by the request it answers.  \"-\" reads standard input.\n"
		"\n"
		"Options:\n"
		"  -o, --opcode NAME[,NAME...]  only messages of these opcodes (a reply goes with\n"
		"                               its request; NOTIFY, or a notification's name\n"
		"                               such as INVAL_ENTRY, selects notifications);\n"
		"                               may be repeated; case does not matter\n"
		"  -s, --summary-only           print only the summary\n"
		"  -q, --no-summary             print only the messages\n"
		"  -n, --number                 number the records (from 1)\n"
		"      --strict                 a malformed message is an error (exit 8)\n"
		"  -h, --help                   this text\n"
		"\n"
		"The summary counts, per opcode, the requests, the replies and the replies\n"
		"carrying an error.  A capture whose header or record framing is broken\n"
		"is reported with the record's offset.\n"
		"\n");
	cli_print_exit_codes(f);
}

struct filter {
	char *names[MAX_FILTERS];
	unsigned n;
};

static int add_filter(struct filter *f, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (f->n >= MAX_FILTERS) {
			free(copy);
			return -1;
		}
		f->names[f->n++] = strdup(tok);
	}
	free(copy);
	return 0;
}

static void free_filter(struct filter *f)
{
	while (f->n)
		free(f->names[--f->n]);
}

/* Does the filter select opcode @op / notification @code? */
static int selected(const struct filter *f, int notify, uint32_t op_or_code)
{
	const char *name = notify ? fc_notify_name(op_or_code) : fc_opcode_name(op_or_code);
	unsigned i;

	if (!f->n)
		return 1;
	for (i = 0; i < f->n; i++) {
		const char *w = f->names[i];

		if (notify && (!strcasecmp(w, "NOTIFY") ||
			       (name && (!strcasecmp(w, name) ||
					 (!strncasecmp(w, "NOTIFY_", 7) &&
					  !strcasecmp(w + 7, name))))))
			return 1;
		if (!notify && name && !strcasecmp(w, name))
			return 1;
	}
	return 0;
}

/* Read all of @path ("-": stdin). */
static unsigned char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory reading %s", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

struct tally {
	uint64_t req[NOPS + 1], rep[NOPS + 1], err[NOPS + 1];
	uint64_t records, requests, replies, notifications, malformed, shown;
};

static unsigned slot(uint32_t op)
{
	return op < NOPS ? op : NOPS;
}

static void print_summary(const struct tally *t, const struct filter *f)
{
	unsigned i;

	printf("--- %llu records: %llu requests, %llu replies, %llu notifications, "
	       "%llu malformed",
	       (unsigned long long)t->records, (unsigned long long)t->requests,
	       (unsigned long long)t->replies, (unsigned long long)t->notifications,
	       (unsigned long long)t->malformed);
	if (f->n)
		printf(" (%llu selected by --opcode)", (unsigned long long)t->shown);
	printf("\n%-20s %10s %10s %10s\n", "opcode", "requests", "replies", "errors");
	for (i = 0; i <= NOPS; i++) {
		const char *name = i < NOPS ? fc_opcode_name(i) : "(other)";
		char num[16];

		if (!t->req[i] && !t->rep[i])
			continue;
		if (!name) {
			snprintf(num, sizeof(num), "opcode %u", i);
			name = num;
		}
		printf("%-20s %10llu %10llu %10llu\n", name,
		       (unsigned long long)t->req[i], (unsigned long long)t->rep[i],
		       (unsigned long long)t->err[i]);
	}
}

int cli_trace_main(int argc, char **argv)
{
	struct filter flt = { .n = 0 };
	const char *path = NULL, *v;
	int summary = 1, lines = 1, number = 0, strict = 0, code = CLI_EXIT_OK, i, r;
	struct fc_decoder *d;
	struct fc_fcap_record rec;
	struct tally t;
	unsigned char *buf;
	size_t len, off = FC_FCAP_HEADER_SIZE, prev;
	char line[4096], err[512];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			free_filter(&flt);
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--summary-only")) {
			lines = 0;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--no-summary")) {
			summary = 0;
		} else if (!strcmp(a, "-n") || !strcmp(a, "--number")) {
			number = 1;
		} else if (!strcmp(a, "--strict")) {
			strict = 1;
		} else if (!strcmp(a, "-o") || cli_opt(a, "--opcode", &v)) {
			if (!strcmp(a, "-o") || !v) {
				if (i + 1 >= argc) {
					fprintf(stderr, "fusecore trace: %s needs a name\n", a);
					free_filter(&flt);
					return CLI_EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (add_filter(&flt, v) < 0) {
				fprintf(stderr, "fusecore trace: too many --opcode names\n");
				free_filter(&flt);
				return CLI_EXIT_USAGE;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "fusecore trace: unknown option %s\n", a);
			usage(stderr);
			free_filter(&flt);
			return CLI_EXIT_USAGE;
		} else if (!path) {
			path = a;
		} else {
			fprintf(stderr, "fusecore trace: one capture at a time\n");
			free_filter(&flt);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path) {
		usage(stderr);
		free_filter(&flt);
		return CLI_EXIT_USAGE;
	}
	/* Every name must be an opcode or a notification (catches typos). */
	for (i = 0; i < (int)flt.n; i++) {
		uint32_t k;
		int known = !strcasecmp(flt.names[i], "NOTIFY");

		for (k = 0; k < 4097 && !known; k++) {
			const char *on = fc_opcode_name(k), *nn = k < 64 ? fc_notify_name(k) : NULL;

			if ((on && !strcasecmp(on, flt.names[i])) ||
			    (nn && (!strcasecmp(nn, flt.names[i]) ||
				    (!strncasecmp(flt.names[i], "NOTIFY_", 7) &&
				     !strcasecmp(flt.names[i] + 7, nn)))))
				known = 1;
		}
		if (!known) {
			fprintf(stderr, "fusecore trace: unknown opcode '%s'\n", flt.names[i]);
			free_filter(&flt);
			return CLI_EXIT_USAGE;
		}
	}

	buf = slurp(path, &len, err, sizeof(err));
	if (!buf) {
		fprintf(stderr, "fusecore trace: %s\n", err);
		free_filter(&flt);
		return CLI_EXIT_BAD_CAPTURE;
	}
	if (fc_fcap_check(buf, len) < 0) {
		fprintf(stderr, "fusecore trace: %s is not an FCAP capture "
			"(no \"FCAP\" version 1 header)\n", path);
		free(buf);
		free_filter(&flt);
		return CLI_EXIT_BAD_CAPTURE;
	}
	d = fc_decoder_new();
	if (!d) {
		free(buf);
		fprintf(stderr, "fusecore trace: out of memory\n");
		free_filter(&flt);
		return CLI_EXIT_SETUP;
	}
	memset(&t, 0, sizeof(t));
	for (;;) {
		uint32_t op = 0;
		int notify = 0, is_err = 0;

		prev = off;
		r = fc_fcap_next(buf, len, &off, &rec);
		if (r == 0)
			break;
		if (r < 0) {
			fflush(stdout);
			fprintf(stderr, "fusecore trace: %s: record %llu at offset %zu is "
				"truncated or malformed\n", path,
				(unsigned long long)t.records + 1, prev);
			code = CLI_EXIT_BAD_CAPTURE;
			break;
		}
		t.records++;
		if (rec.dir == FC_DIR_REQUEST) {
			struct fc_in_header h;

			if (rec.len >= sizeof(h)) {
				memcpy(&h, rec.msg, sizeof(h));
				op = h.opcode;
			}
		} else {
			struct fc_out_header h;

			if (rec.len >= sizeof(h)) {
				memcpy(&h, rec.msg, sizeof(h));
				if (h.unique == 0) {
					notify = 1;
					op = (uint32_t)h.error;
				} else {
					op = fc_decoder_opcode_of(d, h.unique);
					is_err = h.error != 0;
				}
			}
		}
		r = fc_decode(d, rec.dir, rec.msg, rec.len, line, sizeof(line));
		if (r < 0) {
			t.malformed++;
			if (strict)
				code = CLI_EXIT_BAD_CAPTURE;
		}
		if (!selected(&flt, notify, op))
			continue;
		t.shown++;
		if (rec.dir == FC_DIR_REQUEST) {
			t.requests++;
			t.req[slot(op)]++;
		} else if (notify) {
			t.notifications++;
		} else {
			t.replies++;
			t.rep[slot(op)]++;
			t.err[slot(op)] += is_err;
		}
		if (lines) {
			if (number)
				printf("%6llu ", (unsigned long long)t.records);
			printf("%s %s\n", rec.dir == FC_DIR_REQUEST ? "K>D" : "D>K", line);
		}
	}
	if (summary) {
		if (lines)
			printf("\n");
		print_summary(&t, &flt);
	}
	if (code == CLI_EXIT_BAD_CAPTURE && strict && t.malformed)
		fprintf(stderr, "fusecore trace: %llu malformed message%s (--strict)\n",
			(unsigned long long)t.malformed, t.malformed == 1 ? "" : "s");
	fc_decoder_free(d);
	free(buf);
	free_filter(&flt);
	return code;
}
