//! An `IHE_XDM.ZIP` attachment opened as what it is: the patient (INS, names, birth date)
//! and the documents of its `METADATA.XML`, each CDA document's human-readable part as
//! text. relais-mail reads the package (limits against zip bombs, no path traversal, no
//! external XML entity); this only hands it to the window.

use relais_mail::xdm::{read_xdm, XdmPackage};
use tauri::State;

use crate::commands::{blocking, engine, CommandError, Outcome};
use crate::session::AppState;
use crate::settings::attachment;

/// The package of an XDM attachment, or why it cannot be read (French).
#[tauri::command]
pub async fn xdm_package(state: State<'_, AppState>, id: i64, index: u32) -> Outcome<XdmPackage> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (name, _, bytes) = attachment(&engine, id, index)?;
        read_xdm(&bytes)
            .map_err(|e| CommandError::new("xdm_unreadable", format!("« {name} » : {e}")))
    })
    .await
}
