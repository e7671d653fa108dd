//! Synchronising one box's folders into the store.
//!
//! Per folder: SELECT (with CONDSTORE enabled where offered); a UIDVALIDITY change empties
//! the folder locally; when HIGHESTMODSEQ, UIDNEXT and the message count are unchanged the
//! folder is done after that one round trip. Otherwise: flags changed since the last
//! HIGHESTMODSEQ (or all flags without CONDSTORE), new messages' headers and structure in
//! batched UID ranges, and expunges found by comparing UIDs. Each batch is written in one
//! transaction and announced with one event. Bodies are fetched only when opened.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use relais_core::{Access, BoxAddress, Entitlement};
use relais_net::{ConnectOptions, FetchedSummary, ImapSession, NetError, Search, SpecialUse};
use relais_store::{
    FlagUpdate, Flags, FolderId, FolderRole, FolderState, Mailbox, MessagePart, NewMessage,
};

use crate::error::{EngineError, Result};
use crate::events::{Event, EventSink};
use crate::{lock, Engine};

/// How many new messages one UID FETCH asks for.
const BATCH: usize = 500;

/// The header fields the list and threading need (the rest waits until a message is opened).
const HEADER_FIELDS: &[&str] = &[
    "FROM",
    "TO",
    "CC",
    "SUBJECT",
    "DATE",
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "X-RELAIS-AUTHOR",
    "X-MSS-MES",
];

/// A live connection to one box, with the mailbox-name prefix of its folders (non-empty
/// for a box seen through a shared namespace).
pub struct BoxConnection {
    pub session: ImapSession,
    pub prefix: String,
    /// The server name of the box's INBOX when it is not `<prefix>INBOX` (Cyrus shows
    /// another user's INBOX as the owner level, `Other Users/secretariat`).
    pub inbox: Option<String>,
    pub condstore: bool,
    /// Folder states from the last LIST-STATUS (RFC 5819), each taken by the next sync of
    /// its folder: an unchanged folder then costs no SELECT.
    pub listed: HashMap<String, relais_net::FolderState>,
    /// The folder selected on this connection (server name), whether read-write, and what
    /// the server said of it: a kept connection skips the SELECT of an action on the folder
    /// it already has open.
    selected: Option<(String, bool, relais_net::FolderState)>,
}

impl BoxConnection {
    /// SELECT `name` (read-write), unless it is already selected read-write here.
    ///
    /// A folder kept selected does not show what other sessions did since (Dovecot tells a
    /// session of new messages and expunges only at its sync points): a NOOP brings it up to
    /// date first, lighter than a new SELECT but still one round trip.
    pub(crate) fn select(
        &mut self,
        name: &str,
    ) -> std::result::Result<relais_net::FolderState, NetError> {
        if let Some((current, true, mailbox)) = &self.selected {
            if current == name {
                let mailbox = mailbox.clone();
                self.session.refresh()?;
                return Ok(mailbox);
            }
        }
        self.select_fresh(name)
    }

    /// Whether `name` is the folder selected (read-write) on this connection.
    pub(crate) fn is_selected(&self, name: &str) -> bool {
        matches!(&self.selected, Some((current, true, _)) if current == name)
    }

    /// SELECT `name` always: synchronisation needs the folder's current state (UIDNEXT,
    /// HIGHESTMODSEQ, EXISTS).
    pub(crate) fn select_fresh(
        &mut self,
        name: &str,
    ) -> std::result::Result<relais_net::FolderState, NetError> {
        self.selected = None;
        let mailbox = self.session.select_folder(name)?;
        self.selected = Some((name.to_string(), true, mailbox.clone()));
        Ok(mailbox)
    }

    /// EXAMINE `name` (read-only), unless it is already open here (either way: reading
    /// does not change it).
    pub(crate) fn examine(&mut self, name: &str) -> std::result::Result<(), NetError> {
        if self.selected.as_ref().is_some_and(|(n, _, _)| n == name) {
            return self.session.refresh().map(|_| ());
        }
        self.selected = None;
        let mailbox = self.session.examine_folder(name)?;
        self.selected = Some((name.to_string(), false, mailbox));
        Ok(())
    }

    pub fn server_name(&self, folder: &str) -> String {
        match &self.inbox {
            Some(inbox) if folder.eq_ignore_ascii_case("INBOX") => inbox.clone(),
            _ => format!("{}{}", self.prefix, folder),
        }
    }

    fn local_name<'a>(&self, server_name: &'a str) -> Option<&'a str> {
        if self.inbox.as_deref() == Some(server_name) {
            return Some("INBOX");
        }
        server_name.strip_prefix(self.prefix.as_str())
    }
}

/// What one folder's sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FolderReport {
    pub new: u32,
    pub flags_changed: u32,
    pub expunged: u32,
    pub reset: bool,
}

impl Engine {
    /// Open an authenticated connection to `entitlement`'s box.
    pub fn connect_box(&self, entitlement: &Entitlement) -> Result<BoxConnection> {
        let credentials = self.credentials()?;
        // The box a shared namespace shows is reached in the session of the person's own box,
        // or of their login alone when they have no mailbox (Cyrus, rights without `a`).
        let (login_box, prefix, inbox) = match &entitlement.access {
            Access::OwnLogin | Access::Delegated => {
                (Some(entitlement.address.clone()), String::new(), None)
            }
            Access::SharedNamespace { prefix, inbox } => {
                (self.person()?.own_box, prefix.clone(), inbox.clone())
            }
        };
        tracing::debug!(box_id = %short_id(entitlement.address.as_str()), "connexion IMAP");
        let session = match &login_box {
            Some(login_box) => {
                ImapSession::connect(&self.operator, &self.tls, &credentials, login_box)
            }
            None => ImapSession::connect_login(
                &self.operator,
                &self.tls,
                &credentials,
                &ConnectOptions::default(),
            ),
        };
        let mut session =
            session.inspect_err(|e| tracing::warn!(error = %e, "connexion IMAP refusée"))?;
        let condstore = session.has_capability("CONDSTORE");
        if condstore {
            session
                .enable_condstore()
                .map_err(|e| self.server_refused(&entitlement.address, e))?;
        }
        Ok(BoxConnection {
            session,
            prefix,
            inbox,
            condstore,
            listed: HashMap::new(),
            selected: None,
        })
    }

    /// The prefixes of the other namespaces a box opened at the top of the server's
    /// hierarchy sees in its LIST (RFC 2342: Cyrus lists `Other Users/…` under `*`); none
    /// for a box seen through a shared namespace, whose pattern is its own prefix.
    fn foreign_namespaces(
        &self,
        entitlement: &Entitlement,
        conn: &mut BoxConnection,
    ) -> Result<Vec<String>> {
        if !conn.prefix.is_empty() || !conn.session.has_capability("NAMESPACE") {
            return Ok(Vec::new());
        }
        if let Some(known) = lock(&self.foreign_namespaces).get(&entitlement.address) {
            return Ok(known.clone());
        }
        // Kept in the store, so that a resync in a new process costs no NAMESPACE round trip.
        let key = format!("namespaces:{}", entitlement.address);
        let stored = self.store()?.state(&key)?;
        let foreign: Vec<String> = match stored.map(|json| serde_json::from_str(&json)) {
            Some(Ok(foreign)) => foreign,
            unknown => {
                // Unreadable (written by another version): the server is asked again.
                if let Some(Err(e)) = unknown {
                    tracing::warn!(error = %e, "espaces de noms enregistrés illisibles");
                }
                let namespaces = conn
                    .session
                    .namespaces()
                    .map_err(|e| self.server_refused(&entitlement.address, e))?;
                let foreign: Vec<String> = namespaces
                    .other_users
                    .iter()
                    .chain(&namespaces.shared)
                    .map(|n| n.prefix.clone())
                    .filter(|prefix| !prefix.is_empty())
                    .collect();
                let json = serde_json::to_string(&foreign)
                    .map_err(|e| EngineError::io("espaces de noms", e))?;
                self.store()?.set_state(&key, &json)?;
                foreign
            }
        };
        lock(&self.foreign_namespaces).insert(entitlement.address.clone(), foreign.clone());
        Ok(foreign)
    }

    pub(crate) fn server_refused(
        &self,
        address: &BoxAddress,
        e: impl std::fmt::Display,
    ) -> EngineError {
        EngineError::ServerRefused {
            address: address.clone(),
            detail: e.to_string(),
        }
    }

    /// List the box's folders on the server and record them (roles from SPECIAL-USE).
    pub fn sync_folder_list(
        &self,
        entitlement: &Entitlement,
        conn: &mut BoxConnection,
    ) -> Result<Vec<(FolderId, String)>> {
        // A box whose INBOX is the owner level (`Other Users/secretariat`) lists it with its
        // children; what else the wider pattern finds is no folder of this box (local_name).
        let pattern = match &conn.inbox {
            Some(inbox) if conn.prefix.starts_with(inbox.as_str()) => format!("{inbox}*"),
            _ => format!("{}*", conn.prefix),
        };
        let foreign = self.foreign_namespaces(entitlement, conn)?;
        // With LIST-STATUS, one round trip also tells which folders changed since last time.
        let with_status = conn.condstore && conn.session.has_capability("LIST-STATUS");
        let listed = conn
            .session
            .list_folders(&pattern, with_status)
            .map_err(|e| self.server_refused(&entitlement.address, e))?;
        // The own folders only: other users' and shared folders are synced once, under the
        // box they belong to.
        let listed = listed.into_iter().filter(|f| {
            !foreign.iter().any(|prefix| {
                f.name.starts_with(prefix.as_str())
                    || prefix.strip_suffix(['/', '.']) == Some(&f.name)
            })
        });
        let names = listed.into_iter().map(|f| {
            let role = f.role.and_then(|r| match r {
                SpecialUse::Sent => Some(FolderRole::Sent),
                SpecialUse::Drafts => Some(FolderRole::Drafts),
                SpecialUse::Trash => Some(FolderRole::Trash),
                SpecialUse::Junk => Some(FolderRole::Junk),
                SpecialUse::Archive => None,
            });
            (f.name, f.noselect, role, f.state)
        });
        let mut folders = Vec::new();
        let mut store = self.store()?;
        for (name, noselect, role, status) in names {
            let Some(local) = conn.local_name(&name) else {
                continue;
            };
            if noselect || local.is_empty() {
                continue;
            }
            let role = if local.eq_ignore_ascii_case("INBOX") {
                Some(FolderRole::Inbox)
            } else {
                role
            };
            let id = store.upsert_folder(&entitlement.address, local, role)?;
            if let Some(status) = status {
                conn.listed.insert(local.to_string(), status);
            }
            folders.push((id, local.to_string()));
        }
        Ok(folders)
    }

    /// Synchronise one folder (see the module documentation).
    pub fn sync_folder(
        &self,
        entitlement: &Entitlement,
        conn: &mut BoxConnection,
        folder_id: FolderId,
        folder: &str,
        events: &EventSink,
        cancel: &AtomicBool,
    ) -> Result<FolderReport> {
        let address = &entitlement.address;
        let refused = |e: NetError| self.server_refused(address, e);
        if let Some(listed) = conn.listed.remove(folder) {
            let state = self.store()?.folder_state(folder_id)?;
            if state.highestmodseq.is_some()
                && listed.highest_modseq == state.highestmodseq
                && listed.uid_validity == state.uidvalidity
                && listed.uid_next == state.uidnext
                && u64::from(listed.exists) == self.store()?.count(folder_id)?
            {
                return Ok(FolderReport::default());
            }
        }
        let server_name = conn.server_name(folder);
        let mailbox = conn.select_fresh(&server_name).map_err(refused)?;
        let mut report = FolderReport::default();

        let mut state = self.store()?.folder_state(folder_id)?;
        if state.uidvalidity.is_some() && state.uidvalidity != mailbox.uid_validity {
            // The server renumbered the folder: what we hold no longer matches any UID.
            self.store()?.reset_folder(folder_id)?;
            state = FolderState::default();
            report.reset = true;
        }
        let local_count = self.store()?.count(folder_id)?;
        let server_uidnext = mailbox.uid_next;
        if state.highestmodseq.is_some()
            && mailbox.highest_modseq == state.highestmodseq
            && server_uidnext == state.uidnext
            && u64::from(mailbox.exists) == local_count
        {
            return Ok(report);
        }

        // Flags: those changed since our HIGHESTMODSEQ, or all of them.
        let local: Vec<(u32, Flags)> = self.store()?.uids(folder_id)?;
        let local_uids: HashSet<u32> = local.iter().map(|(uid, _)| *uid).collect();
        let max_local = local_uids.iter().copied().max().unwrap_or(0);
        if !local_uids.is_empty() && mailbox.exists > 0 {
            let changed_since = match (conn.condstore, state.highestmodseq) {
                (true, Some(modseq)) => Some(modseq),
                _ => None,
            };
            let fetches = conn
                .session
                .fetch_flags(&format!("1:{max_local}"), false, changed_since)
                .map_err(refused)?;
            let known: std::collections::HashMap<u32, &Flags> =
                local.iter().map(|(u, f)| (*u, f)).collect();
            let updates: Vec<FlagUpdate> = fetches
                .iter()
                .filter_map(|f| {
                    let flags = flags_of(&f.flags);
                    (known.get(&f.uid).is_some_and(|old| **old != flags)).then_some(FlagUpdate {
                        uid: f.uid,
                        flags,
                        modseq: f.modseq,
                    })
                })
                .collect();
            if !updates.is_empty() {
                report.flags_changed = self.store()?.update_flags(folder_id, &updates)? as u32;
                let uids: Vec<u32> = updates.iter().map(|u| u.uid).collect();
                let ids = self.store()?.ids_of_uids(folder_id, &uids)?;
                events(Event::MessagesChanged {
                    box_address: address.clone(),
                    folder_id,
                    ids,
                });
            }
        }

        // New messages: the UIDs above what we hold, fetched in batches.
        let new_uids: Vec<u32> = if mailbox.exists == 0 {
            Vec::new()
        } else {
            conn.session
                .search_uids(&Search::UidsFrom(max_local + 1))
                .map_err(refused)?
                .into_iter()
                .filter(|u| *u > max_local)
                .collect()
        };
        let total = new_uids.len() as u32;
        // Fetching and storing overlap: batch k is written to the store on another thread
        // while batch k+1 comes from the server (one batch in flight, so memory stays flat).
        // MODSEQ too, so that a later conditional STORE (claims) can say UNCHANGEDSINCE.
        let with_modseq = conn.condstore;
        let (to_store, batches) = std::sync::mpsc::sync_channel::<(u32, Vec<NewMessage>)>(1);
        let stored = std::thread::scope(|scope| -> Result<u32> {
            let writer = scope.spawn(move || -> Result<u32> {
                let mut done = 0u32;
                let mut inserted = 0u32;
                for (fetched, messages) in batches {
                    let ids = self.store()?.insert_messages(folder_id, &messages)?;
                    if !ids.is_empty() {
                        events(Event::MessagesAdded {
                            box_address: address.clone(),
                            folder_id,
                            ids,
                        });
                    }
                    done += fetched;
                    inserted += messages.len() as u32;
                    events(Event::SyncProgress {
                        box_address: address.clone(),
                        folder: folder.to_string(),
                        done,
                        total,
                        finished: done >= total,
                    });
                }
                Ok(inserted)
            });
            let mut fetch_result = Ok(());
            for chunk in new_uids.chunks(BATCH) {
                if cancel.load(Ordering::Relaxed) {
                    fetch_result = Err(EngineError::Cancelled);
                    break;
                }
                let fetched =
                    conn.session
                        .fetch_summaries(&uid_set(chunk), with_modseq, HEADER_FIELDS);
                let messages: Vec<NewMessage> = match fetched {
                    Ok(fetches) => fetches.iter().map(new_message).collect(),
                    Err(e) => {
                        fetch_result = Err(refused(e));
                        break;
                    }
                };
                if to_store.send((chunk.len() as u32, messages)).is_err() {
                    break; // the writer stopped on an error: it is reported below
                }
            }
            drop(to_store);
            let inserted = writer
                .join()
                .map_err(|_| EngineError::io("écriture du cache", "panic"))??;
            fetch_result.map(|()| inserted)
        })?;
        report.new += stored;

        // Expunges made by colleagues: what we hold that the server no longer has.
        let held = self.store()?.count(folder_id)?;
        if held != u64::from(mailbox.exists) {
            let server: HashSet<u32> = if mailbox.exists == 0 {
                HashSet::new()
            } else {
                conn.session
                    .search_uids(&Search::All)
                    .map_err(refused)?
                    .into_iter()
                    .collect()
            };
            let gone: Vec<u32> = self
                .store()?
                .uids(folder_id)?
                .into_iter()
                .map(|(uid, _)| uid)
                .filter(|uid| !server.contains(uid))
                .collect();
            if !gone.is_empty() {
                let ids = self.store()?.ids_of_uids(folder_id, &gone)?;
                report.expunged = self.store()?.remove_uids(folder_id, &gone)? as u32;
                events(Event::MessagesExpunged {
                    box_address: address.clone(),
                    folder_id,
                    ids,
                });
            }
        }

        // HIGHESTMODSEQ as of the SELECT, before the fetches above: a change made during
        // the sync is fetched again next time. (One taken now would skip it for good.)
        let highest = if conn.condstore {
            mailbox.highest_modseq
        } else {
            None
        };
        self.store()?.set_folder_state(
            folder_id,
            &FolderState {
                uidvalidity: mailbox.uid_validity,
                uidnext: server_uidnext,
                highestmodseq: highest.filter(|_| state.highestmodseq.is_some() || conn.condstore),
                last_sync: Some(crate::now_secs()),
            },
        )?;
        tracing::debug!(
            folder_id = folder_id.0,
            new = report.new,
            flags_changed = report.flags_changed,
            expunged = report.expunged,
            "dossier synchronisé"
        );
        if total == 0 {
            events(Event::SyncProgress {
                box_address: address.clone(),
                folder: folder.to_string(),
                done: 0,
                total: 0,
                finished: true,
            });
        }
        Ok(report)
    }
}

pub(crate) use relais_net::uid_set;

pub(crate) fn flags_of(flags: &[String]) -> Flags {
    Flags::parse(&flags.join(" "))
}

fn new_message(fetch: &FetchedSummary) -> NewMessage {
    let parsed = mail_parser::MessageParser::new().parse_headers(&fetch.header);
    let mailboxes = |addr: Option<&mail_parser::Address<'_>>| -> Vec<Mailbox> {
        addr.map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some(Mailbox {
                        name: m.name.as_ref().map(|n| n.to_string()),
                        address: m.address.as_ref()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let closes = parsed.as_ref().is_some_and(|m| {
        relais_mail::closes_conversation(m.header_raw("X-MSS-MES"), m.subject().unwrap_or_default())
    });
    let (subject, from, to, cc, date, message_id, in_reply_to, references, author) = match &parsed {
        Some(m) => (
            m.subject().unwrap_or_default().to_string(),
            mailboxes(m.from()).into_iter().next(),
            mailboxes(m.to()),
            mailboxes(m.cc()),
            m.date().map(|d| d.to_timestamp()),
            m.message_id().map(str::to_string),
            text_list(m.in_reply_to()).into_iter().next(),
            text_list(m.references()),
            m.header_raw("X-Relais-Author").map(str::trim),
        ),
        None => Default::default(),
    };
    let date = date.or(fetch.internal_date).unwrap_or_default();
    NewMessage {
        uid: fetch.uid,
        message_id,
        in_reply_to,
        references,
        subject,
        from,
        to,
        cc,
        date,
        size: u64::from(fetch.size),
        flags: flags_of(&fetch.flags),
        modseq: fetch.modseq,
        structure: fetch
            .parts
            .iter()
            .map(|p| MessagePart {
                part_id: p.part_id.clone(),
                content_type: p.content_type.clone(),
                filename: p.filename.clone(),
                size: p.size,
                attachment: p.attachment,
            })
            .collect(),
        author: NewMessage::author_from_header(author),
        closes_conversation: closes,
    }
}

fn text_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// How a live watch runs: how long an IDLE is held before the other folders are looked at.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// The longest an IDLE is held. The server pushes a change in the inbox at once; at the
    /// end of each period the other folders are checked (one LIST-STATUS round trip when
    /// nothing changed) and the IDLE is entered again.
    pub period: std::time::Duration,
    /// On a server without IDLE, how often the inbox is asked (NOOP) for changes.
    pub poll_every: std::time::Duration,
}

impl Default for WatchOptions {
    fn default() -> WatchOptions {
        WatchOptions {
            period: std::time::Duration::from_secs(120),
            poll_every: std::time::Duration::from_secs(10),
        }
    }
}

impl Engine {
    /// Watch a box with IDLE rounds of one second until `stop` is set: for a caller with no
    /// way to cut the connection (tests). The runtime holds IDLE for its whole period and
    /// cuts the connection to stop.
    pub fn watch_inbox(&self, entitlement: &Entitlement, stop: &AtomicBool) -> Result<()> {
        let options = WatchOptions {
            period: std::time::Duration::from_secs(1),
            poll_every: std::time::Duration::from_millis(500),
        };
        self.watch_box(entitlement, stop, options, &|_| {})
    }

    /// Watch a whole box live until `stop` is set: IDLE on its INBOX, held for
    /// `options.period` (a delivery, a colleague's flag change or expunge is pushed by the
    /// server and synchronised at once), then a look at every other folder (LIST-STATUS)
    /// before the next IDLE. `on_connect` receives a handle that cuts the connection, so that
    /// whoever sets `stop` can end a held IDLE at once. Returns on `stop`, or with the
    /// connection's error (the caller reconnects with back-off).
    pub fn watch_box(
        &self,
        entitlement: &Entitlement,
        stop: &AtomicBool,
        options: WatchOptions,
        on_connect: &dyn Fn(std::net::TcpStream),
    ) -> Result<()> {
        let span = tracing::info_span!("watch", box_id = %short_id(entitlement.address.as_str()));
        let _entered = span.enter();
        let mut conn = self.connect_box(entitlement)?;
        match conn.session.cutter() {
            Ok(cutter) => on_connect(cutter),
            // The watch still works; only a stop waits for the end of the IDLE period.
            Err(e) => tracing::warn!(error = %e, "connexion de surveillance non interruptible"),
        }
        let inbox_id = {
            let mut store = self.store()?;
            store.upsert_folder(&entitlement.address, "INBOX", Some(FolderRole::Inbox))?
        };
        let events = self.events.clone();
        let never = AtomicBool::new(false);
        // The first pass looks at every folder; later ones at the inbox after a push, and at
        // every folder after a quiet period.
        let mut inbox_changed = true;
        let mut period_over = true;
        let mut quick_resyncs = 0;
        while !stop.load(Ordering::Relaxed) {
            if period_over {
                let folders = self.sync_folder_list(entitlement, &mut conn)?;
                for (id, name) in folders {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let report =
                        self.sync_folder(entitlement, &mut conn, id, &name, &events, &never)?;
                    if id == inbox_id && report.new > 0 {
                        (self.events)(Event::NewMail {
                            box_address: entitlement.address.clone(),
                            count: report.new,
                        });
                    }
                }
            } else if inbox_changed {
                let report =
                    self.sync_folder(entitlement, &mut conn, inbox_id, "INBOX", &events, &never)?;
                if report.new > 0 {
                    (self.events)(Event::NewMail {
                        box_address: entitlement.address.clone(),
                        count: report.new,
                    });
                }
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            // IDLE applies to the selected mailbox: the inbox. A change another session made
            // while this one was synchronising was reported then, not in the IDLE to come:
            // look at it first (a few times at most, then IDLE all the same).
            let inbox = conn.server_name("INBOX");
            let reported = if conn.is_selected(&inbox) {
                conn.session.refresh()
            } else {
                conn.select(&inbox).map(|_| false)
            }
            .map_err(|e| self.server_refused(&entitlement.address, e))?;
            if reported && quick_resyncs < 3 {
                quick_resyncs += 1;
                inbox_changed = true;
                period_over = false;
                continue;
            }
            quick_resyncs = 0;
            // Without IDLE the server pushes nothing: ask it at a steady pace instead.
            let outcome = if conn.session.has_capability("IDLE") {
                conn.session.idle(options.period)
            } else {
                conn.session.poll(options.period, options.poll_every, stop)
            };
            if stop.load(Ordering::Relaxed) {
                break;
            }
            match outcome.map_err(|e| self.server_refused(&entitlement.address, e))? {
                relais_net::IdleOutcome::Changed => {
                    tracing::debug!("le serveur signale un changement");
                    inbox_changed = true;
                    period_over = false;
                }
                relais_net::IdleOutcome::TimedOut => {
                    inbox_changed = false;
                    period_over = true;
                }
            }
        }
        conn.session.logout();
        Ok(())
    }
}

/// A short, stable stand-in for an address in logs (never the address itself).
pub(crate) fn short_id(value: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    format!("{:08x}", h.finish() as u32)
}
