//! The store encrypted at rest (SQLCipher) and a full disk.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use relais_core::{Access, BoxAddress, BoxKind, Entitlement, Rights};
use relais_store::{FolderRole, NewMessage, Store, StoreError, StoreKey};

const CARDIO: &str = "secretariat.cardio@ch-demo.mssante.fr";
const CANARY: &str = "CANARI-corps-7f3a9e";

fn cardio() -> Entitlement {
    Entitlement {
        address: BoxAddress::parse(CARDIO).unwrap(),
        kind: BoxKind::Organisational,
        display_name: "Secrétariat de cardiologie".into(),
        rights: Rights::full(),
        access: Access::Delegated,
    }
}

fn key(byte: u8) -> StoreKey {
    StoreKey::from_bytes([byte; 32])
}

/// Fills a store with `n` messages whose subject and body hold the canary; returns how many
/// went in before an error (and the error).
fn fill(store: &mut Store, from: u32, n: u32, body_kb: usize) -> (u32, Option<StoreError>) {
    let inbox = store
        .upsert_folder(&cardio().address, "INBOX", Some(FolderRole::Inbox))
        .unwrap();
    let filler = "Compte rendu de coronarographie. ".repeat(body_kb * 1024 / 33 + 1);
    for uid in from..from + n {
        let ids = match store.insert_messages(
            inbox,
            &[NewMessage {
                uid,
                subject: format!("{CANARY} sujet {uid}"),
                date: 1_750_000_000 + i64::from(uid),
                ..NewMessage::default()
            }],
        ) {
            Ok(ids) => ids,
            Err(e) => return (uid - from, Some(e)),
        };
        let raw = format!("Subject: x\r\n\r\n{CANARY} {filler}");
        if let Err(e) = store.set_body(ids[0], raw.as_bytes(), &raw, 1_750_000_000) {
            return (uid - from, Some(e));
        }
    }
    (n, None)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file of `dir` (the store, its WAL and shared memory).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn the_encrypted_store_holds_no_clear_text_and_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relais.db");
    {
        let mut store = Store::open_encrypted(&path, &key(7)).unwrap();
        assert!(store.is_encrypted());
        store.upsert_boxes(&[cardio()]).unwrap();
        assert_eq!(fill(&mut store, 1, 50, 4).0, 50);
        // Checked while the WAL still holds the latest pages, then after the checkpoint.
        let mut scanned = 0;
        for file in files(dir.path()) {
            let bytes = std::fs::read(&file).unwrap();
            scanned += bytes.len();
            assert!(!contains(&bytes, CANARY.as_bytes()), "{}", file.display());
            assert!(!contains(&bytes, b"SQLite format 3"), "{}", file.display());
        }
        println!("encrypted store with its WAL open: {scanned} bytes scanned, no canary");
    }
    let mut scanned = 0;
    for file in files(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        scanned += bytes.len();
        assert!(!contains(&bytes, CANARY.as_bytes()), "{}", file.display());
    }
    println!("encrypted store closed: {scanned} bytes scanned, no canary");

    // The right key reads everything back; the file is sound.
    let store = Store::open_encrypted(&path, &key(7)).unwrap();
    let hits = store
        .search(&relais_store::SearchQuery::text("coronarographie"))
        .unwrap();
    assert_eq!(hits.len(), 50);
    assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
    drop(store);

    // Another key, or no key at all: refused, nothing read.
    assert!(matches!(
        Store::open_encrypted(&path, &key(8)),
        Err(StoreError::WrongKey)
    ));
    assert!(Store::open(&path).is_err(), "no key, no store");
    // The wrong tries did not damage it.
    let store = Store::open_encrypted(&path, &key(7)).unwrap();
    assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
}

#[test]
fn a_clear_text_store_is_not_opened_as_an_encrypted_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relais.db");
    {
        let mut store = Store::open(&path).unwrap();
        assert!(!store.is_encrypted());
        store.upsert_boxes(&[cardio()]).unwrap();
    }
    assert!(matches!(
        Store::open_encrypted(&path, &key(1)),
        Err(StoreError::WrongKey)
    ));
    // An earlier Relais' clear file is encrypted in place, nothing lost.
    {
        let mut store = Store::open(&path).unwrap();
        fill(&mut store, 1, 20, 1);
    }
    assert!(Store::encrypt_in_place(&path, &key(1)).unwrap());
    let store = Store::open_encrypted(&path, &key(1)).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        relais_store::SCHEMA_VERSION
    );
    assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
    let hits = store
        .search(&relais_store::SearchQuery::text("coronarographie"))
        .unwrap();
    assert_eq!(hits.len(), 20);
    drop(store);
    for file in files(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, CANARY.as_bytes()), "{}", file.display());
    }
    // Already encrypted: nothing to do.
    assert!(!Store::encrypt_in_place(&path, &key(1)).unwrap());
    // In memory (unit tests) stays as it was.
    assert!(!Store::open_in_memory().unwrap().is_encrypted());
}

/// Prints why the test is skipped; under `CI=true` a missing dependency fails it instead.
fn skipped(reason: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true and this test cannot run: {reason}");
    println!("SKIPPED: {reason}");
}

/// Mounts a tmpfs of `size` on `dir`; `None` (with the reason printed) where mounting is
/// refused (not root, no CAP_SYS_ADMIN).
pub fn small_disk(dir: &Path, size: &str) -> Option<()> {
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
fn a_full_disk_is_a_typed_error_and_leaves_the_store_sound() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    if small_disk(&disk, "2m").is_none() {
        return;
    }
    let path = disk.join("relais.db");
    let result = std::panic::catch_unwind(|| {
        let mut store = Store::open_encrypted(&path, &key(3)).unwrap();
        store.upsert_boxes(&[cardio()]).unwrap();
        let (stored, error) = fill(&mut store, 1, 10_000, 8);
        let error = error.expect("a 2 MB disk fills up");
        println!("disk full after {stored} messages: {error}");
        assert!(matches!(error, StoreError::DiskFull { .. }), "{error:?}");
        assert!(error.to_string().starts_with("Disque plein"), "{error}");
        drop(store);

        let store = Store::open_encrypted(&path, &key(3)).unwrap();
        assert_eq!(store.integrity_problems().unwrap(), Vec::<String>::new());
        let inbox = store
            .folder_by_role(&cardio().address, FolderRole::Inbox)
            .unwrap()
            .unwrap();
        let kept = store.count(inbox.id).unwrap();
        println!("reopened: integrity ok, {kept} messages kept");
        assert!(kept >= u64::from(stored), "{kept} < {stored}");
    });
    let _ = Command::new("umount").arg(&disk).status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// The person's audit journal (kept across sign-out): encrypted, opened only with its key,
/// and it takes over, once, the entries an earlier Relais wrote into the store.
#[test]
fn the_journal_is_encrypted_and_takes_the_stores_audit_entries_once() {
    use relais_core::NationalId;
    use relais_store::{AuditAction, AuditEntry, Journal};

    let dir = tempfile::tempdir().unwrap();
    let cardio = BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr").unwrap();
    let entry = |at: i64, action: AuditAction| AuditEntry {
        box_address: cardio.clone(),
        at,
        person: NationalId::parse("810100000041").unwrap(),
        action,
        request: "UID MOVE 42 \"Trash\"".into(),
        response: "OK Done".into(),
        ok: true,
    };
    let mut store = Store::open_encrypted(dir.path().join("relais.db"), &key(1)).unwrap();
    let now = 1_752_537_600_000;
    store
        .record(&entry(now - 2000, AuditAction::SignIn))
        .unwrap();
    store.record(&entry(now - 1000, AuditAction::Move)).unwrap();

    let path = dir.path().join("journal.db");
    let mut journal = Journal::open_encrypted(&path, &key(2)).unwrap();
    assert_eq!(journal.take_from(&mut store).unwrap(), 2);
    assert_eq!(journal.take_from(&mut store).unwrap(), 0, "taken once");
    assert!(store.audit(&cardio, 10).unwrap().is_empty());
    journal.record(&entry(now, AuditAction::SignOut)).unwrap();
    let actions: Vec<_> = journal
        .entries(&cardio, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(
        actions,
        [AuditAction::SignOut, AuditAction::Move, AuditAction::SignIn]
    );
    drop(journal);

    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    assert!(!bytes.windows(5).any(|w| w == b"Trash"));
    assert!(matches!(
        Journal::open_encrypted(&path, &key(1)),
        Err(StoreError::WrongKey)
    ));
    let journal = Journal::open_encrypted(&path, &key(2)).unwrap();
    assert_eq!(journal.entries(&cardio, 10).unwrap().len(), 3);
}
