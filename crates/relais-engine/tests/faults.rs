//! Faults between the engine and a real local operator.
//!
//! 1. A fault-injecting TCP proxy (loopback only) sits between the engine and the operator's
//!    IMAP and submission ports and cuts connections at random points (seeded PRNG): after N
//!    bytes in one direction, or in the middle of a line. The engine syncs and sends in a
//!    loop, retrying its outbox, while a colleague changes the box directly, until the wanted
//!    number of faults was injected. Then, proxy off: the store matches the server (UIDs and
//!    flags of every folder against a raw `UID FETCH 1:* (FLAGS)`), every queued message was
//!    delivered and appended to Sent exactly once. (A message whose submission reply was lost
//!    after DATA is sent again with the same Message-ID; the operator's duplicate filter keeps
//!    one copy, and the test counts those it dropped.)
//!
//!    CI runs the full 1,000 faults (about 100 s on 2 cores); `RELAIS_FAULTS=N` asks for
//!    another number, `RELAIS_FAULTS_SEED` for another seed, `RELAIS_FAULTS_SECS` bounds
//!    the time (default 60 s + 0.3 s per fault):
//!    `RELAIS_FAULTS=10000 cargo test -p relais-engine --test faults -- --nocapture`.
//! 2. Malformed messages delivered to a box, synced and opened through the engine.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, NationalId};
use relais_engine::{Compose, Engine, IdentityHint, ProfileDir, Recipient};
use relais_mail::MessageDisplay;
use relais_store::{Flags, OutboxState};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

/// Bytes of each sent message's body: large enough that a connection which carried this
/// many bytes to the submission server has certainly sent the DATA.
const BODY_BYTES: usize = 24 * 1024;

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn open(profile: &Path, operator: &Path) -> Engine {
    Engine::open(
        ProfileDir::new(profile),
        Some(operator),
        relais_engine::events::discard(),
    )
    .expect("engine opens")
}

fn marie(op: &Operator, profile: &Path) -> Engine {
    let e = open(profile, &op.profile());
    e.sign_in_password(
        MARIE,
        DEMO_PASSWORD,
        &IdentityHint {
            profession: None,
            given_name: Some("Marie".into()),
            family_name: Some("MARTIN".into()),
            national_id: Some(NationalId::parse("810100000041").unwrap()),
        },
    )
    .expect("sign-in");
    e
}

/// A raw IMAP session on `mailbox`, straight to the operator (never through the proxy).
fn imap(op: &Operator, mailbox: &str, login: &str) -> Imap {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    let authzid = if mailbox == login { "" } else { mailbox };
    let r = imap
        .authenticate("PLAIN", &sasl_plain(authzid, login, DEMO_PASSWORD))
        .unwrap();
    assert!(r.ok(), "login {login} on {mailbox}: {}", r.text);
    imap
}

/// A copy of the operator profile with other IMAP and submission ports.
fn profile_with_ports(op: &Operator, dir: &Path, imap_port: u16, smtp_port: u16) -> PathBuf {
    let text = std::fs::read_to_string(op.profile()).unwrap();
    let text = text
        .replace(
            &format!("port = {}", op.imap_addr().port()),
            &format!("port = {imap_port}"),
        )
        .replace(
            &format!("port = {}", op.submission_addr().port()),
            &format!("port = {smtp_port}"),
        );
    let text = text.replace(
        "\"pki/roots.pem\"",
        &format!("{:?}", op.trust_anchors().display().to_string()),
    );
    let path = dir.join(format!("operator-{imap_port}-{smtp_port}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// The fault-injecting proxy
// ---------------------------------------------------------------------------------------

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Imap,
    Submission,
}

#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Forward this many bytes from the client to the server, then cut.
    ClientBytes(u64),
    /// Forward this many bytes from the server to the client, then cut.
    ServerBytes(u64),
    /// Forward the server's lines up to line `n`, then half of it, then cut (mid-line).
    ServerMidLine(u64),
    /// The same from the client.
    ClientMidLine(u64),
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    imap_faults: AtomicU64,
    smtp_faults: AtomicU64,
    /// Submission connections cut on the server's side after the whole message had gone to
    /// the server: the reply to the final `.` may be what was lost (SMTP cannot tell).
    smtp_after_data: AtomicU64,
    mid_line: AtomicU64,
}

impl Counters {
    fn faults(&self) -> u64 {
        self.imap_faults.load(Ordering::SeqCst) + self.smtp_faults.load(Ordering::SeqCst)
    }
}

struct Faults {
    enabled: AtomicBool,
    rng: Mutex<Rng>,
    counters: Counters,
}

/// One proxied connection's shared state.
struct Conn {
    client: TcpStream,
    server: TcpStream,
    cut: AtomicBool,
    to_server: AtomicU64,
}

impl Conn {
    fn cut(&self, kind: Kind, faults: &Faults, mid_line: bool) {
        if self.cut.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
        let c = &faults.counters;
        match kind {
            Kind::Imap => c.imap_faults.fetch_add(1, Ordering::SeqCst),
            Kind::Submission => c.smtp_faults.fetch_add(1, Ordering::SeqCst),
        };
        if mid_line {
            c.mid_line.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Start a proxy to `upstream` on the same loopback address; returns its port.
fn proxy(host: IpAddr, upstream: SocketAddr, kind: Kind, faults: Arc<Faults>) -> u16 {
    assert!(
        host.is_loopback() && upstream.ip().is_loopback(),
        "loopback only"
    );
    let listener = TcpListener::bind((host, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            faults.counters.connections.fetch_add(1, Ordering::SeqCst);
            let plan = if faults.enabled.load(Ordering::SeqCst) {
                let mut rng = faults.rng.lock().unwrap();
                // Budgets span the whole of a typical session, so that cuts fall everywhere:
                // greeting, STARTTLS, handshake, authentication, commands, literals, DATA.
                let (up, down) = match kind {
                    Kind::Imap => (3_000, 24_000),
                    Kind::Submission => (BODY_BYTES as u64 + 8_000, 8_000),
                };
                match rng.below(10) {
                    0 => Some(Cut::ClientMidLine(rng.below(4))),
                    1 => Some(Cut::ServerMidLine(rng.below(4))),
                    2..=4 => Some(Cut::ClientBytes(rng.below(up))),
                    _ => Some(Cut::ServerBytes(rng.below(down))),
                }
            } else {
                None
            };
            let conn = Arc::new(Conn {
                client: client.try_clone().unwrap(),
                server: server.try_clone().unwrap(),
                cut: AtomicBool::new(false),
                to_server: AtomicU64::new(0),
            });
            let (up_cut, down_cut) = match plan {
                Some(c @ (Cut::ClientBytes(_) | Cut::ClientMidLine(_))) => (Some(c), None),
                Some(c) => (None, Some(c)),
                None => (None, None),
            };
            let (c1, f1) = (conn.clone(), faults.clone());
            std::thread::spawn(move || pump(c1, true, up_cut, kind, &f1));
            let (c2, f2) = (conn, faults.clone());
            std::thread::spawn(move || pump(c2, false, down_cut, kind, &f2));
        }
    });
    port
}

/// Copy one direction, cutting the whole connection where `cut` says.
fn pump(conn: Arc<Conn>, up: bool, cut: Option<Cut>, kind: Kind, faults: &Faults) {
    let (mut from, mut to) = if up {
        (
            conn.client.try_clone().unwrap(),
            conn.server.try_clone().unwrap(),
        )
    } else {
        (
            conn.server.try_clone().unwrap(),
            conn.client.try_clone().unwrap(),
        )
    };
    let _ = from.set_read_timeout(Some(Duration::from_secs(120)));
    let mut forwarded: u64 = 0;
    let mut lines: u64 = 0;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        // Where, in this chunk, the connection is cut (None: forward all of it).
        let stop: Option<(usize, bool)> = match cut {
            Some(Cut::ClientBytes(limit) | Cut::ServerBytes(limit)) => {
                (forwarded + n as u64 > limit).then(|| ((limit - forwarded) as usize, false))
            }
            Some(Cut::ClientMidLine(k) | Cut::ServerMidLine(k)) => {
                let mut at = None;
                let mut start = 0;
                for (i, b) in chunk.iter().enumerate() {
                    if *b == b'\n' {
                        if lines == k {
                            at = Some((((start + i) / 2 + 1).min(i), true));
                            break;
                        }
                        lines += 1;
                        start = i + 1;
                    }
                }
                at
            }
            None => None,
        };
        let end = stop.map(|(s, _)| s).unwrap_or(n);
        if to.write_all(&chunk[..end]).is_err() {
            break;
        }
        forwarded += end as u64;
        if up {
            conn.to_server.fetch_add(end as u64, Ordering::SeqCst);
        }
        if let Some((_, mid_line)) = stop {
            if kind == Kind::Submission
                && !up
                && conn.to_server.load(Ordering::SeqCst) >= BODY_BYTES as u64
                && !conn.cut.load(Ordering::SeqCst)
            {
                faults
                    .counters
                    .smtp_after_data
                    .fetch_add(1, Ordering::SeqCst);
            }
            conn.cut(kind, faults, mid_line);
            return;
        }
    }
    // One side closed: close the other (a normal end, not a fault).
    let _ = to.shutdown(Shutdown::Write);
}

// ---------------------------------------------------------------------------------------
// Checks against the server
// ---------------------------------------------------------------------------------------

/// `UID → flags` of a folder on the server (raw `UID FETCH 1:* (FLAGS)`).
fn server_flags(imap: &mut Imap, folder: &str) -> BTreeMap<u32, Flags> {
    let r = imap.command(&format!("EXAMINE \"{folder}\"")).unwrap();
    assert!(r.ok(), "EXAMINE {folder}: {}", r.text);
    let exists = r
        .untagged
        .iter()
        .find_map(|l| l.strip_suffix(" EXISTS")?.strip_prefix("* ")?.parse().ok())
        .unwrap_or(0u32);
    if exists == 0 {
        return BTreeMap::new();
    }
    let r = imap.command("UID FETCH 1:* (FLAGS)").unwrap();
    assert!(r.ok(), "{}", r.text);
    r.untagged
        .iter()
        .filter(|l| l.contains(" FETCH "))
        .map(|l| {
            let uid = l
                .split("UID ")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no UID in {l}"));
            let flags = l
                .split("FLAGS (")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap_or_default();
            (uid, normal(Flags::parse(flags)))
        })
        .collect()
}

fn normal(mut f: Flags) -> Flags {
    f.keywords.sort();
    f
}

/// Every folder of `box_` in the store equals the server's, UID for UID and flag for flag.
/// Returns the number of messages checked.
fn store_matches_server(op: &Operator, e: &Engine, box_: &str, login: &str) -> usize {
    let mut s = imap(op, box_, login);
    // The box's own folders: LIST "" "*" also shows the other namespaces (RFC 2342) on
    // Cyrus (`Other Users/…`), which belong to other boxes.
    let namespaces = s.command("NAMESPACE").unwrap();
    let foreign: Vec<String> = namespaces
        .untagged
        .iter()
        .flat_map(|l| l.split('"').skip(1).step_by(2).map(str::to_string))
        .filter(|quoted| quoted.chars().count() > 1)
        .collect();
    let listed = s.command("LIST \"\" \"*\"").unwrap();
    let server_folders: Vec<String> = listed
        .untagged
        .iter()
        .filter(|l| !l.contains("\\Noselect") && !l.contains("\\NoSelect"))
        .map(|l| match l.strip_suffix('"') {
            Some(quoted) => quoted[quoted.rfind('"').map_or(0, |i| i + 1)..].to_string(),
            None => l.rsplit(' ').next().unwrap_or_default().to_string(),
        })
        .filter(|name| !foreign.iter().any(|f| name.starts_with(f.as_str())))
        .collect();
    let folders = e.with_store(|st| st.folders(&addr(box_)).unwrap());
    for name in &server_folders {
        assert!(
            folders.iter().any(|f| &f.name == name),
            "{box_}: folder {name} is on the server, not in the store"
        );
    }
    let mut checked = 0;
    for f in folders {
        let local: BTreeMap<u32, Flags> = e
            .with_store(|st| st.uids(f.id).unwrap())
            .into_iter()
            .map(|(u, fl)| (u, normal(fl)))
            .collect();
        let server = server_flags(&mut s, &f.name);
        if local != server {
            let only_local: Vec<_> = local.keys().filter(|u| !server.contains_key(u)).collect();
            let only_server: Vec<_> = server.keys().filter(|u| !local.contains_key(u)).collect();
            let differ: Vec<_> = local
                .iter()
                .filter(|(u, fl)| server.get(u).is_some_and(|s| s != *fl))
                .map(|(u, fl)| (u, fl, &server[u]))
                .collect();
            panic!(
                "{box_}/{}: store ≠ server: only in store {only_local:?}, only on server \
                 {only_server:?}, flags differ {differ:?}",
                f.name
            );
        }
        checked += local.len();
    }
    checked
}

/// How many messages of `folder` carry each Message-ID.
fn count_by_message_id(imap: &mut Imap, folder: &str) -> HashMap<String, usize> {
    let r = imap.command(&format!("EXAMINE \"{folder}\"")).unwrap();
    assert!(r.ok(), "{}", r.text);
    let r = imap
        .command("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        .unwrap();
    let mut counts = HashMap::new();
    for lit in r.literals {
        let text = String::from_utf8_lossy(&lit).replace("\r\n ", " ");
        if let Some(id) = text
            .split("<")
            .nth(1)
            .and_then(|s| s.split('>').next())
            .map(str::to_string)
        {
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
}

/// A colleague working the same box directly: flags, copies (new UIDs) and expunges.
fn colleague_step(s: &mut Imap, rng: &mut Rng) {
    let r = s.command("SELECT INBOX").unwrap();
    assert!(r.ok());
    let r = s.command("UID SEARCH ALL").unwrap();
    let uids: Vec<u32> = r
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect();
    if uids.is_empty() {
        return;
    }
    for _ in 0..3 {
        let uid = uids[rng.below(uids.len() as u64) as usize];
        let flag = ["\\Seen", "\\Flagged", "\\Answered", "$Urgent"][rng.below(4) as usize];
        let sign = if rng.below(2) == 0 { "+" } else { "-" };
        s.command(&format!("UID STORE {uid} {sign}FLAGS.SILENT ({flag})"))
            .unwrap();
    }
    match rng.below(4) {
        0 => {
            let uid = uids[rng.below(uids.len() as u64) as usize];
            s.command(&format!("UID COPY {uid} INBOX")).unwrap();
        }
        1 if uids.len() > 20 => {
            let uid = uids[rng.below(uids.len() as u64) as usize];
            s.command(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))
                .unwrap();
            s.command(&format!("UID EXPUNGE {uid}")).unwrap();
        }
        _ => {}
    }
}

fn seeded(op: &Operator, n: usize) {
    let messages = (0..n).map(|i| {
        (
            format!(
                "From: Dr Jacques LEROY <{LEROY}>\r\nTo: {SECRETARIAT}\r\n\
                 Subject: Compte rendu {i}\r\nDate: Mon, 16 Nov 2026 10:{:02}:00 +0100\r\n\
                 Message-ID: <cr{i}@faults.relais.test>\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                i % 60,
                "Compte rendu de consultation, ligne de texte.\r\n".repeat(1 + i % 40)
            )
            .into_bytes(),
            if i % 3 == 0 { "S" } else { "" },
        )
    });
    op.seed_maildir(SECRETARIAT, "INBOX", messages).unwrap();
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn store_and_outbox_survive_injected_faults() {
    let target = env_u64("RELAIS_FAULTS", 1000);
    let seed = env_u64("RELAIS_FAULTS_SEED", 0x5EED_2026);
    let budget = Duration::from_secs(env_u64("RELAIS_FAULTS_SECS", 60 + target * 3 / 10));
    let op = Operator::start(Options::default()).unwrap();
    seeded(&op, 300);
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    drop(marie(&op, &profile));

    let faults = Arc::new(Faults {
        enabled: AtomicBool::new(true),
        rng: Mutex::new(Rng(seed | 1)),
        counters: Counters::default(),
    });
    let imap_port = proxy(op.host(), op.imap_addr(), Kind::Imap, faults.clone());
    let smtp_port = proxy(
        op.host(),
        op.submission_addr(),
        Kind::Submission,
        faults.clone(),
    );
    let via_proxy = profile_with_ports(&op, dir.path(), imap_port, smtp_port);
    let e = open(&profile, &via_proxy);
    let mut colleague = imap(&op, SECRETARIAT, SOPHIE);
    let mut rng = Rng(seed.rotate_left(17) | 1);
    let body: String = (0..BODY_BYTES / 64)
        .map(|i| format!("{i:05} Compte rendu : tension, rythme, traitement inchangé.....\r\n"))
        .collect();

    let started = Instant::now();
    let never = AtomicBool::new(false);
    let (mut rounds, mut queued, mut sync_errors, mut send_errors) = (0u64, 0u64, 0u64, 0u64);
    while faults.counters.faults() < target && started.elapsed() < budget {
        rounds += 1;
        colleague_step(&mut colleague, &mut rng);
        if rounds % 4 == 1 {
            let mut c = Compose::new(addr(SECRETARIAT));
            c.to.push(Recipient::new(addr(PIERRE)));
            c.subject = format!("Sous panne {rounds}");
            c.text = body.clone();
            match e.send(c) {
                Ok(r) if r.state != OutboxState::Done => send_errors += 1,
                Ok(_) => {}
                Err(err) => panic!("send refused before the network: {err}"),
            }
            queued += 1;
        }
        // Everything due, whatever its back-off.
        if let Ok(outcomes) = e.retry_outbox(i64::MAX / 2) {
            send_errors += outcomes.iter().filter(|o| o.error.is_some()).count() as u64;
        }
        match e.sync(&[], &never) {
            Ok(results) => sync_errors += results.iter().filter(|(_, r)| r.is_err()).count() as u64,
            Err(_) => sync_errors += 1,
        }
    }
    let c = &faults.counters;
    let injected = c.faults();
    let elapsed = started.elapsed();
    println!(
        "faults injected: {injected} ({} IMAP, {} submission, {} mid-line, {} on the reply after \
         DATA) over {} connections in {rounds} rounds, {elapsed:.1?} (seed {seed:#x}); \
         {sync_errors} failed box syncs, {send_errors} failed send attempts, {queued} messages queued",
        c.imap_faults.load(Ordering::SeqCst),
        c.smtp_faults.load(Ordering::SeqCst),
        c.mid_line.load(Ordering::SeqCst),
        c.smtp_after_data.load(Ordering::SeqCst),
        c.connections.load(Ordering::SeqCst),
    );
    assert!(
        injected >= target,
        "only {injected} of {target} faults within {budget:?}"
    );

    // Proxy off, back on the real ports: finish the outbox and sync once more.
    faults.enabled.store(false, Ordering::SeqCst);
    drop(e);
    let e = open(&profile, &op.profile());
    for _ in 0..5 {
        let _ = e.retry_outbox(i64::MAX / 2);
        if e.outbox()
            .unwrap()
            .iter()
            .all(|r| r.state == OutboxState::Done)
        {
            break;
        }
    }
    let rows = e.outbox().unwrap();
    assert_eq!(rows.len() as u64, queued);
    for r in &rows {
        assert_eq!(r.state, OutboxState::Done, "{r:?}");
    }
    for (b, r) in e.sync(&[], &never).unwrap() {
        r.unwrap_or_else(|err| panic!("final sync of {b}: {err}"));
    }

    // The store is the server, folder by folder.
    let checked = store_matches_server(&op, &e, SECRETARIAT, SOPHIE)
        + store_matches_server(&op, &e, MARIE, MARIE);

    // Exactly one Sent copy of each; delivered once (see the doc for the one SMTP window).
    let ids: Vec<String> = rows.iter().map(|r| r.message_id.clone()).collect();
    let mut sent_box = imap(&op, SECRETARIAT, MARIE);
    let sent = count_by_message_id(&mut sent_box, "Sent");
    let deadline = Instant::now() + Duration::from_secs(60);
    let inbox = loop {
        let mut pierre = imap(&op, PIERRE, PIERRE);
        let inbox = count_by_message_id(&mut pierre, "INBOX");
        if ids.iter().all(|id| inbox.contains_key(id)) || Instant::now() > deadline {
            std::thread::sleep(Duration::from_secs(2));
            let mut pierre = imap(&op, PIERRE, PIERRE);
            break count_by_message_id(&mut pierre, "INBOX");
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    let mut duplicates = Vec::new();
    for id in &ids {
        assert_eq!(sent.get(id), Some(&1), "one Sent copy of {id}");
        match inbox.get(id).copied().unwrap_or(0) {
            1 => {}
            0 => panic!("{id} never delivered"),
            n => duplicates.push((id.clone(), n)),
        }
    }
    // SMTP cannot tell a client whether the server took a message whose reply was lost:
    // Relais then sends again with the same Message-ID (docs/security-faults.md), and the
    // operator's duplicate filter (Sieve `duplicate`, RFC 7352) keeps one copy. Dovecot logs
    // each copy it dropped.
    let lmtp = op.log("dovecot");
    let resent_after_lost_reply: usize = ids
        .iter()
        .map(|id| {
            lmtp.matches(&format!("msgid=<{id}>: discard action"))
                .count()
        })
        .sum();
    println!(
        "checked: {checked} messages (UIDs and flags) equal to the server; {} queued messages \
         each once in Sent; {} delivered exactly once, {} more than once ({duplicates:?}); \
         {resent_after_lost_reply} accepted again after a lost reply and dropped by the \
         operator as duplicates; total {:.1?}",
        ids.len(),
        ids.len() - duplicates.len(),
        duplicates.len(),
        started.elapsed()
    );
    assert!(
        duplicates.is_empty(),
        "delivered more than once: {duplicates:?}"
    );
    // Only a cut of the server's reply after the whole message had gone can make Relais send
    // a message again.
    assert!(
        resent_after_lost_reply as u64 <= c.smtp_after_data.load(Ordering::SeqCst),
        "sent again without a lost reply after DATA: {resent_after_lost_reply}"
    );
}

// ---------------------------------------------------------------------------------------
// Malformed messages through the engine
// ---------------------------------------------------------------------------------------

fn fixture_dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../relais-mail/tests/fixtures")
        .join(folder)
}

#[test]
fn malformed_messages_delivered_synced_and_opened() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let e = marie(&op, &profile);

    // Each fixture (and the hostile ones), a marker header in front so that it can be
    // found, delivered into the box's Maildir as a delivery agent would.
    let mut sources: Vec<PathBuf> = ["malformed", "hostile"]
        .iter()
        .flat_map(|f| std::fs::read_dir(fixture_dir(f)).unwrap())
        .map(|d| d.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    sources.sort();
    let mut names = Vec::new();
    let mut raws = Vec::new();
    for path in &sources {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut raw = format!("X-Fixture: {name}\r\n").into_bytes();
        raw.extend_from_slice(&std::fs::read(path).unwrap());
        // Cyrus refuses a message holding NUL bytes at delivery and APPEND alike (« Message
        // contains NUL characters »): such a message never reaches a Cyrus box.
        if op.imap() == relais_testkit::Imap::Cyrus && raw.contains(&0) {
            continue;
        }
        names.push(name);
        raws.push((raw, ""));
    }
    op.seed_maildir(MARIE, "INBOX", raws).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let never = AtomicBool::new(false);
    let mut seen = 0;
    while Instant::now() < deadline {
        for (_, r) in e.sync(&[addr(MARIE)], &never).unwrap() {
            r.unwrap();
        }
        seen = e.with_store(|s| {
            let inbox = s
                .folder_by_role(&addr(MARIE), relais_store::FolderRole::Inbox)
                .unwrap()
                .unwrap();
            s.count(inbox.id).unwrap()
        });
        if seen as usize >= names.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let messages = e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(MARIE), relais_store::FolderRole::Inbox)
            .unwrap()
            .unwrap();
        s.list(inbox.id, 0, 1000).unwrap()
    });
    let mut opened = 0;
    for m in &messages {
        let raw = e.raw_message(m.id).unwrap();
        let Some(name) = names.iter().find(|n| {
            String::from_utf8_lossy(&raw[..raw.len().min(4096)])
                .contains(&format!("X-Fixture: {n}"))
        }) else {
            continue;
        };
        let started = Instant::now();
        let shown = MessageDisplay::from_raw(&raw);
        assert!(started.elapsed() < Duration::from_secs(10), "{name}");
        assert!(
            !shown.malformed_notes.is_empty() || !shown.text.is_empty() || shown.html.is_some(),
            "{name}: neither a note nor any content"
        );
        if let Some(html) = &shown.html {
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{name}: {html}");
            assert!(!lower.contains("javascript:"), "{name}: {html}");
        }
        opened += 1;
    }
    println!(
        "malformed through the engine: {} delivered, {seen} synced, {opened} opened",
        names.len()
    );
    assert_eq!(opened, names.len());
}
