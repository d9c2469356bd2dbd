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

use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use herald_protocol::ipc::{ErrorCode, ShellCommand, UiCommand, UiReply, UpdateStatus};
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

/// Serves `/feed.json` (announcing `version` with `signature`) and `/Herald.AppImage`
/// (`served`) on 127.0.0.1; runs until the test process exits.
fn serve_feed(version: &'static str, signature: String, served: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let manifest = serde_json::json!({
        "version": version,
        "notes": "Test release",
        "pub_date": "2026-12-01T00:00:00Z",
        "platforms": {
            "linux-x86_64": {
                "signature": signature,
                "url": format!("http://{addr}/Herald.AppImage"),
            }
        }
    })
    .to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let router = Router::new()
                .route("/feed.json", get(move || async move { manifest }))
                .route("/Herald.AppImage", get(move || async move { served }));
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    addr
}

/// The app trusting `pubkey`, pointed at a local feed, installing into a fake installed
/// AppImage (`INSTALLED` at first) in a temporary directory.
struct Fixture {
    dir: tempfile::TempDir,
    app: App,
}

impl Fixture {
    fn new(pubkey: &str, version: &'static str, signature: String, served: &'static [u8]) -> Self {
        let addr = serve_feed(version, signature, served);
        let dir = tempfile::tempdir().unwrap();
        let mut context = herald_desktop::context();
        context.config_mut().plugins.0.insert(
            "updater".into(),
            serde_json::json!({
                "pubkey": pubkey,
                "endpoints": [format!("http://{addr}/feed.json")],
                // Loopback in a test; release builds refuse anything but https.
                "dangerousInsecureTransportProtocol": true,
            }),
        );
        let mut config = test_config(&dir.path().join("profile"), None);
        config.updates.install_path = Some(dir.path().join("Herald.AppImage"));
        std::fs::write(dir.path().join("Herald.AppImage"), INSTALLED).unwrap();
        let app = App::start(config, context);
        Self { dir, app }
    }

    /// What the installed AppImage holds now.
    fn installed(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("Herald.AppImage")).unwrap()
    }
}

#[test]
fn a_signed_update_is_downloaded_verified_and_installed() {
    let (pubkey, sk) = test_key();
    let f = Fixture::new(&pubkey, "9.9.9", sign(&sk, NEW_BUILD, "9.9.9"), NEW_BUILD);

    let reply = f
        .app
        .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
        .unwrap();

    assert_eq!(
        reply,
        UiReply::Update(UpdateStatus::Ready {
            version: "9.9.9".into()
        })
    );
    assert_eq!(f.installed(), NEW_BUILD);
    // A second check this run answers from what was installed, without downloading again.
    assert_eq!(
        f.app
            .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
            .unwrap(),
        reply
    );
}

#[test]
fn a_tampered_update_is_refused_and_nothing_is_installed() {
    let (pubkey, sk) = test_key();
    const TAMPERED: &[u8] =
        b"\x7fELF\x02\x01\x01 Herald 9.9.9, the new AppImagE .........................";
    let f = Fixture::new(&pubkey, "9.9.9", sign(&sk, NEW_BUILD, "9.9.9"), TAMPERED);

    let err = f
        .app
        .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
        .unwrap_err();

    assert_eq!(err.code, ErrorCode::UpdateFailed);
    assert!(
        err.message.contains("not signed with Herald's key"),
        "{}",
        err.message
    );
    assert_eq!(f.installed(), INSTALLED);
}

#[test]
fn an_update_signed_by_another_key_is_refused() {
    let (pubkey, _) = test_key();
    let (_, other_sk) = test_key();
    let f = Fixture::new(
        &pubkey,
        "9.9.9",
        sign(&other_sk, NEW_BUILD, "9.9.9"),
        NEW_BUILD,
    );

    let err = f
        .app
        .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
        .unwrap_err();

    assert_eq!(err.code, ErrorCode::UpdateFailed);
    assert_eq!(f.installed(), INSTALLED);
}

#[test]
fn a_feed_announcing_an_older_version_is_up_to_date() {
    let (pubkey, sk) = test_key();
    let f = Fixture::new(&pubkey, "0.0.1", sign(&sk, NEW_BUILD, "0.0.1"), NEW_BUILD);

    let reply = f
        .app
        .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
        .unwrap();

    assert_eq!(reply, UiReply::Update(UpdateStatus::UpToDate));
    assert_eq!(f.installed(), INSTALLED);
}
