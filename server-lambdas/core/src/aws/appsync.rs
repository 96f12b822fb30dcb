//! Publishing to AWS AppSync Events over its HTTP API (`POST <endpoint>/event`), as a
//! [`ConnectionPusher`] whose "connection" is a channel path — so the relay streams to a
//! channel exactly as it streams to a WebSocket connection.
//!
//! Auth is an API key (`x-api-key`) or SigV4 (service `appsync`) with the Lambda's role, signed
//! by the protocol crate's signer. Every response is checked: a non-2xx status, or an event in
//! the answer's `failed` list, is a [`PushError`] naming AppSync's error.

use aws_credential_types::provider::ProvideCredentials;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lexstream_protocol::appsync::{AppSyncError, PublishRequest, PublishResponse};
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope};

use super::SdkConfig;
use crate::config::PublishAuth;
use crate::error::PushError;
use crate::ports::ConnectionPusher;

/// Longest wait for one publish; a hung publish must not hold the answer past the Lambda's timeout.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<bytes::Bytes>>;

/// Publishes each frame as one event to the channel it is "pushed" to.
#[derive(Debug, Clone)]
pub struct AppSyncPublisher {
    client: HttpsClient,
    endpoint: http::Uri,
    auth: PublishAuth,
    sdk_config: SdkConfig,
}

impl AppSyncPublisher {
    /// A publisher to `endpoint` (the Event API's HTTP endpoint, `https://…/event`; `http://`
    /// for a local emulator), with `auth`; IAM auth takes credentials and region from `sdk_config`.
    pub fn new(sdk_config: &SdkConfig, endpoint: &str, auth: PublishAuth) -> Result<Self, String> {
        let endpoint: http::Uri =
            endpoint.parse().map_err(|e| format!("APPSYNC_HTTP_ENDPOINT {endpoint:?}: {e}"))?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("no TLS root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, endpoint, auth, sdk_config: sdk_config.clone() })
    }

    async fn auth_headers(&self, body: &[u8]) -> Result<Vec<(String, String)>, PushError> {
        let host = self.endpoint.authority().map(ToString::to_string).unwrap_or_default();
        let mut headers =
            vec![("content-type".to_owned(), "application/json".to_owned()), ("host".to_owned(), host)];
        match &self.auth {
            PublishAuth::ApiKey(key) => headers.push(("x-api-key".to_owned(), key.clone())),
            PublishAuth::Iam => {
                let provider = self
                    .sdk_config
                    .credentials_provider()
                    .ok_or_else(|| PushError::Failed("no AWS credentials for IAM auth".to_owned()))?;
                let credentials = provider
                    .provide_credentials()
                    .await
                    .map_err(|e| PushError::Failed(format!("loading AWS credentials: {e}")))?;
                let credentials = Credentials {
                    access_key_id: credentials.access_key_id().to_owned(),
                    secret_access_key: credentials.secret_access_key().to_owned(),
                    session_token: credentials.session_token().map(str::to_owned),
                };
                let region = self.sdk_config.region().map_or("us-east-1", |region| region.as_ref());
                let signed: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let request =
                    Request { method: "POST", path: self.endpoint.path(), query: "", headers: &signed, body };
                let now = UtcDateTime::from_epoch_seconds(crate::connect::now_epoch_seconds());
                let added =
                    sigv4::sign_headers(request, &credentials, Scope { region, service: "appsync" }, now);
                headers.extend(added);
            }
        }
        Ok(headers)
    }
}

impl ConnectionPusher for AppSyncPublisher {
    async fn push(&self, channel: &str, payload: &[u8]) -> Result<(), PushError> {
        let event = String::from_utf8_lossy(payload).into_owned();
        let body = serde_json::to_vec(&PublishRequest { channel: channel.to_owned(), events: vec![event] })
            .map_err(|e| PushError::Failed(e.to_string()))?;
        let mut request = http::Request::post(self.endpoint.clone());
        for (name, value) in self.auth_headers(&body).await? {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let request = request
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|e| PushError::Failed(e.to_string()))?;
        let response = tokio::time::timeout(PUBLISH_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| PushError::Failed(format!("publish: no answer within {PUBLISH_TIMEOUT:?}")))?
            .map_err(|e| PushError::Failed(format!("publish: {e}")))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| PushError::Failed(format!("publish answer: {e}")))?
            .to_bytes();
        check_publish_answer(status.as_u16(), &body)
    }
}

/// What an HTTP publish answer means: `Ok` only for a 2xx whose `failed` list is empty.
fn check_publish_answer(status: u16, body: &[u8]) -> Result<(), PushError> {
    if !(200..300).contains(&status) {
        #[derive(serde::Deserialize)]
        struct Errors {
            #[serde(default)]
            errors: Vec<AppSyncError>,
        }
        let detail = serde_json::from_slice::<Errors>(body)
            .ok()
            .and_then(|errors| errors.errors.into_iter().next())
            .map_or_else(
                || String::from_utf8_lossy(body).into_owned(),
                |e| format!("{}: {}", e.error_type.unwrap_or_default(), e.message.unwrap_or_default()),
            );
        let message = format!("AppSync publish answered {status}: {detail}");
        return Err(if status == 413 { PushError::TooLarge(message) } else { PushError::Failed(message) });
    }
    let answer: PublishResponse = serde_json::from_slice(body)
        .map_err(|e| PushError::Failed(format!("AppSync publish answer is not JSON: {e}")))?;
    match answer.failed.first() {
        None => Ok(()),
        Some(failed) => Err(PushError::Failed(format!(
            "AppSync rejected the event: {} {}",
            failed.code.map(|c| c.to_string()).unwrap_or_default(),
            failed.message.clone().unwrap_or_default()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_refusal_is_an_error_with_appsyncs_words() {
        assert_eq!(
            check_publish_answer(200, br#"{"successful":[{"identifier":"a","index":0}],"failed":[]}"#),
            Ok(())
        );
        let failed = check_publish_answer(200, br#"{"successful":[],"failed":[{"identifier":"a","index":0,"code":400,"message":"rejected by onPublish"}]}"#);
        assert!(matches!(failed, Err(PushError::Failed(m)) if m.contains("rejected by onPublish")));
        let unauthorized = check_publish_answer(
            401,
            br#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized"}]}"#,
        );
        assert!(
            matches!(unauthorized, Err(PushError::Failed(m)) if m.contains("401") && m.contains("UnauthorizedException"))
        );
        assert!(matches!(check_publish_answer(413, b"too big"), Err(PushError::TooLarge(_))));
        assert!(matches!(check_publish_answer(200, b"<html>"), Err(PushError::Failed(_))));
    }
}
