//! Where the fulfillment may stream, failing closed: only through the table (`STREAMING_TABLE`)
//! and the WebSocket API stage (`STREAMING_ENDPOINT`) the deployment configured.
//!
//! The session attributes `streamingDynamoDbTable` and `streamingEndpoint` come from the visitor's
//! client. They say *that* the visitor wants the answer streamed, and must name exactly the
//! configured table and stage (the endpoint in its `https://` form, as the Lex Web UI sends it;
//! plain `http://`/`ws://` only on a loopback host, for the devstack:
//! [`StageEndpoint`](lexstream_protocol::lex::StageEndpoint)). They never choose where frames go
//! or which table is read: a fulfillment without both settings does not stream at all, and says
//! so once, when its configuration is read.

use lexstream_protocol::lex::{
    ATTR_STREAMING_ENDPOINT, ATTR_STREAMING_TABLE, CodeHookEvent, StageEndpoint, StageEndpointError,
};

use crate::config::FulfillmentConfig;

/// Why a turn is answered without streaming.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefusal {
    /// The session carries no streaming attributes: the visitor's client does not stream.
    #[error("the session asks for no streaming")]
    NotRequested,
    /// The deployment did not configure where to stream (logged once, at cold start).
    #[error("{0} is not configured, so nothing is streamed")]
    NotConfigured(&'static str),
    /// `streamingDynamoDbTable` names another table than `STREAMING_TABLE`.
    #[error("streamingDynamoDbTable is not the configured STREAMING_TABLE")]
    ForeignTable,
    /// `streamingEndpoint` is not a URL the fulfillment would post to.
    #[error("streamingEndpoint is refused: {0}")]
    BadEndpoint(StageEndpointError),
    /// `streamingEndpoint` names another stage than `STREAMING_ENDPOINT`.
    #[error("streamingEndpoint is not the configured STREAMING_ENDPOINT")]
    ForeignEndpoint,
}

impl StreamRefusal {
    /// Logs a refusal the session caused; the others say nothing per turn (an unconfigured
    /// deployment said so at cold start, a client that does not stream is the normal case).
    pub fn log(&self) {
        match self {
            Self::NotRequested | Self::NotConfigured(_) => {
                tracing::debug!(reason = %self, "answering without streaming");
            }
            Self::ForeignTable | Self::BadEndpoint(_) | Self::ForeignEndpoint => {
                tracing::warn!(reason = %self, "answering without streaming");
            }
        }
    }
}

/// The URL of the configured stage to post this turn's frames to, if the session asks for
/// streaming and names exactly the configured table and stage.
pub fn stage_to_stream_to(
    event: &CodeHookEvent,
    config: &FulfillmentConfig,
) -> Result<String, StreamRefusal> {
    let attributes = &event.session_state;
    let (Some(table), Some(endpoint)) =
        (attributes.attribute(ATTR_STREAMING_TABLE), attributes.attribute(ATTR_STREAMING_ENDPOINT))
    else {
        return Err(StreamRefusal::NotRequested);
    };
    let allowed_table =
        config.allowed_table.as_deref().ok_or(StreamRefusal::NotConfigured("STREAMING_TABLE"))?;
    let allowed_stage =
        config.allowed_endpoint.as_ref().ok_or(StreamRefusal::NotConfigured("STREAMING_ENDPOINT"))?;
    if table != allowed_table {
        return Err(StreamRefusal::ForeignTable);
    }
    let requested = StageEndpoint::requested(endpoint).map_err(StreamRefusal::BadEndpoint)?;
    if !allowed_stage.is_same_stage(&requested) {
        return Err(StreamRefusal::ForeignEndpoint);
    }
    Ok(allowed_stage.url())
}

/// Says once, when the configuration is read, that this fulfillment will never stream and why.
pub(crate) fn explain_if_streaming_is_off(config: &FulfillmentConfig) {
    let missing: Vec<&str> = [
        config.allowed_table.is_none().then_some("STREAMING_TABLE"),
        config.allowed_endpoint.is_none().then_some("STREAMING_ENDPOINT"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        tracing::warn!(
            missing = %missing.join(", "),
            "streaming is off: answers are never streamed, whatever table or endpoint a session names \
             (session attributes come from the visitor); set STREAMING_TABLE and STREAMING_ENDPOINT \
             to the deployment's own table and WebSocket stage"
        );
    }
    if config.allowed_table.is_none() {
        tracing::warn!("STREAMING_TABLE is not set: no turn records and no conversation history are kept");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGE: &str = "https://abc.execute-api.us-east-1.amazonaws.com/Prod";

    fn config(table: Option<&str>, endpoint: Option<&str>) -> FulfillmentConfig {
        FulfillmentConfig::from_lookup(|name: &str| match name {
            "BEDROCK_MODEL_ID" => Some("m".to_owned()),
            "STREAMING_TABLE" => table.map(str::to_owned),
            "STREAMING_ENDPOINT" => endpoint.map(str::to_owned),
            _ => None,
        })
        .unwrap()
    }

    /// The Lex fixture event with these streaming attributes.
    fn event(table: &str, endpoint: &str) -> CodeHookEvent {
        let fixture = include_str!("../../../protocol/tests/fixtures/lex_event_fallback.json");
        let mut json: serde_json::Value = serde_json::from_str(fixture).unwrap();
        json["sessionState"]["sessionAttributes"]["streamingDynamoDbTable"] = table.into();
        json["sessionState"]["sessionAttributes"]["streamingEndpoint"] = endpoint.into();
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn only_the_configured_table_and_stage_stream_and_frames_go_to_the_configured_url() {
        let deployed =
            config(Some("connections"), Some("wss://abc.execute-api.us-east-1.amazonaws.com/Prod"));
        assert_eq!(stage_to_stream_to(&event("connections", STAGE), &deployed), Ok(STAGE.to_owned()));
        assert_eq!(
            stage_to_stream_to(&event("connections", &format!("{STAGE}/")), &deployed),
            Ok(STAGE.to_owned()),
            "posts go to the configured URL, not the visitor's spelling of it"
        );
        assert_eq!(
            stage_to_stream_to(&event("other-table", STAGE), &deployed),
            Err(StreamRefusal::ForeignTable)
        );
        assert_eq!(
            stage_to_stream_to(&event("connections", "https://attacker.example/Prod"), &deployed),
            Err(StreamRefusal::ForeignEndpoint)
        );
        assert_eq!(
            stage_to_stream_to(
                &event("connections", "http://abc.execute-api.us-east-1.amazonaws.com/Prod"),
                &deployed
            ),
            Err(StreamRefusal::BadEndpoint(StageEndpointError::PlainTextToRemoteHost("http".into())))
        );
        assert_eq!(
            stage_to_stream_to(
                &event("connections", "wss://abc.execute-api.us-east-1.amazonaws.com/Prod"),
                &deployed
            ),
            Err(StreamRefusal::BadEndpoint(StageEndpointError::Scheme("wss".into()))),
            "the https form, as the Lex Web UI sends it"
        );
    }

    #[test]
    fn without_both_settings_nothing_streams() {
        let request = event("connections", STAGE);
        assert_eq!(
            stage_to_stream_to(&request, &config(None, Some(STAGE))),
            Err(StreamRefusal::NotConfigured("STREAMING_TABLE"))
        );
        assert_eq!(
            stage_to_stream_to(&request, &config(Some("connections"), None)),
            Err(StreamRefusal::NotConfigured("STREAMING_ENDPOINT"))
        );
        let mut plain = request;
        plain.session_state.session_attributes = None;
        assert_eq!(
            stage_to_stream_to(&plain, &config(Some("connections"), Some(STAGE))),
            Err(StreamRefusal::NotRequested)
        );
    }

    #[test]
    fn a_local_devstack_streams_over_plain_http_on_loopback_only() {
        let devstack = config(Some("connections"), Some("http://127.0.0.1:8080/Prod"));
        for sent in ["http://127.0.0.1:8080/Prod", "ws://127.0.0.1:8080/Prod", "http://localhost:8080/Prod"] {
            assert_eq!(
                stage_to_stream_to(&event("connections", sent), &devstack),
                Ok("http://127.0.0.1:8080/Prod".to_owned()),
                "{sent}"
            );
        }
        let error = FulfillmentConfig::from_lookup(|name: &str| match name {
            "BEDROCK_MODEL_ID" => Some("m".to_owned()),
            "STREAMING_ENDPOINT" => Some("http://example.com/Prod".to_owned()),
            _ => None,
        })
        .unwrap_err();
        assert!(error.to_string().contains("STREAMING_ENDPOINT"), "{error}");
    }
}
