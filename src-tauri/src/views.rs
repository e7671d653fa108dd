//! Engine and store types → the UI contract (`dto.rs`). Pure functions, no I/O.

use std::collections::HashSet;

use relais_core::{BoxKind, Entitlement, NationalId, Person};
use relais_mail::{MailboxDisplay, MessageDisplay};
use relais_store::{Folder, FolderRole as StoreRole, Mailbox, Message, MessageSummary};

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
        declared: person.identity.is_declared(),
        needs_identity: person.identity == relais_core::IdentitySource::Unknown,
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
/// directly followed by its children.
pub fn folders(list: Vec<relais_engine::view::FolderCounts>) -> Vec<FolderView> {
    let mut list = list;
    list.sort_by(|a, b| {
        let (a, b) = (&a.folder, &b.folder);
        role_rank(a.role).cmp(&role_rank(b.role)).then_with(|| {
            let parts =
                |f: &Folder| -> Vec<String> { f.name.split('/').map(str::to_lowercase).collect() };
            parts(a).cmp(&parts(b))
        })
    });
    list.iter()
        .map(|counts| {
            let folder = &counts.folder;
            let last = folder.name.rsplit('/').next().unwrap_or(&folder.name);
            let display_name = match folder.role {
                Some(StoreRole::Inbox) => "Boîte de réception".to_owned(),
                Some(StoreRole::Sent) => "Envoyés".to_owned(),
                Some(StoreRole::Drafts) => "Brouillons".to_owned(),
                Some(StoreRole::Trash) => "Corbeille".to_owned(),
                Some(StoreRole::Junk) => "Indésirables".to_owned(),
                Some(StoreRole::Archive) | None => relais_net::decode_folder_name(last),
            };
            FolderView {
                box_address: folder.box_address.as_str().to_owned(),
                name: folder.name.clone(),
                path: relais_net::decode_folder_name(&folder.name),
                display_name,
                role: role(folder.role),
                depth: u32::try_from(folder.name.matches('/').count()).unwrap_or(0),
                unread: u32::try_from(counts.unread).unwrap_or(u32::MAX),
                total: u32::try_from(counts.total).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

/// One list row. `thread` is (thread id, thread size in the listing), when threaded.
pub fn row(summary: &MessageSummary, folder: &str, thread: Option<(i64, u32)>) -> MessageRow {
    let (from_name, from_addr) = match &summary.from {
        Some(Mailbox { name, address }) => (name.clone(), address.clone()),
        None => (None, String::new()),
    };
    let (subject, dmp_document) = relais_mail::shown_subject(&summary.subject);
    let from_patient = relais_mail::is_patient_sender(&from_addr);
    MessageRow {
        id: summary.id.0,
        box_address: summary.box_address.as_str().to_owned(),
        folder: folder.to_owned(),
        uid: summary.uid,
        from_name,
        from_addr,
        subject,
        dmp_document,
        from_patient,
        closed: summary.closes_conversation,
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
        marks: relais_mail::SegurMarks::of(display),
    }
}
