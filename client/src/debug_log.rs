//! The debug view's record (config `debug: true`): connection events and data events of both
//! transports, newest last, kept to the last [`MAX_ENTRIES`]. Off, recording costs one check.

use std::cell::RefCell;

use leptos::prelude::*;

/// Entries kept; older ones are dropped.
pub const MAX_ENTRIES: usize = 200;

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugEntry {
    /// Seconds since the widget started, with milliseconds.
    pub at: String,
    /// `connection` (opened, closed, handshake, errors) or `data` (a streamed message).
    pub kind: &'static str,
    /// What happened, or the message's text.
    pub text: String,
}

thread_local! {
    static LOG: RefCell<Option<(RwSignal<Vec<DebugEntry>>, f64)>> = const { RefCell::new(None) };
}

/// Turns recording on and returns the signal the debug view shows.
pub fn enable() -> RwSignal<Vec<DebugEntry>> {
    let log = RwSignal::new(Vec::new());
    LOG.with_borrow_mut(|slot| *slot = Some((log, js_sys::Date::now())));
    log
}

/// Records an event if the debug view is on.
pub fn record(kind: &'static str, text: impl Into<String>) {
    LOG.with_borrow(|slot| {
        if let Some((log, started)) = slot {
            let at = seconds_with_millis(js_sys::Date::now() - started);
            let entry = DebugEntry { at, kind, text: text.into() };
            log.update(|entries| {
                if entries.len() == MAX_ENTRIES {
                    entries.remove(0);
                }
                entries.push(entry);
            });
        }
    });
}

/// `elapsed_ms` as seconds with three decimals (`"12.345"`), as `format!("{:.3}", ms / 1000.0)`
/// writes whole milliseconds, but with integers only: `{:.3}` of an `f64` was the one use of
/// float formatting in the widget, ~7 KB gzip.
fn seconds_with_millis(elapsed_ms: f64) -> String {
    let ms = elapsed_ms.round() as i64;
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    format!("{sign}{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::seconds_with_millis;

    #[test]
    fn elapsed_time_reads_as_seconds_with_milliseconds() {
        for ms in [0_i64, 1, 9, 10, 999, 1000, 1001, 12_345, 86_400_000, 3_600_007, -5, -1500] {
            let ms = ms as f64;
            assert_eq!(seconds_with_millis(ms), format!("{:.3}", ms / 1000.0), "{ms}");
        }
    }
}
