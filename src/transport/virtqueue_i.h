/*
 * virtqueue_i.h - split virtqueues (virtio 1.x, section 2.7) as a driver
 * sees them, and the allocator of the shared data area.  Internal to the
 * vhost-user virtio-fs transport (src/transport/virtiofs.c), separate so
 * that it can be unit-tested (tests/test_virtqueue.c) and fuzzed
 * (fuzz/fuzz_virtqueue.c) on its own.
 *
 * Dependency-free on purpose: only <stdint.h> and <string.h> (plus the
 * compiler's __atomic builtins for the ring indices).  No allocation: the
 * caller provides the ring memory and the private bookkeeping arrays.
 *
 * Trust model.  The ring memory is shared with the device (the back end),
 * which is untrusted.  The driver therefore only ever *writes* the
 * descriptor table and the available ring, and never reads its own state
 * back from them: the free list, the chains and their writable capacities
 * live in private arrays (like Linux's desc_extra).  From the used ring it
 * reads the index (once, with acquire ordering) and each element (once,
 * copied), and validates both before use:
 *  - an index that claims more completions than chains are outstanding, an
 *    element id outside the ring, or an id that is not the head of an
 *    outstanding chain breaks the queue (VQ_ERR_BROKEN, for good: nothing
 *    it says can be trusted any more; the transport aborts the connection);
 *  - a length larger than the chain's writable capacity completes that
 *    chain with VQ_USED_BAD_LEN (the transport fails that request with EIO).
 * None of them can make the driver read or write outside its arrays.
 *
 * Byte order: virtio 1.x rings are little-endian; vhost-user runs on the
 * same host, so native little-endian is assumed (big-endian hosts fail to
 * compile).  Indices are free-running 16-bit counters; every comparison is
 * done modulo 2^16, so wrap-around is ordinary.
 */
#ifndef FUSECORE_VIRTQUEUE_I_H
#define FUSECORE_VIRTQUEUE_I_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the split-virtqueue code assumes a little-endian host"
#endif

/* Descriptor flags (virtio 1.x 2.7.5). */
#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
/* Driver -> device: do not interrupt (signal the call eventfd). */
#define VQ_AVAIL_F_NO_INTERRUPT 1u
/* Device -> driver: do not notify (kick). */
#define VQ_USED_F_NO_NOTIFY 1u

/* Largest queue the spec allows (a power of two). */
#define VQ_MAX_SIZE 32768u

/* Results (negative) of the functions below. */
enum vq_err {
	VQ_OK = 0,
	VQ_ERR_INVAL = -1,   /* bad argument (the caller's bug) */
	VQ_ERR_NOSPC = -2,   /* not enough free descriptors / arena space */
	VQ_ERR_BROKEN = -3,  /* the device corrupted the used ring */
};

/* The shared ring structures, as laid out in memory (virtio 1.x 2.7). */
struct vq_desc {
	uint64_t addr;   /* guest-physical address of the buffer */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_used_elem {
	uint32_t id;     /* head of the completed chain */
	uint32_t len;    /* bytes the device wrote into its writable part */
};

/* Where the three parts of a ring of @num entries go, from its base. */
struct vq_layout {
	uint32_t desc_off;   /* 16 * num bytes, 16-aligned */
	uint32_t avail_off;  /* 6 + 2 * num bytes, 2-aligned */
	uint32_t used_off;   /* 6 + 8 * num bytes, 4-aligned */
	uint32_t size;       /* total, rounded up to 64 */
};

/*
 * Compute the layout of a ring of @num entries (a power of two, 1 ..
 * VQ_MAX_SIZE).  The base must be 16-byte aligned.  Returns VQ_OK or
 * VQ_ERR_INVAL.
 */
int vq_layout(unsigned num, struct vq_layout *out);

/* Private per-chain state, indexed by the chain's head descriptor. */
struct vq_slot {
	void *cookie;     /* the caller's pointer, handed back on completion */
	uint32_t wlen;    /* total length of the writable descriptors */
	uint16_t ndesc;   /* descriptors in the chain (0: slot not a live head) */
	uint16_t last;    /* the chain's last descriptor */
	uint16_t published; /* vq_publish() made it visible to the device */
	uint16_t unpub_next; /* next chain added and not yet published */
};

/*
 * One split virtqueue, driver side.  Fields are private to virtqueue.c;
 * read them only through the accessors below.
 */
struct vq {
	unsigned num;                  /* entries, a power of two */
	struct vq_desc *desc;          /* shared: written, never read */
	uint16_t *avail;               /* shared: flags, idx, ring[num], (event) */
	unsigned char *used;           /* shared: flags, idx, ring[num], (event) */
	struct vq_slot *slots;         /* private [num] */
	uint16_t *next;                /* private [num]: free list / chain links */
	uint16_t free_head;
	unsigned num_free;             /* descriptors on the free list */
	uint16_t avail_idx;            /* next avail index to fill (shadow) */
	uint16_t avail_pub;            /* avail->idx as last published */
	uint16_t last_used;            /* next used index to consume */
	unsigned added;                /* chains added, not published yet */
	uint16_t unpub_head, unpub_tail; /* those chains, in order (slots) */
	unsigned outstanding;          /* chains published, not completed */
	int broken;
	uint16_t avail_flags;          /* shadow of avail->flags */
};

/*
 * Set up @vq on ring memory @ring (vq_layout(@num).size bytes, 16-aligned),
 * with private arrays @slots and @next of @num entries each.  The ring
 * memory is zeroed, then avail->idx and used->idx are set to @base (a
 * fresh ring starts at 0; any value works, which is how the tests exercise
 * 16-bit wrap-around; vhost-user's SET_VRING_BASE must carry the same
 * value).  Returns VQ_OK or VQ_ERR_INVAL.
 */
int vq_init(struct vq *vq, unsigned num, void *ring, uint16_t base,
	    struct vq_slot *slots, uint16_t *next);

/* One buffer of a chain to add. */
struct vq_buf {
	uint64_t addr;   /* guest-physical address */
	uint32_t len;    /* > 0 */
	int writable;    /* device-writable (VQ_DESC_F_WRITE) */
};

/*
 * Add a chain of @n buffers (device-readable ones first, then
 * device-writable ones) to the available ring, not yet visible to the
 * device (see vq_publish()).  @cookie is handed back when the chain
 * completes.  Returns the head descriptor index (>= 0), VQ_ERR_NOSPC if
 * fewer than @n descriptors are free, VQ_ERR_INVAL for a bad chain (n == 0,
 * a zero length, a readable buffer after a writable one, writable lengths
 * overflowing 32 bits), or VQ_ERR_BROKEN.
 */
int vq_add(struct vq *vq, const struct vq_buf *bufs, unsigned n,
	   void *cookie);

/*
 * Make the chains added since the last call visible to the device: a
 * release store of avail->idx after the ring entries.  Returns how many
 * chains were published.
 */
unsigned vq_publish(struct vq *vq);

/*
 * After vq_publish(): non-zero unless the device asked not to be notified
 * (VRING_USED_F_NO_NOTIFY).  Issues the full fence needed between the
 * publication and reading the flag.
 */
int vq_kick_needed(const struct vq *vq);

/* What vq_get_used() reports for one completed chain. */
enum vq_used_status {
	VQ_USED_OK = 0,
	/* The device claimed to write more than the chain can hold. */
	VQ_USED_BAD_LEN = 1,
};

struct vq_completion {
	void *cookie;     /* as given to vq_add() */
	uint16_t head;    /* the chain's head descriptor */
	uint32_t len;     /* bytes written (as reported; <= wlen when OK) */
	uint32_t wlen;    /* the chain's writable capacity */
	enum vq_used_status status;
};

/*
 * Consume one used element, validate it, and return its chain's
 * descriptors to the free list.  Returns 1 with *@out filled, 0 if the
 * device has completed nothing new, or VQ_ERR_BROKEN if the used ring is
 * corrupt (then and on every later call; the chains still outstanding can
 * be listed with vq_next_outstanding()).
 */
int vq_get_used(struct vq *vq, struct vq_completion *out);

/* Non-zero if the device has published used elements not consumed yet. */
int vq_has_used(const struct vq *vq);

/*
 * Ask the device not to signal completions (avail->flags NO_INTERRUPT),
 * while the driver is draining the used ring anyway.
 */
void vq_disable_cb(struct vq *vq);

/*
 * Ask for signals again.  Returns non-zero if used elements arrived
 * meanwhile (after a full fence): the caller must drain again instead of
 * sleeping, or it could miss them.
 */
int vq_enable_cb(struct vq *vq);

/*
 * Iterate over the chains added and not completed: starting with *@pos =
 * 0, each call returns 1 and sets *@cookie (and advances *@pos), or 0 at
 * the end.  For teardown (free what the device will never return).
 */
int vq_next_outstanding(const struct vq *vq, unsigned *pos, void **cookie);

/* Accessors. */
unsigned vq_num_free(const struct vq *vq);     /* free descriptors */
unsigned vq_inflight(const struct vq *vq);     /* chains added, not completed */
int vq_is_broken(const struct vq *vq);
uint16_t vq_avail_idx(const struct vq *vq);    /* next avail index (shadow) */
uint16_t vq_last_used(const struct vq *vq);    /* next used index to consume */

/* ---- The data-area allocator ------------------------------------------- */

/*
 * A first-fit allocator of byte ranges in the shared data area, with
 * coalescing.  The free extents are kept sorted by offset in a
 * caller-provided array, in private memory (the device cannot touch the
 * allocator's state).  Each live allocation splits at most one extent in
 * two, so an array of (live allocations + 1) entries never runs out;
 * vq_arena_free() reports VQ_ERR_NOSPC if it would.
 */
struct vq_extent {
	uint64_t off, len;
};

struct vq_arena {
	uint64_t size;            /* bytes managed, from offset 0 */
	uint64_t align;           /* allocation granule, a power of two */
	uint64_t free_bytes;
	struct vq_extent *ext;    /* free extents, sorted, never adjacent */
	unsigned n, cap;
};

/*
 * Manage [0, @size) in granules of @align bytes (a power of two; @size is
 * rounded down to it) with the @cap-entry array @ext.  Returns VQ_OK or
 * VQ_ERR_INVAL.
 */
int vq_arena_init(struct vq_arena *a, uint64_t size, uint64_t align,
		  struct vq_extent *ext, unsigned cap);

/* Bytes an allocation of @len really takes (rounded up to the granule). */
uint64_t vq_arena_round(const struct vq_arena *a, uint64_t len);

/*
 * Allocate @len bytes (> 0): the lowest-addressed free range that fits.
 * Returns VQ_OK with *@off set, VQ_ERR_NOSPC, or VQ_ERR_INVAL.
 */
int vq_arena_alloc(struct vq_arena *a, uint64_t len, uint64_t *off);

/*
 * Free [@off, @off + @len) (the values given to / returned by
 * vq_arena_alloc()).  Returns VQ_OK, VQ_ERR_INVAL if the range is not
 * wholly allocated (a double free) or out of bounds, or VQ_ERR_NOSPC if
 * the extent array is full (the range then stays allocated).
 */
int vq_arena_free(struct vq_arena *a, uint64_t off, uint64_t len);

/* Largest single allocation that would succeed now. */
uint64_t vq_arena_largest(const struct vq_arena *a);

#endif /* FUSECORE_VIRTQUEUE_I_H */
