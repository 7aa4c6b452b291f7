/*
 * fc-preload.so - an LD_PRELOAD shim for the launcher's FC_LAUNCH_PRELOAD
 * mode (fusecore/launch.h), for daemons that open("/dev/fuse") and call
 * mount(2) themselves (libfuse as root does; so do hand-written daemons).
 *
 *  - open/open64/openat/openat64 (and their _FORTIFY_SOURCE forms) of
 *    "/dev/fuse" return the launcher's socket, whose number is in
 *    $FUSECORE_PRELOAD_FD: the first time the fd itself, later a dup();
 *  - mount(2) of a filesystem type starting with "fuse" succeeds without
 *    doing anything, and the mountpoint is remembered;
 *  - umount(2) / umount2(2) of a remembered mountpoint succeed likewise.
 * Everything else goes to the real libc functions.  With
 * $FUSECORE_PRELOAD_LOG set, one line per intercepted call is appended.
 */
#undef _FORTIFY_SOURCE /* the wrappers below replace open() itself */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENV_FD "FUSECORE_PRELOAD_FD"
#define ENV_LOG "FUSECORE_PRELOAD_LOG"
#define MAX_MOUNTS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int handed_out;
static char *mounts[MAX_MOUNTS];

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*mount_fn)(const char *, const char *, const char *,
			unsigned long, const void *);
typedef int (*umount_fn)(const char *);
typedef int (*umount2_fn)(const char *, int);

static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void log_line(const char *fmt, ...)
{
	const char *path = getenv(ENV_LOG);
	open_fn ropen = (open_fn)real("open");
	char line[512];
	va_list ap;
	int fd, n;
	ssize_t w;

	if (!path || !*path || !ropen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fd = ropen(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	w = write(fd, line, (size_t)n);
	(void)w;
	close(fd);
}

static int is_dev_fuse(const char *path)
{
	return path && !strcmp(path, "/dev/fuse");
}

static int socket_fd(void)
{
	const char *s = getenv(ENV_FD);
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 1 << 20)
		return -1;
	return (int)v;
}

/* open("/dev/fuse"): the socket, or ENODEV if there is none. */
static int fake_open(int flags)
{
	int fd = socket_fd(), r;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		errno = ENODEV;
		return -1;
	}
	pthread_mutex_lock(&lock);
	if (!handed_out) {
		handed_out = 1;
		r = fd;
		fcntl(fd, F_SETFD, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	} else {
		r = fcntl(fd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	}
	pthread_mutex_unlock(&lock);
	log_line("open /dev/fuse -> %d", r);
	return r;
}

static mode_t va_mode(int flags, va_list ap)
{
	if (flags & (O_CREAT | O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

#define OPEN_WRAPPER(name)                                             \
	int name(const char *path, int flags, ...)                    \
	{                                                              \
		open_fn r;                                             \
		va_list ap;                                            \
		mode_t mode;                                           \
                                                                       \
		va_start(ap, flags);                                   \
		mode = va_mode(flags, ap);                             \
		va_end(ap);                                            \
		if (is_dev_fuse(path))                                 \
			return fake_open(flags);                       \
		r = (open_fn)real(#name);                              \
		if (!r) {                                              \
			errno = ENOSYS;                                \
			return -1;                                     \
		}                                                      \
		return r(path, flags, mode);                           \
	}

#define OPENAT_WRAPPER(name)                                           \
	int name(int dirfd, const char *path, int flags, ...)         \
	{                                                              \
		openat_fn r;                                           \
		va_list ap;                                            \
		mode_t mode;                                           \
                                                                       \
		va_start(ap, flags);                                   \
		mode = va_mode(flags, ap);                             \
		va_end(ap);                                            \
		if (is_dev_fuse(path))                                 \
			return fake_open(flags);                       \
		r = (openat_fn)real(#name);                            \
		if (!r) {                                              \
			errno = ENOSYS;                                \
			return -1;                                     \
		}                                                      \
		return r(dirfd, path, flags, mode);                    \
	}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* _FORTIFY_SOURCE forms: __open_2(path, flags) without a mode. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

int mount(const char *source, const char *target, const char *type,
	  unsigned long flags, const void *data)
{
	mount_fn r;

	if (type && !strncmp(type, "fuse", 4) && target) {
		unsigned i;

		pthread_mutex_lock(&lock);
		for (i = 0; i < MAX_MOUNTS; i++) {
			if (!mounts[i]) {
				mounts[i] = strdup(target);
				break;
			}
		}
		pthread_mutex_unlock(&lock);
		log_line("mount %s type=%s source=%s data=%s", target, type,
			 source ? source : "", data ? (const char *)data : "");
		return 0;
	}
	r = (mount_fn)real("mount");
	if (!r) {
		errno = ENOSYS;
		return -1;
	}
	return r(source, target, type, flags, data);
}

/* Forget @target if we faked its mount; 1 if it was ours. */
static int forget_mount(const char *target)
{
	unsigned i;
	int ours = 0;

	if (!target)
		return 0;
	pthread_mutex_lock(&lock);
	for (i = 0; i < MAX_MOUNTS; i++) {
		if (mounts[i] && !strcmp(mounts[i], target)) {
			free(mounts[i]);
			mounts[i] = NULL;
			ours = 1;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (ours)
		log_line("umount %s", target);
	return ours;
}

int umount2(const char *target, int flags)
{
	umount2_fn r;

	if (forget_mount(target))
		return 0;
	r = (umount2_fn)real("umount2");
	if (!r) {
		errno = ENOSYS;
		return -1;
	}
	return r(target, flags);
}

int umount(const char *target)
{
	umount_fn r;

	if (forget_mount(target))
		return 0;
	r = (umount_fn)real("umount");
	if (!r) {
		errno = ENOSYS;
		return -1;
	}
	return r(target);
}
