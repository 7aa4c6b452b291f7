/*
 * run.c - the two runners: a fresh daemon (and a fresh, empty source
 * directory) behind the tap, the ops run through the real kernel (in a
 * forked child) or through libfusecore (simulated VFS, fd transport).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "exec_lib.h"
#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/platform.h"
#include "fusecore/tap.h"
#include "fusecore/transport.h"
#include "fusecore/vfs.h"
#include "fusecore/virtiofs.h"
#include "oracle.h"

#define WORKLOAD_TIMEOUT_MS 60000u
/* The simulated process's pid (any value: pids are compared as ordinals). */
#define LIB_PID 4242u

static void on_msg(void *ctx, enum fc_dir dir, const void *msg, size_t len)
{
	ora_capture_add(ctx, dir, msg, len);
}

static void rm_rf(const char *path)
{
	char *cmd = NULL;

	if (!path || asprintf(&cmd, "rm -rf '%s'", path) < 0)
		return;
	if (system(cmd) != 0)
		fprintf(stderr, "oracle: could not remove %s\n", path);
	free(cmd);
}

/* The daemon's command line; strings in @store (freed by the caller). */
struct argv_store {
	const char *argv[12];
	char *src;
	char *opt;
};

static int make_argv(const struct ora_run_config *cfg, struct argv_store *s, char *err,
		     size_t errlen)
{
	const struct ora_daemon *d = cfg->daemon;
	unsigned n = 0;

	memset(s, 0, sizeof(*s));
	s->argv[n++] = d->path;
	s->argv[n++] = "-f";
	if (d->type == ORA_DAEMON_PASSTHROUGH_LL) {
		if (asprintf(&s->src, "%s/src-XXXXXX", cfg->tmpdir) < 0 || !mkdtemp(s->src)) {
			snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
			return -1;
		}
		if (asprintf(&s->opt, "source=%s%s%s", s->src, d->opts ? "," : "",
			     d->opts ? d->opts : "") < 0)
			return -1;
		s->argv[n++] = "-o";
		s->argv[n++] = s->opt;
	} else if (d->opts && *d->opts) {
		s->argv[n++] = "-o";
		s->argv[n++] = d->opts;
	}
	s->argv[n++] = FC_TAP_PLACEHOLDER;
	s->argv[n] = NULL;
	return 0;
}

static void free_argv(struct argv_store *s)
{
	if (s->src)
		rm_rf(s->src);
	free(s->src);
	free(s->opt);
}

void ora_run_free(struct ora_run *run)
{
	free(run->results);
	run->results = NULL;
	ora_capture_free(&run->cap);
}

/* ---- Linux ---------------------------------------------------------------------------- */

struct shared {
	char tree[ORA_TREE_MAX];
	struct ora_result res[];
};

int ora_run_linux(const struct ora_run_config *cfg, struct ora_run *run)
{
	struct argv_store as;
	struct fc_tap_config tc;
	struct fc_tap_result tr;
	struct fc_tap *t = NULL;
	struct ora_ws ws;
	struct shared *sh = MAP_FAILED;
	size_t shlen = sizeof(struct shared) + (cfg->nops + 1) * sizeof(struct ora_result);
	char *mnt = NULL;
	int ret = -1, st = 0;
	pid_t pid;

	memset(run->error, 0, sizeof(run->error));
	run->results = calloc(cfg->nops + 1, sizeof(*run->results));
	if (!run->results || ora_ws_alloc(&ws) < 0) {
		snprintf(run->error, sizeof(run->error), "out of memory");
		return -1;
	}
	if (make_argv(cfg, &as, run->error, sizeof(run->error)) < 0)
		goto out;
	if (asprintf(&mnt, "%s/mnt-XXXXXX", cfg->tmpdir) < 0 || !mkdtemp(mnt)) {
		snprintf(run->error, sizeof(run->error), "mkdtemp: %s", strerror(errno));
		goto out;
	}
	sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(run->error, sizeof(run->error), "mmap: %s", strerror(errno));
		goto out;
	}
	fc_tap_config_default(&tc, FC_TAP_KERNEL, as.argv, mnt);
	tc.guardian = 1;
	tc.log_fd = cfg->log_fd;
	tc.stderr_fd = cfg->daemon_stderr;
	if (cfg->capture) {
		tc.on_msg = on_msg;
		tc.on_msg_ctx = &run->cap;
	}
	if (fc_tap_start(&tc, &t, &tr) < 0) {
		snprintf(run->error, sizeof(run->error), "tap: %s", tr.message);
		goto out;
	}
	pid = fc_tap_fork(t);
	if (pid < 0) {
		snprintf(run->error, sizeof(run->error), "fork: %s", strerror((int)-pid));
		goto out;
	}
	if (pid == 0) {
		const char *m = fc_tap_mountpoint(t);

		ora_exec_linux(m, cfg->ops, cfg->nops, sh->res, cfg->markers, &ws);
		if (run->want_tree)
			ora_tree_linux(m, sh->tree, sizeof(sh->tree), &ws);
		_exit(0);
	}
	/* Bounded wait for the workload. */
	{
		unsigned waited = 0;
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		for (;;) {
			pid_t r = waitpid(pid, &st, WNOHANG);

			if (r == pid)
				break;
			if (waited >= WORKLOAD_TIMEOUT_MS * 1000 / 2000) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				snprintf(run->error, sizeof(run->error),
					 "the workload did not finish within %u ms",
					 WORKLOAD_TIMEOUT_MS);
				goto out;
			}
			nanosleep(&ts, NULL);
			waited++;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(run->error, sizeof(run->error), "the workload ended with status 0x%x", st);
		goto out;
	}
	if (cfg->markers) {
		/* The unmount marker, from another process (never from this one). */
		pid = fc_tap_fork(t);
		if (pid == 0) {
			char mark[32], path[ORA_PATH_MAX * 2 + 64];
			struct stat sb;

			mark[0] = 0;
			ora_strlcat(mark, ".fcmark.umount", sizeof(mark));
			ora_path_join(path, sizeof(path), fc_tap_mountpoint(t), mark);
			stat(path, &sb);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, &st, 0);
	}
	memcpy(run->results, sh->res, cfg->nops * sizeof(struct ora_result));
	if (run->want_tree)
		memcpy(run->final_tree, sh->tree, sizeof(run->final_tree));
	ret = 0;
out:
	if (t) {
		fc_tap_stop(t, &tr);
		fc_tap_free(t);
	}
	if (sh != MAP_FAILED)
		munmap(sh, shlen);
	if (mnt) {
		rmdir(mnt);
		free(mnt);
	}
	free_argv(&as);
	ora_ws_free(&ws);
	return ret;
}

/* ---- libfusecore ---------------------------------------------------------------------- */

/* Wall-clock time for the times the kernel side owns in writeback-cache mode. */
static uint64_t realtime_ns(void *ctx)
{
	struct timespec ts;

	/* Linux's current_time() reads the coarse clock (ktime_get_coarse_real_ts64). */
	(void)ctx;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_release(void *ctx, struct fc_client *cl)
{
	(void)cl;
	*(int *)ctx = 1;
}

int ora_run_lib(const struct ora_run_config *cfg, struct ora_run *run)
{
	const struct fc_platform *plat = fc_platform_posix();
	struct argv_store as;
	struct fc_tap_config tc;
	struct fc_tap_result tr;
	struct fc_tap *t = NULL;
	struct fc_fd_config fcfg;
	struct fc_transport *tp = NULL;
	struct fc_conn_config ccfg;
	struct fc_conn *conn = NULL;
	struct fc_client_config clcfg;
	struct fc_client *cl = NULL;
	struct fc_vfs *vfs = NULL;
	struct fc_proc *p = NULL;
	struct fc_vfs_mount_opts mo;
	struct fc_pagecache_sim_config pcfg;
	struct fc_pagecache *pc = NULL;
	struct fc_cache_config cachecfg;
	struct ora_ws ws;
	struct fc_virtiofsd *vfsd = NULL;
	int ret = -1, fd, err, released = 0, mounted = 0;

	memset(run->error, 0, sizeof(run->error));
	run->results = calloc(cfg->nops + 1, sizeof(*run->results));
	if (!run->results || ora_ws_alloc(&ws) < 0) {
		snprintf(run->error, sizeof(run->error), "out of memory");
		return -1;
	}
	memset(&as, 0, sizeof(as));
	if (cfg->virtiofs) {
		/* virtio-fs: QEMU's virtiofsd on a fresh, empty source directory. */
		struct fc_virtiofsd_config dc;
		struct fc_virtiofs_config vc;
		char msg[256] = "";

		if (asprintf(&as.src, "%s/vsrc-XXXXXX", cfg->tmpdir) < 0 || !mkdtemp(as.src)) {
			snprintf(run->error, sizeof(run->error), "mkdtemp: %s", strerror(errno));
			goto out;
		}
		fc_virtiofsd_config_default(&dc);
		dc.binary = cfg->virtiofsd;
		dc.source = as.src;
		dc.cache = cfg->virtiofs_cache;
		dc.stderr_fd = cfg->daemon_stderr;
		if ((err = fc_virtiofsd_start(&dc, &vfsd, msg, sizeof(msg))) < 0) {
			snprintf(run->error, sizeof(run->error), "virtiofsd: %s",
				 msg[0] ? msg : strerror(-err));
			goto out;
		}
		fc_virtiofs_config_default(&vc);
		vc.socket_path = fc_virtiofsd_socket_path(vfsd);
		vc.pidfd = fc_virtiofsd_pidfd(vfsd);
		if (vc.pidfd < 0)
			vc.pidfd = -1;
		err = fc_virtiofs_transport_new(plat, &vc, &tp);
		if (err < 0) {	/* the transport owns the pidfd, also on failure */
			snprintf(run->error, sizeof(run->error), "vhost-user handshake: %s",
				 strerror(-err));
			goto out;
		}
		fc_virtiofs_conn_config_default(&ccfg, plat, tp);
	} else {
		if (make_argv(cfg, &as, run->error, sizeof(run->error)) < 0)
			goto out;
		fc_tap_config_default(&tc, FC_TAP_SOCKET, as.argv, NULL);
		tc.log_fd = cfg->log_fd;
		tc.stderr_fd = cfg->daemon_stderr;
		if (cfg->capture) {
			tc.on_msg = on_msg;
			tc.on_msg_ctx = &run->cap;
		}
		if (fc_tap_start(&tc, &t, &tr) < 0) {
			snprintf(run->error, sizeof(run->error), "tap: %s", tr.message);
			goto out;
		}
		fd = fc_tap_take_kernel_fd(t);
		fc_fd_config_default(&fcfg, fd);
		if ((err = fc_fd_transport_new(plat, &fcfg, &tp)) < 0) {
			snprintf(run->error, sizeof(run->error), "fd transport: %s",
				 strerror(-err));
			goto out;
		}
		fc_conn_config_default(&ccfg, plat, tp);
	}
	err = fc_conn_new(&ccfg, &conn);
	tp = NULL;	/* the connection owns it now, also on failure */
	if (err < 0) {
		snprintf(run->error, sizeof(run->error), "connection: %s", strerror(-err));
		goto out;
	}
	if ((err = fc_conn_init(conn)) < 0) {
		snprintf(run->error, sizeof(run->error), "INIT: %s", strerror(-err));
		goto out;
	}
	fc_client_config_default(&clcfg);
	clcfg.forget_on_unmount = 0;	/* as Linux: no FORGETs at unmount */
	clcfg.root_mode = FC_S_IFDIR;	/* rootmode=40000 */
	if ((err = fc_client_new(conn, &clcfg, &cl)) < 0) {
		snprintf(run->error, sizeof(run->error), "client: %s", strerror(-err));
		goto out;
	}
	/* The page cache under the client, as Linux has one under every mount. */
	fc_pagecache_sim_config_default(&pcfg, plat);
	if ((err = fc_pagecache_sim_new(&pcfg, &pc)) < 0) {
		snprintf(run->error, sizeof(run->error), "page cache: %s", strerror(-err));
		goto out;
	}
	fc_cache_config_default(&cachecfg, fc_pagecache_sim_ops(), pc);
	cachecfg.realtime_ns = realtime_ns;
	if ((err = fc_cache_attach(cl, &cachecfg)) < 0) {
		snprintf(run->error, sizeof(run->error), "cache attach: %s", strerror(-err));
		goto out;
	}
	if ((err = fc_vfs_new(plat, &vfs)) < 0 ||
	    (err = fc_proc_new(vfs, LIB_PID, NULL, &p)) < 0 ||
	    (err = fc_sys_mkdir(p, ORA_LIB_MNT, 0755)) < 0) {
		snprintf(run->error, sizeof(run->error), "vfs: %s", strerror(-err));
		goto out;
	}
	fc_vfs_mount_opts_default(&mo);
	mo.source = FC_TAP_SOURCE;
	mo.subtype = "fctap";
	mo.release = on_release;
	mo.release_ctx = &released;
	if ((err = fc_vfs_mount_fuse(vfs, p, ORA_LIB_MNT, cl, &mo)) < 0) {
		snprintf(run->error, sizeof(run->error), "mount: %s", strerror(-err));
		goto out;
	}
	mounted = 1;
	ora_exec_lib(p, cfg->ops, cfg->nops, run->results, cfg->markers, &ws);
	if (run->want_tree)
		ora_tree_lib(p, run->final_tree, sizeof(run->final_tree), &ws);
	ret = 0;
out:
	if (p) {
		/* As the Linux child's exit: descriptors close; then the unmount. */
		struct fc_proc *admin = NULL;

		if (mounted && fc_proc_new(vfs, 1, NULL, &admin) == 0) {
			fc_proc_exit(p);
			p = NULL;
			if (cfg->markers) {
				struct fc_vfs_stat sb;

				fc_sys_stat(admin, ORA_LIB_MNT "/.fcmark.umount", &sb);
			}
			if ((err = fc_sys_umount2(admin, ORA_LIB_MNT, 0)) < 0 && ret == 0) {
				snprintf(run->error, sizeof(run->error), "umount: %s",
					 strerror(-err));
				ret = -1;
			}
			fc_proc_exit(admin);
		}
		fc_proc_exit(p);
	}
	if (vfs)
		fc_vfs_free(vfs);
	if (cl && (released || !mounted)) {
		fc_client_free(cl);	/* detaches the page cache too */
		cl = NULL;
	} else if (cl && ret == 0) {
		snprintf(run->error, sizeof(run->error), "the mount was never released");
		ret = -1;
	}
	if (pc && !cl)
		fc_pagecache_sim_free(pc);
	if (conn) {
		if (vfsd && fc_conn_state(conn) == FC_CONN_READY)
			fc_conn_destroy_request(conn);
		fc_conn_free(conn);
	} else if (tp) {
		tp->ops->destroy(tp);
	}
	if (vfsd) {
		int status = 0;

		/* virtiofsd exits on its own once its one connection closed. */
		if (fc_virtiofsd_stop(vfsd, &status) < 0 && ret == 0) {
			snprintf(run->error, sizeof(run->error),
				 "virtiofsd did not exit after the connection closed");
			ret = -1;
		}
		fc_virtiofsd_free(vfsd);
	}
	if (t) {
		fc_tap_wait(t, 5000);
		fc_tap_stop(t, &tr);
		fc_tap_free(t);
	}
	free_argv(&as);
	ora_ws_free(&ws);
	return ret;
}
