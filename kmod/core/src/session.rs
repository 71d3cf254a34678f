//! The protocol state of one session with one connection: its state
//! machine, command window, sequence numbers, task table and transmit
//! queues, and every check the receive side makes on a PDU from the target
//! (RFC 7143 §4.2.2, §10, §11). The kernel keeps a [`SessionCore`] behind
//! the session's spinlock; threads call its methods, then do the socket I/O
//! and the completions outside the lock.

use super::failure::Failure;
use super::fsm::{ConnState, Event, Machine, Refused, SessionState, Transition};
use super::itt::Itt;
use super::recovery::{self, Io, Keepalive, Recovery, Timers};
use super::ring::Ring;
use super::task::{
    CmdHandle, CmdInfo, Completion, DataDir, HostStatus, StartError, Task, TaskTable, SENSE_LEN,
};
use super::tmf::{TmfCounters, TmfKind, TmfOutcome, TmfRequest, TmfSlot};
use crate::codec::async_msg::{AsyncEvent, AsyncMessage};
use crate::codec::data::{DataIn, R2t};
use crate::codec::logout::{LogoutResponse, LogoutResponseCode};
use crate::codec::nop::NopIn;
use crate::codec::scsi::{self, ScsiResponse, ServiceResponse};
use crate::codec::serial::{CmdWindow, Sn};
use crate::codec::tmf::TaskMgmtResponse;
use core::ops::DerefMut;

/// Reserved tag value 0xffffffff (RFC 7143 §11.2.1.8), as a raw field.
const RESERVED_TAG: u32 = 0xffff_ffff;
/// SCSI status CHECK CONDITION (SAM-5 §5.3).
const CHECK_CONDITION: u8 = 0x02;

/// Transmit work other than new commands, queued by the receive path and by
/// logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxItem {
    /// Solicited Data-Out for an R2T: `len` bytes at BufferOffset `offset`
    /// (RFC 7143 §10.7, §11.8).
    DataOut {
        /// The task's ITT.
        itt: Itt,
        /// The R2T's Target Transfer Tag.
        ttt: u32,
        /// BufferOffset in bytes.
        offset: u32,
        /// Desired Data Transfer Length in bytes.
        len: u32,
    },
    /// Answer to a target's NOP-In ping (RFC 7143 §11.18, §11.19).
    NopOut {
        /// The NOP-In's Target Transfer Tag.
        ttt: u32,
        /// The NOP-In's LUN.
        lun: [u8; 8],
    },
    /// Logout Request, reason "close the session" (RFC 7143 §11.14).
    Logout,
    /// Our keepalive ping: a NOP-Out with ITT [`Itt::PING`] (RFC 7143
    /// §11.18).
    Ping,
    /// The task management request with ITT `itt` (RFC 7143 §11.5); sent
    /// only if it is still queued in the session's [`TmfSlot`].
    Tmf {
        /// The request's ITT.
        itt: Itt,
    },
}

/// What the transmit thread sends next, with the sequence numbers to put
/// in the PDU. `R` is the borrowed command handle.
#[derive(Debug)]
pub enum TxWork<R> {
    /// A SCSI Command PDU, with its immediate and unsolicited data.
    Command {
        /// The task's ITT.
        itt: Itt,
        /// The command, to send data from.
        cmd: R,
        /// CDB, LUN, direction, length.
        info: CmdInfo,
        /// CmdSN of this command.
        cmd_sn: Sn,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
    /// A solicited Data-Out sequence. `cmd` is `None` when the task ended
    /// before its data went out: then nothing is sent.
    DataOut {
        /// The task's ITT.
        itt: Itt,
        /// The command and its LUN, to send data from.
        cmd: Option<(R, [u8; 8])>,
        /// The R2T's Target Transfer Tag.
        ttt: u32,
        /// BufferOffset in bytes.
        offset: u32,
        /// Length in bytes.
        len: u32,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
    /// A NOP-Out answering a ping (immediate: CmdSN is not advanced).
    NopOut {
        /// Target Transfer Tag to echo.
        ttt: u32,
        /// LUN to echo.
        lun: [u8; 8],
        /// CmdSN to carry.
        cmd_sn: Sn,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
    /// Our Logout Request (immediate).
    Logout {
        /// CmdSN to carry.
        cmd_sn: Sn,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
    /// A keepalive ping: NOP-Out with ITT [`Itt::PING`], TTT 0xffffffff,
    /// immediate (CmdSN is not advanced).
    Ping {
        /// CmdSN to carry.
        cmd_sn: Sn,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
    /// A Task Management Function Request, immediate (CmdSN is not
    /// advanced; RFC 7143 §11.5).
    Tmf {
        /// Function, ITT, LUN, Referenced Task Tag, RefCmdSN.
        req: TmfRequest,
        /// CmdSN to carry.
        cmd_sn: Sn,
        /// ExpStatSN to acknowledge.
        exp_stat_sn: Sn,
    },
}

impl<R> TxWork<R> {
    /// The tag whose transmit reference this work holds, if any: the
    /// caller gives it back with [`SessionCore::tx_put`] once sent.
    pub fn tag(&self) -> Option<u32> {
        match self {
            TxWork::Command { itt, .. } | TxWork::DataOut { itt, .. } => Some(u32::from(itt.tag())),
            _ => None,
        }
    }
}

/// Largest write, in bytes, that `queuecommand` sends inline
/// ([`SessionCore::send_in_submitter`]).
pub const INLINE_MAX_WRITE: u32 = 16384;

/// How many commands in a row must find the session idle (no other command
/// outstanding) before `queuecommand` sends inline
/// ([`SessionCore::send_in_submitter`]).
pub const INLINE_AFTER_IDLE: u32 = 4;

/// Why [`SessionCore::queue`] did not queue a command.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError<C> {
    /// Complete the command now with this host byte (no connection, or a
    /// command the module cannot carry).
    Refuse(C, HostStatus),
    /// Try again later (SCSI_MLQUEUE_HOST_BUSY).
    Busy(C),
}

/// What [`SessionCore::tmf_abort`] and [`SessionCore::tmf_reset`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum TmfStart<C> {
    /// ABORT TASK: the command is not outstanding (it already completed):
    /// nothing to abort.
    NotOutstanding,
    /// ABORT TASK: the command was still queued, its PDU never sent: it was
    /// taken out here; complete it (the midlayer owns it again).
    Local(C, Completion),
    /// ABORT TASK: the command is already leaving the task table by itself
    /// (its status arrived while a Data-Out was being sent, or the
    /// connection failed and the flush takes it): wait until it is gone.
    Leaving,
    /// The request was queued: wait for [`SessionCore::tmf_outcome`] of
    /// this ITT, then [`SessionCore::tmf_release`] it.
    Queued(Itt),
    /// Another request is outstanding: wait and try again.
    Busy,
    /// A reset with no connection to send it on.
    NoConnection,
}

/// What a receive handler asks the receive side to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum RxNext {
    /// Go on reading PDUs.
    Continue,
    /// The session logged out: leave the receive loop.
    LoggedOut,
}

/// The negotiated values the protocol checks need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// MaxBurstLength in bytes (R2T Desired Data Transfer Length limit).
    pub max_burst_length: u32,
    /// DefaultTime2Wait in seconds: the wait before reconnecting after a
    /// logout the target requested.
    pub default_time2wait: u16,
}

/// Called for every transition taken and every event refused, with the
/// session id: the kernel logs them at debug level.
pub type Trace = fn(u32, Result<&Transition, &Refused>);

/// A monotonic clock in milliseconds (the kernel's boot time clock).
pub type Clock = fn() -> u64;

/// Sequence numbers and window handed over by the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginSn {
    /// CmdSN of the first command.
    pub cmd_sn: Sn,
    /// ExpStatSN: the final Login Response's StatSN + 1.
    pub exp_stat_sn: Sn,
    /// The target's ExpCmdSN/MaxCmdSN.
    pub window: CmdWindow,
}

/// The protocol state of a session (see the module documentation).
///
/// `C` is the command handle, `TB`/`QB`/`XB` the storage of the task
/// table, the command queue and the other-transmit-work queue.
///
/// # Invariants
///
/// - a tag is in `cmdq` only while its task holds a command and the
///   transmit reference taken by `queue`;
/// - commands are accepted only in (Q3, S5);
/// - states change only through [`SessionCore::on`], which records the
///   time of the change in `state_since`.
pub struct SessionCore<C, TB, QB, XB>
where
    TB: DerefMut<Target = [Task<C>]>,
    QB: DerefMut<Target = [u32]>,
    XB: DerefMut<Target = [TxItem]>,
{
    id: u32,
    machine: Machine,
    trace: Trace,
    window: CmdWindow,
    cmd_sn: Sn,
    exp_stat_sn: Sn,
    tasks: TaskTable<C, TB>,
    cmdq: Ring<u32, QB>,
    txq: Ring<TxItem, XB>,
    limits: Limits,
    logout_response: Option<LogoutResponseCode>,
    /// When our Logout Request was queued (ms, [`Clock`]).
    logout_since: u64,
    /// PDUs whose window values were ignored.
    ignored_windows: u32,
    /// PDUs for commands a task management function had ended.
    late_after_tmf: u32,
    /// NOP-Out answers to target pings waiting in `txq`.
    ping_answers: u32,
    /// The one task management request.
    tmf: TmfSlot,
    rx_running: bool,
    tx_running: bool,
    /// Whether a sender holds the transmitter ([`SessionCore::claim_tx`]):
    /// the transmit thread, or `queuecommand` sending inline.
    sending: bool,
    /// Commands in a row that found the session idle at queuecommand
    /// ([`SessionCore::send_in_submitter`]).
    idle_streak: u32,
    clock: Clock,
    state_since: u64,
    rec: Recovery,
}

fn no_clock() -> u64 {
    0
}

fn no_trace(_: u32, _: Result<&Transition, &Refused>) {}

impl<C, TB, QB, XB> SessionCore<C, TB, QB, XB>
where
    C: CmdHandle,
    TB: DerefMut<Target = [Task<C>]>,
    QB: DerefMut<Target = [u32]>,
    XB: DerefMut<Target = [TxItem]>,
{
    /// A session `id` in (Q2 ACTIVE, S4 IN_LOGIN): `tasks` has one unused
    /// entry per tag, `cmdq` room for every tag, `txq` room for
    /// MaxOutstandingR2T Data-Outs per tag plus a few NOP-Outs.
    pub fn new(
        id: u32,
        tasks: TB,
        cmdq: QB,
        txq: XB,
        sn: LoginSn,
        limits: Limits,
        timers: Timers,
    ) -> Self {
        SessionCore {
            id,
            machine: Machine::new(),
            trace: no_trace,
            window: sn.window,
            cmd_sn: sn.cmd_sn,
            exp_stat_sn: sn.exp_stat_sn,
            tasks: TaskTable::new(tasks),
            cmdq: Ring::new(cmdq),
            txq: Ring::new(txq),
            limits,
            logout_response: None,
            logout_since: 0,
            ignored_windows: 0,
            late_after_tmf: 0,
            ping_answers: 0,
            tmf: TmfSlot::new(),
            rx_running: false,
            tx_running: false,
            sending: false,
            idle_streak: 0,
            clock: no_clock,
            state_since: 0,
            rec: Recovery::new(timers),
        }
    }

    /// Sets the clock that timestamps state changes and outages.
    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
        self.state_since = clock();
    }

    /// The clock's time now, in milliseconds.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// When the current state was entered (ms).
    pub fn state_since(&self) -> u64 {
        self.state_since
    }

    /// The recovery state: I/O policy, timers, counters.
    pub fn recovery(&self) -> &Recovery {
        &self.rec
    }

    /// Changes the timers (sysfs).
    pub fn set_timers(&mut self, t: Timers) {
        self.rec.set_timers(t);
    }

    /// Sets the function that traces transitions.
    pub fn set_trace(&mut self, trace: Trace) {
        self.trace = trace;
    }

    /// Applies `event` to the state machine (the one place where states
    /// change) and traces the outcome.
    ///
    /// # Errors
    ///
    /// [`Refused`] if the current state does not handle the event.
    pub fn on(&mut self, event: Event) -> Result<Transition, Refused> {
        let r = self.machine.on(event);
        (self.trace)(self.id, r.as_ref());
        if r.is_ok() {
            self.state_since = self.now();
        }
        r
    }

    /// The connection failed for `why`. Returns the transition if this call
    /// failed it (a connection that already failed stays as it is).
    pub fn fail(&mut self, why: Failure) -> Option<Transition> {
        let t = self.on(Event::ConnFailed(why)).ok();
        if t.is_some() {
            let now = self.now();
            self.rec.failed(why, now);
            self.tmf.connection_failed();
        }
        t
    }

    /// The session is being removed: from now on commands fail.
    pub fn close(&mut self) {
        self.rec.close();
    }

    /// The connection's threads stopped (or a target-requested logout
    /// ended the session instance): decides what happens to I/O until the
    /// next connection, and the host status to complete the outstanding
    /// commands with (RFC 7143 §6.3.5 at ERL 0; see [`recovery`]).
    pub fn io_after_connection(&mut self) -> (Io, HostStatus) {
        if self.machine.session() == SessionState::Free
            && self.rec.failed_at().is_none()
            && !self.rec.removing()
        {
            // A logout the target asked for: reconnect after DefaultTime2Wait.
            let now = self.now();
            self.rec.failed(Failure::LogoutRequested, now);
            self.rec
                .set_reconnect_delay(u32::from(self.limits.default_time2wait));
        }
        let now = self.now();
        let io = self.rec.cleaned_up(now);
        let host = match io {
            Io::Running | Io::Held => HostStatus::Requeue,
            Io::FailFast => HostStatus::TransportFailfast,
            Io::Closing => HostStatus::NoConnect,
        };
        (io, host)
    }

    /// Milliseconds until `replacement_timeout` expires while I/O is held;
    /// `Some(0)` once it expired (I/O now fails fast: unblock the devices
    /// to fail-fast). `None` when I/O is not held.
    pub fn replacement(&mut self) -> Option<u64> {
        let now = self.now();
        self.rec.replacement(now)
    }

    /// The keepalive check, with the time the last PDU arrived (ms). A
    /// ping to send is queued here; the caller wakes the transmit thread.
    pub fn keepalive(&mut self, last_rx: u64) -> Keepalive {
        let now = self.now();
        let running = self.machine.accepts_commands();
        let k = self.rec.keepalive(running, now, last_rx);
        if let Keepalive::Ping(_) = k {
            if self.txq.push(TxItem::Ping).is_err() {
                // No room: the queue is busy, so the connection is not idle.
                self.rec.pong();
                return Keepalive::Wait(Some(1000));
            }
        }
        k
    }

    /// Whether a LUN rescan is pending (without taking it): the receive
    /// thread wakes the maintenance thread then.
    pub fn rescan_pending(&self) -> bool {
        self.rec.rescan_pending()
    }

    /// Whether a LUN rescan was asked for (REPORTED LUNS DATA HAS CHANGED,
    /// in an Async Message or a unit attention) since the last call.
    pub fn take_rescan(&mut self) -> bool {
        self.rec.take_rescan()
    }

    /// Session and connection state.
    pub fn state(&self) -> (SessionState, ConnState) {
        (self.machine.session(), self.machine.conn())
    }

    /// The state machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// ExpCmdSN/MaxCmdSN as last received.
    pub fn window(&self) -> CmdWindow {
        self.window
    }

    /// CmdSN of the next non-immediate command.
    pub fn cmd_sn(&self) -> Sn {
        self.cmd_sn
    }

    /// ExpStatSN we acknowledge.
    pub fn exp_stat_sn(&self) -> Sn {
        self.exp_stat_sn
    }

    /// The Logout Response, once one arrived.
    pub fn logout_response(&self) -> Option<LogoutResponseCode> {
        self.logout_response
    }

    /// Whether any command is outstanding.
    pub fn busy(&self) -> bool {
        self.tasks.any_outstanding()
    }

    /// Whether `tag` holds a command.
    pub fn outstanding(&self, tag: u32) -> bool {
        self.tasks.by_tag(tag).is_some()
    }

    /// Whether the receive / transmit thread is in its loop.
    pub fn threads_running(&self) -> (bool, bool) {
        (self.rx_running, self.tx_running)
    }

    /// Records that the receive (`rx`) or transmit thread entered or left
    /// its loop.
    pub fn set_running(&mut self, rx: bool, running: bool) {
        if rx {
            self.rx_running = running;
        } else {
            self.tx_running = running;
        }
    }

    /// A new connection replaces the failed one (N7 ContinuationStart, then
    /// T5/N10 LoginComplete), with the sequence numbers of its login.
    ///
    /// # Errors
    ///
    /// [`Refused`] if the session is not failed with its old connection
    /// cleaned up (Q4, S1).
    pub fn continue_with(&mut self, sn: LoginSn, limits: Limits) -> Result<(), Refused> {
        self.on(Event::ContinuationStart)?;
        self.new_connection(sn, limits)
    }

    /// A new leading login that reinstated the session on the target (ISID
    /// kept, new TSIH) binds to this session: N6 Reinstate from Q4 (the
    /// failed instance is cleared), N1 LeadingLogin from Q1 (after a
    /// target-requested logout or the reinstatement), then T5/N2.
    ///
    /// # Errors
    ///
    /// [`Refused`] if the session is neither failed and cleaned up (Q4, S1)
    /// nor logged out (Q1, S1).
    pub fn reinstate_with(&mut self, sn: LoginSn, limits: Limits) -> Result<(), Refused> {
        if self.machine.session() == SessionState::Failed {
            self.on(Event::Reinstate)?;
        }
        self.on(Event::LeadingLogin)?;
        self.new_connection(sn, limits)
    }

    /// Whether a new connection may be bound: the old one is cleaned up,
    /// after a failure (Q4, S1) or a target-requested logout (Q1, S1), and
    /// the session is not being removed.
    pub fn awaits_connection(&self) -> bool {
        let (q, s) = self.state();
        s == ConnState::Free
            && matches!(q, SessionState::Failed | SessionState::Free)
            && self.rec.io() != Io::Closing
            && self.rec.failed_at().is_some()
    }

    /// The sequence numbers and limits of a new connection's login, then
    /// T5 LoginComplete; I/O runs again. Returns the outage it ended (ms).
    fn new_connection(&mut self, sn: LoginSn, limits: Limits) -> Result<(), Refused> {
        self.window = sn.window;
        self.cmd_sn = sn.cmd_sn;
        self.exp_stat_sn = sn.exp_stat_sn;
        self.limits = limits;
        self.logout_response = None;
        self.cmdq.clear();
        self.txq.clear();
        self.ping_answers = 0;
        self.on(Event::LoginComplete).map(|_| ())
    }

    /// The new connection's threads run: I/O runs again. Returns the outage
    /// it ended, in milliseconds.
    pub fn recovered(&mut self) -> Option<u64> {
        let now = self.now();
        self.rec.recovered(now)
    }

    // ------------------------------------------------------------ commands

    /// queuecommand: takes `cmd` under `tag` and queues its SCSI Command PDU.
    ///
    /// # Errors
    ///
    /// [`QueueError`], giving the command back.
    pub fn queue(&mut self, tag: u32, cmd: C, info: CmdInfo) -> Result<Itt, QueueError<C>> {
        match self.rec.io() {
            Io::Closing => return Err(QueueError::Refuse(cmd, HostStatus::NoConnect)),
            Io::FailFast => return Err(QueueError::Refuse(cmd, HostStatus::TransportFailfast)),
            _ if self.machine.accepts_commands() => {}
            // The devices' last commands while the session is removed.
            _ if self.rec.removing() => return Err(QueueError::Refuse(cmd, HostStatus::NoConnect)),
            // Between a failure and the blocking of the devices, or while
            // a logout the target asked for runs: try again later.
            Io::Held | Io::Running => return Err(QueueError::Busy(cmd)),
        }
        let itt = match self.tasks.start(tag, cmd, info) {
            Ok(itt) => itt,
            Err(StartError::BadTag(cmd)) => return Err(QueueError::Refuse(cmd, HostStatus::Error)),
            Err(StartError::Busy(cmd)) => return Err(QueueError::Busy(cmd)),
        };
        if self.cmdq.push(itt.to_wire()).is_err() {
            return match self.tasks.unstart(tag) {
                Some(cmd) => Err(QueueError::Busy(cmd)),
                None => Ok(itt),
            };
        }
        Ok(itt)
    }

    /// Queues our Logout Request (T9 from S5, T10 from S7). False if the
    /// connection is not in a state to log out, or the queue is full.
    pub fn start_logout(&mut self) -> bool {
        let ok = self.on(Event::LogoutStart).is_ok() && self.txq.push(TxItem::Logout).is_ok();
        if ok {
            self.logout_since = self.now();
        }
        ok
    }

    /// The Logout timeout: while our Logout Request waits for its Logout
    /// Response (S7 IN_LOGOUT), the milliseconds left of
    /// [`LOGOUT_TIMEOUT_S`], 0 once it is over (the caller then fails the
    /// connection with [`Failure::LogoutTimeout`]); `None` with no Logout
    /// outstanding. This ends a logout the target asked for (AsyncEvent 1)
    /// and then never answered: the session goes to recovery instead of
    /// staying in `logging_out`.
    pub fn logout_due(&self) -> Option<u64> {
        if self.machine.conn() != ConnState::InLogout {
            return None;
        }
        let end = self
            .logout_since
            .saturating_add(u64::from(LOGOUT_TIMEOUT_S) * 1000);
        Some(end.saturating_sub(self.now()))
    }

    /// The transmit thread's next work: other work first, then the oldest
    /// queued command if the CmdSN window has room (which takes its CmdSN).
    /// `None` when there is nothing to send now.
    pub fn next_tx(&mut self) -> Option<TxWork<C::Ref>> {
        if !self.machine.conn_running() {
            return None;
        }
        if let Some(item) = self.txq.pop() {
            let exp_stat_sn = self.exp_stat_sn;
            return Some(match item {
                TxItem::DataOut {
                    itt,
                    ttt,
                    offset,
                    len,
                } => {
                    let cmd = self.tasks.borrow(itt).map(|(r, info)| (r, info.lun));
                    TxWork::DataOut {
                        itt,
                        cmd,
                        ttt,
                        offset,
                        len,
                        exp_stat_sn,
                    }
                }
                TxItem::NopOut { ttt, lun } => {
                    self.ping_answers = self.ping_answers.saturating_sub(1);
                    TxWork::NopOut {
                        ttt,
                        lun,
                        cmd_sn: self.cmd_sn,
                        exp_stat_sn,
                    }
                }
                TxItem::Logout => TxWork::Logout {
                    cmd_sn: self.cmd_sn,
                    exp_stat_sn,
                },
                TxItem::Ping => TxWork::Ping {
                    cmd_sn: self.cmd_sn,
                    exp_stat_sn,
                },
                TxItem::Tmf { itt } => match self.tmf.take_to_send(itt) {
                    Some(req) => TxWork::Tmf {
                        req,
                        cmd_sn: self.cmd_sn,
                        exp_stat_sn,
                    },
                    // Its waiter gave up before it went out.
                    None => return self.next_tx(),
                },
            });
        }
        if !self.machine.accepts_commands() || self.tmf.holds_commands() {
            return None;
        }
        while let Some(queued) = self.cmdq.peek() {
            if !self.window.may_send(self.cmd_sn) {
                return None;
            }
            self.cmdq.pop();
            // The queue holds ITTs: an entry whose command was taken back
            // (an ABORT TASK before it went out) no longer matches its tag,
            // even when the tag is in use again.
            let queued = Itt::from_wire(queued);
            let tag = u32::from(queued.tag());
            // Sent even if its status already arrived: its transmit
            // reference is given back, and the command completed, after.
            let Some(t) = self.tasks.by_tag(tag) else {
                continue;
            };
            if t.itt() != queued || t.sent() {
                continue;
            }
            let (itt, info) = (t.itt(), *t.info());
            let Some(cmd) = t.cmd().map(|c| c.new_ref()) else {
                continue;
            };
            let cmd_sn = self.cmd_sn;
            self.cmd_sn = cmd_sn.next();
            self.tasks.mark_sent(tag, cmd_sn.0);
            return Some(TxWork::Command {
                itt,
                cmd,
                info,
                cmd_sn,
                exp_stat_sn: self.exp_stat_sn,
            });
        }
        None
    }

    // ------------------------------------------------------ task management

    /// ABORT TASK for the command of `tag` (the error handler's
    /// `eh_abort_handler`; RFC 7143 §11.5.1): a command still queued is
    /// taken back here; one on the wire gets a request with its ITT as
    /// Referenced Task Tag and its CmdSN as RefCmdSN, for its LUN.
    pub fn tmf_abort(&mut self, tag: u32) -> TmfStart<C> {
        let Some(t) = self.tasks.by_tag(tag) else {
            return TmfStart::NotOutstanding;
        };
        if t.finished() {
            return TmfStart::Leaving;
        }
        if !t.sent() {
            return match self.tasks.take_unsent(tag) {
                Some((cmd, c)) => {
                    self.tmf.count_local_abort();
                    TmfStart::Local(cmd, c)
                }
                None => TmfStart::Leaving,
            };
        }
        if !self.machine.accepts_commands() {
            // The connection failed: the flush after it takes the command.
            return TmfStart::Leaving;
        }
        let (lun, itt, cmd_sn) = (t.info().lun, t.itt(), Sn(t.cmd_sn()));
        self.tmf_queue(TmfKind::AbortTask, lun, itt, cmd_sn)
    }

    /// LOGICAL UNIT RESET of `lun` or TARGET WARM RESET (`lun` ignored):
    /// the error handler's `eh_device_reset_handler` and
    /// `eh_target_reset_handler` (RFC 7143 §11.5.1). New commands wait
    /// until it is answered.
    pub fn tmf_reset(&mut self, kind: TmfKind, lun: [u8; 8]) -> TmfStart<C> {
        if !self.machine.accepts_commands() {
            return TmfStart::NoConnection;
        }
        let lun = if kind == TmfKind::TargetWarmReset {
            [0; 8]
        } else {
            lun
        };
        self.tmf_queue(kind, lun, Itt::RESERVED, Sn(0))
    }

    fn tmf_queue(
        &mut self,
        kind: TmfKind,
        lun: [u8; 8],
        referenced: Itt,
        ref_cmd_sn: Sn,
    ) -> TmfStart<C> {
        if !self.tmf.is_idle() {
            return TmfStart::Busy;
        }
        let req = self.tmf.start(kind, lun, referenced, ref_cmd_sn);
        if self.txq.push(TxItem::Tmf { itt: req.itt }).is_err() {
            self.tmf.release(req.itt);
            return TmfStart::Busy;
        }
        TmfStart::Queued(req.itt)
    }

    /// The outcome of request `itt`, once the target answered or the
    /// connection failed.
    pub fn tmf_outcome(&self, itt: Itt) -> Option<TmfOutcome> {
        self.tmf.outcome(itt)
    }

    /// The waiter of request `itt` is done with it (after its outcome, or
    /// when its timeout expired: then it counts as timed out, and a late
    /// response is ignored). New commands go out again.
    pub fn tmf_release(&mut self, itt: Itt) {
        self.tmf.release(itt);
    }

    /// Whether a request can start now.
    pub fn tmf_idle(&self) -> bool {
        self.tmf.is_idle()
    }

    /// Task management counters, per [`TmfKind::index`].
    pub fn tmf_counters(&self) -> &TmfCounters {
        self.tmf.counters()
    }

    /// TMF Responses that answered no waiting request.
    pub fn tmf_ignored(&self) -> u32 {
        self.tmf.ignored()
    }

    /// Whether the task with ITT `itt` (this use of its tag) is still
    /// outstanding (an error handler waits for it to leave).
    pub fn outstanding_itt(&self, itt: Itt) -> bool {
        self.tasks
            .by_tag(u32::from(itt.tag()))
            .is_some_and(|t| t.itt() == itt)
    }

    /// The ITT of the command outstanding under `tag`.
    pub fn itt_of(&self, tag: u32) -> Option<Itt> {
        self.tasks.by_tag(tag).map(|t| t.itt())
    }

    /// Whether a task that the completed request `req` ended is still in
    /// the task table (a Data-Out of it is being sent); the error handler
    /// waits until none is before it hands the commands back.
    pub fn tmf_affected_outstanding(&self, req: &TmfRequest) -> bool {
        (0..self.tasks.len() as u32).any(|tag| {
            self.tasks
                .by_tag(tag)
                .is_some_and(|t| t.finished() && req.affects(t.itt(), &t.info().lun))
        })
    }

    /// The request in the slot (waiting, answered or cut short), if any.
    pub fn tmf_request(&self) -> Option<TmfRequest> {
        self.tmf.request().copied()
    }

    /// Takes one task that a completed task management function ended and
    /// that no transmit work holds; the receive side completes them all
    /// after [`SessionCore::rx_tmf_response`].
    pub fn take_terminated(&mut self) -> Option<(C, Completion)> {
        self.tasks.take_done()
    }

    /// Claims the transmitter and takes its first work: `None`, and nothing
    /// claimed, when another sender holds it or there is nothing to send.
    ///
    /// PDUs go out on one socket in the order [`SessionCore::next_tx`]
    /// hands them (CmdSN order for commands, RFC 7143 §4.2.2.1), so one
    /// sender at a time takes work and sends it: the transmit thread, or
    /// `queuecommand` sending its own command inline when the transmitter
    /// is idle. The holder goes on with [`SessionCore::continue_tx`] until
    /// that returns `None` (which releases it), or calls
    /// [`SessionCore::release_tx`] after a send failed. Claiming, taking
    /// work and releasing all happen under the session lock, so work queued
    /// after the holder found none is never left behind: its producer
    /// claims the transmitter itself, or wakes the transmit thread, which
    /// does.
    pub fn claim_tx(&mut self) -> Option<TxWork<C::Ref>> {
        if self.sending {
            return None;
        }
        let work = self.next_tx()?;
        self.sending = true;
        Some(work)
    }

    /// Whether bytes that arrive now are read by the connection's receive
    /// thread rather than in the socket's `sk_data_ready` callback: while
    /// at least `depth` commands are outstanding (`depth` 0: never).
    ///
    /// At queue depth 1 reading in the callback saves the receive thread's
    /// wake-up, most of a command's latency there. With many commands in
    /// flight the callback's work (Data-In copied into the scatterlist, the
    /// DataDigest, the completions) would run in the softirq of the CPU
    /// that received the segment, which over loopback is the target's
    /// sending CPU; the thread runs it beside it. The numbers that chose
    /// the default are in Documentation/kmod.rst ("Receiving in
    /// data_ready").
    pub fn receive_in_thread(&self, depth: u32) -> bool {
        depth != 0 && self.tasks.active() >= depth
    }

    /// Whether the command just queued (described by `info`) is sent from
    /// the submitting CPU (inline from `queuecommand`, or by a work item
    /// queued there) rather than by the transmit thread: only when it is the
    /// only one outstanding and the transmitter is free (a holder sends it
    /// with [`SessionCore::continue_tx`]); the caller then claims with
    /// [`SessionCore::claim_tx`]. Call it once per command queued: it
    /// counts the streak.
    ///
    /// At queue depth 1 sending inline saves the wake-up of the transmit thread (in
    /// the measurements of Documentation/kmod.rst, p50 latency 20-30 %
    /// lower); with other commands in flight the submitter hands the send to
    /// the thread, which then runs beside it on another CPU (sending inline
    /// at depth 32 cost 20 % of the IOPS and 25 % more CPU per I/O).
    ///
    /// A write of more than [`INLINE_MAX_WRITE`] bytes is not sent inline
    /// either: its data would hold the submitter (at 128 KiB, queue depth 8,
    /// the 11 % of the commands that found the session idle cost 10 % of
    /// the throughput when they were sent inline).
    ///
    /// And only once [`INLINE_AFTER_IDLE`] commands in a row found the
    /// session idle: at depth 32 the pipeline drains now and then (4 % of
    /// the commands found it idle), and sending those inline still cost 5 %
    /// of the IOPS; a streak of idle submissions is what queue depth 1 looks
    /// like.
    pub fn send_in_submitter(&mut self, info: &CmdInfo) -> bool {
        if self.tasks.active() > 1 {
            self.idle_streak = 0;
            return false;
        }
        self.idle_streak = self.idle_streak.saturating_add(1);
        self.idle_streak >= INLINE_AFTER_IDLE
            && !(info.dir == DataDir::Write && info.bufflen > INLINE_MAX_WRITE)
            && !self.sending
    }

    /// The transmitter's holder's next work; `None` releases the
    /// transmitter (nothing to send now, or the connection stopped).
    pub fn continue_tx(&mut self) -> Option<TxWork<C::Ref>> {
        debug_assert!(self.sending);
        let work = self.next_tx();
        if work.is_none() {
            self.sending = false;
        }
        work
    }

    /// Releases the transmitter without taking more work (its holder's
    /// send failed; the connection fails).
    pub fn release_tx(&mut self) {
        self.sending = false;
    }

    /// Whether a sender holds the transmitter: the receive thread's end
    /// waits until none does before it takes the commands back.
    pub fn sending(&self) -> bool {
        self.sending
    }

    /// Whether the transmit thread has something to do that no sender is
    /// doing: work is queued and [`SessionCore::claim_tx`] would take it.
    /// The receive path wakes the thread only then, not after every PDU.
    /// It may say `true` for a queued command whose task was already taken
    /// back (the thread then finds nothing and sleeps again), never `false`
    /// while `claim_tx` would return work.
    pub fn tx_wanted(&self) -> bool {
        !self.sending && self.tx_more()
    }

    /// Whether the holder of the transmitter will find more work after the
    /// work it just took: the same test as [`SessionCore::tx_wanted`], for
    /// the holder. It then sends that work's last bytes with MSG_MORE, so
    /// that the PDUs of a burst share TCP segments (nvme-tcp's
    /// `nvme_tcp_queue_more`). It may say `true` for a queued command whose
    /// task was already taken back; the holder then finds nothing, and
    /// pushes what it held back.
    pub fn tx_more(&self) -> bool {
        if !self.machine.conn_running() {
            return false;
        }
        if !self.txq.is_empty() {
            return true;
        }
        self.machine.accepts_commands()
            && !self.tmf.holds_commands()
            && !self.cmdq.is_empty()
            && self.window.may_send(self.cmd_sn)
    }

    /// Whether the transmit thread should leave its loop (the connection is
    /// no longer running).
    pub fn tx_done(&self) -> bool {
        !self.machine.conn_running()
    }

    /// Gives back the transmit reference of `tag` ([`TxWork::tag`]);
    /// returns the command to complete if its status already arrived.
    pub fn tx_put(&mut self, tag: u32) -> Option<(C, Completion)> {
        self.tasks.tx_put(tag)
    }

    /// Takes one outstanding command to complete with `host` (after the
    /// connection failed and its threads stopped), emptying the queues.
    pub fn drain_one(&mut self, host: HostStatus) -> Option<(C, Completion)> {
        self.cmdq.clear();
        self.txq.clear();
        self.ping_answers = 0;
        self.tasks.drain_one(host)
    }

    // ------------------------------------------------------------- receive

    /// Applies a target PDU's ExpCmdSN/MaxCmdSN (RFC 7143 §4.2.2.1: values
    /// with MaxCmdSN < ExpCmdSN - 1 are ignored). An ExpCmdSN beyond the
    /// next CmdSN we would send acknowledges commands never sent: such a
    /// PDU's values are ignored too (nothing of the window is trusted from
    /// it), so the window stays as the last sane PDU left it and nothing
    /// stalls on a bogus value. Counted in [`SessionCore::ignored_windows`].
    fn update_window(&mut self, exp_cmd_sn: Sn, max_cmd_sn: Sn) {
        if exp_cmd_sn.gt(self.cmd_sn) {
            self.ignored_windows = self.ignored_windows.wrapping_add(1);
            return;
        }
        if self.window.update(exp_cmd_sn, max_cmd_sn).ignored {
            self.ignored_windows = self.ignored_windows.wrapping_add(1);
        }
    }

    /// PDUs whose ExpCmdSN/MaxCmdSN were ignored ([`SessionCore::update_window`]).
    pub fn ignored_windows(&self) -> u32 {
        self.ignored_windows
    }

    /// A Data-In, SCSI Response or R2T named `itt`, which is not an
    /// outstanding command. If a task management function ended it (RFC
    /// 7143 §11.5.1: the initiator completed it when the TMF Response said
    /// "function complete"), the target answered it late: the PDU is
    /// dropped (a Data-In's data is read and dropped) and counted in
    /// [`SessionCore::late_after_tmf`]; its StatSN and window still count.
    /// The command was completed with DID_RESET or DID_ABORT, so the
    /// midlayer decides again; a late Data-In never reaches its buffer.
    ///
    /// # Errors
    ///
    /// `unknown` for any other ITT.
    fn late(&mut self, itt: Itt, unknown: Failure) -> Result<(), Failure> {
        if !self.tasks.terminated(itt) {
            return Err(unknown);
        }
        self.late_after_tmf = self.late_after_tmf.wrapping_add(1);
        Ok(())
    }

    /// PDUs that answered a command after a task management function had
    /// ended it, and were dropped ([`SessionCore::rx_scsi_response`]).
    pub fn late_after_tmf(&self) -> u32 {
        self.late_after_tmf
    }

    /// ExpStatSN after a StatSN that need not be in order (Async Message,
    /// Reject, NOP-In): it only moves forward.
    fn advance_stat_sn(&mut self, stat_sn: Sn) {
        if stat_sn.ge(self.exp_stat_sn) {
            self.exp_stat_sn = stat_sn.next();
        }
    }

    /// The StatSN of a command's status (RFC 7143 §4.2.2.2). On one
    /// connection it should be ExpStatSN, which it then advances. A repeat
    /// of the last StatSN (ExpStatSN - 1) is taken without advancing, the
    /// rule of FreeBSD's iscsi(4) (`iscsi_pdu_update_statsn`): NetBSD's
    /// target sends its first full-feature status with the StatSN of its
    /// final Login Response. Anything else fails the connection: a StatSN
    /// ahead of ExpStatSN means status was lost, which ERL 0 does not
    /// recover, and one further back is not this connection's. What
    /// protects the data does not depend on StatSN and stays strict: the
    /// status must name an outstanding ITT, and a task completes once.
    fn check_stat_sn(&mut self, stat_sn: Sn) -> Result<(), Failure> {
        if stat_sn == self.exp_stat_sn {
            self.exp_stat_sn = stat_sn.next();
            Ok(())
        } else if stat_sn == self.exp_stat_sn.sub(1) {
            Ok(())
        } else {
            Err(Failure::StatSnOrder)
        }
    }

    /// Data-In header with `len` bytes of data (RFC 7143 §11.7): checks it
    /// against its task, then returns a handle to place the data with.
    /// `None` when `len` is 0, or when the Data-In is for a command that
    /// task management ended ([`SessionCore::late`]): then read the `len`
    /// bytes and drop them. Call [`SessionCore::rx_data_in_end`] once
    /// placed or dropped.
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection.
    pub fn rx_data_in_begin(&mut self, d: &DataIn, len: u32) -> Result<Option<C::Ref>, Failure> {
        let itt = Itt::from_wire(d.itt);
        let Some(t) = self.tasks.lookup(itt) else {
            return self.late(itt, Failure::DataInUnknownItt).map(|()| None);
        };
        if t.info().dir != DataDir::Read && len > 0 {
            return Err(Failure::DataInNotRead);
        }
        if d.data_sn.0 != t.exp_data_sn() {
            return Err(Failure::DataSnOrder);
        }
        within(
            d.buffer_offset,
            len,
            t.info().bufflen,
            Failure::DataInBeyondBuffer,
        )?;
        if d.buffer_offset != t.data_in() {
            return Err(Failure::BufferOffsetOrder);
        }
        t.next_data_sn();
        if len == 0 {
            return Ok(None);
        }
        Ok(t.cmd().map(|c| c.new_ref()))
    }

    /// The data of a Data-In was placed (and its digest checked): counts
    /// it, and with the S bit takes the status. Returns the command to
    /// complete.
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection.
    pub fn rx_data_in_end(
        &mut self,
        d: &DataIn,
        len: u32,
    ) -> Result<Option<(C, Completion)>, Failure> {
        let itt = Itt::from_wire(d.itt);
        let Some(t) = self.tasks.lookup(itt) else {
            // Counted by rx_data_in_begin.
            if !self.tasks.terminated(itt) {
                return Err(Failure::DataInUnknownItt);
            }
            self.update_window(d.exp_cmd_sn, d.max_cmd_sn);
            if d.status_present {
                self.check_stat_sn(d.stat_sn)?;
                self.tasks.forget_terminated(itt);
            }
            return Ok(None);
        };
        t.add_data_in(len);
        let (bufflen, placed) = (t.info().bufflen, t.data_in());
        self.update_window(d.exp_cmd_sn, d.max_cmd_sn);
        if !d.status_present {
            return Ok(None);
        }
        self.check_stat_sn(d.stat_sn)?;
        let resid = residual(
            d.residual_underflow,
            d.residual_overflow,
            d.residual_count,
            bufflen,
        );
        let mut c = if read_data_missing(placed, bufflen, resid, d.status) {
            Completion::host(HostStatus::Error, bufflen)
        } else {
            Completion::host(HostStatus::Ok, resid)
        };
        c.status = d.status;
        Ok(self.tasks.finish(itt, c))
    }

    /// SCSI Response (RFC 7143 §11.4) with its data segment `data` (sense
    /// data). Returns the command to complete: none if a transmit reference
    /// still holds it, or if task management had ended it
    /// ([`SessionCore::late`]).
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection.
    pub fn rx_scsi_response(
        &mut self,
        r: &ScsiResponse,
        data: &[u8],
    ) -> Result<Option<(C, Completion)>, Failure> {
        self.update_window(r.exp_cmd_sn, r.max_cmd_sn);
        self.check_stat_sn(r.stat_sn)?;
        let itt = Itt::from_wire(r.itt);
        let Some(t) = self.tasks.lookup(itt) else {
            self.late(itt, Failure::ResponseUnknownItt)?;
            self.tasks.forget_terminated(itt);
            return Ok(None);
        };
        let bufflen = t.info().bufflen;
        let resid = residual(
            r.residual_underflow,
            r.residual_overflow,
            r.residual_count,
            bufflen,
        );
        let completed = r.response == ServiceResponse::CommandCompleted
            && !(t.info().dir == DataDir::Read
                && read_data_missing(t.data_in(), bufflen, resid, r.status));
        let mut c = if completed {
            Completion::host(HostStatus::Ok, resid)
        } else {
            Completion::host(HostStatus::Error, bufflen)
        };
        c.status = r.status;
        let sense = sense_of(data, r.data_segment_length)?;
        // A unit attention REPORTED LUNS DATA HAS CHANGED (SPC-4 §6.37: LIO
        // reports LUN map changes this way) asks for a rescan, as the same
        // sense in an Async Message does.
        if r.status == CHECK_CONDITION && recovery::luns_changed(sense) {
            self.rec.request_rescan();
        }
        let n = sense.len().min(SENSE_LEN);
        if let (Some(dst), Some(src)) = (c.sense.get_mut(..n), sense.get(..n)) {
            dst.copy_from_slice(src);
            c.sense_len = n;
        }
        Ok(self.tasks.finish(itt, c))
    }

    /// R2T (RFC 7143 §11.8): queues the Data-Out it asks for (none for a
    /// command that task management ended, [`SessionCore::late`]).
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection.
    pub fn rx_r2t(&mut self, r: &R2t) -> Result<(), Failure> {
        self.update_window(r.exp_cmd_sn, r.max_cmd_sn);
        let max_burst = self.limits.max_burst_length;
        let itt = Itt::from_wire(r.itt);
        let Some(t) = self.tasks.lookup(itt) else {
            // The target still waits for this Data-Out; the command's
            // buffer is the midlayer's again, so none is sent.
            return self.late(itt, Failure::R2tUnknownItt);
        };
        if t.info().dir != DataDir::Write {
            return Err(Failure::R2tNotWrite);
        }
        if r.r2t_sn.0 != t.exp_r2t_sn() {
            return Err(Failure::R2tSnOrder);
        }
        let len = r.desired_data_transfer_length;
        within(
            r.buffer_offset,
            len,
            t.info().bufflen,
            Failure::R2tBeyondBuffer,
        )?;
        if len > max_burst {
            return Err(Failure::R2tAboveMaxBurst);
        }
        t.next_r2t_sn();
        self.tasks.tx_get(itt);
        let item = TxItem::DataOut {
            itt,
            ttt: r.ttt,
            offset: r.buffer_offset,
            len,
        };
        self.txq.push(item).map_err(|_| Failure::TooManyR2t)
    }

    /// NOP-In (RFC 7143 §11.19): a target ping is answered.
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection.
    pub fn rx_nop_in(&mut self, n: &NopIn) -> Result<(), Failure> {
        self.update_window(n.exp_cmd_sn, n.max_cmd_sn);
        if n.ttt != RESERVED_TAG {
            // A target ping: answer with the same TTT and LUN (§11.18).
            if self.ping_answers >= MAX_QUEUED_PING_ANSWERS {
                return Err(Failure::PingFlood);
            }
            self.txq
                .push(TxItem::NopOut {
                    ttt: n.ttt,
                    lun: n.lun.0,
                })
                .map_err(|_| Failure::TxQueueFull)?;
            self.ping_answers += 1;
            return Ok(());
        }
        if n.itt == Itt::PING.to_wire() && self.rec.ping_outstanding() {
            // The answer to our keepalive ping: its StatSN is advanced.
            self.rec.pong();
            self.advance_stat_sn(n.stat_sn);
            return Ok(());
        }
        if n.itt != RESERVED_TAG {
            return Err(Failure::NopInUnsolicited);
        }
        Ok(())
    }

    /// Logout Response (RFC 7143 §11.15): valid only while our Logout is
    /// outstanding (S6); success takes T13.
    ///
    /// # Errors
    ///
    /// The [`Failure`] that fails the connection: an unknown ITT, no Logout
    /// outstanding, or a response that refuses the logout.
    pub fn rx_logout_response(&mut self, r: &LogoutResponse) -> Result<RxNext, Failure> {
        if Itt::from_wire(r.itt) != Itt::LOGOUT {
            return Err(Failure::LogoutResponseUnknownItt);
        }
        if self.machine.conn() != ConnState::InLogout {
            return Err(Failure::LogoutResponseUnsolicited);
        }
        self.exp_stat_sn = r.stat_sn.next();
        self.logout_response = Some(r.response);
        match r.response {
            LogoutResponseCode::Success => {
                self.on(Event::LogoutSuccess)
                    .map_err(|_| Failure::LogoutResponseUnsolicited)?;
                Ok(RxNext::LoggedOut)
            }
            _ => Err(Failure::LogoutRefused),
        }
    }

    /// Task Management Function Response (RFC 7143 §11.6). If it answers
    /// the waiting request and the function succeeded, the tasks it
    /// affected end (ABORT TASK with [`HostStatus::Aborted`], the resets
    /// with [`HostStatus::Reset`]): take them with
    /// [`SessionCore::take_terminated`]. Tasks whose own response came
    /// first are already gone; each task ends once. A response for a
    /// request whose waiter gave up is ignored.
    ///
    /// # Errors
    ///
    /// [`Failure::TmfResponseUnknownItt`] when the ITT is not a TMF
    /// request's; a StatSN out of order.
    pub fn rx_tmf_response(&mut self, r: &TaskMgmtResponse) -> Result<(), Failure> {
        self.update_window(r.exp_cmd_sn, r.max_cmd_sn);
        self.check_stat_sn(r.stat_sn)?;
        let itt = Itt::from_wire(r.itt);
        if itt.tag() != super::tmf::TMF_TAG {
            return Err(Failure::TmfResponseUnknownItt);
        }
        let Some(req) = self.tmf.answer(itt, r.response) else {
            return Ok(());
        };
        if req.kind.succeeded(r.response) {
            let host = if req.kind == TmfKind::AbortTask {
                HostStatus::Aborted
            } else {
                HostStatus::Reset
            };
            self.tasks
                .terminate(|t| req.affects(t.itt(), &t.info().lun), host);
        }
        Ok(())
    }

    /// Async Message (RFC 7143 §11.9) with its data segment `data`.
    ///
    /// - AsyncEvent 1 (logout requested) queues our Logout (T11, T10); the
    ///   session reconnects DefaultTime2Wait seconds after it ends.
    /// - AsyncEvent 2 and 3 (the target drops the connection, or all of
    ///   them) fail the connection; the session reconnects after
    ///   Parameter2 seconds (Time2Wait).
    /// - AsyncEvent 0 with sense data REPORTED LUNS DATA HAS CHANGED asks
    ///   for a LUN rescan ([`SessionCore::take_rescan`]).
    ///
    /// # Errors
    ///
    /// [`Failure::AsyncDrop`] for AsyncEvent 2 and 3.
    pub fn rx_async(&mut self, a: &AsyncMessage, data: &[u8]) -> Result<AsyncEvent, Failure> {
        self.advance_stat_sn(a.stat_sn);
        self.update_window(a.exp_cmd_sn, a.max_cmd_sn);
        match a.async_event {
            AsyncEvent::LogoutRequest => {
                if self.on(Event::LogoutRequested).is_ok() {
                    self.start_logout();
                }
                Ok(a.async_event)
            }
            AsyncEvent::ConnectionDrop | AsyncEvent::SessionDrop => {
                self.rec.set_reconnect_delay(u32::from(a.parameter2));
                Err(Failure::AsyncDrop)
            }
            AsyncEvent::ScsiEvent => {
                if let Ok((sense, _)) = scsi::sense_data(data) {
                    if recovery::luns_changed(sense) {
                        self.rec.request_rescan();
                    }
                }
                Ok(a.async_event)
            }
            ev => Ok(ev),
        }
    }

    /// Reject (RFC 7143 §11.17) whose data segment holds the rejected
    /// header: a rejected command ends with DID_ERROR. Returns the ITT of
    /// the rejected PDU (if the data held a header) and the command to
    /// complete.
    pub fn rx_reject(
        &mut self,
        r: &crate::codec::reject::Reject,
        data: &[u8],
    ) -> (Option<u32>, Option<(C, Completion)>) {
        let rejected = crate::codec::reject::Reject::rejected_bhs(data)
            .map(crate::codec::bhs::initiator_task_tag);
        self.advance_stat_sn(r.stat_sn);
        self.update_window(r.exp_cmd_sn, r.max_cmd_sn);
        let done = rejected.map(Itt::from_wire).and_then(|itt| {
            let len = self.tasks.lookup(itt)?.info().bufflen;
            self.tasks
                .finish(itt, Completion::host(HostStatus::Error, len))
        });
        (rejected, done)
    }
}

/// Checks that `len` bytes at BufferOffset `offset` lie within a buffer of
/// `bufflen` bytes; `beyond` is the failure when they do not.
fn within(offset: u32, len: u32, bufflen: u32, beyond: Failure) -> Result<(), Failure> {
    match offset.checked_add(len) {
        None => Err(Failure::BufferOffsetOverflow),
        Some(end) if end > bufflen => Err(beyond),
        Some(_) => Ok(()),
    }
}

/// The sense data of a SCSI Response whose data segment is
/// `segment_len` bytes long, of which the receive side kept `data` (the
/// first bytes; it drops what does not fit its buffer). RFC 7143
/// §11.4.7.2: SenseLength (2 bytes), then the sense data. What `data` holds
/// of it is returned (the caller keeps the midlayer's 96 bytes).
///
/// # Errors
///
/// [`Failure::SenseMalformed`] when the segment cannot hold SenseLength or
/// the sense data SenseLength announces.
pub fn sense_of(data: &[u8], segment_len: u32) -> Result<&[u8], Failure> {
    if segment_len == 0 {
        return Ok(&[]);
    }
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return Err(Failure::SenseMalformed);
    };
    let n = u32::from(u16::from_be_bytes(*len));
    if n.saturating_add(2) > segment_len {
        return Err(Failure::SenseMalformed);
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
    Ok(rest.get(..n).unwrap_or(rest))
}

/// Whether a read's final status GOOD lacks data the target did not
/// declare as residual (RFC 7143 §11.4.5: an underflow is reported with the
/// U bit and ResidualCount): `placed` bytes arrived in Data-In for a buffer
/// of `bufflen` bytes with residual `resid`. Completed GOOD, the old memory
/// in the buffer would reach the application as read data; the command
/// ends with a host error instead (DID_ERROR: the midlayer retries it a
/// bounded number of times, then fails it). Not a connection failure: the
/// reissued command would meet the same target on the next connection, and
/// the other commands are fine. (libiscsi takes the status as it comes.)
pub fn read_data_missing(placed: u32, bufflen: u32, resid: u32, status: u8) -> bool {
    const GOOD: u8 = 0;
    status == GOOD && placed < bufflen.saturating_sub(resid)
}

/// NOP-Out answers to target pings (NOP-In with a TTT, RFC 7143 §11.19)
/// that may wait in the transmit queue at once. A target that keeps pinging
/// while it reads nothing from us fills the queue; one ping more than this
/// fails the connection as a ping flood ([`Failure::PingFlood`]).
pub const MAX_QUEUED_PING_ANSWERS: u32 = 64;

/// Seconds a Logout Request waits for its Logout Response before the
/// connection fails (ours at removal, and one the target asked for).
pub const LOGOUT_TIMEOUT_S: u32 = 15;

/// Residual count for the midlayer: the U bit's count (bytes not
/// transferred), 0 for an overflow (the midlayer sees the full transfer).
pub fn residual(under: bool, over: bool, count: u32, bufflen: u32) -> u32 {
    if under && !over {
        count.min(bufflen)
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
