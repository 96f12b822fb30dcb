//! Asking the devstack's demo bot as the widget does, from many visitors at once: the devstack
//! those benchmarks start, and `RecognizeText` with the widget's streaming attributes.

use std::time::Duration;

use aws_sdk_lexruntimev2::operation::recognize_text::builders::RecognizeTextFluentBuilder;
use aws_sdk_lexruntimev2::types::SessionState;
use lexstream_devstack::DevstackConfig;

/// The connection table the devstack is given and the streaming attributes name.
pub const CONNECTION_TABLE: &str = "lexstream-connections";

/// A devstack on a free loopback port whose demo model streams a token every `token_interval`,
/// without the per-visitor limits a deployment sets (benchmark visitors ask back to back and
/// reconnect far more often than a person): those limits are not what the benchmarks measure.
pub fn unthrottled_devstack_config(token_interval: Duration) -> DevstackConfig {
    let mut config =
        DevstackConfig { addr: "127.0.0.1:0".parse().expect("an address"), ..DevstackConfig::default() };
    config.model.token_interval = token_interval;
    config.table_name = CONNECTION_TABLE.to_owned();
    config.answers_per_minute = 0;
    config.connects_per_minute = 0;
    config
}

/// The demo bot's `RecognizeText` for `text` in session `session_id`, with the session attributes
/// the widget sends to have the answer streamed to `stage_url` (`streamingDynamoDbTable`,
/// `streamingEndpoint`) and the turn's id (`streamingTurnId`); `.send()` asks it.
pub fn streaming_question(
    lex: &aws_sdk_lexruntimev2::Client,
    session_id: &str,
    stage_url: &str,
    turn: &str,
    text: String,
) -> RecognizeTextFluentBuilder {
    lex.recognize_text()
        .bot_id("LXSDEMOBOT")
        .bot_alias_id("TSTALIASID")
        .locale_id("en_US")
        .session_id(session_id)
        .text(text)
        .session_state(
            SessionState::builder()
                .session_attributes("streamingDynamoDbTable", CONNECTION_TABLE)
                .session_attributes("streamingEndpoint", stage_url)
                .build(),
        )
        .request_attributes("streamingTurnId", turn)
}
