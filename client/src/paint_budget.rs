//! How often a streaming reply is painted: at most once per screen frame, and, when a paint is
//! costly (a long open block, a slow phone), only as often as keeps painting under a tenth of
//! the main thread — the page stays responsive however fast text arrives. The first paint of a
//! reply is never held back: the first words show at once.

/// The share of the main thread streamed painting may take, as the wait after a paint in
/// multiples of its cost: a paint that took `c` ms is followed by at least `9c` ms without one.
/// A paint of 1 ms (a desktop) still runs every screen frame; one of 5 ms (a long answer on a slow
/// machine) about 20 times a second, which still reads as a smooth stream.
const WAIT_PER_PAINT_COST: f64 = 9.0;

/// Text on screen never lags the stream by more than this because of the budget: at least about
/// ten paints a second, however costly, so the text keeps moving.
const LONGEST_WAIT_MS: f64 = 100.0;

/// When the next paint may run, from what the last one cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PaintBudget {
    /// The time (ms, the clock the caller uses) before which no paint runs.
    next_due_ms: f64,
}

impl PaintBudget {
    /// How long to wait from `now_ms` before painting; 0 when a paint may run now.
    pub(crate) fn wait_ms(&self, now_ms: f64) -> f64 {
        (self.next_due_ms - now_ms).max(0.0)
    }

    /// Notes a paint that ran from `started_ms` to `ended_ms`.
    pub(crate) fn painted(&mut self, started_ms: f64, ended_ms: f64) {
        let cost = (ended_ms - started_ms).max(0.0);
        self.next_due_ms = ended_ms + (cost * WAIT_PER_PAINT_COST).min(LONGEST_WAIT_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::PaintBudget;

    #[test]
    fn the_first_paint_runs_at_once() {
        assert_eq!(PaintBudget::default().wait_ms(12_345.0), 0.0);
    }

    #[test]
    fn cheap_paints_run_every_screen_frame() {
        let mut budget = PaintBudget::default();
        budget.painted(1_000.0, 1_001.0);
        // The next screen frame, 16.7 ms on, may paint.
        assert_eq!(budget.wait_ms(1_016.7), 0.0);
    }

    #[test]
    fn a_costly_paint_holds_the_next_for_nine_times_its_cost() {
        let mut budget = PaintBudget::default();
        budget.painted(1_000.0, 1_010.0);
        assert_eq!(budget.wait_ms(1_016.0), 84.0);
        assert_eq!(budget.wait_ms(1_100.0), 0.0);
    }

    #[test]
    fn the_wait_is_bounded_so_text_keeps_moving() {
        let mut budget = PaintBudget::default();
        budget.painted(0.0, 100.0);
        assert_eq!(budget.wait_ms(100.0), 100.0);
    }
}
