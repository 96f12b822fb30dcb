//! Cognito identity from the browser: an unauthenticated identity and its temporary credentials
//! (`GetId`, `GetCredentialsForIdentity`), the identity kept for the tab's session.

use lexstream_protocol::sigv4::Credentials;
use serde_json::{Value, json};

use super::error::{Service, ServiceError};
use super::fetch::post;
use crate::config::WidgetConfig;

/// A visitor's identity and credentials.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The Cognito identity id, also the Lex session id.
    pub identity_id: String,
    /// Temporary credentials.
    pub credentials: Credentials,
    /// When they expire (epoch seconds).
    pub expires_at: i64,
}

async fn call(config: &WidgetConfig, operation: &str, body: Value) -> Result<Value, ServiceError> {
    let headers = [
        ("content-type".to_owned(), "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target".to_owned(), format!("AWSCognitoIdentityService.{operation}")),
    ];
    let (status, text) = post(&config.cognito_endpoint, &headers, &body.to_string())
        .await
        .map_err(|detail| ServiceError::Unreachable { service: Service::Cognito, detail })?;
    if status != 200 {
        return Err(ServiceError::refused(Service::Cognito, status, &text));
    }
    serde_json::from_str(&text).map_err(|e| unreadable(format!("{operation}: {e}")))
}

fn unreadable(detail: String) -> ServiceError {
    ServiceError::Unreadable { service: Service::Cognito, detail }
}

/// Gets (or reuses) the visitor's identity and fresh credentials for it. A stored identity the
/// pool no longer knows (a new pool, a restarted devstack) is replaced by a new one.
pub async fn sign_in(config: &WidgetConfig) -> Result<Visitor, ServiceError> {
    match config.storage.identity() {
        Some(identity_id) => match credentials_for(config, identity_id).await {
            Err(ServiceError::Refused { message, .. }) if message.contains("not found") => {
                config.storage.keep_identity(None);
                credentials_for(config, new_identity(config).await?).await
            }
            other => other,
        },
        None => credentials_for(config, new_identity(config).await?).await,
    }
}

async fn new_identity(config: &WidgetConfig) -> Result<String, ServiceError> {
    let answer = call(config, "GetId", json!({ "IdentityPoolId": config.identity_pool_id })).await?;
    Ok(answer["IdentityId"]
        .as_str()
        .ok_or_else(|| unreadable("GetId returned no IdentityId".into()))?
        .to_owned())
}

async fn credentials_for(config: &WidgetConfig, identity_id: String) -> Result<Visitor, ServiceError> {
    let answer = call(config, "GetCredentialsForIdentity", json!({ "IdentityId": identity_id })).await?;
    let credentials = &answer["Credentials"];
    let field = |name: &str| {
        credentials[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unreadable(format!("credentials lack {name}")))
    };
    config.storage.keep_identity(Some(&identity_id));
    Ok(Visitor {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretKey")?,
            session_token: Some(field("SessionToken")?),
        },
        expires_at: credentials["Expiration"].as_f64().map_or(0, |seconds| seconds as i64),
        identity_id,
    })
}
