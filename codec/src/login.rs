//! Login Request (RFC 7143 11.12) and Login Response (11.13), with the
//! ISID (11.12.5) and the login stages (11.12.3).

use super::bhs::{
    expect_opcode, get16, get32, get_sn, put16, put32, put8, put_common, put_sn, require_no_ahs,
    Opcode, BHS_LEN,
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

impl Stage {
    /// Parse a 2-bit stage value.
    pub const fn from_u8(v: u8) -> Result<Stage, CodecError> {
        Ok(match v {
            0 => Stage::SecurityNegotiation,
            1 => Stage::LoginOperationalNegotiation,
            3 => Stage::FullFeaturePhase,
            _ => return Err(CodecError::FieldOutOfRange(Field::Stage)),
        })
    }
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

fn get_isid(b: &[u8; BHS_LEN]) -> Isid {
    Isid([b[8], b[9], b[10], b[11], b[12], b[13]])
}

fn put_isid(b: &mut [u8; BHS_LEN], isid: Isid) {
    let i = isid.0;
    b[8] = i[0];
    b[9] = i[1];
    b[10] = i[2];
    b[11] = i[3];
    b[12] = i[4];
    b[13] = i[5];
}

/// The T, C, CSG, NSG bits of byte 1.
fn stage_flags(transit: bool, cont: bool, csg: Stage, nsg: Stage) -> Result<u8, CodecError> {
    if transit && cont {
        return Err(CodecError::FieldOutOfRange(Field::ContinueBit));
    }
    Ok(if transit { FLAG_T } else { 0 }
        | if cont { FLAG_C } else { 0 }
        | (csg as u8) << 2
        | nsg as u8)
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
    /// Version-max (byte 2), 0x00.
    pub version_max: u8,
    /// Version-min (byte 3), 0x00.
    pub version_min: u8,
    /// DataSegmentLength: text, in bytes.
    pub data_segment_length: u32,
    /// ISID (bytes 8..14).
    pub isid: Isid,
    /// TSIH (bytes 14..16): 0 for a new session.
    pub tsih: u16,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// CID: connection ID (bytes 20..22).
    pub cid: u16,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
}

impl LoginRequest {
    /// Decode a Login Request BHS. The I bit is not checked (it is always
    /// set on encode). Fails if T and C are both set or a stage is 2.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<LoginRequest, CodecError> {
        expect_opcode(b, Opcode::LoginRequest)?;
        require_no_ahs(b)?;
        let (transit, continue_, csg, nsg) = parse_stage_flags(b[1])?;
        Ok(LoginRequest {
            transit,
            continue_,
            csg,
            nsg,
            version_max: b[2],
            version_min: b[3],
            data_segment_length: super::bhs::data_segment_length(b),
            isid: get_isid(b),
            tsih: get16::<14>(b),
            itt: get32::<16>(b),
            cid: get16::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let flags = stage_flags(self.transit, self.continue_, self.csg, self.nsg)?;
        put_common(
            out,
            Opcode::LoginRequest,
            true,
            flags,
            0,
            self.data_segment_length,
        )?;
        put8::<2>(out, self.version_max);
        put8::<3>(out, self.version_min);
        put_isid(out, self.isid);
        put16::<14>(out, self.tsih);
        put32::<16>(out, self.itt);
        put16::<20>(out, self.cid);
        put_sn::<24>(out, self.cmd_sn);
        put_sn::<28>(out, self.exp_stat_sn);
        Ok(())
    }
}

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
    /// Version-max (byte 2).
    pub version_max: u8,
    /// Version-active (byte 3).
    pub version_active: u8,
    /// DataSegmentLength: text, in bytes.
    pub data_segment_length: u32,
    /// ISID (bytes 8..14), echoed.
    pub isid: Isid,
    /// TSIH (bytes 14..16): assigned by the target in the final response.
    pub tsih: u16,
    /// Initiator Task Tag (bytes 16..20).
    pub itt: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
    /// Status-Class (byte 36), see `STATUS_CLASS_*`.
    pub status_class: u8,
    /// Status-Detail (byte 37), see `STATUS_DETAIL_*`.
    pub status_detail: u8,
}

impl LoginResponse {
    /// Decode a Login Response BHS. Fails if T and C are both set or a
    /// stage is 2.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<LoginResponse, CodecError> {
        expect_opcode(b, Opcode::LoginResponse)?;
        require_no_ahs(b)?;
        let (transit, continue_, csg, nsg) = parse_stage_flags(b[1])?;
        Ok(LoginResponse {
            transit,
            continue_,
            csg,
            nsg,
            version_max: b[2],
            version_active: b[3],
            data_segment_length: super::bhs::data_segment_length(b),
            isid: get_isid(b),
            tsih: get16::<14>(b),
            itt: get32::<16>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
            status_class: b[36],
            status_detail: b[37],
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        let flags = stage_flags(self.transit, self.continue_, self.csg, self.nsg)?;
        put_common(
            out,
            Opcode::LoginResponse,
            false,
            flags,
            0,
            self.data_segment_length,
        )?;
        put8::<2>(out, self.version_max);
        put8::<3>(out, self.version_active);
        put_isid(out, self.isid);
        put16::<14>(out, self.tsih);
        put32::<16>(out, self.itt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        put8::<36>(out, self.status_class);
        put8::<37>(out, self.status_detail);
        Ok(())
    }

    /// Status-Class is Success (0).
    pub const fn is_success(&self) -> bool {
        self.status_class == STATUS_CLASS_SUCCESS
    }
}
