//! A stand-in StatusNotifier watcher with a registered host, for the end-to-end tests: the
//! session bus of `dbus-run-session` has no panel, and with none Herald (rightly) minimizes
//! instead of closing to the tray. `tests/e2e/desktop.py` runs this to check the tray path, and
//! stops it to check the no-tray path. Runs until killed; prints "ready" once it owns the name.

#[cfg(target_os = "linux")]
fn main() -> zbus::Result<()> {
    struct Watcher;

    #[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
    impl Watcher {
        fn register_status_notifier_item(&self, _service: &str) {}
        fn register_status_notifier_host(&self, _service: &str) {}
        #[zbus(property)]
        fn is_status_notifier_host_registered(&self) -> bool {
            true
        }
        #[zbus(property)]
        fn registered_status_notifier_items(&self) -> Vec<String> {
            Vec::new()
        }
        #[zbus(property)]
        fn protocol_version(&self) -> i32 {
            0
        }
    }

    let _conn = zbus::blocking::connection::Builder::session()?
        .name("org.kde.StatusNotifierWatcher")?
        .serve_at("/StatusNotifierWatcher", Watcher)?
        .build()?;
    println!("ready");
    loop {
        std::thread::park();
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {}
