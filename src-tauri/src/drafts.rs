//! Draft commands: reopen a draft of a Drafts folder (this person's or a colleague's), list
//! and reopen the drafts kept only on this computer, throw one away. The engine keeps the
//! authorship rule: whoever sends a draft is its author.

use relais_store::{DraftId, MessageId};
use tauri::State;

use crate::commands::{blocking, engine, parse_box, Outcome};
use crate::compose::compose_view;
use crate::dto::{ComposeView, LocalDraftView};
use crate::session::AppState;

/// « Reprendre le brouillon » on a message of a Drafts folder: the composer's content.
#[tauri::command]
pub async fn open_draft(state: State<'_, AppState>, id: i64) -> Outcome<ComposeView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || {
        let draft = engine.open_draft(MessageId(id))?;
        Ok(compose_view(&shared, engine.draft_compose(draft)?))
    })
    .await
}

/// The drafts of a box that exist only here, most recently saved first.
#[tauri::command]
pub async fn local_drafts(
    state: State<'_, AppState>,
    box_address: String,
) -> Outcome<Vec<LocalDraftView>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        Ok(engine
            .local_drafts(&address)?
            .into_iter()
            .map(|d| LocalDraftView {
                id: d.id.0,
                box_address: d.content.box_address.to_string(),
                subject: d.content.subject,
                to: d.content.to.into_iter().map(|m| m.address).collect(),
                updated_at: d.updated_at,
            })
            .collect())
    })
    .await
}

/// Reopens a draft kept on this computer.
#[tauri::command]
pub async fn open_local_draft(state: State<'_, AppState>, id: i64) -> Outcome<ComposeView> {
    let (engine, shared) = engine(&state)?;
    blocking(move || Ok(compose_view(&shared, engine.draft_compose(DraftId(id))?))).await
}

/// Throws a draft away, here and in the box's Drafts folder.
#[tauri::command]
pub async fn discard_draft(state: State<'_, AppState>, id: i64) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || Ok(engine.discard_draft(DraftId(id))?)).await
}
