//! The lock screen's commands and the session resumed at start-up. The lock itself lives in
//! the engine's runtime (`relais_engine::Runtime`): its own inactivity timer, and every
//! read or action refused while locked. Here: lock on request, say who must sign in again,
//! and unlock with the password (a real login at the operator) or e-CPS (Pro Santé Connect
//! must name the same national identifier).

use std::sync::Arc;

use relais_core::NationalId;
use relais_engine::{Engine, EngineError, Method, Runtime, Unlock};
use tauri::{AppHandle, State};

use crate::commands::{blocking, info_of, CommandError, Outcome};
use crate::dto::{LockInfo, Resumed, SessionInfo};
use crate::session::{self, AppState, Session, Shared};

fn current(state: &AppState) -> Outcome<Runtime> {
    state
        .current()
        .map(|(runtime, _)| runtime)
        .ok_or_else(|| CommandError::new("not_signed_in", "Vous n'êtes pas connecté(e)."))
}

/// Locks now (the window saw no input, or the person asked).
#[tauri::command]
pub fn lock_session(state: State<'_, AppState>) {
    if let Some((runtime, _)) = state.current() {
        runtime.lock();
    }
}

/// Who must sign in again, and how they signed in.
#[tauri::command]
pub async fn lock_info(state: State<'_, AppState>) -> Outcome<LockInfo> {
    let runtime = current(&state)?;
    blocking(move || {
        let engine = runtime.engine_behind_lock();
        let person = engine.person()?;
        let account = engine.account_record()?;
        Ok(LockInfo {
            display_name: person.display_name(),
            login: account.login,
            method: match account.method {
                Method::Ecps => "ecps",
                Method::Password => "password",
            }
            .to_owned(),
        })
    })
    .await
}

fn unlocked(runtime: &Runtime) -> Outcome<SessionInfo> {
    info_of(runtime.engine()?)
}

/// Unlocks with the person's password: a real login at the operator with the login of the
/// session (nobody else can unlock into it).
#[tauri::command]
pub async fn unlock_password(state: State<'_, AppState>, password: String) -> Outcome<SessionInfo> {
    let runtime = current(&state)?;
    blocking(move || {
        if password.is_empty() {
            return Err(CommandError::new(
                "missing_credentials",
                "Saisissez votre mot de passe.",
            ));
        }
        runtime.unlock(Unlock::Password(&password))?;
        unlocked(&runtime)
    })
    .await
}

/// Unlocks with e-CPS: CIBA on the person's e-CPS app when the provider offers it, else the
/// system browser; the identity that comes back must be the session's.
#[tauri::command]
pub async fn unlock_ecps(app: AppHandle, state: State<'_, AppState>) -> Outcome<SessionInfo> {
    let runtime = current(&state)?;
    blocking(move || {
        let person = runtime.engine_behind_lock().person()?;
        let psc = runtime.pro_sante_connect()?;
        let hint = match &person.national_id {
            NationalId::OperatorLogin(_) => None,
            id => Some(id.to_string()),
        };
        let opener = app.clone();
        let open_browser = move |url: &str| {
            use tauri_plugin_opener::OpenerExt;
            if let Err(e) = opener.opener().open_url(url, None::<&str>) {
                tracing::warn!(error = %e, "navigateur non ouvert");
            }
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
            if let Err(e) = psc.revoke(refresh) {
                tracing::warn!(error = %e, "jeton de vérification non révoqué");
            }
        }
        let identity = tokens
            .identity
            .as_ref()
            .and_then(|i| i.to_person().ok())
            .map(|p| p.national_id);
        match identity {
            Some(id) => runtime.unlock(Unlock::Ecps(&id)).map_err(|e| match e {
                EngineError::WrongPerson => other_person(&person.display_name()),
                e => e.into(),
            })?,
            None => return Err(other_person(&person.display_name())),
        }
        unlocked(&runtime)
    })
    .await
}

fn other_person(name: &str) -> CommandError {
    CommandError::new(
        "other_person",
        format!(
            "Cette carte e-CPS n'est pas celle de {name} : seule cette personne peut déverrouiller sa session. Les autres personnes se déconnectent d'abord."
        ),
    )
}

/// At start-up: when the profile holds an account whose secret is in the keyring, the
/// engine's runtime starts **locked** (after a lock, a kill or a plain restart alike: the
/// mail shows only once the person signs in again), and the window shows the lock screen.
/// A reload of the window finds the running session as it is. `None`: the sign-in screen.
#[tauri::command]
pub async fn resume_session(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Outcome<Option<Resumed>> {
    let state = state.inner().clone();
    blocking(move || {
        if let Some((runtime, _)) = state.current() {
            if runtime.is_locked() {
                return Ok(Some(Resumed {
                    locked: true,
                    info: None,
                }));
            }
            return Ok(Some(Resumed {
                locked: false,
                info: Some(info_of(runtime.engine()?)?),
            }));
        }
        let dir = session::profile_dir();
        if !dir.has_account() {
            return Ok(None);
        }
        let shared = Shared::new(app.clone());
        let engine = match Engine::open(dir, None, session::sink(&shared)) {
            Ok(engine) => engine,
            Err(e) => {
                tracing::warn!(error = %e, "session précédente non reprise");
                return Ok(None);
            }
        };
        // The password from the keyring, or a fresh access token from the refresh token.
        if let Err(e) = engine.credentials() {
            tracing::warn!(error = %e, "secret de la session précédente introuvable");
            return Ok(None);
        }
        crate::annuaire::import_at_sign_in(
            shared.app(),
            &state,
            engine.profile_dir().root(),
            engine.operator(),
        );
        // Locked, except for the benchmark's cold start (a hook the packaged app ignores).
        let locked = !crate::bench::resume_unlocked();
        let info = if locked {
            None
        } else {
            Some(info_of(&engine)?)
        };
        state.replace(Some(Session::start(Arc::new(engine), shared, locked)));
        Ok(Some(Resumed { locked, info }))
    })
    .await
}
