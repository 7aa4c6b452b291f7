/*
 * fusecore - the command-line face of libfusecore.
 *
 *   fusecore run   [OPTIONS] -- DAEMON ARGS...   conformance run against a daemon
 *   fusecore sh    [OPTIONS] -- DAEMON ARGS...   interactive shell over a daemon
 *   fusecore trace [OPTIONS] FILE.fcap|-         decode a recorded message stream
 *   fusecore tap   [fc-tap OPTIONS]              the kernel tap (a real /dev/fuse mount)
 *
 * Each subcommand lives in its own file; this one only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusecore COMMAND [OPTIONS] [-- DAEMON ARGS...]\n"
		"\n"
		"libfusecore plays the kernel side of FUSE in userspace: it launches an\n"
		"unmodified FUSE daemon, speaks the wire protocol to it and mounts it in a\n"
		"simulated kernel.\n"
		"\n"
		"Commands:\n"
		"  run     run the conformance scenarios against a daemon and report\n"
		"  sh      an interactive shell over a daemon through the simulated kernel\n"
		"  trace   decode a recorded request/reply stream (FCAP) to text\n"
		"  tap     record a real kernel's FUSE traffic (runs fc-tap)\n"
		"\n"
		"Example:\n"
		"  fusecore run -- passthrough_ll -f -o source=/tmp/src\n"
		"\n"
		"`fusecore COMMAND --help` describes each command.\n"
		"\n");
	cli_print_exit_codes(f);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("fusecore %s (libfusecore, FUSE protocol 7.%d)\n",
		       FUSECORE_CLI_VERSION, FC_KERNEL_MINOR_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "run"))
		return cli_run_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "sh") || !strcmp(cmd, "shell"))
		return cli_sh_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return cli_trace_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "tap"))
		return cli_tap_main(argc - 1, argv + 1);
	fprintf(stderr, "fusecore: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
