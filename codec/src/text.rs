//! Text Request (RFC 7143 11.10) and Text Response (11.11). The data
//! segment holds key=value pairs, see [`super::keys`]; long texts span
//! several PDUs with the C bit, see [`super::assembler`].

use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put_common, put_lun, put_sn, require_no_ahs,
    Opcode, BHS_LEN, FLAG_F, FLAG_I,
};
use super::error::{CodecError, Field};
use super::login::FLAG_C;
use super::lun::Lun;
use super::serial::Sn;

fn flags(final_bit: bool, cont: bool) -> Result<u8, CodecError> {
    if final_bit && cont {
        return Err(CodecError::FieldOutOfRange(Field::ContinueBit));
    }
    Ok(if final_bit { FLAG_F } else { 0 } | if cont { FLAG_C } else { 0 })
}

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
    /// LUN (bytes 8..16), normally 0.
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24): 0xffffffff for a new request,
    /// else copied from the Text Response being continued.
    pub ttt: u32,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
}

impl TextRequest {
    /// Decode a Text Request BHS. Fails if F and C are both set.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<TextRequest, CodecError> {
        expect_opcode(b, Opcode::TextRequest)?;
        require_no_ahs(b)?;
        let final_bit = b[1] & FLAG_F != 0;
        let continue_ = b[1] & FLAG_C != 0;
        flags(final_bit, continue_)?;
        Ok(TextRequest {
            immediate: b[0] & FLAG_I != 0,
            final_bit,
            continue_,
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let f = flags(self.final_bit, self.continue_)?;
        put_common(
            out,
            Opcode::TextRequest,
            self.immediate,
            f,
            0,
            self.data_segment_length,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt);
        put_sn::<24>(out, self.cmd_sn);
        put_sn::<28>(out, self.exp_stat_sn);
        Ok(())
    }
}

/// Text Response header (opcode 0x24, RFC 7143 11.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextResponse {
    /// F bit: the target has no more to say in this exchange.
    pub final_bit: bool,
    /// C bit: the text continues in the next PDU (then F is 0).
    pub continue_: bool,
    /// DataSegmentLength: text, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16).
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24): 0xffffffff when final, else a
    /// tag the initiator copies into its next Text Request.
    pub ttt: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
}

impl TextResponse {
    /// Decode a Text Response BHS. Fails if F and C are both set.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<TextResponse, CodecError> {
        expect_opcode(b, Opcode::TextResponse)?;
        require_no_ahs(b)?;
        let final_bit = b[1] & FLAG_F != 0;
        let continue_ = b[1] & FLAG_C != 0;
        flags(final_bit, continue_)?;
        Ok(TextResponse {
            final_bit,
            continue_,
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let f = flags(self.final_bit, self.continue_)?;
        put_common(
            out,
            Opcode::TextResponse,
            false,
            f,
            0,
            self.data_segment_length,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.ttt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        Ok(())
    }
}
