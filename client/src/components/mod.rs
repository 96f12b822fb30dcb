//! The widget's Leptos components, one per file.
// `#[component]` expands to a `pub` inner function that this lint misreads as unreachable.
#![allow(unreachable_pub)]

mod bot_reply;
mod chat_panel;
mod composer;
mod debug_view;
mod launcher;
mod transcript_view;
mod widget;

pub use bot_reply::BotReply;
pub use chat_panel::ChatPanel;
pub use composer::Composer;
pub use debug_view::DebugView;
pub use launcher::Launcher;
pub use transcript_view::TranscriptView;
pub use widget::Widget;

/// Element id of the chat panel, referenced by the launcher's `aria-controls`.
pub(crate) const PANEL_ID: &str = "lexstream-panel";
