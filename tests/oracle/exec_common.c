/*
 * exec_common.c - result builders shared by the Linux and the libfusecore
 * executors; allocation-free except the workspace itself.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exec.h"

int ora_ws_alloc(struct ora_ws *ws)
{
	memset(ws, 0, sizeof(*ws));
	ws->wbuf = malloc(ORA_DATA_MAX);
	ws->rbuf = malloc(ORA_DATA_MAX);
	ws->dbuf = malloc(ORA_DIRBUF);
	ws->names = malloc(ORA_DIRBUF);
	if (!ws->wbuf || !ws->rbuf || !ws->dbuf || !ws->names) {
		ora_ws_free(ws);
		return -1;
	}
	memset(ws->wbuf, 0, ORA_DATA_MAX);
	memset(ws->rbuf, 0, ORA_DATA_MAX);
	return 0;
}

void ora_ws_free(struct ora_ws *ws)
{
	free(ws->wbuf);
	free(ws->rbuf);
	free(ws->dbuf);
	free(ws->names);
	memset(ws, 0, sizeof(*ws));
}

void ora_strlcat(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(dst), m = strlen(src);

	if (n + 1 >= cap)
		return;
	if (m > cap - n - 1)
		m = cap - n - 1;
	memcpy(dst + n, src, m);
	dst[n + m] = 0;
}

void ora_path_join(char *dst, size_t cap, const char *base, const char *rel)
{
	dst[0] = 0;
	ora_strlcat(dst, base, cap);
	if (rel && *rel && strcmp(rel, ".")) {
		ora_strlcat(dst, "/", cap);
		ora_strlcat(dst, rel, cap);
	}
}

void ora_marker_name(char *buf, size_t cap, unsigned i)
{
	char num[16];
	int n = 0;
	unsigned v = i;

	buf[0] = 0;
	ora_strlcat(buf, ".fcmark.", cap);
	if (!i) {
		ora_strlcat(buf, "end", cap);
		return;
	}
	do {
		num[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0) {
		char c[2] = { num[--n], 0 };

		ora_strlcat(buf, c, cap);
	}
}

void ora_res_ret(struct ora_result *r, int64_t ret)
{
	r->ret = ret;
}

void ora_res_bytes(struct ora_result *r, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i, o = 0;

	r->nbytes = (uint32_t)n;
	r->hash = ora_fnv(p, n, ORA_FNV_INIT);
	r->text[0] = '"';
	o = 1;
	for (i = 0; i < n && i < 40 && o + 6 < sizeof(r->text); i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\') {
			r->text[o++] = (char)b[i];
		} else {
			static const char hex[] = "0123456789abcdef";

			r->text[o++] = '\\';
			r->text[o++] = 'x';
			r->text[o++] = hex[b[i] >> 4];
			r->text[o++] = hex[b[i] & 15];
		}
	}
	r->text[o++] = '"';
	if (n > 40 && o + 4 < sizeof(r->text)) {
		memcpy(r->text + o, "...", 3);
		o += 3;
	}
	r->text[o] = 0;
}

void ora_res_stat(struct ora_result *r, uint32_t mode, uint32_t nlink, int64_t size,
		  uint32_t uid, uint32_t gid)
{
	snprintf(r->text, sizeof(r->text), "mode=0%o nlink=%u size=%" PRId64 " uid=%u gid=%u",
		 mode, nlink, size, uid, gid);
}

void ora_sort_dents(struct ora_dent *d, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++) {
		struct ora_dent x = d[i];

		for (j = i; j > 0 && strcmp(d[j - 1].name, x.name) > 0; j--)
			d[j] = d[j - 1];
		d[j] = x;
	}
}

void ora_res_listing(struct ora_result *r, struct ora_dent *d, unsigned n)
{
	unsigned i;
	uint64_t h = ORA_FNV_INIT;

	ora_sort_dents(d, n);
	r->text[0] = 0;
	for (i = 0; i < n; i++) {
		char t[4] = { ':', (char)('0' + d[i].type % 10), 0, 0 };

		if (d[i].type >= 10) {
			t[1] = (char)('0' + d[i].type / 10);
			t[2] = (char)('0' + d[i].type % 10);
		}
		if (i)
			ora_strlcat(r->text, " ", sizeof(r->text));
		ora_strlcat(r->text, d[i].name, sizeof(r->text));
		ora_strlcat(r->text, t, sizeof(r->text));
		h = ora_fnv(d[i].name, strlen(d[i].name) + 1, h);
		h = ora_fnv(&d[i].type, 1, h);
	}
	r->hash = h;
	r->nbytes = n;
}

void ora_res_namelist(struct ora_result *r, char *list, size_t len, struct ora_dent *tmp)
{
	unsigned n = 0;
	size_t o = 0;

	while (o < len && n < ORA_MAXDENTS) {
		tmp[n].name = list + o;
		tmp[n].type = 0;
		o += strnlen(list + o, len - o) + 1;
		n++;
	}
	ora_res_listing(r, tmp, n);
	r->nbytes = (uint32_t)len;
}

void ora_tree_line(char *tree, size_t cap, const char *path, char type, int64_t size,
		   uint64_t hash)
{
	char line[ORA_PATH_MAX * 2 + 64];

	snprintf(line, sizeof(line), "%s %c %" PRId64 " %016" PRIx64 "\n", path, type, size,
		 hash);
	ora_strlcat(tree, line, cap);
}
