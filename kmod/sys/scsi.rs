// SPDX-License-Identifier: GPL-2.0

//! SCSI host and command wrappers (include/scsi/scsi_host.h, scsi_cmnd.h).
//!
//! This layer knows nothing of iSCSI. A driver implements [`HostOps`]; a
//! [`Host<T>`] owns the driver's private data as a [`ForeignOwnable`] in the
//! host's hostdata, and the generic `extern "C"` callbacks below (the SCSI
//! host template in shim.c points at them) borrow it and call `T`. This is
//! the shape of Rust-for-Linux's block layer (`rust/kernel/block/mq/`).
//!
//! A command handed over by the midlayer is a [`Cmd`]: the unique owner,
//! which alone may complete it. Threads that need the command while its
//! owner stays in the driver's task table take a [`CmdRef`]. The owner and
//! its `CmdRef`s share a reference count in the command's private area
//! (`cmd_size` of the template), as `ARef<Request>` does with the request's
//! refcount: [`Cmd::complete`] succeeds only when the owner is the last
//! reference, so no `CmdRef` can outlive the command's completion.

use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::error::to_result;
use kernel::ffi::{c_char, c_int, c_long, c_uint, c_void};
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

/// Host byte values of a command result (include/scsi/scsi_status.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum HostByte {
    /// DID_OK: the command reached the target; see the SCSI status.
    Ok = 0x00,
    /// DID_NO_CONNECT: no connection to the target.
    NoConnect = 0x01,
    /// DID_ABORT: the command was aborted (ABORT TASK).
    Abort = 0x05,
    /// DID_ERROR: internal error (protocol violation by the target).
    Error = 0x07,
    /// DID_RESET: the command was terminated by a reset; the midlayer
    /// retries it.
    Reset = 0x08,
    /// DID_REQUEUE: requeue without using up a retry (the midlayer sends
    /// it again once the device is unblocked).
    Requeue = 0x0d,
    /// DID_TRANSPORT_DISRUPTED: the transport failed; the midlayer may retry.
    TransportDisrupted = 0x0e,
    /// DID_TRANSPORT_FAILFAST: the transport gave up (no connection in time).
    TransportFailfast = 0x0f,
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
    /// Both.
    Bidi,
}

/// What a driver needs of a SCSI command, copied at queuecommand.
#[derive(Clone, Copy)]
pub(crate) struct CmdInfo {
    /// CDB bytes; `cdb_len` of them are valid.
    pub(crate) cdb: [u8; 32],
    /// CDB length in bytes (at most 32).
    pub(crate) cdb_len: usize,
    /// Length of the data buffer in bytes.
    pub(crate) bufflen: u32,
    /// blk-mq tag, unique per host, `< can_queue`.
    pub(crate) tag: u32,
    /// Transfer direction.
    pub(crate) dir: DataDir,
    /// LUN, 8 bytes as on the wire (SAM encoding of the Linux LUN).
    pub(crate) lun: [u8; 8],
}

/// The reference count in a command's private area: 0 while the driver
/// holds no handle to it, else the number of handles ([`Cmd`] and
/// [`CmdRef`]s).
///
/// # Safety
///
/// `cmd` must be a live command of one of our hosts (allocated with our
/// template, whose `cmd_size` holds a `u32`).
unsafe fn refs<'a>(cmd: NonNull<bindings::scsi_cmnd>) -> &'a AtomicU32 {
    // SAFETY: the private area is at least 4 bytes, aligned for a u32
    // (scsi_cmd_priv follows the pointer-aligned scsi_cmnd), and lives as
    // long as the command; it is only accessed atomically.
    unsafe { AtomicU32::from_ptr(bindings::iscsi_init_cmd_refs(cmd.as_ptr())) }
}

/// A SCSI command handed to the driver by the midlayer: the unique owner.
///
/// Neither `Copy` nor `Clone`. Only the owner can complete the command, and
/// only when no [`CmdRef`] exists ([`Cmd::complete`]).
///
/// # Invariants
///
/// `ptr` is a command of one of our hosts that the midlayer handed to
/// `queuecommand` and that was not completed since; its reference count
/// counts this owner and every live [`CmdRef`], so it is at least 1.
pub(crate) struct Cmd {
    ptr: NonNull<bindings::scsi_cmnd>,
}

// SAFETY: a scsi_cmnd may be used and completed from any thread; the
// reference count is atomic.
unsafe impl Send for Cmd {}
// SAFETY: `&Cmd` only reads immutable command fields or takes a reference.
unsafe impl Sync for Cmd {}

impl Cmd {
    /// The owner of a command that queuecommand just received.
    ///
    /// # Safety
    ///
    /// `ptr` is a command of one of our hosts, passed to queuecommand and
    /// not yet owned by a `Cmd`.
    unsafe fn from_queuecommand(ptr: NonNull<bindings::scsi_cmnd>) -> Self {
        // SAFETY: a live command of ours (caller).
        unsafe { refs(ptr) }.store(1, Ordering::Release);
        // INVARIANT: handed over by queuecommand; the count is 1 (this owner).
        Cmd { ptr }
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
        unsafe { bindings::iscsi_init_cmd_info(self.ptr.as_ptr(), &mut raw) };
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

    /// A borrowed handle, for use outside the structure that owns `self`.
    pub(crate) fn new_ref(&self) -> CmdRef {
        // SAFETY: the command is live (invariant).
        unsafe { refs(self.ptr) }.fetch_add(1, Ordering::Relaxed);
        // INVARIANT: counted above; the owner cannot complete while it lives.
        CmdRef { ptr: self.ptr }
    }

    /// Completes the command: result `host << 16 | status`, `resid` bytes
    /// not transferred, `sense` copied to its sense buffer (at most 96
    /// bytes), then `scsi_done()`.
    ///
    /// # Errors
    ///
    /// `Err(self)` if a [`CmdRef`] still exists: nothing was done.
    pub(crate) fn complete(self, host: HostByte, status: u8, resid: u32, sense: &[u8]) -> Result<(), Cmd> {
        let ptr = self.release_unique()?;
        // SAFETY: the command is outstanding and this was its last handle
        // (the count went from 1 to 0), so nothing uses it after scsi_done();
        // `sense` is readable for its length.
        unsafe {
            bindings::iscsi_init_cmd_complete(
                ptr.as_ptr(),
                host as u8,
                status,
                resid,
                sense.as_ptr(),
                sense.len() as u32,
            )
        };
        Ok(())
    }

    /// Gives the command back to queuecommand's caller unanswered
    /// (SCSI_MLQUEUE_HOST_BUSY). `Err(self)` if a [`CmdRef`] exists.
    fn into_busy(self) -> Result<(), Cmd> {
        self.release_unique().map(|_| ())
    }

    /// Gives up the last handle: the count goes from 1 to 0 and the command
    /// pointer is returned for one final use. `Err(self)` if a [`CmdRef`]
    /// still exists.
    fn release_unique(self) -> Result<NonNull<bindings::scsi_cmnd>, Cmd> {
        // SAFETY: the command is live (invariant).
        let r = unsafe { refs(self.ptr) };
        if r.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return Err(self);
        }
        let ptr = self.ptr;
        core::mem::forget(self);
        Ok(ptr)
    }
}

impl Drop for Cmd {
    fn drop(&mut self) {
        // An owner dropped without completing: the command stays with the
        // midlayer's timeout; the error handler sees its count reach 0 once
        // every CmdRef is gone.
        pr_err!("SCSI command dropped without completion; the midlayer will time it out\n");
        // SAFETY: the command is live (invariant); this handle goes.
        unsafe { refs(self.ptr) }.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A borrowed handle of a command whose [`Cmd`] owner is kept elsewhere:
/// the command's buffer may be read or written through it, and it cannot be
/// completed while this handle lives.
///
/// # Invariants
///
/// `ptr` is a live command whose reference count includes this handle.
pub(crate) struct CmdRef {
    ptr: NonNull<bindings::scsi_cmnd>,
}

// SAFETY: as for `Cmd`.
unsafe impl Send for CmdRef {}
// SAFETY: as for `Cmd`.
unsafe impl Sync for CmdRef {}

impl CmdRef {
    pub(super) fn as_ptr(&self) -> *mut bindings::scsi_cmnd {
        self.ptr.as_ptr()
    }

    /// CRC32C ("append" form, 0 for no previous bytes) over `len` bytes of
    /// the data buffer from `offset`.
    pub(crate) fn crc32c(&self, crc: u32, offset: u32, len: u32) -> u32 {
        // SAFETY: the command is live (invariant); the shim checks the range.
        unsafe { bindings::iscsi_init_crc32c_sg(crc, self.as_ptr(), offset, len) }
    }

    /// Whether the pages of this command's disk stay unchanged while a
    /// write from them is outstanding (the block queue's
    /// `BLK_FEAT_STABLE_WRITES`, sysfs `queue/stable_writes`).
    pub(crate) fn stable_pages(&self) -> bool {
        // SAFETY: the command is live (invariant), so is its device.
        unsafe { bindings::iscsi_init_cmd_stable_writes(self.as_ptr()) }
    }

    /// Copies `buf.len()` bytes of the data buffer from byte `offset` into
    /// `buf`.
    ///
    /// # Errors
    ///
    /// EINVAL if the range is outside the buffer.
    pub(crate) fn copy_out(&self, offset: u32, buf: &mut [u8]) -> Result {
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        // SAFETY: the command is live (invariant); `buf` is writable for
        // `len` bytes; the shim checks the range against the buffer.
        to_result(unsafe { bindings::iscsi_init_cmd_copy_out(self.as_ptr(), offset, buf.as_mut_ptr().cast(), len) })
    }

}

impl Drop for CmdRef {
    fn drop(&mut self) {
        // SAFETY: the command is live and counts this handle (invariant).
        unsafe { refs(self.ptr) }.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A command passed to an error-handler callback: it timed out, and the
/// midlayer owns it again once the callback returns SUCCESS. It cannot be
/// completed through this handle.
pub(crate) struct EhCmd<'a> {
    ptr: NonNull<bindings::scsi_cmnd>,
    _p: PhantomData<&'a bindings::scsi_cmnd>,
}

impl EhCmd<'_> {
    /// The command's blk-mq tag; `u32::MAX` for the command of a reset
    /// ioctl, which has none.
    pub(crate) fn tag(&self) -> u32 {
        // SAFETY: the command is valid for the callback's duration.
        unsafe { bindings::iscsi_init_cmd_tag(self.ptr.as_ptr()) }
    }

    /// The LUN of the command's device, 8 bytes as on the wire. (The only
    /// field a reset from `sg_reset`'s ioctl may be asked for: that command
    /// has no request, so no tag.)
    pub(crate) fn lun(&self) -> [u8; 8] {
        let mut lun = [0u8; 8];
        // SAFETY: the command and its device are valid for the callback's
        // duration; `lun` has room for the 8 bytes written.
        unsafe { bindings::iscsi_init_cmd_lun(self.ptr.as_ptr(), lun.as_mut_ptr()) };
        lun
    }

    /// Whether the driver still holds a handle of it.
    fn held(&self) -> bool {
        // SAFETY: a command of one of our hosts.
        unsafe { refs(self.ptr) }.load(Ordering::Acquire) != 0
    }
}

/// What an error-handler callback achieved (`SUCCESS` / `FAILED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EhResult {
    /// The commands concerned are no longer the driver's.
    Success,
    /// Escalate to the next level.
    Failed,
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
    /// `iscsi_session_state`
    SessionState,
    /// `iscsi_conn_state`
    ConnState,
    /// `iscsi_io_state`
    IoState,
    /// `iscsi_state_seconds`
    StateSeconds,
    /// `iscsi_recoveries`
    Recoveries,
    /// `iscsi_last_failure`
    LastFailure,
    /// `iscsi_replacement_timeout` (writable)
    ReplacementTimeout,
    /// `iscsi_noop_out_interval` (writable)
    NoopOutInterval,
    /// `iscsi_noop_out_timeout` (writable)
    NoopOutTimeout,
    /// `iscsi_abort_timeout` (writable)
    AbortTimeout,
    /// `iscsi_lu_reset_timeout` (writable)
    LuResetTimeout,
    /// `iscsi_tgt_reset_timeout` (writable)
    TgtResetTimeout,
    /// `iscsi_tx_inline` (writable)
    TxInline,
    /// `iscsi_tx_inline_sends`
    TxInlineSends,
    /// `iscsi_tx_work_sends`
    TxWorkSends,
    /// `iscsi_rx_thread_reads`
    RxThreadReads,
    /// `iscsi_tx_copied_bytes`
    TxCopiedBytes,
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

/// The borrowed form of a host's private data.
pub(crate) type HostData<'a, T> = <<T as HostOps>::Data as ForeignOwnable>::Borrowed<'a>;

/// What a SCSI host driver implements. The callbacks run in the contexts
/// the midlayer gives them: `queuecommand` in atomic context, unless the
/// host [`Host::may_block`] (BLK_MQ_F_BLOCKING: then it may sleep); the
/// error handler in the host's EH thread (it may sleep).
pub(crate) trait HostOps: 'static {
    /// The host's private data (owned by the host until it is released).
    type Data: ForeignOwnable + Send + Sync;

    /// A new command (`queuecommand`). Complete it (now or later) or give
    /// it back with `Err(cmd)`, which the midlayer retries later
    /// (SCSI_MLQUEUE_HOST_BUSY).
    fn queuecommand(data: HostData<'_, Self>, cmd: Cmd) -> Result<(), Cmd>;

    /// `eh_abort_handler`: `cmd` timed out.
    fn eh_abort(data: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult;

    /// `eh_device_reset_handler`: reset `cmd`'s logical unit.
    fn eh_device_reset(data: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult;

    /// `eh_target_reset_handler`: reset `cmd`'s target.
    fn eh_target_reset(data: HostData<'_, Self>, cmd: &EhCmd<'_>) -> EhResult;

    /// `eh_host_reset_handler`: the last level.
    fn eh_host_reset(data: HostData<'_, Self>) -> EhResult;

    /// Writes sysfs attribute `attr` of the host.
    fn show(data: HostData<'_, Self>, attr: HostAttr, out: &mut SysfsBuf<'_>);

    /// Stores `value` (what was written, as text) into writable attribute
    /// `attr`.
    ///
    /// # Errors
    ///
    /// The errno write(2) returns (EINVAL for a bad value).
    fn store(data: HostData<'_, Self>, attr: HostAttr, value: &str) -> Result;

    /// Seconds a command of a new device may take before it times out (the
    /// request queue's `rq_timeout`); 0 keeps the midlayer's default.
    fn cmd_timeout(data: HostData<'_, Self>) -> u32;

    /// Whether a new device's pages must stay unchanged while they are
    /// written (`BLK_FEAT_STABLE_WRITES`): true when a digest is computed
    /// over written data apart from its send.
    fn stable_writes(data: HostData<'_, Self>) -> bool;
}

/// What hostdata holds: the callbacks of `T` and its private data.
struct HostPriv {
    vtable: &'static HostVTable,
    data: *const c_void,
}

/// The monomorphised callbacks of a `T: HostOps`, reached from hostdata.
struct HostVTable {
    queuecommand: unsafe fn(*const c_void, Cmd) -> Result<(), Cmd>,
    eh: unsafe fn(*const c_void, EhLevel, Option<&EhCmd<'_>>) -> EhResult,
    show: unsafe fn(*const c_void, HostAttr, &mut SysfsBuf<'_>),
    store: unsafe fn(*const c_void, HostAttr, &str) -> Result,
    cmd_timeout: unsafe fn(*const c_void) -> u32,
    stable_writes: unsafe fn(*const c_void) -> bool,
}

#[derive(Clone, Copy)]
enum EhLevel {
    Abort,
    Device,
    Target,
    Host,
}

/// # Safety
///
/// `data` is the foreign form of a live `T::Data` (hostdata of a live host).
unsafe fn vt_queuecommand<T: HostOps>(data: *const c_void, cmd: Cmd) -> Result<(), Cmd> {
    // SAFETY: by the function's contract.
    T::queuecommand(unsafe { <T::Data as ForeignOwnable>::borrow(data) }, cmd)
}

/// # Safety
///
/// As for [`vt_queuecommand`]; `cmd` is `Some` for every level but `Host`.
unsafe fn vt_eh<T: HostOps>(data: *const c_void, level: EhLevel, cmd: Option<&EhCmd<'_>>) -> EhResult {
    // SAFETY: by the function's contract.
    let d = unsafe { <T::Data as ForeignOwnable>::borrow(data) };
    match (level, cmd) {
        (EhLevel::Abort, Some(c)) => T::eh_abort(d, c),
        (EhLevel::Device, Some(c)) => T::eh_device_reset(d, c),
        (EhLevel::Target, Some(c)) => T::eh_target_reset(d, c),
        (EhLevel::Host, _) => T::eh_host_reset(d),
        _ => EhResult::Failed,
    }
}

/// # Safety
///
/// As for [`vt_queuecommand`].
unsafe fn vt_show<T: HostOps>(data: *const c_void, attr: HostAttr, out: &mut SysfsBuf<'_>) {
    // SAFETY: by the function's contract.
    T::show(unsafe { <T::Data as ForeignOwnable>::borrow(data) }, attr, out)
}

/// # Safety
///
/// As for [`vt_queuecommand`].
unsafe fn vt_store<T: HostOps>(data: *const c_void, attr: HostAttr, value: &str) -> Result {
    // SAFETY: by the function's contract.
    T::store(unsafe { <T::Data as ForeignOwnable>::borrow(data) }, attr, value)
}

/// # Safety
///
/// As for [`vt_queuecommand`].
unsafe fn vt_cmd_timeout<T: HostOps>(data: *const c_void) -> u32 {
    // SAFETY: by the function's contract.
    T::cmd_timeout(unsafe { <T::Data as ForeignOwnable>::borrow(data) })
}

/// # Safety
///
/// As for [`vt_queuecommand`].
unsafe fn vt_stable_writes<T: HostOps>(data: *const c_void) -> bool {
    // SAFETY: by the function's contract.
    T::stable_writes(unsafe { <T::Data as ForeignOwnable>::borrow(data) })
}

struct VTableOf<T>(PhantomData<T>);

impl<T: HostOps> VTableOf<T> {
    const VTABLE: HostVTable = HostVTable {
        queuecommand: vt_queuecommand::<T>,
        eh: vt_eh::<T>,
        show: vt_show::<T>,
        store: vt_store::<T>,
        cmd_timeout: vt_cmd_timeout::<T>,
        stable_writes: vt_stable_writes::<T>,
    };
}

/// A SCSI host whose callbacks go to `T`.
///
/// # Invariants
///
/// `ptr` was returned by `scsi_host_alloc()` and we hold its initial
/// reference; its hostdata holds a [`HostPriv`] whose `data` is
/// `T::Data::into_foreign()`, taken back in `drop` after the host was
/// removed and released (no callback can run any more).
pub(crate) struct Host<T: HostOps> {
    ptr: NonNull<bindings::Scsi_Host>,
    added: bool,
    data: *const c_void,
    _t: PhantomData<T>,
}

// SAFETY: the SCSI midlayer functions we call on the host may be called from
// any process context; `T::Data` is `Send + Sync`.
unsafe impl<T: HostOps> Send for Host<T> {}
// SAFETY: `&Host` only reads the host number and starts scans.
unsafe impl<T: HostOps> Sync for Host<T> {}

impl<T: HostOps> Host<T> {
    /// Allocates a host whose callbacks go to `T` with `data`: `can_queue`
    /// commands at most, `cmd_per_lun` per LUN, `max_sectors` (512-byte)
    /// per command.
    ///
    /// # Errors
    ///
    /// ENOMEM.
    pub(crate) fn new(can_queue: u32, cmd_per_lun: u16, max_sectors: u32, data: T::Data) -> Result<Self> {
        let raw = data.into_foreign();
        // SAFETY: the shim calls scsi_host_alloc with our static template and
        // room for a `HostPriv` in the hostdata.
        let ptr = unsafe {
            bindings::iscsi_init_host_alloc(can_queue, cmd_per_lun as i16, max_sectors, core::mem::size_of::<HostPriv>())
        };
        let Some(ptr) = NonNull::new(ptr) else {
            // SAFETY: `raw` came from `into_foreign` above and was not stored.
            drop(unsafe { <T::Data as ForeignOwnable>::from_foreign(raw) });
            return Err(ENOMEM);
        };
        let vtable: &'static HostVTable = &VTableOf::<T>::VTABLE;
        // SAFETY: hostdata is valid for writes of a `HostPriv` (allocated
        // above with its size, suitably aligned: shost_priv is unsigned
        // long aligned) and no callback runs before the host is added.
        unsafe { (bindings::iscsi_init_host_priv(ptr.as_ptr()) as *mut HostPriv).write(HostPriv { vtable, data: raw }) };
        // INVARIANT: allocated; hostdata holds `raw`.
        Ok(Self { ptr, added: false, data: raw, _t: PhantomData })
    }

    /// Whether `queuecommand` may sleep on this host (`queuecommand_may_block`,
    /// from the module parameter `tx_inline` when the host was allocated).
    pub(crate) fn may_block(&self) -> bool {
        // SAFETY: `ptr` is an allocated host (invariant).
        unsafe { bindings::iscsi_init_host_may_block(self.ptr.as_ptr()) }
    }

    /// Registers the host with the midlayer (`scsi_add_host()`).
    ///
    /// # Errors
    ///
    /// What `scsi_add_host()` returns.
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

    /// Blocks every device of the host (`scsi_block_targets()`): new and
    /// requeued commands wait in the block layer, and no queuecommand call
    /// is in progress once this returns. Sleeps.
    pub(crate) fn block(&self) {
        if self.added {
            // SAFETY: the host was added and is not removed (`remove` needs
            // `&mut self`); process context (the caller may sleep).
            unsafe { bindings::iscsi_init_host_block(self.ptr.as_ptr()) };
        }
    }

    /// Unblocks every device of the host (`scsi_target_unblock()`): to
    /// running, or with `offline` to transport-offline, where the midlayer
    /// fails every command at once. Sleeps.
    pub(crate) fn unblock(&self, offline: bool) {
        if self.added {
            // SAFETY: as for `block`.
            unsafe { bindings::iscsi_init_host_unblock(self.ptr.as_ptr(), offline) };
        }
    }

    /// The SCSI host number (`hostN`).
    pub(crate) fn host_no(&self) -> u32 {
        // SAFETY: `ptr` is valid (invariant).
        unsafe { bindings::iscsi_init_host_no(self.ptr.as_ptr()) }
    }
}

impl<T: HostOps> Drop for Host<T> {
    fn drop(&mut self) {
        self.remove();
        // SAFETY: we hold the initial reference (invariant).
        unsafe { bindings::scsi_host_put(self.ptr.as_ptr()) };
        // SAFETY: the host is removed and released, so no callback can run
        // any more and no borrow of the data is live; `data` came from
        // `into_foreign` in `new`.
        drop(unsafe { <T::Data as ForeignOwnable>::from_foreign(self.data) });
    }
}

/// The hostdata of a host allocated by [`Host::new`].
///
/// # Safety
///
/// `shost` must be a live host allocated by `Host::new` (its data not yet
/// taken back).
unsafe fn host_priv<'a>(shost: *mut bindings::Scsi_Host) -> &'a HostPriv {
    // SAFETY: `Host::new` wrote a `HostPriv` there before the host went live.
    unsafe { &*(bindings::iscsi_init_host_priv(shost) as *const HostPriv) }
}

fn disposition(r: EhResult) -> c_int {
    match r {
        EhResult::Success => bindings::scsi_disposition_SUCCESS as c_int,
        EhResult::Failed => bindings::scsi_disposition_FAILED as c_int,
    }
}

/// `queuecommand` of the host template.
///
/// # Safety
///
/// Called by the midlayer only, for a live host of ours and a command it
/// hands over until `scsi_done()`.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_queuecommand(shost: *mut bindings::Scsi_Host, cmd: *mut bindings::scsi_cmnd) -> c_int {
    let Some(cmd) = NonNull::new(cmd) else { return 0 };
    // SAFETY: a live host of ours (contract).
    let p = unsafe { host_priv(shost) };
    // SAFETY: handed over by the midlayer (contract), not owned yet.
    let cmd = unsafe { Cmd::from_queuecommand(cmd) };
    // SAFETY: `p.data` is the host's live private data.
    match unsafe { (p.vtable.queuecommand)(p.data, cmd) } {
        Ok(()) => 0,
        Err(cmd) => match cmd.into_busy() {
            Ok(()) => bindings::SCSI_MLQUEUE_HOST_BUSY as c_int,
            Err(cmd) => {
                // Borrowed elsewhere: it cannot be returned; it times out.
                drop(cmd);
                0
            }
        },
    }
}

/// The error-handler callbacks of the host template.
///
/// # Safety
///
/// Called by the SCSI error handler only, with a command of one of our
/// live hosts (`cmd->device->host`).
unsafe fn eh_dispatch(cmd: *mut bindings::scsi_cmnd, level: EhLevel) -> c_int {
    let Some(ptr) = NonNull::new(cmd) else { return disposition(EhResult::Failed) };
    let c = EhCmd { ptr, _p: PhantomData };
    // SAFETY: a command of one of our live hosts (contract).
    let p = unsafe { host_priv(bindings::iscsi_init_cmd_host(cmd)) };
    // SAFETY: `p.data` is the host's live private data.
    let r = unsafe { (p.vtable.eh)(p.data, level, Some(&c)) };
    // SUCCESS hands the command back to the midlayer: the driver must hold
    // no handle of it any more, or it could complete a reused command.
    if r == EhResult::Success && c.held() {
        pr_err!("error handler: command still held by the driver; escalating\n");
        return disposition(EhResult::Failed);
    }
    disposition(r)
}

/// Defines the `extern "C"` error-handler callback `$name` of the host
/// template for level `$level`.
macro_rules! eh_callback {
    ($($(#[$doc:meta])* $name:ident => $level:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// See [`eh_dispatch`].
        #[no_mangle]
        unsafe extern "C" fn $name(cmd: *mut bindings::scsi_cmnd) -> c_int {
            // SAFETY: same contract.
            unsafe { eh_dispatch(cmd, EhLevel::$level) }
        }
    )*};
}

eh_callback! {
    /// `eh_abort_handler`.
    iscsi_init_rust_eh_abort => Abort;
    /// `eh_device_reset_handler`.
    iscsi_init_rust_eh_device_reset => Device;
    /// `eh_target_reset_handler`.
    iscsi_init_rust_eh_target_reset => Target;
    /// `eh_host_reset_handler`.
    iscsi_init_rust_eh_host_reset => Host;
}

/// `device_configure` of the host template: the command timeout of a new
/// device's request queue.
///
/// # Safety
///
/// Called by the midlayer only, for a device of one of our live hosts.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_cmd_timeout(shost: *mut bindings::Scsi_Host) -> c_uint {
    // SAFETY: a live host of ours (contract).
    let p = unsafe { host_priv(shost) };
    // SAFETY: `p.data` is the host's live private data.
    unsafe { (p.vtable.cmd_timeout)(p.data) }
}

/// `device_configure` of the host template: whether a new device's request
/// queue gets `BLK_FEAT_STABLE_WRITES`.
///
/// # Safety
///
/// Called by the midlayer only, for a device of one of our live hosts.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_stable_writes(shost: *mut bindings::Scsi_Host) -> bool {
    // SAFETY: a live host of ours (contract).
    let p = unsafe { host_priv(shost) };
    // SAFETY: `p.data` is the host's live private data.
    unsafe { (p.vtable.stable_writes)(p.data) }
}

/// The `show` of the host's sysfs attributes (shim.c).
///
/// # Safety
///
/// Called by sysfs only, for a live host of ours, with a PAGE_SIZE buffer.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_shost_show(shost: *mut bindings::Scsi_Host, which: c_uint, buf: *mut c_char) -> c_long {
    let attr = match which {
        bindings::ISCSI_INIT_ATTR_SESSION_ID => HostAttr::SessionId,
        bindings::ISCSI_INIT_ATTR_STATE => HostAttr::State,
        bindings::ISCSI_INIT_ATTR_TARGET_NAME => HostAttr::TargetName,
        bindings::ISCSI_INIT_ATTR_PORTAL => HostAttr::Portal,
        bindings::ISCSI_INIT_ATTR_INITIATOR_NAME => HostAttr::InitiatorName,
        bindings::ISCSI_INIT_ATTR_PARAMS => HostAttr::Params,
        bindings::ISCSI_INIT_ATTR_SESSION_STATE => HostAttr::SessionState,
        bindings::ISCSI_INIT_ATTR_CONN_STATE => HostAttr::ConnState,
        other => match attr_of(other) {
            Some(a) => a,
            None => return EINVAL.to_errno() as c_long,
        },
    };
    // SAFETY: sysfs passes a PAGE_SIZE buffer; the host is live while its
    // attributes are readable (contract).
    let (p, page) = unsafe { (host_priv(shost), core::slice::from_raw_parts_mut(buf as *mut u8, kernel::page::PAGE_SIZE)) };
    let mut out = SysfsBuf { buf: page, len: 0 };
    // SAFETY: `p.data` is the host's live private data.
    unsafe { (p.vtable.show)(p.data, attr, &mut out) };
    out.len as c_long
}

/// The recovery attributes' selectors (shim.h `ISCSI_INIT_ATTR_*`).
fn attr_of(which: c_uint) -> Option<HostAttr> {
    Some(match which {
        bindings::ISCSI_INIT_ATTR_IO_STATE => HostAttr::IoState,
        bindings::ISCSI_INIT_ATTR_STATE_SECONDS => HostAttr::StateSeconds,
        bindings::ISCSI_INIT_ATTR_RECOVERIES => HostAttr::Recoveries,
        bindings::ISCSI_INIT_ATTR_LAST_FAILURE => HostAttr::LastFailure,
        bindings::ISCSI_INIT_ATTR_REPLACEMENT_TIMEOUT => HostAttr::ReplacementTimeout,
        bindings::ISCSI_INIT_ATTR_NOOP_OUT_INTERVAL => HostAttr::NoopOutInterval,
        bindings::ISCSI_INIT_ATTR_NOOP_OUT_TIMEOUT => HostAttr::NoopOutTimeout,
        bindings::ISCSI_INIT_ATTR_ABORT_TIMEOUT => HostAttr::AbortTimeout,
        bindings::ISCSI_INIT_ATTR_LU_RESET_TIMEOUT => HostAttr::LuResetTimeout,
        bindings::ISCSI_INIT_ATTR_TGT_RESET_TIMEOUT => HostAttr::TgtResetTimeout,
        bindings::ISCSI_INIT_ATTR_TX_INLINE => HostAttr::TxInline,
        bindings::ISCSI_INIT_ATTR_TX_INLINE_SENDS => HostAttr::TxInlineSends,
        bindings::ISCSI_INIT_ATTR_TX_WORK_SENDS => HostAttr::TxWorkSends,
        bindings::ISCSI_INIT_ATTR_RX_THREAD_READS => HostAttr::RxThreadReads,
        bindings::ISCSI_INIT_ATTR_TX_COPIED_BYTES => HostAttr::TxCopiedBytes,
        _ => return None,
    })
}

/// The `store` of the host's writable sysfs attributes (shim.c).
///
/// # Safety
///
/// Called by sysfs only, for a live host of ours, with `len` readable
/// bytes at `buf`.
#[no_mangle]
unsafe extern "C" fn iscsi_init_rust_shost_store(
    shost: *mut bindings::Scsi_Host,
    which: c_uint,
    buf: *const c_char,
    len: usize,
) -> c_long {
    let Some(attr) = attr_of(which) else { return EINVAL.to_errno() as c_long };
    // SAFETY: sysfs passes `len` readable bytes (contract).
    let bytes = unsafe { core::slice::from_raw_parts(buf as *const u8, len) };
    let Ok(text) = core::str::from_utf8(bytes) else { return EINVAL.to_errno() as c_long };
    // SAFETY: a live host of ours (contract).
    let p = unsafe { host_priv(shost) };
    // SAFETY: `p.data` is the host's live private data.
    match unsafe { (p.vtable.store)(p.data, attr, text) } {
        Ok(()) => len as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}
