//! Lex V2 runtime emulation: `RecognizeText` for a bot described in a small JSON file, with the
//! fulfillment code hook run in-process or at a Lambda invoke URL.

pub mod bot;
pub mod fulfiller;
mod recognize;

use axum::Router;
use axum::routing::post;

pub(crate) use recognize::LexRuntime;

/// The Lex runtime routes.
pub(crate) fn routes(runtime: LexRuntime) -> Router {
    Router::new()
        .route(
            "/bots/{bot_id}/botAliases/{alias_id}/botLocales/{locale_id}/sessions/{session_id}/text",
            post(recognize::recognize_text),
        )
        .with_state(runtime)
}
