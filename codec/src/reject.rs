//! Reject (RFC 7143 11.17).

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, put_common, require_no_ahs, BhsField, Opcode,
    BHS_LEN, FLAG_F, RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::serial::Sn;

super::bhs::byte_enum! {
    /// Reason of a Reject (byte 2, RFC 7143 11.17.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum RejectReason {
        /// 0x02: data (payload) digest error.
        DataDigestError => 0x02,
        /// 0x03: SNACK reject.
        SnackReject => 0x03,
        /// 0x04: protocol error.
        #[default]
        ProtocolError => 0x04,
        /// 0x05: command not supported.
        CommandNotSupported => 0x05,
        /// 0x06: immediate command reject, too many immediate commands.
        ImmediateCommandReject => 0x06,
        /// 0x07: task in progress.
        TaskInProgress => 0x07,
        /// 0x08: invalid data ack.
        InvalidDataAck => 0x08,
        /// 0x09: invalid PDU field.
        InvalidPduField => 0x09,
        /// 0x0a: long operation reject, cannot generate a Target Transfer Tag
        /// (out of resources).
        LongOpReject => 0x0a,
        /// 0x0b: negotiation reset (RFC 3720; deprecated by RFC 7143).
        NegotiationReset => 0x0b,
        /// 0x0c: waiting for logout.
        WaitingForLogout => 0x0c,
    }
    /// Parse the Reason byte (0x00, 0x01 and 0x0d..=0xff are reserved).
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::RejectReason);
    /// The Reason byte.
    pub const fn as_u8;
}

bhs_pdu! {
    /// Reject header (opcode 0x3f, RFC 7143 11.17). The ITT is always
    /// 0xffffffff (not stored). The data segment is the complete header (BHS)
    /// of the rejected PDU, see [`Reject::rejected_bhs`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Reject {
        /// Reason.
        pub reason: RejectReason @ 2,
        /// DataSegmentLength, in bytes (48 or more).
        pub data_segment_length: u32,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// DataSN/R2TSN for SNACK rejects, else 0.
        pub data_sn_or_r2t_sn: Sn @ 36..40,
    }
    /// Decode a Reject BHS (the ITT is not checked).
    fn decode(b) {
        expect_opcode(b, Opcode::Reject)?;
        require_no_ahs(b)?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written; ITT = 0xffffffff).
    fn encode(&self, out) {
        let dsl = self.data_segment_length;
        put_common(out, Opcode::Reject, false, FLAG_F, 0, dsl)?;
        RESERVED_TAG.put::<16>(out);
    }
}

impl Reject {
    /// The rejected PDU's 48-byte BHS: the first 48 bytes of the Reject's
    /// data segment, if there are that many.
    pub fn rejected_bhs(data: &[u8]) -> Option<&[u8; BHS_LEN]> {
        data.first_chunk::<BHS_LEN>()
    }
}
