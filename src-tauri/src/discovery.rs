//! The operator of a person who typed only their address (or its domain) on the sign-in
//! screen: its servers found by DNS SRV (RFC 6186, RFC 8314), shown to the person before
//! use (DNS is not authenticated), then written as the operator file of the profile. The
//! profile trusts the production IGC-Santé roots: a server the DNS names but whose
//! certificate is not from IGC-Santé is refused at the first connection.

use relais_net::profile::{discover_srv_for_domain, Security, ServerEndpoint};
use relais_net::OperatorProfile;
use serde::Serialize;

use crate::commands::{CommandError, Outcome};

/// The DNS server to ask instead of the system's (`127.0.0.1:5353`): tests only, read by
/// debug builds (see [`crate::hooks`]).
pub const DNS_RESOLVER_ENV: &str = "RELAIS_DNS_RESOLVER";

/// What the DNS named, for the sign-in screen.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct DiscoveredOperator {
    pub domain: String,
    /// « imap.example.fr:993 (TLS) ».
    pub imap: String,
    /// « smtp.example.fr:465 (TLS) ».
    pub submission: String,
}

/// The domain a person means by what they typed: the part after `@` of an address, or a
/// bare domain (letters, digits, dots and hyphens, with at least one dot). `None` for
/// anything else (a file path).
pub fn domain_of(typed: &str) -> Option<String> {
    let text = typed.trim();
    let domain = match text.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() => domain,
        Some(_) => return None,
        None => text,
    };
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let plausible = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    plausible.then_some(domain)
}

fn endpoint_text(endpoint: &ServerEndpoint, starttls: u16, tls: u16) -> String {
    let security = match endpoint.security {
        Security::Tls => "TLS",
        Security::Starttls => "STARTTLS",
    };
    format!(
        "{}:{} ({security})",
        endpoint.host,
        endpoint.port_or(starttls, tls)
    )
}

/// The operator of `domain` from its SRV records, or why not, in French.
pub fn discover(domain: &str) -> Outcome<OperatorProfile> {
    let resolver = crate::hooks::var(DNS_RESOLVER_ENV)
        .and_then(|v| v.to_str().and_then(|v| v.trim().parse().ok()));
    let (imap, submission) = discover_srv_for_domain(domain, resolver).ok_or_else(|| {
        CommandError::new(
            "operator_not_found",
            format!(
                "Aucune messagerie n'est publiée dans le DNS pour {domain} (enregistrements SRV _imaps/_imap et _submissions/_submission) : vérifiez l'adresse, ou indiquez le fichier de profil de votre opérateur (.toml)."
            ),
        )
    })?;
    Ok(OperatorProfile::for_servers(domain, imap, submission))
}

/// What the sign-in screen shows before the person signs in.
pub fn shown(domain: &str, profile: &OperatorProfile) -> DiscoveredOperator {
    DiscoveredOperator {
        domain: domain.to_owned(),
        imap: endpoint_text(&profile.imap, 143, 993),
        submission: endpoint_text(&profile.submission, 587, 465),
    }
}

/// « Rechercher » on the sign-in screen: the servers the DNS names for what was typed.
#[tauri::command]
pub async fn discover_operator(typed: String) -> Outcome<DiscoveredOperator> {
    let domain = domain_of(&typed).ok_or_else(|| {
        CommandError::new(
            "operator_not_found",
            format!(
                "« {} » n'est ni une adresse ni un nom de domaine.",
                typed.trim()
            ),
        )
    })?;
    crate::commands::blocking(move || {
        let profile = discover(&domain)?;
        Ok(shown(&domain, &profile))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn what_a_person_types_for_their_operator() {
        assert_eq!(
            domain_of("marie.martin@ch-demo.mssante.fr").as_deref(),
            Some("ch-demo.mssante.fr")
        );
        assert_eq!(
            domain_of(" Messagerie.Mon-Operateur.fr. ").as_deref(),
            Some("messagerie.mon-operateur.fr")
        );
        assert_eq!(domain_of("/etc/relais/operateur.toml"), None);
        assert_eq!(domain_of("operateur.toml/"), None);
        assert_eq!(domain_of("localhost"), None);
        assert_eq!(domain_of("@ch-demo.mssante.fr"), None);
        assert_eq!(domain_of("a b.fr"), None);
    }
}
