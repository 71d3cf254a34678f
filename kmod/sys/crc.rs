// SPDX-License-Identifier: GPL-2.0

//! The kernel's `crc32c()` as the codec's CRC32C provider.

use super::bindings;
use crate::codec::digest::Crc32c;

/// CRC32C through the kernel's `crc32c()` (lib/libcrc32c.c, which uses the
/// CPU's crc32 instruction when it has one).
pub(crate) struct KernelCrc32c;

impl Crc32c for KernelCrc32c {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        // SAFETY: `bytes` is readable for its length; the shim computes
        // `~crc32c(~crc, bytes)`.
        unsafe { bindings::iscsi_init_crc32c(crc, bytes.as_ptr().cast(), bytes.len() as u32) }
    }
}
