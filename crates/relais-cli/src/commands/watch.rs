//! `relais watch [--json]`: the engine's session runtime from the command line — the first
//! synchronisation, then every box watched live (IDLE, other folders between two IDLEs),
//! the outbox delivered in the background — printing each event until interrupted.
//!
//! With `--json`, one JSON object per line: the engine's event as it is (`type` and its
//! fields, ids included), the documented contract of docs/cli.md. Without it, a line of
//! French per event.

use std::io::Write;
use std::sync::mpsc;
use std::sync::Arc;

use relais_engine::{Event, Runtime, RuntimeOptions, WatchOptions};

use super::{Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// Une ligne JSON par événement (contrat stable, docs/cli.md).
    #[arg(long)]
    json: bool,
    /// Durée maximale d'un IDLE avant de regarder les autres dossiers, en secondes.
    #[arg(long, value_name = "S", default_value_t = 120)]
    period: u64,
    /// S'arrêter après ce nombre de secondes (scripts et tests) ; par défaut, jusqu'à Ctrl+C.
    #[arg(long, value_name = "S")]
    for_seconds: Option<u64>,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let (events, received) = mpsc::channel::<Event>();
    let engine = ctx.engine_with(Arc::new(move |event| {
        // The printer is gone only when the command ends.
        let _ = events.send(event);
    }))?;
    engine.credentials().map_err(|e| e.to_string())?;
    let runtime = Runtime::start(
        Arc::new(engine),
        RuntimeOptions {
            watch: WatchOptions {
                period: std::time::Duration::from_secs(args.period.max(1)),
                ..WatchOptions::default()
            },
            ..RuntimeOptions::default()
        },
    );
    let deadline = args
        .for_seconds
        .map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
    let stdout = std::io::stdout();
    loop {
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(std::time::Instant::now()) {
                Some(left) => left,
                None => break,
            },
            None => std::time::Duration::from_secs(3600),
        };
        let event = match received.recv_timeout(wait) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let line = if args.json {
            serde_json::to_string(&event).map_err(|e| e.to_string())?
        } else {
            describe(&event)
        };
        let mut out = stdout.lock();
        // A closed pipe (`relais watch | head`) ends the command.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break;
        }
        if let Event::SessionEnded { .. } = event {
            runtime.stop();
            return Err("la session a pris fin : reconnectez-vous (relais login).".into());
        }
    }
    runtime.stop();
    Ok(())
}

fn describe(event: &Event) -> String {
    match event {
        Event::SyncProgress {
            box_address,
            folder,
            done,
            total,
            finished,
        } => {
            if *finished {
                format!("{box_address} · {folder} : synchronisé ({done}/{total})")
            } else {
                format!("{box_address} · {folder} : {done}/{total}")
            }
        }
        Event::NewMail { box_address, count } => {
            format!("{box_address} : {count} nouveau(x) message(s)")
        }
        Event::MessagesAdded {
            box_address,
            folder_id,
            ids,
        } => format!(
            "{box_address} · dossier {} : {} message(s) arrivé(s) {:?}",
            folder_id.0,
            ids.len(),
            ids.iter().map(|i| i.0).collect::<Vec<_>>()
        ),
        Event::MessagesChanged {
            box_address,
            folder_id,
            ids,
        } => format!(
            "{box_address} · dossier {} : indicateurs modifiés {:?}",
            folder_id.0,
            ids.iter().map(|i| i.0).collect::<Vec<_>>()
        ),
        Event::MessagesExpunged {
            box_address,
            folder_id,
            ids,
        } => format!(
            "{box_address} · dossier {} : message(s) retiré(s) {:?}",
            folder_id.0,
            ids.iter().map(|i| i.0).collect::<Vec<_>>()
        ),
        Event::OutboxChanged { queued, failed } => {
            format!("boîte d'envoi : {queued} en attente, {failed} refusé(s)")
        }
        Event::Connection { online: true } => "connexion rétablie".into(),
        Event::Connection { online: false } => "connexion perdue : nouvel essai bientôt".into(),
        Event::SessionEnded { reason } => format!("session terminée : {reason}"),
        Event::Locked => "session verrouillée".into(),
        Event::Unlocked => "session déverrouillée".into(),
        Event::Synchronised => "première synchronisation terminée ; surveillance en direct".into(),
        Event::BoxError {
            box_address,
            message,
        } => format!("{box_address} : {message}"),
        Event::FoldersChanged { box_address } => format!("{box_address} : dossiers modifiés"),
    }
}
