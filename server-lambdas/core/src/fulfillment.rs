//! The `lex-fulfillment` Lambda: answer a Lex V2 code hook with Bedrock, streaming as it goes.
//!
//! With the session attributes `streamingDynamoDbTable` and `streamingEndpoint` and a connection
//! recorded for the session, the answer streams to the widget through the [`relay`]. Either
//! way the Lambda returns a Lex `Close` carrying the whole answer, and a failing or slow model
//! still yields an answer the visitor can read.

use lexstream_protocol::lex::{
    ATTR_STREAMING_ENDPOINT, ATTR_STREAMING_TABLE, ATTR_STREAMING_TURN_ID, CodeHookEvent, CodeHookResponse,
    IntentState, Message,
};

use crate::config::FulfillmentConfig;
use crate::history::{self, HISTORY_ATTRIBUTE};
use crate::ports::{
    ChatMessage, ConnectionStore, ModelRequest, ModelStream, Role, StreamingBackend, TextDeltas,
};
use crate::relay::{GenerationEnd, RelayLimits, RelayOutcome, StreamTarget, relay};

/// The answer when the model produced nothing and reported no error.
const EMPTY_ANSWER: &str = "I'm sorry, I don't have an answer to that.";

/// Answers one Lex V2 code-hook event.
pub async fn handle_fulfillment<M: ModelStream, B: StreamingBackend>(
    event: CodeHookEvent,
    model: &M,
    backend: &B,
    config: &FulfillmentConfig,
) -> CodeHookResponse {
    let turn = event.request_attribute(ATTR_STREAMING_TURN_ID).map_or_else(new_turn_id, str::to_owned);
    let mut conversation = history::decode(event.session_state.attribute(HISTORY_ATTRIBUTE));
    conversation.push(ChatMessage { role: Role::User, text: event.input_transcript.clone() });
    let request = ModelRequest {
        model_id: config.model.model_id.clone(),
        system: Some(config.model.system_prompt.clone()),
        messages: conversation.clone(),
        max_tokens: config.model.max_tokens,
        temperature: config.model.temperature,
    };
    let limits = RelayLimits { deadline: config.model.deadline, ..RelayLimits::default() };

    let deltas: TextDeltas = match model.stream(request).await {
        Ok(deltas) => deltas,
        Err(error) => {
            tracing::warn!(%error, "the model call failed before streaming");
            Box::pin(futures_util::stream::once(async move { Err(error) }))
        }
    };

    let outcome = match streaming_destination(&event, config) {
        Some((table, endpoint)) => {
            let store = backend.store(table);
            let pusher = backend.pusher(endpoint);
            match store.get(&event.session_id).await {
                Ok(Some(record)) => {
                    let target = StreamTarget {
                        store: &store,
                        pusher: &pusher,
                        session_id: &event.session_id,
                        connection_id: record.connection_id,
                    };
                    relay(deltas, Some(target), &turn, limits).await
                }
                Ok(None) => {
                    tracing::info!(session_id = %event.session_id, "no connection recorded; answering without streaming");
                    relay::<B::Store, B::Pusher>(deltas, None, &turn, limits).await
                }
                Err(error) => {
                    tracing::warn!(%error, "connection lookup failed; answering without streaming");
                    relay::<B::Store, B::Pusher>(deltas, None, &turn, limits).await
                }
            }
        }
        None => relay::<B::Store, B::Pusher>(deltas, None, &turn, limits).await,
    };
    tracing::info!(
        %turn,
        chars = outcome.text.chars().count(),
        end = ?outcome.end,
        frames = outcome.stream.frames_sent,
        posts = outcome.stream.posts,
        stopped = ?outcome.stream.stopped,
        "turn answered"
    );

    let (answer, state) = compose_answer(&outcome);
    if !outcome.text.is_empty() {
        conversation.push(ChatMessage { role: Role::Assistant, text: outcome.text.clone() });
    } else {
        conversation.pop();
    }
    let mut response = CodeHookResponse::close(
        &event,
        state,
        vec![Message::text(config.answer_content_type.clone(), answer)],
    );
    response.session_state.session_attributes.get_or_insert_with(Default::default).insert(
        HISTORY_ATTRIBUTE.to_owned(),
        history::encode_bounded(&conversation, config.history_max_bytes),
    );
    response
}

/// The table and endpoint to stream through, if the session asks for streaming and the
/// configuration allows what it names.
fn streaming_destination<'a>(
    event: &'a CodeHookEvent,
    config: &FulfillmentConfig,
) -> Option<(&'a str, &'a str)> {
    let table = event.session_state.attribute(ATTR_STREAMING_TABLE)?;
    let endpoint = event.session_state.attribute(ATTR_STREAMING_ENDPOINT)?;
    if config.allowed_table.as_deref().is_some_and(|allowed| allowed != table) {
        tracing::warn!(%table, "streamingDynamoDbTable is not the configured STREAMING_TABLE; not streaming");
        return None;
    }
    if config
        .allowed_endpoint
        .as_deref()
        .is_some_and(|allowed| !lexstream_protocol::lex::same_stage(allowed, endpoint))
    {
        tracing::warn!(%endpoint, "streamingEndpoint is not the configured STREAMING_ENDPOINT; not streaming");
        return None;
    }
    Some((table, endpoint))
}

/// The visitor-facing answer and the intent state for a relay outcome.
pub(crate) fn compose_answer(outcome: &RelayOutcome) -> (String, IntentState) {
    let text = outcome.text.trim_end();
    match &outcome.end {
        GenerationEnd::Complete if text.is_empty() => (EMPTY_ANSWER.to_owned(), IntentState::Fulfilled),
        GenerationEnd::Complete => (outcome.text.clone(), IntentState::Fulfilled),
        GenerationEnd::ModelFailed(error) if text.is_empty() => {
            (error.visitor_message().to_owned(), IntentState::Failed)
        }
        GenerationEnd::ModelFailed(error) => {
            (format!("{text}\n\n_{}_", error.visitor_message()), IntentState::Fulfilled)
        }
        GenerationEnd::DeadlineReached if text.is_empty() => {
            ("The answer took too long. Please try again.".to_owned(), IntentState::Failed)
        }
        GenerationEnd::StoppedByVisitor if text.is_empty() => {
            ("_(Stopped.)_".to_owned(), IntentState::Fulfilled)
        }
        GenerationEnd::StoppedByVisitor => (format!("{text}\n\n_(Stopped.)_"), IntentState::Fulfilled),
        GenerationEnd::DeadlineReached => (
            format!("{text}\n\n_(The answer was cut short because it took too long.)_"),
            IntentState::Fulfilled,
        ),
    }
}

/// A turn id for requests that did not carry `streamingTurnId`.
pub(crate) fn new_turn_id() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("turn-{nanos:x}")
}
