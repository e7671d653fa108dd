//! Folder commands: create, rename and delete a box's folders, move messages between them
//! and undo the last move. Each only translates to the engine, which checks the rights.

use relais_engine::MoveReceipt;
use relais_store::{FolderId, MessageId};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::commands::{blocking, engine, parse_box, Outcome};
use crate::session::AppState;

/// A move the window may undo: handed back as it came.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct MoveDone {
    pub box_address: String,
    pub from_folder: i64,
    pub to_folder: i64,
    /// How many messages moved.
    pub moved: usize,
    /// Their ids in the destination (empty: the move cannot be undone).
    pub moved_ids: Vec<i64>,
}

impl From<MoveReceipt> for MoveDone {
    fn from(receipt: MoveReceipt) -> Self {
        MoveDone {
            box_address: receipt.box_address.to_string(),
            from_folder: receipt.from_folder.0,
            to_folder: receipt.to_folder.0,
            moved: receipt.moved,
            moved_ids: receipt.moved_ids.into_iter().map(|id| id.0).collect(),
        }
    }
}

#[tauri::command]
pub async fn create_folder(
    state: State<'_, AppState>,
    box_address: String,
    name: String,
) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        engine.create_folder(&address, &name)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn rename_folder(
    state: State<'_, AppState>,
    box_address: String,
    folder: String,
    new_name: String,
) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let id = engine.folder_named(&address, &folder)?.id;
        engine.rename_folder(id, &new_name)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn delete_folder(
    state: State<'_, AppState>,
    box_address: String,
    folder: String,
) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let id = engine.folder_named(&address, &folder)?.id;
        engine.delete_folder(id)?;
        Ok(())
    })
    .await
}

/// Moves messages of one folder into `folder` of the same box.
#[tauri::command]
pub async fn move_messages(
    state: State<'_, AppState>,
    ids: Vec<i64>,
    box_address: String,
    folder: String,
) -> Outcome<MoveDone> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let destination = engine.folder_named(&address, &folder)?.id;
        let ids: Vec<MessageId> = ids.into_iter().map(MessageId).collect();
        let started = std::time::Instant::now();
        let done = engine.move_messages(&ids, destination)?;
        crate::bench::engine_took("move", started.elapsed());
        Ok(done.into())
    })
    .await
}

/// Moves back what a move moved.
#[tauri::command]
pub async fn undo_move(state: State<'_, AppState>, done: MoveDone) -> Outcome<MoveDone> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let receipt = MoveReceipt {
            box_address: parse_box(&done.box_address)?,
            from_folder: FolderId(done.from_folder),
            to_folder: FolderId(done.to_folder),
            moved: done.moved,
            moved_ids: done.moved_ids.into_iter().map(MessageId).collect(),
        };
        Ok(engine.undo_move(&receipt)?.into())
    })
    .await
}
