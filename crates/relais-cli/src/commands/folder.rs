//! `relais folder create|rename|delete --box ADDR NAME…`: a box's folders, as the person
//! names them (`Classés/Cardiologie`); the engine checks the rights and refuses the special
//! folders.

use relais_engine::Engine;
use relais_store::FolderId;

use super::{parse_box, Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Crée un dossier (« parent/enfant » pour un sous-dossier).
    Create {
        #[arg(long = "box", value_name = "ADDR")]
        box_address: String,
        name: String,
    },
    /// Renomme un dossier (ses sous-dossiers suivent).
    Rename {
        #[arg(long = "box", value_name = "ADDR")]
        box_address: String,
        name: String,
        new_name: String,
    },
    /// Supprime un dossier et les messages qu'il contient.
    Delete {
        #[arg(long = "box", value_name = "ADDR")]
        box_address: String,
        name: String,
    },
}

fn folder_id(engine: &Engine, box_address: &str, name: &str) -> Result<FolderId, String> {
    let address = parse_box(box_address)?;
    let wire = relais_net::encode_folder_name(name.trim());
    engine
        .find_folder(&address, &wire)
        .map_err(|e| e.to_string())?
        .map(|f| f.id)
        .ok_or_else(|| format!("Le dossier « {name} » n'existe pas dans la boîte {address}."))
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    match args.action {
        Action::Create { box_address, name } => {
            let address = parse_box(&box_address)?;
            engine
                .create_folder(&address, &name)
                .map_err(|e| e.to_string())?;
            println!("Dossier « {} » créé dans {address}.", name.trim());
        }
        Action::Rename {
            box_address,
            name,
            new_name,
        } => {
            let id = folder_id(&engine, &box_address, &name)?;
            engine
                .rename_folder(id, &new_name)
                .map_err(|e| e.to_string())?;
            println!("Dossier « {name} » renommé « {} ».", new_name.trim());
        }
        Action::Delete { box_address, name } => {
            let id = folder_id(&engine, &box_address, &name)?;
            engine.delete_folder(id).map_err(|e| e.to_string())?;
            println!("Dossier « {name} » supprimé.");
        }
    }
    Ok(())
}
