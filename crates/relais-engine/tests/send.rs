//! Sending against the real local operator (Postfix + Dovecot): authorship on every path,
//! policies, patients, bounces, drafts picked up by a colleague, the outbox after a failure,
//! and exactly one delivered copy and one Sent copy when the sending process is killed at
//! each step. Every check reads what actually arrived, with a raw IMAP client.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::{
    Author, BirthDate, BirthplaceCode, BoxAddress, IdentityTraits, Ins, NationalId,
    QualifiedPatient, Sex,
};
use relais_engine::{
    BoxSettings, Compose, ComposeAttachment, Engine, EngineError, IdentityHint, ProfileDir,
    Recipient, SendError,
};
use relais_mail::MessageDisplay;
use relais_store::{AuditAction, FolderRole, OutboxState};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";
const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const DUBOIS: &str = "285036444512379@patient.mssante.fr";

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

fn signed_in(
    op: &Operator,
    profile: &Path,
    login: &str,
    id: &str,
    given: &str,
    family: &str,
) -> Engine {
    let e = open(profile, &op.profile());
    e.sign_in_password(
        login,
        DEMO_PASSWORD,
        &IdentityHint {
            profession: None,
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            national_id: Some(NationalId::parse(id).unwrap()),
        },
    )
    .expect("sign-in");
    // The operator does not publish box names: the profile holds the secretariat's.
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

fn marie(op: &Operator, profile: &Path) -> Engine {
    signed_in(op, profile, MARIE, "810100000041", "Marie", "MARTIN")
}

fn sophie(op: &Operator, profile: &Path) -> Engine {
    signed_in(op, profile, SOPHIE, "810100000058", "Sophie", "BERNARD")
}

/// A raw IMAP session on `mailbox` (login `login`: the box itself or a person's login).
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

/// The messages of `folder` whose Message-ID is `id`, raw.
fn by_message_id(imap: &mut Imap, folder: &str, id: &str) -> Vec<Vec<u8>> {
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
    uids.iter()
        .map(|uid| {
            let r = imap
                .command(&format!("UID FETCH {uid} BODY.PEEK[]"))
                .unwrap();
            r.literals.into_iter().next().unwrap_or_default()
        })
        .collect()
}

/// Wait until `folder` holds at least one message `id`; then let the queue settle and
/// return every copy.
fn delivered(op: &Operator, mailbox: &str, login: &str, folder: &str, id: &str) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut s = imap(op, mailbox, login);
        if !by_message_id(&mut s, folder, id).is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never reached {mailbox}/{folder}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let mut s = imap(op, mailbox, login);
    by_message_id(&mut s, folder, id)
}

/// The header block without what the delivering MTA adds.
fn without_transport_headers(raw: &[u8]) -> Vec<u8> {
    // What Postfix and the delivering IMAP server add (Cyrus's lmtpd: its session id, and
    // the Sieve marker of its duplicate suppression).
    const ADDED: [&str; 7] = [
        "return-path",
        "received",
        "delivered-to",
        "x-original-to",
        "dkim-signature",
        "x-cyrus-session-id",
        "x-sieve",
    ];
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(end);
    let mut out = Vec::new();
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        let name = String::from_utf8_lossy(line.split(|b| *b == b':').next().unwrap_or_default())
            .to_ascii_lowercase();
        skipping = ADDED.contains(&name.as_str());
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

/// The authorship of a delivered message: From the box with its name, Sender, author header.
fn assert_authorship(raw: &[u8], from: &str, from_name: &str, sender: Option<&str>, author: &str) {
    let shown = MessageDisplay::from_raw(raw);
    let f = shown.from.as_ref().expect("From");
    assert_eq!(f.address, from);
    assert_eq!(f.name.as_deref(), Some(from_name));
    assert_eq!(shown.sender.as_ref().map(|s| s.address.as_str()), sender);
    let value = header(raw, "X-Relais-Author").expect("X-Relais-Author");
    let parsed = Author::parse_header_value(&value).unwrap();
    assert_eq!(parsed.display_name(), author);
    assert_eq!(
        shown.author.as_ref().map(|a| a.display_name()),
        Some(author)
    );
    assert!(header(raw, "X-MSS-NIL").is_some(), "X-MSS-NIL");
}

fn header(raw: &[u8], name: &str) -> Option<String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end])
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    head.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

fn to(a: &str) -> Recipient {
    Recipient::new(addr(a))
}

fn sync(e: &Engine, box_: &str) {
    for (b, r) in e.sync(&[addr(box_)], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

fn find(e: &Engine, box_: &str, role: FolderRole, subject: &str) -> relais_store::MessageSummary {
    e.with_store(|s| {
        let f = s.folder_by_role(&addr(box_), role).unwrap().unwrap();
        s.list(f.id, 0, 500)
            .unwrap()
            .into_iter()
            .find(|m| m.subject.contains(subject))
            .unwrap_or_else(|| panic!("no « {subject} » in {box_} {role:?}"))
    })
}

/// Check one path: delivered once to `rcpt`, identical to the one Sent copy, with authorship.
#[allow(clippy::too_many_arguments)]
fn check_path(
    op: &Operator,
    id: &str,
    rcpt: (&str, &str),
    author: &str,
    sender: Option<&str>,
) -> Vec<u8> {
    let got = delivered(op, rcpt.0, rcpt.1, "INBOX", id);
    assert_eq!(got.len(), 1, "one delivered copy of {id}");
    let mut s = imap(op, SECRETARIAT, MARIE);
    let sent = by_message_id(&mut s, "Sent", id);
    assert_eq!(sent.len(), 1, "one Sent copy of {id}");
    assert_eq!(
        String::from_utf8_lossy(&without_transport_headers(&got[0])),
        String::from_utf8_lossy(&sent[0]),
        "the Sent copy is what was delivered"
    );
    assert_authorship(
        &got[0],
        SECRETARIAT,
        "Secrétariat de cardiologie",
        sender,
        author,
    );
    got.into_iter().next().unwrap()
}

#[test]
fn authorship_on_every_path_with_sent_copy_byte_for_byte() {
    let started = Instant::now();
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());
    sync(&e, SECRETARIAT);

    // 1. A new message with an accented attachment name.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::named(addr(PIERRE), "Dr Pierre DURAND"));
    c.subject = "Convocation — M. GARCIA".into();
    c.text = "Bonjour Docteur,\n\nVoici la convocation.".into();
    c.attachments.push(ComposeAttachment::Bytes {
        filename: "Lettre de sortie – été.pdf".into(),
        content_type: None,
        bytes: b"%PDF-1.4 test".to_vec(),
    });
    let r = e.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Done, "{r:?}");
    let raw = check_path(
        &op,
        &r.message_id,
        (PIERRE, PIERRE),
        "Marie MARTIN",
        Some(MARIE),
    );
    let shown = MessageDisplay::from_raw(&raw);
    assert!(
        shown
            .text
            .contains("Marie MARTIN — pour le Secrétariat de cardiologie"),
        "{}",
        shown.text
    );
    assert_eq!(shown.attachments[0].filename, "Lettre de sortie – été.pdf");
    assert!(r
        .server_reply
        .as_deref()
        .unwrap_or_default()
        .starts_with("250"));

    // 2. Reply and 3. reply-all to Dr LEROY's letter.
    let letter = find(&e, SECRETARIAT, FolderRole::Inbox, "Adressage — M. GARCIA");
    let mut c = e.reply(letter.id, false).unwrap();
    c.text = "Bien reçu, M. GARCIA sera convoqué.".into();
    assert_eq!(c.to[0].address.as_str(), LEROY);
    let r = e.send(c).unwrap();
    let raw = check_path(
        &op,
        &r.message_id,
        (LEROY, LEROY),
        "Marie MARTIN",
        Some(MARIE),
    );
    let shown = MessageDisplay::from_raw(&raw);
    assert!(shown.subject.starts_with("Re: Adressage"));
    assert!(shown.in_reply_to.is_some() && !shown.references.is_empty());
    let sig = shown.text.find("Marie MARTIN — pour").unwrap();
    let quote = shown.text.find("a écrit :").unwrap();
    assert!(
        sig < quote,
        "the signature is above the quote: {}",
        shown.text
    );

    let mut c = e.reply(letter.id, true).unwrap();
    c.text = "Réponse à tous.".into();
    let r = e.send(c).unwrap();
    check_path(
        &op,
        &r.message_id,
        (LEROY, LEROY),
        "Marie MARTIN",
        Some(MARIE),
    );

    // 4. Forward inline (attachments kept) and 5. as attachment.
    let mut c = e.forward(letter.id, false).unwrap();
    c.to.push(to(PIERRE));
    c.text = "Pour avis.".into();
    let r = e.send(c).unwrap();
    let raw = check_path(
        &op,
        &r.message_id,
        (PIERRE, PIERRE),
        "Marie MARTIN",
        Some(MARIE),
    );
    let shown = MessageDisplay::from_raw(&raw);
    assert!(shown.subject.starts_with("TR: "));
    assert!(
        shown
            .attachments
            .iter()
            .any(|a| a.filename == "Courrier d'adressage - GARCIA.pdf"),
        "{:?}",
        shown.attachments
    );
    let mut c = e.forward(letter.id, true).unwrap();
    c.to.push(to(PIERRE));
    let r = e.send(c).unwrap();
    let raw = check_path(
        &op,
        &r.message_id,
        (PIERRE, PIERRE),
        "Marie MARTIN",
        Some(MARIE),
    );
    let shown = MessageDisplay::from_raw(&raw);
    assert!(shown
        .attachments
        .iter()
        .any(|a| a.content_type == "message/rfc822"));

    // 6. A draft sent later by the same person.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    c.subject = "Brouillon de Marie".into();
    c.text = "Première version".into();
    let saved = e.save_draft(&c).unwrap();
    assert!(saved.server_uid.is_some(), "{saved:?}");
    c.draft = Some(saved.id);
    c.text = "Version finale".into();
    let saved2 = e.save_draft(&c).unwrap();
    assert_eq!(saved2.id, saved.id);
    assert_ne!(
        saved2.server_uid, saved.server_uid,
        "the server copy is replaced"
    );
    let r = e.send_draft(saved.id).unwrap();
    let raw = check_path(
        &op,
        &r.message_id,
        (PIERRE, PIERRE),
        "Marie MARTIN",
        Some(MARIE),
    );
    assert!(MessageDisplay::from_raw(&raw)
        .text
        .contains("Version finale"));
    assert!(e.with_store(|s| s.draft(saved.id).unwrap()).is_none());

    // 7. A draft Marie starts, that Sophie finishes and sends: the author is Sophie.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    c.subject = "Brouillon partagé".into();
    c.text = "Début écrit par Marie.".into();
    let marie_draft = e.save_draft(&c).unwrap();
    assert!(marie_draft.server_uid.is_some());
    let dir_s = tempfile::tempdir().unwrap();
    let s = sophie(&op, dir_s.path());
    sync(&s, SECRETARIAT);
    let on_server = find(&s, SECRETARIAT, FolderRole::Drafts, "Brouillon partagé");
    let raw_draft = s.raw_message(on_server.id).unwrap();
    assert!(
        header(&raw_draft, "X-Relais-Author").is_none(),
        "a draft has no author"
    );
    let taken = s.take_over_draft(on_server.id).unwrap();
    let mut c = s.draft_compose(taken).unwrap();
    c.text.push_str("\nFin écrite par Sophie.");
    s.save_draft(&c).unwrap();
    let r = s.send_draft(taken).unwrap();
    let raw = check_path(&op, &r.message_id, (PIERRE, PIERRE), "Sophie BERNARD", None);
    let shown = MessageDisplay::from_raw(&raw);
    assert!(shown.text.contains("Début écrit par Marie."));
    assert!(shown
        .text
        .contains("Sophie BERNARD — pour le Secrétariat de cardiologie"));
    let mut d = imap(&op, SECRETARIAT, MARIE);
    assert!(d.command("SELECT Drafts").unwrap().ok());
    let left = d.command("UID SEARCH SUBJECT \"partag\"").unwrap();
    assert!(
        left.untagged.iter().all(|l| l.trim() == "* SEARCH"),
        "the server draft is gone once sent: {:?}",
        left.untagged
    );

    // The store's Sent list shows the author of each message.
    sync(&e, SECRETARIAT);
    let sent_by_sophie = find(&e, SECRETARIAT, FolderRole::Sent, "Brouillon partagé");
    assert_eq!(
        sent_by_sophie.author.as_ref().map(|a| a.display_name()),
        Some("Sophie BERNARD")
    );
    let sent_by_marie = find(&e, SECRETARIAT, FolderRole::Sent, "Convocation — M. GARCIA");
    assert_eq!(
        sent_by_marie
            .author
            .as_ref()
            .map(|a| a.national_id().to_string()),
        Some("810100000041".to_string())
    );

    // Audit: every send, who and the server's answer, never the subject.
    let audit = e.audit_log(&addr(SECRETARIAT), 500).unwrap();
    let sends: Vec<_> = audit
        .iter()
        .filter(|a| a.entry.action == AuditAction::Send)
        .collect();
    assert!(sends.len() >= 6, "{}", sends.len());
    for a in &sends {
        assert!(a.entry.ok);
        assert_eq!(a.entry.person.to_string(), "810100000041");
        assert!(a.entry.request.contains("Message-ID <"));
        assert!(a.entry.response.starts_with("250"));
        for subject in ["Convocation", "Brouillon", "Adressage", "GARCIA"] {
            assert!(
                !a.entry.request.contains(subject) && !a.entry.response.contains(subject),
                "no content in the audit: {a:?}"
            );
        }
    }
    println!("authorship on every path: {:?}", started.elapsed());
}

fn dubois() -> QualifiedPatient {
    QualifiedPatient {
        ins: Ins::parse("2 85 03 64 445 123 79").unwrap(),
        traits: IdentityTraits {
            birth_name: "DUBOIS".into(),
            first_names: "Camille Anne".into(),
            birth_date: BirthDate::parse("1985-03-14").unwrap(),
            sex: Sex::parse("F").unwrap(),
            birthplace: BirthplaceCode::parse("64445").unwrap(),
        },
    }
}

/// A matricule INS with a valid key that has no box at the operator.
fn unknown_patient() -> BoxAddress {
    let base: u64 = 1_850_575_056_123;
    let key = 97 - base % 97;
    Ins::parse(&format!("{base}{key:02}"))
        .unwrap()
        .patient_address()
}

#[test]
fn policies_patients_and_bounces() {
    let started = Instant::now();
    // Karim's refusal comes from his RFC 4314 rights: on a server that publishes them.
    let op = Operator::start(Options::full_imap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());

    // Outside the trust space: refused unless confirmed, and nothing is queued.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to("jean.dupont@gmail.com"));
    c.subject = "Hors espace".into();
    let err = e.send(c.clone()).unwrap_err();
    assert!(err.to_string().contains("jean.dupont@gmail.com"), "{err}");
    assert!(err.to_string().contains("espace de confiance"), "{err}");
    assert!(e.outbox().unwrap().is_empty());

    // Two patients in one message: refused.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.patient = Some(dubois());
    c.cc.push(to("162027505607848@patient.mssante.fr"));
    c.subject = "Deux patients".into();
    let err = e.send(c).unwrap_err();
    assert!(err.to_string().contains("un seul patient"), "{err}");

    // An attachment over 10 Mo: refused, naming the file, before it is read.
    let big = dir.path().join("Scanner-complet.dcm");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(11 * 1024 * 1024)
        .unwrap();
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    c.attachments.push(ComposeAttachment::path(&big));
    let err = e.send(c).unwrap_err();
    assert!(err.to_string().contains("Scanner-complet.dcm"), "{err}");
    assert!(e.outbox().unwrap().is_empty());

    // A patient message built from a spaced INS, closing the conversation.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.patient = Some(dubois());
    c.subject = "Votre rendez-vous".into();
    c.text = "Madame, votre rendez-vous est confirmé.".into();
    c.close_conversation = true;
    let r = e.send(c).unwrap();
    let got = delivered(&op, DUBOIS, DUBOIS, "INBOX", &r.message_id);
    assert_eq!(got.len(), 1);
    let shown = MessageDisplay::from_raw(&got[0]);
    assert_eq!(shown.to[0].address, DUBOIS);
    assert_eq!(header(&got[0], "X-MSS-MES").as_deref(), Some("FIN"));
    assert!(shown.closes_conversation());
    // ECO.2.2.7: a patient sees <Prénom>_<NOM>_<Entité> (no title set for this box).
    assert_authorship(
        &got[0],
        SECRETARIAT,
        "Marie_MARTIN_Secrétariat de cardiologie",
        Some(MARIE),
        "Marie MARTIN",
    );

    // Karim reads the secretariat but may not send from it: refused before any network use.
    let dir_k = tempfile::tempdir().unwrap();
    let k = signed_in(&op, dir_k.path(), KARIM, "810100000033", "Karim", "BENALI");
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    let err = k.send(c).unwrap_err();
    assert!(
        matches!(err, SendError::Engine(EngineError::NotAllowed { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("envoyer"), "{err}");
    assert!(k.outbox().unwrap().is_empty());

    // A bounce (DSN) for an unknown patient, shown in French.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(unknown_patient()));
    c.subject = "Patient inconnu".into();
    c.delivery_receipt = true;
    let r = e.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Done);
    let deadline = Instant::now() + Duration::from_secs(30);
    let bounce = loop {
        sync(&e, SECRETARIAT);
        let inbox = e.with_store(|s| {
            let f = s
                .folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
                .unwrap()
                .unwrap();
            s.list(f.id, 0, 50).unwrap()
        });
        let found = inbox.into_iter().find(|m| {
            e.reports(m.id)
                .map(|v| !v.reports.is_empty())
                .unwrap_or(false)
        });
        if let Some(m) = found {
            break m;
        }
        assert!(Instant::now() < deadline, "no bounce");
        std::thread::sleep(Duration::from_millis(500));
    };
    let view = e.reports(bounce.id).unwrap();
    println!("bounce: {:?}", view.summaries);
    let unknown = unknown_patient();
    assert!(
        view.summaries
            .iter()
            .any(|s| s.contains("Non distribué") && s.contains(unknown.as_str())),
        "{:?}",
        view.summaries
    );
    // On the sent message itself: what came back, with what to do.
    let sent = find(&e, SECRETARIAT, FolderRole::Sent, "Patient inconnu");
    let returned = e.returned_reports(sent.id).unwrap();
    assert_eq!(returned.len(), 1, "{returned:?}");
    assert_eq!(returned[0].report, bounce.id);
    assert!(returned[0].summary.contains("Non distribué"));
    assert!(
        returned[0]
            .advice
            .as_deref()
            .is_some_and(|a| a.contains("INS")),
        "{returned:?}"
    );
    assert!(
        e.returned_reports(bounce.id).unwrap().is_empty(),
        "a received message waits for no report"
    );

    // A read receipt is answered only when asked for, and when the person agrees.
    let mut c = Compose::new(addr(MARIE));
    c.to.push(to(SECRETARIAT));
    c.subject = "Merci de confirmer la lecture".into();
    c.read_receipt = true;
    let asked = e.send(c).unwrap();
    delivered(&op, SECRETARIAT, MARIE, "INBOX", &asked.message_id);
    sync(&e, SECRETARIAT);
    let m = find(
        &e,
        SECRETARIAT,
        FolderRole::Inbox,
        "Merci de confirmer la lecture",
    );
    assert!(e.read_receipt_asked(m.id).unwrap());
    let mdn = e.answer_read_receipt(m.id).unwrap();
    let got = delivered(&op, MARIE, MARIE, "INBOX", &mdn.message_id);
    let reports = relais_mail::parse_reports(&got[0]);
    assert_eq!(reports.len(), 1, "an MDN");
    println!("read receipt: {}", reports[0].summary);
    // Marie's sent message now says it was read.
    for (b, r) in e.sync(&[addr(MARIE)], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
    let asked_sent = find(&e, MARIE, FolderRole::Sent, "Merci de confirmer la lecture");
    let read = e.returned_reports(asked_sent.id).unwrap();
    assert!(
        read.iter().any(|r| r.summary.starts_with("Lu par")),
        "{read:?}"
    );
    assert_authorship(
        &got[0],
        SECRETARIAT,
        "Secrétariat de cardiologie",
        Some(MARIE),
        "Marie MARTIN",
    );
    println!("policies, patients, bounces: {:?}", started.elapsed());
}

#[test]
fn a_failed_send_stays_queued_with_its_error_then_is_resent_with_its_author() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    drop(marie(&op, &profile));

    // The submission server is unreachable: the message is kept, with a French error.
    let closed = TcpListener::bind((op.host(), 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broken = op.profile_with_submission_port(dir.path(), closed).unwrap();
    let e = open(&profile, &broken);
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    c.subject = "Envoyé après une panne".into();
    c.text = "Texte".into();
    let r = e.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Queued);
    let error = r.error.clone().unwrap();
    assert!(error.contains("injoignable"), "{error}");
    let row = e.outbox().unwrap().remove(0);
    assert_eq!(row.state, OutboxState::Queued);
    assert_eq!(row.last_error.as_deref(), Some(error.as_str()));
    assert!(row.next_attempt_at > relais_engine_now(), "backoff");
    drop(e);

    // Back on the right server: the retry sends the very same message, author included.
    let e = open(&profile, &op.profile());
    let done = e.retry_outbox(relais_engine_now() + 3600).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].state, OutboxState::Done, "{done:?}");
    assert_eq!(done[0].message_id, r.message_id);
    check_path(
        &op,
        &r.message_id,
        (PIERRE, PIERRE),
        "Marie MARTIN",
        Some(MARIE),
    );
    let events = e.with_store(|s| s.outbox_events(row.id).unwrap());
    let states: Vec<_> = events.iter().map(|ev| ev.state).collect();
    assert_eq!(
        states,
        vec![
            OutboxState::Queued,
            OutboxState::Submitting,
            OutboxState::Queued,
            OutboxState::Submitting,
            OutboxState::Submitted,
            OutboxState::Appending,
            OutboxState::Done
        ]
    );
}

fn relais_engine_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The child process of the kill tests: sends one message, and dies where it is told.
#[test]
#[ignore = "run by exactly_once_when_killed_at_each_step in a child process"]
fn child_send() {
    let (Ok(profile), Ok(operator), Ok(subject)) = (
        std::env::var("RELAIS_CHILD_PROFILE"),
        std::env::var("RELAIS_CHILD_OPERATOR"),
        std::env::var("RELAIS_CHILD_SUBJECT"),
    ) else {
        return;
    };
    let e = open(Path::new(&profile), Path::new(&operator));
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(to(PIERRE));
    c.subject = subject;
    c.text = "Message envoyé par un processus interrompu.".into();
    let mb: usize = std::env::var("RELAIS_CHILD_ATTACH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if mb > 0 {
        let mut bytes = vec![0u8; mb * 1024 * 1024];
        let mut x: u32 = 12345;
        for b in &mut bytes {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (x >> 16) as u8;
        }
        c.attachments.push(ComposeAttachment::Bytes {
            filename: "imagerie.bin".into(),
            content_type: None,
            bytes,
        });
    }
    let r = e.send(c);
    println!("child finished: {r:?}");
}

fn child(profile: &Path, operator: &Path, subject: &str, crash: &str, mb: usize) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["child_send", "--exact", "--ignored", "--nocapture"])
        .env("RELAIS_CHILD_PROFILE", profile)
        .env("RELAIS_CHILD_OPERATOR", operator)
        .env("RELAIS_CHILD_SUBJECT", subject)
        .env("RELAIS_CHILD_ATTACH_MB", mb.to_string())
        .env("RELAIS_CRASH_AT", crash);
    cmd
}

/// A TCP proxy to the submission server that kills process `pid` once `limit` bytes went
/// from the client to the server (in the middle of DATA for a large message), then cuts.
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
fn exactly_once_when_killed_at_each_step() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let e = marie(&op, &profile);
    for step in ["before_smtp", "during_data", "after_smtp", "during_append"] {
        let started = Instant::now();
        let subject = format!("Interrompu {step}");
        let status = if step == "during_data" {
            let pid = Arc::new(AtomicU32::new(0));
            let port = killing_proxy(&op, 1024 * 1024, pid.clone());
            let via_proxy = op.profile_with_submission_port(dir.path(), port).unwrap();
            let mut c = child(&profile, &via_proxy, &subject, "", 3)
                .spawn()
                .unwrap();
            pid.store(c.id(), Ordering::SeqCst);
            c.wait().unwrap()
        } else {
            child(&profile, &op.profile(), &subject, step, 0)
                .status()
                .unwrap()
        };
        assert!(!status.success(), "{step}: the child was killed");
        let row = e
            .outbox()
            .unwrap()
            .into_iter()
            .find(|r| r.subject == subject)
            .unwrap_or_else(|| panic!("{step}: queued before any network use"));
        let expected = match step {
            "before_smtp" | "during_data" => OutboxState::Submitting,
            "after_smtp" => OutboxState::Submitted,
            _ => OutboxState::Appending,
        };
        assert_eq!(row.state, expected, "{step}");

        // A new process (here: this one) restarts and retries.
        let outcomes = e.retry_outbox(relais_engine_now()).unwrap();
        let o = outcomes.iter().find(|o| o.id == row.id).unwrap();
        assert_eq!(o.state, OutboxState::Done, "{step}: {o:?}");
        let got = delivered(&op, PIERRE, PIERRE, "INBOX", &row.message_id);
        let mut s = imap(&op, SECRETARIAT, MARIE);
        let sent = by_message_id(&mut s, "Sent", &row.message_id);
        println!(
            "{step}: {} delivered, {} in Sent, {:?}",
            got.len(),
            sent.len(),
            started.elapsed()
        );
        assert_eq!(got.len(), 1, "{step}: exactly one delivered copy");
        assert_eq!(sent.len(), 1, "{step}: exactly one Sent copy");
        assert_eq!(without_transport_headers(&got[0]), sent[0], "{step}");
        assert_authorship(
            &got[0],
            SECRETARIAT,
            "Secrétariat de cardiologie",
            Some(MARIE),
            "Marie MARTIN",
        );
    }
}
