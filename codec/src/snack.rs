//! SNACK Request (RFC 7143 11.16).

use super::bhs::{
    bhs_pdu, expect_opcode, put_common, require_no_ahs, require_no_data, Opcode, FLAG_F,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

super::bhs::byte_enum! {
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
    /// Parse the 4-bit type.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::SnackType);
    /// The code, as in the PDU.
    const fn as_u8;
}

bhs_pdu! {
    /// SNACK Request header (opcode 0x10, RFC 7143 11.16). No data segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct SnackRequest {
        /// Type (byte 1 bits 3-0).
        pub snack_type: SnackType,
        /// LUN, for DataACK.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag, or 0xffffffff for Status SNACK.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag (DataACK) or SNACK Tag (R-Data) or
        /// 0xffffffff.
        pub ttt_or_snack_tag: u32 @ 20..24,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
        /// BegRun: first DataSN/R2TSN/StatSN to resend.
        pub beg_run: u32 @ 40..44,
        /// RunLength: number of PDUs, 0 for "all from BegRun".
        pub run_length: u32 @ 44..48,
    }
    /// Decode a SNACK Request BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::SnackRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        let snack_type = SnackType::from_u8(b[1] & 0x0f)?;
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let flags = FLAG_F | self.snack_type.as_u8();
        put_common(out, Opcode::SnackRequest, false, flags, 0, 0)?;
    }
}
