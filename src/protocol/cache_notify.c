/*
 * Notifications that act on the page cache (dev.c
 * fuse_reverse_inval_inode, fuse_notify_store, fuse_notify_retrieve /
 * fuse_retrieve).  They run on the transport's receive path -- on a host
 * without threads, inside some other request's wait -- so nothing here
 * blocks on the cache: pages that are locked or under writeback are left
 * to drop themselves, and writeback of dirty pages is only started.
 */
#include <errno.h>
#include <string.h>

#include "cache_i.h"

static int inval_inode(struct fc_client *cl, const void *payload)
{
	struct fc_notify_inval_inode_out o;
	struct fc_node *n;

	memcpy(&o, payload, sizeof(o));
	n = fc_node_find(cl, o.ino);
	if (!n)
		return -ENOENT;
	/* fuse_reverse_inval_inode: the attributes first ... */
	fc_client_lock(cl);
	n->attr_deadline = 0;
	fc_node_attr_changed_locked(cl, n);
	fc_client_unlock(cl);
	/* ... then, with off >= 0, [off, off + len) of the pages (to EOF if len <= 0). */
	if (o.off >= 0 && n->cache) {
		struct fc_cnode *cn = n->cache;
		uint64_t first = (uint64_t)o.off >> FC_PC_PAGE_SHIFT;
		uint64_t last = FC_PC_INDEX_MAX;

		if (o.len > 0 && (uint64_t)o.len <= (uint64_t)INT64_MAX - (uint64_t)o.off)
			last = ((uint64_t)o.off + (uint64_t)o.len - 1) >> FC_PC_PAGE_SHIFT;
		cn->cc->ops->invalidate_range(cn->m, first, last,
					      FC_PC_INVAL_NOWAIT);
	}
	fc_node_put(cl, n);
	return 0;
}

/* fuse_notify_store: the daemon pushes data into the cache. */
static int store(struct fc_client *cl, const void *payload, size_t len)
{
	struct fc_notify_store_out o;
	const unsigned char *data = (const unsigned char *)payload + sizeof(o);
	struct fc_cnode *cn;
	const struct fc_pc_ops *ops;
	uint64_t end, fsize, index, done = 0;
	struct fc_node *n;
	size_t in;

	memcpy(&o, payload, sizeof(o));
	if (len - sizeof(o) != o.size)
		return -EINVAL;
	if (o.offset > (uint64_t)INT64_MAX ||
	    o.size > (uint64_t)INT64_MAX - o.offset)
		return -EINVAL;
	n = fc_node_find(cl, o.nodeid);
	if (!n)
		return -ENOENT;
	if (!cl->cache) {
		/* No page cache: the data has nowhere to go. */
		fc_node_put(cl, n);
		return 0;
	}
	fc_client_lock(cl);
	if (!cc_is_reg(n)) {
		fc_client_unlock(cl);
		fc_node_put(cl, n);
		return -EINVAL;
	}
	/* The cached size grows to cover the data (fuse_write_update_attr). */
	end = o.offset + o.size;
	fsize = n->attr.size;
	if (end > fsize) {
		fc_node_written_locked(cl, n, end);
		fsize = end;
	}
	fc_client_unlock(cl);
	cn = fc_cnode_get(cl, n);
	if (!cn) {
		fc_node_put(cl, n);
		return cl->cache ? -ENOMEM : 0;
	}
	ops = cn->cc->ops;
	index = o.offset >> FC_PC_PAGE_SHIFT;
	in = (size_t)(o.offset & (FC_PC_PAGE_SIZE - 1));
	while (done < o.size) {
		size_t nr = FC_PC_PAGE_SIZE - in;
		struct fc_page *pg;
		int err;

		if (nr > o.size - done)
			nr = (size_t)(o.size - done);
		pg = ops->page_get(cn->m, index,
				   FC_PGET_CREATE | FC_PGET_LOCK | FC_PGET_NOWAIT,
				   &err);
		if (!pg && err == -ENOMEM) {
			fc_node_put(cl, n);
			return err;
		}
		/*
		 * A page someone holds locked is being filled by a READ that
		 * answers with the daemon's data anyway; a page a WRITE carries
		 * must not change.  Both are left alone.
		 */
		if (pg && !(ops->page_flags(pg) & FC_PG_WRITEBACK)) {
			unsigned flags = ops->page_flags(pg);

			memcpy((char *)ops->page_data(pg) + in, data + done, nr);
			if (!(flags & FC_PG_UPTODATE) && in == 0 &&
			    (nr == FC_PC_PAGE_SIZE || fsize == end)) {
				memset((char *)ops->page_data(pg) + nr, 0,
				       FC_PC_PAGE_SIZE - nr);
				ops->page_set_uptodate(pg, 1);
			}
		}
		if (pg) {
			ops->page_unlock(pg);
			ops->page_put(pg);
		}
		done += nr;
		in = 0;
		index++;
	}
	fc_node_put(cl, n);
	return 0;
}

/*
 * Send a request that takes no reply with the daemon's @unique
 * (fuse_request_send_notify_reply); the connection's own sends always
 * allocate a new unique.
 */
static int send_notify_reply(struct fc_conn *c, uint64_t nodeid,
			     uint64_t unique, const struct fc_iov *body,
			     unsigned nbody)
{
	struct fc_in_header h;
	struct fc_iov iov[4];
	struct fc_send_info info;
	uint32_t len = sizeof(h);
	unsigned i, n = 1;

	fc_lock(c);
	if (c->state != FC_CONN_READY) {
		int err = c->state == FC_CONN_ABORTED ? -ENOTCONN : -ECONNREFUSED;

		fc_unlock(c);
		return err;
	}
	c->stats.requests++;
	fc_unlock(c);
	for (i = 0; i < nbody && n < 4; i++) {
		if (!body[i].len)
			continue;
		iov[n++] = body[i];
		len += (uint32_t)body[i].len;
	}
	memset(&h, 0, sizeof(h));
	h.len = len;
	h.opcode = FC_NOTIFY_REPLY;
	h.unique = unique;
	h.nodeid = nodeid;
	iov[0].base = &h;
	iov[0].len = sizeof(h);
	memset(&info, 0, sizeof(info));
	info.opcode = FC_NOTIFY_REPLY;
	info.unique = unique;
	info.noreply = 1;
	info.reply_max = sizeof(struct fc_out_header);
	return c->tp->ops->send(c->tp, iov, n, &info);
}

/* fuse_retrieve: the cached data of a range goes back to the daemon. */
static int retrieve(struct fc_client *cl, const void *payload)
{
	const struct fc_conn_info *ci = fc_cl_info(cl);
	const struct fc_platform *p = cl->plat;
	struct fc_notify_retrieve_out o;
	struct fc_notify_retrieve_in ri;
	struct fc_iov body[2];
	unsigned char *buf = NULL;
	uint64_t fsize, num, index, total = 0, npages, got = 0;
	struct fc_node *n;
	size_t in;
	int err;

	memcpy(&o, payload, sizeof(o));
	n = fc_node_find(cl, o.nodeid);
	if (!n)
		return -ENOENT;
	fsize = fc_cc_isize(cl, n);
	in = (size_t)(o.offset & (FC_PC_PAGE_SIZE - 1));
	num = o.size < ci->max_write ? o.size : ci->max_write;
	if (o.offset > fsize)
		num = 0;
	else if (o.offset + num > fsize)
		num = fsize - o.offset;
	npages = (num + in + FC_PC_PAGE_SIZE - 1) >> FC_PC_PAGE_SHIFT;
	if (npages > ci->max_pages)
		npages = ci->max_pages;
	if (num) {
		buf = p->alloc(p->ctx, (size_t)npages * FC_PC_PAGE_SIZE);
		if (!buf) {
			fc_node_put(cl, n);
			return -ENOMEM;
		}
	}
	index = o.offset >> FC_PC_PAGE_SHIFT;
	if (n->cache) {
		const struct fc_pc_ops *ops = n->cache->cc->ops;
		struct fc_mapping *m = n->cache->m;

		/* Up to the first page that is missing or not up to date. */
		while (num && got < npages) {
			size_t nr = FC_PC_PAGE_SIZE - in;
			struct fc_page *pg = ops->page_get(m, index, 0, NULL);

			if (!pg)
				break;
			if (!(ops->page_flags(pg) & FC_PG_UPTODATE)) {
				ops->page_put(pg);
				break;
			}
			if (nr > num)
				nr = (size_t)num;
			memcpy(buf + total, (char *)ops->page_data(pg) + in, nr);
			ops->page_put(pg);
			total += nr;
			num -= nr;
			in = 0;
			index++;
			got++;
		}
	}
	memset(&ri, 0, sizeof(ri));
	ri.offset = o.offset;
	ri.size = (uint32_t)total;
	body[0].base = &ri;
	body[0].len = sizeof(ri);
	body[1].base = buf;
	body[1].len = (size_t)total;
	err = send_notify_reply(cl->conn, o.nodeid, o.notify_unique, body, 2);
	p->free(p->ctx, buf);
	fc_node_put(cl, n);
	return err;
}

int fc_cache_notify(struct fc_client *cl, uint32_t code, const void *payload,
		    size_t len)
{
	switch (code) {
	case FC_NOTIFY_INVAL_INODE:
		if (len != sizeof(struct fc_notify_inval_inode_out))
			return -EINVAL;
		return inval_inode(cl, payload);
	case FC_NOTIFY_STORE:
		if (len < sizeof(struct fc_notify_store_out))
			return -EINVAL;
		return store(cl, payload, len);
	case FC_NOTIFY_RETRIEVE:
		if (len != sizeof(struct fc_notify_retrieve_out))
			return -EINVAL;
		/* Without a page cache there is nobody to answer. */
		if (!cl->cache)
			return -ENOSYS;
		return retrieve(cl, payload);
	default:
		return -ENOSYS;
	}
}
