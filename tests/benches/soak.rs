//! Soak: many turns on the devstack while the visitors' WebSockets keep dropping.
//!
//! Each simulated tab asks the demo bot (the real Lex runtime SDK client, the in-process
//! `lex-fulfillment` relaying to the devstack's `@connections`) and reads its socket as the widget
//! does: frames into a `StreamAssembler`. Meanwhile its socket is closed at random every
//! 50–500 ms; the tab reconnects after the widget's jittered delay (250–750 ms) and sends
//! `{"action":"resume","turn","after"}`; some tabs "reload" instead (a fresh assembler that knows
//! nothing, resuming with `after: null`). A turn that goes quiet for 2 s is resumed again, as the
//! widget does. At the end each streamed text (what the assembler put together, not a `final`
//! frame's messages) is compared with Lex's answer: characters lost (in the answer, never shown)
//! and duplicated (shown more than once).
//!
//! Run with `cargo xtask bench soak` (or `cargo bench -p lexstream-e2e --bench soak`);
//! `SOAK_TURNS` and `SOAK_TABS` change the size (defaults 500 and 20).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use lexstream_devstack::RunningDevstack;
use lexstream_e2e::{Visitor, VisitorSocket, streaming_question, unthrottled_devstack_config};
use lexstream_protocol::{Incoming, StreamAssembler, parse_incoming, resume_request};
use tokio_tungstenite::tungstenite::Message;

/// The demo model's pace: about 70 tokens, so about 1.4 s per answer.
const TOKEN_INTERVAL: Duration = Duration::from_millis(20);
/// How long a turn may take before it counts as incomplete.
const TURN_LIMIT: Duration = Duration::from_secs(30);
/// One in this many drops is a reload (a fresh assembler).
const RELOAD_EVERY: u64 = 5;

/// A small deterministic random source (xorshift), so runs are comparable.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low + 1))
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    turns: u64,
    complete: u64,
    drops: u64,
    reloads: u64,
    lost: u64,
    duplicated: u64,
    mismatched: u64,
    ended_by_final: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.turns += other.turns;
        self.complete += other.complete;
        self.drops += other.drops;
        self.reloads += other.reloads;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.mismatched += other.mismatched;
        self.ended_by_final += other.ended_by_final;
    }
}

/// Characters of `expected` never shown, and characters shown beyond it, comparing by the
/// longest common prefix.
fn compare(shown: &str, expected: &str) -> (u64, u64) {
    let shown: Vec<char> = shown.chars().collect();
    let expected: Vec<char> = expected.chars().collect();
    let common = shown.iter().zip(&expected).take_while(|(a, b)| a == b).count();
    let lost = (expected.len() - common) as u64;
    let duplicated = (shown.len() - common) as u64;
    (lost, duplicated)
}

async fn open(devstack: &RunningDevstack, visitor: &Visitor) -> VisitorSocket {
    visitor.open_socket(&devstack.stage_url()).await.expect("the devstack accepts the socket")
}

/// One tab's turns, in sequence.
async fn tab(devstack: &RunningDevstack, turns: u64, seed: u64) -> Tally {
    let mut random = Random(seed | 1);
    let mut tally = Tally::default();
    let visitor = Visitor::sign_in(&devstack.url()).await.expect("signed in");
    let lex = visitor.lex_client(&devstack.url()).await;
    let mut socket = open(devstack, &visitor).await;
    for number in 0..turns {
        let turn = format!("soak-{seed}-{number}");
        let text = format!("Soak question {number} of tab {seed}");
        let question =
            streaming_question(&lex, &visitor.identity_id, &devstack.stage_url(), &turn, text).send();
        let mut question = Box::pin(question);
        let mut answer: Option<String> = None;
        let mut assembler = StreamAssembler::new(turn.clone());
        let started = Instant::now();
        let mut next_drop = Instant::now() + random.millis(50, 500);
        let mut last_progress = Instant::now();
        tally.turns += 1;
        while !(assembler.is_complete() && answer.is_some()) && started.elapsed() < TURN_LIMIT {
            let until_drop = next_drop.saturating_duration_since(Instant::now());
            tokio::select! {
                result = &mut question, if answer.is_none() => {
                    let output = result.expect("Lex answers every soak question");
                    answer = Some(output.messages().iter().filter_map(|m| m.content()).collect::<Vec<_>>().join("\n"));
                }
                message = socket.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Incoming::Frame(frame) = parse_incoming(text.as_str()) {
                            assembler.accept(frame);
                            last_progress = Instant::now();
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => next_drop = Instant::now(),
                },
                () = tokio::time::sleep(until_drop), if !assembler.is_complete() => {
                    // The connection drops; the widget reconnects after its jittered delay.
                    let _ = socket.close(None).await;
                    tally.drops += 1;
                    tokio::time::sleep(random.millis(250, 750)).await;
                    socket = open(devstack, &visitor).await;
                    if tally.drops % RELOAD_EVERY == 0 {
                        tally.reloads += 1;
                        assembler = StreamAssembler::new(turn.clone());
                    }
                    let resume = resume_request(&turn, assembler.last_applied_seq());
                    let _ = socket.send(Message::text(resume)).await;
                    next_drop = Instant::now() + random.millis(50, 500);
                    last_progress = Instant::now();
                }
                () = tokio::time::sleep(Duration::from_millis(200)) => {
                    if !assembler.is_complete() && last_progress.elapsed() > Duration::from_secs(2) {
                        let resume = resume_request(&turn, assembler.last_applied_seq());
                        let _ = socket.send(Message::text(resume)).await;
                        last_progress = Instant::now();
                    }
                }
            }
        }
        let expected = answer.unwrap_or_default();
        // What the visitor saw stream: the assembled text, never the final frame's messages
        // (those would hide a loss).
        let shown = assembler.text().to_owned();
        if assembler.final_messages().is_some() {
            tally.ended_by_final += 1;
        }
        if assembler.is_complete() && !expected.is_empty() {
            tally.complete += 1;
        }
        let (lost, duplicated) = compare(shown.trim_end(), expected.trim_end());
        tally.lost += lost;
        tally.duplicated += duplicated;
        if lost + duplicated > 0 {
            tally.mismatched += 1;
            eprintln!(
                "soak: {turn}: {lost} lost, {duplicated} duplicated\n  shown:    {shown:?}\n  expected: {expected:?}"
            );
        }
    }
    tally
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let turns = setting("SOAK_TURNS", 500);
        let tabs = setting("SOAK_TABS", 20).max(1);
        // Each tab reconnects every few hundred milliseconds and asks back to back: far past the
        // per-visitor limits a deployment sets, which are not what this measures.
        let config = unthrottled_devstack_config(TOKEN_INTERVAL);
        let devstack = lexstream_devstack::spawn(config).await.expect("the devstack starts");
        let started = Instant::now();
        let per_tab = turns.div_ceil(tabs);
        let runs = (0..tabs).map(|seed| tab(&devstack, per_tab, seed + 1));
        let mut total = Tally::default();
        for tally in futures_util::future::join_all(runs).await {
            total.add(tally);
        }
        println!(
            "soak: {} turns in {} tabs, {:.0} s: {} drops ({} of them reloads), {} answers complete, \
             {} characters lost, {} characters duplicated, {} turns mismatched ({} ended by a `final` \
             frame from the turn's record)",
            total.turns,
            tabs,
            started.elapsed().as_secs_f64(),
            total.drops,
            total.reloads,
            total.complete,
            total.lost,
            total.duplicated,
            total.mismatched,
            total.ended_by_final
        );
        devstack.stop();
    });
}
