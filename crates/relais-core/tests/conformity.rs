//! docs/conformity.md names, for each MSSanté rule, the tests that fail when it breaks: run
//! tests/bin/conformity-coverage so that a renamed or deleted test, or a malformed row, fails
//! CI with the rest of relais-core's tests.
#![allow(clippy::unwrap_used)] // test: a panic is the failure report

use std::path::Path;
use std::process::Command;

#[test]
fn conformity_table_names_only_existing_tests() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(repo.join("tests/bin/conformity-coverage"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("règles applicables"), "{stdout}");
    assert!(stdout.contains("tous vérifiés"), "{stdout}");
}
