//! The Meetcrypt app: Leptos components that render state and send intents. Logic lives in the library crates.
use leptos::prelude::*;

pub mod idb;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <main class="shell" data-testid="app">
            <header class="topbar">
                <h1 class="brand">"Meetcrypt"</h1>
                <p class="tagline">"Read-only portfolio and PnL. Your keys never leave this browser."</p>
            </header>
            <section class="card" data-testid="first-run">
                <h2>"Welcome"</h2>
                <p>"Meetcrypt keeps your exchange API keys encrypted in this browser with a passphrase only you know."</p>
            </section>
        </main>
    }
}
