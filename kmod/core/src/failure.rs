//! Why a connection failed: one typed reason, as libiscsi's `enum
//! iscsi_err`. A [`Failure`] is the payload of the state machine's
//! `ConnFailed` event, the text of the dmesg line, and the key of the
//! session's failure counters ([`Failure::kind`], [`Failure::index`]).

/// What class of counter a failure is counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The transport ended or failed: socket error, EOF (`transport_errors`).
    Transport,
    /// The target broke RFC 7143 (`protocol_errors`).
    Protocol,
    /// A header or data digest did not match (`digest_errors`).
    Digest,
    /// The initiator ended the connection itself: admin, error handler,
    /// resources (counted only as a connection failure).
    Local,
}

macro_rules! failures {
    ($($(#[$doc:meta])* $name:ident = $kind:ident, $text:literal;)*) => {
        /// Why a connection failed (see the module documentation).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Failure {
            $($(#[$doc])* $name,)*
        }

        impl Failure {
            /// Every reason, in declaration order ([`Failure::index`]).
            pub const ALL: &'static [Failure] = &[$(Failure::$name,)*];

            /// The text of the dmesg line.
            pub const fn text(self) -> &'static str {
                match self { $(Failure::$name => $text,)* }
            }

            /// The counter class.
            pub const fn kind(self) -> FailureKind {
                match self { $(Failure::$name => FailureKind::$kind,)* }
            }
        }
    };
}

failures! {
    /// A socket call failed (RFC 7143 §8.1.3 "transport reset").
    Socket = Transport, "socket error";
    /// The target closed the connection between PDUs ("transport
    /// disconnect indication").
    ClosedByTarget = Transport, "connection closed by the target";
    /// The target closed the connection in the middle of a PDU.
    ClosedInsidePdu = Transport, "connection closed inside a PDU";
    /// HeaderDigest CRC32C mismatch (RFC 7143 §7.8).
    HeaderDigest = Digest, "header digest error";
    /// DataDigest CRC32C mismatch (RFC 7143 §7.8).
    DataDigest = Digest, "data digest error";
    /// DataSegmentLength above our MaxRecvDataSegmentLength, or a bad
    /// TotalAHSLength.
    BadLength = Protocol, "bad DataSegmentLength or AHS";
    /// The BHS does not decode (RFC 7143 §11).
    MalformedHeader = Protocol, "malformed PDU header";
    /// An opcode the full-feature phase does not allow from a target.
    UnexpectedPdu = Protocol, "unexpected PDU in the full-feature phase";
    /// Data-In for an ITT with no outstanding task.
    DataInUnknownItt = Protocol, "Data-In for an unknown ITT";
    /// Data-In for a command that reads nothing.
    DataInNotRead = Protocol, "Data-In for a command that reads nothing";
    /// DataSN out of order (RFC 7143 §11.7.5).
    DataSnOrder = Protocol, "Data-In DataSN out of order";
    /// BufferOffset + DataSegmentLength overflows.
    BufferOffsetOverflow = Protocol, "BufferOffset overflows";
    /// Data-In beyond the command's buffer.
    DataInBeyondBuffer = Protocol, "Data-In beyond the command's buffer";
    /// Data-In BufferOffset is not where the previous one ended
    /// (DataPDUInOrder=Yes).
    BufferOffsetOrder = Protocol, "Data-In BufferOffset out of order";
    /// A status StatSN that is neither ExpStatSN nor the last StatSN (RFC
    /// 7143 §4.2.2.2, one connection).
    StatSnOrder = Protocol, "StatSN out of order";
    /// SCSI Response for an ITT with no outstanding task.
    ResponseUnknownItt = Protocol, "SCSI Response for an unknown ITT";
    /// R2T for an ITT with no outstanding task.
    R2tUnknownItt = Protocol, "R2T for an unknown ITT";
    /// R2T for a command that writes nothing.
    R2tNotWrite = Protocol, "R2T for a command that writes nothing";
    /// R2TSN out of order (RFC 7143 §11.8.6).
    R2tSnOrder = Protocol, "R2TSN out of order";
    /// R2T beyond the command's buffer.
    R2tBeyondBuffer = Protocol, "R2T beyond the command's buffer";
    /// R2T Desired Data Transfer Length above MaxBurstLength.
    R2tAboveMaxBurst = Protocol, "R2T Desired Data Transfer Length above MaxBurstLength";
    /// More R2Ts outstanding than MaxOutstandingR2T allows.
    TooManyR2t = Protocol, "more outstanding R2Ts than MaxOutstandingR2T";
    /// A NOP-In answering a ping we did not send.
    NopInUnsolicited = Protocol, "NOP-In answers a ping we did not send";
    /// The transmit queue is full of target pings.
    TxQueueFull = Protocol, "transmit queue full";
    /// A Logout Response with an ITT that is not our Logout's.
    LogoutResponseUnknownItt = Protocol, "Logout Response for an unknown ITT";
    /// A Logout Response while no Logout Request is outstanding.
    LogoutResponseUnsolicited = Protocol, "Logout Response without a Logout Request";
    /// A Logout Response that refuses to close the session.
    LogoutRefused = Protocol, "Logout Response refuses the logout";
    /// Async Message "drop the connection" or "drop all connections"
    /// (RFC 7143 §11.9.1, AsyncEvent 2 and 3).
    AsyncDrop = Transport, "target announced it drops the connection";
    /// A PDU could not be encoded (a CDB too long).
    Encode = Local, "cannot encode a PDU";
    /// Out of memory setting up the connection.
    OutOfMemory = Local, "out of memory";
    /// A connection thread could not be started.
    ThreadStart = Local, "cannot start a connection thread";
    /// The SCSI error handler aborted a command by dropping the connection
    /// (ABI 2; since ABI 3 a timed-out command gets an ABORT TASK, and this
    /// cause is no longer raised).
    ErrorHandlerAbort = Local, "SCSI command timed out; dropping the connection";
    /// The SCSI error handler's last level (`eh_host_reset_handler`): the
    /// connection is dropped and session recovery takes over.
    ErrorHandlerReset = Local, "reset requested by the SCSI error handler";
    /// A new connection replaces this one, or the session is removed.
    Stopped = Local, "connection stopped";
    /// Our NOP-Out ping went unanswered for `noop_out_timeout` (RFC 7143
    /// §11.18).
    KeepaliveTimeout = Transport, "NOP-Out ping timed out";
    /// The target asked for a logout (Async Message AsyncEvent 1) and the
    /// session was logged out; it reconnects after DefaultTime2Wait.
    LogoutRequested = Transport, "logged out at the target's request";
    /// A SCSI Response whose SenseLength does not fit its data segment
    /// (RFC 7143 §11.4.7.2).
    SenseMalformed = Protocol, "SCSI Response SenseLength beyond its data segment";
    /// Our Logout Request (one the target asked for with AsyncEvent 1)
    /// went unanswered for `LOGOUT_TIMEOUT_S`.
    LogoutTimeout = Transport, "Logout Response not received in time";
    /// More target pings than `MAX_QUEUED_PING_ANSWERS` wait for their
    /// answers while the target reads nothing.
    PingFlood = Protocol, "target ping flood (NOP-In pings the target does not read the answers to)";
    /// A Task Management Function Response whose ITT is not that of a task
    /// management request (RFC 7143 §11.6).
    TmfResponseUnknownItt = Protocol, "Task Management Function Response for an ITT that is not a TMF request";
}

impl Failure {
    /// Position in [`Failure::ALL`], for per-reason counters.
    pub fn index(self) -> usize {
        Failure::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }

    /// Number of reasons.
    pub const COUNT: usize = Failure::ALL.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ABI's cause names (`SessionInfo::last_failure`, `EventWait::cause`)
    /// are these texts in this order.
    #[test]
    fn abi_names_match() {
        let names = iscsi_init_abi::FAILURE_NAMES;
        assert_eq!(names.len(), Failure::COUNT);
        for (f, n) in Failure::ALL.iter().zip(names) {
            assert_eq!(f.text(), *n);
            assert_eq!(iscsi_init_abi::failure_name(f.index() as u32 + 1), *n);
        }
    }

    #[test]
    fn index_round_trips_and_texts_are_distinct() {
        for (i, f) in Failure::ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
            assert!(!f.text().is_empty());
            for g in &Failure::ALL[i + 1..] {
                assert_ne!(f.text(), g.text(), "{f:?} and {g:?} share a text");
            }
        }
    }
}
