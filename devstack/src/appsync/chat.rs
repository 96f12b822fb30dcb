//! `POST /chat`: the `appsync-chat` Lambda's handler, in-process, behind IAM auth as API
//! Gateway would run it (the caller's Cognito identity from a verified SigV4 signature, service
//! `execute-api`). It publishes through the real HTTP publisher to this devstack's `/event`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use lexstream_lambda_core::appsync_chat::handle_chat;
use lexstream_lambda_core::aws::{AppSyncPublisher, BedrockModel};
use lexstream_lambda_core::config::ChatConfig;

use crate::auth::{self, AuthMode, Incoming};
use crate::clock::epoch_seconds;
use crate::connection_table::ConnectionTable;
use crate::identities::Identities;

/// The in-process chat Lambda and what it needs to authenticate callers.
#[derive(Clone)]
pub(crate) struct ChatRoute {
    pub(crate) model: Arc<BedrockModel>,
    pub(crate) publisher: Arc<AppSyncPublisher>,
    pub(crate) config: Arc<ChatConfig>,
    /// Where the answers per identity are counted (the connection table, as `LIMITS_TABLE`).
    pub(crate) limits: ConnectionTable,
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
}

/// `POST /chat`.
pub(crate) async fn chat(
    State(route): State<ChatRoute>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming::new("POST", &uri, &headers, &body);
    let caller =
        match auth::verify_headers(route.auth, &route.identities, incoming, "execute-api", epoch_seconds()) {
            Ok(caller) => caller,
            Err(refused) => return refused.into_response(),
        };
    let identity = caller.and_then(|caller| caller.identity_id);
    let body = String::from_utf8_lossy(&body);
    let limits = route.config.limits_table.as_ref().map(|_| &route.limits);
    let answer =
        handle_chat(&body, identity.as_deref(), &*route.model, &*route.publisher, limits, &route.config)
            .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("content-type", "application/json")], answer.body).into_response()
}
