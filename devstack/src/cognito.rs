//! Cognito identity emulation: `GetId` and `GetCredentialsForIdentity` (AWS JSON 1.1, chosen by
//! `X-Amz-Target`), for unauthenticated identities and for visitors signed in with the devstack's
//! OpenID Connect provider (`Logins`, `crate::oidc`): a signed-in visitor gets the same identity
//! every time, and its credentials only with a valid token of theirs.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lexstream_lambda_core::log_hash::hashed;
use serde::Deserialize;

use crate::aws_error::AwsError;
use crate::identities::Identities;
use crate::oidc::PROVIDER_NAME;

/// The `X-Amz-Target` prefix of Cognito identity operations.
const TARGET_PREFIX: &str = "AWSCognitoIdentityService.";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetIdRequest {
    identity_pool_id: String,
    #[serde(default)]
    logins: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetCredentialsRequest {
    identity_id: String,
    #[serde(default)]
    logins: BTreeMap<String, String>,
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "InvalidParameterException", message)
}

fn not_authorized(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "NotAuthorizedException", message)
}

/// The signed-in visitor `logins` names: `(provider, subject)`; `None` when there are no logins.
fn signed_in(
    logins: &BTreeMap<String, String>,
    identities: &Identities,
    now: i64,
) -> Result<Option<(String, String)>, AwsError> {
    let Some((provider, token)) = logins.iter().next() else { return Ok(None) };
    if logins.len() > 1 || provider != PROVIDER_NAME {
        return Err(invalid(format!(
            "the devstack's identity pools know one login provider, {PROVIDER_NAME}, not {:?}",
            logins.keys().collect::<Vec<_>>()
        )));
    }
    let subject = identities
        .oidc()
        .verify(token, now)
        .map_err(|refused| not_authorized(format!("Invalid login token. {refused}")))?;
    Ok(Some((provider.clone(), subject)))
}

/// Whether a pool id looks like Cognito's `region:guid`.
fn is_pool_id(pool_id: &str) -> bool {
    pool_id.split_once(':').is_some_and(|(region, guid)| {
        !region.is_empty()
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && (1..=128).contains(&guid.len())
            && guid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    })
}

fn amz_json(value: serde_json::Value) -> Response {
    let mut response = Json(value).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
    response
}

/// Handles a Cognito identity call if `X-Amz-Target` names one; `None` otherwise.
pub(crate) fn handle(
    headers: &HeaderMap,
    body: &Bytes,
    identities: &Identities,
    now: i64,
) -> Option<Response> {
    let target = headers.get("x-amz-target")?.to_str().ok()?;
    let operation = target.strip_prefix(TARGET_PREFIX)?;
    let response = match operation {
        "GetId" => get_id(body, identities, now),
        "GetCredentialsForIdentity" => get_credentials(body, identities, now),
        other => Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("the devstack does not emulate {other}"),
        )),
    };
    Some(response.unwrap_or_else(IntoResponse::into_response))
}

fn get_id(body: &Bytes, identities: &Identities, now: i64) -> Result<Response, AwsError> {
    let request: GetIdRequest =
        serde_json::from_slice(body).map_err(|e| invalid(format!("GetId needs IdentityPoolId: {e}")))?;
    if !is_pool_id(&request.identity_pool_id) {
        return Err(invalid(format!(
            "{:?} is not an identity pool id (region:guid)",
            request.identity_pool_id
        )));
    }
    // An identity id is a bearer secret for an unauthenticated visitor (it alone gets
    // credentials): logged hashed.
    let pool = &request.identity_pool_id;
    let identity_id = match signed_in(&request.logins, identities, now)? {
        Some((provider, subject)) => {
            let identity_id = identities.identity_for_login(pool, &provider, &subject);
            tracing::info!(identity_hash = %hashed(&identity_id), %pool, "Cognito identity of a signed-in visitor");
            identity_id
        }
        None => {
            let identity_id = identities.create_identity(pool);
            tracing::info!(identity_hash = %hashed(&identity_id), %pool, "Cognito identity created");
            identity_id
        }
    };
    Ok(amz_json(serde_json::json!({ "IdentityId": identity_id })))
}

fn get_credentials(body: &Bytes, identities: &Identities, now: i64) -> Result<Response, AwsError> {
    let request: GetCredentialsRequest = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("GetCredentialsForIdentity needs IdentityId: {e}")))?;
    // A signed-in visitor's identity gets credentials only with a valid token of theirs.
    if let Some(login) = identities.login_of(&request.identity_id)
        && signed_in(&request.logins, identities, now)? != Some(login)
    {
        return Err(not_authorized(
            "Logins don't match. Please include at least one valid login for this identity or identity pool.",
        ));
    }
    let issued = identities.issue_credentials(&request.identity_id, now).ok_or_else(|| {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "ResourceNotFoundException",
            format!("Identity '{}' not found.", request.identity_id),
        )
    })?;
    Ok(amz_json(serde_json::json!({
        "IdentityId": request.identity_id,
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "SecretKey": issued.secret_key,
            "SessionToken": issued.session_token,
            "Expiration": issued.expires_at,
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::is_pool_id;

    #[test]
    fn pool_ids_are_region_colon_guid() {
        assert!(is_pool_id("us-east-1:0d2a8f6c-1111-2222-3333-444455556666"));
        assert!(!is_pool_id("us-east-1"));
        assert!(!is_pool_id(":abc"));
        assert!(!is_pool_id("us-east-1:not a guid"));
    }
}
