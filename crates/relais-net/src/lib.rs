//! # relais-net — connections to an MSSanté operator
//!
//! No storage and no UI: this crate opens connections and reports what the servers say.
//!
//! - [`profile`] — the operator profile (TOML): servers, trust anchors, CRLs, Pro Santé Connect;
//! - [`tls`] — rustls with the operator's IGC-Santé anchors only, TLS 1.2+, CRL revocation;
//! - [`imap`] — authenticated IMAP sessions (STARTTLS required, SASL PLAIN with authzid,
//!   XOAUTH2 `user=<box>`), MYRIGHTS, NAMESPACE, shared boxes;
//! - [`smtp`] — submission through lettre (STARTTLS required, PLAIN/XOAUTH2, DSN);
//! - [`psc`] — Pro Santé Connect: code flow + PKCE with a loopback listener, CIBA, refresh,
//!   revocation, verified identity;
//! - [`secrets`] — passwords and refresh tokens in the OS keyring.
//!
//! The engine is synchronous: every call blocks its (per-box) thread. Passwords and tokens
//! are never logged, never printed by `Debug`, and access tokens are never written to disk.

mod der;
pub mod error;
pub mod imap;
pub mod imap_ops;
pub mod names;
mod net;
pub mod profile;
pub mod psc;
pub mod secrets;
pub mod smtp;
mod srv;
pub mod tls;

pub use error::{Credentials, NetError};
pub use imap::{IdleOutcome, ImapSession, Namespace, Namespaces, SharedBox};
pub use imap_ops::{
    decode_folder_name, encode_folder_name, uid_set, BodyPart, FetchedSummary, FlagChange,
    FlagState, FolderState, ListedFolder, MoveReply, Refusal, Search, SpecialUse, StoreReply,
};
pub use names::{least_rights, quoted, Listed};
pub use net::ConnectOptions;
pub use profile::{OperatorProfile, ProfileError, Security, ServerEndpoint};
pub use psc::{ProSanteConnect, PscError, PscIdentity, PscTokens, SignInOptions};
pub use secrets::{Backend, SecretError, SecretStore};
pub use smtp::{submit, SubmitReport};
pub use tls::{TlsError, TlsPolicy, TlsStream};
