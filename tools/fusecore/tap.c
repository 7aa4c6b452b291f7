/*
 * tap.c - `fusecore tap`: the kernel tap of the differential oracle
 * (fusecore/tap.h, docs/oracle.md).
 *
 * The tap's library entry points (fc_tap_start() and friends) take a
 * configuration, not a command line; the command line, the signal
 * handling that detaches the mount on every way out, and the workload
 * runner live in tools/fc-tap.c's main().  So this subcommand execs the
 * fc-tap program with the same arguments instead of duplicating that
 * logic: `fusecore tap ARGS` is exactly `fc-tap ARGS`.  fc-tap is looked
 * up in $FUSECORE_FC_TAP, next to this executable, in ../libexec/fusecore,
 * then in $PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusecore tap [-l LOG] [-c FCAP] [-o MOUNTOPTS] [-t FSTYPE] [-x WORKLOAD]\n"
		"                    [-G] [-q] MOUNTPOINT -- DAEMON [ARG...]\n"
		"\n"
		"Mount a real FUSE file system through the kernel's /dev/fuse on MOUNTPOINT,\n"
		"with DAEMON behind a relay that records every message (the oracle's kernel\n"
		"tap).  DAEMON's arguments name its /dev/fuse as %%m (replaced by /dev/fd/N).\n"
		"Needs root (mount(2)).  This runs the fc-tap program; its options:\n"
		"\n"
		"  -l LOG       append one decoded line per message (\"K>D ...\", \"D>K ...\")\n"
		"  -c FCAP      write an FCAP capture (read it with fusecore trace)\n"
		"  -o OPTS      extra mount options\n"
		"  -t FSTYPE    mount type (default fuse.fctap)\n"
		"  -x WORKLOAD  run \"/bin/sh -c WORKLOAD\" once mounted ($FCTAP_MNT is the mount\n"
		"               point), then unmount and exit with its status\n"
		"  -G           no watcher process (it detaches the mount if fc-tap is killed)\n"
		"  -q           no summary\n"
		"\n"
		"Example:\n"
		"  fusecore tap -c run.fcap -x 'ls -l $FCTAP_MNT' /mnt/t -- \\\n"
		"      passthrough_ll -f -o source=/srv %%m\n"
		"  fusecore trace run.fcap\n"
		"\n"
		"Exit status (fc-tap's): the workload's with -x, else 0 after a signal or an\n"
		"unmount, 1 if the daemon died first, 2 on a usage or set-up error; and 3 if\n"
		"the fc-tap program itself is not found.\n");
}

int cli_tap_main(int argc, char **argv)
{
	char *path;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	path = cli_find_helper("fc-tap", "FUSECORE_FC_TAP");
	argv[0] = path ? path : "fc-tap";
	fflush(stdout);
	execvp(argv[0], argv);
	fprintf(stderr, "fusecore tap: cannot run %s: %s (install fc-tap next to "
		"fusecore, or set $FUSECORE_FC_TAP)\n", argv[0], strerror(errno));
	free(path);
	return CLI_EXIT_NO_DAEMON;
}
