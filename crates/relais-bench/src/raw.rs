//! The baseline IMAP client: relais-testkit's raw `Imap`, with a streaming reader for very
//! large answers (100,000 FETCH lines are counted, not kept).

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use relais_testkit::wire::{sasl_plain, tls_config, Imap};

/// A logged-in raw session on `login`'s own box, through `addr` (the relay on 127.0.0.1).
pub fn session(addr: SocketAddr, anchors: &Path, login: &str) -> io::Result<Imap> {
    let mut imap = Imap::connect(addr, None)?;
    imap.starttls(tls_config(anchors)?, addr.ip())?;
    let r = imap.authenticate(
        "PLAIN",
        &sasl_plain("", login, relais_testkit::DEMO_PASSWORD),
    )?;
    if !r.ok() {
        return Err(io::Error::other(format!("login {login}: {}", r.text)));
    }
    Ok(imap)
}

fn literal_len(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?.rfind('{')?;
    line[open + 1..line.len() - 1]
        .trim_end_matches('+')
        .parse()
        .ok()
}

/// Send `command` with `tag` and read to its tagged answer, counting `* n FETCH` responses
/// and received bytes without keeping them.
pub fn stream(imap: &mut Imap, tag: &str, command: &str) -> io::Result<(u64, u64)> {
    imap.wire.send_line(&format!("{tag} {command}"))?;
    let (mut fetches, mut bytes) = (0u64, 0u64);
    let done = format!("{tag} ");
    loop {
        let mut line = imap.wire.read_line()?;
        bytes += line.len() as u64 + 2;
        if line.starts_with("* ") && line.contains(" FETCH ") {
            fetches += 1;
        }
        while let Some(n) = literal_len(&line) {
            bytes += imap.wire.read_exact_bytes(n)?.len() as u64;
            line = imap.wire.read_line()?;
            bytes += line.len() as u64 + 2;
        }
        if let Some(rest) = line.strip_prefix(&done) {
            if !rest.starts_with("OK") {
                return Err(io::Error::other(format!("{command}: {rest}")));
            }
            return Ok((fetches, bytes));
        }
    }
}
