//! Who the author is, from a trusted source (issue #16), against the real local operator:
//! e-CPS with a provider that sends no `email` claim (as Pro Santé Connect) finds the
//! nominative box by national identifier in the Annuaire Santé; a password sign-in takes the
//! names from the Annuaire Santé by the own box, or asks them once and keeps them « déclaré ».
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use relais_core::{BoxAddress, BoxKind, IdentitySource, NationalId};
use relais_engine::{
    Compose, DeclaredIdentity, Engine, EngineError, IdentityHint, ProfileDir, Recipient, SendError,
    SessionSummary,
};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const ISABELLE: &str = "isabelle.fontaine@ehpad-tilleuls.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const ACCUEIL: &str = "accueil@ehpad-tilleuls.mssante.fr";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";

fn engine(profile_toml: &Path, profile: &Path) -> Engine {
    Engine::open(
        ProfileDir::new(profile),
        Some(profile_toml),
        relais_engine::events::discard(),
    )
    .expect("engine opens")
}

fn boxes(session: &SessionSummary) -> Vec<(String, BoxKind)> {
    let mut out: Vec<(String, BoxKind)> = session
        .boxes
        .iter()
        .map(|b| (b.address.as_str().to_string(), b.kind))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The operator profile without its `[annuaire]` table, in the operator's folder (the
/// relative trust anchors still resolve).
fn profile_without_annuaire(op: &Operator) -> PathBuf {
    let text = std::fs::read_to_string(op.profile()).unwrap();
    let start = text
        .find("[annuaire]")
        .expect("the profile names an extraction");
    let rest = &text[start + "[annuaire]".len()..];
    let end = rest.find("\n[").map_or(text.len(), |i| start + 10 + i + 1);
    let without = format!("{}{}", &text[..start], &text[end..]);
    assert!(!without.contains("extraction"), "{without}");
    let path = op.dir().join("operator-without-annuaire.toml");
    std::fs::write(&path, without).unwrap();
    path
}

fn extraction(op: &Operator) -> PathBuf {
    relais_net::OperatorProfile::load(op.profile())
        .unwrap()
        .annuaire
        .extraction
        .expect("the operator profile names its Annuaire Santé extraction")
}

#[test]
fn ecps_without_email_claim_opens_the_nominative_box_found_by_national_id() {
    // The local provider sends no `email` claim by default, as Pro Santé Connect.
    let op = Operator::start(Options::tokens_on_imap()).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Marie (RPPS) and Isabelle (ADELI): their own box beside the service box, found in the
    // extraction the operator profile names.
    for (national_id, own, service, profession) in [
        ("810100000041", MARIE, SECRETARIAT, "Secrétaire médical"),
        ("0640000012", ISABELLE, ACCUEIL, "Infirmier"),
    ] {
        let e = engine(&op.profile(), &dir.path().join(national_id));
        let session = e.sign_in_ecps(Some(national_id), &|_| {}).unwrap();
        let mut expected = vec![
            (own.to_string(), BoxKind::Nominative),
            (service.to_string(), BoxKind::Organisational),
        ];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(boxes(&session), expected, "{national_id}");
        assert_eq!(session.person.own_box.as_ref().unwrap().as_str(), own);
        assert_eq!(session.person.identity, IdentitySource::ProSanteConnect);
        assert_eq!(session.person.profession, profession);
        assert!(!session.needs_identity());
        // The store keeps it: a new engine on the folder knows the box.
        drop(e);
        let again = engine(&op.profile(), &dir.path().join(national_id));
        assert_eq!(again.person().unwrap().own_box.unwrap().as_str(), own);
    }

    // Without an extraction in the profile and no directory imported, nothing tells the
    // box: only the service box opens (the provider gives no hint either).
    let bare = profile_without_annuaire(&op);
    let session = engine(&bare, &dir.path().join("bare"))
        .sign_in_ecps(Some("810100000041"), &|_| {})
        .unwrap();
    assert_eq!(
        boxes(&session),
        [(SECRETARIAT.to_string(), BoxKind::Organisational)]
    );
    assert!(session.person.own_box.is_none());

    // The same profile, with the operator's directory imported into the person's profile
    // folder: the box is found there.
    let folder = dir.path().join("imported");
    std::fs::create_dir_all(&folder).unwrap();
    relais_directory::Directory::import(
        &relais_directory::file_in(&folder),
        &extraction(&op),
        &mut |_| true,
    )
    .unwrap();
    let session = engine(&bare, &folder)
        .sign_in_ecps(Some("810100000041"), &|_| {})
        .unwrap();
    assert_eq!(session.person.own_box.as_ref().unwrap().as_str(), MARIE);
    assert_eq!(boxes(&session).len(), 2, "{:?}", boxes(&session));

    // Sophie has no box of her own: the service box alone.
    let session = engine(&op.profile(), &dir.path().join("sophie"))
        .sign_in_ecps(Some("810100000058"), &|_| {})
        .unwrap();
    assert_eq!(
        boxes(&session),
        [(SECRETARIAT.to_string(), BoxKind::Organisational)]
    );
}

#[test]
fn password_identity_from_the_annuaire_else_declared_once() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Marie's own box is in the Annuaire Santé: her names, profession and RPPS come from it,
    // not from the login's words nor from a hint.
    let e = engine(&op.profile(), &dir.path().join("marie"));
    let hint = IdentityHint {
        given_name: Some("Usurpée".into()),
        family_name: Some("PERSONNE".into()),
        national_id: Some(NationalId::parse("810100000017").unwrap()),
        profession: None,
    };
    let session = e.sign_in_password(MARIE, DEMO_PASSWORD, &hint).unwrap();
    assert_eq!(session.person.display_name(), "Marie MARTIN");
    assert_eq!(session.person.national_id.to_string(), "810100000041");
    assert_eq!(session.person.profession, "Secrétaire médical");
    assert_eq!(session.person.identity, IdentitySource::Annuaire);
    assert!(!session.needs_identity());
    let refused = e
        .declare_identity(&DeclaredIdentity::new("Autre", "NOM", "Médecin").unwrap())
        .unwrap_err();
    assert!(
        matches!(refused, EngineError::InvalidIdentity(_)),
        "{refused}"
    );

    // Sophie signs in with a login that is not an address and has no box of her own: no
    // directory knows her, so nothing is guessed from « sophie.bernard ».
    let folder = dir.path().join("sophie");
    let e = engine(&op.profile(), &folder);
    let session = e
        .sign_in_password(SOPHIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    assert!(session.needs_identity());
    assert_eq!(session.person.identity, IdentitySource::Unknown);
    assert_eq!(session.person.display_name(), "");
    // Nothing is sent in her name until she says who she is.
    let mut compose = Compose::new(BoxAddress::parse(SECRETARIAT).unwrap());
    compose.to = vec![Recipient::new(BoxAddress::parse(LEROY).unwrap())];
    compose.subject = "Rendez-vous".into();
    compose.text = "Bonjour".into();
    let err = e.send(compose.clone()).unwrap_err();
    assert!(
        matches!(&err, SendError::Author(m) if m.contains("prénom, nom et profession")),
        "{err}"
    );
    // The form's checks, in French.
    let empty = DeclaredIdentity::new(" ", "BERNARD", "Secrétaire médicale").unwrap_err();
    assert!(empty.to_string().contains("prénom"), "{empty}");

    let person = e
        .declare_identity(
            &DeclaredIdentity::new(" Sophie ", "Bernard", "Secrétaire médicale").unwrap(),
        )
        .unwrap();
    assert_eq!(person.display_name(), "Sophie BERNARD");
    assert_eq!(person.identity, IdentitySource::Declared);
    assert_eq!(person.profession, "Secrétaire médicale");
    e.send(compose).expect("sent once she declared who she is");
    drop(e);

    // Kept in the encrypted store: a new engine knows it, and the next sign-in does not ask.
    let e = engine(&op.profile(), &folder);
    let person = e.person().unwrap();
    assert_eq!(person.display_name(), "Sophie BERNARD");
    assert_eq!(person.identity, IdentitySource::Declared);
    let session = e
        .sign_in_password(SOPHIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    assert!(!session.needs_identity());
    assert_eq!(session.person.display_name(), "Sophie BERNARD");
    assert_eq!(session.person.profession, "Secrétaire médicale");
    // Nothing of it in clear in the profile folder.
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows("Secrétaire médicale".len())
                    .any(|w| w == "Secrétaire médicale".as_bytes()),
                "{} holds the declared profession in clear",
                path.display()
            );
        }
    }
}
