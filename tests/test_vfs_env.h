/*
 * Test environment for the simulated VFS: a platform with a fake clock
 * (tests move time instead of sleeping) that can tell whether a VFS lock
 * is held, the mock daemon serving a small in-memory file system
 * ("memfs") from one catch-all responder, a FUSE client mounted on /mnt
 * of the VFS, and helpers that read back the exact request stream.
 */
#ifndef FUSECORE_TEST_VFS_ENV_H
#define FUSECORE_TEST_VFS_ENV_H

#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"
#include "fusecore/vfs.h"

#define VT_MAXNODES 512
#define VT_SEC 1000000000ULL

struct venv;

/* A hook run by the memfs responder before it answers @r (opcode filter). */
typedef void (*vt_hook_fn)(struct venv *e, const struct fc_mock_req *r,
			   void *ctx);

struct vt_node {
	int used;
	uint64_t gen;
	uint32_t mode, uid, gid, nlink, attr_flags, rdev;
	uint64_t size;
	unsigned char *data;     /* malloc'ed, size bytes */
	char *target;            /* symlinks */
	int64_t lookups;         /* what the daemon counts (minus FORGETs) */
};

struct vt_dirent {
	uint64_t dir;
	char name[1100];
	uint64_t node;
};

struct vt_fs {
	struct vt_node nodes[VT_MAXNODES];   /* index = nodeid */
	struct vt_dirent *ents;
	unsigned nents, cap;
	uint64_t next_id;
	uint64_t next_fh;
	uint64_t entry_valid, attr_valid;    /* seconds */
	uint64_t neg_valid;                  /* 0: missing names are -ENOENT */
	int err[64];                         /* per-opcode error to answer */
	uint32_t fopen_flags;                /* FOPEN_* in OPEN/CREATE replies */
	vt_hook_fn hook;
	uint32_t hook_opcode;
	void *hook_ctx;
	int hook_busy;
};

struct venv {
	struct fc_platform plat;
	uint64_t now;
	/* Mutexes created by the VFS (tagged while it makes them). */
	void *tagged[64];
	unsigned ntagged;
	int tagging;
	/* Waits on a local lock (cond_wait "posix lock" / "flock"). */
	int lock_waits;
	/* Allocations through the platform not freed yet. */
	long live;
	/* Run by venv_down() after the client is freed (a page cache, say). */
	void (*teardown)(void *ctx);
	void *teardown_ctx;

	struct fc_mock *mock;
	struct fc_mock_exp *any;
	struct fc_conn *conn;
	struct fc_client *cl;
	struct fc_vfs *vfs;
	struct fc_proc *p;
	int mnt_id;
	int released;                        /* release callback ran */
	int threaded;                        /* a daemon thread serves the mock */
	unsigned long daemon_thread;         /* its pthread_t */
	struct vt_fs fs;
};

/*
 * Bring everything up: memfs served on a polled memory transport of
 * @kind, INIT granting @flags, a client, a VFS whose process 100 (root)
 * made /mnt on the ramfs root and mounted the client there (with
 * default_permissions if @dp).  Entry and attribute timeouts are 1 s,
 * missing names answer -ENOENT, GETXATTR answers -ENOSYS.
 */
void venv_up(struct venv *e, enum fc_transport_kind kind, uint64_t flags,
	     int dp);
/*
 * As venv_up, but a daemon thread serves the mock (fc_mock_serve) instead
 * of the connection pumping it; the stream helpers must not be used.
 */
void venv_up_threaded(struct venv *e, enum fc_transport_kind kind,
		      uint64_t flags, int dp);
/* Only the platform, the VFS and process 100 (no daemon, no mount). */
void venv_up_bare(struct venv *e);
/*
 * Tear down (unmounting if still mounted); asserts that no request was
 * unexpected and that every allocation made through the platform is freed.
 */
void venv_down(struct venv *e);

/* A process with @pid and credentials uid/gid (tagging its table lock). */
struct fc_proc *venv_proc(struct venv *e, uint32_t pid, uint32_t uid,
			  uint32_t gid);

/* Number of VFS mutexes the calling thread holds right now. */
int venv_vfs_locks_held(void);

/* ---- the daemon's file system ---------------------------------------------- */

uint64_t vt_mkdir(struct venv *e, uint64_t parent, const char *name,
		  uint32_t mode);
uint64_t vt_mkfile(struct venv *e, uint64_t parent, const char *name,
		   uint32_t mode, const char *data);
uint64_t vt_mklink(struct venv *e, uint64_t parent, const char *name,
		   const char *target);
/* The node @name names in @parent, or 0. */
uint64_t vt_find(struct venv *e, uint64_t parent, const char *name);
/* Remove the name (daemon side, no notification). */
void vt_unlink_name(struct venv *e, uint64_t parent, const char *name);
/* Give node @id the name @name in @parent too (daemon side, no notification). */
void vt_link_name(struct venv *e, uint64_t parent, const char *name, uint64_t id);
/* Give @name a new node (as if replaced behind the kernel's back). */
uint64_t vt_replace(struct venv *e, uint64_t parent, const char *name);

/* ---- time and the request stream ---------------------------------------------- */

void vt_advance(struct venv *e, uint64_t ns);
/* Serve whatever is queued (background RELEASEs, FORGETs). */
void vt_pump(struct venv *e);
/* The number of requests recorded so far (after pumping). */
unsigned vt_mark(struct venv *e);
/*
 * The opcodes recorded since @from, as names separated by spaces
 * ("LOOKUP CREATE"), after pumping.  Static buffer.
 */
const char *vt_ops(struct venv *e, unsigned from);
/* The @i-th recorded request. */
const struct fc_mock_req *vt_req(struct venv *e, unsigned i);
/* The last recorded request of @opcode since @from (NULL if none). */
const struct fc_mock_req *vt_last(struct venv *e, unsigned from,
				  uint32_t opcode);
/* The name an opcode's request carries first (LOOKUP, UNLINK, ...). */
const char *vt_name(const struct fc_mock_req *r, size_t body_off);
/* The sum of nlookup in FORGET / BATCH_FORGET since @from for @nodeid. */
uint64_t vt_forgotten(struct venv *e, unsigned from, uint64_t nodeid);
const char *vt_opname(uint32_t opcode);

#endif
