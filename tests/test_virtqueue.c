/*
 * test_virtqueue.c - the split-virtqueue code and the data-area allocator
 * of the virtio-fs transport (src/transport/virtqueue.c), without any back
 * end: the test plays the device by reading the available ring and the
 * descriptor table and writing the used ring itself, honestly or not.
 *
 *  - layout and set-up; descriptor chains as written (addresses, lengths,
 *    NEXT/WRITE flags, links), publication only on vq_publish();
 *  - completion in and out of order, descriptor reuse, a randomised
 *    device that checks no descriptor ever belongs to two live chains;
 *  - 16-bit index wrap-around (rings started near 65535);
 *  - a hostile device: used index running ahead or backwards, ids out of
 *    range, ids that are not live heads (free, non-head, unpublished,
 *    already completed), lengths beyond the writable capacity; every one
 *    is a clean error (VQ_ERR_BROKEN or VQ_USED_BAD_LEN), never a crash;
 *  - notification suppression flags (NO_NOTIFY, NO_INTERRUPT);
 *  - the first-fit allocator against a byte-map model.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/virtqueue_i.h"

#define MAXQ 1024

/* A ring with its memory and private arrays, and a simple device model. */
struct tq {
	struct vq vq;
	unsigned num;
	unsigned char *mem;
	struct vq_layout l;
	struct vq_slot slots[MAXQ];
	uint16_t next[MAXQ];
	uint16_t dev_avail;   /* device: next avail index to read */
	uint16_t dev_used;    /* device: next used index to write */
};

static void tq_init(struct tq *t, unsigned num, uint16_t base)
{
	memset(t, 0, sizeof(*t));
	t->num = num;
	ck_assert_int_eq(vq_layout(num, &t->l), VQ_OK);
	ck_assert_int_eq(posix_memalign((void **)&t->mem, 64, t->l.size), 0);
	memset(t->mem, 0xa5, t->l.size); /* vq_init must clear it */
	ck_assert_int_eq(vq_init(&t->vq, num, t->mem, base, t->slots, t->next), VQ_OK);
	t->dev_avail = t->dev_used = base;
}

static void tq_free(struct tq *t)
{
	free(t->mem);
}

static uint16_t *avail16(struct tq *t)
{
	return (uint16_t *)(void *)(t->mem + t->l.avail_off);
}

static uint16_t *used16(struct tq *t)
{
	return (uint16_t *)(void *)(t->mem + t->l.used_off);
}

static struct vq_desc *desc(struct tq *t, unsigned i)
{
	return (struct vq_desc *)(void *)(t->mem + t->l.desc_off) + i;
}

/* Device: the avail index the driver published. */
static uint16_t dev_avail_idx(struct tq *t)
{
	return avail16(t)[1];
}

/* Device: take the next available head, or -1. */
static int dev_pop(struct tq *t)
{
	uint16_t head;

	if (t->dev_avail == dev_avail_idx(t))
		return -1;
	head = avail16(t)[2 + (t->dev_avail & (t->num - 1))];
	t->dev_avail++;
	return head;
}

/* Device: write a used element (raw) without publishing it. */
static void dev_put_elem(struct tq *t, uint16_t pos, uint32_t id, uint32_t len)
{
	struct vq_used_elem e = { id, len };

	memcpy(t->mem + t->l.used_off + 4 + 8u * (pos & (t->num - 1)), &e, sizeof(e));
}

static void dev_set_used_idx(struct tq *t, uint16_t idx)
{
	used16(t)[1] = idx;
}

/* Device: complete chain @id with @len (publishing it). */
static void dev_complete(struct tq *t, uint32_t id, uint32_t len)
{
	dev_put_elem(t, t->dev_used, id, len);
	t->dev_used++;
	dev_set_used_idx(t, t->dev_used);
}

/* Add a chain of @nr readable and @nw writable buffers of @len bytes. */
static int add_chain(struct tq *t, unsigned nr, unsigned nw, uint32_t len,
		     void *cookie)
{
	struct vq_buf b[16];
	unsigned i;

	for (i = 0; i < nr + nw; i++) {
		b[i].addr = 0x40000000ull + 0x1000ull * i;
		b[i].len = len + i;
		b[i].writable = i >= nr;
	}
	return vq_add(&t->vq, b, nr + nw, cookie);
}

/* ---- layout, set-up, chains ------------------------------------------------- */

START_TEST(test_layout)
{
	struct vq_layout l;

	ck_assert_int_eq(vq_layout(256, &l), VQ_OK);
	ck_assert_uint_eq(l.desc_off, 0);
	ck_assert_uint_eq(l.avail_off, 4096);
	ck_assert_uint_eq(l.used_off % 4, 0);
	ck_assert_uint_ge(l.used_off, 4096 + 6 + 512);
	ck_assert_uint_ge(l.size, l.used_off + 6 + 8 * 256);
	ck_assert_uint_eq(l.size % 64, 0);
	ck_assert_int_eq(vq_layout(0, &l), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_layout(100, &l), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_layout(65536, &l), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_layout(32768, &l), VQ_OK);
	ck_assert_int_eq(vq_layout(1, &l), VQ_OK);
}
END_TEST

START_TEST(test_init_bad)
{
	struct tq t;
	struct vq vq;
	unsigned char *odd;

	tq_init(&t, 8, 0);
	ck_assert_int_eq(vq_init(&vq, 6, t.mem, 0, t.slots, t.next), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_init(&vq, 8, NULL, 0, t.slots, t.next), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_init(&vq, 8, t.mem, 0, NULL, t.next), VQ_ERR_INVAL);
	odd = t.mem + 8;
	ck_assert_int_eq(vq_init(&vq, 4, odd, 0, t.slots, t.next), VQ_ERR_INVAL);
	/* Freshly set up: everything zero but the indices. */
	ck_assert_uint_eq(avail16(&t)[0], 0);
	ck_assert_uint_eq(used16(&t)[0], 0);
	ck_assert_uint_eq(desc(&t, 3)->len, 0);
	tq_free(&t);
}
END_TEST

START_TEST(test_chain_written)
{
	struct tq t;
	int cookie, head, i;

	tq_init(&t, 16, 0);
	ck_assert_uint_eq(vq_num_free(&t.vq), 16);
	head = add_chain(&t, 2, 2, 100, &cookie);
	ck_assert_int_ge(head, 0);
	ck_assert_uint_eq(vq_num_free(&t.vq), 12);
	ck_assert_uint_eq(vq_inflight(&t.vq), 1);
	/* Not visible before publication. */
	ck_assert_uint_eq(dev_avail_idx(&t), 0);
	ck_assert_int_eq(dev_pop(&t), -1);
	ck_assert_uint_eq(vq_publish(&t.vq), 1);
	ck_assert_uint_eq(vq_publish(&t.vq), 0);
	ck_assert_uint_eq(dev_avail_idx(&t), 1);
	ck_assert_int_eq(dev_pop(&t), head);

	/* Walk the chain as a device would. */
	{
		unsigned d = (unsigned)head;

		for (i = 0; i < 4; i++) {
			struct vq_desc *x = desc(&t, d);

			ck_assert_uint_eq(x->addr, 0x40000000ull + 0x1000ull * (unsigned)i);
			ck_assert_uint_eq(x->len, 100u + (unsigned)i);
			ck_assert_uint_eq(!!(x->flags & VQ_DESC_F_WRITE), i >= 2);
			ck_assert_uint_eq(!!(x->flags & VQ_DESC_F_NEXT), i < 3);
			d = x->next;
		}
	}
	dev_complete(&t, (uint32_t)head, 50);
	{
		struct vq_completion c;

		ck_assert_int_eq(vq_has_used(&t.vq), 1);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		ck_assert_ptr_eq(c.cookie, &cookie);
		ck_assert_uint_eq(c.head, head);
		ck_assert_uint_eq(c.len, 50);
		ck_assert_uint_eq(c.wlen, 102 + 103);
		ck_assert_int_eq(c.status, VQ_USED_OK);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 0);
		ck_assert_int_eq(vq_has_used(&t.vq), 0);
	}
	ck_assert_uint_eq(vq_num_free(&t.vq), 16);
	ck_assert_uint_eq(vq_inflight(&t.vq), 0);
	tq_free(&t);
}
END_TEST

START_TEST(test_add_rejects)
{
	struct tq t;
	struct vq_buf b[3] = {
		{ 0x1000, 10, 1 }, { 0x2000, 10, 0 }, { 0x3000, 10, 1 },
	};
	int i;

	tq_init(&t, 4, 0);
	ck_assert_int_eq(vq_add(&t.vq, b, 0, NULL), VQ_ERR_INVAL);
	/* Readable after writable. */
	ck_assert_int_eq(vq_add(&t.vq, b, 2, NULL), VQ_ERR_INVAL);
	b[0].writable = 0;
	b[1].len = 0;
	ck_assert_int_eq(vq_add(&t.vq, b, 3, NULL), VQ_ERR_INVAL);
	b[1].len = 10;
	/* Writable lengths overflowing 32 bits. */
	{
		struct vq_buf big[2] = { { 0, 0xffffffffu, 1 }, { 0, 2, 1 } };

		ck_assert_int_eq(vq_add(&t.vq, big, 2, NULL), VQ_ERR_INVAL);
	}
	ck_assert_int_eq(vq_add(&t.vq, b, 5, NULL), VQ_ERR_INVAL);
	ck_assert_int_ge(vq_add(&t.vq, b, 3, NULL), 0);
	ck_assert_int_eq(vq_add(&t.vq, b, 2, NULL), VQ_ERR_NOSPC);
	ck_assert_int_ge(vq_add(&t.vq, b, 1, NULL), 0);
	ck_assert_int_eq(vq_add(&t.vq, b, 1, NULL), VQ_ERR_NOSPC);
	ck_assert_uint_eq(vq_num_free(&t.vq), 0);
	/* Nothing the failed calls did is visible. */
	ck_assert_uint_eq(vq_publish(&t.vq), 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_ge(dev_pop(&t), 0);
	ck_assert_int_eq(dev_pop(&t), -1);
	tq_free(&t);
}
END_TEST

START_TEST(test_out_of_order_reuse)
{
	struct tq t;
	int h[4], i, cookies[4];
	struct vq_completion c;

	tq_init(&t, 8, 0);
	for (i = 0; i < 4; i++) {
		h[i] = add_chain(&t, 1, 1, 16, &cookies[i]);
		ck_assert_int_ge(h[i], 0);
	}
	ck_assert_uint_eq(vq_num_free(&t.vq), 0);
	vq_publish(&t.vq);
	/* Complete 2, 0, 3, 1. */
	dev_complete(&t, (uint32_t)h[2], 1);
	dev_complete(&t, (uint32_t)h[0], 2);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_ptr_eq(c.cookie, &cookies[2]);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_ptr_eq(c.cookie, &cookies[0]);
	ck_assert_uint_eq(vq_num_free(&t.vq), 4);
	/* The freed descriptors are reused at once. */
	ck_assert_int_ge(add_chain(&t, 2, 2, 8, NULL), 0);
	ck_assert_uint_eq(vq_num_free(&t.vq), 0);
	dev_complete(&t, (uint32_t)h[3], 3);
	dev_complete(&t, (uint32_t)h[1], 4);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_ptr_eq(c.cookie, &cookies[3]);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_ptr_eq(c.cookie, &cookies[1]);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 0);
	ck_assert_uint_eq(vq_inflight(&t.vq), 1);
	tq_free(&t);
}
END_TEST

/*
 * A randomised honest device: chains of random shape, completed in random
 * order.  The device walks each chain it pops and checks that no
 * descriptor is in two live chains, and that lengths are as added.
 */
static void random_run(unsigned num, uint16_t base, unsigned rounds,
		       unsigned seed)
{
	struct tq t;
	struct live {
		int head;
		unsigned n;
		uint32_t wlen;
		uint16_t ids[16];
		int popped;
	} *live;
	unsigned char *owner;
	unsigned nlive = 0, i, r, completed = 0;

	srand(seed);
	tq_init(&t, num, base);
	live = calloc(num, sizeof(*live));
	owner = calloc(num, 1);
	for (r = 0; r < rounds; r++) {
		int op = rand() % 3;

		if (op < 2) {
			/* Add 1..4 chains, then publish. */
			unsigned k, nadd = 1 + (unsigned)rand() % 4;

			for (k = 0; k < nadd; k++) {
				unsigned n = 1 + (unsigned)rand() % (num < 6 ? num : 6);
				unsigned nr = 1 + (unsigned)rand() % n, nw = n - nr;
				struct vq_buf b[16];
				uint32_t wlen = 0;
				int head;

				for (i = 0; i < n; i++) {
					b[i].addr = (uint64_t)rand();
					b[i].len = 1 + (uint32_t)rand() % 5000;
					b[i].writable = i >= nr;
					if (b[i].writable)
						wlen += b[i].len;
				}
				head = vq_add(&t.vq, b, nr + nw, &live[nlive]);
				if (head == VQ_ERR_NOSPC) {
					ck_assert_uint_lt(vq_num_free(&t.vq), n);
					continue;
				}
				ck_assert_int_ge(head, 0);
				live[nlive].head = head;
				live[nlive].n = n;
				live[nlive].wlen = wlen;
				live[nlive].popped = 0;
				nlive++;
			}
			vq_publish(&t.vq);
		} else if (nlive) {
			/* The device pops everything, completes one at random. */
			struct vq_completion c;
			int h;
			unsigned pick, k;
			uint32_t len;

			while ((h = dev_pop(&t)) >= 0) {
				unsigned d = (unsigned)h;

				for (k = 0; k < nlive; k++)
					if (live[k].head == h && !live[k].popped)
						break;
				ck_assert_uint_lt(k, nlive);
				live[k].popped = 1;
				for (i = 0; i < live[k].n; i++) {
					ck_assert_uint_lt(d, num);
					ck_assert_int_eq(owner[d], 0);
					owner[d] = 1;
					live[k].ids[i] = (uint16_t)d;
					ck_assert_uint_eq(!!(desc(&t, d)->flags & VQ_DESC_F_NEXT),
							  i + 1 < live[k].n);
					d = desc(&t, d)->next;
				}
			}
			pick = (unsigned)rand() % nlive;
			if (!live[pick].popped)
				continue;
			len = live[pick].wlen ? (uint32_t)rand() % (live[pick].wlen + 1) : 0;
			dev_complete(&t, (uint32_t)live[pick].head, len);
			ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
			ck_assert_ptr_eq(c.cookie, &live[pick]);
			ck_assert_int_eq(c.status, VQ_USED_OK);
			ck_assert_uint_eq(c.len, len);
			ck_assert_uint_eq(c.wlen, live[pick].wlen);
			for (i = 0; i < live[pick].n; i++)
				owner[live[pick].ids[i]] = 0;
			/* Keep cookies stable: move the last into the hole. */
			nlive--;
			if (pick != nlive) {
				/* Chains still queued keep pointing at their record. */
				struct live tmp = live[nlive];
				struct vq_slot *s = &t.slots[tmp.head];

				live[pick] = tmp;
				s->cookie = &live[pick];
			}
			completed++;
		}
		{
			unsigned used_desc = 0;

			for (i = 0; i < nlive; i++)
				used_desc += live[i].n;
			ck_assert_uint_eq(vq_num_free(&t.vq) + used_desc, num);
		}
	}
	ck_assert_uint_gt(completed, rounds / 10);
	free(live);
	free(owner);
	tq_free(&t);
}

START_TEST(test_random_honest)
{
	random_run(8, 0, 20000, 1);
	random_run(64, 0, 20000, 2);
	random_run(2, 0, 5000, 3);
}
END_TEST

START_TEST(test_wraparound)
{
	struct tq t;
	struct vq_completion c;
	unsigned i;
	uint16_t before;

	/* A ring of 4, 70000 chains: the indices wrap past 65535 once. */
	tq_init(&t, 4, 65530);
	ck_assert_uint_eq(vq_avail_idx(&t.vq), 65530);
	for (i = 0; i < 70000; i++) {
		int h = add_chain(&t, 1, 1, 16, (void *)(uintptr_t)(i + 1));

		ck_assert_int_ge(h, 0);
		vq_publish(&t.vq);
		ck_assert_int_eq(dev_pop(&t), h);
		dev_complete(&t, (uint32_t)h, 16);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		ck_assert_ptr_eq(c.cookie, (void *)(uintptr_t)(i + 1));
	}
	ck_assert_uint_eq(vq_avail_idx(&t.vq), (uint16_t)(65530u + 70000u));
	ck_assert_uint_eq(vq_last_used(&t.vq), (uint16_t)(65530u + 70000u));
	tq_free(&t);

	/* Several in flight exactly across the wrap. */
	tq_init(&t, 8, 65533);
	for (i = 0; i < 8; i++)
		ck_assert_int_ge(add_chain(&t, 1, 0, 8, (void *)(uintptr_t)(i + 1)), 0);
	vq_publish(&t.vq);
	ck_assert_uint_eq(dev_avail_idx(&t), (uint16_t)(65533u + 8u));
	before = t.dev_used;
	for (i = 0; i < 8; i++)
		dev_complete(&t, (uint32_t)dev_pop(&t), 0);
	ck_assert_uint_eq((uint16_t)(t.dev_used - before), 8);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		ck_assert_ptr_eq(c.cookie, (void *)(uintptr_t)(i + 1));
	}
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 0);
	tq_free(&t);
}
END_TEST

/* ---- a hostile device ---------------------------------------------------------- */

/* A ring with chains A (published, popped), B (published), C (added only). */
static void hostile_setup(struct tq *t, int h[3])
{
	tq_init(t, 8, 0);
	h[0] = add_chain(t, 1, 2, 16, (void *)1); /* 3 descriptors, wlen 17+18 */
	h[1] = add_chain(t, 1, 1, 16, (void *)2);
	vq_publish(&t->vq);
	h[2] = add_chain(t, 1, 1, 16, (void *)3);
	ck_assert_int_ge(h[0], 0);
	ck_assert_int_ge(h[1], 0);
	ck_assert_int_ge(h[2], 0);
}

static void assert_broken(struct tq *t)
{
	struct vq_completion c;

	ck_assert_int_eq(vq_get_used(&t->vq, &c), VQ_ERR_BROKEN);
	ck_assert_int_eq(vq_is_broken(&t->vq), 1);
	/* For good: nothing more is read or added. */
	ck_assert_int_eq(vq_get_used(&t->vq, &c), VQ_ERR_BROKEN);
	ck_assert_int_eq(add_chain(t, 1, 0, 8, NULL), VQ_ERR_BROKEN);
	ck_assert_int_eq(vq_has_used(&t->vq), 0);
}

START_TEST(test_hostile_index_ahead)
{
	struct tq t;
	int h[3];

	hostile_setup(&t, h);
	/* Three completions claimed, two chains published. */
	dev_put_elem(&t, 0, (uint32_t)h[0], 0);
	dev_put_elem(&t, 1, (uint32_t)h[1], 0);
	dev_put_elem(&t, 2, (uint32_t)h[0], 0);
	dev_set_used_idx(&t, 3);
	assert_broken(&t);
	tq_free(&t);

	hostile_setup(&t, h);
	/* The index running backwards is 65535 completions ahead. */
	dev_set_used_idx(&t, 0xffff);
	assert_broken(&t);
	tq_free(&t);
}
END_TEST

START_TEST(test_hostile_ids)
{
	static const uint32_t bad_ids[] = { 8, 9, 0xffff, 0x10000, 0xffffffffu };
	struct tq t;
	unsigned i;
	int h[3];

	/* Out of range. */
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		hostile_setup(&t, h);
		dev_complete(&t, bad_ids[i], 0);
		assert_broken(&t);
		tq_free(&t);
	}
	/* A free descriptor. */
	hostile_setup(&t, h);
	dev_complete(&t, 7, 0);
	assert_broken(&t);
	tq_free(&t);
	/* The second descriptor of chain A: in use, but not a head. */
	hostile_setup(&t, h);
	dev_complete(&t, desc(&t, (unsigned)h[0])->next, 0);
	assert_broken(&t);
	tq_free(&t);
	/* Chain C: added but never published. */
	hostile_setup(&t, h);
	dev_complete(&t, (uint32_t)h[2], 0);
	assert_broken(&t);
	tq_free(&t);
	/* Chain B completed twice. */
	hostile_setup(&t, h);
	{
		struct vq_completion c;

		dev_complete(&t, (uint32_t)h[1], 0);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		dev_complete(&t, (uint32_t)h[1], 0);
		assert_broken(&t);
	}
	tq_free(&t);
}
END_TEST

START_TEST(test_hostile_len)
{
	struct tq t;
	struct vq_completion c;
	int h[3];

	hostile_setup(&t, h);
	/* A's writable capacity is 17 + 18 = 35. */
	dev_complete(&t, (uint32_t)h[0], 35);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_int_eq(c.status, VQ_USED_OK);
	ck_assert_uint_eq(c.wlen, 35);

	/* B: 17 bytes of capacity, 18 and 4 GiB claimed: that chain is bad, the ring is fine. */
	dev_complete(&t, (uint32_t)h[1], 0xffffffffu);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_int_eq(c.status, VQ_USED_BAD_LEN);
	ck_assert_ptr_eq(c.cookie, (void *)2);
	ck_assert_uint_eq(c.len, 0xffffffffu);
	ck_assert_int_eq(vq_is_broken(&t.vq), 0);
	/* Its descriptors are free again; C is still there. */
	ck_assert_uint_eq(vq_num_free(&t.vq), 6);
	vq_publish(&t.vq);
	dev_complete(&t, (uint32_t)h[2], 18);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_int_eq(c.status, VQ_USED_BAD_LEN);

	/* A readable-only chain (a FORGET) has capacity 0. */
	{
		int f = add_chain(&t, 2, 0, 8, (void *)4);

		vq_publish(&t.vq);
		dev_complete(&t, (uint32_t)f, 0);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		ck_assert_int_eq(c.status, VQ_USED_OK);
		f = add_chain(&t, 2, 0, 8, (void *)5);
		vq_publish(&t.vq);
		dev_complete(&t, (uint32_t)f, 1);
		ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
		ck_assert_int_eq(c.status, VQ_USED_BAD_LEN);
	}
	ck_assert_uint_eq(vq_num_free(&t.vq), 8);
	tq_free(&t);
}
END_TEST

START_TEST(test_hostile_descriptors_rewritten)
{
	struct tq t;
	struct vq_completion c;
	unsigned i;
	int h[3];

	/*
	 * The device scribbles over the descriptor table (next links, flags):
	 * the driver's free list is private, so nothing follows.
	 */
	hostile_setup(&t, h);
	for (i = 0; i < 8; i++) {
		desc(&t, i)->next = 0xffff;
		desc(&t, i)->flags = 0xffff;
		desc(&t, i)->len = 0;
	}
	avail16(&t)[2] = 0xffff; /* and the avail ring */
	dev_complete(&t, (uint32_t)h[0], 1);
	dev_complete(&t, (uint32_t)h[1], 1);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_int_eq(vq_get_used(&t.vq, &c), 1);
	ck_assert_uint_eq(vq_num_free(&t.vq), 6);
	/* Re-adding overwrites the table consistently. */
	for (i = 0; i < 3; i++)
		ck_assert_int_ge(add_chain(&t, 1, 1, 8, NULL), 0);
	ck_assert_uint_eq(vq_num_free(&t.vq), 0);
	tq_free(&t);
}
END_TEST

/* ---- notification flags ---------------------------------------------------------- */

START_TEST(test_notify_flags)
{
	struct tq t;

	tq_init(&t, 4, 0);
	ck_assert_int_eq(vq_kick_needed(&t.vq), 1);
	used16(&t)[0] = VQ_USED_F_NO_NOTIFY;
	ck_assert_int_eq(vq_kick_needed(&t.vq), 0);
	used16(&t)[0] = 0;

	vq_disable_cb(&t.vq);
	ck_assert_uint_eq(avail16(&t)[0], VQ_AVAIL_F_NO_INTERRUPT);
	ck_assert_int_eq(vq_enable_cb(&t.vq), 0);
	ck_assert_uint_eq(avail16(&t)[0], 0);
	/* Something completed while signals were off: enable says so. */
	vq_disable_cb(&t.vq);
	{
		int h = add_chain(&t, 1, 0, 8, NULL);

		vq_publish(&t.vq);
		dev_complete(&t, (uint32_t)h, 0);
	}
	ck_assert_int_eq(vq_enable_cb(&t.vq), 1);
	tq_free(&t);
}
END_TEST

START_TEST(test_outstanding_iteration)
{
	struct tq t;
	unsigned pos = 0, n = 0;
	void *ck;
	int i;

	tq_init(&t, 16, 0);
	for (i = 0; i < 5; i++)
		add_chain(&t, 1, 1, 8, (void *)(uintptr_t)(i + 1));
	vq_publish(&t.vq);
	while (vq_next_outstanding(&t.vq, &pos, &ck)) {
		ck_assert_ptr_nonnull(ck);
		n++;
	}
	ck_assert_uint_eq(n, 5);
	tq_free(&t);
}
END_TEST

/* ---- the allocator ------------------------------------------------------------------ */

START_TEST(test_arena_basic)
{
	struct vq_arena a;
	struct vq_extent ext[8];
	uint64_t o1, o2, o3, o4;

	ck_assert_int_eq(vq_arena_init(&a, 1000, 64, ext, 8), VQ_OK);
	ck_assert_uint_eq(a.size, 960);
	ck_assert_int_eq(vq_arena_init(&a, 4096, 48, ext, 8), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_init(&a, 4096, 64, ext, 8), VQ_OK);
	ck_assert_uint_eq(vq_arena_round(&a, 1), 64);
	ck_assert_uint_eq(vq_arena_round(&a, 64), 64);
	ck_assert_uint_eq(vq_arena_round(&a, 65), 128);

	ck_assert_int_eq(vq_arena_alloc(&a, 0, &o1), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_alloc(&a, 100, &o1), VQ_OK);
	ck_assert_int_eq(vq_arena_alloc(&a, 1000, &o2), VQ_OK);
	ck_assert_int_eq(vq_arena_alloc(&a, 64, &o3), VQ_OK);
	ck_assert_uint_eq(o1, 0);
	ck_assert_uint_eq(o2, 128);
	ck_assert_uint_eq(o3, 128 + 1024);
	ck_assert_uint_eq(a.free_bytes, 4096 - 128 - 1024 - 64);
	ck_assert_int_eq(vq_arena_alloc(&a, 4096, &o4), VQ_ERR_NOSPC);
	/* Free the middle: first fit takes the hole. */
	ck_assert_int_eq(vq_arena_free(&a, o2, 1000), VQ_OK);
	ck_assert_int_eq(vq_arena_alloc(&a, 500, &o4), VQ_OK);
	ck_assert_uint_eq(o4, 128);
	/* Double free and frees of free or foreign ranges are refused. */
	ck_assert_int_eq(vq_arena_free(&a, o2 + 512, 512), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_free(&a, 4096, 64), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_free(&a, 4032, 128), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_free(&a, 3, 64), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_free(&a, o1, 100), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o1, 100), VQ_ERR_INVAL);
	ck_assert_int_eq(vq_arena_free(&a, o4, 500), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o3, 64), VQ_OK);
	/* Everything coalesced back into one extent. */
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.free_bytes, 4096);
	ck_assert_uint_eq(vq_arena_largest(&a), 4096);
}
END_TEST

START_TEST(test_arena_random_model)
{
	enum { SIZE = 1 << 16, ALIGN = 64, LIVE = 64 };
	static unsigned char map[SIZE];
	struct vq_extent ext[LIVE + 1];
	struct { uint64_t off, len; int used; } live[LIVE];
	struct vq_arena a;
	unsigned r, i;

	srand(7);
	memset(map, 0, sizeof(map));
	memset(live, 0, sizeof(live));
	ck_assert_int_eq(vq_arena_init(&a, SIZE, ALIGN, ext, LIVE + 1), VQ_OK);
	for (r = 0; r < 50000; r++) {
		unsigned k = (unsigned)rand() % LIVE;

		if (!live[k].used) {
			uint64_t len = 1 + (uint64_t)rand() % 3000, off;
			int err = vq_arena_alloc(&a, len, &off);

			if (err == VQ_ERR_NOSPC) {
				ck_assert_uint_lt(vq_arena_largest(&a), vq_arena_round(&a, len));
				continue;
			}
			ck_assert_int_eq(err, VQ_OK);
			ck_assert_uint_eq(off % ALIGN, 0);
			ck_assert_uint_le(off + len, SIZE);
			for (i = 0; i < len; i++)
				if (map[off + i])
					ck_abort_msg("byte %llu allocated twice",
						     (unsigned long long)(off + i));
			memset(map + off, 1, len);
			live[k].off = off;
			live[k].len = len;
			live[k].used = 1;
		} else {
			ck_assert_int_eq(vq_arena_free(&a, live[k].off, live[k].len), VQ_OK);
			memset(map + live[k].off, 0, live[k].len);
			live[k].used = 0;
		}
		/* The sorted extents never touch or overlap. */
		for (i = 1; i < a.n; i++)
			ck_assert_uint_gt(a.ext[i].off, a.ext[i - 1].off + a.ext[i - 1].len);
	}
	for (i = 0; i < LIVE; i++)
		if (live[i].used)
			ck_assert_int_eq(vq_arena_free(&a, live[i].off, live[i].len), VQ_OK);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.free_bytes, SIZE);
}
END_TEST

START_TEST(test_arena_extent_array_full)
{
	struct vq_arena a;
	struct vq_extent ext[2];
	uint64_t o[4];
	int i;

	ck_assert_int_eq(vq_arena_init(&a, 64 * 4, 64, ext, 2), VQ_OK);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(vq_arena_alloc(&a, 64, &o[i]), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o[0], 64), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o[2], 64), VQ_OK);
	/* A third separate extent does not fit in the array: refused, kept. */
	ck_assert_int_eq(a.n, 2);
	ck_assert_int_eq(vq_arena_free(&a, o[3], 64), VQ_OK); /* merges with o[2] */
	ck_assert_int_eq(vq_arena_free(&a, o[1], 64), VQ_OK); /* merges all */
	ck_assert_uint_eq(a.n, 1);
	ck_assert_int_eq(vq_arena_init(&a, 64 * 5, 64, ext, 2), VQ_OK);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(vq_arena_alloc(&a, 64, &o[i]), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o[0], 64), VQ_OK);
	ck_assert_int_eq(vq_arena_free(&a, o[2], 64), VQ_ERR_NOSPC);
}
END_TEST

static Suite *vq_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc;

	tc = tcase_create("ring");
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_init_bad);
	tcase_add_test(tc, test_chain_written);
	tcase_add_test(tc, test_add_rejects);
	tcase_add_test(tc, test_out_of_order_reuse);
	tcase_add_test(tc, test_random_honest);
	tcase_add_test(tc, test_wraparound);
	tcase_add_test(tc, test_notify_flags);
	tcase_add_test(tc, test_outstanding_iteration);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_hostile_index_ahead);
	tcase_add_test(tc, test_hostile_ids);
	tcase_add_test(tc, test_hostile_len);
	tcase_add_test(tc, test_hostile_descriptors_rewritten);
	suite_add_tcase(s, tc);

	tc = tcase_create("arena");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_arena_basic);
	tcase_add_test(tc, test_arena_random_model);
	tcase_add_test(tc, test_arena_extent_array_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vq_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
