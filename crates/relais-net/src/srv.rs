//! Service discovery by DNS SRV records (RFC 6186, RFC 8314 §5.1): a person types only an
//! address and gets the IMAP and submission servers of its domain.
//!
//! A small hand-written DNS client, on purpose: only SRV questions over UDP (RFC 1035,
//! RFC 2782), no EDNS, no TCP fallback (a truncated answer is a failure), no cache, no
//! DNSSEC. Every packet is read through a bounds-checked cursor; a hostile or short packet is
//! an error, never a panic. An answer is taken only if it comes from the resolver's address
//! (connected socket), carries the transaction id of one of our questions (random), has the
//! QR bit set and repeats our question; anything else is ignored and we keep waiting.
//!
//! The four names are asked at once on one socket; after `timeout` the unanswered ones are
//! asked once more (to the next `nameserver` if there is one), so a lookup takes at most
//! twice `timeout`.
//!
//! Choosing a server (RFC 6186 §3.4, RFC 8314 §5.1, RFC 2782):
//! - `_imaps._tcp` gives implicit TLS, `_imap._tcp` STARTTLS; `_submissions._tcp` implicit
//!   TLS, `_submission._tcp` STARTTLS;
//! - a record whose target is `.` says the service is not offered: it is never used;
//! - the lowest priority wins *across* the two labels of a protocol (the priority is how a
//!   domain says which of its services it prefers); at equal priority implicit TLS wins;
//! - among the records of the chosen label and priority, RFC 2782's weighted random choice.
//!
//! Discovery answers only when each of the four lookups got a clear answer (records, or no
//! such name / no records): a lookup that times out, fails at the server (SERVFAIL…) or gets
//! a malformed or truncated answer makes the whole discovery inconclusive (`None`), rather
//! than silently choosing a service the domain may not prefer.
//!
//! DNS without DNSSEC is not authenticated: what is found is a *suggestion* for the person to
//! confirm, and the TLS connection is still checked against the operator's IGC-Santé anchors.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::profile::{Security, ServerEndpoint};

/// Timeout of one attempt (the query is sent at most twice).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

const TYPE_CNAME: u16 = 5;
const TYPE_SRV: u16 = 33;
const CLASS_IN: u16 = 1;
const HEADER_LEN: usize = 12;
const MAX_NAME_LEN: usize = 255;
const MAX_LABEL_LEN: usize = 63;
const ATTEMPTS: usize = 2;

/// One SRV record (RFC 2782). `target` is lowercase, without the final dot; empty for `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// Why a lookup gave no clear answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DnsError {
    /// The name cannot be asked (empty label, label over 63 bytes, name over 255 bytes).
    BadName,
    /// The packet is not a well-formed DNS message.
    Malformed,
    /// The answer has the TC bit (no TCP fallback here).
    Truncated,
    /// The server answered with this RCODE (other than 0 and NXDOMAIN).
    Server(u8),
    /// No answer in time.
    Timeout,
    /// The socket could not be used (no network, resolver refused…).
    Io(ErrorKind),
    /// No random numbers for the transaction ids.
    NoRandom,
}

/// Servers of the address's domain, or `None` (see the module documentation).
pub(crate) fn discover(
    domain: &str,
    resolvers: &[SocketAddr],
    timeout: Duration,
) -> Option<(ServerEndpoint, ServerEndpoint)> {
    let domain = domain.trim_end_matches('.');
    if domain.is_empty() || resolvers.is_empty() {
        return None;
    }
    let names = [
        format!("_imaps._tcp.{domain}"),
        format!("_imap._tcp.{domain}"),
        format!("_submissions._tcp.{domain}"),
        format!("_submission._tcp.{domain}"),
    ];
    let mut answers = lookup_srv(&names, resolvers, timeout).into_iter();
    let mut next = || answers.next().and_then(|a| a.ok());
    let (imaps, imap, submissions, submission) = (next()?, next()?, next()?, next()?);
    let imap = choose(&imaps, &imap, random_u32()?)?;
    let submission = choose(&submissions, &submission, random_u32()?)?;
    Some((imap, submission))
}

/// The resolvers of the system: `nameserver` lines of `/etc/resolv.conf` (port 53).
///
/// On Windows and macOS (where `/etc/resolv.conf` is absent or not what the system uses),
/// `None` for now: callers fall back to the operator profile.
pub(crate) fn system_resolvers() -> Option<Vec<SocketAddr>> {
    if cfg!(any(windows, target_os = "macos", target_os = "ios")) {
        return None;
    }
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    let servers = parse_resolv_conf(&text);
    (!servers.is_empty()).then_some(servers)
}

/// `nameserver` addresses of a `resolv.conf` text; comments, other keywords and addresses
/// that are not IP addresses (or have an IPv6 zone) are skipped.
pub(crate) fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let line = line.split(['#', ';']).next().unwrap_or("");
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver")).then_some(())?;
            let ip: IpAddr = words.next()?.parse().ok()?;
            Some(SocketAddr::new(ip, 53))
        })
        .collect()
}

/// The endpoint to use among the records of the implicit-TLS label and those of the
/// STARTTLS label of one protocol; `roll` is a random number for the weighted choice.
pub(crate) fn choose(
    tls: &[SrvRecord],
    starttls: &[SrvRecord],
    roll: u32,
) -> Option<ServerEndpoint> {
    let usable = |records: &[SrvRecord]| -> Vec<SrvRecord> {
        records
            .iter()
            .filter(|r| !r.target.is_empty() && r.port != 0 && is_host_name(&r.target))
            .cloned()
            .collect()
    };
    let tls = usable(tls);
    let starttls = usable(starttls);
    let best = |records: &[SrvRecord]| records.iter().map(|r| r.priority).min();
    let (records, security) = match (best(&tls), best(&starttls)) {
        (None, None) => return None,
        (Some(_), None) => (tls, Security::Tls),
        (None, Some(_)) => (starttls, Security::Starttls),
        (Some(t), Some(s)) if t <= s => (tls, Security::Tls),
        (Some(_), Some(_)) => (starttls, Security::Starttls),
    };
    let priority = best(&records)?;
    let same: Vec<&SrvRecord> = records.iter().filter(|r| r.priority == priority).collect();
    let chosen = pick_weighted(&same, roll)?;
    Some(ServerEndpoint {
        host: chosen.target.clone(),
        port: Some(chosen.port),
        security,
    })
}

/// RFC 2782's selection among records of one priority: records of weight 0 first, running
/// sums, the first whose running sum reaches a random number in `0..=sum`.
pub(crate) fn pick_weighted<'a>(records: &[&'a SrvRecord], roll: u32) -> Option<&'a SrvRecord> {
    let mut ordered: Vec<&SrvRecord> = records.to_vec();
    ordered.sort_by_key(|r| r.weight != 0); // stable: weight-0 records first, in order
    let sum: u32 = ordered.iter().map(|r| u32::from(r.weight)).sum();
    let threshold = roll % (sum + 1);
    let mut running = 0u32;
    for record in &ordered {
        running += u32::from(record.weight);
        if running >= threshold {
            return Some(record);
        }
    }
    ordered.last().copied()
}

/// Whether `name` is a usable host name (letters, digits, hyphens; labels of 1 to 63 bytes
/// not starting or ending with a hyphen).
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn random_u32() -> Option<u32> {
    getrandom::u32().ok()
}

/// Ask for the SRV records of each name; one result per name, in order. `Ok(vec![])` for a
/// name that does not exist or has no SRV record.
pub(crate) fn lookup_srv(
    names: &[String],
    resolvers: &[SocketAddr],
    timeout: Duration,
) -> Vec<Result<Vec<SrvRecord>, DnsError>> {
    let mut results: Vec<Option<Result<Vec<SrvRecord>, DnsError>>> = vec![None; names.len()];
    let mut queries = Vec::with_capacity(names.len());
    let mut ids: Vec<u16> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let id = loop {
            let Some(id) = random_u32().map(|r| r as u16) else {
                return vec![Err(DnsError::NoRandom); names.len()];
            };
            if !ids.contains(&id) {
                break id;
            }
        };
        ids.push(id);
        match build_query(id, name) {
            Ok(packet) => queries.push(Some(packet)),
            Err(e) => {
                results[i] = Some(Err(e));
                queries.push(None);
            }
        }
    }
    for attempt in 0..ATTEMPTS {
        if results.iter().all(Option::is_some) || resolvers.is_empty() {
            break;
        }
        let server = resolvers[attempt % resolvers.len()];
        if let Err(e) = exchange(server, names, &ids, &queries, &mut results, timeout) {
            for result in results.iter_mut().filter(|r| r.is_none()) {
                if attempt + 1 == ATTEMPTS {
                    *result = Some(Err(e.clone()));
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or(Err(DnsError::Timeout)))
        .collect()
}

/// One attempt: send the unanswered questions to `server`, read answers until all are
/// answered or `timeout` has passed.
fn exchange(
    server: SocketAddr,
    names: &[String],
    ids: &[u16],
    queries: &[Option<Vec<u8>>],
    results: &mut [Option<Result<Vec<SrvRecord>, DnsError>>],
    timeout: Duration,
) -> Result<(), DnsError> {
    let io = |e: std::io::Error| DnsError::Io(e.kind());
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).map_err(io)?;
    socket.connect(server).map_err(io)?;
    for (query, result) in queries.iter().zip(results.iter()) {
        if let (Some(packet), None) = (query, result) {
            socket.send(packet).map_err(io)?;
        }
    }
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    while results.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DnsError::Timeout);
        }
        socket.set_read_timeout(Some(left)).map_err(io)?;
        let len = match socket.recv(&mut buf) {
            Ok(len) => len,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(DnsError::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        let packet = &buf[..len];
        let Some(id) = packet.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
            continue;
        };
        let Some(i) = ids.iter().position(|&q| q == id) else {
            continue; // not one of our transaction ids: ignored
        };
        if results[i].is_some() {
            continue; // a duplicate
        }
        match parse_response(packet, id, &names[i]) {
            Ok(records) => results[i] = Some(Ok(records)),
            Err(Answer::NotOurs) => continue,
            Err(Answer::Failed(e)) => results[i] = Some(Err(e)),
        }
    }
    Ok(())
}

/// A DNS query for the SRV records of `name` (recursion desired).
pub(crate) fn build_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let mut packet = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&0x0100u16.to_be_bytes()); // QR=0, OPCODE=0, RD=1
    packet.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1, AN=NS=AR=0
    let mut wire = 1; // the root label
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN || !label.is_ascii() {
            return Err(DnsError::BadName);
        }
        wire += label.len() + 1;
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    if wire > MAX_NAME_LEN {
        return Err(DnsError::BadName);
    }
    packet.push(0);
    packet.extend_from_slice(&TYPE_SRV.to_be_bytes());
    packet.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(packet)
}

/// Why a packet gave no records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Not an answer to this question (wrong id, not a response, another question, or too
    /// short to tell): to be ignored.
    NotOurs,
    /// The answer to this question, but a failure.
    Failed(DnsError),
}

/// The SRV records of the answer to the question `(id, name, SRV, IN)`. Records of other
/// types are ignored, except CNAMEs to follow the owner name; SRV records of other owners
/// are ignored. NXDOMAIN gives no records.
pub(crate) fn parse_response(packet: &[u8], id: u16, name: &str) -> Result<Vec<SrvRecord>, Answer> {
    let mut r = Reader::new(packet);
    let head = (|| {
        let got_id = r.u16()?;
        let flags = r.u16()?;
        let counts = [r.u16()?, r.u16()?, r.u16()?, r.u16()?];
        let qname = r.name()?;
        let (qtype, qclass) = (r.u16()?, r.u16()?);
        Ok::<_, DnsError>((got_id, flags, counts, qname, qtype, qclass))
    })();
    let Ok((got_id, flags, [qd, an, _ns, _ar], qname, qtype, qclass)) = head else {
        return Err(Answer::NotOurs);
    };
    let asked = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let is_response = flags & 0x8000 != 0;
    let opcode = (flags >> 11) & 0xF;
    if got_id != id
        || !is_response
        || opcode != 0
        || qd != 1
        || qname != asked
        || qtype != TYPE_SRV
        || qclass != CLASS_IN
    {
        return Err(Answer::NotOurs);
    }
    if flags & 0x0200 != 0 {
        return Err(Answer::Failed(DnsError::Truncated));
    }
    match (flags & 0xF) as u8 {
        0 => {}
        3 => return Ok(Vec::new()), // NXDOMAIN
        rcode => return Err(Answer::Failed(DnsError::Server(rcode))),
    }
    parse_answers(&mut r, an, &asked).map_err(Answer::Failed)
}

fn parse_answers(r: &mut Reader<'_>, count: u16, asked: &str) -> Result<Vec<SrvRecord>, DnsError> {
    let mut srv: Vec<(String, SrvRecord)> = Vec::new();
    let mut cnames: Vec<(String, String)> = Vec::new();
    for _ in 0..count {
        let owner = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        let _ttl = r.u32()?;
        let len = usize::from(r.u16()?);
        let start = r.pos;
        let end = start.checked_add(len).ok_or(DnsError::Malformed)?;
        if end > r.buf.len() {
            return Err(DnsError::Malformed);
        }
        match (rtype, class) {
            (TYPE_SRV, CLASS_IN) => {
                let record = SrvRecord {
                    priority: r.u16()?,
                    weight: r.u16()?,
                    port: r.u16()?,
                    target: r.name()?,
                };
                if r.pos != end {
                    return Err(DnsError::Malformed);
                }
                srv.push((owner, record));
            }
            (TYPE_CNAME, CLASS_IN) => {
                let target = r.name()?;
                if r.pos != end {
                    return Err(DnsError::Malformed);
                }
                cnames.push((owner, target));
            }
            _ => r.pos = end,
        }
    }
    // The names that stand for the question: itself and the CNAME chain from it.
    let mut aliases = vec![asked.to_owned()];
    for _ in 0..cnames.len() {
        let Some(last) = aliases.last() else { break };
        let Some((_, target)) = cnames.iter().find(|(owner, _)| owner == last) else {
            break;
        };
        if aliases.contains(target) {
            break;
        }
        aliases.push(target.clone());
    }
    Ok(srv
        .into_iter()
        .filter(|(owner, _)| aliases.contains(owner))
        .map(|(_, record)| record)
        .collect())
}

/// A bounds-checked cursor over a DNS message.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self.pos.checked_add(n).ok_or(DnsError::Malformed)?;
        let bytes = self.buf.get(self.pos..end).ok_or(DnsError::Malformed)?;
        self.pos = end;
        Ok(bytes)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, DnsError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A domain name at the cursor, following compression pointers (RFC 1035 §4.1.4);
    /// lowercase, labels joined by `.`, no final dot; `""` for the root. The cursor moves
    /// past the name as written here (up to and including its first pointer).
    ///
    /// Every pointer must point before the start of the labels being read, so reading
    /// always ends; names over 255 bytes, extended label types and labels with bytes that
    /// are not printable ASCII (or are `.`) are refused.
    fn name(&mut self) -> Result<String, DnsError> {
        let mut out = String::new();
        let mut wire = 1usize;
        let mut pos = self.pos;
        let mut segment_start = self.pos;
        let mut resume: Option<usize> = None;
        loop {
            let len = *self.buf.get(pos).ok_or(DnsError::Malformed)?;
            match len & 0xC0 {
                0x00 if len == 0 => {
                    self.pos = resume.unwrap_or(pos + 1);
                    return Ok(out);
                }
                0x00 => {
                    let len = usize::from(len);
                    let label = self
                        .buf
                        .get(pos + 1..pos + 1 + len)
                        .ok_or(DnsError::Malformed)?;
                    wire += len + 1;
                    if wire > MAX_NAME_LEN {
                        return Err(DnsError::Malformed);
                    }
                    if label.iter().any(|&b| !b.is_ascii_graphic() || b == b'.') {
                        return Err(DnsError::Malformed);
                    }
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.extend(label.iter().map(|&b| char::from(b.to_ascii_lowercase())));
                    pos += 1 + len;
                }
                0xC0 => {
                    let low = *self.buf.get(pos + 1).ok_or(DnsError::Malformed)?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                    if target >= segment_start {
                        return Err(DnsError::Malformed);
                    }
                    resume.get_or_insert(pos + 2);
                    segment_start = target;
                    pos = target;
                }
                _ => return Err(DnsError::Malformed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    /// An answer to `build_query(id, name)` with `records`, owner names and targets
    /// compressed against the question.
    fn answer(id: u16, name: &str, records: &[SrvRecord]) -> Vec<u8> {
        let mut p = build_query(id, name).unwrap();
        p[2] = 0x81; // QR, RD
        p[3] = 0x80; // RA
        p[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
        // Offset of "<domain>" inside the question: after "_service._tcp".
        let mut labels = name.split('.');
        let first = labels.next().unwrap().len();
        let second = labels.next().unwrap().len();
        let domain_at = (HEADER_LEN + 1 + first + 1 + second) as u16;
        for record in records {
            p.extend_from_slice(&(0xC000u16 | HEADER_LEN as u16).to_be_bytes());
            p.extend_from_slice(&TYPE_SRV.to_be_bytes());
            p.extend_from_slice(&CLASS_IN.to_be_bytes());
            p.extend_from_slice(&300u32.to_be_bytes());
            let mut rdata = Vec::new();
            rdata.extend_from_slice(&record.priority.to_be_bytes());
            rdata.extend_from_slice(&record.weight.to_be_bytes());
            rdata.extend_from_slice(&record.port.to_be_bytes());
            let domain = name.splitn(3, '.').nth(2).unwrap();
            match record.target.strip_suffix(&format!(".{domain}")) {
                Some(host) => {
                    for label in host.split('.') {
                        rdata.push(label.len() as u8);
                        rdata.extend_from_slice(label.as_bytes());
                    }
                    rdata.extend_from_slice(&(0xC000 | domain_at).to_be_bytes());
                }
                None => {
                    for label in record.target.split('.').filter(|l| !l.is_empty()) {
                        rdata.push(label.len() as u8);
                        rdata.extend_from_slice(label.as_bytes());
                    }
                    rdata.push(0);
                }
            }
            p.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            p.extend_from_slice(&rdata);
        }
        p
    }

    #[test]
    fn builds_a_query() {
        let q = build_query(0x1234, "_imaps._tcp.ch-demo.mssante.fr.").unwrap();
        let mut expected = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in ["_imaps", "_tcp", "ch-demo", "mssante", "fr"] {
            expected.push(label.len() as u8);
            expected.extend_from_slice(label.as_bytes());
        }
        expected.extend_from_slice(&[0, 0, 33, 0, 1]);
        assert_eq!(q, expected);
        assert_eq!(build_query(1, "a..b"), Err(DnsError::BadName));
        assert_eq!(build_query(1, ""), Err(DnsError::BadName));
        assert_eq!(
            build_query(1, &format!("{}.fr", "a".repeat(64))),
            Err(DnsError::BadName)
        );
        let long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(build_query(1, &long), Err(DnsError::BadName));
        assert!(build_query(1, &long[..long.len() - 2]).is_ok());
    }

    #[test]
    fn parses_compressed_answers() {
        let name = "_imaps._tcp.example.fr";
        let records = [
            srv(0, 5, 993, "imap.example.fr"),
            srv(1, 0, 993, "other.host.net"),
        ];
        let packet = answer(7, name, &records);
        assert_eq!(parse_response(&packet, 7, name), Ok(records.to_vec()));
        // The question is compared without regard to case.
        assert_eq!(
            parse_response(&packet, 7, "_IMAPS._tcp.Example.FR."),
            Ok(records.to_vec())
        );
    }

    #[test]
    fn ignores_what_is_not_our_answer() {
        let name = "_imaps._tcp.example.fr";
        let packet = answer(7, name, &[srv(0, 0, 993, "imap.example.fr")]);
        assert_eq!(parse_response(&packet, 8, name), Err(Answer::NotOurs));
        assert_eq!(
            parse_response(&packet, 7, "_imap._tcp.example.fr"),
            Err(Answer::NotOurs)
        );
        let mut query = packet.clone();
        query[2] &= 0x7F; // QR = 0: a query, not a response
        assert_eq!(parse_response(&query, 7, name), Err(Answer::NotOurs));
        assert_eq!(parse_response(&packet[..5], 7, name), Err(Answer::NotOurs));
    }

    #[test]
    fn rcodes_and_truncation() {
        let name = "_imap._tcp.example.fr";
        let mut p = answer(9, name, &[]);
        p[3] = 0x83;
        assert_eq!(parse_response(&p, 9, name), Ok(vec![]));
        p[3] = 0x82;
        assert_eq!(
            parse_response(&p, 9, name),
            Err(Answer::Failed(DnsError::Server(2)))
        );
        let mut p = answer(9, name, &[srv(0, 0, 143, "imap.example.fr")]);
        p[2] |= 0x02;
        assert_eq!(
            parse_response(&p, 9, name),
            Err(Answer::Failed(DnsError::Truncated))
        );
        let p = answer(9, name, &[srv(0, 0, 143, "imap.example.fr")]);
        for cut in HEADER_LEN + name.len() + 6..p.len() {
            assert_eq!(
                parse_response(&p[..cut], 9, name),
                Err(Answer::Failed(DnsError::Malformed)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn follows_cnames_and_skips_other_types() {
        let name = "_imaps._tcp.example.fr";
        let mut p = build_query(3, name).unwrap();
        p[2] = 0x81;
        p[7] = 3;
        let q_end = p.len();
        // A record (type 1) for the question, to be skipped.
        p.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1]);
        // CNAME question -> "alias.example.fr" (compressed against the question's domain).
        let cname_rdata_at = p.len() + 12;
        p.extend_from_slice(&[0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 8]);
        p.extend_from_slice(&[5, b'a', b'l', b'i', b'a', b's', 0xC0, 24]);
        // SRV owned by the alias (pointer to the CNAME's target).
        p.extend_from_slice(&(0xC000u16 | cname_rdata_at as u16).to_be_bytes());
        p.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 60, 0, 13, 0, 0, 0, 0, 3, 0xE1]);
        p.extend_from_slice(&[4, b'i', b'm', b'a', b'p', 0xC0, 24]);
        assert!(q_end < cname_rdata_at);
        assert_eq!(
            parse_response(&p, 3, name),
            Ok(vec![srv(0, 0, 993, "imap.example.fr")])
        );
    }

    #[test]
    fn refuses_pointer_loops_and_forward_pointers() {
        let name = "_imaps._tcp.example.fr";
        let mut p = answer(5, name, &[]);
        p[7] = 1;
        // Owner is a pointer to itself.
        let at = p.len() as u16;
        p.extend_from_slice(&(0xC000 | at).to_be_bytes());
        p.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            parse_response(&p, 5, name),
            Err(Answer::Failed(DnsError::Malformed))
        );
        // Label then a pointer back to that label (a loop through an earlier label).
        let mut p = answer(5, name, &[]);
        p[7] = 1;
        let at = p.len() as u16;
        p.extend_from_slice(&[1, b'x']);
        p.extend_from_slice(&(0xC000 | at).to_be_bytes());
        p.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            parse_response(&p, 5, name),
            Err(Answer::Failed(DnsError::Malformed))
        );
    }

    #[test]
    fn choice_follows_the_rules() {
        let t = [srv(10, 0, 993, "imaps.d.fr")];
        let s = [srv(5, 0, 143, "imap.d.fr")];
        let e = choose(&t, &s, 0).unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.security),
            ("imap.d.fr", Some(143), Security::Starttls)
        );
        let s = [srv(10, 0, 143, "imap.d.fr")];
        assert_eq!(choose(&t, &s, 0).unwrap().security, Security::Tls);
        let dot = [srv(0, 0, 0, "")];
        assert_eq!(choose(&dot, &s, 0).unwrap().security, Security::Starttls);
        assert_eq!(choose(&dot, &dot, 0), None);
        assert_eq!(choose(&[], &[], 0), None);
        assert_eq!(choose(&[srv(0, 0, 993, "bad_host!")], &[], 0), None);
        assert_eq!(choose(&[srv(0, 0, 0, "h.fr")], &[], 0), None);
    }

    #[test]
    fn weighted_choice() {
        let a = srv(0, 0, 1, "a");
        let b = srv(0, 1, 2, "b");
        let c = srv(0, 3, 3, "c");
        let all = [&b, &c, &a];
        // Ordered a(0) b(1) c(3); sums 0, 1, 4; threshold = roll % 5.
        let picks: Vec<u16> = (0..5)
            .map(|roll| pick_weighted(&all, roll).unwrap().port)
            .collect();
        assert_eq!(picks, [1, 2, 3, 3, 3]);
        let zeros = [&a, &srv(0, 0, 9, "z")];
        assert_eq!(pick_weighted(&zeros, 12345).unwrap().port, 1);
        assert_eq!(pick_weighted(&[], 0), None);
        let heavy = srv(0, u16::MAX, 4, "h");
        assert_eq!(pick_weighted(&[&heavy, &heavy], u32::MAX).unwrap().port, 4);
    }

    #[test]
    fn reads_resolv_conf() {
        let text = "# comment\nsearch example.fr\nnameserver 10.0.0.1 # local\n\
                    nameserver ::1\nnameserver fe80::1%eth0\nnameserver\n;nameserver 1.1.1.1\n\
                    options timeout:1\n  nameserver   192.0.2.7\n";
        let servers: Vec<String> = parse_resolv_conf(text)
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(servers, ["10.0.0.1:53", "[::1]:53", "192.0.2.7:53"]);
    }

    /// A deterministic pseudo-random generator (xorshift64*), for the fuzz loops.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let name = "_imaps._tcp.example.fr";
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        for _ in 0..20_000 {
            let len = rng.below(600);
            let mut p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Half of them with our id and the QR bit, to get past the first checks.
            if p.len() >= 4 && rng.below(2) == 0 {
                p[0] = 0;
                p[1] = 42;
                p[2] |= 0x80;
            }
            let _ = parse_response(&p, 42, name);
            let _ = Reader::new(&p).name();
        }
    }

    #[test]
    fn mutated_answers_never_panic() {
        let name = "_submissions._tcp.example.fr";
        let good = answer(
            42,
            name,
            &[
                srv(0, 1, 465, "smtp.example.fr"),
                srv(0, 2, 465, "relay.other.net"),
            ],
        );
        let mut rng = Rng(0xDEAD_BEEF_0BAD_F00D);
        let mut parsed = 0;
        for _ in 0..50_000 {
            let mut p = good.clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(4) {
                    0 => {
                        let i = rng.below(p.len());
                        p[i] = rng.next() as u8;
                    }
                    1 => p.truncate(rng.below(p.len() + 1)),
                    2 => {
                        let i = rng.below(p.len() + 1);
                        p.insert(i, rng.next() as u8);
                    }
                    _ => {
                        // A random compression pointer somewhere.
                        if p.len() >= 2 {
                            let i = rng.below(p.len() - 1);
                            p[i] = 0xC0 | (rng.next() as u8 & 0x3F);
                            p[i + 1] = rng.next() as u8;
                        }
                    }
                }
                if p.is_empty() {
                    break;
                }
            }
            if let Ok(records) = parse_response(&p, 42, name) {
                parsed += 1;
                for r in records {
                    assert!(r.target.len() <= MAX_NAME_LEN);
                }
            }
        }
        assert!(parsed > 0, "some mutations keep a valid answer");
    }
}
