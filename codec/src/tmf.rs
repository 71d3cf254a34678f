//! SCSI Task Management Function Request (RFC 7143 11.5) and Response
//! (11.6).

use super::bhs::{
    bhs_pdu, expect_opcode, immediate, put_common, require_no_ahs, require_no_data, Opcode, FLAG_F,
    RESERVED_TAG,
};
use super::error::{CodecError, Field};
use super::lun::Lun;
use super::serial::Sn;

super::bhs::byte_enum! {
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
    /// Parse the 7-bit function code.
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::TmfFunction);
    /// The code, as in the PDU.
    const fn as_u8;
}

bhs_pdu! {
    /// Task Management Function Request header (opcode 0x02, RFC 7143 11.5).
    /// No data segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct TaskMgmtRequest {
        /// I bit: immediate delivery.
        pub immediate: bool,
        /// Function (byte 1 bits 6-0).
        pub function: TmfFunction,
        /// LUN, or 0 for functions without a LUN.
        pub lun: Lun @ 8..16,
        /// Initiator Task Tag of this request.
        pub itt: u32 @ 16..20,
        /// Referenced Task Tag: the ITT of the task to abort or reassign,
        /// else 0xffffffff.
        pub referenced_task_tag: u32 @ 20..24,
        /// CmdSN.
        pub cmd_sn: Sn @ 24..28,
        /// ExpStatSN.
        pub exp_stat_sn: Sn @ 28..32,
        /// RefCmdSN: CmdSN of the referenced task (ABORT TASK).
        pub ref_cmd_sn: Sn @ 32..36,
        /// ExpDataSN, for TASK REASSIGN.
        pub exp_data_sn: Sn @ 36..40,
    }
    /// Decode a Task Management Function Request BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::TaskMgmtRequest)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
        let immediate = immediate(b);
        let function = TmfFunction::from_u8(b[1] & 0x7f)?;
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        let flags = FLAG_F | self.function.as_u8();
        put_common(out, Opcode::TaskMgmtRequest, self.immediate, flags, 0, 0)?;
    }
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
}

super::bhs::byte_enum! {
    /// Response of a Task Management Function Response (byte 2, RFC 7143
    /// 11.6.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum TmfResponse {
        /// 0: Function complete.
        #[default]
        FunctionComplete => 0,
        /// 1: Task does not exist.
        TaskDoesNotExist => 1,
        /// 2: LUN does not exist.
        LunDoesNotExist => 2,
        /// 3: Task still allegiant.
        TaskStillAllegiant => 3,
        /// 4: Task allegiance reassignment not supported.
        ReassignmentNotSupported => 4,
        /// 5: Task management function not supported.
        NotSupported => 5,
        /// 6: Function authorization failed.
        AuthorizationFailed => 6,
        /// 255: Function rejected.
        Rejected => 255,
    }
    /// Parse the Response byte (7..=254 are reserved).
    pub const fn from_u8(v) else CodecError::FieldOutOfRange(Field::TmfResponse);
    /// The Response byte.
    pub const fn as_u8;
}

bhs_pdu! {
    /// Task Management Function Response header (opcode 0x22, RFC 7143
    /// 11.6). No data segment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct TaskMgmtResponse {
        /// Response.
        pub response: TmfResponse @ 2,
        /// Initiator Task Tag of the request.
        pub itt: u32 @ 16..20,
        /// StatSN.
        pub stat_sn: Sn @ 24..28,
        /// ExpCmdSN.
        pub exp_cmd_sn: Sn @ 28..32,
        /// MaxCmdSN.
        pub max_cmd_sn: Sn @ 32..36,
    }
    /// Decode a Task Management Function Response BHS.
    fn decode(b) {
        expect_opcode(b, Opcode::TaskMgmtResponse)?;
        require_no_ahs(b)?;
        require_no_data(b)?;
    }
    /// Encode into `out` (all 48 bytes are written).
    fn encode(&self, out) {
        put_common(out, Opcode::TaskMgmtResponse, false, FLAG_F, 0, 0)?;
    }
}
