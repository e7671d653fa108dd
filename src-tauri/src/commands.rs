//! Commands the webview may invoke. Each one is thin: it reads its input, calls the
//! engine (not yet connected) and returns plain serialisable data.
//!
//! The TypeScript side mirrors these types in `ui/src/lib/api.ts`; keep them in step.

use serde::{Deserialize, Serialize};
use tauri::AppHandle;

use crate::demo::{self, DemoPersona};

/// Environment variable naming the operator's demo personas file (`tests/operator/personas.json`).
/// Its presence is what puts the app in demo mode.
pub const PERSONAS_ENV: &str = "RELAIS_PERSONAS";

/// An error the UI can show as is (`message`, in French) or translate by `code`.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    fn engine_not_connected() -> Self {
        Self {
            code: "engine_not_connected",
            message: "Le moteur de messagerie n'est pas encore branché.".to_owned(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub version: String,
    /// True when a demo personas file is configured: the UI then lists demo accounts.
    pub demo_mode: bool,
}

#[tauri::command]
pub fn app_info(app: AppHandle) -> AppInfo {
    AppInfo {
        version: app.package_info().version.to_string(),
        demo_mode: std::env::var_os(PERSONAS_ENV).is_some(),
    }
}

/// The demo accounts to offer on the sign-in screen; empty outside demo mode.
#[tauri::command]
pub fn demo_personas() -> Result<Vec<DemoPersona>, CommandError> {
    let Some(path) = std::env::var_os(PERSONAS_ENV) else {
        return Ok(Vec::new());
    };
    demo::load_personas(std::path::Path::new(&path)).map_err(|error| CommandError {
        code: "demo_personas_unreadable",
        message: format!("Les comptes de démonstration sont illisibles : {error}"),
    })
}

/// Sign-in with an identifier and a password.
///
/// No `Debug` on purpose: it would print the password into any log that formats it.
#[derive(Deserialize)]
pub struct PasswordSignIn {
    /// `None` means the local demo operator; otherwise a profile file path or an address.
    pub operator: Option<String>,
    pub login: String,
    pub password: String,
}

/// Sign-in through e-CPS / Pro Santé Connect: the person authenticates in the system
/// browser, so the app sends no credentials of its own.
#[derive(Debug, Deserialize)]
pub struct EcpsSignIn {
    pub operator: Option<String>,
}

// Async so that, once the engine is connected, a slow server never blocks the UI thread
// (synchronous commands run on the main thread).
#[tauri::command]
pub async fn sign_in_password(request: PasswordSignIn) -> Result<(), CommandError> {
    let _ = (request.operator, request.login, request.password);
    Err(CommandError::engine_not_connected())
}

#[tauri::command]
pub async fn sign_in_ecps(request: EcpsSignIn) -> Result<(), CommandError> {
    let _ = request.operator;
    Err(CommandError::engine_not_connected())
}
