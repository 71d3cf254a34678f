//! Session recovery at ErrorRecoveryLevel 0: what the SCSI devices do with
//! I/O while the session has no full-feature connection, the
//! `replacement_timeout`, the NOP-Out keepalive (RFC 7143 §11.18) and the
//! figures an admin sees (recoveries, last failure, time in state).
//!
//! The model is libiscsi's block/unblock with FreeBSD's requeue: when the
//! connection fails, the kernel blocks the host's devices (new I/O waits in
//! the block layer, neither failed nor spun on) and completes every
//! outstanding command with DID_REQUEUE, which puts it back in the block
//! layer without counting against the midlayer's retry budget (FreeBSD's
//! `CAM_REQUEUE_REQ`). Once a new connection is bound the devices are
//! unblocked and the commands go out again with new ITTs and CmdSNs. If no
//! connection is bound within `replacement_timeout` seconds the devices
//! turn to fail-fast: held and new I/O ends with an error at once, and a
//! later connection makes the same devices work again.
//!
//! Everything here is plain arithmetic on millisecond timestamps that the
//! caller passes in (`now`), so it is tested on the host.

use super::failure::Failure;

/// Default `replacement_timeout` (seconds), as open-iscsi's.
pub const DEFAULT_REPLACEMENT_TIMEOUT: u32 = 120;
/// Default `noop_out_interval` (seconds).
pub const DEFAULT_NOOP_OUT_INTERVAL: u32 = 5;
/// Default `noop_out_timeout` (seconds).
pub const DEFAULT_NOOP_OUT_TIMEOUT: u32 = 5;
/// Largest value of each timer (seconds).
pub const MAX_TIMER: u32 = 3600;

/// What the host's SCSI devices do with I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Io {
    /// Commands go to the connection (or wait for the CmdSN window).
    Running,
    /// No connection: the devices are blocked and commands wait for the
    /// next one, at most `replacement_timeout`.
    Held,
    /// `replacement_timeout` expired: held and new commands fail at once
    /// (DID_TRANSPORT_FAILFAST) until a connection is bound.
    FailFast,
    /// The session is being removed: commands fail (DID_NO_CONNECT).
    Closing,
}

impl Io {
    /// The name shown in sysfs `iscsi_io_state` and `iscsi-init list`.
    pub const fn name(self) -> &'static str {
        match self {
            Io::Running => "running",
            Io::Held => "holding",
            Io::FailFast => "failfast",
            Io::Closing => "closing",
        }
    }
}

/// Per-session timers, in seconds; set at login, changed in sysfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    /// Seconds I/O is held after a connection failure before it fails; 0
    /// fails it at once (for dm-multipath).
    pub replacement_timeout: u32,
    /// Seconds without a PDU from the target after which a NOP-Out ping is
    /// sent; 0 disables the keepalive.
    pub noop_out_interval: u32,
    /// Seconds a ping may stay unanswered before the connection fails.
    pub noop_out_timeout: u32,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            replacement_timeout: DEFAULT_REPLACEMENT_TIMEOUT,
            noop_out_interval: DEFAULT_NOOP_OUT_INTERVAL,
            noop_out_timeout: DEFAULT_NOOP_OUT_TIMEOUT,
        }
    }
}

/// What the keepalive asks of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keepalive {
    /// Nothing to do: check again in this many milliseconds (`None`: the
    /// keepalive is off or the connection is not in full-feature phase).
    Wait(Option<u64>),
    /// Send a NOP-Out ping now, then check again in this many milliseconds.
    Ping(u64),
    /// The ping went unanswered for `noop_out_timeout`: fail the connection.
    Expired,
}

/// The recovery state of a session (see the module documentation).
///
/// # Invariants
///
/// `failed_at` is `Some` exactly while the session has had no full-feature
/// connection since a failure (`io` is then `Held`, `FailFast` or, during
/// the failure itself, still `Running`); `ping_sent` is `None` whenever
/// there is no full-feature connection.
#[derive(Clone, Copy, Debug)]
pub struct Recovery {
    timers: Timers,
    io: Io,
    failed_at: Option<u64>,
    ping_sent: Option<u64>,
    recoveries: u32,
    last_failure: Option<(Failure, u64)>,
    reconnect_delay: u32,
    rescan: bool,
    removing: bool,
}

impl Recovery {
    /// A session with these timers whose I/O runs.
    pub fn new(timers: Timers) -> Self {
        Recovery {
            timers,
            io: Io::Running,
            failed_at: None,
            ping_sent: None,
            recoveries: 0,
            last_failure: None,
            reconnect_delay: 0,
            rescan: false,
            removing: false,
        }
    }

    /// Whether the session is being removed.
    pub fn removing(&self) -> bool {
        self.removing
    }

    /// The timers.
    pub fn timers(&self) -> Timers {
        self.timers
    }

    /// Changes the timers (sysfs). A shorter `replacement_timeout` takes
    /// effect at the next check.
    pub fn set_timers(&mut self, t: Timers) {
        self.timers = t;
    }

    /// What the devices do with I/O.
    pub fn io(&self) -> Io {
        self.io
    }

    /// Successful recoveries since the session was created.
    pub fn recoveries(&self) -> u32 {
        self.recoveries
    }

    /// The last failure and when it happened (ms).
    pub fn last_failure(&self) -> Option<(Failure, u64)> {
        self.last_failure
    }

    /// When the session lost its connection (ms), while it has none.
    pub fn failed_at(&self) -> Option<u64> {
        self.failed_at
    }

    /// Seconds the target asked us to wait before reconnecting (Async
    /// Message Parameter2, or DefaultTime2Wait for a requested logout).
    pub fn reconnect_delay(&self) -> u32 {
        self.reconnect_delay
    }

    /// Sets the reconnect delay of the current outage.
    pub fn set_reconnect_delay(&mut self, secs: u32) {
        self.reconnect_delay = secs.min(MAX_TIMER);
    }

    /// The connection failed (or ended) at `now` for `why`: the outage
    /// starts, unless one is already running.
    pub fn failed(&mut self, why: Failure, now: u64) {
        self.last_failure = Some((why, now));
        self.ping_sent = None;
        if self.failed_at.is_none() {
            self.failed_at = Some(now);
        }
    }

    /// The session is being removed. A session without a connection fails
    /// its I/O from now on; one with a connection keeps it until the
    /// connection ends (so the devices' last cache flush goes out).
    pub fn close(&mut self) {
        self.removing = true;
        if self.io != Io::Running {
            self.io = Io::Closing;
        }
    }

    /// The connection's threads stopped: the devices hold I/O, or fail it
    /// at once with a `replacement_timeout` of 0 (or while closing).
    /// Returns the new state.
    pub fn cleaned_up(&mut self, now: u64) -> Io {
        if self.failed_at.is_none() {
            self.failed_at = Some(now);
        }
        self.io = match self.io {
            _ if self.removing => Io::Closing,
            Io::Closing => Io::Closing,
            _ if self.timers.replacement_timeout == 0 => Io::FailFast,
            Io::FailFast => Io::FailFast,
            _ => Io::Held,
        };
        self.io
    }

    /// Milliseconds until `replacement_timeout` expires, `Some(0)` once it
    /// has (and the devices turned to fail-fast: [`Io::FailFast`]); `None`
    /// when I/O is not held.
    pub fn replacement(&mut self, now: u64) -> Option<u64> {
        let since = self.failed_at?;
        if self.io != Io::Held {
            return None;
        }
        let end = since.saturating_add(u64::from(self.timers.replacement_timeout) * 1000);
        if now >= end {
            self.io = Io::FailFast;
            Some(0)
        } else {
            Some(end - now)
        }
    }

    /// A new connection is in full-feature phase at `now`: I/O runs again.
    /// Returns the outage in milliseconds (if there was one).
    pub fn recovered(&mut self, now: u64) -> Option<u64> {
        self.ping_sent = None;
        self.reconnect_delay = 0;
        if self.io != Io::Closing {
            self.io = Io::Running;
        }
        let since = self.failed_at.take()?;
        self.recoveries = self.recoveries.saturating_add(1);
        Some(now.saturating_sub(since))
    }

    /// The keepalive at `now`, for a connection in full-feature phase
    /// (`running`) whose last PDU from the target arrived at `last_rx`.
    pub fn keepalive(&mut self, running: bool, now: u64, last_rx: u64) -> Keepalive {
        if !running || self.timers.noop_out_interval == 0 {
            self.ping_sent = None;
            return Keepalive::Wait(None);
        }
        let timeout = u64::from(self.timers.noop_out_timeout.max(1)) * 1000;
        if let Some(sent) = self.ping_sent {
            // Any PDU since the ping shows the target is alive.
            if last_rx >= sent {
                self.ping_sent = None;
            } else if now >= sent.saturating_add(timeout) {
                return Keepalive::Expired;
            } else {
                return Keepalive::Wait(Some(sent + timeout - now));
            }
        }
        let due = last_rx.saturating_add(u64::from(self.timers.noop_out_interval) * 1000);
        if now >= due {
            self.ping_sent = Some(now);
            Keepalive::Ping(timeout)
        } else {
            Keepalive::Wait(Some(due - now))
        }
    }

    /// Whether a ping is outstanding (a NOP-In with our ping's ITT is then
    /// its answer).
    pub fn ping_outstanding(&self) -> bool {
        self.ping_sent.is_some()
    }

    /// The ping was answered.
    pub fn pong(&mut self) {
        self.ping_sent = None;
    }

    /// The target reported that its LUN inventory changed.
    pub fn request_rescan(&mut self) {
        self.rescan = true;
    }

    /// Whether a LUN rescan is requested (not taken).
    pub fn rescan_pending(&self) -> bool {
        self.rescan
    }

    /// Whether a LUN rescan was requested since the last call.
    pub fn take_rescan(&mut self) -> bool {
        core::mem::replace(&mut self.rescan, false)
    }
}

/// Whether sense data reports REPORTED LUNS DATA HAS CHANGED (ASC 3Fh,
/// ASCQ 0Eh), in fixed (70h/71h) or descriptor (72h/73h) format.
pub fn luns_changed(sense: &[u8]) -> bool {
    let code = sense.first().map(|b| b & 0x7f);
    let (asc, ascq) = match code {
        Some(0x70 | 0x71) => (sense.get(12), sense.get(13)),
        Some(0x72 | 0x73) => (sense.get(2), sense.get(3)),
        _ => (None, None),
    };
    asc == Some(&0x3f) && ascq == Some(&0x0e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timers(r: u32, i: u32, t: u32) -> Timers {
        Timers {
            replacement_timeout: r,
            noop_out_interval: i,
            noop_out_timeout: t,
        }
    }

    #[test]
    fn outage_holds_then_fails_fast_then_recovers() {
        let mut r = Recovery::new(timers(10, 5, 5));
        r.failed(Failure::Socket, 1000);
        assert_eq!(r.cleaned_up(1200), Io::Held);
        assert_eq!(r.replacement(1200), Some(9800));
        assert_eq!(r.io(), Io::Held);
        assert_eq!(r.replacement(10_999), Some(1));
        assert_eq!(r.replacement(11_000), Some(0));
        assert_eq!(r.io(), Io::FailFast);
        // Once failed fast, the timer is over.
        assert_eq!(r.replacement(20_000), None);
        // A second failure report does not move the start of the outage.
        r.failed(Failure::ClosedByTarget, 15_000);
        assert_eq!(r.recovered(21_000), Some(20_000));
        assert_eq!(r.io(), Io::Running);
        assert_eq!(r.recoveries(), 1);
        assert_eq!(r.last_failure(), Some((Failure::ClosedByTarget, 15_000)));
        assert_eq!(r.failed_at(), None);
    }

    #[test]
    fn zero_replacement_timeout_fails_at_once() {
        let mut r = Recovery::new(timers(0, 5, 5));
        r.failed(Failure::Socket, 0);
        assert_eq!(r.cleaned_up(0), Io::FailFast);
        assert_eq!(r.replacement(0), None);
    }

    #[test]
    fn closing_stays_closing() {
        let mut r = Recovery::new(Timers::default());
        r.close();
        // With a live connection I/O still runs, until it ends.
        assert_eq!(r.io(), Io::Running);
        r.failed(Failure::Stopped, 0);
        assert_eq!(r.cleaned_up(0), Io::Closing);
        let mut r = Recovery::new(Timers::default());
        r.failed(Failure::Socket, 0);
        assert_eq!(r.cleaned_up(0), Io::Held);
        r.close();
        assert_eq!(r.io(), Io::Closing);
        assert_eq!(r.recovered(5), Some(5));
        assert_eq!(r.io(), Io::Closing);
    }

    #[test]
    fn ten_outages_in_a_row_each_recover() {
        let mut r = Recovery::new(Timers::default());
        for i in 0..10u64 {
            r.failed(Failure::Socket, i * 10_000);
            assert_eq!(r.cleaned_up(i * 10_000 + 10), Io::Held);
            assert_eq!(r.recovered(i * 10_000 + 2000), Some(2000));
        }
        assert_eq!(r.recoveries(), 10);
    }

    #[test]
    fn keepalive_pings_when_idle_and_expires_unanswered() {
        let mut r = Recovery::new(timers(120, 5, 3));
        assert_eq!(r.keepalive(true, 1000, 0), Keepalive::Wait(Some(4000)));
        assert_eq!(r.keepalive(true, 5000, 0), Keepalive::Ping(3000));
        assert!(r.ping_outstanding());
        assert_eq!(r.keepalive(true, 6000, 0), Keepalive::Wait(Some(2000)));
        assert_eq!(r.keepalive(true, 8000, 0), Keepalive::Expired);
    }

    #[test]
    fn keepalive_any_pdu_answers() {
        let mut r = Recovery::new(timers(120, 5, 3));
        assert_eq!(r.keepalive(true, 5000, 0), Keepalive::Ping(3000));
        // A PDU arrived after the ping: no expiry, next ping 5 s after it.
        assert_eq!(r.keepalive(true, 7000, 6000), Keepalive::Wait(Some(4000)));
        assert!(!r.ping_outstanding());
        assert_eq!(r.keepalive(true, 11_000, 6000), Keepalive::Ping(3000));
        r.pong();
        assert_eq!(r.keepalive(true, 11_500, 6000), Keepalive::Ping(3000));
    }

    #[test]
    fn keepalive_off() {
        let mut r = Recovery::new(timers(120, 0, 3));
        assert_eq!(r.keepalive(true, 1_000_000, 0), Keepalive::Wait(None));
        let mut r = Recovery::new(timers(120, 5, 3));
        assert_eq!(r.keepalive(false, 1_000_000, 0), Keepalive::Wait(None));
        // A failure clears an outstanding ping.
        assert_eq!(r.keepalive(true, 10_000, 0), Keepalive::Ping(3000));
        r.failed(Failure::Socket, 10_001);
        assert!(!r.ping_outstanding());
    }

    #[test]
    fn luns_changed_sense() {
        let mut fixed = [0u8; 18];
        fixed[0] = 0x70;
        fixed[2] = 0x06;
        fixed[12] = 0x3f;
        fixed[13] = 0x0e;
        assert!(luns_changed(&fixed));
        fixed[13] = 0x0f;
        assert!(!luns_changed(&fixed));
        assert!(luns_changed(&[0x72, 0x06, 0x3f, 0x0e]));
        assert!(!luns_changed(&[0x72, 0x06, 0x3f]));
        assert!(!luns_changed(&[]));
    }
}
