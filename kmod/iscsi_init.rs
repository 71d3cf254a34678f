// SPDX-License-Identifier: GPL-2.0

//! iscsi-init: an iSCSI initiator (RFC 7143) whose full-feature phase runs in
//! this module.
//!
//! The userland helper logs in and hands the connected socket over through the
//! ioctls of `/dev/iscsi_init` (Documentation/ioctl-abi.rst). Layout:
//!
//! - `sys`: the only place with `unsafe`: generated bindings, the C shim, and
//!   thin safe wrappers (misc device, SCSI host and command, socket, threads,
//!   crc32c, user copies).
//! - `kcore`: the session logic that needs no kernel (RFC 7143 §8 state
//!   machine, ITT layout, task table, rings, receive-side checks); the same
//!   files are the `iscsi-kmod-core` crate, tested and fuzzed on the host
//!   (kmod/core).
//! - `control`: the ioctl commands; `events`: the session events the
//!   recovery daemon waits for; `session`: a session's lock, waits, SCSI
//!   host callbacks, counters and maintenance thread around its `kcore`
//!   state; `conn`: the receive and transmit threads.
//! - `codec`: the iSCSI wire format, the same source files the helper
//!   compiles (codec/src); `abi`: the ioctl ABI (abi/src).
//!
//! Layers call downwards only: control → session → conn → kcore/codec, and
//! everything above reaches `sys` through its traits (`HostOps`,
//! `MiscDevice`); `sys` imports nothing from the layers above it.

use kernel::prelude::*;

module! {
    type: IscsiInit,
    name: "iscsi_init",
    author: "iscsi-init developers",
    description: "iSCSI initiator: full-feature phase on a handed-off TCP socket",
    license: "GPL",
}

/// The ioctl ABI, shared with the helper (abi/src/iscsi_init_abi.rs).
#[allow(dead_code, unreachable_pub, missing_docs)]
mod abi {
    include!("../abi/src/iscsi_init_abi.rs");
}

/// The iSCSI wire codec: the helper's `iscsi-codec` crate, file for file
/// (module list from codec/src/lib.rs).
#[path = "../codec/src"]
#[allow(dead_code, unreachable_pub, missing_docs, clippy::all)]
mod codec {
    pub mod ahs;
    pub mod async_msg;
    pub mod bhs;
    pub mod data;
    pub mod digest;
    pub mod error;
    pub mod login;
    pub mod logout;
    pub mod lun;
    pub mod nop;
    pub mod pdu;
    pub mod reject;
    pub mod scsi;
    pub mod serial;
    pub mod snack;
    pub mod text;
    pub mod tmf;
}

/// The session logic shared with the `iscsi-kmod-core` crate (module list
/// from kmod/core/src/lib.rs).
#[path = "core/src"]
#[allow(dead_code, unreachable_pub, missing_docs, clippy::all)]
mod kcore {
    pub mod failure;
    pub mod fsm;
    pub mod itt;
    pub mod framer;
    pub mod recovery;
    pub mod ring;
    pub mod session;
    pub mod task;
    pub mod tmf;
}

mod conn;
mod control;
mod events;
mod session;
mod sys;

struct IscsiInit {
    dev: sys::miscdev::MiscDeviceRegistration<control::Control>,
    /// The sessions' transmit work items run here. Dropped last (fields
    /// drop in order, after `drop` shut the sessions down): destroying it
    /// drains what is still queued.
    _wq: sys::workqueue::ModuleQueue,
}

impl kernel::Module for IscsiInit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let wq = sys::workqueue::ModuleQueue::new(kernel::c_str!("iscsi_init"))?;
        let control = kernel::sync::Arc::pin_init(control::Control::new(), GFP_KERNEL)?;
        let dev = sys::miscdev::MiscDeviceRegistration::register(kernel::c_str!("iscsi_init"), 0o600, control)?;
        pr_info!("loaded, ABI version {}\n", abi::ABI_VERSION);
        Ok(IscsiInit { dev, _wq: wq })
    }
}

impl Drop for IscsiInit {
    fn drop(&mut self) {
        // Sessions still up are logged out before the module goes.
        self.dev.data().shutdown();
        pr_info!("unloaded\n");
    }
}
