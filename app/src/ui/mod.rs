//! The app's screens. Components render state and send intents; the work is done by the library crates.

use leptos::prelude::*;

pub mod gate;

/// The tracker once the vault is unlocked: navigation between the screens.
#[component]
pub fn Tracker() -> impl IntoView {
    view! {
        <section class="card" data-testid="tracker">
            <h2>"Portfolio"</h2>
            <p class="muted">"No accounts yet."</p>
        </section>
    }
}
