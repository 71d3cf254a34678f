//! Reject (RFC 7143 11.17).

use super::bhs::{
    expect_opcode, get_sn, put32, put8, put_common, put_sn, require_no_ahs, Opcode, BHS_LEN,
    FLAG_F, RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::serial::Sn;

/// Reason of a Reject (byte 2, RFC 7143 11.17.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RejectReason {
    /// 0x02: data (payload) digest error.
    DataDigestError,
    /// 0x03: SNACK reject.
    SnackReject,
    /// 0x04: protocol error.
    #[default]
    ProtocolError,
    /// 0x05: command not supported.
    CommandNotSupported,
    /// 0x06: immediate command reject, too many immediate commands.
    ImmediateCommandReject,
    /// 0x07: task in progress.
    TaskInProgress,
    /// 0x08: invalid data ack.
    InvalidDataAck,
    /// 0x09: invalid PDU field.
    InvalidPduField,
    /// 0x0a: long operation reject, cannot generate a Target Transfer Tag
    /// (out of resources).
    LongOpReject,
    /// 0x0b: negotiation reset (RFC 3720; deprecated by RFC 7143).
    NegotiationReset,
    /// 0x0c: waiting for logout.
    WaitingForLogout,
}

impl RejectReason {
    /// Parse the Reason byte (0x00, 0x01 and 0x0d..=0xff are reserved).
    pub const fn from_u8(v: u8) -> Result<RejectReason, CodecError> {
        Ok(match v {
            0x02 => RejectReason::DataDigestError,
            0x03 => RejectReason::SnackReject,
            0x04 => RejectReason::ProtocolError,
            0x05 => RejectReason::CommandNotSupported,
            0x06 => RejectReason::ImmediateCommandReject,
            0x07 => RejectReason::TaskInProgress,
            0x08 => RejectReason::InvalidDataAck,
            0x09 => RejectReason::InvalidPduField,
            0x0a => RejectReason::LongOpReject,
            0x0b => RejectReason::NegotiationReset,
            0x0c => RejectReason::WaitingForLogout,
            _ => return Err(CodecError::FieldOutOfRange(Field::RejectReason)),
        })
    }

    /// The Reason byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            RejectReason::DataDigestError => 0x02,
            RejectReason::SnackReject => 0x03,
            RejectReason::ProtocolError => 0x04,
            RejectReason::CommandNotSupported => 0x05,
            RejectReason::ImmediateCommandReject => 0x06,
            RejectReason::TaskInProgress => 0x07,
            RejectReason::InvalidDataAck => 0x08,
            RejectReason::InvalidPduField => 0x09,
            RejectReason::LongOpReject => 0x0a,
            RejectReason::NegotiationReset => 0x0b,
            RejectReason::WaitingForLogout => 0x0c,
        }
    }
}

/// Reject header (opcode 0x3f, RFC 7143 11.17). The ITT is always
/// 0xffffffff (not stored). The data segment is the complete header (BHS)
/// of the rejected PDU, see [`Reject::rejected_bhs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reject {
    /// Reason (byte 2).
    pub reason: RejectReason,
    /// DataSegmentLength, in bytes (48 or more).
    pub data_segment_length: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// DataSN/R2TSN (bytes 36..40) for SNACK rejects, else 0.
    pub data_sn_or_r2t_sn: Sn,
}

impl Reject {
    /// Decode a Reject BHS (the ITT is not checked).
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<Reject, CodecError> {
        expect_opcode(b, Opcode::Reject)?;
        require_no_ahs(b)?;
        Ok(Reject {
            reason: RejectReason::from_u8(b[2])?,
            data_segment_length: super::bhs::data_segment_length(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            data_sn_or_r2t_sn: get_sn::<36>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written; ITT = 0xffffffff).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::Reject,
            false,
            FLAG_F,
            0,
            self.data_segment_length,
        )?;
        put8::<2>(out, self.reason.as_u8());
        put32::<16>(out, RESERVED_TAG);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put_sn::<36>(out, self.data_sn_or_r2t_sn);
        Ok(())
    }

    /// The rejected PDU's 48-byte BHS: the first 48 bytes of the Reject's
    /// data segment, if there are that many.
    pub fn rejected_bhs(data: &[u8]) -> Option<&[u8; BHS_LEN]> {
        data.first_chunk::<BHS_LEN>()
    }
}
