//! Login Request (RFC 7143 11.12) and Login Response (11.13), with the
//! ISID (11.12.5) and the login stages (11.12.3).

use super::bhs::{
    bhs_pdu, data_segment_length, expect_opcode, flag_bits, put_common, require_no_ahs, Opcode,
};
use super::error::{CodecError, Field};
use super::serial::Sn;

/// Byte 1 bit 7 of Login PDUs: T (Transit).
pub const FLAG_T: u8 = 0x80;
/// Byte 1 bit 6 of Login and Text PDUs: C (Continue).
pub const FLAG_C: u8 = 0x40;

/// The only iSCSI version defined (Version-max/min/active), 0x00.
pub const ISCSI_VERSION: u8 = 0x00;

/// Status-Class 0: Success.
pub const STATUS_CLASS_SUCCESS: u8 = 0x00;
/// Status-Class 1: Redirection (TargetAddress in the data segment).
pub const STATUS_CLASS_REDIRECTION: u8 = 0x01;
/// Status-Class 2: Initiator Error.
pub const STATUS_CLASS_INITIATOR_ERROR: u8 = 0x02;
/// Status-Class 3: Target Error.
pub const STATUS_CLASS_TARGET_ERROR: u8 = 0x03;

/// Status-Detail (class 1) 0x01: target moved temporarily.
pub const STATUS_DETAIL_MOVED_TEMPORARILY: u8 = 0x01;
/// Status-Detail (class 1) 0x02: target moved permanently.
pub const STATUS_DETAIL_MOVED_PERMANENTLY: u8 = 0x02;
/// Status-Detail (class 2) 0x01: authentication failure.
pub const STATUS_DETAIL_AUTH_FAILURE: u8 = 0x01;
/// Status-Detail (class 2) 0x02: authorization failure.
pub const STATUS_DETAIL_AUTHORIZATION_FAILURE: u8 = 0x02;
/// Status-Detail (class 2) 0x03: target not found.
pub const STATUS_DETAIL_NOT_FOUND: u8 = 0x03;
/// Status-Detail (class 2) 0x04: target removed.
pub const STATUS_DETAIL_TARGET_REMOVED: u8 = 0x04;
/// Status-Detail (class 2) 0x05: unsupported version.
pub const STATUS_DETAIL_UNSUPPORTED_VERSION: u8 = 0x05;
/// Status-Detail (class 2) 0x06: too many connections.
pub const STATUS_DETAIL_TOO_MANY_CONNECTIONS: u8 = 0x06;
/// Status-Detail (class 2) 0x07: missing parameter.
pub const STATUS_DETAIL_MISSING_PARAMETER: u8 = 0x07;
/// Status-Detail (class 2) 0x08: can't include in session.
pub const STATUS_DETAIL_CANT_INCLUDE_IN_SESSION: u8 = 0x08;
/// Status-Detail (class 2) 0x09: session type not supported.
pub const STATUS_DETAIL_SESSION_TYPE_NOT_SUPPORTED: u8 = 0x09;
/// Status-Detail (class 2) 0x0a: session does not exist.
pub const STATUS_DETAIL_SESSION_DOES_NOT_EXIST: u8 = 0x0a;
/// Status-Detail (class 2) 0x0b: invalid request during login.
pub const STATUS_DETAIL_INVALID_DURING_LOGIN: u8 = 0x0b;
/// Status-Detail (class 3) 0x01: service unavailable.
pub const STATUS_DETAIL_SERVICE_UNAVAILABLE: u8 = 0x01;
/// Status-Detail (class 3) 0x02: out of resources.
pub const STATUS_DETAIL_OUT_OF_RESOURCES: u8 = 0x02;

super::bhs::byte_enum! {
    /// A login stage, the CSG and NSG fields (2 bits each, RFC 7143 11.12.3).
    /// The value 2 is reserved.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum Stage {
        /// 0: SecurityNegotiation.
        #[default]
        SecurityNegotiation = 0,
        /// 1: LoginOperationalNegotiation.
        LoginOperationalNegotiation = 1,
        /// 3: FullFeaturePhase.
        FullFeaturePhase = 3,
    }
    /// Parse a 2-bit stage value.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::Stage);
    /// The code, as in the PDU.
    const fn as_u8;
}

/// The 6-byte Initiator Session ID (bytes 8..14 of Login PDUs, RFC 7143
/// 11.12.5): `T` (2 bits) | `A` (6 bits), `B` (16 bits), `C` (8 bits),
/// `D` (16 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Isid(pub [u8; 6]);

/// ISID type T = 00b: OUI format (A+B = OUI, C+D = qualifier).
pub const ISID_TYPE_OUI: u8 = 0;
/// ISID type T = 01b: IANA Enterprise Number format.
pub const ISID_TYPE_EN: u8 = 1;
/// ISID type T = 10b: random format (B+C random, D qualifier).
pub const ISID_TYPE_RANDOM: u8 = 2;

impl Isid {
    /// Build an ISID from its fields; `t` is masked to 2 bits, `a` to 6.
    pub const fn new(t: u8, a: u8, b: u16, c: u8, d: u16) -> Isid {
        let bb = b.to_be_bytes();
        let dd = d.to_be_bytes();
        Isid([((t & 3) << 6) | (a & 0x3f), bb[0], bb[1], c, dd[0], dd[1]])
    }
    /// Field T, the format (2 bits).
    pub const fn t(&self) -> u8 {
        self.0[0] >> 6
    }
    /// Field A (6 bits).
    pub const fn a(&self) -> u8 {
        self.0[0] & 0x3f
    }
    /// Field B (16 bits).
    pub const fn b(&self) -> u16 {
        u16::from_be_bytes([self.0[1], self.0[2]])
    }
    /// Field C (8 bits).
    pub const fn c(&self) -> u8 {
        self.0[3]
    }
    /// Field D, the qualifier (16 bits).
    pub const fn d(&self) -> u16 {
        u16::from_be_bytes([self.0[4], self.0[5]])
    }
}

super::bhs::bhs_field!(newtype Isid = [u8; 6]);

/// The T, C, CSG, NSG bits of byte 1.
fn stage_flags(transit: bool, cont: bool, csg: Stage, nsg: Stage) -> Result<u8, CodecError> {
    if transit && cont {
        return Err(CodecError::FieldOutOfRange(Field::ContinueBit));
    }
    Ok(flag_bits(&[(transit, FLAG_T), (cont, FLAG_C)]) | csg.as_u8() << 2 | nsg.as_u8())
}

fn parse_stage_flags(f: u8) -> Result<(bool, bool, Stage, Stage), CodecError> {
    let transit = f & FLAG_T != 0;
    let cont = f & FLAG_C != 0;
    if transit && cont {
        return Err(CodecError::FieldOutOfRange(Field::ContinueBit));
    }
    Ok((
        transit,
        cont,
        Stage::from_u8((f >> 2) & 3)?,
        Stage::from_u8(f & 3)?,
    ))
}

bhs_pdu! {
    /// Login Request header (opcode 0x03 with the I bit always set, RFC 7143
    /// 11.12). The data segment holds text key=value pairs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LoginRequest {
        /// T bit: the initiator wants to move to `nsg`.
        pub transit: bool,
        /// C bit: the text continues in the next Login Request (then `transit`
        /// must be false).
        pub continue_: bool,
        /// CSG: current stage.
        pub csg: Stage,
        /// NSG: next stage (meaningful only with `transit`).
        pub nsg: Stage,
        /// Version-max, 0x00.
        pub version_max: u8 @ 2,
        /// Version-min, 0x00.
        pub version_min: u8 @ 3,
        /// DataSegmentLength: text, in bytes.
        pub data_segment_length: u32,
        /// ISID.
        pub isid: Isid @ 8..14,
        /// TSIH: 0 for a new session.
        pub tsih: u16 @ 14..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// CID: connection ID.
        pub cid: u16 @ 20..22,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
    }
    /// Decode a Login Request BHS. The I bit is not checked (it is always
    /// set on encode). Fails if T and C are both set or a stage is 2.
    fn decode(b) {
        expect_opcode(b, Opcode::LoginRequest)?;
        require_no_ahs(b)?;
        let (transit, continue_, csg, nsg) = parse_stage_flags(b[1])?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let flags = stage_flags(self.transit, self.continue_, self.csg, self.nsg)?;
        let dsl = self.data_segment_length;
        put_common(out, Opcode::LoginRequest, true, flags, 0, dsl)?;
    }
}

bhs_pdu! {
    /// Login Response header (opcode 0x23, RFC 7143 11.13). The data segment
    /// holds text key=value pairs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LoginResponse {
        /// T bit: the target agrees to move to `nsg`.
        pub transit: bool,
        /// C bit: the text continues in the next Login Response.
        pub continue_: bool,
        /// CSG: current stage.
        pub csg: Stage,
        /// NSG: next stage (meaningful only with `transit`).
        pub nsg: Stage,
        /// Version-max.
        pub version_max: u8 @ 2,
        /// Version-active.
        pub version_active: u8 @ 3,
        /// DataSegmentLength: text, in bytes.
        pub data_segment_length: u32,
        /// ISID, echoed.
        pub isid: Isid @ 8..14,
        /// TSIH: assigned by the target in the final response.
        pub tsih: u16 @ 14..16,
        /// Initiator Task Tag.
        pub itt: u32 @ 16..20,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
        /// Status-Class, see `STATUS_CLASS_*`.
        pub status_class: u8 @ 36,
        /// Status-Detail, see `STATUS_DETAIL_*`.
        pub status_detail: u8 @ 37,
    }
    /// Decode a Login Response BHS. Fails if T and C are both set or a
    /// stage is 2.
    fn decode(b) {
        expect_opcode(b, Opcode::LoginResponse)?;
        require_no_ahs(b)?;
        let (transit, continue_, csg, nsg) = parse_stage_flags(b[1])?;
        let data_segment_length = data_segment_length(b);
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let flags = stage_flags(self.transit, self.continue_, self.csg, self.nsg)?;
        let dsl = self.data_segment_length;
        put_common(out, Opcode::LoginResponse, false, flags, 0, dsl)?;
    }
}

impl LoginResponse {
    /// Status-Class is Success (0).
    pub const fn is_success(&self) -> bool {
        self.status_class == STATUS_CLASS_SUCCESS
    }
}
