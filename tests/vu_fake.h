/*
 * vu_fake.h - a scriptable vhost-user virtio-fs back end for the transport
 * tests: it speaks the vhost-user handshake on one end of a socketpair,
 * maps the front end's memfd itself, serves the virtqueues with minimal
 * FUSE answers, and lets a test corrupt any completion (length, id,
 * unique, used index) or hang up.  No root and no virtiofsd needed.
 */
#ifndef FUSECORE_TEST_VU_FAKE_H
#define FUSECORE_TEST_VU_FAKE_H

#include <stdint.h>

#include "fusecore/proto.h"

/* One chain as the fake saw it, and what it is about to answer. */
struct vu_fake_chain {
	unsigned queue;
	uint16_t head;
	unsigned ndesc;
	struct fc_in_header in;       /* the request header */
	unsigned char args[8192];     /* the arguments (truncated copy) */
	uint32_t args_len;
	uint32_t wcap;                /* writable bytes posted */
	unsigned char reply[65536];   /* the answer to write (truncated to wcap) */
	uint32_t reply_len;           /* bytes to write; 0 = none (FORGET) */
	/* What goes into the used ring; a hook may change them. */
	uint32_t used_id;
	uint32_t used_len;
	uint16_t used_idx_extra;      /* added to used->idx after this element */
	int drop;                     /* never complete this chain */
	int hangup;                   /* close the socket instead of answering */
};

struct vu_fake_cfg {
	uint64_t features;            /* GET_FEATURES answer */
	uint64_t protocol_features;   /* GET_PROTOCOL_FEATURES answer */
	unsigned queues;              /* GET_QUEUE_NUM answer */
	int silent;                   /* never answer anything */
	uint32_t nack_request;        /* REPLY_ACK 1 to this request code */
	int no_notify;                /* set VRING_USED_F_NO_NOTIFY and poll the rings */
	/* Called for every chain before it is answered (may alter it). */
	void (*hook)(void *ctx, struct vu_fake_chain *ch);
	void *hook_ctx;
};

/* The defaults of QEMU 7.2's virtiofsd: 0x175000000, 0x8c2b, 2 queues. */
void vu_fake_cfg_default(struct vu_fake_cfg *cfg);

struct vu_fake;

/*
 * Start the fake on a new socketpair; *@front_fd is the front end's end
 * (give it to fc_virtiofs_config.fd).  Returns 0 or -errno.
 */
int vu_fake_start(const struct vu_fake_cfg *cfg, int *front_fd,
		  struct vu_fake **out);

/* Chains served per queue so far. */
uint64_t vu_fake_chains(struct vu_fake *f, unsigned queue);

/* vhost-user messages received so far. */
unsigned vu_fake_messages(struct vu_fake *f);

/* Kicks (eventfd signals seen) so far. */
uint64_t vu_fake_kicks(struct vu_fake *f);

/* Stop the thread, unmap, close, free. */
void vu_fake_stop(struct vu_fake *f);

#endif /* FUSECORE_TEST_VU_FAKE_H */
