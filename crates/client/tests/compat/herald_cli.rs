//! `herald-cli` against each seed backend, as the README's commands run it: `login --backend`,
//! then `rooms` / `notifications` / `send`, checked against the backend's own state.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::backend::{PyBackend, PASSWORD};

/// Runs `herald-cli --profile <dir> <args>` (bounded by its own `--seconds`), returns stdout.
fn cli(profile: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_herald-cli"))
        .arg("--profile")
        .arg(profile)
        .args(args)
        .env("HERALD_PASSWORD", PASSWORD)
        .output()
        .expect("herald-cli runs");
    assert!(
        out.status.success(),
        "herald-cli {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Signs in with `backend`, lists `what` (rooms or notifications); returns the JSON lines.
fn login_and_list(b: &PyBackend, dir: &Path, backend: &str, user: &str, what: &str) -> Vec<Value> {
    let profile = dir.join(backend);
    let me = cli(
        &profile,
        &[
            "login",
            "--server",
            &b.url(),
            "--backend",
            backend,
            "--username",
            user,
        ],
    );
    assert!(me.contains("\"id\""), "login printed {me}");
    lines(&cli(&profile, &[what, "--seconds", "3"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_cli_signs_in_lists_and_sends_on_every_seed_backend() {
    let dir = tempfile::tempdir().unwrap();
    // 001: conversations as rooms, and a message sent through the conversation API
    let b = PyBackend::start("001", &dir.path().join("b001"));
    let rooms = login_and_list(&b, dir.path(), "seed-001", "alice", "rooms");
    assert!(!rooms.is_empty(), "seed-001 rooms");
    let room = rooms[0]["room"]["id"].as_str().unwrap().to_owned();
    let sent = cli(
        &dir.path().join("seed-001"),
        &[
            "send",
            "--room",
            &room,
            "--text",
            "from herald-cli",
            "--seconds",
            "15",
        ],
    );
    assert_eq!(sent.trim(), "sent");
    drop(b);
    // 002: the Ventree owner's bell over Socket.IO
    let b = PyBackend::start("002", &dir.path().join("b002"));
    let notes = login_and_list(
        &b,
        dir.path(),
        "ventree",
        "alice@example.com",
        "notifications",
    );
    assert!(!notes.is_empty(), "ventree notifications");
    drop(b);
    // 003: Artchive's bell
    let b = PyBackend::start("003", &dir.path().join("b003"));
    let notes = login_and_list(&b, dir.path(), "artchive", "alice", "notifications");
    assert!(!notes.is_empty(), "artchive notifications");
    drop(b);
    // 004, both shapes: the job rooms, and a message sent (stored once by the backend)
    let b = PyBackend::start("004", &dir.path().join("b004"));
    for backend in ["ecleaner", "ecleaner-asis"] {
        let before = b.state("alice").await["messages_count"].as_u64().unwrap();
        let rooms = login_and_list(&b, dir.path(), backend, "alice", "rooms");
        let ids: Vec<&str> = rooms
            .iter()
            .filter_map(|r| r["room"]["id"].as_str())
            .collect();
        assert!(ids.contains(&"12"), "{backend}: {ids:?}");
        let sent = cli(
            &dir.path().join(backend),
            &[
                "send",
                "--room",
                "12",
                "--text",
                &format!("from herald-cli on {backend}"),
                "--seconds",
                "15",
            ],
        );
        assert_eq!(sent.trim(), "sent", "{backend}");
        assert_eq!(
            b.state("alice").await["messages_count"].as_u64(),
            Some(before + 1),
            "{backend}: stored once"
        );
    }
}
