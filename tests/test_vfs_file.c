/*
 * Files and processes in the simulated VFS: deferred close (FLUSH outside
 * every VFS lock, RELEASE after the last reference), dup, fork and exec,
 * lock owners, local and remote POSIX locks and flock, I/O flags, lseek,
 * truncation, setattr calls, copy_file_range, xattrs, readdir.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

static struct fc_vfs_stat st;

#define BODY(e, i, type) ((const type *)vt_req((e), (i))->body)

/* ---- close -------------------------------------------------------------------- */

struct nest {
	int fd2;
	int held;
	int dup_ret;
	int close_ret;
	int ran;
};

/* From inside the daemon's FLUSH: more descriptor-table calls. */
static void nested_on_flush(struct venv *e, const struct fc_mock_req *r,
			    void *ctx)
{
	struct nest *n = ctx;

	(void)r;
	if (n->ran++)
		return;
	n->held = venv_vfs_locks_held();
	n->dup_ret = fc_sys_dup(e->p, n->fd2);
	n->close_ret = fc_sys_close(e->p, n->dup_ret);
}

START_TEST(test_close_flushes_outside_locks)
{
	struct venv e;
	struct nest n;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	vt_mkfile(&e, 1, "g", 0644, NULL);
	memset(&n, 0, sizeof(n));
	n.held = -1;
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	n.fd2 = fc_sys_open(e.p, "/mnt/g", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(n.fd2, 0);
	e.fs.hook = nested_on_flush;
	e.fs.hook_opcode = FC_FLUSH;
	e.fs.hook_ctx = &n;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	e.fs.hook = NULL;
	/* While the daemon handled FLUSH no VFS lock was held ... */
	ck_assert_int_eq(n.held, 0);
	/* ... so the descriptor table worked from inside it. */
	ck_assert_int_eq(n.dup_ret, fd);
	ck_assert_int_eq(n.close_ret, 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH FLUSH RELEASE");
	ck_assert_uint_eq(vt_req(&e, m + 2)->hdr.nodeid, vt_find(&e, 1, "f"));
	/* The descriptor is gone; the other file is still open. */
	ck_assert_int_eq(fc_sys_close(e.p, fd), -EBADF);
	ck_assert_int_eq(fc_sys_close(e.p, n.fd2), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_dup_flush_each_release_last)
{
	struct venv e;
	unsigned m;
	int fd, fd2, fd3;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_WRONLY | FC_O_APPEND, 0);
	ck_assert_int_ge(fd, 0);
	fd2 = fc_sys_dup(e.p, fd);
	fd3 = fc_sys_fcntl(e.p, fd, FC_F_DUPFD_CLOEXEC, 10);
	ck_assert_int_eq(fd2, fd + 1);
	ck_assert_int_eq(fd3, 10);
	ck_assert_int_eq(fc_sys_fcntl(e.p, fd3, FC_F_GETFD, 0), FC_FD_CLOEXEC);
	ck_assert_int_eq(fc_sys_fcntl(e.p, fd2, FC_F_GETFD, 0), 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd2), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd3), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH FLUSH");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH FLUSH FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_flush_in)->lock_owner,
			  fc_proc_lock_owner(e.p));
	ck_assert_uint_eq(vt_req(&e, m)->hdr.pid, 100);
	ck_assert_uint_eq(vt_req(&e, m + 3)->hdr.pid, 0);
	ck_assert_uint_eq(BODY(&e, m + 3, struct fc_release_in)->flags, 0102001);
	/* dup2 over an open descriptor closes it first (a FLUSH). */
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	fd2 = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_dup2(e.p, fd, fd2), fd2);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE");
	ck_assert_int_eq(fc_sys_dup2(e.p, fd, fd), fd);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd2), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE FLUSH FLUSH RELEASE");
	venv_down(&e);
}
END_TEST

START_TEST(test_flush_error_returned)
{
	struct venv e;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	e.fs.err[FC_FLUSH] = -EIO;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), -EIO);
	ck_assert_int_eq(fc_sys_close(e.p, fd), -EBADF);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE");
	/* ENOSYS: success, and no FLUSH from then on. */
	e.fs.err[FC_FLUSH] = -ENOSYS;
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE OPEN FLUSH RELEASE OPEN RELEASE");
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18 (scenario exit_closes): exit_files -> close_files FLUSHes
 * every open descriptor in order (filp_close); the final fputs run
 * afterwards as task work, last queued first.  A file open on two
 * descriptors is FLUSHed twice and RELEASEd where its last fput queued.
 */
START_TEST(test_exit_flushes_all_then_releases_in_reverse)
{
	struct venv e;
	struct fc_proc *child;
	uint64_t fh[3];
	unsigned m, i;
	int fd[3];

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "0123456789");
	e.tagging = 1;
	ck_assert_int_eq(fc_proc_fork(e.p, 101, 0, &child), 0);
	e.tagging = 0;
	for (i = 0; i < 3; i++) {
		m = vt_mark(&e);
		fd[i] = fc_sys_open(child, "/mnt/f", FC_O_RDONLY, 0);
		ck_assert_int_eq(fd[i], (int)i);
	}
	/* fd 3 is a second descriptor of the first file. */
	ck_assert_int_eq(fc_sys_dup(child, fd[0]), 3);
	m = vt_mark(&e);
	fc_proc_exit(child);
	ck_assert_str_eq(vt_ops(&e, m),
			 "FLUSH FLUSH FLUSH FLUSH RELEASE RELEASE RELEASE");
	for (i = 0; i < 3; i++)
		fh[i] = BODY(&e, m + i, struct fc_flush_in)->fh;
	ck_assert_uint_ne(fh[0], fh[1]);
	ck_assert_uint_ne(fh[1], fh[2]);
	ck_assert_uint_eq(BODY(&e, m + 3, struct fc_flush_in)->fh, fh[0]);
	/* Queued: f2 (fd 1), f3 (fd 2), f1 (fd 3); run last first. */
	ck_assert_uint_eq(BODY(&e, m + 4, struct fc_release_in)->fh, fh[0]);
	ck_assert_uint_eq(BODY(&e, m + 5, struct fc_release_in)->fh, fh[2]);
	ck_assert_uint_eq(BODY(&e, m + 6, struct fc_release_in)->fh, fh[1]);
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18 (scenario fallocate_fd): fuse_file_fallocate calls
 * file_modified() for every mode, so fallocate(FALLOC_FL_KEEP_SIZE)
 * probes security.capability too (ENODATA is asked again each time;
 * ENOSYS would be remembered).
 */
START_TEST(test_fallocate_keep_size_probes_privs)
{
	struct venv e;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "0123456789");
	e.fs.err[FC_GETXATTR] = -ENODATA;
	e.fs.err[FC_FALLOCATE] = -EIO;
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_fallocate(e.p, fd, FC_FALLOC_FL_KEEP_SIZE, 0, 4096),
			 -EIO);
	ck_assert_str_eq(vt_ops(&e, m), "GETXATTR FALLOCATE");
	ck_assert_str_eq(vt_name(vt_req(&e, m), sizeof(struct fc_getxattr_in)),
			 "security.capability");
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_fallocate(e.p, fd, 0, 0, 4096), -EIO);
	ck_assert_str_eq(vt_ops(&e, m), "GETXATTR FALLOCATE");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18 (scenarios open_flags_*): with ATOMIC_O_TRUNC, open(O_TRUNC)
 * of an existing file sends OPEN (carrying O_TRUNC), then handle_truncate
 * -> do_truncate probes security.capability (GETXATTR, ENODATA: asked
 * again next time).
 */
START_TEST(test_open_trunc_probes_privs_after_open)
{
	struct venv e;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_ATOMIC_O_TRUNC, 0);
	vt_mkfile(&e, 1, "f", 0644, "0123456789");
	e.fs.err[FC_GETXATTR] = -ENODATA;
	m = vt_mark(&e);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_WRONLY | FC_O_TRUNC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP OPEN GETXATTR");
	ck_assert_str_eq(vt_name(vt_last(&e, m, FC_GETXATTR),
				 sizeof(struct fc_getxattr_in)),
			 "security.capability");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* Without O_TRUNC: no probe. */
	m = vt_mark(&e);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_WRONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert(strstr(vt_ops(&e, m), "GETXATTR") == NULL);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/*
 * fuse_dir_operations seeks with generic_file_llseek: SEEK_END of a
 * directory uses the cached size and sends nothing, even with the
 * attributes timed out or the directory removed (Linux 6.18 in writeback
 * mode: lseek(dirfd, -18, SEEK_END) = 4078 after rmdir, with no GETATTR).
 */
START_TEST(test_dir_seek_end_uses_cached_size)
{
	struct fc_vfs_stat st;
	struct venv e;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/mnt/d", 0755), 0);
	fd = fc_sys_open(e.p, "/mnt/d", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_fstat(e.p, fd, &st), 0);
	ck_assert_int_eq(fc_sys_rmdir(e.p, "/mnt/d"), 0);
	vt_advance(&e, 2 * VT_SEC);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 18, FC_SEEK_END), st.size + 18);
	ck_assert_str_eq(vt_ops(&e, m), "");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_fork_and_exec)
{
	struct venv e;
	struct fc_proc *child, *thread;
	unsigned m;
	int fd, cfd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "0123456789");
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 4, FC_SEEK_SET), 4);
	e.tagging = 1;
	ck_assert_int_eq(fc_proc_fork(e.p, 101, 0, &child), 0);
	ck_assert_int_eq(fc_proc_fork(e.p, 102, FC_PROC_SHARE_FILES, &thread), 0);
	e.tagging = 0;
	/* Its own table: its own lock owner; a thread shares the parent's. */
	ck_assert_uint_ne(fc_proc_lock_owner(child), fc_proc_lock_owner(e.p));
	ck_assert_uint_ne(fc_proc_lock_owner(child), 0);
	ck_assert_uint_eq(fc_proc_lock_owner(thread), fc_proc_lock_owner(e.p));
	/* The open file description is shared: so is the offset. */
	ck_assert_int_eq(fc_sys_lseek(child, fd, 2, FC_SEEK_CUR), 6);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, FC_SEEK_CUR), 6);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(child, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH");
	ck_assert_uint_eq(BODY(&e, m, struct fc_flush_in)->lock_owner,
			  fc_proc_lock_owner(child));
	ck_assert_uint_eq(vt_req(&e, m)->hdr.pid, 101);
	/* exec: close-on-exec descriptors go, the others stay. */
	cfd = fc_sys_open(child, "/mnt/f", FC_O_RDONLY | FC_O_CLOEXEC, 0);
	ck_assert_int_ge(cfd, 0);
	ck_assert_int_eq(fc_sys_fcntl(child, cfd, FC_F_GETFD, 0), FC_FD_CLOEXEC);
	m = vt_mark(&e);
	e.tagging = 1;
	ck_assert_int_eq(fc_proc_exec(child), 0);
	e.tagging = 0;
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE");
	ck_assert_int_eq(fc_sys_close(child, cfd), -EBADF);
	/* A thread that execs gets a table (and lock owner) of its own. */
	e.tagging = 1;
	ck_assert_int_eq(fc_proc_exec(thread), 0);
	e.tagging = 0;
	ck_assert_uint_ne(fc_proc_lock_owner(thread), fc_proc_lock_owner(e.p));
	m = vt_mark(&e);
	fc_proc_exit(thread);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH");
	fc_proc_exit(child);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE");
	venv_down(&e);
}
END_TEST

/* ---- locks -------------------------------------------------------------------------- */

static struct fc_vfs_flock lk(int type, int64_t start, int64_t len)
{
	struct fc_vfs_flock l;

	memset(&l, 0, sizeof(l));
	l.l_type = (int16_t)type;
	l.l_whence = FC_SEEK_SET;
	l.l_start = start;
	l.l_len = len;
	return l;
}

START_TEST(test_local_posix_locks)
{
	struct venv e;
	struct fc_proc *b;
	struct fc_vfs_flock l;
	unsigned m;
	int fd, fd2, bfd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	ck_assert_int_eq(fc_conn_info(e.conn)->posix_locks, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	fd2 = fc_sys_dup(e.p, fd);
	b = venv_proc(&e, 200, 0, 0);
	bfd = fc_sys_open(b, "/mnt/f", FC_O_RDWR, 0);
	m = vt_mark(&e);
	l = lk(FC_F_WRLCK, 0, 10);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_SETLK, &l), 0);
	l = lk(FC_F_WRLCK, 5, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_GETLK, &l), 0);
	ck_assert_int_eq(l.l_type, FC_F_WRLCK);
	ck_assert_int_eq(l.l_start, 0);
	ck_assert_int_eq(l.l_len, 10);
	ck_assert_int_eq(l.l_pid, 100);
	l = lk(FC_F_RDLCK, 9, 5);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLK, &l), -EAGAIN);
	l = lk(FC_F_RDLCK, 10, 5);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLK, &l), 0);
	/* The owner's own locks never conflict. */
	l = lk(FC_F_WRLCK, 2, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_GETLK, &l), 0);
	ck_assert_int_eq(l.l_type, FC_F_UNLCK);
	/* Closing any descriptor of the file drops the process's locks. */
	ck_assert_int_eq(fc_sys_close(e.p, fd2), 0);
	l = lk(FC_F_WRLCK, 0, 10);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLK, &l), 0);
	/* The lock calls themselves sent nothing. */
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	fc_proc_exit(b);
	venv_down(&e);
}
END_TEST

START_TEST(test_remote_posix_locks)
{
	struct venv e;
	struct fc_vfs_flock l;
	const struct fc_lk_in *in;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_POSIX_LOCKS, 0);
	ck_assert_int_eq(fc_conn_info(e.conn)->posix_locks, 1);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	m = vt_mark(&e);
	l = lk(FC_F_WRLCK, 100, 10);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_SETLK, &l), 0);
	l = lk(FC_F_RDLCK, 0, 0);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_SETLKW, &l), 0);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_GETLK, &l), 0);
	ck_assert_int_eq(l.l_type, FC_F_UNLCK);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* Close relies on FLUSH's lock owner: no unlocking SETLK. */
	ck_assert_str_eq(vt_ops(&e, m), "SETLK SETLKW GETLK FLUSH RELEASE");
	in = BODY(&e, m, struct fc_lk_in);
	ck_assert_uint_eq(in->owner, fc_proc_lock_owner(e.p));
	ck_assert_uint_eq(in->lk.start, 100);
	ck_assert_uint_eq(in->lk.end, 109);
	ck_assert_uint_eq(in->lk.type, FC_F_WRLCK);
	ck_assert_uint_eq(in->lk.pid, 100);
	ck_assert_uint_eq(in->lk_flags, 0);
	in = BODY(&e, m + 1, struct fc_lk_in);
	ck_assert_uint_eq(in->lk.end, (uint64_t)INT64_MAX);
	venv_down(&e);
}
END_TEST

START_TEST(test_flock_remote_and_local)
{
	struct venv e;
	const struct fc_lk_in *in;
	unsigned m;
	int fd, fd2;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_FLOCK_LOCKS, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_flock(e.p, fd, FC_LOCK_EX), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, m), "SETLKW FLUSH RELEASE");
	in = BODY(&e, m, struct fc_lk_in);
	ck_assert_uint_eq(in->lk_flags, FC_LK_FLOCK);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_release_in)->release_flags,
			  FC_RELEASE_FLOCK_UNLOCK);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_release_in)->lock_owner, in->owner);
	ck_assert_uint_ne(in->owner, fc_proc_lock_owner(e.p));
	venv_down(&e);

	/* Without FLOCK_LOCKS the VFS keeps them, per open file description. */
	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	fd2 = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_flock(e.p, fd, FC_LOCK_EX), 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd2, FC_LOCK_SH | FC_LOCK_NB), -EAGAIN);
	ck_assert_int_eq(fc_sys_flock(e.p, fd, FC_LOCK_SH), 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd2, FC_LOCK_SH | FC_LOCK_NB), 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd2, FC_LOCK_EX | FC_LOCK_NB), -EAGAIN);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd2, FC_LOCK_EX | FC_LOCK_NB), 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd2, 0), -EINVAL);
	ck_assert_str_eq(vt_ops(&e, m), "FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_release_in)->release_flags, 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd2), 0);
	venv_down(&e);
}
END_TEST

struct waiter {
	struct venv *e;
	struct fc_proc *p;
	int fd;
	struct fc_vfs_flock l;
	int ret;
};

static void *setlkw_thread(void *arg)
{
	struct waiter *w = arg;

	w->ret = fc_sys_fcntl_lock(w->p, w->fd, FC_F_SETLKW, &w->l);
	return NULL;
}

static void wait_blocked(struct venv *e, int n)
{
	while (__atomic_load_n(&e->lock_waits, __ATOMIC_SEQ_CST) < n)
		sched_yield();
}

START_TEST(test_local_setlkw_deadlock_and_signal)
{
	struct venv e;
	struct fc_proc *b;
	struct fc_vfs_flock l;
	struct waiter w;
	pthread_t t;
	int fd, bfd, waits;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR, 0);
	b = venv_proc(&e, 200, 0, 0);
	bfd = fc_sys_open(b, "/mnt/f", FC_O_RDWR, 0);
	l = lk(FC_F_WRLCK, 0, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_SETLK, &l), 0);
	l = lk(FC_F_WRLCK, 1, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLK, &l), 0);
	/* A waits for B's byte... */
	memset(&w, 0, sizeof(w));
	w.e = &e;
	w.p = e.p;
	w.fd = fd;
	w.l = lk(FC_F_WRLCK, 1, 1);
	ck_assert_int_eq(pthread_create(&t, NULL, setlkw_thread, &w), 0);
	wait_blocked(&e, 1);
	/* ... so B waiting for A's would never end. */
	l = lk(FC_F_WRLCK, 0, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLKW, &l), -EDEADLK);
	/* B lets go: A gets it. */
	l = lk(FC_F_UNLCK, 1, 1);
	ck_assert_int_eq(fc_sys_fcntl_lock(b, bfd, FC_F_SETLK, &l), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.ret, 0);
	/* A signal ends a wait with EINTR. */
	w.p = b;
	w.fd = bfd;
	w.l = lk(FC_F_RDLCK, 0, 2);
	waits = __atomic_load_n(&e.lock_waits, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(pthread_create(&t, NULL, setlkw_thread, &w), 0);
	wait_blocked(&e, waits + 1);
	fc_proc_interrupt(b, 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.ret, -EINTR);
	ck_assert_int_eq(fc_sys_close(b, bfd), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	fc_proc_exit(b);
	venv_down(&e);
}
END_TEST

/* ---- I/O ----------------------------------------------------------------------------- */

START_TEST(test_read_write_flags)
{
	struct venv e;
	const struct fc_write_in *wi;
	const struct fc_read_in *ri;
	char buf[64];
	unsigned m;
	int fd, afd, dfd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_ATOMIC_O_TRUNC | FC_BIG_WRITES, 0);
	m = vt_mark(&e);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR | FC_O_CREAT | FC_O_EXCL | FC_O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_write(e.p, fd, "hello", 5), 5);
	ck_assert_int_eq(fc_sys_write(e.p, fd, "world", 5), 5);
	ck_assert_str_eq(vt_ops(&e, m), "LOOKUP CREATE GETXATTR WRITE WRITE");
	ck_assert_str_eq(vt_name(vt_req(&e, m + 2), sizeof(struct fc_getxattr_in)),
			 "security.capability");
	wi = BODY(&e, m + 4, struct fc_write_in);
	ck_assert_uint_eq(wi->offset, 5);
	ck_assert_uint_eq(wi->size, 5);
	ck_assert_uint_eq(wi->write_flags, 0);
	ck_assert_uint_eq(wi->lock_owner, 0);
	ck_assert_uint_eq(wi->flags, 0100002);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, sizeof(buf), 3), 7);
	ck_assert_int_eq(memcmp(buf, "loworld", 7), 0);
	ri = BODY(&e, m, struct fc_read_in);
	ck_assert_uint_eq(ri->offset, 3);
	ck_assert_uint_eq(ri->read_flags, 0);
	ck_assert_uint_eq(ri->lock_owner, 0);
	/* The file offset moved with the writes only. */
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, FC_SEEK_CUR), 10);
	/* O_APPEND writes at the (cached) end. */
	afd = fc_sys_open(e.p, "/mnt/f", FC_O_WRONLY | FC_O_APPEND, 0);
	ck_assert_int_eq(fc_sys_pwrite(e.p, afd, "!", 1, 0), 1);
	ck_assert_int_eq(fc_sys_write(e.p, afd, "?", 1), 1);
	wi = BODY(&e, fc_mock_nrecorded(e.mock) - 1, struct fc_write_in);
	ck_assert_uint_eq(wi->offset, 11);
	ck_assert_uint_eq(wi->flags, 0102001);
	/* O_DIRECT: direct I/O with the lock owner. */
	dfd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY | FC_O_DIRECT, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_read(e.p, dfd, buf, sizeof(buf)), 12);
	ck_assert_str_eq(vt_ops(&e, m), "READ");
	ri = BODY(&e, m, struct fc_read_in);
	ck_assert_uint_eq(ri->read_flags, FC_READ_LOCKOWNER);
	ck_assert_uint_eq(ri->lock_owner, fc_proc_lock_owner(e.p));
	ck_assert_uint_eq(ri->flags, 0140000);
	/* F_SETFL: later requests carry the new flags. */
	ck_assert_int_eq(fc_sys_fcntl(e.p, dfd, FC_F_SETFL, FC_O_NONBLOCK), 0);
	ck_assert_int_eq(fc_sys_fcntl(e.p, dfd, FC_F_GETFL, 0), 0104000);
	ck_assert_int_eq(fc_sys_pread(e.p, dfd, buf, 4, 0), 4);
	ri = BODY(&e, fc_mock_nrecorded(e.mock) - 1, struct fc_read_in);
	ck_assert_uint_eq(ri->read_flags, 0);
	ck_assert_uint_eq(ri->flags, 0104000);
	/* A zero-byte read or write sends nothing. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_read(e.p, dfd, buf, 0), 0);
	ck_assert_int_eq(fc_sys_write(e.p, fd, buf, 0), 0);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* readv/writev: one request each. */
	{
		char a[3], b[4];
		struct fc_vfs_iovec riov[2] = { { a, 3 }, { b, 4 } };
		struct fc_vfs_iovec wiov[2] = { { "ab", 2 }, { "cd", 2 } };

		ck_assert_int_eq(fc_sys_writev(e.p, fd, wiov, 2), 4);
		ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, FC_SEEK_SET), 0);
		ck_assert_int_eq(fc_sys_readv(e.p, fd, riov, 2), 7);
		ck_assert_int_eq(memcmp(a, "hel", 3), 0);
		ck_assert_int_eq(memcmp(b, "lowo", 4), 0);
		ck_assert_str_eq(vt_ops(&e, m), "WRITE READ");
	}
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_close(e.p, afd), 0);
	ck_assert_int_eq(fc_sys_close(e.p, dfd), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_lseek)
{
	struct venv e;
	uint64_t gfh;
	unsigned m;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "0123456789");
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, -2, FC_SEEK_END), 8);
	ck_assert_str_eq(vt_ops(&e, m), "");
	vt_advance(&e, 2 * VT_SEC);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, FC_SEEK_END), 10);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR");
	/* fuse_update_attributes(inode, file): FUSE_GETATTR_FH and the fh. */
	gfh = ((const struct fc_getattr_in *)vt_last(&e, m, FC_GETATTR)->body)->fh;
	ck_assert_uint_eq(((const struct fc_getattr_in *)
			   vt_last(&e, m, FC_GETATTR)->body)->getattr_flags,
			  FC_GETATTR_FH);
	/* SEEK_DATA: LSEEK first; ENOSYS is remembered, the size decides. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 3, FC_SEEK_DATA), 3);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 3, FC_SEEK_HOLE), 10);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 10, FC_SEEK_DATA), -ENXIO);
	ck_assert_str_eq(vt_ops(&e, m), "LSEEK");
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, -1, FC_SEEK_SET), -EINVAL);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, 7), -EINVAL);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_uint_eq(BODY(&e, m, struct fc_flush_in)->fh, gfh);
	/* FOPEN_NONSEEKABLE: lseek and pread are ESPIPE. */
	e.fs.fopen_flags = FC_FOPEN_NONSEEKABLE;
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_sys_lseek(e.p, fd, 0, FC_SEEK_SET), -ESPIPE);
	{
		char c;

		ck_assert_int_eq(fc_sys_pread(e.p, fd, &c, 1, 0), -ESPIPE);
		ck_assert_int_eq(fc_sys_read(e.p, fd, &c, 1), 1);
	}
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_truncate_and_setattr)
{
	struct venv e;
	const struct fc_setattr_in *sa;
	struct fc_vfs_timespec ts[2];
	unsigned m;
	int fd;

	/* Without ATOMIC_O_TRUNC: OPEN, then SETATTR(size 0) without a file handle. */
	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, "data");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	m = vt_mark(&e);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDWR | FC_O_TRUNC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(vt_ops(&e, m), "OPEN SETATTR");
	ck_assert_uint_eq(BODY(&e, m, struct fc_open_in)->flags, 0100002);
	sa = BODY(&e, m + 1, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_SIZE | FC_FATTR_LOCKOWNER);
	ck_assert_uint_eq(sa->lock_owner, fc_proc_lock_owner(e.p));
	/*
	 * ftruncate: with the file handle, after do_truncate's privilege probe
	 * (security.capability; answered ENOSYS, never asked again).
	 */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_ftruncate(e.p, fd, 3), 0);
	ck_assert_str_eq(vt_ops(&e, m), "GETXATTR SETATTR");
	sa = BODY(&e, m + 1, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_SIZE | FC_FATTR_FH | FC_FATTR_LOCKOWNER);
	ck_assert_uint_eq(sa->size, 3);
	/* truncate(path): 0x208. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_truncate(e.p, "/mnt/f", 1), 0);
	sa = BODY(&e, m, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, 0x208);
	ck_assert_uint_eq(sa->fh, 0);
	/* chmod keeps the type bits; fchmod has no file handle. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_chmod(e.p, "/mnt/f", 04711), 0);
	ck_assert_int_eq(fc_sys_fchmod(e.p, fd, 0600), 0);
	ck_assert_str_eq(vt_ops(&e, m), "SETATTR SETATTR");
	sa = BODY(&e, m, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_MODE);
	ck_assert_uint_eq(sa->mode, FC_S_IFREG | 04711);
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_setattr_in)->valid, FC_FATTR_MODE);
	/* chown of a file refreshes the mode to clear set-id bits first. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_chown(e.p, "/mnt/f", 7, (uint32_t)-1), 0);
	ck_assert_str_eq(vt_ops(&e, m), "GETATTR SETATTR");
	sa = BODY(&e, m + 1, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_UID);
	ck_assert_uint_eq(sa->uid, 7);
	/* utimensat: NULL is "now" for both. */
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_utimensat(e.p, FC_AT_FDCWD, "/mnt/f", NULL, 0), 0);
	sa = BODY(&e, m, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_ATIME | FC_FATTR_MTIME |
			  FC_FATTR_ATIME_NOW | FC_FATTR_MTIME_NOW);
	ts[0].tv_sec = 5;
	ts[0].tv_nsec = 123;
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = FC_UTIME_OMIT;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_futimens(e.p, fd, ts), 0);
	sa = BODY(&e, m, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, FC_FATTR_ATIME);
	ck_assert_uint_eq(sa->atime, 5);
	ck_assert_uint_eq(sa->atimensec, 123);
	ts[0].tv_nsec = FC_UTIME_OMIT;
	ck_assert_int_eq(fc_sys_futimens(e.p, fd, ts), 0);
	ck_assert_str_eq(vt_ops(&e, m), "SETATTR");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_unlink_open_file_and_forget)
{
	struct venv e;
	unsigned m;
	uint64_t f;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	f = vt_mkfile(&e, 1, "f", 0644, "x");
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), 0);
	vt_advance(&e, 2 * VT_SEC);
	fd = fc_sys_open(e.p, "/mnt/f", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_unlink(e.p, "/mnt/f"), 0);
	/* Still open: no FORGET. */
	ck_assert_str_eq(vt_ops(&e, m), "UNLINK");
	ck_assert_int_eq(fc_sys_fstat(e.p, fd, &st), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f", &st), -ENOENT);
	/*
	 * After RELEASE is answered the node goes, with both lookups in one
	 * FORGET; the client sends it with the next request's end.
	 */
	ck_assert_str_eq(vt_ops(&e, m), "UNLINK GETATTR FLUSH RELEASE LOOKUP FORGET");
	ck_assert_uint_eq(vt_forgotten(&e, m, f), 2);
	ck_assert_int_eq(e.fs.nodes[f].lookups, 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_copy_file_range_fallback)
{
	struct venv e;
	int64_t oin = 2;
	unsigned m;
	int in, out;
	char buf[16];

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "a", 0644, "abcdefgh");
	vt_mkfile(&e, 1, "b", 0644, NULL);
	in = fc_sys_open(e.p, "/mnt/a", FC_O_RDONLY, 0);
	out = fc_sys_open(e.p, "/mnt/b", FC_O_WRONLY, 0);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_copy_file_range(e.p, in, &oin, out, NULL, 4, 0), 4);
	ck_assert_int_eq(oin, 6);
	ck_assert_int_eq(fc_sys_lseek(e.p, out, 0, FC_SEEK_CUR), 4);
	ck_assert_int_eq(fc_sys_copy_file_range(e.p, in, NULL, out, NULL, 2, 0), 2);
	/* COPY_FILE_RANGE once (ENOSYS), then the READ + WRITE fallback. */
	ck_assert_str_eq(vt_ops(&e, m),
			 "GETXATTR COPY_FILE_RANGE READ WRITE READ WRITE");
	ck_assert_int_eq(fc_sys_copy_file_range(e.p, in, NULL, out, NULL, 2, 1), -EINVAL);
	ck_assert_int_eq(fc_sys_copy_file_range(e.p, out, NULL, in, NULL, 2, 0), -EBADF);
	ck_assert_int_eq(fc_sys_close(e.p, out), 0);
	out = fc_sys_open(e.p, "/mnt/b", FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_sys_read(e.p, out, buf, sizeof(buf)), 6);
	ck_assert_int_eq(memcmp(buf, "cdefab", 6), 0);
	ck_assert_int_eq(fc_sys_close(e.p, out), 0);
	ck_assert_int_eq(fc_sys_close(e.p, in), 0);
	venv_down(&e);
}
END_TEST

START_TEST(test_xattrs)
{
	struct venv e;
	struct fc_proc *user;
	char buf[32];
	unsigned m;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "f", 0644, NULL);
	e.fs.err[FC_GETXATTR] = 0;
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_setxattr(e.p, "/mnt/f", "user.a", "v", 1, FC_XATTR_CREATE), 0);
	ck_assert_int_eq(fc_sys_getxattr(e.p, "/mnt/f", "user.a", NULL, 0), 1);
	ck_assert_int_eq(fc_sys_getxattr(e.p, "/mnt/f", "user.a", buf, sizeof(buf)), 1);
	ck_assert_int_eq(fc_sys_listxattr(e.p, "/mnt/f", NULL, 0), 7);
	ck_assert_int_eq(fc_sys_listxattr(e.p, "/mnt/f", buf, sizeof(buf)), 7);
	ck_assert_int_eq(fc_sys_removexattr(e.p, "/mnt/f", "user.a"), 0);
	ck_assert_str_eq(vt_ops(&e, m),
			 "LOOKUP SETXATTR GETXATTR GETXATTR LISTXATTR LISTXATTR REMOVEXATTR");
	/* trusted.* needs privilege: refused without a request. */
	user = venv_proc(&e, 300, 1000, 1000);
	m = vt_mark(&e);
	ck_assert_int_eq(fc_sys_getxattr(user, "/mnt/f", "trusted.x", buf, 4), -ENODATA);
	ck_assert_int_eq(fc_sys_setxattr(user, "/mnt/f", "trusted.x", "v", 1, 0), -EPERM);
	ck_assert_int_eq(fc_sys_setxattr(user, "/mnt/f", "", "v", 1, 0), -ERANGE);
	ck_assert_int_eq(fc_sys_setxattr(user, "/mnt/f", "user.a", "v", 1, 8), -EINVAL);
	ck_assert_str_eq(vt_ops(&e, m), "");
	/* ENOSYS is remembered as EOPNOTSUPP. */
	e.fs.err[FC_SETXATTR] = -ENOSYS;
	ck_assert_int_eq(fc_sys_setxattr(e.p, "/mnt/f", "user.b", "v", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(fc_sys_setxattr(e.p, "/mnt/f", "user.b", "v", 1, 0), -EOPNOTSUPP);
	ck_assert_str_eq(vt_ops(&e, m), "SETXATTR");
	/* ramfs has none. */
	ck_assert_int_eq(fc_sys_setxattr(e.p, "/", "user.b", "v", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(fc_sys_listxattr(e.p, "/", buf, sizeof(buf)), 0);
	fc_proc_exit(user);
	venv_down(&e);
}
END_TEST

START_TEST(test_getdents)
{
	struct venv e;
	unsigned char buf[512];
	long n, off = 0;
	int fd, count = 0;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, 0, 0);
	vt_mkfile(&e, 1, "file", 0644, NULL);
	vt_mkdir(&e, 1, "dir", 0755);
	fd = fc_sys_open(e.p, "/mnt", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	/* A buffer too small for the first record. */
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, buf, 10), -EINVAL);
	n = fc_sys_getdents64(e.p, fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	while (off < n) {
		uint16_t reclen;
		uint8_t type;
		const char *name = (const char *)buf + off + FC_VFS_DIRENT64_NAME_OFFSET;

		memcpy(&reclen, buf + off + 16, 2);
		memcpy(&type, buf + off + 18, 1);
		if (!strcmp(name, "dir"))
			ck_assert_uint_eq(type, FC_DT_DIR);
		if (!strcmp(name, "file"))
			ck_assert_uint_eq(type, FC_DT_REG);
		ck_assert_uint_eq(reclen % 8, 0);
		off += reclen;
		count++;
	}
	ck_assert_int_eq(count, 4);
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(fc_sys_write(e.p, fd, "x", 1), -EBADF);
	ck_assert_int_eq(fc_sys_read(e.p, fd, buf, 1), -EISDIR);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	/* ramfs lists its directories. */
	fd = fc_sys_open(e.p, "/", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	n = fc_sys_getdents64(e.p, fd, buf, sizeof(buf));
	ck_assert_int_eq(n, 3 * 24);
	ck_assert_str_eq((const char *)buf + 2 * 24 + FC_VFS_DIRENT64_NAME_OFFSET, "mnt");
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/* ---- threads against a daemon thread ------------------------------------------- */

struct worker {
	struct fc_proc *p;
	int id;
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char path[64], path2[64], data[64];
	struct fc_vfs_stat wst;
	int i, fd, fd2;
	long len;

	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/mnt/w%d_%d", w->id, i);
		snprintf(path2, sizeof(path2), "/mnt/d/w%d_%d", w->id, i);
		len = (long)strlen(path);
		fd = fc_sys_open(w->p, path, FC_O_RDWR | FC_O_CREAT | FC_O_EXCL, 0644);
		w->errors += fd < 0;
		w->errors += fc_sys_write(w->p, fd, path, (size_t)len) != len;
		w->errors += fc_sys_pread(w->p, fd, data, sizeof(data), 0) != len;
		w->errors += memcmp(data, path, (size_t)len) != 0;
		fd2 = fc_sys_dup(w->p, fd);
		w->errors += fc_sys_close(w->p, fd2) != 0;
		w->errors += fc_sys_stat(w->p, path, &wst) != 0;
		w->errors += fc_sys_rename(w->p, path, path2) != 0;
		w->errors += fc_sys_close(w->p, fd) != 0;
		w->errors += fc_sys_unlink(w->p, path2) != 0;
		w->errors += fc_sys_stat(w->p, path2, &wst) != -ENOENT;
	}
	return NULL;
}

START_TEST(test_threads_with_daemon_thread)
{
	struct venv e;
	struct worker w[4];
	pthread_t t[4];
	char info[1024];
	int i;

	venv_up_threaded(&e, FC_TRANSPORT_FUSE_DEV, FC_POSIX_LOCKS, 0);
	vt_mkdir(&e, 1, "d", 0755);
	for (i = 0; i < 4; i++) {
		w[i].p = venv_proc(&e, 500 + (uint32_t)i, 0, 0);
		w[i].id = i;
		w[i].errors = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	/* Meanwhile: listings, cache drops and a bind mount coming and going. */
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/b", 0755), 0);
	for (i = 0; i < 20; i++) {
		ck_assert_int_gt(fc_vfs_mountinfo(e.vfs, info, sizeof(info)), 0);
		fc_vfs_drop_caches(e.vfs);
		ck_assert_int_gt(fc_vfs_mount_bind(e.vfs, e.p, "/mnt/d", "/b", 0), 0);
		ck_assert_int_eq(fc_sys_umount2(e.p, "/b", FC_MNT_DETACH), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].errors, 0);
		fc_proc_exit(w[i].p);
	}
	venv_down(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vfs_file");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, test_close_flushes_outside_locks);
	tcase_add_test(tc, test_dup_flush_each_release_last);
	tcase_add_test(tc, test_exit_flushes_all_then_releases_in_reverse);
	tcase_add_test(tc, test_fallocate_keep_size_probes_privs);
	tcase_add_test(tc, test_open_trunc_probes_privs_after_open);
	tcase_add_test(tc, test_flush_error_returned);
	tcase_add_test(tc, test_fork_and_exec);
	tcase_add_test(tc, test_local_posix_locks);
	tcase_add_test(tc, test_remote_posix_locks);
	tcase_add_test(tc, test_flock_remote_and_local);
	tcase_add_test(tc, test_local_setlkw_deadlock_and_signal);
	tcase_add_test(tc, test_read_write_flags);
	tcase_add_test(tc, test_lseek);
	tcase_add_test(tc, test_truncate_and_setattr);
	tcase_add_test(tc, test_unlink_open_file_and_forget);
	tcase_add_test(tc, test_copy_file_range_fallback);
	tcase_add_test(tc, test_xattrs);
	tcase_add_test(tc, test_getdents);
	tcase_add_test(tc, test_dir_seek_end_uses_cached_size);
	tcase_add_test(tc, test_threads_with_daemon_thread);
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
