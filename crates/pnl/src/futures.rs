//! Unrealized PnL of an open futures position ([`ledger::Position`], an input to the report), with each venue's own
//! formula.

use ledger::Decimal;

/// Binance USDⓈ-M: `positionAmt x (markPrice - entryPrice)`; `position_amt` is signed (negative when short), so no
/// direction is applied again.
pub fn binance_unrealized(position_amt: Decimal, entry_price: Decimal, mark_price: Decimal) -> Decimal {
    position_amt * (mark_price - entry_price)
}

/// Bitget USDT-M: `total x (markPrice - openPriceAvg) x (+1 long, -1 short)`; `total` is unsigned.
pub fn bitget_unrealized(total: Decimal, open_price_avg: Decimal, mark_price: Decimal, long: bool) -> Decimal {
    let diff = total * (mark_price - open_price_avg);
    if long { diff } else { -diff }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn venue_formulas() {
        // Binance's ADAUSDT example: 30 x (0.41047590 - 0.385) = 0.764277
        assert_eq!(binance_unrealized(d("30"), d("0.385"), d("0.41047590")), d("0.764277"));
        // a short loses when the mark rises
        assert_eq!(binance_unrealized(d("-2"), d("100"), d("110")), d("-20"));
        assert_eq!(bitget_unrealized(d("2"), d("100"), d("110"), false), d("-20"));
        assert_eq!(bitget_unrealized(d("2"), d("100"), d("110"), true), d("20"));
    }
}
