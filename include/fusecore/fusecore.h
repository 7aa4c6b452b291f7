/*
 * fusecore/fusecore.h - the umbrella header and the library version.
 *
 * Include this for everything: the wire protocol, the platform and
 * transport seams, the connection, the inode operations, the page cache,
 * the simulated VFS, the mock daemon, the decoder and the daemon launcher.
 * Embedders that bring their own VFS and page cache include only the seams
 * they use (conn.h, ops.h, pagecache.h).
 */
#ifndef FUSECORE_FUSECORE_H
#define FUSECORE_FUSECORE_H

/** Library version (the same as the project's and the shared library's). */
#define FC_VERSION_MAJOR 0
#define FC_VERSION_MINOR 1
#define FC_VERSION_PATCH 0
/** The version as one comparable number: major * 10000 + minor * 100 + patch. */
#define FC_VERSION_NUMBER \
	(FC_VERSION_MAJOR * 10000 + FC_VERSION_MINOR * 100 + FC_VERSION_PATCH)

#include "fusecore/proto.h"
#include "fusecore/platform.h"
#include "fusecore/transport.h"
#include "fusecore/conn.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/vfs.h"
#include "fusecore/mock.h"
#include "fusecore/decode.h"
#include "fusecore/launch.h"
#include "fusecore/virtiofs.h"

#endif /* FUSECORE_FUSECORE_H */
