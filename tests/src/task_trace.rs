//! The page's main-thread tasks as Chromium itself records them: a trace taken over the
//! browser's DevTools WebSocket (the `debuggerAddress` chromedriver reports), reduced to the
//! tasks of one renderer's main thread between two `performance.mark()`s the page makes.
//!
//! A task is a complete (`"ph":"X"`) `RunTask` event of the `disabled-by-default-devtools.timeline`
//! category — what DevTools' Performance panel draws as *Task* — on the thread the trace's
//! metadata names `CrRendererMain` in the process that made the marks (category
//! `blink.user_timing`). Each task has its wall-clock duration (`dur`) and the CPU time its thread
//! got (`tdur`): on a busy machine the first counts time the thread waited for a core, the
//! second does not. (chromedriver's own `performance` log can carry a trace too, but it returned
//! some windows empty; this asks Chromium directly.)

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The category of DevTools' `RunTask` events.
const TASK_CATEGORY: &str = "disabled-by-default-devtools.timeline";
/// The category of `performance.mark()`s; the trace records nothing else (but metadata), unless
/// [`TRACE_OUT`] asks for a profile.
const MARK_CATEGORY: &str = "blink.user_timing";
/// When set, the path a trace's raw events are written to (a JSON array, as DevTools' Performance
/// panel loads it), recorded with [`PROFILE_CATEGORIES`] too: what each task spent its time on.
const TRACE_OUT: &str = "LEXSTREAM_TRACE_OUT";
/// Event dispatch, script, style, layout and paint events, and V8's compiling of wasm (each
/// function is compiled on its first call, on the thread that calls it: `wasm.CompileLazy`).
const PROFILE_CATEGORIES: [&str; 4] =
    ["devtools.timeline", "v8.execute", "v8.wasm", "disabled-by-default-v8.wasm.detailed"];
/// V8's sampling profiler, recorded with [`TRACE_OUT`] unless [`NO_SAMPLING`] is set: it names
/// the functions a task ran, but its interruptions cost the page a third more CPU time.
const SAMPLING_CATEGORY: &str = "disabled-by-default-v8.cpu_profiler";
/// Set (to anything) to record a trace without [`SAMPLING_CATEGORY`]: its events' CPU times are
/// then those of an unprofiled run.
const NO_SAMPLING: &str = "LEXSTREAM_TRACE_NO_SAMPLING";

/// The tasks a renderer's main thread ran between two marks (those overlapping the span count
/// whole).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MainThreadTasks {
    /// What the thread's CPU time went to, when the trace recorded [`PROFILE_CATEGORIES`] (with
    /// [`TRACE_OUT`]).
    pub breakdown: Option<TimeBreakdown>,
    /// How many top-level tasks ran.
    pub count: usize,
    /// Their total wall-clock duration.
    pub wall: Duration,
    /// The CPU time the thread got for them.
    pub cpu: Duration,
    /// The longest one's wall-clock duration.
    pub longest_wall: Duration,
    /// The most CPU time one task took.
    pub longest_cpu: Duration,
}

/// Main-thread CPU time by kind of work, from the main thread's events that start between the
/// marks. The
/// kinds overlap where one runs inside another: a script that reads a layout (the scroll
/// follow's `scrollHeight`) pays for it inside its own callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeBreakdown {
    /// Messages from a worker (`HandlePostMessage`): the socket worker's batches of frames.
    pub worker_batches: Duration,
    /// Animation-frame callbacks (`FireAnimationFrame`): the widget's paints of streamed text.
    pub animation_frames: Duration,
    /// Layout (`Layout`), wherever it ran.
    pub layout: Duration,
    /// Style (`UpdateLayoutTree`), wherever it ran.
    pub style: Duration,
    /// Pre-paint, paint, layerizing and commit.
    pub paint: Duration,
    /// V8 compiling wasm functions on their first call (`wasm.CompileLazy`, which holds the
    /// `wasm.CompileBaseline` of the same function).
    pub wasm_compile: Duration,
}

impl TimeBreakdown {
    /// Where an event of `name` counts, if anywhere.
    fn slot(&mut self, name: &str) -> Option<&mut Duration> {
        Some(match name {
            "HandlePostMessage" => &mut self.worker_batches,
            "FireAnimationFrame" => &mut self.animation_frames,
            "Layout" => &mut self.layout,
            "UpdateLayoutTree" => &mut self.style,
            "PrePaint" | "Paint" | "Layerize" | "Commit" => &mut self.paint,
            "wasm.CompileLazy" => &mut self.wasm_compile,
            _ => return None,
        })
    }
}

/// A trace being recorded; [`finish`](Self::finish) ends it.
#[derive(Debug)]
pub struct TaskTrace {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TaskTrace {
    /// Starts tracing every process of the browser whose DevTools listen on `debugger_address`
    /// (`host:port`).
    pub(crate) async fn start(debugger_address: &str) -> anyhow::Result<Self> {
        let version = http_get(debugger_address, "/json/version").await?;
        let url = version["webSocketDebuggerUrl"]
            .as_str()
            .with_context(|| format!("no webSocketDebuggerUrl from {debugger_address}: {version}"))?;
        let (socket, _) = tokio_tungstenite::connect_async(url).await.context("connecting to DevTools")?;
        let mut trace = Self { socket };
        let mut categories = vec![TASK_CATEGORY, MARK_CATEGORY];
        if std::env::var_os(TRACE_OUT).is_some() {
            categories.extend(PROFILE_CATEGORIES);
            if std::env::var_os(NO_SAMPLING).is_none() {
                categories.push(SAMPLING_CATEGORY);
            }
        }
        let config = serde_json::json!({ "includedCategories": categories, "excludedCategories": ["*"] });
        trace
            .call(
                1,
                "Tracing.start",
                serde_json::json!({ "traceConfig": config, "transferMode": "ReportEvents" }),
            )
            .await?;
        Ok(trace)
    }

    /// Ends the trace and returns the main-thread tasks of the page that marked `from` and
    /// `to` (`performance.mark(name)`) between the two marks. Nested tasks (a task run inside
    /// another) count once, as the outer one.
    pub async fn finish(mut self, from: &str, to: &str) -> anyhow::Result<MainThreadTasks> {
        self.send(2, "Tracing.end", serde_json::json!({})).await?;
        let mut events = Vec::new();
        loop {
            let mut message = self.next_message().await?;
            match message["method"].as_str() {
                Some("Tracing.dataCollected") => {
                    if let serde_json::Value::Array(batch) = message["params"]["value"].take() {
                        events.extend(batch);
                    }
                }
                Some("Tracing.tracingComplete") => {
                    if message["params"]["dataLossOccurred"] == true {
                        bail!("Chromium's trace buffer overflowed: some tasks were not recorded");
                    }
                    break;
                }
                _ if message["error"].is_object() => bail!("DevTools Tracing.end: {}", message["error"]),
                _ => {}
            }
        }
        let _ = self.socket.close(None).await;
        if let Some(path) = std::env::var_os(TRACE_OUT) {
            std::fs::write(&path, serde_json::to_vec(&events)?)
                .with_context(|| format!("writing the trace to {}", path.to_string_lossy()))?;
        }
        tasks_between(&events, from, to)
    }

    async fn send(&mut self, id: u64, method: &str, params: serde_json::Value) -> anyhow::Result<()> {
        let command = serde_json::json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .with_context(|| format!("sending {method}"))
    }

    /// Sends a command and waits for its answer.
    async fn call(&mut self, id: u64, method: &str, params: serde_json::Value) -> anyhow::Result<()> {
        self.send(id, method, params).await?;
        loop {
            let message = self.next_message().await?;
            if message["id"] == id {
                if message["error"].is_object() {
                    bail!("DevTools {method}: {}", message["error"]);
                }
                return Ok(());
            }
        }
    }

    async fn next_message(&mut self) -> anyhow::Result<serde_json::Value> {
        loop {
            match self.socket.next().await.context("DevTools closed the connection")?? {
                Message::Text(text) => return Ok(serde_json::from_str(&text)?),
                Message::Close(_) => bail!("DevTools closed the connection"),
                _ => {}
            }
        }
    }
}

/// GETs `path` from `addr` (`host:port`) and reads the body as JSON. (Chromium keeps the
/// connection open, so the body ends at its `Content-Length`.)
async fn http_get(addr: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let mut stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    loop {
        let text = String::from_utf8_lossy(&response);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|line| {
                line.to_ascii_lowercase().strip_prefix("content-length:")?.trim().parse().ok()
            });
            if length.is_some_and(|length: usize| body.len() >= length) {
                return serde_json::from_str(body).with_context(|| format!("{addr}{path} answered {body:?}"));
            }
        }
        let mut buffer = [0; 4096];
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            bail!("{addr}{path} closed the connection before a whole answer: {text:?}");
        }
        response.extend_from_slice(&buffer[..read]);
    }
}

/// One complete `RunTask` event, in microseconds.
#[derive(Debug, Clone, Copy)]
struct Task {
    start: u64,
    wall: u64,
    cpu: u64,
}

/// The main-thread tasks of the process that marked `from` and `to`, between the marks.
fn tasks_between(events: &[serde_json::Value], from: &str, to: &str) -> anyhow::Result<MainThreadTasks> {
    let micros = |event: &serde_json::Value, field: &str| event[field].as_f64().map(|value| value as u64);
    let thread_of = |event: &serde_json::Value| {
        (event["pid"].as_u64().unwrap_or_default(), event["tid"].as_u64().unwrap_or_default())
    };
    let mark = |name: &str| {
        events
            .iter()
            .find(|event| event["cat"] == MARK_CATEGORY && event["name"] == name)
            .and_then(|event| Some((event["pid"].as_u64()?, micros(event, "ts")?)))
            .with_context(|| format!("the trace has no performance.mark({name:?})"))
    };
    let ((pid, start), (_, end)) = (mark(from)?, mark(to)?);
    let main_thread = events
        .iter()
        .find(|event| {
            event["ph"] == "M"
                && event["name"] == "thread_name"
                && event["pid"] == pid
                && event["args"]["name"] == "CrRendererMain"
        })
        .map(thread_of)
        .context("the trace names no CrRendererMain thread in the page's process")?;
    let tasks = events
        .iter()
        .filter(|event| {
            event["ph"] == "X"
                && event["name"] == "RunTask"
                && event["cat"] == TASK_CATEGORY
                && thread_of(event) == main_thread
        })
        .filter_map(|event| {
            Some(Task {
                start: micros(event, "ts")?,
                wall: micros(event, "dur")?,
                cpu: micros(event, "tdur").unwrap_or_default(),
            })
        })
        .filter(|task| task.start + task.wall > start && task.start < end)
        .collect();
    let mut summary = top_level(tasks);
    let recorded_profile = events.iter().any(|event| event["cat"] == PROFILE_CATEGORIES[0]);
    if recorded_profile {
        let mut breakdown = TimeBreakdown::default();
        for event in events.iter().filter(|event| event["ph"] == "X" && thread_of(event) == main_thread) {
            let (Some(at), Some(name)) = (micros(event, "ts"), event["name"].as_str()) else { continue };
            if (start..end).contains(&at)
                && let Some(slot) = breakdown.slot(name)
            {
                *slot += Duration::from_micros(micros(event, "tdur").unwrap_or_default());
            }
        }
        summary.breakdown = Some(breakdown);
    }
    Ok(summary)
}

/// Sums the tasks of one thread, skipping those that start inside an earlier one.
fn top_level(mut tasks: Vec<Task>) -> MainThreadTasks {
    tasks.sort_by_key(|task| task.start);
    let mut summary = MainThreadTasks::default();
    let mut busy_until = 0;
    for task in tasks {
        if task.start < busy_until {
            continue;
        }
        busy_until = task.start + task.wall;
        let (wall, cpu) = (Duration::from_micros(task.wall), Duration::from_micros(task.cpu));
        summary.count += 1;
        summary.wall += wall;
        summary.cpu += cpu;
        summary.longest_wall = summary.longest_wall.max(wall);
        summary.longest_cpu = summary.longest_cpu.max(cpu);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_name(pid: u64, name: &str) -> serde_json::Value {
        serde_json::json!({ "ph": "M", "name": "thread_name", "pid": pid, "tid": pid, "args": { "name": name } })
    }

    /// A task as Chromium writes it (`ts` as a float, microseconds).
    fn task(pid: u64, ts: u64, dur: u64, tdur: u64) -> serde_json::Value {
        serde_json::json!({
            "ph": "X", "name": "RunTask", "cat": TASK_CATEGORY, "pid": pid, "tid": pid,
            "ts": ts as f64, "dur": dur, "tdur": tdur,
        })
    }

    fn mark(pid: u64, name: &str, ts: u64) -> serde_json::Value {
        serde_json::json!({ "ph": "R", "name": name, "cat": MARK_CATEGORY, "pid": pid, "tid": pid, "ts": ts as f64 })
    }

    #[test]
    fn the_marking_pages_main_thread_tasks_between_the_marks_count_nested_ones_once() {
        let events = vec![
            task(1, 0, 5_000, 5_000), // before the first mark
            task(1, 10_000, 30_000, 20_000),
            mark(1, "from", 10_500),
            task(1, 10_200, 5_000, 5_000), // nested in the task above
            task(1, 50_000, 70_000, 60_000),
            mark(1, "to", 119_000),
            task(1, 130_000, 1_000, 1_000),  // after the last mark
            task(2, 20_000, 90_000, 90_000), // another renderer
            thread_name(1, "CrRendererMain"),
            thread_name(2, "CrRendererMain"),
        ];
        let tasks = tasks_between(&events, "from", "to").unwrap();
        assert_eq!(tasks.count, 2);
        assert_eq!(tasks.wall, Duration::from_millis(100));
        assert_eq!(tasks.cpu, Duration::from_millis(80));
        assert_eq!(tasks.longest_wall, Duration::from_millis(70));
        assert_eq!(tasks.longest_cpu, Duration::from_millis(60));
    }

    /// An event inside a task, of a profile category.
    fn inside(pid: u64, name: &str, ts: u64, tdur: u64) -> serde_json::Value {
        serde_json::json!({
            "ph": "X", "name": name, "cat": PROFILE_CATEGORIES[0], "pid": pid, "tid": pid,
            "ts": ts as f64, "dur": tdur, "tdur": tdur,
        })
    }

    #[test]
    fn a_profiled_trace_says_what_the_main_threads_time_went_to_between_the_marks() {
        let events = vec![
            thread_name(1, "CrRendererMain"),
            mark(1, "from", 1_000),
            task(1, 2_000, 10_000, 9_000),
            inside(1, "HandlePostMessage", 2_100, 4_000),
            inside(1, "wasm.CompileLazy", 2_200, 500),
            inside(1, "wasm.CompileBaseline", 2_250, 400), // inside the lazy compile
            inside(1, "FireAnimationFrame", 6_500, 3_000),
            inside(1, "Layout", 7_000, 2_000),
            inside(1, "Paint", 9_600, 700),
            inside(1, "Commit", 10_400, 300),
            inside(1, "FunctionCall", 2_150, 3_000), // no kind of its own
            inside(1, "Layout", 500, 9_000),         // before the first mark
            inside(2, "Layout", 3_000, 9_000),       // another thread
            mark(1, "to", 20_000),
        ];
        let breakdown = tasks_between(&events, "from", "to").unwrap().breakdown.unwrap();
        let ms = |micros| Duration::from_micros(micros);
        assert_eq!(
            breakdown,
            TimeBreakdown {
                worker_batches: ms(4_000),
                animation_frames: ms(3_000),
                layout: ms(2_000),
                style: ms(0),
                paint: ms(1_000),
                wasm_compile: ms(500),
            }
        );
        // Without the profile's events there is nothing to break down.
        let tasks_only: Vec<_> =
            events.into_iter().filter(|event| event["cat"] != PROFILE_CATEGORIES[0]).collect();
        assert_eq!(tasks_between(&tasks_only, "from", "to").unwrap().breakdown, None);
    }

    #[test]
    fn a_trace_without_the_marks_or_the_main_thread_is_an_error() {
        let events = vec![task(1, 0, 10, 10), mark(1, "from", 0), mark(1, "to", 20)];
        let error = tasks_between(&events, "from", "to").unwrap_err();
        assert!(error.to_string().contains("CrRendererMain"), "{error}");
        let error = tasks_between(&events, "from", "missing").unwrap_err();
        assert!(error.to_string().contains("performance.mark(\"missing\")"), "{error}");
    }
}
