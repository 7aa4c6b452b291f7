/*
 * fusecore/decode.h - FUSE messages as text, and FCAP capture files.
 *
 * A decoder turns each message of a request/reply stream into one line,
 * like strace: "LOOKUP unique=6 nodeid=1 pid=1234 name='f1'" for a request,
 * "reply LOOKUP unique=6 error=0 nodeid=... generation=0 mode=0100644" for
 * its answer.  It remembers which opcode each outstanding unique had, so
 * replies are decoded by their request.  Every length is checked first;
 * a malformed message yields a line that says so.  Host-side (uses stdio
 * formatting); the protocol core does not depend on it.
 *
 * FCAP (version 1) is the capture format of the project's recordings:
 * "FCAP", u32 version, then records {u8 direction, 3 zero bytes, u32
 * length, bytes}; direction 0 is kernel to daemon, 1 daemon to kernel.
 */
#ifndef FUSECORE_DECODE_H
#define FUSECORE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The name of a FUSE opcode ("LOOKUP"), or NULL if unknown. */
const char *fc_opcode_name(uint32_t opcode);

/** The name of a notification code ("INVAL_ENTRY"), or NULL if unknown. */
const char *fc_notify_name(uint32_t code);

/** Message directions, as FCAP records them. */
enum fc_dir {
	FC_DIR_REQUEST = 0, /**< kernel side to daemon */
	FC_DIR_REPLY = 1,   /**< daemon to kernel side: reply or notification */
};

struct fc_decoder;

/** Create a decoder; NULL if out of memory. */
struct fc_decoder *fc_decoder_new(void);

/** Free a decoder. */
void fc_decoder_free(struct fc_decoder *d);

/**
 * Decode one message into @buf (@cap bytes, always NUL-terminated, no
 * newline; a line that does not fit is cut).  Returns 0, or -EINVAL if the
 * message is malformed (the line says how).  A request's unique is
 * remembered until its reply (not for FORGET, BATCH_FORGET, INTERRUPT and
 * NOTIFY_REPLY, which get none).
 */
int fc_decode(struct fc_decoder *d, enum fc_dir dir, const void *msg,
	      size_t len, char *buf, size_t cap);

/**
 * The opcode of the request a reply with @unique answers (as remembered
 * by fc_decode()), or 0 if unknown.
 */
uint32_t fc_decoder_opcode_of(const struct fc_decoder *d, uint64_t unique);

/** One FCAP record; @msg points into the capture buffer. */
struct fc_fcap_record {
	enum fc_dir dir;
	const void *msg;
	uint32_t len;
};

/** FCAP file header size; fc_fcap_next() starts after it. */
#define FC_FCAP_HEADER_SIZE 8

/** Check the FCAP header of @buf (@len bytes): 0, or -EINVAL. */
int fc_fcap_check(const void *buf, size_t len);

/**
 * Read the record at *@off (start with FC_FCAP_HEADER_SIZE) and advance
 * *@off past it.  Returns 1 for a record, 0 at the clean end of the
 * buffer, -EINVAL for a truncated or malformed record.
 */
int fc_fcap_next(const void *buf, size_t len, size_t *off,
		 struct fc_fcap_record *rec);

#ifdef __cplusplus
}
#endif

#endif /* FUSECORE_DECODE_H */
