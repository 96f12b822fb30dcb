//! AppSync Events authorization in the devstack: an API key (`x-api-key`) or SigV4 (service
//! `appsync`, signing `POST /event` with the operation's body) from credentials the devstack
//! issued or knows; and the per-user channel rule every subscription must pass.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use lexstream_protocol::appsync::{AppSyncError, PUBLISH_PATH, check_own_channel};

use super::AppSyncApi;
use crate::auth::{self, AuthMode, Incoming};
use crate::clock::epoch_seconds;

/// Who an operation was authorized as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// The API key: a service (the chat Lambda); may publish, has no channel of its own.
    ApiKey,
    /// SigV4 with a Cognito identity's credentials: a visitor.
    Visitor(String),
    /// SigV4 with service credentials, or `--auth off`.
    Service,
}

fn unauthorized(message: impl Into<String>) -> AppSyncError {
    AppSyncError::new("UnauthorizedException", message)
}

/// A request's headers as an auth object (names lower-case, values that are text).
pub(crate) fn auth_from_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect()
}

/// Checks the auth headers of a connect, subscribe or publish whose signed body is `body`.
pub(crate) fn authorize(
    api: &AppSyncApi,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Principal, AppSyncError> {
    if api.auth == AuthMode::Off {
        return Ok(Principal::Service);
    }
    if let Some(key) = headers.get("x-api-key") {
        return if *key == api.api_key {
            Ok(Principal::ApiKey)
        } else {
            Err(unauthorized("Invalid API key"))
        };
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()), HeaderValue::from_str(value))
        {
            map.insert(name, value);
        }
    }
    let uri: axum::http::Uri = PUBLISH_PATH.parse().unwrap_or_default();
    let incoming = Incoming::new("POST", &uri, &map, body);
    match auth::verify_headers(api.auth, &api.identities, incoming, "appsync", epoch_seconds()) {
        Ok(Some(caller)) => Ok(caller.identity_id.map_or(Principal::Service, Principal::Visitor)),
        Ok(None) => Ok(Principal::Service),
        Err(refused) => Err(unauthorized(refused.message)),
    }
}

/// The `onSubscribe` rule: a visitor subscribes to their own channel only; an API key or
/// service credentials subscribe to nothing (answers are for visitors).
pub(crate) fn may_subscribe(
    api: &AppSyncApi,
    principal: &Principal,
    channel: &str,
) -> Result<(), AppSyncError> {
    match principal {
        Principal::Visitor(identity) => check_own_channel(&api.namespace, identity, channel)
            .map_err(|refusal| AppSyncError::new("Unauthorized", refusal.to_string())),
        Principal::Service if api.auth == AuthMode::Off => Ok(()),
        Principal::ApiKey | Principal::Service => {
            Err(AppSyncError::new("Unauthorized", "subscriptions need a visitor's Cognito credentials (IAM)"))
        }
    }
}

/// Who may publish: the API key or service credentials (the chat Lambda), never a visitor — in
/// the deployment the visitor role has no `appsync:EventPublish`, so nobody can inject frames
/// into another visitor's stream.
pub(crate) fn may_publish(principal: &Principal) -> Result<(), AppSyncError> {
    match principal {
        Principal::Visitor(_) => Err(unauthorized("visitors may not publish")),
        Principal::ApiKey | Principal::Service => Ok(()),
    }
}
