//! Where the next page of a stream starts: one [`Pager`] per task, holding the position its paging style needs
//! (an offset, a page number, an id, a cursor, a time, the halves of a window still to read). It writes each
//! request's paging parameters and reads each answer's [`Page`] to say whether there is more. The styles and the
//! venues that use them are in docs/venues.md §3 and [`Paging`].

use venues::parse::Page;

use crate::plan::Paging;

/// The position of one task's paging.
#[derive(Debug, Clone)]
pub struct Pager {
    paging: Paging,
    limit: usize,
    offset: usize,
    page_no: usize,
    before: Option<String>,
    /// The window's start and end (ms), moved by the time-paged styles.
    pub start: Option<i64>,
    /// See `start`.
    pub end: Option<i64>,
    /// The next `fromId` (Binance's trades), kept in the account's state between syncs.
    pub from_id: u64,
    /// Bisect: the halves of full pages still to read.
    halves: Vec<(i64, i64)>,
}

/// A page that cannot be paged past: more rows at one millisecond than a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// The millisecond.
    pub at: i64,
    /// The page size.
    pub limit: usize,
}

impl std::fmt::Display for Stuck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} rows or more at one millisecond ({}): cannot page further", self.limit, self.at)
    }
}

impl Pager {
    /// A pager at the start of a task: its window, and for `FromId` the id to start from.
    pub fn new(paging: Paging, limit: usize, window: Option<(i64, i64)>, from_id: u64) -> Self {
        Pager {
            paging,
            limit,
            offset: 0,
            page_no: 1,
            before: None,
            start: window.map(|w| w.0),
            end: window.map(|w| w.1),
            from_id,
            halves: Vec::new(),
        }
    }

    /// Appends the next request's window and paging parameters.
    pub fn params(&self, params: &mut Vec<(&'static str, String)>) {
        if let (Some(s), Some(e)) = (self.start, self.end) {
            params.push((self.paging.start_param(), s.to_string()));
            params.push(("endTime", e.to_string()));
        }
        let limit = self.limit.to_string();
        match self.paging {
            Paging::Single => {}
            Paging::FromId | Paging::FromIdAfter => {
                params.push(("fromId", self.from_id.to_string()));
                params.push(("limit", limit));
            }
            Paging::Offset => {
                params.push(("offset", self.offset.to_string()));
                params.push(("limit", limit));
            }
            Paging::PageNumber => {
                params.push(("current", self.page_no.to_string()));
                params.push(("size", limit));
            }
            Paging::PageRows => {
                params.push(("page", self.page_no.to_string()));
                params.push(("rows", limit));
            }
            Paging::PageOnly => params.push(("page", self.page_no.to_string())),
            Paging::PageNoSize => {
                params.push(("pageNo", self.page_no.to_string()));
                params.push(("pageSize", limit));
            }
            Paging::MoreData | Paging::TimeInclusive | Paging::TimeBackward | Paging::Bisect => {
                params.push(("limit", limit));
            }
            Paging::IdLessThan | Paging::EndId => {
                params.push(("limit", limit));
                if let Some(b) = &self.before {
                    params.push(("idLessThan", b.clone()));
                }
            }
            Paging::Cursor | Paging::CursorMinId => {
                params.push(("limit", limit));
                if let Some(b) = &self.before {
                    params.push(("cursor", b.clone()));
                }
            }
        }
    }

    /// Moves past `page`; whether another page is to be read.
    pub fn advance(&mut self, page: &Page) -> Result<bool, Stuck> {
        let full = page.rows >= self.limit;
        let limit = self.limit;
        let stuck = |at| Stuck { at, limit };
        Ok(match self.paging {
            Paging::Single => false,
            Paging::FromId => {
                if let Some(max) = page.max_id {
                    self.from_id = max + 1;
                }
                full
            }
            Paging::FromIdAfter => {
                if let Some(max) = page.max_id {
                    self.from_id = max;
                }
                full
            }
            Paging::Offset => {
                self.offset += page.rows;
                full
            }
            Paging::PageNumber | Paging::PageRows | Paging::PageOnly | Paging::PageNoSize => {
                self.page_no += 1;
                full && page.total.is_none_or(|t| (self.page_no - 1) * self.limit < t as usize)
            }
            Paging::MoreData => match (page.cursor.as_deref(), page.max_time) {
                (Some("more"), Some(t)) => {
                    self.start = Some(t + 1);
                    true
                }
                _ => false,
            },
            // the next window starts (or ends) at the page's last time, included: a full page of one millisecond
            // would be read again forever
            Paging::TimeInclusive => match page.max_time {
                Some(t) if full => Self::move_to(&mut self.start, t).map_err(stuck)?,
                _ => false,
            },
            Paging::TimeBackward => match page.min_time {
                Some(t) if full => Self::move_to(&mut self.end, t).map_err(stuck)?,
                _ => false,
            },
            Paging::IdLessThan | Paging::CursorMinId => {
                self.before = page.min_id.clone();
                full && self.before.is_some()
            }
            Paging::EndId => {
                self.before = page.cursor.clone().or(page.min_id.clone());
                full && self.before.is_some()
            }
            Paging::Cursor => {
                self.before = page.cursor.clone();
                full && self.before.is_some()
            }
            Paging::Bisect => self.bisect(full).map_err(stuck)?,
        })
    }

    /// Moves a window's bound to `t`: an error (at `t`) when it is there already.
    fn move_to(bound: &mut Option<i64>, t: i64) -> Result<bool, i64> {
        if *bound == Some(t) {
            return Err(t);
        }
        *bound = Some(t);
        Ok(true)
    }

    /// A full page halves the window (its second half waits); otherwise the next waiting half is read. An error (at
    /// the window's time) when a full page comes from a window of one millisecond.
    fn bisect(&mut self, full: bool) -> Result<bool, i64> {
        Ok(match (self.start, self.end) {
            (Some(s), Some(e)) if full => {
                if s == e {
                    return Err(s);
                }
                let mid = s + (e - s) / 2;
                self.halves.push((mid + 1, e));
                (self.start, self.end) = (Some(s), Some(mid));
                true
            }
            _ => match self.halves.pop() {
                Some((s, e)) => {
                    (self.start, self.end) = (Some(s), Some(e));
                    true
                }
                None => false,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(rows: usize) -> Page {
        Page { rows, ..Page::default() }
    }

    fn params(p: &Pager) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        p.params(&mut v);
        v
    }

    #[test]
    fn offsets_and_page_numbers_move_by_what_was_read() {
        let mut p = Pager::new(Paging::Offset, 100, Some((0, 10)), 0);
        assert_eq!(p.advance(&page(100)), Ok(true));
        assert!(params(&p).contains(&("offset", "100".into())));
        assert_eq!(p.advance(&page(3)), Ok(false));

        let mut p = Pager::new(Paging::PageNumber, 10, None, 0);
        assert_eq!(p.advance(&Page { rows: 10, total: Some(20), ..Page::default() }), Ok(true));
        assert!(params(&p).contains(&("current", "2".into())));
        // the venue's total says the second full page was the last
        assert_eq!(p.advance(&Page { rows: 10, total: Some(20), ..Page::default() }), Ok(false));
    }

    #[test]
    fn fiat_and_p2p_pages_name_their_parameters() {
        let mut p = Pager::new(Paging::PageRows, 500, Some((0, 10)), 0);
        assert_eq!(
            params(&p),
            [("beginTime", "0".into()), ("endTime", "10".into()), ("page", "1".into()), ("rows", "500".into())]
        );
        assert_eq!(p.advance(&Page { rows: 500, total: Some(501), ..Page::default() }), Ok(true));
        assert!(params(&p).contains(&("page", "2".into())));
        assert_eq!(p.advance(&Page { rows: 1, total: Some(501), ..Page::default() }), Ok(false));
        let mut p = Pager::new(Paging::PageOnly, 200, Some((0, 10)), 0);
        assert_eq!(params(&p), [("startTime", "0".into()), ("endTime", "10".into()), ("page", "1".into())]);
        assert_eq!(p.advance(&page(200)), Ok(true));
        assert_eq!(params(&p)[2], ("page", "2".into()));
        // Bitget's crypto loan histories (docs/venues.md §2.17): `pageNo` with `pageSize`, until a page is not full
        let mut p = Pager::new(Paging::PageNoSize, 100, Some((0, 10)), 0);
        assert_eq!(
            params(&p),
            [("startTime", "0".into()), ("endTime", "10".into()), ("pageNo", "1".into()), ("pageSize", "100".into())]
        );
        assert_eq!(p.advance(&page(100)), Ok(true));
        assert_eq!(params(&p)[2], ("pageNo", "2".into()));
        assert_eq!(p.advance(&page(99)), Ok(false));
    }

    #[test]
    fn from_id_continues_after_the_largest_id() {
        let mut p = Pager::new(Paging::FromId, 2, None, 7);
        assert!(params(&p).contains(&("fromId", "7".into())));
        assert_eq!(p.advance(&Page { rows: 2, max_id: Some(41), ..Page::default() }), Ok(true));
        assert_eq!(p.from_id, 42);
        // the margin capital flow answers ids above `fromId`: the next starts at the largest id itself
        let mut p = Pager::new(Paging::FromIdAfter, 2, None, 0);
        assert!(params(&p).contains(&("fromId", "0".into())));
        assert_eq!(p.advance(&Page { rows: 2, max_id: Some(41), ..Page::default() }), Ok(true));
        assert_eq!(p.from_id, 41);
        assert_eq!(p.advance(&Page { rows: 1, max_id: Some(42), ..Page::default() }), Ok(false));
    }

    #[test]
    fn time_paging_refuses_a_millisecond_fuller_than_a_page() {
        let mut p = Pager::new(Paging::TimeInclusive, 2, Some((5, 100)), 0);
        assert_eq!(p.advance(&Page { rows: 2, max_time: Some(9), ..Page::default() }), Ok(true));
        assert_eq!(p.start, Some(9));
        assert_eq!(p.advance(&Page { rows: 2, max_time: Some(9), ..Page::default() }), Err(Stuck { at: 9, limit: 2 }));

        let mut p = Pager::new(Paging::TimeBackward, 2, Some((5, 100)), 0);
        assert_eq!(p.advance(&Page { rows: 2, min_time: Some(50), ..Page::default() }), Ok(true));
        assert_eq!(p.end, Some(50));
        assert_eq!(p.advance(&Page { rows: 1, min_time: Some(20), ..Page::default() }), Ok(false));
    }

    #[test]
    fn cursors_and_ids_follow_the_venues_hint() {
        let mut p = Pager::new(Paging::IdLessThan, 2, None, 0);
        assert_eq!(p.advance(&Page { rows: 2, min_id: Some("17".into()), ..Page::default() }), Ok(true));
        assert!(params(&p).contains(&("idLessThan", "17".into())));
        let mut p = Pager::new(Paging::EndId, 2, None, 0);
        let bills = Page { rows: 2, cursor: Some("c9".into()), min_id: Some("3".into()), ..Page::default() };
        assert_eq!(p.advance(&bills), Ok(true));
        assert!(params(&p).contains(&("idLessThan", "c9".into())));
        let mut p = Pager::new(Paging::Cursor, 2, None, 0);
        assert_eq!(p.advance(&page(2)), Ok(false), "a full page without a cursor ends the task");
        let mut p = Pager::new(Paging::MoreData, 2, Some((0, 99)), 0);
        assert_eq!(
            p.advance(&Page { rows: 1, cursor: Some("more".into()), max_time: Some(30), ..Page::default() }),
            Ok(true)
        );
        assert_eq!(p.start, Some(31));
    }

    #[test]
    fn bisect_reads_both_halves_of_every_full_window() {
        let mut p = Pager::new(Paging::Bisect, 2, Some((0, 9)), 0);
        let mut windows = vec![(p.start.unwrap(), p.end.unwrap())];
        // the first window and its left half are full; everything else fits in a page
        let mut fulls = 2;
        loop {
            let rows = if fulls > 0 { 2 } else { 1 };
            fulls -= 1;
            match p.advance(&page(rows)) {
                Ok(true) => windows.push((p.start.unwrap(), p.end.unwrap())),
                Ok(false) => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(windows, vec![(0, 9), (0, 4), (0, 2), (3, 4), (5, 9)]);
        let mut p = Pager::new(Paging::Bisect, 2, Some((7, 7)), 0);
        assert_eq!(p.advance(&page(2)), Err(Stuck { at: 7, limit: 2 }));
    }
}
