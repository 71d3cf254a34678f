//! iSCSI wire codec (RFC 7143): every PDU of section 11 (encode and
//! decode), AHS, digests (CRC32C through a caller-supplied [`digest::Crc32c`]),
//! serial number arithmetic, and text key=value data segments.
//!
//! `#![no_std]`, no `alloc`, no `unsafe`, no panics on input-dependent
//! paths. The same source files are compiled into the userland helper (as
//! this crate) and into the kernel module (as a plain module tree, see
//! below), so inside the codec sibling modules are only ever referred to
//! as `super::<module>::Item`, never through `crate::`.
//!
//! # Module list (mirror this in the kernel)
//!
//! The kernel module includes the codec as
//!
//! ```text
//! #[path = "../codec/src"]
//! #[allow(dead_code, unreachable_pub)]
//! mod codec {
//!     pub mod ahs;
//!     pub mod assembler;
//!     pub mod async_msg;
//!     pub mod bhs;
//!     pub mod data;
//!     pub mod digest;
//!     pub mod error;
//!     pub mod keys;
//!     pub mod login;
//!     pub mod logout;
//!     pub mod lun;
//!     pub mod nop;
//!     pub mod pdu;
//!     pub mod reject;
//!     pub mod scsi;
//!     pub mod serial;
//!     pub mod snack;
//!     pub mod text;
//!     pub mod tmf;
//! }
//! ```
//!
//! `std_crc` (feature `std-crc`, userspace only) is deliberately not in
//! that list. `keys` and `assembler` (text key=value data) may be left out
//! by a user that never parses text: no other module depends on them.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod ahs;
pub mod assembler;
pub mod async_msg;
pub mod bhs;
pub mod data;
pub mod digest;
pub mod error;
pub mod keys;
pub mod login;
pub mod logout;
pub mod lun;
pub mod nop;
pub mod pdu;
pub mod reject;
pub mod scsi;
pub mod serial;
pub mod snack;
pub mod text;
pub mod tmf;

#[cfg(feature = "std-crc")]
pub mod std_crc;
