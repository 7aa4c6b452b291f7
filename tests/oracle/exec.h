/*
 * exec.h - what the two executors share: workspaces and result builders.
 * Everything here is allocation-free and uses no stdio streams, so the
 * Linux executor can run in a child forked from a threaded process.
 */
#ifndef FC_ORACLE_EXEC_H
#define FC_ORACLE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "oracle.h"

#define ORA_DIRBUF 32768u      /* getdents buffer (glibc's opendir uses 32 KiB) */
#define ORA_MAXDENTS 512
#define ORA_TREE_MAX 16384

/* Preallocated buffers (allocated before any fork). */
struct ora_ws {
	unsigned char *wbuf;   /* ORA_DATA_MAX: data to write */
	unsigned char *rbuf;   /* ORA_DATA_MAX: data read */
	char *dbuf;            /* ORA_DIRBUF: directory records */
	char *names;           /* ORA_DIRBUF: names of a listing */
};

int ora_ws_alloc(struct ora_ws *ws);
void ora_ws_free(struct ora_ws *ws);

struct ora_dent {
	const char *name;
	unsigned char type;
};

void ora_res_ret(struct ora_result *r, int64_t ret);
void ora_res_bytes(struct ora_result *r, const void *p, size_t n);
void ora_res_stat(struct ora_result *r, uint32_t mode, uint32_t nlink, int64_t size,
		  uint32_t uid, uint32_t gid);
/* Sorts @d in place. */
void ora_res_listing(struct ora_result *r, struct ora_dent *d, unsigned n);
/* A NUL-separated name list (listxattr): sorted. */
void ora_res_namelist(struct ora_result *r, char *list, size_t len, struct ora_dent *tmp);
void ora_sort_dents(struct ora_dent *d, unsigned n);

/* Safe string helpers. */
void ora_strlcat(char *dst, const char *src, size_t cap);
void ora_path_join(char *dst, size_t cap, const char *base, const char *rel);
/* "%s %c %lld %016llx\n"-style tree line appended to @tree. */
void ora_tree_line(char *tree, size_t cap, const char *path, char type, int64_t size,
		   uint64_t hash);

/* The marker name before op @i (1-based), or the end marker (i == 0). */
void ora_marker_name(char *buf, size_t cap, unsigned i);

/* Run the ops on the real kernel below @mnt (in the forked child). */
void ora_exec_linux(const char *mnt, const struct ora_op *ops, unsigned nops,
		    struct ora_result *res, int markers, struct ora_ws *ws);
/* Walk @mnt after the run: the final tree (paths, sizes, content hashes). */
void ora_tree_linux(const char *mnt, char *tree, size_t cap, struct ora_ws *ws);

#endif /* FC_ORACLE_EXEC_H */
