//! API Gateway's management API for WebSocket connections:
//! `POST|GET|DELETE /{stage}/@connections/{connectionId}`, with AWS's status codes and limits.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::connections::{Connections, DeliveryError};
use crate::auth::{self, AuthMode, Incoming};
use crate::aws_error::AwsError;
use crate::faults::SharedFaults;
use crate::identities::Identities;
use crate::time_format::rfc3339;

/// What the management API needs.
#[derive(Clone)]
pub(crate) struct ManagementApi {
    pub(crate) stage: String,
    pub(crate) connections: Connections,
    pub(crate) faults: SharedFaults,
    pub(crate) max_message_bytes: usize,
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
}

type ManagementState = ManagementApi;

/// The management API routes.
pub(crate) fn routes(state: ManagementApi) -> Router {
    Router::new()
        .route(
            "/{stage}/@connections/{connection_id}",
            post(post_to_connection).get(get_connection).delete(delete_connection),
        )
        .with_state(state)
}

fn gone(connection_id: &str) -> Response {
    AwsError::new(StatusCode::GONE, "GoneException", format!("Connection {connection_id} is gone"))
        .into_response()
}

/// API Gateway answers 403 for a stage that does not exist, for an unsigned or badly signed
/// call (the management API is IAM-authorized, service `execute-api`), and for a visitor's
/// credentials (their role may not manage connections).
fn check_access(state: &ManagementState, stage: &str, request: Incoming<'_>) -> Result<(), AwsError> {
    if stage != state.stage {
        return Err(AwsError::new(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            format!("No stage {stage:?}"),
        ));
    }
    auth::verify_service_call(
        state.auth,
        &state.identities,
        request,
        "execute-api",
        "execute-api:ManageConnections",
    )?;
    Ok(())
}

async fn post_to_connection(
    State(state): State<ManagementState>,
    Path((stage, connection_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Incoming::new("POST", &uri, &headers, &body);
    if let Err(refused) = check_access(&state, &stage, request) {
        return refused.into_response();
    }
    let faults = state.faults.current();
    if faults.post_latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.post_latency_ms)).await;
    }
    if faults.gone_on_post {
        return gone(&connection_id);
    }
    if body.len() > state.max_message_bytes {
        return AwsError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLargeException",
            format!("Message of {} bytes exceeds the {} byte limit", body.len(), state.max_message_bytes),
        )
        .into_response();
    }
    let message = String::from_utf8_lossy(&body).into_owned();
    match state.connections.deliver(&connection_id, message) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(DeliveryError::Gone) => gone(&connection_id),
    }
}

async fn get_connection(
    State(state): State<ManagementState>,
    Path((stage, connection_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Incoming::new("GET", &uri, &headers, &[]);
    if let Err(refused) = check_access(&state, &stage, request) {
        return refused.into_response();
    }
    match state.connections.info(&connection_id) {
        Some(info) => Json(serde_json::json!({
            "connectedAt": rfc3339(info.connected_at),
            "lastActiveAt": rfc3339(info.last_active_at),
            "identity": { "sourceIp": info.source_ip, "userAgent": info.user_agent },
        }))
        .into_response(),
        None => gone(&connection_id),
    }
}

async fn delete_connection(
    State(state): State<ManagementState>,
    Path((stage, connection_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Incoming::new("DELETE", &uri, &headers, &[]);
    if let Err(refused) = check_access(&state, &stage, request) {
        return refused.into_response();
    }
    if state.connections.remove(&connection_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        gone(&connection_id)
    }
}
