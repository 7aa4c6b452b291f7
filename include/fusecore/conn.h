/*
 * fusecore/conn.h - a FUSE connection, the kernel side's request engine.
 *
 * An fc_conn owns the request lifecycle that Linux keeps in fs/fuse/dev.c:
 * unique ids, the pending table, synchronous send-and-wait, background
 * requests under max_background, INIT negotiation (fs/fuse/inode.c
 * process_init_reply), reply validation, notifications, FUSE_INTERRUPT,
 * abort, and the per-connection ENOSYS cache (Linux's fc->no_* fields).
 *
 * A request is described by struct fc_args, modelled on Linux's struct
 * fuse_args: input pieces that are concatenated after the header, and
 * output pieces that the reply payload is copied into once validated.
 */
#ifndef FUSECORE_CONN_H
#define FUSECORE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/platform.h"
#include "fusecore/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of struct fc_conn_config this header describes. */
#define FC_CONN_CONFIG_VERSION 1

/* ---- INIT profile and negotiated state -------------------------------- */

/**
 * What the connection asks for in FUSE_INIT.  Plain data: an embedder may
 * change any field between fc_init_profile_default() and fc_conn_new().
 */
struct fc_init_profile {
	/** Protocol minor announced (FC_KERNEL_MINOR_VERSION by default). */
	uint32_t minor;
	/** Readahead window offered; INIT can only lower it. */
	uint32_t max_readahead;
	/** Capabilities requested (FC_* INIT flags, 64 bits). */
	uint64_t flags;
	/** Upper clamp for the negotiated max_pages (Linux's max_pages_limit). */
	uint32_t max_pages_limit;
	/**
	 * Upper clamp for the negotiated max_write, 0 for none (Linux has
	 * none; a transport whose messages are bounded sets one).
	 */
	uint32_t max_write_limit;
	/** Upper clamp for max_background / congestion_threshold from INIT. */
	uint16_t max_background_limit;
	uint16_t congestion_threshold_limit;
	/** The mount uses default_permissions (POSIX_ACL granted forces it). */
	int default_permissions;
};

/**
 * The INIT capabilities libfusecore implements: a default profile never
 * requests anything outside this mask, whatever Linux requests.
 */
uint64_t fc_init_supported_flags(void);

/**
 * Fill @p with what Linux requests on a transport of @kind (fs/fuse/inode.c
 * fuse_send_init; virtio-fs also asks for FC_SUBMOUNTS, /dev/fuse never
 * does), less what fc_init_supported_flags() leaves out.
 */
void fc_init_profile_default(struct fc_init_profile *p,
			     enum fc_transport_kind kind);

/** Where the connection stands. */
enum fc_conn_state {
	FC_CONN_NEW = 0,     /**< INIT not sent yet */
	FC_CONN_INIT_SENT,   /**< waiting for the INIT reply */
	FC_CONN_READY,       /**< INIT succeeded */
	FC_CONN_FAILED,      /**< INIT refused: requests fail ECONNREFUSED */
	FC_CONN_ABORTED,     /**< daemon gone or aborted: requests fail ENOTCONN */
};

/**
 * The negotiated state after INIT (Linux's fuse_conn fields set by
 * process_init_reply).  Only capabilities both requested and granted, and
 * allowed by the daemon's minor, appear in @flags.
 */
struct fc_conn_info {
	uint32_t major, minor;     /**< the daemon's version */
	uint64_t requested;        /**< flags sent in INIT */
	uint64_t granted;          /**< flags in the reply (flags2 only with INIT_EXT) */
	uint64_t flags;            /**< enabled: requested & granted, after the gates */
	uint32_t max_write;        /**< >= 4096 */
	uint32_t max_readahead;    /**< min(offered, reply) */
	uint32_t max_pages;        /**< 1..max_pages_limit; 32 without MAX_PAGES */
	uint32_t time_gran;        /**< 1..1e9 ns */
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint16_t map_alignment;
	uint16_t max_stack_depth;
	uint32_t name_max;         /**< longest name sent (1024, or PATH_MAX-1 with max_pages > 1) */
	uint32_t request_timeout;  /**< seconds, 0 = none (7.43) */
	int posix_locks;           /**< GETLK/SETLK(W) reach the daemon */
	int flock_locks;           /**< flock() reaches the daemon */
	int default_permissions;   /**< the kernel side checks permissions */
};

/* ---- Requests ------------------------------------------------------------ */

/** Request flags (struct fc_args.flags). */
enum fc_args_flags {
	/** Send even before INIT completes or while background is full (Linux's force). */
	FC_ARGS_FORCE = 1u << 0,
	/** Header carries uid = gid = pid = 0 (RELEASE, writeback WRITE, ...). */
	FC_ARGS_NOCREDS = 1u << 1,
	/** No reply will come (FORGET, BATCH_FORGET, NOTIFY_REPLY). */
	FC_ARGS_NOREPLY = 1u << 2,
	/** The last out piece may be shorter than its size (READ, READDIR, ...). */
	FC_ARGS_OUT_VAR = 1u << 3,
	/** Do not record ENOSYS for this opcode (the caller handles it). */
	FC_ARGS_NO_NOSYS_CACHE = 1u << 4,
	/**
	 * Use a request object fc_conn_reserve() set aside, so that sending
	 * cannot fail for lack of memory (with FC_ARGS_FORCE: a request that
	 * has to wait may find it taken); the reservation is used up whether
	 * or not the request goes out.
	 */
	FC_ARGS_RESERVED = 1u << 5,
};

/** Caller credentials, as the request header carries them. */
struct fc_creds {
	uint32_t uid, gid, pid;
};

struct fc_conn;
struct fc_args;

/** Completion of a background request: @error is 0 or -errno. */
typedef void (*fc_end_fn)(struct fc_conn *conn, struct fc_args *args,
			  int error, void *ctx);

/** Input pieces a request may have (RENAME2: body, old name + NUL, new name + NUL). */
#define FC_ARGS_MAX_IN 5

/** One piece of a request's input or output. */
struct fc_arg {
	void *value;
	uint32_t size;
};

/** A request, as the caller builds it (Linux's struct fuse_args). */
struct fc_args {
	uint32_t opcode;
	uint64_t nodeid;
	unsigned flags;             /**< enum fc_args_flags */
	struct fc_creds creds;      /**< ignored with FC_ARGS_NOCREDS */
	/** Identifies the waiting task for fc_conn_interrupt(); may be NULL. */
	const void *task;
	unsigned in_numargs;
	struct fc_arg in[FC_ARGS_MAX_IN];
	unsigned out_numargs;
	struct fc_arg out[2];
	/** After completion: the payload bytes actually received. */
	uint32_t out_len;
};

/**
 * Send @args and wait for its reply.  Returns the reply payload length
 * (>= 0) or -errno: the daemon's error, -EIO for a reply that failed
 * validation, -ENOSYS at once for an opcode already answered ENOSYS,
 * -ECONNREFUSED after a failed INIT, -ENOTCONN once aborted, -EINTR if
 * interrupted fatally before it was sent, -EDEADLK if a polled transport
 * says no reply can ever come.  Blocks until INIT completes unless
 * FC_ARGS_FORCE.  With FC_ARGS_NOREPLY it returns once sent.
 */
int fc_conn_send(struct fc_conn *c, struct fc_args *args);

/**
 * Set a request object aside for one later fc_conn_send() or
 * fc_conn_send_bg() flagged FC_ARGS_RESERVED: what Linux guarantees with
 * __GFP_NOFAIL for the requests that must never be lost (RELEASE of an
 * open file).  Returns 0, or -ENOMEM (then nothing was set aside).
 */
int fc_conn_reserve(struct fc_conn *c);

/** Give back a reservation of fc_conn_reserve() that will not be used. */
void fc_conn_unreserve(struct fc_conn *c);

/**
 * Queue @args as a background request; @end runs once with its result
 * (from whichever thread delivers the reply, or from this call on an
 * immediate failure).  At most max_background are in flight; the rest wait
 * in order.  Unless FC_ARGS_FORCE, this call first blocks while the
 * connection is at max_background (Linux's fuse_get_req for background).
 * @args and every buffer it points to must stay valid until @end.
 * Returns 0 once queued, or -errno if it was not (then @end is not called).
 */
int fc_conn_send_bg(struct fc_conn *c, struct fc_args *args, fc_end_fn end,
		    void *ctx);

/**
 * Interrupt the requests that @task waits on, as a signal would (dev.c
 * request_wait_answer).  A request already sent gets a FUSE_INTERRUPT
 * (unless the daemon said ENOSYS to one, or the transport has none) and its
 * caller still waits for the real reply.  With @fatal, a non-forced request
 * not sent yet is abandoned and its caller gets -EINTR.
 */
void fc_conn_interrupt(struct fc_conn *c, const void *task, int fatal);

/* ---- Lifecycle ----------------------------------------------------------- */

/** Handler of daemon notifications; returns the write(2) result (0 or -errno). */
typedef int (*fc_notify_fn)(void *ctx, uint32_t code, const void *payload,
			    size_t len);

/** How to create a connection. */
struct fc_conn_config {
	/** Must be FC_CONN_CONFIG_VERSION. */
	unsigned version;
	const struct fc_platform *plat;
	/** The transport; the connection takes ownership. */
	struct fc_transport *transport;
	/** INIT request; fc_init_profile_default() for the transport's kind. */
	struct fc_init_profile init;
	/**
	 * Notifications that passed validation (unique 0); NULL answers each
	 * with -ENOSYS.  FUSE_NOTIFY_RESEND is handled by the connection.
	 */
	fc_notify_fn notify;
	void *notify_ctx;
};

/**
 * Set (or with @fn NULL, clear) the notification handler after creation,
 * for the layer above (a VFS) that exists only once the connection does.
 * Returns once no call of the previous handler is running, so its context
 * may be freed then; it must therefore not be called from a handler.
 */
void fc_conn_set_notify(struct fc_conn *c, fc_notify_fn fn, void *ctx);

/** Fill @cfg with defaults for @plat and @t (profile of @t's kind). */
void fc_conn_config_default(struct fc_conn_config *cfg,
			    const struct fc_platform *plat,
			    struct fc_transport *t);

/**
 * Create a connection.  Nothing is sent yet.  On failure the transport is
 * destroyed too.  Returns 0 and sets *@out, or -errno.
 */
int fc_conn_new(const struct fc_conn_config *cfg, struct fc_conn **out);

/**
 * Send FUSE_INIT (in the background, forced, without credentials, as
 * fuse_send_init) and wait for its reply.  Returns 0 if the daemon accepted,
 * -ECONNREFUSED if it refused or answered with another major, -EIO for a
 * malformed reply, -ENOTCONN if it went away.
 */
int fc_conn_init(struct fc_conn *c);

/** Send FUSE_INIT without waiting (fc_conn_init() then only waits). */
int fc_conn_init_start(struct fc_conn *c);

/** The negotiated state; meaningful once fc_conn_state() is FC_CONN_READY. */
const struct fc_conn_info *fc_conn_info(const struct fc_conn *c);

/** Current state. */
enum fc_conn_state fc_conn_state(struct fc_conn *c);

/**
 * Abort: every waiter and every later request fails with -ENOTCONN,
 * background requests end with -ENOTCONN, nothing stays pending.
 * Transports call it when the daemon goes away.  Idempotent.
 */
void fc_conn_abort(struct fc_conn *c);

/**
 * Send FUSE_DESTROY (forced, no credentials) if INIT succeeded and the
 * connection is alive, and wait for its answer.  Returns 0 or -errno.
 */
int fc_conn_destroy_request(struct fc_conn *c);

/**
 * Abort (if still alive), detach and destroy the transport, free the
 * connection.  No request may be in progress, and it must not be called
 * from a completion callback (which may run on the transport's receiver
 * thread, which the transport then could not join).
 */
void fc_conn_free(struct fc_conn *c);

/* ---- Transport side ------------------------------------------------------ */

/**
 * Deliver one message from the daemon: a reply, or a notification when its
 * unique is 0.  Called by transports.  Everything is validated before use
 * (dev.c fuse_dev_do_write, fuse_copy_out_args); a reply that fails
 * validation ends its request with -EIO and is counted in the statistics.
 * Returns what a write(2) to /dev/fuse would: 0, -EINVAL (malformed),
 * -ENOENT (no such request), or the notification handler's result.
 */
int fc_conn_deliver(struct fc_conn *c, const void *msg, size_t len);

/* ---- ENOSYS cache ---------------------------------------------------------- */

/** Non-zero if the daemon answered ENOSYS to @opcode (Linux's fc->no_*). */
int fc_conn_nosys(const struct fc_conn *c, uint32_t opcode);

/** Record (or with @on 0, forget) that @opcode is not implemented. */
void fc_conn_set_nosys(struct fc_conn *c, uint32_t opcode, int on);

/**
 * Non-zero if an ENOSYS reply to @opcode is remembered (the opcodes Linux
 * keeps a no_* field for: OPEN, OPENDIR, FLUSH, FSYNC, FSYNCDIR, the xattr
 * calls, ACCESS, CREATE, TMPFILE, LINK, RENAME2, BMAP, POLL, FALLOCATE,
 * LSEEK, COPY_FILE_RANGE, STATX, SYNCFS).
 */
int fc_opcode_caches_nosys(uint32_t opcode);

/* ---- Statistics -------------------------------------------------------- */

/** Counters of one connection (monotonic). */
struct fc_conn_stats {
	uint64_t requests;         /**< requests sent (INTERRUPTs included) */
	uint64_t replies;          /**< replies that completed a request */
	uint64_t notifications;    /**< notifications accepted */
	uint64_t interrupts;       /**< FUSE_INTERRUPT messages sent */
	uint64_t background;       /**< background requests submitted */
	/* Rejected daemon messages, one counter per violation class. */
	uint64_t bad_short;        /**< shorter than the 16-byte header */
	uint64_t bad_len;          /**< header len != bytes received */
	uint64_t bad_error;        /**< error > 0 or <= -512 */
	uint64_t bad_unique;       /**< unique of no pending request */
	uint64_t bad_size;         /**< payload size not what the request allows */
	uint64_t bad_err_payload;  /**< error reply that carries a payload */
	uint64_t bad_interrupt;    /**< malformed reply to an INTERRUPT */
	uint64_t bad_notify;       /**< malformed or unknown notification */
	uint64_t bad_content;      /**< reply fields out of range (set by callers) */
};

/** Copy the counters into @out. */
void fc_conn_stats(struct fc_conn *c, struct fc_conn_stats *out);

/** Count a reply whose contents a caller rejected (EIO by content). */
void fc_conn_count_bad_content(struct fc_conn *c);

/** Background requests in flight or queued (Linux's num_background). */
unsigned fc_conn_num_background(struct fc_conn *c);

/**
 * Wait until no background request is queued or in flight (their end
 * callbacks have run).  Returns 0, -EDEADLK if a polled transport can make
 * no progress, or the transport's error.
 */
int fc_conn_wait_background(struct fc_conn *c);

/** Non-zero while num_background >= congestion_threshold. */
int fc_conn_congested(struct fc_conn *c);

/** The platform the connection was made with. */
const struct fc_platform *fc_conn_platform(const struct fc_conn *c);

/** The connection's transport. */
struct fc_transport *fc_conn_transport(const struct fc_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_CONN_H */
