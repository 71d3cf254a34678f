// SPDX-License-Identifier: GPL-2.0
//
// The kernel/helper ioctl ABI of /dev/iscsi_init, version 3.
//
// This file is compiled into the helper (through the `iscsi-init-abi` crate)
// and into the kernel module (`include!` in kmod/iscsi_init.rs). It must stay
// plain `core` Rust: no `std`, no `alloc`, no `unsafe`, no `crate::` paths.
// Documentation/ioctl-abi.rst describes every field.
//
// Every ioctl argument starts with an `AbiHeader`. The module rejects an
// unknown `version` with EOPNOTSUPP and a `size` that is not the size of the
// struct of that version with EINVAL. Reserved fields must be zero on input
// (EINVAL otherwise) so that later versions can give them a meaning.
//
// Version 2 added session recovery: the timers in `ConnBind`, the recovery
// figures in `SessionInfo`, `IOC_EVENT_WAIT`, and rebinding a failed
// session with a new TSIH (reinstatement). Version 3 added task management:
// the error handler's timeouts in `ConnBind` (`abort_timeout`,
// `lu_reset_timeout`, `tgt_reset_timeout`) and its counters in
// `SessionStats` (`tmf`, `host_resets`). Every ioctl but
// `IOC_VERSION` needs CAP_SYS_ADMIN, of the opener or of the caller (EPERM
// otherwise); opening needs only the node's file mode.

/// ABI version implemented by this file.
pub const ABI_VERSION: u32 = 3;

/// The ioctl "type" byte of /dev/iscsi_init (unused in ioctl-number.rst).
pub const IOC_TYPE: u32 = 0xE6;

const IOC_NRBITS: u32 = 8;
const IOC_TYPEBITS: u32 = 8;
const IOC_SIZEBITS: u32 = 14;
const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT: u32 = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT: u32 = IOC_SIZESHIFT + IOC_SIZEBITS;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// The Linux `_IOC()` encoding (asm-generic, as on x86 and arm64).
pub const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << IOC_DIRSHIFT) | (IOC_TYPE << IOC_TYPESHIFT) | (nr << IOC_NRSHIFT) | ((size as u32) << IOC_SIZESHIFT)
}

/// `_IOR(0xE6, 0, AbiHeader)`: the module writes its ABI version and the size
/// of its largest argument struct. Never fails.
pub const IOC_VERSION: u32 = ioc(IOC_READ, 0, core::mem::size_of::<AbiHeader>());
/// `_IOWR(0xE6, 1, ConnBind)`: hand a logged-in TCP socket to the module.
/// With `session_id == 0` it creates a session (and its SCSI host); with the
/// id of an existing failed session it gives that session a new connection:
/// with the session's TSIH a continuation, with a new TSIH (a login with the
/// same ISID and TSIH 0, RFC 7143 §6.3.5) a reinstatement. Either way the
/// SCSI host and its devices stay, and held I/O resumes.
pub const IOC_CONN_BIND: u32 = ioc(IOC_READ | IOC_WRITE, 1, core::mem::size_of::<ConnBind>());
/// `_IOW(0xE6, 2, SessionRemove)`: log the session out (Logout Request, reason
/// "close the session"), wait for the Logout Response, remove its SCSI host and
/// release its socket.
pub const IOC_SESSION_REMOVE: u32 = ioc(IOC_WRITE, 2, core::mem::size_of::<SessionRemove>());
/// `_IOWR(0xE6, 3, SessionList)`: copy up to `capacity` `SessionInfo` records
/// to the user buffer at `buf`; `count` returns how many sessions exist.
pub const IOC_SESSION_LIST: u32 = ioc(IOC_READ | IOC_WRITE, 3, core::mem::size_of::<SessionList>());
/// `_IOWR(0xE6, 4, SessionStats)`: per-session counters.
pub const IOC_SESSION_STATS: u32 = ioc(IOC_READ | IOC_WRITE, 4, core::mem::size_of::<SessionStats>());
/// `_IOWR(0xE6, 5, EventWait)`: wait up to `timeout_ms` for the next session
/// event after sequence number `seq` (the recovery daemon's loop). Returns 0
/// with `kind == EVENT_NONE` on timeout; EINTR when a signal arrives.
pub const IOC_EVENT_WAIT: u32 = ioc(IOC_READ | IOC_WRITE, 5, core::mem::size_of::<EventWait>());

/// Maximum length of an iSCSI name (RFC 7143 §4.2.7.1: 223 bytes) plus a NUL.
pub const NAME_LEN: usize = 224;
/// Room for a TargetAlias (RFC 7143 §13.6: up to 255 bytes) plus a NUL.
pub const ALIAS_LEN: usize = 256;
/// Room for a portal in text form, "a.b.c.d:port" or "[v6]:port", plus a NUL.
pub const PORTAL_LEN: usize = 64;

/// First field of every ioctl argument.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbiHeader {
    /// ABI version the caller was built for; must be `ABI_VERSION`.
    pub version: u32,
    /// `size_of` the whole argument struct, in bytes.
    pub size: u32,
}

impl AbiHeader {
    /// Header for an argument of type `T` at this ABI version.
    pub const fn for_type<T>() -> Self {
        Self { version: ABI_VERSION, size: core::mem::size_of::<T>() as u32 }
    }
}

/// Digest kinds (RFC 7143 §13.1), as negotiated for HeaderDigest/DataDigest.
pub const DIGEST_NONE: u8 = 0;
/// CRC32C digest.
pub const DIGEST_CRC32C: u8 = 1;

/// Operational parameters negotiated at login (RFC 7143 §13), as the module
/// uses them in the full-feature phase.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NegotiatedParams {
    /// MaxRecvDataSegmentLength we declared: the largest data segment the
    /// target may send us, in bytes (512..=2^24-1).
    pub max_recv_data_segment_length: u32,
    /// MaxRecvDataSegmentLength the target declared: the largest data segment
    /// we may send, in bytes (512..=2^24-1).
    pub max_xmit_data_segment_length: u32,
    /// MaxBurstLength in bytes (512..=2^24-1).
    pub max_burst_length: u32,
    /// FirstBurstLength in bytes (512..=2^24-1, at most MaxBurstLength).
    pub first_burst_length: u32,
    /// DefaultTime2Wait, seconds (0..=3600).
    pub default_time2wait: u16,
    /// DefaultTime2Retain, seconds (0..=3600).
    pub default_time2retain: u16,
    /// MaxOutstandingR2T (1..=65535).
    pub max_outstanding_r2t: u16,
    /// MaxConnections (1..=65535).
    pub max_connections: u16,
    /// HeaderDigest: `DIGEST_NONE` or `DIGEST_CRC32C`.
    pub header_digest: u8,
    /// DataDigest: `DIGEST_NONE` or `DIGEST_CRC32C`.
    pub data_digest: u8,
    /// InitialR2T (0 = No, 1 = Yes).
    pub initial_r2t: u8,
    /// ImmediateData (0 = No, 1 = Yes).
    pub immediate_data: u8,
    /// DataPDUInOrder (0 = No, 1 = Yes).
    pub data_pdu_in_order: u8,
    /// DataSequenceInOrder (0 = No, 1 = Yes).
    pub data_sequence_in_order: u8,
    /// ErrorRecoveryLevel (0..=2).
    pub error_recovery_level: u8,
    /// Must be zero.
    pub reserved0: u8,
    /// Must be zero.
    pub reserved: [u32; 4],
}

impl NegotiatedParams {
    /// All fields zero.
    pub const ZERO: Self = Self {
        max_recv_data_segment_length: 0,
        max_xmit_data_segment_length: 0,
        max_burst_length: 0,
        first_burst_length: 0,
        default_time2wait: 0,
        default_time2retain: 0,
        max_outstanding_r2t: 0,
        max_connections: 0,
        header_digest: 0,
        data_digest: 0,
        initial_r2t: 0,
        immediate_data: 0,
        data_pdu_in_order: 0,
        data_sequence_in_order: 0,
        error_recovery_level: 0,
        reserved0: 0,
        reserved: [0; 4],
    };
}

/// Argument of `IOC_CONN_BIND`: a connection that completed its login, with
/// everything the full-feature phase needs. Strings are NUL-terminated UTF-8.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConnBind {
    /// `AbiHeader::for_type::<ConnBind>()`.
    pub hdr: AbiHeader,
    /// In: connected TCP socket of the logged-in connection. The module takes
    /// its own reference; the caller may close its fd afterwards.
    pub fd: i32,
    /// In: 0 to create a session, or the id of a failed session that this
    /// connection recovers. Out: the session id.
    pub session_id: u32,
    /// Out: the SCSI host number (`/sys/class/scsi_host/hostN`).
    pub host_no: u32,
    /// In: CID of the connection (RFC 7143 §11.12.4).
    pub cid: u16,
    /// In: TSIH the target assigned in the final Login Response (non-zero).
    pub tsih: u16,
    /// In: ISID (RFC 7143 §11.12.5), 6 bytes as on the wire.
    pub isid: [u8; 6],
    /// In: TargetPortalGroupTag the target declared.
    pub tpgt: u16,
    /// In: CmdSN for the first full-feature command (the login's CmdSN).
    pub cmd_sn: u32,
    /// In: ExpCmdSN from the final Login Response.
    pub exp_cmd_sn: u32,
    /// In: MaxCmdSN from the final Login Response.
    pub max_cmd_sn: u32,
    /// In: ExpStatSN: StatSN of the final Login Response + 1.
    pub exp_stat_sn: u32,
    /// In: wanted SCSI queue depth (can_queue), 0 for the module default. The
    /// module caps it at its own limit.
    pub queue_depth: u32,
    /// In: seconds a SCSI command may take before the midlayer aborts it; 0
    /// for the module default.
    pub cmd_timeout: u32,
    /// In: parameters negotiated at login.
    pub params: NegotiatedParams,
    /// In: seconds I/O is held after a connection failure before it fails
    /// (0..=3600; 0 fails it at once). `TIMER_DEFAULT` for 120.
    pub replacement_timeout: u32,
    /// In: seconds without a PDU from the target before a NOP-Out ping
    /// (0..=3600; 0 disables the keepalive). `TIMER_DEFAULT` for 5.
    pub noop_out_interval: u32,
    /// In: seconds a ping may go unanswered before the connection fails
    /// (1..=3600). `TIMER_DEFAULT` for 5.
    pub noop_out_timeout: u32,
    /// In: TargetName.
    pub target_name: [u8; NAME_LEN],
    /// In: InitiatorName.
    pub initiator_name: [u8; NAME_LEN],
    /// In: TargetAlias, empty if none.
    pub target_alias: [u8; ALIAS_LEN],
    /// In: portal the connection went to, "host:port" or "[v6]:port".
    pub portal: [u8; PORTAL_LEN],
    /// In: seconds an ABORT TASK waits for its response before the error
    /// handler escalates (1..=3600). `TIMER_DEFAULT` for 15.
    pub abort_timeout: u32,
    /// In: seconds a LOGICAL UNIT RESET waits (1..=3600). `TIMER_DEFAULT`
    /// for 30.
    pub lu_reset_timeout: u32,
    /// In: seconds a TARGET WARM RESET waits (1..=3600). `TIMER_DEFAULT`
    /// for 30.
    pub tgt_reset_timeout: u32,
    /// Must be zero.
    pub reserved: [u32; 2],
}

impl ConnBind {
    /// An all-zero argument with its header filled in.
    pub const fn new() -> Self {
        Self {
            hdr: AbiHeader::for_type::<ConnBind>(),
            fd: -1,
            session_id: 0,
            host_no: 0,
            cid: 0,
            tsih: 0,
            isid: [0; 6],
            tpgt: 0,
            cmd_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            exp_stat_sn: 0,
            queue_depth: 0,
            cmd_timeout: 0,
            params: NegotiatedParams::ZERO,
            replacement_timeout: TIMER_DEFAULT,
            noop_out_interval: TIMER_DEFAULT,
            noop_out_timeout: TIMER_DEFAULT,
            target_name: [0; NAME_LEN],
            initiator_name: [0; NAME_LEN],
            target_alias: [0; ALIAS_LEN],
            portal: [0; PORTAL_LEN],
            abort_timeout: TIMER_DEFAULT,
            lu_reset_timeout: TIMER_DEFAULT,
            tgt_reset_timeout: TIMER_DEFAULT,
            reserved: [0; 2],
        }
    }
}

/// A `ConnBind` timer field asking for the module's default.
pub const TIMER_DEFAULT: u32 = u32::MAX;

impl Default for ConnBind {
    fn default() -> Self {
        Self::new()
    }
}

/// `SessionRemove::flags`: skip the Logout exchange (the connection is known
/// to be dead) and tear the session down at once.
pub const REMOVE_FORCE: u32 = 1;

/// Argument of `IOC_SESSION_REMOVE`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionRemove {
    /// `AbiHeader::for_type::<SessionRemove>()`.
    pub hdr: AbiHeader,
    /// Session to remove.
    pub session_id: u32,
    /// `REMOVE_*` flags.
    pub flags: u32,
    /// Seconds to wait for the Logout Response, 0 for the default (15 s).
    pub logout_timeout: u32,
    /// Must be zero.
    pub reserved: [u32; 3],
}

/// Session states reported in `SessionInfo::state`.
pub const STATE_LOGGED_IN: u32 = 1;
/// The connection failed (or the target logged the session out); the
/// session waits for a new connection (`IOC_CONN_BIND` with its id) or
/// removal. `SessionInfo::io` says whether I/O is held or failing.
pub const STATE_FAILED: u32 = 2;
/// A Logout is in progress.
pub const STATE_LOGGING_OUT: u32 = 3;

/// One record of `IOC_SESSION_LIST`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SessionInfo {
    /// Session id.
    pub session_id: u32,
    /// SCSI host number.
    pub host_no: u32,
    /// `STATE_*`.
    pub state: u32,
    /// CID of the session's connection.
    pub cid: u16,
    /// TSIH.
    pub tsih: u16,
    /// ISID as on the wire.
    pub isid: [u8; 6],
    /// TargetPortalGroupTag.
    pub tpgt: u16,
    /// Next CmdSN to be sent.
    pub cmd_sn: u32,
    /// Last ExpCmdSN from the target.
    pub exp_cmd_sn: u32,
    /// Last MaxCmdSN from the target.
    pub max_cmd_sn: u32,
    /// ExpStatSN we acknowledge.
    pub exp_stat_sn: u32,
    /// can_queue of the SCSI host.
    pub queue_depth: u32,
    /// Parameters in force.
    pub params: NegotiatedParams,
    /// TargetName.
    pub target_name: [u8; NAME_LEN],
    /// InitiatorName.
    pub initiator_name: [u8; NAME_LEN],
    /// TargetAlias.
    pub target_alias: [u8; ALIAS_LEN],
    /// Portal.
    pub portal: [u8; PORTAL_LEN],
    /// `IO_*`: what the devices do with I/O.
    pub io: u32,
    /// Milliseconds since the session entered its current RFC 7143 state.
    pub state_age_ms: u32,
    /// Successful recoveries (new connections after a failure).
    pub recoveries: u32,
    /// Cause of the last connection failure: 1 + the module's failure
    /// index (`FAILURE_NAMES[last_failure - 1]`), 0 for none.
    pub last_failure: u32,
    /// Milliseconds since the last failure (0 if none).
    pub last_failure_age_ms: u32,
    /// `replacement_timeout`, seconds.
    pub replacement_timeout: u32,
    /// `noop_out_interval`, seconds.
    pub noop_out_interval: u32,
    /// `noop_out_timeout`, seconds.
    pub noop_out_timeout: u32,
}

impl SessionInfo {
    /// An all-zero record (an element of the `IOC_SESSION_LIST` buffer).
    pub const fn new() -> Self {
        Self {
            session_id: 0,
            host_no: 0,
            state: 0,
            cid: 0,
            tsih: 0,
            isid: [0; 6],
            tpgt: 0,
            cmd_sn: 0,
            exp_cmd_sn: 0,
            max_cmd_sn: 0,
            exp_stat_sn: 0,
            queue_depth: 0,
            params: NegotiatedParams::ZERO,
            target_name: [0; NAME_LEN],
            initiator_name: [0; NAME_LEN],
            target_alias: [0; ALIAS_LEN],
            portal: [0; PORTAL_LEN],
            io: 0,
            state_age_ms: 0,
            recoveries: 0,
            last_failure: 0,
            last_failure_age_ms: 0,
            replacement_timeout: 0,
            noop_out_interval: 0,
            noop_out_timeout: 0,
        }
    }
}

impl Default for SessionInfo {
    fn default() -> Self {
        Self::new()
    }
}

/// Argument of `IOC_SESSION_LIST`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionList {
    /// `AbiHeader::for_type::<SessionList>()`.
    pub hdr: AbiHeader,
    /// In: number of `SessionInfo` records `buf` has room for (may be 0).
    pub capacity: u32,
    /// Out: number of sessions that exist (may exceed `capacity`).
    pub count: u32,
    /// In: user address of a `[SessionInfo; capacity]` array.
    pub buf: u64,
    /// Must be zero.
    pub reserved: [u32; 4],
}

/// Argument of `IOC_SESSION_STATS`; counters since the session was created.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionStats {
    /// `AbiHeader::for_type::<SessionStats>()`.
    pub hdr: AbiHeader,
    /// In: session id.
    pub session_id: u32,
    /// Out: `STATE_*`.
    pub state: u32,
    /// SCSI commands sent.
    pub commands: u64,
    /// SCSI commands completed with a status from the target.
    pub responses: u64,
    /// Bytes of Data-In received.
    pub read_bytes: u64,
    /// Bytes of Data-Out sent (immediate, unsolicited and solicited).
    pub write_bytes: u64,
    /// PDUs sent.
    pub pdus_sent: u64,
    /// PDUs received.
    pub pdus_received: u64,
    /// Header or data digest mismatches.
    pub digest_errors: u64,
    /// Protocol errors that failed the connection.
    pub protocol_errors: u64,
    /// Commands completed with a transport error (connection failure).
    pub transport_errors: u64,
    /// Commands the SCSI error handler asked to abort (`eh_abort_handler`
    /// calls for a command still outstanding).
    pub aborts: u64,
    /// Times the connection failed.
    pub conn_failures: u64,
    /// Task management, per function: `[TMF_ABORT_TASK]`,
    /// `[TMF_LU_RESET]`, `[TMF_TARGET_RESET]`.
    pub tmf: [TmfStats; 3],
    /// `eh_host_reset_handler` calls: the connection was dropped for
    /// session recovery.
    pub host_resets: u64,
    /// Must be zero.
    pub reserved: [u64; 4],
}

/// `SessionStats::tmf` index of ABORT TASK.
pub const TMF_ABORT_TASK: usize = 0;
/// `SessionStats::tmf` index of LOGICAL UNIT RESET.
pub const TMF_LU_RESET: usize = 1;
/// `SessionStats::tmf` index of TARGET WARM RESET.
pub const TMF_TARGET_RESET: usize = 2;

/// Counters of one task management function (RFC 7143 §11.5).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TmfStats {
    /// Requests sent to the target.
    pub sent: u64,
    /// Requests that succeeded ("function complete"; for ABORT TASK also
    /// "task does not exist", and aborts of commands that had not been
    /// sent yet, answered without a request).
    pub succeeded: u64,
    /// Requests the target answered with another response (the error
    /// handler escalated).
    pub failed: u64,
    /// Requests with no response within their timeout (escalated).
    pub timed_out: u64,
    /// Requests cut short by a connection failure.
    pub connection_lost: u64,
}

/// `SessionInfo::io`: commands go to the connection.
pub const IO_RUNNING: u32 = 0;
/// No connection: I/O waits, at most `replacement_timeout`.
pub const IO_HOLDING: u32 = 1;
/// `replacement_timeout` expired: I/O fails until a connection is bound.
pub const IO_FAILFAST: u32 = 2;
/// The session is being removed.
pub const IO_CLOSING: u32 = 3;

/// The failure causes of `SessionInfo::last_failure` and `EventWait::cause`
/// (1-based there), in the module's order (kmod/core/src/failure.rs; a test
/// keeps the two lists equal).
pub const FAILURE_NAMES: &[&str] = &[
    "socket error",
    "connection closed by the target",
    "connection closed inside a PDU",
    "header digest error",
    "data digest error",
    "bad DataSegmentLength or AHS",
    "malformed PDU header",
    "unexpected PDU in the full-feature phase",
    "Data-In for an unknown ITT",
    "Data-In for a command that reads nothing",
    "Data-In DataSN out of order",
    "BufferOffset overflows",
    "Data-In beyond the command's buffer",
    "Data-In BufferOffset out of order",
    "StatSN out of order",
    "SCSI Response for an unknown ITT",
    "R2T for an unknown ITT",
    "R2T for a command that writes nothing",
    "R2TSN out of order",
    "R2T beyond the command's buffer",
    "R2T Desired Data Transfer Length above MaxBurstLength",
    "more outstanding R2Ts than MaxOutstandingR2T",
    "NOP-In answers a ping we did not send",
    "transmit queue full",
    "Logout Response for an unknown ITT",
    "Logout Response without a Logout Request",
    "Logout Response refuses the logout",
    "target announced it drops the connection",
    "cannot encode a PDU",
    "out of memory",
    "cannot start a connection thread",
    "SCSI command timed out; dropping the connection",
    "reset requested by the SCSI error handler",
    "connection stopped",
    "NOP-Out ping timed out",
    "logged out at the target's request",
    "SCSI Response SenseLength beyond its data segment",
    "Logout Response not received in time",
    "target ping flood (NOP-In pings the target does not read the answers to)",
    "Task Management Function Response for an ITT that is not a TMF request",
];

/// The text of a 1-based failure cause; "none" for 0.
pub const fn failure_name(cause: u32) -> &'static str {
    if cause == 0 {
        return "none";
    }
    let i = (cause - 1) as usize;
    if i < FAILURE_NAMES.len() {
        FAILURE_NAMES[i]
    } else {
        "unknown"
    }
}

/// `EventWait::kind`: nothing happened within the timeout.
pub const EVENT_NONE: u32 = 0;
/// The session's connection failed or ended: it needs a new connection
/// (a login with its ISID, then `IOC_CONN_BIND` with its id), no sooner
/// than `delay_s` seconds from now.
pub const EVENT_CONN_FAILED: u32 = 1;
/// `replacement_timeout` expired: I/O now fails; a new connection still
/// recovers the session.
pub const EVENT_REPLACEMENT_TIMEOUT: u32 = 2;
/// A new connection was bound; `downtime_ms` says how long I/O waited.
pub const EVENT_RECOVERED: u32 = 3;
/// The session was removed.
pub const EVENT_REMOVED: u32 = 4;
/// The target reported REPORTED LUNS DATA HAS CHANGED (a unit attention, or
/// an Async Message): the module scanned the host for new LUNs; the daemon
/// runs `rescan` for the session, which also drops removed LUNs (ABI 3).
pub const EVENT_LUNS_CHANGED: u32 = 5;

/// Argument of `IOC_EVENT_WAIT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EventWait {
    /// `AbiHeader::for_type::<EventWait>()`.
    pub hdr: AbiHeader,
    /// In: milliseconds to wait for an event (0: do not wait; at most 60000).
    pub timeout_ms: u32,
    /// Out: `EVENT_*`.
    pub kind: u32,
    /// In: sequence number of the last event seen (0 at start). Out: this
    /// event's (events are numbered from 1), or the input on timeout.
    pub seq: u64,
    /// Out: the session.
    pub session_id: u32,
    /// Out: for `EVENT_CONN_FAILED`, the failure cause (1-based, see
    /// `FAILURE_NAMES`).
    pub cause: u32,
    /// Out: for `EVENT_CONN_FAILED`, seconds to wait before reconnecting
    /// (DefaultTime2Wait, or an Async Message's Parameter2).
    pub delay_s: u32,
    /// Out: for `EVENT_RECOVERED`, milliseconds without a connection.
    pub downtime_ms: u32,
    /// Out: 1 if events after the input `seq` were lost (the queue holds the
    /// last 64): list the sessions to catch up.
    pub lost: u32,
    /// Must be zero.
    pub reserved: [u32; 5],
}

// The structs cross the user/kernel boundary byte for byte: they must have no
// padding (the kernel must not copy uninitialised bytes to user space) and the
// same size for every user of this file.
const _: () = assert!(core::mem::size_of::<AbiHeader>() == 8);
const _: () = assert!(core::mem::size_of::<NegotiatedParams>() == 48);
const _: () = assert!(core::mem::size_of::<ConnBind>() == 904);
const _: () = assert!(core::mem::size_of::<SessionRemove>() == 32);
const _: () = assert!(core::mem::size_of::<SessionInfo>() == 892);
const _: () = assert!(core::mem::size_of::<SessionList>() == 40);
const _: () = assert!(core::mem::size_of::<SessionStats>() == 264);
const _: () = assert!(core::mem::size_of::<TmfStats>() == 40);
const _: () = assert!(core::mem::size_of::<EventWait>() == 64);
