//! Engine and store types → the UI contract (`dto.rs`). Pure functions, no I/O.

use std::collections::{HashMap, HashSet};

use relais_core::{BoxKind, Entitlement, NationalId, Person};
use relais_mail::{MailboxDisplay, MessageDisplay};
use relais_store::{Folder, FolderRole as StoreRole, Mailbox, Message, MessageId, MessageSummary};

use crate::dto::{
    AddressView, AttachmentView, AuthorView, BoxKindView, BoxView, FolderRole, FolderView,
    MessageRow, MessageView, PersonView,
};

/// `8…` / `0…` for RPPS and ADELI; `None` for staff known only by their operator login.
pub fn national_id(id: &NationalId) -> Option<String> {
    match id {
        NationalId::OperatorLogin(_) => None,
        other => Some(other.to_string()),
    }
}

pub fn person(person: &Person) -> PersonView {
    PersonView {
        display_name: person.display_name(),
        national_id: national_id(&person.national_id),
        login: person.login.clone(),
        own_box: person.own_box.as_ref().map(|b| b.as_str().to_owned()),
    }
}

pub fn box_view(entitlement: &Entitlement, unread: u64) -> BoxView {
    BoxView {
        address: entitlement.address.as_str().to_owned(),
        kind: match entitlement.kind {
            BoxKind::Nominative => BoxKindView::Nominative,
            BoxKind::Organisational => BoxKindView::Organisational,
            BoxKind::Applicative => BoxKindView::Applicative,
        },
        display_name: entitlement.display_name.clone(),
        rights: entitlement.rights.to_string(),
        can_send: entitlement.rights.can_send(),
        can_delete: entitlement.rights.can_delete(),
        unread: u32::try_from(unread).unwrap_or(u32::MAX),
    }
}

/// The person's own box first, then the shared boxes by name.
pub fn order_boxes(boxes: &mut [BoxView], own_box: Option<&str>) {
    boxes.sort_by(|a, b| {
        let own = |v: &BoxView| Some(v.address.as_str()) != own_box;
        own(a).cmp(&own(b)).then_with(|| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
        })
    });
}

fn role(role: Option<StoreRole>) -> Option<FolderRole> {
    match role? {
        StoreRole::Inbox => Some(FolderRole::Inbox),
        StoreRole::Sent => Some(FolderRole::Sent),
        StoreRole::Drafts => Some(FolderRole::Drafts),
        StoreRole::Trash => Some(FolderRole::Trash),
        StoreRole::Junk => Some(FolderRole::Junk),
        StoreRole::Archive => None,
    }
}

fn role_rank(role: Option<StoreRole>) -> u8 {
    match role {
        Some(StoreRole::Inbox) => 0,
        Some(StoreRole::Drafts) => 1,
        Some(StoreRole::Sent) => 2,
        Some(StoreRole::Archive) => 3,
        Some(StoreRole::Junk) => 4,
        Some(StoreRole::Trash) => 5,
        None => 6,
    }
}

/// Folders in tree order: special folders first, then the others by name, each parent
/// directly followed by its children. `counts` gives (unread, total) per folder.
pub fn folders(
    list: Vec<Folder>,
    mut counts: impl FnMut(&Folder) -> (u64, u64),
) -> Vec<FolderView> {
    let mut list = list;
    list.sort_by(|a, b| {
        role_rank(a.role).cmp(&role_rank(b.role)).then_with(|| {
            let parts =
                |f: &Folder| -> Vec<String> { f.name.split('/').map(str::to_lowercase).collect() };
            parts(a).cmp(&parts(b))
        })
    });
    list.iter()
        .map(|folder| {
            let (unread, total) = counts(folder);
            let last = folder.name.rsplit('/').next().unwrap_or(&folder.name);
            let display_name = match folder.role {
                Some(StoreRole::Inbox) => "Boîte de réception".to_owned(),
                Some(StoreRole::Sent) => "Envoyés".to_owned(),
                Some(StoreRole::Drafts) => "Brouillons".to_owned(),
                Some(StoreRole::Trash) => "Corbeille".to_owned(),
                Some(StoreRole::Junk) => "Indésirables".to_owned(),
                Some(StoreRole::Archive) | None => decode_modified_utf7(last),
            };
            FolderView {
                box_address: folder.box_address.as_str().to_owned(),
                name: folder.name.clone(),
                display_name,
                role: role(folder.role),
                depth: u32::try_from(folder.name.matches('/').count()).unwrap_or(0),
                unread: u32::try_from(unread).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// IMAP folder names are in modified UTF-7 (RFC 3501 §5.1.3): `Re&AOc-us` → `Reçus`.
/// A malformed name is shown as it is.
pub fn decode_modified_utf7(name: &str) -> String {
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

/// One list row. `thread` is (thread id, thread size in the listing), when threaded.
pub fn row(summary: &MessageSummary, folder: &str, thread: Option<(i64, u32)>) -> MessageRow {
    let (from_name, from_addr) = match &summary.from {
        Some(Mailbox { name, address }) => (name.clone(), address.clone()),
        None => (None, String::new()),
    };
    MessageRow {
        id: summary.id.0,
        box_address: summary.box_address.as_str().to_owned(),
        folder: folder.to_owned(),
        uid: summary.uid,
        from_name,
        from_addr,
        subject: summary.subject.clone(),
        date: summary.date,
        seen: summary.seen,
        flagged: summary.flagged,
        answered: summary.answered,
        has_attachments: summary.has_attachments,
        author_name: summary.author.as_ref().map(|a| a.display_name().to_owned()),
        thread_id: thread.map(|(id, _)| id),
        thread_size: thread.map_or(1, |(_, size)| size),
        status: None,
        answered_by: None,
    }
}

/// A folder's messages grouped by thread: newest thread first (a thread dates from its
/// newest message), each thread's messages contiguous, newest first. `order` is
/// `(id, thread id)` newest first ([`relais_store::Store::list_order`]). Returns each message
/// as `(id, thread id, thread size)`.
pub fn group_threads(order: Vec<(MessageId, MessageId)>) -> Vec<ListedMessage> {
    let mut threads: Vec<MessageId> = Vec::new();
    let mut groups: HashMap<MessageId, Vec<MessageId>> = HashMap::new();
    for (id, thread) in order {
        groups
            .entry(thread)
            .or_insert_with(|| {
                threads.push(thread);
                Vec::new()
            })
            .push(id);
    }
    let mut out = Vec::new();
    for thread in threads {
        if let Some(group) = groups.remove(&thread) {
            let size = u32::try_from(group.len()).unwrap_or(u32::MAX);
            out.extend(
                group
                    .into_iter()
                    .map(|id| ListedMessage { id, thread, size }),
            );
        }
    }
    out
}

/// One message of a folder listing: where it stands is its place in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedMessage {
    pub id: MessageId,
    pub thread: MessageId,
    /// How many messages its thread holds in this folder.
    pub size: u32,
}

fn address(m: &MailboxDisplay) -> AddressView {
    AddressView {
        name: m.name.clone(),
        address: m.address.clone(),
    }
}

/// The reader's view of a message: the stored row, and what relais-mail made of its bytes.
pub fn message_view(message: &Message, folder: &str, display: &MessageDisplay) -> MessageView {
    let thread = Some((message.summary.thread_id.0, 1));
    // Images shown inside the HTML (embedded `cid:` parts) are not offered as files.
    let embedded: HashSet<usize> = display
        .cid_parts
        .iter()
        .filter(|c| c.embedded)
        .map(|c| c.attachment_index)
        .collect();
    let malformed_note = if display.malformed_notes.is_empty() {
        None
    } else {
        Some(display.malformed_notes.join(" "))
    };
    MessageView {
        row: row(&message.summary, folder, thread),
        to: display.to.iter().map(address).collect(),
        cc: display.cc.iter().map(address).collect(),
        author: display.author.as_ref().map(|a| AuthorView {
            display_name: a.display_name().to_owned(),
            national_id: national_id(a.national_id()),
            address: a.address().map(|b| b.as_str().to_owned()),
        }),
        text: Some(display.text.clone()).filter(|t| !t.trim().is_empty()),
        html: display.html.clone(),
        has_remote_content: display.has_remote_content,
        attachments: display
            .attachments
            .iter()
            .filter(|a| !embedded.contains(&a.index))
            .map(|a| AttachmentView {
                index: u32::try_from(a.index).unwrap_or(u32::MAX),
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                size: a.size,
            })
            .collect(),
        malformed_note,
        message_id: display
            .message_id
            .clone()
            .or_else(|| message.message_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_modified_utf7_folder_names() {
        assert_eq!(decode_modified_utf7("Re&AOc-us"), "Reçus");
        assert_eq!(decode_modified_utf7("A&-B"), "A&B");
        assert_eq!(decode_modified_utf7("Archives"), "Archives");
        assert_eq!(decode_modified_utf7("cass&-é"), "cass&é");
        assert_eq!(decode_modified_utf7("bad&AOc"), "bad&AOc");
    }
}
