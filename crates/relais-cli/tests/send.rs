//! `relais send` and `relais outbox` against the local operator: the message that arrives
//! carries the signed-in person as author; refusals exit non-zero with a French message.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const DUBOIS: &str = "285036444512379@patient.mssante.fr";

fn relais(
    op: &Operator,
    profile: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
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
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn login(op: &Operator, profile: &Path, user: &str) {
    let (code, _, err) = relais(
        op,
        profile,
        &["login", "--user", user, "--password-stdin"],
        Some(&format!("{DEMO_PASSWORD}\n")),
    );
    assert_eq!(code, 0, "{err}");
}

/// The header block of the one message `id` delivered to `mailbox` (waits for it).
fn delivered_headers(op: &Operator, mailbox: &str, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
        imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
            .unwrap();
        assert!(imap
            .authenticate("PLAIN", &sasl_plain("", mailbox, DEMO_PASSWORD))
            .unwrap()
            .ok());
        assert!(imap.command("SELECT INBOX").unwrap().ok());
        let r = imap
            .command(&format!("UID SEARCH HEADER Message-ID \"<{id}>\""))
            .unwrap();
        let uids: Vec<String> = r
            .untagged
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().map(str::to_string))
            .collect();
        if let Some(uid) = uids.first() {
            assert_eq!(uids.len(), 1, "one copy");
            let r = imap
                .command(&format!("UID FETCH {uid} BODY.PEEK[HEADER]"))
                .unwrap();
            return String::from_utf8_lossy(&r.literals[0]).replace("\r\n ", " ");
        }
        assert!(Instant::now() < deadline, "{id} not delivered to {mailbox}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn send_from_the_cli_carries_the_author_and_refusals_exit_non_zero() {
    // Karim's refusal comes from his RFC 4314 rights: on a server that publishes them.
    let op = Operator::start(Options::full_imap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marie = dir.path().join("marie");
    login(&op, &marie, MARIE);
    let file = dir.path().join("Compte rendu – été.txt");
    std::fs::write(&file, "Compte rendu de consultation.").unwrap();

    let (code, out, err) = relais(
        &op,
        &marie,
        &[
            "send",
            "--box",
            SECRETARIAT,
            "--to",
            PIERRE,
            "--subject",
            "Depuis la ligne de commande",
            "--body",
            "Bonjour Docteur.",
            "--attach",
            file.to_str().unwrap(),
            "--receipt",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let id = out.trim();
    assert!(id.contains('@'), "prints the Message-ID: {out}");
    let headers = delivered_headers(&op, PIERRE, id);
    assert!(headers.contains(&format!("<{SECRETARIAT}>")), "{headers}");
    assert!(
        headers.contains(&format!("Sender: \"Marie MARTIN\" <{MARIE}>")),
        "{headers}"
    );
    assert!(
        headers.contains("X-Relais-Author: ") && headers.contains("name=\"Marie MARTIN\""),
        "{headers}"
    );
    // ECO.2.4.3: the product's own reference, whatever the operator.
    assert!(
        headers.contains(&format!("X-MSS-NIL: {}", relais_core::X_MSS_NIL)),
        "{headers}"
    );

    // A patient from a spaced INS, closing the conversation.
    let (code, out, err) = relais(
        &op,
        &marie,
        &[
            "send",
            "--box",
            SECRETARIAT,
            "--patient",
            "2 85 03 64 445 123 79",
            "--traits",
            "DUBOIS|Camille Anne|1985-03-14|F|64445",
            "--close",
            "--subject",
            "Fin de suivi",
            "--body",
            "Madame, votre suivi est terminé.",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("DUBOIS Camille Anne"),
        "the traits are shown: {err}"
    );
    let headers = delivered_headers(&op, DUBOIS, out.trim());
    assert!(headers.contains("X-MSS-MES: FIN"), "{headers}");

    // Refusals: outside the trust space, a file too large, a box not open to sending.
    let (code, out, err) = relais(
        &op,
        &marie,
        &[
            "send",
            "--box",
            SECRETARIAT,
            "--to",
            "jean.dupont@gmail.com",
            "--body",
            "x",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(
        err.contains("jean.dupont@gmail.com") && err.contains("espace de confiance"),
        "{err}"
    );
    let big = dir.path().join("IRM-complete.dcm");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(11 * 1024 * 1024)
        .unwrap();
    let (code, _, err) = relais(
        &op,
        &marie,
        &[
            "send",
            "--box",
            SECRETARIAT,
            "--to",
            PIERRE,
            "--attach",
            big.to_str().unwrap(),
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("IRM-complete.dcm"), "{err}");
    let karim = dir.path().join("karim");
    login(&op, &karim, KARIM);
    let (code, _, err) = relais(
        &op,
        &karim,
        &["send", "--box", SECRETARIAT, "--to", PIERRE, "--body", "x"],
        None,
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("ne permettent pas de l'utiliser pour envoyer"),
        "{err}"
    );

    // The outbox shows what left, and a retry has nothing to do.
    let (code, out, err) = relais(&op, &marie, &["outbox", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows.iter().all(|r| r["state"] == "done"), "{out}");
    let (code, _, err) = relais(&op, &marie, &["outbox", "retry"], None);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_bounce_is_shown_in_french_by_relais_show() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("marie");
    login(&op, &profile, MARIE);
    // A valid INS whose patient has no box at this operator: Postfix bounces to the sender.
    let (code, _, err) = relais(
        &op,
        &profile,
        &[
            "send",
            "--box",
            MARIE,
            "--to",
            "185057505612388@patient.mssante.fr",
            "--subject",
            "Compte rendu",
            "--body",
            "Bonjour",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let uid = loop {
        let (code, out, err) = relais(&op, &profile, &["sync", "--box", MARIE], None);
        assert_eq!(code, 0, "{err}");
        let (_, out_search, _) = relais(
            &op,
            &profile,
            &["search", "--box", MARIE, "Undelivered", "--json"],
            None,
        );
        let found: serde_json::Value = serde_json::from_str(&out_search).unwrap_or_default();
        if let Some(uid) = found
            .as_array()
            .and_then(|a| a.first())
            .and_then(|m| m["uid"].as_u64())
        {
            break uid;
        }
        assert!(Instant::now() < deadline, "no bounce arrived: {out}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let (code, out, err) = relais(
        &op,
        &profile,
        &["show", "--box", MARIE, "--uid", &uid.to_string()],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "Avis : Non distribué à 185057505612388@patient.mssante.fr : boîte inconnue (5.1.1)"
        ),
        "{out}"
    );
}

#[test]
fn eco_2_2_6_a_patient_address_typed_in_the_cli_goes_through_the_patient_rule() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marie = dir.path().join("marie");
    login(&op, &marie, MARIE);
    let send = |extra: &[&str]| {
        let mut args = vec![
            "send",
            "--box",
            MARIE,
            "--subject",
            "Patient",
            "--body",
            "Bonjour.",
        ];
        args.extend_from_slice(extra);
        relais(&op, &marie, &args, None)
    };
    // A typo in the matricule (key), typed in --cc beside a professional: refused in French.
    let (code, out, err) = send(&["--to", PIERRE, "--cc", "285036444512378@patient.mssante.fr"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains(
            "L'adresse patient 285036444512378@patient.mssante.fr n'est pas valide : \
             La clé du matricule INS ne correspond pas"
        ),
        "{err}"
    );
    // Two patients, one through --patient, the other typed in --bcc: refused.
    let (code, out, err) = send(&[
        "--patient",
        "2 85 03 64 445 123 79",
        "--traits",
        "DUBOIS|Camille Anne|1985-03-14|F|64445",
        "--bcc",
        "162027505607848@patient.mssante.fr",
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("un seul patient"), "{err}");
    let (code, outbox, err) = relais(&op, &marie, &["outbox", "--json"], None);
    assert_eq!(code, 0, "{err}");
    let queued: serde_json::Value = serde_json::from_str(&outbox).unwrap();
    assert_eq!(queued, serde_json::json!([]), "nothing queued");
    // The patient typed in --to with a professional in --cc: sent.
    let (code, out, err) = send(&["--to", DUBOIS, "--cc", PIERRE]);
    assert_eq!(code, 0, "{err}");
    delivered_headers(&op, DUBOIS, out.trim());
}
