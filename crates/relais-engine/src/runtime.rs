//! The session runtime: everything that runs while a person is signed in, the same for the
//! desktop app and `relais watch`.
//!
//! - **Live changes.** A first synchronisation of every box, then one watcher per box
//!   ([`Engine::watch_box`]): IDLE on the inbox held for its period, every other folder
//!   looked at between two IDLEs, reconnection with back-off (2 s doubling to 60 s) after a
//!   cut. Stopping the runtime cuts the held connections, so it ends at once.
//! - **The outbox.** Delivered in the background: at start (interrupted sends resumed), when
//!   a watcher reconnects (the network came back), when asked ([`Runtime::wake_outbox`], after
//!   a message is queued), and when the next attempt of a waiting message is due.
//! - **The lock.** Inactivity locks the session after the chosen delay, with the runtime's
//!   own timer; while locked, [`Runtime::engine`] refuses every read and action
//!   ([`EngineError::Locked`]), whatever the window does. Live changes and the outbox go on.
//!   A runtime started for a resumed session (the app restarted, after a lock or a kill)
//!   starts locked: the mail shows only after the person proves again who they are.
//!
//! The shell holds a `Runtime` and nothing else of the session.

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, Entitlement, NationalId};
use relais_net::{Credentials, ProSanteConnect, TlsPolicy};

use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::sync::WatchOptions;
use crate::{lock, Engine};

/// How a runtime starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeOptions {
    /// Start locked (a resumed session: the person must sign in again to see the mail).
    pub locked: bool,
    /// Lock after this long without activity (`None`: never).
    pub lock_after: Option<Duration>,
    /// The live watch's options.
    pub watch: WatchOptions,
}

/// What proves the person at the desk is the session's person.
pub enum Unlock<'a> {
    /// Their operator password: a real login at the operator.
    Password(&'a str),
    /// A Pro Santé Connect identity that came back from a fresh e-CPS check.
    Ecps(&'a NationalId),
}

struct Shared {
    engine: Arc<Engine>,
    stop: AtomicBool,
    locked: AtomicBool,
    lock_after: Mutex<Option<Duration>>,
    last_activity: Mutex<Instant>,
    /// Set to wake the outbox worker; the condvar tells it.
    outbox_wake: Mutex<bool>,
    outbox_cv: Condvar,
    /// Handles that cut the watchers' connections when the runtime stops.
    cutters: Mutex<Vec<TcpStream>>,
    /// Wakes the lock timer on stop.
    timer_cv: Condvar,
    timer: Mutex<()>,
}

/// The running session of one person.
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// Starts the background work for `engine`'s signed-in person.
    pub fn start(engine: Arc<Engine>, options: RuntimeOptions) -> Runtime {
        let shared = Arc::new(Shared {
            engine,
            stop: AtomicBool::new(false),
            locked: AtomicBool::new(options.locked),
            lock_after: Mutex::new(options.lock_after),
            last_activity: Mutex::new(Instant::now()),
            outbox_wake: Mutex::new(true),
            outbox_cv: Condvar::new(),
            cutters: Mutex::new(Vec::new()),
            timer_cv: Condvar::new(),
            timer: Mutex::new(()),
        });
        if options.locked {
            (shared.engine.events)(Event::Locked);
        }
        // Weak: the engine must not keep its runtime alive.
        let weak = Arc::downgrade(&shared);
        shared.engine.set_outbox_waker(Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                *lock(&shared.outbox_wake) = true;
                shared.outbox_cv.notify_all();
            }
        }));
        let runtime = Runtime { shared };
        runtime.spawn("relais-sync", move |rt| rt.live(options.watch));
        runtime.spawn("relais-outbox", Runtime::outbox_worker);
        runtime.spawn("relais-lock", Runtime::lock_timer);
        runtime
    }

    fn spawn(&self, name: &str, work: impl FnOnce(Runtime) + Send + 'static) {
        let rt = self.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || work(rt));
        if let Err(e) = spawned {
            tracing::error!(thread = name, error = %e, "fil de travail non démarré");
        }
    }

    /// The engine, for a read or an action of the person: refused while locked. Counts as
    /// activity for the inactivity lock.
    pub fn engine(&self) -> Result<&Arc<Engine>> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Err(EngineError::NotSignedIn);
        }
        if self.shared.engine.session_ended() {
            return Err(EngineError::SessionEnded);
        }
        if self.is_locked() {
            return Err(EngineError::Locked);
        }
        self.touch();
        Ok(&self.shared.engine)
    }

    /// The engine for what the lock screen itself needs (who is signed in, how) and for
    /// the shell's own work that shows no mail. Never use it to read or change mail.
    pub fn engine_behind_lock(&self) -> &Arc<Engine> {
        &self.shared.engine
    }

    pub fn is_locked(&self) -> bool {
        self.shared.locked.load(Ordering::SeqCst)
    }

    /// Locks now (the person asked, or the window saw no input).
    pub fn lock(&self) {
        if !self.shared.locked.swap(true, Ordering::SeqCst) {
            tracing::info!("session verrouillée");
            (self.shared.engine.events)(Event::Locked);
        }
    }

    /// The person is active (a key, a click): the inactivity delay starts again.
    pub fn touch(&self) {
        *lock(&self.shared.last_activity) = Instant::now();
    }

    /// Changes the inactivity delay (`None`: never lock by itself).
    pub fn set_lock_after(&self, delay: Option<Duration>) {
        *lock(&self.shared.lock_after) = delay;
        self.touch();
        self.shared.timer_cv.notify_all();
    }

    /// Unlocks when `proof` shows the session's person is back: the password by a real login
    /// at the operator, or the e-CPS identity by its national identifier.
    pub fn unlock(&self, proof: Unlock<'_>) -> Result<()> {
        let engine = &self.shared.engine;
        let person = engine.person()?;
        match proof {
            Unlock::Password(password) => {
                if password.is_empty() {
                    return Err(EngineError::WrongPerson);
                }
                let account = engine.account()?;
                let tls = TlsPolicy::from_profile(engine.operator())?
                    .with_crl_cache(engine.profile_dir().crl_cache());
                let credentials = Credentials::Password {
                    login: account.login.clone(),
                    password: password.to_string(),
                };
                let own: Vec<BoxAddress> = person
                    .own_box
                    .clone()
                    .or_else(|| BoxAddress::parse(&person.login).ok())
                    .into_iter()
                    .collect();
                crate::discovery::discover(engine.operator(), &tls, &credentials, &own)?;
            }
            Unlock::Ecps(national_id) => {
                if *national_id != person.national_id {
                    return Err(EngineError::WrongPerson);
                }
            }
        }
        self.shared.locked.store(false, Ordering::SeqCst);
        self.touch();
        tracing::info!("session déverrouillée");
        (engine.events)(Event::Unlocked);
        Ok(())
    }

    /// A Pro Santé Connect client for an e-CPS unlock.
    pub fn pro_sante_connect(&self) -> Result<ProSanteConnect> {
        let engine = &self.shared.engine;
        let settings = engine
            .operator()
            .pro_sante_connect
            .as_ref()
            .ok_or(EngineError::NoProSanteConnect)?;
        let tls = TlsPolicy::from_profile(engine.operator())?
            .with_crl_cache(engine.profile_dir().crl_cache());
        Ok(ProSanteConnect::discover(settings, &tls)?)
    }

    /// Asks the outbox worker to look at the outbox now (a message was queued, the person
    /// clicked « Envoyer maintenant »).
    pub fn wake_outbox(&self) {
        *lock(&self.shared.outbox_wake) = true;
        self.shared.outbox_cv.notify_all();
    }

    /// Whether the runtime was stopped.
    pub fn stopped(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// Stops every background thread; held IDLE connections are cut so that they end now.
    pub fn stop(&self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        for cutter in lock(&self.shared.cutters).drain(..) {
            // Already closed by the server: nothing to cut.
            let _ = cutter.shutdown(std::net::Shutdown::Both);
        }
        self.wake_outbox();
        self.shared.timer_cv.notify_all();
        self.shared.engine.close_connections();
    }

    /// Sleeps `duration` unless the runtime stops first; false when it stopped.
    fn pause(&self, duration: Duration) -> bool {
        let guard = lock(&self.shared.timer);
        let _ = self
            .shared
            .timer_cv
            .wait_timeout_while(guard, duration, |_| !self.stopped());
        !self.stopped()
    }

    // ------------------------------------------------------------------ live changes

    fn live(self, watch: WatchOptions) {
        let engine = Arc::clone(&self.shared.engine);
        let span = tracing::info_span!("sync");
        let results = {
            let _entered = span.enter();
            engine.sync(&[], &self.shared.stop)
        };
        if self.stopped() {
            return;
        }
        let results = match results {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "première synchronisation impossible");
                Vec::new()
            }
        };
        for (address, result) in &results {
            if let Err(e) = result {
                tracing::warn!(box_id = %crate::sync::short_id(address.as_str()), error = %e, "synchronisation échouée");
                (engine.events)(Event::BoxError {
                    box_address: address.clone(),
                    message: e.to_string(),
                });
            }
        }
        let online = results.is_empty() || results.iter().any(|(_, r)| r.is_ok());
        (engine.events)(Event::Connection { online });
        (engine.events)(Event::Synchronised);
        let boxes = match engine.boxes() {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "liste des boîtes illisible");
                return;
            }
        };
        for entitlement in boxes {
            let name = format!(
                "relais-watch-{}",
                crate::sync::short_id(entitlement.address.as_str())
            );
            self.spawn(&name, move |rt| rt.watch(&entitlement, watch));
        }
    }

    /// One box's live watch until the runtime stops; on a lost connection, wait 2, 4, 8… up
    /// to 60 s and reconnect (the watch resynchronises first).
    fn watch(self, entitlement: &Entitlement, options: WatchOptions) {
        let engine = Arc::clone(&self.shared.engine);
        let mut delay = Duration::from_secs(2);
        let was_down = AtomicBool::new(false);
        while !self.stopped() {
            let connected = AtomicBool::new(false);
            let on_connect = |cutter: TcpStream| {
                connected.store(true, Ordering::SeqCst);
                if self.stopped() {
                    let _ = cutter.shutdown(std::net::Shutdown::Both);
                } else {
                    lock(&self.shared.cutters).push(cutter);
                }
                if was_down.swap(false, Ordering::SeqCst) {
                    // The network came back: what waits in the outbox can leave.
                    (engine.events)(Event::Connection { online: true });
                    self.wake_outbox();
                }
            };
            let result = engine.watch_box(entitlement, &self.shared.stop, options, &on_connect);
            if self.stopped() {
                return;
            }
            if connected.load(Ordering::SeqCst) {
                delay = Duration::from_secs(2);
            }
            match result {
                Ok(()) => return,
                Err(EngineError::SessionEnded | EngineError::NotSignedIn) => return,
                Err(e) => {
                    tracing::warn!(
                        box_id = %crate::sync::short_id(entitlement.address.as_str()),
                        error = %e,
                        retry_in_s = delay.as_secs(),
                        "surveillance interrompue"
                    );
                    was_down.store(true, Ordering::SeqCst);
                    (engine.events)(Event::Connection { online: false });
                    if !self.pause(delay) {
                        return;
                    }
                    delay = (delay * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    // ------------------------------------------------------------------ outbox

    fn outbox_worker(self) {
        let engine = Arc::clone(&self.shared.engine);
        loop {
            // Cleared before the pass: a wake during the pass makes another one. A wake (the
            // start, the network back, a new message, « Envoyer maintenant ») tries every
            // waiting message now; a timed pass only those whose back-off is over.
            let woken = std::mem::replace(&mut *lock(&self.shared.outbox_wake), false);
            let until = if woken {
                i64::MAX / 2
            } else {
                crate::now_secs()
            };
            let next_due = {
                let span = tracing::info_span!("send");
                let _entered = span.enter();
                match engine.retry_outbox(until) {
                    Ok(outcomes) => {
                        for o in outcomes.iter().filter(|o| o.error.is_some()) {
                            tracing::warn!(outbox_id = o.id.0, state = ?o.state, "envoi différé");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "boîte d'envoi : passage impossible"),
                }
                match engine.next_outbox_attempt() {
                    Ok(next) => next,
                    Err(e) => {
                        // Looked at again within the hour, or sooner when woken.
                        tracing::warn!(error = %e, "boîte d'envoi illisible");
                        None
                    }
                }
            };
            // Until the next message is due, or until woken (new message, network back).
            let wait = next_due
                .map(|at| Duration::from_secs(at.saturating_sub(crate::now_secs()).max(1) as u64))
                .unwrap_or(Duration::from_secs(3600));
            let woken = lock(&self.shared.outbox_wake);
            let (guard, _) = self
                .shared
                .outbox_cv
                .wait_timeout_while(woken, wait, |w| !*w && !self.stopped())
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            drop(guard);
            if self.stopped() {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ lock

    fn lock_timer(self) {
        while !self.stopped() {
            let delay = *lock(&self.shared.lock_after);
            let check = match delay {
                Some(delay) => {
                    let idle = lock(&self.shared.last_activity).elapsed();
                    if idle >= delay {
                        self.lock();
                        // Locked: the next check after an unlock.
                        delay
                    } else {
                        delay - idle
                    }
                }
                None => Duration::from_secs(3600),
            };
            // Checked at least every second, so that a new delay or an unlock is seen soon.
            let check = check.clamp(Duration::from_millis(200), Duration::from_secs(1));
            if !self.pause(check) {
                return;
            }
        }
    }
}
