//! Submission (RFC 6409) through lettre's low-level `SmtpConnection`.
//!
//! Why not lettre's `SmtpTransport`/`Credentials` as they are:
//! - lettre cannot take our `rustls::ClientConfig` (its `TlsParameters` builds its own from
//!   roots). We give it **only the operator's anchors** (`CertificateStore::None` +
//!   `add_root_certificate`), so chain, expiry and host name are checked by its rustls; then,
//!   before any credential is sent, we re-verify the presented chain with our
//!   [`TlsPolicy`] (revocation included) and stop on failure.
//! - lettre sends XOAUTH2 and PLAIN as a one-line initial response (`AUTH XOAUTH2 <b64>`),
//!   and its PLAIN has no authzid. We send `AUTH <mech>`, wait for `334`, then the response
//!   on its own line (servers with short command lines refuse a ~1.2 KB token line), and
//!   answer a refused XOAUTH2's JSON challenge with an empty line.
//! - lettre's `send()` has no DSN parameters: we issue MAIL/RCPT/DATA ourselves with
//!   `RET=HDRS` and `NOTIFY=SUCCESS,FAILURE` (RFC 3461) when asked and advertised.

use std::fmt;

use lettre::transport::smtp::client::{
    Certificate, CertificateStore, SmtpConnection, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{
    ClientId, MailBodyParameter, MailParameter, RcptParameter,
};
use lettre::transport::smtp::response::Response;
use relais_core::BoxAddress;

use crate::error::{Credentials, NetError};
use crate::net::ConnectOptions;
use crate::profile::{OperatorProfile, Security};
use crate::tls::{TlsError, TlsPolicy};

/// The server's last word on a submitted message, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitReport {
    /// `host:port` of the submission server.
    pub server: String,
    /// Final reply to the message data, e.g. `250`.
    pub code: u16,
    /// Its text, lines joined with `\n`, e.g. `2.0.0 Ok: queued as 4XyZ`.
    pub text: String,
    /// Envelope recipients the server accepted (all of them: any refusal aborts).
    pub recipients: Vec<BoxAddress>,
    /// Whether delivery notifications were requested (asked for *and* advertised).
    pub dsn_requested: bool,
}

/// A raw command line (lettre's commands are `Display` values ending in CRLF).
struct Line<'a>(&'a str);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// Submit `raw` (a complete RFC 5322 message, **without** a `Bcc:` header) from the box
/// `mailbox`, with envelope sender `envelope_from`, to `recipients` (To, Cc and Bcc).
#[allow(clippy::too_many_arguments)]
pub fn submit(
    profile: &OperatorProfile,
    tls: &TlsPolicy,
    credentials: &Credentials,
    mailbox: &BoxAddress,
    envelope_from: &BoxAddress,
    recipients: &[BoxAddress],
    raw: &[u8],
    dsn: bool,
) -> Result<SubmitReport, NetError> {
    submit_with(
        profile,
        tls,
        credentials,
        mailbox,
        envelope_from,
        recipients,
        raw,
        dsn,
        &ConnectOptions::default(),
    )
}

/// [`submit`] with connection options.
#[allow(clippy::too_many_arguments)]
pub fn submit_with(
    profile: &OperatorProfile,
    tls: &TlsPolicy,
    credentials: &Credentials,
    mailbox: &BoxAddress,
    envelope_from: &BoxAddress,
    recipients: &[BoxAddress],
    raw: &[u8],
    dsn: bool,
    options: &ConnectOptions,
) -> Result<SubmitReport, NetError> {
    if has_bcc_header(raw) {
        return Err(NetError::BccHeader);
    }
    let size = raw.len() as u64;
    if let Some(limit) = profile.max_message_size {
        if size > limit {
            return Err(NetError::TooLarge { size, limit });
        }
    }
    let host = profile.submission.host.as_str();
    let port = profile.submission_port();
    let server = format!("{host}:{port}");

    // ECO.1.1.3: lettre builds its rustls configuration from the process-wide provider.
    crate::tls::ensure_process_provider().map_err(NetError::Tls)?;
    let mut params =
        TlsParameters::builder(host.to_string()).certificate_store(CertificateStore::None);
    for anchor in tls.anchors() {
        let cert = Certificate::from_der(anchor.as_ref().to_vec()).map_err(|e| {
            NetError::Tls(TlsError::Handshake {
                detail: e.to_string(),
            })
        })?;
        params = params.add_root_certificate(cert);
    }
    let params = params.build_rustls().map_err(|e| tls_error(&e, host))?;
    let hello = ClientId::Domain("relais.invalid".into());

    let implicit = profile.submission.security == Security::Tls;
    let mut conn = SmtpConnection::connect(
        (host, port),
        Some(options.timeout),
        &hello,
        implicit.then_some(&params),
        options.source,
    )
    .map_err(|e| connect_error(&e, &server, host))?;

    if !implicit {
        if !conn.can_starttls() {
            conn.abort();
            return Err(NetError::StartTlsMissing { server });
        }
        conn.starttls(&params, &hello)
            .map_err(|e| connect_error(&e, &server, host))?;
    }
    // Our own checks (revocation) before any credential leaves.
    let chain = conn.certificate_chain().map_err(|e| tls_error(&e, host))?;
    if let Err(e) = tls.verify_chain(&chain, host) {
        conn.abort();
        return Err(e.into());
    }

    // EHLO again to read the extensions lettre does not keep (DSN, SIZE).
    let ehlo = command(&mut conn, &format!("EHLO {hello}"), "EHLO")?;
    let extensions: Vec<String> = ehlo
        .message()
        .skip(1)
        .map(|l| l.to_ascii_uppercase())
        .collect();
    let has = |ext: &str| {
        extensions
            .iter()
            .any(|l| l == ext || l.starts_with(&format!("{ext} ")))
    };
    let auth_line = extensions
        .iter()
        .find(|l| l.starts_with("AUTH ") || l.starts_with("AUTH="))
        .cloned()
        .unwrap_or_default();
    let offers = |mech: &str| auth_line[5..].split_whitespace().any(|m| m == mech);
    if let Some(limit) = extensions
        .iter()
        .find_map(|l| l.strip_prefix("SIZE ")?.trim().parse::<u64>().ok())
        .filter(|l| *l > 0)
    {
        if size > limit {
            conn.abort();
            return Err(NetError::TooLarge { size, limit });
        }
    }

    authenticate(&mut conn, credentials, mailbox, &server, &|m| {
        auth_line.len() > 5 && offers(m)
    })?;

    let dsn_requested = dsn && has("DSN");
    let mut mail_params = vec![MailParameter::Size(raw.len())];
    if !raw.is_ascii() && has("8BITMIME") {
        mail_params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    if dsn_requested {
        mail_params.push(MailParameter::Other {
            keyword: "RET".into(),
            value: Some("HDRS".into()),
        });
    }
    let from = address(envelope_from)?;
    transaction(
        &mut conn,
        Mail::new(Some(from), mail_params),
        "l'expéditeur",
    )?;
    for rcpt in recipients {
        let mut rcpt_params = Vec::new();
        if dsn_requested {
            rcpt_params.push(RcptParameter::Other {
                keyword: "NOTIFY".into(),
                value: Some("SUCCESS,FAILURE".into()),
            });
        }
        let to = address(rcpt)?;
        if let Err(e) = transaction(
            &mut conn,
            Rcpt::new(to, rcpt_params),
            &format!("le destinataire {rcpt}"),
        ) {
            let _ = conn.command(Line("RSET"));
            let _ = conn.quit();
            return Err(e);
        }
    }
    transaction(&mut conn, Data, "l'envoi des données")?;
    let reply = conn.message(raw).map_err(|e| refused(&e, "le message"))?;
    let _ = conn.quit();
    Ok(SubmitReport {
        server,
        code: code_of(&reply),
        text: reply.message().collect::<Vec<_>>().join("\n"),
        recipients: recipients.to_vec(),
        dsn_requested,
    })
}

fn authenticate(
    conn: &mut SmtpConnection,
    credentials: &Credentials,
    mailbox: &BoxAddress,
    server: &str,
    offers: &dyn Fn(&str) -> bool,
) -> Result<(), NetError> {
    use base64::Engine as _;
    let (mechanism, response) = match credentials {
        Credentials::Password { login, password } => (
            "PLAIN",
            Credentials::sasl_plain(login, password, mailbox.as_str()),
        ),
        Credentials::Bearer { token } => {
            if offers("XOAUTH2") {
                (
                    "XOAUTH2",
                    Credentials::sasl_xoauth2(mailbox.as_str(), token),
                )
            } else {
                (
                    "OAUTHBEARER",
                    Credentials::sasl_oauthbearer(mailbox.as_str(), token),
                )
            }
        }
    };
    if !offers(mechanism) {
        conn.abort();
        return Err(NetError::MechanismUnavailable {
            server: server.to_string(),
            mechanism: mechanism.into(),
        });
    }
    let response = base64::engine::general_purpose::STANDARD.encode(response);
    let refused = |e: &lettre::transport::smtp::Error| {
        let reply = e
            .status()
            .map(|c| format!("{c} {}", source_text(e)))
            .unwrap_or_else(|| e.to_string());
        let mailbox = mailbox.to_string();
        match credentials {
            Credentials::Bearer { .. } => NetError::TokenRefused { mailbox, reply },
            Credentials::Password { .. } => NetError::AuthenticationFailed { mailbox, reply },
        }
    };
    let first = conn
        .command(Line(&format!("AUTH {mechanism}")))
        .map_err(|e| refused(&e))?;
    if code_of(&first) != 334 {
        return Err(NetError::Protocol {
            server: server.to_string(),
            detail: format!("AUTH {mechanism} : réponse {} inattendue", code_of(&first)),
        });
    }
    let mut reply = conn.command(Line(&response)).map_err(|e| refused(&e))?;
    if code_of(&reply) == 334 {
        // A refused XOAUTH2 sends its error as a challenge: answer empty, then the 5xx.
        reply = conn.command(Line("")).map_err(|e| refused(&e))?;
    }
    if code_of(&reply) != 235 {
        return Err(NetError::Protocol {
            server: server.to_string(),
            detail: format!("AUTH {mechanism} : réponse {} inattendue", code_of(&reply)),
        });
    }
    Ok(())
}

fn command(conn: &mut SmtpConnection, line: &str, what: &str) -> Result<Response, NetError> {
    conn.command(Line(line)).map_err(|e| refused(&e, what))
}

fn transaction<C: fmt::Display>(
    conn: &mut SmtpConnection,
    cmd: C,
    what: &str,
) -> Result<Response, NetError> {
    conn.command(cmd).map_err(|e| refused(&e, what))
}

fn refused(e: &lettre::transport::smtp::Error, what: &str) -> NetError {
    NetError::Refused {
        what: what.to_string(),
        code: e
            .status()
            .and_then(|c| c.to_string().parse().ok())
            .unwrap_or(0),
        text: source_text(e),
    }
}

fn source_text(e: &lettre::transport::smtp::Error) -> String {
    std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string())
}

fn code_of(response: &Response) -> u16 {
    response.code().to_string().parse().unwrap_or(0)
}

fn address(b: &BoxAddress) -> Result<lettre::Address, NetError> {
    b.as_str()
        .parse()
        .map_err(|e: lettre::address::AddressError| NetError::Refused {
            what: format!("l'adresse {b}"),
            code: 0,
            text: e.to_string(),
        })
}

fn tls_error(e: &lettre::transport::smtp::Error, host: &str) -> NetError {
    NetError::Tls(TlsError::find_in(e, host).unwrap_or(TlsError::Handshake {
        detail: e.to_string(),
    }))
}

fn connect_error(e: &lettre::transport::smtp::Error, server: &str, host: &str) -> NetError {
    if let Some(tls) = TlsError::find_in(e, host) {
        return NetError::Tls(tls);
    }
    if e.is_tls() {
        return tls_error(e, host);
    }
    if e.status().is_some() {
        return refused(e, "la connexion");
    }
    NetError::Unreachable {
        server: server.to_string(),
        detail: source_text(e),
    }
}

/// Whether the header section has a `Bcc:` field (it must not: Bcc is envelope-only).
fn has_bcc_header(raw: &[u8]) -> bool {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    raw[..end]
        .split(|b| *b == b'\n')
        .any(|line| line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"bcc:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcc_detection() {
        assert!(has_bcc_header(b"From: a\r\nBcc: b\r\n\r\nbody"));
        assert!(has_bcc_header(b"From: a\r\nBCC:b\r\n\r\nbody"));
        assert!(!has_bcc_header(b"From: a\r\n\r\nBcc: in the body\r\n"));
    }
}
