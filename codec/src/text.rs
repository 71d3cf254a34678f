//! Text Request (RFC 7143 11.10) and Text Response (11.11). The data
//! segment holds key=value pairs, see [`super::keys`]; long texts span
//! several PDUs with the C bit, see [`super::assembler`].

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, flag_bits, immediate, put_common, require_no_ahs,
    Opcode, BHS_LEN, FLAG_F,
};
use super::error::{CodecError, Field};
use super::login::FLAG_C;
use super::lun::Lun;
use super::serial::Sn;

fn flags(final_bit: bool, cont: bool) -> Result<u8, CodecError> {
    if final_bit && cont {
        return Err(CodecError::FieldOutOfRange(Field::ContinueBit));
    }
    Ok(flag_bits(&[(final_bit, FLAG_F), (cont, FLAG_C)]))
}

/// The F and C bits of byte 1; fails if both are set.
fn parse_flags(b: &[u8; BHS_LEN]) -> Result<(bool, bool), CodecError> {
    let final_bit = b[1] & FLAG_F != 0;
    let continue_ = b[1] & FLAG_C != 0;
    flags(final_bit, continue_)?;
    Ok((final_bit, continue_))
}

bhs_pdu! {
    /// Text Request header (opcode 0x04, RFC 7143 11.10).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct TextRequest {
        /// I bit: immediate delivery.
        pub immediate: bool,
        /// F bit: last request of this text exchange.
        pub final_bit: bool,
        /// C bit: the text continues in the next PDU (then F is 0).
        pub continue_: bool,
        /// DataSegmentLength: text, in bytes.
        pub data_segment_length: u32,
        /// LUN, normally 0.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag: 0xffffffff for a new request, else copied
        /// from the Text Response being continued.
        pub ttt: u32 @ 20..24,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
    }
    /// Decode a Text Request BHS. Fails if F and C are both set.
    fn decode(b) {
        expect_opcode(b, Opcode::TextRequest)?;
        require_no_ahs(b)?;
        let (final_bit, continue_) = parse_flags(b)?;
        let immediate = immediate(b);
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let f = flags(self.final_bit, self.continue_)?;
        let dsl = self.data_segment_length;
        put_common(out, Opcode::TextRequest, self.immediate, f, 0, dsl)?;
    }
}

bhs_pdu! {
    /// Text Response header (opcode 0x24, RFC 7143 11.11).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct TextResponse {
        /// F bit: the target has no more to say in this exchange.
        pub final_bit: bool,
        /// C bit: the text continues in the next PDU (then F is 0).
        pub continue_: bool,
        /// DataSegmentLength: text, in bytes.
        pub data_segment_length: u32,
        /// LUN.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// Target Transfer Tag: 0xffffffff when final, else a tag the
        /// initiator copies into its next Text Request.
        pub ttt: u32 @ 20..24,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
    }
    /// Decode a Text Response BHS. Fails if F and C are both set.
    fn decode(b) {
        expect_opcode(b, Opcode::TextResponse)?;
        require_no_ahs(b)?;
        let (final_bit, continue_) = parse_flags(b)?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let f = flags(self.final_bit, self.continue_)?;
        let dsl = self.data_segment_length;
        put_common(out, Opcode::TextResponse, false, f, 0, dsl)?;
    }
}
