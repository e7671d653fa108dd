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
    read_to_tag(imap, tag, command)
}

/// Read to `tag`'s answer, counting `* n FETCH` responses and bytes without keeping them.
fn read_to_tag(imap: &mut Imap, tag: &str, command: &str) -> io::Result<(u64, u64)> {
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

/// Send every command at once (pipelined), then read each tagged answer in order; counts
/// `* n FETCH` responses over all of them.
pub fn stream_all(imap: &mut Imap, commands: &[(String, String)]) -> io::Result<u64> {
    let mut text = String::new();
    for (tag, command) in commands {
        text.push_str(&format!("{tag} {command}\r\n"));
    }
    imap.wire.send(text.as_bytes())?;
    let mut fetches = 0;
    for (tag, command) in commands {
        fetches += read_to_tag(imap, tag, command)?.0;
    }
    Ok(fetches)
}

/// Send one command at a time, each after the previous answer (lock-step).
pub fn stream_each(imap: &mut Imap, commands: &[(String, String)]) -> io::Result<u64> {
    let mut fetches = 0;
    for (tag, command) in commands {
        fetches += stream(imap, tag, command)?.0;
    }
    Ok(fetches)
}

/// `UID FETCH` commands of `batch` UIDs each over a box of `count` messages whose UIDs are
/// 1..=count (the seeded boxes); the last range ends in `*`.
pub fn batches(count: usize, batch: usize, items: &str) -> Vec<(String, String)> {
    let k_max = count.div_ceil(batch).max(1);
    (0..k_max)
        .map(|k| {
            let first = k * batch + 1;
            let last = if k + 1 == k_max {
                "*".to_string()
            } else {
                ((k + 1) * batch).to_string()
            };
            (format!("B{k}"), format!("UID FETCH {first}:{last} {items}"))
        })
        .collect()
}

/// What a raw client must do to learn that nothing changed in a box: connect, STARTTLS,
/// log in, one `LIST … RETURN (STATUS …)` over every folder (RFC 5819), log out.
pub fn no_change_check(addr: SocketAddr, anchors: &Path, login: &str) -> io::Result<usize> {
    let mut imap = session(addr, anchors, login)?;
    let r = imap.command(
        "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ) SPECIAL-USE)",
    )?;
    if !r.ok() {
        return Err(io::Error::other(format!("LIST-STATUS: {}", r.text)));
    }
    let folders = r
        .untagged
        .iter()
        .filter(|l| l.starts_with("* STATUS "))
        .count();
    imap.command("LOGOUT")?;
    Ok(folders)
}
