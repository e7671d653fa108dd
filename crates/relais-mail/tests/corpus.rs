//! The display model against the fixture corpus: every hostile message comes out inert, every
//! malformed one displays with notes, and huge or deeply nested messages stay fast.
//!
//! Add a message to `tests/fixtures/hostile/` or `tests/fixtures/malformed/` and it is tested:
//! the loops below read the folders.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use relais_mail::{attachment_bytes, MessageDisplay, RemoteContent};

fn fixtures(folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                std::fs::read(&p).expect("read fixture"),
            )
        })
        .collect();
    files.sort();
    files
}

fn fixture(folder: &str, name: &str) -> Vec<u8> {
    fixtures(folder)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b)
        .expect("fixture exists")
}

/// Attribute names of every tag in serialised HTML (quote-aware).
fn attribute_names(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let tag_text = &rest[start + 1..];
        let mut end = tag_text.len();
        let mut in_quote = false;
        for (i, c) in tag_text.char_indices() {
            match c {
                '"' => in_quote = !in_quote,
                '>' if !in_quote => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let tag = &tag_text[..end];
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut in_quote = false;
        for c in tag.chars() {
            match c {
                '"' => {
                    in_quote = !in_quote;
                    current.push(c);
                }
                c if c.is_whitespace() && !in_quote => {
                    if !current.is_empty() {
                        parts.push(std::mem::take(&mut current));
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            parts.push(current);
        }
        let name = parts.first().cloned().unwrap_or_default();
        for attr in parts.iter().skip(1) {
            let attr_name = attr
                .split('=')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let value = attr
                .split_once('=')
                .map(|(_, v)| v.trim_matches('"').to_owned());
            found.push((format!("{name} {attr_name}"), value.unwrap_or_default()));
        }
        rest = &tag_text[end.min(tag_text.len())..];
    }
    found
}

fn assert_inert(name: &str, html: &str, remote: RemoteContent) {
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<script",
        "javascript:",
        "vbscript:",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<button",
        "<textarea",
        "<base",
        "<meta",
        "<link",
        "<svg",
        "<math",
        "<style",
        "<frame",
        "<applet",
        "<video",
        "<audio",
        "url(",
        "@import",
        "expression(",
        "srcset",
        "background=",
        "formaction",
        "http-equiv",
    ] {
        assert!(
            !lower.contains(forbidden),
            "{name}: « {forbidden} » in {html}"
        );
    }
    for (attr, value) in attribute_names(html) {
        let attr_name = attr.split(' ').nth(1).unwrap_or_default();
        assert!(
            !attr_name.starts_with("on"),
            "{name}: handler {attr} in {html}"
        );
        let v = value.to_ascii_lowercase();
        if attr_name == "src" {
            match remote {
                RemoteContent::Block => assert!(
                    !v.starts_with("http"),
                    "{name}: remote image {value} in {html}"
                ),
                RemoteContent::Allow => assert!(
                    !v.starts_with("http:"),
                    "{name}: plain http image {value} in {html}"
                ),
            }
            if v.starts_with("data:") {
                assert!(
                    [
                        "data:image/png;",
                        "data:image/jpeg;",
                        "data:image/gif;",
                        "data:image/webp;"
                    ]
                    .iter()
                    .any(|p| v.starts_with(p)),
                    "{name}: data URI {value}"
                );
            }
        }
        if attr_name == "href" {
            assert!(
                v.starts_with("https:") || v.starts_with("http:") || v.starts_with("mailto:"),
                "{name}: link {value} in {html}"
            );
        }
    }
}

#[test]
fn hostile_messages_come_out_inert() {
    let corpus = fixtures("hostile");
    assert!(corpus.len() >= 13, "corpus: {}", corpus.len());
    for (name, raw) in corpus {
        for remote in [RemoteContent::Block, RemoteContent::Allow] {
            let shown = MessageDisplay::from_raw_with(&raw, remote);
            let html = shown.html.clone().unwrap_or_default();
            assert_inert(&name, &html, remote);
            // The derived text never carries markup that a naive UI could render.
            assert!(
                !shown.text.to_ascii_lowercase().contains("<script"),
                "{name}: text"
            );
        }
    }
}

#[test]
fn tracking_pixels_and_remote_images_are_blocked_by_default() {
    let shown = MessageDisplay::from_raw(&fixture("hostile", "newsletter.eml"));
    let html = shown.html.as_deref().expect("html body");
    assert!(shown.has_remote_content);
    assert!(!html.contains("tracker"), "{html}");
    assert!(!html.contains("banniere.png"), "{html}");
    assert!(html.contains(r#"alt="Bannière""#), "{html}");
    assert!(html.contains(r#"rel="noopener noreferrer""#), "{html}");
    assert!(
        html.contains(r#"title="https://ght-demo.example/lettre/novembre""#),
        "{html}"
    );
    assert!(shown.text.contains("Lire en ligne"), "{}", shown.text);
    assert_eq!(
        shown.to[0].name.as_deref(),
        Some("Secrétariat de cardiologie")
    );
    assert_eq!(shown.subject, "La lettre du GHT — novembre 2026");
    assert_eq!(shown.special.mss_nil.as_deref(), Some("RELAIS-DEMO-SEED"));

    let allowed =
        MessageDisplay::from_raw_with(&fixture("hostile", "newsletter.eml"), RemoteContent::Allow);
    let html = allowed.html.as_deref().expect("html body");
    assert!(html.contains(r#"src="https://newsletter.ght-demo.example/banniere.png""#));
}

#[test]
fn cid_images_are_embedded_but_never_svg() {
    let raw = fixture("hostile", "cid-svg.eml");
    let shown = MessageDisplay::from_raw(&raw);
    let html = shown.html.as_deref().expect("html");
    assert!(html.contains("src=\"data:image/png;base64,iVBOR"), "{html}");
    assert!(
        !html.contains("image/svg") && !html.contains("<svg"),
        "{html}"
    );
    assert_eq!(shown.cid_parts.len(), 2, "{:?}", shown.cid_parts);
    let svg = shown
        .cid_parts
        .iter()
        .find(|c| c.content_type == "image/svg+xml")
        .expect("svg part");
    assert!(!svg.embedded);
    let png = shown.cid_parts.iter().find(|c| c.embedded).expect("png");
    let bytes = attachment_bytes(&raw, png.attachment_index).expect("bytes");
    assert!(bytes.starts_with(b"\x89PNG"));
}

#[test]
fn seed_malformed_message_displays_with_notes() {
    let raw = fixture("malformed", "seed-malformed.eml");
    let shown = MessageDisplay::from_raw(&raw);
    let notes = shown.malformed_notes.join("\n");
    assert!(notes.contains("frontière MIME introuvable"), "{notes}");
    assert!(
        notes.contains("Jeu de caractères inconnu (x-inconnu) : texte affiché au mieux"),
        "{notes}"
    );
    assert!(notes.contains("Date invalide"), "{notes}");
    assert_eq!(shown.date, None);
    assert_eq!(shown.subject, "Message mal formé (test)");
    assert_eq!(
        shown.from.as_ref().map(|f| f.address.as_str()),
        Some("inconnu@ch-demo.mssante.fr")
    );
    assert_eq!(
        shown.message_id.as_deref(),
        Some("malforme-1@ch-demo.mssante.fr")
    );
    // Recovered with the boundary actually used: the text and the (truncated) PDF.
    assert!(
        shown.text.contains("Ce message est mal form"),
        "{}",
        shown.text
    );
    assert!(
        shown
            .attachments
            .iter()
            .any(|a| a.filename == "tronque.pdf"),
        "{:?}",
        shown.attachments
    );
}

#[test]
fn every_malformed_message_displays() {
    for (name, raw) in fixtures("malformed") {
        let shown = MessageDisplay::from_raw(&raw);
        for attachment in &shown.attachments {
            let _ = attachment_bytes(&raw, attachment.index);
        }
        assert!(attachment_bytes(&raw, 9999).is_none(), "{name}");
        let _ = relais_mail::parse_reports(&raw);
    }
    let bad_author = MessageDisplay::from_raw(&fixture("malformed", "bad-author.eml"));
    assert!(bad_author.author.is_none());
    assert!(
        bad_author
            .malformed_notes
            .iter()
            .any(|n| n.starts_with("Auteur illisible")),
        "{:?}",
        bad_author.malformed_notes
    );
    let latin1 = MessageDisplay::from_raw(&fixture("malformed", "latin1-headers.eml"));
    assert_eq!(
        latin1.from.and_then(|f| f.name).as_deref(),
        Some("Hélène ROUX")
    );
    assert_eq!(latin1.subject, "Résultats – biologie");
    assert_eq!(latin1.text.trim(), "Résultats validés.");
    assert!(
        latin1.malformed_notes.is_empty(),
        "{:?}",
        latin1.malformed_notes
    );
    let no_boundary = MessageDisplay::from_raw(&fixture("malformed", "no-boundary-param.eml"));
    assert!(
        no_boundary
            .malformed_notes
            .iter()
            .any(|n| n.contains("frontière MIME absente")),
        "{:?}",
        no_boundary.malformed_notes
    );
}

#[test]
fn xdm_zip_is_detected() {
    // A minimal zip local header naming IHE_XDM/SUBSET01/METADATA.XML, sent as "cda.zip".
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(&[29, 0, 0, 0]);
    zip.extend_from_slice(b"IHE_XDM/SUBSET01/METADATA.XML");
    let encoded = relais_mail::encoding::base64(&zip);
    let raw = format!(
        "From: Dr LEROY <jacques.leroy@cardio-pau.mssante.fr>\r\nSubject: CDA\r\n\
         X-MSS-CODECDA: 11488-4\r\nX-MSS-INS: O\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         CR joint.\r\n--b\r\nContent-Type: application/zip\r\n\
         Content-Disposition: attachment; filename=cda.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {encoded}\r\n--b--\r\n"
    );
    let shown = MessageDisplay::from_raw(raw.as_bytes());
    assert!(shown.has_xdm, "{:?}", shown.attachments);
    assert_eq!(shown.special.mss_codecda.as_deref(), Some("11488-4"));
    assert_eq!(shown.special.mss_ins.as_deref(), Some("O"));
    assert_eq!(
        attachment_bytes(raw.as_bytes(), 0).as_deref(),
        Some(&zip[..])
    );
}

#[test]
fn ten_thousand_recipients_stay_fast() {
    let mut raw = String::from("From: a@ch-demo.mssante.fr\r\nSubject: beaucoup\r\nTo: ");
    for i in 0..10_000 {
        raw.push_str(&format!("Personne {i} <p{i}@ch-demo.mssante.fr>,\r\n "));
    }
    raw.push_str("dernier@ch-demo.mssante.fr\r\n\r\ncorps\r\n");
    let start = Instant::now();
    let shown = MessageDisplay::from_raw(raw.as_bytes());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(shown.to.len(), 10_001);
}

#[test]
fn deeply_nested_multipart_stays_fast() {
    let depth = 200;
    let mut raw =
        String::from("From: a@ch-demo.mssante.fr\r\nSubject: profond\r\nMIME-Version: 1.0\r\n");
    for level in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nau fond\r\n");
    for level in (0..depth).rev() {
        raw.push_str(&format!("--b{level}--\r\n"));
    }
    let start = Instant::now();
    let shown = MessageDisplay::from_raw(raw.as_bytes());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(shown.text.contains("au fond"), "{}", shown.text);

    // Nested message/rfc822, 200 deep.
    let mut inner = String::from("From: x@ch-demo.mssante.fr\r\nSubject: fond\r\n\r\nau fond\r\n");
    for _ in 0..depth {
        inner = format!(
            "From: x@ch-demo.mssante.fr\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n{inner}"
        );
    }
    let start = Instant::now();
    let _ = MessageDisplay::from_raw(inner.as_bytes());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );

    // Deeply nested HTML.
    let html = format!(
        "From: a@ch-demo.mssante.fr\r\nContent-Type: text/html\r\n\r\n{}x{}",
        "<div>".repeat(5000),
        "</div>".repeat(5000)
    );
    let start = Instant::now();
    let shown = MessageDisplay::from_raw(html.as_bytes());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(shown.html.is_some());
}
