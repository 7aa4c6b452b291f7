/*
 * A realistic sequence through the syscall-like API against the mock
 * daemon, asserting the exact request stream.  It follows the workload of
 * /work/shared/reference/linux-6.18-observed.md (Linux 6.18 and
 * passthrough_ll, run 1) step by step; where the page cache is involved
 * (reads go to the daemon as asked, mmap is left out) the differences are
 * noted at the step.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

/* What passthrough_ll 3.14 granted in the trace: 0x4040f439. */
#define PASSTHROUGH_LL_FLAGS 0x4040f439ULL

#define BODY(e, i, type) ((const type *)vt_req((e), (i))->body)

static struct venv e;
static struct fc_vfs_stat st;
static char buf[32768];
static unsigned m;

/* The requests of one step, and the mark moved past them. */
static const char *step(void)
{
	static char ops[1024];

	snprintf(ops, sizeof(ops), "%s", vt_ops(&e, m));
	return ops;
}

static void next(void)
{
	m = vt_mark(&e);
}

START_TEST(test_linux_618_workload)
{
	const struct fc_create_in *ci;
	const struct fc_write_in *wi;
	const struct fc_read_in *ri;
	const struct fc_release_in *rl;
	const struct fc_lk_in *lk;
	const struct fc_setattr_in *sa;
	struct fc_vfs_flock fl;
	struct fc_vfs_statfs sfs;
	uint64_t f, d1, f3, owner;
	int fd, fd2, i;
	long n;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, PASSTHROUGH_LL_FLAGS, 0);
	owner = fc_proc_lock_owner(e.p);
	next();

	/* stat(mnt): the root's attributes were never fetched. */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt", &st), 0);
	ck_assert_str_eq(step(), "GETATTR");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, 1);
	ck_assert_uint_eq(vt_req(&e, m)->hdr.pid, 100);
	next();

	/* stat(mnt/f1) -> ENOENT */
	ck_assert_int_eq(fc_sys_stat(e.p, "/mnt/f1", &st), -ENOENT);
	ck_assert_str_eq(step(), "LOOKUP");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "f1");
	next();

	/* open(f1, O_RDWR|O_CREAT|O_EXCL|O_TRUNC, 0644): O_TRUNC dropped. */
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR | FC_O_CREAT | FC_O_EXCL |
			 FC_O_TRUNC | FC_O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(step(), "LOOKUP CREATE");
	ci = BODY(&e, m + 1, struct fc_create_in);
	ck_assert_uint_eq(ci->flags, 0100302);
	ck_assert_uint_eq(ci->mode, 0100644);
	ck_assert_uint_eq(ci->umask, 022);
	ck_assert_str_eq(vt_name(vt_req(&e, m + 1), sizeof(*ci)), "f1");
	f = vt_find(&e, 1, "f1");
	next();

	/* write 12 bytes: the capability probe (ENOSYS), then WRITE. */
	ck_assert_int_eq(fc_sys_write(e.p, fd, "hello world\n", 12), 12);
	ck_assert_str_eq(step(), "GETXATTR WRITE");
	ck_assert_str_eq(vt_name(vt_req(&e, m), sizeof(struct fc_getxattr_in)),
			 "security.capability");
	ck_assert_uint_eq(BODY(&e, m, struct fc_getxattr_in)->size, 0);
	wi = BODY(&e, m + 1, struct fc_write_in);
	ck_assert_uint_eq(wi->offset, 0);
	ck_assert_uint_eq(wi->size, 12);
	ck_assert_uint_eq(wi->write_flags, 0);
	ck_assert_uint_eq(wi->lock_owner, 0);
	ck_assert_uint_eq(wi->flags, 0100002);
	next();

	/*
	 * pread(fd, 100, 0).  Linux: GETATTR(fh) + READ of a 4096-byte page
	 * (page cache); here the read goes out as asked.
	 */
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 100, 0), 12);
	ck_assert_str_eq(step(), "READ");
	ri = BODY(&e, m, struct fc_read_in);
	ck_assert_uint_eq(ri->offset, 0);
	ck_assert_uint_eq(ri->flags, 0100002);
	next();

	/* fsync, fstat (the write made the attributes stale), close. */
	ck_assert_int_eq(fc_sys_fsync(e.p, fd), 0);
	ck_assert_int_eq(fc_sys_fstat(e.p, fd, &st), 0);
	ck_assert_int_eq(st.size, 12);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "FSYNC GETATTR FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_fsync_in)->fsync_flags, 0);
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_getattr_in)->getattr_flags, 0);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_flush_in)->lock_owner, owner);
	rl = BODY(&e, m + 3, struct fc_release_in);
	ck_assert_uint_eq(vt_req(&e, m + 3)->hdr.pid, 0);
	ck_assert_uint_eq(rl->flags, 0100002);
	ck_assert_uint_eq(rl->release_flags, 0);
	ck_assert_uint_eq(rl->lock_owner, 0);
	next();

	/* A second later: open(f1, O_RDONLY); read; close. */
	vt_advance(&e, 2 * VT_SEC);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDONLY | FC_O_CLOEXEC, 0);
	ck_assert_int_eq(fc_sys_read(e.p, fd, buf, 4096), 12);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "LOOKUP OPEN READ FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_open_in)->flags, 0100000);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_read_in)->size, 4096);
	next();

	/* open(O_WRONLY|O_APPEND); write 6; dup; close both: 2 FLUSHes. */
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_WRONLY | FC_O_APPEND | FC_O_CLOEXEC, 0);
	ck_assert_int_eq(fc_sys_write(e.p, fd, "again\n", 6), 6);
	fd2 = fc_sys_dup(e.p, fd);
	ck_assert_int_eq(fc_sys_close(e.p, fd2), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "OPEN WRITE FLUSH FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_open_in)->flags, 0102001);
	wi = BODY(&e, m + 1, struct fc_write_in);
	ck_assert_uint_eq(wi->offset, 12);
	ck_assert_uint_eq(wi->size, 6);
	ck_assert_uint_eq(wi->flags, 0102001);
	ck_assert_uint_eq(BODY(&e, m + 4, struct fc_release_in)->flags, 0102001);
	next();

	/* (mmap + msync belong to the page cache.)  Read it back after a while. */
	vt_advance(&e, 2 * VT_SEC);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDONLY | FC_O_CLOEXEC, 0);
	ck_assert_int_eq(fc_sys_read(e.p, fd, buf, 4096), 18);
	ck_assert_int_eq(memcmp(buf, "hello world\nagain\n", 18), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "LOOKUP OPEN READ FLUSH RELEASE");
	next();

	/* rename(f1, f2): LOOKUP of the target, then RENAME (not RENAME2). */
	ck_assert_int_eq(fc_sys_rename(e.p, "/mnt/f1", "/mnt/f2"), 0);
	ck_assert_str_eq(step(), "LOOKUP RENAME");
	ck_assert_str_eq(vt_name(vt_req(&e, m), 0), "f2");
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_rename_in)->newdir, 1);
	ck_assert_str_eq(vt_name(vt_req(&e, m + 1), sizeof(struct fc_rename_in)), "f1");
	next();

	/* mkdir(d1, 0755) */
	ck_assert_int_eq(fc_sys_mkdir(e.p, "/mnt/d1", 0755), 0);
	ck_assert_str_eq(step(), "LOOKUP MKDIR");
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_mkdir_in)->mode, 0755);
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_mkdir_in)->umask, 022);
	d1 = vt_find(&e, 1, "d1");
	next();

	/* listdir(mnt): opendir (+ glibc's fstat), getdents until the end, closedir. */
	fd = fc_sys_open(e.p, "/mnt", FC_O_RDONLY | FC_O_NONBLOCK | FC_O_DIRECTORY |
			 FC_O_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_fstat(e.p, fd, &st), 0);
	n = fc_sys_getdents64(e.p, fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	{
		int seen_d1 = 0, seen_f2 = 0, count = 0;
		long off = 0;

		while (off < n) {
			uint16_t reclen;
			const char *name = buf + off + FC_VFS_DIRENT64_NAME_OFFSET;

			memcpy(&reclen, buf + off + 16, 2);
			seen_d1 += !strcmp(name, "d1");
			seen_f2 += !strcmp(name, "f2");
			count++;
			off += reclen;
		}
		ck_assert_int_eq(count, 4);
		ck_assert_int_eq(seen_d1, 1);
		ck_assert_int_eq(seen_f2, 1);
	}
	ck_assert_int_eq(fc_sys_getdents64(e.p, fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "OPENDIR GETATTR READDIRPLUS READDIR RELEASEDIR");
	ck_assert_uint_eq(BODY(&e, m, struct fc_open_in)->flags, 0304000);
	ri = BODY(&e, m + 2, struct fc_read_in);
	ck_assert_uint_eq(ri->offset, 0);
	ck_assert_uint_eq(ri->size, 32768);
	ck_assert_uint_eq(ri->flags, 0304000);
	ck_assert_uint_eq(BODY(&e, m + 3, struct fc_read_in)->offset, 4);
	ck_assert_uint_eq(vt_req(&e, m + 4)->hdr.pid, 0);
	ck_assert_uint_eq(BODY(&e, m + 4, struct fc_release_in)->flags, 0304000);
	next();

	/* open(f2, O_RDWR|O_TRUNC): ATOMIC_O_TRUNC keeps O_TRUNC, no SETATTR. */
	fd = fc_sys_open(e.p, "/mnt/f2", FC_O_RDWR | FC_O_TRUNC | FC_O_CLOEXEC, 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "OPEN FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_open_in)->flags, 0101002);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_release_in)->flags, 0100002);
	next();

	/* unlink(f2): UNLINK, then FORGET with the accumulated nlookup (4). */
	ck_assert_int_eq(fc_sys_unlink(e.p, "/mnt/f2"), 0);
	ck_assert_str_eq(step(), "UNLINK FORGET");
	ck_assert_uint_eq(vt_req(&e, m + 1)->hdr.nodeid, f);
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_forget_in)->nlookup, 4);
	ck_assert_uint_eq(vt_req(&e, m + 1)->hdr.pid, 0);
	next();

	/* rmdir(d1): RMDIR, FORGET 2 (MKDIR + READDIRPLUS). */
	ck_assert_int_eq(fc_sys_rmdir(e.p, "/mnt/d1"), 0);
	ck_assert_str_eq(step(), "RMDIR FORGET");
	ck_assert_uint_eq(vt_req(&e, m + 1)->hdr.nodeid, d1);
	ck_assert_uint_eq(BODY(&e, m + 1, struct fc_forget_in)->nlookup, 2);
	next();

	/* open(f3, O_RDWR|O_CREAT, 0600); flock(LOCK_EX) */
	fd = fc_sys_open(e.p, "/mnt/f3", FC_O_RDWR | FC_O_CREAT | FC_O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_flock(e.p, fd, FC_LOCK_EX), 0);
	ck_assert_str_eq(step(), "LOOKUP CREATE SETLKW");
	ci = BODY(&e, m + 1, struct fc_create_in);
	ck_assert_uint_eq(ci->flags, 0100102);
	ck_assert_uint_eq(ci->mode, 0100600);
	lk = BODY(&e, m + 2, struct fc_lk_in);
	ck_assert_uint_eq(lk->lk_flags, FC_LK_FLOCK);
	ck_assert_uint_eq(lk->lk.type, FC_F_WRLCK);
	ck_assert_uint_eq(lk->lk.start, 0);
	ck_assert_uint_eq(lk->lk.end, (uint64_t)INT64_MAX);
	ck_assert_uint_ne(lk->owner, owner);
	f3 = vt_find(&e, 1, "f3");
	next();

	/* fcntl(F_SETLK, F_WRLCK 0..10): no POSIX_LOCKS, kept locally. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = FC_F_WRLCK;
	fl.l_len = 10;
	ck_assert_int_eq(fc_sys_fcntl_lock(e.p, fd, FC_F_SETLK, &fl), 0);
	/* write 3 bytes; close with the locks held. */
	ck_assert_int_eq(fc_sys_write(e.p, fd, "abc", 3), 3);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "WRITE FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_write_in)->flags, 0100002);
	rl = BODY(&e, m + 2, struct fc_release_in);
	ck_assert_uint_eq(rl->release_flags, FC_RELEASE_FLOCK_UNLOCK);
	ck_assert_uint_eq(rl->lock_owner, lk->owner);
	next();

	/*
	 * open(f3, O_RDONLY|O_DIRECT); pread 4096; close.  (Linux also sent a
	 * GETATTR with the fh before the READ.)
	 */
	fd = fc_sys_open(e.p, "/mnt/f3", FC_O_RDONLY | FC_O_DIRECT | FC_O_CLOEXEC, 0);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 4096, 0), 3);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(step(), "OPEN READ FLUSH RELEASE");
	ck_assert_uint_eq(BODY(&e, m, struct fc_open_in)->flags, 0140000);
	ri = BODY(&e, m + 1, struct fc_read_in);
	ck_assert_uint_eq(ri->read_flags, FC_READ_LOCKOWNER);
	ck_assert_uint_eq(ri->lock_owner, owner);
	ck_assert_uint_eq(ri->flags, 0140000);
	next();

	/* truncate(f3, 1): SETATTR valid=0x208, fh 0, the lock owner. */
	ck_assert_int_eq(fc_sys_truncate(e.p, "/mnt/f3", 1), 0);
	ck_assert_str_eq(step(), "SETATTR");
	sa = BODY(&e, m, struct fc_setattr_in);
	ck_assert_uint_eq(sa->valid, 0x208);
	ck_assert_uint_eq(sa->fh, 0);
	ck_assert_uint_eq(sa->size, 1);
	ck_assert_uint_eq(sa->lock_owner, owner);
	next();

	/* unlink(f3) once its entry expired: LOOKUP, UNLINK, FORGET 2. */
	vt_advance(&e, 2 * VT_SEC);
	ck_assert_int_eq(fc_sys_unlink(e.p, "/mnt/f3"), 0);
	ck_assert_str_eq(step(), "LOOKUP UNLINK FORGET");
	ck_assert_uint_eq(vt_req(&e, m + 2)->hdr.nodeid, f3);
	ck_assert_uint_eq(BODY(&e, m + 2, struct fc_forget_in)->nlookup, 2);
	next();

	/* statvfs(mnt) */
	ck_assert_int_eq(fc_sys_statfs(e.p, "/mnt", &sfs), 0);
	ck_assert_str_eq(step(), "STATFS");
	ck_assert_uint_eq(vt_req(&e, m)->hdr.nodeid, 1);
	ck_assert_uint_eq(sfs.type, FC_FUSE_SUPER_MAGIC);
	ck_assert_uint_eq(sfs.namelen, 255);

	/* Every lookup the daemon counted came back (the root's excepted). */
	for (i = 2; i < VT_MAXNODES; i++)
		if (e.fs.nodes[i].used)
			ck_assert_int_eq(e.fs.nodes[i].lookups, 0);
	/* The uniques are even and grow by 2, as Linux's. */
	for (i = 1; i + 1 < (int)fc_mock_nrecorded(e.mock); i++)
		ck_assert_uint_eq(vt_req(&e, (unsigned)i + 1)->hdr.unique -
				  vt_req(&e, (unsigned)i)->hdr.unique, 2);
	venv_down(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vfs_scenario");
	TCase *tc = tcase_create("scenario");

	tcase_add_test(tc, test_linux_618_workload);
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
