// SPDX-License-Identifier: GPL-2.0

//! A session: one SCSI host, its protocol state and its connection (RFC 7143
//! §4, §8, §10). The protocol state and every check on received PDUs are the
//! host-tested [`kcore::session::SessionCore`](crate::kcore::session); this
//! file adds the kernel's side: the lock around it, the wait queues, the
//! SCSI host callbacks ([`HostOps`]), the counters and the session's
//! maintenance thread (keepalive, `replacement_timeout`, LUN rescans). The
//! connection's threads live in `crate::conn`.
//!
//! # Recovery
//!
//! At ERL 0 a failed connection takes the session to Q4 FAILED. The receive
//! thread, last to stop, decides with the core what I/O does until the
//! next connection ([`kcore::recovery`](crate::kcore::recovery)): it blocks
//! the host's devices, then completes every outstanding command with
//! DID_REQUEUE (back to the block layer, retry budget untouched), then
//! posts an event for the daemon. A new connection (`Control::rebind`)
//! unblocks the devices and the block layer sends the commands again. The
//! maintenance thread turns the devices to transport-offline once
//! `replacement_timeout` expires. Every device transition is made by
//! [`Session::sync_devices`], which applies the core's I/O state.
//!
//! # Lock order
//!
//! 1. `Control::binding` (mutex): serialises `IOC_CONN_BIND`.
//! 2. `Control::sessions` (mutex): the session list.
//! 3. `Session::parts` (mutex): the host, the threads, the devices' state.
//! 4. `conn::RxSide::state` (spinlock, `_bh`): the receive state; taken in
//!    the socket's `data_ready` callback, under the socket's own locks.
//! 5. `Session::inner` (spinlock, `_bh`): the protocol state.
//! 6. `Events::ring` (spinlock): the event queue (nothing is taken under it).
//!
//! A lock may be taken while holding one above it, never one below it.
//! `RxSide::state` is held while a received PDU completes its command
//! (`scsi_done()` in softirq, as iscsi_tcp does) and never across anything
//! that sleeps.
//! `inner` is never held across socket I/O, `scsi_done()`, a thread stop,
//! a host removal or anything else that sleeps; `parts` is never held
//! across a thread stop or a host removal either (the parts are taken out
//! first), because the threads and the midlayer take `inner`, and the
//! error handler takes `parts`.
//!
//! # Completion
//!
//! A command (`Cmd`) is completed exactly once, by whoever takes it out of
//! the task table: the receive side (`conn::RxSide`, in the socket's
//! callback: final status, no transmit work left), the transmit thread (its
//! last transmit reference, status already there), or the flush after the
//! connection failed, which runs only after the transmit thread left its
//! loop and the receive callbacks were unhooked. The receive side is the
//! only one that places data into a command's buffer. `sys::scsi` enforces the rest:
//! a command cannot be completed while a `CmdRef` of it exists.

use crate::abi;
use crate::codec::logout::LogoutResponseCode;
use crate::events::{Event as UserEvent, Events};
use crate::codec::serial::{CmdWindow, Sn};
use crate::conn::Conn;
use crate::kcore::failure::{Failure, FailureKind};
use crate::kcore::fsm::{ConnState, Event, Refused, SessionState, Transition};
use crate::kcore::recovery::{self, Io, Keepalive, Timers};
use crate::kcore::session::{Limits, LoginSn, QueueError, SessionCore, TxItem, TxWork};
use crate::kcore::task::{self, CmdHandle, Completion, HostStatus, Task};
use crate::kcore::tmf::{self, TmfKind, TmfOutcome};
use crate::kcore::session::TmfStart;
use crate::sys::scsi::{Cmd, CmdRef, DataDir, EhCmd, EhResult, Host, HostAttr, HostByte, HostData, HostOps, SysfsBuf};
use crate::sys::thread::{self, Thread};
use crate::sys::workqueue;
use crate::sys::time::now_ms;
use core::fmt::Write;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;
use crate::sys::sync::{new_spinlock_bh, SpinLockBh};
use kernel::sync::{Arc, ArcBorrow, CondVar, Mutex};
use kernel::workqueue::{Work, WorkItem};
use kernel::time::msecs_to_jiffies;

/// Largest MaxOutstandingR2T the module handles per command (RFC 7143 §13.17).
pub(crate) const MAX_OUTSTANDING_R2T: u16 = 16;
/// Default queue depth (can_queue) when the helper asks for none.
pub(crate) const DEFAULT_QUEUE_DEPTH: u32 = 128;
/// Largest queue depth (well below `kcore::itt::MAX_TAGS`).
pub(crate) const MAX_QUEUE_DEPTH: u32 = 1024;
/// Default seconds to wait for a Logout Response.
const DEFAULT_LOGOUT_TIMEOUT: u32 = crate::kcore::session::LOGOUT_TIMEOUT_S;
/// Largest command timeout accepted from the helper, in seconds.
pub(crate) const MAX_CMD_TIMEOUT: u32 = 3600;
/// Longest sleep of the maintenance thread between checks, in milliseconds.
const MAINT_MAX_SLEEP_MS: u64 = 10_000;
/// How often an error-handler wait looks again at its condition, in
/// milliseconds (it is also woken by the session's `event`).
const EH_POLL_MS: u64 = 100;
/// Seconds an `eh_host_reset_handler` waits beyond `replacement_timeout`
/// for the session to come back.
const HOST_RESET_SLACK_S: u64 = 10;

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
/// `params`, `cid` and `tsih` are those of the connection the core's
/// sequence numbers belong to (set together at bind and rebind). `conn` is
/// `Some` from the start of a connection's threads until its receive
/// thread's end, and only then: the connection `queuecommand` sends on
/// inline.
pub(crate) struct Inner {
    core: Core,
    /// The current connection, for `queuecommand`'s inline sends. It is
    /// taken out (and dropped outside the lock) at the receive thread's
    /// end, which breaks the cycle session -> connection -> session.
    pub(crate) conn: Option<Arc<Conn>>,
    params: abi::NegotiatedParams,
    cid: u16,
    tsih: u16,
    host_no: u32,
    /// Seconds each task management function waits for its response,
    /// per [`TmfKind::index`] (sysfs `iscsi_abort_timeout`,
    /// `iscsi_lu_reset_timeout`, `iscsi_tgt_reset_timeout`).
    tmf_timeouts: [u32; 3],
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

    /// Claims the transmitter for a send from the submitting CPU (inline
    /// from `queuecommand`, or by its work item): the connection, the first
    /// work and whether more is queued behind it; `None` when the
    /// transmitter is held (its holder sends what was queued), nothing can
    /// be sent, or there is no connection.
    fn claim_submitter_send(&mut self) -> Option<(Arc<Conn>, TxWork<CmdRef>, bool)> {
        let conn = self.conn.clone()?;
        // Not the last reference (`self.conn` holds one): dropping it under
        // the lock when nothing is claimed frees nothing.
        let work = self.core.claim_tx()?;
        Some((conn, work, self.core.tx_more()))
    }
}

kernel::impl_has_work! {
    impl HasWork<Self> for Session { self.tx_work }
}

impl WorkItem for Session {
    type Pointer = Arc<Session>;

    fn run(this: Arc<Session>) {
        this.tx_work_run();
    }
}

/// How `queuecommand` has a command sent that found the session idle.
enum SubmitterSend {
    /// Inline, by `queuecommand` itself: the claim of
    /// [`Inner::claim_submitter_send`].
    Inline((Arc<Conn>, TxWork<CmdRef>, bool)),
    /// By the session's transmit work item, queued on this CPU.
    Work,
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
    /// Commands `queuecommand` sent inline (sysfs `iscsi_tx_inline_sends`).
    pub(crate) inline_sends: AtomicU64,
    /// Sends the transmit work item made (sysfs `iscsi_tx_work_sends`).
    pub(crate) work_sends: AtomicU64,
    /// Reads the receive thread made because `sk_data_ready` left them to
    /// it (sysfs `iscsi_rx_thread_reads`; module parameter
    /// `rx_thread_depth`).
    pub(crate) rx_thread_reads: AtomicU64,
    /// Bytes of write data sent from a copy, because the disk's pages were
    /// not stable under a DataDigest (sysfs `iscsi_tx_copied_bytes`;
    /// `Conn::send_segment`).
    pub(crate) copied_bytes: AtomicU64,
    digest_errors: AtomicU64,
    protocol_errors: AtomicU64,
    transport_errors: AtomicU64,
    aborts: AtomicU64,
    conn_failures: AtomicU64,
    requeued: AtomicU64,
    host_resets: AtomicU64,
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
    pub(crate) tpgt: u16,
}

/// What the host's devices were last set to ([`Session::sync_devices`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Devices {
    /// Running (as `scsi_add_host` leaves them).
    Running,
    /// Blocked (`scsi_block_targets`): I/O waits.
    Blocked,
    /// Transport-offline: the midlayer fails I/O at once.
    Offline,
}

/// The parts created and torn down with the session's host and connection.
pub(crate) struct Parts {
    pub(crate) host: Option<Host<SessionHost>>,
    pub(crate) conn: Option<ConnThreads>,
    /// The maintenance thread (keepalive, replacement timeout, rescans).
    pub(crate) maint: Option<Thread>,
    pub(crate) devices: Devices,
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
    /// context, taken with softirqs off (`_bh`) because the receive side
    /// runs in the socket's softirq callback; fourth in the lock order.
    #[pin]
    pub(crate) inner: SpinLockBh<Inner>,
    /// Wakes the transmit thread: new work in the queues, or a state change.
    #[pin]
    pub(crate) tx_wait: CondVar,
    /// The send of a command that found the session idle, queued by
    /// `queuecommand` on its own CPU (module parameter `tx_work`; see
    /// [`Session::queuecommand`]).
    #[pin]
    tx_work: Work<Session>,
    /// Signals state changes to waiters (logout, threads stopped).
    #[pin]
    pub(crate) event: CondVar,
    /// The host and the connection threads: a mutex because creating and
    /// stopping them sleeps; second in the lock order.
    #[pin]
    pub(crate) parts: Mutex<Parts>,
    pub(crate) stats: Stats,
    /// When the last PDU arrived (ms, [`now_ms`]), for the keepalive;
    /// written by the receive side without a lock.
    pub(crate) last_rx: AtomicU64,
    /// Whether `queuecommand` sends inline when its command is the only one
    /// outstanding (sysfs `iscsi_tx_inline`); off, every command goes
    /// through the transmit thread. Only ever on when `tx_inline_capable`.
    /// Read without a lock.
    pub(crate) tx_inline: AtomicBool,
    /// Whether the host's queuecommand may sleep (module parameter
    /// `tx_inline` when the host was created), which inline sends need.
    tx_inline_capable: AtomicBool,
    /// Largest MaxOutstandingR2T a connection of this session may use (the
    /// transmit queue was sized for it).
    r2t_cap: u16,
    events: Arc<Events>,
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
        HostStatus::Requeue => HostByte::Requeue,
        HostStatus::TransportFailfast => HostByte::TransportFailfast,
        HostStatus::Aborted => HostByte::Abort,
        HostStatus::Reset => HostByte::Reset,
    }
}

/// The error handler's timeouts from a bind, seconds per [`TmfKind::index`].
pub(crate) fn tmf_timeouts_of(b: &abi::ConnBind) -> [u32; 3] {
    [
        timer(b.abort_timeout, tmf::ABORT_TIMEOUT_S),
        timer(b.lu_reset_timeout, tmf::LU_RESET_TIMEOUT_S),
        timer(b.tgt_reset_timeout, tmf::TARGET_RESET_TIMEOUT_S),
    ]
}

/// A LUN for the log: the flat or peripheral LUN number of the first level
/// (SAM-5 §4.7), as `lsscsi` shows it.
fn lun_number(l: &[u8; 8]) -> u32 {
    (u32::from(l[0] & 0x3f) << 8) | u32::from(l[1])
}

/// A timer from a bind: `TIMER_DEFAULT` for `default`.
fn timer(v: u32, default: u32) -> u32 {
    if v == abi::TIMER_DEFAULT {
        default
    } else {
        v
    }
}

/// The recovery timers a bind asks for.
pub(crate) fn timers_of(b: &abi::ConnBind) -> Timers {
    Timers {
        replacement_timeout: timer(b.replacement_timeout, recovery::DEFAULT_REPLACEMENT_TIMEOUT),
        noop_out_interval: timer(b.noop_out_interval, recovery::DEFAULT_NOOP_OUT_INTERVAL),
        noop_out_timeout: timer(b.noop_out_timeout, recovery::DEFAULT_NOOP_OUT_TIMEOUT),
    }
}

/// 1-based cause code of the ABI (`abi::FAILURE_NAMES`).
fn cause_code(f: Failure) -> u32 {
    f.index() as u32 + 1
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
    let limits =
        Limits { max_burst_length: bind.params.max_burst_length, default_time2wait: bind.params.default_time2wait };
    (sn, limits)
}

impl Session {
    /// A session in (Q3 LOGGED_IN, S5 LOGGED_IN) with the sequence numbers
    /// of the login the helper completed (T5, N2).
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn new(id: u32, bind: &abi::ConnBind, window: CmdWindow, events: Arc<Events>) -> Result<Arc<Self>> {
        let depth = match bind.queue_depth {
            0 => DEFAULT_QUEUE_DEPTH,
            d => d,
        };
        // Not limited by the login's CmdSN window: LIO answers the login
        // with a window of 1 and opens its default_cmdsn_depth (64) with the
        // first response, so a limit taken there held every LIO session to
        // 32 commands for all its LUNs. Commands beyond the window wait in
        // the ring; they are not failed (as open-iscsi's cmds_max, 128).
        let can_queue = depth.clamp(1, MAX_QUEUE_DEPTH);
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
            timers_of(bind),
        );
        core.set_trace(trace);
        core.set_clock(now_ms);
        core.on(Event::LoginComplete).map_err(|_| EINVAL)?;
        let inner = Inner {
            core,
            conn: None,
            params: bind.params,
            cid: bind.cid,
            tsih: bind.tsih,
            host_no: 0,
            tmf_timeouts: tmf_timeouts_of(bind),
        };
        let ident = Identity {
            target_name: bind.target_name,
            initiator_name: bind.initiator_name,
            target_alias: bind.target_alias,
            portal: bind.portal,
            isid: bind.isid,
            tpgt: bind.tpgt,
        };
        Arc::pin_init(
            pin_init!(Session {
                id,
                ident,
                can_queue,
                cmd_timeout: bind.cmd_timeout,
                inner <- new_spinlock_bh!(inner, "iscsi_init::Session::inner"),
                tx_wait <- kernel::new_condvar!("iscsi_init::Session::tx_wait"),
                tx_work <- kernel::new_work!("iscsi_init::Session::tx_work"),
                event <- kernel::new_condvar!("iscsi_init::Session::event"),
                parts <- kernel::new_mutex!(
                    Parts { host: None, conn: None, maint: None, devices: Devices::Running },
                    "iscsi_init::Session::parts"
                ),
                stats: Stats::default(),
                last_rx: AtomicU64::new(now_ms()),
                tx_inline: AtomicBool::new(false),
                tx_inline_capable: AtomicBool::new(false),
                r2t_cap: bind.params.max_outstanding_r2t.clamp(1, MAX_OUTSTANDING_R2T),
                events,
            }),
            GFP_KERNEL,
        )
    }

    /// Records whether the host's queuecommand may sleep, before the host is
    /// added; inline sending starts on if it may.
    pub(crate) fn set_tx_inline_capable(&self, may_block: bool) {
        self.tx_inline_capable.store(may_block, Ordering::Relaxed);
        self.tx_inline.store(may_block, Ordering::Relaxed);
    }

    /// Records the host number once the host exists.
    pub(crate) fn set_host_no(&self, host_no: u32) {
        self.inner.lock().host_no = host_no;
    }

    /// A new connection replaces the ended one: with the session's TSIH a
    /// continuation (N7, T5/N10), with a new TSIH a reinstatement (N6, N1,
    /// T5/N2). Returns whether it was a reinstatement.
    ///
    /// # Errors
    ///
    /// EBUSY if the session does not await a connection (its old one is
    /// not cleaned up, or its threads still run, or it is being removed);
    /// EINVAL if the login allows more outstanding R2Ts than the session's
    /// queues were sized for.
    pub(crate) fn rebind(&self, bind: &abi::ConnBind, window: CmdWindow) -> Result<bool> {
        if bind.params.max_outstanding_r2t > self.r2t_cap {
            pr_warn!(
                "bind: session {}: MaxOutstandingR2T={} above the session's {}\n",
                self.id,
                bind.params.max_outstanding_r2t,
                self.r2t_cap
            );
            return Err(EINVAL);
        }
        let mut g = self.inner.lock();
        if g.threads_running() != (false, false) || !g.awaits_connection() {
            return Err(EBUSY);
        }
        let (sn, limits) = login_of(bind, window);
        let reinstated = bind.tsih != g.tsih;
        if reinstated {
            g.reinstate_with(sn, limits)
        } else {
            g.continue_with(sn, limits)
        }
        .map_err(|_| EBUSY)?;
        g.params = bind.params;
        g.cid = bind.cid;
        g.tsih = bind.tsih;
        Ok(reinstated)
    }

    /// The new connection's threads run: I/O resumes (the devices are
    /// unblocked), the daemon is told, and one line is logged.
    pub(crate) fn resumed(&self, reinstated: bool) {
        let (down, cause) = {
            let mut g = self.inner.lock();
            let cause = g.recovery().last_failure().map(|f| f.0);
            (g.recovered(), cause)
        };
        self.last_rx.store(now_ms(), Ordering::Relaxed);
        self.sync_devices();
        let down = down.unwrap_or(0);
        pr_info!(
            "session {}: recovered by {} after {}.{:03} s without a connection (cause: {})\n",
            self.id,
            if reinstated { "reinstatement" } else { "continuation" },
            down / 1000,
            down % 1000,
            cause.map(|c| c.text()).unwrap_or("none")
        );
        self.events.post(UserEvent {
            kind: abi::EVENT_RECOVERED,
            session_id: self.id,
            downtime_ms: down.min(u64::from(u32::MAX)) as u32,
            ..UserEvent::default()
        });
        self.event.notify_all();
    }

    /// Applies the core's I/O state to the host's devices: the one place
    /// where they are blocked, unblocked or turned transport-offline.
    /// Sleeps (the midlayer's block and unblock do).
    pub(crate) fn sync_devices(&self) {
        let mut parts = self.parts.lock();
        let io = self.inner.lock().recovery().io();
        let want = match io {
            Io::Running => Devices::Running,
            Io::Held => Devices::Blocked,
            Io::FailFast | Io::Closing => Devices::Offline,
        };
        if want == parts.devices {
            return;
        }
        if let Some(h) = parts.host.as_ref() {
            match want {
                Devices::Blocked => h.block(),
                Devices::Offline => {
                    if parts.devices == Devices::Running {
                        h.block();
                    }
                    h.unblock(true);
                }
                Devices::Running => h.unblock(false),
            }
        }
        parts.devices = want;
    }

    /// The receive thread's end, after the transmit thread stopped: I/O is
    /// held (or failed), the devices follow, the outstanding commands are
    /// requeued (or failed), the connection is cleaned up (M1), and the
    /// daemon is told that the session needs a new connection.
    pub(crate) fn connection_ended(&self) {
        let (io, host) = self.inner.lock().io_after_connection();
        self.sync_devices();
        let requeued = self.flush(host);
        let (cause, delay) = {
            let mut g = self.inner.lock();
            let _ = g.on(Event::CleanedUp);
            g.set_running(true, false);
            let cause = g.recovery().last_failure().map(|f| f.0).unwrap_or(Failure::Socket);
            let delay = match g.recovery().reconnect_delay() {
                0 => u32::from(g.params.default_time2wait),
                d => d,
            };
            (cause, delay)
        };
        self.event.notify_all();
        if io == Io::Closing {
            return;
        }
        pr_info!(
            "session {}: I/O {} ({} commands taken back); waiting for a new connection\n",
            self.id,
            if io == Io::Held { "held" } else { "failing fast" },
            requeued
        );
        self.events.post(UserEvent {
            kind: abi::EVENT_CONN_FAILED,
            session_id: self.id,
            cause: cause_code(cause),
            delay_s: delay,
            ..UserEvent::default()
        });
    }

    /// Starts the maintenance thread.
    ///
    /// # Errors
    ///
    /// What starting a kernel thread returns.
    pub(crate) fn start_maintenance(self: &Arc<Self>) -> Result {
        let name = kernel::str::CString::try_from_fmt(kernel::fmt!("iscsi_eh/{}", self.id))?;
        let t = thread::spawn(&name, self.clone(), Session::maint_main)?;
        self.parts.lock().maint = Some(t);
        Ok(())
    }

    /// Body of the maintenance thread, as FreeBSD's
    /// `iscsi_maintenance_thread`: the NOP-Out keepalive, the
    /// `replacement_timeout`, and LUN rescans the target asked for.
    fn maint_main(&self) {
        while !thread::should_stop() {
            let last_rx = self.last_rx.load(Ordering::Relaxed);
            let (ka, repl, rescan, logout) = {
                let mut g = self.inner.lock();
                (g.keepalive(last_rx), g.replacement(), g.take_rescan(), g.logout_due())
            };
            let mut sleep = MAINT_MAX_SLEEP_MS;
            match logout {
                // A Logout (the target asked for) that was never answered.
                Some(0) => {
                    if self.mark_failed(Failure::LogoutTimeout) {
                        if let Some(c) = self.parts.lock().conn.as_ref() {
                            c.conn.shutdown();
                        }
                    }
                }
                Some(ms) => sleep = sleep.min(ms),
                None => {}
            }
            match ka {
                Keepalive::Ping(ms) => {
                    self.tx_wait.notify_one();
                    sleep = sleep.min(ms);
                }
                Keepalive::Expired => {
                    if self.mark_failed(Failure::KeepaliveTimeout) {
                        if let Some(c) = self.parts.lock().conn.as_ref() {
                            c.conn.shutdown();
                        }
                    }
                }
                Keepalive::Wait(Some(ms)) => sleep = sleep.min(ms),
                Keepalive::Wait(None) => {}
            }
            match repl {
                Some(0) => {
                    let t = self.inner.lock().recovery().timers().replacement_timeout;
                    pr_warn!("session {}: no connection within replacement_timeout ({} s): failing I/O\n", self.id, t);
                    self.sync_devices();
                    self.events.post(UserEvent {
                        kind: abi::EVENT_REPLACEMENT_TIMEOUT,
                        session_id: self.id,
                        ..UserEvent::default()
                    });
                }
                Some(ms) => sleep = sleep.min(ms),
                None => {}
            }
            if rescan {
                pr_info!("session {}: the target reports changed LUNs: rescanning\n", self.id);
                if let Some(h) = self.parts.lock().host.as_ref() {
                    h.scan();
                }
                // New LUNs are added by the scan; the daemon drops removed ones.
                self.events.post(UserEvent {
                    kind: abi::EVENT_LUNS_CHANGED,
                    session_id: self.id,
                    ..UserEvent::default()
                });
            }
            let mut g = self.inner.lock();
            if thread::should_stop() {
                break;
            }
            // Woken early by state changes (and by kthread_stop).
            let _ = self.event.wait_interruptible_timeout(&mut g, msecs_to_jiffies(sleep.max(1) as u32));
        }
    }

    /// queuecommand: records the command, then has it sent. When it finds
    /// the session idle ([`SessionCore::send_in_submitter`]: the only
    /// command outstanding, the transmitter free), it is sent from the
    /// submitting CPU: inline, with inline sending on (the host is
    /// `queuecommand_may_block`, so the send may sleep for socket room), or
    /// else by the session's transmit work item queued on this CPU (module
    /// parameter `tx_work`, default on), which runs as soon as the
    /// submitter sleeps, with no other CPU to wake. Otherwise the transmit
    /// thread is woken (at depth it sends beside the submitter, on the
    /// other CPU). `Err(cmd)` asks the midlayer to retry later.
    fn queuecommand(this: ArcBorrow<'_, Session>, cmd: Cmd) -> core::result::Result<(), Cmd> {
        let s = &*this;
        let info = cmd.info();
        let dir = match info.dir {
            DataDir::None => task::DataDir::None,
            DataDir::Read => task::DataDir::Read,
            DataDir::Write => task::DataDir::Write,
            DataDir::Bidi => {
                s.complete(Some((cmd, Completion::host(HostStatus::Error, info.bufflen))));
                return Ok(());
            }
        };
        let ti = task::CmdInfo { cdb: info.cdb, cdb_len: info.cdb_len, bufflen: info.bufflen, dir, lun: info.lun };
        let (r, send) = {
            let mut g = s.inner.lock();
            let r = g.queue(info.tag, cmd, ti);
            let send = if r.is_ok() && g.core.send_in_submitter(&ti) {
                if s.tx_inline.load(Ordering::Relaxed) {
                    g.claim_submitter_send().map(SubmitterSend::Inline)
                } else if workqueue::tx_work() {
                    Some(SubmitterSend::Work)
                } else {
                    None
                }
            } else {
                None
            };
            (r, send)
        };
        match r {
            Ok(_) => {
                Stats::add(&s.stats.commands, 1);
                match send {
                    // The session was idle: this context sends the command
                    // (and whatever was queued behind it meanwhile) now,
                    // with no thread to wake. A failed send fails the
                    // connection.
                    Some(SubmitterSend::Inline((conn, work, more))) => {
                        Stats::add(&s.stats.inline_sends, 1);
                        let _ = conn.send_all(work, more);
                    }
                    // The work item claims the transmitter when it runs;
                    // if a sender got it first, that one sends the command.
                    // Queued already: it has yet to run, and will find
                    // this command.
                    Some(SubmitterSend::Work) => {
                        if workqueue::enqueue(Arc::from(this)).is_none() {
                            s.tx_wait.notify_one();
                        }
                    }
                    None => s.tx_wait.notify_one(),
                }
                Ok(())
            }
            // Commands sent while there is no connection, or that the
            // module cannot carry, fail at once: no I/O hangs.
            Err(QueueError::Refuse(cmd, host)) => {
                if host == HostStatus::Error {
                    pr_err!("session {}: tag {} beyond can_queue\n", s.id, info.tag);
                }
                s.complete(Some((cmd, Completion::host(host, info.bufflen))));
                Ok(())
            }
            Err(QueueError::Busy(cmd)) => Err(cmd),
        }
    }

    /// The transmit work item ([`Session::queuecommand`]): claims the
    /// transmitter and sends what is queued, as the thread would.
    fn tx_work_run(&self) {
        let claimed = self.inner.lock().claim_submitter_send();
        if let Some((conn, work, more)) = claimed {
            Stats::add(&self.stats.work_sends, 1);
            // A failed send fails the connection.
            let _ = conn.send_all(work, more);
        }
    }

    /// Completes a command taken out of the task table.
    pub(crate) fn complete(&self, done: Option<(Cmd, Completion)>) {
        let Some((cmd, c)) = done else { return };
        match c.host {
            HostStatus::Ok => Stats::add(&self.stats.responses, 1),
            HostStatus::Requeue => Stats::add(&self.stats.requeued, 1),
            // Counted by task management, which the error handler waits on.
            HostStatus::Aborted | HostStatus::Reset => self.event.notify_all(),
            _ => Stats::add(&self.stats.transport_errors, 1),
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
    /// Returns how many commands it completed.
    pub(crate) fn flush(&self, host: HostStatus) -> usize {
        let mut n = 0;
        loop {
            let next = self.inner.lock().drain_one(host);
            match next {
                Some(d) => self.complete(Some(d)),
                None => break,
            }
            n += 1;
        }
        n
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

    /// A connection that never ran is cleaned up (M1 CleanedUp).
    pub(crate) fn cleaned_up(&self) {
        let _ = self.inner.lock().on(Event::CleanedUp);
        self.event.notify_all();
    }

    /// Whether the session awaits a new connection: the old one ended and
    /// was cleaned up, with no thread left.
    pub(crate) fn awaits_connection(&self) -> bool {
        let g = self.inner.lock();
        g.awaits_connection() && g.threads_running() == (false, false)
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

    /// The error handler's wait: until `cond` holds or the clock passes
    /// `deadline` (ms, [`now_ms`]); woken by `event` and, in case a
    /// wake-up is missed, every [`EH_POLL_MS`]. Whether `cond` holds.
    fn eh_wait(&self, deadline: u64, cond: impl Fn(&Inner) -> bool) -> bool {
        loop {
            let now = now_ms();
            if now >= deadline {
                return cond(&self.inner.lock());
            }
            let slice = (deadline - now).min(EH_POLL_MS) as u32;
            if self.wait_until(slice, &cond) {
                return true;
            }
        }
    }

    /// When a task management function of `kind` started now gives up (ms).
    fn tmf_deadline(&self, kind: TmfKind) -> u64 {
        let secs = self.inner.lock().tmf_timeouts[kind.index()];
        now_ms() + u64::from(secs) * 1000
    }

    /// Waits until `deadline` for the outcome of the queued request `itt`,
    /// then releases it. A successful function also waits until the tasks
    /// it ended have left the task table (commands stay held until then).
    /// The outcome, `None` if it timed out.
    fn tmf_wait(&self, itt: crate::kcore::itt::Itt, deadline: u64) -> Option<TmfOutcome> {
        self.tx_wait.notify_one();
        self.eh_wait(deadline, |g| g.tmf_outcome(itt).is_some());
        let (outcome, req) = {
            let g = self.inner.lock();
            (g.tmf_outcome(itt), g.tmf_request())
        };
        if let (Some(TmfOutcome::Answered(r)), Some(req)) = (outcome, req) {
            if req.kind.succeeded(r) {
                self.eh_wait(deadline, |g| !g.tmf_affected_outstanding(&req));
            }
        }
        self.inner.lock().tmf_release(itt);
        // Held commands go out again.
        self.tx_wait.notify_one();
        outcome
    }

    /// eh_abort_handler: ABORT TASK for a command that timed out (RFC 7143
    /// §11.5.1, as libiscsi's `iscsi_eh_abort`). A command still queued is
    /// taken back without the target. SUCCESS once the command is no longer
    /// the module's; FAILED (the midlayer escalates to a LOGICAL UNIT RESET)
    /// when the target refuses or does not answer within `abort_timeout`.
    fn eh_abort(&self, tag: u32) -> EhResult {
        let Some(itt) = self.inner.lock().itt_of(tag) else {
            return EhResult::Success;
        };
        Stats::add(&self.stats.aborts, 1);
        let deadline = self.tmf_deadline(TmfKind::AbortTask);
        let gone = |g: &Inner| !g.outstanding_itt(itt);
        loop {
            let start = self.inner.lock().tmf_abort(tag);
            match start {
                TmfStart::NotOutstanding => return EhResult::Success,
                TmfStart::Local(cmd, c) => {
                    pr_info!("session {}: aborted ITT {:#x} before it was sent\n", self.id, itt.to_wire());
                    self.complete(Some((cmd, c)));
                    return EhResult::Success;
                }
                TmfStart::Leaving | TmfStart::NoConnection => return self.eh_result(self.eh_wait(deadline, gone)),
                TmfStart::Busy => {
                    if !self.eh_wait(deadline, |g| g.tmf_idle() || gone(g)) {
                        pr_warn!("session {}: ABORT TASK for ITT {:#x}: another function still waits\n", self.id, itt.to_wire());
                        return EhResult::Failed;
                    }
                }
                TmfStart::Queued(t) => {
                    let outcome = self.tmf_wait(t, deadline);
                    return match outcome {
                        Some(TmfOutcome::Answered(r)) if TmfKind::AbortTask.succeeded(r) => {
                            pr_info!("session {}: ABORT TASK for ITT {:#x}: {:?}\n", self.id, itt.to_wire(), r);
                            self.eh_result(self.eh_wait(deadline, gone))
                        }
                        Some(TmfOutcome::Answered(r)) => {
                            pr_warn!("session {}: ABORT TASK for ITT {:#x} refused: {:?}\n", self.id, itt.to_wire(), r);
                            EhResult::Failed
                        }
                        // The flush after the failure takes the command.
                        Some(TmfOutcome::ConnectionLost) => self.eh_result(self.eh_wait(deadline, gone)),
                        None => {
                            pr_warn!("session {}: ABORT TASK for ITT {:#x}: no response in time\n", self.id, itt.to_wire());
                            EhResult::Failed
                        }
                    };
                }
            }
        }
    }

    /// eh_device_reset_handler (LOGICAL UNIT RESET of `lun`) and
    /// eh_target_reset_handler (TARGET WARM RESET): as libiscsi's
    /// `iscsi_eh_device_reset` and `iscsi_eh_target_reset`. New commands
    /// wait while the request is outstanding; on "function complete" the
    /// tasks it ended are completed once each (DID_RESET) and SUCCESS is
    /// returned. A refusal, a timeout or a lost connection returns FAILED:
    /// the midlayer escalates (in the end to `eh_host_reset`).
    fn eh_reset(&self, kind: TmfKind, lun: [u8; 8]) -> EhResult {
        let deadline = self.tmf_deadline(kind);
        let n = lun_number(&lun);
        loop {
            let start = self.inner.lock().tmf_reset(kind, lun);
            match start {
                TmfStart::Queued(t) => {
                    pr_info!("session {}: {} (LUN {})\n", self.id, kind.name(), n);
                    let outcome = self.tmf_wait(t, deadline);
                    return match outcome {
                        Some(TmfOutcome::Answered(r)) if kind.succeeded(r) => {
                            pr_info!("session {}: {} done\n", self.id, kind.name());
                            EhResult::Success
                        }
                        Some(TmfOutcome::Answered(r)) => {
                            pr_warn!("session {}: {} refused: {:?}\n", self.id, kind.name(), r);
                            EhResult::Failed
                        }
                        Some(TmfOutcome::ConnectionLost) => {
                            pr_warn!("session {}: {}: the connection failed\n", self.id, kind.name());
                            EhResult::Failed
                        }
                        None => {
                            pr_warn!("session {}: {}: no response in time\n", self.id, kind.name());
                            EhResult::Failed
                        }
                    };
                }
                TmfStart::Busy => {
                    if !self.eh_wait(deadline, |g| g.tmf_idle()) {
                        return EhResult::Failed;
                    }
                }
                _ => {
                    pr_warn!("session {}: {}: no connection\n", self.id, kind.name());
                    return EhResult::Failed;
                }
            }
        }
    }

    /// eh_host_reset_handler, the last level (as libiscsi's
    /// `iscsi_eh_session_reset`): the connection is dropped and session
    /// recovery takes over. SUCCESS once the session has a connection
    /// again; FAILED if `replacement_timeout` expires first (I/O fails
    /// fast, and the midlayer takes the devices offline) or the session is
    /// removed.
    fn eh_host_reset(&self) -> EhResult {
        Stats::add(&self.stats.host_resets, 1);
        pr_warn!("session {}: host reset: dropping the connection for session recovery\n", self.id);
        if self.mark_failed(Failure::ErrorHandlerReset) {
            if let Some(c) = self.parts.lock().conn.as_ref() {
                c.conn.shutdown();
            }
        }
        let wait_s = u64::from(self.inner.lock().recovery().timers().replacement_timeout) + HOST_RESET_SLACK_S;
        let deadline = now_ms() + wait_s * 1000;
        let back = |g: &Inner| g.machine().accepts_commands() && g.recovery().io() == Io::Running;
        let given_up = |g: &Inner| matches!(g.recovery().io(), Io::FailFast | Io::Closing);
        // The failed connection must be gone first: until its threads end,
        // the state still says the old connection's.
        self.eh_wait(deadline, |g| !g.machine().accepts_commands() || given_up(g));
        self.eh_wait(deadline, |g| back(g) || given_up(g));
        let ok = back(&self.inner.lock());
        if ok {
            pr_info!("session {}: host reset done: the session is back\n", self.id);
        } else {
            pr_warn!("session {}: host reset failed: no connection\n", self.id);
        }
        self.eh_result(ok)
    }

    fn eh_result(&self, ok: bool) -> EhResult {
        if ok {
            EhResult::Success
        } else {
            EhResult::Failed
        }
    }

    /// Removes the session: the SCSI host first (so the disks flush their
    /// caches over the live connection), then a Logout exchange (skipped
    /// with `force` or on a failed connection), then the connection.
    pub(crate) fn remove(&self, force: bool, logout_timeout_s: u32) {
        // From here on the session fails the I/O it would hold; without a
        // connection at once, so the devices' removal does not wait.
        self.inner.lock().close();
        self.sync_devices();
        let maint = self.parts.lock().maint.take();
        drop(maint);
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
        self.events.post(UserEvent { kind: abi::EVENT_REMOVED, session_id: self.id, ..UserEvent::default() });
    }

    /// A record for `IOC_SESSION_LIST`.
    pub(crate) fn info(&self) -> abi::SessionInfo {
        let g = self.inner.lock();
        let w = g.window();
        let now = g.now();
        let rec = g.recovery();
        let t = rec.timers();
        let age = |since: u64| now.saturating_sub(since).min(u64::from(u32::MAX)) as u32;
        abi::SessionInfo {
            session_id: self.id,
            host_no: g.host_no,
            state: g.short_state().1,
            cid: g.cid,
            tsih: g.tsih,
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
            io: match rec.io() {
                Io::Running => abi::IO_RUNNING,
                Io::Held => abi::IO_HOLDING,
                Io::FailFast => abi::IO_FAILFAST,
                Io::Closing => abi::IO_CLOSING,
            },
            state_age_ms: age(g.state_since()),
            recoveries: rec.recoveries(),
            last_failure: rec.last_failure().map(|f| cause_code(f.0)).unwrap_or(0),
            last_failure_age_ms: rec.last_failure().map(|f| age(f.1)).unwrap_or(0),
            replacement_timeout: t.replacement_timeout,
            noop_out_interval: t.noop_out_interval,
            noop_out_timeout: t.noop_out_timeout,
        }
    }

    /// Counters for `IOC_SESSION_STATS`.
    pub(crate) fn fill_stats(&self, out: &mut abi::SessionStats) {
        let s = &self.stats;
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        {
            let g = self.inner.lock();
            out.state = g.short_state().1;
            for (o, c) in out.tmf.iter_mut().zip(g.tmf_counters().iter()) {
                *o = abi::TmfStats {
                    sent: c.sent,
                    succeeded: c.succeeded,
                    failed: c.failed,
                    timed_out: c.timed_out,
                    connection_lost: c.connection_lost,
                };
            }
        }
        out.host_resets = r(&s.host_resets);
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
        let (short, (q, s), p, rec, age, tmf_t) = {
            let g = self.inner.lock();
            (
                g.short_state().0,
                g.state(),
                g.params,
                *g.recovery(),
                g.now().saturating_sub(g.state_since()),
                g.tmf_timeouts,
            )
        };
        let now = now_ms();
        let t = rec.timers();
        let _ = match attr {
            HostAttr::SessionId => writeln!(out, "{}", self.id),
            HostAttr::State => writeln!(out, "{}", short),
            HostAttr::SessionState => writeln!(out, "{}", q.name()),
            HostAttr::ConnState => writeln!(out, "{}", s.name()),
            HostAttr::TargetName => writeln!(out, "{}", field_str(&self.ident.target_name)),
            HostAttr::Portal => writeln!(out, "{}", field_str(&self.ident.portal)),
            HostAttr::InitiatorName => writeln!(out, "{}", field_str(&self.ident.initiator_name)),
            HostAttr::Params => write_params(out, &p),
            HostAttr::IoState => writeln!(out, "{}", rec.io().name()),
            HostAttr::StateSeconds => writeln!(out, "{}", age / 1000),
            HostAttr::Recoveries => writeln!(out, "{}", rec.recoveries()),
            HostAttr::LastFailure => match rec.last_failure() {
                Some((f, at)) => writeln!(out, "{} s ago: {}", now.saturating_sub(at) / 1000, f.text()),
                None => writeln!(out, "none"),
            },
            HostAttr::ReplacementTimeout => writeln!(out, "{}", t.replacement_timeout),
            HostAttr::NoopOutInterval => writeln!(out, "{}", t.noop_out_interval),
            HostAttr::NoopOutTimeout => writeln!(out, "{}", t.noop_out_timeout),
            HostAttr::AbortTimeout => writeln!(out, "{}", tmf_t[TmfKind::AbortTask.index()]),
            HostAttr::LuResetTimeout => writeln!(out, "{}", tmf_t[TmfKind::LogicalUnitReset.index()]),
            HostAttr::TgtResetTimeout => writeln!(out, "{}", tmf_t[TmfKind::TargetWarmReset.index()]),
            HostAttr::TxInline => writeln!(out, "{}", u8::from(self.tx_inline.load(Ordering::Relaxed))),
            HostAttr::TxInlineSends => writeln!(out, "{}", self.stats.inline_sends.load(Ordering::Relaxed)),
            HostAttr::TxWorkSends => writeln!(out, "{}", self.stats.work_sends.load(Ordering::Relaxed)),
            HostAttr::RxThreadReads => writeln!(out, "{}", self.stats.rx_thread_reads.load(Ordering::Relaxed)),
            HostAttr::TxCopiedBytes => writeln!(out, "{}", self.stats.copied_bytes.load(Ordering::Relaxed)),
        };
    }

    /// sysfs `store` of the writable timers: seconds, 0..=3600 (the ping
    /// timeout and the task management timeouts at least 1); and of
    /// `iscsi_tx_inline`, 0 or 1 (1 only on a host created with the module
    /// parameter `tx_inline=1`).
    fn store(&self, attr: HostAttr, value: &str) -> Result {
        let v: u32 = value.trim().parse().map_err(|_| EINVAL)?;
        if matches!(attr, HostAttr::TxInline) {
            // On only where queuecommand may sleep.
            if v > 1 || (v == 1 && !self.tx_inline_capable.load(Ordering::Relaxed)) {
                return Err(EINVAL);
            }
            self.tx_inline.store(v == 1, Ordering::Relaxed);
            return Ok(());
        }
        let tmf = match attr {
            HostAttr::AbortTimeout => Some(TmfKind::AbortTask),
            HostAttr::LuResetTimeout => Some(TmfKind::LogicalUnitReset),
            HostAttr::TgtResetTimeout => Some(TmfKind::TargetWarmReset),
            _ => None,
        };
        if let Some(kind) = tmf {
            if !(1..=tmf::MAX_TMF_TIMEOUT_S).contains(&v) {
                return Err(EINVAL);
            }
            // Read at the start of each function.
            self.inner.lock().tmf_timeouts[kind.index()] = v;
            return Ok(());
        }
        let lo = if matches!(attr, HostAttr::NoopOutTimeout) { 1 } else { 0 };
        if v < lo || v > recovery::MAX_TIMER {
            return Err(EINVAL);
        }
        {
            let mut g = self.inner.lock();
            let mut t = g.recovery().timers();
            match attr {
                HostAttr::ReplacementTimeout => t.replacement_timeout = v,
                HostAttr::NoopOutInterval => t.noop_out_interval = v,
                HostAttr::NoopOutTimeout => t.noop_out_timeout = v,
                _ => return Err(EINVAL),
            }
            g.set_timers(t);
        }
        // The maintenance thread recomputes its deadlines.
        self.event.notify_all();
        Ok(())
    }
}

/// The SCSI host driver of a session: its callbacks borrow the session.
pub(crate) struct SessionHost;

impl HostOps for SessionHost {
    type Data = Arc<Session>;

    fn queuecommand(s: HostData<'_, Self>, cmd: Cmd) -> core::result::Result<(), Cmd> {
        Session::queuecommand(s, cmd)
    }

    fn eh_abort(s: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult {
        s.eh_abort(cmd.tag())
    }

    fn eh_device_reset(s: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult {
        s.eh_reset(TmfKind::LogicalUnitReset, cmd.lun())
    }

    fn eh_target_reset(s: HostData<'_, Self>, _cmd: &EhCmd<'_>) -> EhResult {
        s.eh_reset(TmfKind::TargetWarmReset, [0; 8])
    }

    fn eh_host_reset(s: HostData<'_, Self>) -> EhResult {
        s.eh_host_reset()
    }

    fn show(s: HostData<'_, Self>, attr: HostAttr, out: &mut SysfsBuf<'_>) {
        s.show(attr, out)
    }

    fn store(s: HostData<'_, Self>, attr: HostAttr, value: &str) -> Result {
        s.store(attr, value)
    }

    fn cmd_timeout(s: HostData<'_, Self>) -> u32 {
        s.cmd_timeout
    }

    /// DataDigest's CRC32C is computed over a write's pages apart from
    /// their send (`Conn::send_segment`): with it negotiated, the pages
    /// must not change under writeback. Decided per device at its scan,
    /// from the connection bound then, as iscsi_tcp does.
    fn stable_writes(s: HostData<'_, Self>) -> bool {
        s.inner.lock().params.data_digest != 0
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
