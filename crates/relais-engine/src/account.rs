//! The person's profile folder and the account it holds.
//!
//! One folder per person: the store (`relais.db`, encrypted), the CRL cache, the logs,
//! `profile-id` (the folder's random id) and `signed-in.json`, which says only that an account
//! is there: its random keyring namespace, the sign-in method and the operator profile's path.
//! Who signed in (login, names, national identifier), the box settings and the DSN requests
//! live in the encrypted store. No secret is ever written here: passwords and refresh tokens
//! live in the OS keyring under the account's random `profile_id`; the store's key lives there
//! under the folder's id, so that the store opens before any sign-in.

use std::path::{Path, PathBuf};

use relais_core::{BoxAddress, IdentitySource, NationalId, Person};
use relais_net::SecretStore;
use relais_store::{Store, StoreError, StoreKey};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// How the person proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Operator login and password (SASL PLAIN; authzid for service boxes).
    Password,
    /// e-CPS through Pro Santé Connect (SASL XOAUTH2 `user=<box>`).
    Ecps,
}

/// The account of the profile, kept in the encrypted store (`profile_state` `account`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// The keyring entries' namespace for this profile (random, not secret).
    pub profile_id: String,
    /// The operator profile (TOML) this account uses.
    pub operator_profile: PathBuf,
    /// The operator login (password) or the national id (e-CPS).
    pub login: String,
    pub method: Method,
    /// Who signed in (from the sign-in: names and national identifier, not secret).
    pub person: PersonRecord,
}

/// What `signed-in.json` holds: that an account is there, and nothing personal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInRecord {
    /// The keyring entries' namespace for this profile (random, not secret).
    pub profile_id: String,
    /// The operator profile (TOML) this account uses.
    pub operator_profile: PathBuf,
    pub method: Method,
}

impl From<&Account> for SignInRecord {
    fn from(a: &Account) -> Self {
        SignInRecord {
            profile_id: a.profile_id.clone(),
            operator_profile: a.operator_profile.clone(),
            method: a.method,
        }
    }
}

/// [`Person`] as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonRecord {
    pub national_id: NationalId,
    pub given_name: String,
    pub family_name: String,
    pub login: String,
    pub own_box: Option<BoxAddress>,
    #[serde(default)]
    pub profession: String,
    /// Absent in the records of an earlier Relais: see [`PersonRecord::identity`].
    #[serde(default)]
    pub identity: Option<IdentitySource>,
}

impl PersonRecord {
    /// Where the names come from. An earlier Relais did not say: its names were the login's
    /// words or what the person typed, so they count as declared (or unknown when empty).
    pub fn identity(&self) -> IdentitySource {
        self.identity.unwrap_or(
            if self.given_name.trim().is_empty() && self.family_name.trim().is_empty() {
                IdentitySource::Unknown
            } else {
                IdentitySource::Declared
            },
        )
    }
}

impl From<&Person> for PersonRecord {
    fn from(p: &Person) -> Self {
        PersonRecord {
            national_id: p.national_id.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            login: p.login.clone(),
            own_box: p.own_box.clone(),
            profession: p.profession.clone(),
            identity: Some(p.identity),
        }
    }
}

impl From<&PersonRecord> for Person {
    fn from(p: &PersonRecord) -> Self {
        Person {
            national_id: p.national_id.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            login: p.login.clone(),
            own_box: p.own_box.clone(),
            profession: p.profession.clone(),
            identity: p.identity(),
        }
    }
}

/// The profile folder.
#[derive(Debug, Clone)]
pub struct ProfileDir {
    root: PathBuf,
}

impl ProfileDir {
    pub fn new(root: impl Into<PathBuf>) -> ProfileDir {
        ProfileDir { root: root.into() }
    }

    /// The platform's data folder for Relais (`~/.local/share/relais`, `%APPDATA%\Relais`,
    /// `~/Library/Application Support/Relais`).
    pub fn platform_default() -> ProfileDir {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let root = if cfg!(target_os = "windows") {
            std::env::var_os("APPDATA")
                .map(PathBuf::from)
                .unwrap_or(home)
                .join("Relais")
        } else if cfg!(target_os = "macos") {
            home.join("Library/Application Support/Relais")
        } else {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".local/share"))
                .join("relais")
        };
        ProfileDir { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn store_path(&self) -> PathBuf {
        self.root.join("relais.db")
    }

    pub fn crl_cache(&self) -> PathBuf {
        self.root.join("crl")
    }

    /// The audit journals of the people who signed in here (see [`crate::journal`]): kept
    /// by [`ProfileDir::wipe`].
    pub fn journal_dir(&self) -> PathBuf {
        self.root.join(JOURNAL_DIR)
    }

    /// The profile's log files (see [`crate::logs`]).
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn ensure(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| EngineError::io("création du profil", e))
    }

    fn record_path(&self) -> PathBuf {
        self.root.join("signed-in.json")
    }

    /// `account.json` of Relais before the account moved into the store.
    fn legacy_account_path(&self) -> PathBuf {
        self.root.join("account.json")
    }

    /// Whether an account was signed in here (and not signed out).
    pub fn has_account(&self) -> bool {
        self.record_path().is_file() || self.legacy_account_path().is_file()
    }

    /// That an account is there: its keyring namespace, method and operator profile.
    pub fn sign_in_record(&self) -> Result<Option<SignInRecord>> {
        match std::fs::read(self.record_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| EngineError::io("lecture de signed-in.json", e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(self.legacy_account()?.as_ref().map(SignInRecord::from))
            }
            Err(e) => Err(EngineError::io("lecture de signed-in.json", e)),
        }
    }

    /// The account of an earlier Relais, in clear beside the store (moved into the store at
    /// the next open).
    pub(crate) fn legacy_account(&self) -> Result<Option<Account>> {
        match std::fs::read(self.legacy_account_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| EngineError::io("lecture de account.json", e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(EngineError::io("lecture de account.json", e)),
        }
    }

    pub(crate) fn forget_legacy_account(&self) -> Result<()> {
        match std::fs::remove_file(self.legacy_account_path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(EngineError::io("suppression de account.json", e)),
        }
    }

    /// Records that `account` is signed in here (the account itself goes to the store).
    pub(crate) fn save_sign_in_record(&self, account: &Account) -> Result<()> {
        self.ensure()?;
        let json = serde_json::to_vec_pretty(&SignInRecord::from(account))
            .map_err(|e| EngineError::io("écriture de signed-in.json", e))?;
        // Write then rename: a crash never leaves half a file.
        let tmp = self.root.join("signed-in.json.tmp");
        std::fs::write(&tmp, json).map_err(|e| EngineError::io("écriture de signed-in.json", e))?;
        std::fs::rename(&tmp, self.record_path())
            .map_err(|e| EngineError::io("écriture de signed-in.json", e))
    }

    /// Forgets at once that an account is here (sign-out, before the folder is wiped): the
    /// next start shows the sign-in screen.
    pub fn forget_sign_in(&self) -> Result<()> {
        for path in [self.record_path(), self.legacy_account_path()] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(EngineError::io("fin de session", e)),
            }
        }
        Ok(())
    }

    fn folder_id_path(&self) -> PathBuf {
        self.root.join("profile-id")
    }

    /// The folder's stable random id (not secret), created at first use: it names the
    /// keyring entry of the store's key.
    pub fn folder_id(&self) -> Result<String> {
        read_or_create(
            &self.folder_id_path(),
            || Ok(new_profile_id()),
            "identifiant du profil",
        )
    }

    /// Open the encrypted store, with its key from the keyring (made at the first open).
    ///
    /// A store whose key is missing or wrong cannot be read by anyone: it is moved aside
    /// (`relais.db.illisible`, never deleted) and a new, empty store is made, which the next
    /// sync refills from the server; the notice says so, in French. A keyring that does not
    /// answer is an error (the store is kept for when it answers again). A clear-text store of
    /// an earlier Relais is encrypted in place, nothing lost.
    pub fn open_store(&self, secrets: &SecretStore) -> Result<OpenedStore> {
        self.ensure()?;
        let id = self.folder_id()?;
        // One process at a time makes the key and the file.
        let lock = std::fs::File::open(self.folder_id_path())
            .map_err(|e| EngineError::io("verrou du profil", e))?;
        lock.lock()
            .map_err(|e| EngineError::io("verrou du profil", e))?;
        let path = self.store_path();
        let existed = path.exists();
        let key = match secrets.store_key(&id)? {
            Some(hex) => StoreKey::from_hex(&hex),
            None => None,
        };
        let key = match key {
            Some(key) => key,
            None => {
                let key = new_store_key()?;
                secrets.save_store_key(&id, &key.to_hex())?;
                key
            }
        };
        match Store::open_encrypted(&path, &key) {
            Ok(store) => {
                return Ok(OpenedStore {
                    store,
                    notice: None,
                })
            }
            Err(StoreError::WrongKey) if existed => {}
            Err(e) => return Err(e.into()),
        }
        if Store::encrypt_in_place(&path, &key)? {
            return Ok(OpenedStore {
                store: Store::open_encrypted(&path, &key)?,
                notice: None,
            });
        }
        // Encrypted with a key the keyring no longer holds.
        set_aside(&path, "cache illisible")?;
        let key = new_store_key()?;
        secrets.save_store_key(&id, &key.to_hex())?;
        Ok(OpenedStore {
            store: Store::open_encrypted(&path, &key)?,
            notice: Some(EngineError::StoreKeyLost.to_string()),
        })
    }

    /// Remove everything of the profile (store, caches, account, logs) but the audit
    /// journals, which must outlive sign-out (six months, ECO.4.1.1).
    pub fn wipe(&self) -> Result<()> {
        let io = |e| EngineError::io("suppression du profil", e);
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io)?;
            if entry.file_name() == JOURNAL_DIR {
                continue;
            }
            let path = entry.path();
            let removed = if entry.file_type().map_err(io)?.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match removed {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }
}

/// The profile's account from the store; an account of an earlier Relais (`account.json` in
/// clear) is moved into the store first.
pub(crate) fn load_account(dir: &ProfileDir, store: &mut Store) -> Result<Option<Account>> {
    if let Some(legacy) = dir.legacy_account()? {
        save_account(dir, store, &legacy)?;
        dir.forget_legacy_account()?;
        return Ok(Some(legacy));
    }
    match store.state(ACCOUNT_KEY)? {
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| EngineError::io("compte du profil", e)),
        None => Ok(None),
    }
}

/// Keeps `account` in the store, and says in the folder that an account is there.
pub(crate) fn save_account(dir: &ProfileDir, store: &mut Store, account: &Account) -> Result<()> {
    let json =
        serde_json::to_string(account).map_err(|e| EngineError::io("compte du profil", e))?;
    store.set_state(ACCOUNT_KEY, &json)?;
    dir.save_sign_in_record(account)
}

const ACCOUNT_KEY: &str = "account";

/// The folder of the audit journals, inside the profile folder.
const JOURNAL_DIR: &str = "journal";

/// The store [`ProfileDir::open_store`] opened, and what the person must be told.
#[derive(Debug)]
pub struct OpenedStore {
    pub store: Store,
    /// Set when the store had to be made anew (key missing or wrong), in French.
    pub notice: Option<String>,
}

/// A new random 256-bit store key (the OS's randomness, or an error: never a weak key).
/// The small text file at `path` (an id, a salt), made with `make` at first use.
///
/// Written whole under a private name, then linked: a concurrent process sees either no file
/// or the whole text, and the first link wins. An empty file is made anew.
pub(crate) fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<String>,
    what: &str,
) -> Result<String> {
    let io = |e| EngineError::io(what, e);
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_string()),
        Ok(_) => std::fs::remove_file(path).map_err(io)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let text = make()?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, &text).map_err(io)?;
    let linked = std::fs::hard_link(&tmp, path);
    if let Err(e) = std::fs::remove_file(&tmp) {
        tracing::warn!(error = %e, "fichier temporaire non supprimé");
    }
    match linked {
        Ok(()) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)
                .map_err(io)?
                .trim()
                .to_string())
        }
        Err(e) => Err(io(e)),
    }
}

/// Moves an unreadable SQLite file (and its `-wal`, `-shm`) aside as `<file>.illisible`,
/// never deleted; an earlier copy set aside is replaced.
pub(crate) fn set_aside(path: &Path, what: &str) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = path.as_os_str().to_owned();
        to.push(format!(".illisible{suffix}"));
        match std::fs::remove_file(&to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EngineError::io(what, e)),
        }
        if Path::new(&from).exists() {
            std::fs::rename(&from, &to).map_err(|e| EngineError::io(what, e))?;
        }
    }
    Ok(())
}

/// A new random 256-bit key for a SQLCipher file (the store, a journal).
pub(crate) fn new_store_key() -> Result<StoreKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| EngineError::io("clé du cache local", e))?;
    let key = StoreKey::from_bytes(bytes);
    bytes = [0; 32];
    let _ = bytes;
    Ok(key)
}

/// A random identifier for keyring entries.
pub fn new_profile_id() -> String {
    let mut bytes = [0u8; 8];
    // Uniqueness, not secrecy: fall back to the clock if the OS has no randomness.
    if getrandom::fill(&mut bytes).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = (t as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
