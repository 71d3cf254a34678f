//! SCSI Data-Out and Data-In (RFC 7143 11.7) and Ready To Transfer, R2T
//! (11.8).

use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put8, put_common, put_lun, put_sn,
    require_no_ahs, require_no_data, Opcode, BHS_LEN, FLAG_F,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::scsi::{FLAG_OVERFLOW, FLAG_UNDERFLOW};
use super::serial::Sn;

/// Byte 1 bit 6 of a Data-In: A (Acknowledge: send a DataACK SNACK).
pub const FLAG_A: u8 = 0x40;
/// Byte 1 bit 0 of a Data-In: S (status present; implies F).
pub const FLAG_S: u8 = 0x01;

/// SCSI Data-Out header (opcode 0x05, RFC 7143 11.7). The data segment is
/// write data at `buffer_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataOut {
    /// F bit: last PDU of this (solicited or unsolicited) burst.
    pub final_bit: bool,
    /// DataSegmentLength: data, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16): copied from the R2T (or the command).
    pub lun: Lun,
    /// Initiator Task Tag of the command (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24): copied from the R2T, or
    /// 0xffffffff for unsolicited data.
    pub ttt: u32,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
    /// DataSN (bytes 36..40): counts the Data-Out PDUs of this burst from
    /// 0.
    pub data_sn: Sn,
    /// Buffer Offset (bytes 40..44), in bytes from the start of the
    /// command's data.
    pub buffer_offset: u32,
}

impl DataOut {
    /// Decode a SCSI Data-Out BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<DataOut, CodecError> {
        expect_opcode(b, Opcode::DataOut)?;
        require_no_ahs(b)?;
        Ok(DataOut {
            final_bit: b[1] & FLAG_F != 0,
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            exp_stat_sn: get_sn::<28>(b),
            data_sn: get_sn::<36>(b),
            buffer_offset: get32::<40>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let f = if self.final_bit { FLAG_F } else { 0 };
        put_common(out, Opcode::DataOut, false, f, 0, self.data_segment_length)?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt);
        put_sn::<28>(out, self.exp_stat_sn);
        put_sn::<36>(out, self.data_sn);
        put32::<40>(out, self.buffer_offset);
        Ok(())
    }
}

/// SCSI Data-In header (opcode 0x25, RFC 7143 11.7). The data segment is
/// read data at `buffer_offset`. With the S bit it also carries the
/// command's status (phase collapse), in which case `stat_sn`, `status` and
/// the residual fields are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataIn {
    /// F bit: last PDU of the sequence (always set with S).
    pub final_bit: bool,
    /// A bit: the target asks for a DataACK SNACK (ErrorRecoveryLevel > 0).
    pub acknowledge: bool,
    /// O bit: Residual Overflow (valid with S).
    pub residual_overflow: bool,
    /// U bit: Residual Underflow (valid with S).
    pub residual_underflow: bool,
    /// S bit: status present.
    pub status_present: bool,
    /// Status (byte 3): SCSI status, valid with S.
    pub status: u8,
    /// DataSegmentLength: data, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16), valid with the A bit.
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24): 0xffffffff unless A is set.
    pub ttt: u32,
    /// StatSN (bytes 24..28), valid with S.
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// DataSN (bytes 36..40): counts the Data-In PDUs of the command from
    /// 0.
    pub data_sn: Sn,
    /// Buffer Offset (bytes 40..44), in bytes.
    pub buffer_offset: u32,
    /// Residual Count (bytes 44..48), in bytes, valid with S.
    pub residual_count: u32,
}

impl DataIn {
    /// Decode a SCSI Data-In BHS. Fails if S is set without F, or O and U
    /// are both set.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<DataIn, CodecError> {
        expect_opcode(b, Opcode::DataIn)?;
        require_no_ahs(b)?;
        let f = b[1];
        let d = DataIn {
            final_bit: f & FLAG_F != 0,
            acknowledge: f & FLAG_A != 0,
            residual_overflow: f & FLAG_OVERFLOW != 0,
            residual_underflow: f & FLAG_UNDERFLOW != 0,
            status_present: f & FLAG_S != 0,
            status: b[3],
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            data_sn: get_sn::<36>(b),
            buffer_offset: get32::<40>(b),
            residual_count: get32::<44>(b),
        };
        d.check()?;
        Ok(d)
    }

    fn check(&self) -> Result<(), CodecError> {
        if self.status_present && !self.final_bit {
            return Err(CodecError::FieldOutOfRange(Field::StatusBit));
        }
        if self.residual_overflow && self.residual_underflow {
            return Err(CodecError::FieldOutOfRange(Field::ResidualFlags));
        }
        Ok(())
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        self.check()?;
        let f = if self.final_bit { FLAG_F } else { 0 }
            | if self.acknowledge { FLAG_A } else { 0 }
            | if self.residual_overflow {
                FLAG_OVERFLOW
            } else {
                0
            }
            | if self.residual_underflow {
                FLAG_UNDERFLOW
            } else {
                0
            }
            | if self.status_present { FLAG_S } else { 0 };
        put_common(out, Opcode::DataIn, false, f, 0, self.data_segment_length)?;
        put8::<3>(out, self.status);
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put_sn::<36>(out, self.data_sn);
        put32::<40>(out, self.buffer_offset);
        put32::<44>(out, self.residual_count);
        Ok(())
    }
}

/// Ready To Transfer header (opcode 0x31, RFC 7143 11.8): the target
/// asks for `desired_data_transfer_length` bytes of write data at
/// `buffer_offset`. No data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct R2t {
    /// LUN (bytes 8..16).
    pub lun: Lun,
    /// Initiator Task Tag of the command (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24), to copy into the Data-Out PDUs.
    pub ttt: u32,
    /// StatSN (bytes 24..28): the next StatSN, not advanced by the R2T.
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// R2TSN (bytes 36..40): counts the R2Ts of the command from 0.
    pub r2t_sn: Sn,
    /// Buffer Offset (bytes 40..44), in bytes.
    pub buffer_offset: u32,
    /// Desired Data Transfer Length (bytes 44..48), in bytes; never 0.
    pub desired_data_transfer_length: u32,
}

impl R2t {
    /// Decode an R2T BHS. Fails if Desired Data Transfer Length is 0 or a
    /// data segment is announced.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<R2t, CodecError> {
        expect_opcode(b, Opcode::R2t)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        let r = R2t {
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            r2t_sn: get_sn::<36>(b),
            buffer_offset: get32::<40>(b),
            desired_data_transfer_length: get32::<44>(b),
        };
        r.check()?;
        Ok(r)
    }

    fn check(&self) -> Result<(), CodecError> {
        if self.desired_data_transfer_length == 0 {
            Err(CodecError::FieldOutOfRange(
                Field::DesiredDataTransferLength,
            ))
        } else {
            Ok(())
        }
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        self.check()?;
        put_common(out, Opcode::R2t, false, FLAG_F, 0, 0)?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put_sn::<36>(out, self.r2t_sn);
        put32::<40>(out, self.buffer_offset);
        put32::<44>(out, self.desired_data_transfer_length);
        Ok(())
    }
}
