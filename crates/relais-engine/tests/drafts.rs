//! Drafts as the window reaches them, against the real local operator (Dovecot + Postfix):
//! a draft of the Drafts folder reopened (the person's own, tied to the same local draft),
//! sent through the composer's path (its server copy goes), drafts kept only on this
//! computer listed and thrown away. Server state is read with a raw IMAP client.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::atomic::AtomicBool;

use relais_core::{BoxAddress, NationalId};
use relais_engine::{
    BoxSettings, Compose, Engine, EngineError, IdentityHint, ProfileDir, Recipient, SendError,
};
use relais_store::FolderRole;
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn marie(op: &Operator, profile: &Path) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens");
    e.sign_in_password(
        MARIE,
        DEMO_PASSWORD,
        &IdentityHint {
            given_name: Some("Marie".into()),
            family_name: Some("MARTIN".into()),
            profession: None,
            national_id: Some(NationalId::parse("810100000041").unwrap()),
        },
    )
    .expect("sign-in");
    e.set_box_settings(
        &addr(SECRETARIAT),
        BoxSettings {
            display_name: Some("Secrétariat de cardiologie".into()),
            ..BoxSettings::default()
        },
    )
    .unwrap();
    e
}

fn sync(e: &Engine) {
    for (b, r) in e
        .sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()
    {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

/// The rows of the secretariat's `role` folder whose subject contains `subject`.
fn rows(e: &Engine, role: FolderRole, subject: &str) -> Vec<relais_store::MessageSummary> {
    e.with_store(|s| {
        let f = s.folder_by_role(&addr(SECRETARIAT), role).unwrap().unwrap();
        s.list(f.id, 0, 500)
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains(subject))
            .collect()
    })
}

/// How many messages of the secretariat's Drafts folder on the server have `word` in their
/// subject, seen by a raw IMAP client.
fn server_drafts(op: &Operator, word: &str) -> usize {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    let r = imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, MARIE, DEMO_PASSWORD))
        .unwrap();
    assert!(r.ok(), "login: {}", r.text);
    assert!(imap.command("SELECT Drafts").unwrap().ok());
    let found = imap
        .command(&format!("UID SEARCH SUBJECT \"{word}\""))
        .unwrap();
    found
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace())
        .count()
}

#[test]
fn a_draft_of_the_drafts_folder_is_reopened_and_sent_and_a_local_one_thrown_away() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());

    // Written, closed (« Fermer (brouillon conservé) »): a local draft and its server copy.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Courrier Lambert".into();
    c.text = "Cher confrère,\n\nVoici le courrier.".into();
    let saved = e.save_draft(&c).unwrap();
    assert!(saved.server_uid.is_some(), "{saved:?}");
    assert_eq!(server_drafts(&op, "Lambert"), 1);
    sync(&e);
    let listed = rows(&e, FolderRole::Drafts, "Courrier Lambert");
    assert_eq!(listed.len(), 1, "the Drafts folder lists it");
    assert!(
        e.local_drafts(&addr(SECRETARIAT)).unwrap().is_empty(),
        "a draft on the server is not listed again as local"
    );

    // « Reprendre le brouillon »: the same local draft, not a copy.
    let reopened = e.open_draft(listed[0].id).unwrap();
    assert_eq!(reopened, saved.id);
    let mut c = e.draft_compose(reopened).unwrap();
    assert_eq!(c.text, "Cher confrère,\n\nVoici le courrier.");
    assert_eq!(c.to.len(), 1);

    // Sent from the composer (its path: `send` with the draft), not `send_draft`.
    c.text.push_str("\nBien confraternellement.");
    let receipt = e.send(c).unwrap();
    assert!(!receipt.message_id.is_empty());
    assert!(e.with_store(|s| s.draft(saved.id).unwrap()).is_none());
    assert_eq!(
        server_drafts(&op, "Lambert"),
        0,
        "the server copy goes with the send"
    );
    assert!(
        rows(&e, FolderRole::Drafts, "Courrier Lambert").is_empty(),
        "the window's list drops it at once"
    );
    sync(&e);
    assert!(rows(&e, FolderRole::Drafts, "Courrier Lambert").is_empty());
    assert_eq!(rows(&e, FolderRole::Sent, "Courrier Lambert").len(), 1);

    // A message of another folder is no draft.
    let sent = rows(&e, FolderRole::Sent, "Courrier Lambert");
    assert!(matches!(
        e.open_draft(sent[0].id),
        Err(SendError::NotADraft)
    ));

    // No recipient yet: kept on this computer only, listed, then thrown away.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.subject = "Note sans destinataire".into();
    let local = e.save_draft(&c).unwrap();
    assert!(local.server_uid.is_none());
    let listed = e.local_drafts(&addr(SECRETARIAT)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, local.id);
    e.discard_draft(local.id).unwrap();
    assert!(e.local_drafts(&addr(SECRETARIAT)).unwrap().is_empty());

    // Thrown away with its server copy.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Courrier Morel".into();
    let kept = e.save_draft(&c).unwrap();
    assert_eq!(server_drafts(&op, "Morel"), 1);
    e.discard_draft(kept.id).unwrap();
    assert_eq!(server_drafts(&op, "Morel"), 0);
    assert!(matches!(
        e.discard_draft(kept.id),
        Err(SendError::UnknownDraft(_))
    ));
    assert!(matches!(
        e.open_draft(relais_store::MessageId(i64::MAX)),
        Err(SendError::Engine(EngineError::UnknownMessage))
    ));
}
