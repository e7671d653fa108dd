//! One module per command. Each parses its own arguments, calls the engine, prints.

pub mod audit;
pub mod boxes;
pub mod folder;
pub mod ins;
pub mod list;
pub mod login;
pub mod outbox;
pub mod search;
pub mod send;
pub mod show;
pub mod sync;
pub mod watch;

use std::path::PathBuf;

use relais_core::BoxAddress;
use relais_engine::{Engine, ProfileDir};
use relais_net::OperatorProfile;

/// Options every command shares.
pub struct Context {
    pub profile: Option<PathBuf>,
    pub operator: Option<PathBuf>,
}

/// A command's failure: the French message printed on stderr.
pub type Outcome = Result<(), String>;

/// Where the demo operator writes its profile when started with its default folder.
const DEMO_OPERATOR: &str = "/tmp/relais-operator/operator.toml";

impl Context {
    pub fn profile_dir(&self) -> ProfileDir {
        match &self.profile {
            Some(p) => ProfileDir::new(p),
            None => ProfileDir::platform_default(),
        }
    }

    /// The engine on an existing account (the operator comes from the account unless given).
    pub fn engine(&self) -> Result<Engine, String> {
        self.engine_with(relais_engine::events::discard())
    }

    /// The same, with the engine's events sent to `events`.
    pub fn engine_with(&self, events: relais_engine::EventSink) -> Result<Engine, String> {
        // No account: say so, and leave no empty profile behind.
        if !self.profile_dir().has_account() {
            return Err(relais_engine::EngineError::NotSignedIn.to_string());
        }
        Engine::open(self.profile_dir(), self.operator.as_deref(), events)
            .map_err(|e| e.to_string())
    }

    /// The engine for a new sign-in of `user`. The operator profile: `--operator`, else
    /// `$RELAIS_OPERATOR`, else the account's, else — when `user` is an address — the servers
    /// its domain publishes in DNS (RFC 6186, with the IGC-Santé roots), else the local demo
    /// operator.
    pub fn engine_for_login(&self, user: &str) -> Result<Engine, String> {
        let dir = self.profile_dir();
        let operator = self
            .operator
            .clone()
            .or_else(|| std::env::var_os("RELAIS_OPERATOR").map(PathBuf::from))
            .or_else(|| {
                dir.sign_in_record()
                    .ok()
                    .flatten()
                    .map(|a| a.operator_profile)
            });
        let operator = match operator {
            Some(path) => path,
            None => match BoxAddress::parse(user)
                .ok()
                .and_then(|a| OperatorProfile::from_srv(&a))
            {
                Some(found) => {
                    dir.ensure().map_err(|e| e.to_string())?;
                    let path = dir.root().join("operator.toml");
                    std::fs::write(&path, found.to_toml()).map_err(|e| e.to_string())?;
                    eprintln!(
                        "Serveurs trouvés dans le DNS pour {} : IMAP {}, envoi {}.",
                        found.name, found.imap.host, found.submission.host
                    );
                    path
                }
                None => PathBuf::from(DEMO_OPERATOR),
            },
        };
        Engine::open(dir, Some(&operator), relais_engine::events::discard())
            .map_err(|e| e.to_string())
    }
}

pub fn parse_box(text: &str) -> Result<BoxAddress, String> {
    BoxAddress::parse(text).map_err(|e| e.to_string())
}
