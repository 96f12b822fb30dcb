//! AWS AppSync Events emulation: the realtime WebSocket (`/event/realtime`), HTTP publish
//! (`POST /event`) with API key or SigV4 auth, one namespace with the per-user `onSubscribe`
//! rule, and the `appsync-chat` Lambda at `POST /chat`.

mod authorize;
mod broker;
mod chat;
mod publish;
mod realtime;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use lexstream_protocol::appsync::{PUBLISH_PATH, REALTIME_PATH};

use crate::auth::AuthMode;
use crate::faults::SharedFaults;
use crate::identities::Identities;
pub use broker::Broker;
pub(crate) use chat::ChatRoute;

/// The Event API's settings and subscriptions.
#[derive(Debug, Clone)]
pub(crate) struct AppSyncApi {
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
    pub(crate) api_key: String,
    pub(crate) namespace: String,
    pub(crate) keepalive: Duration,
    pub(crate) broker: Broker,
    /// `post_latency_ms` applies to HTTP publishes as to `@connections` posts.
    pub(crate) faults: SharedFaults,
}

/// The Event API's routes, and `/chat` when the chat Lambda runs in-process.
pub(crate) fn routes(api: AppSyncApi, chat: Option<ChatRoute>) -> Router {
    let events = Router::new()
        .route(PUBLISH_PATH, post(publish::http_publish))
        .route(REALTIME_PATH, get(realtime::upgrade))
        .with_state(api);
    match chat {
        Some(chat) => events.merge(Router::new().route("/chat", post(chat::chat)).with_state(chat)),
        None => events,
    }
}
