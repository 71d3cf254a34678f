//! The login state machine, discovery and logout against a scripted target
//! (a fake [`Transport`] that decodes our PDUs with the codec and answers
//! like a small RFC 7143 target would).

use std::collections::VecDeque;

use iscsi_codec::bhs::{BHS_LEN, RESERVED_TAG};
use iscsi_codec::login::{Isid, LoginRequest, LoginResponse, Stage as W};
use iscsi_codec::logout::LogoutResponse;
use iscsi_codec::nop::NopIn;
use iscsi_codec::pdu::Pdu;
use iscsi_codec::serial::Sn;
use iscsi_codec::text::TextResponse;

use super::*;
use crate::chap::chap_response;
use crate::discovery::Session;
use crate::textval::{decode_binary, encode_hex};
use crate::transport::RawPdu;

/// Computes the target's answers from our offers.
pub(crate) type Answers = fn(&[(String, String)]) -> Vec<(String, String)>;

/// How the scripted target behaves.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    /// CHAP user and secret the target requires (one-way), if any.
    pub chap: Option<(String, Vec<u8>)>,
    /// For mutual CHAP: the name and secret the target answers with.
    pub mutual: Option<(String, Vec<u8>)>,
    /// CHAP_A the target picks.
    pub chap_alg: u8,
    /// Status (class, detail) to fail the first Login Request with.
    pub fail_first: Option<(u8, u8)>,
    /// Status to fail the first operational request with.
    pub fail_op: Option<(u8, u8)>,
    /// Redirect every login here (status 0x01, detail).
    pub redirect: Option<(String, u8)>,
    /// Split every response text into chunks of this size (C bit).
    pub chunk: Option<usize>,
    /// Answers to our operational offers; default accepts ours.
    pub op_answers: Answers,
    /// Keys the target offers first in the operational stage (with T=0).
    pub op_offers: Vec<(String, String)>,
    /// TSIH of the final response.
    pub tsih: u16,
    /// TSIH the first Login Request must carry.
    pub expect_tsih: u16,
    /// SendTargets answer text and the chunk size of its Text Responses.
    pub send_targets: Vec<(String, String)>,
    /// Text Response chunking: (bytes per PDU, use C bit rather than F=0).
    pub text_chunk: Option<(usize, bool)>,
    /// Send a NOP-In ping before the first Text Response.
    pub ping: bool,
    /// Mangle responses: 1 = wrong ITT, 2 = T without our T, 3 = TSIH 0,
    /// 4 = NSG skip, 5 = Reject PDU, 6 = close the connection.
    pub mangle: u8,
    /// A CHAP_A offer of several algorithms, as NetBSD's target takes it:
    /// 1 = close the connection without an answer, 2 = answer with the
    /// whole list.
    pub chap_a_list: u8,
    /// StatSN of the final Login Response (NetBSD's goes back to 1).
    pub final_stat_sn: Option<u32>,
    /// Answer a Logout Request with a Reject and close the connection
    /// (NetBSD's target, after discovery).
    pub reject_logout: bool,
    /// Close the connection on a Logout Request without answering it
    /// (istgt, when its worker thread closes before its sender wrote the
    /// Logout Response).
    pub close_on_logout: bool,
}

fn accept_all(offers: &[(String, String)]) -> Vec<(String, String)> {
    offers
        .iter()
        .filter(|(k, _)| k != "MaxRecvDataSegmentLength")
        .map(|(k, v)| {
            let v = match k.as_str() {
                "HeaderDigest" | "DataDigest" => v.split(',').next().unwrap().to_string(),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .chain([("MaxRecvDataSegmentLength".into(), "65536".into())])
        .collect()
}

impl Default for Model {
    fn default() -> Self {
        Model {
            chap: None,
            mutual: None,
            chap_alg: 5,
            fail_first: None,
            fail_op: None,
            redirect: None,
            chunk: None,
            op_answers: accept_all,
            op_offers: Vec::new(),
            tsih: 0x1234,
            expect_tsih: 0,
            send_targets: Vec::new(),
            text_chunk: None,
            ping: false,
            mangle: 0,
            chap_a_list: 0,
            final_stat_sn: None,
            reject_logout: false,
            close_on_logout: false,
        }
    }
}

impl Model {
    /// A target requiring CHAP from "user" with `secret`, picking CHAP_A=`alg`.
    fn requiring_chap(secret: &[u8], alg: u8) -> Model {
        Model {
            chap: Some(("user".into(), secret.to_vec())),
            chap_alg: alg,
            ..Default::default()
        }
    }
}

/// The fake transport: a scripted target.
pub(crate) struct Fake {
    pub m: Model,
    pub sent: Vec<RawPdu>,
    pub digests: (bool, bool),
    pending: VecDeque<RawPdu>,
    stat_sn: u32,
    req_text: Vec<u8>,
    rsp_chunks: VecDeque<(Vec<u8>, LoginResponse)>,
    text_chunks: VecDeque<Vec<u8>>,
    chap_id: u8,
    chap_challenge: Vec<u8>,
    first: bool,
    op_round: usize,
    closed: bool,
    pub received_keys: Vec<Vec<(String, String)>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fake({} PDUs sent)", self.sent.len())
    }
}

impl Fake {
    pub fn new(m: Model) -> Self {
        Fake {
            m,
            sent: Vec::new(),
            digests: (false, false),
            pending: VecDeque::new(),
            stat_sn: 100,
            req_text: Vec::new(),
            rsp_chunks: VecDeque::new(),
            text_chunks: VecDeque::new(),
            chap_id: 77,
            chap_challenge: (1..=16).collect(),
            first: true,
            op_round: 0,
            closed: false,
            received_keys: Vec::new(),
        }
    }

    fn login_rsp(&mut self, req: &LoginRequest) -> LoginResponse {
        let r = LoginResponse {
            transit: false,
            continue_: false,
            csg: req.csg,
            nsg: req.nsg,
            version_max: 0,
            version_active: 0,
            data_segment_length: 0,
            isid: req.isid,
            tsih: 0,
            itt: req.itt,
            stat_sn: Sn(self.stat_sn),
            exp_cmd_sn: req.cmd_sn,
            max_cmd_sn: req.cmd_sn.add(31),
            status_class: 0,
            status_detail: 0,
        };
        self.stat_sn += 1;
        r
    }

    fn push(&mut self, rsp: LoginResponse, keys: &[(String, String)]) {
        let text = serialize_pairs(keys).unwrap();
        let chunk = self.m.chunk.unwrap_or(usize::MAX).max(1);
        let pieces: Vec<Vec<u8>> = if text.is_empty() {
            vec![Vec::new()]
        } else {
            text.chunks(chunk).map(|c| c.to_vec()).collect()
        };
        let n = pieces.len();
        for (i, p) in pieces.into_iter().enumerate() {
            let last = i + 1 == n;
            let mut r = rsp;
            r.continue_ = !last;
            r.transit = last && rsp.transit;
            r.data_segment_length = p.len() as u32;
            if i > 0 {
                r.stat_sn = Sn(self.stat_sn);
                self.stat_sn += 1;
            }
            if i == 0 {
                self.emit(r, p);
            } else {
                self.rsp_chunks.push_back((p, r));
            }
        }
    }

    fn emit(&mut self, r: LoginResponse, data: Vec<u8>) {
        let mut bhs = [0u8; BHS_LEN];
        r.encode(&mut bhs).unwrap();
        self.pending.push_back(RawPdu { bhs, data });
    }

    fn emit_pdu(&mut self, p: Pdu, data: Vec<u8>) {
        let mut bhs = [0u8; BHS_LEN];
        p.encode(&mut bhs).unwrap();
        self.pending.push_back(RawPdu { bhs, data });
    }

    fn on_login(&mut self, req: LoginRequest, data: &[u8]) {
        if req.continue_ {
            self.req_text.extend_from_slice(data);
            let r = self.login_rsp(&req);
            self.emit(r, Vec::new());
            return;
        }
        if let Some((d, r)) = self.rsp_chunks.pop_front() {
            assert!(data.is_empty(), "continuation request must be empty");
            self.emit(r, d);
            return;
        }
        let mut text = std::mem::take(&mut self.req_text);
        text.extend_from_slice(data);
        let keys = parse_pairs(&text).unwrap();
        self.received_keys.push(keys.clone());
        let get = |k: &str| keys.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let mut r = self.login_rsp(&req);
        if self.m.mangle == 6 {
            self.closed = true;
            return;
        }
        if self.first {
            self.first = false;
            assert_eq!(req.csg, W::SecurityNegotiation);
            assert_eq!(req.tsih, self.m.expect_tsih);
            assert!(get("InitiatorName").is_some());
            if let Some((addr, detail)) = self.m.redirect.clone() {
                r.status_class = 1;
                r.status_detail = detail;
                self.push(r, &[("TargetAddress".into(), addr)]);
                return;
            }
            if let Some((c, d)) = self.m.fail_first {
                r.status_class = c;
                r.status_detail = d;
                self.push(r, &[]);
                return;
            }
            if self.m.mangle == 5 {
                let rej = iscsi_codec::reject::Reject {
                    reason: iscsi_codec::reject::RejectReason::ProtocolError,
                    data_segment_length: 48,
                    ..Default::default()
                };
                self.emit_pdu(Pdu::Reject(rej), vec![0; 48]);
                return;
            }
        }
        match req.csg {
            W::SecurityNegotiation => self.on_security(req, r, &keys),
            W::LoginOperationalNegotiation => self.on_operational(req, r, &keys),
            W::FullFeaturePhase => panic!("login request in full feature phase"),
        }
    }

    fn on_security(&mut self, req: LoginRequest, mut r: LoginResponse, keys: &[(String, String)]) {
        let get = |k: &str| keys.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let mut out: Vec<(String, String)> = Vec::new();
        if get("InitiatorName").is_some() {
            out.push(("TargetPortalGroupTag".into(), "1".into()));
        }
        if let Some(am) = get("AuthMethod") {
            match (&self.m.chap, am.as_str()) {
                (Some(_), "CHAP") => out.push(("AuthMethod".into(), "CHAP".into())),
                (Some(_), _) => {
                    r.status_class = 2;
                    r.status_detail = 1;
                    return self.push(r, &[]);
                }
                (None, _) => out.push(("AuthMethod".into(), "None".into())),
            }
        }
        if let Some(a) = get("CHAP_A") {
            if a.contains(',') && self.m.chap_a_list == 1 {
                self.closed = true;
                return;
            }
            if a.contains(',') && self.m.chap_a_list == 2 {
                out.push(("CHAP_A".into(), a));
                out.push(("CHAP_I".into(), self.chap_id.to_string()));
                out.push(("CHAP_C".into(), encode_hex(&self.chap_challenge)));
                return self.push(r, &out);
            }
            let alg = self.m.chap_alg.to_string();
            assert!(a.split(',').any(|x| x == alg), "CHAP_A={a} lacks {alg}");
            out.push(("CHAP_A".into(), alg));
            out.push(("CHAP_I".into(), self.chap_id.to_string()));
            out.push(("CHAP_C".into(), encode_hex(&self.chap_challenge)));
        }
        if let Some(resp) = get("CHAP_R") {
            let (user, secret) = self.m.chap.clone().unwrap();
            let alg = ChapAlgorithm::from_number(self.m.chap_alg as u64).unwrap();
            let want = chap_response(alg, self.chap_id, &secret, &self.chap_challenge);
            if get("CHAP_N") != Some(user) || decode_binary(&resp).unwrap() != want {
                r.status_class = 2;
                r.status_detail = 1;
                return self.push(r, &[]);
            }
            if let (Some(i), Some(c)) = (get("CHAP_I"), get("CHAP_C")) {
                let (name, secret) = self.m.mutual.clone().expect("mutual configured");
                let id: u8 = i.parse().unwrap();
                let ch = decode_binary(&c).unwrap();
                assert_ne!(ch, self.chap_challenge, "initiator reflected our challenge");
                out.push(("CHAP_N".into(), name));
                out.push((
                    "CHAP_R".into(),
                    encode_hex(&chap_response(alg, id, &secret, &ch)),
                ));
            }
        }
        let auth_done = self.m.chap.is_none() || get("CHAP_R").is_some();
        if req.transit && auth_done {
            r.transit = true;
            r.nsg = req.nsg;
            if self.m.mangle == 4 {
                r.nsg = W::FullFeaturePhase;
            }
        } else if self.m.mangle == 2 && !req.transit {
            r.transit = true;
            r.nsg = W::LoginOperationalNegotiation;
        }
        self.push(r, &out);
    }

    fn on_operational(
        &mut self,
        req: LoginRequest,
        mut r: LoginResponse,
        keys: &[(String, String)],
    ) {
        self.op_round += 1;
        if self.op_round == 1 {
            if let Some((c, d)) = self.m.fail_op {
                r.status_class = c;
                r.status_detail = d;
                return self.push(r, &[]);
            }
        }
        let mut out = (self.m.op_answers)(keys);
        if self.op_round == 1 && !self.m.op_offers.is_empty() {
            // Answer and make our own offers; wait for the initiator.
            out.extend(self.m.op_offers.clone());
            return self.push(r, &out);
        }
        if self.op_round > 1 && !self.m.op_offers.is_empty() {
            out = Vec::new();
        }
        if req.transit {
            r.transit = true;
            r.nsg = W::FullFeaturePhase;
            r.tsih = if self.m.mangle == 3 { 0 } else { self.m.tsih };
            if let Some(sn) = self.m.final_stat_sn {
                r.stat_sn = Sn(sn);
            }
        }
        if self.m.mangle == 1 {
            r.itt = 99;
        }
        self.push(r, &out);
    }

    fn on_text(&mut self, req: iscsi_codec::text::TextRequest, data: &[u8]) {
        if req.ttt == RESERVED_TAG {
            let keys = parse_pairs(data).unwrap();
            assert_eq!(keys, vec![("SendTargets".to_string(), "All".to_string())]);
            let text = serialize_pairs(&self.m.send_targets).unwrap();
            let (n, _) = self.m.text_chunk.unwrap_or((usize::MAX, false));
            self.text_chunks = text.chunks(n.max(1)).map(|c| c.to_vec()).collect();
            if self.text_chunks.is_empty() {
                self.text_chunks.push_back(Vec::new());
            }
            if self.m.ping {
                let nop = NopIn {
                    data_segment_length: 4,
                    itt: RESERVED_TAG,
                    ttt: 0x5555,
                    stat_sn: Sn(self.stat_sn),
                    exp_cmd_sn: req.cmd_sn,
                    max_cmd_sn: req.cmd_sn.add(31),
                    ..Default::default()
                };
                self.emit_pdu(Pdu::NopIn(nop), b"ping".to_vec());
            }
        } else {
            assert_eq!(req.ttt, 0x7000 + self.text_chunks.len() as u32);
            assert!(data.is_empty());
        }
        let chunk = self.text_chunks.pop_front().unwrap();
        let more = !self.text_chunks.is_empty();
        let use_c = self.m.text_chunk.map(|(_, c)| c).unwrap_or(false);
        let rsp = TextResponse {
            final_bit: !more,
            continue_: more && use_c,
            data_segment_length: chunk.len() as u32,
            itt: req.itt,
            ttt: if more {
                0x7000 + self.text_chunks.len() as u32
            } else {
                RESERVED_TAG
            },
            stat_sn: Sn(self.stat_sn),
            exp_cmd_sn: req.cmd_sn,
            max_cmd_sn: req.cmd_sn.add(31),
            ..Default::default()
        };
        self.stat_sn += 1;
        self.emit_pdu(Pdu::TextResponse(rsp), chunk);
    }
}

impl Transport for Fake {
    fn send(&mut self, header: &Pdu, data: &[u8]) -> Result<()> {
        if self.closed {
            return Err(Error::network("connection closed by the target"));
        }
        let mut bhs = [0u8; BHS_LEN];
        header.encode(&mut bhs).expect("initiator PDUs encode");
        let pdu = &RawPdu {
            bhs,
            data: data.to_vec(),
        };
        self.sent.push(pdu.clone());
        match Pdu::decode(&pdu.bhs).expect("initiator PDUs decode") {
            Pdu::LoginRequest(req) => {
                assert!(!(req.transit && req.continue_));
                assert!(pdu.data.len() <= 8192);
                self.on_login(req, &pdu.data)
            }
            Pdu::TextRequest(req) => self.on_text(req, &pdu.data),
            Pdu::NopOut(n) => {
                assert_eq!(n.ttt, 0x5555);
                assert_eq!(pdu.data, b"ping");
            }
            Pdu::LogoutRequest(_) if self.m.reject_logout => {
                let rej = iscsi_codec::reject::Reject {
                    reason: iscsi_codec::reject::RejectReason::ProtocolError,
                    data_segment_length: 48,
                    stat_sn: Sn(self.stat_sn),
                    ..Default::default()
                };
                self.emit_pdu(Pdu::Reject(rej), pdu.bhs.to_vec());
                self.closed = true;
            }
            Pdu::LogoutRequest(_) if self.m.close_on_logout => self.closed = true,
            Pdu::LogoutRequest(req) => {
                let rsp = LogoutResponse {
                    itt: req.itt,
                    stat_sn: Sn(self.stat_sn),
                    exp_cmd_sn: req.cmd_sn,
                    max_cmd_sn: req.cmd_sn.add(31),
                    ..Default::default()
                };
                self.stat_sn += 1;
                self.emit_pdu(Pdu::LogoutResponse(rsp), Vec::new());
            }
            other => panic!("unexpected {other:?}"),
        }
        Ok(())
    }

    fn recv(&mut self) -> Result<RawPdu> {
        self.pending.pop_front().ok_or_else(|| {
            let mut e = Error::network("reading from fake: connection closed by the target");
            e.closed_by_target = true;
            e
        })
    }

    fn set_digests(&mut self, header: bool, data: bool) {
        self.digests = (header, data);
    }

    fn set_max_recv_data_segment_length(&mut self, _bytes: u32) {}
}

pub(crate) fn settings(chap: Option<ChapConfig>) -> LoginSettings {
    LoginSettings::leading(
        SessionType::Normal,
        [0x80, 1, 2, 3, 4, 5],
        "iqn.2026-11.org.iscsi-init:test".into(),
        None,
        Some("iqn.2001-04.com.example:disk".into()),
        Offer::default(),
        chap,
    )
}

fn chap_cfg(mutual: bool) -> ChapConfig {
    crate::chap::tests::config(
        b"initiator-secret",
        mutual.then_some(("tgt", &b"target-secret-1"[..])),
    )
}

/// Log in to 192.0.2.1:3260, with `connect` making the scripted targets.
fn login_via(
    connect: impl FnMut(&Portal) -> Result<Fake>,
    s: &LoginSettings,
    max_redirects: u32,
) -> Result<(Fake, LoggedIn)> {
    let portal = Portal::parse("192.0.2.1", 3260).unwrap();
    login(connect, &portal, s, max_redirects)
}

fn run(m: Model, s: &LoginSettings) -> Result<(Fake, LoggedIn)> {
    let mut fake = Some(Fake::new(m));
    login_via(|_p| Ok(fake.take().expect("one connection")), s, 4)
}

#[test]
fn login_without_auth() {
    let (fake, li) = run(Model::default(), &settings(None)).unwrap();
    assert_eq!(li.tsih, 0x1234);
    assert_eq!(li.cmd_sn, 1);
    assert_eq!(li.exp_cmd_sn, 1);
    assert_eq!(li.max_cmd_sn, 32);
    // Two responses (security, operational): StatSN 100, 101.
    assert_eq!(li.exp_stat_sn, 102);
    assert_eq!(li.negotiated.target_portal_group_tag, Some(1));
    assert_eq!(li.negotiated.max_xmit_data_segment_length, 65536);
    assert_eq!(li.negotiated.max_burst_length, 16776192);
    assert_eq!(li.portal.as_ref().unwrap().to_string(), "192.0.2.1:3260");
    let first = &fake.received_keys[0];
    assert!(first.contains(&("AuthMethod".into(), "None".into())));
    assert!(first.contains(&("SessionType".into(), "Normal".into())));
    assert!(first.contains(&("TargetName".into(), "iqn.2001-04.com.example:disk".into())));
    // Every request: same ITT, ISID, CmdSN; ExpStatSN follows StatSN.
    let reqs: Vec<LoginRequest> = fake
        .sent
        .iter()
        .map(|p| LoginRequest::decode(&p.bhs).unwrap())
        .collect();
    assert_eq!(reqs.len(), 2);
    assert!(reqs
        .iter()
        .all(|r| r.itt == 0 && r.cmd_sn == Sn(1) && r.isid == Isid([0x80, 1, 2, 3, 4, 5])));
    assert_eq!(reqs[1].exp_stat_sn, Sn(101));
    assert!(reqs[0].transit && reqs[0].nsg == W::LoginOperationalNegotiation);
    assert!(reqs[1].transit && reqs[1].nsg == W::FullFeaturePhase);
}

#[test]
fn login_one_way_chap() {
    for alg in [5u8, 7] {
        let m = Model::requiring_chap(b"initiator-secret", alg);
        let (fake, li) = run(m, &settings(Some(chap_cfg(false)))).unwrap();
        assert_eq!(li.chap_algorithm.unwrap().number(), alg);
        assert!(!li.mutual_chap);
        assert_eq!(
            fake.received_keys[1],
            vec![("CHAP_A".to_string(), "7,5".to_string())]
        );
        let reqs: Vec<LoginRequest> = fake
            .sent
            .iter()
            .map(|p| LoginRequest::decode(&p.bhs).unwrap())
            .collect();
        // AuthMethod (T=0), CHAP_A (T=0), CHAP_N/R (T=1), operational.
        assert_eq!(
            reqs.iter().map(|r| r.transit).collect::<Vec<_>>(),
            [false, false, true, true]
        );
    }
}

#[test]
fn login_mutual_chap() {
    let m = Model {
        chap: Some(("user".into(), b"initiator-secret".to_vec())),
        mutual: Some(("tgt".into(), b"target-secret-1".to_vec())),
        ..Default::default()
    };
    let (_, li) = run(m.clone(), &settings(Some(chap_cfg(true)))).unwrap();
    assert!(li.mutual_chap);
    // The target proves the wrong secret.
    let bad = Model {
        mutual: Some(("tgt".into(), b"not-the-secret".to_vec())),
        ..m.clone()
    };
    let e = run(bad, &settings(Some(chap_cfg(true)))).unwrap_err();
    assert_eq!(e.kind, Kind::Auth);
    assert!(e.message.contains("did not verify"), "{e}");
    // The target names itself differently.
    let bad = Model {
        mutual: Some(("other".into(), b"target-secret-1".to_vec())),
        ..m
    };
    let e = run(bad, &settings(Some(chap_cfg(true)))).unwrap_err();
    assert!(e.message.contains("CHAP_N"), "{e}");
}

#[test]
fn wrong_secret_is_an_authentication_failure() {
    let m = Model::requiring_chap(b"another-secret", 5);
    let e = run(m, &settings(Some(chap_cfg(false)))).unwrap_err();
    assert_eq!(e.kind, Kind::Auth);
    assert_eq!(e.exit_code(), crate::error::exit::AUTH);
    assert_eq!(
        e.message,
        "authentication failed: target rejected our CHAP response (status 0x0201)"
    );
    // With CHAP_A=7 chosen the message hints at tgtd's numbering.
    let m = Model::requiring_chap(b"another-secret", 7);
    let e = run(m, &settings(Some(chap_cfg(false)))).unwrap_err();
    assert!(e.message.contains("--chap-algs MD5"), "{e}");
}

#[test]
fn target_requires_auth_we_have_none() {
    let m = Model::requiring_chap(b"x", 5);
    let e = run(m, &settings(None)).unwrap_err();
    assert_eq!(e.kind, Kind::Auth);
    assert!(e.message.contains("requires authentication"), "{e}");
}

#[test]
fn every_login_status_class() {
    let cases: &[((u8, u8), Kind, &str)] = &[
        (
            (2, 0),
            Kind::Target,
            "initiator error (status 0x0200); some targets (NetBSD's) answer so for a target name they do not know: check iqn.2001-04.com.example:disk",
        ),
        (
            (2, 1),
            Kind::Auth,
            "authentication failed: the target requires authentication (status 0x0201)",
        ),
        ((2, 2), Kind::Auth, "authorization failed"),
        (
            (2, 3),
            Kind::Target,
            "target not found: iqn.2001-04.com.example:disk (status 0x0203)",
        ),
        ((2, 4), Kind::Target, "target removed"),
        (
            (2, 5),
            Kind::Target,
            "unsupported iSCSI version (status 0x0205)",
        ),
        ((2, 6), Kind::Target, "too many connections"),
        ((2, 7), Kind::Target, "missing login parameter"),
        ((2, 8), Kind::Target, "can't include this connection"),
        ((2, 9), Kind::Target, "session type not supported"),
        ((2, 0x0a), Kind::Target, "session does not exist"),
        ((2, 0x0b), Kind::Target, "invalid during login"),
        ((2, 0x42), Kind::Target, "initiator error (status 0x0242)"),
        ((3, 0), Kind::Target, "target error (status 0x0300)"),
        ((3, 1), Kind::Target, "service unavailable"),
        ((3, 2), Kind::Target, "out of resources (status 0x0302)"),
        ((3, 9), Kind::Target, "target error (status 0x0309)"),
        ((7, 7), Kind::Target, "unknown status (status 0x0707)"),
    ];
    for &((c, d), kind, text) in cases {
        let m = Model {
            fail_first: Some((c, d)),
            ..Default::default()
        };
        let e = run(m, &settings(None)).unwrap_err();
        assert_eq!(e.kind, kind, "0x{c:02x}{d:02x}: {e}");
        assert!(e.message.contains(text), "0x{c:02x}{d:02x}: {e}");
        assert!(!e.message.contains('\n'));
        // The same in the operational stage.
        let m = Model {
            fail_op: Some((c, d)),
            ..Default::default()
        };
        let e = run(m, &settings(None)).unwrap_err();
        assert_eq!(e.kind, kind, "op 0x{c:02x}{d:02x}: {e}");
    }
}

#[test]
fn redirection_is_followed() {
    for detail in [1u8, 2] {
        let mut seen = Vec::new();
        let (_, li) = login_via(
            |p: &Portal| {
                seen.push(p.to_string());
                Ok(Fake::new(if seen.len() == 1 {
                    Model {
                        redirect: Some(("[2001:db8::7]:3261,3".into(), detail)),
                        ..Default::default()
                    }
                } else {
                    Model::default()
                }))
            },
            &settings(None),
            4,
        )
        .unwrap();
        assert_eq!(seen, ["192.0.2.1:3260", "[2001:db8::7]:3261"]);
        assert_eq!(li.portal.unwrap().to_string(), "[2001:db8::7]:3261");
        assert_eq!(li.redirects, ["[2001:db8::7]:3261"]);
    }
}

#[test]
fn redirection_loops_are_bounded() {
    let mut n = 0;
    let e = login_via(
        |_p: &Portal| {
            n += 1;
            Ok(Fake::new(Model {
                redirect: Some((format!("192.0.2.{n}:3260"), 1)),
                ..Default::default()
            }))
        },
        &settings(None),
        3,
    )
    .unwrap_err();
    assert_eq!(n, 4);
    assert_eq!(e.kind, Kind::Target);
    assert!(e.message.contains("too many login redirections"), "{e}");
    // A redirection without TargetAddress is a protocol error.
    let m = Model {
        fail_first: Some((1, 1)),
        ..Default::default()
    };
    let e = run(m, &settings(None)).unwrap_err();
    assert!(e.message.contains("without a TargetAddress"), "{e}");
}

#[test]
fn multi_pdu_responses_with_c_bit() {
    let m = Model {
        chap: Some(("user".into(), b"initiator-secret".to_vec())),
        mutual: Some(("tgt".into(), b"target-secret-1".to_vec())),
        chunk: Some(7),
        ..Default::default()
    };
    let (fake, li) = run(m, &settings(Some(chap_cfg(true)))).unwrap();
    assert!(li.mutual_chap);
    assert_eq!(li.negotiated.max_xmit_data_segment_length, 65536);
    // Many empty continuation requests were needed, none with T or C set.
    let empties = fake
        .sent
        .iter()
        .filter(|p| p.data.is_empty())
        .map(|p| LoginRequest::decode(&p.bhs).unwrap())
        .collect::<Vec<_>>();
    assert!(empties.len() > 20, "{}", empties.len());
    assert!(empties.iter().all(|r| !r.transit && !r.continue_));
}

#[test]
fn multi_pdu_requests_with_c_bit() {
    let s = settings(None);
    let mut fake = Fake::new(Model::default());
    fake.first = false; // skip the first-request checks
    let mut c = Conn::new(&mut fake, &s, None);
    let keys: Vec<(String, String)> = (0..100)
        .map(|i| (format!("X-org.example.k{i}"), "v".repeat(200)))
        .chain([("AuthMethod".to_string(), "None".to_string())])
        .collect();
    let flow = c
        .exchange(
            Stage::SecurityNegotiation,
            Stage::LoginOperationalNegotiation,
            true,
            &keys,
        )
        .unwrap();
    let Flow::Response(rsp, _) = flow else {
        panic!("redirect")
    };
    assert!(rsp.transit);
    let reqs: Vec<(LoginRequest, usize)> = fake
        .sent
        .iter()
        .map(|p| (LoginRequest::decode(&p.bhs).unwrap(), p.data.len()))
        .collect();
    assert_eq!(reqs.len(), 3, "21 KB of text in 8 KB segments");
    assert!(reqs[0].0.continue_ && !reqs[0].0.transit && reqs[0].1 == 8192);
    assert!(reqs[1].0.continue_ && !reqs[1].0.transit);
    assert!(!reqs[2].0.continue_ && reqs[2].0.transit);
    assert_eq!(fake.received_keys[0].len(), 101);
}

#[test]
fn target_offers_are_answered() {
    let m = Model {
        op_offers: vec![
            ("TaskReporting".into(), "ResponseFence,RFC3720".into()),
            ("X-com.example.Quirk".into(), "1".into()),
        ],
        ..Default::default()
    };
    let (fake, li) = run(m, &settings(None)).unwrap();
    let answers = &fake.received_keys[2];
    assert_eq!(
        answers,
        &vec![
            ("TaskReporting".to_string(), "RFC3720".to_string()),
            (
                "X-com.example.Quirk".to_string(),
                "NotUnderstood".to_string()
            )
        ]
    );
    assert_eq!(li.negotiated.max_outstanding_r2t, 16);
    // An answer above our offer (min function) is refused.
    let m = Model {
        op_answers: |offers| {
            let mut a = accept_all(offers);
            a.retain(|(k, _)| k != "MaxOutstandingR2T");
            a.push(("MaxOutstandingR2T".into(), "64".into()));
            a
        },
        ..Default::default()
    };
    let e = run(m, &settings(None)).unwrap_err();
    assert!(
        e.message
            .contains("MaxOutstandingR2T=64, above our offer 16"),
        "{e}"
    );
}

#[test]
fn negotiation_failures_are_target_errors() {
    let m = Model {
        op_answers: |offers| {
            let mut a = accept_all(offers);
            for kv in &mut a {
                if kv.0 == "MaxBurstLength" {
                    kv.1 = "99999999".into();
                }
            }
            a
        },
        ..Default::default()
    };
    let e = run(m, &settings(None)).unwrap_err();
    assert_eq!(e.kind, Kind::Target);
    assert!(
        e.message
            .starts_with("login negotiation failed: MaxBurstLength=99999999 is out of range"),
        "{e}"
    );
}

/// NetBSD's target cannot choose from a CHAP_A list: it closes the
/// connection (1) or answers with the whole list (2). The login retries
/// once with MD5 alone on a new connection, and succeeds.
#[test]
fn chap_a_list_the_target_cannot_take_falls_back_to_md5() {
    for behaviour in [1u8, 2] {
        let mut conns = 0;
        let s = settings(Some(chap_cfg(false)));
        let (fake, li) = login_via(
            |_p| {
                conns += 1;
                Ok(Fake::new(Model {
                    chap_a_list: if conns == 1 { behaviour } else { 0 },
                    ..Model::requiring_chap(b"initiator-secret", 5)
                }))
            },
            &s,
            4,
        )
        .unwrap_or_else(|e| panic!("behaviour {behaviour}: {e}"));
        assert_eq!(conns, 2, "behaviour {behaviour}");
        assert_eq!(li.chap_algorithm, Some(ChapAlgorithm::Md5));
        let offer = fake
            .received_keys
            .iter()
            .flatten()
            .find(|(k, _)| k == "CHAP_A")
            .map(|(_, v)| v.clone());
        assert_eq!(offer.as_deref(), Some("5"), "behaviour {behaviour}");
    }
}

/// Without MD5 among the algorithms allowed, there is no fallback: the
/// failure is an authentication interop problem (exit 5) with a hint, not a
/// network error. (A target closing the connection before it answered
/// anything stays a network error: `protocol_violations`, mangle 6.)
#[test]
fn chap_a_list_failure_without_md5_is_an_auth_interop_error() {
    let mut cfg = chap_cfg(false);
    cfg.algorithms = vec![ChapAlgorithm::Sha256, ChapAlgorithm::Sha1];
    let mut conns = 0;
    let e = login_via(
        |_p| {
            conns += 1;
            Ok(Fake::new(Model {
                chap_a_list: 1,
                ..Model::requiring_chap(b"initiator-secret", 7)
            }))
        },
        &settings(Some(cfg)),
        4,
    )
    .unwrap_err();
    assert_eq!(conns, 1);
    assert_eq!(e.kind, Kind::Auth, "{e}");
    assert_eq!(e.exit_code(), crate::error::exit::AUTH);
    assert!(
        e.message.contains("interop") && e.message.contains("CHAP_A=7,6"),
        "{e}"
    );
}

/// NetBSD's target: the final Login Response's StatSN goes back (it copies
/// our ExpStatSN). Not an error: it is the base for ExpStatSN.
#[test]
fn login_stat_sn_going_backwards_is_taken() {
    let m = Model {
        final_stat_sn: Some(1),
        ..Default::default()
    };
    let (_, li) = run(m, &settings(None)).unwrap();
    assert_eq!(li.exp_stat_sn, 2);
}

#[test]
fn protocol_violations() {
    let cases = [
        (1u8, "ITT"),
        (2, "T bit"),
        (3, "TSIH 0"),
        (4, "we asked for stage 1"),
        (5, "Reject"),
        (6, "connection closed"),
    ];
    for (mangle, text) in cases {
        let m = Model {
            mangle,
            chap: (mangle == 2).then(|| ("user".to_string(), b"initiator-secret".to_vec())),
            ..Default::default()
        };
        let chap = (mangle == 2).then(|| chap_cfg(false));
        let e = run(m, &settings(chap)).unwrap_err();
        assert!(e.message.contains(text), "mangle {mangle}: {e}");
        let want = if mangle == 6 {
            Kind::Network
        } else {
            Kind::Target
        };
        assert_eq!(e.kind, want, "mangle {mangle}: {e}");
    }
}

fn discovery_settings() -> LoginSettings {
    LoginSettings {
        target_name: None,
        session_type: SessionType::Discovery,
        ..settings(None)
    }
}

fn targets_text() -> Vec<(String, String)> {
    let mut v = Vec::new();
    for i in 0..40 {
        v.push((
            "TargetName".to_string(),
            format!("iqn.2001-04.com.example:disk{i}"),
        ));
        v.push(("TargetAddress".to_string(), format!("192.0.2.{i}:3260,1")));
        v.push((
            "TargetAddress".to_string(),
            format!("[2001:db8::{i}]:3260,2"),
        ));
    }
    v.push((
        "TargetName".to_string(),
        "iqn.2001-04.com.example:noaddr".to_string(),
    ));
    v
}

#[test]
fn discovery_with_multi_pdu_text() {
    for chunking in [None, Some((100, false)), Some((33, true))] {
        let m = Model {
            send_targets: targets_text(),
            text_chunk: chunking,
            ping: true,
            op_answers: |offers| {
                let mut a = accept_all(offers);
                a.retain(|(k, _)| k != "DataDigest");
                a
            },
            ..Default::default()
        };
        let (fake, li) = run(m, &discovery_settings()).unwrap();
        let keys: Vec<&str> = fake.received_keys[1]
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert!(!keys.contains(&"MaxBurstLength"), "{keys:?}");
        let mut s = Session::new(fake, &li);
        let targets = s.send_targets("All").unwrap();
        assert_eq!(targets.len(), 41, "{chunking:?}");
        assert_eq!(targets[3].name, "iqn.2001-04.com.example:disk3");
        assert_eq!(targets[3].portals.len(), 2);
        assert_eq!(targets[3].portals[0].address, "192.0.2.3:3260");
        assert_eq!(targets[3].portals[0].tpgt, Some(1));
        assert_eq!(targets[3].portals[1].address, "[2001:db8::3]:3260");
        assert_eq!(targets[3].portals[1].tpgt, Some(2));
        // A target without TargetAddress is reached through the discovery portal.
        assert_eq!(targets[40].portals[0].address, "192.0.2.1:3260");
        assert_eq!(targets[40].portals[0].tpgt, None);
        s.logout().unwrap();
        let fake = s.into_transport();
        // A NOP-Out answered the ping; the last PDU is the Logout Request.
        let ops: Vec<_> = fake
            .sent
            .iter()
            .map(|p| Pdu::decode(&p.bhs).unwrap().opcode())
            .collect();
        assert!(ops.contains(&iscsi_codec::bhs::Opcode::NopOut));
        assert_eq!(
            *ops.last().unwrap(),
            iscsi_codec::bhs::Opcode::LogoutRequest
        );
    }
}

/// NetBSD's target rejects our immediate Logout after discovery and closes
/// the connection: the targets are already known; the logout fails with a
/// target error (which `discover` reports as a warning).
#[test]
fn discovery_logout_rejected() {
    let m = Model {
        send_targets: targets_text(),
        reject_logout: true,
        ..Default::default()
    };
    let (fake, li) = run(m, &discovery_settings()).unwrap();
    let mut s = Session::new(fake, &li);
    assert_eq!(s.send_targets("All").unwrap().len(), 41);
    let e = s.logout().unwrap_err();
    assert_eq!(e.kind, Kind::Target, "{e}");
}

/// A target that closes the connection on our Logout Request instead of
/// answering it (istgt's race) has ended the session: the logout succeeds.
/// A reset or an error before the close still fails it (above).
#[test]
fn logout_answered_by_a_close_is_done() {
    let m = Model {
        close_on_logout: true,
        ..Default::default()
    };
    let (fake, li) = run(m, &settings(None)).unwrap();
    let mut s = Session::new(fake, &li);
    s.logout().unwrap();
    let fake = s.into_transport();
    assert!(fake.closed);
}

#[test]
fn digests_switch_on_after_login() {
    let mut s = settings(None);
    s.offer.header_digest = vec![
        crate::negotiate::Digest::Crc32c,
        crate::negotiate::Digest::None,
    ];
    s.offer.data_digest = vec![crate::negotiate::Digest::Crc32c];
    let (fake, li) = run(Model::default(), &s).unwrap();
    assert_eq!(fake.digests, (false, false), "no digests during login");
    let sess = Session::new(fake, &li);
    assert_eq!(sess.into_transport().digests, (true, true));
}

#[test]
fn non_leading_login_for_a_failed_session() {
    let (_, first) = run(Model::default(), &settings(None)).unwrap();
    let m = Model {
        expect_tsih: 0x1234,
        ..Default::default()
    };
    let mut s = settings(None);
    s.tsih = 0x1234;
    s.cid = 3;
    s.initial_cmd_sn = 77;
    s.initial_exp_stat_sn = 55;
    let mut session = first.negotiated.clone();
    session.max_burst_length = 65536;
    session.first_burst_length = 65536;
    s.session = Some(session);
    let (fake, li) = run(m, &s).unwrap();
    let req = LoginRequest::decode(&fake.sent[0].bhs).unwrap();
    assert_eq!(
        (req.tsih, req.cid, req.cmd_sn, req.exp_stat_sn),
        (0x1234, 3, Sn(77), Sn(55))
    );
    let offered: Vec<&str> = fake.received_keys[1]
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        offered,
        ["HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength"]
    );
    assert_eq!(li.tsih, 0x1234);
    assert_eq!(li.cmd_sn, 77);
    assert_eq!(li.negotiated.max_burst_length, 65536);
    // The target answering "session does not exist" is reported with its status.
    let m = Model {
        expect_tsih: 0x1234,
        fail_first: Some((2, 0x0a)),
        ..Default::default()
    };
    let e = run(m, &s).unwrap_err();
    assert_eq!(e.login_status, Some(0x020a));
}
