/*
 * normalize.c - request streams made comparable, and their comparison.
 *
 * Normalisation (one struct ora_nmsg per request, its reply's error
 * attached by unique):
 *  - marker LOOKUPs (".fcmark.N" in the root) split the stream into steps
 *    and are dropped, with their replies;
 *  - uniques are dropped; nodeids become the path that first named them
 *    ("/", "/d1/f"), as the entry reply (LOOKUP, CREATE, MKDIR, MKNOD,
 *    SYMLINK, READDIRPLUS) that gave them; a nodeid whose lookups were all
 *    forgotten loses its name (daemons reuse them: passthrough_ll's are
 *    pointers); fh values, lock owners and pids become first-seen
 *    ordinals (h1, L1, P1; 0 stays 0);
 *  - per opcode only the fields that carry meaning are kept (for example
 *    SETATTR's times are dropped, its valid mask kept); WRITE data becomes
 *    a hash;
 *  - BATCH_FORGET entries become FORGETs (when the kernel batches is a
 *    matter of queue timing).
 *
 * Comparison, step by step: FORGETs as per-node sums (they may be read
 * before a RELEASE queued earlier: /dev/fuse serves forgets first), the
 * other requests as sequences aligned by opcode (longest common
 * subsequence); unpaired requests and differing fields of paired ones are
 * differences, unless an allowance covers them.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/proto.h"
#include "oracle.h"

/* ---- maps ---------------------------------------------------------------------------- */

struct node {
	uint64_t nodeid;
	uint64_t nlookup;
	char label[80];
};

struct ordmap {
	uint64_t *v;
	size_t n, cap;
};

struct pend {
	uint64_t unique;
	long idx;              /* index in the output, -1: marker (dropped) */
	uint32_t opcode;
	char parent[80];
	char name[64];
};

static void field(struct ora_nmsg *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fh values: a new ordinal per open (the daemon may reuse values). */
struct fhmap {
	uint64_t *val;
	unsigned *ordv;
	size_t n, cap;
	unsigned next;
};

struct norm {
	struct node *nodes;
	size_t nn, ncap;
	unsigned anon;
	struct fhmap fh;
	struct ordmap owner, pid;
	struct pend *pend;
	size_t np, pcap;
	struct ora_stream *out;
	unsigned seg;
};

static unsigned ord(struct ordmap *m, uint64_t v)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i] == v)
			return (unsigned)i + 1;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = realloc(m->v, m->cap * sizeof(*m->v));
		if (!m->v)
			abort();
	}
	m->v[m->n++] = v;
	return (unsigned)m->n;
}

static unsigned fh_ord(struct fhmap *m, uint64_t v, int fresh)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->val[i] == v) {
			if (fresh)
				m->ordv[i] = ++m->next;
			return m->ordv[i];
		}
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->val = realloc(m->val, m->cap * sizeof(*m->val));
		m->ordv = realloc(m->ordv, m->cap * sizeof(*m->ordv));
		if (!m->val || !m->ordv)
			abort();
	}
	m->val[m->n] = v;
	m->ordv[m->n] = ++m->next;
	return m->ordv[m->n++];
}

static void fh_forget(struct fhmap *m, uint64_t v)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->val[i] == v) {
			m->val[i] = m->val[--m->n];
			m->ordv[i] = m->ordv[m->n];
			return;
		}
	}
}

static void f_fh(struct ora_nmsg *m, struct fhmap *map, uint64_t v)
{
	if (!v)
		field(m, "fh", "0");
	else
		field(m, "fh", "h%u", fh_ord(map, v, 0));
}

static struct node *node_find(struct norm *z, uint64_t id)
{
	size_t i;

	for (i = 0; i < z->nn; i++)
		if (z->nodes[i].nodeid == id)
			return &z->nodes[i];
	return NULL;
}

static struct node *node_add(struct norm *z, uint64_t id, const char *label)
{
	struct node *n;

	if (z->nn == z->ncap) {
		z->ncap = z->ncap ? z->ncap * 2 : 32;
		z->nodes = realloc(z->nodes, z->ncap * sizeof(*z->nodes));
		if (!z->nodes)
			abort();
	}
	n = &z->nodes[z->nn++];
	memset(n, 0, sizeof(*n));
	n->nodeid = id;
	snprintf(n->label, sizeof(n->label), "%s", label);
	return n;
}

static void node_del(struct norm *z, struct node *n)
{
	*n = z->nodes[--z->nn];
}

static const char *label_of(struct norm *z, uint64_t id, char *buf, size_t len)
{
	struct node *n;

	if (id == 0 || id == 1) {
		snprintf(buf, len, "%s", id ? "/" : "0");
		return buf;
	}
	n = node_find(z, id);
	if (!n) {
		char l[32];

		snprintf(l, sizeof(l), "#%u", ++z->anon);
		n = node_add(z, id, l);
	}
	snprintf(buf, len, "%s", n->label);
	return buf;
}

static void child_label(char *out, size_t len, const char *parent, const char *name)
{
	if (!strcmp(parent, "/"))
		snprintf(out, len, "/%s", name);
	else
		snprintf(out, len, "%s/%s", parent, name);
}

/* A successful entry reply for @name in @parent gave @id. */
static void entry_seen(struct norm *z, uint64_t id, const char *parent, const char *name)
{
	struct node *n;
	char l[80];

	if (id == 0 || id == 1)
		return;
	n = node_find(z, id);
	if (!n) {
		child_label(l, sizeof(l), parent, name);
		n = node_add(z, id, l);
	}
	n->nlookup++;
}

static void forget_seen(struct norm *z, uint64_t id, uint64_t nlookup)
{
	struct node *n = node_find(z, id);

	if (!n)
		return;
	if (n->nlookup <= nlookup)
		node_del(z, n);
	else
		n->nlookup -= nlookup;
}

/* ---- output ------------------------------------------------------------------------- */

static struct ora_nmsg *emit(struct norm *z, uint32_t opcode, uint64_t unique)
{
	struct ora_stream *s = z->out;
	struct ora_nmsg *m;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 128;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	m = &s->v[s->n++];
	memset(m, 0, sizeof(*m));
	m->opcode = opcode;
	m->seg = z->seg;
	m->unique = unique;
	snprintf(m->reply, sizeof(m->reply), "none");
	return m;
}

static void field(struct ora_nmsg *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void field(struct ora_nmsg *m, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (m->nf >= ORA_NF_MAX)
		return;
	snprintf(m->f[m->nf].key, sizeof(m->f[m->nf].key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(m->f[m->nf].val, sizeof(m->f[m->nf].val), fmt, ap);
	va_end(ap);
	m->nf++;
}

static void f_name(struct ora_nmsg *m, const char *key, const unsigned char *p, size_t max)
{
	char buf[80];
	size_t i, o = 0;

	for (i = 0; i < max && p[i] && o + 5 < sizeof(buf); i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'') {
			buf[o++] = (char)p[i];
		} else {
			snprintf(buf + o, sizeof(buf) - o, "\\x%02x", p[i]);
			o += 4;
		}
	}
	buf[o] = 0;
	field(m, key, "'%s'", buf);
}

static void f_node(struct norm *z, struct ora_nmsg *m, const char *key, uint64_t id)
{
	char buf[80];

	field(m, key, "%s", label_of(z, id, buf, sizeof(buf)));
}

static void f_ord(struct ora_nmsg *m, const char *key, char prefix, struct ordmap *map,
		  uint64_t v)
{
	if (!v)
		field(m, key, "0");
	else
		field(m, key, "%c%u", prefix, ord(map, v));
}

static void add_pend(struct norm *z, uint64_t unique, long idx, uint32_t opcode,
		     const char *parent, const unsigned char *name, size_t namemax)
{
	struct pend *p;

	if (z->np == z->pcap) {
		z->pcap = z->pcap ? z->pcap * 2 : 64;
		z->pend = realloc(z->pend, z->pcap * sizeof(*z->pend));
		if (!z->pend)
			abort();
	}
	p = &z->pend[z->np++];
	memset(p, 0, sizeof(*p));
	p->unique = unique;
	p->idx = idx;
	p->opcode = opcode;
	snprintf(p->parent, sizeof(p->parent), "%s", parent ? parent : "");
	if (name) {
		size_t n = strnlen((const char *)name, namemax);

		if (n >= sizeof(p->name))
			n = sizeof(p->name) - 1;
		memcpy(p->name, name, n);
		p->name[n] = 0;
	}
}

#define GET(type, var)                              \
	type var;                                   \
	if (blen < sizeof(var))                     \
		goto malformed;                     \
	memcpy(&var, body, sizeof(var))

static void norm_request(struct norm *z, const unsigned char *msg, size_t len)
{
	struct fc_in_header h;
	const unsigned char *body;
	size_t blen;
	struct ora_nmsg *m;
	char parent[80];
	const unsigned char *ename = NULL;
	size_t enamemax = 0;
	long idx;

	if (len < sizeof(h))
		return;
	memcpy(&h, msg, sizeof(h));
	body = msg + sizeof(h);
	blen = len - sizeof(h) - (size_t)h.total_extlen * 8u;
	if ((size_t)h.total_extlen * 8u > len - sizeof(h))
		blen = 0;

	/* Markers split the steps. */
	if (h.opcode == FC_LOOKUP && h.nodeid == 1 && blen > 8 &&
	    !memcmp(body, ".fcmark.", 8)) {
		if (!strncmp((const char *)body + 8, "end", blen - 8)) {
			z->seg = ORA_SEG_EXIT;
		} else if (!strncmp((const char *)body + 8, "umount", blen - 8)) {
			z->seg = ORA_SEG_UMOUNT;
		} else {
			z->seg = (unsigned)strtoul((const char *)body + 8, NULL, 10);
			if (z->seg + 1 > z->out->nsegs)
				z->out->nsegs = z->seg + 1;
		}
		add_pend(z, h.unique, -1, h.opcode, NULL, NULL, 0);
		return;
	}

	if (h.opcode == FC_BATCH_FORGET) {
		struct fc_batch_forget_in in;
		uint32_t i;

		if (blen < sizeof(in))
			return;
		memcpy(&in, body, sizeof(in));
		for (i = 0; i < in.count && sizeof(in) + (i + 1) * sizeof(struct fc_forget_one) <= blen;
		     i++) {
			struct fc_forget_one f;

			memcpy(&f, body + sizeof(in) + i * sizeof(f), sizeof(f));
			m = emit(z, FC_FORGET, h.unique);
			f_node(z, m, "nodeid", f.nodeid);
			field(m, "nlookup", "%" PRIu64, f.nlookup);
			snprintf(m->reply, sizeof(m->reply), "noreply");
			forget_seen(z, f.nodeid, f.nlookup);
		}
		return;
	}

	m = emit(z, h.opcode, h.unique);
	idx = (long)(m - z->out->v);
	label_of(z, h.nodeid, parent, sizeof(parent));
	field(m, "nodeid", "%s", parent);
	field(m, "uid", "%u", h.uid);
	field(m, "gid", "%u", h.gid);
	f_ord(m, "pid", 'P', &z->pid, h.pid);

	switch (h.opcode) {
	case FC_INIT: {
		struct fc_init_in in;
		uint64_t flags;

		if (blen < 16)
			goto malformed;
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, blen < sizeof(in) ? blen : sizeof(in));
		flags = in.flags | ((uint64_t)in.flags2 << 32);
		field(m, "version", "%u.%u", in.major, in.minor);
		field(m, "max_readahead", "%u", in.max_readahead);
		field(m, "flags", "0x%" PRIx64, flags);
		break;
	}
	case FC_LOOKUP:
		f_name(m, "name", body, blen);
		ename = body;
		enamemax = blen;
		break;
	case FC_UNLINK: case FC_RMDIR: case FC_REMOVEXATTR:
		f_name(m, "name", body, blen);
		break;
	case FC_FORGET: {
		GET(struct fc_forget_in, in);
		field(m, "nlookup", "%" PRIu64, in.nlookup);
		snprintf(m->reply, sizeof(m->reply), "noreply");
		forget_seen(z, h.nodeid, in.nlookup);
		return;
	}
	case FC_GETATTR: {
		GET(struct fc_getattr_in, in);
		field(m, "getattr_flags", "0x%x", in.getattr_flags);
		if (in.getattr_flags & FC_GETATTR_FH)
			f_fh(m, &z->fh, in.fh);
		break;
	}
	case FC_SETATTR: {
		GET(struct fc_setattr_in, in);
		field(m, "valid", "0x%x", in.valid);
		if (in.valid & FC_FATTR_FH)
			f_fh(m, &z->fh, in.fh);
		if (in.valid & FC_FATTR_SIZE)
			field(m, "size", "%" PRIu64, in.size);
		if (in.valid & FC_FATTR_LOCKOWNER)
			f_ord(m, "lock_owner", 'L', &z->owner, in.lock_owner);
		if (in.valid & FC_FATTR_MODE)
			field(m, "mode", "0%o", in.mode);
		if (in.valid & FC_FATTR_UID)
			field(m, "set_uid", "%u", in.uid);
		if (in.valid & FC_FATTR_GID)
			field(m, "set_gid", "%u", in.gid);
		break;
	}
	case FC_SYMLINK: {
		size_t n = strnlen((const char *)body, blen);

		f_name(m, "name", body, blen);
		if (n < blen)
			f_name(m, "target", body + n + 1, blen - n - 1);
		ename = body;
		enamemax = blen;
		break;
	}
	case FC_MKNOD: {
		GET(struct fc_mknod_in, in);
		field(m, "mode", "0%o", in.mode);
		field(m, "rdev", "%u", in.rdev);
		field(m, "umask", "0%o", in.umask);
		f_name(m, "name", body + sizeof(in), blen - sizeof(in));
		ename = body + sizeof(in);
		enamemax = blen - sizeof(in);
		break;
	}
	case FC_MKDIR: {
		GET(struct fc_mkdir_in, in);
		field(m, "mode", "0%o", in.mode);
		field(m, "umask", "0%o", in.umask);
		f_name(m, "name", body + sizeof(in), blen - sizeof(in));
		ename = body + sizeof(in);
		enamemax = blen - sizeof(in);
		break;
	}
	case FC_RENAME: case FC_RENAME2: {
		size_t hdr = h.opcode == FC_RENAME ? sizeof(struct fc_rename_in)
						   : sizeof(struct fc_rename2_in);
		struct fc_rename2_in in;
		size_t n;

		if (blen < hdr)
			goto malformed;
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, hdr);
		f_node(z, m, "newdir", in.newdir);
		if (h.opcode == FC_RENAME2)
			field(m, "flags", "0x%x", in.flags);
		n = strnlen((const char *)body + hdr, blen - hdr);
		f_name(m, "old", body + hdr, blen - hdr);
		if (hdr + n < blen)
			f_name(m, "new", body + hdr + n + 1, blen - hdr - n - 1);
		break;
	}
	case FC_LINK: {
		GET(struct fc_link_in, in);
		f_node(z, m, "oldnodeid", in.oldnodeid);
		f_name(m, "name", body + sizeof(in), blen - sizeof(in));
		ename = body + sizeof(in);
		enamemax = blen - sizeof(in);
		break;
	}
	case FC_OPEN: case FC_OPENDIR: {
		GET(struct fc_open_in, in);
		field(m, "flags", "0%o", in.flags);
		field(m, "open_flags", "0x%x", in.open_flags);
		break;
	}
	case FC_CREATE: {
		GET(struct fc_create_in, in);
		field(m, "flags", "0%o", in.flags);
		field(m, "mode", "0%o", in.mode);
		field(m, "umask", "0%o", in.umask);
		field(m, "open_flags", "0x%x", in.open_flags);
		f_name(m, "name", body + sizeof(in), blen - sizeof(in));
		ename = body + sizeof(in);
		enamemax = blen - sizeof(in);
		break;
	}
	case FC_READ: case FC_READDIR: case FC_READDIRPLUS: {
		GET(struct fc_read_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "offset", "%" PRIu64, in.offset);
		field(m, "size", "%u", in.size);
		field(m, "read_flags", "0x%x", in.read_flags);
		f_ord(m, "lock_owner", 'L', &z->owner, in.lock_owner);
		field(m, "flags", "0%o", in.flags);
		break;
	}
	case FC_WRITE: {
		GET(struct fc_write_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "offset", "%" PRIu64, in.offset);
		field(m, "size", "%u", in.size);
		field(m, "write_flags", "0x%x", in.write_flags);
		f_ord(m, "lock_owner", 'L', &z->owner, in.lock_owner);
		field(m, "flags", "0%o", in.flags);
		field(m, "data", "%016" PRIx64,
		      ora_fnv(body + sizeof(in), blen - sizeof(in), ORA_FNV_INIT));
		break;
	}
	case FC_RELEASE: case FC_RELEASEDIR: {
		GET(struct fc_release_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "flags", "0%o", in.flags);
		field(m, "release_flags", "0x%x", in.release_flags);
		f_ord(m, "lock_owner", 'L', &z->owner, in.lock_owner);
		if (in.fh)
			fh_forget(&z->fh, in.fh);
		break;
	}
	case FC_FSYNC: case FC_FSYNCDIR: {
		GET(struct fc_fsync_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "fsync_flags", "0x%x", in.fsync_flags);
		break;
	}
	case FC_FLUSH: {
		GET(struct fc_flush_in, in);
		f_fh(m, &z->fh, in.fh);
		f_ord(m, "lock_owner", 'L', &z->owner, in.lock_owner);
		break;
	}
	case FC_SETXATTR: {
		struct fc_setxattr_in in;
		/* Without SETXATTR_EXT the header is 8 bytes (size, flags). */
		size_t hdr = FC_COMPAT_SETXATTR_IN_SIZE;
		size_t n;

		if (blen < hdr)
			goto malformed;
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, hdr);
		/* The name must follow the header and the value the name. */
		n = strnlen((const char *)body + hdr, blen - hdr);
		if (hdr + n + 1 + in.size != blen && blen >= sizeof(in)) {
			hdr = sizeof(in);
			memcpy(&in, body, hdr);
			n = strnlen((const char *)body + hdr, blen - hdr);
			field(m, "setxattr_flags", "0x%x", in.setxattr_flags);
		}
		field(m, "size", "%u", in.size);
		field(m, "flags", "0x%x", in.flags);
		f_name(m, "name", body + hdr, blen - hdr);
		if (hdr + n + 1 <= blen)
			field(m, "value", "%016" PRIx64,
			      ora_fnv(body + hdr + n + 1, blen - hdr - n - 1, ORA_FNV_INIT));
		break;
	}
	case FC_GETXATTR: case FC_LISTXATTR: {
		GET(struct fc_getxattr_in, in);
		field(m, "size", "%u", in.size);
		if (h.opcode == FC_GETXATTR)
			f_name(m, "name", body + sizeof(in), blen - sizeof(in));
		break;
	}
	case FC_GETLK: case FC_SETLK: case FC_SETLKW: {
		GET(struct fc_lk_in, in);
		f_fh(m, &z->fh, in.fh);
		f_ord(m, "owner", 'L', &z->owner, in.owner);
		field(m, "start", "%" PRIu64, in.lk.start);
		field(m, "end", "%" PRIu64, in.lk.end);
		field(m, "type", "%u", in.lk.type);
		f_ord(m, "lk_pid", 'P', &z->pid, in.lk.pid);
		field(m, "lk_flags", "0x%x", in.lk_flags);
		break;
	}
	case FC_ACCESS: {
		GET(struct fc_access_in, in);
		field(m, "mask", "0%o", in.mask);
		break;
	}
	case FC_FALLOCATE: {
		GET(struct fc_fallocate_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "offset", "%" PRIu64, in.offset);
		field(m, "length", "%" PRIu64, in.length);
		field(m, "mode", "0x%x", in.mode);
		break;
	}
	case FC_LSEEK: {
		GET(struct fc_lseek_in, in);
		f_fh(m, &z->fh, in.fh);
		field(m, "offset", "%" PRIu64, in.offset);
		field(m, "whence", "%u", in.whence);
		break;
	}
	case FC_STATX: {
		GET(struct fc_statx_in, in);
		field(m, "getattr_flags", "0x%x", in.getattr_flags);
		if (in.getattr_flags & FC_GETATTR_FH)
			f_fh(m, &z->fh, in.fh);
		field(m, "sx_flags", "0x%x", in.sx_flags);
		field(m, "sx_mask", "0x%x", in.sx_mask);
		break;
	}
	case FC_INTERRUPT:
		snprintf(m->reply, sizeof(m->reply), "noreply");
		return;
	default:
		if (blen)
			field(m, "body", "%zu", blen);
		break;
	}
	add_pend(z, h.unique, idx, h.opcode, parent, ename, enamemax);
	return;
malformed:
	field(m, "malformed", "%zu", blen);
	add_pend(z, h.unique, idx, h.opcode, parent, NULL, 0);
}

static void norm_direntplus(struct norm *z, const char *parent, const unsigned char *p,
			    size_t len)
{
	size_t o = 0;

	while (o + FC_NAME_OFFSET_DIRENTPLUS <= len) {
		struct fc_direntplus d;
		char name[256];
		size_t rec;

		memcpy(&d, p + o, sizeof(d));
		if (d.dirent.namelen == 0 || d.dirent.namelen > 255)
			return;
		rec = FC_DIRENTPLUS_SIZE(&d);
		if (o + FC_NAME_OFFSET_DIRENTPLUS + d.dirent.namelen > len)
			return;
		memcpy(name, p + o + FC_NAME_OFFSET_DIRENTPLUS, d.dirent.namelen);
		name[d.dirent.namelen] = 0;
		if (d.entry_out.nodeid && strcmp(name, ".") && strcmp(name, ".."))
			entry_seen(z, d.entry_out.nodeid, parent, name);
		o += rec;
	}
}

static void norm_reply(struct norm *z, const unsigned char *msg, size_t len)
{
	struct fc_out_header h;
	const unsigned char *body;
	size_t blen, i;
	struct pend p;

	if (len < sizeof(h))
		return;
	memcpy(&h, msg, sizeof(h));
	if (h.unique == 0)
		return; /* notification */
	for (i = 0; i < z->np; i++)
		if (z->pend[i].unique == h.unique)
			break;
	if (i == z->np)
		return;
	p = z->pend[i];
	z->pend[i] = z->pend[--z->np];
	if (p.idx < 0)
		return; /* a marker's reply */
	body = msg + sizeof(h);
	blen = len - sizeof(h);
	snprintf(z->out->v[p.idx].reply, sizeof(z->out->v[p.idx].reply), "%d", h.error);
	if (h.error)
		return;
	switch (p.opcode) {
	case FC_LOOKUP: case FC_MKNOD: case FC_MKDIR: case FC_SYMLINK: case FC_LINK:
	case FC_CREATE: {
		struct fc_entry_out e;

		if (blen < sizeof(e))
			return;
		memcpy(&e, body, sizeof(e));
		entry_seen(z, e.nodeid, p.parent, p.name);
		if (p.opcode == FC_CREATE && blen >= sizeof(e) + sizeof(struct fc_open_out)) {
			struct fc_open_out o;

			memcpy(&o, body + sizeof(e), sizeof(o));
			if (o.fh)
				fh_ord(&z->fh, o.fh, 1);
		}
		break;
	}
	case FC_OPEN: case FC_OPENDIR: {
		struct fc_open_out o;

		if (blen < sizeof(o))
			return;
		memcpy(&o, body, sizeof(o));
		if (o.fh)
			fh_ord(&z->fh, o.fh, 1);
		break;
	}
	case FC_READDIRPLUS:
		norm_direntplus(z, p.parent, body, blen);
		break;
	default:
		break;
	}
}

void ora_normalize(const struct ora_capture *c, struct ora_stream *out)
{
	struct norm z;
	size_t i;

	memset(&z, 0, sizeof(z));
	memset(out, 0, sizeof(*out));
	out->nsegs = 1;
	z.out = out;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].dir == FC_DIR_REQUEST)
			norm_request(&z, c->v[i].bytes, c->v[i].len);
		else
			norm_reply(&z, c->v[i].bytes, c->v[i].len);
	}
	free(z.nodes);
	free(z.fh.val);
	free(z.fh.ordv);
	free(z.owner.v);
	free(z.pid.v);
	free(z.pend);
}

void ora_stream_free(struct ora_stream *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void ora_nmsg_format(const struct ora_nmsg *m, char *buf, size_t len)
{
	const char *name = fc_opcode_name(m->opcode);
	unsigned i;
	size_t n;

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "OPCODE_%u", m->opcode);
	for (i = 0; i < m->nf; i++) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " %s=%s", m->f[i].key, m->f[i].val);
	}
	n = strlen(buf);
	if (strcmp(m->reply, "noreply"))
		snprintf(buf + n, len - n, " => %s", m->reply);
}

/* ---- allowances ------------------------------------------------------------------------ */

static uint32_t opcode_by_name(const char *name)
{
	uint32_t i;

	for (i = 1; i < 100; i++) {
		const char *n = fc_opcode_name(i);

		if (n && !strcmp(n, name))
			return i;
	}
	return 0;
}

int ora_allow_parse(const char *line, struct ora_allow *a, char *err, size_t errlen)
{
	char buf[512], *tok, *save = NULL;
	int have_kind = 0;

	memset(a, 0, sizeof(*a));
	a->step_hi = (unsigned)-1;
	snprintf(buf, sizeof(buf), "%s", line);
	tok = strtok_r(buf, " \t", &save);
	if (!tok || (strcmp(tok, "allow") && strcmp(tok, "bug"))) {
		snprintf(err, errlen, "expected 'allow' or 'bug'");
		return -1;
	}
	a->bug = !strcmp(tok, "bug");
	tok = strtok_r(NULL, " \t", &save);
	if (!tok) {
		snprintf(err, errlen, "missing tag");
		return -1;
	}
	snprintf(a->tag, sizeof(a->tag), "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (!strncmp(tok, "step=", 5)) {
			char *dash;

			if (!strcmp(tok + 5, "*"))
				continue;
			if (!strcmp(tok + 5, "exit") || !strcmp(tok + 5, "umount")) {
				a->step_lo = a->step_hi = tok[5] == 'e' ? ORA_SEG_EXIT : ORA_SEG_UMOUNT;
				continue;
			}
			a->step_lo = (unsigned)strtoul(tok + 5, &dash, 10);
			a->step_hi = *dash == '-' ? (unsigned)strtoul(dash + 1, NULL, 10)
						  : a->step_lo;
		} else if (!strncmp(tok, "op=", 3)) {
			a->opcode = opcode_by_name(tok + 3);
			if (!a->opcode) {
				snprintf(err, errlen, "unknown opcode %s", tok + 3);
				return -1;
			}
		} else if (!strncmp(tok, "field=", 6)) {
			snprintf(a->field, sizeof(a->field), "%s", tok + 6);
			a->kind = ORA_ALLOW_FIELD;
			have_kind = 1;
		} else if (!strncmp(tok, "bits=", 5)) {
			a->bits = strtoull(tok + 5, NULL, 0);
		} else if (!strncmp(tok, "daemon=", 7)) {
			snprintf(a->daemon, sizeof(a->daemon), "%s", tok + 7);
		} else if (!strcmp(tok, "linux-only")) {
			a->kind = ORA_ALLOW_LINUX_ONLY;
			have_kind = 1;
		} else if (!strcmp(tok, "lib-only")) {
			a->kind = ORA_ALLOW_LIB_ONLY;
			have_kind = 1;
		} else if (!strcmp(tok, "result")) {
			a->kind = ORA_ALLOW_RESULT;
			have_kind = 1;
		} else {
			snprintf(err, errlen, "unknown word '%s'", tok);
			return -1;
		}
	}
	if (!have_kind) {
		snprintf(err, errlen, "no kind (linux-only, lib-only, field=, result)");
		return -1;
	}
	return 0;
}

static struct ora_allow *find_allow(struct ora_allow *allow, unsigned nallow,
				    const char *daemon, enum ora_allow_kind kind,
				    unsigned step, uint32_t opcode, const char *fieldname,
				    const char *va, const char *vb)
{
	unsigned i;

	for (i = 0; i < nallow; i++) {
		struct ora_allow *a = &allow[i];

		if (a->kind != kind || step < a->step_lo || step > a->step_hi)
			continue;
		if (a->opcode && a->opcode != opcode)
			continue;
		if (a->daemon[0] && strcmp(a->daemon, daemon))
			continue;
		if (kind == ORA_ALLOW_FIELD) {
			if (strcmp(a->field, fieldname))
				continue;
			if (a->bits) {
				uint64_t x = strtoull(va, NULL, 0), y = strtoull(vb, NULL, 0);

				if ((x ^ y) & ~a->bits)
					continue;
			}
		}
		return a;
	}
	return NULL;
}

/* ---- comparison ---------------------------------------------------------------------- */

static void report(struct ora_diff_report *rep, struct ora_allow *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct ora_diff_report *rep, struct ora_allow *a, const char *fmt, ...)
{
	va_list ap;

	if (a) {
		a->used++;
		if (a->bug)
			rep->allowed_bug++;
		else
			rep->allowed_doc++;
	} else {
		rep->differences++;
	}
	if (!rep->out || (a && !rep->show_allowed))
		return;
	fprintf(rep->out, "      %s ", a ? (a->bug ? "known-bug" : "documented") : "DIFFERENCE");
	if (a)
		fprintf(rep->out, "[%s] ", a->tag);
	va_start(ap, fmt);
	vfprintf(rep->out, fmt, ap);
	va_end(ap);
	fprintf(rep->out, "\n");
}

/* The messages of step @seg, FORGETs apart. */
static size_t seg_msgs(const struct ora_stream *s, unsigned seg, const struct ora_nmsg **out,
		       size_t cap, int forgets)
{
	size_t i, n = 0;

	for (i = 0; i < s->n && n < cap; i++) {
		if (s->v[i].seg != seg)
			continue;
		if ((s->v[i].opcode == FC_FORGET) != !!forgets)
			continue;
		out[n++] = &s->v[i];
	}
	return n;
}

static const char *fval(const struct ora_nmsg *m, const char *key)
{
	unsigned i;

	for (i = 0; i < m->nf; i++)
		if (!strcmp(m->f[i].key, key))
			return m->f[i].val;
	return NULL;
}

static void compare_pair(const struct ora_nmsg *a, const struct ora_nmsg *b, unsigned step,
			 const char *sn, struct ora_allow *allow, unsigned nallow,
			 const char *daemon, struct ora_diff_report *rep)
{
	const char *name = fc_opcode_name(a->opcode);
	unsigned i;

	for (i = 0; i < a->nf; i++) {
		const char *vb = fval(b, a->f[i].key);

		if (vb && !strcmp(vb, a->f[i].val))
			continue;
		report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_FIELD, step, a->opcode,
				       a->f[i].key, a->f[i].val, vb ? vb : ""),
		       "step %s: %s.%s linux=%s lib=%s", sn, name, a->f[i].key, a->f[i].val,
		       vb ? vb : "(none)");
	}
	for (i = 0; i < b->nf; i++) {
		if (fval(a, b->f[i].key))
			continue;
		report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_FIELD, step, a->opcode,
				       b->f[i].key, "", b->f[i].val),
		       "step %s: %s.%s linux=(none) lib=%s", sn, name, b->f[i].key,
		       b->f[i].val);
	}
	if (strcmp(a->reply, b->reply))
		report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_FIELD, step, a->opcode,
				       "reply", a->reply, b->reply),
		       "step %s: %s reply linux=%s lib=%s", sn, name, a->reply, b->reply);
}

#define SEG_CAP 4096

/* Every FORGET of the run, the unmount's included. */
static size_t all_forgets(const struct ora_stream *s, const struct ora_nmsg **out, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < s->n && n < cap; i++)
		if (s->v[i].opcode == FC_FORGET)
			out[n++] = &s->v[i];
	return n;
}

const char *ora_step_name(unsigned seg, char *buf, size_t len)
{
	if (seg == ORA_SEG_EXIT)
		snprintf(buf, len, "exit");
	else if (seg == ORA_SEG_UMOUNT)
		snprintf(buf, len, "umount");
	else
		snprintf(buf, len, "%u", seg);
	return buf;
}

void ora_compare_streams(const struct ora_stream *ls, const struct ora_stream *bs,
			 struct ora_allow *allow, unsigned nallow, const char *daemon,
			 struct ora_diff_report *rep)
{
	const struct ora_nmsg **L = calloc(SEG_CAP, sizeof(*L));
	const struct ora_nmsg **B = calloc(SEG_CAP, sizeof(*B));
	unsigned short *dp = NULL;
	unsigned nsegs = ls->nsegs > bs->nsegs ? ls->nsegs : bs->nsegs;
	unsigned k;
	char line[1024];

	if (!L || !B)
		abort();
	if (ls->nsegs != bs->nsegs)
		report(rep, NULL, "the streams have %u and %u steps", ls->nsegs, bs->nsegs);
	for (k = 0; k < nsegs + 2; k++) {
		unsigned seg = k < nsegs ? k : k == nsegs ? ORA_SEG_EXIT : ORA_SEG_UMOUNT;
		size_t nl = seg_msgs(ls, seg, L, SEG_CAP, 0);
		size_t nb = seg_msgs(bs, seg, B, SEG_CAP, 0);
		size_t i, j;
		char sn[16];

		ora_step_name(seg, sn, sizeof(sn));
		/* Longest common subsequence by opcode. */
		dp = realloc(dp, (nl + 1) * (nb + 1) * sizeof(*dp));
		if (!dp)
			abort();
		for (i = nl + 1; i-- > 0;)
			for (j = nb + 1; j-- > 0;) {
				unsigned short *c = &dp[i * (nb + 1) + j];

				if (i == nl || j == nb)
					*c = 0;
				else if (L[i]->opcode == B[j]->opcode)
					*c = (unsigned short)(dp[(i + 1) * (nb + 1) + j + 1] + 1);
				else {
					unsigned short x = dp[(i + 1) * (nb + 1) + j];
					unsigned short y = dp[i * (nb + 1) + j + 1];

					*c = x > y ? x : y;
				}
			}
		i = j = 0;
		while (i < nl || j < nb) {
			if (i < nl && j < nb && L[i]->opcode == B[j]->opcode) {
				compare_pair(L[i], B[j], seg, sn, allow, nallow, daemon, rep);
				i++;
				j++;
			} else if (j == nb || (i < nl && dp[(i + 1) * (nb + 1) + j] >=
						  dp[i * (nb + 1) + j + 1])) {
				ora_nmsg_format(L[i], line, sizeof(line));
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_LINUX_ONLY,
						       seg, L[i]->opcode, NULL, NULL, NULL),
				       "step %s: only Linux sent %s", sn, line);
				i++;
			} else {
				ora_nmsg_format(B[j], line, sizeof(line));
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_LIB_ONLY,
						       seg, B[j]->opcode, NULL, NULL, NULL),
				       "step %s: only libfusecore sent %s", sn, line);
				j++;
			}
		}

	}

	/*
	 * FORGETs: per-node sums over the whole run.  When Linux sends them
	 * depends on when the inode is evicted and on how /dev/fuse interleaves
	 * its forget queue with requests, and libfusecore's may wait for a
	 * background RELEASE's answer: not a step's property.  A node only
	 * libfusecore forgets, at the unmount, is D2's case.
	 */
	{
		size_t nl = all_forgets(ls, L, SEG_CAP), nb = all_forgets(bs, B, SEG_CAP), i;

		for (i = 0; i < nl + nb; i++) {
			const struct ora_nmsg *m = i < nl ? L[i] : B[i - nl];
			const char *node = fval(m, "nodeid");
			uint64_t sl = 0, sb = 0, sbu = 0;
			size_t k;
			int first = 1;

			/* Each node once: skip it if an earlier message named it. */
			for (k = 0; k < i; k++) {
				const struct ora_nmsg *o = k < nl ? L[k] : B[k - nl];

				if (!strcmp(fval(o, "nodeid"), node))
					first = 0;
			}
			if (!first)
				continue;
			for (k = 0; k < nl; k++)
				if (!strcmp(fval(L[k], "nodeid"), node))
					sl += strtoull(fval(L[k], "nlookup"), NULL, 10);
			for (k = 0; k < nb; k++) {
				if (strcmp(fval(B[k], "nodeid"), node))
					continue;
				if (B[k]->seg == ORA_SEG_UMOUNT)
					sbu += strtoull(fval(B[k], "nlookup"), NULL, 10);
				else
					sb += strtoull(fval(B[k], "nlookup"), NULL, 10);
			}
			/* A FORGET that came late, with the unmount, still balances. */
			if (sl == sb + sbu)
				continue;
			if (sl < sb + sbu && sb <= sl) {
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_LIB_ONLY,
						       ORA_SEG_UMOUNT, FC_FORGET, NULL, NULL, NULL),
				       "unmount: only libfusecore sent FORGET nodeid=%s nlookup=%" PRIu64,
				       node, sb + sbu - sl);
			} else if (!sb && !sbu) {
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_LINUX_ONLY,
						       ORA_SEG_EXIT, FC_FORGET, NULL, NULL, NULL),
				       "whole run: only Linux sent FORGET nodeid=%s nlookup=%" PRIu64,
				       node, sl);
			} else if (!sl) {
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_LIB_ONLY,
						       ORA_SEG_EXIT, FC_FORGET, NULL, NULL, NULL),
				       "whole run: only libfusecore sent FORGET nodeid=%s nlookup=%" PRIu64,
				       node, sb);
			} else {
				char a[24], b[24];

				snprintf(a, sizeof(a), "%" PRIu64, sl);
				snprintf(b, sizeof(b), "%" PRIu64, sb + sbu);
				report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_FIELD,
						       ORA_SEG_EXIT, FC_FORGET, "nlookup", a, b),
				       "whole run: FORGET nodeid=%s nlookup linux=%s lib=%s", node,
				       a, b);
			}
		}
	}
	free(dp);
	free(L);
	free(B);
}

void ora_compare_results(const struct ora_op *ops, unsigned nops,
			 const struct ora_result *a, const struct ora_result *b,
			 struct ora_allow *allow, unsigned nallow, const char *daemon,
			 struct ora_diff_report *rep)
{
	unsigned i;
	char op[256], ra[700], rb[700];

	for (i = 0; i < nops; i++) {
		if (ora_result_equal(&a[i], &b[i]))
			continue;
		ora_op_format(&ops[i], op, sizeof(op));
		ora_result_format(&a[i], ra, sizeof(ra));
		ora_result_format(&b[i], rb, sizeof(rb));
		report(rep, find_allow(allow, nallow, daemon, ORA_ALLOW_RESULT, i + 1, 0, NULL,
				       NULL, NULL),
		       "step %u (%s): result linux=%s lib=%s", i + 1, op, ra, rb);
	}
}
