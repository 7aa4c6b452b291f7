/*
 * toyfs.c - the daemon of the example: libfusecore's mock daemon
 * (fusecore/mock.h) in polled mode, with one catch-all expectation whose
 * responder is a small in-memory file system.
 *
 * In polled mode the memory transport runs the mock whenever the
 * connection waits, on the host's only thread: a request goes out, the
 * responder below answers it with fc_mock_write_reply(), the connection
 * validates the answer exactly as it would a real daemon's.  A host with
 * a real channel (a virtqueue, a /dev/fuse-like device) replaces this file
 * with a transport (fusecore/transport.h) and no daemon code at all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "embed.h"
#include "fusecore/proto.h"

#define MAXNODES 32
#define MAXDATA 65536

struct tnode {
	int used;
	uint64_t parent;
	char name[64];
	uint32_t mode;
	uint64_t size;
	unsigned char data[MAXDATA];
};

static struct tnode nodes[MAXNODES];  /* index = nodeid; 1 is the root */
static unsigned counts[64];
static uint64_t clock_s = 1700000000;

static void fill_attr(uint64_t id, struct fc_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = id;
	a->size = nodes[id].size;
	a->blocks = (nodes[id].size + 511) / 512;
	a->atime = a->mtime = a->ctime = clock_s;
	a->mode = nodes[id].mode;
	a->nlink = (nodes[id].mode & FC_S_IFMT) == FC_S_IFDIR ? 2 : 1;
	a->blksize = 4096;
}

static void reply(struct fc_mock *m, struct fc_mock_exp *exp, const struct fc_mock_req *r,
		  int error, const void *payload, size_t len)
{
	fc_mock_write_reply(m, exp, FC_MOCK_LEN_AUTO, error, r->hdr.unique, payload, len);
}

static void reply_entry(struct fc_mock *m, struct fc_mock_exp *exp,
			const struct fc_mock_req *r, uint64_t id)
{
	struct fc_entry_out eo;

	memset(&eo, 0, sizeof(eo));
	eo.nodeid = id;
	eo.entry_valid = 1;
	eo.attr_valid = 1;
	fill_attr(id, &eo.attr);
	reply(m, exp, r, 0, &eo, sizeof(eo));
}

static uint64_t find(uint64_t parent, const char *name)
{
	uint64_t i;

	for (i = 2; i < MAXNODES; i++)
		if (nodes[i].used && nodes[i].parent == parent && !strcmp(nodes[i].name, name))
			return i;
	return 0;
}

static uint64_t make(uint64_t parent, const char *name, uint32_t mode)
{
	uint64_t i;

	for (i = 2; i < MAXNODES; i++)
		if (!nodes[i].used) {
			memset(&nodes[i], 0, sizeof(nodes[i]));
			nodes[i].used = 1;
			nodes[i].parent = parent;
			snprintf(nodes[i].name, sizeof(nodes[i].name), "%s", name);
			nodes[i].mode = mode;
			return i;
		}
	return 0;
}

static void respond(struct fc_mock *m, struct fc_mock_exp *exp,
		    const struct fc_mock_req *r, void *ctx)
{
	uint32_t op = r->hdr.opcode;
	uint64_t id = r->hdr.nodeid;
	const char *body = r->body;

	(void)ctx;
	if (op < 64)
		counts[op]++;
	if (op == FC_FORGET || op == FC_BATCH_FORGET || op == FC_INTERRUPT)
		return;	/* no reply */
	if (op != FC_DESTROY && (id >= MAXNODES || !nodes[id].used)) {
		reply(m, exp, r, -ENOENT, NULL, 0);
		return;
	}
	switch (op) {
	case FC_LOOKUP: {
		uint64_t c = find(id, body);

		if (c)
			reply_entry(m, exp, r, c);
		else
			reply(m, exp, r, -ENOENT, NULL, 0);
		return;
	}
	case FC_GETATTR:
	case FC_SETATTR: {
		struct fc_attr_out ao;

		if (op == FC_SETATTR) {
			const struct fc_setattr_in *in = (const void *)body;

			if (in->valid & FC_FATTR_SIZE) {
				uint64_t sz = in->size < MAXDATA ? in->size : MAXDATA;

				if (sz > nodes[id].size)
					memset(nodes[id].data + nodes[id].size, 0, sz - nodes[id].size);
				nodes[id].size = sz;
			}
			if (in->valid & FC_FATTR_MODE)
				nodes[id].mode = (nodes[id].mode & FC_S_IFMT) | (in->mode & 07777);
		}
		memset(&ao, 0, sizeof(ao));
		ao.attr_valid = 1;
		fill_attr(id, &ao.attr);
		reply(m, exp, r, 0, &ao, sizeof(ao));
		return;
	}
	case FC_CREATE:
	case FC_MKDIR: {
		const char *name = body + (op == FC_CREATE ? sizeof(struct fc_create_in)
					   : sizeof(struct fc_mkdir_in));
		uint32_t mode = op == FC_CREATE
			? ((const struct fc_create_in *)(const void *)body)->mode
			: (((const struct fc_mkdir_in *)(const void *)body)->mode & 07777) | FC_S_IFDIR;
		uint64_t c = find(id, name);
		struct {
			struct fc_entry_out e;
			struct fc_open_out o;
		} out;

		if (c) {
			reply(m, exp, r, -EEXIST, NULL, 0);
			return;
		}
		c = make(id, name, mode);
		if (!c) {
			reply(m, exp, r, -ENOSPC, NULL, 0);
			return;
		}
		memset(&out, 0, sizeof(out));
		out.e.nodeid = c;
		out.e.entry_valid = out.e.attr_valid = 1;
		fill_attr(c, &out.e.attr);
		out.o.fh = c;
		reply(m, exp, r, 0, &out, op == FC_CREATE ? sizeof(out) : sizeof(out.e));
		return;
	}
	case FC_OPEN:
	case FC_OPENDIR: {
		struct fc_open_out oo;

		memset(&oo, 0, sizeof(oo));
		oo.fh = id;
		reply(m, exp, r, 0, &oo, sizeof(oo));
		return;
	}
	case FC_READ: {
		const struct fc_read_in *in = (const void *)body;
		uint64_t n = 0;

		if (in->offset < nodes[id].size)
			n = nodes[id].size - in->offset < in->size ? nodes[id].size - in->offset
								  : in->size;
		reply(m, exp, r, 0, nodes[id].data + in->offset, (size_t)n);
		return;
	}
	case FC_WRITE: {
		const struct fc_write_in *in = (const void *)body;
		struct fc_write_out wo;

		if (in->offset + in->size > MAXDATA) {
			reply(m, exp, r, -EFBIG, NULL, 0);
			return;
		}
		memcpy(nodes[id].data + in->offset, body + sizeof(*in), in->size);
		if (in->offset + in->size > nodes[id].size)
			nodes[id].size = in->offset + in->size;
		memset(&wo, 0, sizeof(wo));
		wo.size = in->size;
		reply(m, exp, r, 0, &wo, sizeof(wo));
		return;
	}
	case FC_READDIR: {
		const struct fc_read_in *in = (const void *)body;
		unsigned char buf[4096];
		size_t used = 0;
		uint64_t i;

		/* Cookies: the next nodeid to look at. */
		for (i = in->offset < 2 ? 2 : in->offset; i < MAXNODES; i++) {
			struct fc_dirent d;
			size_t nl, rec;

			if (!nodes[i].used || nodes[i].parent != id)
				continue;
			nl = strlen(nodes[i].name);
			rec = FC_DIRENT_ALIGN(FC_NAME_OFFSET + nl);
			if (used + rec > in->size || used + rec > sizeof(buf))
				break;
			memset(buf + used, 0, rec);
			d.ino = i;
			d.off = i + 1;
			d.namelen = (uint32_t)nl;
			d.type = (nodes[i].mode & FC_S_IFMT) >> 12;
			memcpy(buf + used, &d, FC_NAME_OFFSET);
			memcpy(buf + used + FC_NAME_OFFSET, nodes[i].name, nl);
			used += rec;
		}
		reply(m, exp, r, 0, buf, used);
		return;
	}
	case FC_UNLINK: {
		uint64_t c = find(id, body);

		if (c)
			nodes[c].used = 0;
		reply(m, exp, r, c ? 0 : -ENOENT, NULL, 0);
		return;
	}
	case FC_STATFS: {
		struct fc_statfs_out so;

		memset(&so, 0, sizeof(so));
		so.st.blocks = 1024;
		so.st.bfree = so.st.bavail = 512;
		so.st.bsize = so.st.frsize = 4096;
		so.st.namelen = 63;
		reply(m, exp, r, 0, &so, sizeof(so));
		return;
	}
	case FC_FLUSH:
	case FC_RELEASE:
	case FC_RELEASEDIR:
	case FC_FSYNC:
	case FC_DESTROY:
		reply(m, exp, r, 0, NULL, 0);
		return;
	default:
		reply(m, exp, r, -ENOSYS, NULL, 0);
	}
}

void toyfs_attach(struct fc_mock *m, int writeback)
{
	struct fc_init_out io;
	struct fc_mock_exp *any;

	memset(nodes, 0, sizeof(nodes));
	memset(counts, 0, sizeof(counts));
	nodes[1].used = 1;
	nodes[1].mode = FC_S_IFDIR | 0755;
	fc_mock_init_out(&io, FC_ASYNC_READ | FC_BIG_WRITES | FC_MAX_PAGES |
			 (writeback ? FC_WRITEBACK_CACHE : 0));
	fc_mock_expect_init(m, &io);
	any = fc_mock_expect(m, FC_MOCK_ANY_OPCODE, FC_MOCK_ANY_NODEID);
	fc_mock_exp_times(any, FC_MOCK_UNLIMITED);
	fc_mock_exp_respond(any, respond, NULL);
}

/* The opcodes this file system serves, for the summary. */
static const char *op_name(unsigned op)
{
	switch (op) {
	case FC_LOOKUP: return "LOOKUP";
	case FC_FORGET: return "FORGET";
	case FC_GETATTR: return "GETATTR";
	case FC_SETATTR: return "SETATTR";
	case FC_MKDIR: return "MKDIR";
	case FC_UNLINK: return "UNLINK";
	case FC_OPEN: return "OPEN";
	case FC_READ: return "READ";
	case FC_WRITE: return "WRITE";
	case FC_STATFS: return "STATFS";
	case FC_RELEASE: return "RELEASE";
	case FC_FSYNC: return "FSYNC";
	case FC_FLUSH: return "FLUSH";
	case FC_OPENDIR: return "OPENDIR";
	case FC_READDIR: return "READDIR";
	case FC_RELEASEDIR: return "RELEASEDIR";
	case FC_CREATE: return "CREATE";
	case FC_DESTROY: return "DESTROY";
	case FC_BATCH_FORGET: return "BATCH_FORGET";
	}
	return NULL;
}

void toyfs_summary(char *buf, size_t size)
{
	size_t n = 0;
	unsigned i;

	buf[0] = 0;
	for (i = 1; i < 64 && n < size; i++) {
		if (!counts[i])
			continue;
		if (op_name(i))
			n += (size_t)snprintf(buf + n, size - n, "%s%s %u", n ? ", " : "",
					      op_name(i), counts[i]);
		else
			n += (size_t)snprintf(buf + n, size - n, "%sopcode %u: %u", n ? ", " : "",
					      i, counts[i]);
	}
}
