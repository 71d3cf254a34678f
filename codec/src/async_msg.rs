//! Asynchronous Message (RFC 7143 11.9).

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, put_common, require_no_ahs, BhsField, Opcode,
    FLAG_F, RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

super::bhs::byte_enum! {
    /// AsyncEvent of an Asynchronous Message (byte 36, RFC 7143 11.9.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum AsyncEvent {
        /// 0: a SCSI asynchronous event; sense data in the data segment.
        #[default]
        ScsiEvent => 0,
        /// 1: the target requests a logout within Parameter3 seconds.
        LogoutRequest => 1,
        /// 2: the target will drop connection Parameter1 (Parameter2 =
        /// Time2Wait, Parameter3 = Time2Retain).
        ConnectionDrop => 2,
        /// 3: the target will drop all connections of the session.
        SessionDrop => 3,
        /// 4: the target requests parameter negotiation (Text Request).
        NegotiationRequest => 4,
        /// 5: all active tasks for the LU in the LUN field are terminated.
        TaskTermination => 5,
        /// 255: vendor-specific iSCSI event (AsyncVCode says which).
        VendorSpecific => 255,
    }
    /// Parse the AsyncEvent byte (6..=254 are reserved).
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::AsyncEvent);
    /// The AsyncEvent byte.
    pub const fn as_u8;
}

bhs_pdu! {
    /// Asynchronous Message header (opcode 0x32, RFC 7143 11.9). The ITT is
    /// always 0xffffffff (not stored). The data segment holds SenseLength +
    /// sense data + iSCSI event data (same framing as a SCSI Response, see
    /// [`super::scsi::sense_data`]).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct AsyncMessage {
        /// DataSegmentLength, in bytes.
        pub data_segment_length: u32,
        /// LUN, for SCSI events and task termination.
        pub lun: Lun @ 8..16,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// AsyncEvent.
        pub async_event: AsyncEvent @ 36,
        /// AsyncVCode: vendor code for AsyncEvent 255.
        pub async_vcode: u8 @ 37,
        /// Parameter1.
        pub parameter1: u16 @ 38..40,
        /// Parameter2.
        pub parameter2: u16 @ 40..42,
        /// Parameter3.
        pub parameter3: u16 @ 42..44,
    }
    /// Decode an Asynchronous Message BHS (the ITT is not checked).
    fn decode(b) {
        expect_opcode(b, Opcode::AsyncMessage)?;
        require_no_ahs(b)?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written; ITT = 0xffffffff).
    fn encode(&self, out) {
        let dsl = self.data_segment_length;
        put_common(out, Opcode::AsyncMessage, false, FLAG_F, 0, dsl)?;
        RESERVED_TAG.put::<16>(out);
    }
}
