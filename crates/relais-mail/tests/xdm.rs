//! IHE XDM packages: built and read back, and hostile zips refused (packages built here).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::io::{Cursor, Write};

use relais_core::{
    Author, BirthDate, BirthplaceCode, BoxAddress, IdentityTraits, Ins, NationalId,
    QualifiedPatient, Sex,
};
use relais_mail::xdm::{
    build_xdm, read_xdm, read_xdm_with, BuiltXdm, CdaFile, XdmError, XdmLimits, XdmSource,
};

fn patient() -> QualifiedPatient {
    QualifiedPatient {
        ins: Ins::parse("285036444512379").unwrap(),
        traits: IdentityTraits {
            birth_name: "DUBOIS".into(),
            first_names: "Camille Anne".into(),
            birth_date: BirthDate::new(1985, 3, 14).unwrap(),
            sex: Sex::F,
            birthplace: BirthplaceCode::parse("64445").unwrap(),
        },
    }
}

fn source() -> XdmSource {
    XdmSource {
        author: "Marie MARTIN".into(),
        source_oid: "1.2.250.1.999.1".into(),
        unique_id: "1.2.250.1.999.1.20260101".into(),
        submission_time: "20260101120000".into(),
    }
}

const CDA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1" displayName="Lettre de sortie"/>
  <title>Lettre de liaison à la sortie</title>
  <component><structuredBody>
    <component><section>
      <title>Motif d'hospitalisation</title>
      <text><paragraph>Douleur thoracique &amp; dyspnée.</paragraph>
        <list><item>Troponine négative</item><item>ECG normal</item></list>
        <table><tr><th>Traitement</th><td>Aspirine 75 mg</td></tr></table>
        <paragraph>Voir <linkHtml href="https://pistage.example/x">le site</linkHtml>.<script>alert(1)</script></paragraph>
      </text>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>
"#;

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn built() -> Vec<u8> {
    let doc = CdaFile {
        name: "lettre.xml".into(),
        bytes: CDA.as_bytes().to_vec(),
    };
    build_xdm(&patient(), &[doc], &source()).unwrap().zip
}

/// The METADATA.XML of the package the builder makes.
fn built_metadata() -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(built())).unwrap();
    let mut file = archive.by_name("IHE_XDM/SUBSET01/METADATA.XML").unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
    text
}

#[test]
fn a_built_package_reads_back_with_patient_documents_and_headers() {
    let doc = CdaFile {
        name: "lettre.xml".into(),
        bytes: CDA.as_bytes().to_vec(),
    };
    let built = build_xdm(&patient(), &[doc.clone(), doc], &source()).unwrap();
    assert_eq!(built.cda_codes, vec!["11490-0", "11490-0"]);
    let headers = built.cda_headers();
    assert_eq!(headers.code_cda, "11490-0,11490-0");
    assert!(headers.ins_qualified);

    let package = read_xdm(&built.zip).unwrap();
    assert_eq!(package.subset, "IHE_XDM/SUBSET01");
    let p = &package.patient;
    assert_eq!(p.ins.as_deref(), Some("285036444512379"));
    assert_eq!(p.id_oid.as_deref(), Some("1.2.250.1.213.1.4.8"));
    assert_eq!(p.family_name.as_deref(), Some("DUBOIS"));
    assert_eq!(p.given_names.as_deref(), Some("Camille Anne"));
    assert_eq!(p.birth_date.as_deref(), Some("19850314"));
    assert_eq!(p.birth_date_fr.as_deref(), Some("14/03/1985"));
    assert_eq!(p.sex.as_deref(), Some("F"));

    assert_eq!(package.documents.len(), 2);
    let d = &package.documents[0];
    assert_eq!(d.path, "IHE_XDM/SUBSET01/DOC0001.XML");
    assert_eq!(d.title.as_deref(), Some("Lettre de liaison à la sortie"));
    assert_eq!(d.cda_code.as_deref(), Some("11490-0"));
    assert!(d.text.contains("Motif d'hospitalisation"), "{}", d.text);
    assert!(
        d.text.contains("Douleur thoracique & dyspnée."),
        "{}",
        d.text
    );
    assert!(d.text.contains("Aspirine 75 mg"), "{}", d.text);
    let html = d.html.as_deref().unwrap();
    assert!(html.contains("<li>Troponine négative</li>"), "{html}");
    assert!(html.contains("<td>Aspirine 75 mg</td>"), "{html}");
    assert!(html.contains("Douleur thoracique &amp; dyspnée."), "{html}");
    // No script, no link to the network: text only.
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("pistage.example"), "{html}");
    assert!(html.contains("le site"), "{html}");
    assert_eq!(
        package.other_files,
        vec!["INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"]
    );
}

#[test]
fn the_built_metadata_names_the_patient_and_each_document() {
    let metadata = built_metadata();
    for needle in [
        "285036444512379^^^&amp;1.2.250.1.213.1.4.8&amp;ISO",
        "PID-5|DUBOIS^Camille Anne^^^^^L",
        "PID-7|19850314",
        "PID-8|F",
        "<rim:Slot name=\"URI\"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value>",
        "nodeRepresentation=\"11490-0\"",
        "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427",
        "<rim:Slot name=\"hash\">",
    ] {
        assert!(metadata.contains(needle), "{needle} missing in {metadata}");
    }
}

#[test]
fn a_cda_without_a_type_code_is_not_packaged() {
    let doc = CdaFile {
        name: "sans-code.xml".into(),
        bytes: b"<ClinicalDocument><title>x</title></ClinicalDocument>".to_vec(),
    };
    let err = build_xdm(&patient(), &[doc], &source()).unwrap_err();
    assert_eq!(
        err,
        XdmError::NoCdaCode {
            name: "sans-code.xml".into()
        }
    );
    assert_eq!(
        build_xdm(&patient(), &[], &source()).unwrap_err(),
        XdmError::NoDocument
    );
}

const METADATA_HEAD: &str = r#"<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>"#;

fn metadata_with_uri(uri: &str) -> String {
    format!(
        "{METADATA_HEAD}<rim:ExtrinsicObject id=\"D\" mimeType=\"text/xml\"><rim:Slot name=\"URI\"><rim:ValueList><rim:Value>{uri}</rim:Value></rim:ValueList></rim:Slot></rim:ExtrinsicObject></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )
}

/// A package whose metadata gives the patient only in `sourcePatientId` (as the demo mail's
/// and some senders' do) and `sourcePatientInfo`: the INS and the traits are read.
#[test]
fn the_patient_comes_from_source_patient_id_and_info() {
    let metadata = format!(
        "{METADATA_HEAD}<rim:ExtrinsicObject id=\"D\" mimeType=\"text/xml\">\
<rim:Slot name=\"URI\"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value></rim:ValueList></rim:Slot>\
<rim:Slot name=\"sourcePatientId\"><rim:ValueList><rim:Value>293112A00412992^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH</rim:Value></rim:ValueList></rim:Slot>\
<rim:Slot name=\"sourcePatientInfo\"><rim:ValueList><rim:Value>PID-5|SANTONI^Lucia^^^^^L</rim:Value><rim:Value>PID-7|19931121</rim:Value><rim:Value>PID-8|F</rim:Value></rim:ValueList></rim:Slot>\
</rim:ExtrinsicObject></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    );
    let zip = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
        (
            "IHE_XDM/SUBSET01/DOC0001.XML",
            b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component><nonXMLBody><text mediaType=\"text/plain\">Patient vu en consultation.</text></nonXMLBody></component></ClinicalDocument>",
        ),
    ]);
    let package = read_xdm(&zip).unwrap();
    assert_eq!(package.patient.ins.as_deref(), Some("293112A00412992"));
    assert_eq!(package.patient.family_name.as_deref(), Some("SANTONI"));
    assert_eq!(package.patient.given_names.as_deref(), Some("Lucia"));
    assert_eq!(package.patient.birth_date_fr.as_deref(), Some("21/11/1993"));
    // A plain-text body (`nonXMLBody`) is the readable part.
    assert_eq!(
        package.documents[0].text.trim(),
        "Patient vu en consultation."
    );
}

#[test]
fn path_traversal_is_refused() {
    for name in [
        "../evil.txt",
        "IHE_XDM/../../evil.txt",
        "/etc/passwd",
        "IHE_XDM\\..\\x",
    ] {
        let zip = zip_of(&[(name, b"x")]);
        let err = read_xdm(&zip).unwrap_err();
        assert!(
            matches!(err, XdmError::PathTraversal { .. }),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("sort de l'archive"), "{err}");
    }
    // The metadata pointing outside the package.
    let metadata = metadata_with_uri("../../../etc/passwd");
    let zip = zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes())]);
    assert!(matches!(
        read_xdm(&zip).unwrap_err(),
        XdmError::PathTraversal { .. }
    ));
    // …and a document the metadata names but the zip lacks.
    let metadata = metadata_with_uri("DOC0001.XML");
    let zip = zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes())]);
    assert_eq!(
        read_xdm(&zip).unwrap_err(),
        XdmError::MissingDocument {
            uri: "DOC0001.XML".into()
        }
    );
}

#[test]
fn zip_bombs_are_refused() {
    // 8 MiB of zeros deflate to a few kilobytes: a ratio far above 100.
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let zip = zip_of(&[("IHE_XDM/SUBSET01/DOC0001.XML", &zeros)]);
    assert!(zip.len() < 100 * 1024);
    let err = read_xdm(&zip).unwrap_err();
    assert!(matches!(err, XdmError::SuspiciousRatio { .. }), "{err:?}");
    assert!(err.to_string().contains("bombe"), "{err}");

    let small = XdmLimits {
        max_file_bytes: 1000,
        ..XdmLimits::default()
    };
    let zip = zip_of(&[("a.txt", &[b'a'; 2000])]);
    assert!(matches!(
        read_xdm_with(&zip, small).unwrap_err(),
        XdmError::FileTooLarge { .. }
    ));
    let total = XdmLimits {
        max_total_bytes: 1500,
        ..XdmLimits::default()
    };
    let zip = zip_of(&[("a.txt", &[b'a'; 1000]), ("b.txt", &[b'b'; 1000])]);
    assert!(matches!(
        read_xdm_with(&zip, total).unwrap_err(),
        XdmError::TotalTooLarge { .. }
    ));
    let few = XdmLimits {
        max_files: 2,
        ..XdmLimits::default()
    };
    let zip = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    assert_eq!(
        read_xdm_with(&zip, few).unwrap_err(),
        XdmError::TooManyFiles { count: 3, max: 2 }
    );
}

/// Which refusal an input must get.
type Expected = fn(&XdmError) -> bool;

#[test]
fn bad_xml_and_xxe_are_refused() {
    let cases: [(&str, Expected); 5] = [
        ("<lcm:SubmitObjectsRequest><rim:X></lcm:SubmitObjectsRequest>", |e| {
            matches!(e, XdmError::BadXml { .. })
        }),
        ("<a>", |e| matches!(e, XdmError::BadXml { .. })),
        (
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>",
            |e| matches!(e, XdmError::Dtd { .. }),
        ),
        ("<r>&xxe;</r>", |e| matches!(e, XdmError::Dtd { .. })),
        (
            "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>",
            |e| matches!(e, XdmError::Dtd { .. }),
        ),
    ];
    for (xml, expected) in cases {
        let zip = zip_of(&[("IHE_XDM/SUBSET01/METADATA.XML", xml.as_bytes())]);
        let err = read_xdm(&zip).unwrap_err();
        assert!(expected(&err), "{xml}: {err:?}");
        assert!(err.to_string().contains("METADATA.XML"), "{err}");
    }
    // A DTD in a CDA document is refused too.
    let metadata = metadata_with_uri("DOC0001.XML");
    let cda =
        "<!DOCTYPE ClinicalDocument SYSTEM \"http://pistage.example/dtd\"><ClinicalDocument/>";
    let zip = zip_of(&[
        ("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes()),
        ("IHE_XDM/SUBSET01/DOC0001.XML", cda.as_bytes()),
    ]);
    assert!(matches!(read_xdm(&zip).unwrap_err(), XdmError::Dtd { .. }));
}

#[test]
fn not_a_package_is_said_so() {
    assert!(matches!(
        read_xdm(b"PK\x03\x04 pas un zip").unwrap_err(),
        XdmError::NotZip { .. }
    ));
    let zip = zip_of(&[("README.TXT", b"bonjour")]);
    assert_eq!(read_xdm(&zip).unwrap_err(), XdmError::NoMetadata);
    assert!(XdmError::NoMetadata.to_string().contains("IHE XDM"));
}

/// The package committed as the fuzzer's seed (tests/fixtures/xdm, made by `build_xdm`)
/// still reads.
#[test]
fn the_seed_package_reads() {
    let zip = include_bytes!("fixtures/xdm/IHE_XDM.ZIP");
    let package = read_xdm(zip).unwrap();
    assert_eq!(package.patient.ins.as_deref(), Some("285036444512379"));
    assert_eq!(package.documents.len(), 1);
}

/// The composer sends the package with its headers, and the reader opens it again from the
/// message: what a patient-mode send and a hospital's reply go through.
#[test]
fn a_message_carries_the_package_and_its_headers_and_the_reader_opens_it() {
    let doc = CdaFile {
        name: "lettre.xml".into(),
        bytes: CDA.as_bytes().to_vec(),
    };
    let built = build_xdm(&patient(), &[doc.clone(), doc], &source()).unwrap();
    let marie = BoxAddress::parse("marie.martin@ch-demo.mssante.fr").unwrap();
    let author = Author::new(
        "Marie MARTIN",
        NationalId::parse("810100000041").unwrap(),
        Some(marie.clone()),
    )
    .unwrap();
    let mut m = relais_mail::Outgoing::new(relais_mail::Identity {
        from_box: marie,
        from_display_name: String::new(),
        sender: None,
        author,
        x_mss_nil: "RELAIS-TEST-NIL".into(),
    });
    m.to.push(relais_mail::Recipient::new(patient().address()));
    m.subject = "Votre lettre de liaison".into();
    m.text = "Bonjour,\n\nVeuillez trouver votre lettre de liaison.\n".into();
    m.attachments.push(relais_mail::Attachment::new(
        BuiltXdm::FILE_NAME,
        built.zip.clone(),
    ));
    m.cda = Some(built.cda_headers());
    let rendered = relais_mail::render(&m).unwrap();

    let shown = relais_mail::MessageDisplay::from_raw(&rendered.bytes);
    assert_eq!(
        shown.special.mss_codecda.as_deref(),
        Some("11490-0,11490-0")
    );
    assert_eq!(shown.special.mss_ins.as_deref(), Some("O"));
    let attachment = shown
        .attachments
        .iter()
        .find(|a| a.filename == BuiltXdm::FILE_NAME)
        .expect("the package is attached");
    let zip = relais_mail::attachment_bytes(&rendered.bytes, attachment.index).unwrap();
    assert_eq!(zip, built.zip);
    let package = read_xdm(&zip).unwrap();
    assert_eq!(package.patient.ins.as_deref(), Some("285036444512379"));
    assert_eq!(package.documents.len(), 2);
}
