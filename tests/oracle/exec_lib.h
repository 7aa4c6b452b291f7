/*
 * exec_lib.h - the libfusecore executor (simulated VFS, fc_sys_*).
 */
#ifndef FC_ORACLE_EXEC_LIB_H
#define FC_ORACLE_EXEC_LIB_H

#include "exec.h"

struct fc_proc;

/* Where the runner mounts the FUSE client in the simulated namespace. */
#define ORA_LIB_MNT "/mnt"

void ora_exec_lib(struct fc_proc *p, const struct ora_op *ops, unsigned nops,
		  struct ora_result *res, int markers, struct ora_ws *ws);
void ora_tree_lib(struct fc_proc *p, char *tree, size_t cap, struct ora_ws *ws);

#endif /* FC_ORACLE_EXEC_LIB_H */
