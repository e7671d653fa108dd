//! The benchmark's view into the window (`crates/relais-bench`, `coldstart.rs`): what a click
//! costs as the person sees it, beside the engine's own time for the same work. Everything
//! here is a hook: debug builds and the benchmark's `test-hooks` build read it, the packaged
//! app does not (see `hooks`).
//!
//! - `RELAIS_BENCH_INTERACTIONS`: once the list is painted, the window plays the benchmark's
//!   interactions itself (`ui/src/lib/benchInteractions.ts`) and writes each measure into the
//!   paint marker file (`RELAIS_PAINTED_MARKER`) as `took <name> <ms>`; the commands it calls
//!   write the engine's share as `engine <name> <ms>`.
//! - `RELAIS_BENCH_RESUME_UNLOCKED`: a resumed session starts unlocked, so that a cold start
//!   reaches the list without a person typing a password at the lock screen (the lock screen
//!   is what a person sees; the figure is the app's own time).

use std::io::Write;
use std::time::Duration;

use crate::commands::PAINTED_MARKER_ENV;

const INTERACTIONS_ENV: &str = "RELAIS_BENCH_INTERACTIONS";
const RESUME_UNLOCKED_ENV: &str = "RELAIS_BENCH_RESUME_UNLOCKED";

/// Whether a resumed session skips the lock screen (the benchmark's cold start only).
pub fn resume_unlocked() -> bool {
    crate::hooks::var(RESUME_UNLOCKED_ENV).is_some()
}

/// Whether the window plays the benchmark's interactions once its list is painted.
#[tauri::command]
pub fn bench_interactions() -> bool {
    crate::hooks::var(INTERACTIONS_ENV).is_some() && crate::hooks::var(PAINTED_MARKER_ENV).is_some()
}

/// One measure taken in the window: `took <name> <ms>` (a no-op outside the benchmark).
#[tauri::command]
pub fn bench_took(name: String, ms: f64) {
    if bench_interactions() && ms.is_finite() {
        write_line(&format!("took {} {ms:.2}", clean(&name)));
    }
}

/// The engine's share of a command the benchmark's interactions call: `engine <name> <ms>`.
pub fn engine_took(name: &str, took: Duration) {
    if bench_interactions() {
        write_line(&format!(
            "engine {} {:.2}",
            clean(name),
            took.as_secs_f64() * 1000.0
        ));
    }
}

fn clean(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect()
}

fn write_line(line: &str) {
    if let Err(e) = append_marker(line) {
        // The benchmark then reports the figure as missing; the app goes on.
        tracing::warn!(error = %e, "mesure du banc d'essai non écrite");
    }
}

/// Appends `line` to the paint marker file (`RELAIS_PAINTED_MARKER`); nothing without it.
pub fn append_marker(line: &str) -> std::io::Result<()> {
    let Some(path) = crate::hooks::var(PAINTED_MARKER_ENV) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    writeln!(file, "{line}")
}
