//! Koinly's rule for recognizing a withdrawal on one account and a deposit on another as one internal move: same
//! asset, the deposit no more than 12 hours after the withdrawal, received no more than sent and at least 80 % of
//! it, and equal transaction ids where both are known.

use std::collections::VecDeque;

use ledger::{Decimal, Event, EventKind};

use crate::intern::FxMap;

/// The longest a deposit may follow its withdrawal.
pub const MATCH_WINDOW_MS: i64 = 12 * 3_600_000;

/// No partner.
pub(crate) const NONE: u32 = u32::MAX;

/// For each event (by index into `events`): the index of its partner leg, or [`NONE`]. `order` is the processing
/// order (time, then ledger order). `manual` pairs (withdrawal id, deposit id) are matched first, as the user said;
/// a pair naming an unknown event, or legs of the wrong kinds, is ignored (the legs stay unmatched, and visible).
pub(crate) fn match_transfers(events: &[Event], order: &[u32], manual: &[(String, String)]) -> Vec<u32> {
    let mut partner = vec![NONE; events.len()];
    if !manual.is_empty() {
        let index: FxMap<&str, u32> = events.iter().enumerate().map(|(i, e)| (e.id.as_str(), i as u32)).collect();
        for (w, d) in manual {
            let (Some(&wi), Some(&di)) = (index.get(w.as_str()), index.get(d.as_str())) else { continue };
            let kinds_fit = matches!(events[wi as usize].kind, EventKind::Withdrawal { .. })
                && matches!(events[di as usize].kind, EventKind::Deposit { .. })
                && events[wi as usize].time <= events[di as usize].time;
            if kinds_fit && partner[wi as usize] == NONE && partner[di as usize] == NONE {
                partner[wi as usize] = di;
                partner[di as usize] = wi;
            }
        }
    }
    match_in_order(events, order, &mut partner);
    partner
}

/// Matches the legs of `order` (processing order) that have no partner yet, by the rule above, into `partner`.
/// Given a later part of the ledger (the events within [`MATCH_WINDOW_MS`] before the first new one, then the new
/// ones) with the earlier partners in place, it matches what the whole ledger's run would: an earlier leg left
/// unmatched by the whole run stays unmatched, unless a new deposit completes it.
pub(crate) fn match_in_order(events: &[Event], order: &[u32], partner: &mut [u32]) {
    let mut pending: FxMap<&str, VecDeque<u32>> = FxMap::default();
    let min_ratio = Decimal::new(8, 1);
    for &i in order {
        let e = &events[i as usize];
        match &e.kind {
            _ if partner[i as usize] != NONE => {}
            EventKind::Withdrawal { asset, .. } => pending.entry(asset.as_str()).or_default().push_back(i),
            EventKind::Deposit { asset, amount: received, txid: deposit_txid } => {
                let Some(queue) = pending.get_mut(asset.as_str()) else { continue };
                let earliest = e.time.millis() - MATCH_WINDOW_MS;
                while queue.front().is_some_and(|&w| events[w as usize].time.millis() < earliest) {
                    queue.pop_front();
                }
                let found = queue.iter().position(|&w| {
                    let w = &events[w as usize];
                    let EventKind::Withdrawal { amount: sent, txid, .. } = &w.kind else { return false };
                    w.account != e.account
                        && received <= sent
                        && *received >= *sent * min_ratio
                        && match (txid, deposit_txid) {
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            _ => true,
                        }
                });
                if let Some(pos) = found {
                    let w = queue.remove(pos).expect("position in range");
                    partner[w as usize] = i;
                    partner[i as usize] = w;
                }
            }
            _ => {}
        }
    }
}
