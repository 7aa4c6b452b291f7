/*
 * virtiofs_demo: the main job pointed at QEMU's virtiofsd.  Starts
 * /usr/lib/qemu/virtiofsd on a directory, runs the vhost-user handshake as
 * a VMM would, negotiates FUSE_INIT with the virtio-fs profile, mounts the
 * client in the simulated VFS, lists the directory, writes a file and
 * reads it back, sends DESTROY and lets virtiofsd exit.
 *
 *   virtiofs_demo [DIR]     (default: a fresh temporary directory)
 *
 * Needs root (virtiofsd refuses to start otherwise).  Without root or
 * without virtiofsd it says why and exits 0, so scripts/demo.sh can run it
 * anywhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/vfs.h"
#include "fusecore/virtiofs.h"

static int fail(const char *what, int err)
{
	fprintf(stderr, "virtiofs_demo: %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	const struct fc_platform *plat = fc_platform_posix();
	char tmpl[] = "/tmp/fc-virtiofs-demo-XXXXXX", msg[256], ver[128];
	const char *dir = argc > 1 ? argv[1] : NULL;
	struct fc_virtiofsd_config dc;
	struct fc_virtiofs_config vc;
	struct fc_virtiofs_info vi;
	struct fc_virtiofs_stats vs;
	struct fc_vfs_mount_opts mo;
	const struct fc_conn_info *ci;
	struct fc_conn_config cc;
	struct fc_virtiofsd *d;
	struct fc_transport *t;
	struct fc_client *cl;
	struct fc_conn *conn;
	struct fc_vfs *vfs;
	struct fc_proc *p;
	unsigned char buf[8192];
	long n, off;
	int err, fd, status;

	if (fc_virtiofsd_check(NULL, msg, sizeof(msg)) != 0) {
		printf("virtiofs demo skipped: %s\n", msg);
		return 0;
	}
	if (!dir) {
		if (!mkdtemp(tmpl))
			return fail("mkdtemp", -errno);
		dir = tmpl;
		fd = open(strcat(strcpy((char *)buf, dir), "/hello.txt"),
			  O_WRONLY | O_CREAT, 0644);
		if (fd >= 0) {
			if (write(fd, "hello from the host\n", 20) != 20)
				perror("write");
			close(fd);
		}
	}
	fc_virtiofsd_version(NULL, ver, sizeof(ver));
	fc_virtiofsd_config_default(&dc);
	dc.source = dir;
	dc.stderr_fd = open("/dev/null", O_WRONLY);
	err = fc_virtiofsd_start(&dc, &d, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "virtiofs_demo: %s\n", msg);
		return 1;
	}
	printf("%s\nsharing %s over %s (sandbox=chroot, cache=auto)\n", ver, dir,
	       fc_virtiofsd_socket_path(d));

	fc_virtiofs_config_default(&vc);
	vc.socket_path = fc_virtiofsd_socket_path(d);
	vc.pidfd = fc_virtiofsd_pidfd(d);
	err = fc_virtiofs_transport_new(plat, &vc, &t);
	if (err)
		return fail("vhost-user handshake", err);
	fc_virtiofs_info(t, &vi);
	printf("vhost-user: features 0x%" PRIx64 " acked 0x%" PRIx64
	       ", protocol features 0x%" PRIx64 " acked 0x%" PRIx64
	       ", %u queues of %u, %u messages in %.2f ms\n",
	       vi.backend_features, vi.acked_features,
	       vi.backend_protocol_features, vi.acked_protocol_features,
	       vi.num_queues, vi.queue_size, vi.handshake_msgs,
	       (double)vi.handshake_ns / 1e6);

	fc_virtiofs_conn_config_default(&cc, plat, t);
	err = fc_conn_new(&cc, &conn);
	if (err)
		return fail("connection", err);
	err = fc_conn_init(conn);
	if (err)
		return fail("FUSE_INIT", err);
	ci = fc_conn_info(conn);
	printf("FUSE_INIT: daemon %u.%u, requested 0x%016" PRIx64 ", granted 0x%016"
	       PRIx64 ", enabled 0x%016" PRIx64 ", max_write %u, max_pages %u\n",
	       ci->major, ci->minor, ci->requested, ci->granted, ci->flags,
	       ci->max_write, ci->max_pages);
	err = fc_client_new(conn, NULL, &cl);
	if (err)
		return fail("client", err);

	if (fc_vfs_new(plat, &vfs) || fc_proc_new(vfs, 1, NULL, &p) ||
	    fc_sys_mkdir(p, "/mnt", 0755))
		return fail("VFS", -ENOMEM);
	fc_vfs_mount_opts_default(&mo);
	mo.source = "virtiofs";
	mo.subtype = "virtiofs";
	err = fc_vfs_mount_fuse(vfs, p, "/mnt", cl, &mo);
	if (err < 0)
		return fail("mount", err);

	printf("ls /mnt:");
	fd = fc_sys_open(p, "/mnt", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	while (fd >= 0 && (n = fc_sys_getdents64(p, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			uint16_t reclen;

			memcpy(&reclen, buf + off + 16, 2);
			printf(" %s", (char *)buf + off + FC_VFS_DIRENT64_NAME_OFFSET);
			off += reclen;
		}
	}
	printf("\n");
	if (fd >= 0)
		fc_sys_close(p, fd);

	fd = fc_sys_open(p, "/mnt/written-by-libfusecore.txt",
			 FC_O_CREAT | FC_O_RDWR | FC_O_TRUNC, 0644);
	if (fd < 0)
		return fail("create", fd);
	fc_sys_write(p, fd, "written through the simulated VFS and virtio-fs\n", 48);
	fc_sys_close(p, fd);
	fd = fc_sys_open(p, "/mnt/written-by-libfusecore.txt", FC_O_RDONLY, 0);
	n = fd >= 0 ? fc_sys_read(p, fd, buf, sizeof(buf) - 1) : fd;
	if (fd >= 0)
		fc_sys_close(p, fd);
	printf("read back %ld bytes: %.*s", n, n > 0 ? (int)n : 0, (char *)buf);

	fc_vfs_free(vfs);
	/* The background RELEASEs are answered, the forgets handed back. */
	fc_conn_wait_background(conn);
	fc_virtiofs_wait_idle(t);
	fc_client_free(cl);
	fc_virtiofs_stats(t, &vs);
	err = fc_conn_destroy_request(conn);
	printf("DESTROY: %d; %" PRIu64 " chains (%" PRIu64 " on hiprio), %" PRIu64
	       " kicks, %" PRIu64 " reply bytes\n", err, vs.chains,
	       vs.queue_chains[0], vs.kicks, vs.reply_bytes);
	fc_conn_free(conn);
	err = fc_virtiofsd_stop(d, &status);
	printf("virtiofsd exited %s (status %d)\n", err ? "after a signal" : "by itself",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fc_virtiofsd_free(d);
	if (dir == tmpl) {
		unlink(strcat(strcpy((char *)buf, tmpl), "/hello.txt"));
		unlink(strcat(strcpy((char *)buf, tmpl), "/written-by-libfusecore.txt"));
		rmdir(tmpl);
	}
	return 0;
}
