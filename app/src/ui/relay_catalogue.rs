//! The setup guide's list of what the relay forwards for a venue (`GET /v1/catalogue`, docs/relay.md, Routes):
//! every read a key will be used for (method, path, weight), so a user sees it before connecting one.

use catalogue::Venue;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// One forwarded read, as `/v1/catalogue` lists it.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Forwarded {
    /// `binance` or `bitget`.
    pub venue: String,
    /// `GET` (or Binance's one read-only `POST`).
    pub method: String,
    /// The venue's exact path.
    pub path: String,
    /// Its weight (cost against the venue's limit).
    pub weight: u32,
}

/// Reads the relay's published allow-list.
pub async fn forwarded() -> Result<Vec<Forwarded>, String> {
    #[derive(serde::Deserialize)]
    struct List {
        endpoints: Vec<Forwarded>,
    }
    let resp = gloo_net::http::Request::get("/v1/catalogue").send().await.map_err(|e| e.to_string())?;
    if !resp.ok() {
        return Err(format!("the relay answered {}", resp.status()));
    }
    resp.json::<List>().await.map(|l| l.endpoints).map_err(|e| e.to_string())
}

/// "What the relay forwards": the selected venue's reads, in a table behind a disclosure.
#[component]
pub fn ForwardedReads(
    /// The venue picked in the connect form.
    venue: ReadSignal<Venue>,
) -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<Forwarded>, String>>);
    spawn_local(async move { list.set(Some(forwarded().await)) });
    let rows = move || {
        let v = venue.get();
        list.with(|l| match l {
            Some(Ok(all)) => all.iter().filter(|f| f.venue == v.as_str()).cloned().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    };
    view! {
        <details data-testid="relay-catalogue">
            <summary>{move || format!("What your key will be used for: the {} reads the relay forwards", rows().len())}</summary>
            <p class="hint">"The relay forwards only these reads (method and path at the exchange) and refuses anything \
                else; the weight is what each costs against the exchange's rate limit."</p>
            {move || match list.get() {
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("Could not read the relay's list: {e}")}</p> }.into_any(),
                _ => view! {
                    <div class="table-scroll">
                        <table class="table">
                            <thead><tr><th scope="col">"Method"</th><th scope="col">"Path"</th><th scope="col">"Weight"</th></tr></thead>
                            <tbody>
                                {rows().into_iter().map(|f| view! {
                                    <tr data-testid="relay-catalogue-row"><td>{f.method}</td><td class="ips">{f.path}</td><td>{f.weight}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
        </details>
    }
}
