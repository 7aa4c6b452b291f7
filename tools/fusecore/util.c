/*
 * util.c - small helpers of the fusecore command: errno names, helper
 * lookup, checksums, the exit-status table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifndef FUSECORE_CLI_LIBEXECDIR
#define FUSECORE_CLI_LIBEXECDIR "/usr/local/libexec/fusecore"
#endif

void cli_print_exit_codes(FILE *f)
{
	fprintf(f,
		"Exit status:\n"
		"  0  success (every check passed; skipped checks allowed)\n"
		"  1  a conformance check failed (run), a command failed (sh -e)\n"
		"  2  usage error\n"
		"  3  the daemon (or a helper program) was not found or not executable\n"
		"  4  the daemon died: it exited before answering FUSE_INIT, or during the run\n"
		"  5  the daemon refused FUSE_INIT (or answered it with garbage)\n"
		"  6  the daemon did not answer FUSE_INIT in time\n"
		"  7  set-up error (no privileges for the mode, virtio-fs unavailable, ...)\n"
		"  8  trace: the capture is unreadable or malformed\n");
}

const char *cli_errname(long err)
{
	static __thread char buf[24];
	const char *n;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "0";
	n = strerrorname_np((int)err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%ld", err);
	return buf;
}

const char *cli_errstr(long err, char *buf, size_t size)
{
	if (err >= 0) {
		snprintf(buf, size, "%ld", err);
		return buf;
	}
	snprintf(buf, size, "-%s (%s)", cli_errname(err), strerror((int)-err));
	return buf;
}

static char *exists(const char *dir, const char *sub, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s/%s", dir, sub ? "/" : "", sub ? sub : "", name) < 0)
		return NULL;
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *cli_find_helper(const char *name, const char *env)
{
	char self[PATH_MAX], *slash, *p;
	const char *e = env ? getenv(env) : NULL;
	ssize_t n;

	if (e && *e)
		return access(e, F_OK) == 0 ? strdup(e) : NULL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			/* Build tree (tools/), then an installed bin/ next to libexec/. */
			if ((p = exists(self, NULL, name)) ||
			    (p = exists(self, "../libexec/fusecore", name)) ||
			    (p = exists(self, "../lib/fusecore", name)))
				return p;
		}
	}
	return exists(FUSECORE_CLI_LIBEXECDIR, NULL, name);
}

uint64_t cli_fnv1a(const void *buf, size_t len, uint64_t h)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void cli_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_opt(const char *s, const char *long_opt, const char **val)
{
	size_t n = strlen(long_opt);

	if (strncmp(s, long_opt, n) != 0)
		return 0;
	if (s[n] == 0) {
		if (val)
			*val = NULL;
		return 1;
	}
	if (s[n] == '=' && val) {
		*val = s + n + 1;
		return 1;
	}
	return 0;
}
