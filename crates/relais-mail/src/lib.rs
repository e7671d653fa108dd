//! # relais-mail — messages as Relais reads and writes them
//!
//! Pure functions over bytes: **no I/O, no network, no clock except where a caller lets a
//! date default to "now"**. The engine (IMAP/SMTP), the CLI and the app give this crate raw
//! RFC 5322 bytes and get back plain models, or give it an [`Outgoing`] and get bytes to send.
//!
//! - [`display`] — [`MessageDisplay::from_raw`]: what the reader shows, built from any bytes
//!   without ever panicking or failing (malformed input yields French `malformed_notes`);
//!   HTML sanitised with a strict allow-list, remote images blocked by default, `cid:` images
//!   embedded as `data:` URIs; attachments with decoded names; [`attachment_bytes`] to save one.
//! - [`report`] — delivery reports (DSN, RFC 3464, as Postfix sends them) and read receipts
//!   (MDN, RFC 8098) as typed [`Report`]s with a plain French summary.
//! - [`compose`] — [`Outgoing`] messages: policy checks first (trust space, one patient,
//!   sizes), then `From:` = the box, `Sender:` = the person's own box, `X-Relais-Author:`
//!   always, `X-MSS-NIL`, threading headers; [`reply`], [`forward`], [`read_receipt`].
//! - [`xdm`] — IHE XDM packages (`IHE_XDM.ZIP`): [`xdm::read_xdm`] (patient, documents, CDA
//!   narrative as safe text/HTML; hostile zips refused) and [`xdm::build_xdm`] (with the
//!   `X-MSS-CODECDA` / `X-MSS-INS` values for the composer).
//! - [`dates`] — dates in French (French time by the EU rule), with `jiff`.
//! - [`encoding`] — percent-decoding, RFC 2231 values with their charset, base64.
//!
//! ```
//! use relais_core::{Author, BoxAddress, NationalId};
//! use relais_mail::{render, Identity, MessageDisplay, Outgoing, Recipient};
//!
//! let author = Author::new(
//!     "Marie MARTIN",
//!     NationalId::parse("810100000041")?,
//!     Some(BoxAddress::parse("marie.martin@ch-demo.mssante.fr")?),
//! )?;
//! let identity = Identity {
//!     from_box: BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr")?,
//!     from_display_name: "Secrétariat de cardiologie".into(),
//!     sender: author.address().cloned(),
//!     author,
//!     x_mss_nil: "RELAIS-DEMO".into(),
//! };
//! let mut message = Outgoing::new(identity);
//! message.to.push(Recipient::new(BoxAddress::parse("jacques.leroy@cardio-pau.mssante.fr")?));
//! message.subject = "Rendez-vous".into();
//! message.text = "Bonjour Docteur,".into();
//! let rendered = render(&message)?;
//! let shown = MessageDisplay::from_raw(&rendered.bytes);
//! assert_eq!(shown.author.as_ref().map(|a| a.display_name()), Some("Marie MARTIN"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod compose;
pub mod dates;
pub mod display;
pub mod encoding;
mod html;
pub mod report;
pub mod segur;
mod text;
pub mod xdm;

pub use compose::{
    append_signature, check, forward, guess_content_type, read_receipt, render, render_with, reply,
    Attachment, CdaHeaders, ComposeError, Identity, Outgoing, ReadReceiptRequest, Recipient,
    Rendered,
};
pub use display::{
    attachment_bytes, AttachmentInfo, CidPart, MailboxDisplay, MessageDisplay, RemoteContent,
    SpecialHeaders,
};
pub use report::{advice, parse_reports, DeliveryStatus, Disposition, Report, ReportKind};
pub use segur::{
    closes_conversation, is_patient_sender, shown_subject, PatientMark, SegurMarks,
    XDM_SUBJECT_PREFIX,
};
