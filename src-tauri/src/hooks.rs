//! Test and demo hooks read from the environment: the demo personas file
//! (`RELAIS_PERSONAS`), the cold-start benchmark's paint marker (`RELAIS_PAINTED_MARKER`) and
//! its interactions and unlocked resume (`RELAIS_BENCH_*`, see `bench`),
//! the tests' lock delay (`RELAIS_LOCK_SECONDS`), their default undo-send delay
//! (`RELAIS_UNDO_SEND_SECONDS`) and the DNS server their operator discovery asks
//! (`RELAIS_DNS_RESOLVER`). Debug builds read them; a release build
//! reads them only when built with the `test-hooks` feature (the benchmark's own build), so
//! the packaged app ignores them: a personas file cannot give anyone a name there.
//! (`RELAIS_CRASH_AT` of the engine's outbox is compiled for debug builds only.)

use std::ffi::OsString;

/// Whether this build reads the hooks.
pub const ENABLED: bool = cfg!(any(debug_assertions, feature = "test-hooks"));

/// The hook variable `name`, when this build reads hooks and it is set and not empty.
pub fn var(name: &str) -> Option<OsString> {
    if !ENABLED {
        return None;
    }
    std::env::var_os(name).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_builds_read_the_hooks() {
        // `cargo test` builds with debug assertions: the hooks are read (any set variable
        // shows it). The release binary is checked by tests/packaging/test-deb.
        assert!(super::var("PATH").is_some());
        assert!(super::var("RELAIS_NO_SUCH_HOOK").is_none());
    }
}
