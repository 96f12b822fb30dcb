//! The debug view (config `debug: true`): a collapsible list of the session's connection and
//! data events, as the AWS streaming pattern's demo app shows them.

use leptos::prelude::*;

use crate::debug_log::DebugEntry;

/// Shows `log`, newest last.
#[component]
pub fn DebugView(
    /// The recorded events.
    log: RwSignal<Vec<DebugEntry>>,
) -> impl IntoView {
    view! {
        <details class="lxs-debug" data-testid="debug-log">
            <summary>{move || format!("Debug: {} events", log.with(Vec::len))}</summary>
            <ol class="lxs-debug-list">
                {move || log.with(|entries| entries.iter().map(|entry| {
                    let kind = entry.kind;
                    view! {
                        <li data-kind=kind>
                            <span class="lxs-debug-at">{entry.at.clone()}</span>" "
                            <span class="lxs-debug-kind">{kind}</span>" "
                            <span>{entry.text.clone()}</span>
                        </li>
                    }
                }).collect_view())}
            </ol>
        </details>
    }
}
