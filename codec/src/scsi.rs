//! SCSI Command (RFC 7143 11.3) and SCSI Response (11.4), with the sense
//! data framing of the SCSI Response data segment (11.4.7).

use super::ahs::{write_extended_cdb, CommandAhs};
use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, flag_bits, immediate, put_common, require_no_ahs,
    total_ahs_length, Opcode, FLAG_F,
};
use super::error::{split_out, CodecError, Field};
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

super::bhs::byte_enum! {
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
    /// Parse the 3-bit ATTR value.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::TaskAttribute);
    /// The code, as in the PDU.
    const fn as_u8;
}

bhs_pdu! {
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
        /// LUN.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// Expected Data Transfer Length, in bytes; for a bidirectional
        /// command the write length.
        pub expected_data_transfer_length: u32 @ 20..24,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
        /// SCSI CDB: the first 16 bytes of the CDB, zero-padded.
        pub cdb: [u8; BHS_CDB_LEN] @ 32..48,
    }
    /// Decode a SCSI Command BHS. The AHS (TotalAHSLength * 4 bytes) is
    /// parsed separately with [`super::ahs::CommandAhs::parse`].
    fn decode(b) {
        expect_opcode(b, Opcode::ScsiCommand)?;
        let immediate = immediate(b);
        let [final_bit, read, write] = [FLAG_F, FLAG_R, FLAG_W].map(|m| b[1] & m != 0);
        let attr = TaskAttribute::from_u8(b[1] & 0x07)?;
        let total_ahs_length = total_ahs_length(b);
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let bits = [(self.final_bit, FLAG_F), (self.read, FLAG_R), (self.write, FLAG_W)];
        let flags = flag_bits(&bits) | self.attr.as_u8();
        let (ahs, dsl) = (self.total_ahs_length, self.data_segment_length);
        put_common(out, Opcode::ScsiCommand, self.immediate, flags, ahs, dsl)?;
    }
}

impl ScsiCommand {
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
        let (head, tail) = split_out(out, total, BHS_CDB_LEN)?;
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

bhs_pdu! {
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
        /// Response.
        pub response: ServiceResponse @ 2,
        /// Status: SCSI status, valid if `response` is CommandCompleted (see
        /// the `STATUS_*` constants).
        pub status: u8 @ 3,
        /// DataSegmentLength: sense and response data, in bytes.
        pub data_segment_length: u32,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// SNACK Tag or 0.
        pub snack_tag: u32 @ 20..24,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// ExpDataSN: number of Data-In (and R2T) PDUs sent for the
        /// command, or 0.
        pub exp_data_sn: Sn @ 36..40,
        /// Bidirectional Read Residual Count, in bytes.
        pub bidi_read_residual_count: u32 @ 40..44,
        /// Residual Count, in bytes.
        pub residual_count: u32 @ 44..48,
    }
    /// Decode a SCSI Response BHS. Fails if both o and u, or both O and
    /// U, are set, or the Response byte is reserved.
    fn decode(b) {
        expect_opcode(b, Opcode::ScsiResponse)?;
        require_no_ahs(b)?;
        let [
            bidi_read_residual_overflow,
            bidi_read_residual_underflow,
            residual_overflow,
            residual_underflow,
        ] = [FLAG_BIDI_OVERFLOW, FLAG_BIDI_UNDERFLOW, FLAG_OVERFLOW, FLAG_UNDERFLOW]
            .map(|m| b[1] & m != 0);
        let data_segment_length = data_segment_length(b);
    } then check()
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        self.check()?;
        let flags = FLAG_F
            | flag_bits(&[
                (self.bidi_read_residual_overflow, FLAG_BIDI_OVERFLOW),
                (self.bidi_read_residual_underflow, FLAG_BIDI_UNDERFLOW),
                (self.residual_overflow, FLAG_OVERFLOW),
                (self.residual_underflow, FLAG_UNDERFLOW),
            ]);
        let dsl = self.data_segment_length;
        put_common(out, Opcode::ScsiResponse, false, flags, 0, dsl)?;
    }
}

impl ScsiResponse {
    fn check(&self) -> Result<(), CodecError> {
        if (self.bidi_read_residual_overflow && self.bidi_read_residual_underflow)
            || (self.residual_overflow && self.residual_underflow)
        {
            return Err(CodecError::FieldOutOfRange(Field::ResidualFlags));
        }
        ServiceResponse::from_u8(self.response.as_u8())?;
        Ok(())
    }
}

super::bhs::bhs_field!(byte_enum ServiceResponse);

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
    let (l, s) = split_out(out, total, 2)?;
    l.copy_from_slice(&len.to_be_bytes());
    s.copy_from_slice(sense);
    Ok(total)
}
