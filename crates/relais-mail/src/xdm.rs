//! IHE XDM packages (`IHE_XDM.ZIP`), the way health documents travel over MSSanté: a zip with
//! `IHE_XDM/<SUBSET>/METADATA.XML` (an ebRS `SubmitObjectsRequest`) describing the patient and
//! the documents of the subset, usually CDA R2 files next to it.
//!
//! - [`read_xdm`]: the patient (INS, name, birth date, sex), each document with its CDA
//!   human-readable part rendered as plain text and as sanitised HTML (no script, no network:
//!   the same allow-list as the reader, remote content blocked), and the other files listed.
//! - [`build_xdm`]: a package for a [`QualifiedPatient`] and CDA documents, with the values
//!   of the `X-MSS-CODECDA` (each CDA's `ClinicalDocument/code/@code`) and `X-MSS-INS` headers
//!   for the composer ([`BuiltXdm::cda_headers`]).
//!
//! A zip is untrusted input: it is refused, with a French [`XdmError`], when a name leaves the
//! package (`../`, absolute paths), when it holds too many files, a file or a total too large,
//! or a suspicious compression ratio (zip bomb; the sizes read are checked, not only the
//! declared ones), when an XML file is malformed, declares a DTD (XXE, entity expansion) or
//! uses an entity other than the five of XML. Nothing is ever written to disk.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use relais_core::{Ins, QualifiedPatient};
use serde::{Deserialize, Serialize};
use sha1::Digest as _;
use thiserror::Error;

use crate::compose::CdaHeaders;
use crate::display::RemoteContent;

/// Limits applied when reading a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdmLimits {
    /// Most entries in the zip.
    pub max_files: usize,
    /// Largest uncompressed file, in bytes.
    pub max_file_bytes: u64,
    /// Largest uncompressed total, in bytes.
    pub max_total_bytes: u64,
    /// Largest uncompressed/compressed ratio of a file over 1 MiB.
    pub max_ratio: u64,
    /// Deepest XML nesting.
    pub max_xml_depth: usize,
}

impl Default for XdmLimits {
    /// Generous for real packages (messages to patients are capped at about 25 MB).
    fn default() -> Self {
        XdmLimits {
            max_files: 500,
            max_file_bytes: 50 * 1024 * 1024,
            max_total_bytes: 100 * 1024 * 1024,
            max_ratio: 100,
            max_xml_depth: 256,
        }
    }
}

/// Size under which no ratio is checked (small XML files compress very well).
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Why a package cannot be read or built. French messages: they reach the user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XdmError {
    #[error("La pièce jointe n'est pas une archive ZIP lisible : {detail}")]
    NotZip { detail: String },
    #[error("L'archive IHE XDM est refusée : le fichier « {name} » sort de l'archive (chemin dangereux).")]
    PathTraversal { name: String },
    #[error(
        "L'archive IHE XDM est refusée : elle contient trop de fichiers ({count}, au plus {max})."
    )]
    TooManyFiles { count: usize, max: usize },
    #[error("L'archive IHE XDM est refusée : le fichier « {name} » est trop volumineux une fois décompressé (plus de {max} octets).")]
    FileTooLarge { name: String, max: u64 },
    #[error("L'archive IHE XDM est refusée : son contenu décompressé dépasse {max} octets.")]
    TotalTooLarge { max: u64 },
    #[error("L'archive IHE XDM est refusée : le fichier « {name} » est anormalement compressé (rapport {ratio} pour 1, bombe de décompression probable).")]
    SuspiciousRatio { name: String, ratio: u64 },
    #[error("L'archive IHE XDM est refusée : le fichier « {name} » est chiffré.")]
    Encrypted { name: String },
    #[error("L'archive n'est pas un paquet IHE XDM : aucun fichier IHE_XDM/…/METADATA.XML.")]
    NoMetadata,
    #[error("Le fichier XML « {name} » de l'archive IHE XDM est invalide : {detail}")]
    BadXml { name: String, detail: String },
    #[error("Le fichier XML « {name} » de l'archive IHE XDM déclare une DTD ou une entité externe : refusé par sécurité.")]
    Dtd { name: String },
    #[error("Le document « {uri} » annoncé par METADATA.XML est absent de l'archive IHE XDM.")]
    MissingDocument { uri: String },
    #[error("Le document CDA « {name} » n'a pas de code de type de document (ClinicalDocument/code/@code).")]
    NoCdaCode { name: String },
    #[error("Aucun document à mettre dans le paquet IHE XDM.")]
    NoDocument,
    #[error("Le nom de document « {name} » est invalide dans un paquet IHE XDM.")]
    BadName { name: String },
    #[error("Le paquet IHE XDM n'a pas pu être écrit : {detail}")]
    Write { detail: String },
}

/// The patient of a package, from `METADATA.XML`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct XdmPatient {
    /// The patient identifier (`patientId`, `PID-3`): the matricule INS when the assigning
    /// authority is an INS one (`1.2.250.1.213.1.4.8` and its test/demo OIDs).
    pub id: Option<String>,
    /// The assigning authority's OID of [`Self::id`].
    pub id_oid: Option<String>,
    /// The INS, when the identifier is one and valid (key checked).
    pub ins: Option<String>,
    /// Birth name (`PID-5` first component).
    pub family_name: Option<String>,
    /// First names (`PID-5` second component).
    pub given_names: Option<String>,
    /// Birth date as written (`PID-7`, `YYYYMMDD`), and in French (`JJ/MM/AAAA`) when valid.
    pub birth_date: Option<String>,
    pub birth_date_fr: Option<String>,
    /// `PID-8`: `F`, `M`, `U`…
    pub sex: Option<String>,
}

/// One document of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XdmDocument {
    /// Its path in the zip.
    pub path: String,
    /// Its title (`Name` in the metadata, else the CDA `title`).
    pub title: Option<String>,
    pub mime_type: Option<String>,
    /// The CDA type code (`ClinicalDocument/code/@code`), when it is a CDA document.
    pub cda_code: Option<String>,
    /// The CDA human-readable part as plain text (empty when not CDA).
    pub text: String,
    /// The same as sanitised HTML (no script, no remote content); `None` when not CDA.
    pub html: Option<String>,
    pub size: u64,
}

/// A package as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XdmPackage {
    /// The folder of `METADATA.XML` (`IHE_XDM/SUBSET01`).
    pub subset: String,
    pub patient: XdmPatient,
    pub documents: Vec<XdmDocument>,
    /// Every other file of the zip (`INDEX.HTM`, `README.TXT`, `METADATA.XML`…).
    pub other_files: Vec<String>,
}

/// OIDs of the INS assigning authorities: INS-NIR, INS-NIA, and the test and demo ones.
const INS_OIDS: [&str; 4] = [
    "1.2.250.1.213.1.4.8",
    "1.2.250.1.213.1.4.9",
    "1.2.250.1.213.1.4.10",
    "1.2.250.1.213.1.4.11",
];
/// `XDSDocumentEntry.patientId` identification scheme.
const SCHEME_PATIENT_ID: &str = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
/// `XDSDocumentEntry.uniqueId`.
const SCHEME_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
/// `XDSSubmissionSet.patientId` / `.uniqueId` / `.sourceId`.
const SCHEME_SET_PATIENT_ID: &str = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
const SCHEME_SET_UNIQUE_ID: &str = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
const SCHEME_SET_SOURCE_ID: &str = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
/// Object type of a stable document entry.
const TYPE_DOCUMENT_ENTRY: &str = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
/// Classification node of a submission set.
const NODE_SUBMISSION_SET: &str = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Read an `IHE_XDM.ZIP` with the default limits.
pub fn read_xdm(zip: &[u8]) -> Result<XdmPackage, XdmError> {
    read_xdm_with(zip, XdmLimits::default())
}

/// Read an `IHE_XDM.ZIP` with the given limits.
pub fn read_xdm_with(zip: &[u8], limits: XdmLimits) -> Result<XdmPackage, XdmError> {
    let files = unzip(zip, limits)?;
    let metadata_path = files
        .iter()
        .map(|(name, _)| name)
        .find(|name| is_metadata(name))
        .cloned()
        .ok_or(XdmError::NoMetadata)?;
    let subset = metadata_path
        .rsplit_once('/')
        .map(|(dir, _)| dir.to_string())
        .unwrap_or_default();
    let by_name: HashMap<String, &[u8]> = files
        .iter()
        .map(|(n, b)| (n.to_ascii_uppercase(), b.as_slice()))
        .collect();
    let metadata = by_name
        .get(&metadata_path.to_ascii_uppercase())
        .copied()
        .unwrap_or_default();
    let entries = parse_metadata(metadata, &metadata_path, limits)?;

    let mut patient = XdmPatient::default();
    let mut documents = Vec::new();
    let mut used = vec![metadata_path.to_ascii_uppercase()];
    for entry in entries {
        merge_patient(&mut patient, &entry);
        let Some(uri) = entry.uri.clone() else {
            continue;
        };
        let path =
            resolve(&subset, &uri).ok_or_else(|| XdmError::PathTraversal { name: uri.clone() })?;
        let bytes = by_name
            .get(&path.to_ascii_uppercase())
            .copied()
            .ok_or(XdmError::MissingDocument { uri: uri.clone() })?;
        used.push(path.to_ascii_uppercase());
        let cda = if looks_like_xml(entry.mime_type.as_deref(), &path) {
            Some(read_cda(bytes, &path, limits)?)
        } else {
            None
        };
        let (text, html, cda_code, cda_title) = match cda {
            Some(c) if c.is_cda => {
                let html = crate::html::sanitise(&c.html, RemoteContent::Block, HashMap::new());
                (c.text, Some(html.html), c.code, c.title)
            }
            _ => (String::new(), None, None, None),
        };
        documents.push(XdmDocument {
            path,
            title: entry.title.or(cda_title),
            mime_type: entry.mime_type,
            cda_code,
            text,
            html,
            size: bytes.len() as u64,
        });
    }
    let other_files = files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| !used[1..].contains(&n.to_ascii_uppercase()))
        .cloned()
        .collect();
    Ok(XdmPackage {
        subset,
        patient,
        documents,
        other_files,
    })
}

fn is_metadata(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split('/').collect();
    parts.len() == 3 && parts[0] == "IHE_XDM" && parts[2] == "METADATA.XML"
}

fn looks_like_xml(mime: Option<&str>, path: &str) -> bool {
    mime.is_some_and(|m| m.contains("xml")) || path.to_ascii_lowercase().ends_with(".xml")
}

/// A relative URI of the metadata, resolved against the subset folder; `None` when it
/// would leave the package.
fn resolve(subset: &str, uri: &str) -> Option<String> {
    let uri = uri.trim();
    if uri.is_empty() || uri.starts_with('/') || uri.contains('\\') || uri.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = subset.split('/').filter(|p| !p.is_empty()).collect();
    for part in uri.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Every file of the zip (name, bytes), within the limits.
fn unzip(zip: &[u8], limits: XdmLimits) -> Result<Vec<(String, Vec<u8>)>, XdmError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| XdmError::NotZip {
        detail: e.to_string(),
    })?;
    if archive.len() > limits.max_files {
        return Err(XdmError::TooManyFiles {
            count: archive.len(),
            max: limits.max_files,
        });
    }
    let mut total: u64 = 0;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("ncrypt") => {
                XdmError::Encrypted {
                    name: format!("n° {}", i + 1),
                }
            }
            other => XdmError::NotZip {
                detail: other.to_string(),
            },
        })?;
        let raw_name = file
            .name()
            .map_err(|e| XdmError::NotZip {
                detail: e.to_string(),
            })?
            .into_owned();
        let enclosed = file
            .enclosed_name()
            .and_then(|p| p.to_str().map(|s| s.replace('\\', "/")));
        let safe = enclosed.filter(|n| {
            !raw_name.starts_with('/')
                && !raw_name.contains('\\')
                && !raw_name.split('/').any(|p| p == "..")
                && !n.is_empty()
        });
        let Some(name) = safe else {
            return Err(XdmError::PathTraversal { name: raw_name });
        };
        if file.is_dir() {
            continue;
        }
        if file.encrypted() {
            return Err(XdmError::Encrypted { name });
        }
        if file.size() > limits.max_file_bytes {
            return Err(XdmError::FileTooLarge {
                name,
                max: limits.max_file_bytes,
            });
        }
        // Read at most one byte more than allowed: the declared size may lie.
        let mut bytes = Vec::new();
        (&mut file)
            .take(limits.max_file_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| XdmError::NotZip {
                detail: format!("{name} : {e}"),
            })?;
        let size = bytes.len() as u64;
        if size > limits.max_file_bytes {
            return Err(XdmError::FileTooLarge {
                name,
                max: limits.max_file_bytes,
            });
        }
        let compressed = file.compressed_size().max(1);
        if size > RATIO_FLOOR && size / compressed > limits.max_ratio {
            return Err(XdmError::SuspiciousRatio {
                name,
                ratio: size / compressed,
            });
        }
        total += size;
        if total > limits.max_total_bytes {
            return Err(XdmError::TotalTooLarge {
                max: limits.max_total_bytes,
            });
        }
        files.push((name, bytes));
    }
    Ok(files)
}

/// An XML reader that refuses DTDs and unknown entities.
struct SafeXml<'a> {
    reader: Reader<&'a [u8]>,
    name: &'a str,
    depth: usize,
    max_depth: usize,
}

/// One event of [`SafeXml`], entities resolved into text.
enum XmlItem<'a> {
    Start(BytesStart<'a>),
    Empty(BytesStart<'a>),
    End,
    Text(String),
    Eof,
}

impl<'a> SafeXml<'a> {
    fn new(bytes: &'a [u8], name: &'a str, max_depth: usize) -> Result<SafeXml<'a>, XdmError> {
        let text = std::str::from_utf8(bytes).map_err(|e| XdmError::BadXml {
            name: name.to_string(),
            detail: format!("texte non UTF-8 ({e})"),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Ok(SafeXml {
            reader: Reader::from_str(text),
            name,
            depth: 0,
            max_depth,
        })
    }

    fn bad(&self, detail: impl Into<String>) -> XdmError {
        XdmError::BadXml {
            name: self.name.to_string(),
            detail: detail.into(),
        }
    }

    fn next(&mut self) -> Result<XmlItem<'a>, XdmError> {
        loop {
            let event = self
                .reader
                .read_event()
                .map_err(|e| self.bad(e.to_string()))?;
            return Ok(match event {
                Event::DocType(_) => {
                    return Err(XdmError::Dtd {
                        name: self.name.to_string(),
                    })
                }
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > self.max_depth {
                        return Err(self.bad("imbrication trop profonde"));
                    }
                    XmlItem::Start(start)
                }
                Event::Empty(start) => XmlItem::Empty(start),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    XmlItem::End
                }
                Event::Text(text) => XmlItem::Text(text.xml10_content().into_owned()),
                Event::CData(data) => XmlItem::Text(data.xml10_content().into_owned()),
                Event::GeneralRef(reference) => {
                    if let Some(c) = reference
                        .resolve_char_ref()
                        .map_err(|e| self.bad(e.to_string()))?
                    {
                        XmlItem::Text(c.to_string())
                    } else {
                        let name = reference.xml10_content();
                        let c = match name.as_ref() {
                            "lt" => "<",
                            "gt" => ">",
                            "amp" => "&",
                            "quot" => "\"",
                            "apos" => "'",
                            _ => {
                                return Err(XdmError::Dtd {
                                    name: self.name.to_string(),
                                })
                            }
                        };
                        XmlItem::Text(c.to_string())
                    }
                }
                Event::Eof => {
                    if self.depth != 0 {
                        return Err(self.bad("fin de fichier avant la fin des éléments"));
                    }
                    XmlItem::Eof
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            });
        }
    }

    fn attr(&self, start: &BytesStart<'_>, local: &str) -> Result<Option<String>, XdmError> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.bad(e.to_string()))?;
            if attr.key.local_name().as_ref() == local {
                let value = attr
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|_| XdmError::Dtd {
                        name: self.name.to_string(),
                    })?;
                return Ok(Some(value.into_owned()));
            }
        }
        Ok(None)
    }
}

fn local(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_string()
}

/// What one `ExtrinsicObject` says.
#[derive(Debug, Default)]
struct Entry {
    uri: Option<String>,
    mime_type: Option<String>,
    title: Option<String>,
    patient_id: Option<String>,
    source_patient: Vec<String>,
}

fn parse_metadata(bytes: &[u8], name: &str, limits: XdmLimits) -> Result<Vec<Entry>, XdmError> {
    let mut xml = SafeXml::new(bytes, name, limits.max_xml_depth)?;
    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    // Element names from the root, and the context of the current Slot / ExternalIdentifier.
    let mut stack: Vec<String> = Vec::new();
    let mut slot: Option<String> = None;
    let mut value = String::new();
    let mut in_value = false;
    let mut saw_root = false;
    loop {
        match xml.next()? {
            XmlItem::Start(start) => {
                let tag = local(&start);
                saw_root = true;
                handle_open(&xml, &start, &tag, &stack, &mut current, &mut slot)?;
                if tag == "Value" {
                    in_value = true;
                    value.clear();
                }
                stack.push(tag);
            }
            XmlItem::Empty(start) => {
                let tag = local(&start);
                saw_root = true;
                handle_open(&xml, &start, &tag, &stack, &mut current, &mut slot)?;
                if tag == "ExtrinsicObject" {
                    if let Some(entry) = current.take() {
                        entries.push(entry);
                    }
                }
            }
            XmlItem::Text(text) => {
                if in_value {
                    value.push_str(&text);
                }
            }
            XmlItem::End => {
                let tag = stack.pop().unwrap_or_default();
                match tag.as_str() {
                    "Value" => {
                        in_value = false;
                        if let (Some(entry), Some(slot)) = (current.as_mut(), slot.as_deref()) {
                            let v = value.trim().to_string();
                            match slot {
                                "URI" => {
                                    // Long URIs are split over several values (`1|part`).
                                    let part = v.split_once('|').map_or(v.as_str(), |(_, p)| p);
                                    entry.uri.get_or_insert_with(String::new).push_str(part);
                                }
                                "sourcePatientInfo" => entry.source_patient.push(v),
                                // The patient's id in the sending domain (XDS `sourcePatientId`):
                                // read as a `PID-3`, so an INS there is found as well.
                                "sourcePatientId" => {
                                    entry.source_patient.push(format!("PID-3|{v}"))
                                }
                                _ => {}
                            }
                        }
                    }
                    "Slot" => slot = None,
                    "ExtrinsicObject" => {
                        if let Some(entry) = current.take() {
                            entries.push(entry);
                        }
                    }
                    _ => {}
                }
            }
            XmlItem::Eof => break,
        }
    }
    if !saw_root {
        return Err(xml.bad("document vide"));
    }
    Ok(entries)
}

fn handle_open(
    xml: &SafeXml<'_>,
    start: &BytesStart<'_>,
    tag: &str,
    stack: &[String],
    current: &mut Option<Entry>,
    slot: &mut Option<String>,
) -> Result<(), XdmError> {
    match tag {
        "ExtrinsicObject" => {
            *current = Some(Entry {
                mime_type: xml.attr(start, "mimeType")?,
                ..Entry::default()
            });
        }
        "Slot" => *slot = xml.attr(start, "name")?,
        "ExternalIdentifier" => {
            if let Some(entry) = current.as_mut() {
                if xml.attr(start, "identificationScheme")?.as_deref() == Some(SCHEME_PATIENT_ID) {
                    entry.patient_id = xml.attr(start, "value")?;
                }
            }
        }
        "LocalizedString" => {
            // The document's own Name, not the Name of a Classification inside it.
            let parent = stack.last().map(String::as_str);
            let grandparent = stack.iter().rev().nth(1).map(String::as_str);
            if parent == Some("Name") && grandparent == Some("ExtrinsicObject") {
                if let Some(entry) = current.as_mut() {
                    entry.title = xml.attr(start, "value")?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// `1234^^^&1.2.250.1.213.1.4.8&ISO` → (id, OID).
fn cx(value: &str) -> (Option<String>, Option<String>) {
    let mut parts = value.split('^');
    let id = parts.next().map(str::trim).filter(|s| !s.is_empty());
    let oid = parts
        .nth(2)
        .and_then(|authority| authority.split('&').nth(1))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    (id.map(String::from), oid.map(String::from))
}

fn merge_patient(patient: &mut XdmPatient, entry: &Entry) {
    let mut ids: Vec<(Option<String>, Option<String>)> = Vec::new();
    if let Some(id) = &entry.patient_id {
        ids.push(cx(id));
    }
    for info in &entry.source_patient {
        let Some((field, value)) = info.split_once('|') else {
            continue;
        };
        let value = value.trim();
        match field.trim() {
            "PID-3" => {
                // Repetitions are separated by `~`.
                ids.extend(value.split('~').map(cx));
            }
            "PID-5" => {
                let mut parts = value.split('^');
                let family = parts.next().map(str::trim).filter(|s| !s.is_empty());
                let given = parts.next().map(str::trim).filter(|s| !s.is_empty());
                if patient.family_name.is_none() {
                    patient.family_name = family.map(String::from);
                    patient.given_names = given.map(String::from);
                }
            }
            "PID-7" if patient.birth_date.is_none() => {
                let date: String = value.chars().take(8).collect();
                patient.birth_date_fr = french_date(&date);
                patient.birth_date = Some(date);
            }
            "PID-8" if patient.sex.is_none() => patient.sex = Some(value.to_string()),
            _ => {}
        }
    }
    for (id, oid) in ids {
        let is_ins = oid.as_deref().is_some_and(|o| INS_OIDS.contains(&o));
        if is_ins && patient.ins.is_none() {
            if let Some(ins) = id.as_deref().and_then(|i| Ins::parse(i).ok()) {
                patient.ins = Some(ins.as_str().to_string());
                patient.id = id.clone();
                patient.id_oid = oid.clone();
            }
        }
        if patient.id.is_none() {
            patient.id = id;
            patient.id_oid = oid;
        }
    }
}

fn french_date(yyyymmdd: &str) -> Option<String> {
    if yyyymmdd.len() != 8 || !yyyymmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let iso = format!(
        "{}-{}-{}",
        &yyyymmdd[0..4],
        &yyyymmdd[4..6],
        &yyyymmdd[6..8]
    );
    relais_core::BirthDate::parse(&iso)
        .ok()
        .map(|d| d.to_french())
}

/// A CDA document's header code, title and human-readable part.
#[derive(Debug, Default)]
struct Cda {
    is_cda: bool,
    code: Option<String>,
    title: Option<String>,
    text: String,
    html: String,
}

/// Narrative block elements and the HTML they become (everything else: text only).
fn narrative_tag(tag: &str, start: &BytesStart<'_>, xml: &SafeXml<'_>) -> Option<&'static str> {
    Some(match tag {
        "paragraph" => "p",
        "list" => {
            if xml.attr(start, "listType").ok().flatten().as_deref() == Some("ordered") {
                "ol"
            } else {
                "ul"
            }
        }
        "item" => "li",
        "table" => "table",
        "thead" => "thead",
        "tbody" => "tbody",
        "tfoot" => "tfoot",
        "tr" => "tr",
        "td" => "td",
        "th" => "th",
        "caption" => "caption",
        "br" => "br",
        "sub" => "sub",
        "sup" => "sup",
        _ => return None,
    })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

fn read_cda(bytes: &[u8], name: &str, limits: XdmLimits) -> Result<Cda, XdmError> {
    let mut xml = SafeXml::new(bytes, name, limits.max_xml_depth)?;
    let mut cda = Cda::default();
    let mut stack: Vec<String> = Vec::new();
    // Open HTML elements of the narrative, to close them in order.
    let mut html_stack: Vec<Option<&'static str>> = Vec::new();
    let mut in_title = false;
    let mut section_title = false;
    let mut in_text = 0usize;
    let mut doc_title = String::new();
    loop {
        match xml.next()? {
            XmlItem::Start(start) => {
                let tag = local(&start);
                if stack.is_empty() {
                    cda.is_cda = tag == "ClinicalDocument";
                }
                let parent = stack.last().map(String::as_str);
                if tag == "code" && parent == Some("ClinicalDocument") && cda.code.is_none() {
                    cda.code = xml.attr(&start, "code")?;
                }
                if tag == "title" && parent == Some("ClinicalDocument") {
                    in_title = true;
                }
                if tag == "title" && parent == Some("section") {
                    section_title = true;
                    cda.html.push_str("<h3>");
                }
                if in_text > 0 {
                    let html = narrative_tag(&tag, &start, &xml);
                    if let Some(h) = html {
                        cda.html.push('<');
                        cda.html.push_str(h);
                        cda.html.push('>');
                    }
                    if matches!(tag.as_str(), "paragraph" | "item" | "tr" | "caption") {
                        cda.text.push('\n');
                    }
                    html_stack.push(html);
                    in_text += 1;
                } else if tag == "text"
                    && (parent == Some("section")
                        || (parent == Some("nonXMLBody")
                            // A plain-text body as text; an encoded one (`B64`: a PDF…) is
                            // not readable here.
                            && xml.attr(&start, "representation")?.as_deref() != Some("B64")
                            && xml
                                .attr(&start, "mediaType")?
                                .is_none_or(|m| m.eq_ignore_ascii_case("text/plain"))))
                {
                    in_text = 1;
                    cda.html.push_str("<div>");
                    html_stack.push(Some("div"));
                }
                stack.push(tag);
            }
            XmlItem::Empty(start) => {
                let tag = local(&start);
                let parent = stack.last().map(String::as_str);
                if stack.is_empty() {
                    cda.is_cda = tag == "ClinicalDocument";
                }
                if tag == "code" && parent == Some("ClinicalDocument") && cda.code.is_none() {
                    cda.code = xml.attr(&start, "code")?;
                }
                if in_text > 0 && tag == "br" {
                    cda.html.push_str("<br>");
                    cda.text.push('\n');
                }
            }
            XmlItem::Text(text) => {
                if in_title {
                    doc_title.push_str(&text);
                } else if section_title || in_text > 0 {
                    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !collapsed.is_empty() {
                        if text.starts_with(char::is_whitespace) && !cda.text.ends_with('\n') {
                            cda.text.push(' ');
                        }
                        cda.text.push_str(&collapsed);
                        if text.ends_with(char::is_whitespace) {
                            cda.text.push(' ');
                        }
                        cda.html.push_str(&escape(&text));
                    }
                }
            }
            XmlItem::End => {
                let tag = stack.pop().unwrap_or_default();
                if in_text > 0 {
                    if let Some(Some(h)) = html_stack.pop() {
                        if h != "br" {
                            cda.html.push_str("</");
                            cda.html.push_str(h);
                            cda.html.push('>');
                        }
                    }
                    in_text -= 1;
                    if in_text == 0 {
                        cda.text.push_str("\n\n");
                    }
                } else if tag == "title" && in_title {
                    in_title = false;
                } else if tag == "title" && section_title {
                    section_title = false;
                    cda.html.push_str("</h3>");
                    cda.text.push('\n');
                }
            }
            XmlItem::Eof => break,
        }
    }
    let title = doc_title.split_whitespace().collect::<Vec<_>>().join(" ");
    if !title.is_empty() {
        cda.html = format!("<h2>{}</h2>{}", escape(&title), cda.html);
        cda.title = Some(title);
    }
    cda.text = cda
        .text
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    Ok(cda)
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

/// A CDA document to put in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdaFile {
    /// Its name as the user knows it (only used for messages).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A built package and the header values that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltXdm {
    /// The bytes of `IHE_XDM.ZIP`.
    pub zip: Vec<u8>,
    /// Each document's CDA code, in order (`X-MSS-CODECDA`, multi-valued).
    pub cda_codes: Vec<String>,
    /// Whether the patient's INS is qualified (`X-MSS-INS: O`); always true for a
    /// [`QualifiedPatient`].
    pub ins_qualified: bool,
}

impl BuiltXdm {
    /// The file name to attach the package under.
    pub const FILE_NAME: &'static str = "IHE_XDM.ZIP";

    /// The headers for the composer: `X-MSS-CODECDA` (codes comma-separated when several
    /// documents travel) and `X-MSS-INS`.
    pub fn cda_headers(&self) -> CdaHeaders {
        CdaHeaders {
            code_cda: self.cda_codes.join(","),
            ins_qualified: self.ins_qualified,
        }
    }
}

/// Who makes the package (the submission set's author and source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdmSource {
    /// The author's display name (« Marie MARTIN »).
    pub author: String,
    /// The sending box, for the submission set's intended recipient note.
    pub source_oid: String,
    /// A unique id root for the package's OIDs (e.g. the product's OID).
    pub unique_id: String,
    /// The submission time, `YYYYMMDDHHMMSS` (UTC).
    pub submission_time: String,
}

impl XdmSource {
    /// The source of a package sent at `unix` from `from_box` by `author`. The OIDs are under
    /// `2.25` (ITU-T X.667: an OID made of a UUID, which needs no registration): the
    /// submission set's source id is the box's own (derived from its address, the same for
    /// every package the box sends), the package's unique id root is new each time.
    pub fn for_box(
        author: &str,
        from_box: &relais_core::BoxAddress,
        unix: i64,
    ) -> Result<XdmSource, XdmError> {
        let digest = sha1::Sha1::digest(from_box.as_str().as_bytes());
        let mut box_uuid = [0u8; 16];
        box_uuid.copy_from_slice(&digest[..16]);
        let mut package_uuid = [0u8; 16];
        getrandom::fill(&mut package_uuid).map_err(|e| XdmError::Write {
            detail: format!("pas d'aléa pour l'identifiant du paquet ({e})"),
        })?;
        Ok(XdmSource {
            author: author.to_string(),
            source_oid: format!("2.25.{}", u128::from_be_bytes(box_uuid)),
            unique_id: format!("2.25.{}", u128::from_be_bytes(package_uuid)),
            submission_time: crate::dates::hl7_utc_timestamp(unix),
        })
    }
}

/// Whether a file is a CDA document: its first element is `ClinicalDocument` (HL7 CDA R2).
/// The composer packs such files into IHE XDM when writing to a patient; anything else (a
/// PDF, a text, an XML file that is not readable as safe XML) travels as a plain attachment.
pub fn is_cda(bytes: &[u8]) -> bool {
    let Ok(mut xml) = SafeXml::new(bytes, "", XdmLimits::default().max_xml_depth) else {
        return false;
    };
    loop {
        match xml.next() {
            Ok(XmlItem::Start(start) | XmlItem::Empty(start)) => {
                return local(&start) == "ClinicalDocument"
            }
            Ok(XmlItem::Eof) | Err(_) => return false,
            Ok(XmlItem::End | XmlItem::Text(_)) => continue,
        }
    }
}

/// Build `IHE_XDM.ZIP` for `patient` with the CDA `documents`.
pub fn build_xdm(
    patient: &QualifiedPatient,
    documents: &[CdaFile],
    source: &XdmSource,
) -> Result<BuiltXdm, XdmError> {
    if documents.is_empty() {
        return Err(XdmError::NoDocument);
    }
    let limits = XdmLimits::default();
    let mut codes = Vec::new();
    let mut titles = Vec::new();
    for doc in documents {
        let cda = read_cda(&doc.bytes, &doc.name, limits)?;
        if !cda.is_cda {
            return Err(XdmError::BadXml {
                name: doc.name.clone(),
                detail: "ce n'est pas un document CDA (ClinicalDocument)".into(),
            });
        }
        let code = cda.code.ok_or_else(|| XdmError::NoCdaCode {
            name: doc.name.clone(),
        })?;
        if code.is_empty()
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(XdmError::NoCdaCode {
                name: doc.name.clone(),
            });
        }
        codes.push(code);
        titles.push(cda.title.unwrap_or_else(|| doc.name.clone()));
    }
    let metadata = metadata_xml(patient, documents, &codes, &titles, source);

    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let write_err = |e: &dyn std::fmt::Display| XdmError::Write {
        detail: e.to_string(),
    };
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), XdmError> {
        writer
            .start_file(name, options)
            .map_err(|e| write_err(&e))?;
        writer.write_all(bytes).map_err(|e| write_err(&e))
    };
    put("INDEX.HTM", index_htm(&titles).as_bytes())?;
    put("README.TXT", README.as_bytes())?;
    put("IHE_XDM/SUBSET01/METADATA.XML", metadata.as_bytes())?;
    for (i, doc) in documents.iter().enumerate() {
        put(&format!("IHE_XDM/SUBSET01/DOC{:04}.XML", i + 1), &doc.bytes)?;
    }
    let zip = writer.finish().map_err(|e| write_err(&e))?.into_inner();
    Ok(BuiltXdm {
        zip,
        cda_codes: codes,
        ins_qualified: true,
    })
}

const README: &str = "Paquet IHE XDM (ITI-32) créé par Relais, client MSSanté.\r\n\
Les documents et leurs métadonnées sont dans IHE_XDM/SUBSET01 (METADATA.XML).\r\n";

fn index_htm(titles: &[String]) -> String {
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<li><a href=\"IHE_XDM/SUBSET01/DOC{:04}.XML\">{}</a></li>",
                i + 1,
                escape(t)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>IHE XDM</title></head>\
<body><h1>Documents de santé</h1><ul>{items}</ul><p><a href=\"README.TXT\">README.TXT</a></p></body></html>"
    )
}

fn slot(name: &str, values: &[String]) -> String {
    let values: String = values
        .iter()
        .map(|v| format!("<rim:Value>{}</rim:Value>", escape(v)))
        .collect();
    format!(
        "<rim:Slot name=\"{}\"><rim:ValueList>{values}</rim:ValueList></rim:Slot>",
        escape(name)
    )
}

fn external_id(id: &str, object: &str, scheme: &str, value: &str, name: &str) -> String {
    format!(
        "<rim:ExternalIdentifier id=\"{id}\" registryObject=\"{object}\" identificationScheme=\"{scheme}\" value=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier\"><rim:Name><rim:LocalizedString value=\"{name}\"/></rim:Name></rim:ExternalIdentifier>",
        escape(value)
    )
}

fn metadata_xml(
    patient: &QualifiedPatient,
    documents: &[CdaFile],
    codes: &[String],
    titles: &[String],
    source: &XdmSource,
) -> String {
    let ins = patient.ins.as_str();
    let patient_cx = format!("{ins}^^^&1.2.250.1.213.1.4.8&ISO");
    let traits = &patient.traits;
    let birth = traits.birth_date;
    let pid = vec![
        format!("PID-3|{patient_cx}"),
        format!(
            "PID-5|{}^{}^^^^^L",
            traits.birth_name.trim(),
            traits.first_names.trim()
        ),
        format!(
            "PID-7|{:04}{:02}{:02}",
            birth.year(),
            birth.month(),
            birth.day()
        ),
        format!("PID-8|{}", traits.sex.code()),
    ];
    let mut objects = String::new();
    let mut associations = String::new();
    for (i, doc) in documents.iter().enumerate() {
        let n = i + 1;
        let id = format!("Document{n:02}");
        let hash: String = sha1::Sha1::digest(&doc.bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        objects.push_str(&format!(
            "<rim:ExtrinsicObject id=\"{id}\" mimeType=\"text/xml\" objectType=\"{TYPE_DOCUMENT_ENTRY}\">{}{}{}{}{}{}{}<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name>\
<rim:Classification id=\"{id}-type\" classificationScheme=\"urn:uuid:f0306f51-975f-434e-a61c-c59651d33983\" classifiedObject=\"{id}\" nodeRepresentation=\"{}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\">{}<rim:Name><rim:LocalizedString value=\"{}\"/></rim:Name></rim:Classification>{}{}</rim:ExtrinsicObject>",
            slot("creationTime", std::slice::from_ref(&source.submission_time)),
            slot("hash", &[hash]),
            slot("languageCode", &["fr-FR".to_string()]),
            slot("size", &[doc.bytes.len().to_string()]),
            slot("sourcePatientId", std::slice::from_ref(&patient_cx)),
            slot("sourcePatientInfo", &pid),
            // The file travels next to METADATA.XML.
            slot("URI", &[format!("DOC{n:04}.XML")]),
            escape(&titles[i]),
            escape(&codes[i]),
            slot("codingScheme", &["2.16.840.1.113883.6.1".to_string()]),
            escape(&titles[i]),
            external_id(&format!("{id}-pid"), &id, SCHEME_PATIENT_ID, &patient_cx, "XDSDocumentEntry.patientId"),
            external_id(&format!("{id}-uid"), &id, SCHEME_UNIQUE_ID, &format!("{}.{n}", source.unique_id), "XDSDocumentEntry.uniqueId"),
        ));
        associations.push_str(&format!(
            "<rim:Association id=\"Assoc{n:02}\" associationType=\"urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember\" sourceObject=\"SubmissionSet\" targetObject=\"{id}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association\">{}</rim:Association>",
            slot("SubmissionSetStatus", &["Original".to_string()])
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<lcm:SubmitObjectsRequest xmlns:lcm=\"urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0\" xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">\
<rim:RegistryObjectList>{objects}\
<rim:RegistryPackage id=\"SubmissionSet\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage\">{}\
<rim:Classification id=\"SubmissionSet-class\" classifiedObject=\"SubmissionSet\" classificationNode=\"{NODE_SUBMISSION_SET}\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\"/>\
<rim:Classification id=\"SubmissionSet-author\" classificationScheme=\"urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d\" classifiedObject=\"SubmissionSet\" nodeRepresentation=\"\" objectType=\"urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification\">{}</rim:Classification>\
{}{}{}</rim:RegistryPackage>{associations}</rim:RegistryObjectList></lcm:SubmitObjectsRequest>\n",
        slot("submissionTime", std::slice::from_ref(&source.submission_time)),
        slot("authorPerson", &[format!("^{}", source.author)]),
        external_id("SubmissionSet-pid", "SubmissionSet", SCHEME_SET_PATIENT_ID, &patient_cx, "XDSSubmissionSet.patientId"),
        external_id("SubmissionSet-uid", "SubmissionSet", SCHEME_SET_UNIQUE_ID, &format!("{}.0", source.unique_id), "XDSSubmissionSet.uniqueId"),
        external_id("SubmissionSet-sid", "SubmissionSet", SCHEME_SET_SOURCE_ID, &source.source_oid, "XDSSubmissionSet.sourceId"),
    )
}
