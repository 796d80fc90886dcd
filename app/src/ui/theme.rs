//! Light or dark: the page follows the system's setting (`prefers-color-scheme`, in `static/styles.css`) unless
//! the user chose otherwise with the toggle beside the tabs. The choice is kept in the sealed settings, so it is
//! known once the vault is unlocked; before that (the first-run and unlock screens) the page follows the system.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::records::{self, AppSettings, Setting, Theme};

const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

/// Whether the system asks for a dark colour scheme.
pub fn system_dark() -> bool {
    web_sys::window().and_then(|w| w.match_media(DARK_QUERY).ok().flatten()).is_some_and(|m| m.matches())
}

/// Shows the page in `theme` (`light`, `dark`, anything else: the system's): `data-theme` on the root element,
/// which the style sheet reads.
pub fn apply(theme: &str) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else {
        return;
    };
    let _ = match theme {
        "light" | "dark" => root.set_attribute("data-theme", theme),
        _ => root.remove_attribute("data-theme"),
    };
}

/// The stored choice for wanting a dark page (or not) while the system is `system_is_dark`: `system` when the two
/// agree, so that the page follows the system again.
pub fn choice(dark: bool, system_is_dark: bool) -> &'static str {
    match (dark == system_is_dark, dark) {
        (true, _) => "system",
        (false, true) => "dark",
        (false, false) => "light",
    }
}

/// The dark-theme toggle: pressed when the page is dark, whatever made it so.
#[component]
pub fn ThemeToggle(
    /// The settings, whose `theme` it changes and saves.
    settings: RwSignal<AppSettings>,
) -> impl IntoView {
    let system = RwSignal::new(system_dark());
    // the system's setting can change while the page is open (a dark mode at night)
    if let Some(query) = web_sys::window().and_then(|w| w.match_media(DARK_QUERY).ok().flatten()) {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let listener = Closure::<dyn Fn()>::new(move || system.set(system_dark()));
        let _ = query.add_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
        let held = send_wrapper::SendWrapper::new((query, listener));
        on_cleanup(move || {
            let (query, listener) = held.take();
            let _ = query.remove_event_listener_with_callback("change", listener.as_ref().unchecked_ref());
        });
    }
    Effect::new(move |_| settings.with(|s| apply(s.theme.get().as_str())));
    let dark = move || match settings.with(|s| s.theme.get()) {
        Theme::Dark => true,
        Theme::Light => false,
        Theme::System => system.get(),
    };
    let (error, set_error) = signal(None::<String>);
    let toggle = move |_| {
        let theme = Setting::<Theme>::parse(choice(!dark(), system.get_untracked()));
        settings.update(|s| s.theme = theme.clone());
        spawn_local(async move {
            let saved = crate::session::transact(|| {
                records::settings().and_then(|mut s| {
                    s.theme = theme;
                    records::write(vault::RecordKind::Settings, records::ids::SETTINGS, &s)
                })
            })
            .await;
            set_error.set(saved.err().map(|e| format!("The theme could not be saved: {e}")));
        });
    };
    view! {
        <button type="button" class="secondary" data-testid="theme-toggle" aria-pressed=move || dark().to_string()
            on:click=toggle>"Dark theme"</button>
        <span class="error" role="alert">{move || error.get()}</span>
    }
}
