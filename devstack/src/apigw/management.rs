//! API Gateway's management API for WebSocket connections:
//! `POST|GET|DELETE /{stage}/@connections/{connectionId}`, with AWS's status codes and limits.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::connections::{Connections, DeliveryError};
use crate::aws_error::AwsError;
use crate::faults::SharedFaults;
use crate::time_format::rfc3339;

#[derive(Clone)]
struct ManagementState {
    stage: String,
    connections: Connections,
    faults: SharedFaults,
    max_message_bytes: usize,
}

/// The management API routes for `stage`.
pub(crate) fn routes(
    stage: &str,
    connections: Connections,
    faults: SharedFaults,
    max_message_bytes: usize,
) -> Router {
    let state = ManagementState { stage: stage.to_owned(), connections, faults, max_message_bytes };
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

/// API Gateway answers 403 for a stage that does not exist.
fn check_stage(state: &ManagementState, stage: &str) -> Result<(), AwsError> {
    if stage == state.stage {
        Ok(())
    } else {
        Err(AwsError::new(StatusCode::FORBIDDEN, "ForbiddenException", format!("No stage {stage:?}")))
    }
}

async fn post_to_connection(
    State(state): State<ManagementState>,
    Path((stage, connection_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(refused) = check_stage(&state, &stage) {
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
) -> Response {
    if let Err(refused) = check_stage(&state, &stage) {
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
) -> Response {
    if let Err(refused) = check_stage(&state, &stage) {
        return refused.into_response();
    }
    if state.connections.remove(&connection_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        gone(&connection_id)
    }
}
