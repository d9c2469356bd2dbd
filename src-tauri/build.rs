//! Generates Tauri's context and the permission for our one app command (`dispatch`), so the
//! capability file can grant exactly that and nothing else.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(&["dispatch"]));
    if let Err(e) = tauri_build::try_build(attributes) {
        // Startup of the build: a clear message is all we can do.
        println!("cargo:warning=tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
