//! Typed IMAP operations on an authenticated [`ImapSession`]: the only place where the
//! engine's IMAP commands are written. Each takes and returns Relais types (UIDs, flag
//! names, folder states, body parts), never protocol text; refusals come back as
//! [`NetError::ImapRefused`] with their RFC 5530 code when the server gave one.
//!
//! Mailbox names go through the `imap` crate's quoting (RFC 3501 `astring`); UID sets are
//! built here from sorted UIDs.

use imap_proto::types::{BodyStructure, ContentDisposition, ContentType};
use imap_proto::NameAttribute;

use crate::error::NetError;
use crate::imap::ImapSession;

/// What the server says of a folder at SELECT, EXAMINE or LIST-STATUS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderState {
    pub exists: u32,
    pub uid_validity: Option<u32>,
    pub uid_next: Option<u32>,
    /// CONDSTORE (RFC 7162), when the server keeps mod-sequences for the folder.
    pub highest_modseq: Option<u64>,
    /// The flags and keywords the folder keeps (`\*`: any new keyword).
    pub permanent_flags: Vec<String>,
}

/// A folder's role (RFC 6154 SPECIAL-USE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

/// One folder of a LIST (with its state when LIST-STATUS was used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFolder {
    /// The server's name (modified UTF-7, prefix included).
    pub name: String,
    pub noselect: bool,
    pub role: Option<SpecialUse>,
    pub state: Option<FolderState>,
}

/// A message's flags as the server has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagState {
    pub uid: u32,
    /// System flags (`\Seen`…) and keywords, as the server names them.
    pub flags: Vec<String>,
    pub modseq: Option<u64>,
}

/// One leaf part of a message's body structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPart {
    /// IMAP section number: `1`, `2.1`…
    pub part_id: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Decoded file name (RFC 2231 or 2047), when it has one.
    pub filename: Option<String>,
    pub size: u64,
    /// Shown as an attachment (disposition, or a named or non-text part).
    pub attachment: bool,
}

/// What the list needs of a new message: its flags, size, dates, the header fields asked
/// for, and its body structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedSummary {
    pub uid: u32,
    pub flags: Vec<String>,
    pub modseq: Option<u64>,
    pub size: u32,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: Option<i64>,
    /// The header fields asked for, raw.
    pub header: Vec<u8>,
    pub parts: Vec<BodyPart>,
}

/// A flag change for UID STORE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagChange {
    Add(Vec<String>),
    Remove(Vec<String>),
    /// The whole list (a claim taken over: one atomic change).
    Replace(Vec<String>),
}

impl std::fmt::Display for FlagChange {
    /// As the STORE item reads: `+FLAGS (\Seen)`, `-FLAGS (…)`, `FLAGS (…)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlagChange::Add(flags) => write!(f, "+FLAGS ({})", flags.join(" ")),
            FlagChange::Remove(flags) => write!(f, "-FLAGS ({})", flags.join(" ")),
            FlagChange::Replace(flags) => write!(f, "FLAGS ({})", flags.join(" ")),
        }
    }
}

/// What a UID STORE did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreReply {
    /// UIDs the server did not change because they changed since `UNCHANGEDSINCE`
    /// (CONDSTORE `[MODIFIED …]`, RFC 7162 §3.1.3).
    pub modified: Vec<u32>,
    /// The flags the server now has for the UIDs it changed (from the FETCH it sent back).
    pub updated: Vec<FlagState>,
    /// The server's tagged answer, for the audit log.
    pub response: String,
}

/// What a UID MOVE did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveReply {
    /// False when the server confirmed a move of nothing (the message was gone).
    pub moved: bool,
    /// The messages' UIDs in the destination, in the order of the source UIDs (from
    /// `COPYUID`); empty when the server does not say.
    pub destination_uids: Vec<u32>,
}

/// The destination UIDs of a `[COPYUID <validity> <source set> <destination set>]` code
/// anywhere in a reply (RFC 4315 §3), ranges expanded.
pub fn copyuid_destination(reply: &str) -> Option<Vec<u32>> {
    let upper = reply.to_ascii_uppercase();
    let at = upper.find("[COPYUID ")?;
    let code = &reply[at + 1..];
    let code = &code[..code.find(']')?];
    let destination = code.split_whitespace().nth(3)?;
    let mut uids = Vec::new();
    for part in destination.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                uids.extend(a.min(b)..=a.max(b));
            }
            None => uids.push(part.parse().ok()?),
        }
    }
    Some(uids)
}

/// How to find UIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    All,
    /// This UID, if still there.
    Uid(u32),
    /// Every UID from this one on.
    UidsFrom(u32),
    /// Messages whose Message-ID header is this one (without angle brackets).
    MessageId(String),
}

/// Why the server refused a command (RFC 5530 response codes Relais acts on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `[EXPUNGEISSUED]`: the message was expunged by another session.
    ExpungeIssued,
    /// `[TRYCREATE]`: the target folder does not exist.
    TryCreate,
    /// `[NOPERM]` or an ACL refusal.
    NoPerm,
    /// `[OVERQUOTA]`.
    OverQuota,
    Other,
}

impl Refusal {
    /// The RFC 5530 code named in a refusal's text (its code and human part).
    fn of(text: &str) -> Refusal {
        let upper = text.to_ascii_uppercase();
        if upper.contains("EXPUNGEISSUED") {
            Refusal::ExpungeIssued
        } else if upper.contains("TRYCREATE") {
            Refusal::TryCreate
        } else if upper.contains("NOPERM") {
            Refusal::NoPerm
        } else if upper.contains("OVERQUOTA") {
            Refusal::OverQuota
        } else {
            Refusal::Other
        }
    }
}

/// `1:3,5,7:8` from UIDs (sorted here).
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
        i += 1;
    }
    parts.join(",")
}

fn flag_names(flags: &[imap::types::Flag<'_>]) -> Vec<String> {
    flags.iter().map(|f| f.to_string()).collect()
}

fn folder_state(mailbox: &imap::types::Mailbox) -> FolderState {
    FolderState {
        exists: mailbox.exists,
        uid_validity: mailbox.uid_validity,
        uid_next: mailbox.uid_next,
        highest_modseq: mailbox.highest_mod_seq,
        permanent_flags: flag_names(&mailbox.permanent_flags),
    }
}

/// A quoted string (RFC 3501 §4.3) for a SEARCH key.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars().filter(|c| *c != '\r' && *c != '\n') {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl ImapSession {
    fn refused(&self, e: imap::Error) -> NetError {
        match e {
            imap::Error::No(no) => {
                let code = no
                    .code
                    .as_ref()
                    .map(|c| format!("{c:?}"))
                    .unwrap_or_default();
                NetError::ImapRefused {
                    server: self.server().to_string(),
                    refusal: Refusal::of(&format!("{code} {}", no.information)),
                    text: no.information,
                }
            }
            other => NetError::Protocol {
                server: self.server().to_string(),
                detail: other.to_string(),
            },
        }
    }

    /// A tagged answer other than OK, read from raw response text.
    fn refused_text(&self, tagged: String) -> NetError {
        NetError::ImapRefused {
            server: self.server().to_string(),
            refusal: Refusal::of(&tagged),
            text: tagged,
        }
    }

    /// `ENABLE CONDSTORE` (RFC 7162): mod-sequences in every FETCH and SELECT after it.
    pub fn enable_condstore(&mut self) -> Result<(), NetError> {
        let result = self.session().run_command_and_check_ok("ENABLE CONDSTORE");
        result.map_err(|e| self.refused(e))
    }

    /// NOOP: the server brings this session's view of the selected folder up to date (new
    /// messages from other sessions, their expunges and flag changes).
    ///
    /// Returns whether the server reported anything (now, or since the last look): a change
    /// made by another session that whoever watches the folder must not miss.
    pub fn refresh(&mut self) -> Result<bool, NetError> {
        let before = self.drop_unsolicited();
        let result = self.session().noop();
        result.map_err(|e| self.refused(e))?;
        Ok(before + self.drop_unsolicited() > 0)
    }

    /// SELECT (read-write).
    pub fn select_folder(&mut self, name: &str) -> Result<FolderState, NetError> {
        let result = self.session().select(name);
        result
            .map(|m| folder_state(&m))
            .map_err(|e| self.refused(e))
    }

    /// EXAMINE (read-only).
    pub fn examine_folder(&mut self, name: &str) -> Result<FolderState, NetError> {
        let result = self.session().examine(name);
        result
            .map(|m| folder_state(&m))
            .map_err(|e| self.refused(e))
    }

    /// LIST `""` `pattern`, with each folder's state when `with_status` (LIST-STATUS, RFC
    /// 5819, with the SPECIAL-USE attributes asked for, RFC 6154).
    pub fn list_folders(
        &mut self,
        pattern: &str,
        with_status: bool,
    ) -> Result<Vec<ListedFolder>, NetError> {
        let describe = |name: &imap::types::Name<'_>, state: Option<FolderState>| {
            let attributes = name.attributes();
            ListedFolder {
                name: name.name().to_string(),
                noselect: attributes
                    .iter()
                    .any(|a| matches!(a, NameAttribute::NoSelect)),
                role: attributes.iter().find_map(|a| match a {
                    NameAttribute::Sent => Some(SpecialUse::Sent),
                    NameAttribute::Drafts => Some(SpecialUse::Drafts),
                    NameAttribute::Trash => Some(SpecialUse::Trash),
                    NameAttribute::Junk => Some(SpecialUse::Junk),
                    NameAttribute::Archive => Some(SpecialUse::Archive),
                    _ => None,
                }),
                state,
            }
        };
        if with_status {
            let items = "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ) SPECIAL-USE";
            let result = self
                .session()
                .list_status(Some(""), Some(&quoted(pattern)), items);
            let listed = result.map_err(|e| self.refused(e))?;
            Ok(listed
                .iter()
                .map(|(n, s)| describe(n, s.as_ref().map(folder_state)))
                .collect())
        } else {
            let result = self.session().list(Some(""), Some(&quoted(pattern)));
            let listed = result.map_err(|e| self.refused(e))?;
            Ok(listed.iter().map(|n| describe(n, None)).collect())
        }
    }

    /// Flags (and MODSEQ with CONDSTORE) of the UIDs in `set`, only those changed since
    /// `changed_since` when given (RFC 7162 CHANGEDSINCE).
    pub fn fetch_flags(
        &mut self,
        set: &str,
        with_modseq: bool,
        changed_since: Option<u64>,
    ) -> Result<Vec<FlagState>, NetError> {
        let items = match (with_modseq, changed_since) {
            (_, Some(modseq)) => format!("(UID FLAGS MODSEQ) (CHANGEDSINCE {modseq})"),
            (true, None) => "(UID FLAGS MODSEQ)".to_string(),
            (false, None) => "(UID FLAGS)".to_string(),
        };
        let result = self.session().uid_fetch(set, &items);
        let fetches = result.map_err(|e| self.refused(e))?;
        Ok(fetches
            .iter()
            .filter_map(|f| {
                Some(FlagState {
                    uid: f.uid?,
                    flags: flag_names(f.flags()),
                    modseq: f.mod_seq(),
                })
            })
            .collect())
    }

    /// What the list needs of the messages of `set`: flags, size, INTERNALDATE, body
    /// structure and the header fields named in `header_fields`.
    pub fn fetch_summaries(
        &mut self,
        set: &str,
        with_modseq: bool,
        header_fields: &[&str],
    ) -> Result<Vec<FetchedSummary>, NetError> {
        let modseq = if with_modseq { " MODSEQ" } else { "" };
        let items = format!(
            "(UID FLAGS{modseq} RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({})])",
            header_fields.join(" ")
        );
        let result = self.session().uid_fetch(set, &items);
        let fetches = result.map_err(|e| self.refused(e))?;
        Ok(fetches
            .iter()
            .filter_map(|f| {
                let mut parts = Vec::new();
                if let Some(bs) = f.bodystructure() {
                    parts_of(bs, String::new(), &mut parts);
                }
                Some(FetchedSummary {
                    uid: f.uid?,
                    flags: flag_names(f.flags()),
                    modseq: f.mod_seq(),
                    size: f.size.unwrap_or_default(),
                    internal_date: f.internal_date().map(|d| d.timestamp()),
                    header: f.header().unwrap_or_default().to_vec(),
                    parts,
                })
            })
            .collect())
    }

    /// The whole messages of `set` (BODY.PEEK[]: the `\Seen` flag is left as it is).
    pub fn fetch_bodies(&mut self, set: &str) -> Result<Vec<(u32, Vec<u8>)>, NetError> {
        let result = self.session().uid_fetch(set, "(UID BODY.PEEK[])");
        let fetches = result.map_err(|e| self.refused(e))?;
        Ok(fetches
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
            .collect())
    }

    /// UID SEARCH.
    pub fn search_uids(&mut self, search: &Search) -> Result<Vec<u32>, NetError> {
        let query = match search {
            Search::All => "ALL".to_string(),
            Search::Uid(uid) => format!("UID {uid}"),
            Search::UidsFrom(uid) => format!("UID {uid}:*"),
            Search::MessageId(id) => format!("HEADER Message-ID {}", quoted(&format!("<{id}>"))),
        };
        let result = self.session().uid_search(query);
        let found = result.map_err(|e| self.refused(e))?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// UID STORE, conditional on `unchanged_since` when given (CONDSTORE). Not silent: the
    /// server sends back the flags it now has, so that one round trip both changes and
    /// tells; a change refused because of a concurrent one is in [`StoreReply::modified`].
    pub fn store_flags(
        &mut self,
        set: &str,
        change: &FlagChange,
        unchanged_since: Option<u64>,
    ) -> Result<StoreReply, NetError> {
        let condition = unchanged_since
            .map(|m| format!("(UNCHANGEDSINCE {m}) "))
            .unwrap_or_default();
        let command = format!("UID STORE {set} {condition}{change}");
        let result = self.session().run(&command);
        let (data, tagged_at) = result.map_err(|e| self.refused(e))?;
        let (untagged, tagged) = data.split_at(tagged_at.min(data.len()));
        let tagged = String::from_utf8_lossy(tagged).trim().to_string();
        let response = tagged
            .split_once(' ')
            .map(|(_, r)| r.to_string())
            .unwrap_or_else(|| tagged.clone());
        let status = response.split_whitespace().next().unwrap_or_default();
        if !status.eq_ignore_ascii_case("OK") {
            return Err(self.refused_text(response));
        }
        Ok(StoreReply {
            modified: modified_set(&response),
            updated: fetched_flags(untagged),
            response,
        })
    }

    /// UID MOVE (RFC 6851), or COPY + STORE \Deleted + UID EXPUNGE where MOVE is missing.
    /// Says whether anything moved: with UIDPLUS the server names what it copied
    /// (`COPYUID`, RFC 4315), which also gives the messages' UIDs in the destination (what
    /// an undo moves back); a MOVE of a message another session removed answers OK
    /// without it. Without UIDPLUS nothing tells: `moved` is true and no UID is known.
    pub fn move_uids(&mut self, set: &str, destination: &str) -> Result<MoveReply, NetError> {
        if self.has_capability("MOVE") {
            let command = format!("UID MOVE {set} {}", quoted(destination));
            let result = self.session().run(&command);
            let (data, tagged_at) = result.map_err(|e| self.refused(e))?;
            let tagged = String::from_utf8_lossy(data.get(tagged_at..).unwrap_or_default())
                .trim()
                .to_string();
            if !tagged
                .split_whitespace()
                .nth(1)
                .is_some_and(|s| s.eq_ignore_ascii_case("OK"))
            {
                return Err(self.refused_text(tagged));
            }
            let destination_uids = copyuid_destination(&String::from_utf8_lossy(&data));
            let moved = !self.has_capability("UIDPLUS") || destination_uids.is_some();
            return Ok(MoveReply {
                moved,
                destination_uids: destination_uids.unwrap_or_default(),
            });
        }
        // Not the imap crate's uid_copy: it writes the name unquoted (a name with a space is
        // two arguments, BAD).
        let command = format!("UID COPY {set} {}", quoted(destination));
        let result = self.session().run_command_and_check_ok(&command);
        result.map_err(|e| self.refused(e))?;
        self.expunge_uids(set)?;
        Ok(MoveReply {
            moved: true,
            destination_uids: Vec::new(),
        })
    }

    /// STORE \Deleted then UID EXPUNGE (RFC 4315: only these UIDs, not a colleague's
    /// messages marked \Deleted).
    pub fn expunge_uids(&mut self, set: &str) -> Result<(), NetError> {
        let result = self.session().uid_store(set, "+FLAGS.SILENT (\\Deleted)");
        result.map_err(|e| self.refused(e))?;
        let result = self.session().uid_expunge(set);
        result.map(|_| ()).map_err(|e| self.refused(e))
    }

    /// CREATE a folder (the server's full name, prefix included).
    pub fn create_folder(&mut self, name: &str) -> Result<(), NetError> {
        let result = self.session().create(name);
        result.map_err(|e| self.refused(e))
    }

    /// RENAME a folder (its subfolders follow, RFC 3501 §6.3.5).
    pub fn rename_folder(&mut self, from: &str, to: &str) -> Result<(), NetError> {
        let result = self.session().rename(from, to);
        result.map_err(|e| self.refused(e))
    }

    /// DELETE a folder (its messages go with it).
    pub fn delete_folder(&mut self, name: &str) -> Result<(), NetError> {
        let result = self.session().delete(name);
        result.map_err(|e| self.refused(e))
    }

    /// APPEND with flags; the new UID when the server says it (UIDPLUS `APPENDUID`).
    pub fn append_message(
        &mut self,
        folder: &str,
        flags: &[&str],
        raw: &[u8],
    ) -> Result<Option<u32>, NetError> {
        let result = {
            let mut append = self.session().append(folder, raw);
            for flag in flags {
                append.flag(imap::types::Flag::from(flag.to_string()));
            }
            append.finish()
        };
        let appended = result.map_err(|e| self.refused(e))?;
        Ok(appended.uids.as_ref().and_then(|u| {
            u.iter()
                .map(|m| match m {
                    imap_proto::UidSetMember::Uid(u) => *u,
                    imap_proto::UidSetMember::UidRange(r) => *r.start(),
                })
                .next()
        }))
    }
}

/// A folder name as IMAP writes it, in modified UTF-7 (RFC 3501 §5.1.3): `Reçus` →
/// `Re&AOc-us`, `A&B` → `A&-B`. The inverse of [`decode_folder_name`].
pub fn encode_folder_name(name: &str) -> String {
    use base64::Engine as _;
    const MODIFIED: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::IMAP_MUTF7,
        base64::engine::general_purpose::NO_PAD,
    );
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&MODIFIED.encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// IMAP folder names are in modified UTF-7 (RFC 3501 §5.1.3): `Re&AOc-us` → `Reçus`.
/// A malformed name is shown as it is.
pub fn decode_folder_name(name: &str) -> String {
    let mut out = String::new();
    let mut rest = name;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('-') else {
            return name.to_owned();
        };
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let Some(decoded) = decode_utf16_base64(encoded) else {
                return name.to_owned();
            };
            out.push_str(&decoded);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn decode_utf16_base64(encoded: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in encoded.chars() {
        let value = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            ',' => 63,
            _ => return None,
        };
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push(((bits >> count) & 0xff) as u8);
        }
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// The UIDs of `[MODIFIED 7,9:11]` in a tagged answer.
fn modified_set(response: &str) -> Vec<u32> {
    let upper = response.to_ascii_uppercase();
    let Some(start) = upper.find("[MODIFIED") else {
        return Vec::new();
    };
    let rest = &response[start + "[MODIFIED".len()..];
    let set = rest.split(']').next().unwrap_or_default().trim();
    let mut uids = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
                    uids.extend(a.min(b)..=a.max(b));
                }
            }
            None => uids.extend(part.trim().parse::<u32>().ok()),
        }
    }
    // A conditional STORE refused for a message says MODIFIED even with an empty set on
    // some servers: u32::MAX marks "something was modified" then.
    if uids.is_empty() {
        uids.push(u32::MAX);
    }
    uids
}

/// The `* n FETCH (UID u FLAGS (…) MODSEQ (m))` lines a STORE sent back.
fn fetched_flags(untagged: &[u8]) -> Vec<FlagState> {
    let mut out = Vec::new();
    let mut rest = untagged;
    while !rest.is_empty() {
        match imap_proto::parser::parse_response(rest) {
            Ok((next, response)) => {
                if let imap_proto::Response::Fetch(_, attributes) = response {
                    let mut uid = None;
                    let mut flags = Vec::new();
                    let mut modseq = None;
                    for a in attributes {
                        match a {
                            imap_proto::AttributeValue::Uid(u) => uid = Some(u),
                            imap_proto::AttributeValue::Flags(f) => {
                                flags = f.iter().map(|x| x.to_string()).collect();
                            }
                            imap_proto::AttributeValue::ModSeq(m) => modseq = Some(m),
                            _ => {}
                        }
                    }
                    if let Some(uid) = uid {
                        out.push(FlagState { uid, flags, modseq });
                    }
                }
                rest = next;
            }
            Err(_) => {
                // Skip a line the parser does not know; the rest is still read.
                match rest.iter().position(|b| *b == b'\n') {
                    Some(end) => rest = &rest[end + 1..],
                    None => break,
                }
            }
        }
    }
    out
}

fn parts_of(bs: &BodyStructure<'_>, id: String, out: &mut Vec<BodyPart>) {
    let child_id = |i: usize| {
        if id.is_empty() {
            (i + 1).to_string()
        } else {
            format!("{id}.{}", i + 1)
        }
    };
    match bs {
        BodyStructure::Multipart { bodies, .. } => {
            for (i, body) in bodies.iter().enumerate() {
                parts_of(body, child_id(i), out);
            }
        }
        BodyStructure::Basic { common, other, .. }
        | BodyStructure::Text { common, other, .. }
        | BodyStructure::Message { common, other, .. } => {
            let filename = filename_of(&common.ty, common.disposition.as_ref());
            let disposition = common
                .disposition
                .as_ref()
                .map(|d| d.ty.to_ascii_lowercase());
            let content_type =
                format!("{}/{}", common.ty.ty, common.ty.subtype).to_ascii_lowercase();
            let attachment = disposition.as_deref() == Some("attachment")
                || (filename.is_some() && disposition.as_deref() != Some("inline"))
                || (!content_type.starts_with("text/")
                    && !content_type.starts_with("multipart/")
                    && !id.is_empty()
                    && disposition.as_deref() != Some("inline"));
            out.push(BodyPart {
                part_id: if id.is_empty() { "1".to_string() } else { id },
                content_type,
                filename,
                size: u64::from(other.octets),
                attachment,
            });
        }
    }
}

fn filename_of(
    ty: &ContentType<'_>,
    disposition: Option<&ContentDisposition<'_>>,
) -> Option<String> {
    let params = disposition
        .and_then(|d| d.params.as_ref())
        .into_iter()
        .flatten()
        .chain(ty.params.as_ref().into_iter().flatten());
    let mut plain = None;
    for (key, value) in params {
        let key = key.to_ascii_lowercase();
        if key == "filename*" || key == "name*" {
            if let Some(decoded) = decode_rfc2231(value) {
                return Some(decoded);
            }
        } else if (key == "filename" || key == "name") && plain.is_none() {
            plain = Some(decode_words(value));
        }
    }
    plain
}

/// `utf-8''r%C3%A9sultats.pdf` → `résultats.pdf`.
fn decode_rfc2231(value: &str) -> Option<String> {
    let (_, encoded) = value.split_once("''")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 2047 encoded words in a parameter (common, if not standard), decoded by mail-parser.
fn decode_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_string();
    }
    let raw = format!("Subject: {value}\r\n\r\n");
    mail_parser::MessageParser::new()
        .parse_headers(raw.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(uid_set(&[8, 4, 4]), "4,8");
    }

    #[test]
    fn file_names_in_rfc_2231_and_2047() {
        assert_eq!(
            decode_rfc2231("utf-8''r%C3%A9sultats.pdf").as_deref(),
            Some("résultats.pdf")
        );
        assert_eq!(
            decode_words("=?utf-8?q?r=C3=A9sultats.pdf?="),
            "résultats.pdf"
        );
    }

    /// Recorded from Dovecot 2.3: a conditional STORE on two messages, one changed since.
    #[test]
    fn a_store_reply_tells_the_new_flags_and_the_modified_uids() {
        let untagged = b"* 3 FETCH (UID 12 MODSEQ (41) FLAGS (\\Seen $RelaisTraite))\r\n";
        let updated = fetched_flags(untagged);
        assert_eq!(
            updated,
            vec![FlagState {
                uid: 12,
                flags: vec!["\\Seen".into(), "$RelaisTraite".into()],
                modseq: Some(41),
            }]
        );
        assert_eq!(
            modified_set("OK [MODIFIED 7,9:11] Conditional STORE failed"),
            vec![7, 9, 10, 11]
        );
        assert!(modified_set("OK Store completed (0.001 + 0.000 secs).").is_empty());
    }

    #[test]
    fn encodes_folder_names_in_modified_utf7_and_back() {
        for (plain, wire) in [
            ("Reçus", "Re&AOc-us"),
            ("A&B", "A&-B"),
            ("Archives", "Archives"),
            ("Classés/Cardiologie", "Class&AOk-s/Cardiologie"),
            ("日本語", "&ZeVnLIqe-"),
        ] {
            assert_eq!(encode_folder_name(plain), wire);
            assert_eq!(decode_folder_name(wire), plain);
        }
    }

    #[test]
    fn decodes_modified_utf7_folder_names() {
        assert_eq!(decode_folder_name("Re&AOc-us"), "Reçus");
        assert_eq!(decode_folder_name("A&-B"), "A&B");
        assert_eq!(decode_folder_name("Archives"), "Archives");
        assert_eq!(decode_folder_name("cass&-é"), "cass&é");
        assert_eq!(decode_folder_name("bad&AOc"), "bad&AOc");
    }

    #[test]
    fn search_values_are_quoted() {
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("x\r\ny"), "\"xy\"");
    }

    #[test]
    fn copyuid_gives_the_destination_uids() {
        let reply = "* OK [COPYUID 1733 4,7:9 101:104] Moved UIDs.\r\n* 3 EXPUNGE\r\nA4 OK Move completed.\r\n";
        assert_eq!(copyuid_destination(reply), Some(vec![101, 102, 103, 104]));
        assert_eq!(
            copyuid_destination("* OK [copyuid 9 3 12] done\r\n"),
            Some(vec![12])
        );
        assert_eq!(copyuid_destination("A4 OK Move completed.\r\n"), None);
        assert_eq!(copyuid_destination("* OK [COPYUID 9 3 x] bad\r\n"), None);
    }
}
