//! Who may use a channel, and how a client says who it is: the `header-` subprotocol that
//! carries the auth headers on the WebSocket handshake, the body IAM signatures cover, and the
//! per-user channel rule (`/<namespace>/<user>` belongs to that user alone).

use std::collections::BTreeMap;

use super::{AUTH_SUBPROTOCOL_PREFIX, ChannelPath, SubscriptionPattern, base64url, validate_segment};

/// The `Sec-WebSocket-Protocol` token carrying `headers` (JSON, base64url, no padding).
///
/// ```
/// use std::collections::BTreeMap;
/// use lexstream_protocol::appsync::{auth_subprotocol, headers_from_subprotocol};
/// let headers = BTreeMap::from([("host".to_owned(), "example.com".to_owned())]);
/// let token = auth_subprotocol(&headers);
/// assert!(token.starts_with("header-"));
/// assert_eq!(headers_from_subprotocol(&token).unwrap(), headers);
/// ```
pub fn auth_subprotocol(headers: &BTreeMap<String, String>) -> String {
    let json = serde_json::to_string(headers).unwrap_or_else(|_| "{}".to_owned());
    format!("{AUTH_SUBPROTOCOL_PREFIX}{}", base64url::encode(json.as_bytes()))
}

/// The auth headers in a `header-…` subprotocol token; tolerant of padding, the standard base64
/// alphabet and trailing whitespace in the JSON (clients differ on all three).
pub fn headers_from_subprotocol(token: &str) -> Result<BTreeMap<String, String>, String> {
    let encoded = token
        .strip_prefix(AUTH_SUBPROTOCOL_PREFIX)
        .ok_or_else(|| format!("the auth subprotocol must start with {AUTH_SUBPROTOCOL_PREFIX:?}"))?;
    let json = base64url::decode(encoded).ok_or("the auth subprotocol is not base64url")?;
    serde_json::from_slice(json.trim_ascii_end())
        .map_err(|error| format!("the auth subprotocol is not a JSON object of strings: {error}"))
}

/// The body an IAM signature of a realtime operation covers (the request signed is always
/// `POST https://<http-host>/event`): `{}` to connect, `{"channel":…}` to subscribe.
pub fn signed_body(channel: Option<&str>) -> String {
    match channel {
        None => "{}".to_owned(),
        Some(channel) => serde_json::json!({ "channel": channel }).to_string(),
    }
}

/// The channel segment naming a visitor: their Cognito identity id without its `region:`
/// prefix (a channel segment can't hold `:`).
///
/// ```
/// use lexstream_protocol::appsync::user_segment;
/// assert_eq!(user_segment("us-east-1:0b6f-41"), "0b6f-41");
/// ```
pub fn user_segment(identity_id: &str) -> &str {
    identity_id.rsplit(':').next().unwrap_or(identity_id)
}

/// The channel a visitor's answers are published to: `/<namespace>/<user segment>`.
pub fn user_channel(namespace: &str, user: &str) -> String {
    format!("/{namespace}/{user}")
}

/// Why a subscription was refused by the per-user rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelRefusal {
    /// The channel or pattern is not valid at all.
    #[error("{0}")]
    Invalid(String),
    /// It is valid, but not the caller's own channel (wildcards included).
    #[error("only the caller's own channel {own} may be subscribed to, not {requested}")]
    NotOwnChannel {
        /// The channel the caller may use.
        own: String,
        /// What was asked for.
        requested: String,
    },
}

/// The per-user rule, the same in the devstack and in the deployed `onSubscribe` handler: in
/// `namespace`, a caller whose identity is `identity_id` may subscribe to exactly
/// `/<namespace>/<user_segment(identity_id)>` — no other user's channel, no wildcard.
pub fn check_own_channel(namespace: &str, identity_id: &str, requested: &str) -> Result<(), ChannelRefusal> {
    let pattern =
        SubscriptionPattern::parse(requested).map_err(|error| ChannelRefusal::Invalid(error.to_string()))?;
    let user = user_segment(identity_id);
    let own = user_channel(namespace, user);
    let exact = ChannelPath::parse(requested).ok();
    let is_own = exact.as_ref().is_some_and(|channel| {
        channel.namespace() == namespace && channel.segments().len() == 2 && channel.segments()[1] == user
    });
    if is_own && validate_segment(user).is_ok() && pattern.namespace() == namespace {
        Ok(())
    } else {
        Err(ChannelRefusal::NotOwnChannel { own, requested: requested.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VISITOR: &str = "us-east-1:11111111-2222-3333-4444-555555555555";

    #[test]
    fn a_visitor_may_subscribe_to_their_own_channel_only() {
        let own = "/chat/11111111-2222-3333-4444-555555555555";
        assert_eq!(check_own_channel("chat", VISITOR, own), Ok(()));
        for other in [
            "/chat/99999999-2222-3333-4444-555555555555",
            "/chat/*",
            "/chat/11111111-2222-3333-4444-555555555555/*",
            "/other/11111111-2222-3333-4444-555555555555",
            "/chat",
        ] {
            assert!(
                matches!(
                    check_own_channel("chat", VISITOR, other),
                    Err(ChannelRefusal::NotOwnChannel { .. })
                ),
                "{other}"
            );
        }
        assert!(matches!(check_own_channel("chat", VISITOR, "/chat/a b"), Err(ChannelRefusal::Invalid(_))));
    }

    #[test]
    fn the_subprotocol_decoder_is_lenient_where_clients_differ() {
        // `echo "$json" | base64` (AWS's shell example): padded, standard alphabet, newline.
        let token = "header-eyJob3N0IjoiYS5leGFtcGxlIn0K";
        let headers = headers_from_subprotocol(token).unwrap();
        assert_eq!(headers.get("host").map(String::as_str), Some("a.example"));
        assert!(headers_from_subprotocol("header-!!").is_err());
        assert!(headers_from_subprotocol("aws-appsync-event-ws").is_err());
    }
}
