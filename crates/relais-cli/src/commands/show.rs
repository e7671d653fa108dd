//! `relais show --box ADDR [--folder NAME] --uid N`: the message as a reader shows it.

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long = "box", value_name = "ADDR")]
    box_address: String,
    #[arg(long, default_value = "INBOX")]
    folder: String,
    #[arg(long)]
    uid: u32,
    /// Le message brut (source).
    #[arg(long)]
    raw: bool,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    let address = parse_box(&args.box_address)?;
    let folder = engine
        .find_folder(&address, &args.folder)
        .map_err(|e| e.to_string())?;
    let id = match folder {
        Some(f) => engine
            .message_by_uid(f.id, args.uid)
            .map_err(|e| e.to_string())?
            .map(|m| m.summary.id),
        None => None,
    }
    .ok_or_else(|| "Message introuvable : synchronisez la boîte (relais sync).".to_string())?;
    let raw = engine.raw_message(id).map_err(|e| e.to_string())?;
    if args.raw {
        use std::io::Write;
        return std::io::stdout().write_all(&raw).map_err(|e| e.to_string());
    }
    let view = relais_mail::MessageDisplay::from_raw(&raw);
    let person = |m: &relais_mail::display::MailboxDisplay| match &m.name {
        Some(n) => format!("{n} <{}>", m.address),
        None => m.address.clone(),
    };
    if let Some(from) = &view.from {
        println!("De : {}", person(from));
    }
    if let Some(author) = &view.author {
        println!(
            "Rédigé par : {} ({})",
            author.display_name(),
            author.national_id()
        );
    }
    let to: Vec<String> = view.to.iter().map(person).collect();
    println!("À : {}", to.join(", "));
    if let Some(date) = view.date {
        println!("Date : {}", crate::output::date(date));
    }
    println!("Objet : {}", view.subject);
    for note in &view.malformed_notes {
        println!("Note : {note}");
    }
    // Delivery (DSN) and read (MDN) reports, in plain French.
    for report in relais_mail::parse_reports(&raw) {
        println!("Avis : {}", report.summary);
    }
    if view.special.disposition_notification_to.is_some() {
        println!(
            "L'expéditeur demande un accusé de lecture (envoyé seulement si vous l'acceptez)."
        );
    }
    for a in &view.attachments {
        println!(
            "Pièce jointe : {} ({}, {} octets)",
            a.filename, a.content_type, a.size
        );
    }
    println!();
    println!("{}", view.text);
    Ok(())
}
