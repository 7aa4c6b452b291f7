/*
 * Bad input to the syscall-like API: each call returns the errno Linux
 * returns, never crashes, and (where Linux decides before asking the file
 * system) sends no request.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

#define E(call, err) ck_assert_int_eq((long)(call), -(long)(err))
#define OK(call) ck_assert_int_ge((long)(call), 0)

static struct venv e;
static struct fc_vfs_stat st;
static char buf[8192];
static uint64_t f_id;

static void setup(void)
{
	uint64_t d;
	char name[8], target[8];
	int i;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f_id = vt_mkfile(&e, 1, "f", 0644, "data");
	d = vt_mkdir(&e, 1, "d", 0755);
	vt_mkfile(&e, d, "x", 0644, NULL);
	vt_mklink(&e, 1, "l", "f");
	vt_mklink(&e, 1, "loop", "loop");
	/* c1 -> c2 -> ... -> c40 -> f: 40 links; c0 makes 41. */
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		if (i == 40)
			snprintf(target, sizeof(target), "f");
		else
			snprintf(target, sizeof(target), "c%d", i + 1);
		vt_mklink(&e, 1, name, target);
	}
	e.fs.entry_valid = 1000;
	e.fs.attr_valid = 1000;
}

static void teardown(void)
{
	venv_down(&e);
}

START_TEST(test_null_and_names)
{
	char *longpath = malloc(FC_VFS_PATH_MAX + 1);
	char comp[300];
	size_t i;

	E(fc_sys_open(NULL, "/mnt/f", 0, 0), EFAULT);
	E(fc_sys_open(e.p, NULL, 0, 0), EFAULT);
	E(fc_sys_open(e.p, "", 0, 0), ENOENT);
	E(fc_sys_stat(e.p, NULL, &st), EFAULT);
	E(fc_sys_stat(e.p, "/mnt/f", NULL), EFAULT);
	E(fc_sys_stat(NULL, "/mnt/f", &st), EFAULT);
	E(fc_sys_close(NULL, 0), EFAULT);
	E(fc_sys_mkdir(e.p, NULL, 0755), EFAULT);
	E(fc_sys_rename(e.p, "/mnt/f", NULL), EFAULT);
	E(fc_sys_umount2(e.p, NULL, 0), EFAULT);
	E(fc_sys_getcwd(NULL, buf, 10), EFAULT);
	E(fc_vfs_mount_get(e.vfs, 0, NULL), EFAULT);
	/* PATH_MAX counts the NUL: 4095 characters pass, 4096 do not. */
	memcpy(longpath, "/mnt", 4);
	for (i = 4; i + 2 <= FC_VFS_PATH_MAX - 1; i += 2)
		memcpy(longpath + i, "/.", 2);
	while (i < FC_VFS_PATH_MAX - 1)
		longpath[i++] = '/';
	longpath[i] = 0;
	ck_assert_uint_eq(strlen(longpath), FC_VFS_PATH_MAX - 1);
	OK(fc_sys_stat(e.p, longpath, &st));
	longpath[i++] = '/';
	longpath[i] = 0;
	E(fc_sys_stat(e.p, longpath, &st), ENAMETOOLONG);
	E(fc_sys_open(e.p, longpath, 0, 0), ENAMETOOLONG);
	E(fc_sys_mkdir(e.p, longpath, 0755), ENAMETOOLONG);
	/* NAME_MAX on ramfs; a FUSE name is limited by name_max (it goes out). */
	memset(comp, 'a', sizeof(comp));
	comp[0] = '/';
	comp[257] = 0;
	E(fc_sys_stat(e.p, comp, &st), ENAMETOOLONG);
	E(fc_sys_mkdir(e.p, comp, 0755), ENAMETOOLONG);
	comp[256] = 0;
	E(fc_sys_stat(e.p, comp, &st), ENOENT);
	{
		char fusename[400] = "/mnt/";
		unsigned m = vt_mark(&e);

		memset(fusename + 5, 'b', 300);
		fusename[305] = 0;
		E(fc_sys_stat(e.p, fusename, &st), ENOENT);
		ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	}
	free(longpath);
}
END_TEST

START_TEST(test_open_errors)
{
	unsigned m;
	int fd;

	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/x", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	ck_assert_int_eq(fc_sys_lstat(e.p, "/mnt/l", &st), 0);
	m = vt_mark(&e);
	E(fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY | FC_O_DIRECTORY, 0), ENOTDIR);
	E(fc_sys_open(e.p, "/mnt/d", FC_O_WRONLY, 0), EISDIR);
	E(fc_sys_open(e.p, "/mnt/d", FC_O_RDWR, 0), EISDIR);
	E(fc_sys_open(e.p, "/mnt/d", FC_O_RDONLY | FC_O_TRUNC, 0), EISDIR);
	E(fc_sys_open(e.p, "/mnt/d", FC_O_RDONLY | FC_O_CREAT, 0644), EISDIR);
	E(fc_sys_open(e.p, "/", FC_O_RDONLY | FC_O_CREAT, 0644), EISDIR);
	E(fc_sys_open(e.p, "/mnt/f/x", FC_O_RDONLY, 0), ENOTDIR);
	E(fc_sys_open(e.p, "/mnt/f/", FC_O_RDONLY, 0), ENOTDIR);
	E(fc_sys_open(e.p, "/mnt/x", FC_O_CREAT | FC_O_DIRECTORY, 0644), EINVAL);
	E(fc_sys_open(e.p, "/mnt/l", FC_O_RDONLY | FC_O_NOFOLLOW, 0), ELOOP);
	E(fc_sys_open(e.p, "/mnt/f", FC_O_RDWR | 020000000, 0644), EOPNOTSUPP);
	E(fc_sys_open(e.p, "/mnt/d/x", FC_O_CREAT | FC_O_EXCL, 0644), EEXIST);
	/* None of these reached the daemon but the EXCL revalidation. */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP");
	E(fc_sys_open(e.p, "/mnt/new/", FC_O_CREAT | FC_O_WRONLY, 0644), EISDIR);
	E(fc_sys_open(e.p, "/mnt/nope/x", FC_O_RDONLY, 0), ENOENT);
	E(fc_sys_open(e.p, "/newfile", FC_O_CREAT | FC_O_WRONLY, 0644), EPERM);
	E(fc_sys_openat(e.p, 77, "x", FC_O_RDONLY, 0), EBADF);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	E(fc_sys_openat(e.p, fd, "x", FC_O_RDONLY, 0), ENOTDIR);
	OK(fc_sys_openat(e.p, fd, "/mnt/d", FC_O_RDONLY, 0));
	/* O_PATH on the link itself. */
	OK(fc_sys_open(e.p, "/mnt/l", FC_O_PATH | FC_O_NOFOLLOW, 0));
}
END_TEST

START_TEST(test_symlink_limits)
{
	unsigned m;

	m = vt_mark(&e);
	E(fc_sys_stat(e.p, "/mnt/loop", &st), ELOOP);
	/* 40 READLINKs, the 41st link is refused. */
	ck_assert_uint_eq(fc_mock_count(e.mock, FC_READLINK), 40);
	(void)m;
	OK(fc_sys_stat(e.p, "/mnt/c1", &st));
	ck_assert_uint_eq(st.ino, f_id);
	E(fc_sys_stat(e.p, "/mnt/c0", &st), ELOOP);
	/* Not following the last one is fine. */
	OK(fc_sys_lstat(e.p, "/mnt/c0", &st));
	/* Through a link in the middle of a path. */
	E(fc_sys_stat(e.p, "/mnt/c0/x", &st), ELOOP);
	E(fc_sys_stat(e.p, "/mnt/l/x", &st), ENOTDIR);
}
END_TEST

START_TEST(test_descriptor_errors)
{
	struct fc_vfs_flock l;
	int64_t off = -1;
	unsigned m;
	int rd, wr, dfd, pfd;

	rd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	wr = fc_sys_open(e.p, "/mnt/f", FC_O_WRONLY, 0);
	dfd = fc_sys_open(e.p, "/mnt/d", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	pfd = fc_sys_open(e.p, "/mnt/f", FC_O_PATH, 0);
	OK(rd);
	OK(wr);
	OK(dfd);
	OK(pfd);
	m = vt_mark(&e);
	E(fc_sys_close(e.p, -1), EBADF);
	E(fc_sys_close(e.p, 1000), EBADF);
	E(fc_sys_close(e.p, FC_VFS_NOFILE + 5), EBADF);
	E(fc_sys_read(e.p, wr, buf, 1), EBADF);
	E(fc_sys_write(e.p, rd, "x", 1), EBADF);
	E(fc_sys_write(e.p, dfd, "x", 1), EBADF);
	E(fc_sys_read(e.p, dfd, buf, 1), EISDIR);
	E(fc_sys_read(e.p, pfd, buf, 1), EBADF);
	E(fc_sys_write(e.p, pfd, "x", 1), EBADF);
	E(fc_sys_read(e.p, 99, buf, 1), EBADF);
	E(fc_sys_read(e.p, rd, NULL, 10), EFAULT);
	E(fc_sys_pread(e.p, rd, buf, 1, -1), EINVAL);
	E(fc_sys_pwrite(e.p, wr, "x", 1, -1), EINVAL);
	E(fc_sys_readv(e.p, rd, NULL, 2), EFAULT);
	E(fc_sys_readv(e.p, rd, NULL, -1), EINVAL);
	E(fc_sys_writev(e.p, wr, NULL, 1025), EINVAL);
	E(fc_sys_lseek(e.p, rd, 0, 99), EINVAL);
	E(fc_sys_lseek(e.p, pfd, 0, FC_SEEK_SET), EBADF);
	E(fc_sys_lseek(e.p, rd, -5, FC_SEEK_SET), EINVAL);
	E(fc_sys_lseek(e.p, 99, 0, FC_SEEK_SET), EBADF);
	E(fc_sys_dup(e.p, -1), EBADF);
	E(fc_sys_dup2(e.p, rd, -1), EBADF);
	E(fc_sys_dup2(e.p, rd, FC_VFS_NOFILE), EBADF);
	E(fc_sys_dup2(e.p, 99, 98), EBADF);
	E(fc_sys_dup3(e.p, rd, rd, 0), EINVAL);
	E(fc_sys_dup3(e.p, rd, 50, 1), EINVAL);
	E(fc_sys_fcntl(e.p, rd, 12345, 0), EINVAL);
	E(fc_sys_fcntl(e.p, rd, FC_F_DUPFD, -1), EINVAL);
	E(fc_sys_fcntl(e.p, rd, FC_F_DUPFD, FC_VFS_NOFILE), EINVAL);
	E(fc_sys_fcntl(e.p, 99, FC_F_GETFD, 0), EBADF);
	E(fc_sys_fcntl(e.p, pfd, FC_F_SETFL, FC_O_APPEND), EBADF);
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_SETLK, NULL), EFAULT);
	memset(&l, 0, sizeof(l));
	l.l_type = 7;
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_SETLK, &l), EINVAL);
	l.l_type = FC_F_WRLCK;
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_SETLK, &l), EBADF);
	l.l_type = FC_F_UNLCK;
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_GETLK, &l), EINVAL);
	l.l_type = FC_F_RDLCK;
	l.l_whence = 9;
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_SETLK, &l), EINVAL);
	l.l_whence = FC_SEEK_SET;
	l.l_start = -5;
	E(fc_sys_fcntl_lock(e.p, rd, FC_F_SETLK, &l), EINVAL);
	l.l_start = 0;
	E(fc_sys_fcntl_lock(e.p, rd, 99, &l), EINVAL);
	E(fc_sys_fcntl_lock(e.p, pfd, FC_F_SETLK, &l), EBADF);
	E(fc_sys_flock(e.p, rd, 0), EINVAL);
	E(fc_sys_flock(e.p, 99, FC_LOCK_EX), EBADF);
	E(fc_sys_flock(e.p, pfd, FC_LOCK_EX), EBADF);
	E(fc_sys_fsync(e.p, 99), EBADF);
	E(fc_sys_fsync(e.p, pfd), EBADF);
	E(fc_sys_ftruncate(e.p, rd, 1), EINVAL);
	E(fc_sys_ftruncate(e.p, wr, -1), EINVAL);
	E(fc_sys_ftruncate(e.p, dfd, 0), EINVAL);
	E(fc_sys_fallocate(e.p, rd, 0, 0, 1), EBADF);
	E(fc_sys_fallocate(e.p, wr, 0, 0, 0), EINVAL);
	E(fc_sys_fallocate(e.p, wr, 0, -1, 1), EINVAL);
	E(fc_sys_fallocate(e.p, wr, FC_FALLOC_FL_PUNCH_HOLE, 0, 1), EOPNOTSUPP);
	E(fc_sys_getdents64(e.p, rd, buf, sizeof(buf)), ENOTDIR);
	E(fc_sys_getdents64(e.p, dfd, NULL, 100), EFAULT);
	E(fc_sys_getdents64(e.p, pfd, buf, sizeof(buf)), EBADF);
	E(fc_sys_fstat(e.p, 99, &st), EBADF);
	E(fc_sys_fstat(e.p, rd, NULL), EFAULT);
	E(fc_sys_copy_file_range(e.p, rd, NULL, wr, NULL, 1, 1), EINVAL);
	E(fc_sys_copy_file_range(e.p, rd, &off, wr, NULL, 1, 0), EINVAL);
	E(fc_sys_copy_file_range(e.p, wr, NULL, rd, NULL, 1, 0), EBADF);
	E(fc_sys_copy_file_range(e.p, dfd, NULL, wr, NULL, 1, 0), EISDIR);
	E(fc_sys_fgetxattr(e.p, pfd, "user.a", buf, 1), EBADF);
	/* All decided before any request. */
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* fstat works on an O_PATH descriptor; FALLOCATE's ENOSYS is EOPNOTSUPP. */
	OK(fc_sys_fstat(e.p, pfd, &st));
	E(fc_sys_fallocate(e.p, wr, 0, 0, 1), EOPNOTSUPP);
	E(fc_sys_fallocate(e.p, wr, 0, 0, 1), EOPNOTSUPP);
	ck_assert_uint_eq(fc_mock_count(e.mock, FC_FALLOCATE), 1);
}
END_TEST

START_TEST(test_path_errors)
{
	struct fc_vfs_timespec ts[2];
	struct fc_statx sx;
	char name[300];
	unsigned m;
	int fd;

	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/d/x", &st), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	E(fc_sys_fstatat(e.p, FC_AT_FDCWD, "/mnt/f", &st, 0x1), EINVAL);
	E(fc_sys_fstatat(e.p, fd, "x", &st, 0), ENOTDIR);
	E(fc_sys_fstatat(e.p, 77, "x", &st, 0), EBADF);
	OK(fc_sys_fstatat(e.p, 77, "/mnt/f", &st, 0));
	OK(fc_sys_fstatat(e.p, fd, "", &st, FC_AT_EMPTY_PATH));
	E(fc_sys_fstatat(e.p, fd, "", &st, 0), ENOENT);
	E(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f", 0x1, 0, &sx), EINVAL);
	E(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f",
		       FC_AT_STATX_FORCE_SYNC | FC_AT_STATX_DONT_SYNC, 0, &sx), EINVAL);
	E(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f", 0, 0x80000000u, &sx), EINVAL);
	E(fc_sys_statx(e.p, FC_AT_FDCWD, "/mnt/f", 0, 0, NULL), EFAULT);
	E(fc_sys_access(e.p, "/mnt/f", 8), EINVAL);
	E(fc_sys_faccessat(e.p, FC_AT_FDCWD, "/mnt/f", 0, 0x1), EINVAL);
	m = vt_mark(&e);
	E(fc_sys_mkdir(e.p, "/", 0755), EEXIST);
	E(fc_sys_mkdir(e.p, "/mnt/d/..", 0755), EEXIST);
	E(fc_sys_mkdir(e.p, "/mnt/f/x", 0755), ENOTDIR);
	E(fc_sys_rmdir(e.p, "/mnt/d/."), EINVAL);
	E(fc_sys_rmdir(e.p, "/mnt/d/.."), ENOTEMPTY);
	E(fc_sys_rmdir(e.p, "/"), EBUSY);
	E(fc_sys_rmdir(e.p, "/mnt"), EBUSY);
	E(fc_sys_rmdir(e.p, "/mnt/f"), ENOTDIR);
	E(fc_sys_unlink(e.p, "/mnt/d"), EISDIR);
	E(fc_sys_unlink(e.p, "/mnt/f/"), ENOTDIR);
	E(fc_sys_unlink(e.p, "/mnt/."), EISDIR);
	E(fc_sys_unlinkat(e.p, FC_AT_FDCWD, "/mnt/f", 0x1), EINVAL);
	E(fc_sys_rename(e.p, "/mnt/d", "/mnt/d/sub"), EINVAL);
	E(fc_sys_rename(e.p, "/mnt/f", "/z"), EXDEV);
	E(fc_sys_rename(e.p, "/mnt/.", "/mnt/z"), EBUSY);
	E(fc_sys_renameat2(e.p, FC_AT_FDCWD, "/mnt/f", FC_AT_FDCWD, "/mnt/g", 8), EINVAL);
	E(fc_sys_renameat2(e.p, FC_AT_FDCWD, "/mnt/f", FC_AT_FDCWD, "/mnt/g",
			   FC_RENAME_NOREPLACE | FC_RENAME_EXCHANGE), EINVAL);
	E(fc_sys_link(e.p, "/mnt/f", "/mnt/x/../x/q"), ENOENT);
	E(fc_sys_linkat(e.p, FC_AT_FDCWD, "/mnt/f", FC_AT_FDCWD, "/mnt/q", 0x1), EINVAL);
	E(fc_sys_symlink(e.p, "", "/mnt/s"), ENOENT);
	E(fc_sys_symlink(e.p, NULL, "/mnt/s"), EFAULT);
	E(fc_sys_readlink(e.p, "/mnt/l", buf, 0), EINVAL);
	E(fc_sys_readlink(e.p, "/mnt/f", buf, 10), EINVAL);
	E(fc_sys_chdir(e.p, "/mnt/f"), ENOTDIR);
	E(fc_sys_fchdir(e.p, fd), ENOTDIR);
	E(fc_sys_getcwd(e.p, buf, 1), ERANGE);
	E(fc_sys_getcwd(e.p, NULL, 10), EFAULT);
	E(fc_sys_truncate(e.p, "/mnt/d", 1), EISDIR);
	E(fc_sys_truncate(e.p, "/mnt/f", -1), EINVAL);
	E(fc_sys_truncate(e.p, "/", 0), EISDIR);
	E(fc_sys_umount2(e.p, "/mnt/d", 0), EINVAL);
	E(fc_sys_umount2(e.p, "/", 0), EBUSY);
	E(fc_sys_umount2(e.p, "/mnt", FC_MNT_DETACH | FC_MNT_EXPIRE), EINVAL);
	E(fc_sys_mknodat(e.p, FC_AT_FDCWD, "/mnt/n", FC_S_IFDIR | 0755, 0), EPERM);
	E(fc_sys_mknodat(e.p, FC_AT_FDCWD, "/mnt/n", 0170000, 0), EINVAL);
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = 2000000000;
	ts[1] = ts[0];
	E(fc_sys_utimensat(e.p, FC_AT_FDCWD, "/mnt/f", ts, 0), EINVAL);
	E(fc_sys_utimensat(e.p, FC_AT_FDCWD, "/mnt/f", NULL, 0x1), EINVAL);
	E(fc_sys_futimens(e.p, FC_AT_FDCWD, NULL), EBADF);
	E(fc_sys_setxattr(e.p, "/mnt/f", NULL, "v", 1, 0), EFAULT);
	memset(name, 'u', sizeof(name));
	name[299] = 0;
	E(fc_sys_getxattr(e.p, "/mnt/f", name, buf, 1), ERANGE);
	E(fc_sys_setxattr(e.p, "/mnt/f", "user.a", buf, FC_XATTR_SIZE_MAX + 1, 0), E2BIG);
	E(fc_sys_setxattr(e.p, "/mnt/f", "user.a", NULL, 5, 0), EFAULT);
	E(fc_sys_statfs(e.p, "/mnt/f", NULL), EFAULT);
	/*
	 * The daemon saw only the rename target's LOOKUP (made before the
	 * loop check, as Linux) and the link's missing directory.
	 */
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP LOOKUP");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "sub");
	ck_assert_str_eq(vt_name(vt_req(&e, m + 1), 0), "x");
	/* Daemon-decided errors. */
	E(fc_sys_rmdir(e.p, "/mnt/d"), ENOTEMPTY);
	E(fc_sys_mkdir(e.p, "/mnt/f", 0755), EEXIST);
	E(fc_sys_rename(e.p, "/mnt/f", "/mnt/d"), EISDIR);
	E(fc_sys_rename(e.p, "/mnt/d", "/mnt/f"), ENOTDIR);
	E(fc_sys_renameat2(e.p, FC_AT_FDCWD, "/mnt/f", FC_AT_FDCWD, "/mnt/l",
			   FC_RENAME_NOREPLACE), EEXIST);
	E(fc_sys_link(e.p, "/mnt/d", "/mnt/d2"), EPERM);
	E(fc_sys_link(e.p, "/mnt/f", "/mnt/d"), EEXIST);
	E(fc_sys_symlink(e.p, "x", "/mnt/f"), EEXIST);
	m = vt_mark(&e);
	OK(fc_sys_rename(e.p, "/mnt/f", "/mnt/f"));
	ck_assert_int_eq(fc_mock_count(e.mock, FC_RENAME), 0);
	ck_assert_int_eq(fc_sys_readlink(e.p, "/mnt/l", buf, 1), 1);
	ck_assert_int_eq(buf[0], 'f');
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
}
END_TEST

START_TEST(test_process_errors)
{
	struct fc_proc *q;
	struct fc_vfs_cred cred;

	E(fc_proc_fork(NULL, 1, 0, &q), EFAULT);
	E(fc_proc_fork(e.p, 1, 0x80, &q), EINVAL);
	E(fc_proc_new(NULL, 1, NULL, &q), EFAULT);
	E(fc_proc_set_cred(e.p, NULL), EFAULT);
	E(fc_proc_exec(NULL), EFAULT);
	memset(&cred, 0, sizeof(cred));
	cred.ngroups = 1000;
	ck_assert_int_eq(fc_proc_set_cred(e.p, &cred), 0);
	ck_assert_uint_eq(fc_proc_cred(e.p)->ngroups, FC_VFS_NGROUPS_MAX);
	ck_assert_uint_eq(fc_proc_umask(e.p, 0777 | 07000), 022);
	ck_assert_uint_eq(fc_proc_umask(e.p, 022), 0777);
	fc_proc_exit(NULL);
	fc_proc_interrupt(NULL, 1);
	fc_vfs_free(NULL);
	fc_vfs_drop_caches(NULL);
	E(fc_vfs_new(NULL, NULL), EFAULT);
	E(fc_vfs_mountinfo(e.vfs, NULL, 10), EFAULT);
	ck_assert_int_gt(fc_vfs_mountinfo(e.vfs, NULL, 0), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vfs_errno");
	TCase *tc = tcase_create("errno");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_null_and_names);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_symlink_limits);
	tcase_add_test(tc, test_descriptor_errors);
	tcase_add_test(tc, test_path_errors);
	tcase_add_test(tc, test_process_errors);
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
