//! The session logic of the `iscsi_init` kernel module that does not need
//! the kernel: the RFC 7143 §8 state machine, the ITT layout, the task
//! table, the transmit rings and every check the receive side makes on a
//! PDU from the target.
//!
//! `#![no_std]`, no `alloc`, no `unsafe`. The same source files are compiled
//! into the module (as `crate::kcore`, see kmod/iscsi_init.rs) and into this
//! crate, where `cargo test` and the `rx_sequence` fuzz target
//! (kmod/core/fuzz) exercise them. So inside these files siblings are
//! reached as `super::<module>` and the codec as `crate::codec` (the module
//! has its codec at `crate::codec`; this crate re-exports it there), never
//! through other `crate::` paths. Storage is the caller's: the task table
//! and the rings work on any `DerefMut<Target = [T]>` (`KVec` in the kernel,
//! `Vec` here), allocated once when a session is created.
//!
//! # Module list (mirror this in kmod/iscsi_init.rs)
//!
//! ```text
//! #[path = "core/src"]
//! mod kcore {
//!     pub mod failure;
//!     pub mod fsm;
//!     pub mod itt;
//!     pub mod framer;
//!     pub mod recovery;
//!     pub mod ring;
//!     pub mod session;
//!     pub mod task;
//!     pub mod tmf;
//! }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

/// The wire codec, at the path the shared files use (`crate::codec`).
pub use iscsi_codec as codec;

pub mod failure;
pub mod framer;
pub mod fsm;
pub mod itt;
pub mod recovery;
pub mod ring;
pub mod session;
pub mod task;
pub mod tmf;
