/*
 * fc-fusermount - a stand-in for fusermount3 / fusermount, for the
 * launcher's FC_LAUNCH_FUSERMOUNT mode (fusecore/launch.h).
 *
 * libfuse mounts through fusermount when its own mount(2) fails: it
 * creates a socketpair, execs "fusermount3 -o OPTS -- MOUNTPOINT" with one
 * end's number in $_FUSE_COMMFD, and waits for a /dev/fuse fd sent over it
 * with SCM_RIGHTS.  The launcher bind-mounts this program over the real
 * fusermount inside the daemon's private mount namespace; instead of
 * opening /dev/fuse and mounting, it sends the launcher's socket
 * ($FUSECORE_FUSERMOUNT_FD, inherited through the daemon).  So the daemon
 * holds a socket while believing it holds /dev/fuse, and nothing is
 * mounted anywhere.
 *
 * "-u" (unmount) succeeds without doing anything.  With
 * $FUSECORE_FUSERMOUNT_LOG set, one line per call is appended there.
 *
 * Exit status: 0 on success, 1 on a usage or environment error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define ENV_SOCKET "FUSECORE_FUSERMOUNT_FD"
#define ENV_LOG "FUSECORE_FUSERMOUNT_LOG"

static void log_line(const char *fmt, const char *a, const char *b, int n)
{
	const char *path = getenv(ENV_LOG);
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, fmt, a, b, n);
	fputc('\n', f);
	fclose(f);
}

static int env_fd(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1 << 20)
		return -1;
	if (fcntl((int)v, F_GETFD) < 0)
		return -1;
	return (int)v;
}

/* Send @fd over @sock with one byte of data, as fusermount does. */
static int send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *opts = "", *mnt = NULL;
	int unmount = 0, i, commfd, sock;
	struct stat st;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			if (i + 1 < argc)
				mnt = argv[++i];
			break;
		}
		if (!strcmp(a, "-o") && i + 1 < argc)
			opts = argv[++i];
		else if (!strncmp(a, "-o", 2))
			opts = a + 2;
		else if (!strcmp(a, "-u"))
			unmount = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "-z") ||
			 !strcmp(a, "--auto-unmount"))
			continue;
		else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("fc-fusermount (libfusecore fusermount stand-in)\n");
			return 0;
		} else if (a[0] != '-' && !mnt)
			mnt = a;
	}
	if (!mnt) {
		fprintf(stderr, "fc-fusermount: no mountpoint\n");
		return 1;
	}
	if (unmount) {
		/* Nothing was mounted: the socket only looked like /dev/fuse. */
		log_line("unmount %s%s %d", mnt, "", 0);
		return 0;
	}
	if (stat(mnt, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "fc-fusermount: bad mountpoint %s\n", mnt);
		return 1;
	}
	commfd = env_fd("_FUSE_COMMFD");
	sock = env_fd(ENV_SOCKET);
	if (commfd < 0 || sock < 0) {
		fprintf(stderr, "fc-fusermount: needs $_FUSE_COMMFD and $%s\n",
			ENV_SOCKET);
		return 1;
	}
	if (send_fd(commfd, sock) < 0) {
		fprintf(stderr, "fc-fusermount: sending the fd: %s\n",
			strerror(errno));
		return 1;
	}
	log_line("mount %s opts=%s fd=%d", mnt, opts, sock);
	return 0;
}
