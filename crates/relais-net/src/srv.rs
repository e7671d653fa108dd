//! Service discovery by DNS SRV records (RFC 6186, RFC 8314 §5.1): a person types only an
//! address and gets the IMAP and submission servers of its domain.
//!
//! The DNS questions are asked by `hickory-resolver` (UDP, TCP when an answer is truncated;
//! random transaction ids and source ports, answers checked against the question; no
//! DNSSEC), on a small single-thread Tokio runtime of its own so the (synchronous) callers
//! block as with any other network call. Names are asked fully qualified: no search domain
//! of the system is appended.
//!
//! The four names are asked at once; an unanswered question is sent again (to the next
//! resolver if there are several) after `timeout`, once, so a lookup takes at most about
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
//! a malformed answer makes the whole discovery inconclusive (`None`), rather than silently
//! choosing a service the domain may not prefer.
//!
//! DNS without DNSSEC is not authenticated: what is found is a *suggestion* for the person to
//! confirm, and the TLS connection is still checked against the operator's IGC-Santé anchors.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::{Resolver, TokioResolver};

use crate::profile::{Security, ServerEndpoint};

/// Timeout of one attempt (the query is sent at most twice).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

const MAX_LABEL_LEN: usize = 63;

/// One SRV record (RFC 2782). `target` is lowercase, without the final dot; empty for `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// Which resolvers to ask.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resolvers {
    /// Those of the system (`/etc/resolv.conf`, the Windows registry, macOS's System
    /// Configuration).
    System,
    /// This one (port included), over UDP (and TCP for a truncated answer).
    At(SocketAddr),
}

/// Servers of the address's domain, or `None` (see the module documentation).
pub(crate) fn discover(
    domain: &str,
    resolvers: Resolvers,
    timeout: Duration,
) -> Option<(ServerEndpoint, ServerEndpoint)> {
    let domain = domain.trim_end_matches('.');
    if domain.is_empty() {
        return None;
    }
    let names = [
        format!("_imaps._tcp.{domain}."),
        format!("_imap._tcp.{domain}."),
        format!("_submissions._tcp.{domain}."),
        format!("_submission._tcp.{domain}."),
    ];
    let mut answers = lookup_srv(&names, resolvers, timeout)?.into_iter();
    let mut next = || answers.next().flatten();
    let (imaps, imap, submissions, submission) = (next()?, next()?, next()?, next()?);
    let imap = choose(&imaps, &imap, random_u32()?)?;
    let submission = choose(&submissions, &submission, random_u32()?)?;
    Some((imap, submission))
}

/// Ask for the SRV records of each name (fully qualified); one result per name, in order,
/// `Some(vec![])` for a name that does not exist or has no SRV record, `None` for no clear
/// answer (a name that cannot be asked, timeout, server failure, malformed answer, network
/// error). `None` as a whole when no resolver can be set up (no system configuration).
fn lookup_srv(
    names: &[String; 4],
    resolvers: Resolvers,
    timeout: Duration,
) -> Option<Vec<Option<Vec<SrvRecord>>>> {
    let (config, mut options) = match resolvers {
        Resolvers::System => hickory_resolver::system_conf::read_system_conf().ok()?,
        Resolvers::At(server) => {
            let mut ns = NameServerConfig::udp_and_tcp(server.ip());
            for connection in &mut ns.connections {
                connection.port = server.port();
            }
            (
                ResolverConfig::from_name_servers(vec![ns]),
                ResolverOpts::default(),
            )
        }
    };
    options.timeout = timeout;
    options.attempts = 1; // one more try after a failed one
    options.num_concurrent_reqs = 1;
    options.cache_size = 0;
    options.preserve_intermediates = false;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    // A thread of its own: the caller may itself run inside an asynchronous runtime, where
    // blocking on another one is not allowed.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                runtime.block_on(async {
                    let resolver: TokioResolver =
                        Resolver::builder_with_config(config, TokioRuntimeProvider::default())
                            .with_options(options)
                            .build()
                            .ok()?;
                    let [a, b, c, d] = names;
                    let (a, b, c, d) = tokio::join!(
                        ask(&resolver, a),
                        ask(&resolver, b),
                        ask(&resolver, c),
                        ask(&resolver, d)
                    );
                    Some(vec![a, b, c, d])
                })
            })
            .join()
            .ok()
            .flatten()
    })
}

/// The SRV records of `name` (see [`lookup_srv`]).
async fn ask(resolver: &TokioResolver, name: &str) -> Option<Vec<SrvRecord>> {
    let name = Name::from_utf8(name).ok()?;
    if name
        .iter()
        .any(|label| label.is_empty() || label.len() > MAX_LABEL_LEN)
    {
        return None;
    }
    match resolver.srv_lookup(name).await {
        Ok(lookup) => Some(
            lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::SRV(srv) => Some(SrvRecord {
                        priority: srv.priority,
                        weight: srv.weight,
                        port: srv.port,
                        target: srv
                            .target
                            .to_lowercase()
                            .to_ascii()
                            .trim_end_matches('.')
                            .to_string(),
                    }),
                    _ => None,
                })
                .collect(),
        ),
        Err(NetError::Dns(DnsError::NoRecordsFound(none)))
            if matches!(
                none.response_code,
                ResponseCode::NXDomain | ResponseCode::NoError
            ) =>
        {
            Some(Vec::new())
        }
        Err(_) => None,
    }
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
}
