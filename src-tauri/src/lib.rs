//! Relais desktop shell.
//!
//! This crate only wires the window, the plugins and the commands the UI may call.
//! Mail, identity and audit logic belong to the engine crates; commands here translate
//! between the webview and that engine, and engine events into Tauri events.

mod annuaire;
mod bench;
mod collab;
mod commands;
mod compose;
mod demo;
mod discovery;
mod documents;
mod drafts;
mod dto;
mod export;
mod folders;
mod hooks;
mod links;
mod lock;
mod reports;
mod server;
mod session;
mod settings;
mod views;

use tauri::Manager;

/// Builds and runs the Tauri application. Blocks until the last window closes.
pub fn run() {
    // The log goes to the profile folder (`logs/`), through the redaction layer. Without it
    // Relais still runs: say so on stderr, where nothing else is lost.
    if let Err(e) = relais_engine::logs::init(&session::profile_dir().logs()) {
        eprintln!("Relais : journal indisponible ({e})");
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "démarrage");
    // Attachments opened by a Relais that was killed are not left in clear.
    let removed = settings::remove_stale_open_dirs(&std::env::temp_dir());
    if removed > 0 {
        tracing::info!(removed, "pièces jointes d'une session interrompue effacées");
    }
    let result = tauri::Builder::default()
        // Registered first, as the plugin asks: a second launch must reach the running
        // instance before it builds windows of its own.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app);
        }))
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .manage(session::AppState::default())
        .setup(|app| {
            // The main window is built here rather than from the configuration alone, so
            // that links clicked in a message never open a window (see `links`).
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == "main")
                .cloned()
                .ok_or("la fenêtre principale manque à la configuration")?;
            let handle = app.handle().clone();
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .on_new_window(move |url, _features| links::on_new_window(&handle, url))
                .build()?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::demo_personas,
            commands::sign_in_password,
            commands::sign_in_ecps,
            commands::session_info,
            commands::declare_identity,
            commands::list_folders,
            commands::list_messages,
            commands::message_rows,
            commands::unified_inbox,
            commands::get_message,
            commands::show_remote_images,
            commands::message_source,
            commands::search,
            commands::set_seen,
            commands::set_flagged,
            commands::delete_message,
            reports::returned_reports,
            reports::report_summaries,
            discovery::discover_operator,
            documents::xdm_package,
            export::export_message,
            export::save_all_attachments,
            drafts::open_draft,
            drafts::local_drafts,
            drafts::open_local_draft,
            drafts::discard_draft,
            folders::create_folder,
            folders::rename_folder,
            folders::delete_folder,
            folders::move_messages,
            folders::undo_move,
            commands::sync_now,
            commands::sign_out,
            commands::touch_session,
            commands::painted,
            bench::bench_interactions,
            bench::bench_took,
            collab::collab_support,
            server::degraded_features,
            collab::claim,
            collab::release,
            collab::mark_done,
            collab::list_by_status,
            collab::status_counts,
            collab::conversation,
            annuaire::directory_info,
            annuaire::directory_import,
            annuaire::directory_import_bytes,
            annuaire::directory_search,
            annuaire::directory_hint,
            compose::send_limits,
            compose::attach_path,
            compose::attach_bytes,
            compose::release_attachment,
            compose::check_ins,
            compose::check_patient,
            compose::compose_reply,
            compose::read_receipt_state,
            compose::answer_read_receipt,
            compose::compose_forward,
            compose::signature,
            compose::save_draft,
            compose::send_message,
            compose::recall_send,
            compose::outbox,
            compose::outbox_counts,
            compose::retry_outbox,
            compose::send_outbox_now,
            compose::remove_outbox,
            compose::known_addresses,
            settings::get_settings,
            settings::set_settings,
            settings::box_signature,
            settings::set_box_signature,
            settings::save_attachment,
            settings::open_attachment,
            settings::preview_attachment,
            lock::lock_session,
            lock::lock_info,
            lock::unlock_password,
            lock::unlock_ecps,
            lock::resume_session,
        ])
        .build(tauri::generate_context!())
        .map(|app| {
            app.run(|_app, event| {
                if let tauri::RunEvent::Exit = event {
                    // Attachments opened with the system were written here: do not leave them.
                    let _ = std::fs::remove_dir_all(settings::open_dir());
                }
            })
        });

    if let Err(error) = result {
        // Nothing can be shown without a window; stderr is all that is left.
        eprintln!("Relais n'a pas pu démarrer : {error}");
        std::process::exit(1);
    }
}

/// Brings the existing window to the front when the user launches Relais again.
fn focus_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        // Each step may fail on some window managers; the next ones are still worth trying.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
