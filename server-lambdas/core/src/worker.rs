//! The `answer-worker` Lambda: generates a turn's answer past Lex's 30-second code-hook limit.
//!
//! In async mode (`ANSWER_MODE`), the fulfillment claims the turn, hands an [`AnswerJob`] to
//! this Lambda (`InvocationType=Event`) and answers Lex at once with a placeholder naming the
//! pending turn. The worker then does what the fulfillment would have done — the same relay,
//! checkpoints, record and history — with its own deadline (`MAX_ANSWER_SECONDS`, up to
//! Lambda's 15 minutes), and ends the stream with a `final` frame carrying the Lex messages, since
//! no `RecognizeText` response will carry them. A widget that lost the stream gets the same
//! frames from the turn's record with `resume`. Once the answer is written, it frees the session's
//! in-flight slot the fulfillment took for the turn ([`crate::visitor_limits`]).

use lexstream_protocol::check_turn_id;
use serde::{Deserialize, Serialize};

use crate::config::FulfillmentConfig;
use crate::connect::now_epoch_seconds;
use crate::fulfillment::TurnAnswer;
use crate::ports::{ModelStream, StreamingBackend};
use crate::streaming_target::stage_to_stream_to;
use crate::turns::TurnStore;
use crate::visitor_limits::release_in_flight;

/// How old a claim may be when its job arrives (Lambda may deliver a queued event late, e.g.
/// after throttling); older jobs are skipped: the widget gave up on the turn by then.
pub const MAX_JOB_AGE_SECONDS: i64 = 60;

/// What the fulfillment hands to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerJob {
    /// The Lex code-hook event being answered.
    pub event: lexstream_protocol::lex::CodeHookEvent,
    /// The turn the fulfillment claimed.
    pub turn: String,
}

/// What the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum JobOutcome {
    /// The answer was generated and its record finished.
    Answered,
    /// Nothing to do: no state table, a turn id that breaks the rule, no such claimed turn, or it
    /// was already finished (a duplicate delivery of the same event).
    Skipped,
}

/// Generates the answer of `job`'s turn, which the fulfillment claimed.
pub async fn handle_answer_job<M: ModelStream, B: StreamingBackend>(
    job: AnswerJob,
    model: &M,
    backend: &B,
    config: &FulfillmentConfig,
) -> JobOutcome {
    let event = &job.event;
    let Some(table) = config.allowed_table.as_deref() else {
        tracing::warn!("an answer job without STREAMING_TABLE; nothing to do");
        return JobOutcome::Skipped;
    };
    if let Err(error) = check_turn_id(&job.turn) {
        // The fulfillment checks it before handing over; a job from anywhere else is refused.
        tracing::warn!(%error, "an answer job with a turn id that breaks the rule; nothing to do");
        return JobOutcome::Skipped;
    }
    let store = backend.store(table);
    let now = now_epoch_seconds();
    let claimed = match store.turn(&event.session_id, &job.turn).await {
        // Only a fresh claim nobody has streamed for yet: a duplicate delivery of the event, or
        // a fulfillment that generated the answer itself after a failed handover, has written
        // text (its first checkpoint comes within a second); an event delivered long after the
        // visitor gave up is stale.
        Ok(Some(record))
            if !record.status.is_finished()
                && record.text_seq.is_none()
                && now.saturating_sub(record.updated_at) <= MAX_JOB_AGE_SECONDS =>
        {
            record
        }
        Ok(Some(record)) => {
            tracing::info!(turn = %job.turn, status = record.status.as_str(), "the turn is answered, being answered, or stale; a duplicate or late job");
            // Whoever is streaming it frees the session's slot; a finished or stale turn's hold
            // (the fulfillment left it to this worker) is freed here.
            if record.status.is_finished() || record.text_seq.is_none() {
                release_in_flight(&store, &event.session_id, &job.turn).await;
            }
            return JobOutcome::Skipped;
        }
        Ok(None) => {
            tracing::warn!(turn = %job.turn, "no claimed record for the job's turn; nothing to do");
            release_in_flight(&store, &event.session_id, &job.turn).await;
            return JobOutcome::Skipped;
        }
        Err(error) => {
            tracing::warn!(%error, turn = %job.turn, "could not read the turn's record; nothing done");
            return JobOutcome::Skipped;
        }
    };
    let stage = stage_to_stream_to(event, config).inspect_err(|refusal| refusal.log()).ok();
    let answer = TurnAnswer {
        event,
        turn: &job.turn,
        stage: stage.as_deref(),
        store: Some(&store),
        claimed: Some(&claimed),
        ttl: now.saturating_add(config.turn_ttl_seconds),
        deadline: config.max_answer,
        ends_with_final: true,
    };
    answer.generate(model, backend, config).await;
    // The fulfillment took the session's in-flight slot for this turn and left it to us.
    release_in_flight(&store, &event.session_id, &job.turn).await;
    JobOutcome::Answered
}
