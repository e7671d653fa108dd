//! Cold start of the desktop app (`src-tauri`, the `relais-app` binary) under Xvfb: from the
//! spawn of `xvfb-run -a relais-app` to the moment the UI says its first message-list page
//! is painted. The app writes that moment (Unix ms) into the file named by
//! `RELAIS_PAINTED_MARKER` (`list <ms>`, or `signin <ms>` for the sign-in screen), after a
//! `requestAnimationFrame` following the rows' render.
//!
//! - **100k cached**: `RELAIS_PROFILE_DIR` on the bench's synced profile of the largest box;
//!   session resume opens the mailbox and the person's own box directly.
//! - **Baseline**: the same binary on an empty profile, to a painted sign-in screen.
//! - **Xvfb alone**: `xvfb-run -a true`, the part of both figures that is the display server.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::proxy::unix_ms;

/// What one cold-start measurement gives (medians of 3 runs, seconds).
pub struct ColdStart {
    pub app: PathBuf,
    pub list: f64,
    pub list_runs: Vec<f64>,
    /// Spawn → the mailbox screen mounted (session resumed), same runs.
    pub mailbox: f64,
    pub signin: f64,
    pub signin_runs: Vec<f64>,
    pub xvfb: f64,
    /// The window's own interactions, in one more launch on the same profile.
    pub interactions: Result<Interactions, String>,
}

/// `RELAIS_BENCH_APP`, else `target/release/relais-app`, else `target/debug/relais-app`. A
/// release binary reads `RELAIS_PAINTED_MARKER` only when built with the app's `test-hooks`
/// feature (`tauri build -- --features test-hooks`); a packaged build ignores it.
pub fn app_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RELAIS_BENCH_APP").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("relais-app"))
        .find(|p| p.is_file())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Stops a process group started with `process_group(0)`.
fn stop_group(child: &mut std::process::Child) {
    let pgid = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &pgid]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill").args(["-KILL", "--", &pgid]).status();
    let _ = child.wait();
}

/// Spawns the app under Xvfb on `profile_dir` with the paint marker `work/painted-{name}`,
/// and waits (90 s at most) until the marker's text satisfies `finished`. Gives the spawn
/// time (Unix ms) and the marker's text.
fn run_app(
    app: &Path,
    profile_dir: &Path,
    operator: &Path,
    name: &str,
    work: &Path,
    extra_env: &[(&str, &str)],
    finished: impl Fn(&str) -> bool,
) -> Result<(u64, String), String> {
    let marker = work.join(format!("painted-{name}"));
    let _ = std::fs::remove_file(&marker);
    let log_path = work.join(format!("app-{name}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let spawned_ms = unix_ms();
    let mut command = Command::new("xvfb-run");
    command
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(app)
        .env("RELAIS_PROFILE_DIR", profile_dir)
        .env("RELAIS_OPERATOR", operator)
        .env("RELAIS_PAINTED_MARKER", &marker)
        // A resumed session opens unlocked (the lock screen waits for a person's password;
        // the figure is the app's own time, see src-tauri/src/bench.rs).
        .env("RELAIS_BENCH_RESUME_UNLOCKED", "1")
        // The kernel keyring (as the bench's children used), no desktop's single instance.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RELAIS_PERSONAS")
        .env_remove("RELAIS_ANNUAIRE");
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("xvfb-run {}: {e}", app.display()))?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut text = String::new();
    let done = loop {
        text.clear();
        if let Ok(mut f) = std::fs::File::open(&marker) {
            let _ = f.read_to_string(&mut text);
        }
        if finished(&text) {
            break true;
        }
        if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    stop_group(&mut child);
    if done {
        Ok((spawned_ms, text))
    } else {
        Err(format!(
            "the app never wrote what was awaited in {} (see {})",
            marker.display(),
            log_path.display()
        ))
    }
}

/// The first `kind <unix ms>` line of a marker.
fn stamp(text: &str, kind: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        l.strip_prefix(kind)
            .filter(|rest| rest.starts_with(' '))
            .and_then(|rest| rest.trim().parse::<u64>().ok())
    })
}

/// One launch: seconds from spawn to the marker line `kind <ms>`, and to each other line.
fn launch(
    app: &Path,
    profile_dir: &Path,
    operator: &Path,
    kind: &str,
    work: &Path,
    run: usize,
) -> Result<(f64, Vec<(String, f64)>), String> {
    let (spawned_ms, text) = run_app(
        app,
        profile_dir,
        operator,
        &format!("{kind}-{run}"),
        work,
        &[],
        |text| stamp(text, kind).is_some(),
    )?;
    let secs = |ms: u64| ms.saturating_sub(spawned_ms) as f64 / 1000.0;
    let others = text
        .lines()
        .filter_map(|l| {
            let (k, ms) = l.split_once(' ')?;
            Some((k.to_owned(), secs(ms.trim().parse().ok()?)))
        })
        .collect();
    let found = stamp(&text, kind).ok_or_else(|| format!("no « {kind} » line"))?;
    Ok((secs(found), others))
}

/// What the window measured of its own interactions (`ui/src/lib/benchInteractions.ts`),
/// milliseconds: each search from its last keystroke to the results painted, each move from
/// the click on its destination to the row gone from the painted list, and the engine's
/// share of each (the command's call into the engine, in the app's process).
pub struct Interactions {
    pub search: Vec<f64>,
    pub engine_search: Vec<f64>,
    pub mv: Vec<f64>,
    pub engine_move: Vec<f64>,
}

/// One launch on the cached profile in which the window plays the benchmark's interactions.
pub fn interactions(
    app: &Path,
    cached_profile: &Path,
    operator: &Path,
    work: &Path,
) -> Result<Interactions, String> {
    let (_, text) = run_app(
        app,
        cached_profile,
        operator,
        "interactions",
        work,
        &[("RELAIS_BENCH_INTERACTIONS", "1")],
        |text| {
            text.lines()
                .any(|l| l.starts_with("took done") || l.starts_with("took failed"))
        },
    )?;
    if let Some(step) = text.lines().find_map(|l| l.strip_prefix("took failed-")) {
        return Err(format!(
            "the window's interactions stopped at « {} » (see {})",
            step.split(' ').next().unwrap_or_default(),
            work.join("app-interactions.log").display()
        ));
    }
    let values = |prefix: &str| -> Vec<f64> {
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix)?.trim().parse().ok())
            .collect()
    };
    Ok(Interactions {
        search: values("took search "),
        engine_search: values("engine search "),
        mv: values("took move "),
        engine_move: values("engine move "),
    })
}

/// Three launches on the cached profile, three on an empty one, three of Xvfb alone.
pub fn measure(
    app: &Path,
    cached_profile: &Path,
    operator: &Path,
    work: &Path,
) -> Result<ColdStart, String> {
    let mut list_runs = Vec::new();
    let mut signin_runs = Vec::new();
    let mut xvfb_runs = Vec::new();
    let mut mailbox_runs = Vec::new();
    for run in 0..3 {
        let (list, others) = launch(app, cached_profile, operator, "list", work, run)?;
        list_runs.push(list);
        if let Some((_, s)) = others.iter().find(|(k, _)| k == "mailbox") {
            mailbox_runs.push(*s);
        }
        let empty = work.join(format!("empty-profile-{run}"));
        let _ = std::fs::remove_dir_all(&empty);
        std::fs::create_dir_all(&empty).map_err(|e| e.to_string())?;
        signin_runs.push(launch(app, &empty, operator, "signin", work, run)?.0);
        let t = Instant::now();
        let status = Command::new("xvfb-run")
            .args(["-a", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            xvfb_runs.push(t.elapsed().as_secs_f64());
        }
    }
    // Last: its moves change the cached box.
    let interactions = interactions(app, cached_profile, operator, work);
    Ok(ColdStart {
        interactions,
        app: app.to_path_buf(),
        list: median(list_runs.clone()),
        list_runs,
        mailbox: median(mailbox_runs),
        signin: median(signin_runs.clone()),
        signin_runs,
        xvfb: median(xvfb_runs),
    })
}
