//! The task table: one preallocated entry per blk-mq tag, holding the
//! command while it is outstanding (RFC 7143 §4.2.2.1 "task").
//!
//! A command is completed exactly once. Its entry is *finished* when its
//! final status arrived, and is completed (the command handed back) only
//! when no transmit work still uses it (`tx_refs == 0`), so a completion
//! never races with a send from the command's pages.

use super::itt::{Itt, MAX_TAGS};
use core::ops::DerefMut;

/// Bytes of sense data kept per command (SCSI_SENSE_BUFFERSIZE).
pub const SENSE_LEN: usize = 96;

/// Direction of a command's data transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataDir {
    /// No data.
    None,
    /// Data-Out: initiator to target (a write).
    Write,
    /// Data-In: target to initiator (a read).
    Read,
}

/// What the data path needs of a SCSI command, copied at queuecommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdInfo {
    /// CDB bytes; `cdb_len` of them are valid.
    pub cdb: [u8; 32],
    /// CDB length in bytes (at most 32).
    pub cdb_len: usize,
    /// Expected Data Transfer Length in bytes (the buffer's length).
    pub bufflen: u32,
    /// Transfer direction.
    pub dir: DataDir,
    /// LUN, 8 bytes as on the wire.
    pub lun: [u8; 8],
}

impl CmdInfo {
    /// A command with no CDB and no data.
    pub const EMPTY: CmdInfo = CmdInfo {
        cdb: [0; 32],
        cdb_len: 0,
        bufflen: 0,
        dir: DataDir::None,
        lun: [0; 8],
    };
}

/// The SCSI host byte a command ends with (include/scsi/scsi_status.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStatus {
    /// DID_OK: the command reached the target; see the SCSI status.
    Ok,
    /// DID_NO_CONNECT: no connection to the target.
    NoConnect,
    /// DID_ERROR: the target broke the protocol for this command.
    Error,
    /// DID_TRANSPORT_DISRUPTED: the transport failed; the midlayer may retry.
    TransportDisrupted,
    /// DID_REQUEUE: back to the block layer without using up a retry; the
    /// command goes out again on the next connection.
    Requeue,
    /// DID_TRANSPORT_FAILFAST: no connection within `replacement_timeout`.
    TransportFailfast,
    /// DID_ABORT: the target aborted the command (ABORT TASK, RFC 7143
    /// §11.5.1); the error handler that asked for it owns the command.
    Aborted,
    /// DID_RESET: the target terminated the command in a LOGICAL UNIT RESET
    /// or TARGET WARM RESET; the midlayer sends it again.
    Reset,
}

/// How a command ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Host byte.
    pub host: HostStatus,
    /// SCSI status byte (SAM-5), with `HostStatus::Ok`.
    pub status: u8,
    /// Residual: bytes of the buffer not transferred.
    pub resid: u32,
    /// Valid bytes of `sense`.
    pub sense_len: usize,
    /// Sense data.
    pub sense: [u8; SENSE_LEN],
}

impl Completion {
    /// Ends with `host`, status GOOD, `resid` bytes not transferred.
    pub const fn host(host: HostStatus, resid: u32) -> Self {
        Self {
            host,
            status: 0,
            resid,
            sense_len: 0,
            sense: [0; SENSE_LEN],
        }
    }

    /// The valid sense bytes.
    pub fn sense(&self) -> &[u8] {
        self.sense.get(..self.sense_len).unwrap_or(&[])
    }
}

/// What a command handle must offer the task table: a borrowed handle that
/// a thread can use outside the session lock (to place or send data) while
/// the table still owns the command.
pub trait CmdHandle {
    /// The borrowed handle; the owner cannot be completed while one exists.
    type Ref;
    /// A new borrowed handle.
    fn new_ref(&self) -> Self::Ref;
}

/// A command handle that is only a number, for the host tests and the fuzz
/// target: its borrowed handles are copies of the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NumberedCmd(pub u64);

impl CmdHandle for NumberedCmd {
    type Ref = u64;
    fn new_ref(&self) -> u64 {
        self.0
    }
}

/// Per-command state.
#[derive(Clone, Copy, Debug)]
pub struct Task<C> {
    cmd: Option<C>,
    itt: Itt,
    info: CmdInfo,
    exp_data_sn: u32,
    exp_r2t_sn: u32,
    data_in: u32,
    tx_refs: u32,
    finished: bool,
    /// Whether its SCSI Command PDU went out (it then has `cmd_sn`).
    sent: bool,
    cmd_sn: u32,
    done: Completion,
    /// The ITT of this tag's last command that a task management function
    /// ended after it was sent ([`TaskTable::terminate`]); the target may
    /// still answer it ([`TaskTable::terminated`]). Kept when the tag is
    /// used again.
    terminated: Option<Itt>,
}

impl<C> Task<C> {
    /// An unused entry.
    pub const fn new() -> Self {
        Task {
            cmd: None,
            itt: Itt::new(0, 0),
            info: CmdInfo::EMPTY,
            exp_data_sn: 0,
            exp_r2t_sn: 0,
            data_in: 0,
            tx_refs: 0,
            finished: false,
            sent: false,
            cmd_sn: 0,
            done: Completion::host(HostStatus::Ok, 0),
            terminated: None,
        }
    }

    /// The command's ITT.
    pub fn itt(&self) -> Itt {
        self.itt
    }

    /// The command's CDB, LUN, direction and length.
    pub fn info(&self) -> &CmdInfo {
        &self.info
    }

    /// The command, while outstanding.
    pub fn cmd(&self) -> Option<&C> {
        self.cmd.as_ref()
    }

    /// Bytes of Data-In placed so far.
    pub fn data_in(&self) -> u32 {
        self.data_in
    }

    /// Whether the final status arrived.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Whether its SCSI Command PDU was handed to the transmit thread.
    pub fn sent(&self) -> bool {
        self.sent
    }

    /// The CmdSN its SCSI Command PDU carried (valid once [`Task::sent`]):
    /// the RefCmdSN of an ABORT TASK for it.
    pub fn cmd_sn(&self) -> u32 {
        self.cmd_sn
    }

    /// DataSN the next Data-In must carry.
    pub fn exp_data_sn(&self) -> u32 {
        self.exp_data_sn
    }

    /// R2TSN the next R2T must carry.
    pub fn exp_r2t_sn(&self) -> u32 {
        self.exp_r2t_sn
    }

    /// Counts a Data-In PDU (its DataSN was checked).
    pub fn next_data_sn(&mut self) {
        self.exp_data_sn = self.exp_data_sn.wrapping_add(1);
    }

    /// Counts an R2T (its R2TSN was checked).
    pub fn next_r2t_sn(&mut self) {
        self.exp_r2t_sn = self.exp_r2t_sn.wrapping_add(1);
    }

    /// Records `len` bytes of Data-In placed.
    pub fn add_data_in(&mut self, len: u32) {
        self.data_in = self.data_in.wrapping_add(len);
    }
}

impl<C> Default for Task<C> {
    fn default() -> Self {
        Self::new()
    }
}

/// Why [`TaskTable::start`] did not take a command.
#[derive(Debug, PartialEq, Eq)]
pub enum StartError<C> {
    /// The tag is at or above the table's size: a midlayer bug; complete
    /// the command with DID_ERROR.
    BadTag(C),
    /// The tag's entry is still in use (its previous command was not yet
    /// completed): ask the midlayer to retry (SCSI_MLQUEUE_HOST_BUSY).
    Busy(C),
}

/// One entry per tag, in the caller's storage `B` (`can_queue` entries).
///
/// # Invariants
///
/// An entry's `cmd` is `Some` from [`TaskTable::start`] until the one call
/// that returns it (`finish`, `tx_put` or `drain`); `itt.tag()` is the
/// entry's index and `itt.generation()` grows by one at every start.
/// `active` is the number of entries whose `cmd` is `Some`.
pub struct TaskTable<C, B: DerefMut<Target = [Task<C>]>> {
    tasks: B,
    generations: u64,
    active: u32,
    _c: core::marker::PhantomData<C>,
}

impl<C, B: DerefMut<Target = [Task<C>]>> TaskTable<C, B> {
    /// A table over `tasks` (every entry unused; at most [`MAX_TAGS`]).
    pub fn new(tasks: B) -> Self {
        TaskTable {
            tasks,
            generations: 0,
            active: 0,
            _c: core::marker::PhantomData,
        }
    }

    /// Number of entries (`can_queue`).
    pub fn len(&self) -> usize {
        self.tasks.len().min(MAX_TAGS as usize)
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of commands started so far.
    pub fn started(&self) -> u64 {
        self.generations
    }

    /// Number of commands outstanding: started and not yet handed back
    /// for completion.
    pub fn active(&self) -> u32 {
        self.active
    }

    /// Counts a command handed back (`taken` is `Some`).
    fn took<T>(active: &mut u32, taken: Option<T>) -> Option<T> {
        if taken.is_some() {
            *active = active.saturating_sub(1);
        }
        taken
    }

    /// Takes `cmd` under `tag` with one transmit reference (its SCSI Command
    /// PDU still has to be sent) and returns its new ITT.
    ///
    /// # Errors
    ///
    /// [`StartError`], giving the command back.
    pub fn start(&mut self, tag: u32, cmd: C, info: CmdInfo) -> Result<Itt, StartError<C>> {
        if tag >= MAX_TAGS {
            return Err(StartError::BadTag(cmd));
        }
        let Some(t) = self.tasks.get_mut(tag as usize) else {
            return Err(StartError::BadTag(cmd));
        };
        if t.cmd.is_some() {
            return Err(StartError::Busy(cmd));
        }
        let itt = Itt::new(tag as u16, t.itt.generation().wrapping_add(1));
        *t = Task {
            cmd: Some(cmd),
            itt,
            info,
            tx_refs: 1,
            terminated: t.terminated,
            ..Task::new()
        };
        self.generations += 1;
        self.active += 1;
        Ok(itt)
    }

    /// Gives back a command that [`TaskTable::start`] took but that could
    /// not be queued: the entry is free again.
    pub fn unstart(&mut self, tag: u32) -> Option<C> {
        let t = self.tasks.get_mut(tag as usize)?;
        t.tx_refs = 0;
        t.finished = false;
        Self::took(&mut self.active, t.cmd.take())
    }

    /// The outstanding, unfinished task with ITT `itt`.
    pub fn lookup(&mut self, itt: Itt) -> Option<&mut Task<C>> {
        if !itt.is_task() {
            return None;
        }
        match self.tasks.get_mut(usize::from(itt.tag())) {
            Some(t) if t.cmd.is_some() && t.itt == itt && !t.finished => Some(t),
            _ => None,
        }
    }

    /// The entry of `tag`, if a command is outstanding there.
    pub fn by_tag(&self, tag: u32) -> Option<&Task<C>> {
        self.tasks.get(tag as usize).filter(|t| t.cmd.is_some())
    }

    /// Whether any command is outstanding.
    pub fn any_outstanding(&self) -> bool {
        self.tasks.iter().any(|t| t.cmd.is_some())
    }

    /// Records that the SCSI Command PDU of `tag` goes out with `cmd_sn`.
    pub fn mark_sent(&mut self, tag: u32, cmd_sn: u32) {
        if let Some(t) = self.tasks.get_mut(tag as usize) {
            t.sent = true;
            t.cmd_sn = cmd_sn;
        }
    }

    /// Takes back the command of `tag` if its SCSI Command PDU never went
    /// out and no transmit work holds it (an ABORT TASK for a command still
    /// queued is answered here, without the target). It ends with
    /// [`HostStatus::Aborted`].
    pub fn take_unsent(&mut self, tag: u32) -> Option<(C, Completion)> {
        let t = self.tasks.get_mut(tag as usize)?;
        if t.cmd.is_none() || t.sent || t.finished || t.tx_refs > 1 {
            return None;
        }
        t.tx_refs = 0;
        let c = Completion::host(HostStatus::Aborted, t.info.bufflen);
        Self::took(&mut self.active, t.cmd.take()).map(|cmd| (cmd, c))
    }

    /// Ends every outstanding, unfinished task that was sent and for which
    /// `affected` holds, with `host` and the whole buffer as residual: the
    /// target terminated them (a task management function completed). They
    /// are taken out with [`TaskTable::take_done`], or by the last
    /// [`TaskTable::tx_put`] of one still being sent. Returns how many.
    pub fn terminate(&mut self, affected: impl Fn(&Task<C>) -> bool, host: HostStatus) -> usize {
        let mut n = 0;
        for t in self.tasks.iter_mut() {
            if t.cmd.is_some() && t.sent && !t.finished && affected(t) {
                t.finished = true;
                t.done = Completion::host(host, t.info.bufflen);
                t.terminated = Some(t.itt);
                n += 1;
            }
        }
        n
    }

    /// Whether `itt` is a command that [`TaskTable::terminate`] ended and
    /// whose final status has not arrived since. A target may still send
    /// it: LIO does not abort a command whose backend already completed
    /// (`__target_check_io_state` skips CMD_T_COMPLETE), and sends its
    /// status after the TMF Response.
    pub fn terminated(&self, itt: Itt) -> bool {
        itt.is_task()
            && self
                .tasks
                .get(usize::from(itt.tag()))
                .is_some_and(|t| t.terminated == Some(itt))
    }

    /// The final status of the terminated command `itt` arrived: a later
    /// PDU for it is unknown again.
    pub fn forget_terminated(&mut self, itt: Itt) {
        if let Some(t) = self.tasks.get_mut(usize::from(itt.tag())) {
            if t.terminated == Some(itt) {
                t.terminated = None;
            }
        }
    }

    /// Takes one task that [`TaskTable::terminate`] ended and that no
    /// transmit work holds.
    pub fn take_done(&mut self) -> Option<(C, Completion)> {
        let taken = self
            .tasks
            .iter_mut()
            .find(|t| t.cmd.is_some() && t.finished && t.tx_refs == 0)
            .and_then(|t| {
                t.finished = false;
                let done = t.done;
                t.cmd.take().map(|cmd| (cmd, done))
            });
        Self::took(&mut self.active, taken)
    }

    /// Adds a transmit reference to the outstanding task `itt` (an R2T's
    /// Data-Out was queued). False if there is no such task.
    pub fn tx_get(&mut self, itt: Itt) -> bool {
        match self.lookup(itt) {
            Some(t) => {
                t.tx_refs += 1;
                true
            }
            None => false,
        }
    }

    /// Records the final status of the task `itt`. Returns the command to
    /// complete now if no transmit work holds it; otherwise the last
    /// [`TaskTable::tx_put`] returns it.
    pub fn finish(&mut self, itt: Itt, done: Completion) -> Option<(C, Completion)> {
        let t = self.lookup(itt)?;
        t.finished = true;
        t.done = done;
        if t.tx_refs == 0 {
            t.finished = false;
            let taken = t.cmd.take().map(|c| (c, done));
            return Self::took(&mut self.active, taken);
        }
        None
    }

    /// Drops one transmit reference of `tag`; returns the command to
    /// complete if its final status already arrived.
    pub fn tx_put(&mut self, tag: u32) -> Option<(C, Completion)> {
        let t = self.tasks.get_mut(tag as usize)?;
        t.tx_refs = t.tx_refs.saturating_sub(1);
        if t.tx_refs == 0 && t.finished {
            t.finished = false;
            let taken = t.cmd.take().map(|c| (c, t.done));
            return Self::took(&mut self.active, taken);
        }
        None
    }

    /// Takes one outstanding command, to complete with `host` and the whole
    /// buffer as residual (after a connection failure, once no thread uses
    /// the commands any more).
    pub fn drain_one(&mut self, host: HostStatus) -> Option<(C, Completion)> {
        let taken = self
            .tasks
            .iter_mut()
            .find(|t| t.cmd.is_some())
            .and_then(|t| {
                t.tx_refs = 0;
                t.finished = false;
                let c = Completion::host(host, t.info.bufflen);
                t.cmd.take().map(|cmd| (cmd, c))
            });
        Self::took(&mut self.active, taken)
    }
}

impl<C: CmdHandle, B: DerefMut<Target = [Task<C>]>> TaskTable<C, B> {
    /// A borrowed handle of the outstanding task `itt`, with its info.
    pub fn borrow(&mut self, itt: Itt) -> Option<(C::Ref, CmdInfo)> {
        let t = self.lookup(itt)?;
        let info = t.info;
        t.cmd.as_ref().map(|c| (c.new_ref(), info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn table(n: usize) -> TaskTable<u32, Vec<Task<u32>>> {
        TaskTable::new(vec![Task::new(); n])
    }

    fn read(len: u32) -> CmdInfo {
        CmdInfo {
            bufflen: len,
            dir: DataDir::Read,
            ..CmdInfo::EMPTY
        }
    }

    #[test]
    fn tag_reuse_bumps_the_generation() {
        let mut t = table(4);
        let a = t.start(2, 100, read(512)).unwrap();
        assert_eq!(a.tag(), 2);
        assert_eq!(t.start(2, 101, read(512)), Err(StartError::Busy(101)));
        assert_eq!(t.tx_put(2), None);
        assert_eq!(
            t.finish(a, Completion::host(HostStatus::Ok, 0))
                .map(|d| d.0),
            Some(100)
        );
        let b = t.start(2, 102, read(512)).unwrap();
        assert_eq!(b.tag(), 2);
        assert_eq!(b.generation(), a.generation().wrapping_add(1));
        // A late PDU for the first use does not find the second.
        assert!(t.lookup(a).is_none());
        assert!(t.lookup(b).is_some());
    }

    #[test]
    fn generation_wraps() {
        let mut t = table(1);
        let mut last = Itt::new(0, 0);
        for i in 0..70_000u32 {
            let itt = t.start(0, i, read(0)).unwrap();
            assert_ne!(itt, last);
            assert!(itt.is_task());
            last = itt;
            t.tx_put(0);
            assert_eq!(
                t.finish(itt, Completion::host(HostStatus::Ok, 0))
                    .map(|d| d.0),
                Some(i)
            );
        }
    }

    #[test]
    fn bad_tags() {
        let mut t = table(2);
        assert_eq!(t.start(2, 1, read(0)), Err(StartError::BadTag(1)));
        assert_eq!(t.start(MAX_TAGS, 1, read(0)), Err(StartError::BadTag(1)));
        assert!(t.lookup(Itt::LOGOUT).is_none());
        assert!(t.lookup(Itt::RESERVED).is_none());
    }

    #[test]
    fn completion_waits_for_transmit_references() {
        let mut t = table(1);
        let itt = t.start(0, 7, read(4096)).unwrap();
        assert!(t.tx_get(itt));
        let done = Completion::host(HostStatus::Ok, 0);
        assert_eq!(t.finish(itt, done), None);
        // Finished: no longer found for new PDUs.
        assert!(t.lookup(itt).is_none());
        assert_eq!(t.tx_put(0), None);
        assert_eq!(t.tx_put(0), Some((7, done)));
        assert_eq!(t.tx_put(0), None);
        assert!(!t.any_outstanding());
    }

    #[test]
    fn drain_completes_each_command_once() {
        let mut t = table(3);
        for tag in 0..3 {
            t.start(tag, tag, read(100 + tag)).unwrap();
        }
        let mut seen = Vec::new();
        while let Some((c, d)) = t.drain_one(HostStatus::TransportDisrupted) {
            assert_eq!(d.resid, 100 + c);
            seen.push(c);
        }
        seen.sort();
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(t.tx_put(1), None);
    }
}
