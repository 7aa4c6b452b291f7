/*
 * Descriptor I/O: read/write and their positioned and vectored forms,
 * lseek, getdents64, fsync, fallocate, copy_file_range, and the lock
 * calls (fcntl record locks, flock) - to the daemon when it negotiated
 * them, to the local lock table otherwise.
 */
#include "vfs_i.h"

#define CFR_CHUNK (128u * 1024u)

static struct vfs_file *fget_locked(struct vctx *c, int fd)
{
	struct vfs_file *f;

	vfs_lock(c->vfs);
	f = fget(c->p, fd);
	vfs_unlock(c->vfs);
	return f;
}

static int nonseekable(const struct vfs_file *f)
{
	return f->of && (fc_open_fopen_flags(f->of) &
			 (FC_FOPEN_NONSEEKABLE | FC_FOPEN_STREAM));
}

static int stream(const struct vfs_file *f)
{
	return f->of && (fc_open_fopen_flags(f->of) & FC_FOPEN_STREAM);
}

/* rw_verify_area() for the range [@pos, @pos + @count). */
static int verify_area(int64_t pos, size_t count)
{
	if (pos < 0)
		return -EINVAL;
	if ((uint64_t)count > (uint64_t)INT64_MAX - (uint64_t)pos)
		return -EOVERFLOW;
	return 0;
}

/* ---- read / write -------------------------------------------------------------- */

static long do_read(struct vctx *c, int fd, void *buf, size_t count,
		    int64_t off, int positioned)
{
	struct vfs_file *f = fget_locked(c, fd);
	long n;
	int err;

	if (!f)
		return -EBADF;
	if (!(f->fmode & FMODE_READ)) {
		n = -EBADF;
		goto out;
	}
	if (f->is_dir) {
		n = -EISDIR;
		goto out;
	}
	if (positioned && nonseekable(f)) {
		n = -ESPIPE;
		goto out;
	}
	if (!buf && count) {
		n = -EFAULT;
		goto out;
	}
	if (count > VFS_MAX_RW_COUNT)
		count = VFS_MAX_RW_COUNT;
	if (!positioned) {
		vfs_lock(c->vfs);
		off = stream(f) ? 0 : f->pos;
		vfs_unlock(c->vfs);
	}
	err = verify_area(off, count);
	if (err) {
		n = err;
		goto out;
	}
	if (!count) {
		n = 0;
		goto out;
	}
	n = vfs_file_read(c, f, buf, count, (uint64_t)off);
	if (n > 0 && !positioned && !stream(f)) {
		vfs_lock(c->vfs);
		f->pos = off + n;
		vfs_unlock(c->vfs);
	}
out:
	fput(c, f);
	return n;
}

static long do_write(struct vctx *c, int fd, const void *buf, size_t count,
		     int64_t off, int positioned)
{
	struct vfs_file *f = fget_locked(c, fd);
	long n;
	int err, append;

	if (!f)
		return -EBADF;
	if (!(f->fmode & FMODE_WRITE)) {
		n = -EBADF;
		goto out;
	}
	if (positioned && nonseekable(f)) {
		n = -ESPIPE;
		goto out;
	}
	if (!buf && count) {
		n = -EFAULT;
		goto out;
	}
	if (count > VFS_MAX_RW_COUNT)
		count = VFS_MAX_RW_COUNT;
	vfs_lock(c->vfs);
	append = (f->flags & FC_O_APPEND) && !stream(f);
	if (!positioned)
		off = stream(f) ? 0 : f->pos;
	vfs_unlock(c->vfs);
	if (positioned && off < 0) {
		n = -EINVAL;
		goto out;
	}
	/* generic_write_checks(): O_APPEND writes at the cached size. */
	if (append)
		off = (int64_t)fc_node_attr(f->node)->size;
	err = verify_area(off, count);
	if (err) {
		n = err == -EOVERFLOW ? -EFBIG : err;
		goto out;
	}
	if (!count) {
		n = 0;
		goto out;
	}
	n = vfs_file_write(c, f, buf, count, (uint64_t)off);
	if (n > 0 && !positioned && !stream(f)) {
		vfs_lock(c->vfs);
		f->pos = off + n;
		vfs_unlock(c->vfs);
	}
out:
	fput(c, f);
	return n;
}

long fc_sys_read(struct fc_proc *p, int fd, void *buf, size_t count)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return vctx_end(&c, do_read(&c, fd, buf, count, 0, 0));
}

long fc_sys_write(struct fc_proc *p, int fd, const void *buf, size_t count)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return vctx_end(&c, do_write(&c, fd, buf, count, 0, 0));
}

long fc_sys_pread(struct fc_proc *p, int fd, void *buf, size_t count,
		  int64_t off)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return vctx_end(&c, do_read(&c, fd, buf, count, off, 1));
}

long fc_sys_pwrite(struct fc_proc *p, int fd, const void *buf, size_t count,
		   int64_t off)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return vctx_end(&c, do_write(&c, fd, buf, count, off, 1));
}

/* Sum an iovec as import_iovec() does (clamped to MAX_RW_COUNT). */
static long iov_total(const struct fc_vfs_iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	if (iovcnt < 0 || iovcnt > VFS_IOV_MAX)
		return -EINVAL;
	if (iovcnt && !iov)
		return -EFAULT;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].len > (size_t)INT64_MAX)
			return -EINVAL;
		if (iov[i].len && !iov[i].base)
			return -EFAULT;
		if (iov[i].len > VFS_MAX_RW_COUNT - total)
			return (long)VFS_MAX_RW_COUNT;
		total += iov[i].len;
	}
	return (long)total;
}

long fc_sys_readv(struct fc_proc *p, int fd, const struct fc_vfs_iovec *iov,
		  int iovcnt)
{
	struct vctx c;
	long total, n;
	char *bounce;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	total = iov_total(iov, iovcnt);
	if (total <= 0) {
		/* Still validate the descriptor, as the kernel does. */
		if (total == 0)
			total = do_read(&c, fd, NULL, 0, 0, 0);
		return vctx_end(&c, total);
	}
	bounce = vfs_alloc(c.vfs, (size_t)total);
	if (!bounce)
		return vctx_end(&c, -ENOMEM);
	n = do_read(&c, fd, bounce, (size_t)total, 0, 0);
	if (n > 0) {
		size_t done = 0;
		int i;

		for (i = 0; i < iovcnt && done < (size_t)n; i++) {
			size_t k = iov[i].len;

			if (k > (size_t)n - done)
				k = (size_t)n - done;
			if (k)
				memcpy(iov[i].base, bounce + done, k);
			done += k;
		}
	}
	vfs_free(c.vfs, bounce);
	return vctx_end(&c, n);
}

long fc_sys_writev(struct fc_proc *p, int fd, const struct fc_vfs_iovec *iov,
		   int iovcnt)
{
	struct vctx c;
	long total, n;
	size_t done = 0;
	char *bounce;
	int i, err = vctx_begin(&c, p);

	if (err)
		return err;
	total = iov_total(iov, iovcnt);
	if (total <= 0) {
		if (total == 0)
			total = do_write(&c, fd, NULL, 0, 0, 0);
		return vctx_end(&c, total);
	}
	bounce = vfs_alloc(c.vfs, (size_t)total);
	if (!bounce)
		return vctx_end(&c, -ENOMEM);
	for (i = 0; i < iovcnt && done < (size_t)total; i++) {
		size_t k = iov[i].len;

		if (k > (size_t)total - done)
			k = (size_t)total - done;
		if (k)
			memcpy(bounce + done, iov[i].base, k);
		done += k;
	}
	n = do_write(&c, fd, bounce, (size_t)total, 0, 0);
	vfs_free(c.vfs, bounce);
	return vctx_end(&c, n);
}

/* ---- lseek --------------------------------------------------------------------- */

static int64_t file_size(struct vctx *c, struct vfs_file *f, int *err)
{
	struct fc_vfs_stat st;
	struct fc_attr a;

	/*
	 * fuse_update_attributes(inode, file, STATX_SIZE): GETATTR once
	 * expired; fuse_do_getattr adds FUSE_GETATTR_FH and the fh for a
	 * regular file opened by the caller.
	 */
	if (f->of && !f->is_dir && f->node && VFS_S_ISREG(d_mode(f->path.d))) {
		*err = fc_update_attr(f->fuse->cl, &c->who, f->node, f->of,
				      FC_STATX_SIZE, &a);
		return *err ? 0 : (int64_t)a.size;
	}
	/*
	 * A FUSE directory seeks with generic_file_llseek (fuse_dir_operations):
	 * the cached i_size, no request.
	 */
	*err = vfs_getattr(c, f->path.d, f->path.mnt,
			   f->is_dir && f->node ? -1 : 0, &st);
	return st.size;
}

int64_t fc_sys_lseek(struct fc_proc *p, int fd, int64_t off, int whence)
{
	struct vfs_file *f;
	struct vctx c;
	int64_t pos, size;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	f = fget_locked(&c, fd);
	if (!f)
		return vctx_end(&c, -EBADF);
	if (f->fmode & FMODE_PATH) {
		pos = -EBADF;
		goto out;
	}
	if (nonseekable(f)) {
		pos = -ESPIPE;
		goto out;
	}
	switch (whence) {
	case FC_SEEK_SET:
		pos = off;
		break;
	case FC_SEEK_CUR:
		vfs_lock(c.vfs);
		pos = f->pos;
		vfs_unlock(c.vfs);
		if (!off)
			goto out; /* no change, no checks (generic_file_llseek) */
		if ((off > 0 && pos > INT64_MAX - off)) {
			pos = -EINVAL;
			goto out;
		}
		pos += off;
		break;
	case FC_SEEK_END:
		if (!vfs_is_fuse(f->path.d)) {
			pos = -EINVAL;
			goto out;
		}
		size = file_size(&c, f, &err);
		if (err) {
			pos = err;
			goto out;
		}
		/* Linux's loff_t sum wraps negative: vfs_setpos says EINVAL. */
		if (off > 0 && size > INT64_MAX - off) {
			pos = -EINVAL;
			goto out;
		}
		pos = size + off;
		break;
	case FC_SEEK_DATA:
	case FC_SEEK_HOLE:
		if (!vfs_is_fuse(f->path.d) || f->is_dir || !f->of) {
			pos = -EINVAL;
			goto out;
		}
		pos = fc_lseek(f->fuse->cl, &c.who, f->of, off, whence);
		if (pos == -ENOSYS) {
			/* fuse_lseek fallback: generic rule on the size. */
			size = file_size(&c, f, &err);
			if (err) {
				pos = err;
				goto out;
			}
			if (off < 0 || off >= size) {
				pos = -ENXIO;
				goto out;
			}
			pos = whence == FC_SEEK_DATA ? off : size;
		}
		if (pos < 0)
			goto out;
		break;
	default:
		pos = -EINVAL;
		goto out;
	}
	if (pos < 0) {
		pos = -EINVAL;
		goto out;
	}
	vfs_lock(c.vfs);
	f->pos = pos;
	vfs_unlock(c.vfs);
out:
	fput(&c, f);
	return vctx_end(&c, pos);
}

/* ---- getdents64 ------------------------------------------------------------------ */

struct dirbuf {
	struct vctx *c;
	struct vfs_file *f;
	unsigned char *buf;
	size_t size, used;
	int64_t pos;
	int nemitted;
	int seen;
};

static size_t dirent_reclen(size_t namelen)
{
	return (FC_VFS_DIRENT64_NAME_OFFSET + namelen + 1 + 7) & ~(size_t)7;
}

/* filldir64(): one record, or 0 if it does not fit. */
static int emit(struct dirbuf *b, uint64_t ino, int64_t off, unsigned type,
		const char *name, size_t namelen)
{
	size_t reclen = dirent_reclen(namelen);
	unsigned char *r;
	uint16_t rl = (uint16_t)reclen;
	uint8_t t = (uint8_t)type;

	b->seen++;
	if (b->used + reclen > b->size)
		return 0;
	r = b->buf + b->used;
	memset(r, 0, reclen);
	memcpy(r, &ino, 8);
	memcpy(r + 8, &off, 8);
	memcpy(r + 16, &rl, 2);
	memcpy(r + 18, &t, 1);
	memcpy(r + FC_VFS_DIRENT64_NAME_OFFSET, name, namelen);
	b->used += reclen;
	b->nemitted++;
	b->pos = off;
	return 1;
}

static int fuse_dirent(void *ctx, const struct fc_dir_entry *e)
{
	struct dirbuf *b = ctx;

	if (e->entry.node) {
		/* fuse_direntplus_link(): the entry joins the dcache. */
		struct vfs_dentry *dir = b->f->path.d;

		vfs_lock(b->c->vfs);
		d_link_entry(dir, e->name, e->namelen, &e->entry, NULL);
		vfs_unlock(b->c->vfs);
	}
	return !emit(b, e->ino, (int64_t)e->off, e->type, e->name, e->namelen);
}

static long ramfs_getdents(struct dirbuf *b)
{
	struct vfs_dentry *dir = b->f->path.d, *d;
	int64_t i;

	vfs_lock(b->c->vfs);
	for (i = b->pos < 0 ? 0 : b->pos;; i++) {
		int ok;

		if (i == 0) {
			ok = emit(b, dir->ri.ino, 1, FC_DT_DIR, ".", 1);
		} else if (i == 1) {
			uint64_t pino = dir->parent ? dir->parent->ri.ino : dir->ri.ino;

			ok = emit(b, pino, 2, FC_DT_DIR, "..", 2);
		} else {
			int64_t k = i - 2;

			for (d = dir->children; d && k; d = d->sib)
				k--;
			if (!d)
				break;
			ok = emit(b, d->ri.ino, i + 1, FC_DT_DIR, d->name, d->namelen);
		}
		if (!ok)
			break;
	}
	vfs_unlock(b->c->vfs);
	return 0;
}

long fc_sys_getdents64(struct fc_proc *p, int fd, void *buf, size_t count)
{
	struct vfs_file *f;
	struct dirbuf b;
	struct vctx c;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	f = fget_locked(&c, fd);
	if (!f)
		return vctx_end(&c, -EBADF);
	memset(&b, 0, sizeof(b));
	b.c = &c;
	b.f = f;
	b.buf = buf;
	b.size = count;
	if (f->fmode & FMODE_PATH) {
		ret = -EBADF;
		goto out;
	}
	if (!f->is_dir) {
		ret = -ENOTDIR;
		goto out;
	}
	if (!buf) {
		ret = -EFAULT;
		goto out;
	}
	if (count > (size_t)INT32_MAX)
		b.size = INT32_MAX;
	vfs_lock(c.vfs);
	b.pos = f->pos;
	/* iterate_dir(): nothing is read from a removed directory (IS_DEADDIR). */
	ret = f->path.d->dead ? -ENOENT : 0;
	vfs_unlock(c.vfs);
	if (ret)
		goto out;
	if (vfs_is_fuse(f->path.d)) {
		const struct fc_conn_info *ci = fc_conn_info(f->fuse->conn);
		uint32_t max = ci->max_pages * VFS_PAGE_SIZE, size;
		int plus;

		/* fuse_readdir_uncached: one request sized from the buffer. */
		size = count < VFS_PAGE_SIZE ? VFS_PAGE_SIZE :
		       count > max ? max : (uint32_t)count;
		/* fuse_use_readdirplus(): READDIRPLUS_AUTO only at the start. */
		plus = !(ci->flags & FC_READDIRPLUS_AUTO) || b.pos == 0;
		ret = fc_readdir(f->fuse->cl, &c.who, f->of, (uint64_t)b.pos,
				 size, plus, fuse_dirent, &b);
		if (ret > 0)
			ret = 0;
	} else {
		ret = ramfs_getdents(&b);
	}
	if (ret < 0)
		goto out;
	if (b.nemitted) {
		vfs_lock(c.vfs);
		f->pos = b.pos;
		vfs_unlock(c.vfs);
		ret = (long)b.used;
	} else {
		/* Nothing emitted: the end, or a buffer too small for the entry. */
		ret = b.seen ? -EINVAL : 0;
	}
out:
	fput(&c, f);
	return vctx_end(&c, ret);
}

/* ---- fsync, fallocate, copy_file_range ------------------------------------------ */

static int do_fsync(struct fc_proc *p, int fd, int datasync)
{
	struct vfs_file *f;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	if (f->fmode & FMODE_PATH)
		err = -EBADF;
	else if (f->of)
		err = fc_fsync(f->fuse->cl, &c.who, f->of, datasync);
	fput(&c, f);
	return (int)vctx_end(&c, err);
}

int fc_sys_fsync(struct fc_proc *p, int fd)
{
	return do_fsync(p, fd, 0);
}

int fc_sys_fdatasync(struct fc_proc *p, int fd)
{
	return do_fsync(p, fd, 1);
}

int fc_sys_fallocate(struct fc_proc *p, int fd, int mode, int64_t off,
		     int64_t len)
{
	struct vfs_file *f;
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (off < 0 || len <= 0)
		return (int)vctx_end(&c, -EINVAL);
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	if (!(f->fmode & FMODE_WRITE)) {
		err = -EBADF;
	} else if (mode & ~(FC_FALLOC_FL_KEEP_SIZE | FC_FALLOC_FL_PUNCH_HOLE |
			    FC_FALLOC_FL_ZERO_RANGE | 0x04 | 0x08 | 0x20 | 0x40)) {
		err = -EOPNOTSUPP;
	} else if ((mode & FC_FALLOC_FL_PUNCH_HOLE) &&
		   !(mode & FC_FALLOC_FL_KEEP_SIZE)) {
		err = -EOPNOTSUPP;
	} else if (f->is_dir) {
		err = -EISDIR;
	} else if (!VFS_S_ISREG(d_mode(f->path.d)) || !f->of) {
		err = -ENODEV;
	} else if (off > INT64_MAX - len) {
		err = -EFBIG;
	} else {
		/*
		 * Linux 6.18 fuse_file_fallocate: file_modified(file) for
		 * every mode, KEEP_SIZE too (file_remove_privs: the
		 * security.capability probe until the daemon answers ENOSYS).
		 */
		int kill = vfs_need_remove_privs(&c, f->path.d, 0);

		if (kill > 0)
			err = vfs_remove_privs(&c, f->path.d, f, (unsigned)kill);
		if (!err)
			err = fc_fallocate(f->fuse->cl, &c.who, f->of,
					   (uint32_t)mode, (uint64_t)off,
					   (uint64_t)len);
	}
	fput(&c, f);
	return (int)vctx_end(&c, err);
}

static long cfr_splice(struct vctx *c, struct vfs_file *in, uint64_t off_in,
		       struct vfs_file *out, uint64_t off_out, size_t len)
{
	size_t chunk = len < CFR_CHUNK ? len : CFR_CHUNK;
	char *buf = vfs_alloc(c->vfs, chunk);
	long total = 0;

	if (!buf)
		return -ENOMEM;
	while (len) {
		size_t k = len < chunk ? len : chunk;
		long r = vfs_file_read(c, in, buf, k, off_in), w;

		if (r <= 0) {
			if (!total)
				total = r;
			break;
		}
		w = vfs_file_write(c, out, buf, (size_t)r, off_out);
		if (w <= 0) {
			if (!total)
				total = w;
			break;
		}
		total += w;
		off_in += (uint64_t)w;
		off_out += (uint64_t)w;
		len -= (size_t)w;
		if (w < r || (size_t)r < k)
			break;
	}
	vfs_free(c->vfs, buf);
	return total;
}

long fc_sys_copy_file_range(struct fc_proc *p, int fd_in, int64_t *off_in,
			    int fd_out, int64_t *off_out, size_t len,
			    unsigned flags)
{
	struct vfs_file *in = NULL, *out = NULL;
	int64_t pin, pout;
	struct vctx c;
	long ret;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	in = fget_locked(&c, fd_in);
	out = fget_locked(&c, fd_out);
	if (!in || !out) {
		ret = -EBADF;
		goto done;
	}
	if (flags) {
		ret = -EINVAL;
		goto done;
	}
	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE) ||
	    (out->flags & FC_O_APPEND)) {
		ret = -EBADF;
		goto done;
	}
	if (in->is_dir || out->is_dir) {
		ret = -EISDIR;
		goto done;
	}
	if (!in->of || !out->of || !VFS_S_ISREG(d_mode(in->path.d)) ||
	    !VFS_S_ISREG(d_mode(out->path.d))) {
		ret = -EINVAL;
		goto done;
	}
	vfs_lock(c.vfs);
	pin = off_in ? *off_in : in->pos;
	pout = off_out ? *off_out : out->pos;
	vfs_unlock(c.vfs);
	if (pin < 0 || pout < 0) {
		ret = -EINVAL;
		goto done;
	}
	if (len > VFS_MAX_RW_COUNT)
		len = VFS_MAX_RW_COUNT;
	if ((uint64_t)len > (uint64_t)INT64_MAX - (uint64_t)pin ||
	    (uint64_t)len > (uint64_t)INT64_MAX - (uint64_t)pout) {
		ret = -EOVERFLOW;
		goto done;
	}
	if (in->node == out->node &&
	    pin < pout + (int64_t)len && pout < pin + (int64_t)len) {
		ret = -EINVAL;
		goto done;
	}
	if (!len) {
		ret = 0;
		goto done;
	}
	ret = -EXDEV;
	if (in->fuse == out->fuse) {
		int kill = vfs_need_remove_privs(&c, out->path.d, 0);

		if (kill > 0) {
			ret = vfs_remove_privs(&c, out->path.d, out, (unsigned)kill);
			if (ret)
				goto done;
		}
		ret = fc_copy_file_range(in->fuse->cl, &c.who, in->of,
					 (uint64_t)pin, out->of, (uint64_t)pout,
					 len, 0);
	}
	if (ret == -EOPNOTSUPP || ret == -EXDEV || ret == -ENOSYS)
		ret = cfr_splice(&c, in, (uint64_t)pin, out, (uint64_t)pout, len);
	if (ret > 0) {
		vfs_lock(c.vfs);
		if (off_in)
			*off_in = pin + ret;
		else
			in->pos = pin + ret;
		if (off_out)
			*off_out = pout + ret;
		else
			out->pos = pout + ret;
		vfs_unlock(c.vfs);
	}
done:
	if (in)
		fput(&c, in);
	if (out)
		fput(&c, out);
	return vctx_end(&c, ret);
}

/* ---- locks ------------------------------------------------------------------------ */

/* flock_to_posix_lock() */
static int flock_to_range(struct vctx *c, struct vfs_file *f,
			  const struct fc_vfs_flock *fl, struct fc_lock *lk)
{
	int64_t start, end;
	int err;

	switch (fl->l_whence) {
	case FC_SEEK_SET:
		start = 0;
		break;
	case FC_SEEK_CUR:
		vfs_lock(c->vfs);
		start = f->pos;
		vfs_unlock(c->vfs);
		break;
	case FC_SEEK_END:
		if (vfs_is_fuse(f->path.d))
			start = (int64_t)fc_node_attr(f->node)->size;
		else
			start = 0;
		break;
	default:
		return -EINVAL;
	}
	(void)err;
	if (fl->l_start > 0 && fl->l_start > INT64_MAX - start)
		return -EOVERFLOW;
	start += fl->l_start;
	if (start < 0)
		return -EINVAL;
	if (fl->l_len > 0) {
		if (fl->l_len - 1 > INT64_MAX - start)
			return -EOVERFLOW;
		end = start + fl->l_len - 1;
	} else if (fl->l_len < 0) {
		if (start + fl->l_len < 0)
			return -EINVAL;
		end = start - 1;
		start += fl->l_len;
	} else {
		end = INT64_MAX;
	}
	lk->start = (uint64_t)start;
	lk->end = (uint64_t)end;
	return 0;
}

int fc_sys_fcntl_lock(struct fc_proc *p, int fd, int cmd,
		      struct fc_vfs_flock *fl)
{
	struct vfs_file *f;
	struct fc_lock lk;
	struct vctx c;
	int err = vctx_begin(&c, p);
	int remote;

	if (err)
		return err;
	if (cmd != FC_F_GETLK && cmd != FC_F_SETLK && cmd != FC_F_SETLKW)
		return (int)vctx_end(&c, -EINVAL);
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	if (f->fmode & FMODE_PATH) {
		err = -EBADF;
		goto out;
	}
	if (!fl) {
		err = -EFAULT;
		goto out;
	}
	memset(&lk, 0, sizeof(lk));
	if (fl->l_type != FC_F_RDLCK && fl->l_type != FC_F_WRLCK &&
	    fl->l_type != FC_F_UNLCK) {
		err = -EINVAL;
		goto out;
	}
	lk.type = (uint32_t)fl->l_type;
	err = flock_to_range(&c, f, fl, &lk);
	if (err)
		goto out;
	remote = f->fuse && fc_conn_info(f->fuse->conn)->posix_locks;
	if (cmd == FC_F_GETLK) {
		if (lk.type == FC_F_UNLCK) {
			err = -EINVAL;
			goto out;
		}
		if (remote)
			err = fc_getlk(f->fuse->cl, &c.who, f->of, c.who.lock_owner, &lk);
		else
			err = lock_posix_get(&c, file_lock_key(f), c.who.lock_owner, &lk);
		if (!err) {
			fl->l_type = (int16_t)lk.type;
			if (lk.type != FC_F_UNLCK) {
				fl->l_whence = FC_SEEK_SET;
				fl->l_start = (int64_t)lk.start;
				fl->l_len = lk.end >= (uint64_t)INT64_MAX ? 0 :
					    (int64_t)(lk.end - lk.start + 1);
				fl->l_pid = (int32_t)lk.pid;
			}
		}
		goto out;
	}
	/* fcntl_setlk(): the file must be open for the lock's kind. */
	if ((lk.type == FC_F_RDLCK && !(f->fmode & FMODE_READ)) ||
	    (lk.type == FC_F_WRLCK && !(f->fmode & FMODE_WRITE))) {
		err = -EBADF;
		goto out;
	}
	lk.pid = c.who.pid;
	if (remote)
		err = fc_setlk(f->fuse->cl, &c.who, f->of, c.who.lock_owner, &lk,
			       cmd == FC_F_SETLKW);
	else
		err = lock_posix_set(&c, file_lock_key(f), c.who.lock_owner, &lk,
				     cmd == FC_F_SETLKW);
out:
	fput(&c, f);
	return (int)vctx_end(&c, err);
}

int fc_sys_flock(struct fc_proc *p, int fd, int op)
{
	struct vfs_file *f;
	struct vctx c;
	int cmd = op & ~FC_LOCK_NB;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	f = fget_locked(&c, fd);
	if (!f)
		return (int)vctx_end(&c, -EBADF);
	if (cmd != FC_LOCK_SH && cmd != FC_LOCK_EX && cmd != FC_LOCK_UN) {
		err = -EINVAL;
	} else if (f->fmode & FMODE_PATH) {
		err = -EBADF;
	} else if (f->fuse && fc_conn_info(f->fuse->conn)->flock_locks && f->of) {
		err = fc_flock(f->fuse->cl, &c.who, f->of, op);
	} else {
		err = lock_flock(&c, file_lock_key(f), f->id, op);
	}
	fput(&c, f);
	return (int)vctx_end(&c, err);
}
