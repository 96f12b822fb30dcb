//! Answers and `$connect`s per identity per minute: one atomic counter per identity per minute
//! window, read as a sliding window.
//!
//! Each request adds one to the counter of the current window (`UpdateItem ADD`, one write) and,
//! unless that alone is over the limit, reads the previous window's counter. The estimate
//! `current + previous × (time left of the previous window's minute)` is held to the limit, so a
//! burst straddling two windows cannot get twice the limit, and a flood's counter keeps refusing
//! into the next minute. Refused requests count too: a client that keeps hammering stays refused.
//! Counters expire (TTL) once the window after theirs is over.

use lexstream_protocol::limits::RATE_WINDOW_SECS;

use super::VisitorLimitStore;
use crate::error::StoreError;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKind {
    /// Answers (the fulfillment, per Cognito identity).
    Answers,
    /// WebSocket `$connect`s (`ws-connect`, per Cognito identity, or per source IP without one).
    Connects,
}

impl RateKind {
    /// The name in the counter's key.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answers => "answer",
            Self::Connects => "connect",
        }
    }
}

/// The table key of `caller`'s counter of `kind` in minute window `window`.
pub fn rate_key(kind: RateKind, caller: &str, window: i64) -> String {
    format!("rate#{}#{caller}#{window}", kind.as_str())
}

/// Whether `current` hits in this window and `previous` in the one before, `elapsed` seconds
/// into this window, exceed `limit` per window: the previous window counts for the part of it
/// still within the last minute.
///
/// ```
/// use lexstream_lambda_core::visitor_limits::rate::over_limit;
/// assert!(!over_limit(10, 0, 5, 10));
/// assert!(over_limit(11, 0, 5, 10));
/// assert!(over_limit(3, 10, 10, 10), "10 a moment ago still count for most of a minute");
/// assert!(!over_limit(3, 10, 45, 10), "three quarters of a minute later, a quarter of them do");
/// ```
pub fn over_limit(current: u64, previous: u64, elapsed: i64, limit: u32) -> bool {
    let window = u128::from(RATE_WINDOW_SECS.unsigned_abs());
    let remaining = window.saturating_sub(u128::from(elapsed.clamp(0, RATE_WINDOW_SECS).unsigned_abs()));
    u128::from(current) * window + u128::from(previous) * remaining > u128::from(limit) * window
}

/// Counts one request of `kind` from `caller` at `now` and says whether it is within
/// `per_minute` (`0` means no limit: nothing is counted).
pub async fn admit_rate<S: VisitorLimitStore>(
    store: &S,
    kind: RateKind,
    caller: &str,
    per_minute: u32,
    now: i64,
) -> Result<bool, StoreError> {
    if per_minute == 0 {
        return Ok(true);
    }
    let window = now.div_euclid(RATE_WINDOW_SECS);
    // Kept through the next window, whose sliding estimate reads it.
    let expires_at = (window + 2) * RATE_WINDOW_SECS;
    let current = store.add_hit(&rate_key(kind, caller, window), expires_at).await?;
    if current > u64::from(per_minute) {
        return Ok(false);
    }
    let previous = store.hits(&rate_key(kind, caller, window - 1)).await?;
    Ok(!over_limit(current, previous, now.rem_euclid(RATE_WINDOW_SECS), per_minute))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryConnectionStore;

    #[tokio::test]
    async fn the_limit_holds_within_a_window_and_across_its_boundary() {
        let store = MemoryConnectionStore::default();
        let start = 1_700_000_000 - 1_700_000_000 % 60 + 58; // two seconds before a window ends
        for i in 0..3 {
            assert!(admit_rate(&store, RateKind::Answers, "me", 3, start + i).await.unwrap(), "{i}");
        }
        // The next window: the three a moment ago still count.
        assert!(!admit_rate(&store, RateKind::Answers, "me", 3, start + 3).await.unwrap());
        assert!(admit_rate(&store, RateKind::Answers, "you", 3, start + 3).await.unwrap(), "per caller");
        assert!(admit_rate(&store, RateKind::Connects, "me", 3, start + 3).await.unwrap(), "per kind");
        // A minute later the earlier window has slid out.
        assert!(admit_rate(&store, RateKind::Answers, "me", 3, start + 62).await.unwrap());
    }

    #[tokio::test]
    async fn zero_means_no_limit_and_counts_nothing() {
        let store = MemoryConnectionStore::default();
        for _ in 0..100 {
            assert!(admit_rate(&store, RateKind::Connects, "me", 0, 1_700_000_000).await.unwrap());
        }
        let key = rate_key(RateKind::Connects, "me", 1_700_000_000 / 60);
        assert_eq!(store.hits(&key).await.unwrap(), 0);
    }
}
