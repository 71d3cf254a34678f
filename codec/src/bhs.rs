//! The 48-byte Basic Header Segment (RFC 7143 11.2.1): opcodes, the
//! fields every PDU shares, raw accessors, and [`Layout`], which tells a
//! receive loop how many AHS, digest, data and padding bytes follow a BHS.
//!
//! Also the crate-internal macros the PDU modules declare their headers
//! with: `bhs_pdu!` (a PDU's field table: struct, `decode`, `encode` and a
//! compile-time layout check, one row per field) and `byte_enum!` (an
//! enum coded in one byte, with `from_u8` / `as_u8`).

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

super::bhs::byte_enum! {
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
    /// Parse the 6-bit opcode (the caller masks off bits 7-6). Vendor
    /// specific opcodes give [`CodecError::UnknownOpcode`], all other
    /// undefined ones [`CodecError::ReservedOpcode`].
    pub const fn from_u8(v) else match v {
        0x1c..=0x1e | 0x3c..=0x3e => CodecError::UnknownOpcode(v),
        _ => CodecError::ReservedOpcode(v),
    };
    /// The 6-bit opcode value.
    pub const fn as_u8;
}

impl Opcode {
    /// True for opcodes an initiator sends (0x00..=0x1f), false for target
    /// opcodes (0x20..=0x3f).
    pub const fn is_initiator(self) -> bool {
        (self as u8) < 0x20
    }
}

// ---- typed fields at constant offsets, for the `bhs_pdu!` tables.

/// Bytes 0, 1 and 4..8 (opcode and I bit, flags, TotalAHSLength,
/// DataSegmentLength): written by [`put_common`], never by a table row.
const COMMON_BYTES: u64 = 0b1111_0011;

/// A value stored big-endian at a fixed place in the BHS: the type of a
/// `bhs_pdu!` table row. `O` is the offset of the first byte; the
/// `const` assertions make an offset outside the BHS a compile error.
pub(super) trait BhsField: Sized {
    /// Bytes the field occupies.
    const LEN: usize;
    /// Read the field at offset `O`; fails for values the RFC reserves.
    fn get<const O: usize>(b: &[u8; BHS_LEN]) -> Result<Self, CodecError>;
    /// Write the field at offset `O`.
    fn put<const O: usize>(self, b: &mut [u8; BHS_LEN]);
}

impl<const N: usize> BhsField for [u8; N] {
    const LEN: usize = N;
    fn get<const O: usize>(b: &[u8; BHS_LEN]) -> Result<Self, CodecError> {
        const { assert!(O + N <= BHS_LEN) };
        let mut v = [0; N];
        for (d, s) in v.iter_mut().zip(b.iter().skip(O)) {
            *d = *s;
        }
        Ok(v)
    }
    fn put<const O: usize>(self, b: &mut [u8; BHS_LEN]) {
        const { assert!(O + N <= BHS_LEN) };
        for (d, s) in b.iter_mut().skip(O).zip(self) {
            *d = s;
        }
    }
}

/// `BhsField` impls: `int T = N` for a big-endian integer of N bytes,
/// `newtype T = Inner` for a tuple struct around a `BhsField`, and
/// `byte_enum T` for an enum coded in one byte by `T::from_u8` (which
/// rejects reserved values) and `T::as_u8`.
macro_rules! bhs_field {
    (int $t:ty = $n:literal) => {
        impl super::bhs::BhsField for $t {
            const LEN: usize = $n;
            fn get<const O: usize>(
                b: &[u8; super::bhs::BHS_LEN],
            ) -> Result<Self, super::error::CodecError> {
                <[u8; $n] as super::bhs::BhsField>::get::<O>(b).map(<$t>::from_be_bytes)
            }
            fn put<const O: usize>(self, b: &mut [u8; super::bhs::BHS_LEN]) {
                super::bhs::BhsField::put::<O>(self.to_be_bytes(), b)
            }
        }
    };
    (newtype $t:ty = $inner:ty) => {
        impl super::bhs::BhsField for $t {
            const LEN: usize = <$inner as super::bhs::BhsField>::LEN;
            fn get<const O: usize>(
                b: &[u8; super::bhs::BHS_LEN],
            ) -> Result<Self, super::error::CodecError> {
                <$inner as super::bhs::BhsField>::get::<O>(b).map(Self)
            }
            fn put<const O: usize>(self, b: &mut [u8; super::bhs::BHS_LEN]) {
                super::bhs::BhsField::put::<O>(self.0, b)
            }
        }
    };
    (byte_enum $t:ty) => {
        impl super::bhs::BhsField for $t {
            const LEN: usize = 1;
            fn get<const O: usize>(
                b: &[u8; super::bhs::BHS_LEN],
            ) -> Result<Self, super::error::CodecError> {
                <u8 as super::bhs::BhsField>::get::<O>(b).and_then(<$t>::from_u8)
            }
            fn put<const O: usize>(self, b: &mut [u8; super::bhs::BHS_LEN]) {
                super::bhs::BhsField::put::<O>(self.as_u8(), b)
            }
        }
    };
}
pub(super) use bhs_field;

bhs_field!(int u8 = 1);
bhs_field!(int u16 = 2);
bhs_field!(int u32 = 4);
bhs_field!(newtype Sn = u32);
bhs_field!(newtype Lun = [u8; 8]);

/// Declare an enum coded in one byte (or a few bits of one): the enum,
/// `from_u8` (a code not listed gives the `else` error, which may use the
/// parameter), `as_u8`, and its [`BhsField`] impl. With `Variant = code`
/// rows the codes are also the discriminants; with `Variant => code` rows
/// the enum has the default discriminants (0, 1, ...) and only `from_u8`
/// and `as_u8` know the codes.
macro_rules! byte_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $($(#[$vattr:meta])* $variant:ident = $code:literal,)*
        }
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub enum $name {
            $($(#[$vattr])* $variant = $code,)*
        }
        super::bhs::byte_enum!(@impl $name { $($variant = $code,)* } $($rest)*);
    };
    (
        $(#[$attr:meta])*
        pub enum $name:ident {
            $($(#[$vattr:meta])* $variant:ident => $code:literal,)*
        }
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub enum $name {
            $($(#[$vattr])* $variant,)*
        }
        super::bhs::byte_enum!(@impl $name { $($variant = $code,)* } $($rest)*);
    };
    (
        @impl $name:ident { $($variant:ident = $code:literal,)* }
        $(#[$fattr:meta])*
        pub const fn from_u8($v:ident) else $err:expr;
        $(#[$aattr:meta])*
        $avis:vis const fn as_u8;
    ) => {
        impl $name {
            $(#[$fattr])*
            pub const fn from_u8($v: u8) -> Result<$name, super::error::CodecError> {
                Ok(match $v {
                    $($code => $name::$variant,)*
                    _ => return Err($err),
                })
            }

            $(#[$aattr])*
            $avis const fn as_u8(self) -> u8 {
                match self {
                    $($name::$variant => $code,)*
                }
            }
        }

        super::bhs::bhs_field!(byte_enum $name);
    };
}
pub(super) use byte_enum;

/// Compile-time check of a `bhs_pdu!` table, rows `(start, end, width)`:
/// the index of the first row that is not `width` bytes long, does not lie
/// in the BHS, or overlaps an earlier row or the bytes [`put_common`]
/// writes (0, 1, 4..8); `rows.len()` if all are fine.
pub(super) const fn first_bad_row(rows: &[(usize, usize, usize)]) -> usize {
    let mut used = COMMON_BYTES;
    let mut i = 0;
    while i < rows.len() {
        let (start, end, width) = rows[i];
        if start >= end || end > BHS_LEN || end - start != width {
            return i;
        }
        let mask = ((1u64 << width) - 1) << start;
        if used & mask != 0 {
            return i;
        }
        used |= mask;
        i += 1;
    }
    i
}

/// Declare a PDU header struct from its field table, in the style of
/// nova-core's `register!`. Each row is a `pub` field of the struct, in
/// order, with its doc comment:
///
/// - `pub name: Type @ start..end` (or `@ byte` for a one-byte field) is a
///   table field: its doc gets the byte range appended, it is read in the
///   generated `decode` and written in the generated `encode` through
///   [`BhsField`], and a compile-time assertion checks that the table
///   fields have the width of their type, fit the 48-byte BHS and overlap
///   neither each other nor bytes 0, 1 and 4..8 (see [`first_bad_row`]);
/// - `pub name: Type` is hand-written (flag bits, the fields of bytes 0..8):
///   the `decode` block must bind a local of that name.
///
/// The `decode` block runs first and may return early (opcode,
/// reserved-zero and flag checks); the table fields are read after it,
/// and an optional `then check()` names a method that then validates the
/// whole value (cross-field rules; `encode` should call it too). The
/// `encode` block runs first as well and must start the header with
/// [`put_common`] (which zeroes the BHS); the table fields are written
/// after it.
///
/// Paths in the expansion are relative to the invoking module, which is
/// always a sibling of `bhs` (never `crate::`: the kernel includes the
/// codec as a module tree). Example (nop.rs):
///
/// ```text
/// bhs_pdu! {
///     /// NOP-In header (opcode 0x20, RFC 7143 11.19): ...
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
///     pub struct NopIn {
///         /// DataSegmentLength: ping data, in bytes.
///         pub data_segment_length: u32,
///         /// LUN.
///         pub lun: Lun @ 8..16,
///         /// Initiator Task Tag.
///         pub itt: u32 @ 16..20,
///         ...
///         /// MaxCmdSN.
///         pub max_cmd_sn: Sn @ 32..36,
///     }
///     /// Decode a NOP-In BHS.
///     fn decode(b) {
///         expect_opcode(b, Opcode::NopIn)?;
///         require_no_ahs(b)?;
///         let data_segment_length = data_segment_length(b);
///     }
///     /// Encode into `out` (all 48 bytes are written).
///     fn encode(&self, out) {
///         let dsl = self.data_segment_length;
///         put_common(out, Opcode::NopIn, false, FLAG_F, 0, dsl)?;
///     }
/// }
/// ```
macro_rules! bhs_pdu {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $(
                $(#[$fattr:meta])*
                pub $field:ident: $fty:tt $(@ $start:literal $(.. $end:literal)?)?,
            )*
        }
        $(#[$dattr:meta])*
        fn decode($b:ident) { $($decode:tt)* } $(then $check:ident())?
        $(#[$eattr:meta])*
        fn encode(&$self:ident, $out:ident) { $($encode:tt)* }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $(
                $(#[$fattr])*
                $(
                    #[doc = ""]
                    #[doc = super::bhs::bhs_pdu!(@doc $start $(, $end)?)]
                )?
                pub $field: $fty,
            )*
        }

        const _: () = {
            let bad = super::bhs::first_bad_row(&[$($((
                $start,
                {
                    let _end = $start + 1;
                    $(let _end = $end;)?
                    _end
                },
                <$fty as super::bhs::BhsField>::LEN,
            ),)?)*]);
            let mut _row = 0;
            $($(
                assert!(
                    bad != _row,
                    concat!(
                        stringify!($name), "::", stringify!($field), " @ ", stringify!($start),
                        $("..", stringify!($end),)?
                        ": not the width of its type, outside the BHS, or overlapping an",
                        " earlier field or bytes 0, 1, 4..8",
                    ),
                );
                _row += 1;
            )?)*
        };

        impl $name {
            $(#[$dattr])*
            pub fn decode(
                $b: &[u8; super::bhs::BHS_LEN],
            ) -> Result<$name, super::error::CodecError> {
                $($decode)*
                let v = $name {
                    $($field $(: <$fty as super::bhs::BhsField>::get::<$start>($b)?)?,)*
                };
                $(v.$check()?;)?
                Ok(v)
            }

            $(#[$eattr])*
            pub fn encode(
                &$self,
                $out: &mut [u8; super::bhs::BHS_LEN],
            ) -> Result<(), super::error::CodecError> {
                $($encode)*
                $($(super::bhs::BhsField::put::<$start>($self.$field, $out);)?)*
                Ok(())
            }
        }
    };
    (@doc $start:literal) => {
        concat!("Byte ", stringify!($start), " of the BHS.")
    };
    (@doc $start:literal, $end:literal) => {
        concat!("Bytes ", stringify!($start), "..", stringify!($end), " of the BHS.")
    };
}
pub(super) use bhs_pdu;

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

/// Encode-side flag byte: the OR of the masks whose bool is set.
pub(super) fn flag_bits(bits: &[(bool, u8)]) -> u8 {
    bits.iter()
        .filter(|(set, _)| *set)
        .fold(0, |acc, (_, mask)| acc | mask)
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
    u32::from_be_bytes([bhs[16], bhs[17], bhs[18], bhs[19]])
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
