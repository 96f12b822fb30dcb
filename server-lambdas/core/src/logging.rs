//! Structured JSON logs for Lambda (CloudWatch reads one JSON object per line), with visitors'
//! identifiers hashed ([`crate::log_hash`]).

use crate::config::{ConfigError, environment};
use crate::log_hash::{self, LogHashKey};

/// Installs a JSON `tracing` subscriber (the level comes from `RUST_LOG`, default `info`) and the
/// key identifiers are hashed with in logs (`LOG_HASH_KEY`, see [`crate::log_hash`]), and says
/// which key that is. Called once at cold start; an unusable `LOG_HASH_KEY` is an error.
pub fn init_json_logs() -> Result<(), ConfigError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .try_init();
    log_hash::install(LogHashKey::from_lookup(&environment)?);
    log_hash::log_key_source();
    Ok(())
}
