// SPDX-License-Identifier: GPL-2.0

//! The thin unsafe layer: raw bindings and the C shim, wrapped in safe types.
//!
//! Nothing above this module uses `unsafe`; everything here says why its
//! `unsafe` blocks are sound.

#[allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    improper_ctypes,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    include!("sys/bindings_generated.rs");
}

pub(crate) mod crc;
pub(crate) mod miscdev;
pub(crate) mod scsi;
pub(crate) mod socket;
pub(crate) mod sync;
pub(crate) mod thread;
pub(crate) mod time;
pub(crate) mod user;
pub(crate) mod workqueue;

/// Whether the calling task has CAP_SYS_ADMIN (`capable()`).
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: `capable` only reads the current task's credentials; any
    // capability number is accepted.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as i32) }
}
