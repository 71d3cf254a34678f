//! The subcommands: merging of settings, the work, and the output (text or
//! JSON).

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use iscsi_init_abi as abi;
use serde_json::{json, Map, Value};

use crate::cli::{Cli, Command, DiscoverArgs, ListArgs, LoginArgs, LogoutArgs, ParamArgs};
use crate::config::{build_offer, AuthSettings, Config, Defaults, TargetRecord};
use crate::diag::{trace, warn};
use crate::error::{Error, Result};
use crate::identity::{self, check_name, derive_isid, format_isid, parse_isid};
use crate::kernel::{get_str, put_str, Device};
use crate::login::{login, LoggedIn, LoginSettings, DEFAULT_MAX_REDIRECTS};
use crate::negotiate::{Digest, Negotiated, SessionType};
use crate::portal::{Portal, DEFAULT_PORT};
use crate::session::{DiscoveredTarget, Session};
use crate::sysfs::{self, ScsiDevice};
use crate::transport::TcpTransport;

/// What a command prints: JSON for `--json`, text otherwise.
#[derive(Debug)]
pub struct Output {
    /// The `--json` document.
    pub json: Value,
    /// The human-readable text (ends with a newline, or is empty).
    pub text: String,
}

/// Default TCP connect timeout, seconds.
pub const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
/// Default timeout for each response, seconds.
pub const DEFAULT_RESPONSE_TIMEOUT: u64 = 15;
/// Default wait for block devices after login, seconds.
pub const DEFAULT_SCAN_TIMEOUT: u64 = 15;

/// Run the command line.
pub fn run(cli: Cli) -> Result<Output> {
    crate::diag::set_verbose(cli.verbose);
    let config_path = cli.config.clone();
    let mut config = Config::load(config_path.as_deref())?;
    match &cli.command {
        Command::Discover(a) => discover(&cli, &mut config, a),
        Command::Login(a) => login_cmd(&cli, &mut config, a),
        Command::Logout(a) => logout_cmd(&config, a),
        Command::List(a) => list_cmd(a),
    }
}

fn initiator(cli: &Cli, config: &mut Config) -> Result<String> {
    let (name, src) = identity::initiator_name(
        cli.initiator_name.as_deref(),
        Path::new(identity::OPEN_ISCSI_NAME_FILE),
        config,
    )?;
    if src == identity::NameSource::Generated {
        warn(&format!(
            "generated initiator name {name} and stored it in {}",
            config.path.display()
        ));
    }
    trace(|| format!("initiator name {name} (from {src:?})"));
    Ok(name)
}

fn cli_params(p: &ParamArgs) -> Result<Vec<(String, String)>> {
    let mut v = Vec::new();
    if let Some(h) = &p.header_digest {
        v.push(("HeaderDigest".to_string(), h.clone()));
    }
    if let Some(d) = &p.data_digest {
        v.push(("DataDigest".to_string(), d.clone()));
    }
    for kv in &p.params {
        let (k, val) = kv
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--param {kv:?}: expected KEY=VALUE")))?;
        v.push((k.trim().to_string(), val.trim().to_string()));
    }
    Ok(v)
}

struct Timing {
    connect: Duration,
    response: Duration,
    max_redirects: u32,
}

fn timing(d: &Defaults, p: &ParamArgs) -> Result<Timing> {
    let connect = p
        .connect_timeout
        .or(d.connect_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let response = p
        .timeout
        .or(d.response_timeout)
        .unwrap_or(DEFAULT_RESPONSE_TIMEOUT);
    if connect == 0 || response == 0 {
        return Err(Error::usage("timeouts must be at least 1 second"));
    }
    Ok(Timing {
        connect: Duration::from_secs(connect),
        response: Duration::from_secs(response),
        max_redirects: p
            .max_redirects
            .or(d.max_redirects)
            .unwrap_or(DEFAULT_MAX_REDIRECTS),
    })
}

fn connect_fn(t: &Timing) -> impl FnMut(&Portal) -> Result<TcpTransport> + '_ {
    move |p: &Portal| TcpTransport::connect(p, t.connect, t.response)
}

fn parse_portal(s: &str, d: &Defaults) -> Result<Portal> {
    Portal::parse(s, d.port.unwrap_or(DEFAULT_PORT)).map_err(Error::usage)
}

// ---------------------------------------------------------------- discover

fn discover(cli: &Cli, config: &mut Config, a: &DiscoverArgs) -> Result<Output> {
    let initiator_name = initiator(cli, config)?;
    let f = &config.file;
    let portal_s = a
        .portal
        .clone()
        .or_else(|| f.discovery.portal.clone())
        .ok_or_else(|| {
            Error::usage(
                "discover needs -p PORTAL (or a portal in the [discovery] section of the config)",
            )
        })?;
    let portal = parse_portal(&portal_s, &f.defaults)?;
    let mut auth = f.discovery.auth.clone().unwrap_or_default();
    auth.merge(&a.auth.settings());
    let chap = auth.resolve()?;
    let offer = build_offer(
        &[f.defaults.params.as_ref(), f.discovery.params.as_ref()],
        &cli_params(&a.params)?,
    )?;
    let timing = timing(&f.defaults, &a.params)?;
    let settings = LoginSettings {
        isid: derive_isid(&initiator_name, ""),
        initiator_name,
        initiator_alias: f.initiator_alias.clone(),
        target_name: None,
        session_type: SessionType::Discovery,
        tsih: 0,
        cid: 0,
        initial_cmd_sn: 1,
        initial_exp_stat_sn: 0,
        session: None,
        offer,
        chap,
    };
    let (t, li) = login(
        connect_fn(&timing),
        &portal,
        &settings,
        timing.max_redirects,
    )?;
    let mut s = Session::new(t, &li);
    let targets = s.send_targets("All")?;
    if let Err(e) = s.logout() {
        warn(&format!("discovery logout: {e}"));
    }
    let from = li.portal.clone().unwrap_or(portal);
    Ok(discover_output(&from, &targets, &li))
}

fn discover_output(portal: &Portal, targets: &[DiscoveredTarget], li: &LoggedIn) -> Output {
    let mut text = String::new();
    if targets.is_empty() {
        text.push_str(&format!("no targets at {portal}\n"));
    }
    for t in targets {
        match &t.alias {
            Some(a) => text.push_str(&format!("{} ({a})\n", t.name)),
            None => text.push_str(&format!("{}\n", t.name)),
        }
        for p in &t.portals {
            match p.tpgt {
                Some(tag) => text.push_str(&format!("    {},{tag}\n", p.address)),
                None => text.push_str(&format!("    {}\n", p.address)),
            }
        }
    }
    Output {
        json: json!({
            "portal": portal.to_string(),
            "targets": targets,
            "authentication": auth_json(li),
        }),
        text,
    }
}

fn auth_json(li: &LoggedIn) -> Value {
    match li.chap_algorithm {
        None => json!({"method": "None"}),
        Some(a) => json!({"method": "CHAP", "algorithm": a.name(), "mutual": li.mutual_chap}),
    }
}

fn auth_text(li: &LoggedIn) -> String {
    match li.chap_algorithm {
        None => "none".into(),
        Some(a) if li.mutual_chap => format!("mutual CHAP ({a})"),
        Some(a) => format!("CHAP ({a})"),
    }
}

// ------------------------------------------------------------------- login

struct Resolved<'a> {
    record_name: Option<String>,
    record: Option<&'a TargetRecord>,
    target: String,
    portal: Portal,
}

fn resolve_target<'a>(
    config: &'a Config,
    name: Option<&str>,
    target: Option<&str>,
    portal: Option<&str>,
) -> Result<Resolved<'a>> {
    let d = &config.file.defaults;
    let cli_portal = portal.map(|p| parse_portal(p, d)).transpose()?;
    let (record_name, record) = match (name, target) {
        (Some(n), _) => {
            let r = config.target(n).ok_or_else(|| {
                Error::not_found(format!(
                    "no target record {n:?} in {}",
                    config.path.display()
                ))
            })?;
            (Some(n.to_string()), Some(r))
        }
        (None, Some(iqn)) => {
            let found = config.find_by_iqn(iqn, cli_portal.as_ref());
            if found.len() == 1 {
                (Some(found[0].0.clone()), Some(found[0].1))
            } else {
                (None, None)
            }
        }
        (None, None) => {
            return Err(Error::usage(
                "login needs -T IQN -p PORTAL or the NAME of a target record",
            ))
        }
    };
    let target = target
        .map(str::to_string)
        .or_else(|| record.map(|r| r.iqn.clone()))
        .expect("name or target given");
    check_name(&target).map_err(|e| Error::usage(format!("target name: {e}")))?;
    let portal = match (cli_portal, record.and_then(|r| r.portal.as_deref())) {
        (Some(p), _) => p,
        (None, Some(p)) => Portal::parse(p, d.port.unwrap_or(DEFAULT_PORT)).map_err(|e| {
            Error::config(format!(
                "target record {:?}: {e}",
                record_name.as_deref().unwrap_or("")
            ))
        })?,
        (None, None) => {
            return Err(Error::usage(format!(
                "no portal for {target}: give -p PORTAL or set portal in its target record"
            )))
        }
    };
    Ok(Resolved {
        record_name,
        record,
        target,
        portal,
    })
}

fn login_cmd(cli: &Cli, config: &mut Config, a: &LoginArgs) -> Result<Output> {
    let initiator_name = initiator(cli, config)?;
    let config = &*config;
    let r = resolve_target(
        config,
        a.name.as_deref(),
        a.target.as_deref(),
        a.portal.as_deref(),
    )?;
    let f = &config.file;
    let rec = r.record;
    let mut auth: AuthSettings = f.defaults.auth.clone().unwrap_or_default();
    if let Some(ra) = rec.and_then(|r| r.auth.as_ref()) {
        auth.merge(ra);
    }
    auth.merge(&a.auth.settings());
    let chap = auth.resolve()?;
    let offer = build_offer(
        &[
            f.defaults.params.as_ref(),
            rec.and_then(|r| r.params.as_ref()),
        ],
        &cli_params(&a.params)?,
    )?;
    let timing = timing(&f.defaults, &a.params)?;
    let isid = match (&a.isid, rec.and_then(|r| r.isid.as_deref())) {
        (Some(s), _) => parse_isid(s).map_err(Error::usage)?,
        (None, Some(s)) => parse_isid(s).map_err(|e| {
            Error::config(format!(
                "target record {:?}: {e}",
                r.record_name.as_deref().unwrap_or("")
            ))
        })?,
        (None, None) => derive_isid(&initiator_name, &r.target),
    };
    trace(|| {
        format!(
            "target {} at {} (record {:?}), ISID {}",
            r.target,
            r.portal,
            r.record_name,
            format_isid(&isid)
        )
    });
    let settings = LoginSettings {
        initiator_name: initiator_name.clone(),
        initiator_alias: f.initiator_alias.clone(),
        target_name: Some(r.target.clone()),
        session_type: SessionType::Normal,
        isid,
        tsih: 0,
        cid: 0,
        initial_cmd_sn: 1,
        initial_exp_stat_sn: 0,
        session: None,
        offer,
        chap,
    };

    if a.check {
        let (t, li) = login(
            connect_fn(&timing),
            &r.portal,
            &settings,
            timing.max_redirects,
        )?;
        let mut s = Session::new(t, &li);
        s.logout()?;
        return Ok(check_output(&r.target, &li));
    }

    // Fail before touching the network if the module is missing.
    let dev = Device::open()?;
    let mut failed: Option<abi::SessionInfo> = None;
    for si in dev.session_list()? {
        if get_str(&si.target_name) == r.target && si.isid == isid {
            if si.state == abi::STATE_FAILED {
                failed = Some(si);
            } else {
                return Err(Error::other(format!(
                    "already logged in to {} (session {}); log out first",
                    r.target, si.session_id
                )));
            }
        }
    }
    let recover = failed.as_ref().map(|si| si.session_id);
    let (t, li) = match &failed {
        // A failed session gets a new connection: a non-leading login with
        // its TSIH, CID and sequence numbers, keeping its session-wide
        // parameters (Documentation/ioctl-abi.rst, IOC_CONN_BIND).
        Some(si) => {
            let cont = LoginSettings {
                tsih: si.tsih,
                cid: si.cid,
                initial_cmd_sn: si.cmd_sn,
                initial_exp_stat_sn: si.exp_stat_sn,
                session: Some(from_abi(&si.params, si.tpgt, &get_str(&si.target_alias))),
                ..settings.clone()
            };
            trace(|| {
                format!(
                    "reconnecting failed session {} (TSIH 0x{:04x})",
                    si.session_id, si.tsih
                )
            });
            login(connect_fn(&timing), &r.portal, &cont, timing.max_redirects).map_err(|e| {
                if e.login_status == Some(0x020a) {
                    Error::target(format!(
                        "the target no longer knows session {} (status 0x020a): remove it with 'iscsi-init logout --session {} --force' and log in again",
                        si.session_id, si.session_id
                    ))
                } else {
                    e
                }
            })?
        }
        None => login(
            connect_fn(&timing),
            &r.portal,
            &settings,
            timing.max_redirects,
        )?,
    };
    let peer = Portal::from_socket_addr(t.peer()).to_string();
    let stream = t.into_stream()?;
    let mut b = abi::ConnBind::new();
    b.fd = stream.as_raw_fd();
    b.session_id = recover.unwrap_or(0);
    b.cid = li.cid;
    b.tsih = li.tsih;
    b.isid = li.isid;
    b.tpgt = match li.negotiated.target_portal_group_tag {
        Some(t) => t,
        None => {
            warn("the target declared no TargetPortalGroupTag; using 0");
            0
        }
    };
    b.cmd_sn = li.cmd_sn;
    b.exp_cmd_sn = li.exp_cmd_sn;
    b.max_cmd_sn = li.max_cmd_sn;
    b.exp_stat_sn = li.exp_stat_sn;
    b.queue_depth = a
        .queue_depth
        .or(rec.and_then(|r| r.queue_depth))
        .or(f.defaults.queue_depth)
        .unwrap_or(0);
    b.cmd_timeout = a
        .cmd_timeout
        .or(rec.and_then(|r| r.cmd_timeout))
        .or(f.defaults.cmd_timeout)
        .unwrap_or(0);
    b.params = to_abi(&li.negotiated);
    put_str(&mut b.target_name, &r.target, "target name")?;
    put_str(&mut b.initiator_name, &initiator_name, "initiator name")?;
    put_str(
        &mut b.target_alias,
        li.negotiated.target_alias.as_deref().unwrap_or(""),
        "target alias",
    )?;
    put_str(&mut b.portal, &peer, "portal")?;
    dev.conn_bind(&mut b)?;
    // The module holds its own reference to the socket now.
    drop(stream);
    let (devices, settled) = if a.no_wait {
        (Vec::new(), true)
    } else {
        let timeout = a
            .scan_timeout
            .or(f.defaults.scan_timeout)
            .unwrap_or(DEFAULT_SCAN_TIMEOUT);
        sysfs::wait_for_devices(
            Path::new(sysfs::SYSFS),
            b.host_no,
            Duration::from_secs(timeout),
            Duration::from_secs(1),
        )
    };
    if !settled {
        warn(&format!(
            "the LUN scan of host{} did not settle in time; devices may still appear",
            b.host_no
        ));
    }
    Ok(login_output(
        &r.target,
        &peer,
        b.session_id,
        b.host_no,
        &li,
        &devices,
        recover.is_some(),
    ))
}

/// The negotiated values in the ABI's form.
pub fn to_abi(n: &Negotiated) -> abi::NegotiatedParams {
    let digest = |d: Digest| match d {
        Digest::None => abi::DIGEST_NONE,
        Digest::Crc32c => abi::DIGEST_CRC32C,
    };
    abi::NegotiatedParams {
        max_recv_data_segment_length: n.max_recv_data_segment_length,
        max_xmit_data_segment_length: n.max_xmit_data_segment_length,
        max_burst_length: n.max_burst_length,
        first_burst_length: n.first_burst_length,
        default_time2wait: n.default_time2wait as u16,
        default_time2retain: n.default_time2retain as u16,
        max_outstanding_r2t: n.max_outstanding_r2t as u16,
        max_connections: n.max_connections.min(u16::MAX as u32) as u16,
        header_digest: digest(n.header_digest),
        data_digest: digest(n.data_digest),
        initial_r2t: n.initial_r2t as u8,
        immediate_data: n.immediate_data as u8,
        data_pdu_in_order: n.data_pdu_in_order as u8,
        data_sequence_in_order: n.data_sequence_in_order as u8,
        error_recovery_level: n.error_recovery_level as u8,
        reserved0: 0,
        reserved: [0; 4],
    }
}

/// The parameters of an existing session, as the negotiation engine keeps
/// them for a non-leading login.
pub fn from_abi(p: &abi::NegotiatedParams, tpgt: u16, alias: &str) -> Negotiated {
    let digest = |v: u8| {
        if v == abi::DIGEST_CRC32C {
            Digest::Crc32c
        } else {
            Digest::None
        }
    };
    Negotiated {
        session_type: SessionType::Normal,
        header_digest: digest(p.header_digest),
        data_digest: digest(p.data_digest),
        max_recv_data_segment_length: p.max_recv_data_segment_length,
        max_xmit_data_segment_length: p.max_xmit_data_segment_length,
        max_burst_length: p.max_burst_length,
        first_burst_length: p.first_burst_length,
        initial_r2t: p.initial_r2t != 0,
        immediate_data: p.immediate_data != 0,
        max_outstanding_r2t: u32::from(p.max_outstanding_r2t),
        max_connections: u32::from(p.max_connections),
        data_pdu_in_order: p.data_pdu_in_order != 0,
        data_sequence_in_order: p.data_sequence_in_order != 0,
        default_time2wait: u32::from(p.default_time2wait),
        default_time2retain: u32::from(p.default_time2retain),
        error_recovery_level: u32::from(p.error_recovery_level),
        target_alias: (!alias.is_empty()).then(|| alias.to_string()),
        target_portal_group_tag: Some(tpgt),
    }
}

/// The ABI's parameters as `(RFC key, JSON value)` pairs.
pub fn abi_params(p: &abi::NegotiatedParams) -> Vec<(&'static str, Value)> {
    let d = |v: u8| {
        if v == abi::DIGEST_CRC32C {
            "CRC32C"
        } else {
            "None"
        }
    };
    let yn = |v: u8| v != 0;
    vec![
        ("HeaderDigest", json!(d(p.header_digest))),
        ("DataDigest", json!(d(p.data_digest))),
        (
            "MaxRecvDataSegmentLength",
            json!(p.max_recv_data_segment_length),
        ),
        (
            "MaxXmitDataSegmentLength",
            json!(p.max_xmit_data_segment_length),
        ),
        ("MaxBurstLength", json!(p.max_burst_length)),
        ("FirstBurstLength", json!(p.first_burst_length)),
        ("InitialR2T", json!(yn(p.initial_r2t))),
        ("ImmediateData", json!(yn(p.immediate_data))),
        ("MaxOutstandingR2T", json!(p.max_outstanding_r2t)),
        ("MaxConnections", json!(p.max_connections)),
        ("DataPDUInOrder", json!(yn(p.data_pdu_in_order))),
        ("DataSequenceInOrder", json!(yn(p.data_sequence_in_order))),
        ("DefaultTime2Wait", json!(p.default_time2wait)),
        ("DefaultTime2Retain", json!(p.default_time2retain)),
        ("ErrorRecoveryLevel", json!(p.error_recovery_level)),
    ]
}

fn check_output(target: &str, li: &LoggedIn) -> Output {
    let n = &li.negotiated;
    let portal = li
        .portal
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let mut text = format!(
        "login to {target} at {portal} succeeded (ISID {}, TSIH 0x{:04x})\n",
        format_isid(&li.isid),
        li.tsih
    );
    for r in &li.redirects {
        text.push_str(&format!("redirected to {r}\n"));
    }
    text.push_str(&format!("authentication: {}\n", auth_text(li)));
    text.push_str("negotiated parameters:\n");
    for (k, v) in n.pairs() {
        text.push_str(&format!("    {k} = {v}\n"));
    }
    text.push_str("logged out\n");
    Output {
        json: json!({
            "target": target,
            "portal": portal,
            "redirects": li.redirects,
            "isid": format_isid(&li.isid),
            "tsih": li.tsih,
            "authentication": auth_json(li),
            "negotiated": n,
            "logged_out": true,
        }),
        text,
    }
}

fn devices_text(devices: &[ScsiDevice]) -> String {
    let mut s = String::new();
    for d in devices {
        let what = format!("{} {}", d.vendor, d.model);
        match &d.block {
            Some(b) => s.push_str(&format!("    lun {}: {b} ({})\n", d.lun, what.trim())),
            None => s.push_str(&format!(
                "    lun {}: no block device (type {}, {})\n",
                d.lun,
                d.device_type.map(|t| t.to_string()).unwrap_or("?".into()),
                what.trim()
            )),
        }
    }
    s
}

fn login_output(
    target: &str,
    portal: &str,
    session_id: u32,
    host_no: u32,
    li: &LoggedIn,
    devices: &[ScsiDevice],
    recovered: bool,
) -> Output {
    let mut text = format!(
        "session {session_id}{}: logged in to {target} at {portal}, SCSI host {host_no}\n",
        if recovered { " (recovered)" } else { "" }
    );
    text.push_str(&devices_text(devices));
    Output {
        json: json!({
            "session_id": session_id,
            "host_no": host_no,
            "recovered": recovered,
            "target": target,
            "portal": portal,
            "isid": format_isid(&li.isid),
            "tsih": li.tsih,
            "authentication": auth_json(li),
            "negotiated": li.negotiated,
            "devices": devices,
        }),
        text,
    }
}

// ------------------------------------------------------------ logout, list

fn state_name(s: u32) -> &'static str {
    match s {
        abi::STATE_LOGGED_IN => "logged_in",
        abi::STATE_FAILED => "failed",
        abi::STATE_LOGGING_OUT => "logging-out",
        _ => "unknown",
    }
}

fn logout_cmd(config: &Config, a: &LogoutArgs) -> Result<Output> {
    let target = match (&a.name, &a.target) {
        (_, Some(t)) => Some(t.clone()),
        (Some(n), None) => Some(
            config
                .target(n)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "no target record {n:?} in {}",
                        config.path.display()
                    ))
                })?
                .iqn
                .clone(),
        ),
        _ => None,
    };
    let dev = Device::open()?;
    let sessions = dev.session_list()?;
    let chosen: Vec<&abi::SessionInfo> = sessions
        .iter()
        .filter(|s| {
            a.all
                || Some(s.session_id) == a.session
                || target.as_deref() == Some(get_str(&s.target_name).as_str())
        })
        .collect();
    if chosen.is_empty() {
        let what = match (&target, a.session) {
            (Some(t), _) => format!("no session to {t}"),
            (None, Some(id)) => format!("no session {id}"),
            _ => "no sessions".to_string(),
        };
        if a.all {
            return Ok(Output {
                json: json!({"logged_out": []}),
                text: format!("{what}\n"),
            });
        }
        return Err(Error::not_found(what));
    }
    let mut text = String::new();
    let mut done = Vec::new();
    let mut first_err: Option<Error> = None;
    for s in chosen {
        let name = get_str(&s.target_name);
        match dev.session_remove(s.session_id, a.force, 0) {
            Ok(()) => {
                text.push_str(&format!("logged out session {} ({name})\n", s.session_id));
                done.push(json!({"session_id": s.session_id, "target": name}));
            }
            Err(e) => {
                warn(&format!("session {}: {e}", s.session_id));
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(Output {
        json: json!({"logged_out": done}),
        text,
    })
}

fn list_cmd(a: &ListArgs) -> Result<Output> {
    let dev = Device::open()?;
    let sessions = dev.session_list()?;
    let mut text = String::new();
    let mut arr = Vec::new();
    if sessions.is_empty() {
        text.push_str("no sessions\n");
    }
    for s in &sessions {
        let devices = sysfs::devices_of_host(Path::new(sysfs::SYSFS), s.host_no);
        let target = get_str(&s.target_name);
        let portal = get_str(&s.portal);
        let alias = get_str(&s.target_alias);
        let params = abi_params(&s.params);
        text.push_str(&format!(
            "session {}  {}  {}{}  {},{}  host {}\n",
            s.session_id,
            state_name(s.state),
            target,
            if alias.is_empty() {
                String::new()
            } else {
                format!(" ({alias})")
            },
            portal,
            s.tpgt,
            s.host_no
        ));
        text.push_str(&format!(
            "    ISID {} TSIH 0x{:04x} CmdSN {} ExpCmdSN {} MaxCmdSN {} ExpStatSN {} queue depth {}\n",
            format_isid(&s.isid),
            s.tsih,
            s.cmd_sn,
            s.exp_cmd_sn,
            s.max_cmd_sn,
            s.exp_stat_sn,
            s.queue_depth
        ));
        let line: Vec<String> = params
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str().map(str::to_string).unwrap_or(v.to_string())
                )
            })
            .collect();
        text.push_str(&format!("    {}\n", line.join(" ")));
        text.push_str(&devices_text(&devices));
        let mut pm = Map::new();
        for (k, v) in params {
            pm.insert(k.to_string(), v);
        }
        let mut o = json!({
            "session_id": s.session_id,
            "state": state_name(s.state),
            "target": target,
            "target_alias": alias,
            "initiator": get_str(&s.initiator_name),
            "portal": portal,
            "tpgt": s.tpgt,
            "host_no": s.host_no,
            "isid": format_isid(&s.isid),
            "tsih": s.tsih,
            "cid": s.cid,
            "cmd_sn": s.cmd_sn,
            "exp_cmd_sn": s.exp_cmd_sn,
            "max_cmd_sn": s.max_cmd_sn,
            "exp_stat_sn": s.exp_stat_sn,
            "queue_depth": s.queue_depth,
            "negotiated": Value::Object(pm),
            "devices": devices,
        });
        if a.stats {
            let st = dev.session_stats(s.session_id)?;
            text.push_str(&format!(
                "    commands {} responses {} read {} B written {} B PDUs {}/{} digest errors {} protocol errors {} transport errors {} aborts {} connection failures {}\n",
                st.commands, st.responses, st.read_bytes, st.write_bytes, st.pdus_sent,
                st.pdus_received, st.digest_errors, st.protocol_errors, st.transport_errors,
                st.aborts, st.conn_failures
            ));
            o["stats"] = json!({
                "commands": st.commands,
                "responses": st.responses,
                "read_bytes": st.read_bytes,
                "write_bytes": st.write_bytes,
                "pdus_sent": st.pdus_sent,
                "pdus_received": st.pdus_received,
                "digest_errors": st.digest_errors,
                "protocol_errors": st.protocol_errors,
                "transport_errors": st.transport_errors,
                "aborts": st.aborts,
                "conn_failures": st.conn_failures,
            });
        }
        arr.push(o);
    }
    Ok(Output {
        json: json!({"sessions": arr}),
        text,
    })
}

/// The JSON document printed on stdout for an error with `--json`.
pub fn error_json(e: &Error) -> Value {
    json!({"error": {"kind": e.kind, "message": e.message, "exit_code": e.exit_code()}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiate::{Negotiation, Offer};

    #[test]
    fn abi_round_trip() {
        let mut n = Negotiation::new(SessionType::Normal, Offer::default());
        n.initial_offers();
        let r = n.finish().unwrap();
        let p = to_abi(&r);
        assert_eq!(p.max_recv_data_segment_length, 262144);
        assert_eq!(p.max_xmit_data_segment_length, 8192);
        assert_eq!(p.initial_r2t, 1);
        assert_eq!(p.header_digest, abi::DIGEST_NONE);
        let mut again = from_abi(&p, 1, "");
        again.target_portal_group_tag = r.target_portal_group_tag;
        assert_eq!(again, r);
        let back = abi_params(&p);
        assert_eq!(back[0], ("HeaderDigest", json!("None")));
        assert_eq!(back[6], ("InitialR2T", json!(true)));
    }
}
