//! CHAP authentication, initiator side (RFC 7143 §12.1.3, RFC 1994).
//!
//! Exchange in the SecurityNegotiation stage (after `AuthMethod=CHAP`):
//!
//! ```text
//! I->T  CHAP_A=<A1,A2,...>                 algorithms we accept, preferred first
//! T->I  CHAP_A=<A> CHAP_I=<I> CHAP_C=<C>   the target's choice and challenge
//! I->T  CHAP_N=<N> CHAP_R=<R>              R = H(I || secret || C)
//!       [CHAP_I=<I'> CHAP_C=<C'>]          mutual CHAP: our challenge
//! T->I  [CHAP_N=<N'> CHAP_R=<R'>]          mutual CHAP: R' = H(I' || secret' || C')
//! ```
//!
//! Algorithm numbers are the IANA PPP authentication algorithm numbers that
//! Linux LIO (`drivers/target/iscsi/iscsi_target_auth.h`) and open-iscsi use:
//! MD5 = 5, SHA-1 = 6, SHA-256 = 7, SHA3-256 = 8.

use std::fmt;

use md5::Md5;
use serde::Serialize;
use sha1::Sha1;
use sha2::Sha256;
use sha3::Sha3_256;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::negotiate::parse_number;
use crate::textval;

/// A CHAP digest algorithm (RFC 7143 §12.1.3 `CHAP_A`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ChapAlgorithm {
    /// MD5 (RFC 1994), number 5.
    #[serde(rename = "MD5")]
    Md5,
    /// SHA-1, number 6.
    #[serde(rename = "SHA-1")]
    Sha1,
    /// SHA-256, number 7.
    #[serde(rename = "SHA-256")]
    Sha256,
    /// SHA3-256, number 8.
    #[serde(rename = "SHA3-256")]
    Sha3_256,
}

impl ChapAlgorithm {
    /// Every algorithm, strongest first: the default offer.
    pub const ALL: [ChapAlgorithm; 4] = [
        ChapAlgorithm::Sha3_256,
        ChapAlgorithm::Sha256,
        ChapAlgorithm::Sha1,
        ChapAlgorithm::Md5,
    ];

    /// The `CHAP_A` number.
    pub fn number(self) -> u8 {
        match self {
            ChapAlgorithm::Md5 => 5,
            ChapAlgorithm::Sha1 => 6,
            ChapAlgorithm::Sha256 => 7,
            ChapAlgorithm::Sha3_256 => 8,
        }
    }

    /// The algorithm with `CHAP_A` number `n`.
    pub fn from_number(n: u64) -> Option<Self> {
        Some(match n {
            5 => ChapAlgorithm::Md5,
            6 => ChapAlgorithm::Sha1,
            7 => ChapAlgorithm::Sha256,
            8 => ChapAlgorithm::Sha3_256,
            _ => return None,
        })
    }

    /// Parse a configuration name: `MD5`, `SHA1`/`SHA-1`, `SHA256`/`SHA-256`,
    /// `SHA3-256`/`SHA3_256` (any case), or the number.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_uppercase().replace('_', "-");
        Some(match t.as_str() {
            "MD5" | "5" => ChapAlgorithm::Md5,
            "SHA1" | "SHA-1" | "6" => ChapAlgorithm::Sha1,
            "SHA256" | "SHA-256" | "7" => ChapAlgorithm::Sha256,
            "SHA3-256" | "SHA3256" | "8" => ChapAlgorithm::Sha3_256,
            _ => return None,
        })
    }

    /// Name used in messages and output.
    pub fn name(self) -> &'static str {
        match self {
            ChapAlgorithm::Md5 => "MD5",
            ChapAlgorithm::Sha1 => "SHA-1",
            ChapAlgorithm::Sha256 => "SHA-256",
            ChapAlgorithm::Sha3_256 => "SHA3-256",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChapAlgorithm::Md5 => 16,
            ChapAlgorithm::Sha1 => 20,
            ChapAlgorithm::Sha256 | ChapAlgorithm::Sha3_256 => 32,
        }
    }
}

impl fmt::Display for ChapAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `H(id || secret || challenge)` (RFC 1994 §4.1, RFC 7143 §12.1.3).
pub fn chap_response(alg: ChapAlgorithm, id: u8, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
    fn h<D: sha2::Digest>(id: u8, secret: &[u8], challenge: &[u8]) -> Vec<u8> {
        let mut d = D::new();
        d.update([id]);
        d.update(secret);
        d.update(challenge);
        d.finalize().to_vec()
    }
    match alg {
        ChapAlgorithm::Md5 => h::<Md5>(id, secret, challenge),
        ChapAlgorithm::Sha1 => h::<Sha1>(id, secret, challenge),
        ChapAlgorithm::Sha256 => h::<Sha256>(id, secret, challenge),
        ChapAlgorithm::Sha3_256 => h::<Sha3_256>(id, secret, challenge),
    }
}

/// A CHAP secret. Never printed; overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A secret with these bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }
    /// The secret bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            *b = 0;
        }
        std::hint::black_box(&self.0);
    }
}

/// RFC 7143 §12.1.3 recommends secrets of at least 96 bits.
pub const MIN_SECRET_LEN: usize = 12;
/// Default length of the challenge we send for mutual CHAP, in bytes.
pub const DEFAULT_CHALLENGE_LEN: usize = 32;
/// Largest challenge we send or accept (RFC 7143 §12.1.3: C is at most 1024 bytes).
pub const MAX_CHALLENGE_LEN: usize = 1024;

/// Mutual CHAP settings: how the target authenticates to us.
#[derive(Clone, Debug)]
pub struct MutualChap {
    /// Name the target must send in `CHAP_N`; any name when `None`.
    pub username: Option<String>,
    /// Secret the target must prove it knows.
    pub secret: Secret,
}

/// CHAP settings for one login.
#[derive(Clone, Debug)]
pub struct ChapConfig {
    /// Our `CHAP_N`.
    pub username: String,
    /// Our secret.
    pub secret: Secret,
    /// Mutual CHAP, if wanted.
    pub mutual: Option<MutualChap>,
    /// Algorithms we offer in `CHAP_A`, preferred first.
    pub algorithms: Vec<ChapAlgorithm>,
    /// Length in bytes of the challenge we send (mutual CHAP), 16..=1024.
    pub challenge_len: usize,
}

impl ChapConfig {
    /// Check the settings (RFC 7143 §12.1.3): non-empty names and secrets,
    /// distinct secrets for the two directions, a sane challenge length.
    pub fn validate(&self) -> Result<()> {
        if self.username.is_empty() {
            return Err(Error::config("CHAP needs a user name"));
        }
        if self.secret.is_empty() {
            return Err(Error::config("CHAP needs a secret"));
        }
        if self.algorithms.is_empty() {
            return Err(Error::config("no CHAP algorithm to offer"));
        }
        if !(16..=MAX_CHALLENGE_LEN).contains(&self.challenge_len) {
            return Err(Error::config(format!(
                "CHAP challenge length {} is out of range 16..1024 bytes",
                self.challenge_len
            )));
        }
        if let Some(m) = &self.mutual {
            if m.secret.is_empty() {
                return Err(Error::config("mutual CHAP needs a target secret"));
            }
            if m.secret.bytes().ct_eq(self.secret.bytes()).into() {
                return Err(Error::config(
                    "refusing mutual CHAP with the same secret in both directions (RFC 7143 §12.1.3)",
                ));
            }
        }
        Ok(())
    }

    /// Names of the secrets shorter than [`MIN_SECRET_LEN`].
    pub fn short_secrets(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.secret.len() < MIN_SECRET_LEN {
            v.push("CHAP secret");
        }
        if let Some(m) = &self.mutual {
            if m.secret.len() < MIN_SECRET_LEN {
                v.push("mutual CHAP secret");
            }
        }
        v
    }

    /// The `CHAP_A` value we offer, e.g. `"8,7,6,5"`.
    pub fn offer(&self) -> String {
        self.algorithms
            .iter()
            .map(|a| a.number().to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Decode a CHAP binary value (`0x` hex or `0b` base64, RFC 7143 §6.1).
fn decode_binary(key: &str, value: &str) -> Result<Vec<u8>> {
    textval::decode_binary(value)
        .map_err(|e| Error::protocol(format!("target sent a malformed {key}: {e}")))
}

/// Random bytes from the OS RNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut v = vec![0u8; n];
    getrandom::fill(&mut v)
        .map_err(|e| Error::other(format!("cannot read the system random generator: {e}")))?;
    Ok(v)
}

/// How far the CHAP exchange of a login got: the last thing we sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChapStep {
    /// `AuthMethod=CHAP` offered; `CHAP_A` not sent yet.
    AuthMethod,
    /// `CHAP_A` sent: waiting for the target's choice and challenge.
    Algorithms,
    /// Our `CHAP_N`/`CHAP_R` (and for mutual CHAP our challenge) sent.
    Response,
    /// The exchange is over (the target proved its identity, if mutual).
    Done,
}

/// The initiator's side of one CHAP exchange.
#[derive(Debug)]
pub struct ChapInitiator {
    cfg: ChapConfig,
    /// How far the exchange got.
    step: ChapStep,
    /// Algorithm the target chose.
    alg: Option<ChapAlgorithm>,
    /// Our identifier and challenge (mutual CHAP).
    ours: Option<(u8, Vec<u8>)>,
    /// Challenges sent earlier by this process (redirected logins), for the
    /// reflection check.
    sent_before: Vec<Vec<u8>>,
}

impl ChapInitiator {
    /// A new exchange. `sent_before` lists challenges this process already
    /// sent (to detect a target reflecting one of them).
    pub fn new(cfg: ChapConfig, sent_before: Vec<Vec<u8>>) -> Self {
        Self {
            cfg,
            step: ChapStep::AuthMethod,
            alg: None,
            ours: None,
            sent_before,
        }
    }

    /// Value of our first `CHAP_A` key.
    pub fn algorithms_offer(&self) -> String {
        self.cfg.offer()
    }

    /// Whether our `CHAP_A` offers more than one algorithm.
    pub fn offers_several(&self) -> bool {
        self.cfg.algorithms.len() > 1
    }

    /// How far the exchange got.
    pub fn step(&self) -> ChapStep {
        self.step
    }

    /// The `CHAP_A` key to send once the target agreed to `AuthMethod=CHAP`.
    pub fn algorithms_key(&mut self) -> (String, String) {
        self.step = ChapStep::Algorithms;
        ("CHAP_A".to_string(), self.algorithms_offer())
    }

    /// The algorithm the target chose, once known.
    pub fn algorithm(&self) -> Option<ChapAlgorithm> {
        self.alg
    }

    /// Whether mutual CHAP is configured.
    pub fn mutual(&self) -> bool {
        self.cfg.mutual.is_some()
    }

    /// The challenge we sent, if any (to remember for later reflection checks).
    pub fn our_challenge(&self) -> Option<&[u8]> {
        self.ours.as_ref().map(|(_, c)| c.as_slice())
    }

    /// The target sent `CHAP_A`, `CHAP_I`, `CHAP_C`: compute our response.
    /// Returns the keys to send (`CHAP_N`, `CHAP_R`, and for mutual CHAP our
    /// `CHAP_I`, `CHAP_C`).
    pub fn on_challenge(
        &mut self,
        a: Option<&str>,
        i: Option<&str>,
        c: Option<&str>,
    ) -> Result<Vec<(String, String)>> {
        let a = a.ok_or_else(|| Error::protocol("target sent a CHAP challenge without CHAP_A"))?;
        let offered = self.cfg.offer();
        if matches!(a, "Reject" | "NotUnderstood" | "Irrelevant") {
            return Err(Error::auth(format!(
                "target supports none of the CHAP algorithms we offered (CHAP_A={offered})"
            )));
        }
        let alg = parse_number(a)
            .and_then(ChapAlgorithm::from_number)
            .filter(|x| self.cfg.algorithms.contains(x))
            .ok_or_else(|| {
                // NetBSD's target answers with our whole list: offering
                // one algorithm gets past it (login retries with MD5).
                let mut e = Error::protocol(format!(
                    "target chose CHAP_A={a}, which we did not offer ({offered})"
                ));
                e.chap_md5_retry = self.offers_several();
                e
            })?;
        let i = i.ok_or_else(|| Error::protocol("target sent no CHAP_I"))?;
        let id = parse_number(i)
            .filter(|&n| n <= 255)
            .ok_or_else(|| Error::protocol(format!("target sent an invalid CHAP_I={i:?}")))?
            as u8;
        let c = c.ok_or_else(|| Error::protocol("target sent no CHAP_C"))?;
        let challenge = decode_binary("CHAP_C", c)?;
        if challenge.is_empty() || challenge.len() > MAX_CHALLENGE_LEN {
            return Err(Error::protocol(format!(
                "target's CHAP challenge has {} bytes (1..1024 allowed)",
                challenge.len()
            )));
        }
        if self.sent_before.iter().any(|s| s == &challenge) {
            return Err(Error::auth(
                "target sent back a CHAP challenge we issued (reflection attack?)",
            ));
        }
        self.alg = Some(alg);
        let response = chap_response(alg, id, self.cfg.secret.bytes(), &challenge);
        let mut out = vec![
            ("CHAP_N".to_string(), self.cfg.username.clone()),
            ("CHAP_R".to_string(), textval::encode_hex(&response)),
        ];
        if self.cfg.mutual.is_some() {
            let our_id = random_bytes(1)?[0];
            let mut ours = random_bytes(self.cfg.challenge_len)?;
            // Never send the target's own challenge back (RFC 7143 §12.1.3).
            while ours == challenge {
                ours = random_bytes(self.cfg.challenge_len)?;
            }
            out.push(("CHAP_I".to_string(), our_id.to_string()));
            out.push(("CHAP_C".to_string(), textval::encode_hex(&ours)));
            self.ours = Some((our_id, ours));
        }
        self.step = ChapStep::Response;
        Ok(out)
    }

    /// The target's answer to our response: for mutual CHAP its
    /// `CHAP_N`/`CHAP_R`, verified with [`Self::verify_target`]. Ends the
    /// exchange.
    pub fn on_result(&mut self, n: Option<&str>, r: Option<&str>) -> Result<()> {
        self.verify_target(n, r)?;
        self.step = ChapStep::Done;
        Ok(())
    }

    /// Verify the target's `CHAP_N`/`CHAP_R` (mutual CHAP), in constant time.
    pub fn verify_target(&self, n: Option<&str>, r: Option<&str>) -> Result<()> {
        let (Some(m), Some((id, challenge)), Some(alg)) = (&self.cfg.mutual, &self.ours, self.alg)
        else {
            return Ok(());
        };
        let (Some(n), Some(r)) = (n, r) else {
            return Err(Error::auth(
                "target did not answer our CHAP challenge (mutual CHAP)",
            ));
        };
        if let Some(want) = &m.username {
            if n != want {
                return Err(Error::auth(format!(
                    "target identified itself as CHAP_N={n:?}, expected {want:?}"
                )));
            }
        }
        let theirs = decode_binary("CHAP_R", r)?;
        let expected = chap_response(alg, *id, m.secret.bytes(), challenge);
        if theirs.len() != expected.len() {
            return Err(Error::auth(format!(
                "target's CHAP response has {} bytes, {} needs {}",
                theirs.len(),
                alg,
                expected.len()
            )));
        }
        if bool::from(theirs.ct_eq(&expected)) {
            Ok(())
        } else {
            Err(Error::auth(
                "target's CHAP response did not verify (wrong mutual secret?)",
            ))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Kind;

    /// CHAP as user "user" with `secret`, offering SHA-256 and MD5, mutual
    /// with the target's `(name, secret)` if given; 16-byte challenges.
    pub(crate) fn config(secret: &[u8], mutual: Option<(&str, &[u8])>) -> ChapConfig {
        ChapConfig {
            username: "user".into(),
            secret: Secret::new(secret.to_vec()),
            mutual: mutual.map(|(name, secret)| MutualChap {
                username: Some(name.into()),
                secret: Secret::new(secret.to_vec()),
            }),
            algorithms: vec![ChapAlgorithm::Sha256, ChapAlgorithm::Md5],
            challenge_len: 16,
        }
    }

    /// The target's challenge `CHAP_A=a CHAP_I=i CHAP_C=c`.
    fn challenge(
        ch: &mut ChapInitiator,
        a: &str,
        i: &str,
        c: &str,
    ) -> Result<Vec<(String, String)>> {
        ch.on_challenge(Some(a), Some(i), Some(c))
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// With id 'a', secret "b" and challenge "c" the CHAP response is H("abc"),
    /// whose digests are the FIPS 180-2 / FIPS 202 / RFC 1321 test vectors.
    #[test]
    fn standard_abc_vectors() {
        let cases = [
            (ChapAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (
                ChapAlgorithm::Sha1,
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                ChapAlgorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                ChapAlgorithm::Sha3_256,
                "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
            ),
        ];
        for (alg, want) in cases {
            assert_eq!(chap_response(alg, b'a', b"b", b"c"), hex(want), "{alg}");
            assert_eq!(want.len() / 2, alg.digest_len());
        }
    }

    /// Vectors computed with Python hashlib: H(id || "secretsecret" || 00..0f).
    #[test]
    fn hashlib_vectors() {
        let challenge: Vec<u8> = (0u8..16).collect();
        let cases = [
            (ChapAlgorithm::Md5, 1, "226dc576c33f04ff9c3a200ffe35f442"),
            (
                ChapAlgorithm::Sha1,
                2,
                "aac74ff06de4786cf8ea311aef01f0ae49401db5",
            ),
            (
                ChapAlgorithm::Sha256,
                3,
                "bb08d5b2897e789dca95a13a8c53448b7c69b1b851802a9bfdc338a2a9cea6e8",
            ),
            (
                ChapAlgorithm::Sha3_256,
                4,
                "472f5e3138dbab385a8e44a086388d1fdeecfa3091e51c29e371815d79a314e9",
            ),
        ];
        for (alg, id, want) in cases {
            assert_eq!(
                chap_response(alg, id, b"secretsecret", &challenge),
                hex(want),
                "{alg}"
            );
        }
    }

    #[test]
    fn numbers_match_lio_and_open_iscsi() {
        // drivers/target/iscsi/iscsi_target_auth.h: CHAP_DIGEST_MD5 5,
        // CHAP_DIGEST_SHA1 6, CHAP_DIGEST_SHA256 7, CHAP_DIGEST_SHA3_256 8.
        assert_eq!(ChapAlgorithm::Md5.number(), 5);
        assert_eq!(ChapAlgorithm::Sha1.number(), 6);
        assert_eq!(ChapAlgorithm::Sha256.number(), 7);
        assert_eq!(ChapAlgorithm::Sha3_256.number(), 8);
        for a in ChapAlgorithm::ALL {
            assert_eq!(ChapAlgorithm::from_number(a.number() as u64), Some(a));
            assert_eq!(ChapAlgorithm::parse(a.name()), Some(a));
        }
        assert_eq!(ChapAlgorithm::parse("sha256"), Some(ChapAlgorithm::Sha256));
        assert_eq!(
            ChapAlgorithm::parse("sha3_256"),
            Some(ChapAlgorithm::Sha3_256)
        );
        assert_eq!(ChapAlgorithm::parse("md4"), None);
    }

    fn cfg(mutual: bool) -> ChapConfig {
        config(
            b"password",
            mutual.then_some(("target", &b"targetsecret"[..])),
        )
    }

    #[test]
    fn one_way_response_hex_and_base64_challenge() {
        // md5(0x2a || "password" || deadbeefcafebabe0011223344556677), hashlib.
        let want = "0x3a41d7faaddb9947468f4955d9e40e25";
        for c in [
            "0xdeadbeefcafebabe0011223344556677",
            "0XDEADBEEFCAFEBABE0011223344556677",
            "0b3q2+78r+ur4AESIzRFVmdw==",
        ] {
            let mut ch = ChapInitiator::new(cfg(false), vec![]);
            assert_eq!(ch.algorithms_offer(), "7,5");
            let out = challenge(&mut ch, "5", "42", c).unwrap();
            assert_eq!(out[0], ("CHAP_N".into(), "user".into()));
            assert_eq!(out[1].0, "CHAP_R");
            assert_eq!(out[1].1.to_ascii_lowercase(), want, "challenge {c}");
            assert_eq!(out.len(), 2);
            assert_eq!(ch.algorithm(), Some(ChapAlgorithm::Md5));
        }
        // CHAP_I in hex is a number too.
        let mut ch = ChapInitiator::new(cfg(false), vec![]);
        let out = challenge(&mut ch, "5", "0x2a", "0xdeadbeefcafebabe0011223344556677").unwrap();
        assert_eq!(out[1].1.to_ascii_lowercase(), want);
    }

    #[test]
    fn bad_challenges() {
        let c = Some("0x00112233");
        let mut ch = ChapInitiator::new(cfg(false), vec![]);
        let e = ch.on_challenge(Some("6"), Some("1"), c).unwrap_err();
        assert!(e.message.contains("did not offer"), "{e}");
        assert_eq!(e.kind, Kind::Target);
        let e = ch.on_challenge(Some("Reject"), Some("1"), c).unwrap_err();
        assert_eq!(e.kind, Kind::Auth);
        let e = ch.on_challenge(Some("5"), Some("256"), c).unwrap_err();
        assert!(e.message.contains("CHAP_I"), "{e}");
        let e = ch
            .on_challenge(Some("5"), Some("1"), Some("0xzz"))
            .unwrap_err();
        assert!(e.message.contains("malformed CHAP_C"), "{e}");
        let e = ch.on_challenge(Some("5"), Some("1"), None).unwrap_err();
        assert!(e.message.contains("no CHAP_C"), "{e}");
        // Reflection of a challenge we sent earlier.
        let mut ch = ChapInitiator::new(cfg(true), vec![vec![0, 0x11, 0x22, 0x33]]);
        let e = ch.on_challenge(Some("5"), Some("1"), c).unwrap_err();
        assert!(e.message.contains("reflection"), "{e}");
        assert_eq!(e.kind, Kind::Auth);
    }

    #[test]
    fn mutual_chap_round_trip() {
        let mut ch = ChapInitiator::new(cfg(true), vec![]);
        let out = challenge(&mut ch, "7", "9", "0x0102030405060708090a0b0c0d0e0f10").unwrap();
        assert_eq!(out.len(), 4);
        let id: u8 = out[2].1.parse().unwrap();
        let challenge = textval::decode_binary(&out[3].1).unwrap();
        assert_eq!(challenge.len(), 16);
        assert_eq!(ch.our_challenge(), Some(challenge.as_slice()));
        // The target computes its response with the mutual secret.
        let good = chap_response(ChapAlgorithm::Sha256, id, b"targetsecret", &challenge);
        ch.verify_target(Some("target"), Some(&textval::encode_hex(&good)))
            .unwrap();
        // base64 works too.
        let b64 = textval::encode_base64(&good);
        ch.verify_target(Some("target"), Some(&b64)).unwrap();
        // Wrong secret.
        let bad = chap_response(ChapAlgorithm::Sha256, id, b"password", &challenge);
        let e = ch
            .verify_target(Some("target"), Some(&textval::encode_hex(&bad)))
            .unwrap_err();
        assert_eq!(e.kind, Kind::Auth);
        assert!(e.message.contains("did not verify"), "{e}");
        // Wrong name.
        let e = ch
            .verify_target(Some("other"), Some(&textval::encode_hex(&good)))
            .unwrap_err();
        assert!(e.message.contains("expected \"target\""), "{e}");
        // Missing answer.
        let e = ch.verify_target(None, None).unwrap_err();
        assert!(e.message.contains("did not answer"), "{e}");
        // Wrong length (e.g. a target computing SHA-1 for CHAP_A=7).
        let e = ch
            .verify_target(Some("target"), Some(&textval::encode_hex(&good[..20])))
            .unwrap_err();
        assert!(e.message.contains("20 bytes"), "{e}");
    }

    #[test]
    fn config_validation() {
        cfg(true).validate().unwrap();
        let mut c = cfg(true);
        c.mutual.as_mut().unwrap().secret = Secret::new(b"password".to_vec());
        let e = c.validate().unwrap_err();
        assert!(e.message.contains("same secret"), "{e}");
        assert_eq!(e.kind, Kind::Config);
        let mut c = cfg(false);
        c.challenge_len = 8;
        assert!(c.validate().is_err());
        let mut c = cfg(false);
        c.algorithms.clear();
        assert!(c.validate().is_err());
        assert_eq!(cfg(false).short_secrets(), vec!["CHAP secret"]);
        assert!(cfg(true).short_secrets().len() == 1);
        assert_eq!(
            format!("{:?}", Secret::new(b"x".to_vec())),
            "Secret(<1 bytes>)"
        );
    }
}
