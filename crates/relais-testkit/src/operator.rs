//! Starting and stopping an instance of the local operator (`tests/operator/run`).
//!
//! Each [`Operator`] owns its own instance folder, servers and free ports, so tests run
//! in parallel; dropping it stops every server it started.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the operator exposes organisational boxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A person opens a service box with SASL PLAIN authzid=box, or XOAUTH2 user=box.
    Delegated,
    /// The same, plus an IMAP shared namespace (RFC 2342) with per-person ACLs (RFC 4314).
    Shared,
}

/// Which IMAP server family serves the boxes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imap {
    /// Dovecot 2.3 (IMAP + LMTP).
    Dovecot,
    /// Cyrus IMAP 3.6: organisational boxes only through the "Other Users" shared namespace
    /// (plus delegated login for holders of the `a` right), passwords only (no token on IMAP).
    Cyrus,
    /// Dovecot advertising only IMAP4rev1 after login (no CONDSTORE, QRESYNC, IDLE, MOVE,
    /// NAMESPACE, ACL, LIST-STATUS, SPECIAL-USE, UIDPLUS).
    Poor,
}

impl Imap {
    /// The family named by `RELAIS_IMAP` (`dovecot`, `cyrus` or `poor`), Dovecot when unset.
    ///
    /// # Panics
    /// On any other value: a test run must not silently use another server than asked.
    pub fn from_env() -> Imap {
        match std::env::var("RELAIS_IMAP").as_deref() {
            Err(_) | Ok("") | Ok("dovecot") => Imap::Dovecot,
            Ok("cyrus") => Imap::Cyrus,
            Ok("poor") => Imap::Poor,
            Ok(other) => panic!("RELAIS_IMAP={other}: attendu « dovecot », « cyrus » ou « poor »"),
        }
    }

    fn as_arg(self) -> &'static str {
        match self {
            Imap::Dovecot => "dovecot",
            Imap::Cyrus => "cyrus",
            Imap::Poor => "poor",
        }
    }
}

/// Options of a new instance.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    /// The IMAP server family (default: `RELAIS_IMAP`, else Dovecot).
    pub imap: Imap,
    /// Lifetime of the provider's access tokens, in seconds (short to watch one expire).
    pub access_token_ttl: u32,
    /// The `acr` the provider's CIBA approvals report (default `eidas1`): a lower level
    /// shows a client refusing it.
    pub ciba_acr: Option<String>,
    /// Whether the OpenID provider adds an `email` claim (the person's own box). Pro Santé
    /// Connect documents none: `false`, the default, is the faithful provider, where the
    /// engine finds the box by national identifier in the Annuaire Santé extraction the
    /// profile names; `true` shows the claim taken as a hint only.
    pub email_claim: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: Mode::Delegated,
            imap: Imap::from_env(),
            access_token_ttl: 300,
            ciba_acr: None,
            email_claim: false,
        }
    }
}

impl Options {
    /// Options for a test whose sign-in puts a Pro Santé Connect token on IMAP (e-CPS): the
    /// family of `RELAIS_IMAP`, except Cyrus, which takes no token on IMAP here (Debian's
    /// Cyrus SASL has no XOAUTH2 or OAUTHBEARER server mechanism): Dovecot then. What
    /// Cyrus answers to a token is shown by the engine's `tests/cyrus.rs`.
    pub fn tokens_on_imap() -> Options {
        let mut options = Options::default();
        if options.imap == Imap::Cyrus {
            options.imap = Imap::Dovecot;
        }
        options
    }
}

impl Options {
    /// Options for a test of what a full IMAP server offers (RFC 4314 rights, CONDSTORE's
    /// conditional STORE, IDLE): the family of `RELAIS_IMAP`, except the capability-poor
    /// server, which offers none of them: Dovecot then. What Relais does without them is
    /// shown by the engine's `tests/poor.rs`.
    pub fn full_imap() -> Options {
        let mut options = Options::default();
        if options.imap == Imap::Poor {
            options.imap = Imap::Dovecot;
        }
        options
    }
}

impl Options {
    /// Options for a test of Dovecot's own model: its tool (`doveadm`, through
    /// `Operator::script`, e.g. setting a folder's UIDVALIDITY, which Cyrus has no command
    /// for), or delegated login for every member of a box (Cyrus allows it to holders of the
    /// `a` right only; relais-net's `cyrus_other_users_namespace` shows Cyrus's model). The
    /// family of `RELAIS_IMAP`, except Cyrus: Dovecot then.
    pub fn dovecot_family() -> Options {
        let mut options = Options::default();
        if options.imap == Imap::Cyrus {
            options.imap = Imap::Dovecot;
        }
        options
    }
}

/// A running local operator instance.
pub struct Operator {
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
    imap: Imap,
}

/// The repository's root, found from this crate's manifest folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")))
}

fn run_script() -> PathBuf {
    repo_root().join("tests/operator/run")
}

impl Operator {
    /// Start a fresh instance in a new temporary folder.
    pub fn start(options: Options) -> io::Result<Operator> {
        // The instance's ports are chosen free, then bound by each server a moment later:
        // with several instances (and their connections) starting at once, another may take
        // one in between. Only that failure is tried again, on new ports. Postfix's master
        // reports it in its own log, which it may not have open yet: its "mail system startup
        // failed" on a fresh instance is that same lost port (seen in a local CI run).
        let mut attempt = 1;
        loop {
            match Self::start_once(&options) {
                Err(e)
                    if attempt < 3
                        && (e.to_string().contains("Address already in use")
                            || e.to_string().contains("mail system startup failed")) =>
                {
                    eprintln!("relais-testkit: a port was taken while the operator started ({attempt}/3), trying on new ports");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn start_once(options: &Options) -> io::Result<Operator> {
        let dir = tempfile::Builder::new().prefix("relais-op-").tempdir()?;
        let mode = match options.mode {
            Mode::Delegated => "delegated",
            Mode::Shared => "shared",
        };
        let mut command = Command::new(run_script());
        if let Some(acr) = &options.ciba_acr {
            command.env("OIDC_CIBA_ACR", acr);
        }
        let out = command
            .arg("start")
            .arg("--dir")
            .arg(dir.path())
            .arg("--mode")
            .arg(mode)
            .arg("--imap")
            .arg(options.imap.as_arg())
            .env(
                "RELAIS_OPERATOR_ACCESS_TOKEN_TTL",
                options.access_token_ttl.to_string(),
            )
            .env(
                "RELAIS_OPERATOR_OIDC_EMAIL_CLAIM",
                if options.email_claim { "1" } else { "0" },
            )
            .stdin(std::process::Stdio::null())
            .output()?;
        let operator = Operator {
            dir,
            vars: parse_env(&String::from_utf8_lossy(&out.stdout)),
            imap: options.imap,
        };
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "the local operator did not start: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(operator)
    }

    /// The IMAP server family of this instance.
    pub fn imap(&self) -> Imap {
        self.imap
    }

    /// A variable of the instance's `env` file (`RELAIS_OPERATOR_…`).
    pub fn var(&self, name: &str) -> &str {
        self.vars.get(name).map(String::as_str).unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn host(&self) -> IpAddr {
        self.var("RELAIS_OPERATOR_HOST")
            .parse()
            .unwrap_or(IpAddr::from([127, 0, 0, 2]))
    }

    fn port(&self, name: &str) -> u16 {
        self.var(name).parse().unwrap_or(0)
    }

    pub fn imap_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host(), self.port("RELAIS_OPERATOR_IMAP_PORT"))
    }

    pub fn imaps_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host(), self.port("RELAIS_OPERATOR_IMAPS_PORT"))
    }

    pub fn submission_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host(), self.port("RELAIS_OPERATOR_SUBMISSION_PORT"))
    }

    pub fn issuer(&self) -> &str {
        self.var("RELAIS_OPERATOR_OIDC_ISSUER")
    }

    /// The PEM file of the only roots a client trusts for this operator (the test PKI).
    pub fn trust_anchors(&self) -> PathBuf {
        PathBuf::from(self.var("RELAIS_OPERATOR_TRUST_ANCHORS"))
    }

    /// The Relais operator profile (TOML) generated for this instance.
    pub fn profile(&self) -> PathBuf {
        PathBuf::from(self.var("RELAIS_OPERATOR_PROFILE"))
    }

    /// A copy of the operator profile, written in `dir`, whose submission port is `port`
    /// (a closed port: the server is unreachable; a proxy's: traffic goes through it). The
    /// trust anchors are named by their absolute path.
    pub fn profile_with_submission_port(&self, dir: &Path, port: u16) -> io::Result<PathBuf> {
        let text = std::fs::read_to_string(self.profile())?;
        let real = self.submission_addr().port();
        let text = text.replace(&format!("port = {real}"), &format!("port = {port}"));
        let text = text.replace(
            "\"pki/roots.pem\"",
            &format!("{:?}", self.trust_anchors().display().to_string()),
        );
        let path = dir.join(format!("operator-{port}.toml"));
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// The text of one of the servers' logs (`dovecot`, `postfix`, `oidc`, `milter`).
    pub fn log(&self, server: &str) -> String {
        std::fs::read_to_string(self.dir().join("logs").join(format!("{server}.log")))
            .unwrap_or_default()
    }

    /// Run the operator script's other commands (`revoke-server-cert`, `doveadm -- …`).
    pub fn script(&self, args: &[&str]) -> io::Result<std::process::Output> {
        let (first, rest) = args.split_first().unwrap_or((&"status", &[]));
        let mut cmd = Command::new(run_script());
        cmd.arg(first).arg("--dir").arg(self.dir());
        if !rest.is_empty() {
            cmd.arg("--").args(rest);
        }
        cmd.stdin(std::process::Stdio::null()).output()
    }

    /// Write messages straight into a box's Maildir folder (`INBOX`, `Sent`…), as a fast way
    /// to fill a box with thousands of messages; Dovecot indexes them at the next SELECT.
    /// With Cyrus (own storage), the files are then appended by IMAP (`run cyrus-import`).
    /// `flags` are Maildir info letters (`S` seen, `F` flagged, `R` answered).
    pub fn seed_maildir<'a>(
        &self,
        address: &str,
        folder: &str,
        messages: impl IntoIterator<Item = (Vec<u8>, &'a str)>,
    ) -> io::Result<usize> {
        let (local, domain) = address
            .split_once('@')
            .ok_or_else(|| io::Error::other("not an address"))?;
        let mut dir = self
            .dir()
            .join("mail")
            .join(domain)
            .join(local)
            .join("Maildir");
        if folder != "INBOX" {
            dir = dir.join(format!(".{folder}"));
        }
        let cur = dir.join("cur");
        std::fs::create_dir_all(&cur)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut n = 0;
        for (i, (raw, flags)) in messages.into_iter().enumerate() {
            let name = format!(
                "{stamp}.S{i}P{}.relais-testkit,S={}:2,{flags}",
                std::process::id(),
                raw.len()
            );
            std::fs::write(cur.join(name), raw)?;
            n += 1;
        }
        if self.imap == Imap::Cyrus {
            let out = self.script(&["cyrus-import", address, folder])?;
            if !out.status.success() {
                return Err(io::Error::other(format!(
                    "cyrus-import: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        Ok(n)
    }

    /// Stop every server of the instance (also done on drop).
    pub fn stop(&self) -> io::Result<std::process::Output> {
        Command::new(run_script())
            .arg("stop")
            .arg("--dir")
            .arg(self.dir())
            .stdin(std::process::Stdio::null())
            .output()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}
