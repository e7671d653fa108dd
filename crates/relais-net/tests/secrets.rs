//! The OS keyring. On a Linux machine without a session bus this is the kernel keyutils
//! store; the test skips (printing why) only when the backend itself is unavailable, and fails
//! instead under `CI=true`.

use relais_net::{SecretError, SecretStore};

#[test]
fn save_load_delete() {
    let store = SecretStore::new();
    println!("backend: {:?}", store.backend());
    let profile = format!("test-{}", std::process::id());
    match store.save_password(&profile, "marie.martin@ch-demo.mssante.fr", "relais-demo") {
        Err(SecretError::Unavailable { backend, detail }) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "CI=true and the keyring backend {backend:?} is unavailable: {detail}"
            );
            println!("SKIPPED: keyring backend {backend:?} unavailable here: {detail}");
            return;
        }
        other => other.expect("save password"),
    }
    assert_eq!(
        store
            .password(&profile, "marie.martin@ch-demo.mssante.fr")
            .unwrap()
            .as_deref(),
        Some("relais-demo")
    );
    store
        .save_refresh_token(&profile, "810100000041", "rt-1")
        .unwrap();
    store
        .save_refresh_token(&profile, "810100000041", "rt-2")
        .unwrap();
    assert_eq!(
        store
            .refresh_token(&profile, "810100000041")
            .unwrap()
            .as_deref(),
        Some("rt-2")
    );
    assert_eq!(store.password(&profile, "nobody").unwrap(), None);

    store.delete_all(&profile).unwrap();
    assert_eq!(
        store
            .password(&profile, "marie.martin@ch-demo.mssante.fr")
            .unwrap(),
        None
    );
    assert_eq!(store.refresh_token(&profile, "810100000041").unwrap(), None);
    // Deleting twice is fine.
    store.delete_all(&profile).unwrap();
}
