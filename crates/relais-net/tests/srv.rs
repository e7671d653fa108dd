//! RFC 6186 discovery against a real UDP DNS responder started by the test on 127.0.0.1.
//!
//! The responder answers SRV questions from a table, compressing owner names and targets
//! against the question (RFC 1035 §4.1.4), NXDOMAIN for names not in the table; some names
//! have a misbehaviour (no answer the first time, garbage, a cut answer, a spoofed id first,
//! a truncated UDP answer with the full one over TCP on the same port).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use relais_core::BoxAddress;
use relais_net::profile::{discover_srv_with, Security, ServerEndpoint};

const TIMEOUT: Duration = Duration::from_millis(400);

/// `(priority, weight, port, target)`; target `"."` for "not offered".
type Srv = (u16, u16, u16, &'static str);

#[derive(Clone)]
enum Entry {
    Records(Vec<Srv>),
    /// No answer to the first question for this name, then the records.
    DropFirst(Vec<Srv>),
    /// First an answer with another transaction id (and other records), then the real one.
    WrongIdFirst {
        spoofed: Vec<Srv>,
        real: Vec<Srv>,
    },
    /// Random-looking bytes, with the right id.
    Garbage,
    /// The answer cut in the middle of its record.
    Cut(Vec<Srv>),
    /// Never answered.
    Silent,
    /// Over UDP an empty answer with the TC bit; over TCP the records.
    TruncatedUdp(Vec<Srv>),
}

struct Responder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Questions received over UDP, by lowercase name.
    seen: Arc<Mutex<HashMap<String, usize>>>,
    /// Questions received over TCP, by lowercase name.
    seen_tcp: Arc<Mutex<HashMap<String, usize>>>,
}

/// A UDP socket and a TCP listener on the same port of 127.0.0.1.
fn bind_pair() -> (UdpSocket, TcpListener) {
    for _ in 0..50 {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = socket.local_addr().expect("addr").port();
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            return (socket, listener);
        }
    }
    panic!("no port free for both UDP and TCP");
}

impl Responder {
    fn start(table: &[(&str, Entry)]) -> Responder {
        let (socket, listener) = bind_pair();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = socket.local_addr().expect("addr");
        let table: Arc<HashMap<String, Entry>> = Arc::new(
            table
                .iter()
                .map(|(n, e)| (n.to_ascii_lowercase(), e.clone()))
                .collect(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let seen_tcp = Arc::new(Mutex::new(HashMap::new()));
        let udp = {
            let (table, stop, seen) = (table.clone(), stop.clone(), seen.clone());
            std::thread::spawn(move || serve(socket, &table, stop, seen))
        };
        let tcp = {
            let (stop, seen) = (stop.clone(), seen_tcp.clone());
            std::thread::spawn(move || serve_tcp(listener, &table, stop, seen))
        };
        Responder {
            addr,
            stop,
            threads: vec![udp, tcp],
            seen,
            seen_tcp,
        }
    }

    fn seen(&self, name: &str) -> usize {
        self.seen
            .lock()
            .expect("lock")
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    fn seen_tcp(&self, name: &str) -> usize {
        self.seen_tcp
            .lock()
            .expect("lock")
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn count(seen: &Mutex<HashMap<String, usize>>, name: &str) -> usize {
    let mut seen = seen.lock().expect("lock");
    let n = seen.entry(name.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// DNS over TCP (RFC 1035 §4.2.2, RFC 7766): length-prefixed messages; the full answer
/// (records or NXDOMAIN) whatever the entry's misbehaviour over UDP.
fn serve_tcp(
    listener: TcpListener,
    table: &HashMap<String, Entry>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<HashMap<String, usize>>>,
) {
    while !stop.load(Ordering::SeqCst) {
        let Ok((stream, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let _ = answer_tcp(stream, table, &stop, &seen);
    }
}

fn answer_tcp(
    mut stream: TcpStream,
    table: &HashMap<String, Entry>,
    stop: &AtomicBool,
    seen: &Mutex<HashMap<String, usize>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(100)))?;
    while !stop.load(Ordering::SeqCst) {
        let mut len = [0u8; 2];
        match stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) => return Err(e),
        }
        let mut message = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut message)?;
        let Some(q) = Question::parse(&message) else {
            continue;
        };
        count(seen, &q.name);
        let reply = match table.get(&q.name) {
            Some(
                Entry::Records(r)
                | Entry::DropFirst(r)
                | Entry::Cut(r)
                | Entry::TruncatedUdp(r)
                | Entry::WrongIdFirst { real: r, .. },
            ) => q.reply(q.id, 0, r),
            None | Some(Entry::Garbage | Entry::Silent) => q.reply(q.id, 3, &[]),
        };
        stream.write_all(&(reply.len() as u16).to_be_bytes())?;
        stream.write_all(&reply)?;
    }
    Ok(())
}

fn serve(
    socket: UdpSocket,
    table: &HashMap<String, Entry>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<HashMap<String, usize>>>,
) {
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::SeqCst) {
        let Ok((len, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let Some(q) = Question::parse(&buf[..len]) else {
            continue;
        };
        let count = count(&seen, &q.name);
        let replies: Vec<Vec<u8>> = match table.get(&q.name) {
            None => vec![q.reply(q.id, 3, &[])],
            Some(Entry::Records(r)) => vec![q.reply(q.id, 0, r)],
            Some(Entry::DropFirst(r)) if count > 1 => vec![q.reply(q.id, 0, r)],
            Some(Entry::DropFirst(_)) | Some(Entry::Silent) => vec![],
            Some(Entry::WrongIdFirst { spoofed, real }) => {
                vec![q.reply(q.id ^ 0x5A5A, 0, spoofed), q.reply(q.id, 0, real)]
            }
            Some(Entry::Garbage) => {
                let mut g: Vec<u8> = (0..40u32).map(|i| (i * 151 + 7) as u8).collect();
                g[..2].copy_from_slice(&q.id.to_be_bytes());
                g[2] = 0x81;
                vec![g]
            }
            Some(Entry::Cut(r)) => {
                let full = q.reply(q.id, 0, r);
                vec![full[..full.len() - 5].to_vec()]
            }
            Some(Entry::TruncatedUdp(_)) => {
                let mut empty = q.reply(q.id, 0, &[]);
                empty[2] |= 0x02; // TC
                vec![empty]
            }
        };
        for reply in replies {
            let _ = socket.send_to(&reply, from);
        }
    }
}

/// A question as received: id, raw question section, lowercase name.
struct Question {
    id: u16,
    raw: Vec<u8>,
    name: String,
    labels: Vec<String>,
}

impl Question {
    fn parse(p: &[u8]) -> Option<Question> {
        let id = u16::from_be_bytes([*p.first()?, *p.get(1)?]);
        let mut pos = 12;
        let mut labels = Vec::new();
        loop {
            let len = usize::from(*p.get(pos)?);
            if len == 0 {
                break;
            }
            let label = p.get(pos + 1..pos + 1 + len)?;
            labels.push(String::from_utf8(label.to_vec()).ok()?.to_ascii_lowercase());
            pos += 1 + len;
        }
        let qtype = u16::from_be_bytes([*p.get(pos + 1)?, *p.get(pos + 2)?]);
        if qtype != 33 {
            return None;
        }
        Some(Question {
            id,
            raw: p.get(12..pos + 5)?.to_vec(),
            name: labels.join("."),
            labels,
        })
    }

    /// Offset (in the reply) of the question's name from its label `i` on.
    fn suffix_at(&self, i: usize) -> u16 {
        12 + self.labels[..i]
            .iter()
            .map(|l| l.len() as u16 + 1)
            .sum::<u16>()
    }

    /// A target name, compressed against the question where a suffix matches.
    fn encode(&self, target: &str, out: &mut Vec<u8>) {
        let target: Vec<&str> = target.split('.').filter(|l| !l.is_empty()).collect();
        for start in 0..target.len() {
            let suffix = &target[start..];
            if suffix.len() <= self.labels.len() {
                let i = self.labels.len() - suffix.len();
                if self.labels[i..].iter().zip(suffix).all(|(a, b)| a == b) {
                    out.extend_from_slice(&(0xC000 | self.suffix_at(i)).to_be_bytes());
                    return;
                }
            }
            out.push(suffix[0].len() as u8);
            out.extend_from_slice(suffix[0].as_bytes());
        }
        out.push(0);
    }

    fn reply(&self, id: u16, rcode: u8, records: &[Srv]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&[0x81, 0x80 | rcode]);
        p.extend_from_slice(&[0, 1]);
        p.extend_from_slice(&(records.len() as u16 + 1).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(&self.raw);
        // A TXT record for the same name first: other types are ignored.
        p.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 2, b'h', b'i']);
        for &(priority, weight, port, target) in records {
            p.extend_from_slice(&[0xC0, 12, 0, 33, 0, 1, 0, 0, 1, 0]);
            let mut rdata = Vec::new();
            rdata.extend_from_slice(&priority.to_be_bytes());
            rdata.extend_from_slice(&weight.to_be_bytes());
            rdata.extend_from_slice(&port.to_be_bytes());
            self.encode(target, &mut rdata);
            p.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            p.extend_from_slice(&rdata);
        }
        p
    }
}

fn addr(domain: &str) -> BoxAddress {
    BoxAddress::parse(&format!("marie.martin@{domain}")).expect("address")
}

fn endpoint(host: &str, port: u16, security: Security) -> ServerEndpoint {
    ServerEndpoint {
        host: host.into(),
        port: Some(port),
        security,
    }
}

#[test]
fn implicit_tls_preferred_at_equal_priority() {
    let dns = Responder::start(&[
        (
            "_imaps._tcp.ch-demo.mssante.fr",
            Entry::Records(vec![(10, 1, 993, "imap.ch-demo.mssante.fr")]),
        ),
        (
            "_imap._tcp.ch-demo.mssante.fr",
            Entry::Records(vec![(10, 1, 143, "imap.ch-demo.mssante.fr")]),
        ),
        (
            "_submissions._tcp.ch-demo.mssante.fr",
            Entry::Records(vec![(0, 1, 465, "smtp.operateur.example")]),
        ),
        (
            "_submission._tcp.ch-demo.mssante.fr",
            Entry::Records(vec![(0, 1, 587, "smtp.operateur.example")]),
        ),
    ]);
    let found = discover_srv_with(&addr("ch-demo.mssante.fr"), dns.addr, TIMEOUT);
    assert_eq!(
        found,
        Some((
            endpoint("imap.ch-demo.mssante.fr", 993, Security::Tls),
            endpoint("smtp.operateur.example", 465, Security::Tls),
        ))
    );
}

#[test]
fn lowest_priority_wins_across_labels() {
    // The domain prefers STARTTLS for IMAP (priority 0 against 5); among the IMAPS records
    // the lower priority would be 5, so STARTTLS wins. For submission only STARTTLS exists.
    let dns = Responder::start(&[
        (
            "_imaps._tcp.d.example",
            Entry::Records(vec![(7, 1, 993, "b.d.example"), (5, 1, 993, "a.d.example")]),
        ),
        (
            "_imap._tcp.d.example",
            Entry::Records(vec![
                (1, 1, 1143, "backup.d.example"),
                (0, 0, 143, "mail.d.example"),
            ]),
        ),
        (
            "_submission._tcp.d.example",
            Entry::Records(vec![(0, 0, 587, "mail.d.example")]),
        ),
    ]);
    let found = discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT);
    assert_eq!(
        found,
        Some((
            endpoint("mail.d.example", 143, Security::Starttls),
            endpoint("mail.d.example", 587, Security::Starttls),
        ))
    );
}

#[test]
fn dot_target_means_not_offered() {
    let dns = Responder::start(&[
        (
            "_imaps._tcp.d.example",
            Entry::Records(vec![(0, 0, 0, ".")]),
        ),
        (
            "_imap._tcp.d.example",
            Entry::Records(vec![(20, 0, 143, "imap.d.example")]),
        ),
        (
            "_submissions._tcp.d.example",
            Entry::Records(vec![(0, 0, 465, "smtp.d.example")]),
        ),
        (
            "_submission._tcp.d.example",
            Entry::Records(vec![(0, 0, 0, ".")]),
        ),
    ]);
    let found = discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT);
    assert_eq!(
        found,
        Some((
            endpoint("imap.d.example", 143, Security::Starttls),
            endpoint("smtp.d.example", 465, Security::Tls),
        ))
    );

    // Both IMAP labels say "not offered": nothing to propose.
    let dns = Responder::start(&[
        (
            "_imaps._tcp.d.example",
            Entry::Records(vec![(0, 0, 0, ".")]),
        ),
        ("_imap._tcp.d.example", Entry::Records(vec![(0, 0, 0, ".")])),
        (
            "_submissions._tcp.d.example",
            Entry::Records(vec![(0, 0, 465, "smtp.d.example")]),
        ),
    ]);
    assert_eq!(
        discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT),
        None
    );
}

#[test]
fn no_records_gives_none() {
    let dns = Responder::start(&[]);
    assert_eq!(
        discover_srv_with(&addr("nowhere.example"), dns.addr, TIMEOUT),
        None
    );
    // NXDOMAIN answers are final: no name is asked twice.
    assert_eq!(dns.seen("_imaps._tcp.nowhere.example"), 1);
    assert_eq!(dns.seen("_submission._tcp.nowhere.example"), 1);

    // IMAP published, submission not: both are needed.
    let dns = Responder::start(&[(
        "_imaps._tcp.half.example",
        Entry::Records(vec![(0, 0, 993, "imap.half.example")]),
    )]);
    assert_eq!(
        discover_srv_with(&addr("half.example"), dns.addr, TIMEOUT),
        None
    );
}

fn full_table(domain: &str, imaps: Entry) -> Vec<(String, Entry)> {
    vec![
        (format!("_imaps._tcp.{domain}"), imaps),
        (
            format!("_imap._tcp.{domain}"),
            Entry::Records(vec![(10, 0, 143, "imap.d.example")]),
        ),
        (
            format!("_submissions._tcp.{domain}"),
            Entry::Records(vec![(0, 0, 465, "smtp.d.example")]),
        ),
    ]
}

fn start(table: &[(String, Entry)]) -> Responder {
    let table: Vec<(&str, Entry)> = table.iter().map(|(n, e)| (n.as_str(), e.clone())).collect();
    Responder::start(&table)
}

#[test]
fn garbage_or_cut_answer_gives_none_without_panic() {
    for bad in [
        Entry::Garbage,
        Entry::Cut(vec![(0, 0, 993, "imap.d.example")]),
    ] {
        let dns = start(&full_table("d.example", bad));
        let started = Instant::now();
        assert_eq!(
            discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT),
            None
        );
        assert!(started.elapsed() < 2 * TIMEOUT + Duration::from_secs(2));
    }
}

#[test]
fn silent_resolver_gives_none_after_two_attempts() {
    let dns = start(&full_table("d.example", Entry::Silent));
    let started = Instant::now();
    assert_eq!(
        discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT),
        None
    );
    let took = started.elapsed();
    assert!(
        took >= 2 * TIMEOUT && took < 2 * TIMEOUT + Duration::from_secs(2),
        "{took:?}"
    );
    // Two attempts of `TIMEOUT`; within one, the resolver may send the UDP question again
    // (up to three times) before the attempt times out.
    let asked = dns.seen("_imaps._tcp.d.example");
    assert!((2..=6).contains(&asked), "asked {asked} times");
    assert_eq!(
        dns.seen("_imap._tcp.d.example"),
        1,
        "answered names are not asked again"
    );
}

#[test]
fn a_lost_question_is_asked_again() {
    let dns = start(&full_table(
        "d.example",
        Entry::DropFirst(vec![(0, 0, 993, "imap.d.example")]),
    ));
    let found = discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT);
    assert_eq!(
        found.map(|(imap, _)| imap),
        Some(endpoint("imap.d.example", 993, Security::Tls))
    );
    assert!(dns.seen("_imaps._tcp.d.example") >= 2);
}

#[test]
fn a_truncated_answer_is_asked_again_over_tcp() {
    let dns = start(&full_table(
        "d.example",
        Entry::TruncatedUdp(vec![(0, 0, 993, "imap.d.example")]),
    ));
    let found = discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT);
    assert_eq!(
        found.map(|(imap, _)| imap),
        Some(endpoint("imap.d.example", 993, Security::Tls))
    );
    assert!(dns.seen("_imaps._tcp.d.example") >= 1);
    assert_eq!(dns.seen_tcp("_imaps._tcp.d.example"), 1);
    assert_eq!(
        dns.seen_tcp("_imap._tcp.d.example"),
        0,
        "only the truncated one goes over TCP"
    );
}

#[test]
fn an_answer_with_another_id_is_ignored() {
    let dns = start(&full_table(
        "d.example",
        Entry::WrongIdFirst {
            spoofed: vec![(0, 0, 993, "evil.attacker.example")],
            real: vec![(0, 0, 993, "imap.d.example")],
        },
    ));
    let found = discover_srv_with(&addr("d.example"), dns.addr, TIMEOUT);
    assert_eq!(
        found,
        Some((
            endpoint("imap.d.example", 993, Security::Tls),
            endpoint("smtp.d.example", 465, Security::Tls),
        ))
    );
}

#[test]
fn names_are_case_insensitive_and_weights_spread_the_load() {
    // Two IMAPS servers at the same priority, one of weight 0: over many lookups the
    // weighted one is chosen most of the time, and both names come back lowercase.
    let dns = Responder::start(&[
        (
            "_imaps._tcp.d.example",
            Entry::Records(vec![
                (0, 60000, 993, "A.D.EXAMPLE"),
                (0, 0, 993, "b.d.example"),
            ]),
        ),
        (
            "_submissions._tcp.d.example",
            Entry::Records(vec![(0, 0, 465, "smtp.d.example")]),
        ),
    ]);
    let mut hosts = HashMap::new();
    for _ in 0..20 {
        let (imap, _) = discover_srv_with(&addr("D.Example"), dns.addr, TIMEOUT).expect("found");
        *hosts.entry(imap.host).or_insert(0) += 1;
    }
    assert!(
        hosts
            .keys()
            .all(|h| h == "a.d.example" || h == "b.d.example"),
        "{hosts:?}"
    );
    assert!(
        hosts.get("a.d.example").copied().unwrap_or(0) >= 19,
        "{hosts:?}"
    );
}

#[test]
fn unreachable_resolver_gives_none() {
    // A port nobody listens on: ICMP "port unreachable" or a timeout, never a panic.
    let unused = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr_ = unused.local_addr().expect("addr");
    drop(unused);
    assert_eq!(discover_srv_with(&addr("d.example"), addr_, TIMEOUT), None);
}
