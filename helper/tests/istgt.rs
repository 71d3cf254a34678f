//! Integration tests against a real istgt (Debian's `istgt` 0.4) on
//! 127.0.0.1, each test with its own instance: discovery, a login without
//! authentication, one-way and mutual CHAP with our default algorithm offer
//! (istgt knows MD5 only and picks it from `CHAP_A=8,7,6,5`), wrong secrets,
//! CRC32C digests, discovery CHAP.

mod common;

use common::istgt::{Istgt, Lu};
use common::Cmd;

const ALICE: (&str, &str) = ("alice", "alice-secret-1");
const IST_ONE: (&str, &str) = ("ist-one", "target-secret-2");

/// disk1 without authentication, disk2 with CHAP, disk3 with mutual CHAP;
/// ALICE's account, with IST_ONE as the target's for mutual CHAP.
fn istgt(discovery_auth: &str) -> Istgt {
    Istgt::start(
        &[
            Lu {
                name: "disk1",
                auth: "None",
            },
            Lu {
                name: "disk2",
                auth: "CHAP",
            },
            Lu {
                name: "disk3",
                auth: "CHAP Mutual",
            },
        ],
        &[(ALICE.0, ALICE.1, Some(IST_ONE))],
        discovery_auth,
        &[(
            "disco",
            "discovery-secret",
            Some(("disco-tgt", "discovery-target-secret")),
        )],
    )
}

fn check(t: &Istgt, name: &str) -> Cmd {
    Cmd::login_check(&Istgt::iqn(name), &t.portal())
}

/// One-way CHAP with our default algorithm offer.
fn chap(c: Cmd, (user, secret): (&str, &str)) -> Cmd {
    c.args(&["-u", user, "-s", secret])
}

#[test]
fn istgt_discovery_lists_its_targets() {
    let t = istgt("None");
    let r = Cmd::discover(&t.portal()).run(&t.config()).ok();
    let want: String = ["disk1", "disk2", "disk3"]
        .iter()
        .map(|n| format!("{}\n    {},1\n", Istgt::iqn(n), t.portal()))
        .collect();
    assert_eq!(r.stdout, want);
}

#[test]
fn istgt_login_without_auth() {
    let t = istgt("None");
    let j = check(&t, "disk1").json().run(&t.config()).ok().json();
    assert_eq!(j["authentication"]["method"], "None");
    assert_eq!(j["negotiated"]["ErrorRecoveryLevel"], 0);
    assert_eq!(j["logged_out"], true);
    // A target that needs CHAP, without credentials: exit 5.
    let r = check(&t, "disk2").run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
}

#[test]
fn istgt_one_way_chap_with_the_default_offer() {
    let t = istgt("None");
    let j = chap(check(&t, "disk2").json(), ALICE)
        .run(&t.config())
        .ok()
        .json();
    assert_eq!(j["authentication"]["method"], "CHAP");
    assert_eq!(j["authentication"]["algorithm"], "MD5");
    assert_eq!(j["authentication"]["mutual"], false);
    let r = chap(check(&t, "disk2"), (ALICE.0, "wrong-secret-99")).run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("authentication failed"), "{}", r.stderr);
}

#[test]
fn istgt_mutual_chap() {
    let t = istgt("None");
    let r = chap(check(&t, "disk3"), ALICE)
        .mutual(IST_ONE.0, IST_ONE.1)
        .run(&t.config())
        .ok();
    assert!(
        r.stdout.contains("authentication: mutual CHAP (MD5)"),
        "{}",
        r.stdout
    );
    // The target proves another secret than the one we expect.
    let r = chap(check(&t, "disk3"), ALICE)
        .mutual(IST_ONE.0, "not-the-target-secret")
        .run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("did not verify"), "{}", r.stderr);
}

#[test]
fn istgt_crc32c_digests() {
    let t = istgt("None");
    let r = check(&t, "disk1")
        .json()
        .args(&["--header-digest", "CRC32C", "--data-digest", "CRC32C"])
        .run(&t.config())
        .ok();
    let stderr = r.stderr.clone();
    let j = r.json();
    assert_eq!(j["negotiated"]["HeaderDigest"], "CRC32C");
    assert_eq!(j["negotiated"]["DataDigest"], "CRC32C");
    // The Logout exchange ran with digests on. Under load istgt sometimes
    // closes the connection instead of sending its Logout Response (its
    // worker closes the socket before its sender thread wrote the queued
    // response): the helper takes that close as the end of the session.
    assert_eq!(
        j["logged_out"],
        true,
        "logout warning: {stderr}\nistgt log:\n{}",
        t.log()
    );
}

#[test]
fn istgt_discovery_chap() {
    let t = istgt("CHAP Mutual");
    let r = Cmd::discover(&t.portal()).run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
    let r = chap(Cmd::discover(&t.portal()), ("disco", "discovery-secret"))
        .mutual("disco-tgt", "discovery-target-secret")
        .run(&t.config())
        .ok();
    assert!(r.stdout.contains(&Istgt::iqn("disk1")), "{}", r.stdout);
    let r = chap(Cmd::discover(&t.portal()), ("disco", "wrong-discovery")).run(&t.config());
    assert_eq!(r.code, 5, "{}", r.stderr);
}
