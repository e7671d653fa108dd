//! Behaviour of the store through its public API.

// Helpers outside `#[test]` functions are test code too (clippy.toml allows unwrap in tests).
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use relais_core::{Access, Author, BoxAddress, BoxKind, Entitlement, NationalId, Rights};
use relais_store::{
    AuditAction, AuditEntry, DraftContent, FlagUpdate, Flags, FolderId, FolderRole, FolderState,
    Mailbox, MessageId, MessagePart, NewMessage, NewOutboxMessage, OutboxState, SearchQuery, Store,
    StoreError, SCHEMA_VERSION,
};

const CARDIO: &str = "secretariat.cardio@ch-demo.mssante.fr";
const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const DAY: i64 = 86_400;
const T0: i64 = 1_750_000_000;

fn addr(text: &str) -> BoxAddress {
    BoxAddress::parse(text).unwrap()
}

fn marie() -> Author {
    Author::new(
        "Marie MARTIN",
        NationalId::parse("810100000041").unwrap(),
        Some(addr(MARIE)),
    )
    .unwrap()
}

fn entitlements() -> Vec<Entitlement> {
    vec![
        Entitlement {
            address: addr(MARIE),
            kind: BoxKind::Nominative,
            display_name: "Marie MARTIN".into(),
            rights: Rights::full(),
            access: Access::OwnLogin,
        },
        Entitlement {
            address: addr(CARDIO),
            kind: BoxKind::Organisational,
            display_name: "Secrétariat de cardiologie".into(),
            rights: Rights::parse("lrswipkxtea").unwrap(),
            access: Access::SharedNamespace {
                prefix: "Partages/secretariat.cardio/".into(),
                inbox: None,
            },
        },
    ]
}

/// A store with both boxes and the INBOX of the cardiology box.
fn setup() -> (Store, FolderId) {
    let mut store = Store::open_in_memory().unwrap();
    store.upsert_boxes(&entitlements()).unwrap();
    let inbox = store
        .upsert_folder(&addr(CARDIO), "INBOX", Some(FolderRole::Inbox))
        .unwrap();
    (store, inbox)
}

fn message(uid: u32, subject: &str, date: i64) -> NewMessage {
    NewMessage {
        uid,
        message_id: Some(format!("<m{uid}@ch-demo.mssante.fr>")),
        subject: subject.into(),
        from: Some(Mailbox::new(
            "Laboratoire de biologie",
            "noreply-biologie@ch-demo.mssante.fr",
        )),
        to: vec![Mailbox::new("Secrétariat de cardiologie", CARDIO)],
        date,
        size: 2048,
        ..NewMessage::default()
    }
}

fn bulk(count: u32, base_uid: u32) -> Vec<NewMessage> {
    let services = ["Cardiologie", "Pneumologie", "Néphrologie", "Gériatrie"];
    (0..count)
        .map(|i| {
            let uid = base_uid + i;
            let mut m = message(
                uid,
                &format!(
                    "Résultats d'analyse n° {uid} — {}",
                    services[(i % 4) as usize]
                ),
                T0 + i64::from(i) * 60,
            );
            m.flags = if i % 3 == 0 {
                Flags::default()
            } else {
                Flags::seen()
            };
            if i % 10 == 0 {
                m.structure = vec![MessagePart {
                    part_id: "2".into(),
                    content_type: "application/pdf".into(),
                    filename: Some(format!("compte-rendu-{uid}.pdf")),
                    size: 100_000,
                    attachment: true,
                }];
            }
            m
        })
        .collect()
}

#[test]
fn migrations_from_empty_and_reopen_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.sqlite");
    {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        store.upsert_boxes(&entitlements()).unwrap();
        let inbox = store
            .upsert_folder(&addr(CARDIO), "INBOX", Some(FolderRole::Inbox))
            .unwrap();
        store
            .insert_messages(inbox, &[message(1, "Compte rendu", T0)])
            .unwrap();
        store
            .set_folder_state(
                inbox,
                &FolderState {
                    uidvalidity: Some(1_700_000_000),
                    uidnext: Some(2),
                    highestmodseq: Some(77),
                    last_sync: Some(T0),
                },
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.boxes().unwrap(), entitlements());
    let folders = store.folders(&addr(CARDIO)).unwrap();
    assert_eq!(folders.len(), 1);
    assert_eq!(folders[0].role, Some(FolderRole::Inbox));
    let state = store.folder_state(folders[0].id).unwrap();
    assert_eq!(state.uidvalidity, Some(1_700_000_000));
    assert_eq!(state.highestmodseq, Some(77));
    let list = store.list(folders[0].id, 0, 10).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].subject, "Compte rendu");
    let journal = journal_mode(&path);
    assert_eq!(journal, "wal");
}

fn journal_mode(path: &std::path::Path) -> String {
    // The WAL file exists beside the database once a WAL connection wrote to it.
    let wal = path.with_extension("sqlite-wal");
    if wal.exists() || path.exists() {
        let header = std::fs::read(path).unwrap();
        // Bytes 18 and 19 of the header are 2 in WAL mode.
        if header.len() > 19 && header[18] == 2 && header[19] == 2 {
            return "wal".into();
        }
    }
    "other".into()
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.sqlite");
    drop(Store::open(&path).unwrap());
    // Simulate a file written by a future Relais.
    bump_user_version(&path);
    match Store::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

fn bump_user_version(path: &std::path::Path) {
    // Bumps user_version (header offset 60, big-endian) without another SQLite client.
    let mut bytes = std::fs::read(path).unwrap();
    let version = (SCHEMA_VERSION + 1) as u32;
    bytes[60..64].copy_from_slice(&version.to_be_bytes());
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn boxes_keep_their_order_and_update() {
    let mut store = Store::open_in_memory().unwrap();
    let mut boxes = entitlements();
    store.upsert_boxes(&boxes).unwrap();
    boxes.reverse();
    boxes[0].display_name = "Secrétariat de cardiologie (CH)".into();
    store.upsert_boxes(&boxes).unwrap();
    assert_eq!(store.boxes().unwrap(), boxes);
    assert!(store.has_box(&addr(CARDIO)).unwrap());
    assert!(matches!(
        store.upsert_folder(
            &addr("inconnu@ch-demo.mssante.fr"),
            "INBOX",
            Some(FolderRole::Inbox)
        ),
        Err(StoreError::UnknownBox { .. })
    ));
}

#[test]
fn insert_list_order_and_details() {
    let (mut store, inbox) = setup();
    let mut with_author = message(3, "Courrier de sortie", T0 + 3 * DAY);
    with_author.author = NewMessage::author_from_header(Some(&marie().to_header_value()));
    with_author.flags = Flags::parse("\\Seen \\Answered $Forwarded");
    with_author.cc = vec![Mailbox::new("Dr Pierre DURAND", MARIE)];
    with_author.references = vec!["<a@x>".into(), "<b@x>".into()];
    with_author.structure = vec![MessagePart {
        part_id: "2".into(),
        content_type: "application/pdf".into(),
        filename: Some("CR.pdf".into()),
        size: 1234,
        attachment: true,
    }];
    let ids = store
        .insert_messages(
            inbox,
            &[
                message(1, "Premier", T0),
                with_author.clone(),
                message(2, "Deuxième", T0 + DAY),
            ],
        )
        .unwrap();
    assert_eq!(ids.len(), 3);
    let list = store.list(inbox, 0, 10).unwrap();
    let subjects: Vec<_> = list.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["Courrier de sortie", "Deuxième", "Premier"]);
    assert_eq!(list[0].author.as_ref(), Some(&marie()));
    assert!(list[0].seen && list[0].answered && !list[0].flagged);
    assert!(list[0].has_attachments);
    assert!(!list[1].has_attachments);
    assert_eq!(list[0].box_address, addr(CARDIO));
    assert_eq!(store.list(inbox, 1, 1).unwrap()[0].subject, "Deuxième");
    assert_eq!(store.count(inbox).unwrap(), 3);
    assert_eq!(store.unread_in_folder(inbox).unwrap(), 2);
    assert_eq!(store.unread_in_box(&addr(CARDIO)).unwrap(), 2);
    assert_eq!(store.unread_in_box(&addr(MARIE)).unwrap(), 0);

    let full = store.message(ids[1]).unwrap().unwrap();
    assert_eq!(full.message_id.as_deref(), Some("m3@ch-demo.mssante.fr"));
    assert_eq!(full.references, ["a@x", "b@x"]);
    assert_eq!(full.cc, with_author.cc);
    assert_eq!(full.flags, with_author.flags);
    assert_eq!(full.structure, with_author.structure);
    assert!(!full.has_body);
    assert_eq!(store.message_by_uid(inbox, 3).unwrap().unwrap(), full);
    assert!(store.message_by_uid(inbox, 99).unwrap().is_none());

    // The JSON the UI gets.
    let json = serde_json::to_value(&list[0]).unwrap();
    assert_eq!(json["author"]["display_name"], "Marie MARTIN");
    assert_eq!(json["box_address"], CARDIO);

    // Inserting a stored UID again only refreshes its flags.
    let mut again = message(1, "Ignored subject", T0);
    again.flags = Flags::seen();
    let again_ids = store.insert_messages(inbox, &[again]).unwrap();
    assert_eq!(again_ids[0], ids[0]);
    let first = store.message(ids[0]).unwrap().unwrap();
    assert_eq!(first.summary.subject, "Premier");
    assert!(first.summary.seen);
    assert_eq!(store.count(inbox).unwrap(), 3);
}

#[test]
fn a_malformed_author_header_is_not_trusted() {
    assert_eq!(NewMessage::author_from_header(Some("name=\"X\"")), None);
    assert_eq!(NewMessage::author_from_header(None), None);
}

#[test]
fn flags_update_and_expunge() {
    let (mut store, inbox) = setup();
    store.insert_messages(inbox, &bulk(10, 1)).unwrap();
    let changed = store
        .update_flags(
            inbox,
            &[
                FlagUpdate {
                    uid: 1,
                    flags: Flags::parse("\\Seen \\Flagged"),
                    modseq: Some(12),
                },
                FlagUpdate {
                    uid: 2,
                    flags: Flags::default(),
                    modseq: None,
                },
                FlagUpdate {
                    uid: 999,
                    flags: Flags::seen(),
                    modseq: None,
                },
            ],
        )
        .unwrap();
    assert_eq!(changed, 2);
    let uids = store.uids(inbox).unwrap();
    assert_eq!(uids.len(), 10);
    assert_eq!(uids[0], (1, Flags::parse("\\Seen \\Flagged")));
    assert_eq!(uids[1], (2, Flags::default()));
    let one = store.message_by_uid(inbox, 1).unwrap().unwrap();
    assert_eq!(one.modseq, Some(12));
    assert!(one.summary.flagged);

    assert_eq!(store.remove_uids(inbox, &[1, 2, 3, 404]).unwrap(), 3);
    let uids: Vec<u32> = store
        .uids(inbox)
        .unwrap()
        .into_iter()
        .map(|u| u.0)
        .collect();
    assert_eq!(uids, (4..=10).collect::<Vec<_>>());
    assert_eq!(store.count(inbox).unwrap(), 7);
    // Expunged messages leave the search index.
    let hits = store.search(&SearchQuery::text("analyse")).unwrap();
    assert_eq!(hits.len(), 7);
}

#[test]
fn the_unified_order_merges_folders_newest_first() {
    let (mut store, inbox) = setup();
    let other = store
        .upsert_folder(&addr(CARDIO), "Archives", None)
        .unwrap();
    let a = store
        .insert_messages(
            inbox,
            &[message(1, "ancien", 100), message(2, "récent", 300)],
        )
        .unwrap();
    let b = store
        .insert_messages(
            other,
            &[message(1, "milieu", 200), message(2, "dernier", 400)],
        )
        .unwrap();
    let order: Vec<MessageId> = store
        .list_order_across(&[inbox, other])
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(order, vec![b[1], a[1], b[0], a[0]]);
}

#[test]
fn a_message_id_is_never_given_again() {
    let path = tempfile::tempdir().unwrap();
    let file = path.path().join("ids.db");
    let inbox;
    let newest;
    {
        let mut store = Store::open(&file).unwrap();
        store.upsert_boxes(&entitlements()).unwrap();
        inbox = store
            .upsert_folder(&addr(CARDIO), "INBOX", Some(FolderRole::Inbox))
            .unwrap();
        let ids = store.insert_messages(inbox, &bulk(3, 1)).unwrap();
        newest = *ids.iter().max().unwrap();
        // The newest message is expunged: with MAX(id) + 1 its id came back.
        store.remove_uids(inbox, &[3]).unwrap();
        let again = store.insert_messages(inbox, &bulk(1, 4)).unwrap();
        assert!(again[0] > newest, "{again:?} reuses {newest:?}");
        store.remove_uids(inbox, &[4]).unwrap();
    }
    // Across a reopen too.
    let mut store = Store::open(&file).unwrap();
    let later = store.insert_messages(inbox, &bulk(1, 5)).unwrap();
    assert!(later[0].0 > newest.0 + 1, "{later:?}");
    // An emptied folder gives no id back either.
    let all: Vec<u32> = store
        .uids(inbox)
        .unwrap()
        .into_iter()
        .map(|u| u.0)
        .collect();
    store.remove_uids(inbox, &all).unwrap();
    let last = store.insert_messages(inbox, &bulk(1, 6)).unwrap();
    assert!(last[0] > later[0]);
}

#[test]
fn uidvalidity_change_resets_the_folder() {
    let (mut store, inbox) = setup();
    let ids = store.insert_messages(inbox, &bulk(20, 1)).unwrap();
    store
        .set_body(ids[0], b"raw bytes", "échographie transthoracique", T0)
        .unwrap();
    store
        .set_folder_state(
            inbox,
            &FolderState {
                uidvalidity: Some(1),
                uidnext: Some(21),
                highestmodseq: Some(5),
                last_sync: Some(T0),
            },
        )
        .unwrap();
    let sent = store
        .upsert_folder(&addr(CARDIO), "Sent", Some(FolderRole::Sent))
        .unwrap();
    store.insert_messages(sent, &bulk(2, 1)).unwrap();

    assert_eq!(store.reset_folder(inbox).unwrap(), 20);
    assert_eq!(store.count(inbox).unwrap(), 0);
    assert_eq!(store.folder_state(inbox).unwrap(), FolderState::default());
    assert!(store.body(ids[0]).unwrap().is_none());
    assert_eq!(store.count(sent).unwrap(), 2, "other folders untouched");
    assert!(store
        .search(&SearchQuery::text("transthoracique"))
        .unwrap()
        .is_empty());
    assert_eq!(
        store.search(&SearchQuery::text("analyse")).unwrap().len(),
        2
    );
    assert!(matches!(
        store.reset_folder(FolderId(4242)),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn bodies_are_cached_and_searchable() {
    let (mut store, inbox) = setup();
    let ids = store
        .insert_messages(inbox, &[message(1, "Compte rendu", T0)])
        .unwrap();
    assert!(store.body(ids[0]).unwrap().is_none());
    store
        .set_body(
            ids[0],
            b"From: x\r\n\r\nbody",
            "Échocardiographie normale",
            T0 + 5,
        )
        .unwrap();
    let body = store.body(ids[0]).unwrap().unwrap();
    assert_eq!(body.raw, b"From: x\r\n\r\nbody");
    assert_eq!(body.fetched_at, T0 + 5);
    assert!(store.message(ids[0]).unwrap().unwrap().has_body);
    assert_eq!(
        store
            .search(&SearchQuery::text("echocardiographie"))
            .unwrap()
            .len(),
        1
    );
    // Replacing the body replaces its indexed text.
    store.set_body(ids[0], b"x", "Holter ECG", T0 + 6).unwrap();
    assert!(store
        .search(&SearchQuery::text("echocardiographie"))
        .unwrap()
        .is_empty());
    assert_eq!(store.search(&SearchQuery::text("holter")).unwrap().len(), 1);
    // Evicting the body keeps the envelope searchable.
    assert_eq!(store.evict_bodies(T0 + 100).unwrap(), 1);
    assert!(store
        .search(&SearchQuery::text("holter"))
        .unwrap()
        .is_empty());
    assert_eq!(store.search(&SearchQuery::text("compte")).unwrap().len(), 1);
    assert!(matches!(
        store.set_body(relais_store::MessageId(999), b"x", "", T0),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn search_is_accent_insensitive_and_filtered() {
    let (mut store, inbox) = setup();
    let archive = store
        .upsert_folder(&addr(CARDIO), "Archives", None)
        .unwrap();
    let own = store
        .upsert_folder(&addr(MARIE), "INBOX", Some(FolderRole::Inbox))
        .unwrap();
    let mut a = message(1, "Résultats de la biologie", T0);
    a.flags = Flags::seen();
    let mut b = message(2, "Consultation de Cardiologie", T0 + DAY);
    b.author = Some(marie());
    let mut c = message(3, "Autre sujet", T0 + 2 * DAY);
    c.structure = vec![MessagePart {
        part_id: "2".into(),
        content_type: "application/pdf".into(),
        filename: Some("Résultat-ECG.pdf".into()),
        size: 10,
        attachment: true,
    }];
    // Addressed to the reception desk, so that `cardio` does not match the recipient.
    let reception = |mut m: NewMessage| {
        m.to = vec![Mailbox::new("Accueil", "accueil@ch-demo.mssante.fr")];
        m
    };
    store
        .insert_messages(inbox, &[reception(a), reception(b), reception(c)])
        .unwrap();
    store
        .insert_messages(
            archive,
            &[reception(message(1, "Résultats anciens", T0 - 30 * DAY))],
        )
        .unwrap();
    store
        .insert_messages(own, &[reception(message(1, "Resultats personnels", T0))])
        .unwrap();

    let subjects = |query: &SearchQuery| -> Vec<String> {
        store
            .search(query)
            .unwrap()
            .into_iter()
            .map(|m| m.subject)
            .collect()
    };
    // `resultat` finds `Résultats` (subject) and `Résultat-ECG.pdf` (attachment name).
    assert_eq!(
        subjects(&SearchQuery::text("resultat")),
        [
            "Autre sujet",
            // Same date: the later stored first.
            "Resultats personnels",
            "Résultats de la biologie",
            "Résultats anciens"
        ]
    );
    assert_eq!(
        subjects(&SearchQuery::text("cardio")),
        ["Consultation de Cardiologie"]
    );
    assert_eq!(
        subjects(&SearchQuery::text("RÉSULTATS ANCIENS")),
        ["Résultats anciens"]
    );
    // The author is searchable.
    assert_eq!(
        subjects(&SearchQuery::text("martin")),
        ["Consultation de Cardiologie"]
    );
    // Sender address.
    assert_eq!(subjects(&SearchQuery::text("noreply-biologie")).len(), 5);
    // Filters.
    let in_box = SearchQuery {
        box_address: Some(addr(CARDIO)),
        ..SearchQuery::text("resultat")
    };
    assert_eq!(subjects(&in_box).len(), 3);
    let in_folder = SearchQuery {
        folder: Some(archive),
        ..SearchQuery::text("resultat")
    };
    assert_eq!(subjects(&in_folder), ["Résultats anciens"]);
    let recent = SearchQuery {
        since: Some(T0),
        until: Some(T0 + DAY),
        ..SearchQuery::text("resultat")
    };
    assert_eq!(
        subjects(&recent),
        ["Resultats personnels", "Résultats de la biologie"]
    );
    let unread = SearchQuery {
        unread_only: true,
        box_address: Some(addr(CARDIO)),
        ..SearchQuery::text("resultat")
    };
    assert_eq!(subjects(&unread), ["Autre sujet", "Résultats anciens"]);
    let attachments = SearchQuery {
        with_attachments: true,
        ..SearchQuery::default()
    };
    assert_eq!(subjects(&attachments), ["Autre sujet"]);
    let limited = SearchQuery {
        limit: 2,
        ..SearchQuery::text("resultat")
    };
    assert_eq!(subjects(&limited).len(), 2);
    // FTS syntax typed by a person is plain text, never an error.
    for hostile in [
        "\"",
        "NEAR(",
        "resultat OR",
        "subject:x",
        "*",
        "-cardio",
        "^a",
        "a AND",
        "(",
    ] {
        store.search(&SearchQuery::text(hostile)).unwrap();
    }
    assert_eq!(subjects(&SearchQuery::text("-cardio")).len(), 1);
    assert!(subjects(&SearchQuery::text("--- ***")).is_empty());
}

#[test]
fn threads_follow_references() {
    let (mut store, inbox) = setup();
    let sent = store
        .upsert_folder(&addr(CARDIO), "Sent", Some(FolderRole::Sent))
        .unwrap();
    let first = message(1, "Demande d'avis", T0);
    let ids = store.insert_messages(inbox, &[first]).unwrap();
    let mut reply = message(1, "RE: Demande d'avis", T0 + 60);
    reply.message_id = Some("<reply@ch-demo.mssante.fr>".into());
    reply.in_reply_to = Some("<m1@ch-demo.mssante.fr>".into());
    let reply_ids = store.insert_messages(sent, &[reply]).unwrap();
    let mut second = message(2, "RE: RE: Demande d'avis", T0 + 120);
    second.references = vec![
        "<m1@ch-demo.mssante.fr>".into(),
        "<reply@ch-demo.mssante.fr>".into(),
    ];
    let other = message(3, "Sans rapport", T0 + 180);
    let more = store.insert_messages(inbox, &[second, other]).unwrap();

    let thread = store.thread(ids[0]).unwrap();
    let thread_ids: Vec<_> = thread.iter().map(|m| m.id).collect();
    assert_eq!(thread_ids, [ids[0], reply_ids[0], more[0]]);
    assert_eq!(
        store.message(more[1]).unwrap().unwrap().summary.thread_id,
        more[1]
    );
    let found = store
        .find_message_id(&addr(CARDIO), "<reply@ch-demo.mssante.fr>")
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].folder_id, sent);

    // The thin listing: the folder's order with each message's thread, as list() orders it.
    let order = store.list_order(inbox).unwrap();
    assert_eq!(
        order,
        [(more[1], more[1]), (more[0], ids[0]), (ids[0], ids[0])]
    );
    let listed: Vec<_> = store
        .list(inbox, 0, 10)
        .unwrap()
        .iter()
        .map(|m| (m.id, m.thread_id))
        .collect();
    assert_eq!(order, listed);
    // A page of summaries comes in the order asked; an id no longer stored is left out.
    let page = store
        .summaries(&[ids[0], MessageId(987_654), more[1]])
        .unwrap();
    let subjects: Vec<_> = page.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, ["Demande d'avis", "Sans rapport"]);
    assert_eq!(store.list_order(sent).unwrap(), [(reply_ids[0], ids[0])]);
}

fn outgoing(message_id: &str) -> NewOutboxMessage {
    NewOutboxMessage {
        box_address: addr(CARDIO),
        message_id: message_id.into(),
        raw: b"From: secretariat.cardio@ch-demo.mssante.fr\r\n\r\nBonjour".to_vec(),
        envelope_from: addr(CARDIO),
        recipients: vec![addr("pierre.durand@ch-demo.mssante.fr")],
        subject: "Courrier".into(),
        author: marie(),
        from_draft: None,
        hold_until: 0,
    }
}

/// A message queued by a Relais whose outbox still held the bytes in its own row (schema 2)
/// keeps them, byte for byte, once migration 3 has moved them apart; and a state change then
/// leaves them as they were.
#[test]
fn an_outbox_message_queued_before_migration_3_keeps_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.sqlite");
    let raw: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../src/migrations/001_initial.sql"))
            .unwrap();
        conn.execute_batch(include_str!("../src/migrations/002_list_order_index.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO outbox (box, message_id, raw, envelope_from, recipients, subject,
                author, state, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?1, 'old@relais', ?2, ?1, '[]', 'Ancien', ?3, 'queued', 0, 1, 1, 1)",
            rusqlite::params![CARDIO, raw, serde_json::to_string(&marie()).unwrap()],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let queued = store.outbox().unwrap();
    assert_eq!(queued.len(), 1);
    let id = queued[0].id;
    assert_eq!(queued[0].size, raw.len() as u64);
    assert_eq!(queued[0].subject, "Ancien");
    assert_eq!(store.outbox_raw(id).unwrap().unwrap(), raw);
    store
        .set_outbox_state(id, OutboxState::Submitting, None, T0)
        .unwrap();
    assert_eq!(store.outbox_raw(id).unwrap().unwrap(), raw);
    // A new message keeps its bytes apart too, and they go with it.
    let new = store.enqueue(&outgoing("<new@relais>"), T0).unwrap();
    assert_eq!(
        store.outbox_raw(new).unwrap().unwrap(),
        outgoing("<new@relais>").raw
    );
    assert!(store.remove_outbox(new).unwrap());
    assert_eq!(store.outbox_raw(new).unwrap(), None);
}

#[test]
fn outbox_transitions_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.sqlite");
    let id;
    let retry;
    {
        let mut store = Store::open(&path).unwrap();
        store.upsert_boxes(&entitlements()).unwrap();
        id = store.enqueue(&outgoing("<out-1@relais>"), T0).unwrap();
        retry = store.enqueue(&outgoing("<out-2@relais>"), T0).unwrap();
        assert_eq!(store.due(T0).unwrap().len(), 2);
        let m = store
            .set_outbox_state(id, OutboxState::Submitting, None, T0 + 1)
            .unwrap();
        assert_eq!(m.attempts, 1);
        // A temporary failure puts it back with a delay.
        let m = store
            .set_outbox_state(
                id,
                OutboxState::Queued,
                Some("421 4.7.0 Try again later"),
                T0 + 2,
            )
            .unwrap();
        assert_eq!(m.next_attempt_at, T0 + 2 + 60);
        assert_eq!(m.last_error.as_deref(), Some("421 4.7.0 Try again later"));
        assert!(store.due(T0 + 10).unwrap().iter().all(|m| m.id != id));
        assert!(store.due(T0 + 62).unwrap().iter().any(|m| m.id == id));
        store
            .set_outbox_state(id, OutboxState::Submitting, None, T0 + 70)
            .unwrap();
        store
            .set_outbox_state(id, OutboxState::Submitted, None, T0 + 71)
            .unwrap();
        // Once accepted, it is never submitted again.
        assert!(matches!(
            store.set_outbox_state(id, OutboxState::Submitting, None, T0 + 72),
            Err(StoreError::InvalidTransition { .. })
        ));
        assert!(matches!(
            store.set_outbox_state(id, OutboxState::Queued, None, T0 + 72),
            Err(StoreError::InvalidTransition { .. })
        ));
        assert!(matches!(
            store.remove_outbox(id),
            Err(StoreError::OutboxInFlight { .. })
        ));
        store
            .set_outbox_state(id, OutboxState::Appending, None, T0 + 73)
            .unwrap();
        // Stop here: "appending" when the app dies.
        store
            .set_outbox_state(retry, OutboxState::Submitting, None, T0 + 80)
            .unwrap();
        store
            .set_outbox_state(
                retry,
                OutboxState::Failed,
                Some("550 5.1.1 Unknown"),
                T0 + 81,
            )
            .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let interrupted = store.outbox_interrupted().unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].id, id);
    assert_eq!(interrupted[0].state, OutboxState::Appending);
    assert_eq!(interrupted[0].message_id, "out-1@relais");
    assert_eq!(interrupted[0].author, marie());
    assert_eq!(
        store.outbox_raw(id).unwrap().unwrap(),
        outgoing("x").raw,
        "exact bytes kept"
    );
    let events: Vec<_> = store
        .outbox_events(id)
        .unwrap()
        .into_iter()
        .map(|e| e.state)
        .collect();
    use OutboxState::*;
    assert_eq!(
        events,
        [Queued, Submitting, Queued, Submitting, Submitted, Appending]
    );
    // The append failed: back to submitted, due later, then done.
    let m = store
        .set_outbox_state(id, Submitted, Some("NO [OVERQUOTA]"), T0 + 200)
        .unwrap();
    assert!(m.next_attempt_at > T0 + 200);
    assert!(store
        .due(m.next_attempt_at)
        .unwrap()
        .iter()
        .any(|d| d.id == id));
    store
        .set_outbox_state(id, Appending, None, T0 + 400)
        .unwrap();
    store.set_outbox_state(id, Done, None, T0 + 401).unwrap();
    assert!(store.due(T0 + 10_000).unwrap().is_empty());

    let failed = store.outbox_message(retry).unwrap().unwrap();
    assert_eq!(failed.state, Failed);
    assert_eq!(failed.last_error.as_deref(), Some("550 5.1.1 Unknown"));
    let requeued = store
        .set_outbox_state(retry, Queued, None, T0 + 500)
        .unwrap();
    assert_eq!((requeued.attempts, requeued.next_attempt_at), (0, T0 + 500));
    assert_eq!(store.outbox().unwrap().len(), 2);
    assert!(store.remove_outbox(retry).unwrap());
    assert_eq!(store.purge_outbox_done(T0 + 402).unwrap(), 1);
    assert!(store.outbox().unwrap().is_empty());
    // A Message-ID is queued once.
    store.enqueue(&outgoing("<dup@relais>"), T0).unwrap();
    assert!(store.enqueue(&outgoing("dup@relais"), T0).is_err());
}

#[test]
fn outbox_survives_box_removal_and_drafts_do_not() {
    let (mut store, _) = setup();
    let content = draft_content();
    let draft = store.create_draft(&content, T0).unwrap();
    let id = store
        .enqueue(
            &NewOutboxMessage {
                from_draft: Some(draft),
                hold_until: 0,
                ..outgoing("<x@relais>")
            },
            T0,
        )
        .unwrap();
    assert!(store.draft(draft).unwrap().is_none(), "sent draft is gone");
    let other = store.create_draft(&content, T0).unwrap();
    assert!(store.remove_box(&addr(CARDIO)).unwrap());
    assert!(store.draft(other).unwrap().is_none());
    assert_eq!(
        store.outbox_message(id).unwrap().unwrap().state,
        OutboxState::Queued
    );
    assert!(store.folders(&addr(CARDIO)).unwrap().is_empty());
}

/// Undo send: a held message keeps its draft and is not due before its time, whatever
/// wakes the outbox; recalled, the row goes and the draft is whole; once a submission
/// started it can no longer be recalled and its draft is gone.
#[test]
fn a_held_message_keeps_its_draft_until_it_is_tried_and_can_be_recalled_before() {
    let (mut store, _) = setup();
    let draft = store.create_draft(&draft_content(), T0).unwrap();
    let held = NewOutboxMessage {
        from_draft: Some(draft),
        hold_until: T0 + 10,
        ..outgoing("<held@relais>")
    };
    let id = store.enqueue(&held, T0).unwrap();
    assert!(store.draft(draft).unwrap().is_some(), "kept while held");
    assert_eq!(store.held_draft(id).unwrap(), Some(draft));
    let row = store.outbox_message(id).unwrap().unwrap();
    assert_eq!((row.hold_until, row.next_attempt_at), (T0 + 10, T0 + 10));
    // A wake (the network back) cuts back-offs short, never a hold.
    assert!(store.due_by(i64::MAX / 2, T0 + 9).unwrap().is_empty());
    assert_eq!(store.due_by(T0 + 10, T0 + 10).unwrap().len(), 1);

    // Recalled in time: the row goes, the draft stays, a second recall finds nothing.
    assert_eq!(store.recall(id).unwrap(), Some(draft));
    assert!(store.outbox_message(id).unwrap().is_none());
    assert!(store.draft(draft).unwrap().is_some());
    assert_eq!(store.recall(id).unwrap(), None);

    // Held again, then tried: the draft goes with the first attempt, too late to recall.
    let id = store
        .enqueue(
            &NewOutboxMessage {
                from_draft: Some(draft),
                hold_until: T0 + 30,
                ..outgoing("<held-again@relais>")
            },
            T0 + 20,
        )
        .unwrap();
    store
        .set_outbox_state(id, OutboxState::Submitting, None, T0 + 30)
        .unwrap();
    assert!(store.draft(draft).unwrap().is_none(), "gone once tried");
    assert_eq!(store.held_draft(id).unwrap(), None);
    assert_eq!(store.recall(id).unwrap(), None);
    assert_eq!(
        store.outbox_message(id).unwrap().unwrap().state,
        OutboxState::Submitting
    );

    // A hold already over at queueing time is no hold: the draft goes at once.
    let other = store.create_draft(&draft_content(), T0).unwrap();
    store
        .enqueue(
            &NewOutboxMessage {
                from_draft: Some(other),
                hold_until: T0 + 40,
                ..outgoing("<late@relais>")
            },
            T0 + 40,
        )
        .unwrap();
    assert!(store.draft(other).unwrap().is_none());
}

fn draft_content() -> DraftContent {
    DraftContent {
        box_address: addr(CARDIO),
        author: marie(),
        subject: "Convocation".into(),
        body: "Madame, …".into(),
        to: vec![Mailbox::new("Dr Pierre DURAND", "pierre.durand@ch-demo")],
        cc: vec![],
        bcc: vec![],
        attachments: vec![relais_store::DraftAttachment {
            filename: "convocation.pdf".into(),
            content_type: "application/pdf".into(),
            size: 42,
            path: "/tmp/convocation.pdf".into(),
        }],
        in_reply_to: Some("<m1@ch-demo.mssante.fr>".into()),
        references: vec!["<m1@ch-demo.mssante.fr>".into()],
    }
}

#[test]
fn drafts_crud() {
    let (mut store, _) = setup();
    let mut content = draft_content();
    let id = store.create_draft(&content, T0).unwrap();
    let draft = store.draft(id).unwrap().unwrap();
    assert_eq!(
        draft.content.in_reply_to.as_deref(),
        Some("m1@ch-demo.mssante.fr")
    );
    assert_eq!(draft.content.references, ["m1@ch-demo.mssante.fr"]);
    assert_eq!(draft.content.author, marie());
    assert_eq!(draft.content.to, content.to, "half-typed address kept");
    assert_eq!(draft.server_uid, None);
    content.subject = "Convocation (modifiée)".into();
    store.update_draft(id, &content, T0 + 10).unwrap();
    store.set_draft_server_uid(id, Some(17)).unwrap();
    let second = store.create_draft(&draft_content(), T0 + 5).unwrap();
    let drafts = store.drafts(&addr(CARDIO)).unwrap();
    assert_eq!(
        drafts.iter().map(|d| d.id).collect::<Vec<_>>(),
        [id, second]
    );
    assert_eq!(drafts[0].content.subject, "Convocation (modifiée)");
    assert_eq!(drafts[0].updated_at, T0 + 10);
    assert_eq!(drafts[0].created_at, T0);
    assert_eq!(drafts[0].server_uid, Some(17));
    assert!(store.drafts(&addr(MARIE)).unwrap().is_empty());
    assert!(store.delete_draft(id).unwrap());
    assert!(!store.delete_draft(id).unwrap());
    assert!(matches!(
        store.update_draft(id, &content, T0),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn audit_is_kept_six_months() {
    let (mut store, _) = setup();
    let ms = |s: i64| s * 1000;
    let entry = |at: i64, action: AuditAction, ok: bool| AuditEntry {
        box_address: addr(CARDIO),
        at,
        person: NationalId::parse("810100000041").unwrap(),
        action,
        request: "UID MOVE 42 \"Trash\"".into(),
        response: if ok { "OK Done" } else { "NO [NOPERM]" }.into(),
        ok,
    };
    // 2025-01-15 00:00:00 UTC; six months before 2025-07-15.
    let jan_15 = 1_736_899_200;
    let jul_15 = 1_752_537_600;
    store
        .record(&entry(ms(jan_15) - 1, AuditAction::SignIn, true))
        .unwrap();
    store
        .record(&entry(ms(jan_15), AuditAction::Move, false))
        .unwrap();
    store
        .record(&entry(ms(jul_15 - DAY), AuditAction::Delete, true))
        .unwrap();
    let mut other = entry(ms(jul_15), AuditAction::Send, true);
    other.box_address = addr(MARIE);
    store.record(&other).unwrap();

    let log = store.audit(&addr(CARDIO), 10).unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].entry.action, AuditAction::Delete);
    assert!(!log[1].entry.ok);
    assert_eq!(log[1].entry.response, "NO [NOPERM]");
    assert_eq!(store.audit(&addr(CARDIO), 1).unwrap().len(), 1);

    assert_eq!(store.purge_audit(ms(jul_15)).unwrap(), 1);
    let log = store.audit(&addr(CARDIO), 10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].entry.action, AuditAction::Move);
    assert_eq!(store.audit(&addr(MARIE), 10).unwrap().len(), 1);
    // The log outlives a removed box.
    store.remove_box(&addr(CARDIO)).unwrap();
    assert_eq!(store.audit(&addr(CARDIO), 10).unwrap().len(), 2);
}

#[test]
fn inserts_ten_thousand_messages_quickly() {
    let (mut store, inbox) = setup();
    let messages = bulk(10_000, 1);
    let start = Instant::now();
    let ids = store.insert_messages(inbox, &messages).unwrap();
    let elapsed = start.elapsed();
    println!("10k insert: {elapsed:?}");
    assert_eq!(ids.len(), 10_000);
    assert_eq!(store.count(inbox).unwrap(), 10_000);
    // Generous bound: debug builds compile SQLite without optimisation.
    assert!(elapsed.as_secs() < 10, "10k insert took {elapsed:?}");
    let start = Instant::now();
    let hits = store.search(&SearchQuery::text("resultat cardio")).unwrap();
    println!(
        "search over 10k: {:?} ({} hits)",
        start.elapsed(),
        hits.len()
    );
    assert_eq!(hits.len(), 200);
    let page = store.list(inbox, 0, 50).unwrap();
    assert_eq!(page[0].uid, 10_000);
}

/// `cargo test -p relais-store --release -- --ignored --nocapture hundred_thousand`
#[test]
#[ignore = "benchmark"]
fn hundred_thousand_messages_bench() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("bench.sqlite")).unwrap();
    store.upsert_boxes(&entitlements()).unwrap();
    let inbox = store
        .upsert_folder(&addr(CARDIO), "INBOX", Some(FolderRole::Inbox))
        .unwrap();
    let messages = bulk(100_000, 1);
    let start = Instant::now();
    for chunk in messages.chunks(10_000) {
        store.insert_messages(inbox, chunk).unwrap();
    }
    println!("100k insert (10 batches of 10k): {:?}", start.elapsed());
    for text in ["resultat", "resultat cardio", "compte-rendu-500", "nephro"] {
        let start = Instant::now();
        let hits = store.search(&SearchQuery::text(text)).unwrap();
        println!(
            "search {text:?} over 100k: {:?} ({} hits)",
            start.elapsed(),
            hits.len()
        );
    }
    let start = Instant::now();
    let unread = SearchQuery {
        unread_only: true,
        ..SearchQuery::text("gériatrie")
    };
    let hits = store.search(&unread).unwrap();
    println!(
        "search unread 'gériatrie': {:?} ({} hits)",
        start.elapsed(),
        hits.len()
    );
    let start = Instant::now();
    let page = store.list(inbox, 50_000, 50).unwrap();
    println!(
        "list page at offset 50k: {:?} ({} rows)",
        start.elapsed(),
        page.len()
    );
    let start = Instant::now();
    let uids = store.uids(inbox).unwrap();
    println!("uids of 100k: {:?} ({})", start.elapsed(), uids.len());
    assert_eq!(uids.len(), 100_000);
    assert_eq!(page.len(), 50);
    // (The list order and first page of a 100k folder are timed by the benchmark,
    // crates/relais-bench, on a store filled by a real sync.)
    let start = Instant::now();
    println!(
        "unread in box: {} in {:?}",
        store.unread_in_box(&addr(CARDIO)).unwrap(),
        start.elapsed()
    );
}
