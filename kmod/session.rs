// SPDX-License-Identifier: GPL-2.0

//! A session: one SCSI host, its protocol state and its connection (RFC 7143
//! §4, §8, §10). The protocol state and every check on received PDUs are the
//! host-tested [`kcore::session::SessionCore`](crate::kcore::session); this
//! file adds the kernel's side: the lock around it, the wait queues, the
//! SCSI host callbacks ([`HostOps`]) and the counters. The connection's
//! threads live in `crate::conn`.
//!
//! # Lock order
//!
//! 1. `Control::sessions` (mutex): the session list.
//! 2. `Session::parts` (mutex): the host and the connection threads.
//! 3. `Session::inner` (spinlock): the protocol state.
//!
//! A lock may be taken while holding one above it, never one below it.
//! `inner` is never held across socket I/O, `scsi_done()`, a thread stop,
//! a host removal or anything else that sleeps; `parts` is never held
//! across a thread stop or a host removal either (the parts are taken out
//! first), because the threads and the midlayer take `inner`, and the
//! error handler takes `parts`.
//!
//! # Completion
//!
//! A command (`Cmd`) is completed exactly once, by whoever takes it out of
//! the task table: the receive thread (final status, no transmit work
//! left), the transmit thread (its last transmit reference, status already
//! there), or the flush after the connection failed, which runs only after
//! the transmit thread left its loop. The receive thread is the only one
//! that places data into a command's buffer. `sys::scsi` enforces the rest:
//! a command cannot be completed while a `CmdRef` of it exists.

use crate::abi;
use crate::codec::logout::LogoutResponseCode;
use crate::codec::serial::{CmdWindow, Sn};
use crate::conn::Conn;
use crate::kcore::failure::{Failure, FailureKind};
use crate::kcore::fsm::{ConnState, Event, Refused, SessionState, Transition};
use crate::kcore::session::{Limits, LoginSn, QueueError, SessionCore, TxItem};
use crate::kcore::task::{self, CmdHandle, Completion, HostStatus, Task};
use crate::sys::scsi::{Cmd, CmdRef, DataDir, EhCmd, EhResult, Host, HostAttr, HostByte, HostData, HostOps, SysfsBuf};
use crate::sys::thread::Thread;
use core::fmt::Write;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex, SpinLock};
use kernel::time::msecs_to_jiffies;

/// Largest MaxOutstandingR2T the module handles per command (RFC 7143 §13.17).
pub(crate) const MAX_OUTSTANDING_R2T: u16 = 16;
/// Default queue depth (can_queue) when the helper asks for none.
pub(crate) const DEFAULT_QUEUE_DEPTH: u32 = 128;
/// Largest queue depth (well below `kcore::itt::MAX_TAGS`).
pub(crate) const MAX_QUEUE_DEPTH: u32 = 1024;
/// Lowest can_queue derived from a small initial CmdSN window; commands beyond
/// the window wait, they are not failed.
const MIN_QUEUE_DEPTH: u32 = 32;
/// Default seconds to wait for a Logout Response.
const DEFAULT_LOGOUT_TIMEOUT: u32 = 15;
/// Largest command timeout accepted from the helper, in seconds.
pub(crate) const MAX_CMD_TIMEOUT: u32 = 3600;

impl CmdHandle for Cmd {
    type Ref = CmdRef;
    fn new_ref(&self) -> CmdRef {
        Cmd::new_ref(self)
    }
}

/// The protocol state with the kernel's storage.
pub(crate) type Core = SessionCore<Cmd, KVec<Task<Cmd>>, KVec<u32>, KVec<TxItem>>;

/// Mutable session state, under `Session::inner`: the protocol state plus
/// what the current connection negotiated.
///
/// # Invariants
///
/// `params` and `cid` are those of the connection the core's sequence
/// numbers belong to (set together at bind and rebind).
pub(crate) struct Inner {
    core: Core,
    params: abi::NegotiatedParams,
    cid: u16,
    host_no: u32,
}

impl Deref for Inner {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl DerefMut for Inner {
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.core
    }
}

impl Inner {
    /// The SCSI host number, once the host exists.
    pub(crate) fn host_no(&self) -> u32 {
        self.host_no
    }

    /// The short state name of sysfs `iscsi_state` and the ABI's state.
    fn short_state(&self) -> (&'static str, u32) {
        match self.core.state() {
            (SessionState::LoggedIn, ConnState::LoggedIn) => ("logged_in", abi::STATE_LOGGED_IN),
            (SessionState::LoggedIn, ConnState::InLogout | ConnState::LogoutRequested) => {
                ("logging_out", abi::STATE_LOGGING_OUT)
            }
            (SessionState::Free, _) => ("logged_out", abi::STATE_FAILED),
            _ => ("failed", abi::STATE_FAILED),
        }
    }
}

/// Logs every transition and refused event at debug level.
fn trace(id: u32, r: core::result::Result<&Transition, &Refused>) {
    match r {
        Ok(t) => pr_debug!(
            "session {}: {} {} --{} {}--> {} {}\n",
            id,
            t.row.session.name(),
            t.row.conn.name(),
            t.row.session_label.unwrap_or(t.row.label),
            t.event.name(),
            t.row.to_session.name(),
            t.row.to_conn.name()
        ),
        Err(e) => pr_debug!("session {}: {} refused in {} {}\n", id, e.event.name(), e.session.name(), e.conn.name()),
    }
}

/// Session statistics (`IOC_SESSION_STATS`), counted without a lock.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) commands: AtomicU64,
    pub(crate) responses: AtomicU64,
    pub(crate) read_bytes: AtomicU64,
    pub(crate) write_bytes: AtomicU64,
    pub(crate) pdus_sent: AtomicU64,
    pub(crate) pdus_received: AtomicU64,
    digest_errors: AtomicU64,
    protocol_errors: AtomicU64,
    transport_errors: AtomicU64,
    aborts: AtomicU64,
    conn_failures: AtomicU64,
}

impl Stats {
    /// Adds `n` to counter `c`.
    pub(crate) fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a connection failure under its reason's class.
    fn failure(&self, f: Failure) {
        Self::add(&self.conn_failures, 1);
        match f.kind() {
            FailureKind::Protocol => Self::add(&self.protocol_errors, 1),
            FailureKind::Digest => Self::add(&self.digest_errors, 1),
            FailureKind::Transport | FailureKind::Local => {}
        }
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

/// The parts created and torn down with the session's host and connection.
pub(crate) struct Parts {
    pub(crate) host: Option<Host<SessionHost>>,
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
    /// Seconds a command may take (the devices' `rq_timeout`); 0 for the
    /// midlayer's default.
    pub(crate) cmd_timeout: u32,
    /// The protocol state. A spinlock because queuecommand runs in atomic
    /// context; third in the lock order.
    #[pin]
    pub(crate) inner: SpinLock<Inner>,
    /// Wakes the transmit thread: new work in the queues, or a state change.
    #[pin]
    pub(crate) tx_wait: CondVar,
    /// Signals state changes to waiters (logout, threads stopped).
    #[pin]
    pub(crate) event: CondVar,
    /// The host and the connection threads: a mutex because creating and
    /// stopping them sleeps; second in the lock order.
    #[pin]
    pub(crate) parts: Mutex<Parts>,
    pub(crate) stats: Stats,
}

/// Text of a NUL-terminated name field.
pub(crate) fn field_str(b: &[u8]) -> &str {
    let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    core::str::from_utf8(b.get(..n).unwrap_or(&[])).unwrap_or("?")
}

fn host_byte(h: HostStatus) -> HostByte {
    match h {
        HostStatus::Ok => HostByte::Ok,
        HostStatus::NoConnect => HostByte::NoConnect,
        HostStatus::Error => HostByte::Error,
        HostStatus::TransportDisrupted => HostByte::TransportDisrupted,
    }
}

/// A vector of `n` values made by `f` (the task table: its entries own a
/// non-`Clone` command handle).
fn filled<T>(n: usize, f: impl Fn() -> T) -> Result<KVec<T>> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        v.push(f(), GFP_KERNEL)?;
    }
    Ok(v)
}

/// The login's sequence numbers and limits from a bind.
pub(crate) fn login_of(bind: &abi::ConnBind, window: CmdWindow) -> (LoginSn, Limits) {
    let sn = LoginSn { cmd_sn: Sn(bind.cmd_sn), exp_stat_sn: Sn(bind.exp_stat_sn), window };
    (sn, Limits { max_burst_length: bind.params.max_burst_length })
}

impl Session {
    /// A session in (Q3 LOGGED_IN, S5 LOGGED_IN) with the sequence numbers
    /// of the login the helper completed (T5, N2).
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn new(id: u32, bind: &abi::ConnBind, window: CmdWindow) -> Result<Arc<Self>> {
        let depth = match bind.queue_depth {
            0 => DEFAULT_QUEUE_DEPTH,
            d => d,
        };
        let can_queue = depth.min(window.size().max(MIN_QUEUE_DEPTH)).clamp(1, MAX_QUEUE_DEPTH);
        let n = can_queue as usize;
        let r2t = usize::from(bind.params.max_outstanding_r2t.clamp(1, MAX_OUTSTANDING_R2T));
        let (sn, limits) = login_of(bind, window);
        let mut core: Core = SessionCore::new(
            id,
            filled(n, Task::new)?,
            KVec::from_elem(0, n, GFP_KERNEL)?,
            KVec::from_elem(TxItem::Logout, n * (r2t + 1) + 8, GFP_KERNEL)?,
            sn,
            limits,
        );
        core.set_trace(trace);
        core.on(Event::LoginComplete).map_err(|_| EINVAL)?;
        let inner = Inner { core, params: bind.params, cid: bind.cid, host_no: 0 };
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
                cmd_timeout: bind.cmd_timeout,
                inner <- kernel::new_spinlock!(inner, "iscsi_init::Session::inner"),
                tx_wait <- kernel::new_condvar!("iscsi_init::Session::tx_wait"),
                event <- kernel::new_condvar!("iscsi_init::Session::event"),
                parts <- kernel::new_mutex!(Parts { host: None, conn: None }, "iscsi_init::Session::parts"),
                stats: Stats::default(),
            }),
            GFP_KERNEL,
        )
    }

    /// Records the host number once the host exists.
    pub(crate) fn set_host_no(&self, host_no: u32) {
        self.inner.lock().host_no = host_no;
    }

    /// A new connection replaces the failed one (N7, T5/N10).
    ///
    /// # Errors
    ///
    /// EBUSY if the session is not failed with its old connection cleaned
    /// up (Q4 FAILED, S1 FREE) and its threads gone.
    pub(crate) fn continue_with(&self, bind: &abi::ConnBind, window: CmdWindow) -> Result {
        let mut g = self.inner.lock();
        if g.threads_running() != (false, false) {
            return Err(EBUSY);
        }
        let (sn, limits) = login_of(bind, window);
        g.continue_with(sn, limits).map_err(|_| EBUSY)?;
        g.params = bind.params;
        g.cid = bind.cid;
        Ok(())
    }

    /// queuecommand: records the command and wakes the transmit thread.
    /// Never blocks. `Err(cmd)` asks the midlayer to retry later.
    fn queuecommand(&self, cmd: Cmd) -> core::result::Result<(), Cmd> {
        let info = cmd.info();
        let dir = match info.dir {
            DataDir::None => task::DataDir::None,
            DataDir::Read => task::DataDir::Read,
            DataDir::Write => task::DataDir::Write,
            DataDir::Bidi => {
                self.complete(Some((cmd, Completion::host(HostStatus::Error, info.bufflen))));
                return Ok(());
            }
        };
        let ti = task::CmdInfo { cdb: info.cdb, cdb_len: info.cdb_len, bufflen: info.bufflen, dir, lun: info.lun };
        let r = self.inner.lock().queue(info.tag, cmd, ti);
        match r {
            Ok(_) => {
                Stats::add(&self.stats.commands, 1);
                self.tx_wait.notify_one();
                Ok(())
            }
            // Commands sent while there is no connection, or that the
            // module cannot carry, fail at once: no I/O hangs.
            Err(QueueError::Refuse(cmd, host)) => {
                if host == HostStatus::Error {
                    pr_err!("session {}: tag {} beyond can_queue\n", self.id, info.tag);
                }
                self.complete(Some((cmd, Completion::host(host, info.bufflen))));
                Ok(())
            }
            Err(QueueError::Busy(cmd)) => Err(cmd),
        }
    }

    /// Completes a command taken out of the task table.
    pub(crate) fn complete(&self, done: Option<(Cmd, Completion)>) {
        let Some((cmd, c)) = done else { return };
        if c.host == HostStatus::Ok {
            Stats::add(&self.stats.responses, 1);
        } else {
            Stats::add(&self.stats.transport_errors, 1);
        }
        if let Err(cmd) = cmd.complete(host_byte(c.host), c.status, c.resid, c.sense()) {
            // A handle of it is still in use: the completion rules above
            // were broken. The command is left to the midlayer's timeout.
            pr_err!("session {}: command completed while still in use\n", self.id);
            drop(cmd);
        }
    }

    /// Completes every outstanding command with `host` (after a connection
    /// failure, once the transmit thread has stopped) and empties the queues.
    pub(crate) fn flush(&self, host: HostStatus) {
        loop {
            let next = self.inner.lock().drain_one(host);
            match next {
                Some(d) => self.complete(Some(d)),
                None => break,
            }
        }
    }

    /// The connection failed for `why` (T15/T16/T17): counts it, logs it,
    /// wakes the threads. True if this call failed it (it was running).
    pub(crate) fn mark_failed(&self, why: Failure) -> bool {
        let changed = self.inner.lock().fail(why).is_some();
        if changed {
            self.stats.failure(why);
            if why == Failure::Stopped {
                pr_info!("session {}: connection stopped\n", self.id);
            } else {
                pr_err!("session {}: connection failed: {}\n", self.id, why.text());
            }
        }
        self.tx_wait.notify_all();
        self.event.notify_all();
        changed
    }

    /// The receive thread's end: the connection's commands are completed
    /// (M1 CleanedUp follows).
    pub(crate) fn cleaned_up(&self) {
        let _ = self.inner.lock().on(Event::CleanedUp);
        self.event.notify_all();
    }

    /// Whether the connection failed and was cleaned up (Q4 FAILED, S1
    /// FREE) with no thread left: a new connection may be bound.
    pub(crate) fn is_cleaned_up(&self) -> bool {
        let g = self.inner.lock();
        g.state() == (SessionState::Failed, ConnState::Free) && g.threads_running() == (false, false)
    }

    /// Fails the connection from outside its threads (error handler) and
    /// waits up to `ms` milliseconds until its commands were flushed.
    fn fail_and_wait(&self, why: Failure, ms: u32) -> bool {
        self.mark_failed(why);
        if let Some(c) = self.parts.lock().conn.as_ref() {
            c.conn.shutdown();
        }
        self.wait_until(ms, |g| g.threads_running() == (false, false))
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

    /// eh_abort_handler: at ErrorRecoveryLevel 0 a timed-out command is
    /// answered by dropping the connection, which completes every command.
    fn eh_abort(&self, tag: u32) -> EhResult {
        if !self.inner.lock().outstanding(tag) {
            return EhResult::Success;
        }
        Stats::add(&self.stats.aborts, 1);
        self.eh_result(self.fail_and_wait(Failure::ErrorHandlerAbort, 30_000))
    }

    /// eh_device_reset/eh_target_reset/eh_host_reset: as for an abort, the
    /// connection is dropped and every command completed.
    fn eh_reset(&self) -> EhResult {
        if !self.inner.lock().busy() {
            return EhResult::Success;
        }
        self.eh_result(self.fail_and_wait(Failure::ErrorHandlerReset, 30_000))
    }

    fn eh_result(&self, flushed: bool) -> EhResult {
        if flushed {
            EhResult::Success
        } else {
            EhResult::Failed
        }
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
        if !force && self.inner.lock().start_logout() {
            self.tx_wait.notify_one();
            let secs = if logout_timeout_s == 0 { DEFAULT_LOGOUT_TIMEOUT } else { logout_timeout_s.min(300) };
            let ok = self.wait_until(secs * 1000, |g| g.logout_response().is_some() || !g.machine().conn_running());
            let resp = self.inner.lock().logout_response();
            match resp {
                Some(LogoutResponseCode::Success) => pr_info!("session {}: logged out\n", self.id),
                Some(r) => pr_warn!("session {}: Logout Response {:?}\n", self.id, r),
                None if ok => pr_warn!("session {}: connection failed during logout\n", self.id),
                None => pr_warn!("session {}: no Logout Response in {} s\n", self.id, secs),
            }
        }
        // A connection still running (forced, or no answer) is stopped.
        self.mark_failed(Failure::Stopped);
        let conn = self.parts.lock().conn.take();
        if let Some(c) = conn {
            c.conn.shutdown();
            c.rx.stop();
            c.tx.stop();
        }
        // Anything still outstanding (only possible if a thread never ran).
        self.flush(HostStatus::NoConnect);
        {
            let mut g = self.inner.lock();
            let _ = g.on(Event::CleanedUp);
            let _ = g.on(Event::Close);
        }
        drop(host);
    }

    /// A record for `IOC_SESSION_LIST`.
    pub(crate) fn info(&self) -> abi::SessionInfo {
        let g = self.inner.lock();
        let w = g.window();
        abi::SessionInfo {
            session_id: self.id,
            host_no: g.host_no,
            state: g.short_state().1,
            cid: g.cid,
            tsih: self.ident.tsih,
            isid: self.ident.isid,
            tpgt: self.ident.tpgt,
            cmd_sn: g.cmd_sn().0,
            exp_cmd_sn: w.exp_cmd_sn.0,
            max_cmd_sn: w.max_cmd_sn.0,
            exp_stat_sn: g.exp_stat_sn().0,
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
        out.state = self.inner.lock().short_state().1;
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
    fn show(&self, attr: HostAttr, out: &mut SysfsBuf<'_>) {
        let (short, (q, s), p) = {
            let g = self.inner.lock();
            (g.short_state().0, g.state(), g.params)
        };
        let _ = match attr {
            HostAttr::SessionId => writeln!(out, "{}", self.id),
            HostAttr::State => writeln!(out, "{}", short),
            HostAttr::SessionState => writeln!(out, "{}", q.name()),
            HostAttr::ConnState => writeln!(out, "{}", s.name()),
            HostAttr::TargetName => writeln!(out, "{}", field_str(&self.ident.target_name)),
            HostAttr::Portal => writeln!(out, "{}", field_str(&self.ident.portal)),
            HostAttr::InitiatorName => writeln!(out, "{}", field_str(&self.ident.initiator_name)),
            HostAttr::Params => write_params(out, &p),
        };
    }
}

/// The SCSI host driver of a session: its callbacks borrow the session.
pub(crate) struct SessionHost;

impl HostOps for SessionHost {
    type Data = Arc<Session>;

    fn queuecommand(s: HostData<'_, Self>, cmd: Cmd) -> core::result::Result<(), Cmd> {
        s.queuecommand(cmd)
    }

    fn eh_abort(s: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult {
        s.eh_abort(cmd.tag())
    }

    fn eh_device_reset(s: HostData<'_, Self>, _cmd: &EhCmd<'_>) -> EhResult {
        s.eh_reset()
    }

    fn eh_target_reset(s: HostData<'_, Self>, _cmd: &EhCmd<'_>) -> EhResult {
        s.eh_reset()
    }

    fn eh_host_reset(s: HostData<'_, Self>) -> EhResult {
        s.eh_reset()
    }

    fn show(s: HostData<'_, Self>, attr: HostAttr, out: &mut SysfsBuf<'_>) {
        s.show(attr, out)
    }

    fn cmd_timeout(s: HostData<'_, Self>) -> u32 {
        s.cmd_timeout
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

/// The negotiated parameters, one `Key=Value` per line (RFC 7143 key names;
/// the target's MaxRecvDataSegmentLength as MaxXmitDataSegmentLength).
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
