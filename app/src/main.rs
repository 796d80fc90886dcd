//! Entry point of the wasm bundle: mounts the app on a page; in the engine worker (`static/worker.js`) it does
//! nothing, and the worker script calls `serve_worker` instead.
fn main() {
    console_error_panic_hook::set_once();
    if app::worker::in_worker() {
        return;
    }
    leptos::mount::mount_to_body(app::App);
}
