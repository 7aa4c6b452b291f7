/*
 * FUSE_INIT: the request profile of each transport kind, and the
 * interpretation of the reply as Linux's fs/fuse/inode.c fuse_send_init,
 * process_init_reply and process_init_limits do it.
 */
#include <errno.h>
#include <string.h>

#include "conn_i.h"

/*
 * What Linux 6.18 requests on a /dev/fuse mount (observed: flags
 * 0x73fffffb, flags2 0x000005fd; inode.c fuse_send_init).
 */
#define FC_LINUX_INIT_FLAGS 0x000005fd73fffffbULL

/*
 * Capabilities libfusecore does not implement (yet), so a default profile
 * never asks for them (WRITEBACK_CACHE is asked for, as Linux does: the
 * page cache, fusecore/pagecache.h, owns size and mtime when it is granted):
 *  - SPLICE_*: a daemon-side splice into a socketpair would break message
 *    framing, and the kernel side sees no difference without it;
 *  - PASSTHROUGH, HAS_INODE_DAX, MAP_ALIGNMENT: backing files and DAX
 *    windows exist only inside a real kernel;
 *  - SECURITY_CTX, CREATE_SUPP_GROUP: create-time request extensions;
 *  - POSIX_ACL, HANDLE_KILLPRIV_V2, ALLOW_IDMAP: permission models the
 *    kernel side would have to enforce;
 *  - REQUEST_TIMEOUT: the connection has no request timer;
 *  - OVER_IO_URING: the FUSE-over-io_uring channel.
 */
#define FC_UNSUPPORTED_INIT_FLAGS                                          \
	(FC_SPLICE_WRITE | FC_SPLICE_MOVE |                                 \
	 FC_SPLICE_READ | FC_PASSTHROUGH | FC_HAS_INODE_DAX |               \
	 FC_MAP_ALIGNMENT | FC_SECURITY_CTX | FC_CREATE_SUPP_GROUP |        \
	 FC_POSIX_ACL | FC_HANDLE_KILLPRIV_V2 | FC_ALLOW_IDMAP |            \
	 FC_REQUEST_TIMEOUT | FC_OVER_IO_URING)

/* process_init_reply: max_write is never below one page. */
#define FC_MIN_MAX_WRITE 4096
#define FC_DEFAULT_READAHEAD (32 * 4096)

uint64_t fc_init_supported_flags(void)
{
	return ~(uint64_t)FC_UNSUPPORTED_INIT_FLAGS & ~(uint64_t)FC_FILE_OPS &
	       ~(uint64_t)FC_INIT_RESERVED;
}

void fc_init_profile_default(struct fc_init_profile *p,
			     enum fc_transport_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->minor = FC_KERNEL_MINOR_VERSION;
	p->max_readahead = FC_DEFAULT_READAHEAD;
	p->flags = FC_LINUX_INIT_FLAGS;
	/* virtio_fs_get_tree sets auto_submounts; /dev/fuse never asks. */
	if (kind == FC_TRANSPORT_VIRTIO_FS)
		p->flags |= FC_SUBMOUNTS;
	p->flags &= fc_init_supported_flags();
	p->max_pages_limit = FC_DEFAULT_MAX_PAGES_LIMIT;
	p->max_background_limit = UINT16_MAX;
	p->congestion_threshold_limit = UINT16_MAX;
	/* virtio_fs_ctx_set_defaults turns default_permissions on. */
	p->default_permissions = kind == FC_TRANSPORT_VIRTIO_FS;
}

void fc_init_fill_request(struct fc_conn *c)
{
	/* FUSE_INIT_EXT is always sent: it is what makes flags2 valid. */
	uint64_t flags = c->profile.flags | FC_INIT_EXT;
	struct fc_args *a = &c->init_args;

	memset(&c->init_in, 0, sizeof(c->init_in));
	c->init_in.major = FC_KERNEL_VERSION;
	c->init_in.minor = c->profile.minor;
	c->init_in.max_readahead = c->profile.max_readahead;
	c->init_in.flags = (uint32_t)flags;
	c->init_in.flags2 = (uint32_t)(flags >> 32);
	memset(&c->init_out, 0, sizeof(c->init_out));
	c->info.requested = flags;

	/* Sent forced and without credentials, in the background (fuse_send_init). */
	memset(a, 0, sizeof(*a));
	a->opcode = FC_INIT;
	a->flags = FC_ARGS_FORCE | FC_ARGS_NOCREDS | FC_ARGS_OUT_VAR;
	a->in_numargs = 1;
	a->in[0].value = &c->init_in;
	a->in[0].size = sizeof(c->init_in);
	a->out_numargs = 1;
	a->out[0].value = &c->init_out;
	a->out[0].size = sizeof(c->init_out);
}

/* Apply the reply to c->info (lock held).  Returns 0, or -errno if INIT fails. */
static int process_init_reply(struct fc_conn *c, const struct fc_init_out *o)
{
	struct fc_conn_info *ci = &c->info;
	uint64_t granted, flags;

	/* An error or another major fails the connection; INIT is never re-sent. */
	if (o->major != FC_KERNEL_VERSION)
		return -ECONNREFUSED;
	ci->major = o->major;
	ci->minor = o->minor;
	granted = o->flags;
	if (o->flags & FC_INIT_EXT)
		granted |= (uint64_t)o->flags2 << 32;
	ci->granted = granted;
	flags = granted & ci->requested;
	ci->default_permissions = c->profile.default_permissions;

	/* Minor gates (process_init_reply). */
	if (o->minor < 6)
		flags = 0; /* no_lock = no_flock = 1, nothing else either */
	if (o->minor < 9)
		flags &= ~(uint64_t)FC_EXPORT_SUPPORT;
	if (flags & FC_AUTO_INVAL_DATA)
		flags &= ~(uint64_t)FC_EXPLICIT_INVAL_DATA;
	if (!(flags & FC_DO_READDIRPLUS))
		flags &= ~(uint64_t)FC_READDIRPLUS_AUTO;
	if (flags & FC_POSIX_ACL)
		ci->default_permissions = 1;
	if ((flags & FC_ALLOW_IDMAP) && !ci->default_permissions)
		return -ECONNREFUSED;
	if ((flags & FC_PASSTHROUGH) &&
	    (o->max_stack_depth < 1 || o->max_stack_depth > 2 ||
	     (flags & FC_WRITEBACK_CACHE)))
		flags &= ~(uint64_t)FC_PASSTHROUGH; /* dropped silently */
	ci->flags = flags;

	ci->posix_locks = !!(flags & FC_POSIX_LOCKS);
	/* minor >= 17 has a flag of its own for flock; before, POSIX_LOCKS covers it. */
	ci->flock_locks = o->minor >= 17 ? !!(flags & FC_FLOCK_LOCKS)
					 : ci->posix_locks;

	/* Limits (process_init_reply, process_init_limits). */
	ci->max_write = o->minor < 5 ? FC_MIN_MAX_WRITE : o->max_write;
	if (c->profile.max_write_limit && ci->max_write > c->profile.max_write_limit)
		ci->max_write = c->profile.max_write_limit;
	if (ci->max_write < FC_MIN_MAX_WRITE)
		ci->max_write = FC_MIN_MAX_WRITE;
	ci->max_readahead = c->profile.max_readahead;
	if (o->minor >= 6 && o->max_readahead < ci->max_readahead)
		ci->max_readahead = o->max_readahead;
	if (flags & FC_MAX_PAGES) {
		uint32_t limit = c->profile.max_pages_limit ?
				 c->profile.max_pages_limit : 1;

		ci->max_pages = o->max_pages ? o->max_pages : 1;
		if (ci->max_pages > limit)
			ci->max_pages = limit;
	} else {
		ci->max_pages = FC_DEFAULT_MAX_PAGES_PER_REQ;
	}
	ci->name_max = ci->max_pages > 1 ? FC_NAME_MAX : FC_NAME_LOW_MAX;
	ci->time_gran = (o->time_gran >= 1 && o->time_gran <= 1000000000) ?
			o->time_gran : 1;
	if (o->minor >= 13) {
		if (o->max_background) {
			ci->max_background = o->max_background;
			if (ci->max_background > c->profile.max_background_limit)
				ci->max_background = c->profile.max_background_limit;
		}
		if (o->congestion_threshold) {
			ci->congestion_threshold = o->congestion_threshold;
			if (ci->congestion_threshold >
			    c->profile.congestion_threshold_limit)
				ci->congestion_threshold =
					c->profile.congestion_threshold_limit;
		}
	}
	ci->map_alignment = o->map_alignment;
	ci->max_stack_depth = (uint16_t)o->max_stack_depth;
	ci->request_timeout = (flags & FC_REQUEST_TIMEOUT) ? o->request_timeout : 0;
	return 0;
}

void fc_init_reply_end(struct fc_conn *c, struct fc_args *args, int error,
		       void *ctx)
{
	(void)args;
	(void)ctx;
	fc_lock(c);
	if (c->state == FC_CONN_INIT_SENT) {
		/*
		 * process_init_reply: any error refuses the connection.  A reply
		 * that failed validation is reported as such (-EIO), a daemon's
		 * own error (even EIO) as a refusal, and an INIT that never went
		 * out (no memory for its message) with the local error.
		 */
		if (error < 0)
			c->init_error = c->init_malformed ? -EIO :
					c->init_unsent ? error : -ECONNREFUSED;
		else
			c->init_error = process_init_reply(c, &c->init_out);
		c->state = c->init_error ? FC_CONN_FAILED : FC_CONN_READY;
	}
	/* fuse_set_initialized: whatever happened, waiters wake up. */
	c->plat->cond_broadcast(c->plat->ctx, c->waitq);
	fc_unlock(c);
	if (c->init_error)
		fc_conn_log(c, FC_LOG_WARN, "FUSE_INIT refused by the daemon");
}

void fc_adjust_compat(const struct fc_conn *c, struct fc_args *a)
{
	uint32_t minor = c->info.minor;

	/* dev.c fuse_adjust_compat: older daemons use shorter structures. */
	if (minor < 4 && a->opcode == FC_STATFS)
		a->out[0].size = FC_COMPAT_STATFS_SIZE;
	if (minor < 9) {
		switch (a->opcode) {
		case FC_LOOKUP: case FC_CREATE: case FC_MKNOD: case FC_MKDIR:
		case FC_SYMLINK: case FC_LINK:
			a->out[0].size = FC_COMPAT_ENTRY_OUT_SIZE;
			break;
		case FC_GETATTR: case FC_SETATTR:
			a->out[0].size = FC_COMPAT_ATTR_OUT_SIZE;
			break;
		case FC_WRITE: /* file.c fuse_write_args_fill */
			a->in[0].size = FC_COMPAT_WRITE_IN_SIZE;
			break;
		}
	}
	if (minor < 12 && (a->opcode == FC_CREATE || a->opcode == FC_MKNOD))
		a->in[0].size = FC_COMPAT_MKNOD_IN_SIZE;
	/* xattr.c fuse_setxattr: the long form only with SETXATTR_EXT. */
	if (a->opcode == FC_SETXATTR && !(c->info.flags & FC_SETXATTR_EXT))
		a->in[0].size = FC_COMPAT_SETXATTR_IN_SIZE;
}
