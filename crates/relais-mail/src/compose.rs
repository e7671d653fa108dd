//! Outgoing messages: [`Outgoing`], checked then rendered to bytes with `mail-builder`.
//!
//! What every rendered message carries:
//! - `From:` the box (with its display name), `Sender:` the person's own box when they write
//!   from another box (organisational), `X-Relais-Author:` **always** (from
//!   [`Author::to_header_value`]), `X-MSS-NIL` (the product's registration reference);
//! - `Message-ID` (kept in [`Outgoing::message_id`] once generated, so that retries from the
//!   outbox send the same id; generated as `<uuid@relais.<from domain>>` otherwise), `Date`,
//!   `MIME-Version`, `In-Reply-To` / `References` when answering or forwarding;
//! - `Disposition-Notification-To:` the from box when a read receipt is asked,
//!   `X-MSS-MES: FIN` when the message closes a patient conversation (the spec also accepts a
//!   subject `[FIN]`; Relais sets the header and leaves the subject to the person),
//!   `X-MSS-CODECDA` / `X-MSS-INS` when CDA documents travel in an IHE XDM zip
//!   ([`Outgoing::cda`]);
//! - UTF-8 text (`mail-builder` picks 7bit, quoted-printable or base64), `multipart/alternative`
//!   when HTML is given, attachments with their MIME types and RFC 2231 file names
//!   (`filename*=UTF-8''Lettre%20de%20sortie%20%E2%80%93…`, done by `mail-builder` 2 itself,
//!   also as the Content-Type `name` parameter for older readers).
//! - **Bcc recipients never appear in the headers**: they are only in
//!   [`Rendered::recipients`], for the SMTP envelope.
//!
//! Before building, [`check`] applies the sending policy of `relais-core`: trust space (unless
//! the person confirmed), the patient rule of ECO.2.2.6 (every `patient.mssante.fr` address a
//! matricule INS with its key, one patient per message: `relais_core::check_patients`),
//! attachment size, message size (25 Mo when a
//! patient is a recipient). [`render`] runs it with the defaults; [`render_with`] takes the
//! person's confirmation and the operator's limits.

use std::borrow::Cow;

use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::mime::{BodyPart, MimePart};
use mail_builder::MessageBuilder;
use relais_core::{
    check_patients, check_trust_space, Author, BoxAddress, PolicyError, SizeLimits,
    AUTHOR_HEADER_NAME,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dates::french_date_time;
use crate::display::{attachment_bytes, MailboxDisplay, MessageDisplay};
use crate::text::{bare_id, one_line, quote, safe_filename, strip_subject_prefixes};

/// A recipient, with the name to show in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The address.
    pub address: BoxAddress,
    /// Display name, if any.
    pub display_name: Option<String>,
}

impl Recipient {
    /// A recipient without display name.
    pub fn new(address: BoxAddress) -> Recipient {
        Recipient {
            address,
            display_name: None,
        }
    }

    /// A recipient with a display name.
    pub fn named(address: BoxAddress, name: &str) -> Recipient {
        let name = one_line(name);
        Recipient {
            address,
            display_name: (!name.is_empty()).then_some(name),
        }
    }

    fn from_display(mailbox: &MailboxDisplay) -> Option<Recipient> {
        let address = BoxAddress::parse(&mailbox.address).ok()?;
        Some(match &mailbox.name {
            Some(name) => Recipient::named(address, name),
            None => Recipient::new(address),
        })
    }
}

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name as the recipient will see it (any Unicode).
    pub filename: String,
    /// MIME type, `type/subtype`.
    pub content_type: String,
    /// Contents.
    #[serde(with = "serde_bytes_as_vec")]
    pub bytes: Vec<u8>,
}

mod serde_bytes_as_vec {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(bytes.iter())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Vec::<u8>::deserialize(d)
    }
}

impl Attachment {
    /// An attachment whose MIME type is guessed from the file name.
    pub fn new(filename: &str, bytes: Vec<u8>) -> Attachment {
        Attachment {
            filename: filename.to_owned(),
            content_type: guess_content_type(filename).to_owned(),
            bytes,
        }
    }
}

/// The MIME type for a file name's extension (pdf, jpg/jpeg, png, gif, zip, xml, txt, html,
/// doc/docx, odt, eml…); `application/octet-stream` otherwise.
pub fn guess_content_type(filename: &str) -> &'static str {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "zip" => "application/zip",
        "xml" => "text/xml",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "rtf" => "application/rtf",
        "eml" => "message/rfc822",
        "hl7" => "application/hl7-v2",
        "dcm" => "application/dicom",
        _ => "application/octet-stream",
    }
}

/// Headers for CDA documents sent in an IHE XDM zip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdaHeaders {
    /// `X-MSS-CODECDA`: the document type code (LOINC, « 11488-4 »).
    pub code_cda: String,
    /// `X-MSS-INS`: whether the patient identity in the documents is a qualified INS (`O`/`N`).
    pub ins_qualified: bool,
}

/// The machine-readable part of a read receipt (RFC 8098).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReceiptRequest {
    /// Message-ID of the message that was read, without angle brackets.
    pub original_message_id: Option<String>,
    /// The box that read it.
    pub final_recipient: BoxAddress,
}

/// Who sends: the box, its display name, the person writing, and the product reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The box the message is sent from (`From:`).
    pub from_box: BoxAddress,
    /// Its display name (« Secrétariat de cardiologie »), may be empty.
    pub from_display_name: String,
    /// The person writing.
    pub author: Author,
    /// `Sender:` — the person's own box when they write from another box; `None` otherwise.
    pub sender: Option<BoxAddress>,
    /// `X-MSS-NIL` value.
    pub x_mss_nil: String,
}

/// A message to send. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// `From:` box.
    pub from_box: BoxAddress,
    /// Its display name.
    pub from_display_name: String,
    /// The individual author (`X-Relais-Author`).
    pub author: Author,
    /// `Sender:` (ignored when equal to `from_box`).
    pub sender: Option<BoxAddress>,
    /// `To:`.
    pub to: Vec<Recipient>,
    /// `Cc:`.
    pub cc: Vec<Recipient>,
    /// Blind copies: envelope only, never in the headers.
    pub bcc: Vec<Recipient>,
    /// Subject.
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// Optional HTML alternative.
    pub html: Option<String>,
    /// Files.
    pub attachments: Vec<Attachment>,
    /// Message-ID answered, without angle brackets.
    pub in_reply_to: Option<String>,
    /// Thread, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// Ask for a read receipt (`Disposition-Notification-To:` the from box).
    pub read_receipt: bool,
    /// Close the patient conversation (`X-MSS-MES: FIN`).
    pub close_conversation: bool,
    /// `X-MSS-NIL` value.
    pub x_mss_nil: String,
    /// Message-ID without angle brackets; generated once and kept (see
    /// [`Outgoing::ensure_message_id`]).
    pub message_id: Option<String>,
    /// Unix seconds; `None` means the time of rendering.
    pub date: Option<i64>,
    /// `X-MSS-CODECDA` / `X-MSS-INS`, when CDA documents are attached in an IHE XDM zip.
    pub cda: Option<CdaHeaders>,
    /// When set, the message is a read receipt (`multipart/report`).
    pub mdn: Option<ReadReceiptRequest>,
}

/// Why a message cannot be sent. Display messages are French.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ComposeError {
    /// A sending rule (trust space, patients, sizes).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// No To, Cc or Bcc.
    #[error("Le message n'a aucun destinataire.")]
    NoRecipient,
    /// `X-MSS-NIL` is empty.
    #[error("La référence X-MSS-NIL du logiciel manque : le message ne peut pas partir.")]
    MissingNil,
    /// A header value with characters that cannot go in a header.
    #[error("La valeur de l'en-tête {field} est invalide (caractères interdits).")]
    InvalidHeaderValue {
        /// The header.
        field: &'static str,
    },
    /// A message id with spaces, brackets or control characters.
    #[error("L'identifiant de message « {id} » est invalide.")]
    InvalidMessageId {
        /// The id given.
        id: String,
    },
    /// No randomness for the Message-ID.
    #[error("Impossible de générer l'identifiant du message : source d'aléa indisponible.")]
    Random,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The Message-ID used, without angle brackets (store it in the outbox).
    pub message_id: String,
    /// The RFC 5322 bytes (CRLF line ends).
    pub bytes: Vec<u8>,
    /// Envelope recipients: To, Cc and Bcc, each once.
    pub recipients: Vec<BoxAddress>,
}

impl Outgoing {
    /// An empty message from `identity`.
    pub fn new(identity: Identity) -> Outgoing {
        Outgoing {
            from_box: identity.from_box,
            from_display_name: identity.from_display_name,
            author: identity.author,
            sender: identity.sender,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: String::new(),
            text: String::new(),
            html: None,
            attachments: Vec::new(),
            in_reply_to: None,
            references: Vec::new(),
            read_receipt: false,
            close_conversation: false,
            x_mss_nil: identity.x_mss_nil,
            message_id: None,
            date: None,
            cda: None,
            mdn: None,
        }
    }

    /// To, Cc and Bcc addresses, each once, in that order.
    pub fn recipients(&self) -> Vec<BoxAddress> {
        let mut all: Vec<BoxAddress> = Vec::new();
        for r in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !all.contains(&r.address) {
                all.push(r.address.clone());
            }
        }
        all
    }

    /// The Message-ID, generated and stored on first call.
    pub fn ensure_message_id(&mut self) -> Result<String, ComposeError> {
        if let Some(id) = &self.message_id {
            return Ok(id.clone());
        }
        let id = generate_message_id(&self.from_box)?;
        self.message_id = Some(id.clone());
        Ok(id)
    }
}

/// A new `uuid-v4@relais.<domain of the box>` (without angle brackets).
fn generate_message_id(from_box: &BoxAddress) -> Result<String, ComposeError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|_| ComposeError::Random)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}@relais.{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32],
        from_box.domain()
    ))
}

/// Checks the sending policy before anything is built: at least one recipient, the
/// `X-MSS-NIL`, the trust space (unless `allow_outside`, after the person confirmed), the
/// patient rule (INS with its key, one patient at most), each attachment's size, then the estimated message size.
pub fn check(
    outgoing: &Outgoing,
    allow_outside: bool,
    limits: &SizeLimits,
) -> Result<(), ComposeError> {
    let recipients = outgoing.recipients();
    if recipients.is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    if outgoing.x_mss_nil.trim().is_empty() {
        return Err(ComposeError::MissingNil);
    }
    check_trust_space(&recipients, allow_outside)?;
    check_patients(&recipients)?;
    for attachment in &outgoing.attachments {
        limits.check_attachment(&attachment.filename, attachment.bytes.len() as u64)?;
    }
    let has_patient = recipients.iter().any(BoxAddress::is_patient);
    limits.check_message(estimated_size(outgoing), has_patient)?;
    Ok(())
}

/// Size of the rendered message, estimated from above without building it.
fn estimated_size(outgoing: &Outgoing) -> u64 {
    let base64 = |n: usize| (n as u64).div_ceil(3) * 4 * 78 / 76;
    let text = outgoing.text.len() as u64 * 3 / 2;
    let html = outgoing.html.as_ref().map_or(0, |h| h.len() as u64 * 3 / 2);
    let attachments: u64 = outgoing
        .attachments
        .iter()
        .map(|a| base64(a.bytes.len()) + 400 + a.filename.len() as u64 * 3)
        .sum();
    4096 + text + html + attachments
}

/// Checks with the defaults (no recipient outside the trust space, default sizes) and renders.
pub fn render(outgoing: &Outgoing) -> Result<Rendered, ComposeError> {
    render_with(outgoing, false, &SizeLimits::default())
}

/// [`check`]s, then renders; the rendered size is checked again against the limits.
pub fn render_with(
    outgoing: &Outgoing,
    allow_outside: bool,
    limits: &SizeLimits,
) -> Result<Rendered, ComposeError> {
    check(outgoing, allow_outside, limits)?;
    let rendered = build(outgoing)?;
    let has_patient = rendered.recipients.iter().any(BoxAddress::is_patient);
    limits.check_message(rendered.bytes.len() as u64, has_patient)?;
    Ok(rendered)
}

/// Printable ASCII only (for raw header values).
fn raw_header_value(value: &str, field: &'static str) -> Result<String, ComposeError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 900 || !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ComposeError::InvalidHeaderValue { field });
    }
    Ok(value.to_owned())
}

fn valid_id(id: &str) -> Result<String, ComposeError> {
    let bare = bare_id(id);
    let ok = !bare.is_empty()
        && bare.len() <= 250
        && bare
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'<' && b != b'>');
    if ok {
        Ok(bare)
    } else {
        Err(ComposeError::InvalidMessageId { id: id.to_owned() })
    }
}

fn address<'a>(name: Option<&str>, addr: &'a BoxAddress) -> Address<'a> {
    let name = name.map(one_line).filter(|n| !n.is_empty());
    Address::new_address(name, addr.as_str())
}

fn address_list(recipients: &[Recipient]) -> Address<'_> {
    Address::new_list(
        recipients
            .iter()
            .map(|r| address(r.display_name.as_deref(), &r.address))
            .collect(),
    )
}

fn build(outgoing: &Outgoing) -> Result<Rendered, ComposeError> {
    let message_id = match &outgoing.message_id {
        Some(id) => valid_id(id)?,
        None => generate_message_id(&outgoing.from_box)?,
    };
    let nil = raw_header_value(&outgoing.x_mss_nil, "X-MSS-NIL")?;
    let date = outgoing.date.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    });

    let mut builder = MessageBuilder::new().from(address(
        Some(&outgoing.from_display_name),
        &outgoing.from_box,
    ));
    if let Some(sender) = outgoing
        .sender
        .as_ref()
        .filter(|s| **s != outgoing.from_box)
    {
        builder = builder.sender(address(Some(outgoing.author.display_name()), sender));
    }
    if !outgoing.to.is_empty() {
        builder = builder.to(address_list(&outgoing.to));
    }
    if !outgoing.cc.is_empty() {
        builder = builder.cc(address_list(&outgoing.cc));
    }
    // Bcc: never written.
    builder = builder
        .subject(Text::new(one_line(&outgoing.subject)))
        .date(Date::new(date))
        .message_id(MessageId::new(message_id.clone()));
    if let Some(id) = &outgoing.in_reply_to {
        builder = builder.in_reply_to(MessageId::new(valid_id(id)?));
    }
    if !outgoing.references.is_empty() {
        let ids = outgoing
            .references
            .iter()
            .map(|r| valid_id(r))
            .collect::<Result<Vec<_>, _>>()?;
        builder = builder.references(MessageId::new_list(ids.into_iter()));
    }
    builder = builder
        .header(
            AUTHOR_HEADER_NAME,
            Raw::new(outgoing.author.to_header_value()),
        )
        .header("X-MSS-NIL", Raw::new(nil));
    if outgoing.read_receipt {
        builder = builder.header(
            "Disposition-Notification-To",
            address(Some(&outgoing.from_display_name), &outgoing.from_box),
        );
    }
    if outgoing.close_conversation {
        builder = builder.header("X-MSS-MES", Raw::new("FIN"));
    }
    if let Some(cda) = &outgoing.cda {
        builder = builder
            .header(
                "X-MSS-CODECDA",
                Raw::new(raw_header_value(&cda.code_cda, "X-MSS-CODECDA")?),
            )
            .header(
                "X-MSS-INS",
                Raw::new(if cda.ins_qualified { "O" } else { "N" }),
            );
    }

    if let Some(mdn) = &outgoing.mdn {
        builder = builder.body(mdn_body(outgoing, mdn)?);
    } else {
        builder = builder.text_body(outgoing.text.as_str());
        if let Some(html) = &outgoing.html {
            builder = builder.html_body(html.as_str());
        }
        let parts = builder.attachments.get_or_insert_with(Vec::new);
        for attachment in &outgoing.attachments {
            parts.push(attachment_part(attachment));
        }
        if parts.is_empty() {
            builder.attachments = None;
        }
    }

    let bytes = builder.write_to_vec().unwrap_or_default();
    Ok(Rendered {
        message_id,
        bytes,
        recipients: outgoing.recipients(),
    })
}

fn attachment_part(attachment: &Attachment) -> MimePart<'_> {
    let filename = {
        let f = one_line(&attachment.filename);
        if f.is_empty() {
            "piece-jointe".to_owned()
        } else {
            f
        }
    };
    let content_type = {
        let t = attachment.content_type.trim().to_ascii_lowercase();
        let valid = t.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && t.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/+-.".contains(&c))
        });
        if valid {
            t
        } else {
            guess_content_type(&filename).to_owned()
        }
    };
    if content_type == "message/rfc822" {
        if let Some(raw) = rfc822_raw(&attachment.bytes) {
            let encoding = if raw.is_ascii() { "7bit" } else { "8bit" };
            return MimePart::new(
                ContentType::new("message/rfc822"),
                BodyPart::Binary(Cow::Owned(raw)),
            )
            .attachment(filename)
            .transfer_encoding(encoding);
        }
    }
    MimePart::new(
        ContentType::new(content_type).attribute("name", filename.clone()),
        BodyPart::Binary(Cow::Borrowed(attachment.bytes.as_slice())),
    )
    .attachment(filename)
}

/// A message to embed as `message/rfc822` (RFC 2046 allows only 7bit/8bit there): CRLF line
/// ends, no NUL, lines of at most 998 bytes; `None` when it cannot be (then it goes base64).
fn rfc822_raw(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > 998 || line.contains(&0) || line.contains(&b'\r') {
            return None;
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    // The split gives one empty piece after a final line end: drop its CRLF.
    if bytes.ends_with(b"\n") {
        out.truncate(out.len() - 2);
    }
    Some(out)
}

fn mdn_body<'a>(
    outgoing: &'a Outgoing,
    mdn: &ReadReceiptRequest,
) -> Result<MimePart<'a>, ComposeError> {
    let mut fields = String::from("Reporting-UA: Relais; relais-mail\r\n");
    fields.push_str(&format!(
        "Final-Recipient: rfc822; {}\r\n",
        mdn.final_recipient
    ));
    if let Some(id) = &mdn.original_message_id {
        fields.push_str(&format!("Original-Message-ID: <{}>\r\n", valid_id(id)?));
    }
    fields.push_str("Disposition: manual-action/MDN-sent-manually; displayed\r\n");
    Ok(MimePart::new(
        ContentType::new("multipart/report").attribute("report-type", "disposition-notification"),
        BodyPart::Multipart(vec![
            MimePart::new("text/plain", BodyPart::Text(outgoing.text.as_str().into())),
            MimePart::new(
                ContentType::new("message/disposition-notification"),
                BodyPart::Text(fields.into()),
            ),
        ]),
    ))
}

/// Appends the signature line below `text`, after a blank line (« Marie MARTIN — pour le
/// Secrétariat de cardiologie », from [`Author::signature_line`]). For a reply, sign the
/// person's own words before the quoted original is added below.
pub fn append_signature(text: &str, line: &str) -> String {
    let line = line.trim();
    if line.is_empty() {
        return text.to_owned();
    }
    let body = text.trim_end();
    if body.is_empty() {
        format!("{line}\n")
    } else {
        format!("{body}\n\n{line}\n")
    }
}

/// Threading of an answer: `In-Reply-To` the original, `References` its references then its
/// id (the first and the last 19, as RFC 5322 suggests trimming long threads).
fn thread(original: &MessageDisplay) -> (Option<String>, Vec<String>) {
    let mut references: Vec<String> = original.references.clone();
    if references.is_empty() {
        if let Some(parent) = &original.in_reply_to {
            references.push(parent.clone());
        }
    }
    if let Some(id) = &original.message_id {
        if !references.contains(id) {
            references.push(id.clone());
        }
    }
    if references.len() > 20 {
        let tail = references.split_off(references.len() - 19);
        references.truncate(1);
        references.extend(tail);
    }
    (original.message_id.clone(), references)
}

fn is_mine(address: &BoxAddress, me: &[BoxAddress]) -> bool {
    me.contains(address)
}

fn push_unique(list: &mut Vec<Recipient>, recipient: Recipient, taken: &mut Vec<BoxAddress>) {
    if !taken.contains(&recipient.address) {
        taken.push(recipient.address.clone());
        list.push(recipient);
    }
}

/// « Le 14/11/2026 à 10:32, Dr Jacques LEROY a écrit : ».
fn reply_intro(original: &MessageDisplay) -> String {
    let who = original
        .from
        .as_ref()
        .map(|f| f.name_or_address().to_owned())
        .unwrap_or_else(|| "l'expéditeur".to_owned());
    match original.date {
        Some(date) => {
            let (day, time) = french_date_time(date, original.date_offset_minutes.unwrap_or(0));
            format!("Le {day} à {time}, {who} a écrit :")
        }
        None => format!("{who} a écrit :"),
    }
}

/// An answer to `original` from `identity`: `Re: ` subject (without piling up prefixes), To
/// the `Reply-To` or else the `From` (or the original To when it was one of `me`); with
/// `all`, the original To and Cc too, minus `me`; threading headers; the original text quoted
/// under « Le 14/11/2026 à 10:32, Dr Jacques LEROY a écrit : ».
pub fn reply(
    original: &MessageDisplay,
    all: bool,
    me: &[BoxAddress],
    identity: Identity,
) -> Outgoing {
    let mut out = Outgoing::new(identity);
    let mut taken: Vec<BoxAddress> = me.to_vec();
    taken.push(out.from_box.clone());
    let parse = |list: &[MailboxDisplay]| -> Vec<Recipient> {
        list.iter().filter_map(Recipient::from_display).collect()
    };
    let mut targets = parse(&original.reply_to);
    if targets.is_empty() {
        targets = original
            .from
            .iter()
            .filter_map(Recipient::from_display)
            .collect();
    }
    let from_me = !targets.is_empty()
        && targets
            .iter()
            .all(|t| is_mine(&t.address, me) || t.address == out.from_box);
    if from_me {
        // Answering one's own message: write again to its recipients.
        let mut to = Vec::new();
        let mut taken_own = Vec::new();
        for r in parse(&original.to) {
            push_unique(&mut to, r, &mut taken_own);
        }
        for r in &to {
            taken.push(r.address.clone());
        }
        out.to = to;
    } else {
        for r in targets {
            push_unique(&mut out.to, r, &mut taken);
        }
    }
    if all {
        for r in parse(&original.to) {
            push_unique(&mut out.to, r, &mut taken);
        }
        for r in parse(&original.cc) {
            push_unique(&mut out.cc, r, &mut taken);
        }
    }
    out.subject = format!("Re: {}", strip_subject_prefixes(&original.subject));
    let (in_reply_to, references) = thread(original);
    out.in_reply_to = in_reply_to;
    out.references = references;
    out.text = format!("\n\n{}\n{}", reply_intro(original), quote(&original.text));
    out
}

/// A forward of `original` (whose bytes are `raw`): `TR: ` subject, threading headers.
/// Inline: a header block « ---------- Message transféré ---------- » then the text, and the
/// original attachments attached again with their bytes. As attachment: the original raw
/// message as `message/rfc822`.
pub fn forward(
    original: &MessageDisplay,
    raw: &[u8],
    as_attachment: bool,
    identity: Identity,
) -> Outgoing {
    let mut out = Outgoing::new(identity);
    out.subject = format!("TR: {}", strip_subject_prefixes(&original.subject));
    let (in_reply_to, references) = thread(original);
    out.in_reply_to = in_reply_to;
    out.references = references;
    if as_attachment {
        let mut name = safe_filename(strip_subject_prefixes(&original.subject));
        if name.is_empty() {
            name = "message".to_owned();
        }
        name.push_str(".eml");
        out.attachments.push(Attachment {
            filename: name,
            content_type: "message/rfc822".to_owned(),
            bytes: raw.to_vec(),
        });
        return out;
    }
    let list = |l: &[MailboxDisplay]| {
        l.iter()
            .map(MailboxDisplay::to_display_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut block = String::from("\n\n---------- Message transféré ----------\n");
    if let Some(from) = &original.from {
        block.push_str(&format!("De : {}\n", from.to_display_string()));
    }
    if let Some(date) = original.date {
        let (day, time) = french_date_time(date, original.date_offset_minutes.unwrap_or(0));
        block.push_str(&format!("Date : {day} à {time}\n"));
    }
    block.push_str(&format!("Objet : {}\n", original.subject));
    if !original.to.is_empty() {
        block.push_str(&format!("À : {}\n", list(&original.to)));
    }
    if !original.cc.is_empty() {
        block.push_str(&format!("Cc : {}\n", list(&original.cc)));
    }
    block.push('\n');
    block.push_str(&original.text);
    out.text = block;
    for info in &original.attachments {
        if let Some(bytes) = attachment_bytes(raw, info.index) {
            out.attachments.push(Attachment {
                filename: info.filename.clone(),
                content_type: info.content_type.clone(),
                bytes,
            });
        }
    }
    out
}

/// The read receipt (MDN, `multipart/report; report-type=disposition-notification`) for
/// `original`, read in box `me`, addressed to its `Disposition-Notification-To`. `None` when
/// no receipt was asked or the address is unreadable. Build it only when the person agrees.
pub fn read_receipt(
    original: &MessageDisplay,
    me: &BoxAddress,
    identity: Identity,
) -> Option<Outgoing> {
    let to = original
        .special
        .disposition_notification_to
        .as_deref()
        .and_then(|a| BoxAddress::parse(&bare_id(a)).ok())?;
    let mut out = Outgoing::new(identity);
    out.to.push(Recipient::new(to));
    let subject = strip_subject_prefixes(&original.subject);
    out.subject = format!("Accusé de lecture : {subject}");
    let when = original
        .date
        .map(|d| {
            let (day, time) = french_date_time(d, original.date_offset_minutes.unwrap_or(0));
            format!(" envoyé le {day} à {time}")
        })
        .unwrap_or_default();
    out.text = format!(
        "Votre message « {subject} »{when} à {me} a été affiché par son destinataire.\n\
         Cela ne garantit pas qu'il ait été lu ni compris.\n"
    );
    let (in_reply_to, references) = thread(original);
    out.in_reply_to = in_reply_to;
    out.references = references;
    out.mdn = Some(ReadReceiptRequest {
        original_message_id: original.message_id.clone(),
        final_recipient: me.clone(),
    });
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(guess_content_type("a.PDF"), "application/pdf");
        assert_eq!(guess_content_type("photo.jpeg"), "image/jpeg");
        assert_eq!(guess_content_type("IHE_XDM.ZIP"), "application/zip");
        assert_eq!(
            guess_content_type("cr.odt"),
            "application/vnd.oasis.opendocument.text"
        );
        assert_eq!(
            guess_content_type("sans-extension"),
            "application/octet-stream"
        );
    }

    #[test]
    fn signature() {
        assert_eq!(
            append_signature(
                "Bonjour,\n\n",
                "Marie MARTIN — pour le Secrétariat de cardiologie"
            ),
            "Bonjour,\n\nMarie MARTIN — pour le Secrétariat de cardiologie\n"
        );
        assert_eq!(append_signature("x", " "), "x");
    }

    #[test]
    fn rfc822_normalisation() {
        assert_eq!(rfc822_raw(b"a\nb\r\n").as_deref(), Some(&b"a\r\nb\r\n"[..]));
        assert_eq!(rfc822_raw(b"a\nb").as_deref(), Some(&b"a\r\nb\r\n"[..]));
        assert!(rfc822_raw(b"a\0b").is_none());
    }

    #[test]
    fn ids() {
        assert_eq!(valid_id("<a@b>").ok().as_deref(), Some("a@b"));
        assert!(valid_id("a b@c").is_err());
        assert!(valid_id("a>\r\nBcc: x@y").is_err());
    }
}
