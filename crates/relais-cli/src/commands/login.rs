//! `relais login` and `relais logout`.

use std::io::{BufRead, IsTerminal};

use relais_core::NationalId;
use relais_engine::{IdentityHint, SessionSummary};

use super::{Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// Identifiant chez l'opérateur (souvent l'adresse de sa boîte), ou pour e-CPS
    /// l'identifiant national (8 + RPPS) servant d'indice de connexion.
    #[arg(long)]
    user: String,
    /// Lire le mot de passe sur l'entrée standard (une ligne).
    #[arg(long, conflicts_with = "ecps")]
    password_stdin: bool,
    /// Se connecter avec sa carte e-CPS (Pro Santé Connect).
    #[arg(long)]
    ecps: bool,
    /// Prénom et NOM tels qu'ils doivent signer les messages (connexion par mot de passe),
    /// quand aucun annuaire ne vous connaît : marqués « déclaré ». L'Annuaire Santé prime.
    #[arg(long)]
    name: Option<String>,
    /// Profession déclarée (avec --name).
    #[arg(long)]
    profession: Option<String>,
    /// Identifiant national (8 + RPPS, 0 + ADELI) pour l'en-tête d'auteur (mot de passe).
    #[arg(long)]
    national_id: Option<String>,
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine_for_login(&args.user)?;
    let session = if args.ecps {
        engine
            .sign_in_ecps(Some(&args.user), &|url| {
                eprintln!("Ouvrez cette adresse dans votre navigateur pour vous connecter avec votre e-CPS :\n{url}");
            })
            .map_err(|e| e.to_string())?
    } else {
        if !args.password_stdin && std::io::stdin().is_terminal() {
            eprint!("Mot de passe : ");
        }
        let mut password = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut password)
            .map_err(|e| format!("lecture du mot de passe impossible : {e}"))?;
        let password = password.trim_end_matches(['\r', '\n']);
        let mut hint = IdentityHint::default();
        if let Some(name) = &args.name {
            let mut words = name.split_whitespace();
            hint.given_name = words.next().map(str::to_string);
            let rest: Vec<&str> = words.collect();
            if !rest.is_empty() {
                hint.family_name = Some(rest.join(" "));
            }
        }
        hint.profession.clone_from(&args.profession);
        if let Some(id) = &args.national_id {
            hint.national_id = Some(NationalId::parse(id).map_err(|e| e.to_string())?);
        }
        engine
            .sign_in_password(&args.user, password, &hint)
            .map_err(|e| e.to_string())?
    };
    // What the discovery could not do goes to stderr, in JSON mode too.
    for warning in &session.warnings {
        eprintln!("relais: attention : {warning}");
    }
    if args.json {
        return crate::output::json(&super::boxes::SessionJson::from(&session));
    }
    print_session(&session);
    Ok(())
}

fn print_session(session: &SessionSummary) {
    if session.needs_identity() {
        println!(
            "Connecté(e) ({}). Aucun annuaire ne vous connaît : reconnectez-vous avec --name « Prénom NOM » et --profession pour signer vos messages.",
            session.person.national_id
        );
    } else {
        let declared = if session.person.identity.is_declared() {
            " (déclaré)"
        } else {
            ""
        };
        println!(
            "Connecté(e) : {}{declared} ({})",
            session.person.display_name(),
            session.person.national_id
        );
    }
    if session.person.own_box.is_none() {
        println!(
            "Vous n'avez pas de boîte nominative : vos boîtes de service sont ouvertes ci-dessous."
        );
    }
    super::boxes::print_boxes(&session.boxes);
}

#[derive(clap::Args)]
pub struct LogoutArgs {
    /// Supprimer quand même les messages qui n'ont pas pu partir et les brouillons présents
    /// seulement sur ce poste.
    #[arg(long)]
    abandon: bool,
}

pub fn logout(ctx: &Context, args: LogoutArgs) -> Outcome {
    let engine = match ctx.engine() {
        Ok(engine) => engine,
        // No account (or its operator profile is gone): still wipe what is there.
        Err(_) => {
            ctx.profile_dir().wipe().map_err(|e| e.to_string())?;
            println!("Déconnecté(e) : secrets et cache local effacés.");
            return Ok(());
        }
    };
    // What waits in the outbox leaves first, when the server can be reached.
    let (queued, _) = engine.pending_outgoing().map_err(|e| e.to_string())?;
    if queued > 0 {
        match engine.retry_outbox(i64::MAX / 2) {
            Ok(outcomes) => {
                let sent = outcomes.iter().filter(|o| o.error.is_none()).count();
                if sent > 0 {
                    println!("{sent} message(s) en attente envoyé(s) avant la déconnexion.");
                }
            }
            Err(e) => eprintln!("relais: boîte d'envoi : {e}"),
        }
    }
    let (queued, drafts) = engine.pending_outgoing().map_err(|e| e.to_string())?;
    if args.abandon {
        engine.sign_out_discarding().map_err(|e| e.to_string())?;
        if queued > 0 || drafts > 0 {
            println!(
                "Déconnecté(e) : secrets et cache local effacés ; {queued} message(s) non envoyé(s) et {drafts} brouillon(s) local(aux) supprimé(s) à votre demande."
            );
        } else {
            println!("Déconnecté(e) : secrets et cache local effacés.");
        }
        return Ok(());
    }
    engine.sign_out().map_err(|e| match e {
        relais_engine::EngineError::PendingOutgoing { .. } => {
            format!("{e} (relais outbox pour les voir, relais logout --abandon pour les supprimer)")
        }
        e => e.to_string(),
    })?;
    println!("Déconnecté(e) : secrets et cache local effacés.");
    Ok(())
}
