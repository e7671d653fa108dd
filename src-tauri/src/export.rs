//! Taking a message out of Relais: its exact bytes as an `.eml` file (what any mail client
//! opens), and all its attachments at once, into the download folder. Printing is the
//! window's (the system print dialog, which also saves as PDF).

use relais_mail::MessageDisplay;
use relais_store::MessageId;
use tauri::{AppHandle, State};

use crate::commands::{blocking, engine, Outcome};
use crate::compose::safe_filename;
use crate::session::AppState;
use crate::settings::{attachment, download_dir, free_path, io_error};

/// Saves the message as it came (RFC 5322 bytes) as `<subject>.eml`; returns where.
#[tauri::command]
pub async fn export_message(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Outcome<String> {
    let (engine, _) = engine(&state)?;
    let dir = download_dir(&app);
    blocking(move || {
        let raw = engine.raw_message(MessageId(id))?;
        // A subject is no path: « Rendez-vous du 12/01 » keeps its date; file names stay
        // well under the 255 bytes file systems allow.
        let subject: String = safe_filename(
            &MessageDisplay::from_raw(&raw)
                .subject
                .replace(['/', '\\'], "-"),
        )
        .chars()
        .take(120)
        .collect();
        let name = format!(
            "{}.eml",
            if subject.is_empty() {
                "message"
            } else {
                subject.as_str()
            }
        );
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&name, e))?;
        let path = free_path(&dir, &name);
        std::fs::write(&path, raw).map_err(|e| io_error(&name, e))?;
        Ok(path.display().to_string())
    })
    .await
}

/// Saves every attachment of the message in the download folder (none overwritten);
/// returns where each went. A failure names the file it stopped at.
#[tauri::command]
pub async fn save_all_attachments(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Outcome<Vec<String>> {
    let (engine, _) = engine(&state)?;
    let dir = download_dir(&app);
    blocking(move || {
        let raw = engine.raw_message(MessageId(id))?;
        let shown = MessageDisplay::from_raw(&raw);
        let mut saved = Vec::with_capacity(shown.attachments.len());
        for info in &shown.attachments {
            let index = u32::try_from(info.index).unwrap_or(u32::MAX);
            let (name, _, bytes) = attachment(&engine, id, index)?;
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&name, e))?;
            let path = free_path(&dir, &name);
            std::fs::write(&path, bytes).map_err(|e| io_error(&name, e))?;
            saved.push(path.display().to_string());
        }
        Ok(saved)
    })
    .await
}
