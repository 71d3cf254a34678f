//! Portals: `HOST[:PORT]`, `[IPv6]:PORT`, and TargetAddress values
//! (RFC 7143 §13.8: `domainname[:port][,portal-group-tag]`).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use serde::Serialize;

use crate::error::{Error, Result};

/// The well-known iSCSI port (RFC 7143 §13.8).
pub const DEFAULT_PORT: u16 = 3260;

/// A network portal: host (name or address, IPv6 without brackets) and port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Portal {
    /// Host name, IPv4 address, or IPv6 address (without brackets, possibly
    /// with a `%zone`).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'))
}

fn is_ipv6(h: &str) -> bool {
    let addr = h.split('%').next().unwrap_or(h);
    addr.parse::<Ipv6Addr>().is_ok()
}

impl Portal {
    /// Parse `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address.
    pub fn parse(s: &str, default_port: u16) -> Result<Portal, String> {
        let s = s.trim();
        let bad = || format!("invalid portal {s:?} (expected HOST[:PORT] or [IPv6]:PORT)");
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let end = rest.find(']').ok_or_else(bad)?;
            let host = &rest[..end];
            if !is_ipv6(host) {
                return Err(bad());
            }
            let after = &rest[end + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad()),
            };
            (host, port)
        } else if s.matches(':').count() > 1 {
            // A bare IPv6 address: no port possible.
            if !is_ipv6(s) {
                return Err(bad());
            }
            (s, None)
        } else {
            match s.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        if !valid_host(host) {
            return Err(bad());
        }
        let port = match port {
            None => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(format!("invalid port {p:?} in portal {s:?}")),
            },
        };
        Ok(Portal {
            host: host.to_string(),
            port,
        })
    }

    /// Resolve to socket addresses (DNS names through the system resolver).
    pub fn resolve(&self) -> Result<Vec<SocketAddr>> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::network(format!(
                    "cannot resolve {}: {}",
                    self.host,
                    crate::error::strip_os_error(&e)
                ))
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Error::network(format!("{} has no address", self.host)));
        }
        Ok(addrs)
    }

    /// The portal of a connected peer address.
    pub fn from_socket_addr(a: SocketAddr) -> Portal {
        let host = match a {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None if v6.scope_id() != 0 => format!("{}%{}", v6.ip(), v6.scope_id()),
                None => v6.ip().to_string(),
            },
        };
        Portal {
            host,
            port: a.port(),
        }
    }
}

impl fmt::Display for Portal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Parse a TargetAddress value: `domainname[:port][,portal-group-tag]`.
/// Returns the portal and the tag, if present.
pub fn parse_target_address(s: &str) -> Result<(Portal, Option<u16>), String> {
    let (addr, tag) = match s.rsplit_once(',') {
        Some((a, t)) => {
            let tag = t
                .trim()
                .parse::<u16>()
                .map_err(|_| format!("invalid portal group tag in TargetAddress={s:?}"))?;
            (a, Some(tag))
        }
        None => (s, None),
    };
    let portal =
        Portal::parse(addr, DEFAULT_PORT).map_err(|e| format!("TargetAddress={s:?}: {e}"))?;
    Ok((portal, tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        let p = |s| Portal::parse(s, 3260).unwrap();
        assert_eq!(
            p("10.0.0.1"),
            Portal {
                host: "10.0.0.1".into(),
                port: 3260
            }
        );
        assert_eq!(p("10.0.0.1:3261").port, 3261);
        assert_eq!(p("storage.example.com:860").host, "storage.example.com");
        assert_eq!(p("[2001:db8::1]:3260").host, "2001:db8::1");
        assert_eq!(p("[2001:db8::1]").port, 3260);
        assert_eq!(p("2001:db8::1").host, "2001:db8::1");
        assert_eq!(p("[fe80::1%eth0]:3260").host, "fe80::1%eth0");
        assert_eq!(p("[2001:db8::1]:3260").to_string(), "[2001:db8::1]:3260");
        assert_eq!(p("10.0.0.1").to_string(), "10.0.0.1:3260");
        for bad in [
            "",
            "[::1",
            "[::1]x",
            "host:0",
            "host:99999",
            "a b",
            "[nothost]:1",
            "1:2:3",
        ] {
            assert!(Portal::parse(bad, 3260).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn target_addresses() {
        let (p, t) = parse_target_address("192.0.2.1:3260,1").unwrap();
        assert_eq!((p.to_string(), t), ("192.0.2.1:3260".into(), Some(1)));
        let (p, t) = parse_target_address("[2001:db8::2]:3261,12").unwrap();
        assert_eq!((p.to_string(), t), ("[2001:db8::2]:3261".into(), Some(12)));
        let (p, t) = parse_target_address("target.example.com").unwrap();
        assert_eq!((p.to_string(), t), ("target.example.com:3260".into(), None));
        assert!(parse_target_address("1.2.3.4:3260,x").is_err());
    }

    #[test]
    fn from_socket_addr() {
        let a: SocketAddr = "[::ffff:10.1.2.3]:3260".parse().unwrap();
        assert_eq!(Portal::from_socket_addr(a).to_string(), "10.1.2.3:3260");
        let a: SocketAddr = "[2001:db8::1]:3260".parse().unwrap();
        assert_eq!(
            Portal::from_socket_addr(a).to_string(),
            "[2001:db8::1]:3260"
        );
    }
}
