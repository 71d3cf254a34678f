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
//! - `control`: the ioctl commands; `session`: the SCSI host, command window
//!   and task table; `conn`: the receive and transmit threads.
//! - `codec`: the iSCSI wire format, the same source files the helper
//!   compiles (codec/src); `abi`: the ioctl ABI (abi/src).

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

mod conn;
mod control;
mod session;
mod sys;

struct IscsiInit {
    control: sys::miscdev::Registration,
}

impl kernel::Module for IscsiInit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let control = sys::miscdev::Registration::register(kernel::c_str!("iscsi_init"), 0o600, control::Control::new())?;
        pr_info!("loaded, ABI version {}\n", abi::ABI_VERSION);
        Ok(IscsiInit { control })
    }
}

impl Drop for IscsiInit {
    fn drop(&mut self) {
        // Sessions still up are logged out before the module goes.
        self.control.control().shutdown();
        pr_info!("unloaded\n");
    }
}
