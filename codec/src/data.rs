//! SCSI Data-Out and Data-In (RFC 7143 11.7) and Ready To Transfer, R2T
//! (11.8).

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, flag_bits, put_common, require_no_ahs,
    require_no_data, Opcode, FLAG_F,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::scsi::{FLAG_OVERFLOW, FLAG_UNDERFLOW};
use super::serial::Sn;

/// Byte 1 bit 6 of a Data-In: A (Acknowledge: send a DataACK SNACK).
pub const FLAG_A: u8 = 0x40;
/// Byte 1 bit 0 of a Data-In: S (status present; implies F).
pub const FLAG_S: u8 = 0x01;

bhs_pdu! {
    /// SCSI Data-Out header (opcode 0x05, RFC 7143 11.7). The data segment is
    /// write data at `buffer_offset`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct DataOut {
        /// F bit: last PDU of this (solicited or unsolicited) burst.
        pub final_bit: bool,
        /// DataSegmentLength: data, in bytes.
        pub data_segment_length: u32,
        /// LUN: copied from the R2T (or the command).
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag of the command.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag: copied from the R2T, or 0xffffffff for
        /// unsolicited data.
        pub ttt: u32 @ 20..24,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
        /// DataSN: counts the Data-Out PDUs of this burst from 0.
        pub data_sn: Sn @ 36..40,
        /// Buffer Offset, in bytes from the start of the command's data.
        pub buffer_offset: u32 @ 40..44,
    }
    /// Decode a SCSI Data-Out BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::DataOut)?;
        require_no_ahs(b)?;
        let final_bit = b[1] & FLAG_F != 0;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let f = if self.final_bit { FLAG_F } else { 0 };
        put_common(out, Opcode::DataOut, false, f, 0, self.data_segment_length)?;
    }
}

bhs_pdu! {
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
        /// Status: SCSI status, valid with S.
        pub status: u8 @ 3,
        /// DataSegmentLength: data, in bytes.
        pub data_segment_length: u32,
        /// LUN, valid with the A bit.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag: 0xffffffff unless A is set.
        pub ttt: u32 @ 20..24,
        /// StatSN, valid with S.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// DataSN: counts the Data-In PDUs of the command from 0.
        pub data_sn: Sn @ 36..40,
        /// Buffer Offset, in bytes.
        pub buffer_offset: u32 @ 40..44,
        /// Residual Count, in bytes, valid with S.
        pub residual_count: u32 @ 44..48,
    }
    /// Decode a SCSI Data-In BHS. Fails if S is set without F, or O and U
    /// are both set.
    fn decode(b) {
        expect_opcode(b, Opcode::DataIn)?;
        require_no_ahs(b)?;
        let [final_bit, acknowledge, residual_overflow, residual_underflow, status_present] =
            [FLAG_F, FLAG_A, FLAG_OVERFLOW, FLAG_UNDERFLOW, FLAG_S].map(|m| b[1] & m != 0);
        let data_segment_length = data_segment_length(b);
    } then check()
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        self.check()?;
        let f = flag_bits(&[
            (self.final_bit, FLAG_F),
            (self.acknowledge, FLAG_A),
            (self.residual_overflow, FLAG_OVERFLOW),
            (self.residual_underflow, FLAG_UNDERFLOW),
            (self.status_present, FLAG_S),
        ]);
        put_common(out, Opcode::DataIn, false, f, 0, self.data_segment_length)?;
    }
}

impl DataIn {
    fn check(&self) -> Result<(), CodecError> {
        if self.status_present && !self.final_bit {
            return Err(CodecError::FieldOutOfRange(Field::StatusBit));
        }
        if self.residual_overflow && self.residual_underflow {
            return Err(CodecError::FieldOutOfRange(Field::ResidualFlags));
        }
        Ok(())
    }
}

bhs_pdu! {
    /// Ready To Transfer header (opcode 0x31, RFC 7143 11.8): the target
    /// asks for `desired_data_transfer_length` bytes of write data at
    /// `buffer_offset`. No data segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct R2t {
        /// LUN.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag of the command.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag, to copy into the Data-Out PDUs.
        pub ttt: u32 @ 20..24,
        /// StatSN: the next StatSN, not advanced by the R2T.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// R2TSN: counts the R2Ts of the command from 0.
        pub r2t_sn: Sn @ 36..40,
        /// Buffer Offset, in bytes.
        pub buffer_offset: u32 @ 40..44,
        /// Desired Data Transfer Length, in bytes; never 0.
        pub desired_data_transfer_length: u32 @ 44..48,
    }
    /// Decode an R2T BHS. Fails if Desired Data Transfer Length is 0 or a
    /// data segment is announced.
    fn decode(b) {
        expect_opcode(b, Opcode::R2t)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
    } then check()
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        self.check()?;
        put_common(out, Opcode::R2t, false, FLAG_F, 0, 0)?;
    }
}

impl R2t {
    fn check(&self) -> Result<(), CodecError> {
        if self.desired_data_transfer_length == 0 {
            Err(CodecError::FieldOutOfRange(
                Field::DesiredDataTransferLength,
            ))
        } else {
            Ok(())
        }
    }
}
