//! iscsi-init helper: discovery, CHAP login, parameter negotiation and the
//! handoff of a logged-in socket to the iscsi_init kernel module.
//!
//! The binary (`src/main.rs`) is a thin front end over this library.
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]

pub mod chap;
pub mod error;
pub mod negotiate;
pub mod textval;
