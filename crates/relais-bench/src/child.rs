//! What runs in a child process (`relais-bench child …`): the engine alone, so that its peak
//! resident memory (`VmHWM`) and its start-up are its own, not the bench's.
//! Each command prints one JSON object on stdout.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use relais_core::{BoxAddress, NationalId};
use relais_engine::{Compose, ComposeAttachment, Engine, IdentityHint, ProfileDir, Recipient};
use relais_store::FolderRole;
use serde_json::json;

type Res<T> = Result<T, String>;

fn arg(args: &[String], name: &str) -> Res<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .ok_or_else(|| format!("missing {name}"))
}

/// `VmHWM` and `VmRSS` of this process, in kB.
pub fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn open(args: &[String]) -> Res<Engine> {
    Engine::open(
        ProfileDir::new(arg(args, "--profile")?),
        Some(&PathBuf::from(arg(args, "--operator")?)),
        relais_engine::events::discard(),
    )
    .map_err(|e| e.to_string())
}

pub fn run(args: &[String]) -> Res<serde_json::Value> {
    let started = Instant::now();
    let command = args.first().map(String::as_str).unwrap_or("");
    match command {
        // Sign in (untimed set-up): discovery, keyring, the account in the store.
        "signin" => {
            let e = open(args)?;
            let hint = IdentityHint {
                profession: None,
                given_name: Some(arg(args, "--given")?),
                family_name: Some(arg(args, "--family")?),
                national_id: Some(
                    NationalId::parse(&arg(args, "--national-id")?).map_err(|e| e.to_string())?,
                ),
            };
            let s = e
                .sign_in_password(&arg(args, "--login")?, relais_testkit::DEMO_PASSWORD, &hint)
                .map_err(|e| e.to_string())?;
            Ok(json!({ "boxes": s.boxes.len() }))
        }
        // Connect to the box and log out: the fixed cost of a session.
        "connect" => {
            let e = open(args)?;
            let b = BoxAddress::parse(&arg(args, "--box")?).map_err(|e| e.to_string())?;
            let ent = e.entitlement(&b).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let conn = e.connect_box(&ent).map_err(|e| e.to_string())?;
            conn.session.logout();
            Ok(json!({ "secs": t.elapsed().as_secs_f64() }))
        }
        // Synchronise one box (all its folders), as the app does.
        "sync" => {
            let e = open(args)?;
            let b = BoxAddress::parse(&arg(args, "--box")?).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let results = e
                .sync(std::slice::from_ref(&b), &AtomicBool::new(false))
                .map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            for (_, r) in &results {
                r.as_ref().map_err(|e| e.to_string())?;
            }
            let (hwm, rss) = memory_kb();
            let held = e.with_store(|s| -> Res<u64> {
                let inbox = s
                    .folder_by_role(&b, FolderRole::Inbox)
                    .map_err(|e| e.to_string())?
                    .ok_or("no inbox")?;
                s.count(inbox.id).map_err(|e| e.to_string())
            })?;
            Ok(json!({ "secs": secs, "hwm_kb": hwm, "rss_kb": rss, "inbox": held }))
        }
        // Cold start of the engine: open the profile and read the first page of the inbox
        // and the unread count, as the app's first paint needs.
        "open-list" => {
            let e = open(args)?;
            let b = BoxAddress::parse(&arg(args, "--box")?).map_err(|e| e.to_string())?;
            let rows = e.with_store(|s| -> Res<usize> {
                let inbox = s
                    .folder_by_role(&b, FolderRole::Inbox)
                    .map_err(|e| e.to_string())?
                    .ok_or("no inbox")?;
                let page = s.list(inbox.id, 0, 100).map_err(|e| e.to_string())?;
                let _unread = s.unread_in_box(&b).map_err(|e| e.to_string())?;
                Ok(page.len())
            })?;
            let (hwm, _) = memory_kb();
            Ok(json!({ "secs": started.elapsed().as_secs_f64(), "rows": rows, "hwm_kb": hwm }))
        }
        // Send a message with one attachment through the engine's whole pipeline.
        "send" => {
            let e = open(args)?;
            let from = BoxAddress::parse(&arg(args, "--box")?).map_err(|e| e.to_string())?;
            let to = BoxAddress::parse(&arg(args, "--to")?).map_err(|e| e.to_string())?;
            let mut c = Compose::new(from);
            c.to = vec![Recipient::new(to)];
            c.subject = "Compte rendu avec imagerie (banc d'essai)".into();
            c.text = "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu.\n".into();
            c.attachments = vec![ComposeAttachment::path(arg(args, "--file")?)];
            let t = Instant::now();
            let t0_unix_ms = crate::proxy::unix_ms();
            let receipt = e.send(c).map_err(|e| e.to_string())?;
            let secs = t.elapsed().as_secs_f64();
            if !receipt.sent() {
                return Err(format!("not sent: {:?}", receipt.error));
            }
            Ok(
                json!({ "secs": secs, "t0_unix_ms": t0_unix_ms, "state": format!("{:?}", receipt.state) }),
            )
        }
        other => Err(format!("unknown child command {other:?}")),
    }
}
