//! Serial number arithmetic (RFC 1982 with SERIAL_BITS = 32) for CmdSN,
//! ExpCmdSN, MaxCmdSN, StatSN, ExpStatSN, DataSN, ExpDataSN and R2TSN
//! (RFC 7143 section 4.2.2.1), and the command window of RFC 7143 4.2.2.1.

/// A 32-bit iSCSI sequence number compared with RFC 1982 serial arithmetic.
///
/// Two numbers exactly 2^31 apart are neither less nor greater than each
/// other (RFC 1982 3.2 leaves that undefined). `Sn` deliberately does not
/// implement `Ord`: serial order is not transitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sn(pub u32);

const HALF: u32 = 1 << 31;

impl Sn {
    /// The raw 32-bit value as carried on the wire (big-endian there).
    pub const fn get(self) -> u32 {
        self.0
    }

    /// `self < other` in serial arithmetic (RFC 1982 3.2).
    pub const fn lt(self, other: Sn) -> bool {
        let d = other.0.wrapping_sub(self.0);
        d != 0 && d < HALF
    }

    /// `self > other` in serial arithmetic.
    pub const fn gt(self, other: Sn) -> bool {
        other.lt(self)
    }

    /// `self <= other` in serial arithmetic (equal, or less).
    pub const fn le(self, other: Sn) -> bool {
        self.0 == other.0 || self.lt(other)
    }

    /// `self >= other` in serial arithmetic (equal, or greater).
    pub const fn ge(self, other: Sn) -> bool {
        self.0 == other.0 || self.gt(other)
    }

    /// `self + n`, wrapping modulo 2^32 (RFC 1982 3.1; meaningful for
    /// `n < 2^31`).
    #[must_use]
    pub const fn add(self, n: u32) -> Sn {
        Sn(self.0.wrapping_add(n))
    }

    /// `self - n`, wrapping modulo 2^32 (e.g. `ExpCmdSN - 1`).
    #[must_use]
    pub const fn sub(self, n: u32) -> Sn {
        Sn(self.0.wrapping_sub(n))
    }

    /// The next number, `self + 1` wrapping.
    #[must_use]
    pub const fn next(self) -> Sn {
        self.add(1)
    }

    /// How many steps forward from `self` to `later`: `later - self`
    /// modulo 2^32. Meaningful when `self <= later` serially.
    pub const fn distance_to(self, later: Sn) -> u32 {
        later.0.wrapping_sub(self.0)
    }

    /// Signed difference `self - other` in the range -2^31..2^31 (the
    /// value 2^31, undefined in RFC 1982, comes out as `i32::MIN`).
    pub const fn diff(self, other: Sn) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
}

impl From<u32> for Sn {
    fn from(v: u32) -> Self {
        Sn(v)
    }
}

impl From<Sn> for u32 {
    fn from(v: Sn) -> Self {
        v.0
    }
}

/// What [`CmdWindow::update`] did with the ExpCmdSN/MaxCmdSN of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUpdate {
    /// The local ExpCmdSN advanced.
    pub exp_cmd_sn_advanced: bool,
    /// The local MaxCmdSN advanced.
    pub max_cmd_sn_advanced: bool,
    /// The pair was ignored because MaxCmdSN < ExpCmdSN - 1 (RFC 7143
    /// 4.2.2.1).
    pub ignored: bool,
}

/// The session command window: the CmdSNs the initiator may send are
/// `ExpCmdSN ..= MaxCmdSN` in serial arithmetic (RFC 7143 4.2.2.1).
/// `MaxCmdSN == ExpCmdSN - 1` is a closed (zero) window.
///
/// Immediate commands (I bit) are not limited by the window; the caller
/// handles that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmdWindow {
    /// The lowest CmdSN the target still expects (ExpCmdSN).
    pub exp_cmd_sn: Sn,
    /// The highest CmdSN the target accepts (MaxCmdSN).
    pub max_cmd_sn: Sn,
}

impl CmdWindow {
    /// A window from the ExpCmdSN/MaxCmdSN of the final Login Response.
    /// Returns `None` if `max_cmd_sn < exp_cmd_sn - 1` (an invalid window).
    pub const fn new(exp_cmd_sn: Sn, max_cmd_sn: Sn) -> Option<CmdWindow> {
        if max_cmd_sn.lt(exp_cmd_sn.sub(1)) {
            None
        } else {
            Some(CmdWindow {
                exp_cmd_sn,
                max_cmd_sn,
            })
        }
    }

    /// Number of CmdSNs in the window, `MaxCmdSN - ExpCmdSN + 1` (0 for a
    /// closed window). At most 2^31.
    pub const fn size(&self) -> u32 {
        let s = self
            .max_cmd_sn
            .0
            .wrapping_sub(self.exp_cmd_sn.0)
            .wrapping_add(1);
        if s > HALF {
            0
        } else {
            s
        }
    }

    /// Whether the window is closed (`MaxCmdSN == ExpCmdSN - 1`).
    pub const fn is_closed(&self) -> bool {
        self.size() == 0
    }

    /// May a non-immediate command with this CmdSN be sent now? True iff
    /// `ExpCmdSN <= cmd_sn <= MaxCmdSN` serially.
    pub const fn may_send(&self, cmd_sn: Sn) -> bool {
        cmd_sn.0.wrapping_sub(self.exp_cmd_sn.0) < self.size()
    }

    /// How many non-immediate commands starting at `next_cmd_sn` (the
    /// CmdSN the next command would carry) fit into the window.
    pub const fn available(&self, next_cmd_sn: Sn) -> u32 {
        if !self.may_send(next_cmd_sn) {
            return 0;
        }
        // next_cmd_sn..=max_cmd_sn
        self.max_cmd_sn
            .0
            .wrapping_sub(next_cmd_sn.0)
            .wrapping_add(1)
    }

    /// Apply the ExpCmdSN/MaxCmdSN carried by a target PDU (RFC 7143
    /// 4.2.2.1): if `MaxCmdSN < ExpCmdSN - 1` both are ignored; otherwise
    /// each local value is replaced only if the PDU's value is greater.
    pub fn update(&mut self, exp_cmd_sn: Sn, max_cmd_sn: Sn) -> WindowUpdate {
        let mut r = WindowUpdate {
            exp_cmd_sn_advanced: false,
            max_cmd_sn_advanced: false,
            ignored: false,
        };
        if max_cmd_sn.lt(exp_cmd_sn.sub(1)) {
            r.ignored = true;
            return r;
        }
        if max_cmd_sn.gt(self.max_cmd_sn) {
            self.max_cmd_sn = max_cmd_sn;
            r.max_cmd_sn_advanced = true;
        }
        if exp_cmd_sn.gt(self.exp_cmd_sn) {
            self.exp_cmd_sn = exp_cmd_sn;
            r.exp_cmd_sn_advanced = true;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_order() {
        assert!(Sn(1).lt(Sn(2)));
        assert!(Sn(0xffff_ffff).lt(Sn(0)));
        assert!(Sn(0).gt(Sn(0xffff_ffff)));
        assert!(Sn(0x7fff_ffff).gt(Sn(0)));
        // exactly 2^31 apart: undefined, neither lt nor gt
        assert!(!Sn(0).lt(Sn(0x8000_0000)));
        assert!(!Sn(0).gt(Sn(0x8000_0000)));
        assert!(Sn(5).le(Sn(5)) && Sn(5).ge(Sn(5)));
        assert!(!Sn(5).lt(Sn(5)));
        assert_eq!(Sn(0xffff_fffe).add(3), Sn(1));
        assert_eq!(Sn(0xffff_fffe).distance_to(Sn(1)), 3);
        assert_eq!(Sn(1).diff(Sn(0xffff_fffe)), 3);
        assert_eq!(Sn(0xffff_fffe).diff(Sn(1)), -3);
    }

    #[test]
    fn window() {
        let w = CmdWindow::new(Sn(10), Sn(12)).unwrap();
        assert_eq!(w.size(), 3);
        assert!(!w.may_send(Sn(9)));
        assert!(w.may_send(Sn(10)) && w.may_send(Sn(12)));
        assert!(!w.may_send(Sn(13)));
        assert_eq!(w.available(Sn(11)), 2);
        assert_eq!(w.available(Sn(13)), 0);

        let z = CmdWindow::new(Sn(10), Sn(9)).unwrap();
        assert!(z.is_closed());
        assert!(!z.may_send(Sn(10)) && !z.may_send(Sn(9)));
        assert!(CmdWindow::new(Sn(10), Sn(8)).is_none());

        // wrap-around
        let w = CmdWindow::new(Sn(0xffff_fffe), Sn(1)).unwrap();
        assert_eq!(w.size(), 4);
        assert!(w.may_send(Sn(0xffff_ffff)) && w.may_send(Sn(0)) && w.may_send(Sn(1)));
        assert!(!w.may_send(Sn(2)) && !w.may_send(Sn(0xffff_fffd)));
    }

    #[test]
    fn window_update() {
        let mut w = CmdWindow::new(Sn(10), Sn(20)).unwrap();
        let u = w.update(Sn(11), Sn(19));
        assert!(u.exp_cmd_sn_advanced && !u.max_cmd_sn_advanced && !u.ignored);
        assert_eq!(
            w,
            CmdWindow {
                exp_cmd_sn: Sn(11),
                max_cmd_sn: Sn(20)
            }
        );
        // stale: never go back
        let u = w.update(Sn(10), Sn(15));
        assert!(!u.exp_cmd_sn_advanced && !u.max_cmd_sn_advanced && !u.ignored);
        // invalid pair: MaxCmdSN < ExpCmdSN - 1
        let u = w.update(Sn(30), Sn(28));
        assert!(u.ignored);
        assert_eq!(w.exp_cmd_sn, Sn(11));
        // MaxCmdSN == ExpCmdSN - 1 is a valid (closed) window
        let u = w.update(Sn(21), Sn(20));
        assert!(u.exp_cmd_sn_advanced && !u.ignored);
        assert!(w.is_closed());
        let u = w.update(Sn(21), Sn(25));
        assert!(u.max_cmd_sn_advanced);
        assert_eq!(w.size(), 5);
    }
}
