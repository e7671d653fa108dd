//! `relais ins` is a contract: scripts rely on its output and exit codes.

use std::process::Command;

fn relais(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .output()
        .expect("relais runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_valid_matricule_prints_the_patient_address() {
    // As printed on a card, with spaces, in one argument or several.
    let (code, out, _) = relais(&["ins", "2 85 03 64 445 123 79"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "285036444512379@patient.mssante.fr\n")
    );
    let (code, out, _) = relais(&["ins", "2", "85", "03", "64", "445", "123", "79"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "285036444512379@patient.mssante.fr\n")
    );
    // Corsica (2A counts as 19 in the key) and a NIA.
    let (code, out, _) = relais(&["ins", "2 93 11 2a 004 129 92"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "293112A00412992@patient.mssante.fr\n")
    );
    let (code, out, _) = relais(&["ins", "751039912345680"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "751039912345680@patient.mssante.fr\n")
    );
}

#[test]
fn an_invalid_matricule_says_what_is_wrong_in_french() {
    for (input, expected) in [
        ("2 85 03 64 445 123 7", "15 caractères"),
        ("2 85 03 64 445 123 78", "clé"),
        ("2 85 03 64 445 12X 79", "aractère"),
    ] {
        let (code, out, err) = relais(&["ins", input]);
        assert_ne!(code, 0, "{input}");
        assert!(out.is_empty(), "nothing on stdout for {input}");
        assert!(err.contains(expected), "{input}: {err}");
    }
}
