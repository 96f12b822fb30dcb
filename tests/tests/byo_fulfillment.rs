//! Bring your own fulfillment: the devstack hosts a Lambda function written in any language over
//! the real Lambda Runtime API (`--fulfillment-cmd`), with AWS's own runtime clients.
//!
//! - A Python fulfillment written the way Lex Web UI users write theirs (boto3, raw-text
//!   `post_to_connection`, the Anthropic text-completions body, the table read by `sessionId`),
//!   run by awslambdaric: a real Chromium sees its raw text stream, then the formatted answer.
//! - The shipped `lex-fulfillment` binary (the `lambda` profile), run by its own `lambda_runtime`:
//!   Lexstream v1 frames on the socket, the whole answer from Lex.
//! - A function that raises, one that exits, one that runs too long: the errors Lex reports.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;
use std::time::Duration;

use aws_sdk_lexruntimev2::Client as LexClient;
use aws_sdk_lexruntimev2::error::ProvideErrorMetadata;
use aws_sdk_lexruntimev2::operation::recognize_text::builders::RecognizeTextFluentBuilder;
use aws_sdk_lexruntimev2::types::SessionState;
use futures_util::StreamExt;
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::{
    Visitor, WidgetPage, in_browser, lex_fulfillment_binary, start_devstack_with, venv_python, workspace_root,
};
use lexstream_protocol::{Incoming, StreamAssembler, parse_incoming};
use tokio_tungstenite::tungstenite::Message;

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(40);

/// `cd DIR && exec python -m awslambdaric MODULE.handler`, with the test tools' Python.
fn awslambdaric_command(dir: &Path, handler: &str) -> String {
    format!("cd '{}' && exec '{}' -m awslambdaric {handler}", dir.display(), venv_python().display())
}

fn python_example_command() -> String {
    awslambdaric_command(&workspace_root().join("demo/fulfillments/python"), "app.handler")
}

#[tokio::test]
async fn a_lex_web_ui_style_python_fulfillment_streams_raw_text_then_the_formatted_answer()
-> anyhow::Result<()> {
    let devstack = start_devstack_with(|config| {
        config.fulfillment_cmd = Some(python_example_command());
        config.model.token_interval = Duration::from_millis(25);
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.ask("How does streaming work?").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;

        // The raw text the Python function posted was on screen, growing, as plain text.
        let distinct: Vec<&String> = answer.streamed.iter().filter(|s| !s.is_empty()).collect();
        assert!(distinct.len() >= 3, "expected several streamed states, saw {distinct:?}");
        assert!(distinct.first().unwrap().len() < distinct.last().unwrap().len(), "the streamed text grew");
        assert!(
            distinct.iter().any(|s| s.contains("**devstack demo model**")),
            "raw Markdown while streaming"
        );
        // Then Lex's answer, rendered.
        assert!(answer.final_html.contains("<strong>devstack demo model</strong>"), "{}", answer.final_html);
        assert!(answer.final_text.contains("How does streaming work?"), "the model saw the question");
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        Ok(())
    })
    .await
}

async fn devstack_running(command: String, timeout: Duration) -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        fulfillment_cmd: Some(command),
        fulfillment_timeout: timeout,
        ..DevstackConfig::default()
    };
    let mut config = config;
    config.model.token_interval = Duration::from_millis(10);
    lexstream_devstack::spawn(config).await.unwrap()
}

/// A question to the demo bot's code hook, with the streaming attributes the widget sends.
fn ask(lex: &LexClient, visitor: &Visitor, devstack: &RunningDevstack) -> RecognizeTextFluentBuilder {
    lex.recognize_text()
        .bot_id("LXSDEMOBOT")
        .bot_alias_id("TSTALIASID")
        .locale_id("en_US")
        .session_id(&visitor.identity_id)
        .text("Tell me about Rust")
        .session_state(
            SessionState::builder()
                .session_attributes("streamingDynamoDbTable", "lexstream-connections")
                .session_attributes("streamingEndpoint", devstack.stage_url())
                .build(),
        )
        .request_attributes("streamingTurnId", "turn-1")
}

#[tokio::test]
async fn the_shipped_lex_fulfillment_binary_runs_under_the_runtime_api_and_streams_v1_frames() {
    let binary = lex_fulfillment_binary().unwrap();
    let devstack = devstack_running(format!("exec '{}'", binary.display()), Duration::from_secs(30)).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let (mut socket, _) =
        tokio_tungstenite::connect_async(visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id))
            .await
            .unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let frames = tokio::spawn(async move {
        let mut turn = StreamAssembler::new("turn-1");
        let mut v1_frames = 0;
        while !turn.is_complete() {
            match tokio::time::timeout(Duration::from_secs(20), socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => match parse_incoming(text.as_str()) {
                    Incoming::Frame(frame) => {
                        v1_frames += 1;
                        turn.accept(frame);
                    }
                    other => panic!("not a v1 frame: {other:?}"),
                },
                other => panic!("stream ended early: {other:?}"),
            }
        }
        (turn.text().to_owned(), v1_frames)
    });
    let answer = ask(&lex, &visitor, &devstack).send().await.unwrap();
    let (streamed, v1_frames) = frames.await.unwrap();
    let final_text = answer.messages()[0].content().unwrap();
    assert!(final_text.contains("devstack demo model"), "{final_text}");
    assert_eq!(streamed, final_text, "the streamed text is exactly the final answer");
    assert!(v1_frames >= 3, "{v1_frames} frames");
    devstack.stop();
}

/// Writes a Python module `name.py` with `source` in a fresh directory.
fn python_module(name: &str, source: &str) -> tempdir::Dir {
    let dir = tempdir::Dir::new(name);
    std::fs::write(dir.path().join(format!("{name}.py")), source).unwrap();
    dir
}

mod tempdir {
    //! A directory removed when dropped.
    #[derive(Debug)]
    pub(super) struct Dir(std::path::PathBuf);
    impl Dir {
        pub(super) fn new(name: &str) -> Self {
            let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("{name}-{}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
        pub(super) fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Asks once and returns Lex's error code and message.
async fn lex_error_for(command: String, timeout: Duration) -> (u16, String, String) {
    let devstack = devstack_running(command, timeout).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let error = ask(&lex, &visitor, &devstack).send().await.unwrap_err();
    let status = error.raw_response().map_or(0, |response| response.status().as_u16());
    let service = error.into_service_error();
    let result = (
        status,
        service.code().unwrap_or_default().to_owned(),
        service.message().unwrap_or_default().to_owned(),
    );
    devstack.stop();
    result
}

#[tokio::test]
async fn a_function_that_raises_is_lexs_dependency_failed_with_the_error_type() {
    let module =
        python_module("raises", "def handler(event, context):\n    raise ValueError('no answer today')\n");
    let (status, code, message) =
        lex_error_for(awslambdaric_command(module.path(), "raises.handler"), Duration::from_secs(20)).await;
    assert_eq!((status, code.as_str()), (424, "DependencyFailedException"), "{message}");
    assert!(message.contains("Received error response from Lambda"), "{message}");
    assert!(message.contains("no answer today"), "{message}");
}

#[tokio::test]
async fn a_function_that_cannot_start_is_reported_not_waited_on() {
    let module = python_module("broken", "import a_module_that_does_not_exist\n");
    let (status, code, message) =
        lex_error_for(awslambdaric_command(module.path(), "broken.handler"), Duration::from_secs(20)).await;
    assert_eq!((status, code.as_str()), (424, "DependencyFailedException"), "{message}");
    assert!(message.contains("Runtime.ImportModuleError") || message.contains("ExitError"), "{message}");
}

#[tokio::test]
async fn a_function_that_runs_past_the_timeout_is_stopped_and_lex_reports_bad_gateway() {
    let module = python_module("slow", "import time\ndef handler(event, context):\n    time.sleep(30)\n");
    let started = std::time::Instant::now();
    let (status, code, message) =
        lex_error_for(awslambdaric_command(module.path(), "slow.handler"), Duration::from_secs(2)).await;
    assert!(started.elapsed() < Duration::from_secs(15), "Lex waited {:?}", started.elapsed());
    assert_eq!((status, code.as_str()), (502, "BadGatewayException"), "{message}");
}
