//! Mailbox names on the wire and the boxes of the shared namespaces, without a socket.
//!
//! - every mailbox name and LIST pattern is sent as an RFC 3501 quoted string (an `astring`
//!   or `list-mailbox` may always be quoted; an atom would refuse `Other Users/` and its space);
//! - namespaces, prefixes and delimiters come from NAMESPACE (RFC 2342), never from habit;
//! - a shared name is `<prefix><owner><delimiter><folder>…`: the owner is `local@domain`
//!   (Dovecot, Cyrus across domains) or a bare local part (Cyrus within the person's domain),
//!   which then belongs to the person's domain;
//! - a box's INBOX is named exactly as the server lists it: `<prefix><owner>/INBOX` (Dovecot)
//!   or `<prefix><owner>` itself (Cyrus).

use relais_core::{BoxAddress, Rights};

use crate::imap::{Namespace, SharedBox};

/// The rights given when the server does not say (MYRIGHTS refused): read-only, never more.
pub fn least_rights() -> Rights {
    Rights::parse("lr").unwrap_or_else(|_| Rights::none())
}

/// `name` as an RFC 3501 quoted string (`"…"`, with `\` and `"` escaped), or `None` when it
/// cannot be one (CR, LF, NUL or 8-bit: such a name needs modified UTF-7 first).
pub fn quoted(name: &str) -> Option<String> {
    if name
        .bytes()
        .any(|b| matches!(b, b'\r' | b'\n' | 0) || !b.is_ascii())
    {
        return None;
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

/// One line of a LIST reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub delimiter: Option<String>,
    /// `\Noselect` or `\NonExistent`: the name holds no messages of its own.
    pub noselect: bool,
}

impl Listed {
    pub(crate) fn from_name(name: &imap::types::Name<'_>) -> Listed {
        Listed {
            name: name.name().to_string(),
            delimiter: name.delimiter().map(str::to_string),
            noselect: name.attributes().iter().any(|a| {
                matches!(a, imap_proto::NameAttribute::NoSelect)
                    || matches!(a, imap_proto::NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))
            }),
        }
    }
}

/// What a shared namespace's LIST shows: the boxes (rights still to be asked) and, for
/// each name that could not be made a box address, a warning in French.
pub fn shared_boxes_in(
    ns: &Namespace,
    listed: &[Listed],
    person_domain: Option<&str>,
) -> (Vec<SharedBox>, Vec<String>) {
    let mut boxes: Vec<SharedBox> = Vec::new();
    let mut warnings = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let Some(delimiter) = ns.delimiter.as_deref().filter(|d| !d.is_empty()) else {
        // A flat namespace has no owner level: nothing to take for a box.
        return (boxes, warnings);
    };
    for item in listed {
        let Some(rest) = item.name.strip_prefix(&ns.prefix) else {
            continue;
        };
        let owner = rest.split(delimiter).next().unwrap_or_default();
        if owner.is_empty() {
            continue;
        }
        let root = format!("{}{owner}", ns.prefix);
        if seen.contains(&root) {
            continue;
        }
        seen.push(root.clone());
        let address = if owner.contains('@') {
            BoxAddress::parse(owner)
        } else if let Some(domain) = person_domain {
            BoxAddress::parse(&format!("{owner}@{domain}"))
        } else {
            warnings.push(format!(
                "La boîte partagée « {root} » n'indique pas son domaine et votre identifiant \
                 n'en a pas : elle n'est pas ajoutée."
            ));
            continue;
        };
        let Ok(address) = address else {
            warnings.push(format!(
                "Le nom partagé « {root} » ne correspond à aucune adresse de boîte : il n'est pas ajouté."
            ));
            continue;
        };
        let explicit_inbox = format!("{root}{delimiter}INBOX");
        let inbox = if listed
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(&explicit_inbox) && !l.noselect)
        {
            explicit_inbox
        } else if listed.iter().any(|l| l.name == root && !l.noselect) {
            root.clone()
        } else {
            // Only sub-folders are visible: the box's INBOX is not shared with the person.
            continue;
        };
        boxes.push(SharedBox {
            address,
            prefix: format!("{root}{delimiter}"),
            inbox,
            rights: least_rights(),
            rights_warning: None,
        });
    }
    (boxes, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::parse_namespace;

    /// LIST replies as recorded from the servers, parsed by imap-proto as the session does.
    fn listed(bytes: &str) -> Vec<Listed> {
        let mut out = Vec::new();
        let mut rest = bytes.as_bytes();
        while !rest.is_empty() {
            let (next, response) = imap_proto::parser::parse_response(rest).unwrap();
            if let imap_proto::Response::MailboxData(imap_proto::MailboxDatum::List {
                name,
                delimiter,
                name_attributes,
            }) = response
            {
                out.push(Listed {
                    name: name.to_string(),
                    delimiter: delimiter.map(|d| d.to_string()),
                    noselect: name_attributes
                        .iter()
                        .any(|a| matches!(a, imap_proto::NameAttribute::NoSelect)),
                });
            }
            rest = next;
        }
        out
    }

    fn addr(s: &str) -> BoxAddress {
        BoxAddress::parse(s).unwrap()
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted("Other Users/%").unwrap(), r#""Other Users/%""#);
        assert_eq!(quoted(r#"a"b\c"#).unwrap(), r#""a\"b\\c""#);
        assert_eq!(quoted("").unwrap(), r#""""#);
        assert!(quoted("Envoyés").is_none());
        assert!(quoted("a\r\nb").is_none());
    }

    // Cyrus IMAP 3.6 (virtdomains, crossdomains_onlyother, altnamespace, unixhierarchysep),
    // logged in as marie.martin@ch-demo.mssante.fr.
    const CYRUS_NAMESPACE: &str = r#"(("" "/")) (("Other Users/" "/")) (("Shared Folders/" "/"))"#;
    const CYRUS_LIST_MARIE: &str =
        "* LIST (\\HasChildren) \"/\" \"Other Users/secretariat.cardio\"\r\n\
* LIST (\\HasNoChildren \\Drafts) \"/\" \"Other Users/secretariat.cardio/Drafts\"\r\n\
* LIST (\\HasNoChildren \\Sent) \"/\" \"Other Users/secretariat.cardio/Sent\"\r\n\
* LIST (\\HasNoChildren) \"/\" \"Other Users/accueil@ehpad-tilleuls.mssante.fr\"\r\n";
    // The same server, logged in as sophie.bernard (no mailbox, default domain).
    const CYRUS_NAMESPACE_SOPHIE: &str = r#"NIL (("Other Users/" "/")) (("Shared Folders/" "/"))"#;
    const CYRUS_LIST_SOPHIE: &str = "* LIST (\\HasChildren) \"/\" \"Other Users/secretariat.cardio@ch-demo.mssante.fr\"\r\n\
* LIST (\\HasNoChildren \\Sent) \"/\" \"Other Users/secretariat.cardio@ch-demo.mssante.fr/Sent\"\r\n";
    // Dovecot 2.3, shared namespace `shared/%u/` with mail_shared_explicit_inbox.
    const DOVECOT_NAMESPACE: &str = r#"(("" "/")) (("shared/" "/")) NIL"#;
    const DOVECOT_LIST: &str =
        "* LIST (\\Noselect \\HasChildren) \"/\" shared/secretariat.cardio@ch-demo.mssante.fr\r\n\
* LIST (\\HasNoChildren) \"/\" shared/secretariat.cardio@ch-demo.mssante.fr/INBOX\r\n\
* LIST (\\HasNoChildren \\Sent) \"/\" shared/secretariat.cardio@ch-demo.mssante.fr/Sent\r\n";

    #[test]
    fn cyrus_names_without_and_with_domain() {
        let ns = parse_namespace(CYRUS_NAMESPACE).unwrap();
        assert_eq!(ns.other_users[0].prefix, "Other Users/");
        let (boxes, warnings) = shared_boxes_in(
            &ns.other_users[0],
            &listed(CYRUS_LIST_MARIE),
            Some("ch-demo.mssante.fr"),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        assert_eq!(
            boxes[0].address,
            addr("secretariat.cardio@ch-demo.mssante.fr")
        );
        assert_eq!(boxes[0].prefix, "Other Users/secretariat.cardio/");
        assert_eq!(boxes[0].inbox, "Other Users/secretariat.cardio");
        assert_eq!(boxes[1].address, addr("accueil@ehpad-tilleuls.mssante.fr"));
        assert_eq!(
            boxes[1].inbox,
            "Other Users/accueil@ehpad-tilleuls.mssante.fr"
        );
        // Rights are unknown until MYRIGHTS answers: least, never full.
        assert_eq!(boxes[0].rights, least_rights());
    }

    #[test]
    fn cyrus_person_without_mailbox() {
        let ns = parse_namespace(CYRUS_NAMESPACE_SOPHIE).unwrap();
        assert!(ns.personal.is_empty());
        let (boxes, warnings) =
            shared_boxes_in(&ns.other_users[0], &listed(CYRUS_LIST_SOPHIE), None);
        assert!(warnings.is_empty());
        assert_eq!(boxes.len(), 1);
        assert_eq!(
            boxes[0].address,
            addr("secretariat.cardio@ch-demo.mssante.fr")
        );
        // A bare local part with no domain to complete it is reported, not guessed.
        let (boxes, warnings) =
            shared_boxes_in(&ns.other_users[0], &listed(CYRUS_LIST_MARIE), None);
        assert_eq!(boxes.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("Other Users/secretariat.cardio"));
    }

    #[test]
    fn dovecot_explicit_inbox() {
        let ns = parse_namespace(DOVECOT_NAMESPACE).unwrap();
        let (boxes, warnings) = shared_boxes_in(
            &ns.other_users[0],
            &listed(DOVECOT_LIST),
            Some("ch-demo.mssante.fr"),
        );
        assert!(warnings.is_empty());
        assert_eq!(boxes.len(), 1);
        assert_eq!(
            boxes[0].prefix,
            "shared/secretariat.cardio@ch-demo.mssante.fr/"
        );
        assert_eq!(
            boxes[0].inbox,
            "shared/secretariat.cardio@ch-demo.mssante.fr/INBOX"
        );
    }

    #[test]
    fn only_subfolders_shared_is_no_box() {
        let ns = parse_namespace(DOVECOT_NAMESPACE).unwrap();
        let list = "* LIST (\\Noselect \\HasChildren) \"/\" shared/x@ch-demo.mssante.fr\r\n\
* LIST (\\HasNoChildren) \"/\" shared/x@ch-demo.mssante.fr/Projets\r\n";
        let (boxes, _) = shared_boxes_in(&ns.other_users[0], &listed(list), None);
        assert!(boxes.is_empty(), "{boxes:?}");
    }

    #[test]
    fn myrights_replies_as_recorded() {
        // Cyrus adds the obsolete c/d and n (RFC 5464); Dovecot answers the RFC 4314 set.
        for (bytes, name) in [
            (
                "* MYRIGHTS \"Other Users/secretariat.cardio\" lrswipkxtecda\r\n",
                "Other Users/secretariat.cardio",
            ),
            ("* MYRIGHTS INBOX lrswipkxtecdan\r\n", "INBOX"),
            (
                "* MYRIGHTS shared/secretariat.cardio@ch-demo.mssante.fr/INBOX lrs\r\n",
                "shared/secretariat.cardio@ch-demo.mssante.fr/INBOX",
            ),
        ] {
            let (_, response) = imap_proto::parser::parse_response(bytes.as_bytes()).unwrap();
            let imap_proto::Response::MyRights(r) = response else {
                panic!("{response:?}")
            };
            assert_eq!(r.mailbox, name);
            let text: String = r.rights.iter().map(|r| char::from(*r)).collect();
            let rights = crate::imap::standard_rights(&text).unwrap();
            assert!(rights.contains('l') && rights.contains('r'));
        }
    }
}
