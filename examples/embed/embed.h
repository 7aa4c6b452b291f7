/*
 * embed.h - the parts of the example "host kernel" (examples/embed/).
 *
 * A host that links libfusecore's protocol core into its own kernel or
 * emulator brings four things of its own, and this example shows each in
 * one file (docs/embedding.md walks through them):
 *
 *   host.c    the platform table (allocator over a static arena, a fake
 *             clock, no-op locks: the host has no threads), the host's own
 *             tiny "VFS" calling fusecore/ops.h directly, and main();
 *   minipc.c  the host's own page cache behind the page-cache seam
 *             (struct fc_pc_ops of fusecore/pagecache.h);
 *   toyfs.c   a daemon: the library's mock daemon in polled mode, scripted
 *             as a small in-memory file system (a real host would have a
 *             virtqueue or a /dev/fuse-like channel here instead).
 */
#ifndef FUSECORE_EMBED_H
#define FUSECORE_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "fusecore/mock.h"
#include "fusecore/pagecache.h"
#include "fusecore/platform.h"

/* ---- host.c --------------------------------------------------------------- */

/* The host's platform table (built on first use). */
const struct fc_platform *host_platform(void);

/* The fake clock: platform time in nanoseconds, moved only by the host. */
void host_clock_advance(uint64_t ns);

/* Arena statistics, to show the host that nothing leaked. */
size_t host_arena_live(void);
size_t host_arena_peak(void);

/* ---- minipc.c --------------------------------------------------------------- */

/* The host's page cache: @npages pages from the host allocator. */
struct fc_pagecache *minipc_new(const struct fc_platform *plat, unsigned npages);
void minipc_free(struct fc_pagecache *pc);
/* Its operations table (the seam). */
const struct fc_pc_ops *minipc_ops(void);
/* Pages in use, and writepages calls seen (for the example's output). */
unsigned minipc_pages_used(struct fc_pagecache *pc);
unsigned minipc_writepages_calls(struct fc_pagecache *pc);

/* ---- toyfs.c ----------------------------------------------------------------- */

/* Script @m as a small in-memory file system; @writeback grants WRITEBACK_CACHE. */
void toyfs_attach(struct fc_mock *m, int writeback);
/* Requests the file system answered, by opcode name, into @buf. */
void toyfs_summary(char *buf, size_t size);

#endif /* FUSECORE_EMBED_H */
