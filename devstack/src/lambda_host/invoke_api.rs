//! Lambda's `Invoke` API for the functions the devstack runs:
//! `POST /2015-03-31/functions/{FunctionName}/invocations`, SigV4 service `lambda`, with the
//! invocation types Lambda has — `RequestResponse` (wait for the answer; a function error is a
//! 200 with `X-Amz-Function-Error`), `Event` (queued: 202 at once, the function runs on its own),
//! `DryRun` (204) — so a fulfillment can hand a long answer to a worker as it would on Lambda.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::{HostedFunction, Outcome};
use crate::auth::{self, AuthMode, Incoming};
use crate::aws_error::AwsError;
use crate::identities::Identities;

/// A function's code run in the devstack's own process: payload in, answer or error out.
pub type InProcessHandler =
    Arc<dyn Fn(Bytes) -> Pin<Box<dyn Future<Output = Result<Bytes, String>> + Send>> + Send + Sync>;

/// How a registered function runs.
#[derive(Clone)]
pub enum LambdaFunction {
    /// As processes over the Lambda Runtime API.
    Hosted(Arc<HostedFunction>),
    /// In the devstack's process.
    InProcess(InProcessHandler),
}

impl std::fmt::Debug for LambdaFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hosted(function) => f.debug_tuple("Hosted").field(&function.settings().name).finish(),
            Self::InProcess(_) => f.write_str("InProcess"),
        }
    }
}

impl LambdaFunction {
    /// Runs one invocation to its end.
    async fn run(&self, payload: Bytes) -> Outcome {
        match self {
            Self::Hosted(function) => function
                .invoke(payload)
                .await
                .unwrap_or_else(|_| Outcome::Exited("the function's host stopped".to_owned())),
            Self::InProcess(handler) => match handler(payload).await {
                Ok(answer) => Outcome::Response(answer),
                Err(message) => Outcome::FunctionError {
                    error_type: "Unhandled".to_owned(),
                    body: Bytes::from(
                        serde_json::json!({ "errorMessage": message, "errorType": "Unhandled" }).to_string(),
                    ),
                },
            },
        }
    }
}

/// The functions the devstack runs, by name.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    by_name: Arc<RwLock<HashMap<String, LambdaFunction>>>,
}

impl Functions {
    /// Registers (or replaces) the function `name`.
    pub fn register(&self, name: &str, function: LambdaFunction) {
        self.by_name.write().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), function);
    }

    /// The function a `FunctionName` path segment names: a name, a partial or full ARN, with or
    /// without a `:qualifier`.
    fn find(&self, function_name: &str) -> Option<LambdaFunction> {
        let name = function_name
            .rsplit_once(":function:")
            .map_or(function_name, |(_, rest)| rest)
            .split(':')
            .next()
            .unwrap_or(function_name);
        self.by_name.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }
}

/// What the Invoke route needs.
#[derive(Debug, Clone)]
pub(crate) struct InvokeApi {
    pub(crate) functions: Functions,
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
}

/// The `Invoke` route.
pub(crate) fn routes(api: InvokeApi) -> Router {
    Router::new().route("/2015-03-31/functions/{function_name}/invocations", post(invoke)).with_state(api)
}

async fn invoke(
    State(api): State<InvokeApi>,
    Path(function_name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Incoming::new("POST", &uri, &headers, &body);
    if let Err(refusal) =
        auth::verify_service_call(api.auth, &api.identities, request, "lambda", "lambda:InvokeFunction")
    {
        return refusal.into_response();
    }
    let Some(function) = api.functions.find(&function_name) else {
        return AwsError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!(
                "Function not found: arn:aws:lambda:{}:000000000000:function:{function_name}",
                super::REGION
            ),
        )
        .into_response();
    };
    let invocation_type =
        headers.get("x-amz-invocation-type").and_then(|v| v.to_str().ok()).unwrap_or("RequestResponse");
    match invocation_type {
        "Event" => {
            tracing::info!(function = %function_name, "queued an asynchronous invocation");
            tokio::spawn(async move {
                if let outcome @ (Outcome::FunctionError { .. } | Outcome::Exited(_) | Outcome::TimedOut(_)) =
                    function.run(body).await
                {
                    tracing::warn!(function = %function_name, ?outcome, "an asynchronous invocation failed");
                }
            });
            StatusCode::ACCEPTED.into_response()
        }
        "DryRun" => StatusCode::NO_CONTENT.into_response(),
        "RequestResponse" => answered(function.run(body).await),
        other => AwsError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            format!("Invalid InvocationType {other:?}: must be RequestResponse, Event or DryRun"),
        )
        .into_response(),
    }
}

/// A synchronous invocation's answer: 200 with the payload, and `X-Amz-Function-Error` when the
/// function failed (the payload is then the error document).
fn answered(outcome: Outcome) -> Response {
    let (payload, function_error) = match outcome {
        Outcome::Response(payload) => (payload, None),
        Outcome::FunctionError { body, .. } => (body, Some("Unhandled")),
        Outcome::Exited(status) => (error_document("Runtime.ExitError", &status), Some("Unhandled")),
        Outcome::TimedOut(after) => (
            error_document(
                "Sandbox.Timedout",
                &format!("Task timed out after {:.2} seconds", after.as_secs_f64()),
            ),
            Some("Unhandled"),
        ),
    };
    let mut response = (StatusCode::OK, payload).into_response();
    let headers = response.headers_mut();
    headers.insert("x-amz-executed-version", HeaderValue::from_static("$LATEST"));
    if let Some(kind) = function_error {
        headers.insert("x-amz-function-error", HeaderValue::from_static(kind));
    }
    response
}

fn error_document(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
}
