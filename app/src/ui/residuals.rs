//! An account's balances explained, on the Accounts screen (docs/sync.md, "Balances explained"): "Balances
//! explained" when every residual is zero and every asset's trades were found, otherwise how many wallet assets are
//! not, with a collapsed table of them (wallet, asset, the venue's balance, the ledger's, the residual and what could
//! explain it) and a line per asset whose trades were found on no pair. Computed from the
//! sealed sync state and ledger the tracker already loaded ([`crate::sync::Data::residuals`]); no request.

use leptos::prelude::*;
use sync_engine::residual::AccountResiduals;

use crate::format;

/// The wallet's own name in its ledger account id (`binance/main/spot` -> `spot`).
fn wallet_name(wallet: &str) -> &str {
    wallet.rsplit('/').next().unwrap_or(wallet)
}

/// One account's identity: `None` shows that no sync has read its balances yet.
#[component]
pub fn AccountBalances(
    /// The account's residuals, as the tracker's data gives them.
    #[prop(into)]
    residuals: Signal<Option<AccountResiduals>>,
) -> impl IntoView {
    move || {
        match residuals.get() {
        None => view! {
            <p class="muted" data-testid="account-balances">"Balances not compared yet: no completed sync has read them."</p>
        }
        .into_any(),
        Some(r) if r.complete() => view! {
            <p class="health ok" data-testid="account-complete" title=format!("At {}", format::date_time(ledger::Timestamp(r.at)))>
                "Balances explained"
            </p>
        }
        .into_any(),
        Some(r) => {
            let n = r.rows.len() + r.trades_not_found.len() + r.tax_disagreements.len();
            let summary = format!(
                "{} {} not explained by the ledger",
                format::count(n),
                if n == 1 { "asset" } else { "assets" }
            );
            let not_found = (!r.trades_not_found.is_empty()).then(|| {
                r.trades_not_found
                .iter()
                .map(|(asset, tried)| view! {
                    <li data-testid="trades-not-found" data-asset=asset.clone()>
                        {sync_engine::residual::trades_not_found_text(asset, tried)}
                    </li>
                })
                .collect_view()
            });
            // the completeness check against Bitget's tax records (docs/venues.md §2.13)
            let tax = (!r.tax_disagreements.is_empty()).then(|| {
                r.tax_disagreements
                .iter()
                .map(|t| view! { <li data-testid="tax-disagreement" data-asset=t.coin.clone()>{t.describe()}</li> })
                .collect_view()
            });
            view! {
                <details class="residuals" data-testid="account-residuals" data-count=n.to_string()>
                    <summary>{summary}</summary>
                    {(!r.rows.is_empty()).then(|| view! { <ResidualTable rows=r.rows /> })}
                    {not_found.map(|items| view! { <ul class="trades-not-found">{items}</ul> })}
                    {tax.map(|items| view! { <ul class="trades-not-found">{items}</ul> })}
                </details>
            }
            .into_any()
        }
    }
    }
}

/// The non-zero residuals: wallet, asset, the venue's balance, the ledger's, the residual and what could explain it.
#[component]
fn ResidualTable(rows: Vec<sync_engine::residual::Residual>) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|x| {
            let explanation = x.explanation();
            view! {
                <tr data-testid="residual-row" data-wallet=x.wallet.clone() data-asset=x.asset.clone()
                    data-residual=x.residual.to_string()>
                    <td>{wallet_name(&x.wallet).to_string()}</td>
                    <td>{x.asset.clone()}</td>
                    <td class="num" title=format::exact(x.venue)>{format::amount(x.venue)}</td>
                    <td class="num" title=format::exact(x.ledger)>{format::amount(x.ledger)}</td>
                    <td class="num" title=format::exact(x.residual)>{format::amount(x.residual)}</td>
                    <td>{explanation}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table>
            <thead>
                <tr>
                    <th scope="col">"Wallet"</th>
                    <th scope="col">"Asset"</th>
                    <th scope="col">"Venue balance"</th>
                    <th scope="col">"Ledger balance"</th>
                    <th scope="col">"Residual"</th>
                    <th scope="col">"What could explain it"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
