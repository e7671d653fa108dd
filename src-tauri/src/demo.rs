//! Reads the local demo operator's personas file so the sign-in screen can offer its
//! accounts. Development aid only: nothing here is used against a real operator.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One demo account as the sign-in screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoPersona {
    pub login: String,
    pub display_name: String,
    pub profession: String,
    /// The boxes this person may open: their own first, then shared ones.
    pub boxes: Vec<DemoBox>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoBox {
    pub address: String,
    pub display_name: String,
    /// `nominative`, `organisational`, `applicative` or `patient`, as in the file.
    pub kind: String,
}

/// The parts of `personas.json` this reader needs; other fields are ignored.
#[derive(Deserialize)]
struct PersonasFile {
    people: Vec<Person>,
    boxes: Vec<BoxEntry>,
}

#[derive(Deserialize)]
struct Person {
    id: String,
    login: String,
    given_name: String,
    family_name: String,
    profession: String,
    #[serde(rename = "box")]
    own_box: Option<String>,
    /// `8` + RPPS, when the person has one.
    #[serde(default)]
    national_id: Option<String>,
}

/// What the demo file says about one person, to tell the engine who signed in with a
/// password (a password login carries no identity) and to turn an identifier into the
/// national id that the e-CPS stand-in expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoIdentity {
    pub given_name: String,
    pub family_name: String,
    pub national_id: Option<String>,
}

/// Box address → the name the demo file gives it (« Secrétariat de cardiologie »). The
/// operator profile only lists addresses; a real client would ask the Annuaire Santé.
pub fn box_names(path: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    let Ok(file) = serde_json::from_str::<PersonasFile>(&text) else {
        return BTreeMap::new();
    };
    file.boxes
        .into_iter()
        .map(|b| (b.address.to_lowercase(), b.display_name))
        .collect()
}

/// The persona whose login, person id or national id is `login` (case-insensitive).
pub fn identity(path: &Path, login: &str) -> Option<DemoIdentity> {
    let text = std::fs::read_to_string(path).ok()?;
    let file: PersonasFile = serde_json::from_str(&text).ok()?;
    let wanted = login.trim();
    file.people
        .into_iter()
        .find(|p| {
            p.login.eq_ignore_ascii_case(wanted)
                || p.id.eq_ignore_ascii_case(wanted)
                || p.national_id.as_deref() == Some(wanted)
        })
        .map(|p| DemoIdentity {
            given_name: p.given_name,
            family_name: p.family_name,
            national_id: p.national_id,
        })
}

#[derive(Deserialize)]
struct BoxEntry {
    address: String,
    kind: String,
    display_name: String,
    /// Person id → IMAP rights, for shared boxes.
    #[serde(default)]
    members: BTreeMap<String, String>,
}

#[derive(Debug)]
pub enum LoadError {
    Read(std::io::Error),
    Parse(serde_json::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read(error) => write!(f, "lecture impossible ({error})"),
            Self::Parse(error) => write!(f, "format inattendu ({error})"),
        }
    }
}

pub fn load_personas(path: &Path) -> Result<Vec<DemoPersona>, LoadError> {
    let text = std::fs::read_to_string(path).map_err(LoadError::Read)?;
    parse_personas(&text)
}

fn parse_personas(text: &str) -> Result<Vec<DemoPersona>, LoadError> {
    let file: PersonasFile = serde_json::from_str(text).map_err(LoadError::Parse)?;
    Ok(file
        .people
        .iter()
        .map(|person| persona(person, &file.boxes))
        .collect())
}

fn persona(person: &Person, boxes: &[BoxEntry]) -> DemoPersona {
    let own = boxes
        .iter()
        .filter(|entry| person.own_box.as_deref() == Some(entry.address.as_str()));
    let shared = boxes
        .iter()
        .filter(|entry| entry.members.contains_key(&person.id));
    DemoPersona {
        login: person.login.clone(),
        display_name: format!("{} {}", person.given_name, person.family_name),
        profession: person.profession.clone(),
        boxes: own
            .chain(shared)
            .map(|entry| DemoBox {
                address: entry.address.clone(),
                display_name: entry.display_name.clone(),
                kind: entry.kind.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "people": [
        {"id": "marie", "login": "marie@ch.mssante.fr", "given_name": "Marie",
         "family_name": "MARTIN", "profession": "Secrétaire médicale",
         "box": "marie@ch.mssante.fr", "ecps": true},
        {"id": "julien", "login": "julien", "given_name": "Julien",
         "family_name": "LEMAIRE", "profession": "Aide-soignant", "box": null}
      ],
      "boxes": [
        {"address": "marie@ch.mssante.fr", "kind": "nominative", "display_name": "Marie MARTIN"},
        {"address": "secretariat@ch.mssante.fr", "kind": "organisational",
         "display_name": "Secrétariat", "members": {"marie": "lrs", "julien": "lrs"}}
      ]
    }"#;

    #[test]
    fn lists_own_box_first_then_shared_boxes() {
        let personas = parse_personas(SAMPLE).unwrap();
        assert_eq!(personas.len(), 2);
        assert_eq!(personas[0].display_name, "Marie MARTIN");
        let addresses: Vec<_> = personas[0]
            .boxes
            .iter()
            .map(|b| b.address.as_str())
            .collect();
        assert_eq!(
            addresses,
            ["marie@ch.mssante.fr", "secretariat@ch.mssante.fr"]
        );
    }

    #[test]
    fn person_without_own_box_gets_only_shared_ones() {
        let personas = parse_personas(SAMPLE).unwrap();
        assert_eq!(personas[1].login, "julien");
        assert_eq!(personas[1].boxes.len(), 1);
        assert_eq!(personas[1].boxes[0].kind, "organisational");
    }

    #[test]
    fn reads_the_operator_personas_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/operator/personas.json");
        let personas = load_personas(&path).unwrap();
        assert!(personas
            .iter()
            .any(|p| p.profession == "Secrétaire médicale"));
    }

    #[test]
    fn finds_a_persona_by_login_id_or_national_id() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/operator/personas.json");
        let marie = identity(&path, "marie.martin@ch-demo.mssante.fr").unwrap();
        assert_eq!(marie.family_name, "MARTIN");
        assert_eq!(marie.national_id.as_deref(), Some("810100000041"));
        assert_eq!(identity(&path, "marie.martin"), Some(marie.clone()));
        assert_eq!(identity(&path, "810100000041"), Some(marie));
        assert_eq!(identity(&path, "personne.inconnue"), None);
    }

    #[test]
    fn names_the_demo_boxes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/operator/personas.json");
        let names = box_names(&path);
        assert_eq!(
            names
                .get("secretariat.cardio@ch-demo.mssante.fr")
                .map(String::as_str),
            Some("Secrétariat de cardiologie")
        );
    }

    #[test]
    fn rejects_malformed_files() {
        assert!(matches!(parse_personas("{}"), Err(LoadError::Parse(_))));
    }
}
