//! Command tests through Tauri's mock runtime: no window, no WebKit, the real IPC path, the
//! real shell on a throw-away profile (see `support`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use herald_protocol::ipc::{
    EngineCommand, ErrorCode, QuietHours, Session, SessionCommand, Settings, ShellCommand, Theme,
    UiCommand, UiReply,
};
use support::{app_with, test_config, App};

fn custom_settings() -> Settings {
    Settings {
        dnd: true,
        quiet_hours: Some(QuietHours {
            from: "22:00".into(),
            to: "07:00".into(),
        }),
        muted_rooms: vec!["r-support".into()],
        mentions_only: true,
        previews: false,
        close_to_tray: false,
        start_on_login: false,
        theme: Theme::Dark,
    }
}

#[test]
fn app_info_round_trip_answers_name_version_and_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let reply = app
        .dispatch(&UiCommand::Shell(ShellCommand::AppInfo))
        .unwrap();
    let UiReply::AppInfo(info) = reply else {
        panic!("unexpected reply {reply:?}")
    };
    assert_eq!(info.name, "Herald");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.protocol, 1);
}

#[test]
fn view_state_of_a_fresh_profile_is_signed_out_with_the_server_url_prefilled() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), Some("http://127.0.0.1:8787"));
    let reply = app
        .dispatch(&UiCommand::Engine(EngineCommand::GetViewState))
        .unwrap();
    let UiReply::ViewState(view) = reply else {
        panic!("unexpected reply {reply:?}")
    };
    assert_eq!(
        view.session,
        Session::SignedOut {
            last_server_url: Some("http://127.0.0.1:8787".into())
        }
    );
    assert!(view.rooms.is_empty());
    assert_eq!(view.settings, Settings::default());
}

#[test]
fn view_state_asked_for_while_the_shell_is_starting_is_answered_once_it_has_started() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), Some("http://127.0.0.1:8787"));
    let app = App::unstarted(config.clone(), herald_desktop::context());
    let handle = app.handle().clone();
    // The setup hook starts the shell on a thread of its own; the UI asks before it is done.
    let starter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        herald_desktop::start(&handle, &config).unwrap();
    });
    let reply = app.dispatch(&UiCommand::Engine(EngineCommand::GetViewState));
    starter.join().unwrap();
    let Ok(UiReply::ViewState(view)) = reply else {
        panic!("unexpected reply {reply:?}")
    };
    assert!(matches!(view.session, Session::SignedOut { .. }));
}

#[test]
fn a_shell_that_cannot_start_answers_commands_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    // The profile "directory" is a file: it can be neither created nor opened.
    let profile = dir.path().join("not-a-directory");
    std::fs::write(&profile, b"x").unwrap();
    let config = test_config(&profile, None);
    let app = App::unstarted(config.clone(), herald_desktop::context());
    assert!(herald_desktop::start(app.handle(), &config).is_err());
    let e = app
        .dispatch(&UiCommand::Engine(EngineCommand::GetViewState))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Internal);
    assert!(
        e.message
            .starts_with("Herald could not start: no profile directory"),
        "{}",
        e.message
    );
}

#[test]
fn settings_set_then_get_round_trips_and_survive_a_rebuilt_app() {
    let dir = tempfile::tempdir().unwrap();
    let wanted = custom_settings();
    {
        let app = app_with(dir.path(), None);
        assert_eq!(app.settings(), Settings::default());
        let reply = app
            .dispatch(&UiCommand::Engine(EngineCommand::SetSettings {
                settings: wanted.clone(),
            }))
            .unwrap();
        assert_eq!(reply, UiReply::Ack);
        assert_eq!(app.settings(), wanted);
    }
    let app = app_with(dir.path(), None);
    assert_eq!(app.settings(), wanted);
    let UiReply::ViewState(view) = app
        .dispatch(&UiCommand::Engine(EngineCommand::GetViewState))
        .unwrap()
    else {
        panic!("no view state")
    };
    assert_eq!(view.settings, wanted, "the view carries the saved settings");
}

/// The shell's file, read as JSON (absent: an empty object).
fn settings_json(dir: &std::path::Path) -> serde_json::Value {
    std::fs::read(dir.join("settings.json"))
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap_or_else(|_| serde_json::json!({}))
}

#[test]
fn settings_have_one_owner_the_engine_store_and_settings_json_never_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = app_with(dir.path(), None);
        app.dispatch(&UiCommand::Engine(EngineCommand::SetSettings {
            settings: custom_settings(),
        }))
        .unwrap();
    }
    assert!(
        settings_json(dir.path()).get("settings").is_none(),
        "settings.json must not be a second copy: {}",
        settings_json(dir.path())
    );
    // Another writer of settings.json (an old Herald, a person editing it) no longer wins.
    std::fs::write(
        dir.path().join("settings.json"),
        serde_json::to_vec(&serde_json::json!({ "last_server_url": "http://127.0.0.1:1" }))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(app_with(dir.path(), None).settings(), custom_settings());
}

#[test]
fn settings_an_older_version_saved_in_settings_json_are_taken_over_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        serde_json::to_vec(&serde_json::json!({
            "settings": custom_settings(),
            "last_server_url": "http://127.0.0.1:9"
        }))
        .unwrap(),
    )
    .unwrap();
    {
        let app = app_with(dir.path(), None);
        assert_eq!(app.settings(), custom_settings(), "imported at start");
    }
    let file = settings_json(dir.path());
    assert!(
        file.get("settings").is_none(),
        "the old key is removed: {file}"
    );
    assert_eq!(
        file["last_server_url"], "http://127.0.0.1:9",
        "the rest is kept"
    );
    let app = app_with(dir.path(), None);
    assert_eq!(app.settings(), custom_settings(), "and kept by the engine");
}

#[test]
fn the_shell_acts_on_settings_changed_through_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    assert_eq!(
        herald_desktop::shell_settings(app.handle()).map(|s| s.close_to_tray),
        Some(true)
    );
    app.dispatch(&UiCommand::Engine(EngineCommand::SetSettings {
        settings: custom_settings(),
    }))
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while herald_desktop::shell_settings(app.handle()) != Some(custom_settings())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        herald_desktop::shell_settings(app.handle()),
        Some(custom_settings()),
        "closing the window must follow close_to_tray = false"
    );
}

#[test]
fn set_room_muted_updates_the_saved_settings() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    app.dispatch(&UiCommand::Engine(EngineCommand::SetRoomMuted {
        room_id: "r1".into(),
        muted: true,
    }))
    .unwrap();
    assert_eq!(app.settings().muted_rooms, vec!["r1".to_owned()]);
    app.dispatch(&UiCommand::Engine(EngineCommand::SetRoomMuted {
        room_id: "r1".into(),
        muted: false,
    }))
    .unwrap();
    assert!(app.settings().muted_rooms.is_empty());
    drop(app);
    assert!(app_with(dir.path(), None).settings().muted_rooms.is_empty());
}

#[test]
fn a_corrupt_settings_file_falls_back_to_defaults_and_is_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("settings.json"), b"{ this is not json").unwrap();
    let app = app_with(dir.path(), None);
    assert_eq!(app.settings(), Settings::default());
    assert!(dir.path().join("settings.json.bad").exists());
    // And the app still saves new settings over it.
    app.dispatch(&UiCommand::Engine(EngineCommand::SetSettings {
        settings: custom_settings(),
    }))
    .unwrap();
    drop(app);
    assert_eq!(app_with(dir.path(), None).settings(), custom_settings());
}

#[test]
fn settings_of_the_wrong_shape_fall_back_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        br#"{"settings": {"dnd": "yes please", "theme": 7}}"#,
    )
    .unwrap();
    let app = app_with(dir.path(), None);
    assert_eq!(app.settings(), Settings::default());
}

#[test]
fn opening_an_unknown_room_fails_with_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let err = app
        .dispatch(&UiCommand::Engine(EngineCommand::OpenRoom {
            room_id: "nope".into(),
        }))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[test]
fn login_to_an_unreachable_server_fails_with_server_unreachable_and_keeps_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let err = app
        .dispatch(&UiCommand::Session(SessionCommand::Login {
            server_url: "http://127.0.0.1:1".into(),
            username: "alice".into(),
            password: "herald".into(),
            backend: None,
            token: None,
            allow_cleartext: false,
        }))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ServerUnreachable);
    assert!(!dir.path().join("session.token").exists());
}

#[test]
fn a_password_to_a_remote_plain_http_server_waits_for_the_persons_yes() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let login = |allow_cleartext| {
        app.dispatch(&UiCommand::Session(SessionCommand::Login {
            // Not a loopback address, but Linux connects it locally: a confirmed attempt is
            // refused at once by the closed port.
            server_url: "http://0.0.0.0:1".into(),
            username: "alice".into(),
            password: "herald".into(),
            backend: None,
            token: None,
            allow_cleartext,
        }))
        .unwrap_err()
    };
    let refused = login(false);
    assert_eq!(refused.code, ErrorCode::InsecureServer);
    assert!(refused.message.contains("0.0.0.0"), "{}", refused.message);
    assert_ne!(
        login(true).code,
        ErrorCode::InsecureServer,
        "confirmed: it tries"
    );
}

#[test]
fn login_without_a_username_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let err = app
        .dispatch(&UiCommand::Session(SessionCommand::Login {
            server_url: "http://127.0.0.1:1".into(),
            username: " ".into(),
            password: "x".into(),
            backend: None,
            token: None,
            allow_cleartext: false,
        }))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}

#[test]
fn commands_that_need_a_session_fail_with_a_code_when_signed_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let err = app
        .dispatch(&UiCommand::Engine(EngineCommand::RetryConnectionNow))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotSignedIn);
}

#[test]
fn open_url_refuses_anything_but_web_and_mail_links() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    let err = app
        .dispatch(&UiCommand::Shell(ShellCommand::OpenUrl {
            url: "file:///etc/passwd".into(),
        }))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
}

#[test]
fn check_for_updates_with_an_unreachable_feed_fails_with_update_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), None);
    config.updates.endpoint = Some("http://127.0.0.1:1/feed.json".into());
    let app = App::start(config, herald_desktop::context());
    let err = app
        .dispatch(&UiCommand::Shell(ShellCommand::CheckForUpdates))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UpdateFailed);
    assert!(
        err.message.contains("could not be reached"),
        "{}",
        err.message
    );
}
