//! What the reader shows of a message: [`MessageDisplay::from_raw`].
//!
//! Built from any bytes, never failing and never panicking: whatever cannot be read is shown
//! at best and explained in `malformed_notes`, in French. Header texts are cleaned for display
//! (no control or bidi characters). HTML is sanitised (see the private `html` module doc):
//! scripts, forms, frames and event handlers removed, remote images blocked by default.
//!
//! Attachments are numbered in the order `mail-parser` lists them (every part that is not the
//! text or HTML body: files, inline images, nested messages); [`attachment_bytes`] takes the
//! same index.

use std::collections::{HashMap, HashSet};

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{
    Address, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use relais_core::{Author, AUTHOR_HEADER_NAME};
use serde::{Deserialize, Serialize};

use crate::encoding::base64;
use crate::text::{bare_id, one_line, safe_filename};

/// Whether remote images are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteContent {
    /// Remote image sources removed (the default): nobody learns the message was opened.
    #[default]
    Block,
    /// `https` image sources kept (plain `http` ones are still removed).
    Allow,
}

/// A name and address as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxDisplay {
    /// Display name, if any.
    pub name: Option<String>,
    /// The address as written (may be invalid in a malformed message).
    pub address: String,
}

impl MailboxDisplay {
    /// « Dr Jacques LEROY <jacques.leroy@cardio-pau.mssante.fr> », or the address alone.
    pub fn to_display_string(&self) -> String {
        match &self.name {
            Some(name) if !self.address.is_empty() => format!("{name} <{}>", self.address),
            Some(name) => name.clone(),
            None => self.address.clone(),
        }
    }

    /// The name, or the address when there is none.
    pub fn name_or_address(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.address)
    }
}

/// One attachment (any part that is not the displayed body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Index for [`attachment_bytes`].
    pub index: usize,
    /// Decoded file name (RFC 2231 / RFC 2047), cleaned to be safe to save; a made-up
    /// « piece-jointe-N » when the part has none.
    pub filename: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// Content-ID without angle brackets.
    pub content_id: Option<String>,
    /// Shown inside the message (disposition inline) rather than offered as a file.
    pub is_inline: bool,
    /// An IHE XDM zip (CDA documents).
    pub is_xdm: bool,
}

/// An inline part referenced by `cid:` (RFC 2392).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CidPart {
    /// The Content-ID, without angle brackets.
    pub content_id: String,
    /// Index of the part among the attachments.
    pub attachment_index: usize,
    /// `type/subtype`.
    pub content_type: String,
    /// Whether the sanitised HTML embeds it as a `data:` URI (safe raster images only).
    pub embedded: bool,
}

/// MSSanté and receipt headers, raw values trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SpecialHeaders {
    /// `X-MSS-MES` (`FIN` closes a patient conversation).
    pub mss_mes: Option<String>,
    /// `X-MSS-INS` (`O` / `N`).
    pub mss_ins: Option<String>,
    /// `X-MSS-CODECDA`.
    pub mss_codecda: Option<String>,
    /// `X-MSS-NIL`.
    pub mss_nil: Option<String>,
    /// `Disposition-Notification-To`: the address a read receipt goes to.
    pub disposition_notification_to: Option<String>,
}

/// What the reader shows. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageDisplay {
    /// `From:` (first mailbox).
    pub from: Option<MailboxDisplay>,
    /// `Sender:`.
    pub sender: Option<MailboxDisplay>,
    /// `To:`.
    pub to: Vec<MailboxDisplay>,
    /// `Cc:`.
    pub cc: Vec<MailboxDisplay>,
    /// `Reply-To:`.
    pub reply_to: Vec<MailboxDisplay>,
    /// Decoded subject, empty when none.
    pub subject: String,
    /// `Date:` as unix seconds; `None` when absent or invalid.
    pub date: Option<i64>,
    /// Offset from UTC of the `Date:` header in minutes (the writer's local time).
    pub date_offset_minutes: Option<i32>,
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To` (first id) without angle brackets.
    pub in_reply_to: Option<String>,
    /// `References`, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// The individual author (`X-Relais-Author`), when present and readable.
    pub author: Option<Author>,
    /// Plain text body: the text/plain parts, or text derived from the HTML.
    pub text: String,
    /// Sanitised HTML body, when the message has one.
    pub html: Option<String>,
    /// The HTML refers to remote images (removed unless allowed).
    pub has_remote_content: bool,
    /// Parts referenced by Content-ID.
    pub cid_parts: Vec<CidPart>,
    /// Attachments, in order.
    pub attachments: Vec<AttachmentInfo>,
    /// An IHE XDM zip is attached.
    pub has_xdm: bool,
    /// MSSanté and receipt headers.
    pub special: SpecialHeaders,
    /// What could not be read, in French, for the person.
    pub malformed_notes: Vec<String>,
}

/// Largest inline image embedded as a `data:` URI.
const MAX_EMBED_BYTES: usize = 8 * 1024 * 1024;
/// Nested messages explored for notes.
const MAX_NESTED: usize = 8;
/// Images that may be embedded: never SVG (it can carry script).
const EMBEDDABLE: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/jpg",
];

impl MessageDisplay {
    /// The display model of `raw`, remote images blocked.
    pub fn from_raw(raw: &[u8]) -> MessageDisplay {
        MessageDisplay::from_raw_with(raw, RemoteContent::Block)
    }

    /// The display model of `raw` with the given remote-content choice.
    pub fn from_raw_with(raw: &[u8], remote: RemoteContent) -> MessageDisplay {
        std::panic::catch_unwind(|| build(raw, remote)).unwrap_or_else(|_| MessageDisplay {
            text: String::from_utf8_lossy(raw).into_owned(),
            malformed_notes: vec![
                "Le message est mal formé : il n'a pas pu être analysé, il est affiché brut."
                    .to_owned(),
            ],
            ..MessageDisplay::default()
        })
    }

    /// Whether the message closes a patient conversation (`X-MSS-MES: FIN`, or a subject
    /// that is `[FIN]`).
    pub fn closes_conversation(&self) -> bool {
        crate::segur::closes_conversation(self.special.mss_mes.as_deref(), &self.subject)
    }
}

/// The decoded bytes of attachment `index` (as numbered in [`MessageDisplay::attachments`]),
/// to save it; a nested message comes back as its raw RFC 5322 bytes.
pub fn attachment_bytes(raw: &[u8], index: usize) -> Option<Vec<u8>> {
    std::panic::catch_unwind(|| {
        let (bytes, _) = prepare(raw);
        let message = MessageParser::default().parse(&bytes[..])?;
        let id = *message.attachments.get(index)?;
        let part = message.parts.get(id as usize)?;
        Some(part_bytes(&bytes, part))
    })
    .ok()
    .flatten()
}

/// The bytes to parse, and notes. When the top-level multipart's boundary is missing or never
/// found, but the body starts with a `--xxx` line, the message is re-read with that boundary.
fn prepare(raw: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Vec<String>) {
    let mut notes = Vec::new();
    let Some(headers) = MessageParser::default().parse_headers(raw) else {
        return (raw.into(), notes);
    };
    let Some(ct) = headers.root_part().content_type() else {
        return (raw.into(), notes);
    };
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return (raw.into(), notes);
    }
    let body_start = header_end(raw);
    let body = raw.get(body_start..).unwrap_or_default();
    match ct.attribute("boundary") {
        Some(boundary) if contains(body, format!("--{boundary}").as_bytes()) => {
            return (raw.into(), notes)
        }
        Some(_) => notes.push("Le message est mal formé : frontière MIME introuvable.".to_owned()),
        None => notes.push("Le message est mal formé : frontière MIME absente.".to_owned()),
    }
    let Some(candidate) = first_boundary_line(body) else {
        return (raw.into(), notes);
    };
    let subtype = ct.subtype().unwrap_or("mixed").to_ascii_lowercase();
    let mut rebuilt = Vec::with_capacity(raw.len() + 80);
    rebuilt.extend_from_slice(
        format!("Content-Type: multipart/{subtype}; boundary=\"{candidate}\"\r\n").as_bytes(),
    );
    let header_bytes = raw.get(..body_start).unwrap_or_default();
    let mut skipping = false;
    for line in header_bytes.split_inclusive(|&b| b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if continuation {
            if !skipping {
                rebuilt.extend_from_slice(line);
            }
            continue;
        }
        skipping = line.len() >= 13 && line[..13].eq_ignore_ascii_case(b"content-type:");
        if !skipping {
            rebuilt.extend_from_slice(line);
        }
    }
    rebuilt.extend_from_slice(body);
    notes.push(format!(
        "Les parties du message ont été retrouvées avec la frontière « {candidate} »."
    ));
    (rebuilt.into(), notes)
}

/// Offset of the body: just after the first empty line (CRLF or LF), or the end.
fn header_end(raw: &[u8]) -> usize {
    let mut at_line_start = true;
    let mut i = 0;
    while i < raw.len() {
        if at_line_start {
            if raw[i] == b'\n' {
                return i + 1;
            }
            if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
                return i + 2;
            }
        }
        at_line_start = raw[i] == b'\n';
        i += 1;
    }
    raw.len()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The first line of `body` that looks like a MIME boundary delimiter: `--` then 1 to 70
/// safe characters.
fn first_boundary_line(body: &[u8]) -> Option<String> {
    for line in body.split(|&b| b == b'\n').take(200) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(rest) = line.strip_prefix(b"--") else {
            continue;
        };
        let rest = rest.strip_suffix(b"--").unwrap_or(rest);
        let ok = (1..=70).contains(&rest.len())
            && rest
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(b));
        if ok {
            return std::str::from_utf8(rest).ok().map(str::to_owned);
        }
    }
    None
}

/// Notes shown at most: a hostile message with thousands of anomalies (20,000 parts each in
/// its own unknown charset) gets a readable list, not thousands of lines (and no quadratic
/// de-duplication).
const MAX_NOTES: usize = 20;
const MORE_NOTES: &str = "… et d'autres anomalies, non détaillées.";

fn push_note(notes: &mut Vec<String>, note: String) {
    if notes.len() >= MAX_NOTES {
        if notes.last().is_none_or(|last| last != MORE_NOTES) {
            notes.push(MORE_NOTES.to_owned());
        }
    } else if !notes.contains(&note) {
        notes.push(note);
    }
}

fn build(raw: &[u8], remote: RemoteContent) -> MessageDisplay {
    let (bytes, mut notes) = prepare(raw);
    let Some(message) = MessageParser::default().parse(&bytes[..]) else {
        return MessageDisplay {
            text: String::from_utf8_lossy(raw).into_owned(),
            malformed_notes: vec!["Le message est vide ou illisible.".to_owned()],
            ..MessageDisplay::default()
        };
    };

    let mut display = MessageDisplay {
        from: first(message.from()),
        sender: first(message.sender()),
        to: mailboxes(message.to()),
        cc: mailboxes(message.cc()),
        reply_to: mailboxes(message.reply_to()),
        subject: message.subject().map(one_line).unwrap_or_default(),
        message_id: message
            .message_id()
            .map(bare_id)
            .filter(|id| !id.is_empty()),
        in_reply_to: ids(message.in_reply_to()).into_iter().next(),
        references: ids(message.references()),
        ..MessageDisplay::default()
    };

    if display.from.is_none() {
        push_note(&mut notes, "Expéditeur absent ou illisible.".to_owned());
    }
    let has_date_header = message
        .root_part()
        .headers
        .iter()
        .any(|h| h.name == HeaderName::Date);
    match message.date() {
        Some(date) if date.is_valid() => {
            display.date = Some(date.to_timestamp());
            let minutes = i32::from(date.tz_hour) * 60 + i32::from(date.tz_minute);
            display.date_offset_minutes = Some(if date.tz_before_gmt {
                -minutes
            } else {
                minutes
            });
        }
        _ if has_date_header => push_note(&mut notes, "Date invalide.".to_owned()),
        _ => {}
    }

    // Raw headers of the top level, by case-insensitive name.
    let raw_headers = |name: &str| -> Vec<String> {
        message
            .root_part()
            .headers
            .iter()
            .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .filter_map(|h| {
                bytes
                    .get(h.offset_start as usize..h.offset_end as usize)
                    .map(|v| one_line(&String::from_utf8_lossy(v)))
            })
            .collect()
    };
    let single = |name: &str| {
        raw_headers(name)
            .into_iter()
            .next()
            .filter(|v| !v.is_empty())
    };

    let authors = raw_headers(AUTHOR_HEADER_NAME);
    match authors.as_slice() {
        [] => {}
        [one] => match Author::parse_header_value(one) {
            Ok(author) => display.author = Some(author),
            Err(error) => push_note(&mut notes, format!("Auteur illisible : {error}")),
        },
        _ => push_note(
            &mut notes,
            "Auteur ignoré : le message porte plusieurs en-têtes X-Relais-Author.".to_owned(),
        ),
    }
    display.special = SpecialHeaders {
        mss_mes: single("X-MSS-MES"),
        mss_ins: single("X-MSS-INS"),
        mss_codecda: single("X-MSS-CODECDA"),
        mss_nil: single("X-MSS-NIL"),
        disposition_notification_to: single("Disposition-Notification-To")
            .map(|value| first_address(&value).unwrap_or(value)),
    };

    collect_notes(&message, &bytes, &mut notes, 0);

    // Bodies.
    let mut texts = Vec::new();
    for &id in &message.text_body {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(_) if has_unknown_charset(part) && !part.is_encoding_problem => {
                texts.push(best_effort_text(&part_bytes(&bytes, part)))
            }
            PartType::Text(text) => texts.push(damaged_text(part, text)),
            PartType::Html(html) => texts.push(mail_parser::decoders::html::html_to_text(html)),
            _ => {}
        }
    }
    let mut htmls = Vec::new();
    for &id in &message.html_body {
        if let Some(PartType::Html(html)) = message.parts.get(id as usize).map(|p| &p.body) {
            htmls.push(html.to_string());
        }
    }
    // No body found (a damaged text part is filed as an attachment): show the unnamed text
    // parts as the body, decoded as far as they go.
    let mut shown_as_body = HashSet::new();
    if texts.is_empty() && htmls.is_empty() {
        for (index, &id) in message.attachments.iter().enumerate() {
            let Some(part) = message.parts.get(id as usize) else {
                continue;
            };
            let is_file = part.attachment_name().is_some()
                || part
                    .content_disposition()
                    .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
            if let (PartType::Text(text), false) = (&part.body, is_file) {
                texts.push(damaged_text(part, text));
                shown_as_body.insert(index);
            }
        }
    }

    // Attachments and inline parts.
    let mut cid_data: HashMap<String, String> = HashMap::new();
    for (index, &id) in message.attachments.iter().enumerate() {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if shown_as_body.contains(&index) {
            continue;
        }
        let info = attachment_info(index, part, &bytes);
        if info.is_xdm {
            display.has_xdm = true;
        }
        if let Some(cid) = &info.content_id {
            let embeddable = EMBEDDABLE.contains(&info.content_type.as_str())
                && (info.size as usize) <= MAX_EMBED_BYTES;
            if embeddable {
                let data = part_bytes(&bytes, part);
                cid_data.insert(
                    cid.clone(),
                    format!("data:{};base64,{}", info.content_type, base64(&data)),
                );
            }
            display.cid_parts.push(CidPart {
                content_id: cid.clone(),
                attachment_index: index,
                content_type: info.content_type.clone(),
                embedded: embeddable,
            });
        }
        display.attachments.push(info);
    }

    if texts.is_empty() {
        texts.extend(
            htmls
                .iter()
                .map(|h| mail_parser::decoders::html::html_to_text(h)),
        );
    }
    display.text = texts.join("\n\n");
    if !htmls.is_empty() {
        let sanitised = crate::html::sanitise(&htmls.join("\n"), remote, cid_data);
        display.html = Some(sanitised.html);
        display.has_remote_content = sanitised.has_remote_content;
    }

    display.malformed_notes = notes;
    display
}

/// The text of a part: as decoded, or, when its base64 was damaged, the longest clean prefix
/// decoded and read in its charset.
fn damaged_text(part: &MessagePart<'_>, text: &str) -> String {
    let is_base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"));
    if !(part.is_encoding_problem && is_base64) {
        return text.to_owned();
    }
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    let usable = clean.len() / 4 * 4;
    let Some(bytes) = mail_parser::decoders::base64::base64_decode(&clean[..usable]) else {
        return text.to_owned();
    };
    let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
    match charset.and_then(|c| charset_decoder(c.as_bytes())) {
        Some(decode) => decode(&bytes),
        None => best_effort_text(&bytes),
    }
}

/// Text in an unknown charset: UTF-8 when it is valid, else Windows-1252 (what French mail
/// in a mislabelled charset most often is).
fn best_effort_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => match charset_decoder(b"windows-1252") {
            Some(decode) => decode(bytes),
            None => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Whether a part declares a text charset that cannot be decoded.
fn has_unknown_charset(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .and_then(|ct| ct.attribute("charset"))
        .is_some_and(|c| !known_charset(c))
}

/// Notes about charsets and encodings of every part (and nested messages, a few levels deep).
fn collect_notes(message: &Message<'_>, raw: &[u8], notes: &mut Vec<String>, depth: usize) {
    // Encoded words in the headers: `=?charset?`.
    let header_end = (message.root_part().offset_body as usize).min(raw.len());
    let header_start = (message.root_part().offset_header as usize).min(header_end);
    for charset in encoded_word_charsets(&raw[header_start..header_end]) {
        if !known_charset(&charset) {
            push_note(notes, unknown_charset_note(&charset));
        }
    }
    let mut boundaries = HashSet::new();
    for part in &message.parts {
        if let Some(charset) = part
            .content_type()
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("text"))
            .and_then(|ct| ct.attribute("charset"))
        {
            if !known_charset(charset) {
                push_note(notes, unknown_charset_note(charset));
            }
        }
        let declared_multipart = part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
        if declared_multipart && !matches!(part.body, PartType::Multipart(_)) {
            push_note(
                notes,
                "Le message est mal formé : frontière MIME introuvable.".to_owned(),
            );
        }
        let cte = part
            .content_transfer_encoding()
            .map(|c| c.trim().to_ascii_lowercase());
        if let Some(cte) = cte.as_deref().filter(|c| {
            !matches!(
                *c,
                "7bit" | "8bit" | "binary" | "base64" | "quoted-printable"
            )
        }) {
            push_note(
                notes,
                format!(
                    "Encodage de transfert inconnu ({}) : la partie est affichée telle quelle.",
                    one_line(cte).chars().take(40).collect::<String>()
                ),
            );
        }
        let body = raw
            .get(part.offset_body as usize..part.offset_end as usize)
            .unwrap_or_default();
        if part.is_encoding_problem
            || (cte.as_deref() == Some("quoted-printable") && bad_quoted_printable(body))
        {
            push_note(
                notes,
                "Une partie du message est mal encodée : elle est affichée telle quelle."
                    .to_owned(),
            );
        }
        if let Some(boundary) = part
            .content_type()
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
        {
            if !boundaries.insert(boundary) {
                push_note(
                    notes,
                    "Le message est mal formé : une frontière MIME est réutilisée par une partie imbriquée."
                        .to_owned(),
                );
            }
        }
        if let PartType::Message(nested) = &part.body {
            if depth < MAX_NESTED {
                collect_notes(nested, nested.raw_message(), notes, depth + 1);
            }
        }
    }
}

/// A quoted-printable body with an `=` that is neither a soft line break nor two hex digits.
fn bad_quoted_printable(body: &[u8]) -> bool {
    body.iter().enumerate().any(|(i, b)| {
        *b == b'=' && {
            let next = &body[i + 1..body.len().min(i + 3)];
            !(next
                .first()
                .is_none_or(|c| matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
                || (next.len() == 2 && next.iter().all(u8::is_ascii_hexdigit)))
        }
    })
}

fn unknown_charset_note(charset: &str) -> String {
    format!(
        "Jeu de caractères inconnu ({}) : texte affiché au mieux.",
        one_line(charset).chars().take(40).collect::<String>()
    )
}

fn known_charset(charset: &str) -> bool {
    let c = charset.trim().trim_matches('"').to_ascii_lowercase();
    matches!(c.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii")
        || charset_decoder(c.as_bytes()).is_some()
}

/// Charsets named in RFC 2047 encoded words of a header block.
fn encoded_word_charsets(headers: &[u8]) -> HashSet<String> {
    let mut found = HashSet::new();
    let mut i = 0;
    while i + 2 < headers.len() {
        if headers[i] == b'=' && headers[i + 1] == b'?' {
            let start = i + 2;
            let end = headers[start..]
                .iter()
                .take(41)
                .position(|&b| b == b'?' || b.is_ascii_whitespace());
            if let Some(len) = end.filter(|&l| l > 0) {
                if headers.get(start + len) == Some(&b'?') {
                    let name = String::from_utf8_lossy(&headers[start..start + len]);
                    // RFC 2231 language suffix: utf-8*fr.
                    let name = name.split('*').next().unwrap_or_default().to_owned();
                    found.insert(name);
                }
                i = start + len;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The first address of an address-list header value.
fn first_address(value: &str) -> Option<String> {
    let synthetic = format!("To: {value}\r\n\r\n");
    let parsed = MessageParser::default().parse_headers(synthetic.as_bytes())?;
    let address = parsed.to()?.first()?.address()?;
    Some(one_line(address))
}

fn first(address: Option<&Address<'_>>) -> Option<MailboxDisplay> {
    mailboxes(address).into_iter().next()
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<MailboxDisplay> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let name = addr.name().map(one_line).filter(|n| !n.is_empty());
            let address = addr.address().map(one_line).unwrap_or_default();
            (name.is_some() || !address.is_empty()).then_some(MailboxDisplay { name, address })
        })
        .collect()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<String> = match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => Vec::new(),
    };
    list.iter()
        .map(|id| bare_id(id))
        .filter(|id| !id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
        .collect()
}

/// Decoded bytes of a part: binary as decoded, text parts re-decoded from the raw transfer
/// encoding (so that a file keeps its own charset), nested messages as raw bytes.
fn part_bytes(raw: &[u8], part: &MessagePart<'_>) -> Vec<u8> {
    let start = (part.offset_body as usize).min(raw.len());
    let end = (part.offset_end as usize).clamp(start, raw.len());
    let slice = &raw[start..end];
    match &part.body {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.to_vec(),
        PartType::Text(_) | PartType::Html(_) => match part.encoding {
            mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(slice)
                .unwrap_or_else(|| part.contents().to_vec()),
            mail_parser::Encoding::QuotedPrintable => {
                mail_parser::decoders::quoted_printable::quoted_printable_decode(slice)
                    .unwrap_or_else(|| part.contents().to_vec())
            }
            mail_parser::Encoding::None => slice.to_vec(),
        },
        PartType::Message(_) | PartType::Multipart(_) => slice.to_vec(),
    }
}

fn attachment_info(index: usize, part: &MessagePart<'_>, raw: &[u8]) -> AttachmentInfo {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        })
        .map(|t| one_line(&t).to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| match part.body {
            PartType::Text(_) => "text/plain".to_owned(),
            PartType::Html(_) => "text/html".to_owned(),
            PartType::Message(_) => "message/rfc822".to_owned(),
            _ => "application/octet-stream".to_owned(),
        });
    let size = match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
        _ => part_bytes(raw, part).len(),
    } as u64;
    let mut filename = part
        .attachment_name()
        .map(safe_filename)
        .unwrap_or_default();
    if filename.is_empty() {
        if let PartType::Message(nested) = &part.body {
            filename = nested.subject().map(safe_filename).unwrap_or_default();
            if !filename.is_empty() {
                filename.push_str(".eml");
            }
        }
    }
    if filename.is_empty() {
        filename = format!("piece-jointe-{}{}", index + 1, extension_for(&content_type));
    }
    let content_id = part
        .content_id()
        .map(bare_id)
        .filter(|c| !c.is_empty() && !c.chars().any(char::is_control));
    let disposition_inline = part
        .content_disposition()
        .map(|d| d.ctype().eq_ignore_ascii_case("inline"));
    let is_inline = match disposition_inline {
        Some(inline) => inline,
        None => content_id.is_some() || matches!(part.body, PartType::InlineBinary(_)),
    };
    let is_xdm = filename.to_ascii_uppercase().ends_with("IHE_XDM.ZIP")
        || (matches!(&part.body, PartType::Binary(b) | PartType::InlineBinary(b)
            if b.starts_with(b"PK\x03\x04") && contains(b, b"IHE_XDM/")));
    AttachmentInfo {
        index,
        filename,
        content_type,
        size,
        content_id,
        is_inline,
        is_xdm,
    }
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/png" => ".png",
        "image/jpeg" | "image/jpg" => ".jpg",
        "image/gif" => ".gif",
        "application/zip" => ".zip",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/xml" | "application/xml" => ".xml",
        "message/rfc822" => ".eml",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_does_not_fail() {
        let d = MessageDisplay::from_raw(b"");
        assert!(!d.malformed_notes.is_empty());
        let d = MessageDisplay::from_raw(b"\xff\xfe\x00garbage");
        assert!(d.subject.is_empty());
    }

    #[test]
    fn charsets() {
        assert!(known_charset("UTF-8"));
        assert!(known_charset("iso-8859-1"));
        assert!(known_charset("windows-1252"));
        assert!(!known_charset("x-inconnu"));
        let found =
            encoded_word_charsets(b"From: =?x-inconnu?q?a?= <a@b>\r\nSubject: =?utf-8?q?b?=");
        assert!(found.contains("x-inconnu") && found.contains("utf-8"));
    }
}
