//! The login key registry (RFC 7143 §13): for every key the helper knows,
//! how it is negotiated, its range, its RFC default and where it is
//! relevant. This is the single source of those facts: the negotiation
//! engine ([`crate::negotiate`]), the parsing of configured values
//! ([`crate::config::apply_setting`]) and the conversion to the kernel ABI
//! ([`crate::kernel::to_abi`]) all read them from here.

/// Largest value of a 24-bit length key (RFC 7143 §13.12-§13.14): 2^24 - 1.
pub const MAX_LENGTH_24: u32 = (1 << 24) - 1;

/// The largest MaxOutstandingR2T the kernel module honours. We never offer
/// more; the module sizes its per-task R2T tracking with this constant.
pub const MAX_OUTSTANDING_R2T_LIMIT: u32 = 16;

/// Our iSCSIProtocolLevel (RFC 7144 §2.1: 1 means RFC 7143).
pub const PROTOCOL_LEVEL: u32 = 1;

/// How a key is negotiated (RFC 7143 §6.2, §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// List of values; responder picks the first it supports.
    List,
    /// Numerical, result is the minimum; inclusive range.
    Min(u32, u32),
    /// Numerical, result is the maximum; inclusive range.
    Max(u32, u32),
    /// Boolean OR.
    Or,
    /// Boolean AND.
    And,
    /// Numerical declarative (each side declares its own); inclusive range.
    DeclNum(u32, u32),
    /// String declarative.
    DeclStr,
    /// Obsolete RFC 3720 marker keys (§13.25): answered with Reject.
    Obsolete,
    /// Security keys (AuthMethod, CHAP_*): only in the security stage.
    Security,
}

/// One key of RFC 7143 §13.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyDef {
    /// The key's name, RFC spelling.
    pub name: &'static str,
    /// How it is negotiated (with its range for numerical keys).
    pub rule: Rule,
    /// RFC default value ("" when the key has none).
    pub default: &'static str,
    /// Relevant in a Discovery session (§13: "Irrelevant when SessionType=Discovery").
    pub discovery: bool,
    /// Only the leading login of a session may negotiate it (§13, "Use: LO").
    pub leading_only: bool,
}

impl KeyDef {
    /// The inclusive range of a numerical key.
    pub const fn range(&self) -> Option<(u32, u32)> {
        match self.rule {
            Rule::Min(lo, hi) | Rule::Max(lo, hi) | Rule::DeclNum(lo, hi) => Some((lo, hi)),
            _ => None,
        }
    }

    /// Largest value of a numerical key (0 for other keys).
    pub const fn max(&self) -> u32 {
        match self.range() {
            Some((_, hi)) => hi,
            None => 0,
        }
    }

    /// The RFC default of a numerical key (0 when it has none).
    pub fn default_number(&self) -> u32 {
        self.default.parse().unwrap_or(0)
    }
}

const fn key(name: &'static str, rule: Rule, default: &'static str, discovery: bool) -> KeyDef {
    KeyDef {
        name,
        rule,
        default,
        discovery,
        leading_only: false,
    }
}

/// A leading-only key (§13, "Use: LO"), irrelevant in discovery sessions
/// unless `discovery`.
const fn lo_key(name: &'static str, rule: Rule, default: &'static str, discovery: bool) -> KeyDef {
    KeyDef {
        leading_only: true,
        ..key(name, rule, default, discovery)
    }
}

/// HeaderDigest (§13.1).
pub const HEADER_DIGEST: KeyDef = key("HeaderDigest", Rule::List, "None", true);
/// DataDigest (§13.1).
pub const DATA_DIGEST: KeyDef = key("DataDigest", Rule::List, "None", true);
/// MaxConnections (§13.2).
pub const MAX_CONNECTIONS: KeyDef = lo_key("MaxConnections", Rule::Min(1, 65535), "1", false);
/// InitialR2T (§13.10).
pub const INITIAL_R2T: KeyDef = lo_key("InitialR2T", Rule::Or, "Yes", false);
/// ImmediateData (§13.11).
pub const IMMEDIATE_DATA: KeyDef = lo_key("ImmediateData", Rule::And, "Yes", false);
/// MaxRecvDataSegmentLength (§13.12), declared per direction; the target's
/// is our MaxXmitDataSegmentLength.
pub const MAX_RECV_DATA_SEGMENT_LENGTH: KeyDef = key(
    "MaxRecvDataSegmentLength",
    Rule::DeclNum(512, MAX_LENGTH_24),
    "8192",
    true,
);
/// MaxBurstLength (§13.13).
pub const MAX_BURST_LENGTH: KeyDef = lo_key(
    "MaxBurstLength",
    Rule::Min(512, MAX_LENGTH_24),
    "262144",
    false,
);
/// FirstBurstLength (§13.14).
pub const FIRST_BURST_LENGTH: KeyDef = lo_key(
    "FirstBurstLength",
    Rule::Min(512, MAX_LENGTH_24),
    "65536",
    false,
);
/// DefaultTime2Wait (§13.15), seconds.
pub const DEFAULT_TIME2WAIT: KeyDef = lo_key("DefaultTime2Wait", Rule::Max(0, 3600), "2", true);
/// DefaultTime2Retain (§13.16), seconds.
pub const DEFAULT_TIME2RETAIN: KeyDef =
    lo_key("DefaultTime2Retain", Rule::Min(0, 3600), "20", true);
/// MaxOutstandingR2T (§13.17). We offer at most [`MAX_OUTSTANDING_R2T_LIMIT`].
pub const MAX_OUTSTANDING_R2T: KeyDef =
    lo_key("MaxOutstandingR2T", Rule::Min(1, 65535), "1", false);
/// DataPDUInOrder (§13.18).
pub const DATA_PDU_IN_ORDER: KeyDef = lo_key("DataPDUInOrder", Rule::Or, "Yes", false);
/// DataSequenceInOrder (§13.19).
pub const DATA_SEQUENCE_IN_ORDER: KeyDef = lo_key("DataSequenceInOrder", Rule::Or, "Yes", false);
/// ErrorRecoveryLevel (§13.20).
pub const ERROR_RECOVERY_LEVEL: KeyDef = lo_key("ErrorRecoveryLevel", Rule::Min(0, 2), "0", true);
/// TargetPortalGroupTag (§13.9).
pub const TARGET_PORTAL_GROUP_TAG: KeyDef =
    key("TargetPortalGroupTag", Rule::DeclNum(0, 65535), "", true);

/// Every key, in the order of RFC 7143 §13.
pub const KEYS: &[KeyDef] = &[
    HEADER_DIGEST,
    DATA_DIGEST,
    MAX_CONNECTIONS,
    INITIAL_R2T,
    IMMEDIATE_DATA,
    MAX_RECV_DATA_SEGMENT_LENGTH,
    MAX_BURST_LENGTH,
    FIRST_BURST_LENGTH,
    DEFAULT_TIME2WAIT,
    DEFAULT_TIME2RETAIN,
    MAX_OUTSTANDING_R2T,
    DATA_PDU_IN_ORDER,
    DATA_SEQUENCE_IN_ORDER,
    ERROR_RECOVERY_LEVEL,
    key("TargetAlias", Rule::DeclStr, "", true),
    TARGET_PORTAL_GROUP_TAG,
    key("TargetAddress", Rule::DeclStr, "", true),
    key("TargetName", Rule::DeclStr, "", true),
    key("InitiatorName", Rule::DeclStr, "", true),
    key("InitiatorAlias", Rule::DeclStr, "", true),
    key("SessionType", Rule::DeclStr, "Normal", true),
    // RFC 7144 §2.1: iSCSIProtocolLevel, minimum function; RFC 7143 is level 1.
    lo_key("iSCSIProtocolLevel", Rule::Min(0, 31), "0", true),
    key("IFMarker", Rule::Obsolete, "No", true),
    key("OFMarker", Rule::Obsolete, "No", true),
    key("IFMarkInt", Rule::Obsolete, "", true),
    key("OFMarkInt", Rule::Obsolete, "", true),
    // RFC 7145 §6.1: RDMAExtensions, AND; we do not do iSER.
    lo_key("TaskReporting", Rule::List, "RFC3720", false),
    key("RDMAExtensions", Rule::And, "No", false),
    key("AuthMethod", Rule::Security, "None", true),
];

/// The registry entry of key `name`.
pub fn lookup(name: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.name == name)
}

/// Whether `name` is a security key (AuthMethod, CHAP_*, SRP_*), handled by
/// the security stage of the login rather than the negotiation engine.
pub fn is_security_key(name: &str) -> bool {
    name == "AuthMethod" || name.starts_with("CHAP_") || name.starts_with("SRP_")
}

/// The wire spelling of a Boolean value (RFC 7143 §5.1).
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "No"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(lookup(k.name), Some(k), "{} listed twice", k.name);
            assert!(KEYS[..i].iter().all(|o| o.name != k.name));
            if let Some((lo, hi)) = k.range() {
                assert!(lo <= hi, "{}", k.name);
                if !k.default.is_empty() {
                    let d = k.default_number();
                    assert!((lo..=hi).contains(&d), "{} default {d}", k.name);
                }
            }
        }
        // The session-wide keys of RFC 7143 §13 ("Use: LO").
        let lo: Vec<&str> = KEYS
            .iter()
            .filter(|k| k.leading_only)
            .map(|k| k.name)
            .collect();
        assert_eq!(
            lo,
            [
                "MaxConnections",
                "InitialR2T",
                "ImmediateData",
                "MaxBurstLength",
                "FirstBurstLength",
                "DefaultTime2Wait",
                "DefaultTime2Retain",
                "MaxOutstandingR2T",
                "DataPDUInOrder",
                "DataSequenceInOrder",
                "ErrorRecoveryLevel",
                "iSCSIProtocolLevel",
                "TaskReporting",
            ]
        );
        assert_eq!(
            MAX_RECV_DATA_SEGMENT_LENGTH.range(),
            Some((512, 16_777_215))
        );
        assert!(MAX_OUTSTANDING_R2T_LIMIT <= MAX_OUTSTANDING_R2T.max());
    }
}
