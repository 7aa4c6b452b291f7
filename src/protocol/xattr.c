/*
 * Extended attributes (fs/fuse/xattr.c fuse_setxattr, fuse_getxattr,
 * fuse_listxattr, fuse_removexattr), with the argument limits the VFS
 * applies before it calls them (fs/xattr.c).
 *
 * An ENOSYS answer is remembered by the connection (fc->no_*xattr), which
 * then fails the opcode at once; here it only becomes EOPNOTSUPP.
 */
#include <errno.h>
#include <string.h>

#include "client_i.h"

/* Linux's include/uapi/linux/limits.h. */
#define FC_XATTR_NAME_MAX 255u
#define FC_XATTR_SIZE_MAX 65536u
#define FC_XATTR_LIST_MAX 65536u

/* setxattr(2) flags (XATTR_CREATE, XATTR_REPLACE). */
#define FC_XATTR_FLAGS 3u

/*
 * The name's length: import_xattr_name makes an empty or too long name
 * -ERANGE.  The name travels with its NUL.
 */
static int xattr_name_len(const char *name, uint32_t *len)
{
	uint32_t n = 0;

	if (!name)
		return -EINVAL;
	while (n <= FC_XATTR_NAME_MAX && name[n])
		n++;
	if (!n || n > FC_XATTR_NAME_MAX)
		return -ERANGE;
	*len = n;
	return 0;
}

/* ENOSYS means "never again" (no_setxattr...): EOPNOTSUPP to the caller. */
static int nosys_to_eopnotsupp(int err)
{
	return err == -ENOSYS ? -EOPNOTSUPP : err;
}

int fc_setxattr(struct fc_client *cl, const struct fc_caller *who,
		struct fc_node *node, const char *name, const void *value,
		uint32_t size, uint32_t flags)
{
	struct fc_setxattr_in in;
	struct fc_args a;
	uint32_t nlen;
	int err;

	if (node->stale)
		return -ESTALE;
	/* setxattr_copy */
	if (flags & ~FC_XATTR_FLAGS)
		return -EINVAL;
	err = xattr_name_len(name, &nlen);
	if (err)
		return err;
	if (size > FC_XATTR_SIZE_MAX)
		return -E2BIG;
	if (size && !value)
		return -EINVAL;

	/*
	 * fuse_setxattr: the whole struct; fc_adjust_compat cuts it to 8
	 * bytes unless FUSE_SETXATTR_EXT was granted.
	 */
	memset(&in, 0, sizeof(in));
	in.size = size;
	in.flags = flags;
	fc_args_init(&a, FC_SETXATTR, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_in(&a, name, nlen + 1);
	/* An empty value is a value (__vfs_setxattr), just no bytes of it. */
	if (size)
		fc_arg_in(&a, value, size);
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return nosys_to_eopnotsupp(err);
	fc_node_invalidate_attr(cl, node); /* fuse_update_ctime */
	return 0;
}

long fc_getxattr(struct fc_client *cl, const struct fc_caller *who,
		 struct fc_node *node, const char *name, void *value,
		 uint32_t size)
{
	struct fc_getxattr_out go;
	struct fc_getxattr_in in;
	struct fc_args a;
	uint32_t nlen;
	int ret;

	if (node->stale)
		return -ESTALE;
	ret = xattr_name_len(name, &nlen);
	if (ret)
		return ret;
	if (size && !value)
		return -EINVAL;
	/* do_getxattr: no value can be longer than XATTR_SIZE_MAX. */
	if (size > FC_XATTR_SIZE_MAX)
		size = FC_XATTR_SIZE_MAX;

	/*
	 * fuse_getxattr: "really two different operations rolled into one":
	 * size 0 asks for the length (fc_getxattr_out), otherwise the value
	 * comes back, at most @size bytes.
	 */
	memset(&in, 0, sizeof(in));
	memset(&go, 0, sizeof(go));
	in.size = size;
	fc_args_init(&a, FC_GETXATTR, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	fc_arg_in(&a, name, nlen + 1);
	a.out_numargs = 1;
	if (size) {
		a.flags |= FC_ARGS_OUT_VAR;
		a.out[0].value = value;
		a.out[0].size = size;
	} else {
		a.out[0].value = &go;
		a.out[0].size = sizeof(go);
	}
	ret = fc_cl_send(cl, &a);
	if (ret < 0)
		return nosys_to_eopnotsupp(ret);
	/* A size probe answer is capped, not refused (min_t(..., XATTR_SIZE_MAX)). */
	if (!size)
		return go.size < FC_XATTR_SIZE_MAX ? (long)go.size :
						     (long)FC_XATTR_SIZE_MAX;
	return ret;
}

/*
 * fuse_verify_xattr_list: one or more non-empty names, each ending in a
 * NUL inside the reply.
 */
static int xattr_list_ok(const char *list, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i;

		while (i < len && list[i])
			i++;
		if (i == start || i == len)
			return 0;
		i++; /* the NUL */
	}
	return 1;
}

long fc_listxattr(struct fc_client *cl, const struct fc_caller *who,
		  struct fc_node *node, char *list, uint32_t size)
{
	struct fc_getxattr_out go;
	struct fc_getxattr_in in;
	struct fc_args a;
	int ret;

	if (node->stale)
		return -ESTALE;
	if (size && !list)
		return -EINVAL;
	/* listxattr: no list can be longer than XATTR_LIST_MAX. */
	if (size > FC_XATTR_LIST_MAX)
		size = FC_XATTR_LIST_MAX;

	/* fuse_listxattr: the same two operations as fuse_getxattr. */
	memset(&in, 0, sizeof(in));
	memset(&go, 0, sizeof(go));
	in.size = size;
	fc_args_init(&a, FC_LISTXATTR, node->nodeid, who);
	fc_arg_in(&a, &in, sizeof(in));
	a.out_numargs = 1;
	if (size) {
		a.flags |= FC_ARGS_OUT_VAR;
		a.out[0].value = list;
		a.out[0].size = size;
	} else {
		a.out[0].value = &go;
		a.out[0].size = sizeof(go);
	}
	ret = fc_cl_send(cl, &a);
	if (ret < 0)
		return nosys_to_eopnotsupp(ret);
	if (!size)
		return go.size < FC_XATTR_LIST_MAX ? (long)go.size :
						     (long)FC_XATTR_LIST_MAX;
	if (ret > 0 && !xattr_list_ok(list, (size_t)ret))
		return fc_cl_bad_reply(cl);
	return ret;
}

int fc_removexattr(struct fc_client *cl, const struct fc_caller *who,
		   struct fc_node *node, const char *name)
{
	struct fc_args a;
	uint32_t nlen;
	int err;

	if (node->stale)
		return -ESTALE;
	err = xattr_name_len(name, &nlen);
	if (err)
		return err;
	/* fuse_removexattr: just the name. */
	fc_args_init(&a, FC_REMOVEXATTR, node->nodeid, who);
	fc_arg_in(&a, name, nlen + 1);
	err = fc_cl_send(cl, &a);
	if (err < 0)
		return nosys_to_eopnotsupp(err);
	fc_node_invalidate_attr(cl, node); /* fuse_update_ctime */
	return 0;
}
