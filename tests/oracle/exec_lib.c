/*
 * exec_lib.c - the ops on libfusecore's simulated kernel (fc_sys_*), the
 * FUSE mount at ORA_LIB_MNT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "exec_lib.h"
#include "fusecore/ops.h"
#include "fusecore/pagecache.h"
#include "fusecore/vfs.h"

int ora_lib_supports(enum ora_kind k)
{
	(void)k;
	return 1;
}

static long read_dir(struct fc_proc *p, int fd, char *buf, char *names, size_t names_cap,
		     struct ora_dent *d, unsigned max)
{
	unsigned n = 0;
	size_t used = 0;

	for (;;) {
		long got = fc_sys_getdents64(p, fd, buf, ORA_DIRBUF);
		long o = 0;

		if (got < 0)
			return got;
		if (got == 0)
			break;
		while (o < got) {
			unsigned short reclen;
			const char *nm = buf + o + FC_VFS_DIRENT64_NAME_OFFSET;
			size_t nl = strlen(nm);

			memcpy(&reclen, buf + o + 16, sizeof(reclen));
			if (!reclen)
				return -EIO;
			if (n < max && used + nl + 1 <= names_cap) {
				memcpy(names + used, nm, nl + 1);
				d[n].name = names + used;
				d[n].type = (unsigned char)buf[o + 18];
				used += nl + 1;
				n++;
			}
			o += reclen;
		}
	}
	return n;
}

void ora_exec_lib(struct fc_proc *p, const struct ora_op *ops, unsigned nops,
		  struct ora_result *res, int markers, struct ora_ws *ws)
{
	int fds[ORA_SLOTS];
	struct fc_vfs_map *maps[ORA_MSLOTS];
	size_t maplen[ORA_MSLOTS];
	struct ora_dent dents[ORA_MAXDENTS];
	char path[ORA_PATH_MAX * 2 + 64], path2[ORA_PATH_MAX * 2 + 64], mark[32];
	struct fc_vfs_stat st;
	unsigned i;

	for (i = 0; i < ORA_SLOTS; i++)
		fds[i] = -1;
	for (i = 0; i < ORA_MSLOTS; i++) {
		maps[i] = NULL;
		maplen[i] = 0;
	}
	fc_proc_umask(p, 022);

	for (i = 0; i < nops; i++) {
		const struct ora_op *op = &ops[i];
		struct ora_result *r = &res[i];
		int fd = fds[op->slot];
		int64_t ret = 0;

		if (markers) {
			ora_marker_name(mark, sizeof(mark), i + 1);
			ora_path_join(path, sizeof(path), ORA_LIB_MNT, mark);
			fc_sys_stat(p, path, &st);
		}
		memset(r, 0, sizeof(*r));
		ora_path_join(path, sizeof(path), ORA_LIB_MNT, op->path);
		ora_path_join(path2, sizeof(path2), ORA_LIB_MNT, op->path2);
		if (!ora_lib_supports(op->kind)) {
			ora_res_ret(r, -ENOSYS);
			continue;
		}
		switch (op->kind) {
		case ORA_OPEN: {
			int nfd = fc_sys_open(p, path, (int)op->flags, op->mode);

			if (nfd < 0) {
				ret = nfd;
			} else {
				fds[op->slot] = nfd;
				ret = 0;
			}
			break;
		}
		case ORA_CLOSE:
			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			ret = fc_sys_close(p, fd);
			fds[op->slot] = -1;
			break;
		case ORA_DUP: {
			int nfd;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			nfd = fc_sys_dup(p, fd);
			if (nfd < 0) {
				ret = nfd;
			} else {
				fds[op->slot2] = nfd;
				ret = 0;
			}
			break;
		}
		case ORA_READ:
		case ORA_PREAD: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			long got;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			if (n > ORA_DATA_MAX)
				n = ORA_DATA_MAX;
			got = op->kind == ORA_READ ? fc_sys_read(p, fd, ws->rbuf, n)
						   : fc_sys_pread(p, fd, ws->rbuf, n, op->off);
			ret = got;
			if (got > 0)
				ora_res_bytes(r, ws->rbuf, (size_t)got);
			break;
		}
		case ORA_WRITE:
		case ORA_PWRITE: {
			uint32_t n = ora_data_fill(&op->data, ws->wbuf);

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			ret = op->kind == ORA_WRITE ? fc_sys_write(p, fd, ws->wbuf, n)
						    : fc_sys_pwrite(p, fd, ws->wbuf, n, op->off);
			break;
		}
		case ORA_LSEEK:
			ret = fd < 0 ? -EBADF : fc_sys_lseek(p, fd, op->off, (int)op->flags);
			break;
		case ORA_FSYNC:
			ret = fd < 0 ? -EBADF : fc_sys_fsync(p, fd);
			break;
		case ORA_FDATASYNC:
			ret = fd < 0 ? -EBADF : fc_sys_fdatasync(p, fd);
			break;
		case ORA_FTRUNCATE:
			ret = fd < 0 ? -EBADF : fc_sys_ftruncate(p, fd, op->len);
			break;
		case ORA_TRUNCATE:
			ret = fc_sys_truncate(p, path, op->len);
			break;
		case ORA_STAT:
		case ORA_LSTAT:
		case ORA_FSTAT: {
			int rc;

			if (op->kind == ORA_FSTAT && fd < 0) {
				ret = -EBADF;
				break;
			}
			rc = op->kind == ORA_STAT ? fc_sys_stat(p, path, &st) :
			     op->kind == ORA_LSTAT ? fc_sys_lstat(p, path, &st) :
			     fc_sys_fstat(p, fd, &st);
			ret = rc;
			if (!rc)
				ora_res_stat(r, st.mode, st.nlink, st.size, st.uid, st.gid);
			break;
		}
		case ORA_MKDIR:
			ret = fc_sys_mkdir(p, path, op->mode);
			break;
		case ORA_RMDIR:
			ret = fc_sys_rmdir(p, path);
			break;
		case ORA_UNLINK:
			ret = fc_sys_unlink(p, path);
			break;
		case ORA_RENAME:
			ret = fc_sys_renameat2(p, FC_AT_FDCWD, path, FC_AT_FDCWD, path2,
					       (unsigned)op->flags);
			break;
		case ORA_LINK:
			ret = fc_sys_link(p, path, path2);
			break;
		case ORA_SYMLINK:
			ret = fc_sys_symlink(p, op->path, path2);
			break;
		case ORA_READLINK: {
			long n = fc_sys_readlink(p, path, (char *)ws->rbuf, 4096);

			ret = n;
			if (n > 0)
				ora_res_bytes(r, ws->rbuf, (size_t)n);
			break;
		}
		case ORA_READDIR: {
			int dfd = fc_sys_open(p, path, FC_O_RDONLY | FC_O_NONBLOCK |
					      FC_O_DIRECTORY | FC_O_CLOEXEC, 0);
			long n;

			if (dfd < 0) {
				ret = dfd;
				break;
			}
			n = read_dir(p, dfd, ws->dbuf, ws->names, ORA_DIRBUF, dents, ORA_MAXDENTS);
			fc_sys_close(p, dfd);
			ret = n;
			if (n >= 0)
				ora_res_listing(r, dents, (unsigned)n);
			break;
		}
		case ORA_SETXATTR: {
			uint32_t n = ora_data_fill(&op->data, ws->wbuf);

			ret = fc_sys_setxattr(p, path, op->name, ws->wbuf, n, (int)op->flags);
			break;
		}
		case ORA_GETXATTR: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			long got;

			if (n > 65536)
				n = 65536;
			got = fc_sys_getxattr(p, path, op->name, ws->rbuf, n);
			ret = got;
			if (got > 0 && n)
				ora_res_bytes(r, ws->rbuf, (size_t)got);
			break;
		}
		case ORA_LISTXATTR: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			long got;

			if (n > 65536)
				n = 65536;
			got = fc_sys_listxattr(p, path, (char *)ws->rbuf, n);
			ret = got;
			if (got > 0 && n)
				ora_res_namelist(r, (char *)ws->rbuf, (size_t)got, dents);
			break;
		}
		case ORA_REMOVEXATTR:
			ret = fc_sys_removexattr(p, path, op->name);
			break;
		case ORA_FLOCK:
			ret = fd < 0 ? -EBADF : fc_sys_flock(p, fd, (int)op->flags);
			break;
		case ORA_SETLK:
		case ORA_SETLKW:
		case ORA_GETLK: {
			struct fc_vfs_flock fl;
			int cmd = op->kind == ORA_SETLK ? FC_F_SETLK :
				  op->kind == ORA_SETLKW ? FC_F_SETLKW : FC_F_GETLK;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			memset(&fl, 0, sizeof(fl));
			fl.l_type = (int16_t)op->flags;
			fl.l_whence = FC_SEEK_SET;
			fl.l_start = op->off;
			fl.l_len = op->len;
			ret = fc_sys_fcntl_lock(p, fd, cmd, &fl);
			if (!ret && cmd == FC_F_GETLK) {
				r->text[0] = 0;
				ora_strlcat(r->text, fl.l_type == FC_F_UNLCK ? "unlocked" :
					    fl.l_type == FC_F_RDLCK ? "F_RDLCK" : "F_WRLCK",
					    sizeof(r->text));
			}
			break;
		}
		case ORA_STATFS: {
			struct fc_vfs_statfs sf;

			ret = fc_sys_statfs(p, path, &sf);
			if (!ret) {
				char num[24];
				int k = 0;
				unsigned long v = (unsigned long)sf.namelen;

				r->text[0] = 0;
				ora_strlcat(r->text, "namelen=", sizeof(r->text));
				do {
					num[k++] = (char)('0' + v % 10);
					v /= 10;
				} while (v);
				while (k > 0) {
					char c[2] = { num[--k], 0 };

					ora_strlcat(r->text, c, sizeof(r->text));
				}
			}
			break;
		}
		case ORA_ACCESS:
			ret = fc_sys_access(p, path, (int)op->mode);
			break;
		case ORA_CHMOD:
			ret = fc_sys_chmod(p, path, op->mode);
			break;
		case ORA_SETFL:
			ret = fd < 0 ? -EBADF : fc_sys_fcntl(p, fd, FC_F_SETFL, (long)op->flags);
			break;
		case ORA_FALLOCATE:
			ret = fd < 0 ? -EBADF :
			      fc_sys_fallocate(p, fd, (int)op->flags, op->off, op->len);
			break;
		case ORA_MMAP: {
			struct fc_vfs_map *m = NULL;
			int prot = 0;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			if (op->flags & 1)
				prot |= FC_PROT_READ;
			if (op->flags & 2)
				prot |= FC_PROT_WRITE;
			ret = fc_sys_mmap(p, fd, 0, (size_t)op->len, prot, FC_MAP_SHARED, &m);
			if (!ret) {
				if (maps[op->slot2])
					fc_sys_munmap(p, maps[op->slot2]);
				maps[op->slot2] = m;
				maplen[op->slot2] = (size_t)op->len;
			}
			break;
		}
		case ORA_MSTORE:
		case ORA_MLOAD: {
			struct fc_vfs_map *m = maps[op->slot2];
			size_t n = op->kind == ORA_MSTORE ? ora_data_fill(&op->data, ws->wbuf)
							  : (size_t)op->len;

			if (!m) {
				ret = -EINVAL;
				break;
			}
			if (op->off < 0 || (size_t)op->off + n > maplen[op->slot2]) {
				ret = -EFAULT;
				break;
			}
			if (op->kind == ORA_MSTORE) {
				ret = fc_vfs_map_store(p, m, (uint64_t)op->off, ws->wbuf, n);
			} else {
				ret = fc_vfs_map_load(p, m, (uint64_t)op->off, ws->rbuf, n);
				if (ret > 0)
					ora_res_bytes(r, ws->rbuf, (size_t)ret);
			}
			/* A fault part-way is the whole access's SIGBUS, as on Linux. */
			if (ret >= 0 && (size_t)ret != n)
				ret = -EFAULT;
			if (ret < 0)
				memset(r, 0, sizeof(*r));
			break;
		}
		case ORA_MSYNC:
			if (!maps[op->slot2]) {
				ret = -EINVAL;
				break;
			}
			ret = fc_sys_msync(p, maps[op->slot2], 0, maplen[op->slot2], (int)op->flags);
			break;
		case ORA_MUNMAP:
			if (!maps[op->slot2]) {
				ret = -EINVAL;
				break;
			}
			ret = fc_sys_munmap(p, maps[op->slot2]);
			maps[op->slot2] = NULL;
			break;
		default:
			ret = -ENOSYS;
		}
		ora_res_ret(r, ret);
	}
	for (i = 0; i < ORA_MSLOTS; i++)
		if (maps[i])
			fc_sys_munmap(p, maps[i]);
	if (markers) {
		ora_marker_name(mark, sizeof(mark), 0);
		ora_path_join(path, sizeof(path), ORA_LIB_MNT, mark);
		fc_sys_stat(p, path, &st);
	}
}

/* ---- the final tree ------------------------------------------------------------------- */

static void walk(struct fc_proc *p, const char *abs, const char *rel, char *tree, size_t cap,
		 struct ora_ws *ws, int depth)
{
	char names[8192], buf[4096];
	struct ora_dent d[256];
	unsigned i, n = 0;
	size_t used = 0;
	int fd = fc_sys_open(p, abs, FC_O_RDONLY | FC_O_DIRECTORY | FC_O_CLOEXEC, 0);

	if (fd < 0 || depth > 8) {
		if (fd >= 0)
			fc_sys_close(p, fd);
		return;
	}
	for (;;) {
		long got = fc_sys_getdents64(p, fd, buf, sizeof(buf)), o = 0;

		if (got <= 0)
			break;
		while (o < got) {
			unsigned short reclen;
			const char *nm = buf + o + FC_VFS_DIRENT64_NAME_OFFSET;
			size_t nl = strlen(nm);

			memcpy(&reclen, buf + o + 16, sizeof(reclen));
			if (!reclen)
				break;
			if (strcmp(nm, ".") && strcmp(nm, "..") && n < 256 &&
			    used + nl + 1 <= sizeof(names)) {
				memcpy(names + used, nm, nl + 1);
				d[n].name = names + used;
				d[n].type = (unsigned char)buf[o + 18];
				used += nl + 1;
				n++;
			}
			o += reclen;
		}
	}
	fc_sys_close(p, fd);
	ora_sort_dents(d, n);
	for (i = 0; i < n; i++) {
		char a[ORA_PATH_MAX * 2 + 64], r[ORA_PATH_MAX * 2 + 64];
		struct fc_vfs_stat st;
		int rc;

		ora_path_join(a, sizeof(a), abs, d[i].name);
		r[0] = 0;
		if (*rel) {
			ora_strlcat(r, rel, sizeof(r));
			ora_strlcat(r, "/", sizeof(r));
		}
		ora_strlcat(r, d[i].name, sizeof(r));
		rc = fc_sys_lstat(p, a, &st);
		if (rc < 0) {
			ora_tree_line(tree, cap, r, '?', rc, 0);
			continue;
		}
		if ((st.mode & FC_S_IFMT) == FC_S_IFDIR) {
			ora_tree_line(tree, cap, r, 'd', 0, st.mode & 07777);
			walk(p, a, r, tree, cap, ws, depth + 1);
		} else if ((st.mode & FC_S_IFMT) == FC_S_IFLNK) {
			long k = fc_sys_readlink(p, a, (char *)ws->rbuf, 4096);

			ora_tree_line(tree, cap, r, 'l', k,
				      ora_fnv(ws->rbuf, k > 0 ? (size_t)k : 0, ORA_FNV_INIT));
		} else if ((st.mode & FC_S_IFMT) == FC_S_IFREG) {
			int f = fc_sys_open(p, a, FC_O_RDONLY | FC_O_CLOEXEC, 0);
			uint64_t h = ORA_FNV_INIT;
			int64_t total = 0;

			if (f >= 0) {
				long k;

				while ((k = fc_sys_read(p, f, ws->rbuf, ORA_DATA_MAX)) > 0) {
					h = ora_fnv(ws->rbuf, (size_t)k, h);
					total += k;
				}
				if (k < 0)
					total = k;
				fc_sys_close(p, f);
			} else {
				total = f;
			}
			ora_tree_line(tree, cap, r, 'f', total, h);
		} else {
			ora_tree_line(tree, cap, r, 'o', 0, st.mode);
		}
	}
}

void ora_tree_lib(struct fc_proc *p, char *tree, size_t cap, struct ora_ws *ws)
{
	tree[0] = 0;
	walk(p, ORA_LIB_MNT, "", tree, cap, ws, 0);
}
