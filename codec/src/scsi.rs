//! SCSI Command (RFC 7143 11.3) and SCSI Response (11.4), with the sense
//! data framing of the SCSI Response data segment (11.4.7).

use super::ahs::{write_extended_cdb, CommandAhs};
use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put8, put_common, put_lun, put_sn,
    require_no_ahs, Opcode, BHS_LEN, FLAG_F, FLAG_I,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

/// Bytes of CDB carried in the BHS (bytes 32..48). Longer CDBs continue in
/// an Extended CDB AHS.
pub const BHS_CDB_LEN: usize = 16;

/// Byte 1 bit 6 of a SCSI Command: R (read: Data-In expected).
pub const FLAG_R: u8 = 0x40;
/// Byte 1 bit 5 of a SCSI Command: W (write: Data-Out expected).
pub const FLAG_W: u8 = 0x20;

/// SCSI status GOOD (SAM).
pub const STATUS_GOOD: u8 = 0x00;
/// SCSI status CHECK CONDITION (sense data in the data segment).
pub const STATUS_CHECK_CONDITION: u8 = 0x02;
/// SCSI status CONDITION MET.
pub const STATUS_CONDITION_MET: u8 = 0x04;
/// SCSI status BUSY.
pub const STATUS_BUSY: u8 = 0x08;
/// SCSI status RESERVATION CONFLICT.
pub const STATUS_RESERVATION_CONFLICT: u8 = 0x18;
/// SCSI status TASK SET FULL.
pub const STATUS_TASK_SET_FULL: u8 = 0x28;
/// SCSI status ACA ACTIVE.
pub const STATUS_ACA_ACTIVE: u8 = 0x30;
/// SCSI status TASK ABORTED.
pub const STATUS_TASK_ABORTED: u8 = 0x40;

/// ATTR, the SAM task attribute of a SCSI Command (byte 1 bits 2-0, RFC
/// 7143 11.3.1.3). Values 5-7 are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskAttribute {
    /// 0: Untagged.
    Untagged = 0,
    /// 1: Simple.
    #[default]
    Simple = 1,
    /// 2: Ordered.
    Ordered = 2,
    /// 3: Head of queue.
    HeadOfQueue = 3,
    /// 4: ACA.
    Aca = 4,
}

impl TaskAttribute {
    /// Parse the 3-bit ATTR value.
    pub const fn from_u8(v: u8) -> Result<TaskAttribute, CodecError> {
        Ok(match v {
            0 => TaskAttribute::Untagged,
            1 => TaskAttribute::Simple,
            2 => TaskAttribute::Ordered,
            3 => TaskAttribute::HeadOfQueue,
            4 => TaskAttribute::Aca,
            _ => return Err(CodecError::FieldOutOfRange(Field::TaskAttribute)),
        })
    }
}

/// SCSI Command header (opcode 0x01, RFC 7143 11.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScsiCommand {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// F bit: no unsolicited Data-Out PDUs follow (byte 1 bit 7).
    pub final_bit: bool,
    /// R bit: the command expects input data (Data-In).
    pub read: bool,
    /// W bit: the command expects output data (Data-Out).
    pub write: bool,
    /// ATTR: task attribute.
    pub attr: TaskAttribute,
    /// TotalAHSLength, in 4-byte words (Extended CDB and/or Bidirectional
    /// Read Expected Data Transfer Length AHS follow the BHS).
    pub total_ahs_length: u8,
    /// DataSegmentLength: immediate data, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16).
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// Expected Data Transfer Length (bytes 20..24), in bytes; for a
    /// bidirectional command the write length.
    pub expected_data_transfer_length: u32,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
    /// SCSI CDB (bytes 32..48): the first 16 bytes of the CDB, zero-padded.
    pub cdb: [u8; BHS_CDB_LEN],
}

impl ScsiCommand {
    /// Decode a SCSI Command BHS. The AHS (TotalAHSLength * 4 bytes) is
    /// parsed separately with [`super::ahs::CommandAhs::parse`].
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<ScsiCommand, CodecError> {
        expect_opcode(b, Opcode::ScsiCommand)?;
        let f = b[1];
        let mut cdb = [0u8; BHS_CDB_LEN];
        for (d, s) in cdb.iter_mut().zip(b.iter().skip(32)) {
            *d = *s;
        }
        Ok(ScsiCommand {
            immediate: b[0] & FLAG_I != 0,
            final_bit: f & FLAG_F != 0,
            read: f & FLAG_R != 0,
            write: f & FLAG_W != 0,
            attr: TaskAttribute::from_u8(f & 0x07)?,
            total_ahs_length: b[4],
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            expected_data_transfer_length: get32::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
            cdb,
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let flags = if self.final_bit { FLAG_F } else { 0 }
            | if self.read { FLAG_R } else { 0 }
            | if self.write { FLAG_W } else { 0 }
            | self.attr as u8;
        put_common(
            out,
            Opcode::ScsiCommand,
            self.immediate,
            flags,
            self.total_ahs_length,
            self.data_segment_length,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.expected_data_transfer_length);
        put_sn::<24>(out, self.cmd_sn);
        put_sn::<28>(out, self.exp_stat_sn);
        for (o, c) in out.iter_mut().skip(32).zip(self.cdb.iter()) {
            *o = *c;
        }
        Ok(())
    }

    /// Set the CDB (1..=260 bytes): the first 16 bytes go to
    /// [`ScsiCommand::cdb`] (zero-padded), the rest into an Extended CDB
    /// AHS written at the start of `ahs` (RFC 7143 11.2.2.3). Sets
    /// `total_ahs_length` and returns the AHS bytes written (0 for CDBs of
    /// at most 16 bytes). To add a Bidirectional Read Expected Data Transfer
    /// Length AHS afterwards, use [`super::ahs::write_bidi_read_length`] on
    /// the rest of the buffer and add its length (in words) to
    /// `total_ahs_length`.
    pub fn set_cdb(&mut self, cdb: &[u8], ahs: &mut [u8]) -> Result<usize, CodecError> {
        if cdb.is_empty() || cdb.len() > super::ahs::MAX_CDB_LEN {
            return Err(CodecError::FieldOutOfRange(Field::CdbLength));
        }
        let (head, tail) = cdb.split_at_checked(BHS_CDB_LEN).unwrap_or((cdb, &[]));
        self.cdb = [0; BHS_CDB_LEN];
        for (d, s) in self.cdb.iter_mut().zip(head) {
            *d = *s;
        }
        if tail.is_empty() {
            self.total_ahs_length = 0;
            return Ok(0);
        }
        let n = write_extended_cdb(tail, ahs)?;
        // n <= 248, so n / 4 fits in a u8
        self.total_ahs_length =
            u8::try_from(n / 4).map_err(|_| CodecError::FieldOutOfRange(Field::CdbLength))?;
        Ok(n)
    }

    /// Reassemble the whole CDB from the BHS CDB and a parsed AHS into
    /// `out`; returns its length in bytes (16 if there is no Extended CDB
    /// AHS: the BHS does not say how much of the 16 bytes is used).
    pub fn full_cdb(&self, ahs: &CommandAhs<'_>, out: &mut [u8]) -> Result<usize, CodecError> {
        let ext = ahs.extended_cdb.unwrap_or(&[]);
        let total = BHS_CDB_LEN.saturating_add(ext.len());
        let available = out.len();
        let dst = out.get_mut(..total).ok_or(CodecError::BufferTooSmall {
            needed: total,
            available,
        })?;
        let (head, tail) =
            dst.split_at_mut_checked(BHS_CDB_LEN)
                .ok_or(CodecError::BufferTooSmall {
                    needed: total,
                    available,
                })?;
        head.copy_from_slice(&self.cdb);
        tail.copy_from_slice(ext);
        Ok(total)
    }
}

/// The iSCSI service response of a SCSI Response (byte 2, RFC 7143
/// 11.4.3). 0x02..=0x7f are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ServiceResponse {
    /// 0x00: Command Completed at Target (the Status field is valid).
    #[default]
    CommandCompleted,
    /// 0x01: Target Failure.
    TargetFailure,
    /// 0x80..=0xff: vendor specific.
    VendorSpecific(u8),
}

impl ServiceResponse {
    /// Parse the Response byte.
    pub const fn from_u8(v: u8) -> Result<ServiceResponse, CodecError> {
        match v {
            0x00 => Ok(ServiceResponse::CommandCompleted),
            0x01 => Ok(ServiceResponse::TargetFailure),
            0x80..=0xff => Ok(ServiceResponse::VendorSpecific(v)),
            _ => Err(CodecError::FieldOutOfRange(Field::ServiceResponse)),
        }
    }

    /// The Response byte. A `VendorSpecific` value below 0x80 is encoded as
    /// is (and will not decode).
    pub const fn as_u8(self) -> u8 {
        match self {
            ServiceResponse::CommandCompleted => 0x00,
            ServiceResponse::TargetFailure => 0x01,
            ServiceResponse::VendorSpecific(v) => v,
        }
    }
}

/// Byte 1 bit 4 of a SCSI Response: o, Bidirectional Read Residual
/// Overflow.
pub const FLAG_BIDI_OVERFLOW: u8 = 0x10;
/// Byte 1 bit 3 of a SCSI Response: u, Bidirectional Read Residual
/// Underflow.
pub const FLAG_BIDI_UNDERFLOW: u8 = 0x08;
/// Byte 1 bit 2 (SCSI Response, Data-In): O, Residual Overflow.
pub const FLAG_OVERFLOW: u8 = 0x04;
/// Byte 1 bit 1 (SCSI Response, Data-In): U, Residual Underflow.
pub const FLAG_UNDERFLOW: u8 = 0x02;

/// SCSI Response header (opcode 0x21, RFC 7143 11.4). The data segment,
/// if any, holds SenseLength + sense data + response data (see
/// [`sense_data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScsiResponse {
    /// o bit: Bidirectional Read Residual Overflow.
    pub bidi_read_residual_overflow: bool,
    /// u bit: Bidirectional Read Residual Underflow.
    pub bidi_read_residual_underflow: bool,
    /// O bit: Residual Overflow.
    pub residual_overflow: bool,
    /// U bit: Residual Underflow.
    pub residual_underflow: bool,
    /// Response (byte 2).
    pub response: ServiceResponse,
    /// Status (byte 3): SCSI status, valid if `response` is
    /// CommandCompleted (see the `STATUS_*` constants).
    pub status: u8,
    /// DataSegmentLength: sense and response data, in bytes.
    pub data_segment_length: u32,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// SNACK Tag (bytes 20..24) or 0.
    pub snack_tag: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// ExpDataSN (bytes 36..40): number of Data-In (and R2T) PDUs sent
    /// for the command, or 0.
    pub exp_data_sn: Sn,
    /// Bidirectional Read Residual Count (bytes 40..44), in bytes.
    pub bidi_read_residual_count: u32,
    /// Residual Count (bytes 44..48), in bytes.
    pub residual_count: u32,
}

impl ScsiResponse {
    /// Decode a SCSI Response BHS. Fails if both o and u, or both O and
    /// U, are set, or the Response byte is reserved.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<ScsiResponse, CodecError> {
        expect_opcode(b, Opcode::ScsiResponse)?;
        require_no_ahs(b)?;
        let f = b[1];
        let r = ScsiResponse {
            bidi_read_residual_overflow: f & FLAG_BIDI_OVERFLOW != 0,
            bidi_read_residual_underflow: f & FLAG_BIDI_UNDERFLOW != 0,
            residual_overflow: f & FLAG_OVERFLOW != 0,
            residual_underflow: f & FLAG_UNDERFLOW != 0,
            response: ServiceResponse::from_u8(b[2])?,
            status: b[3],
            data_segment_length: super::bhs::data_segment_length(b),
            itt: get32::<16>(b),
            snack_tag: get32::<20>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            exp_data_sn: get_sn::<36>(b),
            bidi_read_residual_count: get32::<40>(b),
            residual_count: get32::<44>(b),
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<(), CodecError> {
        if (self.bidi_read_residual_overflow && self.bidi_read_residual_underflow)
            || (self.residual_overflow && self.residual_underflow)
        {
            return Err(CodecError::FieldOutOfRange(Field::ResidualFlags));
        }
        ServiceResponse::from_u8(self.response.as_u8())?;
        Ok(())
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        self.check()?;
        let flags = FLAG_F
            | if self.bidi_read_residual_overflow {
                FLAG_BIDI_OVERFLOW
            } else {
                0
            }
            | if self.bidi_read_residual_underflow {
                FLAG_BIDI_UNDERFLOW
            } else {
                0
            }
            | if self.residual_overflow {
                FLAG_OVERFLOW
            } else {
                0
            }
            | if self.residual_underflow {
                FLAG_UNDERFLOW
            } else {
                0
            };
        put_common(
            out,
            Opcode::ScsiResponse,
            false,
            flags,
            0,
            self.data_segment_length,
        )?;
        put8::<2>(out, self.response.as_u8());
        put8::<3>(out, self.status);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.snack_tag);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put_sn::<36>(out, self.exp_data_sn);
        put32::<40>(out, self.bidi_read_residual_count);
        put32::<44>(out, self.residual_count);
        Ok(())
    }
}

/// Split the data segment of a SCSI Response (RFC 7143 11.4.7) into
/// `(sense data, response data)`: the first 2 bytes are SenseLength (big-endian), then SenseLength
/// bytes of sense data, then the rest. An empty segment gives two empty
/// slices.
pub fn sense_data(data: &[u8]) -> Result<(&[u8], &[u8]), CodecError> {
    if data.is_empty() {
        return Ok((&[], &[]));
    }
    let (len, rest) = data
        .split_first_chunk::<2>()
        .ok_or(CodecError::BufferTooSmall {
            needed: 2,
            available: data.len(),
        })?;
    let n = usize::from(u16::from_be_bytes(*len));
    rest.split_at_checked(n).ok_or(CodecError::BufferTooSmall {
        needed: n.saturating_add(2),
        available: data.len(),
    })
}

/// Write SenseLength + `sense` into `out` (the SCSI Response data segment
/// format, RFC 7143 11.4.7.2); returns the bytes written (the
/// DataSegmentLength to send).
pub fn write_sense_data(sense: &[u8], out: &mut [u8]) -> Result<usize, CodecError> {
    let len = u16::try_from(sense.len())
        .map_err(|_| CodecError::FieldOutOfRange(Field::DataSegmentLength))?;
    let total = sense.len().saturating_add(2);
    let available = out.len();
    let dst = out.get_mut(..total).ok_or(CodecError::BufferTooSmall {
        needed: total,
        available,
    })?;
    let (l, s) = dst
        .split_at_mut_checked(2)
        .ok_or(CodecError::BufferTooSmall {
            needed: total,
            available,
        })?;
    l.copy_from_slice(&len.to_be_bytes());
    s.copy_from_slice(sense);
    Ok(total)
}
