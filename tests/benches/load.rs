//! Load: many visitors asking the devstack at the same moment, each through the real path.
//!
//! For each size N (`LOAD_VISITORS`, default `1 25 100 200 500`) a fresh devstack starts and N
//! visitors get ready as the widget does: each its own Cognito identity and credentials (the real
//! SDK client) and its own WebSocket, presigned with them. Then all ask one question at once:
//! Lex V2 `RecognizeText` (the real SDK client, the widget's streaming session attributes), so
//! the devstack's Lex invokes the in-process `lex-fulfillment`, which streams the demo model (one
//! token every 20 ms, about 70 tokens) from the devstack's Bedrock and posts frames through the
//! real API Gateway management client to the devstack's `@connections`, which sends them down
//! each visitor's socket. Visitors read their frames with `parse_incoming` into a
//! `StreamAssembler`.
//!
//! Per size it prints:
//! - **answers**: visitors whose Lex answer came and whose stream ended (`done`) with exactly
//!   Lex's text;
//! - **lost / out of order**: by `seq`, frames never received (of `0..=done.seq`), and frames
//!   that arrived after a later one;
//! - **first frame** (from asking to the first frame) and **inter-frame** (between one frame's
//!   arrival and the next), p50 and p99 over all visitors;
//! - **answer** (from asking to both Lex's answer and `done`), p50 and p99, and the **slowdown**:
//!   the p50 against the one-visitor run's (run first when not listed);
//! - **devstack CPU per frame**: the CPU time (user + system, `/proc/self/task/*/stat`) of the
//!   devstack's own runtime threads while the visitors ask, divided by the frames delivered. The
//!   devstack runs on its own tokio runtime whose threads are named `devstack-rt`, the visitors
//!   on another (`visitors-rt`), so this counts everything the devstack process would do — its
//!   HTTP servers, Lex, Bedrock's demo model, DynamoDB, `@connections`, the WebSockets, and the
//!   in-process fulfillment with its SDK clients — and nothing of the visitors' clients;
//! - **peak RSS**: the whole process's `VmHWM` (devstack and visitors), reset before each size.
//!
//! Run with `cargo xtask bench load` (or `cargo bench -p lexstream-e2e --bench load`), e.g.
//! `LOAD_VISITORS="1 200" cargo xtask bench load`. Figures, not pass/fail: the run fails only
//! when the devstack cannot start or a visitor cannot get ready.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lexstream_e2e::{
    Visitor, VisitorSocket, ensure_open_files, peak_rss_kib, reset_peak_rss, streaming_question,
    thread_cpu_time, unthrottled_devstack_config,
};
use lexstream_protocol::{Frame, Incoming, StreamAssembler, parse_incoming};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// The demo model's pace: about 70 tokens, so about 1.4 s per answer.
const TOKEN_INTERVAL: Duration = Duration::from_millis(20);
/// How long a visitor waits for its answer before counting it incomplete.
const ANSWER_LIMIT: Duration = Duration::from_secs(60);
/// The names of the devstack's runtime threads, and of the visitors'.
const DEVSTACK_THREADS: &str = "devstack-rt";
const VISITOR_THREADS: &str = "visitors-rt";
/// Sockets and files one visitor costs this process, both ends counted (its WebSocket, its Lex
/// and Cognito connections, the fulfillment's connections for its answer), with room to spare.
const OPEN_FILES_PER_VISITOR: u64 = 12;

/// A visitor ready to ask.
struct ReadyVisitor {
    visitor: Visitor,
    lex: aws_sdk_lexruntimev2::Client,
    socket: VisitorSocket,
}

/// What one visitor saw of its answer.
#[derive(Debug, Default)]
struct Seen {
    complete: bool,
    frames: u64,
    lost: u64,
    out_of_order: u64,
    first_frame: Option<Duration>,
    gaps: Vec<Duration>,
    answer: Option<Duration>,
}

/// The frames' `seq`s in arrival order, with their arrival times.
#[derive(Debug, Default)]
struct Arrivals {
    seqs: Vec<u64>,
    times: Vec<Instant>,
    done_seq: Option<u64>,
}

impl Arrivals {
    fn record(&mut self, frame: &Frame, at: Instant) {
        if let Frame::Done { seq, .. } = frame {
            self.done_seq = Some(*seq);
        }
        self.seqs.push(frame.seq());
        self.times.push(at);
    }

    /// Frames of `0..=last` never received, `last` being `done`'s seq (or the highest seen).
    fn lost(&self) -> u64 {
        let unique: BTreeSet<u64> = self.seqs.iter().copied().collect();
        let Some(last) = self.done_seq.or_else(|| unique.last().copied()) else { return 0 };
        (last + 1).saturating_sub(unique.range(..=last).count() as u64)
    }

    /// Frames that arrived after a frame with a higher `seq`.
    fn out_of_order(&self) -> u64 {
        let mut highest = None;
        let mut late = 0;
        for &seq in &self.seqs {
            if highest.is_some_and(|highest| seq < highest) {
                late += 1;
            }
            highest = highest.max(Some(seq));
        }
        late
    }

    fn gaps(&self) -> Vec<Duration> {
        self.times.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }
}

async fn get_ready(devstack_url: String, stage_url: String) -> ReadyVisitor {
    let visitor = Visitor::sign_in(&devstack_url).await.expect("the visitor signs in");
    let lex = visitor.lex_client(&devstack_url).await;
    let socket = visitor.open_socket(&stage_url).await.expect("the devstack accepts the socket");
    ReadyVisitor { visitor, lex, socket }
}

/// One visitor asks and reads its socket until Lex has answered and the stream is done.
async fn ask(ready: ReadyVisitor, stage_url: String, number: usize) -> Seen {
    let ReadyVisitor { visitor, lex, mut socket } = ready;
    let turn = format!("load-{number}");
    let text = format!("Load question of visitor {number}");
    let asked = Instant::now();
    let question = streaming_question(&lex, &visitor.identity_id, &stage_url, &turn, text).send();
    let mut question = Box::pin(question);
    let mut answer: Option<String> = None;
    let mut answered_at = None;
    let mut assembler = StreamAssembler::new(turn.clone());
    let mut arrivals = Arrivals::default();
    let deadline = tokio::time::sleep(ANSWER_LIMIT);
    tokio::pin!(deadline);
    while !(assembler.is_complete() && answer.is_some()) {
        tokio::select! {
            result = &mut question, if answer.is_none() => {
                let output = result.expect("Lex answers every question");
                let messages = output.messages().iter().filter_map(|m| m.content()).collect::<Vec<_>>();
                answer = Some(messages.join("\n"));
                answered_at = Some(Instant::now());
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let at = Instant::now();
                    if let Incoming::Frame(frame) = parse_incoming(text.as_str()) {
                        arrivals.record(&frame, at);
                        assembler.accept(frame);
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            () = &mut deadline => break,
        }
    }
    let streamed_all =
        answer.as_deref().is_some_and(|answer| assembler.text().trim_end() == answer.trim_end());
    let done_at = arrivals.done_seq.and(arrivals.times.last().copied());
    Seen {
        complete: assembler.is_complete() && streamed_all,
        frames: arrivals.seqs.len() as u64,
        lost: arrivals.lost(),
        out_of_order: arrivals.out_of_order(),
        first_frame: arrivals.times.first().map(|first| *first - asked),
        gaps: arrivals.gaps(),
        answer: done_at.zip(answered_at).map(|(done, answered)| done.max(answered) - asked),
    }
}

/// The figures of one size.
#[derive(Debug)]
struct Row {
    visitors: usize,
    complete: usize,
    frames: u64,
    lost: u64,
    out_of_order: u64,
    first_frame: Vec<Duration>,
    gaps: Vec<Duration>,
    answers: Vec<Duration>,
    devstack_cpu: Duration,
    wall: Duration,
    peak_rss_kib: Option<u64>,
}

fn run_size(devstack_runtime: &Runtime, visitor_runtime: &Runtime, visitors: usize) -> Row {
    let devstack = devstack_runtime
        .block_on(lexstream_devstack::spawn(unthrottled_devstack_config(TOKEN_INTERVAL)))
        .expect("the devstack starts");
    let (url, stage_url) = (devstack.url(), devstack.stage_url());
    let ready = visitor_runtime.block_on(async {
        let tasks = (0..visitors).map(|_| tokio::spawn(get_ready(url.clone(), stage_url.clone())));
        futures_util::future::join_all(tasks).await
    });
    reset_peak_rss();
    let cpu_before = thread_cpu_time(DEVSTACK_THREADS);
    let started = Instant::now();
    let seen = visitor_runtime.block_on(async {
        let tasks = ready.into_iter().enumerate().map(|(number, ready)| {
            let ready = ready.expect("a visitor got ready");
            tokio::spawn(ask(ready, stage_url.clone(), number))
        });
        futures_util::future::join_all(tasks).await
    });
    let wall = started.elapsed();
    let devstack_cpu = thread_cpu_time(DEVSTACK_THREADS).saturating_sub(cpu_before);
    let peak_rss_kib = peak_rss_kib();
    devstack.stop();
    let mut row = Row {
        visitors,
        complete: 0,
        frames: 0,
        lost: 0,
        out_of_order: 0,
        first_frame: Vec::new(),
        gaps: Vec::new(),
        answers: Vec::new(),
        devstack_cpu,
        wall,
        peak_rss_kib,
    };
    for seen in seen {
        let seen = seen.expect("a visitor's task ends");
        row.complete += usize::from(seen.complete);
        row.frames += seen.frames;
        row.lost += seen.lost;
        row.out_of_order += seen.out_of_order;
        row.first_frame.extend(seen.first_frame);
        row.gaps.extend(seen.gaps);
        row.answers.extend(seen.answer);
    }
    row
}

/// The `p`-th percentile (0–100) of `values`, in milliseconds.
fn percentile(values: &[Duration], p: usize) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let Some(last) = sorted.len().checked_sub(1) else { return f64::NAN };
    let index = (sorted.len() * p).div_ceil(100).saturating_sub(1).min(last);
    sorted[index].as_secs_f64() * 1000.0
}

fn print_row(row: &Row, baseline_p50: f64) {
    let answer_p50 = percentile(&row.answers, 50);
    let cpu_ms = row.devstack_cpu.as_secs_f64() * 1000.0;
    let per_frame = if row.frames == 0 { f64::NAN } else { cpu_ms / row.frames as f64 };
    let rss = row.peak_rss_kib.map_or_else(|| "?".to_owned(), |kib| format!("{:.0}", kib as f64 / 1024.0));
    println!(
        "{:>8} {:>5}/{:<5} {:>6} {:>4} {:>5} {:>7.0} {:>7.0} {:>7.0} {:>7.0} {:>7.0} {:>7.0} {:>5.2}x {:>7.0} {:>8.3} {:>6.1} {:>6}",
        row.visitors,
        row.complete,
        row.visitors,
        row.frames,
        row.lost,
        row.out_of_order,
        percentile(&row.first_frame, 50),
        percentile(&row.first_frame, 99),
        percentile(&row.gaps, 50),
        percentile(&row.gaps, 99),
        answer_p50,
        percentile(&row.answers, 99),
        answer_p50 / baseline_p50,
        cpu_ms,
        per_frame,
        row.wall.as_secs_f64(),
        rss,
    );
}

/// The sizes to run, from `LOAD_VISITORS`; one visitor first, the baseline of the slowdown.
fn sizes() -> Vec<usize> {
    let listed = std::env::var("LOAD_VISITORS").unwrap_or_else(|_| "1 25 100 200 500".to_owned());
    let mut sizes: Vec<usize> =
        listed.split_whitespace().filter_map(|size| size.parse().ok()).filter(|&size| size > 0).collect();
    if sizes.first() != Some(&1) {
        sizes.retain(|&size| size != 1);
        sizes.insert(0, 1);
    }
    sizes
}

fn runtime(thread_name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(thread_name)
        // Exited threads' CPU time can no longer be read: keep the blocking pool's threads alive.
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn main() {
    let sizes = sizes();
    let largest = sizes.iter().copied().max().unwrap_or(1) as u64;
    let open_files = ensure_open_files(largest * OPEN_FILES_PER_VISITOR + 256);
    let devstack_runtime = runtime(DEVSTACK_THREADS);
    let visitor_runtime = runtime(VISITOR_THREADS);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load: N visitors ask the demo bot at once (demo model one token every {} ms); open files limit {}; \
         load average before: {}",
        TOKEN_INTERVAL.as_millis(),
        open_files.map_or_else(|| "?".to_owned(), |limit| limit.to_string()),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "{:>8} {:>11} {:>6} {:>4} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>7} {:>8} {:>6} {:>6}",
        "visitors",
        "answers",
        "frames",
        "lost",
        "order",
        "1st p50",
        "1st p99",
        "gap p50",
        "gap p99",
        "ans p50",
        "ans p99",
        "slower",
        "cpu ms",
        "ms/frame",
        "wall s",
        "RSS MB"
    );
    let mut baseline_p50 = f64::NAN;
    for visitors in sizes {
        let row = run_size(&devstack_runtime, &visitor_runtime, visitors);
        if visitors == 1 {
            baseline_p50 = percentile(&row.answers, 50);
        }
        print_row(&row, baseline_p50);
        // Let the closed connections' `$disconnect`s finish before the next size.
        std::thread::sleep(Duration::from_secs(1));
    }
    println!(
        "answers: Lex answered and the stream ended with Lex's text; lost/order: frames missing by seq, \
         frames after a later one; 1st: asking to the first frame; gap: between frames; ans: asking to \
         the whole answer; slower: ans p50 against one visitor's; cpu: the devstack runtime's threads \
         while the visitors ask, in all and per frame delivered; RSS: the whole process's peak \
         (devstack and visitors)"
    );
}
