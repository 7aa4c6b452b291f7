/*
 * fc-tap - mount a real FUSE file system through /dev/fuse with a daemon
 * behind a recording relay (fusecore/tap.h, docs/oracle.md).
 *
 *   fc-tap [-l LOG] [-c FCAP] [-o MOUNTOPTS] [-t FSTYPE] [-x WORKLOAD]
 *          [-G] [-q] MOUNTPOINT -- DAEMON [ARG...]
 *
 * DAEMON's arguments name its /dev/fuse as "%m" (replaced by /dev/fd/N),
 * e.g.  fc-tap -l log /mnt -- passthrough_ll -f -o source=/src %m
 *
 *   -l LOG       append one decoded line per message ("K>D ...", "D>K ...")
 *   -c FCAP      write an FCAP capture (fusecore/decode.h)
 *   -o OPTS      extra mount options (after fd=,rootmode=,user_id=,group_id=)
 *   -t FSTYPE    mount type (default fuse.fctap)
 *   -x WORKLOAD  run "/bin/sh -c WORKLOAD" in a child once mounted, with
 *                $FCTAP_MNT (the mount point) and $FCTAP_LOG set; when it
 *                exits, unmount and exit with its status
 *   -G           no watcher process (it detaches the mount if fc-tap dies
 *                without cleaning up, e.g. on SIGKILL)
 *   -q           no summary on stderr
 *
 * Without -x it runs until SIGINT, SIGTERM or SIGHUP, an unmount from
 * outside, or the daemon's end.  Every way out detaches the mount.  Exit
 * status: the workload's, else 0 after a signal or unmount, 1 if the
 * daemon died first, 2 on a usage or set-up error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusecore/tap.h"

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (got_signal) {
		/* A second signal: leave at once (the mount is detached already). */
		fc_tap_emergency_cleanup();
		_exit(128 + sig);
	}
	got_signal = sig;
	fc_tap_emergency_cleanup();
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0)
		(void)0;
	errno = saved;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: fc-tap [-l LOG] [-c FCAP] [-o MOUNTOPTS] [-t FSTYPE] "
		   "[-x WORKLOAD] [-G] [-q] MOUNTPOINT -- DAEMON [ARG...]\n"
		   "       DAEMON's arguments name its /dev/fuse as %%m\n");
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *cap_path = NULL, *workload = NULL;
	struct fc_tap_config cfg;
	struct fc_tap_result res;
	struct fc_tap *tap = NULL;
	struct sigaction sa;
	int opt, quiet = 0, guardian = 1, log_fd = -1, cap_fd = -1, err;
	int status = 0, wl_status = 0, have_wl_status = 0, pidfd = -1;
	pid_t wl = -1;
	const char *mopts = NULL, *fstype = NULL, *mnt;

	while ((opt = getopt(argc, argv, "+l:c:o:t:x:Gqh")) != -1) {
		switch (opt) {
		case 'l': log_path = optarg; break;
		case 'c': cap_path = optarg; break;
		case 'o': mopts = optarg; break;
		case 't': fstype = optarg; break;
		case 'x': workload = optarg; break;
		case 'G': guardian = 0; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	mnt = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			perror(log_path);
			return 2;
		}
	}
	if (cap_path) {
		cap_fd = open(cap_path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
		if (cap_fd < 0) {
			perror(cap_path);
			return 2;
		}
	}
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("pipe");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fc_tap_config_default(&cfg, FC_TAP_KERNEL, (const char *const *)argv + optind,
			      mnt);
	cfg.mount_opts = mopts;
	if (fstype)
		cfg.fstype = fstype;
	cfg.guardian = guardian;
	cfg.log_fd = log_fd;
	cfg.fcap_fd = cap_fd;
	err = fc_tap_start(&cfg, &tap, &res);
	if (err < 0) {
		/*
		 * A signal while the start was under way detached the new mount
		 * (on_signal), which is what made it fail: a clean stop.
		 */
		if (got_signal)
			return 0;
		fprintf(stderr, "fc-tap: %s\n", res.message);
		return 2;
	}
	if (got_signal)
		goto stop;

	if (workload) {
		wl = fc_tap_fork(tap);
		if (wl < 0) {
			fprintf(stderr, "fc-tap: fork: %s\n", strerror((int)-wl));
			status = 2;
			goto stop;
		}
		if (wl == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGPIPE, SIG_DFL);
			close(sig_pipe[0]);
			close(sig_pipe[1]);
			setenv("FCTAP_MNT", fc_tap_mountpoint(tap), 1);
			if (log_path)
				setenv("FCTAP_LOG", log_path, 1);
			execl("/bin/sh", "sh", "-c", workload, (char *)NULL);
			_exit(127);
		}
		pidfd = (int)syscall(SYS_pidfd_open, wl, 0);
	}

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = fc_tap_end_fd(tap), .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};

		if (poll(p, pidfd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			fprintf(stderr, "fc-tap: the relay ended (%s)\n",
				wl > 0 ? "before the workload" : "unmounted or daemon gone");
			break;
		}
		if (p[1].revents)
			break;
		if (pidfd >= 0 && p[2].revents) {
			if (waitpid(wl, &wl_status, 0) == wl) {
				have_wl_status = 1;
				wl = -1;
			}
			break;
		}
	}

stop:
	fc_tap_stop(tap, &res);
	if (wl > 0) {
		/* The workload outlived the mount: it failed with ENOTCONN by now. */
		kill(wl, SIGTERM);
		if (waitpid(wl, &wl_status, 0) == wl)
			have_wl_status = 1;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!quiet) {
		fprintf(stderr, "fc-tap: %" PRIu64 " requests, %" PRIu64 " replies relayed",
			res.requests, res.replies);
		if (res.write_errors)
			fprintf(stderr, ", %" PRIu64 " replies refused by the kernel",
				res.write_errors);
		if (res.daemon_exited && WIFEXITED(res.daemon_status))
			fprintf(stderr, "; daemon exited with status %d",
				WEXITSTATUS(res.daemon_status));
		else if (res.daemon_exited && WIFSIGNALED(res.daemon_status))
			fprintf(stderr, "; daemon killed by signal %d",
				WTERMSIG(res.daemon_status));
		if (res.daemon_died_first)
			fprintf(stderr, " (before the unmount)");
		fprintf(stderr, "\n");
		if (res.message[0])
			fprintf(stderr, "fc-tap: %s\n", res.message);
	}
	fc_tap_free(tap);
	if (status)
		return status;
	if (have_wl_status)
		return WIFEXITED(wl_status) ? WEXITSTATUS(wl_status)
					    : 128 + WTERMSIG(wl_status);
	if (res.daemon_died_first)
		return 1;
	return 0;
}
