//! « Pris en charge par Marie MARTIN » and « Traité »: the status of a message in a shared
//! box, kept **on the server** as IMAP keywords on the message itself, so that every
//! colleague's Relais (and any later one) sees it, with no extra service.
//!
//! # Keywords (documented in `docs/collaboration.md`)
//!
//! | keyword | meaning |
//! |---|---|
//! | `$RelaisClaim_<code>` | taken in charge by the person whose claim code is `<code>` |
//! | `$RelaisBy_<name>` | that person's display name, readable by colleagues |
//! | `$RelaisDone` | handled (« Traité ») |
//!
//! - `<code>` is [`claim_code`]: the 64-bit FNV-1a hash of the person's national identifier
//!   (`8`+RPPS, `0`+ADELI, or `login:…` for a person known only by an operator login),
//!   written in RFC 4648 base32 without padding: **13 characters `A–Z 2–7`**. Stable across
//!   machines and sessions, short, made of atom characters only, and case-insensitive
//!   (IMAP compares keywords without case, and so does base32).
//! - `<name>` is the display name in a reversible, atom-safe form: ASCII letters, digits,
//!   `-` and `.` as they are, a space as `_`, every other byte of the UTF-8 as `=XX`
//!   (« Hélène ROUX » → `H=C3=A9l=C3=A8ne_ROUX`), at most 60 bytes of name. Other mail
//!   clients show it as a readable tag.
//! - An IMAP keyword is an atom: no space, no `( ) { % * " \ ]`, no control character, no
//!   8-bit byte. Both forms above stay inside that.
//!
//! The name travels with the claim because a colleague's Relais may never have seen the
//! claimant write anything; when `$RelaisBy_` is missing (another client removed it), the
//! name is found among the authors the box already knows (`X-Relais-Author` of its Sent
//! messages), by their claim code.
//!
//! # Race
//!
//! A claim is `UID STORE <uid> (UNCHANGEDSINCE <modseq>) +FLAGS.SILENT (…)` with the
//! message's MODSEQ as last synchronised (CONDSTORE, RFC 7162). Of two colleagues claiming
//! at once, the server applies the first; the second gets `OK [MODIFIED <uid>]`, reads the
//! flags again and is told « Déjà pris en charge par … ». Taking over someone else's claim
//! needs `force` (the app asks first) and replaces the whole flag list, still conditional,
//! so that the previous claimant's keywords go in the same atomic step. Without CONDSTORE
//! the store is unconditional (last writer wins) and the docs say so.
//!
//! # Degraded mode
//!
//! At SELECT the server lists `PERMANENTFLAGS`. Without `\*` (new keywords allowed) and
//! without our keywords already listed, the feature is off for that box:
//! [`ClaimError::KeywordsUnsupported`], with a French message.

use relais_core::{Author, BoxAddress, NationalId};
use relais_store::{
    AuditAction, FlagUpdate, Flags, FolderId, KeywordFilter, MessageId, MessageSummary,
};
use serde::Serialize;

use crate::error::EngineError;
use relais_net::{FlagChange, FlagState, NetError, Refusal};

use crate::sync::flags_of;
use crate::Engine;

/// Prefix of the claim keyword.
pub const CLAIM_PREFIX: &str = "$RelaisClaim_";
/// Prefix of the claimant's name keyword.
pub const BY_PREFIX: &str = "$RelaisBy_";
/// The « Traité » keyword.
pub const DONE: &str = "$RelaisDone";

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const NAME_MAX_BYTES: usize = 60;
/// Conditional stores retried after a colleague's unrelated change (e.g. `\Seen`).
const ATTEMPTS: usize = 4;

/// The stable short code of a person (13 base32 characters), see the module doc.
pub fn claim_code(id: &NationalId) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // 64 bits in 13 groups of 5 (the last one padded with a zero bit).
    let bits = u128::from(hash) << 1;
    (0..13)
        .map(|i| BASE32[((bits >> (60 - 5 * i)) & 0x1f) as usize] as char)
        .collect()
}

/// `$RelaisClaim_<code>` of a person.
pub fn claim_keyword(id: &NationalId) -> String {
    format!("{CLAIM_PREFIX}{}", claim_code(id))
}

/// `$RelaisBy_<encoded name>`.
pub fn by_keyword(name: &str) -> String {
    let mut cut = name.trim();
    if cut.len() > NAME_MAX_BYTES {
        let mut end = NAME_MAX_BYTES;
        while !cut.is_char_boundary(end) {
            end -= 1;
        }
        cut = &cut[..end];
    }
    let mut out = String::from(BY_PREFIX);
    for b in cut.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => out.push(b as char),
            b' ' => out.push('_'),
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out
}

/// The name in a `$RelaisBy_` keyword, if it is one and decodes.
pub fn decode_by(keyword: &str) -> Option<String> {
    let rest = strip_prefix_ci(keyword, BY_PREFIX)?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok().filter(|s| !s.trim().is_empty())
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    (text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix))
    .then(|| &text[prefix.len()..])
}

fn is_relais_status_keyword(k: &str) -> bool {
    strip_prefix_ci(k, CLAIM_PREFIX).is_some() || strip_prefix_ci(k, BY_PREFIX).is_some()
}

/// Whether the server keeps our keywords, from the `PERMANENTFLAGS` of a SELECT: `\*` (new
/// keywords allowed), or the ones we need already listed. No `PERMANENTFLAGS` at all means
/// every flag is permanent (RFC 3501 §7.1).
pub fn keywords_supported(permanent_flags: &[String], needed: &[&str]) -> bool {
    permanent_flags.is_empty()
        || permanent_flags.iter().any(|f| f == "\\*")
        || needed
            .iter()
            .all(|n| permanent_flags.iter().any(|f| f.eq_ignore_ascii_case(n)))
}

/// Who took a message in charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claimant {
    /// The claim code (see [`claim_code`]).
    pub code: String,
    /// The display name, when known (« Marie MARTIN »).
    pub name: Option<String>,
    /// Whether it is the signed-in person.
    pub is_me: bool,
}

impl Claimant {
    /// The name to show: theirs, « vous », or « un·e collègue ».
    pub fn shown(&self) -> String {
        match (&self.name, self.is_me) {
            (_, true) => "vous".to_string(),
            (Some(n), _) => n.clone(),
            (None, _) => "un·e collègue".to_string(),
        }
    }
}

/// The shared status of a message, for its badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageStatus {
    pub claimed_by: Option<Claimant>,
    pub done: bool,
    /// The badge's text: « Pris en charge par Marie MARTIN », « Traité par vous », « Traité »,
    /// or none for a message to handle.
    pub label: Option<String>,
}

/// Read the status from a message's flags; names from `$RelaisBy_`, else from `known`
/// authors of the box (matched by claim code).
pub fn status_of(flags: &Flags, me: &NationalId, known: &[Author]) -> MessageStatus {
    let my_code = claim_code(me);
    let code = flags
        .keywords
        .iter()
        .find_map(|k| strip_prefix_ci(k, CLAIM_PREFIX))
        .map(str::to_ascii_uppercase);
    let done = flags.has_keyword(DONE);
    let claimed_by = code.map(|code| {
        let name = flags
            .keywords
            .iter()
            .find_map(|k| decode_by(k))
            .or_else(|| {
                known
                    .iter()
                    .find(|a| claim_code(a.national_id()) == code)
                    .map(|a| a.display_name().to_string())
            });
        Claimant {
            is_me: code == my_code,
            code,
            name,
        }
    });
    let label = match (&claimed_by, done) {
        (Some(c), true) => Some(format!("Traité par {}", c.shown())),
        (None, true) => Some("Traité".to_string()),
        (Some(c), false) => Some(format!("Pris en charge par {}", c.shown())),
        (None, false) => None,
    };
    MessageStatus {
        claimed_by,
        done,
        label,
    }
}

/// The list filters of a shared box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// « À traiter »: nobody took it in charge, not handled.
    ToHandle,
    /// « Mes prises en charge »: taken in charge by me, not yet handled.
    Mine,
    /// « En cours »: taken in charge by anyone, not yet handled.
    InProgress,
    /// « Traités ».
    Done,
}

impl StatusFilter {
    /// The store query for this filter, for the person `me`.
    pub fn keyword_filter(self, me: &NationalId) -> KeywordFilter {
        match self {
            StatusFilter::ToHandle => KeywordFilter {
                none: vec![DONE.into()],
                no_prefix: vec![CLAIM_PREFIX.into()],
                ..KeywordFilter::default()
            },
            StatusFilter::Mine => KeywordFilter {
                all: vec![claim_keyword(me)],
                none: vec![DONE.into()],
                ..KeywordFilter::default()
            },
            StatusFilter::InProgress => KeywordFilter {
                any_prefix: vec![CLAIM_PREFIX.into()],
                none: vec![DONE.into()],
                ..KeywordFilter::default()
            },
            StatusFilter::Done => KeywordFilter {
                all: vec![DONE.into()],
                ..KeywordFilter::default()
            },
        }
    }
}

/// Why a status change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A colleague holds the claim (a race lost, or a claim without `force`).
    #[error("Déjà pris en charge par {name}.")]
    AlreadyClaimed { name: String, claimant: Claimant },
    /// The server does not keep new keywords: the feature is off for this box.
    #[error("Le serveur de la boîte {address} n'enregistre pas les mots-clés de Relais : la prise en charge partagée (« Pris en charge par… », « Traité ») est désactivée pour cette boîte. Le reste fonctionne normalement.")]
    KeywordsUnsupported { address: BoxAddress },
    /// The message kept changing on the server while we tried.
    #[error("Le message a changé plusieurs fois sur le serveur pendant l'opération : réessayez.")]
    Busy,
}

impl From<relais_store::StoreError> for ClaimError {
    fn from(e: relais_store::StoreError) -> Self {
        ClaimError::Engine(e.into())
    }
}

/// Whether a box can hold the shared status (for the app to show or hide the feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollabSupport {
    /// Keywords are kept: claims and « Traité » work.
    pub keywords: bool,
    /// CONDSTORE: simultaneous claims have exactly one winner.
    pub condstore: bool,
    /// The person may change flags in this box (ACL `w`).
    pub can_write: bool,
    /// Why the feature is off or weaker, in French.
    pub message: Option<String>,
}

/// What one status change wants to do with the current flags.
enum Plan {
    /// Nothing to do (already so).
    Nothing,
    /// `UID STORE` this change.
    Store(FlagChange),
}

struct Selected<'e> {
    conn: crate::pool::Pooled<'e>,
    address: BoxAddress,
    folder_id: FolderId,
    uid: u32,
}

enum StoreOutcome {
    /// Done; the flags the server now has, when it sent them back.
    Applied {
        response: String,
        now: Option<FlagState>,
    },
    Modified {
        response: String,
    },
}

impl Engine {
    fn me(&self) -> Result<(NationalId, String), ClaimError> {
        let person = self.person()?;
        let name = person.display_name();
        Ok((person.national_id, name))
    }

    fn known_authors(&self, address: &BoxAddress) -> Result<Vec<Author>, ClaimError> {
        let mut authors = self.store()?.box_authors(address)?;
        let person = self.person()?;
        match Author::from_person(&person) {
            Ok(me) => authors.push(me),
            // A person no directory knows and who has not declared their names yet: the
            // box's other authors are still known.
            Err(e) => {
                tracing::debug!(error = %e, "la personne connectée n'a pas encore d'identité d'auteur")
            }
        }
        Ok(authors)
    }

    /// The status of one message, from the local store.
    pub fn message_status(&self, id: MessageId) -> Result<MessageStatus, ClaimError> {
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        let (me, _) = self.me()?;
        let known = self.known_authors(&message.summary.box_address)?;
        Ok(status_of(&message.flags, &me, &known))
    }

    /// The statuses of a page of messages (for the list's badges), in the order given;
    /// unknown ids are skipped.
    pub fn message_statuses(
        &self,
        ids: &[MessageId],
    ) -> Result<Vec<(MessageId, MessageStatus)>, ClaimError> {
        let (me, _) = self.me()?;
        let mut known: Vec<(BoxAddress, Vec<Author>)> = Vec::new();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(message) = self.store()?.message(*id)? else {
                continue;
            };
            let address = message.summary.box_address.clone();
            if !known.iter().any(|(a, _)| a == &address) {
                let authors = self.known_authors(&address)?;
                known.push((address.clone(), authors));
            }
            let authors = known
                .iter()
                .find(|(a, _)| a == &address)
                .map(|(_, v)| v.as_slice())
                .unwrap_or_default();
            out.push((*id, status_of(&message.flags, &me, authors)));
        }
        Ok(out)
    }

    /// A page of a folder's messages under one of the status filters, most recent first.
    pub fn list_by_status(
        &self,
        folder: FolderId,
        filter: StatusFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MessageSummary>, ClaimError> {
        let (me, _) = self.me()?;
        Ok(self
            .store()?
            .list_by_keywords(folder, &filter.keyword_filter(&me), offset, limit)?)
    }

    /// How many messages of a folder each filter shows (for the filters' counters).
    pub fn count_by_status(
        &self,
        folder: FolderId,
        filter: StatusFilter,
    ) -> Result<u64, ClaimError> {
        let (me, _) = self.me()?;
        Ok(self
            .store()?
            .count_by_keywords(folder, &filter.keyword_filter(&me))?)
    }

    /// Whether the box's INBOX keeps our keywords, with CONDSTORE, and the person's right to
    /// change flags. One connection; the app asks once per box.
    pub fn collaboration_support(&self, address: &BoxAddress) -> Result<CollabSupport, ClaimError> {
        let entitlement = self.entitlement(address)?;
        let can_write = entitlement.rights.can_write_flags();
        let mut conn = self.pooled(&entitlement)?;
        let name = conn.server_name("INBOX");
        let mailbox = conn
            .select(&name)
            .map_err(|e| self.server_refused(address, e))?;
        let condstore = conn.condstore && mailbox.highest_modseq.is_some();
        drop(conn);
        let permanent = mailbox.permanent_flags;
        let keywords = keywords_supported(&permanent, &[DONE]);
        // Rights first: a read-only session (no `w`) is also shown no keyword among the
        // PERMANENTFLAGS, which is not the server's fault.
        let message = if !can_write {
            Some(
                "Vos droits sur cette boîte ne permettent pas de prendre en charge des messages \
                 (lecture seule)."
                    .to_string(),
            )
        } else if !keywords {
            Some(
                ClaimError::KeywordsUnsupported {
                    address: address.clone(),
                }
                .to_string(),
            )
        } else if !condstore {
            Some(
                "Ce serveur ne propose pas CONDSTORE : deux prises en charge simultanées ne sont \
                 pas départagées (la dernière l'emporte)."
                    .to_string(),
            )
        } else {
            None
        };
        Ok(CollabSupport {
            keywords,
            condstore,
            can_write,
            message,
        })
    }

    /// « Prendre en charge »: claim the message for the signed-in person. A message a
    /// colleague already claimed needs `force` (the app confirms), which takes the claim
    /// over and removes theirs. Claiming one's own claim again is a no-op.
    pub fn claim(&self, id: MessageId, force: bool) -> Result<MessageStatus, ClaimError> {
        let (me, name) = self.me()?;
        let mine = claim_keyword(&me);
        let by = by_keyword(&name);
        let known = self.known_authors(&self.message_box(id)?)?;
        let action = if force { "claim-force" } else { "claim" };
        self.change_status(id, action, &[mine.as_str(), by.as_str()], |flags| {
            let status = status_of(flags, &me, &known);
            match &status.claimed_by {
                Some(c) if c.is_me && flags.has_keyword(&by) => Ok(Plan::Nothing),
                Some(c) if !c.is_me && !force => Err(ClaimError::AlreadyClaimed {
                    name: c.shown(),
                    claimant: c.clone(),
                }),
                _ => Ok(Plan::Store(replace_claim(flags, Some((&mine, &by))))),
            }
        })
    }

    /// « Libérer »: remove the claim. A colleague's claim needs `force`.
    pub fn release(&self, id: MessageId, force: bool) -> Result<MessageStatus, ClaimError> {
        let (me, _) = self.me()?;
        let known = self.known_authors(&self.message_box(id)?)?;
        self.change_status(id, "release", &[], |flags| {
            let status = status_of(flags, &me, &known);
            match &status.claimed_by {
                None if !flags.keywords.iter().any(|k| is_relais_status_keyword(k)) => {
                    Ok(Plan::Nothing)
                }
                Some(c) if !c.is_me && !force => Err(ClaimError::AlreadyClaimed {
                    name: c.shown(),
                    claimant: c.clone(),
                }),
                _ => Ok(Plan::Store(replace_claim(flags, None))),
            }
        })
    }

    /// « Traité » (or, with `done = false`, « Rouvrir »). A message nobody claimed is
    /// claimed by the person at the same time, so that the list says who handled it.
    pub fn mark_done(&self, id: MessageId, done: bool) -> Result<MessageStatus, ClaimError> {
        let (me, name) = self.me()?;
        let mine = claim_keyword(&me);
        let by = by_keyword(&name);
        let action = if done { "done" } else { "reopen" };
        self.change_status(id, action, &[DONE, mine.as_str(), by.as_str()], |flags| {
            let claimed = flags
                .keywords
                .iter()
                .any(|k| strip_prefix_ci(k, CLAIM_PREFIX).is_some());
            Ok(match (done, flags.has_keyword(DONE)) {
                (true, true) | (false, false) => Plan::Nothing,
                (true, false) if claimed => Plan::Store(FlagChange::Add(vec![DONE.to_string()])),
                (true, false) => {
                    let mut f = replace_claim_list(flags, Some((&mine, &by)));
                    f.push(DONE.to_string());
                    Plan::Store(FlagChange::Replace(f))
                }
                (false, true) => Plan::Store(FlagChange::Remove(vec![DONE.to_string()])),
            })
        })
    }

    fn message_box(&self, id: MessageId) -> Result<BoxAddress, ClaimError> {
        Ok(self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?
            .summary
            .box_address)
    }

    /// Connect, SELECT the message's folder, check PERMANENTFLAGS for `needed`.
    fn select_for_status(
        &self,
        id: MessageId,
        needed: &[&str],
    ) -> Result<Selected<'_>, ClaimError> {
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        let folder = self
            .store()?
            .folder(message.summary.folder_id)?
            .ok_or(EngineError::UnknownMessage)?;
        let address = message.summary.box_address.clone();
        let entitlement = self.entitlement(&address)?;
        if !entitlement.rights.can_write_flags() {
            return Err(EngineError::NotAllowed {
                address,
                action: "prendre en charge ou marquer « traité » des messages".into(),
            }
            .into());
        }
        let mut conn = self.pooled(&entitlement)?;
        let name = conn.server_name(&folder.name);
        let mailbox = conn
            .select(&name)
            .map_err(|e| self.server_refused(&address, e))?;
        let permanent = mailbox.permanent_flags;
        if !keywords_supported(&permanent, needed) {
            drop(conn);
            self.audit(
                &address,
                AuditAction::Other("claim".into()),
                "SELECT (PERMANENTFLAGS)",
                &format!(
                    "PERMANENTFLAGS ({}) : mots-clés refusés",
                    permanent.join(" ")
                ),
                false,
            );
            return Err(ClaimError::KeywordsUnsupported { address });
        }
        Ok(Selected {
            conn,
            address,
            folder_id: folder.id,
            uid: message.summary.uid,
        })
    }

    /// Read the message's flags and MODSEQ from the server, store them, return them.
    fn refresh_flags(&self, s: &mut Selected<'_>) -> Result<(Flags, Option<u64>), ClaimError> {
        let condstore = s.conn.condstore;
        let fetched = s
            .conn
            .session
            .fetch_flags(&s.uid.to_string(), condstore, None)
            .map_err(|e| self.server_refused(&s.address, e))?;
        let now = fetched
            .into_iter()
            .find(|f| f.uid == s.uid)
            .ok_or(EngineError::UnknownMessage)?;
        self.record_flags(s, now)
    }

    /// The message's flags as the server has them: into the store, and back to the caller.
    fn record_flags(
        &self,
        s: &Selected<'_>,
        now: FlagState,
    ) -> Result<(Flags, Option<u64>), ClaimError> {
        let flags = flags_of(&now.flags);
        self.apply_flags(
            &s.address,
            s.folder_id,
            &[FlagUpdate {
                uid: s.uid,
                flags: flags.clone(),
                modseq: now.modseq,
            }],
        )?;
        Ok((flags, now.modseq))
    }

    /// `UID STORE`, conditional on `modseq` when the server has CONDSTORE.
    fn conditional_store(
        &self,
        s: &mut Selected<'_>,
        modseq: Option<u64>,
        change: &FlagChange,
    ) -> Result<(String, StoreOutcome), ClaimError> {
        let unchanged_since = modseq.filter(|_| s.conn.condstore);
        let command = match unchanged_since {
            Some(m) => format!("UID STORE {} (UNCHANGEDSINCE {m}) {change}", s.uid),
            None => format!("UID STORE {} {change}", s.uid),
        };
        let reply = match s
            .conn
            .session
            .store_flags(&s.uid.to_string(), change, unchanged_since)
        {
            Ok(r) => r,
            Err(e) => {
                let detail = e.to_string();
                self.audit(
                    &s.address,
                    AuditAction::Other("claim".into()),
                    &command,
                    &detail,
                    false,
                );
                if let NetError::ImapRefused {
                    refusal: Refusal::ExpungeIssued,
                    ..
                } = e
                {
                    self.forget_uids(&s.address, s.folder_id, &[s.uid])?;
                    return Err(EngineError::UnknownMessage.into());
                }
                return Err(self.server_refused(&s.address, detail).into());
            }
        };
        let outcome = if reply.modified.is_empty() {
            StoreOutcome::Applied {
                response: reply.response,
                now: reply.updated.into_iter().find(|f| f.uid == s.uid),
            }
        } else {
            StoreOutcome::Modified {
                response: reply.response,
            }
        };
        Ok((command, outcome))
    }

    /// The common loop of a status change: read what the store knows, let `plan` decide,
    /// store conditionally, and on `[MODIFIED]` read the server's flags and decide again.
    fn change_status(
        &self,
        id: MessageId,
        action: &str,
        needed: &[&str],
        plan: impl Fn(&Flags) -> Result<Plan, ClaimError>,
    ) -> Result<MessageStatus, ClaimError> {
        let mut s = self.select_for_status(id, needed)?;
        let audit_action = AuditAction::Other(action.to_string());
        let result = (|| {
            let stored = self
                .store()?
                .message(id)?
                .ok_or(EngineError::UnknownMessage)?;
            let (mut flags, mut modseq) = (stored.flags, stored.modseq);
            if s.conn.condstore && modseq.is_none() {
                (flags, modseq) = self.refresh_flags(&mut s)?;
            }
            for _ in 0..ATTEMPTS {
                let change = match plan(&flags) {
                    Ok(Plan::Nothing) => return Ok(()),
                    Ok(Plan::Store(change)) => change,
                    Err(e) => {
                        if let ClaimError::AlreadyClaimed { name, .. } = &e {
                            self.audit(
                                &s.address,
                                audit_action.clone(),
                                &format!("UID {} {action}", s.uid),
                                &format!("déjà pris en charge par {name}"),
                                false,
                            );
                        }
                        return Err(e);
                    }
                };
                let (command, outcome) = self.conditional_store(&mut s, modseq, &change)?;
                match outcome {
                    StoreOutcome::Applied { response, now } => {
                        self.audit(&s.address, audit_action.clone(), &command, &response, true);
                        // The STORE's answer carries the new flags: no second round trip.
                        match now {
                            Some(now) => self.record_flags(&s, now)?,
                            None => self.refresh_flags(&mut s)?,
                        };
                        return Ok(());
                    }
                    StoreOutcome::Modified { response } => {
                        // A colleague changed the message first: look again.
                        self.audit(&s.address, audit_action.clone(), &command, &response, false);
                        (flags, modseq) = self.refresh_flags(&mut s)?;
                    }
                }
            }
            Err(ClaimError::Busy)
        })();
        drop(s);
        result?;
        self.message_status(id)
    }
}

/// The flag list without any claim, plus `claim` (claim and name keywords) when given.
fn replace_claim_list(flags: &Flags, claim: Option<(&str, &str)>) -> Vec<String> {
    let mut f = flags.clone();
    f.keywords.retain(|k| !is_relais_status_keyword(k));
    if let Some((c, b)) = claim {
        f.keywords.push(c.to_string());
        f.keywords.push(b.to_string());
    }
    flag_names(&f)
}

/// A store's flags as the names IMAP uses.
fn flag_names(flags: &Flags) -> Vec<String> {
    flags
        .to_string()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The STORE change that leaves exactly `claim` (or no claim): an addition when there is no
/// claim keyword to remove, else the whole list (atomic, and conditional like the rest).
fn replace_claim(flags: &Flags, claim: Option<(&str, &str)>) -> FlagChange {
    let stale = flags.keywords.iter().any(|k| is_relais_status_keyword(k));
    match (stale, claim) {
        (false, Some((c, b))) => FlagChange::Add(vec![c.to_string(), b.to_string()]),
        _ => FlagChange::Replace(replace_claim_list(flags, claim)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> NationalId {
        NationalId::parse(s).expect("id")
    }

    #[test]
    fn codes_are_short_stable_atoms() {
        let a = claim_code(&id("810001234567"));
        assert_eq!(a.len(), 13);
        assert_eq!(a, claim_code(&id("810001234567")));
        assert_ne!(a, claim_code(&id("810001234568")));
        assert!(a.bytes().all(|b| BASE32.contains(&b)));
        let k = claim_keyword(&id("login:sophie.bernard"));
        assert!(k.starts_with(CLAIM_PREFIX) && k.len() == CLAIM_PREFIX.len() + 13);
    }

    #[test]
    fn names_round_trip_as_atoms() {
        for name in [
            "Marie MARTIN",
            "Hélène ROUX",
            "Anne-Sophie D'ARC_X",
            "Thi Mai NGUYEN",
        ] {
            let k = by_keyword(name);
            assert!(
                k.bytes()
                    .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b)),
                "{k}"
            );
            assert_eq!(decode_by(&k).as_deref(), Some(name));
        }
        assert_eq!(by_keyword("Hélène ROUX"), "$RelaisBy_H=C3=A9l=C3=A8ne_ROUX");
        assert!(by_keyword(&"é".repeat(100)).len() <= BY_PREFIX.len() + 3 * 60);
        assert_eq!(decode_by("$RelaisDone"), None);
    }

    #[test]
    fn status_and_labels() {
        let marie = id("login:marie.martin@ch-demo.mssante.fr");
        let sophie = id("login:sophie.bernard");
        let flags = Flags::parse(&format!(
            "\\Seen {} {}",
            claim_keyword(&marie),
            by_keyword("Marie MARTIN")
        ));
        let s = status_of(&flags, &sophie, &[]);
        assert_eq!(s.label.as_deref(), Some("Pris en charge par Marie MARTIN"));
        assert!(!s.claimed_by.as_ref().expect("claimed").is_me);
        let s = status_of(&flags, &marie, &[]);
        assert_eq!(s.label.as_deref(), Some("Pris en charge par vous"));
        // The name from the box's known authors when $RelaisBy_ is gone.
        let only = Flags::parse(&claim_keyword(&marie).to_lowercase());
        let known = [Author::new("Marie MARTIN", marie.clone(), None).expect("author")];
        let s = status_of(&only, &sophie, &known);
        assert_eq!(
            s.claimed_by.expect("claimed").name.as_deref(),
            Some("Marie MARTIN")
        );
        let done = Flags::parse(DONE);
        assert_eq!(
            status_of(&done, &sophie, &[]).label.as_deref(),
            Some("Traité")
        );
    }

    #[test]
    fn permanent_flags_and_replacements() {
        assert!(keywords_supported(
            &["\\Seen".into(), "\\*".into()],
            &[DONE]
        ));
        assert!(keywords_supported(&[], &[DONE]));
        assert!(!keywords_supported(
            &["\\Seen".into(), "\\Deleted".into()],
            &[DONE]
        ));
        assert!(keywords_supported(
            &["\\Seen".into(), "$relaisdone".into()],
            &[DONE]
        ));
        let flags = Flags::parse("\\Seen $RelaisClaim_AAA $RelaisBy_X $Forwarded");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            replace_claim(&flags, Some(("$RelaisClaim_B", "$RelaisBy_Y"))),
            FlagChange::Replace(names(&[
                "\\Seen",
                "$Forwarded",
                "$RelaisClaim_B",
                "$RelaisBy_Y"
            ]))
        );
        assert_eq!(
            replace_claim(&Flags::seen(), Some(("$RelaisClaim_B", "$RelaisBy_Y"))),
            FlagChange::Add(names(&["$RelaisClaim_B", "$RelaisBy_Y"]))
        );
        assert_eq!(
            replace_claim(&flags, None),
            FlagChange::Replace(names(&["\\Seen", "$Forwarded"]))
        );
    }
}
