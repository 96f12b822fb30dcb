//! RFC 3339 timestamps with milliseconds, as AWS JSON APIs write them.

use std::time::{SystemTime, UNIX_EPOCH};

use lexstream_protocol::calendar::UtcDateTime;

/// Formats `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    let whole = UtcDateTime::from_epoch_seconds(seconds).to_rfc3339();
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), since_epoch.subsec_millis())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_millis(951_782_400_123)), "2000-02-29T00:00:00.123Z");
    }
}
