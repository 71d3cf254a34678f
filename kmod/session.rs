// SPDX-License-Identifier: GPL-2.0

//! A session: one SCSI host, its command window and its task table (RFC 7143
//! §4, §10). The connection's threads live in `crate::conn`.
//!
//! # Concurrency
//!
//! All mutable session state is in [`Inner`] behind one spinlock, never held
//! across socket I/O or `scsi_done()`. The midlayer's `queuecommand` only
//! records the command and wakes the transmit thread, so it never blocks.
//! A command (`Cmd`) is completed exactly once, by:
//! - the receive thread, when its final status arrived and no transmit work
//!   for it is queued or in progress (`tx_refs == 0`);
//! - otherwise the transmit thread, when it drops the last `tx_refs`;
//! - the receive thread's flush after a connection failure, which runs only
//!   after the transmit thread has left its loop.
//!
//! The receive thread is the only one that receives into a command's buffer,
//! so a completion never races with data placement.

use crate::abi;
use crate::codec::serial::{CmdWindow, Sn};
use crate::conn::Conn;
use crate::sys::scsi::{Cmd, CmdInfo, DataDir, Host, HostAttr, HostByte, SysfsBuf};
use crate::sys::thread::Thread;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex, SpinLock};
use kernel::time::msecs_to_jiffies;

/// Largest MaxOutstandingR2T the module handles per command (RFC 7143 §13.17).
pub(crate) const MAX_OUTSTANDING_R2T: u16 = 16;
/// Default queue depth (can_queue) when the helper asks for none.
pub(crate) const DEFAULT_QUEUE_DEPTH: u32 = 128;
/// Largest queue depth; ITTs are `tag | generation << 16`, so it must stay
/// below 0xfff0.
pub(crate) const MAX_QUEUE_DEPTH: u32 = 1024;
/// Lowest can_queue derived from a small initial CmdSN window; commands beyond
/// the window wait, they are not failed.
const MIN_QUEUE_DEPTH: u32 = 32;
/// ITT of our Logout Request (outside every `tag | gen << 16` value).
pub(crate) const LOGOUT_ITT: u32 = 0x0000_fffe;
/// Bytes of sense data kept per command (SCSI_SENSE_BUFFERSIZE).
pub(crate) const SENSE_LEN: usize = 96;
/// Default seconds to wait for a Logout Response.
const DEFAULT_LOGOUT_TIMEOUT: u32 = 15;

/// Session states, as reported through the ABI (`abi::STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Full-feature phase.
    LoggedIn,
    /// The connection failed; commands are refused until a new connection
    /// is bound or the session is removed.
    Failed,
    /// A Logout Request is queued or sent.
    LoggingOut,
    /// The Logout Response arrived (or the session is being removed).
    LoggedOut,
}

impl State {
    fn abi(self) -> u32 {
        match self {
            State::LoggedIn => abi::STATE_LOGGED_IN,
            State::Failed | State::LoggedOut => abi::STATE_FAILED,
            State::LoggingOut => abi::STATE_LOGGING_OUT,
        }
    }

    fn name(self) -> &'static str {
        match self {
            State::LoggedIn => "logged_in",
            State::Failed => "failed",
            State::LoggingOut => "logging_out",
            State::LoggedOut => "logged_out",
        }
    }
}

/// How a command ends.
#[derive(Clone, Copy)]
pub(crate) struct Completion {
    pub(crate) host: HostByte,
    pub(crate) status: u8,
    pub(crate) resid: u32,
    pub(crate) sense_len: usize,
    pub(crate) sense: [u8; SENSE_LEN],
}

impl Completion {
    pub(crate) const fn host(host: HostByte, resid: u32) -> Self {
        Self { host, status: 0, resid, sense_len: 0, sense: [0; SENSE_LEN] }
    }
}

/// Per-command state, preallocated per tag (`can_queue` entries).
#[derive(Clone, Copy)]
pub(crate) struct Task {
    /// The midlayer's command while outstanding.
    pub(crate) cmd: Option<Cmd>,
    /// Generation, bumped at every use of the tag (upper half of the ITT).
    pub(crate) gen: u16,
    /// Initiator Task Tag of the current use.
    pub(crate) itt: u32,
    /// CDB, direction, length and LUN, copied at queuecommand.
    pub(crate) info: CmdInfoCopy,
    /// DataSN the next Data-In must carry.
    pub(crate) exp_data_sn: u32,
    /// R2TSN the next R2T must carry.
    pub(crate) exp_r2t_sn: u32,
    /// Bytes of Data-In placed so far.
    pub(crate) data_in: u32,
    /// Transmit work queued or in progress for this command.
    pub(crate) tx_refs: u32,
    /// The final status arrived; `done` holds it until `tx_refs` is 0.
    pub(crate) finished: bool,
    pub(crate) done: Completion,
}

/// `CmdInfo` without the command pointer (plain data).
#[derive(Clone, Copy)]
pub(crate) struct CmdInfoCopy {
    pub(crate) cdb: [u8; 32],
    pub(crate) cdb_len: usize,
    pub(crate) bufflen: u32,
    pub(crate) dir: DataDir,
    pub(crate) lun: [u8; 8],
}

impl From<&CmdInfo> for CmdInfoCopy {
    fn from(i: &CmdInfo) -> Self {
        Self { cdb: i.cdb, cdb_len: i.cdb_len, bufflen: i.bufflen, dir: i.dir, lun: i.lun }
    }
}

impl Task {
    const fn new() -> Self {
        Self {
            cmd: None,
            gen: 0,
            itt: 0,
            info: CmdInfoCopy { cdb: [0; 32], cdb_len: 0, bufflen: 0, dir: DataDir::None, lun: [0; 8] },
            exp_data_sn: 0,
            exp_r2t_sn: 0,
            data_in: 0,
            tx_refs: 0,
            finished: false,
            done: Completion::host(HostByte::Ok, 0),
        }
    }
}

/// Work for the transmit thread other than new commands.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TxItem {
    /// Solicited Data-Out for an R2T: `len` bytes at `offset` (RFC 7143 §10.7).
    DataOut { tag: u32, itt: u32, ttt: u32, offset: u32, len: u32 },
    /// Answer a target's NOP-In ping (RFC 7143 §11.18).
    NopOut { ttt: u32, lun: [u8; 8] },
    /// Logout Request, reason "close the session" (RFC 7143 §11.14).
    Logout,
}

/// A fixed-capacity FIFO; pushing never allocates.
pub(crate) struct Ring<T: Copy> {
    buf: KVec<T>,
    head: usize,
    len: usize,
}

impl<T: Copy> Ring<T> {
    fn new(cap: usize, fill: T) -> Result<Self> {
        Ok(Self { buf: KVec::from_elem(fill, cap.max(1), GFP_KERNEL)?, head: 0, len: 0 })
    }

    /// Appends `v`; `Err(v)` when full.
    pub(crate) fn push(&mut self, v: T) -> core::result::Result<(), T> {
        let cap = self.buf.len();
        if self.len == cap {
            return Err(v);
        }
        let idx = (self.head + self.len) % cap;
        match self.buf.get_mut(idx) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
                Ok(())
            }
            None => Err(v),
        }
    }

    pub(crate) fn peek(&self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.buf.get(self.head).copied()
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        let v = self.peek()?;
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(v)
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// Mutable session state, under `Session::inner`.
pub(crate) struct Inner {
    pub(crate) state: State,
    /// ExpCmdSN/MaxCmdSN from the target.
    pub(crate) window: CmdWindow,
    /// CmdSN of the next non-immediate command.
    pub(crate) cmd_sn: Sn,
    /// ExpStatSN we acknowledge: last StatSN received + 1.
    pub(crate) exp_stat_sn: Sn,
    /// One entry per tag.
    pub(crate) tasks: KVec<Task>,
    /// Tags whose SCSI Command PDU waits for the transmit thread (and for
    /// room in the CmdSN window).
    pub(crate) cmdq: Ring<u32>,
    /// Other transmit work, sent before new commands.
    pub(crate) txq: Ring<TxItem>,
    /// Whether the transmit / receive threads are in their loops.
    pub(crate) tx_running: bool,
    pub(crate) rx_running: bool,
    /// Logout Response code, once received.
    pub(crate) logout_response: Option<u8>,
    /// SCSI host number, once the host exists.
    pub(crate) host_no: u32,
    /// Negotiated parameters of the current connection.
    pub(crate) params: abi::NegotiatedParams,
    pub(crate) cid: u16,
}

/// Session statistics (`IOC_SESSION_STATS`).
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) commands: AtomicU64,
    pub(crate) responses: AtomicU64,
    pub(crate) read_bytes: AtomicU64,
    pub(crate) write_bytes: AtomicU64,
    pub(crate) pdus_sent: AtomicU64,
    pub(crate) pdus_received: AtomicU64,
    pub(crate) digest_errors: AtomicU64,
    pub(crate) protocol_errors: AtomicU64,
    pub(crate) transport_errors: AtomicU64,
    pub(crate) aborts: AtomicU64,
    pub(crate) conn_failures: AtomicU64,
}

impl Stats {
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// Names and identity of a session, fixed at creation.
pub(crate) struct Identity {
    pub(crate) target_name: [u8; abi::NAME_LEN],
    pub(crate) initiator_name: [u8; abi::NAME_LEN],
    pub(crate) target_alias: [u8; abi::ALIAS_LEN],
    pub(crate) portal: [u8; abi::PORTAL_LEN],
    pub(crate) isid: [u8; 6],
    pub(crate) tsih: u16,
    pub(crate) tpgt: u16,
}

/// The parts that are created and torn down with the session's host and
/// connection.
pub(crate) struct Parts {
    pub(crate) host: Option<Host>,
    pub(crate) conn: Option<ConnThreads>,
}

/// A bound connection and its two threads.
pub(crate) struct ConnThreads {
    pub(crate) conn: Arc<Conn>,
    pub(crate) rx: Thread,
    pub(crate) tx: Thread,
}

/// One iSCSI session with one connection.
#[pin_data]
pub(crate) struct Session {
    pub(crate) id: u32,
    pub(crate) ident: Identity,
    pub(crate) can_queue: u32,
    #[pin]
    pub(crate) inner: SpinLock<Inner>,
    /// Wakes the transmit thread.
    #[pin]
    pub(crate) tx_wait: CondVar,
    /// Signals state changes: logout response, threads stopped.
    #[pin]
    pub(crate) event: CondVar,
    #[pin]
    pub(crate) parts: Mutex<Parts>,
    pub(crate) stats: Stats,
}

/// Text of a NUL-terminated name field.
pub(crate) fn field_str(b: &[u8]) -> &str {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(b.get(..n).unwrap_or(&[])).unwrap_or("?")
}

impl Session {
    /// A session in state LoggedIn with the sequence numbers of the login.
    pub(crate) fn new(id: u32, bind: &abi::ConnBind, window: CmdWindow) -> Result<Arc<Self>> {
        let depth = match bind.queue_depth {
            0 => DEFAULT_QUEUE_DEPTH,
            d => d,
        };
        let can_queue = depth.min(window.size().max(MIN_QUEUE_DEPTH)).clamp(1, MAX_QUEUE_DEPTH);
        let n = can_queue as usize;
        let r2t = usize::from(bind.params.max_outstanding_r2t.clamp(1, MAX_OUTSTANDING_R2T));
        let inner = Inner {
            state: State::LoggedIn,
            window,
            cmd_sn: Sn(bind.cmd_sn),
            exp_stat_sn: Sn(bind.exp_stat_sn),
            tasks: KVec::from_elem(Task::new(), n, GFP_KERNEL)?,
            cmdq: Ring::new(n, 0)?,
            txq: Ring::new(n * (r2t + 1) + 8, TxItem::Logout)?,
            tx_running: false,
            rx_running: false,
            logout_response: None,
            host_no: 0,
            params: bind.params,
            cid: bind.cid,
        };
        let ident = Identity {
            target_name: bind.target_name,
            initiator_name: bind.initiator_name,
            target_alias: bind.target_alias,
            portal: bind.portal,
            isid: bind.isid,
            tsih: bind.tsih,
            tpgt: bind.tpgt,
        };
        Arc::pin_init(
            pin_init!(Session {
                id,
                ident,
                can_queue,
                inner <- kernel::new_spinlock!(inner, "iscsi_init::Session::inner"),
                tx_wait <- kernel::new_condvar!("iscsi_init::Session::tx_wait"),
                event <- kernel::new_condvar!("iscsi_init::Session::event"),
                parts <- kernel::new_mutex!(Parts { host: None, conn: None }, "iscsi_init::Session::parts"),
                stats: Stats::default(),
            }),
            GFP_KERNEL,
        )
    }

    /// The midlayer's queuecommand: records the command and wakes the
    /// transmit thread. Never blocks. `Err(())` asks the midlayer to retry
    /// later (SCSI_MLQUEUE_HOST_BUSY).
    pub(crate) fn queuecommand(&self, cmd: Cmd) -> core::result::Result<(), ()> {
        let info = cmd.info();
        let mut g = self.inner.lock();
        let refuse = match g.state {
            State::LoggedIn => None,
            // Commands retried after a connection failure, or sent while
            // the session is going away, fail at once: no I/O hangs.
            _ => Some(HostByte::NoConnect),
        };
        let refuse = refuse.or(if info.dir == DataDir::Bidi { Some(HostByte::Error) } else { None });
        if let Some(host) = refuse {
            drop(g);
            cmd.complete(host, 0, info.bufflen, &[]);
            return Ok(());
        }
        let tag = info.tag;
        let Some(task) = g.tasks.get_mut(tag as usize) else {
            drop(g);
            pr_err!("session {}: tag {} beyond can_queue\n", self.id, tag);
            cmd.complete(HostByte::Error, 0, info.bufflen, &[]);
            return Ok(());
        };
        if task.cmd.is_some() {
            // The midlayer reused a tag we still own: retry later.
            return Err(());
        }
        task.gen = task.gen.wrapping_add(1);
        *task = Task {
            cmd: Some(cmd),
            gen: task.gen,
            itt: tag | (u32::from(task.gen) << 16),
            info: CmdInfoCopy::from(&info),
            exp_data_sn: 0,
            exp_r2t_sn: 0,
            data_in: 0,
            tx_refs: 1,
            finished: false,
            done: Completion::host(HostByte::Ok, 0),
        };
        if g.cmdq.push(tag).is_err() {
            if let Some(t) = g.tasks.get_mut(tag as usize) {
                t.cmd = None;
                t.tx_refs = 0;
            }
            return Err(());
        }
        drop(g);
        Stats::add(&self.stats.commands, 1);
        self.tx_wait.notify_one();
        Ok(())
    }

    /// Looks up the outstanding task with Initiator Task Tag `itt`.
    pub(crate) fn task_mut<'a>(g: &'a mut Inner, itt: u32) -> Option<&'a mut Task> {
        let tag = (itt & 0xffff) as usize;
        match g.tasks.get_mut(tag) {
            Some(t) if t.cmd.is_some() && t.itt == itt && !t.finished => Some(t),
            _ => None,
        }
    }

    /// Records the final status of task `tag`. Returns the command to
    /// complete now (after dropping the lock) if no transmit work holds it.
    pub(crate) fn finish(g: &mut Inner, tag: u32, done: Completion) -> Option<(Cmd, Completion)> {
        let t = g.tasks.get_mut(tag as usize)?;
        t.finished = true;
        t.done = done;
        if t.tx_refs == 0 {
            let cmd = t.cmd.take()?;
            t.finished = false;
            return Some((cmd, done));
        }
        None
    }

    /// Drops one transmit reference of task `tag`; returns the command to
    /// complete if its status already arrived.
    pub(crate) fn tx_put(g: &mut Inner, tag: u32) -> Option<(Cmd, Completion)> {
        let t = g.tasks.get_mut(tag as usize)?;
        t.tx_refs = t.tx_refs.saturating_sub(1);
        if t.tx_refs == 0 && t.finished {
            let cmd = t.cmd.take()?;
            t.finished = false;
            return Some((cmd, t.done));
        }
        None
    }

    /// Completes a command taken out of the task table.
    pub(crate) fn complete(&self, done: Option<(Cmd, Completion)>) {
        if let Some((cmd, c)) = done {
            if c.host == HostByte::Ok {
                Stats::add(&self.stats.responses, 1);
            } else {
                Stats::add(&self.stats.transport_errors, 1);
            }
            cmd.complete(c.host, c.status, c.resid, c.sense.get(..c.sense_len).unwrap_or(&[]));
        }
    }

    /// Completes every outstanding command with `host` (after a connection
    /// failure, once the transmit thread has stopped) and empties the queues.
    pub(crate) fn flush(&self, host: HostByte) {
        loop {
            let next = {
                let mut g = self.inner.lock();
                g.cmdq.clear();
                g.txq.clear();
                let mut found = None;
                for t in g.tasks.iter_mut() {
                    if let Some(cmd) = t.cmd.take() {
                        t.tx_refs = 0;
                        t.finished = false;
                        found = Some((cmd, Completion::host(host, t.info.bufflen)));
                        break;
                    }
                }
                found
            };
            match next {
                Some(d) => self.complete(Some(d)),
                None => break,
            }
        }
    }

    /// Marks the session failed (if it was live), with a dmesg line saying
    /// why. Returns true if this call changed the state.
    pub(crate) fn mark_failed(&self, why: &str) -> bool {
        let mut g = self.inner.lock();
        let changed = matches!(g.state, State::LoggedIn | State::LoggingOut);
        if changed {
            g.state = State::Failed;
        }
        drop(g);
        if changed {
            Stats::add(&self.stats.conn_failures, 1);
            pr_err!("session {}: connection failed: {}\n", self.id, why);
        }
        self.tx_wait.notify_all();
        self.event.notify_all();
        changed
    }

    /// Fails the connection from outside its threads (error handler) and
    /// waits up to `ms` milliseconds until its commands were flushed.
    fn fail_and_wait(&self, why: &str, ms: u32) -> bool {
        self.mark_failed(why);
        if let Some(c) = self.parts.lock().conn.as_ref() {
            c.conn.shutdown();
        }
        self.wait_until(ms, |g| !g.rx_running && !g.tx_running)
    }

    /// Waits (interruptibly, at most `ms` milliseconds) until `cond` holds.
    fn wait_until(&self, ms: u32, cond: impl Fn(&Inner) -> bool) -> bool {
        let mut left = msecs_to_jiffies(ms);
        let mut g = self.inner.lock();
        while !cond(&g) {
            match self.event.wait_interruptible_timeout(&mut g, left) {
                kernel::sync::CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
                _ => return cond(&g),
            }
        }
        true
    }

    /// eh_abort_handler: an aborted command is completed by failing the
    /// connection (ErrorRecoveryLevel 0 has no task-level recovery we can
    /// trust once a command timed out). True when the command is no longer
    /// ours.
    pub(crate) fn eh_abort(&self, cmd: Cmd) -> bool {
        let tag = cmd.tag();
        let outstanding = {
            let g = self.inner.lock();
            g.tasks.get(tag as usize).map(|t| t.cmd.is_some()).unwrap_or(false)
        };
        if !outstanding {
            return true;
        }
        Stats::add(&self.stats.aborts, 1);
        self.fail_and_wait("SCSI command timed out; dropping the connection", 30_000)
    }

    /// eh_device_reset/eh_target_reset: as for an abort, the connection is
    /// dropped and every command completed.
    pub(crate) fn eh_reset(&self) -> bool {
        let busy = {
            let g = self.inner.lock();
            g.tasks.iter().any(|t| t.cmd.is_some())
        };
        if !busy {
            return true;
        }
        self.fail_and_wait("reset requested by the SCSI error handler", 30_000)
    }

    /// Removes the session: the SCSI host first (so the disks flush their
    /// caches over the live connection), then a Logout exchange (skipped
    /// with `force` or on a failed connection), then the connection.
    pub(crate) fn remove(&self, force: bool, logout_timeout_s: u32) {
        let host = self.parts.lock().host.take();
        let host = host.map(|mut h| {
            h.remove();
            h
        });
        if !force {
            let queued = {
                let mut g = self.inner.lock();
                if g.state == State::LoggedIn {
                    g.state = State::LoggingOut;
                    g.txq.push(TxItem::Logout).is_ok()
                } else {
                    false
                }
            };
            if queued {
                self.tx_wait.notify_one();
                let secs = if logout_timeout_s == 0 { DEFAULT_LOGOUT_TIMEOUT } else { logout_timeout_s.min(300) };
                let ok = self.wait_until(secs * 1000, |g| g.logout_response.is_some() || g.state == State::Failed);
                let resp = self.inner.lock().logout_response;
                match resp {
                    Some(0) => pr_info!("session {}: logged out\n", self.id),
                    Some(r) => pr_warn!("session {}: Logout Response {:#x}\n", self.id, r),
                    None if ok => pr_warn!("session {}: connection failed during logout\n", self.id),
                    None => pr_warn!("session {}: no Logout Response in {} s\n", self.id, secs),
                }
            }
        }
        {
            let mut g = self.inner.lock();
            g.state = State::LoggedOut;
        }
        self.tx_wait.notify_all();
        let conn = self.parts.lock().conn.take();
        if let Some(c) = conn {
            c.conn.shutdown();
            c.rx.stop();
            c.tx.stop();
        }
        // Anything still outstanding (only possible if a thread never ran).
        self.flush(HostByte::NoConnect);
        drop(host);
    }

    /// A record for `IOC_SESSION_LIST`.
    pub(crate) fn info(&self) -> abi::SessionInfo {
        let g = self.inner.lock();
        abi::SessionInfo {
            session_id: self.id,
            host_no: g.host_no,
            state: g.state.abi(),
            cid: g.cid,
            tsih: self.ident.tsih,
            isid: self.ident.isid,
            tpgt: self.ident.tpgt,
            cmd_sn: g.cmd_sn.0,
            exp_cmd_sn: g.window.exp_cmd_sn.0,
            max_cmd_sn: g.window.max_cmd_sn.0,
            exp_stat_sn: g.exp_stat_sn.0,
            queue_depth: self.can_queue,
            params: g.params,
            target_name: self.ident.target_name,
            initiator_name: self.ident.initiator_name,
            target_alias: self.ident.target_alias,
            portal: self.ident.portal,
            reserved: [0; 8],
        }
    }

    /// Counters for `IOC_SESSION_STATS`.
    pub(crate) fn fill_stats(&self, out: &mut abi::SessionStats) {
        let s = &self.stats;
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.state = self.inner.lock().state.abi();
        out.commands = r(&s.commands);
        out.responses = r(&s.responses);
        out.read_bytes = r(&s.read_bytes);
        out.write_bytes = r(&s.write_bytes);
        out.pdus_sent = r(&s.pdus_sent);
        out.pdus_received = r(&s.pdus_received);
        out.digest_errors = r(&s.digest_errors);
        out.protocol_errors = r(&s.protocol_errors);
        out.transport_errors = r(&s.transport_errors);
        out.aborts = r(&s.aborts);
        out.conn_failures = r(&s.conn_failures);
    }

    /// sysfs `show` of the host's `iscsi_*` attributes.
    pub(crate) fn show(&self, attr: HostAttr, out: &mut SysfsBuf<'_>) {
        let (state, p) = {
            let g = self.inner.lock();
            (g.state, g.params)
        };
        let _ = match attr {
            HostAttr::SessionId => writeln!(out, "{}", self.id),
            HostAttr::State => writeln!(out, "{}", state.name()),
            HostAttr::TargetName => writeln!(out, "{}", field_str(&self.ident.target_name)),
            HostAttr::Portal => writeln!(out, "{}", field_str(&self.ident.portal)),
            HostAttr::InitiatorName => writeln!(out, "{}", field_str(&self.ident.initiator_name)),
            HostAttr::Params => write_params(out, &p),
        };
    }
}

fn yes_no(v: u8) -> &'static str {
    if v != 0 {
        "Yes"
    } else {
        "No"
    }
}

fn digest_name(v: u8) -> &'static str {
    if v == abi::DIGEST_CRC32C {
        "CRC32C"
    } else {
        "None"
    }
}

/// The negotiated parameters, one `Key=Value` per line (RFC 7143 key names).
fn write_params(out: &mut SysfsBuf<'_>, p: &abi::NegotiatedParams) -> core::fmt::Result {
    writeln!(out, "HeaderDigest={}", digest_name(p.header_digest))?;
    writeln!(out, "DataDigest={}", digest_name(p.data_digest))?;
    writeln!(out, "MaxRecvDataSegmentLength={}", p.max_recv_data_segment_length)?;
    writeln!(out, "MaxXmitDataSegmentLength={}", p.max_xmit_data_segment_length)?;
    writeln!(out, "MaxBurstLength={}", p.max_burst_length)?;
    writeln!(out, "FirstBurstLength={}", p.first_burst_length)?;
    writeln!(out, "InitialR2T={}", yes_no(p.initial_r2t))?;
    writeln!(out, "ImmediateData={}", yes_no(p.immediate_data))?;
    writeln!(out, "MaxOutstandingR2T={}", p.max_outstanding_r2t)?;
    writeln!(out, "DataPDUInOrder={}", yes_no(p.data_pdu_in_order))?;
    writeln!(out, "DataSequenceInOrder={}", yes_no(p.data_sequence_in_order))?;
    writeln!(out, "ErrorRecoveryLevel={}", p.error_recovery_level)?;
    writeln!(out, "DefaultTime2Wait={}", p.default_time2wait)?;
    writeln!(out, "DefaultTime2Retain={}", p.default_time2retain)?;
    writeln!(out, "MaxConnections={}", p.max_connections)
}
