//! The person's audit journal, kept across sign-out (ANS ECO.4.1.1, Ségur CONF.17/18).
//!
//! Sign-out wipes the profile (store, caches, secrets), but the six months of the audit log
//! must outlive it. Each person who signs in on this profile folder has a journal of their
//! own, `journal/<id>.db` beside the store, which [`crate::ProfileDir::wipe`] keeps:
//!
//! - encrypted (SQLCipher) with a random key kept in the OS keyring under the journal, never
//!   on disk, and never deleted at sign-out;
//! - named by a salted hash of the person's national identifier (the salt, `journal/salt`, is
//!   random per folder), so the file names do not tell who worked on this workstation;
//! - opened only for the person signed in: a colleague signing in on the same workstation
//!   gets their own journal and never reads another's through Relais.
//!
//! What it does not protect against is said in `docs/conformity.md`: the keyring is the
//! operating-system account's, so on a workstation whose OS account several people share,
//! someone with that account and SQLCipher tools could open another's journal. It holds no
//! message content: actions, boxes, times and the server's answers.

use relais_core::NationalId;
use relais_net::SecretStore;
use relais_store::{Journal, StoreError, StoreKey};
use sha2::{Digest, Sha256};

use crate::account::{new_store_key, read_or_create, set_aside, ProfileDir};
use crate::error::{EngineError, Result};

/// Opens (creating it at the first sign-in) the journal of `person` in `dir`.
///
/// A journal whose key the keyring no longer holds cannot be read by anyone: it is moved
/// aside (`<id>.db.illisible`, replacing an earlier one set aside) and a new one begins, with a warning in the log.
pub(crate) fn open(
    dir: &ProfileDir,
    secrets: &SecretStore,
    person: &NationalId,
) -> Result<Journal> {
    let folder = dir.journal_dir();
    let io = |what: &str, e: std::io::Error| EngineError::io(what, e);
    std::fs::create_dir_all(&folder).map_err(|e| io("dossier du journal", e))?;
    let salt_path = folder.join("salt");
    // 128 random bits per folder, from the OS's randomness (an error rather than a weak salt).
    let salt = read_or_create(
        &salt_path,
        || Ok(new_store_key()?.to_hex()[..32].to_string()),
        "sel du journal",
    )?;
    // One process at a time makes the key and the file.
    let lock = std::fs::File::open(&salt_path).map_err(|e| io("verrou du journal", e))?;
    lock.lock().map_err(|e| io("verrou du journal", e))?;
    let id = journal_id(&salt, person);
    let path = folder.join(format!("{id}.db"));
    let existed = path.exists();
    let key = secrets
        .journal_key(&id)?
        .as_deref()
        .and_then(StoreKey::from_hex);
    let key = match key {
        Some(key) => key,
        None if existed => {
            tracing::warn!("journal d'audit illisible (clé absente du trousseau) : mis de côté");
            set_aside(&path, "journal illisible")?;
            new_key(secrets, &id)?
        }
        None => new_key(secrets, &id)?,
    };
    match Journal::open_encrypted(&path, &key) {
        Ok(journal) => Ok(journal),
        Err(StoreError::WrongKey) => {
            tracing::warn!("journal d'audit illisible (clé différente) : mis de côté");
            set_aside(&path, "journal illisible")?;
            let key = new_key(secrets, &id)?;
            Ok(Journal::open_encrypted(&path, &key)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The journal's name: the first 128 bits of SHA-256(salt, national identifier), in hex.
fn journal_id(salt: &str, person: &NationalId) -> String {
    let mut hash = Sha256::new();
    hash.update(b"relais-journal\0");
    hash.update(salt.as_bytes());
    hash.update(b"\0");
    hash.update(person.to_string().as_bytes());
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_key(secrets: &SecretStore, id: &str) -> Result<StoreKey> {
    let key = new_store_key()?;
    secrets.save_journal_key(id, &key.to_hex())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_depends_on_the_person_and_the_salt_and_tells_neither() {
        let sophie = NationalId::parse("810100000041").expect("RPPS");
        let marc = NationalId::parse("810100000058").expect("RPPS");
        let a = journal_id("00ff", &sophie);
        assert_eq!(a, journal_id("00ff", &sophie));
        assert_ne!(a, journal_id("00ff", &marc));
        assert_ne!(a, journal_id("11ee", &sophie));
        assert_eq!(a.len(), 32);
        assert!(!a.contains("0100000041"));
    }
}
