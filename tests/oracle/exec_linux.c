/*
 * exec_linux.c - the ops as real system calls on the mounted path.
 *
 * Runs in a child forked from a process with relay threads: only system
 * calls, string functions and snprintf with integer formats; no malloc,
 * no stdio streams, no qsort.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "exec.h"
#include "fusecore/ops.h"

/* FC_O_* (Linux generic values) to this host's O_* values. */
static int host_oflags(int64_t f)
{
	static const struct {
		int64_t fc;
		int host;
	} map[] = {
		{ FC_O_CREAT, O_CREAT }, { FC_O_EXCL, O_EXCL }, { FC_O_NOCTTY, O_NOCTTY },
		{ FC_O_TRUNC, O_TRUNC }, { FC_O_APPEND, O_APPEND }, { FC_O_NONBLOCK, O_NONBLOCK },
		{ FC_O_DSYNC, O_DSYNC }, { FC_O_DIRECT, O_DIRECT },
		{ FC_O_LARGEFILE, O_LARGEFILE }, { FC_O_DIRECTORY, O_DIRECTORY },
		{ FC_O_NOFOLLOW, O_NOFOLLOW }, { FC_O_NOATIME, O_NOATIME },
		{ FC_O_CLOEXEC, O_CLOEXEC }, { FC_O_SYNC, O_SYNC }, { FC_O_PATH, O_PATH },
	};
	unsigned i;
	int h = (int)(f & FC_O_ACCMODE);

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((f & map[i].fc) == map[i].fc)
			h |= map[i].host;
	return h;
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	(void)sig;
	if (fault_armed)
		siglongjmp(fault_jmp, 1);
	_exit(99);
}

/*
 * A store that faults part-way (SIGBUS past the page of EOF) leaves what
 * memcpy had stored before the fault, and glibc's memcpy does not store in
 * address order (its first vector is stored last): which bytes land is the
 * C library's choice, not the kernel's.  Storing page by page makes it the
 * kernel's: every page before the faulting one is stored whole, nothing of
 * the faulting page (a copy within one page faults on its first store), as
 * fc_vfs_map_store() does.  The mapping starts on a page boundary.
 */
static void store_by_page(unsigned char *m, size_t off, const unsigned char *src, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t pos = off + done, k = 4096 - (pos & 4095);

		if (k > n - done)
			k = n - done;
		memcpy(m + pos, src + done, k);
		done += k;
	}
}

static int64_t err(void)
{
	return -(int64_t)errno;
}

/* Read a directory's records into @d (names in @names); count or -errno. */
static long read_dir(int fd, char *buf, char *names, size_t names_cap,
		     struct ora_dent *d, unsigned max)
{
	unsigned n = 0;
	size_t used = 0;

	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, ORA_DIRBUF);
		long o = 0;

		if (got < 0)
			return err();
		if (got == 0)
			break;
		while (o < got) {
			unsigned short reclen;
			const char *nm = buf + o + 19;
			size_t nl = strlen(nm);

			memcpy(&reclen, buf + o + 16, sizeof(reclen));
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

void ora_exec_linux(const char *mnt, const struct ora_op *ops, unsigned nops,
		    struct ora_result *res, int markers, struct ora_ws *ws)
{
	int fds[ORA_SLOTS];
	unsigned char *maps[ORA_MSLOTS];
	size_t maplen[ORA_MSLOTS];
	struct ora_dent dents[ORA_MAXDENTS];
	char path[ORA_PATH_MAX * 2 + 64], path2[ORA_PATH_MAX * 2 + 64], mark[32];
	struct sigaction sa;
	struct stat st;
	volatile unsigned i; /* kept across the SIGBUS siglongjmp */

	for (i = 0; i < ORA_SLOTS; i++)
		fds[i] = -1;
	for (i = 0; i < ORA_MSLOTS; i++) {
		maps[i] = NULL;
		maplen[i] = 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	umask(022);

	for (i = 0; i < nops; i++) {
		const struct ora_op *op = &ops[i];
		struct ora_result *r = &res[i];
		int fd = fds[op->slot];
		int64_t ret = 0;

		if (markers) {
			ora_marker_name(mark, sizeof(mark), i + 1);
			ora_path_join(path, sizeof(path), mnt, mark);
			stat(path, &st);
		}
		memset(r, 0, sizeof(*r));
		ora_path_join(path, sizeof(path), mnt, op->path);
		ora_path_join(path2, sizeof(path2), mnt, op->path2);
		switch (op->kind) {
		case ORA_OPEN: {
			int nfd = open(path, host_oflags(op->flags), op->mode);

			if (nfd < 0) {
				ret = err();
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
			ret = close(fd) < 0 ? err() : 0;
			fds[op->slot] = -1;
			break;
		case ORA_DUP: {
			int nfd;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			nfd = dup(fd);
			if (nfd < 0) {
				ret = err();
			} else {
				fds[op->slot2] = nfd;
				ret = 0;
			}
			break;
		}
		case ORA_READ:
		case ORA_PREAD: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			ssize_t got;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			if (n > ORA_DATA_MAX)
				n = ORA_DATA_MAX;
			got = op->kind == ORA_READ ? read(fd, ws->rbuf, n)
						   : pread(fd, ws->rbuf, n, op->off);
			ret = got < 0 ? err() : got;
			if (got > 0)
				ora_res_bytes(r, ws->rbuf, (size_t)got);
			break;
		}
		case ORA_WRITE:
		case ORA_PWRITE: {
			uint32_t n = ora_data_fill(&op->data, ws->wbuf);
			ssize_t put;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			put = op->kind == ORA_WRITE ? write(fd, ws->wbuf, n)
						    : pwrite(fd, ws->wbuf, n, op->off);
			ret = put < 0 ? err() : put;
			break;
		}
		case ORA_LSEEK: {
			off_t o;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			o = lseek(fd, op->off, (int)op->flags);
			ret = o < 0 ? err() : o;
			break;
		}
		case ORA_FSYNC:
		case ORA_FDATASYNC:
			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			ret = (op->kind == ORA_FSYNC ? fsync(fd) : fdatasync(fd)) < 0 ? err() : 0;
			break;
		case ORA_FTRUNCATE:
			ret = fd < 0 ? -EBADF : ftruncate(fd, op->len) < 0 ? err() : 0;
			break;
		case ORA_TRUNCATE:
			ret = truncate(path, op->len) < 0 ? err() : 0;
			break;
		case ORA_STAT:
		case ORA_LSTAT:
		case ORA_FSTAT: {
			int rc;

			if (op->kind == ORA_FSTAT && fd < 0) {
				ret = -EBADF;
				break;
			}
			rc = op->kind == ORA_STAT ? stat(path, &st) :
			     op->kind == ORA_LSTAT ? lstat(path, &st) : fstat(fd, &st);
			ret = rc < 0 ? err() : 0;
			if (!rc)
				ora_res_stat(r, st.st_mode, (uint32_t)st.st_nlink, st.st_size,
					     st.st_uid, st.st_gid);
			break;
		}
		case ORA_MKDIR:
			ret = mkdir(path, op->mode) < 0 ? err() : 0;
			break;
		case ORA_RMDIR:
			ret = rmdir(path) < 0 ? err() : 0;
			break;
		case ORA_UNLINK:
			ret = unlink(path) < 0 ? err() : 0;
			break;
		case ORA_RENAME:
			ret = syscall(SYS_renameat2, AT_FDCWD, path, AT_FDCWD, path2,
				      (unsigned)op->flags) < 0 ? err() : 0;
			break;
		case ORA_LINK:
			ret = link(path, path2) < 0 ? err() : 0;
			break;
		case ORA_SYMLINK:
			/* path is the target, as given (not below the mount). */
			ret = symlink(op->path, path2) < 0 ? err() : 0;
			break;
		case ORA_READLINK: {
			ssize_t n = readlink(path, (char *)ws->rbuf, 4096);

			ret = n < 0 ? err() : n;
			if (n > 0)
				ora_res_bytes(r, ws->rbuf, (size_t)n);
			break;
		}
		case ORA_READDIR: {
			int dfd = open(path, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC);
			long n;

			if (dfd < 0) {
				ret = err();
				break;
			}
			n = read_dir(dfd, ws->dbuf, ws->names, ORA_DIRBUF, dents, ORA_MAXDENTS);
			close(dfd);
			ret = n;
			if (n >= 0)
				ora_res_listing(r, dents, (unsigned)n);
			break;
		}
		case ORA_SETXATTR: {
			uint32_t n = ora_data_fill(&op->data, ws->wbuf);

			ret = setxattr(path, op->name, ws->wbuf, n, (int)op->flags) < 0 ? err() : 0;
			break;
		}
		case ORA_GETXATTR: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			ssize_t got;

			if (n > 65536)
				n = 65536;
			got = getxattr(path, op->name, ws->rbuf, n);
			ret = got < 0 ? err() : got;
			if (got > 0 && n)
				ora_res_bytes(r, ws->rbuf, (size_t)got);
			break;
		}
		case ORA_LISTXATTR: {
			size_t n = op->len < 0 ? 0 : (size_t)op->len;
			ssize_t got;

			if (n > 65536)
				n = 65536;
			got = listxattr(path, (char *)ws->rbuf, n);
			ret = got < 0 ? err() : got;
			if (got > 0 && n)
				ora_res_namelist(r, (char *)ws->rbuf, (size_t)got, dents);
			break;
		}
		case ORA_REMOVEXATTR:
			ret = removexattr(path, op->name) < 0 ? err() : 0;
			break;
		case ORA_FLOCK:
			ret = fd < 0 ? -EBADF : flock(fd, (int)op->flags) < 0 ? err() : 0;
			break;
		case ORA_SETLK:
		case ORA_SETLKW:
		case ORA_GETLK: {
			struct flock fl;
			int cmd = op->kind == ORA_SETLK ? F_SETLK :
				  op->kind == ORA_SETLKW ? F_SETLKW : F_GETLK;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			memset(&fl, 0, sizeof(fl));
			fl.l_type = (short)(op->flags == FC_F_RDLCK ? F_RDLCK :
					    op->flags == FC_F_WRLCK ? F_WRLCK : F_UNLCK);
			fl.l_whence = SEEK_SET;
			fl.l_start = op->off;
			fl.l_len = op->len;
			ret = fcntl(fd, cmd, &fl) < 0 ? err() : 0;
			if (!ret && cmd == F_GETLK) {
				char *t = r->text;

				t[0] = 0;
				ora_strlcat(t, fl.l_type == F_UNLCK ? "unlocked" :
					    fl.l_type == F_RDLCK ? "F_RDLCK" : "F_WRLCK", sizeof(r->text));
			}
			break;
		}
		case ORA_MMAP: {
			void *m;
			int prot = 0;

			if (fd < 0) {
				ret = -EBADF;
				break;
			}
			if (op->flags & 1)
				prot |= PROT_READ;
			if (op->flags & 2)
				prot |= PROT_WRITE;
			m = mmap(NULL, (size_t)op->len, prot, MAP_SHARED, fd, 0);
			if (m == MAP_FAILED) {
				ret = err();
			} else {
				if (maps[op->slot2])
					munmap(maps[op->slot2], maplen[op->slot2]);
				maps[op->slot2] = m;
				maplen[op->slot2] = (size_t)op->len;
				ret = 0;
			}
			break;
		}
		case ORA_MSTORE:
		case ORA_MLOAD: {
			unsigned char *m = maps[op->slot2];
			volatile size_t n = op->kind == ORA_MSTORE ?
					    ora_data_fill(&op->data, ws->wbuf) :
					    (size_t)op->len;

			if (!m) {
				ret = -EINVAL;
				break;
			}
			if (op->off < 0 || (size_t)op->off + n > maplen[op->slot2]) {
				ret = -EFAULT;
				break;
			}
			fault_armed = 1;
			if (sigsetjmp(fault_jmp, 1)) {
				ret = -EFAULT;
			} else {
				if (op->kind == ORA_MSTORE)
					store_by_page(m, (size_t)op->off, ws->wbuf, n);
				else
					memcpy(ws->rbuf, m + op->off, n);
				ret = (int64_t)n;
				if (op->kind == ORA_MLOAD)
					ora_res_bytes(r, ws->rbuf, n);
			}
			fault_armed = 0;
			break;
		}
		case ORA_MSYNC: {
			unsigned char *m = maps[op->slot2];
			int fl = 0;

			if (!m) {
				ret = -EINVAL;
				break;
			}
			if (op->flags & 1)
				fl |= MS_ASYNC;
			if (op->flags & 2)
				fl |= MS_INVALIDATE;
			if (op->flags & 4)
				fl |= MS_SYNC;
			ret = msync(m, maplen[op->slot2], fl) < 0 ? err() : 0;
			break;
		}
		case ORA_MUNMAP:
			if (!maps[op->slot2]) {
				ret = -EINVAL;
				break;
			}
			ret = munmap(maps[op->slot2], maplen[op->slot2]) < 0 ? err() : 0;
			maps[op->slot2] = NULL;
			break;
		case ORA_STATFS: {
			struct statfs sf;

			ret = statfs(path, &sf) < 0 ? err() : 0;
			if (!ret) {
				char *t = r->text;
				char num[24];
				int k = 0;
				unsigned long v = (unsigned long)sf.f_namelen;

				t[0] = 0;
				ora_strlcat(t, "namelen=", sizeof(r->text));
				do {
					num[k++] = (char)('0' + v % 10);
					v /= 10;
				} while (v);
				while (k > 0) {
					char c[2] = { num[--k], 0 };

					ora_strlcat(t, c, sizeof(r->text));
				}
			}
			break;
		}
		case ORA_ACCESS:
			ret = access(path, (int)op->mode) < 0 ? err() : 0;
			break;
		case ORA_CHMOD:
			ret = chmod(path, op->mode) < 0 ? err() : 0;
			break;
		case ORA_SETFL:
			ret = fd < 0 ? -EBADF : fcntl(fd, F_SETFL, host_oflags(op->flags)) < 0 ? err() : 0;
			break;
		case ORA_FALLOCATE:
			ret = fd < 0 ? -EBADF :
			      fallocate(fd, (int)op->flags, op->off, op->len) < 0 ? err() : 0;
			break;
		default:
			ret = -ENOSYS;
		}
		ora_res_ret(r, ret);
	}
	for (i = 0; i < ORA_MSLOTS; i++)
		if (maps[i])
			munmap(maps[i], maplen[i]);
	if (markers) {
		ora_marker_name(mark, sizeof(mark), 0);
		ora_path_join(path, sizeof(path), mnt, mark);
		stat(path, &st);
	}
}

/* ---- the final tree ------------------------------------------------------------------- */

static void walk(const char *abs, const char *rel, char *tree, size_t cap,
		 struct ora_ws *ws, int depth)
{
	char names[8192], buf[4096];
	struct ora_dent d[256];
	unsigned i, n = 0;
	size_t used = 0;
	int fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || depth > 8) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, sizeof(buf)), o = 0;

		if (got <= 0)
			break;
		while (o < got) {
			unsigned short reclen;
			const char *nm = buf + o + 19;
			size_t nl = strlen(nm);

			memcpy(&reclen, buf + o + 16, sizeof(reclen));
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
	close(fd);
	ora_sort_dents(d, n);
	for (i = 0; i < n; i++) {
		char a[ORA_PATH_MAX * 2 + 64], r[ORA_PATH_MAX * 2 + 64];
		struct stat st;

		ora_path_join(a, sizeof(a), abs, d[i].name);
		r[0] = 0;
		if (*rel) {
			ora_strlcat(r, rel, sizeof(r));
			ora_strlcat(r, "/", sizeof(r));
		}
		ora_strlcat(r, d[i].name, sizeof(r));
		if (lstat(a, &st) < 0) {
			ora_tree_line(tree, cap, r, '?', -errno, 0);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			ora_tree_line(tree, cap, r, 'd', 0, st.st_mode & 07777);
			walk(a, r, tree, cap, ws, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(a, (char *)ws->rbuf, 4096);

			ora_tree_line(tree, cap, r, 'l', k,
				      ora_fnv(ws->rbuf, k > 0 ? (size_t)k : 0, ORA_FNV_INIT));
		} else if (S_ISREG(st.st_mode)) {
			int f = open(a, O_RDONLY | O_CLOEXEC);
			uint64_t h = ORA_FNV_INIT;
			int64_t total = 0;

			if (f >= 0) {
				ssize_t k;

				while ((k = read(f, ws->rbuf, ORA_DATA_MAX)) > 0) {
					h = ora_fnv(ws->rbuf, (size_t)k, h);
					total += k;
				}
				if (k < 0)
					total = -errno;
				close(f);
			} else {
				total = -errno;
			}
			ora_tree_line(tree, cap, r, 'f', total, h);
		} else {
			ora_tree_line(tree, cap, r, 'o', 0, st.st_mode);
		}
	}
}

void ora_tree_linux(const char *mnt, char *tree, size_t cap, struct ora_ws *ws)
{
	tree[0] = 0;
	walk(mnt, "", tree, cap, ws, 0);
}
