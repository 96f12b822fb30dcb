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
            let at = format!("{:.3}", (js_sys::Date::now() - started) / 1000.0);
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
