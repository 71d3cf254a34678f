//! iscsi-init helper: discovery, CHAP login, parameter negotiation and the
//! handoff of a logged-in socket to the iscsi_init kernel module.
//!
//! The binary (`src/main.rs`) is a thin front end over this library.
#![deny(missing_docs)]

pub mod chap;
pub mod cli;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod diag;
pub mod discovery;
pub mod error;
pub mod identity;
pub mod kernel;
pub mod login;
pub mod negotiate;
pub mod params;
pub mod portal;
pub mod rescan;
pub mod runtime;
pub mod sysfs;
pub mod textval;
pub mod transport;

pub use diag::warn;
