/*
 * The vhost-user virtio-fs transport: libfusecore as the front end (VMM +
 * guest driver) of a virtio-fs device whose back end is, for example,
 * QEMU's C virtiofsd.  The contract is in fusecore/virtiofs.h, the design
 * notes in docs/virtiofs.md; the ring logic is in virtqueue.c.
 *
 * Shared memory (one memfd, MAP_SHARED, one SET_MEM_TABLE region):
 *
 *   [ring 0][ring 1]...[ring N]  (pad to 4 KiB)  [data area ............]
 *
 * Each request takes one block of the data area:
 *
 *   [in header + arguments (readable)] pad to 8 [out header + reply (writable)]
 *
 * and one chain of at most four descriptors: in header, arguments (if
 * any), out header, reply area (if the reply can carry a payload).
 * FORGET / BATCH_FORGET have no writable part and go to queue 0.
 *
 * Locking: one platform mutex (t->lock) guards the rings, the allocator,
 * the per-queue records and the state; one platform condition variable
 * (t->space) is broadcast when descriptors or data-area space free up,
 * when a copy into shared memory ends, and when the back end dies.  The
 * lock is never held across fc_conn_deliver() or fc_conn_abort() (a
 * delivery can send the next background request, which takes it), nor
 * across a copy of request or reply bytes (those happen on a reserved
 * block that nobody else touches), nor across an eventfd write.
 *
 * The completion thread owns the unmapping: when the back end goes away it
 * marks the transport dead, aborts the connection, waits until no sender is
 * copying into the shared memory any more, and unmaps it.  Every other
 * access to the mapping happens with the lock held and the transport not
 * dead, or inside such a reserved copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"
#include "fusecore/virtiofs.h"

#include "virtqueue_i.h"

/* ---- vhost-user wire format (QEMU docs/interop/vhost-user.rst) ----------- */

enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
};

#define VHOST_USER_VERSION 0x1u
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_REPLY_MASK 0x4u
#define VHOST_USER_NEED_REPLY_MASK 0x8u
/* SET_VRING_KICK / _CALL payload: bit 8 says "no file descriptor". */
#define VHOST_USER_VRING_NOFD_MASK 0x100u

struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

struct vhost_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vhost_user_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_user_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[1];
};

_Static_assert(sizeof(struct vhost_user_hdr) == 12, "vhost-user header is 12 bytes");
_Static_assert(sizeof(struct vhost_vring_addr) == 40, "vring_addr is 40 bytes");
_Static_assert(sizeof(struct vhost_user_memory) == 40, "one-region memory table is 40 bytes");

/* Largest payload the front end ever receives (vring_state / u64). */
#define VU_MAX_REPLY 64

/* The features the ring code implements (no EVENT_IDX, no indirect). */
#define VFS_KNOWN_FEATURES (FC_VIRTIO_F_VERSION_1 | FC_VHOST_USER_F_PROTOCOL_FEATURES)
#define VFS_KNOWN_PROTOCOL_FEATURES \
	(FC_VHOST_USER_PROTOCOL_F_MQ | FC_VHOST_USER_PROTOCOL_F_REPLY_ACK)

#define VFS_PAGE 4096u
#define VFS_ARENA_ALIGN 64u
#define VFS_MIN_ARENA (256u * 1024u)
#define VFS_RX_INITIAL (64u * 1024u)
/* GET_VRING_BASE at teardown waits at most this long per queue. */
#define VFS_STOP_TIMEOUT_MS 1000u

/* ---- the transport ------------------------------------------------------- */

/* One request chain in flight, indexed by its head descriptor. */
struct vfs_req {
	uint64_t unique;
	uint32_t opcode;
	uint32_t in_len;        /* readable bytes */
	uint64_t off;           /* block offset in the data area */
	uint64_t block_len;     /* as allocated */
	uint32_t out_off;       /* offset of the writable part in the block */
	uint32_t out_cap;       /* writable bytes (0 for a forget) */
	int noreply;
};

struct vfs_queue {
	struct vq vq;
	struct vq_slot *slots;
	uint16_t *next;
	struct vfs_req *reqs;
	unsigned reserved;      /* descriptors promised to senders copying */
	int kick_fd, call_fd;
	unsigned ring_off;      /* offset of the ring in the memfd */
	/* Kicks: a kick in progress, another one needed, chains not kicked yet. */
	int kicking, kick_again, kick_pending;
	uint64_t unkicked;
};

/* A message the completion thread could not post at once (queue full). */
struct vfs_deferred {
	struct vfs_deferred *next;
	struct fc_send_info info;
	size_t len;
	unsigned char data[];
};

struct vfs_transport {
	struct fc_transport base;  /* first: the core sees only this */
	const struct fc_platform *plat;
	struct fc_mutex *lock;
	struct fc_cond *space;

	int sock, memfd, pidfd, wake_fd;
	unsigned char *mem;
	size_t mem_size;
	uint64_t gpa_base;
	uint64_t arena_off;
	struct vq_arena arena;
	struct vq_extent *ext;
	unsigned nq, qsize;
	struct vfs_queue q[FC_VIRTIOFS_MAX_QUEUES];
	unsigned rr;               /* next request queue to try */
	unsigned timeout_ms;

	/* Senders waiting for space, served in arrival order. */
	uint64_t ticket_next, ticket_serve;
	unsigned waiters;
	unsigned copying;          /* senders copying into the mapping */
	struct vfs_deferred *def_head, *def_tail;

	struct fc_conn *conn;
	pthread_t thread;
	int thread_running;
	int stop;
	int dead;
	int sock_shut;

	/* The completion thread is inside fc_conn_deliver() / fc_conn_abort(). */
	int delivering;
	unsigned idle_waiters;

	unsigned char *rx;         /* completion thread's bounce buffer */
	size_t rx_cap;

	fc_virtiofs_trace_fn trace;
	void *trace_ctx;

	struct fc_virtiofs_info info;
	struct fc_virtiofs_stats st;
};

/* The completion thread of this transport (its sends never wait). */
static _Thread_local struct vfs_transport *vfs_self;
/* A plug of the calling thread (fc_virtiofs_plug()). */
static _Thread_local struct vfs_transport *vfs_plugged;
static _Thread_local unsigned vfs_plug_depth;
/* Queues the plugged thread posted to and has not kicked yet. */
static _Thread_local uint32_t vfs_plug_pending;

static struct vfs_transport *to_vfs(struct fc_transport *t)
{
	return (struct vfs_transport *)t;
}

static void vfs_lock(struct vfs_transport *vt)
{
	vt->plat->mutex_lock(vt->plat->ctx, vt->lock);
}

static void vfs_unlock(struct vfs_transport *vt)
{
	vt->plat->mutex_unlock(vt->plat->ctx, vt->lock);
}

static void vfs_broadcast(struct vfs_transport *vt)
{
	vt->plat->cond_broadcast(vt->plat->ctx, vt->space);
}

static void vfs_log(struct vfs_transport *vt, enum fc_log_level lvl,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void vfs_log(struct vfs_transport *vt, enum fc_log_level lvl,
		    const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!vt->plat->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vt->plat->log(vt->plat->ctx, lvl, buf);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left until @deadline (ns), at least 0. */
static int ms_left(uint64_t deadline)
{
	uint64_t now = mono_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

/* ---- vhost-user messages ----------------------------------------------------- */

/*
 * Send one message with @nfds descriptors.  @need_reply adds NEED_REPLY
 * (only meaningful with REPLY_ACK).  Returns 0 or -errno.
 */
static int vu_send(struct vfs_transport *vt, uint32_t req, uint32_t flags,
		   const void *payload, uint32_t size, const int *fds,
		   unsigned nfds)
{
	struct vhost_user_hdr h = { req, VHOST_USER_VERSION | flags, size };
	struct iovec iov[2] = {
		{ &h, sizeof(h) },
		{ (void *)payload, size },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	size_t total = sizeof(h) + size, done = 0;

	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = size ? 2 : 1;
	if (nfds) {
		struct cmsghdr *c;

		if (nfds > 8)
			return -EINVAL;
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (done < total) {
		ssize_t n = sendmsg(vt->sock, &m, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		done += (size_t)n;
		/* A partial write of a stream socket: send the rest, no fds. */
		m.msg_control = NULL;
		m.msg_controllen = 0;
		while (m.msg_iovlen && (size_t)n >= m.msg_iov[0].iov_len) {
			n -= (ssize_t)m.msg_iov[0].iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov[0].iov_base = (char *)m.msg_iov[0].iov_base + n;
			m.msg_iov[0].iov_len -= (size_t)n;
		}
	}
	vt->info.handshake_msgs++;
	return 0;
}

/* Read exactly @len bytes before @deadline. */
static int vu_read_full(struct vfs_transport *vt, void *buf, size_t len,
			uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = vt->sock, .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, ms_left(deadline));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(vt->sock, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/*
 * Receive the reply to @req, whose payload must be @size bytes, into
 * @payload.  Returns 0, -ETIMEDOUT, -ECONNRESET or -EPROTO.
 */
static int vu_recv(struct vfs_transport *vt, uint32_t req, void *payload,
		   uint32_t size)
{
	uint64_t deadline = mono_ns() + (uint64_t)vt->timeout_ms * 1000000ull;
	struct vhost_user_hdr h;
	int err;

	err = vu_read_full(vt, &h, sizeof(h), deadline);
	if (err)
		return err;
	if (h.request != req || !(h.flags & VHOST_USER_REPLY_MASK) ||
	    (h.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    h.size != size || size > VU_MAX_REPLY) {
		vfs_log(vt, FC_LOG_ERR,
			"virtiofs: bad vhost-user reply (request %u flags %#x size %u) to %u",
			h.request, h.flags, h.size, req);
		return -EPROTO;
	}
	return vu_read_full(vt, payload, size, deadline);
}

/* A GET_* request answered by a u64. */
static int vu_get_u64(struct vfs_transport *vt, uint32_t req, uint64_t *out)
{
	int err = vu_send(vt, req, 0, NULL, 0, NULL, 0);

	if (err)
		return err;
	return vu_recv(vt, req, out, sizeof(*out));
}

/*
 * A SET_* request.  With REPLY_ACK negotiated (@ack) the back end must
 * acknowledge it with 0; without, it sends nothing and handles messages
 * in order, so the next reply we wait for proves this one was taken.
 */
static int vu_set(struct vfs_transport *vt, uint32_t req, const void *payload,
		  uint32_t size, const int *fds, unsigned nfds, int ack)
{
	uint64_t result;
	int err;

	err = vu_send(vt, req, ack ? VHOST_USER_NEED_REPLY_MASK : 0, payload,
		      size, fds, nfds);
	if (err || !ack)
		return err;
	err = vu_recv(vt, req, &result, sizeof(result));
	if (err)
		return err;
	if (result) {
		vfs_log(vt, FC_LOG_ERR, "virtiofs: back end refused request %u (%llu)",
			req, (unsigned long long)result);
		return -EPROTO;
	}
	return 0;
}

static int vu_set_u64(struct vfs_transport *vt, uint32_t req, uint64_t v,
		      int ack)
{
	return vu_set(vt, req, &v, sizeof(v), NULL, 0, ack);
}

static int vu_set_state(struct vfs_transport *vt, uint32_t req,
			unsigned index, unsigned num, int ack)
{
	struct vhost_vring_state s = { index, num };

	return vu_set(vt, req, &s, sizeof(s), NULL, 0, ack);
}

/* ---- set-up ----------------------------------------------------------------- */

static int vfs_connect_path(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa;
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	unsigned delay_us = 500;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int e;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		e = errno;
		close(fd);
		/*
		 * Not there yet, or bound but not listening yet: a refused
		 * connect does not use up virtiofsd's single connection.
		 */
		if ((e != ENOENT && e != ECONNREFUSED && e != EINTR) ||
		    mono_ns() >= deadline)
			return -e;
		usleep(delay_us);
		if (delay_us < 10000)
			delay_us *= 2;
	}
}

static void vfs_free_queues(struct vfs_transport *vt)
{
	const struct fc_platform *p = vt->plat;
	unsigned i;

	for (i = 0; i < FC_VIRTIOFS_MAX_QUEUES; i++) {
		struct vfs_queue *q = &vt->q[i];

		if (q->kick_fd >= 0)
			close(q->kick_fd);
		if (q->call_fd >= 0)
			close(q->call_fd);
		q->kick_fd = q->call_fd = -1;
		p->free(p->ctx, q->slots);
		p->free(p->ctx, q->next);
		p->free(p->ctx, q->reqs);
		q->slots = NULL;
		q->next = NULL;
		q->reqs = NULL;
	}
}

/* Unmap the shared memory (lock held or no other thread left). */
static void vfs_unmap(struct vfs_transport *vt)
{
	if (vt->mem) {
		munmap(vt->mem, vt->mem_size);
		vt->mem = NULL;
	}
	if (vt->memfd >= 0) {
		close(vt->memfd);
		vt->memfd = -1;
	}
	vt->st.mem_mapped = 0;
}

static void vfs_free_all(struct vfs_transport *vt)
{
	const struct fc_platform *p = vt->plat;

	while (vt->def_head) {
		struct vfs_deferred *d = vt->def_head;

		vt->def_head = d->next;
		p->free(p->ctx, d);
	}
	vt->def_tail = NULL;
	vfs_free_queues(vt);
	vfs_unmap(vt);
	if (vt->sock >= 0)
		close(vt->sock);
	if (vt->pidfd >= 0)
		close(vt->pidfd);
	if (vt->wake_fd >= 0)
		close(vt->wake_fd);
	p->free(p->ctx, vt->ext);
	p->free(p->ctx, vt->rx);
	if (vt->space)
		p->cond_free(p->ctx, vt->space);
	if (vt->lock)
		p->mutex_free(p->ctx, vt->lock);
	p->free(p->ctx, vt);
}

/* Create the memfd, map it, lay out the rings and the data area. */
static int vfs_setup_memory(struct vfs_transport *vt, size_t mem_size,
			    uint16_t base)
{
	const struct fc_platform *p = vt->plat;
	struct vq_layout l;
	uint64_t off = 0;
	unsigned i, cap;

	if (vq_layout(vt->qsize, &l) != VQ_OK)
		return -EINVAL;
	for (i = 0; i < vt->nq; i++) {
		vt->q[i].ring_off = (unsigned)off;
		off += l.size;
	}
	vt->arena_off = (off + VFS_PAGE - 1) & ~(uint64_t)(VFS_PAGE - 1);
	mem_size = (mem_size + VFS_PAGE - 1) & ~(size_t)(VFS_PAGE - 1);
	if (mem_size < vt->arena_off + VFS_MIN_ARENA)
		return -EINVAL;
	vt->mem_size = mem_size;

	vt->memfd = memfd_create("fusecore-virtiofs", MFD_CLOEXEC);
	if (vt->memfd < 0)
		return -errno;
	if (ftruncate(vt->memfd, (off_t)mem_size) < 0)
		return -errno;
	/* MAP_SHARED: a private mapping would hide every write from the back end. */
	vt->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vt->memfd, 0);
	if (vt->mem == MAP_FAILED) {
		vt->mem = NULL;
		return -errno;
	}
	vt->st.mem_mapped = 1;

	for (i = 0; i < vt->nq; i++) {
		struct vfs_queue *q = &vt->q[i];

		q->slots = p->alloc(p->ctx, vt->qsize * sizeof(*q->slots));
		q->next = p->alloc(p->ctx, vt->qsize * sizeof(*q->next));
		q->reqs = p->alloc(p->ctx, vt->qsize * sizeof(*q->reqs));
		if (!q->slots || !q->next || !q->reqs)
			return -ENOMEM;
		memset(q->reqs, 0, vt->qsize * sizeof(*q->reqs));
		/* Rings are initialised before SET_VRING_ADDR reads used->idx. */
		if (vq_init(&q->vq, vt->qsize, vt->mem + q->ring_off, base,
			    q->slots, q->next) != VQ_OK)
			return -EINVAL;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0 || q->call_fd < 0)
			return -errno;
	}

	/* One block per chain at most, so this many extents always suffice. */
	cap = vt->nq * vt->qsize + 2;
	vt->ext = p->alloc(p->ctx, cap * sizeof(*vt->ext));
	if (!vt->ext)
		return -ENOMEM;
	if (vq_arena_init(&vt->arena, mem_size - vt->arena_off, VFS_ARENA_ALIGN,
			  vt->ext, cap) != VQ_OK)
		return -EINVAL;
	vt->info.mem_size = mem_size;
	vt->info.arena_size = vt->arena.size;
	return 0;
}

static uint64_t vfs_va(const struct vfs_transport *vt, uint64_t mem_off)
{
	return (uint64_t)(uintptr_t)(vt->mem + mem_off);
}

/* The vhost-user handshake, in the order QEMU uses. */
static int vfs_handshake(struct vfs_transport *vt,
			 const struct fc_virtiofs_config *cfg)
{
	struct fc_virtiofs_info *in = &vt->info;
	uint64_t pf = 0, nq = 0;
	unsigned want, i;
	int ack = 0, err;

	err = vu_get_u64(vt, VHOST_USER_GET_FEATURES, &in->backend_features);
	if (err)
		return err;
	if (!(in->backend_features & FC_VIRTIO_F_VERSION_1)) {
		vfs_log(vt, FC_LOG_ERR, "virtiofs: back end lacks VIRTIO_F_VERSION_1");
		return -EOPNOTSUPP;
	}
	in->acked_features = in->backend_features & cfg->features &
			     VFS_KNOWN_FEATURES;
	in->acked_features |= FC_VIRTIO_F_VERSION_1;

	if (in->acked_features & FC_VHOST_USER_F_PROTOCOL_FEATURES) {
		err = vu_get_u64(vt, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);
		if (err)
			return err;
		in->backend_protocol_features = pf;
		in->acked_protocol_features = pf & cfg->protocol_features &
					      VFS_KNOWN_PROTOCOL_FEATURES;
		/* Not acknowledged: REPLY_ACK only applies from the next message. */
		err = vu_set_u64(vt, VHOST_USER_SET_PROTOCOL_FEATURES,
				 in->acked_protocol_features, 0);
		if (err)
			return err;
		ack = !!(in->acked_protocol_features &
			 FC_VHOST_USER_PROTOCOL_F_REPLY_ACK);
		if (in->acked_protocol_features & FC_VHOST_USER_PROTOCOL_F_MQ) {
			err = vu_get_u64(vt, VHOST_USER_GET_QUEUE_NUM, &nq);
			if (err)
				return err;
			in->backend_queues = (unsigned)(nq > 4096 ? 4096 : nq);
		}
	}
	in->reply_ack = ack;

	/* hiprio + request queues: what we want, what the back end has. */
	want = cfg->num_request_queues ? cfg->num_request_queues : 1;
	if (want > FC_VIRTIOFS_MAX_QUEUES - 1)
		want = FC_VIRTIOFS_MAX_QUEUES - 1;
	if (in->backend_queues) {
		if (in->backend_queues < 2) {
			vfs_log(vt, FC_LOG_ERR, "virtiofs: back end has %u queue(s), needs 2",
				in->backend_queues);
			return -EPROTO;
		}
		if (want > in->backend_queues - 1)
			want = in->backend_queues - 1;
	} else {
		want = 1; /* without MQ: hiprio and one request queue */
	}
	vt->nq = 1 + want;
	in->num_queues = vt->nq;
	in->queue_size = vt->qsize;

	err = vfs_setup_memory(vt, cfg->mem_size, cfg->ring_base);
	if (err)
		return err;

	err = vu_set(vt, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, ack);
	if (err)
		return err;
	err = vu_set_u64(vt, VHOST_USER_SET_FEATURES, in->acked_features, ack);
	if (err)
		return err;
	{
		struct vhost_user_memory m;

		memset(&m, 0, sizeof(m));
		m.nregions = 1;
		m.regions[0].guest_phys_addr = vt->gpa_base;
		m.regions[0].memory_size = vt->mem_size;
		m.regions[0].userspace_addr = vfs_va(vt, 0);
		m.regions[0].mmap_offset = 0;
		err = vu_set(vt, VHOST_USER_SET_MEM_TABLE, &m, sizeof(m),
			     &vt->memfd, 1, ack);
		if (err)
			return err;
	}
	for (i = 0; i < vt->nq; i++) {
		struct vfs_queue *q = &vt->q[i];
		struct vhost_vring_addr a;
		struct vq_layout l;
		uint64_t idx = i;

		vq_layout(vt->qsize, &l);
		err = vu_set_state(vt, VHOST_USER_SET_VRING_NUM, i, vt->qsize, ack);
		if (!err)
			err = vu_set_state(vt, VHOST_USER_SET_VRING_BASE, i,
					   cfg->ring_base, ack);
		if (err)
			return err;
		/* Ring addresses are front-end virtual addresses. */
		memset(&a, 0, sizeof(a));
		a.index = i;
		a.desc_user_addr = vfs_va(vt, q->ring_off + l.desc_off);
		a.avail_user_addr = vfs_va(vt, q->ring_off + l.avail_off);
		a.used_user_addr = vfs_va(vt, q->ring_off + l.used_off);
		err = vu_set(vt, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL,
			     0, ack);
		if (!err)
			err = vu_set(vt, VHOST_USER_SET_VRING_KICK, &idx,
				     sizeof(idx), &q->kick_fd, 1, ack);
		if (!err)
			err = vu_set(vt, VHOST_USER_SET_VRING_CALL, &idx,
				     sizeof(idx), &q->call_fd, 1, ack);
		if (err)
			return err;
	}
	/* Rings start disabled when PROTOCOL_FEATURES is negotiated. */
	if (in->acked_features & FC_VHOST_USER_F_PROTOCOL_FEATURES) {
		for (i = 0; i < vt->nq; i++) {
			err = vu_set_state(vt, VHOST_USER_SET_VRING_ENABLE, i, 1,
					   ack);
			if (err)
				return err;
		}
	}
	if (!ack) {
		/*
		 * Without acknowledgements, prove the back end took everything:
		 * it handles messages in order, so one more reply will do.
		 */
		uint64_t f;

		err = vu_get_u64(vt, VHOST_USER_GET_FEATURES, &f);
		if (err)
			return err;
	}
	return 0;
}

void fc_virtiofs_config_default(struct fc_virtiofs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_VIRTIOFS_CONFIG_VERSION;
	cfg->fd = -1;
	cfg->pidfd = -1;
	cfg->num_request_queues = 1;
	cfg->queue_size = FC_VIRTIOFS_DEFAULT_QUEUE_SIZE;
	cfg->mem_size = FC_VIRTIOFS_DEFAULT_MEM_SIZE;
	cfg->gpa_base = FC_VIRTIOFS_DEFAULT_GPA_BASE;
	cfg->timeout_ms = FC_VIRTIOFS_DEFAULT_TIMEOUT_MS;
	cfg->connect_timeout_ms = FC_VIRTIOFS_DEFAULT_TIMEOUT_MS;
	cfg->features = FC_VIRTIO_F_VERSION_1 | FC_VHOST_USER_F_PROTOCOL_FEATURES;
	cfg->protocol_features = FC_VHOST_USER_PROTOCOL_F_MQ |
				 FC_VHOST_USER_PROTOCOL_F_REPLY_ACK;
}

static const struct fc_transport_ops vfs_ops;

int fc_virtiofs_transport_new(const struct fc_platform *plat,
			      const struct fc_virtiofs_config *cfg,
			      struct fc_transport **out)
{
	struct vfs_transport *vt;
	uint64_t t0;
	unsigned i;
	int err;

	if (out)
		*out = NULL;
	if (!plat || !cfg || !out || plat->version != FC_PLATFORM_VERSION ||
	    cfg->version != FC_VIRTIOFS_CONFIG_VERSION ||
	    (!cfg->socket_path && cfg->fd < 0) || cfg->queue_size < 2 ||
	    cfg->queue_size > FC_VIRTIOFS_MAX_QUEUE_SIZE ||
	    (cfg->queue_size & (cfg->queue_size - 1)) ||
	    (cfg->gpa_base & (VFS_PAGE - 1))) {
		err = -EINVAL;
		goto fail_fds;
	}
	vt = plat->alloc(plat->ctx, sizeof(*vt));
	if (!vt) {
		err = -ENOMEM;
		goto fail_fds;
	}
	memset(vt, 0, sizeof(*vt));
	vt->plat = plat;
	vt->sock = vt->memfd = vt->wake_fd = -1;
	vt->pidfd = cfg->pidfd;
	for (i = 0; i < FC_VIRTIOFS_MAX_QUEUES; i++)
		vt->q[i].kick_fd = vt->q[i].call_fd = -1;
	vt->base.ops = &vfs_ops;
	vt->base.kind = FC_TRANSPORT_VIRTIO_FS;
	/* virtio_fs_send_interrupt is a no-op: never FUSE_INTERRUPT. */
	vt->base.no_interrupt = 1;
	vt->qsize = cfg->queue_size;
	vt->gpa_base = cfg->gpa_base;
	vt->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms :
			 FC_VIRTIOFS_DEFAULT_TIMEOUT_MS;
	vt->lock = plat->mutex_new(plat->ctx);
	vt->space = plat->cond_new(plat->ctx);
	vt->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!vt->lock || !vt->space || vt->wake_fd < 0) {
		err = vt->wake_fd < 0 ? -errno : -ENOMEM;
		if (cfg->fd >= 0 && !cfg->socket_path)
			close(cfg->fd);
		vfs_free_all(vt);
		return err;
	}

	t0 = mono_ns();
	if (cfg->socket_path) {
		vt->sock = vfs_connect_path(cfg->socket_path,
					    cfg->connect_timeout_ms ?
					    cfg->connect_timeout_ms :
					    FC_VIRTIOFS_DEFAULT_TIMEOUT_MS);
		if (vt->sock < 0) {
			err = vt->sock;
			vt->sock = -1;
			vfs_free_all(vt);
			return err;
		}
	} else {
		vt->sock = cfg->fd;
	}
	err = vfs_handshake(vt, cfg);
	if (err) {
		vfs_log(vt, FC_LOG_ERR, "virtiofs: vhost-user handshake failed: %s",
			strerror(-err));
		vfs_free_all(vt);
		return err;
	}
	vt->info.handshake_ns = mono_ns() - t0;
	vt->info.gpa_base = vt->gpa_base;
	vt->rx = plat->alloc(plat->ctx, VFS_RX_INITIAL);
	if (!vt->rx) {
		vfs_free_all(vt);
		return -ENOMEM;
	}
	vt->rx_cap = VFS_RX_INITIAL;
	*out = &vt->base;
	return 0;

fail_fds:
	if (cfg && cfg->fd >= 0 && !cfg->socket_path)
		close(cfg->fd);
	if (cfg && cfg->pidfd >= 0)
		close(cfg->pidfd);
	return err;
}

void fc_virtiofs_conn_config_default(struct fc_conn_config *cfg,
				     const struct fc_platform *plat,
				     struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);
	uint64_t wmax;

	fc_conn_config_default(cfg, plat, t);
	if (!t || t->ops != &vfs_ops)
		return;
	/* virtio_fs_get_tree: max_pages_limit = min(limit, vq size - 4). */
	if (vt->qsize > 4 && cfg->init.max_pages_limit > vt->qsize - 4)
		cfg->init.max_pages_limit = vt->qsize - 4;
	/* A WRITE (headers + data) must fit in one block of the data area. */
	wmax = vt->arena.size > 2 * VFS_PAGE ? vt->arena.size - 2 * VFS_PAGE : VFS_PAGE;
	wmax &= ~(uint64_t)(VFS_PAGE - 1);
	if (wmax < UINT32_MAX &&
	    (!cfg->init.max_write_limit || cfg->init.max_write_limit > wmax))
		cfg->init.max_write_limit = (uint32_t)wmax;
}

/* ---- sending ----------------------------------------------------------------- */

static int is_forget(uint32_t opcode)
{
	return opcode == FC_FORGET || opcode == FC_BATCH_FORGET;
}

/* What a message needs: its shape, computed once. */
struct vfs_shape {
	uint32_t in_len;       /* readable bytes */
	uint32_t out_cap;      /* writable bytes */
	unsigned ndesc;
	uint64_t block;        /* data-area bytes */
	int hiprio;
};

static int vfs_shape(const struct vfs_transport *vt, size_t in_len,
		     const struct fc_send_info *info, struct vfs_shape *s)
{
	size_t out_cap;

	if (in_len < sizeof(struct fc_in_header) || in_len > UINT32_MAX / 2)
		return -EINVAL;
	s->hiprio = is_forget(info->opcode);
	if (s->hiprio)
		out_cap = 0;   /* virtio_fs_send_forget: readable only */
	else if (info->noreply || info->reply_max < sizeof(struct fc_out_header))
		out_cap = sizeof(struct fc_out_header);
	else
		out_cap = info->reply_max;
	if (out_cap > UINT32_MAX / 2)
		return -EMSGSIZE;
	s->in_len = (uint32_t)in_len;
	s->out_cap = (uint32_t)out_cap;
	s->ndesc = 1 + (in_len > sizeof(struct fc_in_header)) + (out_cap > 0) +
		   (out_cap > sizeof(struct fc_out_header));
	s->block = ((uint64_t)in_len + 7u) / 8u * 8u + out_cap;
	if (vq_arena_round(&vt->arena, s->block) > vt->arena.size ||
	    s->ndesc > vt->qsize)
		return -EMSGSIZE;
	return 0;
}

/*
 * Reserve descriptors on a queue and a data block for @s (lock held).
 * Returns 0 with *@qi and *@off set, or -ENOSPC.
 */
static int vfs_reserve(struct vfs_transport *vt, const struct vfs_shape *s,
		       unsigned *qi, uint64_t *off)
{
	unsigned i, nreq = vt->nq - 1, chosen = 0;

	if (s->hiprio) {
		struct vfs_queue *q = &vt->q[0];

		if (vq_num_free(&q->vq) < q->reserved + s->ndesc)
			return -ENOSPC;
		chosen = 0;
	} else {
		/* Round robin over the request queues, skipping full ones. */
		for (i = 0; i < nreq; i++) {
			unsigned k = 1 + (vt->rr + i) % nreq;
			struct vfs_queue *q = &vt->q[k];

			if (vq_num_free(&q->vq) >= q->reserved + s->ndesc) {
				chosen = k;
				break;
			}
		}
		if (!chosen)
			return -ENOSPC;
	}
	if (vq_arena_alloc(&vt->arena, s->block, off) != VQ_OK)
		return -ENOSPC;
	if (!s->hiprio)
		vt->rr = (vt->rr + 1) % nreq;
	vt->q[chosen].reserved += s->ndesc;
	vt->st.arena_used = vt->arena.size - vt->arena.free_bytes;
	if (vt->st.arena_used > vt->st.arena_peak)
		vt->st.arena_peak = vt->st.arena_used;
	*qi = chosen;
	return 0;
}

/* Copy the message into its reserved block (no lock needed: it is ours). */
static void vfs_fill(struct vfs_transport *vt, const struct vfs_shape *s,
		     uint64_t off, const struct fc_iov *iov, unsigned niov)
{
	unsigned char *p = vt->mem + vt->arena_off + off;
	uint32_t out_off = (s->in_len + 7u) & ~7u;
	unsigned i;

	for (i = 0; i < niov; i++) {
		if (iov[i].len)
			memcpy(p, iov[i].base, iov[i].len);
		p += iov[i].len;
	}
	/*
	 * A back end that claims a reply without writing one must not make
	 * stale bytes look like one: the out header starts as unique 0.
	 */
	if (s->out_cap)
		memset(vt->mem + vt->arena_off + off + out_off, 0,
		       sizeof(struct fc_out_header));
}

/*
 * Add the filled chain to queue @qi and publish it (lock held, not dead).
 * Returns non-zero if the queue should be kicked now.
 */
static void vfs_post(struct vfs_transport *vt, const struct vfs_shape *s,
		     unsigned qi, uint64_t off, const struct fc_send_info *info)
{
	struct vfs_queue *q = &vt->q[qi];
	uint64_t gpa = vt->gpa_base + vt->arena_off + off;
	uint32_t out_off = (s->in_len + 7u) & ~7u;
	const uint32_t hin = sizeof(struct fc_in_header);
	const uint32_t hout = sizeof(struct fc_out_header);
	struct vq_buf b[FC_VIRTIOFS_MAX_DESC];
	unsigned n = 0, k;
	int head;

	b[n++] = (struct vq_buf){ gpa, hin, 0 };
	if (s->in_len > hin)
		b[n++] = (struct vq_buf){ gpa + hin, s->in_len - hin, 0 };
	if (s->out_cap)
		b[n++] = (struct vq_buf){ gpa + out_off, hout, 1 };
	if (s->out_cap > hout)
		b[n++] = (struct vq_buf){ gpa + out_off + hout, s->out_cap - hout, 1 };
	q->reserved -= s->ndesc;
	head = vq_add(&q->vq, b, n, NULL);
	if (head < 0) {
		/* Cannot happen: the descriptors were reserved. */
		vq_arena_free(&vt->arena, off, s->block);
		return;
	}
	q->reqs[head] = (struct vfs_req){
		.unique = info->unique,
		.opcode = info->opcode,
		.in_len = s->in_len,
		.off = off,
		.block_len = s->block,
		.out_off = out_off,
		.out_cap = s->out_cap,
		.noreply = info->noreply || s->hiprio,
	};
	vq_publish(&q->vq);
	q->unkicked++;
	vt->st.chains++;
	vt->st.queue_chains[qi]++;
	vt->st.inflight++;
	if (vt->trace) {
		struct fc_virtiofs_chain c;

		memset(&c, 0, sizeof(c));
		c.queue = qi;
		c.head = (unsigned)head;
		c.opcode = info->opcode;
		c.unique = info->unique;
		c.ndesc = n;
		for (k = 0; k < n; k++) {
			c.len[k] = b[k].len;
			c.writable[k] = b[k].writable;
			c.gpa[k] = b[k].addr;
			if (b[k].writable)
				c.writable_bytes += b[k].len;
			else
				c.readable_bytes += b[k].len;
		}
		vt->trace(vt->trace_ctx, &c);
	}
}

/* Kick queue @qi (lock not held); concurrent kickers share one. */
static void vfs_kick(struct vfs_transport *vt, unsigned qi)
{
	struct vfs_queue *q = &vt->q[qi];
	const uint64_t one = 1;

	vfs_lock(vt);
	if (q->kicking) {
		q->kick_again = 1;
		vfs_unlock(vt);
		return;
	}
	q->kicking = 1;
	for (;;) {
		uint64_t batch = q->unkicked;
		int needed;

		q->kick_again = 0;
		q->kick_pending = 0;
		if (vt->dead || !batch)
			break;
		q->unkicked = 0;
		needed = vq_kick_needed(&q->vq);
		if (!needed)
			vt->st.kicks_suppressed++;
		vfs_unlock(vt);
		if (needed) {
			ssize_t r;

			do
				r = write(q->kick_fd, &one, sizeof(one));
			while (r < 0 && errno == EINTR);
		}
		vfs_lock(vt);
		if (needed) {
			vt->st.kicks++;
			if (batch > vt->st.max_kick_batch)
				vt->st.max_kick_batch = batch;
		}
		if (!q->kick_again)
			break;
	}
	q->kicking = 0;
	vfs_unlock(vt);
}

/* Kick every queue marked kick_pending (lock not held). */
static void vfs_kick_pending(struct vfs_transport *vt)
{
	unsigned i;

	for (i = 0; i < vt->nq; i++) {
		int pending;

		vfs_lock(vt);
		pending = vt->q[i].kick_pending;
		vfs_unlock(vt);
		if (pending)
			vfs_kick(vt, i);
	}
}

/* Whether a send from this thread is plugged (its kick deferred). */
static int vfs_is_plugged(struct vfs_transport *vt)
{
	return vfs_plugged == vt && vfs_plug_depth;
}

/* Try to post the oldest deferred messages (completion thread, lock held). */
static void vfs_post_deferred_locked(struct vfs_transport *vt)
{
	while (vt->def_head && !vt->dead) {
		struct vfs_deferred *d = vt->def_head;
		struct fc_iov iov = { d->data, d->len };
		struct vfs_shape s;
		unsigned qi;
		uint64_t off;

		if (vfs_shape(vt, d->len, &d->info, &s) ||
		    vfs_reserve(vt, &s, &qi, &off))
			break;
		vt->def_head = d->next;
		if (!vt->def_head)
			vt->def_tail = NULL;
		/* On the completion thread nobody unmaps meanwhile. */
		vfs_fill(vt, &s, off, &iov, 1);
		vfs_post(vt, &s, qi, off, &d->info);
		vt->q[qi].kick_pending = 1;
		vt->plat->free(vt->plat->ctx, d);
		/* Senders wait while something is deferred. */
		if (!vt->def_head)
			vfs_broadcast(vt);
	}
}

/*
 * A send on the completion thread, which must never wait (it is the one
 * that frees space): post now if possible, else copy the message aside.
 */
static int vfs_send_nowait(struct vfs_transport *vt,
			   const struct fc_iov *iov, unsigned niov,
			   const struct fc_send_info *info,
			   const struct vfs_shape *s)
{
	struct vfs_deferred *d;
	unsigned qi, i;
	uint64_t off;
	size_t pos = 0;

	vfs_lock(vt);
	if (vt->dead) {
		vfs_unlock(vt);
		return -ENOTCONN;
	}
	if (!vt->def_head && !vt->waiters && !vfs_reserve(vt, s, &qi, &off)) {
		vfs_fill(vt, s, off, iov, niov);
		vfs_post(vt, s, qi, off, info);
		vt->q[qi].kick_pending = 1;
		vfs_unlock(vt);
		return 0;
	}
	vfs_unlock(vt);

	d = vt->plat->alloc(vt->plat->ctx, sizeof(*d) + s->in_len);
	if (!d)
		return -ENOMEM;
	d->next = NULL;
	d->info = *info;
	d->len = s->in_len;
	for (i = 0; i < niov; i++) {
		if (iov[i].len)
			memcpy(d->data + pos, iov[i].base, iov[i].len);
		pos += iov[i].len;
	}
	vfs_lock(vt);
	if (vt->dead) {
		vfs_unlock(vt);
		vt->plat->free(vt->plat->ctx, d);
		return -ENOTCONN;
	}
	if (vt->def_tail)
		vt->def_tail->next = d;
	else
		vt->def_head = d;
	vt->def_tail = d;
	vt->st.deferred++;
	vfs_unlock(vt);
	return 0;
}

static int vfs_send(struct fc_transport *t, const struct fc_iov *iov,
		    unsigned niov, const struct fc_send_info *info)
{
	struct vfs_transport *vt = to_vfs(t);
	struct vfs_shape s;
	size_t in_len = 0;
	unsigned i, qi;
	uint64_t off;
	int err, kick;

	for (i = 0; i < niov; i++) {
		if (iov[i].len > SIZE_MAX / 2 - in_len)
			return -EMSGSIZE;
		in_len += iov[i].len;
	}
	err = vfs_shape(vt, in_len, info, &s);
	if (err)
		return err;
	if (vfs_self == vt)
		return vfs_send_nowait(vt, iov, niov, info, &s);

	vfs_lock(vt);
	if (vt->dead) {
		vfs_unlock(vt);
		return -ENOTCONN;
	}
	if (vt->waiters || vt->def_head || vfs_reserve(vt, &s, &qi, &off)) {
		/* Back-pressure: wait for space, in arrival order. */
		uint64_t ticket = vt->ticket_next++;

		vt->waiters++;
		vt->st.full_waits++;
		for (;;) {
			if (vt->dead)
				break;
			if (ticket == vt->ticket_serve && !vt->def_head &&
			    !vfs_reserve(vt, &s, &qi, &off))
				break;
			vt->plat->cond_wait(vt->plat->ctx, vt->space, vt->lock,
					    "virtqueue full");
		}
		vt->waiters--;
		vt->ticket_serve++;
		vfs_broadcast(vt);
		if (vt->dead) {
			vfs_unlock(vt);
			return -ENOTCONN;
		}
	}
	vt->copying++;
	vfs_unlock(vt);

	vfs_fill(vt, &s, off, iov, niov);

	vfs_lock(vt);
	vt->copying--;
	if (vt->dead) {
		/* The completion thread waits for copies to end before unmapping. */
		vfs_broadcast(vt);
		vfs_unlock(vt);
		return -ENOTCONN;
	}
	vfs_post(vt, &s, qi, off, info);
	kick = !vfs_is_plugged(vt);
	if (!kick)
		vfs_plug_pending |= 1u << qi;
	vfs_unlock(vt);
	if (kick)
		vfs_kick(vt, qi);
	return 0;
}

/* ---- completions ------------------------------------------------------------- */

/*
 * End the request @unique with EIO.  fc_conn_deliver() fails the request a
 * malformed reply names (its header length disagreeing with the bytes
 * delivered), which is what a back end that broke the rules for this
 * chain deserves.
 */
static void vfs_fail_request(struct vfs_transport *vt, uint64_t unique)
{
	struct fc_out_header h;

	memset(&h, 0, sizeof(h));
	h.len = sizeof(h) + 1; /* deliberately not the length delivered */
	h.unique = unique;
	fc_conn_deliver(vt->conn, &h, sizeof(h));
}

/*
 * Handle one completed chain of queue @qi (lock held on entry and exit;
 * dropped around the copy and the delivery).
 */
static void vfs_complete(struct vfs_transport *vt, unsigned qi,
			 const struct vq_completion *c)
{
	struct vfs_req r = vt->q[qi].reqs[c->head];
	struct fc_out_header h;
	uint32_t len = c->len;
	int fail = 0;

	vt->st.completions++;
	vt->st.inflight--;
	if (r.noreply) {
		/* virtiofsd returns forgets with len 0; nothing to deliver. */
		vq_arena_free(&vt->arena, r.off, r.block_len);
		vt->st.arena_used = vt->arena.size - vt->arena.free_bytes;
		vfs_broadcast(vt);
		return;
	}
	if (c->status != VQ_USED_OK || len < sizeof(h)) {
		vt->st.bad_len++;
		fail = 1;
	} else if (len > vt->rx_cap) {
		size_t ncap = vt->rx_cap;
		unsigned char *nrx;

		while (ncap < len)
			ncap *= 2;
		nrx = vt->plat->alloc(vt->plat->ctx, ncap);
		if (!nrx) {
			fail = 1;
		} else {
			vt->plat->free(vt->plat->ctx, vt->rx);
			vt->rx = nrx;
			vt->rx_cap = ncap;
		}
	}
	vfs_unlock(vt);
	if (!fail) {
		/* Copy first: the back end cannot change what gets validated. */
		memcpy(vt->rx, vt->mem + vt->arena_off + r.off + r.out_off, len);
		memcpy(&h, vt->rx, sizeof(h));
		if (h.unique != r.unique)
			fail = 2;
	}
	vfs_lock(vt);
	vq_arena_free(&vt->arena, r.off, r.block_len);
	vt->st.arena_used = vt->arena.size - vt->arena.free_bytes;
	if (fail == 2)
		vt->st.bad_unique++;
	if (!fail)
		vt->st.reply_bytes += len;
	vt->delivering = 1;
	vfs_broadcast(vt);
	vfs_unlock(vt);
	if (fail) {
		vfs_log(vt, FC_LOG_WARN,
			"virtiofs: bad completion on queue %u (len %u of %u, %s): request %llu fails EIO",
			qi, c->len, c->wlen, fail == 2 ? "wrong unique" : "bad length",
			(unsigned long long)r.unique);
		vfs_fail_request(vt, r.unique);
	} else {
		fc_conn_deliver(vt->conn, vt->rx, len);
	}
	vfs_lock(vt);
	vt->delivering = 0;
	if (vt->idle_waiters)
		vfs_broadcast(vt);
}

/*
 * Drain every used ring (lock held).  Returns 0, or -EPROTO if a ring is
 * corrupt.
 */
static int vfs_drain(struct vfs_transport *vt)
{
	unsigned i;
	int again;

	do {
		again = 0;
		for (i = 0; i < vt->nq && !vt->dead; i++) {
			struct vfs_queue *q = &vt->q[i];
			struct vq_completion c;
			int r;

			vq_disable_cb(&q->vq);
			while (!vt->dead && (r = vq_get_used(&q->vq, &c)) == 1)
				vfs_complete(vt, i, &c);
			if (vt->dead)
				break;
			if (r < 0) {
				vt->st.rings_broken++;
				vfs_log(vt, FC_LOG_ERR,
					"virtiofs: queue %u: corrupt used ring", i);
				return -EPROTO;
			}
			/* Re-arm; something may have come in meanwhile. */
			if (vq_enable_cb(&q->vq))
				again = 1;
		}
	} while (again && !vt->dead);
	return 0;
}

/*
 * The back end is gone (or broke a ring): fail everything, then unmap the
 * shared memory once no sender is copying into it.  Completion thread, lock
 * not held.
 */
static void vfs_die(struct vfs_transport *vt, const char *why)
{
	struct vfs_deferred *d;
	struct fc_conn *conn;

	vfs_lock(vt);
	if (vt->dead) {
		vfs_unlock(vt);
		return;
	}
	vt->dead = 1;
	vt->st.dead = 1;
	vt->delivering = 1;
	conn = vt->conn;
	d = vt->def_head;
	vt->def_head = vt->def_tail = NULL;
	vfs_broadcast(vt);
	vfs_unlock(vt);
	vfs_log(vt, FC_LOG_WARN, "virtiofs: %s: connection aborted", why);
	while (d) {
		struct vfs_deferred *n = d->next;

		vt->plat->free(vt->plat->ctx, d);
		d = n;
	}
	if (conn)
		fc_conn_abort(conn);

	vfs_lock(vt);
	while (vt->copying)
		vt->plat->cond_wait(vt->plat->ctx, vt->space, vt->lock,
				    "virtiofs copy");
	vt->st.inflight = 0;
	vfs_unmap(vt);
	vt->delivering = 0;
	vfs_broadcast(vt);
	vfs_unlock(vt);
}

static void *vfs_thread(void *arg)
{
	struct vfs_transport *vt = arg;
	struct pollfd pfd[3 + FC_VIRTIOFS_MAX_QUEUES];
	unsigned nfd, i, first_call;

	vfs_self = vt;
	nfd = 0;
	pfd[nfd++] = (struct pollfd){ .fd = vt->wake_fd, .events = POLLIN };
	pfd[nfd++] = (struct pollfd){ .fd = vt->sock, .events = POLLIN | POLLRDHUP };
	pfd[nfd++] = (struct pollfd){ .fd = vt->pidfd, .events = POLLIN };
	first_call = nfd;
	for (i = 0; i < vt->nq; i++)
		pfd[nfd++] = (struct pollfd){ .fd = vt->q[i].call_fd, .events = POLLIN };

	for (;;) {
		const char *gone = NULL;
		int err, r;

		vfs_lock(vt);
		if (vt->stop || vt->dead) {
			vfs_unlock(vt);
			break;
		}
		err = vfs_drain(vt);
		if (!err)
			vfs_post_deferred_locked(vt);
		vfs_unlock(vt);
		if (err) {
			vfs_die(vt, "corrupt used ring");
			break;
		}
		vfs_kick_pending(vt);

		r = poll(pfd, nfd, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			vfs_die(vt, "poll failed");
			break;
		}
		if (pfd[0].revents) {
			uint64_t v;

			if (read(vt->wake_fd, &v, sizeof(v)) < 0) {
				/* nothing: it is non-blocking, the flag decides */
			}
		}
		if (pfd[1].revents) {
			char c;
			ssize_t n = recv(vt->sock, &c, 1, MSG_DONTWAIT | MSG_PEEK);

			if (n == 0 || (pfd[1].revents & (POLLHUP | POLLERR | POLLRDHUP)))
				gone = "back end closed the vhost-user socket";
			else if (n > 0) {
				/* Nothing is expected from the back end now. */
				char junk[256];

				if (recv(vt->sock, junk, sizeof(junk), MSG_DONTWAIT) <= 0)
					gone = "back end closed the vhost-user socket";
				else
					vfs_log(vt, FC_LOG_WARN,
						"virtiofs: unexpected vhost-user message ignored");
			} else if (errno != EAGAIN && errno != EINTR) {
				gone = "vhost-user socket error";
			}
		}
		if (pfd[2].revents)
			gone = "back-end process exited";
		for (i = first_call; i < nfd; i++) {
			if (pfd[i].revents) {
				uint64_t v;

				if (read(pfd[i].fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: already consumed */
				}
			}
		}
		if (gone) {
			vfs_die(vt, gone);
			break;
		}
		vfs_lock(vt);
		vt->st.wakeups++;
		vfs_unlock(vt);
	}
	vfs_self = NULL;
	return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void vfs_stop_thread(struct vfs_transport *vt)
{
	const uint64_t one = 1;

	if (!vt->thread_running)
		return;
	vfs_lock(vt);
	vt->stop = 1;
	vfs_unlock(vt);
	if (write(vt->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write */
	}
	pthread_join(vt->thread, NULL);
	vt->thread_running = 0;
}

static void vfs_attach(struct fc_transport *t, struct fc_conn *conn)
{
	struct vfs_transport *vt = to_vfs(t);

	if (conn) {
		vt->conn = conn;
		vt->stop = 0;
		if (pthread_create(&vt->thread, NULL, vfs_thread, vt) == 0) {
			vt->thread_running = 1;
		} else {
			vfs_log(vt, FC_LOG_ERR, "virtiofs: cannot start the completion thread");
			vfs_lock(vt);
			vt->dead = vt->st.dead = 1;
			vfs_unlock(vt);
		}
		return;
	}
	vfs_stop_thread(vt);
	vfs_lock(vt);
	/* Detached: nothing more may be sent. */
	vt->dead = 1;
	vt->conn = NULL;
	vfs_broadcast(vt);
	vfs_unlock(vt);
}

static void vfs_destroy(struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);
	unsigned i;

	vfs_stop_thread(vt);
	/*
	 * Stop the rings while the back end is still there, so it touches
	 * the memory no more (QEMU's vhost_virtqueue_stop); bounded.
	 */
	if (vt->mem && !vt->sock_shut && vt->sock >= 0) {
		vt->timeout_ms = vt->timeout_ms < VFS_STOP_TIMEOUT_MS ?
				 vt->timeout_ms : VFS_STOP_TIMEOUT_MS;
		for (i = 0; i < vt->nq; i++) {
			struct vhost_vring_state s = { i, 0 };

			if (vu_send(vt, VHOST_USER_GET_VRING_BASE, 0, &s,
				    sizeof(s), NULL, 0) ||
			    vu_recv(vt, VHOST_USER_GET_VRING_BASE, &s, sizeof(s)))
				break;
		}
	}
	vfs_free_all(vt);
}

static const struct fc_transport_ops vfs_ops = {
	.version = FC_TRANSPORT_VERSION,
	.name = "virtiofs",
	.send = vfs_send,
	.poll = NULL,
	.attach = vfs_attach,
	.destroy = vfs_destroy,
};

void fc_virtiofs_info(struct fc_transport *t, struct fc_virtiofs_info *out)
{
	*out = to_vfs(t)->info;
}

void fc_virtiofs_stats(struct fc_transport *t, struct fc_virtiofs_stats *out)
{
	struct vfs_transport *vt = to_vfs(t);

	vfs_lock(vt);
	*out = vt->st;
	vfs_unlock(vt);
}

void fc_virtiofs_set_trace(struct fc_transport *t, fc_virtiofs_trace_fn hook,
			   void *ctx)
{
	struct vfs_transport *vt = to_vfs(t);

	vfs_lock(vt);
	vt->trace = hook;
	vt->trace_ctx = ctx;
	vfs_unlock(vt);
}

void fc_virtiofs_plug(struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);

	if (vfs_plugged && vfs_plugged != vt)
		return; /* one transport per thread at a time */
	vfs_plugged = vt;
	vfs_plug_depth++;
}

void fc_virtiofs_unplug(struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);
	unsigned i;

	if (vfs_plugged != vt || !vfs_plug_depth)
		return;
	if (--vfs_plug_depth)
		return;
	vfs_plugged = NULL;
	for (i = 0; i < vt->nq; i++)
		if (vfs_plug_pending & (1u << i))
			vfs_kick(vt, i);
	vfs_plug_pending = 0;
}

int fc_virtiofs_wait_idle(struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);
	int err;

	vfs_lock(vt);
	vt->idle_waiters++;
	while (vt->delivering || (!vt->dead && (vt->st.inflight || vt->def_head)))
		vt->plat->cond_wait(vt->plat->ctx, vt->space, vt->lock,
				    "virtiofs idle");
	vt->idle_waiters--;
	err = vt->dead ? -ENOTCONN : 0;
	vfs_unlock(vt);
	return err;
}

void fc_virtiofs_disconnect(struct fc_transport *t)
{
	struct vfs_transport *vt = to_vfs(t);

	vfs_lock(vt);
	if (!vt->sock_shut && vt->sock >= 0) {
		shutdown(vt->sock, SHUT_RDWR);
		vt->sock_shut = 1;
	}
	vfs_unlock(vt);
}

/* ---- launching virtiofsd ---------------------------------------------------------- */

struct fc_virtiofsd {
	pid_t pid;
	int pidfd;
	int reaped;
	int status;
	char *sock_path;
	char *tmpdir;
	unsigned term_grace_ms, kill_grace_ms;
};

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msglen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

static const char *vfsd_binary(const char *binary)
{
	const char *env;

	if (binary)
		return binary;
	env = getenv(FC_VIRTIOFSD_ENV);
	return env && *env ? env : FC_VIRTIOFSD_DEFAULT_PATH;
}

static int sys_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	long r = syscall(SYS_pidfd_open, pid, 0);

	return r < 0 ? -errno : (int)r;
#else
	(void)pid;
	return -ENOSYS;
#endif
}

void fc_virtiofsd_config_default(struct fc_virtiofsd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = FC_VIRTIOFSD_CONFIG_VERSION;
	cfg->stderr_fd = -1;
}

int fc_virtiofsd_check(const char *binary, char *msg, size_t msglen)
{
	const char *bin = vfsd_binary(binary);

	if (access(bin, F_OK) != 0) {
		set_msg(msg, msglen,
			"%s not found (install Debian's qemu-system-common, or set %s)",
			bin, FC_VIRTIOFSD_ENV);
		return -ENOENT;
	}
	if (access(bin, X_OK) != 0) {
		set_msg(msg, msglen, "%s is not executable", bin);
		return -EACCES;
	}
	if (geteuid() != 0) {
		set_msg(msg, msglen,
			"virtiofsd needs root (it writes /run/virtiofsd/*.pid and sandboxes itself)");
		return -EPERM;
	}
	set_msg(msg, msglen, "%s", "");
	return 0;
}

/*
 * fork + exec @argv with stdout -> @out_fd (/dev/null if < 0: a daemon that
 * outlives us must not hold a caller's pipe open), stderr -> @err_fd (if
 * >= 0).  With @pdeathsig, the child gets SIGKILL when the calling thread
 * exits (PR_SET_PDEATHSIG).
 */
static int vfsd_spawn(char *const *argv, int out_fd, int err_fd, int pdeathsig,
		      pid_t *pid)
{
	pid_t parent = getpid();
	int pipefd[2], e = 0;
	ssize_t n;
	pid_t p;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	p = fork();
	if (p < 0) {
		e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (p == 0) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (pdeathsig) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			/* The parent may be gone already. */
			if (getppid() != parent)
				_exit(127);
		}
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (out_fd >= 0)
			dup2(out_fd, 1);
		if (err_fd >= 0)
			dup2(err_fd, 2);
		/* A fresh process group: a terminal's signals are not ours to pass. */
		setpgid(0, 0);
		execv(argv[0], argv);
		e = errno;
		if (write(pipefd[1], &e, sizeof(e)) < 0) {
			/* the parent then sees a plain exit */
		}
		_exit(127);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(p, NULL, 0);
		return -e;
	}
	*pid = p;
	return 0;
}

int fc_virtiofsd_version(const char *binary, char *buf, size_t size)
{
	char *argv[3];
	char tmp[512];
	int pfd[2], err, status;
	size_t got = 0;
	pid_t pid;
	char *nl;

	if (!buf || !size)
		return -EINVAL;
	buf[0] = 0;
	argv[0] = (char *)vfsd_binary(binary);
	argv[1] = (char *)"--version";
	argv[2] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	err = vfsd_spawn(argv, pfd[1], pfd[1], 1, &pid);
	close(pfd[1]);
	if (err) {
		close(pfd[0]);
		return err;
	}
	for (;;) {
		ssize_t n = read(pfd[0], tmp + got, sizeof(tmp) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(tmp) - 1)
			break;
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	tmp[got] = 0;
	nl = strchr(tmp, '\n');
	if (nl)
		*nl = 0;
	snprintf(buf, size, "%s", tmp);
	return got ? 0 : -EIO;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Wait up to @ms for the process to exit (pidfd), and reap it. */
static int vfsd_wait(struct fc_virtiofsd *d, unsigned ms)
{
	if (d->reaped)
		return 0;
	if (d->pidfd >= 0) {
		struct pollfd p = { .fd = d->pidfd, .events = POLLIN };
		uint64_t deadline = mono_ns() + (uint64_t)ms * 1000000ull;
		int r;

		do
			r = poll(&p, 1, ms_left(deadline));
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return -ETIMEDOUT;
		waitpid(d->pid, &d->status, 0);
		d->reaped = 1;
		return 0;
	}
	/* No pidfd (old kernel): poll waitpid. */
	{
		uint64_t deadline = mono_ns() + (uint64_t)ms * 1000000ull;

		for (;;) {
			pid_t r = waitpid(d->pid, &d->status, WNOHANG);

			if (r == d->pid || (r < 0 && errno == ECHILD)) {
				d->reaped = 1;
				return 0;
			}
			if (mono_ns() >= deadline)
				return -ETIMEDOUT;
			usleep(1000);
		}
	}
}

/* Remove virtiofsd's pid file, /run/virtiofsd/<socket path, '/' -> '.'>.pid. */
static void vfsd_remove_pidfile(const char *sock)
{
	char path[4200];
	size_t n, i;

	n = (size_t)snprintf(path, sizeof(path), "/run/virtiofsd/%s.pid", sock);
	if (n >= sizeof(path))
		return;
	for (i = strlen("/run/virtiofsd/"); i < n; i++)
		if (path[i] == '/')
			path[i] = '.';
	unlink(path);
}

int fc_virtiofsd_start(const struct fc_virtiofsd_config *cfg,
		       struct fc_virtiofsd **out, char *msg, size_t msglen)
{
	const char *argv[32 + 16];
	char a_sock[4200], a_src[4200], a_cache[64], a_sandbox[64];
	struct fc_virtiofsd *d;
	const char *bin;
	uint64_t deadline;
	unsigned n = 0, i;
	int err;

	if (out)
		*out = NULL;
	set_msg(msg, msglen, "%s", "");
	if (!cfg || !out || cfg->version != FC_VIRTIOFSD_CONFIG_VERSION ||
	    !cfg->source) {
		set_msg(msg, msglen, "bad configuration (no source directory?)");
		return -EINVAL;
	}
	bin = vfsd_binary(cfg->binary);
	err = fc_virtiofsd_check(bin, msg, msglen);
	if (err)
		return err;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pidfd = -1;
	d->reaped = 1;
	d->term_grace_ms = cfg->term_grace_ms ? cfg->term_grace_ms : 2000;
	d->kill_grace_ms = cfg->kill_grace_ms ? cfg->kill_grace_ms : 2000;
	if (cfg->socket_path) {
		struct stat st;

		d->sock_path = xstrdup(cfg->socket_path);
		/* A stale socket would look ready before virtiofsd binds anew. */
		if (lstat(cfg->socket_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(cfg->socket_path);
	} else {
		char tmpl[] = "/tmp/fc-virtiofsd-XXXXXX";

		if (!mkdtemp(tmpl)) {
			err = -errno;
			set_msg(msg, msglen, "mkdtemp: %s", strerror(-err));
			fc_virtiofsd_free(d);
			return err;
		}
		d->tmpdir = xstrdup(tmpl);
		if (d->tmpdir) {
			d->sock_path = malloc(strlen(tmpl) + sizeof("/vfs.sock"));
			if (d->sock_path)
				sprintf(d->sock_path, "%s/vfs.sock", tmpl);
		}
	}
	if (!d->sock_path) {
		fc_virtiofsd_free(d);
		return -ENOMEM;
	}
	snprintf(a_sock, sizeof(a_sock), "--socket-path=%s", d->sock_path);
	snprintf(a_src, sizeof(a_src), "source=%s", cfg->source);
	snprintf(a_cache, sizeof(a_cache), "cache=%s", cfg->cache ? cfg->cache : "auto");
	snprintf(a_sandbox, sizeof(a_sandbox), "sandbox=%s",
		 cfg->sandbox ? cfg->sandbox : "chroot");
	argv[n++] = bin;
	argv[n++] = a_sock;
	argv[n++] = "-o";
	argv[n++] = a_src;
	argv[n++] = "-o";
	argv[n++] = a_cache;
	argv[n++] = "-o";
	argv[n++] = a_sandbox;
	if (cfg->announce_submounts) {
		argv[n++] = "-o";
		argv[n++] = "announce_submounts";
	}
	if (cfg->debug) {
		argv[n++] = "-o";
		argv[n++] = "log_level=debug";
	}
	for (i = 0; cfg->extra_args && cfg->extra_args[i]; i++) {
		if (n + 1 >= sizeof(argv) / sizeof(argv[0])) {
			set_msg(msg, msglen, "too many extra arguments");
			fc_virtiofsd_free(d);
			return -E2BIG;
		}
		argv[n++] = cfg->extra_args[i];
	}
	argv[n] = NULL;

	err = vfsd_spawn((char *const *)argv, -1, cfg->stderr_fd,
			 !cfg->outlive_thread, &d->pid);
	if (err) {
		set_msg(msg, msglen, "cannot run %s: %s", bin, strerror(-err));
		fc_virtiofsd_free(d);
		return err;
	}
	d->reaped = 0;
	d->pidfd = sys_pidfd_open(d->pid);
	if (d->pidfd < 0)
		d->pidfd = -1;

	/* Wait, bounded, for the socket; give up early if virtiofsd exits. */
	deadline = mono_ns() + (uint64_t)(cfg->socket_timeout_ms ?
					   cfg->socket_timeout_ms : 5000) * 1000000ull;
	for (;;) {
		struct stat st;

		if (stat(d->sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
			break;
		if (vfsd_wait(d, 2) == 0) {
			if (WIFEXITED(d->status))
				set_msg(msg, msglen,
					"virtiofsd exited with status %d before creating its socket",
					WEXITSTATUS(d->status));
			else
				set_msg(msg, msglen,
					"virtiofsd killed by signal %d before creating its socket",
					WTERMSIG(d->status));
			fc_virtiofsd_free(d);
			return -ECHILD;
		}
		if (mono_ns() >= deadline) {
			set_msg(msg, msglen, "virtiofsd created no socket at %s in time",
				d->sock_path);
			fc_virtiofsd_free(d);
			return -ETIMEDOUT;
		}
	}
	*out = d;
	return 0;
}

const char *fc_virtiofsd_socket_path(const struct fc_virtiofsd *d)
{
	return d->sock_path;
}

pid_t fc_virtiofsd_pid(const struct fc_virtiofsd *d)
{
	return d->pid;
}

int fc_virtiofsd_pidfd(const struct fc_virtiofsd *d)
{
	int fd;

	if (d->reaped)
		return -ESRCH;
	if (d->pidfd < 0)
		return sys_pidfd_open(d->pid);
	fd = fcntl(d->pidfd, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? -errno : fd;
}

int fc_virtiofsd_wait(struct fc_virtiofsd *d, unsigned timeout_ms, int *status)
{
	int err = vfsd_wait(d, timeout_ms);

	if (!err && status)
		*status = d->status;
	return err;
}

int fc_virtiofsd_kill(struct fc_virtiofsd *d, int sig)
{
	if (d->reaped)
		return -ESRCH;
	return kill(d->pid, sig) < 0 ? -errno : 0;
}

int fc_virtiofsd_stop(struct fc_virtiofsd *d, int *status)
{
	int signalled = 0;

	if (!d->reaped && vfsd_wait(d, d->term_grace_ms)) {
		signalled = 1;
		kill(d->pid, SIGCONT);  /* a stopped process cannot act on SIGTERM */
		kill(d->pid, SIGTERM);
		if (vfsd_wait(d, d->kill_grace_ms)) {
			kill(d->pid, SIGKILL);
			vfsd_wait(d, 60000);
		}
	}
	if (status)
		*status = d->status;
	return signalled ? -ETIMEDOUT : 0;
}

void fc_virtiofsd_free(struct fc_virtiofsd *d)
{
	if (!d)
		return;
	if (!d->reaped)
		fc_virtiofsd_stop(d, NULL);
	if (d->pidfd >= 0)
		close(d->pidfd);
	if (d->sock_path) {
		unlink(d->sock_path);
		vfsd_remove_pidfile(d->sock_path);
	}
	if (d->tmpdir)
		rmdir(d->tmpdir);
	free(d->sock_path);
	free(d->tmpdir);
	free(d);
}
