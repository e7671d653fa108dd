//! The directory benchmark (run by `tests/bench/directory`): import a generated extraction,
//! then time typical autocomplete queries. Usage: `directory_bench SOURCE.txt DB.sqlite`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use relais_core::NationalId;
use relais_directory::{
    entry_in_extraction, nominative_boxes_in_extraction, Directory, ImportPhase,
};

const QUERIES: &[&str] = &[
    "cardio 64",
    "dupont pau",
    "pau dupont",
    "martin",
    "ma",
    "secretariat cardio",
    "hélène lefèvre",
    "helene lefevre",
    "pediatrie bayonne",
    "kine 75",
    "jean-marc",
    "infirmier lyon",
    "etcheverry",
    "radio toulouse",
    "ch-pau",
    "du",
    "laboratoire 33",
    "cabinet nantes",
    "psychiatrie 13",
    "zzzz",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (src, db) = (Path::new(&args[1]), Path::new(&args[2]));
    let _ = std::fs::remove_file(db);
    let mut last_report = Instant::now();
    let mut indexing_seen = false;
    let report = Directory::import(db, src, &mut |p| {
        if last_report.elapsed().as_secs_f32() >= 2.0
            || (p.phase == ImportPhase::Indexing && !indexing_seen)
            || p.phase == ImportPhase::Done
        {
            indexing_seen |= p.phase == ImportPhase::Indexing;
            eprintln!(
                "  {:>5.1} % {:?} {} rows",
                p.fraction * 100.0,
                p.phase,
                p.rows
            );
            last_report = Instant::now();
        }
        true
    })
    .unwrap();
    println!(
        "import: {} rows ({} skipped) in {:.1} s (reading {:.1} s, index {:.1} s); file {:.0} MB",
        report.rows,
        report.skipped,
        report.total_ms as f64 / 1000.0,
        report.read_ms as f64 / 1000.0,
        report.index_ms as f64 / 1000.0,
        std::fs::metadata(db).map(|m| m.len()).unwrap_or_default() as f64 / 1e6
    );

    let d = Directory::open(db).unwrap();
    // Warm the page cache once, as a running app would be.
    for q in QUERIES {
        d.search(q, 10).unwrap();
    }
    let mut all = Vec::new();
    for q in QUERIES {
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..20 {
            let t = Instant::now();
            hits = d.search(q, 10).unwrap().len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {:<22} {:>2} hits  p50 {:>6.2} ms  max {:>6.2} ms",
            format!("« {q} »"),
            hits,
            times[times.len() / 2],
            times[times.len() - 1]
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "search: {} queries  p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        all.len(),
        pct(0.50),
        pct(0.95),
        all[all.len() - 1]
    );

    // A person's nominative boxes by national identifier (sign-in), from the index and
    // straight from the file; the owner of an address from the file.
    let marie = NationalId::parse("810100000041").unwrap();
    let t = Instant::now();
    let found = d.nominative_boxes(&marie).unwrap().len();
    let indexed_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let scanned = nominative_boxes_in_extraction(src, &marie).unwrap().len();
    let scan_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let owner = entry_in_extraction(src, "marie.martin@ch-demo.mssante.fr").unwrap();
    let owner_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "own box by national id: index {found} in {indexed_ms:.2} ms; extraction file {scanned} in {scan_ms:.0} ms; owner of an address from the file {} in {owner_ms:.0} ms",
        u8::from(owner.is_some())
    );
}
