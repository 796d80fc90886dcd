//! Bitget isolated margin (docs/venues.md §2.18; the accounting in docs/accounting.md §8f): each pair is a wallet of
//! its own, `isolated-{SYMBOL}` (as Binance's, §1.18), read through the cross margin reads with `isolated` in the path
//! and the pair named: its balances net of what is owed, its finance flow (borrows and repays as `loan` events, the
//! flows no other stream books as other income), the interest charged and the fills. Transfers in and out are the
//! transfer records' (`isolated_margin` with `toSymbol` / `fromSymbol`, [`transfer_wallet`]). The rows are the cross
//! ones' ([`super::margin`]) with a `symbol`; the request's pair is used where a row names none.

use super::margin::{fills, finance_flow, interest, listed};
use super::*;
use catalogue::{
    BITGET_MARGIN_ISOLATED_ASSETS, BITGET_MARGIN_ISOLATED_FILLS, BITGET_MARGIN_ISOLATED_FLOW,
    BITGET_MARGIN_ISOLATED_INTEREST,
};

/// The prefix of an isolated pair's wallet (`bitget/{label}/isolated-BTCUSDT`), Binance's too.
pub const ISOLATED_WALLET_PREFIX: &str = "isolated-";

/// The transfer records' account type of an isolated pair (`fromType`, `toType`), its pair in `fromSymbol`,
/// `toSymbol`.
pub const ISOLATED_ACCOUNT_TYPE: &str = "isolated_margin";

/// A pair as the wallet names it: upper case, without the separators some rows write (`BTC/USDT`, `btc_usdt`).
pub fn isolated_symbol(symbol: &str) -> String {
    symbol.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase()
}

/// The wallet of an isolated `symbol`: `isolated-{SYMBOL}`.
pub fn isolated_wallet(symbol: &str) -> String {
    format!("{ISOLATED_WALLET_PREFIX}{}", isolated_symbol(symbol))
}

/// The isolated pair of a wallet name (`isolated-BTCUSDT` → `BTCUSDT`), `None` for another wallet.
pub fn isolated_pair_of(wallet: &str) -> Option<&str> {
    wallet.strip_prefix(ISOLATED_WALLET_PREFIX).filter(|p| !p.is_empty())
}

/// The wallet a transfer record's account type names with its symbol field: an isolated pair's for
/// `isolated_margin` (an error without a symbol: the pair is the wallet), another type's from
/// [`super::wallet_of`].
pub(in crate::parse) fn transfer_wallet(
    r: &Row<'_>,
    ty: &str,
    symbol_field: &str,
) -> Result<Option<String>, VenueError> {
    if ty != ISOLATED_ACCOUNT_TYPE {
        return Ok(wallet_of(ty).map(str::to_string));
    }
    let symbol = r.opt_text(symbol_field).map(|s| isolated_symbol(&s)).filter(|s| !s.is_empty());
    let symbol = symbol.ok_or_else(|| r.err(format!("an isolated margin transfer without `{symbol_field}`")))?;
    Ok(Some(isolated_wallet(&symbol)))
}

/// The wallet of a row: its own `symbol`, else the request's.
fn row_wallet(label: &str, symbol: &str) -> impl Fn(&Row<'_>) -> Result<AccountId, VenueError> {
    let (label, symbol) = (label.to_string(), symbol.to_string());
    move |r: &Row<'_>| {
        let s = r.opt_text("symbol").unwrap_or_else(|| symbol.clone());
        let s = isolated_symbol(&s);
        if s.is_empty() {
            return Err(r.err("an isolated margin row without its pair (`symbol`)".into()));
        }
        Ok(account(V, &label, &isolated_wallet(&s)))
    }
}

/// `GET /api/v2/margin/isolated/account/assets`: each pair's coins, `available + frozen − borrow − interest` in the
/// wallet `isolated-{symbol}` (the cross page's rows with a `symbol`, **UNCONFIRMED**). Returns every pair a row
/// names, a zero row's too: a pair listed is one the account uses (its histories are read in full cycles).
pub fn isolated_balances(data: &Value, label: &str, out: &mut Balances) -> Result<Vec<String>, VenueError> {
    const E: &str = BITGET_MARGIN_ISOLATED_ASSETS.path;
    let mut pairs = Vec::new();
    for r in rows(V, E, data)? {
        let r = r?;
        let symbol = isolated_symbol(&r.text("symbol")?);
        if symbol.is_empty() {
            return Err(r.err("a row without its pair (`symbol`)".into()));
        }
        let amount = r.dec("available")? + r.opt_dec("frozen")? - r.opt_dec("borrow")? - r.opt_dec("interest")?;
        add_balance(out, &account(V, label, &isolated_wallet(&symbol)).0, r.asset("coin")?, amount);
        if !pairs.contains(&symbol) {
            pairs.push(symbol);
        }
    }
    Ok(pairs)
}

/// `GET /api/v2/margin/isolated/financial-records` of `symbol` (required): as the cross flow
/// ([`super::cross_finance_flow`]), in the pair's wallet: a `borrow` a loan borrow, a `repay` a loan repay, transfers
/// and fills' legs no event, any other type other income named by its raw type with a warning.
pub fn isolated_finance_flow(data: &Value, label: &str, symbol: &str) -> Result<Page, VenueError> {
    finance_flow(BITGET_MARGIN_ISOLATED_FLOW.path, data, &row_wallet(label, symbol))
}

/// `GET /api/v2/margin/isolated/interest-history` of `symbol`: interest charged, a `loan` `interest` in the pair's
/// wallet (the cross page's rows, **UNCONFIRMED** for isolated).
pub fn isolated_interest(data: &Value, label: &str, symbol: &str) -> Result<Page, VenueError> {
    interest(BITGET_MARGIN_ISOLATED_INTEREST.path, data, &row_wallet(label, symbol))
}

/// `GET /api/v2/margin/isolated/fills` of `symbol` (required): each fill a trade in the pair's wallet, the
/// liquidation and system-repay sides as well (the cross page's rows, **UNCONFIRMED** for isolated). A row that names
/// another pair than the one asked for is an error: the wallet would be wrong.
pub fn isolated_fills(data: &Value, label: &str, symbol: &str, book: &SymbolBook) -> Result<Page, VenueError> {
    const E: &str = BITGET_MARGIN_ISOLATED_FILLS.path;
    let symbol = isolated_symbol(symbol);
    if let Some(list) = listed(E, data, "fills")?.and_then(Value::as_array) {
        for row in list {
            let r = Row::new(V, E, row)?;
            if let Some(other) = r.opt_text("symbol").map(|s| isolated_symbol(&s)).filter(|s| *s != symbol) {
                return Err(r.err(format!("a fill of {other} in the fills of {symbol}")));
            }
        }
    }
    fills(E, data, &account(V, label, &isolated_wallet(&symbol)), &symbol, book)
}
