/*
 * Names and directories: LOOKUP, the calls that create, link, remove and
 * rename names, READLINK, and READDIR / READDIRPLUS (fs/fuse/dir.c
 * fuse_lookup_name, create_new_entry, fuse_rename2, fuse_readlink_folio;
 * fs/fuse/readdir.c fuse_readdir_uncached, parse_dirfile,
 * parse_dirplusfile, fuse_direntplus_link).
 *
 * Every name travels NUL-terminated, as the kernel's dentry names do; the
 * caller's names are counted strings, so the terminator is a separate
 * input piece.
 */
#include <errno.h>
#include <string.h>

#include "client_i.h"

/* Linux's PATH_MAX: a symlink target, NUL included, fits in it (getname). */
#define FC_PATH_MAX 4096u

/* Permission bits mkdir keeps (vfs_mkdir: S_IRWXUGO | S_ISVTX). */
#define FC_MKDIR_MODE_MASK 01777u
/* Bits a umask can hold (umask(2) keeps S_IRWXUGO). */
#define FC_UMASK_MASK 0777u

/* current_umask(), or none for a caller without credentials. */
static uint32_t caller_umask(const struct fc_caller *who)
{
	return who ? who->umask & FC_UMASK_MASK : 0;
}

/*
 * fuse_dir_changed: a directory whose entries changed has stale
 * attributes (size, nlink, times), so the next stat asks the daemon.
 */
static void dir_changed(struct fc_client *cl, struct fc_node *dir)
{
	fc_node_invalidate_attr(cl, dir);
}

/* ---- LOOKUP ----------------------------------------------------------------- */

int fc_lookup(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen,
	      struct fc_entry *out)
{
	struct fc_entry_out eo;
	struct fc_args a;
	uint64_t attr_version;
	int err;

	memset(out, 0, sizeof(*out));
	if (dir->stale)
		return -ESTALE;
	/* fuse_lookup_name: too long a name never reaches the daemon. */
	err = fc_check_name(cl, namelen);
	if (err)
		return err;

	/* fuse_lookup_init */
	memset(&eo, 0, sizeof(eo));
	fc_args_init(&a, FC_LOOKUP, dir->nodeid, who);
	fc_arg_name(&a, name, namelen);
	a.out_numargs = 1;
	a.out[0].value = &eo;
	a.out[0].size = sizeof(eo);
	attr_version = fc_cl_attr_version(cl);
	err = fc_cl_send(cl, &a);
	/*
	 * fuse_lookup: a daemon's ENOENT is a negative entry that is not
	 * cached (deadline 0, already zeroed), unlike a zero nodeid.
	 */
	if (err < 0)
		return err;
	return fc_entry_take(cl, &eo, 0, 1, attr_version, out);
}

/* ---- creating entries ---------------------------------------------------------- */

/*
 * create_new_entry: send a request that answers with a new entry in @dir,
 * which must be of type @want_type (reply nodeid 0 or 1, bad attributes or
 * another type are -EIO).
 */
static int create_new_entry(struct fc_client *cl, struct fc_args *a,
			    struct fc_node *dir, uint32_t want_type,
			    struct fc_entry *out)
{
	struct fc_entry_out eo;
	int err;

	memset(&eo, 0, sizeof(eo));
	a->nodeid = dir->nodeid;
	a->out_numargs = 1;
	a->out[0].value = &eo;
	a->out[0].size = sizeof(eo);
	err = fc_cl_send(cl, a);
	if (err < 0)
		return err;
	/* create_new_entry: fuse_iget with attr_version 0. */
	err = fc_entry_take(cl, &eo, want_type, 0, 0, out);
	if (!err)
		dir_changed(cl, dir);
	return err;
}

int fc_mknod(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen,
	     uint32_t mode, uint32_t rdev, struct fc_entry *out)
{
	struct fc_mknod_in in;
	struct fc_args a;
	int err;

	memset(out, 0, sizeof(*out));
	if (dir->stale)
		return -ESTALE;
	err = fc_check_name(cl, namelen);
	if (err)
		return err;
	/*
	 * may_mknod: no type means a regular file, directories have their
	 * own call.  The type must be known, since the reply must match it.
	 */
	switch (mode & FC_S_IFMT) {
	case 0:
		mode |= FC_S_IFREG;
		break;
	case FC_S_IFREG: case FC_S_IFCHR: case FC_S_IFBLK:
	case FC_S_IFIFO: case FC_S_IFSOCK:
		break;
	case FC_S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}

	/*
	 * fuse_mknod: the daemon applies the umask itself only if it took
	 * FUSE_DONT_MASK; the umask travels either way (observed 6.18).
	 */
	memset(&in, 0, sizeof(in));
	in.mode = mode;
	if (!fc_cl_has(cl, FC_DONT_MASK))
		in.mode &= ~caller_umask(who);
	in.rdev = rdev;
	in.umask = caller_umask(who);
	fc_args_init(&a, FC_MKNOD, dir->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in)); /* 8 bytes below 7.12: fc_adjust_compat */
	fc_arg_name(&a, name, namelen);
	return create_new_entry(cl, &a, dir, mode & FC_S_IFMT, out);
}

int fc_mkdir(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen,
	     uint32_t mode, struct fc_entry *out)
{
	struct fc_mkdir_in in;
	struct fc_args a;
	int err;

	memset(out, 0, sizeof(*out));
	if (dir->stale)
		return -ESTALE;
	err = fc_check_name(cl, namelen);
	if (err)
		return err;

	/*
	 * fuse_mkdir: permission bits only (vfs_mkdir strips the rest, and
	 * no S_IFDIR is sent), umasked unless FUSE_DONT_MASK.
	 */
	memset(&in, 0, sizeof(in));
	in.mode = mode & FC_MKDIR_MODE_MASK;
	if (!fc_cl_has(cl, FC_DONT_MASK))
		in.mode &= ~caller_umask(who);
	in.umask = caller_umask(who);
	fc_args_init(&a, FC_MKDIR, dir->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_name(&a, name, namelen);
	return create_new_entry(cl, &a, dir, FC_S_IFDIR, out);
}

/* Length of a NUL-terminated string of at most @max bytes, or @max if longer. */
static size_t str_len_max(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int fc_symlink(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_node *dir, const char *name, size_t namelen,
	       const char *target, struct fc_entry *out)
{
	struct fc_args a;
	size_t tlen;
	int err;

	memset(out, 0, sizeof(*out));
	if (dir->stale)
		return -ESTALE;
	err = fc_check_name(cl, namelen);
	if (err)
		return err;
	/* getname: a target is 1..PATH_MAX-1 bytes. */
	tlen = str_len_max(target, FC_PATH_MAX);
	if (!tlen)
		return -ENOENT;
	if (tlen == FC_PATH_MAX)
		return -ENAMETOOLONG;

	/* fuse_symlink: "name\0target\0". */
	fc_args_init(&a, FC_SYMLINK, dir->nodeid, who);
	fc_arg_name(&a, name, namelen);
	fc_arg_in(&a, target, tlen + 1);
	return create_new_entry(cl, &a, dir, FC_S_IFLNK, out);
}

int fc_link(struct fc_client *cl, const struct fc_caller *who,
	    struct fc_node *node, struct fc_node *newdir, const char *newname,
	    size_t newnamelen, struct fc_entry *out)
{
	struct fc_link_in in;
	struct fc_args a;
	int err;

	memset(out, 0, sizeof(*out));
	if (node->stale || newdir->stale)
		return -ESTALE;
	err = fc_check_name(cl, newnamelen);
	if (err)
		return err;

	/*
	 * fuse_link: the reply names the linked inode, so it must have the
	 * source's type; it normally is the same nodeid and only adds a
	 * lookup to the node we have.
	 */
	memset(&in, 0, sizeof(in));
	in.oldnodeid = node->nodeid;
	fc_args_init(&a, FC_LINK, newdir->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_name(&a, newname, newnamelen);
	err = create_new_entry(cl, &a, newdir, node->attr.mode & FC_S_IFMT, out);
	/* The reply refreshed the node; an interrupted one may have changed it. */
	if (!err)
		fc_cache_hook_ctime(cl, who, node); /* fuse_update_ctime_in_cache */
	else if (err == -EINTR)
		fc_node_invalidate_attr(cl, node);
	/* A daemon without LINK (cached by the connection): EPERM for good. */
	if (err == -ENOSYS)
		err = -EPERM;
	return err;
}

/* ---- removing and renaming ------------------------------------------------------ */

/* fuse_unlink, fuse_rmdir: "name\0"; the VFS drops the victim itself. */
static int remove_entry(struct fc_client *cl, const struct fc_caller *who,
			uint32_t opcode, struct fc_node *dir, const char *name,
			size_t namelen)
{
	struct fc_args a;
	int err;

	if (dir->stale)
		return -ESTALE;
	err = fc_check_name(cl, namelen);
	if (err)
		return err;
	fc_args_init(&a, opcode, dir->nodeid, who);
	fc_arg_name(&a, name, namelen);
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return err;
	dir_changed(cl, dir);
	return 0;
}

void fc_update_ctime(struct fc_client *cl, const struct fc_caller *who,
		     struct fc_node *node)
{
	/* fuse_update_ctime: only the ctime is stale (the client's own in writeback mode). */
	fc_client_lock(cl);
	fc_node_inval_locked(node, FC_STATX_CTIME);
	fc_client_unlock(cl);
	fc_cache_hook_ctime(cl, who, node);
}

void fc_entry_unlinked(struct fc_client *cl, const struct fc_caller *who,
		       struct fc_node *node)
{
	fc_client_lock(cl);
	fc_node_attr_changed_locked(cl, node);
	if ((node->attr.mode & FC_S_IFMT) == FC_S_IFDIR)
		node->attr.nlink = 0;
	else if (node->attr.nlink > 0)
		node->attr.nlink--;
	fc_client_unlock(cl);
	fc_update_ctime(cl, who, node);
}

int fc_unlink(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *dir, const char *name, size_t namelen)
{
	return remove_entry(cl, who, FC_UNLINK, dir, name, namelen);
}

int fc_rmdir(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_node *dir, const char *name, size_t namelen)
{
	return remove_entry(cl, who, FC_RMDIR, dir, name, namelen);
}

#define FC_RENAME_FLAGS \
	(FC_RENAME_NOREPLACE | FC_RENAME_EXCHANGE | FC_RENAME_WHITEOUT)

int fc_rename(struct fc_client *cl, const struct fc_caller *who,
	      struct fc_node *olddir, const char *oldname, size_t oldlen,
	      struct fc_node *newdir, const char *newname, size_t newlen,
	      unsigned flags)
{
	struct fc_rename2_in in;
	struct fc_args a;
	int err;

	if (olddir->stale || newdir->stale)
		return -ESTALE;
	/* fuse_rename2 */
	if (flags & ~FC_RENAME_FLAGS)
		return -EINVAL;
	err = fc_check_name(cl, oldlen);
	if (!err)
		err = fc_check_name(cl, newlen);
	if (err)
		return err;
	/* No RENAME2 before 7.23 or once the daemon said ENOSYS. */
	if (flags && (fc_cl_info(cl)->minor < 23 ||
		      fc_conn_nosys(cl->conn, FC_RENAME2)))
		return -EINVAL;

	memset(&in, 0, sizeof(in));
	in.newdir = newdir->nodeid;
	in.flags = flags;
	fc_args_init(&a, flags ? FC_RENAME2 : FC_RENAME, olddir->nodeid, who);
	/* RENAME carries only newdir: the first 8 bytes of fc_rename2_in. */
	fc_arg_in(&a, &in, flags ? sizeof(struct fc_rename2_in) :
				sizeof(struct fc_rename_in));
	/* fuse_rename_common: "old\0new\0" after the body. */
	fc_arg_name(&a, oldname, oldlen);
	fc_arg_name(&a, newname, newlen);
	err = fc_cl_send(cl, &a);
	if (err == -ENOSYS && flags)
		return -EINVAL; /* fuse_rename2: no_rename2, cached by the connection */
	if (err < 0)
		return err;
	dir_changed(cl, olddir);
	if (newdir != olddir)
		dir_changed(cl, newdir);
	return 0;
}

_Static_assert(offsetof(struct fc_rename2_in, newdir) == 0 &&
	       sizeof(struct fc_rename_in) == 8,
	       "fc_rename_in is the head of fc_rename2_in");

/* ---- READLINK ---------------------------------------------------------------------- */

int fc_readlink(struct fc_client *cl, const struct fc_caller *who,
		struct fc_node *node, char *buf, size_t size)
{
	struct fc_args a;
	char *page;
	int len;

	if (node->stale)
		return -ESTALE;
	/* vfs_readlink: only symlinks, and room for at least the NUL. */
	if ((node->attr.mode & FC_S_IFMT) != FC_S_IFLNK)
		return -EINVAL;
	if (!size)
		return -EINVAL;

	/*
	 * fuse_readlink_folio: one page less the NUL.  A longer reply does
	 * not fit the argument and fails as -EIO in the connection; the
	 * page is a bounce buffer unless the caller's is big enough.
	 */
	page = size >= FC_PAGE_SIZE ? buf :
	       cl->plat->alloc(cl->plat->ctx, FC_PAGE_SIZE);
	if (!page)
		return -ENOMEM;
	fc_args_init(&a, FC_READLINK, node->nodeid, who);
	a.flags |= FC_ARGS_OUT_VAR;
	a.out_numargs = 1;
	a.out[0].value = page;
	a.out[0].size = FC_PAGE_SIZE - 1;
	len = fc_cl_send(cl, &a);
	fc_node_inval_atime(cl, node);
	if (len >= 0 && (size_t)len >= FC_PAGE_SIZE)
		len = fc_cl_bad_reply(cl); /* WARN_ON(res >= PAGE_SIZE) */
	if (len >= 0 && (size_t)len > size - 1)
		len = -ENAMETOOLONG;
	if (len >= 0) {
		if (page != buf)
			memcpy(buf, page, (size_t)len);
		buf[len] = 0;
	}
	if (page != buf)
		cl->plat->free(cl->plat->ctx, page);
	return len;
}

/* ---- READDIR / READDIRPLUS -------------------------------------------------------- */

/* The fixed head of struct fc_dirent (which ends in the name). */
struct dirent_head {
	uint64_t ino;
	uint64_t off;
	uint32_t namelen;
	uint32_t type;
};

_Static_assert(sizeof(struct dirent_head) == FC_NAME_OFFSET &&
	       offsetof(struct dirent_head, namelen) ==
	       offsetof(struct fc_dirent, namelen) &&
	       offsetof(struct dirent_head, type) ==
	       offsetof(struct fc_dirent, type),
	       "dirent_head is the head of fc_dirent");

/* One validated record of a READDIR(PLUS) reply. */
struct dir_rec {
	struct fc_entry_out eo; /* READDIRPLUS only */
	struct dirent_head d;
	const char *name;
	size_t reclen;
};

/*
 * parse_dirfile / parse_dirplusfile: the record at @p (@left bytes
 * remain) must fit whole, padding included, and its name must be 1 to
 * name_max bytes without a '/'.  Linux stops quietly at a record cut
 * short; here every malformed record fails the reply.
 */
static int dir_rec_parse(const struct fc_client *cl, const unsigned char *p,
			 size_t left, int plus, struct dir_rec *r)
{
	size_t hdr = plus ? sizeof(struct fc_entry_out) : 0;
	size_t name_off = hdr + FC_NAME_OFFSET;
	uint32_t i;

	if (left < name_off)
		return -EIO;
	if (plus)
		memcpy(&r->eo, p, sizeof(r->eo));
	memcpy(&r->d, p + hdr, sizeof(r->d));
	if (!r->d.namelen || r->d.namelen > fc_cl_info(cl)->name_max)
		return -EIO;
	r->reclen = FC_DIRENT_ALIGN(name_off + r->d.namelen);
	if (r->reclen > left)
		return -EIO;
	r->name = (const char *)p + name_off;
	for (i = 0; i < r->d.namelen; i++)
		if (r->name[i] == '/')
			return -EIO;
	return 0;
}

static int is_dot_or_dotdot(const struct dir_rec *r)
{
	return r->name[0] == '.' &&
	       (r->d.namelen == 1 || (r->d.namelen == 2 && r->name[1] == '.'));
}

/*
 * The daemon counted a lookup for each READDIRPLUS entry except those
 * with nodeid 0 and '.' / '..' (fuse_direntplus_link; libfuse's
 * fuse_add_direntry_plus contract).
 */
static int plus_counted(const struct dir_rec *r)
{
	return r->eo.nodeid != 0 && !is_dot_or_dotdot(r);
}

/* Give back the lookups of the plus records in [@p, @p + @len). */
static void forget_plus_records(struct fc_client *cl, const unsigned char *p,
				size_t len)
{
	struct dir_rec r;

	while (len && !dir_rec_parse(cl, p, len, 1, &r)) {
		if (plus_counted(&r))
			fc_cl_forget(cl, r.eo.nodeid, 1);
		p += r.reclen;
		len -= r.reclen;
	}
}

int fc_readdir(struct fc_client *cl, const struct fc_caller *who,
	       struct fc_open_ctx *of, uint64_t off, uint32_t size, int plus,
	       fc_dirent_fn fn, void *ctx)
{
	const uint32_t max_size = fc_cl_info(cl)->max_pages * FC_PAGE_SIZE;
	struct fc_node *dir = of->node;
	struct fc_read_in in;
	struct fc_args a;
	unsigned char *buf;
	size_t pos;
	struct dir_rec r;
	uint64_t attr_version;
	int len, n = 0;

	if (dir->stale)
		return -ESTALE;
	if (!of->is_dir)
		return -ENOTDIR;
	/* READDIRPLUS only if the daemon took it (fuse_use_readdirplus). */
	plus = plus && fc_cl_has(cl, FC_DO_READDIRPLUS);
	/* fuse_readdir_uncached: between a page and max_pages pages. */
	if (size < FC_PAGE_SIZE)
		size = FC_PAGE_SIZE;
	if (size > max_size)
		size = max_size;
	buf = cl->plat->alloc(cl->plat->ctx, size);
	if (!buf)
		return -ENOMEM;

	/* fuse_read_args_fill: the directory's fh and f_flags. */
	memset(&in, 0, sizeof(in));
	in.fh = of->fh;
	in.offset = off;
	in.size = size;
	in.flags = of->file_flags;
	fc_args_init(&a, plus ? FC_READDIRPLUS : FC_READDIR, dir->nodeid, who);
	a.flags |= FC_ARGS_OUT_VAR;
	fc_arg_in(&a, &in, sizeof(in));
	a.out_numargs = 1;
	a.out[0].value = buf;
	a.out[0].size = size;
	attr_version = fc_cl_attr_version(cl);
	len = fc_cl_send(cl, &a);
	fc_node_inval_atime(cl, dir); /* fuse_readdir_uncached */
	if (len < 0)
		goto out;

	/* Check the whole reply before anything is handed out. */
	for (pos = 0; pos < (size_t)len; pos += r.reclen) {
		if (dir_rec_parse(cl, buf + pos, (size_t)len - pos, plus, &r)) {
			/* The lookups of the good records before it go back. */
			if (plus)
				forget_plus_records(cl, buf, pos);
			n = fc_cl_bad_reply(cl);
			goto out;
		}
	}

	for (pos = 0; pos < (size_t)len; pos += r.reclen) {
		struct fc_dir_entry de;

		dir_rec_parse(cl, buf + pos, (size_t)len - pos, plus, &r);
		memset(&de, 0, sizeof(de));
		de.ino = r.d.ino;
		de.off = r.d.off;
		de.type = r.d.type;
		de.namelen = r.d.namelen;
		de.name = r.name;
		/*
		 * Take the entry only now that it is handed out, so that a
		 * stop leaves no lookup counted for what was not delivered.
		 * An entry that cannot be linked is still listed
		 * (parse_dirplusfile emits before it links) and its lookup
		 * goes back (fuse_force_forget; fc_entry_take already did so
		 * when out of memory).
		 */
		if (plus && plus_counted(&r)) {
			int err = fc_entry_take(cl, &r.eo, 0, 0, attr_version,
						&de.entry);

			if (err == -EIO)
				fc_cl_forget(cl, r.eo.nodeid, 1);
		}
		if (fn(ctx, &de)) {
			/*
			 * The callback keeps the reference it was given; the
			 * entries after it were counted by the daemon but
			 * never delivered: their lookups go back.
			 */
			if (plus)
				forget_plus_records(cl, buf + pos + r.reclen,
						    (size_t)len - pos - r.reclen);
			break;
		}
		n++;
	}
out:
	cl->plat->free(cl->plat->ctx, buf);
	/* Entries not kept go back at once, as fuse_force_forget sends them. */
	fc_client_flush_forgets(cl);
	return len < 0 ? len : n;
}
