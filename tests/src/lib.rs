//! Helpers for Lexstream's end-to-end tests: a real headless Chromium (through chromedriver and
//! fantoccini) pointed at a devstack serving the built widget, and a real DynamoDB-compatible
//! server (moto) for the Lambdas' DynamoDB adapter. For the benchmarks: DevTools commands, the
//! page's main-thread tasks from Chromium's trace, a long scripted Markdown answer, the
//! events each Lambda receives, visitors asking the demo bot (signed in or not), and what this process uses.
//!
//! The widget must be built first (`cargo xtask test` does it with trunk); the tests fail with a
//! message saying so rather than skip.

mod browser;
mod connection_table;
mod demo_bot;
mod host_site;
pub mod lambda_events;
mod moto;
mod process_usage;
mod raw_http;
pub mod scripted_answer;
mod sign_in;
mod stand_in_lambda;
mod task_trace;
mod tools;
mod visitor;
mod widget_page;

pub use browser::{Browser, ConsoleEntry, in_browser};
pub use connection_table::create_connection_table;
pub use demo_bot::{CONNECTION_TABLE, streaming_question, unthrottled_devstack_config};
pub use host_site::{devstack_widget_config, serve_page, serve_site};
pub use moto::MotoServer;
pub use process_usage::{ensure_open_files, peak_rss_kib, reset_peak_rss, thread_cpu_time};
pub use raw_http::unsigned_post;
pub use sign_in::devstack_id_token;
pub use stand_in_lambda::serve_stand_in_lambda;
pub use task_trace::{MainThreadTasks, TaskTrace, TimeBreakdown};
pub use tools::{lambda_binary, lex_fulfillment_binary, venv_python, workspace_root};
pub use visitor::{POOL_ID, Visitor, VisitorSocket};
pub use widget_page::{
    SeenAnswer, WORKER_BATCH_MESSAGES_JS, WidgetPage, built_dist_dir, dist_without_wasm, start_devstack,
    start_devstack_with,
};
