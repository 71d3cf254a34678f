//! Typed errors of the codec (no `alloc`, no formatting in hot paths).
//!
//! Every fallible function of the codec returns [`CodecError`]; the text
//! key=value functions (RFC 7143 section 6) return the narrower
//! [`TextError`], which converts into [`CodecError::Text`].

use core::fmt;

/// A named header field, used by [`CodecError`] to say which field of a PDU
/// (RFC 7143 section 11) or AHS (section 11.2.2) was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The opcode (BHS byte 0) is not the one the typed decoder expects.
    Opcode,
    /// TotalAHSLength (BHS byte 4, in 4-byte words; RFC 7143 11.2.1.2).
    TotalAhsLength,
    /// DataSegmentLength (BHS bytes 5..8, 24 bits, in bytes; 11.2.1.3).
    DataSegmentLength,
    /// AHSLength of one Additional Header Segment (11.2.2.2).
    AhsLength,
    /// AHSType of one Additional Header Segment (11.2.2.1).
    AhsType,
    /// Length of an (extended) CDB (11.3.5, 11.2.2.3): at most 16 bytes in
    /// the BHS, longer CDBs need an Extended CDB AHS.
    CdbLength,
    /// ATTR, the task attribute of a SCSI Command (11.3.1.3).
    TaskAttribute,
    /// Response of a SCSI Response (11.4.3).
    ServiceResponse,
    /// The o/u (bidirectional) or O/U residual bits are both set (11.4.1,
    /// 11.7.5), which RFC 7143 forbids.
    ResidualFlags,
    /// Function of a Task Management Function Request (11.5.1).
    TmfFunction,
    /// Response of a Task Management Function Response (11.6.1).
    TmfResponse,
    /// CSG or NSG of a Login Request/Response is 2, a reserved stage
    /// (11.12.3).
    Stage,
    /// T (Transit) and C (Continue) bits are both set in a Login PDU
    /// (11.12.2), or F and C are both set in a Text PDU (11.10.2).
    ContinueBit,
    /// Reason Code of a Logout Request (11.14.1).
    LogoutReason,
    /// Response of a Logout Response (11.15.1).
    LogoutResponse,
    /// Type of a SNACK Request (11.16.1).
    SnackType,
    /// AsyncEvent of an Asynchronous Message (11.9.1).
    AsyncEvent,
    /// Reason of a Reject (11.17.1).
    RejectReason,
    /// S bit set without the F bit in a SCSI Data-In (11.7.1).
    StatusBit,
    /// Desired Data Transfer Length of an R2T is 0 (11.8.4).
    DesiredDataTransferLength,
}

impl Field {
    /// The RFC 7143 name of the field, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Opcode => "opcode",
            Field::TotalAhsLength => "TotalAHSLength",
            Field::DataSegmentLength => "DataSegmentLength",
            Field::AhsLength => "AHSLength",
            Field::AhsType => "AHSType",
            Field::CdbLength => "CDB length",
            Field::TaskAttribute => "ATTR",
            Field::ServiceResponse => "Response (SCSI Response)",
            Field::ResidualFlags => "residual overflow/underflow bits",
            Field::TmfFunction => "Function (Task Management)",
            Field::TmfResponse => "Response (Task Management)",
            Field::Stage => "CSG/NSG",
            Field::ContinueBit => "C bit",
            Field::LogoutReason => "Reason Code (Logout)",
            Field::LogoutResponse => "Response (Logout)",
            Field::SnackType => "Type (SNACK)",
            Field::AsyncEvent => "AsyncEvent",
            Field::RejectReason => "Reason (Reject)",
            Field::StatusBit => "S bit",
            Field::DesiredDataTransferLength => "Desired Data Transfer Length",
        }
    }
}

/// Errors of the text key=value format (RFC 7143 section 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextError {
    /// A key=value pair has no `=`.
    MissingEquals,
    /// The key is empty (`=value`).
    EmptyKey,
    /// The key is longer than 63 bytes ([`super::keys::MAX_KEY_LEN`]).
    KeyTooLong,
    /// The key contains a byte that is not allowed in a key-name (letters,
    /// digits, `.`, `-`, `+`, `@`, `_`; the first must be a capital letter).
    BadKeyChar(u8),
    /// The value is longer than the applicable limit (255 bytes, or 8192
    /// for hex/base64 encoded values).
    ValueTooLong,
    /// The last pair is not terminated by a NUL byte.
    MissingNul,
    /// A value contains a NUL byte (writer side).
    BadValueChar(u8),
    /// A hex (`0x`) or base64 (`0b`) constant is malformed, or a numeric
    /// value is not a number / does not fit.
    BadEncoding,
    /// The caller-supplied output buffer is too small.
    Overflow,
    /// A segment was pushed into a text assembler after the final one.
    AlreadyComplete,
}

impl TextError {
    /// A short English description.
    pub const fn as_str(self) -> &'static str {
        match self {
            TextError::MissingEquals => "key=value pair without '='",
            TextError::EmptyKey => "empty key",
            TextError::KeyTooLong => "key longer than 63 bytes",
            TextError::BadKeyChar(_) => "invalid character in key",
            TextError::ValueTooLong => "value too long",
            TextError::MissingNul => "key=value pair not NUL-terminated",
            TextError::BadValueChar(_) => "invalid character in value",
            TextError::BadEncoding => "malformed hex/base64/numeric value",
            TextError::Overflow => "output buffer too small",
            TextError::AlreadyComplete => "text already complete (C bit was 0)",
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error the codec reports. Decoding never panics: malformed input
/// always ends up here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecError {
    /// A vendor-specific opcode (0x1c..=0x1e initiator, 0x3c..=0x3e target;
    /// RFC 7143 11.2.1.2) that this codec does not know.
    UnknownOpcode(u8),
    /// An opcode RFC 7143 reserves (anything not defined and not
    /// vendor-specific).
    ReservedOpcode(u8),
    /// Length fields contradict the PDU type or each other, e.g. a
    /// DataSegmentLength on a PDU that has no data segment, a TotalAHSLength
    /// on a PDU other than SCSI Command, AHS lengths that do not add up.
    InconsistentLength(Field),
    /// DataSegmentLength (bytes) exceeds the caller's limit (the negotiated
    /// MaxRecvDataSegmentLength, RFC 7143 13.12).
    DataSegmentTooLong {
        /// DataSegmentLength from the BHS, in bytes.
        length: u32,
        /// The limit the caller passed, in bytes.
        limit: u32,
    },
    /// A field holds a value RFC 7143 reserves or forbids.
    FieldOutOfRange(Field),
    /// A caller-supplied buffer is too small (encoding), or an input slice
    /// is shorter than its header says (decoding).
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The HeaderDigest (CRC32C over BHS + AHS) does not match.
    HeaderDigestMismatch {
        /// Digest computed over the received bytes.
        computed: u32,
        /// Digest found on the wire.
        received: u32,
    },
    /// The DataDigest (CRC32C over data + padding) does not match.
    DataDigestMismatch {
        /// Digest computed over the received bytes.
        computed: u32,
        /// Digest found on the wire.
        received: u32,
    },
    /// A text key=value error (RFC 7143 section 6).
    Text(TextError),
}

impl From<TextError> for CodecError {
    fn from(e: TextError) -> Self {
        CodecError::Text(e)
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CodecError::UnknownOpcode(op) => {
                write!(f, "unknown (vendor-specific) opcode {op:#04x}")
            }
            CodecError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#04x}"),
            CodecError::InconsistentLength(field) => write!(f, "inconsistent {}", field.name()),
            CodecError::DataSegmentTooLong { length, limit } => {
                write!(f, "DataSegmentLength {length} exceeds limit {limit}")
            }
            CodecError::FieldOutOfRange(field) => write!(f, "{} out of range", field.name()),
            CodecError::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: need {needed} bytes, have {available}")
            }
            CodecError::HeaderDigestMismatch { computed, received } => {
                write!(
                    f,
                    "header digest mismatch: computed {computed:#010x}, received {received:#010x}"
                )
            }
            CodecError::DataDigestMismatch { computed, received } => {
                write!(
                    f,
                    "data digest mismatch: computed {computed:#010x}, received {received:#010x}"
                )
            }
            CodecError::Text(e) => write!(f, "text: {e}"),
        }
    }
}

/// The first `total` bytes of `out`, split at `at`: where an encoder
/// writes a `total`-byte item made of two parts. Fails with
/// [`CodecError::BufferTooSmall`] (needing `total`) if `out` is shorter.
pub(super) fn split_out(
    out: &mut [u8],
    total: usize,
    at: usize,
) -> Result<(&mut [u8], &mut [u8]), CodecError> {
    let short = CodecError::BufferTooSmall {
        needed: total,
        available: out.len(),
    };
    out.get_mut(..total)
        .and_then(|dst| dst.split_at_mut_checked(at))
        .ok_or(short)
}
