//! `RecognizeText`: `POST /bots/{botId}/botAliases/{aliasId}/botLocales/{localeId}/sessions/{sessionId}/text`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use lexstream_protocol::lex::{
    Bot, CodeHookEvent, CodeHookResponse, ConfidenceScore, ConfirmationState, DialogAction, DialogActionType,
    InputMode, Intent, IntentState, Interpretation, InterpretationSource, InvocationSource,
    LexRuntimeErrorCode, RecognizeTextRequest, RecognizeTextResponse, RuntimeInterpretation, SessionState,
};

use lexstream_protocol::input_bounds::question_chars;
use lexstream_protocol::limits::LEX_MAX_TEXT_CHARS;

use super::bot::{BotDefinition, IntentDefinition};
use super::fulfiller::{Fulfiller, FulfillmentError};
use crate::auth::{self, AuthMode, Incoming};
use crate::aws_error::AwsError;
use crate::identities::Identities;

/// The Lex runtime's state.
#[derive(Clone)]
pub(crate) struct LexRuntime {
    pub(crate) bot: Arc<BotDefinition>,
    pub(crate) fulfiller: Arc<Fulfiller>,
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
    pub(crate) sessions: Arc<Mutex<HashMap<String, SessionState>>>,
}

/// A Lex runtime error, with the status Lex answers it with.
#[allow(clippy::needless_pass_by_value)] // called with enum literals
fn error(code: LexRuntimeErrorCode, message: impl Into<String>) -> AwsError {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    AwsError::new(status, code.as_str(), message)
}

fn new_intent(name: &str, state: IntentState) -> Intent {
    Intent {
        name: name.to_owned(),
        slots: Some(BTreeMap::new()),
        state: Some(state),
        confirmation_state: Some(ConfirmationState::None),
        kendra_response: None,
    }
}

type LexPath = Path<(String, String, String, String)>;

pub(crate) async fn recognize_text(
    State(lex): State<LexRuntime>,
    Path((bot_id, alias_id, locale_id, session_id)): LexPath,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Incoming::new("POST", &uri, &headers, &body);
    if let Err(refused) =
        auth::verify_headers(lex.auth, &lex.identities, request, "lex", crate::clock::epoch_seconds())
    {
        return refused.into_response();
    }
    match recognize(&lex, &bot_id, &alias_id, &locale_id, &session_id, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn recognize(
    lex: &LexRuntime,
    bot_id: &str,
    alias_id: &str,
    locale_id: &str,
    session_id: &str,
    body: &Bytes,
) -> Result<RecognizeTextResponse, AwsError> {
    let bot = &lex.bot;
    let Some(alias_name) = bot.aliases.get(alias_id).filter(|_| bot.bot_id == bot_id) else {
        return Err(error(
            LexRuntimeErrorCode::ResourceNotFound,
            format!("bot {bot_id} alias {alias_id} not found"),
        ));
    };
    if !bot.locales.iter().any(|locale| locale == locale_id) {
        return Err(error(LexRuntimeErrorCode::ResourceNotFound, format!("locale {locale_id} not found")));
    }
    // The same rule the ws-connect handler applies to the WebSocket's sessionId.
    lexstream_lambda_core::session_id::validate(Some(session_id))
        .map_err(|reason| error(LexRuntimeErrorCode::Validation, reason.to_string()))?;
    let request: RecognizeTextRequest = serde_json::from_slice(body)
        .map_err(|e| error(LexRuntimeErrorCode::Validation, format!("malformed request: {e}")))?;
    if request.text.trim().is_empty() {
        return Err(error(LexRuntimeErrorCode::Validation, "text must not be empty"));
    }
    // Lex's own rule (the `Text` shape: at most 1024 characters), from the one limits table.
    if question_chars(&request.text) > LEX_MAX_TEXT_CHARS {
        return Err(error(
            LexRuntimeErrorCode::Validation,
            format!(
                "1 validation error detected: Value at 'text' failed to satisfy constraint: Member must have \
                 length less than or equal to {LEX_MAX_TEXT_CHARS}"
            ),
        ));
    }
    let key = format!("{bot_id}/{alias_id}/{locale_id}/{session_id}");
    let stored = lex.sessions.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
    let mut session_state = request.session_state.clone().or(stored).unwrap_or_default();
    session_state.originating_request_id = Some(uuid::Uuid::new_v4().to_string());

    let (intent, confidence) = bot.recognize(&request.text);
    let answer = if intent.fulfillment_code_hook {
        let event = code_hook_event(
            lex,
            alias_id,
            alias_name,
            locale_id,
            session_id,
            &request,
            session_state,
            intent,
            confidence,
        );
        lex.fulfiller.fulfill(event).await.map_err(|failure| match failure {
            FulfillmentError::TimedOut(_) => error(LexRuntimeErrorCode::BadGateway, failure.to_string()),
            FulfillmentError::InvalidResponse(_) => {
                error(LexRuntimeErrorCode::DependencyFailed, failure.to_string())
            }
        })?
    } else {
        closing_answer(session_state, intent)
    };

    lex.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(key, answer.session_state.clone());
    let answered_intent = answer
        .session_state
        .intent
        .clone()
        .unwrap_or_else(|| new_intent(&intent.name, IntentState::Fulfilled));
    Ok(RecognizeTextResponse {
        messages: answer.messages.filter(|messages| !messages.is_empty()),
        session_state: Some(answer.session_state),
        interpretations: Some(vec![RuntimeInterpretation {
            intent: answered_intent,
            nlu_confidence: confidence.map(|score| ConfidenceScore { score }),
            sentiment_response: None,
            interpretation_source: Some(InterpretationSource::Lex),
        }]),
        request_attributes: request.request_attributes,
        session_id: Some(session_id.to_owned()),
        recognized_bot_member: None,
    })
}

/// An intent without code hook: its closing messages.
fn closing_answer(mut session_state: SessionState, intent: &IntentDefinition) -> CodeHookResponse {
    session_state.intent = Some(new_intent(&intent.name, IntentState::Fulfilled));
    session_state.dialog_action = Some(DialogAction::of_type(DialogActionType::Close));
    CodeHookResponse { session_state, messages: Some(intent.messages.clone()), request_attributes: None }
}

/// The event Lex V2 sends a fulfillment code hook.
#[allow(clippy::too_many_arguments)]
fn code_hook_event(
    lex: &LexRuntime,
    alias_id: &str,
    alias_name: &str,
    locale_id: &str,
    session_id: &str,
    request: &RecognizeTextRequest,
    mut session_state: SessionState,
    intent: &IntentDefinition,
    confidence: Option<f64>,
) -> CodeHookEvent {
    let ready = new_intent(&intent.name, IntentState::ReadyForFulfillment);
    session_state.intent = Some(ready.clone());
    session_state.dialog_action = None;
    CodeHookEvent {
        message_version: "1.0".to_owned(),
        invocation_source: InvocationSource::FulfillmentCodeHook,
        input_mode: InputMode::Text,
        response_content_type: "text/plain; charset=utf-8".to_owned(),
        session_id: session_id.to_owned(),
        input_transcript: request.text.clone(),
        invocation_label: None,
        bot: Bot {
            id: lex.bot.bot_id.clone(),
            name: lex.bot.bot_name.clone(),
            alias_id: alias_id.to_owned(),
            alias_name: Some(alias_name.to_owned()),
            locale_id: locale_id.to_owned(),
            version: "DRAFT".to_owned(),
        },
        interpretations: vec![Interpretation {
            intent: ready,
            nlu_confidence: confidence,
            sentiment_response: None,
            interpretation_source: Some(InterpretationSource::Lex),
        }],
        proposed_next_state: None,
        request_attributes: request.request_attributes.clone(),
        session_state,
        transcriptions: None,
    }
}
