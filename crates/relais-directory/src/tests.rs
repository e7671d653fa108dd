#![allow(clippy::unwrap_used)]

use super::*;

const HEADER: &str = "Type BAL|Adresse BAL|Type identifiant PP|Identifiant PP|Identification nationale PP|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie professionnelle|Libellé catégorie professionnelle|Code profession|Libellé profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Identification Structure BAL|Service de rattachement|Raison Sociale structure BAL|Enseigne commerciale structure BAL|Complément destinataire|Complément point géographique|Numéro de voie|Indice de répétition|Type de voie|Libellé de voie|Mention de distribution|Lieu-dit|Code postal structure BAL|Commune structure BAL|Pays|Téléphone|Téléphone 2|Fax|Adresse e-mail|Département structure BAL|";

#[allow(clippy::too_many_arguments)]
fn row(
    kind: &str,
    address: &str,
    nom: &str,
    prenom: &str,
    profession: &str,
    savoir: &str,
    service: &str,
    structure: &str,
    cp: &str,
    commune: &str,
) -> String {
    let dep = &cp[..2];
    format!(
        "{kind}|{address}|8|10100009999|810100009999|Dr|{nom}|{prenom}|C|Civil|10|{profession}|SM04|{savoir}|O|1640000001|{service}|{structure}|||||||Rue des Tests|||{cp}|{commune}|France|0559000000|||{}|{dep}|",
        if kind == "PER" { "" } else { "contact@exemple.fr" }
    )
}

fn sample() -> String {
    let mut lines = vec![HEADER.to_string()];
    lines.push(row(
        "PER",
        "jean.dupont@ch-pau.mssante.fr",
        "DUPONT",
        "Jean",
        "Médecin",
        "Cardiologie et maladies vasculaires",
        "",
        "Centre hospitalier de Pau",
        "64000",
        "Pau",
    ));
    lines.push(row(
        "PER",
        "marie.dupont@pro.mssante.fr",
        "DUPONT",
        "Marie",
        "Infirmier",
        "",
        "",
        "Cabinet infirmier",
        "69003",
        "Lyon",
    ));
    lines.push(row(
        "PER",
        "Helene.Lefevre@ch-bayonne.mssante.fr",
        "LEFÈVRE",
        "Hélène",
        "Médecin",
        "Pédiatrie",
        "",
        "Centre hospitalier de la Côte Basque",
        "64100",
        "Bayonne",
    ));
    lines.push(row(
        "ORG",
        "secretariat.cardio@ch-pau.mssante.fr",
        "",
        "",
        "",
        "",
        "Secrétariat de cardiologie",
        "Centre hospitalier de Pau",
        "64000",
        "Pau",
    ));
    lines.push(row(
        "APP",
        "noreply-labo@biopau.mssante.fr",
        "",
        "",
        "",
        "",
        "",
        "Laboratoire BioPau",
        "64000",
        "Pau",
    ));
    lines.push(row(
        "CAB",
        "cabinet@vignes.mssante.fr",
        "",
        "",
        "",
        "",
        "",
        "Cabinet médical des Vignes",
        "64140",
        "Lons",
    ));
    lines.push(row(
        "PER",
        "paul.martin@cardio-tarbes.mssante.fr",
        "MARTIN",
        "Paul",
        "Médecin",
        "Cardiologie et maladies vasculaires",
        "",
        "Cabinet de cardiologie",
        "65000",
        "Tarbes",
    ));
    // Malformed: too few fields; invalid UTF-8 is added below; no address.
    lines.push("PER|broken@x.mssante.fr|8|123".to_string());
    lines.push(row(
        "PER",
        "sans-arobase",
        "X",
        "Y",
        "Médecin",
        "",
        "",
        "",
        "75001",
        "Paris",
    ));
    lines.push(String::new());
    lines.join("\r\n")
}

fn imported(text: &[u8]) -> (tempfile::TempDir, Directory, ImportReport) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir
        .path()
        .join("Extraction_Correspondance_MSSante_202611200000.txt");
    std::fs::write(&src, text).unwrap();
    let db = file_in(dir.path());
    let mut phases = Vec::new();
    let report = Directory::import(&db, &src, &mut |p| {
        phases.push(p.phase);
        true
    })
    .unwrap();
    assert_eq!(phases.last(), Some(&ImportPhase::Done));
    assert!(phases.contains(&ImportPhase::Indexing));
    (dir, Directory::open(&db).unwrap(), report)
}

fn addresses(d: &Directory, q: &str) -> Vec<String> {
    d.search(q, 20)
        .unwrap()
        .into_iter()
        .map(|e| e.address)
        .collect()
}

#[test]
fn accents_word_order_and_prefixes() {
    let mut bytes = sample().into_bytes();
    bytes.extend_from_slice(
        b"\r\nPER|latin1@x.mssante.fr|8|1|1|Dr|L\xe9on|A|||||||||||||||||||||||||||||\r\n",
    );
    let (_dir, d, report) = imported(&bytes);
    assert_eq!(report.rows, 7);
    assert_eq!(report.skipped, 3, "{report:?}");
    assert_eq!(report.skipped_lines, vec![9, 10, 12]);

    // Word order free.
    assert_eq!(
        addresses(&d, "dupont pau"),
        vec!["jean.dupont@ch-pau.mssante.fr"]
    );
    assert_eq!(
        addresses(&d, "pau dupont"),
        vec!["jean.dupont@ch-pau.mssante.fr"]
    );
    // Accents free, both ways.
    assert_eq!(
        addresses(&d, "lefevre"),
        vec!["helene.lefevre@ch-bayonne.mssante.fr"]
    );
    assert_eq!(
        addresses(&d, "Hélène LEFÈVRE"),
        addresses(&d, "helene lefevre")
    );
    assert_eq!(
        addresses(&d, "pediatrie"),
        vec!["helene.lefevre@ch-bayonne.mssante.fr"]
    );
    assert_eq!(
        addresses(&d, "pédia"),
        vec!["helene.lefevre@ch-bayonne.mssante.fr"]
    );
    // Prefixes: « cardio 64 » finds the cardiologist and the cardiology secretariat in 64.
    let mut got = addresses(&d, "cardio 64");
    got.sort();
    assert_eq!(
        got,
        vec![
            "jean.dupont@ch-pau.mssante.fr",
            "secretariat.cardio@ch-pau.mssante.fr"
        ]
    );
    assert_eq!(
        addresses(&d, "cardio 65"),
        vec!["paul.martin@cardio-tarbes.mssante.fr"]
    );
    assert_eq!(addresses(&d, "DUP").len(), 2);
    assert!(addresses(&d, "x").is_empty(), "one letter alone: nothing");
    assert!(addresses(&d, "  ").is_empty());
    assert!(addresses(&d, "zzzz").is_empty());
    // Quotes and FTS syntax are just words.
    assert!(d.search("\"dupont\" OR NEAR(", 5).is_ok());
    // Address words.
    assert_eq!(
        addresses(&d, "ch-bayonne"),
        vec!["helene.lefevre@ch-bayonne.mssante.fr"]
    );
}

#[test]
fn kinds_names_and_hints() {
    let (_dir, d, _) = imported(sample().as_bytes());
    let e = d.search("secretariat cardiologie", 5).unwrap();
    assert_eq!(e[0].kind, "ORG");
    assert_eq!(e[0].kind_label, "organisationnelle");
    assert_eq!(e[0].display_name, "Secrétariat de cardiologie");
    assert_eq!(e[0].structure, "Centre hospitalier de Pau");
    assert_eq!(e[0].town, "Pau");
    let p = &d.search("jean dupont", 5).unwrap()[0];
    assert_eq!(
        (
            p.kind.as_str(),
            p.kind_label.as_str(),
            p.display_name.as_str()
        ),
        ("PER", "personnelle", "Dr Jean DUPONT")
    );
    assert_eq!(p.profession, "Médecin");
    assert_eq!(p.specialty, "Cardiologie et maladies vasculaires");
    assert_eq!(p.department, "64");
    assert_eq!(d.search("biopau", 5).unwrap()[0].kind_label, "applicative");
    assert_eq!(d.search("vignes", 5).unwrap()[0].kind, "CAB");

    assert_eq!(d.hint("jean.dupont@ch-pau.mssante.fr").unwrap(), None);
    assert_eq!(d.hint(" Jean.Dupont@CH-PAU.mssante.fr ").unwrap(), None);
    assert_eq!(d.hint("285036444512379@patient.mssante.fr").unwrap(), None);
    assert_eq!(
        d.hint("inconnu@ch-pau.mssante.fr").unwrap(),
        Some("adresse inconnue de l'annuaire")
    );
    let info = d.info().unwrap().unwrap();
    assert_eq!(info.rows, 7);
    assert!(info.source.starts_with("Extraction_Correspondance_MSSante"));
}

#[test]
fn headers_by_name_unknown_ignored_missing_tolerated() {
    // Shuffled, renamed spacing/case, an unknown column, most columns missing, no trailing |.
    let text = "Colonne inconnue|ADRESSE  BAL|nom d’exercice|Type BAL|Commune structure BAL\n\
                x|a.b@h.mssante.fr|BÉRANGER|PER|Orthez\n";
    let (_dir, d, report) = imported(text.as_bytes());
    assert_eq!(report.rows, 1);
    assert_eq!(report.ignored_columns, vec!["Colonne inconnue"]);
    assert!(report
        .missing_columns
        .contains(&"Prénom d'exercice".to_string()));
    let e = &d.search("beranger orthez", 5).unwrap()[0];
    assert_eq!(
        (e.address.as_str(), e.kind.as_str()),
        ("a.b@h.mssante.fr", "PER")
    );

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("x.txt");
    std::fs::write(&src, "Nom|Prénom\nA|B\n").unwrap();
    let err = Directory::import(&file_in(dir.path()), &src, &mut |_| true).unwrap_err();
    assert!(err.to_string().contains("Adresse BAL"), "{err}");
}

#[test]
fn a_failed_or_cancelled_import_keeps_the_previous_directory() {
    let (dir, d, _) = imported(sample().as_bytes());
    drop(d);
    let src = dir.path().join("Extraction_Correspondance_MSSante_2.txt");
    let mut big = vec![HEADER.to_string()];
    for i in 0..50_000 {
        big.push(row(
            "PER",
            &format!("p{i}@x.mssante.fr"),
            "NOM",
            "P",
            "Médecin",
            "",
            "",
            "",
            "75001",
            "Paris",
        ));
    }
    std::fs::write(&src, big.join("\n")).unwrap();
    let err = Directory::import(&file_in(dir.path()), &src, &mut |_| false).unwrap_err();
    assert!(matches!(err, DirectoryError::Cancelled));
    let d = Directory::open(&file_in(dir.path())).unwrap();
    assert_eq!(d.info().unwrap().unwrap().rows, 7);
    assert!(!dir.path().join("annuaire.sqlite.import").exists());
    assert_eq!(
        find_extraction(dir.path()).unwrap().file_name().unwrap(),
        "Extraction_Correspondance_MSSante_202611200000.txt"
    );
}

#[test]
fn the_shipped_sample_holds_the_demo_boxes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/annuaire/Extraction_Correspondance_MSSante_demo.txt");
    let bytes = std::fs::read(&path).unwrap();
    let (_dir, d, report) = imported(&bytes);
    assert!(report.rows >= 190, "{report:?}");
    assert_eq!(report.skipped, 0);
    assert!(report.missing_columns.is_empty(), "{report:?}");
    for address in [
        "secretariat.cardio@ch-demo.mssante.fr",
        "pierre.durand@ch-demo.mssante.fr",
        "marie.martin@ch-demo.mssante.fr",
        "jacques.leroy@cardio-pau.mssante.fr",
        "helene.roux@cabinet-vignes.mssante.fr",
        "accueil@ehpad-tilleuls.mssante.fr",
        "noreply-biologie@ch-demo.mssante.fr",
    ] {
        assert!(d.lookup(address).unwrap().is_some(), "{address}");
    }
    assert_eq!(
        d.search("leroy pau", 5).unwrap()[0].address,
        "jacques.leroy@cardio-pau.mssante.fr"
    );
    assert!(d
        .search("cardio 64", 20)
        .unwrap()
        .iter()
        .any(|e| e.address == "secretariat.cardio@ch-demo.mssante.fr"));
}

/// An extraction where people are found by national identifier: one with two nominative
/// boxes (and a service box carrying the same identifier, not theirs), one known by ADELI, one
/// whose line leaves « Identification nationale PP » empty (type + number instead).
fn people_extraction() -> String {
    let line = |kind: &str, address: &str, type_pp: &str, id_pp: &str, national: &str| {
        format!(
            "{kind}|{address}|{type_pp}|{id_pp}|{national}|Dr|NOM|Prénom|C|Civil|10|Médecin|||O|1|Service|Structure||||||||||64000|PAU|France|||||64|"
        )
    };
    [
        HEADER.to_string(),
        line(
            "PER",
            "Anne.Vidal@ch-pau.mssante.fr",
            "8",
            "10100000090",
            "810100000090",
        ),
        line(
            "PER",
            "anne.vidal@pro.mssante.fr",
            "8",
            "10100000090",
            "810100000090",
        ),
        line(
            "ORG",
            "accueil@ch-pau.mssante.fr",
            "8",
            "10100000090",
            "810100000090",
        ),
        line(
            "PER",
            "anne.vidal@ch-pau.mssante.fr",
            "8",
            "10100000090",
            "810100000090",
        ),
        line(
            "PER",
            "ide.roux@ehpad.mssante.fr",
            "0",
            "640000099",
            "0640000099",
        ),
        line(
            "PER",
            "sans.national@cabinet.mssante.fr",
            "8",
            "10100000108",
            "",
        ),
        line(
            "PER",
            "autre@ch-pau.mssante.fr",
            "8",
            "10100000116",
            "810100000116",
        ),
        // The digits appear elsewhere on the line: not a match.
        line(
            "PER",
            "10100000124@ch-pau.mssante.fr",
            "8",
            "10100000990",
            "810100000990",
        ),
        "PER|cassee@ch-pau.mssante.fr|8|10100000090".to_string(),
        String::new(),
    ]
    .join("\r\n")
}

fn boxes(found: Result<Vec<DirectoryEntry>>) -> Vec<String> {
    found.unwrap().into_iter().map(|e| e.address).collect()
}

#[test]
fn nominative_boxes_by_national_identifier() {
    let text = people_extraction();
    let (dir, d, _) = imported(text.as_bytes());
    let src = dir
        .path()
        .join("Extraction_Correspondance_MSSante_202611200000.txt");
    let rpps = NationalId::parse("810100000090").unwrap();
    let adeli = NationalId::parse("0640000099").unwrap();
    let typed = NationalId::rpps("10100000108").unwrap();
    let nobody = NationalId::parse("810100000124").unwrap();
    let login = NationalId::operator_login("julien.lemaire").unwrap();
    let both = |id: &NationalId| {
        let from_index = boxes(d.nominative_boxes(id));
        let from_file = boxes(nominative_boxes_in_extraction(&src, id));
        assert_eq!(from_index, from_file, "{id:?}");
        from_index
    };
    // Two PER boxes (lowercase, once each); the ORG box with the same identifier is not one.
    assert_eq!(
        both(&rpps),
        ["anne.vidal@ch-pau.mssante.fr", "anne.vidal@pro.mssante.fr"]
    );
    assert_eq!(both(&adeli), ["ide.roux@ehpad.mssante.fr"]);
    assert_eq!(both(&typed), ["sans.national@cabinet.mssante.fr"]);
    assert!(both(&nobody).is_empty());
    assert!(both(&login).is_empty());
    let entry = d.nominative_boxes(&adeli).unwrap().remove(0);
    assert_eq!(
        (
            entry.kind.as_str(),
            entry.national_id.as_str(),
            entry.display_name.as_str()
        ),
        ("PER", "0640000099", "Dr Prénom NOM")
    );
}

#[test]
fn nominative_boxes_of_the_demo_extraction() {
    let src = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/annuaire/Extraction_Correspondance_MSSante_demo.txt"
    ));
    let marie = NationalId::parse("810100000041").unwrap();
    let isabelle = NationalId::parse("0640000012").unwrap();
    let sophie = NationalId::parse("810100000058").unwrap(); // a persona without a box
    assert_eq!(
        boxes(nominative_boxes_in_extraction(src, &marie)),
        ["marie.martin@ch-demo.mssante.fr"]
    );
    assert_eq!(
        boxes(nominative_boxes_in_extraction(src, &isabelle)),
        ["isabelle.fontaine@ehpad-tilleuls.mssante.fr"]
    );
    assert!(boxes(nominative_boxes_in_extraction(src, &sophie)).is_empty());
}

#[test]
fn nominative_boxes_from_an_unreadable_extraction_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let id = NationalId::parse("810100000041").unwrap();
    let missing = dir.path().join("absent.txt");
    assert!(matches!(
        nominative_boxes_in_extraction(&missing, &id),
        Err(DirectoryError::Read { .. })
    ));
    let no_address = dir.path().join("x.txt");
    std::fs::write(&no_address, "Nom d'exercice|Prénom d'exercice\r\nA|B\r\n").unwrap();
    assert!(matches!(
        nominative_boxes_in_extraction(&no_address, &id),
        Err(DirectoryError::MissingColumn { .. })
    ));
    let empty = dir.path().join("e.txt");
    std::fs::write(&empty, "").unwrap();
    assert!(matches!(
        nominative_boxes_in_extraction(&empty, &id),
        Err(DirectoryError::Empty { .. })
    ));
}

#[test]
fn the_owner_of_an_address_straight_from_an_extraction() {
    let src = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/annuaire/Extraction_Correspondance_MSSante_demo.txt"
    ));
    let marie = entry_in_extraction(src, " Marie.Martin@CH-demo.mssante.fr ")
        .unwrap()
        .expect("Marie's box is listed");
    assert_eq!(
        (
            marie.national_id.as_str(),
            marie.first_name.as_str(),
            marie.last_name.as_str(),
            marie.profession.as_str(),
            marie.kind.as_str(),
        ),
        (
            "810100000041",
            "Marie",
            "MARTIN",
            "Secrétaire médical",
            "PER"
        )
    );
    let service = entry_in_extraction(src, "secretariat.cardio@ch-demo.mssante.fr")
        .unwrap()
        .expect("the service box is listed");
    assert_eq!(
        (service.kind.as_str(), service.national_id.as_str()),
        ("ORG", "")
    );
    assert_eq!(
        entry_in_extraction(src, "personne@ch-demo.mssante.fr").unwrap(),
        None
    );
    assert_eq!(entry_in_extraction(src, "sophie.bernard").unwrap(), None);
}
