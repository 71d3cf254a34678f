//! [`Pdu`]: any decoded BHS, as one enum over the typed headers of RFC 7143
//! section 11, with decode/encode dispatch and the accessors a receive
//! loop needs (ITT, StatSN, ExpCmdSN/MaxCmdSN, [`Layout`]).

use super::async_msg::AsyncMessage;
use super::bhs::{Layout, Opcode, BHS_LEN, RESERVED_TAG};
use super::data::{DataIn, DataOut, R2t};
use super::error::CodecError;
use super::login::{LoginRequest, LoginResponse};
use super::logout::{LogoutRequest, LogoutResponse};
use super::nop::{NopIn, NopOut};
use super::reject::Reject;
use super::scsi::{ScsiCommand, ScsiResponse};
use super::serial::Sn;
use super::snack::SnackRequest;
use super::text::{TextRequest, TextResponse};
use super::tmf::{TaskMgmtRequest, TaskMgmtResponse};

/// A decoded Basic Header Segment: one variant per PDU type of RFC 7143
/// section 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pdu {
    /// NOP-Out (0x00).
    NopOut(NopOut),
    /// SCSI Command (0x01).
    ScsiCommand(ScsiCommand),
    /// Task Management Function Request (0x02).
    TaskMgmtRequest(TaskMgmtRequest),
    /// Login Request (0x03).
    LoginRequest(LoginRequest),
    /// Text Request (0x04).
    TextRequest(TextRequest),
    /// SCSI Data-Out (0x05).
    DataOut(DataOut),
    /// Logout Request (0x06).
    LogoutRequest(LogoutRequest),
    /// SNACK Request (0x10).
    SnackRequest(SnackRequest),
    /// NOP-In (0x20).
    NopIn(NopIn),
    /// SCSI Response (0x21).
    ScsiResponse(ScsiResponse),
    /// Task Management Function Response (0x22).
    TaskMgmtResponse(TaskMgmtResponse),
    /// Login Response (0x23).
    LoginResponse(LoginResponse),
    /// Text Response (0x24).
    TextResponse(TextResponse),
    /// SCSI Data-In (0x25).
    DataIn(DataIn),
    /// Logout Response (0x26).
    LogoutResponse(LogoutResponse),
    /// Ready To Transfer (0x31).
    R2t(R2t),
    /// Asynchronous Message (0x32).
    AsyncMessage(AsyncMessage),
    /// Reject (0x3f).
    Reject(Reject),
}

impl Pdu {
    /// Decode a 48-byte BHS into its typed header. Never panics; every
    /// malformed input is a [`CodecError`]. Reserved bits and bytes are
    /// ignored. The AHS of a SCSI Command is parsed separately
    /// ([`super::ahs::CommandAhs::parse`]) once [`Pdu::layout`] said how
    /// long it is.
    pub fn decode(bhs: &[u8; BHS_LEN]) -> Result<Pdu, CodecError> {
        Ok(match super::bhs::opcode(bhs)? {
            Opcode::NopOut => Pdu::NopOut(NopOut::decode(bhs)?),
            Opcode::ScsiCommand => Pdu::ScsiCommand(ScsiCommand::decode(bhs)?),
            Opcode::TaskMgmtRequest => Pdu::TaskMgmtRequest(TaskMgmtRequest::decode(bhs)?),
            Opcode::LoginRequest => Pdu::LoginRequest(LoginRequest::decode(bhs)?),
            Opcode::TextRequest => Pdu::TextRequest(TextRequest::decode(bhs)?),
            Opcode::DataOut => Pdu::DataOut(DataOut::decode(bhs)?),
            Opcode::LogoutRequest => Pdu::LogoutRequest(LogoutRequest::decode(bhs)?),
            Opcode::SnackRequest => Pdu::SnackRequest(SnackRequest::decode(bhs)?),
            Opcode::NopIn => Pdu::NopIn(NopIn::decode(bhs)?),
            Opcode::ScsiResponse => Pdu::ScsiResponse(ScsiResponse::decode(bhs)?),
            Opcode::TaskMgmtResponse => Pdu::TaskMgmtResponse(TaskMgmtResponse::decode(bhs)?),
            Opcode::LoginResponse => Pdu::LoginResponse(LoginResponse::decode(bhs)?),
            Opcode::TextResponse => Pdu::TextResponse(TextResponse::decode(bhs)?),
            Opcode::DataIn => Pdu::DataIn(DataIn::decode(bhs)?),
            Opcode::LogoutResponse => Pdu::LogoutResponse(LogoutResponse::decode(bhs)?),
            Opcode::R2t => Pdu::R2t(R2t::decode(bhs)?),
            Opcode::AsyncMessage => Pdu::AsyncMessage(AsyncMessage::decode(bhs)?),
            Opcode::Reject => Pdu::Reject(Reject::decode(bhs)?),
        })
    }

    /// Encode the header into `out` (all 48 bytes are written, including
    /// opcode, flags, TotalAHSLength and DataSegmentLength).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        match self {
            Pdu::NopOut(p) => p.encode(out),
            Pdu::ScsiCommand(p) => p.encode(out),
            Pdu::TaskMgmtRequest(p) => p.encode(out),
            Pdu::LoginRequest(p) => p.encode(out),
            Pdu::TextRequest(p) => p.encode(out),
            Pdu::DataOut(p) => p.encode(out),
            Pdu::LogoutRequest(p) => p.encode(out),
            Pdu::SnackRequest(p) => p.encode(out),
            Pdu::NopIn(p) => p.encode(out),
            Pdu::ScsiResponse(p) => p.encode(out),
            Pdu::TaskMgmtResponse(p) => p.encode(out),
            Pdu::LoginResponse(p) => p.encode(out),
            Pdu::TextResponse(p) => p.encode(out),
            Pdu::DataIn(p) => p.encode(out),
            Pdu::LogoutResponse(p) => p.encode(out),
            Pdu::R2t(p) => p.encode(out),
            Pdu::AsyncMessage(p) => p.encode(out),
            Pdu::Reject(p) => p.encode(out),
        }
    }

    /// The opcode.
    pub const fn opcode(&self) -> Opcode {
        match self {
            Pdu::NopOut(_) => Opcode::NopOut,
            Pdu::ScsiCommand(_) => Opcode::ScsiCommand,
            Pdu::TaskMgmtRequest(_) => Opcode::TaskMgmtRequest,
            Pdu::LoginRequest(_) => Opcode::LoginRequest,
            Pdu::TextRequest(_) => Opcode::TextRequest,
            Pdu::DataOut(_) => Opcode::DataOut,
            Pdu::LogoutRequest(_) => Opcode::LogoutRequest,
            Pdu::SnackRequest(_) => Opcode::SnackRequest,
            Pdu::NopIn(_) => Opcode::NopIn,
            Pdu::ScsiResponse(_) => Opcode::ScsiResponse,
            Pdu::TaskMgmtResponse(_) => Opcode::TaskMgmtResponse,
            Pdu::LoginResponse(_) => Opcode::LoginResponse,
            Pdu::TextResponse(_) => Opcode::TextResponse,
            Pdu::DataIn(_) => Opcode::DataIn,
            Pdu::LogoutResponse(_) => Opcode::LogoutResponse,
            Pdu::R2t(_) => Opcode::R2t,
            Pdu::AsyncMessage(_) => Opcode::AsyncMessage,
            Pdu::Reject(_) => Opcode::Reject,
        }
    }

    /// TotalAHSLength, in 4-byte words (non-zero only for SCSI Command).
    pub const fn total_ahs_length(&self) -> u8 {
        match self {
            Pdu::ScsiCommand(p) => p.total_ahs_length,
            _ => 0,
        }
    }

    /// DataSegmentLength, in bytes (0 for PDUs without a data segment).
    pub const fn data_segment_length(&self) -> u32 {
        match self {
            Pdu::NopOut(p) => p.data_segment_length,
            Pdu::ScsiCommand(p) => p.data_segment_length,
            Pdu::LoginRequest(p) => p.data_segment_length,
            Pdu::TextRequest(p) => p.data_segment_length,
            Pdu::DataOut(p) => p.data_segment_length,
            Pdu::NopIn(p) => p.data_segment_length,
            Pdu::ScsiResponse(p) => p.data_segment_length,
            Pdu::LoginResponse(p) => p.data_segment_length,
            Pdu::TextResponse(p) => p.data_segment_length,
            Pdu::DataIn(p) => p.data_segment_length,
            Pdu::AsyncMessage(p) => p.data_segment_length,
            Pdu::Reject(p) => p.data_segment_length,
            Pdu::TaskMgmtRequest(_)
            | Pdu::LogoutRequest(_)
            | Pdu::SnackRequest(_)
            | Pdu::TaskMgmtResponse(_)
            | Pdu::LogoutResponse(_)
            | Pdu::R2t(_) => 0,
        }
    }

    /// The Initiator Task Tag (0xffffffff for Asynchronous Message and
    /// Reject, whose ITT field is always that).
    pub const fn itt(&self) -> u32 {
        match self {
            Pdu::NopOut(p) => p.itt,
            Pdu::ScsiCommand(p) => p.itt,
            Pdu::TaskMgmtRequest(p) => p.itt,
            Pdu::LoginRequest(p) => p.itt,
            Pdu::TextRequest(p) => p.itt,
            Pdu::DataOut(p) => p.itt,
            Pdu::LogoutRequest(p) => p.itt,
            Pdu::SnackRequest(p) => p.itt,
            Pdu::NopIn(p) => p.itt,
            Pdu::ScsiResponse(p) => p.itt,
            Pdu::TaskMgmtResponse(p) => p.itt,
            Pdu::LoginResponse(p) => p.itt,
            Pdu::TextResponse(p) => p.itt,
            Pdu::DataIn(p) => p.itt,
            Pdu::LogoutResponse(p) => p.itt,
            Pdu::R2t(p) => p.itt,
            Pdu::AsyncMessage(_) | Pdu::Reject(_) => RESERVED_TAG,
        }
    }

    /// The StatSN a target PDU carries, if it carries a valid one (Data-In
    /// only with the S bit). `None` for initiator PDUs.
    pub const fn stat_sn(&self) -> Option<Sn> {
        match self {
            Pdu::NopIn(p) => Some(p.stat_sn),
            Pdu::ScsiResponse(p) => Some(p.stat_sn),
            Pdu::TaskMgmtResponse(p) => Some(p.stat_sn),
            Pdu::LoginResponse(p) => Some(p.stat_sn),
            Pdu::TextResponse(p) => Some(p.stat_sn),
            Pdu::DataIn(p) => {
                if p.status_present {
                    Some(p.stat_sn)
                } else {
                    None
                }
            }
            Pdu::LogoutResponse(p) => Some(p.stat_sn),
            Pdu::R2t(p) => Some(p.stat_sn),
            Pdu::AsyncMessage(p) => Some(p.stat_sn),
            Pdu::Reject(p) => Some(p.stat_sn),
            _ => None,
        }
    }

    /// `(ExpCmdSN, MaxCmdSN)` of a target PDU, to feed
    /// [`super::serial::CmdWindow::update`]. `None` for initiator PDUs.
    pub const fn cmd_window(&self) -> Option<(Sn, Sn)> {
        match self {
            Pdu::NopIn(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::ScsiResponse(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::TaskMgmtResponse(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::LoginResponse(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::TextResponse(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::DataIn(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::LogoutResponse(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::R2t(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::AsyncMessage(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            Pdu::Reject(p) => Some((p.exp_cmd_sn, p.max_cmd_sn)),
            _ => None,
        }
    }

    /// How many bytes follow this BHS, given the negotiated digests and
    /// MaxRecvDataSegmentLength (`max_recv_dsl`, bytes). See [`Layout`].
    pub fn layout(
        &self,
        header_digest: bool,
        data_digest: bool,
        max_recv_dsl: u32,
    ) -> Result<Layout, CodecError> {
        Layout::new(
            self.total_ahs_length(),
            self.data_segment_length(),
            header_digest,
            data_digest,
            max_recv_dsl,
        )
    }
}

macro_rules! from_header {
    ($($t:ident),*) => {
        $(impl From<$t> for Pdu {
            fn from(p: $t) -> Pdu {
                Pdu::$t(p)
            }
        })*
    };
}

from_header!(
    NopOut,
    ScsiCommand,
    TaskMgmtRequest,
    LoginRequest,
    TextRequest,
    DataOut,
    LogoutRequest,
    SnackRequest,
    NopIn,
    ScsiResponse,
    TaskMgmtResponse,
    LoginResponse,
    TextResponse,
    DataIn,
    LogoutResponse,
    R2t,
    AsyncMessage,
    Reject
);
