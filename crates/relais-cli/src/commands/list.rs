//! `relais list --box ADDR [--folder NAME] [--limit N] [--json]`.

use relais_store::MessageSummary;
use serde::Serialize;

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long = "box", value_name = "ADDR")]
    box_address: String,
    /// Le dossier (nom IMAP, par défaut INBOX).
    #[arg(long, default_value = "INBOX")]
    folder: String,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

/// One message in `--json` output (list and search).
#[derive(Serialize)]
pub struct MessageJson {
    pub uid: u32,
    pub id: i64,
    pub box_address: String,
    pub date: i64,
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub has_attachments: bool,
    /// Who in the service wrote it (`X-Relais-Author`), display name.
    pub author: Option<String>,
    pub author_id: Option<String>,
}

impl From<&MessageSummary> for MessageJson {
    fn from(m: &MessageSummary) -> Self {
        MessageJson {
            uid: m.uid,
            id: m.id.0,
            box_address: m.box_address.to_string(),
            date: m.date,
            from: m.from.as_ref().map(|f| f.address.clone()),
            from_name: m.from.as_ref().and_then(|f| f.name.clone()),
            subject: m.subject.clone(),
            seen: m.seen,
            flagged: m.flagged,
            answered: m.answered,
            has_attachments: m.has_attachments,
            author: m.author.as_ref().map(|a| a.display_name().to_string()),
            author_id: m.author.as_ref().map(|a| a.national_id().to_string()),
        }
    }
}

pub fn print_rows(rows: &[MessageSummary]) {
    for m in rows {
        let from = m
            .from
            .as_ref()
            .map(|f| f.name.clone().unwrap_or_else(|| f.address.clone()))
            .unwrap_or_default();
        let author = m
            .author
            .as_ref()
            .map(|a| format!("  [auteur : {}]", a.display_name()))
            .unwrap_or_default();
        // The date is padded: rows in winter (« CET ») and summer (« CEST ») time line up.
        println!(
            "{:>6} {:<21} {}{} {:<28.28} {}{}",
            m.uid,
            crate::output::date(m.date),
            if m.seen { ' ' } else { '●' },
            if m.has_attachments { '📎' } else { ' ' },
            from,
            m.subject,
            author
        );
    }
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    let address = parse_box(&args.box_address)?;
    engine.entitlement(&address).map_err(|e| e.to_string())?;
    let rows = match engine
        .find_folder(&address, &args.folder)
        .map_err(|e| e.to_string())?
    {
        Some(f) => engine.newest(f.id, args.limit).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    if args.json {
        return crate::output::json(&rows.iter().map(MessageJson::from).collect::<Vec<_>>());
    }
    print_rows(&rows);
    Ok(())
}
