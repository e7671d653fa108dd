//! IMAP sessions on an MSSanté operator, through the `imap` crate (3.0.0-alpha.15).
//!
//! [`ImapSession::connect`] opens TCP, then STARTTLS (the default) or implicit TLS. Before
//! TLS, Relais sends only `CAPABILITY` and `STARTTLS`, reading the server byte by byte so
//! that nothing sent before the handshake can be taken for TLS data; if `STARTTLS` is not
//! advertised or refused, it stops **without sending any credential**. After TLS it asks for
//! the capabilities again (the pre-TLS list is untrusted) and authenticates:
//!
//! - password: SASL PLAIN, authzid = the box unless the login is the box itself;
//! - token: SASL XOAUTH2 `user=<box>` (or OAUTHBEARER when only that is offered).
//!
//! The `imap` crate's typed calls (select/examine, uid_fetch, store, uid_mv, idle, list,
//! my_rights…) are available through [`ImapSession::session`]; NAMESPACE (which the crate
//! lacks) is implemented here.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;

use relais_core::{BoxAddress, Rights};

use crate::error::{Credentials, NetError};
use crate::names::{quoted, shared_boxes_in, Listed};
use crate::net::{open_tcp, ConnectOptions};
use crate::profile::{OperatorProfile, Security};
use crate::tls::{TlsPolicy, TlsStream};

/// The `imap` crate's session type on our TLS stream.
pub type Session = imap::Session<TlsStream>;

/// An authenticated IMAP session for one box.
pub struct ImapSession {
    session: Session,
    raw: TlsStream,
    /// The box opened by delegation (SASL authorisation identity), or `None` for a session
    /// of the login alone ([`ImapSession::connect_login`]).
    mailbox: Option<BoxAddress>,
    server: String,
    capabilities: Vec<String>,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("mailbox", &self.mailbox)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// How an IDLE ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported a change in the mailbox (new, flags, expunge).
    Changed,
    /// The period ended with nothing to report.
    TimedOut,
}

/// One namespace of RFC 2342: a prefix and its hierarchy delimiter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub prefix: String,
    pub delimiter: Option<String>,
}

/// The three kinds of namespace a server announces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    pub personal: Vec<Namespace>,
    pub other_users: Vec<Namespace>,
    pub shared: Vec<Namespace>,
}

/// A box the server shows inside the person's session under a shared namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBox {
    pub address: BoxAddress,
    /// Mailbox-name prefix of the box's folders, delimiter included:
    /// `shared/secretariat…@…/` (Dovecot), `Other Users/secretariat.cardio/` (Cyrus).
    pub prefix: String,
    /// The exact server name of the box's INBOX: `shared/…@…/INBOX` (Dovecot) or the
    /// owner level itself, `Other Users/secretariat.cardio` (Cyrus).
    pub inbox: String,
    /// The person's rights on the box's INBOX (MYRIGHTS on `inbox`); the least rights
    /// (read-only, [`crate::names::least_rights`]) when the server would not say.
    pub rights: Rights,
    /// Why the rights are the least ones, in French, when MYRIGHTS failed.
    pub rights_warning: Option<String>,
}

struct Sasl {
    initial: Vec<u8>,
    sent: Cell<bool>,
}

impl imap::Authenticator for Sasl {
    type Response = Vec<u8>;
    /// First challenge: our initial response. Any later one (e.g. XOAUTH2's JSON error
    /// report) gets an empty answer, which ends the exchange.
    fn process(&self, _challenge: &[u8]) -> Vec<u8> {
        if self.sent.replace(true) {
            Vec::new()
        } else {
            self.initial.clone()
        }
    }
}

impl ImapSession {
    /// Connect and authenticate to `mailbox` with the default options.
    pub fn connect(
        profile: &OperatorProfile,
        tls: &TlsPolicy,
        credentials: &Credentials,
        mailbox: &BoxAddress,
    ) -> Result<ImapSession, NetError> {
        Self::connect_with(
            profile,
            tls,
            credentials,
            mailbox,
            &ConnectOptions::default(),
        )
    }

    /// Connect and authenticate to `mailbox`.
    pub fn connect_with(
        profile: &OperatorProfile,
        tls: &TlsPolicy,
        credentials: &Credentials,
        mailbox: &BoxAddress,
        options: &ConnectOptions,
    ) -> Result<ImapSession, NetError> {
        Self::open(profile, tls, credentials, Some(mailbox), options)
    }

    /// Connect and authenticate as the login alone, with no authorisation identity: the
    /// session of a person who has no mailbox of their own and reaches service boxes only
    /// through a shared namespace (RFC 2342), as Cyrus shows them to people without the
    /// `a` right. A token names no login, so this is for passwords only.
    pub fn connect_login(
        profile: &OperatorProfile,
        tls: &TlsPolicy,
        credentials: &Credentials,
        options: &ConnectOptions,
    ) -> Result<ImapSession, NetError> {
        Self::open(profile, tls, credentials, None, options)
    }

    fn open(
        profile: &OperatorProfile,
        tls: &TlsPolicy,
        credentials: &Credentials,
        mailbox: Option<&BoxAddress>,
        options: &ConnectOptions,
    ) -> Result<ImapSession, NetError> {
        // Who the errors name: the box, else the login.
        let target = match (mailbox, credentials) {
            (Some(b), _) => b.to_string(),
            (None, Credentials::Password { login, .. }) => login.clone(),
            (None, Credentials::Bearer { .. }) => String::new(),
        };
        let host = profile.imap.host.as_str();
        let port = profile.imap_port();
        let server = format!("{host}:{port}");
        let tcp = open_tcp(host, port, options)?;
        let proto = |detail: String| NetError::Protocol {
            server: server.clone(),
            detail,
        };

        let (mut client, raw) = match profile.imap.security {
            Security::Starttls => {
                let tcp = starttls_plain_phase(tcp, &server)?;
                let stream = tls.connect(tcp, host)?;
                (imap::Client::new(stream.clone()), stream)
            }
            Security::Tls => {
                let stream = tls.connect(tcp, host)?;
                let mut client = imap::Client::new(stream.clone());
                let greeting = client
                    .read_greeting()
                    .map_err(|e| imap_error(e, &server, &target, credentials))?;
                if !greeting.starts_with(b"* OK") {
                    return Err(proto(String::from_utf8_lossy(&greeting).trim().to_string()));
                }
                (client, stream)
            }
        };

        let capabilities: Vec<String> = client
            .capabilities()
            .map_err(|e| imap_error(e, &server, &target, credentials))?
            .iter()
            .map(capability_name)
            .collect();
        let has = |cap: &str| capabilities.iter().any(|c| c.eq_ignore_ascii_case(cap));

        let (mechanism, initial) = match credentials {
            Credentials::Password { login, password } => {
                if !has("AUTH=PLAIN") {
                    return Err(NetError::MechanismUnavailable {
                        server,
                        mechanism: "PLAIN".into(),
                    });
                }
                let authzid = mailbox.map_or(login.as_str(), BoxAddress::as_str);
                ("PLAIN", Credentials::sasl_plain(login, password, authzid))
            }
            Credentials::Bearer { .. } if mailbox.is_none() => {
                return Err(NetError::MechanismUnavailable {
                    server,
                    mechanism: "XOAUTH2 sans boîte".into(),
                });
            }
            Credentials::Bearer { token } => {
                let mailbox = mailbox.ok_or_else(|| proto("no box for a token".into()))?;
                if has("AUTH=XOAUTH2") {
                    (
                        "XOAUTH2",
                        Credentials::sasl_xoauth2(mailbox.as_str(), token),
                    )
                } else if has("AUTH=OAUTHBEARER") {
                    (
                        "OAUTHBEARER",
                        Credentials::sasl_oauthbearer(mailbox.as_str(), token),
                    )
                } else {
                    return Err(NetError::MechanismUnavailable {
                        server,
                        mechanism: "XOAUTH2".into(),
                    });
                }
            }
        };
        let sasl = Sasl {
            initial,
            sent: Cell::new(false),
        };
        let mut session = client
            .authenticate(mechanism, &sasl)
            .map_err(|(e, _client)| imap_error(e, &server, &target, credentials))?;

        // Servers may send new capabilities after login: ask again.
        let capabilities = session
            .capabilities()
            .map(|caps| caps.iter().map(capability_name).collect())
            .unwrap_or(capabilities);
        Ok(ImapSession {
            session,
            raw,
            mailbox: mailbox.cloned(),
            server,
            capabilities,
        })
    }

    /// The box this session opened by delegation; `None` for a session of the login alone.
    pub fn mailbox(&self) -> Option<&BoxAddress> {
        self.mailbox.as_ref()
    }

    /// `host:port` of the server.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The capabilities after authentication (`IMAP4rev1`, `AUTH=…`, `IDLE`, `QRESYNC`…).
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(cap))
    }

    /// Whether the server has closed this connection (checked without blocking).
    pub fn peer_closed(&self) -> bool {
        self.raw.peer_closed()
    }

    /// A handle that cuts this connection from another thread, e.g. to end an IDLE held for
    /// its whole period when the session stops.
    pub fn cutter(&self) -> std::io::Result<TcpStream> {
        self.raw.cutter()
    }

    /// IDLE (RFC 2177) on the selected mailbox, held up to `period` (servers end an IDLE
    /// after 30 minutes; 25 is the usual choice): returns when the server reports a change,
    /// at the end of the period, or with an error when the connection is cut.
    pub fn idle(&mut self, period: std::time::Duration) -> Result<IdleOutcome, NetError> {
        let server = self.server.clone();
        let outcome = self
            .session
            .idle()
            .timeout(period)
            .keepalive(false)
            .wait_while(imap::extensions::idle::stop_on_any);
        match outcome {
            Ok(imap::extensions::idle::WaitOutcome::MailboxChanged) => Ok(IdleOutcome::Changed),
            Ok(imap::extensions::idle::WaitOutcome::TimedOut) => Ok(IdleOutcome::TimedOut),
            Err(imap::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(IdleOutcome::TimedOut)
            }
            Err(e) => Err(NetError::Protocol {
                server,
                detail: e.to_string(),
            }),
        }
    }

    /// For a server without IDLE (RFC 2177 not advertised): a NOOP every `every` until
    /// something changed in the selected mailbox or `period` is over, whichever first.
    /// `stop` is looked at between the waits, so that a watch ends within a fraction of a
    /// second of being told to.
    pub fn poll(
        &mut self,
        period: std::time::Duration,
        every: std::time::Duration,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<IdleOutcome, NetError> {
        let started = std::time::Instant::now();
        let step = std::time::Duration::from_millis(100);
        loop {
            let next = std::time::Instant::now() + every;
            while std::time::Instant::now() < next {
                if stop.load(std::sync::atomic::Ordering::Relaxed) || started.elapsed() >= period {
                    return Ok(IdleOutcome::TimedOut);
                }
                std::thread::sleep(step);
            }
            if self.refresh()? {
                return Ok(IdleOutcome::Changed);
            }
        }
    }

    /// Forgets the untagged responses the server sent between commands (EXISTS, EXPUNGE,
    /// FETCH of other clients' changes): the next synchronisation reads the changes in order.
    pub fn drop_unsolicited(&mut self) -> usize {
        self.session.take_all_unsolicited().count()
    }

    /// The `imap` crate's session, for every typed command.
    pub fn session(&mut self) -> &mut Session {
        &mut self.session
    }

    pub fn into_session(self) -> Session {
        self.session
    }

    /// The person's rights on `mailbox`, its exact server name (RFC 4314 MYRIGHTS; the
    /// name is sent quoted).
    pub fn my_rights(&mut self, mailbox: &str) -> Result<Rights, NetError> {
        let server = self.server.clone();
        let response = self
            .session
            .my_rights(mailbox)
            .map_err(|e| protocol(e, &server))?;
        let text = response.parsed().rights().to_string();
        standard_rights(&text).map_err(|e| NetError::Protocol {
            server,
            detail: e.to_string(),
        })
    }

    /// LIST (RFC 3501) with the reference and the pattern sent as quoted strings, so that a
    /// namespace prefix holding a space (`Other Users/`) or a quote is never sent bare.
    pub fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<Listed>, NetError> {
        let server = self.server.clone();
        let quoted_pattern = quoted(pattern).ok_or_else(|| NetError::Protocol {
            server: server.clone(),
            detail: format!("motif LIST non représentable en chaîne IMAP : {pattern:?}"),
        })?;
        if quoted(reference).is_none() {
            return Err(NetError::Protocol {
                server,
                detail: format!("référence LIST non représentable en chaîne IMAP : {reference:?}"),
            });
        }
        // The crate quotes the reference but sends the pattern as given.
        let names = self
            .session
            .list(Some(reference), Some(&quoted_pattern))
            .map_err(|e| protocol(e, &server))?;
        Ok(names.iter().map(Listed::from_name).collect())
    }

    /// Whether the session has an INBOX of its own: EXAMINE INBOX answered OK. A person
    /// without a mailbox (rights on service boxes only) gets `NO`: `Ok(false)`. Any other
    /// failure is an error.
    pub fn has_own_inbox(&mut self) -> Result<bool, NetError> {
        let server = self.server.clone();
        match self.session.examine("INBOX") {
            Ok(_) => Ok(true),
            Err(imap::Error::No(_)) => Ok(false),
            Err(e) => Err(protocol(e, &server)),
        }
    }

    /// The server's namespaces (RFC 2342 NAMESPACE).
    pub fn namespaces(&mut self) -> Result<Namespaces, NetError> {
        if !self.has_capability("NAMESPACE") {
            return Ok(Namespaces {
                personal: vec![Namespace {
                    prefix: String::new(),
                    delimiter: None,
                }],
                ..Namespaces::default()
            });
        }
        // imap-proto 0.16 cannot parse NAMESPACE responses (it reports them as BYE).
        let (untagged, status) = self.raw_command("NAMESPACE")?;
        let server = self.server.clone();
        if !status.starts_with("OK") {
            return Err(NetError::Protocol {
                server,
                detail: format!("NAMESPACE : {status}"),
            });
        }
        untagged
            .iter()
            .find_map(|line| line.trim_end().strip_prefix("* NAMESPACE "))
            .and_then(parse_namespace)
            .ok_or_else(|| NetError::Protocol {
                server,
                detail: format!("réponse NAMESPACE illisible : {}", untagged.join(" ")),
            })
    }

    /// Run a command the `imap` crate cannot parse (NAMESPACE, ID…) and read its answer
    /// ourselves: the untagged lines and the tagged status (`OK …`, `NO …`). Responses
    /// with literals are not supported. Call it only between commands (not during IDLE).
    pub fn raw_command(&mut self, command: &str) -> Result<(Vec<String>, String), NetError> {
        let server = self.server.clone();
        self.session
            .run_command(command)
            .map_err(|e| protocol(e, &server))?;
        let mut untagged = Vec::new();
        loop {
            let line = read_line(&mut self.raw).map_err(|e| NetError::Unreachable {
                server: server.clone(),
                detail: e.to_string(),
            })?;
            if line.starts_with('*') || line.starts_with('+') {
                untagged.push(line);
                continue;
            }
            // Our tag (`a<n>`), then the status.
            return Ok((
                untagged,
                line.split_once(' ')
                    .map(|(_, s)| s.to_string())
                    .unwrap_or_default(),
            ));
        }
    }

    /// The boxes shown under the other-users and shared namespaces (operators that expose
    /// organisational boxes this way), with the person's rights on each, and a warning in
    /// French for each shared name that could not be taken for a box.
    ///
    /// Prefixes and delimiters come from NAMESPACE; a shared name without a domain
    /// (`Other Users/secretariat.cardio`, Cyrus within one domain) is a box of
    /// `person_domain`. MYRIGHTS is asked on the INBOX's exact server name; when the server
    /// refuses it, the box gets the least rights (read-only) and a warning, never full
    /// rights. A failed NAMESPACE or LIST is an error.
    pub fn list_shared_boxes(
        &mut self,
        person_domain: Option<&str>,
    ) -> Result<(Vec<SharedBox>, Vec<String>), NetError> {
        let namespaces = self.namespaces()?;
        let mut boxes: Vec<SharedBox> = Vec::new();
        let mut warnings = Vec::new();
        for ns in namespaces.other_users.iter().chain(&namespaces.shared) {
            if ns.prefix.is_empty() {
                continue;
            }
            let listed = self.list("", &format!("{}*", ns.prefix))?;
            let (found, mut ns_warnings) = shared_boxes_in(ns, &listed, person_domain);
            warnings.append(&mut ns_warnings);
            for b in found {
                if !boxes.iter().any(|known| known.address == b.address) {
                    boxes.push(b);
                }
            }
        }
        let acl = self.has_capability("ACL");
        for b in &mut boxes {
            if !acl {
                b.rights_warning = Some(format!(
                    "Le serveur ne dit pas vos droits sur la boîte {} (pas d'extension ACL) :                      elle est ouverte en lecture seule.",
                    b.address
                ));
                continue;
            }
            match self.my_rights(&b.inbox) {
                Ok(rights) => b.rights = rights,
                Err(e @ NetError::Unreachable { .. }) => return Err(e),
                Err(e) => {
                    b.rights_warning = Some(format!(
                        "Vos droits sur la boîte {} n'ont pas pu être lus ({e}) : elle est                          ouverte en lecture seule.",
                        b.address
                    ));
                }
            }
        }
        Ok((boxes, warnings))
    }

    /// LOGOUT (errors ignored: the session is over either way).
    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

/// `IMAP4rev1`, `AUTH=PLAIN`, `IDLE`…
fn capability_name(cap: &imap_proto::types::Capability<'_>) -> String {
    match cap {
        imap_proto::types::Capability::Imap4rev1 => "IMAP4rev1".into(),
        imap_proto::types::Capability::Auth(m) => format!("AUTH={m}"),
        imap_proto::types::Capability::Atom(a) => a.to_string(),
    }
}

fn protocol(e: imap::Error, server: &str) -> NetError {
    match e {
        imap::Error::Io(io) => NetError::Unreachable {
            server: server.to_string(),
            detail: io.to_string(),
        },
        imap::Error::ConnectionLost => NetError::Unreachable {
            server: server.to_string(),
            detail: "connexion perdue".into(),
        },
        other => NetError::Protocol {
            server: server.to_string(),
            detail: other.to_string(),
        },
    }
}

fn imap_error(e: imap::Error, server: &str, mailbox: &str, credentials: &Credentials) -> NetError {
    match e {
        imap::Error::No(no) => {
            let reply = format!(
                "{}{}",
                no.code
                    .as_ref()
                    .map(|c| format!("[{c:?}] "))
                    .unwrap_or_default(),
                no.information
            );
            let mailbox = mailbox.to_string();
            if reply.contains("AUTHORIZATIONFAILED") {
                NetError::AuthorizationFailed { mailbox, reply }
            } else if matches!(credentials, Credentials::Bearer { .. }) {
                NetError::TokenRefused { mailbox, reply }
            } else {
                NetError::AuthenticationFailed { mailbox, reply }
            }
        }
        other => protocol(other, server),
    }
}

/// Before TLS: greeting, capabilities, STARTTLS. Reads byte by byte (no read-ahead), so no
/// plaintext can be injected into the TLS session (CVE-2011-0411 class).
fn starttls_plain_phase(mut tcp: TcpStream, server: &str) -> Result<TcpStream, NetError> {
    let io_err = |e: std::io::Error| NetError::Unreachable {
        server: server.to_string(),
        detail: e.to_string(),
    };
    let greeting = read_line(&mut tcp).map_err(io_err)?;
    if !greeting.starts_with("* OK") {
        return Err(NetError::Protocol {
            server: server.to_string(),
            detail: greeting,
        });
    }
    let mut caps = greeting_capabilities(&greeting);
    if caps.is_none() {
        let (untagged, _status) = plain_command(&mut tcp, "R0", "CAPABILITY").map_err(io_err)?;
        caps = Some(
            untagged
                .iter()
                .filter_map(|l| l.strip_prefix("* CAPABILITY "))
                .flat_map(|l| l.split_whitespace().map(str::to_string))
                .collect(),
        );
    }
    let caps = caps.unwrap_or_default();
    if !caps.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")) {
        return Err(NetError::StartTlsMissing {
            server: server.to_string(),
        });
    }
    let (_untagged, status) = plain_command(&mut tcp, "R1", "STARTTLS").map_err(io_err)?;
    if !status.starts_with("OK") {
        return Err(NetError::StartTlsRefused {
            server: server.to_string(),
            reply: status,
        });
    }
    Ok(tcp)
}

fn greeting_capabilities(greeting: &str) -> Option<Vec<String>> {
    let start = greeting.find("[CAPABILITY ")? + "[CAPABILITY ".len();
    let end = greeting[start..].find(']')? + start;
    Some(
        greeting[start..end]
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// Send `tag command`, return the untagged lines and the tagged status text.
fn plain_command(
    tcp: &mut TcpStream,
    tag: &str,
    command: &str,
) -> std::io::Result<(Vec<String>, String)> {
    tcp.write_all(format!("{tag} {command}\r\n").as_bytes())?;
    tcp.flush()?;
    let mut untagged = Vec::new();
    loop {
        let line = read_line(tcp)?;
        if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
            return Ok((untagged, rest.to_string()));
        }
        untagged.push(line);
        if untagged.len() > 100 {
            return Err(std::io::Error::other("trop de lignes avant la réponse"));
        }
    }
}

/// One CRLF-terminated line, without read-ahead (at most 8 KiB).
fn read_line(tcp: &mut impl Read) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if tcp.read(&mut byte)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "le serveur a fermé la connexion",
            ));
        }
        line.push(byte[0]);
        if line.ends_with(b"\r\n") {
            line.truncate(line.len() - 2);
            return Ok(String::from_utf8_lossy(&line).into_owned());
        }
        if line.len() > 8192 {
            return Err(std::io::Error::other("ligne trop longue"));
        }
    }
}

/// RFC 4314 rights from a MYRIGHTS reply. RFC 2086's obsolete `c` and `d` (which Cyrus
/// still adds) stand for `k`/`x` and `e`/`t`: only the standard set is kept.
pub(crate) fn standard_rights(text: &str) -> Result<Rights, relais_core::RightsError> {
    let standard: String = text.chars().filter(|c| !matches!(c, 'c' | 'd')).collect();
    Rights::parse(&standard)
}

/// Parse the three groups of a NAMESPACE response.
pub(crate) fn parse_namespace(text: &str) -> Option<Namespaces> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let personal = p.group()?;
    let other_users = p.group()?;
    let shared = p.group()?;
    Some(Namespaces {
        personal,
        other_users,
        shared,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn nil(&mut self) -> bool {
        self.ws();
        if self.s[self.i.min(self.s.len())..]
            .to_ascii_uppercase()
            .starts_with(b"NIL")
        {
            self.i += 3;
            true
        } else {
            false
        }
    }
    /// A quoted string or NIL.
    fn nstring(&mut self) -> Option<Option<String>> {
        if self.nil() {
            return Some(None);
        }
        if !self.eat(b'"') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'\\' => {
                    out.push(*self.s.get(self.i)?);
                    self.i += 1;
                }
                b'"' => return Some(Some(String::from_utf8_lossy(&out).into_owned())),
                c => out.push(c),
            }
        }
    }
    /// Skip a parenthesised list or an atom/string (namespace extensions).
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.s.get(self.i)? {
            b'(' => {
                self.i += 1;
                while !self.eat(b')') {
                    self.skip_value()?;
                }
                Some(())
            }
            b'"' => self.nstring().map(|_| ()),
            _ => {
                while let Some(c) = self.s.get(self.i) {
                    if *c == b' ' || *c == b')' {
                        break;
                    }
                    self.i += 1;
                }
                Some(())
            }
        }
    }
    fn group(&mut self) -> Option<Vec<Namespace>> {
        if self.nil() {
            return Some(Vec::new());
        }
        if !self.eat(b'(') {
            return None;
        }
        let mut out = Vec::new();
        while self.eat(b'(') {
            let prefix = self.nstring()?.unwrap_or_default();
            let delimiter = self.nstring()?;
            while !self.eat(b')') {
                self.skip_value()?;
            }
            out.push(Namespace { prefix, delimiter });
        }
        if !self.eat(b')') {
            return None;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_parsing() {
        let ns = parse_namespace(r#"(("" "/")) (("shared/" "/")) NIL"#).unwrap();
        assert_eq!(ns.personal[0].prefix, "");
        assert_eq!(ns.other_users[0].prefix, "shared/");
        assert_eq!(ns.other_users[0].delimiter.as_deref(), Some("/"));
        assert!(ns.shared.is_empty());
        let ns = parse_namespace(
            r##"(("" "." "X-PARAM" ("a" "b"))) NIL (("Public Folders/" "/")("#x" NIL))"##,
        )
        .unwrap();
        assert_eq!(ns.shared.len(), 2);
        assert_eq!(ns.shared[1].delimiter, None);
        assert!(parse_namespace("garbage").is_none());
    }

    #[test]
    fn greeting_caps() {
        let caps =
            greeting_capabilities("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Ready.")
                .unwrap();
        assert!(caps.contains(&"STARTTLS".to_string()));
        assert!(greeting_capabilities("* OK Ready.").is_none());
    }
}
