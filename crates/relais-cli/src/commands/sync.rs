//! `relais sync [--box ADDR]...`: a progress bar per folder on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use relais_engine::{Engine, Event};

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    /// Les boîtes à synchroniser (toutes par défaut).
    #[arg(long = "box", value_name = "ADDR")]
    boxes: Vec<String>,
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let boxes = args
        .boxes
        .iter()
        .map(|b| parse_box(b))
        .collect::<Result<Vec<_>, _>>()?;
    let terminal = std::io::stderr().is_terminal();
    let engine = Engine::open(
        ctx.profile_dir(),
        ctx.operator.as_deref(),
        Arc::new(move |event| {
            if let Event::SyncProgress {
                box_address,
                folder,
                done,
                total,
                finished,
            } = event
            {
                if terminal && total > 0 {
                    let width = 30usize;
                    let filled = (done as usize * width) / total as usize;
                    eprint!(
                        "\r{box_address} {folder:<10} [{}{}] {done}/{total}",
                        "#".repeat(filled),
                        " ".repeat(width - filled)
                    );
                    if finished {
                        eprintln!();
                    }
                    let _ = std::io::stderr().flush();
                }
            }
        }),
    )
    .map_err(|e| e.to_string())?;
    let cancel = AtomicBool::new(false);
    let results = engine.sync(&boxes, &cancel).map_err(|e| e.to_string())?;
    let mut failed = Vec::new();
    for (address, result) in results {
        match result {
            Ok(()) => {
                let unread = engine
                    .unread_in_box(&address)
                    .map_err(|e| format!("{address} : {e}"))?;
                println!("{address} : synchronisée ({unread} non lus)");
            }
            Err(e) => failed.push(format!("{address} : {e}")),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}
