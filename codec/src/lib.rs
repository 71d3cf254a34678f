//! iSCSI wire codec (RFC 7143). See the module list below.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
