//! First run (create the vault), unlock, and the notice that a newer build runs in another tab.

use leptos::prelude::*;
use leptos::task::spawn_local;
use vault::Passphrase;

use crate::session;
use crate::strength::{Strength, strength};
use crate::ui::take_field;
use crate::{Phase, now};

/// Gives the keyboard's focus to this field once it is on the page (the form has just replaced another screen).
fn focus_when_shown(field: NodeRef<leptos::html::Input>) {
    Effect::new(move |_| {
        if let Some(el) = field.get() {
            request_animation_frame(move || {
                let _ = el.focus();
            });
        }
    });
}

/// Yields to the browser so that a "working…" state paints before a long computation (the KDF) blocks.
pub async fn repaint() {
    crate::sleep_ms(30).await;
}

/// Creating the vault: passphrase twice, strength feedback, the warning that it cannot be recovered.
#[component]
pub fn CreateVault(
    /// Set to the next phase once the vault exists.
    set_phase: WriteSignal<Phase>,
) -> impl IntoView {
    // the tracker's code arrives while the passphrase is typed
    crate::split::preload_tracker();
    // only the rating of what is typed is kept, never the text: the fields are read at submit straight into a
    // `Passphrase` and emptied, whatever the outcome (ui::take_field)
    let (rating, set_rating) = signal(Strength::Empty);
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let first = NodeRef::<leptos::html::Input>::new();
    let confirm = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(first);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (text, again) = (take_field(first), take_field(confirm));
        set_rating.set(Strength::Empty);
        let problem = if !strength(&text).acceptable() {
            Some(format!("This passphrase is too weak. {} Type it again.", Strength::Weak.label()))
        } else if text != again {
            Some("The two passphrases differ: type the same passphrase twice.".into())
        } else {
            None
        };
        let p = Passphrase::new(text);
        drop(Passphrase::new(again));
        if let Some(problem) = problem {
            set_error.set(Some(problem));
            return;
        }
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            repaint().await;
            match session::create(&p).await {
                Ok(()) => {
                    let _ = session::with(|s| s.vault().map(|v| v.touch(now())));
                    set_phase.set(Phase::Unlocked);
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="card narrow" data-testid="create-vault-form">
            <h2>"Create your vault"</h2>
            <p>
                "Your exchange API keys are encrypted in this browser with a key derived from this passphrase. "
                "Nobody else has it, not even Meetcrypt."
            </p>
            <p class="warning" role="note">
                <strong>"It cannot be recovered. "</strong>
                "If you forget it, your stored keys are lost: you would create a new vault and add your keys again. "
                "Keep an encrypted backup (Settings) and the passphrase somewhere safe."
            </p>
            <form on:submit=submit>
                <label for="passphrase">"Passphrase"</label>
                <input id="passphrase" type="password" autocomplete="new-password" data-testid="passphrase" node_ref=first
                    on:input=move |ev| set_rating.set(strength(&event_target_value(&ev))) />
                <meter min="0" max="3" low="1.5" high="2.5" optimum="3" aria-label="passphrase strength"
                    value=move || (rating.get() as u8).to_string()></meter>
                <p class="hint" data-testid="passphrase-strength" aria-live="polite">{move || rating.get().label()}</p>
                <label for="passphrase-confirm">"Passphrase again"</label>
                <input id="passphrase-confirm" type="password" autocomplete="new-password"
                    data-testid="passphrase-confirm" node_ref=confirm />
                <p class="error" role="alert" data-testid="create-error">{move || error.get()}</p>
                <button type="submit" data-testid="create-vault" disabled=busy>
                    {move || if busy.get() { "Creating…" } else { "Create vault" }}
                </button>
            </form>
        </section>
        <ImportBackup set_phase />
    }
}

/// Importing an encrypted backup into a browser with no vault.
#[component]
fn ImportBackup(
    /// Set to `Unlocked` on success.
    set_phase: WriteSignal<Phase>,
) -> impl IntoView {
    // the tracker's code arrives while the passphrase is typed
    crate::split::preload_tracker();
    let file = NodeRef::<leptos::html::Input>::new();
    let pass = NodeRef::<leptos::html::Input>::new();
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(input) = file.get() else { return };
        let p = Passphrase::new(take_field(pass));
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            let result = match crate::ui::settings::read_file(&input).await {
                Ok(bytes) => session::import_backup(&bytes, &p, now()).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => set_phase.set(Phase::Unlocked),
                Err(e) => set_error.set(Some(e)),
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="card narrow" data-testid="import-backup-form">
            <h2>"Or restore a backup"</h2>
            <p class="muted">"A backup file exported from Meetcrypt's Settings, with the passphrase it was made with."</p>
            <form on:submit=submit>
                <label for="backup-file">"Backup file"</label>
                <input id="backup-file" type="file" node_ref=file data-testid="backup-file" />
                <label for="backup-passphrase">"Its passphrase"</label>
                <input id="backup-passphrase" type="password" data-testid="backup-passphrase" autocomplete="current-password"
                    node_ref=pass />
                <p class="error" role="alert" data-testid="import-error">{move || error.get()}</p>
                <button type="submit" class="secondary" data-testid="import-backup" disabled=busy>"Restore"</button>
            </form>
        </section>
    }
}

/// Unlocking an existing vault.
#[component]
pub fn Unlock(
    /// Set to `Unlocked` on success.
    set_phase: WriteSignal<Phase>,
) -> impl IntoView {
    // the tracker's code arrives while the passphrase is typed
    crate::split::preload_tracker();
    let (error, set_error) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let field = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(field);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // read straight into a `Passphrase` and the field emptied, whatever the outcome (ui::take_field)
        let p = Passphrase::new(take_field(field));
        set_busy.set(true);
        set_error.set(None);
        spawn_local(async move {
            repaint().await;
            match session::unlock(&p, now()) {
                Ok(()) => {
                    // writes of a finished rotation, if any
                    if let Err(e) = session::persist().await {
                        set_error.set(Some(e.to_string()));
                    }
                    set_phase.set(Phase::Unlocked);
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
            set_busy.set(false);
        });
    };
    view! {
        <section class="card narrow" data-testid="unlock-form">
            <h2>"Unlock"</h2>
            <p>"Enter the passphrase of the vault in this browser."</p>
            <form on:submit=submit>
                <label for="passphrase">"Passphrase"</label>
                <input id="passphrase" type="password" autocomplete="current-password" data-testid="passphrase" node_ref=field />
                <p class="error" role="alert" data-testid="unlock-error">{move || error.get()}</p>
                <button type="submit" data-testid="unlock" disabled=busy>
                    {move || if busy.get() { "Unlocking…" } else { "Unlock" }}
                </button>
            </form>
        </section>
    }
}

/// Shown once a newer build of the app has committed in another tab (docs/app-storage.md, "The storage format"):
/// this tab saves nothing more and asks to be reloaded.
#[component]
pub fn OutdatedNotice() -> impl IntoView {
    let (outdated, set_outdated) = signal(false);
    let listener = session::on_change(move |changed| {
        if changed.outdated {
            set_outdated.set(true);
        }
    });
    on_cleanup(move || session::off_change(listener));
    let reload = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    };
    view! {
        <Show when=move || outdated.get()>
            <section class="card" role="alert" data-testid="outdated">
                <p>
                    "Meetcrypt was updated in another tab. This tab saves nothing more until it is reloaded; nothing is lost."
                </p>
                <button data-testid="reload" on:click=reload>"Reload"</button>
            </section>
        </Show>
    }
}
