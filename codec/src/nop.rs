//! NOP-Out (RFC 7143 11.18) and NOP-In (11.19).

use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put_common, put_lun, put_sn, require_no_ahs,
    Opcode, BHS_LEN, FLAG_F, FLAG_I,
};
use super::error::CodecError;
use super::lun::Lun;
use super::serial::Sn;

/// NOP-Out header (opcode 0x00, RFC 7143 11.18). A ping (ITT !=
/// 0xffffffff, TTT 0xffffffff), or the answer to a NOP-In (ITT 0xffffffff,
/// TTT copied from the NOP-In). The data segment is the optional ping data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NopOut {
    /// I bit: immediate delivery (byte 0 bit 6).
    pub immediate: bool,
    /// DataSegmentLength: ping data, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16); copied from the NOP-In when answering one.
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20); 0xffffffff when answering a
    /// NOP-In.
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24); 0xffffffff unless answering a
    /// NOP-In.
    pub ttt: u32,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
}

impl NopOut {
    /// Decode a NOP-Out BHS. The F bit is always 1 on the wire and is
    /// ignored on receipt.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<NopOut, CodecError> {
        expect_opcode(b, Opcode::NopOut)?;
        require_no_ahs(b)?;
        Ok(NopOut {
            immediate: b[0] & FLAG_I != 0,
            data_segment_length: super::bhs::data_segment_length(b),
            lun: get_lun(b),
            itt: get32::<16>(b),
            ttt: get32::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written; reserved bytes are 0).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::NopOut,
            self.immediate,
            FLAG_F,
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

/// NOP-In header (opcode 0x20, RFC 7143 11.19): the answer to a ping
/// (ITT copied, TTT 0xffffffff) or a target ping (ITT 0xffffffff, TTT !=
/// 0xffffffff, the initiator must answer with a NOP-Out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NopIn {
    /// DataSegmentLength: ping data, in bytes.
    pub data_segment_length: u32,
    /// LUN (bytes 8..16).
    pub lun: Lun,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// Target Transfer Tag (bytes 20..24).
    pub ttt: u32,
    /// StatSN (bytes 24..28). Not advanced for a target ping.
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
}

impl NopIn {
    /// Decode a NOP-In BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<NopIn, CodecError> {
        expect_opcode(b, Opcode::NopIn)?;
        require_no_ahs(b)?;
        Ok(NopIn {
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
        put_common(
            out,
            Opcode::NopIn,
            false,
            FLAG_F,
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
