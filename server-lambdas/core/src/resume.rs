//! The `resume` route of `ws-connect`: a widget that reconnected, or reloaded with a turn still
//! pending, catches up on that turn from its stored record.
//!
//! The widget sends `{"action":"resume","turn":"<turn id>","after":<last seq it applied, or
//! null>}` on its (new) connection. The turn is looked up under the connection's *own* session
//! (the session its `$connect` recorded), so a visitor can resume only their own session's
//! turns: the record key `turn#<sessionId>#<turnId>` names the session. Frames go to the
//! caller's connection only:
//! - a `snapshot` at the record's `text_seq` with all text through that frame, unless the widget
//!   already applied that seq (split into a snapshot and chunks ending at `text_seq` when over
//!   the frame limit, so the live stream's next frame follows with no gap);
//! - a `final` frame at the record's `next_seq` with the Lex messages once the turn is finished
//!   (the answer, when Lex's own response never reached the tab). It cannot be split: it goes as
//!   one message of up to API Gateway's 128 KB (delivered in 32 KB WebSocket frames), or not at
//!   all (the widget then keeps Lex's answer, if it has it).
//!
//! A turn still streaming with no text yet gets nothing (the relay's frames will come); no
//! record answers 404 `{"message":"no such turn"}` (the widget falls back on Lex's answer).

use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use lexstream_protocol::limits::{APIGW_MAX_FRAME_BYTES, APIGW_MAX_MESSAGE_BYTES};
use lexstream_protocol::{Frame, ResumeRequest, snapshot_frames_through};

use crate::connect::{now_epoch_seconds, respond_message};
use crate::error::PushError;
use crate::log_hash::hashed;
use crate::ports::{ConnectionPusher, ConnectionStore};
use crate::turns::{TurnRecord, TurnStore};

/// What the widget sends (for the 400 answer to anything else).
const EXPECTED: &str =
    r#"expected {"action":"resume","turn":"<turn id>","after":<last seq applied, or null>}"#;

/// The frames that bring a widget that applied frames through `after` up to date with
/// `record`, in the order to post them. Empty when there is nothing to send yet.
///
/// ```
/// use lexstream_lambda_core::resume::resume_frames;
/// use lexstream_lambda_core::turns::{TurnRecord, TurnStatus};
/// use lexstream_protocol::Frame;
///
/// let mut record = TurnRecord::claimed("s-1", "t-1", 0, 100);
/// record.text = "Hello, wor".into();
/// record.text_seq = Some(3);
/// record.next_seq = 4;
/// let frames = resume_frames(&record, Some(1));
/// assert_eq!(frames, vec![Frame::Snapshot { turn: "t-1".into(), seq: 3, text: "Hello, wor".into() }]);
/// assert!(resume_frames(&record, Some(3)).is_empty(), "the widget already has all of it");
///
/// record.status = TurnStatus::Done;
/// record.messages = Some(vec![]);
/// assert!(matches!(resume_frames(&record, Some(3))[..], [Frame::Final { seq: 4, .. }]));
/// ```
pub fn resume_frames(record: &TurnRecord, after: Option<u64>) -> Vec<Frame> {
    let mut frames = Vec::new();
    let behind = |seq: u64| after.is_none_or(|applied| applied < seq);
    if let Some(text_seq) = record.text_seq.filter(|seq| behind(*seq)) {
        match snapshot_frames_through(&record.turn, text_seq, &record.text, APIGW_MAX_FRAME_BYTES) {
            Ok(snapshot) if snapshot.first().is_some_and(|first| behind(first.seq())) => {
                frames.extend(snapshot);
            }
            Err(error) => {
                tracing::warn!(%error, turn = %record.turn, "the turn's text cannot be framed; sending no snapshot");
            }
            Ok(_) => {
                // The text needs several frames, and the widget already applied the seq the
                // snapshot would take: the pieces would not line up with what it has. It keeps
                // its text; the final answer (below, or Lex's) replaces it.
                tracing::warn!(
                    turn = %record.turn,
                    ?after,
                    text_seq,
                    "the snapshot is too long to resume a widget this far along; sending none"
                );
            }
        }
    }
    if record.status.is_finished() {
        match &record.messages {
            Some(messages) => {
                let last = Frame::Final {
                    turn: record.turn.clone(),
                    seq: record.next_seq,
                    messages: messages.clone(),
                };
                if last.to_json().len() <= APIGW_MAX_MESSAGE_BYTES {
                    frames.push(last);
                } else {
                    tracing::warn!(turn = %record.turn, "the final answer is over API Gateway's message limit; not sent");
                }
            }
            None => {
                tracing::warn!(turn = %record.turn, status = record.status.as_str(), "a finished turn without messages");
            }
        }
    }
    frames
}

/// `{"action":"resume",…}` from `connection_id`: posts what the widget is missing of the turn
/// to that connection, through the pusher `pusher_for` builds (only once there is something
/// to post).
pub(crate) async fn handle_resume<S, P>(
    connection_id: &str,
    body: Option<&str>,
    store: &S,
    pusher_for: impl FnOnce() -> P,
) -> ApiGatewayProxyResponse
where
    S: ConnectionStore + TurnStore,
    P: ConnectionPusher,
{
    let request = match ResumeRequest::parse(body.unwrap_or_default()) {
        Ok(request) => request,
        Err(error) => return respond_message(400, &format!("{error}; {EXPECTED}")),
    };
    let session_id = match store.session_of(connection_id).await {
        Ok(Some(session_id)) => session_id,
        Ok(None) => return respond_message(404, "this connection streams no session"),
        Err(error) => {
            tracing::error!(%connection_id, %error, "could not look up the connection");
            return respond_message(500, "could not look up the connection");
        }
    };
    let record = match store.turn(&session_id, &request.turn).await {
        // DynamoDB deletes expired items lazily: an expired record is gone all the same.
        Ok(Some(record)) if record.ttl > now_epoch_seconds() => record,
        Ok(_) => {
            tracing::info!(session_hash = %hashed(&session_id), turn = %request.turn, "resume of an unknown turn");
            return respond_message(404, "no such turn");
        }
        Err(error) => {
            tracing::error!(session_hash = %hashed(&session_id), %error, "could not read the turn");
            return respond_message(500, "could not read the turn");
        }
    };
    let frames = resume_frames(&record, request.after);
    if frames.is_empty() {
        tracing::info!(session_hash = %hashed(&session_id), turn = %request.turn, after = ?request.after, "resume: nothing to send yet");
        return respond_message(200, "nothing to resume yet");
    }
    let pusher = pusher_for();
    for frame in &frames {
        if let Err(error) = pusher.push(connection_id, frame.to_json().as_bytes()).await {
            tracing::warn!(session_hash = %hashed(&session_id), turn = %request.turn, %error, "resume: posting failed");
            return match error {
                PushError::Gone(_) => respond_message(410, "the connection is gone"),
                _ => respond_message(502, "could not post to the connection"),
            };
        }
    }
    tracing::info!(
        session_hash = %hashed(&session_id),
        turn = %request.turn,
        after = ?request.after,
        frames = frames.len(),
        status = record.status.as_str(),
        "resumed"
    );
    respond_message(200, "resumed")
}

#[cfg(test)]
mod tests {
    use lexstream_protocol::lex::{Message, MessageContentType};

    use super::*;
    use crate::turns::TurnStatus;

    #[test]
    fn a_widget_too_far_along_for_a_split_snapshot_gets_only_the_final_answer() {
        let mut record = TurnRecord::claimed("s-1", "t-1", 0, 100);
        record.text = "z".repeat(APIGW_MAX_FRAME_BYTES * 2);
        record.text_seq = Some(40);
        record.next_seq = 41;
        let split = resume_frames(&record, Some(3));
        let first = split[0].seq();
        assert!(split.len() >= 3 && first > 3, "a snapshot and chunks ending at 40: {first}");
        // This widget applied the seq the snapshot would take: the pieces would misalign.
        assert!(resume_frames(&record, Some(first)).is_empty());
        record.status = TurnStatus::Done;
        record.messages = Some(vec![Message::text(MessageContentType::PlainText, "the answer")]);
        assert!(matches!(resume_frames(&record, Some(first))[..], [Frame::Final { seq: 41, .. }]));
    }
}
