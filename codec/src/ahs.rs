//! Additional Header Segments (RFC 7143 11.2.2): the Extended CDB AHS
//! (11.2.2.3) and the Bidirectional Read Expected Data Transfer Length AHS
//! (11.2.2.4) of a SCSI Command.
//!
//! Wire format of one AHS: `AHSLength` (2 bytes, big-endian: bytes of
//! AHS-specific data, without the 3 header bytes and without padding),
//! `AHSType` (1 byte: bits 7-6 reserved, bits 5-0 the type code), then the
//! AHS-specific bytes, padded with zeros to a multiple of 4 bytes.

use super::error::{split_out, CodecError, Field};

/// AHSType code of the Extended CDB AHS.
pub const AHS_TYPE_EXTENDED_CDB: u8 = 1;
/// AHSType code of the Bidirectional Read Expected Data Transfer Length
/// AHS.
pub const AHS_TYPE_BIDI_READ_LENGTH: u8 = 2;
/// Largest CDB this codec accepts, in bytes (SPC limit).
pub const MAX_CDB_LEN: usize = 260;
/// Largest total AHS length, in bytes (TotalAHSLength 255 * 4).
pub const MAX_AHS_LEN: usize = 1020;
/// Bytes of a Bidirectional Read Expected Data Transfer Length AHS.
pub const BIDI_READ_LENGTH_AHS_LEN: usize = 8;

/// One parsed AHS, borrowing from the AHS bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ahs<'a> {
    /// Extended CDB: CDB bytes 16.. (the BHS holds bytes 0..16).
    ExtendedCdb(&'a [u8]),
    /// Bidirectional Read Expected Data Transfer Length, in bytes.
    BidiReadExpectedDataTransferLength(u32),
    /// A non-iSCSI extension AHS (types 60..=63); `data` is the
    /// AHS-specific data (AHSLength bytes, no padding).
    Extension {
        /// AHSType code, 60..=63.
        ahs_type: u8,
        /// AHS-specific bytes.
        data: &'a [u8],
    },
}

/// Iterator over the AHS of a PDU. `Item = Result<Ahs, CodecError>`; after
/// the first error it yields nothing more.
#[derive(Debug, Clone)]
pub struct AhsIter<'a> {
    rest: &'a [u8],
}

impl<'a> AhsIter<'a> {
    /// Iterate over `ahs`: exactly the TotalAHSLength * 4 bytes that follow
    /// the BHS.
    pub const fn new(ahs: &'a [u8]) -> Self {
        AhsIter { rest: ahs }
    }

    fn next_ahs(&mut self) -> Result<Ahs<'a>, CodecError> {
        let short = CodecError::InconsistentLength(Field::AhsLength);
        let (hdr, after) = self.rest.split_first_chunk::<3>().ok_or(short)?;
        let ahs_len = usize::from(u16::from_be_bytes([hdr[0], hdr[1]]));
        let ahs_type = hdr[2] & 0x3f;
        let (body, _) = after.split_at_checked(ahs_len).ok_or(short)?;
        let padded = round4(ahs_len.saturating_add(3));
        self.rest = self.rest.get(padded..).ok_or(short)?;
        match ahs_type {
            AHS_TYPE_EXTENDED_CDB => match body.split_first() {
                Some((_reserved, cdb)) if !cdb.is_empty() => Ok(Ahs::ExtendedCdb(cdb)),
                _ => Err(CodecError::InconsistentLength(Field::AhsLength)),
            },
            AHS_TYPE_BIDI_READ_LENGTH => match body {
                [_reserved, a, b, c, d] => Ok(Ahs::BidiReadExpectedDataTransferLength(
                    u32::from_be_bytes([*a, *b, *c, *d]),
                )),
                _ => Err(CodecError::InconsistentLength(Field::AhsLength)),
            },
            60..=63 => Ok(Ahs::Extension {
                ahs_type,
                data: body,
            }),
            _ => Err(CodecError::FieldOutOfRange(Field::AhsType)),
        }
    }
}

impl<'a> Iterator for AhsIter<'a> {
    type Item = Result<Ahs<'a>, CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let r = self.next_ahs();
        if r.is_err() {
            self.rest = &[];
        }
        Some(r)
    }
}

const fn round4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// The AHS of a SCSI Command, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommandAhs<'a> {
    /// CDB bytes beyond the first 16, if an Extended CDB AHS is present.
    pub extended_cdb: Option<&'a [u8]>,
    /// Bidirectional Read Expected Data Transfer Length (bytes), if that
    /// AHS is present.
    pub bidi_read_expected_data_transfer_length: Option<u32>,
}

impl<'a> CommandAhs<'a> {
    /// Parse all AHS of a SCSI Command (`ahs` = TotalAHSLength * 4 bytes).
    /// Extension AHS (types 60..=63) are skipped; a repeated AHS type is
    /// an error.
    pub fn parse(ahs: &'a [u8]) -> Result<CommandAhs<'a>, CodecError> {
        let mut r = CommandAhs::default();
        for a in AhsIter::new(ahs) {
            match a? {
                Ahs::ExtendedCdb(c) => {
                    if r.extended_cdb.replace(c).is_some() {
                        return Err(CodecError::FieldOutOfRange(Field::AhsType));
                    }
                }
                Ahs::BidiReadExpectedDataTransferLength(l) => {
                    if r.bidi_read_expected_data_transfer_length
                        .replace(l)
                        .is_some()
                    {
                        return Err(CodecError::FieldOutOfRange(Field::AhsType));
                    }
                }
                Ahs::Extension { .. } => {}
            }
        }
        Ok(r)
    }
}

/// Bytes an Extended CDB AHS takes for `tail_len` CDB bytes beyond the
/// first 16 (4 header bytes + tail, padded to 4).
pub const fn extended_cdb_ahs_len(tail_len: usize) -> usize {
    round4(tail_len.saturating_add(4))
}

/// Write an Extended CDB AHS holding `tail` (CDB bytes 16.., 1..=244
/// bytes) at the start of `out`; returns the bytes written (a multiple of
/// 4). AHSLength = CDB length - 15.
pub fn write_extended_cdb(tail: &[u8], out: &mut [u8]) -> Result<usize, CodecError> {
    if tail.is_empty() || tail.len() > MAX_CDB_LEN - 16 {
        return Err(CodecError::FieldOutOfRange(Field::CdbLength));
    }
    let total = extended_cdb_ahs_len(tail.len());
    let short = CodecError::BufferTooSmall {
        needed: total,
        available: out.len(),
    };
    // tail.len() <= 244, so this fits in u16
    let ahs_len = (tail.len() as u16).wrapping_add(1).to_be_bytes();
    let (hdr, body) = split_out(out, total, 4)?;
    hdr.copy_from_slice(&[ahs_len[0], ahs_len[1], AHS_TYPE_EXTENDED_CDB, 0]);
    let (cdb, pad) = body.split_at_mut_checked(tail.len()).ok_or(short)?;
    cdb.copy_from_slice(tail);
    pad.fill(0);
    Ok(total)
}

/// Write a Bidirectional Read Expected Data Transfer Length AHS (8 bytes)
/// at the start of `out`; returns 8.
pub fn write_bidi_read_length(length: u32, out: &mut [u8]) -> Result<usize, CodecError> {
    let available = out.len();
    let dst =
        out.first_chunk_mut::<BIDI_READ_LENGTH_AHS_LEN>()
            .ok_or(CodecError::BufferTooSmall {
                needed: BIDI_READ_LENGTH_AHS_LEN,
                available,
            })?;
    let l = length.to_be_bytes();
    *dst = [0, 5, AHS_TYPE_BIDI_READ_LENGTH, 0, l[0], l[1], l[2], l[3]];
    Ok(BIDI_READ_LENGTH_AHS_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_cdb_roundtrip() {
        let tail = [0xaau8; 16]; // 32-byte CDB
        let mut buf = [0xffu8; 64];
        let n = write_extended_cdb(&tail, &mut buf).unwrap();
        assert_eq!(n, 20);
        assert_eq!(&buf[..4], &[0x00, 0x11, 0x01, 0x00]);
        let n2 = write_bidi_read_length(0x1234, &mut buf[n..]).unwrap();
        let p = CommandAhs::parse(&buf[..n + n2]).unwrap();
        assert_eq!(p.extended_cdb, Some(&tail[..]));
        assert_eq!(p.bidi_read_expected_data_transfer_length, Some(0x1234));

        let tail = [1u8, 2, 3];
        let n = write_extended_cdb(&tail, &mut buf).unwrap();
        assert_eq!(&buf[..n], &[0, 4, 1, 0, 1, 2, 3, 0]);
        assert_eq!(
            CommandAhs::parse(&buf[..n]).unwrap().extended_cdb,
            Some(&tail[..])
        );
    }

    #[test]
    fn malformed() {
        assert!(CommandAhs::parse(&[0, 9, 1, 0]).is_err());
        assert!(CommandAhs::parse(&[0, 5, 2, 0, 1, 2, 3]).is_err());
        assert_eq!(
            CommandAhs::parse(&[0, 1, 7, 0]),
            Err(CodecError::FieldOutOfRange(Field::AhsType))
        );
        let ext = [0u8, 1, 60, 9];
        assert_eq!(CommandAhs::parse(&ext).unwrap(), CommandAhs::default());
        let dup = [0u8, 5, 2, 0, 0, 0, 0, 1, 0, 5, 2, 0, 0, 0, 0, 2];
        assert!(CommandAhs::parse(&dup).is_err());
    }
}
