//! Task management (RFC 7143 §11.5 and §11.6; SAM-5 §7), as the SCSI error
//! handler asks for it: ABORT TASK for a command that timed out, LOGICAL UNIT
//! RESET, TARGET WARM RESET. A session has at most one request outstanding
//! (the midlayer runs its error handling one step at a time; libiscsi has
//! the same rule), kept in a [`TmfSlot`]:
//!
//! ```text
//!            start                next_tx                 response
//!   Idle ─────────────▶ Queued ─────────────▶ Sent ─────────────────▶ Answered
//!    ▲                    │                    │  connection failed
//!    │                    └────────────────────┴────────────────────▶ ConnectionLost
//!    └──────────── release (the waiter saw the outcome, or gave up) ──────┘
//! ```
//!
//! The waiter (the error handler's callback, in the kernel) owns the
//! request from `start` to `release`; a response that arrives after the
//! waiter gave up finds the slot released (or holding a newer request with
//! another ITT) and is ignored.
//!
//! What a completed function does to the tasks is decided here too
//! ([`TmfRequest::affects`]): the receive side then ends those tasks once,
//! through the task table, whichever of the task's own response and the
//! TMF Response comes first.

use super::itt::Itt;
use crate::codec::serial::Sn;
use crate::codec::tmf::{TmfFunction, TmfResponse};

/// The tag of a task management request's ITT (outside every SCSI task's
/// tag, below [`Itt::PING`]'s); the generation counts the requests.
pub const TMF_TAG: u16 = 0xfffc;

/// Default seconds an ABORT TASK waits for its response (open-iscsi's
/// `node.session.err_timeo.abort_timeout`).
pub const ABORT_TIMEOUT_S: u32 = 15;
/// Default seconds a LOGICAL UNIT RESET waits for its response
/// (`node.session.err_timeo.lu_reset_timeout`).
pub const LU_RESET_TIMEOUT_S: u32 = 30;
/// Default seconds a TARGET WARM RESET waits for its response
/// (`node.session.err_timeo.tgt_reset_timeout`).
pub const TARGET_RESET_TIMEOUT_S: u32 = 30;
/// Largest TMF timeout accepted, in seconds.
pub const MAX_TMF_TIMEOUT_S: u32 = 3600;

/// The task management functions the error handler uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TmfKind {
    /// ABORT TASK: one command (`eh_abort_handler`).
    AbortTask,
    /// LOGICAL UNIT RESET: every task of one LUN (`eh_device_reset_handler`).
    LogicalUnitReset,
    /// TARGET WARM RESET: every task of the target (`eh_target_reset_handler`).
    TargetWarmReset,
}

impl TmfKind {
    /// The three kinds, in escalation order.
    pub const ALL: [TmfKind; 3] = [
        TmfKind::AbortTask,
        TmfKind::LogicalUnitReset,
        TmfKind::TargetWarmReset,
    ];

    /// The Function field (RFC 7143 §11.5.1).
    pub fn function(self) -> TmfFunction {
        match self {
            TmfKind::AbortTask => TmfFunction::AbortTask,
            TmfKind::LogicalUnitReset => TmfFunction::LogicalUnitReset,
            TmfKind::TargetWarmReset => TmfFunction::TargetWarmReset,
        }
    }

    /// Index into per-kind arrays ([`TmfCounters`]).
    pub fn index(self) -> usize {
        match self {
            TmfKind::AbortTask => 0,
            TmfKind::LogicalUnitReset => 1,
            TmfKind::TargetWarmReset => 2,
        }
    }

    /// The SAM name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            TmfKind::AbortTask => "ABORT TASK",
            TmfKind::LogicalUnitReset => "LOGICAL UNIT RESET",
            TmfKind::TargetWarmReset => "TARGET WARM RESET",
        }
    }

    /// Whether `response` means the function did its work: "function
    /// complete", and for ABORT TASK also "task does not exist" (the task
    /// already ended; RFC 7143 §11.6.1). Either hands the command back to
    /// the midlayer.
    pub fn succeeded(self, response: TmfResponse) -> bool {
        match response {
            TmfResponse::FunctionComplete => true,
            TmfResponse::TaskDoesNotExist => self == TmfKind::AbortTask,
            _ => false,
        }
    }
}

/// A task management request, as the transmit thread puts it in the PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TmfRequest {
    /// The function.
    pub kind: TmfKind,
    /// ITT of the request (tag [`TMF_TAG`]).
    pub itt: Itt,
    /// LUN, 8 bytes as on the wire (zero for TARGET WARM RESET).
    pub lun: [u8; 8],
    /// ABORT TASK: the ITT of the task to abort (Referenced Task Tag);
    /// [`Itt::RESERVED`] otherwise.
    pub referenced_itt: Itt,
    /// ABORT TASK: the CmdSN of the task to abort (RefCmdSN).
    pub ref_cmd_sn: Sn,
}

impl TmfRequest {
    /// Whether a task with ITT `itt` on `lun` is terminated when this
    /// function completes: the referenced task for ABORT TASK, the LUN's
    /// tasks for LOGICAL UNIT RESET, every task for TARGET WARM RESET
    /// (SAM-5 §7.2, §7.7, §7.11; one target per session).
    pub fn affects(&self, itt: Itt, lun: &[u8; 8]) -> bool {
        match self.kind {
            TmfKind::AbortTask => itt == self.referenced_itt,
            TmfKind::LogicalUnitReset => *lun == self.lun,
            TmfKind::TargetWarmReset => true,
        }
    }
}

/// Where the session's one request is (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TmfState {
    /// No request.
    Idle,
    /// Waiting for the transmit thread.
    Queued,
    /// On the wire, waiting for its response.
    Sent,
    /// The target answered.
    Answered(TmfResponse),
    /// The connection failed before the answer.
    ConnectionLost,
}

/// How a request ended, for its waiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TmfOutcome {
    /// The target answered with this response.
    Answered(TmfResponse),
    /// The connection failed first.
    ConnectionLost,
}

/// Counters of one kind of function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmfCount {
    /// Requests sent to the target.
    pub sent: u64,
    /// Requests that succeeded ([`TmfKind::succeeded`]); an ABORT TASK for
    /// a command still queued counts here without a request.
    pub succeeded: u64,
    /// Requests the target refused (any other response).
    pub failed: u64,
    /// Requests whose waiter gave up before a response.
    pub timed_out: u64,
    /// Requests that the connection's failure cut short.
    pub connection_lost: u64,
}

/// Per-kind counters, indexed by [`TmfKind::index`].
pub type TmfCounters = [TmfCount; 3];

/// The session's one task management request.
///
/// # Invariants
///
/// `req` is meaningful unless `state` is [`TmfState::Idle`]; `generation`
/// grows at every start, so every request has its own ITT.
#[derive(Clone, Copy, Debug)]
pub struct TmfSlot {
    state: TmfState,
    req: TmfRequest,
    generation: u16,
    counters: TmfCounters,
    ignored: u32,
}

impl Default for TmfSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl TmfSlot {
    /// An idle slot.
    pub const fn new() -> Self {
        TmfSlot {
            state: TmfState::Idle,
            req: TmfRequest {
                kind: TmfKind::AbortTask,
                itt: Itt::RESERVED,
                lun: [0; 8],
                referenced_itt: Itt::RESERVED,
                ref_cmd_sn: Sn(0),
            },
            generation: 0,
            counters: [TmfCount {
                sent: 0,
                succeeded: 0,
                failed: 0,
                timed_out: 0,
                connection_lost: 0,
            }; 3],
            ignored: 0,
        }
    }

    /// The state.
    pub fn state(&self) -> TmfState {
        self.state
    }

    /// The current request, unless idle.
    pub fn request(&self) -> Option<&TmfRequest> {
        (self.state != TmfState::Idle).then_some(&self.req)
    }

    /// The counters.
    pub fn counters(&self) -> &TmfCounters {
        &self.counters
    }

    /// TMF Responses that matched no waiting request (late answers).
    pub fn ignored(&self) -> u32 {
        self.ignored
    }

    /// Whether a new request may start.
    pub fn is_idle(&self) -> bool {
        self.state == TmfState::Idle
    }

    /// Starts a request of `kind`; returns it with its new ITT. The caller
    /// has checked [`TmfSlot::is_idle`].
    pub fn start(
        &mut self,
        kind: TmfKind,
        lun: [u8; 8],
        referenced_itt: Itt,
        ref_cmd_sn: Sn,
    ) -> TmfRequest {
        self.generation = self.generation.wrapping_add(1);
        self.req = TmfRequest {
            kind,
            itt: Itt::new(TMF_TAG, self.generation),
            lun,
            referenced_itt,
            ref_cmd_sn,
        };
        self.state = TmfState::Queued;
        self.req
    }

    /// The transmit thread takes request `itt` to send; `None` if it is no
    /// longer queued (its waiter gave up).
    pub fn take_to_send(&mut self, itt: Itt) -> Option<TmfRequest> {
        if self.state != TmfState::Queued || self.req.itt != itt {
            return None;
        }
        self.state = TmfState::Sent;
        self.counters[self.req.kind.index()].sent += 1;
        Some(self.req)
    }

    /// A TMF Response for `itt` with `response`: the request it answers, if
    /// one was waiting for it (otherwise it is counted and ignored).
    pub fn answer(&mut self, itt: Itt, response: TmfResponse) -> Option<TmfRequest> {
        if self.state != TmfState::Sent || self.req.itt != itt {
            self.ignored = self.ignored.wrapping_add(1);
            return None;
        }
        self.state = TmfState::Answered(response);
        let c = &mut self.counters[self.req.kind.index()];
        if self.req.kind.succeeded(response) {
            c.succeeded += 1;
        } else {
            c.failed += 1;
        }
        Some(self.req)
    }

    /// The connection failed: a request not yet answered is cut short.
    pub fn connection_failed(&mut self) {
        if matches!(self.state, TmfState::Queued | TmfState::Sent) {
            self.state = TmfState::ConnectionLost;
            self.counters[self.req.kind.index()].connection_lost += 1;
        }
    }

    /// The outcome of request `itt`, once there is one.
    pub fn outcome(&self, itt: Itt) -> Option<TmfOutcome> {
        if self.req.itt != itt {
            return None;
        }
        match self.state {
            TmfState::Answered(r) => Some(TmfOutcome::Answered(r)),
            TmfState::ConnectionLost => Some(TmfOutcome::ConnectionLost),
            _ => None,
        }
    }

    /// The waiter of request `itt` is done with it (it saw the outcome, or
    /// gave up: then it counts as timed out). The slot is idle again.
    pub fn release(&mut self, itt: Itt) {
        if self.req.itt != itt || self.state == TmfState::Idle {
            return;
        }
        if matches!(self.state, TmfState::Queued | TmfState::Sent) {
            self.counters[self.req.kind.index()].timed_out += 1;
        }
        self.state = TmfState::Idle;
    }

    /// Counts an ABORT TASK that was answered without the target (the
    /// command was still queued).
    pub fn count_local_abort(&mut self) {
        self.counters[TmfKind::AbortTask.index()].succeeded += 1;
    }

    /// Whether new SCSI Command PDUs wait: while a reset is queued or on
    /// the wire, commands are not sent (they would race with the reset;
    /// libiscsi holds them the same way). An ABORT TASK holds nothing.
    pub fn holds_commands(&self) -> bool {
        matches!(self.state, TmfState::Queued | TmfState::Sent)
            && self.req.kind != TmfKind::AbortTask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_through_its_states() {
        let mut s = TmfSlot::new();
        assert!(s.is_idle());
        let r = s.start(
            TmfKind::LogicalUnitReset,
            [0, 1, 0, 0, 0, 0, 0, 0],
            Itt::RESERVED,
            Sn(0),
        );
        assert_eq!(r.itt.tag(), TMF_TAG);
        assert!(!r.itt.is_task());
        assert!(s.holds_commands());
        assert_eq!(s.outcome(r.itt), None);
        assert_eq!(s.take_to_send(r.itt), Some(r));
        assert_eq!(s.take_to_send(r.itt), None);
        assert_eq!(s.answer(r.itt, TmfResponse::FunctionComplete), Some(r));
        assert!(!s.holds_commands());
        assert_eq!(
            s.outcome(r.itt),
            Some(TmfOutcome::Answered(TmfResponse::FunctionComplete))
        );
        s.release(r.itt);
        assert!(s.is_idle());
        let c = s.counters()[TmfKind::LogicalUnitReset.index()];
        assert_eq!((c.sent, c.succeeded, c.failed, c.timed_out), (1, 1, 0, 0));
    }

    #[test]
    fn a_late_answer_is_ignored() {
        let mut s = TmfSlot::new();
        let a = s.start(TmfKind::AbortTask, [0; 8], Itt::new(3, 1), Sn(7));
        s.take_to_send(a.itt);
        // The waiter gives up: timed out.
        s.release(a.itt);
        let b = s.start(TmfKind::LogicalUnitReset, [0; 8], Itt::RESERVED, Sn(0));
        assert_ne!(a.itt, b.itt);
        s.take_to_send(b.itt);
        // The first request's answer arrives now: it must not end the second.
        assert_eq!(s.answer(a.itt, TmfResponse::FunctionComplete), None);
        assert_eq!(s.ignored(), 1);
        assert_eq!(s.outcome(b.itt), None);
        assert_eq!(s.counters()[0].timed_out, 1);
    }

    #[test]
    fn success_depends_on_the_function() {
        assert!(TmfKind::AbortTask.succeeded(TmfResponse::TaskDoesNotExist));
        assert!(!TmfKind::LogicalUnitReset.succeeded(TmfResponse::TaskDoesNotExist));
        assert!(!TmfKind::TargetWarmReset.succeeded(TmfResponse::AuthorizationFailed));
        assert!(TmfKind::TargetWarmReset.succeeded(TmfResponse::FunctionComplete));
    }

    #[test]
    fn connection_loss_ends_the_wait() {
        let mut s = TmfSlot::new();
        let r = s.start(TmfKind::TargetWarmReset, [0; 8], Itt::RESERVED, Sn(0));
        s.connection_failed();
        assert_eq!(s.outcome(r.itt), Some(TmfOutcome::ConnectionLost));
        assert_eq!(s.take_to_send(r.itt), None);
        s.release(r.itt);
        assert!(s.is_idle());
        assert_eq!(s.counters()[2].connection_lost, 1);
        assert_eq!(s.counters()[2].timed_out, 0);
    }

    #[test]
    fn affected_tasks() {
        let lun1 = [0, 1, 0, 0, 0, 0, 0, 0];
        let abort = TmfRequest {
            kind: TmfKind::AbortTask,
            itt: Itt::new(TMF_TAG, 1),
            lun: lun1,
            referenced_itt: Itt::new(5, 2),
            ref_cmd_sn: Sn(9),
        };
        assert!(abort.affects(Itt::new(5, 2), &lun1));
        assert!(!abort.affects(Itt::new(5, 3), &lun1));
        let lu = TmfRequest {
            kind: TmfKind::LogicalUnitReset,
            ..abort
        };
        assert!(lu.affects(Itt::new(1, 1), &lun1));
        assert!(!lu.affects(Itt::new(1, 1), &[0; 8]));
        let tgt = TmfRequest {
            kind: TmfKind::TargetWarmReset,
            ..abort
        };
        assert!(tgt.affects(Itt::new(1, 1), &[0; 8]));
    }
}
