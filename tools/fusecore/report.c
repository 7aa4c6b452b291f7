/*
 * report.c - a conformance run as text, TAP 13, JUnit XML and JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report.h"

const char *scen_result_name(enum scen_result r)
{
	switch (r) {
	case SCEN_PASS: return "PASS";
	case SCEN_FAIL: return "FAIL";
	case SCEN_SKIP: return "SKIP";
	}
	return "?";
}

/* ---- text ------------------------------------------------------------------------- */

static void fmt_secs(char *buf, size_t size, double s)
{
	if (s < 1.0)
		snprintf(buf, size, "%.0f ms", s * 1000.0);
	else
		snprintf(buf, size, "%.2f s", s);
}

void report_text_line(FILE *f, const struct report *r, unsigned i)
{
	const struct scen_record *s = &r->v[i];
	char t[32];
	int w = r->n >= 100 ? 3 : r->n >= 10 ? 2 : 1;

	fmt_secs(t, sizeof(t), s->seconds);
	fprintf(f, "[%*u/%u] %s  %-14s %s", w, i + 1, r->n, scen_result_name(s->result),
		s->id, s->title);
	if (s->result != SCEN_SKIP)
		fprintf(f, "  (%u check%s, %llu request%s, %s)", s->checks,
			s->checks == 1 ? "" : "s", (unsigned long long)s->requests,
			s->requests == 1 ? "" : "s", t);
	fprintf(f, "\n");
	if (s->message[0])
		fprintf(f, "%*s %s: %s\n", 2 * w + 4, "",
			s->result == SCEN_FAIL ? "failed" : "skipped", s->message);
	if (s->detail[0] && s->result != SCEN_SKIP)
		fprintf(f, "%*s %s\n", 2 * w + 4, "", s->detail);
}

void report_text(FILE *f, const struct report *r, int with_lines)
{
	unsigned i;
	char t[32];

	if (with_lines)
		for (i = 0; i < r->n; i++)
			report_text_line(f, r, i);
	fmt_secs(t, sizeof(t), r->seconds);
	fprintf(f, "\n%u scenario%s: %u passed, %u failed, %u skipped (%s, %llu requests)\n",
		r->n, r->n == 1 ? "" : "s", r->passed, r->failed, r->skipped, t,
		(unsigned long long)r->requests);
	if (r->problem[0])
		fprintf(f, "PROBLEM: %s\n", r->problem);
	if (r->failed || r->problem[0])
		fprintf(f, "RESULT: FAIL - %s does not conform", r->daemon);
	else
		fprintf(f, "RESULT: PASS - %s conforms to every scenario that ran", r->daemon);
	if (r->failed) {
		int first = 1;

		fprintf(f, " (failed:");
		for (i = 0; i < r->n; i++)
			if (r->v[i].result == SCEN_FAIL) {
				fprintf(f, "%s%s", first ? " " : ", ", r->v[i].id);
				first = 0;
			}
		fprintf(f, ")");
	}
	fprintf(f, "\n");
}

/* ---- TAP 13 ----------------------------------------------------------------------- */

/* A YAML double-quoted scalar. */
static void yaml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* A TAP description must not contain '#' (directive) or a newline. */
static void tap_desc(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '#' || *s == '\n' ? ' ' : *s, f);
}

void report_tap(FILE *f, const struct report *r)
{
	unsigned i;

	fprintf(f, "TAP version 13\n");
	fprintf(f, "# fusecore run: %s over %s, mounted on %s\n", r->daemon, r->transport,
		r->mountpoint);
	fprintf(f, "1..%u\n", r->n);
	for (i = 0; i < r->n; i++) {
		const struct scen_record *s = &r->v[i];

		fprintf(f, "%s %u - %s: ", s->result == SCEN_FAIL ? "not ok" : "ok", i + 1,
			s->id);
		tap_desc(f, s->title);
		if (s->result == SCEN_SKIP) {
			fprintf(f, " # SKIP ");
			tap_desc(f, s->message);
		}
		fprintf(f, "\n");
		if (s->result == SCEN_SKIP)
			continue;
		fprintf(f, "  ---\n");
		if (s->message[0]) {
			fprintf(f, "  message: ");
			yaml_str(f, s->message);
			fprintf(f, "\n  severity: fail\n");
		}
		if (s->detail[0]) {
			fprintf(f, "  detail: ");
			yaml_str(f, s->detail);
			fprintf(f, "\n");
		}
		fprintf(f, "  checks: %u\n  requests: %llu\n  duration_ms: %.3f\n  ...\n",
			s->checks, (unsigned long long)s->requests, s->seconds * 1000.0);
	}
	fprintf(f, "# %u passed, %u failed, %u skipped\n", r->passed, r->failed, r->skipped);
	if (r->problem[0]) {
		fprintf(f, "# PROBLEM: ");
		tap_desc(f, r->problem);
		fprintf(f, "\n");
	}
}

/* ---- JUnit XML ---------------------------------------------------------------------- */

/* XML text or attribute value; control characters XML 1.0 forbids are dropped. */
static void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\t': fputs("&#9;", f); break;
		default:
			if (ch >= 0x20 && ch != 0x7f)
				fputc(ch, f);
		}
	}
}

int report_junit(const char *path, const struct report *r)
{
	FILE *f = fopen(path, "w");
	char host[256] = "localhost";
	unsigned i;

	if (!f)
		return -errno;
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"fusecore run\" tests=\"%u\" failures=\"%u\" "
		"errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n", r->n, r->failed,
		r->problem[0] ? 1u : 0u, r->skipped, r->seconds);
	fprintf(f, "  <testsuite name=\"conformance.");
	xml_str(f, r->daemon);
	fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
		"time=\"%.3f\" timestamp=\"%s\" hostname=\"", r->n, r->failed,
		r->problem[0] ? 1u : 0u, r->skipped, r->seconds, r->timestamp);
	xml_str(f, host);
	fprintf(f, "\">\n    <properties>\n");
	fprintf(f, "      <property name=\"daemon\" value=\"");
	xml_str(f, r->command);
	fprintf(f, "\"/>\n      <property name=\"transport\" value=\"");
	xml_str(f, r->transport);
	fprintf(f, "\"/>\n      <property name=\"protocol\" value=\"");
	xml_str(f, r->protocol);
	fprintf(f, "\"/>\n");
	if (r->problem[0]) {
		fprintf(f, "      <property name=\"problem\" value=\"");
		xml_str(f, r->problem);
		fprintf(f, "\"/>\n");
	}
	fprintf(f, "    </properties>\n");
	for (i = 0; i < r->n; i++) {
		const struct scen_record *s = &r->v[i];

		fprintf(f, "    <testcase classname=\"fusecore.conformance\" name=\"");
		xml_str(f, s->id);
		fprintf(f, "\" time=\"%.3f\"", s->seconds);
		if (s->result == SCEN_PASS && !s->detail[0]) {
			fprintf(f, "/>\n");
			continue;
		}
		fprintf(f, ">\n");
		if (s->result == SCEN_FAIL) {
			fprintf(f, "      <failure message=\"");
			xml_str(f, s->message);
			fprintf(f, "\" type=\"conformance\">");
			xml_str(f, s->title);
			fprintf(f, "</failure>\n");
		} else if (s->result == SCEN_SKIP) {
			fprintf(f, "      <skipped message=\"");
			xml_str(f, s->message);
			fprintf(f, "\"/>\n");
		}
		if (s->detail[0]) {
			fprintf(f, "      <system-out>");
			xml_str(f, s->detail);
			fprintf(f, "</system-out>\n");
		}
		fprintf(f, "    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

int report_json(const char *path, const struct report *r)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	char *text;
	FILE *f;
	unsigned i;
	int err = 0;

	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "tool", "fusecore run");
	cJSON_AddStringToObject(root, "daemon", r->daemon);
	cJSON_AddStringToObject(root, "command", r->command);
	cJSON_AddStringToObject(root, "transport", r->transport);
	cJSON_AddStringToObject(root, "mountpoint", r->mountpoint);
	cJSON_AddStringToObject(root, "protocol", r->protocol);
	cJSON_AddStringToObject(root, "timestamp", r->timestamp);
	cJSON_AddNumberToObject(root, "seconds", r->seconds);
	cJSON_AddNumberToObject(root, "requests", (double)r->requests);
	o = cJSON_AddObjectToObject(root, "summary");
	if (o) {
		cJSON_AddNumberToObject(o, "total", r->n);
		cJSON_AddNumberToObject(o, "passed", r->passed);
		cJSON_AddNumberToObject(o, "failed", r->failed);
		cJSON_AddNumberToObject(o, "skipped", r->skipped);
	}
	if (r->problem[0])
		cJSON_AddStringToObject(root, "problem", r->problem);
	else
		cJSON_AddNullToObject(root, "problem");
	cJSON_AddBoolToObject(root, "ok", !r->failed && !r->problem[0]);
	arr = cJSON_AddArrayToObject(root, "scenarios");
	for (i = 0; arr && i < r->n; i++) {
		const struct scen_record *s = &r->v[i];
		cJSON *e = cJSON_CreateObject();

		if (!e)
			break;
		cJSON_AddStringToObject(e, "id", s->id);
		cJSON_AddStringToObject(e, "title", s->title);
		cJSON_AddStringToObject(e, "result", s->result == SCEN_PASS ? "pass" :
					s->result == SCEN_FAIL ? "fail" : "skip");
		cJSON_AddStringToObject(e, "message", s->message);
		cJSON_AddStringToObject(e, "detail", s->detail);
		cJSON_AddNumberToObject(e, "checks", s->checks);
		cJSON_AddNumberToObject(e, "requests", (double)s->requests);
		cJSON_AddNumberToObject(e, "seconds", s->seconds);
		cJSON_AddItemToArray(arr, e);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	f = fopen(path, "w");
	if (!f) {
		err = -errno;
	} else {
		fputs(text, f);
		fputc('\n', f);
		if (fclose(f) != 0)
			err = -errno;
	}
	cJSON_free(text);
	return err;
}
