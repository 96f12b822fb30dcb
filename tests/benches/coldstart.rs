//! Benchmark: how fast each Lambda starts and how much memory it takes, as shipped.
//!
//! Each Lambda's binary is started as Lambda starts a custom runtime (the program itself, no
//! shell, `AWS_LAMBDA_RUNTIME_API` and Lambda's variables set) by the devstack's Lambda Runtime
//! API host, and given one real event for it; the host reports what Lambda's `REPORT` line says:
//! - **init**: from starting the process to its first `GET /2018-06-01/runtime/invocation/next`;
//! - **first invocation**: from handing it the event to its answer;
//! - **peak RSS**: the most resident memory the process used (`VmHWM`), read after the answer.
//!
//! The Lambdas talk to a devstack in this process (DynamoDB, Bedrock with the demo model at full
//! speed, AppSync Events), so the first invocation does the calls it does on AWS: `ws-connect`
//! counts the `$connect` and writes the connection; `lex-fulfillment` claims the turn, reads the
//! connection (none: nobody listens) and the history, streams Bedrock and writes the record;
//! `answer-worker` does the same for a turn claimed beforehand; `appsync-chat` counts the answer,
//! streams Bedrock and publishes to the visitor's channel. Beside them, a Lex Web UI–style Python
//! boto3 fulfillment (`demo/fulfillments/python`) under AWS's own runtime client, awslambdaric,
//! answers the same code-hook event.
//!
//! Each row is the median of `COLDSTART_STARTS` starts (default 20), and the fastest, after one
//! start that is not counted (the binary into the page cache). `COLDSTART_PROFILES` (default
//! `release lambda`) names the cargo profiles whose binaries are measured; `cargo xtask bench
//! coldstart` builds them first. Figures, not pass/fail: the run fails only when a start cannot
//! be measured.

use std::time::Duration;

use axum::body::Bytes;
use lexstream_devstack::lambda_host::{FunctionSettings, HostedFunction, Outcome, RuntimeCommand};
use lexstream_devstack::lambda_settings::{ProjectLambda, lambda_variables};
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::lambda_events;
use lexstream_lambda_core::turns::{TurnRecord, TurnStore};
use serde_json::Value;

/// What one Lambda is, and what it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    WsConnect,
    LexFulfillment,
    AnswerWorker,
    AppSyncChat,
    PythonFulfillment,
}

impl Subject {
    const RUST: [Subject; 4] = [Self::WsConnect, Self::LexFulfillment, Self::AnswerWorker, Self::AppSyncChat];

    fn name(self) -> &'static str {
        match self {
            Self::WsConnect => "ws-connect",
            Self::LexFulfillment => "lex-fulfillment",
            Self::AnswerWorker => "answer-worker",
            Self::AppSyncChat => "appsync-chat",
            Self::PythonFulfillment => "python-fulfillment",
        }
    }

    /// The settings the devstack gives this Lambda.
    fn settings(self) -> ProjectLambda {
        match self {
            Self::WsConnect => ProjectLambda::WsConnect,
            Self::LexFulfillment | Self::AnswerWorker | Self::PythonFulfillment => ProjectLambda::Fulfillment,
            Self::AppSyncChat => ProjectLambda::AppSyncChat,
        }
    }

    /// The event of start `n` (a visitor of its own), after putting in the devstack what it
    /// needs: the worker's turn is claimed first, as the fulfillment claims it.
    async fn event(self, bench: &Bench, n: u64) -> Value {
        let identity = lambda_events::identity_id(n);
        let turn = format!("coldstart-{n}");
        let (table, stage) = (bench.config.table_name.as_str(), bench.devstack.stage_url());
        match self {
            Self::WsConnect => lambda_events::websocket_connect(&identity, &format!("conn{n}=")),
            Self::LexFulfillment | Self::PythonFulfillment => {
                lambda_events::lex_code_hook(&identity, &turn, table, &stage)
            }
            Self::AnswerWorker => {
                let since_epoch = std::time::UNIX_EPOCH.elapsed().unwrap_or_default();
                let now = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
                let claimed = TurnRecord::claimed(&identity, &turn, now, now + 3600);
                bench
                    .devstack
                    .state
                    .table
                    .claim(&claimed)
                    .await
                    .expect("the devstack's table takes the claim");
                lambda_events::answer_job(&identity, &turn, table, &stage)
            }
            Self::AppSyncChat => lambda_events::chat_request(&identity, "What does Lexstream do?"),
        }
    }

    /// What the answer says, when it is the well-formed answer of a handled event.
    fn check(self, answer: &Value) -> Result<String, String> {
        let close = |answer: &Value| {
            let text = answer["messages"][0]["content"].as_str().unwrap_or("");
            let closed = answer["sessionState"]["dialogAction"]["type"] == "Close"
                && answer["sessionState"]["intent"]["state"] == "Fulfilled";
            (closed && !text.is_empty()).then(|| format!("Lex Close, {} chars", text.len()))
        };
        let status = |answer: &Value| answer["statusCode"].as_i64();
        let described = match self {
            Self::WsConnect => (status(answer) == Some(200)).then(|| "$connect 200".to_owned()),
            Self::LexFulfillment | Self::PythonFulfillment => close(answer),
            Self::AnswerWorker => (answer == "answered").then(|| "job answered".to_owned()),
            Self::AppSyncChat => (status(answer) == Some(200)).then(|| "/chat 200, published".to_owned()),
        };
        described.ok_or_else(|| format!("unexpected answer: {answer}"))
    }
}

/// One start's figures.
#[derive(Debug, Clone)]
struct Sample {
    init: Duration,
    invocation: Duration,
    peak_kib: u64,
    answer: Result<String, String>,
}

/// A row of the table: one binary.
#[derive(Debug)]
struct Row {
    subject: Subject,
    build: String,
    command: RuntimeCommand,
    size: Option<u64>,
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

/// The devstack the Lambdas talk to, and how it was configured.
#[derive(Debug)]
struct Bench {
    devstack: RunningDevstack,
    config: DevstackConfig,
}

/// Starts `row`'s function once, hands it start `n`'s event, and stops it.
async fn start_once(row: &Row, bench: &Bench, n: u64) -> Sample {
    let (config, addr) = (&bench.config, bench.devstack.addr);
    let mut variables = lexstream_devstack::function_environment(config, addr);
    variables.extend(lambda_variables(config, addr, row.subject.settings()));
    if row.subject == Subject::PythonFulfillment {
        let app = lexstream_e2e::workspace_root().join("demo/fulfillments/python");
        variables.push(("PYTHONPATH".to_owned(), app.to_string_lossy().into_owned()));
    }
    let function = HostedFunction::new(FunctionSettings {
        name: row.subject.name().to_owned(),
        command: row.command.clone(),
        timeout: Duration::from_secs(30),
        max_environments: 1,
        variables,
    });
    let event = row.subject.event(bench, n).await;
    let reported = function.invoke_reported(Bytes::from(event.to_string()));
    let (outcome, report) = reported.await.expect("the host answers");
    drop(function); // stops the process
    let answer = match outcome {
        Outcome::Response(body) => match serde_json::from_slice::<Value>(&body) {
            Ok(answer) => row.subject.check(&answer),
            Err(_) => Err(format!("not JSON: {}", String::from_utf8_lossy(&body))),
        },
        other => Err(format!("{other:?}")),
    };
    let missing = |what: &str| format!("{} start {n}: no {what} ({answer:?})", row.subject.name());
    Sample {
        init: report.init_duration.unwrap_or_else(|| panic!("{}", missing("init duration"))),
        invocation: report.duration.unwrap_or_else(|| panic!("{}", missing("invocation duration"))),
        peak_kib: report.max_memory_kib.unwrap_or_else(|| panic!("{}", missing("peak memory"))),
        answer,
    }
}

fn devstack_config() -> DevstackConfig {
    let mut config =
        DevstackConfig { addr: "127.0.0.1:0".parse().expect("an address"), ..DevstackConfig::default() };
    // The model answers at once: the first invocation measures the Lambda, not the model's pace.
    config.model.token_interval = Duration::ZERO;
    config
}

fn rows(profiles: &[String]) -> Vec<Row> {
    let mut rows = Vec::new();
    for subject in Subject::RUST {
        for profile in profiles {
            let binary =
                lexstream_e2e::lambda_binary(profile, subject.name()).unwrap_or_else(|e| panic!("{e:#}"));
            let size = std::fs::metadata(&binary).map(|m| m.len()).ok();
            let command = RuntimeCommand::Program { program: binary, args: Vec::new() };
            rows.push(Row { subject, build: format!("`{profile}`"), command, size });
        }
    }
    let python = lexstream_e2e::venv_python();
    if python.is_file() {
        let args = ["-m", "awslambdaric", "app.handler"].map(str::to_owned).to_vec();
        let command = RuntimeCommand::Program { program: python, args };
        rows.push(Row {
            subject: Subject::PythonFulfillment,
            build: "boto3, awslambdaric".into(),
            command,
            size: None,
        });
    } else {
        println!(
            "(no {}: the Python fulfillment is left out; `cargo xtask setup` installs it)",
            python.display()
        );
    }
    rows
}

/// The median and, in brackets, the fastest: the fastest shows the cost itself when other
/// work on the machine slows some starts down.
fn times(durations: Vec<Duration>) -> String {
    let fastest = durations.iter().min().copied().unwrap_or_default();
    let millis = |duration: Duration| duration.as_secs_f64() * 1000.0;
    format!("{:.2} ({:.2}) ms", millis(median(durations)), millis(fastest))
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|line| line.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[tokio::main]
async fn main() {
    let starts: u64 =
        std::env::var("COLDSTART_STARTS").ok().and_then(|n| n.parse().ok()).unwrap_or(20).max(1);
    let profiles: Vec<String> = std::env::var("COLDSTART_PROFILES")
        .unwrap_or_else(|_| "release lambda".into())
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let config = devstack_config();
    let devstack = lexstream_devstack::spawn(config.clone()).await.expect("the devstack starts");
    let bench = Bench { devstack, config };
    let rows = rows(&profiles);

    println!(
        "Cold start under the devstack's Lambda Runtime API host: median (fastest) of {starts} starts, after one not counted; {} {}, {} CPUs, load average {} at the start",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    println!();
    println!(
        "{:<19} {:<20} {:>8}  {:>19}  {:>19}  {:>8}  answers",
        "function", "build", "binary", "init", "first invocation", "peak RSS"
    );
    for (index, row) in (0u64..).zip(&rows) {
        // A visitor of its own for every start: per-visitor limits never refuse one.
        let _ = start_once(row, &bench, index << 32).await;
        let mut samples = Vec::new();
        for n in 1..=starts {
            samples.push(start_once(row, &bench, index << 32 | n).await);
            // Let the stopped process go before the next one starts.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let answered = samples.iter().filter(|sample| sample.answer.is_ok()).count();
        let first_answer = samples.iter().find_map(|sample| sample.answer.as_ref().ok()).cloned();
        let verdict = match (answered, first_answer) {
            (n, Some(answer)) if n == samples.len() => format!("{n}/{n} {answer}"),
            (n, _) => {
                let failure = samples
                    .iter()
                    .find_map(|sample| sample.answer.as_ref().err())
                    .cloned()
                    .unwrap_or_default();
                let failure: String = failure.chars().take(200).collect();
                format!("{n}/{} well-formed; e.g. {failure}", samples.len())
            }
        };
        println!(
            "{:<19} {:<20} {:>8}  {:>19}  {:>19}  {:>8}  {verdict}",
            row.subject.name(),
            row.build,
            row.size.map_or_else(|| "-".into(), megabytes),
            times(samples.iter().map(|s| s.init).collect()),
            times(samples.iter().map(|s| s.invocation).collect()),
            megabytes(median(samples.iter().map(|s| s.peak_kib).collect()) * 1024),
        );
    }
    println!();
    println!("init: process start -> first GET /2018-06-01/runtime/invocation/next (Lambda's Init Duration)");
    println!(
        "first invocation: event handed -> answer posted (Lambda's Duration), against the devstack in this process"
    );
    println!(
        "peak RSS: VmHWM after the answer (Lambda's Max Memory Used); binary: file size as built for this machine"
    );
}
