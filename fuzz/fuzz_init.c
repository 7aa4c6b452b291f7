/*
 * fuzz_init: INIT negotiation against arbitrary reply bytes.
 *
 * The input gives the INIT profile the embedder chose (kind, requested
 * flags, limits) and the daemon's INIT reply: either a payload of any
 * length behind a correct header, or a whole raw message (with optional
 * unique/length fix-ups).  The harness computes independently what Linux's
 * process_init_reply would make of it and compares with fc_conn_init()
 * and fc_conn_info(); then, on success, it uses the negotiated limits
 * (background requests under max_background, a READ of max_pages pages)
 * and checks that they hold.
 *
 * Input layout:
 *   u8  cfg     bit 0 virtio-fs kind; bits 1-2 requested flags (default,
 *               everything, nothing, from the u64 below); bit 3
 *               default_permissions; bits 4-5 max_pages_limit (0, 1, 256,
 *               from u16); bit 6 limits from the u16s below
 *   u8  mode    bit 0 the reply is a raw whole message; bit 1 fix its
 *               unique; bit 2 fix its length; bit 3 (payload form) send an
 *               error header of -(mode >> 4) instead; bits 4-7 error
 *   u64 flags   u16 max_pages_limit, u16 max_background_limit,
 *   u16 congestion_threshold_limit, u32 max_readahead offered
 *   u16 len     reply length, then the reply bytes
 *   u8  nbg     background requests to run after a successful INIT
 *
 * Invariants: the result is exactly the oracle's (0, -ECONNREFUSED, -EIO or
 * -ENOTCONN) and the state matches; on success max_write >= 4096,
 * 1 <= max_pages <= max(limit, 1) with MAX_PAGES (32 without),
 * flags within requested & granted (flags2 only with INIT_EXT, nothing
 * below minor 6), time_gran in 1..1e9, max_readahead <= offered,
 * max_background in 1..limit and every other field as Linux sets it; a
 * second INIT reply is refused; no more than max_background requests are
 * ever in flight; a READ reply of max_pages pages fits.  No leak.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

#define INIT_UNIQUE 2 /* the first request of a connection */

struct harness {
	struct fc_transport *t;
	struct fc_conn *c;
	const unsigned char *reply;
	size_t reply_len;
	int replied;
	int write_result;
	int gone;
	/* After INIT: answer what is queued, check the background limit. */
	int serving;
	unsigned max_inflight_seen;
	unsigned answered;
	unsigned char buf[4096];
};

static int pump(void *ctx)
{
	struct harness *hs = ctx;
	long n;

	if (hs->gone)
		return 0;
	if (!hs->replied) {
		/* The INIT request is queued; read it and answer with the input. */
		n = fc_mem_daemon_read(hs->t, hs->buf, sizeof(hs->buf), 0);
		FZ_CHECK(n == (long)(sizeof(struct fc_in_header) +
				     sizeof(struct fc_init_in)));
		hs->replied = 1;
		hs->write_result = fc_mem_daemon_write(hs->t, hs->reply,
						       hs->reply_len);
		return 1;
	}
	if (!hs->serving) {
		hs->gone = 1;
		fc_mem_daemon_disconnect(hs->t);
		return 0;
	}
	{
		unsigned queued = fc_mem_queued(hs->t);
		unsigned handled = 0;

		if (queued > hs->max_inflight_seen)
			hs->max_inflight_seen = queued;
		while ((n = fc_mem_daemon_read(hs->t, hs->buf, sizeof(hs->buf), 0)) > 0) {
			struct fc_in_header h;
			struct fc_attr_out ao;
			unsigned char msg[sizeof(struct fc_out_header) + sizeof(ao)];
			struct fc_out_header oh;
			/* Daemons before 7.9 send the shorter attr_out (compat). */
			size_t alen = fc_conn_info(hs->c)->minor < 9 ?
				      FC_COMPAT_ATTR_OUT_SIZE : sizeof(ao);

			memcpy(&h, hs->buf, sizeof(h));
			FZ_CHECK(h.opcode == FC_GETATTR);
			fc_mock_attr_out(&ao, 1, 040755);
			oh.len = (uint32_t)(sizeof(oh) + alen);
			oh.error = 0;
			oh.unique = h.unique;
			memcpy(msg, &oh, sizeof(oh));
			memcpy(msg + sizeof(oh), &ao, alen);
			FZ_CHECK(fc_mem_daemon_write(hs->t, msg, oh.len) == 0);
			handled++;
			hs->answered++;
		}
		return (int)handled;
	}
}

/* ---- The oracle: Linux's process_init_reply, restated ---------------------- */

struct expect {
	int result;               /* fc_conn_init() */
	int rejected;             /* -EIO from a rejected header, not the size */
	struct fc_init_out o;     /* the reply, zero-extended */
};

static void oracle(const struct fc_init_profile *p, const unsigned char *msg,
		   size_t len, struct expect *e)
{
	struct fc_out_header oh;
	size_t plen;

	memset(e, 0, sizeof(*e));
	if (len < sizeof(oh)) {
		e->result = -ENOTCONN; /* rejected, INIT never answered */
		return;
	}
	memcpy(&oh, msg, sizeof(oh));
	if (oh.len != len || oh.error > 0 || oh.error < -511) {
		/* Rejected; a message naming INIT ends it with EIO. */
		e->result = oh.unique == INIT_UNIQUE ? -EIO : -ENOTCONN;
		e->rejected = 1;
		return;
	}
	if (oh.unique == 0) {
		e->result = -ENOTCONN; /* a notification; INIT stays pending */
		return;
	}
	if (oh.unique != INIT_UNIQUE) {
		e->result = -ENOTCONN; /* unknown unique (or an INTERRUPT reply) */
		return;
	}
	plen = len - sizeof(oh);
	if (oh.error) {
		e->result = plen ? -EIO : -ECONNREFUSED;
		e->rejected = !!plen;
		return;
	}
	if (plen > sizeof(e->o)) {
		e->result = -EIO;
		return;
	}
	memcpy(&e->o, msg + sizeof(oh), plen);
	if (e->o.major != FC_KERNEL_VERSION) {
		e->result = -ECONNREFUSED;
		return;
	}
	{
		uint64_t granted = e->o.flags, flags;

		if (e->o.flags & FC_INIT_EXT)
			granted |= (uint64_t)e->o.flags2 << 32;
		flags = granted & (p->flags | FC_INIT_EXT);
		if (e->o.minor < 6)
			flags = 0;
		if ((flags & FC_ALLOW_IDMAP) &&
		    !(p->default_permissions || (flags & FC_POSIX_ACL))) {
			e->result = -ECONNREFUSED;
			return;
		}
	}
	e->result = 0;
}

static void check_info(const struct fc_init_profile *p, const struct expect *e,
		       const struct fc_conn_info *ci)
{
	const struct fc_init_out *o = &e->o;
	uint64_t requested = p->flags | FC_INIT_EXT;
	uint64_t granted = o->flags;
	uint64_t f = ci->flags;
	uint32_t limit = p->max_pages_limit ? p->max_pages_limit : 1;

	if (o->flags & FC_INIT_EXT)
		granted |= (uint64_t)o->flags2 << 32;
	FZ_CHECK(ci->major == FC_KERNEL_VERSION);
	FZ_CHECK(ci->minor == o->minor);
	FZ_CHECK(ci->requested == requested);
	FZ_CHECK(ci->granted == granted);
	/* Only what was both requested and granted. */
	FZ_CHECK((f & ~requested) == 0);
	FZ_CHECK((f & ~granted) == 0);
	if (!(o->flags & FC_INIT_EXT))
		FZ_CHECK((f >> 32) == 0);
	if (o->minor < 6)
		FZ_CHECK(f == 0);
	if (o->minor < 9)
		FZ_CHECK(!(f & FC_EXPORT_SUPPORT));
	if (f & FC_AUTO_INVAL_DATA)
		FZ_CHECK(!(f & FC_EXPLICIT_INVAL_DATA));
	if (!(f & FC_DO_READDIRPLUS))
		FZ_CHECK(!(f & FC_READDIRPLUS_AUTO));
	/* What was left out is only what the gates remove. */
	{
		uint64_t dropped = (requested & granted) & ~f;
		uint64_t gated = FC_EXPORT_SUPPORT | FC_EXPLICIT_INVAL_DATA |
				 FC_READDIRPLUS_AUTO | FC_PASSTHROUGH;

		if (o->minor >= 6)
			FZ_CHECK((dropped & ~gated) == 0);
	}
	FZ_CHECK(ci->posix_locks == !!(f & FC_POSIX_LOCKS));
	FZ_CHECK(ci->flock_locks == (o->minor >= 17 ? !!(f & FC_FLOCK_LOCKS)
						    : ci->posix_locks));
	FZ_CHECK(ci->default_permissions ==
		 (p->default_permissions || !!(f & FC_POSIX_ACL)));

	/* Limits. */
	FZ_CHECK(ci->max_write >= 4096);
	if (o->minor >= 5 && o->max_write >= 4096)
		FZ_CHECK(ci->max_write == o->max_write);
	FZ_CHECK(ci->max_readahead <= p->max_readahead);
	if (o->minor >= 6)
		FZ_CHECK(ci->max_readahead ==
			 (o->max_readahead < p->max_readahead ? o->max_readahead
							      : p->max_readahead));
	else
		FZ_CHECK(ci->max_readahead == p->max_readahead);
	if (f & FC_MAX_PAGES) {
		FZ_CHECK(ci->max_pages >= 1 && ci->max_pages <= limit);
		FZ_CHECK(ci->max_pages == (o->max_pages == 0 ? 1 :
					   o->max_pages > limit ? limit : o->max_pages));
	} else {
		FZ_CHECK(ci->max_pages == FC_DEFAULT_MAX_PAGES_PER_REQ);
	}
	FZ_CHECK(ci->name_max == (ci->max_pages > 1 ? FC_NAME_MAX : FC_NAME_LOW_MAX));
	FZ_CHECK(ci->time_gran >= 1 && ci->time_gran <= 1000000000u);
	if (o->time_gran >= 1 && o->time_gran <= 1000000000u)
		FZ_CHECK(ci->time_gran == o->time_gran);
	FZ_CHECK(ci->max_background >= 1);
	FZ_CHECK(ci->congestion_threshold >= 1);
	if (o->minor >= 13 && o->max_background)
		FZ_CHECK(ci->max_background <= p->max_background_limit &&
			 ci->max_background <= o->max_background);
	if (o->minor >= 13 && o->congestion_threshold)
		FZ_CHECK(ci->congestion_threshold <= p->congestion_threshold_limit &&
			 ci->congestion_threshold <= o->congestion_threshold);
	if (!(f & FC_REQUEST_TIMEOUT))
		FZ_CHECK(ci->request_timeout == 0);
}

/* ---- Using what was negotiated ------------------------------------------------- */

struct bg_call {
	struct fc_args a;
	struct fc_getattr_in in;
	struct fc_attr_out out;
	int ends;
	int error;
};

static void bg_end(struct fc_conn *c, struct fc_args *a, int error, void *ctx)
{
	struct bg_call *b = ctx;

	(void)c;
	FZ_CHECK(a == &b->a);
	b->ends++;
	b->error = error;
}

static void use_limits(struct harness *hs, unsigned nbg)
{
	const struct fc_conn_info *ci = fc_conn_info(hs->c);
	struct bg_call *calls = calloc(nbg ? nbg : 1, sizeof(*calls));
	unsigned i;

	FZ_CHECK(calls != NULL);
	hs->serving = 1;
	for (i = 0; i < nbg; i++) {
		struct bg_call *b = &calls[i];

		b->a.opcode = FC_GETATTR;
		b->a.nodeid = 1;
		b->a.in_numargs = 1;
		b->a.in[0].value = &b->in;
		b->a.in[0].size = sizeof(b->in);
		b->a.out_numargs = 1;
		b->a.out[0].value = &b->out;
		b->a.out[0].size = sizeof(b->out);
		FZ_CHECK(fc_conn_send_bg(hs->c, &b->a, bg_end, b) == 0);
		/* Never more in flight than negotiated. */
		FZ_CHECK(fc_mem_queued(hs->t) <= ci->max_background);
		FZ_CHECK(fc_conn_num_background(hs->c) <= ci->max_background);
	}
	while (pump(hs) > 0)
		;
	FZ_CHECK(hs->max_inflight_seen <= ci->max_background);
	for (i = 0; i < nbg; i++) {
		FZ_CHECK(calls[i].ends == 1);
		FZ_CHECK(calls[i].error == 0);
		FZ_CHECK(calls[i].out.attr.mode == 040755);
	}
	FZ_CHECK(fc_conn_num_background(hs->c) == 0);
	free(calls);
	hs->serving = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness hs_storage;
	struct harness *hs = &hs_storage;
	struct fz_in in = { data, size };
	struct fc_failing fail;
	const struct fc_platform *plat;
	struct fc_conn_config cfg;
	struct expect e;
	uint8_t cfgb, mode, nbg;
	uint64_t rflags;
	uint16_t pages_limit, bg_limit, cong_limit, len;
	uint32_t readahead;
	unsigned char *reply;
	int r;

	memset(hs, 0, offsetof(struct harness, buf));
	cfgb = fz_u8(&in);
	mode = fz_u8(&in);
	rflags = fz_u64(&in);
	pages_limit = fz_u16(&in);
	bg_limit = fz_u16(&in);
	cong_limit = fz_u16(&in);
	readahead = fz_u32(&in);
	len = fz_u16(&in);

	plat = fz_begin(&fail);
	FZ_CHECK(fc_mem_transport_new(plat, (cfgb & 1) ? FC_TRANSPORT_VIRTIO_FS :
							 FC_TRANSPORT_FUSE_DEV,
				      pump, hs, &hs->t) == 0);
	fc_conn_config_default(&cfg, plat, hs->t);
	switch ((cfgb >> 1) & 3) {
	case 0: break;
	case 1: cfg.init.flags = ~(uint64_t)0; break;
	case 2: cfg.init.flags = 0; break;
	case 3: cfg.init.flags = rflags; break;
	}
	cfg.init.default_permissions = !!(cfgb & 8);
	switch ((cfgb >> 4) & 3) {
	case 0: cfg.init.max_pages_limit = 0; break;
	case 1: cfg.init.max_pages_limit = 1; break;
	case 2: break;
	case 3: cfg.init.max_pages_limit = pages_limit; break;
	}
	if (cfgb & 0x40) {
		/* A limit of 0 is no usable limit: an embedder's mistake this
		 * harness does not explore (see docs/fuzzing.md). */
		cfg.init.max_background_limit = bg_limit ? bg_limit : 1;
		cfg.init.congestion_threshold_limit = cong_limit ? cong_limit : 1;
		cfg.init.max_readahead = readahead;
	}
	FZ_CHECK(fc_conn_new(&cfg, &hs->c) == 0);

	/* The reply. */
	if (mode & 1) {
		reply = malloc(len ? len : 1);
		FZ_CHECK(reply != NULL);
		fz_take(&in, reply, len);
		if (len >= sizeof(struct fc_out_header)) {
			struct fc_out_header oh;

			memcpy(&oh, reply, sizeof(oh));
			if (mode & 2)
				oh.unique = INIT_UNIQUE;
			if (mode & 4)
				oh.len = len;
			memcpy(reply, &oh, sizeof(oh));
		}
		hs->reply_len = len;
	} else {
		struct fc_out_header oh;
		size_t plen = (mode & 8) ? 0 : len;

		reply = malloc(sizeof(oh) + plen);
		FZ_CHECK(reply != NULL);
		oh.len = (uint32_t)(sizeof(oh) + plen);
		oh.error = (mode & 8) ? -(int32_t)(mode >> 4) : 0;
		oh.unique = INIT_UNIQUE;
		memcpy(reply, &oh, sizeof(oh));
		fz_take(&in, reply + sizeof(oh), plen);
		hs->reply_len = sizeof(oh) + plen;
	}
	hs->reply = reply;
	nbg = fz_u8(&in);

	oracle(&cfg.init, reply, hs->reply_len, &e);
	r = fc_conn_init(hs->c);
	if (r != e.result)
		fprintf(stderr, "fuzz_init: fc_conn_init %d, expected %d\n", r,
			e.result);
	FZ_CHECK(r == e.result);
	FZ_CHECK(hs->replied);
	switch (r) {
	case 0:
		FZ_CHECK(hs->write_result == 0);
		FZ_CHECK(fc_conn_state(hs->c) == FC_CONN_READY);
		check_info(&cfg.init, &e, fc_conn_info(hs->c));
		/* A second INIT reply finds nothing pending. */
		FZ_CHECK(fc_mem_daemon_write(hs->t, reply, hs->reply_len) == -ENOENT);
		use_limits(hs, nbg % 40);
		break;
	case -ECONNREFUSED:
	case -EIO:
		FZ_CHECK(fc_conn_state(hs->c) == FC_CONN_FAILED);
		{
			struct fc_args a;

			/* A failed INIT refuses every request. */
			memset(&a, 0, sizeof(a));
			a.opcode = FC_GETATTR;
			a.nodeid = 1;
			FZ_CHECK(fc_conn_send(hs->c, &a) == -ECONNREFUSED);
		}
		break;
	case -ENOTCONN:
		FZ_CHECK(fc_conn_state(hs->c) == FC_CONN_ABORTED);
		break;
	default:
		FZ_CHECK(0);
	}
	/* The daemon goes away: every later request gets ENOTCONN. */
	{
		struct fc_args a;

		if (!hs->gone) {
			hs->gone = 1;
			fc_mem_daemon_disconnect(hs->t);
		}
		memset(&a, 0, sizeof(a));
		a.opcode = FC_GETATTR;
		a.nodeid = 1;
		FZ_CHECK(fc_conn_send(hs->c, &a) == -ENOTCONN);
		FZ_CHECK(fc_conn_num_background(hs->c) == 0);
	}
	fc_conn_free(hs->c);
	free(reply);
	fz_end(&fail);
	return 0;
}
