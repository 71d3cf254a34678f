//! Unit tests of the negotiation engine: every rule of RFC 7143 §6.2 / §13.

use super::*;

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A Normal-session negotiation that has sent its initial offers.
fn with_offer(offer: Offer) -> Negotiation {
    let mut n = Negotiation::new(SessionType::Normal, offer);
    n.initial_offers();
    n
}

fn normal() -> Negotiation {
    with_offer(Offer::default())
}

/// The result of our default offer answered with `pairs`.
fn result(pairs: &[(&str, &str)]) -> Negotiated {
    let mut n = normal();
    answers(&mut n, pairs);
    n.finish().unwrap()
}

/// Our answers, as responder, to keys the target offers first.
fn respond(offer: Offer, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    Negotiation::new(SessionType::Normal, offer)
        .on_target_keys(Stage::LoginOperationalNegotiation, &kv(pairs))
        .unwrap()
}

fn answers(n: &mut Negotiation, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    n.on_target_keys(Stage::LoginOperationalNegotiation, &kv(pairs))
        .expect("negotiation ok")
}

fn fails(n: &mut Negotiation, pairs: &[(&str, &str)]) -> String {
    n.on_target_keys(Stage::LoginOperationalNegotiation, &kv(pairs))
        .expect_err("negotiation must fail")
        .0
}

/// The target's answer `pairs` to our default offer fails the
/// negotiation with a message containing `want`.
fn assert_fails(pairs: &[(&str, &str)], want: &str) {
    let e = fails(&mut normal(), pairs);
    assert!(e.contains(want), "{e}");
}

/// The answers LIO gives to our default offer.
fn lio_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HeaderDigest", "None"),
        ("DataDigest", "None"),
        ("ErrorRecoveryLevel", "0"),
        ("InitialR2T", "No"),
        ("ImmediateData", "Yes"),
        ("MaxBurstLength", "262144"),
        ("FirstBurstLength", "65536"),
        ("MaxRecvDataSegmentLength", "8192"),
        ("DefaultTime2Wait", "2"),
        ("DefaultTime2Retain", "20"),
        ("MaxOutstandingR2T", "1"),
        ("MaxConnections", "1"),
        ("DataPDUInOrder", "Yes"),
        ("DataSequenceInOrder", "Yes"),
    ]
}

#[test]
fn default_offer_matches_documented_defaults() {
    let mut n = Negotiation::new(SessionType::Normal, Offer::default());
    let offers = n.initial_offers();
    let get = |k: &str| offers.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    assert_eq!(get("HeaderDigest"), Some("None"));
    assert_eq!(get("DataDigest"), Some("None"));
    assert_eq!(get("MaxRecvDataSegmentLength"), Some("262144"));
    assert_eq!(get("MaxBurstLength"), Some("16776192"));
    assert_eq!(get("FirstBurstLength"), Some("262144"));
    assert_eq!(get("InitialR2T"), Some("No"));
    assert_eq!(get("ImmediateData"), Some("Yes"));
    assert_eq!(get("MaxOutstandingR2T"), Some("16"));
    assert_eq!(get("ErrorRecoveryLevel"), Some("0"));
    assert_eq!(get("MaxConnections"), Some("1"));
    assert_eq!(get("DataPDUInOrder"), Some("Yes"));
    assert_eq!(get("DataSequenceInOrder"), Some("Yes"));
    assert_eq!(get("DefaultTime2Wait"), Some("2"));
    assert_eq!(get("DefaultTime2Retain"), Some("20"));
    assert_eq!(offers.len(), 14);
}

#[test]
fn discovery_offers_only_relevant_keys() {
    let mut n = Negotiation::new(SessionType::Discovery, Offer::default());
    let keys: Vec<String> = n.initial_offers().into_iter().map(|(k, _)| k).collect();
    for k in [
        "MaxBurstLength",
        "FirstBurstLength",
        "InitialR2T",
        "ImmediateData",
    ] {
        assert!(!keys.iter().any(|x| x == k), "{k} offered in discovery");
    }
    assert!(keys.iter().any(|x| x == "HeaderDigest"));
    // A target offering a Normal-only key in discovery gets Irrelevant.
    let a = answers(&mut n, &[("MaxBurstLength", "262144")]);
    assert_eq!(a, kv(&[("MaxBurstLength", "Irrelevant")]));
}

#[test]
fn full_negotiation_like_lio() {
    let mut n = normal();
    let a = answers(&mut n, &lio_answers());
    assert!(a.is_empty(), "no answers expected: {a:?}");
    let r = n.finish().unwrap();
    assert_eq!(r.header_digest, Digest::None);
    assert_eq!(r.max_burst_length, 262144);
    assert_eq!(r.first_burst_length, 65536);
    assert_eq!(r.max_recv_data_segment_length, 262144);
    assert_eq!(r.max_xmit_data_segment_length, 8192);
    assert_eq!(r.max_outstanding_r2t, 1);
    assert!(!r.initial_r2t);
    assert!(r.immediate_data);
}

#[test]
fn list_first_supported_value_and_reject() {
    let offer = Offer {
        header_digest: vec![Digest::Crc32c, Digest::None],
        data_digest: vec![Digest::Crc32c],
        ..Default::default()
    };
    let mut n = with_offer(offer);
    answers(
        &mut n,
        &[("HeaderDigest", "CRC32C"), ("DataDigest", "CRC32C")],
    );
    let r = n.finish().unwrap();
    assert_eq!(r.header_digest, Digest::Crc32c);
    assert_eq!(r.data_digest, Digest::Crc32c);

    // Answer not in our list.
    assert_fails(&[("HeaderDigest", "CRC32C")], "did not offer");

    // Answer with a list.
    assert_fails(&[("HeaderDigest", "None,CRC32C")], "list");

    // Reject of a CRC32C-only offer: default None is not acceptable.
    let offer = Offer {
        data_digest: vec![Digest::Crc32c],
        ..Default::default()
    };
    let mut n = with_offer(offer);
    let e = fails(&mut n, &[("DataDigest", "Reject")]);
    assert!(e.contains("Reject"), "{e}");

    // Reject of CRC32C,None falls back to the default None.
    let offer = Offer {
        data_digest: vec![Digest::Crc32c, Digest::None],
        ..Default::default()
    };
    let mut n = with_offer(offer);
    answers(&mut n, &[("DataDigest", "Reject")]);
    assert_eq!(n.finish().unwrap().data_digest, Digest::None);
}

#[test]
fn responder_list_picks_first_of_their_list_we_support() {
    let offer = Offer {
        header_digest: vec![Digest::None, Digest::Crc32c],
        ..Default::default()
    };
    // The target offers before we do (we have not offered HeaderDigest).
    let a = respond(offer, &[("HeaderDigest", "CRC32C,None")]);
    assert_eq!(a, kv(&[("HeaderDigest", "CRC32C")]));
    let a = respond(Offer::default(), &[("DataDigest", "CRC32C")]);
    assert_eq!(a, kv(&[("DataDigest", "Reject")]));
}

#[test]
fn numeric_min_rules() {
    for key in [
        "MaxBurstLength",
        "FirstBurstLength",
        "MaxOutstandingR2T",
        "DefaultTime2Retain",
        "MaxConnections",
        "ErrorRecoveryLevel",
    ] {
        // An answer above our offer is an error.
        let mut n = normal();
        let offered = n.our_value(key).unwrap();
        let above = (parse_number(&offered).unwrap() + 1).to_string();
        let e = fails(&mut n, &[(key, &above)]);
        assert!(
            e.contains("above our offer") || e.contains("out of range"),
            "{key}: {e}"
        );
    }
    // A smaller answer is the result.
    let r = result(&[("MaxBurstLength", "65536"), ("FirstBurstLength", "4096")]);
    assert_eq!((r.max_burst_length, r.first_burst_length), (65536, 4096));
    // As responder we answer the minimum.
    let a = respond(
        Offer::default(),
        &[("MaxOutstandingR2T", "64"), ("DefaultTime2Retain", "5")],
    );
    assert_eq!(
        a,
        kv(&[("MaxOutstandingR2T", "16"), ("DefaultTime2Retain", "5")])
    );
}

#[test]
fn numeric_max_rule_default_time2wait() {
    assert_fails(&[("DefaultTime2Wait", "1")], "below our offer");
    assert_eq!(result(&[("DefaultTime2Wait", "10")]).default_time2wait, 10);
    // Responder: maximum of theirs and ours (2).
    let a = respond(Offer::default(), &[("DefaultTime2Wait", "0")]);
    assert_eq!(a, kv(&[("DefaultTime2Wait", "2")]));
}

#[test]
fn numeric_range_checks() {
    assert_fails(&[("MaxBurstLength", "100")], "out of range 512..16777215");
    assert_fails(&[("DefaultTime2Retain", "abc")], "not a number");
    assert_fails(&[("MaxRecvDataSegmentLength", "16777216")], "out of range");
    assert_fails(&[("ErrorRecoveryLevel", "3")], "out of range 0..2");
    // Hex numbers are numbers (RFC 7143 §5.1).
    assert_eq!(
        result(&[("MaxBurstLength", "0x10000")]).max_burst_length,
        65536
    );
    // Responder: an out-of-range offer from the target is rejected.
    let a = respond(Offer::default(), &[("MaxBurstLength", "1")]);
    assert_eq!(a, kv(&[("MaxBurstLength", "Reject")]));
}

#[test]
fn boolean_or_rules() {
    // InitialR2T: we offer No (OR): the answer is the result.
    assert!(result(&[("InitialR2T", "Yes")]).initial_r2t);
    // DataPDUInOrder: we offer Yes (OR): result Yes, an answer No is an error.
    assert_fails(&[("DataPDUInOrder", "No")], "OR function");
    // No answer needed for OR with Yes.
    let mut n = normal();
    let mut partial = lio_answers();
    partial.retain(|(k, _)| *k != "DataPDUInOrder" && *k != "DataSequenceInOrder");
    answers(&mut n, &partial);
    let r = n.finish().unwrap();
    assert!(r.data_pdu_in_order && r.data_sequence_in_order);
    // Responder: OR of theirs and ours.
    let offer = Offer {
        data_sequence_in_order: false,
        ..Default::default()
    };
    let a = respond(
        offer,
        &[("DataSequenceInOrder", "No"), ("InitialR2T", "Yes")],
    );
    assert_eq!(
        a,
        kv(&[("DataSequenceInOrder", "No"), ("InitialR2T", "Yes")])
    );
}

#[test]
fn boolean_and_rules() {
    // ImmediateData: we offer Yes (AND): the answer is the result.
    assert!(!result(&[("ImmediateData", "No")]).immediate_data);
    // We offer No: result No; Yes is an error.
    let offer = Offer {
        immediate_data: false,
        ..Default::default()
    };
    let mut n = with_offer(offer.clone());
    let e = fails(&mut n, &[("ImmediateData", "Yes")]);
    assert!(e.contains("AND function"), "{e}");
    // ... and needs no answer.
    let n = with_offer(offer);
    assert!(!n.finish().unwrap().immediate_data);
    // Responder: AND.
    let a = respond(Offer::default(), &[("ImmediateData", "No")]);
    assert_eq!(a, kv(&[("ImmediateData", "No")]));
    // Not Yes/No.
    assert_fails(&[("ImmediateData", "yes")], "not Yes or No");
}

#[test]
fn unanswered_offers_take_defaults() {
    let r = result(&[]);
    // RFC defaults, not our offers.
    assert_eq!(r.max_burst_length, 262144);
    assert_eq!(r.first_burst_length, 65536);
    assert!(r.initial_r2t);
    assert_eq!(r.max_outstanding_r2t, 1);
    assert_eq!(r.max_xmit_data_segment_length, 8192);
    let offer = Offer {
        header_digest: vec![Digest::Crc32c],
        ..Default::default()
    };
    let n = with_offer(offer);
    let e = n.finish().unwrap_err().0;
    assert!(e.contains("did not answer HeaderDigest"), "{e}");
}

#[test]
fn declaratives() {
    let mut n = normal();
    let a = answers(
        &mut n,
        &[
            ("MaxRecvDataSegmentLength", "65536"),
            ("TargetAlias", "disk one"),
            ("TargetPortalGroupTag", "1"),
        ],
    );
    assert!(a.is_empty());
    let r = n.finish().unwrap();
    assert_eq!(r.max_xmit_data_segment_length, 65536);
    assert_eq!(r.max_recv_data_segment_length, 262144);
    assert_eq!(r.target_alias.as_deref(), Some("disk one"));
    assert_eq!(r.target_portal_group_tag, Some(1));
    // Declaratives are allowed in the security stage.
    let mut n = Negotiation::new(SessionType::Normal, Offer::default());
    n.on_target_keys(
        Stage::SecurityNegotiation,
        &kv(&[("TargetPortalGroupTag", "7")]),
    )
    .unwrap();
    assert_eq!(n.target_portal_group_tag(), Some(7));
    // A redeclaration with another value is an error.
    let e = n
        .on_target_keys(
            Stage::LoginOperationalNegotiation,
            &kv(&[("TargetPortalGroupTag", "8")]),
        )
        .unwrap_err()
        .0;
    assert!(e.contains("redeclared"), "{e}");
    // Out of range TPGT.
    assert_fails(&[("TargetPortalGroupTag", "65536")], "out of range");
}

#[test]
fn special_values_in_answers() {
    for special in ["Reject", "Irrelevant", "NotUnderstood"] {
        let r = result(&[("MaxBurstLength", special), ("FirstBurstLength", special)]);
        assert_eq!(r.max_burst_length, 262144, "{special}");
        assert_eq!(r.first_burst_length, 65536, "{special}");
    }
}

#[test]
fn unknown_and_obsolete_keys() {
    let mut n = normal();
    let a = answers(
        &mut n,
        &[
            ("X-com.example.Foo", "bar"),
            ("X#vendor", "1"),
            ("SomeFutureKey", "1"),
            ("IFMarker", "Yes"),
            ("OFMarkInt", "2048~8192"),
            ("AuthMethod", "CHAP"),
            ("iSCSIProtocolLevel", "2"),
            ("TaskReporting", "ResponseFence,RFC3720"),
            ("Whatever", "NotUnderstood"),
        ],
    );
    assert_eq!(
        a,
        kv(&[
            ("X-com.example.Foo", "NotUnderstood"),
            ("X#vendor", "NotUnderstood"),
            ("SomeFutureKey", "NotUnderstood"),
            ("IFMarker", "Reject"),
            ("OFMarkInt", "Reject"),
            ("AuthMethod", "Irrelevant"),
            ("iSCSIProtocolLevel", "1"),
            ("TaskReporting", "RFC3720"),
        ])
    );
}

#[test]
fn operational_keys_in_security_stage_are_an_error() {
    let mut n = Negotiation::new(SessionType::Normal, Offer::default());
    let e = n
        .on_target_keys(
            Stage::SecurityNegotiation,
            &kv(&[("MaxBurstLength", "512")]),
        )
        .unwrap_err()
        .0;
    assert!(e.contains("security stage"), "{e}");
    // Security keys in the security stage are left to the login code.
    let a = n
        .on_target_keys(
            Stage::SecurityNegotiation,
            &kv(&[("AuthMethod", "CHAP"), ("CHAP_A", "5")]),
        )
        .unwrap();
    assert!(a.is_empty());
}

#[test]
fn duplicate_and_renegotiated_keys() {
    let mut n = normal();
    let e = fails(
        &mut n,
        &[("MaxBurstLength", "512"), ("MaxBurstLength", "512")],
    );
    assert!(e.contains("twice"), "{e}");
    let mut n = normal();
    answers(&mut n, &[("MaxBurstLength", "512")]);
    let e = fails(&mut n, &[("MaxBurstLength", "1024")]);
    assert!(e.contains("renegotiated"), "{e}");
}

#[test]
fn first_burst_not_above_max_burst() {
    let mut n = normal();
    answers(
        &mut n,
        &[("MaxBurstLength", "8192"), ("FirstBurstLength", "65536")],
    );
    let e = n.finish().unwrap_err().0;
    assert!(
        e.contains("FirstBurstLength 65536 exceeds MaxBurstLength 8192"),
        "{e}"
    );
    // Irrelevant when InitialR2T=Yes and ImmediateData=No.
    result(&[
        ("MaxBurstLength", "8192"),
        ("FirstBurstLength", "65536"),
        ("InitialR2T", "Yes"),
        ("ImmediateData", "No"),
    ]);
    // The offer itself is checked.
    let offer = Offer {
        first_burst_length: 1 << 20,
        max_burst_length: 1 << 19,
        ..Default::default()
    };
    assert!(validate_offer(&offer).unwrap_err().contains("exceeds"));
}

#[test]
fn parse_numbers() {
    assert_eq!(parse_number("0"), Some(0));
    assert_eq!(parse_number("8192"), Some(8192));
    assert_eq!(parse_number("0x2000"), Some(8192));
    assert_eq!(parse_number("0X2000"), Some(8192));
    assert_eq!(parse_number(""), None);
    assert_eq!(parse_number("0x"), None);
    assert_eq!(parse_number("-1"), None);
    assert_eq!(parse_number("1e3"), None);
}

#[test]
fn non_leading_login_keeps_session_values() {
    let mut base = normal();
    answers(
        &mut base,
        &[("MaxBurstLength", "65536"), ("InitialR2T", "Yes")],
    );
    let session = base.finish().unwrap();
    let offer = Offer {
        header_digest: vec![Digest::Crc32c, Digest::None],
        ..Default::default()
    };
    let mut n = Negotiation::continuing(offer, session.clone());
    let keys: Vec<String> = n.initial_offers().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength"]
    );
    // Leading-only keys offered by the target are rejected.
    let a = answers(
        &mut n,
        &[
            ("HeaderDigest", "CRC32C"),
            ("DataDigest", "None"),
            ("MaxBurstLength", "1024"),
            ("MaxRecvDataSegmentLength", "16384"),
        ],
    );
    assert_eq!(a, kv(&[("MaxBurstLength", "Reject")]));
    let r = n.finish().unwrap();
    assert_eq!(r.header_digest, Digest::Crc32c);
    assert_eq!(r.max_xmit_data_segment_length, 16384);
    assert_eq!(r.max_burst_length, 65536);
    assert!(r.initial_r2t);
    assert_eq!(r.target_portal_group_tag, session.target_portal_group_tag);
}
