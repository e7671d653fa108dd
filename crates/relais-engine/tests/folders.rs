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
    let op = Operator::start(Options::default()).unwrap();
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
