// SPDX-License-Identifier: GPL-2.0

//! Time (include/linux/timekeeping.h).

use super::bindings;

/// Milliseconds of the boot time clock: monotonic, and it counts time
/// spent in suspend (so an outage across a suspend is measured whole).
pub(crate) fn now_ms() -> u64 {
    // SAFETY: reads the clock; callable from any context.
    unsafe { bindings::iscsi_init_now_ms() }
}
