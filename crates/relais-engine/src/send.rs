//! Sending: a [`Compose`] from the person becomes bytes, written durably to the outbox, then
//! submitted and copied to the box's Sent folder (see [`crate::outbox`] for the protocol that
//! makes this happen exactly once, even when the process is killed at any point).
//!
//! # Authorship
//!
//! The author is **always the signed-in person** ([`Engine::person`] →
//! [`Author::from_person`]); a [`Compose`] has no author field, so no caller (UI, CLI, a draft
//! written by a colleague, a reply) can choose another one. The rendered message carries:
//!
//! - `From:` the box, with its display name (« Secrétariat de cardiologie »);
//! - `Sender:` the person's own box when they write from another box and have one;
//! - `X-Relais-Author:` always (format documented in `relais_core::author`), e.g.
//!   `id=810100000041; name="Marie MARTIN"; addr="marie.martin@ch-demo.mssante.fr"`;
//! - `X-MSS-NIL`: the product's own reference, [`relais_core::X_MSS_NIL`] (ECO.2.4.3);
//! - a visible signature line below the person's words and above any quoted text: the box's
//!   configured line ([`Engine::set_box_settings`]), else [`Author::signature_line`] with the
//!   box's display name (« Marie MARTIN — pour le Secrétariat de cardiologie »).
//!
//! # Checks, before anything is stored
//!
//! In this order, each with a French message naming the file or the address: the person may
//! send from the box (`p`/`i` rights, [`relais_core::Rights::can_send`]) — before any network
//! call; every attachment file exists and is under the per-attachment limit (checked on its
//! size before it is read); then `relais_mail::check` — at least one recipient, trust space
//! (unless `allow_outside`), one patient per message, attachment sizes (10 Mo), message size
//! (the operator's `max_message_size`, 25 Mo to a patient).

use std::path::PathBuf;

use relais_core::{Author, BoxAddress, Entitlement, Person, QualifiedPatient, Rights, SizeLimits};
use relais_mail::{
    append_signature, render_with, xdm, Attachment, ComposeError, Identity, Outgoing, Recipient,
};
use relais_store::{DraftId, NewOutboxMessage, OutboxId, OutboxState};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::Engine;

/// A file to attach: a path on this computer (read when sending) or bytes already in memory
/// (a forwarded message's attachments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ComposeAttachment {
    /// A file; its name is the file name, its MIME type guessed from the extension.
    Path { path: PathBuf },
    /// Bytes with a name and, optionally, a MIME type (guessed from the name otherwise).
    Bytes {
        filename: String,
        content_type: Option<String>,
        bytes: Vec<u8>,
    },
}

impl ComposeAttachment {
    pub fn path(path: impl Into<PathBuf>) -> ComposeAttachment {
        ComposeAttachment::Path { path: path.into() }
    }

    /// The name the recipient sees.
    pub fn filename(&self) -> String {
        match self {
            ComposeAttachment::Path { path } => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            ComposeAttachment::Bytes { filename, .. } => filename.clone(),
        }
    }
}

/// What the person writes. There is deliberately **no author** here: see the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compose {
    /// The box it is sent from (`From:`).
    pub from_box: BoxAddress,
    pub to: Vec<Recipient>,
    pub cc: Vec<Recipient>,
    /// Envelope only, never in the headers.
    pub bcc: Vec<Recipient>,
    pub subject: String,
    /// The person's own words (the signature goes below them).
    pub text: String,
    /// What is quoted or forwarded below the signature (pre-filled by reply/forward).
    pub quoted: Option<String>,
    /// Optional HTML alternative (sent as is; the signature is added to the text only).
    pub html: Option<String>,
    pub attachments: Vec<ComposeAttachment>,
    /// Ask for delivery notifications (DSN `NOTIFY=SUCCESS,FAILURE`).
    pub delivery_receipt: bool,
    /// Ask for a read receipt (`Disposition-Notification-To`).
    pub read_receipt: bool,
    /// The person confirmed sending outside the MSSanté trust space.
    pub allow_outside: bool,
    /// A patient (qualified INS + traits): their Mon espace santé address is added to `To`.
    pub patient: Option<QualifiedPatient>,
    /// Close the patient conversation (`X-MSS-MES: FIN`).
    pub close_conversation: bool,
    /// Message-ID answered (without angle brackets).
    pub in_reply_to: Option<String>,
    /// Thread, oldest first.
    pub references: Vec<String>,
    /// Add the box's signature line (default true).
    pub sign: bool,
    /// The local draft this message was written in (deleted when it is queued, or when its
    /// submission starts if it is held).
    pub draft: Option<DraftId>,
    /// Undo send: seconds the message waits in the outbox before its first attempt, during
    /// which [`Engine::recall_send`] brings it back as a draft (0: it leaves at once).
    pub hold_secs: u32,
}

impl Compose {
    /// An empty message from `from_box`, signed.
    pub fn new(from_box: BoxAddress) -> Compose {
        Compose {
            from_box,
            to: Vec::new(),
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: String::new(),
            text: String::new(),
            quoted: None,
            html: None,
            attachments: Vec::new(),
            delivery_receipt: false,
            read_receipt: false,
            allow_outside: false,
            patient: None,
            close_conversation: false,
            in_reply_to: None,
            references: Vec::new(),
            sign: true,
            draft: None,
            hold_secs: 0,
        }
    }

    /// Every recipient address (To, Cc, Bcc, and the patient).
    pub fn recipient_addresses(&self) -> Vec<BoxAddress> {
        let mut all: Vec<BoxAddress> = self
            .to
            .iter()
            .chain(&self.cc)
            .chain(&self.bcc)
            .map(|r| r.address.clone())
            .collect();
        if let Some(p) = &self.patient {
            all.push(p.address());
        }
        all
    }
}

/// What [`Engine::send`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendReceipt {
    pub outbox_id: OutboxId,
    /// Without angle brackets; stable across retries.
    pub message_id: String,
    /// `done` when sent and copied to Sent; `submitted` when sent but the Sent copy is still
    /// to be written; `queued` when it waits for a retry (see `error`).
    pub state: OutboxState,
    /// The submission server's final reply, when it answered.
    pub server_reply: Option<String>,
    /// Why it is still queued, in French.
    pub error: Option<String>,
    /// Undo send: it waits until then (unix seconds) and may be recalled until it is tried.
    pub held_until: Option<i64>,
}

impl SendReceipt {
    /// Whether the submission server accepted it.
    pub fn sent(&self) -> bool {
        matches!(
            self.state,
            OutboxState::Submitted | OutboxState::Appending | OutboxState::Done
        )
    }
}

/// Why a message was not sent. French messages naming the file or address at fault.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A sending rule (trust space, one patient, sizes), a missing recipient…
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("La pièce jointe « {name} » ne peut pas être lue : {detail}")]
    Attachment { name: String, detail: String },
    /// The CDA documents for a patient could not be packed (IHE XDM).
    #[error(transparent)]
    Xdm(#[from] xdm::XdmError),
    #[error("Votre identité ne permet pas de signer le message : {0}")]
    Author(String),
    /// The server refused the message for good; it stays in the outbox as `failed`.
    #[error("Le message n'est pas parti (il reste dans la boîte d'envoi, en échec) : {detail}")]
    Refused {
        outbox_id: OutboxId,
        message_id: String,
        detail: String,
    },
    #[error("Brouillon introuvable : {0}.")]
    UnknownDraft(DraftId),
    #[error("Ce message n'est pas un brouillon : seuls ceux du dossier Brouillons se reprennent.")]
    NotADraft,
    #[error("Trop tard pour annuler : l'envoi de ce message a commencé.")]
    TooLateToRecall,
    #[error("Ce message ne demande pas d'accusé de lecture.")]
    NoReadReceiptAsked,
    /// ECO.3.1.6: the person already chose for this message (sent or declined).
    #[error("Vous avez déjà répondu à la demande d'accusé de lecture de ce message.")]
    ReadReceiptAlreadyAnswered,
}

impl From<relais_store::StoreError> for SendError {
    fn from(e: relais_store::StoreError) -> Self {
        SendError::Engine(e.into())
    }
}

impl From<relais_net::NetError> for SendError {
    fn from(e: relais_net::NetError) -> Self {
        SendError::Engine(e.into())
    }
}

pub type SendResult<T> = std::result::Result<T, SendError>;

/// The `Identity` of a message written by `person` from `entitlement`'s box.
pub(crate) fn identity(
    engine: &Engine,
    person: &Person,
    entitlement: &Entitlement,
) -> SendResult<Identity> {
    if person.identity == relais_core::IdentitySource::Unknown {
        return Err(SendError::Author(
            "aucun annuaire ne vous connaît : indiquez d'abord vos prénom, nom et profession"
                .to_string(),
        ));
    }
    let author = Author::from_person(person).map_err(|e| SendError::Author(e.to_string()))?;
    let sender = person
        .own_box
        .clone()
        .filter(|own| *own != entitlement.address);
    Ok(Identity {
        from_box: entitlement.address.clone(),
        from_display_name: engine.box_display_name(entitlement),
        author,
        sender,
        x_mss_nil: engine.x_mss_nil(),
    })
}

const BOX_SETTINGS_KEY: &str = "box_settings";

/// The store key of a queued message's DSN request (the row does not hold the envelope).
fn dsn_key(message_id: &str) -> String {
    format!("dsn:{message_id}")
}

impl Engine {
    /// `X-MSS-NIL`: the product's reference, the same for every operator.
    pub fn x_mss_nil(&self) -> String {
        relais_core::X_MSS_NIL.to_string()
    }

    pub(crate) fn send_limits(&self) -> SizeLimits {
        SizeLimits {
            per_message: self.operator.max_message_size,
            ..SizeLimits::default()
        }
    }

    fn check_can_send(&self, entitlement: &Entitlement) -> SendResult<()> {
        if !can_send(entitlement.rights) {
            return Err(EngineError::NotAllowed {
                address: entitlement.address.clone(),
                action: "l'utiliser pour envoyer des messages".into(),
            }
            .into());
        }
        Ok(())
    }

    /// Turn what the person wrote into an [`Outgoing`] signed by the signed-in person.
    pub(crate) fn outgoing(
        &self,
        compose: &Compose,
        entitlement: &Entitlement,
    ) -> SendResult<Outgoing> {
        let person = self.person()?;
        let identity = identity(self, &person, entitlement)?;
        let signature = self.signature_for(entitlement, &identity.author);
        let mut out = Outgoing::new(identity);
        out.to = compose.to.clone();
        out.cc = compose.cc.clone();
        out.bcc = compose.bcc.clone();
        if let Some(patient) = &compose.patient {
            let address = patient.address();
            let listed = compose
                .to
                .iter()
                .chain(&compose.cc)
                .chain(&compose.bcc)
                .any(|r| r.address == address);
            if !listed {
                let name = format!(
                    "{} {}",
                    patient.traits.first_names.trim(),
                    patient.traits.birth_name.trim()
                );
                out.to.push(Recipient::named(address, &name));
            }
        }
        out.subject = compose.subject.clone();
        let mut text = if compose.sign {
            append_signature(&compose.text, &signature)
        } else {
            compose.text.clone()
        };
        if let Some(quoted) = &compose.quoted {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(quoted);
        }
        out.text = text;
        out.html = compose.html.clone();
        let limits = self.send_limits();
        for a in &compose.attachments {
            out.attachments.push(read_attachment(a, &limits)?);
        }
        if let Some(patient) = &compose.patient {
            pack_patient_documents(&mut out, patient)?;
        }
        out.read_receipt = compose.read_receipt;
        out.close_conversation = compose.close_conversation;
        out.in_reply_to = compose.in_reply_to.clone();
        out.references = compose.references.clone();
        Ok(out)
    }

    /// Send a message: check, render once, queue durably, submit, copy to Sent, audit. See
    /// the module doc and [`crate::outbox`].
    ///
    /// Returns `Ok` once the message is safely queued: `state` tells whether it left
    /// (`done`/`submitted`) or waits for a retry (`queued`, with the error). A permanent
    /// refusal by the server is [`SendError::Refused`] (the message stays in the outbox as
    /// `failed`); a rule broken before sending is an error and nothing is stored.
    ///
    /// With `hold_secs`, the message is queued but held back that long: what was written is
    /// kept as a local draft until its submission starts, for [`Engine::recall_send`].
    pub fn send(&self, mut compose: Compose) -> SendResult<SendReceipt> {
        let entitlement = self.entitlement(&compose.from_box)?;
        self.check_can_send(&entitlement)?;
        let outgoing = self.outgoing(&compose, &entitlement)?;
        let hold_until = if compose.hold_secs > 0 {
            // What « Annuler l'envoi » gives back: the words as sent, not the last autosave.
            compose.draft = Some(self.keep_local_draft(&compose)?);
            Some(crate::now_secs() + i64::from(compose.hold_secs))
        } else {
            None
        };
        self.send_outgoing(
            outgoing,
            compose.allow_outside,
            compose.delivery_receipt,
            compose.draft,
            hold_until,
        )
    }

    /// Render, enqueue and process one message (shared by [`Engine::send`], drafts and read
    /// receipts).
    pub(crate) fn send_outgoing(
        &self,
        mut outgoing: Outgoing,
        allow_outside: bool,
        dsn: bool,
        draft: Option<DraftId>,
        hold_until: Option<i64>,
    ) -> SendResult<SendReceipt> {
        let entitlement = self.entitlement(&outgoing.from_box)?;
        self.check_can_send(&entitlement)?;
        // ECO.2.2.7: a patient (Mon espace santé) sees the professional as
        // <Titre>_<Prénom>_<NOM>_<Entité>, whatever path built the message.
        if outgoing.recipients().iter().any(BoxAddress::is_patient) {
            outgoing.from_display_name = self.patient_facing_name(&entitlement)?;
        }
        // One Message-ID for the life of the message: retries send these very bytes.
        outgoing.ensure_message_id()?;
        let rendered = render_with(&outgoing, allow_outside, &self.send_limits())?;
        if dsn {
            // Before the message is queued: a retry after a crash still asks for the DSN.
            self.store()?
                .set_state(&dsn_key(&rendered.message_id), "NOTIFY=SUCCESS,FAILURE")?;
        }
        // The draft's copy in the Drafts folder goes once the message is queued: the local
        // draft is deleted in the queueing transaction, its copy must not outlive it.
        let draft_copy = match draft.filter(|_| hold_until.is_none()) {
            Some(id) => self
                .store()?
                .draft(id)?
                .and_then(|d| d.server_uid.map(|uid| (d.content.box_address, uid))),
            None => None,
        };
        let id = self.store()?.enqueue(
            &NewOutboxMessage {
                box_address: outgoing.from_box.clone(),
                message_id: rendered.message_id.clone(),
                raw: rendered.bytes,
                envelope_from: outgoing.from_box.clone(),
                recipients: rendered.recipients,
                subject: outgoing.subject.clone(),
                author: outgoing.author.clone(),
                from_draft: draft,
                hold_until: hold_until.unwrap_or(0),
            },
            crate::now_secs(),
        )?;
        self.outbox_changed();
        if let Some(until) = hold_until {
            // Held: the outbox worker sends it when its time comes (and deletes the kept
            // draft and its server copy then).
            self.wake_outbox();
            return Ok(SendReceipt {
                outbox_id: id,
                message_id: rendered.message_id,
                state: OutboxState::Queued,
                server_reply: None,
                error: None,
                held_until: Some(until),
            });
        }
        if let Some((address, uid)) = draft_copy {
            // The message is safe in the outbox; a copy left behind is only untidy.
            if let Err(e) = self.delete_server_draft(&address, uid) {
                tracing::warn!(error = %e, "copie du brouillon non supprimée du serveur");
            }
        }
        let outcome = self.process_one(id)?;
        let message_id = rendered.message_id;
        if outcome.state == OutboxState::Failed {
            return Err(SendError::Refused {
                outbox_id: id,
                message_id,
                detail: outcome.error.unwrap_or_default(),
            });
        }
        Ok(SendReceipt {
            outbox_id: id,
            message_id,
            state: outcome.state,
            server_reply: outcome.server_reply,
            error: outcome.error,
            held_until: None,
        })
    }

    pub(crate) fn dsn_requested(&self, message_id: &str) -> crate::Result<bool> {
        Ok(self.store()?.state(&dsn_key(message_id))?.is_some())
    }

    pub(crate) fn forget_dsn(&self, message_id: &str) -> crate::Result<()> {
        self.store()?.delete_state(&dsn_key(message_id))?;
        Ok(())
    }

    // ------------------------------------------------------------------ box settings

    fn all_box_settings(&self) -> crate::Result<std::collections::BTreeMap<String, BoxSettings>> {
        match self.store()?.state(BOX_SETTINGS_KEY)? {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| EngineError::io("réglages des boîtes", e))
            }
            None => Ok(Default::default()),
        }
    }

    /// This profile's settings for a box (display name, signature line).
    pub fn box_settings(&self, address: &BoxAddress) -> BoxSettings {
        match self.all_box_settings() {
            Ok(mut all) => all.remove(address.as_str()).unwrap_or_default(),
            Err(e) => {
                // The defaults still let the person work; the failure is in the log.
                tracing::warn!(error = %e, "réglages des boîtes illisibles");
                BoxSettings::default()
            }
        }
    }

    /// Change this profile's settings for a box; kept in the encrypted store.
    pub fn set_box_settings(
        &self,
        address: &BoxAddress,
        settings: BoxSettings,
    ) -> crate::Result<()> {
        let mut all = self.all_box_settings()?;
        if settings == BoxSettings::default() {
            all.remove(address.as_str());
        } else {
            all.insert(address.to_string(), settings);
        }
        let json =
            serde_json::to_string(&all).map_err(|e| EngineError::io("réglages des boîtes", e))?;
        self.store()?.set_state(BOX_SETTINGS_KEY, &json)?;
        Ok(())
    }

    /// The box's name in `From:`: the configured one, else the discovered one.
    pub(crate) fn box_display_name(&self, entitlement: &Entitlement) -> String {
        self.box_settings(&entitlement.address)
            .display_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| entitlement.display_name.clone())
    }

    /// The `From:` name of a message to a patient (ECO.2.2.7): the person's
    /// [`Person::mssante_display_name`] with this box's title and entity.
    fn patient_facing_name(&self, entitlement: &Entitlement) -> SendResult<String> {
        let person = self.person()?;
        let settings = self.box_settings(&entitlement.address);
        let entity = settings
            .entity
            .clone()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| self.signature_box_name(entitlement));
        Ok(person.mssante_display_name(settings.title.as_deref(), entity.as_deref()))
    }

    /// The `From:` name a patient sees when the signed-in person writes from `address`
    /// (ECO.2.2.7), as the settings window previews it.
    pub fn patient_facing_name_of(&self, address: &BoxAddress) -> SendResult<String> {
        let entitlement = self.entitlement(address)?;
        self.patient_facing_name(&entitlement)
    }

    /// The signature line the signed-in person gets in `address`.
    pub fn signature(&self, address: &BoxAddress) -> crate::Result<String> {
        let entitlement = self.entitlement(address)?;
        let person = self.person()?;
        let author = Author::from_person(&person).map_err(|e| EngineError::io("identité", e))?;
        Ok(self.signature_for(&entitlement, &author))
    }

    fn signature_for(&self, entitlement: &Entitlement, author: &Author) -> String {
        match self.box_settings(&entitlement.address).signature {
            Some(line) => line.replace("{name}", author.display_name()),
            None => author.signature_line(self.signature_box_name(entitlement).as_deref()),
        }
    }

    /// The box's name as a signature or an entity names it: the configured or discovered name
    /// of an organisational or applicative box, none for a nominative box.
    fn signature_box_name(&self, entitlement: &Entitlement) -> Option<String> {
        let mut e = entitlement.clone();
        e.display_name = self.box_display_name(entitlement);
        e.signature_box_name().map(str::to_owned)
    }
}

/// Per-box settings of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxSettings {
    /// The box's name in `From:` and in the signature (« Secrétariat de cardiologie »), when
    /// the operator does not publish it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The signature line; `{name}` stands for the sender's display name. Default:
    /// « {name} — pour le <box name> » ([`Author::signature_line`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The sender's title (« Dr », « Pr », « Mme ») in the ECO.2.2.7 display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The entity in the ECO.2.2.7 display name (« CH de Démo »); default: the box's name for
    /// an organisational or applicative box, none for a nominative box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

/// Sending needs the right to post (`p`) or, on IMAP-only ACLs, insert (`i`) — the
/// operator's `can_send`.
fn can_send(rights: Rights) -> bool {
    rights.can_send()
}

/// Writing to a qualified patient, the CDA documents among the attachments travel the way
/// MSSanté expects health documents: in one IHE XDM package (`IHE_XDM.ZIP`, with its
/// `METADATA.XML` naming the patient and each document), and the message says so with
/// `X-MSS-CODECDA` and `X-MSS-INS: O`. Other files (a PDF, a photo) stay plain attachments.
fn pack_patient_documents(out: &mut Outgoing, patient: &QualifiedPatient) -> SendResult<()> {
    let (cda, plain): (Vec<Attachment>, Vec<Attachment>) = std::mem::take(&mut out.attachments)
        .into_iter()
        .partition(|a| xdm::is_cda(&a.bytes));
    out.attachments = plain;
    if cda.is_empty() {
        return Ok(());
    }
    let documents: Vec<xdm::CdaFile> = cda
        .into_iter()
        .map(|a| xdm::CdaFile {
            name: a.filename,
            bytes: a.bytes,
        })
        .collect();
    let source =
        xdm::XdmSource::for_box(out.author.display_name(), &out.from_box, crate::now_secs())?;
    let built = xdm::build_xdm(patient, &documents, &source)?;
    out.cda = Some(built.cda_headers());
    let mut package = Attachment::new(xdm::BuiltXdm::FILE_NAME, built.zip);
    package.content_type = "application/zip".to_string();
    out.attachments.push(package);
    Ok(())
}

fn read_attachment(a: &ComposeAttachment, limits: &SizeLimits) -> SendResult<Attachment> {
    match a {
        ComposeAttachment::Path { path } => {
            let name = a.filename();
            let meta = std::fs::metadata(path).map_err(|e| SendError::Attachment {
                name: path.display().to_string(),
                detail: e.to_string(),
            })?;
            // Refuse a huge file before reading it.
            limits
                .check_attachment(&name, meta.len())
                .map_err(|e| SendError::Compose(e.into()))?;
            let bytes = std::fs::read(path).map_err(|e| SendError::Attachment {
                name: path.display().to_string(),
                detail: e.to_string(),
            })?;
            Ok(Attachment::new(&name, bytes))
        }
        ComposeAttachment::Bytes {
            filename,
            content_type,
            bytes,
        } => {
            let mut att = Attachment::new(filename, bytes.clone());
            if let Some(ct) = content_type {
                att.content_type = ct.clone();
            }
            Ok(att)
        }
    }
}

/// Write a file and flush it to disk (and its folder entry) before returning.
pub(crate) fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------- answers and reports

/// A message's reports (DSN bounces, MDN read receipts) with their French summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportsView {
    pub reports: Vec<relais_mail::Report>,
    /// One line per report, for the reader and `relais show`.
    pub summaries: Vec<String>,
}

impl Engine {
    fn original(
        &self,
        id: relais_store::MessageId,
    ) -> SendResult<(Entitlement, Vec<u8>, relais_mail::MessageDisplay)> {
        let summary = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?
            .summary;
        let entitlement = self.entitlement(&summary.box_address)?;
        let raw = self.raw_message(id)?;
        let shown = relais_mail::MessageDisplay::from_raw(&raw);
        Ok((entitlement, raw, shown))
    }

    fn compose_from(outgoing: Outgoing) -> Compose {
        let mut c = Compose::new(outgoing.from_box);
        c.to = outgoing.to;
        c.cc = outgoing.cc;
        c.subject = outgoing.subject;
        c.quoted = (!outgoing.text.is_empty()).then_some(outgoing.text);
        c.attachments = outgoing
            .attachments
            .into_iter()
            .map(|a| ComposeAttachment::Bytes {
                filename: a.filename,
                content_type: Some(a.content_type),
                bytes: a.bytes,
            })
            .collect();
        c.in_reply_to = outgoing.in_reply_to;
        c.references = outgoing.references;
        c
    }

    /// A reply (to all when `all`) to a stored message, from the box it was received in:
    /// `Re:` subject, `In-Reply-To`/`References`, the original quoted below (in
    /// [`Compose::quoted`]; the person writes [`Compose::text`], the signature goes between).
    pub fn reply(&self, id: relais_store::MessageId, all: bool) -> SendResult<Compose> {
        let (entitlement, _raw, shown) = self.original(id)?;
        let person = self.person()?;
        let me: Vec<BoxAddress> = self.boxes()?.into_iter().map(|b| b.address).collect();
        let out = relais_mail::reply(&shown, all, &me, identity(self, &person, &entitlement)?);
        Ok(Self::compose_from(out))
    }

    /// A forward of a stored message: inline (header block and text in [`Compose::quoted`],
    /// attachments kept with their bytes) or as a `message/rfc822` attachment.
    pub fn forward(&self, id: relais_store::MessageId, as_attachment: bool) -> SendResult<Compose> {
        let (entitlement, raw, shown) = self.original(id)?;
        let person = self.person()?;
        let out = relais_mail::forward(
            &shown,
            &raw,
            as_attachment,
            identity(self, &person, &entitlement)?,
        );
        Ok(Self::compose_from(out))
    }

    /// The delivery reports and read receipts a stored message carries, in French
    /// (« Non distribué à …@patient.mssante.fr : boîte inconnue (5.1.1) »). Empty for an
    /// ordinary message.
    pub fn reports(&self, id: relais_store::MessageId) -> crate::Result<ReportsView> {
        let raw = self.raw_message(id)?;
        let reports = relais_mail::parse_reports(&raw);
        let summaries = reports.iter().map(|r| r.summary.clone()).collect();
        Ok(ReportsView { reports, summaries })
    }

    /// Whether a stored message asks for a read receipt (`Disposition-Notification-To`).
    pub fn read_receipt_asked(&self, id: relais_store::MessageId) -> crate::Result<bool> {
        Ok(self.read_receipt_state(id)? != ReadReceiptState::NotAsked)
    }

    /// ECO.3.1.6: whether a stored message asks for a read receipt and what the person chose;
    /// the choice is kept in the store, keyed by the message's `Message-ID`, so the reader
    /// asks once per message, never again after « Envoyer » or « Ne pas envoyer ».
    pub fn read_receipt_state(
        &self,
        id: relais_store::MessageId,
    ) -> crate::Result<ReadReceiptState> {
        let raw = self.raw_message(id)?;
        let shown = relais_mail::MessageDisplay::from_raw(&raw);
        if shown.special.disposition_notification_to.is_none() {
            return Ok(ReadReceiptState::NotAsked);
        }
        let choice = self.store()?.state(&mdn_choice_key(id, &shown))?;
        Ok(match choice.as_deref() {
            Some(MDN_SENT) => ReadReceiptState::Sent,
            Some(_) => ReadReceiptState::Declined,
            None => ReadReceiptState::Asked,
        })
    }

    /// The person chose not to send the read receipt a message asks for (remembered).
    pub fn decline_read_receipt(&self, id: relais_store::MessageId) -> SendResult<()> {
        let (_, _, shown) = self.original(id)?;
        self.unanswered_receipt(id, &shown)?;
        self.store()?
            .set_state(&mdn_choice_key(id, &shown), MDN_DECLINED)?;
        Ok(())
    }

    /// Refuses when the message asks for no receipt or the person already chose.
    fn unanswered_receipt(
        &self,
        id: relais_store::MessageId,
        shown: &relais_mail::MessageDisplay,
    ) -> SendResult<()> {
        if shown.special.disposition_notification_to.is_none() {
            return Err(SendError::NoReadReceiptAsked);
        }
        if self.store()?.state(&mdn_choice_key(id, shown))?.is_some() {
            return Err(SendError::ReadReceiptAlreadyAnswered);
        }
        Ok(())
    }

    /// Send the read receipt a message asks for — only when the person agreed (the UI asks;
    /// Relais never answers on its own). Sent from the box the message was read in, through
    /// the outbox like any message, with the person as author.
    pub fn answer_read_receipt(&self, id: relais_store::MessageId) -> SendResult<SendReceipt> {
        let (entitlement, _raw, shown) = self.original(id)?;
        self.check_can_send(&entitlement)?;
        self.unanswered_receipt(id, &shown)?;
        let person = self.person()?;
        let out = relais_mail::read_receipt(
            &shown,
            &entitlement.address,
            identity(self, &person, &entitlement)?,
        )
        .ok_or(SendError::NoReadReceiptAsked)?;
        // The receipt goes to whoever asked: inside or outside the trust space, the person
        // agreed to answer this sender.
        let receipt = self.send_outgoing(out, true, false, None, None)?;
        self.store()?
            .set_state(&mdn_choice_key(id, &shown), MDN_SENT)?;
        Ok(receipt)
    }
}

/// A received message's read-receipt request, and the person's choice (ECO.3.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadReceiptState {
    /// No `Disposition-Notification-To`.
    NotAsked,
    /// Asked, not answered yet: the reader offers « Envoyer l'accusé » / « Ne pas envoyer ».
    Asked,
    /// The person sent it.
    Sent,
    /// The person chose not to send it.
    Declined,
}

const MDN_SENT: &str = "sent";
const MDN_DECLINED: &str = "declined";

/// The store key of the person's choice for a message's read receipt: its `Message-ID`
/// (the same message synchronised again keeps the choice), else its store id.
fn mdn_choice_key(id: relais_store::MessageId, shown: &relais_mail::MessageDisplay) -> String {
    match shown.message_id.as_deref().filter(|m| !m.is_empty()) {
        Some(message_id) => format!("mdn-choice:{message_id}"),
        None => format!("mdn-choice:#{id}"),
    }
}
