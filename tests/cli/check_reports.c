/*
 * check_reports - structure checks of `fusecore run`'s machine-readable
 * reports, without outside tools:
 *
 *   check_reports TAP.txt JUNIT.xml JSON.json
 *
 *  - TAP: "TAP version 13" first, exactly one plan "1..N", test lines
 *    numbered 1..N in order, "# SKIP" directives, YAML diagnostic blocks
 *    opened with "  ---" and closed with "  ...", nothing else but
 *    comments;
 *  - JUnit XML: well-formed (a small XML 1.0 reader: prolog, nested
 *    elements, quoted attributes without duplicates, entity and character
 *    references, comments), root <testsuites>, the tests / failures /
 *    skipped attributes equal to the <testcase> / <failure> / <skipped>
 *    elements present, every testcase with a name, classname and time;
 *  - JSON: parses (cJSON), summary.total is the number of scenarios and
 *    passed / failed / skipped match their results;
 *  - and the three agree on the counts.
 * Prints what it found; exits 0 if all holds, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

struct counts {
	int total, passed, failed, skipped;
};

static int failures;

static void bad(const char *what, const char *fmt, const char *arg, int line)
{
	fprintf(stderr, "%s: ", what);
	fprintf(stderr, fmt, arg);
	if (line > 0)
		fprintf(stderr, " (line %d)", line);
	fprintf(stderr, "\n");
	failures++;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return buf;
}

/* ---- TAP 13 ---------------------------------------------------------------------- */

static void check_tap(const char *path, struct counts *c)
{
	char *text = slurp(path), *line, *save = NULL;
	int lineno = 0, plan = -1, next = 1, in_yaml = 0, after_test = 0;

	memset(c, 0, sizeof(*c));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "TAP version 13"))
				bad("TAP", "first line is '%s', not 'TAP version 13'", line, 1);
			continue;
		}
		if (in_yaml) {
			if (!strcmp(line, "  ..."))
				in_yaml = 0;
			else if (strncmp(line, "  ", 2))
				bad("TAP", "YAML block line not indented: '%s'", line, lineno);
			continue;
		}
		if (!strcmp(line, "  ---")) {
			if (!after_test)
				bad("TAP", "%sYAML block not right after a test line", "", lineno);
			in_yaml = 1;
			after_test = 0;
			continue;
		}
		after_test = 0;
		if (line[0] == '#' || !strncmp(line, "Bail out!", 9))
			continue;
		if (!strncmp(line, "1..", 3)) {
			char *end;
			long n = strtol(line + 3, &end, 10);

			if (*end || n < 0)
				bad("TAP", "bad plan '%s'", line, lineno);
			if (plan >= 0)
				bad("TAP", "%ssecond plan", "", lineno);
			plan = (int)n;
			continue;
		}
		if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			int ok = line[0] == 'o';
			char *p = line + (ok ? 3 : 7), *end;
			long num = strtol(p, &end, 10);

			if (end == p || num != next)
				bad("TAP", "test line out of sequence: '%s'", line, lineno);
			if (*end && strncmp(end, " - ", 3) && strncmp(end, " # ", 3))
				bad("TAP", "bad test line '%s'", line, lineno);
			next++;
			c->total++;
			if (!ok)
				c->failed++;
			else if (strstr(end, " # SKIP"))
				c->skipped++;
			else
				c->passed++;
			after_test = 1;
			continue;
		}
		bad("TAP", "unexpected line '%s'", line, lineno);
	}
	if (in_yaml)
		bad("TAP", "%sunterminated YAML block", "", lineno);
	if (plan < 0)
		bad("TAP", "%sno plan", "", 0);
	else if (plan != c->total)
		bad("TAP", "plan and test lines disagree%s", "", 0);
	printf("TAP: %d tests (%d passed, %d failed, %d skipped), plan %d\n", c->total,
	       c->passed, c->failed, c->skipped, plan);
	free(text);
}

/* ---- a small XML reader ------------------------------------------------------------ */

struct xml {
	const char *p;
	int line;
	int testcases, failure_elems, skipped_elems, suites;
	int root_tests, root_failures, root_skipped;
	int depth;
	char root[64];
};

static void xerr(struct xml *x, const char *msg)
{
	bad("JUnit", "%s", msg, x->line);
}

static void adv(struct xml *x, size_t n)
{
	while (n-- && *x->p) {
		if (*x->p == '\n')
			x->line++;
		x->p++;
	}
}

static void ws(struct xml *x)
{
	while (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r')
		adv(x, 1);
}

static int name_start(int ch)
{
	return isalpha(ch) || ch == '_' || ch == ':';
}

static int name(struct xml *x, char *out, size_t size)
{
	size_t n = 0;

	if (!name_start((unsigned char)*x->p)) {
		xerr(x, "a name was expected");
		return -1;
	}
	while (isalnum((unsigned char)*x->p) || strchr("_:.-", *x->p)) {
		if (n + 1 < size)
			out[n++] = *x->p;
		adv(x, 1);
	}
	out[n] = 0;
	return 0;
}

/* A reference after '&': &name; or &#N; or &#xN; */
static int reference(struct xml *x)
{
	static const char *const ents[] = { "amp;", "lt;", "gt;", "quot;", "apos;" };
	size_t i;

	adv(x, 1);
	if (*x->p == '#') {
		adv(x, 1);
		if (*x->p == 'x') {
			adv(x, 1);
			if (!isxdigit((unsigned char)*x->p))
				goto fail;
			while (isxdigit((unsigned char)*x->p))
				adv(x, 1);
		} else {
			if (!isdigit((unsigned char)*x->p))
				goto fail;
			while (isdigit((unsigned char)*x->p))
				adv(x, 1);
		}
		if (*x->p != ';')
			goto fail;
		adv(x, 1);
		return 0;
	}
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (!strncmp(x->p, ents[i], strlen(ents[i]))) {
			adv(x, strlen(ents[i]));
			return 0;
		}
fail:
	xerr(x, "bad entity or character reference");
	return -1;
}

static int element(struct xml *x);

/* Attributes until '>' or '/>'; returns 1 for an empty element, 0, or -1. */
static int attributes(struct xml *x, const char *elem)
{
	char names[32][64];
	int n = 0, i;

	for (;;) {
		char an[64], val[256];
		size_t vn = 0;
		char q;

		ws(x);
		if (*x->p == '/' && x->p[1] == '>') {
			adv(x, 2);
			return 1;
		}
		if (*x->p == '>') {
			adv(x, 1);
			return 0;
		}
		if (name(x, an, sizeof(an)) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (!strcmp(names[i], an)) {
				xerr(x, "duplicate attribute");
				return -1;
			}
		if (n < 32)
			snprintf(names[n++], sizeof(names[0]), "%s", an);
		ws(x);
		if (*x->p != '=') {
			xerr(x, "'=' expected after an attribute name");
			return -1;
		}
		adv(x, 1);
		ws(x);
		q = *x->p;
		if (q != '"' && q != '\'') {
			xerr(x, "attribute value not quoted");
			return -1;
		}
		adv(x, 1);
		while (*x->p && *x->p != q) {
			if (*x->p == '<') {
				xerr(x, "'<' in an attribute value");
				return -1;
			}
			if (*x->p == '&') {
				if (reference(x) < 0)
					return -1;
				continue;
			}
			if (vn + 1 < sizeof(val))
				val[vn++] = *x->p;
			adv(x, 1);
		}
		val[vn] = 0;
		if (*x->p != q) {
			xerr(x, "unterminated attribute value");
			return -1;
		}
		adv(x, 1);
		if (!strcmp(elem, "testsuites") && x->depth == 1) {
			if (!strcmp(an, "tests"))
				x->root_tests = atoi(val);
			if (!strcmp(an, "failures"))
				x->root_failures = atoi(val);
			if (!strcmp(an, "skipped"))
				x->root_skipped = atoi(val);
		}
	}
}

static int has_attrs(const char *start, const char *end, const char *const *want)
{
	for (; *want; want++) {
		char key[80];
		const char *p;
		int found = 0;

		snprintf(key, sizeof(key), " %s=\"", *want);
		for (p = start; p && p < end; p++) {
			p = strstr(p, key);
			if (!p || p >= end)
				break;
			found = 1;
			break;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Content until the matching end tag of @elem. */
static int content(struct xml *x, const char *elem)
{
	for (;;) {
		if (!*x->p) {
			xerr(x, "unexpected end of the document");
			return -1;
		}
		if (!strncmp(x->p, "<!--", 4)) {
			const char *e = strstr(x->p + 4, "-->");

			if (!e) {
				xerr(x, "unterminated comment");
				return -1;
			}
			adv(x, (size_t)(e + 3 - x->p));
			continue;
		}
		if (!strncmp(x->p, "</", 2)) {
			char en[64];

			adv(x, 2);
			if (name(x, en, sizeof(en)) < 0)
				return -1;
			ws(x);
			if (*x->p != '>' || strcmp(en, elem)) {
				xerr(x, "mismatched end tag");
				return -1;
			}
			adv(x, 1);
			return 0;
		}
		if (*x->p == '<') {
			if (element(x) < 0)
				return -1;
			continue;
		}
		if (*x->p == '&') {
			if (reference(x) < 0)
				return -1;
			continue;
		}
		if (*x->p == '>') {
			xerr(x, "'>' in text (allowed, but the report escapes it)");
			return -1;
		}
		adv(x, 1);
	}
}

static int element(struct xml *x)
{
	static const char *const tc_attrs[] = { "classname", "name", "time", NULL };
	static const char *const ts_attrs[] = { "name", "tests", "failures", "errors",
						"skipped", "time", NULL };
	const char *start = x->p;
	char en[64];
	int r;

	adv(x, 1);
	if (name(x, en, sizeof(en)) < 0)
		return -1;
	x->depth++;
	if (x->depth == 1)
		snprintf(x->root, sizeof(x->root), "%s", en);
	r = attributes(x, en);
	if (r < 0)
		return -1;
	if (!strcmp(en, "testcase")) {
		x->testcases++;
		if (!has_attrs(start, x->p, tc_attrs))
			xerr(x, "a testcase without name, classname or time");
	} else if (!strcmp(en, "testsuite")) {
		x->suites++;
		if (!has_attrs(start, x->p, ts_attrs))
			xerr(x, "a testsuite without one of its count attributes");
	} else if (!strcmp(en, "failure")) {
		x->failure_elems++;
	} else if (!strcmp(en, "skipped")) {
		x->skipped_elems++;
	}
	if (r == 0 && content(x, en) < 0)
		return -1;
	x->depth--;
	return 0;
}

static void check_junit(const char *path, struct counts *c)
{
	char *text = slurp(path);
	struct xml x;

	memset(&x, 0, sizeof(x));
	x.p = text;
	x.line = 1;
	memset(c, 0, sizeof(*c));
	if (!strncmp(x.p, "<?xml", 5)) {
		const char *e = strstr(x.p, "?>");

		if (!e)
			xerr(&x, "unterminated prolog");
		else
			adv(&x, (size_t)(e + 2 - x.p));
	} else {
		xerr(&x, "no XML prolog");
	}
	ws(&x);
	if (*x.p != '<' || element(&x) < 0) {
		xerr(&x, "no root element");
	} else {
		ws(&x);
		if (*x.p)
			xerr(&x, "content after the root element");
	}
	if (strcmp(x.root, "testsuites"))
		bad("JUnit", "root element is <%s>, not <testsuites>", x.root, 0);
	if (x.suites < 1)
		bad("JUnit", "%sno <testsuite>", "", 0);
	if (x.root_tests != x.testcases || x.root_failures != x.failure_elems ||
	    x.root_skipped != x.skipped_elems)
		bad("JUnit", "%sthe counts in <testsuites> disagree with the elements", "", 0);
	c->total = x.testcases;
	c->failed = x.failure_elems;
	c->skipped = x.skipped_elems;
	c->passed = c->total - c->failed - c->skipped;
	printf("JUnit: well-formed, %d testcases (%d failures, %d skipped) in %d testsuite%s\n",
	       x.testcases, x.failure_elems, x.skipped_elems, x.suites,
	       x.suites == 1 ? "" : "s");
	free(text);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void check_json(const char *path, struct counts *c)
{
	char *text = slurp(path);
	cJSON *root = cJSON_Parse(text), *sum, *arr, *e;

	memset(c, 0, sizeof(*c));
	if (!root) {
		bad("JSON", "%sdoes not parse", "", 0);
		free(text);
		return;
	}
	sum = cJSON_GetObjectItemCaseSensitive(root, "summary");
	arr = cJSON_GetObjectItemCaseSensitive(root, "scenarios");
	if (!cJSON_IsObject(sum) || !cJSON_IsArray(arr)) {
		bad("JSON", "%sno summary object or scenarios array", "", 0);
	} else {
		cJSON_ArrayForEach(e, arr) {
			cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "result");
			cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");

			if (!cJSON_IsString(r) || !cJSON_IsString(id)) {
				bad("JSON", "%sa scenario without id or result", "", 0);
				continue;
			}
			c->total++;
			if (!strcmp(r->valuestring, "pass"))
				c->passed++;
			else if (!strcmp(r->valuestring, "fail"))
				c->failed++;
			else if (!strcmp(r->valuestring, "skip"))
				c->skipped++;
			else
				bad("JSON", "unknown result '%s'", r->valuestring, 0);
		}
		if (cJSON_GetObjectItemCaseSensitive(sum, "total")->valueint != c->total ||
		    cJSON_GetObjectItemCaseSensitive(sum, "passed")->valueint != c->passed ||
		    cJSON_GetObjectItemCaseSensitive(sum, "failed")->valueint != c->failed ||
		    cJSON_GetObjectItemCaseSensitive(sum, "skipped")->valueint != c->skipped)
			bad("JSON", "%sthe summary disagrees with the scenarios", "", 0);
	}
	printf("JSON: parses, %d scenarios (%d passed, %d failed, %d skipped)\n", c->total,
	       c->passed, c->failed, c->skipped);
	cJSON_Delete(root);
	free(text);
}

int main(int argc, char **argv)
{
	struct counts t, j, s;

	if (argc != 4) {
		fprintf(stderr, "usage: check_reports TAP JUNIT JSON\n");
		return 2;
	}
	check_tap(argv[1], &t);
	check_junit(argv[2], &j);
	check_json(argv[3], &s);
	if (memcmp(&t, &j, sizeof(t)) || memcmp(&t, &s, sizeof(t)))
		bad("reports", "%sTAP, JUnit and JSON count differently", "", 0);
	if (t.total == 0)
		bad("reports", "%sno scenario at all", "", 0);
	if (failures) {
		fprintf(stderr, "check_reports: %d problem%s\n", failures, failures == 1 ? "" : "s");
		return 1;
	}
	printf("check_reports: all three reports are well-formed and agree\n");
	return 0;
}
