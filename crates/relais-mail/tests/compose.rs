//! Composing: render → display round trips, replies, forwards, policy refusals, receipts.

use relais_core::{Author, BoxAddress, NationalId, PolicyError, SizeLimits};
use relais_mail::{
    attachment_bytes, check, forward, parse_reports, read_receipt, render, render_with, reply,
    Attachment, CdaHeaders, ComposeError, Disposition, Identity, MessageDisplay, Outgoing,
    Recipient, ReportKind,
};

const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const MARTIN: &str = "marie.martin@ch-demo.mssante.fr";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";
const DURAND: &str = "pierre.durand@ch-demo.mssante.fr";
const BENALI: &str = "karim.benali@ch-demo.mssante.fr";
const PATIENT: &str = "285036444512379@patient.mssante.fr";
const PATIENT_2: &str = "146026322000196@patient.mssante.fr";
const LETTER: &str = "Lettre de sortie – GARCIA Éloïse.pdf";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).expect("valid address")
}

fn identity() -> Identity {
    let author = Author::new(
        "Marie MARTIN",
        NationalId::parse("810100000041").expect("id"),
        Some(addr(MARTIN)),
    )
    .expect("author");
    Identity {
        from_box: addr(SECRETARIAT),
        from_display_name: "Secrétariat de cardiologie".into(),
        sender: author.address().cloned(),
        author,
        x_mss_nil: "RELAIS-TEST-NIL".into(),
    }
}

fn pdf() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.extend((0..3000u32).map(|i| (i * 7 % 256) as u8));
    bytes
}

fn letter_message() -> Outgoing {
    let mut m = Outgoing::new(identity());
    m.to.push(Recipient::named(addr(LEROY), "Dr Jacques LEROY"));
    m.cc.push(Recipient::new(addr(DURAND)));
    m.bcc.push(Recipient::new(addr(BENALI)));
    m.subject = "Lettre de sortie — M. GARCIA Louis, à relire".into();
    m.text = "Bonjour Docteur,\n\nVeuillez trouver ci-joint la lettre de sortie.\n\n\
              Marie MARTIN — pour le Secrétariat de cardiologie\n"
        .into();
    m.html = Some("<p>Bonjour Docteur,</p><p>Veuillez trouver ci-joint la lettre.</p>".into());
    m.attachments.push(Attachment::new(LETTER, pdf()));
    m.attachments.push(Attachment::new(
        "compte-rendu.xml",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<cr>R\xe9sultat</cr>\n".to_vec(),
    ));
    m.read_receipt = true;
    m.date = Some(1_794_648_720); // 2026-11-14 09:32 UTC
    m
}

fn header_block(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[test]
fn round_trip_shows_box_person_author_and_accented_attachments() {
    let message = letter_message();
    let rendered = render(&message).expect("renders");
    let text = String::from_utf8_lossy(&rendered.bytes).into_owned();
    let headers = header_block(&rendered.bytes);

    // Bcc: envelope only.
    assert!(!text.to_ascii_lowercase().contains("bcc:"), "{headers}");
    assert!(!text.contains(BENALI));
    assert!(rendered.recipients.contains(&addr(BENALI)));
    assert_eq!(rendered.recipients.len(), 3);
    assert!(headers.contains("X-MSS-NIL: RELAIS-TEST-NIL"), "{headers}");
    assert!(headers.contains("MIME-Version: 1.0"), "{headers}");
    assert!(
        headers.contains(&format!("Message-ID: <{}>", rendered.message_id)),
        "{headers}"
    );
    assert!(rendered.message_id.ends_with("@relais.ch-demo.mssante.fr"));
    // RFC 2231 file name, as mail-builder writes it.
    assert!(
        text.contains(
            "filename*=UTF-8''Lettre%20de%20sortie%20%E2%80%93%20GARCIA%20%C3%89lo%C3%AFse.pdf"
        ) || text.contains("filename*0*=UTF-8''"),
        "{text}"
    );
    assert!(text.contains("multipart/alternative"));

    let shown = MessageDisplay::from_raw(&rendered.bytes);
    assert!(
        shown.malformed_notes.is_empty(),
        "{:?}",
        shown.malformed_notes
    );
    let from = shown.from.as_ref().expect("from");
    assert_eq!(from.address, SECRETARIAT);
    assert_eq!(from.name.as_deref(), Some("Secrétariat de cardiologie"));
    let sender = shown.sender.as_ref().expect("sender");
    assert_eq!(sender.address, MARTIN);
    assert_eq!(sender.name.as_deref(), Some("Marie MARTIN"));
    assert_eq!(shown.author.as_ref(), Some(&message.author));
    assert_eq!(shown.to[0].name.as_deref(), Some("Dr Jacques LEROY"));
    assert_eq!(shown.cc[0].address, DURAND);
    assert_eq!(shown.subject, message.subject);
    assert_eq!(shown.date, Some(1_794_648_720));
    assert_eq!(
        shown.message_id.as_deref(),
        Some(rendered.message_id.as_str())
    );
    assert_eq!(shown.special.mss_nil.as_deref(), Some("RELAIS-TEST-NIL"));
    assert_eq!(
        shown.special.disposition_notification_to.as_deref(),
        Some(SECRETARIAT)
    );
    assert!(shown
        .text
        .contains("Veuillez trouver ci-joint la lettre de sortie."));
    assert!(shown
        .html
        .as_deref()
        .is_some_and(|h| h.contains("<p>Bonjour Docteur,</p>")));

    assert_eq!(shown.attachments.len(), 2, "{:?}", shown.attachments);
    let letter = &shown.attachments[0];
    assert_eq!(letter.filename, LETTER);
    assert_eq!(letter.content_type, "application/pdf");
    assert_eq!(letter.size, pdf().len() as u64);
    assert_eq!(attachment_bytes(&rendered.bytes, letter.index), Some(pdf()));
    let xml = &shown.attachments[1];
    assert_eq!(xml.content_type, "text/xml");
    assert_eq!(
        attachment_bytes(&rendered.bytes, xml.index).as_deref(),
        Some(&message.attachments[1].bytes[..]),
        "a text attachment keeps its bytes and its own charset"
    );
}

#[test]
fn sender_only_when_writing_from_another_box() {
    let mut own = identity();
    own.from_box = addr(MARTIN);
    own.from_display_name = "Marie MARTIN".into();
    let mut m = Outgoing::new(own);
    m.to.push(Recipient::new(addr(LEROY)));
    m.subject = "Bonjour".into();
    let rendered = render(&m).expect("renders");
    let headers = header_block(&rendered.bytes);
    assert!(!headers.contains("Sender:"), "{headers}");
    assert!(
        headers.contains("X-Relais-Author: id=810100000041"),
        "{headers}"
    );
}

#[test]
fn message_id_is_stable_once_generated() {
    let mut m = letter_message();
    let id = m.ensure_message_id().expect("id");
    assert_eq!(m.ensure_message_id().expect("id"), id);
    let first = render(&m).expect("renders");
    let second = render(&m).expect("renders");
    assert_eq!(first.message_id, id);
    assert_eq!(second.message_id, id);
    let (uuid, domain) = id.split_once('@').expect("@");
    assert_eq!(domain, "relais.ch-demo.mssante.fr");
    assert_eq!(uuid.len(), 36);
}

#[test]
fn policy_refuses_outside_two_patients_and_oversized() {
    let mut outside = letter_message();
    outside.to.push(Recipient::new(addr("docteur@gmail.com")));
    let err = render(&outside).expect_err("outside refused");
    assert!(matches!(
        err,
        ComposeError::Policy(PolicyError::OutsideTrustSpace { .. })
    ));
    assert!(err.to_string().contains("docteur@gmail.com"), "{err}");
    assert!(
        err.to_string().contains("hors de l'espace de confiance"),
        "{err}"
    );
    render_with(&outside, true, &SizeLimits::default()).expect("allowed after confirmation");

    let mut patients = letter_message();
    patients.to.push(Recipient::new(addr(PATIENT)));
    patients.bcc.push(Recipient::new(addr(PATIENT_2)));
    let err = render(&patients).expect_err("two patients");
    assert!(
        matches!(
            err,
            ComposeError::Policy(PolicyError::SeveralPatients { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("un seul patient"), "{err}");

    let mut big = letter_message();
    big.attachments.push(Attachment::new(
        "IRM cérébrale – DUBOIS.zip",
        vec![0u8; 10 * 1024 * 1024 + 1],
    ));
    let err = check(&big, false, &SizeLimits::default()).expect_err("too big");
    assert!(
        err.to_string().contains("« IRM cérébrale – DUBOIS.zip »"),
        "{err}"
    );

    let mut to_patient = letter_message();
    to_patient.to = vec![Recipient::new(addr(PATIENT))];
    to_patient.cc.clear();
    for i in 0..3 {
        to_patient.attachments.push(Attachment::new(
            &format!("examen-{i}.pdf"),
            vec![1u8; 9 * 1024 * 1024],
        ));
    }
    let err = render(&to_patient).expect_err("over 25 Mo to a patient");
    assert!(
        err.to_string().contains("pour un message à un patient"),
        "{err}"
    );

    let mut nobody = letter_message();
    nobody.to.clear();
    nobody.cc.clear();
    nobody.bcc.clear();
    assert_eq!(render(&nobody), Err(ComposeError::NoRecipient));

    let mut no_nil = letter_message();
    no_nil.x_mss_nil = " ".into();
    assert_eq!(render(&no_nil), Err(ComposeError::MissingNil));
}

#[test]
fn headers_cannot_be_injected() {
    let mut m = letter_message();
    m.subject = "Objet\r\nBcc: espion@evil.example".into();
    let rendered = render(&m).expect("renders");
    let headers = header_block(&rendered.bytes);
    assert!(!headers.contains("\r\nBcc:"), "{headers}");
    m.in_reply_to = Some("x>\r\nBcc: espion@evil.example".into());
    assert!(matches!(
        render(&m),
        Err(ComposeError::InvalidMessageId { .. })
    ));
}

#[test]
fn closing_and_cda_headers() {
    let mut m = letter_message();
    m.to = vec![Recipient::new(addr(PATIENT))];
    m.cc.clear();
    m.close_conversation = true;
    m.cda = Some(CdaHeaders {
        code_cda: "11488-4".into(),
        ins_qualified: true,
    });
    let rendered = render(&m).expect("renders");
    let shown = MessageDisplay::from_raw(&rendered.bytes);
    assert!(shown.closes_conversation());
    assert_eq!(shown.special.mss_mes.as_deref(), Some("FIN"));
    assert_eq!(shown.special.mss_codecda.as_deref(), Some("11488-4"));
    assert_eq!(shown.special.mss_ins.as_deref(), Some("O"));
}

fn leroy_original() -> Vec<u8> {
    format!(
        "From: Dr Jacques LEROY <{LEROY}>\r\n\
         To: =?utf-8?q?Secr=C3=A9tariat_de_cardiologie?= <{SECRETARIAT}>, {DURAND}\r\n\
         Cc: {MARTIN}, Dr Karim BENALI <{BENALI}>\r\n\
         Subject: RE: Rendez-vous de =?utf-8?q?contr=C3=B4le?=\r\n\
         Date: Sat, 14 Nov 2026 10:32:00 +0100\r\n\
         Message-ID: <rdv-3@cardio-pau.mssante.fr>\r\n\
         In-Reply-To: <rdv-2@ch-demo.mssante.fr>\r\n\
         References: <rdv-1@cardio-pau.mssante.fr> <rdv-2@ch-demo.mssante.fr>\r\n\
         Disposition-Notification-To: Dr Jacques LEROY <{LEROY}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Parfait, merci.\r\n\r\nDr LEROY\r\n\
         --b\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename*=utf-8''ECG%20%C3%A0%20relire.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MK\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn reply_and_reply_all_keep_the_thread() {
    let raw = leroy_original();
    let original = MessageDisplay::from_raw(&raw);
    let me = [addr(SECRETARIAT), addr(MARTIN)];

    let r = reply(&original, false, &me, identity());
    assert_eq!(r.subject, "Re: Rendez-vous de contrôle");
    assert_eq!(r.to.len(), 1);
    assert_eq!(r.to[0].address, addr(LEROY));
    assert!(r.cc.is_empty());
    assert_eq!(
        r.in_reply_to.as_deref(),
        Some("rdv-3@cardio-pau.mssante.fr")
    );
    assert_eq!(
        r.references,
        [
            "rdv-1@cardio-pau.mssante.fr",
            "rdv-2@ch-demo.mssante.fr",
            "rdv-3@cardio-pau.mssante.fr"
        ]
    );
    assert!(
        r.text.contains(
            "Le 14/11/2026 à 10:32, Dr Jacques LEROY a écrit :\n> Parfait, merci.\n>\n> Dr LEROY"
        ),
        "{}",
        r.text
    );

    let all = reply(&original, true, &me, identity());
    let to: Vec<&str> = all.to.iter().map(|r| r.address.as_str()).collect();
    let cc: Vec<&str> = all.cc.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(to, [LEROY, DURAND]);
    assert_eq!(cc, [BENALI]);

    let rendered = render(&all).expect("renders");
    let shown = MessageDisplay::from_raw(&rendered.bytes);
    assert_eq!(
        shown.in_reply_to.as_deref(),
        Some("rdv-3@cardio-pau.mssante.fr")
    );
    assert_eq!(shown.references.len(), 3);
    assert_eq!(
        shown.author.as_ref().map(|a| a.display_name()),
        Some("Marie MARTIN")
    );
    assert_eq!(
        shown.sender.as_ref().map(|s| s.address.as_str()),
        Some(MARTIN)
    );

    // Answering again does not pile up prefixes.
    let again = reply(&shown, false, &me, identity());
    assert_eq!(again.subject, "Re: Rendez-vous de contrôle");
    // Answering one's own message writes to its recipients.
    assert_eq!(again.to[0].address, addr(LEROY));
}

#[test]
fn forward_inline_keeps_attachments_and_as_attachment_keeps_the_original() {
    let raw = leroy_original();
    let original = MessageDisplay::from_raw(&raw);

    let inline = forward(&original, &raw, false, identity());
    assert_eq!(inline.subject, "TR: Rendez-vous de contrôle");
    assert!(inline
        .text
        .contains("---------- Message transféré ----------"));
    assert!(
        inline
            .text
            .contains(&format!("De : Dr Jacques LEROY <{LEROY}>")),
        "{}",
        inline.text
    );
    assert!(
        inline.text.contains("Date : 14/11/2026 à 10:32"),
        "{}",
        inline.text
    );
    assert!(
        inline.text.contains("Objet : RE: Rendez-vous de contrôle"),
        "{}",
        inline.text
    );
    assert!(
        inline.text.contains("À : Secrétariat de cardiologie <"),
        "{}",
        inline.text
    );
    assert!(inline.text.contains("Parfait, merci."));
    assert_eq!(inline.attachments.len(), 1);
    assert_eq!(inline.attachments[0].filename, "ECG à relire.pdf");
    assert_eq!(
        inline.attachments[0].bytes,
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    );
    assert_eq!(
        inline.in_reply_to.as_deref(),
        Some("rdv-3@cardio-pau.mssante.fr")
    );
    let mut inline = inline;
    inline.to.push(Recipient::new(addr(DURAND)));
    let rendered = render(&inline).expect("renders");
    let shown = MessageDisplay::from_raw(&rendered.bytes);
    assert_eq!(shown.attachments[0].filename, "ECG à relire.pdf");
    assert_eq!(
        shown.references.last().map(String::as_str),
        Some("rdv-3@cardio-pau.mssante.fr")
    );

    let mut attached = forward(&original, &raw, true, identity());
    attached.to.push(Recipient::new(addr(DURAND)));
    assert_eq!(attached.attachments[0].content_type, "message/rfc822");
    let rendered = render(&attached).expect("renders");
    let text = String::from_utf8_lossy(&rendered.bytes);
    assert!(text.contains("Content-Type: message/rfc822"), "{text}");
    let shown = MessageDisplay::from_raw(&rendered.bytes);
    assert_eq!(shown.subject, "TR: Rendez-vous de contrôle");
    let eml = shown
        .attachments
        .iter()
        .find(|a| a.content_type == "message/rfc822")
        .expect("forwarded message");
    assert!(eml.filename.ends_with(".eml"), "{}", eml.filename);
    let back = attachment_bytes(&rendered.bytes, eml.index).expect("bytes");
    let back_shown = MessageDisplay::from_raw(&back);
    assert_eq!(
        back_shown.message_id.as_deref(),
        Some("rdv-3@cardio-pau.mssante.fr")
    );
    assert_eq!(back_shown.attachments[0].filename, "ECG à relire.pdf");
}

#[test]
fn read_receipt_is_an_mdn() {
    let raw = leroy_original();
    let original = MessageDisplay::from_raw(&raw);
    let mdn = read_receipt(&original, &addr(SECRETARIAT), identity()).expect("asked");
    assert_eq!(mdn.to[0].address, addr(LEROY));
    let rendered = render(&mdn).expect("renders");
    let text = String::from_utf8_lossy(&rendered.bytes);
    assert!(text.contains("multipart/report"), "{text}");
    assert!(
        text.contains("report-type=disposition-notification")
            || text.contains("report-type=\"disposition-notification\""),
        "{text}"
    );
    let reports = parse_reports(&rendered.bytes);
    assert_eq!(reports.len(), 1, "{text}");
    assert_eq!(
        reports[0].kind,
        ReportKind::ReadReceipt {
            disposition: Disposition::Displayed,
            reader: SECRETARIAT.into(),
            automatic: false
        }
    );
    assert_eq!(
        reports[0].original_message_id.as_deref(),
        Some("rdv-3@cardio-pau.mssante.fr")
    );
    assert_eq!(reports[0].summary, format!("Lu par {SECRETARIAT}"));
    // Nothing asked, nothing built.
    let plain = MessageDisplay::from_raw(&render(&letter_message()).expect("r").bytes);
    let mut plain = plain;
    plain.special.disposition_notification_to = None;
    assert!(read_receipt(&plain, &addr(SECRETARIAT), identity()).is_none());
}
