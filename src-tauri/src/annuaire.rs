//! The Annuaire Santé in the app: import of an extraction file (chosen in Settings, or the
//! demo sample named by `RELAIS_ANNUAIRE` at first sign-in) with a progress bar, and the
//! recipient autocomplete and hint of the composer (`crates/relais-directory`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use relais_directory::{Directory, DirectoryEntry, ImportProgress};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Emitter, State};

use crate::commands::{blocking, engine, CommandError, Outcome};
use crate::dto::{self, DirectoryImportEnd, DirectoryStateView};
use crate::session::AppState;

/// Environment variable naming an extraction file imported at the first sign-in of a
/// profile when it has no directory yet (the demo: `tests/fixtures/annuaire/…_demo.txt`).
pub const ANNUAIRE_ENV: &str = "RELAIS_ANNUAIRE";

/// Suggestions from the directory per keystroke.
const SUGGESTIONS: usize = 8;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The directory of the signed-in profile, opened once, and the import in progress.
#[derive(Default)]
pub struct DirectoryState {
    open: Mutex<Option<(PathBuf, Directory)>>,
    importing: AtomicBool,
    progress: Mutex<Option<ImportProgress>>,
}

impl DirectoryState {
    /// Runs `work` on the directory file `path` (opened on first use).
    fn with<T>(
        &self,
        path: &Path,
        work: impl FnOnce(&Directory) -> relais_directory::Result<T>,
    ) -> Outcome<T> {
        let mut open = lock(&self.open);
        if open.as_ref().is_none_or(|(p, _)| p != path) {
            let directory = Directory::open(path).map_err(directory_error)?;
            *open = Some((path.to_path_buf(), directory));
        }
        let (_, directory) = open
            .as_ref()
            .ok_or_else(|| CommandError::new("directory", "L'annuaire n'a pas pu être ouvert."))?;
        work(directory).map_err(directory_error)
    }

    /// Imports `source` into `db`, emitting progress; one import at a time.
    fn import(&self, app: &AppHandle, db: &Path, source: &Path) -> DirectoryImportEnd {
        if self.importing.swap(true, Ordering::SeqCst) {
            return DirectoryImportEnd {
                report: None,
                error: Some("Un import de l'annuaire est déjà en cours.".to_owned()),
                info: None,
            };
        }
        // The import replaces the file: close the open directory first (see the crate doc).
        *lock(&self.open) = None;
        let mut on_progress = |progress: &ImportProgress| {
            *lock(&self.progress) = Some(*progress);
            let _ = app.emit(dto::EVENT_DIRECTORY_PROGRESS, *progress);
            true
        };
        let result = Directory::import(db, source, &mut on_progress);
        *lock(&self.progress) = None;
        self.importing.store(false, Ordering::SeqCst);
        let info = self.with(db, Directory::info).ok().flatten();
        let end = match result {
            Ok(report) => DirectoryImportEnd {
                report: Some(report),
                error: None,
                info,
            },
            Err(error) => DirectoryImportEnd {
                report: None,
                error: Some(error.to_string()),
                info,
            },
        };
        let _ = app.emit(dto::EVENT_DIRECTORY_DONE, end.clone());
        end
    }
}

fn directory_error(error: relais_directory::DirectoryError) -> CommandError {
    CommandError::new("directory", error.to_string())
}

fn db_path(engine: &relais_engine::Engine) -> PathBuf {
    relais_directory::file_in(engine.profile_dir().root())
}

/// Operator (or demo) set-up: at sign-in, a profile without a directory imports, in the
/// background, the extraction named by `RELAIS_ANNUAIRE`, else by the operator profile's
/// `[annuaire] extraction`.
pub fn import_at_sign_in(
    app: &AppHandle,
    state: &AppState,
    profile_dir: &Path,
    operator: &relais_net::OperatorProfile,
) {
    let Some(source) = std::env::var_os(ANNUAIRE_ENV)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| operator.annuaire.extraction.clone())
    else {
        return;
    };
    let db = relais_directory::file_in(profile_dir);
    let directory = Arc::clone(&state.directory);
    if directory
        .with(&db, Directory::info)
        .ok()
        .flatten()
        .is_some()
    {
        return;
    }
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("relais-annuaire".into())
        .spawn(move || {
            let end = directory.import(&app, &db, &source);
            if let Some(error) = end.error {
                eprintln!(
                    "Relais : import de l'annuaire {} : {error}",
                    source.display()
                );
            }
        });
}

/// What Settings shows: the imported directory and any import in progress.
#[tauri::command]
pub async fn directory_info(state: State<'_, AppState>) -> Outcome<DirectoryStateView> {
    let (engine, _) = engine(&state)?;
    let directory = Arc::clone(&state.directory);
    blocking(move || {
        let importing = directory.importing.load(Ordering::SeqCst);
        let info = if importing {
            None
        } else {
            directory.with(&db_path(&engine), Directory::info)?
        };
        Ok(DirectoryStateView {
            info,
            importing,
            progress: *lock(&directory.progress),
        })
    })
    .await
}

/// Imports the extraction at `path` (typed or chosen in Settings). Progress comes as
/// `directory-progress` events; the end as the result and a `directory-done` event.
#[tauri::command]
pub async fn directory_import(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Outcome<DirectoryImportEnd> {
    let (engine, _) = engine(&state)?;
    let directory = Arc::clone(&state.directory);
    let source = PathBuf::from(path.trim());
    if !source.is_file() {
        return Err(CommandError::new(
            "directory_file_missing",
            format!(
                "Le fichier « {} » est introuvable : indiquez le chemin complet du fichier Extraction_Correspondance_MSSante….txt.",
                source.display()
            ),
        ));
    }
    blocking(move || Ok(directory.import(&app, &db_path(&engine), &source))).await
}

/// Imports a file read by the webview (`<input type=file>`): its bytes are the raw body,
/// written to a temporary file of the profile folder first, removed afterwards.
#[tauri::command]
pub async fn directory_import_bytes(
    app: AppHandle,
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Outcome<DirectoryImportEnd> {
    let (engine, _) = engine(&state)?;
    let directory = Arc::clone(&state.directory);
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(
            "directory",
            "Le fichier de l'annuaire n'a pas été transmis.",
        ));
    };
    let bytes = bytes.clone();
    blocking(move || {
        let tmp = engine
            .profile_dir()
            .root()
            .join("Extraction_Correspondance_MSSante.import.txt");
        std::fs::write(&tmp, &bytes).map_err(|e| {
            CommandError::new(
                "directory",
                format!("Le fichier de l'annuaire n'a pas pu être copié : {e}"),
            )
        })?;
        let end = directory.import(&app, &db_path(&engine), &tmp);
        let _ = std::fs::remove_file(&tmp);
        Ok(end)
    })
    .await
}

/// Recipient autocomplete: boxes matching every word typed (« cardio 64 », « dupont pau »).
#[tauri::command]
pub async fn directory_search(
    state: State<'_, AppState>,
    text: String,
) -> Outcome<Vec<DirectoryEntry>> {
    let (engine, _) = engine(&state)?;
    let directory = Arc::clone(&state.directory);
    if directory.importing.load(Ordering::SeqCst) {
        return Ok(Vec::new());
    }
    blocking(move || directory.with(&db_path(&engine), |d| d.search(&text, SUGGESTIONS))).await
}

/// « adresse inconnue de l'annuaire » for a recipient neither in the directory nor a
/// patient's; `None` otherwise, or when no directory was imported.
#[tauri::command]
pub async fn directory_hint(
    state: State<'_, AppState>,
    address: String,
) -> Outcome<Option<String>> {
    let (engine, _) = engine(&state)?;
    let directory = Arc::clone(&state.directory);
    if directory.importing.load(Ordering::SeqCst) {
        return Ok(None);
    }
    blocking(move || {
        directory
            .with(&db_path(&engine), |d| d.hint(&address))
            .map(|h| h.map(str::to_owned))
    })
    .await
}
