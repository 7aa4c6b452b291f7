/*
 * fake_daemon - a tiny misbehaving FUSE daemon for the fusecore command's
 * error-path tests (tests/cli/cli_test.sh).  It speaks /dev/fuse framing on
 * the descriptor named by its "/dev/fd/N" argument (the launcher's devfd
 * handoff) and behaves as MODE says:
 *
 *   refuse          answer FUSE_INIT with -EPROTO
 *   garbage         answer FUSE_INIT with a 3-byte payload
 *   silent          read FUSE_INIT and never answer
 *   die-after-init  answer FUSE_INIT, then exit with status 7 at the first
 *                   request after it
 *
 *   fake_daemon MODE /dev/fd/N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusecore/proto.h"

static unsigned char buf[1 << 21];

static void reply(int fd, uint64_t unique, int error, const void *payload, size_t len)
{
	struct fc_out_header h;
	unsigned char msg[4096];

	h.len = (uint32_t)(sizeof(h) + len);
	h.error = error;
	h.unique = unique;
	memcpy(msg, &h, sizeof(h));
	if (len)
		memcpy(msg + sizeof(h), payload, len);
	if (write(fd, msg, sizeof(h) + len) < 0)
		exit(10);
}

int main(int argc, char **argv)
{
	struct fc_in_header in;
	struct fc_init_out io;
	const char *mode;
	ssize_t n;
	int fd;

	if (argc != 3 || strncmp(argv[2], "/dev/fd/", 8) != 0) {
		fprintf(stderr, "usage: fake_daemon refuse|garbage|silent|die-after-init /dev/fd/N\n");
		return 2;
	}
	mode = argv[1];
	fd = atoi(argv[2] + 8);
	n = read(fd, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(in))
		return 11;
	memcpy(&in, buf, sizeof(in));
	if (in.opcode != FC_INIT)
		return 12;
	fprintf(stderr, "fake_daemon: FUSE_INIT received, mode %s\n", mode);
	if (!strcmp(mode, "refuse")) {
		reply(fd, in.unique, -EPROTO, NULL, 0);
	} else if (!strcmp(mode, "garbage")) {
		reply(fd, in.unique, 0, "abc", 3);
	} else if (!strcmp(mode, "silent")) {
		for (;;)
			pause();
	} else if (!strcmp(mode, "die-after-init")) {
		memset(&io, 0, sizeof(io));
		io.major = FC_KERNEL_VERSION;
		io.minor = 31;
		io.max_readahead = 65536;
		io.max_background = 12;
		io.congestion_threshold = 9;
		io.max_write = 65536;
		io.time_gran = 1;
		io.max_pages = 16;
		reply(fd, in.unique, 0, &io, sizeof(io));
		n = read(fd, buf, sizeof(buf));
		fprintf(stderr, "fake_daemon: a request after INIT: exiting with status 7\n");
		return 7;
	} else {
		fprintf(stderr, "fake_daemon: unknown mode %s\n", mode);
		return 2;
	}
	/* Wait for the other side to close. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return 0;
}
