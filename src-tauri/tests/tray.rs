//! The tray menu's actions on the mock runtime: CI machines have no StatusNotifier host to
//! click, so the tests call the same handler the menu does, by item id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use herald_desktop::tray::{item, on_menu_item};
use herald_protocol::ipc::Settings;
use support::app_with;

fn wait_for_settings(app: &support::App, want: impl Fn(&Settings) -> bool) -> Settings {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = app.settings();
        if want(&s) || Instant::now() > deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn do_not_disturb_in_the_tray_toggles_the_saved_setting() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    assert!(!app.settings().dnd);

    on_menu_item(app.handle(), item::DND);
    assert!(wait_for_settings(&app, |s| s.dnd).dnd, "DND on");

    on_menu_item(app.handle(), item::DND);
    assert!(!wait_for_settings(&app, |s| !s.dnd).dnd, "DND off again");
    drop(app);
    assert!(
        !app_with(dir.path(), None).settings().dnd,
        "saved, not only in memory"
    );
}

#[test]
fn unknown_or_window_items_never_fail_without_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(dir.path(), None);
    on_menu_item(app.handle(), item::OPEN);
    on_menu_item(app.handle(), item::MARK_ALL_READ);
    on_menu_item(app.handle(), "no-such-item");
    assert_eq!(app.settings(), Settings::default());
}
