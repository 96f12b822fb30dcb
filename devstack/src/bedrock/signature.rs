//! SigV4 checks on the Bedrock runtime routes (signing name `bedrock`): an unsigned call, an
//! unknown key or a bad signature is refused with 403 as Bedrock refuses it, unless `--auth off`;
//! so is a visitor's Cognito credential, which the deployed visitor role does not allow.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{self, AuthMode, Incoming};
use crate::aws_error::AwsError;
use crate::identities::Identities;

/// The signing name of the Bedrock runtime (its endpoint is `bedrock-runtime`, its scope `bedrock`).
const SIGNING_NAME: &str = "bedrock";

/// The largest body read for checking, as axum's default body limit for the handlers behind.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Who may call: the auth mode and the credentials the devstack knows.
#[derive(Debug, Clone)]
pub(super) struct Signers {
    pub(super) auth: AuthMode,
    pub(super) identities: Identities,
}

/// Middleware: passes the request on when its signature holds, else answers Bedrock's refusal.
pub(super) async fn require_signature(
    State(signers): State<Signers>,
    request: Request,
    next: Next,
) -> Response {
    if signers.auth == AuthMode::Off {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return AwsError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ValidationException",
            format!("The request body could not be read or is over {MAX_BODY_BYTES} bytes."),
        )
        .into_response();
    };
    let incoming = Incoming::new(parts.method.as_str(), &parts.uri, &parts.headers, &bytes);
    let refusal = auth::verify_service_call(
        signers.auth,
        &signers.identities,
        incoming,
        SIGNING_NAME,
        "bedrock:InvokeModel",
    )
    .err();
    if let Some(refusal) = refusal {
        tracing::info!(path = %parts.uri.path(), error_type = %refusal.error_type, "Bedrock call refused");
        return refusal.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
