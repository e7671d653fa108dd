//! MSSanté conformity rules checked on the engine's own paths, against the real local
//! operator (docs/conformity.md names these tests).
//!
//! ECO.2.2.6: whatever way a `patient.mssante.fr` address reaches a message (typed in To, Cc
//! or Bcc, a reply, a reply to all, a forward, a draft reopened), the send path checks its
//! matricule INS (format and key) and the one-patient-per-message rule; professionals beside
//! the patient are fine. Nothing is queued when the rule is broken.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, NationalId, PolicyError};
use relais_engine::{
    BoxSettings, Compose, Engine, IdentityHint, ProfileDir, ReadReceiptState, Recipient, SendError,
};
use relais_mail::ComposeError;
use relais_store::{AuditAction, FolderRole, MessageSummary};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const DUBOIS: &str = "285036444512379@patient.mssante.fr";
/// Another patient, valid INS.
const GARCIA: &str = "162027505607848@patient.mssante.fr";
/// A typo in Dubois' matricule: the key no longer matches.
const TYPO: &str = "285036444512378@patient.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn to(a: &str) -> Recipient {
    Recipient::new(addr(a))
}

fn marie(op: &Operator, profile: &Path) -> Engine {
    signed_in(op, profile, MARIE, "Marie", "MARTIN", "810100000041")
}

fn signed_in(
    op: &Operator,
    profile: &Path,
    login: &str,
    given: &str,
    family: &str,
    national_id: &str,
) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens");
    e.sign_in_password(
        login,
        DEMO_PASSWORD,
        &IdentityHint {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            profession: None,
            national_id: Some(NationalId::parse(national_id).unwrap()),
        },
    )
    .expect("sign-in");
    e
}

fn raw_imap(op: &Operator, login: &str) -> Imap {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    let r = imap
        .authenticate("PLAIN", &sasl_plain("", login, DEMO_PASSWORD))
        .unwrap();
    assert!(r.ok(), "login {login}: {}", r.text);
    imap
}

/// The one message `id` delivered to `mailbox`'s inbox, raw (waits for it).
fn delivered(op: &Operator, mailbox: &str, id: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut imap = raw_imap(op, mailbox);
        assert!(imap.command("SELECT INBOX").unwrap().ok());
        let r = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"<{id}>\""))
            .unwrap();
        let uid = r
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(str::to_string))
            .next();
        if let Some(uid) = uid {
            let r = imap
                .command(&format!("UID FETCH {uid} BODY.PEEK[]"))
                .unwrap();
            return r.literals.into_iter().next().unwrap();
        }
        assert!(Instant::now() < deadline, "{id} not delivered to {mailbox}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Put a raw message into Marie's inbox (as if a patient had written), with LITERAL+.
fn deliver_raw(op: &Operator, raw: &str) {
    let mut imap = raw_imap(op, MARIE);
    let r = imap
        .command(&format!("APPEND INBOX {{{}+}}\r\n{raw}", raw.len()))
        .unwrap();
    assert!(r.ok(), "APPEND: {}", r.text);
}

fn inbox_message(e: &Engine, subject: &str) -> MessageSummary {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for (b, r) in e.sync(&[addr(MARIE)], &AtomicBool::new(false)).unwrap() {
            r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
        }
        let found = e.with_store(|s| {
            let f = s
                .folder_by_role(&addr(MARIE), FolderRole::Inbox)
                .unwrap()
                .unwrap();
            s.list(f.id, 0, 500)
                .unwrap()
                .into_iter()
                .find(|m| m.subject.contains(subject))
        });
        if let Some(m) = found {
            return m;
        }
        assert!(Instant::now() < deadline, "no « {subject} » in the inbox");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The send is refused by the patient rule, with its French message, and nothing is queued.
fn refused_by_patient_rule(e: &Engine, c: Compose, path: &str) -> PolicyError {
    let err = e.send(c).expect_err(path);
    let SendError::Compose(ComposeError::Policy(policy)) = &err else {
        panic!("{path}: not the patient rule: {err:?}");
    };
    assert!(
        matches!(
            policy,
            PolicyError::InvalidPatientAddress { .. } | PolicyError::SeveralPatients { .. }
        ),
        "{path}: {policy:?}"
    );
    assert!(e.outbox().unwrap().is_empty(), "{path}: nothing queued");
    println!("{path}: {err}");
    policy.clone()
}

#[test]
fn eco_2_2_6_the_patient_rule_holds_on_every_path() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());

    // Typed (or pasted) in To, Cc and Bcc: a matricule whose key does not match is refused,
    // saying so in French.
    for field in ["To", "Cc", "Bcc"] {
        let mut c = Compose::new(addr(MARIE));
        c.to.push(to(PIERRE));
        let typed = to(TYPO);
        match field {
            "To" => c.to.push(typed),
            "Cc" => c.cc.push(typed),
            _ => c.bcc.push(typed),
        }
        c.subject = format!("Saisie en {field}");
        let policy = refused_by_patient_rule(&e, c, field);
        assert_eq!(
            policy.to_string(),
            format!(
                "L'adresse patient {TYPO} n'est pas valide : \
                 La clé du matricule INS ne correspond pas : vérifiez la saisie."
            )
        );
    }
    // Not a matricule at all.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to("camille.dubois@patient.mssante.fr"));
    refused_by_patient_rule(&e, c, "a name instead of a matricule");

    // Two valid patients typed without the patient mode, one of them in Bcc: refused.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to(DUBOIS));
    c.bcc.push(to(GARCIA));
    let policy = refused_by_patient_rule(&e, c, "two patients typed");
    assert!(matches!(policy, PolicyError::SeveralPatients { .. }));

    // A patient wrote, copying another patient (a message Relais could not have sent).
    let raw = format!(
        "From: Camille DUBOIS <{DUBOIS}>\r\nTo: {MARIE}\r\nCc: {GARCIA}, {PIERRE}\r\n\
         Subject: Question sur mon traitement\r\nMessage-ID: <q1@patient.mssante.fr>\r\n\
         Date: Sat, 05 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour docteur,\r\n"
    );
    deliver_raw(&op, &raw);
    let m = inbox_message(&e, "Question sur mon traitement");

    // Reply to all: both patients would be recipients → refused.
    let c = e.reply(m.id, true).unwrap();
    let policy = refused_by_patient_rule(&e, c, "reply to all");
    assert!(matches!(policy, PolicyError::SeveralPatients { .. }));

    // Forward, to the patient with a typo in Cc: refused.
    let mut c = e.forward(m.id, false).unwrap();
    c.to.push(to(PIERRE));
    c.cc.push(to(TYPO));
    refused_by_patient_rule(&e, c, "forward");

    // A draft reopened with two patients: refused when sent, the draft stays.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to(DUBOIS));
    c.cc.push(to(GARCIA));
    c.subject = "Brouillon à deux patients".into();
    let saved = e.save_draft(&c).unwrap();
    let reopened = e.draft_compose(saved.id).unwrap();
    refused_by_patient_rule(&e, reopened, "draft reopened");
    let err = e.send_draft(saved.id).unwrap_err();
    assert!(err.to_string().contains("un seul patient"), "{err}");
    assert!(e.draft_compose(saved.id).is_ok(), "the draft is kept");
    assert!(e.outbox().unwrap().is_empty());

    // Reply (to the sender only): one patient, a professional in copy: sent.
    let mut c = e.reply(m.id, false).unwrap();
    assert_eq!(c.to[0].address.as_str(), DUBOIS);
    c.cc.push(to(PIERRE));
    c.text = "Bonjour, continuez le traitement.".into();
    let r = e.send(c).unwrap();
    assert!(r.sent(), "{r:?}");
}

#[test]
fn eco_2_2_7_a_patient_sees_title_first_name_family_name_entity() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());
    e.set_box_settings(
        &addr(MARIE),
        BoxSettings {
            title: Some("Dr".into()),
            entity: Some("CH de Démo".into()),
            ..BoxSettings::default()
        },
    )
    .unwrap();
    // To a patient typed in To, a professional in Cc: the MSSanté display name.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to(DUBOIS));
    c.cc.push(to(PIERRE));
    c.subject = "Résultats".into();
    let r = e.send(c).unwrap();
    let raw = delivered(&op, DUBOIS, &r.message_id);
    let shown = relais_mail::MessageDisplay::from_raw(&raw);
    let from = shown.from.expect("From");
    assert_eq!(from.address, MARIE);
    assert_eq!(from.name.as_deref(), Some("Dr_Marie_MARTIN_CH de Démo"));
    // Between professionals, the box's usual name.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to(PIERRE));
    c.subject = "Entre confrères".into();
    let r = e.send(c).unwrap();
    let raw = delivered(&op, PIERRE, &r.message_id);
    let from = relais_mail::MessageDisplay::from_raw(&raw)
        .from
        .expect("From");
    assert_ne!(from.name.as_deref(), Some("Dr_Marie_MARTIN_CH de Démo"));
}

#[test]
fn eco_3_1_6_a_read_receipt_is_sent_or_declined_by_the_person_once_and_remembered() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());
    let asked = |subject: &str, id: &str| {
        format!(
            "From: Pierre DURAND <{PIERRE}>\r\nTo: {MARIE}\r\nSubject: {subject}\r\n\
             Message-ID: <{id}@ch-demo.mssante.fr>\r\nDisposition-Notification-To: {PIERRE}\r\n\
             Date: Sat, 05 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nMerci de confirmer.\r\n"
        )
    };
    deliver_raw(&op, &asked("Accuse a envoyer", "mdn1"));
    deliver_raw(&op, &asked("Accuse a refuser", "mdn2"));
    deliver_raw(
        &op,
        &format!(
            "From: {PIERRE}\r\nTo: {MARIE}\r\nSubject: Sans demande\r\n\
             Message-ID: <mdn3@ch-demo.mssante.fr>\r\n\r\nBonjour.\r\n"
        ),
    );
    let send = inbox_message(&e, "Accuse a envoyer");
    let decline = inbox_message(&e, "Accuse a refuser");
    let plain = inbox_message(&e, "Sans demande");

    // Nothing is sent on its own: the request waits for the person.
    assert_eq!(
        e.read_receipt_state(send.id).unwrap(),
        ReadReceiptState::Asked
    );
    assert_eq!(
        e.read_receipt_state(plain.id).unwrap(),
        ReadReceiptState::NotAsked
    );
    assert!(e.outbox().unwrap().is_empty(), "no automatic receipt");

    // « Envoyer l'accusé »: an MDN reaches Pierre; the choice is remembered.
    let receipt = e.answer_read_receipt(send.id).unwrap();
    let raw = delivered(&op, PIERRE, &receipt.message_id);
    assert_eq!(relais_mail::parse_reports(&raw).len(), 1, "an MDN");
    assert_eq!(
        e.read_receipt_state(send.id).unwrap(),
        ReadReceiptState::Sent
    );
    let again = e.answer_read_receipt(send.id).unwrap_err();
    assert!(
        matches!(again, SendError::ReadReceiptAlreadyAnswered),
        "{again:?}"
    );
    assert_eq!(
        again.to_string(),
        "Vous avez déjà répondu à la demande d'accusé de lecture de ce message."
    );

    // « Ne pas envoyer »: nothing sent, remembered, no receipt afterwards either.
    let queued = e.outbox().unwrap().len();
    e.decline_read_receipt(decline.id).unwrap();
    assert_eq!(
        e.read_receipt_state(decline.id).unwrap(),
        ReadReceiptState::Declined
    );
    assert!(matches!(
        e.answer_read_receipt(decline.id),
        Err(SendError::ReadReceiptAlreadyAnswered)
    ));
    assert_eq!(e.outbox().unwrap().len(), queued, "nothing sent");

    // A message that asks for nothing cannot be answered.
    assert!(matches!(
        e.decline_read_receipt(plain.id),
        Err(SendError::NoReadReceiptAsked)
    ));
}

/// ECO.4.1.1, Ségur CONF.17/18 (issue 15 §6): the audit log of each box is kept across
/// sign-out and sign-in of the same person, in an encrypted journal of their own; a colleague
/// signing in on the same workstation reads only theirs.
#[test]
fn eco_4_1_1_the_audit_log_outlives_sign_out_and_is_the_persons_own() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("poste-accueil");
    let secretariat = addr(SECRETARIAT);
    let marie_id = NationalId::parse("810100000041").unwrap();
    let pierre_id = NationalId::parse("810100000025").unwrap();
    let sign_ins_and_outs = |e: &Engine| -> Vec<(AuditAction, NationalId, i64)> {
        let mut log: Vec<_> = e
            .audit_log(&secretariat, 1000)
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r.entry.action, AuditAction::SignIn | AuditAction::SignOut))
            .map(|r| (r.entry.action, r.entry.person, r.entry.at))
            .collect();
        log.reverse();
        log
    };

    // Marie works in the secretariat's box, then signs out: the profile goes, not her journal.
    let e = marie(&op, &profile);
    let first = sign_ins_and_outs(&e);
    assert_eq!(first.len(), 1, "{first:?}");
    e.sign_out().unwrap();
    let left: Vec<_> = std::fs::read_dir(&profile)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["journal"], "sign-out keeps only the audit journal");
    let journals: Vec<_> = std::fs::read_dir(profile.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    let bytes = std::fs::read(&journals[0]).unwrap();
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the journal is encrypted"
    );
    let name = journals[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        !name.contains("10100000041"),
        "the journal's name does not tell who"
    );

    // Pierre, on the same workstation: his own journal, nothing of Marie's.
    let p = signed_in(&op, &profile, PIERRE, "Pierre", "DURAND", "810100000025");
    let his = p.audit_log(&secretariat, 1000).unwrap();
    assert!(!his.is_empty());
    assert!(
        his.iter().all(|r| r.entry.person == pierre_id),
        "Pierre reads only his own journal"
    );
    p.sign_out().unwrap();

    // Marie again: her first sign-in and sign-out are there, then this sign-in.
    let e = marie(&op, &profile);
    let log = sign_ins_and_outs(&e);
    let actions: Vec<_> = log.iter().map(|(a, _, _)| a.clone()).collect();
    assert_eq!(
        actions,
        [
            AuditAction::SignIn,
            AuditAction::SignOut,
            AuditAction::SignIn
        ],
        "{log:?}"
    );
    assert_eq!(log[0].2, first[0].2, "the first sign-in, kept as it was");
    assert!(log.iter().all(|(_, who, _)| who == &marie_id));
    println!(
        "audit journal kept across sign-out: {} entries of Marie's on {SECRETARIAT}, none read by Pierre",
        e.audit_log(&secretariat, 1000).unwrap().len()
    );
}

fn dubois_qualified() -> relais_core::QualifiedPatient {
    use relais_core::{BirthDate, BirthplaceCode, IdentityTraits, Ins, Sex};
    relais_core::QualifiedPatient {
        ins: Ins::parse("2 85 03 64 445 123 79").unwrap(),
        traits: IdentityTraits {
            birth_name: "DUBOIS".into(),
            first_names: "Camille".into(),
            birth_date: BirthDate::parse("1985-03-14").unwrap(),
            sex: Sex::parse("F").unwrap(),
            birthplace: BirthplaceCode::parse("64445").unwrap(),
        },
    }
}

const CDA_LETTER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de sortie"/>
  <title>Lettre de liaison à la sortie</title>
  <component><structuredBody><component><section>
    <title>Synthèse</title><text><paragraph>Retour à domicile.</paragraph></text>
  </section></component></structuredBody></component>
</ClinicalDocument>
"#;

/// ECO.2.4.1 / ECO.2.4.2: a CDA document attached for a qualified patient leaves in an IHE
/// XDM package naming that patient, with `X-MSS-CODECDA` and `X-MSS-INS: O`; a PDF beside
/// it stays a plain attachment; a CDA without its document type code is refused in French
/// and nothing is queued.
#[test]
fn eco_2_4_1_a_cda_document_to_a_patient_travels_in_ihe_xdm_with_its_headers() {
    use relais_engine::ComposeAttachment;
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());
    let letter = dir.path().join("Lettre-de-liaison.xml");
    std::fs::write(&letter, CDA_LETTER).unwrap();
    let pdf = dir.path().join("Ordonnance.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%%EOF\n").unwrap();

    let mut c = Compose::new(addr(MARIE));
    c.patient = Some(dubois_qualified());
    c.subject = "Votre lettre de sortie".into();
    c.attachments.push(ComposeAttachment::path(&letter));
    c.attachments.push(ComposeAttachment::path(&pdf));
    let r = e.send(c).unwrap();
    assert!(r.sent(), "{r:?}");
    let raw = delivered(&op, DUBOIS, &r.message_id);
    let shown = relais_mail::MessageDisplay::from_raw(&raw);
    assert_eq!(shown.special.mss_codecda.as_deref(), Some("11490-0"));
    assert_eq!(shown.special.mss_ins.as_deref(), Some("O"));
    let names: Vec<&str> = shown
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(names, ["Ordonnance.pdf", "IHE_XDM.ZIP"], "{names:?}");
    let zip = relais_mail::attachment_bytes(&raw, shown.attachments[1].index).expect("the package");
    let package = relais_mail::xdm::read_xdm(&zip).unwrap();
    assert_eq!(package.patient.ins.as_deref(), Some("285036444512379"));
    assert_eq!(package.documents.len(), 1);
    assert!(
        package.documents[0].text.contains("Retour à domicile"),
        "{:?}",
        package.documents[0]
    );

    // A CDA without its document type code: refused before anything is queued.
    let broken = dir.path().join("Sans-code.xml");
    std::fs::write(
        &broken,
        CDA_LETTER.replace(
            r#"<code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de sortie"/>"#,
            "",
        ),
    )
    .unwrap();
    let mut c = Compose::new(addr(MARIE));
    c.patient = Some(dubois_qualified());
    c.subject = "Document incomplet".into();
    c.attachments.push(ComposeAttachment::path(&broken));
    let queued_before = e.outbox().unwrap().len();
    let err = e.send(c).unwrap_err();
    assert!(matches!(err, SendError::Xdm(_)), "{err:?}");
    assert!(err.to_string().contains("Sans-code.xml"), "{err}");
    assert_eq!(e.outbox().unwrap().len(), queued_before, "nothing queued");
}

/// Ségur UX, reading side: a message that closes the patient conversation (`X-MSS-MES:
/// FIN`, or a `[FIN]` subject) is marked as such in the list, from the headers the sync
/// reads; any other message is not.
#[test]
fn segur_a_closed_conversation_is_marked_in_the_list() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());
    let message = |subject: &str, id: &str, extra: &str| {
        format!(
            "From: Camille DUBOIS <{DUBOIS}>\r\nTo: {MARIE}\r\nSubject: {subject}\r\n\
             Message-ID: <{id}@patient.mssante.fr>\r\n{extra}\
             Date: Sat, 05 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nMerci docteur.\r\n"
        )
    };
    deliver_raw(&op, &message("Fin du suivi", "fin1", "X-MSS-MES: FIN\r\n"));
    deliver_raw(&op, &message("[FIN] Dernier message", "fin2", ""));
    deliver_raw(
        &op,
        &message("Question en cours", "fin3", "X-MSS-MES: SUITE\r\n"),
    );
    assert!(inbox_message(&e, "Fin du suivi").closes_conversation);
    assert!(inbox_message(&e, "[FIN] Dernier message").closes_conversation);
    assert!(!inbox_message(&e, "Question en cours").closes_conversation);
}
