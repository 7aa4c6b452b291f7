/* The page-cache tests' environment: see pc_env.h. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pc_env.h"

void pc_wait_blocked(struct pc_env *e, const char *what, unsigned n)
{
	obs_wait_blocked(&e->tp, what, n);
}

unsigned pc_blocked(struct pc_env *e, const char *what)
{
	return obs_blocked(&e->tp, what);
}

/* ---- the daemon's file ------------------------------------------------------- */

static void fill_attr(struct pc_env *e, struct fc_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = PC_NODE;
	a->mode = 0100644;
	a->nlink = 1;
	a->blksize = 4096;
	a->size = e->size;
	a->mtime = e->mtime;
	a->ctime = e->mtime;
}

static void reply(struct fc_mock *m, struct fc_mock_exp *exp,
		  const struct fc_mock_req *r, const void *p, size_t len)
{
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, 0, r->hdr.unique, p, len);
}

static void on_lookup(struct fc_mock *m, struct fc_mock_exp *exp,
		      const struct fc_mock_req *r, void *ctx)
{
	struct pc_env *e = ctx;
	struct fc_entry_out eo;

	memset(&eo, 0, sizeof(eo));
	pthread_mutex_lock(&e->flock);
	eo.nodeid = PC_NODE;
	eo.generation = e->generation;
	eo.entry_valid = 100;
	eo.attr_valid = e->attr_valid;
	fill_attr(e, &eo.attr);
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, &eo, sizeof(eo));
}

static void on_getattr(struct fc_mock *m, struct fc_mock_exp *exp,
		       const struct fc_mock_req *r, void *ctx)
{
	struct pc_env *e = ctx;
	struct fc_attr_out ao;

	memset(&ao, 0, sizeof(ao));
	pthread_mutex_lock(&e->flock);
	ao.attr_valid = e->attr_valid;
	fill_attr(e, &ao.attr);
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, &ao, sizeof(ao));
}

static void on_setattr(struct fc_mock *m, struct fc_mock_exp *exp,
		       const struct fc_mock_req *r, void *ctx)
{
	struct pc_env *e = ctx;
	struct fc_setattr_in in;
	struct fc_attr_out ao;

	memset(&in, 0, sizeof(in));
	memcpy(&in, r->body, r->body_len < sizeof(in) ? r->body_len : sizeof(in));
	memset(&ao, 0, sizeof(ao));
	pthread_mutex_lock(&e->flock);
	if ((in.valid & FC_FATTR_SIZE) && in.size <= PC_FILE_MAX) {
		if (in.size > e->size)
			memset(e->data + e->size, 0, in.size - e->size);
		e->size = in.size;
	}
	ao.attr_valid = e->attr_valid;
	fill_attr(e, &ao.attr);
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, &ao, sizeof(ao));
}

static void on_open(struct fc_mock *m, struct fc_mock_exp *exp,
		    const struct fc_mock_req *r, void *ctx)
{
	struct pc_env *e = ctx;
	struct fc_open_out oo;

	memset(&oo, 0, sizeof(oo));
	pthread_mutex_lock(&e->flock);
	oo.fh = e->open_fh;
	oo.open_flags = e->open_fopen;
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, &oo, sizeof(oo));
}

static void on_read(struct fc_mock *m, struct fc_mock_exp *exp,
		    const struct fc_mock_req *r, void *ctx)
{
	static unsigned char buf[PC_FILE_MAX];
	struct pc_env *e = ctx;
	struct fc_read_in in;
	size_t n = 0;

	memcpy(&in, r->body, sizeof(in));
	pthread_mutex_lock(&e->flock);
	if (in.offset < e->size) {
		n = e->size - in.offset;
		if (n > in.size)
			n = in.size;
		memcpy(buf, e->data + in.offset, n);
	}
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, buf, n);
}

static void on_write(struct fc_mock *m, struct fc_mock_exp *exp,
		     const struct fc_mock_req *r, void *ctx)
{
	struct pc_env *e = ctx;
	struct fc_write_in in;
	struct fc_write_out wo;

	memcpy(&in, r->body, sizeof(in));
	ck_assert_uint_eq(r->body_len, sizeof(in) + in.size);
	memset(&wo, 0, sizeof(wo));
	pthread_mutex_lock(&e->flock);
	if (in.offset + in.size <= PC_FILE_MAX) {
		if (in.offset > e->size)
			memset(e->data + e->size, 0, in.offset - e->size);
		memcpy(e->data + in.offset, (const char *)r->body + sizeof(in),
		       in.size);
		if (in.offset + in.size > e->size)
			e->size = in.offset + in.size;
		e->mtime++;
	}
	wo.size = in.size - (e->writes_short < in.size ? e->writes_short : 0);
	pthread_mutex_unlock(&e->flock);
	reply(m, exp, r, &wo, sizeof(wo));
}

void pc_respond_write(struct pc_env *e, struct fc_mock_exp *x)
{
	fc_mock_exp_respond(x, on_write, e);
}

static struct fc_mock_exp *respond_all(struct pc_env *e, uint32_t opcode,
				       fc_mock_respond_fn fn)
{
	struct fc_mock_exp *x = fc_mock_expect(e->m, opcode, FC_MOCK_ANY_NODEID);

	fc_mock_exp_times(x, FC_MOCK_UNLIMITED);
	if (fn)
		fc_mock_exp_respond(x, fn, e);
	return x;
}

void pc_defaults(struct pc_env *e)
{
	respond_all(e, FC_LOOKUP, on_lookup);
	respond_all(e, FC_GETATTR, on_getattr);
	respond_all(e, FC_SETATTR, on_setattr);
	respond_all(e, FC_OPEN, on_open);
	respond_all(e, FC_READ, on_read);
	respond_all(e, FC_WRITE, on_write);
	respond_all(e, FC_FLUSH, NULL);
	respond_all(e, FC_FSYNC, NULL);
	e->x_release = respond_all(e, FC_RELEASE, NULL);
	respond_all(e, FC_FORGET, NULL);
	respond_all(e, FC_BATCH_FORGET, NULL);
	respond_all(e, FC_NOTIFY_REPLY, NULL);
	respond_all(e, FC_GETXATTR, NULL);
}

/* ---- bring-up ------------------------------------------------------------------ */

static int env_notify(void *ctx, uint32_t code, const void *payload,
		      size_t len)
{
	struct pc_env *e = ctx;

	return fc_cache_notify(e->cl, code, payload, len);
}

static void *daemon_main(void *arg)
{
	fc_mock_serve(arg);
	return NULL;
}

void pc_up(struct pc_env *e, const struct pc_opts *o, const void *content,
	   size_t len)
{
	struct fc_pagecache_sim_config pcfg;
	struct fc_cache_config ccfg;
	struct fc_conn_config cfg;
	struct fc_transport *t;
	struct fc_init_out io;

	memset(e, 0, sizeof(*e));
	obs_platform_init(&e->tp);
	pthread_mutex_init(&e->flock, NULL);
	ck_assert_uint_le(len, PC_FILE_MAX);
	memcpy(e->data, content, len);
	e->size = len;
	e->mtime = 1000;
	e->generation = PC_GEN;
	e->attr_valid = 100;
	e->open_fh = 9;
	e->threaded = o->threaded;
	e->who.uid = 1000;
	e->who.gid = 1000;
	e->who.pid = 4242;
	e->who.umask = 022;
	e->who.lock_owner = 0x1234;

	ck_assert_int_eq(fc_mock_new(&e->tp.plat, &e->m), 0);
	ck_assert_int_eq(fc_mock_new_transport(e->m, FC_TRANSPORT_FUSE_DEV,
					       !o->threaded, &t), 0);
	fc_conn_config_default(&cfg, &e->tp.plat, t);
	cfg.notify = env_notify;
	cfg.notify_ctx = e;
	ck_assert_int_eq(fc_conn_new(&cfg, &e->c), 0);
	if (o->threaded)
		ck_assert_int_eq(pthread_create(&e->daemon, NULL, daemon_main,
						e->m), 0);
	fc_mock_init_out(&io, o->flags | FC_INIT_EXT);
	io.max_write = o->max_write ? o->max_write : 128 * 1024;
	io.max_readahead = o->max_readahead ? o->max_readahead : 128 * 1024;
	io.max_pages = o->max_pages ? o->max_pages : 32;
	ck_assert_ptr_nonnull(fc_mock_expect_init(e->m, &io));
	ck_assert_int_eq(fc_conn_init(e->c), 0);
	ck_assert_int_eq(fc_client_new(e->c, NULL, &e->cl), 0);

	fc_pagecache_sim_config_default(&pcfg, &e->tp.plat);
	if (o->capacity)
		pcfg.capacity = o->capacity;
	ck_assert_int_eq(fc_pagecache_sim_new(&pcfg, &e->pc), 0);
	fc_cache_config_default(&ccfg, fc_pagecache_sim_ops(), e->pc);
	ccfg.wb_creds = o->wb_creds;
	ck_assert_int_eq(fc_cache_attach(e->cl, &ccfg), 0);
}

void pc_down(struct pc_env *e)
{
	unsigned unexpected;

	if (e->node)
		fc_node_put(e->cl, e->node);
	fc_client_free(e->cl);
	if (e->threaded) {
		fc_mock_disconnect(e->m);
		pthread_join(e->daemon, NULL);
	}
	unexpected = fc_mock_unexpected(e->m);
	if (unexpected) {
		unsigned i;

		for (i = 0; i < fc_mock_nrecorded(e->m); i++) {
			const struct fc_mock_req *r = fc_mock_recorded(e->m, i);

			if (!r->exp)
				fprintf(stderr, "unexpected opcode %u\n",
					r->hdr.opcode);
		}
	}
	fc_conn_free(e->c);
	fc_mock_free(e->m);
	fc_pagecache_sim_free(e->pc);
	ck_assert_uint_eq(unexpected, 0);
	ck_assert_int_eq(e->tp.live_allocs, 0);
	pthread_mutex_destroy(&e->flock);
	obs_platform_destroy(&e->tp);
}

/* ---- operations -------------------------------------------------------------------- */

void pc_lookup(struct pc_env *e)
{
	struct fc_entry ent;

	ck_assert_int_eq(fc_lookup(e->cl, &e->who, fc_client_root(e->cl), "f", 1,
				   &ent), 0);
	if (e->node)
		fc_node_put(e->cl, e->node);
	e->node = ent.node;
}

struct fc_open_ctx *pc_open(struct pc_env *e, uint32_t flags, uint32_t fopen)
{
	struct fc_open_ctx *of = NULL;

	pthread_mutex_lock(&e->flock);
	e->open_fopen = fopen;
	pthread_mutex_unlock(&e->flock);
	ck_assert_int_eq(fc_open(e->cl, &e->who, e->node, flags, &of), 0);
	fc_cache_hook_open(e->cl, of);
	return of;
}

int pc_fsync(struct pc_env *e, struct fc_open_ctx *of, int datasync)
{
	int err = fc_cache_hook_fsync(e->cl, &e->who, of, datasync);

	return err ? err : fc_fsync(e->cl, &e->who, of, datasync);
}

int pc_close(struct pc_env *e, struct fc_open_ctx *of)
{
	int err = fc_cache_hook_flush(e->cl, &e->who, of);

	if (!err)
		err = fc_flush(e->cl, &e->who, of);
	fc_cache_hook_release(e->cl, of);
	fc_release(e->cl, of);
	/*
	 * RELEASE goes in the background: let the daemon answer it and its
	 * completion run, before anything is freed.
	 */
	e->nreleases++;
	if (!e->threaded)
		fc_mock_pump(e->m);
	else
		ck_assert_int_eq(fc_mock_wait_answered(e->x_release, e->nreleases), 0);
	return err;
}

/* ---- what the daemon saw -------------------------------------------------------------- */

unsigned pc_count(struct pc_env *e, uint32_t opcode)
{
	return fc_mock_count(e->m, opcode);
}

const struct fc_mock_req *pc_nth(struct pc_env *e, uint32_t opcode,
				 unsigned k)
{
	unsigned i;

	for (i = 0; i < fc_mock_nrecorded(e->m); i++) {
		const struct fc_mock_req *r = fc_mock_recorded(e->m, i);

		if (r->hdr.opcode == opcode && k-- == 0)
			return r;
	}
	ck_abort_msg("no request %u of opcode %u", k, opcode);
	return NULL;
}

int pc_pos(struct pc_env *e, uint32_t opcode, unsigned k)
{
	unsigned i;

	for (i = 0; i < fc_mock_nrecorded(e->m); i++) {
		const struct fc_mock_req *r = fc_mock_recorded(e->m, i);

		if (r->hdr.opcode == opcode && k-- == 0)
			return (int)i;
	}
	return -1;
}

int pc_file_is(struct pc_env *e, uint64_t off, const void *want, size_t len)
{
	int ok;

	pthread_mutex_lock(&e->flock);
	ok = off + len <= e->size && memcmp(e->data + off, want, len) == 0;
	pthread_mutex_unlock(&e->flock);
	return ok;
}

void pc_mstats(struct pc_env *e, struct fc_mapping_stats *out)
{
	struct fc_mapping *m = fc_cache_mapping(e->cl, e->node);

	ck_assert_ptr_nonnull(m);
	fc_pagecache_sim_ops()->mapping_stats(m, out);
}
