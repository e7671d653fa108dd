//! Who answered, and conversations, in a shared box.
//!
//! **Who answered.** An answer sent from the box carries `In-Reply-To` (the answered
//! Message-ID) and `X-Relais-Author` (its writer), and its copy lands in the box's shared
//! Sent folder, which every colleague synchronises. So the link needs no extra state: the
//! stored messages of the box whose `In-Reply-To` is the message's Message-ID and which were
//! sent from the box. [`Engine::answered_by`] gives « Répondu par Pierre DURAND, 14:32 ».
//!
//! **Threads.** [`group_threads`] joins messages by `References` / `In-Reply-To` (union of
//! every link found among the given messages, so order of arrival does not matter), then, for
//! messages none of whose links were found, by subject without its `Re:`/`TR:`/`Fwd:`
//! prefixes (case and accents ignored). **Conversations** ([`Engine::conversation`]) put
//! together every message of a box exchanged with one correspondent, in any folder (INBOX and
//! the shared Sent), grouped in threads, each outgoing message with its author.

use std::collections::HashMap;

use relais_core::BoxAddress;
use relais_store::{FolderRole, Mailbox, Message, MessageId};
use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::Engine;

/// Who answered a message from the box, for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnsweredBy {
    /// The author's display name (« Pierre DURAND »), or « un·e collègue » for an answer
    /// sent from the box by another client (no `X-Relais-Author`).
    pub author: String,
    /// The author's national identifier, when known.
    pub author_id: Option<String>,
    /// When the (first) answer was sent, unix seconds.
    pub date: i64,
    /// The answer itself.
    pub reply_id: MessageId,
    /// How many answers were sent from the box.
    pub count: u32,
    /// « Répondu par Pierre DURAND, 14:32 » (French time), « …, le 14/11/2026 à 14:32 » on
    /// another day.
    pub label: String,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationMessage {
    pub id: MessageId,
    /// Folder name on the server (`INBOX`, `Sent`…).
    pub folder: String,
    /// Sent from the box (its Sent folder, or `From:` the box).
    pub outgoing: bool,
    pub subject: String,
    pub from: Option<Mailbox>,
    /// For an outgoing message: who wrote it (`X-Relais-Author`), « un·e collègue » when
    /// unknown.
    pub author: Option<String>,
    pub date: i64,
    pub seen: bool,
}

/// A thread of a conversation, oldest message first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationThread {
    /// The subject of its first message, without reply prefixes.
    pub subject: String,
    pub last_date: i64,
    pub messages: Vec<ConversationMessage>,
}

/// Everything a box exchanged with one correspondent, most recent thread first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conversation {
    pub box_address: BoxAddress,
    pub correspondent: String,
    pub threads: Vec<ConversationThread>,
}

/// What threading needs of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadItem {
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub date: i64,
}

fn bare(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id)
        .trim()
}

/// The subject without reply/forward prefixes, lowercased and without accents, for the
/// subject fallback.
pub fn subject_key(subject: &str) -> String {
    const PREFIXES: [&str; 9] = ["re", "tr", "fwd", "fw", "réf", "ref", "aw", "wg", "rép"];
    let mut rest = subject.trim();
    'outer: loop {
        for prefix in PREFIXES {
            if let Some(head) = rest.get(..prefix.len()) {
                if head.to_lowercase() == prefix {
                    let mut after = rest[prefix.len()..].trim_start();
                    if let Some(inner) = after.strip_prefix('[') {
                        if let Some(end) = inner.find(']') {
                            if inner[..end].chars().all(|c| c.is_ascii_digit()) {
                                after = inner[end + 1..].trim_start();
                            }
                        }
                    }
                    if let Some(after) = after.strip_prefix(':') {
                        rest = after.trim_start();
                        continue 'outer;
                    }
                }
            }
        }
        break;
    }
    let folded: String = rest
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// Group messages in threads: indices into `items`, each thread by date, threads by their
/// last message, most recent first. See the module doc.
pub fn group_threads(items: &[ThreadItem]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..items.len()).collect();
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(id) = item
            .message_id
            .as_deref()
            .map(bare)
            .filter(|s| !s.is_empty())
        {
            match by_id.get(id) {
                Some(&j) => union(&mut parent, i, j), // the same message in two folders
                None => {
                    by_id.insert(id, i);
                }
            }
        }
    }
    let mut linked = vec![false; items.len()];
    for (i, item) in items.iter().enumerate() {
        let links = item
            .in_reply_to
            .iter()
            .chain(item.references.iter())
            .map(|r| bare(r));
        for link in links {
            if let Some(&j) = by_id.get(link) {
                if j != i {
                    union(&mut parent, i, j);
                    linked[i] = true;
                }
            }
        }
    }
    // Subject fallback for messages whose links found nothing.
    let mut by_subject: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].date, i));
    for &i in &order {
        if linked[i] {
            continue;
        }
        let key = subject_key(&items[i].subject);
        if key.is_empty() {
            continue;
        }
        match by_subject.get(&key) {
            Some(&j) => union(&mut parent, i, j),
            None => {
                by_subject.insert(key, i);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for &i in &order {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut threads: Vec<Vec<usize>> = groups.into_values().collect();
    threads.sort_by_key(|t| {
        std::cmp::Reverse(t.last().map(|&i| (items[i].date, i)).unwrap_or_default())
    });
    threads
}

/// French time (the EU summer-time rule) and « 14:32 » / « le 14/11/2026 à 14:32 », from the
/// shared date helpers (`jiff`).
pub use relais_mail::dates::{french_when, paris_offset_minutes};

impl Engine {
    /// Who answered this message from the box (the first answer), if anyone did.
    pub fn answered_by(&self, id: MessageId) -> Result<Option<AnsweredBy>> {
        Ok(self
            .answered_by_many(&[id])?
            .into_iter()
            .next()
            .map(|(_, a)| a))
    }

    /// [`Engine::answered_by`] for a page of the list, in one query per box; only the
    /// answered messages are returned.
    pub fn answered_by_many(&self, ids: &[MessageId]) -> Result<Vec<(MessageId, AnsweredBy)>> {
        let store = self.store()?;
        let mut wanted: Vec<(MessageId, BoxAddress, String)> = Vec::new();
        for id in ids {
            if let Some(m) = store.message(*id)? {
                if let Some(mid) = m.message_id {
                    wanted.push((*id, m.summary.box_address, mid));
                }
            }
        }
        let mut boxes: Vec<BoxAddress> = wanted.iter().map(|(_, b, _)| b.clone()).collect();
        boxes.sort();
        boxes.dedup();
        let now = crate::now_secs();
        let mut out = Vec::new();
        for address in boxes {
            let mids: Vec<&str> = wanted
                .iter()
                .filter(|(_, b, _)| b == &address)
                .map(|(_, _, m)| m.as_str())
                .collect();
            let replies = store.replies_to(&address, &mids)?;
            for (id, _, mid) in wanted.iter().filter(|(_, b, _)| b == &address) {
                let from_box: Vec<_> = replies
                    .iter()
                    .filter(|r| &r.in_reply_to == mid)
                    .filter(|r| {
                        r.reply.author.is_some()
                            || r.reply
                                .from
                                .as_ref()
                                .is_some_and(|f| f.address.eq_ignore_ascii_case(address.as_str()))
                    })
                    .collect();
                let Some(first) = from_box.first() else {
                    continue;
                };
                let author = first
                    .reply
                    .author
                    .as_ref()
                    .map(|a| a.display_name().to_string())
                    .unwrap_or_else(|| "un·e collègue".to_string());
                let label = format!(
                    "Répondu par {author}, {}",
                    french_when(first.reply.date, now)
                );
                out.push((
                    *id,
                    AnsweredBy {
                        author,
                        author_id: first
                            .reply
                            .author
                            .as_ref()
                            .map(|a| a.national_id().to_string()),
                        date: first.reply.date,
                        reply_id: first.reply.id,
                        count: from_box.len() as u32,
                        label,
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Everything `address` (the box) exchanged with `correspondent`, across its folders.
    pub fn conversation(&self, address: &BoxAddress, correspondent: &str) -> Result<Conversation> {
        self.entitlement(address)?;
        let store = self.store()?;
        let ids = store.correspondent_messages(address, correspondent)?;
        let mut folders: HashMap<i64, (String, bool)> = HashMap::new();
        let mut messages: Vec<Message> = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(m) = store.message(id)? {
                let key = m.summary.folder_id.0;
                if let std::collections::hash_map::Entry::Vacant(e) = folders.entry(key) {
                    let f = store.folder(m.summary.folder_id)?;
                    e.insert(
                        f.map(|f| (f.name, f.role == Some(FolderRole::Sent)))
                            .unwrap_or_default(),
                    );
                }
                messages.push(m);
            }
        }
        drop(store);
        let items: Vec<ThreadItem> = messages
            .iter()
            .map(|m| ThreadItem {
                message_id: m.message_id.clone(),
                in_reply_to: m.in_reply_to.clone(),
                references: m.references.clone(),
                subject: m.summary.subject.clone(),
                date: m.summary.date,
            })
            .collect();
        let threads = group_threads(&items)
            .into_iter()
            .map(|group| {
                let msgs: Vec<ConversationMessage> = group
                    .iter()
                    .map(|&i| {
                        let m = &messages[i];
                        let (folder, sent_folder) = folders
                            .get(&m.summary.folder_id.0)
                            .cloned()
                            .unwrap_or_default();
                        let outgoing = sent_folder
                            || m.summary
                                .from
                                .as_ref()
                                .is_some_and(|f| f.address.eq_ignore_ascii_case(address.as_str()));
                        ConversationMessage {
                            id: m.summary.id,
                            folder,
                            outgoing,
                            subject: m.summary.subject.clone(),
                            from: m.summary.from.clone(),
                            author: outgoing.then(|| {
                                m.summary
                                    .author
                                    .as_ref()
                                    .map(|a| a.display_name().to_string())
                                    .unwrap_or_else(|| "un·e collègue".to_string())
                            }),
                            date: m.summary.date,
                            seen: m.summary.seen,
                        }
                    })
                    .collect();
                let first = group.first().map(|&i| items[i].subject.as_str());
                ConversationThread {
                    subject: first
                        .map(|s| strip_for_display(s).to_string())
                        .unwrap_or_default(),
                    last_date: msgs.last().map(|m| m.date).unwrap_or_default(),
                    messages: msgs,
                }
            })
            .collect();
        Ok(Conversation {
            box_address: address.clone(),
            correspondent: correspondent.trim().to_string(),
            threads,
        })
    }

    /// The thread of one message across the box's folders (incoming and shared Sent), with
    /// each outgoing message's author: the conversation with its correspondent, narrowed to
    /// the thread holding it.
    pub fn thread_view(&self, id: MessageId) -> Result<ConversationThread> {
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        let address = message.summary.box_address.clone();
        let from = message.summary.from.as_ref().map(|f| f.address.clone());
        let incoming = from
            .as_deref()
            .is_some_and(|f| !f.eq_ignore_ascii_case(address.as_str()));
        let correspondent = if incoming {
            from
        } else {
            message.to.first().map(|t| t.address.clone())
        }
        .ok_or(EngineError::UnknownMessage)?;
        let conversation = self.conversation(&address, &correspondent)?;
        conversation
            .threads
            .into_iter()
            .find(|t| t.messages.iter().any(|m| m.id == id))
            .ok_or(EngineError::UnknownMessage)
    }
}

/// Subject without reply prefixes, case kept (for titles).
fn strip_for_display(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_lowercase();
        let cut = ["re:", "re :", "tr:", "tr :", "fwd:", "fw:", "réf:", "rép:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            // Lowercasing keeps byte lengths for these ASCII/2-byte prefixes.
            Some(n) if rest.is_char_boundary(n) => rest = rest[n..].trim_start(),
            _ => return rest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, reply: Option<&str>, subject: &str, date: i64) -> ThreadItem {
        ThreadItem {
            message_id: Some(format!("<{id}>")),
            in_reply_to: reply.map(|r| format!("<{r}>")),
            references: reply.map(|r| vec![r.to_string()]).unwrap_or_default(),
            subject: subject.into(),
            date,
        }
    }

    #[test]
    fn threads_by_links_then_subject() {
        let items = vec![
            item("b", Some("a"), "Re: Adressage M. GARCIA", 2),
            item("a", None, "Adressage M. GARCIA", 1),
            item("c", None, "RE : adressage m. garcia", 3), // lost its links: subject
            item("d", None, "Résultats", 4),
            item("e", Some("zz"), "TR: Résultats", 5), // unknown parent: subject
            item("f", None, "Autre", 0),
        ];
        let threads = group_threads(&items);
        assert_eq!(threads, vec![vec![3, 4], vec![1, 0, 2], vec![5]]);
        assert_eq!(subject_key("Re: TR : Fwd: Résultats  été"), "resultats ete");
        assert_eq!(subject_key("Re[2]: x"), "x");
        assert_eq!(strip_for_display("RE : Re: Lettre"), "Lettre");
    }

    #[test]
    fn french_time() {
        // 2026-11-16 13:32 UTC = 14:32 in Paris (winter); 2026-07-01 12:32 UTC = 14:32.
        assert_eq!(french_when(1_794_835_920, 1_794_835_920 + 60), "14:32");
        assert_eq!(paris_offset_minutes(1_782_909_120), 120);
        assert_eq!(
            french_when(1_794_835_920, 1_794_835_920 + 86_400),
            "le 16/11/2026 à 14:32"
        );
        // Summer time starts on 2026-03-29 at 01:00 UTC.
        assert_eq!(paris_offset_minutes(1_774_745_999), 60);
        assert_eq!(paris_offset_minutes(1_774_746_000), 120);
    }
}
