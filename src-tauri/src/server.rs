//! What the server of a box does not offer, for the window's « Fonctions réduites » notice.
//! The sentences are the engine's (relais-engine `features`).

use relais_engine::Degraded;
use tauri::State;

use crate::commands::{blocking, engine, parse_box, Outcome};
use crate::session::AppState;

/// The extensions the box's server lacks and what Relais does instead; empty for a full
/// server. Uses the box's kept connection (one connection the first time).
#[tauri::command]
pub async fn degraded_features(
    state: State<'_, AppState>,
    box_address: String,
) -> Outcome<Vec<Degraded>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        Ok(engine.degraded_features(&address)?)
    })
    .await
}
