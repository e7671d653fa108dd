//! Folders of a box against a real local operator: create (with an accent and a subfolder),
//! rename, delete, each seen by another client; refused without the rights (Karim reads the
//! secretariat but may not change it) and on the special folders.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use relais_core::BoxAddress;
use relais_engine::{Engine, EngineError, IdentityHint, ProfileDir};
use relais_store::FolderRole;
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn signed_in(op: &Operator, profile: &tempfile::TempDir, login: &str) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile.path()),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .unwrap();
    e.sign_in_password(login, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    e.sync(&[], &std::sync::atomic::AtomicBool::new(false))
        .unwrap();
    e
}

/// The secretariat's folder names as another client lists them.
fn server_folders(op: &Operator) -> Vec<String> {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, MARIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    let reply = imap.command("LIST \"\" \"*\"").unwrap();
    reply
        .untagged
        .iter()
        .filter_map(|l| {
            l.rsplit_once(' ')
                .map(|(_, n)| n.trim_matches('"').to_string())
        })
        .collect()
}

#[test]
fn folders_are_created_renamed_and_deleted_on_the_server_within_the_rights() {
    // Karim's refusal comes from his RFC 4314 rights: on a server that publishes them.
    let op = Operator::start(Options::full_imap()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    let box_ = addr(SECRETARIAT);

    let id = e.create_folder(&box_, "Classés").unwrap();
    let child = e.create_folder(&box_, "Classés/Cardiologie").unwrap();
    let listed = server_folders(&op);
    assert!(listed.contains(&"Class&AOk-s".to_string()), "{listed:?}");
    assert!(
        listed
            .iter()
            .any(|n| n.starts_with("Class&AOk-s") && n.ends_with("Cardiologie")),
        "{listed:?}"
    );
    assert_ne!(id, child);

    let renamed = e.rename_folder(id, "Archivés").unwrap();
    let listed = server_folders(&op);
    assert!(listed.contains(&"Archiv&AOk-s".to_string()), "{listed:?}");
    assert!(
        !listed.iter().any(|n| n.starts_with("Class&AOk-s")),
        "{listed:?}"
    );
    e.delete_folder(renamed).unwrap();
    let listed = server_folders(&op);
    assert!(
        !listed.iter().any(|n| n.starts_with("Archiv&AOk-s")),
        "{listed:?}"
    );

    // The special folders keep their names and stay.
    let sent = e
        .with_store(|s| s.folder_by_role(&box_, FolderRole::Sent))
        .unwrap()
        .unwrap();
    assert!(matches!(
        e.delete_folder(sent.id),
        Err(EngineError::SpecialFolder { .. })
    ));
    assert!(matches!(
        e.create_folder(&box_, "a//b"),
        Err(EngineError::InvalidFolderName { .. })
    ));

    // Karim reads the secretariat but may not create folders in it.
    let karim_profile = tempfile::tempdir().unwrap();
    let karim = signed_in(&op, &karim_profile, KARIM);
    let refused = karim.create_folder(&box_, "Personnel").unwrap_err();
    assert!(
        matches!(refused, EngineError::NotAllowed { .. }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("créer des dossiers"),
        "{refused}"
    );
}

/// « Courriers classés » as the server and the store name it (modified UTF-7).
const FILED: &str = "Courriers class&AOk-s";

/// The subjects of a folder of the secretariat, as the store lists them.
fn subjects(e: &Engine, folder: &str) -> Vec<String> {
    let page = e.folder_page(&addr(SECRETARIAT), folder, 0, 1000).unwrap();
    let mut subjects: Vec<String> = page.rows.into_iter().map(|r| r.summary.subject).collect();
    subjects.sort();
    subjects
}

/// The subjects of Marie's own inbox, as the store lists them.
fn own_subjects(e: &Engine) -> Vec<String> {
    let page = e.folder_page(&addr(MARIE), "INBOX", 0, 1000).unwrap();
    let mut subjects: Vec<String> = page.rows.into_iter().map(|r| r.summary.subject).collect();
    subjects.sort();
    subjects
}

#[test]
fn several_messages_move_into_a_new_folder_in_one_command_and_the_move_is_undone() {
    // Karim's refusal at the end comes from his RFC 4314 rights: on a server that publishes
    // them (tests/poor.rs moves and undoes without MOVE or UIDPLUS).
    let op = Operator::start(Options::full_imap()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    let box_ = addr(SECRETARIAT);
    let filed = e.create_folder(&box_, "Courriers classés").unwrap();

    let inbox_before = subjects(&e, "INBOX");
    let page = e.folder_page(&box_, "INBOX", 0, 2).unwrap();
    let chosen: Vec<_> = page.rows.iter().map(|r| r.summary.id).collect();
    let mut moved_subjects: Vec<String> = page
        .rows
        .iter()
        .map(|r| r.summary.subject.clone())
        .collect();
    moved_subjects.sort();
    assert_eq!(chosen.len(), 2);

    let receipt = e.move_messages(&chosen, filed).unwrap();
    assert_eq!(receipt.moved, 2);
    assert_eq!(receipt.moved_ids.len(), 2, "the destination was read again");
    assert_eq!(subjects(&e, FILED), moved_subjects);
    assert_eq!(subjects(&e, "INBOX").len(), inbox_before.len() - 2);
    // The server agrees: another client sees them in the new folder.
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, MARIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    let status = imap
        .command("STATUS \"Courriers class&AOk-s\" (MESSAGES)")
        .unwrap();
    assert!(
        status.untagged.iter().any(|l| l.contains("MESSAGES 2")),
        "{:?}",
        status.untagged
    );

    // Undo: both back in the inbox, the new folder empty.
    let back = e.undo_move(&receipt).unwrap();
    assert_eq!(back.moved, 2);
    assert_eq!(subjects(&e, "INBOX"), inbox_before);
    assert!(subjects(&e, FILED).is_empty());

    // One selection, one folder; one box.
    let inbox = e.folder_page(&box_, "INBOX", 0, 1).unwrap().rows[0]
        .summary
        .id;
    let elsewhere = e.folder_page(&box_, "Sent", 0, 1).unwrap();
    if let Some(sent) = elsewhere.rows.first() {
        assert!(matches!(
            e.move_messages(&[inbox, sent.summary.id], filed),
            Err(EngineError::MixedSelection)
        ));
    }
    // To another box of the same person: appended there with its flags, then expunged
    // here; undone the same way back.
    let own_inbox = e.find_folder(&addr(MARIE), "INBOX").unwrap().unwrap();
    let subject = e.with_store(|s| s.message(inbox).unwrap().unwrap().summary.subject);
    let own_before = own_subjects(&e);
    let across = e.move_messages(&[inbox], own_inbox.id).unwrap();
    assert_eq!(across.moved, 1);
    assert_eq!(across.moved_ids.len(), 1);
    assert!(
        !subjects(&e, "INBOX").contains(&subject),
        "left the secretariat"
    );
    assert!(own_subjects(&e).contains(&subject), "in Marie's own inbox");
    let back = e.undo_move(&across).unwrap();
    assert_eq!(back.moved, 1);
    assert_eq!(subjects(&e, "INBOX"), inbox_before);
    assert_eq!(own_subjects(&e), own_before, "Marie's inbox as before");

    // Karim may read the secretariat, not move its mail.
    let karim_profile = tempfile::tempdir().unwrap();
    let karim = signed_in(&op, &karim_profile, KARIM);
    let his = karim.folder_page(&box_, "INBOX", 0, 1).unwrap().rows[0]
        .summary
        .id;
    let his_filed = karim.find_folder(&box_, FILED).unwrap().unwrap();
    let refused = karim.move_messages(&[his], his_filed.id).unwrap_err();
    assert!(
        matches!(refused, EngineError::NotAllowed { .. }),
        "{refused}"
    );
}
