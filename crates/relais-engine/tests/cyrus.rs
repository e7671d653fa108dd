//! Cyrus IMAP 3.6, as an operator running Cyrus configures it (issue 18, "Done when"): a
//! person entitled to a service box only through the "Other Users" shared namespace (RFC
//! 2342) — no mailbox of her own, no `a` right, so no delegated login — sees exactly the box
//! she is entitled to, with her rights, syncs it, finds each message once in search, and
//! sends from it with her authorship. Always against Cyrus, whatever `RELAIS_IMAP` says:
//! Dovecot has no such person (it refuses a login without a mailbox).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use relais_core::{Access, BoxAddress, BoxKind, NationalId};
use relais_engine::{Compose, Engine, IdentityHint, ProfileDir, Recipient};
use relais_mail::MessageDisplay;
use relais_store::{FolderRole, OutboxState, SearchQuery};
use relais_testkit::wire::{sasl_plain, tls_config, Imap as Wire};
use relais_testkit::{Imap, Operator, Options, DEMO_PASSWORD};

/// Aide-soignant at the EHPAD: an operator login without a domain, no mailbox, rights
/// `lrwstipekx` (no `a`) on the EHPAD's box, which is in another domain than his login's.
const JULIEN: &str = "julien.lemaire";
/// Infirmière coordinatrice: her own box, and the `a` right on the EHPAD's box.
const ISABELLE: &str = "isabelle.fontaine@ehpad-tilleuls.mssante.fr";
const ACCUEIL: &str = "accueil@ehpad-tilleuls.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn signed_in(op: &Operator, dir: &tempfile::TempDir, login: &str, hint: IdentityHint) -> Engine {
    let e = Engine::open(
        ProfileDir::new(dir.path()),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens");
    e.sign_in_password(login, DEMO_PASSWORD, &hint)
        .unwrap_or_else(|err| panic!("{login} signs in: {err}"));
    e
}

fn sync(e: &Engine, box_: &str) {
    for (b, r) in e.sync(&[addr(box_)], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

/// Every hit of `text` in the engine's store: (box, folder, subject).
fn hits(e: &Engine, text: &str) -> Vec<(String, String, String)> {
    e.with_store(|s| {
        s.search(&SearchQuery {
            text: text.into(),
            limit: 50,
            ..Default::default()
        })
        .unwrap()
    })
    .into_iter()
    .map(|m| {
        let folder = e.with_store(|s| {
            s.folders(&m.box_address)
                .unwrap()
                .into_iter()
                .find(|f| f.id == m.folder_id)
                .map(|f| f.name)
                .unwrap_or_default()
        });
        (m.box_address.to_string(), folder, m.subject)
    })
    .collect()
}

const SUBJECT: &str = "Transmission ciboulette pour l'équipe de nuit";

fn hit(box_: &str, folder: &str) -> (String, String, String) {
    (box_.to_string(), folder.to_string(), SUBJECT.to_string())
}

/// A raw IMAP session of Isabelle on `mailbox` (her own box, or the EHPAD's delegated).
fn isabelle_raw(op: &Operator, mailbox: &str) -> Wire {
    let mut imap = Wire::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    let authzid = if mailbox == ISABELLE { "" } else { mailbox };
    let r = imap
        .authenticate("PLAIN", &sasl_plain(authzid, ISABELLE, DEMO_PASSWORD))
        .unwrap();
    assert!(r.ok(), "Isabelle on {mailbox}: {}", r.text);
    imap
}

/// The raw messages of `folder` (in `mailbox`, read by Isabelle) whose Message-ID is `id`,
/// waiting up to 20 s for the first.
fn arrived(op: &Operator, mailbox: &str, folder: &str, id: &str) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut imap = isabelle_raw(op, mailbox);
        assert!(imap.command(&format!("SELECT \"{folder}\"")).unwrap().ok());
        let r = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"<{id}>\""))
            .unwrap();
        let uids: Vec<String> = r
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(str::to_string))
            .collect();
        if !uids.is_empty() {
            return uids
                .iter()
                .map(|uid| {
                    let r = imap
                        .command(&format!("UID FETCH {uid} BODY.PEEK[]"))
                        .unwrap();
                    r.literals.into_iter().next().unwrap_or_default()
                })
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {mailbox}/{folder}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_person_without_mailbox_or_admin_right_works_in_the_box_through_other_users() {
    let op = Operator::start(Options {
        imap: Imap::Cyrus,
        ..Options::default()
    })
    .unwrap();

    // Julien: exactly the EHPAD's box, reached through "Other Users" with his rights.
    let julien_dir = tempfile::tempdir().unwrap();
    let julien = signed_in(
        &op,
        &julien_dir,
        JULIEN,
        IdentityHint {
            given_name: Some("Julien".into()),
            family_name: Some("LEMAIRE".into()),
            profession: Some("Aide-soignant".into()),
            national_id: None,
        },
    );
    let person = julien.person().unwrap();
    assert_eq!(person.own_box, None, "no phantom own box");
    let boxes = julien.boxes().unwrap();
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    let accueil = &boxes[0];
    assert_eq!(accueil.address, addr(ACCUEIL));
    assert_eq!(accueil.kind, BoxKind::Organisational);
    assert_eq!(
        accueil.access,
        Access::SharedNamespace {
            prefix: format!("Other Users/{ACCUEIL}/"),
            inbox: Some(format!("Other Users/{ACCUEIL}")),
        }
    );
    assert!(
        "lrswipkxte".chars().all(|r| accueil.rights.contains(r)),
        "{:?}",
        accueil.rights
    );
    assert!(!accueil.rights.contains('a'), "{:?}", accueil.rights);
    assert!(accueil.rights.can_send() && accueil.rights.can_delete());

    // Isabelle (her own box, the EHPAD's box delegated with `a`) writes to the EHPAD's box.
    let isabelle_dir = tempfile::tempdir().unwrap();
    let isabelle = signed_in(
        &op,
        &isabelle_dir,
        ISABELLE,
        IdentityHint {
            national_id: Some(NationalId::parse("0640000012").unwrap()),
            ..IdentityHint::default()
        },
    );
    let mut c = Compose::new(addr(ISABELLE));
    c.to.push(Recipient::new(addr(ACCUEIL)));
    c.subject = SUBJECT.into();
    c.text = "Bonjour,\n\nMme LAMBERT a bien dormi.".into();
    let r = isabelle.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Done, "{r:?}");
    arrived(&op, ACCUEIL, "INBOX", &r.message_id);

    // Julien syncs the box: the message is in its INBOX (the owner level on Cyrus), found
    // once by search, in the EHPAD's box.
    sync(&julien, ACCUEIL);
    let inbox = julien.with_store(|s| s.folder_by_role(&addr(ACCUEIL), FolderRole::Inbox).unwrap());
    let inbox = inbox.expect("the EHPAD's INBOX is synced");
    assert_eq!(inbox.name, "INBOX");
    assert_eq!(hits(&julien, "ciboulette"), vec![hit(ACCUEIL, "INBOX")]);

    // Isabelle's own box lists "Other Users/accueil…" beside her folders: her own box's sync
    // copies none of it: the message is found once in the EHPAD's box (and once in her own
    // Sent folder, as she wrote it).
    for (b, r) in isabelle.sync(&[], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
    let mut found = hits(&isabelle, "ciboulette");
    found.sort();
    assert_eq!(found, vec![hit(ACCUEIL, "INBOX"), hit(ISABELLE, "Sent")]);
    let own_folders = isabelle.with_store(|s| s.folders(&addr(ISABELLE)).unwrap());
    assert!(
        own_folders.iter().all(|f| !f.name.contains("Other Users")),
        "{:?}",
        own_folders.iter().map(|f| &f.name).collect::<Vec<_>>()
    );

    // Julien answers from the EHPAD's box: delivered to Isabelle with his authorship, and
    // the box's Sent copy written through "Other Users".
    let mut c = Compose::new(addr(ACCUEIL));
    c.to.push(Recipient::new(addr(ISABELLE)));
    c.subject = "Re: Transmission ciboulette".into();
    c.text = "Bien noté, merci.".into();
    let r = julien.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Done, "{r:?}");
    let got = arrived(&op, ISABELLE, "INBOX", &r.message_id);
    assert_eq!(got.len(), 1);
    let shown = MessageDisplay::from_raw(&got[0]);
    assert_eq!(shown.from.as_ref().unwrap().address, ACCUEIL);
    assert_eq!(
        shown.author.as_ref().map(|a| a.display_name()),
        Some("Julien LEMAIRE")
    );
    assert_eq!(arrived(&op, ACCUEIL, "Sent", &r.message_id).len(), 1);

    // e-CPS: this Cyrus takes no token on IMAP (Debian's Cyrus SASL has no XOAUTH2 or
    // OAUTHBEARER server mechanism). The sign-in says so in French and opens nothing.
    let ecps_dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        ProfileDir::new(ecps_dir.path()),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .unwrap();
    let err = e.sign_in_ecps(Some("0640000012"), &|_| {}).unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("ne propose pas la méthode d'authentification XOAUTH2"),
        "{said}"
    );
    assert!(e.boxes().unwrap().is_empty());
}
