//! `relais`, the headless command line of Relais. It parses arguments, calls the engine and
//! prints; nothing else lives here. Errors go to stderr in French with a non-zero exit code.
//! The `--json` output is a documented, stable contract (docs/cli.md).

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "relais",
    version,
    about = "Relais — messagerie sécurisée de santé (MSSanté), en ligne de commande"
)]
pub struct Cli {
    /// Dossier du profil de la personne (par défaut : le dossier de données de la plateforme).
    #[arg(long, global = true, value_name = "DIR")]
    profile: Option<PathBuf>,
    /// Profil d'opérateur (TOML). Par défaut : celui du compte, sinon $RELAIS_OPERATOR,
    /// sinon l'opérateur de démonstration local (/tmp/relais-operator/operator.toml).
    #[arg(long, global = true, value_name = "FILE")]
    operator: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Se connecter avec son identité : mot de passe (--password-stdin) ou e-CPS (--ecps).
    Login(commands::login::Args),
    /// Se déconnecter : efface les secrets et le cache local de ce profil. Les messages qui
    /// attendent encore dans la boîte d'envoi partent d'abord ; s'il en reste (ou des
    /// brouillons présents seulement ici), la déconnexion est refusée sauf avec --abandon.
    Logout(commands::login::LogoutArgs),
    /// Suit les boîtes en direct (nouveaux messages, indicateurs, suppressions, envois)
    /// jusqu'à Ctrl+C ; --json : une ligne JSON par événement.
    Watch(commands::watch::Args),
    /// Les boîtes ouvertes à la personne connectée, avec leur type et ses droits.
    Boxes(commands::boxes::Args),
    /// Synchronise les boîtes (toutes par défaut).
    Sync(commands::sync::Args),
    /// Liste les messages d'un dossier.
    List(commands::list::Args),
    /// Les dossiers d'une boîte : créer, renommer, supprimer.
    Folder(commands::folder::Args),
    /// Affiche un message.
    Show(commands::show::Args),
    /// Recherche dans le cache local (sans accents, sur expéditeur, destinataires, objet, texte, pièces jointes).
    Search(commands::search::Args),
    /// Le journal d'audit d'une boîte.
    Audit(commands::audit::Args),
    /// Envoie un message (l'auteur est toujours la personne connectée) ; affiche son Message-ID.
    Send(commands::send::Args),
    /// La boîte d'envoi : ce qui attend, et pourquoi (`relais outbox retry` pour renvoyer).
    Outbox(commands::outbox::Args),
    /// Vérifie un matricule INS et affiche l'adresse Mon espace santé du patient.
    Ins(commands::ins::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = commands::Context {
        profile: cli.profile.clone(),
        operator: cli.operator.clone(),
    };
    // The profile's log, when the profile exists (a command never creates one just to log).
    let profile = ctx.profile_dir();
    if profile.root().is_dir() {
        if let Err(e) = relais_engine::logs::init(&profile.logs()) {
            eprintln!("relais: journal indisponible ({e})");
        }
    }
    let result = match cli.command {
        Command::Login(args) => commands::login::run(&ctx, args),
        Command::Logout(args) => commands::login::logout(&ctx, args),
        Command::Watch(args) => commands::watch::run(&ctx, args),
        Command::Boxes(args) => commands::boxes::run(&ctx, args),
        Command::Sync(args) => commands::sync::run(&ctx, args),
        Command::List(args) => commands::list::run(&ctx, args),
        Command::Folder(args) => commands::folder::run(&ctx, args),
        Command::Show(args) => commands::show::run(&ctx, args),
        Command::Search(args) => commands::search::run(&ctx, args),
        Command::Audit(args) => commands::audit::run(&ctx, args),
        Command::Ins(args) => commands::ins::run(args),
        Command::Send(args) => commands::send::run(&ctx, args),
        Command::Outbox(args) => commands::outbox::run(&ctx, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("relais: {message}");
            ExitCode::from(2)
        }
    }
}
