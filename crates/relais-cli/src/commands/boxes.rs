//! `relais boxes [--json]`.

use relais_core::{BoxKind, Entitlement};
use relais_engine::SessionSummary;
use serde::Serialize;

use super::{Context, Outcome};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

/// One box in `--json` output.
#[derive(Serialize)]
pub struct BoxJson {
    pub address: String,
    /// `nominative` | `organisational` | `applicative`
    pub kind: BoxKind,
    pub display_name: String,
    /// RFC 4314 rights, e.g. `lrswipkxtea`.
    pub rights: String,
    pub can_send: bool,
    pub can_delete: bool,
    /// `own_login` | `delegated` | `shared_namespace`
    pub access: String,
}

impl From<&Entitlement> for BoxJson {
    fn from(e: &Entitlement) -> Self {
        BoxJson {
            address: e.address.to_string(),
            kind: e.kind,
            display_name: e.display_name.clone(),
            rights: e.rights.to_string(),
            can_send: e.rights.can_send(),
            can_delete: e.rights.can_delete(),
            access: match &e.access {
                relais_core::Access::OwnLogin => "own_login",
                relais_core::Access::Delegated => "delegated",
                relais_core::Access::SharedNamespace { .. } => "shared_namespace",
            }
            .to_string(),
        }
    }
}

/// `relais login --json`.
#[derive(Serialize)]
pub struct SessionJson {
    pub display_name: String,
    pub national_id: String,
    pub own_box: Option<String>,
    pub boxes: Vec<BoxJson>,
}

impl From<&SessionSummary> for SessionJson {
    fn from(s: &SessionSummary) -> Self {
        SessionJson {
            display_name: s.person.display_name(),
            national_id: s.person.national_id.to_string(),
            own_box: s.person.own_box.as_ref().map(ToString::to_string),
            boxes: s.boxes.iter().map(BoxJson::from).collect(),
        }
    }
}

pub fn run(ctx: &Context, args: Args) -> Outcome {
    let engine = ctx.engine()?;
    let boxes = engine.boxes().map_err(|e| e.to_string())?;
    if args.json {
        return crate::output::json(&boxes.iter().map(BoxJson::from).collect::<Vec<_>>());
    }
    print_boxes(&boxes);
    Ok(())
}

pub fn print_boxes(boxes: &[Entitlement]) {
    for b in boxes {
        let kind = match b.kind {
            BoxKind::Nominative => "personnelle",
            BoxKind::Organisational => "service",
            BoxKind::Applicative => "applicative",
        };
        let mode = if b.rights.can_send() {
            "lecture et envoi"
        } else {
            "lecture seule"
        };
        println!(
            "{:<45} {:<12} {:<30} {} ({})",
            b.address, kind, b.display_name, mode, b.rights
        );
    }
}
