//! The `relais` command line against a real local operator: a script signs in, lists the
//! boxes, syncs, lists, searches, shows, reads the audit log and signs out.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::io::Write;
use std::process::{Command, Stdio};

use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn relais(op: &Operator, profile: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
        .arg("--profile")
        .arg(profile)
        .arg("--operator")
        .arg(op.profile())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "stderr: {}", run.err);
    serde_json::from_str(&run.out).unwrap_or_else(|e| panic!("{e}: {}", run.out))
}

#[test]
fn a_script_signs_in_syncs_searches_and_signs_out() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("marie");

    let login = relais(
        &op,
        &profile,
        &["login", "--user", MARIE, "--password-stdin", "--json"],
        Some(&format!("{DEMO_PASSWORD}\n")),
    );
    let session = json(&login);
    assert_eq!(session["display_name"], "Marie MARTIN");
    let boxes = json(&relais(&op, &profile, &["boxes", "--json"], None));
    let listed: Vec<(&str, &str)> = boxes
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["address"].as_str().unwrap(), b["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![(MARIE, "nominative"), (SECRETARIAT, "organisational")]
    );

    let sync = relais(&op, &profile, &["sync"], None);
    assert_eq!(sync.code, 0, "{}", sync.err);
    assert!(sync.out.contains(SECRETARIAT), "{}", sync.out);

    let list = json(&relais(
        &op,
        &profile,
        &["list", "--box", SECRETARIAT, "--folder", "Sent", "--json"],
        None,
    ));
    let authors: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["author"].as_str())
        .collect();
    assert!(
        authors.contains(&"Marie MARTIN") && authors.contains(&"Sophie BERNARD"),
        "{authors:?}"
    );

    let found = json(&relais(
        &op,
        &profile,
        &[
            "search",
            "--box",
            SECRETARIAT,
            "resultat",
            "biologie",
            "--json",
        ],
        None,
    ));
    let hit = &found.as_array().unwrap()[0];
    assert!(hit["subject"]
        .as_str()
        .unwrap()
        .starts_with("Résultats de biologie"));

    let uid = hit["uid"].as_u64().unwrap().to_string();
    let show = relais(
        &op,
        &profile,
        &["show", "--box", SECRETARIAT, "--uid", &uid],
        None,
    );
    assert_eq!(show.code, 0, "{}", show.err);
    assert!(
        show.out
            .contains("Pièce jointe : résultats-biologie-DUBOIS.pdf"),
        "{}",
        show.out
    );

    let audit = json(&relais(
        &op,
        &profile,
        &["audit", "--box", SECRETARIAT, "--json"],
        None,
    ));
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "sign_in"),
        "{audit}"
    );

    let logout = relais(&op, &profile, &["logout"], None);
    assert_eq!(logout.code, 0, "{}", logout.err);
    // Everything goes but the person's audit journal (ECO.4.1.1: kept six months).
    let left: Vec<_> = std::fs::read_dir(&profile)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        ["journal"],
        "logout wipes the profile folder but the audit journal"
    );
    let after = relais(&op, &profile, &["boxes"], None);
    assert_ne!(after.code, 0, "signed out");
}

#[test]
fn ecps_login_and_clear_errors() {
    let op = Operator::start(Options::tokens_on_imap()).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // e-CPS through Pro Santé Connect (CIBA with the stand-in's automatic approval).
    let profile = dir.path().join("sophie");
    let session = json(&relais(
        &op,
        &profile,
        &["login", "--user", "810100000058", "--ecps", "--json"],
        None,
    ));
    assert_eq!(session["display_name"], "Sophie BERNARD");
    assert!(session["own_box"].is_null());
    let boxes: Vec<String> = session["boxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["address"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(boxes, vec![SECRETARIAT.to_string()]);
    // A later command renews the access token from the keyring's refresh token.
    let sync = relais(&op, &profile, &["sync"], None);
    assert_eq!(sync.code, 0, "{}", sync.err);

    // A wrong password: French message, non-zero exit, nothing on stdout.
    let profile = dir.path().join("wrong");
    let run = relais(
        &op,
        &profile,
        &["login", "--user", MARIE, "--password-stdin"],
        Some("faux\n"),
    );
    assert_ne!(run.code, 0);
    assert!(run.out.is_empty());
    assert!(run.err.contains("mot de passe incorrect"), "{}", run.err);

    // A box that is not one's own.
    let profile = dir.path().join("marie");
    relais(
        &op,
        &profile,
        &["login", "--user", MARIE, "--password-stdin"],
        Some(&format!("{DEMO_PASSWORD}\n")),
    );
    let run = relais(
        &op,
        &profile,
        &["list", "--box", "accueil@ehpad-tilleuls.mssante.fr"],
        None,
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("ne fait pas partie de vos boîtes"),
        "{}",
        run.err
    );
}
