//! The Lexstream chat widget: a launcher button and a chat panel, living in their own Shadow
//! DOM so the host page's CSS cannot break them and theirs cannot leak out.
//!
//! [`embed::start`] is what the bundle runs when a page loads it: it creates the host element,
//! attaches a shadow root with the widget's stylesheet and mounts [`components::Widget`] there.
//! The loader (`client/loader/lexstream.js`) draws the launcher before this code is fetched, and
//! fetches it when the visitor shows intent; the widget then takes the loader's place.

pub mod aws;
mod chat;
pub mod components;
pub mod config;
pub mod conversation;
pub mod debug_log;
pub mod embed;
pub mod language;
pub mod page_api;
mod paint_budget;
pub mod persistence;
pub mod resume_plan;
pub mod sanitize;
mod sleep;
mod stream_painter;
pub mod strings;
pub mod transcript;
pub mod transport;
pub mod warm_up;
