//! Errors of the helper and the process exit codes they map to.
//!
//! Every failure the helper reports is one [`Error`]: a class (which selects
//! the exit code) and a one-line message. `main` prints it as
//! `iscsi-init: <message>` on stderr and exits with [`Error::exit_code`].

use std::fmt;

/// Process exit codes (documented in `--help` and Documentation/helper.rst).
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Any other failure (I/O on local files, internal error).
    pub const OTHER: i32 = 1;
    /// Usage error: bad command line (clap uses 2 as well).
    pub const USAGE: i32 = 2;
    /// Configuration error: config file, secret file, initiator identity.
    pub const CONFIG: i32 = 3;
    /// Network error: name resolution, connect, timeout, connection lost.
    pub const NETWORK: i32 = 4;
    /// Authentication or authorization failure (CHAP, login status 0x0201/0x0202).
    pub const AUTH: i32 = 5;
    /// Target error: login rejected (other than authentication), protocol
    /// violation by the target, negotiation failure.
    pub const TARGET: i32 = 6;
    /// Kernel module error: /dev/iscsi_init missing, ioctl failed.
    pub const KERNEL: i32 = 7;
    /// Nothing matched: no such session or target record.
    pub const NOT_FOUND: i32 = 8;
}

/// The class of a failure; selects the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// See [`exit::OTHER`].
    Other,
    /// See [`exit::USAGE`].
    Usage,
    /// See [`exit::CONFIG`].
    Config,
    /// See [`exit::NETWORK`].
    Network,
    /// See [`exit::AUTH`].
    Auth,
    /// See [`exit::TARGET`].
    Target,
    /// See [`exit::KERNEL`].
    Kernel,
    /// See [`exit::NOT_FOUND`].
    NotFound,
}

impl Kind {
    /// Exit code of this class.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Other => exit::OTHER,
            Kind::Usage => exit::USAGE,
            Kind::Config => exit::CONFIG,
            Kind::Network => exit::NETWORK,
            Kind::Auth => exit::AUTH,
            Kind::Target => exit::TARGET,
            Kind::Kernel => exit::KERNEL,
            Kind::NotFound => exit::NOT_FOUND,
        }
    }
}

/// `pub fn NAME(message) -> Error` of class `Kind::KIND`, for each pair.
macro_rules! constructors {
    ($($name:ident => $kind:ident,)*) => {
        $(
            #[doc = concat!("[`Kind::", stringify!($kind), "`].")]
            pub fn $name(m: impl Into<String>) -> Self {
                Self::new(Kind::$kind, m)
            }
        )*
    };
}

/// A failure with its class and a one-line, human-readable message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Class of the failure.
    pub kind: Kind,
    /// One line, no trailing period, no newline.
    pub message: String,
    /// Status-Class << 8 | Status-Detail of the Login Response that caused
    /// the error, if one did (RFC 7143 §11.13.5).
    pub login_status: Option<u16>,
    /// The login failed on our CHAP_A offer of several algorithms in a way
    /// that an offer of MD5 alone may get past (the target closed the
    /// connection, or answered with a value we did not offer, as NetBSD's
    /// target does; RFC 7143 §12.1.3): `login` then retries once so.
    pub chap_md5_retry: bool,
    /// The target closed the connection in an orderly way (a FIN: end of
    /// stream) while we read from it.
    pub closed_by_target: bool,
}

impl Error {
    /// A new error of class `kind`.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        let mut message: String = message.into();
        // One line, always.
        if message.contains('\n') {
            message = message.replace('\n', " ");
        }
        Self {
            kind,
            message,
            login_status: None,
            chap_md5_retry: false,
            closed_by_target: false,
        }
    }
    constructors! {
        other => Other,
        usage => Usage,
        config => Config,
        network => Network,
        target => Target,
        kernel => Kernel,
        not_found => NotFound,
    }
    /// [`Kind::Auth`]; the message is prefixed with "authentication failed: ".
    pub fn auth(m: impl Into<String>) -> Self {
        Self::new(Kind::Auth, format!("authentication failed: {}", m.into()))
    }
    /// A protocol violation by the target ([`Kind::Target`]).
    pub fn protocol(m: impl Into<String>) -> Self {
        Self::new(Kind::Target, format!("protocol error: {}", m.into()))
    }
    /// Exit code for this error.
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
    /// The same error with `context: ` in front of its message.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Describe an I/O error of a network operation as a one-line message.
pub fn io_network(what: impl fmt::Display, e: &std::io::Error) -> Error {
    use std::io::ErrorKind as K;
    let detail = match e.kind() {
        K::TimedOut | K::WouldBlock => "timed out".to_string(),
        K::ConnectionRefused => "connection refused".to_string(),
        K::ConnectionReset => "connection reset by peer".to_string(),
        K::UnexpectedEof => "connection closed by the target".to_string(),
        K::BrokenPipe => "connection closed by the target (broken pipe)".to_string(),
        _ => strip_os_error(e),
    };
    let mut err = Error::network(format!("{what}: {detail}"));
    err.closed_by_target = e.kind() == K::UnexpectedEof;
    err
}

/// `e.to_string()` without the " (os error N)" suffix std appends.
pub fn strip_os_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_distinct() {
        let kinds = [
            Kind::Other,
            Kind::Usage,
            Kind::Config,
            Kind::Network,
            Kind::Auth,
            Kind::Target,
            Kind::Kernel,
            Kind::NotFound,
        ];
        let mut codes: Vec<i32> = kinds.iter().map(|k| k.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
        assert!(!codes.contains(&0));
    }

    #[test]
    fn messages_are_one_line() {
        let e = Error::other("a\nb");
        assert_eq!(e.message, "a b");
        assert_eq!(
            Error::auth("x").to_string(),
            "authentication failed: x".to_string()
        );
    }
}
