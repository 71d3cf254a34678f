//! The 8-byte Logical Unit Number field of the BHS (RFC 7143 11.2.1.4 and
//! 11.3.4; address formats from SAM-2/SAM-5 "LUN structure").

/// An 8-byte LUN exactly as carried in BHS bytes 8..16.
///
/// Construct it from one of the SAM addressing methods
/// ([`Lun::peripheral`], [`Lun::flat`]), from a plain big-endian `u64`
/// ([`Lun::from_u64`]), or from the Linux SCSI midlayer's LUN integer
/// ([`Lun::from_scsilun_int`], the inverse of Linux `scsilun_to_int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lun(pub [u8; 8]);

/// The address method of the first level of a LUN (SAM, byte 0 bits 7-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LunAddress {
    /// Peripheral device addressing (method 00b): bus identifier (6 bits)
    /// and target/LUN byte.
    Peripheral {
        /// Bus identifier, 0..=63 (0 addresses a LUN of the current target).
        bus: u8,
        /// Target or LUN, 0..=255.
        lun: u8,
    },
    /// Flat space addressing (method 01b): a 14-bit LUN, 0..=16383.
    Flat(u16),
    /// Logical unit addressing (method 10b).
    LogicalUnit {
        /// Target, 0..=63.
        target: u8,
        /// Bus number, 0..=7.
        bus: u8,
        /// LUN, 0..=31.
        lun: u8,
    },
    /// Extended logical unit addressing (method 11b), not interpreted.
    Extended,
}

impl Lun {
    /// LUN 0 (all zeros).
    pub const ZERO: Lun = Lun([0; 8]);

    /// The 8 bytes as a big-endian `u64` (byte 8 of the BHS is the most
    /// significant byte).
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// The LUN whose 8 wire bytes are `v` in big-endian order.
    pub const fn from_u64(v: u64) -> Lun {
        Lun(v.to_be_bytes())
    }

    /// Single-level peripheral device addressing (SAM method 00b):
    /// `[bus & 0x3f, lun, 0, 0, 0, 0, 0, 0]`. With bus 0 this is the usual
    /// encoding of LUNs 0..=255.
    pub const fn peripheral(bus: u8, lun: u8) -> Lun {
        Lun([bus & 0x3f, lun, 0, 0, 0, 0, 0, 0])
    }

    /// Single-level flat space addressing (SAM method 01b):
    /// `[0x40 | lun >> 8, lun & 0xff, 0, ...]`; `None` if `lun > 16383`.
    pub const fn flat(lun: u16) -> Option<Lun> {
        if lun > 0x3fff {
            return None;
        }
        let b = lun.to_be_bytes();
        Some(Lun([0x40 | b[0], b[1], 0, 0, 0, 0, 0, 0]))
    }

    /// The usual single-level encoding of a LUN number: peripheral
    /// addressing (bus 0) below 256, flat space addressing up to 16383,
    /// `None` above.
    pub const fn from_number(n: u16) -> Option<Lun> {
        if n < 256 {
            Some(Lun::peripheral(0, n as u8))
        } else {
            Lun::flat(n)
        }
    }

    /// The address method and fields of the first addressing level.
    pub const fn address(self) -> LunAddress {
        let b0 = self.0[0];
        let b1 = self.0[1];
        match b0 >> 6 {
            0 => LunAddress::Peripheral {
                bus: b0 & 0x3f,
                lun: b1,
            },
            1 => LunAddress::Flat((((b0 & 0x3f) as u16) << 8) | b1 as u16),
            2 => LunAddress::LogicalUnit {
                target: b0 & 0x3f,
                bus: b1 >> 5,
                lun: b1 & 0x1f,
            },
            _ => LunAddress::Extended,
        }
    }

    /// The Linux SCSI midlayer LUN integer of this LUN (Linux
    /// `scsilun_to_int`): the four 2-byte levels, level 0 in the low 16
    /// bits, each level's first byte as the high byte.
    pub const fn to_scsilun_int(self) -> u64 {
        let b = self.0;
        (((b[0] as u64) << 8) | b[1] as u64)
            | ((((b[2] as u64) << 8) | b[3] as u64) << 16)
            | ((((b[4] as u64) << 8) | b[5] as u64) << 32)
            | ((((b[6] as u64) << 8) | b[7] as u64) << 48)
    }

    /// The LUN for a Linux SCSI midlayer LUN integer (Linux
    /// `int_to_scsilun`); exact inverse of [`Lun::to_scsilun_int`]. For
    /// `n < 256` this is peripheral addressing, for 256..=16383 the caller
    /// should add 0x4000 (Linux does so in the midlayer) to get flat
    /// addressing.
    pub const fn from_scsilun_int(n: u64) -> Lun {
        let l0 = (n & 0xffff) as u16;
        let l1 = ((n >> 16) & 0xffff) as u16;
        let l2 = ((n >> 32) & 0xffff) as u16;
        let l3 = ((n >> 48) & 0xffff) as u16;
        let a = l0.to_be_bytes();
        let b = l1.to_be_bytes();
        let c = l2.to_be_bytes();
        let d = l3.to_be_bytes();
        Lun([a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1]])
    }
}

impl From<[u8; 8]> for Lun {
    fn from(b: [u8; 8]) -> Self {
        Lun(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(Lun::peripheral(0, 1).0, [0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(Lun::flat(0x123).unwrap().0, [0x41, 0x23, 0, 0, 0, 0, 0, 0]);
        assert!(Lun::flat(0x4000).is_none());
        assert_eq!(Lun::from_number(5), Some(Lun::peripheral(0, 5)));
        assert_eq!(Lun::from_number(300), Lun::flat(300));
        assert_eq!(Lun::flat(300).unwrap().address(), LunAddress::Flat(300));
        assert_eq!(
            Lun::peripheral(2, 7).address(),
            LunAddress::Peripheral { bus: 2, lun: 7 }
        );
        assert_eq!(
            Lun::from_u64(0x0001_0000_0000_0000).0,
            [0, 1, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(Lun::peripheral(0, 1).to_u64(), 0x0001_0000_0000_0000);
        // Linux: LUN 1 -> 00 01 00.., 0x4123 -> 41 23 00..
        assert_eq!(Lun::from_scsilun_int(1), Lun::peripheral(0, 1));
        assert_eq!(Lun::from_scsilun_int(0x4123), Lun::flat(0x123).unwrap());
        let l = Lun([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(Lun::from_scsilun_int(l.to_scsilun_int()), l);
        assert_eq!(l.to_scsilun_int(), 0x0708_0506_0304_0102);
    }
}
