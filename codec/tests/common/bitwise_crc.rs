//! Bitwise CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the
//! reference the codec's own unit tests and the fuzz targets check digests
//! against (the codec itself has none: callers supply a
//! `digest::Crc32c`). Shared as a file: src/digest.rs includes it for its
//! unit tests and codec/fuzz through `#[path]`.

/// Continue the CRC32C `crc` (0 to start) over `bytes`, bit by bit.
pub fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    let mut c = !crc;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    !c
}
