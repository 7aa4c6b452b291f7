/*
 * fusecore/tap.h - the kernel tap: a relay between a FUSE kernel side and
 * an unmodified daemon that records every message (the differential
 * oracle's instrument, docs/oracle.md).
 *
 * A tap starts a daemon on one end of a SOCK_SEQPACKET socketpair (as
 * "/dev/fd/N", libfuse3 >= 3.3) and relays every message between it and a
 * kernel side, one whole message per read and per write, from two
 * threads (kernel->daemon and daemon->kernel).  Every message is passed to
 * an optional callback, decoded into one line (fc_decode) for an optional
 * log, and written to an optional FCAP capture (fusecore/decode.h).
 *
 * The kernel side is one of:
 *  - FC_TAP_KERNEL: the real kernel.  The tap opens /dev/fuse and mounts a
 *    FUSE file system on an existing directory (mount(2), type
 *    "fuse.fctap", MS_NOSUID | MS_NODEV, "fd=N,rootmode=40000,user_id=U,
 *    group_id=G" plus extra options).  Needs CAP_SYS_ADMIN.  The workload
 *    that uses the mount must run in another process (fc_tap_fork()): a
 *    page fault on the mount taken by the relay's own process could wait
 *    on the relay.
 *  - FC_TAP_SOCKET: any other kernel side speaking /dev/fuse framing (for
 *    example libfusecore's fd transport).  The tap creates a second
 *    socketpair and hands one end out (fc_tap_take_kernel_fd()).
 *
 * Cleanup of a kernel mount on every exit path: fc_tap_stop() unmounts
 * (umount2 MNT_DETACH) and waits for the relay to end; an atexit handler
 * and fc_tap_emergency_cleanup() (async-signal-safe, for signal handlers)
 * detach every mount still active; with @guardian a small watcher process
 * detaches the mount if this process dies without cleaning up (SIGKILL, a
 * crash).  If the daemon dies, the relay closes /dev/fuse, which aborts
 * the connection (requests of the workload fail with ENOTCONN), and the
 * mount is detached.
 *
 * Host-side code (fork, exec, pthreads, mount).
 */
#ifndef FUSECORE_TAP_H
#define FUSECORE_TAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fusecore/decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of struct fc_tap_config this header describes. */
#define FC_TAP_CONFIG_VERSION 1

/** Default mount type, source and daemon argv placeholder. */
#define FC_TAP_FSTYPE "fuse.fctap"
#define FC_TAP_SOURCE "fctap"
#define FC_TAP_PLACEHOLDER "%m"

/** Relay buffer: the largest message carried (1 MiB WRITE + headers). */
#define FC_TAP_BUF_SIZE (1024u * 1024u + 64u * 1024u)
/** Default socket buffer forced on both ends of the daemon's socketpair. */
#define FC_TAP_SOCKBUF (4u * 1024u * 1024u)

/** What the tap relays for. */
enum fc_tap_kind {
	FC_TAP_KERNEL = 0, /**< the real kernel: /dev/fuse and mount(2) */
	FC_TAP_SOCKET = 1, /**< a socket handed to another kernel side */
};

/**
 * Called for every message in relay order (a request before it reaches
 * the daemon, a reply or notification before it reaches the kernel
 * side), serialised: never from two threads at once.
 */
typedef void (*fc_tap_msg_fn)(void *ctx, enum fc_dir dir, const void *msg,
			      size_t len);

/** How to start a tap.  Fill with fc_tap_config_default(). */
struct fc_tap_config {
	/** Must be FC_TAP_CONFIG_VERSION. */
	unsigned version;
	enum fc_tap_kind kind;
	/**
	 * The daemon command, NULL-terminated; argv[0] a path or a $PATH
	 * name.  Every argument equal to @placeholder is replaced by
	 * "/dev/fd/N" (at least one is required).  It must stay in the
	 * foreground (libfuse's -f).
	 */
	const char *const *argv;
	/** Extra "NAME=value" environment entries, or NULL. */
	const char *const *env;
	/** NULL means FC_TAP_PLACEHOLDER. */
	const char *placeholder;
	/** FC_TAP_KERNEL: an existing directory to mount on. */
	const char *mountpoint;
	/** FC_TAP_KERNEL: mount type and source (NULL: the defaults). */
	const char *fstype;
	const char *source;
	/** FC_TAP_KERNEL: options appended to "fd=..,rootmode=..,.." or NULL. */
	const char *mount_opts;
	/** FC_TAP_KERNEL: mount(2) flags; fc_tap_config_default() sets MS_NOSUID|MS_NODEV. */
	unsigned long mount_flags;
	/** FC_TAP_KERNEL: start the watcher process (see above). */
	int guardian;
	/** Decoded lines are appended here ("K>D ...", "D>K ..."), or -1. */
	int log_fd;
	/** FCAP records are written here (header first), or -1. */
	int fcap_fd;
	/** Every message, or NULL. */
	fc_tap_msg_fn on_msg;
	void *on_msg_ctx;
	/** The daemon's stdout / stderr: an fd to dup there, or -1 to inherit. */
	int stdout_fd;
	int stderr_fd;
	/** Socket buffers forced on both ends (0: FC_TAP_SOCKBUF). */
	size_t sockbuf;
	/** Bounded waits at stop, in ms (0: defaults 5000 / 2000 / 2000). */
	unsigned end_timeout_ms;   /**< relay end after the unmount */
	unsigned term_grace_ms;    /**< daemon exit before SIGTERM */
	unsigned kill_grace_ms;    /**< daemon exit after SIGTERM, before SIGKILL */
};

/** How it went, for messages and statistics. */
struct fc_tap_result {
	int error;                 /**< 0 or -errno of the failing call */
	int daemon_exited;         /**< the daemon was reaped; @daemon_status valid */
	int daemon_status;         /**< waitpid(2) status */
	int daemon_died_first;     /**< the daemon ended before the kernel side */
	int sent_sigterm, sent_sigkill;
	uint64_t requests;         /**< kernel->daemon messages relayed */
	uint64_t replies;          /**< daemon->kernel messages relayed */
	uint64_t write_errors;     /**< replies the kernel side refused */
	char message[256];         /**< a one-line description of a failure */
};

struct fc_tap;

/** Fill @cfg with defaults: @kind, "%m", fuse.fctap, no log, no capture. */
void fc_tap_config_default(struct fc_tap_config *cfg, enum fc_tap_kind kind,
			   const char *const *argv, const char *mountpoint);

/**
 * Start the daemon, set up the kernel side (FC_TAP_KERNEL: open /dev/fuse
 * and mount) and the relay threads.  Returns 0 and sets *@out, or -errno
 * with @res->message saying why (-ENOENT / -EACCES: the command; -EPERM:
 * mount without privileges; ...).  Nothing is left behind on failure.
 */
int fc_tap_start(const struct fc_tap_config *cfg, struct fc_tap **out,
		 struct fc_tap_result *res);

/**
 * FC_TAP_SOCKET: the kernel side's end of the socketpair, once; the
 * caller owns it from then on (for example as an fd transport's socket).
 * -1 for FC_TAP_KERNEL or a second call.
 */
int fc_tap_take_kernel_fd(struct fc_tap *t);

/** The daemon's pid. */
pid_t fc_tap_daemon_pid(const struct fc_tap *t);

/** The mount point (FC_TAP_KERNEL), or NULL. */
const char *fc_tap_mountpoint(const struct fc_tap *t);

/**
 * fork() for a workload: in the child every descriptor of the tap is
 * closed (so the child's lifetime never keeps the connection alive) and
 * 0 is returned; the parent gets the child's pid, or -errno.  The child
 * of a threaded process should stick to async-signal-safe calls.
 */
pid_t fc_tap_fork(struct fc_tap *t);

/** Append a "## @text" line to the log (no-op without a log). */
void fc_tap_mark(struct fc_tap *t, const char *text);

/**
 * Wait until the relay has ended by itself (the daemon died, or the kernel
 * side went away) or @timeout_ms passed (-1: forever).  Returns 1 if it
 * ended, 0 on timeout.  Does not stop anything.
 */
int fc_tap_wait(struct fc_tap *t, int timeout_ms);

/** The descriptor that becomes readable when the relay ends (for poll). */
int fc_tap_end_fd(const struct fc_tap *t);

/**
 * End it: FC_TAP_KERNEL unmounts (umount2 MNT_DETACH), which ends the
 * connection and makes the daemon read end-of-file; FC_TAP_SOCKET shuts
 * the daemon's socket.  If the relay does not end within end_timeout_ms it
 * is forced (/dev/fuse closed: the connection is aborted).  The daemon is
 * then reaped (SIGTERM / SIGKILL after the grace periods).  Returns 0, or
 * -ETIMEDOUT if anything had to be forced or signalled.  Idempotent.
 */
int fc_tap_stop(struct fc_tap *t, struct fc_tap_result *res);

/** Stop if needed and free. */
void fc_tap_free(struct fc_tap *t);

/**
 * Detach every kernel mount of a tap still active in this process
 * (umount2 MNT_DETACH).  Async-signal-safe: for signal handlers.
 */
void fc_tap_emergency_cleanup(void);

/**
 * Find the mount on @path of type @fstype in /proc/self/mountinfo (the
 * last one listed).  Returns 1 and sets *@mount_id and *@dev (makedev) if
 * found, 0 if not, -errno if the file cannot be read.
 */
int fc_tap_find_mount(const char *path, const char *fstype, int *mount_id,
		      dev_t *dev);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_TAP_H */
