/*
 * fusecore/mock.h - a scriptable mock daemon.
 *
 * In the manner of FreeBSD's fusefs tests (tests/sys/fs/fusefs/mockfs.cc):
 * a test says which requests it expects and how each is answered, runs the
 * code under test, then checks the exact request stream the daemon saw.
 * The mock sits on the daemon side of the in-memory transport
 * (fusecore/transport.h) and answers through fc_mem_daemon_write(), so every
 * answer is judged by the real connection code, and what the connection
 * said about it (the write(2) result) is kept for the test.
 *
 * Two ways to run it:
 *  - polled (no threads): fc_mock_pump() is the memory transport's pump, so
 *    the connection runs the mock whenever it waits.  A test may also call
 *    fc_mock_step() itself to serve one request at a time.
 *  - threaded: a daemon thread calls fc_mock_serve(); callers block in the
 *    connection, the test thread waits with fc_mock_wait_*() and releases
 *    held answers with fc_mock_release().
 *
 * Expectations are matched in the order they were added, skipping those
 * already used up; the first whose opcode, nodeid and predicate fit wins.
 * A request no expectation fits is "unexpected": it is counted and
 * answered -ENOSYS (requests that take no reply are only counted).
 *
 * Lifetime: the mock does not own the transport (the connection does, once
 * given it).  Free the connection first, then the mock.  In threaded mode
 * stop the daemon thread before freeing the connection (fc_mock_disconnect(),
 * then join it): freeing the connection destroys the transport the thread
 * reads from.  Everything the mock returns (expectations, recorded
 * requests) lives until fc_mock_free().
 */
#ifndef FUSECORE_MOCK_H
#define FUSECORE_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/platform.h"
#include "fusecore/proto.h"
#include "fusecore/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/** fc_mock_expect(): match any opcode. */
#define FC_MOCK_ANY_OPCODE UINT32_MAX
/** fc_mock_expect(): match any nodeid. */
#define FC_MOCK_ANY_NODEID UINT64_MAX
/** fc_mock_exp_times(): the expectation is never used up. */
#define FC_MOCK_UNLIMITED ((unsigned)-1)
/** fc_mock_write_reply(): put the true message length in the header. */
#define FC_MOCK_LEN_AUTO UINT32_MAX

struct fc_mock;
struct fc_mock_exp;

/** One request as the daemon read it (a private copy of the whole message). */
struct fc_mock_req {
	/** The header, copied out (zero-filled if the message was shorter). */
	struct fc_in_header hdr;
	/** The bytes after the header, and how many. */
	const void *body;
	size_t body_len;
	/** The whole message exactly as read, and its length. */
	const void *msg;
	size_t len;
	/** Position in the recorded stream (0 = first request read). */
	unsigned index;
	/** The expectation it matched; NULL if it was unexpected. */
	struct fc_mock_exp *exp;
};

/** Field predicate: non-zero if @r is the request this expectation wants. */
typedef int (*fc_mock_pred_fn)(const struct fc_mock_req *r, void *ctx);

/**
 * Custom responder: answer @r however the test likes, typically with
 * fc_mock_write() / fc_mock_write_reply() / fc_mock_notify(), passing @exp
 * so that the write results are recorded on it.  It may write nothing,
 * several messages, or call into the connection.  It runs without the
 * mock's lock held.
 */
typedef void (*fc_mock_respond_fn)(struct fc_mock *m, struct fc_mock_exp *exp,
				   const struct fc_mock_req *r, void *ctx);

/* ---- Lifecycle ----------------------------------------------------------- */

/**
 * Create a mock daemon that allocates and locks through @plat.  It has no
 * transport yet: see fc_mock_new_transport() and fc_mock_attach().
 * Returns 0 and sets *@out, or -errno.
 */
int fc_mock_new(const struct fc_platform *plat, struct fc_mock **out);

/**
 * Create an in-memory transport of @kind served by @m.  With @polled set,
 * fc_mock_pump() is its pump (thread-free mode); otherwise a daemon thread
 * must run fc_mock_serve().  Hand *@out to the connection, which takes
 * ownership of it.  Returns 0 or -errno.
 */
int fc_mock_new_transport(struct fc_mock *m, enum fc_transport_kind kind,
			  int polled, struct fc_transport **out);

/**
 * Serve @t, a memory transport created elsewhere.  @polled tells the wait
 * functions whether to pump (polled) or to sleep (threaded).
 */
void fc_mock_attach(struct fc_mock *m, struct fc_transport *t, int polled);

/** The memory transport the mock serves (NULL if none). */
struct fc_transport *fc_mock_transport(struct fc_mock *m);

/**
 * Free the mock, its expectations, held answers and recorded requests.
 * Held answers are dropped unsent.  The transport is not touched: free the
 * connection (which destroys the transport) first, or never touch the
 * transport again.
 */
void fc_mock_free(struct fc_mock *m);

/* ---- Expectations -------------------------------------------------------- */

/**
 * Expect a request with @opcode (or FC_MOCK_ANY_OPCODE) for @nodeid (or
 * FC_MOCK_ANY_NODEID), once.  Until an answer is set, the request is
 * answered with an empty success reply, or not at all if it is a request
 * that takes no reply (FORGET, BATCH_FORGET, NOTIFY_REPLY).
 * Returns the expectation, or NULL if out of memory.  The setters below
 * accept NULL and do nothing, so a script can be written without checks
 * in between.
 */
struct fc_mock_exp *fc_mock_expect(struct fc_mock *m, uint32_t opcode,
				   uint64_t nodeid);

/** Let @exp match @times requests (default 1; FC_MOCK_UNLIMITED = forever). */
void fc_mock_exp_times(struct fc_mock_exp *exp, unsigned times);

/**
 * Also require @pred(request, @ctx) to be non-zero.  It is called with the
 * mock's lock held: it must only look at the request.
 */
void fc_mock_exp_match(struct fc_mock_exp *exp, fc_mock_pred_fn pred,
		       void *ctx);

/**
 * Answer with success and a copy of @payload (@len bytes, may be 0).
 * Returns 0, -ENOMEM (the answer is then left unchanged) or -EINVAL
 * if @exp is NULL.
 */
int fc_mock_exp_reply(struct fc_mock_exp *exp, const void *payload,
		      size_t len);

/** Answer with a header-only reply carrying @error (a -errno, not checked). */
void fc_mock_exp_error(struct fc_mock_exp *exp, int error);

/** Do not answer (FORGET, or a request whose caller must stay blocked). */
void fc_mock_exp_noreply(struct fc_mock_exp *exp);

/** Answer by calling @fn (see fc_mock_respond_fn). */
void fc_mock_exp_respond(struct fc_mock_exp *exp, fc_mock_respond_fn fn,
			 void *ctx);

/** Answer by disconnecting the daemon (fc_mock_disconnect()). */
void fc_mock_exp_disconnect(struct fc_mock_exp *exp);

/**
 * Keep the answer back: a matched request is only recorded and queued on
 * @exp until fc_mock_release().  Releasing the held answers of several
 * expectations in any order produces out-of-order replies.
 */
void fc_mock_exp_hold(struct fc_mock_exp *exp);

/**
 * Send the answer of the oldest request held on @exp, from the calling
 * thread.  Returns the write result of its last message (0 if the answer
 * writes nothing), or -ENOENT if nothing is held on @exp.
 */
int fc_mock_release(struct fc_mock_exp *exp);

/** Number of requests @exp has matched so far. */
unsigned fc_mock_exp_used(struct fc_mock_exp *exp);

/**
 * Number of requests of @exp whose answer has been carried out (written,
 * or deliberately not written); held answers count once released.
 */
unsigned fc_mock_exp_answered(struct fc_mock_exp *exp);

/** Number of answers held on @exp, not released yet. */
unsigned fc_mock_exp_held(struct fc_mock_exp *exp);

/** The most recent request @exp matched, or NULL. */
const struct fc_mock_req *fc_mock_exp_last(struct fc_mock_exp *exp);

/** Number of messages written on behalf of @exp (answers and raw writes). */
unsigned fc_mock_exp_nresults(struct fc_mock_exp *exp);

/**
 * The write result (what fc_mem_daemon_write() returned: 0, -EINVAL,
 * -ENOENT, ...) of the @i-th message written for @exp; -ERANGE if there is
 * no such message.  Negative @i counts from the end (-1 = the last one).
 */
int fc_mock_exp_result(struct fc_mock_exp *exp, int i);

/* ---- Driving the daemon -------------------------------------------------- */

/**
 * Read one queued request, record it and answer it as scripted.  With
 * @block set, wait for a request (threaded mode).  Returns 1 if a request
 * was handled, 0 if none was queued (and @block is 0), -ENODEV once the
 * transport is gone, or another -errno.
 */
int fc_mock_step(struct fc_mock *m, int block);

/**
 * Handle every queued request, including those queued while handling
 * (a background request sent once another ends).  Returns how many were
 * handled, or -ENODEV if none was and the transport is gone.  Its
 * signature makes it usable as the memory transport's pump (@m is the
 * struct fc_mock).
 */
int fc_mock_pump(void *m);

/**
 * Daemon thread body: handle requests, blocking, until the transport is
 * gone (daemon disconnect or connection detach).  Returns the number of
 * requests handled.
 */
unsigned fc_mock_serve(struct fc_mock *m);

/**
 * Wait until @n requests have been recorded.  Threaded mode sleeps on a
 * platform condition variable (what = "mock"); polled mode runs
 * fc_mock_step() instead.  Returns 0, -ENODEV if the transport went away
 * first, or -EDEADLK in polled mode when nothing more is queued.
 */
int fc_mock_wait_recorded(struct fc_mock *m, unsigned n);

/** As fc_mock_wait_recorded(), until @exp has matched @n requests. */
int fc_mock_wait_used(struct fc_mock_exp *exp, unsigned n);

/** As fc_mock_wait_recorded(), until @n answers are held on @exp. */
int fc_mock_wait_held(struct fc_mock_exp *exp, unsigned n);

/**
 * As fc_mock_wait_recorded(), until @exp has answered @n requests, so that
 * whatever the connection did with the answers has happened.
 */
int fc_mock_wait_answered(struct fc_mock_exp *exp, unsigned n);

/* ---- Writing raw messages ------------------------------------------------ */

/**
 * Write @len raw bytes to the connection as one daemon message, and record
 * the result on @exp if it is non-NULL.  Returns the write result (0 or
 * -errno; -ENOTCONN once gone, -ENODEV without a transport).
 */
int fc_mock_write(struct fc_mock *m, struct fc_mock_exp *exp,
		  const void *msg, size_t len);

/**
 * Write a struct fc_out_header {@len, @error, @unique} followed by
 * @payload_len bytes of @payload.  @len is FC_MOCK_LEN_AUTO for the true
 * length, or any value to forge a wrong one.  Result as fc_mock_write().
 */
int fc_mock_write_reply(struct fc_mock *m, struct fc_mock_exp *exp,
			uint32_t len, int32_t error, uint64_t unique,
			const void *payload, size_t payload_len);

/** Write notification @code (unique 0) with @len bytes of @payload. */
int fc_mock_notify(struct fc_mock *m, int32_t code, const void *payload,
		   size_t len);

/**
 * The daemon goes away (fc_mem_daemon_disconnect()): the connection is
 * aborted, queued requests are dropped, fc_mock_step() returns -ENODEV.
 */
void fc_mock_disconnect(struct fc_mock *m);

/* ---- What the daemon saw ------------------------------------------------- */

/** Number of requests recorded (read by the mock) so far. */
unsigned fc_mock_nrecorded(struct fc_mock *m);

/** The @i-th recorded request (0 = first), or NULL. */
const struct fc_mock_req *fc_mock_recorded(struct fc_mock *m, unsigned i);

/** Number of recorded requests with @opcode. */
unsigned fc_mock_count(struct fc_mock *m, uint32_t opcode);

/** Number of requests that matched no expectation. */
unsigned fc_mock_unexpected(struct fc_mock *m);

/* ---- Payload helpers ----------------------------------------------------- */

/**
 * Fill @out as a current daemon answers INIT: major 7, minor
 * FC_KERNEL_MINOR_VERSION, max_readahead 128 KiB, max_write 128 KiB,
 * time_gran 1, max_pages 32, and @flags split into flags/flags2
 * (FC_INIT_EXT is added when @flags has bits above 31).
 */
void fc_mock_init_out(struct fc_init_out *out, uint64_t flags);

/**
 * Expect FC_INIT and answer it with exactly sizeof(struct fc_init_out)
 * bytes copied from @reply.  Returns the expectation or NULL.
 */
struct fc_mock_exp *fc_mock_expect_init(struct fc_mock *m,
					const struct fc_init_out *reply);

/** Fill @out with attributes of @ino of mode @mode (nlink 1, blksize 4096). */
void fc_mock_attr_out(struct fc_attr_out *out, uint64_t ino, uint32_t mode);

/** Fill @out as a LOOKUP reply for @nodeid / @generation of mode @mode. */
void fc_mock_entry_out(struct fc_entry_out *out, uint64_t nodeid,
		       uint64_t generation, uint32_t mode);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_MOCK_H */
