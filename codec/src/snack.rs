//! SNACK Request (RFC 7143 11.16).

use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put_common, put_lun, put_sn, require_no_ahs,
    require_no_data, Opcode, BHS_LEN, FLAG_F,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

/// Type of a SNACK Request (byte 1 bits 3-0, RFC 7143 11.16.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SnackType {
    /// 0: Data/R2T SNACK: resend Data-In or R2T PDUs.
    #[default]
    DataR2t = 0,
    /// 1: Status SNACK: resend responses.
    Status = 1,
    /// 2: DataACK: positive acknowledgement of Data-In.
    DataAck = 2,
    /// 3: R-Data SNACK: resend all Data-In of a task, resegmented.
    RData = 3,
}

impl SnackType {
    /// Parse the 4-bit type.
    pub const fn from_u8(v: u8) -> Result<SnackType, CodecError> {
        Ok(match v {
            0 => SnackType::DataR2t,
            1 => SnackType::Status,
            2 => SnackType::DataAck,
            3 => SnackType::RData,
            _ => return Err(CodecError::FieldOutOfRange(Field::SnackType)),
        })
    }
}

/// SNACK Request header (opcode 0x10, RFC 7143 11.16). No data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnackRequest {
    /// Type (byte 1 bits 3-0).
    pub snack_type: SnackType,
    /// LUN (bytes 8..16), for DataACK.
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20), or 0xffffffff for Status SNACK.
    pub itt: u32,
    /// Target Transfer Tag (DataACK) or SNACK Tag (R-Data) or 0xffffffff
    /// (bytes 20..24).
    pub ttt_or_snack_tag: u32,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
    /// BegRun (bytes 40..44): first DataSN/R2TSN/StatSN to resend.
    pub beg_run: u32,
    /// RunLength (bytes 44..48): number of PDUs, 0 for "all from BegRun".
    pub run_length: u32,
}

impl SnackRequest {
    /// Decode a SNACK Request BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<SnackRequest, CodecError> {
        expect_opcode(b, Opcode::SnackRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        Ok(SnackRequest {
            snack_type: SnackType::from_u8(b[1] & 0x0f)?,
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt_or_snack_tag: get32::<20>(b),
            exp_stat_sn: get_sn::<28>(b),
            beg_run: get32::<40>(b),
            run_length: get32::<44>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::SnackRequest,
            false,
            FLAG_F | self.snack_type as u8,
            0,
            0,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt_or_snack_tag);
        put_sn::<28>(out, self.exp_stat_sn);
        put32::<40>(out, self.beg_run);
        put32::<44>(out, self.run_length);
        Ok(())
    }
}
