//! Lex V2 `RecognizeText` from the browser, SigV4-signed (service `lex`).

use std::collections::BTreeMap;
use std::hint::black_box;

use lexstream_protocol::lex::{RecognizeTextResponse, recognize_text_path};
use lexstream_protocol::sigv4::{Credentials, uri_encode};

use super::cognito::Visitor;
use super::error::{Service, ServiceError};
use super::fetch::{signed_headers, signed_post};
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

/// `RecognizeText`'s URL at `endpoint` for `[bot id, alias id, locale id]` and `session_id`.
/// (Never inlined: the warm-up's rehearsal compiles the very function questions use.)
#[inline(never)]
fn recognize_text_url(endpoint: &str, [bot, alias, locale]: [&str; 3], session_id: &str) -> String {
    let path = recognize_text_path(
        &uri_encode(bot, true),
        &uri_encode(alias, true),
        &uri_encode(locale, true),
        &uri_encode(session_id, true),
    );
    format!("{}{path}", endpoint.trim_end_matches('/'))
}

/// The JSON body that asks `question`.
#[inline(never)]
fn question_body(question: &Question<'_>) -> String {
    request_body(question.text, &question.session_attributes, &question.request_attributes)
}

/// One `RecognizeText` exchange as [`recognize_text`] makes it, without the network: `question`
/// written and signed with `credentials` (for a placeholder bot in `region`), and `answer` (the
/// JSON of a `RecognizeText` response) read. For [`crate::warm_up`], so this code is compiled
/// before the visitor's first question.
pub fn rehearse(
    question: &Question<'_>,
    region: &str,
    credentials: &Credentials,
    answer: &str,
) -> Result<RecognizeTextResponse, String> {
    let endpoint = format!("https://runtime-v2-lex.{region}.amazonaws.com");
    let url = recognize_text_url(&endpoint, ["BOTID", "ALIASID", "en_US"], &question.session_id);
    // Kept: the signature is computed only to have run its code.
    black_box(signed_headers(&url, "lex", region, credentials, &question_body(question)));
    read_answer(answer)
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
    let bot = [&config.bot_id, &config.bot_alias_id, &config.locale_id].map(String::as_str);
    let url = recognize_text_url(&config.lex_endpoint, bot, &question.session_id);
    let body = question_body(question);

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
