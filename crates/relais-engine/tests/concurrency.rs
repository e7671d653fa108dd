//! Two engines on one shared box at once: Marie and Sophie, each with her own profile folder,
//! flag, move and delete the same messages of the secretariat from several threads. Every
//! action either succeeds or is refused with a reason (CONDSTORE `UNCHANGEDSINCE`: a change
//! made elsewhere since the last sync is never overwritten silently; a message moved or
//! deleted elsewhere is reported as such); after a final sync both stores equal the server.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use relais_core::{BoxAddress, NationalId};
use relais_engine::actions::{Flag, GONE_ELSEWHERE, MODIFIED_ELSEWHERE};
use relais_engine::{Engine, EngineError, IdentityHint, ProfileDir};
use relais_store::{Flags, FolderRole, MessageId};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn signed_in(op: &Operator, profile: &Path, login: &str, id: &str, given: &str) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .unwrap();
    e.sign_in_password(
        login,
        DEMO_PASSWORD,
        &IdentityHint {
            profession: None,
            given_name: Some(given.into()),
            family_name: None,
            national_id: Some(NationalId::parse(id).unwrap()),
        },
    )
    .expect("sign-in");
    e
}

fn imap(op: &Operator) -> Imap {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, SOPHIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    imap
}

fn sync(e: &Engine) {
    for (b, r) in e
        .sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()
    {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

fn inbox_id(e: &Engine) -> relais_store::FolderId {
    e.with_store(|s| {
        s.folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap()
            .id
    })
}

/// The local id of INBOX's message `uid` in engine `e`, if it still holds it.
fn local(e: &Engine, uid: u32) -> Option<MessageId> {
    let inbox = inbox_id(e);
    e.with_store(|s| s.message_by_uid(inbox, uid).unwrap().map(|m| m.summary.id))
}

fn local_flags(e: &Engine, uid: u32) -> Option<Flags> {
    let inbox = inbox_id(e);
    e.with_store(|s| s.message_by_uid(inbox, uid).unwrap().map(|m| m.flags))
}

fn normal(mut f: Flags) -> Flags {
    f.keywords.sort();
    f
}

/// `UID → flags` of a folder on the server.
fn server_flags(imap: &mut Imap, folder: &str) -> BTreeMap<u32, Flags> {
    let r = imap.command(&format!("EXAMINE \"{folder}\"")).unwrap();
    assert!(r.ok(), "{}", r.text);
    if r.untagged.iter().any(|l| l == "* 0 EXISTS") {
        return BTreeMap::new();
    }
    let r = imap.command("UID FETCH 1:* (FLAGS)").unwrap();
    r.untagged
        .iter()
        .filter(|l| l.contains(" FETCH "))
        .map(|l| {
            let uid = l
                .split("UID ")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|s| s.parse().ok())
                .unwrap();
            let flags = l
                .split("FLAGS (")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap_or_default();
            (uid, normal(Flags::parse(flags)))
        })
        .collect()
}

/// Both engines' stores equal the server, folder by folder. Returns messages compared.
fn converged(op: &Operator, engines: &[(&str, &Engine)]) -> usize {
    let mut s = imap(op);
    let mut checked = 0;
    for (who, e) in engines {
        for f in e.with_store(|st| st.folders(&addr(SECRETARIAT)).unwrap()) {
            let local: BTreeMap<u32, Flags> = e
                .with_store(|st| st.uids(f.id).unwrap())
                .into_iter()
                .map(|(u, fl)| (u, normal(fl)))
                .collect();
            let server = server_flags(&mut s, &f.name);
            assert_eq!(local, server, "{who}: {} differs from the server", f.name);
            checked += local.len();
        }
    }
    checked
}

/// A refusal that tells the person what happened elsewhere.
fn reported(e: &EngineError) -> Option<&'static str> {
    match e {
        EngineError::ServerRefused { detail, .. } if detail.contains(MODIFIED_ELSEWHERE) => {
            Some("modified")
        }
        EngineError::ServerRefused { detail, .. } if detail.contains(GONE_ELSEWHERE) => {
            Some("gone")
        }
        _ => None,
    }
}

fn seed(op: &Operator, n: usize) {
    op.seed_maildir(
        SECRETARIAT,
        "INBOX",
        (0..n).map(|i| {
            (
                format!(
                    "From: Dr Jacques LEROY <{LEROY}>\r\nTo: {SECRETARIAT}\r\n\
                     Subject: Demande {i}\r\nMessage-ID: <d{i}@concurrency.relais.test>\r\n\
                     Date: Mon, 16 Nov 2026 09:{:02}:00 +0100\r\n\r\nDemande {i}.\r\n",
                    i % 60
                )
                .into_bytes(),
                "",
            )
        }),
    )
    .unwrap();
}

#[test]
fn conflicting_changes_are_reported_never_lost() {
    // Conflicts are detected by CONDSTORE's UNCHANGEDSINCE (RFC 7162): on a full server only
    // (tests/poor.rs shows a full flag resync without it).
    let op = Operator::start(Options::full_imap()).unwrap();
    seed(&op, 10);
    let (pm, ps) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marie = signed_in(&op, pm.path(), MARIE, "810100000041", "Marie");
    let sophie = signed_in(&op, ps.path(), SOPHIE, "810100000058", "Sophie");
    sync(&marie);
    sync(&sophie);
    let mut raw = imap(&op);
    assert!(raw.command("SELECT INBOX").unwrap().ok());
    let uids: Vec<u32> = raw
        .command("UID SEARCH ALL")
        .unwrap()
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect();
    let (x, y, z) = (uids[0], uids[1], uids[2]);

    // Sophie flags X; Marie, who has not synced since, unflags X's "answered": refused,
    // reported, and Marie's store shows X as it is now (flagged by Sophie).
    sophie
        .set_flag(local(&sophie, x).unwrap(), Flag::Flagged, true)
        .unwrap();
    let answered = local_flags(&marie, x).unwrap().answered;
    let err = marie
        .set_flag(local(&marie, x).unwrap(), Flag::Answered, !answered)
        .unwrap_err();
    assert_eq!(reported(&err), Some("modified"), "{err}");
    assert!(err.to_string().contains("modifié entre-temps"), "{err}");
    assert!(local_flags(&marie, x).unwrap().flagged, "resynced");
    assert_eq!(
        local_flags(&marie, x).unwrap().answered,
        answered,
        "not applied"
    );
    // Now that Marie holds the fresh state, the same action passes, and her own successive
    // changes do not conflict with themselves.
    marie
        .set_flag(local(&marie, x).unwrap(), Flag::Answered, !answered)
        .unwrap();
    marie
        .set_flag(local(&marie, x).unwrap(), Flag::Flagged, false)
        .unwrap();
    marie
        .set_flag(local(&marie, x).unwrap(), Flag::Answered, answered)
        .unwrap();
    // Sophie did not see Marie's changes: her next change to X is refused, not applied.
    let seen = local_flags(&sophie, x).unwrap().seen;
    let err = sophie
        .set_flag(local(&sophie, x).unwrap(), Flag::Seen, !seen)
        .unwrap_err();
    assert_eq!(reported(&err), Some("modified"), "{err}");

    // Sophie deletes Y; Marie flags it, then moves it: both reported as gone.
    sophie.delete(local(&sophie, y).unwrap()).unwrap();
    let err = marie
        .set_flag(local(&marie, y).unwrap(), Flag::Flagged, true)
        .unwrap_err();
    assert_eq!(reported(&err), Some("gone"), "{err}");
    assert!(local(&marie, y).is_none(), "removed from Marie's store");
    sophie.move_to(local(&sophie, z).unwrap(), "Junk").unwrap();
    let err = marie.delete(local(&marie, z).unwrap()).unwrap_err();
    assert_eq!(reported(&err), Some("gone"), "{err}");

    // Every refusal is in Marie's audit log, as refused.
    sync(&marie);
    sync(&sophie);
    let checked = converged(&op, &[("Marie", &marie), ("Sophie", &sophie)]);
    println!("conflicts: 4 reported, {checked} messages converged");
}

#[test]
fn two_engines_flag_move_and_delete_the_same_messages_concurrently() {
    // Conflicts are detected by CONDSTORE's UNCHANGEDSINCE (RFC 7162): on a full server only
    // (tests/poor.rs shows a full flag resync without it).
    let op = Operator::start(Options::full_imap()).unwrap();
    let n = 30;
    seed(&op, n);
    let (pm, ps) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let marie = signed_in(&op, pm.path(), MARIE, "810100000041", "Marie");
    let sophie = signed_in(&op, ps.path(), SOPHIE, "810100000058", "Sophie");
    sync(&marie);
    sync(&sophie);
    let mut raw = imap(&op);
    assert!(raw.command("SELECT INBOX").unwrap().ok());
    let uids: Vec<u32> = raw
        .command("UID SEARCH ALL")
        .unwrap()
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
        .collect();
    // Everyone works on the same few messages, so that changes collide.
    let hot: Vec<u32> = uids.iter().copied().take(12).collect();

    let ok = AtomicU64::new(0);
    let refused: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());
    let unexplained: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let started = Instant::now();
    let threads_per_engine = 2;
    let ops_per_thread = 30;
    std::thread::scope(|scope| {
        for (who, e) in [("Marie", &marie), ("Sophie", &sophie)] {
            for t in 0..threads_per_engine {
                let (ok, refused, unexplained, hot) = (&ok, &refused, &unexplained, &hot);
                scope.spawn(move || {
                    let mut x: u64 = 0x9E37_79B9 ^ ((t as u64 + 1) << 8) ^ who.len() as u64;
                    let mut next = || {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x
                    };
                    for i in 0..ops_per_thread {
                        let uid = hot[(next() % hot.len() as u64) as usize];
                        let Some(id) = local(e, uid) else {
                            // Gone from this engine's view: see whether it moved.
                            if i % 5 == 0 {
                                sync(e);
                            }
                            continue;
                        };
                        let r = match next() % 20 {
                            0 => e.delete(id),
                            1 => e.move_to(id, "Junk"),
                            k => {
                                let flag =
                                    [Flag::Seen, Flag::Flagged, Flag::Answered][(k % 3) as usize];
                                e.set_flag(id, flag, next() % 2 == 0)
                            }
                        };
                        match r {
                            Ok(()) => {
                                ok.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(err) => match reported(&err) {
                                Some(kind) => {
                                    *refused.lock().unwrap().entry(kind).or_default() += 1
                                }
                                None => unexplained.lock().unwrap().push(format!("{who}: {err}")),
                            },
                        }
                        if i % 7 == 6 {
                            sync(e);
                        }
                    }
                });
            }
        }
    });
    let unexplained = unexplained.into_inner().unwrap();
    assert!(unexplained.is_empty(), "{unexplained:#?}");
    sync(&marie);
    sync(&sophie);
    let checked = converged(&op, &[("Marie", &marie), ("Sophie", &sophie)]);
    let refused = refused.into_inner().unwrap();
    let total = (threads_per_engine * ops_per_thread * 2) as u64;
    println!(
        "two engines, {} threads: {total} attempts, {} applied, refused and reported {refused:?}, \
         the rest skipped (already gone locally); {checked} messages converged in {:.1?}",
        threads_per_engine * 2,
        ok.load(Ordering::SeqCst),
        started.elapsed()
    );
    assert!(refused.values().sum::<u64>() > 0, "no collision happened");
    // Each refusal is in the audit log, marked refused (the same count on both sides).
    let audited: usize = [&marie, &sophie]
        .iter()
        .map(|e| {
            e.audit_log(&addr(SECRETARIAT), 100_000)
                .unwrap()
                .iter()
                .filter(|a| {
                    !a.entry.ok
                        && (a.entry.response.contains(MODIFIED_ELSEWHERE)
                            || a.entry.response.contains(GONE_ELSEWHERE))
                })
                .count()
        })
        .sum();
    assert_eq!(audited as u64, refused.values().sum::<u64>());
}
