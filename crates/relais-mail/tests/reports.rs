//! Delivery reports (Postfix bounces) and read receipts from the fixture corpus.

use std::path::PathBuf;

use relais_mail::{parse_reports, DeliveryStatus, Disposition, MessageDisplay, ReportKind};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    std::fs::read(path).expect("fixture")
}

#[test]
fn postfix_bounce_unknown_box() {
    let raw = fixture("postfix-bounce-5.1.1.eml");
    let reports = parse_reports(&raw);
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0];
    assert_eq!(
        report.summary,
        "Non distribué à 123456789012345@patient.mssante.fr : boîte inconnue (5.1.1)"
    );
    let ReportKind::Delivery {
        status,
        recipient,
        status_code,
        diagnostic,
    } = &report.kind
    else {
        panic!("delivery report expected: {report:?}");
    };
    assert_eq!(*status, DeliveryStatus::Failed);
    assert_eq!(recipient, "123456789012345@patient.mssante.fr");
    assert_eq!(status_code.as_deref(), Some("5.1.1"));
    assert!(
        diagnostic
            .as_deref()
            .is_some_and(|d| d.contains("User unknown in virtual mailbox table")),
        "{diagnostic:?}"
    );
    assert_eq!(
        report.original_message_id.as_deref(),
        Some("d1a2b3c4-0000-4000-8000-000000000001@relais.ch-demo.mssante.fr")
    );
    assert_eq!(report.original_subject.as_deref(), Some("Lettre de sortie"));
    // The bounce itself displays, the returned message as an attachment.
    let shown = MessageDisplay::from_raw(&raw);
    assert_eq!(shown.subject, "Undelivered Mail Returned to Sender");
    assert!(shown.text.contains("could not"), "{}", shown.text);
}

#[test]
fn postfix_bounce_closed_patient_box_several_recipients() {
    let reports = parse_reports(&fixture("postfix-bounce-patient-closed.eml"));
    let summaries: Vec<&str> = reports.iter().map(|r| r.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Non distribué à 285036444512379@patient.mssante.fr : boîte du patient fermée (5.2.1)",
            "Distribué à pierre.durand@ch-demo.mssante.fr",
            "Non distribué à gros@ch-demo.mssante.fr : message trop volumineux (5.3.4)",
        ]
    );
    assert!(reports
        .iter()
        .all(|r| r.original_message_id.as_deref() == Some("cr-1@relais.ch-demo.mssante.fr")));
}

#[test]
fn postfix_delay_warning() {
    let reports = parse_reports(&fixture("postfix-delayed.eml"));
    assert_eq!(reports.len(), 1);
    assert!(matches!(
        reports[0].kind,
        ReportKind::Delivery {
            status: DeliveryStatus::Delayed,
            ..
        }
    ));
    assert_eq!(
        reports[0].summary,
        "Distribution retardée à jacques.leroy@cardio-pau.mssante.fr : le serveur réessaie (4.4.1)"
    );
}

#[test]
fn read_receipt_from_another_client() {
    let reports = parse_reports(&fixture("mdn-displayed.eml"));
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].kind,
        ReportKind::ReadReceipt {
            disposition: Disposition::Displayed,
            reader: "jacques.leroy@cardio-pau.mssante.fr".into(),
            automatic: false,
        }
    );
    assert_eq!(
        reports[0].summary,
        "Lu par jacques.leroy@cardio-pau.mssante.fr"
    );
    assert_eq!(
        reports[0].original_message_id.as_deref(),
        Some("rdv-dubois-2@ch-demo.mssante.fr")
    );
}
