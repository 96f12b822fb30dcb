//! DynamoDB's errors as it sends them: HTTP 400 with a JSON body
//! `{"__type":"<namespace>#<Name>","message":…}`, which the SDKs (Rust, boto3) read the error
//! code from — DynamoDB sends no `x-amzn-ErrorType` header.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::value::Item;
use crate::aws_error::AwsError;

/// The namespace of DynamoDB's own modelled errors.
const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810";
/// The namespace of the service framework's errors (authentication, unknown operations).
const SERVICE: &str = "com.amazon.coral.service";
/// The namespace of input validation errors.
const VALIDATE: &str = "com.amazon.coral.validate";

/// Why a DynamoDB request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DynamoDbError {
    /// The request is well-formed JSON but not a valid request (`ValidationException`).
    #[error("{0}")]
    Validation(String),
    /// The body is not the JSON the operation takes (`SerializationException`).
    #[error("{0}")]
    Serialization(String),
    /// No such table (`ResourceNotFoundException`).
    #[error("Requested resource not found: Table: {0} not found")]
    TableNotFound(String),
    /// The table exists already (`ResourceInUseException`).
    #[error("Table already exists: {0}")]
    TableExists(String),
    /// A `ConditionExpression` was false (`ConditionalCheckFailedException`); `item` is the item
    /// as it was, when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`.
    #[error("The conditional request failed")]
    ConditionalCheckFailed {
        /// The item the condition was evaluated on.
        item: Option<Item>,
    },
    /// An operation the devstack does not emulate (`UnknownOperationException`).
    #[error("the devstack's DynamoDB does not emulate {0} (it answers {list})", list = super::OPERATIONS.join(", "))]
    UnknownOperation(String),
    /// The request's signature was refused; `error_type` is the AWS error name
    /// (`UnrecognizedClientException`, `InvalidSignatureException`, …).
    #[error("{message}")]
    Unauthorized {
        /// The AWS error name.
        error_type: String,
        /// Why.
        message: String,
    },
}

impl DynamoDbError {
    /// The `__type` of the error body.
    fn type_name(&self) -> String {
        match self {
            Self::Validation(_) => format!("{VALIDATE}#ValidationException"),
            Self::Serialization(_) => format!("{SERVICE}#SerializationException"),
            Self::TableNotFound(_) => format!("{DYNAMODB}#ResourceNotFoundException"),
            Self::TableExists(_) => format!("{DYNAMODB}#ResourceInUseException"),
            Self::ConditionalCheckFailed { .. } => format!("{DYNAMODB}#ConditionalCheckFailedException"),
            Self::UnknownOperation(_) => format!("{SERVICE}#UnknownOperationException"),
            Self::Unauthorized { error_type, .. } => format!("{SERVICE}#{error_type}"),
        }
    }

    /// The JSON body DynamoDB sends for this error.
    pub(crate) fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({ "__type": self.type_name(), "message": self.to_string() });
        if let Self::ConditionalCheckFailed { item: Some(item) } = self {
            body["Item"] = serde_json::json!(item);
        }
        body
    }
}

impl From<AwsError> for DynamoDbError {
    /// A refusal from the shared SigV4 checks, which DynamoDB reports with status 400.
    fn from(refusal: AwsError) -> Self {
        Self::Unauthorized { error_type: refusal.error_type, message: refusal.message }
    }
}

impl IntoResponse for DynamoDbError {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::BAD_REQUEST, self.body().to_string()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(super::CONTENT_TYPE));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_type_the_sdks_read() {
        let failed = DynamoDbError::ConditionalCheckFailed { item: None }.body();
        assert_eq!(
            failed,
            serde_json::json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                "message": "The conditional request failed",
            })
        );
        let missing = DynamoDbError::TableNotFound("t1".into()).body();
        assert_eq!(missing["__type"], "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");
        assert_eq!(missing["message"], "Requested resource not found: Table: t1 not found");
        let invalid = DynamoDbError::Validation("bad".into()).body();
        assert_eq!(invalid["__type"], "com.amazon.coral.validate#ValidationException");
    }

    #[test]
    fn an_unknown_key_is_refused_with_status_400() {
        let refusal = AwsError::new(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
        let error = DynamoDbError::from(refusal);
        assert_eq!(error.body()["__type"], "com.amazon.coral.service#UnrecognizedClientException");
        assert_eq!(error.into_response().status(), StatusCode::BAD_REQUEST);
    }
}
