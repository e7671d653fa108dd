//! Which boxes a person may open, found by real logins with their own credentials.
//!
//! Three sources, and only what a real login opens is kept:
//! - the person's own (nominative) box, when their login is an address;
//! - boxes the server shows in a shared namespace (RFC 2342) with MYRIGHTS (RFC 4314);
//! - the operator profile's list of organisational boxes, each tried with a delegated login
//!   (SASL PLAIN authzid = the box, or XOAUTH2 `user=` the box).
//!
//! Nobody types a shared password, and a box the person is not entitled to never appears.
//! A login whose INBOX the server refuses (a person with rights on service boxes only) gives
//! no own box. A failed discovery step is an error; rights the server will not tell are the
//! least rights (read-only) with a warning, never full rights.

use relais_core::{Access, BoxAddress, BoxKind, Entitlement, Rights};
use relais_net::{
    least_rights, ConnectOptions, Credentials, ImapSession, NetError, OperatorProfile, TlsPolicy,
};

use crate::error::{EngineError, Result};

/// What the logins found.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub boxes: Vec<Entitlement>,
    /// The person's own box, if their login opened one.
    pub own_box: Option<BoxAddress>,
    /// What the person should be told (French): boxes opened read-only because their rights
    /// could not be read, shared names that are no box, a login without a mailbox.
    pub warnings: Vec<String>,
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

/// The rights on the INBOX of the box the session logged into.
fn inbox_rights(session: &mut ImapSession, warnings: &mut Vec<String>) -> Result<Rights> {
    // Without the ACL extension (RFC 4314) there is no rights model: the box the login
    // opened is the session's own, with every right.
    if !session.has_capability("ACL") {
        return Ok(Rights::full());
    }
    match session.my_rights("INBOX") {
        Ok(rights) => Ok(rights),
        Err(e @ NetError::Unreachable { .. }) => Err(e.into()),
        Err(e) => {
            warnings.push(format!(
                "Vos droits sur la boîte {} n'ont pas pu être lus ({e}) : elle est ouverte en \
                 lecture seule.",
                session
                    .mailbox()
                    .map_or_else(String::new, ToString::to_string)
            ));
            Ok(least_rights())
        }
    }
}

/// Add the service boxes `session` shows under a shared namespace (RFC 2342) that are not
/// known yet, with their rights; what could not be read becomes a warning.
fn add_shared_boxes(
    profile: &OperatorProfile,
    session: &mut ImapSession,
    person_domain: Option<&str>,
    boxes: &mut Vec<Entitlement>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let (shared, mut shared_warnings) = session.list_shared_boxes(person_domain)?;
    warnings.append(&mut shared_warnings);
    for b in shared {
        if boxes.iter().any(|known| known.address == b.address) {
            continue;
        }
        warnings.extend(b.rights_warning);
        // Dovecot names a shared box's INBOX `<prefix>INBOX`; Cyrus, the owner level.
        let inbox = (b.inbox != format!("{}INBOX", b.prefix)).then_some(b.inbox);
        boxes.push(Entitlement {
            display_name: display_name(profile, &b.address),
            address: b.address,
            kind: BoxKind::Organisational,
            rights: b.rights,
            access: Access::SharedNamespace {
                prefix: b.prefix,
                inbox,
            },
        });
    }
    Ok(())
}

/// What a session of the login alone (no authorisation identity) found.
enum LoginAlone {
    Opened {
        boxes: Vec<Entitlement>,
        warnings: Vec<String>,
    },
    /// The server refused a login without a box (Dovecot, for a person with no mailbox).
    Refused(NetError),
}

/// The service boxes a session of the login alone shows under a shared namespace.
fn shared_boxes_of_login(
    profile: &OperatorProfile,
    tls: &TlsPolicy,
    credentials: &Credentials,
) -> Result<LoginAlone> {
    let mut session =
        match ImapSession::connect_login(profile, tls, credentials, &ConnectOptions::default()) {
            Ok(session) => session,
            Err(e) if is_refusal(&e) => return Ok(LoginAlone::Refused(e)),
            Err(e) => return Err(e.into()),
        };
    let domain = match credentials {
        Credentials::Password { login, .. } => login.split_once('@').map(|(_, d)| d.to_string()),
        Credentials::Bearer { .. } => None,
    };
    let (mut boxes, mut warnings) = (Vec::new(), Vec::new());
    add_shared_boxes(
        profile,
        &mut session,
        domain.as_deref(),
        &mut boxes,
        &mut warnings,
    )?;
    session.logout();
    Ok(LoginAlone::Opened { boxes, warnings })
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
    let mut warnings = Vec::new();
    // Whether a session of the person's own login opened (and its shared namespace was read).
    let mut login_session_seen = false;

    for own in own_candidates
        .iter()
        .filter(|a| !profile.is_organisational(a))
    {
        if own_box.is_some() {
            break;
        }
        match ImapSession::connect(profile, tls, credentials, own) {
            Ok(mut session) => {
                login_session_seen = true;
                if session.has_own_inbox()? {
                    let rights = inbox_rights(&mut session, &mut warnings)?;
                    boxes.push(Entitlement {
                        address: own.clone(),
                        kind: BoxKind::Nominative,
                        display_name: String::new(),
                        rights,
                        access: Access::OwnLogin,
                    });
                    own_box = Some(own.clone());
                } else {
                    warnings.push(format!(
                        "L'identifiant {own} n'a pas de boîte aux lettres à lui : seules les \
                         boîtes partagées avec vous sont ouvertes."
                    ));
                }
                // Shared-namespace operators show the service boxes inside this session.
                add_shared_boxes(
                    profile,
                    &mut session,
                    Some(own.domain()),
                    &mut boxes,
                    &mut warnings,
                )?;
                session.logout();
            }
            Err(e) if is_refusal(&e) => first_refusal = Some(e),
            Err(e) => return Err(e.into()),
        }
    }

    // The profile's service boxes not already found, tried at once: Dovecot delays every
    // later login from an address after a refusal, so sequential tries would add up.
    // A box the shared namespace showed is still tried delegated: a delegated session sees
    // the box as its owner does (its INBOX named INBOX, its own namespaces and special-use
    // folders). The shared namespace carries the boxes that cannot be opened delegated (Cyrus
    // refuses authzid = box without the `a` right).
    let candidates: Vec<BoxAddress> = profile
        .boxes
        .organisational
        .iter()
        .filter(|a| {
            !boxes
                .iter()
                .any(|b| &b.address == *a && !matches!(b.access, Access::SharedNamespace { .. }))
        })
        .cloned()
        .collect();
    // No session of the login itself yet (a login that is no address): the login alone may
    // still see service boxes through a shared namespace, as Cyrus shows them to people
    // without the `a` right, who cannot open them delegated. Tried beside the delegated
    // logins, as a refusal (Dovecot refuses a login without a mailbox) is delayed.
    let try_login_alone =
        !login_session_seen && matches!(credentials, Credentials::Password { .. });
    type Tried = (BoxAddress, Result<Rights>, Vec<String>);
    let (login_alone, results): (Option<Result<LoginAlone>>, Vec<Tried>) =
        std::thread::scope(|scope| {
            let login_alone = try_login_alone
                .then(|| scope.spawn(move || shared_boxes_of_login(profile, tls, credentials)));
            let handles: Vec<_> = candidates
                .iter()
                .map(|address| {
                    scope.spawn(move || {
                        let mut box_warnings = Vec::new();
                        let result = ImapSession::connect(profile, tls, credentials, address)
                            .map_err(EngineError::from)
                            .and_then(|mut session| {
                                let rights = inbox_rights(&mut session, &mut box_warnings);
                                session.logout();
                                rights
                            });
                        (address.clone(), result, box_warnings)
                    })
                })
                .collect();
            let login_alone = login_alone.and_then(|h| h.join().ok());
            (
                login_alone,
                handles.into_iter().filter_map(|h| h.join().ok()).collect(),
            )
        });
    match login_alone {
        Some(Ok(LoginAlone::Opened {
            boxes: shared,
            warnings: mut shared_warnings,
        })) => {
            warnings.append(&mut shared_warnings);
            for b in shared {
                if !boxes.iter().any(|known| known.address == b.address) {
                    boxes.push(b);
                }
            }
        }
        Some(Ok(LoginAlone::Refused(e))) => {
            first_refusal.get_or_insert(e);
        }
        Some(Err(e)) => return Err(e),
        None => {}
    }
    for (address, result, mut box_warnings) in results {
        warnings.append(&mut box_warnings);
        match result {
            Ok(rights) => {
                boxes.retain(|b| b.address != address);
                boxes.push(Entitlement {
                    display_name: display_name(profile, &address),
                    address,
                    kind: BoxKind::Organisational,
                    rights,
                    access: Access::Delegated,
                });
            }
            Err(EngineError::Net(e)) if is_refusal(&e) => {
                first_refusal.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }

    if boxes.is_empty() {
        return Err(match first_refusal {
            Some(NetError::TokenRefused { .. }) => EngineError::SessionEnded,
            _ => EngineError::NoBoxOpened,
        });
    }
    Ok(Discovery {
        boxes,
        own_box,
        warnings,
    })
}
