/*
 * fusecore/launch.h - start an unmodified FUSE daemon on the fd transport.
 *
 * The launcher creates a socketpair(AF_UNIX, SOCK_SEQPACKET), sizes both
 * ends' buffers for the largest message, starts the daemon command with
 * one end, keeps the other for an fd transport (fusecore/transport.h),
 * sends FUSE_INIT and waits, bounded, for the answer.  It ends the daemon
 * cleanly: FUSE_DESTROY, close, reap (SIGTERM after a grace period,
 * SIGKILL after another).
 *
 * How the daemon gets its end (enum fc_launch_mode):
 *  - FC_LAUNCH_DEVFD: the mountpoint argument is "/dev/fd/N" (libfuse3 >=
 *    3.3 then uses fd N as its /dev/fuse).  No privileges needed.
 *  - FC_LAUNCH_FUSERMOUNT: the daemon runs in a private mount namespace
 *    where a stand-in (tools/fc-fusermount) is bind-mounted over
 *    /bin/fusermount3, /usr/bin/fusermount3, /bin/fusermount and
 *    /usr/bin/fusermount (those that exist; a PATH entry covers the rest),
 *    and without CAP_SYS_ADMIN, so that libfuse's own mount(2) fails with
 *    EPERM and it falls back to fusermount, which hands it the socket over
 *    _FUSE_COMMFD with SCM_RIGHTS.  The mountpoint is a real empty
 *    directory.  Needs root (mount namespaces); otherwise -EPERM.
 *  - FC_LAUNCH_PRELOAD: LD_PRELOAD of a shim (tools/fc-preload.so) for
 *    daemons that open("/dev/fuse") and mount(2) themselves: opening
 *    /dev/fuse returns the socket, mount(2) of a fuse* type and the
 *    matching umount succeed without doing anything.  The mountpoint is a
 *    real empty directory.  No privileges needed.
 *
 * The daemon must stay in the foreground (libfuse's -f): the launcher
 * reaps the process it started, not a daemonised grandchild.
 *
 * Host-side code (fork, exec, pthreads).  Errors come back as -errno plus a
 * human-readable message in struct fc_launch_result.
 */
#ifndef FUSECORE_LAUNCH_H
#define FUSECORE_LAUNCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fusecore/conn.h"
#include "fusecore/platform.h"
#include "fusecore/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of struct fc_launch_config this header describes. */
#define FC_LAUNCH_CONFIG_VERSION 1

/** Default placeholder in argv replaced by the mountpoint argument. */
#define FC_LAUNCH_PLACEHOLDER "%m"

/** Environment variables the launcher and its helpers use. */
/** Default path of the fusermount stand-in (config field wins). */
#define FC_LAUNCH_ENV_FUSERMOUNT "FUSECORE_FUSERMOUNT"
/** Default path of the preload shim (config field wins). */
#define FC_LAUNCH_ENV_PRELOAD "FUSECORE_PRELOAD"
/** Set for the daemon: the socket fd the fusermount stand-in passes on. */
#define FC_LAUNCH_ENV_FUSERMOUNT_FD "FUSECORE_FUSERMOUNT_FD"
/** Set for the daemon: the socket fd the shim returns for /dev/fuse. */
#define FC_LAUNCH_ENV_PRELOAD_FD "FUSECORE_PRELOAD_FD"
/** If set (by the caller), the stand-in appends one line per call here. */
#define FC_LAUNCH_ENV_FUSERMOUNT_LOG "FUSECORE_FUSERMOUNT_LOG"
/** If set (by the caller), the shim appends one line per intercepted call. */
#define FC_LAUNCH_ENV_PRELOAD_LOG "FUSECORE_PRELOAD_LOG"

/** How the daemon receives its end of the socketpair. */
enum fc_launch_mode {
	FC_LAUNCH_DEVFD = 0,      /**< "/dev/fd/N" as the mountpoint */
	FC_LAUNCH_FUSERMOUNT = 1, /**< fusermount stand-in, _FUSE_COMMFD */
	FC_LAUNCH_PRELOAD = 2,    /**< LD_PRELOAD shim for open("/dev/fuse") */
};

/** How to start a daemon.  Fill with fc_launch_config_default(). */
struct fc_launch_config {
	/** Must be FC_LAUNCH_CONFIG_VERSION. */
	unsigned version;
	const struct fc_platform *plat;
	/**
	 * The command, NULL-terminated.  argv[0] is a path, or a name looked
	 * up in $PATH.  Every argument equal to the placeholder is replaced by
	 * the mountpoint argument ("/dev/fd/N", or the mountpoint directory);
	 * at least one is required.
	 */
	const char *const *argv;
	/** Extra "NAME=value" entries for the daemon's environment, or NULL. */
	const char *const *env;
	enum fc_launch_mode mode;
	/** The placeholder; NULL means FC_LAUNCH_PLACEHOLDER. */
	const char *placeholder;
	/**
	 * FUSERMOUNT / PRELOAD: an existing empty directory to use as the
	 * mountpoint; NULL creates (and later removes) a private temporary one.
	 */
	const char *mountpoint;
	/** FUSERMOUNT: the stand-in; NULL means $FUSECORE_FUSERMOUNT. */
	const char *fusermount_helper;
	/** PRELOAD: the shim; NULL means $FUSECORE_PRELOAD. */
	const char *preload_shim;
	/** Bounded waits, in milliseconds; 0 means the default. */
	unsigned init_timeout_ms;    /**< INIT answer (10000) */
	unsigned destroy_timeout_ms; /**< DESTROY answer at stop (5000) */
	unsigned term_grace_ms;      /**< exit after close, before SIGTERM (2000) */
	unsigned kill_grace_ms;      /**< exit after SIGTERM, before SIGKILL (2000) */
	/**
	 * The largest WRITE / READ payload to carry (0: FC_FD_DEFAULT_MAX_WRITE);
	 * sizes the socket and receive buffers.
	 */
	uint32_t max_write;
	/**
	 * Socket buffer size to ask for on both ends; 0 means the larger of
	 * FC_FD_DEFAULT_SOCKBUF and twice fc_fd_msg_size(max_write).  If the
	 * buffers obtained cannot carry fc_fd_msg_size(max_write), the INIT
	 * profile's max_pages_limit is lowered so that every READ reply and
	 * WRITE request fits (see struct fc_daemon_info.clamped).
	 */
	size_t sockbuf;
	/** INIT profile; NULL means fc_init_profile_default(FUSE_DEV). */
	const struct fc_init_profile *init;
	/** The fd transport's completion path. */
	enum fc_fd_io io;
	/** Notification handler for the connection (fc_conn_config.notify). */
	fc_notify_fn notify;
	void *notify_ctx;
	/** The daemon's stdout / stderr: an fd to dup there, or -1 to inherit. */
	int stdout_fd;
	int stderr_fd;
};

/** What happened, for messages and exit statuses. */
struct fc_launch_result {
	/** The return value of the call (0 or -errno). */
	int error;
	/** fc_daemon_stop(): the DESTROY result (0, or -errno). */
	int destroy;
	/** Non-zero once the daemon process was reaped; @status is valid. */
	int exited;
	/** Its waitpid(2) status (WIFEXITED, WEXITSTATUS, WTERMSIG apply). */
	int status;
	/** fc_daemon_stop(): signals that had to be sent. */
	int sent_sigterm;
	int sent_sigkill;
	/** A one-line description of the failure (empty on success). */
	char message[256];
};

/** Facts about a running daemon. */
struct fc_daemon_info {
	pid_t pid;
	/** The mountpoint directory, or NULL in FC_LAUNCH_DEVFD mode. */
	const char *mountpoint;
	/** The daemon's socket fd number (as in "/dev/fd/N"). */
	int daemon_fd;
	/** The largest message both socket ends can send. */
	size_t msg_limit;
	/** max_pages_limit sent in the INIT profile. */
	uint32_t max_pages_limit;
	/** Non-zero if max_pages_limit was lowered to fit msg_limit. */
	int clamped;
	/** The fd transport's completion path in use. */
	enum fc_fd_io io;
};

struct fc_daemon;

/**
 * Fill @cfg with defaults: FC_LAUNCH_DEVFD, placeholder "%m", default
 * timeouts, max_write 1 MiB, FC_FD_IO_AUTO, inherited stdout/stderr.
 */
void fc_launch_config_default(struct fc_launch_config *cfg,
			      const struct fc_platform *plat,
			      const char *const *argv);

/**
 * Start the daemon and complete FUSE_INIT.  On success returns 0 and sets
 * *@out; the connection is FC_CONN_READY.  On failure nothing is left
 * behind (the process reaped, temporary directories removed) and it
 * returns:
 *  -ENOENT   the command, the stand-in or the shim does not exist;
 *  -EACCES   the command is not executable (or another exec errno);
 *  -EINVAL   bad configuration (no placeholder in argv, ...);
 *  -EPERM    FUSERMOUNT mode without root, or the namespace set-up failed;
 *  -ENOTCONN the daemon went away before answering INIT (res->exited and
 *            res->status tell how it ended);
 *  -ETIMEDOUT no INIT answer within init_timeout_ms;
 *  -ECONNREFUSED / -EIO the daemon refused INIT or answered garbage;
 *  -ENOBUFS  the socket buffers cannot carry even a one-page request.
 * @res (may be NULL) receives the details and a message.
 */
int fc_daemon_launch(const struct fc_launch_config *cfg,
		     struct fc_daemon **out, struct fc_launch_result *res);

/** The daemon's connection (READY after a successful launch). */
struct fc_conn *fc_daemon_conn(struct fc_daemon *d);

/** Facts about the daemon (valid until fc_daemon_free()). */
const struct fc_daemon_info *fc_daemon_info(const struct fc_daemon *d);

/**
 * End the daemon: FUSE_DESTROY (bounded by destroy_timeout_ms) if the
 * connection is ready, free the connection (closing our end: the daemon
 * reads end-of-file), wait term_grace_ms for the daemon to exit, then
 * SIGTERM, wait kill_grace_ms, then SIGKILL; the process is always reaped.
 * No request may be in progress.  Returns 0 if the daemon exited without a
 * signal from us, -ETIMEDOUT if it had to be signalled; @res (may be NULL)
 * gets the DESTROY result and the exit status.  Idempotent: later calls
 * return 0 and report the same status.
 */
int fc_daemon_stop(struct fc_daemon *d, struct fc_launch_result *res);

/** Stop the daemon if still running, remove temporary directories, free. */
void fc_daemon_free(struct fc_daemon *d);

/** "devfd", "fusermount" or "preload". */
const char *fc_launch_mode_name(enum fc_launch_mode mode);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_LAUNCH_H */
