//! `relais send --box ADDR --to ADDR... [--cc ADDR]... [--bcc ADDR]... --subject S
//! (--body TEXT | --body-file F) [--attach FILE]... [--receipt] [--read-receipt]
//! [--allow-outside] [--patient INS --traits "NOM|Prénoms|AAAA-MM-JJ|F|64445"] [--close]`
//!
//! The author is the signed-in person, always. Prints the Message-ID on stdout. Exit 0: sent
//! (and copied to Sent); exit 2 with a French message: refused before sending (recipient
//! outside the trust space, two patients, file too large, box not open to sending…), refused
//! by the server, or queued for a retry (the Message-ID is printed first; `relais outbox`
//! shows why).

use std::path::PathBuf;

use relais_core::{BirthDate, BirthplaceCode, IdentityTraits, Ins, QualifiedPatient, Sex};
use relais_engine::{Compose, ComposeAttachment, Recipient, SendError};

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// Boîte d'envoi (la vôtre ou une boîte de service qui vous est ouverte).
    #[arg(long = "box", value_name = "ADDR")]
    box_address: String,
    #[arg(long, value_name = "ADDR")]
    to: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    cc: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    bcc: Vec<String>,
    #[arg(long, default_value = "")]
    subject: String,
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// Accusé de distribution (DSN NOTIFY=SUCCESS,FAILURE).
    #[arg(long)]
    receipt: bool,
    /// Accusé de lecture (Disposition-Notification-To).
    #[arg(long)]
    read_receipt: bool,
    /// Confirme l'envoi à des adresses hors de l'espace de confiance MSSanté.
    #[arg(long)]
    allow_outside: bool,
    /// Matricule INS du patient (espaces acceptés).
    #[arg(long, value_name = "INS", requires = "traits")]
    patient: Option<String>,
    /// Traits d'identité : "NOM|Prénoms|AAAA-MM-JJ|F|64445".
    #[arg(long, value_name = "TRAITS", requires = "patient")]
    traits: Option<String>,
    /// Clôt la conversation avec le patient (X-MSS-MES: FIN).
    #[arg(long)]
    close: bool,
    /// Sans ligne de signature.
    #[arg(long)]
    no_signature: bool,
}

fn recipients(list: &[String]) -> Result<Vec<Recipient>, String> {
    list.iter()
        .map(|a| parse_box(a).map(Recipient::new))
        .collect()
}

fn patient(ins: &str, traits: &str) -> Result<QualifiedPatient, String> {
    let ins = Ins::parse(ins).map_err(|e| e.to_string())?;
    let parts: Vec<&str> = traits.split('|').map(str::trim).collect();
    let [name, first, date, sex, place] = parts[..] else {
        return Err(
            "Traits d'identité attendus : \"NOM|Prénoms|AAAA-MM-JJ|F|code lieu de naissance\"."
                .into(),
        );
    };
    Ok(QualifiedPatient {
        ins,
        traits: IdentityTraits {
            birth_name: name.to_string(),
            first_names: first.to_string(),
            birth_date: BirthDate::parse(date).map_err(|e| e.to_string())?,
            sex: Sex::parse(sex).map_err(|e| e.to_string())?,
            birthplace: BirthplaceCode::parse(place).map_err(|e| e.to_string())?,
        },
    })
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let mut compose = Compose::new(parse_box(&args.box_address)?);
    compose.to = recipients(&args.to)?;
    compose.cc = recipients(&args.cc)?;
    compose.bcc = recipients(&args.bcc)?;
    compose.subject = args.subject;
    compose.text = match (args.body, args.body_file) {
        (Some(text), _) => text,
        (None, Some(file)) => std::fs::read_to_string(&file).map_err(|e| {
            format!(
                "Le fichier « {} » ne peut pas être lu : {e}",
                file.display()
            )
        })?,
        (None, None) => String::new(),
    };
    compose.attachments = args
        .attach
        .into_iter()
        .map(ComposeAttachment::path)
        .collect();
    compose.delivery_receipt = args.receipt;
    compose.read_receipt = args.read_receipt;
    compose.allow_outside = args.allow_outside;
    compose.close_conversation = args.close;
    compose.sign = !args.no_signature;
    if let (Some(ins), Some(traits)) = (&args.patient, &args.traits) {
        let p = patient(ins, traits)?;
        eprintln!("Patient : {} — {}", p.address(), p.summary());
        compose.patient = Some(p);
    }
    let engine = ctx.engine()?;
    match engine.send(compose) {
        Ok(receipt) => {
            println!("{}", receipt.message_id);
            match receipt.error {
                None if receipt.sent() => Ok(()),
                error => Err(format!(
                    "message en file d'attente, pas encore envoyé ({}) : {}",
                    receipt.state,
                    error.unwrap_or_default()
                )),
            }
        }
        Err(SendError::Refused {
            message_id, detail, ..
        }) => {
            println!("{message_id}");
            Err(format!("envoi refusé par le serveur : {detail}"))
        }
        Err(e) => Err(e.to_string()),
    }
}
