//! `relais audit --box ADDR [--json]`: who did what, when, and what the server answered.

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long = "box", value_name = "ADDR")]
    box_address: String,
    #[arg(long, default_value_t = 200)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    let address = parse_box(&args.box_address)?;
    let records = engine
        .audit_log(&address, args.limit)
        .map_err(|e| e.to_string())?;
    if args.json {
        return crate::output::json(&records);
    }
    for r in &records {
        let e = &r.entry;
        // The date is padded: rows in winter (« CET ») and summer (« CEST ») time line up.
        println!(
            "{:<21} {:<14} {:<10?} {} {} → {}",
            crate::output::date(e.at / 1000),
            e.person,
            e.action,
            if e.ok { "ok    " } else { "ÉCHEC " },
            e.request,
            e.response
        );
    }
    Ok(())
}
