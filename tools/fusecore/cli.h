/*
 * cli.h - shared parts of the `fusecore` command (tools/fusecore/).
 *
 * One file per subcommand (run.c, sh.c, trace.c, tap.c), plus:
 *  - target.c: bring a daemon up behind a transport, mount it in a fresh
 *    simulated kernel (fusecore/vfs.h) and take it down again;
 *  - report.c: the conformance report in its four forms (text, TAP 13,
 *    JUnit XML, JSON);
 *  - util.c: errno names, option helpers, helper-program lookup.
 */
#ifndef FUSECORE_CLI_H
#define FUSECORE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fusecore/conn.h"
#include "fusecore/launch.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/transport.h"
#include "fusecore/vfs.h"

#ifndef FUSECORE_CLI_VERSION
#define FUSECORE_CLI_VERSION "0"
#endif

/*
 * Exit statuses, the same for every subcommand (printed by --help).
 * Keep docs/conformance.md and README.md in step.
 */
enum cli_exit {
	CLI_EXIT_OK = 0,            /* everything passed (skips allowed) */
	CLI_EXIT_FAILED = 1,        /* a conformance check or a shell command failed */
	CLI_EXIT_USAGE = 2,         /* bad command line */
	CLI_EXIT_NO_DAEMON = 3,     /* the daemon (or a helper) was not found / not executable */
	CLI_EXIT_DAEMON_DIED = 4,   /* the daemon exited before INIT, or during the run */
	CLI_EXIT_INIT_REFUSED = 5,  /* the daemon refused FUSE_INIT or answered garbage */
	CLI_EXIT_INIT_TIMEOUT = 6,  /* no FUSE_INIT answer in time */
	CLI_EXIT_SETUP = 7,         /* anything else that kept the run from starting */
	CLI_EXIT_BAD_CAPTURE = 8,   /* trace: unreadable or malformed capture */
};

/* The exit-status table for --help texts. */
void cli_print_exit_codes(FILE *f);

/* ---- util.c ---------------------------------------------------------------- */

/* "ENOENT" for -ENOENT or ENOENT; "E123" for unknown values. */
const char *cli_errname(long err);
/* "-ENOENT (No such file or directory)" into @buf; "ok" for >= 0. */
const char *cli_errstr(long err, char *buf, size_t size);

/*
 * A helper program or library shipped with fusecore (fc-tap, fc-fusermount,
 * fc-preload.so): $ENV if set, else next to this executable, else in
 * ../libexec/fusecore relative to it, else the configured libexec
 * directory.  Returns a malloc'd path that exists, or NULL.
 */
char *cli_find_helper(const char *name, const char *env);

/* 64-bit FNV-1a. */
uint64_t cli_fnv1a(const void *buf, size_t len, uint64_t h);
#define CLI_FNV_INIT 0xcbf29ce484222325ull

/* snprintf that may cut (no -Wformat-truncation: paths are bounded by checks). */
void cli_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Monotonic seconds. */
double cli_now(void);

/* Non-zero if @s is @long_opt, or "--long_opt=" prefix (value in *@val). */
int cli_opt(const char *s, const char *long_opt, const char **val);

/* ---- target.c --------------------------------------------------------------- */

enum cli_transport {
	CLI_TRANSPORT_FD = 0,
	CLI_TRANSPORT_VIRTIOFS = 1,
};

/* How to bring the file system up (from the command line). */
struct cli_target_opts {
	enum cli_transport transport;
	/* fd: how the daemon gets its /dev/fuse. */
	enum fc_launch_mode mode;
	/* fd: the fd transport's completion path. */
	enum fc_fd_io io;
	/* fd: the daemon command (placeholder "%m" appended if absent);
	 * virtiofs: optional virtiofsd binary and extra arguments. */
	char **argv;
	int argc;
	/* virtiofs: the shared directory, or an existing back-end socket. */
	const char *source;
	const char *socket;
	/* The daemon's stdout/stderr go here (NULL: a private log that is
	 * shown when the daemon fails); "-" inherits the terminal. */
	const char *daemon_log;
	unsigned init_timeout_ms;
	/* Mount point inside the simulated kernel. */
	const char *mountpoint;
	/* Print set-up progress to stderr. */
	int verbose;
	/* Pages of a simulated page cache under the client (0: uncached I/O). */
	unsigned page_cache;
};

/* Per-opcode counters kept by the transport wrapper. */
#define CLI_NOPS 64
struct cli_wire_stats {
	uint64_t sent[CLI_NOPS];       /* requests by opcode (others in [0]) */
	uint64_t noreply;              /* requests that take no reply */
	uint64_t max_write;            /* largest WRITE payload sent */
	uint64_t max_read;             /* largest READ size asked */
	uint64_t send_errors;          /* sends the transport refused */
};

/* A daemon behind a transport, mounted in a simulated kernel. */
struct cli_target {
	struct cli_target_opts opts;
	const struct fc_platform *plat;
	struct fc_daemon *daemon;       /* fd transport */
	void *vfsd;                     /* virtio-fs: struct fc_virtiofsd */
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_vfs *vfs;
	struct fc_proc *proc;           /* pid 1000, root */
	struct fc_pagecache *pc;        /* --page-cache: the simulated page cache */
	int mnt_id;
	int released;                   /* the mount released the client */
	int log_fd;                     /* the daemon's output (private log) */
	char name[128];                 /* daemon basename, for reports */
	char transport_desc[128];       /* "fd (devfd, io_uring)" */
	char message[512];              /* why it failed */
	int daemon_status;              /* waitpid status once reaped */
	int daemon_exited;
};

/*
 * Launch, INIT, create the client, a kernel and process 1000, mount at
 * opts->mountpoint.  Returns CLI_EXIT_OK, or an exit status with
 * t->message saying why (nothing is left running then).
 */
int cli_target_up(struct cli_target *t, const struct cli_target_opts *opts);

/* Non-zero while the connection is usable (READY). */
int cli_target_alive(struct cli_target *t);

/* The wrapper's counters (a snapshot). */
void cli_target_wire(struct cli_target *t, struct cli_wire_stats *out);

/*
 * Unmount, free the kernel and the client, DESTROY, stop and reap the
 * daemon.  Returns CLI_EXIT_OK, or CLI_EXIT_DAEMON_DIED if the daemon
 * had gone before the end (t->message says how).
 */
int cli_target_down(struct cli_target *t);

/* Print the tail of the daemon's private log (if any) to @f, indented. */
void cli_target_show_log(struct cli_target *t, FILE *f, unsigned max_lines);

/* Common --help text for the target options. */
void cli_target_usage(FILE *f);

/*
 * Parse one target option at argv[*i] (advancing *i past its value).
 * Returns 1 if it was one, 0 if not, -1 on a usage error (printed).
 */
int cli_target_parse(struct cli_target_opts *o, int argc, char **argv, int *i);

/* Defaults: fd, devfd, auto io, mountpoint "/mnt". */
void cli_target_opts_default(struct cli_target_opts *o);

/* ---- subcommands ------------------------------------------------------------ */

int cli_run_main(int argc, char **argv);
int cli_sh_main(int argc, char **argv);
int cli_trace_main(int argc, char **argv);
int cli_tap_main(int argc, char **argv);

#endif /* FUSECORE_CLI_H */
