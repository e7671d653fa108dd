//! Passwords and refresh tokens in the operating system's keyring (`keyring` 3).
//!
//! Backend, chosen once by [`SecretStore::new`]:
//! - **Windows**: Credential Manager; **macOS**: the login Keychain;
//! - **Linux**: the Secret Service (GNOME Keyring, KWallet…) when a D-Bus session bus is
//!   present (`DBUS_SESSION_BUS_ADDRESS`) and answers; otherwise the **kernel keyutils**
//!   session keyring (`linux-native`), which needs no daemon but lives only as long as the
//!   login session: after a reboot the person signs in again (passwords and refresh tokens
//!   are then simply missing, never stale).
//!
//! Entries are named service `fr.relais.<profile_id>`, user `password:<login>`,
//! `refresh:<subject>` or `store-key` (the local store's encryption key, under the id of the
//! profile folder, so that it is there before any sign-in); a person's audit journal key is
//! service `fr.relais.journal.<journal id>`, user `journal-key`, and outlives sign-out. Keyrings cannot list entries, so an `index` entry records the names
//! used, for [`SecretStore::delete_all`]. Access tokens are never stored.

use keyring::Entry;

/// Where secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Windows Credential Manager or macOS Keychain.
    Platform,
    /// Linux Secret Service over D-Bus.
    SecretService,
    /// Linux kernel keyutils (session keyring).
    KernelKeyutils,
}

/// A keyring failure. French messages: they reach the user.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("Le trousseau du système est inaccessible ({backend:?}) : {detail}")]
    Unavailable { backend: Backend, detail: String },
    #[error("Le trousseau du système a refusé l'opération : {detail}")]
    Failed { detail: String },
}

/// The OS keyring, for one backend.
#[derive(Debug, Clone)]
pub struct SecretStore {
    backend: Backend,
}

impl Default for SecretStore {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore {
    /// Pick the backend (see the module documentation).
    pub fn new() -> SecretStore {
        #[cfg(target_os = "linux")]
        {
            let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
            if bus {
                let probe = SecretStore {
                    backend: Backend::SecretService,
                };
                let works = probe
                    .entry("fr.relais.probe", "probe")
                    .map(|e| matches!(e.get_password(), Ok(_) | Err(keyring::Error::NoEntry)))
                    .unwrap_or(false);
                if works {
                    return probe;
                }
            }
            SecretStore {
                backend: Backend::KernelKeyutils,
            }
        }
        #[cfg(not(target_os = "linux"))]
        SecretStore {
            backend: Backend::Platform,
        }
    }

    /// Use a given backend (tests, or a setting).
    pub fn with_backend(backend: Backend) -> SecretStore {
        SecretStore { backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn entry(&self, service: &str, user: &str) -> Result<Entry, SecretError> {
        self.entry_with(service, user, true)
    }

    /// `link_persistent`: keyutils also links the key into the user's persistent keyring
    /// (survives logout); some sandboxes refuse that link, then the session keyring is used.
    fn entry_with(
        &self,
        service: &str,
        user: &str,
        link_persistent: bool,
    ) -> Result<Entry, SecretError> {
        let unavailable = |e: keyring::Error| SecretError::Unavailable {
            backend: self.backend,
            detail: e.to_string(),
        };
        match self.backend {
            #[cfg(target_os = "linux")]
            Backend::SecretService => Ok(Entry::new_with_credential(Box::new(
                keyring::secret_service::SsCredential::new_with_target(None, service, user)
                    .map_err(unavailable)?,
            ))),
            #[cfg(target_os = "linux")]
            Backend::KernelKeyutils => {
                let mut credential =
                    keyring::keyutils::KeyutilsCredential::new_with_target(None, service, user)
                        .map_err(unavailable)?;
                if !link_persistent {
                    credential.persistent = None;
                }
                Ok(Entry::new_with_credential(Box::new(credential)))
            }
            _ => {
                let _ = link_persistent;
                Entry::new(service, user).map_err(unavailable)
            }
        }
    }

    fn service(profile_id: &str) -> String {
        format!("fr.relais.{profile_id}")
    }

    fn get(&self, profile_id: &str, user: &str) -> Result<Option<String>, SecretError> {
        let service = Self::service(profile_id);
        #[cfg(target_os = "linux")]
        if self.backend == Backend::KernelKeyutils {
            return user_keyring::get(&service, user).map_err(|e| self.unavailable(e));
        }
        match self.entry(&service, user)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failed(e)),
        }
    }

    fn unavailable(&self, detail: String) -> SecretError {
        SecretError::Unavailable {
            backend: self.backend,
            detail,
        }
    }

    fn put(&self, service: &str, user: &str, secret: &str) -> Result<(), SecretError> {
        #[cfg(target_os = "linux")]
        if self.backend == Backend::KernelKeyutils {
            return user_keyring::put(service, user, secret).map_err(|e| self.unavailable(e));
        }
        match self.entry(service, user)?.set_password(secret) {
            Ok(()) => Ok(()),
            // keyutils: stored in the session keyring, but the persistent link was refused.
            Err(keyring::Error::NoEntry) if self.backend == Backend::KernelKeyutils => self
                .entry_with(service, user, false)?
                .set_password(secret)
                .map_err(|e| self.failed(e)),
            Err(e) => Err(self.failed(e)),
        }
    }

    fn set(&self, profile_id: &str, user: &str, secret: &str) -> Result<(), SecretError> {
        let service = Self::service(profile_id);
        self.put(&service, user, secret)?;
        if user != "index" {
            let mut index = self.index(profile_id)?;
            if !index.iter().any(|u| u == user) {
                index.push(user.to_string());
                self.put(&service, "index", &index.join("\n"))?;
            }
        }
        Ok(())
    }

    fn index(&self, profile_id: &str) -> Result<Vec<String>, SecretError> {
        Ok(self
            .get(profile_id, "index")?
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default())
    }

    fn failed(&self, e: keyring::Error) -> SecretError {
        match e {
            keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
                SecretError::Unavailable {
                    backend: self.backend,
                    detail: e.to_string(),
                }
            }
            other => SecretError::Failed {
                detail: other.to_string(),
            },
        }
    }

    pub fn save_password(
        &self,
        profile_id: &str,
        login: &str,
        password: &str,
    ) -> Result<(), SecretError> {
        self.set(profile_id, &format!("password:{login}"), password)
    }

    pub fn password(&self, profile_id: &str, login: &str) -> Result<Option<String>, SecretError> {
        self.get(profile_id, &format!("password:{login}"))
    }

    /// Store the latest refresh token of `subject` (national id); replaces the previous one.
    pub fn save_refresh_token(
        &self,
        profile_id: &str,
        subject: &str,
        token: &str,
    ) -> Result<(), SecretError> {
        self.set(profile_id, &format!("refresh:{subject}"), token)
    }

    pub fn refresh_token(
        &self,
        profile_id: &str,
        subject: &str,
    ) -> Result<Option<String>, SecretError> {
        self.get(profile_id, &format!("refresh:{subject}"))
    }

    /// Store the key of the profile's encrypted local store (64 hexadecimal digits).
    /// `profile_id` is the id of the profile folder, not of an account.
    pub fn save_store_key(&self, profile_id: &str, key_hex: &str) -> Result<(), SecretError> {
        self.set(profile_id, "store-key", key_hex)
    }

    /// The key of the profile's local store, if the keyring holds it.
    pub fn store_key(&self, profile_id: &str) -> Result<Option<String>, SecretError> {
        self.get(profile_id, "store-key")
    }

    /// Store the key of a person's audit journal (64 hexadecimal digits), under the journal's
    /// id. Kept at sign-out: the journal outlives the profile (`relais-engine`'s `journal`).
    pub fn save_journal_key(&self, journal_id: &str, key_hex: &str) -> Result<(), SecretError> {
        self.set(&format!("journal.{journal_id}"), "journal-key", key_hex)
    }

    /// The key of a person's audit journal, if the keyring holds it.
    pub fn journal_key(&self, journal_id: &str) -> Result<Option<String>, SecretError> {
        self.get(&format!("journal.{journal_id}"), "journal-key")
    }

    /// Forget every secret of a profile (sign-out, profile removal).
    pub fn delete_all(&self, profile_id: &str) -> Result<(), SecretError> {
        let service = Self::service(profile_id);
        for user in self
            .index(profile_id)?
            .iter()
            .map(String::as_str)
            .chain(["index"])
        {
            #[cfg(target_os = "linux")]
            if self.backend == Backend::KernelKeyutils {
                user_keyring::delete(&service, user).map_err(|e| self.unavailable(e))?;
                continue;
            }
            match self.entry(&service, user)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => return Err(self.failed(e)),
            }
        }
        Ok(())
    }
}

/// The kernel keyutils store, used directly on the **user** keyring.
///
/// Without a login session (no `pam_keyinit`: services, CI, some desktops) each process
/// gets its own session keyring, so a secret saved by `relais login` would be gone for the
/// next command; and the `keyring` crate's re-linking into the persistent keyring fails in
/// some sandboxes. The user keyring lives as long as the person has processes and is
/// readable only by them (and root).
#[cfg(target_os = "linux")]
mod user_keyring {
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    fn ring() -> Result<KeyRing, String> {
        KeyRing::from_special_id(KeyRingIdentifier::User, false).map_err(|e| format!("{e:?}"))
    }

    fn description(service: &str, user: &str) -> String {
        format!("relais:{service}:{user}")
    }

    pub fn put(service: &str, user: &str, secret: &str) -> Result<(), String> {
        ring()?
            .add_key(&description(service, user), secret.as_bytes())
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    pub fn get(service: &str, user: &str) -> Result<Option<String>, String> {
        match ring()?.search(&description(service, user)) {
            Ok(key) => {
                let bytes = key.read_to_vec().map_err(|e| format!("{e:?}"))?;
                String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
            // An invalidated key lingers as "revoked" until the kernel collects it.
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired) => {
                Ok(None)
            }
            Err(e) => Err(format!("{e:?}")),
        }
    }

    pub fn delete(service: &str, user: &str) -> Result<(), String> {
        match ring()?.search(&description(service, user)) {
            Ok(key) => key.invalidate().map_err(|e| format!("{e:?}")),
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired) => Ok(()),
            Err(e) => Err(format!("{e:?}")),
        }
    }
}
