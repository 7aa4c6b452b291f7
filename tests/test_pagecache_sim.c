/*
 * Tests of the simulated page cache alone (fusecore/pagecache.h, struct
 * fc_pc_ops), driven through the seam by a fake client (struct
 * fc_pc_aops) that records what it is asked: the errseq rules, eviction
 * order under a capacity, readahead windows, runs handed to writepages,
 * truncation and the two invalidation modes.  Single-threaded.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <string.h>

#include "fusecore/pagecache.h"
#include "fusecore/platform.h"

#define MAXCALLS 64

struct fake {
	const struct fc_pc_ops *ops;
	struct fc_pagecache *pc;
	struct fc_mapping *m;
	uint64_t size;
	int async_writes;            /* keep pages under writeback */
	int fail_reads;
	unsigned nreads;
	uint64_t read_first[MAXCALLS];
	unsigned read_n[MAXCALLS];
	unsigned nwrites;
	uint64_t write_first[MAXCALLS];
	unsigned write_n[MAXCALLS];
	struct fc_page *held[MAXCALLS];
	unsigned nheld;
};

static int fk_readpages(void *ctx, struct fc_mapping *m, void *file,
			struct fc_page **pages, unsigned n)
{
	struct fake *f = ctx;
	unsigned i;

	(void)m;
	(void)file;
	ck_assert_uint_lt(f->nreads, MAXCALLS);
	f->read_first[f->nreads] = f->ops->page_index(pages[0]);
	f->read_n[f->nreads++] = n;
	for (i = 0; i < n; i++) {
		ck_assert(f->ops->page_flags(pages[i]) & FC_PG_LOCKED);
		if (!f->fail_reads) {
			memset(f->ops->page_data(pages[i]),
			       'a' + (int)(f->ops->page_index(pages[i]) % 26),
			       FC_PC_PAGE_SIZE);
			f->ops->page_set_uptodate(pages[i], 1);
		}
		f->ops->page_unlock(pages[i]);
	}
	return f->fail_reads ? -EIO : 0;
}

static int fk_writepages(void *ctx, struct fc_mapping *m,
			 struct fc_page **pages, unsigned n, int sync)
{
	struct fake *f = ctx;
	unsigned i;

	(void)m;
	(void)sync;
	ck_assert_uint_lt(f->nwrites, MAXCALLS);
	f->write_first[f->nwrites] = f->ops->page_index(pages[0]);
	f->write_n[f->nwrites++] = n;
	for (i = 0; i < n; i++) {
		ck_assert(f->ops->page_flags(pages[i]) & FC_PG_WRITEBACK);
		ck_assert(!(f->ops->page_flags(pages[i]) & FC_PG_DIRTY));
		if (f->async_writes) {
			f->ops->page_ref(pages[i]);
			f->held[f->nheld++] = pages[i];
		} else {
			f->ops->page_end_writeback(pages[i], 0);
		}
	}
	return 0;
}

static uint64_t fk_size(void *ctx)
{
	return ((struct fake *)ctx)->size;
}

static const struct fc_pc_aops fk_aops = {
	.version = FC_PC_AOPS_VERSION,
	.readpages = fk_readpages,
	.writepages = fk_writepages,
	.size = fk_size,
};

static void fk_up(struct fake *f, uint64_t capacity, uint32_t ra_pages)
{
	struct fc_pagecache_sim_config cfg;

	memset(f, 0, sizeof(*f));
	f->ops = fc_pagecache_sim_ops();
	fc_pagecache_sim_config_default(&cfg, fc_platform_posix());
	cfg.capacity = capacity;
	ck_assert_int_eq(fc_pagecache_sim_new(&cfg, &f->pc), 0);
	ck_assert_int_eq(f->ops->mapping_new(f->pc, &fk_aops, f, ra_pages, &f->m), 0);
}

static void fk_end_held(struct fake *f)
{
	unsigned i;

	for (i = 0; i < f->nheld; i++) {
		f->ops->page_end_writeback(f->held[i], 0);
		f->ops->page_put(f->held[i]);
	}
	f->nheld = 0;
}

/*
 * A host whose waits cannot make progress themselves (threads do it):
 * another thread ends the held writeback while the cache's lock is
 * dropped for this call, and there is nothing for the waiter to do.
 */
static int fk_wait_progress_elsewhere(void *ctx)
{
	fk_end_held(ctx);
	return 0;
}

static const struct fc_pc_aops fk_aops_threaded = {
	.version = FC_PC_AOPS_VERSION,
	.readpages = fk_readpages,
	.writepages = fk_writepages,
	.size = fk_size,
	.wait_progress = fk_wait_progress_elsewhere,
};

static void fk_down(struct fake *f)
{
	fk_end_held(f);
	f->ops->mapping_free(f->m);
	fc_pagecache_sim_free(f->pc);
}

/* Make page @index up to date with @c and dirty. */
static void fk_dirty(struct fake *f, uint64_t index, char c)
{
	struct fc_page *pg = f->ops->page_get(f->m, index,
					      FC_PGET_CREATE | FC_PGET_LOCK, NULL);

	ck_assert_ptr_nonnull(pg);
	memset(f->ops->page_data(pg), c, FC_PC_PAGE_SIZE);
	f->ops->page_set_uptodate(pg, 1);
	f->ops->page_set_dirty(pg);
	f->ops->page_unlock(pg);
	f->ops->page_put(pg);
}

static void fk_stats(struct fake *f, struct fc_mapping_stats *st)
{
	f->ops->mapping_stats(f->m, st);
}

/* ---- errseq -------------------------------------------------------------------- */

START_TEST(errseq_each_cursor_sees_each_error_once)
{
	struct fake f;
	uint64_t a, b, c;

	fk_up(&f, 16, 4);
	a = f.ops->err_sample(f.m);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &a), 0);
	f.ops->set_error(f.m, -EIO);
	/* Nobody saw it yet: a new opener is told too (errseq_sample gives 0). */
	b = f.ops->err_sample(f.m);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &a), -EIO);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &a), 0);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &b), -EIO);
	/* Seen now: a later opener is not told. */
	c = f.ops->err_sample(f.m);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &c), 0);
	/* A second error after it was seen reaches every cursor again. */
	f.ops->set_error(f.m, -ENOSPC);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &a), -ENOSPC);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &b), -ENOSPC);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &c), -ENOSPC);
	ck_assert_int_eq(f.ops->err_check_and_advance(f.m, &c), 0);
	/* filemap_check_errors: test and clear, once in all. */
	ck_assert_int_eq(f.ops->check_errors(f.m), -EIO);
	ck_assert_int_eq(f.ops->check_errors(f.m), 0);
	fk_down(&f);
}
END_TEST

/* ---- readahead and the read path ------------------------------------------------- */

START_TEST(read_windows_grow_while_sequential)
{
	struct fake f;
	char buf[4096];

	fk_up(&f, 256, 32);
	f.size = 100 * FC_PC_PAGE_SIZE;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 100, 0), 100);
	ck_assert_uint_eq(f.nreads, 1);
	ck_assert_uint_eq(f.read_n[0], 4); /* get_init_ra_size(1, 32) */
	ck_assert_int_eq(buf[0], 'a');
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 4096, 3 * 4096), 4096);
	ck_assert_uint_eq(f.nreads, 1);
	ck_assert_int_eq(buf[0], 'd');
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 4096, 4 * 4096), 4096);
	ck_assert_uint_eq(f.nreads, 2);
	ck_assert_uint_eq(f.read_first[1], 4);
	ck_assert_uint_eq(f.read_n[1], 8); /* get_next_ra_size(4, 32) */
	/* Clipped at the end of the file; nothing past it. */
	f.size = 10 * FC_PC_PAGE_SIZE + 5;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 4096, 10 * 4096), 5);
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 4096, 11 * 4096), 0);
	fk_down(&f);
}
END_TEST

/*
 * page_cache_sync_ra for a read that does not follow the previous one: a small
 * random read is read as is (one page); one right after pages that are
 * cached reads as far ahead as that history goes back (twice as far when
 * it reaches the start of the file); the live Linux 6.18 kernel read one
 * page for pread(fd, 8, 12288) as a file's first read.
 */
START_TEST(random_read_reads_as_is)
{
	struct fake f;
	char buf[16];

	fk_up(&f, 256, 32);
	f.size = 100 * FC_PC_PAGE_SIZE;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 3 * 4096), 8);
	ck_assert_uint_eq(f.nreads, 1);
	ck_assert_uint_eq(f.read_first[0], 3);
	ck_assert_uint_eq(f.read_n[0], 1);
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 50 * 4096), 8);
	ck_assert_uint_eq(f.read_n[1], 1);
	/* Page 3 cached, 2 not: one page of history is no stream. */
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 4 * 4096), 8);
	ck_assert_uint_eq(f.nreads, 3);
	ck_assert_uint_eq(f.read_first[2], 4);
	ck_assert_uint_eq(f.read_n[2], 1);
	/* The start of the file: the initial window, up to the cached page 3. */
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 0), 8);
	ck_assert_uint_eq(f.read_first[3], 0);
	ck_assert_uint_eq(f.read_n[3], 3);
	/* Pages 0-4 cached: a miss at 5 reads (5 * 2) + 1 pages. */
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 60 * 4096), 8);
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 8, 5 * 4096), 8);
	ck_assert_uint_eq(f.read_first[f.nreads - 1], 5);
	ck_assert_uint_eq(f.read_n[f.nreads - 1], 11);
	fk_down(&f);
}
END_TEST

/*
 * A wake-up that comes while the lock is dropped for wait_progress() is
 * not lost: the waiter looks again instead of sleeping for good (with
 * the fd transport's receive thread this hung an fsync now and then).
 */
START_TEST(wake_while_unlocked_is_not_lost)
{
	struct fake f;

	fk_up(&f, 256, 32);
	f.ops->mapping_free(f.m);
	ck_assert_int_eq(f.ops->mapping_new(f.pc, &fk_aops_threaded, &f, 32, &f.m), 0);
	fk_dirty(&f, 0, 'x');
	f.async_writes = 1;
	ck_assert_int_eq(f.ops->write_range(f.m, 0, FC_PC_INDEX_MAX, 0), 0);
	ck_assert_uint_eq(f.nheld, 1);
	/* Would sleep for ever (the test's timeout) if the wake-up were lost. */
	ck_assert_int_eq(f.ops->wait_range(f.m, 0, FC_PC_INDEX_MAX), 0);
	ck_assert(!f.ops->range_has_writeback(f.m, 0, 0));
	fk_down(&f);
}
END_TEST

START_TEST(read_error_retries_the_page_alone_then_fails)
{
	struct fake f;
	char buf[16];

	fk_up(&f, 16, 8);
	f.size = 8 * FC_PC_PAGE_SIZE;
	f.fail_reads = 1;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 16, 0), -EIO);
	ck_assert_uint_eq(f.nreads, 2);
	ck_assert_uint_gt(f.read_n[0], 1);
	ck_assert_uint_eq(f.read_n[1], 1);
	f.fail_reads = 0;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 16, 0), 16);
	fk_down(&f);
}
END_TEST

START_TEST(fault_past_eof_is_sigbus_without_read)
{
	struct fake f;
	struct fc_page *pg;

	fk_up(&f, 16, 8);
	f.size = 100;
	ck_assert_int_eq(f.ops->fault(f.m, NULL, 1, &pg), -EFAULT);
	ck_assert_uint_eq(f.nreads, 0);
	ck_assert_int_eq(f.ops->fault(f.m, NULL, 0, &pg), 0);
	ck_assert(f.ops->page_flags(pg) & FC_PG_UPTODATE);
	f.ops->page_put(pg);
	fk_down(&f);
}
END_TEST

/* ---- writeback ------------------------------------------------------------------- */

START_TEST(write_range_hands_over_contiguous_runs)
{
	struct fake f;
	struct fc_mapping_stats st;

	fk_up(&f, 16, 8);
	f.size = 16 * FC_PC_PAGE_SIZE;
	fk_dirty(&f, 1, 'x');
	fk_dirty(&f, 2, 'x');
	fk_dirty(&f, 3, 'x');
	fk_dirty(&f, 7, 'y');
	f.async_writes = 1;
	ck_assert_int_eq(f.ops->write_range(f.m, 0, FC_PC_INDEX_MAX, 0), 0);
	ck_assert_uint_eq(f.nwrites, 2);
	ck_assert_uint_eq(f.write_first[0], 1);
	ck_assert_uint_eq(f.write_n[0], 3);
	ck_assert_uint_eq(f.write_first[1], 7);
	ck_assert_uint_eq(f.write_n[1], 1);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.dirty, 0);
	ck_assert_uint_eq(st.writeback, 4);
	ck_assert(f.ops->range_has_writeback(f.m, 2, 2));
	ck_assert(!f.ops->range_has_writeback(f.m, 4, 6));
	/* Redirtied under writeback: WB_SYNC_NONE skips it. */
	{
		struct fc_page *pg = f.ops->page_get(f.m, 7, 0, NULL);

		ck_assert_ptr_nonnull(pg);
		f.ops->page_put(pg);
	}
	fk_end_held(&f);
	ck_assert_int_eq(f.ops->wait_range(f.m, 0, FC_PC_INDEX_MAX), 0);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.writeback, 0);
	fk_down(&f);
}
END_TEST

/* ---- eviction ------------------------------------------------------------------------ */

START_TEST(eviction_takes_oldest_clean_then_writes_dirty)
{
	struct fc_pagecache_sim_stats ps;
	struct fc_mapping_stats st;
	struct fake f;
	struct fc_page *pg;
	char buf[1];

	fk_up(&f, 3, 1);
	f.size = 16 * FC_PC_PAGE_SIZE;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 0), 1);
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 4096), 1);
	fk_dirty(&f, 5, 'd');
	/* Full: page 0 (oldest, clean) goes for page 9. */
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 9 * 4096), 1);
	pg = f.ops->page_get(f.m, 0, 0, NULL);
	ck_assert_ptr_null(pg);
	/* Only dirty and in-use pages left: the dirty one is written first. */
	pg = f.ops->page_get(f.m, 1, FC_PGET_LOCK, NULL);
	ck_assert_ptr_nonnull(pg);
	{
		struct fc_page *p9 = f.ops->page_get(f.m, 9, FC_PGET_LOCK, NULL);
		struct fc_page *n;
		int err;

		ck_assert_ptr_nonnull(p9);
		n = f.ops->page_get(f.m, 12, FC_PGET_CREATE, &err);
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(f.nwrites, 1);
		ck_assert_uint_eq(f.write_first[0], 5);
		/* Nothing can go now (locked or in use), and NOWAIT does not wait. */
		ck_assert_ptr_null(f.ops->page_get(f.m, 13,
						   FC_PGET_CREATE | FC_PGET_NOWAIT,
						   &err));
		ck_assert_int_eq(err, -ENOMEM);
		f.ops->page_put(n);
		f.ops->page_unlock(p9);
		f.ops->page_put(p9);
	}
	f.ops->page_unlock(pg);
	f.ops->page_put(pg);
	fc_pagecache_sim_stats(f.pc, &ps);
	ck_assert_uint_le(ps.pages, 3);
	ck_assert_uint_eq(ps.evict_writebacks, 1);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.dirty, 0);
	fk_down(&f);
}
END_TEST

/* ---- truncation and invalidation ---------------------------------------------------- */

START_TEST(truncate_drops_dirty_pages_and_zeroes_tail)
{
	struct fake f;
	struct fc_mapping_stats st;
	struct fc_page *pg;
	const unsigned char *d;

	fk_up(&f, 16, 4);
	f.size = 4 * FC_PC_PAGE_SIZE;
	fk_dirty(&f, 0, 'p');
	fk_dirty(&f, 1, 'q');
	fk_dirty(&f, 3, 'r');
	f.size = 100;
	f.ops->truncate(f.m, 100);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.nrpages, 1);
	pg = f.ops->page_get(f.m, 0, 0, NULL);
	ck_assert_ptr_nonnull(pg);
	d = f.ops->page_data(pg);
	ck_assert_int_eq(d[99], 'p');
	ck_assert_int_eq(d[100], 0);
	ck_assert_int_eq(d[4095], 0);
	f.ops->page_put(pg);
	fk_down(&f);
}
END_TEST

START_TEST(invalidate_wait_launders_dirty_pages)
{
	struct fake f;
	struct fc_mapping_stats st;
	char buf[1];

	fk_up(&f, 16, 1);
	f.size = 4 * FC_PC_PAGE_SIZE;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 0), 1);
	fk_dirty(&f, 2, 'z');
	ck_assert_int_eq(f.ops->invalidate_range(f.m, 0, FC_PC_INDEX_MAX,
						 FC_PC_INVAL_WAIT), 0);
	ck_assert_uint_eq(f.nwrites, 1);
	ck_assert_uint_eq(f.write_first[0], 2);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.nrpages, 0);
	fk_down(&f);
}
END_TEST

START_TEST(invalidate_nowait_defers_busy_pages)
{
	struct fake f;
	struct fc_mapping_stats st;
	struct fc_page *locked;
	char buf[1];

	fk_up(&f, 16, 1);
	f.size = 4 * FC_PC_PAGE_SIZE;
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 0), 1);
	ck_assert_int_eq(f.ops->read(f.m, NULL, buf, 1, 4096), 1);
	fk_dirty(&f, 2, 'z');
	locked = f.ops->page_get(f.m, 1, FC_PGET_LOCK, NULL);
	f.async_writes = 1;
	ck_assert_int_eq(f.ops->invalidate_range(f.m, 0, FC_PC_INDEX_MAX,
						 FC_PC_INVAL_NOWAIT), 0);
	/* Page 0 is gone, page 1 waits for its lock, page 2 for its WRITE. */
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.nrpages, 2);
	ck_assert_uint_eq(f.nwrites, 1);
	ck_assert_uint_eq(st.writeback, 1);
	f.ops->page_unlock(locked);
	f.ops->page_put(locked);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.nrpages, 1);
	fk_end_held(&f);
	fk_stats(&f, &st);
	ck_assert_uint_eq(st.nrpages, 0);
	fk_down(&f);
}
END_TEST

static Suite *sim_suite(void)
{
	Suite *s = suite_create("pagecache_sim");
	TCase *tc = tcase_create("sim");

	tcase_add_test(tc, errseq_each_cursor_sees_each_error_once);
	tcase_add_test(tc, read_windows_grow_while_sequential);
	tcase_add_test(tc, random_read_reads_as_is);
	tcase_add_test(tc, wake_while_unlocked_is_not_lost);
	tcase_add_test(tc, read_error_retries_the_page_alone_then_fails);
	tcase_add_test(tc, fault_past_eof_is_sigbus_without_read);
	tcase_add_test(tc, write_range_hands_over_contiguous_runs);
	tcase_add_test(tc, eviction_takes_oldest_clean_then_writes_dirty);
	tcase_add_test(tc, truncate_drops_dirty_pages_and_zeroes_tail);
	tcase_add_test(tc, invalidate_wait_launders_dirty_pages);
	tcase_add_test(tc, invalidate_nowait_defers_busy_pages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
