/*
 * The mount namespace of the simulated VFS: mount / bind / rbind / move /
 * umount (busy, lazy), the listing, crossing covering mounts and ".." out
 * of mount roots, FUSE submount automounts (virtio-fs only), and open
 * files that stay on their node once a mount covers their path.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

static struct fc_vfs_mount_entry ent;

static const char *mount_path(struct venv *e, unsigned i)
{
	ck_assert_int_eq(fc_vfs_mount_get(e->vfs, i, &ent), 0);
	return ent.path;
}

/* The mount listed at @path, or NULL. */
static const struct fc_vfs_mount_entry *find_mount(struct venv *e,
						   const char *path)
{
	unsigned i;

	for (i = 0; fc_vfs_mount_get(e->vfs, i, &ent) == 0; i++)
		if (!strcmp(ent.path, path))
			return &ent;
	return NULL;
}

START_TEST(test_root_only)
{
	struct venv e;
	char buf[256];

	venv_up_bare(&e);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 1);
	ck_assert_int_eq(fc_vfs_mount_get(e.vfs, 0, &ent), 0);
	ck_assert_int_eq(ent.id, 1);
	ck_assert_int_eq(ent.parent_id, 1);
	ck_assert_str_eq(ent.path, "/");
	ck_assert_str_eq(ent.root, "/");
	ck_assert_str_eq(ent.fstype, "ramfs");
	ck_assert_int_eq(fc_vfs_mount_get(e.vfs, 1, &ent), -ENOENT);
	ck_assert_int_eq(fc_vfs_mountinfo(e.vfs, buf, sizeof(buf)),
			 (long)strlen("1 1 0:1 / / rw,relatime - ramfs rootfs rw\n"));
	ck_assert_str_eq(buf, "1 1 0:1 / / rw,relatime - ramfs rootfs rw\n");
	venv_down(&e);
}
END_TEST

START_TEST(test_mount_fuse_listing)
{
	struct venv e;
	char buf[512];
	long n;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 2);
	ck_assert_int_eq(fc_vfs_mount_get(e.vfs, 1, &ent), 0);
	ck_assert_int_eq(ent.id, e.mnt_id);
	ck_assert_int_eq(ent.parent_id, 1);
	ck_assert_str_eq(ent.path, "/mnt");
	ck_assert_str_eq(ent.root, "/");
	ck_assert_str_eq(ent.fstype, "fuse");
	ck_assert_str_eq(ent.source, "memfs");
	ck_assert_int_eq(ent.submount, 0);
	n = fc_vfs_mountinfo(e.vfs, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf,
		"1 1 0:1 / / rw,relatime - ramfs rootfs rw\n"
		"2 1 0:2 / /mnt rw,relatime - fuse memfs rw,user_id=0,group_id=0\n");
	/* Truncated output still reports the full length, NUL-terminated. */
	ck_assert_int_eq(fc_vfs_mountinfo(e.vfs, buf, 10), n);
	ck_assert_uint_eq(strlen(buf), 9);
	/* Mounting the same client twice is refused. */
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/other", 0755), 0);
	ck_assert_int_eq(fc_vfs_mount_fuse(e.vfs, e.p, "/other", e.cl, NULL), -EBUSY);
	/* Nothing reached the daemon for any of this. */
	ck_assert_str_eq(vt_ops(&e, 1), "");
	venv_down(&e);
}
END_TEST

START_TEST(test_mount_needs_root_and_dir)
{
	struct venv e;
	struct fc_proc *user;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	user = venv_proc(&e, 200, 1000, 1000);
	ck_assert_int_eq(fc_vfs_mount_ramfs(e.vfs, user, "/mnt", "x"), -EPERM);
	ck_assert_int_eq(fc_sys_umount2(user, "/mnt", 0), -EPERM);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	ck_assert_int_eq(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/f", "x"), -ENOTDIR);
	ck_assert_int_eq(fc_vfs_mount_ramfs(e.vfs, e.p, "/nope", "x"), -ENOENT);
	ck_assert_int_eq(fc_vfs_mount_ramfs(e.vfs, e.p, NULL, "x"), -EFAULT);
	fc_proc_exit(user);
	venv_down(&e);
}
END_TEST

START_TEST(test_bind_and_rbind)
{
	struct venv e;
	struct fc_vfs_stat st;
	unsigned m;
	uint64_t d;
	int id;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "x", 0644, "data");
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/a", 0755), 0);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/b", 0755), 0);

	/* Bind a FUSE subdirectory: its root is "/d" inside the file system. */
	m = vt_mark(&e);
	id = fc_vfs_mount_bind(e.vfs, e.p, "/mnt/d", "/a", 0);
	ck_assert_int_gt(id, e.mnt_id);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_ptr_nonnull(find_mount(&e, "/a"));
	ck_assert_str_eq(ent.root, "/d");
	ck_assert_str_eq(ent.fstype, "fuse");
	ck_assert_int_eq(ent.parent_id, 1);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/a/x", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, d);
	ck_assert_int_eq(st.size, 4);

	/* A bind mount of the root, then something mounted inside /mnt. */
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/d", "inner"), 0);
	ck_assert_int_gt(fc_vfs_mount_bind(e.vfs, e.p, "/mnt", "/b", 1), 0);
	ck_assert_ptr_nonnull(find_mount(&e, "/b"));
	ck_assert_ptr_nonnull(find_mount(&e, "/b/d"));
	ck_assert_str_eq(ent.fstype, "ramfs");
	ck_assert_str_eq(ent.source, "inner");
	/* A non-recursive bind does not copy what is mounted below. */
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/c", 0755), 0);
	ck_assert_int_gt(fc_vfs_mount_bind(e.vfs, e.p, "/mnt", "/c", 0), 0);
	ck_assert_ptr_nonnull(find_mount(&e, "/c"));
	ck_assert_ptr_null(find_mount(&e, "/c/d"));
	/* Through /c, d is the FUSE directory again. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/c/d/x", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/b/d/x", &st), -ENOENT);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 7);
	venv_down(&e);
}
END_TEST

START_TEST(test_move)
{
	struct venv e;
	struct fc_vfs_stat st;
	int n;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	vt_mkdir(&e, 1, "d", 0755);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/new", 0755), 0);
	n = (int)fc_vfs_mount_count(e.vfs);
	/* Only a mount root moves; not into itself. */
	ck_assert_int_eq(fc_vfs_mount_move(e.vfs, e.p, "/mnt/d", "/new"), -EINVAL);
	ck_assert_int_eq(fc_vfs_mount_move(e.vfs, e.p, "/mnt", "/mnt/d"), -ELOOP);
	ck_assert_int_eq(fc_vfs_mount_move(e.vfs, e.p, "/", "/new"), -EINVAL);
	ck_assert_int_eq(fc_vfs_mount_move(e.vfs, e.p, "/mnt", "/new"), 0);
	ck_assert_int_eq((int)fc_vfs_mount_count(e.vfs), n);
	/* Same id, same place in the listing, new path. */
	ck_assert_str_eq(mount_path(&e, 1), "/new");
	ck_assert_int_eq(ent.id, e.mnt_id);
	ck_assert_int_eq(fc_sys_stat(e.p, "/new/f", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), -ENOENT);
	/* Moving a mount below a renamed ramfs directory shows the new path. */
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/x", 0755), 0);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/x/y", 0755), 0);
	ck_assert_int_eq(fc_vfs_mount_move(e.vfs, e.p, "/new", "/x/y"), 0);
	ck_assert_int_eq(fc_sys_rename(e.p, "/x", "/z"), 0);
	ck_assert_str_eq(mount_path(&e, 1), "/z/y");
	ck_assert_int_eq(fc_sys_umount2(e.p, "/z/y", 0), 0);
	ck_assert_int_eq(e.released, 1);
	venv_down(&e);
}
END_TEST

START_TEST(test_umount_busy_and_lazy)
{
	struct venv e;
	char buf[8];
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "hello");
	vt_mkdir(&e, 1, "d", 0755);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt/d", 0), -EINVAL);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0x100), -EINVAL);

	/* An open file makes it busy. */
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), -EBUSY);
	/* A cwd inside makes it busy too. */
	ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/d"), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), -EBUSY);
	ck_assert_int_eq(fc_sys_chdir(e.p, "/"), 0);
	/* A mount below it makes it busy. */
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/d", "r"), 0);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), -EBUSY);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt/d", 0), 0);

	/* Lazy: gone from the listing at once, alive while a file is open. */
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/d", "r2"), 0);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", FC_MNT_DETACH), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 1);
	ck_assert_int_eq(e.released, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_read(e.p, fd, buf, sizeof(buf)), 5);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/*
	 * The last user went: RELEASE (background), the dentries' forgets
	 * (d's here: f's node is still held by the RELEASE in flight), then
	 * the release callback.  f's FORGET is queued once RELEASE is
	 * answered; the client sends it with its next request or when freed.
	 */
	ck_assert_str_eq(vt_ops(&e, m), "READ FLUSH RELEASE FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, vt_find(&e, 1, "d")), 1);
	ck_assert_int_eq(e.released, 1);
	fc_client_flush_forgets(e.cl);
	ck_assert_str_eq(vt_ops(&e, m), "READ FLUSH RELEASE FORGET FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, vt_find(&e, 1, "f")), 1);
	/* The path is plain ramfs again. */
	ck_assert_int_eq(fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0), -ENOENT);
	venv_down(&e);
}
END_TEST

/* ---- covering mounts ------------------------------------------------------------ */

START_TEST(test_covering_mount_and_dotdot)
{
	struct venv e;
	struct fc_vfs_stat st;
	char cwd[64];
	unsigned m;
	uint64_t d, f;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "y", 0644, NULL);
	f = vt_mkfile(&e, 1, "f", 0644, NULL);
	(void)f;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/y", &st), 0);
	/* A ramfs now covers /mnt/d: the walk goes into it, no LOOKUP of y. */
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/d", "cover"), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/y", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d", &st), 0);
	ck_assert_uint_eq(st.dev, 3);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/mnt/d/sub", 0700), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* ".." out of the covering mount's root lands in the FUSE root. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/sub/../../f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "f");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, 1);
	/* ".." above "/" stays at "/", and getcwd reads the namespace. */
	ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/d/sub"), 0);
	ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), 11);
	ck_assert_str_eq(cwd, "/mnt/d/sub");
	ck_assert_int_eq(fc_sys_chdir(e.p, "../../../../.."), 0);
	ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), 2);
	ck_assert_str_eq(cwd, "/");
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt/d", 0), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/y", &st), 0);
	venv_down(&e);
}
END_TEST

/* A second daemon and client in the same VFS (FUSE mounted on FUSE). */
static void second_attach(struct venv *e2, struct venv *e1, const char *path)
{
	struct fc_vfs_mount_opts o;

	/* venv_up makes the daemon side; its own VFS is dropped again. */
	venv_up(e2, FC_TRANSPORT_FUSE_DEV, 0, 0);
	ck_assert_int_eq(fc_sys_umount2(e2->p, "/mnt", 0), 0);
	fc_vfs_free(e2->vfs);
	e2->vfs = NULL;
	e2->p = NULL;
	fc_vfs_mount_opts_default(&o);
	o.source = "second";
	ck_assert_int_gt(fc_vfs_mount_fuse(e1->vfs, e1->p, path, e2->cl, &o), 0);
}

START_TEST(test_fuse_on_fuse)
{
	struct venv e, e2;
	struct fc_vfs_stat st;
	unsigned m1, m2;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	second_attach(&e2, &e, "/mnt/d");
	vt_mkfile(&e2, 1, "inner", 0644, "12345678");
	ck_assert_ptr_nonnull(find_mount(&e, "/mnt/d"));
	ck_assert_str_eq(ent.source, "second");
	ck_assert_int_eq(ent.parent_id, e.mnt_id);
	m1 = vt_mark(&e);
	m2 = vt_mark(&e2);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/inner", &st), 0);
	ck_assert_int_eq(st.size, 8);
	/* The first daemon sees nothing (d is cached), the second a LOOKUP. */
	ck_assert_str_eq(vt_ops(&e, m1), "");
	ck_assert_str_eq(vt_ops(&e2, m2), "LOOKUP");
	ck_assert_uint_eq(vt_req(&e2, m2)->hdr.nodeid, 1);
	/* Renames across the mounts are EXDEV without a request. */
	ck_assert_int_eq(fc_sys_rename(e.p, "/mnt/f", "/mnt/d/f"), -EXDEV);
	ck_assert_str_eq(vt_ops(&e2, m2), "LOOKUP");
	ck_assert_int_eq(fc_sys_link(e.p, "/mnt/f", "/mnt/d/g"), -EXDEV);
	fc_vfs_free(e.vfs);
	e.vfs = NULL;
	vt_pump(&e2);
	fc_client_free(e2.cl);
	e2.cl = NULL;
	venv_down(&e2);
	venv_down(&e);
}
END_TEST

/* ---- submounts -------------------------------------------------------------------- */

START_TEST(test_submount_virtiofs)
{
	struct venv e;
	struct fc_vfs_stat st, st_sub;
	unsigned m;
	uint64_t sub;
	char buf[1024];

	venv_up(&e, FC_TRANSPORT_VIRTIO_FS, FC_SUBMOUNTS, 0);
	ck_assert(fc_conn_info(e.conn)->flags & FC_SUBMOUNTS);
	sub = vt_mkdir(&e, 1, "sub", 0755);
	e.fs.nodes[sub].attr_flags = FC_ATTR_SUBMOUNT;
	vt_mkfile(&e, sub, "x", 0644, NULL);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt", &st), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/sub", &st_sub), 0);
	/* The root's attributes are fresh: only the LOOKUP (default_permissions). */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 3);
	ck_assert_ptr_nonnull(find_mount(&e, "/mnt/sub"));
	ck_assert_int_eq(ent.submount, 1);
	ck_assert_int_eq(ent.parent_id, e.mnt_id);
	ck_assert_str_eq(ent.root, "/");
	ck_assert_str_eq(ent.fstype, "fuse");
	/* Its own device number. */
	ck_assert_uint_ne(st_sub.dev, st.dev);
	ck_assert_uint_eq(st_sub.dev, ent.dev_minor);
	ck_assert_uint_eq(st_sub.ino, sub);
	ck_assert_int_gt(fc_vfs_mountinfo(e.vfs, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, " /mnt/sub rw,relatime submount - fuse memfs"));
	/* Walking through it uses the same connection. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/sub/x", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, sub);
	ck_assert_uint_eq(st.dev, st_sub.dev);
	/* No automount with AT_NO_AUTOMOUNT on an unmounted point: see below. */
	/* The submount goes with its parent. */
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 1);
	ck_assert_int_eq(e.released, 1);
	venv_down(&e);
}
END_TEST

START_TEST(test_submount_busy_and_no_automount)
{
	struct venv e;
	struct fc_vfs_stat st;
	uint64_t sub;
	int fd;

	venv_up(&e, FC_TRANSPORT_VIRTIO_FS, FC_SUBMOUNTS, 0);
	sub = vt_mkdir(&e, 1, "sub", 0755);
	e.fs.nodes[sub].attr_flags = FC_ATTR_SUBMOUNT;
	vt_mkfile(&e, sub, "x", 0644, NULL);
	/* AT_NO_AUTOMOUNT: the mount point itself, nothing mounted. */
	ck_assert_int_eq(fc_sys_fstatat(e.p, FC_AT_FDCWD, "/mnt/sub", &st,
					FC_AT_NO_AUTOMOUNT), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 2);
	/* A file open inside the submount keeps the parent busy. */
	fd = fc_sys_open(e.p, "/mnt/sub/x", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 3);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), -EBUSY);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* The submount alone can go; the next walk mounts it again. */
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt/sub", 0), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 2);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/sub/x", &st), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 3);
	ck_assert_int_eq(e.released, 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_no_submount_on_dev_fuse)
{
	struct venv e;
	struct fc_vfs_stat st, root;
	uint64_t sub;

	/* The daemon grants SUBMOUNTS, but /dev/fuse never asked for it. */
	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_SUBMOUNTS, 0);
	ck_assert(!(fc_conn_info(e.conn)->flags & FC_SUBMOUNTS));
	sub = vt_mkdir(&e, 1, "sub", 0755);
	e.fs.nodes[sub].attr_flags = FC_ATTR_SUBMOUNT;
	vt_mkfile(&e, sub, "x", 0644, NULL);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt", &root), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/sub", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/sub/x", &st), 0);
	ck_assert_uint_eq(fc_vfs_mount_count(e.vfs), 2);
	ck_assert_uint_eq(st.dev, root.dev);
	venv_down(&e);
}
END_TEST

/* ---- open files are pinned ---------------------------------------------------------- */

START_TEST(test_open_file_survives_cover_and_rename)
{
	struct venv e;
	struct fc_vfs_stat st;
	char buf[16];
	unsigned m;
	uint64_t f;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, "pinned");
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	/* Rename the path away: the descriptor still reads the same node. */
	ck_assert_int_eq(fc_sys_rename(e.p, "/mnt/f", "/mnt/g"), 0);
	/* Then cover the whole FUSE mount. */
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt", "cover"), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, sizeof(buf), 0), 6);
	ck_assert_int_eq(memcmp(buf, "pinned", 6), 0);
	ck_assert_int_eq(fc_sys_fstat(e.p, fd, &st), 0);
	ck_assert_uint_eq(st.ino, f);
	ck_assert_str_eq(vt_ops(&e, m), "READ GETATTR");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, f);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "READ GETATTR FLUSH RELEASE");
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt", 0), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), 0);
	venv_down(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vfs_mount");
	TCase *tc = tcase_create("mount");

	tcase_add_test(tc, test_root_only);
	tcase_add_test(tc, test_mount_fuse_listing);
	tcase_add_test(tc, test_mount_needs_root_and_dir);
	tcase_add_test(tc, test_bind_and_rbind);
	tcase_add_test(tc, test_move);
	tcase_add_test(tc, test_umount_busy_and_lazy);
	tcase_add_test(tc, test_covering_mount_and_dotdot);
	tcase_add_test(tc, test_fuse_on_fuse);
	tcase_add_test(tc, test_submount_virtiofs);
	tcase_add_test(tc, test_submount_busy_and_no_automount);
	tcase_add_test(tc, test_no_submount_on_dev_fuse);
	tcase_add_test(tc, test_open_file_survives_cover_and_rename);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
