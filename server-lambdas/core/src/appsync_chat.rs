//! The `appsync-chat` Lambda: `POST /chat` with `{userId, prompt}` → Bedrock `ConverseStream` →
//! protocol v1 frames published to the visitor's AppSync Events channel `/<namespace>/<userId>`
//! through the same [`relay`] as the Lex fulfillment; the HTTP answer carries the whole text.
//!
//! A publish that fails is reported (in the log and in the answer's `streamProblem`), never
//! ignored; the answer itself still comes back, streaming is best effort.
//!
//! Bounds: a body over `MAX_CHAT_REQUEST_BYTES` gets 413, a prompt that is not a valid question
//! ([`check_question`]) 400. With `LIMITS_TABLE` (the connection table), a caller past
//! `ANSWERS_PER_IDENTITY_PER_MINUTE` gets 429 with the same sentence as a Lex visitor, counted in
//! the same counter as the identity's Lex answers ([`crate::visitor_limits::rate`]).

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lexstream_protocol::appsync::chat::{ChatError, ChatRequest, ChatResponse};
use lexstream_protocol::appsync::{user_channel, user_segment, validate_segment};
use lexstream_protocol::check_turn_id;
use lexstream_protocol::input_bounds::check_question;
use lexstream_protocol::lex::IntentState;
use lexstream_protocol::limits::MAX_CHAT_REQUEST_BYTES;

use crate::answer_admission::Refusal;
use crate::config::{ChatConfig, SessionBinding};
use crate::connect::now_epoch_seconds;
use crate::error::StoreError;
use crate::fulfillment::{compose_answer, new_turn_id};
use crate::log_hash::hashed;
use crate::ports::{
    ChatMessage, ConnectionPusher, ConnectionRecord, ConnectionStore, ModelRequest, ModelStream, Role,
    TextDeltas,
};
use crate::relay::{RelayLimits, StreamTarget, relay};
use crate::visitor_limits::{RateKind, VisitorLimitStore, admit_rate};

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatHttpResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body ([`ChatResponse`] or [`ChatError`]).
    pub body: String,
}

impl ChatHttpResponse {
    fn error(status: u16, message: impl Into<String>) -> Self {
        let body = serde_json::to_string(&ChatError { message: message.into() }).unwrap_or_default();
        Self { status, body }
    }
}

/// Answers `POST /chat` as API Gateway (HTTP API, payload 2.0) or a Lambda function URL hand it
/// over; the caller's identity comes from IAM auth (`requestContext.authorizer.iam`).
pub async fn handle_chat_event<M: ModelStream, P: ConnectionPusher, L: VisitorLimitStore>(
    event: ApiGatewayV2httpRequest,
    model: &M,
    publisher: &P,
    limits: Option<&L>,
    config: &ChatConfig,
) -> ApiGatewayV2httpResponse {
    let identity = event
        .request_context
        .authorizer
        .as_ref()
        .and_then(|authorizer| authorizer.iam.as_ref())
        .and_then(|iam| iam.cognito_identity.as_ref())
        .and_then(|cognito| cognito.identity_id.clone());
    let answer = if event.is_base64_encoded {
        ChatHttpResponse::error(400, "send the body as application/json text")
    } else {
        let body = event.body.as_deref().unwrap_or("");
        handle_chat(body, identity.as_deref(), model, publisher, limits, config).await
    };
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(answer.status);
    response.headers = headers;
    response.body = Some(aws_lambda_events::encodings::Body::Text(answer.body));
    response
}

/// Answers one `POST /chat`. `caller_identity` is the Cognito identity id API Gateway verified
/// (IAM auth), if any; `limits` is where the answers per identity are counted (none: no limit).
pub async fn handle_chat<M: ModelStream, P: ConnectionPusher, L: VisitorLimitStore>(
    body: &str,
    caller_identity: Option<&str>,
    model: &M,
    publisher: &P,
    limits: Option<&L>,
    config: &ChatConfig,
) -> ChatHttpResponse {
    if body.len() > MAX_CHAT_REQUEST_BYTES {
        let message =
            format!("the body is {} bytes; at most {MAX_CHAT_REQUEST_BYTES} are accepted", body.len());
        return ChatHttpResponse::error(413, message);
    }
    let request = match parse_request(body) {
        Ok(request) => request,
        Err(message) => return ChatHttpResponse::error(400, message),
    };
    if let Err(message) = check_binding(&request.user_id, caller_identity, config.user_binding) {
        return ChatHttpResponse::error(403, message);
    }
    if let Some(store) = limits {
        let caller = caller_identity.unwrap_or(&request.user_id);
        let per_minute = config.answers_per_minute;
        match admit_rate(store, RateKind::Answers, caller, per_minute, now_epoch_seconds()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(per_minute, "chat refused: the identity's answers per minute are used up");
                return ChatHttpResponse::error(429, Refusal::TooFrequent.visitor_message());
            }
            Err(error) => tracing::warn!(%error, "could not count the identity's answers; answering"),
        }
    }
    let turn = request.turn_id.clone().unwrap_or_else(new_turn_id);
    let channel = user_channel(&config.namespace, &request.user_id);
    let model_request = ModelRequest {
        model_id: config.model.model_id.clone(),
        system: Some(config.model.system_prompt.clone()),
        messages: vec![ChatMessage { role: Role::User, text: request.prompt }],
        max_tokens: config.model.max_tokens,
        temperature: config.model.temperature,
    };
    let deltas: TextDeltas = match model.stream(model_request).await {
        Ok(deltas) => deltas,
        Err(error) => {
            tracing::warn!(%error, "the model call failed before streaming");
            Box::pin(futures_util::stream::once(async move { Err(error) }))
        }
    };
    let store = ChannelOnly(channel.clone());
    let target = StreamTarget {
        store: &store,
        pusher: publisher,
        session_id: &channel,
        connection_id: channel.clone(),
    };
    let limits = RelayLimits {
        max_frame_bytes: lexstream_protocol::limits::APPSYNC_MAX_EVENT_BYTES,
        deadline: config.model.deadline,
    };
    let outcome = relay(deltas, Some(target), &turn, limits).await;
    tracing::info!(
        %turn,
        channel_hash = %hashed(&channel),
        chars = outcome.text.chars().count(),
        end = ?outcome.end,
        publishes = outcome.stream.posts,
        stopped = ?outcome.stream.stopped,
        "chat answered"
    );
    if let Some(problem) = &outcome.stream.stopped {
        tracing::warn!(channel_hash = %hashed(&channel), %problem, "publishing to the channel stopped early");
    }
    let (text, state) = compose_answer(&outcome);
    if state == IntentState::Failed {
        return ChatHttpResponse::error(502, text);
    }
    let response = ChatResponse { text, turn_id: turn, stream_problem: outcome.stream.stopped };
    ChatHttpResponse { status: 200, body: serde_json::to_string(&response).unwrap_or_default() }
}

fn parse_request(body: &str) -> Result<ChatRequest, String> {
    let request: ChatRequest = serde_json::from_str(body)
        .map_err(|error| format!("the body must be JSON {{\"userId\": …, \"prompt\": …}}: {error}"))?;
    validate_segment(&request.user_id).map_err(|error| {
        format!("userId must be a channel segment (1-50 letters, digits or '-'): {error}")
    })?;
    check_question(&request.prompt).map_err(|refusal| format!("prompt refused: {refusal}"))?;
    if let Some(turn) = &request.turn_id {
        // The one rule of every turn id (it is echoed in every frame).
        check_turn_id(turn).map_err(|error| format!("turnId refused: {error}"))?;
    }
    Ok(request)
}

/// Whether the caller may have answers published to `user_id`'s channel.
fn check_binding(
    user_id: &str,
    caller_identity: Option<&str>,
    binding: SessionBinding,
) -> Result<(), String> {
    match (binding, caller_identity) {
        (SessionBinding::Off, _) | (SessionBinding::WhenPresent, None) => Ok(()),
        (_, Some(identity)) if user_segment(identity) == user_id => Ok(()),
        (_, Some(_)) => {
            Err("userId is not the caller's: a visitor can only chat on their own channel".to_owned())
        }
        (SessionBinding::RequireIdentity, None) => {
            Err("the request carries no Cognito identity (the /chat route needs IAM auth)".to_owned())
        }
    }
}

/// The "connection store" of a channel: there is nothing to look up, the channel is the target.
#[derive(Debug)]
struct ChannelOnly(String);

impl ConnectionStore for ChannelOnly {
    async fn put(&self, _record: &ConnectionRecord) -> Result<(), StoreError> {
        Ok(())
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        Ok(Some(ConnectionRecord {
            session_id: session_id.to_owned(),
            connection_id: self.0.clone(),
            ..ConnectionRecord::default()
        }))
    }

    async fn session_of(&self, _connection_id: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn request_stop_if_current(
        &self,
        _session_id: &str,
        _connection_id: &str,
        _turn: &str,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn delete_if_current(&self, _session_id: &str, _connection_id: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lexstream_protocol::{Frame, parse_incoming};

    use super::*;
    use crate::config::{ModelSettings, PublishAuth};
    use crate::memory::MemoryConnectionStore;
    use crate::testing::{RecordingPusher, ScriptedModel};

    const VISITOR: &str = "us-east-1:0b6f41aa-1111-2222-3333-444455556666";
    const USER: &str = "0b6f41aa-1111-2222-3333-444455556666";

    fn config() -> ChatConfig {
        ChatConfig {
            model: ModelSettings {
                model_id: "m".into(),
                system_prompt: "s".into(),
                max_tokens: 100,
                temperature: 0.5,
                deadline: Duration::from_secs(5),
            },
            publish_endpoint: "http://127.0.0.1:1/event".into(),
            publish_auth: PublishAuth::ApiKey("k".into()),
            namespace: "chat".into(),
            user_binding: SessionBinding::RequireIdentity,
            limits_table: None,
            answers_per_minute: 2,
        }
    }

    /// No limits store: nothing is counted.
    const UNLIMITED: Option<&MemoryConnectionStore> = None;

    fn body(user: &str, prompt: &str) -> String {
        serde_json::json!({ "userId": user, "prompt": prompt, "turnId": "t-1" }).to_string()
    }

    /// `body` with its `turnId` replaced.
    fn with_turn(body: &str, turn: &str) -> String {
        let mut json: serde_json::Value = serde_json::from_str(body).unwrap();
        json["turnId"] = turn.into();
        json.to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_id_is_held_to_the_same_rule_as_everywhere_else() {
        let model = ScriptedModel::chunks(&["ok"], Duration::ZERO);
        let publisher = RecordingPusher::with_latency(Duration::ZERO);
        // '.' and ':' pass `protocol::check_turn_id`, as they do for stop, resume and Lex.
        let body = with_turn(&body(USER, "hi"), "turn.2:b");
        let response = handle_chat(&body, Some(VISITOR), &model, &publisher, UNLIMITED, &config()).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: ChatResponse = serde_json::from_str(&response.body).unwrap();
        assert_eq!(answer.turn_id, "turn.2:b");
    }

    #[tokio::test(start_paused = true)]
    async fn the_answer_streams_to_the_users_channel_and_comes_back_whole() {
        let model = ScriptedModel::chunks(&["Hello ", "there"], Duration::from_millis(10));
        let publisher = RecordingPusher::with_latency(Duration::from_millis(5));
        let response =
            handle_chat(&body(USER, "hi"), Some(VISITOR), &model, &publisher, UNLIMITED, &config()).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: ChatResponse = serde_json::from_str(&response.body).unwrap();
        assert_eq!((answer.text.as_str(), answer.turn_id.as_str()), ("Hello there", "t-1"));
        let frames = publisher.received(&format!("/chat/{USER}"));
        assert!(frames.len() >= 2, "{frames:?}");
        // The model ended with its last text, so that text carries the end of the stream.
        let last = parse_incoming(frames.last().unwrap());
        let lexstream_protocol::Incoming::Frame(Frame::Chunk { text, done, .. }) = last else {
            panic!("{last:?}")
        };
        assert_eq!((text.as_str(), done), ("there", true));
    }

    #[tokio::test]
    async fn bad_requests_are_refused_with_a_reason() {
        let model = ScriptedModel::chunks(&["x"], Duration::ZERO);
        let publisher = RecordingPusher::with_latency(Duration::ZERO);
        let too_long = "x".repeat(lexstream_protocol::limits::MAX_QUESTION_CHARS + 1);
        let huge = "x".repeat(MAX_CHAT_REQUEST_BYTES);
        for (body, status, needle) in [
            ("not json".to_owned(), 400, "must be JSON"),
            (body("a/b", "hi"), 400, "userId"),
            (body(USER, "  "), 400, "type a question"),
            (body(USER, &too_long), 400, "shorten it to 1024 characters"),
            (body(USER, &huge), 413, "at most 16384"),
            (body("someone-else", "hi"), 403, "not the caller's"),
            (with_turn(&body(USER, "hi"), "a#b"), 400, "turnId refused: the turn id may only contain"),
            (with_turn(&body(USER, "hi"), &"t".repeat(65)), 400, "longer than 64"),
            (with_turn(&body(USER, "hi"), ""), 400, "turnId refused: the turn id is empty"),
        ] {
            let response = handle_chat(&body, Some(VISITOR), &model, &publisher, UNLIMITED, &config()).await;
            assert_eq!(response.status, status, "{body:.60}: {}", response.body);
            assert!(response.body.contains(needle), "{}", response.body);
        }
        let anonymous = handle_chat(&body(USER, "hi"), None, &model, &publisher, UNLIMITED, &config()).await;
        assert_eq!(anonymous.status, 403, "{}", anonymous.body);
        assert!(publisher.received(&format!("/chat/{USER}")).is_empty(), "nothing published for refusals");
    }

    #[tokio::test]
    async fn a_failing_publish_is_reported_and_the_answer_still_returns() {
        let model = ScriptedModel::chunks(&["Hello"], Duration::ZERO);
        let publisher = RecordingPusher::with_latency(Duration::ZERO);
        publisher.mark_failing(&format!("/chat/{USER}"), "403 UnauthorizedException");
        let response =
            handle_chat(&body(USER, "hi"), Some(VISITOR), &model, &publisher, UNLIMITED, &config()).await;
        assert_eq!(response.status, 200, "{}", response.body);
        let answer: ChatResponse = serde_json::from_str(&response.body).unwrap();
        assert_eq!(answer.text, "Hello");
        assert!(answer.stream_problem.unwrap_or_default().contains("UnauthorizedException"));
    }

    #[tokio::test]
    async fn answers_past_the_identitys_limit_get_429_with_the_reason() {
        let model = ScriptedModel::chunks(&["Sure."], Duration::ZERO);
        let publisher = RecordingPusher::with_latency(Duration::ZERO);
        let store = MemoryConnectionStore::default();
        let (config, question) = (config(), body(USER, "hi"));
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let answer =
                handle_chat(&question, Some(VISITOR), &model, &publisher, Some(&store), &config).await;
            statuses.push((answer.status, answer.body));
        }
        assert_eq!(statuses.iter().map(|(status, _)| *status).collect::<Vec<_>>(), [200, 200, 429]);
        let error: ChatError = serde_json::from_str(&statuses[2].1).unwrap();
        assert_eq!(error.message, Refusal::TooFrequent.visitor_message());
        assert_eq!(model.requests().len(), 2);
    }
}
