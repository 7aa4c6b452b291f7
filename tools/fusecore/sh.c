/*
 * sh.c - `fusecore sh`: an interactive shell over a FUSE daemon, through
 * the simulated kernel's syscall-like API (fusecore/vfs.h).
 *
 * On a terminal it reads lines with libedit (readline-compatible
 * readline()/add_history() from <editline/readline.h>); otherwise it reads
 * standard input line by line without a prompt, so scripts and tests can
 * drive it.  Every command is a handful of fc_sys_* calls; errors print
 * as "CMD: PATH: message (ENAME)" on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

#include "cli.h"
#include "fusecore/decode.h"
#include "fusecore/proto.h"

#define MAXARGS 64

struct shell {
	struct cli_target t;
	struct fc_proc *p;
	int interactive;
	int errexit;        /* -e: stop at the first failing command */
	int last;           /* status of the last command (0 or 1) */
	int done;           /* exit requested */
	int exit_code;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusecore sh [OPTIONS] [-e] [-c COMMANDS] -- DAEMON ARGS...\n"
		"\n"
		"Start DAEMON, mount it in a simulated kernel and give a shell over it.\n"
		"Commands run through libfusecore's syscall-like API, so every one becomes\n"
		"FUSE requests to the daemon.  On a terminal the shell has line editing and\n"
		"history; otherwise it reads commands from standard input, one per line.\n"
		"\n"
		"Options:\n"
		"  -e                  stop at the first failing command (exit status 1)\n"
		"  -c COMMANDS         run COMMANDS (separated by ';' or newlines) and exit\n"
		"  -h, --help          this text\n");
	cli_target_usage(f);
	fprintf(f, "\nType `help` in the shell for its commands.\n\n");
	cli_print_exit_codes(f);
}

static void help(void)
{
	printf("Commands (paths are relative to the working directory; the file\n"
	       "system is mounted on the mount point, the rest is the kernel's ramfs):\n"
	       "  ls [-l] [-a] [PATH...]     list directories (-l: long format)\n"
	       "  cat FILE...                print files\n"
	       "  stat PATH...               show attributes\n"
	       "  write FILE TEXT...         FILE becomes TEXT and a newline (echo TEXT > FILE)\n"
	       "  append FILE TEXT...        add TEXT and a newline (echo TEXT >> FILE)\n"
	       "  touch FILE...              create empty files (existing ones are kept)\n"
	       "  mkdir [-p] DIR...          create directories\n"
	       "  rmdir DIR...               remove empty directories\n"
	       "  rm [-r] [-f] PATH...       remove files (-r: directories and their contents)\n"
	       "  mv SRC DST                 rename\n"
	       "  ln [-s] TARGET LINK        hard link, or symbolic link with -s\n"
	       "  readlink PATH              print a symbolic link's target\n"
	       "  truncate FILE SIZE         set the size (also: truncate -s SIZE FILE)\n"
	       "  cd [DIR]                   change directory (default: the mount point)\n"
	       "  pwd                        print the working directory\n"
	       "  mounts                     the mount table (as /proc/self/mountinfo)\n"
	       "  info                       what FUSE_INIT negotiated\n"
	       "  stats                      the connection's request counters\n"
	       "  drop                       drop the dentry cache (FORGETs go out)\n"
	       "  help                       this text\n"
	       "  exit [N]                   leave (also: quit, end of input)\n");
}

static int err(struct shell *s, const char *cmd, const char *path, long r)
{
	(void)s;
	fflush(stdout);
	if (path)
		fprintf(stderr, "%s: %s: %s (%s)\n", cmd, path, strerror((int)-r),
			cli_errname(r));
	else
		fprintf(stderr, "%s: %s (%s)\n", cmd, strerror((int)-r), cli_errname(r));
	return 1;
}

static int usage_err(const char *cmd, const char *what)
{
	fflush(stdout);
	fprintf(stderr, "%s: usage: %s %s\n", cmd, cmd, what);
	return 1;
}

/* ---- directories ------------------------------------------------------------------ */

struct dent {
	char *name;
	unsigned type;
};

static int cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

/* Read directory fd @fd whole; returns the count or -errno. */
static long read_dir(struct fc_proc *p, int fd, struct dent **out)
{
	static char buf[32768];
	struct dent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	long got, off;

	for (;;) {
		got = fc_sys_getdents64(p, fd, buf, sizeof(buf));
		if (got < 0) {
			while (n)
				free(v[--n].name);
			free(v);
			return got;
		}
		if (got == 0)
			break;
		for (off = 0; off < got;) {
			uint16_t reclen;

			memcpy(&reclen, buf + off + 16, 2);
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					abort();
				v = nv;
			}
			v[n].name = strdup(buf + off + FC_VFS_DIRENT64_NAME_OFFSET);
			v[n].type = (unsigned char)buf[off + 18];
			n++;
			off += reclen;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_dent);
	*out = v;
	return (long)n;
}

static void free_dents(struct dent *v, long n)
{
	while (n > 0)
		free(v[--n].name);
	free(v);
}

static void mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	switch (mode & FC_S_IFMT) {
	case FC_S_IFDIR: out[0] = 'd'; break;
	case FC_S_IFLNK: out[0] = 'l'; break;
	case FC_S_IFCHR: out[0] = 'c'; break;
	case FC_S_IFBLK: out[0] = 'b'; break;
	case FC_S_IFIFO: out[0] = 'p'; break;
	case FC_S_IFSOCK: out[0] = 's'; break;
	default: out[0] = '-';
	}
	for (i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = 0;
}

static void fmt_time(int64_t sec, char *buf, size_t size)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
	else
		cli_fmt(buf, size, "%lld", (long long)sec);
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	cli_fmt(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static void ls_long(struct shell *s, const char *path, const char *name)
{
	struct fc_vfs_stat st;
	char m[11], tb[32], target[FC_VFS_PATH_MAX];
	long r = fc_sys_lstat(s->p, path, &st);

	if (r < 0) {
		err(s, "ls", path, r);
		return;
	}
	mode_string(st.mode, m);
	fmt_time(st.mtime.tv_sec, tb, sizeof(tb));
	printf("%s %3u %5u %5u %10lld %s %s", m, st.nlink, st.uid, st.gid,
	       (long long)st.size, tb, name);
	if ((st.mode & FC_S_IFMT) == FC_S_IFLNK) {
		r = fc_sys_readlink(s->p, path, target, sizeof(target) - 1);
		if (r >= 0) {
			target[r] = 0;
			printf(" -> %s", target);
		}
	}
	printf("\n");
}

static int cmd_ls(struct shell *s, int argc, char **argv)
{
	int lng = 0, all = 0, i, npaths = 0, rc = 0;
	char path[FC_VFS_PATH_MAX];

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o;

		for (o = argv[i] + 1; *o; o++) {
			if (*o == 'l')
				lng = 1;
			else if (*o == 'a')
				all = 1;
			else
				return usage_err("ls", "[-l] [-a] [PATH...]");
		}
	}
	npaths = argc - i;
	for (; i < argc || npaths == 0; i++) {
		const char *dir = npaths ? argv[i] : ".";
		struct fc_vfs_stat st;
		struct dent *v;
		long n, k, r;
		int fd;

		r = fc_sys_stat(s->p, dir, &st);
		if (r < 0) {
			rc = err(s, "ls", dir, r);
			if (!npaths)
				break;
			continue;
		}
		if ((st.mode & FC_S_IFMT) != FC_S_IFDIR) {
			if (lng)
				ls_long(s, dir, dir);
			else
				printf("%s\n", dir);
			if (!npaths)
				break;
			continue;
		}
		if (npaths > 1)
			printf("%s:\n", dir);
		fd = fc_sys_open(s->p, dir, FC_O_RDONLY | FC_O_DIRECTORY, 0);
		if (fd < 0) {
			rc = err(s, "ls", dir, fd);
			if (!npaths)
				break;
			continue;
		}
		n = read_dir(s->p, fd, &v);
		fc_sys_close(s->p, fd);
		if (n < 0) {
			rc = err(s, "ls", dir, n);
			if (!npaths)
				break;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (!all && v[k].name[0] == '.')
				continue;
			if (lng) {
				join(path, sizeof(path), dir, v[k].name);
				ls_long(s, path, v[k].name);
			} else {
				printf("%s%s\n", v[k].name, v[k].type == FC_DT_DIR ? "/" : "");
			}
		}
		free_dents(v, n);
		if (!npaths)
			break;
	}
	return rc;
}

/* ---- files --------------------------------------------------------------------------- */

static int cmd_cat(struct shell *s, int argc, char **argv)
{
	static char buf[65536];
	int i, rc = 0;

	if (argc < 2)
		return usage_err("cat", "FILE...");
	for (i = 1; i < argc; i++) {
		int fd = fc_sys_open(s->p, argv[i], FC_O_RDONLY, 0);
		long n;

		if (fd < 0) {
			rc = err(s, "cat", argv[i], fd);
			continue;
		}
		while ((n = fc_sys_read(s->p, fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		if (n < 0)
			rc = err(s, "cat", argv[i], n);
		fc_sys_close(s->p, fd);
	}
	fflush(stdout);
	return rc;
}

static const char *type_name(uint32_t mode)
{
	switch (mode & FC_S_IFMT) {
	case FC_S_IFDIR: return "directory";
	case FC_S_IFLNK: return "symbolic link";
	case FC_S_IFREG: return "regular file";
	case FC_S_IFCHR: return "character device";
	case FC_S_IFBLK: return "block device";
	case FC_S_IFIFO: return "fifo";
	case FC_S_IFSOCK: return "socket";
	}
	return "unknown";
}

static int cmd_stat(struct shell *s, int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2)
		return usage_err("stat", "PATH...");
	for (i = 1; i < argc; i++) {
		struct fc_vfs_stat st;
		char m[11], a[32], mo[32], c[32];
		long r = fc_sys_lstat(s->p, argv[i], &st);

		if (r < 0) {
			rc = err(s, "stat", argv[i], r);
			continue;
		}
		mode_string(st.mode, m);
		fmt_time(st.atime.tv_sec, a, sizeof(a));
		fmt_time(st.mtime.tv_sec, mo, sizeof(mo));
		fmt_time(st.ctime.tv_sec, c, sizeof(c));
		printf("  File: %s\n"
		       "  Size: %-12lld Blocks: %-8lld IO Block: %-6lld %s\n"
		       "Device: %llu,%llu  Inode: %llu  Links: %u\n"
		       "Access: (%04o/%s)  Uid: %u  Gid: %u\n"
		       "Access: %s.%09lld\nModify: %s.%09lld\nChange: %s.%09lld\n",
		       argv[i], (long long)st.size, (long long)st.blocks,
		       (long long)st.blksize, type_name(st.mode),
		       (unsigned long long)(st.dev >> 8), (unsigned long long)(st.dev & 0xff),
		       (unsigned long long)st.ino, st.nlink, st.mode & 07777, m, st.uid,
		       st.gid, a, (long long)st.atime.tv_nsec, mo,
		       (long long)st.mtime.tv_nsec, c, (long long)st.ctime.tv_nsec);
	}
	return rc;
}

/* write/append: TEXT is the rest of the words joined by spaces, plus "\n". */
static int cmd_write(struct shell *s, int argc, char **argv, int append)
{
	const char *cmd = append ? "append" : "write";
	size_t len = 0, n;
	char *text;
	long r;
	int fd, i;

	if (argc < 2)
		return usage_err(cmd, "FILE TEXT...");
	for (i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = malloc(len + 1);
	if (!text)
		return err(s, cmd, NULL, -ENOMEM);
	for (i = 2, n = 0; i < argc; i++) {
		size_t k = strlen(argv[i]);

		memcpy(text + n, argv[i], k);
		n += k;
		text[n++] = i + 1 < argc ? ' ' : '\n';
	}
	if (argc == 2)
		text[n++] = '\n';
	fd = fc_sys_open(s->p, argv[1], FC_O_WRONLY | FC_O_CREAT |
			 (append ? FC_O_APPEND : FC_O_TRUNC), 0644);
	if (fd < 0) {
		free(text);
		return err(s, cmd, argv[1], fd);
	}
	r = fc_sys_write(s->p, fd, text, n);
	free(text);
	if (r >= 0 && (size_t)r != n)
		r = -EIO;
	if (r < 0) {
		fc_sys_close(s->p, fd);
		return err(s, cmd, argv[1], r);
	}
	r = fc_sys_close(s->p, fd);
	return r < 0 ? err(s, cmd, argv[1], r) : 0;
}

static int cmd_touch(struct shell *s, int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2)
		return usage_err("touch", "FILE...");
	for (i = 1; i < argc; i++) {
		int fd = fc_sys_open(s->p, argv[i], FC_O_WRONLY | FC_O_CREAT, 0644);

		if (fd < 0) {
			rc = err(s, "touch", argv[i], fd);
			continue;
		}
		fc_sys_close(s->p, fd);
		fc_sys_utimensat(s->p, FC_AT_FDCWD, argv[i], NULL, 0);
	}
	return rc;
}

static int mkdir_p(struct shell *s, const char *path)
{
	char buf[FC_VFS_PATH_MAX];
	size_t i;
	int r;

	cli_fmt(buf, sizeof(buf), "%s", path);
	for (i = 1; buf[i]; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = 0;
		r = fc_sys_mkdir(s->p, buf, 0755);
		buf[i] = '/';
		if (r < 0 && r != -EEXIST)
			return r;
	}
	r = fc_sys_mkdir(s->p, buf, 0755);
	return r == -EEXIST ? 0 : r;
}

static int cmd_mkdir(struct shell *s, int argc, char **argv)
{
	int i = 1, p = 0, rc = 0, r;

	if (argc > 1 && !strcmp(argv[1], "-p")) {
		p = 1;
		i++;
	}
	if (i >= argc)
		return usage_err("mkdir", "[-p] DIR...");
	for (; i < argc; i++) {
		r = p ? mkdir_p(s, argv[i]) : fc_sys_mkdir(s->p, argv[i], 0755);
		if (r < 0)
			rc = err(s, "mkdir", argv[i], r);
	}
	return rc;
}

static int cmd_rmdir(struct shell *s, int argc, char **argv)
{
	int i, rc = 0, r;

	if (argc < 2)
		return usage_err("rmdir", "DIR...");
	for (i = 1; i < argc; i++) {
		r = fc_sys_rmdir(s->p, argv[i]);
		if (r < 0)
			rc = err(s, "rmdir", argv[i], r);
	}
	return rc;
}

static int rm_tree(struct shell *s, const char *path)
{
	struct fc_vfs_stat st;
	struct dent *v;
	char sub[FC_VFS_PATH_MAX];
	long n, k;
	int r, fd;

	r = fc_sys_lstat(s->p, path, &st);
	if (r < 0)
		return r;
	if ((st.mode & FC_S_IFMT) != FC_S_IFDIR)
		return fc_sys_unlink(s->p, path);
	fd = fc_sys_open(s->p, path, FC_O_RDONLY | FC_O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	n = read_dir(s->p, fd, &v);
	fc_sys_close(s->p, fd);
	if (n < 0)
		return (int)n;
	for (k = 0; k < n; k++) {
		if (!strcmp(v[k].name, ".") || !strcmp(v[k].name, ".."))
			continue;
		join(sub, sizeof(sub), path, v[k].name);
		r = rm_tree(s, sub);
		if (r < 0) {
			free_dents(v, n);
			return r;
		}
	}
	free_dents(v, n);
	return fc_sys_rmdir(s->p, path);
}

static int cmd_rm(struct shell *s, int argc, char **argv)
{
	int i, rec = 0, force = 0, rc = 0, r;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *o;

		for (o = argv[i] + 1; *o; o++) {
			if (*o == 'r' || *o == 'R')
				rec = 1;
			else if (*o == 'f')
				force = 1;
			else
				return usage_err("rm", "[-r] [-f] PATH...");
		}
	}
	if (i >= argc)
		return usage_err("rm", "[-r] [-f] PATH...");
	for (; i < argc; i++) {
		r = rec ? rm_tree(s, argv[i]) : fc_sys_unlink(s->p, argv[i]);
		if (r < 0 && !(force && r == -ENOENT))
			rc = err(s, "rm", argv[i], r);
	}
	return rc;
}

static int cmd_mv(struct shell *s, int argc, char **argv)
{
	int r;

	if (argc != 3)
		return usage_err("mv", "SRC DST");
	r = fc_sys_rename(s->p, argv[1], argv[2]);
	return r < 0 ? err(s, "mv", argv[1], r) : 0;
}

static int cmd_ln(struct shell *s, int argc, char **argv)
{
	int sym = argc > 1 && !strcmp(argv[1], "-s");
	int r;

	if (argc != 3 + sym)
		return usage_err("ln", "[-s] TARGET LINK");
	r = sym ? fc_sys_symlink(s->p, argv[2], argv[3])
		: fc_sys_link(s->p, argv[1], argv[2]);
	return r < 0 ? err(s, "ln", argv[2 + sym], r) : 0;
}

static int cmd_readlink(struct shell *s, int argc, char **argv)
{
	char buf[FC_VFS_PATH_MAX];
	long r;

	if (argc != 2)
		return usage_err("readlink", "PATH");
	r = fc_sys_readlink(s->p, argv[1], buf, sizeof(buf) - 1);
	if (r < 0)
		return err(s, "readlink", argv[1], r);
	buf[r] = 0;
	printf("%s\n", buf);
	return 0;
}

static int parse_size(const char *a, int64_t *out)
{
	char *end;
	long long v = strtoll(a, &end, 0);

	if (end == a || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= 1024 * 1024, end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int cmd_truncate(struct shell *s, int argc, char **argv)
{
	const char *file, *size;
	int64_t len;
	int r;

	if (argc == 4 && !strcmp(argv[1], "-s")) {
		size = argv[2];
		file = argv[3];
	} else if (argc == 3) {
		file = argv[1];
		size = argv[2];
	} else {
		return usage_err("truncate", "FILE SIZE");
	}
	if (parse_size(size, &len) < 0)
		return usage_err("truncate", "FILE SIZE (bytes, or with K or M)");
	r = fc_sys_truncate(s->p, file, len);
	return r < 0 ? err(s, "truncate", file, r) : 0;
}

static int cmd_cd(struct shell *s, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : s->t.opts.mountpoint;
	int r;

	if (argc > 2)
		return usage_err("cd", "[DIR]");
	r = fc_sys_chdir(s->p, dir);
	return r < 0 ? err(s, "cd", dir, r) : 0;
}

static int cmd_pwd(struct shell *s)
{
	char buf[FC_VFS_PATH_MAX];
	long r = fc_sys_getcwd(s->p, buf, sizeof(buf));

	if (r < 0)
		return err(s, "pwd", NULL, r);
	printf("%s\n", buf);
	return 0;
}

static int cmd_mounts(struct shell *s)
{
	long n = fc_vfs_mountinfo(s->t.vfs, NULL, 0);
	char *buf;

	if (n < 0)
		return err(s, "mounts", NULL, n);
	buf = malloc((size_t)n + 1);
	if (!buf)
		return err(s, "mounts", NULL, -ENOMEM);
	fc_vfs_mountinfo(s->t.vfs, buf, (size_t)n + 1);
	fputs(buf, stdout);
	free(buf);
	return 0;
}

static int cmd_info(struct shell *s)
{
	const struct fc_conn_info *ci = fc_conn_info(s->t.conn);

	printf("daemon:     %s over %s\n", s->t.name, s->t.transport_desc);
	printf("protocol:   %u.%u\n", ci->major, ci->minor);
	printf("flags:      requested 0x%llx, granted 0x%llx, enabled 0x%llx\n",
	       (unsigned long long)ci->requested, (unsigned long long)ci->granted,
	       (unsigned long long)ci->flags);
	printf("max_write:  %u  max_pages: %u  max_readahead: %u  time_gran: %u\n",
	       ci->max_write, ci->max_pages, ci->max_readahead, ci->time_gran);
	printf("background: %u (congestion at %u)\n", ci->max_background,
	       ci->congestion_threshold);
	printf("locks:      posix %s, flock %s\n", ci->posix_locks ? "daemon" : "kernel side",
	       ci->flock_locks ? "daemon" : "kernel side");
	return 0;
}

static int cmd_stats(struct shell *s)
{
	struct fc_conn_stats cs;
	struct cli_wire_stats w;
	unsigned i;

	fc_conn_stats(s->t.conn, &cs);
	cli_target_wire(&s->t, &w);
	printf("requests %llu, replies %llu, notifications %llu, background %llu\n",
	       (unsigned long long)cs.requests, (unsigned long long)cs.replies,
	       (unsigned long long)cs.notifications, (unsigned long long)cs.background);
	printf("rejected replies: %llu\n",
	       (unsigned long long)(cs.bad_short + cs.bad_len + cs.bad_error +
				    cs.bad_unique + cs.bad_size + cs.bad_err_payload +
				    cs.bad_interrupt + cs.bad_notify + cs.bad_content));
	printf("sent by opcode:");
	for (i = 1; i < CLI_NOPS; i++)
		if (w.sent[i])
			printf(" %s=%llu", fc_opcode_name(i) ? fc_opcode_name(i) : "?",
			       (unsigned long long)w.sent[i]);
	printf("\n");
	return 0;
}

/* ---- the loop ---------------------------------------------------------------------- */

/* Split @line into words; ';' ends a command.  Returns the count. */
static int split(char *line, char **argv, char **rest)
{
	char *r = line, *w = line;
	int argc = 0, inword = 0;
	char q = 0;

	*rest = NULL;
	while (*r) {
		char ch = *r;

		if (!q && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
			if (inword) {
				*w++ = 0;
				inword = 0;
			}
			r++;
			continue;
		}
		if (!q && ch == ';') {
			*rest = r + 1;
			break;
		}
		if (!q && ch == '#' && !inword)
			break;
		if (!inword) {
			if (argc >= MAXARGS - 1)
				break;
			argv[argc++] = w;
			inword = 1;
		}
		if (!q && (ch == '\'' || ch == '"')) {
			q = ch;
			r++;
			continue;
		}
		if (q && ch == q) {
			q = 0;
			r++;
			continue;
		}
		if (ch == '\\' && q != '\'' && r[1]) {
			r++;
			ch = *r;
		}
		*w++ = ch;
		r++;
	}
	if (inword)
		*w = 0;
	argv[argc] = NULL;
	return argc;
}

static int run_one(struct shell *s, int argc, char **argv)
{
	const char *c = argv[0];

	if (!strcmp(c, "help") || !strcmp(c, "?")) {
		help();
		return 0;
	}
	if (!strcmp(c, "exit") || !strcmp(c, "quit")) {
		s->done = 1;
		s->exit_code = argc > 1 ? atoi(argv[1]) : s->last;
		return 0;
	}
	if (!strcmp(c, "ls"))
		return cmd_ls(s, argc, argv);
	if (!strcmp(c, "cat"))
		return cmd_cat(s, argc, argv);
	if (!strcmp(c, "stat"))
		return cmd_stat(s, argc, argv);
	if (!strcmp(c, "write"))
		return cmd_write(s, argc, argv, 0);
	if (!strcmp(c, "append"))
		return cmd_write(s, argc, argv, 1);
	if (!strcmp(c, "touch"))
		return cmd_touch(s, argc, argv);
	if (!strcmp(c, "mkdir"))
		return cmd_mkdir(s, argc, argv);
	if (!strcmp(c, "rmdir"))
		return cmd_rmdir(s, argc, argv);
	if (!strcmp(c, "rm"))
		return cmd_rm(s, argc, argv);
	if (!strcmp(c, "mv"))
		return cmd_mv(s, argc, argv);
	if (!strcmp(c, "ln"))
		return cmd_ln(s, argc, argv);
	if (!strcmp(c, "readlink"))
		return cmd_readlink(s, argc, argv);
	if (!strcmp(c, "truncate"))
		return cmd_truncate(s, argc, argv);
	if (!strcmp(c, "cd"))
		return cmd_cd(s, argc, argv);
	if (!strcmp(c, "pwd"))
		return cmd_pwd(s);
	if (!strcmp(c, "mounts"))
		return cmd_mounts(s);
	if (!strcmp(c, "info"))
		return cmd_info(s);
	if (!strcmp(c, "stats"))
		return cmd_stats(s);
	if (!strcmp(c, "drop")) {
		fc_vfs_drop_caches(s->t.vfs);
		return 0;
	}
	fflush(stdout);
	fprintf(stderr, "%s: unknown command (try help)\n", c);
	return 1;
}

/* Run every command of @line; non-zero if the shell should stop. */
static int run_line(struct shell *s, char *line)
{
	char *argv[MAXARGS], *rest = line;
	int argc;

	while (rest && !s->done) {
		argc = split(rest, argv, &rest);
		if (argc == 0)
			continue;
		s->last = run_one(s, argc, argv);
		fflush(stdout);
		if (!cli_target_alive(&s->t)) {
			fprintf(stderr, "fusecore sh: the daemon went away\n");
			s->done = 1;
			s->exit_code = CLI_EXIT_DAEMON_DIED;
			return 1;
		}
		if (s->last && s->errexit) {
			s->done = 1;
			s->exit_code = CLI_EXIT_FAILED;
			return 1;
		}
	}
	return s->done;
}

static void prompt(struct shell *s, char *buf, size_t size)
{
	char cwd[256];

	if (fc_sys_getcwd(s->p, cwd, sizeof(cwd)) < 0)
		cli_fmt(cwd, sizeof(cwd), "?");
	cli_fmt(buf, size, "fusecore:%s%s ", cwd, s->last ? " [1]$" : "$");
}

int cli_sh_main(int argc, char **argv)
{
	struct cli_target_opts o;
	struct shell s;
	const char *commands = NULL;
	int i, r, code;

	memset(&s, 0, sizeof(s));
	cli_target_opts_default(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		if (!strcmp(a, "-e")) {
			s.errexit = 1;
			continue;
		}
		if (!strcmp(a, "-c")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "fusecore sh: -c needs commands\n");
				return CLI_EXIT_USAGE;
			}
			commands = argv[++i];
			continue;
		}
		r = cli_target_parse(&o, argc, argv, &i);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0) {
			if (a[0] == '-') {
				fprintf(stderr, "fusecore sh: unknown option %s\n", a);
				return CLI_EXIT_USAGE;
			}
			break;	/* the daemon command without "--" */
		}
	}
	o.argv = argv + i;
	o.argc = argc - i;
	if (o.transport == CLI_TRANSPORT_FD && o.argc < 1) {
		fprintf(stderr, "fusecore sh: no daemon command (fusecore sh -- DAEMON ARGS...)\n");
		return CLI_EXIT_USAGE;
	}
	code = cli_target_up(&s.t, &o);
	if (code != CLI_EXIT_OK) {
		fprintf(stderr, "fusecore sh: %s\n", s.t.message);
		cli_target_show_log(&s.t, stderr, 10);
		return code;
	}
	s.p = s.t.proc;
	fc_sys_chdir(s.p, o.mountpoint);
	s.interactive = !commands && isatty(STDIN_FILENO);

	if (commands) {
		char *copy = strdup(commands), *line, *save = NULL;

		for (line = strtok_r(copy, "\n", &save); line && !s.done;
		     line = strtok_r(NULL, "\n", &save))
			run_line(&s, line);
		free(copy);
		if (!s.done)
			s.exit_code = s.last;
	} else if (s.interactive) {
		char pbuf[300];

		printf("fusecore sh: %s over %s, mounted on %s (type help)\n", s.t.name,
		       s.t.transport_desc, o.mountpoint);
		using_history();
		while (!s.done) {
			char *line;

			prompt(&s, pbuf, sizeof(pbuf));
			line = readline(pbuf);
			if (!line) {
				printf("\n");
				s.exit_code = s.last;
				break;
			}
			if (line[strspn(line, " \t")])
				add_history(line);
			run_line(&s, line);
			free(line);
		}
	} else {
		char *line = NULL;
		size_t cap = 0;

		while (!s.done && getline(&line, &cap, stdin) > 0)
			run_line(&s, line);
		free(line);
		if (!s.done)
			s.exit_code = s.last;
	}
	s.p = NULL;
	r = cli_target_down(&s.t);
	if (r != CLI_EXIT_OK) {
		fprintf(stderr, "fusecore sh: %s\n", s.t.message);
		cli_target_show_log(&s.t, stderr, 10);
		if (s.exit_code == CLI_EXIT_OK)
			s.exit_code = r;
	}
	return s.exit_code;
}
