//! What came back about a message, for the reader: on a sent message, its deliveries, its
//! readings and its bounces (each with the report to open); on a report itself, its French
//! summary. The engine finds and reads them; this only shapes them for the window.

use relais_mail::{DeliveryStatus, Disposition, ReportKind};
use relais_store::MessageId;
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::commands::{blocking, engine, Outcome};
use crate::session::AppState;

/// One line of « Suivi » under a sent message.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ReturnedView {
    /// The report message, to open it as it came.
    pub report: i64,
    /// When it came (unix seconds).
    pub at: i64,
    /// `delivered`, `read`, `failed`, `delayed` or `other`: how the line looks.
    pub state: String,
    /// One French sentence.
    pub summary: String,
    /// What to do, when something is to be done.
    pub advice: Option<String>,
}

fn state(kind: &ReportKind) -> &'static str {
    match kind {
        ReportKind::Delivery { status, .. } => match status {
            DeliveryStatus::Delivered | DeliveryStatus::Expanded => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Delayed => "delayed",
            DeliveryStatus::Relayed => "other",
        },
        ReportKind::ReadReceipt { disposition, .. } => match disposition {
            Disposition::Displayed => "read",
            _ => "other",
        },
    }
}

/// The reports that came back about a message (empty for most).
#[tauri::command]
pub async fn returned_reports(state: State<'_, AppState>, id: i64) -> Outcome<Vec<ReturnedView>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        Ok(engine
            .returned_reports(MessageId(id))?
            .into_iter()
            .map(|r| ReturnedView {
                report: r.report.0,
                at: r.at,
                state: self::state(&r.kind).to_owned(),
                summary: r.summary,
                advice: r.advice,
            })
            .collect())
    })
    .await
}

/// A report message's own French summaries, with what to do (empty for other messages).
#[tauri::command]
pub async fn report_summaries(state: State<'_, AppState>, id: i64) -> Outcome<Vec<String>> {
    let (engine, _) = engine(&state)?;
    blocking(move || {
        let view = engine.reports(MessageId(id))?;
        Ok(view
            .reports
            .iter()
            .map(|r| match relais_mail::advice(&r.kind) {
                Some(advice) => format!("{} — {advice}", r.summary),
                None => r.summary.clone(),
            })
            .collect())
    })
    .await
}
