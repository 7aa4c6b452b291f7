/*
 * The page cache under the simulated VFS: read(2)/write(2) through the
 * cached path, mmap/msync/munmap syscalls (src/vfs_sim/mmap.c), and the
 * notifications the VFS hands to the page cache, checked against the
 * request stream of the Linux 6.18 trace
 * (../shared/reference/linux-6.18-observed.md, run 1).
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <string.h>

#include "fusecore/pagecache.h"
#include "test_vfs_env.h"

#define CONTENT "hello world\nagain\n"
#define FLAGS (FC_BIG_WRITES | FC_ATOMIC_O_TRUNC | FC_AUTO_INVAL_DATA)

static void free_sim(void *pc)
{
	fc_pagecache_sim_free(pc);
}

/* The simulated page cache, freed by venv_down() once the client is gone. */
static void attach(struct venv *e)
{
	struct fc_pagecache_sim_config pcfg;
	struct fc_cache_config ccfg;
	struct fc_pagecache *pc;

	fc_pagecache_sim_config_default(&pcfg, &e->plat);
	ck_assert_int_eq(fc_pagecache_sim_new(&pcfg, &pc), 0);
	fc_cache_config_default(&ccfg, fc_pagecache_sim_ops(), pc);
	ck_assert_int_eq(fc_cache_attach(e->cl, &ccfg), 0);
	e->teardown = free_sim;
	e->teardown_ctx = pc;
}

static const struct fc_read_in *rin(const struct fc_mock_req *r)
{
	return r->body;
}

static const struct fc_write_in *win(const struct fc_mock_req *r)
{
	return r->body;
}

/*
 * Linux 6.18, run 1: open(O_RDWR); mmap(MAP_SHARED) sends nothing; the
 * first store READs the page; msync(MS_SYNC) sends WRITE (pid 0,
 * write_flags 0x1, lock_owner 0, flags 0, 18 bytes) then FSYNC
 * (fsync_flags 0x1); munmap sends nothing (msync cleaned the pages:
 * fuse_vma_close's write_inode_now finds none dirty); close sends FLUSH,
 * RELEASE.
 */
START_TEST(vfs_mmap_msync_matches_linux_trace)
{
	struct fc_vfs_map *map;
	const struct fc_mock_req *r;
	struct venv e;
	unsigned mark;
	char buf[18];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "");

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 0, "HELLO", 5), 5);
	ck_assert_str_eq(vt_ops(&e, mark), "READ");
	r = vt_last(&e, mark, FC_READ);
	ck_assert_uint_eq(rin(r)->offset, 0);
	ck_assert_uint_eq(rin(r)->size, 4096);
	ck_assert_uint_eq(rin(r)->flags, 0100002);
	ck_assert_uint_eq(rin(r)->read_flags, 0);
	ck_assert_uint_eq(r->hdr.pid, 100);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_msync(e.p, map, 0, 4096, FC_MS_SYNC), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "WRITE FSYNC");
	r = vt_last(&e, mark, FC_WRITE);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(r->hdr.uid, 0);
	ck_assert_uint_eq(win(r)->offset, 0);
	ck_assert_uint_eq(win(r)->size, 18);
	ck_assert_uint_eq(win(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(win(r)->lock_owner, 0);
	ck_assert_uint_eq(win(r)->flags, 0);
	r = vt_last(&e, mark, FC_FSYNC);
	ck_assert_uint_eq(((const struct fc_fsync_in *)r->body)->fsync_flags,
			  FC_FSYNC_FDATASYNC);
	ck_assert_uint_eq(r->hdr.pid, 100);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "");
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "FLUSH RELEASE");

	/* The daemon has the stores; a fresh open re-reads (no KEEP_CACHE). */
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_read(e.p, fd, buf, sizeof(buf)), 18);
	ck_assert(memcmp(buf, "HELLO world\nagain\n", 18) == 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18, run 1: write(12) sends GETXATTR (file_remove_privs) and
 * WRITE of the exact bytes; pread(100, 0) then sends GETATTR with the fh
 * (the write expired the attributes) and one READ of a page; a second
 * pread is served by the cache.
 */
START_TEST(vfs_write_then_pread_through_cache)
{
	const struct fc_mock_req *r;
	struct venv e;
	unsigned mark;
	char buf[100];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR | FC_O_CREAT | FC_O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_write(e.p, fd, "hello world\n", 12), 12);
	ck_assert_str_eq(vt_ops(&e, mark), "GETXATTR WRITE");
	r = vt_last(&e, mark, FC_WRITE);
	ck_assert_uint_eq(win(r)->size, 12);
	ck_assert_uint_eq(win(r)->write_flags, 0);
	ck_assert_uint_eq(win(r)->flags, 0100002);
	ck_assert_uint_eq(r->hdr.pid, 100);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 100, 0), 12);
	ck_assert(memcmp(buf, "hello world\n", 12) == 0);
	ck_assert_str_eq(vt_ops(&e, mark), "GETATTR READ");
	r = vt_last(&e, mark, FC_GETATTR);
	ck_assert_uint_eq(((const struct fc_getattr_in *)r->body)->getattr_flags,
			  FC_GETATTR_FH);
	r = vt_last(&e, mark, FC_READ);
	ck_assert_uint_eq(rin(r)->size, 4096);
	ck_assert_uint_eq(rin(r)->lock_owner, 0);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 5, 6), 5);
	ck_assert(memcmp(buf, "world", 5) == 0);
	ck_assert_str_eq(vt_ops(&e, mark), "");
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_fsync(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "FSYNC");
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/* A store through a mapping and read(2) share the page: no READ to see it. */
START_TEST(vfs_mapping_and_read_are_coherent)
{
	struct fc_vfs_map *map;
	struct venv e;
	unsigned mark;
	char buf[18];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), 0);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 6, "WORLD", 5), 5);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 18, 0), 18);
	ck_assert(memcmp(buf, "hello WORLD\nagain\n", 18) == 0);
	ck_assert(strstr(vt_ops(&e, mark), "READ") == NULL);
	/* A pwrite lands in the mapped page at once. */
	ck_assert_int_eq(fc_sys_pwrite(e.p, fd, "J", 1, 0), 1);
	ck_assert_int_eq(fc_vfs_map_load(e.p, map, 0, buf, 5), 5);
	ck_assert(memcmp(buf, "Jello", 5) == 0);
	/* Closing the descriptor does not release the file while mapped. */
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert(strstr(vt_ops(&e, mark), "RELEASE") == NULL);
	ck_assert_int_eq(fc_sys_msync(e.p, map, 0, 4096, FC_MS_SYNC), 0);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "RELEASE");
	venv_down(&e);
}
END_TEST

/*
 * Linux 6.18 (scenario mmap_close_without_msync): munmap of a mapping with
 * dirty pages writes them back (fuse_vma_close -> write_inode_now): WRITE
 * pid 0, write_flags 0x1, lock_owner 0, flags 0; no FSYNC.  A failure is
 * left on the mapping (mapping_set_error): munmap succeeds, close reports it.
 */
START_TEST(vfs_munmap_writes_dirty_pages_back)
{
	struct fc_vfs_map *map;
	const struct fc_mock_req *r;
	struct venv e;
	unsigned mark;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), 0);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 0, "HELLO", 5), 5);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "WRITE");
	r = vt_last(&e, mark, FC_WRITE);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert_uint_eq(win(r)->offset, 0);
	ck_assert_uint_eq(win(r)->size, 18);
	ck_assert_uint_eq(win(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(win(r)->lock_owner, 0);
	ck_assert_uint_eq(win(r)->flags, 0);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "FLUSH RELEASE");

	/* The WRITE fails: munmap succeeds, the close reports -EIO. */
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), 0);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 0, "J", 1), 1);
	e.fs.err[FC_WRITE] = -EIO;
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "WRITE");
	e.fs.err[FC_WRITE] = 0;
	ck_assert_int_eq(fc_sys_close(e.p, fd), -EIO);
	venv_down(&e);
}
END_TEST


/*
 * A store through a mapping past EOF, in the page that holds EOF, lands in
 * the page (loads see it) but is not written: the WRITE is cropped to
 * i_size (fuse_send_writepage) and, since fuse writes back through iomap,
 * the page's tail past i_size is zeroed on writeback
 * (iomap_writeback_handle_eof), so loads after msync read zeros (Linux 6.18,
 * fc-fsx -m seed 30062).  A store running on into a page wholly past EOF
 * stores the pages before it and faults there (SIGBUS), nothing sent.
 */
START_TEST(vfs_mmap_store_past_eof_zeroed_at_writeback)
{
	struct fc_vfs_map *map;
	const struct fc_mock_req *r;
	struct venv e;
	unsigned mark;
	char buf[8], big[800], zero[8];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_ftruncate(e.p, fd, 6), 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 8192,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), 0);
	memset(big, 'x', sizeof(big));
	memset(zero, 0, sizeof(zero));
	/* 3400..4199: page 0 is stored, page 1 (past EOF) faults. */
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 3400, big, sizeof(big)), 696);
	ck_assert_str_eq(vt_ops(&e, mark), "READ");
	ck_assert_int_eq(fc_vfs_map_load(e.p, map, 4000, buf, 8), 8);
	ck_assert(memcmp(buf, "xxxxxxxx", 8) == 0);
	ck_assert_int_eq(fc_vfs_map_load(e.p, map, 4096, buf, 8), -EFAULT);

	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_msync(e.p, map, 0, 8192, FC_MS_SYNC), 0);
	ck_assert_str_eq(vt_ops(&e, mark), "WRITE FSYNC");
	r = vt_last(&e, mark, FC_WRITE);
	ck_assert_uint_eq(win(r)->offset, 0);
	ck_assert_uint_eq(win(r)->size, 6);
	ck_assert_int_eq(fc_vfs_map_load(e.p, map, 4000, buf, 8), 8);
	ck_assert(memcmp(buf, zero, 8) == 0);
	ck_assert_int_eq(fc_vfs_map_load(e.p, map, 0, buf, 6), 6);
	ck_assert(memcmp(buf, "hello ", 6) == 0);

	/* Extending exposes the zeros, not the stores made past EOF. */
	ck_assert_int_eq(fc_sys_ftruncate(e.p, fd, 4096), 0);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 8, 3400), 8);
	ck_assert(memcmp(buf, zero, 8) == 0);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/* INVAL_INODE reaches the page cache through the VFS's notification handler. */
START_TEST(vfs_notify_inval_inode_drops_pages)
{
	struct fc_notify_inval_inode_out n;
	struct venv e;
	uint64_t ino;
	unsigned mark;
	char buf[18];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FC_BIG_WRITES, 0);
	attach(&e);
	ino = vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 18, 0), 18);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 18, 0), 18);
	ck_assert_str_eq(vt_ops(&e, mark), "");
	memset(&n, 0, sizeof(n));
	n.ino = ino;
	ck_assert_int_eq(fc_mock_notify(e.mock, FC_NOTIFY_INVAL_INODE, &n,
					sizeof(n)), 0);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 18, 0), 18);
	ck_assert(strstr(vt_ops(&e, mark), "READ") != NULL);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/* Without a page cache attached the VFS behaves as before, and mmap is -ENODEV. */
START_TEST(vfs_without_page_cache_unchanged)
{
	struct fc_vfs_map *map;
	struct venv e;
	unsigned mark;
	char buf[18];
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDWR, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096, FC_PROT_READ,
				     FC_MAP_SHARED, &map), -ENODEV);
	mark = vt_mark(&e);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 10, 0), 10);
	ck_assert_int_eq(fc_sys_pread(e.p, fd, buf, 10, 0), 10);
	ck_assert_str_eq(vt_ops(&e, mark), "READ READ");
	ck_assert_uint_eq(rin(vt_last(&e, mark, FC_READ))->size, 10);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

/* do_mmap's checks on the descriptor. */
START_TEST(vfs_mmap_descriptor_checks)
{
	struct fc_vfs_map *map;
	struct venv e;
	int fd;

	venv_up(&e, FC_TRANSPORT_FUSE_DEV, FLAGS, 0);
	attach(&e);
	vt_mkfile(&e, 1, "f1", 0644, CONTENT);
	fd = fc_sys_open(e.p, "/mnt/f1", FC_O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_SHARED,
				     &map), -EACCES);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 100, 4096, FC_PROT_READ,
				     FC_MAP_SHARED, &map), -EINVAL);
	ck_assert_int_eq(fc_sys_mmap(e.p, 77, 0, 4096, FC_PROT_READ,
				     FC_MAP_SHARED, &map), -EBADF);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096,
				     FC_PROT_READ | FC_PROT_WRITE, FC_MAP_PRIVATE,
				     &map), 0);
	ck_assert_int_eq(fc_vfs_map_store(e.p, map, 0, "x", 1), 1);
	ck_assert_int_eq(fc_sys_munmap(e.p, map), 0);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	fd = fc_sys_open(e.p, "/mnt", FC_O_RDONLY | FC_O_DIRECTORY, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fc_sys_mmap(e.p, fd, 0, 4096, FC_PROT_READ,
				     FC_MAP_SHARED, &map), -ENODEV);
	ck_assert_int_eq(fc_sys_close(e.p, fd), 0);
	venv_down(&e);
}
END_TEST

static Suite *vfs_pagecache_suite(void)
{
	Suite *s = suite_create("vfs_pagecache");
	TCase *tc = tcase_create("vfs");

	tcase_add_test(tc, vfs_mmap_msync_matches_linux_trace);
	tcase_add_test(tc, vfs_write_then_pread_through_cache);
	tcase_add_test(tc, vfs_mapping_and_read_are_coherent);
	tcase_add_test(tc, vfs_munmap_writes_dirty_pages_back);
	tcase_add_test(tc, vfs_mmap_store_past_eof_zeroed_at_writeback);
	tcase_add_test(tc, vfs_notify_inval_inode_drops_pages);
	tcase_add_test(tc, vfs_without_page_cache_unchanged);
	tcase_add_test(tc, vfs_mmap_descriptor_checks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vfs_pagecache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
