//! The `/dev/iscsi_init` ioctl ABI (see `Documentation/ioctl-abi.rst`).
//!
//! The definitions live in `iscsi_init_abi.rs`, which the kernel module
//! `include!`s as well, so there is exactly one definition of every struct and
//! ioctl number.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

include!("iscsi_init_abi.rs");
