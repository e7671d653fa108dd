//! Raw IMAP and SMTP over TCP and rustls, line by line, for tests that must see exactly
//! what the operator's servers say (capabilities before STARTTLS, refusals, SASL steps).
//! Deliberately not Relais' engine: these tests prove the operator, not the client.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A rustls client configuration trusting only the roots in `pem` (TLS 1.2 and 1.3).
pub fn tls_config(pem: &Path) -> io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pem).map_err(io::Error::other)? {
        roots
            .add(cert.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

/// A line-oriented connection that can be upgraded with STARTTLS.
pub struct Wire {
    stream: Stream,
    buf: Vec<u8>,
}

impl Wire {
    /// Connect, optionally from a given loopback source address (Dovecot slows down later
    /// logins from an address after a failure: tests that fail on purpose use their own).
    pub fn connect(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<Wire> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )?;
        if let Some(ip) = source {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect_timeout(&addr.into(), TIMEOUT)?;
        let tcp: TcpStream = socket.into();
        tcp.set_read_timeout(Some(TIMEOUT))?;
        tcp.set_write_timeout(Some(TIMEOUT))?;
        Ok(Wire {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
        })
    }

    /// Connect with TLS from the first byte (IMAPS).
    pub fn connect_tls(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> io::Result<Wire> {
        let mut wire = Wire::connect(addr, None)?;
        wire.start_tls(config, addr.ip())?;
        Ok(wire)
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Wrap the connection in TLS (after the server said yes to STARTTLS).
    pub fn start_tls(&mut self, config: Arc<rustls::ClientConfig>, ip: IpAddr) -> io::Result<()> {
        if !self.buf.is_empty() {
            // Bytes after the STARTTLS answer would be injected plaintext (CVE-2011-0411).
            return Err(io::Error::other("data received before the TLS handshake"));
        }
        let tcp = match std::mem::replace(&mut self.stream, Stream::Gone) {
            Stream::Plain(tcp) => tcp,
            other => {
                self.stream = other;
                return Err(io::Error::other("already TLS"));
            }
        };
        let conn = rustls::ClientConnection::new(config, ServerName::IpAddress(ip.into()))
            .map_err(io::Error::other)?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        // Drive the handshake now so that certificate errors surface here.
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    fn io(&mut self) -> io::Result<&mut dyn ReadWrite> {
        match &mut self.stream {
            Stream::Plain(s) => Ok(s),
            Stream::Tls(s) => Ok(s.as_mut()),
            Stream::Gone => Err(io::Error::other("connection closed")),
        }
    }

    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        let io = self.io()?;
        io.write_all(data)?;
        io.flush()
    }

    pub fn send_line(&mut self, line: &str) -> io::Result<()> {
        self.send(format!("{line}\r\n").as_bytes())
    }

    /// One line, without its CRLF.
    pub fn read_line(&mut self) -> io::Result<String> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
                return Ok(String::from_utf8_lossy(&line[..pos]).into_owned());
            }
            self.fill()?;
        }
    }

    /// Exactly `n` bytes (an IMAP literal).
    pub fn read_exact_bytes(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            self.fill()?;
        }
        Ok(self.buf.drain(..n).collect())
    }

    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.io()?.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

pub fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// SASL PLAIN initial response: authzid NUL authcid NUL password.
pub fn sasl_plain(authzid: &str, authcid: &str, password: &str) -> String {
    b64(format!("{authzid}\0{authcid}\0{password}").as_bytes())
}

/// SASL XOAUTH2 initial response, `user=` naming the box to open.
pub fn sasl_xoauth2(user: &str, token: &str) -> String {
    b64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// SASL OAUTHBEARER (RFC 7628) initial response, authzid naming the box.
pub fn sasl_oauthbearer(user: &str, token: &str) -> String {
    b64(format!("n,a={user},\x01auth=Bearer {token}\x01\x01").as_bytes())
}

/// The end of an IMAP command: tagged status and the untagged lines before it.
#[derive(Debug, Default)]
pub struct ImapReply {
    pub untagged: Vec<String>,
    /// `OK`, `NO` or `BAD`.
    pub status: String,
    pub text: String,
    /// Literals received, in order (message bodies of FETCH).
    pub literals: Vec<Vec<u8>>,
}

impl ImapReply {
    pub fn ok(&self) -> bool {
        self.status == "OK"
    }
}

/// A raw IMAP client.
pub struct Imap {
    pub wire: Wire,
    pub greeting: String,
    tag: u32,
}

impl Imap {
    pub fn connect(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<Imap> {
        let mut wire = Wire::connect(addr, source)?;
        let greeting = wire.read_line()?;
        Ok(Imap {
            wire,
            greeting,
            tag: 0,
        })
    }

    pub fn connect_tls(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> io::Result<Imap> {
        let mut wire = Wire::connect_tls(addr, config)?;
        let greeting = wire.read_line()?;
        Ok(Imap {
            wire,
            greeting,
            tag: 0,
        })
    }

    /// Send a command and read up to its tagged answer. Continuation requests (`+`) are
    /// answered with an empty line, which ends a SASL exchange the server refuses.
    pub fn command(&mut self, command: &str) -> io::Result<ImapReply> {
        self.tag += 1;
        let tag = format!("T{}", self.tag);
        self.wire.send_line(&format!("{tag} {command}"))?;
        let mut reply = ImapReply::default();
        loop {
            let mut line = self.wire.read_line()?;
            // A line ending in {n} announces a literal of n bytes, then the line goes on.
            while let Some(n) = literal_len(&line) {
                reply.literals.push(self.wire.read_exact_bytes(n)?);
                line.push_str(&self.wire.read_line()?);
            }
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                let (status, text) = rest.split_once(' ').unwrap_or((rest, ""));
                reply.status = status.to_string();
                reply.text = text.to_string();
                return Ok(reply);
            } else if line.starts_with('+') {
                self.wire.send_line("")?;
            } else {
                reply.untagged.push(line);
            }
        }
    }

    pub fn capabilities(&mut self) -> io::Result<Vec<String>> {
        let reply = self.command("CAPABILITY")?;
        Ok(reply
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* CAPABILITY "))
            .flat_map(|l| l.split(' ').map(str::to_string))
            .collect())
    }

    pub fn starttls(&mut self, config: Arc<rustls::ClientConfig>, ip: IpAddr) -> io::Result<()> {
        let reply = self.command("STARTTLS")?;
        if !reply.ok() {
            return Err(io::Error::other(format!(
                "STARTTLS refused: {}",
                reply.text
            )));
        }
        self.wire.start_tls(config, ip)
    }

    pub fn authenticate(&mut self, mechanism: &str, initial: &str) -> io::Result<ImapReply> {
        self.command(&format!("AUTHENTICATE {mechanism} {initial}"))
    }
}

fn literal_len(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    line[open + 1..line.len() - 1]
        .trim_end_matches('+')
        .parse()
        .ok()
}

/// An SMTP reply: code and the text of every line.
#[derive(Debug)]
pub struct SmtpReply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl SmtpReply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
    pub fn positive(&self) -> bool {
        (200..400).contains(&self.code)
    }
}

/// A raw SMTP submission client.
pub struct Smtp {
    pub wire: Wire,
    pub greeting: SmtpReply,
}

impl Smtp {
    pub fn connect(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<Smtp> {
        let mut wire = Wire::connect(addr, source)?;
        let greeting = read_smtp_reply(&mut wire)?;
        Ok(Smtp { wire, greeting })
    }

    pub fn command(&mut self, line: &str) -> io::Result<SmtpReply> {
        self.wire.send_line(line)?;
        read_smtp_reply(&mut self.wire)
    }

    /// EHLO, returning the advertised extensions.
    pub fn ehlo(&mut self) -> io::Result<Vec<String>> {
        let reply = self.command("EHLO relais-test.local")?;
        Ok(reply.lines.into_iter().skip(1).collect())
    }

    pub fn starttls(&mut self, config: Arc<rustls::ClientConfig>, ip: IpAddr) -> io::Result<()> {
        let reply = self.command("STARTTLS")?;
        if reply.code != 220 {
            return Err(io::Error::other(format!(
                "STARTTLS refused: {}",
                reply.text()
            )));
        }
        self.wire.start_tls(config, ip)
    }

    /// AUTH with the mechanism name alone, then the response on its own line after the
    /// 334 (Dovecot and others refuse a long token on the AUTH line itself). A refused
    /// XOAUTH2 first sends a JSON challenge that wants an empty reply.
    pub fn authenticate(&mut self, mechanism: &str, response: &str) -> io::Result<SmtpReply> {
        let first = self.command(&format!("AUTH {mechanism}"))?;
        if first.code != 334 {
            return Ok(first);
        }
        let mut reply = self.command(response)?;
        if reply.code == 334 {
            reply = self.command("")?;
        }
        Ok(reply)
    }

    /// MAIL FROM, RCPT TO… and DATA; the reply to the final dot (or the first refusal).
    pub fn send_mail(&mut self, from: &str, to: &[&str], message: &str) -> io::Result<SmtpReply> {
        let reply = self.command(&format!("MAIL FROM:<{from}>"))?;
        if !reply.positive() {
            return Ok(reply);
        }
        for rcpt in to {
            let reply = self.command(&format!("RCPT TO:<{rcpt}>"))?;
            if !reply.positive() {
                return Ok(reply);
            }
        }
        let reply = self.command("DATA")?;
        if reply.code != 354 {
            return Ok(reply);
        }
        let mut body = String::new();
        for line in message.lines() {
            if line.starts_with('.') {
                body.push('.');
            }
            body.push_str(line);
            body.push_str("\r\n");
        }
        body.push_str(".\r\n");
        self.wire.send(body.as_bytes())?;
        read_smtp_reply(&mut self.wire)
    }
}

fn read_smtp_reply(wire: &mut Wire) -> io::Result<SmtpReply> {
    let mut lines = Vec::new();
    loop {
        let line = wire.read_line()?;
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or("").to_string());
        if !more {
            return Ok(SmtpReply { code, lines });
        }
    }
}
