/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C side of iscsi_init: wrappers for static inline kernel functions and macros
 * that Rust cannot call, and the statics that are easiest to define in C (the
 * misc device's file_operations, the SCSI host template with its sysfs
 * attributes). Only kmod/sys/ calls these. No iSCSI logic lives here.
 */
#ifndef ISCSI_INIT_SHIM_H
#define ISCSI_INIT_SHIM_H

#include <linux/fs.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

struct Scsi_Host;
struct scsi_cmnd;
struct socket;
struct task_struct;
struct scatterlist;
struct sk_buff;
struct iscsi_init_sk_hook;

/* ---- implemented in Rust (kmod/sys/) ---- */
long iscsi_init_rust_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
int iscsi_init_rust_open(struct inode *inode, struct file *file);
int iscsi_init_rust_release(struct inode *inode, struct file *file);
int iscsi_init_rust_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd);
int iscsi_init_rust_eh_abort(struct scsi_cmnd *cmd);
int iscsi_init_rust_eh_device_reset(struct scsi_cmnd *cmd);
int iscsi_init_rust_eh_target_reset(struct scsi_cmnd *cmd);
int iscsi_init_rust_eh_host_reset(struct scsi_cmnd *cmd);
/* Seconds a command of the host's new devices may take (0: midlayer default). */
unsigned int iscsi_init_rust_cmd_timeout(struct Scsi_Host *shost);
/* Whether the host's new devices need stable pages during writeback (a DataDigest is computed over them). */
bool iscsi_init_rust_stable_writes(struct Scsi_Host *shost);
/* Writes sysfs attribute `which` (ISCSI_INIT_ATTR_*) of the host into buf (PAGE_SIZE). */
long iscsi_init_rust_shost_show(struct Scsi_Host *shost, unsigned int which, char *buf);
/* Stores `len` bytes of `buf` into writable attribute `which`: len or -errno. */
long iscsi_init_rust_shost_store(struct Scsi_Host *shost, unsigned int which, const char *buf,
				 size_t len);

enum {
	ISCSI_INIT_ATTR_SESSION_ID = 0,
	ISCSI_INIT_ATTR_STATE = 1,
	ISCSI_INIT_ATTR_TARGET_NAME = 2,
	ISCSI_INIT_ATTR_PORTAL = 3,
	ISCSI_INIT_ATTR_INITIATOR_NAME = 4,
	ISCSI_INIT_ATTR_PARAMS = 5,
	ISCSI_INIT_ATTR_SESSION_STATE = 6,
	ISCSI_INIT_ATTR_CONN_STATE = 7,
	ISCSI_INIT_ATTR_IO_STATE = 8,
	ISCSI_INIT_ATTR_STATE_SECONDS = 9,
	ISCSI_INIT_ATTR_RECOVERIES = 10,
	ISCSI_INIT_ATTR_LAST_FAILURE = 11,
	ISCSI_INIT_ATTR_REPLACEMENT_TIMEOUT = 12,
	ISCSI_INIT_ATTR_NOOP_OUT_INTERVAL = 13,
	ISCSI_INIT_ATTR_NOOP_OUT_TIMEOUT = 14,
	ISCSI_INIT_ATTR_ABORT_TIMEOUT = 15,
	ISCSI_INIT_ATTR_LU_RESET_TIMEOUT = 16,
	ISCSI_INIT_ATTR_TGT_RESET_TIMEOUT = 17,
	ISCSI_INIT_ATTR_TX_INLINE = 18,
	ISCSI_INIT_ATTR_TX_INLINE_SENDS = 19,
	ISCSI_INIT_ATTR_TX_WORK_SENDS = 20,
	ISCSI_INIT_ATTR_RX_THREAD_READS = 21,
	ISCSI_INIT_ATTR_TX_COPIED_BYTES = 22,
};

/* ---- misc device ---- */
extern const struct file_operations iscsi_init_fops;

/* ---- SCSI host ---- */
/* scsi_host_alloc() with our template and priv_size bytes of hostdata. */
/* Whether the host's queuecommand may sleep (module parameter tx_inline when it was allocated). */
bool iscsi_init_host_may_block(struct Scsi_Host *shost);
struct Scsi_Host *iscsi_init_host_alloc(unsigned int can_queue, short cmd_per_lun,
					unsigned int max_sectors, size_t priv_size);
int iscsi_init_host_add(struct Scsi_Host *shost);
/* shost_priv(): the hostdata, written by kmod/sys/scsi.rs. */
void *iscsi_init_host_priv(struct Scsi_Host *shost);
/* The command's private area (template cmd_size): the driver's handle count. */
u32 *iscsi_init_cmd_refs(struct scsi_cmnd *cmd);
unsigned int iscsi_init_host_no(struct Scsi_Host *shost);
/* Blocks every device of the host (scsi_block_targets): new I/O waits. May sleep. */
void iscsi_init_host_block(struct Scsi_Host *shost);
/* Unblocks every device of the host to SDEV_RUNNING, or SDEV_TRANSPORT_OFFLINE
 * (I/O fails at once) if `offline`. May sleep. */
void iscsi_init_host_unblock(struct Scsi_Host *shost, bool offline);

/* ---- time ---- */
/* Milliseconds of the boot time clock (monotonic, counts suspend). */
u64 iscsi_init_now_ms(void);

/* What the data path needs to know of a command, read once at queuecommand. */
struct iscsi_init_cmd_info {
	const u8 *cdb;
	u32 cdb_len;
	u32 bufflen;
	u32 tag;
	u32 dir;	/* 0 none, 1 write (to device), 2 read (from device), 3 bidi */
	u8 lun[8];	/* SAM LUN as on the wire */
};
void iscsi_init_cmd_info(struct scsi_cmnd *cmd, struct iscsi_init_cmd_info *info);
/* Sets result (host byte << 16 | SCSI status), residual, sense data; calls scsi_done(). */
void iscsi_init_cmd_complete(struct scsi_cmnd *cmd, u8 host_byte, u8 status, u32 resid,
			     const u8 *sense, u32 sense_len);
u32 iscsi_init_cmd_tag(struct scsi_cmnd *cmd);
/* The LUN of the command's device, 8 bytes as on the wire (int_to_scsilun). */
void iscsi_init_cmd_lun(struct scsi_cmnd *cmd, u8 *lun);
struct Scsi_Host *iscsi_init_cmd_host(struct scsi_cmnd *cmd);

/* ---- sockets ---- */
/* sockfd_lookup() plus checks: a connected TCP stream socket. Sets *err. */
struct socket *iscsi_init_sock_lookup(int fd, int *err);
/* Socket options for a block device transport (no reclaim deadlocks, nodelay). */
void iscsi_init_sock_setup(struct socket *sock);
/* Module parameter tx_batch: whether senders coalesce bursts with MSG_MORE. */
bool iscsi_init_tx_batch(void);
/* Sends at once what sends with MSG_MORE left in the socket (TCP push). */
void iscsi_init_sock_push(struct socket *sock);
void iscsi_init_sock_put(struct socket *sock);
void iscsi_init_sock_shutdown(struct socket *sock);
/* Peer address as text ("a.b.c.d:port" / "[v6]:port"), returns length or < 0. */
int iscsi_init_sock_peer(struct socket *sock, char *buf, unsigned int len);
/* Sends len bytes from buf: all of it, or an error. */
int iscsi_init_sock_send_buf(struct socket *sock, const void *buf, unsigned int len, bool more);
/* Sends bytes [offset, offset+len) of a command's data buffer from its pages (spliced, no copy). */
int iscsi_init_sock_send_sg(struct socket *sock, struct scsi_cmnd *cmd, u32 offset, u32 len,
			    bool more);
/*
 * Receiving in the socket's callbacks, as iscsi_tcp does: from
 * iscsi_init_sock_hook() on, the socket's sk_data_ready hands what arrives to
 * recv(user, skb, offset, len) through tcp_read_sock(), in the socket's
 * receive context (softirq, or the release_sock() of whoever owns the
 * socket). recv returns the bytes it consumed (all of len), or < 0 to stop
 * reading (the connection is ending). Before reading, sk_data_ready asks
 * defer(user): true leaves the bytes queued for the receiver to take from
 * process context (iscsi_init_sock_read()). sk_state_change calls state(user)
 * (FIN, RST, shutdown). After each read, with the module parameter rx_lowat
 * (default 1),
 * rest(user) says how many bytes the PDU being received still needs, and the
 * socket's receive low-water mark (sk_rcvlowat) is set to that, within a
 * quarter of its receive buffer: TCP calls sk_data_ready when they are all in,
 * not for every batch of segments. NULL when out of memory.
 */
struct iscsi_init_sk_hook *iscsi_init_sock_hook(struct socket *sock, void *user,
		int (*recv)(void *user, struct sk_buff *skb, unsigned int offset, size_t len),
		bool (*defer)(void *user), void (*state)(void *user), u32 (*rest)(void *user));
/* Restores the socket's callbacks and frees the hook: when it returns, no
 * recv or state call runs, and none will. Sleeps (lock_sock). */
void iscsi_init_sock_unhook(struct iscsi_init_sk_hook *hook);
/* Process context: hands what the socket has queued to recv (lock_sock,
 * tcp_read_sock, release_sock). */
void iscsi_init_sock_read(struct iscsi_init_sk_hook *hook);
/* Whether no more data can arrive: the peer's FIN was received, the receive
 * side was shut down, the socket has an error or is closed. */
bool iscsi_init_sock_rx_ended(struct socket *sock);
/* skb_copy_bits(): len bytes of skb from offset into to; 0 or -EFAULT. */
int iscsi_init_skb_copy(const struct sk_buff *skb, unsigned int offset, void *to, unsigned int len);
/* Copies len bytes of skb from skb_offset into a command's data buffer at
 * offset, page by page; when crc is not NULL it is extended ("append" CRC32C)
 * over each page fragment right after the copy. 0, -EINVAL for a range
 * outside the buffer, -EFAULT for one outside the skb. */
int iscsi_init_skb_copy_sg(const struct sk_buff *skb, unsigned int skb_offset,
			   struct scsi_cmnd *cmd, u32 offset, u32 len, u32 *crc);

/* ---- locks ---- */
/* spin_lock_bh() / spin_unlock_bh() (static inlines). */
void iscsi_init_spin_lock_bh(spinlock_t *lock);
void iscsi_init_spin_unlock_bh(spinlock_t *lock);

/* ---- digests ---- */
/* CRC32C "append" (crc of previous bytes, 0 for none): ~crc32c(~crc, ...). */
u32 iscsi_init_crc32c(u32 crc, const void *buf, unsigned int len);
u32 iscsi_init_crc32c_sg(u32 crc, struct scsi_cmnd *cmd, u32 offset, u32 len);
bool iscsi_init_cmd_stable_writes(struct scsi_cmnd *cmd);
int iscsi_init_cmd_copy_out(struct scsi_cmnd *cmd, u32 offset, void *buf, u32 len);

/* ---- threads ---- */
/* kthread_run(fn, data, name), with a task reference held for iscsi_init_kthread_stop(). */
struct task_struct *iscsi_init_kthread_start(int (*fn)(void *), void *data, const char *name,
					     int *err);
/* kthread_stop() and drop the reference. */
int iscsi_init_kthread_stop(struct task_struct *task);
bool iscsi_init_kthread_should_stop(void);

/* ---- the module's workqueue ---- */
/* alloc_workqueue(name, WQ_MEM_RECLAIM [| WQ_HIGHPRI with tx_highpri=1], 0): per-CPU, with a rescuer. NULL on failure. */
struct workqueue_struct *iscsi_init_wq_alloc(const char *name);
/* destroy_workqueue(): drains it first. */
void iscsi_init_wq_destroy(struct workqueue_struct *wq);
/* Module parameter tx_work: queuecommand hands a send at queue depth 1 to a work item on its CPU. */
bool iscsi_init_tx_work(void);
/* Module parameter rx_thread_depth: outstanding commands from which the
 * receive thread reads instead of sk_data_ready (0: never). */
unsigned int iscsi_init_rx_thread_depth(void);

#endif
