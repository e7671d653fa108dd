//! The test kit of Relais: it starts instances of the local MSSanté operator
//! (`tests/operator/run`: real Dovecot, Postfix and an OpenID Connect provider) and speaks
//! raw IMAP, SMTP and OpenID Connect to them. The operator's own tests live in
//! `tests/operator.rs`; the engine's integration tests use [`Operator`] to get a server.

pub mod operator;
pub mod psc;
pub mod wire;

pub use operator::{Imap, Mode, Operator, Options};

/// The demo personas' shared password and e-CPS PIN (`tests/operator/personas.json`).
pub const DEMO_PASSWORD: &str = "relais-demo";
pub const DEMO_PIN: &str = "1234";
