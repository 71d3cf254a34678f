//! The 48-byte Basic Header Segment (RFC 7143 11.2.1): opcodes, the
//! fields every PDU shares, raw accessors, and [`Layout`], which tells a
//! receive loop how many AHS, digest, data and padding bytes follow a BHS.

use super::digest::{pad_len, DIGEST_LEN};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

/// Length of the Basic Header Segment, in bytes.
pub const BHS_LEN: usize = 48;

/// Largest DataSegmentLength the 24-bit field can carry, in bytes.
pub const MAX_DATA_SEGMENT_LENGTH: u32 = 0x00ff_ffff;

/// The reserved Initiator Task Tag value 0xffffffff (RFC 7143 11.2.1.8),
/// also the "no Target Transfer Tag" value.
pub const RESERVED_TAG: u32 = 0xffff_ffff;

/// Bit 6 of byte 0: I (immediate delivery) bit.
pub const FLAG_I: u8 = 0x40;
/// Bit 7 of byte 1: F (final) bit.
pub const FLAG_F: u8 = 0x80;

/// PDU opcodes (BHS byte 0, bits 5-0; RFC 7143 11.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x00 NOP-Out (11.18).
    NopOut = 0x00,
    /// 0x01 SCSI Command (11.3).
    ScsiCommand = 0x01,
    /// 0x02 SCSI Task Management Function Request (11.5).
    TaskMgmtRequest = 0x02,
    /// 0x03 Login Request (11.12).
    LoginRequest = 0x03,
    /// 0x04 Text Request (11.10).
    TextRequest = 0x04,
    /// 0x05 SCSI Data-Out (11.7).
    DataOut = 0x05,
    /// 0x06 Logout Request (11.14).
    LogoutRequest = 0x06,
    /// 0x10 SNACK Request (11.16).
    SnackRequest = 0x10,
    /// 0x20 NOP-In (11.19).
    NopIn = 0x20,
    /// 0x21 SCSI Response (11.4).
    ScsiResponse = 0x21,
    /// 0x22 SCSI Task Management Function Response (11.6).
    TaskMgmtResponse = 0x22,
    /// 0x23 Login Response (11.13).
    LoginResponse = 0x23,
    /// 0x24 Text Response (11.11).
    TextResponse = 0x24,
    /// 0x25 SCSI Data-In (11.7).
    DataIn = 0x25,
    /// 0x26 Logout Response (11.15).
    LogoutResponse = 0x26,
    /// 0x31 Ready To Transfer (R2T) (11.8).
    R2t = 0x31,
    /// 0x32 Asynchronous Message (11.9).
    AsyncMessage = 0x32,
    /// 0x3f Reject (11.17).
    Reject = 0x3f,
}

impl Opcode {
    /// Parse the 6-bit opcode (the caller masks off bits 7-6). Vendor
    /// specific opcodes give [`CodecError::UnknownOpcode`], all other
    /// undefined ones [`CodecError::ReservedOpcode`].
    pub const fn from_u8(v: u8) -> Result<Opcode, CodecError> {
        Ok(match v {
            0x00 => Opcode::NopOut,
            0x01 => Opcode::ScsiCommand,
            0x02 => Opcode::TaskMgmtRequest,
            0x03 => Opcode::LoginRequest,
            0x04 => Opcode::TextRequest,
            0x05 => Opcode::DataOut,
            0x06 => Opcode::LogoutRequest,
            0x10 => Opcode::SnackRequest,
            0x20 => Opcode::NopIn,
            0x21 => Opcode::ScsiResponse,
            0x22 => Opcode::TaskMgmtResponse,
            0x23 => Opcode::LoginResponse,
            0x24 => Opcode::TextResponse,
            0x25 => Opcode::DataIn,
            0x26 => Opcode::LogoutResponse,
            0x31 => Opcode::R2t,
            0x32 => Opcode::AsyncMessage,
            0x3f => Opcode::Reject,
            0x1c..=0x1e | 0x3c..=0x3e => return Err(CodecError::UnknownOpcode(v)),
            _ => return Err(CodecError::ReservedOpcode(v)),
        })
    }

    /// The 6-bit opcode value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// True for opcodes an initiator sends (0x00..=0x1f), false for target
    /// opcodes (0x20..=0x3f).
    pub const fn is_initiator(self) -> bool {
        (self as u8) < 0x20
    }
}

// ---- raw field access at constant offsets. The `const { assert!(..) }`
// ---- blocks are evaluated at compile time (monomorphization): an offset
// ---- outside the BHS does not compile, so the indexing below cannot panic.

pub(super) fn get16<const O: usize>(b: &[u8; BHS_LEN]) -> u16 {
    const { assert!(O + 2 <= BHS_LEN) };
    u16::from_be_bytes([b[O], b[O + 1]])
}

pub(super) fn get32<const O: usize>(b: &[u8; BHS_LEN]) -> u32 {
    const { assert!(O + 4 <= BHS_LEN) };
    u32::from_be_bytes([b[O], b[O + 1], b[O + 2], b[O + 3]])
}

pub(super) fn get_sn<const O: usize>(b: &[u8; BHS_LEN]) -> Sn {
    Sn(get32::<O>(b))
}

pub(super) fn put8<const O: usize>(b: &mut [u8; BHS_LEN], v: u8) {
    const { assert!(O < BHS_LEN) };
    b[O] = v;
}

pub(super) fn put16<const O: usize>(b: &mut [u8; BHS_LEN], v: u16) {
    const { assert!(O + 2 <= BHS_LEN) };
    let x = v.to_be_bytes();
    b[O] = x[0];
    b[O + 1] = x[1];
}

pub(super) fn put32<const O: usize>(b: &mut [u8; BHS_LEN], v: u32) {
    const { assert!(O + 4 <= BHS_LEN) };
    let x = v.to_be_bytes();
    b[O] = x[0];
    b[O + 1] = x[1];
    b[O + 2] = x[2];
    b[O + 3] = x[3];
}

pub(super) fn put_sn<const O: usize>(b: &mut [u8; BHS_LEN], v: Sn) {
    put32::<O>(b, v.0);
}

pub(super) fn get_lun(b: &[u8; BHS_LEN]) -> Lun {
    Lun([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

pub(super) fn put_lun(b: &mut [u8; BHS_LEN], lun: Lun) {
    let l = lun.0;
    b[8] = l[0];
    b[9] = l[1];
    b[10] = l[2];
    b[11] = l[3];
    b[12] = l[4];
    b[13] = l[5];
    b[14] = l[6];
    b[15] = l[7];
}

/// Start encoding: zero the whole BHS, then write byte 0 (opcode with the
/// I bit), byte 1 (flags), TotalAHSLength and DataSegmentLength.
pub(super) fn put_common(
    b: &mut [u8; BHS_LEN],
    opcode: Opcode,
    immediate: bool,
    flags: u8,
    total_ahs_length: u8,
    data_segment_length: u32,
) -> Result<(), CodecError> {
    if data_segment_length > MAX_DATA_SEGMENT_LENGTH {
        return Err(CodecError::FieldOutOfRange(Field::DataSegmentLength));
    }
    *b = [0; BHS_LEN];
    b[0] = opcode.as_u8() | if immediate { FLAG_I } else { 0 };
    b[1] = flags;
    b[4] = total_ahs_length;
    let d = data_segment_length.to_be_bytes();
    b[5] = d[1];
    b[6] = d[2];
    b[7] = d[3];
    Ok(())
}

/// Decode-side check that byte 0 holds the opcode a typed decoder expects.
pub(super) fn expect_opcode(b: &[u8; BHS_LEN], op: Opcode) -> Result<(), CodecError> {
    if b[0] & 0x3f != op.as_u8() {
        Err(CodecError::FieldOutOfRange(Field::Opcode))
    } else {
        Ok(())
    }
}

/// Decode-side check for PDUs that carry no AHS (all but SCSI Command):
/// TotalAHSLength MUST be 0 (RFC 7143 11.2.1.2).
pub(super) fn require_no_ahs(b: &[u8; BHS_LEN]) -> Result<(), CodecError> {
    if total_ahs_length(b) != 0 {
        Err(CodecError::InconsistentLength(Field::TotalAhsLength))
    } else {
        Ok(())
    }
}

/// Decode-side check for PDUs that carry no data segment.
pub(super) fn require_no_data(b: &[u8; BHS_LEN]) -> Result<(), CodecError> {
    if data_segment_length(b) != 0 {
        Err(CodecError::InconsistentLength(Field::DataSegmentLength))
    } else {
        Ok(())
    }
}

/// The opcode of a raw BHS (byte 0 bits 5-0), parsed.
pub fn opcode(bhs: &[u8; BHS_LEN]) -> Result<Opcode, CodecError> {
    Opcode::from_u8(bhs[0] & 0x3f)
}

/// The I (immediate) bit of a raw BHS (byte 0 bit 6).
pub fn immediate(bhs: &[u8; BHS_LEN]) -> bool {
    bhs[0] & FLAG_I != 0
}

/// The F (final) bit of a raw BHS (byte 1 bit 7).
pub fn final_bit(bhs: &[u8; BHS_LEN]) -> bool {
    bhs[1] & FLAG_F != 0
}

/// TotalAHSLength of a raw BHS, in 4-byte words (byte 4).
pub fn total_ahs_length(bhs: &[u8; BHS_LEN]) -> u8 {
    bhs[4]
}

/// DataSegmentLength of a raw BHS, in bytes, without padding (bytes 5..8).
pub fn data_segment_length(bhs: &[u8; BHS_LEN]) -> u32 {
    u32::from_be_bytes([0, bhs[5], bhs[6], bhs[7]])
}

/// Initiator Task Tag of a raw BHS (bytes 16..20; 0xffffffff in
/// Asynchronous Message and Reject).
pub fn initiator_task_tag(bhs: &[u8; BHS_LEN]) -> u32 {
    get32::<16>(bhs)
}

/// How the rest of a PDU is laid out after its 48-byte BHS (RFC 7143
/// 11.1): `BHS | AHS (ahs_len) | HeaderDigest | data (data_len) | padding
/// (pad_len) | DataDigest`. All lengths in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Bytes of AHS (TotalAHSLength * 4), 0..=1020.
    pub ahs_len: usize,
    /// Bytes of header digest: 4 if HeaderDigest=CRC32C was negotiated,
    /// else 0.
    pub header_digest_len: usize,
    /// Bytes of data segment (DataSegmentLength), without padding.
    pub data_len: usize,
    /// Bytes of padding after the data segment, 0..=3.
    pub pad_len: usize,
    /// Bytes of data digest: 4 if DataDigest=CRC32C was negotiated and the
    /// data segment is not empty, else 0.
    pub data_digest_len: usize,
}

impl Layout {
    /// Compute the layout from TotalAHSLength (4-byte words),
    /// DataSegmentLength (bytes) and the negotiated digests. Fails with
    /// [`CodecError::DataSegmentTooLong`] if `data_segment_length >
    /// max_recv_dsl` (the negotiated MaxRecvDataSegmentLength, bytes) and
    /// with [`CodecError::FieldOutOfRange`] if it does not fit 24 bits.
    pub fn new(
        total_ahs_length: u8,
        data_segment_length: u32,
        header_digest: bool,
        data_digest: bool,
        max_recv_dsl: u32,
    ) -> Result<Layout, CodecError> {
        if data_segment_length > MAX_DATA_SEGMENT_LENGTH {
            return Err(CodecError::FieldOutOfRange(Field::DataSegmentLength));
        }
        if data_segment_length > max_recv_dsl {
            return Err(CodecError::DataSegmentTooLong {
                length: data_segment_length,
                limit: max_recv_dsl,
            });
        }
        // < 2^24, fits usize on every target the kernel supports
        let data_len = data_segment_length as usize;
        Ok(Layout {
            ahs_len: usize::from(total_ahs_length) * 4,
            header_digest_len: if header_digest { DIGEST_LEN } else { 0 },
            data_len,
            pad_len: pad_len(data_len),
            data_digest_len: if data_digest && data_len != 0 {
                DIGEST_LEN
            } else {
                0
            },
        })
    }

    /// Layout of a raw BHS, without decoding the PDU (no opcode checks).
    pub fn of_bhs(
        bhs: &[u8; BHS_LEN],
        header_digest: bool,
        data_digest: bool,
        max_recv_dsl: u32,
    ) -> Result<Layout, CodecError> {
        Layout::new(
            total_ahs_length(bhs),
            data_segment_length(bhs),
            header_digest,
            data_digest,
            max_recv_dsl,
        )
    }

    /// Bytes between the BHS and the data segment: AHS + header digest.
    pub const fn header_rest_len(&self) -> usize {
        self.ahs_len.saturating_add(self.header_digest_len)
    }

    /// Offset of the data segment from the start of the PDU (48 + AHS +
    /// header digest).
    pub const fn data_offset(&self) -> usize {
        BHS_LEN.saturating_add(self.header_rest_len())
    }

    /// Bytes from the start of the data segment to the end of the PDU:
    /// data + padding + data digest.
    pub const fn data_area_len(&self) -> usize {
        self.data_len
            .saturating_add(self.pad_len)
            .saturating_add(self.data_digest_len)
    }

    /// Bytes following the BHS (everything except the 48 bytes).
    pub const fn after_bhs(&self) -> usize {
        self.header_rest_len().saturating_add(self.data_area_len())
    }

    /// Total PDU length on the wire, in bytes, BHS included.
    pub const fn total(&self) -> usize {
        BHS_LEN.saturating_add(self.after_bhs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes() {
        assert_eq!(Opcode::from_u8(0x21), Ok(Opcode::ScsiResponse));
        assert_eq!(Opcode::from_u8(0x1c), Err(CodecError::UnknownOpcode(0x1c)));
        assert_eq!(Opcode::from_u8(0x3e), Err(CodecError::UnknownOpcode(0x3e)));
        assert_eq!(Opcode::from_u8(0x07), Err(CodecError::ReservedOpcode(0x07)));
        assert_eq!(Opcode::from_u8(0x3b), Err(CodecError::ReservedOpcode(0x3b)));
        for v in 0..0x40u8 {
            if let Ok(op) = Opcode::from_u8(v) {
                assert_eq!(op.as_u8(), v);
                assert_eq!(op.is_initiator(), v < 0x20);
            }
        }
    }

    #[test]
    fn layouts() {
        let l = Layout::new(0, 5, true, true, 8192).unwrap();
        assert_eq!(
            (
                l.ahs_len,
                l.header_digest_len,
                l.data_len,
                l.pad_len,
                l.data_digest_len
            ),
            (0, 4, 5, 3, 4)
        );
        assert_eq!(l.total(), 48 + 4 + 5 + 3 + 4);
        assert_eq!(l.data_offset(), 52);
        let l = Layout::new(2, 0, false, true, 8192).unwrap();
        assert_eq!(l.data_digest_len, 0);
        assert_eq!(l.total(), 56);
        assert_eq!(
            Layout::new(0, 8193, false, false, 8192),
            Err(CodecError::DataSegmentTooLong {
                length: 8193,
                limit: 8192
            })
        );
        let l = Layout::new(255, MAX_DATA_SEGMENT_LENGTH, true, true, u32::MAX).unwrap();
        assert_eq!(l.total(), 48 + 1020 + 4 + 0xff_ffff + 1 + 4);
    }
}
