/*
 * vu_fake.c - a scriptable vhost-user virtio-fs back end (see vu_fake.h).
 *
 * One thread: it answers the handshake messages as libvhost-user does,
 * then polls the socket (a hang-up ends it), the kick eventfds and its
 * stop eventfd.  Each chain popped is gathered (readable part), answered
 * by a tiny FUSE responder (INIT, GETATTR, LOOKUP, FORGET, DESTROY;
 * -ENOSYS otherwise), passed to the test's hook, scattered into the
 * writable descriptors and pushed onto the used ring, and the call eventfd
 * is signalled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vu_fake.h"

#define MAXQ 16

struct fq {
	unsigned num;
	uint64_t desc_va, avail_va, used_va;
	int kick_fd, call_fd;
	uint16_t last_avail, used_idx;
	int enabled, ready;
	uint64_t chains;
};

struct vu_fake {
	struct vu_fake_cfg cfg;
	int sock, stop_fd;
	pthread_t th;
	int reply_ack;
	unsigned char *mem;
	uint64_t mem_size, gpa, uva;
	struct fq q[MAXQ];
	pthread_mutex_t lock;
	unsigned messages;
	uint64_t kicks;
	int gone;
};

void vu_fake_cfg_default(struct vu_fake_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->features = 0x175000000ull;
	cfg->protocol_features = 0x8c2bull;
	cfg->queues = 2;
}

/* ---- vhost-user messages ---------------------------------------------------- */

struct msg {
	uint32_t request, flags, size;
	unsigned char payload[256];
	int fds[8];
	int nfds;
};

static int read_msg(struct vu_fake *f, struct msg *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { m, 12 };
	struct msghdr h;
	struct cmsghdr *c;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.msg_iov = &iov;
	h.msg_iovlen = 1;
	h.msg_control = u.buf;
	h.msg_controllen = sizeof(u.buf);
	m->nfds = 0;
	n = recvmsg(f->sock, &h, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n != 12)
		return -1;
	for (c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			m->nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(m->fds, CMSG_DATA(c), sizeof(int) * (size_t)m->nfds);
		}
	}
	if (m->size > sizeof(m->payload))
		return -1;
	if (m->size && recv(f->sock, m->payload, m->size, MSG_WAITALL) != (ssize_t)m->size)
		return -1;
	f->messages++;
	return 0;
}

static void reply(struct vu_fake *f, const struct msg *m, const void *p,
		  uint32_t size)
{
	struct {
		uint32_t request, flags, size;
		unsigned char p[64];
	} r;

	r.request = m->request;
	r.flags = 0x1 | 0x4;
	r.size = size;
	memcpy(r.p, p, size);
	if (send(f->sock, &r, 12 + size, MSG_NOSIGNAL) < 0) {
		/* the front end is gone; the poll loop notices */
	}
}

static void reply_u64(struct vu_fake *f, const struct msg *m, uint64_t v)
{
	reply(f, m, &v, sizeof(v));
}

static void ack(struct vu_fake *f, const struct msg *m)
{
	if (f->reply_ack && (m->flags & 0x8))
		reply_u64(f, m, m->request == f->cfg.nack_request ? 1 : 0);
}

static void *va_ptr(struct vu_fake *f, uint64_t va, uint64_t len)
{
	if (!f->mem || va < f->uva || va - f->uva > f->mem_size ||
	    len > f->mem_size - (va - f->uva))
		return NULL;
	return f->mem + (va - f->uva);
}

static void *gpa_ptr(struct vu_fake *f, uint64_t gpa, uint64_t len)
{
	if (!f->mem || gpa < f->gpa || gpa - f->gpa > f->mem_size ||
	    len > f->mem_size - (gpa - f->gpa))
		return NULL;
	return f->mem + (gpa - f->gpa);
}

/* Handle one handshake-time message.  Returns -1 to end the thread. */
static int handle_msg(struct vu_fake *f, struct msg *m)
{
	uint32_t idx;
	uint64_t u64;

	if (f->cfg.silent) {
		for (int i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		return 0;
	}
	memcpy(&u64, m->payload, sizeof(u64));
	memcpy(&idx, m->payload, sizeof(idx));
	switch (m->request) {
	case 1: /* GET_FEATURES */
		reply_u64(f, m, f->cfg.features);
		break;
	case 2: /* SET_FEATURES */
	case 3: /* SET_OWNER */
		ack(f, m);
		break;
	case 15: /* GET_PROTOCOL_FEATURES */
		reply_u64(f, m, f->cfg.protocol_features);
		break;
	case 16: /* SET_PROTOCOL_FEATURES */
		f->reply_ack = !!(u64 & (1u << 3));
		break;
	case 17: /* GET_QUEUE_NUM */
		reply_u64(f, m, f->cfg.queues);
		break;
	case 5: { /* SET_MEM_TABLE: one region */
		uint64_t r[4];

		memcpy(r, m->payload + 8, sizeof(r));
		if (m->nfds == 1) {
			void *p = mmap(NULL, r[1], PROT_READ | PROT_WRITE, MAP_SHARED,
				       m->fds[0], (off_t)r[3]);

			close(m->fds[0]);
			if (p != MAP_FAILED) {
				pthread_mutex_lock(&f->lock);
				f->mem = p;
				f->gpa = r[0];
				f->mem_size = r[1];
				f->uva = r[2];
				pthread_mutex_unlock(&f->lock);
			}
		}
		ack(f, m);
		break;
	}
	case 8: /* SET_VRING_NUM */
		if (idx < MAXQ)
			memcpy(&f->q[idx].num, m->payload + 4, 4);
		ack(f, m);
		break;
	case 10: /* SET_VRING_BASE */
		if (idx < MAXQ) {
			uint32_t base;

			memcpy(&base, m->payload + 4, 4);
			f->q[idx].last_avail = (uint16_t)base;
		}
		ack(f, m);
		break;
	case 9: { /* SET_VRING_ADDR */
		uint64_t a[3];

		memcpy(a, m->payload + 8, sizeof(a));
		if (idx < MAXQ) {
			uint16_t *used;

			f->q[idx].desc_va = a[0];
			f->q[idx].used_va = a[1];
			f->q[idx].avail_va = a[2];
			/* libvhost-user seeds its used index from the ring. */
			used = va_ptr(f, a[1], 4);
			if (used)
				f->q[idx].used_idx = used[1];
			if (f->cfg.no_notify && used)
				used[0] = 1;
		}
		ack(f, m);
		break;
	}
	case 12: /* SET_VRING_KICK */
	case 13: /* SET_VRING_CALL */
		idx = (uint32_t)(u64 & 0xff);
		if (idx < MAXQ && m->nfds == 1) {
			if (m->request == 12) {
				f->q[idx].kick_fd = m->fds[0];
				f->q[idx].ready = 1;
			} else {
				f->q[idx].call_fd = m->fds[0];
			}
		} else {
			for (int i = 0; i < m->nfds; i++)
				close(m->fds[i]);
		}
		ack(f, m);
		break;
	case 18: /* SET_VRING_ENABLE */
		if (idx < MAXQ)
			memcpy(&f->q[idx].enabled, m->payload + 4, 4);
		ack(f, m);
		break;
	case 11: { /* GET_VRING_BASE */
		uint32_t st[2] = { idx, idx < MAXQ ? f->q[idx].last_avail : 0 };

		if (idx < MAXQ)
			f->q[idx].ready = 0;
		reply(f, m, st, sizeof(st));
		break;
	}
	default:
		for (int i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		ack(f, m);
		break;
	}
	return 0;
}

/* ---- the FUSE responder -------------------------------------------------------- */

static void answer(struct vu_fake_chain *ch)
{
	struct fc_out_header *oh = (struct fc_out_header *)ch->reply;
	uint32_t body = 0;

	memset(ch->reply, 0, sizeof(struct fc_out_header) + 512);
	oh->unique = ch->in.unique;
	switch (ch->in.opcode) {
	case FC_INIT: {
		struct fc_init_out *o = (void *)(ch->reply + sizeof(*oh));
		struct fc_init_in in;

		memcpy(&in, ch->args, sizeof(in));
		o->major = 7;
		o->minor = 36;
		o->max_readahead = in.max_readahead;
		o->flags = FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES;
		o->max_write = 1 << 20;
		o->max_pages = 256;
		o->time_gran = 1;
		body = sizeof(*o);
		break;
	}
	case FC_GETATTR: {
		struct fc_attr_out *o = (void *)(ch->reply + sizeof(*oh));

		o->attr_valid = 1;
		o->attr.ino = ch->in.nodeid;
		o->attr.mode = 040755;
		o->attr.nlink = 2;
		body = sizeof(*o);
		break;
	}
	case FC_LOOKUP: {
		struct fc_entry_out *o = (void *)(ch->reply + sizeof(*oh));

		o->nodeid = 2 + (ch->in.unique % 1000);
		o->generation = 1;
		o->entry_valid = 1;
		o->attr_valid = 1;
		o->attr.ino = o->nodeid;
		o->attr.mode = 0100644;
		o->attr.nlink = 1;
		body = sizeof(*o);
		break;
	}
	case FC_FORGET:
	case FC_BATCH_FORGET:
		ch->reply_len = 0;
		return;
	case FC_DESTROY:
		break;
	default:
		oh->error = -ENOSYS;
		break;
	}
	oh->len = (uint32_t)sizeof(*oh) + body;
	ch->reply_len = oh->len;
}

struct fdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Serve every available chain of queue @qi. */
static int serve_queue(struct vu_fake *f, unsigned qi)
{
	struct fq *q = &f->q[qi];
	uint16_t *avail, *used;
	unsigned char *desc;
	int served = 0;

	if (!q->ready || !q->num)
		return 0;
	avail = va_ptr(f, q->avail_va, 4 + 2ull * q->num);
	used = va_ptr(f, q->used_va, 4 + 8ull * q->num);
	desc = va_ptr(f, q->desc_va, 16ull * q->num);
	if (!avail || !used || !desc)
		return 0;
	while (q->last_avail != __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE)) {
		struct vu_fake_chain *ch = calloc(1, sizeof(*ch));
		uint16_t head = avail[2 + (q->last_avail % q->num)];
		uint16_t d = head;
		unsigned steps = 0;
		uint32_t rdone = 0, wdone = 0;
		unsigned char *rbuf = (unsigned char *)&ch->in;
		struct fdesc w[16];
		unsigned nw = 0;

		q->last_avail++;
		ch->queue = qi;
		ch->head = head;
		/* Walk the chain (bounded), gather readable, note writable. */
		while (steps++ < q->num && d < q->num) {
			struct fdesc x;

			memcpy(&x, desc + 16u * d, sizeof(x));
			ch->ndesc++;
			if (x.flags & 2) {
				if (nw < 16)
					w[nw++] = x;
				ch->wcap += x.len;
			} else {
				unsigned char *src = gpa_ptr(f, x.addr, x.len);
				uint32_t k;

				for (k = 0; src && k < x.len; k++, rdone++) {
					if (rdone < sizeof(ch->in))
						rbuf[rdone] = src[k];
					else if (rdone - sizeof(ch->in) < sizeof(ch->args))
						ch->args[rdone - sizeof(ch->in)] = src[k];
				}
			}
			if (!(x.flags & 1))
				break;
			d = x.next;
		}
		ch->args_len = rdone > sizeof(ch->in) ? rdone - (uint32_t)sizeof(ch->in) : 0;
		answer(ch);
		ch->used_id = head;
		ch->used_len = ch->reply_len < ch->wcap ? ch->reply_len : ch->wcap;
		if (f->cfg.hook)
			f->cfg.hook(f->cfg.hook_ctx, ch);
		if (ch->hangup) {
			free(ch);
			shutdown(f->sock, SHUT_RDWR);
			return -1;
		}
		/* Scatter the reply over the writable descriptors. */
		{
			uint32_t left = ch->reply_len < ch->wcap ? ch->reply_len : ch->wcap;
			unsigned k;

			for (k = 0; k < nw && left; k++) {
				uint32_t n = w[k].len < left ? w[k].len : left;
				unsigned char *dst = gpa_ptr(f, w[k].addr, n);

				if (dst)
					memcpy(dst, ch->reply + wdone, n);
				wdone += n;
				left -= n;
			}
		}
		if (!ch->drop) {
			uint32_t e[2] = { ch->used_id, ch->used_len };

			memcpy((unsigned char *)used + 4 + 8u * (q->used_idx % q->num), e, 8);
			q->used_idx = (uint16_t)(q->used_idx + 1 + ch->used_idx_extra);
			__atomic_store_n(&used[1], q->used_idx, __ATOMIC_RELEASE);
		}
		q->chains++;
		served++;
		free(ch);
	}
	if (served && !(avail[0] & 1)) {
		uint64_t one = 1;

		if (write(q->call_fd, &one, sizeof(one)) < 0) {
			/* nothing */
		}
	}
	return served;
}

static void *fake_main(void *arg)
{
	struct vu_fake *f = arg;

	for (;;) {
		struct pollfd p[2 + MAXQ];
		unsigned n = 0, i;
		int r;

		p[n++] = (struct pollfd){ .fd = f->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = f->sock, .events = POLLIN };
		for (i = 0; i < MAXQ; i++)
			p[n++] = (struct pollfd){ .fd = f->q[i].ready ? f->q[i].kick_fd : -1,
						  .events = POLLIN };
		r = poll(p, n, f->cfg.no_notify ? 1 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents) {
			struct msg m;

			if (read_msg(f, &m) < 0)
				break; /* the front end closed: like virtiofsd, exit */
			if (handle_msg(f, &m) < 0)
				break;
			continue;
		}
		for (i = 0; i < MAXQ; i++) {
			if (p[2 + i].revents) {
				uint64_t v;

				if (read(f->q[i].kick_fd, &v, sizeof(v)) > 0) {
					pthread_mutex_lock(&f->lock);
					f->kicks++;
					pthread_mutex_unlock(&f->lock);
				}
			}
		}
		pthread_mutex_lock(&f->lock);
		for (i = 0; i < MAXQ; i++) {
			if (serve_queue(f, i) < 0) {
				f->gone = 1;
				break;
			}
		}
		r = f->gone;
		pthread_mutex_unlock(&f->lock);
		if (r)
			break;
	}
	return NULL;
}

int vu_fake_start(const struct vu_fake_cfg *cfg, int *front_fd,
		  struct vu_fake **out)
{
	struct vu_fake *f = calloc(1, sizeof(*f));
	int sv[2], i;

	if (!f)
		return -ENOMEM;
	f->cfg = *cfg;
	for (i = 0; i < MAXQ; i++)
		f->q[i].kick_fd = f->q[i].call_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(f);
		return -errno;
	}
	f->sock = sv[1];
	f->stop_fd = eventfd(0, EFD_CLOEXEC);
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->th, NULL, fake_main, f) != 0) {
		close(sv[0]);
		close(sv[1]);
		close(f->stop_fd);
		free(f);
		return -EAGAIN;
	}
	*front_fd = sv[0];
	*out = f;
	return 0;
}

uint64_t vu_fake_chains(struct vu_fake *f, unsigned queue)
{
	uint64_t n;

	pthread_mutex_lock(&f->lock);
	n = queue < MAXQ ? f->q[queue].chains : 0;
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned vu_fake_messages(struct vu_fake *f)
{
	return f->messages;
}

uint64_t vu_fake_kicks(struct vu_fake *f)
{
	uint64_t n;

	pthread_mutex_lock(&f->lock);
	n = f->kicks;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void vu_fake_stop(struct vu_fake *f)
{
	uint64_t one = 1;
	int i;

	if (!f)
		return;
	if (write(f->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail for an eventfd */
	}
	pthread_join(f->th, NULL);
	for (i = 0; i < MAXQ; i++) {
		if (f->q[i].kick_fd >= 0)
			close(f->q[i].kick_fd);
		if (f->q[i].call_fd >= 0)
			close(f->q[i].call_fd);
	}
	if (f->mem)
		munmap(f->mem, f->mem_size);
	close(f->sock);
	close(f->stop_fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
