//! The session runtime's figures (issue 12): actions on a warm session (flag, claim, move)
//! and push latency, each beside a raw client doing the same on an already open connection,
//! in the same run, through the same link.
//!
//! The engine runs in this process here (its memory is not what is measured): the relay's
//! counters are read between two actions, so each action's round trips are its own.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::NationalId;
use relais_engine::actions::Flag;
use relais_engine::{Engine, Event, IdentityHint, ProfileDir, Runtime, RuntimeOptions};
use relais_store::{FolderRole, MessageId};
use relais_testkit::wire::{sasl_plain, tls_config, Smtp};
use relais_testkit::{Operator, DEMO_PASSWORD};

use crate::proxy::Proxy;
use crate::{err, percentile, raw, Persona, Res};

/// One action's figures, Relais beside the raw client.
pub struct ActionRow {
    pub name: &'static str,
    pub samples: usize,
    pub relais_trips: f64,
    pub relais_p50_ms: f64,
    pub relais_p95_ms: f64,
    pub raw_trips: f64,
    pub raw_p50_ms: f64,
    pub raw_p95_ms: f64,
    /// Connections Relais opened during the timed actions (0: every click reused one).
    pub relais_connections: u64,
}

/// Push latency: from the submission server's final 250 to the engine's event, beside a raw
/// client in IDLE on the same folder (its `* n EXISTS`), for the same deliveries.
pub struct PushRow {
    pub samples: usize,
    pub relais_p50_ms: f64,
    pub relais_p95_ms: f64,
    pub raw_p50_ms: f64,
    pub raw_p95_ms: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (percentile(&v, 50.0), percentile(&v, 95.0))
}

fn signed_in(
    dir: &Path,
    profile: &Path,
    p: &Persona,
    events: relais_engine::EventSink,
) -> Res<Engine> {
    let e = Engine::open(ProfileDir::new(dir), Some(profile), events).map_err(err)?;
    e.sign_in_password(
        p.login,
        DEMO_PASSWORD,
        &IdentityHint {
            profession: None,
            given_name: Some(p.given.into()),
            family_name: Some(p.family.into()),
            national_id: Some(NationalId::parse(p.national_id).map_err(err)?),
        },
    )
    .map_err(err)?;
    Ok(e)
}

/// Flag, claim and move on a warm session: `samples` of each, the first action (which
/// opens the kept connection) left out.
pub fn actions(
    dir: &Path,
    profile: &Path,
    imap: &Proxy,
    anchors: &Path,
    p: &Persona,
    samples: usize,
    skip: usize,
) -> Res<Vec<ActionRow>> {
    let e = signed_in(dir, profile, p, relais_engine::events::discard())?;
    e.sync(&[], &std::sync::atomic::AtomicBool::new(false))
        .map_err(err)?;
    let own = relais_core::BoxAddress::parse(p.login).map_err(err)?;
    let inbox = e
        .find_folder(&own, "INBOX")
        .map_err(err)?
        .filter(|f| f.role == Some(FolderRole::Inbox))
        .ok_or("no inbox")?;
    // `skip`: messages an earlier run (another link) already changed are left out.
    let newest: Vec<_> = e
        .newest(inbox.id, (skip + samples * 3 + 1) as u32)
        .map_err(err)?
        .into_iter()
        .skip(skip)
        .collect();
    if newest.len() < samples * 3 + 1 {
        return Err(format!("{} messages only", newest.len()));
    }
    let ids: Vec<MessageId> = newest.iter().map(|m| m.id).collect();
    let uids: Vec<u32> = newest.iter().map(|m| m.uid).collect();
    // Warm: the first click opens the box's kept connection.
    e.set_flag(ids[0], Flag::Flagged, true).map_err(err)?;
    imap.take();
    let opened_before = e.action_connections_opened();

    let mut rows = Vec::new();
    let timed =
        |name: &'static str, run: &mut dyn FnMut(usize) -> Res<()>| -> Res<(Vec<f64>, f64)> {
            let mut times = Vec::new();
            let mut trips = 0u64;
            for i in 0..samples {
                imap.take();
                let t = Instant::now();
                run(i).map_err(|e| format!("{name}: {e}"))?;
                times.push(ms(t.elapsed()));
                trips += imap.take().round_trips;
            }
            Ok((times, trips as f64 / samples as f64))
        };
    let flag = timed("flag", &mut |i| {
        e.set_flag(ids[1 + i], Flag::Flagged, true).map_err(err)
    })?;
    let claim = timed("claim", &mut |i| {
        e.claim(ids[1 + samples + i], false)
            .map(|_| ())
            .map_err(err)
    })?;
    let mv = timed("move", &mut |i| {
        e.move_to(ids[1 + 2 * samples + i], "Junk").map_err(err)
    })?;
    let relais_connections = e.action_connections_opened() - opened_before;

    // The raw client: one connection, INBOX selected once, then the same commands.
    let mut raw_imap = raw::session(imap.addr, anchors, p.login).map_err(err)?;
    raw::stream(&mut raw_imap, "S", "SELECT INBOX").map_err(err)?;
    let mut raw_timed = |name: &str, command: &dyn Fn(usize) -> String| -> Res<(Vec<f64>, f64)> {
        let mut times = Vec::new();
        let mut trips = 0u64;
        for i in 0..samples {
            imap.take();
            let t = Instant::now();
            raw::stream(&mut raw_imap, &format!("{name}{i}"), &command(i)).map_err(err)?;
            times.push(ms(t.elapsed()));
            trips += imap.take().round_trips;
        }
        Ok((times, trips as f64 / samples as f64))
    };
    // Other messages than Relais moved (those are gone from INBOX).
    let raw_flag = raw_timed("F", &|i| {
        format!("UID STORE {} -FLAGS (\\Flagged)", uids[1 + i])
    })?;
    let raw_claim = raw_timed("C", &|i| {
        format!("UID STORE {} +FLAGS ($RelaisBench)", uids[1 + samples + i])
    })?;
    let raw_move = raw_timed("M", &|i| format!("UID MOVE {} Trash", uids[1 + i]))?;
    let _ = raw_imap.command("LOGOUT");

    for (name, relais, raw) in [
        ("flag (\\Flagged)", flag, raw_flag),
        ("claim (« Prendre en charge »)", claim, raw_claim),
        ("move to a folder", mv, raw_move),
    ] {
        let (r50, r95) = summary(relais.0);
        let (b50, b95) = summary(raw.0);
        rows.push(ActionRow {
            name,
            samples,
            relais_trips: relais.1,
            relais_p50_ms: r50,
            relais_p95_ms: r95,
            raw_trips: raw.1,
            raw_p50_ms: b50,
            raw_p95_ms: b95,
            relais_connections,
        });
    }
    e.close_connections();
    Ok(rows)
}

/// Push latency on the persona's inbox: `samples` deliveries by submission, each timed from
/// the final 250 to the engine's `messages_added` and to the raw client's `EXISTS`.
#[allow(clippy::too_many_arguments)] // one call site, each argument named there
pub fn push(
    op: &Operator,
    tag: &str,
    dir: &Path,
    profile: &Path,
    imap: &Proxy,
    anchors: &Path,
    p: &Persona,
    sender: &str,
    samples: usize,
) -> Res<PushRow> {
    let (tx, events) = mpsc::channel::<Instant>();
    let tx = std::sync::Mutex::new(tx);
    let e = signed_in(
        dir,
        profile,
        p,
        Arc::new(move |event| {
            if matches!(event, Event::MessagesAdded { .. } | Event::Synchronised) {
                let _ = tx.lock().map(|t| t.send(Instant::now()));
            }
        }),
    )?;
    let runtime = Runtime::start(
        Arc::new(e),
        RuntimeOptions {
            watch: relais_engine::WatchOptions {
                period: Duration::from_secs(600),
                ..relais_engine::WatchOptions::default()
            },
            ..RuntimeOptions::default()
        },
    );
    // The first sync's events, up to « synchronised ».
    events.recv_timeout(Duration::from_secs(600)).map_err(err)?;
    while events.recv_timeout(Duration::from_secs(2)).is_ok() {}

    // The raw client in IDLE on the same inbox, on its own thread.
    let (raw_tx, raw_seen) = mpsc::channel::<Instant>();
    let mut idle = raw::session(imap.addr, anchors, p.login).map_err(err)?;
    raw::stream(&mut idle, "S", "SELECT INBOX").map_err(err)?;
    idle.wire.send_line("I IDLE").map_err(err)?;
    let _continuation = idle.wire.read_line().map_err(err)?;
    let raw_thread = std::thread::spawn(move || {
        while let Ok(line) = idle.wire.read_line() {
            if line.ends_with(" EXISTS") && raw_tx.send(Instant::now()).is_err() {
                break;
            }
        }
    });

    let mut relais_ms = Vec::new();
    let mut raw_ms = Vec::new();
    for i in 0..samples {
        let mut smtp = Smtp::connect(op.submission_addr(), None).map_err(err)?;
        smtp.ehlo().map_err(err)?;
        smtp.starttls(tls_config(&op.trust_anchors()).map_err(err)?, op.host())
            .map_err(err)?;
        smtp.ehlo().map_err(err)?;
        smtp.authenticate("PLAIN", &sasl_plain("", sender, DEMO_PASSWORD))
            .map_err(err)?;
        let reply = smtp
            .send_mail(
                sender,
                &[p.login],
                &format!(
                    "From: {sender}\r\nTo: {}\r\nSubject: push {i}\r\nMessage-ID: <push-{tag}-{i}@bench>\r\n\r\nx\r\n",
                    p.login
                ),
            )
            .map_err(err)?;
        let accepted = Instant::now();
        if reply.code != 250 {
            return Err(format!("submission: {}", reply.code));
        }
        let engine_at = events.recv_timeout(Duration::from_secs(30)).map_err(err)?;
        let raw_at = raw_seen
            .recv_timeout(Duration::from_secs(30))
            .map_err(err)?;
        relais_ms.push(ms(engine_at.saturating_duration_since(accepted)));
        raw_ms.push(ms(raw_at.saturating_duration_since(accepted)));
        std::thread::sleep(Duration::from_millis(200));
    }
    runtime.stop();
    drop(raw_thread);
    let (r50, r95) = summary(relais_ms);
    let (b50, b95) = summary(raw_ms);
    Ok(PushRow {
        samples,
        relais_p50_ms: r50,
        relais_p95_ms: r95,
        raw_p50_ms: b50,
        raw_p95_ms: b95,
    })
}

/// The session runtime's rows, one link per column group.
pub fn table(links: &[(String, Vec<ActionRow>, PushRow)]) -> String {
    let mut t = String::new();
    t.push_str("\n### The session runtime (issue 12): actions on a warm session and push\n\n");
    t.push_str("| link | action | Relais round trips | Relais p50 / p95 | raw client round trips | raw p50 / p95 | connections Relais opened |\n");
    t.push_str("|---|---|---|---|---|---|---|\n");
    for (label, actions, push) in links {
        for a in actions {
            t.push_str(&format!(
                "| {label} | {} ({} each) | {:.1} | {:.1} / {:.1} ms | {:.1} | {:.1} / {:.1} ms | {} |\n",
                a.name,
                a.samples,
                a.relais_trips,
                a.relais_p50_ms,
                a.relais_p95_ms,
                a.raw_trips,
                a.raw_p50_ms,
                a.raw_p95_ms,
                a.relais_connections
            ));
        }
        t.push_str(&format!(
            "| {label} | push: delivery (250 after DATA) → event ({} deliveries) | — | {:.0} / {:.0} ms | — (raw IDLE, `EXISTS`) | {:.0} / {:.0} ms | — |\n",
            push.samples, push.relais_p50_ms, push.relais_p95_ms, push.raw_p50_ms, push.raw_p95_ms
        ));
    }
    t.push_str(
        "\nThe raw client sends the same command on a connection already open with the folder \
         selected; Relais's figure is the whole action as the app calls it (its kept \
         connection is brought up to date with NOOP before the command, and a move first checks \
         that the message is still there). Push: the engine's figure ends when the new \
         message's headers are in the store and the event is out; the raw client's when its \
         IDLE reads `EXISTS` (it fetches nothing). Targets: 1 round trip per action, push ≤ 1 s.\n",
    );
    t
}
