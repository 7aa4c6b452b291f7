/*
 * fuzz_reply: what a hostile daemon writes back, for every opcode.
 *
 * A real fc_conn runs over the memory transport in polled mode; the
 * harness is the daemon (its pump).  The input chooses the requests that
 * are pending (one synchronous "main" request and up to three background
 * ones, shaped as the FUSE client builds them: opcode, input pieces,
 * output sizes, OUT_VAR) and then is a script of daemon actions: raw
 * messages (with optional fix-ups of the unique and length so that the
 * fuzzer reaches past the framing checks), well-formed replies, error
 * replies, interrupts of the main request and the daemon's death.  Every
 * request the daemon reads and every message it writes also goes through
 * fc_decode().
 *
 * Input layout:
 *   byte 0   INIT reply: minor (bits 0-2), grant all flags (bit 3),
 *            max_background 0/1/2/3 (bits 4-5), main request first (bit 6),
 *            no notification handler (bit 7)
 *   byte 1   main request shape
 *   byte 2   background requests (bits 0-1), their shapes follow;
 *            skip the ENOSYS cache (bit 2), transport kind (bit 3),
 *            notification handler result (bit 4), READ-like out size
 *            large (bit 5)
 *   u16      variable out size (OUT_VAR pieces), variable in size
 *   ...      one shape byte per background request
 *   script   until the input ends: op byte, then its operands (below)
 * At the end of the script the daemon disconnects.
 *
 * Invariants (trap on violation), beyond "no crash, no leak":
 *  - every request returns (sync) or ends (background) exactly once;
 *    nothing is pending, live or queued after the disconnect;
 *  - a write(2) result is one of the documented ones, and it agrees with
 *    the connection's counters (one rejected message = one bad_* count,
 *    one accepted reply = one reply, one notification = one notification);
 *  - a reply is accepted only for a unique that was sent and is still
 *    pending, at most once per unique;
 *  - a request whose reply was accepted returns exactly that: the error,
 *    or the payload length with the payload bytes in its out pieces and
 *    nothing written past them; one whose reply was rejected gets -EIO;
 *    any other ending is -ENOTCONN / -ECONNREFUSED / -EINTR / cached -ENOSYS;
 *  - an accepted ENOSYS is cached for the opcodes Linux caches;
 *  - the notification handler only sees well-sized notifications;
 *  - the decoder agrees about framing (short message, len mismatch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fusecore/conn.h"
#include "fusecore/decode.h"
#include "fusecore/mock.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"
#include "protocol/conn_i.h" /* read-only checks of the pending table */

/* ---- Request shapes, as the client builds them ------------------------------ */

#define SZ_VAR 0xFFFFFFFFu  /* sized from the input */
#define SZ_NAME 0xFFFFFFFEu /* a NUL-terminated name */

struct shape {
	uint32_t opcode;
	unsigned nin;
	uint32_t in[3];
	unsigned nout;
	uint32_t out[2];
	unsigned flags;
};

#define S(x) ((uint32_t)sizeof(struct x))
static const struct shape shapes[] = {
	{ FC_LOOKUP, 1, { SZ_NAME }, 1, { S(fc_entry_out) }, 0 },
	{ FC_FORGET, 1, { S(fc_forget_in) }, 0, { 0 }, FC_ARGS_NOREPLY | FC_ARGS_FORCE },
	{ FC_GETATTR, 1, { S(fc_getattr_in) }, 1, { S(fc_attr_out) }, 0 },
	{ FC_SETATTR, 1, { S(fc_setattr_in) }, 1, { S(fc_attr_out) }, 0 },
	{ FC_READLINK, 0, { 0 }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_SYMLINK, 2, { SZ_NAME, SZ_NAME }, 1, { S(fc_entry_out) }, 0 },
	{ FC_MKNOD, 2, { S(fc_mknod_in), SZ_NAME }, 1, { S(fc_entry_out) }, 0 },
	{ FC_MKDIR, 2, { S(fc_mkdir_in), SZ_NAME }, 1, { S(fc_entry_out) }, 0 },
	{ FC_UNLINK, 1, { SZ_NAME }, 0, { 0 }, 0 },
	{ FC_RMDIR, 1, { SZ_NAME }, 0, { 0 }, 0 },
	{ FC_RENAME, 3, { S(fc_rename_in), SZ_NAME, SZ_NAME }, 0, { 0 }, 0 },
	{ FC_LINK, 2, { S(fc_link_in), SZ_NAME }, 1, { S(fc_entry_out) }, 0 },
	{ FC_OPEN, 1, { S(fc_open_in) }, 1, { S(fc_open_out) }, 0 },
	{ FC_READ, 1, { S(fc_read_in) }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_WRITE, 2, { S(fc_write_in), SZ_VAR }, 1, { S(fc_write_out) }, 0 },
	{ FC_STATFS, 0, { 0 }, 1, { S(fc_statfs_out) }, 0 },
	{ FC_RELEASE, 1, { S(fc_release_in) }, 0, { 0 }, FC_ARGS_NOCREDS | FC_ARGS_FORCE },
	{ FC_FSYNC, 1, { S(fc_fsync_in) }, 0, { 0 }, 0 },
	{ FC_SETXATTR, 3, { S(fc_setxattr_in), SZ_NAME, SZ_VAR }, 0, { 0 }, 0 },
	{ FC_GETXATTR, 2, { S(fc_getxattr_in), SZ_NAME }, 1, { S(fc_getxattr_out) }, 0 },
	{ FC_GETXATTR, 2, { S(fc_getxattr_in), SZ_NAME }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_LISTXATTR, 1, { S(fc_getxattr_in) }, 1, { S(fc_getxattr_out) }, 0 },
	{ FC_LISTXATTR, 1, { S(fc_getxattr_in) }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_REMOVEXATTR, 1, { SZ_NAME }, 0, { 0 }, 0 },
	{ FC_FLUSH, 1, { S(fc_flush_in) }, 0, { 0 }, 0 },
	{ FC_OPENDIR, 1, { S(fc_open_in) }, 1, { S(fc_open_out) }, 0 },
	{ FC_READDIR, 1, { S(fc_read_in) }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_RELEASEDIR, 1, { S(fc_release_in) }, 0, { 0 }, FC_ARGS_NOCREDS | FC_ARGS_FORCE },
	{ FC_FSYNCDIR, 1, { S(fc_fsync_in) }, 0, { 0 }, 0 },
	{ FC_GETLK, 1, { S(fc_lk_in) }, 1, { S(fc_lk_out) }, 0 },
	{ FC_SETLK, 1, { S(fc_lk_in) }, 0, { 0 }, 0 },
	{ FC_SETLKW, 1, { S(fc_lk_in) }, 0, { 0 }, 0 },
	{ FC_ACCESS, 1, { S(fc_access_in) }, 0, { 0 }, 0 },
	{ FC_CREATE, 2, { S(fc_create_in), SZ_NAME }, 2, { S(fc_entry_out), S(fc_open_out) }, 0 },
	{ FC_BMAP, 1, { S(fc_bmap_in) }, 1, { S(fc_bmap_out) }, 0 },
	{ FC_DESTROY, 0, { 0 }, 0, { 0 }, FC_ARGS_FORCE | FC_ARGS_NOCREDS },
	{ FC_IOCTL, 2, { S(fc_ioctl_in), SZ_VAR }, 2, { S(fc_ioctl_out), SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_POLL, 1, { S(fc_poll_in) }, 1, { S(fc_poll_out) }, 0 },
	{ FC_NOTIFY_REPLY, 2, { S(fc_notify_retrieve_in), SZ_VAR }, 0, { 0 }, FC_ARGS_NOREPLY },
	{ FC_BATCH_FORGET, 2, { S(fc_batch_forget_in), S(fc_forget_one) }, 0, { 0 }, FC_ARGS_NOREPLY | FC_ARGS_FORCE },
	{ FC_FALLOCATE, 1, { S(fc_fallocate_in) }, 0, { 0 }, 0 },
	{ FC_READDIRPLUS, 1, { S(fc_read_in) }, 1, { SZ_VAR }, FC_ARGS_OUT_VAR },
	{ FC_RENAME2, 3, { S(fc_rename2_in), SZ_NAME, SZ_NAME }, 0, { 0 }, 0 },
	{ FC_LSEEK, 1, { S(fc_lseek_in) }, 1, { S(fc_lseek_out) }, 0 },
	{ FC_COPY_FILE_RANGE, 1, { S(fc_copy_file_range_in) }, 1, { S(fc_write_out) }, 0 },
	{ FC_SETUPMAPPING, 1, { S(fc_setupmapping_in) }, 0, { 0 }, 0 },
	{ FC_REMOVEMAPPING, 2, { S(fc_removemapping_in), S(fc_removemapping_one) }, 0, { 0 }, 0 },
	{ FC_SYNCFS, 1, { S(fc_syncfs_in) }, 0, { 0 }, 0 },
	{ FC_TMPFILE, 2, { S(fc_create_in), SZ_NAME }, 2, { S(fc_entry_out), S(fc_open_out) }, 0 },
	{ FC_STATX, 1, { S(fc_statx_in) }, 1, { S(fc_statx_out) }, 0 },
	{ FC_COPY_FILE_RANGE_64, 1, { S(fc_copy_file_range_in) }, 1, { S(fc_copy_file_range_out) }, 0 },
	{ 99, 0, { 0 }, 0, { 0 }, 0 }, /* an opcode nobody knows */
};
#undef S
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* ---- Harness state ------------------------------------------------------------- */

#define MAX_HREQ 4          /* main + 3 background */
#define MAX_REC 1024        /* requests the daemon reads */
#define CANARY 16
#define TAG_BASE 0x7a00     /* nodeid of harness request i: TAG_BASE + i */

struct hreq {
	const struct shape *sh;
	struct fc_args args;
	int background;
	int submitted;          /* submission returned 0 (bg) or was attempted (sync) */
	int done;               /* result known */
	int ends;               /* background end calls */
	int result;
	int sent;               /* the daemon read it at least once */
	int accepted;           /* a reply naming it was accepted */
	int acc_error;
	unsigned char *acc_payload;
	size_t acc_len;
	int named_bad;          /* a rejected write named it: -EIO allowed */
	unsigned char *in_buf[3];
	unsigned char *out_buf[2];
	uint32_t out_alloc[2];
};

struct rec {
	struct fc_in_header h;
	int hreq;               /* index into hreqs, -1 for INIT/INTERRUPT/others */
	int reply_accepted;
};

struct harness {
	struct fz_in in;
	const struct fc_platform *plat;
	struct fc_transport *t;
	struct fc_conn *c;
	struct fc_decoder *dec;
	uint8_t init_cfg, opts;
	uint32_t minor;
	int notify_ret;
	int no_notify;
	int gone;
	int overflow;
	struct hreq h[MAX_HREQ];
	unsigned nh;
	struct rec rec[MAX_REC];
	unsigned nrec;
	unsigned char reqbuf[1 << 17];
	char line[512];
	unsigned notifications_seen;
};

static const uint32_t minors[8] = { 45, 31, 23, 17, 12, 8, 4, 45 };

/* ---- The decoder --------------------------------------------------------------- */

static void decode(struct harness *hs, enum fc_dir dir, const void *msg,
		   size_t len)
{
	int r;

	if (!hs->dec)
		return;
	r = fc_decode(hs->dec, dir, msg, len, hs->line, sizeof(hs->line));
	FZ_CHECK(r == 0 || r == -EINVAL);
	FZ_CHECK(memchr(hs->line, 0, sizeof(hs->line)) != NULL);
	if (len < sizeof(struct fc_out_header))
		FZ_CHECK(r == -EINVAL);
}

/* ---- Daemon side: reading ----------------------------------------------------- */

static void drain(struct harness *hs)
{
	long n;

	while ((n = fc_mem_daemon_read(hs->t, hs->reqbuf, sizeof(hs->reqbuf), 0)) > 0) {
		struct rec *r;
		struct fc_in_header h;

		FZ_CHECK((size_t)n >= sizeof(h));
		memcpy(&h, hs->reqbuf, sizeof(h));
		FZ_CHECK(h.len == (uint32_t)n);
		decode(hs, FC_DIR_REQUEST, hs->reqbuf, (size_t)n);
		/* Uniques: even and increasing; INTERRUPT is the target's | 1. */
		if (h.opcode == FC_INTERRUPT)
			FZ_CHECK(h.unique & 1);
		else
			FZ_CHECK(!(h.unique & 1) && h.unique != 0);
		if (h.opcode != FC_INIT && h.opcode != FC_INTERRUPT &&
		    h.nodeid >= TAG_BASE && h.nodeid < TAG_BASE + hs->nh) {
			FZ_CHECK(h.opcode == hs->h[h.nodeid - TAG_BASE].args.opcode);
			hs->h[h.nodeid - TAG_BASE].sent = 1;
		}
		if (hs->nrec >= MAX_REC) {
			/* Out of room to check replies: the script ends here. */
			hs->overflow = 1;
			continue;
		}
		r = &hs->rec[hs->nrec++];
		r->h = h;
		r->hreq = -1;
		r->reply_accepted = 0;
		if (h.opcode != FC_INIT && h.opcode != FC_INTERRUPT &&
		    h.nodeid >= TAG_BASE && h.nodeid < TAG_BASE + hs->nh)
			r->hreq = (int)(h.nodeid - TAG_BASE);
	}
	FZ_CHECK(n == 0 || n == -ENODEV);
}

static struct rec *rec_by_unique(struct harness *hs, uint64_t unique)
{
	unsigned i;

	for (i = 0; i < hs->nrec; i++)
		if (hs->rec[i].h.unique == unique)
			return &hs->rec[i];
	return NULL;
}

/* ---- Daemon side: writing ----------------------------------------------------- */

static uint64_t bad_sum(const struct fc_conn_stats *s)
{
	return s->bad_short + s->bad_len + s->bad_error + s->bad_unique +
	       s->bad_size + s->bad_err_payload + s->bad_interrupt +
	       s->bad_notify;
}

static int hreq_finished(const struct hreq *q)
{
	return q->background ? q->ends > 0 : q->done;
}

/* Write one daemon message and check what the connection made of it. */
static void daemon_write(struct harness *hs, const unsigned char *msg, size_t len)
{
	struct fc_conn_stats before, after;
	struct fc_out_header oh;
	struct rec *target = NULL;
	int framing_bad, r;

	memset(&oh, 0, sizeof(oh));
	if (len >= sizeof(oh))
		memcpy(&oh, msg, sizeof(oh));
	framing_bad = len < sizeof(oh) || oh.len != len;
	decode(hs, FC_DIR_REPLY, msg, len);
	if (framing_bad && hs->dec) {
		/* fc_decode must agree that the frame is broken. */
		FZ_CHECK(fc_decode(hs->dec, FC_DIR_REPLY, msg, len, hs->line,
				   sizeof(hs->line)) == -EINVAL);
	}
	if (!framing_bad && oh.unique && !(oh.unique & 1))
		target = rec_by_unique(hs, oh.unique);
	/* A reply to a request that is still pending must be accepted or be a
	 * counted rejection; remember whether it was pending before. */
	fc_conn_stats(hs->c, &before);
	r = fc_mem_daemon_write(hs->t, msg, len);
	fc_conn_stats(hs->c, &after);

	if (hs->gone) {
		FZ_CHECK(r == -ENOTCONN);
		return;
	}
	if (framing_bad)
		FZ_CHECK(r == -EINVAL);
	switch (r) {
	case 0:
		FZ_CHECK(bad_sum(&after) == bad_sum(&before));
		if (oh.unique == 0) {
			FZ_CHECK(after.notifications == before.notifications + 1);
		} else if (oh.unique & 1) {
			/* An INTERRUPT reply: its target was pending. */
			struct rec *t = rec_by_unique(hs, oh.unique & ~1ull);

			FZ_CHECK(len == sizeof(oh));
			FZ_CHECK(t != NULL);
			FZ_CHECK(!t->reply_accepted);
			FZ_CHECK(t->hreq < 0 || !hreq_finished(&hs->h[t->hreq]));
			FZ_CHECK(after.replies == before.replies);
		} else {
			/* A reply: for a unique sent, never answered before. */
			FZ_CHECK(after.replies == before.replies + 1);
			FZ_CHECK(target != NULL);
			FZ_CHECK(!target->reply_accepted);
			FZ_CHECK(target->h.opcode != FC_FORGET &&
				 target->h.opcode != FC_BATCH_FORGET &&
				 target->h.opcode != FC_NOTIFY_REPLY &&
				 target->h.opcode != FC_INTERRUPT);
			target->reply_accepted = 1;
			if (target->hreq >= 0) {
				struct hreq *q = &hs->h[target->hreq];
				size_t plen = len - sizeof(oh);

				FZ_CHECK(!q->accepted);
				q->accepted = 1;
				q->acc_error = oh.error;
				if (!oh.error && plen) {
					q->acc_payload = malloc(plen);
					FZ_CHECK(q->acc_payload != NULL);
					memcpy(q->acc_payload, msg + sizeof(oh), plen);
				}
				q->acc_len = oh.error ? 0 : plen;
				/* An accepted ENOSYS is remembered where Linux does. */
				if (oh.error == -ENOSYS &&
				    fc_opcode_caches_nosys(q->args.opcode) &&
				    !(q->args.flags & FC_ARGS_NO_NOSYS_CACHE))
					FZ_CHECK(fc_conn_nosys(hs->c, q->args.opcode));
			}
		}
		break;
	case -EINVAL:
	case -ENOENT:
	case -ENAMETOOLONG:
		FZ_CHECK(bad_sum(&after) == bad_sum(&before) + 1);
		FZ_CHECK(after.replies == before.replies);
		FZ_CHECK(after.notifications == before.notifications);
		if (r == -ENAMETOOLONG)
			FZ_CHECK(oh.unique == 0);
		/* A rejected message that names a pending request fails it. */
		if (oh.unique && !(oh.unique & 1)) {
			struct rec *t = rec_by_unique(hs, oh.unique);

			if (t && t->hreq >= 0)
				hs->h[t->hreq].named_bad = 1;
		}
		break;
	default:
		/* Only the notification handler says anything else. */
		FZ_CHECK(oh.unique == 0 && !framing_bad);
		FZ_CHECK(after.notifications == before.notifications + 1);
		FZ_CHECK(r == (hs->no_notify ? -ENOSYS : hs->notify_ret));
		break;
	}
}

/* Build a header + payload message and write it. */
static void write_reply(struct harness *hs, uint64_t unique, int32_t error,
			const void *payload, size_t plen)
{
	struct fc_out_header oh;
	unsigned char *buf = malloc(sizeof(oh) + plen);

	FZ_CHECK(buf != NULL);
	oh.len = (uint32_t)(sizeof(oh) + plen);
	oh.error = error;
	oh.unique = unique;
	memcpy(buf, &oh, sizeof(oh));
	if (plen)
		memcpy(buf + sizeof(oh), payload, plen);
	daemon_write(hs, buf, sizeof(oh) + plen);
	free(buf);
}

/* A correct INIT reply as the header byte describes it. */
static void init_reply(struct harness *hs, uint64_t unique)
{
	struct fc_init_out o;
	uint64_t flags = (hs->init_cfg & 8) ? ~(uint64_t)0 & ~FC_INIT_RESERVED :
		FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES | FC_INIT_EXT;

	fc_mock_init_out(&o, flags);
	o.minor = hs->minor;
	o.max_background = (uint16_t)((hs->init_cfg >> 4) & 3);
	o.congestion_threshold = o.max_background;
	write_reply(hs, unique, 0, &o, sizeof(o));
}

/* ---- The script ------------------------------------------------------------------- */

enum { OP_RAW0, OP_RAW1, OP_RAW2, OP_RAW3, OP_INTERRUPT, OP_VALID,
       OP_DISCONNECT, OP_ERROR, OP_MAX };

static struct rec *pick_rec(struct harness *hs, uint8_t k)
{
	return hs->nrec ? &hs->rec[k % hs->nrec] : NULL;
}

static void disconnect(struct harness *hs)
{
	if (hs->gone)
		return;
	hs->gone = 1;
	fc_mem_daemon_disconnect(hs->t);
}

/* A raw message: [target][u16 len][bytes], with fix-ups of the header. */
static void op_raw(struct harness *hs)
{
	uint8_t target = fz_u8(&hs->in);
	size_t len = fz_u16(&hs->in);
	unsigned char *msg = malloc(len ? len : 1);
	struct rec *r = pick_rec(hs, (uint8_t)(target >> 3));

	FZ_CHECK(msg != NULL);
	fz_take(&hs->in, msg, len);
	if (len >= sizeof(struct fc_out_header)) {
		struct fc_out_header oh;

		memcpy(&oh, msg, sizeof(oh));
		switch (target & 3) {
		case 0: break;                            /* as given */
		case 1: if (r) oh.unique = r->h.unique; break;
		case 2: if (r) oh.unique = r->h.unique | 1; break;
		case 3: oh.unique = 0; break;             /* a notification */
		}
		if (target & 4)
			oh.len = (uint32_t)len;
		memcpy(msg, &oh, sizeof(oh));
	}
	daemon_write(hs, msg, len);
	free(msg);
}

/* A well-formed success reply to the k-th request read: [k][u16 len][bytes]. */
static void op_valid(struct harness *hs)
{
	struct rec *r = pick_rec(hs, fz_u8(&hs->in));
	uint16_t want = fz_u16(&hs->in);
	size_t plen = 0;
	unsigned char *p;

	if (!r)
		return;
	if (r->h.opcode == FC_INIT) {
		init_reply(hs, r->h.unique);
		return;
	}
	if (r->h.opcode == FC_INTERRUPT) {
		write_reply(hs, r->h.unique, -(int32_t)(want % 16), NULL, 0);
		return;
	}
	if (r->hreq >= 0) {
		const struct fc_args *a = &hs->h[r->hreq].args;
		unsigned i;

		for (i = 0; i < a->out_numargs; i++)
			plen += a->out[i].size;
		if ((a->flags & FC_ARGS_OUT_VAR) && a->out_numargs &&
		    want < a->out[a->out_numargs - 1].size)
			plen -= a->out[a->out_numargs - 1].size - want;
	}
	p = malloc(plen ? plen : 1);
	FZ_CHECK(p != NULL);
	fz_take(&hs->in, p, plen);
	write_reply(hs, r->h.unique, 0, p, plen);
	free(p);
}

/* A header-only reply with an error: [k][u16 err], error = -(err % 600). */
static void op_error(struct harness *hs)
{
	struct rec *r = pick_rec(hs, fz_u8(&hs->in));
	int32_t err = -(int32_t)(fz_u16(&hs->in) % 600);

	if (r)
		write_reply(hs, r->h.unique, err, NULL, 0);
}

/*
 * The memory transport's pump: read what was sent, then play script items
 * until one acted.  At the end of the script the daemon goes away.
 */
static int pump(void *ctx)
{
	struct harness *hs = ctx;

	for (;;) {
		uint8_t op;

		if (!hs->gone)
			drain(hs);
		if (hs->gone)
			return 0;
		if (fz_empty(&hs->in) || hs->overflow) {
			disconnect(hs);
			return 0;
		}
		op = fz_u8(&hs->in) % OP_MAX;
		switch (op) {
		case OP_RAW0: case OP_RAW1: case OP_RAW2: case OP_RAW3:
			op_raw(hs);
			return 1;
		case OP_INTERRUPT:
			fc_conn_interrupt(hs->c, &hs->h[0], fz_u8(&hs->in) & 1);
			return 1;
		case OP_VALID:
			op_valid(hs);
			return 1;
		case OP_DISCONNECT:
			disconnect(hs);
			return 0;
		case OP_ERROR:
			op_error(hs);
			return 1;
		}
	}
}

/* ---- Notifications ------------------------------------------------------------ */

static int on_notify(void *ctx, uint32_t code, const void *payload, size_t len)
{
	struct harness *hs = ctx;
	const unsigned char *p = payload;

	hs->notifications_seen++;
	switch (code) {
	case FC_NOTIFY_POLL:
		FZ_CHECK(len == sizeof(struct fc_notify_poll_wakeup_out));
		break;
	case FC_NOTIFY_INVAL_INODE:
		FZ_CHECK(len == sizeof(struct fc_notify_inval_inode_out));
		break;
	case FC_NOTIFY_RETRIEVE:
		FZ_CHECK(len == sizeof(struct fc_notify_retrieve_out));
		break;
	case FC_NOTIFY_INVAL_ENTRY: {
		struct fc_notify_inval_entry_out e;

		FZ_CHECK(len >= sizeof(e));
		memcpy(&e, p, sizeof(e));
		FZ_CHECK(e.namelen <= fc_conn_info(hs->c)->name_max);
		FZ_CHECK(len == sizeof(e) + e.namelen + 1);
		break;
	}
	case FC_NOTIFY_DELETE: {
		struct fc_notify_delete_out d;

		FZ_CHECK(len >= sizeof(d));
		memcpy(&d, p, sizeof(d));
		FZ_CHECK(d.namelen <= fc_conn_info(hs->c)->name_max);
		FZ_CHECK(len == sizeof(d) + d.namelen + 1);
		break;
	}
	case FC_NOTIFY_STORE: {
		struct fc_notify_store_out s;

		FZ_CHECK(len >= sizeof(s));
		memcpy(&s, p, sizeof(s));
		FZ_CHECK(len - sizeof(s) == s.size);
		break;
	}
	case FC_NOTIFY_PRUNE: {
		struct fc_notify_prune_out pr;

		FZ_CHECK(len >= sizeof(pr));
		memcpy(&pr, p, sizeof(pr));
		FZ_CHECK((len - sizeof(pr)) % 8 == 0 &&
			 (len - sizeof(pr)) / 8 == pr.count);
		break;
	}
	case FC_NOTIFY_INC_EPOCH:
		break;
	default:
		/* RESEND is the connection's own; unknown codes never get here. */
		FZ_CHECK(0);
	}
	return hs->notify_ret;
}

/* ---- Requests ------------------------------------------------------------------- */

static void bg_end(struct fc_conn *c, struct fc_args *args, int error, void *ctx)
{
	struct hreq *q = ctx;

	(void)c;
	FZ_CHECK(args == &q->args);
	q->ends++;
	FZ_CHECK(q->ends == 1);
	q->done = 1;
	q->result = error;
	/* A background request's result is 0 or -errno, never a length. */
	FZ_CHECK(error <= 0);
}

static void build_req(struct harness *hs, unsigned i, uint8_t shape_byte,
		      uint16_t var_out, uint16_t var_in, int background)
{
	struct hreq *q = &hs->h[i];
	struct fc_args *a = &q->args;
	unsigned j;

	q->sh = &shapes[shape_byte % NSHAPES];
	q->background = background;
	memset(a, 0, sizeof(*a));
	a->opcode = q->sh->opcode;
	a->nodeid = TAG_BASE + i;
	a->flags = q->sh->flags;
	if (hs->opts & 4)
		a->flags |= FC_ARGS_NO_NOSYS_CACHE;
	a->creds.uid = 1000;
	a->creds.gid = 1000;
	a->creds.pid = 4242 + i;
	a->task = q;
	a->in_numargs = q->sh->nin;
	for (j = 0; j < q->sh->nin; j++) {
		uint32_t sz = q->sh->in[j];

		if (sz == SZ_NAME) {
			static const char names[][8] = { "f1", "dir", "x", "..", "a/b", "" };
			const char *nm = names[(i + j) % 6];

			sz = (uint32_t)strlen(nm) + 1;
			q->in_buf[j] = malloc(sz);
			FZ_CHECK(q->in_buf[j] != NULL);
			memcpy(q->in_buf[j], nm, sz);
		} else {
			if (sz == SZ_VAR)
				sz = var_in;
			q->in_buf[j] = malloc(sz ? sz : 1);
			FZ_CHECK(q->in_buf[j] != NULL);
			memset(q->in_buf[j], (int)(0x11 * (j + 1)), sz);
		}
		a->in[j].value = q->in_buf[j];
		a->in[j].size = sz;
	}
	a->out_numargs = q->sh->nout;
	for (j = 0; j < q->sh->nout; j++) {
		uint32_t sz = q->sh->out[j] == SZ_VAR ? var_out : q->sh->out[j];

		q->out_alloc[j] = sz;
		q->out_buf[j] = malloc(sz + CANARY);
		FZ_CHECK(q->out_buf[j] != NULL);
		memset(q->out_buf[j], 0xA5, sz + CANARY);
		a->out[j].value = q->out_buf[j];
		a->out[j].size = sz;
	}
}

static void submit_bg(struct harness *hs, struct hreq *q)
{
	int r = fc_conn_send_bg(hs->c, &q->args, bg_end, q);

	if (r == 0) {
		q->submitted = 1;
		return;
	}
	/* Not queued: the end callback never runs. */
	FZ_CHECK(r == -ENOTCONN || r == -ECONNREFUSED || r == -ENOSYS);
	FZ_CHECK(q->ends == 0);
	q->done = 1;
	q->result = r;
	q->submitted = 0;
}

/* Is @q's ending consistent with what the daemon did? */
static void check_result(struct harness *hs, struct hreq *q)
{
	const struct fc_args *a = &q->args;
	unsigned j;
	int r = q->result;

	FZ_CHECK(q->done);
	if (q->background && q->submitted)
		FZ_CHECK(q->ends == 1);
	else
		FZ_CHECK(q->ends == 0);
	for (j = 0; j < a->out_numargs; j++) {
		unsigned k;

		/* Nothing written past the out pieces (compat may shrink them). */
		FZ_CHECK(a->out[j].size <= q->out_alloc[j]);
		for (k = 0; k < CANARY; k++)
			FZ_CHECK(q->out_buf[j][q->out_alloc[j] + k] == 0xA5);
	}
	if (q->accepted) {
		if (q->acc_error) {
			FZ_CHECK(r == q->acc_error);
			return;
		}
		if (q->background) {
			FZ_CHECK(r == 0);
		} else {
			FZ_CHECK(r >= 0 && (size_t)r == q->acc_len);
		}
		FZ_CHECK(a->out_len == q->acc_len);
		{
			size_t off = 0;

			for (j = 0; j < a->out_numargs && off < q->acc_len; j++) {
				size_t take = a->out[j].size;

				if (take > q->acc_len - off)
					take = q->acc_len - off;
				FZ_CHECK(memcmp(q->out_buf[j], q->acc_payload + off, take) == 0);
				off += take;
			}
			FZ_CHECK(off == q->acc_len);
		}
		if (!(a->flags & FC_ARGS_OUT_VAR)) {
			size_t total = 0;

			for (j = 0; j < a->out_numargs; j++)
				total += a->out[j].size;
			FZ_CHECK(q->acc_len == total);
		}
		return;
	}
	if (a->flags & FC_ARGS_NOREPLY) {
		FZ_CHECK(r == 0 || r == -ENOTCONN || r == -ECONNREFUSED ||
			 r == -EINTR);
		return;
	}
	switch (r) {
	case -EIO:
		FZ_CHECK(q->named_bad);
		break;
	case -ENOTCONN:
	case -ECONNREFUSED:
		break;
	case -EINTR:
		/* Only a fatal interrupt before the request was sent. */
		FZ_CHECK(!q->background && !q->sent);
		break;
	case -ENOSYS:
		/* Cached from an earlier answer: never sent. */
		FZ_CHECK(fc_conn_nosys(hs->c, a->opcode));
		FZ_CHECK(!q->sent);
		break;
	default:
		fprintf(stderr, "fuzz_reply: opcode %u ended with %d\n",
			a->opcode, r);
		FZ_CHECK(0);
	}
}

/* ---- Entry point -------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness hs_storage;
	struct harness *hs = &hs_storage;
	struct fc_failing fail;
	struct fc_conn_config cfg;
	uint8_t main_shape, nbg;
	uint16_t var_out, var_in;
	unsigned i;
	int r;

	memset(hs, 0, offsetof(struct harness, reqbuf));
	hs->in.p = data;
	hs->in.n = size;
	hs->init_cfg = fz_u8(&hs->in);
	main_shape = fz_u8(&hs->in);
	hs->opts = fz_u8(&hs->in);
	var_out = fz_u16(&hs->in);
	var_in = fz_u16(&hs->in);
	if (hs->opts & 32)
		var_out = (uint16_t)(var_out | 0x8000);
	hs->minor = minors[hs->init_cfg & 7];
	hs->no_notify = !!(hs->init_cfg & 0x80);
	hs->notify_ret = (hs->opts & 16) ? -EBADMSG : 0;
	nbg = hs->opts & 3;
	hs->nh = 1 + nbg;

	hs->plat = fz_begin(&fail);
	hs->dec = fc_decoder_new();
	FZ_CHECK(fc_mem_transport_new(hs->plat,
				      (hs->opts & 8) ? FC_TRANSPORT_VIRTIO_FS :
						       FC_TRANSPORT_FUSE_DEV,
				      pump, hs, &hs->t) == 0);
	fc_conn_config_default(&cfg, hs->plat, hs->t);
	if (!hs->no_notify) {
		cfg.notify = on_notify;
		cfg.notify_ctx = hs;
	}
	FZ_CHECK(fc_conn_new(&cfg, &hs->c) == 0);

	build_req(hs, 0, main_shape, var_out, var_in, 0);
	for (i = 1; i < hs->nh; i++)
		build_req(hs, i, fz_u8(&hs->in), var_out, var_in, 1);

	if (hs->init_cfg & 0x40) {
		/* Requests queue up behind INIT (fuse_block_alloc). */
		FZ_CHECK(fc_conn_init_start(hs->c) == 0);
	} else {
		r = fc_conn_init(hs->c);
		FZ_CHECK(r == 0 || r == -ECONNREFUSED || r == -EIO ||
			 r == -ENOTCONN);
		FZ_CHECK((r == 0) == (fc_conn_state(hs->c) == FC_CONN_READY));
	}
	for (i = 1; i < hs->nh; i++)
		submit_bg(hs, &hs->h[i]);

	r = fc_conn_send(hs->c, &hs->h[0].args);
	hs->h[0].submitted = 1;
	hs->h[0].done = 1;
	hs->h[0].result = r;
	if (r >= 0)
		FZ_CHECK((uint32_t)r == hs->h[0].args.out_len);

	/* The rest of the script, then the daemon goes away. */
	while (pump(hs) > 0)
		;
	disconnect(hs);

	/* Nothing may be left waiting. */
	FZ_CHECK(fc_conn_state(hs->c) == FC_CONN_ABORTED);
	FZ_CHECK(hs->c->npending == 0);
	FZ_CHECK(hs->c->live == NULL);
	FZ_CHECK(hs->c->bg_head == NULL);
	FZ_CHECK(fc_conn_num_background(hs->c) == 0);
	FZ_CHECK(fc_mem_queued(hs->t) == 0);
	for (i = 0; i < hs->nh; i++)
		check_result(hs, &hs->h[i]);
	/* A later request fails at once. */
	{
		struct fc_args a;

		memset(&a, 0, sizeof(a));
		a.opcode = FC_GETATTR;
		FZ_CHECK(fc_conn_send(hs->c, &a) == -ENOTCONN);
	}

	fc_conn_free(hs->c);
	fc_decoder_free(hs->dec);
	for (i = 0; i < hs->nh; i++) {
		unsigned j;

		for (j = 0; j < 3; j++)
			free(hs->h[i].in_buf[j]);
		for (j = 0; j < 2; j++)
			free(hs->h[i].out_buf[j]);
		free(hs->h[i].acc_payload);
	}
	fz_end(&fail);
	return 0;
}
