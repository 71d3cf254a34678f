//! The login phase, initiator side (RFC 7143 §6, §11.12, §11.13).
//!
//! One login on one connection ([`login_once`]):
//!
//! 1. SecurityNegotiation (CSG 0, `security_stage`): `InitiatorName`,
//!    `SessionType`, `TargetName`, `AuthMethod=CHAP` (or `None`); then the
//!    CHAP exchange (`login_chap`, driving a [`ChapInitiator`]); T=1/NSG=1
//!    once our part is done.
//! 2. LoginOperationalNegotiation (CSG 1, `operational_stage`): our offers
//!    ([`Negotiation::initial_offers`]), answers to the target's offers,
//!    T=1/NSG=3 until the target agrees; then the checks of the final
//!    response (`logged_in`).
//!
//! Rules followed: every Login Request of a login carries the same ITT, ISID,
//! TSIH and CmdSN (login requests are immediate, §4.2.2.1); ExpStatSN is the
//! last StatSN + 1; a text longer than 8192 bytes is sent over several Login
//! Requests with the C bit (the target answers each with an empty response);
//! a response with the C bit set is followed by an empty request to fetch the
//! rest (§6.1, §11.12.2); T is never set together with C; the target may only
//! set T when we did and only to the NSG we asked for. A Login Response with
//! Status-Class 1 (redirection) makes [`login`] reconnect to the
//! `TargetAddress` it carries, at most `max_redirects` times.

use iscsi_codec::assembler::{Assembly, TextAssembler, TextSegments};
use iscsi_codec::login::{Isid, LoginRequest, LoginResponse, Stage};
use iscsi_codec::pdu::Pdu;
use iscsi_codec::serial::Sn;
use serde::Serialize;

use crate::chap::{ChapAlgorithm, ChapConfig, ChapInitiator, ChapStep};
use crate::diag::{trace, warn};
use crate::error::{Error, Kind, Result};
use crate::negotiate::{Negotiated, Negotiation, Offer, SessionType};
use crate::portal::{parse_target_address, Portal};
use crate::textval::{parse_pairs, serialize_pairs};
use crate::transport::{Transport, LOGIN_MAX_SEGMENT};

/// Most request/response exchanges per login stage before giving up.
pub const MAX_EXCHANGES_PER_STAGE: usize = 16;
/// Largest text (all PDUs of one response sequence together) accepted, bytes.
pub const MAX_LOGIN_TEXT: usize = 64 * 1024;
/// Default number of login redirections followed.
pub const DEFAULT_MAX_REDIRECTS: u32 = 4;
/// The ITT of every Login Request we send.
const LOGIN_ITT: u32 = 0;

/// What to log in with.
#[derive(Clone, Debug)]
pub struct LoginSettings {
    /// Our InitiatorName.
    pub initiator_name: String,
    /// Our InitiatorAlias, if any.
    pub initiator_alias: Option<String>,
    /// TargetName; `None` for a discovery session.
    pub target_name: Option<String>,
    /// Normal or Discovery.
    pub session_type: SessionType,
    /// ISID, 6 bytes as on the wire (§11.12.5).
    pub isid: [u8; 6],
    /// TSIH: 0 for a new session (§11.12.6).
    pub tsih: u16,
    /// CID (§11.12.7).
    pub cid: u16,
    /// CmdSN of the Login Requests, which is also the first full-feature CmdSN.
    pub initial_cmd_sn: u32,
    /// ExpStatSN of the first Login Request: 0 for a new session, the old
    /// connection's ExpStatSN when restarting one (§11.12.8).
    pub initial_exp_stat_sn: u32,
    /// For a non-leading login (TSIH != 0): the session-wide values in force.
    pub session: Option<Negotiated>,
    /// Operational values we offer.
    pub offer: Offer,
    /// CHAP, or `None` for `AuthMethod=None`.
    pub chap: Option<ChapConfig>,
}

impl LoginSettings {
    /// The settings of a leading login: a new session (TSIH 0, CID 0, CmdSN
    /// 1, ExpStatSN 0).
    #[allow(clippy::too_many_arguments)]
    pub fn leading(
        session_type: SessionType,
        isid: [u8; 6],
        initiator_name: String,
        initiator_alias: Option<String>,
        target_name: Option<String>,
        offer: Offer,
        chap: Option<ChapConfig>,
    ) -> Self {
        LoginSettings {
            initiator_name,
            initiator_alias,
            target_name,
            session_type,
            isid,
            tsih: 0,
            cid: 0,
            initial_cmd_sn: 1,
            initial_exp_stat_sn: 0,
            session: None,
            offer,
            chap,
        }
    }
}

/// A completed login.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedIn {
    /// Negotiated operational parameters.
    pub negotiated: Negotiated,
    /// ISID we used.
    #[serde(serialize_with = "ser_isid")]
    pub isid: [u8; 6],
    /// TSIH the target assigned (non-zero).
    pub tsih: u16,
    /// CID of the connection.
    pub cid: u16,
    /// CmdSN of the first full-feature command.
    pub cmd_sn: u32,
    /// ExpCmdSN from the final Login Response.
    pub exp_cmd_sn: u32,
    /// MaxCmdSN from the final Login Response.
    pub max_cmd_sn: u32,
    /// StatSN of the final Login Response + 1.
    pub exp_stat_sn: u32,
    /// CHAP algorithm used, if CHAP was used.
    pub chap_algorithm: Option<ChapAlgorithm>,
    /// Whether the target proved its identity (mutual CHAP).
    pub mutual_chap: bool,
    /// Portal the login completed on (after redirections).
    pub portal: Option<Portal>,
    /// Portals we were redirected to, in order.
    pub redirects: Vec<String>,
}

fn ser_isid<S: serde::Serializer>(isid: &[u8; 6], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&crate::identity::format_isid(isid))
}

/// Result of one login attempt on one connection.
#[derive(Clone, Debug)]
pub enum Attempt {
    /// Logged in.
    LoggedIn(Box<LoggedIn>),
    /// The target redirected us (status class 1).
    Redirect {
        /// Where to.
        portal: Portal,
        /// Portal group tag in the TargetAddress, if any.
        tpgt: Option<u16>,
        /// Status-Detail 0x02 (moved permanently) rather than 0x01.
        permanent: bool,
    },
}

/// Why a response ended the exchange early.
enum Flow {
    Response(LoginResponse, Vec<(String, String)>),
    Redirect(Attempt),
}

/// The error for a login failure status (RFC 7143 §11.13.5).
pub fn status_error(class: u8, detail: u8, ctx: &StatusContext) -> Error {
    let mut e = status_error_message(class, detail, ctx);
    e.login_status = Some(u16::from(class) << 8 | u16::from(detail));
    e
}

fn status_error_message(class: u8, detail: u8, ctx: &StatusContext) -> Error {
    let code = format!("status 0x{class:02x}{detail:02x}");
    let target = ctx.target.unwrap_or("the target");
    let chap_step = ctx.chap.map(ChapInitiator::step);
    let chap_algorithm = ctx.chap.and_then(ChapInitiator::algorithm);
    let chap_offer = ctx.chap.map(ChapInitiator::algorithms_offer);
    match (class, detail) {
        (2, 1) => {
            let m = match (chap_step, chap_algorithm) {
                (None, _) => format!(
                    "the target requires authentication ({code}); configure a CHAP user and secret"
                ),
                (Some(ChapStep::Algorithms), _) | (Some(ChapStep::AuthMethod), _) => format!(
                    "target refused our CHAP request: unknown user or none of the algorithms {} ({code})",
                    chap_offer.as_deref().unwrap_or("offered")
                ),
                (_, Some(ChapAlgorithm::Sha256)) => format!(
                    "target rejected our CHAP response ({code}); wrong user or secret, or a target that misnumbers SHA-1 as CHAP_A=7 such as tgtd: try --chap-algs MD5"
                ),
                _ => format!("target rejected our CHAP response ({code})"),
            };
            Error::auth(m)
        }
        (2, 2) => Error::new(
            Kind::Auth,
            format!("authorization failed: the initiator may not access {target} ({code})"),
        ),
        (2, 3) => Error::target(format!("target not found: {target} ({code})")),
        (2, 4) => Error::target(format!("target removed: {target} is no longer available ({code})")),
        (2, 5) => Error::target(format!("unsupported iSCSI version ({code})")),
        (2, 6) => Error::target(format!("too many connections on the session ({code})")),
        (2, 7) => Error::target(format!(
            "target reports a missing login parameter ({code})"
        )),
        (2, 8) => Error::target(format!(
            "target can't include this connection in the session ({code})"
        )),
        (2, 9) => Error::target(format!(
            "session type not supported by the target ({code})"
        )),
        (2, 0x0a) => Error::target(format!(
            "session does not exist: the target does not know our TSIH ({code})"
        )),
        (2, 0x0b) => Error::target(format!(
            "target reports a request invalid during login ({code})"
        )),
        (2, 0) if chap_step == Some(ChapStep::Response) => Error::auth(format!(
            "target rejected our CHAP response ({code}){}",
            if chap_algorithm == Some(ChapAlgorithm::Sha256) {
                "; a target that misnumbers SHA-1 as CHAP_A=7 such as tgtd fails like this: try --chap-algs MD5"
            } else {
                ""
            }
        )),
        (2, 0) if chap_step == Some(ChapStep::Algorithms) => Error::auth(format!(
            "target refused our CHAP_A={} offer: it supports none of these algorithms or does not know the user ({code})",
            chap_offer.as_deref().unwrap_or("")
        )),
        (2, 0) if ctx.target.is_some() => Error::target(format!(
            "target rejected the login: initiator error ({code}); some targets (NetBSD's) answer so for a target name they do not know: check {target}"
        )),
        (2, _) => Error::target(format!(
            "target rejected the login: initiator error ({code})"
        )),
        (3, 0) => Error::target(format!("target error ({code})")),
        (3, 1) => Error::target(format!(
            "service unavailable: the target cannot serve the login now ({code})"
        )),
        (3, 2) => Error::target(format!("target out of resources ({code})")),
        (3, _) => Error::target(format!("target error ({code})")),
        _ => Error::target(format!("login failed with unknown status ({code})")),
    }
}

/// What [`status_error`] needs to know about the login so far.
#[derive(Clone, Debug, Default)]
pub struct StatusContext<'a> {
    target: Option<&'a str>,
    /// The CHAP exchange, when CHAP is configured.
    chap: Option<&'a ChapInitiator>,
}

/// One connection's login: the PDU exchange and the state both stages share.
struct Conn<'a, T: Transport> {
    t: &'a mut T,
    s: &'a LoginSettings,
    exp_stat_sn: Sn,
    first_response: bool,
    /// The CHAP exchange (the security stage drives it; status messages
    /// read it).
    chap: Option<ChapInitiator>,
}

impl<'a, T: Transport> Conn<'a, T> {
    fn new(t: &'a mut T, s: &'a LoginSettings, chap: Option<ChapInitiator>) -> Self {
        Conn {
            t,
            s,
            exp_stat_sn: Sn(s.initial_exp_stat_sn),
            first_response: true,
            chap,
        }
    }

    fn send_request(
        &mut self,
        csg: Stage,
        nsg: Stage,
        transit: bool,
        cont: bool,
        data: &[u8],
    ) -> Result<()> {
        let req = LoginRequest {
            transit,
            continue_: cont,
            csg,
            nsg: if transit {
                nsg
            } else {
                Stage::SecurityNegotiation
            },
            version_max: 0,
            version_min: 0,
            data_segment_length: data.len() as u32,
            isid: Isid(self.s.isid),
            tsih: self.s.tsih,
            itt: LOGIN_ITT,
            cid: self.s.cid,
            cmd_sn: Sn(self.s.initial_cmd_sn),
            exp_stat_sn: self.exp_stat_sn,
        };
        trace(|| {
            format!(
                "-> Login Request CSG={} NSG={} T={} C={} {}",
                csg as u8,
                nsg as u8,
                transit as u8,
                cont as u8,
                show_text(data)
            )
        });
        self.t.send(&Pdu::LoginRequest(req), data)
    }

    /// Receive one Login Response and check its header.
    fn recv_response(&mut self) -> Result<(LoginResponse, Vec<u8>)> {
        let pdu = self.t.recv()?;
        let rsp = match Pdu::decode(&pdu.bhs) {
            Ok(Pdu::LoginResponse(r)) => r,
            Ok(Pdu::Reject(r)) => {
                return Err(Error::protocol(format!(
                    "target rejected our Login Request (Reject reason {:?})",
                    r.reason
                )))
            }
            Ok(other) => {
                return Err(Error::protocol(format!(
                    "unexpected {:?} PDU during login",
                    other.opcode()
                )))
            }
            Err(e) => return Err(Error::protocol(format!("bad Login Response: {e}"))),
        };
        trace(|| {
            format!(
                "<- Login Response CSG={} NSG={} T={} C={} status=0x{:02x}{:02x} StatSN={} TSIH={} {}",
                rsp.csg as u8,
                rsp.nsg as u8,
                rsp.transit as u8,
                rsp.continue_ as u8,
                rsp.status_class,
                rsp.status_detail,
                rsp.stat_sn.get(),
                rsp.tsih,
                show_text(&pdu.data)
            )
        });
        if rsp.itt != LOGIN_ITT {
            return Err(Error::protocol(format!(
                "Login Response carries ITT 0x{:08x}, we sent 0x{LOGIN_ITT:08x}",
                rsp.itt
            )));
        }
        if rsp.status_class == 0 {
            if rsp.version_active != 0 {
                return Err(Error::protocol(format!(
                    "target chose iSCSI version {}, we only speak version 0",
                    rsp.version_active
                )));
            }
            if rsp.isid.0 != self.s.isid {
                return Err(Error::protocol("Login Response carries another ISID"));
            }
        }
        if rsp.status_class != 0 {
            // Failed responses need not carry a valid StatSN (tgtd sends 0).
            return Ok((rsp, pdu.data));
        }
        // StatSN during login is not checked: nothing is at stake before the
        // full-feature phase, and some targets (NetBSD's) copy our
        // ExpStatSN until the final response. As open-iscsi and libiscsi
        // do, the last response's StatSN is the base for ExpStatSN.
        if !self.first_response && rsp.stat_sn.lt(self.exp_stat_sn.sub(1)) {
            trace(|| {
                format!(
                    "target quirk: Login Response StatSN {} went backwards (expected {}); taking it as the base for ExpStatSN",
                    rsp.stat_sn.get(),
                    self.exp_stat_sn.get()
                )
            });
        }
        self.first_response = false;
        self.exp_stat_sn = rsp.stat_sn.next();
        Ok((rsp, pdu.data))
    }

    fn check_status(&self, rsp: &LoginResponse, data: &[u8]) -> Result<Option<Attempt>> {
        match rsp.status_class {
            0 => Ok(None),
            1 => {
                let pairs = parse_pairs(data).map_err(Error::protocol)?;
                let addr = pairs
                    .iter()
                    .find(|(k, _)| k == "TargetAddress")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        Error::protocol(format!(
                            "redirection (status 0x01{:02x}) without a TargetAddress",
                            rsp.status_detail
                        ))
                    })?;
                let (portal, tpgt) = parse_target_address(&addr).map_err(Error::protocol)?;
                Ok(Some(Attempt::Redirect {
                    portal,
                    tpgt,
                    permanent: rsp.status_detail == 2,
                }))
            }
            c => Err(status_error(
                c,
                rsp.status_detail,
                &StatusContext {
                    target: self.s.target_name.as_deref(),
                    chap: self.chap.as_ref(),
                },
            )),
        }
    }

    /// Send `keys` in stage `csg` (several PDUs if needed) and return the
    /// target's complete answer.
    fn exchange(
        &mut self,
        csg: Stage,
        nsg: Stage,
        transit: bool,
        keys: &[(String, String)],
    ) -> Result<Flow> {
        let text = serialize_pairs(keys).map_err(Error::other)?;
        let segments: Vec<(&[u8], bool)> =
            TextSegments::new(&text, LOGIN_MAX_SEGMENT as usize).collect();
        for (seg, cont) in segments {
            self.send_request(csg, nsg, transit && !cont, cont, seg)?;
            if cont {
                // The target acknowledges each partial request with an
                // empty response (§11.12.2).
                let (rsp, data) = self.recv_response()?;
                if let Some(a) = self.check_status(&rsp, &data)? {
                    return Ok(Flow::Redirect(a));
                }
                if rsp.transit || rsp.continue_ || !data.is_empty() {
                    return Err(Error::protocol(
                        "target did not answer a partial Login Request with an empty response",
                    ));
                }
            }
        }
        let mut buf = vec![0u8; MAX_LOGIN_TEXT];
        let mut asm = TextAssembler::new(&mut buf);
        loop {
            let (rsp, data) = self.recv_response()?;
            if let Some(a) = self.check_status(&rsp, &data)? {
                return Ok(Flow::Redirect(a));
            }
            if rsp.csg != csg {
                return Err(Error::protocol(format!(
                    "Login Response is for stage {}, we are in stage {}",
                    rsp.csg as u8, csg as u8
                )));
            }
            if rsp.transit && !transit {
                return Err(Error::protocol(
                    "target set the T bit although we did not ask to change stage",
                ));
            }
            if rsp.transit && rsp.nsg != nsg {
                return Err(Error::protocol(format!(
                    "target moved to stage {} but we asked for stage {}",
                    rsp.nsg as u8, nsg as u8
                )));
            }
            match asm.push(&data, rsp.continue_) {
                Ok(Assembly::Complete) => {
                    let pairs = parse_pairs(asm.data()).map_err(Error::protocol)?;
                    return Ok(Flow::Response(rsp, pairs));
                }
                Ok(Assembly::Incomplete) => {
                    // Fetch the rest with an empty request (§6.1).
                    self.send_request(csg, nsg, false, false, &[])?;
                }
                Err(e) => {
                    return Err(Error::protocol(format!(
                        "Login Response text too long ({e}, limit {MAX_LOGIN_TEXT} bytes)"
                    )))
                }
            }
        }
    }
}

fn show_text(data: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(data)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with("CHAP_R=") || p.starts_with("CHAP_C=") {
                let (k, _) = p.split_once('=').unwrap_or((p, ""));
                format!("{k}=...")
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if s.is_empty() {
        "(no text)".into()
    } else {
        s
    }
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A negotiation failure of either stage, as a login error.
fn negotiation_failed(e: crate::negotiate::NegError) -> Error {
    Error::target(format!("login negotiation failed: {e}"))
}

/// Count one request/response exchange of a stage, failing after
/// [`MAX_EXCHANGES_PER_STAGE`].
fn next_round(rounds: &mut usize, stage: &str) -> Result<()> {
    *rounds += 1;
    if *rounds > MAX_EXCHANGES_PER_STAGE {
        return Err(Error::protocol(format!(
            "{stage} negotiation did not finish after {MAX_EXCHANGES_PER_STAGE} exchanges"
        )));
    }
    Ok(())
}

/// One login on a connected transport: [`security_stage`] (with
/// [`login_chap`]), [`operational_stage`], then the checks of the final
/// response. `challenges` holds the CHAP challenges we sent on earlier
/// connections (reflection check) and gets the new one.
pub fn login_once<T: Transport>(
    t: &mut T,
    s: &LoginSettings,
    challenges: &mut Vec<Vec<u8>>,
) -> Result<Attempt> {
    let chap = s
        .chap
        .clone()
        .map(|cfg| ChapInitiator::new(cfg, challenges.clone()));
    let mut c = Conn::new(t, s, chap);
    let mut neg = match &s.session {
        Some(sess) => Negotiation::continuing(s.offer.clone(), sess.clone()),
        None => Negotiation::new(s.session_type, s.offer.clone()),
    };
    if let Some(redirect) = security_stage(&mut c, &mut neg, challenges)? {
        return Ok(redirect);
    }
    let final_rsp = match operational_stage(&mut c, &mut neg)? {
        Flow::Response(rsp, _) => rsp,
        Flow::Redirect(a) => return Ok(a),
    };
    logged_in(&c, &neg, &final_rsp).map(|li| Attempt::LoggedIn(Box::new(li)))
}

/// The keys of our first Login Request (RFC 7143 §6.3.1).
fn security_keys(s: &LoginSettings, chap: bool) -> Vec<(String, String)> {
    let mut keys = vec![("InitiatorName".to_string(), s.initiator_name.clone())];
    if let Some(a) = &s.initiator_alias {
        keys.push(("InitiatorAlias".into(), a.clone()));
    }
    keys.push(("SessionType".into(), s.session_type.as_str().into()));
    if let Some(tn) = &s.target_name {
        keys.push(("TargetName".into(), tn.clone()));
    }
    keys.push((
        "AuthMethod".into(),
        if chap { "CHAP" } else { "None" }.into(),
    ));
    keys
}

/// SecurityNegotiation (CSG 0): our identity and `AuthMethod`, then the
/// CHAP exchange ([`login_chap`]), until the target moves to the
/// operational stage. `Some` when the target redirected us.
fn security_stage<T: Transport>(
    c: &mut Conn<'_, T>,
    neg: &mut Negotiation,
    challenges: &mut Vec<Vec<u8>>,
) -> Result<Option<Attempt>> {
    let mut keys = security_keys(c.s, c.chap.is_some());
    // Without CHAP our part is done with the first request.
    let mut transit = c.chap.is_none();
    let mut auth_none_checked = false;
    let mut rounds = 0;
    loop {
        next_round(&mut rounds, "security")?;
        let (rsp, pairs) = match c
            .exchange(
                Stage::SecurityNegotiation,
                Stage::LoginOperationalNegotiation,
                transit,
                &keys,
            )
            .map_err(|e| security_failure(!c.first_response, c.chap.as_ref(), e))?
        {
            Flow::Response(r, p) => (r, p),
            Flow::Redirect(a) => return Ok(Some(a)),
        };
        // Declaratives (TargetPortalGroupTag, TargetAlias) may come now.
        let others: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "AuthMethod" && !k.starts_with("CHAP_"))
            .cloned()
            .collect();
        keys = neg
            .on_target_keys(Stage::SecurityNegotiation, &others)
            .map_err(negotiation_failed)?;
        transit = match c.chap.as_mut() {
            Some(ch) => login_chap(ch, &rsp, &pairs, &mut keys, challenges)?,
            None => {
                if !auth_none_checked {
                    check_auth_none(get(&pairs, "AuthMethod"))?;
                    auth_none_checked = true;
                }
                true
            }
        };
        if rsp.transit {
            let done = c.chap.as_ref().is_none_or(|ch| ch.step() == ChapStep::Done);
            if !done {
                return Err(Error::protocol("target ended the security stage too early"));
            }
            return Ok(None);
        }
    }
}

/// A failure of the security stage's exchange. The connection closing (or
/// any network error) once the target has `answered` our first request is
/// an authentication interop problem, not a network one (exit 5): a target
/// drops the connection when it dislikes what we offered. When that came
/// right after our CHAP_A offer of several algorithms, `login` retries once
/// with MD5 alone.
fn security_failure(answered: bool, chap: Option<&ChapInitiator>, e: Error) -> Error {
    if e.kind != Kind::Network || !answered {
        return e;
    }
    let Some(ch) = chap else {
        return Error::new(
            Kind::Auth,
            format!(
                "authentication interop problem: the target ended the connection during the security stage ({e}); it may require CHAP: configure a CHAP user and secret"
            ),
        );
    };
    let offer = ch.algorithms_offer();
    match ch.step() {
        ChapStep::Algorithms if ch.offers_several() => {
            let mut e = Error::new(
                Kind::Auth,
                format!(
                    "authentication interop problem: the target ended the connection after our CHAP_A={offer} offer ({e}); a target that cannot choose from a list of algorithms does this: try --chap-algs MD5"
                ),
            );
            e.chap_md5_retry = true;
            e
        }
        ChapStep::Algorithms => Error::new(
            Kind::Auth,
            format!(
                "authentication interop problem: the target ended the connection after our CHAP_A={offer} offer ({e}); it may not support that algorithm or know the user"
            ),
        ),
        _ => Error::new(
            Kind::Auth,
            format!(
                "authentication interop problem: the target ended the connection during CHAP ({e}); check the CHAP user and secret, or try --chap-algs MD5"
            ),
        ),
    }
}

/// The target's answer to our `AuthMethod=None`.
fn check_auth_none(answer: Option<&str>) -> Result<()> {
    match answer {
        None | Some("None") => Ok(()),
        Some(v) if v == "Reject" || v == "NotUnderstood" || v == "Irrelevant" => {
            Err(Error::auth(format!(
                "the target requires authentication (it answered AuthMethod={v} to None); configure a CHAP user and secret"
            )))
        }
        Some(v) => Err(Error::auth(format!(
            "the target requires authentication (AuthMethod={v}); configure a CHAP user and secret"
        ))),
    }
}

/// One step of the CHAP exchange (RFC 7143 §12.1.3) on the target's
/// response `rsp`/`pairs`: adds what to send next to `keys`. Returns whether
/// the next request sets T=1 (the stage ends once the exchange is
/// [`ChapStep::Done`] and the target agrees).
fn login_chap(
    ch: &mut ChapInitiator,
    rsp: &LoginResponse,
    pairs: &[(String, String)],
    keys: &mut Vec<(String, String)>,
    challenges: &mut Vec<Vec<u8>>,
) -> Result<bool> {
    match ch.step() {
        ChapStep::AuthMethod => match get(pairs, "AuthMethod") {
            Some("CHAP") => {
                if rsp.transit {
                    return Err(Error::protocol(
                        "target ended the security stage before CHAP",
                    ));
                }
                keys.push(ch.algorithms_key());
                Ok(false)
            }
            Some(v) => Err(Error::auth(format!(
                "target does not accept CHAP (it answered AuthMethod={v})"
            ))),
            None => Err(Error::protocol("target did not answer AuthMethod=CHAP")),
        },
        ChapStep::Algorithms => {
            let out = ch.on_challenge(
                get(pairs, "CHAP_A"),
                get(pairs, "CHAP_I"),
                get(pairs, "CHAP_C"),
            )?;
            if let Some(ours) = ch.our_challenge() {
                challenges.push(ours.to_vec());
            }
            keys.extend(out);
            Ok(true)
        }
        ChapStep::Response => {
            ch.on_result(get(pairs, "CHAP_N"), get(pairs, "CHAP_R"))?;
            if ch.mutual() {
                trace(|| "target authenticated (mutual CHAP)".into());
            }
            Ok(true)
        }
        ChapStep::Done => Ok(true),
    }
}

/// LoginOperationalNegotiation (CSG 1): our offers and answers to the
/// target's, T=1/NSG=3 until the target agrees. Returns the final response.
fn operational_stage<T: Transport>(c: &mut Conn<'_, T>, neg: &mut Negotiation) -> Result<Flow> {
    let mut keys = neg.initial_offers();
    let mut rounds = 0;
    loop {
        next_round(&mut rounds, "operational")?;
        let (rsp, pairs) = match c.exchange(
            Stage::LoginOperationalNegotiation,
            Stage::FullFeaturePhase,
            true,
            &keys,
        )? {
            Flow::Response(r, p) => (r, p),
            redirect => return Ok(redirect),
        };
        let answers = neg
            .on_target_keys(Stage::LoginOperationalNegotiation, &pairs)
            .map_err(negotiation_failed)?;
        if rsp.transit {
            // The target ended the login: any offer it made in this last
            // response must already be what we would answer.
            for (k, a) in &answers {
                if get(&pairs, k) != Some(a.as_str()) {
                    return Err(Error::protocol(format!(
                        "target ended the login without waiting for our answer {k}={a}"
                    )));
                }
            }
            return Ok(Flow::Response(rsp, pairs));
        }
        keys = answers;
    }
}

/// The login result from the final Login Response.
fn logged_in<T: Transport>(
    c: &Conn<'_, T>,
    neg: &Negotiation,
    final_rsp: &LoginResponse,
) -> Result<LoggedIn> {
    let s = c.s;
    let negotiated = neg.finish().map_err(negotiation_failed)?;
    if final_rsp.tsih == 0 {
        return Err(Error::protocol("final Login Response has TSIH 0"));
    }
    if s.tsih != 0 && final_rsp.tsih != s.tsih {
        return Err(Error::protocol(format!(
            "target changed the TSIH from {} to {}",
            s.tsih, final_rsp.tsih
        )));
    }
    let mut cmd_sn = s.initial_cmd_sn;
    if final_rsp.exp_cmd_sn.get() != cmd_sn {
        warn(&format!(
            "target expects CmdSN {} after login, we used {cmd_sn}; following the target",
            final_rsp.exp_cmd_sn.get()
        ));
        cmd_sn = final_rsp.exp_cmd_sn.get();
    }
    Ok(LoggedIn {
        negotiated,
        isid: s.isid,
        tsih: final_rsp.tsih,
        cid: s.cid,
        cmd_sn,
        exp_cmd_sn: final_rsp.exp_cmd_sn.get(),
        max_cmd_sn: final_rsp.max_cmd_sn.get(),
        exp_stat_sn: c.exp_stat_sn.get(),
        chap_algorithm: c.chap.as_ref().and_then(|c| c.algorithm()),
        mutual_chap: c.chap.as_ref().is_some_and(|c| c.mutual()),
        portal: None,
        redirects: Vec::new(),
    })
}

/// Log in, following redirections: `connect` opens a transport to a portal
/// (the real one is [`crate::transport::TcpTransport::connect`]). Returns
/// the logged-in transport and the login result, its `portal` set to where
/// the login completed.
pub fn login<T: Transport>(
    mut connect: impl FnMut(&Portal) -> Result<T>,
    portal: &Portal,
    s: &LoginSettings,
    max_redirects: u32,
) -> Result<(T, LoggedIn)> {
    let mut current = portal.clone();
    let mut redirects = Vec::new();
    let mut challenges = Vec::new();
    let mut md5_only: Option<LoginSettings> = None;
    loop {
        let mut t = connect(&current)?;
        let settings = md5_only.as_ref().unwrap_or(s);
        let attempt = match login_once(&mut t, settings, &mut challenges) {
            Err(e) if e.chap_md5_retry && md5_only.is_none() => {
                if let Some(md5) = md5_fallback(s) {
                    warn(&format!(
                        "{current}: {e}; retrying once with CHAP_A=5 (MD5) alone"
                    ));
                    md5_only = Some(md5);
                    drop(t);
                    continue;
                }
                Err(e)
            }
            r => r,
        };
        match attempt.map_err(|e| {
            if redirects.is_empty() {
                e
            } else {
                e.context(format!("after redirection to {current}"))
            }
        })? {
            Attempt::LoggedIn(mut li) => {
                li.portal = Some(current);
                li.redirects = redirects;
                return Ok((t, *li));
            }
            Attempt::Redirect {
                portal: to,
                permanent,
                ..
            } => {
                drop(t);
                if redirects.len() as u32 >= max_redirects {
                    return Err(Error::target(format!(
                        "too many login redirections (more than {max_redirects}); last one to {to}"
                    )));
                }
                if permanent {
                    warn(&format!(
                        "target moved permanently from {current} to {to}: update the portal"
                    ));
                } else {
                    trace(|| format!("redirected from {current} to {to}"));
                }
                redirects.push(to.to_string());
                current = to;
            }
        }
    }
}

/// `s` with MD5 as the only CHAP algorithm offered, when CHAP is
/// configured with MD5 among several algorithms (never an algorithm the
/// user did not allow). Mutual CHAP and every other check are unchanged.
fn md5_fallback(s: &LoginSettings) -> Option<LoginSettings> {
    let chap = s.chap.as_ref()?;
    if chap.algorithms.len() < 2 || !chap.algorithms.contains(&ChapAlgorithm::Md5) {
        return None;
    }
    let mut md5 = s.clone();
    if let Some(c) = md5.chap.as_mut() {
        c.algorithms = vec![ChapAlgorithm::Md5];
    }
    Some(md5)
}

#[cfg(test)]
pub(crate) mod tests;
