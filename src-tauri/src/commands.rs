//! Commands the webview may invoke. Each one is thin: it reads its input, calls the engine
//! on a blocking thread and returns the data of `dto.rs`.
//!
//! The TypeScript side mirrors these types in `ui/src/lib/api.ts`; keep them in step.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use relais_core::{BoxAddress, NationalId};
use relais_engine::actions::Flag;
use relais_engine::{Engine, EngineError, IdentityHint};
use relais_mail::{MessageDisplay, RemoteContent};
use relais_store::MessageId;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::demo::{self, DemoPersona};
use crate::dto::{self, FolderView, MessagePage, MessageView, SearchRequest, SessionInfo};
use crate::session::{self, AppState, Session, Shared};
use crate::views;

/// Environment variable naming the operator's demo personas file (`tests/operator/personas.json`).
/// Its presence is what puts the app in demo mode; a release build ignores it
/// ([`crate::hooks`]).
pub const PERSONAS_ENV: &str = "RELAIS_PERSONAS";

/// At most this many search results are listed.
const SEARCH_CAP: u32 = 5_000;

/// An error the UI can show as is (`message`, in French) or translate by `code`.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn not_signed_in() -> Self {
        Self::new("not_signed_in", "Vous n'êtes pas connecté(e).")
    }
}

/// The engine's errors keep their French message; the code says what kind it is.
impl From<EngineError> for CommandError {
    fn from(error: EngineError) -> Self {
        let code = match &error {
            EngineError::Net(_) => "network",
            EngineError::Store(_) => "store",
            EngineError::Psc(_) => "pro_sante_connect",
            EngineError::Secret(_) => "keyring",
            EngineError::Profile(_) => "operator_profile",
            EngineError::Tls(_) => "tls",
            EngineError::NotSignedIn => "not_signed_in",
            EngineError::NoBoxOpened => "no_box_opened",
            EngineError::SessionEnded => "session_ended",
            EngineError::NoProSanteConnect => "no_pro_sante_connect",
            EngineError::UnknownBox(_) => "unknown_box",
            EngineError::UnknownFolder { .. } => "unknown_folder",
            EngineError::UnknownMessage => "unknown_message",
            EngineError::MixedSelection => "mixed_selection",
            EngineError::NotAllowed { .. } => "not_allowed",
            EngineError::ServerRefused { .. } => "server_refused",
            EngineError::Io { .. } => "profile_io",
            EngineError::Cancelled => "cancelled",
            EngineError::StoreKeyLost => "store_key_lost",
            EngineError::Locked => "locked",
            EngineError::WrongPerson => "other_person",
            EngineError::PendingOutgoing { .. } => "pending_outgoing",
            EngineError::InvalidFolderName { .. } => "invalid_folder_name",
            EngineError::SpecialFolder { .. } => "special_folder",
            EngineError::InvalidIdentity(_) => "invalid_identity",
        };
        // The provider's refusals come as OAuth codes in English: say them in French.
        if let EngineError::Psc(relais_net::PscError::Denied { error: reason, .. }) = &error {
            if let Some(text) = denied_text(reason) {
                return Self::new("pro_sante_connect_denied", text);
            }
        }
        Self::new(code, error.to_string())
    }
}

/// French for the OAuth / CIBA refusals a person can meet at sign-in.
fn denied_text(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "unknown_user_id" => {
            "Pro Santé Connect ne connaît pas cet identifiant e-CPS : vérifiez votre identifiant national (RPPS) ou laissez le champ vide pour vous connecter dans le navigateur."
        }
        "access_denied" => "La connexion a été refusée sur votre application e-CPS.",
        "expired_token" => "La demande de connexion e-CPS a expiré : recommencez.",
        "login_required" | "consent_required" | "interaction_required" => {
            "Pro Santé Connect demande de vous authentifier à nouveau : recommencez la connexion."
        }
        _ => return None,
    })
}

impl From<relais_store::StoreError> for CommandError {
    fn from(error: relais_store::StoreError) -> Self {
        EngineError::from(error).into()
    }
}

pub(crate) type Outcome<T> = Result<T, CommandError>;

/// Runs engine work off the UI thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Outcome<T> + Send + 'static,
) -> Outcome<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::new("internal", format!("Erreur interne : {error}")))?
}

/// The session's engine for a read or an action: refused by the engine's runtime while the
/// session is locked, whatever the window does.
pub(crate) fn engine(state: &State<'_, AppState>) -> Outcome<(Arc<Engine>, Arc<Shared>)> {
    let (runtime, shared) = state.current().ok_or_else(CommandError::not_signed_in)?;
    let engine = Arc::clone(runtime.engine()?);
    Ok((engine, shared))
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
        demo_mode: crate::hooks::var(PERSONAS_ENV).is_some(),
    }
}

/// The demo accounts to offer on the sign-in screen; empty outside demo mode.
#[tauri::command]
pub fn demo_personas() -> Result<Vec<DemoPersona>, CommandError> {
    let Some(path) = crate::hooks::var(PERSONAS_ENV) else {
        return Ok(Vec::new());
    };
    demo::load_personas(Path::new(&path)).map_err(|error| CommandError {
        code: "demo_personas_unreadable",
        message: format!("Les comptes de démonstration sont illisibles : {error}"),
    })
}

pub(crate) fn demo_identity(login: &str) -> Option<demo::DemoIdentity> {
    let path = crate::hooks::var(PERSONAS_ENV)?;
    demo::identity(Path::new(&path), login)
}

/// Sign-in with an identifier and a password.
///
/// No `Debug` on purpose: it would print the password into any log that formats it.
#[derive(Deserialize)]
pub struct PasswordSignIn {
    /// `None` means the configured (demo) operator; otherwise a profile file path or an address.
    pub operator: Option<String>,
    pub login: String,
    pub password: String,
}

/// Sign-in through e-CPS / Pro Santé Connect: the person authenticates in the system
/// browser (or, when the provider offers CIBA and an identifier is given, on their e-CPS
/// app), so the app sends no credentials of its own.
#[derive(Debug, Deserialize)]
pub struct EcpsSignIn {
    pub operator: Option<String>,
    /// The identifier typed in the sign-in form, if any: preselects the person.
    #[serde(default)]
    pub login_hint: Option<String>,
}

/// Where the operator of a sign-in comes from.
pub(crate) enum OperatorSource {
    /// A profile file: the one typed, or `RELAIS_OPERATOR` (the demo).
    File(PathBuf),
    /// Found by DNS SRV for the domain typed (see [`crate::discovery`]).
    Discovered(Box<relais_net::OperatorProfile>),
}

/// The operator of a sign-in: the profile file or the address (or domain) typed on the
/// sign-in screen, else `RELAIS_OPERATOR`. Looking up the DNS may take seconds: called on a
/// blocking thread.
fn operator_source(typed: Option<&str>) -> Outcome<OperatorSource> {
    let typed = typed.map(str::trim).filter(|t| !t.is_empty());
    match typed {
        Some(text) => {
            let path = PathBuf::from(text);
            if path.is_file() {
                Ok(OperatorSource::File(path))
            } else if let Some(domain) = crate::discovery::domain_of(text) {
                Ok(OperatorSource::Discovered(Box::new(
                    crate::discovery::discover(&domain)?,
                )))
            } else {
                Err(CommandError::new(
                    "operator_profile_missing",
                    format!("Le fichier de profil d'opérateur {text} est introuvable."),
                ))
            }
        }
        None => match std::env::var_os(session::OPERATOR_ENV) {
            Some(path) if !path.is_empty() => Ok(OperatorSource::File(PathBuf::from(path))),
            _ => Err(CommandError::new(
                "no_operator",
                "Aucun opérateur n'est indiqué : saisissez votre adresse de messagerie (ou le fichier de profil de votre opérateur).",
            )),
        },
    }
}

/// Opens a fresh engine on the profile folder for `operator`, after stopping any session.
fn open_engine(
    app: &AppHandle,
    state: &AppState,
    operator: &OperatorSource,
) -> Outcome<(Engine, Arc<Shared>)> {
    state.detach();
    let shared = Shared::new(app.clone());
    let dir = state.free_profile_dir();
    let operator = match operator {
        OperatorSource::File(path) => path.clone(),
        OperatorSource::Discovered(profile) => {
            // The profile's own operator file: kept with the sign-in record, so a restart
            // opens the same servers without asking the DNS again.
            dir.ensure()?;
            let path = dir.root().join("operator.toml");
            std::fs::write(&path, profile.to_toml()).map_err(|e| {
                CommandError::new(
                    "operator_profile_io",
                    format!("Le profil de l'opérateur n'a pas pu être enregistré : {e}"),
                )
            })?;
            path
        }
    };
    let engine = Engine::open(dir, Some(&operator), session::sink(&shared))?;
    Ok((engine, shared))
}

/// The session as the UI sees it, with unread counts from the store.
pub(crate) fn info_of(engine: &Engine) -> Outcome<SessionInfo> {
    let person = engine.person()?;
    let mut views: Vec<dto::BoxView> = engine
        .boxes_with_unread()?
        .iter()
        .map(|(b, unread)| views::box_view(b, *unread))
        .collect();
    // Demo mode: the service boxes get the names of the personas file (the operator
    // profile lists addresses only).
    if let Some(path) = crate::hooks::var(PERSONAS_ENV) {
        let names = demo::box_names(Path::new(&path));
        for view in views
            .iter_mut()
            .filter(|v| v.kind != dto::BoxKindView::Nominative)
        {
            if let Some(name) = names.get(&view.address.to_lowercase()) {
                view.display_name.clone_from(name);
            }
        }
    }
    let own = person.own_box.as_ref().map(|b| b.as_str().to_owned());
    views::order_boxes(&mut views, own.as_deref());
    Ok(SessionInfo {
        person: views::person(&person),
        boxes: views,
        no_nominative_box: person.own_box.is_none(),
        warnings: Vec::new(),
    })
}

pub(crate) fn start(state: &AppState, engine: Engine, shared: Arc<Shared>) -> Outcome<SessionInfo> {
    let info = info_of(&engine)?;
    crate::annuaire::import_at_sign_in(
        shared.app(),
        state,
        engine.profile_dir().root(),
        engine.operator(),
    );
    shared.set_box_names(
        info.boxes
            .iter()
            .map(|b| (b.address.clone(), b.display_name.clone())),
    );
    state.replace(Some(Session::start(Arc::new(engine), shared, false)));
    Ok(info)
}

#[tauri::command]
pub async fn sign_in_password(
    app: AppHandle,
    state: State<'_, AppState>,
    request: PasswordSignIn,
) -> Outcome<SessionInfo> {
    let state = state.inner().clone();
    blocking(move || {
        let operator = operator_source(request.operator.as_deref())?;
        let (engine, shared) = open_engine(&app, &state, &operator)?;
        let login = request.login.trim().to_owned();
        // Demo mode: the personas file says who the login belongs to, so that the author
        // of what this person writes carries their real names and RPPS.
        let hint = demo_identity(&login)
            .map(|persona| IdentityHint {
                profession: None,
                given_name: Some(persona.given_name),
                family_name: Some(persona.family_name),
                national_id: persona
                    .national_id
                    .as_deref()
                    .and_then(|id| NationalId::parse(id).ok()),
            })
            .unwrap_or_default();
        let summary = engine.sign_in_password(&login, &request.password, &hint)?;
        let mut info = start(&state, engine, shared)?;
        info.warnings = summary.warnings;
        Ok(info)
    })
    .await
}

#[tauri::command]
pub async fn sign_in_ecps(
    app: AppHandle,
    state: State<'_, AppState>,
    request: EcpsSignIn,
) -> Outcome<SessionInfo> {
    let state = state.inner().clone();
    blocking(move || {
        let operator = operator_source(request.operator.as_deref())?;
        let (engine, shared) = open_engine(&app, &state, &operator)?;
        // The provider knows people by national id (or its own person id): a demo login
        // is turned into the persona's national id.
        let hint = request
            .login_hint
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| {
                demo_identity(h)
                    .and_then(|p| p.national_id)
                    .unwrap_or_else(|| h.to_owned())
            });
        let opener = app.clone();
        let open_browser = move |url: &str| {
            use tauri_plugin_opener::OpenerExt;
            let _ = opener.opener().open_url(url, None::<&str>);
        };
        let summary = engine.sign_in_ecps(hint.as_deref(), &open_browser)?;
        let mut info = start(&state, engine, shared)?;
        info.warnings = summary.warnings;
        Ok(info)
    })
    .await
}

#[tauri::command]
pub async fn session_info(state: State<'_, AppState>) -> Outcome<SessionInfo> {
    let (engine, _) = engine(&state)?;
    blocking(move || info_of(&engine)).await
}

/// The names of a person no directory knows, declared once at their first sign-in.
#[derive(Debug, Deserialize)]
pub struct IdentityDeclaration {
    pub given_name: String,
    pub family_name: String,
    pub profession: String,
}

#[tauri::command]
pub async fn declare_identity(
    state: State<'_, AppState>,
    request: IdentityDeclaration,
) -> Outcome<SessionInfo> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let declared = relais_engine::DeclaredIdentity::new(
            &request.given_name,
            &request.family_name,
            &request.profession,
        )?;
        engine.declare_identity(&declared)?;
        info_of(&engine)
    })
    .await
}

pub(crate) fn parse_box(address: &str) -> Outcome<BoxAddress> {
    BoxAddress::parse(address).map_err(|error| {
        CommandError::new(
            "invalid_address",
            format!("Adresse de boîte invalide : {error}"),
        )
    })
}

#[tauri::command]
pub async fn list_folders(
    state: State<'_, AppState>,
    box_address: String,
) -> Outcome<Vec<FolderView>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        Ok(views::folders(engine.folders_with_counts(&address)?))
    })
    .await
}

#[tauri::command]
pub async fn list_messages(
    state: State<'_, AppState>,
    box_address: String,
    folder: String,
    offset: u32,
    limit: u32,
) -> Outcome<MessagePage> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let address = parse_box(&box_address)?;
        let page = engine.folder_page(&address, &folder, offset, limit)?;
        let mut rows: Vec<dto::MessageRow> = page
            .rows
            .iter()
            .map(|r| {
                views::row(
                    &r.summary,
                    &page.folder.name,
                    Some((r.thread.0, r.thread_size)),
                )
            })
            .collect();
        crate::collab::decorate(&engine, &mut rows);
        Ok(MessagePage {
            total: page.total,
            offset,
            rows,
        })
    })
    .await
}

/// « Toutes les boîtes de réception »: every inbox of the person, threaded, no cap.
#[tauri::command]
pub async fn unified_inbox(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> Outcome<MessagePage> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let (total, page) = engine.unified_page(offset, limit)?;
        let mut rows: Vec<dto::MessageRow> = page
            .iter()
            .map(|(folder, row)| {
                views::row(&row.summary, folder, Some((row.thread.0, row.thread_size)))
            })
            .collect();
        crate::collab::decorate(&engine, &mut rows);
        Ok(MessagePage {
            total,
            offset,
            rows,
        })
    })
    .await
}

/// The current rows of messages an event named (`messages` `changed`): the window patches
/// the rows it shows instead of reading its list again.
#[tauri::command]
pub async fn message_rows(
    state: State<'_, AppState>,
    ids: Vec<i64>,
) -> Outcome<Vec<dto::MessageRow>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let ids: Vec<MessageId> = ids.into_iter().map(MessageId).collect();
        let mut rows: Vec<dto::MessageRow> = engine
            .rows(&ids)?
            .iter()
            .map(|f| views::row(&f.summary, &f.folder, None))
            .collect();
        crate::collab::decorate(&engine, &mut rows);
        Ok(rows)
    })
    .await
}

/// A message's bytes (fetched and cached on first opening) shown by relais-mail.
fn view(engine: &Engine, id: i64, remote: RemoteContent) -> Outcome<MessageView> {
    let (message, folder) = engine.message_in_folder(MessageId(id))?;
    let raw = engine.raw_message(MessageId(id))?;
    let display = MessageDisplay::from_raw_with(&raw, remote);
    let mut view = views::message_view(&message, &folder, &display);
    crate::collab::decorate(engine, std::slice::from_mut(&mut view.row));
    Ok(view)
}

#[tauri::command]
pub async fn get_message(state: State<'_, AppState>, id: i64) -> Outcome<MessageView> {
    let (engine, _) = engine(&state)?;
    blocking(move || view(&engine, id, RemoteContent::Block)).await
}

/// The same message with its remote (`https`) images allowed, for this opening only.
#[tauri::command]
pub async fn show_remote_images(state: State<'_, AppState>, id: i64) -> Outcome<MessageView> {
    let (engine, _) = engine(&state)?;
    blocking(move || view(&engine, id, RemoteContent::Allow)).await
}

/// The raw message, as text, for « Voir la source ».
#[tauri::command]
pub async fn message_source(state: State<'_, AppState>, id: i64) -> Outcome<String> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let raw = engine.raw_message(MessageId(id))?;
        Ok(String::from_utf8_lossy(&raw).into_owned())
    })
    .await
}

#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    request: SearchRequest,
    offset: u32,
    limit: u32,
) -> Outcome<MessagePage> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let started = std::time::Instant::now();
        let found = engine.search_boxes(&relais_engine::view::SearchRequest {
            text: request.text.clone(),
            box_address: request.box_address.as_deref().map(parse_box).transpose()?,
            folder: request.folder.clone(),
            since: request.since,
            until: request.until,
            unread_only: request.unread_only,
            with_attachments: request.with_attachments,
            from: request.from.clone(),
            limit: SEARCH_CAP,
        })?;
        if !request.text.trim().is_empty() {
            crate::bench::engine_took("search", started.elapsed());
        }
        let total = u32::try_from(found.len()).unwrap_or(u32::MAX);
        let mut rows: Vec<dto::MessageRow> = found
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|f| views::row(&f.summary, &f.folder, None))
            .collect();
        crate::collab::decorate(&engine, &mut rows);
        Ok(MessagePage {
            total,
            offset,
            rows,
        })
    })
    .await
}

async fn flag(state: State<'_, AppState>, id: i64, flag: Flag, on: bool) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let result = engine.set_flag(MessageId(id), flag, on);
        Ok(result?)
    })
    .await
}

#[tauri::command]
pub async fn set_seen(state: State<'_, AppState>, id: i64, seen: bool) -> Outcome<()> {
    flag(state, id, Flag::Seen, seen).await
}

#[tauri::command]
pub async fn set_flagged(state: State<'_, AppState>, id: i64, flagged: bool) -> Outcome<()> {
    flag(state, id, Flag::Flagged, flagged).await
}

#[tauri::command]
pub async fn delete_message(state: State<'_, AppState>, id: i64) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let result = engine.delete(MessageId(id));
        Ok(result?)
    })
    .await
}

/// Synchronises every box now; fails only when no box could be reached.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Outcome<()> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let results = engine.sync(&[], &AtomicBool::new(false))?;
        let reached = results.iter().any(|(_, r)| r.is_ok());
        match results.into_iter().find_map(|(_, r)| r.err()) {
            Some(error) if !reached => Err(error.into()),
            _ => Ok(()),
        }
    })
    .await
}

/// Signs out: stops the runtime, revokes the e-CPS session, wipes the secrets and the local
/// copy of the mail (see `AppState::sign_out`). While messages wait in the outbox or drafts
/// exist only here, it is refused (`pending_outgoing`, saying how many) unless the person
/// confirmed (`discard_pending`).
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>, discard_pending: bool) -> Outcome<()> {
    let state = state.inner().clone();
    blocking(move || Ok(state.sign_out(discard_pending)?)).await
}

/// The person is active in the window (typing a message, reading): the engine's inactivity
/// lock counts from now. The window calls it at most every few seconds.
#[tauri::command]
pub fn touch_session(state: State<'_, AppState>) {
    if let Some((runtime, _)) = state.current() {
        runtime.touch();
    }
}

/// Environment variable naming a file where the app writes when its first screen is
/// painted after start (the cold-start benchmark, `crates/relais-bench`): one line per kind,
/// `list <unix ms>` for the first painted message-list page, `signin <unix ms>` for the
/// sign-in screen. A release build ignores it unless built with `test-hooks`.
pub const PAINTED_MARKER_ENV: &str = "RELAIS_PAINTED_MARKER";

static PAINTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The UI says a first screen is painted (after `requestAnimationFrame`); without
/// `RELAIS_PAINTED_MARKER`, nothing happens. Each kind is written once per process.
#[tauri::command]
pub fn painted(kind: String) {
    if crate::hooks::var(PAINTED_MARKER_ENV).is_none() {
        return;
    }
    let kind: String = kind
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect();
    let mut done = PAINTED.lock().unwrap_or_else(|p| p.into_inner());
    if done.contains(&kind) {
        return;
    }
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    match crate::bench::append_marker(&format!("{kind} {millis}")) {
        Ok(()) => done.push(kind),
        // Not marked done: the next paint of this kind tries again.
        Err(e) => tracing::warn!(error = %e, "marque d'affichage non écrite"),
    }
}
