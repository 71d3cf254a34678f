//! Asynchronous Message (RFC 7143 11.9).

use super::bhs::{
    expect_opcode, get16, get_lun, get_sn, put16, put32, put8, put_common, put_lun, put_sn,
    require_no_ahs, Opcode, BHS_LEN, FLAG_F, RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

/// AsyncEvent of an Asynchronous Message (byte 36, RFC 7143 11.9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AsyncEvent {
    /// 0: a SCSI asynchronous event; sense data in the data segment.
    #[default]
    ScsiEvent,
    /// 1: the target requests a logout within Parameter3 seconds.
    LogoutRequest,
    /// 2: the target will drop connection Parameter1 (Parameter2 =
    /// Time2Wait, Parameter3 = Time2Retain).
    ConnectionDrop,
    /// 3: the target will drop all connections of the session.
    SessionDrop,
    /// 4: the target requests parameter negotiation (Text Request).
    NegotiationRequest,
    /// 5: all active tasks for the LU in the LUN field are terminated.
    TaskTermination,
    /// 255: vendor-specific iSCSI event (AsyncVCode says which).
    VendorSpecific,
}

impl AsyncEvent {
    /// Parse the AsyncEvent byte (6..=254 are reserved).
    pub const fn from_u8(v: u8) -> Result<AsyncEvent, CodecError> {
        Ok(match v {
            0 => AsyncEvent::ScsiEvent,
            1 => AsyncEvent::LogoutRequest,
            2 => AsyncEvent::ConnectionDrop,
            3 => AsyncEvent::SessionDrop,
            4 => AsyncEvent::NegotiationRequest,
            5 => AsyncEvent::TaskTermination,
            255 => AsyncEvent::VendorSpecific,
            _ => return Err(CodecError::FieldOutOfRange(Field::AsyncEvent)),
        })
    }

    /// The AsyncEvent byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            AsyncEvent::ScsiEvent => 0,
            AsyncEvent::LogoutRequest => 1,
            AsyncEvent::ConnectionDrop => 2,
            AsyncEvent::SessionDrop => 3,
            AsyncEvent::NegotiationRequest => 4,
            AsyncEvent::TaskTermination => 5,
            AsyncEvent::VendorSpecific => 255,
        }
    }
}

/// Asynchronous Message header (opcode 0x32, RFC 7143 11.9). The ITT is
/// always 0xffffffff (not stored). The data segment holds SenseLength +
/// sense data + iSCSI event data (same framing as a SCSI Response, see
/// [`super::scsi::sense_data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncMessage {
    /// DataSegmentLength, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16), for SCSI events and task termination.
    pub lun: Lun,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// AsyncEvent (byte 36).
    pub async_event: AsyncEvent,
    /// AsyncVCode (byte 37): vendor code for AsyncEvent 255.
    pub async_vcode: u8,
    /// Parameter1 (bytes 38..40).
    pub parameter1: u16,
    /// Parameter2 (bytes 40..42).
    pub parameter2: u16,
    /// Parameter3 (bytes 42..44).
    pub parameter3: u16,
}

impl AsyncMessage {
    /// Decode an Asynchronous Message BHS (the ITT is not checked).
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<AsyncMessage, CodecError> {
        expect_opcode(b, Opcode::AsyncMessage)?;
        require_no_ahs(b)?;
        Ok(AsyncMessage {
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            async_event: AsyncEvent::from_u8(b[36])?,
            async_vcode: b[37],
            parameter1: get16::<38>(b),
            parameter2: get16::<40>(b),
            parameter3: get16::<42>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written; ITT = 0xffffffff).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::AsyncMessage,
            false,
            FLAG_F,
            0,
            self.data_segment_length,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, RESERVED_TAG);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put8::<36>(out, self.async_event.as_u8());
        put8::<37>(out, self.async_vcode);
        put16::<38>(out, self.parameter1);
        put16::<40>(out, self.parameter2);
        put16::<42>(out, self.parameter3);
        Ok(())
    }
}
