//! Benchmark: the widget's main-thread time for one long streamed answer, in a real Chromium.
//!
//! The release widget runs on the devstack in headless Chromium (chromedriver). A visitor asks,
//! and a scripted fulfillment (a stand-in Lambda behind the devstack's `--fulfillment-url`)
//! posts the answer — realistic Markdown of M characters: paragraphs, lists, code, bold — as N
//! v1 `chunk` frames and a `done` through the devstack's `@connections`, as fast as it can, then
//! returns the same Markdown to Lex as one `CustomPayload` message, as a Bedrock fulfillment
//! does. Measured from the visitor pressing Enter to the final answer painted (the bot bubble's
//! `data-state="final"`, then one animation frame):
//!
//! - main-thread CPU: the CPU time the renderer's main thread got for its tasks in that span,
//!   from Chromium's trace (`RunTask` events, what DevTools draws as *Task*; `tdur`);
//! - `TaskDuration`: the delta of DevTools' `Performance.getMetrics` `TaskDuration` (the same
//!   tasks' wall-clock time, read just before Enter and after the paint). On a loaded machine —
//!   this one has 2 cores, and the devstack posting frames, other builds and Chromium's other
//!   processes take turns with the page — a task's wall-clock time includes the time its thread
//!   waited for a core (we saw 920 ms of `TaskDuration` for 370 ms of CPU), so CPU time is the
//!   figure to compare between runs and versions;
//! - the longest task's CPU time, from the same trace;
//! - paints: how many times the streamed text changed on screen (a `MutationObserver` gets each
//!   paint's DOM changes as one batch) — painting less often is cheaper, so this shows the price;
//! - frames received: WebSocket messages the page got by then, of the chunks and the `done`
//!   (counted by a wrapper around `WebSocket` installed before the page's scripts);
//! - first words: `performance.now()` at the Enter `keydown` to the first streamed text put on
//!   the page (the first paint's DOM changes, seen by the same `MutationObserver`);
//! - wall time: `performance.now()` at the Enter `keydown` to after the paint (a
//!   `MutationObserver` of the bubbles' `data-state` tells when the answer is final).
//!
//! Each size runs in a fresh browser, [`RUNS`] times; best and median are printed, and each
//! run's figures (with wall-clock ones) on stderr. The trace records two light categories (tasks
//! and `performance.mark`s): `TaskDuration` with and without it differed by less than run-to-run
//! noise, and the trace's tasks add up to `TaskDuration` within about 1 %.
//!
//! With `LEXSTREAM_TRACE_OUT` (see `lexstream_e2e::TaskTrace`), each run also prints what the
//! main thread's CPU went to ([`lexstream_e2e::TimeBreakdown`]): the worker's batches, the
//! animation-frame callbacks, layout, style, paint, and V8 compiling wasm.
//!
//! Run with `cargo xtask bench render` (it builds the release widget), or with a widget built
//! elsewhere: `LEXSTREAM_DIST=DIR CHROMEDRIVER=… CHROME=… cargo bench -p lexstream-e2e --bench
//! render`. `RENDER_SIZES` (e.g. `2000x20000,4000x40000`) and `RENDER_RUNS` change what runs;
//! `RENDER_WARM=1` measures a page's second answer instead of its first (see [`WARM`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use axum::extract::State;
use axum::http::StatusCode;
use fantoccini::key::Key;
use fantoccini::wd::TimeoutConfiguration;
use lexstream_devstack::connection_table::ConnectionTable;
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::scripted_answer::{CLOSING, markdown_answer, pieces};
use lexstream_e2e::{Browser, MainThreadTasks, WORKER_BATCH_MESSAGES_JS, WidgetPage, built_dist_dir};
use lexstream_lambda_core::aws::{ApiGatewayPusher, SdkConfig, local_sdk_config};
use lexstream_lambda_core::ports::{ConnectionPusher, ConnectionStore};
use lexstream_protocol::Frame;
use lexstream_protocol::lex::{
    ATTR_STREAMING_ENDPOINT, ATTR_STREAMING_TURN_ID, CodeHookEvent, CodeHookResponse, IntentState, Message,
    MessageContentType,
};

/// The sizes of the issue: frames × characters.
const SIZES: [StreamSize; 3] = [
    StreamSize { frames: 200, chars: 20_000 },
    StreamSize { frames: 2_000, chars: 20_000 },
    StreamSize { frames: 4_000, chars: 40_000 },
];
/// Runs per size (`RENDER_RUNS`).
const RUNS: usize = 3;
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The slowest widget may take minutes for the largest answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(600);
/// Time for the page to go idle after the chat opens, before measuring.
const SETTLE: Duration = Duration::from_millis(700);
/// Time for a new trace to reach the renderer before Enter.
const TRACE_START: Duration = Duration::from_millis(300);

/// Installed before the page's scripts: counts the messages every WebSocket receives, on the main
/// thread or in the widget's socket worker (`WORKER_BATCH_MESSAGES` stands for
/// [`WORKER_BATCH_MESSAGES_JS`]).
const COUNT_SOCKET_MESSAGES: &str = r"
    (() => {
        const bench = { messages: 0 };
        Object.defineProperty(window, '__lexstreamBench', { value: bench });
        const NativeWebSocket = window.WebSocket;
        window.WebSocket = class extends NativeWebSocket {
            constructor(...args) {
                super(...args);
                this.addEventListener('message', () => { bench.messages += 1; });
            }
        };
        // The widget's socket may run in a worker, which posts messages in batches.
        const NativeWorker = window.Worker;
        window.Worker = class extends NativeWorker {
            constructor(...args) {
                super(...args);
                this.addEventListener('message', ({ data }) => {
                    bench.messages += (WORKER_BATCH_MESSAGES)(data) ?? 0;
                });
            }
        };
    })();
";

/// Run before Enter: on Enter's `keydown`, notes the time and watches for the newest bot bubble
/// to turn final — told by a `MutationObserver` of the bubbles' `data-state` only (a few
/// callbacks per answer; polling every 20 ms cost the page ~30 tasks, some 5 ms of the
/// main-thread time measured), with a slow poll as a safety net — then waits one animation
/// frame and a task, so the final answer has been painted.
const WATCH_FOR_THE_ANSWER: &str = r#"
    const bench = window.__lexstreamBench;
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const bubbles = () => root.querySelectorAll('[data-testid="bot-message"]');
    const before = bubbles().length;
    bench.painted = new Promise(resolve => {
        let settled = false;
        const watch = () => {
            if (settled || bench.asked === undefined) return;
            const all = bubbles();
            const last = all[all.length - 1];
            const state = all.length > before ? last.dataset.state : null;
            if (state === 'final') {
                settled = true;
                const messages = bench.messages - bench.messagesBefore;
                requestAnimationFrame(() => setTimeout(() => {
                    performance.mark('lexstream-bench-painted');
                    resolve({
                        asked: bench.asked,
                        painted: performance.now(),
                        messages,
                        paints: bench.paints,
                        firstWords: bench.firstWords,
                        ending: last.textContent.slice(-300),
                    });
                }, 0));
            } else if (state === 'failed') {
                settled = true;
                resolve({ failed: last.textContent });
            }
        };
        new MutationObserver(watch).observe(root, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
        const net = () => { watch(); if (!settled) setTimeout(net, 500); };
        // Paints of streamed text: each paint's DOM changes reach an observer as one batch.
        bench.paints = 0;
        new MutationObserver(records => {
            const streamed = node => (node.nodeType === 1 ? node : node.parentElement)?.closest('.lxs-streamed');
            if (bench.asked === undefined || !records.some(record => streamed(record.target))) return;
            bench.paints += 1;
            if (bench.firstWords === undefined) bench.firstWords = performance.now();
        }).observe(root, { subtree: true, childList: true, characterData: true });
        addEventListener('keydown', event => {
            if (event.key !== 'Enter' || bench.asked !== undefined) return;
            bench.asked = performance.now();
            performance.mark('lexstream-bench-enter');
            bench.messagesBefore = bench.messages;
            setTimeout(net, 500);
        }, { capture: true });
    });
"#;

/// With [`WARM`]: the WebSocket messages the page has received so far.
const MESSAGES_RECEIVED: &str = "return window.__lexstreamBench.messages;";

/// With [`WARM`]: how long the message count must stay the same before the measured question
/// is asked — the unmeasured answer's last frames may come after its final answer.
const QUIET: Duration = Duration::from_millis(500);

/// Waits (as an asynchronous WebDriver script) for what [`WATCH_FOR_THE_ANSWER`] resolves.
const AWAIT_THE_PAINT: &str = "window.__lexstreamBench.painted.then(arguments[arguments.length - 1]);";

/// How long an answer is: `frames` chunk frames carrying `chars` characters in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StreamSize {
    frames: usize,
    chars: usize,
}

impl StreamSize {
    /// The visitor's question, which tells the scripted fulfillment what to stream.
    fn question(self) -> String {
        format!("Please stream {} frames with {} characters", self.frames, self.chars)
    }

    /// Reads [`question`](Self::question)'s numbers back.
    fn from_question(text: &str) -> Option<Self> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let before = |unit: &str| {
            let at = words.iter().position(|word| *word == unit)?;
            words.get(at.checked_sub(1)?)?.parse().ok()
        };
        Some(Self { frames: before("frames")?, chars: before("characters")? })
    }

    /// Reads `200x20000`.
    fn parse(text: &str) -> anyhow::Result<Self> {
        let (frames, chars) = text.trim().split_once('x').context("a size is FRAMESxCHARACTERS")?;
        let size = Self { frames: frames.parse()?, chars: chars.parse()? };
        ensure!(size.chars >= 1_000, "{text}: at least 1000 characters");
        ensure!((1..=size.chars).contains(&size.frames), "{text}: 1 to {} frames", size.chars);
        Ok(size)
    }
}

impl std::fmt::Display for StreamSize {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} \u{d7} {}", thousands(self.frames), thousands(self.chars))
    }
}

/// What the scripted fulfillment needs to stream: the connection table and the devstack's
/// service credentials (for `@connections`).
struct ScriptedFulfillment {
    table: ConnectionTable,
    sdk_config: SdkConfig,
}

impl ScriptedFulfillment {
    /// Streams the answer the question asks for, then returns it to Lex.
    async fn answer(&self, event: &CodeHookEvent) -> anyhow::Result<CodeHookResponse> {
        let size = StreamSize::from_question(&event.input_transcript)
            .with_context(|| format!("not a benchmark question: {:?}", event.input_transcript))?;
        let turn = event
            .request_attribute(ATTR_STREAMING_TURN_ID)
            .or_else(|| event.session_state.attribute(ATTR_STREAMING_TURN_ID))
            .context("no streamingTurnId")?;
        let endpoint =
            event.session_state.attribute(ATTR_STREAMING_ENDPOINT).context("no streamingEndpoint")?;
        let connection = self
            .table
            .get(&event.session_id)
            .await?
            .with_context(|| format!("no connection recorded for session {}", event.session_id))?
            .connection_id;
        let pusher = ApiGatewayPusher::new(&self.sdk_config, endpoint);
        let markdown = markdown_answer(size.chars);
        let mut frames: Vec<Frame> = pieces(&markdown, size.frames)
            .into_iter()
            .enumerate()
            .map(|(seq, text)| Frame::Chunk { turn: turn.to_owned(), seq: seq as u64, text, done: false })
            .collect();
        frames.push(Frame::Done { turn: turn.to_owned(), seq: size.frames as u64 });
        for frame in &frames {
            pusher.push(&connection, frame.to_json().as_bytes()).await?;
        }
        let message = Message::text(MessageContentType::CustomPayload, markdown);
        Ok(CodeHookResponse::close(event, IntentState::Fulfilled, vec![message]))
    }
}

/// A devstack whose code hook is the scripted fulfillment, serving `$LEXSTREAM_DIST`.
async fn devstack_with_scripted_fulfillment() -> anyhow::Result<RunningDevstack> {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/2015-03-31/functions/function/invocations", listener.local_addr()?);
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse()?,
        dist_dir: built_dist_dir()?,
        fulfillment_url: Some(url),
        fulfillment_timeout: ANSWER_TIMEOUT,
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await?;
    let fulfillment = Arc::new(ScriptedFulfillment {
        table: devstack.state.table.clone(),
        sdk_config: local_sdk_config(&devstack.url()).await,
    });
    let app = axum::Router::new()
        .route(
            "/2015-03-31/functions/function/invocations",
            post(
                |State(fulfillment): State<Arc<ScriptedFulfillment>>,
                 axum::Json(event): axum::Json<CodeHookEvent>| async move {
                    fulfillment.answer(&event).await.map(axum::Json).map_err(|error| {
                        eprintln!("render: the scripted fulfillment failed: {error:#}");
                        (StatusCode::INTERNAL_SERVER_ERROR, format!("{error:#}"))
                    })
                },
            ),
        )
        .with_state(fulfillment);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(devstack)
}

/// What one run measured.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// WebSocket messages the page got from Enter to the final answer.
    frames_received: u64,
    /// Times the streamed text changed on screen (DOM changes in one batch count once).
    paints: u64,
    /// The main thread's tasks from Enter to the paint, from the trace.
    tasks: MainThreadTasks,
    /// DevTools' `TaskDuration` over the same span (give or take a WebDriver call at each end).
    task_duration: Duration,
    /// From Enter to the first streamed text on the page (none if the final answer came first).
    first_words: Option<Duration>,
    /// From Enter to the paint.
    wall: Duration,
}

/// DevTools' page metrics, by name (durations in seconds).
async fn page_metrics(browser: &Browser) -> anyhow::Result<HashMap<String, f64>> {
    let result = browser.devtools("Performance.getMetrics", serde_json::json!({})).await?;
    let metrics = result["metrics"].as_array().context("Performance.getMetrics returned no metrics")?;
    Ok(metrics
        .iter()
        .filter_map(|metric| Some((metric["name"].as_str()?.to_owned(), metric["value"].as_f64()?)))
        .collect())
}

/// The change of `name` between two readings of [`page_metrics`].
fn metric_delta(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    name: &str,
) -> anyhow::Result<Duration> {
    let reading = |metrics: &HashMap<String, f64>| {
        metrics.get(name).copied().with_context(|| format!("no {name} metric"))
    };
    Ok(Duration::from_secs_f64((reading(after)? - reading(before)?).max(0.0)))
}

/// One visitor asking for an answer of `size` in a fresh browser.
async fn run_once(devstack: &RunningDevstack, size: StreamSize) -> anyhow::Result<Run> {
    let browser = Browser::start().await?;
    let run = measure(&browser, devstack, size).await;
    browser.close().await;
    run
}

/// Opens the chat, types the question, and measures from Enter to the final answer painted.
async fn measure(browser: &Browser, devstack: &RunningDevstack, size: StreamSize) -> anyhow::Result<Run> {
    browser
        .devtools(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({
                "source": COUNT_SOCKET_MESSAGES.replace("WORKER_BATCH_MESSAGES", WORKER_BATCH_MESSAGES_JS)
            }),
        )
        .await?;
    browser.devtools("Performance.enable", serde_json::json!({})).await?;
    browser.client.update_timeouts(TimeoutConfiguration::new(Some(ANSWER_TIMEOUT), None, None)).await?;
    let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
    page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
    let input = page.wait_for("input", LOAD_TIMEOUT).await?;
    if warm() {
        page.ask(&size.question()).await?;
        page.wait_for_answer(CLOSING, ANSWER_TIMEOUT).await.context("the unmeasured first answer")?;
        let mut received = page.run_script(MESSAGES_RECEIVED).await?;
        loop {
            tokio::time::sleep(QUIET).await;
            let now = page.run_script(MESSAGES_RECEIVED).await?;
            if now == received {
                break;
            }
            received = now;
        }
    }
    input.send_keys(&size.question()).await?;
    page.run_script(WATCH_FOR_THE_ANSWER).await?;
    tokio::time::sleep(SETTLE).await;
    let trace = browser.trace_tasks().await?;
    tokio::time::sleep(TRACE_START).await;

    let before = page_metrics(browser).await?;
    input.send_keys(&char::from(Key::Enter).to_string()).await?;
    let seen = browser.client.execute_async(AWAIT_THE_PAINT, vec![]).await?;
    let after = page_metrics(browser).await?;
    if let Some(failed) = seen["failed"].as_str() {
        bail!("the answer failed in the widget: {failed}");
    }
    let tasks = trace.finish("lexstream-bench-enter", "lexstream-bench-painted").await?;
    let ending = seen["ending"].as_str().unwrap_or_default();
    ensure!(ending.contains(CLOSING), "the final answer is not the whole answer; it ends {ending:?}");
    let (asked, painted) = (seen["asked"].as_f64(), seen["painted"].as_f64());
    let (Some(asked), Some(painted)) = (asked, painted) else {
        bail!("the page did not time the run: {seen}")
    };
    let since_asked = |at: f64| Duration::from_secs_f64((at - asked).max(0.0) / 1000.0);
    Ok(Run {
        frames_received: seen["messages"].as_u64().unwrap_or_default(),
        paints: seen["paints"].as_u64().unwrap_or_default(),
        task_duration: metric_delta(&before, &after, "TaskDuration")?,
        tasks,
        first_words: seen["firstWords"].as_f64().map(since_asked),
        wall: since_asked(painted),
    })
}

/// Best and median of the runs' first words, over the runs where text streamed before the
/// final answer ("-" if none did).
fn first_words(measured: &[Run]) -> String {
    let times: Vec<Duration> = measured.iter().filter_map(|run| run.first_words).collect();
    if times.is_empty() {
        return "-".to_owned();
    }
    let (best, median) = best_and_median(times);
    format!("{} / {}", millis(best), millis(median))
}

/// Best (lowest) and median of `values`.
fn best_and_median(mut values: Vec<Duration>) -> (Duration, Duration) {
    values.sort();
    (values.first().copied().unwrap_or_default(), values.get(values.len() / 2).copied().unwrap_or_default())
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 100.0 { thousands(ms.round() as usize) } else { format!("{ms:.1}") }
}

fn thousands(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn sizes() -> anyhow::Result<Vec<StreamSize>> {
    match std::env::var("RENDER_SIZES") {
        Ok(list) => list.split(',').map(StreamSize::parse).collect(),
        Err(_) => Ok(SIZES.to_vec()),
    }
}

/// Set (to anything) to measure a warm answer (`RENDER_WARM`): each run first asks the same
/// question unmeasured in the same page, so the measured answer runs code V8 has already
/// compiled and optimized, after an answer of the same size in the log.
const WARM: &str = "RENDER_WARM";

fn warm() -> bool {
    std::env::var_os(WARM).is_some()
}

fn runs() -> anyhow::Result<usize> {
    match std::env::var("RENDER_RUNS") {
        Ok(runs) => Ok(runs.parse::<usize>().context("RENDER_RUNS is a number")?.max(1)),
        Err(_) => Ok(RUNS),
    }
}

async fn bench() -> anyhow::Result<()> {
    let (sizes, runs) = (sizes()?, runs()?);
    let devstack = devstack_with_scripted_fulfillment().await?;
    println!(
        "render: the widget in {}: from Enter to the {} answer painted, {runs} runs each, best / median",
        built_dist_dir()?.display(),
        if warm() { "second (warm: the same question was asked before in the page)" } else { "first" }
    );
    println!(
        "  {:<15} {:>15} {:>17} {:>17} {:>17} {:>13} {:>9} {:>7}",
        "frames \u{d7} chars",
        "frames received",
        "main thread CPU",
        "TaskDuration",
        "longest task CPU",
        "first words",
        "wall",
        "paints"
    );
    for size in sizes {
        let mut measured = Vec::new();
        for run in 1..=runs {
            let result = run_once(&devstack, size).await.with_context(|| format!("{size}, run {run}"))?;
            let Run { tasks, .. } = result;
            eprintln!(
                "render: {size} run {run}: main thread {} ms CPU in {} tasks ({} ms wall), TaskDuration {} ms, \
                 longest task {} ms CPU ({} ms wall), {} frames, {} paints of streamed text, first words at {} ms, \
                 {} ms from Enter to paint",
                millis(tasks.cpu),
                tasks.count,
                millis(tasks.wall),
                millis(result.task_duration),
                millis(tasks.longest_cpu),
                millis(tasks.longest_wall),
                result.frames_received,
                result.paints,
                result.first_words.map_or_else(|| "-".to_owned(), millis),
                millis(result.wall)
            );
            if let Some(spent) = tasks.breakdown {
                eprintln!(
                    "render: {size} run {run}: of that CPU, worker batches {} ms, animation-frame callbacks {} ms; \
                     layout {} ms, style {} ms (both also inside callbacks that force them), pre-paint, paint and \
                     commit {} ms, wasm compiled on first call {} ms",
                    millis(spent.worker_batches),
                    millis(spent.animation_frames),
                    millis(spent.layout),
                    millis(spent.style),
                    millis(spent.paint),
                    millis(spent.wasm_compile),
                );
            }
            measured.push(result);
        }
        let fewest_frames = measured.iter().map(|run| run.frames_received).min().unwrap_or_default();
        let figure = |of: fn(&Run) -> Duration| {
            let (best, median) = best_and_median(measured.iter().map(of).collect());
            format!("{} / {}", millis(best), millis(median))
        };
        let mut paints: Vec<u64> = measured.iter().map(|run| run.paints).collect();
        paints.sort_unstable();
        println!(
            "  {:<15} {:>15} {:>17} {:>17} {:>17} {:>13} {:>9} {:>7}",
            size.to_string(),
            format!("{fewest_frames} of {}", size.frames + 1),
            figure(|run| run.tasks.cpu),
            figure(|run| run.task_duration),
            figure(|run| run.tasks.longest_cpu),
            first_words(&measured),
            millis(best_and_median(measured.iter().map(|run| run.wall).collect()).1),
            paints.get(paints.len() / 2).copied().unwrap_or_default(),
        );
    }
    println!(
        "  (milliseconds; frames received counts the chunks and the `done`; first words: from Enter to the \
         first streamed text on the page; paints: the median number of times the streamed text changed on \
         screen)"
    );
    devstack.stop();
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(bench())
}
