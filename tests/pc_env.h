/*
 * Test environment of the page-cache tests: an observing platform (it
 * counts the tasks blocked per "what" and the live allocations), the mock
 * daemon serving one regular file from a buffer (LOOKUP, GETATTR, OPEN,
 * READ, WRITE, SETATTR, FLUSH, FSYNC, RELEASE answered from it), a
 * connection, a client and the simulated page cache attached to it.
 *
 * Polled mode runs the daemon inside the caller's waits (deterministic,
 * one thread).  Threaded mode has a daemon thread, so that a test can hold
 * a reply (fc_mock_exp_hold), let worker threads block, wait until they
 * really are blocked (pc_wait_blocked) and then release it: no sleeps.
 */
#ifndef FUSECORE_PC_ENV_H
#define FUSECORE_PC_ENV_H

#include <pthread.h>
#include <stdint.h>

#include "fusecore/conn.h"
#include "fusecore/mock.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "obs_platform.h"

#define PC_NODE 5          /* nodeid of the file "f" */
#define PC_GEN 1
#define PC_FILE_MAX (1u << 20)

struct pc_env {
	struct obs_platform tp;
	struct fc_mock *m;
	struct fc_conn *c;
	struct fc_client *cl;
	struct fc_pagecache *pc;
	int threaded;
	pthread_t daemon;
	struct fc_caller who;      /* uid 1000, gid 1000, pid 4242 */
	struct fc_node *node;      /* "f" after pc_lookup */
	/* The daemon's file. */
	pthread_mutex_t flock;
	unsigned char data[PC_FILE_MAX];
	uint64_t size;
	uint64_t mtime;
	uint64_t generation;       /* what LOOKUP answers */
	uint64_t attr_valid;       /* seconds, GETATTR / LOOKUP */
	uint64_t open_fh;
	uint32_t open_fopen;       /* FOPEN_* the next OPEN answers */
	uint32_t writes_short;     /* WRITE answers claim this many bytes fewer */
	struct fc_mock_exp *x_release;
	unsigned nreleases;        /* RELEASEs pc_close() caused */
};

/* Options of pc_up(). */
struct pc_opts {
	uint64_t flags;            /* granted INIT flags (FC_INIT_EXT added) */
	int threaded;
	uint64_t capacity;         /* pages; 0: 1024 */
	enum fc_wb_creds wb_creds;
	uint32_t max_write;        /* 0: 128 KiB */
	uint32_t max_readahead;    /* 0: 128 KiB */
	uint16_t max_pages;        /* 0: 32 */
};

/* Bring everything up; the daemon's file holds @content (@len bytes). */
void pc_up(struct pc_env *e, const struct pc_opts *o, const void *content,
	   size_t len);
/*
 * Add the default (unlimited) responders.  Expectations a test adds
 * before this call take precedence (the mock matches in order).
 */
void pc_defaults(struct pc_env *e);
/* Let @x answer WRITEs as the daemon's file does (apply, reply the size). */
void pc_respond_write(struct pc_env *e, struct fc_mock_exp *x);
/* Free everything; assert no request was unexpected and nothing leaked. */
void pc_down(struct pc_env *e);

/* LOOKUP "f" into e->node. */
void pc_lookup(struct pc_env *e);
/* OPEN with @flags, answered with FOPEN @fopen (and the cache hook). */
struct fc_open_ctx *pc_open(struct pc_env *e, uint32_t flags, uint32_t fopen);
/* fsync as a VFS does it: the cache hook, then FSYNC. */
int pc_fsync(struct pc_env *e, struct fc_open_ctx *of, int datasync);
/* close(): flush (hook, FLUSH), then release (hook, RELEASE). */
int pc_close(struct pc_env *e, struct fc_open_ctx *of);

/* Wait until at least @n tasks are blocked on @what. */
void pc_wait_blocked(struct pc_env *e, const char *what, unsigned n);
/* Tasks blocked on @what now. */
unsigned pc_blocked(struct pc_env *e, const char *what);

/* Requests with @opcode seen so far, and the @k-th (0-based) of them. */
unsigned pc_count(struct pc_env *e, uint32_t opcode);
const struct fc_mock_req *pc_nth(struct pc_env *e, uint32_t opcode,
				 unsigned k);
/* Index (in the whole stream) of the @k-th request with @opcode, or -1. */
int pc_pos(struct pc_env *e, uint32_t opcode, unsigned k);

/* The daemon's file bytes [off, off + len) equal @want. */
int pc_file_is(struct pc_env *e, uint64_t off, const void *want, size_t len);

/* Counters of the node's mapping. */
void pc_mstats(struct pc_env *e, struct fc_mapping_stats *out);

#endif
