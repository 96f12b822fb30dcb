//! The `lex-fulfillment` Lambda: answer a Lex V2 code hook with Bedrock, streaming as it goes.
//!
//! With the session attributes `streamingDynamoDbTable` and `streamingEndpoint` naming exactly the
//! configured table and stage ([`crate::streaming_target`]: it fails closed) and a connection
//! recorded for the session, the answer streams to the widget through the [`relay`]. Either
//! way the Lambda returns a Lex `Close` carrying the whole answer, and a failing or slow model
//! still yields an answer the visitor can read.
//!
//! Each answer is a server-owned record ([`crate::turns`]) in the *state table*, `STREAMING_TABLE`
//! (a table the client names is never read nor written). The fulfillment claims the turn
//! (`streamingTurnId`) with a conditional write before calling the model: an invocation that
//! finds the turn already claimed (Lex or the widget retrying) does not generate again but waits
//! for that answer and returns it. The relay checkpoints the record while it streams, and the
//! fulfillment writes it finished, with the Lex messages it returns, whether it streamed or not.
//! The conversation's history is kept in the same table (`history#<sessionId>`), never taken from
//! the request. Without a state table there is no streaming, no record and no history: each
//! question is answered on its own. A turn id that breaks the rule
//! (`lexstream_protocol::check_turn_id`) is answered without streaming and without a record; a
//! request without one gets a generated id and streams as before, without a record (nothing
//! could ask for it).
//!
//! Before any of that, a question over a size limit is answered with what to shorten; and a fresh
//! turn in the configured table meets the per-visitor limits ([`crate::answer_admission`]): one
//! answer in flight per session, answers per identity per minute. A refusal is the answer's text.
//!
//! [`relay`]: crate::relay

use std::time::Duration;

use lexstream_protocol::input_bounds::InputError;
use lexstream_protocol::lex::{
    ATTR_PENDING_TURN, ATTR_STREAMING_TURN_ID, CodeHookEvent, CodeHookResponse, IntentState, Message,
    MessageContentType,
};
use lexstream_protocol::{Frame, check_turn_id};
use tokio::time::Instant;

use crate::answer_admission::{Admission, Refusal, admit_answer, check_event_bounds};
use crate::config::{AnswerMode, FulfillmentConfig};
use crate::connect::now_epoch_seconds;
use crate::history::{self, HISTORY_ATTRIBUTE};
use crate::log_hash::hashed;
use crate::ports::{
    AnswerHandover, ChatMessage, ConnectionPusher, ConnectionStore, ModelRequest, ModelStream, NoHandover,
    Role, StreamingBackend, TextDeltas,
};
use crate::relay::{GenerationEnd, RelayLimits, RelayOutcome, StreamTarget, relay_with_checkpoints};
use crate::streaming_target::stage_to_stream_to;
use crate::turns::{TurnCheckpoint, TurnClaim, TurnRecord, TurnStatus, TurnStore};
use crate::visitor_limits::release_in_flight;
use crate::worker::AnswerJob;

/// The answer when the model produced nothing and reported no error.
const EMPTY_ANSWER: &str = "I'm sorry, I don't have an answer to that.";

/// How often an invocation that found its turn already claimed re-reads the turn's record.
pub const TURN_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How long past the relay's deadline such an invocation waits for the answer: the first
/// invocation may wait [`crate::relay::END_RECONNECT_GRACE`] for a reconnecting widget, then
/// writes the record.
pub const TURN_WAIT_MARGIN: Duration = Duration::from_secs(3);

/// Answers one Lex V2 code-hook event, generating every answer here (`ANSWER_MODE=sync`).
pub async fn handle_fulfillment<M: ModelStream, B: StreamingBackend>(
    event: CodeHookEvent,
    model: &M,
    backend: &B,
    config: &FulfillmentConfig,
) -> CodeHookResponse {
    handle_fulfillment_with(event, model, backend, &NoHandover, config).await
}

/// Answers one Lex V2 code-hook event. In async mode ([`AnswerMode::Async`]) a claimed turn
/// that streams to a live connection is handed to the answer worker through `handover`, and Lex
/// gets a placeholder at once ([`pending_close`]); if the handover fails, the answer is generated
/// here as in sync mode.
pub async fn handle_fulfillment_with<M: ModelStream, B: StreamingBackend, H: AnswerHandover>(
    event: CodeHookEvent,
    model: &M,
    backend: &B,
    handover: &H,
    config: &FulfillmentConfig,
) -> CodeHookResponse {
    let started = Instant::now();
    if let Err(too_large) = check_event_bounds(&event) {
        tracing::info!(%too_large, "question refused: over a size limit");
        return too_large_close(&event, &too_large);
    }
    let session_id = event.session_id.as_str();
    let requested_turn = event.request_attribute(ATTR_STREAMING_TURN_ID);
    let refused = requested_turn.and_then(|turn| check_turn_id(turn).err());
    if let Some(error) = &refused {
        tracing::warn!(%error, "streamingTurnId refused; answering without streaming and without a turn record");
    }
    let keeps_record = requested_turn.is_some() && refused.is_none();
    let turn = requested_turn.filter(|_| keeps_record).map_or_else(new_turn_id, str::to_owned);

    // Only the table the deployment configured: a table the client names is never used.
    let store = config.allowed_table.as_deref().map(|table| backend.store(table));
    let now = now_epoch_seconds();
    let ttl = now.saturating_add(config.turn_ttl_seconds);
    let stage = match stage_to_stream_to(&event, config) {
        Ok(stage) => Some(stage).filter(|_| refused.is_none()),
        Err(refusal) => {
            refusal.log();
            None
        }
    };

    let claimed = match store.as_ref().filter(|_| keeps_record) {
        Some(store) => {
            let record = TurnRecord::claimed(session_id, &turn, now, ttl);
            match store.claim(&record).await {
                Ok(TurnClaim::Claimed) => Some(record),
                Ok(TurnClaim::Taken(existing)) => {
                    return answer_claimed_elsewhere(&event, store, existing, config).await;
                }
                Err(error) => {
                    tracing::warn!(%error, %turn, "could not claim the turn; answering without a turn record");
                    None
                }
            }
        }
        None => None,
    };

    // A fresh turn (claimed here, or one that keeps no record) meets the per-visitor limits,
    // whose items live in the configured table only.
    let admission = match store.as_ref() {
        Some(store) => admit_answer(store, session_id, &turn, config, now).await,
        None => Admission::Admitted { holds_in_flight: false },
    };
    let holds_in_flight = match admission {
        Admission::Admitted { holds_in_flight } => holds_in_flight,
        Admission::Refused(refusal) => {
            return refused_close(&event, store.as_ref().zip(claimed.as_ref()), refusal).await;
        }
    };

    if let (AnswerMode::Async { worker_function }, Some(store), Some(_), Some(_)) =
        (&config.answer_mode, &store, &claimed, &stage)
        && matches!(store.get(session_id).await, Ok(Some(_)))
    {
        let job = AnswerJob { event: event.clone(), turn: turn.clone() };
        match handover.hand_over(&job).await {
            Ok(()) => {
                // The worker frees the session's in-flight slot once it has written the answer.
                tracing::info!(%turn, worker = %worker_function, "the answer was handed to the worker");
                return pending_close(&event, &turn);
            }
            Err(error) => {
                tracing::warn!(%error, %turn, "could not hand the answer to the worker; answering here");
            }
        }
    }

    let answer = TurnAnswer {
        event: &event,
        turn: &turn,
        stage: stage.as_deref(),
        store: store.as_ref(),
        claimed: claimed.as_ref(),
        ttl,
        // Lex's clock started with the invocation: what the claim and a failed handover took
        // comes off the model's time.
        deadline: config.model.deadline.saturating_sub(started.elapsed()),
        ends_with_final: false,
    };
    let (messages, state) = answer.generate(model, backend, config).await;
    if let (Some(store), true) = (&store, holds_in_flight) {
        release_in_flight(store, session_id, &turn).await;
    }
    close(&event, state, messages)
}

/// The answer to a question over a size limit. Session attributes over the limit are dropped from
/// the answer, so Lex (and the widget, which keeps what Lex returns) stops sending them and the
/// next question goes through.
fn too_large_close(event: &CodeHookEvent, too_large: &InputError) -> CodeHookResponse {
    let clears_attributes = matches!(
        too_large,
        InputError::TooManySessionAttributes { .. } | InputError::SessionAttributesTooLarge { .. }
    );
    let text = if clears_attributes {
        format!("{too_large} They have been cleared; please ask your question again.")
    } else {
        too_large.to_string()
    };
    let mut response =
        close(event, IntentState::Failed, vec![Message::text(MessageContentType::PlainText, text)]);
    if clears_attributes {
        response.session_state.session_attributes = Some(Default::default());
    }
    response
}

/// The answer to a fresh turn a per-visitor limit refused. A claimed turn's record is finished
/// with it, so a retry or a resume of the turn gets the same refusal.
async fn refused_close<S: TurnStore>(
    event: &CodeHookEvent,
    claimed: Option<(&S, &TurnRecord)>,
    refusal: Refusal,
) -> CodeHookResponse {
    let messages = vec![Message::text(MessageContentType::PlainText, refusal.visitor_message())];
    if let Some((store, claimed)) = claimed {
        let record = TurnRecord {
            status: TurnStatus::Error,
            messages: Some(messages.clone()),
            updated_at: now_epoch_seconds(),
            ..claimed.clone()
        };
        if let Err(error) = store.save_turn(&record).await {
            tracing::warn!(%error, turn = %record.turn, "could not write the refused turn's record");
        }
    }
    close(event, IntentState::Failed, messages)
}

/// One turn's answer to generate, once the turn is settled (claimed or not).
pub(crate) struct TurnAnswer<'a, S> {
    /// The Lex event asking.
    pub(crate) event: &'a CodeHookEvent,
    /// The turn id.
    pub(crate) turn: &'a str,
    /// The configured stage to stream to, if this turn may stream (the session asked for exactly
    /// the configured table and stage, and its turn id passed the rule).
    pub(crate) stage: Option<&'a str>,
    /// The state table's store (`STREAMING_TABLE`), if there is one: the session's connection,
    /// the turn's record and the conversation's history are kept there.
    pub(crate) store: Option<&'a S>,
    /// The turn's record, if this invocation claimed it.
    pub(crate) claimed: Option<&'a TurnRecord>,
    /// When records and history written now expire.
    pub(crate) ttl: i64,
    /// How long the model may generate.
    pub(crate) deadline: Duration,
    /// Whether the stream ends with a `final` frame carrying the Lex messages (the worker's
    /// answer, which no `RecognizeText` response will carry).
    pub(crate) ends_with_final: bool,
}

impl<S: ConnectionStore + TurnStore> TurnAnswer<'_, S> {
    /// Generates the answer (streaming it when it can), writes the record finished and the
    /// history, and returns the Lex messages and intent state.
    pub(crate) async fn generate<M: ModelStream, B: StreamingBackend<Store = S>>(
        &self,
        model: &M,
        backend: &B,
        config: &FulfillmentConfig,
    ) -> (Vec<Message>, IntentState) {
        let (event, turn, store, claimed, ttl) = (self.event, self.turn, self.store, self.claimed, self.ttl);
        let session_id = event.session_id.as_str();
        let mut conversation = match store {
            Some(store) => store.history(session_id).await.unwrap_or_else(|error| {
                tracing::warn!(%error, "could not read the conversation's history; answering without it");
                Vec::new()
            }),
            None => Vec::new(),
        };
        conversation.push(ChatMessage { role: Role::User, text: event.input_transcript.clone() });
        let request = ModelRequest {
            model_id: config.model.model_id.clone(),
            system: Some(config.model.system_prompt.clone()),
            messages: conversation.clone(),
            max_tokens: config.model.max_tokens,
            temperature: config.model.temperature,
        };
        let limits = RelayLimits { deadline: self.deadline, ..RelayLimits::default() };

        let deltas: TextDeltas = match model.stream(request).await {
            Ok(deltas) => deltas,
            Err(error) => {
                tracing::warn!(%error, "the model call failed before streaming");
                Box::pin(futures_util::stream::once(async move { Err(error) }))
            }
        };

        let pusher = self.stage.map(|stage| backend.pusher(stage));
        let connection_id = match (store, &pusher) {
            (Some(store), Some(_)) => match store.get(session_id).await {
                Ok(Some(record)) => Some(record.connection_id),
                Ok(None) => {
                    tracing::info!(session_hash = %hashed(session_id), "no connection recorded; answering without streaming");
                    None
                }
                Err(error) => {
                    tracing::warn!(%error, "connection lookup failed; answering without streaming");
                    None
                }
            },
            _ => None,
        };
        let target = match (store, &pusher, connection_id) {
            (Some(store), Some(pusher), Some(connection_id)) => {
                Some(StreamTarget { store, pusher, session_id, connection_id })
            }
            _ => None,
        };
        let checkpoint = match (store, claimed) {
            (Some(store), Some(record)) => Some(TurnCheckpoint::new(store, record)),
            _ => None,
        };
        let outcome = relay_with_checkpoints(deltas, target, checkpoint.as_ref(), turn, limits).await;
        tracing::info!(
            %turn,
            chars = outcome.text.chars().count(),
            end = ?outcome.end,
            frames = outcome.stream.frames_sent,
            posts = outcome.stream.posts,
            moves = outcome.stream.moves,
            checkpoints = outcome.checkpoints,
            stopped = ?outcome.stream.stopped,
            "turn answered"
        );

        let (answer, state) = compose_answer(&outcome);
        let messages = vec![Message::text(config.answer_content_type.clone(), answer)];
        let finish_record = async {
            let (Some(store), Some(claimed)) = (store, claimed) else { return };
            let record = TurnRecord {
                status: TurnStatus::after(&outcome.end),
                text: outcome.text.clone(),
                text_seq: outcome.text_seq,
                next_seq: outcome.next_seq,
                messages: Some(messages.clone()),
                updated_at: now_epoch_seconds(),
                ..claimed.clone()
            };
            if let Err(error) = store.save_turn(&record.fitted()).await {
                tracing::warn!(%error, %turn, "could not write the finished turn's record");
            }
        };
        let remember = async {
            let Some(store) = store.filter(|_| !outcome.text.is_empty()) else {
                return;
            };
            conversation.push(ChatMessage { role: Role::Assistant, text: outcome.text.clone() });
            let kept = history::bounded(&conversation, config.history_max_bytes);
            if let Err(error) = store.save_history(session_id, kept, ttl).await {
                tracing::warn!(%error, "could not save the conversation's history");
            }
        };
        tokio::join!(finish_record, remember);
        if self.ends_with_final
            && let (Some(store), Some(pusher)) = (store, &pusher)
        {
            let last =
                Frame::Final { turn: turn.to_owned(), seq: outcome.next_seq, messages: messages.clone() };
            post_to_current_connection(store, pusher, session_id, &last).await;
        }
        (messages, state)
    }
}

/// Posts `frame` to the session's connection as the table names it now (the widget may have
/// reconnected during the answer). A failure is logged: the widget asks to resume a turn that
/// goes quiet, and gets the same frame from the turn's record.
async fn post_to_current_connection<S: ConnectionStore, P: ConnectionPusher>(
    store: &S,
    pusher: &P,
    session_id: &str,
    frame: &Frame,
) {
    let connection = match store.get(session_id).await {
        Ok(Some(record)) => record.connection_id,
        Ok(None) => {
            return tracing::info!("no connection to post the final answer to; the widget will resume");
        }
        Err(error) => return tracing::warn!(%error, "could not look up the connection for the final answer"),
    };
    if let Err(error) = pusher.push(&connection, frame.to_json().as_bytes()).await {
        tracing::warn!(%error, "could not post the final answer; the widget will resume");
    }
}

/// The Lex answer of a turn handed to the worker: a short placeholder any client can read, and
/// the session attribute naming the pending turn, which tells the widget that the real answer
/// follows on the stream.
fn pending_close(event: &CodeHookEvent, turn: &str) -> CodeHookResponse {
    let placeholder = Message::text(
        MessageContentType::PlainText,
        "Your answer is being written and will appear here shortly.",
    );
    let mut response = close(event, IntentState::Fulfilled, vec![placeholder]);
    response
        .session_state
        .session_attributes
        .get_or_insert_with(Default::default)
        .insert(ATTR_PENDING_TURN.to_owned(), turn.to_owned());
    response
}

/// The Lex `Close` response, without the history attribute earlier versions sent to the client
/// and without a pending-turn marker the client sent back.
fn close(event: &CodeHookEvent, state: IntentState, messages: Vec<Message>) -> CodeHookResponse {
    let mut response = CodeHookResponse::close(event, state, messages);
    if let Some(attributes) = response.session_state.session_attributes.as_mut() {
        attributes.remove(ATTR_PENDING_TURN);
        attributes.remove(HISTORY_ATTRIBUTE);
    }
    response
}

/// Answers a turn another invocation claimed: waits (re-reading its record every
/// [`TURN_POLL_INTERVAL`]) until it is finished and returns the same messages, or, past the
/// relay's deadline and [`TURN_WAIT_MARGIN`], what it says so far with a note.
async fn answer_claimed_elsewhere<S: TurnStore>(
    event: &CodeHookEvent,
    store: &S,
    mut record: TurnRecord,
    config: &FulfillmentConfig,
) -> CodeHookResponse {
    tracing::info!(turn = %record.turn, status = record.status.as_str(), "the turn is already claimed; returning its answer instead of generating another");
    if matches!(config.answer_mode, AnswerMode::Async { .. }) && !record.status.is_finished() {
        // The worker may be streaming it for minutes: the retry gets the same placeholder, and
        // the widget keeps waiting for the stream's `final`.
        return pending_close(event, &record.turn);
    }
    let give_up_at = Instant::now() + config.model.deadline + TURN_WAIT_MARGIN;
    while !record.status.is_finished() && Instant::now() < give_up_at {
        tokio::time::sleep(TURN_POLL_INTERVAL).await;
        match store.turn(&record.session_id, &record.turn).await {
            Ok(Some(latest)) => record = latest,
            Ok(None) => break,
            Err(error) => tracing::warn!(%error, turn = %record.turn, "could not re-read the turn's record"),
        }
    }
    let (messages, state) = stored_answer(&record, config);
    close(event, state, messages)
}

/// The Lex messages and intent state of a claimed turn's record.
fn stored_answer(record: &TurnRecord, config: &FulfillmentConfig) -> (Vec<Message>, IntentState) {
    match &record.messages {
        Some(messages) if record.status.is_finished() && !messages.is_empty() => {
            // As `compose_answer` decided: a failure with nothing generated is a failed intent.
            let failed = record.status == TurnStatus::Error && record.text.trim().is_empty();
            (messages.clone(), if failed { IntentState::Failed } else { IntentState::Fulfilled })
        }
        _ => {
            tracing::warn!(turn = %record.turn, "the turn's answer was not finished in time; answering with what it says so far");
            let text = record.text.trim_end();
            let (answer, state) = if text.is_empty() {
                (
                    "The answer is still being written. Please ask again in a moment.".to_owned(),
                    IntentState::Failed,
                )
            } else {
                (
                    format!("{text}\n\n_(The answer is still being written; this is what it says so far.)_"),
                    IntentState::Fulfilled,
                )
            };
            (vec![Message::text(config.answer_content_type.clone(), answer)], state)
        }
    }
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
