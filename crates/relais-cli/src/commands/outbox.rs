//! `relais outbox [--json]`: what is queued, and why. `relais outbox retry`: finish
//! interrupted sends and send what is waiting (back-off ignored: the person asked).

use super::{Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Reprend les envois interrompus et renvoie les messages en attente ou en échec.
    Retry,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    match args.action {
        Some(Action::Retry) => {
            for row in engine.outbox().map_err(|e| e.to_string())? {
                if row.state == relais_store::OutboxState::Failed {
                    engine.retry_failed(row.id).map_err(|e| e.to_string())?;
                }
            }
            // Everything waiting, whatever its back-off.
            let outcomes = engine
                .retry_outbox(i64::MAX / 2)
                .map_err(|e| e.to_string())?;
            if args.json {
                return crate::output::json(&outcomes);
            }
            let mut waiting = 0;
            for o in &outcomes {
                println!(
                    "{} {} {}",
                    o.message_id,
                    o.state,
                    o.error.as_deref().unwrap_or("")
                );
                if o.state != relais_store::OutboxState::Done {
                    waiting += 1;
                }
            }
            if waiting > 0 {
                return Err(format!("{waiting} message(s) toujours en attente"));
            }
            Ok(())
        }
        None => {
            let rows = engine.outbox().map_err(|e| e.to_string())?;
            if args.json {
                return crate::output::json(&rows);
            }
            for r in &rows {
                println!(
                    "{:<10} {:<21} {} → {} destinataire(s), {} tentative(s), par {}{}",
                    r.state.as_str(),
                    crate::output::date(r.created_at),
                    r.box_address,
                    r.recipients.len(),
                    r.attempts,
                    r.author.display_name(),
                    r.last_error
                        .as_deref()
                        .map(|e| format!("\n           dernière erreur : {e}"))
                        .unwrap_or_default()
                );
                println!("           {} — {}", r.message_id, r.subject);
            }
            Ok(())
        }
    }
}
