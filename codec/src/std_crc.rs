//! Userspace [`super::digest::Crc32c`] implementation on top of the
//! `crc32c` crate (feature `std-crc`). NOT part of the kernel's module
//! list: the kernel implements the trait with its own `crc32c()`.

/// CRC32C from the `crc32c` crate (hardware accelerated when available).
#[derive(Debug, Clone, Copy, Default)]
pub struct SoftCrc32c;

impl super::digest::Crc32c for SoftCrc32c {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        crc32c::crc32c_append(crc, bytes)
    }
}
