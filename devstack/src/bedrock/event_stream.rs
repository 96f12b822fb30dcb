//! AWS event-stream frames as Bedrock sends them in a streaming response.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

fn encode(message: &Message) -> Bytes {
    let mut out = Vec::new();
    // Writing to a Vec only fails for headers or payloads beyond the format's limits (16 MB).
    write_message_to(message, &mut out).expect("event-stream frames of demo size always encode");
    Bytes::from(out)
}

/// An event frame: `:message-type` event, `:event-type` `event_type`, JSON payload.
pub(crate) fn event(event_type: &'static str, payload: &serde_json::Value) -> Bytes {
    encode(
        &Message::new(payload.to_string().into_bytes())
            .add_header(Header::new(":event-type", HeaderValue::String(event_type.into())))
            .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
            .add_header(Header::new(":message-type", HeaderValue::String("event".into()))),
    )
}

/// An exception frame (e.g. `throttlingException`) that ends the stream with an error.
pub(crate) fn exception(exception_type: &'static str, message: &str) -> Bytes {
    encode(
        &Message::new(serde_json::json!({ "message": message }).to_string().into_bytes())
            .add_header(Header::new(":exception-type", HeaderValue::String(exception_type.into())))
            .add_header(Header::new(":content-type", HeaderValue::String("application/json".into())))
            .add_header(Header::new(":message-type", HeaderValue::String("exception".into()))),
    )
}
