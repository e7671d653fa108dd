//! The signed-in session as the app holds it: the engine's [`Runtime`] (which owns the
//! synchronisation, the live watch, the outbox and the lock) and the translation of its
//! events into Tauri events. No background work of its own.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use relais_engine::{Engine, EngineError, Event, EventSink, ProfileDir, Runtime, RuntimeOptions};
use relais_store::FolderId;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;

use crate::dto;

/// Environment variable naming the profile folder (default: the platform's data folder).
pub const PROFILE_DIR_ENV: &str = "RELAIS_PROFILE_DIR";
/// Environment variable naming the operator profile (`operator.toml`) to use.
pub const OPERATOR_ENV: &str = "RELAIS_OPERATOR";

pub fn profile_dir() -> ProfileDir {
    match std::env::var_os(PROFILE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => ProfileDir::new(PathBuf::from(dir)),
        _ => ProfileDir::platform_default(),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the event sink and the background threads share with the commands.
pub struct Shared {
    app: AppHandle,
    /// Box address → display name, for the new-mail announcement.
    box_names: Mutex<HashMap<String, String>>,
    /// Boxes whose first synchronisation of this session is done: before that, the mail
    /// that comes in is what was already there, not news.
    announced: Mutex<HashSet<String>>,
    /// Attachments chosen in the composer (files, dropped paths, forwarded parts), by the
    /// token the UI holds; kept on this side so that their bytes cross the bridge once.
    pub held: Mutex<HashMap<u64, relais_engine::ComposeAttachment>>,
    next_token: AtomicU64,
}

impl Shared {
    pub fn new(app: AppHandle) -> Arc<Shared> {
        Arc::new(Shared {
            app,
            box_names: Mutex::new(HashMap::new()),
            announced: Mutex::new(HashSet::new()),
            held: Mutex::new(HashMap::new()),
            next_token: AtomicU64::new(1),
        })
    }

    pub fn app(&self) -> &AppHandle {
        &self.app
    }

    /// Keeps an attachment for the composer; returns its token.
    pub fn hold(&self, attachment: relais_engine::ComposeAttachment) -> u64 {
        let token = self.next_token.fetch_add(1, Ordering::SeqCst);
        lock(&self.held).insert(token, attachment);
        token
    }

    /// The attachments behind `tokens`, in order; the first unknown token is an error.
    pub fn held(&self, tokens: &[u64]) -> Result<Vec<relais_engine::ComposeAttachment>, u64> {
        let held = lock(&self.held);
        tokens
            .iter()
            .map(|t| held.get(t).cloned().ok_or(*t))
            .collect()
    }

    /// Forgets attachments once their message is queued.
    pub fn release(&self, tokens: &[u64]) {
        let mut held = lock(&self.held);
        for t in tokens {
            held.remove(t);
        }
    }

    pub fn set_box_names(&self, names: impl IntoIterator<Item = (String, String)>) {
        lock(&self.box_names).extend(names);
    }

    fn emit<T: serde::Serialize + Clone>(&self, name: &str, payload: T) {
        // An event lost because the window is closing matters to nobody.
        let _ = self.app.emit(name, payload);
    }

    fn connection(&self, online: bool) {
        self.emit(dto::EVENT_CONNECTION, dto::Connection { online });
    }

    /// The engine's events, as Tauri events (and a desktop notification for new mail).
    pub fn on_event(&self, event: Event) {
        match event {
            Event::SyncProgress {
                box_address,
                folder,
                done,
                total,
                finished,
            } => {
                self.emit(
                    dto::EVENT_SYNC_PROGRESS,
                    dto::SyncProgress {
                        box_address: box_address.as_str().to_owned(),
                        folder,
                        done,
                        total,
                        finished,
                    },
                );
            }
            Event::NewMail { box_address, count } => {
                let address = box_address.as_str().to_owned();
                if !lock(&self.announced).contains(&address) {
                    return;
                }
                let name = lock(&self.box_names)
                    .get(&address)
                    .cloned()
                    .unwrap_or_else(|| address.clone());
                self.notify(&name, count);
                self.emit(
                    dto::EVENT_NEW_MAIL,
                    dto::NewMail {
                        box_address: address,
                        box_display_name: name,
                        count,
                    },
                );
            }
            Event::OutboxChanged { queued, failed } => {
                self.emit(
                    dto::EVENT_OUTBOX_CHANGED,
                    dto::OutboxChanged { queued, failed },
                );
            }
            Event::Connection { online } => self.connection(online),
            Event::SessionEnded { reason } => {
                self.emit(dto::EVENT_SESSION_ENDED, dto::SessionEnded { reason });
            }
            Event::Locked => self.emit(dto::EVENT_SESSION_LOCKED, ()),
            Event::Unlocked => self.emit(dto::EVENT_SESSION_UNLOCKED, ()),
            Event::Synchronised => self.emit(dto::EVENT_SYNCHRONISED, ()),
            Event::BoxError {
                box_address,
                message,
            } => self.emit(
                dto::EVENT_BOX_ERROR,
                dto::BoxError {
                    box_address: box_address.as_str().to_owned(),
                    message,
                },
            ),
            Event::FoldersChanged { box_address } => self.emit(
                dto::EVENT_FOLDERS_CHANGED,
                dto::FoldersChanged {
                    box_address: box_address.as_str().to_owned(),
                },
            ),
            Event::MessagesAdded {
                box_address,
                folder_id,
                ids,
            } => self.messages("added", box_address, folder_id, ids),
            Event::MessagesChanged {
                box_address,
                folder_id,
                ids,
            } => self.messages("changed", box_address, folder_id, ids),
            Event::MessagesExpunged {
                box_address,
                folder_id,
                ids,
            } => self.messages("expunged", box_address, folder_id, ids),
        }
    }

    /// Rows added, changed or gone: the window updates the rows it shows.
    fn messages(
        &self,
        change: &'static str,
        box_address: relais_core::BoxAddress,
        folder_id: FolderId,
        ids: Vec<relais_store::MessageId>,
    ) {
        self.emit(
            dto::EVENT_MESSAGES,
            dto::MessagesEvent {
                change,
                box_address: box_address.as_str().to_owned(),
                folder_id: folder_id.0,
                ids: ids.into_iter().map(|i| i.0).collect(),
            },
        );
    }

    /// A desktop notification naming the box. Without a notification service (a test
    /// display, a bare session) it is skipped: the window still shows the news.
    fn notify(&self, box_name: &str, count: u32) {
        let body = if count == 1 {
            format!("1 nouveau message dans {box_name}")
        } else {
            format!("{count} nouveaux messages dans {box_name}")
        };
        let _ = self
            .app
            .notification()
            .builder()
            .title(format!("Relais — {box_name}"))
            .body(body)
            .show();
    }
}

/// The sink handed to the engine: every event goes through [`Shared::on_event`].
pub fn sink(shared: &Arc<Shared>) -> EventSink {
    let shared = Arc::clone(shared);
    Arc::new(move |event| shared.on_event(event))
}

/// One signed-in person: the engine's runtime, and what the shell keeps for the window.
pub struct Session {
    pub runtime: Runtime,
    pub shared: Arc<Shared>,
}

impl Session {
    /// Starts the engine's runtime for `engine`'s person. `locked`: a resumed session, shown
    /// behind the lock screen until the person signs in again.
    pub fn start(engine: Arc<Engine>, shared: Arc<Shared>, locked: bool) -> Session {
        let options = RuntimeOptions {
            locked,
            lock_after: crate::settings::lock_after(shared.app()),
            ..RuntimeOptions::default()
        };
        Session {
            runtime: Runtime::start(engine, options),
            shared,
        }
    }
}

/// The app's managed state: the session, when someone is signed in.
#[derive(Default, Clone)]
pub struct AppState {
    session: Arc<Mutex<Option<Session>>>,
    /// Profile folders whose sign-out is still finishing.
    busy_dirs: Arc<Mutex<HashSet<PathBuf>>>,
    /// The Annuaire Santé of the signed-in profile, and its import.
    pub directory: Arc<crate::annuaire::DirectoryState>,
}

impl AppState {
    /// Ends the session: the runtime stops (held connections are cut), then, once the engine
    /// is free (at once unless a command still runs on it; else on a thread), signs out (`Engine::sign_out`, or
    /// `Engine::sign_out_discarding` when the person confirmed that the messages still
    /// waiting and the drafts kept only here are to be destroyed). Without that
    /// confirmation, a sign-out that would destroy them is refused before anything stops.
    pub fn sign_out(&self, discard_pending: bool) -> Result<(), EngineError> {
        let Some((runtime, _)) = self.current() else {
            return Ok(());
        };
        if !discard_pending {
            let (queued, drafts) = runtime.engine_behind_lock().pending_outgoing()?;
            if queued > 0 || drafts > 0 {
                return Err(EngineError::PendingOutgoing { queued, drafts });
            }
        }
        let Some(session) = self.replace(None) else {
            return Ok(());
        };
        session.runtime.stop();
        let engine = Arc::clone(session.runtime.engine_behind_lock());
        drop(session);
        let dir = engine.profile_dir().root().to_path_buf();
        // At once, not when the wipe below finishes: the next start must not resume this
        // account (the engine keeps it in memory until then).
        if let Err(e) = engine.profile_dir().forget_sign_in() {
            tracing::warn!(error = %e, "fiche de connexion non effacée");
        }
        // The runtime's threads end at once (their connections are cut): wipe now, before
        // the window shows the sign-in screen and the app may be closed. Only a command still
        // running on the engine makes the wipe wait, then on a thread of its own.
        let wipe = |owned: Engine| {
            if let Err(e) = owned.sign_out_discarding() {
                tracing::error!(error = %e, "déconnexion incomplète");
            }
        };
        let mut engine = engine;
        for _ in 0..50 {
            match Arc::try_unwrap(engine) {
                Ok(owned) => {
                    wipe(owned);
                    return Ok(());
                }
                Err(shared) => {
                    engine = shared;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        lock(&self.busy_dirs).insert(dir.clone());
        let busy = Arc::clone(&self.busy_dirs);
        let work = move || {
            let mut engine = engine;
            loop {
                match Arc::try_unwrap(engine) {
                    Ok(owned) => {
                        wipe(owned);
                        break;
                    }
                    Err(shared) => {
                        engine = shared;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
            lock(&busy).remove(&dir);
        };
        if let Err(e) = std::thread::Builder::new()
            .name("relais-sign-out".into())
            .spawn(work)
        {
            tracing::error!(error = %e, "effacement du profil non lancé");
        }
        Ok(())
    }

    /// The profile folder for a new sign-in: the configured one, or a sibling while the
    /// configured one is still being wiped by a sign-out.
    pub fn free_profile_dir(&self) -> ProfileDir {
        let base = profile_dir().root().to_path_buf();
        let busy = lock(&self.busy_dirs);
        if !busy.contains(&base) {
            return ProfileDir::new(base);
        }
        let name = base
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "relais".to_owned());
        let mut n = 2;
        loop {
            let candidate = base.with_file_name(format!("{name}-{n}"));
            if !busy.contains(&candidate) {
                return ProfileDir::new(candidate);
            }
            n += 1;
        }
    }

    /// Drops the session without signing out (a new sign-in replaces it): its runtime
    /// stops, the profile folder and the secrets stay.
    pub fn detach(&self) {
        if let Some(session) = self.replace(None) {
            session.runtime.stop();
        }
    }

    /// The running session's runtime and the shell's share of it.
    pub fn current(&self) -> Option<(Runtime, Arc<Shared>)> {
        lock(&self.session)
            .as_ref()
            .map(|s| (s.runtime.clone(), Arc::clone(&s.shared)))
    }

    pub fn replace(&self, session: Option<Session>) -> Option<Session> {
        std::mem::replace(&mut *lock(&self.session), session)
    }
}
