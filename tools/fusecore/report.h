/*
 * report.h - the results of a conformance run and their four forms:
 * readable text, TAP 13, JUnit XML and JSON (docs/conformance.md).
 */
#ifndef FUSECORE_CLI_REPORT_H
#define FUSECORE_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

enum scen_result {
	SCEN_PASS = 0,
	SCEN_FAIL = 1,
	SCEN_SKIP = 2,
};

/* One scenario's outcome. */
struct scen_record {
	const char *id;          /* "create-rw" */
	const char *title;       /* "create, write and read back ..." */
	enum scen_result result;
	char message[640];       /* FAIL: what went wrong; SKIP: why */
	char detail[512];        /* what was seen (also on PASS) */
	unsigned checks;         /* assertions evaluated */
	uint64_t requests;       /* FUSE requests sent meanwhile */
	double seconds;
};

/* A whole run. */
struct report {
	const char *daemon;      /* basename of the daemon */
	const char *command;     /* the daemon command line */
	const char *transport;   /* "fd (devfd, io_uring)" */
	const char *mountpoint;
	char protocol[256];      /* "7.40: max_write ..." */
	struct scen_record *v;
	unsigned n;
	unsigned passed, failed, skipped;
	uint64_t requests;
	double seconds;
	char problem[640];       /* the daemon died, hung, ... (empty if not) */
	char timestamp[32];      /* ISO 8601, UTC, at the start */
};

const char *scen_result_name(enum scen_result r);

/* One line (two with a message/detail) for scenario @i of @n. */
void report_text_line(FILE *f, const struct report *r, unsigned i);

/* The header, every line and the summary. */
void report_text(FILE *f, const struct report *r, int with_lines);

/* TAP version 13 with YAML diagnostics. */
void report_tap(FILE *f, const struct report *r);

/* JUnit XML (one testsuite).  Returns 0 or -errno. */
int report_junit(const char *path, const struct report *r);

/* JSON (cJSON).  Returns 0 or -errno. */
int report_json(const char *path, const struct report *r);

#endif /* FUSECORE_CLI_REPORT_H */
