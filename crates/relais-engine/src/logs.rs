//! The log of a profile: `tracing` events written to `<profile>/logs/relais.log.<date>`,
//! one file a day, the last seven kept, through a redaction layer.
//!
//! What the code logs is already chosen not to hold secrets, addresses or content (boxes are
//! named by a short hash, messages by id, errors by their French text). The redaction layer
//! is the second line: every formatted line passes through [`redact`] before it reaches the
//! file, which masks anything shaped like an address, a token or a key, so that a mistake
//! in a log call, or a server's error text that quotes an address, cannot leak one.
//!
//! `RELAIS_LOG` sets the level (`error`, `warn`, `info` by default, `debug`, `trace`).

use std::io::Write;
use std::path::Path;

use tracing_subscriber::fmt::MakeWriter;

use crate::error::{EngineError, Result};

/// Keeps the log open; logging stops when it is dropped.
pub struct LogGuard {
    _default: tracing::subscriber::DefaultGuard,
}

/// Files kept.
const KEEP_FILES: usize = 7;

fn level() -> tracing::Level {
    match std::env::var("RELAIS_LOG").as_deref().map(str::trim) {
        Ok("error") => tracing::Level::ERROR,
        Ok("warn") => tracing::Level::WARN,
        Ok("debug") => tracing::Level::DEBUG,
        Ok("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    }
}

fn subscriber(dir: &Path) -> Result<impl tracing::Subscriber + Send + Sync> {
    std::fs::create_dir_all(dir).map_err(|e| EngineError::io("journal", e))?;
    let files = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("relais.log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| EngineError::io("journal", e))?;
    Ok(tracing_subscriber::fmt()
        .with_max_level(level())
        .with_ansi(false)
        .with_thread_names(true)
        .with_writer(Redacting(files))
        .finish())
}

/// Logs of this process go to `dir` (the app and the command line: `<profile>/logs`).
pub fn init(dir: &Path) -> Result<()> {
    tracing::subscriber::set_global_default(subscriber(dir)?)
        .map_err(|e| EngineError::io("journal", e))
}

/// The same for the current thread only, until the guard is dropped (tests).
pub fn init_for_thread(dir: &Path) -> Result<LogGuard> {
    Ok(LogGuard {
        _default: tracing::subscriber::set_default(subscriber(dir)?),
    })
}

/// A writer factory whose writers redact each buffer before passing it on.
struct Redacting<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Masks addresses (`<adresse>`) and anything shaped like a token or a key (`<secret>`):
/// a word with `@`, a JWT (`eyJ…`), a long run of base64 or hex characters.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        out.push_str(mask(word).unwrap_or(word));
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '<' | '>' | '(' | ')' | ',' | ';' | '[' | ']' | '{' | '}' | '«' | '»'
            )
        {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn mask(word: &str) -> Option<&'static str> {
    let bare = word.trim_end_matches(['.', ':']);
    if bare.contains('@') && bare.len() > 2 {
        return Some("<adresse>");
    }
    let value = bare.rsplit_once('=').map_or(bare, |(_, v)| v);
    if value.starts_with("eyJ") {
        return Some("<secret>");
    }
    let secretish = value.len() >= 24
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_' | '.'))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_alphabetic());
    secretish.then_some("<secret>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_tokens_and_keys_are_masked() {
        let line = "INFO sign-in user=marie.martin@ch-demo.mssante.fr token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIi.sig key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 «secretariat.cardio@ch-demo.mssante.fr»";
        let redacted = redact(line);
        assert!(!redacted.contains("marie.martin"), "{redacted}");
        assert!(!redacted.contains("eyJ"), "{redacted}");
        assert!(!redacted.contains("9f86d081"), "{redacted}");
        assert!(!redacted.contains("secretariat"), "{redacted}");
        assert!(redacted.contains("<adresse>") && redacted.contains("<secret>"));
    }

    #[test]
    fn ordinary_words_stay() {
        let line = "2026-12-05T10:00:00.123Z  WARN relais-watch-1a2b3c4d surveillance interrompue box_id=1a2b3c4d retry_in_s=4";
        assert_eq!(redact(line), line);
    }
}
