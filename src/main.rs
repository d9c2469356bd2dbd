//! The wasm entry point: mounts the Yew app on `<body>`.

fn main() {
    yew::Renderer::<herald_ui::App>::new().render();
}
