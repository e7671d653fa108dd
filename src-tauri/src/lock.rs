//! The inactivity lock and the session resumed at start-up.
//!
//! Locking is decided by the UI (no input for the delay of `settings.rs`); `lock_session`
//! then makes every command that reads mail refuse (`commands::engine`) until the same
//! person signs in again — by password (a real login at the operator) or by e-CPS (Pro
//! Santé Connect must name the same national identifier). The background synchronisation
//! and the IDLE watchers go on meanwhile.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use relais_core::{BoxAddress, NationalId};
use relais_engine::{Engine, EngineError, Method};
use relais_net::{Credentials, ProSanteConnect, TlsPolicy};
use tauri::{AppHandle, State};

use crate::commands::{blocking, info_of, start, CommandError, Outcome};
use crate::dto::{LockInfo, SessionInfo};
use crate::session::{self, AppState, Shared};

fn current(state: &AppState) -> Outcome<Arc<Engine>> {
    state
        .current()
        .map(|(engine, _)| engine)
        .ok_or_else(|| CommandError::new("not_signed_in", "Vous n'êtes pas connecté(e)."))
}

/// Locks the window's access to mail (the UI has hidden it already).
#[tauri::command]
pub fn lock_session(state: State<'_, AppState>) {
    if state.current().is_some() {
        state.locked.store(true, Ordering::SeqCst);
    }
}

/// Who must sign in again, and how they signed in.
#[tauri::command]
pub async fn lock_info(state: State<'_, AppState>) -> Outcome<LockInfo> {
    let engine = current(&state)?;
    blocking(move || {
        let person = engine.person()?;
        let account = engine.profile_dir().load_account()?;
        Ok(LockInfo {
            display_name: person.display_name(),
            login: account
                .as_ref()
                .map(|a| a.login.clone())
                .unwrap_or(person.login.clone()),
            method: match account.map(|a| a.method) {
                Some(Method::Ecps) => "ecps",
                _ => "password",
            }
            .to_owned(),
        })
    })
    .await
}

fn unlocked(state: &AppState, engine: &Engine) -> Outcome<SessionInfo> {
    state.locked.store(false, Ordering::SeqCst);
    info_of(engine)
}

/// Unlocks with the person's password: a real login at the operator with the login of the
/// session (nobody else can unlock into it).
#[tauri::command]
pub async fn unlock_password(state: State<'_, AppState>, password: String) -> Outcome<SessionInfo> {
    let engine = current(&state)?;
    let state = state.inner().clone();
    blocking(move || {
        if password.is_empty() {
            return Err(CommandError::new(
                "missing_credentials",
                "Saisissez votre mot de passe.",
            ));
        }
        let person = engine.person()?;
        let login = engine
            .profile_dir()
            .load_account()?
            .map(|a| a.login)
            .unwrap_or(person.login.clone());
        let tls = TlsPolicy::from_profile(engine.operator())
            .map_err(EngineError::from)?
            .with_crl_cache(engine.profile_dir().crl_cache());
        let credentials = Credentials::Password { login, password };
        let own = person
            .own_box
            .clone()
            .or_else(|| BoxAddress::parse(&person.login).ok());
        relais_engine::discovery::discover(engine.operator(), &tls, &credentials, own.as_ref())?;
        unlocked(&state, &engine)
    })
    .await
}

/// Unlocks with e-CPS: CIBA on the person's e-CPS app when the provider offers it, else the
/// system browser; the identity that comes back must be the session's.
#[tauri::command]
pub async fn unlock_ecps(app: AppHandle, state: State<'_, AppState>) -> Outcome<SessionInfo> {
    let engine = current(&state)?;
    let state = state.inner().clone();
    blocking(move || {
        let person = engine.person()?;
        let settings = engine
            .operator()
            .pro_sante_connect
            .as_ref()
            .ok_or(EngineError::NoProSanteConnect)?;
        let tls = TlsPolicy::from_profile(engine.operator())
            .map_err(EngineError::from)?
            .with_crl_cache(engine.profile_dir().crl_cache());
        let psc = ProSanteConnect::discover(settings, &tls).map_err(EngineError::from)?;
        let hint = match &person.national_id {
            NationalId::OperatorLogin(_) => None,
            id => Some(id.to_string()),
        };
        let opener = app.clone();
        let open_browser = move |url: &str| {
            use tauri_plugin_opener::OpenerExt;
            let _ = opener.opener().open_url(url, None::<&str>);
        };
        let tokens = match &hint {
            Some(h) if psc.supports_ciba() => psc.sign_in_ciba(h),
            _ => psc.sign_in_with(
                &open_browser,
                &relais_net::SignInOptions {
                    login_hint: hint.clone(),
                    ..Default::default()
                },
            ),
        }
        .map_err(EngineError::from)?;
        // This check only proves who is at the desk: its tokens are not kept.
        if let Some(refresh) = &tokens.refresh_token {
            let _ = psc.revoke(refresh);
        }
        let same = tokens
            .identity
            .as_ref()
            .and_then(|i| i.to_person().ok())
            .is_some_and(|p| p.national_id == person.national_id);
        if !same {
            return Err(CommandError::new(
                "other_person",
                format!(
                    "Cette carte e-CPS n'est pas celle de {} : seule cette personne peut déverrouiller sa session. Les autres personnes se déconnectent d'abord.",
                    person.display_name()
                ),
            ));
        }
        unlocked(&state, &engine)
    })
    .await
}

/// At start-up: when the profile holds an account whose secret is in the keyring, opens the
/// mailbox directly. `None` means the sign-in screen.
#[tauri::command]
pub async fn resume_session(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Outcome<Option<SessionInfo>> {
    let state = state.inner().clone();
    blocking(move || {
        if let Some((engine, _)) = state.current() {
            if state.locked.load(Ordering::SeqCst) {
                return Ok(None);
            }
            return info_of(&engine).map(Some);
        }
        let dir = session::profile_dir();
        if !dir.root().join("account.json").is_file() {
            return Ok(None);
        }
        let shared = Shared::new(app.clone());
        let engine = match Engine::open(dir, None, session::sink(&shared)) {
            Ok(engine) => engine,
            Err(_) => return Ok(None),
        };
        // The password from the keyring, or a fresh access token from the refresh token.
        if engine.credentials().is_err() {
            return Ok(None);
        }
        start(&state, engine, shared).map(Some)
    })
    .await
}
