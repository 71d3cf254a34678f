//! HeaderDigest and DataDigest: CRC32C as iSCSI defines it (RFC 7143
//! 13.1, RFC 3720 appendix B.4).
//!
//! The checksum itself comes from the environment through [`Crc32c`]: the
//! codec holds no table. Userspace can use `std_crc::SoftCrc32c` (feature
//! `std-crc`, on top of the `crc32c` crate); the kernel implements the trait
//! with its `crc32c()`.
//!
//! On the wire a digest is 4 bytes, least significant byte first
//! (CRC32C of 32 zero bytes = `0x8a9136aa`, sent as `aa 36 91 8a`).
//! The header digest covers the BHS and all AHS; the data digest covers the
//! data segment and its padding (0..=3 zero bytes). A data digest is only
//! present when DataSegmentLength is not 0.

use super::error::CodecError;

/// Length of a digest on the wire, in bytes.
pub const DIGEST_LEN: usize = 4;

/// A CRC32C (Castagnoli, generator 0x11EDC6F41) provider with "append"
/// semantics: `append(0, a ++ b) == append(append(0, a), b)`, and
/// `append(0, bytes)` is the finished iSCSI CRC32C of `bytes` (initial value
/// all ones and final complement are applied inside, exactly like
/// `crc32c::crc32c_append` of the `crc32c` crate).
///
/// A kernel implementation on top of Linux `crc32c(u32 crc, const void *p,
/// unsigned int len)` (which neither seeds nor complements) is
/// `!crc32c(!crc, bytes)`.
pub trait Crc32c {
    /// Continue the CRC32C `crc` (0 for "no bytes yet") over `bytes`.
    fn append(&self, crc: u32, bytes: &[u8]) -> u32;
}

impl<T: Crc32c + ?Sized> Crc32c for &T {
    fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
        (**self).append(crc, bytes)
    }
}

const ZERO_PAD: [u8; 3] = [0; 3];

/// Number of padding bytes (0..=3) after a data segment of `data_len`
/// bytes (RFC 7143 11.2.3: segments are padded to a multiple of 4).
pub const fn pad_len(data_len: usize) -> usize {
    (4 - (data_len & 3)) & 3
}

/// The 4 wire bytes (little-endian) of a digest value.
pub const fn digest_to_wire(digest: u32) -> [u8; 4] {
    digest.to_le_bytes()
}

/// The digest value of 4 wire bytes (little-endian).
pub const fn digest_from_wire(bytes: [u8; 4]) -> u32 {
    u32::from_le_bytes(bytes)
}

/// HeaderDigest over the 48-byte BHS followed by `ahs` (the AHS bytes,
/// TotalAHSLength * 4 of them; empty if none).
pub fn header_digest<C: Crc32c + ?Sized>(crc: &C, bhs: &[u8; 48], ahs: &[u8]) -> u32 {
    let c = crc.append(0, bhs);
    if ahs.is_empty() {
        c
    } else {
        crc.append(c, ahs)
    }
}

/// DataDigest over `data` plus its zero padding to a multiple of 4 bytes.
/// `data` is the data segment without padding (DataSegmentLength bytes).
pub fn data_digest<C: Crc32c + ?Sized>(crc: &C, data: &[u8]) -> u32 {
    let c = crc.append(0, data);
    match ZERO_PAD.get(..pad_len(data.len())) {
        Some(pad) if !pad.is_empty() => crc.append(c, pad),
        _ => c,
    }
}

/// DataDigest over a data segment given in pieces (e.g. scatter-gather
/// pages): call [`DataDigest::update`] for each piece in order, then
/// [`DataDigest::finish`], which appends the padding.
#[derive(Debug, Clone, Copy)]
pub struct DataDigest<C> {
    crc: C,
    value: u32,
    len: usize,
}

impl<C: Crc32c> DataDigest<C> {
    /// Start a digest.
    pub const fn new(crc: C) -> Self {
        DataDigest {
            crc,
            value: 0,
            len: 0,
        }
    }

    /// Add the next `bytes` of the data segment.
    pub fn update(&mut self, bytes: &[u8]) {
        self.value = self.crc.append(self.value, bytes);
        self.len = self.len.wrapping_add(bytes.len());
    }

    /// Add the padding for the total length seen and return the digest.
    pub fn finish(self) -> u32 {
        match ZERO_PAD.get(..pad_len(self.len)) {
            Some(pad) if !pad.is_empty() => self.crc.append(self.value, pad),
            _ => self.value,
        }
    }
}

/// Check a received HeaderDigest (`wire`: the 4 bytes after the AHS).
pub fn verify_header_digest<C: Crc32c + ?Sized>(
    crc: &C,
    bhs: &[u8; 48],
    ahs: &[u8],
    wire: [u8; 4],
) -> Result<(), CodecError> {
    let computed = header_digest(crc, bhs, ahs);
    let received = digest_from_wire(wire);
    if computed == received {
        Ok(())
    } else {
        Err(CodecError::HeaderDigestMismatch { computed, received })
    }
}

/// Check a received DataDigest. `data_and_pad` is the data segment
/// followed by its padding exactly as received (DataSegmentLength rounded
/// up to 4 bytes); the padding is covered as received.
pub fn verify_data_digest<C: Crc32c + ?Sized>(
    crc: &C,
    data_and_pad: &[u8],
    wire: [u8; 4],
) -> Result<(), CodecError> {
    let computed = crc.append(0, data_and_pad);
    let received = digest_from_wire(wire);
    if computed == received {
        Ok(())
    } else {
        Err(CodecError::DataDigestMismatch { computed, received })
    }
}

#[cfg(test)]
#[path = "../tests/common/bitwise_crc.rs"]
mod bitwise_crc;

#[cfg(test)]
mod tests {
    use super::*;

    /// Bitwise reference implementation, for tests only.
    struct Bitwise;
    impl Crc32c for Bitwise {
        fn append(&self, crc: u32, bytes: &[u8]) -> u32 {
            super::bitwise_crc::crc32c_append(crc, bytes)
        }
    }

    #[test]
    fn rfc3720_b4_vectors() {
        let zeros = [0u8; 32];
        assert_eq!(
            digest_to_wire(Bitwise.append(0, &zeros)),
            [0xaa, 0x36, 0x91, 0x8a]
        );
        let ones = [0xffu8; 32];
        assert_eq!(
            digest_to_wire(Bitwise.append(0, &ones)),
            [0x43, 0xab, 0xa8, 0x62]
        );
        let mut inc = [0u8; 32];
        for (i, b) in inc.iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(
            digest_to_wire(Bitwise.append(0, &inc)),
            [0x4e, 0x79, 0xdd, 0x46]
        );
        let mut dec = [0u8; 32];
        for (i, b) in dec.iter_mut().enumerate() {
            *b = 31 - i as u8;
        }
        assert_eq!(
            digest_to_wire(Bitwise.append(0, &dec)),
            [0x5c, 0xdb, 0x3f, 0x11]
        );
    }

    #[test]
    fn padding_and_pieces() {
        assert_eq!(pad_len(0), 0);
        assert_eq!(pad_len(1), 3);
        assert_eq!(pad_len(4), 0);
        assert_eq!(pad_len(7), 1);
        let data = b"hello";
        let padded = b"hello\0\0\0";
        assert_eq!(data_digest(&Bitwise, data), Bitwise.append(0, padded));
        let mut d = DataDigest::new(&Bitwise);
        d.update(b"he");
        d.update(b"llo");
        assert_eq!(d.finish(), data_digest(&Bitwise, data));
        let w = digest_to_wire(data_digest(&Bitwise, data));
        assert!(verify_data_digest(&Bitwise, padded, w).is_ok());
        assert!(verify_data_digest(&Bitwise, b"hellp\0\0\0", w).is_err());
    }
}
