//! The person's profile folder and the account it holds.
//!
//! One folder per person: the store (`relais.db`), the CRL cache, and `account.json` — who
//! signed in, how, and with which operator. No secret is ever written here: passwords and
//! refresh tokens live in the OS keyring under the account's random `profile_id`.

use std::path::{Path, PathBuf};

use relais_core::{BoxAddress, NationalId, Person};
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

/// What `account.json` holds.
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

/// [`Person`] as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonRecord {
    pub national_id: NationalId,
    pub given_name: String,
    pub family_name: String,
    pub login: String,
    pub own_box: Option<BoxAddress>,
}

impl From<&Person> for PersonRecord {
    fn from(p: &Person) -> Self {
        PersonRecord {
            national_id: p.national_id.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            login: p.login.clone(),
            own_box: p.own_box.clone(),
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

    fn account_path(&self) -> PathBuf {
        self.root.join("account.json")
    }

    pub fn ensure(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| EngineError::io("création du profil", e))
    }

    pub fn load_account(&self) -> Result<Option<Account>> {
        match std::fs::read(self.account_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| EngineError::io("lecture de account.json", e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(EngineError::io("lecture de account.json", e)),
        }
    }

    pub fn save_account(&self, account: &Account) -> Result<()> {
        self.ensure()?;
        let json = serde_json::to_vec_pretty(account)
            .map_err(|e| EngineError::io("écriture de account.json", e))?;
        // Write then rename: a crash never leaves half an account file.
        let tmp = self.root.join("account.json.tmp");
        std::fs::write(&tmp, json).map_err(|e| EngineError::io("écriture de account.json", e))?;
        std::fs::rename(&tmp, self.account_path())
            .map_err(|e| EngineError::io("écriture de account.json", e))
    }

    /// Remove everything of the profile (store, caches, account).
    pub fn wipe(&self) -> Result<()> {
        match std::fs::remove_dir_all(&self.root) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(EngineError::io("suppression du profil", e)),
        }
    }
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
