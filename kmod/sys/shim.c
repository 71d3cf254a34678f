// SPDX-License-Identifier: GPL-2.0
/*
 * C shim of iscsi_init: see shim.h. Wrappers and statics only.
 */
#include <linux/blkdev.h>
#include <linux/bvec.h>
#include <linux/compat.h>
#include <linux/crc32c.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/timekeeping.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include "shim.h"

const struct file_operations iscsi_init_fops = {
	.owner = THIS_MODULE,
	.open = iscsi_init_rust_open,
	.release = iscsi_init_rust_release,
	.unlocked_ioctl = iscsi_init_rust_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* ---- SCSI host template and its sysfs attributes ---- */

#define ISCSI_INIT_SHOST_ATTR(_name, _which)					\
static ssize_t _name##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	return iscsi_init_rust_shost_show(class_to_shost(dev), _which, buf);	\
}										\
static DEVICE_ATTR_RO(_name)

/* The attributes: name and ISCSI_INIT_ATTR_* selector, listed once. */
#define ISCSI_INIT_SHOST_ATTRS(X)						\
	X(iscsi_session_id, ISCSI_INIT_ATTR_SESSION_ID)				\
	X(iscsi_state, ISCSI_INIT_ATTR_STATE)					\
	X(iscsi_target_name, ISCSI_INIT_ATTR_TARGET_NAME)			\
	X(iscsi_portal, ISCSI_INIT_ATTR_PORTAL)					\
	X(iscsi_initiator_name, ISCSI_INIT_ATTR_INITIATOR_NAME)			\
	X(iscsi_params, ISCSI_INIT_ATTR_PARAMS)					\
	X(iscsi_session_state, ISCSI_INIT_ATTR_SESSION_STATE)			\
	X(iscsi_conn_state, ISCSI_INIT_ATTR_CONN_STATE)

#define ISCSI_INIT_SHOST_ATTR_RW(_name, _which)					\
static ssize_t _name##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	return iscsi_init_rust_shost_show(class_to_shost(dev), _which, buf);	\
}										\
static ssize_t _name##_store(struct device *dev, struct device_attribute *attr,	\
			     const char *buf, size_t len)			\
{										\
	return iscsi_init_rust_shost_store(class_to_shost(dev), _which, buf, len); \
}										\
static DEVICE_ATTR_RW(_name)

/* Read-only recovery and data path figures. */
#define ISCSI_INIT_SHOST_RECOVERY_ATTRS(X)					\
	X(iscsi_io_state, ISCSI_INIT_ATTR_IO_STATE)				\
	X(iscsi_state_seconds, ISCSI_INIT_ATTR_STATE_SECONDS)			\
	X(iscsi_recoveries, ISCSI_INIT_ATTR_RECOVERIES)				\
	X(iscsi_last_failure, ISCSI_INIT_ATTR_LAST_FAILURE)			\
	X(iscsi_tx_inline_sends, ISCSI_INIT_ATTR_TX_INLINE_SENDS)		\
	X(iscsi_tx_work_sends, ISCSI_INIT_ATTR_TX_WORK_SENDS)			\
	X(iscsi_rx_thread_reads, ISCSI_INIT_ATTR_RX_THREAD_READS)		\
	X(iscsi_tx_copied_bytes, ISCSI_INIT_ATTR_TX_COPIED_BYTES)

/* Writable timers (seconds) and the inline-send switch (0 or 1). */
#define ISCSI_INIT_SHOST_TIMER_ATTRS(X)						\
	X(iscsi_replacement_timeout, ISCSI_INIT_ATTR_REPLACEMENT_TIMEOUT)	\
	X(iscsi_noop_out_interval, ISCSI_INIT_ATTR_NOOP_OUT_INTERVAL)		\
	X(iscsi_noop_out_timeout, ISCSI_INIT_ATTR_NOOP_OUT_TIMEOUT)		\
	X(iscsi_abort_timeout, ISCSI_INIT_ATTR_ABORT_TIMEOUT)			\
	X(iscsi_lu_reset_timeout, ISCSI_INIT_ATTR_LU_RESET_TIMEOUT)		\
	X(iscsi_tgt_reset_timeout, ISCSI_INIT_ATTR_TGT_RESET_TIMEOUT)		\
	X(iscsi_tx_inline, ISCSI_INIT_ATTR_TX_INLINE)

#define ISCSI_INIT_SHOST_ATTR_DEFINE(_name, _which) ISCSI_INIT_SHOST_ATTR(_name, _which);
#define ISCSI_INIT_SHOST_ATTR_RW_DEFINE(_name, _which) ISCSI_INIT_SHOST_ATTR_RW(_name, _which);
#define ISCSI_INIT_SHOST_ATTR_REF(_name, _which) &dev_attr_##_name.attr,

ISCSI_INIT_SHOST_ATTRS(ISCSI_INIT_SHOST_ATTR_DEFINE)
ISCSI_INIT_SHOST_RECOVERY_ATTRS(ISCSI_INIT_SHOST_ATTR_DEFINE)
ISCSI_INIT_SHOST_TIMER_ATTRS(ISCSI_INIT_SHOST_ATTR_RW_DEFINE)

static struct attribute *iscsi_init_shost_attrs[] = {
	ISCSI_INIT_SHOST_ATTRS(ISCSI_INIT_SHOST_ATTR_REF)
	ISCSI_INIT_SHOST_RECOVERY_ATTRS(ISCSI_INIT_SHOST_ATTR_REF)
	ISCSI_INIT_SHOST_TIMER_ATTRS(ISCSI_INIT_SHOST_ATTR_REF)
	NULL,
};
ATTRIBUTE_GROUPS(iscsi_init_shost);

static int iscsi_init_device_configure(struct scsi_device *sdev, struct queue_limits *lim)
{
	unsigned int secs = iscsi_init_rust_cmd_timeout(sdev->host);

	if (secs)
		blk_queue_rq_timeout(sdev->request_queue, secs * HZ);
	/*
	 * With DataDigest the CRC32C is computed over the pages apart from the
	 * send: a page changed in between (rewritten while under writeback)
	 * would go out with a wrong digest, which the target answers by
	 * dropping the connection. Stable pages keep writeback pages unchanged
	 * until the write completes, as iscsi_tcp and nvme-tcp ask with their
	 * data digests.
	 */
	if (iscsi_init_rust_stable_writes(sdev->host))
		lim->features |= BLK_FEAT_STABLE_WRITES;
	/*
	 * No WRITE SAME for a device older than SPC-3. The midlayer does not
	 * ask such a device which commands it supports (scsi_report_opcode()),
	 * and sd then guesses that WRITE SAME(10) works (sd_config_write_same,
	 * "no_report_opcodes"). NetBSD's iscsi-target (ANSI version 3) drops
	 * the connection on it, so every mkfs.ext4 hangs in recovery, as it
	 * does over iscsi_tcp. Without it, zeroing is done with WRITEs. A
	 * write to max_write_same_blocks in sysfs turns it back on.
	 */
	if (sdev->scsi_level < SCSI_SPC_3)
		sdev->no_write_same = 1;
	return 0;
}

static struct scsi_host_template iscsi_init_sht = {
	.module = THIS_MODULE,
	.name = "iscsi_init",
	.proc_name = "iscsi_init",
	.queuecommand = iscsi_init_rust_queuecommand,
	.eh_abort_handler = iscsi_init_rust_eh_abort,
	.eh_device_reset_handler = iscsi_init_rust_eh_device_reset,
	.eh_target_reset_handler = iscsi_init_rust_eh_target_reset,
	.eh_host_reset_handler = iscsi_init_rust_eh_host_reset,
	/* Our host reset returns once the session is logged in again: no bus to settle. */
	.skip_settle_delay = 1,
	.device_configure = iscsi_init_device_configure,
	.cmd_size = sizeof(u32),
	.change_queue_depth = scsi_change_queue_depth,
	.can_queue = 128,
	.this_id = -1,
	.sg_tablesize = SG_ALL,
	.max_sectors = 0xFFFF,
	.cmd_per_lun = 32,
	.track_queue_depth = 1,
	.shost_groups = iscsi_init_shost_groups,
};

/*
 * tx_inline=1: queuecommand may send inline, which sleeps for socket room, so
 * the hosts created while it is set are queuecommand_may_block (blk-mq then
 * calls queuecommand only where it may sleep, BLK_MQ_F_BLOCKING, as nvme-tcp's
 * queue_rq). Off by default: request-based device-mapper (dm-multipath)
 * cannot stack on such a queue; its blk_insert_cloned_request() issues to
 * the path under dm's RCU read lock ("sleeping function called from invalid
 * context").
 */
static bool tx_inline;
module_param(tx_inline, bool, 0644);
MODULE_PARM_DESC(tx_inline,
		 "new sessions may send commands inline from queuecommand (not under dm-multipath; default 0)");

bool iscsi_init_host_may_block(struct Scsi_Host *shost)
{
	return shost->queuecommand_may_block;
}

struct Scsi_Host *iscsi_init_host_alloc(unsigned int can_queue, short cmd_per_lun,
					unsigned int max_sectors, size_t priv_size)
{
	struct Scsi_Host *shost = scsi_host_alloc(&iscsi_init_sht, priv_size);

	if (!shost)
		return NULL;
	shost->can_queue = can_queue;
	shost->cmd_per_lun = cmd_per_lun;
	shost->max_sectors = max_sectors;
	shost->max_id = 1;
	shost->max_channel = 0;
	shost->max_lun = ~0ULL;
	shost->max_cmd_len = 16;
	shost->nr_hw_queues = 1;
	/* Read by scsi_add_host() when it sets up the tag set. */
	shost->queuecommand_may_block = READ_ONCE(tx_inline);
	return shost;
}

int iscsi_init_host_add(struct Scsi_Host *shost)
{
	return scsi_add_host(shost, NULL);
}

void *iscsi_init_host_priv(struct Scsi_Host *shost)
{
	return shost_priv(shost);
}

u32 *iscsi_init_cmd_refs(struct scsi_cmnd *cmd)
{
	return scsi_cmd_priv(cmd);
}

unsigned int iscsi_init_host_no(struct Scsi_Host *shost)
{
	return shost->host_no;
}

void iscsi_init_host_block(struct Scsi_Host *shost)
{
	scsi_block_targets(shost, &shost->shost_gendev);
}

void iscsi_init_host_unblock(struct Scsi_Host *shost, bool offline)
{
	scsi_target_unblock(&shost->shost_gendev, offline ? SDEV_TRANSPORT_OFFLINE : SDEV_RUNNING);
}

/* ---- time ---- */

u64 iscsi_init_now_ms(void)
{
	return ktime_to_ms(ktime_get_boottime());
}

/* ---- SCSI commands ---- */

void iscsi_init_cmd_info(struct scsi_cmnd *cmd, struct iscsi_init_cmd_info *info)
{
	struct scsi_lun lun;

	info->cdb = cmd->cmnd;
	info->cdb_len = cmd->cmd_len;
	info->bufflen = scsi_bufflen(cmd);
	info->tag = blk_mq_unique_tag_to_tag(blk_mq_unique_tag(scsi_cmd_to_rq(cmd)));
	switch (cmd->sc_data_direction) {
	case DMA_TO_DEVICE:
		info->dir = 1;
		break;
	case DMA_FROM_DEVICE:
		info->dir = 2;
		break;
	case DMA_BIDIRECTIONAL:
		info->dir = 3;
		break;
	default:
		info->dir = 0;
	}
	int_to_scsilun(cmd->device->lun, &lun);
	memcpy(info->lun, lun.scsi_lun, 8);
}

void iscsi_init_cmd_lun(struct scsi_cmnd *cmd, u8 *lun)
{
	struct scsi_lun l;

	int_to_scsilun(cmd->device->lun, &l);
	memcpy(lun, l.scsi_lun, 8);
}

u32 iscsi_init_cmd_tag(struct scsi_cmnd *cmd)
{
	struct request *rq = scsi_cmd_to_rq(cmd);

	/* The command of a reset ioctl (scsi_ioctl_reset) has no hardware queue. */
	if (!rq->mq_hctx)
		return U32_MAX;
	return blk_mq_unique_tag_to_tag(blk_mq_unique_tag(rq));
}

struct Scsi_Host *iscsi_init_cmd_host(struct scsi_cmnd *cmd)
{
	return cmd->device->host;
}

void iscsi_init_cmd_complete(struct scsi_cmnd *cmd, u8 host_byte, u8 status, u32 resid,
			     const u8 *sense, u32 sense_len)
{
	cmd->result = (host_byte << 16) | status;
	scsi_set_resid(cmd, resid);
	if (sense && sense_len) {
		memcpy(cmd->sense_buffer, sense, min_t(u32, sense_len, SCSI_SENSE_BUFFERSIZE));
	}
	scsi_done(cmd);
}

/* ---- sockets ---- */

struct socket *iscsi_init_sock_lookup(int fd, int *err)
{
	struct socket *sock = sockfd_lookup(fd, err);

	if (!sock)
		return NULL;
	if (sock->type != SOCK_STREAM || !sock->sk || sock->sk->sk_protocol != IPPROTO_TCP ||
	    (sock->sk->sk_family != AF_INET && sock->sk->sk_family != AF_INET6)) {
		sockfd_put(sock);
		*err = -ENOTSOCK;
		return NULL;
	}
	if (sock->sk->sk_state != TCP_ESTABLISHED) {
		sockfd_put(sock);
		*err = -ENOTCONN;
		return NULL;
	}
	return sock;
}

void iscsi_init_sock_setup(struct socket *sock)
{
	struct sock *sk = sock->sk;

	/* As nbd and iscsi_tcp: the socket must make progress under memory pressure. */
	lock_sock(sk);
	sk->sk_allocation = GFP_NOIO | __GFP_MEMALLOC;
	sk->sk_use_task_frag = false;
	sk_set_memalloc(sk);
	release_sock(sk);
	tcp_sock_set_nodelay(sk);
}

/*
 * tx_batch=1 (default): a sender that already sees more PDUs to send sends a
 * PDU's last bytes with MSG_MORE, so a burst shares TCP segments; the end of
 * the burst goes out with a push. 0 pushes every PDU on its own (for A/B
 * measurements; read at every send).
 */
static bool tx_batch = true;
module_param(tx_batch, bool, 0644);
MODULE_PARM_DESC(tx_batch, "coalesce a burst of PDUs into TCP segments with MSG_MORE (default 1)");

bool iscsi_init_tx_batch(void)
{
	return READ_ONCE(tx_batch);
}

void iscsi_init_sock_push(struct socket *sock)
{
	/* Sets nothing new (nodelay is on): pushes what MSG_MORE held back. */
	tcp_sock_set_nodelay(sock->sk);
}

void iscsi_init_sock_put(struct socket *sock)
{
	sockfd_put(sock);
}

void iscsi_init_sock_shutdown(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
}

int iscsi_init_sock_peer(struct socket *sock, char *buf, unsigned int len)
{
	struct sockaddr_storage addr;
	int ret = kernel_getpeername(sock, (struct sockaddr *)&addr);

	if (ret < 0)
		return ret;
	return snprintf(buf, len, "%pISpc", &addr);
}

static int iscsi_init_sendmsg(struct socket *sock, struct msghdr *msg)
{
	unsigned int noreclaim = memalloc_noreclaim_save();
	int ret = 0;

	while (msg_data_left(msg)) {
		ret = sock_sendmsg(sock, msg);
		if (ret <= 0) {
			if (ret == 0)
				ret = -EPIPE;
			break;
		}
		ret = 0;
	}
	memalloc_noreclaim_restore(noreclaim);
	return ret;
}

int iscsi_init_sock_send_buf(struct socket *sock, const void *buf, unsigned int len, bool more)
{
	struct kvec kv = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) };

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &kv, 1, len);
	return iscsi_init_sendmsg(sock, &msg);
}

/*
 * Walks the command's scatterlist from byte `offset` for `len` bytes, calling
 * fn on each page fragment. Stops at the first error.
 */
static int iscsi_init_sg_walk(struct scsi_cmnd *cmd, u32 offset, u32 len,
			      int (*fn)(void *ctx, struct page *page, u32 off, u32 n, bool last),
			      void *ctx)
{
	struct scatterlist *sg;
	int i, ret;

	if ((u64)offset + len > scsi_bufflen(cmd))
		return -EINVAL;
	scsi_for_each_sg(cmd, sg, scsi_sg_count(cmd), i) {
		u32 sglen = sg->length, pos;

		if (!len)
			break;
		if (offset >= sglen) {
			offset -= sglen;
			continue;
		}
		pos = sg->offset + offset;
		sglen -= offset;
		offset = 0;
		while (sglen && len) {
			struct page *page = nth_page(sg_page(sg), pos >> PAGE_SHIFT);
			u32 poff = offset_in_page(pos);
			u32 n = min3(sglen, len, (u32)PAGE_SIZE - poff);

			ret = fn(ctx, page, poff, n, n == len);
			if (ret)
				return ret;
			pos += n;
			sglen -= n;
			len -= n;
		}
	}
	return len ? -EINVAL : 0;
}

/*
 * Page fragments are gathered into a bio_vec array and sent with one socket
 * call per ISCSI_INIT_SG_BATCH fragments (and at the end of the range), not
 * one call per page: a 256 KiB Data-Out is 4 calls instead of 64. The array
 * lives on the stack (16 bytes a fragment): no allocation per command.
 */
#define ISCSI_INIT_SG_BATCH 16

struct iscsi_init_sg_io {
	struct socket *sock;
	/* send: more of the PDU follows the range (MSG_MORE on its last call) */
	bool more;
	/* send: the gathered fragments may be spliced (every page sendpage_ok()) */
	bool splice;
	unsigned int nr;
	size_t bytes;
	struct bio_vec bv[ISCSI_INIT_SG_BATCH];
};

/* Sends the gathered fragments; `last`: they end the range. */
static int iscsi_init_send_flush(struct iscsi_init_sg_io *io, bool last)
{
	struct msghdr msg = {
		.msg_flags = MSG_NOSIGNAL | (io->splice ? MSG_SPLICE_PAGES : 0),
	};
	int ret;

	if (!io->nr)
		return 0;
	if (!last || io->more)
		msg.msg_flags |= MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, io->bv, io->nr, io->bytes);
	ret = iscsi_init_sendmsg(io->sock, &msg);
	io->nr = 0;
	io->bytes = 0;
	io->splice = true;
	return ret;
}

static int iscsi_init_send_page(void *ctx, struct page *page, u32 off, u32 n, bool last)
{
	struct iscsi_init_sg_io *io = ctx;
	/* Slab pages and pages without a reference cannot be spliced (see
	 * sendpage_ok()); they are copied, as iscsi_tcp does. A call either
	 * splices all its fragments or copies all of them. */
	bool ok = sendpage_ok(page);
	int ret;

	if (io->nr && ok != io->splice) {
		ret = iscsi_init_send_flush(io, false);
		if (ret)
			return ret;
	}
	if (!io->nr)
		io->splice = ok;
	bvec_set_page(&io->bv[io->nr++], page, n, off);
	io->bytes += n;
	if (io->nr == ISCSI_INIT_SG_BATCH || last)
		return iscsi_init_send_flush(io, last);
	return 0;
}

/*
 * The pages are spliced with or without a DataDigest, as nvme-tcp does: the
 * digest's disks have stable pages (iscsi_init_device_configure), so a page
 * under writeback does not change between its CRC32C and its send.
 */
int iscsi_init_sock_send_sg(struct socket *sock, struct scsi_cmnd *cmd, u32 offset, u32 len,
			    bool more)
{
	struct iscsi_init_sg_io io = {
		.sock = sock,
		.more = more,
		.splice = true,
	};

	return iscsi_init_sg_walk(cmd, offset, len, iscsi_init_send_page, &io);
}

/* ---- receiving in the socket's callbacks ---- */

/*
 * rx_lowat=1 (default): after each read, the socket's receive low-water mark
 * is set to the bytes the PDU being received still needs (within a quarter
 * of the receive buffer), so that a large Data-In wakes the reader once, not
 * for every batch of segments. 0: the mark stays at 1 byte (for A/B
 * measurements). Read per read.
 */
static bool rx_lowat = true;
module_param(rx_lowat, bool, 0644);
MODULE_PARM_DESC(rx_lowat, "wake the reader when the PDU being received is whole (sk_rcvlowat; default 1)");

struct iscsi_init_sk_hook {
	struct socket *sock;
	void *user;
	int (*recv)(void *user, struct sk_buff *skb, unsigned int offset, size_t len);
	bool (*defer)(void *user);
	void (*state)(void *user);
	u32 (*rest)(void *user);
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void *saved_user_data;
};

static int iscsi_init_recv_actor(read_descriptor_t *desc, struct sk_buff *skb,
				 unsigned int offset, size_t len)
{
	struct iscsi_init_sk_hook *hook = desc->arg.data;
	int ret = hook->recv(hook->user, skb, offset, len);

	if (ret < 0) {
		/* The connection is ending: take the rest, read no further. */
		desc->count = 0;
		return len;
	}
	return ret;
}

/* Called with the socket owned (bh_lock_sock in softirq, or lock_sock). */
static void iscsi_init_read_locked(struct iscsi_init_sk_hook *hook)
{
	read_descriptor_t desc = { .arg.data = hook, .count = 1 };
	struct sock *sk = hook->sock->sk;

	tcp_read_sock(sk, &desc, iscsi_init_recv_actor);
	if (READ_ONCE(rx_lowat)) {
		/* tcp_data_ready() calls sk_data_ready once this many bytes are
		 * queued, or earlier under memory pressure, when the receive
		 * window is down to one segment, or at the FIN. */
		u32 lim = max(READ_ONCE(sk->sk_rcvbuf) / 4, 1);

		WRITE_ONCE(sk->sk_rcvlowat, clamp(hook->rest(hook->user), 1U, lim));
	} else if (READ_ONCE(sk->sk_rcvlowat) != 1) {
		WRITE_ONCE(sk->sk_rcvlowat, 1);
	}
}

static void iscsi_init_data_ready(struct sock *sk)
{
	struct iscsi_init_sk_hook *hook;

	read_lock_bh(&sk->sk_callback_lock);
	hook = sk->sk_user_data;
	/* defer(): the receiver reads from process context instead. */
	if (hook && !hook->defer(hook->user))
		iscsi_init_read_locked(hook);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void iscsi_init_state_change(struct sock *sk)
{
	struct iscsi_init_sk_hook *hook;
	void (*saved)(struct sock *sk) = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	hook = sk->sk_user_data;
	if (hook) {
		saved = hook->saved_state_change;
		hook->state(hook->user);
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (saved)
		saved(sk);
}

struct iscsi_init_sk_hook *iscsi_init_sock_hook(struct socket *sock, void *user,
		int (*recv)(void *user, struct sk_buff *skb, unsigned int offset, size_t len),
		bool (*defer)(void *user), void (*state)(void *user), u32 (*rest)(void *user))
{
	struct iscsi_init_sk_hook *hook = kzalloc(sizeof(*hook), GFP_KERNEL);
	struct sock *sk = sock->sk;

	if (!hook)
		return NULL;
	hook->sock = sock;
	hook->user = user;
	hook->recv = recv;
	hook->defer = defer;
	hook->state = state;
	hook->rest = rest;
	write_lock_bh(&sk->sk_callback_lock);
	hook->saved_user_data = sk->sk_user_data;
	hook->saved_data_ready = sk->sk_data_ready;
	hook->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = hook;
	sk->sk_data_ready = iscsi_init_data_ready;
	sk->sk_state_change = iscsi_init_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	return hook;
}

void iscsi_init_sock_unhook(struct iscsi_init_sk_hook *hook)
{
	struct sock *sk = hook->sock->sk;

	/* No release_sock() backlog run can still be inside our callbacks once
	 * the callback lock is taken for writing. */
	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = hook->saved_user_data;
	sk->sk_data_ready = hook->saved_data_ready;
	sk->sk_state_change = hook->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_rcvlowat, 1);
	release_sock(sk);
	kfree(hook);
}

void iscsi_init_sock_read(struct iscsi_init_sk_hook *hook)
{
	struct sock *sk = hook->sock->sk;

	lock_sock(sk);
	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_user_data == hook)
		iscsi_init_read_locked(hook);
	read_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
}

bool iscsi_init_sock_rx_ended(struct socket *sock)
{
	struct sock *sk = sock->sk;

	return READ_ONCE(sk->sk_err) || (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(sk->sk_state) == TCP_CLOSE;
}

int iscsi_init_skb_copy(const struct sk_buff *skb, unsigned int offset, void *to, unsigned int len)
{
	return skb_copy_bits(skb, offset, to, len);
}

struct iscsi_init_skb_io {
	const struct sk_buff *skb;
	unsigned int offset;
	u32 *crc;
};

static int iscsi_init_skb_page(void *ctx, struct page *page, u32 off, u32 n, bool last)
{
	struct iscsi_init_skb_io *io = ctx;
	void *p = kmap_local_page(page);
	int ret = skb_copy_bits(io->skb, io->offset, p + off, n);

	/* The CRC is taken while the copied bytes are in the cache. */
	if (!ret && io->crc)
		*io->crc = iscsi_init_crc32c(*io->crc, p + off, n);
	kunmap_local(p);
	io->offset += n;
	return ret;
}

int iscsi_init_skb_copy_sg(const struct sk_buff *skb, unsigned int skb_offset,
			   struct scsi_cmnd *cmd, u32 offset, u32 len, u32 *crc)
{
	struct iscsi_init_skb_io io = { .skb = skb, .offset = skb_offset, .crc = crc };

	return iscsi_init_sg_walk(cmd, offset, len, iscsi_init_skb_page, &io);
}

/* ---- locks ---- */

void iscsi_init_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void iscsi_init_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

/* ---- digests ---- */

u32 iscsi_init_crc32c(u32 crc, const void *buf, unsigned int len)
{
	return ~crc32c(~crc, buf, len);
}

static int iscsi_init_crc_page(void *ctx, struct page *page, u32 off, u32 n, bool last)
{
	u32 *crc = ctx;
	void *p = kmap_local_page(page);

	*crc = iscsi_init_crc32c(*crc, p + off, n);
	kunmap_local(p);
	return 0;
}

u32 iscsi_init_crc32c_sg(u32 crc, struct scsi_cmnd *cmd, u32 offset, u32 len)
{
	iscsi_init_sg_walk(cmd, offset, len, iscsi_init_crc_page, &crc);
	return crc;
}

/*
 * Whether the pages of a write to the command's disk stay unchanged until it
 * completes (BLK_FEAT_STABLE_WRITES): set by iscsi_init_device_configure on
 * a DataDigest session's disks, but a disk scanned before a recovery that
 * negotiated DataDigest has none, and root may clear queue/stable_writes.
 */
bool iscsi_init_cmd_stable_writes(struct scsi_cmnd *cmd)
{
	return READ_ONCE(cmd->device->request_queue->limits.features) & BLK_FEAT_STABLE_WRITES;
}

/* Copies `len` bytes of the command's buffer from byte `offset` into `buf`. */
int iscsi_init_cmd_copy_out(struct scsi_cmnd *cmd, u32 offset, void *buf, u32 len)
{
	if ((u64)offset + len > scsi_bufflen(cmd))
		return -EINVAL;
	if (sg_pcopy_to_buffer(scsi_sglist(cmd), scsi_sg_count(cmd), buf, len, offset) != len)
		return -EINVAL;
	return 0;
}

/* ---- the module's workqueue ---- */

/*
 * tx_highpri (default 0, read once at module load): the module's workqueue
 * is WQ_HIGHPRI, as nvme-tcp's (its kworkers run at nice -20, kworker/N:MH).
 * Off by default: at queue depth 1 the high-priority kworker preempts the
 * submitter on its CPU, which then switches twice per command instead of
 * once (Documentation/kmod.rst, "The work item's priority").
 */
static bool tx_highpri;
module_param(tx_highpri, bool, 0444);
MODULE_PARM_DESC(tx_highpri, "the transmit work item's workqueue is WQ_HIGHPRI (read at load; default 0)");

/*
 * Per-CPU (not WQ_UNBOUND), so a work item queued from queuecommand runs on
 * the submitting CPU, as nvme-tcp's io_work; WQ_MEM_RECLAIM because it sends
 * the commands that writeback waits on; WQ_HIGHPRI with tx_highpri=1.
 */
struct workqueue_struct *iscsi_init_wq_alloc(const char *name)
{
	return alloc_workqueue("%s", WQ_MEM_RECLAIM | (tx_highpri ? WQ_HIGHPRI : 0), 0, name);
}

void iscsi_init_wq_destroy(struct workqueue_struct *wq)
{
	destroy_workqueue(wq);
}

/*
 * tx_work=1 (default): when queuecommand finds the session idle (queue depth
 * 1, the transmitter free), it queues the session's transmit work item on its
 * own CPU instead of waking the transmit thread, which sleeps wherever it last
 * ran; 0 always wakes the thread (for A/B measurements; read per command).
 */
static bool tx_work = true;
module_param(tx_work, bool, 0644);
MODULE_PARM_DESC(tx_work, "send at queue depth 1 from a work item on the submitting CPU (default 1)");

bool iscsi_init_tx_work(void)
{
	return READ_ONCE(tx_work);
}

/*
 * rx_thread_depth: while at least this many commands are outstanding on a
 * session, sk_data_ready leaves the reading (copying Data-In into the
 * scatterlist, DataDigest, completions) to the connection's receive thread,
 * which runs beside the softirq instead of inside it; below it, data_ready
 * reads itself, with no wake-up. 0: data_ready always reads. Read per
 * callback.
 */
static unsigned int rx_thread_depth = 2;
module_param(rx_thread_depth, uint, 0644);
MODULE_PARM_DESC(rx_thread_depth,
		 "outstanding commands from which the receive thread reads instead of data_ready (0: never; default 2)");

unsigned int iscsi_init_rx_thread_depth(void)
{
	return READ_ONCE(rx_thread_depth);
}

/* ---- threads ---- */

struct task_struct *iscsi_init_kthread_start(int (*fn)(void *), void *data, const char *name,
					     int *err)
{
	struct task_struct *task = kthread_run(fn, data, "%s", name);

	if (IS_ERR(task)) {
		*err = PTR_ERR(task);
		return NULL;
	}
	get_task_struct(task);
	return task;
}

int iscsi_init_kthread_stop(struct task_struct *task)
{
	int ret = kthread_stop(task);

	put_task_struct(task);
	return ret;
}

bool iscsi_init_kthread_should_stop(void)
{
	return kthread_should_stop();
}
