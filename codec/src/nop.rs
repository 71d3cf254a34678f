//! NOP-Out (RFC 7143 11.18) and NOP-In (11.19).

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, immediate, put_common, require_no_ahs, Opcode,
    FLAG_F,
};
use super::lun::Lun;
use super::serial::Sn;

bhs_pdu! {
    /// NOP-Out header (opcode 0x00, RFC 7143 11.18). A ping (ITT !=
    /// 0xffffffff, TTT 0xffffffff), or the answer to a NOP-In (ITT 0xffffffff,
    /// TTT copied from the NOP-In). The data segment is the optional ping data.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct NopOut {
        /// I bit: immediate delivery (byte 0 bit 6).
        pub immediate: bool,
        /// DataSegmentLength: ping data, in bytes.
        pub data_segment_length: u32,
        /// LUN; copied from the NOP-In when answering one.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag; 0xffffffff when answering a NOP-In.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag; 0xffffffff unless answering a NOP-In.
        pub ttt: u32 @ 20..24,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
    }
    /// Decode a NOP-Out BHS. The F bit is always 1 on the wire and is
    /// ignored on receipt.
    fn decode(b) {
        expect_opcode(b, Opcode::NopOut)?;
        require_no_ahs(b)?;
        let immediate = immediate(b);
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written; reserved bytes are 0).
    fn encode(&self, out) {
        let dsl = self.data_segment_length;
        put_common(out, Opcode::NopOut, self.immediate, FLAG_F, 0, dsl)?;
    }
}

bhs_pdu! {
    /// NOP-In header (opcode 0x20, RFC 7143 11.19): the answer to a ping
    /// (ITT copied, TTT 0xffffffff) or a target ping (ITT 0xffffffff, TTT !=
    /// 0xffffffff, the initiator must answer with a NOP-Out).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct NopIn {
        /// DataSegmentLength: ping data, in bytes.
        pub data_segment_length: u32,
        /// LUN.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag.
        pub ttt: u32 @ 20..24,
        /// StatSN. Not advanced for a target ping.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
    }
    /// Decode a NOP-In BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::NopIn)?;
        require_no_ahs(b)?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let dsl = self.data_segment_length;
        put_common(out, Opcode::NopIn, false, FLAG_F, 0, dsl)?;
    }
}
