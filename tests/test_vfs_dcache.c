/*
 * The dentry and attribute caches of the simulated VFS against the mock
 * daemon: entry timeouts and revalidating LOOKUPs, negative entries,
 * attribute timeouts, notifications (INVAL_ENTRY, DELETE, INVAL_INODE,
 * INC_EPOCH), READDIRPLUS filling the cache, FORGET counts, permission
 * checks with default_permissions.  Time is a fake clock.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

static struct fc_vfs_stat st;

static int notify_entry(struct venv *e, uint64_t parent, const char *name,
			uint32_t flags)
{
	unsigned char buf[sizeof(struct fc_notify_inval_entry_out) + 256];
	struct fc_notify_inval_entry_out o;
	size_t n = strlen(name);

	memset(&o, 0, sizeof(o));
	o.parent = parent;
	o.namelen = (uint32_t)n;
	o.flags = flags;
	memcpy(buf, &o, sizeof(o));
	memcpy(buf + sizeof(o), name, n + 1);
	return fc_mock_notify(e->mock, FC_NOTIFY_INVAL_ENTRY, buf, sizeof(o) + n + 1);
}

static int notify_delete(struct venv *e, uint64_t parent, uint64_t child,
			 const char *name)
{
	unsigned char buf[sizeof(struct fc_notify_delete_out) + 256];
	struct fc_notify_delete_out o;
	size_t n = strlen(name);

	memset(&o, 0, sizeof(o));
	o.parent = parent;
	o.child = child;
	o.namelen = (uint32_t)n;
	memcpy(buf, &o, sizeof(o));
	memcpy(buf + sizeof(o), name, n + 1);
	return fc_mock_notify(e->mock, FC_NOTIFY_DELETE, buf, sizeof(o) + n + 1);
}

static int notify_inode(struct venv *e, uint64_t ino)
{
	struct fc_notify_inval_inode_out o;

	memset(&o, 0, sizeof(o));
	o.ino = ino;
	o.off = -1;
	return fc_mock_notify(e->mock, FC_NOTIFY_INVAL_INODE, &o, sizeof(o));
}

/* ---- entry timeouts ------------------------------------------------------------ */

START_TEST(test_entry_cache_and_revalidation)
{
	struct venv e;
	unsigned m;
	uint64_t f;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, "abc");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_uint_eq(st.ino, f);
	ck_assert_int_eq(st.size, 3);
	/* Within the entry and attribute timeouts: nothing is sent. */
	vt_advance(&e, VT_SEC / 2);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	/* Expired: a revalidating LOOKUP; the same node keeps the dentry. */
	vt_advance(&e, VT_SEC);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "f");
	ck_assert_int_eq(e.fs.nodes[f].lookups, 2);
	/* Both lookups are counted: one FORGET of 2 when the dentry goes. */
	m = vt_mark(&e);
	fc_vfs_drop_caches(e.vfs);
	ck_assert_str_eq(vt_ops(&e, m), "FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, f), 2);
	ck_assert_int_eq(e.fs.nodes[f].lookups, 0);
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18 (scenario chmod_access): fuse_setattr invalidates the entry
 * of a directory whose mode changed, so the next walk through it LOOKUPs
 * it again; a file's chmod leaves its entry alone.
 */
START_TEST(test_chmod_dir_invalidates_entry)
{
	struct venv e;
	unsigned m;
	uint64_t d;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	e.fs.entry_valid = 100;
	e.fs.attr_valid = 100;
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "f", 0644, "abc");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/f", &st), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_chmod(e.p, "/mnt/d/f", 0600), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "SETATTR");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_chmod(e.p, "/mnt/d", 0700), 0);
	ck_assert_str_eq(vt_ops(&e, m), "SETATTR");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "d");
	/* Revalidated: cached again. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	venv_down(&e);
}
END_TEST

START_TEST(test_revalidation_new_nodeid)
{
	struct venv e;
	unsigned m;
	uint64_t a, b;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	a = vt_mkfile(&e, 1, "f", 0644, NULL);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_uint_eq(st.ino, a);
	b = vt_replace(&e, 1, "f");
	vt_advance(&e, 2 * VT_SEC);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	/*
	 * fuse_dentry_revalidate sees another nodeid: the new lookup goes back
	 * (FORGET b, 1), the old dentry is dropped (FORGET a, 1), and the
	 * lookup is made again (lookup_slow).
	 */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP BATCH_FORGET LOOKUP");
	ck_assert_uint_eq(vt_forgotten(&e, m, a), 1);
	ck_assert_uint_eq(vt_forgotten(&e, m, b), 1);
	ck_assert_uint_eq(st.ino, b);
	ck_assert_int_eq(e.fs.nodes[b].lookups, 1);
	venv_down(&e);
}
END_TEST

START_TEST(test_attr_timeout)
{
	struct venv e;
	unsigned m;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	e.fs.entry_valid = 10;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	vt_advance(&e, 2 * VT_SEC);
	m = vt_mark(&e);
	/* The name is still valid, the attributes are not: GETATTR only. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
	/* statx: DONT_SYNC never asks, FORCE_SYNC always does. */
	{
		struct fc_statx sx;

		vt_advance(&e, 2 * VT_SEC);
		m = vt_mark(&e);
		ck_assert_int_eq(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f",
					      FC_AT_STATX_DONT_SYNC,
					      FC_STATX_BASIC_STATS, &sx), 0);
		ck_assert_str_eq(vt_ops(&e, m), "");
		ck_assert_int_eq(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f",
					      FC_AT_STATX_FORCE_SYNC,
					      FC_STATX_BASIC_STATS, &sx), 0);
		ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
		ck_assert_uint_eq(sx.mask, FC_STATX_BASIC_STATS);
		/* Asking for the birth time tries STATX (ENOSYS here), then GETATTR. */
		ck_assert_int_eq(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f",
					      FC_AT_STATX_FORCE_SYNC,
					      FC_STATX_BASIC_STATS | FC_STATX_BTIME,
					      &sx), 0);
		ck_assert_str_eq(vt_ops(&e, m), "GETATTR STATX GETATTR");
		ck_assert_int_eq(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f",
					      FC_AT_STATX_FORCE_SYNC,
					      FC_STATX_BASIC_STATS | FC_STATX_BTIME,
					      &sx), 0);
		ck_assert_str_eq(vt_ops(&e, m), "GETATTR STATX GETATTR GETATTR");
		ck_assert_uint_eq(sx.dev_minor, 2);
	}
	venv_down(&e);
}
END_TEST

/* ---- negative entries -------------------------------------------------------------- */

START_TEST(test_negative_entry)
{
	struct venv e;
	unsigned m;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	e.fs.neg_valid = 5;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_int_eq(fc_sys_open(e.p, "/mnt/g", FC_O_RDONLY, 0), -ENOENT);
	ck_assert_int_eq(fc_sys_access(e.p, "/mnt/g/h", FC_F_OK), -ENOENT);
	/* One LOOKUP answered with nodeid 0 covers them all. */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	vt_advance(&e, 4 * VT_SEC);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	/* Expired: asked again. */
	vt_advance(&e, 2 * VT_SEC);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	/* O_CREAT on a valid negative entry: CREATE without a LOOKUP. */
	m = vt_mark(&e);
	ck_assert_int_ge(fc_sys_open(e.p, "/mnt/g", FC_O_CREAT | FC_O_WRONLY, 0644), 0);
	ck_assert_str_eq(vt_ops(&e, m), "CREATE");
	/* The created entry replaced the negative one. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "CREATE");
	/* O_EXCL and mkdir revalidate even a valid negative entry. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/h", &st), -ENOENT);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/k", &st), -ENOENT);
	m = vt_mark(&e);
	ck_assert_int_ge(fc_sys_open(e.p, "/mnt/h", FC_O_CREAT | FC_O_EXCL | FC_O_RDWR, 0600), 0);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/mnt/k", 0755), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP CREATE LOOKUP MKDIR");
	venv_down(&e);
}
END_TEST

START_TEST(test_enoent_not_cached)
{
	struct venv e;
	unsigned m;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/g", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	/* O_CREAT after a daemon ENOENT: LOOKUP then CREATE (as Linux 6.18). */
	m = vt_mark(&e);
	ck_assert_int_ge(fc_sys_open(e.p, "/mnt/g", FC_O_CREAT | FC_O_RDWR, 0600), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP CREATE");
	venv_down(&e);
}
END_TEST

/* ---- notifications ----------------------------------------------------------------- */

START_TEST(test_inval_entry)
{
	struct venv e;
	unsigned m;
	uint64_t f, d;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, NULL);
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "x", 0644, NULL);
	e.fs.entry_valid = 100;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/x", &st), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* INVAL_ENTRY drops the dentry: its node goes, the next stat asks. */
	ck_assert_int_eq(notify_entry(&e, 1, "f", 0), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FORGET LOOKUP");
	ck_assert_uint_eq(vt_forgotten(&e, m, f), 1);
	/* FUSE_EXPIRE_ONLY keeps the dentry but expires it: a revalidation. */
	m = vt_mark(&e);
	ck_assert_int_eq(notify_entry(&e, 1, "f", FC_EXPIRE_ONLY), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	/* A directory's invalidation takes its cached children along. */
	m = vt_mark(&e);
	ck_assert_int_eq(notify_entry(&e, 1, "d", 0), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/x", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "BATCH_FORGET LOOKUP LOOKUP");
	/* Linux's errors. */
	ck_assert_int_eq(notify_entry(&e, 99, "f", 0), -ENOENT);    /* parent unknown */
	ck_assert_int_eq(notify_entry(&e, f, "f", 0), -ENOTDIR);    /* not a directory */
	ck_assert_int_eq(notify_entry(&e, 1, "nope", 0), -ENOENT);  /* name not cached */
	venv_down(&e);
}
END_TEST

START_TEST(test_notify_delete)
{
	struct venv e;
	unsigned m;
	uint64_t f, d;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, NULL);
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "x", 0644, NULL);
	e.fs.entry_valid = 100;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/x", &st), 0);
	ck_assert_int_eq(notify_delete(&e, 1, f + 100, "f"), -ENOENT);
	/* A directory with a child in use cannot go; a mount point neither. */
	{
		int fd = fc_sys_open(e.p, "/mnt/d/x", FC_O_RDONLY, 0);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(notify_delete(&e, 1, d, "d"), -ENOTEMPTY);
		ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	}
	ck_assert_int_gt(fc_vfs_mount_ramfs(e.vfs, e.p, "/mnt/d", "r"), 0);
	ck_assert_int_eq(notify_delete(&e, 1, d, "d"), -EBUSY);
	ck_assert_int_eq(fc_sys_umount2(e.p, "/mnt/d", 0), 0);
	m = vt_mark(&e);
	vt_unlink_name(&e, 1, "f");
	ck_assert_int_eq(notify_delete(&e, 1, f, "f"), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "FORGET LOOKUP");
	venv_down(&e);
}
END_TEST

START_TEST(test_inval_inode_and_epoch)
{
	struct venv e;
	unsigned m;
	uint64_t f;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, "abc");
	e.fs.entry_valid = 100;
	e.fs.attr_valid = 100;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(notify_inode(&e, f), 0);
	ck_assert_int_eq(notify_inode(&e, 77), -ENOENT);
	e.fs.nodes[f].size = 2;
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
	ck_assert_int_eq(st.size, 2);
	/* INC_EPOCH makes every dentry stale at once. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_mock_notify(e.mock, FC_NOTIFY_INC_EPOCH, NULL, 0), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	venv_down(&e);
}
END_TEST

/* ---- readdir fills the dcache --------------------------------------------------------- */

START_TEST(test_readdirplus_links_entries)
{
	struct venv e;
	unsigned char buf[4096];
	unsigned m;
	long n;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_DO_READDIRPLUS | FC_READDIRPLUS_AUTO, 0);
	vt_mkfile(&e, 1, "a", 0644, NULL);
	vt_mkfile(&e, 1, "b", 0644, NULL);
	m = vt_mark(&e);
	fd = fc_sys_open(e.p, "/mnt", FC_O_RDONLY | FC_O_DIRECTORY | FC_O_NONBLOCK |
			 FC_O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	n = fc_sys_getdents64(e.p, fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* The first batch is READDIRPLUS, the next plain READDIR (AUTO). */
	ck_assert_str_eq(vt_ops(&e, m), "OPENDIR READDIRPLUS READDIR RELEASEDIR");
	ck_assert_uint_eq(((const struct fc_open_in *)vt_req(&e, m)->body)->flags,
			  0304000);
	ck_assert_uint_eq(((const struct fc_read_in *)vt_req(&e, m + 1)->body)->size,
			  4096);
	ck_assert_uint_eq(((const struct fc_read_in *)vt_req(&e, m + 2)->body)->offset,
			  4);
	/* The entries it brought are in the dcache: no LOOKUP. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/a", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/b", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	venv_down(&e);
}
END_TEST

/* ---- removed and replaced directories -------------------------------------------- */

/*
 * A removed directory gets no LOOKUP (IS_DEADDIR in __lookup_slow,
 * lookup_one_qstr_excl, lookup_open) and lists nothing (iterate_dir): from
 * a removed cwd every name is ENOENT without a request, and the dentry and
 * the node's lookup go when the cwd and the descriptor do.
 */
START_TEST(test_removed_cwd)
{
	unsigned char dents[512];
	char cwd[64];
	struct venv e;
	unsigned m;
	uint64_t d;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_DO_READDIRPLUS, 0);
	d = vt_mkdir(&e, 1, "d", 0755);
	ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/d"), 0);
	fd = fc_sys_open(e.p, ".", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_rmdir(e.p, "/mnt/d"), 0);
	ck_assert_str_eq(vt_ops(&e, m), "RMDIR");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "a", &st), -ENOENT);
	ck_assert_int_eq(fc_sys_symlink(e.p, "t", "a"), -ENOENT);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "a", 0755), -ENOENT);
	ck_assert_int_eq(fc_sys_open(e.p, "a", FC_O_CREAT | FC_O_WRONLY, 0644), -ENOENT);
	ck_assert_int_eq(fc_sys_unlink(e.p, "a"), -ENOENT);
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, dents, sizeof(dents)), -ENOENT);
	ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "");
	ck_assert_int_eq(fc_sys_chdir(e.p, "/"), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* The node goes when RELEASEDIR is answered, its FORGET at the next flush. */
	vt_pump(&e);
	fc_vfs_drop_caches(e.vfs);
	ck_assert_str_eq(vt_ops(&e, m), "RELEASEDIR FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, d), 1);
	ck_assert_int_eq(e.fs.nodes[d].lookups, 0);
	venv_down(&e);
}
END_TEST

/* Make the dentry of "/mnt/d" stale: the daemon gives the name a new node. */
static uint64_t replace_d(struct venv *e)
{
	uint64_t d2 = vt_replace(e, 1, "d");

	vt_advance(e, 2 * VT_SEC);
	ck_assert_int_eq(fc_sys_stat(e->p, "/mnt/d", &st), 0);
	ck_assert_uint_eq(st.ino, d2);
	return d2;
}

/*
 * Names looked up under a directory whose dentry was dropped (the cwd, its
 * name looked up again to another node) are not cached: nothing could find
 * them from the root, so each goes with the call (Linux keeps them under
 * the unhashed parent until memory pressure or unmount).
 */
START_TEST(test_replaced_cwd_names_not_cached)
{
	struct venv e;
	unsigned m;
	uint64_t d1, f;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d1 = vt_mkdir(&e, 1, "d", 0755);
	f = vt_mkfile(&e, d1, "f", 0644, NULL);
	ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/d"), 0);
	replace_d(&e);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "f", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "f", &st), 0);
	ck_assert_uint_eq(st.ino, f);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP FORGET LOOKUP FORGET");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, d1);
	ck_assert_uint_eq(vt_forgotten(&e, m, f), 2);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_chdir(e.p, "/"), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, d1), 1);
	ck_assert_int_eq(e.fs.nodes[f].lookups, 0);
	ck_assert_int_eq(e.fs.nodes[d1].lookups, 0);
	venv_down(&e);
}
END_TEST

/* The same for READDIRPLUS through a descriptor of such a directory. */
START_TEST(test_replaced_dir_readdirplus_not_cached)
{
	unsigned char dents[4096];
	struct venv e;
	unsigned m;
	uint64_t d1, a, b;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_DO_READDIRPLUS, 0);
	d1 = vt_mkdir(&e, 1, "d", 0755);
	a = vt_mkfile(&e, d1, "a", 0644, NULL);
	b = vt_mkdir(&e, d1, "b", 0755);
	fd = fc_sys_open(e.p, "/mnt/d", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	replace_d(&e);
	m = vt_mark(&e);
	ck_assert_int_gt(fc_sys_getdents64(e.p, fd, dents, sizeof(dents)), 0);
	ck_assert_str_eq(vt_ops(&e, m), "READDIRPLUS BATCH_FORGET");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, d1);
	ck_assert_uint_eq(vt_forgotten(&e, m, a), 1);
	ck_assert_uint_eq(vt_forgotten(&e, m, b), 1);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	vt_pump(&e);
	fc_vfs_drop_caches(e.vfs);
	/* With the new "d" dropped from the cache. */
	ck_assert_str_eq(vt_ops(&e, m), "RELEASEDIR BATCH_FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, d1), 1);
	ck_assert_int_eq(e.fs.nodes[d1].lookups, 0);
	venv_down(&e);
}
END_TEST

/* Answers the LOOKUP after the next @skip ones badly, once. */
struct lookup_fault {
	unsigned skip;
	int bad_attr;            /* an invalid size instead of -EIO */
	uint64_t node;           /* whose size */
};

static void lookup_fault_hook(struct venv *e, const struct fc_mock_req *r,
			      void *ctx)
{
	struct lookup_fault *lf = ctx;
	int now = lf->skip-- == 0;

	(void)r;
	e->fs.err[FC_LOOKUP] = now && !lf->bad_attr ? -EIO : 0;
	e->fs.nodes[lf->node].size = now && lf->bad_attr ? (uint64_t)INT64_MAX + 1 : 0;
}

static void lookup_fault(struct venv *e, struct lookup_fault *lf, unsigned skip,
			 int bad_attr, uint64_t node)
{
	lf->skip = skip;
	lf->bad_attr = bad_attr;
	lf->node = node;
	e->fs.hook = lookup_fault_hook;
	e->fs.hook_opcode = FC_LOOKUP;
	e->fs.hook_ctx = lf;
}

/*
 * A directory has one dentry (d_splice_alias): when its revalidating
 * LOOKUP fails (-EIO, or attributes that are not valid) the dentry is
 * dropped, the LOOKUP that follows finds the same node, and the old
 * dentry, still the cwd, takes the name back: getcwd() works again.
 */
START_TEST(test_failed_revalidation_keeps_dir_dentry)
{
	struct lookup_fault lf;
	char cwd[64];
	struct venv e;
	unsigned m;
	uint64_t d;
	int bad_attr;

	for (bad_attr = 0; bad_attr < 2; bad_attr++) {
		venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
		d = vt_mkdir(&e, 1, "d", 0755);
		ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/d"), 0);
		vt_advance(&e, 2 * VT_SEC);
		lookup_fault(&e, &lf, 0, bad_attr, d);
		m = vt_mark(&e);
		ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d", &st), 0);
		ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
		ck_assert_uint_eq(st.ino, d);
		ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), 7);
		ck_assert_str_eq(cwd, "/mnt/d");
		/* The name is cached again. */
		ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d", &st), 0);
		ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
		venv_down(&e);
	}
}
END_TEST

/*
 * rename("/mnt/d", "/mnt/d/b") when the revalidating LOOKUP of the source
 * fails after the target's walk went through "d": the source's LOOKUP
 * finds the directory's own dentry, the target's parent, and the rename is
 * refused as a directory moved under itself (do_renameat2: old_dentry ==
 * trap, EINVAL), with no RENAME sent.
 */
START_TEST(test_rename_dir_under_itself_after_failed_revalidation)
{
	struct lookup_fault lf;
	struct venv e;
	unsigned m;
	uint64_t d;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d = vt_mkdir(&e, 1, "d", 0755);
	e.fs.entry_valid = 0;
	lookup_fault(&e, &lf, 1, 0, d);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_rename(e.p, "/mnt/d", "/mnt/d/b"), -EINVAL);
	/* The target's walk, the failed revalidation, the source, the target. */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP LOOKUP LOOKUP");
	ck_assert_uint_eq(vt_req(&e, m + 2)->hdr.nodeid, 1);
	ck_assert_uint_eq(vt_req(&e, m + 3)->hdr.nodeid, d);
	ck_assert_str_eq(vt_name(vt_req(&e, m + 3), 0), "b");
	ck_assert_uint_eq(vt_find(&e, 1, "d"), d);
	venv_down(&e);
}
END_TEST

static void replace_on_lookup(struct venv *e, const struct fc_mock_req *r,
			      void *ctx)
{
	unsigned *skip = ctx;

	(void)r;
	if ((*skip)-- == 0)
		vt_replace(e, 1, "d");
}

/*
 * rename("/mnt/d", "/mnt/d/d") when the source's revalidating LOOKUP finds
 * a new node: the target's parent is the old directory, whose dentry was
 * dropped meanwhile.  As in Linux the RENAME goes to the old node (it is
 * not an ancestor of the new one); the moved dentry is not cached under
 * the dropped one, and both go with the call.
 */
START_TEST(test_rename_into_replaced_parent)
{
	const struct fc_mock_req *r;
	struct venv e;
	unsigned m, skip = 1;
	uint64_t d1, d2;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d1 = vt_mkdir(&e, 1, "d", 0755);
	d2 = d1 + 1;
	e.fs.entry_valid = 0;
	e.fs.hook = replace_on_lookup;
	e.fs.hook_opcode = FC_LOOKUP;
	e.fs.hook_ctx = &skip;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_rename(e.p, "/mnt/d", "/mnt/d/d"), 0);
	e.fs.hook = NULL;
	ck_assert_str_eq(vt_ops(&e, m),
			 "LOOKUP LOOKUP FORGET LOOKUP LOOKUP RENAME BATCH_FORGET");
	r = vt_last(&e, m, FC_RENAME);
	ck_assert_uint_eq(r->hdr.nodeid, 1);
	ck_assert_uint_eq(((const struct fc_rename_in *)r->body)->newdir, d1);
	ck_assert_uint_eq(vt_find(&e, d1, "d"), d2);
	ck_assert_int_eq(e.fs.nodes[d1].lookups, 0);
	ck_assert_int_eq(e.fs.nodes[d2].lookups, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	venv_down(&e);
}
END_TEST

/*
 * A directory renamed behind the kernel's back: the LOOKUP (or READDIRPLUS
 * entry) of its new name moves its dentry there (d_splice_alias ->
 * __d_unalias), cwd included, and the old name is no longer cached.  A
 * directory found inside itself is -ELOOP.
 */
START_TEST(test_dir_dentry_moves_to_new_name)
{
	unsigned char dents[4096];
	char cwd[64];
	struct venv e;
	unsigned m;
	uint64_t d;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_DO_READDIRPLUS, 0);
	e.fs.entry_valid = 100;
	d = vt_mkdir(&e, 1, "a", 0755);
	ck_assert_int_eq(fc_sys_chdir(e.p, "/mnt/a"), 0);
	vt_unlink_name(&e, 1, "a");
	vt_link_name(&e, 1, "b", d);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/b", &st), 0);
	ck_assert_uint_eq(st.ino, d);
	ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), 7);
	ck_assert_str_eq(cwd, "/mnt/b");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/a", &st), -ENOENT);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	/* fuse_direntplus_link splices the same way. */
	vt_unlink_name(&e, 1, "b");
	vt_link_name(&e, 1, "c", d);
	fd = fc_sys_open(e.p, "/mnt", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(fc_sys_getdents64(e.p, fd, dents, sizeof(dents)), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_getcwd(e.p, cwd, sizeof(cwd)), 7);
	ck_assert_str_eq(cwd, "/mnt/c");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/c", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* In itself: refused, the reply's lookup counted with the directory's. */
	vt_link_name(&e, d, "loop", d);
	ck_assert_int_eq(fc_sys_stat(e.p, "loop", &st), -ELOOP);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	ck_assert_int_eq(fc_sys_chdir(e.p, "/"), 0);
	m = vt_mark(&e);
	fc_vfs_drop_caches(e.vfs);
	ck_assert_uint_eq(vt_forgotten(&e, m, d), 4);
	ck_assert_int_eq(e.fs.nodes[d].lookups, 0);
	venv_down(&e);
}
END_TEST

/* ---- permissions -------------------------------------------------------------------- */

START_TEST(test_default_permissions_walk)
{
	struct venv e;
	struct fc_proc *user;
	unsigned m;
	uint64_t d, o;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 1);
	d = vt_mkdir(&e, 1, "d", 0700);
	vt_mkfile(&e, d, "f", 0644, NULL);
	o = vt_mkdir(&e, 1, "open", 0755);
	vt_mkfile(&e, o, "f", 0644, NULL);
	user = venv_proc(&e, 300, 1000, 1000);
	m = vt_mark(&e);
	/* MAY_EXEC on each directory from attributes, GETATTR when expired. */
	ck_assert_int_eq(fc_sys_stat(user, "/mnt/d/f", &st), -EACCES);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR LOOKUP GETATTR");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_stat(user, "/mnt/open/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	/*
	 * No ACCESS with default_permissions: the kernel decides, and a denial
	 * from attributes it did not just fetch is checked again after a
	 * GETATTR (fuse_permission).
	 */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_access(user, "/mnt/open/f", FC_W_OK), -EACCES);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_access(user, "/mnt/open/f", FC_R_OK), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* Creating in a directory one may not write to: EACCES, no CREATE. */
	ck_assert_int_eq(fc_sys_open(user, "/mnt/open/new", FC_O_CREAT | FC_O_WRONLY, 0644), -EACCES);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP GETATTR");
	/* chmod of somebody else's file: EPERM before any SETATTR. */
	ck_assert_int_eq(fc_sys_chmod(user, "/mnt/open/f", 0777), -EPERM);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP GETATTR");
	/* root passes. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/f", &st), 0);
	fc_proc_exit(user);
	venv_down(&e);
}
END_TEST

START_TEST(test_no_default_permissions)
{
	struct venv e;
	struct fc_proc *user;
	unsigned m;
	uint64_t d;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	d = vt_mkdir(&e, 1, "d", 0700);
	vt_mkfile(&e, d, "f", 0644, NULL);
	user = venv_proc(&e, 300, 1000, 1000);
	m = vt_mark(&e);
	/* The daemon decides: no GETATTR on the way, modes are not checked. */
	ck_assert_int_eq(fc_sys_stat(user, "/mnt/d/f", &st), 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	/* access() asks with ACCESS; chdir too (X_OK); F_OK with mask 0. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_access(user, "/mnt/d/f", FC_W_OK | FC_R_OK), 0);
	ck_assert_int_eq(fc_sys_chdir(user, "/mnt/d"), 0);
	ck_assert_int_eq(fc_sys_access(user, "f", FC_F_OK), 0);
	ck_assert_str_eq(vt_ops(&e, m), "ACCESS ACCESS ACCESS");
	ck_assert_uint_eq(((const struct fc_access_in *)vt_req(&e, m)->body)->mask, 6);
	ck_assert_uint_eq(((const struct fc_access_in *)vt_req(&e, m + 1)->body)->mask, 1);
	ck_assert_uint_eq(((const struct fc_access_in *)vt_req(&e, m + 2)->body)->mask, 0);
	ck_assert_uint_eq(vt_req(&e, m)->hdr.uid, 1000);
	e.fs.err[FC_ACCESS] = -EACCES;
	ck_assert_int_eq(fc_sys_access(user, "f", FC_X_OK), -EACCES);
	fc_proc_exit(user);
	venv_down(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vfs_dcache");
	TCase *tc = tcase_create("dcache");

	tcase_add_test(tc, test_entry_cache_and_revalidation);
	tcase_add_test(tc, test_chmod_dir_invalidates_entry);
	tcase_add_test(tc, test_revalidation_new_nodeid);
	tcase_add_test(tc, test_attr_timeout);
	tcase_add_test(tc, test_negative_entry);
	tcase_add_test(tc, test_enoent_not_cached);
	tcase_add_test(tc, test_inval_entry);
	tcase_add_test(tc, test_notify_delete);
	tcase_add_test(tc, test_inval_inode_and_epoch);
	tcase_add_test(tc, test_readdirplus_links_entries);
	tcase_add_test(tc, test_removed_cwd);
	tcase_add_test(tc, test_replaced_cwd_names_not_cached);
	tcase_add_test(tc, test_replaced_dir_readdirplus_not_cached);
	tcase_add_test(tc, test_failed_revalidation_keeps_dir_dentry);
	tcase_add_test(tc, test_rename_dir_under_itself_after_failed_revalidation);
	tcase_add_test(tc, test_rename_into_replaced_parent);
	tcase_add_test(tc, test_dir_dentry_moves_to_new_name);
	tcase_add_test(tc, test_default_permissions_walk);
	tcase_add_test(tc, test_no_default_permissions);
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
