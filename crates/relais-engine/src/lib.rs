//! # relais-engine — what a person does with Relais
//!
//! Sign-in with their own identity (password or e-CPS), discovery of the boxes they are
//! entitled to, synchronisation into the local store, actions mirrored on the server, local
//! search and the audit log. It knows nothing of Tauri: the desktop app and the `relais`
//! command line both drive it. Synchronous: each box works on its own thread.
//!
//! Secrets: passwords and refresh tokens go to the OS keyring; access tokens stay in memory;
//! nothing secret is written to the profile folder, logged or put in an error.

pub mod account;
pub mod actions;
mod changes;
pub mod claims;
pub mod discovery;
pub mod drafts;
pub mod error;
pub mod events;
pub mod features;
mod folders;
pub mod identity;
mod journal;
pub mod logs;
mod moves;
pub mod outbox;
mod pool;
pub mod read;
pub mod runtime;
pub mod send;
pub mod sync;
pub mod threads;
mod tracking;
pub mod view;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use relais_core::{BoxAddress, BoxKind, Entitlement, NationalId, Person};
use relais_net::{
    Credentials, OperatorProfile, ProSanteConnect, PscTokens, SecretStore, SignInOptions, TlsPolicy,
};
use relais_store::{AuditAction, AuditEntry, Store};
use serde::Serialize;

pub use account::{Account, Method, ProfileDir};

/// How many of the newest bodies per folder each sync prefetches for search.
const PREFETCH_PER_FOLDER: u32 = 200;
pub use drafts::DraftSaved;
pub use error::{EngineError, Result};
pub use events::{Event, EventSink};
pub use features::Degraded;
pub use identity::DeclaredIdentity;
pub use moves::MoveReceipt;
pub use outbox::OutboxOutcome;
pub use relais_mail::Recipient;
pub use runtime::{Runtime, RuntimeOptions, Unlock};
pub use send::{BoxSettings, Compose, ComposeAttachment, ReadReceiptState, SendError, SendReceipt};
pub use sync::WatchOptions;
pub use tracking::Returned;

/// Who the person says they are when the sign-in itself does not tell (a password login
/// carries no identity) and no directory knows them: their names, national identifier and
/// profession, as declared (the command line's options, the demo). The Annuaire Santé wins
/// over it.
#[derive(Debug, Clone, Default)]
pub struct IdentityHint {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub national_id: Option<NationalId>,
    pub profession: Option<String>,
}

/// The signed-in person and their boxes.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub person: Person,
    pub boxes: Vec<Entitlement>,
    /// What the discovery could not do and the person must be told, in French: rights that
    /// could not be read (the box opened read-only), shared names that are no box, a login
    /// without a mailbox. Shown by the window and printed by the CLI.
    pub warnings: Vec<String>,
}

impl SessionSummary {
    /// Whether the person must declare their names before writing (no directory knows them:
    /// see [`Engine::declare_identity`]).
    pub fn needs_identity(&self) -> bool {
        self.person.identity == relais_core::IdentitySource::Unknown
    }
}

enum Auth {
    Password {
        login: String,
        password: String,
    },
    Ecps {
        psc: Box<ProSanteConnect>,
        tokens: PscTokens,
    },
}

/// One person's engine over one profile folder.
pub struct Engine {
    dir: ProfileDir,
    pub(crate) operator: OperatorProfile,
    operator_path: std::path::PathBuf,
    pub(crate) tls: TlsPolicy,
    store: Mutex<Store>,
    /// Why the store was made anew at this open (its key was lost), in French.
    store_notice: Option<String>,
    secrets: SecretStore,
    account: Mutex<Option<Account>>,
    /// The signed-in person's audit journal (see [`journal`]), kept across sign-out.
    journal: Mutex<Option<relais_store::Journal>>,
    auth: Mutex<Option<Auth>>,
    pub(crate) events: EventSink,
    /// Kept connections for actions, one per box.
    pool: pool::Pool,
    /// Folder listings kept until the store changes (the read model).
    listings: view::Listings,
    /// Set when Pro Santé Connect ended the session.
    ended: AtomicBool,
    /// Tells the runtime's outbox worker to look again (a held message was queued); set by
    /// [`Runtime::start`].
    outbox_waker: Mutex<Option<OutboxWaker>>,
    /// Per box opened at the top of its server's hierarchy, the prefixes of the other
    /// namespaces (other users', shared) its LIST shows beside its own folders: asked once
    /// per run (NAMESPACE), so that the box's sync never copies them.
    pub(crate) foreign_namespaces: Mutex<std::collections::HashMap<BoxAddress, Vec<String>>>,
}

/// Opens the journal of `account`'s person, moves into it what the store's own audit table
/// holds (written by a Relais before the journal), and drops entries older than six months.
fn open_journal(
    dir: &ProfileDir,
    secrets: &SecretStore,
    account: &Account,
    store: &mut Store,
) -> Result<relais_store::Journal> {
    let person = Person::from(&account.person).national_id;
    let mut journal = journal::open(dir, secrets, &person)?;
    let moved = journal.take_from(store)?;
    if moved > 0 {
        tracing::info!(moved, "journal d'audit : entrées reprises du cache local");
    }
    // The audit log keeps six months (ANS client rule); older entries go at each open.
    journal.purge(now_ms())?;
    Ok(journal)
}

/// See [`Engine::wake_outbox`].
pub(crate) type OutboxWaker = Box<dyn Fn() + Send + Sync>;

pub(crate) fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make the store unusable: the data is still consistent
    // (SQLite transactions), so take the guard back.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Engine {
    /// Open the profile folder. `operator` overrides the account's operator profile (and is
    /// required before the first sign-in).
    pub fn open(dir: ProfileDir, operator: Option<&Path>, events: EventSink) -> Result<Engine> {
        dir.ensure()?;
        // Every change of rows makes the kept listings stale, before anyone hears of it.
        let listings = view::Listings::default();
        let generation = listings.generation();
        let events: EventSink = Arc::new(move |event: Event| {
            if matches!(
                event,
                Event::MessagesAdded { .. }
                    | Event::MessagesChanged { .. }
                    | Event::MessagesExpunged { .. }
                    | Event::SyncProgress { .. }
                    | Event::Synchronised
            ) {
                generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            events(event)
        });
        let record = dir.sign_in_record()?;
        let operator_path = match (operator, &record) {
            (Some(p), _) => p.to_path_buf(),
            (None, Some(r)) => r.operator_profile.clone(),
            (None, None) => return Err(EngineError::NotSignedIn),
        };
        let operator = OperatorProfile::load(&operator_path)?;
        let tls = TlsPolicy::from_profile(&operator)?.with_crl_cache(dir.crl_cache());
        // The store is encrypted; its key is in the keyring under the folder's id.
        let secrets = SecretStore::new();
        let opened = dir.open_store(&secrets)?;
        if let (Some(notice), Some(_)) = (&opened.notice, &record) {
            (events)(Event::SessionEnded {
                reason: notice.clone(),
            });
        }
        let store_notice = opened.notice;
        let mut store = opened.store;
        let account = account::load_account(&dir, &mut store)?;
        let journal = match &account {
            Some(account) => Some(open_journal(&dir, &secrets, account, &mut store)?),
            None => None,
        };
        Ok(Engine {
            dir,
            operator,
            operator_path,
            tls,
            store: Mutex::new(store),
            store_notice,
            secrets,
            account: Mutex::new(account),
            journal: Mutex::new(journal),
            auth: Mutex::new(None),
            events,
            pool: pool::Pool::default(),
            listings,
            ended: AtomicBool::new(false),
            outbox_waker: Mutex::new(None),
            foreign_namespaces: Mutex::default(),
        })
    }

    pub fn operator(&self) -> &OperatorProfile {
        &self.operator
    }

    pub fn profile_dir(&self) -> &ProfileDir {
        &self.dir
    }

    /// Set when [`Engine::open`] had to make the local store anew because its key was lost
    /// (see [`ProfileDir::open_store`]): the French message to show.
    pub fn store_notice(&self) -> Option<&str> {
        self.store_notice.as_deref()
    }

    pub(crate) fn store(&self) -> Result<MutexGuard<'_, Store>> {
        Ok(lock(&self.store))
    }

    /// Read access to the store, for the engine's own tests and the benchmark only: the
    /// app and the command line read through the read model ([`view`]).
    #[doc(hidden)]
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&lock(&self.store))
    }

    pub(crate) fn account(&self) -> Result<Account> {
        lock(&self.account).clone().ok_or(EngineError::NotSignedIn)
    }

    /// The account signed in here: login, method, person (from the encrypted store).
    pub fn account_record(&self) -> Result<Account> {
        self.account()
    }

    /// The signed-in person.
    pub fn person(&self) -> Result<Person> {
        Ok(Person::from(&self.account()?.person))
    }

    /// The boxes of the last sign-in.
    pub fn boxes(&self) -> Result<Vec<Entitlement>> {
        Ok(self.store()?.boxes()?)
    }

    pub fn entitlement(&self, address: &BoxAddress) -> Result<Entitlement> {
        self.boxes()?
            .into_iter()
            .find(|b| &b.address == address)
            .ok_or_else(|| EngineError::UnknownBox(address.clone()))
    }

    pub(crate) fn audit(
        &self,
        address: &BoxAddress,
        action: AuditAction,
        request: &str,
        response: &str,
        ok: bool,
    ) {
        tracing::info!(
            box_id = %sync::short_id(address.as_str()),
            action = action.as_str(),
            ok,
            "action"
        );
        // Nobody signed in: nothing was done in anyone's name.
        let Ok(person) = self.person().map(|p| p.national_id) else {
            return;
        };
        let mut journal = lock(&self.journal);
        let Some(journal) = journal.as_mut() else {
            tracing::error!("journal d'audit fermé : action non journalisée");
            return;
        };
        // The audit log must not stop the work it records: a failure is logged, not raised.
        if let Err(e) = journal.record(&AuditEntry {
            box_address: address.clone(),
            at: now_ms(),
            person,
            action,
            request: request.to_string(),
            response: response.to_string(),
            ok,
        }) {
            tracing::error!(error = %e, "journal d'audit : écriture impossible");
        }
    }

    /// The box's audit log, newest first, from the signed-in person's journal.
    pub(crate) fn journal_entries(
        &self,
        address: &BoxAddress,
        limit: u32,
    ) -> Result<Vec<relais_store::AuditRecord>> {
        match lock(&self.journal).as_ref() {
            Some(journal) => Ok(journal.entries(address, limit)?),
            None => Err(EngineError::NotSignedIn),
        }
    }

    // ------------------------------------------------------------------ sign-in

    /// Sign in with the operator login and password; discover the boxes they open.
    pub fn sign_in_password(
        &self,
        login: &str,
        password: &str,
        hint: &IdentityHint,
    ) -> Result<SessionSummary> {
        let span = tracing::info_span!("sign_in", method = "password");
        let _entered = span.enter();
        let credentials = Credentials::Password {
            login: login.to_string(),
            password: password.to_string(),
        };
        let own_candidates: Vec<BoxAddress> = BoxAddress::parse(login).ok().into_iter().collect();
        let found = discovery::discover(&self.operator, &self.tls, &credentials, &own_candidates)?;
        let person = self.password_person(login, found.own_box.clone(), hint)?;
        let profile_id = self.profile_id_or_new();
        self.secrets.save_password(&profile_id, login, password)?;
        *lock(&self.auth) = Some(Auth::Password {
            login: login.to_string(),
            password: password.to_string(),
        });
        self.finish_sign_in(
            profile_id,
            login,
            Method::Password,
            person,
            found,
            "AUTHENTICATE PLAIN",
        )
    }

    /// Sign in with e-CPS through Pro Santé Connect: CIBA when the provider offers it and a
    /// `login_hint` is given (headless), else the code flow in the system browser.
    pub fn sign_in_ecps(
        &self,
        login_hint: Option<&str>,
        open_browser: &dyn Fn(&str),
    ) -> Result<SessionSummary> {
        let settings = self
            .operator
            .pro_sante_connect
            .as_ref()
            .ok_or(EngineError::NoProSanteConnect)?;
        let psc = ProSanteConnect::discover(settings, &self.tls)?;
        let tokens = match login_hint {
            Some(hint) if psc.supports_ciba() => psc.sign_in_ciba(hint)?,
            _ => psc.sign_in_with(
                open_browser,
                &SignInOptions {
                    login_hint: login_hint.map(str::to_string),
                    ..SignInOptions::default()
                },
            )?,
        };
        self.finish_ecps(psc, tokens)
    }

    /// The code flow with a caller-driven browser (the app, or a test's scripted person).
    pub fn sign_in_ecps_with(
        &self,
        options: &SignInOptions,
        open_browser: &dyn Fn(&str),
    ) -> Result<SessionSummary> {
        let settings = self
            .operator
            .pro_sante_connect
            .as_ref()
            .ok_or(EngineError::NoProSanteConnect)?;
        let psc = ProSanteConnect::discover(settings, &self.tls)?;
        let tokens = psc.sign_in_with(open_browser, options)?;
        self.finish_ecps(psc, tokens)
    }

    fn finish_ecps(&self, psc: ProSanteConnect, tokens: PscTokens) -> Result<SessionSummary> {
        let span = tracing::info_span!("sign_in", method = "e-CPS");
        let _entered = span.enter();
        let identity = tokens.identity.clone().ok_or(EngineError::SessionEnded)?;
        let mut person = identity.to_person()?;
        let credentials = Credentials::Bearer {
            token: tokens.access_token.clone(),
        };
        // The nominative box by national identifier in the Annuaire Santé; the `email`
        // claim, if any, is only a hint tried last.
        let candidates = self.nominative_candidates(&person.national_id, person.own_box.as_ref());
        let found = discovery::discover(&self.operator, &self.tls, &credentials, &candidates)?;
        person.own_box = found.own_box.clone();
        person.profession = self.profession_of(person.own_box.as_ref());
        let profile_id = self.profile_id_or_new();
        let national = person.national_id.to_string();
        if let Some(refresh) = &tokens.refresh_token {
            self.secrets
                .save_refresh_token(&profile_id, &national, refresh)?;
        }
        *lock(&self.auth) = Some(Auth::Ecps {
            psc: Box::new(psc),
            tokens,
        });
        self.finish_sign_in(
            profile_id,
            &national,
            Method::Ecps,
            person,
            found,
            "AUTHENTICATE XOAUTH2",
        )
    }

    fn profile_id_or_new(&self) -> String {
        lock(&self.account)
            .as_ref()
            .map(|a| a.profile_id.clone())
            .unwrap_or_else(account::new_profile_id)
    }

    fn finish_sign_in(
        &self,
        profile_id: String,
        login: &str,
        method: Method,
        person: Person,
        found: discovery::Discovery,
        request: &str,
    ) -> Result<SessionSummary> {
        let discovery::Discovery {
            mut boxes,
            warnings,
            ..
        } = found;
        for b in &mut boxes {
            if b.kind == BoxKind::Nominative {
                b.display_name = person.display_name();
            }
        }
        let account = Account {
            profile_id,
            operator_profile: self.operator_path()?,
            login: login.to_string(),
            method,
            person: (&person).into(),
        };
        {
            let mut store = self.store()?;
            account::save_account(&self.dir, &mut store, &account)?;
            let journal = open_journal(&self.dir, &self.secrets, &account, &mut store)?;
            *lock(&self.journal) = Some(journal);
        }
        *lock(&self.account) = Some(account);
        {
            let mut store = self.store()?;
            // Boxes no longer granted disappear with their cached mail.
            for old in store.boxes()? {
                if !boxes.iter().any(|b| b.address == old.address) {
                    store.remove_box(&old.address)?;
                }
            }
            store.upsert_boxes(&boxes)?;
        }
        tracing::info!(
            boxes = boxes.len(),
            own_box = person.own_box.is_some(),
            warnings = warnings.len(),
            "connecté(e)"
        );
        for b in &boxes {
            self.audit(&b.address, AuditAction::SignIn, request, "OK", true);
        }
        Ok(SessionSummary {
            person,
            boxes,
            warnings,
        })
    }

    fn operator_path(&self) -> Result<std::path::PathBuf> {
        std::path::absolute(&self.operator_path)
            .map_err(|e| EngineError::io("profil d'opérateur", e))
    }

    /// Credentials for the next connection: the password from memory or the keyring, or a
    /// live access token (renewed silently with the refresh token when it is about to end).
    pub fn credentials(&self) -> Result<Credentials> {
        let mut auth = lock(&self.auth);
        if auth.is_none() {
            *auth = Some(self.restore_auth()?);
        }
        match auth.as_mut() {
            Some(Auth::Password { login, password }) => Ok(Credentials::Password {
                login: login.clone(),
                password: password.clone(),
            }),
            Some(Auth::Ecps { psc, tokens }) => {
                let expiring = tokens
                    .expires_at
                    .is_some_and(|t| t <= SystemTime::now() + Duration::from_secs(10));
                if expiring {
                    let refresh = tokens
                        .refresh_token
                        .clone()
                        .ok_or(EngineError::SessionEnded)?;
                    let renewed = psc.refresh(&refresh).map_err(|_| self.end_session())?;
                    let account = self.account()?;
                    if let Some(new_refresh) = &renewed.refresh_token {
                        self.secrets.save_refresh_token(
                            &account.profile_id,
                            &account.login,
                            new_refresh,
                        )?;
                    }
                    *tokens = renewed;
                }
                Ok(Credentials::Bearer {
                    token: tokens.access_token.clone(),
                })
            }
            None => Err(EngineError::NotSignedIn),
        }
    }

    /// Pro Santé Connect refused to renew the session (it ended there: revoked, expired,
    /// signed out elsewhere): said once, and every later use of this engine is refused.
    fn end_session(&self) -> EngineError {
        if !self.ended.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tracing::info!("session Pro Santé Connect terminée");
            (self.events)(Event::SessionEnded {
                reason: EngineError::SessionEnded.to_string(),
            });
        }
        EngineError::SessionEnded
    }

    /// Whether the session ended at the provider (see [`Engine::credentials`]).
    pub fn session_ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A new process (the command line, a restarted app) takes the secrets back from the
    /// keyring; for e-CPS, the refresh token buys a fresh access token.
    fn restore_auth(&self) -> Result<Auth> {
        let account = self.account()?;
        match account.method {
            Method::Password => {
                let password = self
                    .secrets
                    .password(&account.profile_id, &account.login)?
                    .ok_or(EngineError::NotSignedIn)?;
                Ok(Auth::Password {
                    login: account.login,
                    password,
                })
            }
            Method::Ecps => {
                let settings = self
                    .operator
                    .pro_sante_connect
                    .as_ref()
                    .ok_or(EngineError::NoProSanteConnect)?;
                let refresh = self
                    .secrets
                    .refresh_token(&account.profile_id, &account.login)?
                    .ok_or(EngineError::SessionEnded)?;
                let psc = ProSanteConnect::discover(settings, &self.tls)?;
                let tokens = psc.refresh(&refresh).map_err(|_| self.end_session())?;
                if let Some(new_refresh) = &tokens.refresh_token {
                    self.secrets.save_refresh_token(
                        &account.profile_id,
                        &account.login,
                        new_refresh,
                    )?;
                }
                Ok(Auth::Ecps {
                    psc: Box::new(psc),
                    tokens,
                })
            }
        }
    }

    /// Closes the connections kept for actions (sign-out, end of the runtime).
    pub fn close_connections(&self) {
        self.pool.close_all();
    }

    /// What a sign-out would destroy: messages not yet delivered (queued, in flight or
    /// refused) and drafts that exist only on this device (never saved to a Drafts folder).
    pub fn pending_outgoing(&self) -> Result<(u32, u32)> {
        let store = self.store()?;
        let queued = store
            .outbox()?
            .iter()
            .filter(|m| m.state != relais_store::OutboxState::Done)
            .count() as u32;
        let mut drafts = 0u32;
        for b in store.boxes()? {
            drafts += store
                .drafts(&b.address)?
                .iter()
                .filter(|d| d.server_uid.is_none())
                .count() as u32;
        }
        Ok((queued, drafts))
    }

    /// Sign out: revoke the e-CPS session, wipe the secrets and the local store. Refused
    /// with [`EngineError::PendingOutgoing`] while a message waits in the outbox or a draft
    /// exists only here: nothing is destroyed silently. Deliver them first (the outbox), or
    /// sign out with [`Engine::sign_out_discarding`] once the person confirmed.
    pub fn sign_out(self) -> Result<()> {
        let (queued, drafts) = self.pending_outgoing()?;
        if queued > 0 || drafts > 0 {
            tracing::info!(queued, drafts, "déconnexion refusée : envois en attente");
            return Err(EngineError::PendingOutgoing { queued, drafts });
        }
        self.sign_out_discarding()
    }

    /// Sign out even though messages wait in the outbox or drafts exist only here: the
    /// person confirmed that they are to be destroyed (the audit log records how many).
    pub fn sign_out_discarding(self) -> Result<()> {
        // What cannot be read or said here does not stop the sign-out the person asked
        // for (the profile is wiped below); each failure is logged.
        self.close_connections();
        let (queued, drafts) = self.pending_outgoing().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "déconnexion : envois en attente non comptés");
            (0, 0)
        });
        let account = self
            .account()
            .inspect_err(|e| tracing::warn!(error = %e, "déconnexion : compte illisible"))
            .ok();
        if let Some(Auth::Ecps { psc, tokens }) = lock(&self.auth).take() {
            if let Some(refresh) = tokens.refresh_token {
                if let Err(e) = psc.revoke(&refresh) {
                    tracing::warn!(error = %e, "déconnexion : jeton Pro Santé Connect non révoqué");
                }
            }
        }
        if let Some(account) = &account {
            match self.boxes() {
                Ok(boxes) => {
                    let response = if queued > 0 || drafts > 0 {
                        format!("OK ({queued} envoi(s) et {drafts} brouillon(s) abandonnés à la demande de la personne)")
                    } else {
                        "OK".to_string()
                    };
                    for b in boxes {
                        self.audit(&b.address, AuditAction::SignOut, "LOGOUT", &response, true);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "déconnexion : boîtes illisibles, non journalisée")
                }
            }
            self.secrets.delete_all(&account.profile_id)?;
        }
        // The store's key, under the folder's id (none: the profile never held a store).
        match self.dir.folder_id() {
            Ok(id) => self.secrets.delete_all(&id)?,
            Err(e) => tracing::warn!(error = %e, "déconnexion : identifiant du dossier illisible"),
        }
        let dir = self.dir.clone();
        drop(self);
        dir.wipe()
    }

    // ------------------------------------------------------------------ sync

    /// Synchronise `boxes` (all when empty) concurrently, one connection per box.
    pub fn sync(
        &self,
        boxes: &[BoxAddress],
        cancel: &AtomicBool,
    ) -> Result<Vec<(BoxAddress, Result<()>)>> {
        let all = self.boxes()?;
        let selected: Vec<Entitlement> = all
            .into_iter()
            .filter(|b| boxes.is_empty() || boxes.contains(&b.address))
            .collect();
        let results = std::thread::scope(|scope| {
            let handles: Vec<_> = selected
                .iter()
                .map(|b| scope.spawn(move || (b.address.clone(), self.sync_box(b, cancel))))
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        Ok(results)
    }

    /// Synchronise every folder of one box.
    pub fn sync_box(&self, entitlement: &Entitlement, cancel: &AtomicBool) -> Result<()> {
        let span =
            tracing::info_span!("sync", box_id = %sync::short_id(entitlement.address.as_str()));
        let _entered = span.enter();
        let started = std::time::Instant::now();
        let mut conn = self.connect_box(entitlement)?;
        let folders = self.sync_folder_list(entitlement, &mut conn)?;
        tracing::debug!(folders = folders.len(), "dossiers listés");
        let events = self.events.clone();
        for (id, name) in folders {
            let report = self.sync_folder(entitlement, &mut conn, id, &name, &events, cancel)?;
            // Recent bodies too, so that search finds words in them.
            self.prefetch_bodies(
                &mut conn,
                &entitlement.address,
                id,
                &name,
                PREFETCH_PER_FOLDER,
            )?;
            if name.eq_ignore_ascii_case("INBOX") && report.new > 0 {
                (self.events)(Event::NewMail {
                    box_address: entitlement.address.clone(),
                    count: report.new,
                });
            }
        }
        conn.session.logout();
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "boîte synchronisée"
        );
        Ok(())
    }
}
