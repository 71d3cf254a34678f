//! The Initiator Task Tag layout (RFC 7143 §11.2.1.8: the ITT is opaque to
//! the target; the initiator chooses its meaning).
//!
//! ```text
//!  31            16 15             0
//! +----------------+----------------+
//! |   generation   |      tag       |
//! +----------------+----------------+
//! ```
//!
//! `tag` is the blk-mq tag of the command (below [`MAX_TAGS`]); `generation`
//! counts the uses of that tag, so a late PDU for an earlier use of the tag
//! does not match the current one. Values with a tag at or above
//! [`MAX_TAGS`] are for PDUs that are not SCSI tasks ([`Itt::LOGOUT`]), and
//! 0xffffffff is the reserved tag.

/// Tags (blk-mq tags, so `can_queue`) must stay below this value.
pub const MAX_TAGS: u32 = 0xfff0;

/// An Initiator Task Tag as sent on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Itt(u32);

impl Itt {
    /// The reserved tag 0xffffffff (RFC 7143 §11.2.1.8): no task.
    pub const RESERVED: Itt = Itt(0xffff_ffff);
    /// The ITT of our Logout Request: tag 0xfffe, outside every task's tag.
    pub const LOGOUT: Itt = Itt(0x0000_fffe);
    /// The ITT of our keepalive NOP-Out: tag 0xfffd, outside every task's
    /// tag (RFC 7143 §11.18: a ping carries a valid ITT).
    pub const PING: Itt = Itt(0x0000_fffd);

    /// The ITT of use number `generation` of tag `tag`.
    pub const fn new(tag: u16, generation: u16) -> Itt {
        Itt(tag as u32 | (generation as u32) << 16)
    }

    /// The ITT in a received header.
    pub const fn from_wire(v: u32) -> Itt {
        Itt(v)
    }

    /// The value for a header to send.
    pub const fn to_wire(self) -> u32 {
        self.0
    }

    /// The tag part (bits 0..16).
    pub const fn tag(self) -> u16 {
        self.0 as u16
    }

    /// The generation part (bits 16..32).
    pub const fn generation(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// Whether this can be the ITT of a SCSI task (its tag is below
    /// [`MAX_TAGS`]).
    pub const fn is_task(self) -> bool {
        (self.tag() as u32) < MAX_TAGS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let i = Itt::new(0x0123, 0xabcd);
        assert_eq!(i.to_wire(), 0xabcd_0123);
        assert_eq!(i.tag(), 0x0123);
        assert_eq!(i.generation(), 0xabcd);
        assert_eq!(Itt::from_wire(0xabcd_0123), i);
        assert!(i.is_task());
    }

    #[test]
    fn special_values_are_not_tasks() {
        assert!(!Itt::LOGOUT.is_task());
        assert!(!Itt::RESERVED.is_task());
        assert!(!Itt::new(MAX_TAGS as u16, 7).is_task());
        assert!(Itt::new((MAX_TAGS - 1) as u16, 0).is_task());
    }
}
