//! Cognito identity from the browser: the visitor's identity and its temporary credentials
//! (`GetId`, `GetCredentialsForIdentity`). An anonymous visitor's unauthenticated identity is kept
//! for the tab's session; a signed-in visitor's (`Logins` with their ID token) is Cognito's
//! authenticated identity of that person, the same on every device.

use lexstream_protocol::sigv4::Credentials;
use serde_json::{Value, json};

use super::error::{Service, ServiceError};
use super::fetch::post;
use crate::config::WidgetConfig;

/// A signed-in visitor's login: the identity pool's name for the provider (a Cognito user pool's
/// `cognito-idp.<region>.amazonaws.com/<pool id>`, or an OpenID Connect issuer's host) and the
/// ID token it issued (config `cognito.login`, the JS API's `setLogin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The provider name, the key in Cognito's `Logins` map.
    pub provider: String,
    /// The OpenID Connect ID token.
    pub token: String,
}

impl Login {
    /// `{ "Logins": { provider: token } }` merged into a Cognito request body; nothing without a
    /// login.
    fn add_to(login: Option<&Self>, mut body: Value) -> Value {
        if let Some(login) = login {
            body["Logins"] = json!({ login.provider.as_str(): login.token });
        }
        body
    }
}

/// A visitor's identity and credentials.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The Cognito identity id, also the Lex session id.
    pub identity_id: String,
    /// Temporary credentials.
    pub credentials: Credentials,
    /// When they expire (epoch seconds).
    pub expires_at: i64,
    /// The login they were given for (none: anonymous); they serve that login only.
    pub login: Option<Login>,
}

async fn call(
    config: &WidgetConfig,
    login: Option<&Login>,
    operation: &str,
    body: Value,
) -> Result<Value, ServiceError> {
    let body = Login::add_to(login, body);
    let headers = [
        ("content-type".to_owned(), "application/x-amz-json-1.1".to_owned()),
        ("x-amz-target".to_owned(), format!("AWSCognitoIdentityService.{operation}")),
    ];
    let (status, text) = post(&config.cognito_endpoint, &headers, &body.to_string())
        .await
        .map_err(|detail| ServiceError::Unreachable { service: Service::Cognito, detail })?;
    if status != 200 {
        // Cognito refusing a signed-in visitor's login (an expired or forged token, a provider
        // the pool does not trust) is the login's: the visitor reads that they must sign in again.
        let login_refused = login.is_some() && text.contains("NotAuthorizedException");
        let service = if login_refused { Service::SignIn } else { Service::Cognito };
        return Err(ServiceError::refused(service, status, &text));
    }
    serde_json::from_str(&text).map_err(|e| unreadable(format!("{operation}: {e}")))
}

fn unreadable(detail: String) -> ServiceError {
    ServiceError::Unreadable { service: Service::Cognito, detail }
}

/// Gets the visitor's identity and fresh credentials for it. Signed in (`login`): the person's
/// authenticated identity, asked for each time (Cognito gives the same one) and not kept in the
/// tab, so an anonymous identity kept there stays the anonymous visitor's. Anonymous: the tab's
/// identity, or a new one when there is none or the pool no longer knows it (a new pool, a
/// restarted devstack).
pub async fn sign_in(config: &WidgetConfig, login: Option<&Login>) -> Result<Visitor, ServiceError> {
    match (login, config.storage.identity()) {
        (None, Some(identity_id)) => match credentials_for(config, None, identity_id).await {
            Err(ServiceError::Refused { message, .. }) if message.contains("not found") => {
                config.storage.keep_identity(None);
                credentials_for(config, None, new_identity(config, None).await?).await
            }
            other => other,
        },
        _ => credentials_for(config, login, new_identity(config, login).await?).await,
    }
}

async fn new_identity(config: &WidgetConfig, login: Option<&Login>) -> Result<String, ServiceError> {
    let answer = call(config, login, "GetId", json!({ "IdentityPoolId": config.identity_pool_id })).await?;
    Ok(answer["IdentityId"]
        .as_str()
        .ok_or_else(|| unreadable("GetId returned no IdentityId".into()))?
        .to_owned())
}

async fn credentials_for(
    config: &WidgetConfig,
    login: Option<&Login>,
    identity_id: String,
) -> Result<Visitor, ServiceError> {
    let body = json!({ "IdentityId": identity_id });
    let answer = call(config, login, "GetCredentialsForIdentity", body).await?;
    let credentials = &answer["Credentials"];
    let field = |name: &str| {
        credentials[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| unreadable(format!("credentials lack {name}")))
    };
    if login.is_none() {
        config.storage.keep_identity(Some(&identity_id));
    }
    Ok(Visitor {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretKey")?,
            session_token: Some(field("SessionToken")?),
        },
        expires_at: credentials["Expiration"].as_f64().map_or(0, |seconds| seconds as i64),
        identity_id,
        login: login.cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_goes_into_the_request_as_cognitos_logins_map() {
        let login = Login {
            provider: "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC".into(),
            token: "eyJ.a.b".into(),
        };
        let body = Login::add_to(Some(&login), json!({ "IdentityId": "us-east-1:1" }));
        assert_eq!(
            body,
            json!({
                "IdentityId": "us-east-1:1",
                "Logins": { "cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC": "eyJ.a.b" }
            })
        );
        let anonymous = Login::add_to(None, json!({ "IdentityId": "us-east-1:1" }));
        assert_eq!(anonymous, json!({ "IdentityId": "us-east-1:1" }), "no Logins key at all");
    }
}
