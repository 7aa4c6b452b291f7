/*
 * fuzz_virtqueue: the split-virtqueue driver (src/transport/virtqueue.c)
 * against a device that writes whatever the input says into the shared
 * ring memory, plus the data-area allocator against a granule map.
 *
 * The input drives a small ring (1..32 entries, first index anywhere in
 * 0..65535) through a sequence of operations: chains added and published
 * (the harness keeps its own model of every chain), and a "device" that
 * writes used elements (an id that is usually a live head, sometimes
 * anything; a length usually within the chain's capacity, sometimes not),
 * moves used->idx (usually by one, sometimes anywhere), scribbles over the
 * descriptor table, the available ring and the flags, and the driver's
 * vq_get_used() / vq_enable_cb() / vq_kick_needed() calls in between.
 *
 * Input layout: u8 log2(num), u16 base, then ops until the input ends:
 *   u8 op (low 4 bits), followed by the op's own bytes (see run()).
 *
 * Invariants (FZ_CHECK):
 *  - vq_add succeeds iff the chain is well formed and enough descriptors
 *    are free; on success the descriptors it wrote are the chain as added;
 *  - vq_get_used returns 0, 1 or VQ_ERR_BROKEN; once broken, always broken
 *    and nothing can be added; a completion names a chain that is live and
 *    published, at most once, with its real capacity, and VQ_USED_OK iff
 *    the reported length fits; the chain's descriptors return to the free
 *    list (free + live descriptors == num at every step);
 *  - a corrupt index or id (per the model) breaks the ring, a valid one
 *    never does;
 *  - the allocator: no byte is handed out twice, frees of what is not
 *    allocated are refused, free_bytes matches the map, extents stay
 *    sorted and apart.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "transport/virtqueue_i.h"

#define MAXN 32
#define MAXLIVE MAXN

struct chain {
	int live;
	int published;
	uint16_t head;
	unsigned ndesc;
	uint32_t wlen;
	int cookie;
};

struct model {
	struct vq vq;
	unsigned num;
	_Alignas(64) unsigned char ring[8192];
	struct vq_layout l;
	struct vq_slot slots[MAXN];
	uint16_t next[MAXN];
	struct chain ch[MAXLIVE];
	unsigned returned[MAXLIVE]; /* completions seen per cookie slot */
	uint16_t dev_used;          /* the device's used index */
	int broken;
};

static unsigned live_desc(const struct model *m)
{
	unsigned i, n = 0;

	for (i = 0; i < MAXLIVE; i++)
		if (m->ch[i].live)
			n += m->ch[i].ndesc;
	return n;
}

static struct chain *by_head(struct model *m, uint32_t id)
{
	unsigned i;

	for (i = 0; i < MAXLIVE; i++)
		if (m->ch[i].live && m->ch[i].head == id)
			return &m->ch[i];
	return NULL;
}

static unsigned outstanding(const struct model *m)
{
	unsigned i, n = 0;

	for (i = 0; i < MAXLIVE; i++)
		if (m->ch[i].live && m->ch[i].published)
			n++;
	return n;
}

static void op_add(struct model *m, struct fz_in *in)
{
	struct vq_buf b[8];
	unsigned n = 1 + fz_u8(in) % 8, nr, k, slot;
	uint64_t wlen = 0;
	int bad = 0, seen_w = 0, head;
	uint8_t shape = fz_u8(in);

	nr = shape % (n + 1); /* 0..n readable first */
	for (k = 0; k < n; k++) {
		b[k].addr = fz_u64(in);
		b[k].len = fz_u16(in);
		if (fz_u8(in) == 0xff)
			b[k].len = 0xffffffffu;
		b[k].writable = k >= nr;
		if (shape & 0x80 && k == 0)
			b[k].writable = !b[k].writable; /* sometimes out of order */
		if (!b[k].len)
			bad = 1;
		if (b[k].writable) {
			seen_w = 1;
			wlen += b[k].len;
		} else if (seen_w) {
			bad = 1;
		}
	}
	if (wlen > UINT32_MAX)
		bad = 1;
	for (slot = 0; slot < MAXLIVE && m->ch[slot].live; slot++)
		;
	if (slot == MAXLIVE)
		return;
	head = vq_add(&m->vq, b, n, &m->ch[slot]);
	if (m->broken) {
		FZ_CHECK(head == VQ_ERR_BROKEN);
		return;
	}
	if (bad || n > m->num) {
		FZ_CHECK(head == VQ_ERR_INVAL);
		return;
	}
	if (n > m->num - live_desc(m)) {
		FZ_CHECK(head == VQ_ERR_NOSPC);
		return;
	}
	FZ_CHECK(head >= 0 && (unsigned)head < m->num);
	FZ_CHECK(!by_head(m, (uint32_t)head));
	/* The descriptors are the chain as added (the device may scribble later). */
	{
		const struct vq_desc *d = (const struct vq_desc *)(void *)(m->ring + m->l.desc_off);
		unsigned i = (unsigned)head;

		for (k = 0; k < n; k++) {
			FZ_CHECK(i < m->num);
			FZ_CHECK(d[i].addr == b[k].addr && d[i].len == b[k].len);
			FZ_CHECK(!!(d[i].flags & VQ_DESC_F_WRITE) == !!b[k].writable);
			FZ_CHECK(!!(d[i].flags & VQ_DESC_F_NEXT) == (k + 1 < n));
			i = d[i].next;
		}
	}
	m->ch[slot] = (struct chain){ 1, 0, (uint16_t)head, n, (uint32_t)wlen, (int)slot };
	m->returned[slot] = 0;
}

static void op_publish(struct model *m)
{
	unsigned i, added = 0, n;

	for (i = 0; i < MAXLIVE; i++)
		if (m->ch[i].live && !m->ch[i].published)
			added++;
	n = vq_publish(&m->vq);
	if (m->broken)
		return;
	FZ_CHECK(n == added);
	for (i = 0; i < MAXLIVE; i++)
		if (m->ch[i].live)
			m->ch[i].published = 1;
}

/* The device writes a used element at its next position. */
static void op_used_elem(struct model *m, struct fz_in *in)
{
	uint8_t how = fz_u8(in);
	struct vq_used_elem e;
	unsigned i, pick = fz_u8(in);

	e.id = fz_u32(in);
	e.len = fz_u32(in);
	if (!(how & 1)) {
		/* Usually a live head. */
		for (i = 0; i < MAXLIVE; i++) {
			struct chain *c = &m->ch[(pick + i) % MAXLIVE];

			if (c->live) {
				e.id = c->head;
				if (!(how & 2))
					e.len = (uint32_t)((uint64_t)e.len % ((uint64_t)c->wlen + 1));
				break;
			}
		}
	}
	memcpy(m->ring + m->l.used_off + 4 + 8u * (m->dev_used & (m->num - 1)),
	       &e, sizeof(e));
	if (!(how & 4)) {
		m->dev_used++;
		memcpy(m->ring + m->l.used_off + 2, &m->dev_used, 2);
	}
}

static void op_used_idx(struct model *m, struct fz_in *in)
{
	uint16_t v = fz_u16(in);

	m->dev_used = (uint16_t)(vq_last_used(&m->vq) + (v & 0x8000 ? v : v % 4));
	memcpy(m->ring + m->l.used_off + 2, &m->dev_used, 2);
}

static void op_get_used(struct model *m)
{
	struct vq_completion c;
	uint16_t idx;
	uint16_t n;
	struct vq_used_elem e;
	struct chain *ch;
	int r, expect_broken;

	memcpy(&idx, m->ring + m->l.used_off + 2, 2);
	n = (uint16_t)(idx - vq_last_used(&m->vq));
	memcpy(&e, m->ring + m->l.used_off + 4 + 8u * (vq_last_used(&m->vq) & (m->num - 1)),
	       sizeof(e));
	ch = n ? by_head(m, e.id) : NULL;
	expect_broken = m->broken ||
			(n && (n > outstanding(m) || e.id >= m->num || !ch || !ch->published));
	r = vq_get_used(&m->vq, &c);
	if (expect_broken) {
		FZ_CHECK(r == VQ_ERR_BROKEN);
		FZ_CHECK(vq_is_broken(&m->vq));
		m->broken = 1;
		return;
	}
	if (!n) {
		FZ_CHECK(r == 0);
		return;
	}
	FZ_CHECK(r == 1);
	FZ_CHECK(c.cookie == ch);
	FZ_CHECK(c.head == ch->head);
	FZ_CHECK(c.len == e.len);
	FZ_CHECK(c.wlen == ch->wlen);
	FZ_CHECK((c.status == VQ_USED_OK) == (e.len <= ch->wlen));
	FZ_CHECK(c.status == VQ_USED_OK || c.status == VQ_USED_BAD_LEN);
	FZ_CHECK(++m->returned[ch->cookie] == 1);
	ch->live = 0;
}

static void op_scribble(struct model *m, struct fz_in *in)
{
	/* The device overwrites the descriptor table or the avail ring. */
	uint16_t off = fz_u16(in);
	uint8_t v = fz_u8(in);
	uint32_t lim = m->l.used_off; /* desc + avail */

	if (lim)
		m->ring[off % lim] = v;
}

static void op_flags(struct model *m, struct fz_in *in)
{
	uint8_t which = fz_u8(in);

	if (which & 1) {
		uint16_t f = fz_u16(in);

		memcpy(m->ring + m->l.used_off, &f, 2);
		(void)vq_kick_needed(&m->vq);
	} else if (which & 2) {
		vq_disable_cb(&m->vq);
	} else {
		(void)vq_enable_cb(&m->vq);
	}
}

/* ---- the allocator ---------------------------------------------------------------- */

#define ARENA 4096
#define GRAN 64
#define NG (ARENA / GRAN)

struct amodel {
	struct vq_arena a;
	struct vq_extent ext[NG + 1];
	unsigned char map[NG];
	struct { uint64_t off, len; int live; } al[NG];
};

static void arena_check(struct amodel *am)
{
	uint64_t free_g = 0;
	unsigned i;

	for (i = 0; i < NG; i++)
		free_g += !am->map[i];
	FZ_CHECK(am->a.free_bytes == free_g * GRAN);
	for (i = 1; i < am->a.n; i++)
		FZ_CHECK(am->a.ext[i].off > am->a.ext[i - 1].off + am->a.ext[i - 1].len);
}

static void op_arena(struct amodel *am, struct fz_in *in)
{
	uint8_t op = fz_u8(in);
	unsigned k = fz_u8(in) % NG, g;
	uint64_t off;

	if (op & 1) {
		uint64_t len = 1 + fz_u16(in) % (ARENA + 128);

		if (am->al[k].live)
			return;
		if (vq_arena_alloc(&am->a, len, &off) == VQ_OK) {
			uint64_t ng = (len + GRAN - 1) / GRAN;

			FZ_CHECK(off % GRAN == 0 && off + len <= ARENA);
			for (g = 0; g < ng; g++) {
				FZ_CHECK(!am->map[off / GRAN + g]);
				am->map[off / GRAN + g] = 1;
			}
			am->al[k].off = off;
			am->al[k].len = len;
			am->al[k].live = 1;
		} else {
			FZ_CHECK(vq_arena_largest(&am->a) < vq_arena_round(&am->a, len));
		}
	} else if (am->al[k].live && !(op & 2)) {
		uint64_t ng = (am->al[k].len + GRAN - 1) / GRAN;

		FZ_CHECK(vq_arena_free(&am->a, am->al[k].off, am->al[k].len) == VQ_OK);
		memset(am->map + am->al[k].off / GRAN, 0, ng);
		am->al[k].live = 0;
	} else {
		/* A free of a range that may not be allocated at all. */
		uint64_t o = fz_u16(in), len = 1 + fz_u16(in);
		int allocated = 1;
		uint64_t g0 = o / GRAN, ng = (len + GRAN - 1) / GRAN;
		int r;

		if (o % GRAN || o + ng * GRAN > ARENA) {
			allocated = 0;
		} else {
			for (g = 0; g < ng; g++)
				if (!am->map[g0 + g])
					allocated = 0;
		}
		if (allocated)
			return; /* would free part of a live block: the model's job */
		r = vq_arena_free(&am->a, o, len);
		FZ_CHECK(r == VQ_ERR_INVAL);
	}
	arena_check(am);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	static struct model m;
	static struct amodel am;
	unsigned steps = 0;

	memset(&m, 0, sizeof(m));
	memset(&am, 0, sizeof(am));
	m.num = 1u << (fz_u8(&in) % 6);
	FZ_CHECK(vq_layout(m.num, &m.l) == VQ_OK && m.l.size <= sizeof(m.ring));
	m.dev_used = fz_u16(&in);
	FZ_CHECK(vq_init(&m.vq, m.num, m.ring, m.dev_used, m.slots, m.next) == VQ_OK);
	FZ_CHECK(vq_arena_init(&am.a, ARENA, GRAN, am.ext, NG + 1) == VQ_OK);

	while (!fz_empty(&in) && steps++ < 4096) {
		switch (fz_u8(&in) % 10) {
		case 0: case 1: op_add(&m, &in); break;
		case 2: op_publish(&m); break;
		case 3: op_used_elem(&m, &in); break;
		case 4: op_used_idx(&m, &in); break;
		case 5: case 6: op_get_used(&m); break;
		case 7: op_scribble(&m, &in); break;
		case 8: op_flags(&m, &in); break;
		case 9: op_arena(&am, &in); break;
		}
		if (!m.broken)
			FZ_CHECK(vq_num_free(&m.vq) + live_desc(&m) == m.num);
		else
			FZ_CHECK(vq_is_broken(&m.vq));
	}
	/* Teardown: the outstanding chains are exactly the model's live ones. */
	{
		unsigned pos = 0, n = 0, i, live = 0;
		void *ck;

		while (vq_next_outstanding(&m.vq, &pos, &ck)) {
			FZ_CHECK(((struct chain *)ck)->live);
			n++;
		}
		for (i = 0; i < MAXLIVE; i++)
			live += m.ch[i].live;
		FZ_CHECK(n == live);
	}
	return 0;
}
