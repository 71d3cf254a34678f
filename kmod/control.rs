// SPDX-License-Identifier: GPL-2.0

//! The ioctl commands of `/dev/iscsi_init` (Documentation/ioctl-abi.rst):
//! validation of every field, then session creation, removal and listing.

use crate::abi;
use crate::codec::serial::{CmdWindow, Sn};
use crate::conn::Conn;
use crate::kcore::failure::Failure;
use crate::session::{field_str, ConnThreads, Session, SessionHost, MAX_CMD_TIMEOUT, MAX_OUTSTANDING_R2T};
use crate::sys;
use crate::sys::miscdev::MiscDevice;
use crate::sys::scsi::Host;
use crate::sys::socket::Socket;
use crate::events::Events;
use crate::kcore::recovery::MAX_TIMER;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::{Arc, Mutex};
use kernel::uaccess::UserPtr;

/// Largest data segment / burst length of RFC 7143 §13 (2^24 - 1 bytes).
const MAX_LEN_24: u32 = 0x00ff_ffff;
/// Largest number of (512-byte) sectors per command.
const MAX_SECTORS: u32 = 8192;

/// The sessions of this module.
#[pin_data]
pub(crate) struct Control {
    /// Slots; a removed session leaves a `None` that a new one reuses. A
    /// mutex because binding and removing sleep; first in the lock order
    /// (`crate::session`): held while a session's `parts` or `inner` is
    /// taken, never taken under them. It is not held across a session's
    /// removal (the session is taken out of its slot first).
    #[pin]
    sessions: Mutex<KVec<Option<Arc<Session>>>>,
    next_id: AtomicU32,
    /// Session events for `IOC_EVENT_WAIT`, shared with every session.
    events: Arc<Events>,
    /// Serialises `IOC_CONN_BIND`, so that two binds for one session cannot
    /// interleave; taken before `sessions` in the lock order, and held
    /// across the bind (which sleeps).
    #[pin]
    binding: Mutex<()>,
}

/// EOPNOTSUPP (not among the kernel crate's named codes in 6.12).
fn eopnotsupp() -> Error {
    Error::from_errno(-95)
}

/// Logs why an ioctl argument is refused and returns `err`.
macro_rules! refuse {
    ($err:expr, $($arg:tt)*) => {{
        pr_warn!("{}\n", kernel::fmt!($($arg)*));
        return Err($err);
    }};
}

/// Checks the `AbiHeader` at the start of a user argument of type `T`.
///
/// # Errors
///
/// EOPNOTSUPP for another ABI version, EINVAL for a size that is not
/// `size_of::<T>()`, EFAULT for an unreadable pointer.
fn check_header<T>(arg: UserPtr, what: &str) -> Result {
    let hdr: abi::AbiHeader = sys::user::read(arg)?;
    if hdr.version != abi::ABI_VERSION {
        refuse!(eopnotsupp(), "{}: ABI version {} not supported (module speaks {})", what, hdr.version, abi::ABI_VERSION);
    }
    if hdr.size as usize != core::mem::size_of::<T>() {
        refuse!(EINVAL, "{}: argument of {} bytes, expected {}", what, hdr.size, core::mem::size_of::<T>());
    }
    Ok(())
}

/// A NUL-terminated text field: non-empty (if `required`), terminated,
/// printable ASCII or UTF-8 without control characters.
fn check_text(b: &[u8], what: &str, required: bool) -> Result {
    let Some(n) = b.iter().position(|&c| c == 0) else {
        refuse!(EINVAL, "bind: {} is not NUL-terminated", what);
    };
    if required && n == 0 {
        refuse!(EINVAL, "bind: {} is empty", what);
    }
    let s = b.get(..n).unwrap_or(&[]);
    if core::str::from_utf8(s).is_err() || s.iter().any(|&c| c < 0x20 || c == 0x7f) {
        refuse!(EINVAL, "bind: {} is not valid text", what);
    }
    if b.get(n..).map(|r| r.iter().any(|&c| c != 0)).unwrap_or(false) {
        refuse!(EINVAL, "bind: {} has bytes after its terminating NUL", what);
    }
    Ok(())
}

fn check_range(v: u32, lo: u32, hi: u32, key: &str) -> Result {
    if v < lo || v > hi {
        refuse!(EINVAL, "bind: {}={} outside {}..={} (RFC 7143 section 13)", key, v, lo, hi);
    }
    Ok(())
}

fn check_bool(v: u8, key: &str) -> Result {
    if v > 1 {
        refuse!(EINVAL, "bind: {}={} is not 0 (No) or 1 (Yes)", key, v);
    }
    Ok(())
}

/// Validates a `ConnBind` (all but the fd) and returns its CmdSN window.
fn check_bind(b: &abi::ConnBind) -> Result<CmdWindow> {
    if b.reserved.iter().any(|&r| r != 0) || b.params.reserved.iter().any(|&r| r != 0) || b.params.reserved0 != 0 {
        refuse!(EINVAL, "bind: reserved fields must be zero");
    }
    let p = &b.params;
    check_range(p.max_recv_data_segment_length, 512, MAX_LEN_24, "MaxRecvDataSegmentLength")?;
    check_range(p.max_xmit_data_segment_length, 512, MAX_LEN_24, "MaxXmitDataSegmentLength")?;
    check_range(b.cmd_timeout, 0, MAX_CMD_TIMEOUT, "command timeout (seconds)")?;
    let t = crate::session::timers_of(b);
    check_range(t.replacement_timeout, 0, MAX_TIMER, "replacement_timeout (seconds)")?;
    check_range(t.noop_out_interval, 0, MAX_TIMER, "noop_out_interval (seconds)")?;
    check_range(t.noop_out_timeout, 1, MAX_TIMER, "noop_out_timeout (seconds)")?;
    let tmf_max = crate::kcore::tmf::MAX_TMF_TIMEOUT_S;
    let [abort, lu, tgt] = crate::session::tmf_timeouts_of(b);
    check_range(abort, 1, tmf_max, "abort_timeout (seconds)")?;
    check_range(lu, 1, tmf_max, "lu_reset_timeout (seconds)")?;
    check_range(tgt, 1, tmf_max, "tgt_reset_timeout (seconds)")?;
    check_range(p.max_burst_length, 512, MAX_LEN_24, "MaxBurstLength")?;
    check_range(p.first_burst_length, 512, p.max_burst_length, "FirstBurstLength")?;
    check_range(u32::from(p.default_time2wait), 0, 3600, "DefaultTime2Wait")?;
    check_range(u32::from(p.default_time2retain), 0, 3600, "DefaultTime2Retain")?;
    check_range(u32::from(p.max_outstanding_r2t), 1, 65535, "MaxOutstandingR2T")?;
    check_range(u32::from(p.max_connections), 1, 65535, "MaxConnections")?;
    check_range(u32::from(p.error_recovery_level), 0, 2, "ErrorRecoveryLevel")?;
    check_range(u32::from(p.header_digest), 0, 1, "HeaderDigest")?;
    check_range(u32::from(p.data_digest), 0, 1, "DataDigest")?;
    check_bool(p.initial_r2t, "InitialR2T")?;
    check_bool(p.immediate_data, "ImmediateData")?;
    check_bool(p.data_pdu_in_order, "DataPDUInOrder")?;
    check_bool(p.data_sequence_in_order, "DataSequenceInOrder")?;
    if p.error_recovery_level != 0 {
        refuse!(eopnotsupp(), "bind: ErrorRecoveryLevel={} not supported (0 only)", p.error_recovery_level);
    }
    if p.data_pdu_in_order == 0 || p.data_sequence_in_order == 0 {
        refuse!(eopnotsupp(), "bind: DataPDUInOrder=No / DataSequenceInOrder=No not supported");
    }
    if p.max_outstanding_r2t > MAX_OUTSTANDING_R2T {
        refuse!(EINVAL, "bind: MaxOutstandingR2T={} above the module's {}", p.max_outstanding_r2t, MAX_OUTSTANDING_R2T);
    }
    if b.tsih == 0 {
        refuse!(EINVAL, "bind: TSIH 0 (the login did not complete)");
    }
    if b.fd < 0 {
        refuse!(EBADF, "bind: fd {} is not a file descriptor", b.fd);
    }
    check_text(&b.target_name, "TargetName", true)?;
    check_text(&b.initiator_name, "InitiatorName", true)?;
    check_text(&b.target_alias, "TargetAlias", false)?;
    check_text(&b.portal, "portal", true)?;
    match CmdWindow::new(Sn(b.exp_cmd_sn), Sn(b.max_cmd_sn)) {
        Some(w) => Ok(w),
        None => refuse!(EINVAL, "bind: MaxCmdSN {} < ExpCmdSN {} - 1", b.max_cmd_sn, b.exp_cmd_sn),
    }
}

/// An open /dev/iscsi_init: the module's control state and whether the
/// opener had CAP_SYS_ADMIN.
pub(crate) struct ControlFile {
    control: Arc<Control>,
    privileged: bool,
}

impl MiscDevice for Control {
    type Ptr = KBox<ControlFile>;
    type RegistrationData = Arc<Control>;

    /// Opening needs only the node's file mode (0600 root by default).
    /// Whether the opener had CAP_SYS_ADMIN is recorded here: the daemon
    /// opens the device once and may then drop every capability.
    fn open(data: &Arc<Control>) -> Result<KBox<ControlFile>> {
        let f = ControlFile { control: data.clone(), privileged: sys::capable_sys_admin() };
        Ok(KBox::new(f, GFP_KERNEL)?)
    }

    /// Every ioctl but `IOC_VERSION` needs CAP_SYS_ADMIN, of the opener or
    /// of the caller (in the initial user namespace: a container needs the
    /// device node and CAP_SYS_ADMIN); EPERM otherwise.
    fn ioctl(this: &ControlFile, cmd: u32, arg: usize) -> Result<isize> {
        if cmd != abi::IOC_VERSION && !this.privileged && !sys::capable_sys_admin() {
            return Err(EPERM);
        }
        this.control.ioctl(cmd, arg)
    }
}

impl Control {
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Control {
            sessions <- kernel::new_mutex!(KVec::new(), "iscsi_init::Control::sessions"),
            next_id: AtomicU32::new(1),
            events: Arc::pin_init(Events::new(), GFP_KERNEL)?,
            binding <- kernel::new_mutex!((), "iscsi_init::Control::binding"),
        }? Error)
    }

    /// Handles one ioctl; returns the ioctl's non-negative result.
    pub(crate) fn ioctl(&self, cmd: u32, arg: UserPtr) -> Result<isize> {
        if cmd == abi::IOC_VERSION {
            let hdr = abi::AbiHeader { version: abi::ABI_VERSION, size: core::mem::size_of::<abi::ConnBind>() as u32 };
            sys::user::write(arg, &hdr)?;
            return Ok(0);
        }
        match cmd {
            abi::IOC_CONN_BIND => {
                check_header::<abi::ConnBind>(arg, "bind")?;
                let mut b: abi::ConnBind = sys::user::read(arg)?;
                let (id, host_no) = self.bind(&b)?;
                b.session_id = id;
                b.host_no = host_no;
                sys::user::write(arg, &b)?;
                Ok(0)
            }
            abi::IOC_SESSION_REMOVE => {
                check_header::<abi::SessionRemove>(arg, "remove")?;
                let r: abi::SessionRemove = sys::user::read(arg)?;
                if r.reserved.iter().any(|&v| v != 0) || r.flags & !abi::REMOVE_FORCE != 0 {
                    refuse!(EINVAL, "remove: unknown flags or reserved fields set");
                }
                let s = {
                    let mut list = self.sessions.lock();
                    let slot = list.iter_mut().find(|s| s.as_ref().map(|s| s.id) == Some(r.session_id));
                    slot.and_then(|s| s.take()).ok_or(ENOENT)?
                };
                s.remove(r.flags & abi::REMOVE_FORCE != 0, r.logout_timeout);
                Ok(0)
            }
            abi::IOC_SESSION_LIST => {
                check_header::<abi::SessionList>(arg, "list")?;
                let mut l: abi::SessionList = sys::user::read(arg)?;
                if l.reserved.iter().any(|&v| v != 0) {
                    refuse!(EINVAL, "list: reserved fields set");
                }
                let list = self.sessions.lock();
                let size = core::mem::size_of::<abi::SessionInfo>();
                for (i, s) in list.iter().flatten().take(l.capacity as usize).enumerate() {
                    let addr = (l.buf as usize).checked_add(i * size).ok_or(EFAULT)?;
                    sys::user::write(addr, &s.info())?;
                }
                l.count = list.iter().flatten().count() as u32;
                drop(list);
                sys::user::write(arg, &l)?;
                Ok(0)
            }
            abi::IOC_SESSION_STATS => {
                check_header::<abi::SessionStats>(arg, "stats")?;
                let mut st: abi::SessionStats = sys::user::read(arg)?;
                let s = self.find(st.session_id).ok_or(ENOENT)?;
                s.fill_stats(&mut st);
                sys::user::write(arg, &st)?;
                Ok(0)
            }
            abi::IOC_EVENT_WAIT => {
                check_header::<abi::EventWait>(arg, "event wait")?;
                let mut w: abi::EventWait = sys::user::read(arg)?;
                if w.reserved.iter().any(|&v| v != 0) {
                    refuse!(EINVAL, "event wait: reserved fields set");
                }
                self.events.wait(&mut w)?;
                sys::user::write(arg, &w)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }

    fn find(&self, id: u32) -> Option<Arc<Session>> {
        self.sessions.lock().iter().flatten().find(|s| s.id == id).cloned()
    }

    /// `IOC_CONN_BIND`: a new session, or a new connection for a failed one.
    fn bind(&self, b: &abi::ConnBind) -> Result<(u32, u32)> {
        let window = check_bind(b)?;
        let _serial = self.binding.lock();
        let sock = Socket::from_fd(b.fd).map_err(|e| {
            pr_warn!("bind: fd {} is not a connected TCP socket ({:?})\n", b.fd, e);
            e
        })?;
        if b.session_id != 0 {
            let s = self.find(b.session_id).ok_or_else(|| {
                pr_warn!("bind: no session {}\n", b.session_id);
                ENOENT
            })?;
            return self.rebind(&s, b, window, sock);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let session = Session::new(id, b, window, self.events.clone())?;
        let mut host = Host::<SessionHost>::new(
            session.can_queue,
            session.can_queue.min(u16::MAX as u32) as u16,
            MAX_SECTORS,
            session.clone(),
        )?;
        // Inline sends sleep: only on a host whose queuecommand may.
        session.set_tx_inline_capable(host.may_block());
        let threads = start_conn(&session, sock, b)?;
        if let Err(e) = host.add() {
            stop_conn(&session, Some(threads));
            return Err(e);
        }
        let host_no = host.host_no();
        session.set_host_no(host_no);
        if let Err(e) = session.start_maintenance() {
            stop_conn(&session, Some(threads));
            return Err(e);
        }
        {
            let mut parts = session.parts.lock();
            parts.conn = Some(threads);
        }
        let added = {
            let mut list = self.sessions.lock();
            match list.iter_mut().find(|s| s.is_none()) {
                Some(slot) => {
                    *slot = Some(session.clone());
                    Ok(())
                }
                None => list.push(Some(session.clone()), GFP_KERNEL),
            }
        };
        if let Err(e) = added {
            let (t, m) = {
                let mut p = session.parts.lock();
                (p.conn.take(), p.maint.take())
            };
            drop(m);
            stop_conn(&session, t);
            return Err(e.into());
        }
        let mut peer = [0u8; abi::PORTAL_LEN];
        let peer = match session.parts.lock().conn.as_ref() {
            Some(c) => {
                let p = c.conn.peer(&mut peer);
                let mut out = [0u8; abi::PORTAL_LEN];
                let n = p.len().min(out.len());
                out[..n].copy_from_slice(&p.as_bytes()[..n]);
                out
            }
            None => peer,
        };
        pr_info!(
            "session {}: host{} to {} at {} (peer {}, queue depth {})\n",
            id,
            host_no,
            field_str(&b.target_name),
            field_str(&b.portal),
            field_str(&peer),
            session.can_queue
        );
        host.scan();
        session.parts.lock().host = Some(host);
        Ok((id, host_no))
    }

    /// A new connection for a session whose connection ended (re-login
    /// after a failure or a target-requested logout): same ISID; the same
    /// TSIH continues the session (N7, T5/N10), a new one reinstated it
    /// (N6, N1, T5/N2). Fresh sequence numbers come from the login; the
    /// SCSI host and its devices stay, and held I/O resumes.
    fn rebind(&self, s: &Arc<Session>, b: &abi::ConnBind, window: CmdWindow, sock: Socket) -> Result<(u32, u32)> {
        if b.isid != s.ident.isid {
            refuse!(EINVAL, "bind: session {}: ISID differs from the session's", s.id);
        }
        if field_str(&b.target_name) != field_str(&s.ident.target_name) {
            refuse!(EINVAL, "bind: session {}: TargetName differs from the session's", s.id);
        }
        if !s.awaits_connection() {
            refuse!(EBUSY, "bind: session {} is not waiting for a connection", s.id);
        }
        let old = s.parts.lock().conn.take();
        if let Some(t) = old {
            t.rx.stop();
            t.tx.stop();
        }
        let reinstated = match s.rebind(b, window) {
            Ok(r) => r,
            Err(e) => refuse!(e, "bind: session {} is not waiting for a connection", s.id),
        };
        let threads = match start_conn(s, sock, b) {
            Ok(t) => t,
            Err(e) => {
                // The new connection never ran: the session waits for the
                // next attempt (a no-op failure if start_conn already failed it).
                s.mark_failed(Failure::ThreadStart);
                s.connection_ended();
                return Err(e);
            }
        };
        s.parts.lock().conn = Some(threads);
        s.resumed(reinstated);
        let host_no = s.inner.lock().host_no();
        Ok((s.id, host_no))
    }

    /// Logs every session out (module unload).
    pub(crate) fn shutdown(&self) {
        loop {
            let s = {
                let mut list = self.sessions.lock();
                match list.iter_mut().find_map(|s| s.take()) {
                    Some(s) => s,
                    None => break,
                }
            };
            s.remove(false, 0);
        }
    }
}

/// Starts the receive and transmit threads of a new connection.
fn start_conn(s: &Arc<Session>, sock: Socket, b: &abi::ConnBind) -> Result<ConnThreads> {
    let conn = Arc::pin_init(Conn::new(s.clone(), sock, &b.params, b.cid)?, GFP_KERNEL)?;
    {
        let mut g = s.inner.lock();
        g.set_running(true, true);
        g.set_running(false, true);
        // For queuecommand's inline sends; the receive thread's end takes
        // it out (so it is set before that thread can start).
        g.conn = Some(conn.clone());
    }
    let tx_name = CString::try_from_fmt(kernel::fmt!("iscsi_tx/{}", s.id))?;
    let rx_name = CString::try_from_fmt(kernel::fmt!("iscsi_rx/{}", s.id))?;
    let tx = match sys::thread::spawn(&tx_name, conn.clone(), Conn::tx_main) {
        Ok(t) => t,
        Err(e) => {
            s.mark_failed(Failure::ThreadStart);
            let c = {
                let mut g = s.inner.lock();
                g.set_running(true, false);
                g.set_running(false, false);
                g.conn.take()
            };
            drop(c);
            s.cleaned_up();
            return Err(e);
        }
    };
    let rx = match sys::thread::spawn(&rx_name, conn.clone(), Conn::rx_main) {
        Ok(t) => t,
        Err(e) => {
            s.mark_failed(Failure::ThreadStart);
            conn.shutdown();
            tx.stop();
            let c = {
                let mut g = s.inner.lock();
                // An inline sender ends at once on the shut-down socket.
                while g.sending() {
                    s.event.wait(&mut g);
                }
                g.set_running(true, false);
                g.set_running(false, false);
                g.conn.take()
            };
            drop(c);
            s.cleaned_up();
            return Err(e);
        }
    };
    Ok(ConnThreads { conn, rx, tx })
}

/// Stops a connection's threads (they flush its commands).
fn stop_conn(s: &Session, t: Option<ConnThreads>) {
    if let Some(t) = t {
        s.mark_failed(Failure::Stopped);
        t.conn.shutdown();
        t.rx.stop();
        t.tx.stop();
    }
}
