//! One answer in flight per Lex session: the slot a turn holds while its answer is generated.
//!
//! The fulfillment takes the slot for a freshly claimed turn before calling the model and frees
//! it once the answer is written (the answer worker frees it for a turn handed over to it). A
//! question of the same session arriving meanwhile finds the slot held by another turn and is
//! refused. Three things keep a slot from blocking a visitor for long:
//! - it expires: its TTL is the longest the holder may generate plus [`IN_FLIGHT_MARGIN`]
//!   (55 s with the default 25 s deadline; `MAX_ANSWER_SECONDS` + 30 s for long answers), and an
//!   expired slot counts as free even before DynamoDB sweeps it;
//! - a holder whose turn record is already finished (its release was lost) is taken over at once;
//! - a retry of the holding turn itself renews the slot rather than being refused.

use std::time::Duration;

use super::VisitorLimitStore;
use crate::error::StoreError;
use crate::turns::TurnStore;

/// How long past its generation deadline a slot stays held: the relay's grace for a reconnecting
/// widget, the final writes, and Lex's own timeout around a synchronous answer.
pub const IN_FLIGHT_MARGIN: Duration = Duration::from_secs(30);

/// A turn's claim on its session's in-flight slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightHold {
    /// The Lex session.
    pub session_id: String,
    /// The turn holding the slot.
    pub turn: String,
    /// When the hold expires (DynamoDB TTL), epoch seconds.
    pub expires_at: i64,
}

/// What an attempt to hold the slot found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    /// The slot is this turn's now.
    Held,
    /// Another turn holds it, unexpired: its id.
    HeldBy(String),
}

/// Takes the session's in-flight slot for `turn` for `lifetime`; `Ok(false)` when another turn's
/// answer is still being generated. A holder whose turn record is finished is taken over.
pub async fn take_in_flight<S: VisitorLimitStore + TurnStore>(
    store: &S,
    session_id: &str,
    turn: &str,
    lifetime: Duration,
    now: i64,
) -> Result<bool, StoreError> {
    let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
    let hold = InFlightHold {
        session_id: session_id.to_owned(),
        turn: turn.to_owned(),
        expires_at: now.saturating_add(seconds),
    };
    let holder = match store.hold_in_flight(&hold, None, now).await? {
        HoldOutcome::Held => return Ok(true),
        HoldOutcome::HeldBy(holder) => holder,
    };
    let holder_finished =
        store.turn(session_id, &holder).await?.is_some_and(|record| record.status.is_finished());
    if !holder_finished {
        return Ok(false);
    }
    tracing::info!("the in-flight slot's holder has finished; taking it over");
    Ok(store.hold_in_flight(&hold, Some(&holder), now).await? == HoldOutcome::Held)
}

/// Frees `turn`'s hold on its session's slot; a failure is logged (the hold then expires).
pub async fn release_in_flight<S: VisitorLimitStore>(store: &S, session_id: &str, turn: &str) {
    if let Err(error) = store.release_in_flight(session_id, turn).await {
        tracing::warn!(%error, %turn, "could not free the session's in-flight slot; it expires by TTL");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryConnectionStore;
    use crate::turns::{TurnRecord, TurnStatus};

    const NOW: i64 = 1_700_000_000;
    const LIFETIME: Duration = Duration::from_secs(55);

    #[tokio::test]
    async fn a_held_slot_refuses_other_turns_until_it_is_freed_or_expires() {
        let store = MemoryConnectionStore::default();
        assert!(take_in_flight(&store, "s", "t1", LIFETIME, NOW).await.unwrap());
        assert!(take_in_flight(&store, "s", "t1", LIFETIME, NOW + 1).await.unwrap(), "a retry renews");
        assert!(!take_in_flight(&store, "s", "t2", LIFETIME, NOW + 2).await.unwrap());
        assert!(take_in_flight(&store, "other", "t2", LIFETIME, NOW + 2).await.unwrap(), "per session");
        // A crashed holder never frees it: it expires.
        assert!(!take_in_flight(&store, "s", "t2", LIFETIME, NOW + 56).await.unwrap());
        assert!(take_in_flight(&store, "s", "t2", LIFETIME, NOW + 57).await.unwrap());
        // Only the holder frees it.
        release_in_flight(&store, "s", "t1").await;
        assert!(!take_in_flight(&store, "s", "t3", LIFETIME, NOW + 58).await.unwrap());
        release_in_flight(&store, "s", "t2").await;
        assert!(take_in_flight(&store, "s", "t3", LIFETIME, NOW + 58).await.unwrap());
    }

    #[tokio::test]
    async fn a_holder_whose_answer_is_finished_is_taken_over() {
        let store = MemoryConnectionStore::default();
        let mut record = TurnRecord::claimed("s", "t1", NOW, NOW + 86_400);
        store.claim(&record).await.unwrap();
        assert!(take_in_flight(&store, "s", "t1", LIFETIME, NOW).await.unwrap());
        assert!(!take_in_flight(&store, "s", "t2", LIFETIME, NOW).await.unwrap(), "still streaming");
        // Its answer was written but the release was lost.
        record.status = TurnStatus::Done;
        store.save_turn(&record).await.unwrap();
        assert!(take_in_flight(&store, "s", "t2", LIFETIME, NOW + 1).await.unwrap());
        assert!(!take_in_flight(&store, "s", "t3", LIFETIME, NOW + 1).await.unwrap(), "t2 holds it now");
    }
}
