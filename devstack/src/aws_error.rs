//! Error responses shaped as AWS's JSON services send them: status, `x-amzn-ErrorType`, and
//! `{"__type": …, "message": …}` — the SDKs pick the error from the header or the body's
//! `__type`, never from the status alone.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An AWS-style error response.
#[derive(Debug, Clone)]
pub(crate) struct AwsError {
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// The error type, e.g. `GoneException`.
    pub(crate) error_type: String,
    /// A readable message.
    pub(crate) message: String,
}

impl AwsError {
    /// An error of `error_type` with `status` and `message`.
    pub(crate) fn new(status: StatusCode, error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, error_type: error_type.into(), message: message.into() }
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        // The type in the body too, as AWS's JSON 1.x services send it: botocore reads only the
        // body's `__type` for them (without it boto3 sees the status code as the error code).
        let body = serde_json::json!({ "__type": self.error_type, "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(error_type) = HeaderValue::from_str(&self.error_type) {
            headers.insert("x-amzn-ErrorType", error_type);
        }
        response
    }
}
