//! Secrets, the encrypted store, a full disk and kill -9, against the real local operator.
//!
//! - the password, the tokens, the store keys and a canary from a message body are found in no
//!   byte of the profile folders nor in the engine's output, only inside the encrypted store;
//!   sign-out removes the folders and the keyring entries;
//! - a lost store key gives the French notice and a cache rebuilt from the server;
//! - a full disk gives « Disque plein … », no panic, and a sound store afterwards;
//! - kill -9 during a 10,000-message sync and during the send of a large message: the store
//!   opens sound, a resync matches the server, the outbox row is delivered exactly once.
//!
//! The work whose output is checked, or that is killed, runs in a child process: this test
//! binary again, on an `#[ignore]`d test, chosen by `RELAIS_SECURITY_CHILD`.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, NationalId};
use relais_engine::{
    Compose, ComposeAttachment, Engine, EngineError, IdentityHint, ProfileDir, Recipient,
};
use relais_net::{Credentials, SecretStore};
use relais_store::{OutboxState, SearchQuery, Store, StoreError, StoreKey};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const CANARY: &str = "CANARI-7c41e2-corps-du-message";

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

fn marie(profile: &Path, operator: &Path) -> Engine {
    let e = open(profile, operator);
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

fn sync_all(e: &Engine) {
    for (b, r) in e.sync(&[], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

/// The store of a profile, opened as the engine does (key from the keyring).
fn store_of(profile: &Path) -> Store {
    ProfileDir::new(profile)
        .open_store(&SecretStore::new())
        .unwrap()
        .store
}

fn store_key_hex(profile: &Path) -> String {
    let id = ProfileDir::new(profile).folder_id().unwrap();
    SecretStore::new()
        .store_key(&id)
        .unwrap()
        .expect("store key")
}

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

/// `STATUS folder (MESSAGES)` on the server.
fn server_count(imap: &mut Imap, folder: &str) -> u64 {
    let r = imap
        .command(&format!("STATUS \"{folder}\" (MESSAGES)"))
        .unwrap();
    assert!(r.ok(), "STATUS {folder}: {}", r.text);
    r.untagged
        .iter()
        .find_map(|l| {
            let i = l.find("MESSAGES ")?;
            l[i + 9..]
                .trim_end_matches(')')
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap()
}

/// Every folder of Marie's box: the local count equals the server's.
fn assert_box_matches_server(op: &Operator, e: &Engine) -> u64 {
    let mut server = imap(op, MARIE, MARIE);
    let mut total = 0;
    let folders = e.with_store(|s| s.folders(&addr(MARIE)).unwrap());
    assert!(!folders.is_empty());
    for f in folders {
        let local = e.with_store(|s| s.count(f.id).unwrap());
        let remote = server_count(&mut server, &f.name);
        assert_eq!(local, remote, "folder {}", f.name);
        total += local;
    }
    total
}

fn by_message_id(imap: &mut Imap, folder: &str, id: &str) -> usize {
    assert!(imap.command(&format!("SELECT \"{folder}\"")).unwrap().ok());
    let r = imap
        .command(&format!("UID SEARCH HEADER Message-ID \"<{id}>\""))
        .unwrap();
    r.untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace())
        .count()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Dr Jacques LEROY <jacques.leroy@cardio-pau.mssante.fr>\r\nTo: {MARIE}\r\n\
         Subject: Compte rendu {i}\r\nDate: Mon, 16 Nov 2026 10:{:02}:00 +0100\r\n\
         Message-ID: <sec{i}@relais.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Compte rendu numéro {i} : échographie cardiaque, fraction d'éjection conservée. \
         Suivi dans six mois.\r\n",
        i % 60
    )
    .into_bytes()
}

fn child(name: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_work", "--exact", "--ignored", "--nocapture"])
        .env("RELAIS_SECURITY_CHILD", name)
        // Whatever logging a dependency might do, at its most talkative.
        .env("RUST_LOG", "trace")
        .env("RELAIS_LOG", "trace")
        .env("RUST_BACKTRACE", "1");
    cmd
}

fn var(name: &str) -> PathBuf {
    PathBuf::from(std::env::var(name).unwrap())
}

/// The child process: `session` (sign in twice, sync, send the canary), `sync` (a long sync
/// to be killed) or `send` (a large message to be killed).
#[test]
#[ignore = "run in a child process by the tests of this file"]
fn child_work() {
    let Ok(work) = std::env::var("RELAIS_SECURITY_CHILD") else {
        return;
    };
    let operator = var("RELAIS_OPERATOR_PROFILE");
    match work.as_str() {
        "session" => {
            // The engine's log at its most talkative, in the profile folder (scanned by the
            // parent like every other file).
            relais_engine::logs::init(&ProfileDir::new(var("RELAIS_PROFILE_A")).logs()).unwrap();
            let e = marie(&var("RELAIS_PROFILE_A"), &operator);
            sync_all(&e);
            let mut c = Compose::new(addr(MARIE));
            c.to.push(Recipient::new(addr(PIERRE)));
            c.subject = "Résultats du bilan".into();
            c.text = format!("Bonjour, voici le bilan. {CANARY}\n");
            let r = e.send(c).unwrap();
            assert_eq!(r.state, OutboxState::Done, "{r:?}");
            sync_all(&e);
            // The engine's own log, if any, goes to the output the parent reads.
            println!("sent {} ({:?})", r.message_id, r.state);

            let e2 = open(&var("RELAIS_PROFILE_B"), &operator);
            let session = e2.sign_in_ecps(Some("810100000041"), &|_| {}).unwrap();
            println!("e-CPS: {} box(es)", session.boxes.len());
            sync_all(&e2);
            // The access token lives in memory only: hand it to the parent outside the
            // profile folders (and never on the output being checked).
            let Credentials::Bearer { token } = e2.credentials().unwrap() else {
                panic!("an e-CPS session has a bearer token");
            };
            std::fs::write(var("RELAIS_TOKEN_FILE"), token).unwrap();
        }
        "sync" => {
            let e = open(&var("RELAIS_PROFILE_A"), &operator);
            sync_all(&e);
            println!("sync finished (should have been killed)");
        }
        "send" => {
            let e = open(&var("RELAIS_PROFILE_A"), &operator);
            let mut c = Compose::new(addr(MARIE));
            c.to.push(Recipient::new(addr(PIERRE)));
            c.subject = "Imagerie volumineuse".into();
            c.text = "Voici les images.".into();
            let mut bytes = vec![0u8; 6 * 1024 * 1024];
            let mut x: u32 = 99;
            for b in &mut bytes {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 16) as u8;
            }
            c.attachments.push(ComposeAttachment::Bytes {
                filename: "irm.bin".into(),
                content_type: None,
                bytes,
            });
            let r = e.send(c);
            println!("send finished (should have been killed): {r:?}");
        }
        other => panic!("unknown child work {other}"),
    }
}

#[test]
fn no_secret_nor_content_in_clear_in_the_profiles_or_the_output_and_sign_out_removes_all() {
    let started = Instant::now();
    let op = Operator::start(Options::tokens_on_imap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let token_file = dir.path().join("token");
    let out = child("session")
        .env("RELAIS_OPERATOR_PROFILE", op.profile())
        .env("RELAIS_PROFILE_A", &a)
        .env("RELAIS_PROFILE_B", &b)
        .env("RELAIS_TOKEN_FILE", &token_file)
        .output()
        .unwrap();
    let output = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    assert!(
        out.status.success(),
        "child: {}",
        String::from_utf8_lossy(&output)
    );

    // The secrets to look for.
    let secrets = SecretStore::new();
    // Who signed in lives in the encrypted stores: read it through the engine.
    let account_b = open(&b, &op.profile()).account_record().unwrap();
    let account_a = open(&a, &op.profile()).account_record().unwrap();
    let refresh = secrets
        .refresh_token(&account_b.profile_id, &account_b.login)
        .unwrap()
        .expect("the refresh token is in the keyring");
    let access = std::fs::read_to_string(&token_file).unwrap();
    let (key_a, key_b) = (store_key_hex(&a), store_key_hex(&b));
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("password", DEMO_PASSWORD.as_bytes().to_vec()),
        ("refresh token", refresh.as_bytes().to_vec()),
        ("access token", access.as_bytes().to_vec()),
        (
            "access token signature",
            access.rsplit('.').next().unwrap().as_bytes().to_vec(),
        ),
        ("store key A (hex)", key_a.as_bytes().to_vec()),
        ("store key B (hex)", key_b.as_bytes().to_vec()),
        ("store key A (raw)", hex_bytes(&key_a)),
        ("body canary", CANARY.as_bytes().to_vec()),
    ];

    // Every byte of both profile folders, before sign-out.
    let (mut files, mut bytes, mut log_bytes) = (0usize, 0usize, 0usize);
    let mut names = Vec::new();
    for file in walk(&a).into_iter().chain(walk(&b)) {
        let data = std::fs::read(&file).unwrap();
        for (what, needle) in &needles {
            assert!(
                !contains(&data, needle),
                "{what} in clear in {}",
                file.display()
            );
        }
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let in_journal = file.components().any(|c| c.as_os_str() == "journal");
        if name.starts_with("relais.db") || (in_journal && name.ends_with(".db")) {
            assert!(
                !data.starts_with(b"SQLite format 3"),
                "{name} is not encrypted"
            );
        } else {
            // Besides the store: the account, the folder id, the outbox's lock file and the
            // CRL cache (all scanned above).
            if file.components().any(|c| c.as_os_str() == "logs") {
                log_bytes += data.len();
            }
            if name == "signed-in.json" {
                // Who signed in is in the encrypted store, not beside it.
                for personal in [&b"marie.martin"[..], b"MARTIN", b"810100000041"] {
                    assert!(
                        !contains(&data, personal),
                        "personal data in {}",
                        file.display()
                    );
                }
            }
            // The audit journal's salt: random, nothing personal (its name neither).
            if in_journal {
                assert!(!contains(name.as_bytes(), b"10100000041"), "{name}");
            }
            assert!(
                ["signed-in.json", "profile-id", "outbox.lock"].contains(&name.as_str())
                    || (in_journal && name == "salt")
                    || file
                        .components()
                        .any(|c| c.as_os_str() == "crl" || c.as_os_str() == "logs"),
                "unexpected file {}",
                file.display()
            );
        }
        names.push(name);
        files += 1;
        bytes += data.len();
    }
    // The log at trace level was written (so the scan above could have found a leak in it).
    assert!(
        log_bytes > 1000,
        "the engine's log is nearly empty: {log_bytes} bytes"
    );
    println!("engine log at trace: {log_bytes} bytes, no secret nor canary");
    names.sort();
    names.dedup();
    println!("profile folders: {files} files, {bytes} bytes scanned ({names:?}), no secret nor canary in clear");

    // The engine's output: no secret, no content.
    for (what, needle) in &needles {
        assert!(!contains(&output, needle), "{what} in the engine's output");
    }
    println!(
        "engine output (stdout + stderr): {} bytes scanned, no secret nor canary",
        output.len()
    );

    // The canary is really there, inside the encrypted store (the scan could have found it).
    let hits = store_of(&a)
        .search(&SearchQuery::text(CANARY))
        .unwrap()
        .len();
    assert!(hits >= 1, "the canary is in the encrypted store");
    println!("the canary is in {hits} message(s) of the encrypted store");

    // Sign-out: the folders and every keyring entry go, but the audit journals (ECO.4.1.1:
    // six months across sign-out; encrypted, checked above).
    let (id_a, id_b) = (
        ProfileDir::new(&a).folder_id().unwrap(),
        ProfileDir::new(&b).folder_id().unwrap(),
    );
    open(&a, &op.profile()).sign_out().unwrap();
    open(&b, &op.profile()).sign_out().unwrap();
    for folder in [&a, &b] {
        let left: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["journal"], "only the audit journal is left");
    }
    assert_eq!(
        secrets
            .password(&account_a.profile_id, &account_a.login)
            .unwrap(),
        None
    );
    assert_eq!(
        secrets
            .refresh_token(&account_b.profile_id, &account_b.login)
            .unwrap(),
        None
    );
    assert_eq!(secrets.store_key(&id_a).unwrap(), None);
    assert_eq!(secrets.store_key(&id_b).unwrap(), None);
    println!(
        "signed out: folders (but the audit journal) and keyring entries gone ({:?})",
        started.elapsed()
    );
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn a_lost_store_key_gives_the_french_notice_and_the_cache_is_rebuilt() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p");
    let e = marie(&profile, &op.profile());
    sync_all(&e);
    assert!(e.store_notice().is_none());
    drop(e);

    // The keyring loses the store key (a reboot with the kernel keyring, a reset keyring).
    let id = ProfileDir::new(&profile).folder_id().unwrap();
    let secrets = SecretStore::new();
    let password = secrets
        .password(
            &ProfileDir::new(&profile)
                .sign_in_record()
                .unwrap()
                .unwrap()
                .profile_id,
            MARIE,
        )
        .unwrap();
    secrets.delete_all(&id).unwrap();
    let ended = Arc::new(AtomicU32::new(0));
    let seen = ended.clone();
    let e = Engine::open(
        ProfileDir::new(&profile),
        Some(&op.profile()),
        Arc::new(move |ev| {
            if matches!(ev, relais_engine::Event::SessionEnded { .. }) {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }),
    )
    .expect("the engine opens on a new store");
    let notice = e.store_notice().unwrap().to_string();
    println!("notice: {notice}");
    assert!(notice.starts_with(
        "Le cache local est chiffré et sa clé est introuvable dans le trousseau : \
         reconnectez-vous ; le cache sera reconstruit depuis le serveur."
    ));
    assert_eq!(ended.load(Ordering::SeqCst), 1, "the UI is told");
    assert!(
        profile.join("relais.db.illisible").exists(),
        "kept aside, not wiped"
    );
    assert!(e.boxes().unwrap().is_empty(), "a new, empty store");
    // Reconnect: the cache is rebuilt from the server.
    drop(e);
    assert!(password.is_some());
    let e = marie(&profile, &op.profile());
    sync_all(&e);
    let total = assert_box_matches_server(&op, &e);
    println!("rebuilt from the server: {total} messages in Marie's box");
    // Next start: the new key opens it, no notice.
    drop(e);
    assert!(open(&profile, &op.profile()).store_notice().is_none());
}

/// Prints why the test is skipped; under `CI=true` a missing dependency fails it instead.
fn skipped(reason: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true and this test cannot run: {reason}");
    println!("SKIPPED: {reason}");
}

/// Mounts a tmpfs of `size` on `dir`; `None` (reason printed) where mounting is refused.
fn small_disk(dir: &Path, size: &str) -> Option<()> {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(()),
        Ok(o) => {
            skipped(&format!(
                "cannot mount a tmpfs ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
            None
        }
        Err(e) => {
            skipped(&format!("cannot run mount ({e})"));
            None
        }
    }
}

#[test]
fn a_full_disk_gives_a_french_error_and_a_sound_store() {
    let op = Operator::start(Options::default()).unwrap();
    op.seed_maildir(MARIE, "INBOX", (0..6_000).map(|i| (message(i), "")))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("disk");
    std::fs::create_dir(&profile).unwrap();
    if small_disk(&profile, "2m").is_none() {
        return;
    }
    let result = std::panic::catch_unwind(|| {
        let e = marie(&profile, &op.profile());
        let started = Instant::now();
        let results = e.sync(&[addr(MARIE)], &AtomicBool::new(false)).unwrap();
        let error = results
            .into_iter()
            .find_map(|(_, r)| r.err())
            .expect("a 2 MB disk fills up");
        println!("disk full after {:?}: {error}", started.elapsed());
        assert!(
            matches!(error, EngineError::Store(StoreError::DiskFull { .. })),
            "{error:?}"
        );
        assert!(error.to_string().starts_with("Disque plein"), "{error}");
        let kept = e.with_store(|s| {
            let inbox = s
                .folder_by_role(&addr(MARIE), relais_store::FolderRole::Inbox)
                .unwrap()
                .unwrap();
            s.count(inbox.id).unwrap()
        });
        drop(e);

        // Reopened on the still-full disk: sound, nothing lost.
        let store = store_of(&profile);
        assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
        let inbox = store
            .folder_by_role(&addr(MARIE), relais_store::FolderRole::Inbox)
            .unwrap()
            .unwrap();
        assert_eq!(store.count(inbox.id).unwrap(), kept);
        drop(store);
        println!("reopened on the full disk: integrity ok, {kept} messages kept");

        // Room again: the sync completes and matches the server.
        let remount = Command::new("mount")
            .args(["-o", "remount,size=256m"])
            .arg(&profile)
            .status()
            .unwrap();
        assert!(remount.success());
        let e = open(&profile, &op.profile());
        sync_all(&e);
        let total = assert_box_matches_server(&op, &e);
        assert!(e.with_store(|s| s.integrity_problems().unwrap()).is_empty());
        println!("after freeing space: {total} messages, matching the server");
    });
    let _ = Command::new("umount").arg(&profile).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn kill_9_during_a_ten_thousand_message_sync_then_restart() {
    let op = Operator::start(Options::default()).unwrap();
    op.seed_maildir(MARIE, "INBOX", (0..10_000).map(|i| (message(i), "")))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p");
    drop(marie(&profile, &op.profile()));

    let started = Instant::now();
    let mut c = child("sync")
        .env("RELAIS_OPERATOR_PROFILE", op.profile())
        .env("RELAIS_PROFILE_A", &profile)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once a good part, not all, is stored (the store is read while the child writes).
    let store = store_of(&profile);
    let inbox_count = |s: &Store| {
        s.folder_by_role(&addr(MARIE), relais_store::FolderRole::Inbox)
            .ok()
            .flatten()
            .map(|f| s.count(f.id).unwrap_or(0))
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = inbox_count(&store);
        if n >= 2_000 {
            break;
        }
        assert!(c.try_wait().unwrap().is_none(), "the child ended early");
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    c.kill().unwrap(); // SIGKILL
    let status = c.wait().unwrap();
    let at_kill = inbox_count(&store);
    drop(store);
    assert!(!status.success());
    println!(
        "killed -9 after {:?}, {at_kill} of 10,000+ messages stored",
        started.elapsed()
    );
    assert!(at_kill < 10_000, "killed mid-way");

    let restarted = Instant::now();
    let e = open(&profile, &op.profile());
    assert!(e.store_notice().is_none());
    assert!(e.with_store(|s| s.integrity_problems().unwrap()).is_empty());
    sync_all(&e);
    let total = assert_box_matches_server(&op, &e);
    println!(
        "restart: integrity ok, resync to {total} messages matching the server in {:?}",
        restarted.elapsed()
    );
}

/// A proxy to the submission server that SIGKILLs `pid` once `limit` bytes went to the
/// server (in the middle of DATA), then cuts.
fn killing_proxy(op: &Operator, limit: u64, pid: Arc<AtomicU32>) -> u16 {
    let listener = TcpListener::bind((op.host(), 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = op.submission_addr();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let mut server = TcpStream::connect(upstream).unwrap();
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
            });
            let sent = AtomicU64::new(0);
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match client.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if sent.fetch_add(n as u64, Ordering::SeqCst) + n as u64 > limit {
                    let p = pid.load(Ordering::SeqCst);
                    let _ = Command::new("kill").args(["-9", &p.to_string()]).status();
                    std::thread::sleep(Duration::from_millis(200));
                    let _ = server.shutdown(std::net::Shutdown::Both);
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    break;
                }
                if server.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn kill_9_during_the_send_of_a_large_message_then_restart() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p");
    let e = marie(&profile, &op.profile());
    sync_all(&e);
    drop(e);

    // The same operator profile, with submission through the killing proxy.
    let pid = Arc::new(AtomicU32::new(0));
    let port = killing_proxy(&op, 2 * 1024 * 1024, pid.clone());
    let text = std::fs::read_to_string(op.profile()).unwrap();
    let real = op.submission_addr().port();
    let text = text
        .replace(&format!("port = {real}"), &format!("port = {port}"))
        .replace(
            "\"pki/roots.pem\"",
            &format!("{:?}", op.trust_anchors().display().to_string()),
        );
    let via_proxy = dir.path().join("operator-proxy.toml");
    std::fs::write(&via_proxy, text).unwrap();

    let started = Instant::now();
    let mut c = child("send")
        .env("RELAIS_OPERATOR_PROFILE", &via_proxy)
        .env("RELAIS_PROFILE_A", &profile)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    pid.store(c.id(), Ordering::SeqCst);
    let status = c.wait().unwrap();
    assert!(!status.success(), "the child was killed");
    println!(
        "killed -9 in the middle of DATA after {:?}",
        started.elapsed()
    );

    let restarted = Instant::now();
    let e = open(&profile, &op.profile());
    assert!(e.with_store(|s| s.integrity_problems().unwrap()).is_empty());
    let row = e
        .outbox()
        .unwrap()
        .into_iter()
        .find(|r| r.subject == "Imagerie volumineuse")
        .expect("the outbox row survived kill -9");
    assert_eq!(row.state, OutboxState::Submitting);
    let outcomes = e.retry_outbox(now()).unwrap();
    let o = outcomes.iter().find(|o| o.id == row.id).unwrap();
    assert_eq!(o.state, OutboxState::Done, "{o:?}");

    // Exactly one delivered copy and one Sent copy.
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivered = loop {
        let n = by_message_id(&mut imap(&op, PIERRE, PIERRE), "INBOX", &row.message_id);
        if n > 0 || Instant::now() > deadline {
            std::thread::sleep(Duration::from_millis(1500));
            break by_message_id(&mut imap(&op, PIERRE, PIERRE), "INBOX", &row.message_id);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let sent = by_message_id(&mut imap(&op, MARIE, MARIE), "Sent", &row.message_id);
    println!(
        "restart: integrity ok, outbox row {:?} retried: {delivered} delivered, {sent} in Sent, {:?}",
        row.state,
        restarted.elapsed()
    );
    assert_eq!(delivered, 1, "exactly one delivered copy");
    assert_eq!(sent, 1, "exactly one Sent copy");
    sync_all(&e);
    let total = assert_box_matches_server(&op, &e);
    println!("resync: {total} messages matching the server");
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn the_store_key_is_random_per_profile_and_only_in_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (sa, sb) = (store_of(&a), store_of(&b));
    assert!(sa.is_encrypted() && sb.is_encrypted());
    drop((sa, sb));
    let (ka, kb) = (store_key_hex(&a), store_key_hex(&b));
    assert_ne!(ka, kb);
    assert!(StoreKey::from_hex(&ka).is_some(), "256 bits in hex");
    for file in walk(&a) {
        let data = std::fs::read(&file).unwrap();
        assert!(!contains(&data, ka.as_bytes()) && !contains(&data, &hex_bytes(&ka)));
    }
    // Reopening uses the same key.
    drop(store_of(&a));
    assert_eq!(store_key_hex(&a), ka);
    for p in [&a, &b] {
        let id = ProfileDir::new(p).folder_id().unwrap();
        SecretStore::new().delete_all(&id).unwrap();
    }
}
