/*
 * Open files and their I/O: OPEN/OPENDIR, CREATE, FLUSH, RELEASE, FSYNC,
 * READ, WRITE, LSEEK, FALLOCATE, COPY_FILE_RANGE, IOCTL and POLL, as
 * Linux's fs/fuse/file.c (fuse_file_open, fuse_open, fuse_flush,
 * fuse_file_release, fuse_fsync, fuse_send_read, fuse_send_write,
 * fuse_perform_write, fuse_direct_io, fuse_lseek, fuse_file_fallocate,
 * __fuse_copy_file_range, fuse_file_poll), iomode.c (fuse_file_io_open),
 * ioctl.c (fuse_do_ioctl) and dir.c (fuse_create_open, fuse_atomic_open,
 * fuse_dir_fsync) do it.
 *
 * What the page cache does around these calls (invalidation on open
 * without FOPEN_KEEP_CACHE, writeback before flush and fsync, short-read
 * size updates) belongs to the page-cache seam; this file only decides
 * what travels and how the answer is taken.
 */
#include <errno.h>
#include <string.h>

#include "client_i.h"

/* Flags the VFS clears from f_flags once the file is open (do_dentry_open). */
#define FC_O_OPEN_ONLY (FC_O_CREAT | FC_O_EXCL | FC_O_NOCTTY | FC_O_TRUNC)
/* Flags fcntl(F_SETFL) may change (fs/fcntl.c SETFL_MASK; 020000 is FASYNC). */
#define FC_O_FASYNC 020000u
#define FC_SETFL_MASK \
	(FC_O_APPEND | FC_O_NONBLOCK | FC_O_DIRECT | FC_O_NOATIME | FC_O_FASYNC)
/* Linux's MAX_RW_COUNT (INT_MAX & PAGE_MASK): the most one read/write moves. */
#define FC_MAX_RW_COUNT 0x7ffff000u
/* fallocate modes FUSE passes on (fuse_file_fallocate). */
#define FC_FALLOC_FL_KEEP_SIZE  0x01u
#define FC_FALLOC_FL_PUNCH_HOLE 0x02u
#define FC_FALLOC_FL_ZERO_RANGE 0x10u
/* SEEK_DATA / SEEK_HOLE. */
#define FC_SEEK_DATA 3
#define FC_SEEK_HOLE 4
/* DEFAULT_POLLMASK: EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM. */
#define FC_DEFAULT_POLLMASK 0x145u
/*
 * A COPY_FILE_RANGE reply counts bytes in 32 bits: Linux asks for no
 * more than UINT_MAX & PAGE_MASK at once (__fuse_copy_file_range).
 */
#define FC_COPY_MAX 0xfffff000u

static const struct fc_caller no_caller;

static const struct fc_caller *caller_or_none(const struct fc_caller *who)
{
	return who ? who : &no_caller;
}

static int node_is_dir(const struct fc_node *n)
{
	return (n->attr.mode & FC_S_IFMT) == FC_S_IFDIR;
}

static int node_is_reg(const struct fc_node *n)
{
	return (n->attr.mode & FC_S_IFMT) == FC_S_IFREG;
}

/*
 * fuse_lock_owner_id() hashes a kernel pointer; our flock owners come
 * from a counter, mixed (a bijection that keeps 0 at 0, so every count
 * from 1 gives a distinct non-zero id) so that no daemon mistakes them
 * for small integers such as pids.
 */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* ---- open contexts ------------------------------------------------------------ */

/*
 * fuse_file_alloc: an open context, with a request set aside for its
 * RELEASE (Linux sends it with __GFP_NOFAIL), allocated before the OPEN or
 * CREATE goes out, so that a handle the daemon gives is never lost for
 * lack of memory.  ctx_bind() then ties it to its node.
 */
static struct fc_open_ctx *ctx_alloc(struct fc_client *cl,
				     const struct fc_caller *who, int is_dir)
{
	struct fc_open_ctx *of = cl->plat->alloc(cl->plat->ctx, sizeof(*of));

	if (!of)
		return NULL;
	memset(of, 0, sizeof(*of));
	if (fc_conn_reserve(cl->conn)) {
		cl->plat->free(cl->plat->ctx, of);
		return NULL;
	}
	of->release_reserved = 1;
	of->cl = cl;
	of->is_dir = is_dir;
	of->caller = *caller_or_none(who);
	return of;
}

static void ctx_bind(struct fc_client *cl, struct fc_open_ctx *of,
		     struct fc_node *node)
{
	fc_node_get(cl, node);
	of->node = node;
	fc_client_lock(cl);
	of->generation = node->generation;
	of->wb_err_cursor = node->wb_err_seq;
	of->flock_owner = mix64(++cl->flock_owner_ctr);
	fc_client_unlock(cl);
}

/* Free @of (and its node reference, once bound). */
static void ctx_free(struct fc_client *cl, struct fc_open_ctx *of)
{
	struct fc_node *node = of->node;

	if (of->release_reserved)
		fc_conn_unreserve(cl->conn);
	cl->plat->free(cl->plat->ctx, of);
	if (node)
		fc_node_put(cl, node);
}

/* fuse_prepare_release: forced, without credentials, the file's flags. */
static void release_prepare(struct fc_open_ctx *of, uint32_t flags)
{
	struct fc_args *a = &of->release_args;

	memset(&of->release_in, 0, sizeof(of->release_in));
	of->release_in.fh = of->fh;
	of->release_in.flags = flags;
	if (of->flock_used) {
		/* fuse_file_release: the flocks of this file go with it. */
		of->release_in.release_flags = FC_RELEASE_FLOCK_UNLOCK;
		of->release_in.lock_owner = of->flock_owner;
	}
	fc_args_init(a, of->is_dir ? FC_RELEASEDIR : FC_RELEASE,
		     of->node->nodeid, NULL);
	/* The request set aside at open: this one goes out whatever memory is left. */
	a->flags |= FC_ARGS_FORCE | FC_ARGS_RESERVED;
	of->release_reserved = 0;
	fc_arg_in(a, &of->release_in, sizeof(of->release_in));
}

/*
 * fuse_file_put: nothing is sent for a file opened without OPEN, nor for
 * any RELEASE once the daemon said ENOSYS to OPEN (Linux tests fc->no_open
 * at release time, not at open time; RELEASEDIR only skips the
 * directories opened without OPENDIR).
 */
static int release_skipped(struct fc_client *cl, const struct fc_open_ctx *of)
{
	if (of->no_open)
		return 1;
	return !of->is_dir && fc_conn_nosys(cl->conn, FC_OPEN);
}

/* fuse_sync_release: an open that fails after the daemon opened the file. */
static void release_sync(struct fc_client *cl, struct fc_open_ctx *of,
			 uint32_t flags)
{
	if (!release_skipped(cl, of)) {
		release_prepare(of, flags);
		fc_cl_send(cl, &of->release_args);
	}
	ctx_free(cl, of);
}

static void release_end(struct fc_conn *conn, struct fc_args *args, int error,
			void *ctx)
{
	struct fc_open_ctx *of = ctx;

	/* fuse_release_end: the daemon's answer does not matter. */
	(void)conn;
	(void)args;
	(void)error;
	ctx_free(of->cl, of);
}

void fc_release(struct fc_client *cl, struct fc_open_ctx *of)
{
	if (!of)
		return;
	/* fuse_file_put: RELEASE follows the writeback WRITEs on this fh. */
	fc_cache_hook_release(cl, of);
	if (release_skipped(cl, of)) {
		ctx_free(cl, of);
		return;
	}
	release_prepare(of, of->file_flags);
	fc_client_flush_forgets(cl);
	/* Once queued, @of belongs to release_end (it may run already). */
	if (fc_conn_send_bg(cl->conn, &of->release_args, release_end, of) < 0)
		ctx_free(cl, of);
}

/* ---- OPEN / OPENDIR ------------------------------------------------------------- */

/*
 * fuse_file_io_open / fuse_dir_open: take the daemon's FOPEN_* answer.
 * Returns 0 or -EIO for an io mode we cannot give (passthrough, never
 * negotiated, on a regular file).
 */
static int take_fopen(struct fc_open_ctx *of, uint32_t fopen)
{
	if (of->is_dir) {
		/* fuse_file_open: no direct I/O on directories. */
		fopen &= ~FC_FOPEN_DIRECT_IO;
	} else if (node_is_reg(of->node)) {
		if (fopen & FC_FOPEN_PASSTHROUGH)
			return -EIO;
	}
	/* FOPEN_PARALLEL_DIRECT_WRITES requires FOPEN_DIRECT_IO. */
	if (!(fopen & FC_FOPEN_DIRECT_IO))
		fopen &= ~FC_FOPEN_PARALLEL_DIRECT_WRITES;
	of->fopen_flags = fopen;
	return 0;
}

/*
 * fuse_truncate_update_attr: after an OPEN that truncated (O_TRUNC with
 * FUSE_ATOMIC_O_TRUNC) the size is 0 and the attributes are stale.
 */
static void truncated_locally(struct fc_client *cl, struct fc_node *node)
{
	fc_client_lock(cl);
	node->attr.size = 0;
	fc_node_attr_changed_locked(cl, node);
	node->attr_deadline = 0;
	fc_client_unlock(cl);
}

/*
 * fuse_open / fuse_dir_open with @flags as the VFS hands them over
 * (file->f_flags during ->open: creation flags still there).  @created:
 * the file was just made by MKNOD (FMODE_CREATED), so the VFS does no
 * truncation of its own.
 */
static int do_open(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_node *node, uint32_t flags, int created,
		   struct fc_open_ctx **out)
{
	int is_dir = node_is_dir(node);
	uint32_t opcode = is_dir ? FC_OPENDIR : FC_OPEN;
	int atomic_trunc = fc_cl_has(cl, FC_ATOMIC_O_TRUNC);
	struct fc_open_out oo;
	struct fc_open_in in;
	struct fc_open_ctx *of;
	struct fc_args a;
	int err;

	*out = NULL;
	if (node->stale)
		return -ESTALE;
	/* build_open_flags: O_CLOEXEC stays with the descriptor; force_o_largefile. */
	flags = (flags & ~FC_O_CLOEXEC) | FC_O_LARGEFILE;

	of = ctx_alloc(cl, who, is_dir);
	if (!of)
		return -ENOMEM;
	ctx_bind(cl, of, node);
	of->file_flags = flags & ~FC_O_OPEN_ONLY;

	/* fuse_send_open */
	memset(&in, 0, sizeof(in));
	in.flags = flags & ~(FC_O_CREAT | FC_O_EXCL | FC_O_NOCTTY);
	if (!atomic_trunc)
		in.flags &= ~FC_O_TRUNC;
	/* FUSE_OPEN_KILL_SUIDGID needs HANDLE_KILLPRIV_V2, never negotiated. */
	in.open_flags = 0;
	of->sent_flags = in.flags;

	memset(&oo, 0, sizeof(oo));
	fc_args_init(&a, opcode, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &oo, sizeof(oo));
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS) {
		/*
		 * fuse_file_open: no OPEN (or OPENDIR) for this connection from
		 * now on (the connection keeps the ENOSYS); fh 0, keep the cache,
		 * and no RELEASE.
		 */
		of->no_open = 1;
		of->fh = 0;
		of->fopen_flags = FC_FOPEN_KEEP_CACHE |
				  (is_dir ? FC_FOPEN_CACHE_DIR : 0);
	} else if (err < 0) {
		ctx_free(cl, of);
		return err;
	} else {
		of->fh = oo.fh;
		err = take_fopen(of, oo.open_flags);
		if (err) {
			/* fuse_open: fuse_finish_open failed, fuse_sync_release. */
			release_sync(cl, of, flags);
			return err;
		}
	}

	if (!is_dir && node_is_reg(node) && (flags & FC_O_TRUNC) && !created) {
		if (atomic_trunc) {
			/*
			 * fuse_open: OPEN truncated.  On a no-open connection the
			 * truncation reaches no daemon, as in Linux (fuse_do_setattr
			 * sends nothing for ATTR_OPEN with atomic_o_trunc).
			 */
			truncated_locally(cl, node);
		} else {
			/*
			 * handle_truncate -> fuse_do_setattr with ATTR_OPEN: size 0
			 * by path (no FATTR_FH), fc_setattr adds the lock owner.
			 */
			struct fc_setattr_in sin;

			memset(&sin, 0, sizeof(sin));
			sin.valid = FC_FATTR_SIZE;
			sin.size = 0;
			err = fc_setattr(cl, who, node, NULL, &sin, NULL);
			if (err) {
				/* The open failed after ->open: fput releases it. */
				fc_release(cl, of);
				return err;
			}
		}
	}
	/* fuse_open: KEEP_CACHE or not, the writeback-error cursor. */
	fc_cache_hook_open(cl, of);
	*out = of;
	return 0;
}

int fc_open(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_node *node, uint32_t flags, struct fc_open_ctx **out)
{
	return do_open(cl, who, node, flags, 0, out);
}

/* ---- CREATE ------------------------------------------------------------------------ */

static int create_fallback(struct fc_client *cl, const struct fc_caller *who,
			   struct fc_node *dir, const char *name,
			   size_t namelen, uint32_t flags, uint32_t mode,
			   struct fc_entry *entry, struct fc_open_ctx **out)
{
	struct fc_entry ent;
	int err;

	/*
	 * fuse_atomic_open with no_create: MKNOD(S_IFREG | mode, rdev 0)
	 * (fuse_mknod applies the umask), then finish_no_open and the VFS's
	 * plain open of the new file with its f_flags.
	 */
	err = fc_mknod(cl, who, dir, name, namelen, FC_S_IFREG | mode, 0, &ent);
	if (err)
		return err;
	err = do_open(cl, who, ent.node, flags, 1, out);
	if (err) {
		fc_node_put(cl, ent.node);
		return err;
	}
	if (entry)
		*entry = ent;
	else
		fc_node_put(cl, ent.node);
	return 0;
}

int fc_create(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen,
	      uint32_t flags, uint32_t mode, struct fc_entry *entry,
	      struct fc_open_ctx **out)
{
	const struct fc_caller *c = caller_or_none(who);
	struct fc_entry_out eo;
	struct fc_open_out oo;
	struct fc_create_in in;
	struct fc_open_ctx *of;
	struct fc_entry ent;
	struct fc_args a;
	uint32_t cflags;
	int err;

	*out = NULL;
	if (entry)
		memset(entry, 0, sizeof(*entry));
	if (dir->stale)
		return -ESTALE;
	err = fc_check_name(cl, namelen);
	if (err)
		return err;
	mode &= 07777;
	/* build_open_flags: no O_CLOEXEC, O_LARGEFILE forced; CREATE means O_CREAT. */
	flags = (flags & ~FC_O_CLOEXEC) | FC_O_LARGEFILE | FC_O_CREAT;
	if (fc_conn_nosys(cl->conn, FC_CREATE))
		return create_fallback(cl, who, dir, name, namelen, flags, mode,
				       entry, out);

	/* lookup_open: O_EXCL drops O_TRUNC; fuse_create_open: no O_NOCTTY. */
	cflags = flags & ~FC_O_NOCTTY;
	if (cflags & FC_O_EXCL)
		cflags &= ~FC_O_TRUNC;
	memset(&in, 0, sizeof(in));
	in.flags = cflags;
	/* vfs_prepare_mode adds S_IFREG; fuse_create_open masks unless DONT_MASK. */
	in.mode = FC_S_IFREG | mode;
	if (!fc_cl_has(cl, FC_DONT_MASK))
		in.mode &= ~(c->umask & 0777);
	in.umask = c->umask & 0777;
	/* FUSE_OPEN_KILL_SUIDGID needs HANDLE_KILLPRIV_V2, never negotiated. */
	in.open_flags = 0;

	/* fuse_create_open: the file before the request (ctx_alloc). */
	of = ctx_alloc(cl, who, 0);
	if (!of)
		return -ENOMEM;
	memset(&eo, 0, sizeof(eo));
	memset(&oo, 0, sizeof(oo));
	fc_args_init(&a, FC_CREATE, dir->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in)); /* 8 bytes below 7.12: fc_adjust_compat */
	fc_arg_name(&a, name, namelen);
	fc_arg_out(&a, &eo, sizeof(eo));
	fc_arg_out(&a, &oo, sizeof(oo));
	err = fc_cl_send(cl, &a);
	if (err < 0) {
		ctx_free(cl, of);
		if (err == -ENOSYS)
			return create_fallback(cl, who, dir, name, namelen, flags,
					       mode, entry, out);
		return err;
	}

	/*
	 * fuse_create_open: a reply that is not a regular file, names nodeid
	 * 0 or 1, or has bad attributes is -EIO and the handle is dropped
	 * without RELEASE (fuse_file_free).
	 */
	err = fc_entry_take(cl, &eo, FC_S_IFREG, 0, 0, &ent); /* fuse_iget(.., 0) */
	if (err == -ENOMEM) {
		/* fuse_iget failed: the handle goes back synchronously. */
		struct fc_release_in rin;

		memset(&rin, 0, sizeof(rin));
		rin.fh = oo.fh;
		rin.flags = flags & ~(FC_O_CREAT | FC_O_EXCL | FC_O_TRUNC);
		fc_args_init(&a, FC_RELEASE, eo.nodeid, NULL);
		a.flags |= FC_ARGS_FORCE | FC_ARGS_RESERVED;
		of->release_reserved = 0;
		fc_arg_in(&a, &rin, sizeof(rin));
		fc_cl_send(cl, &a);
	}
	if (err) {
		ctx_free(cl, of);
		return err;
	}
	/* fuse_dir_changed */
	fc_node_invalidate_attr(cl, dir);

	ctx_bind(cl, of, ent.node);
	of->fh = oo.fh;
	of->sent_flags = cflags;
	of->file_flags = flags & ~FC_O_OPEN_ONLY;
	err = take_fopen(of, oo.open_flags);
	if (err) {
		/* finish_open -> fuse_finish_open failed: fuse_sync_release(flags). */
		release_sync(cl, of, cflags);
		fc_node_put(cl, ent.node);
		return err;
	}
	if (entry)
		*entry = ent;
	else
		fc_node_put(cl, ent.node);
	fc_cache_hook_open(cl, of);
	*out = of;
	return 0;
}

/* ---- FLUSH / FSYNC ------------------------------------------------------------- */

int fc_flush(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of)
{
	struct fc_flush_in in;
	struct fc_args a;
	int err;

	/* fuse_dir_operations has no ->flush. */
	if (of->is_dir)
		return 0;
	if (of->node->stale)
		return -ESTALE;
	/* FOPEN_NOFLUSH counts only without writeback cache (fuse_flush). */
	if ((of->fopen_flags & FC_FOPEN_NOFLUSH) &&
	    !fc_cl_has(cl, FC_WRITEBACK_CACHE))
		return 0;
	/* write_inode_now + filemap_check_errors, even when no_flush. */
	err = fc_cache_hook_flush(cl, who, of);
	if (err)
		return err;
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.lock_owner = caller_or_none(who)->lock_owner;
	fc_args_init(&a, FC_FLUSH, of->node->nodeid, who);
	a.flags |= FC_ARGS_FORCE;
	fc_arg_in(&a, &in, sizeof(in));
	err = fc_cl_send(cl, &a);
	/* ENOSYS: no FLUSH again on this connection (no_flush), and success. */
	if (err == -ENOSYS)
		return 0;
	return err < 0 ? err : 0;
}

int fc_fsync(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, int datasync)
{
	struct fc_fsync_in in;
	struct fc_args a;
	int err;

	if (of->node->stale)
		return -ESTALE;
	/* file_write_and_wait_range, fuse_sync_writes, file_check_and_advance_wb_err. */
	err = fc_cache_hook_fsync(cl, who, of, datasync);
	if (err)
		return err;
	/* fuse_fsync_common; no-open files send fh 0 too. */
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.fsync_flags = datasync ? FC_FSYNC_FDATASYNC : 0;
	fc_args_init(&a, of->is_dir ? FC_FSYNCDIR : FC_FSYNC, of->node->nodeid,
		     who);
	fc_arg_in(&a, &in, sizeof(in));
	err = fc_cl_send(cl, &a);
	/* no_fsync / no_fsyncdir: success from now on. */
	if (err == -ENOSYS)
		return 0;
	return err < 0 ? err : 0;
}

/* ---- READ / WRITE ------------------------------------------------------------------- */

/* Bytes from @off up to the end of the @pages-th page it touches. */
static uint64_t page_span(uint64_t off, uint32_t pages)
{
	return (uint64_t)pages * FC_PAGE_SIZE - (off & (FC_PAGE_SIZE - 1));
}

long fc_read(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, void *buf, size_t size, uint64_t off,
	     unsigned io_flags)
{
	const struct fc_conn_info *ci = fc_cl_info(cl);
	uint32_t max_req = ci->max_pages * FC_PAGE_SIZE;
	size_t done = 0;
	long err = 0;

	if (of->is_dir)
		return -EISDIR; /* generic_read_dir */
	if (of->node->stale)
		return -ESTALE;
	/* rw_verify_area */
	if (off > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (size > FC_MAX_RW_COUNT)
		size = FC_MAX_RW_COUNT;
	if (size > (uint64_t)INT64_MAX - off)
		size = (size_t)((uint64_t)INT64_MAX - off);

	/*
	 * fuse_direct_io / fuse_readahead: at most max_pages pages per READ
	 * (no max_read mount option, so it does not bound them).
	 */
	while (done < size) {
		struct fc_read_in in;
		struct fc_args a;
		uint32_t chunk = size - done < max_req ? (uint32_t)(size - done)
						       : max_req;
		int n;

		memset(&in, 0, sizeof(in));
		in.fh = of->fh;
		in.offset = off + done;
		in.size = chunk;
		in.flags = of->file_flags;
		if (io_flags & FC_IO_DIRECT) {
			/* fuse_send_read with an owner: direct I/O only. */
			in.read_flags = FC_READ_LOCKOWNER;
			in.lock_owner = caller_or_none(who)->lock_owner;
		}
		fc_args_init(&a, FC_READ, of->node->nodeid, who);
		a.flags |= FC_ARGS_OUT_VAR;
		fc_arg_in(&a, &in, sizeof(in));
		fc_arg_out(&a, (char *)buf + done, chunk);
		n = fc_cl_send(cl, &a);
		if (n < 0) {
			err = n;
			break;
		}
		done += (uint32_t)n;
		/* A short read is the end of the file. */
		if ((uint32_t)n < chunk)
			break;
	}
	/* __fuse_direct_read, fuse_readpages_end: the atime moved. */
	fc_node_inval_atime(cl, of->node);
	return done ? (long)done : err;
}

/* fuse_write_update_attr after a WRITE, fallocate or copy_file_range. */
static void written_locally(struct fc_client *cl, struct fc_node *node,
			    uint64_t end)
{
	fc_client_lock(cl);
	fc_node_written_locked(cl, node, end);
	fc_client_unlock(cl);
}

long fc_write(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_open_ctx *of, const void *buf, size_t size,
	      uint64_t off, unsigned io_flags)
{
	const struct fc_conn_info *ci = fc_cl_info(cl);
	int writeback = !!(io_flags & FC_IO_WRITEBACK);
	int direct = !writeback && (io_flags & FC_IO_DIRECT);
	size_t done = 0;
	long ret = 0;

	if (of->is_dir)
		return -EISDIR;
	if (of->node->stale)
		return -ESTALE;
	/* generic_write_check_limits against MAX_LFS_FILESIZE */
	if (off >= (uint64_t)INT64_MAX)
		return size ? -EFBIG : 0;
	if (size > FC_MAX_RW_COUNT)
		size = FC_MAX_RW_COUNT;
	if (size > (uint64_t)INT64_MAX - off)
		size = (size_t)((uint64_t)INT64_MAX - off);

	while (done < size) {
		uint64_t pos = off + done;
		uint64_t limit = ci->max_write;
		struct fc_write_in in;
		struct fc_write_out wo;
		struct fc_args a;
		uint32_t chunk;
		int n;

		if (direct) {
			/* fuse_direct_io: max_write bytes, max_pages (aligned) pages. */
			if (limit > (uint64_t)ci->max_pages * FC_PAGE_SIZE)
				limit = (uint64_t)ci->max_pages * FC_PAGE_SIZE;
		} else {
			/*
			 * fuse_fill_write_pages / fuse_writepage_need_send: max_write
			 * bytes within max_pages pages of the page cache; write-through
			 * without FUSE_BIG_WRITES stops at the end of the first page.
			 */
			uint32_t pages = ci->max_pages;

			if (!writeback && !fc_cl_has(cl, FC_BIG_WRITES))
				pages = 1;
			if (limit > page_span(pos, pages))
				limit = page_span(pos, pages);
		}
		chunk = size - done < limit ? (uint32_t)(size - done)
					    : (uint32_t)limit;

		memset(&in, 0, sizeof(in));
		in.fh = of->fh;
		in.offset = pos;
		in.size = chunk;
		if (writeback) {
			/* fuse_writepage_args_setup: WRITE_CACHE, flags 0, no owner. */
			in.write_flags = FC_WRITE_CACHE;
			in.flags = 0;
			fc_args_init(&a, FC_WRITE, of->node->nodeid, NULL);
			a.flags |= FC_ARGS_FORCE;
		} else {
			in.flags = of->file_flags;
			if (direct) {
				in.write_flags = FC_WRITE_LOCKOWNER;
				in.lock_owner = caller_or_none(who)->lock_owner;
			}
			fc_args_init(&a, FC_WRITE, of->node->nodeid, who);
		}
		fc_arg_in(&a, &in, sizeof(in)); /* 24 bytes below 7.9: fc_adjust_compat */
		fc_arg_in(&a, (const char *)buf + done, chunk);
		memset(&wo, 0, sizeof(wo));
		fc_arg_out(&a, &wo, sizeof(wo));
		n = fc_cl_send(cl, &a);
		if (n < 0) {
			ret = n;
			break;
		}
		/* fuse_send_write: more than was sent is a broken reply. */
		if (wo.size > chunk) {
			ret = fc_cl_bad_reply(cl);
			break;
		}
		done += wo.size;
		if (wo.size < chunk) {
			/* Short: stop here (fuse_perform_write: EIO if nothing). */
			ret = -EIO;
			break;
		}
	}
	if (done && !writeback)
		written_locally(cl, of->node, off + done);
	return done ? (long)done : ret;
}

/* ---- LSEEK, FALLOCATE, COPY_FILE_RANGE ---------------------------------------- */

int64_t fc_lseek(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_open_ctx *of, int64_t off, int whence)
{
	struct fc_lseek_in in;
	struct fc_lseek_out lo;
	struct fc_args a;
	int err;

	if (whence != FC_SEEK_DATA && whence != FC_SEEK_HOLE)
		return -EINVAL;
	/* Directories use generic_file_llseek: never LSEEK. */
	if (of->is_dir)
		return -ENOSYS;
	if (of->node->stale)
		return -ESTALE;
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.offset = (uint64_t)off;
	in.whence = (uint32_t)whence;
	memset(&lo, 0, sizeof(lo));
	fc_args_init(&a, FC_LSEEK, of->node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &lo, sizeof(lo));
	err = fc_cl_send(cl, &a);
	/* ENOSYS (no_lseek, cached) goes to the caller: the generic rule applies. */
	if (err < 0)
		return err;
	/* vfs_setpos: no offset beyond s_maxbytes (MAX_LFS_FILESIZE). */
	if (lo.offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	return (int64_t)lo.offset;
}

int fc_fallocate(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_open_ctx *of, uint32_t mode, uint64_t off,
		 uint64_t len)
{
	struct fc_fallocate_in in;
	struct fc_args a;
	int err;

	if (of->is_dir)
		return -EISDIR; /* vfs_fallocate */
	if (mode & ~(FC_FALLOC_FL_KEEP_SIZE | FC_FALLOC_FL_PUNCH_HOLE |
		     FC_FALLOC_FL_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (of->node->stale)
		return -ESTALE;
	if (fc_conn_nosys(cl->conn, FC_FALLOCATE))
		return -EOPNOTSUPP;
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.offset = off;
	in.length = len;
	in.mode = mode;
	fc_args_init(&a, FC_FALLOCATE, of->node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS)
		return -EOPNOTSUPP; /* no_fallocate */
	if (err < 0)
		return err;
	written_locally(cl, of->node,
			(mode & FC_FALLOC_FL_KEEP_SIZE) ? 0 : off + len);
	return 0;
}

long fc_copy_file_range(struct fc_client *cl, const struct fc_caller *who,
			struct fc_open_ctx *in_of, uint64_t off_in,
			struct fc_open_ctx *out_of, uint64_t off_out,
			uint64_t len, uint32_t flags)
{
	struct fc_copy_file_range_in in;
	struct fc_write_out wo;
	struct fc_args a;
	int err;

	if (in_of->is_dir || out_of->is_dir)
		return -EISDIR;
	if (in_of->cl != out_of->cl)
		return -EXDEV;
	if (in_of->node->stale || out_of->node->stale)
		return -ESTALE;
	if (fc_conn_nosys(cl->conn, FC_COPY_FILE_RANGE))
		return -EOPNOTSUPP;
	if (len > FC_COPY_MAX)
		len = FC_COPY_MAX;
	memset(&in, 0, sizeof(in));
	in.fh_in = in_of->fh;
	in.off_in = off_in;
	in.nodeid_out = out_of->node->nodeid;
	in.fh_out = out_of->fh;
	in.off_out = off_out;
	in.len = len;
	in.flags = flags;
	memset(&wo, 0, sizeof(wo));
	fc_args_init(&a, FC_COPY_FILE_RANGE, in_of->node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &wo, sizeof(wo));
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS)
		return -EOPNOTSUPP; /* no_copy_file_range: the caller copies */
	if (err < 0)
		return err;
	if (wo.size > len)
		return fc_cl_bad_reply(cl);
	if (wo.size)
		written_locally(cl, out_of->node, off_out + wo.size);
	return (long)wo.size;
}

/* ---- IOCTL, POLL --------------------------------------------------------------- */

int fc_ioctl(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint32_t cmd, uint64_t arg,
	     const void *in_data, uint32_t in_size, void *out_data,
	     uint32_t out_size, uint32_t *out_len)
{
	uint32_t max_bytes = fc_cl_info(cl)->max_pages * FC_PAGE_SIZE;
	struct fc_ioctl_out io;
	struct fc_ioctl_in in;
	struct fc_args a;
	int n;

	if (out_len)
		*out_len = 0;
	/* fuse_dir_ioctl: FUSE_IOCTL_DIR only from 7.18. */
	if (of->is_dir && fc_cl_info(cl)->minor < 18)
		return -ENOTTY;
	if (of->node->stale)
		return -ESTALE;
	/* fuse_do_ioctl: both directions must fit max_pages pages. */
	if (in_size > max_bytes || out_size > max_bytes)
		return -ENOMEM;

	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.flags = of->is_dir ? FC_IOCTL_DIR : 0; /* restricted, 64-bit */
	in.cmd = cmd;
	in.arg = arg;
	in.in_size = in_size;
	in.out_size = out_size;
	memset(&io, 0, sizeof(io));
	fc_args_init(&a, FC_IOCTL, of->node->nodeid, who);
	a.flags |= FC_ARGS_OUT_VAR;
	fc_arg_in(&a, &in, sizeof(in));
	if (in_size)
		fc_arg_in(&a, in_data, in_size);
	fc_arg_out(&a, &io, sizeof(io));
	/* More than out_size bytes back is a broken reply (-EIO by the connection). */
	fc_arg_out(&a, out_data, out_size);
	n = fc_cl_send(cl, &a);
	/* fuse_send_ioctl: ENOSYS means "no such ioctl" to the caller. */
	if (n == -ENOSYS)
		return -ENOTTY;
	if (n < 0)
		return n;
	/* A restricted ioctl cannot be retried with other buffers. */
	if (io.flags & FC_IOCTL_RETRY)
		return fc_cl_bad_reply(cl);
	if (out_len)
		*out_len = (uint32_t)n - (uint32_t)sizeof(io);
	if (io.result == -ENOSYS)
		return -ENOTTY;
	return io.result;
}

int fc_poll(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_open_ctx *of, uint64_t kh, uint32_t events)
{
	struct fc_poll_out po;
	struct fc_poll_in in;
	struct fc_args a;
	int err;

	/* Directories have no ->poll: always ready. */
	if (of->is_dir)
		return FC_DEFAULT_POLLMASK;
	if (of->node->stale)
		return -ESTALE;
	if (fc_conn_nosys(cl->conn, FC_POLL))
		return FC_DEFAULT_POLLMASK;
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.kh = kh;
	/* Ask for a FUSE_NOTIFY_POLL only when someone will wait for it. */
	in.flags = kh ? FC_POLL_SCHEDULE_NOTIFY : 0;
	in.events = events;
	memset(&po, 0, sizeof(po));
	fc_args_init(&a, FC_POLL, of->node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_out(&a, &po, sizeof(po));
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS)
		return FC_DEFAULT_POLLMASK; /* no_poll */
	if (err < 0)
		return err;
	return (int)(po.revents & 0x7fffffffu);
}

/* ---- accessors ------------------------------------------------------------------ */

uint64_t fc_open_fh(const struct fc_open_ctx *of) { return of->fh; }
uint32_t fc_open_sent_flags(const struct fc_open_ctx *of) { return of->sent_flags; }
uint32_t fc_open_file_flags(const struct fc_open_ctx *of) { return of->file_flags; }
uint32_t fc_open_fopen_flags(const struct fc_open_ctx *of) { return of->fopen_flags; }
struct fc_node *fc_open_node(const struct fc_open_ctx *of) { return of->node; }
const struct fc_caller *fc_open_caller(const struct fc_open_ctx *of) { return &of->caller; }
uint64_t fc_open_generation(const struct fc_open_ctx *of) { return of->generation; }
uint64_t fc_open_flock_owner(const struct fc_open_ctx *of) { return of->flock_owner; }
void *fc_open_private(const struct fc_open_ctx *of) { return of->priv; }
void fc_open_set_private(struct fc_open_ctx *of, void *p) { of->priv = p; }

void fc_open_set_file_flags(struct fc_open_ctx *of, uint32_t flags)
{
	/* setfl: only the status flags change. */
	of->file_flags = (of->file_flags & ~FC_SETFL_MASK) |
			 (flags & FC_SETFL_MASK);
}
