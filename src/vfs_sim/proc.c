/*
 * Processes: credentials, umask, cwd, descriptor tables (Linux's
 * files_struct with its own lock), dup/dup2/dup3, FD_CLOEXEC, fork and
 * exec, and the per-table lock-owner id (fuse_lock_owner_id).
 *
 * Lock order: the VFS lock may be held while a table lock is taken, never
 * the other way round.  A file's reference count is guarded by the VFS
 * lock.
 */
#include "vfs_i.h"

#define FD_INITIAL 16u

static void files_lock(struct fc_vfs *vfs, struct vfs_files *t)
{
	vfs->plat->mutex_lock(vfs->plat->ctx, t->lock);
}

static void files_unlock(struct fc_vfs *vfs, struct vfs_files *t)
{
	vfs->plat->mutex_unlock(vfs->plat->ctx, t->lock);
}

/* Lock held (the counter). */
static struct vfs_files *files_new(struct fc_vfs *vfs)
{
	struct vfs_files *t = vfs_zalloc(vfs, sizeof(*t));

	if (!t)
		return NULL;
	t->lock = vfs->plat->mutex_new(vfs->plat->ctx);
	t->fd = vfs_zalloc(vfs, FD_INITIAL * sizeof(*t->fd));
	if (!t->lock || !t->fd) {
		if (t->lock)
			vfs->plat->mutex_free(vfs->plat->ctx, t->lock);
		vfs_free(vfs, t->fd);
		vfs_free(vfs, t);
		return NULL;
	}
	t->cap = FD_INITIAL;
	t->users = 1;
	/*
	 * fuse_lock_owner_id() scrambles the files_struct pointer; a scramble
	 * of a per-table counter gives a value that is constant for the
	 * table, distinct between tables, and reproducible from run to run.
	 */
	t->owner = vfs_mix64(++vfs->files_ctr ^ 0x6c6f636b6f776e72ULL);
	return t;
}

static void files_free(struct fc_vfs *vfs, struct vfs_files *t)
{
	vfs->plat->mutex_free(vfs->plat->ctx, t->lock);
	vfs_free(vfs, t->fd);
	vfs_free(vfs, t);
}

/* Make room for descriptor @fd (table lock held). */
static int files_grow(struct fc_vfs *vfs, struct vfs_files *t, unsigned fd)
{
	struct vfs_fdent *n;
	unsigned cap = t->cap;

	if (fd < t->cap)
		return 0;
	if (fd >= FC_VFS_NOFILE)
		return -EMFILE;
	while (cap <= fd)
		cap *= 2;
	if (cap > FC_VFS_NOFILE)
		cap = FC_VFS_NOFILE;
	n = vfs_zalloc(vfs, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memcpy(n, t->fd, t->cap * sizeof(*n));
	vfs_free(vfs, t->fd);
	t->fd = n;
	t->cap = cap;
	return 0;
}

/* ---- descriptors ---------------------------------------------------------------- */

struct vfs_file *fget(struct fc_proc *p, int fd)
{
	struct vfs_files *t = p->files;
	struct vfs_file *f = NULL;

	if (fd < 0)
		return NULL;
	files_lock(p->vfs, t);
	if ((unsigned)fd < t->cap && !t->fd[fd].reserved)
		f = t->fd[fd].f;
	if (f)
		f->refs++;
	files_unlock(p->vfs, t);
	return f;
}

int fd_alloc(struct fc_proc *p, int minfd)
{
	struct vfs_files *t = p->files;
	unsigned i;
	int err;

	if (minfd < 0 || minfd >= FC_VFS_NOFILE)
		return -EINVAL;
	files_lock(p->vfs, t);
	for (i = (unsigned)minfd; i < FC_VFS_NOFILE; i++) {
		if (i >= t->cap) {
			err = files_grow(p->vfs, t, i);
			if (err) {
				files_unlock(p->vfs, t);
				return err;
			}
		}
		if (!t->fd[i].f && !t->fd[i].reserved) {
			t->fd[i].reserved = 1;
			files_unlock(p->vfs, t);
			return (int)i;
		}
	}
	files_unlock(p->vfs, t);
	return -EMFILE;
}

void fd_install(struct fc_proc *p, int fd, struct vfs_file *f, int cloexec)
{
	struct vfs_files *t = p->files;

	files_lock(p->vfs, t);
	t->fd[fd].f = f;
	t->fd[fd].cloexec = !!cloexec;
	t->fd[fd].reserved = 0;
	files_unlock(p->vfs, t);
}

void fd_unreserve(struct fc_proc *p, int fd)
{
	struct vfs_files *t = p->files;

	files_lock(p->vfs, t);
	t->fd[fd].reserved = 0;
	files_unlock(p->vfs, t);
}

/* close(): out of the table under its lock; flush and put without it. */
int vfs_close_fd(struct vctx *c, int fd)
{
	struct vfs_files *t = c->p->files;
	struct vfs_file *f = NULL;
	int err;

	if (fd < 0)
		return -EBADF;
	files_lock(c->vfs, t);
	if ((unsigned)fd < t->cap && !t->fd[fd].reserved) {
		f = t->fd[fd].f;
		t->fd[fd].f = NULL;
		t->fd[fd].cloexec = 0;
	}
	files_unlock(c->vfs, t);
	if (!f)
		return -EBADF;
	err = filp_flush(c, f);
	fput(c, f);
	return err;
}

int fc_sys_close(struct fc_proc *p, int fd)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return (int)vctx_end(&c, vfs_close_fd(&c, fd));
}

/* Install @f (a new reference) at the lowest free descriptor >= @minfd. */
static int fd_install_new(struct fc_proc *p, struct vfs_file *f, int minfd,
			  int cloexec)
{
	int fd = fd_alloc(p, minfd);

	if (fd >= 0)
		fd_install(p, fd, f, cloexec);
	return fd;
}

static int do_dup(struct vctx *c, int oldfd, int minfd, int cloexec)
{
	struct vfs_file *f;
	int fd;

	vfs_lock(c->vfs);
	f = fget(c->p, oldfd);
	vfs_unlock(c->vfs);
	if (!f)
		return -EBADF;
	fd = fd_install_new(c->p, f, minfd, cloexec);
	if (fd < 0)
		fput(c, f);
	return fd;
}

int fc_sys_dup(struct fc_proc *p, int fd)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	return (int)vctx_end(&c, do_dup(&c, fd, 0, 0));
}

static int do_dup3(struct vctx *c, int oldfd, int newfd, int cloexec)
{
	struct vfs_files *t = c->p->files;
	struct vfs_file *f, *prev = NULL;
	int err = 0;

	vfs_lock(c->vfs);
	f = fget(c->p, oldfd);
	vfs_unlock(c->vfs);
	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= FC_VFS_NOFILE) {
		fput(c, f);
		return -EBADF;
	}
	files_lock(c->vfs, t);
	err = files_grow(c->vfs, t, (unsigned)newfd);
	if (!err && t->fd[newfd].reserved)
		err = -EBUSY; /* an open in progress there (do_dup2) */
	if (!err) {
		prev = t->fd[newfd].f;
		t->fd[newfd].f = f;
		t->fd[newfd].cloexec = cloexec;
	}
	files_unlock(c->vfs, t);
	if (err) {
		fput(c, f);
		return err;
	}
	if (prev) {
		/* filp_close() of the previous file; its errors are dropped. */
		filp_flush(c, prev);
		fput(c, prev);
	}
	return newfd;
}

int fc_sys_dup2(struct fc_proc *p, int oldfd, int newfd)
{
	struct vctx c;
	struct vfs_file *f;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (oldfd == newfd) {
		vfs_lock(c.vfs);
		f = fget(p, oldfd);
		vfs_unlock(c.vfs);
		if (!f)
			return (int)vctx_end(&c, -EBADF);
		fput(&c, f);
		return (int)vctx_end(&c, newfd);
	}
	return (int)vctx_end(&c, do_dup3(&c, oldfd, newfd, 0));
}

int fc_sys_dup3(struct fc_proc *p, int oldfd, int newfd, int flags)
{
	struct vctx c;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	if (flags & ~FC_O_CLOEXEC)
		return (int)vctx_end(&c, -EINVAL);
	if (oldfd == newfd)
		return (int)vctx_end(&c, -EINVAL);
	return (int)vctx_end(&c, do_dup3(&c, oldfd, newfd,
					 !!(flags & FC_O_CLOEXEC)));
}

/* fcntl on the descriptor itself (F_DUPFD*, F_GETFD, F_SETFD). */


int vfs_fcntl_fd(struct vctx *c, int fd, int cmd, long arg)
{
	struct vfs_files *t = c->p->files;
	int ret = -EBADF;

	switch (cmd) {
	case FC_F_DUPFD:
	case FC_F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= FC_VFS_NOFILE) {
			struct vfs_file *f;

			vfs_lock(c->vfs);
			f = fget(c->p, fd);
			vfs_unlock(c->vfs);
			if (!f)
				return -EBADF;
			fput(c, f);
			return -EINVAL;
		}
		return do_dup(c, fd, (int)arg, cmd == FC_F_DUPFD_CLOEXEC);
	case FC_F_GETFD:
	case FC_F_SETFD:
		if (fd < 0)
			return -EBADF;
		files_lock(c->vfs, t);
		if ((unsigned)fd < t->cap && t->fd[fd].f && !t->fd[fd].reserved) {
			if (cmd == FC_F_GETFD) {
				ret = t->fd[fd].cloexec ? FC_FD_CLOEXEC : 0;
			} else {
				t->fd[fd].cloexec = !!(arg & FC_FD_CLOEXEC);
				ret = 0;
			}
		}
		files_unlock(c->vfs, t);
		return ret;
	default:
		return -EINVAL;
	}
}

/* ---- processes ---------------------------------------------------------------- */

static struct fc_proc *proc_alloc(struct fc_vfs *vfs, uint32_t pid)
{
	struct fc_proc *p = vfs_zalloc(vfs, sizeof(*p));

	if (!p)
		return NULL;
	p->vfs = vfs;
	p->pid = pid;
	return p;
}

int fc_proc_new(struct fc_vfs *vfs, uint32_t pid,
		const struct fc_vfs_cred *cred, struct fc_proc **out)
{
	struct fc_proc *p;

	if (!vfs || !out)
		return -EFAULT;
	*out = NULL;
	p = proc_alloc(vfs, pid);
	if (!p)
		return -ENOMEM;
	if (cred)
		p->cred = *cred;
	if (p->cred.ngroups > FC_VFS_NGROUPS_MAX)
		p->cred.ngroups = FC_VFS_NGROUPS_MAX;
	p->umask = 022;
	vfs_lock(vfs);
	p->files = files_new(vfs);
	if (!p->files || !vfs->rootmnt) {
		vfs_unlock(vfs);
		if (p->files)
			files_free(vfs, p->files);
		vfs_free(vfs, p);
		return -ENOMEM;
	}
	p->root.mnt = vfs->rootmnt;
	p->root.d = vfs->rootmnt->root;
	path_get(&p->root);
	p->cwd = p->root;
	path_get(&p->cwd);
	p->next = vfs->procs;
	vfs->procs = p;
	vfs_unlock(vfs);
	*out = p;
	return 0;
}

/* A copy of @src's table: same open file descriptions (lock held). */
static struct vfs_files *files_copy(struct fc_vfs *vfs, struct vfs_files *src)
{
	struct vfs_files *t = files_new(vfs);
	unsigned i;

	if (!t)
		return NULL;
	files_lock(vfs, src);
	if (files_grow(vfs, t, src->cap - 1)) {
		files_unlock(vfs, src);
		files_free(vfs, t);
		return NULL;
	}
	for (i = 0; i < src->cap; i++) {
		if (src->fd[i].f && !src->fd[i].reserved) {
			t->fd[i] = src->fd[i];
			t->fd[i].f->refs++;
		}
	}
	files_unlock(vfs, src);
	return t;
}

int fc_proc_fork(struct fc_proc *parent, uint32_t pid, unsigned flags,
		 struct fc_proc **out)
{
	struct fc_vfs *vfs;
	struct fc_proc *p;

	if (!parent || !out)
		return -EFAULT;
	*out = NULL;
	if (flags & ~FC_PROC_SHARE_FILES)
		return -EINVAL;
	vfs = parent->vfs;
	p = proc_alloc(vfs, pid);
	if (!p)
		return -ENOMEM;
	vfs_lock(vfs);
	p->cred = parent->cred;
	p->umask = parent->umask;
	if (flags & FC_PROC_SHARE_FILES) {
		p->files = parent->files;
		p->files->users++;
	} else {
		p->files = files_copy(vfs, parent->files);
	}
	if (!p->files) {
		vfs_unlock(vfs);
		vfs_free(vfs, p);
		return -ENOMEM;
	}
	p->root = parent->root;
	path_get(&p->root);
	p->cwd = parent->cwd;
	path_get(&p->cwd);
	p->next = vfs->procs;
	vfs->procs = p;
	vfs_unlock(vfs);
	*out = p;
	return 0;
}

int fc_proc_exec(struct fc_proc *p)
{
	struct vfs_files *t, *old;
	struct vctx c;
	unsigned i;
	int err = vctx_begin(&c, p);

	if (err)
		return err;
	vfs_lock(c.vfs);
	old = p->files;
	if (old->users > 1) {
		/* unshare_files(): a table of our own, so a new lock owner. */
		t = files_copy(c.vfs, old);
		if (!t) {
			vfs_unlock(c.vfs);
			return (int)vctx_end(&c, -ENOMEM);
		}
		old->users--;
		p->files = t;
	}
	vfs_unlock(c.vfs);
	fc_proc_caller(p, &c.who);
	t = p->files;
	for (i = 0; i < t->cap; i++) {
		int close_it;

		files_lock(c.vfs, t);
		close_it = t->fd[i].f && t->fd[i].cloexec && !t->fd[i].reserved;
		files_unlock(c.vfs, t);
		if (close_it)
			vfs_close_fd(&c, (int)i);
	}
	return (int)vctx_end(&c, 0);
}

void fc_proc_exit(struct fc_proc *p)
{
	struct fc_vfs *vfs;
	struct fc_proc **pp;
	struct vfs_files *t;
	struct vctx c;
	unsigned i;
	int last;

	if (!p)
		return;
	vfs = p->vfs;
	vctx_begin(&c, p);
	vfs_lock(vfs);
	t = p->files;
	last = --t->users == 0;
	vfs_unlock(vfs);
	if (last) {
		struct vfs_file **work;
		unsigned nwork = 0;

		/*
		 * close_files(): filp_close() of every descriptor in order
		 * (FLUSH for each); the final fput()s are task work, run at
		 * exit_task_work() after all of them, last queued first
		 * (RELEASE in reverse order): FLUSH h1, FLUSH h2, RELEASE h2,
		 * RELEASE h1.  Without memory for the list, each file is
		 * released at once.
		 */
		work = t->cap ? vfs_zalloc(vfs, t->cap * sizeof(*work)) : NULL;
		for (i = 0; i < t->cap; i++) {
			struct vfs_file *f;

			files_lock(vfs, t);
			f = t->fd[i].reserved ? NULL : t->fd[i].f;
			if (f) {
				t->fd[i].f = NULL;
				t->fd[i].cloexec = 0;
			}
			files_unlock(vfs, t);
			if (!f)
				continue;
			filp_flush(&c, f);
			if (!work)
				fput(&c, f);
			else if (fput_deferred(f))
				work[nwork++] = f;
		}
		while (nwork)
			fput_final(&c, work[--nwork]);
		if (work)
			vfs_free(vfs, work);
		files_free(vfs, t);
	}
	vfs_lock(vfs);
	p->files = NULL;
	path_put(&p->cwd);
	path_put(&p->root);
	for (pp = &vfs->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	vfs_unlock(vfs);
	vfs_free(vfs, p);
	c.p = NULL;
	vctx_end(&c, 0);
}

int fc_proc_set_cred(struct fc_proc *p, const struct fc_vfs_cred *cred)
{
	if (!p || !cred)
		return -EFAULT;
	vfs_lock(p->vfs);
	p->cred = *cred;
	if (p->cred.ngroups > FC_VFS_NGROUPS_MAX)
		p->cred.ngroups = FC_VFS_NGROUPS_MAX;
	vfs_unlock(p->vfs);
	return 0;
}

const struct fc_vfs_cred *fc_proc_cred(const struct fc_proc *p)
{
	return p ? &p->cred : NULL;
}

uint32_t fc_proc_pid(const struct fc_proc *p)
{
	return p ? p->pid : 0;
}

uint32_t fc_proc_umask(struct fc_proc *p, uint32_t mask)
{
	uint32_t old;

	if (!p)
		return 0;
	vfs_lock(p->vfs);
	old = p->umask;
	p->umask = mask & 0777;
	vfs_unlock(p->vfs);
	return old;
}

uint64_t fc_proc_lock_owner(const struct fc_proc *p)
{
	return p && p->files ? p->files->owner : 0;
}

void fc_proc_caller(const struct fc_proc *p, struct fc_caller *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	out->uid = p->cred.uid;
	out->gid = p->cred.gid;
	out->pid = p->pid;
	out->umask = p->umask;
	out->lock_owner = p->files ? p->files->owner : 0;
	out->task = p;
}

void fc_proc_interrupt(struct fc_proc *p, int fatal)
{
	struct fc_vfs *vfs;
	struct vfs_fuse **list = NULL, *f;
	unsigned n = 0, i;

	if (!p)
		return;
	vfs = p->vfs;
	vfs_lock(vfs);
	p->sigpending = 1;
	vfs->plat->cond_broadcast(vfs->plat->ctx, vfs->lock_cond);
	for (f = vfs->fuses; f; f = f->next)
		n++;
	if (n)
		list = vfs_alloc(vfs, n * sizeof(*list));
	n = 0;
	for (f = vfs->fuses; list && f; f = f->next) {
		f->pins++;
		list[n++] = f;
	}
	vfs_unlock(vfs);
	for (i = 0; i < n; i++)
		fc_conn_interrupt(list[i]->conn, p, fatal);
	vfs_lock(vfs);
	for (i = 0; i < n; i++)
		list[i]->pins--;
	vfs_unlock(vfs);
	vfs_free(vfs, list);
}
