/*
 * ops.c - system calls as data: names, the text syntax, data patterns,
 * results and captures.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/ops.h"
#include "fusecore/vfs.h"
#include "oracle.h"

/* Argument letters: p path, q path2, s slot, t slot2 (or mapping slot),
 * f flags, m mode, o offset, l length, d data, n name; '?' after a letter
 * makes it optional (and the rest too). */
static const struct {
	const char *name;
	const char *args;
} kinds[ORA_KIND_MAX] = {
	[ORA_OPEN] = { "open", "psfm?" },
	[ORA_CLOSE] = { "close", "s" },
	[ORA_DUP] = { "dup", "st" },
	[ORA_READ] = { "read", "sl" },
	[ORA_PREAD] = { "pread", "slo" },
	[ORA_WRITE] = { "write", "sd" },
	[ORA_PWRITE] = { "pwrite", "sdo" },
	[ORA_LSEEK] = { "lseek", "sof" },
	[ORA_FSYNC] = { "fsync", "s" },
	[ORA_FDATASYNC] = { "fdatasync", "s" },
	[ORA_FTRUNCATE] = { "ftruncate", "sl" },
	[ORA_TRUNCATE] = { "truncate", "pl" },
	[ORA_STAT] = { "stat", "p" },
	[ORA_LSTAT] = { "lstat", "p" },
	[ORA_FSTAT] = { "fstat", "s" },
	[ORA_MKDIR] = { "mkdir", "pm" },
	[ORA_RMDIR] = { "rmdir", "p" },
	[ORA_UNLINK] = { "unlink", "p" },
	[ORA_RENAME] = { "rename", "pqf?" },
	[ORA_LINK] = { "link", "pq" },
	[ORA_SYMLINK] = { "symlink", "pq" },
	[ORA_READLINK] = { "readlink", "p" },
	[ORA_READDIR] = { "readdir", "p" },
	[ORA_SETXATTR] = { "setxattr", "pndf" },
	[ORA_GETXATTR] = { "getxattr", "pnl" },
	[ORA_LISTXATTR] = { "listxattr", "pl" },
	[ORA_REMOVEXATTR] = { "removexattr", "pn" },
	[ORA_FLOCK] = { "flock", "sf" },
	[ORA_SETLK] = { "setlk", "sfol" },
	[ORA_SETLKW] = { "setlkw", "sfol" },
	[ORA_GETLK] = { "getlk", "sfol" },
	[ORA_MMAP] = { "mmap", "stlf" },
	[ORA_MSTORE] = { "mstore", "tod" },
	[ORA_MLOAD] = { "mload", "tol" },
	[ORA_MSYNC] = { "msync", "tf" },
	[ORA_MUNMAP] = { "munmap", "t" },
	[ORA_STATFS] = { "statfs", "p" },
	[ORA_ACCESS] = { "access", "pm" },
	[ORA_CHMOD] = { "chmod", "pm" },
	[ORA_SETFL] = { "setfl", "sf" },
	[ORA_FALLOCATE] = { "fallocate", "sfol" },
};

const char *ora_kind_name(enum ora_kind k)
{
	return k > ORA_NONE && k < ORA_KIND_MAX && kinds[k].name ? kinds[k].name : "?";
}

static const struct {
	const char *name;
	int64_t value;
} symbols[] = {
	{ "O_RDONLY", FC_O_RDONLY }, { "O_WRONLY", FC_O_WRONLY }, { "O_RDWR", FC_O_RDWR },
	{ "O_CREAT", FC_O_CREAT }, { "O_EXCL", FC_O_EXCL }, { "O_NOCTTY", FC_O_NOCTTY },
	{ "O_TRUNC", FC_O_TRUNC }, { "O_APPEND", FC_O_APPEND }, { "O_NONBLOCK", FC_O_NONBLOCK },
	{ "O_DSYNC", FC_O_DSYNC }, { "O_DIRECT", FC_O_DIRECT }, { "O_LARGEFILE", FC_O_LARGEFILE },
	{ "O_DIRECTORY", FC_O_DIRECTORY }, { "O_NOFOLLOW", FC_O_NOFOLLOW },
	{ "O_NOATIME", FC_O_NOATIME }, { "O_CLOEXEC", FC_O_CLOEXEC }, { "O_SYNC", FC_O_SYNC },
	{ "O_PATH", FC_O_PATH },
	{ "LOCK_SH", FC_LOCK_SH }, { "LOCK_EX", FC_LOCK_EX }, { "LOCK_NB", FC_LOCK_NB },
	{ "LOCK_UN", FC_LOCK_UN },
	{ "F_RDLCK", FC_F_RDLCK }, { "F_WRLCK", FC_F_WRLCK }, { "F_UNLCK", FC_F_UNLCK },
	{ "SEEK_SET", 0 }, { "SEEK_CUR", 1 }, { "SEEK_END", 2 }, { "SEEK_DATA", 3 },
	{ "SEEK_HOLE", 4 },
	{ "PROT_READ", 1 }, { "PROT_WRITE", 2 },
	{ "MS_ASYNC", 1 }, { "MS_INVALIDATE", 2 }, { "MS_SYNC", 4 },
	{ "XATTR_CREATE", 1 }, { "XATTR_REPLACE", 2 },
	{ "F_OK", 0 }, { "X_OK", 1 }, { "W_OK", 2 }, { "R_OK", 4 },
	{ "RENAME_NOREPLACE", FC_RENAME_NOREPLACE }, { "RENAME_EXCHANGE", FC_RENAME_EXCHANGE },
	{ "FALLOC_FL_KEEP_SIZE", 1 }, { "FALLOC_FL_PUNCH_HOLE", 2 },
};
#define NSYMBOLS (sizeof(symbols) / sizeof(symbols[0]))

int ora_parse_num(const char *s, int64_t *out)
{
	int64_t v = 0;
	char tok[64];

	if (!*s)
		return -1;
	while (*s) {
		size_t n = strcspn(s, "|");
		char *end;
		unsigned i;
		int found = 0;

		if (n == 0 || n >= sizeof(tok))
			return -1;
		memcpy(tok, s, n);
		tok[n] = 0;
		for (i = 0; i < NSYMBOLS; i++) {
			if (!strcmp(tok, symbols[i].name)) {
				v |= symbols[i].value;
				found = 1;
				break;
			}
		}
		if (!found) {
			long long x;

			errno = 0;
			x = strtoll(tok, &end, 0);
			if (errno || *end)
				return -1;
			v |= x;
		}
		s += n;
		if (*s == '|')
			s++;
	}
	*out = v;
	return 0;
}

/* Next token of *@p into @tok: a word, or a "quoted string" (C escapes kept raw). */
static int next_token(const char **p, char *tok, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return 0;
	if (*s == '"') {
		tok[n++] = *s++;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1]) {
				if (n + 2 >= len)
					return -1;
				tok[n++] = *s++;
			}
			if (n + 1 >= len)
				return -1;
			tok[n++] = *s++;
		}
		if (*s != '"' || n + 2 >= len)
			return -1;
		tok[n++] = *s++;
	} else {
		while (*s && !isspace((unsigned char)*s)) {
			if (n + 1 >= len)
				return -1;
			tok[n++] = *s++;
		}
	}
	tok[n] = 0;
	*p = s;
	return 1;
}

static int parse_data(const char *tok, struct ora_data *d)
{
	memset(d, 0, sizeof(*d));
	if (tok[0] == '"') {
		size_t n = 0;
		const char *s = tok + 1;

		d->literal = 1;
		while (*s && *s != '"') {
			char c = *s++;

			if (c == '\\') {
				c = *s++;
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
				else if (c == '0')
					c = '\0';
			}
			if (n + 1 >= sizeof(d->text))
				return -1;
			d->text[n++] = c;
		}
		d->size = (uint32_t)n;
		return 0;
	}
	if (!strncmp(tok, "pat:", 4)) {
		char *end;
		unsigned long size = strtoul(tok + 4, &end, 0), seed = 0;

		if (*end == ':')
			seed = strtoul(end + 1, &end, 0);
		if (*end || size > ORA_DATA_MAX)
			return -1;
		d->size = (uint32_t)size;
		d->seed = (uint32_t)seed;
		return 0;
	}
	return -1;
}

static int fail_msg(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_msg(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int ora_op_parse(const char *line, struct ora_op *op, char *err, size_t errlen)
{
	char tok[256];
	const char *p = line, *a;
	int k, optional = 0;

	memset(op, 0, sizeof(*op));
	op->mode = 0644;
	if (next_token(&p, tok, sizeof(tok)) != 1)
		return fail_msg(err, errlen, "empty op");
	for (k = 1; k < ORA_KIND_MAX; k++)
		if (kinds[k].name && !strcmp(kinds[k].name, tok))
			break;
	if (k == ORA_KIND_MAX)
		return fail_msg(err, errlen, "unknown op '%s'", tok);
	op->kind = (enum ora_kind)k;
	for (a = kinds[k].args; *a; a++) {
		int64_t v;
		int r;

		if (*a == '?') {
			optional = 1;
			continue;
		}
		if (a[1] == '?')
			optional = 1;
		r = next_token(&p, tok, sizeof(tok));
		if (r < 0)
			return fail_msg(err, errlen, "bad token");
		if (r == 0) {
			if (optional)
				break;
			return fail_msg(err, errlen, "%s: missing argument", kinds[k].name);
		}
		switch (*a) {
		case 'p':
		case 'q':
		case 'n': {
			char *dst = *a == 'p' ? op->path : *a == 'q' ? op->path2 : op->name;
			size_t cap = *a == 'n' ? sizeof(op->name) : sizeof(op->path);

			if (strlen(tok) >= cap)
				return fail_msg(err, errlen, "name too long");
			strcpy(dst, tok);
			break;
		}
		case 'd':
			if (parse_data(tok, &op->data) < 0)
				return fail_msg(err, errlen, "bad data '%s'", tok);
			break;
		default:
			if (ora_parse_num(tok, &v) < 0)
				return fail_msg(err, errlen, "bad number '%s'", tok);
			switch (*a) {
			case 's':
				if (v < 0 || v >= ORA_SLOTS)
					return fail_msg(err, errlen, "bad slot");
				op->slot = (int)v;
				break;
			case 't':
				if (v < 0 || v >= ORA_SLOTS)
					return fail_msg(err, errlen, "bad slot");
				op->slot2 = (int)v;
				break;
			case 'f': op->flags = v; break;
			case 'm': op->mode = (uint32_t)v; break;
			case 'o': op->off = v; break;
			case 'l': op->len = v; break;
			}
		}
	}
	if (next_token(&p, tok, sizeof(tok)) != 0)
		return fail_msg(err, errlen, "%s: too many arguments", kinds[k].name);
	if ((k == ORA_MMAP || k == ORA_MSTORE || k == ORA_MLOAD || k == ORA_MSYNC ||
	     k == ORA_MUNMAP) && op->slot2 >= ORA_MSLOTS)
		return fail_msg(err, errlen, "mapping slots are 0..%d", ORA_MSLOTS - 1);
	return 0;
}

static void fmt_data(const struct ora_data *d, char *buf, size_t len)
{
	if (d->literal) {
		size_t n = 0, i;

		buf[n++] = '"';
		for (i = 0; i < d->size && n + 4 < len; i++) {
			char c = d->text[i];

			if (c == '\n') {
				buf[n++] = '\\';
				buf[n++] = 'n';
			} else if (c == '"' || c == '\\') {
				buf[n++] = '\\';
				buf[n++] = c;
			} else {
				buf[n++] = c;
			}
		}
		buf[n++] = '"';
		buf[n] = 0;
	} else {
		snprintf(buf, len, "pat:%u:%u", d->size, d->seed);
	}
}

/* Flags back as symbols where they are open flags. */
static void fmt_open_flags(int64_t f, char *buf, size_t len)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "3" };
	unsigned i;
	size_t n;

	snprintf(buf, len, "%s", acc[f & 3]);
	f &= ~(int64_t)3;
	for (i = 0; i < NSYMBOLS; i++) {
		if (strncmp(symbols[i].name, "O_", 2) || symbols[i].value <= 3)
			continue;
		if ((f & symbols[i].value) == symbols[i].value) {
			n = strlen(buf);
			snprintf(buf + n, len - n, "|%s", symbols[i].name);
			f &= ~symbols[i].value;
		}
	}
	if (f) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "|0%" PRIo64, (uint64_t)f);
	}
}

void ora_op_format(const struct ora_op *op, char *buf, size_t len)
{
	const char *a;
	size_t n;
	char tmp[160];

	snprintf(buf, len, "%s", ora_kind_name(op->kind));
	if (op->kind <= ORA_NONE || op->kind >= ORA_KIND_MAX)
		return;
	for (a = kinds[op->kind].args; *a; a++) {
		if (*a == '?')
			continue;
		/* Optional trailing arguments at their defaults are left out. */
		if (a[1] == '?' && ((*a == 'm' && op->mode == 0644 && !(op->flags & FC_O_CREAT)) ||
				    (*a == 'f' && op->flags == 0)))
			break;
		switch (*a) {
		case 'p': snprintf(tmp, sizeof(tmp), "%s", op->path); break;
		case 'q': snprintf(tmp, sizeof(tmp), "%s", op->path2); break;
		case 'n': snprintf(tmp, sizeof(tmp), "%s", op->name); break;
		case 's': snprintf(tmp, sizeof(tmp), "%d", op->slot); break;
		case 't': snprintf(tmp, sizeof(tmp), "%d", op->slot2); break;
		case 'm': snprintf(tmp, sizeof(tmp), "0%o", op->mode); break;
		case 'o': snprintf(tmp, sizeof(tmp), "%" PRId64, op->off); break;
		case 'l': snprintf(tmp, sizeof(tmp), "%" PRId64, op->len); break;
		case 'd': fmt_data(&op->data, tmp, sizeof(tmp)); break;
		case 'f':
			if (op->kind == ORA_OPEN || op->kind == ORA_SETFL)
				fmt_open_flags(op->flags, tmp, sizeof(tmp));
			else
				snprintf(tmp, sizeof(tmp), "%" PRId64, op->flags);
			break;
		default: tmp[0] = 0;
		}
		n = strlen(buf);
		snprintf(buf + n, len - n, " %s", tmp);
	}
}

uint64_t ora_fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint32_t ora_data_fill(const struct ora_data *d, unsigned char *buf)
{
	uint32_t i, x = d->seed * 2654435761u + 12345u;

	if (d->literal) {
		memcpy(buf, d->text, d->size);
		return d->size;
	}
	for (i = 0; i < d->size; i++) {
		if ((i & 63) == 0)
			x = x * 1103515245u + 12345u + i;
		buf[i] = (unsigned char)('a' + ((x >> 16) + i) % 26);
	}
	return d->size;
}

int ora_result_equal(const struct ora_result *a, const struct ora_result *b)
{
	return a->ret == b->ret && a->nbytes == b->nbytes && a->hash == b->hash &&
	       !strcmp(a->text, b->text);
}

void ora_result_format(const struct ora_result *r, char *buf, size_t len)
{
	if (r->ret < 0)
		snprintf(buf, len, "-%s", strerrorname_np((int)-r->ret) ?
			 strerrorname_np((int)-r->ret) : "?");
	else
		snprintf(buf, len, "%" PRId64, r->ret);
	if (r->nbytes || r->text[0]) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " [%u bytes %016" PRIx64 "] %s", r->nbytes, r->hash,
			 r->text);
	}
}

void ora_capture_add(struct ora_capture *c, enum fc_dir dir, const void *msg, size_t len)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct ora_msg *nv = realloc(c->v, ncap * sizeof(*nv));

		if (!nv)
			abort();
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n].dir = dir;
	c->v[c->n].len = (uint32_t)len;
	c->v[c->n].bytes = malloc(len ? len : 1);
	if (!c->v[c->n].bytes)
		abort();
	memcpy(c->v[c->n].bytes, msg, len);
	c->n++;
}

void ora_capture_free(struct ora_capture *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].bytes);
	free(c->v);
	memset(c, 0, sizeof(*c));
}
