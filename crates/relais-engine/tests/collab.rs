//! Working together in the shared box, with TWO engines (Marie's and Sophie's profile
//! folders) on the same box of one real local operator (Dovecot with CONDSTORE and keywords):
//! claims seen through IDLE, one winner for simultaneous claims, « Traité », the filters,
//! the audit log, and who answered.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, NationalId};
use relais_engine::claims::{ClaimError, StatusFilter, CLAIM_PREFIX, DONE};
use relais_engine::{Engine, IdentityHint, ProfileDir};
use relais_store::{AuditAction, FolderId, FolderRole, MessageId};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const LEROY: &str = "jacques.leroy@cardio-pau.mssante.fr";
const ROUX: &str = "helene.roux@cabinet-vignes.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn signed_in(
    op: &Operator,
    profile: &Path,
    login: &str,
    id: &str,
    given: &str,
    family: &str,
) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens");
    e.sign_in_password(
        login,
        DEMO_PASSWORD,
        &IdentityHint {
            profession: None,
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            national_id: Some(NationalId::parse(id).unwrap()),
        },
    )
    .expect("sign-in");
    e
}

fn marie(op: &Operator, profile: &Path) -> Engine {
    signed_in(op, profile, MARIE, "810100000041", "Marie", "MARTIN")
}

fn sophie(op: &Operator, profile: &Path) -> Engine {
    signed_in(op, profile, SOPHIE, "810100000058", "Sophie", "BERNARD")
}

fn sync(e: &Engine) {
    for (b, r) in e
        .sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()
    {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

fn inbox(e: &Engine) -> FolderId {
    e.with_store(|s| {
        s.folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap()
            .id
    })
}

fn find(e: &Engine, subject: &str) -> MessageId {
    let folder = inbox(e);
    e.with_store(|s| {
        s.list(folder, 0, 500)
            .unwrap()
            .into_iter()
            .find(|m| m.subject.contains(subject))
            .unwrap_or_else(|| panic!("no « {subject} »"))
            .id
    })
}

fn listed(e: &Engine, filter: StatusFilter, id: MessageId) -> bool {
    e.list_by_status(inbox(e), filter, 0, 500)
        .unwrap()
        .iter()
        .any(|m| m.id == id)
}

fn label(e: &Engine, id: MessageId) -> Option<String> {
    e.message_status(id).unwrap().label
}

fn audit_actions(e: &Engine) -> Vec<(String, bool, String)> {
    e.audit_log(&addr(SECRETARIAT), 500)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.entry.action {
            AuditAction::Other(a) => Some((a, r.entry.ok, r.entry.request)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_claim_is_seen_by_the_colleague_through_idle() {
    // Claims are settled by CONDSTORE's conditional STORE (RFC 7162): on a full server only
    // (tests/poor.rs shows the announced last-wins mode without it).
    let op = Operator::start(Options::full_imap()).unwrap();
    let (dm, ds) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let m = marie(&op, dm.path());
    let s = sophie(&op, ds.path());
    sync(&m);
    sync(&s);

    let support = s.collaboration_support(&addr(SECRETARIAT)).unwrap();
    assert!(
        support.keywords && support.condstore && support.can_write,
        "{support:?}"
    );

    let subject = "Adressage — M. GARCIA";
    let (mid, sid) = (find(&m, subject), find(&s, subject));
    assert!(listed(&s, StatusFilter::ToHandle, sid));
    assert_eq!(label(&s, sid), None);

    let stop = AtomicBool::new(false);
    /// Stops the watcher even when an assertion fails (or the scope would wait forever).
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    std::thread::scope(|scope| {
        let _stop_guard = StopOnDrop(&stop);
        // Sophie's Relais watches the box (IDLE), as the app does.
        let watcher =
            scope.spawn(|| s.watch_inbox(&s.entitlement(&addr(SECRETARIAT)).unwrap(), &stop));
        std::thread::sleep(Duration::from_millis(1500));

        let status = m.claim(mid, false).unwrap();
        assert_eq!(status.label.as_deref(), Some("Pris en charge par vous"));
        let claimed_at = Instant::now();

        // Within seconds, without any explicit sync on Sophie's side.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if label(&s, sid).as_deref() == Some("Pris en charge par Marie MARTIN") {
                break;
            }
            assert!(Instant::now() < deadline, "Sophie never saw Marie's claim");
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "claim seen by the colleague after {:?}",
            claimed_at.elapsed()
        );
        stop.store(true, Ordering::Relaxed);
        watcher.join().unwrap().unwrap();
    });

    // The filters, on both sides.
    assert!(!listed(&s, StatusFilter::ToHandle, sid));
    assert!(listed(&s, StatusFilter::InProgress, sid));
    assert!(!listed(&s, StatusFilter::Mine, sid));
    assert!(listed(&m, StatusFilter::Mine, mid));
    assert_eq!(s.count_by_status(inbox(&s), StatusFilter::Mine).unwrap(), 0);

    // Claiming it again needs force; the error names the claimant.
    match s.claim(sid, false) {
        Err(ClaimError::AlreadyClaimed { name, claimant }) => {
            assert_eq!(name, "Marie MARTIN");
            assert!(!claimant.is_me);
        }
        other => panic!("expected « déjà pris en charge »: {other:?}"),
    }
    let err = s.claim(sid, false).unwrap_err().to_string();
    assert_eq!(err, "Déjà pris en charge par Marie MARTIN.");

    // With force, Sophie takes over: Marie's keywords go.
    let status = s.claim(sid, true).unwrap();
    assert_eq!(status.label.as_deref(), Some("Pris en charge par vous"));
    let flags = s.with_store(|st| st.message(sid).unwrap().unwrap().flags);
    let claims: Vec<_> = flags
        .keywords
        .iter()
        .filter(|k| k.starts_with(CLAIM_PREFIX))
        .collect();
    assert_eq!(claims.len(), 1, "{flags}");
    assert!(listed(&s, StatusFilter::Mine, sid));

    // « Traité ».
    let status = s.mark_done(sid, true).unwrap();
    assert_eq!(status.label.as_deref(), Some("Traité par vous"));
    assert!(listed(&s, StatusFilter::Done, sid));
    assert!(!listed(&s, StatusFilter::Mine, sid));
    sync(&m);
    assert_eq!(label(&m, mid).as_deref(), Some("Traité par Sophie BERNARD"));
    assert!(m
        .with_store(|st| st.message(mid).unwrap().unwrap().flags)
        .has_keyword(DONE));
    assert!(!listed(&m, StatusFilter::Mine, mid));

    // Reopen, release.
    s.mark_done(sid, false).unwrap();
    assert_eq!(
        s.release(sid, false).unwrap().label,
        None,
        "released: to handle again"
    );
    assert!(listed(&s, StatusFilter::ToHandle, sid));

    // Every status change is in the box's audit log, refusals included.
    let sophie_log = audit_actions(&s);
    for (action, ok) in [
        ("claim", false),
        ("claim-force", true),
        ("done", true),
        ("reopen", true),
        ("release", true),
    ] {
        assert!(
            sophie_log.iter().any(|(a, o, _)| a == action && *o == ok),
            "{action} ok={ok} in {sophie_log:?}"
        );
    }
    assert!(sophie_log
        .iter()
        .any(|(a, _, req)| a == "claim-force" && req.contains("UNCHANGEDSINCE")));
    assert!(audit_actions(&m)
        .iter()
        .any(|(a, o, req)| a == "claim" && *o && req.starts_with("UID STORE")));
}

#[test]
fn simultaneous_claims_have_one_winner() {
    // Claims are settled by CONDSTORE's conditional STORE (RFC 7162): on a full server only
    // (tests/poor.rs shows the announced last-wins mode without it).
    let op = Operator::start(Options::full_imap()).unwrap();
    let (dm, ds) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let m = marie(&op, dm.path());
    let s = sophie(&op, ds.path());
    sync(&m);
    sync(&s);

    for subject in [
        "Demande de rendez-vous — M. PETIT",
        "Planning des consultations de décembre",
        "Échographies de la semaine prochaine",
    ] {
        let (mid, sid) = (find(&m, subject), find(&s, subject));
        let barrier = Barrier::new(2);
        let (rm, rs) = std::thread::scope(|scope| {
            let a = scope.spawn(|| {
                barrier.wait();
                m.claim(mid, false)
            });
            let b = scope.spawn(|| {
                barrier.wait();
                s.claim(sid, false)
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        let (winner, loser) = match (&rm, &rs) {
            (Ok(_), Err(e)) => ("Marie MARTIN", e),
            (Err(e), Ok(_)) => ("Sophie BERNARD", e),
            other => panic!("exactly one winner for « {subject} »: {other:?}"),
        };
        match loser {
            ClaimError::AlreadyClaimed { name, .. } => assert_eq!(name, winner),
            other => panic!("the loser is told who won: {other:?}"),
        }
        eprintln!("« {subject} »: {winner} won");
        // The loser was refused by the server (its conditional STORE got [MODIFIED]) or, when
        // its read of flags and MODSEQ came after the winner's STORE, before storing; either
        // way it is in its audit log.
        let loser_engine = if winner == "Marie MARTIN" { &s } else { &m };
        let refusals: Vec<String> = loser_engine
            .audit_log(&addr(SECRETARIAT), 500)
            .unwrap()
            .into_iter()
            .filter(|r| matches!(&r.entry.action, AuditAction::Other(a) if a == "claim"))
            .filter(|r| !r.entry.ok)
            .map(|r| format!("{} → {}", r.entry.request, r.entry.response))
            .collect();
        assert!(
            refusals.iter().any(|r| r.contains("[MODIFIED")
                || r.contains(&format!("déjà pris en charge par {winner}"))),
            "{refusals:?}"
        );
        eprintln!("  loser's audit: {refusals:?}");
        // Both agree afterwards.
        sync(&m);
        sync(&s);
        let expected = |me: &str| {
            if me == winner {
                "Pris en charge par vous".to_string()
            } else {
                format!("Pris en charge par {winner}")
            }
        };
        assert_eq!(label(&m, mid), Some(expected("Marie MARTIN")));
        assert_eq!(label(&s, sid), Some(expected("Sophie BERNARD")));
    }
    // The server decides: Sophie's view is stale (she knows the message's MODSEQ from her
    // own last change, not Marie's claim since); her conditional STORE gets [MODIFIED], she
    // re-reads and is told who holds it.
    let subject = "Holter ECG — résultat de M. PETIT";
    let (mid, sid) = (find(&m, subject), find(&s, subject));
    s.claim(sid, false).unwrap();
    s.release(sid, false).unwrap();
    assert!(s.with_store(|st| st.message(sid).unwrap().unwrap().modseq.is_some()));
    m.claim(mid, false).unwrap();
    assert_eq!(label(&s, sid), None, "Sophie has not seen it yet");
    match s.claim(sid, false) {
        Err(ClaimError::AlreadyClaimed { name, .. }) => assert_eq!(name, "Marie MARTIN"),
        other => panic!("expected « déjà pris en charge »: {other:?}"),
    }
    let modified = s
        .audit_log(&addr(SECRETARIAT), 500)
        .unwrap()
        .into_iter()
        .any(|r| {
            r.entry.request.contains("UNCHANGEDSINCE")
                && r.entry.response.contains("[MODIFIED")
                && !r.entry.ok
        });
    assert!(modified, "refused by the server with [MODIFIED]");
    assert_eq!(
        label(&s, sid).as_deref(),
        Some("Pris en charge par Marie MARTIN"),
        "and her store learnt it"
    );
}

#[test]
fn the_answers_author_is_linked_to_the_message() {
    let op = Operator::start(Options::default()).unwrap();
    let (dm, ds) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let m = marie(&op, dm.path());
    let s = sophie(&op, ds.path());
    sync(&m);
    sync(&s);

    // The seeded exchange: Marie answered Dr LEROY from the box.
    let seeded = find(&m, "Rendez-vous de contrôle — Mme DUBOIS");
    let folder = inbox(&m);
    let original = m.with_store(|st| {
        st.list(folder, 0, 500)
            .unwrap()
            .into_iter()
            .filter(|x| x.subject.starts_with("Rendez-vous de contrôle"))
            .map(|x| x.id)
            .next()
            .unwrap_or(seeded)
    });
    let answered = m.answered_by(original).unwrap().expect("answered");
    assert_eq!(answered.author, "Marie MARTIN");
    assert!(answered.label.starts_with("Répondu par Marie MARTIN, "));

    // Sophie answers Dr ROUX's request from the shared box.
    let subject = "Demande d'avis — Mme LAURENT";
    let (mid, sid) = (find(&m, subject), find(&s, subject));
    assert_eq!(m.answered_by(mid).unwrap(), None);
    let mut c = s.reply(sid, false).unwrap();
    assert_eq!(c.to[0].address.as_str(), ROUX);
    c.text = "Bonjour Docteur, Mme LAURENT est convoquée jeudi.".into();
    let receipt = s.send(c).unwrap();
    assert!(receipt.sent(), "{receipt:?}");

    // Marie's Relais learns it from the shared Sent at its next sync.
    sync(&m);
    let answered = m.answered_by(mid).unwrap().expect("answered by Sophie");
    assert_eq!(answered.author, "Sophie BERNARD");
    assert_eq!(answered.author_id.as_deref(), Some("810100000058"));
    assert!(
        answered.label.starts_with("Répondu par Sophie BERNARD, "),
        "{}",
        answered.label
    );
    let many = m
        .answered_by_many(&[mid, original, find(&m, "Holter ECG")])
        .unwrap();
    assert_eq!(many.len(), 2);

    // The conversation with Dr ROUX, across INBOX and the shared Sent.
    let conv = m.conversation(&addr(SECRETARIAT), ROUX).unwrap();
    let thread = conv
        .threads
        .iter()
        .find(|t| t.messages.iter().any(|x| x.id == mid))
        .unwrap();
    assert_eq!(thread.messages.len(), 2, "{thread:?}");
    assert!(!thread.messages[0].outgoing);
    assert!(thread.messages[1].outgoing);
    assert_eq!(thread.messages[1].author.as_deref(), Some("Sophie BERNARD"));
    assert_eq!(thread.messages[1].folder, "Sent");

    // The seeded three-message thread with Dr LEROY, his confirmation included.
    let thread = m.thread_view(original).unwrap();
    assert_eq!(thread.messages.len(), 3, "{thread:?}");
    assert_eq!(
        thread
            .messages
            .iter()
            .map(|x| x.outgoing)
            .collect::<Vec<_>>(),
        vec![false, true, false]
    );
    assert_eq!(thread.messages[1].author.as_deref(), Some("Marie MARTIN"));
    assert!(thread.subject.starts_with("Rendez-vous de contrôle"));
    let leroy = m.conversation(&addr(SECRETARIAT), LEROY).unwrap();
    assert!(leroy.threads.len() >= 3, "{}", leroy.threads.len());
}
