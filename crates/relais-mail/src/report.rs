//! Delivery reports (DSN, RFC 3464) and read receipts (MDN, RFC 8098), with a plain French
//! summary for the person: « Non distribué à 1234…@patient.mssante.fr : boîte inconnue
//! (5.1.1) ».
//!
//! [`parse_reports`] reads a `multipart/report` message (`report-type=delivery-status`, as
//! Postfix's bounces, or `disposition-notification`) and returns one [`Report`] per recipient
//! block; anything else gives an empty list. The machine-readable part
//! (`message/delivery-status`, `message/global-delivery-status` or
//! `message/disposition-notification`) is read field by field, unfolded, case-insensitively.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

use crate::text::{bare_id, one_line};

/// The `Action:` of a DSN recipient block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not delivered, and will not be.
    Failed,
    /// Not yet delivered; the server keeps trying.
    Delayed,
    /// Delivered to the recipient's box.
    Delivered,
    /// Passed to a system that sends no reports.
    Relayed,
    /// Delivered to a list, which forwarded it.
    Expanded,
}

/// The disposition of an MDN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Shown to the recipient (read).
    Displayed,
    /// Deleted without being shown.
    Deleted,
    /// Sent somewhere else, or processed without being shown.
    Dispatched,
    /// Processed by software without being shown.
    Processed,
    /// Anything else (the raw disposition type).
    Other(String),
}

/// What the report says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReportKind {
    /// A delivery status notification for one recipient.
    Delivery {
        /// Action.
        status: DeliveryStatus,
        /// Final recipient address (or the original one).
        recipient: String,
        /// Enhanced status code, « 5.1.1 ».
        status_code: Option<String>,
        /// The server's diagnostic, as written.
        diagnostic: Option<String>,
    },
    /// A read receipt.
    ReadReceipt {
        /// Disposition type.
        disposition: Disposition,
        /// Who it is about (`Final-Recipient`).
        reader: String,
        /// Whether the reader's software sent it automatically.
        automatic: bool,
    },
}

/// One report, with its French summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What happened.
    pub kind: ReportKind,
    /// One French sentence for the person.
    pub summary: String,
    /// Message-ID (without angle brackets) of the message the report is about, when known.
    pub original_message_id: Option<String>,
    /// Subject of that message, when the report includes it.
    pub original_subject: Option<String>,
}

/// Reports in `raw`; empty when it is not a delivery or disposition report.
pub fn parse_reports(raw: &[u8]) -> Vec<Report> {
    std::panic::catch_unwind(|| parse_inner(raw)).unwrap_or_default()
}

fn parse_inner(raw: &[u8]) -> Vec<Report> {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    let Some(ct) = message.root_part().content_type() else {
        return Vec::new();
    };
    let is_report = ct.ctype().eq_ignore_ascii_case("multipart")
        && ct
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"));
    if !is_report {
        return Vec::new();
    }
    let mut status_fields: Option<(bool, String)> = None;
    let mut original_id = None;
    let mut original_subject = None;
    for part in &message.parts {
        let Some(pct) = part.content_type() else {
            continue;
        };
        let full = format!(
            "{}/{}",
            pct.ctype().to_ascii_lowercase(),
            pct.subtype().unwrap_or_default().to_ascii_lowercase()
        );
        match full.as_str() {
            "message/delivery-status" | "message/global-delivery-status"
                if status_fields.is_none() =>
            {
                status_fields = Some((true, part_text(part)));
            }
            "message/disposition-notification" | "message/global-disposition-notification"
                if status_fields.is_none() =>
            {
                status_fields = Some((false, part_text(part)));
            }
            "message/rfc822" | "message/global" | "text/rfc822-headers" => {
                let original = match &part.body {
                    PartType::Message(nested) => (
                        nested.message_id().map(bare_id),
                        nested.subject().map(one_line),
                    ),
                    _ => {
                        let text = part_text(part);
                        MessageParser::default()
                            .parse_headers(text.as_bytes())
                            .map(|m| (m.message_id().map(bare_id), m.subject().map(one_line)))
                            .unwrap_or_default()
                    }
                };
                if original_id.is_none() {
                    original_id = original.0.filter(|id| !id.is_empty());
                }
                if original_subject.is_none() {
                    original_subject = original.1.filter(|s| !s.is_empty());
                }
            }
            _ => {}
        }
    }
    let Some((is_delivery, text)) = status_fields else {
        return Vec::new();
    };
    let blocks = field_blocks(&text);
    let mut reports = Vec::new();
    if is_delivery {
        for block in blocks.iter().skip(1) {
            if let Some(kind) = delivery_kind(block) {
                reports.push(Report {
                    summary: delivery_summary(&kind),
                    kind,
                    original_message_id: original_id.clone(),
                    original_subject: original_subject.clone(),
                });
            }
        }
        // Some servers put everything in one block.
        if reports.is_empty() {
            if let Some(kind) = blocks.first().and_then(|b| delivery_kind(b)) {
                reports.push(Report {
                    summary: delivery_summary(&kind),
                    kind,
                    original_message_id: original_id,
                    original_subject,
                });
            }
        }
    } else {
        let fields: Vec<(String, String)> = blocks.into_iter().flatten().collect();
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let reader = get("final-recipient")
            .or_else(|| get("original-recipient"))
            .map(|v| strip_address_type(&v))
            .unwrap_or_default();
        let disposition_field = get("disposition").unwrap_or_default().to_ascii_lowercase();
        let (modes, kind) = match disposition_field.split_once(';') {
            Some((modes, kind)) => (modes.trim().to_owned(), kind.trim().to_owned()),
            None => (String::new(), disposition_field.trim().to_owned()),
        };
        let kind = kind.split('/').next().unwrap_or_default().trim().to_owned();
        let disposition = match kind.as_str() {
            "displayed" => Disposition::Displayed,
            "deleted" => Disposition::Deleted,
            "dispatched" => Disposition::Dispatched,
            "processed" => Disposition::Processed,
            other => Disposition::Other(other.to_owned()),
        };
        let automatic = modes.contains("automatic-action") || modes.contains("sent-automatically");
        let original = get("original-message-id")
            .map(|v| bare_id(&v))
            .or(original_id);
        let kind = ReportKind::ReadReceipt {
            disposition,
            reader,
            automatic,
        };
        reports.push(Report {
            summary: receipt_summary(&kind),
            kind,
            original_message_id: original.filter(|id| !id.is_empty()),
            original_subject,
        });
    }
    reports
}

fn part_text(part: &mail_parser::MessagePart<'_>) -> String {
    match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.to_string(),
        PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b).into_owned(),
        PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
        PartType::Multipart(_) => String::new(),
    }
}

/// Blank-line separated blocks of `Name: value` fields, names lower-cased, values unfolded.
fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// « rfc822; a@b » → « a@b ».
fn strip_address_type(value: &str) -> String {
    let address = match value.split_once(';') {
        Some((_, address)) => address,
        None => value,
    };
    one_line(bare_id(address).as_str())
}

fn delivery_kind(block: &[(String, String)]) -> Option<ReportKind> {
    let get = |name: &str| {
        block
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let action = get("action")?.to_ascii_lowercase();
    let status = match action.split_whitespace().next().unwrap_or_default() {
        "failed" => DeliveryStatus::Failed,
        "delayed" => DeliveryStatus::Delayed,
        "delivered" => DeliveryStatus::Delivered,
        "relayed" => DeliveryStatus::Relayed,
        "expanded" => DeliveryStatus::Expanded,
        _ => return None,
    };
    let recipient = get("final-recipient")
        .or_else(|| get("original-recipient"))
        .map(strip_address_type)
        .unwrap_or_default();
    let status_code = get("status")
        .and_then(|s| s.split_whitespace().next())
        .filter(|s| s.split('.').count() == 3 && s.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .map(str::to_owned);
    let diagnostic = get("diagnostic-code").map(|d| {
        let d = match d.split_once(';') {
            Some((kind, rest)) if kind.trim().eq_ignore_ascii_case("smtp") => rest,
            _ => d,
        };
        one_line(d)
    });
    Some(ReportKind::Delivery {
        status,
        recipient,
        status_code,
        diagnostic,
    })
}

/// What the person can do about a report, in French: `None` when nothing is to be done
/// (delivered, read). The one home of this advice, for the reader and `relais show`.
pub fn advice(kind: &ReportKind) -> Option<&'static str> {
    let ReportKind::Delivery {
        status,
        recipient,
        status_code,
        ..
    } = kind
    else {
        return None;
    };
    let code = status_code.as_deref().unwrap_or_default();
    let patient = recipient
        .to_ascii_lowercase()
        .ends_with("@patient.mssante.fr");
    Some(match status {
        DeliveryStatus::Failed => match code.get(2..).unwrap_or_default() {
            "1.1" | "1.2" | "1.3" | "1.0" if patient => {
                "Vérifiez le matricule INS du patient (carte Vitale ou téléservice INSi), puis renvoyez le message."
            }
            "1.1" | "1.2" | "1.3" | "1.0" => {
                "Vérifiez l'adresse dans l'Annuaire Santé (ou auprès du destinataire), puis renvoyez le message."
            }
            "1.6" => "Demandez sa nouvelle adresse au destinataire, puis renvoyez le message.",
            "2.0" | "2.1" if patient => {
                "La messagerie Mon espace santé du patient est fermée : transmettez le document par un autre moyen."
            }
            "2.2" => "Renvoyez plus tard, ou prévenez le destinataire par un autre moyen.",
            "2.3" | "3.4" => {
                "Réduisez la taille des pièces jointes ou envoyez-les en plusieurs messages."
            }
            _ => "Vérifiez l'adresse, puis renvoyez ; si le refus persiste, contactez le support de votre opérateur.",
        },
        DeliveryStatus::Delayed => {
            "Rien à faire pour l'instant : le serveur réessaie et vous préviendra en cas d'échec."
        }
        DeliveryStatus::Delivered | DeliveryStatus::Relayed | DeliveryStatus::Expanded => {
            return None
        }
    })
}

/// The French summary of a delivery report.
fn delivery_summary(kind: &ReportKind) -> String {
    let ReportKind::Delivery {
        status,
        recipient,
        status_code,
        ..
    } = kind
    else {
        return String::new();
    };
    let who = if recipient.is_empty() {
        "au destinataire".to_owned()
    } else {
        format!("à {recipient}")
    };
    let code = status_code.as_deref().unwrap_or_default();
    let with_code = |text: &str| {
        if code.is_empty() {
            text.to_owned()
        } else {
            format!("{text} ({code})")
        }
    };
    let patient = recipient
        .to_ascii_lowercase()
        .ends_with("@patient.mssante.fr");
    match status {
        DeliveryStatus::Failed => {
            let reason = match code.get(2..).unwrap_or_default() {
                "1.1" => "boîte inconnue",
                "1.2" => "domaine inconnu",
                "1.3" | "1.0" => "adresse invalide",
                "1.6" => "la boîte a changé d'adresse",
                "2.0" | "2.1" if patient => "boîte du patient fermée",
                "2.0" | "2.1" => "boîte fermée ou désactivée",
                "2.2" => "boîte pleine",
                "2.3" | "3.4" => "message trop volumineux",
                "4.4" | "4.1" | "4.2" | "4.7" => "serveur du destinataire injoignable",
                s if s.starts_with("7.") => "refusé par le serveur du destinataire (sécurité)",
                _ => "refusé par le serveur du destinataire",
            };
            with_code(&format!("Non distribué {who} : {reason}"))
        }
        DeliveryStatus::Delayed => with_code(&format!(
            "Distribution retardée {who} : le serveur réessaie"
        )),
        DeliveryStatus::Delivered => format!("Distribué {who}"),
        DeliveryStatus::Relayed => {
            format!("Transmis {who} : le serveur suivant ne confirmera pas la distribution")
        }
        DeliveryStatus::Expanded => format!("Distribué {who} (liste de diffusion)"),
    }
}

/// The French summary of a read receipt.
fn receipt_summary(kind: &ReportKind) -> String {
    let ReportKind::ReadReceipt {
        disposition,
        reader,
        ..
    } = kind
    else {
        return String::new();
    };
    let who = if reader.is_empty() {
        "le destinataire".to_owned()
    } else {
        reader.clone()
    };
    match disposition {
        Disposition::Displayed => format!("Lu par {who}"),
        Disposition::Deleted => format!("Supprimé sans être lu par {who}"),
        Disposition::Dispatched | Disposition::Processed => format!("Traité par {who}"),
        Disposition::Other(other) => format!("Accusé de {who} : {}", one_line(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_unfolded() {
        let blocks = field_blocks("Reporting-MTA: dns; a\r\n\r\nFinal-Recipient: rfc822; x@y\r\nDiagnostic-Code: smtp; 550\r\n  suite\r\n");
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[1][1],
            ("diagnostic-code".to_owned(), "smtp; 550 suite".to_owned())
        );
    }

    #[test]
    fn advice_for_what_can_be_done() {
        let delivery = |status, recipient: &str, code: &str| ReportKind::Delivery {
            status,
            recipient: recipient.into(),
            status_code: Some(code.into()),
            diagnostic: None,
        };
        let unknown = delivery(DeliveryStatus::Failed, "dr.x@ch-demo.mssante.fr", "5.1.1");
        assert!(advice(&unknown).is_some_and(|a| a.contains("Annuaire Santé")));
        let patient = delivery(
            DeliveryStatus::Failed,
            "285036444512379@patient.mssante.fr",
            "5.1.1",
        );
        assert!(advice(&patient).is_some_and(|a| a.contains("INS")));
        let too_big = delivery(DeliveryStatus::Failed, "dr.x@ch-demo.mssante.fr", "5.3.4");
        assert!(advice(&too_big).is_some_and(|a| a.contains("taille")));
        let delivered = delivery(
            DeliveryStatus::Delivered,
            "dr.x@ch-demo.mssante.fr",
            "2.0.0",
        );
        assert_eq!(advice(&delivered), None);
        let read = ReportKind::ReadReceipt {
            disposition: Disposition::Displayed,
            reader: "dr.x@ch-demo.mssante.fr".into(),
            automatic: false,
        };
        assert_eq!(advice(&read), None);
    }

    #[test]
    fn summaries() {
        let k = ReportKind::Delivery {
            status: DeliveryStatus::Failed,
            recipient: "285036444512379@patient.mssante.fr".into(),
            status_code: Some("5.2.1".into()),
            diagnostic: None,
        };
        assert_eq!(
            delivery_summary(&k),
            "Non distribué à 285036444512379@patient.mssante.fr : boîte du patient fermée (5.2.1)"
        );
    }

    #[test]
    fn not_a_report() {
        assert!(parse_reports(b"Subject: x\r\n\r\nbody").is_empty());
        assert!(parse_reports(b"").is_empty());
    }
}
