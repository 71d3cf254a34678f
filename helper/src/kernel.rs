//! The ioctl interface of /dev/iscsi_init (ABI in `abi/src/iscsi_init_abi.rs`,
//! Documentation/ioctl-abi.rst) and the conversions between the helper's
//! types and the ABI's: `NegotiatedParams` and `ConnBind` built from a login,
//! `SessionInfo` decoded. This is the only module of the helper with
//! `unsafe` code: one block per ioctl, each with its SAFETY argument.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, RawFd};

use iscsi_init_abi as abi;
use nix::errno::Errno;
use serde_json::{json, Value};

use crate::diag::warn;
use crate::error::{Error, Kind, Result};
use crate::login::LoggedIn;
use crate::negotiate::{Digest, Negotiated, SessionType};
use crate::params;

/// The control device of the module.
pub const DEVICE: &str = "/dev/iscsi_init";

/// The raw ioctl wrappers (private: only [`Device`] calls them).
mod sys {
    use super::abi;
    use nix::{ioctl_read_bad, ioctl_readwrite_bad, ioctl_write_ptr_bad};

    ioctl_read_bad!(ioc_version, abi::IOC_VERSION, abi::AbiHeader);
    ioctl_readwrite_bad!(ioc_conn_bind, abi::IOC_CONN_BIND, abi::ConnBind);
    ioctl_write_ptr_bad!(
        ioc_session_remove,
        abi::IOC_SESSION_REMOVE,
        abi::SessionRemove
    );
    ioctl_readwrite_bad!(ioc_session_list, abi::IOC_SESSION_LIST, abi::SessionList);
    ioctl_readwrite_bad!(ioc_session_stats, abi::IOC_SESSION_STATS, abi::SessionStats);
    ioctl_readwrite_bad!(ioc_event_wait, abi::IOC_EVENT_WAIT, abi::EventWait);
}
use sys::{
    ioc_conn_bind, ioc_event_wait, ioc_session_list, ioc_session_remove, ioc_session_stats,
    ioc_version,
};

/// An open /dev/iscsi_init whose ABI version was checked.
#[derive(Debug)]
pub struct Device {
    file: File,
}

fn ioctl_error(what: &str, e: Errno) -> Error {
    let detail = match e {
        Errno::EPERM | Errno::EACCES => {
            "permission denied (needs CAP_SYS_ADMIN: run as root)".to_string()
        }
        Errno::EOPNOTSUPP => format!(
            "the module does not speak ABI version {} (rebuild the helper or the module)",
            abi::ABI_VERSION
        ),
        Errno::ENOTTY => {
            "the device does not know this ioctl (module and helper do not match)".to_string()
        }
        _ => format!("{} ({})", e.desc(), e),
    };
    Error::kernel(format!("{what} failed: {detail}"))
}

/// A zeroed `SessionInfo`, the element of the `IOC_SESSION_LIST` buffer.
pub fn empty_session_info() -> abi::SessionInfo {
    abi::SessionInfo::new()
}

impl Device {
    /// Open the device and check the module's ABI version.
    pub fn open() -> Result<Device> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(DEVICE)
            .map_err(|e| match e.raw_os_error().map(Errno::from_raw) {
                Some(Errno::ENOENT) => Error::kernel(format!(
                    "{DEVICE} not found: is the iscsi_init module loaded?"
                )),
                Some(Errno::ENXIO) | Some(Errno::ENODEV) => Error::kernel(format!(
                    "{DEVICE} has no driver: is the iscsi_init module loaded?"
                )),
                Some(Errno::EACCES) | Some(Errno::EPERM) => {
                    Error::kernel(format!("permission denied opening {DEVICE}: run as root"))
                }
                _ => Error::kernel(format!(
                    "cannot open {DEVICE}: {}",
                    crate::error::strip_os_error(&e)
                )),
            })?;
        let dev = Device { file };
        let v = dev.version()?;
        if v.version != abi::ABI_VERSION {
            return Err(Error::kernel(format!(
                "the iscsi_init module speaks ABI version {}, this helper version {}",
                v.version,
                abi::ABI_VERSION
            )));
        }
        Ok(dev)
    }

    /// `IOC_VERSION`: the module's ABI version and largest argument size.
    pub fn version(&self) -> Result<abi::AbiHeader> {
        let mut h = abi::AbiHeader::default();
        // SAFETY: the fd is an open /dev/iscsi_init; IOC_VERSION writes one
        // AbiHeader (its size is encoded in the request number) to the
        // pointer, which points to a live, properly aligned AbiHeader.
        unsafe { ioc_version(self.file.as_raw_fd(), &mut h) }
            .map_err(|e| ioctl_error("IOC_VERSION", e))?;
        Ok(h)
    }

    /// `IOC_CONN_BIND`: hand a logged-in socket to the module. On success
    /// `bind.session_id` and `bind.host_no` are filled in.
    pub fn conn_bind(&self, bind: &mut abi::ConnBind) -> Result<()> {
        bind.hdr = abi::AbiHeader::for_type::<abi::ConnBind>();
        // SAFETY: `bind` is a live, aligned ConnBind of exactly the size in
        // the request number; the module reads it and writes session_id and
        // host_no back into it. `bind.fd` is an open socket owned by the
        // caller for the duration of the call (the module takes its own
        // reference).
        unsafe { ioc_conn_bind(self.file.as_raw_fd(), bind) }.map_err(|e| match e {
            Errno::EBADF | Errno::ENOTSOCK => {
                Error::kernel("IOC_CONN_BIND failed: the module did not accept the socket")
            }
            Errno::ENOENT => Error::kernel(format!(
                "IOC_CONN_BIND failed: session {} does not exist",
                bind.session_id
            )),
            Errno::EBUSY => Error::kernel(format!(
                "IOC_CONN_BIND failed: session {} is not waiting for a new connection",
                bind.session_id
            )),
            Errno::EINVAL => Error::kernel(
                "IOC_CONN_BIND failed: the module rejected the session parameters (EINVAL; see dmesg)",
            ),
            e => ioctl_error("IOC_CONN_BIND", e),
        })?;
        Ok(())
    }

    /// `IOC_EVENT_WAIT`: the first event after number `seq`, waiting up to
    /// `timeout_ms` milliseconds (`kind == EVENT_NONE` if none came).
    /// `Ok(None)` when a signal interrupted the wait.
    pub fn event_wait(&self, seq: u64, timeout_ms: u32) -> Result<Option<abi::EventWait>> {
        let mut arg = abi::EventWait {
            hdr: abi::AbiHeader::for_type::<abi::EventWait>(),
            seq,
            timeout_ms,
            ..Default::default()
        };
        // SAFETY: `arg` is a live, aligned EventWait of the size in the
        // request number; the module reads seq/timeout_ms and writes the
        // event back into it.
        match unsafe { ioc_event_wait(self.file.as_raw_fd(), &mut arg) } {
            Ok(_) => Ok(Some(arg)),
            Err(Errno::EINTR) => Ok(None),
            Err(e) => Err(ioctl_error("IOC_EVENT_WAIT", e)),
        }
    }

    /// `IOC_SESSION_REMOVE`: log a session out and remove it.
    /// `logout_timeout` in seconds, 0 for the module's default.
    pub fn session_remove(&self, session_id: u32, force: bool, logout_timeout: u32) -> Result<()> {
        let arg = abi::SessionRemove {
            hdr: abi::AbiHeader::for_type::<abi::SessionRemove>(),
            session_id,
            flags: if force { abi::REMOVE_FORCE } else { 0 },
            logout_timeout,
            reserved: [0; 3],
        };
        // SAFETY: `arg` is a live, aligned SessionRemove of exactly the size
        // in the request number; the module only reads it.
        unsafe { ioc_session_remove(self.file.as_raw_fd(), &arg) }.map_err(|e| match e {
            Errno::ENOENT => Error::new(Kind::NotFound, format!("no session {session_id}")),
            e => ioctl_error(&format!("removing session {session_id}"), e),
        })?;
        Ok(())
    }

    /// `IOC_SESSION_LIST`: every session of the module.
    pub fn session_list(&self) -> Result<Vec<abi::SessionInfo>> {
        let mut capacity: u32 = 16;
        for _ in 0..8 {
            let mut buf = vec![empty_session_info(); capacity as usize];
            let mut arg = abi::SessionList {
                hdr: abi::AbiHeader::for_type::<abi::SessionList>(),
                capacity,
                count: 0,
                buf: buf.as_mut_ptr() as u64,
                reserved: [0; 4],
            };
            // SAFETY: `arg` is a live, aligned SessionList of the size in the
            // request number. `arg.buf` points to `buf`, a live Vec of
            // exactly `capacity` SessionInfo records that outlives the call;
            // the module writes at most `capacity` records there and the
            // count into `arg`.
            unsafe { ioc_session_list(self.file.as_raw_fd(), &mut arg) }
                .map_err(|e| ioctl_error("IOC_SESSION_LIST", e))?;
            if arg.count <= capacity {
                buf.truncate(arg.count as usize);
                return Ok(buf);
            }
            capacity = arg.count + 8;
        }
        Err(Error::kernel(
            "IOC_SESSION_LIST: the number of sessions keeps changing",
        ))
    }

    /// `IOC_SESSION_STATS`: counters of one session.
    pub fn session_stats(&self, session_id: u32) -> Result<abi::SessionStats> {
        let mut arg = abi::SessionStats {
            hdr: abi::AbiHeader::for_type::<abi::SessionStats>(),
            session_id,
            ..Default::default()
        };
        // SAFETY: `arg` is a live, aligned SessionStats of the size in the
        // request number; the module reads session_id and writes the
        // counters back into it.
        unsafe { ioc_session_stats(self.file.as_raw_fd(), &mut arg) }.map_err(|e| match e {
            Errno::ENOENT => Error::new(Kind::NotFound, format!("no session {session_id}")),
            e => ioctl_error("IOC_SESSION_STATS", e),
        })?;
        Ok(arg)
    }
}

/// Copy `s` into a NUL-terminated fixed-size ABI string field.
pub fn put_str(field: &mut [u8], s: &str, what: &str) -> Result<()> {
    let b = s.as_bytes();
    if b.len() >= field.len() || b.contains(&0) {
        return Err(Error::other(format!(
            "{what} {s:?} does not fit the kernel interface ({} bytes at most)",
            field.len() - 1
        )));
    }
    field.fill(0);
    field[..b.len()].copy_from_slice(b);
    Ok(())
}

/// Read a NUL-terminated ABI string field.
pub fn get_str(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

// ------------------------------------------------------- ABI conversions

// Every value the negotiation accepts fits its ABI field: the ranges of the
// registry (crate::params) are checked against the field widths here.
const _: () = {
    assert!(params::MAX_RECV_DATA_SEGMENT_LENGTH.max() == params::MAX_LENGTH_24);
    assert!(params::MAX_BURST_LENGTH.max() == params::MAX_LENGTH_24);
    assert!(params::FIRST_BURST_LENGTH.max() == params::MAX_LENGTH_24);
    assert!(params::DEFAULT_TIME2WAIT.max() <= u16::MAX as u32);
    assert!(params::DEFAULT_TIME2RETAIN.max() <= u16::MAX as u32);
    assert!(params::MAX_OUTSTANDING_R2T.max() <= u16::MAX as u32);
    assert!(params::MAX_CONNECTIONS.max() <= u16::MAX as u32);
    assert!(params::ERROR_RECOVERY_LEVEL.max() <= u8::MAX as u32);
    assert!(params::TARGET_PORTAL_GROUP_TAG.max() <= u16::MAX as u32);
};

fn digest_to_abi(d: Digest) -> u8 {
    match d {
        Digest::None => abi::DIGEST_NONE,
        Digest::Crc32c => abi::DIGEST_CRC32C,
    }
}

fn digest_from_abi(v: u8) -> Digest {
    if v == abi::DIGEST_CRC32C {
        Digest::Crc32c
    } else {
        Digest::None
    }
}

/// The negotiated values in the ABI's form.
pub fn to_abi(n: &Negotiated) -> abi::NegotiatedParams {
    abi::NegotiatedParams {
        max_recv_data_segment_length: n.max_recv_data_segment_length,
        max_xmit_data_segment_length: n.max_xmit_data_segment_length,
        max_burst_length: n.max_burst_length,
        first_burst_length: n.first_burst_length,
        default_time2wait: n.default_time2wait as u16,
        default_time2retain: n.default_time2retain as u16,
        max_outstanding_r2t: n.max_outstanding_r2t as u16,
        max_connections: n.max_connections.min(params::MAX_CONNECTIONS.max()) as u16,
        header_digest: digest_to_abi(n.header_digest),
        data_digest: digest_to_abi(n.data_digest),
        initial_r2t: n.initial_r2t as u8,
        immediate_data: n.immediate_data as u8,
        data_pdu_in_order: n.data_pdu_in_order as u8,
        data_sequence_in_order: n.data_sequence_in_order as u8,
        error_recovery_level: n.error_recovery_level as u8,
        reserved0: 0,
        reserved: [0; 4],
    }
}

/// The parameters of an existing session, as the negotiation engine keeps
/// them for a non-leading login.
pub fn from_abi(p: &abi::NegotiatedParams, tpgt: u16, alias: &str) -> Negotiated {
    Negotiated {
        session_type: SessionType::Normal,
        header_digest: digest_from_abi(p.header_digest),
        data_digest: digest_from_abi(p.data_digest),
        max_recv_data_segment_length: p.max_recv_data_segment_length,
        max_xmit_data_segment_length: p.max_xmit_data_segment_length,
        max_burst_length: p.max_burst_length,
        first_burst_length: p.first_burst_length,
        initial_r2t: p.initial_r2t != 0,
        immediate_data: p.immediate_data != 0,
        max_outstanding_r2t: u32::from(p.max_outstanding_r2t),
        max_connections: u32::from(p.max_connections),
        data_pdu_in_order: p.data_pdu_in_order != 0,
        data_sequence_in_order: p.data_sequence_in_order != 0,
        default_time2wait: u32::from(p.default_time2wait),
        default_time2retain: u32::from(p.default_time2retain),
        error_recovery_level: u32::from(p.error_recovery_level),
        target_alias: (!alias.is_empty()).then(|| alias.to_string()),
        target_portal_group_tag: Some(tpgt),
    }
}

/// The session-wide parameters of a session of the module (for a
/// non-leading login into it).
pub fn session_negotiated(si: &abi::SessionInfo) -> Negotiated {
    from_abi(&si.params, si.tpgt, &get_str(&si.target_alias))
}

/// The ABI's parameters as `(RFC key, JSON value)` pairs.
pub fn abi_params(p: &abi::NegotiatedParams) -> Vec<(&'static str, Value)> {
    let d = |v: u8| digest_from_abi(v).as_str();
    let yn = |v: u8| v != 0;
    vec![
        ("HeaderDigest", json!(d(p.header_digest))),
        ("DataDigest", json!(d(p.data_digest))),
        (
            "MaxRecvDataSegmentLength",
            json!(p.max_recv_data_segment_length),
        ),
        (
            "MaxXmitDataSegmentLength",
            json!(p.max_xmit_data_segment_length),
        ),
        ("MaxBurstLength", json!(p.max_burst_length)),
        ("FirstBurstLength", json!(p.first_burst_length)),
        ("InitialR2T", json!(yn(p.initial_r2t))),
        ("ImmediateData", json!(yn(p.immediate_data))),
        ("MaxOutstandingR2T", json!(p.max_outstanding_r2t)),
        ("MaxConnections", json!(p.max_connections)),
        ("DataPDUInOrder", json!(yn(p.data_pdu_in_order))),
        ("DataSequenceInOrder", json!(yn(p.data_sequence_in_order))),
        ("DefaultTime2Wait", json!(p.default_time2wait)),
        ("DefaultTime2Retain", json!(p.default_time2retain)),
        ("ErrorRecoveryLevel", json!(p.error_recovery_level)),
    ]
}

/// The name of a session state (`SessionInfo::state`).
pub fn state_name(s: u32) -> &'static str {
    match s {
        abi::STATE_LOGGED_IN => "logged_in",
        abi::STATE_FAILED => "failed",
        abi::STATE_LOGGING_OUT => "logging-out",
        _ => "unknown",
    }
}

/// The name of an I/O state (`SessionInfo::io`), as sysfs `iscsi_io_state`.
pub fn io_name(io: u32) -> &'static str {
    match io {
        abi::IO_RUNNING => "running",
        abi::IO_HOLDING => "holding",
        abi::IO_FAILFAST => "failfast",
        abi::IO_CLOSING => "closing",
        _ => "unknown",
    }
}

/// Per-session recovery timers, in seconds (`None`: the module's default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecoveryTimers {
    /// Seconds I/O is held without a connection (default 120; 0 fails it at once).
    pub replacement_timeout: Option<u32>,
    /// Seconds of silence before a NOP-Out ping (default 5; 0: no keepalive).
    pub noop_out_interval: Option<u32>,
    /// Seconds a ping may go unanswered (default 5).
    pub noop_out_timeout: Option<u32>,
    /// Seconds an ABORT TASK waits for its answer (default 15).
    #[serde(default)]
    pub abort_timeout: Option<u32>,
    /// Seconds a LOGICAL UNIT RESET waits for its answer (default 30).
    #[serde(default)]
    pub lu_reset_timeout: Option<u32>,
    /// Seconds a TARGET WARM RESET waits for its answer (default 30).
    #[serde(default)]
    pub tgt_reset_timeout: Option<u32>,
}

/// What `IOC_CONN_BIND` needs besides the login result.
#[derive(Clone, Copy, Debug)]
pub struct BindRequest<'a> {
    /// The logged-in socket.
    pub fd: RawFd,
    /// The failed session to give the connection to, 0 for a new session.
    pub session_id: u32,
    /// SCSI queue depth, 0 for the module's default.
    pub queue_depth: u32,
    /// SCSI command timeout in seconds, 0 for the module's default.
    pub cmd_timeout: u32,
    /// Recovery timers.
    pub timers: RecoveryTimers,
    /// TargetName.
    pub target_name: &'a str,
    /// InitiatorName.
    pub initiator_name: &'a str,
    /// The portal actually connected to.
    pub portal: &'a str,
}

/// The `ConnBind` argument for a completed login.
pub fn conn_bind_for(li: &LoggedIn, r: &BindRequest) -> Result<abi::ConnBind> {
    let mut b = abi::ConnBind::new();
    b.fd = r.fd;
    b.session_id = r.session_id;
    b.cid = li.cid;
    b.tsih = li.tsih;
    b.isid = li.isid;
    b.tpgt = match li.negotiated.target_portal_group_tag {
        Some(t) => t,
        None => {
            warn("the target declared no TargetPortalGroupTag; using 0");
            0
        }
    };
    b.cmd_sn = li.cmd_sn;
    b.exp_cmd_sn = li.exp_cmd_sn;
    b.max_cmd_sn = li.max_cmd_sn;
    b.exp_stat_sn = li.exp_stat_sn;
    b.queue_depth = r.queue_depth;
    b.cmd_timeout = r.cmd_timeout;
    let t = |v: Option<u32>| v.unwrap_or(abi::TIMER_DEFAULT);
    b.replacement_timeout = t(r.timers.replacement_timeout);
    b.noop_out_interval = t(r.timers.noop_out_interval);
    b.noop_out_timeout = t(r.timers.noop_out_timeout);
    b.abort_timeout = t(r.timers.abort_timeout);
    b.lu_reset_timeout = t(r.timers.lu_reset_timeout);
    b.tgt_reset_timeout = t(r.timers.tgt_reset_timeout);
    b.params = to_abi(&li.negotiated);
    put_str(&mut b.target_name, r.target_name, "target name")?;
    put_str(&mut b.initiator_name, r.initiator_name, "initiator name")?;
    put_str(
        &mut b.target_alias,
        li.negotiated.target_alias.as_deref().unwrap_or(""),
        "target alias",
    )?;
    put_str(&mut b.portal, r.portal, "portal")?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiate::{Negotiation, Offer};

    #[test]
    fn abi_round_trip() {
        let mut n = Negotiation::new(SessionType::Normal, Offer::default());
        n.initial_offers();
        let r = n.finish().unwrap();
        let p = to_abi(&r);
        assert_eq!(p.max_recv_data_segment_length, 262144);
        assert_eq!(p.max_xmit_data_segment_length, 8192);
        assert_eq!(p.initial_r2t, 1);
        assert_eq!(p.header_digest, abi::DIGEST_NONE);
        let mut again = from_abi(&p, 1, "");
        again.target_portal_group_tag = r.target_portal_group_tag;
        assert_eq!(again, r);
        let back = abi_params(&p);
        assert_eq!(back[0], ("HeaderDigest", json!("None")));
        assert_eq!(back[6], ("InitialR2T", json!(true)));
    }

    #[test]
    fn strings() {
        let mut f = [0xffu8; 8];
        put_str(&mut f, "abc", "x").unwrap();
        assert_eq!(&f, b"abc\0\0\0\0\0");
        assert_eq!(get_str(&f), "abc");
        assert!(put_str(&mut f, "12345678", "x").is_err());
        put_str(&mut f, "1234567", "x").unwrap();
        assert_eq!(get_str(&f), "1234567");
    }

    #[test]
    fn request_numbers_match_the_abi() {
        // _IOR(0xE6, 0, 8 bytes) etc., computed by hand.
        assert_eq!(abi::IOC_VERSION, 0x8008_e600);
        assert_eq!(abi::IOC_CONN_BIND, 0xc000_e601 | (904 << 16));
        assert_eq!(abi::IOC_SESSION_REMOVE, 0x4000_e602 | (32 << 16));
        assert_eq!(abi::IOC_EVENT_WAIT, 0xc000_e605 | (64 << 16));
    }

    #[test]
    fn failure_names() {
        assert_eq!(abi::failure_name(0), "none");
        assert_eq!(abi::failure_name(1), "socket error");
        assert_eq!(abi::failure_name(10_000), "unknown");
    }

    #[test]
    fn missing_device_message() {
        if std::path::Path::new(DEVICE).exists() {
            return;
        }
        let e = Device::open().unwrap_err();
        assert_eq!(e.kind, Kind::Kernel);
        assert_eq!(
            e.message,
            "/dev/iscsi_init not found: is the iscsi_init module loaded?"
        );
    }
}
