/*
 * One line of text per FUSE message, and the FCAP capture format.
 * Every field is read only after the length that holds it was checked.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusecore/decode.h"
#include "fusecore/proto.h"

static const char *const opcode_names[] = {
	[FC_LOOKUP] = "LOOKUP", [FC_FORGET] = "FORGET", [FC_GETATTR] = "GETATTR",
	[FC_SETATTR] = "SETATTR", [FC_READLINK] = "READLINK",
	[FC_SYMLINK] = "SYMLINK", [FC_MKNOD] = "MKNOD", [FC_MKDIR] = "MKDIR",
	[FC_UNLINK] = "UNLINK", [FC_RMDIR] = "RMDIR", [FC_RENAME] = "RENAME",
	[FC_LINK] = "LINK", [FC_OPEN] = "OPEN", [FC_READ] = "READ",
	[FC_WRITE] = "WRITE", [FC_STATFS] = "STATFS", [FC_RELEASE] = "RELEASE",
	[FC_FSYNC] = "FSYNC", [FC_SETXATTR] = "SETXATTR",
	[FC_GETXATTR] = "GETXATTR", [FC_LISTXATTR] = "LISTXATTR",
	[FC_REMOVEXATTR] = "REMOVEXATTR", [FC_FLUSH] = "FLUSH",
	[FC_INIT] = "INIT", [FC_OPENDIR] = "OPENDIR", [FC_READDIR] = "READDIR",
	[FC_RELEASEDIR] = "RELEASEDIR", [FC_FSYNCDIR] = "FSYNCDIR",
	[FC_GETLK] = "GETLK", [FC_SETLK] = "SETLK", [FC_SETLKW] = "SETLKW",
	[FC_ACCESS] = "ACCESS", [FC_CREATE] = "CREATE",
	[FC_INTERRUPT] = "INTERRUPT", [FC_BMAP] = "BMAP",
	[FC_DESTROY] = "DESTROY", [FC_IOCTL] = "IOCTL", [FC_POLL] = "POLL",
	[FC_NOTIFY_REPLY] = "NOTIFY_REPLY", [FC_BATCH_FORGET] = "BATCH_FORGET",
	[FC_FALLOCATE] = "FALLOCATE", [FC_READDIRPLUS] = "READDIRPLUS",
	[FC_RENAME2] = "RENAME2", [FC_LSEEK] = "LSEEK",
	[FC_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FC_SETUPMAPPING] = "SETUPMAPPING", [FC_REMOVEMAPPING] = "REMOVEMAPPING",
	[FC_SYNCFS] = "SYNCFS", [FC_TMPFILE] = "TMPFILE", [FC_STATX] = "STATX",
	[FC_COPY_FILE_RANGE_64] = "COPY_FILE_RANGE_64",
};

static const char *const notify_names[] = {
	[FC_NOTIFY_POLL] = "POLL", [FC_NOTIFY_INVAL_INODE] = "INVAL_INODE",
	[FC_NOTIFY_INVAL_ENTRY] = "INVAL_ENTRY", [FC_NOTIFY_STORE] = "STORE",
	[FC_NOTIFY_RETRIEVE] = "RETRIEVE", [FC_NOTIFY_DELETE] = "DELETE",
	[FC_NOTIFY_RESEND] = "RESEND", [FC_NOTIFY_INC_EPOCH] = "INC_EPOCH",
	[FC_NOTIFY_PRUNE] = "PRUNE",
};

const char *fc_opcode_name(uint32_t opcode)
{
	if (opcode == FC_CUSE_INIT)
		return "CUSE_INIT";
	if (opcode >= sizeof(opcode_names) / sizeof(opcode_names[0]))
		return NULL;
	return opcode_names[opcode];
}

const char *fc_notify_name(uint32_t code)
{
	if (code >= sizeof(notify_names) / sizeof(notify_names[0]))
		return NULL;
	return notify_names[code];
}

/* ---- the outstanding-unique table ----------------------------------------- */

#define PENDING_SLOTS 4096

struct fc_decoder {
	struct {
		uint64_t unique; /* 0 = free */
		uint32_t opcode;
	} slot[PENDING_SLOTS];
};

struct fc_decoder *fc_decoder_new(void)
{
	return calloc(1, sizeof(struct fc_decoder));
}

void fc_decoder_free(struct fc_decoder *d)
{
	free(d);
}

static unsigned slot_of(uint64_t unique)
{
	return (unsigned)((unique * 0x9e3779b97f4a7c15ULL) >> 52) % PENDING_SLOTS;
}

static void remember(struct fc_decoder *d, uint64_t unique, uint32_t opcode)
{
	unsigned i = slot_of(unique), n;

	/* Open addressing; a full table forgets the oldest collision. */
	for (n = 0; n < PENDING_SLOTS; n++, i = (i + 1) % PENDING_SLOTS)
		if (!d->slot[i].unique || d->slot[i].unique == unique)
			break;
	d->slot[i].unique = unique;
	d->slot[i].opcode = opcode;
}

static int find(const struct fc_decoder *d, uint64_t unique)
{
	unsigned i = slot_of(unique), n;

	for (n = 0; n < PENDING_SLOTS; n++, i = (i + 1) % PENDING_SLOTS) {
		if (d->slot[i].unique == unique)
			return (int)i;
		if (!d->slot[i].unique)
			return -1;
	}
	return -1;
}

uint32_t fc_decoder_opcode_of(const struct fc_decoder *d, uint64_t unique)
{
	int i = find(d, unique);

	return i < 0 ? 0 : d->slot[i].opcode;
}

static uint32_t forget(struct fc_decoder *d, uint64_t unique)
{
	int i = find(d, unique);
	uint32_t op;
	unsigned j, k;

	if (i < 0)
		return 0;
	op = d->slot[i].opcode;
	d->slot[i].unique = 0;
	/* Re-seat the rest of the cluster so lookups still find them. */
	for (j = ((unsigned)i + 1) % PENDING_SLOTS; d->slot[j].unique;
	     j = (j + 1) % PENDING_SLOTS) {
		uint64_t u = d->slot[j].unique;
		uint32_t o = d->slot[j].opcode;

		d->slot[j].unique = 0;
		k = slot_of(u);
		while (d->slot[k].unique)
			k = (k + 1) % PENDING_SLOTS;
		d->slot[k].unique = u;
		d->slot[k].opcode = o;
	}
	return op;
}

/* ---- line building ----------------------------------------------------------- */

struct line {
	char *buf;
	size_t cap, len;
};

static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len + 1 >= l->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < l->cap - l->len ? (size_t)n : l->cap - l->len - 1;
}

/* A name: printable bytes as they are, the rest escaped; stops at NUL or @max. */
static void add_name(struct line *l, const char *key, const unsigned char *p,
		     size_t max)
{
	size_t i;

	add(l, " %s='", key);
	for (i = 0; i < max && p[i]; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'' && p[i] != '\\')
			add(l, "%c", p[i]);
		else
			add(l, "\\x%02x", p[i]);
	}
	add(l, "'");
}

/* Copy a fixed struct out of the body if it is there. */
#define BODY(type, var)                                                   \
	type var;                                                         \
	if (blen < sizeof(var))                                           \
		return short_body(l, sizeof(var), blen);                  \
	memcpy(&var, body, sizeof(var))

static int short_body(struct line *l, size_t want, size_t have)
{
	add(l, " MALFORMED(body %zu bytes, need %zu)", have, want);
	return -EINVAL;
}

static void add_entry(struct line *l, const struct fc_entry_out *e)
{
	add(l, " nodeid=%" PRIu64 " generation=%" PRIu64 " entry_valid=%" PRIu64
	       ".%09u attr_valid=%" PRIu64 ".%09u mode=0%o size=%" PRIu64
	       " attr_flags=0x%x",
	    e->nodeid, e->generation, e->entry_valid, e->entry_valid_nsec,
	    e->attr_valid, e->attr_valid_nsec, e->attr.mode, e->attr.size,
	    e->attr.flags);
}

static void add_lk(struct line *l, const struct fc_lk_in *lk)
{
	add(l, " fh=%" PRIu64 " owner=0x%" PRIx64 " start=%" PRIu64 " end=%" PRIu64
	       " type=%u lk_pid=%u lk_flags=0x%x",
	    lk->fh, lk->owner, lk->lk.start, lk->lk.end, lk->lk.type, lk->lk.pid,
	    lk->lk_flags);
}

static int decode_request_body(struct line *l, uint32_t op,
			       const unsigned char *body, size_t blen)
{
	switch (op) {
	case FC_LOOKUP: case FC_UNLINK: case FC_RMDIR: case FC_REMOVEXATTR:
		add_name(l, "name", body, blen);
		return 0;
	case FC_FORGET: {
		BODY(struct fc_forget_in, in);
		add(l, " nlookup=%" PRIu64, in.nlookup);
		return 0;
	}
	case FC_BATCH_FORGET: {
		BODY(struct fc_batch_forget_in, in);
		uint32_t i;

		add(l, " count=%u", in.count);
		if ((blen - sizeof(in)) / sizeof(struct fc_forget_one) < in.count)
			return short_body(l, sizeof(in) + (size_t)in.count *
					  sizeof(struct fc_forget_one), blen);
		for (i = 0; i < in.count && i < 64; i++) {
			struct fc_forget_one f;

			memcpy(&f, body + sizeof(in) + i * sizeof(f), sizeof(f));
			add(l, " %" PRIu64 ":%" PRIu64, f.nodeid, f.nlookup);
		}
		return 0;
	}
	case FC_GETATTR: {
		BODY(struct fc_getattr_in, in);
		add(l, " getattr_flags=0x%x fh=%" PRIu64, in.getattr_flags, in.fh);
		return 0;
	}
	case FC_SETATTR: {
		BODY(struct fc_setattr_in, in);
		add(l, " valid=0x%x fh=%" PRIu64 " size=%" PRIu64 " lock_owner=0x%" PRIx64
		       " mode=0%o uid=%u gid=%u atime=%" PRIu64 " mtime=%" PRIu64,
		    in.valid, in.fh, in.size, in.lock_owner, in.mode, in.uid, in.gid,
		    in.atime, in.mtime);
		return 0;
	}
	case FC_SYMLINK: {
		size_t n = strnlen((const char *)body, blen);

		add_name(l, "name", body, blen);
		if (n < blen)
			add_name(l, "target", body + n + 1, blen - n - 1);
		return 0;
	}
	case FC_MKNOD: {
		BODY(struct fc_mknod_in, in);
		add(l, " mode=0%o rdev=%u umask=0%o", in.mode, in.rdev, in.umask);
		add_name(l, "name", body + sizeof(in), blen - sizeof(in));
		return 0;
	}
	case FC_MKDIR: {
		BODY(struct fc_mkdir_in, in);
		add(l, " mode=0%o umask=0%o", in.mode, in.umask);
		add_name(l, "name", body + sizeof(in), blen - sizeof(in));
		return 0;
	}
	case FC_RENAME: case FC_RENAME2: {
		size_t hdr = op == FC_RENAME ? sizeof(struct fc_rename_in)
					     : sizeof(struct fc_rename2_in);
		struct fc_rename2_in in;
		size_t n;

		if (blen < hdr)
			return short_body(l, hdr, blen);
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, hdr);
		add(l, " newdir=%" PRIu64, in.newdir);
		if (op == FC_RENAME2)
			add(l, " flags=0x%x", in.flags);
		n = strnlen((const char *)body + hdr, blen - hdr);
		add_name(l, "old", body + hdr, blen - hdr);
		if (hdr + n < blen)
			add_name(l, "new", body + hdr + n + 1, blen - hdr - n - 1);
		return 0;
	}
	case FC_LINK: {
		BODY(struct fc_link_in, in);
		add(l, " oldnodeid=%" PRIu64, in.oldnodeid);
		add_name(l, "name", body + sizeof(in), blen - sizeof(in));
		return 0;
	}
	case FC_OPEN: case FC_OPENDIR: {
		BODY(struct fc_open_in, in);
		add(l, " flags=0%o open_flags=0x%x", in.flags, in.open_flags);
		return 0;
	}
	case FC_CREATE: {
		BODY(struct fc_create_in, in);
		add(l, " flags=0%o mode=0%o umask=0%o open_flags=0x%x", in.flags,
		    in.mode, in.umask, in.open_flags);
		add_name(l, "name", body + sizeof(in), blen - sizeof(in));
		return 0;
	}
	case FC_READ: case FC_READDIR: case FC_READDIRPLUS: {
		BODY(struct fc_read_in, in);
		add(l, " fh=%" PRIu64 " offset=%" PRIu64 " size=%u read_flags=0x%x"
		       " lock_owner=0x%" PRIx64 " flags=0%o",
		    in.fh, in.offset, in.size, in.read_flags, in.lock_owner, in.flags);
		return 0;
	}
	case FC_WRITE: {
		BODY(struct fc_write_in, in);
		add(l, " fh=%" PRIu64 " offset=%" PRIu64 " size=%u write_flags=0x%x"
		       " lock_owner=0x%" PRIx64 " flags=0%o",
		    in.fh, in.offset, in.size, in.write_flags, in.lock_owner, in.flags);
		if (blen - sizeof(in) != in.size)
			add(l, " MALFORMED(data %zu bytes)", blen - sizeof(in));
		return 0;
	}
	case FC_RELEASE: case FC_RELEASEDIR: {
		BODY(struct fc_release_in, in);
		add(l, " fh=%" PRIu64 " flags=0%o release_flags=0x%x lock_owner=0x%" PRIx64,
		    in.fh, in.flags, in.release_flags, in.lock_owner);
		return 0;
	}
	case FC_FSYNC: case FC_FSYNCDIR: {
		BODY(struct fc_fsync_in, in);
		add(l, " fh=%" PRIu64 " fsync_flags=0x%x", in.fh, in.fsync_flags);
		return 0;
	}
	case FC_FLUSH: {
		BODY(struct fc_flush_in, in);
		add(l, " fh=%" PRIu64 " lock_owner=0x%" PRIx64, in.fh, in.lock_owner);
		return 0;
	}
	case FC_SETXATTR: {
		/* Without SETXATTR_EXT the header is 8 bytes: size, flags. */
		struct fc_setxattr_in in;
		size_t hdr = blen >= sizeof(in) + 2 ? sizeof(in)
						    : FC_COMPAT_SETXATTR_IN_SIZE;

		if (blen < hdr)
			return short_body(l, hdr, blen);
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, hdr);
		add(l, " size=%u flags=0x%x", in.size, in.flags);
		add_name(l, "name", body + hdr, blen - hdr);
		return 0;
	}
	case FC_GETXATTR: case FC_LISTXATTR: {
		BODY(struct fc_getxattr_in, in);
		add(l, " size=%u", in.size);
		if (op == FC_GETXATTR)
			add_name(l, "name", body + sizeof(in), blen - sizeof(in));
		return 0;
	}
	case FC_INIT: {
		/* Old kernels send 16 bytes; flags2 only with INIT_EXT. */
		struct fc_init_in in;

		if (blen < 16)
			return short_body(l, 16, blen);
		memset(&in, 0, sizeof(in));
		memcpy(&in, body, blen < sizeof(in) ? blen : sizeof(in));
		add(l, " major=%u minor=%u max_readahead=%u flags=0x%08x flags2=0x%08x",
		    in.major, in.minor, in.max_readahead, in.flags, in.flags2);
		return 0;
	}
	case FC_GETLK: case FC_SETLK: case FC_SETLKW: {
		BODY(struct fc_lk_in, in);
		add_lk(l, &in);
		return 0;
	}
	case FC_ACCESS: {
		BODY(struct fc_access_in, in);
		add(l, " mask=0%o", in.mask);
		return 0;
	}
	case FC_INTERRUPT: {
		BODY(struct fc_interrupt_in, in);
		add(l, " target=%" PRIu64, in.unique);
		return 0;
	}
	case FC_FALLOCATE: {
		BODY(struct fc_fallocate_in, in);
		add(l, " fh=%" PRIu64 " offset=%" PRIu64 " length=%" PRIu64 " mode=0x%x",
		    in.fh, in.offset, in.length, in.mode);
		return 0;
	}
	case FC_LSEEK: {
		BODY(struct fc_lseek_in, in);
		add(l, " fh=%" PRIu64 " offset=%" PRIu64 " whence=%u", in.fh,
		    in.offset, in.whence);
		return 0;
	}
	case FC_COPY_FILE_RANGE: {
		BODY(struct fc_copy_file_range_in, in);
		add(l, " fh_in=%" PRIu64 " off_in=%" PRIu64 " nodeid_out=%" PRIu64
		       " fh_out=%" PRIu64 " off_out=%" PRIu64 " len=%" PRIu64 " flags=0x%" PRIx64,
		    in.fh_in, in.off_in, in.nodeid_out, in.fh_out, in.off_out,
		    in.len, in.flags);
		return 0;
	}
	case FC_POLL: {
		BODY(struct fc_poll_in, in);
		add(l, " fh=%" PRIu64 " kh=%" PRIu64 " flags=0x%x events=0x%x", in.fh,
		    in.kh, in.flags, in.events);
		return 0;
	}
	case FC_STATX: {
		BODY(struct fc_statx_in, in);
		add(l, " getattr_flags=0x%x fh=%" PRIu64 " sx_flags=0x%x sx_mask=0x%x",
		    in.getattr_flags, in.fh, in.sx_flags, in.sx_mask);
		return 0;
	}
	default:
		if (blen)
			add(l, " body=%zu", blen);
		return 0;
	}
}

static int decode_reply_body(struct line *l, uint32_t op,
			     const unsigned char *body, size_t blen)
{
	switch (op) {
	case FC_LOOKUP: case FC_MKNOD: case FC_MKDIR: case FC_SYMLINK:
	case FC_LINK: {
		BODY(struct fc_entry_out, e);
		add_entry(l, &e);
		return 0;
	}
	case FC_CREATE: {
		struct fc_entry_out e;
		struct fc_open_out o;

		if (blen < sizeof(e) + sizeof(o))
			return short_body(l, sizeof(e) + sizeof(o), blen);
		memcpy(&e, body, sizeof(e));
		memcpy(&o, body + sizeof(e), sizeof(o));
		add_entry(l, &e);
		add(l, " fh=%" PRIu64 " open_flags=0x%x", o.fh, o.open_flags);
		return 0;
	}
	case FC_GETATTR: case FC_SETATTR: {
		BODY(struct fc_attr_out, a);
		add(l, " attr_valid=%" PRIu64 ".%09u ino=%" PRIu64 " mode=0%o nlink=%u"
		       " uid=%u gid=%u size=%" PRIu64,
		    a.attr_valid, a.attr_valid_nsec, a.attr.ino, a.attr.mode,
		    a.attr.nlink, a.attr.uid, a.attr.gid, a.attr.size);
		return 0;
	}
	case FC_OPEN: case FC_OPENDIR: {
		BODY(struct fc_open_out, o);
		add(l, " fh=%" PRIu64 " open_flags=0x%x", o.fh, o.open_flags);
		return 0;
	}
	case FC_WRITE: case FC_COPY_FILE_RANGE: {
		BODY(struct fc_write_out, w);
		add(l, " size=%u", w.size);
		return 0;
	}
	case FC_STATFS: {
		BODY(struct fc_statfs_out, s);
		add(l, " blocks=%" PRIu64 " bfree=%" PRIu64 " files=%" PRIu64
		       " bsize=%u namelen=%u",
		    s.st.blocks, s.st.bfree, s.st.files, s.st.bsize, s.st.namelen);
		return 0;
	}
	case FC_INIT: {
		struct fc_init_out o;

		memset(&o, 0, sizeof(o));
		memcpy(&o, body, blen < sizeof(o) ? blen : sizeof(o));
		add(l, " major=%u minor=%u flags=0x%08x flags2=0x%08x max_write=%u"
		       " max_pages=%u max_background=%u congestion_threshold=%u"
		       " time_gran=%u",
		    o.major, o.minor, o.flags, o.flags2, o.max_write, o.max_pages,
		    o.max_background, o.congestion_threshold, o.time_gran);
		if (blen > sizeof(o))
			add(l, " MALFORMED(%zu bytes)", blen);
		return blen > sizeof(o) ? -EINVAL : 0;
	}
	case FC_GETXATTR: case FC_LISTXATTR:
		if (blen == sizeof(struct fc_getxattr_out)) {
			struct fc_getxattr_out g;

			memcpy(&g, body, sizeof(g));
			add(l, " size=%u (or %zu data bytes)", g.size, blen);
		} else {
			add(l, " data=%zu", blen);
		}
		return 0;
	case FC_GETLK: {
		BODY(struct fc_lk_out, o);
		add(l, " start=%" PRIu64 " end=%" PRIu64 " type=%u lk_pid=%u",
		    o.lk.start, o.lk.end, o.lk.type, o.lk.pid);
		return 0;
	}
	case FC_LSEEK: {
		BODY(struct fc_lseek_out, o);
		add(l, " offset=%" PRIu64, o.offset);
		return 0;
	}
	case FC_POLL: {
		BODY(struct fc_poll_out, o);
		add(l, " revents=0x%x", o.revents);
		return 0;
	}
	case FC_READLINK:
		add_name(l, "target", body, blen);
		return 0;
	default:
		if (blen)
			add(l, " data=%zu", blen);
		return 0;
	}
}

static int decode_notify(struct line *l, uint32_t code,
			 const unsigned char *body, size_t blen)
{
	const char *name = fc_notify_name(code);

	add(l, "notify %s", name ? name : "UNKNOWN");
	switch (code) {
	case FC_NOTIFY_INVAL_INODE: {
		BODY(struct fc_notify_inval_inode_out, n);
		add(l, " ino=%" PRIu64 " off=%" PRId64 " len=%" PRId64, n.ino, n.off, n.len);
		return 0;
	}
	case FC_NOTIFY_INVAL_ENTRY: {
		BODY(struct fc_notify_inval_entry_out, n);
		add(l, " parent=%" PRIu64 " namelen=%u flags=0x%x", n.parent,
		    n.namelen, n.flags);
		add_name(l, "name", body + sizeof(n), blen - sizeof(n));
		return 0;
	}
	case FC_NOTIFY_DELETE: {
		BODY(struct fc_notify_delete_out, n);
		add(l, " parent=%" PRIu64 " child=%" PRIu64 " namelen=%u", n.parent,
		    n.child, n.namelen);
		add_name(l, "name", body + sizeof(n), blen - sizeof(n));
		return 0;
	}
	case FC_NOTIFY_STORE: {
		BODY(struct fc_notify_store_out, n);
		add(l, " nodeid=%" PRIu64 " offset=%" PRIu64 " size=%u", n.nodeid,
		    n.offset, n.size);
		return 0;
	}
	case FC_NOTIFY_RETRIEVE: {
		BODY(struct fc_notify_retrieve_out, n);
		add(l, " notify_unique=%" PRIu64 " nodeid=%" PRIu64 " offset=%" PRIu64
		       " size=%u", n.notify_unique, n.nodeid, n.offset, n.size);
		return 0;
	}
	case FC_NOTIFY_POLL: {
		BODY(struct fc_notify_poll_wakeup_out, n);
		add(l, " kh=%" PRIu64, n.kh);
		return 0;
	}
	default:
		if (blen)
			add(l, " body=%zu", blen);
		return name ? 0 : -EINVAL;
	}
}

int fc_decode(struct fc_decoder *d, enum fc_dir dir, const void *msg,
	      size_t len, char *buf, size_t cap)
{
	const unsigned char *p = msg;
	struct line l = { buf, cap, 0 };

	if (!cap)
		return -EINVAL;
	buf[0] = 0;
	if (dir == FC_DIR_REQUEST) {
		struct fc_in_header h;
		const char *name;
		int err;

		if (len < sizeof(h)) {
			add(&l, "MALFORMED request of %zu bytes", len);
			return -EINVAL;
		}
		memcpy(&h, p, sizeof(h));
		name = fc_opcode_name(h.opcode);
		if (name)
			add(&l, "%s", name);
		else
			add(&l, "OPCODE_%u", h.opcode);
		add(&l, " unique=%" PRIu64 " nodeid=%" PRIu64 " uid=%u gid=%u pid=%u",
		    h.unique, h.nodeid, h.uid, h.gid, h.pid);
		if (h.total_extlen)
			add(&l, " extlen=%u", h.total_extlen * 8u);
		if (h.len != len) {
			add(&l, " MALFORMED(len %u, %zu bytes)", h.len, len);
			return -EINVAL;
		}
		if ((size_t)h.total_extlen * 8u > len - sizeof(h)) {
			add(&l, " MALFORMED(extensions past the end)");
			return -EINVAL;
		}
		if (h.opcode != FC_FORGET && h.opcode != FC_BATCH_FORGET &&
		    h.opcode != FC_INTERRUPT && h.opcode != FC_NOTIFY_REPLY)
			remember(d, h.unique, h.opcode);
		err = decode_request_body(&l, h.opcode, p + sizeof(h),
					  len - sizeof(h) - h.total_extlen * 8u);
		return err;
	} else {
		struct fc_out_header h;
		uint32_t op;
		const char *name;

		if (len < sizeof(h)) {
			add(&l, "MALFORMED reply of %zu bytes", len);
			return -EINVAL;
		}
		memcpy(&h, p, sizeof(h));
		if (h.len != len) {
			add(&l, "MALFORMED reply unique=%" PRIu64 " (len %u, %zu bytes)",
			    h.unique, h.len, len);
			return -EINVAL;
		}
		if (h.unique == 0)
			return decode_notify(&l, (uint32_t)h.error, p + sizeof(h),
					     len - sizeof(h));
		if (h.unique & 1) {
			add(&l, "reply INTERRUPT unique=%" PRIu64 " error=%d", h.unique,
			    h.error);
			return 0;
		}
		op = forget(d, h.unique);
		name = op ? fc_opcode_name(op) : NULL;
		add(&l, "reply %s unique=%" PRIu64 " error=%d", name ? name : "?",
		    h.unique, h.error);
		if (h.error || !op)
			return len == sizeof(h) || !h.error ? 0 : -EINVAL;
		return decode_reply_body(&l, op, p + sizeof(h), len - sizeof(h));
	}
}

/* ---- FCAP ------------------------------------------------------------------ */

int fc_fcap_check(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t version;

	if (len < FC_FCAP_HEADER_SIZE || memcmp(p, "FCAP", 4) != 0)
		return -EINVAL;
	memcpy(&version, p + 4, 4);
	return version == 1 ? 0 : -EINVAL;
}

int fc_fcap_next(const void *buf, size_t len, size_t *off,
		 struct fc_fcap_record *rec)
{
	const unsigned char *p = buf;
	uint32_t n;

	if (*off == len)
		return 0;
	if (*off > len || len - *off < 8)
		return -EINVAL;
	p += *off;
	if (p[0] > 1 || p[1] || p[2] || p[3])
		return -EINVAL;
	memcpy(&n, p + 4, 4);
	if (n > len - *off - 8)
		return -EINVAL;
	rec->dir = p[0] ? FC_DIR_REPLY : FC_DIR_REQUEST;
	rec->msg = p + 8;
	rec->len = n;
	*off += 8 + (size_t)n;
	return 1;
}
