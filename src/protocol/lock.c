/*
 * POSIX byte-range locks and flock(2) carried to the daemon: GETLK, SETLK
 * and SETLKW (fs/fuse/file.c fuse_lk_fill, fuse_getlk, fuse_setlk,
 * convert_fuse_file_lock, fuse_file_flock; fs/locks.c flock syscall).
 *
 * Which locks the daemon sees is the VFS's choice: without POSIX_LOCKS
 * (or FLOCK_LOCKS for flock) Linux keeps the locks in the kernel, and so
 * does a VFS on top of this library.  These calls refuse with -ENOLCK
 * rather than send a request the daemon never agreed to.
 */
#include <errno.h>
#include <string.h>

#include "client_i.h"

static int lock_type_ok(uint32_t type)
{
	return type == FC_F_RDLCK || type == FC_F_WRLCK || type == FC_F_UNLCK;
}

/* A range as the VFS hands it over (flock_to_posix_lock has checked it). */
static int lock_range_ok(const struct fc_lock *lk)
{
	return lk->start <= lk->end && lk->end <= (uint64_t)FC_OFFSET_MAX;
}

/* Common checks; directories have no ->lock or ->flock in FUSE (local locks). */
static int lock_usable(const struct fc_open_ctx *of, int posix)
{
	const struct fc_conn_info *ci = fc_cl_info(of->cl);

	if (of->is_dir || !(posix ? ci->posix_locks : ci->flock_locks))
		return -ENOLCK;
	if (of->node->stale)
		return -ESTALE;
	return 0;
}

/* fuse_lk_fill */
static void lk_fill(struct fc_args *a, struct fc_lk_in *in, uint32_t opcode,
		    const struct fc_caller *who, const struct fc_open_ctx *of,
		    uint64_t owner, const struct fc_lock *lk, uint32_t pid,
		    int flock)
{
	memset(in, 0, sizeof(*in));
	in->fh = of->fh;
	in->owner = owner;
	in->lk.start = lk->start;
	in->lk.end = lk->end;
	in->lk.type = lk->type;
	in->lk.pid = pid;
	if (flock)
		in->lk_flags = FC_LK_FLOCK;
	fc_args_init(a, opcode, of->node->nodeid, who);
	a->in_numargs = 1;
	a->in[0].value = in;
	a->in[0].size = sizeof(*in);
}

int fc_getlk(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint64_t owner, struct fc_lock *lk)
{
	struct fc_lk_out lo;
	struct fc_lk_in in;
	struct fc_args a;
	int err;

	err = lock_usable(of, 1);
	if (err)
		return err;
	if (!lock_type_ok(lk->type) || !lock_range_ok(lk))
		return -EINVAL;
	/* fuse_getlk: the pid field stays 0. */
	lk_fill(&a, &in, FC_GETLK, who, of, owner, lk, 0, 0);
	memset(&lo, 0, sizeof(lo));
	a.out_numargs = 1;
	a.out[0].value = &lo;
	a.out[0].size = sizeof(lo);
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return err;

	/* convert_fuse_file_lock */
	switch (lo.lk.type) {
	case FC_F_UNLCK:
		/* Nothing in the way: only the type changes. */
		break;
	case FC_F_RDLCK:
	case FC_F_WRLCK:
		if (lo.lk.start > (uint64_t)FC_OFFSET_MAX ||
		    lo.lk.end > (uint64_t)FC_OFFSET_MAX ||
		    lo.lk.end < lo.lk.start)
			return fc_cl_bad_reply(cl);
		lk->start = lo.lk.start;
		lk->end = lo.lk.end;
		lk->pid = lo.lk.pid;
		break;
	default:
		return fc_cl_bad_reply(cl);
	}
	lk->type = lo.lk.type;
	return 0;
}

/* fuse_setlk: the owner's pid for a lock, none for an unlock. */
static int setlk(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_open_ctx *of, uint64_t owner,
		 const struct fc_lock *lk, int wait, int flock)
{
	struct fc_lk_in in;
	struct fc_args a;
	uint32_t pid = 0;
	int err;

	if (lk->type != FC_F_UNLCK && who)
		pid = who->pid;
	lk_fill(&a, &in, wait ? FC_SETLKW : FC_SETLK, who, of, owner, lk, pid,
		flock);
	err = fc_cl_send(cl, &a);
	return err < 0 ? err : 0;
}

int fc_setlk(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, uint64_t owner, const struct fc_lock *lk,
	     int wait)
{
	int err = lock_usable(of, 1);

	if (err)
		return err;
	if (!lock_type_ok(lk->type) || !lock_range_ok(lk))
		return -EINVAL;
	return setlk(cl, who, of, owner, lk, wait, 0);
}

int fc_flock(struct fc_client *cl, const struct fc_caller *who,
	     struct fc_open_ctx *of, int op)
{
	struct fc_lock lk;
	int err;

	/* flock_translate_cmd */
	memset(&lk, 0, sizeof(lk));
	switch (op & ~FC_LOCK_NB) {
	case FC_LOCK_SH:
		lk.type = FC_F_RDLCK;
		break;
	case FC_LOCK_EX:
		lk.type = FC_F_WRLCK;
		break;
	case FC_LOCK_UN:
		lk.type = FC_F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	err = lock_usable(of, 0);
	if (err)
		return err;
	/* flock_make_lock: the whole file, owned by the open file. */
	lk.start = 0;
	lk.end = (uint64_t)FC_OFFSET_MAX;
	/* fuse_file_flock: from now on RELEASE unlocks this file's flocks. */
	of->flock_used = 1;
	/* Without LOCK_NB the VFS sleeps (FL_SLEEP), even to unlock: SETLKW. */
	return setlk(cl, who, of, fc_open_flock_owner(of), &lk,
		     !(op & FC_LOCK_NB), 1);
}
