//! `relais watch --json` against a real local operator: the engine's runtime from the
//! command line shows, live, a message delivered to the shared box, a flag changed by a
//! colleague from another computer and that colleague's expunge, as JSON lines with ids.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use relais_testkit::wire::{sasl_plain, tls_config, Imap, Smtp};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn relais(op: &Operator, profile: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relais"));
    cmd.arg("--profile")
        .arg(profile)
        .arg("--operator")
        .arg(op.profile());
    cmd
}

fn next_event(
    lines: &mpsc::Receiver<serde_json::Value>,
    what: &str,
    pick: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("no {what} line within 20 s"));
        let event = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {what} line within 20 s"));
        if pick(&event) {
            return event;
        }
    }
}

#[test]
fn relais_watch_prints_a_delivery_a_colleagues_flag_and_expunge_live() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("marie");
    let mut login = relais(&op, &profile)
        .args(["login", "--user", MARIE, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    login
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{DEMO_PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(login.wait().unwrap().success());

    let mut watch = relais(&op, &profile)
        .args(["watch", "--json", "--period", "600", "--for-seconds", "90"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let stderr = watch.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            println!("watch stderr: {line}");
        }
    });
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("watch: {line}");
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if tx.send(value).is_err() {
                break;
            }
        }
    });
    next_event(&lines, "synchronised", |e| e["type"] == "synchronised");
    std::thread::sleep(Duration::from_millis(700));

    // A letter delivered to the shared box.
    let mut smtp = Smtp::connect(op.submission_addr(), None).unwrap();
    smtp.ehlo().unwrap();
    smtp.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    smtp.ehlo().unwrap();
    smtp.authenticate("PLAIN", &sasl_plain("", PIERRE, DEMO_PASSWORD))
        .unwrap();
    let r = smtp
        .send_mail(
            PIERRE,
            &[SECRETARIAT],
            &format!(
                "From: {PIERRE}\r\nTo: {SECRETARIAT}\r\nSubject: watch\r\n\
                 Message-ID: <watch@relais.test>\r\n\r\nTexte.\r\n"
            ),
        )
        .unwrap();
    assert_eq!(r.code, 250);
    let added = next_event(&lines, "messages_added", |e| {
        e["type"] == "messages_added" && e["box_address"] == SECRETARIAT
    });
    let ids = added["ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 1, "{added}");
    let folder = added["folder_id"].clone();

    // Sophie, from her own computer, flags it then deletes it for good.
    let mut sophie = Imap::connect(op.imap_addr(), None).unwrap();
    sophie
        .starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(sophie
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, SOPHIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    assert!(sophie.command("SELECT INBOX").unwrap().ok());
    let found = sophie
        .command("UID SEARCH HEADER Message-ID watch@relais.test")
        .unwrap();
    let uid: u32 = found
        .untagged
        .iter()
        .find_map(|l| l.trim_start_matches("* ").strip_prefix("SEARCH "))
        .and_then(|u| u.trim().parse().ok())
        .unwrap_or_else(|| panic!("{:?}", found.untagged));
    assert!(sophie
        .command(&format!("UID STORE {uid} +FLAGS (\\Flagged)"))
        .unwrap()
        .ok());
    let changed = next_event(&lines, "messages_changed", |e| {
        e["type"] == "messages_changed" && e["folder_id"] == folder
    });
    assert_eq!(changed["ids"].as_array().unwrap(), &ids, "{changed}");
    assert!(sophie
        .command(&format!("UID STORE {uid} +FLAGS (\\Deleted)"))
        .unwrap()
        .ok());
    assert!(sophie.command(&format!("UID EXPUNGE {uid}")).unwrap().ok());
    let gone = next_event(&lines, "messages_expunged", |e| {
        e["type"] == "messages_expunged" && e["folder_id"] == folder
    });
    assert_eq!(gone["ids"].as_array().unwrap(), &ids, "{gone}");

    watch.kill().unwrap();
    watch.wait().unwrap();
}
