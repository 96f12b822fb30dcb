//! The Lambda Runtime API (`2018-06-01`) of one execution environment, as a runtime client
//! (awslambdaric, aws-lambda-ric, `lambda_runtime`) speaks it: `GET invocation/next`,
//! `POST invocation/{id}/response`, `POST invocation/{id}/error`, `POST init/error`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::environment::{EnvironmentState, Outcome};

/// Largest invocation response Lambda accepts from a runtime (synchronous invocations), the
/// figure its error message names.
const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// The Runtime API's routes for one environment.
pub(super) fn routes(state: Arc<EnvironmentState>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route("/2018-06-01/runtime/invocation/{request_id}/response", post(invocation_response))
        .route("/2018-06-01/runtime/invocation/{request_id}/error", post(invocation_error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(state)
        // The handlers check sizes themselves, so an oversized answer still ends its invocation.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The Runtime API's own errors: `{"errorMessage", "errorType"}` with a 4xx status.
fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (status, axum::Json(json!({ "errorMessage": message, "errorType": error_type }))).into_response()
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, axum::Json(json!({ "status": "OK" }))).into_response()
}

/// Waits for the next invocation (no timeout: the runtime waits as long as it takes) and hands
/// over its payload with the headers Lambda sends.
async fn next_invocation(State(state): State<Arc<EnvironmentState>>) -> Response {
    let Some(invocation) = state.next_invocation().await else {
        return runtime_error(
            StatusCode::GONE,
            "Runtime.Stopped",
            "the execution environment is shutting down",
        );
    };
    let mut response = (StatusCode::OK, invocation.payload.clone()).into_response();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &invocation.request_id);
    set("lambda-runtime-deadline-ms", &invocation.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &state.function_arn);
    set("lambda-runtime-trace-id", &invocation.trace_id);
    response
}

async fn invocation_response(
    State(state): State<Arc<EnvironmentState>>,
    Path(request_id): Path<String>,
    body: Bytes,
) -> Response {
    if body.len() > MAX_RESPONSE_BYTES {
        let message = format!(
            "Response payload size ({} bytes) exceeded maximum allowed payload size (6291556 bytes).",
            body.len()
        );
        state.complete(
            &request_id,
            Outcome::FunctionError {
                error_type: "Function.ResponseSizeTooLarge".into(),
                body: Bytes::from(message.clone()),
            },
        );
        return runtime_error(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", &message);
    }
    if state.complete(&request_id, Outcome::Response(body)) {
        accepted()
    } else {
        runtime_error(StatusCode::BAD_REQUEST, "InvalidRequestID", "Invalid request ID")
    }
}

/// The error type a runtime reports: the `Lambda-Runtime-Function-Error-Type` header, else the
/// body's `errorType`, else `Unhandled`.
fn reported_error_type(headers: &HeaderMap, body: &Bytes) -> String {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|error| error["errorType"].as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| "Unhandled".to_owned())
}

async fn invocation_error(
    State(state): State<Arc<EnvironmentState>>,
    Path(request_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = reported_error_type(&headers, &body);
    if state.complete(&request_id, Outcome::FunctionError { error_type, body }) {
        accepted()
    } else {
        runtime_error(StatusCode::BAD_REQUEST, "InvalidRequestID", "Invalid request ID")
    }
}

async fn init_error(State(state): State<Arc<EnvironmentState>>, headers: HeaderMap, body: Bytes) -> Response {
    let error_type = reported_error_type(&headers, &body);
    state.fail_init(error_type, body);
    accepted()
}
