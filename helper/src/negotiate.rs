//! Operational parameter negotiation (RFC 7143 §5.2 / §6.2 and §13).
//!
//! The engine works on `(key, value)` string pairs: the login state machine
//! turns data segments into pairs (with the codec's text helpers) and hands
//! them to [`Negotiation::on_target_keys`], which returns the answers to send.
//!
//! Rules implemented (RFC 7143 §6.2):
//! * list values (`HeaderDigest=CRC32C,None`): the responder picks the first
//!   value of the offer it supports, or answers `Reject`;
//! * numerical min/max functions: `MaxBurstLength`, `FirstBurstLength`,
//!   `MaxOutstandingR2T`, `MaxConnections`, `ErrorRecoveryLevel`,
//!   `DefaultTime2Retain` take the minimum, `DefaultTime2Wait` the maximum;
//!   an answer on the wrong side of our offer or outside the key's range is
//!   an error;
//! * Boolean functions: `InitialR2T`, `DataPDUInOrder`, `DataSequenceInOrder`
//!   are OR, `ImmediateData` is AND; the answer is optional when the offer
//!   alone decides the result (OR with `Yes`, AND with `No`);
//! * declaratives: `MaxRecvDataSegmentLength` (per direction),
//!   `TargetAlias`, `TargetPortalGroupTag`, `TargetAddress`;
//! * the constants `Reject`, `Irrelevant` and `NotUnderstood`, in answers and
//!   as our answers to keys we do not support;
//! * keys the target offers unasked are answered as a responder would;
//! * `FirstBurstLength <= MaxBurstLength` after negotiation;
//! * renegotiation of a key in the same login is an error (§6.2).

use std::collections::BTreeMap;
use std::fmt;

use iscsi_codec::login::Stage;
use serde::Serialize;

use crate::params::{self, lookup as keydef, yes_no, KeyDef, Rule, MAX_OUTSTANDING_R2T_LIMIT};

/// Digest kinds (RFC 7143 §13.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Digest {
    /// No digest.
    None,
    /// CRC32C (RFC 7143 §13.1, Castagnoli polynomial).
    #[serde(rename = "CRC32C")]
    Crc32c,
}

impl Digest {
    /// Wire name of the digest.
    pub fn as_str(self) -> &'static str {
        match self {
            Digest::None => "None",
            Digest::Crc32c => "CRC32C",
        }
    }
    /// Parse a wire name (case-sensitive per RFC 7143 §6.1; we accept any case
    /// from the command line and the config file through [`Digest::parse_loose`]).
    pub fn parse(s: &str) -> Option<Digest> {
        match s {
            "None" => Some(Digest::None),
            "CRC32C" => Some(Digest::Crc32c),
            _ => None,
        }
    }
    /// Case-insensitive parse for configuration input.
    pub fn parse_loose(s: &str) -> Option<Digest> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Digest::None),
            "crc32c" => Some(Digest::Crc32c),
            _ => None,
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kind of session (RFC 7143 §13.21 SessionType).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SessionType {
    /// A Normal session (SCSI commands).
    Normal,
    /// A Discovery session (SendTargets only).
    Discovery,
}

impl SessionType {
    /// Wire value of the SessionType key.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::Normal => "Normal",
            SessionType::Discovery => "Discovery",
        }
    }
}

/// The operational values we offer (our side of every negotiation).
/// Lengths are in bytes, times in seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// HeaderDigest list in order of preference (§13.1).
    pub header_digest: Vec<Digest>,
    /// DataDigest list in order of preference (§13.1).
    pub data_digest: Vec<Digest>,
    /// MaxRecvDataSegmentLength we declare (§13.12). The ranges of all
    /// numerical keys are in [`crate::params`].
    pub max_recv_data_segment_length: u32,
    /// MaxBurstLength (§13.13).
    pub max_burst_length: u32,
    /// FirstBurstLength (§13.14), at most MaxBurstLength.
    pub first_burst_length: u32,
    /// InitialR2T (§13.10).
    pub initial_r2t: bool,
    /// ImmediateData (§13.11).
    pub immediate_data: bool,
    /// MaxOutstandingR2T (§13.17), at most [`MAX_OUTSTANDING_R2T_LIMIT`].
    pub max_outstanding_r2t: u32,
    /// ErrorRecoveryLevel (§13.20), 0..=2.
    pub error_recovery_level: u32,
    /// MaxConnections (§13.2).
    pub max_connections: u32,
    /// DataPDUInOrder (§13.18).
    pub data_pdu_in_order: bool,
    /// DataSequenceInOrder (§13.19).
    pub data_sequence_in_order: bool,
    /// DefaultTime2Wait (§13.15), seconds.
    pub default_time2wait: u32,
    /// DefaultTime2Retain (§13.16), seconds.
    pub default_time2retain: u32,
}

impl Default for Offer {
    /// The helper's defaults (Documentation/helper.rst, "Parameters").
    fn default() -> Self {
        Self {
            header_digest: vec![Digest::None],
            data_digest: vec![Digest::None],
            max_recv_data_segment_length: 262_144,
            // 16 MiB - 1024, as open-iscsi: a multiple of 1 KiB below 2^24.
            max_burst_length: 16_776_192,
            first_burst_length: 262_144,
            initial_r2t: false,
            immediate_data: true,
            max_outstanding_r2t: MAX_OUTSTANDING_R2T_LIMIT,
            error_recovery_level: 0,
            max_connections: 1,
            data_pdu_in_order: true,
            data_sequence_in_order: true,
            default_time2wait: 2,
            default_time2retain: 20,
        }
    }
}

/// The special values of RFC 7143 §6.2.
pub const REJECT: &str = "Reject";
/// See [`REJECT`].
pub const IRRELEVANT: &str = "Irrelevant";
/// See [`REJECT`].
pub const NOT_UNDERSTOOD: &str = "NotUnderstood";

/// A negotiation failure; the message names the key and the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegError(pub String);

impl fmt::Display for NegError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, NegError> {
    Err(NegError(msg.into()))
}

/// Parse a numerical value (RFC 7143 §5.1: decimal, `0x` hex or `0b`
/// base64 constant), through the codec.
pub fn parse_number(value: &str) -> Option<u64> {
    crate::textval::parse_number(value)
}

/// Parse a value of the numerical key `def` and check it against the key's
/// range in the registry.
fn parse_in_range(def: &KeyDef, value: &str) -> Result<u32, NegError> {
    let key = def.name;
    let (lo, hi) = def.range().expect("a numerical key");
    match parse_number(value) {
        Some(n) if n >= lo as u64 && n <= hi as u64 => Ok(n as u32),
        Some(n) => err(format!(
            "{key}={n} is out of range {lo}..{hi} (RFC 7143 §13)"
        )),
        None => err(format!("{key}={value:?} is not a number")),
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, NegError> {
    match value {
        "Yes" => Ok(true),
        "No" => Ok(false),
        _ => err(format!("{key}={value:?} is not Yes or No")),
    }
}

/// Result of a successful negotiation, as the full-feature phase uses it.
/// Lengths in bytes, times in seconds. Serialises with RFC key names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Negotiated {
    /// SessionType of the login.
    #[serde(rename = "SessionType")]
    pub session_type: SessionType,
    /// HeaderDigest in force.
    #[serde(rename = "HeaderDigest")]
    pub header_digest: Digest,
    /// DataDigest in force.
    #[serde(rename = "DataDigest")]
    pub data_digest: Digest,
    /// MaxRecvDataSegmentLength we declared: the most the target may send us.
    #[serde(rename = "MaxRecvDataSegmentLength")]
    pub max_recv_data_segment_length: u32,
    /// MaxRecvDataSegmentLength the target declared: the most we may send.
    #[serde(rename = "MaxXmitDataSegmentLength")]
    pub max_xmit_data_segment_length: u32,
    /// MaxBurstLength.
    #[serde(rename = "MaxBurstLength")]
    pub max_burst_length: u32,
    /// FirstBurstLength.
    #[serde(rename = "FirstBurstLength")]
    pub first_burst_length: u32,
    /// InitialR2T.
    #[serde(rename = "InitialR2T")]
    pub initial_r2t: bool,
    /// ImmediateData.
    #[serde(rename = "ImmediateData")]
    pub immediate_data: bool,
    /// MaxOutstandingR2T.
    #[serde(rename = "MaxOutstandingR2T")]
    pub max_outstanding_r2t: u32,
    /// MaxConnections.
    #[serde(rename = "MaxConnections")]
    pub max_connections: u32,
    /// DataPDUInOrder.
    #[serde(rename = "DataPDUInOrder")]
    pub data_pdu_in_order: bool,
    /// DataSequenceInOrder.
    #[serde(rename = "DataSequenceInOrder")]
    pub data_sequence_in_order: bool,
    /// DefaultTime2Wait, seconds.
    #[serde(rename = "DefaultTime2Wait")]
    pub default_time2wait: u32,
    /// DefaultTime2Retain, seconds.
    #[serde(rename = "DefaultTime2Retain")]
    pub default_time2retain: u32,
    /// ErrorRecoveryLevel.
    #[serde(rename = "ErrorRecoveryLevel")]
    pub error_recovery_level: u32,
    /// TargetAlias the target declared, if any.
    #[serde(rename = "TargetAlias", skip_serializing_if = "Option::is_none")]
    pub target_alias: Option<String>,
    /// TargetPortalGroupTag the target declared, if any.
    #[serde(
        rename = "TargetPortalGroupTag",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_portal_group_tag: Option<u16>,
}

impl Negotiated {
    /// `(key, value)` pairs in RFC spelling, for the text output.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("SessionType", self.session_type.as_str().to_string()),
            ("HeaderDigest", self.header_digest.to_string()),
            ("DataDigest", self.data_digest.to_string()),
            (
                "MaxRecvDataSegmentLength",
                self.max_recv_data_segment_length.to_string(),
            ),
            (
                "MaxXmitDataSegmentLength",
                self.max_xmit_data_segment_length.to_string(),
            ),
        ];
        if self.session_type == SessionType::Normal {
            v.extend([
                ("MaxBurstLength", self.max_burst_length.to_string()),
                ("FirstBurstLength", self.first_burst_length.to_string()),
                ("InitialR2T", yes_no(self.initial_r2t).to_string()),
                ("ImmediateData", yes_no(self.immediate_data).to_string()),
                ("MaxOutstandingR2T", self.max_outstanding_r2t.to_string()),
                ("MaxConnections", self.max_connections.to_string()),
                ("DataPDUInOrder", yes_no(self.data_pdu_in_order).to_string()),
                (
                    "DataSequenceInOrder",
                    yes_no(self.data_sequence_in_order).to_string(),
                ),
            ]);
        }
        v.extend([
            ("DefaultTime2Wait", self.default_time2wait.to_string()),
            ("DefaultTime2Retain", self.default_time2retain.to_string()),
            ("ErrorRecoveryLevel", self.error_recovery_level.to_string()),
        ]);
        if let Some(t) = self.target_portal_group_tag {
            v.push(("TargetPortalGroupTag", t.to_string()));
        }
        if let Some(a) = &self.target_alias {
            v.push(("TargetAlias", a.clone()));
        }
        v
    }
}

/// State of one login's negotiation. Create one per login (per connection
/// attempt; a redirection starts a new one).
#[derive(Clone, Debug)]
pub struct Negotiation {
    session_type: SessionType,
    offer: Offer,
    /// Keys we offered and whose answer we still wait for: key -> our value.
    pending: BTreeMap<&'static str, String>,
    /// Completed negotiations: key -> result value (wire spelling).
    results: BTreeMap<String, String>,
    /// Declaratives the target made: key -> value.
    declared: BTreeMap<String, String>,
    /// For a non-leading login (a new connection for an existing session,
    /// TSIH != 0): the session-wide values in force, which the login does
    /// not renegotiate (RFC 7143 §13: "LO" keys).
    session: Option<Negotiated>,
}

impl Negotiation {
    /// A negotiation for a session of type `session_type` offering `offer`.
    pub fn new(session_type: SessionType, offer: Offer) -> Self {
        Self {
            session_type,
            offer,
            pending: BTreeMap::new(),
            results: BTreeMap::new(),
            declared: BTreeMap::new(),
            session: None,
        }
    }

    /// A negotiation for a non-leading login into an existing session whose
    /// session-wide values are `session` (e.g. re-connecting a failed
    /// session with its TSIH): only connection keys (digests,
    /// MaxRecvDataSegmentLength) are negotiated.
    pub fn continuing(offer: Offer, session: Negotiated) -> Self {
        let mut n = Self::new(session.session_type, offer);
        n.session = Some(session);
        n
    }

    /// Session type of this negotiation.
    pub fn session_type(&self) -> SessionType {
        self.session_type
    }

    /// Our value for key `name`, in wire form (a list for list keys).
    fn our_value(&self, name: &str) -> Option<String> {
        let o = &self.offer;
        let list = |l: &[Digest]| l.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(",");
        Some(match name {
            "HeaderDigest" => list(&o.header_digest),
            "DataDigest" => list(&o.data_digest),
            "MaxConnections" => o.max_connections.to_string(),
            "InitialR2T" => yes_no(o.initial_r2t).into(),
            "ImmediateData" => yes_no(o.immediate_data).into(),
            "MaxRecvDataSegmentLength" => o.max_recv_data_segment_length.to_string(),
            "MaxBurstLength" => o.max_burst_length.to_string(),
            "FirstBurstLength" => o.first_burst_length.to_string(),
            "DefaultTime2Wait" => o.default_time2wait.to_string(),
            "DefaultTime2Retain" => o.default_time2retain.to_string(),
            "MaxOutstandingR2T" => o.max_outstanding_r2t.to_string(),
            "DataPDUInOrder" => yes_no(o.data_pdu_in_order).into(),
            "DataSequenceInOrder" => yes_no(o.data_sequence_in_order).into(),
            "ErrorRecoveryLevel" => o.error_recovery_level.to_string(),
            "iSCSIProtocolLevel" => params::PROTOCOL_LEVEL.to_string(),
            "RDMAExtensions" => "No".into(),
            "TaskReporting" => "RFC3720".into(),
            _ => return None,
        })
    }

    /// The keys to send in the first LoginOperationalNegotiation request
    /// (RFC 7143 §6.3). Each is remembered as awaiting an answer.
    pub fn initial_offers(&mut self) -> Vec<(String, String)> {
        let keys: &[&'static str] = match self.session_type {
            _ if self.session.is_some() => {
                &["HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength"]
            }
            SessionType::Discovery => &[
                "HeaderDigest",
                "DataDigest",
                "DefaultTime2Wait",
                "DefaultTime2Retain",
                "MaxRecvDataSegmentLength",
            ],
            SessionType::Normal => &[
                "HeaderDigest",
                "DataDigest",
                "ErrorRecoveryLevel",
                "InitialR2T",
                "ImmediateData",
                "MaxBurstLength",
                "FirstBurstLength",
                "MaxRecvDataSegmentLength",
                "DefaultTime2Wait",
                "DefaultTime2Retain",
                "MaxOutstandingR2T",
                "MaxConnections",
                "DataPDUInOrder",
                "DataSequenceInOrder",
            ],
        };
        let mut out = Vec::new();
        for &k in keys {
            let v = self.our_value(k).expect("known key");
            if k == "MaxRecvDataSegmentLength" {
                // A declarative: no answer expected (§13.12).
                self.results.insert(k.to_string(), v.clone());
            } else {
                self.pending.insert(k, v.clone());
            }
            out.push((k.to_string(), v));
        }
        out
    }

    /// Process one complete set of keys from the target (all the data of one
    /// Login/Text Response sequence, C bit resolved) received in `stage`.
    /// Returns the keys to send back (answers to the target's offers).
    pub fn on_target_keys(
        &mut self,
        stage: Stage,
        pairs: &[(String, String)],
    ) -> Result<Vec<(String, String)>, NegError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut answers = Vec::new();
        for (key, value) in pairs {
            if seen.contains(&key.as_str()) {
                return err(format!("target sent {key} twice in one response"));
            }
            seen.push(key);
            if let Some(a) = self.on_target_key(stage, key, value)? {
                answers.push((key.clone(), a));
            }
        }
        Ok(answers)
    }

    fn on_target_key(
        &mut self,
        stage: Stage,
        key: &str,
        value: &str,
    ) -> Result<Option<String>, NegError> {
        if params::is_security_key(key) {
            // The login state machine consumes security keys itself.
            return match stage {
                Stage::SecurityNegotiation => Ok(None),
                _ => Ok(Some(IRRELEVANT.into())),
            };
        }
        if let Some(offered) = self.pending.remove(key) {
            let def = keydef(key).expect("pending keys are known");
            let result = self.on_answer(def, &offered, value)?;
            self.results.insert(key.to_string(), result);
            return Ok(None);
        }
        let Some(def) = keydef(key) else {
            // Unknown keys, including X- and X# extension keys (§13.24).
            if value == NOT_UNDERSTOOD || value == REJECT || value == IRRELEVANT {
                return Ok(None);
            }
            return Ok(Some(NOT_UNDERSTOOD.into()));
        };
        if let Rule::DeclNum(..) | Rule::DeclStr = def.rule {
            return self.on_declaration(def, value).map(|()| None);
        }
        if value == NOT_UNDERSTOOD || value == REJECT || value == IRRELEVANT {
            // An answer to nothing we asked: nothing to do.
            return Ok(None);
        }
        if self.results.contains_key(key) {
            return err(format!(
                "target renegotiated {key}={value} (RFC 7143 §6.2 forbids it)"
            ));
        }
        if stage == Stage::SecurityNegotiation && def.rule != Rule::Obsolete {
            return err(format!(
                "target offered operational key {key} in the security stage"
            ));
        }
        let answer = self.respond(def, value)?;
        let result = match answer.as_str() {
            REJECT | IRRELEVANT => def.default.to_string(),
            _ => answer.clone(),
        };
        self.results.insert(key.to_string(), result);
        Ok(Some(answer))
    }

    /// We offered `offered` for `def`; the target answered `answer`. Returns
    /// the result value (RFC 7143 §6.2.1/§6.2.2).
    fn on_answer(&self, def: &KeyDef, offered: &str, answer: &str) -> Result<String, NegError> {
        let key = def.name;
        match answer {
            REJECT | IRRELEVANT | NOT_UNDERSTOOD => {
                // The key keeps its default; it must be one we can live with.
                if def.rule == Rule::List {
                    let ok = offered.split(',').any(|v| v == def.default);
                    if !ok {
                        return err(format!(
                            "target answered {key}={answer} to our {key}={offered}"
                        ));
                    }
                }
                return Ok(def.default.to_string());
            }
            _ => {}
        }
        match def.rule {
            Rule::List => {
                if answer.contains(',') {
                    return err(format!("target answered {key} with a list: {answer}"));
                }
                if !offered.split(',').any(|v| v == answer) {
                    return err(format!(
                        "target chose {key}={answer}, which we did not offer ({offered})"
                    ));
                }
                Ok(answer.to_string())
            }
            Rule::Min(..) | Rule::Max(..) => {
                let a = parse_in_range(def, answer)?;
                let o = parse_number(offered).unwrap_or(0) as u32;
                let (wrong_side, side, function) = if matches!(def.rule, Rule::Min(..)) {
                    (a > o, "above", "minimum")
                } else {
                    (a < o, "below", "maximum")
                };
                if wrong_side {
                    return err(format!(
                        "target answered {key}={a}, {side} our offer {o} (the result is the {function})"
                    ));
                }
                Ok(a.to_string())
            }
            Rule::Or | Rule::And => {
                let a = parse_bool(key, answer)?;
                let o = offered == "Yes";
                // OR with Yes offered is Yes whatever the answer; AND with No is No.
                let decided_by_offer = if def.rule == Rule::Or { o } else { !o };
                if decided_by_offer && a != o {
                    return err(format!(
                        "target answered {key}={answer} to our {key}={offered}; the {} function makes it {offered}",
                        if def.rule == Rule::Or { "OR" } else { "AND" }
                    ));
                }
                Ok(yes_no(a).to_string())
            }
            Rule::DeclNum(..) | Rule::DeclStr | Rule::Obsolete | Rule::Security => {
                Ok(answer.to_string())
            }
        }
    }

    /// The target made a declaration.
    fn on_declaration(&mut self, def: &KeyDef, value: &str) -> Result<(), NegError> {
        let key = def.name;
        if let Rule::DeclNum(..) = def.rule {
            parse_in_range(def, value)?;
        }
        match key {
            // Initiator-only declaratives coming from the target: ignore.
            "InitiatorName" | "InitiatorAlias" | "SessionType" | "TargetName" => return Ok(()),
            _ => {}
        }
        if let Some(prev) = self.declared.get(key) {
            if prev != value && key != "TargetAddress" {
                return err(format!(
                    "target redeclared {key}={value} (was {prev}; RFC 7143 §6.2 forbids it)"
                ));
            }
        }
        self.declared.insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// Answer, as responder, a key the target offered (RFC 7143 §6.2).
    fn respond(&self, def: &KeyDef, value: &str) -> Result<String, NegError> {
        let key = def.name;
        if self.session_type == SessionType::Discovery && !def.discovery {
            return Ok(IRRELEVANT.into());
        }
        if self.session.is_some() && def.leading_only {
            // Session-wide keys cannot change on a non-leading login.
            return Ok(REJECT.into());
        }
        let ours = self.our_value(key);
        Ok(match def.rule {
            Rule::Obsolete => REJECT.into(),
            Rule::List => {
                let accepted = ours.unwrap_or_default();
                let accepted: Vec<&str> = accepted.split(',').collect();
                match value.split(',').find(|v| accepted.contains(v)) {
                    Some(v) => v.to_string(),
                    None => REJECT.into(),
                }
            }
            Rule::Min(..) | Rule::Max(..) => {
                let Ok(theirs) = parse_in_range(def, value) else {
                    return Ok(REJECT.into());
                };
                let ours = ours.and_then(|v| parse_number(&v)).unwrap_or(theirs as u64) as u32;
                let r = if matches!(def.rule, Rule::Min(..)) {
                    theirs.min(ours)
                } else {
                    theirs.max(ours)
                };
                r.to_string()
            }
            Rule::Or | Rule::And => {
                let Ok(theirs) = parse_bool(key, value) else {
                    return Ok(REJECT.into());
                };
                let ours = ours.map(|v| v == "Yes").unwrap_or(theirs);
                let r = if def.rule == Rule::Or {
                    theirs || ours
                } else {
                    theirs && ours
                };
                yes_no(r).into()
            }
            Rule::DeclNum(..) | Rule::DeclStr | Rule::Security => unreachable!("handled by caller"),
        })
    }

    /// The target declared TargetPortalGroupTag (RFC 7143 §13.9), if it did.
    pub fn target_portal_group_tag(&self) -> Option<u16> {
        self.declared
            .get("TargetPortalGroupTag")
            .and_then(|v| parse_number(v))
            .map(|v| v as u16)
    }

    /// Keys we offered that still wait for an answer.
    pub fn pending_keys(&self) -> Vec<&'static str> {
        self.pending.keys().copied().collect()
    }

    /// End of the operational stage: resolve what was not answered, check the
    /// cross-key rules and return the values in force.
    pub fn finish(&self) -> Result<Negotiated, NegError> {
        let mut results = self.results.clone();
        for (&key, offered) in &self.pending {
            let def = keydef(key).expect("pending keys are known");
            // §6.2.2: no answer is needed when the offer decides the result.
            let value = match def.rule {
                Rule::Or if offered == "Yes" => "Yes".to_string(),
                Rule::And if offered == "No" => "No".to_string(),
                Rule::List if !offered.split(',').any(|v| v == def.default) => {
                    return err(format!(
                        "target did not answer {key}={offered} and the default {} is not acceptable",
                        def.default
                    ));
                }
                _ => def.default.to_string(),
            };
            results.insert(key.to_string(), value);
        }
        let get = |k: &str| -> String {
            results
                .get(k)
                .cloned()
                .unwrap_or_else(|| keydef(k).map(|d| d.default.to_string()).unwrap_or_default())
        };
        let num = |k: &str| -> Result<u32, NegError> {
            let v = get(k);
            parse_number(&v)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| NegError(format!("{k}={v:?} is not a number")))
        };
        let boolean = |k: &str| parse_bool(k, &get(k));
        let digest = |k: &str| {
            let v = get(k);
            Digest::parse(&v).ok_or_else(|| NegError(format!("{k}={v} is not a digest we support")))
        };
        let mrdsl = &params::MAX_RECV_DATA_SEGMENT_LENGTH;
        let max_xmit_data_segment_length = match self.declared.get(mrdsl.name) {
            Some(v) => parse_in_range(mrdsl, v)?,
            None => mrdsl.default_number(),
        };
        let n = Negotiated {
            session_type: self.session_type,
            header_digest: digest("HeaderDigest")?,
            data_digest: digest("DataDigest")?,
            max_recv_data_segment_length: self.offer.max_recv_data_segment_length,
            max_xmit_data_segment_length,
            max_burst_length: num("MaxBurstLength")?,
            first_burst_length: num("FirstBurstLength")?,
            initial_r2t: boolean("InitialR2T")?,
            immediate_data: boolean("ImmediateData")?,
            max_outstanding_r2t: num("MaxOutstandingR2T")?,
            max_connections: num("MaxConnections")?,
            data_pdu_in_order: boolean("DataPDUInOrder")?,
            data_sequence_in_order: boolean("DataSequenceInOrder")?,
            default_time2wait: num("DefaultTime2Wait")?,
            default_time2retain: num("DefaultTime2Retain")?,
            error_recovery_level: num("ErrorRecoveryLevel")?,
            target_alias: self.declared.get("TargetAlias").cloned(),
            target_portal_group_tag: self.target_portal_group_tag(),
        };
        let n = match &self.session {
            // A non-leading login keeps the session-wide values.
            Some(sess) => Negotiated {
                header_digest: n.header_digest,
                data_digest: n.data_digest,
                max_recv_data_segment_length: n.max_recv_data_segment_length,
                max_xmit_data_segment_length: n.max_xmit_data_segment_length,
                target_alias: n.target_alias.or_else(|| sess.target_alias.clone()),
                target_portal_group_tag: n.target_portal_group_tag.or(sess.target_portal_group_tag),
                ..sess.clone()
            },
            None => n,
        };
        if self.session_type == SessionType::Normal {
            // Irrelevant when InitialR2T=Yes and ImmediateData=No (§13.14).
            let fbl_relevant = !n.initial_r2t || n.immediate_data;
            if fbl_relevant && n.first_burst_length > n.max_burst_length {
                return err(format!(
                    "negotiated FirstBurstLength {} exceeds MaxBurstLength {} (RFC 7143 §13.14)",
                    n.first_burst_length, n.max_burst_length
                ));
            }
            if n.max_outstanding_r2t > MAX_OUTSTANDING_R2T_LIMIT {
                return err(format!(
                    "negotiated MaxOutstandingR2T {} exceeds the module's limit {MAX_OUTSTANDING_R2T_LIMIT}",
                    n.max_outstanding_r2t
                ));
            }
        }
        Ok(n)
    }
}

/// Check the cross-key rules of an offer before using it.
pub fn validate_offer(offer: &Offer) -> Result<(), String> {
    if offer.first_burst_length > offer.max_burst_length {
        return Err(format!(
            "FirstBurstLength {} exceeds MaxBurstLength {} (RFC 7143 §13.14)",
            offer.first_burst_length, offer.max_burst_length
        ));
    }
    if offer.header_digest.is_empty() || offer.data_digest.is_empty() {
        return Err("HeaderDigest and DataDigest need at least one value".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
