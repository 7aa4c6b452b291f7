/*
 * fuzz_stack: the whole stack over the memory transport, a hostile daemon
 * against realistic kernel activity.
 *
 * The input is two streams: a program of FUSE-client calls (fusecore/ops.h:
 * lookup, create, open, read, write, readdir, rename, xattrs, locks, node
 * references, forgets...) and the daemon's answers.  The harness is the
 * daemon (the memory transport's pump): for every request it reads, it
 * takes one directive from the answer stream: a plausible reply built from
 * the request (with fields drawn from the stream: nodeids, generations,
 * file types, sizes, FOPEN flags, directory entries, short or long counts),
 * an error, raw bytes, an interrupt, a notification, silence, or death.
 * When the answer stream runs dry the daemon keeps answering plausibly
 * (all choices zero: a well-behaved daemon), so every program runs to its
 * end; then every open file is released, every node put and the client
 * freed (it sends its forgets), and the connection is torn down.
 *
 * Input layout:
 *   u16  program length P, then P program bytes; the rest are answers.
 *   program: u8 minor choice, u8 kind/flags choice, u32 granted flags
 *            (mixed into a default grant), then one op byte plus its
 *            operands per call (see run_op()).
 *
 * Invariants (trap on violation):
 *  - every call returns; results are 0/lengths or -errno within range;
 *    reads return at most what was asked and exactly the daemon's bytes,
 *    writes carry exactly the caller's bytes at the right offsets, a
 *    readlink result is NUL-terminated, xattr lists are NUL-terminated;
 *  - lookup accounting, per nodeid, from the daemon's recorded stream:
 *    FORGET/BATCH_FORGET never return more lookups than the daemon's
 *    accepted entry replies granted (never negative), a node's own count
 *    never exceeds what is outstanding, and after unmount with a live
 *    daemon every lookup the client kept has been forgotten;
 *  - after the teardown nothing is pending, queued or allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"
#include "fusecore/vfs.h"
#include "protocol/conn_i.h" /* read-only checks of the pending table */

#define NSLOTS 16
#define NOPEN 8
#define NVMA 4
#define NOPS 31 /* program operations (run_op) */
#define NSHADOW 8
#define SHADOW_MAX (256u * 1024u)
#define NMAP 1024
#define MAXBUF (256 * 4096 + 8192)

/* ---- Lookup accounting per nodeid ----------------------------------------------- */

struct acct {
	uint64_t nodeid;
	uint64_t granted;    /* accepted entry replies (the daemon's count) */
	uint64_t forgotten;  /* FORGET / BATCH_FORGET received */
	uint64_t kept;       /* entries the client handed out with a node */
	uint32_t type;       /* S_IFMT the daemon gave it last */
	int used;
};

/*
 * File data, per nodeid, in page-cache mode: what the application wrote
 * (and still expects) and what the daemon has acknowledged.  A node is
 * tainted when the daemon legitimately makes the data unknowable (a size
 * smaller than what was written, a STORE, another identity for the
 * nodeid); the application forgives what an error was reported for.
 */
struct harness;

struct shadow {
	struct harness *hs;
	uint64_t nodeid;
	int used;
	int tainted;        /* data checks off for good */
	int read_tainted;   /* read-your-writes checks off for good */
	int write_failed;   /* a WRITE failed since the last reported error */
	int noflush;        /* an open got FOPEN_NOFLUSH: close may not sync */
	uint64_t dsize;     /* the daemon's size of the file */
	uint64_t app_end;   /* end of the application's bytes */
	uint64_t gen;       /* the generation the daemon gave */
	uint32_t type;
	int gen_known;
	unsigned char *dval, *dhas; /* the daemon's bytes */
	unsigned char *aval, *ahas; /* the application's bytes */
};

struct vma_slot {
	struct fc_vma *vma;
	struct fc_open_ctx *of;
	uint64_t off, len;     /* file range, bytes */
	int shared, writable;
};

struct harness {
	struct fz_in prog, ans;
	const struct fc_platform *plat;
	struct fc_transport *t;
	struct fc_conn *c;
	struct fc_client *cl;
	struct fc_caller who;
	int task;
	int gone;
	int acct_full;
	unsigned init_done;
	uint32_t minor;
	uint64_t grant;
	uint64_t next_nodeid;
	uint64_t last_nodeid;
	/* This call's answers were all plausible: its data can be checked. */
	int op_plausible;
	long last_result;
	struct acct map[NMAP];
	struct fc_node *node[NSLOTS];
	struct fc_open_ctx *open[NOPEN];
	uint64_t pos[NOPEN];
	/* Page-cache mode. */
	int cache, wbmode;
	struct fc_pagecache *pc;
	struct vma_slot vma[NVMA];
	struct shadow sh[NSHADOW];
	uint8_t gen;
	/* VFS mode: the simulated kernel, a root and a user process. */
	struct fc_vfs *vfs;
	struct fc_proc *root_p, *user_p;
	int fd[NOPEN];
	uint64_t fd_ino[NOPEN];
	struct fc_vfs_map *vmap[NVMA];
	uint64_t vmap_off[NVMA], vmap_len[NVMA];
	int vmap_shared[NVMA];
	uint64_t vmap_ino[NVMA];
	int released;
	unsigned char req[MAXBUF];
	unsigned char reply[MAXBUF];
	unsigned char buf[MAXBUF];     /* the caller's buffers */
	unsigned char scratch[MAXBUF]; /* the daemon's replies being built */
};

static struct acct *acct_get(struct harness *hs, uint64_t nodeid)
{
	unsigned i, h = (unsigned)((nodeid * 0x9e3779b97f4a7c15ull) >> 54) % NMAP;

	for (i = 0; i < NMAP; i++) {
		struct acct *a = &hs->map[(h + i) % NMAP];

		if (a->used && a->nodeid == nodeid)
			return a;
		if (!a->used) {
			a->used = 1;
			a->nodeid = nodeid;
			return a;
		}
	}
	hs->acct_full = 1;
	return NULL;
}

static void acct_forget(struct harness *hs, uint64_t nodeid, uint64_t n)
{
	struct acct *a = acct_get(hs, nodeid);

	if (!a)
		return;
	a->forgotten += n;
	if (a->forgotten > a->granted)
		fprintf(stderr, "fuzz_stack: nodeid %llu forgotten %llu > granted %llu\n",
			(unsigned long long)nodeid, (unsigned long long)a->forgotten,
			(unsigned long long)a->granted);
	/* Never more lookups returned than the daemon gave. */
	FZ_CHECK(a->forgotten <= a->granted);
}

static void acct_grant(struct harness *hs, uint64_t nodeid, uint32_t mode)
{
	struct acct *a;

	if (!nodeid)
		return;
	a = acct_get(hs, nodeid);
	if (!a)
		return;
	a->granted++;
	a->type = mode & FC_S_IFMT;
}

static void acct_kept(struct harness *hs, const struct fc_node *n)
{
	struct acct *a;

	if (!n)
		return;
	a = acct_get(hs, fc_node_id(n));
	if (a)
		a->kept++;
}

/* ---- File data in page-cache mode ------------------------------------------------ */

static struct shadow *shadow_get(struct harness *hs, uint64_t nodeid, int create)
{
	struct shadow *fresh = NULL;
	unsigned i;

	if (!(hs->cache || hs->vfs) || !nodeid)
		return NULL;
	for (i = 0; i < NSHADOW; i++) {
		if (hs->sh[i].used && hs->sh[i].nodeid == nodeid)
			return &hs->sh[i];
		if (!hs->sh[i].used && !fresh)
			fresh = &hs->sh[i];
	}
	if (!create || !fresh)
		return NULL; /* not tracked: no checks for it */
	memset(fresh, 0, sizeof(*fresh));
	fresh->used = 1;
	fresh->nodeid = nodeid;
	fresh->hs = hs;
	return fresh; /* the byte arrays come with the first byte */
}

/*
 * The byte arrays: static, one set per shadow slot, taken when the first
 * byte is recorded and cleared up to the highest byte used when the input
 * ends (no allocation per input: the fuzzer runs faster).
 */
static unsigned char shadow_mem[NSHADOW][4][SHADOW_MAX];
static uint64_t shadow_hi[NSHADOW];

static void shadow_bytes(struct shadow *sh)
{
	unsigned k = (unsigned)(sh - sh->hs->sh);

	if (sh->dval)
		return;
	sh->dval = shadow_mem[k][0];
	sh->dhas = shadow_mem[k][1];
	sh->aval = shadow_mem[k][2];
	sh->ahas = shadow_mem[k][3];
}

/* Bytes at or past this were never set. */
static uint64_t shadow_limit(const struct shadow *sh)
{
	return shadow_hi[(unsigned)(sh - sh->hs->sh)];
}

/* Note that bytes up to @end may be set (for the clearing). */
static void shadow_touch(struct shadow *sh, uint64_t end)
{
	unsigned k = (unsigned)(sh - sh->hs->sh);

	if (end > shadow_hi[k])
		shadow_hi[k] = end;
}

static void shadow_free_all(struct harness *hs)
{
	unsigned i;

	for (i = 0; i < NSHADOW; i++) {
		unsigned k;

		for (k = 0; k < 4; k++)
			memset(shadow_mem[i][k], 0, shadow_hi[i]);
		shadow_hi[i] = 0;
		hs->sh[i].used = 0;
	}
}

/*
 * msync(2)'s -ENOMEM for a range that reaches past the mapping (of @maplen
 * bytes) comes after the mapped part was synced: as good as 0 for the
 * data checks, and no error the application was told of.
 */
static long msync_result(long r, uint64_t off, uint64_t len, uint64_t maplen)
{
	uint64_t end = (maplen + 4095) & ~(uint64_t)4095;

	return r == -ENOMEM && off <= end && len > end - off ? 0 : r;
}

/* Whether the daemon holds any byte of [from, to) (its shadow). */
static int daemon_has_any(const struct shadow *sh, uint64_t from, uint64_t to)
{
	uint64_t o;

	for (o = from; sh->dhas && o < to && o < SHADOW_MAX; o++)
		if (sh->dhas[o])
			return 1;
	return 0;
}

static void taint_all(struct harness *hs)
{
	unsigned i;

	for (i = 0; i < NSHADOW; i++)
		hs->sh[i].tainted = hs->sh[i].read_tainted = 1;
}

/* Clamp [*off, *off + *len) to the shadow; taint if it does not fit. */
static int shadow_range(struct shadow *sh, uint64_t off, uint64_t *len)
{
	if (off >= SHADOW_MAX || *len > SHADOW_MAX - off) {
		sh->tainted = sh->read_tainted = 1;
		return 0;
	}
	return 1;
}

/* The application wrote @len bytes at @off: it expects them from now on. */
static void app_wrote(struct shadow *sh, uint64_t off, const unsigned char *buf,
		      uint64_t len)
{
	if (!sh || !len || !shadow_range(sh, off, &len))
		return;
	shadow_bytes(sh);
	shadow_touch(sh, off + len);
	memcpy(sh->aval + off, buf, len);
	memset(sh->ahas + off, 1, len);
	if (off + len > sh->app_end)
		sh->app_end = off + len;
}

/* The application no longer knows what [off, off + len) holds. */
static void app_forgive(struct shadow *sh, uint64_t off, uint64_t len)
{
	uint64_t lim;

	if (!sh || !sh->ahas)
		return;
	lim = shadow_limit(sh);
	if (off >= lim)
		return;
	if (len > lim - off)
		len = lim - off;
	memset(sh->ahas + off, 0, len);
}

/* An error was reported for the file: whatever was pending may be lost. */
static void app_error_reported(struct shadow *sh)
{
	if (!sh)
		return;
	if (sh->ahas)
		memset(sh->ahas, 0, shadow_limit(sh));
	sh->write_failed = 0;
}

static void app_truncated(struct shadow *sh, uint64_t size)
{
	if (!sh)
		return;
	app_forgive(sh, size, SHADOW_MAX);
	if (sh->app_end > size)
		sh->app_end = size;
}

/* The daemon acknowledged @len bytes at @off (a WRITE it answered in full). */
static void daemon_stored(struct shadow *sh, uint64_t off, const unsigned char *buf,
			  uint64_t len)
{
	if (!sh || !len || !shadow_range(sh, off, &len))
		return;
	shadow_bytes(sh);
	shadow_touch(sh, off + len);
	memcpy(sh->dval + off, buf, len);
	memset(sh->dhas + off, 1, len);
	if (off + len > sh->dsize)
		sh->dsize = off + len;
}

static void daemon_truncated(struct shadow *sh, uint64_t size)
{
	if (!sh)
		return;
	if (sh->dhas && size < shadow_limit(sh))
		memset(sh->dhas + size, 0, shadow_limit(sh) - size);
	sh->dsize = size;
}

/*
 * A sync (fsync, close, msync MS_SYNC) of [from, to) returned success:
 * every byte the application wrote there before is the daemon's now.  A
 * dirty page dropped without an error being recorded and reported shows
 * up here.
 */
static FZ_NO_COVERAGE void check_synced(struct harness *hs, struct shadow *sh, uint64_t from,
			 uint64_t to, const char *what)
{
	uint64_t o;

	(void)hs;
	if (!sh || sh->tainted || !sh->ahas)
		return;
	if (to > SHADOW_MAX)
		to = SHADOW_MAX;
	if (to > sh->app_end)
		to = sh->app_end; /* nothing written past it */
	for (o = from; o < to; o++) {
		if (!sh->ahas[o])
			continue;
		if (!sh->dhas[o] || sh->dval[o] != sh->aval[o]) {
			fprintf(stderr, "fuzz_stack: %s of nodeid %llu succeeded, but the "
				"daemon %s byte %llu (application wrote 0x%02x, daemon has 0x%02x)\n",
				what, (unsigned long long)sh->nodeid,
				sh->dhas[o] ? "has another" : "never got",
				(unsigned long long)o, sh->aval[o], sh->dval[o]);
			FZ_CHECK(!"a successful sync left written data behind");
		}
	}
}

/* What a read returned must be what the application wrote there. */
static FZ_NO_COVERAGE void check_read(struct harness *hs, struct shadow *sh, uint64_t off,
		       const unsigned char *buf, uint64_t len)
{
	uint64_t i;

	if (!sh || !sh->ahas || sh->tainted || sh->read_tainted || sh->write_failed ||
	    !hs->op_plausible || !shadow_range(sh, off, &len))
		return;
	for (i = 0; i < len; i++) {
		if (sh->ahas[off + i] && buf[i] != sh->aval[off + i]) {
			fprintf(stderr, "fuzz_stack: read of nodeid %llu byte %llu gave 0x%02x, "
				"the application wrote 0x%02x\n",
				(unsigned long long)sh->nodeid,
				(unsigned long long)(off + i), buf[i], sh->aval[off + i]);
			FZ_CHECK(!"a read returned other bytes than were written");
		}
	}
}

static struct shadow *of_shadow(struct harness *hs, struct fc_open_ctx *of)
{
	struct fc_node *n = of ? fc_open_node(of) : NULL;

	if (!n || !hs->cache || (fc_node_attr(n)->mode & FC_S_IFMT) != FC_S_IFREG)
		return NULL;
	return shadow_get(hs, fc_node_id(n), 1);
}

/* ---- The daemon ------------------------------------------------------------------- */

static const uint32_t minors[8] = { 45, 45, 41, 31, 23, 16, 12, 8 };

static uint8_t ans8(struct harness *hs) { return fz_u8(&hs->ans); }
static uint16_t ans16(struct harness *hs) { return fz_u16(&hs->ans); }

static int write_msg(struct harness *hs, const struct fc_in_header *rq,
		     const unsigned char *msg, size_t len);

static int reply(struct harness *hs, const struct fc_in_header *rq, int32_t error,
		 const void *payload, size_t plen)
{
	struct fc_out_header oh;

	oh.len = (uint32_t)(sizeof(oh) + plen);
	oh.error = error;
	oh.unique = rq->unique;
	memcpy(hs->reply, &oh, sizeof(oh));
	if (plen)
		memcpy(hs->reply + sizeof(oh), payload, plen);
	return write_msg(hs, rq, hs->reply, sizeof(oh) + plen);
}

/* Entry-bearing replies grant lookups once accepted. */
static void account_reply(struct harness *hs, uint32_t opcode,
			  const unsigned char *p, size_t plen)
{
	switch (opcode) {
	case FC_LOOKUP: case FC_MKNOD: case FC_MKDIR: case FC_SYMLINK:
	case FC_LINK: case FC_CREATE: case FC_TMPFILE: {
		struct fc_entry_out eo;

		memset(&eo, 0, sizeof(eo));
		memcpy(&eo, p, plen < sizeof(eo) ? plen : sizeof(eo));
		if (plen >= sizeof(uint64_t))
			acct_grant(hs, eo.nodeid, eo.attr.mode);
		break;
	}
	case FC_READDIRPLUS: {
		/* Every record that fits counts, but '.' and '..' (libfuse). */
		size_t off = 0;

		while (plen - off >= FC_NAME_OFFSET_DIRENTPLUS) {
			struct fc_entry_out eo;
			struct fc_dirent d;
			size_t rec;
			const char *name;

			memcpy(&eo, p + off, sizeof(eo));
			memcpy(&d, p + off + sizeof(eo), FC_NAME_OFFSET);
			rec = FC_DIRENT_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + (size_t)d.namelen);
			if (rec > plen - off || d.namelen > plen)
				break;
			name = (const char *)p + off + FC_NAME_OFFSET_DIRENTPLUS;
			if (!(d.namelen == 1 && name[0] == '.') &&
			    !(d.namelen == 2 && name[0] == '.' && name[1] == '.'))
				acct_grant(hs, eo.nodeid, eo.attr.mode);
			off += rec;
		}
		break;
	}
	}
}

static int write_msg(struct harness *hs, const struct fc_in_header *rq,
		     const unsigned char *msg, size_t len)
{
	struct fc_out_header oh;
	int r;

	r = fc_mem_daemon_write(hs->t, msg, len);
	if (fz_tracing())
		fprintf(stderr, "  daemon: %s unique %llu: %zu bytes -> %d\n",
			rq ? "reply" : "notify", rq ? (unsigned long long)rq->unique : 0ull,
			len, r);
	/* 0 or -errno (notification handlers give their own errors). */
	FZ_CHECK(r <= 0 && r >= -4095);
	if (r != 0 || len < sizeof(oh))
		return r;
	memcpy(&oh, msg, sizeof(oh));
	if (!oh.unique && oh.error == FC_NOTIFY_STORE)
		taint_all(hs); /* the daemon rewrote cached data */
	if (oh.error || !oh.unique || (oh.unique & 1) || !rq ||
	    oh.unique != rq->unique)
		return r;
	account_reply(hs, rq->opcode, msg + sizeof(oh), len - sizeof(oh));
	return r;
}

static uint32_t natural_type(struct harness *hs, const struct fc_in_header *rq,
			     const unsigned char *body, size_t blen)
{
	switch (rq->opcode) {
	case FC_MKDIR:
		return FC_S_IFDIR;
	case FC_SYMLINK:
		return FC_S_IFLNK;
	case FC_CREATE: case FC_TMPFILE:
		/* A regular file, tracked (shadowed) from its creation on. */
		return FC_S_IFREG;
	case FC_MKNOD: {
		struct fc_mknod_in mi;

		if (blen < 4)
			return FC_S_IFREG;
		memcpy(&mi, body, blen < sizeof(mi) ? blen : sizeof(mi));
		return (mi.mode & FC_S_IFMT) ? (mi.mode & FC_S_IFMT) : FC_S_IFREG;
	}
	case FC_LOOKUP:
		/* Names that start with 'd' are directories. */
		return blen && body[0] == 'd' ? FC_S_IFDIR : FC_S_IFREG;
	default: {
		struct acct *a = acct_get(hs, rq->nodeid);

		if (rq->nodeid == FC_ROOT_ID)
			return FC_S_IFDIR;
		return a && a->type ? a->type : FC_S_IFREG;
	}
	}
}

static void fill_attr(struct harness *hs, struct fc_attr *at, uint64_t ino,
		      uint32_t type, uint8_t v)
{
	static const uint32_t types[4] = { 0, FC_S_IFDIR, FC_S_IFREG, 0 };

	memset(at, 0, sizeof(*at));
	at->ino = ino;
	at->mode = (((v >> 4) & 3) == 0 ? type : types[(v >> 4) & 3]) | 0644;
	if (((v >> 4) & 3) == 3)
		at->mode = ans8(hs) & 7 ? 0170644 : 0; /* not a file type */
	at->nlink = 1;
	at->blksize = 4096;
	if (v & 0x40) {
		at->size = (uint64_t)INT64_MAX + ans8(hs); /* not a valid size */
	} else if (hs->cache || hs->vfs) {
		/* The daemon's own size of the file, unless it lies. */
		struct shadow *sh = shadow_get(hs, ino, 0);

		at->size = sh ? sh->dsize : 0;
		if (ans8(hs) & 1)
			at->size = ans16(hs);
		/*
		 * A size below what the application wrote drops cached pages
		 * past it (Linux's truncate_pagecache in
		 * fuse_change_attributes), dirty or not -- also the daemon's
		 * true size while stores through a mapping are still only in
		 * the cache; in writeback-cache mode the kernel side owns the
		 * size and ignores it.
		 */
		if (sh && !hs->wbmode && at->size < sh->app_end)
			sh->tainted = 1;
	} else {
		at->size = ans16(hs);
	}
	at->mtimensec = v & 0x80 ? 0xffffffffu : 0;
}

static void entry_out(struct harness *hs, const struct fc_in_header *rq,
		      const unsigned char *body, size_t blen, struct fc_entry_out *eo)
{
	uint8_t v = ans8(hs);
	uint64_t nodeid;

	switch (v & 7) {
	case 0: nodeid = hs->next_nodeid++; break;
	case 1: nodeid = hs->last_nodeid ? hs->last_nodeid : hs->next_nodeid++; break;
	case 2: nodeid = 0; break;
	case 3: nodeid = FC_ROOT_ID; break;
	default: nodeid = 2 + (v & 3); break;
	}
	hs->last_nodeid = nodeid;
	memset(eo, 0, sizeof(*eo));
	eo->nodeid = nodeid;
	eo->generation = (v & 8) ? ans8(hs) : 0;

	eo->entry_valid = (v & 0x80) ? 0 : 1;
	eo->attr_valid = (v & 0x80) ? 0 : 1;
	if ((hs->cache || hs->vfs) && nodeid > FC_ROOT_ID &&
	    natural_type(hs, rq, body, blen) == FC_S_IFREG)
		shadow_get(hs, nodeid, 1);
	fill_attr(hs, &eo->attr, nodeid, natural_type(hs, rq, body, blen), v & 0x70);
	{
		/* The same nodeid as another file: its data is another story. */
		struct shadow *sh = shadow_get(hs, nodeid, 0);
		uint32_t type = eo->attr.mode & FC_S_IFMT;

		if (sh && sh->gen_known && (sh->gen != eo->generation || sh->type != type))
			sh->tainted = sh->read_tainted = 1;
		if (sh) {
			sh->gen_known = 1;
			sh->gen = eo->generation;
			sh->type = type;
		}
	}
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) + 1);
}

static const char *const dnames[] = {
	"f0", ".", "..", "dir", "a", "b/c", "", "file-with-a-longer-name",
};

/* A READDIR(PLUS) answer of up to @size bytes. */
static size_t dir_reply(struct harness *hs, const struct fc_in_header *rq,
			uint64_t start, uint32_t size, int plus, unsigned char *out)
{
	uint8_t v = ans8(hs);
	unsigned n = v ? (v & 7) : 3, i;
	size_t len = 0;

	if (start >= 8)
		return 0; /* end of directory */
	for (i = 0; i < n; i++) {
		uint8_t e = v ? ans8(hs) : (uint8_t)(i == 0 ? 1 : i == 1 ? 2 : 0);
		const char *nm = dnames[e & 7];
		size_t nlen = strlen(nm);
		size_t head = plus ? FC_NAME_OFFSET_DIRENTPLUS : FC_NAME_OFFSET;
		size_t rec = FC_DIRENT_ALIGN(head + nlen);
		struct fc_dirent d;

		if (len + rec > size)
			break;
		memset(out + len, 0, rec);
		if (plus) {
			struct fc_entry_out eo;

			entry_out(hs, rq, (const unsigned char *)nm, nlen, &eo);
			if (e & 8)
				eo.nodeid = 0;
			memcpy(out + len, &eo, sizeof(eo));
		}
		memset(&d, 0, sizeof(d));
		d.ino = 100 + i;
		d.off = start + i + 1;
		d.namelen = (uint32_t)nlen;
		d.type = (e & 0x10) ? 4 : 8;
		memcpy(out + len + (plus ? sizeof(struct fc_entry_out) : 0), &d,
		       FC_NAME_OFFSET);
		memcpy(out + len + head, nm, nlen);
		len += rec;
	}
	return len;
}

/* A reply that looks like what a daemon would say to @rq. */
static void plausible(struct harness *hs, const struct fc_in_header *rq,
		      const unsigned char *body, size_t blen)
{
	unsigned char *p = hs->scratch;
	size_t plen = 0;

	switch (rq->opcode) {
	case FC_LOOKUP: case FC_MKNOD: case FC_MKDIR: case FC_SYMLINK:
	case FC_LINK: {
		struct fc_entry_out eo;

		entry_out(hs, rq, body, blen, &eo);
		plen = hs->minor < 9 ? FC_COMPAT_ENTRY_OUT_SIZE : sizeof(eo);
		memcpy(p, &eo, plen);
		break;
	}
	case FC_CREATE: {
		struct fc_entry_out eo;
		struct fc_open_out oo;

		struct fc_create_in ci;
		struct shadow *sh;

		memset(&ci, 0, sizeof(ci));
		memcpy(&ci, body, blen < sizeof(ci) ? blen : sizeof(ci));
		entry_out(hs, rq, body, blen, &eo);
		if (!((ans8(hs) >> 4) & 3))
			eo.attr.mode = FC_S_IFREG | 0644;
		sh = shadow_get(hs, eo.nodeid, 0);
		if (sh && (ci.flags & FC_O_TRUNC) && !(ci.flags & FC_O_EXCL)) {
			/* An existing file is truncated: asked for, whatever the answer. */
			if (eo.attr.size == sh->dsize)
				eo.attr.size = 0;
			daemon_truncated(sh, 0);
			app_truncated(sh, 0);
		}
		memset(&oo, 0, sizeof(oo));
		oo.fh = ans8(hs);
		oo.open_flags = ans8(hs);
		if (sh && (oo.open_flags & FC_FOPEN_NOFLUSH))
			sh->noflush = 1;
		memcpy(p, &eo, sizeof(eo));
		memcpy(p + sizeof(eo), &oo, sizeof(oo));
		plen = sizeof(eo) + sizeof(oo);
		break;
	}
	case FC_GETATTR: {
		struct fc_attr_out ao;
		uint8_t v = ans8(hs);

		memset(&ao, 0, sizeof(ao));
		ao.attr_valid = v & 1;
		fill_attr(hs, &ao.attr, rq->nodeid, natural_type(hs, rq, body, blen), v & 0xf0);
		plen = hs->minor < 9 ? FC_COMPAT_ATTR_OUT_SIZE : sizeof(ao);
		memcpy(p, &ao, plen);
		break;
	}
	case FC_OPEN: case FC_OPENDIR: {
		struct fc_open_out oo;
		struct fc_open_in oi;
		struct shadow *sh = shadow_get(hs, rq->nodeid, 0);

		memset(&oi, 0, sizeof(oi));
		memcpy(&oi, body, blen < sizeof(oi) ? blen : sizeof(oi));
		if (sh && (oi.flags & FC_O_TRUNC)) {
			/* Atomic O_TRUNC: asked for, whatever the answer. */
			daemon_truncated(sh, 0);
			app_truncated(sh, 0);
		}
		memset(&oo, 0, sizeof(oo));
		oo.fh = ans8(hs);
		oo.open_flags = ans8(hs);
		if (sh && (oo.open_flags & FC_FOPEN_NOFLUSH))
			sh->noflush = 1;
		memcpy(p, &oo, sizeof(oo));
		plen = sizeof(oo);
		break;
	}
	case FC_READ: {
		struct fc_read_in ri;
		struct shadow *sh = shadow_get(hs, rq->nodeid, 0);
		uint16_t want;
		size_t i;

		memset(&ri, 0, sizeof(ri));
		memcpy(&ri, body, blen < sizeof(ri) ? blen : sizeof(ri));
		want = ans16(hs);
		if (sh) {
			/* The file as the daemon has it, up to its size... */
			plen = ri.offset >= sh->dsize ? 0 :
			       sh->dsize - ri.offset < ri.size ? sh->dsize - ri.offset : ri.size;
			if (want & 0x8000) {
				/* ...or a length of its choosing (an early end of file). */
				plen = (want & 0x7fff) < ri.size ? (want & 0x7fff) : ri.size;
				if (ri.offset + plen < sh->app_end) {
					sh->read_tainted = 1;
					/*
					 * In writeback-cache mode the cut is a hole the
					 * cache fills with zeros (fuse_short_read); where
					 * the daemon already had written bytes, a later
					 * writeback of that page puts the zeros back, as
					 * in Linux.
					 */
					if (!hs->wbmode ||
					    daemon_has_any(sh, ri.offset + plen,
							   ri.offset + ri.size))
						sh->tainted = 1;
				}
			}
		} else {
			plen = want && want < ri.size ? want : ri.size;
		}
		if (plen > MAXBUF - 64)
			plen = MAXBUF - 64;
		for (i = 0; i < plen; i++) {
			uint64_t o = ri.offset + i;

			p[i] = sh && sh->dhas && o < SHADOW_MAX && sh->dhas[o] ?
			       sh->dval[o] : pattern(o);
		}
		break;
	}
	case FC_WRITE: {
		struct fc_write_in wi;
		struct fc_write_out wo;
		size_t wsz = hs->minor < 9 ? FC_COMPAT_WRITE_IN_SIZE : sizeof(wi);
		struct shadow *sh = shadow_get(hs, rq->nodeid, 0);
		uint8_t v = ans8(hs);
		size_t i;

		memset(&wi, 0, sizeof(wi));
		memcpy(&wi, body, blen < wsz ? blen : wsz);
		/* The data is the caller's, at the offset the request names. */
		FZ_CHECK(blen == wsz + wi.size);
		if (!hs->cache && !hs->vfs)
			for (i = 0; i < wi.size; i++)
				FZ_CHECK(body[wsz + i] == pattern(wi.offset + i));
		memset(&wo, 0, sizeof(wo));
		switch (v & 3) {
		case 0: wo.size = wi.size; break;
		case 1: wo.size = wi.size ? wi.size - 1 : 0; break;
		case 2: wo.size = wi.size + 1; break;
		case 3: wo.size = 0; break;
		}
		memcpy(p, &wo, sizeof(wo));
		plen = sizeof(wo);
		if (reply(hs, rq, 0, p, plen) == 0 && sh) {
			/* What the daemon said it wrote, it has. */
			if (wo.size <= wi.size)
				daemon_stored(sh, wi.offset, body + wsz, wo.size);
			if (wo.size != wi.size)
				sh->write_failed = 1;
		}
		return;
	}
	case FC_SETATTR: {
		struct fc_setattr_in si;
		struct fc_attr_out ao;
		struct shadow *sh = shadow_get(hs, rq->nodeid, 0);
		uint8_t v = ans8(hs);

		memset(&si, 0, sizeof(si));
		memcpy(&si, body, blen < sizeof(si) ? blen : sizeof(si));
		/* The daemon truncates first, then says what the file is. */
		if ((si.valid & FC_FATTR_SIZE) && sh)
			daemon_truncated(sh, si.size);
		memset(&ao, 0, sizeof(ao));
		ao.attr_valid = v & 1;
		fill_attr(hs, &ao.attr, rq->nodeid, natural_type(hs, rq, body, blen), v & 0xf0);
		/*
		 * A truncation takes the size the daemon answers, writeback
		 * cache or not (fuse_do_setattr: truncate_pagecache to it):
		 * a smaller one drops what was written past it.
		 */
		if ((si.valid & FC_FATTR_SIZE) && sh && ao.attr.size < si.size &&
		    ao.attr.size < sh->app_end)
			sh->tainted = 1;
		plen = hs->minor < 9 ? FC_COMPAT_ATTR_OUT_SIZE : sizeof(ao);
		memcpy(p, &ao, plen);
		break;
	}
	case FC_READDIR: case FC_READDIRPLUS: {
		struct fc_read_in ri;

		memset(&ri, 0, sizeof(ri));
		memcpy(&ri, body, blen < sizeof(ri) ? blen : sizeof(ri));
		plen = dir_reply(hs, rq, ri.offset, ri.size < MAXBUF - 64 ? ri.size : MAXBUF - 64,
				 rq->opcode == FC_READDIRPLUS, p);
		break;
	}
	case FC_READLINK: {
		static const char *const targets[] = { "target", "", "/abs/path", "x" };
		uint8_t v = ans8(hs);

		if ((v & 7) == 7) {
			plen = 4096; /* a page: too long */
			memset(p, 'l', plen);
		} else {
			plen = strlen(targets[v & 3]);
			memcpy(p, targets[v & 3], plen);
		}
		break;
	}
	case FC_STATFS: {
		struct fc_statfs_out so;

		fz_take(&hs->ans, &so, sizeof(so));
		plen = hs->minor < 4 ? FC_COMPAT_STATFS_SIZE : sizeof(so);
		memcpy(p, &so, plen);
		break;
	}
	case FC_GETXATTR: case FC_LISTXATTR: {
		struct fc_getxattr_in gi;
		uint16_t v = ans16(hs);

		memset(&gi, 0, sizeof(gi));
		memcpy(&gi, body, blen < sizeof(gi) ? blen : sizeof(gi));
		if (gi.size == 0) {
			struct fc_getxattr_out go;

			memset(&go, 0, sizeof(go));
			go.size = v;
			memcpy(p, &go, sizeof(go));
			plen = sizeof(go);
		} else {
			static const char list[] = "user.a\0user.bb\0trusted.c";
			size_t want = (v & 0x8000) ? (v & 0x7fff) : sizeof(list) - (v & 1);

			plen = want < gi.size ? want : gi.size;
			if (plen > MAXBUF - 64)
				plen = MAXBUF - 64;
			memset(p, 'v', plen);
			memcpy(p, list, plen < sizeof(list) ? plen : sizeof(list));
		}
		break;
	}
	case FC_GETLK: {
		struct fc_lk_out lo;

		fz_take(&hs->ans, &lo, sizeof(lo));
		if (!(lo.lk.type & 0x80))
			lo.lk.type %= 3;
		memcpy(p, &lo, sizeof(lo));
		plen = sizeof(lo);
		break;
	}
	case FC_LSEEK: case FC_BMAP: case FC_POLL:
	case FC_COPY_FILE_RANGE: {
		uint64_t v = fz_u64(&hs->ans);

		memcpy(p, &v, 8);
		plen = 8;
		break;
	}
	case FC_IOCTL: {
		struct fc_ioctl_out io;
		uint16_t n = ans16(hs);

		fz_take(&hs->ans, &io, sizeof(io));
		if (!(n & 0x8000))
			io.flags = io.in_iovs = io.out_iovs = 0;
		memcpy(p, &io, sizeof(io));
		plen = sizeof(io) + (n & 0xff);
		memset(p + sizeof(io), 'i', n & 0xff);
		break;
	}
	case FC_STATX: {
		struct fc_statx_out so;
		struct shadow *sh = shadow_get(hs, rq->nodeid, 0);

		fz_take(&hs->ans, &so, sizeof(so));
		if (sh && !hs->wbmode && so.stat.size < sh->app_end &&
		    (so.stat.mask & 0x200u))
			sh->tainted = 1; /* a smaller size (see fill_attr) */
		memcpy(p, &so, sizeof(so));
		plen = sizeof(so);
		break;
	}
	default:
		plen = 0;
		break;
	}
	reply(hs, rq, 0, p, plen);
}

/* The daemon failed a request: a WRITE's data is not on it. */
static void daemon_failed(struct harness *hs, const struct fc_in_header *rq)
{
	struct shadow *sh = shadow_get(hs, rq->nodeid, 0);

	if (sh && rq->opcode == FC_WRITE)
		sh->write_failed = 1;
}

/*
 * Raw bytes for an answer: what the daemon did with the data, or which
 * size it gave, is unknowable from here.
 */
static void daemon_raw(struct harness *hs, const struct fc_in_header *rq)
{
	switch (rq->opcode) {
	case FC_READ: case FC_WRITE: case FC_SETATTR: case FC_GETATTR:
	case FC_STATX: case FC_LOOKUP: case FC_CREATE: case FC_MKNOD:
	case FC_LINK: case FC_SYMLINK: case FC_MKDIR: case FC_READDIRPLUS:
	case FC_FALLOCATE: case FC_COPY_FILE_RANGE: case FC_TMPFILE:
		taint_all(hs);
		break;
	}
}

static const int errnos[16] = {
	ENOENT, EIO, ENOSYS, EACCES, EINTR, EAGAIN, ENOTDIR, EEXIST,
	ENOSPC, ERANGE, EOPNOTSUPP, EISDIR, ENOTEMPTY, EPERM, E2BIG, EXDEV,
};

static void disconnect(struct harness *hs)
{
	if (hs->gone)
		return;
	hs->gone = 1;
	fc_mem_daemon_disconnect(hs->t);
}

/* Answer one request as the next directive says. */
static void answer(struct harness *hs, const struct fc_in_header *rq,
		   const unsigned char *body, size_t blen)
{
	for (;;) {
		uint8_t d = ans8(hs);

		if (hs->gone)
			return;
		switch (d & 7) {
		case 0: case 1: case 2: case 3:
			plausible(hs, rq, body, blen);
			return;
		case 4: {
			uint8_t e = ans8(hs);
			int err = (e & 0x80) ? (int)(e & 0x7f) * 5 : errnos[e & 15];

			hs->op_plausible = 0;
			reply(hs, rq, -err, NULL, 0);
			daemon_failed(hs, rq);
			return;
		}
		case 5: {
			uint8_t fix = ans8(hs);
			size_t len = ans16(hs);

			hs->op_plausible = 0;
			daemon_raw(hs, rq);
			if (len > MAXBUF)
				len = MAXBUF;
			fz_take(&hs->ans, hs->reply, len);
			if (len >= sizeof(struct fc_out_header)) {
				struct fc_out_header oh;

				memcpy(&oh, hs->reply, sizeof(oh));
				if (fix & 1)
					oh.unique = rq->unique;
				if (fix & 2)
					oh.len = (uint32_t)len;
				if (fix & 4)
					oh.error = 0;
				memcpy(hs->reply, &oh, sizeof(oh));
			}
			write_msg(hs, rq, hs->reply, len);
			return;
		}
		case 6: {
			uint8_t a = ans8(hs);

			hs->op_plausible = 0;
			switch (a & 3) {
			case 0:
				fc_conn_interrupt(hs->c, &hs->task, a & 4);
				break;
			case 1: {
				/* A notification: code, then bytes. */
				uint8_t code = ans8(hs);
				size_t len = ans8(hs);

				fz_take(&hs->ans, hs->reply + 16, len);
				{
					struct fc_out_header oh = {
						.len = (uint32_t)(16 + len),
						.error = code % 10, .unique = 0 };

					memcpy(hs->reply, &oh, sizeof(oh));
				}
				write_msg(hs, NULL, hs->reply, 16 + len);
				break;
			}
			case 2: {
				struct fc_out_header oh = { .len = 16, .error = FC_NOTIFY_RESEND };

				write_msg(hs, NULL, (const unsigned char *)&oh, sizeof(oh));
				return; /* the request comes again, with a new unique */
			}
			case 3:
				daemon_failed(hs, rq);
				return; /* silence: this request gets no answer */
			}
			continue;
		}
		case 7:
			hs->op_plausible = 0;
			disconnect(hs);
			return;
		}
	}
}

/* Account for a request the daemon read, and answer it. */
static void handle(struct harness *hs, const unsigned char *msg, size_t len)
{
	struct fc_in_header rq;
	const unsigned char *body = msg + sizeof(rq);
	size_t blen;

	FZ_CHECK(len >= sizeof(rq));
	memcpy(&rq, msg, sizeof(rq));
	FZ_CHECK(rq.len == len);
	blen = len - sizeof(rq);
	if (fz_tracing())
		fprintf(stderr, "  request opcode %u unique %llu nodeid %llu, %zu bytes\n",
			rq.opcode, (unsigned long long)rq.unique,
			(unsigned long long)rq.nodeid, blen);
	switch (rq.opcode) {
	case FC_FORGET: {
		struct fc_forget_in fi;

		FZ_CHECK(blen == sizeof(fi));
		memcpy(&fi, body, sizeof(fi));
		FZ_CHECK(fi.nlookup > 0);
		acct_forget(hs, rq.nodeid, fi.nlookup);
		return;
	}
	case FC_BATCH_FORGET: {
		struct fc_batch_forget_in bi;
		uint32_t i;

		FZ_CHECK(blen >= sizeof(bi));
		memcpy(&bi, body, sizeof(bi));
		FZ_CHECK(bi.count >= 1);
		FZ_CHECK(blen == sizeof(bi) + (size_t)bi.count * sizeof(struct fc_forget_one));
		for (i = 0; i < bi.count; i++) {
			struct fc_forget_one f;

			memcpy(&f, body + sizeof(bi) + i * sizeof(f), sizeof(f));
			FZ_CHECK(f.nlookup > 0);
			acct_forget(hs, f.nodeid, f.nlookup);
		}
		return;
	}
	case FC_INTERRUPT:
	case FC_NOTIFY_REPLY:
		return;
	case FC_INIT: {
		struct fc_init_out o;

		fc_mock_init_out(&o, hs->grant);
		o.minor = hs->minor;
		o.max_pages = 64;
		o.max_write = 65536;
		o.max_background = 4;
		reply(hs, &rq, 0, &o, sizeof(o));
		return;
	}
	default:
		answer(hs, &rq, body, blen);
	}
}

static int pump(void *ctx)
{
	struct harness *hs = ctx;
	int handled = 0;
	long n;

	while (!hs->gone &&
	       (n = fc_mem_daemon_read(hs->t, hs->req, sizeof(hs->req), 0)) > 0) {
		handle(hs, hs->req, (size_t)n);
		handled++;
	}
	return handled;
}

/* Notifications: those that act on the cache go to it (as the VFS does). */
static int on_notify(void *ctx, uint32_t code, const void *payload, size_t len)
{
	struct harness *hs = ctx;

	if (!hs->cache || !hs->cl)
		return -ENOSYS;
	return fc_cache_notify(hs->cl, code, payload, len);
}

/* ---- The program ------------------------------------------------------------------- */

static uint8_t pr8(struct harness *hs) { return fz_u8(&hs->prog); }
static uint16_t pr16(struct harness *hs) { return fz_u16(&hs->prog); }

static const char *const pnames[] = {
	"a", "b", "dir", "f0", "dsub", ".", "..", "x/y",
};

static const char *pick_name(struct harness *hs, size_t *len)
{
	uint8_t v = pr8(hs);

	if ((v & 15) == 15) {
		/* Longer than any name_max. */
		static char longname[4200];

		memset(longname, 'n', sizeof(longname) - 1);
		*len = 1024 + (size_t)(v >> 4) * 200;
		return longname;
	}
	*len = strlen(pnames[v & 7]);
	return pnames[v & 7];
}

static struct fc_node *pick_node(struct harness *hs)
{
	uint8_t v = pr8(hs) % NSLOTS;

	return hs->node[v] ? hs->node[v] : fc_client_root(hs->cl);
}

static struct fc_open_ctx *pick_open(struct harness *hs, unsigned *slot)
{
	uint8_t v = pr8(hs) % NOPEN;

	*slot = v;
	return hs->open[v];
}

/* Keep a new node reference in a free slot, or drop it. */
static void keep_node(struct harness *hs, struct fc_node *n)
{
	unsigned i;

	if (!n)
		return;
	acct_kept(hs, n);
	for (i = 1; i < NSLOTS; i++) {
		if (!hs->node[i]) {
			hs->node[i] = n;
			return;
		}
	}
	fc_node_put(hs->cl, n);
}

static void do_close(struct harness *hs, struct fc_open_ctx *of);

static void keep_open(struct harness *hs, struct fc_open_ctx *of)
{
	unsigned i;

	for (i = 0; i < NOPEN; i++) {
		if (!hs->open[i]) {
			hs->open[i] = of;
			return;
		}
	}
	do_close(hs, of);
}

static long *last_result;

static void check_err(long r)
{
	if (last_result)
		*last_result = r;
	/* A result is a count, or -errno: never a stray negative. */
	FZ_CHECK(r >= 0 || r >= -4095);
}

static void check_entry(struct harness *hs, int r, const struct fc_entry *e)
{
	check_err(r);
	if (r == 0) {
		FZ_CHECK(e->node != NULL);
		FZ_CHECK(fc_node_id(e->node) != 0);
	} else {
		FZ_CHECK(e->node == NULL);
	}
	(void)hs;
}

struct rd_ctx {
	struct harness *hs;
	unsigned stop_after, seen;
};

static int on_dirent(void *ctx, const struct fc_dir_entry *d)
{
	struct rd_ctx *rc = ctx;
	unsigned i;

	FZ_CHECK(d->namelen >= 1);
	for (i = 0; i < d->namelen; i++)
		FZ_CHECK(d->name[i] != '/');
	if (d->entry.node)
		keep_node(rc->hs, d->entry.node);
	return ++rc->seen >= rc->stop_after;
}

static void op_xattr(struct harness *hs, uint8_t sub)
{
	static const char *const xnames[] = { "user.a", "", "trusted.x", "security.capability" };
	struct fc_node *n = pick_node(hs);
	const char *nm = xnames[pr8(hs) & 3];
	uint32_t size = pr16(hs) & 0x1fff;
	long r;

	switch (sub & 3) {
	case 0:
		memset(hs->buf, 'x', size);
		r = fc_setxattr(hs->cl, &hs->who, n, nm, hs->buf, size, pr8(hs) & 3);
		check_err(r);
		break;
	case 1:
		r = fc_getxattr(hs->cl, &hs->who, n, nm, size ? hs->buf : NULL, size);
		check_err(r);
		if (r > 0 && size)
			FZ_CHECK((uint32_t)r <= size);
		break;
	case 2:
		r = fc_listxattr(hs->cl, &hs->who, n, size ? (char *)hs->buf : NULL, size);
		check_err(r);
		if (r > 0 && size) {
			FZ_CHECK((uint32_t)r <= size);
			FZ_CHECK(hs->buf[r - 1] == 0);
		}
		break;
	case 3:
		check_err(fc_removexattr(hs->cl, &hs->who, n, nm));
		break;
	}
}

static void op_lock(struct harness *hs, uint8_t sub)
{
	unsigned slot;
	struct fc_open_ctx *of = pick_open(hs, &slot);
	struct fc_lock lk;
	int r;

	if (!of)
		return;
	memset(&lk, 0, sizeof(lk));
	lk.type = pr8(hs) % 4;
	lk.start = pr16(hs);
	lk.end = (pr8(hs) & 1) ? FC_OFFSET_MAX : lk.start + pr16(hs);
	switch (sub % 3) {
	case 0:
		r = fc_getlk(hs->cl, &hs->who, of, 0x77, &lk);
		check_err(r);
		if (r == 0) {
			FZ_CHECK(lk.type == FC_F_RDLCK || lk.type == FC_F_WRLCK ||
				 lk.type == FC_F_UNLCK);
			if (lk.type != FC_F_UNLCK)
				FZ_CHECK(lk.start <= lk.end && lk.end <= FC_OFFSET_MAX);
		}
		break;
	case 1:
		check_err(fc_setlk(hs->cl, &hs->who, of, 0x77, &lk, sub & 8));
		break;
	case 2:
		check_err(fc_flock(hs->cl, &hs->who, of, (int)(pr8(hs) & 15)));
		break;
	}
}

static void op_fileio(struct harness *hs, uint8_t sub)
{
	unsigned slot, slot2;
	struct fc_open_ctx *of = pick_open(hs, &slot);
	struct fc_open_ctx *of2 = pick_open(hs, &slot2);
	uint64_t off = pr16(hs);
	long r;

	if (!of)
		return;
	switch (sub % 5) {
	case 0:
		check_err((long)fc_lseek(hs->cl, &hs->who, of, (int64_t)off, 3 + (pr8(hs) & 1)));
		break;
	case 1: {
		uint32_t mode = pr8(hs) & 3;
		uint64_t len = pr16(hs);

		check_err(fc_fallocate(hs->cl, &hs->who, of, mode, off, len));
		/* Allocated, punched or zeroed: the application forgets the range. */
		app_forgive(of_shadow(hs, of), off, len);
		break;
	}
	case 2: {
		uint64_t off2 = pr16(hs);
		uint64_t len = pr16(hs);

		if (!of2)
			return;
		r = fc_copy_file_range(hs->cl, &hs->who, of, off, of2, off2, len, 0);
		check_err(r);
		app_forgive(of_shadow(hs, of2), off2, len);
		break;
	}
	case 3: {
		uint32_t out_len = 0;
		uint32_t out_size = pr8(hs);
		uint32_t cmd = pr16(hs);
		uint32_t in_size = pr8(hs);

		/* The daemon's result value passes through as it is (fuse_do_ioctl). */
		r = fc_ioctl(hs->cl, &hs->who, of, cmd, 0, hs->buf, in_size,
			     hs->buf + 4096, out_size, &out_len);
		FZ_CHECK(out_len <= out_size);
		break;
	}
	case 4:
		check_err(fc_poll(hs->cl, &hs->who, of, pr8(hs), 0x1f));
		break;
	}
}

/* ---- Closing and syncing, as a VFS does around the page cache ----------------------- */

static void unmap_of(struct harness *hs, struct fc_open_ctx *of)
{
	unsigned i;

	for (i = 0; i < NVMA; i++) {
		if (hs->vma[i].vma && (!of || hs->vma[i].of == of)) {
			fc_vma_unmap(hs->vma[i].vma);
			memset(&hs->vma[i], 0, sizeof(hs->vma[i]));
		}
	}
}

/* close(2) of a descriptor: the flush, and what it says about the data. */
static int do_flush(struct harness *hs, struct fc_open_ctx *of)
{
	struct shadow *sh = of_shadow(hs, of);
	int err = 0;

	if (hs->cache)
		err = fc_cache_hook_flush(hs->cl, &hs->who, of);
	if (!err)
		err = fc_flush(hs->cl, &hs->who, of);
	check_err(err);
	/*
	 * fuse_flush: with FOPEN_NOFLUSH and no writeback cache a close
	 * writes nothing back (dirty mapped pages wait for munmap).
	 */
	if (err == 0 && !(sh && sh->noflush && !hs->wbmode))
		check_synced(hs, sh, 0, SHADOW_MAX, "close");
	else if (err)
		app_error_reported(sh);
	return err;
}

static void do_fsync(struct harness *hs, struct fc_open_ctx *of, int datasync)
{
	struct shadow *sh = of_shadow(hs, of);
	int err = 0;

	if (hs->cache)
		err = fc_cache_hook_fsync(hs->cl, &hs->who, of, datasync);
	if (!err)
		err = fc_fsync(hs->cl, &hs->who, of, datasync);
	check_err(err);
	if (err == 0)
		check_synced(hs, sh, 0, SHADOW_MAX, "fsync");
	else
		app_error_reported(sh);
}

/* The last close: mappings go first (they keep the file in use). */
static void do_close(struct harness *hs, struct fc_open_ctx *of)
{
	unmap_of(hs, of);
	do_flush(hs, of);
	if (hs->cache)
		fc_cache_hook_release(hs->cl, of);
	fc_release(hs->cl, of);
}

/* Memory mappings and writeback (page-cache mode). */
static void op_vm(struct harness *hs, uint8_t sub)
{
	struct vma_slot *vs;
	uint16_t off, len;
	uint32_t i;
	long r;

	if (!hs->cache)
		return;
	switch (sub % 7) {
	case 0: { /* mmap */
		unsigned slot;
		struct fc_open_ctx *of = pick_open(hs, &slot);
		uint8_t pf = pr8(hs);
		uint64_t foff = (uint64_t)(pr8(hs) % 16) * 4096;
		uint64_t flen = (uint64_t)(pr8(hs) % 16 + 1) * 4096;
		struct fc_vma *vma = NULL;
		unsigned prot = ((pf & 1) ? FC_PROT_READ : 0) | ((pf & 2) ? FC_PROT_WRITE : 0);
		unsigned flags = (pf & 4) ? FC_MAP_PRIVATE : FC_MAP_SHARED;

		if (!of)
			return;
		for (i = 0; i < NVMA && hs->vma[i].vma; i++)
			;
		if (i == NVMA) {
			fc_vma_unmap(hs->vma[0].vma);
			i = 0;
		}
		r = fc_cache_mmap(hs->cl, &hs->who, of, foff, flen, prot, flags, &vma);
		check_err(r);
		memset(&hs->vma[i], 0, sizeof(hs->vma[i]));
		if (r == 0) {
			FZ_CHECK(vma != NULL);
			hs->vma[i].vma = vma;
			hs->vma[i].of = of;
			hs->vma[i].off = foff;
			hs->vma[i].len = flen;
			hs->vma[i].shared = !(pf & 4);
			hs->vma[i].writable = !!(pf & 2);
		}
		return;
	}
	case 5: { /* the flusher writes a node (or all) back */
		struct fc_node *n = pick_node(hs);
		uint8_t v = pr8(hs);

		check_err(fc_cache_writeback(hs->cl, (v & 2) ? NULL : n, v & 1));
		return;
	}
	case 6: /* memory pressure writes everything back */
		check_err(fc_pagecache_sim_writeback(hs->pc, pr8(hs) & 1));
		return;
	}
	vs = &hs->vma[pr8(hs) % NVMA];
	if (sub % 7 == 4) {
		if (vs->vma)
			fc_vma_unmap(vs->vma);
		memset(vs, 0, sizeof(*vs));
		return;
	}
	off = pr16(hs);
	len = pr16(hs);
	if (!vs->vma)
		return;
	switch (sub % 7) {
	case 1: /* loads */
		r = fc_vma_load(vs->vma, off, hs->buf, len);
		check_err(r);
		if (r > 0) {
			FZ_CHECK(r <= len);
			if (vs->shared)
				check_read(hs, of_shadow(hs, vs->of), vs->off + off, hs->buf,
					   (uint64_t)r);
		}
		return;
	case 2: { /* stores */
		uint8_t g = ++hs->gen;

		for (i = 0; i < len; i++)
			hs->buf[i] = (uint8_t)((vs->off + off + i) * 31 + g * 97 + 3);
		r = fc_vma_store(vs->vma, off, hs->buf, len);
		check_err(r);
		if (r > 0) {
			/*
			 * Stores past the end of the file (in its last page)
			 * are not the file's: writeback stops at the size.
			 */
			uint64_t size = fc_node_attr(fc_open_node(vs->of))->size;
			uint64_t from = vs->off + off, n = (uint64_t)r;

			FZ_CHECK(r <= len);
			if (from >= size)
				n = 0;
			else if (n > size - from)
				n = size - from;
			if (vs->shared)
				app_wrote(of_shadow(hs, vs->of), from, hs->buf, n);
		}
		return;
	}
	case 3: { /* msync */
		unsigned flags = pr8(hs) & 7;
		struct shadow *sh = of_shadow(hs, vs->of);

		r = fc_vma_msync(vs->vma, &hs->who, off, len, flags);
		check_err(r);
		if (!vs->shared)
			return;
		r = msync_result(r, off, len, vs->len);
		/* Only the part of the range inside the mapping is synced. */
		if (r == 0 && flags == FC_MS_SYNC && len && off < vs->len)
			check_synced(hs, sh, vs->off + off,
				     vs->off + (off + (uint64_t)len < vs->len ?
						off + (uint64_t)len : vs->len), "msync");
		else if (r < 0)
			app_error_reported(sh);
		return;
	}
	}
}

/* Run one call of the program. */
static void run_op(struct harness *hs, uint8_t op)
{
	struct fc_entry e;
	struct fc_open_ctx *of;
	unsigned slot;
	size_t nlen;
	const char *nm;
	long r;

	hs->op_plausible = 1;
	hs->last_result = 1L << 40; /* "no call made" */
	last_result = &hs->last_result;
	switch (op % NOPS) {
	case 0: { /* lookup */
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		r = fc_lookup(hs->cl, &hs->who, dir, nm, nlen, &e);
		if (r == -ENOENT)
			FZ_CHECK(e.node == NULL);
		else
			check_entry(hs, (int)r, &e);
		keep_node(hs, e.node);
		break;
	}
	case 1: { /* getattr */
		struct fc_attr at;
		struct fc_node *n = pick_node(hs);
		uint8_t v = pr8(hs);

		of = (v & 2) ? pick_open(hs, &slot) : NULL;
		if (of)
			n = fc_open_node(of);
		r = fc_getattr(hs->cl, &hs->who, n, of, v & 1, &at);
		check_err(r);
		if (r == 0)
			FZ_CHECK((at.mode & FC_S_IFMT) == (fc_node_attr(n)->mode & FC_S_IFMT));
		break;
	}
	case 2: { /* setattr (truncate, chmod) */
		struct fc_setattr_in in;
		struct fc_node *n = pick_node(hs);
		uint8_t v = pr8(hs);

		memset(&in, 0, sizeof(in));
		in.valid = v & (FC_FATTR_MODE | FC_FATTR_SIZE | FC_FATTR_UID | FC_FATTR_ATIME_NOW);
		in.size = pr16(hs);
		in.mode = 0600;
		of = (v & 0x80) ? pick_open(hs, &slot) : NULL;
		if (of)
			n = fc_open_node(of);
		r = fc_setattr(hs->cl, &hs->who, n, of, &in, NULL);
		check_err(r);
		if (hs->cache && (in.valid & FC_FATTR_SIZE)) {
			/* Truncated, or perhaps truncated: nothing past the size is known. */
			struct shadow *sh = shadow_get(hs, fc_node_id(n), 0);

			if (r == 0)
				app_truncated(sh, in.size);
			else
				app_forgive(sh, in.size, SHADOW_MAX);
		}
		break;
	}
	case 3: { /* mknod */
		static const uint32_t types[4] = { FC_S_IFREG, FC_S_IFCHR, FC_S_IFIFO, FC_S_IFSOCK };
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		r = fc_mknod(hs->cl, &hs->who, dir, nm, nlen, types[pr8(hs) & 3] | 0644, 0, &e);
		check_entry(hs, (int)r, &e);
		keep_node(hs, e.node);
		break;
	}
	case 4: { /* mkdir */
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		r = fc_mkdir(hs->cl, &hs->who, dir, nm, nlen, 0755, &e);
		check_entry(hs, (int)r, &e);
		keep_node(hs, e.node);
		break;
	}
	case 5: { /* symlink */
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		r = fc_symlink(hs->cl, &hs->who, dir, nm, nlen, "target", &e);
		check_entry(hs, (int)r, &e);
		keep_node(hs, e.node);
		break;
	}
	case 6: { /* link */
		struct fc_node *n = pick_node(hs);
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		r = fc_link(hs->cl, &hs->who, n, dir, nm, nlen, &e);
		check_entry(hs, (int)r, &e);
		keep_node(hs, e.node);
		break;
	}
	case 7: { /* unlink */
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		check_err(fc_unlink(hs->cl, &hs->who, dir, nm, nlen));
		break;
	}
	case 8: { /* rmdir */
		struct fc_node *dir = pick_node(hs);

		nm = pick_name(hs, &nlen);
		check_err(fc_rmdir(hs->cl, &hs->who, dir, nm, nlen));
		break;
	}
	case 9: { /* rename */
		struct fc_node *od = pick_node(hs), *nd = pick_node(hs);
		size_t nlen2;
		const char *nm2;

		nm = pick_name(hs, &nlen);
		nm2 = pick_name(hs, &nlen2);
		check_err(fc_rename(hs->cl, &hs->who, od, nm, nlen, nd, nm2, nlen2, pr8(hs) & 7));
		break;
	}
	case 10: { /* readlink */
		struct fc_node *n = pick_node(hs);
		size_t size = pr8(hs);

		r = fc_readlink(hs->cl, &hs->who, n, (char *)hs->buf, size);
		check_err(r);
		if (r >= 0) {
			FZ_CHECK((size_t)r < size);
			FZ_CHECK(strlen((char *)hs->buf) == (size_t)r);
		}
		break;
	}
	case 11: { /* open */
		static const uint32_t fl[8] = {
			FC_O_RDONLY, FC_O_WRONLY, FC_O_RDWR, FC_O_RDWR | FC_O_TRUNC,
			FC_O_RDONLY | FC_O_DIRECTORY, FC_O_WRONLY | FC_O_APPEND,
			FC_O_RDWR | FC_O_DIRECT, FC_O_RDONLY | FC_O_NOATIME,
		};
		struct fc_node *n = pick_node(hs);
		uint32_t open_flags = fl[pr8(hs) & 7];

		of = NULL;
		r = fc_open(hs->cl, &hs->who, n, open_flags, &of);
		check_err(r);
		if (r == 0) {
			FZ_CHECK(of != NULL && fc_open_node(of) == n);
			if (hs->cache)
				fc_cache_hook_open(hs->cl, of);
			if (hs->cache && (fc_open_sent_flags(of) & FC_O_TRUNC ||
					  open_flags & FC_O_TRUNC))
				app_truncated(of_shadow(hs, of), 0);
			keep_open(hs, of);
		} else if (hs->cache && (open_flags & FC_O_TRUNC)) {
			/* Perhaps truncated (the SETATTR after the OPEN failed). */
			app_truncated(shadow_get(hs, fc_node_id(n), 0), 0);
		}
		break;
	}
	case 12: { /* create */
		struct fc_node *dir = pick_node(hs);
		uint8_t v;

		nm = pick_name(hs, &nlen);
		v = pr8(hs);
		of = NULL;
		r = fc_create(hs->cl, &hs->who, dir, nm, nlen,
			      FC_O_CREAT | ((v & 1) ? FC_O_EXCL : 0) | ((v & 2) ? FC_O_TRUNC : 0) | FC_O_RDWR,
			      0644, &e, &of);
		check_entry(hs, (int)r, &e);
		if (hs->cache && (v & 2) && e.node)
			app_truncated(shadow_get(hs, fc_node_id(e.node), 0), 0);
		if (r == 0) {
			FZ_CHECK(of != NULL);
			if (hs->cache)
				fc_cache_hook_open(hs->cl, of);
			keep_node(hs, e.node);
			keep_open(hs, of);
		}
		break;
	}
	case 13: { /* read */
		uint32_t size;
		uint64_t off;
		unsigned flags;

		of = pick_open(hs, &slot);
		size = pr16(hs) % (MAXBUF / 2);
		off = pr16(hs);
		flags = pr8(hs) & FC_IO_DIRECT;
		if (!of)
			break;
		if (hs->cache) {
			r = fc_cache_read(hs->cl, &hs->who, of, hs->buf, size, off);
			check_err(r);
			if (r > 0) {
				FZ_CHECK((size_t)r <= size);
				check_read(hs, of_shadow(hs, of), off, hs->buf, (uint64_t)r);
			}
			break;
		}
		r = fc_read(hs->cl, &hs->who, of, hs->buf, size, off, flags);
		check_err(r);
		if (r >= 0) {
			FZ_CHECK((size_t)r <= size);
			if (hs->op_plausible && !hs->cache) {
				long i;

				/* Exactly the bytes the daemon sent for these offsets. */
				for (i = 0; i < r; i++)
					FZ_CHECK(hs->buf[i] == pattern(off + (uint64_t)i));
			}
		}
		break;
	}
	case 14: { /* write */
		uint32_t size, i;
		uint64_t off;
		uint8_t v;

		of = pick_open(hs, &slot);
		size = pr16(hs) % (MAXBUF / 2);
		off = pr16(hs);
		v = pr8(hs);
		if (!of)
			break;
		if (hs->cache) {
			/* Direct I/O goes through here too (O_DIRECT, FOPEN_DIRECT_IO). */
			struct shadow *sh = of_shadow(hs, of);

			/* write(2) on a descriptor not open for writing: EBADF (the VFS). */
			if ((fc_open_file_flags(of) & FC_O_ACCMODE) == FC_O_RDONLY)
				break;
			int append = !!(fc_open_file_flags(of) & FC_O_APPEND);
			uint8_t g = ++hs->gen;

			if (size > 65536)
				size = 65536;
			for (i = 0; i < size; i++)
				hs->buf[i] = (uint8_t)((off + i) * 31 + g * 97 + 3);
			hs->pos[slot] = off;
			r = fc_cache_write(hs->cl, &hs->who, of, hs->buf, size, &hs->pos[slot]);
			check_err(r);
			if (r >= 0) {
				uint64_t start;

				FZ_CHECK((size_t)r <= size);
				FZ_CHECK(hs->pos[slot] >= (uint64_t)r);
				start = hs->pos[slot] - (uint64_t)r;
				if (!append)
					FZ_CHECK(start == off);
				app_wrote(sh, start, hs->buf, (uint64_t)r);
				if ((uint32_t)r < size) {
					if (append)
						sh ? (void)(sh->tainted = 1) : (void)0;
					else
						app_forgive(sh, start + (uint64_t)r, size - (uint64_t)r);
				}
			} else if (sh) {
				if (append)
					sh->tainted = 1;
				else
					app_forgive(sh, off, size);
			}
			break;
		}
		for (i = 0; i < size; i++)
			hs->buf[i] = pattern(off + i);
		r = fc_write(hs->cl, &hs->who, of, hs->buf, size, off,
			     v & (FC_IO_DIRECT | FC_IO_WRITEBACK));
		check_err(r);
		if (r >= 0)
			FZ_CHECK((size_t)r <= size);
		break;
	}
	case 15: /* flush: close() of one descriptor */
		of = pick_open(hs, &slot);
		if (of)
			do_flush(hs, of);
		break;
	case 16: /* release: the close of the last descriptor */
		of = pick_open(hs, &slot);
		if (of) {
			hs->open[slot] = NULL;
			do_close(hs, of);
		}
		break;
	case 17: { /* fsync */
		int datasync;

		of = pick_open(hs, &slot);
		datasync = pr8(hs) & 1;
		if (of)
			do_fsync(hs, of, datasync);
		break;
	}
	case 18: { /* readdir */
		struct rd_ctx rc;
		uint64_t off;
		uint32_t size;
		uint8_t v;

		of = pick_open(hs, &slot);
		off = pr8(hs);
		size = pr16(hs);
		v = pr8(hs);
		if (!of)
			break;
		rc.hs = hs;
		rc.seen = 0;
		rc.stop_after = (v >> 1) ? (v >> 1) : 1000;
		r = fc_readdir(hs->cl, &hs->who, of, off, size, v & 1, on_dirent, &rc);
		check_err(r);
		break;
	}
	case 19: { /* statfs */
		struct fc_kstatfs st;

		check_err(fc_statfs(hs->cl, &hs->who, pick_node(hs), &st));
		break;
	}
	case 20: { /* access */
		struct fc_node *n = pick_node(hs);

		check_err(fc_access(hs->cl, &hs->who, n, pr8(hs) & 7));
		break;
	}
	case 21: { /* statx */
		struct fc_statx sx;

		check_err(fc_statx(hs->cl, &hs->who, pick_node(hs), NULL, 0, 0x7ff, &sx));
		break;
	}
	case 22:
		op_xattr(hs, pr8(hs));
		break;
	case 23:
		op_lock(hs, pr8(hs));
		break;
	case 24:
		op_fileio(hs, pr8(hs));
		break;
	case 25: { /* put a node reference */
		uint8_t v = pr8(hs) % NSLOTS;

		if (v && hs->node[v]) {
			fc_node_put(hs->cl, hs->node[v]);
			hs->node[v] = NULL;
		}
		break;
	}
	case 26:
		fc_client_flush_forgets(hs->cl);
		break;
	case 27: { /* time passes; cached attributes may expire */
		struct fc_node *n = pick_node(hs);

		fz_clock_advance((uint64_t)pr8(hs) * 100000000ull);
		if (pr8(hs) & 1)
			fc_node_invalidate_attr(hs->cl, n);
		break;
	}
	case 28: { /* a node found again by nodeid (as notifications do) */
		struct fc_node *n = fc_node_find(hs->cl, 2 + (pr8(hs) & 7));

		if (n) {
			FZ_CHECK(!fc_node_is_stale(n));
			fc_node_put(hs->cl, n);
		}
		break;
	}
	case 30:
		op_vm(hs, pr8(hs));
		break;
	case 29: { /* fcntl(F_SETFL) */
		of = pick_open(hs, &slot);
		if (of)
			fc_open_set_file_flags(of, pr8(hs) & 1 ? FC_O_APPEND : FC_O_DIRECT);
		break;
	}
	}
}

/* ---- The VFS mode: system calls on a FUSE mount at /mnt ----------------------------- */

#define NVFSOPS 30

static void build_path(struct harness *hs, char *buf, size_t cap)
{
	uint8_t v = pr8(hs);
	unsigned depth = v & 3, i;
	size_t len;

	/* /mnt, /mnt/x, /mnt/x/y, or a relative name (from the cwd). */
	if (depth == 3) {
		size_t n;
		const char *nm = pick_name(hs, &n);

		if (n >= cap)
			n = cap - 1;
		memcpy(buf, nm, n);
		buf[n] = 0;
		return;
	}
	len = (size_t)snprintf(buf, cap, "/mnt");
	for (i = 0; i < depth; i++) {
		size_t n;
		const char *nm = pick_name(hs, &n);

		if (len + 1 + n >= cap)
			break;
		buf[len++] = '/';
		memcpy(buf + len, nm, n);
		len += n;
		buf[len] = 0;
	}
}

static int pick_fd(struct harness *hs, unsigned *slot)
{
	*slot = pr8(hs) % NOPEN;
	return hs->fd[*slot];
}

static struct shadow *fd_shadow(struct harness *hs, unsigned slot)
{
	return hs->fd_ino[slot] ? shadow_get(hs, hs->fd_ino[slot], 0) : NULL;
}

/* getdents64 records: each whole, aligned, NUL-terminated, inside the buffer. */
static FZ_NO_COVERAGE void check_dirents(const unsigned char *buf, long len)
{
	long off = 0;

	while (off < len) {
		uint16_t reclen;
		const char *name;
		size_t max;

		FZ_CHECK(len - off >= FC_VFS_DIRENT64_NAME_OFFSET + 1);
		memcpy(&reclen, buf + off + 16, sizeof(reclen));
		FZ_CHECK(reclen >= FC_VFS_DIRENT64_NAME_OFFSET + 2);
		FZ_CHECK(reclen % 8 == 0 && reclen <= len - off);
		name = (const char *)buf + off + FC_VFS_DIRENT64_NAME_OFFSET;
		max = reclen - FC_VFS_DIRENT64_NAME_OFFSET;
		FZ_CHECK(memchr(name, 0, max) != NULL);
		FZ_CHECK(name[0] != 0);
		FZ_CHECK(strchr(name, '/') == NULL);
		off += reclen;
	}
}

static int vfs_close_slot(struct harness *hs, unsigned slot)
{
	struct shadow *sh = fd_shadow(hs, slot);
	int r = fc_sys_close(hs->user_p, hs->fd[slot]);

	check_err(r);
	/* close(2) returns the FLUSH error; the descriptor is gone anyway. */
	if (r == 0 && !(sh && sh->noflush && !hs->wbmode))
		check_synced(hs, sh, 0, SHADOW_MAX, "close");
	else if (r && r != -EBADF)
		app_error_reported(sh);
	hs->fd[slot] = -1;
	hs->fd_ino[slot] = 0;
	return r;
}

static void vfs_unmap_slot(struct harness *hs, unsigned i)
{
	if (!hs->vmap[i])
		return;
	check_err(fc_sys_munmap(hs->user_p, hs->vmap[i]));
	hs->vmap[i] = NULL;
}

static void run_vfs_op(struct harness *hs, uint8_t op)
{
	struct fc_proc *p = hs->user_p;
	static char path[512], path2[512];
	struct fc_vfs_stat st;
	unsigned slot;
	long r;
	int fd;

	hs->op_plausible = 1;
	hs->last_result = 1L << 40;
	last_result = &hs->last_result;
	switch (op % NVFSOPS) {
	case 0: { /* open */
		static const int fl[8] = {
			FC_O_RDONLY, FC_O_WRONLY | FC_O_CREAT, FC_O_RDWR | FC_O_CREAT,
			FC_O_RDWR | FC_O_TRUNC, FC_O_RDONLY | FC_O_DIRECTORY,
			FC_O_WRONLY | FC_O_APPEND | FC_O_CREAT, FC_O_RDWR | FC_O_DIRECT,
			FC_O_RDWR | FC_O_CREAT | FC_O_EXCL,
		};
		int flags;
		unsigned i;

		build_path(hs, path, sizeof(path));
		flags = fl[pr8(hs) & 7];
		/* Room first: the open may truncate what an old descriptor wrote. */
		for (i = 0; i < NOPEN && hs->fd[i] >= 0; i++)
			;
		if (i == NOPEN) {
			vfs_close_slot(hs, 0);
			i = 0;
		}
		r = fc_sys_open(p, path, flags, 0644);
		check_err(r);
		if (r < 0)
			break;
		hs->fd[i] = (int)r;
		hs->fd_ino[i] = 0;
		if (fc_sys_fstat(p, (int)r, &st) < 0) {
			/* Which file it is stays unknown: its writes may land in any. */
			taint_all(hs);
		} else if ((st.mode & FC_S_IFMT) == FC_S_IFREG) {
			hs->fd_ino[i] = st.ino;
			if (flags & FC_O_TRUNC)
				app_truncated(fd_shadow(hs, i), 0);
			if (flags & FC_O_APPEND) {
				struct shadow *sh = fd_shadow(hs, i);

				if (sh)
					sh->tainted = 1; /* where appends land is not tracked */
			}
		}
		break;
	}
	case 1: /* close */
		if (pick_fd(hs, &slot) >= 0)
			vfs_close_slot(hs, slot);
		break;
	case 2: { /* pread */
		uint32_t size = pr16(hs);
		uint64_t off = pr16(hs);

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		r = fc_sys_pread(p, fd, hs->buf, size, (int64_t)off);
		check_err(r);
		if (r > 0) {
			FZ_CHECK((uint32_t)r <= size);
			check_read(hs, fd_shadow(hs, slot), off, hs->buf, (uint64_t)r);
		}
		break;
	}
	case 3: { /* pwrite */
		uint32_t size = pr16(hs), i;
		uint64_t off = pr16(hs);
		uint8_t g = ++hs->gen;
		struct shadow *sh;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		sh = fd_shadow(hs, slot);
		for (i = 0; i < size; i++)
			hs->buf[i] = (uint8_t)((off + i) * 31 + g * 97 + 3);
		r = fc_sys_pwrite(p, fd, hs->buf, size, (int64_t)off);
		check_err(r);
		if (r >= 0) {
			FZ_CHECK((uint32_t)r <= size);
			app_wrote(sh, off, hs->buf, (uint64_t)r);
			app_forgive(sh, off + (uint64_t)r, size - (uint64_t)r);
		} else {
			app_forgive(sh, off, size);
		}
		break;
	}
	case 4: { /* read at the file position */
		uint32_t size = pr16(hs);

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		r = fc_sys_read(p, fd, hs->buf, size);
		check_err(r);
		if (r >= 0)
			FZ_CHECK((uint32_t)r <= size);
		break;
	}
	case 5: { /* write at the file position */
		uint32_t size = pr16(hs), i;
		uint8_t g = ++hs->gen;
		int64_t pos;
		struct shadow *sh;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		sh = fd_shadow(hs, slot);
		pos = fc_sys_lseek(p, fd, 0, FC_SEEK_CUR);
		for (i = 0; i < size; i++)
			hs->buf[i] = (uint8_t)(((uint64_t)pos + i) * 31 + g * 97 + 3);
		r = fc_sys_write(p, fd, hs->buf, size);
		check_err(r);
		if (pos < 0) {
			if (sh)
				sh->tainted = 1;
		} else if (r >= 0) {
			FZ_CHECK((uint32_t)r <= size);
			app_wrote(sh, (uint64_t)pos, hs->buf, (uint64_t)r);
			app_forgive(sh, (uint64_t)pos + (uint64_t)r, size - (uint64_t)r);
		} else {
			app_forgive(sh, (uint64_t)pos, size);
		}
		break;
	}
	case 6: { /* lseek */
		int64_t off = (int16_t)pr16(hs);
		int whence = pr8(hs) % 5;

		if ((fd = pick_fd(hs, &slot)) >= 0)
			check_err((long)fc_sys_lseek(p, fd, off, whence));
		break;
	}
	case 7: { /* fsync, fdatasync */
		uint8_t v = pr8(hs);
		struct shadow *sh;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		sh = fd_shadow(hs, slot);
		r = (v & 1) ? fc_sys_fdatasync(p, fd) : fc_sys_fsync(p, fd);
		check_err(r);
		if (r == 0)
			check_synced(hs, sh, 0, SHADOW_MAX, "fsync");
		else
			app_error_reported(sh);
		break;
	}
	case 8: { /* ftruncate, truncate */
		uint64_t len = pr16(hs);
		uint8_t v = pr8(hs);

		if (v & 1) {
			build_path(hs, path, sizeof(path));
			r = fc_sys_truncate(p, path, (int64_t)len);
			check_err(r);
			/* Which file it was is not tracked here. */
			if (r == 0 && fc_sys_stat(p, path, &st) == 0)
				app_truncated(shadow_get(hs, st.ino, 0), len);
			else
				taint_all(hs);
			break;
		}
		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		r = fc_sys_ftruncate(p, fd, (int64_t)len);
		check_err(r);
		if (r == 0)
			app_truncated(fd_shadow(hs, slot), len);
		else
			app_forgive(fd_shadow(hs, slot), len, SHADOW_MAX);
		break;
	}
	case 9: /* stat, lstat, fstat */
		switch (pr8(hs) % 3) {
		case 0:
			build_path(hs, path, sizeof(path));
			check_err(fc_sys_stat(p, path, &st));
			break;
		case 1:
			build_path(hs, path, sizeof(path));
			check_err(fc_sys_lstat(p, path, &st));
			break;
		case 2:
			if ((fd = pick_fd(hs, &slot)) >= 0)
				check_err(fc_sys_fstat(p, fd, &st));
			break;
		}
		break;
	case 10:
		build_path(hs, path, sizeof(path));
		check_err(fc_sys_mkdir(p, path, 0755));
		break;
	case 11:
		build_path(hs, path, sizeof(path));
		check_err(fc_sys_rmdir(p, path));
		break;
	case 12:
		build_path(hs, path, sizeof(path));
		check_err(fc_sys_unlink(p, path));
		break;
	case 13: { /* rename, renameat2 */
		unsigned flags;

		build_path(hs, path, sizeof(path));
		build_path(hs, path2, sizeof(path2));
		flags = pr8(hs) & 7;
		check_err(fc_sys_renameat2(p, FC_AT_FDCWD, path, FC_AT_FDCWD,
					   path2, flags));
		break;
	}
	case 14:
		build_path(hs, path, sizeof(path));
		build_path(hs, path2, sizeof(path2));
		check_err(fc_sys_link(p, path, path2));
		break;
	case 15:
		build_path(hs, path, sizeof(path));
		check_err(fc_sys_symlink(p, "a", path));
		break;
	case 16: { /* readlink */
		size_t size = pr8(hs);

		build_path(hs, path, sizeof(path));
		r = fc_sys_readlink(p, path, path2, size);
		check_err(r);
		if (r >= 0)
			FZ_CHECK((size_t)r <= size);
		break;
	}
	case 17: { /* getdents64 */
		size_t size = pr16(hs) % 8192;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		r = fc_sys_getdents64(p, fd, hs->buf, size);
		check_err(r);
		if (r > 0) {
			FZ_CHECK((size_t)r <= size);
			check_dirents(hs->buf, r);
		}
		break;
	}
	case 18: { /* fallocate */
		int mode = (int)(pr8(hs) & 0x13);
		uint64_t off = pr16(hs), len = pr16(hs);

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		check_err(fc_sys_fallocate(p, fd, mode, (int64_t)off, (int64_t)len));
		app_forgive(fd_shadow(hs, slot), off, len);
		break;
	}
	case 19: { /* xattrs */
		static const char *const xn[] = { "user.a", "trusted.b", "", "security.c" };
		uint8_t v = pr8(hs);
		size_t size = pr8(hs);
		const char *nm = xn[(v >> 2) & 3];

		build_path(hs, path, sizeof(path));
		switch (v & 3) {
		case 0:
			check_err(fc_sys_setxattr(p, path, nm, "val", 3, (v >> 4) & 3));
			break;
		case 1:
			r = fc_sys_getxattr(p, path, nm, size ? hs->buf : NULL, size);
			check_err(r);
			if (r >= 0 && size)
				FZ_CHECK((size_t)r <= size);
			break;
		case 2:
			r = fc_sys_listxattr(p, path, size ? (char *)hs->buf : NULL, size);
			check_err(r);
			if (r > 0 && size) {
				FZ_CHECK((size_t)r <= size);
				FZ_CHECK(hs->buf[r - 1] == 0);
			}
			break;
		case 3:
			check_err(fc_sys_removexattr(p, path, nm));
			break;
		}
		break;
	}
	case 20: { /* record locks (never blocking) and flock */
		struct fc_vfs_flock lk;
		uint8_t v = pr8(hs);

		memset(&lk, 0, sizeof(lk));
		lk.l_type = (int16_t)(v % 3);
		lk.l_whence = FC_SEEK_SET;
		lk.l_start = pr8(hs);
		lk.l_len = pr8(hs);
		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		if (v & 0x10)
			check_err(fc_sys_flock(p, fd, (int)(((v >> 5) & 3) == 0 ? FC_LOCK_SH :
						      ((v >> 5) & 3) == 1 ? FC_LOCK_EX : FC_LOCK_UN) |
					       FC_LOCK_NB));
		else
			check_err(fc_sys_fcntl_lock(p, fd, (v & 8) ? FC_F_GETLK : FC_F_SETLK, &lk));
		break;
	}
	case 21: { /* chdir, getcwd */
		uint8_t v = pr8(hs);

		if (v & 1) {
			r = fc_sys_getcwd(p, path2, 1 + (v >> 1));
			check_err(r);
			if (r > 0)
				FZ_CHECK(path2[r - 1] == 0);
		} else {
			build_path(hs, path, sizeof(path));
			check_err(fc_sys_chdir(p, path));
		}
		break;
	}
	case 22: { /* dup */
		unsigned i;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		for (i = 0; i < NOPEN && hs->fd[i] >= 0; i++)
			;
		if (i == NOPEN)
			break;
		r = fc_sys_dup(p, fd);
		check_err(r);
		if (r >= 0) {
			hs->fd[i] = (int)r;
			hs->fd_ino[i] = hs->fd_ino[slot];
		}
		break;
	}
	case 23: { /* mmap */
		uint8_t pf = pr8(hs);
		uint64_t off = (uint64_t)(pr8(hs) % 16) * 4096;
		uint64_t len = (uint64_t)(pr8(hs) % 16 + 1) * 4096;
		struct fc_vfs_map *map = NULL;
		unsigned i;

		if ((fd = pick_fd(hs, &slot)) < 0)
			break;
		for (i = 0; i < NVMA && hs->vmap[i]; i++)
			;
		if (i == NVMA) {
			vfs_unmap_slot(hs, 0);
			i = 0;
		}
		r = fc_sys_mmap(p, fd, (int64_t)off, len,
				(int)(((pf & 1) ? FC_PROT_READ : 0) | ((pf & 2) ? FC_PROT_WRITE : 0)),
				(int)((pf & 4) ? FC_MAP_PRIVATE : FC_MAP_SHARED), &map);
		check_err(r);
		if (r == 0) {
			FZ_CHECK(map != NULL);
			hs->vmap[i] = map;
			hs->vmap_off[i] = off;
			hs->vmap_len[i] = len;
			hs->vmap_shared[i] = !(pf & 4);
			hs->vmap_ino[i] = hs->fd_ino[slot];
		}
		break;
	}
	case 24: { /* loads and stores */
		unsigned i = pr8(hs) % NVMA;
		uint8_t v = pr8(hs);
		uint64_t off = pr16(hs);
		uint32_t len = pr16(hs), k;
		struct shadow *sh;

		if (!hs->vmap[i])
			break;
		sh = hs->vmap_shared[i] && hs->vmap_ino[i] ?
		     shadow_get(hs, hs->vmap_ino[i], 0) : NULL;
		if (v & 1) {
			uint8_t g = ++hs->gen;

			for (k = 0; k < len; k++)
				hs->buf[k] = (uint8_t)((hs->vmap_off[i] + off + k) * 31 + g * 97 + 3);
			r = fc_vfs_map_store(p, hs->vmap[i], off, hs->buf, len);
			check_err(r);
			if (r > 0 && sh) {
				/* Only the bytes inside the file are the file's. */
				struct fc_node *n = fc_node_find(hs->cl, hs->vmap_ino[i]);

				if (!n) {
					sh->tainted = 1;
				} else {
					uint64_t from = hs->vmap_off[i] + off, cnt = (uint64_t)r;
					uint64_t size = fc_node_attr(n)->size;

					cnt = from >= size ? 0 : (cnt > size - from ? size - from : cnt);
					app_wrote(sh, from, hs->buf, cnt);
					fc_node_put(hs->cl, n);
				}
			}
		} else {
			r = fc_vfs_map_load(p, hs->vmap[i], off, hs->buf, len);
			check_err(r);
			if (r > 0)
				check_read(hs, sh, hs->vmap_off[i] + off, hs->buf, (uint64_t)r);
		}
		break;
	}
	case 25: { /* msync */
		unsigned i = pr8(hs) % NVMA;
		uint64_t off = pr16(hs);
		uint32_t len = pr16(hs);
		int flags = pr8(hs) & 7;
		struct shadow *sh;

		if (!hs->vmap[i])
			break;
		sh = hs->vmap_shared[i] && hs->vmap_ino[i] ?
		     shadow_get(hs, hs->vmap_ino[i], 0) : NULL;
		r = fc_sys_msync(p, hs->vmap[i], off, len, flags);
		check_err(r);
		r = msync_result(r, off, len, hs->vmap_len[i]);
		if (r == 0 && flags == FC_MS_SYNC && len && off < hs->vmap_len[i])
			check_synced(hs, sh, hs->vmap_off[i] + off,
				     hs->vmap_off[i] + (off + len < hs->vmap_len[i] ?
						       off + len : hs->vmap_len[i]), "msync");
		else if (r < 0)
			app_error_reported(sh);
		break;
	}
	case 26: /* munmap */
		vfs_unmap_slot(hs, pr8(hs) % NVMA);
		break;
	case 27: /* caches dropped, time passes */
		if (pr8(hs) & 1)
			fc_vfs_drop_caches(hs->vfs);
		fz_clock_advance((uint64_t)pr8(hs) * 100000000ull);
		break;
	case 28: { /* statfs, access, chmod, chown, utimens */
		struct fc_vfs_statfs sfs;
		uint8_t v = pr8(hs);

		build_path(hs, path, sizeof(path));
		switch (v % 5) {
		case 0: check_err(fc_sys_statfs(p, path, &sfs)); break;
		case 1: check_err(fc_sys_access(p, path, (v >> 3) & 7)); break;
		case 2: check_err(fc_sys_chmod(p, path, 0600 | ((v & 0x80) ? 04000 : 0))); break;
		case 3: check_err(fc_sys_chown(p, path, (v & 0x40) ? 0 : 1000, 1000)); break;
		case 4: check_err(fc_sys_utimensat(p, FC_AT_FDCWD, path, NULL, 0)); break;
		}
		break;
	}
	case 29: { /* copy_file_range */
		unsigned slot2;
		int fd2;
		int64_t off_in = pr16(hs), off_out = pr16(hs);
		size_t len = pr16(hs);

		if ((fd = pick_fd(hs, &slot)) < 0 || (fd2 = pick_fd(hs, &slot2)) < 0)
			break;
		r = fc_sys_copy_file_range(p, fd, &off_in, fd2, &off_out, len, 0);
		check_err(r);
		/* The destination's bytes are the daemon's business. */
		{
			struct shadow *sh = fd_shadow(hs, slot2);

			if (sh)
				sh->tainted = 1;
		}
		break;
	}
	}
}

static void on_vfs_release(void *ctx, struct fc_client *cl)
{
	struct harness *hs = ctx;

	FZ_CHECK(cl == hs->cl);
	hs->released++;
}

/* A node's own lookup count never exceeds what the daemon has outstanding. */
static void check_counts(struct harness *hs)
{
	unsigned i;

	for (i = 1; i < NSLOTS; i++) {
		struct fc_node *n = hs->node[i];
		struct acct *a;

		if (!n)
			continue;
		a = acct_get(hs, fc_node_id(n));
		if (a && !hs->acct_full)
			FZ_CHECK(fc_node_nlookup(n) <= a->granted - a->forgotten);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness hs_storage;
	struct harness *hs = &hs_storage;
	struct fc_failing fail;
	struct fc_conn_config cfg;
	struct fc_client_config ccfg;
	struct fz_in in = { data, size };
	uint16_t plen;
	uint8_t minor_b, kind_b;
	unsigned i;
	int r;

	memset(hs, 0, offsetof(struct harness, req));
	plen = fz_u16(&in);
	if (plen > in.n)
		plen = (uint16_t)in.n;
	hs->prog.p = in.p;
	hs->prog.n = plen;
	hs->ans.p = in.p + plen;
	hs->ans.n = in.n - plen;
	hs->next_nodeid = 2;

	minor_b = pr8(hs);
	kind_b = pr8(hs);
	hs->minor = minors[minor_b & 7];
	hs->grant = FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES | FC_INIT_EXT |
		    FC_DO_READDIRPLUS | FC_POSIX_LOCKS | FC_FLOCK_LOCKS |
		    FC_ATOMIC_O_TRUNC | FC_EXPORT_SUPPORT | FC_SETXATTR_EXT;
	hs->grant ^= (uint64_t)fz_u32(&hs->prog);
	hs->who.uid = 1000;
	hs->who.gid = 1000;
	hs->who.pid = 4242;
	hs->who.umask = 022;
	hs->who.lock_owner = 0x1234;
	hs->who.task = &hs->task;

	hs->plat = fz_begin(&fail);
	FZ_CHECK(fc_mem_transport_new(hs->plat,
				      (kind_b & 1) ? FC_TRANSPORT_VIRTIO_FS :
						     FC_TRANSPORT_FUSE_DEV,
				      pump, hs, &hs->t) == 0);
	fc_conn_config_default(&cfg, hs->plat, hs->t);
	FZ_CHECK(fc_conn_new(&cfg, &hs->c) == 0);
	r = fc_conn_init(hs->c);
	FZ_CHECK(r == 0);
	fc_client_config_default(&ccfg);
	FZ_CHECK(fc_client_new(hs->c, &ccfg, &hs->cl) == 0);
	if (kind_b & 2) {
		/* Page-cache mode: the simulated cache, small enough to evict. */
		static const uint64_t capacity[4] = { 4, 16, 64, 1024 };
		struct fc_pagecache_sim_config pcfg;
		struct fc_cache_config ccache;

		fc_pagecache_sim_config_default(&pcfg, hs->plat);
		pcfg.capacity = capacity[(kind_b >> 2) & 3];
		FZ_CHECK(fc_pagecache_sim_new(&pcfg, &hs->pc) == 0);
		fc_cache_config_default(&ccache, fc_pagecache_sim_ops(), hs->pc);
		if (kind_b & 0x10)
			ccache.wb_creds = FC_WB_CREDS_OPENER;
		FZ_CHECK(fc_cache_attach(hs->cl, &ccache) == 0);
		hs->cache = 1;
		hs->wbmode = fc_cache_writeback_mode(hs->cl);
	}
	if (kind_b & 0x20) {
		/* VFS mode: the client mounted on /mnt, calls by a user process. */
		struct fc_vfs_mount_opts mo;
		struct fc_vfs_cred cred;

		for (i = 0; i < NOPEN; i++)
			hs->fd[i] = -1;
		FZ_CHECK(fc_vfs_new(hs->plat, &hs->vfs) == 0);
		memset(&cred, 0, sizeof(cred));
		FZ_CHECK(fc_proc_new(hs->vfs, 1, &cred, &hs->root_p) == 0);
		cred.uid = (kind_b & 0x40) ? 0 : 1000;
		cred.gid = cred.uid;
		FZ_CHECK(fc_proc_new(hs->vfs, 100, &cred, &hs->user_p) == 0);
		FZ_CHECK(fc_sys_mkdir(hs->root_p, "/mnt", 0777) == 0);
		fc_vfs_mount_opts_default(&mo);
		mo.default_permissions = !!(kind_b & 0x80);
		mo.release = on_vfs_release;
		mo.release_ctx = hs;
		r = fc_vfs_mount_fuse(hs->vfs, hs->root_p, "/mnt", hs->cl, &mo);
		FZ_CHECK(r > 0);
		/* The VFS took the notification handler; the cache gets its share. */
	} else {
		fc_conn_set_notify(hs->c, on_notify, hs);
	}

	while (!fz_empty(&hs->prog)) {
		uint8_t op = pr8(hs);

		if (hs->vfs) {
			run_vfs_op(hs, op);
			if (fz_tracing())
				fprintf(stderr, "vfs op %u (%u): last result %ld\n",
					op % NVFSOPS, op, hs->last_result);
			continue;
		}
		run_op(hs, op);
		if (fz_tracing())
			fprintf(stderr, "op %u (%u): last result %ld\n", op % NOPS, op,
				hs->last_result);
		check_counts(hs);
	}

	if (hs->vfs) {
		/* Unmap, close every descriptor (each close checks the data), unmount. */
		for (i = 0; i < NVMA; i++)
			vfs_unmap_slot(hs, i);
		for (i = 0; i < NOPEN; i++)
			if (hs->fd[i] >= 0)
				vfs_close_slot(hs, i);
		check_err(fc_sys_chdir(hs->user_p, "/"));
		r = fc_sys_umount2(hs->root_p, "/mnt", FC_MNT_DETACH);
		FZ_CHECK(r == 0);
		fc_vfs_free(hs->vfs);
		hs->vfs = NULL;
		FZ_CHECK(hs->released == 1);
	}
	/* Unmount: unmap, close what is open, drop every reference, free the client. */
	unmap_of(hs, NULL);
	for (i = 0; i < NOPEN; i++) {
		if (hs->open[i])
			do_close(hs, hs->open[i]);
		hs->open[i] = NULL;
	}
	for (i = 1; i < NSLOTS; i++) {
		if (hs->node[i])
			fc_node_put(hs->cl, hs->node[i]);
		hs->node[i] = NULL;
	}
	check_counts(hs);
	fc_client_free(hs->cl);
	/* The forgets of the unmount are queued: the daemon reads them. */
	if (!hs->gone)
		pump(hs);

	if (!hs->gone && !hs->acct_full && fc_conn_state(hs->c) == FC_CONN_READY) {
		/* Every lookup the client kept went back to the daemon. */
		for (i = 0; i < NMAP; i++) {
			struct acct *a = &hs->map[i];

			if (!a->used)
				continue;
			if (a->kept > a->forgotten)
				fprintf(stderr, "fuzz_stack: nodeid %llu kept %llu, forgotten %llu\n",
					(unsigned long long)a->nodeid,
					(unsigned long long)a->kept,
					(unsigned long long)a->forgotten);
			FZ_CHECK(a->kept <= a->forgotten);
		}
	}
	disconnect(hs);
	FZ_CHECK(hs->c->npending == 0);
	FZ_CHECK(hs->c->live == NULL);
	FZ_CHECK(fc_conn_num_background(hs->c) == 0);
	fc_conn_free(hs->c);
	if (hs->pc)
		fc_pagecache_sim_free(hs->pc);
	shadow_free_all(hs);
	fz_end(&fail);
	return 0;
}
