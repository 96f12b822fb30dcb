//! Lex V2 `RecognizeText` from the browser, SigV4-signed (service `lex`).

use std::collections::BTreeMap;

use lexstream_protocol::lex::{RecognizeTextResponse, recognize_text_path};
use lexstream_protocol::sigv4::uri_encode;

use super::cognito::Visitor;
use super::error::{Service, ServiceError};
use super::fetch::signed_post;
use super::lex_json::{read_answer, request_body};
use crate::config::WidgetConfig;
use crate::sleep::sleep_ms;

/// One question to Lex.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// The Lex session id.
    pub session_id: String,
    /// What the visitor typed.
    pub text: &'a str,
    /// Session attributes to send (the previous answer's, plus the streaming ones).
    pub session_attributes: BTreeMap<String, String>,
    /// Request attributes (`streamingTurnId`).
    pub request_attributes: BTreeMap<String, String>,
}

/// Whether Lex's error is worth retrying (throttling, server errors).
fn retryable(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Asks Lex; retries throttling and server errors twice with backoff. The answer holds what the
/// widget uses: `messages` and the session state's `sessionAttributes`.
pub async fn recognize_text(
    config: &WidgetConfig,
    visitor: &Visitor,
    question: &Question<'_>,
) -> Result<RecognizeTextResponse, ServiceError> {
    let path = recognize_text_path(
        &uri_encode(&config.bot_id, true),
        &uri_encode(&config.bot_alias_id, true),
        &uri_encode(&config.locale_id, true),
        &uri_encode(&question.session_id, true),
    );
    let body = request_body(question.text, &question.session_attributes, &question.request_attributes);
    let url = format!("{}{path}", config.lex_endpoint.trim_end_matches('/'));

    let mut delay_ms: u32 = 300;
    for attempt in 0..3 {
        let (status, text) = signed_post(&url, "lex", &config.region, visitor, &body)
            .await
            .map_err(|detail| ServiceError::Unreachable { service: Service::Lex, detail })?;
        if status == 200 {
            return read_answer(&text)
                .map_err(|detail| ServiceError::Unreadable { service: Service::Lex, detail });
        }
        if !retryable(status) || attempt == 2 {
            return Err(ServiceError::refused(Service::Lex, status, &text));
        }
        sleep_ms(delay_ms).await;
        delay_ms *= 3;
    }
    Err(ServiceError::Unreadable { service: Service::Lex, detail: "no attempt was made".into() })
}
