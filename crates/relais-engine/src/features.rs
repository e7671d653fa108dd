//! What a box's server does not offer, and what Relais does instead: the one home of the
//! French sentences the window shows for a capability-poor server. Read from the
//! capabilities the server announced after login on the box's kept connection (no extra
//! round trip once the box is open).

use relais_core::BoxAddress;
use serde::Serialize;

use crate::error::Result;
use crate::{Engine, WatchOptions};

/// One missing extension and its effect, in French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Degraded {
    /// The IMAP capability the server does not announce (`IDLE`, `CONDSTORE`…).
    pub capability: &'static str,
    /// What the person sees instead, in French.
    pub effect: String,
}

/// Each extension Relais relies on (beside IDLE), with what it does without it.
const RELIED_ON: &[(&str, &str)] = &[
    (
        "CONDSTORE",
        "Chaque synchronisation relit tous les indicateurs, et deux prises en charge \
                 simultanées ne sont pas départagées (la dernière l'emporte).",
    ),
    ("MOVE", "Un déplacement se fait par copie puis suppression."),
    (
        "UIDPLUS",
        "Les messages copiés ou déplacés sont retrouvés par leur identifiant, ce qui \
                 prend une recherche de plus.",
    ),
    (
        "ACL",
        "Le serveur ne publie pas vos droits : une action interdite n'est refusée \
                 qu'au moment où le serveur la reçoit.",
    ),
    (
        "SPECIAL-USE",
        "Les dossiers Envoyés, Brouillons, Corbeille et Indésirables sont reconnus à \
                 leur nom.",
    ),
    (
        "LIST-STATUS",
        "Chaque dossier est ouvert pour savoir s'il a changé : la synchronisation est \
                 plus lente.",
    ),
    (
        "NAMESPACE",
        "Les boîtes partagées ne peuvent pas être découvertes dans votre session ; \
                 seules celles ouvertes en délégation apparaissent.",
    ),
];

/// The extensions Relais relies on that `capabilities` lacks, each with its effect.
pub fn degraded(capabilities: &[String]) -> Vec<Degraded> {
    let poll = WatchOptions::default().poll_every.as_secs();
    let idle = format!(
        "Pas d'avis immédiat du serveur : la boîte de réception est interrogée toutes les \
         {poll} secondes."
    );
    std::iter::once(("IDLE", idle))
        .chain(RELIED_ON.iter().map(|(c, e)| (*c, e.to_string())))
        .filter(|(capability, _)| {
            !capabilities
                .iter()
                .any(|c| c.eq_ignore_ascii_case(capability))
        })
        .map(|(capability, effect)| Degraded { capability, effect })
        .collect()
}

impl Engine {
    /// What the server of `address` does not offer, and what Relais does instead. Empty
    /// for a full server.
    pub fn degraded_features(&self, address: &BoxAddress) -> Result<Vec<Degraded>> {
        let entitlement = self.entitlement(address)?;
        let conn = self.pooled(&entitlement)?;
        Ok(degraded(conn.session.capabilities()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_server_degrades_nothing_and_a_bare_one_everything() {
        let full: Vec<String> = std::iter::once("IDLE")
            .chain(RELIED_ON.iter().map(|(c, _)| *c))
            .map(String::from)
            .collect();
        assert!(degraded(&full).is_empty());
        let bare = degraded(&["IMAP4rev1".into(), "AUTH=PLAIN".into()]);
        assert_eq!(bare.len(), RELIED_ON.len() + 1);
        let no_idle = degraded(
            &full
                .iter()
                .filter(|c| *c != "IDLE")
                .map(|c| c.to_lowercase())
                .collect::<Vec<_>>(),
        );
        assert_eq!(no_idle.len(), 1);
        assert_eq!(no_idle[0].capability, "IDLE");
        assert!(no_idle[0].effect.contains("10 secondes"));
    }
}
