/*
 * Split virtqueues, driver side, and the shared data-area allocator
 * (see virtqueue_i.h for the contract and the trust model).
 *
 * Only <stdint.h> and <string.h>: this file is linked alone into the
 * fuzz_virtqueue harness and the unit tests.  Ring indices shared with the
 * device go through the compiler's __atomic builtins: a release store
 * publishes avail->idx after the ring entries (and the descriptors) it
 * covers, an acquire load of used->idx precedes reading the elements it
 * covers, and full fences separate a publication from reading the device's
 * NO_NOTIFY flag, and re-enabling signals from re-checking used->idx.
 */
#include <stdint.h>
#include <string.h>

#include "virtqueue_i.h"

_Static_assert(sizeof(struct vq_desc) == 16, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct vq_used_elem) == 8, "virtq_used_elem is 8 bytes");

/* Offsets inside the avail ring (in uint16_t units) and the used ring (bytes). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int vq_layout(unsigned num, struct vq_layout *out)
{
	uint32_t avail_end, used_end;

	if (!out || !is_pow2(num) || num > VQ_MAX_SIZE)
		return VQ_ERR_INVAL;
	out->desc_off = 0;
	out->avail_off = 16u * num;
	/* flags, idx, ring[num], used_event */
	avail_end = out->avail_off + 6u + 2u * num;
	out->used_off = (avail_end + 3u) & ~3u;
	/* flags, idx, ring[num] of 8 bytes, avail_event */
	used_end = out->used_off + 6u + 8u * num;
	out->size = (used_end + 63u) & ~63u;
	return VQ_OK;
}

static uint16_t *used_u16(const struct vq *vq, unsigned byte_off)
{
	return (uint16_t *)(void *)(vq->used + byte_off);
}

int vq_init(struct vq *vq, unsigned num, void *ring, uint16_t base,
	    struct vq_slot *slots, uint16_t *next)
{
	struct vq_layout l;
	unsigned i;

	if (!vq || !ring || !slots || !next || vq_layout(num, &l) != VQ_OK ||
	    ((uintptr_t)ring & 15u))
		return VQ_ERR_INVAL;
	memset(vq, 0, sizeof(*vq));
	memset(ring, 0, l.size);
	vq->num = num;
	vq->desc = (struct vq_desc *)ring;
	vq->avail = (uint16_t *)(void *)((unsigned char *)ring + l.avail_off);
	vq->used = (unsigned char *)ring + l.used_off;
	vq->slots = slots;
	vq->next = next;
	memset(slots, 0, num * sizeof(*slots));
	for (i = 0; i < num; i++)
		next[i] = (uint16_t)((i + 1) & (num - 1));
	vq->free_head = 0;
	vq->num_free = num;
	vq->avail_idx = vq->avail_pub = vq->last_used = base;
	vq->avail[AVAIL_IDX] = base;
	*used_u16(vq, USED_IDX) = base;
	return VQ_OK;
}

int vq_add(struct vq *vq, const struct vq_buf *bufs, unsigned n, void *cookie)
{
	uint64_t wlen = 0;
	uint16_t head, i, last = 0;
	unsigned k;
	int seen_writable = 0;

	if (vq->broken)
		return VQ_ERR_BROKEN;
	if (!bufs || n == 0 || n > vq->num)
		return VQ_ERR_INVAL;
	for (k = 0; k < n; k++) {
		if (bufs[k].len == 0)
			return VQ_ERR_INVAL;
		if (bufs[k].writable) {
			seen_writable = 1;
			wlen += bufs[k].len;
		} else if (seen_writable) {
			return VQ_ERR_INVAL;
		}
	}
	if (wlen > UINT32_MAX)
		return VQ_ERR_INVAL;
	if (n > vq->num_free)
		return VQ_ERR_NOSPC;

	head = i = vq->free_head;
	for (k = 0; k < n; k++) {
		struct vq_desc d;

		d.addr = bufs[k].addr;
		d.len = bufs[k].len;
		d.flags = (uint16_t)((k + 1 < n ? VQ_DESC_F_NEXT : 0) |
				     (bufs[k].writable ? VQ_DESC_F_WRITE : 0));
		d.next = k + 1 < n ? vq->next[i] : 0;
		memcpy(&vq->desc[i], &d, sizeof(d));
		last = i;
		i = vq->next[i];
	}
	vq->free_head = i;
	vq->num_free -= n;
	vq->slots[head].cookie = cookie;
	vq->slots[head].wlen = (uint32_t)wlen;
	vq->slots[head].ndesc = (uint16_t)n;
	vq->slots[head].last = last;
	vq->slots[head].published = 0;
	vq->slots[head].unpub_next = 0;
	if (vq->added)
		vq->slots[vq->unpub_tail].unpub_next = head;
	else
		vq->unpub_head = head;
	vq->unpub_tail = head;
	vq->avail[AVAIL_RING + (vq->avail_idx & (vq->num - 1))] = head;
	vq->avail_idx++;
	vq->added++;
	return head;
}

unsigned vq_publish(struct vq *vq)
{
	unsigned n = vq->added, k;
	uint16_t h = vq->unpub_head;

	if (!n)
		return 0;
	for (k = 0; k < n; k++) {
		vq->slots[h].published = 1;
		h = vq->slots[h].unpub_next;
	}
	__atomic_store_n(&vq->avail[AVAIL_IDX], vq->avail_idx, __ATOMIC_RELEASE);
	vq->avail_pub = vq->avail_idx;
	vq->outstanding += n;
	vq->added = 0;
	return n;
}

int vq_kick_needed(const struct vq *vq)
{
	uint16_t flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(used_u16(vq, USED_FLAGS), __ATOMIC_RELAXED);
	return !(flags & VQ_USED_F_NO_NOTIFY);
}

static void vq_break(struct vq *vq)
{
	vq->broken = 1;
}

int vq_get_used(struct vq *vq, struct vq_completion *out)
{
	struct vq_used_elem e;
	struct vq_slot *s;
	uint16_t idx, n;

	if (vq->broken)
		return VQ_ERR_BROKEN;
	idx = __atomic_load_n(used_u16(vq, USED_IDX), __ATOMIC_ACQUIRE);
	n = (uint16_t)(idx - vq->last_used);
	if (n == 0)
		return 0;
	/* More completions than chains handed to the device: corrupt. */
	if (n > vq->outstanding) {
		vq_break(vq);
		return VQ_ERR_BROKEN;
	}
	memcpy(&e, vq->used + USED_RING +
		   8u * (unsigned)(vq->last_used & (vq->num - 1)), sizeof(e));
	/*
	 * Not the head of a chain the device was given (a chain added but not
	 * published yet can only be known from reading the descriptor table
	 * behind the driver's back).
	 */
	if (e.id >= vq->num || !vq->slots[e.id].ndesc ||
	    !vq->slots[e.id].published) {
		vq_break(vq);
		return VQ_ERR_BROKEN;
	}
	s = &vq->slots[e.id];
	out->cookie = s->cookie;
	out->head = (uint16_t)e.id;
	out->len = e.len;
	out->wlen = s->wlen;
	out->status = e.len > s->wlen ? VQ_USED_BAD_LEN : VQ_USED_OK;

	/* The chain's descriptors go back to the front of the free list. */
	vq->next[s->last] = vq->free_head;
	vq->free_head = (uint16_t)e.id;
	vq->num_free += s->ndesc;
	memset(s, 0, sizeof(*s));
	vq->last_used++;
	vq->outstanding--;
	return 1;
}

int vq_has_used(const struct vq *vq)
{
	if (vq->broken)
		return 0;
	return __atomic_load_n(used_u16(vq, USED_IDX), __ATOMIC_ACQUIRE) !=
	       vq->last_used;
}

void vq_disable_cb(struct vq *vq)
{
	if (vq->avail_flags & VQ_AVAIL_F_NO_INTERRUPT)
		return;
	vq->avail_flags |= VQ_AVAIL_F_NO_INTERRUPT;
	__atomic_store_n(&vq->avail[AVAIL_FLAGS], vq->avail_flags,
			 __ATOMIC_RELAXED);
}

int vq_enable_cb(struct vq *vq)
{
	if (vq->avail_flags & VQ_AVAIL_F_NO_INTERRUPT) {
		vq->avail_flags &= (uint16_t)~VQ_AVAIL_F_NO_INTERRUPT;
		__atomic_store_n(&vq->avail[AVAIL_FLAGS], vq->avail_flags,
				 __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_used(vq);
}

int vq_next_outstanding(const struct vq *vq, unsigned *pos, void **cookie)
{
	while (*pos < vq->num) {
		const struct vq_slot *s = &vq->slots[*pos];

		(*pos)++;
		if (s->ndesc) {
			*cookie = s->cookie;
			return 1;
		}
	}
	return 0;
}

unsigned vq_num_free(const struct vq *vq)
{
	return vq->num_free;
}

unsigned vq_inflight(const struct vq *vq)
{
	return vq->outstanding + vq->added;
}

int vq_is_broken(const struct vq *vq)
{
	return vq->broken;
}

uint16_t vq_avail_idx(const struct vq *vq)
{
	return vq->avail_idx;
}

uint16_t vq_last_used(const struct vq *vq)
{
	return vq->last_used;
}

/* ---- The data-area allocator ------------------------------------------- */

int vq_arena_init(struct vq_arena *a, uint64_t size, uint64_t align,
		  struct vq_extent *ext, unsigned cap)
{
	if (!a || !ext || !cap || !is_pow2(align))
		return VQ_ERR_INVAL;
	memset(a, 0, sizeof(*a));
	a->size = size & ~(align - 1);
	a->align = align;
	a->ext = ext;
	a->cap = cap;
	if (a->size) {
		ext[0].off = 0;
		ext[0].len = a->size;
		a->n = 1;
	}
	a->free_bytes = a->size;
	return VQ_OK;
}

uint64_t vq_arena_round(const struct vq_arena *a, uint64_t len)
{
	if (len > UINT64_MAX - (a->align - 1))
		return 0;
	return (len + a->align - 1) & ~(a->align - 1);
}

int vq_arena_alloc(struct vq_arena *a, uint64_t len, uint64_t *off)
{
	uint64_t need = vq_arena_round(a, len);
	unsigned i;

	if (!len || !need || !off)
		return VQ_ERR_INVAL;
	if (need > a->free_bytes)
		return VQ_ERR_NOSPC;
	for (i = 0; i < a->n; i++) {
		struct vq_extent *e = &a->ext[i];

		if (e->len < need)
			continue;
		*off = e->off;
		e->off += need;
		e->len -= need;
		if (!e->len) {
			memmove(e, e + 1, (a->n - i - 1) * sizeof(*e));
			a->n--;
		}
		a->free_bytes -= need;
		return VQ_OK;
	}
	return VQ_ERR_NOSPC;
}

int vq_arena_free(struct vq_arena *a, uint64_t off, uint64_t len)
{
	uint64_t sz = vq_arena_round(a, len);
	unsigned lo = 0, hi = a->n, i;
	int merge_prev, merge_next;

	if (!len || !sz || (off & (a->align - 1)) || off > a->size ||
	    sz > a->size - off)
		return VQ_ERR_INVAL;
	/* i = the first extent that starts after @off. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (a->ext[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	/* Overlap with a free extent on either side: not allocated. */
	if (i > 0 && a->ext[i - 1].off + a->ext[i - 1].len > off)
		return VQ_ERR_INVAL;
	if (i < a->n && off + sz > a->ext[i].off)
		return VQ_ERR_INVAL;
	merge_prev = i > 0 && a->ext[i - 1].off + a->ext[i - 1].len == off;
	merge_next = i < a->n && off + sz == a->ext[i].off;
	if (merge_prev && merge_next) {
		a->ext[i - 1].len += sz + a->ext[i].len;
		memmove(&a->ext[i], &a->ext[i + 1],
			(a->n - i - 1) * sizeof(a->ext[0]));
		a->n--;
	} else if (merge_prev) {
		a->ext[i - 1].len += sz;
	} else if (merge_next) {
		a->ext[i].off = off;
		a->ext[i].len += sz;
	} else {
		if (a->n == a->cap)
			return VQ_ERR_NOSPC;
		memmove(&a->ext[i + 1], &a->ext[i],
			(a->n - i) * sizeof(a->ext[0]));
		a->ext[i].off = off;
		a->ext[i].len = sz;
		a->n++;
	}
	a->free_bytes += sz;
	return VQ_OK;
}

uint64_t vq_arena_largest(const struct vq_arena *a)
{
	uint64_t best = 0;
	unsigned i;

	for (i = 0; i < a->n; i++)
		if (a->ext[i].len > best)
			best = a->ext[i].len;
	return best;
}
