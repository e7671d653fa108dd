//! Who the person is, from a trusted source, never from the login string (issue #16).
//!
//! - e-CPS: names and national identifier from Pro Santé Connect's ID token. Their nominative
//!   box is found by that identifier (RPPS/ADELI) in the Annuaire Santé: the `PER` boxes of
//!   the extraction the operator profile names, else of the operator's directory imported
//!   into the profile; an `email` claim, which Pro Santé Connect does not document, is only a
//!   hint tried after them.
//! - Password: the login carries no identity. The owner of the person's own box is looked up
//!   by its address in the same two places (names, profession, RPPS/ADELI); when neither knows
//!   them, the names they declared at their first sign-in (kept in the encrypted store, shown
//!   « déclaré »), else nothing until they declare them ([`Engine::declare_identity`]).
//!
//! A directory that cannot be read is logged and skipped: the next source answers.

use std::path::PathBuf;

use relais_core::{BoxAddress, IdentitySource, NationalId, Person};
use relais_directory::{DirectoryEntry, DirectoryError};

use crate::error::{EngineError, Result};
use crate::{account, Engine};

/// The names a person declares when no directory knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredIdentity {
    pub given_name: String,
    pub family_name: String,
    pub profession: String,
}

impl DeclaredIdentity {
    /// Trimmed and checked: the three are required, without control characters, 100
    /// characters at most each.
    pub fn new(given_name: &str, family_name: &str, profession: &str) -> Result<DeclaredIdentity> {
        let field = |value: &str, label: &str| -> Result<String> {
            let value = value.trim();
            if value.is_empty() {
                return Err(EngineError::InvalidIdentity(format!(
                    "indiquez votre {label}"
                )));
            }
            if value.chars().count() > 100 || value.chars().any(char::is_control) {
                return Err(EngineError::InvalidIdentity(format!(
                    "votre {label} doit tenir en 100 caractères, sans caractère de contrôle"
                )));
            }
            Ok(value.to_string())
        };
        Ok(DeclaredIdentity {
            given_name: field(given_name, "prénom")?,
            family_name: field(family_name, "nom")?,
            profession: field(profession, "profession")?,
        })
    }
}

/// Where a directory answer came from, for the logs (never the person or the address).
#[derive(Debug, Clone, Copy)]
enum Source {
    Extraction,
    Imported,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Extraction => "extraction",
            Source::Imported => "annuaire importé",
        }
    }
}

impl Engine {
    /// The directories to ask, in order: the extraction the operator profile names, then the
    /// operator's directory imported into the profile (when one was imported).
    fn directories(&self) -> Vec<(Source, PathBuf)> {
        let mut out = Vec::new();
        if let Some(extraction) = &self.operator.annuaire.extraction {
            out.push((Source::Extraction, extraction.clone()));
        }
        let imported = relais_directory::file_in(self.dir.root());
        if imported.is_file() {
            out.push((Source::Imported, imported));
        }
        out
    }

    /// The first answer of the directories to `ask`; a directory that cannot be read is
    /// logged and the next one asked.
    fn ask_directories<T>(
        &self,
        what: &'static str,
        ask: impl Fn(Source, &std::path::Path) -> relais_directory::Result<Option<T>>,
    ) -> Option<T> {
        for (source, path) in self.directories() {
            match ask(source, &path) {
                Ok(Some(found)) => {
                    tracing::info!(source = source.as_str(), what, "trouvé dans l'annuaire");
                    return Some(found);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(source = source.as_str(), what, %error, "annuaire illisible");
                }
            }
        }
        None
    }

    /// The person's nominative boxes to try, best first: the Annuaire Santé's `PER` boxes of
    /// their national identifier, then the `email` hint (when not already there).
    pub(crate) fn nominative_candidates(
        &self,
        national_id: &NationalId,
        hint: Option<&BoxAddress>,
    ) -> Vec<BoxAddress> {
        let found = self
            .ask_directories("boîte nominative", |source, path| {
                let entries = match source {
                    Source::Extraction => {
                        relais_directory::nominative_boxes_in_extraction(path, national_id)?
                    }
                    Source::Imported => {
                        relais_directory::Directory::open(path)?.nominative_boxes(national_id)?
                    }
                };
                let boxes: Vec<BoxAddress> = entries
                    .iter()
                    .filter_map(|e| BoxAddress::parse(&e.address).ok())
                    .collect();
                Ok((!boxes.is_empty()).then_some(boxes))
            })
            .unwrap_or_default();
        let mut candidates = found;
        if let Some(hint) = hint {
            if !candidates.contains(hint) {
                candidates.push(hint.clone());
            }
        }
        candidates
    }

    /// The Annuaire Santé's entry for the owner of a box (any directory), when it names a
    /// person.
    pub(crate) fn owner_of(&self, address: &BoxAddress) -> Option<DirectoryEntry> {
        self.ask_directories("titulaire de la boîte", |source, path| {
            let entry = match source {
                Source::Extraction => {
                    relais_directory::entry_in_extraction(path, address.as_str())?
                }
                Source::Imported => {
                    relais_directory::Directory::open(path)?.lookup(address.as_str())?
                }
            };
            Ok::<_, DirectoryError>(entry.filter(|e| {
                e.kind.eq_ignore_ascii_case("PER")
                    && !e.last_name.is_empty()
                    && NationalId::parse(&e.national_id).is_ok()
            }))
        })
    }

    /// The profession the Annuaire Santé gives for a national identifier's box, if any.
    pub(crate) fn profession_of(&self, own_box: Option<&BoxAddress>) -> String {
        own_box
            .and_then(|b| self.owner_of(b))
            .map(|e| e.profession)
            .unwrap_or_default()
    }

    /// The person behind a password login: the Annuaire Santé by their own box, else what
    /// the caller was just told (`hint`: the command line's options, the demo), else what
    /// they declared here before (same login), else nobody yet ([`IdentitySource::Unknown`]).
    pub(crate) fn password_person(
        &self,
        login: &str,
        own_box: Option<BoxAddress>,
        hint: &crate::IdentityHint,
    ) -> Result<Person> {
        if let Some(entry) = own_box.as_ref().and_then(|b| self.owner_of(b)) {
            if let Ok(national_id) = NationalId::parse(&entry.national_id) {
                return Ok(Person {
                    national_id,
                    given_name: entry.first_name,
                    family_name: entry.last_name,
                    login: login.to_string(),
                    own_box,
                    profession: entry.profession,
                    identity: IdentitySource::Annuaire,
                });
            }
        }
        let national_id = hint
            .national_id
            .clone()
            .unwrap_or_else(|| NationalId::OperatorLogin(login.to_string()));
        let named = hint
            .given_name
            .as_deref()
            .zip(hint.family_name.as_deref())
            .filter(|(g, f)| !g.trim().is_empty() && !f.trim().is_empty());
        if named.is_none() {
            let previous = lock_account(self).filter(|a| {
                a.login == login
                    && a.method == account::Method::Password
                    && a.person.identity() == IdentitySource::Declared
            });
            if let Some(previous) = previous {
                let mut person = Person::from(&previous.person);
                person.own_box = own_box;
                return Ok(person);
            }
        }
        Ok(match named {
            Some((given, family)) => Person {
                national_id,
                given_name: given.trim().to_string(),
                family_name: family.trim().to_string(),
                login: login.to_string(),
                own_box,
                profession: hint.profession.clone().unwrap_or_default(),
                identity: IdentitySource::Declared,
            },
            None => Person {
                national_id,
                given_name: String::new(),
                family_name: String::new(),
                login: login.to_string(),
                own_box,
                profession: String::new(),
                identity: IdentitySource::Unknown,
            },
        })
    }

    /// The names of a person no directory knows, declared once at their first password
    /// sign-in: kept in the encrypted store with the account, shown « déclaré ». Refused for
    /// an identity that came from Pro Santé Connect or the Annuaire Santé.
    pub fn declare_identity(&self, declared: &DeclaredIdentity) -> Result<Person> {
        let mut account = self.account()?;
        if !account.person.identity().is_declared() {
            return Err(EngineError::InvalidIdentity(
                "votre identité vient d'une source de confiance et ne peut pas être modifiée ici"
                    .to_string(),
            ));
        }
        let mut person = Person::from(&account.person);
        person.given_name.clone_from(&declared.given_name);
        person.family_name.clone_from(&declared.family_name);
        person.profession.clone_from(&declared.profession);
        person.identity = IdentitySource::Declared;
        account.person = (&person).into();
        {
            let mut store = self.store()?;
            account::save_account(&self.dir, &mut store, &account)?;
            let mut boxes = store.boxes()?;
            for b in &mut boxes {
                if b.kind == relais_core::BoxKind::Nominative {
                    b.display_name = person.display_name();
                }
            }
            store.upsert_boxes(&boxes)?;
        }
        *crate::lock(&self.account) = Some(account);
        tracing::info!("identité déclarée");
        Ok(person)
    }
}

fn lock_account(engine: &Engine) -> Option<account::Account> {
    crate::lock(&engine.account).clone()
}
