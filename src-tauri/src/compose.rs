//! The composer's commands: replies and forwards pre-filled by the engine, attachments held
//! on this side, drafts, sending, the outbox, the INS check and the address book of
//! addresses already seen. Each is a thin call into the engine (`Engine::send`, `reply`,
//! `forward`, `save_draft`, `retry_failed`…).

use std::collections::HashMap;
use std::path::PathBuf;

use relais_core::{
    BirthDate, BirthplaceCode, BoxAddress, IdentityTraits, Ins, InsKind, PolicyError,
    QualifiedPatient, Sex, SizeLimits,
};
use relais_engine::{Compose, ComposeAttachment, Engine, Recipient, SendError};
use relais_mail::ComposeError;
use relais_store::{DraftId, MessageId, OutboxState};
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::commands::{blocking, engine, parse_box, CommandError, Outcome};
use crate::dto::{
    AddressView, ComposeRequest, ComposeView, DraftSavedView, HeldAttachment, InsCheck,
    OutboxChanged, OutboxRowView, PatientCheck, PatientInput, SendLimits, SendOutcome,
};
use crate::session::{AppState, Shared};

/// Newest messages read per folder to gather known addresses.
const ADDRESSES_PER_FOLDER: u32 = 3_000;

impl From<SendError> for CommandError {
    fn from(error: SendError) -> Self {
        let code = match &error {
            SendError::Engine(inner) => {
                // The engine's own error keeps its code.
                return clone_engine_error(inner, &error);
            }
            SendError::Compose(ComposeError::Policy(PolicyError::OutsideTrustSpace { .. })) => {
                "outside_trust_space"
            }
            SendError::Compose(ComposeError::Policy(PolicyError::SeveralPatients { .. })) => {
                "several_patients"
            }
            SendError::Compose(ComposeError::Policy(PolicyError::InvalidPatientAddress {
                ..
            })) => "invalid_patient_address",
            SendError::Compose(ComposeError::Policy(_)) => "too_large",
            SendError::Compose(ComposeError::NoRecipient) => "no_recipient",
            SendError::Compose(_) => "compose",
            SendError::Attachment { .. } => "attachment",
            SendError::Xdm(_) => "xdm",
            SendError::Author(_) => "author",
            SendError::Refused { .. } => "send_refused",
            SendError::UnknownDraft(_) => "unknown_draft",
            SendError::NotADraft => "not_a_draft",
            SendError::TooLateToRecall => "too_late_to_recall",
            SendError::NoReadReceiptAsked => "no_read_receipt",
            SendError::ReadReceiptAlreadyAnswered => "read_receipt_answered",
        };
        CommandError::new(code, error.to_string())
    }
}

/// `EngineError` is not `Clone`: keep its code by kind and its French text.
fn clone_engine_error(inner: &relais_engine::EngineError, whole: &SendError) -> CommandError {
    let mut out = CommandError::new("engine", whole.to_string());
    use relais_engine::EngineError as E;
    out.code = match inner {
        E::Net(_) => "network",
        E::NotAllowed { .. } => "not_allowed",
        E::UnknownBox(_) => "unknown_box",
        E::UnknownMessage => "unknown_message",
        E::NotSignedIn => "not_signed_in",
        E::SessionEnded => "session_ended",
        _ => "engine",
    };
    out
}

fn limits(engine: &Engine) -> SizeLimits {
    SizeLimits {
        per_message: engine.operator().max_message_size,
        ..SizeLimits::default()
    }
}

/// The size limits checked before sending, for the composer's own early check.
#[tauri::command]
pub async fn send_limits(state: State<'_, AppState>) -> Outcome<SendLimits> {
    let (engine, _) = engine(&state)?;
    let l = limits(&engine);
    Ok(SendLimits {
        per_attachment: l.per_attachment,
        per_message: l.per_message,
        patient_message: l.patient_message,
    })
}

fn too_large(name: &str, size: u64, l: &SizeLimits) -> Outcome<()> {
    l.check_attachment(name, size)
        .map_err(|e| CommandError::new("too_large", e.to_string()))
}

fn held_view(token: u64, attachment: &ComposeAttachment, size: u64) -> HeldAttachment {
    let filename = attachment.filename();
    let content_type = match attachment {
        ComposeAttachment::Bytes {
            content_type: Some(ct),
            ..
        } => ct.clone(),
        _ => relais_mail::guess_content_type(&filename).to_owned(),
    };
    HeldAttachment {
        token,
        filename,
        content_type,
        size,
    }
}

/// A file chosen by path (dropped on the window): its size is checked now, its bytes are
/// read when sending.
#[tauri::command]
pub async fn attach_path(state: State<'_, AppState>, path: String) -> Outcome<HeldAttachment> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let path = PathBuf::from(path);
        let attachment = ComposeAttachment::path(&path);
        let name = attachment.filename();
        let meta = std::fs::metadata(&path).map_err(|e| {
            CommandError::new(
                "attachment",
                format!("La pièce jointe « {name} » ne peut pas être lue : {e}"),
            )
        })?;
        if !meta.is_file() {
            return Err(CommandError::new(
                "attachment",
                format!(
                    "« {name} » n'est pas un fichier : seuls des fichiers peuvent être joints."
                ),
            ));
        }
        too_large(&name, meta.len(), &limits(&engine))?;
        let token = shared.hold(attachment.clone());
        Ok(held_view(token, &attachment, meta.len()))
    })
    .await
}

/// A file read by the webview (`<input type=file>`): its bytes come as the raw body of the
/// call, its name in the `x-filename` header (percent-encoded).
#[tauri::command]
pub async fn attach_bytes(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Outcome<HeldAttachment> {
    let (engine, shared) = engine(&state)?;
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(percent_decode)
    };
    let filename = header("x-filename")
        .map(|n| safe_filename(&n))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "piece-jointe".to_owned());
    let content_type = header("x-content-type").filter(|t| !t.trim().is_empty());
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(
            "attachment",
            format!("La pièce jointe « {filename} » n'a pas été transmise."),
        ));
    };
    let size = bytes.len() as u64;
    too_large(&filename, size, &limits(&engine))?;
    let attachment = ComposeAttachment::Bytes {
        filename,
        content_type,
        bytes: bytes.clone(),
    };
    let token = shared.hold(attachment.clone());
    Ok(held_view(token, &attachment, size))
}

/// Drops a held attachment (removed from the composer).
#[tauri::command]
pub async fn release_attachment(state: State<'_, AppState>, token: u64) -> Outcome<()> {
    let (_, shared) = engine(&state)?;
    shared.release(&[token]);
    Ok(())
}

fn percent_decode(text: &str) -> String {
    relais_mail::encoding::percent_decode_lossy(text)
}

/// The last component of a name, without path separators or control characters.
pub(crate) fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    last.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned()
}

// ---------------------------------------------------------------------------------- INS

fn ins_check(text: &str) -> InsCheck {
    match Ins::parse(text) {
        Ok(ins) => InsCheck {
            valid: true,
            formatted: Some(ins.formatted()),
            address: Some(ins.patient_address().as_str().to_owned()),
            kind: Some(match ins.kind() {
                InsKind::Nir => "nir".to_owned(),
                InsKind::Nia => "nia".to_owned(),
            }),
            error: None,
        },
        Err(error) => InsCheck {
            valid: false,
            formatted: None,
            address: None,
            kind: None,
            error: Some(error.to_string()),
        },
    }
}

/// Checks a matricule INS as it is typed: the French error of `Ins::parse`, or the
/// patient's address.
#[tauri::command]
pub fn check_ins(text: String) -> InsCheck {
    ins_check(&text)
}

fn patient_of(input: &PatientInput) -> (PatientCheck, Option<QualifiedPatient>) {
    let ins = ins_check(&input.ins);
    let missing = |value: &str, what: &str| {
        value
            .trim()
            .is_empty()
            .then(|| format!("{what} du patient est à renseigner."))
    };
    let birth_name_error = missing(&input.birth_name, "Le nom de naissance");
    let first_names_error = missing(&input.first_names, "Le prénom");
    let birth_date = BirthDate::parse(&input.birth_date);
    let sex = Sex::parse(&input.sex);
    let birthplace = BirthplaceCode::parse(&input.birthplace);
    let mut check = PatientCheck {
        ins,
        birth_name_error,
        first_names_error,
        birth_date_error: birth_date.as_ref().err().map(ToString::to_string),
        sex_error: sex.as_ref().err().map(ToString::to_string),
        birthplace_error: birthplace.as_ref().err().map(ToString::to_string),
        summary: None,
    };
    let patient = match (Ins::parse(&input.ins), birth_date, sex, birthplace) {
        (Ok(ins), Ok(birth_date), Ok(sex), Ok(birthplace))
            if check.birth_name_error.is_none() && check.first_names_error.is_none() =>
        {
            Some(QualifiedPatient {
                ins,
                traits: IdentityTraits {
                    birth_name: input.birth_name.trim().to_uppercase(),
                    first_names: input.first_names.trim().to_owned(),
                    birth_date,
                    sex,
                    birthplace,
                },
            })
        }
        _ => None,
    };
    check.summary = patient.as_ref().map(QualifiedPatient::summary);
    (check, patient)
}

/// Checks the patient's INS and identity traits, field by field (French messages).
#[tauri::command]
pub fn check_patient(patient: PatientInput) -> PatientCheck {
    patient_of(&patient).0
}

// ------------------------------------------------------------------------ composing

fn recipients(list: &[AddressView]) -> Outcome<Vec<Recipient>> {
    list.iter()
        .map(|a| {
            let address = BoxAddress::parse(a.address.trim()).map_err(|e| {
                CommandError::new(
                    "invalid_recipient",
                    format!("L'adresse « {} » est invalide : {e}", a.address.trim()),
                )
            })?;
            Ok(match a.name.as_deref().filter(|n| !n.trim().is_empty()) {
                Some(name) => Recipient::named(address, name),
                None => Recipient::new(address),
            })
        })
        .collect()
}

/// The engine's `Compose` from what the composer holds.
fn compose_of(shared: &Shared, request: &ComposeRequest) -> Outcome<Compose> {
    let mut c = Compose::new(parse_box(&request.from_box)?);
    c.to = recipients(&request.to)?;
    c.cc = recipients(&request.cc)?;
    c.bcc = recipients(&request.bcc)?;
    c.subject = request.subject.clone();
    c.text = request.body.clone();
    c.quoted = request.quoted.clone().filter(|q| !q.trim().is_empty());
    c.attachments = shared.held(&request.attachments).map_err(|token| {
        CommandError::new(
            "attachment",
            format!("Une pièce jointe n'est plus disponible (n° {token}) : joignez-la de nouveau."),
        )
    })?;
    c.delivery_receipt = request.delivery_receipt;
    c.read_receipt = request.read_receipt;
    c.allow_outside = request.allow_outside;
    if let Some(input) = &request.patient {
        let (check, patient) = patient_of(input);
        let Some(patient) = patient else {
            let first = [
                check.ins.error,
                check.birth_name_error,
                check.first_names_error,
                check.birth_date_error,
                check.sex_error,
                check.birthplace_error,
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_default();
            return Err(CommandError::new("invalid_patient", first));
        };
        c.patient = Some(patient);
        c.close_conversation = request.close_conversation;
    }
    c.in_reply_to = request.in_reply_to.clone();
    c.references = request.references.clone();
    // The signature line is in the body, where the person could edit it.
    c.sign = false;
    c.draft = request.draft_id.map(DraftId);
    Ok(c)
}

fn address_view(r: &Recipient) -> AddressView {
    AddressView {
        name: r.display_name.clone(),
        address: r.address.as_str().to_owned(),
    }
}

/// What the composer opens with; the attachments are held for it (tokens).
pub(crate) fn compose_view(shared: &Shared, compose: Compose) -> ComposeView {
    let attachments = compose
        .attachments
        .into_iter()
        .map(|a| {
            let size = match &a {
                ComposeAttachment::Bytes { bytes, .. } => bytes.len() as u64,
                ComposeAttachment::Path { path } => {
                    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
                }
            };
            let token = shared.hold(a.clone());
            held_view(token, &a, size)
        })
        .collect();
    ComposeView {
        from_box: compose.from_box.as_str().to_owned(),
        to: compose.to.iter().map(address_view).collect(),
        cc: compose.cc.iter().map(address_view).collect(),
        bcc: compose.bcc.iter().map(address_view).collect(),
        subject: compose.subject,
        text: compose.text,
        quoted: compose.quoted,
        attachments,
        in_reply_to: compose.in_reply_to,
        references: compose.references,
        draft_id: compose.draft.map(|d| d.0),
    }
}

/// A reply (to all when `all`) pre-filled by the engine, from the box it was received in.
#[tauri::command]
pub async fn compose_reply(state: State<'_, AppState>, id: i64, all: bool) -> Outcome<ComposeView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let compose = engine.reply(MessageId(id), all)?;
        Ok(compose_view(&shared, compose))
    })
    .await
}

/// ECO.3.1.6: whether a message asks for a read receipt and what the person chose.
#[tauri::command]
pub async fn read_receipt_state(
    state: State<'_, AppState>,
    id: i64,
) -> Outcome<relais_engine::ReadReceiptState> {
    let (engine, _) = engine(&state)?;
    blocking(move || Ok(engine.read_receipt_state(MessageId(id))?)).await
}

/// ECO.3.1.6: the person's answer to a read-receipt request, « Envoyer l'accusé » (`send`)
/// or « Ne pas envoyer »; never sent without it. Returns the remembered choice.
#[tauri::command]
pub async fn answer_read_receipt(
    state: State<'_, AppState>,
    id: i64,
    send: bool,
) -> Outcome<relais_engine::ReadReceiptState> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        if send {
            engine.answer_read_receipt(MessageId(id))?;
        } else {
            engine.decline_read_receipt(MessageId(id))?;
        }
        Ok(engine.read_receipt_state(MessageId(id))?)
    })
    .await
}

/// A forward pre-filled by the engine (inline, with the attachments kept).
#[tauri::command]
pub async fn compose_forward(
    state: State<'_, AppState>,
    id: i64,
    as_attachment: bool,
) -> Outcome<ComposeView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let compose = engine.forward(MessageId(id), as_attachment)?;
        Ok(compose_view(&shared, compose))
    })
    .await
}

/// The signature line the person gets in a box (configured, else the default one).
#[tauri::command]
pub async fn signature(state: State<'_, AppState>, box_address: String) -> Outcome<String> {
    let (engine, _) = engine(&state)?;
    blocking(move || Ok(engine.signature(&parse_box(&box_address)?)?)).await
}

/// Saves the draft (locally, and in the box's Drafts folder when it has a recipient).
#[tauri::command]
pub async fn save_draft(
    state: State<'_, AppState>,
    request: ComposeRequest,
) -> Outcome<DraftSavedView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let compose = compose_of(&shared, &request)?;
        let saved = engine.save_draft(&compose)?;
        Ok(DraftSavedView {
            id: saved.id.0,
            server_error: saved.server_error,
        })
    })
    .await
}

/// Sends: the engine checks, queues durably, submits and copies to Sent.
#[tauri::command]
pub async fn send_message(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    request: ComposeRequest,
) -> Outcome<SendOutcome> {
    let (engine, shared) = engine(&state)?;
    let hold_secs = crate::settings::undo_send_seconds(&crate::settings::load(&app));
    blocking(move || {
        let mut compose = compose_of(&shared, &request)?;
        compose.hold_secs = hold_secs;
        let receipt = engine.send(compose)?;
        shared.release(&request.attachments);
        Ok(SendOutcome {
            sent: receipt.sent(),
            state: receipt.state.as_str().to_owned(),
            message_id: receipt.message_id,
            error: receipt.error,
            outbox_id: receipt.outbox_id.0,
            held_until: receipt.held_until,
        })
    })
    .await
}

/// « Annuler l'envoi »: the held message comes back into the composer, as a draft.
#[tauri::command]
pub async fn recall_send(state: State<'_, AppState>, id: i64) -> Outcome<ComposeView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let compose = engine.recall_send(relais_store::OutboxId(id))?;
        Ok(compose_view(&shared, compose))
    })
    .await
}

// ---------------------------------------------------------------------------- outbox

fn counts(rows: &[relais_store::OutboxMessage]) -> OutboxChanged {
    let failed = rows
        .iter()
        .filter(|r| r.state == OutboxState::Failed)
        .count();
    let queued = rows
        .iter()
        .filter(|r| r.state != OutboxState::Done && r.state != OutboxState::Failed)
        .count();
    OutboxChanged {
        queued: u32::try_from(queued).unwrap_or(u32::MAX),
        failed: u32::try_from(failed).unwrap_or(u32::MAX),
    }
}

/// The messages still in the outbox (waiting or failed), most recent first.
#[tauri::command]
pub async fn outbox(state: State<'_, AppState>) -> Outcome<Vec<OutboxRowView>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        Ok(engine
            .outbox()?
            .into_iter()
            .filter(|r| r.state != OutboxState::Done)
            .map(row_view)
            .collect())
    })
    .await
}

/// « Réessayer »: every failed or waiting message, now. Returns the new counts.
#[tauri::command]
pub async fn retry_outbox(state: State<'_, AppState>) -> Outcome<OutboxChanged> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        // Not the held ones: « Réessayer » is for failures, not a way round undo send.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        let waiting: Vec<_> = engine
            .outbox()?
            .into_iter()
            .filter(|r| r.state != OutboxState::Done && r.hold_until <= now)
            .map(|r| r.id)
            .collect();
        let mut first_error = None;
        for id in waiting {
            if let Err(e) = engine.retry_failed(id) {
                first_error.get_or_insert(e);
            }
        }
        let rows = engine.outbox()?;
        match first_error {
            Some(e) if rows.iter().any(|r| r.state != OutboxState::Done) => Err(e.into()),
            _ => Ok(counts(&rows)),
        }
    })
    .await
}

/// « Envoyer maintenant » on one message of the outbox panel (a refused one too): its
/// state afterwards, with the reason in French when it still waits.
#[tauri::command]
pub async fn send_outbox_now(state: State<'_, AppState>, id: i64) -> Outcome<OutboxRowView> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let outcome = engine.retry_failed(relais_store::OutboxId(id))?;
        let row = engine
            .outbox()?
            .into_iter()
            .find(|r| r.id == outcome.id)
            .ok_or(relais_engine::EngineError::UnknownMessage)?;
        Ok(row_view(row))
    })
    .await
}

/// « Supprimer » on one message of the outbox panel (not while it is being sent): it will
/// never leave. Whether it was removed.
#[tauri::command]
pub async fn remove_outbox(state: State<'_, AppState>, id: i64) -> Outcome<bool> {
    let (engine, _) = engine(&state)?;
    blocking(move || Ok(engine.remove_from_outbox(relais_store::OutboxId(id))?)).await
}

fn row_view(r: relais_store::OutboxMessage) -> OutboxRowView {
    OutboxRowView {
        id: r.id.0,
        box_address: r.box_address.as_str().to_owned(),
        subject: r.subject,
        state: r.state.as_str().to_owned(),
        attempts: r.attempts,
        last_error: r.last_error,
        next_attempt_at: r.next_attempt_at,
        held_until: (r.hold_until > 0).then_some(r.hold_until),
    }
}

/// The outbox counts, for the status bar at start.
#[tauri::command]
pub async fn outbox_counts(state: State<'_, AppState>) -> Outcome<OutboxChanged> {
    let (engine, _) = engine(&state)?;
    blocking(move || Ok(counts(&engine.outbox()?))).await
}

// ------------------------------------------------------------------- known addresses

/// Addresses already seen (senders of stored messages, recipients of sent ones), for the
/// recipients' autocomplete; named ones first, then by address.
#[tauri::command]
pub async fn known_addresses(state: State<'_, AppState>) -> Outcome<Vec<AddressView>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let mut seen: HashMap<String, AddressView> = HashMap::new();
        let mut add = |name: Option<String>, address: &str| {
            let address = address.trim();
            if !address.contains('@') {
                return;
            }
            let key = address.to_lowercase();
            let name = name.filter(|n| !n.trim().is_empty());
            let entry = seen.entry(key).or_insert_with(|| AddressView {
                name: None,
                address: address.to_owned(),
            });
            if entry.name.is_none() {
                entry.name = name;
            }
        };
        for from in engine.recent_senders(ADDRESSES_PER_FOLDER)? {
            add(from.name, &from.address);
        }
        for row in engine.outbox()? {
            for r in row.recipients {
                add(None, r.as_str());
            }
        }
        let mut list: Vec<AddressView> = seen.into_values().collect();
        list.sort_by_key(|a| a.address.to_lowercase());
        Ok(list)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_ins_in_french() {
        let bad = ins_check("2 85 03 64 445 123 78");
        assert!(!bad.valid);
        assert_eq!(
            bad.error.as_deref(),
            Some("La clé du matricule INS ne correspond pas : vérifiez la saisie.")
        );
        let good = ins_check("2 85 03 64 445 123 79");
        assert!(good.valid);
        assert_eq!(
            good.address.as_deref(),
            Some("285036444512379@patient.mssante.fr")
        );
    }

    #[test]
    fn builds_a_qualified_patient_or_says_which_field_is_wrong() {
        let mut input = PatientInput {
            ins: "285036444512379".into(),
            birth_name: "Dubois".into(),
            first_names: "Camille".into(),
            birth_date: "1985-03-14".into(),
            sex: "F".into(),
            birthplace: "64445".into(),
        };
        let (check, patient) = patient_of(&input);
        assert!(patient.is_some());
        assert_eq!(
            check.summary.as_deref(),
            Some("DUBOIS Camille, née le 14/03/1985 (F), lieu de naissance 64445")
        );
        input.birth_date = "1985-02-30".into();
        let (check, patient) = patient_of(&input);
        assert!(patient.is_none());
        assert!(check.birth_date_error.is_some());
    }

    #[test]
    fn decodes_file_names_safely() {
        assert_eq!(
            percent_decode("Courrier%20%C3%A9t%C3%A9.pdf"),
            "Courrier été.pdf"
        );
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\x\\a.pdf"), "a.pdf");
        assert_eq!(safe_filename(".hidden"), "hidden");
    }
}
