//! Logout Request (RFC 7143 11.14) and Logout Response (11.15).

use super::bhs::{
    bhs_pdu, expect_opcode, immediate, put_common, require_no_ahs, require_no_data, Opcode, FLAG_F,
};
use super::error::{CodecError, Field};
use super::serial::Sn;

super::bhs::byte_enum! {
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
    /// Parse the 7-bit reason code.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::LogoutReason);
    /// The code, as in the PDU.
    const fn as_u8;
}

bhs_pdu! {
    /// Logout Request header (opcode 0x06, RFC 7143 11.14). No data segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LogoutRequest {
        /// I bit: immediate delivery.
        pub immediate: bool,
        /// Reason Code.
        pub reason: LogoutReason,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// CID: the connection to close (reasons 1, 2).
        pub cid: u16 @ 20..22,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
    }
    /// Decode a Logout Request BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::LogoutRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        let immediate = immediate(b);
        let reason = LogoutReason::from_u8(b[1] & 0x7f)?;
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let flags = FLAG_F | self.reason.as_u8();
        put_common(out, Opcode::LogoutRequest, self.immediate, flags, 0, 0)?;
    }
}

super::bhs::byte_enum! {
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
    /// Parse the Response byte.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::LogoutResponse);
    /// The Response byte.
    const fn as_u8;
}

bhs_pdu! {
    /// Logout Response header (opcode 0x26, RFC 7143 11.15). No data
    /// segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LogoutResponse {
        /// Response.
        pub response: LogoutResponseCode @ 2,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// Time2Wait, in seconds.
        pub time2wait: u16 @ 40..42,
        /// Time2Retain, in seconds.
        pub time2retain: u16 @ 42..44,
    }
    /// Decode a Logout Response BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::LogoutResponse)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        put_common(out, Opcode::LogoutResponse, false, FLAG_F, 0, 0)?;
    }
}
