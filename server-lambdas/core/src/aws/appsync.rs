//! Publishing to AWS AppSync Events over its HTTP API (`POST <endpoint>/event`), as a
//! [`ConnectionPusher`] whose "connection" is a channel path — so the relay streams to a
//! channel exactly as it streams to a WebSocket connection.
//!
//! Auth is an API key (`x-api-key`) or SigV4 (service `appsync`) with the Lambda's role, signed
//! by the protocol crate's signer. Every response is checked: a non-2xx status, or an event in
//! the answer's `failed` list, is a [`PushError`] naming AppSync's error.

use lexstream_protocol::appsync::{AppSyncError, PublishRequest, PublishResponse};

use super::SdkConfig;
use super::signed_post::{PostAuth, SignedPost};
use crate::config::PublishAuth;
use crate::error::PushError;
use crate::ports::ConnectionPusher;

/// Longest wait for one publish; a hung publish must not hold the answer past the Lambda's timeout.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Publishes each frame as one event to the channel it is "pushed" to.
#[derive(Debug, Clone)]
pub struct AppSyncPublisher {
    post: SignedPost,
}

impl AppSyncPublisher {
    /// A publisher to `endpoint` (the Event API's HTTP endpoint, `https://…/event`; `http://`
    /// for a local emulator), with `auth`; IAM auth takes credentials and region from `sdk_config`.
    pub fn new(sdk_config: &SdkConfig, endpoint: &str, auth: PublishAuth) -> Result<Self, String> {
        let auth = match auth {
            PublishAuth::ApiKey(key) => PostAuth::Header("x-api-key", key),
            PublishAuth::Iam => PostAuth::SigV4 { service: "appsync" },
        };
        let post = SignedPost::new(sdk_config, endpoint, auth, PUBLISH_TIMEOUT)
            .map_err(|e| format!("APPSYNC_HTTP_ENDPOINT {e}"))?;
        Ok(Self { post })
    }
}

impl ConnectionPusher for AppSyncPublisher {
    async fn push(&self, channel: &str, payload: &[u8]) -> Result<(), PushError> {
        let event = String::from_utf8_lossy(payload).into_owned();
        let body = serde_json::to_vec(&PublishRequest { channel: channel.to_owned(), events: vec![event] })
            .map_err(|e| PushError::Failed(e.to_string()))?;
        let answer =
            self.post.post("", &[], body).await.map_err(|e| PushError::Failed(format!("publish: {e}")))?;
        check_publish_answer(answer.status, &answer.body)
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
