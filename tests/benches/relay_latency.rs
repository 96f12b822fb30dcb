//! Benchmark: how long after the model finishes does the visitor have the whole answer?
//!
//! Real parts over real sockets: the Bedrock adapter reads the devstack's demo model (real SDK,
//! event-stream framing), and frames go through the real API Gateway management client to the
//! devstack's `@connections`, which adds a fixed latency per post (as a far-away region would).
//! Three strategies, each run several times, medians printed:
//!
//! - `model only`: drain the model stream, post nothing (the floor);
//! - `post and wait`: post each chunk and wait for it before reading on (the AWS samples' way);
//! - `lexstream relay`: read and post concurrently, coalescing while a post is in flight.
//!
//! The last two run twice: to an API Gateway connection and to an AppSync Events channel (HTTP
//! publish through the production `AppSyncPublisher`, the devstack adding the same latency).
//!
//! Run with `cargo xtask bench` (or `cargo bench -p lexstream-e2e --bench relay_latency`).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lexstream_devstack::{DEFAULT_APPSYNC_API_KEY, DevstackConfig, Faults, RunningDevstack};
use lexstream_lambda_core::aws::{
    ApiGatewayPusher, AppSyncPublisher, BedrockClient, BedrockModel, local_sdk_config,
};
use lexstream_lambda_core::config::PublishAuth;
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{
    ChatMessage, ConnectionPusher, ConnectionRecord, ConnectionStore, ModelRequest, ModelStream, Role,
};
use lexstream_lambda_core::relay::{RelayLimits, StreamTarget, relay};
use lexstream_protocol::Frame;

const TOKEN_INTERVAL_MS: u64 = 20;
const POST_LATENCY_MS: u64 = 60;
const RUNS: usize = 5;
const CONNECTION: &str = "bench-connection=";
const SESSION: &str = "bench-session";
const CHANNEL: &str = "/chat/bench";

fn request() -> ModelRequest {
    ModelRequest {
        model_id: "demo".into(),
        system: None,
        messages: vec![ChatMessage { role: Role::User, text: "How fast is streaming?".into() }],
        max_tokens: 512,
        temperature: 0.0,
    }
}

struct Run {
    elapsed: Duration,
    posts: usize,
    chunks: usize,
}

async fn model_only(model: &BedrockModel) -> Run {
    let started = Instant::now();
    let mut deltas = model.stream(request()).await.expect("model stream");
    let mut chunks = 0;
    while let Some(delta) = deltas.next().await {
        delta.expect("model delta");
        chunks += 1;
    }
    Run { elapsed: started.elapsed(), posts: 0, chunks }
}

async fn post_and_wait(model: &BedrockModel, pusher: &impl ConnectionPusher, target: &str) -> Run {
    let started = Instant::now();
    let mut deltas = model.stream(request()).await.expect("model stream");
    let mut seq = 0;
    while let Some(delta) = deltas.next().await {
        let frame = Frame::Chunk { turn: "bench".into(), seq, text: delta.expect("model delta") };
        pusher.push(target, frame.to_json().as_bytes()).await.expect("post");
        seq += 1;
    }
    pusher.push(target, Frame::Done { turn: "bench".into(), seq }.to_json().as_bytes()).await.expect("post");
    let posts = usize::try_from(seq + 1).unwrap_or(usize::MAX);
    Run { elapsed: started.elapsed(), posts, chunks: posts - 1 }
}

async fn lexstream_relay(
    model: &BedrockModel,
    pusher: &impl ConnectionPusher,
    store: &MemoryConnectionStore,
    target: &str,
) -> Run {
    let started = Instant::now();
    let deltas = model.stream(request()).await.expect("model stream");
    let target = StreamTarget { store, pusher, session_id: SESSION, connection_id: target.into() };
    let outcome = relay(deltas, Some(target), "bench", RelayLimits::default()).await;
    assert_eq!(outcome.stream.stopped, None, "streaming failed");
    Run {
        elapsed: started.elapsed(),
        posts: usize::try_from(outcome.stream.posts).unwrap_or(usize::MAX),
        chunks: 0,
    }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|run| run.elapsed);
    runs.swap_remove(runs.len() / 2)
}

async fn start_devstack() -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().expect("address"),
        model: lexstream_devstack::bedrock::DemoModelSettings {
            token_interval: Duration::from_millis(TOKEN_INTERVAL_MS),
        },
        faults: Faults { post_latency_ms: POST_LATENCY_MS, ..Faults::default() },
        ..DevstackConfig::default()
    };
    lexstream_devstack::spawn(config).await.expect("devstack")
}

#[tokio::main]
async fn main() {
    let devstack = start_devstack().await;
    let mut inbox = devstack.state.connections.register(CONNECTION, "127.0.0.1", "bench");
    tokio::spawn(async move { while inbox.recv().await.is_some() {} });
    let sdk_config = local_sdk_config(&devstack.url()).await;
    let model = BedrockModel::new(BedrockClient::new(&sdk_config));
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

    let mut floor = Vec::new();
    let mut naive = Vec::new();
    let mut ours = Vec::new();
    let mut naive_events = Vec::new();
    let mut ours_events = Vec::new();
    for _ in 0..RUNS {
        floor.push(model_only(&model).await);
        naive.push(post_and_wait(&model, &pusher, CONNECTION).await);
        ours.push(lexstream_relay(&model, &pusher, &store, CONNECTION).await);
        naive_events.push(post_and_wait(&model, &publisher, CHANNEL).await);
        ours_events.push(lexstream_relay(&model, &publisher, &store, CHANNEL).await);
    }
    let (floor, naive, ours) = (median(floor), median(naive), median(ours));
    let (naive_events, ours_events) = (median(naive_events), median(ours_events));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "relay_latency: demo model {} chunks, one every {TOKEN_INTERVAL_MS} ms; each post takes {POST_LATENCY_MS} ms; median of {RUNS} runs",
        floor.chunks
    );
    println!("  model only (floor)  {:>8.0} ms", ms(floor.elapsed));
    println!(
        "  post and wait       {:>8.0} ms  {:>4} posts  {:.2}x floor",
        ms(naive.elapsed),
        naive.posts,
        ms(naive.elapsed) / ms(floor.elapsed)
    );
    println!(
        "  lexstream relay     {:>8.0} ms  {:>4} posts  {:.2}x floor",
        ms(ours.elapsed),
        ours.posts,
        ms(ours.elapsed) / ms(floor.elapsed)
    );
    println!(
        "  relay overhead over the floor: {:.0} ms (one post takes {POST_LATENCY_MS} ms); post-and-wait is {:.1}x slower than the relay",
        ms(ours.elapsed) - ms(floor.elapsed),
        ms(naive.elapsed) / ms(ours.elapsed)
    );
    println!("  over AppSync Events (HTTP publish, one event per publish, same latency):");
    println!(
        "  post and wait       {:>8.0} ms  {:>4} publishes  {:.2}x floor",
        ms(naive_events.elapsed),
        naive_events.posts,
        ms(naive_events.elapsed) / ms(floor.elapsed)
    );
    println!(
        "  lexstream relay     {:>8.0} ms  {:>4} publishes  {:.2}x floor; post-and-wait is {:.1}x slower",
        ms(ours_events.elapsed),
        ours_events.posts,
        ms(ours_events.elapsed) / ms(floor.elapsed),
        ms(naive_events.elapsed) / ms(ours_events.elapsed)
    );
    devstack.stop();
}
