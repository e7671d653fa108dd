//! Working together in a shared box: « Pris en charge par … », « Traité », the filters,
//! « Répondu par … » and the conversation view. Thin commands over the engine's
//! `claims.rs` and `threads.rs` (see `docs/collaboration.md`).

use std::collections::HashMap;

use relais_core::BoxKind;
use relais_engine::claims::{ClaimError, MessageStatus, StatusFilter};
use relais_engine::Engine;
use relais_store::{FolderId, MessageId};
use tauri::State;

use crate::commands::{blocking, engine, parse_box, CommandError, Outcome};
use crate::dto::{
    CollabSupportView, ConversationMessageView, ConversationThreadView, ConversationView,
    MessagePage, MessageRow, StatusCounts, StatusOutcome, StatusView,
};
use crate::session::AppState;
use crate::views;

impl From<ClaimError> for CommandError {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::Engine(e) => e.into(),
            ClaimError::AlreadyClaimed { .. } => {
                CommandError::new("already_claimed", error.to_string())
            }
            ClaimError::KeywordsUnsupported { .. } => {
                CommandError::new("keywords_unsupported", error.to_string())
            }
            ClaimError::Busy => CommandError::new("busy", error.to_string()),
        }
    }
}

/// The engine's status, as the list and the reader show it.
pub fn status_view(status: &MessageStatus) -> StatusView {
    StatusView {
        label: status.label.clone(),
        claimed_by: status
            .claimed_by
            .as_ref()
            .map(|c| c.name.clone().unwrap_or_else(|| "un·e collègue".to_owned())),
        mine: status.claimed_by.as_ref().is_some_and(|c| c.is_me),
        done: status.done,
    }
}

/// Adds the shared status and « Répondu par … » to the rows of shared (organisational)
/// boxes. A page at most (a few hundred rows): one store read per row and one query for the
/// answers. A failure leaves the rows as they are: the list matters more than its badges.
pub fn decorate(engine: &Engine, rows: &mut [MessageRow]) {
    let Ok(boxes) = engine.boxes() else { return };
    let shared: Vec<&str> = boxes
        .iter()
        .filter(|b| b.kind == BoxKind::Organisational)
        .map(|b| b.address.as_str())
        .collect();
    let ids: Vec<MessageId> = rows
        .iter()
        .filter(|r| {
            shared
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&r.box_address))
        })
        .map(|r| MessageId(r.id))
        .collect();
    if ids.is_empty() {
        return;
    }
    let statuses: HashMap<i64, StatusView> = engine
        .message_statuses(&ids)
        .map(|all| {
            all.iter()
                .map(|(id, status)| (id.0, status_view(status)))
                .collect()
        })
        .unwrap_or_default();
    let answers: HashMap<i64, String> = engine
        .answered_by_many(&ids)
        .map(|all| all.into_iter().map(|(id, a)| (id.0, a.label)).collect())
        .unwrap_or_default();
    for row in rows.iter_mut() {
        if let Some(status) = statuses.get(&row.id) {
            row.status = Some(status.clone());
        }
        if let Some(label) = answers.get(&row.id) {
            row.answered_by = Some(label.clone());
        }
    }
}

/// Whether claims work in a box: keywords kept (`PERMANENTFLAGS`), CONDSTORE, the `w` right.
/// One connection to the server; the UI asks once per box and session.
#[tauri::command]
pub async fn collab_support(
    state: State<'_, AppState>,
    box_address: String,
) -> Outcome<CollabSupportView> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let support = engine.collaboration_support(&address)?;
        Ok(CollabSupportView {
            box_address: address.as_str().to_owned(),
            enabled: support.keywords && support.can_write,
            keywords: support.keywords,
            condstore: support.condstore,
            can_write: support.can_write,
            message: support.message,
        })
    })
    .await
}

/// Runs a status change; a refusal the person must see is an outcome, not an error.
fn change(
    engine: &Engine,
    id: i64,
    work: impl FnOnce(&Engine) -> Result<MessageStatus, ClaimError>,
) -> Outcome<StatusOutcome> {
    let outcome = work(engine);
    let (refused, message, claimant) = match outcome {
        Ok(status) => {
            return Ok(StatusOutcome {
                id,
                status: status_view(&status),
                refused: None,
                message: None,
                claimant: None,
            })
        }
        Err(ClaimError::Engine(e)) => return Err(e.into()),
        Err(error @ ClaimError::AlreadyClaimed { .. }) => {
            let name = match &error {
                ClaimError::AlreadyClaimed { name, .. } => Some(name.clone()),
                _ => None,
            };
            ("already_claimed", error.to_string(), name)
        }
        Err(error @ ClaimError::KeywordsUnsupported { .. }) => {
            ("keywords_unsupported", error.to_string(), None)
        }
        Err(error @ ClaimError::Busy) => ("busy", error.to_string(), None),
    };
    let status = engine
        .message_status(MessageId(id))
        .map(|s| status_view(&s))
        .unwrap_or_default();
    Ok(StatusOutcome {
        id,
        status,
        refused: Some(refused.to_owned()),
        message: Some(message),
        claimant,
    })
}

/// « Prendre en charge » (`force`: take over a colleague's claim, after confirmation).
#[tauri::command]
pub async fn claim(state: State<'_, AppState>, id: i64, force: bool) -> Outcome<StatusOutcome> {
    let (engine, _) = engine(&state)?;
    blocking(move || change(&engine, id, |e| e.claim(MessageId(id), force))).await
}

/// « Libérer ».
#[tauri::command]
pub async fn release(state: State<'_, AppState>, id: i64, force: bool) -> Outcome<StatusOutcome> {
    let (engine, _) = engine(&state)?;
    blocking(move || change(&engine, id, |e| e.release(MessageId(id), force))).await
}

/// « Marquer comme traité » (`done = false`: « Rouvrir »).
#[tauri::command]
pub async fn mark_done(state: State<'_, AppState>, id: i64, done: bool) -> Outcome<StatusOutcome> {
    let (engine, _) = engine(&state)?;
    blocking(move || change(&engine, id, |e| e.mark_done(MessageId(id), done))).await
}

fn folder_of(engine: &Engine, box_address: &str, folder: &str) -> Outcome<(FolderId, String)> {
    let address = parse_box(box_address)?;
    let found = engine.folder_named(&address, folder)?;
    Ok((found.id, found.name))
}

/// A page of a folder under a filter (« À traiter », « Mes prises en charge », « Traités »),
/// most recent first, not grouped by thread.
#[tauri::command]
pub async fn list_by_status(
    state: State<'_, AppState>,
    box_address: String,
    folder: String,
    filter: StatusFilter,
    offset: u32,
    limit: u32,
) -> Outcome<MessagePage> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (folder_id, name) = folder_of(&engine, &box_address, &folder)?;
        let total = engine.count_by_status(folder_id, filter)?;
        let summaries = engine.list_by_status(folder_id, filter, offset, limit)?;
        let mut rows: Vec<MessageRow> = summaries
            .iter()
            .map(|s| views::row(s, &name, None))
            .collect();
        decorate(&engine, &mut rows);
        Ok(MessagePage {
            total: u32::try_from(total).unwrap_or(u32::MAX),
            offset,
            rows,
        })
    })
    .await
}

/// The counters beside the filters.
#[tauri::command]
pub async fn status_counts(
    state: State<'_, AppState>,
    box_address: String,
    folder: String,
) -> Outcome<StatusCounts> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (folder_id, _) = folder_of(&engine, &box_address, &folder)?;
        Ok(StatusCounts {
            all: engine.folder_total(folder_id)?,
            to_handle: engine.count_by_status(folder_id, StatusFilter::ToHandle)?,
            mine: engine.count_by_status(folder_id, StatusFilter::Mine)?,
            done: engine.count_by_status(folder_id, StatusFilter::Done)?,
        })
    })
    .await
}

/// « Voir la conversation »: everything the box exchanged with `correspondent`, across its
/// folders (incoming and the shared Sent), most recent thread first.
#[tauri::command]
pub async fn conversation(
    state: State<'_, AppState>,
    box_address: String,
    correspondent: String,
) -> Outcome<ConversationView> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let found = engine.conversation(&address, correspondent.trim())?;
        Ok(ConversationView {
            box_address: found.box_address.as_str().to_owned(),
            correspondent: found.correspondent,
            threads: found
                .threads
                .into_iter()
                .map(|t| ConversationThreadView {
                    subject: t.subject,
                    last_date: t.last_date,
                    messages: t
                        .messages
                        .into_iter()
                        .map(|m| ConversationMessageView {
                            id: m.id.0,
                            folder: m.folder,
                            outgoing: m.outgoing,
                            subject: m.subject,
                            from_name: m.from.as_ref().and_then(|f| f.name.clone()),
                            from_addr: m.from.map(|f| f.address),
                            author: m.author,
                            date: m.date,
                            seen: m.seen,
                        })
                        .collect(),
                })
                .collect(),
        })
    })
    .await
}
