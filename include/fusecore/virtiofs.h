/*
 * fusecore/virtiofs.h - the vhost-user virtio-fs transport and a virtiofsd
 * launcher.
 *
 * The transport plays the part of a VMM plus Linux's virtio_fs driver: it
 * is the vhost-user *front end* of a virtio-fs device whose back end is an
 * unmodified daemon such as QEMU's C virtiofsd.  docs/virtiofs.md
 * describes the handshake, the memory model and the queue mapping.
 *
 *  - Handshake (in fc_virtiofs_transport_new()): connect to the back end's
 *    unix socket; negotiate virtio features (VERSION_1 and
 *    VHOST_USER_F_PROTOCOL_FEATURES, only what both sides offer) and
 *    protocol features (MQ, REPLY_ACK); SET_OWNER; SET_MEM_TABLE with one
 *    memfd region passed with SCM_RIGHTS; per queue SET_VRING_NUM, _BASE,
 *    _ADDR, _KICK, _CALL; then SET_VRING_ENABLE.  With REPLY_ACK every
 *    SET_* asks for and checks an acknowledgement.  Every reply is awaited
 *    with a bound (timeout_ms).
 *  - Memory: one memfd, mapped MAP_SHARED, holds every ring and a data
 *    area from which each request takes one block (first-fit allocator,
 *    no per-request mmap).  Ring addresses in SET_VRING_ADDR are this
 *    process's virtual addresses; descriptor addresses are guest-physical
 *    (gpa_base + offset in the memfd), as a real guest's would be.
 *  - Queues: queue 0 is the high-priority queue and carries only FORGET
 *    and BATCH_FORGET (one device-readable chain, no writable buffer, no
 *    reply), queues 1..N carry every other request (N from
 *    num_request_queues, at most what the back end has).  A request is a
 *    chain [in header][arguments] (device-readable) followed by [out
 *    header][reply area] (device-writable) sized from the request itself
 *    (struct fc_send_info.reply_max: READ by its size, READDIR(PLUS) by
 *    theirs, everything else by its fixed reply), never a fixed worst
 *    case.  A request without a reply other than a forget still gets a
 *    writable 16-byte header buffer.
 *  - Sending: the bytes are copied into the shared block, the chain is
 *    added and published, and the queue is kicked (one eventfd write)
 *    unless the back end set VRING_USED_F_NO_NOTIFY.  Kicks are batched:
 *    a thread between fc_virtiofs_plug() and fc_virtiofs_unplug() kicks
 *    once at the end, requests sent by the completion thread (the next
 *    background request, started as one completes) are kicked once per
 *    batch of completions, and concurrent senders share a kick in
 *    progress.  A full queue or data area applies back-pressure: the
 *    sender waits, in arrival order, on a platform condition variable
 *    ("virtqueue full"); on the completion thread, which must never wait,
 *    the request is copied aside and posted as soon as space frees.
 *  - Completion: a thread (started when the connection attaches) polls
 *    the call eventfds, the vhost-user socket (hang-up means the back end
 *    is gone) and optionally a pidfd of the back-end process.  It drains
 *    the used rings with signals suppressed (VRING_AVAIL_F_NO_INTERRUPT)
 *    and re-enables them before sleeping.  Every used element is validated
 *    (virtqueue_i.h): a length beyond the chain's writable capacity, a
 *    length below the 16-byte header, or an out header naming another
 *    request fails that request with EIO; an index or id that cannot be
 *    right breaks the ring and aborts the connection.  Replies are copied
 *    out of shared memory before fc_conn_deliver() sees them (the back end
 *    cannot change them under the validation).
 *  - End: a back end that hangs up or dies aborts the connection (every
 *    waiter gets -ENOTCONN through fc_conn_abort(), later sends fail with
 *    -ENOTCONN) and the shared memory is unmapped at once.  Send
 *    FUSE_DESTROY (fc_conn_destroy_request()) before fc_conn_free(); the
 *    transport then stops the rings (GET_VRING_BASE), closes the socket
 *    (virtiofsd exits when its one connection closes) and frees
 *    everything.
 *
 * The transport kind is FC_TRANSPORT_VIRTIO_FS (the connection then uses
 * the virtio-fs INIT profile, which requests FUSE_SUBMOUNTS) and
 * no_interrupt is set: FUSE_INTERRUPT is never sent, as on Linux.
 *
 * Host-side code (sockets, eventfd, memfd, pthreads): part of the library,
 * not of the thread-free protocol core.  The ring logic itself
 * (src/transport/virtqueue.c) is dependency-free.
 */
#ifndef FUSECORE_VIRTIOFS_H
#define FUSECORE_VIRTIOFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of struct fc_virtiofs_config this header describes. */
#define FC_VIRTIOFS_CONFIG_VERSION 1

/** Queues the transport drives at most: hiprio + 15 request queues. */
#define FC_VIRTIOFS_MAX_QUEUES 16
/** Default and largest ring size (QEMU caps vhost-user-fs at 1024). */
#define FC_VIRTIOFS_DEFAULT_QUEUE_SIZE 256u
#define FC_VIRTIOFS_MAX_QUEUE_SIZE 1024u
/** Default size of the shared memory (rings and data area). */
#define FC_VIRTIOFS_DEFAULT_MEM_SIZE (64u * 1024u * 1024u)
/** Default guest-physical address of the shared memory. */
#define FC_VIRTIOFS_DEFAULT_GPA_BASE 0x40000000ull
/** Default bound on each handshake reply, and on connecting. */
#define FC_VIRTIOFS_DEFAULT_TIMEOUT_MS 5000u
/** Most descriptors one request chain uses. */
#define FC_VIRTIOFS_MAX_DESC 4

/** Virtio and vhost-user feature bits the transport knows. */
#define FC_VIRTIO_F_VERSION_1 (1ull << 32)
#define FC_VHOST_USER_F_PROTOCOL_FEATURES (1ull << 30)
#define FC_VIRTIO_RING_F_EVENT_IDX (1ull << 29)
#define FC_VIRTIO_RING_F_INDIRECT_DESC (1ull << 28)
/** vhost-user protocol feature bits. */
#define FC_VHOST_USER_PROTOCOL_F_MQ (1ull << 0)
#define FC_VHOST_USER_PROTOCOL_F_REPLY_ACK (1ull << 3)
#define FC_VHOST_USER_PROTOCOL_F_CONFIG (1ull << 9)

/** How to create a virtio-fs transport.  Fill with fc_virtiofs_config_default(). */
struct fc_virtiofs_config {
	/** Must be FC_VIRTIOFS_CONFIG_VERSION. */
	unsigned version;
	/**
	 * The back end's vhost-user socket.  A socket that exists but is not
	 * listening yet (ECONNREFUSED) or not there yet (ENOENT) is retried
	 * until connect_timeout_ms.  NULL: use @fd.
	 */
	const char *socket_path;
	/**
	 * A connected AF_UNIX stream socket to the back end, used when
	 * @socket_path is NULL (ignored otherwise).  The transport owns it
	 * from then on, also on failure.  -1 for none.
	 */
	int fd;
	/**
	 * A pidfd (pidfd_open(2)) of the back-end process, watched with the
	 * socket: its exit aborts the connection even if a descendant still
	 * holds the socket.  The transport owns it (also on failure).  -1 for
	 * none.  fc_virtiofsd_pidfd() provides one.
	 */
	int pidfd;
	/**
	 * Request queues wanted (virtio-fs config num_request_queues; Linux
	 * uses up to one per CPU).  The back end's own count (GET_QUEUE_NUM
	 * with MQ; 1 without) and FC_VIRTIOFS_MAX_QUEUES - 1 cap it.  0 means 1.
	 */
	unsigned num_request_queues;
	/** Entries per ring: a power of two, 2..FC_VIRTIOFS_MAX_QUEUE_SIZE. */
	unsigned queue_size;
	/**
	 * Bytes of shared memory (rings first, then the data area; rounded up
	 * to pages).  The largest request must fit in the data area
	 * (-EMSGSIZE otherwise); 64 MiB holds dozens of 1 MiB READs.
	 */
	size_t mem_size;
	/** Guest-physical address of the memory (descriptor addresses). */
	uint64_t gpa_base;
	/** Bound on each handshake reply and on GET_VRING_BASE at teardown. */
	unsigned timeout_ms;
	/** Bound on connecting to @socket_path. */
	unsigned connect_timeout_ms;
	/**
	 * Virtio features the front end may acknowledge; the back end's offer
	 * is ANDed with this (default VERSION_1 | PROTOCOL_FEATURES; the ring
	 * code implements neither EVENT_IDX nor INDIRECT_DESC, so they are
	 * never acknowledged whatever this says).  VERSION_1 is required.
	 */
	uint64_t features;
	/** Protocol features the front end may acknowledge (default MQ | REPLY_ACK). */
	uint64_t protocol_features;
	/**
	 * First avail/used index of every ring (SET_VRING_BASE).  0 for a
	 * fresh device; the tests start near 65535 to cross the 16-bit wrap.
	 */
	uint16_t ring_base;
};

/** Fill @cfg with the defaults above (no socket: set socket_path or fd). */
void fc_virtiofs_config_default(struct fc_virtiofs_config *cfg);

/**
 * Connect and run the vhost-user handshake; the queues are enabled when it
 * returns.  The completion thread starts when a connection attaches
 * (fc_conn_new()); FUSE_INIT is the connection's business (fc_conn_init()).
 * Returns 0 and sets *@out, or -errno: -EINVAL (bad config), -ENOENT /
 * -ECONNREFUSED (no back end listening within connect_timeout_ms),
 * -ETIMEDOUT (a reply did not come in time), -ECONNRESET (the back end
 * closed the socket), -EPROTO (a malformed reply, or a negative
 * REPLY_ACK), -EOPNOTSUPP (the back end lacks VERSION_1), -ENOMEM.
 * Nothing is left behind on failure.
 */
int fc_virtiofs_transport_new(const struct fc_platform *plat,
			      const struct fc_virtiofs_config *cfg,
			      struct fc_transport **out);

/**
 * fc_conn_config_default() for a virtio-fs transport @t, plus Linux's
 * virtio-fs mount default max_pages_limit = min(limit, queue_size - 4)
 * (virtio_fs_get_tree; the profile is otherwise the virtio-fs one, with
 * FC_SUBMOUNTS), and a max_write_limit that keeps the largest WRITE inside
 * the data area.
 */
void fc_virtiofs_conn_config_default(struct fc_conn_config *cfg,
				     const struct fc_platform *plat,
				     struct fc_transport *t);

/** What the handshake settled. */
struct fc_virtiofs_info {
	uint64_t backend_features;           /**< GET_FEATURES */
	uint64_t acked_features;             /**< SET_FEATURES */
	uint64_t backend_protocol_features;  /**< GET_PROTOCOL_FEATURES (0 if not offered) */
	uint64_t acked_protocol_features;    /**< SET_PROTOCOL_FEATURES */
	unsigned backend_queues;             /**< GET_QUEUE_NUM (0 without MQ) */
	unsigned num_queues;                 /**< queues in use: hiprio + request queues */
	unsigned queue_size;
	int reply_ack;                       /**< REPLY_ACK negotiated */
	size_t mem_size;                     /**< bytes of the memfd */
	uint64_t arena_size;                 /**< bytes of its data area */
	uint64_t gpa_base;
	unsigned handshake_msgs;             /**< vhost-user messages sent */
	uint64_t handshake_ns;               /**< connect to the last acknowledgement */
};

/** Copy the handshake's outcome into @out. */
void fc_virtiofs_info(struct fc_transport *t, struct fc_virtiofs_info *out);

/** Counters of one virtio-fs transport (monotonic unless noted). */
struct fc_virtiofs_stats {
	uint64_t chains;                  /**< request chains posted */
	uint64_t queue_chains[FC_VIRTIOFS_MAX_QUEUES]; /**< per queue */
	uint64_t kicks;                   /**< eventfd writes */
	uint64_t kicks_suppressed;        /**< skipped for VRING_USED_F_NO_NOTIFY */
	uint64_t max_kick_batch;          /**< most chains covered by one kick */
	uint64_t completions;             /**< used elements consumed */
	uint64_t wakeups;                 /**< completion-thread wake-ups with work */
	uint64_t full_waits;              /**< sends that waited for space */
	uint64_t deferred;                /**< completion-thread sends copied aside */
	uint64_t bad_len;                 /**< used length beyond capacity or < 16 (EIO) */
	uint64_t bad_unique;              /**< out header naming another request (EIO) */
	uint64_t rings_broken;            /**< corrupt used rings (connection aborted) */
	uint64_t reply_bytes;             /**< reply bytes copied out */
	uint64_t inflight;                /**< chains in flight now */
	uint64_t arena_used;              /**< data-area bytes allocated now */
	uint64_t arena_peak;              /**< most data-area bytes allocated at once */
	int mem_mapped;                   /**< the shared memory is still mapped (0 after disconnect) */
	int dead;                         /**< the back end is gone */
};

/** Copy the counters into @out. */
void fc_virtiofs_stats(struct fc_transport *t, struct fc_virtiofs_stats *out);

/** One request chain as posted (for tests and tracing). */
struct fc_virtiofs_chain {
	unsigned queue;                    /**< 0 = hiprio */
	unsigned head;                     /**< head descriptor index */
	uint32_t opcode;
	uint64_t unique;
	unsigned ndesc;
	uint32_t len[FC_VIRTIOFS_MAX_DESC];   /**< descriptor lengths, in chain order */
	int writable[FC_VIRTIOFS_MAX_DESC];   /**< VRING_DESC_F_WRITE */
	uint64_t gpa[FC_VIRTIOFS_MAX_DESC];   /**< descriptor addresses */
	uint32_t readable_bytes, writable_bytes;
};

/** Called for each chain posted. */
typedef void (*fc_virtiofs_trace_fn)(void *ctx,
				     const struct fc_virtiofs_chain *chain);

/**
 * Install (or with @hook NULL, remove) a hook called with @ctx for every
 * chain posted, with the transport's lock held: it must not call into the
 * transport or the connection.  Set it before requests are in flight.
 */
void fc_virtiofs_set_trace(struct fc_transport *t, fc_virtiofs_trace_fn hook,
			   void *ctx);

/**
 * Batch kicks from the calling thread: until the matching
 * fc_virtiofs_unplug(), its sends are published but the back end is not
 * notified.  Nests.  Only for requests that do not wait for their reply
 * (fc_conn_send_bg(), FORGETs): a synchronous send inside a plug would
 * wait forever, so a synchronous send kicks anyway.
 */
void fc_virtiofs_plug(struct fc_transport *t);

/** End a plug; the outermost one kicks every queue that has new chains. */
void fc_virtiofs_unplug(struct fc_transport *t);

/**
 * Wait until no chain is in flight or set aside (FORGETs included: the
 * back end has handed every chain back), and the completion thread is not
 * inside fc_conn_deliver() or fc_conn_abort(): every callback that a
 * reply, or the back end's death, triggered has returned.  For quiescing
 * before measurements, teardown of what callbacks use, or checks that the
 * back end has consumed everything.  Must not be called from a completion
 * callback.  Returns 0, or -ENOTCONN once the back end is gone (its
 * aborted callbacks have returned too).
 */
int fc_virtiofs_wait_idle(struct fc_transport *t);

/**
 * Shut the vhost-user socket down, as the back end's death would: the
 * completion thread sees the hang-up, the connection is aborted and the
 * shared memory unmapped.  For watchdogs and tests; idempotent.
 */
void fc_virtiofs_disconnect(struct fc_transport *t);

/* ---- Launching virtiofsd ------------------------------------------------- */

/** Version of struct fc_virtiofsd_config this header describes. */
#define FC_VIRTIOFSD_CONFIG_VERSION 1
/** Where Debian's qemu-system-common installs QEMU's C virtiofsd. */
#define FC_VIRTIOFSD_DEFAULT_PATH "/usr/lib/qemu/virtiofsd"
/** Environment variable naming another virtiofsd binary. */
#define FC_VIRTIOFSD_ENV "FUSECORE_VIRTIOFSD"

/** How to start virtiofsd.  Fill with fc_virtiofsd_config_default(). */
struct fc_virtiofsd_config {
	/** Must be FC_VIRTIOFSD_CONFIG_VERSION. */
	unsigned version;
	/** The binary; NULL: $FUSECORE_VIRTIOFSD, else FC_VIRTIOFSD_DEFAULT_PATH. */
	const char *binary;
	/** The shared directory (-o source=); required. */
	const char *source;
	/**
	 * The vhost-user socket (--socket-path=); an existing socket file there
	 * is removed first.  NULL: "vfs.sock" in a private temporary directory
	 * (removed by fc_virtiofsd_free()).
	 */
	const char *socket_path;
	/** -o cache=auto|always|none; NULL: "auto". */
	const char *cache;
	/**
	 * -o sandbox=namespace|chroot; NULL: "chroot" (works as root on a
	 * host and in containers without CAP_SYS_ADMIN; "namespace" needs
	 * mount, pid and net namespaces).  Both need root: the C virtiofsd
	 * refuses to start otherwise (it writes /run/virtiofsd/SOCKET.pid).
	 */
	const char *sandbox;
	/** -o announce_submounts: flag FUSE_ATTR_SUBMOUNT on mount points. */
	int announce_submounts;
	/** -o log_level=debug (every vhost-user event and element). */
	int debug;
	/** More arguments, NULL-terminated, or NULL. */
	const char *const *extra_args;
	/**
	 * virtiofsd's stderr (its log): an fd to dup there, or -1 to inherit.
	 * Its stdin and stdout are /dev/null.
	 */
	int stderr_fd;
	/**
	 * 0 (the default): virtiofsd gets SIGKILL when the thread that called
	 * fc_virtiofsd_start() exits (PR_SET_PDEATHSIG), so a crashed caller
	 * leaves no virtiofsd behind (a stopped one, or one that never got its
	 * connection, would wait forever).  Non-zero: it may outlive that
	 * thread (start it from a thread that lives as long as the mount).
	 */
	int outlive_thread;
	/** Bound on the socket's appearance; 0: 5000 ms. */
	unsigned socket_timeout_ms;
	/** fc_virtiofsd_stop(): exit after the connection closed, before SIGTERM; 0: 2000 ms. */
	unsigned term_grace_ms;
	/** fc_virtiofsd_stop(): exit after SIGTERM, before SIGKILL; 0: 2000 ms. */
	unsigned kill_grace_ms;
};

/** Fill @cfg with the defaults (source and socket still to set or NULL). */
void fc_virtiofsd_config_default(struct fc_virtiofsd_config *cfg);

struct fc_virtiofsd;

/**
 * Check that virtiofsd can run here: the binary (@binary, or the default
 * above) exists and is executable, and we are root.  Returns 0, -ENOENT
 * (not installed: install qemu-system-common), -EACCES (not executable)
 * or -EPERM (not root); @msg (may be NULL) gets a one-line explanation.
 */
int fc_virtiofsd_check(const char *binary, char *msg, size_t msglen);

/**
 * Run `virtiofsd --version` and put its first line into @buf.
 * Returns 0 or -errno.
 */
int fc_virtiofsd_version(const char *binary, char *buf, size_t size);

/**
 * Start virtiofsd: `BINARY --socket-path=SOCK -o source=DIR -o cache=MODE
 * -o sandbox=MODE [-o announce_submounts] [-o log_level=debug] [extra]`,
 * and wait (bounded) until its socket exists.  Does not connect: a C
 * virtiofsd serves exactly one connection and exits when it closes, so
 * the transport's connection is the only one (fc_virtiofs_transport_new()
 * retries while the socket is not listening yet).  Returns 0 and sets
 * *@out, or -errno with @msg (may be NULL) explaining: the errors of
 * fc_virtiofsd_check(), -EINVAL (no source), -ECHILD (virtiofsd exited
 * before its socket appeared; the message has its status), -ETIMEDOUT (no
 * socket in time; the process is killed).  Nothing is left behind on
 * failure.
 */
int fc_virtiofsd_start(const struct fc_virtiofsd_config *cfg,
		       struct fc_virtiofsd **out, char *msg, size_t msglen);

/** The socket path (valid until fc_virtiofsd_free()). */
const char *fc_virtiofsd_socket_path(const struct fc_virtiofsd *d);

/** The process id of virtiofsd (the outer process with sandbox=namespace). */
pid_t fc_virtiofsd_pid(const struct fc_virtiofsd *d);

/**
 * A new pidfd of the virtiofsd process for fc_virtiofs_config.pidfd (the
 * caller owns it), or -errno.
 */
int fc_virtiofsd_pidfd(const struct fc_virtiofsd *d);

/**
 * Wait up to @timeout_ms for virtiofsd to exit, and reap it.  Returns 0
 * with *@status (may be NULL) set to its waitpid(2) status, or -ETIMEDOUT.
 */
int fc_virtiofsd_wait(struct fc_virtiofsd *d, unsigned timeout_ms,
		      int *status);

/**
 * Send @sig to virtiofsd (tests kill the back end mid-request).  Returns 0
 * or -errno (-ESRCH once it has been reaped).
 */
int fc_virtiofsd_kill(struct fc_virtiofsd *d, int sig);

/**
 * End virtiofsd: wait term_grace_ms for it to exit on its own (it does
 * once the transport closed its connection), then SIGTERM, wait
 * kill_grace_ms, then SIGKILL; it is always reaped.  Returns 0 if it
 * exited without a signal from us, -ETIMEDOUT if it had to be signalled;
 * *@status (may be NULL) gets its waitpid(2) status.  Idempotent.
 */
int fc_virtiofsd_stop(struct fc_virtiofsd *d, int *status);

/** Stop virtiofsd if still running, remove the temporary directory, free. */
void fc_virtiofsd_free(struct fc_virtiofsd *d);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_VIRTIOFS_H */
