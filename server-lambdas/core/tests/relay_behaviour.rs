//! The relay over channels and fakes, in Tokio's paused (virtual, deterministic) time.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{ConnectionRecord, ConnectionStore, ModelRequest, ModelStream};
use lexstream_lambda_core::relay::{
    END_RECONNECT_GRACE, GenerationEnd, RelayLimits, RelayOutcome, StreamTarget, relay,
    relay_with_checkpoints,
};
use lexstream_lambda_core::resume::resume_frames;
use lexstream_lambda_core::testing::{RecordingPusher, ScriptStep, ScriptedModel};
use lexstream_lambda_core::turns::{TurnCheckpoint, TurnRecord, TurnStatus, TurnStore};
use lexstream_lambda_core::{ModelError, ModelErrorKind};
use lexstream_protocol::lex::{Message, MessageContentType};
use lexstream_protocol::{Frame, Incoming, StreamAssembler, parse_incoming};
use proptest::prelude::*;
use tokio::time::Instant;

const SESSION: &str = "us-east-1:visitor";

fn request() -> ModelRequest {
    ModelRequest { model_id: "m".into(), system: None, messages: vec![], max_tokens: 10, temperature: 0.0 }
}

async fn store_with(connection_id: &str) -> MemoryConnectionStore {
    let store = MemoryConnectionStore::default();
    let record = ConnectionRecord {
        session_id: SESSION.into(),
        connection_id: connection_id.into(),
        ttl: 0,
        stop_turn: None,
    };
    store.put(&record).await.unwrap();
    store
}

/// Feeds messages to the widget's assembler the way the widget would.
fn assemble<'a>(messages: impl IntoIterator<Item = &'a String>) -> StreamAssembler {
    let mut turn = StreamAssembler::new("t1");
    for message in messages {
        match parse_incoming(message) {
            Incoming::Frame(frame) => {
                turn.accept(frame);
            }
            other => panic!("relay sent a non-frame: {other:?}"),
        }
    }
    turn
}

fn words(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("w{i} ")).collect()
}

#[tokio::test(start_paused = true)]
async fn a_stop_request_ends_the_answer_early_with_done() {
    let chunks = words(100);
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let model = ScriptedModel::chunks(&refs, Duration::from_millis(50)); // 5 s of generation
    let pusher = RecordingPusher::with_latency(Duration::from_millis(20));
    let store = store_with("c1").await;
    let stopper = store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        // A stop for another turn changes nothing; then this turn's.
        let mut record = stopper.get(SESSION).await.unwrap().unwrap();
        record.stop_turn = Some("t0".into());
        stopper.put(&record).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1000)).await;
        record.stop_turn = Some("t1".into());
        stopper.put(&record).await.unwrap();
    });
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let started = Instant::now();
    let outcome =
        relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;

    assert_eq!(outcome.end, GenerationEnd::StoppedByVisitor);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(2400), "stopped within a check interval, took {elapsed:?}");
    assert!(
        outcome.text.len() < chunks.concat().len() / 2,
        "generation stopped early: {}",
        outcome.text.len()
    );
    let received = pusher.received("c1");
    let turn = assemble(&received);
    assert!(turn.is_complete(), "a done frame closes the stream");
    assert_eq!(turn.text(), outcome.text, "the visitor saw everything that was generated");
}

#[tokio::test(start_paused = true)]
async fn slow_posts_coalesce_so_the_stream_ends_one_round_trip_after_the_model() {
    let chunks = words(100);
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let model = ScriptedModel::chunks(&refs, Duration::from_millis(10)); // 1 s of generation
    let pusher = RecordingPusher::with_latency(Duration::from_millis(100));
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };

    let started = Instant::now();
    let outcome =
        relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;
    let elapsed = started.elapsed();

    assert_eq!(outcome.end, GenerationEnd::Complete);
    assert_eq!(outcome.text, chunks.concat());
    let received = pusher.received("c1");
    let turn = assemble(&received);
    assert_eq!(turn.text(), chunks.concat(), "the widget rebuilds the exact answer");
    assert!(turn.is_complete());
    // Posting each of the 100 chunks and waiting would take 10 s; coalescing takes the model's
    // 1 s plus the rest of the post in flight and one round trip: the last text carries `done`.
    assert!(received.len() <= 12, "{} posts for 100 chunks", received.len());
    assert!(elapsed <= Duration::from_millis(1_210), "stream took {elapsed:?}");
    let last = frames_of(&received).pop();
    assert!(matches!(last, Some(Frame::Chunk { done: true, .. })), "{last:?}");
}

#[tokio::test(start_paused = true)]
async fn a_last_chunk_with_no_room_for_the_end_is_followed_by_a_done_frame() {
    let empty = Frame::Chunk { turn: "t1".into(), seq: 0, text: String::new(), done: false };
    let text = "x".repeat(64 - empty.to_json().len()); // the frame is exactly 64 bytes
    let model = ScriptedModel::chunks(&[&text], Duration::from_millis(1));
    let pusher = RecordingPusher::default();
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let limits = RelayLimits { max_frame_bytes: 64, ..RelayLimits::default() };
    let outcome = relay(model.stream(request()).await.unwrap(), Some(target), "t1", limits).await;
    let frames = frames_of(&pusher.received("c1"));
    assert_eq!(
        frames,
        vec![
            Frame::Chunk { turn: "t1".into(), seq: 0, text, done: false },
            Frame::Done { turn: "t1".into(), seq: 1 }
        ]
    );
    assert_eq!(outcome.next_seq, 2);
}

#[tokio::test(start_paused = true)]
async fn a_widget_that_reconnected_gets_a_snapshot_and_the_rest_on_its_new_connection() {
    let chunks = words(30);
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let model = ScriptedModel::chunks(&refs, Duration::from_millis(20));
    let pusher = RecordingPusher::with_latency(Duration::from_millis(5));
    let store = store_with("old").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "old".into() };

    let stream = model.stream(request()).await.unwrap();
    let reconnect = async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        pusher.mark_gone("old");
        let record = ConnectionRecord {
            session_id: SESSION.into(),
            connection_id: "new".into(),
            ttl: 0,
            stop_turn: None,
        };
        store.put(&record).await.unwrap();
    };
    let (outcome, ()) = tokio::join!(relay(stream, Some(target), "t1", RelayLimits::default()), reconnect);

    assert!(outcome.stream.moved_connection);
    assert_eq!(outcome.stream.stopped, None);
    let on_new = pusher.received("new");
    assert!(on_new[0].contains("\"type\":\"snapshot\""), "first frame on the new connection: {}", on_new[0]);
    // The widget keeps the turn's frames from both connections.
    let turn = assemble(pusher.received("old").iter().chain(&on_new));
    assert_eq!(turn.text(), chunks.concat());
    assert!(turn.is_complete());
    // The new connection alone carries the whole answer (what a reloaded page would show).
    let fresh = assemble(&on_new);
    assert_eq!(fresh.text(), chunks.concat());
    assert!(fresh.is_complete());
}

#[tokio::test(start_paused = true)]
async fn a_closed_connection_without_a_newer_one_stops_streaming_but_not_the_answer() {
    let model = ScriptedModel::chunks(&["a", "b", "c", "d"], Duration::from_millis(50));
    let pusher = RecordingPusher::with_latency(Duration::from_millis(1));
    pusher.mark_gone("c1");
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let outcome =
        relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;
    assert_eq!(outcome.text, "abcd");
    assert_eq!(outcome.end, GenerationEnd::Complete);
    assert!(outcome.stream.stopped.as_deref().unwrap().contains("410"), "{:?}", outcome.stream);
    assert_eq!(outcome.stream.posts, 1, "no further posts after giving up");
}

#[tokio::test(start_paused = true)]
async fn a_model_failure_mid_stream_ends_with_an_error_frame_and_keeps_the_text() {
    let mut model = ScriptedModel::chunks(&["Hello ", "wor"], Duration::from_millis(10));
    let throttled = ModelError::new(ModelErrorKind::Throttled, "Too many requests");
    model.steps.push(ScriptStep::Fail(Duration::from_millis(10), throttled.clone()));
    let pusher = RecordingPusher::default();
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let outcome =
        relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;
    assert_eq!(outcome.text, "Hello wor");
    assert_eq!(outcome.end, GenerationEnd::ModelFailed(throttled));
    let turn = assemble(&pusher.received("c1"));
    assert_eq!(turn.text(), "Hello wor");
    assert!(turn.error().unwrap().contains("busy"), "{:?}", turn.error());
}

#[tokio::test(start_paused = true)]
async fn a_stalled_model_is_cut_at_the_deadline_with_what_it_said() {
    let mut model = ScriptedModel::chunks(&["partial answer"], Duration::from_millis(10));
    model.steps.push(ScriptStep::Stall);
    let pusher = RecordingPusher::default();
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let limits = RelayLimits { deadline: Duration::from_secs(3), ..RelayLimits::default() };
    let started = Instant::now();
    let outcome = relay(model.stream(request()).await.unwrap(), Some(target), "t1", limits).await;
    assert_eq!(outcome.end, GenerationEnd::DeadlineReached);
    assert_eq!(outcome.text, "partial answer");
    assert!(started.elapsed() < Duration::from_millis(3_100));
    assert!(assemble(&pusher.received("c1")).error().is_some());
}

#[tokio::test(start_paused = true)]
async fn text_over_the_frame_limit_is_split_into_frames_that_fit() {
    let big = "é".repeat(40_000); // 80 KB of UTF-8
    let model = ScriptedModel::chunks(&[&big], Duration::from_millis(1));
    let pusher = RecordingPusher::default();
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;
    let received = pusher.received("c1");
    // 80 KB in three frames of at most 32 KB; the last of them also carries the end.
    assert!(received.len() >= 3, "{} frames", received.len());
    assert!(received.iter().all(|m| m.len() <= 32 * 1024));
    let turn = assemble(&received);
    assert_eq!(turn.text(), big);
    assert!(turn.is_complete());
}

#[tokio::test(start_paused = true)]
async fn a_turn_id_too_large_for_any_frame_stops_streaming_but_not_the_answer() {
    // Escaped quotes make the frame's own fields over 32 KB: no frame can carry text.
    let oversized_turn = "\"".repeat(17_000);
    let model = ScriptedModel::chunks(&["still ", "answered"], Duration::from_millis(5));
    let pusher = RecordingPusher::default();
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let outcome =
        relay(model.stream(request()).await.unwrap(), Some(target), &oversized_turn, RelayLimits::default())
            .await;
    assert_eq!(outcome.text, "still answered");
    assert_eq!(outcome.end, GenerationEnd::Complete);
    let stopped = outcome.stream.stopped.unwrap();
    assert!(stopped.contains("turn id"), "{stopped}");
    assert!(pusher.received("c1").is_empty(), "nothing was posted");
}

#[tokio::test(start_paused = true)]
async fn without_a_target_nothing_is_posted_and_the_answer_is_complete() {
    let model = ScriptedModel::chunks(&["x", "y"], Duration::from_millis(1));
    let outcome = relay::<MemoryConnectionStore, RecordingPusher>(
        model.stream(request()).await.unwrap(),
        None,
        "t1",
        RelayLimits::default(),
    )
    .await;
    assert_eq!(outcome.text, "xy");
    assert_eq!(outcome.stream.posts, 0);
}

/// The frames among `messages`, in the order they were received.
fn frames_of<'a>(messages: impl IntoIterator<Item = &'a String>) -> Vec<Frame> {
    messages
        .into_iter()
        .map(|message| match parse_incoming(message) {
            Incoming::Frame(frame) => frame,
            other => panic!("relay sent a non-frame: {other:?}"),
        })
        .collect()
}

/// The text a widget shows from the frames up to `seq` (what a snapshot at `seq` must equal).
fn text_through(frames: &[Frame], seq: Option<u64>) -> String {
    let mut turn = StreamAssembler::new("t1");
    for frame in frames.iter().filter(|frame| Some(frame.seq()) <= seq) {
        turn.accept(frame.clone());
    }
    turn.text().to_owned()
}

#[tokio::test(start_paused = true)]
async fn checkpoints_are_coalesced_and_each_holds_exactly_the_text_of_its_frames() {
    let chunks = words(150);
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let model = ScriptedModel::chunks(&refs, Duration::from_millis(20)); // 3 s of generation
    let pusher = RecordingPusher::with_latency(Duration::from_millis(15));
    let store = store_with("c1").await;
    let claimed = TurnRecord::claimed(SESSION, "t1", 1_700_000_000, 1_700_086_400);
    store.claim(&claimed).await.unwrap();
    let checkpoint = TurnCheckpoint::new(&store, &claimed);
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let outcome = relay_with_checkpoints(
        model.stream(request()).await.unwrap(),
        Some(target),
        Some(&checkpoint),
        "t1",
        RelayLimits::default(),
    )
    .await;

    let saves: Vec<TurnRecord> = store.turn_writes().into_iter().skip(1).collect();
    assert!((2..=4).contains(&saves.len()), "{} checkpoints for 150 chunks over 3 s", saves.len());
    assert_eq!(outcome.checkpoints, saves.len() as u64);
    let frames = frames_of(&pusher.received("c1"));
    assert!(frames.len() > saves.len() * 10, "checkpoints are far fewer than frames ({})", frames.len());
    for save in &saves {
        assert_eq!(save.status, TurnStatus::Streaming);
        assert_eq!(save.ttl, claimed.ttl);
        assert!(!save.text.is_empty());
        assert_eq!(save.text, text_through(&frames, save.text_seq), "a checkpoint is exact at its seq");
        assert_eq!(save.next_seq, save.text_seq.unwrap() + 1);
    }
    // The outcome the fulfillment writes at the end is exact too.
    assert_eq!(outcome.text, chunks.concat());
    assert_eq!(text_through(&frames, outcome.text_seq), outcome.text);
    assert_eq!(outcome.next_seq, frames.last().unwrap().seq() + 1, "the seq after the stream's last frame");
    assert!(matches!(frames.last(), Some(Frame::Done { .. } | Frame::Chunk { done: true, .. })));
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_text_is_checkpointed_every_few_kilobytes_not_only_every_second() {
    let block = "x".repeat(1024);
    let chunks: Vec<&str> = std::iter::repeat_n(block.as_str(), 20).collect();
    let model = ScriptedModel::chunks(&chunks, Duration::from_millis(25)); // 20 KB in 0.5 s
    let store = store_with("c1").await;
    let claimed = TurnRecord::claimed(SESSION, "t1", 1_700_000_000, 1_700_086_400);
    let checkpoint = TurnCheckpoint::new(&store, &claimed);
    let outcome = relay_with_checkpoints::<MemoryConnectionStore, RecordingPusher, _>(
        model.stream(request()).await.unwrap(),
        None,
        Some(&checkpoint),
        "t1",
        RelayLimits::default(),
    )
    .await;
    let saves = store.turn_writes();
    assert!((4..=5).contains(&saves.len()), "{} checkpoints for 20 KB", saves.len());
    // Without a connection, every checkpoint counts its new text as one (lost) frame.
    for pair in saves.windows(2) {
        assert!(pair[1].text.len() >= pair[0].text.len() + 4096);
        assert_eq!(pair[1].text_seq, pair[0].text_seq.map(|seq| seq + 1));
    }
    assert_eq!(outcome.text.len(), 20 * 1024);
    assert_eq!(outcome.next_seq, saves.len() as u64 + 1, "the rest is counted as one more frame");
}

#[tokio::test(start_paused = true)]
async fn drops_with_a_slow_reconnect_and_a_second_drop_still_deliver_every_character_once() {
    let chunks = words(100);
    let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
    let model = ScriptedModel::chunks(&refs, Duration::from_millis(30)); // 3 s of generation
    let pusher = RecordingPusher::with_latency(Duration::from_millis(5));
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let stream = model.stream(request()).await.unwrap();
    // The widget's socket closes, `$disconnect` removes the row, and the widget reconnects
    // 600 ms later; then the same again.
    let started = Instant::now();
    let widget = async {
        for (old, new, dropped_at) in [("c1", "c2", 500), ("c2", "c3", 1_900)] {
            tokio::time::sleep_until(started + Duration::from_millis(dropped_at)).await;
            pusher.mark_gone(old);
            store.delete_if_current(SESSION, old).await.unwrap();
            tokio::time::sleep(Duration::from_millis(600)).await;
            let record = ConnectionRecord {
                session_id: SESSION.into(),
                connection_id: new.into(),
                ttl: 0,
                stop_turn: None,
            };
            store.put(&record).await.unwrap();
        }
    };
    let (outcome, ()) = tokio::join!(relay(stream, Some(target), "t1", RelayLimits::default()), widget);

    assert_eq!(outcome.end, GenerationEnd::Complete);
    assert_eq!(outcome.stream.stopped, None, "{:?}", outcome.stream);
    assert_eq!(outcome.stream.moves, 2);
    let (c1, c2, c3) = (pusher.received("c1"), pusher.received("c2"), pusher.received("c3"));
    assert!(!c2.is_empty() && !c3.is_empty(), "the stream reached both new connections");
    // The widget keeps its turn across connections: it shows every character exactly once.
    let frames = frames_of(c1.iter().chain(&c2).chain(&c3));
    let mut seqs: Vec<u64> = frames.iter().map(Frame::seq).collect();
    seqs.dedup();
    assert_eq!(seqs.len(), frames.len(), "no seq is delivered twice");
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "seqs only go up: {seqs:?}");
    let turn = assemble(c1.iter().chain(&c2).chain(&c3));
    assert_eq!(turn.text(), chunks.concat());
    assert!(turn.is_complete(), "done reached the last connection");
    // A page reloaded onto the last connection also gets the whole answer.
    let fresh = assemble(&c3);
    assert_eq!(fresh.text(), chunks.concat());
    assert!(fresh.is_complete());
}

#[tokio::test(start_paused = true)]
async fn the_end_of_the_stream_waits_briefly_for_a_widget_that_is_reconnecting() {
    let model = ScriptedModel::chunks(&["Hello ", "there"], Duration::from_millis(100));
    let pusher = RecordingPusher::with_latency(Duration::from_millis(5));
    let store = store_with("c1").await;
    let target =
        StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
    let stream = model.stream(request()).await.unwrap();
    let widget = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        pusher.mark_gone("c1");
        // The model is done at 200 ms; the widget is back at 800 ms.
        tokio::time::sleep(Duration::from_millis(650)).await;
        let record = ConnectionRecord {
            session_id: SESSION.into(),
            connection_id: "c2".into(),
            ttl: 0,
            stop_turn: None,
        };
        store.put(&record).await.unwrap();
    };
    let started = Instant::now();
    let (outcome, ()) = tokio::join!(relay(stream, Some(target), "t1", RelayLimits::default()), widget);
    assert!(started.elapsed() < Duration::from_millis(200) + END_RECONNECT_GRACE);
    assert_eq!(outcome.stream.stopped, None);
    let turn = assemble(pusher.received("c1").iter().chain(&pusher.received("c2")));
    assert_eq!(turn.text(), "Hello there");
    assert!(turn.is_complete(), "done reached the new connection");
}

/// The record the fulfillment writes once the relay is done (see `fulfillment.rs`): the outcome's
/// text and seqs, with the answer as the final Lex message.
fn finished_record(claimed: &TurnRecord, outcome: &RelayOutcome) -> TurnRecord {
    TurnRecord {
        status: TurnStatus::after(&outcome.end),
        text: outcome.text.clone(),
        text_seq: outcome.text_seq,
        next_seq: outcome.next_seq,
        messages: Some(vec![Message::text(MessageContentType::PlainText, outcome.text.clone())]),
        ..claimed.clone()
    }
}

/// However many times the widget's socket drops, and however long it takes to reconnect (up
/// to 800 ms, beyond the widget's backoff), the widget — keeping its turn across connections
/// — gets every seq at most once and ends with exactly the answer: from the stream, or, when
/// its last reconnect came after the relay's grace, from the turn's record: what
/// [`resume_frames`] sends for the record the fulfillment writes at the end (a snapshot at its
/// `text_seq` unless the widget has it, then a `final` at its `next_seq`, which ends the turn
/// even after a lost `done` left a gap). Every checkpoint is a prefix of the answer.
fn drops_and_reconnects_deliver_the_exact_answer(
    chunks: &[(String, u64)],
    drops: &[(u64, u64)],
    latency: u64,
) -> Result<(), TestCaseError> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    runtime.block_on(async {
        let steps = chunks
            .iter()
            .map(|(text, wait)| ScriptStep::Text(Duration::from_millis(*wait), text.clone()))
            .collect();
        let model = ScriptedModel { refuse: None, steps, requests: Default::default() };
        let pusher = RecordingPusher::with_latency(Duration::from_millis(latency));
        let store = store_with("c0").await;
        let claimed = TurnRecord::claimed(SESSION, "t1", 1_700_000_000, 1_700_086_400);
        let checkpoint = TurnCheckpoint::new(&store, &claimed);
        let target =
            StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c0".into() };
        let widget = async {
            for (n, (gap, delay)) in drops.iter().enumerate() {
                tokio::time::sleep(Duration::from_millis(*gap)).await;
                let old = format!("c{n}");
                pusher.mark_gone(&old);
                store.delete_if_current(SESSION, &old).await.unwrap();
                tokio::time::sleep(Duration::from_millis(*delay)).await;
                let record = ConnectionRecord {
                    session_id: SESSION.into(),
                    connection_id: format!("c{}", n + 1),
                    ttl: 0,
                    stop_turn: None,
                };
                store.put(&record).await.unwrap();
            }
        };
        let stream = model.stream(request()).await.unwrap();
        let (outcome, ()) = tokio::join!(
            relay_with_checkpoints(stream, Some(target), Some(&checkpoint), "t1", RelayLimits::default()),
            widget
        );

        let expected: String = chunks.iter().map(|(text, _)| text.as_str()).collect();
        prop_assert_eq!(&outcome.text, &expected);
        let received: Vec<String> =
            (0..=drops.len()).flat_map(|n| pusher.received(&format!("c{n}"))).collect();
        let frames = frames_of(&received);
        let seqs: Vec<u64> = frames.iter().map(Frame::seq).collect();
        prop_assert!(
            seqs.windows(2).all(|pair| pair[0] < pair[1]),
            "seqs only go up, none twice: {:?}",
            seqs
        );
        let mut turn = assemble(&received);
        if turn.is_complete() {
            prop_assert_eq!(&outcome.stream.stopped, &None);
        } else {
            prop_assert!(outcome.stream.stopped.as_deref().unwrap_or_default().contains("410"));
            // The widget reconnected too late for the relay: it asks the `resume` route for what
            // it is missing, which answers from the record the fulfillment writes at the end.
            let record = finished_record(&claimed, &outcome);
            let last_applied = turn.last_applied_seq();
            for frame in resume_frames(&record, last_applied) {
                turn.accept(frame);
            }
            prop_assert!(
                turn.is_complete(),
                "the resume after seq {:?} ends the turn: {:?}",
                last_applied,
                record
            );
            prop_assert!(turn.final_messages().is_some(), "the resume ends the turn with its final answer");
        }
        prop_assert_eq!(turn.text(), expected.as_str());
        for save in store.turn_writes() {
            prop_assert!(expected.starts_with(&save.text));
            prop_assert!(save.next_seq <= outcome.next_seq);
        }
        // A page reloaded after the turn (no frames of it) gets the whole answer from the record.
        let mut reloaded = StreamAssembler::new("t1");
        for frame in resume_frames(&finished_record(&claimed, &outcome), None) {
            reloaded.accept(frame);
        }
        prop_assert!(reloaded.is_complete());
        prop_assert_eq!(reloaded.text(), expected.as_str());
        Ok(())
    })
}

/// A case the property once failed on (its model of the resume ended the turn with `done`): the
/// first drop closes the connection while `done` (seq 5) is in flight, the next two connections
/// live too briefly for the relay's checks to see them, and the last one comes after its grace.
/// The widget has seqs 0–4; the record's `next_seq` is 6, and the `final` the resume route sends
/// there ends the turn across the gap the lost `done` left (a `done` at 6 would wait forever).
#[test]
fn a_done_lost_with_the_connection_reaches_the_widget_through_resume() {
    let chunks: Vec<(String, u64)> = [(" ", 6), ("a", 42), ("a", 7), (" ", 49), (" ", 1)]
        .map(|(text, wait)| (text.to_owned(), wait))
        .to_vec();
    drops_and_reconnects_deliver_the_exact_answer(&chunks, &[(139, 17), (98, 402), (30, 470)], 12).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the model's rhythm and the network's latency, the widget rebuilds exactly the
    /// answer, in order, and coalescing never costs more posts than there were chunks.
    #[test]
    fn any_timing_delivers_the_exact_answer(
        chunks in proptest::collection::vec(("(?s).{0,16}", 0u64..40), 0..40),
        latencies in proptest::collection::vec(0u64..80, 1..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        runtime.block_on(async {
            let steps = chunks
                .iter()
                .map(|(text, wait)| ScriptStep::Text(Duration::from_millis(*wait), text.clone()))
                .collect();
            let model = ScriptedModel { refuse: None, steps, requests: Default::default() };
            let pusher = RecordingPusher::with_latencies(latencies.iter().map(|ms| Duration::from_millis(*ms)).collect());
            let store = store_with("c1").await;
            let target = StreamTarget { store: &store, pusher: &pusher, session_id: SESSION, connection_id: "c1".into() };
            let outcome = relay(model.stream(request()).await.unwrap(), Some(target), "t1", RelayLimits::default()).await;

            let expected: String = chunks.iter().map(|(text, _)| text.as_str()).collect();
            prop_assert_eq!(&outcome.text, &expected);
            let received = pusher.received("c1");
            let turn = assemble(&received);
            prop_assert_eq!(turn.text(), expected.as_str());
            prop_assert!(turn.is_complete());
            let nonempty = chunks.iter().filter(|(text, _)| !text.is_empty()).count();
            prop_assert!(received.len() <= nonempty + 1, "{} posts for {} chunks", received.len(), nonempty);
            Ok(())
        })?;
    }

    /// [`drops_and_reconnects_deliver_the_exact_answer`] for any chunks, drops and latency.
    #[test]
    fn any_drops_and_reconnect_delays_deliver_the_exact_answer(
        chunks in proptest::collection::vec(("[a-z ]{1,12}", 0u64..60), 1..40),
        drops in proptest::collection::vec((30u64..800, 0u64..800), 0..5),
        latency in 0u64..40,
    ) {
        drops_and_reconnects_deliver_the_exact_answer(&chunks, &drops, latency)?;
    }
}
