//! Async answers: the fulfillment hands a streamed turn to the answer worker and answers Lex
//! with a placeholder naming the turn; a retry of that turn gets the placeholder again without
//! asking the model; the worker generates once, ends the stream with a `final` frame, and skips
//! duplicate or late deliveries of the same job.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Mutex;
use std::time::Duration;

use lexstream_lambda_core::fulfillment::handle_fulfillment_with;
use lexstream_lambda_core::ports::AnswerHandover;
use lexstream_lambda_core::testing::ScriptedModel;
use lexstream_lambda_core::turns::{TurnStatus, TurnStore};
use lexstream_lambda_core::worker::{AnswerJob, JobOutcome, handle_answer_job};
use lexstream_protocol::lex::{ATTR_PENDING_TURN, CodeHookEvent, CodeHookResponse};
use lexstream_protocol::{Frame, Incoming, parse_incoming};

mod common;

use common::{CONNECTION, VISITOR, backend_with_connection, deployed_config};
const TURN: &str = "turn-async-1";

/// Records the jobs it is handed, as Lambda's event queue would take them.
#[derive(Debug, Default)]
struct QueuedJobs(Mutex<Vec<AnswerJob>>);

impl AnswerHandover for QueuedJobs {
    async fn hand_over(&self, job: &AnswerJob) -> Result<(), String> {
        self.0.lock().unwrap().push(job.clone());
        Ok(())
    }
}

/// The fixture event asking with [`TURN`].
fn turn_event() -> CodeHookEvent {
    common::lex_event(|json| json["requestAttributes"] = serde_json::json!({ "streamingTurnId": TURN }))
}

fn pending_turn(response: &CodeHookResponse) -> Option<&str> {
    response.session_state.session_attributes.as_ref()?.get(ATTR_PENDING_TURN).map(String::as_str)
}

#[tokio::test(start_paused = true)]
async fn the_fulfillment_hands_over_and_a_retry_gets_the_placeholder_without_the_model() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["never ", "here"], Duration::from_millis(10));
    let queue = QueuedJobs::default();
    let config = deployed_config(&[("ANSWER_WORKER_FUNCTION", "answer-worker")]);
    let first = handle_fulfillment_with(turn_event(), &model, &backend, &queue, &config).await;
    assert_eq!(pending_turn(&first), Some(TURN), "{first:?}");
    let retry = handle_fulfillment_with(turn_event(), &model, &backend, &queue, &config).await;
    assert_eq!(pending_turn(&retry), Some(TURN), "the retry waits for the same stream: {retry:?}");
    assert!(model.requests().is_empty(), "the fulfillment never asked the model");
    assert_eq!(queue.0.lock().unwrap().len(), 1, "one job");
}

#[tokio::test(start_paused = true)]
async fn the_worker_answers_once_ends_with_a_final_frame_and_skips_duplicates() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["A long ", "answer."], Duration::from_millis(10));
    let queue = QueuedJobs::default();
    let config = deployed_config(&[("ANSWER_WORKER_FUNCTION", "answer-worker")]);
    handle_fulfillment_with(turn_event(), &model, &backend, &queue, &config).await;
    let job = queue.0.lock().unwrap()[0].clone();

    assert_eq!(handle_answer_job(job.clone(), &model, &backend, &config).await, JobOutcome::Answered);
    let frames: Vec<Frame> = backend
        .pusher
        .received(CONNECTION)
        .iter()
        .filter_map(|message| match parse_incoming(message) {
            Incoming::Frame(frame) => Some(frame),
            _ => None,
        })
        .collect();
    match frames.last() {
        Some(Frame::Final { messages, .. }) => {
            assert_eq!(messages[0].content.as_deref(), Some("A long answer."));
        }
        other => panic!("the stream ends with a final frame: {other:?}"),
    }
    let record = backend.store.turn(VISITOR, TURN).await.unwrap().unwrap();
    assert_eq!(record.status, TurnStatus::Done);

    // Lambda may deliver the same event twice: the second delivery generates nothing.
    assert_eq!(handle_answer_job(job, &model, &backend, &config).await, JobOutcome::Skipped);
    assert_eq!(model.requests().len(), 1, "one generation");
}

#[tokio::test(start_paused = true)]
async fn a_job_with_a_turn_id_that_breaks_the_rule_is_skipped() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["never"], Duration::from_millis(10));
    let config = deployed_config(&[("ANSWER_WORKER_FUNCTION", "answer-worker")]);
    let job = AnswerJob { event: turn_event(), turn: "turn#1".into() };
    assert_eq!(handle_answer_job(job, &model, &backend, &config).await, JobOutcome::Skipped);
    assert!(model.requests().is_empty());
    assert!(backend.pusher.received(CONNECTION).is_empty());
}
