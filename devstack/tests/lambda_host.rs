//! The Lambda Runtime API host against a minimal runtime client written here in Python with only
//! the standard library (the real clients, awslambdaric and `lambda_runtime`, are run end to end
//! in `tests/tests/byo_fulfillment.rs`): what a runtime sees of an invocation, answers, errors,
//! exits, timeouts and concurrency.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use lexstream_devstack::lambda_host::{FunctionSettings, HostedFunction, Outcome, RuntimeCommand};

/// A runtime loop: each invocation answers with what the runtime saw (headers, environment,
/// payload), or does what the payload's `do` says.
const ECHO_RUNTIME: &str = r#"
import json, os, sys, time, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
def post(path, body, headers={}):
    request = urllib.request.Request(api + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())
while True:
    with urllib.request.urlopen(api + "/invocation/next") as response:
        request_id = response.headers["lambda-runtime-aws-request-id"]
        seen = {"headers": {k.lower(): v for k, v in response.headers.items()}, "payload": json.loads(response.read()),
                "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "BEDROCK"))}}
    action = seen["payload"].get("do")
    if action == "exit":
        sys.exit(3)
    if action == "sleep":
        time.sleep(seen["payload"]["seconds"])
    if action == "error":
        body = json.dumps({"errorMessage": "it went wrong", "errorType": "ValueError", "stackTrace": []})
        seen["accepted"] = post("/invocation/" + request_id + "/error", body.encode(),
                                {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
        continue
    seen["unknown_id"] = None
    try:
        post("/invocation/not-a-request/response", b"{}")
    except urllib.error.HTTPError as refused:
        seen["unknown_id"] = [refused.code, json.loads(refused.read())]
    post("/invocation/" + request_id + "/response", json.dumps(seen).encode())
"#;

fn function(command: &str, timeout: Duration, max_environments: usize) -> Arc<HostedFunction> {
    hosted(RuntimeCommand::Shell(command.into()), timeout, max_environments)
}

fn hosted(command: RuntimeCommand, timeout: Duration, max_environments: usize) -> Arc<HostedFunction> {
    HostedFunction::new(FunctionSettings {
        name: "echo".into(),
        command,
        timeout,
        max_environments,
        variables: vec![("BEDROCK_MODEL_ID".into(), "demo".into())],
    })
}

fn echo_script() -> std::path::PathBuf {
    let script = std::env::temp_dir().join(format!("lexstream-echo-runtime-{}.py", std::process::id()));
    std::fs::write(&script, ECHO_RUNTIME).unwrap();
    script
}

fn echo_function(timeout: Duration, max_environments: usize) -> Arc<HostedFunction> {
    function(&format!("exec python3 '{}'", echo_script().display()), timeout, max_environments)
}

async fn invoke(function: &Arc<HostedFunction>, payload: &str) -> Outcome {
    function.invoke(Bytes::from(payload.to_owned())).await.unwrap()
}

fn answer(outcome: Outcome) -> serde_json::Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_runtime_gets_the_event_with_lambdas_headers_and_environment() {
    let echo = echo_function(Duration::from_secs(10), 1);
    let before = lexstream_millis();
    let seen = answer(invoke(&echo, r#"{"question":"hi"}"#).await);
    assert_eq!(seen["payload"]["question"], "hi");
    let headers = &seen["headers"];
    let request_id = headers["lambda-runtime-aws-request-id"].as_str().unwrap();
    assert_eq!(request_id.len(), 36, "a uuid: {request_id}");
    let deadline: u128 = headers["lambda-runtime-deadline-ms"].as_str().unwrap().parse().unwrap();
    assert!(deadline >= before + 9_000 && deadline <= before + 11_000, "{deadline} vs {before}");
    assert_eq!(
        headers["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:echo"
    );
    assert!(headers["lambda-runtime-trace-id"].as_str().unwrap().starts_with("Root=1-"));
    let env = &seen["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "echo");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["BEDROCK_MODEL_ID"], "demo");
    assert!(env["AWS_LAMBDA_LOG_STREAM_NAME"].as_str().unwrap().contains("[$LATEST]"));
    assert_eq!(seen["unknown_id"][0], 400);
    assert_eq!(seen["unknown_id"][1]["errorType"], "InvalidRequestID");
}

fn lexstream_millis() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
}

#[tokio::test]
async fn errors_exits_and_timeouts_end_the_invocation_as_lambda_reports_them() {
    let echo = echo_function(Duration::from_secs(2), 1);
    match invoke(&echo, r#"{"do":"error"}"#).await {
        Outcome::FunctionError { error_type, body } => {
            assert_eq!(error_type, "Unhandled");
            assert!(String::from_utf8_lossy(&body).contains("it went wrong"));
        }
        other => panic!("{other:?}"),
    }
    // The same environment keeps serving after a reported error.
    answer(invoke(&echo, "{}").await);
    assert!(
        matches!(invoke(&echo, r#"{"do":"exit"}"#).await, Outcome::Exited(status) if status.contains('3'))
    );
    // A fresh environment answers the next invocation (a cold start).
    answer(invoke(&echo, "{}").await);
    let started = Instant::now();
    let outcome = invoke(&echo, r#"{"do":"sleep","seconds":30}"#).await;
    assert_eq!(outcome, Outcome::TimedOut(Duration::from_secs(2)));
    assert!(started.elapsed() < Duration::from_secs(5));
    answer(invoke(&echo, "{}").await);
}

#[tokio::test]
async fn concurrent_invocations_get_their_own_environments_up_to_the_limit() {
    let echo = echo_function(Duration::from_secs(10), 2);
    let started = Instant::now();
    let sleeps: Vec<_> =
        (0..4).map(|_| echo.invoke(Bytes::from_static(br#"{"do":"sleep","seconds":1}"#))).collect();
    for sleep in sleeps {
        answer(sleep.await.unwrap());
    }
    let took = started.elapsed();
    // Two at a time: about two seconds (plus two cold starts), never one (4 at once) or four (1 at once).
    assert!(took >= Duration::from_millis(1900) && took < Duration::from_millis(3900), "{took:?}");
}

#[tokio::test]
async fn a_command_that_exits_at_once_fails_the_invocation_with_its_status() {
    let exits = function("exit 7", Duration::from_secs(5), 1);
    match invoke(&exits, "{}").await {
        Outcome::Exited(status) => assert!(status.contains('7'), "{status}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn each_invocation_reports_its_duration_and_memory_and_the_first_its_init() {
    // Started directly, as Lambda starts a custom runtime's bootstrap: no shell in between.
    let program = RuntimeCommand::Program {
        program: "python3".into(),
        args: vec![echo_script().to_string_lossy().into_owned()],
    };
    let echo = hosted(program, Duration::from_secs(10), 1);
    let (outcome, first) =
        echo.invoke_reported(Bytes::from_static(br#"{"do":"sleep","seconds":0.2}"#)).await.unwrap();
    let seen = answer(outcome);
    let init = first.init_duration.expect("the first invocation reports the init");
    assert!(init > Duration::ZERO && init < Duration::from_secs(5), "{init:?}");
    let duration = first.duration.expect("a duration");
    assert!(duration >= Duration::from_millis(200) && duration < Duration::from_secs(5), "{duration:?}");
    assert_eq!(first.request_id, seen["headers"]["lambda-runtime-aws-request-id"].as_str().unwrap());
    // A Python interpreter holds a few MB at least.
    let memory = first.max_memory_kib.expect("the peak memory");
    assert!(memory > 2_000, "{memory} KiB");
    assert!(first.to_string().starts_with("REPORT RequestId: "), "{first}");

    let (outcome, second) = echo.invoke_reported(Bytes::from_static(b"{}")).await.unwrap();
    answer(outcome);
    assert_eq!(second.init_duration, None, "a warm environment has no init");
    assert!(second.duration.is_some() && second.max_memory_kib.is_some(), "{second:?}");
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_its_invocation_with_an_empty_report() {
    let missing = RuntimeCommand::Program { program: "/nonexistent/bootstrap".into(), args: Vec::new() };
    let (outcome, report) =
        hosted(missing, Duration::from_secs(5), 1).invoke_reported(Bytes::new()).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Exited(message) if message.contains("/nonexistent/bootstrap")),
        "{outcome:?}"
    );
    assert_eq!(report.duration, None);
    assert_eq!(report.init_duration, None);
}
