//! AppSync Events channel paths (`/namespace/segment/…`) and subscription patterns (`…/*`).

use std::fmt;

/// Most segments in a channel path, the namespace included.
const MAX_SEGMENTS: usize = 5;
/// Longest segment.
const MAX_SEGMENT_LEN: usize = 50;

/// Why a channel path or pattern is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The path has no segment.
    #[error("a channel needs at least a namespace, got {0:?}")]
    Empty(String),
    /// The path has more than 5 segments.
    #[error("channel {0:?} has more than 5 segments")]
    TooManySegments(String),
    /// A segment is empty, too long, or has a character other than letters, digits and `-`
    /// (or starts or ends with `-`).
    #[error(
        "channel segment {segment:?} must be 1-50 letters, digits or '-', not starting or ending with '-'"
    )]
    BadSegment {
        /// The segment.
        segment: String,
    },
}

/// Checks one channel segment (also usable for a userId that becomes a segment).
pub fn validate_segment(segment: &str) -> Result<(), ChannelError> {
    let bytes = segment.as_bytes();
    let valid = (1..=MAX_SEGMENT_LEN).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    if valid { Ok(()) } else { Err(ChannelError::BadSegment { segment: segment.to_owned() }) }
}

fn segments_of(path: &str) -> Result<Vec<String>, ChannelError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err(ChannelError::Empty(path.to_owned()));
    }
    let segments: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if segments.len() > MAX_SEGMENTS {
        return Err(ChannelError::TooManySegments(path.to_owned()));
    }
    segments.iter().try_for_each(|s| validate_segment(s))?;
    Ok(segments)
}

/// A valid channel to publish to: 1–5 segments, the first being the namespace.
///
/// ```
/// use lexstream_protocol::appsync::ChannelPath;
/// let channel = ChannelPath::parse("/chat/user-42").unwrap();
/// assert_eq!(channel.namespace(), "chat");
/// assert_eq!(channel.to_string(), "/chat/user-42");
/// assert!(ChannelPath::parse("/chat/bad_segment").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelPath {
    segments: Vec<String>,
}

impl ChannelPath {
    /// Parses and validates a channel path; the leading `/` is optional.
    pub fn parse(path: &str) -> Result<Self, ChannelError> {
        Ok(Self { segments: segments_of(path)? })
    }

    /// The channel namespace (first segment).
    pub fn namespace(&self) -> &str {
        &self.segments[0]
    }

    /// All segments, namespace first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

impl fmt::Display for ChannelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

/// A subscription: an exact channel, or a prefix ending in `/*` that matches deeper channels.
///
/// ```
/// use lexstream_protocol::appsync::{ChannelPath, SubscriptionPattern};
/// let all_chat = SubscriptionPattern::parse("/chat/*").unwrap();
/// assert!(all_chat.matches(&ChannelPath::parse("/chat/user-1").unwrap()));
/// assert!(!all_chat.matches(&ChannelPath::parse("/news/user-1").unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionPattern {
    prefix: ChannelPath,
    wildcard: bool,
}

impl SubscriptionPattern {
    /// Parses a subscription channel.
    pub fn parse(pattern: &str) -> Result<Self, ChannelError> {
        match pattern.strip_suffix("/*") {
            Some(prefix) => Ok(Self { prefix: ChannelPath::parse(prefix)?, wildcard: true }),
            None => Ok(Self { prefix: ChannelPath::parse(pattern)?, wildcard: false }),
        }
    }

    /// The namespace the pattern is in.
    pub fn namespace(&self) -> &str {
        self.prefix.namespace()
    }

    /// Whether an event published to `channel` reaches this subscription.
    pub fn matches(&self, channel: &ChannelPath) -> bool {
        let prefix = self.prefix.segments();
        if self.wildcard {
            channel.segments().len() > prefix.len() && channel.segments().starts_with(prefix)
        } else {
            channel.segments() == prefix
        }
    }
}
