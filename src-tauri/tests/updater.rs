//! The signed auto-update, end to end on the mock runtime: a local update feed on loopback, a
//! minisign key made for the test (the format `tauri signer` writes), the real updater plugin
//! reached through the real `check_for_updates` command.
//!
//! Given a feed announcing 9.9.9 with a correctly signed AppImage, the check downloads it,
//! verifies it and installs it over the (fake) installed AppImage. Given the same feed serving
//! a byte-flipped artifact, the check is refused and the installed file is untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::Path;

use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use herald_protocol::ipc::{ErrorCode, UiCommand, UiReply, UpdateStatus};
use support::{test_config, App};

// ELF magic and more than an ELF header's worth of bytes: what the installer checks an AppImage
// for before it replaces the installed one.
const INSTALLED: &[u8] =
    b"\x7fELF\x02\x01\x01 the installed Herald AppImage .........................";
const NEW_BUILD: &[u8] =
    b"\x7fELF\x02\x01\x01 Herald 9.9.9, the new AppImage .........................";

/// A test signing key: (public key as tauri.conf.json wants it, secret key).
fn test_key() -> (String, minisign::SecretKey) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let pk_box = pair.pk.to_box().unwrap().into_string();
    let pubkey = base64::engine::general_purpose::STANDARD.encode(pk_box);
    (pubkey, pair.sk)
}

/// The `.sig` text `tauri signer sign` would write for `bytes` of `version`, base64'd.
fn sign(sk: &minisign::SecretKey, bytes: &[u8], version: &str) -> String {
    let trusted = format!("timestamp:1764547200\tfile:Herald.AppImage\tversion:{version}");
    let sig = minisign::sign(None, sk, Cursor::new(bytes), Some(&trusted), None).unwrap();
    base64::engine::general_purpose::STANDARD.encode(sig.into_string())
}

/// Serves `/{name}/feed.json` and `/{name}/Herald.AppImage` for each (name, version,
/// signature, served bytes) on 127.0.0.1; runs until the test process exits.
fn serve_feeds(feeds: Vec<(&'static str, &'static str, String, &'static [u8])>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut router = Router::new();
            for (name, version, signature, bytes) in feeds {
                let manifest = serde_json::json!({
                    "version": version,
                    "notes": "Test release",
                    "pub_date": "2026-12-01T00:00:00Z",
                    "platforms": {
                        "linux-x86_64": {
                            "signature": signature,
                            "url": format!("http://{addr}/{name}/Herald.AppImage"),
                        }
                    }
                })
                .to_string();
                router = router
                    .route(
                        &format!("/{name}/feed.json"),
                        get(move || async move { manifest }),
                    )
                    .route(
                        &format!("/{name}/Herald.AppImage"),
                        get(move || async move { bytes }),
                    );
            }
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    addr
}

/// The app with the test key and the feed `name`, installing into `dir/Herald.AppImage`.
fn app_with_feed(dir: &Path, pubkey: &str, addr: SocketAddr, name: &str) -> App {
    let mut context = herald_desktop::context();
    context.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({
            "pubkey": pubkey,
            "endpoints": [format!("http://{addr}/{name}/feed.json")],
            // Loopback in a test; release builds refuse anything but https.
            "dangerousInsecureTransportProtocol": true,
        }),
    );
    let mut config = test_config(&dir.join("profile"), None);
    config.updates.install_path = Some(dir.join("Herald.AppImage"));
    std::fs::write(dir.join("Herald.AppImage"), INSTALLED).unwrap();
    App::start(config, context)
}

#[test]
fn a_signed_update_is_downloaded_verified_and_installed() {
    let (pubkey, sk) = test_key();
    let signature = sign(&sk, NEW_BUILD, "9.9.9");
    let addr = serve_feeds(vec![("good", "9.9.9", signature, NEW_BUILD)]);
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_feed(dir.path(), &pubkey, addr, "good");

    let reply = app.dispatch(&UiCommand::CheckForUpdates).unwrap();

    assert_eq!(
        reply,
        UiReply::Update(UpdateStatus::Ready {
            version: "9.9.9".into()
        })
    );
    assert_eq!(
        std::fs::read(dir.path().join("Herald.AppImage")).unwrap(),
        NEW_BUILD
    );
    // A second check this run answers from what was installed, without downloading again.
    assert_eq!(app.dispatch(&UiCommand::CheckForUpdates).unwrap(), reply);
}

#[test]
fn a_tampered_update_is_refused_and_nothing_is_installed() {
    let (pubkey, sk) = test_key();
    let signature = sign(&sk, NEW_BUILD, "9.9.9");
    const TAMPERED: &[u8] =
        b"\x7fELF\x02\x01\x01 Herald 9.9.9, the new AppImagE .........................";
    let addr = serve_feeds(vec![("tampered", "9.9.9", signature, TAMPERED)]);
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_feed(dir.path(), &pubkey, addr, "tampered");

    let err = app.dispatch(&UiCommand::CheckForUpdates).unwrap_err();

    assert_eq!(err.code, ErrorCode::UpdateFailed);
    assert!(
        err.message.contains("not signed with Herald's key"),
        "{}",
        err.message
    );
    assert_eq!(
        std::fs::read(dir.path().join("Herald.AppImage")).unwrap(),
        INSTALLED
    );
}

#[test]
fn an_update_signed_by_another_key_is_refused() {
    let (pubkey, _) = test_key();
    let (_, other_sk) = test_key();
    let signature = sign(&other_sk, NEW_BUILD, "9.9.9");
    let addr = serve_feeds(vec![("stranger", "9.9.9", signature, NEW_BUILD)]);
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_feed(dir.path(), &pubkey, addr, "stranger");

    let err = app.dispatch(&UiCommand::CheckForUpdates).unwrap_err();

    assert_eq!(err.code, ErrorCode::UpdateFailed);
    assert_eq!(
        std::fs::read(dir.path().join("Herald.AppImage")).unwrap(),
        INSTALLED
    );
}

#[test]
fn a_feed_announcing_an_older_version_is_up_to_date() {
    let (pubkey, sk) = test_key();
    let signature = sign(&sk, NEW_BUILD, "0.0.1");
    let addr = serve_feeds(vec![("old", "0.0.1", signature, NEW_BUILD)]);
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_feed(dir.path(), &pubkey, addr, "old");

    let reply = app.dispatch(&UiCommand::CheckForUpdates).unwrap();

    assert_eq!(reply, UiReply::Update(UpdateStatus::UpToDate));
    assert_eq!(
        std::fs::read(dir.path().join("Herald.AppImage")).unwrap(),
        INSTALLED
    );
}
