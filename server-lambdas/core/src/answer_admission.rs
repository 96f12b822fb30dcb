//! Whether a question gets an answer: what the fulfillment checks before it calls the model.
//!
//! Every question is first held to the [`limits`](lexstream_protocol::limits) table's sizes
//! (its length, and the session attributes it carries), with no I/O. A fresh turn in a deployment
//! with its `STREAMING_TABLE` then goes through the per-visitor limits
//! ([`crate::visitor_limits`]): the session's in-flight slot, then the identity's answers per
//! minute. A refusal is an answer like any other — a Lex `Close` whose message says, politely,
//! why and what to do — so the widget shows it as the reply and nothing crashes.

use std::time::Duration;

use lexstream_protocol::input_bounds::{InputError, check_question, check_session_attributes};
use lexstream_protocol::lex::CodeHookEvent;

use crate::config::{AnswerMode, FulfillmentConfig};
use crate::session_id::identity_of;
use crate::turns::TurnStore;
use crate::visitor_limits::in_flight::IN_FLIGHT_MARGIN;
use crate::visitor_limits::{RateKind, VisitorLimitStore, admit_rate, release_in_flight, take_in_flight};

/// Why a fresh turn was refused by a per-visitor limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session's previous answer is still being generated.
    Busy,
    /// The identity had its answers for this minute.
    TooFrequent,
}

impl Refusal {
    /// What the visitor reads as the answer.
    pub fn visitor_message(self) -> &'static str {
        match self {
            Self::Busy => "Please wait for the current answer to finish, or stop it, before asking again.",
            Self::TooFrequent => {
                "You have asked a lot of questions in the last minute (too many requests). \
                 Please wait a minute, then ask again."
            }
        }
    }
}

/// What the per-visitor limits decided for a fresh turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Answer it; `holds_in_flight` says whether the turn now holds its session's slot (and must
    /// free it once the answer is written).
    Admitted {
        /// Whether the slot was taken (not when the table could not be reached).
        holds_in_flight: bool,
    },
    /// Answer with the refusal's message instead.
    Refused(Refusal),
}

/// Checks a question and its session attributes against the size limits.
pub fn check_event_bounds(event: &CodeHookEvent) -> Result<(), InputError> {
    check_question(&event.input_transcript)?;
    let attributes = event.session_state.session_attributes.iter().flatten();
    check_session_attributes(attributes.map(|(name, value)| (name.as_str(), value.as_str())))
}

/// How long a turn holds its session's in-flight slot at most: the longest this deployment may
/// generate an answer, plus [`IN_FLIGHT_MARGIN`]. A crashed Lambda blocks its session that long.
pub fn in_flight_lifetime(config: &FulfillmentConfig) -> Duration {
    let generation = match config.answer_mode {
        AnswerMode::Sync => config.model.deadline,
        AnswerMode::Async { .. } => config.max_answer.max(config.model.deadline),
    };
    generation + IN_FLIGHT_MARGIN
}

/// Puts a fresh `turn` of `session_id` through the per-visitor limits at `now`: takes the
/// session's in-flight slot, then counts an answer for the session's identity. A limit the store
/// cannot check lets the turn through (logged).
pub async fn admit_answer<S: VisitorLimitStore + TurnStore>(
    store: &S,
    session_id: &str,
    turn: &str,
    config: &FulfillmentConfig,
    now: i64,
) -> Admission {
    let holds_in_flight = match take_in_flight(store, session_id, turn, in_flight_lifetime(config), now).await
    {
        Ok(true) => true,
        Ok(false) => {
            tracing::info!(%turn, "question refused: the session's previous answer is still being generated");
            return Admission::Refused(Refusal::Busy);
        }
        Err(error) => {
            tracing::warn!(%error, %turn, "could not check the session's answer in flight; answering");
            false
        }
    };
    let per_minute = config.answers_per_minute;
    match admit_rate(store, RateKind::Answers, identity_of(session_id), per_minute, now).await {
        Ok(true) => Admission::Admitted { holds_in_flight },
        Ok(false) => {
            if holds_in_flight {
                release_in_flight(store, session_id, turn).await;
            }
            tracing::info!(%turn, per_minute, "question refused: the identity's answers per minute are used up");
            Admission::Refused(Refusal::TooFrequent)
        }
        Err(error) => {
            tracing::warn!(%error, %turn, "could not count the identity's answers; answering");
            Admission::Admitted { holds_in_flight }
        }
    }
}
