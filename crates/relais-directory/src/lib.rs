//! # relais-directory — the Annuaire Santé, locally, for recipient autocomplete
//!
//! The ANS publishes every MSSanté box in a public extraction: a pipe-separated UTF-8 text
//! file `Extraction_Correspondance_MSSante*.txt` (one header line, then one line per box; about
//! a million lines). This crate imports it into **its own SQLite file** in the profile folder
//! ([`file_in`]; public data, nothing personal to the person using Relais) and answers
//! « cardio 64 » or « dupont pau » in a few milliseconds.
//!
//! - Columns are matched **by name** (case, accents and spacing ignored); unknown columns are
//!   ignored, missing optional ones are tolerated; only `Adresse BAL` is required. The list is
//!   in `docs/collaboration.md` and in [`Column`].
//! - A malformed line (wrong number of fields, invalid UTF-8, no address) is skipped and
//!   counted ([`ImportReport::skipped`]), never fatal.
//! - Import: rows go into a plain table in one transaction with one prepared statement, the
//!   FTS5 index is built afterwards from that table in chunks (progress reported), then
//!   optimised into one segment. Everything happens in a temporary file renamed over the old
//!   directory at the end, so a failed import leaves the previous one in place.
//! - Index: FTS5, contentless, `detail=column` (no positions: smaller, quicker to build, and
//!   no phrase search is needed), tokenizer `unicode61 remove_diacritics 2`, prefix indexes of
//!   2 and 3 characters; columns: names, profession/specialty, structure/service/town/postcode/
//!   department, and the address (without `.mssante.fr`). A query is split into words, each
//!   searched as a prefix, all required, in any order, accents and case ignored; the first
//!   2,000 matches are ranked by bm25 (names first), so that a broad prefix stays fast.
//! - Measured on a generated 1,000,000-row file (`tests/bench/directory`, release build, a
//!   shared 2-core machine): import 8.8 s; autocomplete p50 6 ms, p95 47 ms.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use relais_core::NationalId;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// The hint for an address neither in the directory nor a patient's.
pub const UNKNOWN_HINT: &str = "adresse inconnue de l'annuaire";

/// Name of the directory file in a profile folder.
pub const FILE_NAME: &str = "annuaire.sqlite";

/// The directory file of a profile folder.
pub fn file_in(profile_dir: &Path) -> PathBuf {
    profile_dir.join(FILE_NAME)
}

/// The newest `Extraction_Correspondance_MSSante*.txt` in a folder (e.g. the Downloads
/// folder, or the folder named by the operator profile), by name (the name ends with the
/// extraction's date).
pub fn find_extraction(folder: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("Extraction_Correspondance_MSSante") && n.ends_with(".txt")
            })
        })
        .collect();
    found.sort();
    found.pop()
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("Le fichier de l'annuaire « {path} » ne peut pas être lu : {detail}")]
    Read { path: String, detail: String },
    #[error("Le fichier « {path} » n'est pas une extraction de l'Annuaire Santé : la colonne « {column} » manque dans la ligne d'en-tête.")]
    MissingColumn { path: String, column: &'static str },
    #[error("Le fichier « {path} » est vide.")]
    Empty { path: String },
    #[error("Erreur de la base de l'annuaire ({op}) : {detail}")]
    Sqlite { op: &'static str, detail: String },
    #[error("Import annulé.")]
    Cancelled,
}

pub type Result<T> = std::result::Result<T, DirectoryError>;

trait Op<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T> Op<T> for rusqlite::Result<T> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|e| DirectoryError::Sqlite {
            op,
            detail: e.to_string(),
        })
    }
}

/// The columns of the extraction that Relais reads (others are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    TypeBal,
    AdresseBal,
    TypeIdentifiantPp,
    IdentifiantPp,
    IdentificationNationalePp,
    Civilite,
    Nom,
    Prenom,
    CategorieCode,
    CategorieLibelle,
    ProfessionCode,
    ProfessionLibelle,
    SavoirFaireCode,
    SavoirFaireLibelle,
    Dematerialisation,
    StructureId,
    Service,
    RaisonSociale,
    Enseigne,
    ComplementDestinataire,
    ComplementPointGeo,
    NumeroVoie,
    IndiceRepetition,
    TypeVoie,
    LibelleVoie,
    MentionDistribution,
    LieuDit,
    CodePostal,
    Commune,
    Pays,
    Telephone,
    Telephone2,
    Fax,
    Email,
    Departement,
}

/// Every documented column, with its header as the ANS writes it.
pub const COLUMNS: &[(Column, &str)] = &[
    (Column::TypeBal, "Type BAL"),
    (Column::AdresseBal, "Adresse BAL"),
    (Column::TypeIdentifiantPp, "Type identifiant PP"),
    (Column::IdentifiantPp, "Identifiant PP"),
    (
        Column::IdentificationNationalePp,
        "Identification nationale PP",
    ),
    (Column::Civilite, "Civilité d'exercice"),
    (Column::Nom, "Nom d'exercice"),
    (Column::Prenom, "Prénom d'exercice"),
    (Column::CategorieCode, "Catégorie professionnelle"),
    (
        Column::CategorieLibelle,
        "Libellé catégorie professionnelle",
    ),
    (Column::ProfessionCode, "Code profession"),
    (Column::ProfessionLibelle, "Libellé profession"),
    (Column::SavoirFaireCode, "Code savoir-faire"),
    (Column::SavoirFaireLibelle, "Libellé savoir-faire"),
    (Column::Dematerialisation, "Dématérialisation"),
    (Column::StructureId, "Identification Structure BAL"),
    (Column::Service, "Service de rattachement"),
    (Column::RaisonSociale, "Raison Sociale structure BAL"),
    (Column::Enseigne, "Enseigne commerciale structure BAL"),
    (Column::ComplementDestinataire, "Complément destinataire"),
    (Column::ComplementPointGeo, "Complément point géographique"),
    (Column::NumeroVoie, "Numéro de voie"),
    (Column::IndiceRepetition, "Indice de répétition"),
    (Column::TypeVoie, "Type de voie"),
    (Column::LibelleVoie, "Libellé de voie"),
    (Column::MentionDistribution, "Mention de distribution"),
    (Column::LieuDit, "Lieu-dit"),
    (Column::CodePostal, "Code postal structure BAL"),
    (Column::Commune, "Commune structure BAL"),
    (Column::Pays, "Pays"),
    (Column::Telephone, "Téléphone"),
    (Column::Telephone2, "Téléphone 2"),
    (Column::Fax, "Fax"),
    (Column::Email, "Adresse e-mail"),
    (Column::Departement, "Département structure BAL"),
];

/// Header comparison: lowercase, without accents, one space, straight apostrophe.
fn header_key(text: &str) -> String {
    let folded: String = text
        .trim_start_matches('\u{feff}')
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' | '`' => '\'',
            '_' => ' ',
            c => c,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The stored fields, in the order of the `entries` table's columns after `id`.
const STORED: [Column; 17] = [
    Column::AdresseBal,
    Column::TypeBal,
    Column::Civilite,
    Column::Nom,
    Column::Prenom,
    Column::IdentificationNationalePp,
    Column::CategorieLibelle,
    Column::ProfessionLibelle,
    Column::SavoirFaireLibelle,
    Column::RaisonSociale,
    Column::Enseigne,
    Column::Service,
    Column::CodePostal,
    Column::Commune,
    Column::Departement,
    Column::Telephone,
    Column::Email,
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL,     -- lowercase
    kind        TEXT NOT NULL,     -- PER, ORG, APP, CAB (or what the file says)
    civility    TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    first_name  TEXT NOT NULL,
    national_id TEXT NOT NULL,
    category    TEXT NOT NULL,
    profession  TEXT NOT NULL,
    specialty   TEXT NOT NULL,
    structure   TEXT NOT NULL,
    enseigne    TEXT NOT NULL,
    service     TEXT NOT NULL,
    postcode    TEXT NOT NULL,
    town        TEXT NOT NULL,
    department  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    email       TEXT NOT NULL
) STRICT;
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5 (
    names, what, place, address,
    content = '',
    detail = 'column',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
";

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportPhase {
    /// Reading the file into the table.
    Reading,
    /// Building the search index.
    Indexing,
    /// Done.
    Done,
}

/// Progress of an import, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImportProgress {
    pub phase: ImportPhase,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub rows: u64,
    pub skipped: u64,
    /// 0.0 to 1.0 over the whole import (reading ≈ 70 %, indexing ≈ 30 %).
    pub fraction: f32,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub rows: u64,
    /// Malformed lines skipped.
    pub skipped: u64,
    /// The first few skipped line numbers (1 = the header line).
    pub skipped_lines: Vec<u64>,
    /// Header names not used by Relais (ignored).
    pub ignored_columns: Vec<String>,
    /// Documented columns absent from the file (tolerated).
    pub missing_columns: Vec<String>,
    pub read_ms: u64,
    pub index_ms: u64,
    pub total_ms: u64,
}

/// About the imported directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryInfo {
    /// The file name it came from.
    pub source: String,
    /// Unix seconds.
    pub imported_at: i64,
    pub rows: u64,
}

/// One box of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    pub address: String,
    /// `PER`, `ORG`, `APP`, `CAB` as in the file.
    pub kind: String,
    /// « personnelle », « organisationnelle », « applicative », « cabinet ».
    pub kind_label: String,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    /// « Dr Jean DUPONT », or the service / structure for an organisational box.
    pub display_name: String,
    pub national_id: String,
    pub category: String,
    pub profession: String,
    pub specialty: String,
    pub structure: String,
    pub service: String,
    pub postcode: String,
    pub town: String,
    pub department: String,
}

/// French label of a box type.
pub fn kind_label(kind: &str) -> &'static str {
    match kind.to_ascii_uppercase().as_str() {
        "PER" => "personnelle",
        "ORG" => "organisationnelle",
        "APP" => "applicative",
        "CAB" => "cabinet",
        _ => "inconnue",
    }
}

/// Where the columns Relais reads are in an extraction's lines.
struct Layout {
    /// Number of fields of a line (a final empty field after a trailing `|` excluded).
    width: usize,
    /// Position of each [`STORED`] column.
    position: Vec<Option<usize>>,
    /// Header names not used by Relais.
    ignored_columns: Vec<String>,
    /// Documented columns absent from the file.
    missing_columns: Vec<String>,
    /// `Type identifiant PP` and `Identifiant PP`, for lines whose national identifier
    /// column is empty.
    type_pp: Option<usize>,
    id_pp: Option<usize>,
}

impl Layout {
    /// The layout of a header line (columns matched by name, see [`header_key`]).
    fn of(header_line: &str) -> Layout {
        let headers: Vec<&str> = header_line
            .trim_end_matches(['\r', '\n'])
            .split('|')
            .collect();
        let mut width = headers.len();
        if headers.last().is_some_and(|h| h.trim().is_empty()) {
            width -= 1;
        }
        let mut position: Vec<Option<usize>> = vec![None; STORED.len()];
        let (mut type_pp, mut id_pp) = (None, None);
        let mut ignored_columns = Vec::new();
        for (i, h) in headers.iter().enumerate().take(width) {
            let key = header_key(h);
            match COLUMNS.iter().find(|(_, name)| header_key(name) == key) {
                Some((col, _)) => {
                    if let Some(s) = STORED.iter().position(|c| c == col) {
                        position[s].get_or_insert(i);
                    }
                    match col {
                        Column::TypeIdentifiantPp => type_pp = type_pp.or(Some(i)),
                        Column::IdentifiantPp => id_pp = id_pp.or(Some(i)),
                        _ => {}
                    }
                }
                None => ignored_columns.push(h.trim().to_string()),
            }
        }
        let missing_columns: Vec<String> = COLUMNS
            .iter()
            .filter(|(_, name)| !headers.iter().any(|h| header_key(h) == header_key(name)))
            .map(|(_, name)| name.to_string())
            .collect();
        Layout {
            width,
            position,
            ignored_columns,
            missing_columns,
            type_pp,
            id_pp,
        }
    }
}

/// The fields of a line, or `None` when it has not `width` of them (a final empty field
/// after a trailing `|` is allowed).
fn split_fields(text: &str, width: usize) -> Option<Vec<&str>> {
    let mut fields: Vec<&str> = text.split('|').collect();
    if fields.len() == width + 1 && fields[width].trim().is_empty() {
        fields.pop();
    }
    (fields.len() == width).then_some(fields)
}

fn is_address(address: &str) -> bool {
    address.len() >= 3 && address.contains('@') && !address.contains(' ')
}

/// The national identifier of a line: `Identification nationale PP`, or, when that column is
/// empty or absent, `Type identifiant PP` (`8` RPPS, `0` ADELI) followed by `Identifiant PP`
/// when that makes a valid one (11 RPPS digits, 9 ADELI digits); else empty.
fn national_id_of(
    national: &str,
    fields: &[&str],
    type_pp: Option<usize>,
    id_pp: Option<usize>,
) -> String {
    if !national.is_empty() {
        return national.to_string();
    }
    let field = |pos: Option<usize>| pos.and_then(|p| fields.get(p)).map_or("", |f| f.trim());
    let (kind, digits) = (field(type_pp), field(id_pp));
    let valid = digits.bytes().all(|b| b.is_ascii_digit())
        && matches!((kind, digits.len()), ("8", 11) | ("0", 9));
    if valid {
        format!("{kind}{digits}")
    } else {
        String::new()
    }
}

/// The nominative boxes (`PER`) an Annuaire Santé extraction file lists for a national
/// identifier, read straight from the file (no import): for the extraction an operator
/// profile names, at sign-in. Sorted by address, without duplicates; empty when the person
/// has none or the identifier is not an RPPS/ADELI one. Malformed lines are skipped, as the
/// import does; a file that cannot be read, or without an `Adresse BAL` column, is an error.
pub fn nominative_boxes_in_extraction(
    source: &Path,
    national_id: &NationalId,
) -> Result<Vec<DirectoryEntry>> {
    let Some(wanted) = searchable_national_id(national_id) else {
        return Ok(Vec::new());
    };
    // The identifier's digits must be on the line (cheap test before splitting it).
    scan_extraction(source, &wanted.as_bytes()[1..], |entry| {
        entry.national_id == wanted && entry.kind.eq_ignore_ascii_case("PER")
    })
}

/// The entry an Annuaire Santé extraction file has for an address (any kind of box), read
/// straight from the file: who owns a box signed in with a password (names, profession,
/// national identifier). `None` when the file does not list it; errors as
/// [`nominative_boxes_in_extraction`].
pub fn entry_in_extraction(source: &Path, address: &str) -> Result<Option<DirectoryEntry>> {
    let address = address.trim().to_ascii_lowercase();
    if !is_address(&address) {
        return Ok(None);
    }
    let local = address.split('@').next().unwrap_or_default().as_bytes();
    let found = scan_extraction(source, local, |entry| entry.address == address)?;
    Ok(found.into_iter().next())
}

/// The entries of an extraction file that `keep`, sorted by address, once each; only lines
/// that contain `needle` (ASCII case ignored) are parsed.
fn scan_extraction(
    source: &Path,
    needle: &[u8],
    keep: impl Fn(&DirectoryEntry) -> bool,
) -> Result<Vec<DirectoryEntry>> {
    let read_err = |e: std::io::Error| DirectoryError::Read {
        path: source.display().to_string(),
        detail: e.to_string(),
    };
    let mut reader = BufReader::with_capacity(1 << 20, File::open(source).map_err(read_err)?);
    let mut line = Vec::with_capacity(1024);
    reader.read_until(b'\n', &mut line).map_err(read_err)?;
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(DirectoryError::Empty {
            path: source.display().to_string(),
        });
    }
    let layout = Layout::of(&String::from_utf8_lossy(&line));
    if layout.position[0].is_none() {
        return Err(DirectoryError::MissingColumn {
            path: source.display().to_string(),
            column: "Adresse BAL",
        });
    }
    let mut found: Vec<DirectoryEntry> = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read_err)? == 0 {
            break;
        }
        if !needle.is_empty()
            && !line
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        let Some(fields) = split_fields(text.trim_end_matches(['\r', '\n']), layout.width) else {
            continue;
        };
        let value = |stored: usize| -> String {
            layout.position[stored]
                .map(|p| fields[p].trim().to_string())
                .unwrap_or_default()
        };
        let address = value(0).to_ascii_lowercase();
        if !is_address(&address) {
            continue;
        }
        let national = national_id_of(&value(5), &fields, layout.type_pp, layout.id_pp);
        // STORED order → ENTRY_COLUMNS order.
        let entry = entry_from_fields([
            address,
            value(1),
            value(2),
            value(4),
            value(3),
            national,
            value(6),
            value(7),
            value(8),
            value(9),
            value(11),
            value(12),
            value(13),
            value(14),
            value(10),
        ]);
        if keep(&entry) && !found.iter().any(|e| e.address == entry.address) {
            found.push(entry);
        }
    }
    found.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(found)
}

/// `8` + RPPS or `0` + ADELI; `None` for an operator login (never in the directory).
fn searchable_national_id(national_id: &NationalId) -> Option<String> {
    match national_id {
        NationalId::Rpps(_) | NationalId::Adeli(_) => Some(national_id.to_national_string()),
        NationalId::OperatorLogin(_) => None,
    }
}

/// The local directory (read side).
#[derive(Debug)]
pub struct Directory {
    conn: Connection,
}

/// How many matches are ranked at most (see [`Directory::search`]).
const RANKED: i64 = 2000;

const ENTRY_COLUMNS: &str = "e.address, e.kind, e.civility, e.first_name, e.last_name, \
    e.national_id, e.category, e.profession, e.specialty, e.structure, e.service, e.postcode, \
    e.town, e.department, e.enseigne";

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DirectoryEntry> {
    let mut fields: [String; 15] = Default::default();
    for (i, field) in fields.iter_mut().enumerate() {
        *field = row.get(i)?;
    }
    Ok(entry_from_fields(fields))
}

/// An entry from its fields in the order of [`ENTRY_COLUMNS`].
fn entry_from_fields(fields: [String; 15]) -> DirectoryEntry {
    let [address, kind, civility, first_name, last_name, national_id, category, profession, specialty, structure, service, postcode, town, department, enseigne] =
        fields;
    let person = [civility.as_str(), first_name.as_str(), last_name.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let display_name = if !last_name.is_empty() {
        person
    } else if !service.is_empty() {
        service.clone()
    } else if !enseigne.is_empty() {
        enseigne
    } else {
        structure.clone()
    };
    DirectoryEntry {
        address,
        kind_label: kind_label(&kind).to_string(),
        kind,
        civility,
        first_name,
        last_name,
        display_name,
        national_id,
        category,
        profession,
        specialty,
        structure,
        service,
        postcode,
        town,
        department,
    }
}

/// The FTS5 query for what the person typed: each word as a prefix, all required. Words of
/// one character are dropped when there are longer ones (too common to narrow anything);
/// `None` when nothing is left.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .collect();
    let long: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let chosen = if long.is_empty() { words } else { long };
    if chosen.is_empty() || chosen.iter().all(|w| w.chars().count() < 2) {
        return None;
    }
    Some(
        chosen
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

impl Directory {
    /// Open the directory file (created empty when absent).
    pub fn open(path: &Path) -> Result<Directory> {
        let conn = Connection::open(path).op("open")?;
        conn.execute_batch(SCHEMA).op("open: schema")?;
        Ok(Directory { conn })
    }

    /// About the imported directory, or `None` when nothing was imported.
    pub fn info(&self) -> Result<Option<DirectoryInfo>> {
        let get = |key: &str| -> Result<Option<String>> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .op("info")
        };
        let Some(source) = get("source")? else {
            return Ok(None);
        };
        Ok(Some(DirectoryInfo {
            source,
            imported_at: get("imported_at")?
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
            rows: get("rows")?
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
        }))
    }

    /// Autocomplete: at most `limit` boxes matching every word of `text` (as prefixes, in any
    /// order, accents and case ignored), best first, one row per address.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<DirectoryEntry>> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        // Rank (bm25, names weigh most) only the first RANKED matches: a broad prefix such as
        // « ma » matches a third of the country, and ranking all of it would cost hundreds of
        // milliseconds; the person types one more letter long before that matters.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rowid, bm25(search, 10.0, 4.0, 3.0, 6.0) FROM search
                 WHERE search MATCH ?1 LIMIT ?2",
            )
            .op("search")?;
        let mut hits: Vec<(i64, f64)> = stmt
            .query_map(params![query, RANKED], |r| Ok((r.get(0)?, r.get(1)?)))
            .op("search")?
            .collect::<rusqlite::Result<_>>()
            .op("search")?;
        hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut entry = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries AS e WHERE e.id = ?1"
            ))
            .op("search")?;
        let rows = hits
            .iter()
            .map(|(id, _)| entry.query_row([id], entry_from_row));
        let mut out: Vec<DirectoryEntry> = Vec::with_capacity(limit);
        for row in rows {
            let entry = row.op("search")?;
            if !out.iter().any(|e| e.address == entry.address) {
                out.push(entry);
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The directory's entry for an address, if any.
    pub fn lookup(&self, address: &str) -> Result<Option<DirectoryEntry>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries AS e WHERE e.address = ?1 LIMIT 1"
            ))
            .op("lookup")?
            .query_row([address.trim().to_lowercase()], entry_from_row)
            .optional()
            .op("lookup")
    }

    /// The nominative boxes (`PER`) of the imported Annuaire Santé extraction for a national
    /// identifier (`8` + RPPS, `0` + ADELI): the person's own boxes as the directory knows
    /// them. Sorted by address, without duplicates; empty when none (or for an operator
    /// login). See [`nominative_boxes_in_extraction`] to read an extraction file directly.
    pub fn nominative_boxes(&self, national_id: &NationalId) -> Result<Vec<DirectoryEntry>> {
        let Some(wanted) = searchable_national_id(national_id) else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries AS e
                 WHERE e.national_id = ?1 AND upper(e.kind) = 'PER'
                 ORDER BY e.address"
            ))
            .op("nominative boxes")?;
        let mut found: Vec<DirectoryEntry> = stmt
            .query_map([wanted], entry_from_row)
            .op("nominative boxes")?
            .collect::<rusqlite::Result<_>>()
            .op("nominative boxes")?;
        found.dedup_by(|a, b| a.address == b.address);
        Ok(found)
    }

    /// The gentle hint for a recipient: « adresse inconnue de l'annuaire » for an address
    /// neither in the directory nor a patient's (`@patient.mssante.fr`). Nothing when no
    /// directory was imported (every address would be « unknown »).
    pub fn hint(&self, address: &str) -> Result<Option<&'static str>> {
        let address = address.trim().to_lowercase();
        if address.ends_with("@patient.mssante.fr") || self.info()?.is_none() {
            return Ok(None);
        }
        Ok(self.lookup(&address)?.is_none().then_some(UNKNOWN_HINT))
    }

    /// Import an extraction into the directory file `db_path` (see the crate doc).
    /// `progress` is called every 20,000 lines and at each phase; it returns `false` to
    /// cancel (the previous directory stays).
    pub fn import(
        db_path: &Path,
        source: &Path,
        progress: &mut dyn FnMut(&ImportProgress) -> bool,
    ) -> Result<ImportReport> {
        let started = Instant::now();
        let read_err = |e: std::io::Error| DirectoryError::Read {
            path: source.display().to_string(),
            detail: e.to_string(),
        };
        let file = File::open(source).map_err(read_err)?;
        let bytes_total = file.metadata().map(|m| m.len()).unwrap_or_default();
        let mut reader = BufReader::with_capacity(1 << 20, file);

        let mut tmp_name = db_path.as_os_str().to_owned();
        tmp_name.push(".import");
        let tmp = PathBuf::from(tmp_name);
        let _ = std::fs::remove_file(&tmp);
        let result = (|| {
            let mut conn = Connection::open(&tmp).op("import: open")?;
            let _mode: String = conn
                .query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))
                .op("import: pragmas")?;
            conn.execute_batch(
                "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
                 PRAGMA temp_store = MEMORY; PRAGMA cache_size = -131072;",
            )
            .op("import: pragmas")?;
            conn.execute_batch(SCHEMA).op("import: schema")?;

            // Header.
            let mut line = Vec::with_capacity(1024);
            let mut bytes_read = reader.read_until(b'\n', &mut line).map_err(read_err)? as u64;
            if line.iter().all(u8::is_ascii_whitespace) {
                return Err(DirectoryError::Empty {
                    path: source.display().to_string(),
                });
            }
            let header_text = String::from_utf8_lossy(&line).to_string();
            let Layout {
                width,
                position,
                ignored_columns,
                missing_columns,
                type_pp,
                id_pp,
            } = Layout::of(&header_text);
            if position[0].is_none() {
                return Err(DirectoryError::MissingColumn {
                    path: source.display().to_string(),
                    column: "Adresse BAL",
                });
            }

            let mut rows = 0u64;
            let mut skipped = 0u64;
            let mut skipped_lines = Vec::new();
            let mut line_no = 1u64;
            let tx = conn.transaction().op("import: begin")?;
            {
                let mut insert = tx
                    .prepare(
                        "INSERT INTO entries (address, kind, civility, last_name, first_name,
                            national_id, category, profession, specialty, structure, enseigne,
                            service, postcode, town, department, phone, email)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                            ?15, ?16, ?17)",
                    )
                    .op("import: insert")?;
                loop {
                    line.clear();
                    let n = reader.read_until(b'\n', &mut line).map_err(read_err)?;
                    if n == 0 {
                        break;
                    }
                    bytes_read += n as u64;
                    line_no += 1;
                    let mut bad = |line_no: u64| {
                        skipped += 1;
                        if skipped_lines.len() < 20 {
                            skipped_lines.push(line_no);
                        }
                    };
                    let Ok(text) = std::str::from_utf8(&line) else {
                        bad(line_no);
                        continue;
                    };
                    let text = text.trim_end_matches(['\r', '\n']);
                    if text.trim().is_empty() {
                        continue;
                    }
                    let Some(fields) = split_fields(text, width) else {
                        bad(line_no);
                        continue;
                    };
                    let mut values: [&str; 17] = [""; 17];
                    for (slot, pos) in values.iter_mut().zip(&position) {
                        *slot = pos.map(|p| fields[p].trim()).unwrap_or("");
                    }
                    let address = values[0];
                    if !is_address(address) {
                        bad(line_no);
                        continue;
                    }
                    let lower_address = address.to_ascii_lowercase();
                    values[0] = &lower_address;
                    let national_id = national_id_of(values[5], &fields, type_pp, id_pp);
                    values[5] = &national_id;
                    insert
                        .execute(rusqlite::params_from_iter(values.iter()))
                        .op("import: insert")?;
                    rows += 1;
                    if rows.is_multiple_of(20_000) {
                        let p = ImportProgress {
                            phase: ImportPhase::Reading,
                            bytes_read,
                            bytes_total,
                            rows,
                            skipped,
                            fraction: 0.7 * (bytes_read as f32 / bytes_total.max(1) as f32),
                        };
                        if !progress(&p) {
                            return Err(DirectoryError::Cancelled);
                        }
                    }
                }
            }
            tx.commit().op("import: commit")?;
            let read_ms = started.elapsed().as_millis() as u64;

            // The search index, in chunks for the progress bar.
            let indexing = Instant::now();
            conn.execute_batch(
                "CREATE INDEX entries_by_address ON entries (address);
                 CREATE INDEX entries_by_national_id ON entries (national_id);",
            )
            .op("import: address index")?;
            let max_id: i64 = conn
                .query_row("SELECT IFNULL(MAX(id), 0) FROM entries", [], |r| r.get(0))
                .op("import: index")?;
            let chunk = 100_000i64;
            let tx = conn.transaction().op("import: index")?;
            {
                let mut fill = tx
                    .prepare(
                        "INSERT INTO search (rowid, names, what, place, address)
                         SELECT id, last_name || ' ' || first_name,
                                profession || ' ' || specialty || ' ' || category,
                                structure || ' ' || enseigne || ' ' || service || ' ' || town
                                    || ' ' || postcode || ' ' || department,
                                replace(address, '.mssante.fr', '')
                         FROM entries WHERE id BETWEEN ?1 AND ?2",
                    )
                    .op("import: index")?;
                let mut from = 1i64;
                while from <= max_id {
                    fill.execute(params![from, from + chunk - 1])
                        .op("import: index")?;
                    from += chunk;
                    let done = (from - 1).min(max_id) as f32 / max_id.max(1) as f32;
                    let p = ImportProgress {
                        phase: ImportPhase::Indexing,
                        bytes_read,
                        bytes_total,
                        rows,
                        skipped,
                        fraction: 0.7 + 0.25 * done,
                    };
                    if !progress(&p) {
                        return Err(DirectoryError::Cancelled);
                    }
                }
            }
            tx.commit().op("import: index")?;
            conn.execute_batch("INSERT INTO search (search) VALUES ('optimize');")
                .op("import: optimize")?;
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let source_name = source
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            for (k, v) in [
                ("source", source_name),
                ("imported_at", now.to_string()),
                ("rows", rows.to_string()),
                ("skipped", skipped.to_string()),
            ] {
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                    params![k, v],
                )
                .op("import: meta")?;
            }
            let index_ms = indexing.elapsed().as_millis() as u64;
            drop(conn);
            Ok(ImportReport {
                rows,
                skipped,
                skipped_lines,
                ignored_columns,
                missing_columns,
                read_ms,
                index_ms,
                total_ms: 0,
            })
        })();
        match result {
            Ok(mut report) => {
                std::fs::rename(&tmp, db_path).map_err(|e| DirectoryError::Read {
                    path: db_path.display().to_string(),
                    detail: e.to_string(),
                })?;
                report.total_ms = started.elapsed().as_millis() as u64;
                progress(&ImportProgress {
                    phase: ImportPhase::Done,
                    bytes_read: bytes_total,
                    bytes_total,
                    rows: report.rows,
                    skipped: report.skipped,
                    fraction: 1.0,
                });
                Ok(report)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
