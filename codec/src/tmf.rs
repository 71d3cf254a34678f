//! SCSI Task Management Function Request (RFC 7143 11.5) and Response
//! (11.6).

use super::bhs::{
    expect_opcode, get32, get_lun, get_sn, put32, put8, put_common, put_lun, put_sn,
    require_no_ahs, require_no_data, Opcode, BHS_LEN, FLAG_F, FLAG_I, RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

/// Function of a Task Management Function Request (byte 1 bits 6-0, RFC
/// 7143 11.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TmfFunction {
    /// 1: ABORT TASK (the task with Referenced Task Tag).
    #[default]
    AbortTask = 1,
    /// 2: ABORT TASK SET.
    AbortTaskSet = 2,
    /// 3: CLEAR ACA.
    ClearAca = 3,
    /// 4: CLEAR TASK SET.
    ClearTaskSet = 4,
    /// 5: LOGICAL UNIT RESET.
    LogicalUnitReset = 5,
    /// 6: TARGET WARM RESET.
    TargetWarmReset = 6,
    /// 7: TARGET COLD RESET.
    TargetColdReset = 7,
    /// 8: TASK REASSIGN.
    TaskReassign = 8,
}

impl TmfFunction {
    /// Parse the 7-bit function code.
    pub const fn from_u8(v: u8) -> Result<TmfFunction, CodecError> {
        Ok(match v {
            1 => TmfFunction::AbortTask,
            2 => TmfFunction::AbortTaskSet,
            3 => TmfFunction::ClearAca,
            4 => TmfFunction::ClearTaskSet,
            5 => TmfFunction::LogicalUnitReset,
            6 => TmfFunction::TargetWarmReset,
            7 => TmfFunction::TargetColdReset,
            8 => TmfFunction::TaskReassign,
            _ => return Err(CodecError::FieldOutOfRange(Field::TmfFunction)),
        })
    }
}

/// Task Management Function Request header (opcode 0x02, RFC 7143 11.5).
/// No data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskMgmtRequest {
    /// I bit: immediate delivery.
    pub immediate: bool,
    /// Function (byte 1 bits 6-0).
    pub function: TmfFunction,
    /// LUN (bytes 8..16), or 0 for functions without a LUN.
    pub lun: Lun,
    /// Initiator Task Tag of this request (bytes 16..20).
    pub itt: u32,
    /// Referenced Task Tag (bytes 20..24): the ITT of the task to abort or
    /// reassign, else 0xffffffff.
    pub referenced_task_tag: u32,
    /// CmdSN (bytes 24..28).
    pub cmd_sn: Sn,
    /// ExpStatSN (bytes 28..32).
    pub exp_stat_sn: Sn,
    /// RefCmdSN (bytes 32..36): CmdSN of the referenced task (ABORT TASK).
    pub ref_cmd_sn: Sn,
    /// ExpDataSN (bytes 36..40), for TASK REASSIGN.
    pub exp_data_sn: Sn,
}

impl TaskMgmtRequest {
    /// A request with `referenced_task_tag` = 0xffffffff and the other
    /// optional fields 0.
    pub fn new(function: TmfFunction, lun: Lun, itt: u32, cmd_sn: Sn, exp_stat_sn: Sn) -> Self {
        TaskMgmtRequest {
            immediate: true,
            function,
            lun,
            itt,
            referenced_task_tag: RESERVED_TAG,
            cmd_sn,
            exp_stat_sn,
            ref_cmd_sn: Sn(0),
            exp_data_sn: Sn(0),
        }
    }

    /// Decode a Task Management Function Request BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<TaskMgmtRequest, CodecError> {
        expect_opcode(b, Opcode::TaskMgmtRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        Ok(TaskMgmtRequest {
            immediate: b[0] & FLAG_I != 0,
            function: TmfFunction::from_u8(b[1] & 0x7f)?,
            lun: get_lun(b),
            itt: get32::<16>(b),
            referenced_task_tag: get32::<20>(b),
            cmd_sn: get_sn::<24>(b),
            exp_stat_sn: get_sn::<28>(b),
            ref_cmd_sn: get_sn::<32>(b),
            exp_data_sn: get_sn::<36>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(
            out,
            Opcode::TaskMgmtRequest,
            self.immediate,
            FLAG_F | self.function as u8,
            0,
            0,
        )?;
        put_lun(out, self.lun);
        put32::<16>(out, self.itt);
        put32::<20>(out, self.referenced_task_tag);
        put_sn::<24>(out, self.cmd_sn);
        put_sn::<28>(out, self.exp_stat_sn);
        put_sn::<32>(out, self.ref_cmd_sn);
        put_sn::<36>(out, self.exp_data_sn);
        Ok(())
    }
}

/// Response of a Task Management Function Response (byte 2, RFC 7143
/// 11.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TmfResponse {
    /// 0: Function complete.
    #[default]
    FunctionComplete,
    /// 1: Task does not exist.
    TaskDoesNotExist,
    /// 2: LUN does not exist.
    LunDoesNotExist,
    /// 3: Task still allegiant.
    TaskStillAllegiant,
    /// 4: Task allegiance reassignment not supported.
    ReassignmentNotSupported,
    /// 5: Task management function not supported.
    NotSupported,
    /// 6: Function authorization failed.
    AuthorizationFailed,
    /// 255: Function rejected.
    Rejected,
}

impl TmfResponse {
    /// Parse the Response byte (7..=254 are reserved).
    pub const fn from_u8(v: u8) -> Result<TmfResponse, CodecError> {
        Ok(match v {
            0 => TmfResponse::FunctionComplete,
            1 => TmfResponse::TaskDoesNotExist,
            2 => TmfResponse::LunDoesNotExist,
            3 => TmfResponse::TaskStillAllegiant,
            4 => TmfResponse::ReassignmentNotSupported,
            5 => TmfResponse::NotSupported,
            6 => TmfResponse::AuthorizationFailed,
            255 => TmfResponse::Rejected,
            _ => return Err(CodecError::FieldOutOfRange(Field::TmfResponse)),
        })
    }

    /// The Response byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            TmfResponse::FunctionComplete => 0,
            TmfResponse::TaskDoesNotExist => 1,
            TmfResponse::LunDoesNotExist => 2,
            TmfResponse::TaskStillAllegiant => 3,
            TmfResponse::ReassignmentNotSupported => 4,
            TmfResponse::NotSupported => 5,
            TmfResponse::AuthorizationFailed => 6,
            TmfResponse::Rejected => 255,
        }
    }
}

/// Task Management Function Response header (opcode 0x22, RFC 7143
/// 11.6). No data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskMgmtResponse {
    /// Response (byte 2).
    pub response: TmfResponse,
    /// Initiator Task Tag of the request (bytes 16..20).
    pub itt: u32,
    /// StatSN (bytes 24..28).
    pub stat_sn: Sn,
    /// ExpCmdSN (bytes 28..32).
    pub exp_cmd_sn: Sn,
    /// MaxCmdSN (bytes 32..36).
    pub max_cmd_sn: Sn,
}

impl TaskMgmtResponse {
    /// Decode a Task Management Function Response BHS.
    pub fn decode(b: &[u8; BHS_LEN]) -> Result<TaskMgmtResponse, CodecError> {
        expect_opcode(b, Opcode::TaskMgmtResponse)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        Ok(TaskMgmtResponse {
            response: TmfResponse::from_u8(b[2])?,
            itt: get32::<16>(b),
            stat_sn: get_sn::<24>(b),
            exp_cmd_sn: get_sn::<28>(b),
            max_cmd_sn: get_sn::<32>(b),
        })
    }

    /// Encode into `out` (all 48 bytes are written).
    pub fn encode(&self, out: &mut [u8; BHS_LEN]) -> Result<(), CodecError> {
        put_common(out, Opcode::TaskMgmtResponse, false, FLAG_F, 0, 0)?;
        put8::<2>(out, self.response.as_u8());
        put32::<16>(out, self.itt);
        put_sn::<24>(out, self.stat_sn);
        put_sn::<28>(out, self.exp_cmd_sn);
        put_sn::<32>(out, self.max_cmd_sn);
        Ok(())
    }
}
