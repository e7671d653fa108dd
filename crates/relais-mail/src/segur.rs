//! What the reader shows about a message in the Ségur sense (issue #15 §5): whether it is
//! about a patient, whether it comes from Mon espace santé, whether it closes the
//! conversation, the patient's INS and name, and the subject without the `XDM/1.0/DDM+`
//! prefix some senders put before the subject of a document sent to the DMP. Computed here,
//! once, from the parsed message; the shell and the UI only show it.

use relais_core::{BoxAddress, Ins};
use serde::{Deserialize, Serialize};

use crate::display::{MailboxDisplay, MessageDisplay};

/// The subject prefix of a message that carries a document for the DMP (IHE XDM).
pub const XDM_SUBJECT_PREFIX: &str = "XDM/1.0/DDM+";

/// The patient a message is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientMark {
    /// Their matricule INS (from their `patient.mssante.fr` address).
    pub ins: Ins,
    /// Their name as the message writes it, when it does.
    pub name: Option<String>,
}

/// The Ségur markers of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegurMarks {
    /// The sender is a patient, writing from Mon espace santé.
    pub from_patient: bool,
    /// The patient the message is about: the sender or a recipient at `patient.mssante.fr`.
    pub patient: Option<PatientMark>,
    /// The professional closed the conversation (`X-MSS-MES: FIN`).
    pub closed: bool,
    /// Whether the subject carried the `XDM/1.0/DDM+` prefix (a document for the DMP).
    pub dmp_document: bool,
    /// The subject to show: without that prefix.
    pub subject: String,
}

/// Whether a message closes the patient conversation: `X-MSS-MES: FIN`, or a subject that
/// starts with `[FIN]` (as Mon espace santé writes it). The one home of this rule: the
/// reader (from the parsed message) and the list (from the synced headers) both ask here.
pub fn closes_conversation(x_mss_mes: Option<&str>, subject: &str) -> bool {
    x_mss_mes.is_some_and(|v| v.trim().eq_ignore_ascii_case("FIN"))
        || subject.trim().to_ascii_uppercase().starts_with("[FIN]")
}

/// The subject to show: without the `XDM/1.0/DDM+` prefix (any case), and whether it had it.
pub fn shown_subject(subject: &str) -> (String, bool) {
    let trimmed = subject.trim_start();
    match trimmed.get(..XDM_SUBJECT_PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(XDM_SUBJECT_PREFIX) => {
            (trimmed[XDM_SUBJECT_PREFIX.len()..].trim().to_owned(), true)
        }
        _ => (subject.to_owned(), false),
    }
}

/// Whether an address (as written in `From:`) is a patient's Mon espace santé box.
pub fn is_patient_sender(address: &str) -> bool {
    BoxAddress::parse(address).is_ok_and(|a| a.patient_ins().is_some())
}

fn patient_of(mailbox: &MailboxDisplay) -> Option<PatientMark> {
    let address = BoxAddress::parse(&mailbox.address).ok()?;
    let ins = address.patient_ins()?;
    let name = mailbox
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(address.as_str()))
        .map(str::to_owned);
    Some(PatientMark { ins, name })
}

impl SegurMarks {
    /// The markers of a parsed message.
    pub fn of(message: &MessageDisplay) -> SegurMarks {
        let from_patient = message.from.as_ref().and_then(patient_of);
        let patient = from_patient
            .clone()
            .or_else(|| message.to.iter().chain(&message.cc).find_map(patient_of));
        let (subject, dmp_document) = shown_subject(&message.subject);
        SegurMarks {
            from_patient: from_patient.is_some(),
            patient,
            closed: message.closes_conversation(),
            dmp_document,
            subject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segur_marks_patient_mon_espace_sante_closed_and_xdm_subject() {
        let raw = "From: Camille DUBOIS <285036444512379@patient.mssante.fr>\r\n\
                   To: marie.martin@ch-demo.mssante.fr\r\n\
                   Subject: XDM/1.0/DDM+Compte rendu de consultation\r\n\
                   X-MSS-MES: FIN\r\n\r\nBonjour.\r\n";
        let marks = SegurMarks::of(&MessageDisplay::from_raw(raw.as_bytes()));
        assert!(marks.from_patient);
        assert!(marks.closed);
        assert!(marks.dmp_document);
        assert_eq!(marks.subject, "Compte rendu de consultation");
        let patient = marks.patient.unwrap();
        assert_eq!(patient.ins.as_str(), "285036444512379");
        assert_eq!(patient.name.as_deref(), Some("Camille DUBOIS"));

        // A professional writing to a patient: about the patient, not from Mon espace santé.
        let raw = "From: marie.martin@ch-demo.mssante.fr\r\n\
                   To: 285036444512379@patient.mssante.fr\r\nSubject: Rendez-vous\r\n\r\nx\r\n";
        let marks = SegurMarks::of(&MessageDisplay::from_raw(raw.as_bytes()));
        assert!(!marks.from_patient && !marks.closed && !marks.dmp_document);
        assert_eq!(marks.subject, "Rendez-vous");
        let patient = marks.patient.unwrap();
        assert_eq!(patient.ins.as_str(), "285036444512379");
        assert_eq!(patient.name, None);

        // Between professionals; a patient-domain address that is no INS is no patient.
        let raw = "From: pierre.durand@ch-demo.mssante.fr\r\n\
                   To: camille@patient.mssante.fr\r\nSubject: xdm/1.0/ddm+ Résultat\r\n\r\nx\r\n";
        let marks = SegurMarks::of(&MessageDisplay::from_raw(raw.as_bytes()));
        assert_eq!(marks.patient, None);
        assert!(marks.dmp_document);
        assert_eq!(marks.subject, "Résultat");
    }
}
