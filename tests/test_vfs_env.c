/*
 * The VFS test environment: fake-clock platform, memfs daemon, mounts.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vfs_env.h"

/* ---- the platform ------------------------------------------------------------- */

static _Thread_local int vfs_locks_held;

static const struct fc_platform *posix(void)
{
	return fc_platform_posix();
}

/* The tag list is read from every thread that locks. */
static pthread_mutex_t tag_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_tagged(struct venv *e, const void *m)
{
	unsigned i;
	int found = 0;

	pthread_mutex_lock(&tag_lock);
	for (i = 0; i < e->ntagged && !found; i++)
		if (e->tagged[i] == m)
			found = 1;
	pthread_mutex_unlock(&tag_lock);
	return found;
}

/* Allocations are counted: venv_down() checks that every one was freed. */
static void *p_alloc(void *ctx, size_t size)
{
	struct venv *e = ctx;
	void *p = posix()->alloc(posix()->ctx, size);

	if (p)
		__atomic_add_fetch(&e->live, 1, __ATOMIC_SEQ_CST);
	return p;
}

static void p_free(void *ctx, void *ptr)
{
	struct venv *e = ctx;

	if (ptr)
		__atomic_sub_fetch(&e->live, 1, __ATOMIC_SEQ_CST);
	posix()->free(posix()->ctx, ptr);
}

static struct fc_mutex *p_mutex_new(void *ctx)
{
	struct venv *e = ctx;
	struct fc_mutex *m = posix()->mutex_new(posix()->ctx);

	pthread_mutex_lock(&tag_lock);
	if (m && e->tagging && e->ntagged < 64)
		e->tagged[e->ntagged++] = m;
	pthread_mutex_unlock(&tag_lock);
	return m;
}

static void p_mutex_free(void *ctx, struct fc_mutex *m)
{
	struct venv *e = ctx;
	unsigned i;

	pthread_mutex_lock(&tag_lock);
	for (i = 0; i < e->ntagged; i++) {
		if (e->tagged[i] == m) {
			e->tagged[i] = e->tagged[--e->ntagged];
			break;
		}
	}
	pthread_mutex_unlock(&tag_lock);
	posix()->mutex_free(posix()->ctx, m);
}

static void p_mutex_lock(void *ctx, struct fc_mutex *m)
{
	posix()->mutex_lock(posix()->ctx, m);
	if (is_tagged(ctx, m))
		vfs_locks_held++;
}

static void p_mutex_unlock(void *ctx, struct fc_mutex *m)
{
	if (is_tagged(ctx, m))
		vfs_locks_held--;
	posix()->mutex_unlock(posix()->ctx, m);
}

static struct fc_cond *p_cond_new(void *ctx)
{
	(void)ctx;
	return posix()->cond_new(posix()->ctx);
}

static void p_cond_free(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	posix()->cond_free(posix()->ctx, c);
}

static void p_cond_wait(void *ctx, struct fc_cond *c, struct fc_mutex *m,
			const char *what)
{
	struct venv *e = ctx;
	int t = is_tagged(ctx, m);

	if (!strcmp(what, "posix lock") || !strcmp(what, "flock"))
		__atomic_add_fetch(&e->lock_waits, 1, __ATOMIC_SEQ_CST);
	if (t)
		vfs_locks_held--;
	posix()->cond_wait(posix()->ctx, c, m, what);
	if (t)
		vfs_locks_held++;
}

static void p_cond_broadcast(void *ctx, struct fc_cond *c)
{
	(void)ctx;
	posix()->cond_broadcast(posix()->ctx, c);
}

static uint64_t p_now(void *ctx)
{
	struct venv *e = ctx;

	return __atomic_load_n(&e->now, __ATOMIC_SEQ_CST);
}

int venv_vfs_locks_held(void)
{
	return vfs_locks_held;
}

static void plat_init(struct venv *e)
{
	e->plat.version = FC_PLATFORM_VERSION;
	e->plat.ctx = e;
	e->plat.alloc = p_alloc;
	e->plat.free = p_free;
	e->plat.mutex_new = p_mutex_new;
	e->plat.mutex_free = p_mutex_free;
	e->plat.mutex_lock = p_mutex_lock;
	e->plat.mutex_unlock = p_mutex_unlock;
	e->plat.cond_new = p_cond_new;
	e->plat.cond_free = p_cond_free;
	e->plat.cond_wait = p_cond_wait;
	e->plat.cond_broadcast = p_cond_broadcast;
	e->plat.now_ns = p_now;
	e->plat.log = NULL;
	e->now = 1000 * VT_SEC;
}

void vt_advance(struct venv *e, uint64_t ns)
{
	__atomic_add_fetch(&e->now, ns, __ATOMIC_SEQ_CST);
}

/* ---- memfs: the daemon's file system ------------------------------------------ */

static struct vt_node *node(struct venv *e, uint64_t id)
{
	if (id == 0 || id >= VT_MAXNODES || !e->fs.nodes[id].used)
		return NULL;
	return &e->fs.nodes[id];
}

static uint64_t node_new(struct venv *e, uint32_t mode)
{
	uint64_t id = e->fs.next_id++;
	struct vt_node *n;

	ck_assert_uint_lt(id, VT_MAXNODES);
	n = &e->fs.nodes[id];
	memset(n, 0, sizeof(*n));
	n->used = 1;
	n->mode = mode;
	n->nlink = (mode & FC_S_IFMT) == FC_S_IFDIR ? 2 : 1;
	n->gen = 1;
	return id;
}

static struct vt_dirent *dirent_find(struct venv *e, uint64_t dir,
				     const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < e->fs.nents; i++) {
		struct vt_dirent *d = &e->fs.ents[i];

		if (d->dir == dir && strlen(d->name) == len &&
		    !memcmp(d->name, name, len))
			return d;
	}
	return NULL;
}

static void dirent_add(struct venv *e, uint64_t dir, const char *name,
		       size_t len, uint64_t id)
{
	struct vt_dirent *d;

	if (e->fs.nents == e->fs.cap) {
		e->fs.cap = e->fs.cap ? e->fs.cap * 2 : 64;
		e->fs.ents = realloc(e->fs.ents, e->fs.cap * sizeof(*e->fs.ents));
		ck_assert_ptr_nonnull(e->fs.ents);
	}
	d = &e->fs.ents[e->fs.nents++];
	memset(d, 0, sizeof(*d));
	d->dir = dir;
	ck_assert_uint_lt(len, sizeof(d->name));
	memcpy(d->name, name, len);
	d->node = id;
}

static void dirent_del(struct venv *e, struct vt_dirent *d)
{
	unsigned i = (unsigned)(d - e->fs.ents);

	memmove(d, d + 1, (e->fs.nents - i - 1) * sizeof(*d));
	e->fs.nents--;
}

static int dir_empty(struct venv *e, uint64_t dir)
{
	unsigned i;

	for (i = 0; i < e->fs.nents; i++)
		if (e->fs.ents[i].dir == dir)
			return 0;
	return 1;
}

uint64_t vt_mkdir(struct venv *e, uint64_t parent, const char *name,
		  uint32_t mode)
{
	uint64_t id = node_new(e, FC_S_IFDIR | mode);

	dirent_add(e, parent, name, strlen(name), id);
	return id;
}

uint64_t vt_mkfile(struct venv *e, uint64_t parent, const char *name,
		   uint32_t mode, const char *data)
{
	uint64_t id = node_new(e, FC_S_IFREG | mode);
	struct vt_node *n = node(e, id);

	if (data) {
		n->size = strlen(data);
		n->data = malloc(n->size + 1);
		memcpy(n->data, data, n->size);
	}
	dirent_add(e, parent, name, strlen(name), id);
	return id;
}

uint64_t vt_mklink(struct venv *e, uint64_t parent, const char *name,
		   const char *target)
{
	uint64_t id = node_new(e, FC_S_IFLNK | 0777);

	node(e, id)->target = strdup(target);
	node(e, id)->size = strlen(target);
	dirent_add(e, parent, name, strlen(name), id);
	return id;
}

uint64_t vt_find(struct venv *e, uint64_t parent, const char *name)
{
	struct vt_dirent *d = dirent_find(e, parent, name, strlen(name));

	return d ? d->node : 0;
}

void vt_unlink_name(struct venv *e, uint64_t parent, const char *name)
{
	struct vt_dirent *d = dirent_find(e, parent, name, strlen(name));

	ck_assert_ptr_nonnull(d);
	dirent_del(e, d);
}

void vt_link_name(struct venv *e, uint64_t parent, const char *name, uint64_t id)
{
	ck_assert_ptr_nonnull(node(e, id));
	ck_assert_ptr_null(dirent_find(e, parent, name, strlen(name)));
	dirent_add(e, parent, name, strlen(name), id);
}

uint64_t vt_replace(struct venv *e, uint64_t parent, const char *name)
{
	struct vt_dirent *d = dirent_find(e, parent, name, strlen(name));
	struct vt_node *old;
	uint64_t id;

	ck_assert_ptr_nonnull(d);
	old = node(e, d->node);
	id = node_new(e, old->mode);
	d = dirent_find(e, parent, name, strlen(name));
	d->node = id;
	return id;
}

/* ---- memfs: answering ------------------------------------------------------------ */

static void fill_attr(struct venv *e, uint64_t id, struct fc_attr *a)
{
	struct vt_node *n = node(e, id);

	memset(a, 0, sizeof(*a));
	a->ino = id;
	a->mode = n->mode;
	a->nlink = n->nlink;
	a->uid = n->uid;
	a->gid = n->gid;
	a->size = n->size;
	a->blocks = (n->size + 511) / 512;
	a->blksize = 4096;
	a->flags = n->attr_flags;
	a->rdev = n->rdev;
	a->mtime = 1700000000;
}

static void fill_entry(struct venv *e, uint64_t id, struct fc_entry_out *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->nodeid = id;
	eo->generation = node(e, id)->gen;
	eo->entry_valid = e->fs.entry_valid;
	eo->attr_valid = e->fs.attr_valid;
	fill_attr(e, id, &eo->attr);
	node(e, id)->lookups++;
}

static void reply(struct venv *e, const struct fc_mock_req *r, int err,
		  const void *payload, size_t len)
{
	fc_mock_write_reply(e->mock, e->any, FC_MOCK_LEN_AUTO, err, r->hdr.unique,
			    payload, len);
}

static void reply_entry(struct venv *e, const struct fc_mock_req *r, uint64_t id)
{
	struct fc_entry_out eo;

	fill_entry(e, id, &eo);
	reply(e, r, 0, &eo, sizeof(eo));
}

static void reply_attr(struct venv *e, const struct fc_mock_req *r, uint64_t id)
{
	struct fc_attr_out ao;

	memset(&ao, 0, sizeof(ao));
	ao.attr_valid = e->fs.attr_valid;
	fill_attr(e, id, &ao.attr);
	reply(e, r, 0, &ao, sizeof(ao));
}

static const char *body_str(const struct fc_mock_req *r, size_t off)
{
	if (r->body_len <= off)
		return "";
	return (const char *)r->body + off;
}

static void set_size(struct vt_node *n, uint64_t size)
{
	n->data = realloc(n->data, size + 1);
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
}

static void do_create_like(struct venv *e, const struct fc_mock_req *r,
			   uint32_t mode, const char *name, const char *target)
{
	uint64_t dir = r->hdr.nodeid;
	uint64_t id;

	if (!node(e, dir)) {
		reply(e, r, -ENOENT, NULL, 0);
		return;
	}
	if (dirent_find(e, dir, name, strlen(name))) {
		reply(e, r, -EEXIST, NULL, 0);
		return;
	}
	id = node_new(e, mode);
	if (target) {
		node(e, id)->target = strdup(target);
		node(e, id)->size = strlen(target);
	}
	dirent_add(e, dir, name, strlen(name), id);
	if (r->hdr.opcode == FC_CREATE) {
		struct {
			struct fc_entry_out eo;
			struct fc_open_out oo;
		} out;

		memset(&out, 0, sizeof(out));
		fill_entry(e, id, &out.eo);
		out.oo.fh = e->fs.next_fh++;
		out.oo.open_flags = e->fs.fopen_flags;
		reply(e, r, 0, &out, sizeof(out));
		return;
	}
	reply_entry(e, r, id);
}

static void do_readdir(struct venv *e, const struct fc_mock_req *r, int plus)
{
	const struct fc_read_in *in = r->body;
	unsigned char *buf = calloc(1, in->size + 1);
	size_t used = 0;
	uint64_t idx = 0, dir = r->hdr.nodeid;
	unsigned i;

	for (i = 0; i < e->fs.nents + 2; i++) {
		const char *name;
		uint64_t id;
		size_t namelen, rec;

		if (i == 0) {
			name = ".";
			id = dir;
		} else if (i == 1) {
			name = "..";
			id = dir;
		} else {
			struct vt_dirent *d = &e->fs.ents[i - 2];

			if (d->dir != dir)
				continue;
			name = d->name;
			id = d->node;
		}
		idx++;
		if (idx <= in->offset)
			continue;
		namelen = strlen(name);
		if (plus) {
			struct fc_direntplus *dp;

			rec = FC_DIRENT_ALIGN(FC_NAME_OFFSET_DIRENTPLUS + namelen);
			if (used + rec > in->size)
				break;
			dp = (struct fc_direntplus *)(void *)(buf + used);
			if (i >= 2)
				fill_entry(e, id, &dp->entry_out);
			dp->dirent.ino = id;
			dp->dirent.off = idx;
			dp->dirent.namelen = (uint32_t)namelen;
			dp->dirent.type = (node(e, id)->mode & FC_S_IFMT) >> 12;
			memcpy(dp->dirent.name, name, namelen);
		} else {
			struct fc_dirent *dd;

			rec = FC_DIRENT_ALIGN(FC_NAME_OFFSET + namelen);
			if (used + rec > in->size)
				break;
			dd = (struct fc_dirent *)(void *)(buf + used);
			dd->ino = id;
			dd->off = idx;
			dd->namelen = (uint32_t)namelen;
			dd->type = (node(e, id)->mode & FC_S_IFMT) >> 12;
			memcpy(dd->name, name, namelen);
		}
		used += rec;
	}
	reply(e, r, 0, buf, used);
	free(buf);
}

static void memfs_respond(struct fc_mock *m, struct fc_mock_exp *exp,
			  const struct fc_mock_req *r, void *ctx)
{
	struct venv *e = ctx;
	uint32_t op = r->hdr.opcode;
	uint64_t id = r->hdr.nodeid;
	struct vt_node *n = node(e, id);

	(void)m;
	(void)exp;
	if (e->fs.hook && (e->fs.hook_opcode == op ||
			   e->fs.hook_opcode == FC_MOCK_ANY_OPCODE) &&
	    !e->fs.hook_busy) {
		e->fs.hook_busy = 1;
		e->fs.hook(e, r, e->fs.hook_ctx);
		e->fs.hook_busy = 0;
	}
	if (op == FC_FORGET) {
		const struct fc_forget_in *in = r->body;

		if (n)
			n->lookups -= (int64_t)in->nlookup;
		return;
	}
	if (op == FC_BATCH_FORGET) {
		const struct fc_batch_forget_in *in = r->body;
		const struct fc_forget_one *one =
			(const void *)((const char *)r->body + sizeof(*in));
		uint32_t i;

		for (i = 0; i < in->count; i++)
			if (node(e, one[i].nodeid))
				node(e, one[i].nodeid)->lookups -= (int64_t)one[i].nlookup;
		return;
	}
	if (op == FC_INTERRUPT)
		return;
	if (op < 64 && e->fs.err[op]) {
		reply(e, r, e->fs.err[op], NULL, 0);
		return;
	}
	if (!n && op != FC_DESTROY) {
		reply(e, r, -ENOENT, NULL, 0);
		return;
	}
	switch (op) {
	case FC_LOOKUP: {
		const char *name = body_str(r, 0);
		struct vt_dirent *d = dirent_find(e, id, name, strlen(name));

		if (d) {
			reply_entry(e, r, d->node);
		} else if (e->fs.neg_valid) {
			struct fc_entry_out eo;

			memset(&eo, 0, sizeof(eo));
			eo.entry_valid = e->fs.neg_valid;
			reply(e, r, 0, &eo, sizeof(eo));
		} else {
			reply(e, r, -ENOENT, NULL, 0);
		}
		return;
	}
	case FC_GETATTR:
		reply_attr(e, r, id);
		return;
	case FC_SETATTR: {
		const struct fc_setattr_in *in = r->body;

		if (in->valid & FC_FATTR_MODE)
			n->mode = in->mode;
		if (in->valid & FC_FATTR_UID)
			n->uid = in->uid;
		if (in->valid & FC_FATTR_GID)
			n->gid = in->gid;
		if (in->valid & FC_FATTR_SIZE)
			set_size(n, in->size);
		reply_attr(e, r, id);
		return;
	}
	case FC_MKDIR: {
		const struct fc_mkdir_in *in = r->body;

		do_create_like(e, r, FC_S_IFDIR | (in->mode & 07777),
			       body_str(r, sizeof(*in)), NULL);
		return;
	}
	case FC_MKNOD: {
		const struct fc_mknod_in *in = r->body;

		do_create_like(e, r, in->mode, body_str(r, sizeof(*in)), NULL);
		return;
	}
	case FC_CREATE: {
		const struct fc_create_in *in = r->body;

		do_create_like(e, r, FC_S_IFREG | (in->mode & 07777),
			       body_str(r, sizeof(*in)), NULL);
		return;
	}
	case FC_SYMLINK: {
		const char *name = body_str(r, 0);

		do_create_like(e, r, FC_S_IFLNK | 0777, name,
			       body_str(r, strlen(name) + 1));
		return;
	}
	case FC_LINK: {
		const struct fc_link_in *in = r->body;
		const char *name = body_str(r, sizeof(*in));

		if (!node(e, in->oldnodeid)) {
			reply(e, r, -ENOENT, NULL, 0);
			return;
		}
		if (dirent_find(e, id, name, strlen(name))) {
			reply(e, r, -EEXIST, NULL, 0);
			return;
		}
		dirent_add(e, id, name, strlen(name), in->oldnodeid);
		node(e, in->oldnodeid)->nlink++;
		reply_entry(e, r, in->oldnodeid);
		return;
	}
	case FC_UNLINK:
	case FC_RMDIR: {
		const char *name = body_str(r, 0);
		struct vt_dirent *d = dirent_find(e, id, name, strlen(name));

		if (!d) {
			reply(e, r, -ENOENT, NULL, 0);
			return;
		}
		if (op == FC_RMDIR && !dir_empty(e, d->node)) {
			reply(e, r, -ENOTEMPTY, NULL, 0);
			return;
		}
		if (node(e, d->node)->nlink)
			node(e, d->node)->nlink--;
		dirent_del(e, d);
		reply(e, r, 0, NULL, 0);
		return;
	}
	case FC_RENAME:
	case FC_RENAME2: {
		size_t off = op == FC_RENAME ? sizeof(struct fc_rename_in) :
			     sizeof(struct fc_rename2_in);
		uint64_t newdir = *(const uint64_t *)r->body;
		const char *oldname = body_str(r, off);
		const char *newname = body_str(r, off + strlen(oldname) + 1);
		struct vt_dirent *d = dirent_find(e, id, oldname, strlen(oldname));
		struct vt_dirent *t;
		uint64_t nid;

		if (!d) {
			reply(e, r, -ENOENT, NULL, 0);
			return;
		}
		nid = d->node;
		t = dirent_find(e, newdir, newname, strlen(newname));
		if (t)
			dirent_del(e, t);
		d = dirent_find(e, id, oldname, strlen(oldname));
		dirent_del(e, d);
		dirent_add(e, newdir, newname, strlen(newname), nid);
		reply(e, r, 0, NULL, 0);
		return;
	}
	case FC_OPEN:
	case FC_OPENDIR: {
		struct fc_open_out oo;

		memset(&oo, 0, sizeof(oo));
		oo.fh = e->fs.next_fh++;
		oo.open_flags = op == FC_OPEN ? e->fs.fopen_flags : 0;
		reply(e, r, 0, &oo, sizeof(oo));
		return;
	}
	case FC_READ: {
		const struct fc_read_in *in = r->body;
		size_t k = 0;

		if (in->offset < n->size)
			k = n->size - in->offset;
		if (k > in->size)
			k = in->size;
		reply(e, r, 0, k ? n->data + in->offset : NULL, k);
		return;
	}
	case FC_WRITE: {
		const struct fc_write_in *in = r->body;
		struct fc_write_out wo;

		if (in->offset + in->size > n->size)
			set_size(n, in->offset + in->size);
		memcpy(n->data + in->offset, (const char *)r->body + sizeof(*in),
		       in->size);
		memset(&wo, 0, sizeof(wo));
		wo.size = in->size;
		reply(e, r, 0, &wo, sizeof(wo));
		return;
	}
	case FC_READDIR:
	case FC_READDIRPLUS:
		do_readdir(e, r, op == FC_READDIRPLUS);
		return;
	case FC_STATFS: {
		struct fc_statfs_out so;

		memset(&so, 0, sizeof(so));
		so.st.bsize = 4096;
		so.st.frsize = 4096;
		so.st.namelen = 255;
		so.st.blocks = 1000;
		so.st.bfree = 500;
		reply(e, r, 0, &so, sizeof(so));
		return;
	}
	case FC_READLINK:
		if (!n->target) {
			reply(e, r, -EINVAL, NULL, 0);
			return;
		}
		reply(e, r, 0, n->target, strlen(n->target));
		return;
	case FC_GETLK: {
		struct fc_lk_out lo;

		memset(&lo, 0, sizeof(lo));
		lo.lk.type = FC_F_UNLCK;
		reply(e, r, 0, &lo, sizeof(lo));
		return;
	}
	case FC_GETXATTR: {
		const struct fc_getxattr_in *in = r->body;
		struct fc_getxattr_out go;

		if (in->size) {
			reply(e, r, 0, "v", 1);
			return;
		}
		memset(&go, 0, sizeof(go));
		go.size = 1;
		reply(e, r, 0, &go, sizeof(go));
		return;
	}
	case FC_LISTXATTR: {
		const struct fc_getxattr_in *in = r->body;
		struct fc_getxattr_out go;

		if (in->size) {
			reply(e, r, 0, "user.a", 7);
			return;
		}
		memset(&go, 0, sizeof(go));
		go.size = 7;
		reply(e, r, 0, &go, sizeof(go));
		return;
	}
	case FC_FLUSH:
	case FC_RELEASE:
	case FC_RELEASEDIR:
	case FC_FSYNC:
	case FC_FSYNCDIR:
	case FC_ACCESS:
	case FC_SETLK:
	case FC_SETLKW:
	case FC_SETXATTR:
	case FC_REMOVEXATTR:
	case FC_DESTROY:
		reply(e, r, 0, NULL, 0);
		return;
	default:
		reply(e, r, -ENOSYS, NULL, 0);
		return;
	}
}

static void memfs_init(struct venv *e)
{
	memset(&e->fs, 0, sizeof(e->fs));
	e->fs.next_id = 1;
	node_new(e, FC_S_IFDIR | 0755); /* nodeid 1 */
	e->fs.next_fh = 0x100;
	e->fs.entry_valid = 1;
	e->fs.attr_valid = 1;
	e->fs.err[FC_GETXATTR] = -ENOSYS;
	e->fs.err[FC_FALLOCATE] = -ENOSYS;
	e->fs.err[FC_LSEEK] = -ENOSYS;
	e->fs.err[FC_COPY_FILE_RANGE] = -ENOSYS;
	e->fs.err[FC_STATX] = -ENOSYS;
}

/* ---- bring-up ------------------------------------------------------------------- */

struct fc_proc *venv_proc(struct venv *e, uint32_t pid, uint32_t uid,
			  uint32_t gid)
{
	struct fc_vfs_cred cred;
	struct fc_proc *p;

	memset(&cred, 0, sizeof(cred));
	cred.uid = uid;
	cred.gid = gid;
	e->tagging = 1;
	ck_assert_int_eq(fc_proc_new(e->vfs, pid, &cred, &p), 0);
	e->tagging = 0;
	return p;
}

void venv_up_bare(struct venv *e)
{
	memset(e, 0, sizeof(*e));
	plat_init(e);
	e->tagging = 1;
	ck_assert_int_eq(fc_vfs_new(&e->plat, &e->vfs), 0);
	e->tagging = 0;
	e->p = venv_proc(e, 100, 0, 0);
}

static void on_release(void *ctx, struct fc_client *cl)
{
	struct venv *e = ctx;

	ck_assert_ptr_eq(cl, e->cl);
	e->released++;
}

static void *daemon_main(void *arg)
{
	fc_mock_serve(arg);
	return NULL;
}

static void up(struct venv *e, enum fc_transport_kind kind, uint64_t flags,
	       int dp, int threaded)
{
	struct fc_vfs_mount_opts o;
	struct fc_conn_config cfg;
	struct fc_transport *t;
	struct fc_init_out io;
	pthread_t th;

	venv_up_bare(e);
	memfs_init(e);
	ck_assert_int_eq(fc_mock_new(&e->plat, &e->mock), 0);
	ck_assert_int_eq(fc_mock_new_transport(e->mock, kind, !threaded, &t), 0);
	fc_conn_config_default(&cfg, &e->plat, t);
	ck_assert_int_eq(fc_conn_new(&cfg, &e->conn), 0);
	fc_mock_init_out(&io, flags | FC_INIT_EXT);
	ck_assert_ptr_nonnull(fc_mock_expect_init(e->mock, &io));
	if (threaded) {
		e->threaded = 1;
		ck_assert_int_eq(pthread_create(&th, NULL, daemon_main, e->mock), 0);
		e->daemon_thread = (unsigned long)th;
	}
	ck_assert_int_eq(fc_conn_init(e->conn), 0);
	ck_assert_int_eq(fc_client_new(e->conn, NULL, &e->cl), 0);
	e->any = fc_mock_expect(e->mock, FC_MOCK_ANY_OPCODE, FC_MOCK_ANY_NODEID);
	fc_mock_exp_times(e->any, FC_MOCK_UNLIMITED);
	fc_mock_exp_respond(e->any, memfs_respond, e);

	ck_assert_int_eq(fc_sys_mkdir(e->p, "/mnt", 0755), 0);
	fc_vfs_mount_opts_default(&o);
	o.default_permissions = dp;
	o.source = "memfs";
	o.release = on_release;
	o.release_ctx = e;
	e->mnt_id = fc_vfs_mount_fuse(e->vfs, e->p, "/mnt", e->cl, &o);
	ck_assert_int_gt(e->mnt_id, 0);
}

void venv_up(struct venv *e, enum fc_transport_kind kind, uint64_t flags,
	     int dp)
{
	up(e, kind, flags, dp, 0);
}

void venv_up_threaded(struct venv *e, enum fc_transport_kind kind,
		      uint64_t flags, int dp)
{
	up(e, kind, flags, dp, 1);
}

void venv_down(struct venv *e)
{
	unsigned unexpected;
	unsigned i;

	if (e->vfs)
		fc_vfs_free(e->vfs);
	if (e->cl) {
		if (e->mock && !e->threaded)
			fc_mock_pump(e->mock);
		ck_assert_int_eq(e->released, 1);
		fc_client_free(e->cl);
	}
	if (e->teardown)
		e->teardown(e->teardown_ctx);
	if (e->threaded) {
		fc_mock_disconnect(e->mock);
		pthread_join((pthread_t)e->daemon_thread, NULL);
	}
	if (e->conn)
		fc_conn_free(e->conn);
	unexpected = e->mock ? fc_mock_unexpected(e->mock) : 0;
	if (e->mock)
		fc_mock_free(e->mock);
	for (i = 0; i < VT_MAXNODES; i++) {
		free(e->fs.nodes[i].data);
		free(e->fs.nodes[i].target);
	}
	free(e->fs.ents);
	ck_assert_uint_eq(unexpected, 0);
	ck_assert_int_eq(e->ntagged, 0);
	/* Nothing the VFS, the client or the mock allocated is left. */
	ck_assert_int_eq(e->live, 0);
}

/* ---- the request stream ----------------------------------------------------------- */

void vt_pump(struct venv *e)
{
	if (e->mock && !e->threaded)
		fc_mock_pump(e->mock);
}

unsigned vt_mark(struct venv *e)
{
	vt_pump(e);
	return fc_mock_nrecorded(e->mock);
}

const char *vt_opname(uint32_t op)
{
	switch (op) {
	case FC_LOOKUP: return "LOOKUP";
	case FC_FORGET: return "FORGET";
	case FC_GETATTR: return "GETATTR";
	case FC_SETATTR: return "SETATTR";
	case FC_READLINK: return "READLINK";
	case FC_SYMLINK: return "SYMLINK";
	case FC_MKNOD: return "MKNOD";
	case FC_MKDIR: return "MKDIR";
	case FC_UNLINK: return "UNLINK";
	case FC_RMDIR: return "RMDIR";
	case FC_RENAME: return "RENAME";
	case FC_LINK: return "LINK";
	case FC_OPEN: return "OPEN";
	case FC_READ: return "READ";
	case FC_WRITE: return "WRITE";
	case FC_STATFS: return "STATFS";
	case FC_RELEASE: return "RELEASE";
	case FC_FSYNC: return "FSYNC";
	case FC_SETXATTR: return "SETXATTR";
	case FC_GETXATTR: return "GETXATTR";
	case FC_LISTXATTR: return "LISTXATTR";
	case FC_REMOVEXATTR: return "REMOVEXATTR";
	case FC_FLUSH: return "FLUSH";
	case FC_INIT: return "INIT";
	case FC_OPENDIR: return "OPENDIR";
	case FC_READDIR: return "READDIR";
	case FC_RELEASEDIR: return "RELEASEDIR";
	case FC_FSYNCDIR: return "FSYNCDIR";
	case FC_GETLK: return "GETLK";
	case FC_SETLK: return "SETLK";
	case FC_SETLKW: return "SETLKW";
	case FC_ACCESS: return "ACCESS";
	case FC_CREATE: return "CREATE";
	case FC_INTERRUPT: return "INTERRUPT";
	case FC_DESTROY: return "DESTROY";
	case FC_BATCH_FORGET: return "BATCH_FORGET";
	case FC_FALLOCATE: return "FALLOCATE";
	case FC_READDIRPLUS: return "READDIRPLUS";
	case FC_RENAME2: return "RENAME2";
	case FC_LSEEK: return "LSEEK";
	case FC_COPY_FILE_RANGE: return "COPY_FILE_RANGE";
	case FC_STATX: return "STATX";
	default: return "?";
	}
}

const char *vt_ops(struct venv *e, unsigned from)
{
	static char buf[8192];
	unsigned i, n;
	size_t used = 0;

	vt_pump(e);
	n = fc_mock_nrecorded(e->mock);
	buf[0] = 0;
	for (i = from; i < n; i++) {
		const char *name = vt_opname(fc_mock_recorded(e->mock, i)->hdr.opcode);
		int k = snprintf(buf + used, sizeof(buf) - used, "%s%s",
				 used ? " " : "", name);

		if (k < 0 || (size_t)k >= sizeof(buf) - used)
			break;
		used += (size_t)k;
	}
	return buf;
}

const struct fc_mock_req *vt_req(struct venv *e, unsigned i)
{
	const struct fc_mock_req *r = fc_mock_recorded(e->mock, i);

	ck_assert_ptr_nonnull(r);
	return r;
}

const struct fc_mock_req *vt_last(struct venv *e, unsigned from,
				  uint32_t opcode)
{
	unsigned i = fc_mock_nrecorded(e->mock);

	while (i-- > from) {
		const struct fc_mock_req *r = fc_mock_recorded(e->mock, i);

		if (r->hdr.opcode == opcode)
			return r;
	}
	return NULL;
}

const char *vt_name(const struct fc_mock_req *r, size_t body_off)
{
	return body_str(r, body_off);
}

uint64_t vt_forgotten(struct venv *e, unsigned from, uint64_t nodeid)
{
	unsigned i, n;
	uint64_t sum = 0;

	vt_pump(e);
	n = fc_mock_nrecorded(e->mock);
	for (i = from; i < n; i++) {
		const struct fc_mock_req *r = fc_mock_recorded(e->mock, i);

		if (r->hdr.opcode == FC_FORGET && r->hdr.nodeid == nodeid) {
			sum += ((const struct fc_forget_in *)r->body)->nlookup;
		} else if (r->hdr.opcode == FC_BATCH_FORGET) {
			const struct fc_batch_forget_in *in = r->body;
			const struct fc_forget_one *one =
				(const void *)((const char *)r->body + sizeof(*in));
			uint32_t k;

			for (k = 0; k < in->count; k++)
				if (one[k].nodeid == nodeid)
					sum += one[k].nlookup;
		}
	}
	return sum;
}
