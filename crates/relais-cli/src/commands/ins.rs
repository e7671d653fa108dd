//! `relais ins MATRICULE`: the patient's Mon espace santé address, or what is wrong.

use relais_core::Ins;

#[derive(clap::Args)]
pub struct Args {
    /// Le matricule INS (15 caractères, espaces acceptés), tel qu'imprimé ou saisi.
    #[arg(num_args = 1.., required = true)]
    matricule: Vec<String>,
}

pub fn run(args: Args) -> super::Outcome {
    let ins = Ins::parse(&args.matricule.join(" ")).map_err(|e| e.to_string())?;
    println!("{}", ins.patient_address());
    Ok(())
}
