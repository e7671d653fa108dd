//! `relais`, the headless command line of Relais. It parses arguments, calls the engine and
//! prints; nothing else lives here. Errors go to stderr in French with a non-zero exit code.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use relais_core::Ins;

#[derive(Parser)]
#[command(name = "relais", version, about = "Relais — messagerie sécurisée de santé (MSSanté), en ligne de commande")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Vérifie un matricule INS et affiche l'adresse Mon espace santé du patient.
    Ins {
        /// Le matricule INS (15 caractères, espaces acceptés), tel qu'imprimé ou saisi.
        #[arg(num_args = 1.., required = true)]
        matricule: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Ins { matricule } => ins(&matricule.join(" ")),
    }
}

/// `relais ins`: the patient's address for a valid matricule INS, or what is wrong with it.
fn ins(input: &str) -> ExitCode {
    match Ins::parse(input) {
        Ok(ins) => {
            println!("{}", ins.patient_address());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("relais: {error}");
            ExitCode::from(2)
        }
    }
}
