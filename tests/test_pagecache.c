/*
 * Tests of the client's cached file I/O over the simulated page cache
 * (fusecore/pagecache.h), against the mock daemon, in the manner of
 * FreeBSD's fusefs tests: exact request streams, held replies to force
 * interleavings, and waits on facts (a task blocked on "writeback"),
 * never on time.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "pc_env.h"

#define RDWR (FC_O_RDWR | FC_O_LARGEFILE)
#define CONTENT "hello world\nagain\n" /* 18 bytes, as in the Linux trace */

static const struct fc_read_in *read_in(const struct fc_mock_req *r)
{
	ck_assert_uint_ge(r->body_len, sizeof(struct fc_read_in));
	return r->body;
}

static const struct fc_write_in *write_in(const struct fc_mock_req *r)
{
	ck_assert_uint_ge(r->body_len, sizeof(struct fc_write_in));
	return r->body;
}

static const char *write_data(const struct fc_mock_req *r)
{
	return (const char *)r->body + sizeof(struct fc_write_in);
}

static int is_cache_write(const struct fc_mock_req *r, void *ctx)
{
	(void)ctx;
	return r->body_len >= sizeof(struct fc_write_in) &&
	       (write_in(r)->write_flags & FC_WRITE_CACHE);
}

static int is_plain_write(const struct fc_mock_req *r, void *ctx)
{
	return !is_cache_write(r, ctx);
}

static long pwrite_(struct pc_env *e, struct fc_open_ctx *of, const char *s,
		    uint64_t off)
{
	uint64_t pos = off;

	return fc_cache_write(e->cl, &e->who, of, s, strlen(s), &pos);
}

/* ---- cached reads ------------------------------------------------------------ */

/*
 * Linux 6.18 trace: pread(fd, 100, 0) after the attributes expired sends
 * GETATTR (with the fh) and one READ of a whole page: read_flags 0, lock
 * owner 0, flags = the file's flags.  The next read is served by the cache.
 */
START_TEST(cached_read_getattr_then_one_page)
{
	struct pc_opts o = { .flags = FC_AUTO_INVAL_DATA | FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	const struct fc_mock_req *r;
	char buf[100];

	pc_up(&e, &o, CONTENT, 18);
	e.attr_valid = 0; /* attributes expire at once */
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 100, 0), 18);
	ck_assert(memcmp(buf, CONTENT, 18) == 0);
	ck_assert_int_lt(pc_pos(&e, FC_GETATTR, 0), pc_pos(&e, FC_READ, 0));
	r = pc_nth(&e, FC_GETATTR, 0);
	ck_assert_uint_eq(((const struct fc_getattr_in *)r->body)->getattr_flags,
			  FC_GETATTR_FH);
	ck_assert_uint_eq(((const struct fc_getattr_in *)r->body)->fh, 9);
	r = pc_nth(&e, FC_READ, 0);
	ck_assert_uint_eq(read_in(r)->offset, 0);
	ck_assert_uint_eq(read_in(r)->size, 4096);
	ck_assert_uint_eq(read_in(r)->read_flags, 0);
	ck_assert_uint_eq(read_in(r)->lock_owner, 0);
	ck_assert_uint_eq(read_in(r)->flags, RDWR);
	ck_assert_uint_eq(read_in(r)->fh, 9);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	/* Cached now. */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 5, 6), 5);
	ck_assert(memcmp(buf, "world", 5) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* fuse_readahead: the first window of a sequential read is 4 pages in one READ. */
START_TEST(readahead_window_in_one_read)
{
	static char big[65536];
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	char buf[4096];

	memset(big, 'r', sizeof(big));
	pc_up(&e, &o, big, sizeof(big));
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 4096, 0), 4096);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_uint_eq(read_in(pc_nth(&e, FC_READ, 0))->size, 16384);
	/* Pages 1..3 come from the cache. */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 4096, 12288), 4096);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	/* The next miss is sequential: a bigger window, still one READ. */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 4096, 16384), 4096);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	ck_assert_uint_eq(read_in(pc_nth(&e, FC_READ, 1))->offset, 16384);
	ck_assert_uint_gt(read_in(pc_nth(&e, FC_READ, 1))->size, 16384);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* fuse_short_read: a short cached READ is the end of the file. */
START_TEST(short_read_shrinks_cached_size)
{
	static char big[10000];
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	static char buf[8192];

	memset(big, 's', sizeof(big));
	pc_up(&e, &o, big, sizeof(big));
	pc_defaults(&e);
	pc_lookup(&e);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 10000);
	e.size = 5000; /* the file shrank behind our back */
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 8192, 0), 5000);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 5000);
	/* At the new end: nothing more, and no READ. */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 100, 5000), 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- write-through ---------------------------------------------------------------- */

/*
 * fuse_perform_write: WRITE of the exact bytes (write_flags 0, lock owner
 * 0, the file's flags); the cached page takes them, so the next read is
 * served without READ.
 */
START_TEST(write_through_updates_cached_page)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	const struct fc_mock_req *r;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_int_eq(pwrite_(&e, of, "WORLD", 6), 5);
	r = pc_nth(&e, FC_WRITE, 0);
	ck_assert_uint_eq(write_in(r)->offset, 6);
	ck_assert_uint_eq(write_in(r)->size, 5);
	ck_assert_uint_eq(write_in(r)->write_flags, 0);
	ck_assert_uint_eq(write_in(r)->lock_owner, 0);
	ck_assert_uint_eq(write_in(r)->flags, RDWR);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert(memcmp(buf, "hello WORLD\nagain\n", 18) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* Without FUSE_BIG_WRITES each write-through WRITE stops at a page end. */
START_TEST(write_through_splits_at_pages_without_big_writes)
{
	static char big[10000];
	struct pc_opts o = { .flags = 0 };
	struct pc_env e;
	struct fc_open_ctx *of;
	uint64_t pos = 100;

	memset(big, 'w', sizeof(big));
	pc_up(&e, &o, "", 0);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_WRONLY, 0);
	ck_assert_int_eq(fc_cache_write(e.cl, &e.who, of, big, 9000, &pos), 9000);
	ck_assert_uint_eq(pos, 9100);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 3);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 0))->size, 3996);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 1))->size, 4096);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 2))->size, 908);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 9100);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_fill_write_pages (Linux 6.18, scenario read_write_fields): a page
 * written in part that is not up to date ends the WRITE.  pwrite of 100
 * bytes at 4000 to an uncached file: WRITE 4000+96, WRITE 4096+4.  Once
 * page 0 is cached and up to date, the same pwrite is one WRITE.
 */
START_TEST(write_through_stops_after_partial_page_not_uptodate)
{
	static char buf[8192];
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	uint64_t pos = 4000;

	memset(buf, 'q', sizeof(buf));
	pc_up(&e, &o, buf, 8192);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	memset(buf, 'w', 100);
	ck_assert_int_eq(fc_cache_write(e.cl, &e.who, of, buf, 100, &pos), 100);
	ck_assert_uint_eq(pos, 4100);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 0))->offset, 4000);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 0))->size, 96);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 1))->offset, 4096);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 1))->size, 4);
	/* Page 0 read, so up to date: the same pwrite is one WRITE. */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 10, 0), 10);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	pos = 4000;
	ck_assert_int_eq(fc_cache_write(e.cl, &e.who, of, buf, 100, &pos), 100);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 3);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 2))->offset, 4000);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 2))->size, 100);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- shared mappings ---------------------------------------------------------------- */

/*
 * A pwrite over a page dirtied through a shared mapping updates the
 * cached page, and the later msync writes the pwrite's bytes: an older
 * copy of the page never overwrites newer data (DragonOS
 * FuseExtended.SharedMmapDirtyThenPwriteKeepsLatestData).
 */
START_TEST(SharedMmapDirtyThenPwriteKeepsLatestData)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	const struct fc_mock_req *r;
	unsigned nreq;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 0); /* mmap sends nothing */
	/* The first store faults the page in: one READ of the page. */
	ck_assert_int_eq(fc_vma_store(vma, 0, "HELLO", 5), 5);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_uint_eq(read_in(pc_nth(&e, FC_READ, 0))->size, 4096);
	/* pwrite over the dirty page: its exact bytes go out now ... */
	ck_assert_int_eq(pwrite_(&e, of, "WORLD", 6), 5);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	/* ... and the mapping sees them at once. */
	ck_assert_int_eq(fc_vma_load(vma, 0, buf, 18), 18);
	ck_assert(memcmp(buf, "HELLO WORLD\nagain\n", 18) == 0);
	/* msync(MS_SYNC): the page (cropped to the size) then FSYNC(fdatasync). */
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 4096, FC_MS_SYNC), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	r = pc_nth(&e, FC_WRITE, 1);
	ck_assert_uint_eq(write_in(r)->offset, 0);
	ck_assert_uint_eq(write_in(r)->size, 18);
	ck_assert_uint_eq(write_in(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(write_in(r)->lock_owner, 0);
	ck_assert_uint_eq(write_in(r)->flags, 0);
	ck_assert_uint_eq(write_in(r)->fh, 9);
	ck_assert(memcmp(write_data(r), "HELLO WORLD\nagain\n", 18) == 0);
	ck_assert_int_lt(pc_pos(&e, FC_WRITE, 1), pc_pos(&e, FC_FSYNC, 0));
	r = pc_nth(&e, FC_FSYNC, 0);
	ck_assert_uint_eq(((const struct fc_fsync_in *)r->body)->fsync_flags,
			  FC_FSYNC_FDATASYNC);
	ck_assert_uint_eq(r->hdr.pid, 4242);
	ck_assert(pc_file_is(&e, 0, "HELLO WORLD\nagain\n", 18));
	/* munmap after msync sends nothing: msync cleaned the pages. */
	nreq = fc_mock_nrecorded(e.m);
	fc_vma_close(vma, &e.who);
	fc_vma_unmap(vma);
	ck_assert_uint_eq(fc_mock_nrecorded(e.m), nreq);
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2); /* nothing left dirty */
	pc_down(&e);
}
END_TEST

static void msync_creds(enum fc_wb_creds policy, uint32_t want_pid,
			uint32_t want_uid)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES, .wb_creds = policy };
	struct fc_caller other;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	const struct fc_mock_req *r;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "X", 1), 1);
	/* Another task calls msync. */
	other = e.who;
	other.uid = 2000;
	other.gid = 2000;
	other.pid = 777;
	ck_assert_int_eq(fc_vma_msync(vma, &other, 0, 4096, FC_MS_SYNC), 0);
	r = pc_nth(&e, FC_WRITE, 0);
	ck_assert_uint_eq(write_in(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(r->hdr.pid, want_pid);
	ck_assert_uint_eq(r->hdr.uid, want_uid);
	ck_assert_uint_eq(r->hdr.gid, want_uid);
	/* The FSYNC is the caller's own request. */
	ck_assert_uint_eq(pc_nth(&e, FC_FSYNC, 0)->hdr.pid, 777);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}

/*
 * msync(2) counts whole pages, and a range past the end of the mapping
 * syncs the mapped part, then is -ENOMEM (no vma there).
 */
START_TEST(msync_past_the_mapping_is_enomem_after_sync)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 100,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "Y", 1), 1);
	/* 4000 bytes from 0: inside the mapping's one page. */
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 4000, FC_MS_SYNC), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 1);
	ck_assert_int_eq(fc_vma_store(vma, 1, "Z", 1), 1);
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 8192, FC_MS_SYNC), -ENOMEM);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 2);
	ck_assert(pc_file_is(&e, 0, "YZ", 2));
	/* Wholly past it: nothing to sync. */
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 8192, 4096, FC_MS_SYNC), -ENOMEM);
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 8192, FC_MS_ASYNC), -ENOMEM);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 2);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* Linux: a writeback WRITE carries uid = gid = pid = 0. */
START_TEST(msync_writeback_zero_creds_linux_policy)
{
	msync_creds(FC_WB_CREDS_NONE, 0, 0);
}
END_TEST

/* DragonOS policy: the credentials of the open file used for writeback. */
START_TEST(msync_writeback_opener_creds_policy)
{
	msync_creds(FC_WB_CREDS_OPENER, 4242, 1000);
}
END_TEST

/*
 * munmap with dirty pages (fuse_vma_close -> write_inode_now(inode, 1)):
 * the writeback WRITE of msync's (FUSE_WRITE_CACHE, pid 0, lock owner 0,
 * flags 0), waited for, no FSYNC; the teardown alone (fc_vma_unmap)
 * sends nothing, and the close that follows has nothing left to write.
 */
START_TEST(munmap_writes_dirty_pages_back)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct fc_mapping_stats st;
	const struct fc_mock_req *r;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	unsigned nreq;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 1, "ELLO", 4), 4);
	fc_vma_close(vma, &e.who);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 0);
	r = pc_nth(&e, FC_WRITE, 0);
	ck_assert_uint_eq(write_in(r)->offset, 0);
	ck_assert_uint_eq(write_in(r)->size, 18);
	ck_assert_uint_eq(write_in(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(write_in(r)->lock_owner, 0);
	ck_assert_uint_eq(write_in(r)->flags, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert(pc_file_is(&e, 0, "hELLO world\nagain\n", 18));
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.dirty, 0);
	ck_assert_uint_eq(st.writeback, 0);
	nreq = fc_mock_nrecorded(e.m);
	fc_vma_unmap(vma);
	ck_assert_uint_eq(fc_mock_nrecorded(e.m), nreq);
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_int_lt(pc_pos(&e, FC_FLUSH, 0), pc_pos(&e, FC_RELEASE, 0));
	pc_down(&e);
}
END_TEST

/*
 * A writeback failure at munmap is left on the mapping (mapping_set_error)
 * for the file's next fsync or close to report, once.
 */
START_TEST(munmap_writeback_error_reported_at_close)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct fc_mock_exp *fail;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;

	pc_up(&e, &o, CONTENT, 18);
	fail = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(fail, is_cache_write, NULL);
	fc_mock_exp_error(fail, -EIO);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "X", 1), 1);
	fc_vma_close(vma, &e.who);
	fc_vma_unmap(vma);
	ck_assert_uint_eq(fc_mock_exp_used(fail), 1);
	ck_assert_int_eq(pc_close(&e, of), -EIO);
	pc_down(&e);
}
END_TEST

/* A private mapping copies on write: nothing dirty, msync sends nothing. */
START_TEST(private_mapping_copies_on_write)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *priv, *shared;
	struct fc_mapping_stats st;
	char buf[5];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_PRIVATE, &priv), 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096, FC_PROT_READ,
				       FC_MAP_SHARED, &shared), 0);
	/* A writable shared mapping of a read-only file is refused. */
	{
		struct fc_vma *w;

		ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
					       FC_PROT_WRITE, FC_MAP_SHARED, &w),
				 -EACCES);
	}
	ck_assert_int_eq(fc_vma_store(priv, 0, "JELLO", 5), 5);
	ck_assert_int_eq(fc_vma_load(priv, 0, buf, 5), 5);
	ck_assert(memcmp(buf, "JELLO", 5) == 0);
	ck_assert_int_eq(fc_vma_load(shared, 0, buf, 5), 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.dirty, 0);
	ck_assert_int_eq(fc_vma_msync(priv, &e.who, 0, 4096, FC_MS_SYNC), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 0);
	/* SIGBUS past the end of the file, SIGSEGV outside the mapping. */
	ck_assert_int_eq(fc_vma_load(shared, 4096, buf, 1), -EFAULT);
	ck_assert_int_eq(fc_vma_store(shared, 0, "x", 1), -EFAULT);
	fc_vma_unmap(priv);
	fc_vma_unmap(shared);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* fuse_file_mmap: FOPEN_DIRECT_IO refuses MAP_SHARED without DIRECT_IO_ALLOW_MMAP. */
START_TEST(direct_io_shared_mmap_enodev)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, FC_FOPEN_DIRECT_IO);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096, FC_PROT_READ,
				       FC_MAP_SHARED, &vma), -ENODEV);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096, FC_PROT_READ,
				       FC_MAP_PRIVATE, &vma), 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- ordering under held replies ------------------------------------------------------ */

struct worker {
	struct pc_env *e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	const char *s;
	uint64_t off;
	long result;
	pthread_t t;
};

static void *do_msync(void *arg)
{
	struct worker *w = arg;

	w->result = fc_vma_msync(w->vma, &w->e->who, 0, 4096, FC_MS_SYNC);
	return NULL;
}

static void *do_pwrite(void *arg)
{
	struct worker *w = arg;

	w->result = pwrite_(w->e, w->of, w->s, w->off);
	return NULL;
}

static void *do_truncate(void *arg)
{
	struct worker *w = arg;
	struct fc_setattr_in in;

	memset(&in, 0, sizeof(in));
	in.valid = FC_FATTR_SIZE;
	in.size = w->off;
	w->result = fc_setattr(w->e->cl, &w->e->who, w->e->node, NULL, &in,
			       NULL);
	return NULL;
}

/*
 * While the writeback WRITE of a page is held, a pwrite over the same
 * page does not send its WRITE: it waits for that writeback ("writeback"),
 * so the older data can never land after the newer.  The final content is
 * the pwrite's.
 */
START_TEST(overlapping_write_waits_for_held_writeback)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct fc_mock_exp *hold;
	struct worker a, b;
	struct fc_vma *vma;
	struct fc_open_ctx *of;
	char buf[4];

	pc_up(&e, &o, "abcd", 4);
	hold = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(hold, is_cache_write, NULL);
	pc_respond_write(&e, hold);
	fc_mock_exp_hold(hold);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "AAAA", 4), 4);

	memset(&a, 0, sizeof(a));
	a.e = &e;
	a.vma = vma;
	ck_assert_int_eq(pthread_create(&a.t, NULL, do_msync, &a), 0);
	ck_assert_int_eq(fc_mock_wait_held(hold, 1), 0);

	memset(&b, 0, sizeof(b));
	b.e = &e;
	b.of = of;
	b.s = "BB";
	b.off = 1;
	ck_assert_int_eq(pthread_create(&b.t, NULL, do_pwrite, &b), 0);
	/* msync waits for its writeback, the pwrite for the page's. */
	pc_wait_blocked(&e, "writeback", 2);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);

	ck_assert_int_eq(fc_mock_release(hold), 0);
	pthread_join(a.t, NULL);
	pthread_join(b.t, NULL);
	ck_assert_int_eq(a.result, 0);
	ck_assert_int_eq(b.result, 2);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 1))->write_flags, 0);
	ck_assert(pc_file_is(&e, 0, "ABBA", 4));
	ck_assert_int_eq(fc_vma_load(vma, 0, buf, 4), 4);
	ck_assert(memcmp(buf, "ABBA", 4) == 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * The other way round: while a write-through WRITE is held, its page stays
 * locked, so msync cannot start the page's writeback ("page lock"); the
 * writeback WRITE follows and carries the written bytes.
 */
START_TEST(writeback_waits_for_held_write_through)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct fc_mock_exp *hold;
	struct worker a, b;
	struct fc_vma *vma;
	struct fc_open_ctx *of;

	pc_up(&e, &o, "abcd", 4);
	hold = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(hold, is_plain_write, NULL);
	pc_respond_write(&e, hold);
	fc_mock_exp_hold(hold);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "AAAA", 4), 4);

	memset(&b, 0, sizeof(b));
	b.e = &e;
	b.of = of;
	b.s = "BB";
	b.off = 1;
	ck_assert_int_eq(pthread_create(&b.t, NULL, do_pwrite, &b), 0);
	ck_assert_int_eq(fc_mock_wait_held(hold, 1), 0);

	memset(&a, 0, sizeof(a));
	a.e = &e;
	a.vma = vma;
	ck_assert_int_eq(pthread_create(&a.t, NULL, do_msync, &a), 0);
	pc_wait_blocked(&e, "page lock", 1);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);

	ck_assert_int_eq(fc_mock_release(hold), 0);
	pthread_join(a.t, NULL);
	pthread_join(b.t, NULL);
	ck_assert_int_eq(a.result, 0);
	ck_assert_int_eq(b.result, 2);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert(is_cache_write(pc_nth(&e, FC_WRITE, 1), NULL));
	ck_assert(memcmp(write_data(pc_nth(&e, FC_WRITE, 1)), "ABBA", 4) == 0);
	ck_assert(pc_file_is(&e, 0, "ABBA", 4));
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

static void *do_store(void *arg)
{
	struct worker *w = arg;

	w->result = fc_vma_store(w->vma, w->off, w->s, strlen(w->s));
	return NULL;
}

/*
 * fuse_page_mkwrite: a store into a page whose WRITE is in flight waits
 * for it ("writeback"), so the WRITE carries the page as it was when the
 * writeback started, and the store goes out with the next writeback.
 */
START_TEST(store_waits_for_held_writeback)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct fc_mock_exp *hold;
	struct worker a, s;
	struct fc_vma *vma;
	struct fc_open_ctx *of;

	pc_up(&e, &o, "abcd", 4);
	hold = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(hold, is_cache_write, NULL);
	pc_respond_write(&e, hold);
	fc_mock_exp_hold(hold);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "A", 1), 1);
	memset(&a, 0, sizeof(a));
	a.e = &e;
	a.vma = vma;
	ck_assert_int_eq(pthread_create(&a.t, NULL, do_msync, &a), 0);
	ck_assert_int_eq(fc_mock_wait_held(hold, 1), 0);
	memset(&s, 0, sizeof(s));
	s.e = &e;
	s.vma = vma;
	s.s = "S";
	s.off = 1;
	ck_assert_int_eq(pthread_create(&s.t, NULL, do_store, &s), 0);
	pc_wait_blocked(&e, "writeback", 2);
	ck_assert(memcmp(write_data(pc_nth(&e, FC_WRITE, 0)), "Abcd", 4) == 0);
	ck_assert_int_eq(fc_mock_release(hold), 0);
	pthread_join(a.t, NULL);
	pthread_join(s.t, NULL);
	ck_assert_int_eq(a.result, 0);
	ck_assert_int_eq(s.result, 1);
	ck_assert(pc_file_is(&e, 0, "Abcd", 4));
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 4096, FC_MS_SYNC), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert(pc_file_is(&e, 0, "AScd", 4));
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* A direct write over a page whose writeback is in flight waits for it. */
START_TEST(direct_write_waits_for_held_writeback)
{
	static char big[8192];
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct fc_mock_exp *hold;
	struct fc_open_ctx *cached, *direct;
	struct fc_vma *vma;
	struct worker d;

	memset(big, 'x', sizeof(big));
	pc_up(&e, &o, big, sizeof(big));
	hold = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(hold, is_cache_write, NULL);
	pc_respond_write(&e, hold);
	fc_mock_exp_hold(hold);
	pc_defaults(&e);
	pc_lookup(&e);
	cached = pc_open(&e, FC_O_RDWR, 0);
	direct = pc_open(&e, FC_O_RDWR, FC_FOPEN_DIRECT_IO | FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, cached, 0, 8192,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "AA", 2), 2);
	ck_assert_int_eq(fc_cache_writeback(e.cl, e.node, 0), 0);
	ck_assert_int_eq(fc_mock_wait_held(hold, 1), 0);
	memset(&d, 0, sizeof(d));
	d.e = &e;
	d.of = direct;
	d.s = "D";
	d.off = 1;
	ck_assert_int_eq(pthread_create(&d.t, NULL, do_pwrite, &d), 0);
	pc_wait_blocked(&e, "writeback", 1);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_int_eq(fc_mock_release(hold), 0);
	pthread_join(d.t, NULL);
	ck_assert_int_eq(d.result, 1);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 2);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 1))->write_flags,
			  FC_WRITE_LOCKOWNER);
	ck_assert(pc_file_is(&e, 0, "ADx", 3));
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, direct), 0);
	ck_assert_int_eq(pc_close(&e, cached), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_do_setattr with a size: the truncation waits for the writeback
 * WRITE in flight (fuse_set_nowrite), new writeback is held back meanwhile
 * and, once the size is known, cropped -- here dropped, being past the new
 * end (fuse_send_writepage).
 */
START_TEST(truncate_waits_for_held_writeback)
{
	static char big[8192];
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct fc_mock_exp *hold;
	struct fc_mapping_stats st;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	struct worker t;

	memset(big, 'x', sizeof(big));
	pc_up(&e, &o, big, sizeof(big));
	hold = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(hold, is_cache_write, NULL);
	pc_respond_write(&e, hold);
	fc_mock_exp_hold(hold);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 8192,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "A", 1), 1);
	/* The flusher starts the page's writeback; its WRITE is held. */
	ck_assert_int_eq(fc_cache_writeback(e.cl, e.node, 0), 0);
	ck_assert_int_eq(fc_mock_wait_held(hold, 1), 0);

	memset(&t, 0, sizeof(t));
	t.e = &e;
	t.off = 100;
	ck_assert_int_eq(pthread_create(&t.t, NULL, do_truncate, &t), 0);
	pc_wait_blocked(&e, "writeback", 1);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), 0);

	/* New writeback meanwhile is queued, not sent. */
	ck_assert_int_eq(fc_vma_store(vma, 4096, "B", 1), 1);
	ck_assert_int_eq(fc_cache_writeback(e.cl, e.node, 0), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), 0);

	ck_assert_int_eq(fc_mock_release(hold), 0);
	pthread_join(t.t, NULL);
	ck_assert_int_eq(t.result, 0);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), 1);
	ck_assert_int_lt(pc_pos(&e, FC_WRITE, 0), pc_pos(&e, FC_SETATTR, 0));
	/* The queued WRITE lay wholly past the new size: never sent. */
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 100);
	ck_assert(pc_file_is(&e, 0, "A", 1));
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.writeback, 0);
	ck_assert_uint_eq(st.dirty, 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- writeback errors -------------------------------------------------------------------- */

/*
 * fuse_writepage_end -> mapping_set_error: an error of a writeback WRITE
 * is reported once to each file open at the time, by its next fsync
 * (file_check_and_advance_wb_err), and the data stays in the cache.
 */
START_TEST(writeback_error_reaches_each_fsync_once)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_mock_exp *fail;
	struct fc_mapping_stats st;
	struct fc_open_ctx *f1, *f2, *f3;
	struct fc_vma *vma;
	char buf[4];

	pc_up(&e, &o, "abcd", 4);
	fail = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(fail, is_cache_write, NULL);
	fc_mock_exp_error(fail, -EIO);
	pc_defaults(&e);
	pc_lookup(&e);
	f1 = pc_open(&e, FC_O_RDWR, FC_FOPEN_KEEP_CACHE);
	f2 = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, f1, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "ZZ", 2), 2);
	ck_assert_int_eq(fc_cache_writeback(e.cl, e.node, 1), 0);
	ck_assert_uint_eq(fc_mock_exp_used(fail), 1);
	/* Kept, not silently dropped: still cached, clean, with the data. */
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.nrpages, 1);
	ck_assert_uint_eq(st.dirty, 0);
	ck_assert_int_eq(fc_vma_load(vma, 0, buf, 4), 4);
	ck_assert(memcmp(buf, "ZZcd", 4) == 0);

	ck_assert_int_eq(pc_fsync(&e, f1, 0), -EIO);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 0);
	ck_assert_int_eq(pc_fsync(&e, f1, 0), 0);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 1);
	ck_assert_int_eq(pc_fsync(&e, f2, 1), -EIO);
	ck_assert_int_eq(pc_fsync(&e, f2, 1), 0);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 2);
	/* A file opened after everyone saw it does not get it. */
	f3 = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(pc_fsync(&e, f3, 0), 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, f1), 0);
	ck_assert_int_eq(pc_close(&e, f2), 0);
	ck_assert_int_eq(pc_close(&e, f3), 0);
	pc_down(&e);
}
END_TEST

/* The close-time flush reports it too, once, and then sends no FLUSH. */
START_TEST(writeback_error_reaches_close_once)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_mock_exp *fail;
	struct fc_open_ctx *f1, *f2;
	struct fc_vma *vma;

	pc_up(&e, &o, "abcd", 4);
	fail = fc_mock_expect(e.m, FC_WRITE, PC_NODE);
	fc_mock_exp_match(fail, is_cache_write, NULL);
	fc_mock_exp_error(fail, -ENOSPC);
	pc_defaults(&e);
	pc_lookup(&e);
	f1 = pc_open(&e, FC_O_RDWR, FC_FOPEN_KEEP_CACHE);
	f2 = pc_open(&e, FC_O_RDWR, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, f1, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "ZZ", 2), 2);
	fc_vma_unmap(vma);
	/* f2's close writes the page back: the error is its to report. */
	ck_assert_int_eq(pc_close(&e, f2), -ENOSPC);
	ck_assert_uint_eq(pc_count(&e, FC_FLUSH), 0);
	ck_assert_uint_eq(pc_count(&e, FC_RELEASE), 1);
	/* f1 gets it once as well, then closes cleanly. */
	ck_assert_int_eq(pc_fsync(&e, f1, 0), -ENOSPC);
	ck_assert_int_eq(pc_close(&e, f1), 0);
	ck_assert_uint_eq(pc_count(&e, FC_FLUSH), 1);
	pc_down(&e);
}
END_TEST

/* ---- direct I/O ------------------------------------------------------------------------ */

/*
 * A direct write writes the range's dirty pages back first, invalidates
 * the cached pages it overlaps (and only those), then sends its WRITE
 * with the lock owner; a cached reader re-reads the page.
 */
START_TEST(direct_write_invalidates_overlapping_page)
{
	static char big[8192];
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *cached, *direct;
	struct fc_mapping_stats st;
	const struct fc_mock_req *r;
	struct fc_vma *vma;
	char buf[16];

	memset(big, 'x', sizeof(big));
	pc_up(&e, &o, big, sizeof(big));
	pc_defaults(&e);
	pc_lookup(&e);
	cached = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, cached, buf, 16, 0), 16);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.nrpages, 2);
	direct = pc_open(&e, FC_O_RDWR, FC_FOPEN_DIRECT_IO | FC_FOPEN_KEEP_CACHE);

	ck_assert_int_eq(pwrite_(&e, direct, "NEW", 0), 3);
	r = pc_nth(&e, FC_WRITE, 0);
	ck_assert_uint_eq(write_in(r)->write_flags, FC_WRITE_LOCKOWNER);
	ck_assert_uint_eq(write_in(r)->lock_owner, 0x1234);
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.nrpages, 1); /* page 1 was not in the range */
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, cached, buf, 4, 0), 4);
	ck_assert(memcmp(buf, "NEWx", 4) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	ck_assert_uint_eq(read_in(pc_nth(&e, FC_READ, 1))->offset, 0);

	/* A dirty page in the range goes out (WRITE_CACHE) before the direct WRITE. */
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, cached, 0, 8192,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 4096, "M", 1), 1);
	ck_assert_int_eq(pwrite_(&e, direct, "D", 4097), 1);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 3);
	ck_assert(is_cache_write(pc_nth(&e, FC_WRITE, 1), NULL));
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 2))->write_flags,
			  FC_WRITE_LOCKOWNER);
	ck_assert(pc_file_is(&e, 4096, "MD", 2));
	ck_assert_int_eq(fc_vma_load(vma, 4096, buf, 2), 2);
	ck_assert(memcmp(buf, "MD", 2) == 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, direct), 0);
	ck_assert_int_eq(pc_close(&e, cached), 0);
	pc_down(&e);
}
END_TEST

/* ---- eviction ------------------------------------------------------------------------- */

/*
 * With room for two pages, dirtying five through a shared mapping forces
 * dirty pages out (WRITE_CACHE) to make room: no data is lost.
 */
START_TEST(eviction_tiny_capacity_loses_no_dirty_data)
{
	static char zero[5 * 4096];
	struct pc_opts o = { .flags = FC_BIG_WRITES, .capacity = 2 };
	struct fc_pagecache_sim_stats ps;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	char pat[100];
	unsigned i, j;

	pc_up(&e, &o, zero, sizeof(zero));
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, sizeof(zero),
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	for (i = 0; i < 5; i++) {
		memset(pat, 'a' + (int)i, sizeof(pat));
		ck_assert_int_eq(fc_vma_store(vma, i * 4096 + 10, pat, sizeof(pat)),
				 (long)sizeof(pat));
		fc_pagecache_sim_stats(e.pc, &ps);
		ck_assert_uint_le(ps.pages, 2);
	}
	fc_pagecache_sim_stats(e.pc, &ps);
	ck_assert_uint_ge(ps.evict_writebacks, 1);
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, sizeof(zero), FC_MS_SYNC), 0);
	for (i = 0; i < 5; i++) {
		memset(pat, 'a' + (int)i, sizeof(pat));
		ck_assert(pc_file_is(&e, i * 4096 + 10, pat, sizeof(pat)));
	}
	for (j = 0; j < pc_count(&e, FC_WRITE); j++)
		ck_assert(is_cache_write(pc_nth(&e, FC_WRITE, j), NULL));
	/* And reading back through the mapping sees every store. */
	for (i = 0; i < 5; i++) {
		char c;

		ck_assert_int_eq(fc_vma_load(vma, i * 4096 + 50, &c, 1), 1);
		ck_assert_int_eq(c, 'a' + (int)i);
	}
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- cache validity ----------------------------------------------------------------------- */

/* fuse_open: without FOPEN_KEEP_CACHE the cached pages go; with it they stay. */
START_TEST(keep_cache_honoured_at_open)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_int_eq(pc_close(&e, of), 0);
	of = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	pc_down(&e);
}
END_TEST

/* fuse_change_attributes with auto_inval_data: a new mtime drops the pages. */
START_TEST(changed_mtime_invalidates_with_auto_inval_data)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_AUTO_INVAL_DATA };
	struct pc_env e;
	struct fc_open_ctx *of;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	e.attr_valid = 0;
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), 2);
	/* The daemon's file changed: same size, new mtime. */
	memcpy(e.data, "HELLO", 5);
	e.mtime++;
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert(memcmp(buf, "HELLO", 5) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* A new size from GETATTR drops the cached pages (without auto_inval_data too). */
START_TEST(changed_size_invalidates)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_attr attr;
	char buf[32];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	memcpy(e.data, "JELLO", 5);
	memcpy(e.data + 18, "tail", 4);
	e.size = 22;
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, of, 1, &attr), 0);
	ck_assert_uint_eq(attr.size, 22);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 32, 0), 22);
	ck_assert(memcmp(buf, "JELLO", 5) == 0);
	ck_assert(memcmp(buf + 18, "tail", 4) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

static int is_armed(const struct fc_mock_req *r, void *ctx)
{
	(void)r;
	return *(const int *)ctx;
}

/* A LOOKUP or GETATTR of "f" in a thread, its reply held. */
struct attr_asker {
	struct pc_env *e;
	int lookup;
	int result;
	uint64_t size;      /* what the call handed back */
	pthread_t t;
};

static void *do_ask_attr(void *arg)
{
	struct attr_asker *w = arg;
	struct fc_entry ent;
	struct fc_attr attr;

	if (w->lookup) {
		w->result = fc_lookup(w->e->cl, &w->e->who, fc_client_root(w->e->cl),
				      "f", 1, &ent);
		if (!w->result) {
			w->size = fc_node_attr(ent.node)->size;
			fc_node_put(w->e->cl, ent.node);
		}
	} else {
		w->result = fc_getattr(w->e->cl, &w->e->who, w->e->node, NULL, 1,
				       &attr);
		w->size = attr.size;
	}
	return NULL;
}

/*
 * fuse_change_attributes with attr_version: a LOOKUP (_i == 1) or GETATTR
 * (_i == 0) answered with the size from before a write that completed
 * while the reply was on its way must not shrink the cached size back
 * (the read after it would end at the old size); one sent after the
 * write is taken.
 */
START_TEST(attr_reply_older_than_write_dropped)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES, .threaded = 1 };
	struct pc_env e;
	struct attr_asker w = { .e = &e, .lookup = _i };
	struct fc_mock_exp *old;
	struct fc_open_ctx *of;
	struct fc_attr attr;
	int armed = 0;
	char buf[16];

	pc_up(&e, &o, "abcd", 4);
	/* The answer as the daemon had it before the write: size 4, for 60 s. */
	if (w.lookup) {
		struct fc_entry_out eo;

		old = fc_mock_expect(e.m, FC_LOOKUP, FC_ROOT_ID);
		fc_mock_entry_out(&eo, PC_NODE, PC_GEN, FC_S_IFREG | 0644);
		eo.attr.size = 4;
		eo.attr_valid = 60;
		eo.entry_valid = 60;
		ck_assert_int_eq(fc_mock_exp_reply(old, &eo, sizeof(eo)), 0);
	} else {
		struct fc_attr_out ao;

		old = fc_mock_expect(e.m, FC_GETATTR, PC_NODE);
		fc_mock_attr_out(&ao, PC_NODE, FC_S_IFREG | 0644);
		ao.attr.size = 4;
		ao.attr_valid = 60;
		ck_assert_int_eq(fc_mock_exp_reply(old, &ao, sizeof(ao)), 0);
	}
	fc_mock_exp_match(old, is_armed, &armed);
	fc_mock_exp_times(old, 1);
	fc_mock_exp_hold(old);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, RDWR, 0);

	armed = 1;
	ck_assert_int_eq(pthread_create(&w.t, NULL, do_ask_attr, &w), 0);
	ck_assert_int_eq(fc_mock_wait_held(old, 1), 0);
	ck_assert_int_eq(pwrite_(&e, of, "efgh", 4), 4);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 8);
	ck_assert_int_eq(fc_mock_release(old), 0);
	pthread_join(w.t, NULL);
	ck_assert_int_eq(w.result, 0);
	/* Dropped whole: the size stays, the caller sees it, still stale. */
	ck_assert_uint_eq(w.size, 8);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 8);
	ck_assert(fc_node_attr_stale(e.cl, e.node, FC_STATX_SIZE));
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, sizeof(buf), 0), 8);
	ck_assert(memcmp(buf, "abcdefgh", 8) == 0);

	/* A GETATTR sent after the write is taken: the daemon's file shrank. */
	pthread_mutex_lock(&e.flock);
	e.size = 6;
	pthread_mutex_unlock(&e.flock);
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, of, 1, &attr), 0);
	ck_assert_uint_eq(attr.size, 6);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 6);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_update_get_attr with fi->inval_mask: a writeback WRITE leaves only
 * mtime, ctime and blocks stale (fuse_writepage_end), so a read past the
 * end, which needs the size, asks nothing while stat() does; a READ leaves
 * the atime stale (fuse_invalidate_atime), which stat() needs and a size
 * question does not.  (Live Linux 6.18 with passthrough_ll: after msync
 * of a file opened O_APPEND by the daemon, the read saw the kernel's size.)
 */
START_TEST(local_changes_stale_only_their_fields)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	struct fc_attr attr;
	unsigned ga;
	char buf[32];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "X", 1), 1);
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 4096, FC_MS_SYNC), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ga = pc_count(&e, FC_GETATTR);
	ck_assert(!fc_node_attr_stale(e.cl, e.node, FC_STATX_SIZE));
	ck_assert(fc_node_attr_stale(e.cl, e.node, FC_STATX_MTIME));
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, sizeof(buf), 0), 18);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga);
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, NULL, 0, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 1);
	/* Taken: nothing is stale until the next change. */
	ck_assert(!fc_node_attr_stale(e.cl, e.node, FC_STATX_BASIC_STATS));
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, NULL, 0, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 1);

	/* A READ: the atime is stale, the size is not. */
	ck_assert_int_eq(fc_read(e.cl, &e.who, of, buf, 4, 0, FC_IO_DIRECT), 4);
	ck_assert(fc_node_attr_stale(e.cl, e.node, FC_STATX_ATIME));
	ck_assert_int_eq(fc_update_attr(e.cl, &e.who, e.node, of, FC_STATX_SIZE,
					&attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 1);
	ck_assert_int_eq(fc_update_attr(e.cl, &e.who, e.node, of, 0, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 1);
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, NULL, 0, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 2);

	/* A write-through WRITE: the size is stale too. */
	ck_assert_int_eq(pwrite_(&e, of, "yz", 18), 2);
	ck_assert_int_eq(fc_update_attr(e.cl, &e.who, e.node, of, FC_STATX_SIZE,
					&attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 3);
	ck_assert_uint_eq(attr.size, 20);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_change_attributes invalidates at once: a GETATTR that brings a new
 * mtime (FUSE_AUTO_INVAL_DATA) writes a dirty mapped page back (launder)
 * before it returns -- not at the next use of the cache -- so the WRITE
 * comes where Linux sends it in the request stream.
 */
START_TEST(attr_change_launders_before_the_call_returns)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_AUTO_INVAL_DATA };
	struct fc_mapping_stats st;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;
	struct fc_attr attr;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "M", 1), 1);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	pthread_mutex_lock(&e.flock);
	e.mtime += 7;
	pthread_mutex_unlock(&e.flock);
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, of, 1, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_int_lt(pc_pos(&e, FC_GETATTR, pc_count(&e, FC_GETATTR) - 1),
			 pc_pos(&e, FC_WRITE, 0));
	ck_assert(pc_file_is(&e, 0, "Mello", 5));
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.nrpages, 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- notifications ----------------------------------------------------------------------- */

static void notify_inval(struct pc_env *e, uint64_t ino, int64_t off,
			 int64_t len, int want)
{
	struct fc_notify_inval_inode_out n = { ino, off, len };

	ck_assert_int_eq(fc_mock_notify(e->m, FC_NOTIFY_INVAL_INODE, &n,
					sizeof(n)), want);
}

/* fuse_reverse_inval_inode: attributes, and with off >= 0 the pages. */
START_TEST(notify_inval_inode_drops_pages)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	/* off < 0: the attributes only. */
	notify_inval(&e, PC_NODE, -1, 0, 0);
	ck_assert_uint_eq(fc_node_attr_deadline(e.node), 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	/* The whole range: the next read goes to the daemon. */
	notify_inval(&e, PC_NODE, 0, 0, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 2);
	/* An unknown node: ENOENT to the daemon. */
	notify_inval(&e, 99, 0, 0, -ENOENT);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* NOTIFY_INVAL_INODE on a dirty page writes it back first (without blocking). */
START_TEST(notify_inval_inode_writes_dirty_page_first)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_mapping_stats st;
	struct fc_vma *vma;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "J", 1), 1);
	notify_inval(&e, PC_NODE, 0, 0, 0);
	fc_mock_pump(e.m); /* the daemon answers the WRITE it was sent */
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert(is_cache_write(pc_nth(&e, FC_WRITE, 0), NULL));
	ck_assert(pc_file_is(&e, 0, "jello", 1) == 0);
	ck_assert(pc_file_is(&e, 0, "J", 1));
	pc_mstats(&e, &st);
	ck_assert_uint_eq(st.nrpages, 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* fuse_notify_store: the data lands in the cache; the size grows to cover it. */
START_TEST(notify_store_fills_cache)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct {
		struct fc_notify_store_out h;
		char data[8];
	} __attribute__((packed)) s;
	char buf[32];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, FC_FOPEN_KEEP_CACHE);
	memset(&s, 0, sizeof(s));
	s.h.nodeid = PC_NODE;
	s.h.offset = 0;
	s.h.size = 8;
	memcpy(s.data, "STORED!!", 8);
	/* A partial first page that does not reach the end is not up to date. */
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_STORE, &s, sizeof(s)), 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	/* One covering the end of the file is; the size grows. */
	s.h.offset = 4096;
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_STORE, &s, sizeof(s)), 0);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 4104);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 8, 4096), 8);
	ck_assert(memcmp(buf, "STORED!!", 8) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	s.h.nodeid = 99;
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_STORE, &s, sizeof(s)),
			 -ENOENT);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* fuse_retrieve: NOTIFY_REPLY (41) with unique = notify_unique and the cached bytes. */
START_TEST(notify_retrieve_answers_with_notify_reply)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_notify_retrieve_out rq;
	const struct fc_notify_retrieve_in *ri;
	const struct fc_mock_req *r;
	char buf[18];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDONLY, 0);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 18, 0), 18);
	memset(&rq, 0, sizeof(rq));
	rq.notify_unique = 777;
	rq.nodeid = PC_NODE;
	rq.offset = 2;
	rq.size = 100; /* capped at the size: 16 bytes */
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_RETRIEVE, &rq, sizeof(rq)),
			 0);
	fc_mock_pump(e.m);
	ck_assert_uint_eq(pc_count(&e, FC_NOTIFY_REPLY), 1);
	r = pc_nth(&e, FC_NOTIFY_REPLY, 0);
	ck_assert_uint_eq(r->hdr.unique, 777);
	ck_assert_uint_eq(r->hdr.nodeid, PC_NODE);
	ck_assert_uint_eq(r->body_len, sizeof(*ri) + 16);
	ri = r->body;
	ck_assert_uint_eq(ri->offset, 2);
	ck_assert_uint_eq(ri->size, 16);
	ck_assert(memcmp((const char *)r->body + sizeof(*ri), &CONTENT[2], 16) == 0);
	rq.nodeid = 99;
	ck_assert_int_eq(fc_mock_notify(e.m, FC_NOTIFY_RETRIEVE, &rq, sizeof(rq)),
			 -ENOENT);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* ---- writeback-cache mode ------------------------------------------------------------------ */

/*
 * FUSE_WRITEBACK_CACHE: write() sends nothing (a partly written page is
 * read first); the size is the kernel side's; fsync sends the WRITE
 * (WRITE_CACHE, pid 0), SETATTR of the times (MTIME|CTIME|FH, as in the
 * Linux trace 0x460), then FSYNC.
 */
START_TEST(writeback_cache_mode_owns_size_and_times)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_WRITEBACK_CACHE };
	struct pc_env e;
	struct fc_open_ctx *of;
	const struct fc_mock_req *r;
	struct fc_attr attr;
	const struct fc_setattr_in *si;
	char buf[32];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	ck_assert(fc_cache_writeback_mode(e.cl));
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(pwrite_(&e, of, "HELLO", 0), 5);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 1);
	ck_assert_int_eq(pwrite_(&e, of, "!!", 30), 2);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 32);
	/* The daemon's size does not win over the cached writes. */
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, of, 1, &attr), 0);
	ck_assert_uint_eq(attr.size, 32);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, 32, 0), 32);
	ck_assert(memcmp(buf, "HELLO world\nagain\n", 18) == 0);
	ck_assert(memcmp(buf + 30, "!!", 2) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);

	ck_assert_int_eq(pc_fsync(&e, of, 0), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	r = pc_nth(&e, FC_WRITE, 0);
	ck_assert_uint_eq(write_in(r)->write_flags, FC_WRITE_CACHE);
	ck_assert_uint_eq(write_in(r)->size, 32);
	ck_assert_uint_eq(write_in(r)->flags, 0);
	ck_assert_uint_eq(r->hdr.pid, 0);
	ck_assert(pc_file_is(&e, 0, "HELLO world\nagain\n", 18));
	ck_assert(pc_file_is(&e, 30, "!!", 2));
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), 1);
	si = pc_nth(&e, FC_SETATTR, 0)->body;
	ck_assert_uint_eq(si->valid, FC_FATTR_MTIME | FC_FATTR_CTIME | FC_FATTR_FH);
	ck_assert_uint_eq(si->fh, 9);
	ck_assert_int_lt(pc_pos(&e, FC_WRITE, 0), pc_pos(&e, FC_SETATTR, 0));
	ck_assert_int_lt(pc_pos(&e, FC_SETATTR, 0), pc_pos(&e, FC_FSYNC, 0));
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	pc_down(&e);
}
END_TEST

/*
 * fuse_get_cache_mask: in writeback-cache mode a cached write leaves the
 * size, mtime and ctime the client's own, so reading past the end or
 * appending asks nothing; stat() still asks for the blocks (and keeps the
 * local size).
 */
START_TEST(writeback_cache_mode_size_needs_no_getattr)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_WRITEBACK_CACHE };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_attr attr;
	uint64_t pos;
	unsigned ga;
	char buf[32];

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR | FC_O_APPEND, 0);
	ga = pc_count(&e, FC_GETATTR);
	ck_assert_int_eq(pwrite_(&e, of, "tail", 0), 4);
	pos = 0;
	ck_assert_int_eq(fc_cache_write(e.cl, &e.who, of, "!", 1, &pos), 1);
	ck_assert_uint_eq(fc_node_attr(e.node)->size, 23);
	ck_assert_int_eq(fc_cache_read(e.cl, &e.who, of, buf, sizeof(buf), 0), 23);
	ck_assert(memcmp(buf + 18, "tail!", 5) == 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga);
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, NULL, 0, &attr), 0);
	ck_assert_uint_eq(pc_count(&e, FC_GETATTR), ga + 1);
	ck_assert_uint_eq(attr.size, 23);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_do_setattr with trust_local_cmtime: in writeback-cache mode
 * utimensat() sends the times themselves (UTIME_NOW as the time, without
 * MTIME_NOW) and the change time (CTIME), and they become the cached times
 * whatever the reply says; stat() shows the time that was set.
 */
START_TEST(writeback_cache_mode_setattr_times_stay_local)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_WRITEBACK_CACHE };
	struct fc_setattr_in in;
	const struct fc_setattr_in *si;
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_attr attr;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(pwrite_(&e, of, "X", 0), 1);

	/* utimensat(path, {UTIME_NOW, 1000.5}) as the VFS hands it over. */
	memset(&in, 0, sizeof(in));
	in.valid = FC_FATTR_ATIME | FC_FATTR_ATIME_NOW | FC_FATTR_MTIME;
	in.atime = 7;
	in.mtime = 1000;
	in.mtimensec = 5;
	ck_assert_int_eq(fc_setattr(e.cl, &e.who, e.node, NULL, &in, &attr), 0);
	/* The dirty data went first, with the times it gave the file. */
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_int_lt(pc_pos(&e, FC_WRITE, 0),
			 pc_pos(&e, FC_SETATTR, pc_count(&e, FC_SETATTR) - 1));
	si = pc_nth(&e, FC_SETATTR, pc_count(&e, FC_SETATTR) - 1)->body;
	ck_assert_uint_eq(si->valid, FC_FATTR_ATIME | FC_FATTR_ATIME_NOW |
				     FC_FATTR_MTIME | FC_FATTR_CTIME);
	ck_assert_uint_eq(si->mtime, 1000);
	ck_assert_uint_ne(si->ctime, 0);
	ck_assert_uint_eq(attr.mtime, 1000);
	ck_assert_uint_eq(attr.mtimensec, 5);
	ck_assert_uint_eq(attr.ctime, si->ctime);
	/* A GETATTR answered with the daemon's own times does not undo it. */
	ck_assert_int_eq(fc_getattr(e.cl, &e.who, e.node, NULL, 1, &attr), 0);
	ck_assert_uint_eq(attr.mtime, 1000);
	ck_assert_uint_eq(attr.ctime, si->ctime);

	/* UTIME_NOW for the mtime: the time itself, no MTIME_NOW. */
	in.valid = FC_FATTR_MTIME | FC_FATTR_MTIME_NOW;
	in.mtime = 2000;
	in.mtimensec = 0;
	ck_assert_int_eq(fc_setattr(e.cl, &e.who, e.node, NULL, &in, &attr), 0);
	si = pc_nth(&e, FC_SETATTR, pc_count(&e, FC_SETATTR) - 1)->body;
	ck_assert_uint_eq(si->valid, FC_FATTR_MTIME | FC_FATTR_CTIME);
	ck_assert_uint_eq(attr.mtime, 2000);
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/*
 * fuse_entry_unlinked / fuse_update_ctime: the link count drops and the
 * ctime is stale; in writeback-cache mode the file's ctime is now
 * and goes out at once -- the Linux 6.18 trace's SETATTR valid=0x420
 * (MTIME|CTIME, no fh) after unlink and rename; with a writable file open
 * it carries that file's fh.  LINK does the same (fuse_link).  Without
 * writeback cache nothing is sent (S_NOCMTIME).
 */
START_TEST(unlinked_file_ctime)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES |
				      (_i ? FC_WRITEBACK_CACHE : 0) };
	const struct fc_setattr_in *si;
	struct fc_mock_exp *link;
	struct fc_entry_out eo;
	struct fc_entry ent;
	struct fc_open_ctx *of;
	struct pc_env e;

	pc_up(&e, &o, CONTENT, 18);
	link = fc_mock_expect(e.m, FC_LINK, FC_ROOT_ID);
	fc_mock_entry_out(&eo, PC_NODE, PC_GEN, FC_S_IFREG | 0644);
	eo.attr.nlink = 2;
	eo.attr_valid = 100;
	ck_assert_int_eq(fc_mock_exp_reply(link, &eo, sizeof(eo)), 0);
	pc_defaults(&e);
	pc_lookup(&e);
	ck_assert_int_eq(fc_link(e.cl, &e.who, e.node, fc_client_root(e.cl), "g", 1,
				 &ent), 0);
	ck_assert_ptr_eq(ent.node, e.node);
	fc_node_put(e.cl, ent.node);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), _i ? 1 : 0);

	fc_entry_unlinked(e.cl, &e.who, e.node);
	ck_assert_uint_eq(fc_node_attr(e.node)->nlink, 1);
	/* The ctime is stale, unless the client keeps it (writeback cache). */
	ck_assert_int_eq(fc_node_attr_stale(e.cl, e.node, FC_STATX_BASIC_STATS), !_i);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), _i ? 2 : 0);
	if (_i) {
		si = pc_nth(&e, FC_SETATTR, 1)->body;
		ck_assert_uint_eq(si->valid, FC_FATTR_MTIME | FC_FATTR_CTIME);
		ck_assert_uint_eq(si->ctime, fc_node_attr(e.node)->ctime);
		ck_assert_uint_ne(si->ctime, 0);
	}

	/* Renamed while open for writing: the SETATTR carries that fh. */
	of = pc_open(&e, FC_O_WRONLY, 0);
	fc_update_ctime(e.cl, &e.who, e.node);
	ck_assert_uint_eq(pc_count(&e, FC_SETATTR), _i ? 3 : 0);
	if (_i) {
		si = pc_nth(&e, FC_SETATTR, 2)->body;
		ck_assert_uint_eq(si->valid, FC_FATTR_MTIME | FC_FATTR_CTIME | FC_FATTR_FH);
		ck_assert_uint_eq(si->fh, 9);
	}
	ck_assert_int_eq(pc_close(&e, of), 0);
	pc_down(&e);
}
END_TEST

/* In writeback-cache mode dirty data goes out at close, before FLUSH. */
START_TEST(writeback_cache_mode_close_writes_before_flush)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES | FC_WRITEBACK_CACHE };
	struct pc_env e;
	struct fc_open_ctx *of;

	pc_up(&e, &o, "", 0);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_WRONLY, 0);
	ck_assert_int_eq(pwrite_(&e, of, "fresh", 0), 5);
	ck_assert_uint_eq(pc_count(&e, FC_READ), 0); /* past the end: no READ */
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	ck_assert_int_eq(pc_close(&e, of), 0);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 1);
	ck_assert_uint_eq(write_in(pc_nth(&e, FC_WRITE, 0))->size, 5);
	ck_assert_int_lt(pc_pos(&e, FC_WRITE, 0), pc_pos(&e, FC_SETATTR, 0));
	ck_assert_int_lt(pc_pos(&e, FC_SETATTR, 0), pc_pos(&e, FC_FLUSH, 0));
	ck_assert(pc_file_is(&e, 0, "fresh", 5));
	pc_down(&e);
}
END_TEST

/* ---- stale handles ---------------------------------------------------------------------- */

/* Writeback for a node whose nodeid now names another generation is refused. */
START_TEST(writeback_refused_for_stale_node)
{
	struct pc_opts o = { .flags = FC_BIG_WRITES };
	struct pc_env e;
	struct fc_open_ctx *of;
	struct fc_vma *vma;

	pc_up(&e, &o, CONTENT, 18);
	pc_defaults(&e);
	pc_lookup(&e);
	of = pc_open(&e, FC_O_RDWR, 0);
	ck_assert_int_eq(fc_cache_mmap(e.cl, &e.who, of, 0, 4096,
				       FC_PROT_READ | FC_PROT_WRITE,
				       FC_MAP_SHARED, &vma), 0);
	ck_assert_int_eq(fc_vma_store(vma, 0, "S", 1), 1);
	e.generation = 2;
	pc_lookup(&e); /* the old node is stale now; the file keeps it */
	ck_assert(fc_node_is_stale(fc_open_node(of)));
	ck_assert_int_eq(fc_vma_msync(vma, &e.who, 0, 4096, FC_MS_SYNC), -ESTALE);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	ck_assert_uint_eq(pc_count(&e, FC_FSYNC), 0);
	fc_vma_unmap(vma);
	ck_assert_int_eq(pc_close(&e, of), -ESTALE);
	ck_assert_uint_eq(pc_count(&e, FC_WRITE), 0);
	pc_down(&e);
}
END_TEST

static Suite *pagecache_suite(void)
{
	Suite *s = suite_create("pagecache");
	TCase *tc = tcase_create("client");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cached_read_getattr_then_one_page);
	tcase_add_test(tc, readahead_window_in_one_read);
	tcase_add_test(tc, short_read_shrinks_cached_size);
	tcase_add_test(tc, write_through_updates_cached_page);
	tcase_add_test(tc, write_through_splits_at_pages_without_big_writes);
	tcase_add_test(tc, write_through_stops_after_partial_page_not_uptodate);
	tcase_add_test(tc, SharedMmapDirtyThenPwriteKeepsLatestData);
	tcase_add_test(tc, msync_writeback_zero_creds_linux_policy);
	tcase_add_test(tc, msync_writeback_opener_creds_policy);
	tcase_add_test(tc, munmap_writes_dirty_pages_back);
	tcase_add_test(tc, msync_past_the_mapping_is_enomem_after_sync);
	tcase_add_test(tc, munmap_writeback_error_reported_at_close);
	tcase_add_test(tc, private_mapping_copies_on_write);
	tcase_add_test(tc, direct_io_shared_mmap_enodev);
	tcase_add_test(tc, overlapping_write_waits_for_held_writeback);
	tcase_add_test(tc, writeback_waits_for_held_write_through);
	tcase_add_test(tc, truncate_waits_for_held_writeback);
	tcase_add_test(tc, store_waits_for_held_writeback);
	tcase_add_test(tc, direct_write_waits_for_held_writeback);
	tcase_add_test(tc, writeback_error_reaches_each_fsync_once);
	tcase_add_test(tc, writeback_error_reaches_close_once);
	tcase_add_test(tc, direct_write_invalidates_overlapping_page);
	tcase_add_test(tc, eviction_tiny_capacity_loses_no_dirty_data);
	tcase_add_test(tc, keep_cache_honoured_at_open);
	tcase_add_test(tc, changed_mtime_invalidates_with_auto_inval_data);
	tcase_add_test(tc, changed_size_invalidates);
	tcase_add_loop_test(tc, attr_reply_older_than_write_dropped, 0, 2);
	tcase_add_test(tc, local_changes_stale_only_their_fields);
	tcase_add_test(tc, attr_change_launders_before_the_call_returns);
	tcase_add_test(tc, notify_inval_inode_drops_pages);
	tcase_add_test(tc, notify_inval_inode_writes_dirty_page_first);
	tcase_add_test(tc, notify_store_fills_cache);
	tcase_add_test(tc, notify_retrieve_answers_with_notify_reply);
	tcase_add_test(tc, writeback_cache_mode_owns_size_and_times);
	tcase_add_test(tc, writeback_cache_mode_size_needs_no_getattr);
	tcase_add_test(tc, writeback_cache_mode_setattr_times_stay_local);
	tcase_add_loop_test(tc, unlinked_file_ctime, 0, 2);
	tcase_add_test(tc, writeback_cache_mode_close_writes_before_flush);
	tcase_add_test(tc, writeback_refused_for_stale_node);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pagecache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
