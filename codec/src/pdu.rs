//! [`Pdu`]: any decoded BHS, as one enum over the typed headers of RFC 7143
//! section 11, with decode/encode dispatch and the accessors a receive
//! loop needs (ITT, StatSN, ExpCmdSN/MaxCmdSN, [`Layout`]).

use super::async_msg::AsyncMessage;
use super::bhs::{Layout, Opcode, BHS_LEN, RESERVED_TAG};
use super::data::{DataIn, DataOut, R2t};
use super::digest::{
    digest_to_wire, header_digest, pad_len, verify_data_digest, verify_header_digest, Crc32c,
    DIGEST_LEN,
};
use super::error::{CodecError, Field};
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

/// A complete PDU found at the start of a byte buffer by [`parse_pdu`],
/// borrowing from that buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedPdu<'a> {
    /// The decoded header.
    pub pdu: Pdu,
    /// Where everything is.
    pub layout: Layout,
    /// The AHS bytes (TotalAHSLength * 4), possibly empty.
    pub ahs: &'a [u8],
    /// The data segment, DataSegmentLength bytes, without padding.
    pub data: &'a [u8],
}

fn take(buf: &[u8], at: usize, len: usize) -> Result<&[u8], CodecError> {
    let end = at.saturating_add(len);
    buf.get(at..end).ok_or(CodecError::BufferTooSmall {
        needed: end,
        available: buf.len(),
    })
}

fn take4(buf: &[u8], at: usize) -> Result<[u8; 4], CodecError> {
    let short = CodecError::BufferTooSmall {
        needed: at.saturating_add(DIGEST_LEN),
        available: buf.len(),
    };
    take(buf, at, DIGEST_LEN)?.try_into().map_err(|_| short)
}

/// `split_at_mut` that reports a short buffer instead of panicking.
fn split_mut(
    buf: &mut [u8],
    mid: usize,
    available: usize,
) -> Result<(&mut [u8], &mut [u8]), CodecError> {
    buf.split_at_mut_checked(mid)
        .ok_or(CodecError::BufferTooSmall {
            needed: mid,
            available,
        })
}

/// Parse one complete PDU from the start of `buf` (for byte-stream users
/// such as the helper during login): decode the BHS, compute the
/// [`Layout`], check the negotiated digests (`Some(crc)` = CRC32C in use;
/// header and data digests checked independently) and return the pieces.
/// The PDU occupies `layout.total()` bytes of `buf`; if `buf` is shorter,
/// the error is [`CodecError::BufferTooSmall`] with `needed` = the whole
/// PDU length (once the BHS is there), so the caller can read more and
/// retry.
pub fn parse_pdu<'a>(
    buf: &'a [u8],
    header_digest: Option<&dyn Crc32c>,
    data_digest: Option<&dyn Crc32c>,
    max_recv_dsl: u32,
) -> Result<ParsedPdu<'a>, CodecError> {
    let bhs: &[u8; BHS_LEN] = buf
        .first_chunk::<BHS_LEN>()
        .ok_or(CodecError::BufferTooSmall {
            needed: BHS_LEN,
            available: buf.len(),
        })?;
    let pdu = Pdu::decode(bhs)?;
    let layout = pdu.layout(header_digest.is_some(), data_digest.is_some(), max_recv_dsl)?;
    if buf.len() < layout.total() {
        return Err(CodecError::BufferTooSmall {
            needed: layout.total(),
            available: buf.len(),
        });
    }
    let ahs = take(buf, BHS_LEN, layout.ahs_len)?;
    if let Some(crc) = header_digest {
        verify_header_digest(
            crc,
            bhs,
            ahs,
            take4(buf, BHS_LEN.saturating_add(layout.ahs_len))?,
        )?;
    }
    let data_off = layout.data_offset();
    let data = take(buf, data_off, layout.data_len)?;
    if let (Some(crc), true) = (data_digest, layout.data_digest_len != 0) {
        let padded = take(
            buf,
            data_off,
            layout.data_len.saturating_add(layout.pad_len),
        )?;
        let wire = take4(buf, data_off.saturating_add(padded.len()))?;
        verify_data_digest(crc, padded, wire)?;
    }
    Ok(ParsedPdu {
        pdu,
        layout,
        ahs,
        data,
    })
}

/// Write a complete PDU into `out`: BHS, `ahs`, header digest (if
/// `header_digest` is `Some`), `data`, zero padding, data digest (if
/// `data_digest` is `Some` and `data` is not empty). `ahs.len()` must be
/// TotalAHSLength * 4 and `data.len()` the DataSegmentLength of `pdu`.
/// Returns the bytes written.
pub fn write_pdu(
    pdu: &Pdu,
    ahs: &[u8],
    data: &[u8],
    header_digest_crc: Option<&dyn Crc32c>,
    data_digest_crc: Option<&dyn Crc32c>,
    out: &mut [u8],
) -> Result<usize, CodecError> {
    if ahs.len() != usize::from(pdu.total_ahs_length()) * 4 {
        return Err(CodecError::InconsistentLength(Field::TotalAhsLength));
    }
    if u32::try_from(data.len()).ok() != Some(pdu.data_segment_length()) {
        return Err(CodecError::InconsistentLength(Field::DataSegmentLength));
    }
    let layout = pdu.layout(
        header_digest_crc.is_some(),
        data_digest_crc.is_some(),
        u32::MAX,
    )?;
    let available = out.len();
    let dst = out
        .get_mut(..layout.total())
        .ok_or(CodecError::BufferTooSmall {
            needed: layout.total(),
            available,
        })?;
    let (bhs_out, rest) =
        dst.split_first_chunk_mut::<BHS_LEN>()
            .ok_or(CodecError::BufferTooSmall {
                needed: BHS_LEN,
                available,
            })?;
    pdu.encode(bhs_out)?;
    // `dst` is exactly layout.total() bytes, so none of these splits fail.
    let (ahs_out, rest) = split_mut(rest, ahs.len(), available)?;
    ahs_out.copy_from_slice(ahs);
    let rest = match header_digest_crc {
        Some(crc) => {
            let (d, rest) = split_mut(rest, DIGEST_LEN, available)?;
            d.copy_from_slice(&digest_to_wire(header_digest(crc, bhs_out, ahs)));
            rest
        }
        None => rest,
    };
    let (data_out, rest) = split_mut(rest, data.len(), available)?;
    data_out.copy_from_slice(data);
    let (pad, rest) = split_mut(rest, pad_len(data.len()), available)?;
    pad.fill(0);
    if let (Some(crc), false) = (data_digest_crc, data.is_empty()) {
        let c = crc.append(crc.append(0, data), pad);
        let (d, _) = split_mut(rest, DIGEST_LEN, available)?;
        d.copy_from_slice(&digest_to_wire(c));
    }
    Ok(layout.total())
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
