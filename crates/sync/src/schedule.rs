//! When to sync next: a timer (default every 5 minutes) that a "sync now" brings forward. Pure: the caller passes
//! the time and runs the sync.

/// The default interval between syncs.
pub const DEFAULT_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// A sync timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Interval between syncs, ms.
    pub interval_ms: i64,
    next_at: i64,
    running: bool,
}

impl Schedule {
    /// A timer that fires at once, then every `interval_ms`.
    pub fn new(interval_ms: i64) -> Self {
        Schedule { interval_ms, next_at: i64::MIN, running: false }
    }

    /// Whether a sync should start at `now` (never while one is running).
    pub fn due(&self, now: i64) -> bool {
        !self.running && now >= self.next_at
    }

    /// Ms until the next sync (0 if due).
    pub fn wait_ms(&self, now: i64) -> i64 {
        (self.next_at.saturating_sub(now)).max(0)
    }

    /// A sync started.
    pub fn started(&mut self) {
        self.running = true;
    }

    /// A sync finished at `now`: the next one is an interval later.
    pub fn finished(&mut self, now: i64) {
        self.running = false;
        self.next_at = now + self.interval_ms;
    }

    /// The user asked for a sync now.
    pub fn sync_now(&mut self, now: i64) {
        self.next_at = self.next_at.min(now);
    }
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule::new(DEFAULT_INTERVAL_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_and_sync_now() {
        let mut s = Schedule::default();
        assert!(s.due(0));
        s.started();
        assert!(!s.due(1), "never two syncs at once");
        s.finished(1_000);
        assert!(!s.due(1_000 + DEFAULT_INTERVAL_MS - 1));
        assert_eq!(s.wait_ms(1_000), DEFAULT_INTERVAL_MS);
        assert!(s.due(1_000 + DEFAULT_INTERVAL_MS));
        s.sync_now(2_000);
        assert!(s.due(2_000));
    }
}
