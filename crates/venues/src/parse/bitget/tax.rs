//! Bitget's tax records (`GET /api/v2/tax/spot-record`, `future-record`, `margin-record`, `p2p-record`;
//! docs/venues.md §2.13): every balance change with its type. A type moved by a stream the sync reads is the
//! completeness check's ([`TaxUse::Checked`]: its rows are summed per wallet, coin and group and compared with that
//! stream's events, `sync_engine::residual`); a type no stream reads is booked from the row ([`TaxUse::Income`],
//! [`TaxUse::Flow`]); a type the row alone cannot book is a named disagreement ([`TaxUse::Unread`]). An unknown
//! type is kept as other income with a warning naming it: never dropped, never zero.

use super::*;
use catalogue::{BITGET_TAX_FUTURES, BITGET_TAX_MARGIN, BITGET_TAX_P2P, BITGET_TAX_SPOT};

/// Which tax record a page is, and the wallet its rows move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxRecords {
    /// `spot-record`: the spot wallet.
    Spot,
    /// `future-record` of one product type: its wallet ([`super::FUTURES_PRODUCTS`]).
    Futures {
        /// `futures`, `coinm` or `usdcm`.
        wallet: &'static str,
    },
    /// `margin-record`: the cross margin wallet (`margin`).
    Margin,
    /// `margin-record` with `marginType=isolated`: each row in its pair's wallet (`isolated-{symbol}`, the row's
    /// `symbol`; docs/venues.md §2.18). Its tally covers every pair ([`TaxRecords::wallet`] `isolated-*`).
    IsolatedMargin,
    /// `p2p-record`: the P2P (funding) wallet.
    P2p,
}

/// What a tax record's type is to the sync (the table in docs/venues.md §2.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxUse {
    /// Moved by a stream the sync reads: the group its rows are compared in (`trade`, `deposit`, `withdrawal`,
    /// `transfer`, `convert`, `funding`, `earn`, `other`), against the events of that group ([`event_group`]).
    Checked(&'static str),
    /// No stream reads it: income of this type, booked from the row.
    Income(IncomeType),
    /// No stream reads it: money from or to outside, a deposit (a positive change) or a withdrawal, booked from
    /// the row (its cost is the user's to give, docs/accounting.md §8).
    Flow,
    /// Between available and frozen inside the wallet: the balance does not change; neither booked nor checked.
    Internal,
    /// No stream reads it, and the row alone cannot book it (a margin loan, a copy-trading or strategy move): its sum is
    /// a disagreement of the check, named by its type, until a stream reads it.
    Unread,
}

/// The spot record's types (`spotTaxType`), as the page lists them.
const SPOT: &[(&str, TaxUse)] = {
    use IncomeType::Other;
    use TaxUse::*;
    &[
        ("Deposit", Checked("deposit")),
        ("Withdrawal", Checked("withdrawal")),
        ("Ordinary Withdrawal", Checked("withdrawal")),
        ("Fast withdrawal fee", Checked("withdrawal")),
        ("Buy", Checked("trade")),
        ("Sell", Checked("trade")),
        ("Transaction fee deduct", Checked("trade")),
        ("Exchange spending", Checked("convert")),
        ("Exchange income", Checked("convert")),
        ("Transfer in", Checked("transfer")),
        ("Transfer out", Checked("transfer")),
        ("Airdrop Reward-A", Income(Other)),
        ("Airdrop Reward-B", Income(Other)),
        // Earn savings (docs/venues.md §2.14) and shark fin (§2.16): the savings and shark fin records'
        // subscriptions, redemptions, interest and penalties, the same money (their interest is not booked from here
        // too)
        ("Subscribe", Checked("earn")),
        ("Redemption", Checked("earn")),
        ("Interest", Checked("earn")),
        ("Penalty", Checked("earn")),
        ("Rebate rewards", Income(Other)),
        ("Trading fee rebate", Income(Other)),
        ("Channel referral rewards", Income(Other)),
        ("Lotto rewards", Income(Other)),
        ("Crypto Voucher Distribution", Income(Other)),
        ("Activity issuance", Income(Other)),
        ("Activity fund", Income(Other)),
        ("Activity fund(USDT-Ⓜ)", Income(Other)),
        ("Activity fund(Coin-Ⓜ)", Income(Other)),
        ("Gains", Income(Other)),
        ("System charges fees", Income(Other)),
        ("User fees", Income(Other)),
        ("Increase exchange rate", Income(Other)),
        ("Reduce exchange rate", Income(Other)),
        ("Increase due to ETF settlement", Income(Other)),
        ("Decrease due to ETF settlement", Income(Other)),
        ("Judicial recall", Flow),
        ("Deduction of judicial recall", Flow),
        ("Buy Crypto", Flow),
        ("Buy with card", Flow),
        ("Sell Crypto", Flow),
        ("Fiat deposit", Flow),
        ("Fiat withdrawal success - Deduct", Flow),
        ("Automatic deposit", Flow),
        ("Automatic withdrawal", Flow),
        ("Sent", Flow),
        ("Received", Flow),
        ("Withdrawal frozen", Internal),
        ("Withdrawal unfreeze", Internal),
        ("System lock-up", Internal),
        ("User lock-up", Internal),
        ("Unlock locked order", Internal),
        ("Manage background lock positions", Internal),
        ("The locked order is returned to the system", Internal),
        ("Delegate", Unread),
        ("Undelegate", Unread),
        ("Strategic purchase-user accounts", Unread),
        ("Subscribe to trader-user accounts", Unread),
        ("Strategic refund-User account", Unread),
        ("Subscription fee refund-user account", Unread),
        ("Strategic Income-Traders' accounts", Unread),
        // the copy-trading streams book these as other income (docs/venues.md §2.11)
        ("Copy Trade expense", Checked("other")),
        ("Copy Trade profit", Checked("other")),
        ("Refund Copy Trade commission", Unread),
        ("Deposit from strategy account", Unread),
        ("Withdraw to strategy account", Unread),
        ("MegaSwap Transfer in", Unread),
        ("MegaSwap Transfer out", Unread),
        ("User contract trial fund", Unread),
        ("User contract simulation fund", Unread),
        ("Consumption", Unread),
        ("Deduction", Unread),
        ("Return", Unread),
        ("Release", Unread),
        ("Repayment", Unread),
        ("Forced liquidation return", Unread),
        ("Failed", Unread),
        ("Mirror fund", Unread),
        ("Supplement fund", Unread),
        ("Reduce fund", Unread),
        ("Settlement out", Unread),
        ("Super account", Unread),
        ("System account", Unread),
    ]
};

/// The futures record's types (`futureTaxType`): every one mirrors a futures bill or a transfer record.
const FUTURES: &[(&str, TaxUse)] = {
    use TaxUse::*;
    &[
        ("TRANSFER_IN", Checked("transfer")),
        ("TRANSFER_OUT", Checked("transfer")),
        ("CONTRACT_MAIN_SETTLE_FEE_USER_IN", Checked("funding")),
        ("CONTRACT_MAIN_SETTLE_FEE_USER_OUT", Checked("funding")),
        ("RISK_LIQ_USER_IN", Checked("other")),
        ("RISK_LIQ_USER_OUT", Checked("other")),
        ("INTEREST_SETTLEMENT_OUT", Checked("other")),
        ("EXCHANGE_SOURCE_TOKEN_USER_OUT", Checked("other")),
        ("EXCHANGE_TARGET_TOKEN_USER_IN", Checked("other")),
    ]
};

/// Futures types that are trades (fills' realized PnL and fees: the bills' trade rows).
const FUTURES_TRADE_PREFIXES: [&str; 7] = ["OPEN_", "CLOSE_", "FORCE_", "BURST_", "OFFSET_", "ORDER_", "BUY_"];

/// The margin record's types (`marginTaxType`) of cross margin, each moved by a cross margin stream (docs/venues.md
/// §2.15): transfers by the transfer records, fills' legs by the fills, borrows and repays (their interest apart as
/// `interest_repay`) by the finance flow's loans, the flows no other stream books by its other income.
const MARGIN: &[(&str, TaxUse)] = {
    use TaxUse::Checked;
    &[
        ("transfer_in", Checked("transfer")),
        ("transfer_out", Checked("transfer")),
        ("deal_in", Checked("trade")),
        ("deal_out", Checked("trade")),
        ("borrow", Checked("loan")),
        ("repay", Checked("loan")),
        ("interest_repay", Checked("loan")),
        ("liquidation_fee", Checked("other")),
        ("compensate", Checked("other")),
        ("confiscated", Checked("other")),
        ("exchange_in", Checked("other")),
        ("exchange_out", Checked("other")),
        // not on the tax page, but on the finance flow's, which books them as other income: checked, not booked
        // twice
        ("sys_exchange_in", Checked("other")),
        ("sys_exchange_out", Checked("other")),
    ]
};

/// The P2P record's types (`p2pTaxType`; the example writes `transfer-in`, the table `transfer_in`).
const P2P: &[(&str, TaxUse)] = &[
    ("transfer_in", TaxUse::Checked("transfer")),
    ("transfer_out", TaxUse::Checked("transfer")),
    ("buy", TaxUse::Flow),
    ("sell", TaxUse::Flow),
];

impl TaxRecords {
    fn endpoint(self) -> &'static str {
        match self {
            TaxRecords::Spot => BITGET_TAX_SPOT.path,
            TaxRecords::Futures { .. } => BITGET_TAX_FUTURES.path,
            TaxRecords::Margin | TaxRecords::IsolatedMargin => BITGET_TAX_MARGIN.path,
            TaxRecords::P2p => BITGET_TAX_P2P.path,
        }
    }

    /// The wallet its rows move.
    pub fn wallet(self) -> &'static str {
        match self {
            TaxRecords::Spot => "spot",
            TaxRecords::Futures { wallet } => wallet,
            TaxRecords::Margin => "margin",
            TaxRecords::IsolatedMargin => ISOLATED_TALLY_WALLET,
            TaxRecords::P2p => "funding",
        }
    }

    /// The fields of its rows: the type, the coin and the quantity.
    fn fields(self) -> (&'static str, &'static str, &'static str) {
        match self {
            TaxRecords::Spot => ("spotTaxType", "coin", "amount"),
            TaxRecords::Futures { .. } => ("futureTaxType", "marginCoin", "amount"),
            TaxRecords::Margin | TaxRecords::IsolatedMargin => ("marginTaxType", "coin", "amount"),
            TaxRecords::P2p => ("p2pTaxType", "coin", "balance"),
        }
    }

    /// What a type is, or `None` for a type the page does not list.
    pub fn use_of(self, ty: &str) -> Option<TaxUse> {
        let find = |table: &[(&str, TaxUse)]| table.iter().find(|(t, _)| *t == ty).map(|(_, u)| *u);
        match self {
            TaxRecords::Spot => find(SPOT),
            // the table writes the futures types in upper case, the page's example in lower case (`close_long`)
            TaxRecords::Futures { .. } => {
                let ty = ty.to_ascii_uppercase();
                if FUTURES_TRADE_PREFIXES.iter().any(|p| ty.starts_with(p)) || ty == "SELL_DEAL" {
                    Some(TaxUse::Checked("trade"))
                } else {
                    FUTURES.iter().find(|(t, _)| *t == ty).map(|(_, u)| *u)
                }
            }
            TaxRecords::Margin | TaxRecords::IsolatedMargin => find(MARGIN),
            TaxRecords::P2p => find_p2p(ty),
        }
    }
}

/// A P2P type, written `transfer_in` (the table) or `transfer-in` (the example).
fn find_p2p(ty: &str) -> Option<TaxUse> {
    let underscored = ty.replace('-', "_");
    P2P.iter().find(|(t, _)| *t == underscored).map(|(_, u)| *u)
}

/// One tax row as the completeness check counts it: a [`TaxUse::Checked`] or [`TaxUse::Unread`] type's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxCheck {
    /// Row time (venue ms).
    pub time: i64,
    /// The wallet's ledger account id (`bitget/main/spot`).
    pub wallet: String,
    /// The coin.
    pub coin: String,
    /// The group ([`TaxUse::Checked`]), or the raw type of an unread one, as `unread: {type}`.
    pub group: String,
    /// The balance change: `amount + fee` (both signed, a fee paid negative).
    pub change: Decimal,
}

/// The group an event of a Bitget wallet is compared in ([`TaxUse::Checked`]), or `None` for one the tax records
/// do not list (a fill for the record, an event booked from a tax row). A loan is compared by the units it moves
/// ([`loan_units`]), as the margin record counts them.
pub fn event_group(e: &Event) -> Option<&'static str> {
    if e.id.contains(":tax:") {
        return None;
    }
    // crypto loans: the tax records list no type tied to them (docs/venues.md §2.17)
    if e.id.contains("/loan:loan:") {
        return None;
    }
    // the Earn savings and shark fin records' events, wherever their money lands (docs/venues.md §2.14, §2.16)
    if e.id.contains("/earn:savings:") || e.id.contains("/sharkfin:sharkfin:") {
        return Some("earn");
    }
    Some(match &e.kind {
        EventKind::Trade { .. } if e.id.contains(":convert:") || e.id.contains(":bgb_convert:") => "convert",
        EventKind::Trade { .. } => "trade",
        EventKind::Deposit { .. } => "deposit",
        EventKind::Withdrawal { .. } => "withdrawal",
        EventKind::Transfer { .. } => "transfer",
        EventKind::Income { income_type: IncomeType::Funding, .. } => "funding",
        EventKind::Income { income_type: IncomeType::Commission | IncomeType::RealizedPnl, .. } => "trade",
        EventKind::Income { .. } => "other",
        EventKind::Loan { .. } => "loan",
        _ => return None,
    })
}

/// The units a loan event moves in its wallet, as the margin record counts them (docs/venues.md §2.15): a borrow's
/// arrive, a repay's leave with the interest it pays; interest charged moves none (the record counts it when it is
/// repaid, `interest_repay`). `None` for any other event.
pub fn loan_units(e: &Event) -> Option<(&str, Decimal)> {
    match &e.kind {
        EventKind::Loan { action, asset, amount, interest } => Some((
            asset.as_str(),
            match action {
                ledger::LoanAction::Borrow => *amount,
                ledger::LoanAction::Repay => -(*amount + interest.unwrap_or_default()),
                ledger::LoanAction::Interest => Decimal::ZERO,
            },
        )),
        _ => None,
    }
}

/// A tax record's page: the events of the types booked from the rows (`:tax:{type}:{id}`, the type in lower case
/// with `_` for anything not a letter or digit), and an unknown type's row as other income with a warning. The
/// checked, internal and unread types give no event.
pub fn tax_records(data: &Value, label: &str, records: TaxRecords) -> Result<Page, VenueError> {
    let e = records.endpoint();
    let (type_field, coin_field, amount_field) = records.fields();
    Page::default().each(V, e, data, |page, r| {
        let acc = row_account(records, label, r)?;
        let id = r.text("id")?;
        let time = page.noted(r.ms("ts")?);
        page.note_text_id(&id);
        let ty = r.text(type_field)?;
        let (asset, change) = (r.asset(coin_field)?, r.dec(amount_field)? + r.opt_dec("fee")?);
        let use_ = records.use_of(&ty).unwrap_or_else(|| {
            page.warnings.push(format!("{e} row {id}: unknown type {ty:?}, kept as other income"));
            TaxUse::Income(IncomeType::Other)
        });
        let kind = match use_ {
            TaxUse::Income(income_type) => {
                EventKind::Income { income_type, asset: asset.into(), amount: change, symbol: None }
            }
            TaxUse::Flow if change.is_sign_negative() => {
                EventKind::Withdrawal { asset: asset.into(), amount: -change, fee: None, txid: None }
            }
            TaxUse::Flow => EventKind::Deposit { asset: asset.into(), amount: change, txid: None },
            TaxUse::Checked(_) | TaxUse::Internal | TaxUse::Unread => return Ok(()),
        };
        if !change.is_zero() {
            page.push(ids::row(&acc, "tax", &format!("{}:{id}", id_type(&ty))), time, acc.clone(), kind);
        }
        Ok(())
    })
}

/// The rows of a tax record's page that the completeness check counts ([`TaxCheck`]).
pub fn tax_checks(data: &Value, label: &str, records: TaxRecords) -> Result<Vec<TaxCheck>, VenueError> {
    let e = records.endpoint();
    let (type_field, coin_field, amount_field) = records.fields();
    collect_rows(V, e, data, |r| {
        let acc = row_account(records, label, r)?;
        let ty = r.text(type_field)?;
        let group = match records.use_of(&ty) {
            Some(TaxUse::Checked(g)) => g.to_string(),
            Some(TaxUse::Unread) => format!("unread: {ty}"),
            _ => return Ok(None),
        };
        let change = r.dec(amount_field)? + r.opt_dec("fee")?;
        Ok(Some(TaxCheck { time: r.ms("ts")?, wallet: acc.0.to_string(), coin: r.asset(coin_field)?, group, change }))
    })
}

/// The wallet a tax row moves: the record's, or for the isolated margin record the row's pair's
/// (`isolated-{symbol}`; a row without its pair is an error: its wallet is unknown).
fn row_account(records: TaxRecords, label: &str, r: &Row<'_>) -> Result<AccountId, VenueError> {
    if records != TaxRecords::IsolatedMargin {
        return Ok(account(V, label, records.wallet()));
    }
    let symbol = r.opt_text("symbol").map(|s| super::isolated_symbol(&s)).filter(|s| !s.is_empty());
    let symbol = symbol.ok_or_else(|| r.err("an isolated margin tax row without its pair (`symbol`)".into()))?;
    Ok(account(V, label, &super::isolated_wallet(&symbol)))
}

/// The wallet of the isolated margin record's tally: every isolated pair's (`isolated-*`); [`tally_covers`].
pub const ISOLATED_TALLY_WALLET: &str = "isolated-*";

/// Whether a tax tally of `tally_wallet` (a ledger account id) counts the events of `wallet`: the same wallet, or
/// any isolated pair's for the isolated margin record's (`bitget/{label}/isolated-*`).
pub fn tally_covers(tally_wallet: &str, wallet: &str) -> bool {
    match tally_wallet.strip_suffix('*') {
        Some(prefix) => wallet.starts_with(prefix),
        None => wallet == tally_wallet,
    }
}

/// A type as part of an event id: lower case, `_` for anything not an ASCII letter or digit.
pub(super) fn id_type(ty: &str) -> String {
    ty.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}
