//! Logout Request (RFC 7143 11.14) and Logout Response (11.15).

use super::bhs::{
    expect_opcode, get16, get32, get_sn, put16, put32, put8, put_common, put_sn, require_no_ahs,
    require_no_data, Opcode, BHS_LEN, FLAG_F, FLAG_I,
};
use super::error::{CodecError, Field};
use super::serial::Sn;

/// Reason Code of a Logout Request (byte 1 bits 6-0, RFC 7143 11.14.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogoutReason {
    /// 0: close the session (all connections).
    #[default]
    CloseSession = 0,
    /// 1: close the connection `cid`.
    CloseConnection = 1,
    /// 2: remove the connection `cid` for recovery.
    RemoveConnectionForRecovery = 2,
}

impl LogoutReason {
    /// Parse the 7-bit reason code.
    pub const fn from_u8(v: u8) -> Result<LogoutReason, CodecError> {
        Ok(match v {
            0 => LogoutReason::CloseSession,
            1 => LogoutReason::CloseConnection,
            2 => LogoutReason::RemoveConnectionForRecovery,
            _ => return Err(CodecError::FieldOutOfRange(Field::LogoutReason)),
        })
    }
}

/// Logout Request header (opcode 0x06, RFC 7143 11.14). No data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogoutRequest {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Reason Code.
    pub reason: LogoutReason,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// CID (bytes 20..22): the connection to close (reasons 1, 2).
    pub cid: u16,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
}

impl LogoutRequest {
    /// Decode a Logout Request BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<LogoutRequest, CodecError> {
        expect_opcode(b, Opcode::LogoutRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        Ok(LogoutRequest {
            immediate: b[0] & FLAG_I != 0,
            reason: LogoutReason::from_u8(b[1] & 0x7f)?,
            itt: get32::<16>(b),
            cid: get16::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::LogoutRequest,
            self.immediate,
            FLAG_F | self.reason as u8,
            0,
            0,
        )?;
        put32::<16>(out, self.itt);
        put16::<20>(out, self.cid);
        put_sn::<24>(out, self.cmd_sn);
        put_sn::<28>(out, self.exp_stat_sn);
        Ok(())
    }
}

/// Response of a Logout Response (byte 2, RFC 7143 11.15.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogoutResponseCode {
    /// 0: connection or session closed successfully.
    #[default]
    Success = 0,
    /// 1: CID not found.
    CidNotFound = 1,
    /// 2: connection recovery is not supported.
    RecoveryNotSupported = 2,
    /// 3: cleanup failed for various reasons.
    CleanupFailed = 3,
}

impl LogoutResponseCode {
    /// Parse the Response byte.
    pub const fn from_u8(v: u8) -> Result<LogoutResponseCode, CodecError> {
        Ok(match v {
            0 => LogoutResponseCode::Success,
            1 => LogoutResponseCode::CidNotFound,
            2 => LogoutResponseCode::RecoveryNotSupported,
            3 => LogoutResponseCode::CleanupFailed,
            _ => return Err(CodecError::FieldOutOfRange(Field::LogoutResponse)),
        })
    }
}

/// Logout Response header (opcode 0x26, RFC 7143 11.15). No data
/// segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogoutResponse {
    /// Response (byte 2).
    pub response: LogoutResponseCode,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// Time2Wait (bytes 40..42), in seconds.
    pub time2wait: u16,
    /// Time2Retain (bytes 42..44), in seconds.
    pub time2retain: u16,
}

impl LogoutResponse {
    /// Decode a Logout Response BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<LogoutResponse, CodecError> {
        expect_opcode(b, Opcode::LogoutResponse)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        Ok(LogoutResponse {
            response: LogoutResponseCode::from_u8(b[2])?,
            itt: get32::<16>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            time2wait: get16::<40>(b),
            time2retain: get16::<42>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(out, Opcode::LogoutResponse, false, FLAG_F, 0, 0)?;
        put8::<2>(out, self.response as u8);
        put32::<16>(out, self.itt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put16::<40>(out, self.time2wait);
        put16::<42>(out, self.time2retain);
        Ok(())
    }
}
