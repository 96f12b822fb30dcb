//! Benchmark: how long after the model finishes does the visitor have the whole answer?
//!
//! A model that emits 400 chunks at 200 chunks a second (a scripted stream in the bench, each
//! chunk due 5 ms after the last, so every strategy reads the same text on the same schedule)
//! feeds two strategies, each posting over real sockets through the production clients to the
//! devstack, which holds every post 25 ms (a round trip to a nearby region):
//!
//! - `post and wait`: post each chunk and wait for it before reading on (the AWS samples' way);
//! - `lexstream relay`: the production relay (`lexstream_lambda_core::relay`): read and post
//!   concurrently, coalescing what arrives while a post is in flight; the last text and the end
//!   of the stream leave in one post when both are ready.
//!
//! Both run to an API Gateway connection (`ApiGatewayPusher`, `@connections`) and to an AppSync
//! Events channel (`AppSyncPublisher`, HTTP publish). For each: the time to the first delivered
//! frame (the first post the devstack accepted), the total time (until the stream's end was
//! delivered), the model's generation time, the tail after it and the number of posts; medians
//! of 5 runs. The relay's target: total ≤ generation + one round trip + 30 ms.
//!
//! Run with `cargo xtask bench relay` (or `cargo bench -p lexstream-e2e --bench relay_latency`).

use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use lexstream_devstack::{DEFAULT_APPSYNC_API_KEY, DevstackConfig, Faults, RunningDevstack};
use lexstream_lambda_core::PushError;
use lexstream_lambda_core::aws::{ApiGatewayPusher, AppSyncPublisher, local_sdk_config};
use lexstream_lambda_core::config::PublishAuth;
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{ConnectionPusher, ConnectionRecord, ConnectionStore, TextDeltas};
use lexstream_lambda_core::relay::{RelayLimits, StreamTarget, relay};
use lexstream_protocol::Frame;
use tokio::time::Instant;

const CHUNKS: u64 = 400;
const CHUNK_INTERVAL: Duration = Duration::from_millis(5);
const POST_LATENCY_MS: u64 = 25;
/// What the relay may add after the model beyond one round trip.
const TAIL_ALLOWANCE: Duration = Duration::from_millis(30);
const RUNS: usize = 5;
const CONNECTION: &str = "bench-connection=";
const SESSION: &str = "bench-session";
const CHANNEL: &str = "/chat/bench";

/// The scripted model: chunk `i` (a word and a space) is due `(i + 1) × 5 ms` after `start`;
/// the stream ends with the last one.
fn scripted_model(start: Instant) -> TextDeltas {
    Box::pin(futures_util::stream::unfold(0_u64, move |index| async move {
        if index == CHUNKS {
            return None;
        }
        tokio::time::sleep_until(start + CHUNK_INTERVAL * u32::try_from(index + 1).unwrap_or(u32::MAX)).await;
        Some((Ok(format!("word{index} ")), index + 1))
    }))
}

/// When the model's last chunk is due: its generation time.
fn generation_time() -> Duration {
    CHUNK_INTERVAL * u32::try_from(CHUNKS).unwrap_or(u32::MAX)
}

/// A pusher that notes when its first post was delivered.
struct Timed<'p, P> {
    inner: &'p P,
    first_delivered: Mutex<Option<Instant>>,
}

impl<'p, P> Timed<'p, P> {
    fn new(inner: &'p P) -> Self {
        Self { inner, first_delivered: Mutex::new(None) }
    }

    fn first_delivered(&self) -> Option<Instant> {
        *self.first_delivered.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<P: ConnectionPusher> ConnectionPusher for Timed<'_, P> {
    async fn push(&self, connection_id: &str, payload: &[u8]) -> Result<(), PushError> {
        self.inner.push(connection_id, payload).await?;
        self.first_delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert_with(Instant::now);
        Ok(())
    }
}

struct Run {
    first_frame: Duration,
    total: Duration,
    posts: u64,
}

async fn post_and_wait(pusher: &impl ConnectionPusher, target: &str) -> Run {
    let pusher = Timed::new(pusher);
    let started = Instant::now();
    let mut deltas = scripted_model(started);
    let mut seq = 0;
    while let Some(delta) = deltas.next().await {
        let frame =
            Frame::Chunk { turn: "bench".into(), seq, text: delta.expect("model delta"), done: false };
        pusher.push(target, frame.to_json().as_bytes()).await.expect("post");
        seq += 1;
    }
    pusher.push(target, Frame::Done { turn: "bench".into(), seq }.to_json().as_bytes()).await.expect("post");
    let first = pusher.first_delivered().expect("a post was delivered");
    Run { first_frame: first - started, total: started.elapsed(), posts: seq + 1 }
}

async fn lexstream_relay(pusher: &impl ConnectionPusher, store: &MemoryConnectionStore, target: &str) -> Run {
    let pusher = Timed::new(pusher);
    let started = Instant::now();
    let target = StreamTarget { store, pusher: &pusher, session_id: SESSION, connection_id: target.into() };
    let outcome = relay(scripted_model(started), Some(target), "bench", RelayLimits::default()).await;
    assert_eq!(outcome.stream.stopped, None, "streaming failed");
    let first = pusher.first_delivered().expect("a post was delivered");
    Run { first_frame: first - started, total: started.elapsed(), posts: outcome.stream.posts }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|run| run.total);
    runs.swap_remove(runs.len() / 2)
}

async fn start_devstack() -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().expect("address"),
        faults: Faults { post_latency_ms: POST_LATENCY_MS, ..Faults::default() },
        ..DevstackConfig::default()
    };
    lexstream_devstack::spawn(config).await.expect("devstack")
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn print_row(transport: &str, strategy: &str, run: &Run) {
    let tail = run.total.saturating_sub(generation_time());
    println!(
        "  {transport:<12} {strategy:<16} {:>8.0} ms {:>8.0} ms {:>8.0} ms {:>7.1} {:>6}",
        ms(run.first_frame),
        ms(run.total),
        ms(tail),
        ms(tail) / f64::from(u32::try_from(POST_LATENCY_MS).unwrap_or(u32::MAX)),
        run.posts
    );
}

#[tokio::main]
async fn main() {
    let devstack = start_devstack().await;
    let mut inbox = devstack.state.connections.register(CONNECTION, "127.0.0.1", "bench");
    tokio::spawn(async move { while inbox.recv().await.is_some() {} });
    let sdk_config = local_sdk_config(&devstack.url()).await;
    let pusher = ApiGatewayPusher::new(&sdk_config, &devstack.stage_url());
    let store = MemoryConnectionStore::default();
    let record = ConnectionRecord {
        session_id: SESSION.into(),
        connection_id: CONNECTION.into(),
        ttl: 0,
        stop_turn: None,
    };
    store.put(&record).await.expect("store");
    let publisher = AppSyncPublisher::new(
        &sdk_config,
        &format!("{}/event", devstack.url()),
        PublishAuth::ApiKey(DEFAULT_APPSYNC_API_KEY.into()),
    )
    .expect("publisher");

    let mut runs: [Vec<Run>; 4] = Default::default();
    for _ in 0..RUNS {
        let results = [
            post_and_wait(&pusher, CONNECTION).await,
            lexstream_relay(&pusher, &store, CONNECTION).await,
            post_and_wait(&publisher, CHANNEL).await,
            lexstream_relay(&publisher, &store, CHANNEL).await,
        ];
        for (list, run) in runs.iter_mut().zip(results) {
            list.push(run);
        }
    }
    let [naive, ours, naive_events, ours_events] = runs.map(median);
    println!(
        "relay: a model of {CHUNKS} chunks at {} chunks/s ({:.0} ms), each post {POST_LATENCY_MS} ms; median of {RUNS} runs",
        1000 / CHUNK_INTERVAL.as_millis(),
        ms(generation_time())
    );
    println!(
        "  {:<12} {:<16} {:>11} {:>11} {:>11} {:>7} {:>6}",
        "transport", "strategy", "first frame", "total", "after model", "posts'", "posts"
    );
    print_row("API Gateway", "post and wait", &naive);
    print_row("API Gateway", "lexstream relay", &ours);
    print_row("AppSync", "post and wait", &naive_events);
    print_row("AppSync", "lexstream relay", &ours_events);
    let target = generation_time() + Duration::from_millis(POST_LATENCY_MS) + TAIL_ALLOWANCE;
    println!(
        "  (posts' = the time after the model in post round trips.) Relay target: total <= {:.0} ms \
         (generation + 1 round trip + {} ms): API Gateway {}, AppSync {}; post-and-wait takes {:.1}x / {:.1}x the relay's time",
        ms(target),
        TAIL_ALLOWANCE.as_millis(),
        if ours.total <= target { "met" } else { "missed" },
        if ours_events.total <= target { "met" } else { "missed" },
        ms(naive.total) / ms(ours.total),
        ms(naive_events.total) / ms(ours_events.total)
    );
    devstack.stop();
}
