/*
 * oracle.h - the differential oracle: Linux (through the kernel tap) and
 * libfusecore (simulated VFS over the fd transport) run the same
 * sequence of system calls against fresh instances of the same daemon;
 * their request streams (the suite, fc-oracle) or their user-visible
 * results (the exerciser, fc-fsx) are compared.  docs/oracle.md.
 *
 * Pieces:
 *  - ops: one system call as data (struct ora_op), a text syntax for it,
 *    and two executors, one with real syscalls on the mounted path (run
 *    in a forked child: async-signal-safe calls only, no allocation) and
 *    one with fc_sys_* on the simulated kernel;
 *  - runners: a fresh daemon behind the tap, the ops run with a marker
 *    LOOKUP (".fcmark.N") before each op, every message captured;
 *  - the normaliser and comparer of request streams, with per-scenario
 *    allowances for documented differences.
 */
#ifndef FC_ORACLE_H
#define FC_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fusecore/decode.h"

/* ---- ops ------------------------------------------------------------------------ */

enum ora_kind {
	ORA_NONE = 0,
	ORA_OPEN,        /* path slot flags [mode] */
	ORA_CLOSE,       /* slot */
	ORA_DUP,         /* slot newslot */
	ORA_READ,        /* slot size */
	ORA_PREAD,       /* slot size off */
	ORA_WRITE,       /* slot data */
	ORA_PWRITE,      /* slot data off */
	ORA_LSEEK,       /* slot off whence */
	ORA_FSYNC,       /* slot */
	ORA_FDATASYNC,   /* slot */
	ORA_FTRUNCATE,   /* slot size */
	ORA_TRUNCATE,    /* path size */
	ORA_STAT,        /* path */
	ORA_LSTAT,       /* path */
	ORA_FSTAT,       /* slot */
	ORA_MKDIR,       /* path mode */
	ORA_RMDIR,       /* path */
	ORA_UNLINK,      /* path */
	ORA_RENAME,      /* path path2 [flags] */
	ORA_LINK,        /* path path2 */
	ORA_SYMLINK,     /* target(path) path2 */
	ORA_READLINK,    /* path */
	ORA_READDIR,     /* path */
	ORA_SETXATTR,    /* path name data flags */
	ORA_GETXATTR,    /* path name size */
	ORA_LISTXATTR,   /* path size */
	ORA_REMOVEXATTR, /* path name */
	ORA_FLOCK,       /* slot op */
	ORA_SETLK,       /* slot type start len */
	ORA_SETLKW,      /* slot type start len */
	ORA_GETLK,       /* slot type start len */
	ORA_MMAP,        /* slot mslot len prot */
	ORA_MSTORE,      /* mslot off data */
	ORA_MLOAD,       /* mslot off size */
	ORA_MSYNC,       /* mslot flags */
	ORA_MUNMAP,      /* mslot */
	ORA_STATFS,      /* path */
	ORA_ACCESS,      /* path mode */
	ORA_CHMOD,       /* path mode */
	ORA_SETFL,       /* slot flags */
	ORA_FALLOCATE,   /* slot mode off len */
	ORA_KIND_MAX
};

#define ORA_SLOTS 16      /* descriptor slots */
#define ORA_MSLOTS 4      /* mapping slots */
#define ORA_PATH_MAX 128
#define ORA_TEXT_MAX 64
#define ORA_DATA_MAX (1024u * 1024u)

/* Data written: literal text, or a pattern of @size bytes from @seed. */
struct ora_data {
	uint32_t size;
	uint32_t seed;
	int literal;
	char text[ORA_TEXT_MAX];
};

/* One system call.  Flags and modes carry Linux's values (FC_O_*, ...). */
struct ora_op {
	enum ora_kind kind;
	int slot, slot2;
	char path[ORA_PATH_MAX], path2[ORA_PATH_MAX];
	char name[ORA_TEXT_MAX];
	int64_t flags;
	uint32_t mode;
	int64_t off, len;
	struct ora_data data;
};

/* What a call returned, as the user sees it. */
#define ORA_RESULT_TEXT 512
struct ora_result {
	int64_t ret;        /* >= 0, or -errno */
	uint32_t nbytes;    /* bytes of data returned (read, getxattr, ...) */
	uint64_t hash;      /* FNV-1a of those bytes */
	char text[ORA_RESULT_TEXT]; /* a readable summary (listing, stat, data) */
};

const char *ora_kind_name(enum ora_kind k);
/* Parse one op from @line ("open f1 0 O_RDWR|O_CREAT 0644"): 0 or -1 (@err says why). */
int ora_op_parse(const char *line, struct ora_op *op, char *err, size_t errlen);
/* Print @op back in the same syntax. */
void ora_op_format(const struct ora_op *op, char *buf, size_t len);
/* Parse flags/numbers: symbolic (O_RDWR|O_CREAT, LOCK_EX, F_WRLCK, ...) or numeric. */
int ora_parse_num(const char *s, int64_t *out);

/* The bytes of @d into @buf (ORA_DATA_MAX); returns the size. */
uint32_t ora_data_fill(const struct ora_data *d, unsigned char *buf);
uint64_t ora_fnv(const void *p, size_t n, uint64_t h);
#define ORA_FNV_INIT 0xcbf29ce484222325ULL

/* Do two results agree? */
int ora_result_equal(const struct ora_result *a, const struct ora_result *b);
void ora_result_format(const struct ora_result *r, char *buf, size_t len);

/* ---- captured streams ----------------------------------------------------------- */

struct ora_msg {
	enum fc_dir dir;
	uint32_t len;
	unsigned char *bytes;
};

struct ora_capture {
	struct ora_msg *v;
	size_t n, cap;
};

void ora_capture_add(struct ora_capture *c, enum fc_dir dir, const void *msg,
		     size_t len);
void ora_capture_free(struct ora_capture *c);

/* ---- daemons ------------------------------------------------------------------------ */

enum ora_daemon_type {
	ORA_DAEMON_PASSTHROUGH_LL = 0, /* path -f -o source=SRC[,opts] %m */
	ORA_DAEMON_REFDAEMON = 1,      /* path -f [-o opts] %m */
};

struct ora_daemon {
	const char *name;
	enum ora_daemon_type type;
	const char *path;
	const char *opts;     /* extra -o options, or NULL */
};

/* ---- runners ------------------------------------------------------------------------- */

enum ora_side { ORA_LINUX = 0, ORA_LIB = 1 };

struct ora_run_config {
	const struct ora_daemon *daemon;
	const char *tmpdir;        /* base for source and mount directories */
	const struct ora_op *ops;
	unsigned nops;
	int markers;               /* marker LOOKUP before each op (the suite) */
	int capture;               /* capture the message stream */
	int log_fd;                /* decoded log of the stream, or -1 */
	int daemon_stderr;         /* daemon's stderr, or -1 to inherit */
	/*
	 * ora_run_lib() only: non-zero runs libfusecore over the vhost-user
	 * virtio-fs transport against QEMU's virtiofsd on a fresh, empty
	 * source directory (cfg->daemon is then ignored on that side).
	 */
	int virtiofs;
	const char *virtiofsd;     /* binary, or NULL: the launcher's default */
	const char *virtiofs_cache;/* -o cache=, or NULL: the launcher's default (auto) */
};

struct ora_run {
	struct ora_result *results;  /* nops entries */
	struct ora_capture cap;
	int unsupported;             /* an op the side cannot run (lib: mmap) */
	char unsupported_what[64];
	char error[320];             /* set-up failure, empty if none */
	char final_tree[16384];      /* listing + file hashes after the run (fsx) */
	int want_tree;
};

/* Run on the real kernel (needs root) or on libfusecore; 0 or -1 (run->error). */
int ora_run_linux(const struct ora_run_config *cfg, struct ora_run *run);
int ora_run_lib(const struct ora_run_config *cfg, struct ora_run *run);
void ora_run_free(struct ora_run *run);

/* Does the lib side support @k (mmap needs the VFS's page cache)? */
int ora_lib_supports(enum ora_kind k);

/* ---- normalised streams and their comparison --------------------------------------- */

#define ORA_NF_MAX 16
struct ora_field {
	char key[16];
	char val[80];
};

struct ora_nmsg {
	uint32_t opcode;
	unsigned seg;              /* step: 0 = mount, k = op k, ORA_SEG_EXIT, ORA_SEG_UMOUNT */
	unsigned nf;
	struct ora_field f[ORA_NF_MAX];
	char reply[24];            /* reply error ("0", "-2", "none", "noreply") */
	uint64_t unique;
};

/* Steps after the ops: the workload's exit, and the unmount. */
#define ORA_SEG_EXIT 0xfffffff0u
#define ORA_SEG_UMOUNT 0xfffffff1u

struct ora_stream {
	struct ora_nmsg *v;
	size_t n, cap;
	unsigned nsegs;            /* numbered steps: markers seen + 1 */
};

/* Normalise a capture: markers split steps, identities mapped. */
void ora_normalize(const struct ora_capture *c, struct ora_stream *out);
void ora_stream_free(struct ora_stream *s);
void ora_nmsg_format(const struct ora_nmsg *m, char *buf, size_t len);
/* "3", "exit", "umount". */
const char *ora_step_name(unsigned seg, char *buf, size_t len);

/* An allowance: a documented difference (or a known, reported bug). */
enum ora_allow_kind {
	ORA_ALLOW_LINUX_ONLY = 0,  /* a request only Linux sends */
	ORA_ALLOW_LIB_ONLY,        /* a request only libfusecore sends */
	ORA_ALLOW_FIELD,           /* a field of a request differs */
	ORA_ALLOW_RESULT,          /* the user-visible result of the step differs */
};

struct ora_allow {
	int bug;                   /* 1: known bug (reported), 0: documented difference */
	char tag[16];              /* "D3", "B2": the section in the docs */
	unsigned step_lo, step_hi; /* steps it applies to (0..UINT_MAX) */
	uint32_t opcode;           /* 0: any */
	enum ora_allow_kind kind;
	char field[16];
	uint64_t bits;             /* FIELD on a number: only these bits may differ (0: any) */
	char daemon[32];           /* only for this daemon ("" any) */
	unsigned used;
};

int ora_allow_parse(const char *line, struct ora_allow *a, char *err, size_t errlen);

struct ora_diff_report {
	unsigned differences;      /* not allowed: failures */
	unsigned allowed_doc;      /* covered by documented differences */
	unsigned allowed_bug;      /* covered by known-bug allowances */
	FILE *out;                 /* where differences are described (or NULL) */
	int show_allowed;          /* describe allowed differences too */
};

/* Compare two streams step by step; allowances are marked used. */
void ora_compare_streams(const struct ora_stream *linux_s, const struct ora_stream *lib_s,
			 struct ora_allow *allow, unsigned nallow, const char *daemon,
			 struct ora_diff_report *rep);
/* Compare the per-op results. */
void ora_compare_results(const struct ora_op *ops, unsigned nops,
			 const struct ora_result *a, const struct ora_result *b,
			 struct ora_allow *allow, unsigned nallow, const char *daemon,
			 struct ora_diff_report *rep);

#endif /* FC_ORACLE_H */
