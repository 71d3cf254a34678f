// SPDX-License-Identifier: GPL-2.0

//! SCSI host and command wrappers (include/scsi/scsi_host.h, scsi_cmnd.h).
//!
//! The host template lives in shim.c; its callbacks land here and go to the
//! session that owns the host (`crate::session::Session`).

use super::bindings;
use crate::session::Session;
use kernel::ffi::{c_char, c_int, c_long, c_uint};
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Host byte values of a command result (include/scsi/scsi_status.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum HostByte {
    /// DID_OK: the command reached the target; see the SCSI status.
    Ok = 0x00,
    /// DID_NO_CONNECT: no connection to the target.
    NoConnect = 0x01,
    /// DID_ERROR: internal error (protocol violation by the target).
    Error = 0x07,
    /// DID_TRANSPORT_DISRUPTED: the transport failed; the midlayer may retry.
    TransportDisrupted = 0x0e,
}

/// Direction of a command's data transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataDir {
    /// No data.
    None,
    /// Data-Out: initiator to target (a write).
    Write,
    /// Data-In: target to initiator (a read).
    Read,
    /// Both (not supported: rejected at queuecommand).
    Bidi,
}

/// What the data path needs of a SCSI command, copied at queuecommand.
#[derive(Clone, Copy)]
pub(crate) struct CmdInfo {
    /// CDB bytes; `cdb_len` of them are valid.
    pub(crate) cdb: [u8; 32],
    /// CDB length in bytes (at most 32).
    pub(crate) cdb_len: usize,
    /// Length of the data buffer in bytes (the Expected Data Transfer Length).
    pub(crate) bufflen: u32,
    /// blk-mq tag, unique per host, `< can_queue`.
    pub(crate) tag: u32,
    /// Transfer direction.
    pub(crate) dir: DataDir,
    /// LUN, 8 bytes as on the wire (SAM encoding of the Linux LUN).
    pub(crate) lun: [u8; 8],
}

/// A SCSI command handed to us by the midlayer.
///
/// # Invariants
///
/// Between `queuecommand` (or an error-handler callback) and `complete`, the
/// pointer is a valid `scsi_cmnd` owned by this driver. The session logic
/// keeps every `Cmd` in its per-tag table and never uses it after calling
/// `complete`, which consumes this copy; copies in flight in the transmit or
/// receive thread are dropped before the table entry is completed (see
/// `crate::session`). This is the one invariant of this layer that rests on
/// the logic above it.
#[derive(Clone, Copy)]
pub(crate) struct Cmd(NonNull<bindings::scsi_cmnd>);

// SAFETY: a scsi_cmnd may be completed from any thread; see the invariant.
unsafe impl Send for Cmd {}
// SAFETY: `&Cmd` gives only reads of immutable command fields.
unsafe impl Sync for Cmd {}

impl Cmd {
    pub(super) fn as_ptr(&self) -> *mut bindings::scsi_cmnd {
        self.0.as_ptr()
    }

    /// Reads the command's CDB, length, direction, tag and LUN.
    pub(crate) fn info(&self) -> CmdInfo {
        let mut raw = bindings::iscsi_init_cmd_info {
            cdb: core::ptr::null(),
            cdb_len: 0,
            bufflen: 0,
            tag: 0,
            dir: 0,
            lun: [0; 8],
        };
        // SAFETY: the command is valid (invariant); `raw` is a valid out pointer.
        unsafe { bindings::iscsi_init_cmd_info(self.as_ptr(), &mut raw) };
        let mut cdb = [0u8; 32];
        let cdb_len = (raw.cdb_len as usize).min(cdb.len());
        if !raw.cdb.is_null() {
            // SAFETY: `raw.cdb` points to the command's `cmnd[32]` array,
            // valid for 32 bytes while the command is outstanding.
            let src = unsafe { core::slice::from_raw_parts(raw.cdb, cdb_len) };
            cdb[..cdb_len].copy_from_slice(src);
        }
        CmdInfo {
            cdb,
            cdb_len,
            bufflen: raw.bufflen,
            tag: raw.tag,
            dir: match raw.dir {
                1 => DataDir::Write,
                2 => DataDir::Read,
                3 => DataDir::Bidi,
                _ => DataDir::None,
            },
            lun: raw.lun,
        }
    }

    /// The command's blk-mq tag.
    pub(crate) fn tag(&self) -> u32 {
        // SAFETY: the command is valid (invariant).
        unsafe { bindings::iscsi_init_cmd_tag(self.as_ptr()) }
    }

    /// Completes the command: result `host << 16 | status`, `resid` bytes not
    /// transferred, `sense` copied to its sense buffer (at most 96 bytes),
    /// then `scsi_done()`. The command must not be used afterwards.
    pub(crate) fn complete(self, host: HostByte, status: u8, resid: u32, sense: &[u8]) {
        // SAFETY: the command is valid and outstanding (invariant); `sense` is
        // readable for its length; after this call we drop the last use.
        unsafe {
            bindings::iscsi_init_cmd_complete(
                self.as_ptr(),
                host as u8,
                status,
                resid,
                sense.as_ptr(),
                sense.len() as u32,
            )
        };
    }

    /// CRC32C ("append" form, 0 for no previous bytes) over `len` bytes of the
    /// data buffer from `offset`.
    pub(crate) fn crc32c(&self, crc: u32, offset: u32, len: u32) -> u32 {
        // SAFETY: the command is valid (invariant); the shim checks the range.
        unsafe { bindings::iscsi_init_crc32c_sg(crc, self.as_ptr(), offset, len) }
    }
}

/// A SCSI host owned by a session.
///
/// # Invariants
///
/// `ptr` was returned by `scsi_host_alloc()` and we hold its initial
/// reference; its hostdata holds a pointer obtained from `Arc::into_raw` of
/// the owning session, released in `drop` after the host was removed.
pub(crate) struct Host {
    ptr: NonNull<bindings::Scsi_Host>,
    added: bool,
    session: *const Session,
}

// SAFETY: the SCSI midlayer functions we call on the host may be called from
// any process context.
unsafe impl Send for Host {}
// SAFETY: `&Host` only reads the host number and starts scans.
unsafe impl Sync for Host {}

impl Host {
    /// Allocates a host whose callbacks go to `session`: `can_queue` commands
    /// at most, `cmd_per_lun` per LUN, `max_sectors` (512-byte) per command.
    pub(crate) fn new(can_queue: u32, cmd_per_lun: u16, max_sectors: u32, session: Arc<Session>) -> Result<Self> {
        let raw = Arc::into_raw(session);
        // SAFETY: the shim calls scsi_host_alloc with our static template and
        // stores `raw` in the hostdata.
        let ptr = unsafe {
            bindings::iscsi_init_host_alloc(can_queue, cmd_per_lun as i16, max_sectors, raw as *mut _)
        };
        match NonNull::new(ptr) {
            // INVARIANT: allocated, hostdata holds `raw`.
            Some(ptr) => Ok(Self { ptr, added: false, session: raw }),
            None => {
                // SAFETY: `raw` came from `Arc::into_raw` above and was not stored.
                drop(unsafe { Arc::from_raw(raw) });
                Err(ENOMEM)
            }
        }
    }

    /// Registers the host with the midlayer (`scsi_add_host()`).
    pub(crate) fn add(&mut self) -> Result {
        // SAFETY: `ptr` is an allocated host (invariant), added once.
        to_result(unsafe { bindings::iscsi_init_host_add(self.ptr.as_ptr()) })?;
        self.added = true;
        Ok(())
    }

    /// Scans the host's target for LUNs (REPORT LUNS) with `scsi_scan_host()`.
    pub(crate) fn scan(&self) {
        if self.added {
            // SAFETY: the host was added.
            unsafe { bindings::scsi_scan_host(self.ptr.as_ptr()) };
        }
    }

    /// Removes the host from the midlayer (`scsi_remove_host()`): its
    /// devices are deleted (sd flushes their caches first) and no command
    /// is queued any more. The host itself lives until `drop`.
    pub(crate) fn remove(&mut self) {
        if self.added {
            // SAFETY: the host was added and is removed once.
            unsafe { bindings::scsi_remove_host(self.ptr.as_ptr()) };
            self.added = false;
        }
    }

    /// The SCSI host number (`hostN`).
    pub(crate) fn host_no(&self) -> u32 {
        // SAFETY: `ptr` is valid (invariant).
        unsafe { bindings::iscsi_init_host_no(self.ptr.as_ptr()) }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.added {
            // SAFETY: the host was added; removal waits for its devices to go.
            unsafe { bindings::scsi_remove_host(self.ptr.as_ptr()) };
        }
        // SAFETY: we hold the initial reference (invariant).
        unsafe { bindings::scsi_host_put(self.ptr.as_ptr()) };
        // SAFETY: no callback can run any more (removed and released), so the
        // hostdata's session reference can be dropped.
        drop(unsafe { Arc::from_raw(self.session) });
    }
}

/// The session behind a host's hostdata.
///
/// # Safety
///
/// `shost` must be a live host allocated by `Host::new`.
unsafe fn session_of<'a>(shost: *mut bindings::Scsi_Host) -> &'a Session {
    // SAFETY: hostdata holds `Arc::into_raw` of the session, alive while the host is.
    unsafe { &*(bindings::iscsi_init_host_data(shost) as *const Session) }
}

#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_queuecommand(
    shost: *mut bindings::Scsi_Host,
    cmd: *mut bindings::scsi_cmnd,
) -> c_int {
    let Some(cmd) = NonNull::new(cmd) else { return 0 };
    // SAFETY: called by the midlayer for a live host of ours.
    let session = unsafe { session_of(shost) };
    // INVARIANT: the midlayer hands the command over until scsi_done().
    match session.queuecommand(Cmd(cmd)) {
        Ok(()) => 0,
        Err(()) => bindings::SCSI_MLQUEUE_HOST_BUSY as c_int,
    }
}

fn eh_result(ok: bool) -> c_int {
    if ok {
        bindings::scsi_disposition_SUCCESS as c_int
    } else {
        bindings::scsi_disposition_FAILED as c_int
    }
}

#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_eh_abort(cmd: *mut bindings::scsi_cmnd) -> c_int {
    let Some(cmd) = NonNull::new(cmd) else { return eh_result(false) };
    let cmd = Cmd(cmd);
    // SAFETY: the error handler passes a command of one of our live hosts.
    let session = unsafe { session_of(bindings::iscsi_init_cmd_host(cmd.as_ptr())) };
    eh_result(session.eh_abort(cmd))
}

#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_eh_reset(cmd: *mut bindings::scsi_cmnd) -> c_int {
    let Some(cmd) = NonNull::new(cmd) else { return eh_result(false) };
    // SAFETY: the error handler passes a command of one of our live hosts.
    let session = unsafe { session_of(bindings::iscsi_init_cmd_host(cmd.as_ptr())) };
    eh_result(session.eh_reset())
}

/// sysfs attributes of the host (`/sys/class/scsi_host/hostN/iscsi_*`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum HostAttr {
    /// `iscsi_session_id`
    SessionId,
    /// `iscsi_state`
    State,
    /// `iscsi_target_name`
    TargetName,
    /// `iscsi_portal`
    Portal,
    /// `iscsi_initiator_name`
    InitiatorName,
    /// `iscsi_params`
    Params,
}

/// A sysfs `show` buffer (one page).
pub(crate) struct SysfsBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Write for SysfsBuf<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len().saturating_sub(self.len);
        let n = s.len().min(room);
        if let Some(dst) = self.buf.get_mut(self.len..self.len + n) {
            dst.copy_from_slice(&s.as_bytes()[..n]);
            self.len += n;
        }
        Ok(())
    }
}

#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_shost_show(shost: *mut bindings::Scsi_Host, which: c_uint, buf: *mut c_char) -> c_long {
    let attr = match which {
        bindings::ISCSI_INIT_ATTR_SESSION_ID => HostAttr::SessionId,
        bindings::ISCSI_INIT_ATTR_STATE => HostAttr::State,
        bindings::ISCSI_INIT_ATTR_TARGET_NAME => HostAttr::TargetName,
        bindings::ISCSI_INIT_ATTR_PORTAL => HostAttr::Portal,
        bindings::ISCSI_INIT_ATTR_INITIATOR_NAME => HostAttr::InitiatorName,
        bindings::ISCSI_INIT_ATTR_PARAMS => HostAttr::Params,
        _ => return EINVAL.to_errno() as c_long,
    };
    // SAFETY: sysfs passes a PAGE_SIZE buffer; the host is live while its
    // attributes are readable.
    let (session, page) = unsafe {
        (session_of(shost), core::slice::from_raw_parts_mut(buf as *mut u8, kernel::page::PAGE_SIZE))
    };
    let mut out = SysfsBuf { buf: page, len: 0 };
    session.show(attr, &mut out);
    out.len as c_long
}
