//! Per-visitor limits, enforced server-side in the connection table, so one client cannot
//! exhaust everyone's capacity:
//!
//! - **one answer in flight per Lex session** ([`in_flight`]): a question asked while the
//!   session's previous answer is still being generated is refused politely. The slot is an item
//!   `inflight#<sessionId>` naming the turn that holds it, taken with a conditional write and
//!   released when the turn ends; its TTL (the longest the answer may run, plus
//!   [`in_flight::IN_FLIGHT_MARGIN`]) frees it if the Lambda holding it crashed;
//! - **answers and WebSocket `$connect`s per identity per minute** ([`rate`]): an atomic counter
//!   per identity per minute window (`rate#<kind>#<identity>#<window>`, `UpdateItem ADD`, with a
//!   TTL), read as a sliding window with the previous minute's counter.
//!
//! The keys take forms no session id can (`#` is not allowed in one), like the turn records
//! beside them. A limit the table cannot check (a DynamoDB error) lets the request through, with a
//! warning in the log: the stage throttle and the answering Lambdas' reserved concurrency still
//! bound what that costs, and a visitor is not refused for our outage.

pub mod in_flight;
pub mod rate;

use std::future::Future;

use crate::error::StoreError;

pub use in_flight::{HoldOutcome, InFlightHold, release_in_flight, take_in_flight};
pub use rate::{RateKind, admit_rate};

/// The table key of a session's in-flight slot.
pub fn in_flight_key(session_id: &str) -> String {
    format!("inflight#{session_id}")
}

/// Where the limits keep their items (the connection table in production).
pub trait VisitorLimitStore: Send + Sync {
    /// Takes the in-flight slot of `hold.session_id` for `hold.turn` until `hold.expires_at`,
    /// unless another turn holds it and its hold has not expired at `now`. A slot held by
    /// `replaceable` (a holder known to be finished) is taken over; one held by `hold.turn`
    /// itself is renewed.
    fn hold_in_flight(
        &self,
        hold: &InFlightHold,
        replaceable: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<HoldOutcome, StoreError>> + Send;
    /// Frees the in-flight slot of `session_id` if `turn` holds it (anyone else's hold stays).
    fn release_in_flight(
        &self,
        session_id: &str,
        turn: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Adds one to the counter `key` (created at 0 if absent, expiring at `ttl`); returns its new
    /// value.
    fn add_hit(&self, key: &str, ttl: i64) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// The counter `key` (0 if absent).
    fn hits(&self, key: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;
}
