//! A Bitget unified account's financial records (docs/venues.md §2.8; the accounting of loans in
//! docs/accounting.md §8f). The unified account is one wallet, `bitget/{label}/unified`, for spot, margin and every
//! futures product: its records are read for every `category`, and each row's `type` says what it is.

use super::*;
use catalogue::BITGET_UNIFIED_FINANCIAL_RECORDS;
use ledger::LoanAction;

/// The `category` values of `GET /api/v3/account/financial-records` (required: the records are read once per
/// category).
pub const UNIFIED_CATEGORIES: [&str; 6] = ["SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "OTHER"];

/// What a financial record's `type` is to the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnifiedRecord {
    /// Funding paid or received: funding income of the signed amount.
    Funding,
    /// A loan's borrow, repay or interest, its id's stream word (`borrow`, `repay`, `interest_repay`, `interest`).
    Loan(LoanAction, &'static str),
    /// Another stream books it: a fill's legs and fee (the fills), a transfer, a deposit or a withdrawal.
    Mirrored,
    /// A type the enumeration lists that no stream books (liquidation flows, reserve transfers, redemptions):
    /// other income of the signed amount, with a warning.
    Unbooked,
    /// A type the enumeration does not list: other income of the signed amount, with a warning.
    Unknown,
}

/// Types the enumeration lists whose money no stream reads.
const UNBOOKED: [&str; 13] = [
    "EXCHANGE_SOURCE_TOKEN_USER_OUT",
    "EXCHANGE_TARGET_TOKEN_USER_IN",
    "RISK_LIQ_USER_IN",
    "RISK_LIQ_USER_OUT",
    "RESERVE_TRANSFER_IN",
    "RESERVE_TRANSFER_OUT",
    "LIQ_FUND_OUT",
    "LIQ_FUND_IN",
    "LIQ_CONVERT_IN",
    "LIQ_CONVERT_OUT",
    "LIQ_TRANSFER_IN",
    "LIQ_TRANSFER_OUT",
    "LIQ_FEE",
];

/// What the record type `ty` is (upper case, as the enumeration writes it).
///
/// Loans (UNCONFIRMED, docs/venues.md §5: the page names the types, not how they move the coin's `balance` and
/// `debt`): `BORROW` a borrow; `REPAYMENT` and `LIQ_REPAYMENT` a repay of principal; `INTEREST_SETTLEMENT_OUT`
/// interest charged; `INTEREST_REPAYMENT` a repay of interest charged before. Booked so, each moves the balance net
/// of debt as the assets' `balance − debt` moves, whichever of the two fields the venue changes.
pub fn unified_record(ty: &str) -> UnifiedRecord {
    use UnifiedRecord::*;
    match ty {
        "FUNDING_FEE" => Funding,
        t if t.starts_with("CONTRACT_MAIN_SETTLE_FEE") => Funding,
        "BORROW" => Loan(LoanAction::Borrow, "borrow"),
        "REPAYMENT" | "LIQ_REPAYMENT" => Loan(LoanAction::Repay, "repay"),
        "INTEREST_REPAYMENT" => Loan(LoanAction::Repay, "interest_repay"),
        "INTEREST_SETTLEMENT_OUT" => Loan(LoanAction::Interest, "interest"),
        t if UNBOOKED.contains(&t) => Unbooked,
        // fills' legs and fees (the fills book them, forced and liquidation trades included), transfers between
        // the unified account's wallets, deposits and withdrawals (their own records)
        t if t.starts_with("TRANSFER_")
            || t.starts_with("TRANS_")
            || t.starts_with("DEPOSIT")
            || t.starts_with("WITHDRAW")
            || t.ends_with("_MARGIN")
            || t.starts_with("OPEN_")
            || t.contains("CLOSE_")
            || t.starts_with("ORDER_")
            || t.ends_with("_DEAL")
            || t.ends_with("_SSM") =>
        {
            Mirrored
        }
        _ => Unknown,
    }
}

/// `GET /api/v3/account/financial-records` (one `category`): funding as funding income (`:funding:{id}`), loans as
/// `loan` events of the unsigned amount (`:borrow:{id}`, `:repay:{id}`, `:interest_repay:{id}`, `:interest:{id}`);
/// rows another stream books give no event; any other type with an amount is other income named by its raw type
/// (`:record:{id}`), with a warning: never dropped.
pub fn unified_financial_records(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_UNIFIED_FINANCIAL_RECORDS.path;
    let mut page = Page::default();
    let acc = account(V, label, "unified");
    page.cursor = data.get("cursor").and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
    page.each(V, E, field(V, E, data, "list")?, |page, r| {
        let id = r.text("id")?;
        let time = page.noted(r.ms("ts")?);
        page.note_text_id(&id);
        let ty = r.text("type")?.to_ascii_uppercase();
        let (asset, symbol) = (r.asset("coin")?, r.opt_text("symbol").filter(|s| !s.is_empty()).map(Name::from));
        let amount = r.dec("amount")?;
        let income = |income_type| EventKind::Income { income_type, asset: asset.clone().into(), amount, symbol };
        let (stream, kind) = match unified_record(&ty) {
            UnifiedRecord::Mirrored => return Ok(()),
            _ if amount.is_zero() => return Ok(()),
            UnifiedRecord::Funding => ("funding", income(IncomeType::Funding)),
            UnifiedRecord::Loan(action, stream) => {
                (stream, EventKind::Loan { action, asset: asset.clone().into(), amount: amount.abs(), interest: None })
            }
            what @ (UnifiedRecord::Unbooked | UnifiedRecord::Unknown) => {
                let why = if what == UnifiedRecord::Unbooked {
                    "which no stream books"
                } else {
                    "a type the page does not list"
                };
                page.warnings
                    .push(format!("{E} row {id}: type {ty:?}, {why}: kept as other income of {amount} {asset}"));
                ("record", income(IncomeType::Other))
            }
        };
        page.push(ids::row(&acc, stream, &id), time, acc.clone(), kind);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enumerated_type_is_placed_and_loans_are_told_apart() {
        use UnifiedRecord::*;
        // the enumeration page's types (docs/venues.md §2.8), each with what it is
        let cases = [
            ("TRANSFER_IN", Mirrored),
            ("TRANSFER_OUT", Mirrored),
            ("ORDER_DEALT_FROZEN_OUT", Mirrored),
            ("ORDER_DEALT_IN", Mirrored),
            ("ORDER_PLF_FEE_OUT", Mirrored),
            ("OPEN_LONG", Mirrored),
            ("BUY_DEAL", Mirrored),
            ("CLOSE_SHORT", Mirrored),
            ("FORCE_CLOSE_LONG", Mirrored),
            ("BURST_CLOSE_SHORT", Mirrored),
            ("OFFSET_REDUCE_CLOSE_LONG", Mirrored),
            ("FORCE_BUY_SSM", Mirrored),
            ("BURST_SELL_SSM", Mirrored),
            ("CONTRACT_MAIN_SETTLE_FEE_USER_IN", Funding),
            ("CONTRACT_MAIN_SETTLE_FEE_USER_OUT", Funding),
            ("BORROW", Loan(LoanAction::Borrow, "borrow")),
            ("REPAYMENT", Loan(LoanAction::Repay, "repay")),
            ("LIQ_REPAYMENT", Loan(LoanAction::Repay, "repay")),
            ("INTEREST_REPAYMENT", Loan(LoanAction::Repay, "interest_repay")),
            ("INTEREST_SETTLEMENT_OUT", Loan(LoanAction::Interest, "interest")),
            ("EXCHANGE_SOURCE_TOKEN_USER_OUT", Unbooked),
            ("RISK_LIQ_USER_OUT", Unbooked),
            ("LIQ_FEE", Unbooked),
            ("LIQ_CONVERT_IN", Unbooked),
            ("RESERVE_TRANSFER_IN", Unbooked),
            ("SOMETHING_NEW", Unknown),
        ];
        for (ty, what) in cases {
            assert_eq!(unified_record(ty), what, "{ty}");
        }
    }
}
