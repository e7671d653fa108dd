//! The app's settings (lock delay, language, download folder), the signature per box
//! (`Engine::set_box_settings`), and the reader's attachment commands (save, open with the
//! system, image preview).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use relais_engine::BoxSettings;
use relais_mail::{attachment_bytes, MessageDisplay};
use relais_store::MessageId;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::commands::{blocking, engine, parse_box, CommandError, Outcome};
use crate::compose::safe_filename;
use crate::dto::{AppSettings, BoxSignatureView, SettingsView};
use crate::session::{AppState, PROFILE_DIR_ENV};

/// Seconds without input before the window locks, overriding the setting (tests; ignored by
/// a release build, see [`crate::hooks`]).
pub const LOCK_SECONDS_ENV: &str = "RELAIS_LOCK_SECONDS";

/// Largest image previewed inline.
const PREVIEW_MAX: usize = 15 * 1024 * 1024;

/// `settings.json`: beside the profile folder when `RELAIS_PROFILE_DIR` is set (tests, the
/// demo), else in the app's configuration folder. Not in the profile folder itself: sign-out
/// wipes that, and these are the computer's settings, not the person's.
fn settings_path(app: &AppHandle) -> PathBuf {
    match std::env::var_os(PROFILE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "relais".into());
            dir.with_file_name(format!("{name}-settings.json"))
        }
        _ => app
            .path()
            .app_config_dir()
            .unwrap_or_else(|_| PathBuf::from("."))
            .join("settings.json"),
    }
}

pub fn load(app: &AppHandle) -> AppSettings {
    std::fs::read(settings_path(app))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The undo-send delay when the settings do not say (tests set it to 0, so that their
/// messages leave at once; ignored by a release build, see [`crate::hooks`]).
pub const UNDO_SEND_SECONDS_ENV: &str = "RELAIS_UNDO_SEND_SECONDS";

/// The undo-send delay of the issue: long enough to catch a wrong recipient.
const DEFAULT_UNDO_SEND_SECONDS: u32 = 10;

/// Seconds a sent message waits, « Annuler l'envoi » offered meanwhile (0: none).
pub fn undo_send_seconds(settings: &AppSettings) -> u32 {
    settings.undo_send_seconds.unwrap_or_else(|| {
        crate::hooks::var(UNDO_SEND_SECONDS_ENV)
            .and_then(|v| v.to_str().and_then(|v| v.trim().parse::<u32>().ok()))
            .unwrap_or(DEFAULT_UNDO_SEND_SECONDS)
    })
}

fn env_lock_seconds() -> Option<u32> {
    crate::hooks::var(LOCK_SECONDS_ENV)
        .and_then(|v| v.to_str().and_then(|v| v.trim().parse::<u32>().ok()))
        .filter(|s| *s > 0)
}

/// The inactivity delay the engine's runtime locks after: the setting, or the test
/// variable.
pub fn lock_after(app: &AppHandle) -> Option<std::time::Duration> {
    let seconds = env_lock_seconds().unwrap_or(load(app).lock_minutes.saturating_mul(60));
    (seconds > 0).then(|| std::time::Duration::from_secs(u64::from(seconds)))
}

fn default_download_dir(app: &AppHandle) -> PathBuf {
    app.path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .unwrap_or_else(|_| std::env::temp_dir())
}

fn view(app: &AppHandle, settings: AppSettings) -> SettingsView {
    let env = env_lock_seconds();
    SettingsView {
        lock_seconds: env.unwrap_or(settings.lock_minutes.saturating_mul(60)),
        lock_from_env: env.is_some(),
        default_download_dir: default_download_dir(app).display().to_string(),
        undo_send_seconds: undo_send_seconds(&settings),
        settings,
    }
}

#[tauri::command]
pub fn get_settings(app: AppHandle) -> SettingsView {
    view(&app, load(&app))
}

#[tauri::command]
pub fn set_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: AppSettings,
) -> Outcome<SettingsView> {
    if !(1..=240).contains(&settings.lock_minutes) {
        return Err(CommandError::new(
            "invalid_setting",
            "Le délai de verrouillage doit être compris entre 1 et 240 minutes.",
        ));
    }
    if settings.undo_send_seconds.is_some_and(|s| s > 60) {
        return Err(CommandError::new(
            "invalid_setting",
            "Le délai d'annulation de l'envoi doit être compris entre 0 et 60 secondes.",
        ));
    }
    if !matches!(settings.language.as_str(), "fr" | "en") {
        return Err(CommandError::new(
            "invalid_setting",
            "Langue inconnue : français (fr) ou anglais (en).",
        ));
    }
    let mut settings = settings;
    settings.download_dir = settings
        .download_dir
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if let Some(dir) = &settings.download_dir {
        if !Path::new(dir).is_dir() {
            return Err(CommandError::new(
                "invalid_setting",
                format!("Le dossier de téléchargement « {dir} » n'existe pas."),
            ));
        }
    }
    let path = settings_path(&app);
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&settings)?)?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        CommandError::new(
            "settings_io",
            format!("Les paramètres n'ont pas pu être enregistrés : {e}"),
        )
    })?;
    if let Some((runtime, _)) = state.current() {
        runtime.set_lock_after(lock_after(&app));
    }
    Ok(view(&app, settings))
}

// ------------------------------------------------------------------------ signatures

#[tauri::command]
pub async fn box_signature(
    state: State<'_, AppState>,
    box_address: String,
) -> Outcome<BoxSignatureView> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        signature_view(&engine, address)
    })
    .await
}

fn signature_view(
    engine: &relais_engine::Engine,
    address: relais_core::BoxAddress,
) -> Result<BoxSignatureView, CommandError> {
    let settings = engine.box_settings(&address);
    Ok(BoxSignatureView {
        signature: settings.signature,
        effective: engine.signature(&address)?,
        title: settings.title,
        entity: settings.entity,
        patient_facing_name: engine.patient_facing_name_of(&address)?,
        box_address: address.to_string(),
    })
}

/// Sets how the person signs in a box: the signature line, and the title and entity of the
/// name a patient sees (ECO.2.2.7). `None` or a blank value resets one to its default.
#[tauri::command]
pub async fn set_box_signature(
    state: State<'_, AppState>,
    box_address: String,
    signature: Option<String>,
    title: Option<String>,
    entity: Option<String>,
) -> Outcome<BoxSignatureView> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let current = engine.box_settings(&address);
        let set = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        engine.set_box_settings(
            &address,
            BoxSettings {
                signature: set(signature),
                title: set(title),
                entity: set(entity),
                ..current
            },
        )?;
        signature_view(&engine, address)
    })
    .await
}

// ----------------------------------------------------------------- reader attachments

/// The attachment's name and decoded bytes.
pub(crate) fn attachment(
    engine: &relais_engine::Engine,
    id: i64,
    index: u32,
) -> Outcome<(String, String, Vec<u8>)> {
    let raw = engine.raw_message(MessageId(id))?;
    let display = MessageDisplay::from_raw(&raw);
    let info = display
        .attachments
        .iter()
        .find(|a| a.index == index as usize)
        .ok_or_else(|| CommandError::new("unknown_attachment", "Pièce jointe introuvable."))?;
    let bytes = attachment_bytes(&raw, info.index).ok_or_else(|| {
        CommandError::new(
            "unknown_attachment",
            format!(
                "La pièce jointe « {} » ne peut pas être lue.",
                info.filename
            ),
        )
    })?;
    let name = safe_filename(&info.filename);
    let name = if name.is_empty() {
        "piece-jointe".to_owned()
    } else {
        name
    };
    Ok((name, info.content_type.clone(), bytes))
}

/// Where saved attachments and exported messages go: the setting, else the system's
/// download folder.
pub(crate) fn download_dir(app: &AppHandle) -> PathBuf {
    load(app)
        .download_dir
        .map(PathBuf::from)
        .unwrap_or_else(|| default_download_dir(app))
}

/// `dir/name`, or `dir/name (2).ext`… when taken.
pub(crate) fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (name.to_owned(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

pub(crate) fn io_error(name: &str, e: std::io::Error) -> CommandError {
    CommandError::new(
        "attachment_io",
        format!("La pièce jointe « {name} » n'a pas pu être écrite : {e}"),
    )
}

/// Saves an attachment in the download folder (the setting, else the system's); returns
/// where.
#[tauri::command]
pub async fn save_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    index: u32,
) -> Outcome<String> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (name, _, bytes) = attachment(&engine, id, index)?;
        let dir = download_dir(&app);
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&name, e))?;
        let path = free_path(&dir, &name);
        std::fs::write(&path, bytes).map_err(|e| io_error(&name, e))?;
        Ok(path.display().to_string())
    })
    .await
}

/// A private folder for attachments opened with the system (removed when Relais quits).
pub fn open_dir() -> PathBuf {
    std::env::temp_dir().join(format!("{OPEN_DIR_PREFIX}{}", std::process::id()))
}

const OPEN_DIR_PREFIX: &str = "relais-ouverts-";

/// At start: removes the folders of opened attachments left by a Relais that did not end
/// normally (killed, crashed), so that no health document stays in clear. A folder whose
/// process still runs (another Relais) is left alone. Returns how many were removed.
pub fn remove_stale_open_dirs(temp: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(OPEN_DIR_PREFIX) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = %e, "pièces jointes ouvertes non effacées"),
        }
    }
    removed
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Elsewhere the folder is kept unless it is ours: another Relais may be using it.
#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Opens an attachment with the system's application for its type (PDF viewer…).
#[tauri::command]
pub async fn open_attachment(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
    index: u32,
) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (name, _, bytes) = attachment(&engine, id, index)?;
        let dir = open_dir();
        create_private_dir(&dir).map_err(|e| io_error(&name, e))?;
        let path = free_path(&dir, &name);
        std::fs::write(&path, bytes).map_err(|e| io_error(&name, e))?;
        app.opener()
            .open_path(path.display().to_string(), None::<&str>)
            .map_err(|e| {
                CommandError::new(
                    "open_failed",
                    format!("Aucune application n'a pu ouvrir « {name} » : {e}"),
                )
            })
    })
    .await
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The previewable type of `bytes`, from their first bytes (never from the message's word):
/// PNG, JPEG, GIF, WebP, and PDF (drawn by the window's PDF reader, see docs/security.md).
/// Anything else (SVG included) is not previewed.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// An image or PDF attachment as a `data:` URL for the reader's preview; refused for
/// anything else.
#[tauri::command]
pub async fn preview_attachment(
    state: State<'_, AppState>,
    id: i64,
    index: u32,
) -> Outcome<String> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (name, _, bytes) = attachment(&engine, id, index)?;
        let Some(mime) = image_type(&bytes) else {
            return Err(CommandError::new(
                "no_preview",
                format!("« {name} » ne peut pas être prévisualisé : ouvrez-le avec le système."),
            ));
        };
        if bytes.len() > PREVIEW_MAX {
            return Err(CommandError::new(
                "no_preview",
                format!("« {name} » est trop grande pour l'aperçu : ouvrez-la avec le système."),
            ));
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        Ok(format!("data:{mime};base64,{encoded}"))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_only_real_images_and_pdf() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(image_type(b"<html>%PDF-1.7"), None);
    }

    #[test]
    fn never_overwrites_a_saved_file() {
        let dir = std::env::temp_dir().join(format!("relais-free-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.pdf"), b"x").unwrap();
        assert_eq!(free_path(&dir, "a.pdf"), dir.join("a (2).pdf"));
        assert_eq!(free_path(&dir, "b.pdf"), dir.join("b.pdf"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn attachments_left_by_a_killed_relais_are_removed_at_start() {
        let temp = std::env::temp_dir().join(format!("relais-test-{}", std::process::id()));
        std::fs::create_dir_all(&temp).unwrap();
        // A process that has ended: its pid names a dead Relais.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = temp.join(format!("{OPEN_DIR_PREFIX}{dead}"));
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("compte-rendu.pdf"), b"%PDF").unwrap();
        let mine = temp.join(format!("{OPEN_DIR_PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&mine).unwrap();
        assert_eq!(remove_stale_open_dirs(&temp), 1);
        assert!(!stale.exists(), "the dead process's attachments are gone");
        assert!(mine.exists(), "a running Relais keeps its own");
        std::fs::remove_dir_all(&temp).unwrap();
    }
}
