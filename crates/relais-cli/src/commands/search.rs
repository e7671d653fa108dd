//! `relais search [--box ADDR] QUERY [--json]`.

use relais_engine::view::SearchRequest;

use super::list::{print_rows, MessageJson};
use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long = "box", value_name = "ADDR")]
    box_address: Option<String>,
    /// Seulement les non lus.
    #[arg(long)]
    unread: bool,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
    /// Les mots cherchés (sans accents si vous voulez : « resultat » trouve « Résultats »).
    #[arg(num_args = 1.., required = true)]
    query: Vec<String>,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    let box_address = args.box_address.as_deref().map(parse_box).transpose()?;
    let rows: Vec<_> = engine
        .search_boxes(&SearchRequest {
            text: args.query.join(" "),
            box_address,
            unread_only: args.unread,
            limit: args.limit,
            ..Default::default()
        })
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|found| found.summary)
        .collect();
    if args.json {
        return crate::output::json(&rows.iter().map(MessageJson::from).collect::<Vec<_>>());
    }
    print_rows(&rows);
    Ok(())
}
