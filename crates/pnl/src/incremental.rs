//! The report of a ledger that grows: the engine's state is kept after the events processed, new events later than
//! all of them are applied to it, and a report is made from a copy of it (docs/accounting.md §11a, "A report kept
//! up to date"). Whatever could make the result differ from the whole ledger's report recomputes the whole ledger.

use std::borrow::Cow;
use std::sync::Arc;

use ledger::{Event, Position, PricePoint};

use crate::engine::{Days, Engine, Events};
use crate::prices::PriceBook;
use crate::report::Report;
use crate::settings::{Method, Settings};
use crate::transfers::{MATCH_WINDOW_MS, NONE, match_in_order};

/// Why [`Incremental::extend`] recomputed the whole ledger instead of applying the new events to the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recomputed {
    /// A new event is earlier than the last event processed: it goes before events it would have changed.
    Earlier,
    /// A new deposit completes a transfer whose withdrawal was processed as leaving the user's accounts.
    CompletesTransfer,
    /// A transfer matched by hand names a new event.
    ManualMatch,
    /// The prices changed other than by points after the last event processed (a new pair, a corrected or
    /// earlier point): values already booked could change.
    Prices,
    /// UK share pooling: an acquisition changes the disposals of the 30 days before it.
    UkPooling,
}

/// What [`Incremental::extend`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension {
    /// The new events were applied to the kept state.
    Applied,
    /// The whole ledger was computed again, for this reason.
    Recomputed(Recomputed),
}

/// A ledger and the engine's state after it. Its [`Incremental::report`] is [`crate::compute_with_positions`] of
/// every event given so far, in the order given (tested against it event for event).
pub struct Incremental {
    engine: Engine<'static>,
    /// The events as given, when the settings' leg marks or migrations change some (the engine holds them changed).
    originals: Option<Vec<Event>>,
    /// The events processed, in order, and every event's transfer partner.
    order: Vec<u32>,
    partner: Vec<u32>,
    days: Days,
}

impl Incremental {
    /// The state after `events`.
    pub fn new(events: Vec<Event>, prices: &[PricePoint], settings: Settings) -> Incremental {
        let (held, originals) = match crate::apply_leg_marks(&events, &settings) {
            Some(marked) => (marked, Some(events)),
            None => (events, None),
        };
        let mut engine = Engine::new(Events::Shared(Arc::new(held)), prices, Cow::Owned(settings));
        let (order, partner) = engine.start();
        let mut days = Days::default();
        engine.process(&order, &partner, &mut days);
        Incremental { engine, originals, order, partner, days }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        self.engine.settings()
    }

    /// The events given so far, in the order given (as given: without the leg marks applied).
    pub fn events(&self) -> &[Event] {
        self.originals.as_deref().unwrap_or_else(|| self.engine.events())
    }

    /// Adds `events` to the ledger, with `prices` (all of them, as for [`crate::compute`]) from now on. The new
    /// events are applied to the kept state when nothing processed could change; otherwise the whole ledger is
    /// computed again, and the reason returned.
    pub fn extend(&mut self, events: Vec<Event>, prices: &[PricePoint]) -> Extension {
        let first_new = self.engine.events().len();
        let marked = crate::apply_leg_marks(&events, self.engine.settings());
        if let Some(originals) = &mut self.originals {
            originals.extend(events.iter().cloned());
        }
        let held = self.engine.events_mut().expect("the engine's ledger is held by the engine alone between calls");
        held.extend(marked.unwrap_or(events));
        match self.apply_from(first_new, prices) {
            Ok(()) => Extension::Applied,
            Err(why) => {
                let events = match self.originals.take() {
                    Some(originals) => originals,
                    None => std::mem::take(self.engine.events_mut().expect("held by the engine alone")),
                };
                *self = Incremental::new(events, prices, self.engine.settings().clone());
                Extension::Recomputed(why)
            }
        }
    }

    /// Applies the events from index `first_new` on to the state, or says why they cannot be.
    fn apply_from(&mut self, first_new: usize, prices: &[PricePoint]) -> Result<(), Recomputed> {
        let s = self.engine.settings();
        if s.method == Method::Uk {
            return Err(Recomputed::UkPooling);
        }
        let events = self.engine.events();
        let time = |i: u32| events[i as usize].time;
        let mut tail: Vec<u32> =
            (first_new as u32..events.len() as u32).filter(|&i| events[i as usize].kind.moves_money()).collect();
        tail.sort_by_key(|&i| time(i)); // stable: ties in the order given
        if let Some(to) = s.window.to {
            tail.truncate(tail.partition_point(|&i| time(i) <= to));
        }
        let last = self.order.last().map(|&i| time(i));
        // a tie goes after the events of its time, as it would in the whole ledger's run
        if let (Some(last), Some(&first)) = (last, tail.first())
            && time(first) < last
        {
            return Err(Recomputed::Earlier);
        }
        let book = PriceBook::new(prices, s.stablecoins_as_usd);
        if !book.only_adds_after(self.engine.prices(), last.map_or(i64::MIN, |t| t.millis())) {
            return Err(Recomputed::Prices);
        }
        let new_ids = || events[first_new..].iter().map(|e| e.id.as_str());
        if !s.manual_matches.is_empty() && new_ids().any(|id| s.manual_matches.iter().any(|(w, d)| w == id || d == id))
        {
            return Err(Recomputed::ManualMatch);
        }
        // the new legs matched with each other and with the legs still waiting: those within the matching window
        self.partner.resize(events.len(), NONE);
        if let Some(&first) = tail.first() {
            let since = time(first).millis() - MATCH_WINDOW_MS;
            let start = self.order.partition_point(|&i| time(i).millis() < since);
            let scan: Vec<u32> = self.order[start..].iter().chain(&tail).copied().collect();
            match_in_order(events, &scan, &mut self.partner);
            if tail.iter().any(|&i| self.partner[i as usize] != NONE && (self.partner[i as usize] as usize) < first_new)
            {
                return Err(Recomputed::CompletesTransfer);
            }
        }
        self.engine.set_prices(book);
        self.engine.process(&tail, &self.partner, &mut self.days);
        self.order.extend(tail);
        Ok(())
    }

    /// The report of the ledger so far, with the open futures positions (see [`crate::compute_with_positions`]).
    pub fn report(&self, positions: &[Position]) -> Report {
        let engine = self.engine.clone();
        let as_of = engine.as_of(&self.order);
        engine.conclude(self.order.len(), as_of, self.days, positions)
    }

    /// [`Incremental::report`] without its rows: the disposals, their lot uses, the open lots and the matched
    /// transfers (empty; every figure, the holding periods included, as in the report). What a dashboard shows,
    /// made without copying the rows. Under UK share pooling, the report with the rows left out.
    pub fn summary(&mut self, positions: &[Position]) -> Report {
        if self.engine.settings().method == Method::Uk {
            let mut report = self.report(positions);
            report.disposals = Vec::new();
            report.lot_uses = Vec::new();
            report.open_lots = Vec::new();
            report.transfers.matched = Vec::new();
            return report;
        }
        let engine = self.engine.copy_without_rows();
        let as_of = engine.as_of(&self.order);
        engine.conclude(self.order.len(), as_of, self.days, positions)
    }
}
