//! Which boxes a person may open, found by real logins with their own credentials.
//!
//! Three sources, and only what a real login opens is kept:
//! - the person's own (nominative) box, when their login is an address;
//! - boxes the server shows in a shared namespace (RFC 2342) with MYRIGHTS (RFC 4314);
//! - the operator profile's list of organisational boxes, each tried with a delegated login
//!   (SASL PLAIN authzid = the box, or XOAUTH2 `user=` the box).
//!
//! Nobody types a shared password, and a box the person is not entitled to never appears.

use relais_core::{Access, BoxAddress, BoxKind, Entitlement, Rights};
use relais_net::{Credentials, ImapSession, NetError, OperatorProfile, TlsPolicy};

use crate::error::{EngineError, Result};

/// What the logins found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub boxes: Vec<Entitlement>,
    /// The person's own box, if their login opened one.
    pub own_box: Option<BoxAddress>,
}

/// A display name for a box the operator gives no name for: its local part in words
/// (`secretariat.cardio` → « Secretariat cardio »).
pub fn derived_display_name(address: &BoxAddress) -> String {
    let words: Vec<String> = address
        .local()
        .split(['.', '-', '_'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut name = words.join(" ");
    if let Some(first) = name.get(..1) {
        name = first.to_uppercase() + &name[1..];
    }
    name
}

/// The operator's name for a box, else one derived from its address.
fn display_name(profile: &OperatorProfile, address: &BoxAddress) -> String {
    profile
        .boxes
        .name_of(address)
        .map(str::to_string)
        .unwrap_or_else(|| derived_display_name(address))
}

fn is_refusal(e: &NetError) -> bool {
    matches!(
        e,
        NetError::AuthenticationFailed { .. }
            | NetError::AuthorizationFailed { .. }
            | NetError::TokenRefused { .. }
    )
}

fn inbox_rights(session: &mut ImapSession, mailbox: &str) -> Rights {
    // A server without the ACL extension gives no rights: the owner of a session has all.
    session
        .my_rights(mailbox)
        .unwrap_or_else(|_| Rights::full())
}

/// Find the boxes `credentials` open. `own_candidates` are the person's possible own boxes,
/// best first: the first that opens is their nominative box.
pub fn discover(
    profile: &OperatorProfile,
    tls: &TlsPolicy,
    credentials: &Credentials,
    own_candidates: &[BoxAddress],
) -> Result<Discovery> {
    let mut boxes: Vec<Entitlement> = Vec::new();
    let mut own_box = None;
    let mut first_refusal: Option<NetError> = None;

    for own in own_candidates
        .iter()
        .filter(|a| !profile.is_organisational(a))
    {
        if own_box.is_some() {
            break;
        }
        match ImapSession::connect(profile, tls, credentials, own) {
            Ok(mut session) => {
                let rights = inbox_rights(&mut session, "INBOX");
                boxes.push(Entitlement {
                    address: own.clone(),
                    kind: BoxKind::Nominative,
                    display_name: String::new(),
                    rights,
                    access: Access::OwnLogin,
                });
                own_box = Some(own.clone());
                // Shared-namespace operators show the service boxes inside this session.
                match session.list_shared_boxes() {
                    Ok(shared) => {
                        for b in shared {
                            boxes.push(Entitlement {
                                display_name: display_name(profile, &b.address),
                                address: b.address,
                                kind: BoxKind::Organisational,
                                rights: b.rights.unwrap_or_else(Rights::full),
                                access: Access::SharedNamespace { prefix: b.prefix },
                            });
                        }
                    }
                    // The boxes of the profile's list are still tried below; what the shared
                    // namespace would have added is missing, and the log says why.
                    Err(e) => tracing::warn!(error = %e, "boîtes partagées non listées"),
                }
                session.logout();
            }
            Err(e) if is_refusal(&e) => first_refusal = Some(e),
            Err(e) => return Err(e.into()),
        }
    }

    // The profile's service boxes not already found, tried at once: Dovecot delays every
    // later login from an address after a refusal, so sequential tries would add up.
    let candidates: Vec<BoxAddress> = profile
        .boxes
        .organisational
        .iter()
        .filter(|a| !boxes.iter().any(|b| &b.address == *a))
        .cloned()
        .collect();
    let results: Vec<(BoxAddress, std::result::Result<Rights, NetError>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .iter()
                .map(|address| {
                    scope.spawn(move || {
                        let result = ImapSession::connect(profile, tls, credentials, address).map(
                            |mut session| {
                                let rights = inbox_rights(&mut session, "INBOX");
                                session.logout();
                                rights
                            },
                        );
                        (address.clone(), result)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
    for (address, result) in results {
        match result {
            Ok(rights) => boxes.push(Entitlement {
                display_name: display_name(profile, &address),
                address,
                kind: BoxKind::Organisational,
                rights,
                access: Access::Delegated,
            }),
            Err(e) if is_refusal(&e) => {
                first_refusal.get_or_insert(e);
            }
            Err(e) => return Err(e.into()),
        }
    }

    if boxes.is_empty() {
        return Err(match first_refusal {
            Some(NetError::TokenRefused { .. }) => EngineError::SessionEnded,
            _ => EngineError::NoBoxOpened,
        });
    }
    Ok(Discovery { boxes, own_box })
}
