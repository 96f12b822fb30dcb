//! `cargo xtask test`: every test of the workspace, in three stages, with one summary at the end.
//!
//! 1. native: `cargo test` for every crate but the end-to-end one (unit, integration, doc tests;
//!    the widget's configuration and transcript logic too);
//! 2. wasm: the widget's `wasm-bindgen-test`s inside headless Chromium;
//! 3. end to end: the release build (`trunk build --release`, wasm-opt 132) served by the
//!    devstack and driven in headless Chromium through chromedriver (its download size checked
//!    against the budget first, as `cargo xtask size` prints it); fulfillments hosted over the
//!    devstack's Lambda Runtime API (a Python one under awslambdaric, the `lex-fulfillment`
//!    binary built with the `lambda` profile); the Lambdas' AWS adapters
//!    on the real SDK against moto (DynamoDB) and the devstack (Bedrock, `@connections`); the
//!    deployment template through cfn-lint, `sam validate --lint`, checkov (a new finding fails)
//!    and its agreement with the code.
//!
//! A stage that runs no test fails the run: a green result must mean tests ran.

use std::time::Instant;

use crate::process::{command, run_capturing, run_command};
use crate::summary::Counts;
use crate::{paths, setup};

struct Stage {
    name: &'static str,
    counts: Counts,
    seconds: f64,
}

/// Runs setup and all three stages.
pub(crate) fn run() -> Result<(), String> {
    setup::run()?;
    let chromedriver = paths::chromedriver().to_string_lossy().into_owned();
    let chromium = paths::chromium().to_string_lossy().into_owned();
    let mut stages = Vec::new();

    // The widget's pure logic (config, transcript) runs natively too; its browser tests in stage 2.
    let native = command("cargo", &["test", "--workspace", "--exclude", "lexstream-e2e"]);
    run_stage(&mut stages, "native", native)?;

    // Only the browser test files: the library's plain `#[test]`s ran natively above.
    let mut wasm = command(
        "cargo",
        &["test", "--package", "lexstream-client", "--target", "wasm32-unknown-unknown", "--test", "*"],
    );
    wasm.env("CHROMEDRIVER", &chromedriver).env("WASM_BINDGEN_TEST_TIMEOUT", "60");
    run_stage(&mut stages, "wasm in Chromium", wasm)?;

    let started = Instant::now();
    crate::widget_build::build(true)?;
    eprintln!("xtask: release build of the widget took {:.1}s", started.elapsed().as_secs_f64());
    crate::size::report()?;

    // The shipped `lex-fulfillment` binary, which an end-to-end test runs under the devstack's
    // Lambda Runtime API exactly as Lambda runs it.
    let started = Instant::now();
    run_command(command("cargo", &["build", "--profile", "lambda", "--package", "lex-fulfillment"]))?;
    eprintln!("xtask: lambda-profile build of lex-fulfillment took {:.1}s", started.elapsed().as_secs_f64());
    let lex_fulfillment = paths::target_dir().join("lambda/lex-fulfillment");

    let dist = paths::workspace_root().join("dist").to_string_lossy().into_owned();
    let mut e2e = command("cargo", &["test", "--package", "lexstream-e2e"]);
    let moto = paths::venv_dir().join("bin/moto_server").to_string_lossy().into_owned();
    e2e.env("LEXSTREAM_DIST", &dist)
        .env("CHROMEDRIVER", &chromedriver)
        .env("CHROME", &chromium)
        .env("MOTO_SERVER", &moto)
        .env("AMPLIFY_DIR", paths::amplify_dir())
        .env("AXE_CORE_DIR", paths::axe_core_dir())
        .env("LEXSTREAM_VENV", paths::venv_dir())
        .env("LEX_FULFILLMENT_BIN", &lex_fulfillment)
        .env("LEXSTREAM_SAM_VENV", paths::sam_venv_dir())
        .env("LEXSTREAM_CHECKOV_VENV", paths::checkov_venv_dir());
    run_stage(&mut stages, "end-to-end", e2e)?;

    print_summary(stages.iter());
    Ok(())
}

/// Runs one stage's tests and records its counts; a failure, or no test run, ends the run.
fn run_stage(
    stages: &mut Vec<Stage>,
    name: &'static str,
    command: std::process::Command,
) -> Result<(), String> {
    let started = Instant::now();
    let (lines, failure) = match run_capturing(command) {
        Ok(lines) => (lines, None),
        Err((message, lines)) => (lines, Some(message)),
    };
    let counts = Counts::from_output(&lines);
    stages.push(Stage { name, counts, seconds: started.elapsed().as_secs_f64() });
    let problem = match failure {
        Some(message) => Some(format!("{name} tests failed: {message}")),
        None if counts.passed == 0 => {
            Some(format!("{name} stage ran no test; that is a failure, not a pass"))
        }
        None => None,
    };
    match problem {
        Some(problem) => {
            print_summary(stages.iter());
            Err(problem)
        }
        None => Ok(()),
    }
}

fn print_summary<'a>(stages: impl IntoIterator<Item = &'a Stage>) {
    let mut total = Counts::default();
    println!();
    println!("xtask: test summary");
    for stage in stages {
        let Counts { passed, failed, ignored } = stage.counts;
        println!(
            "  {:<17} {passed:>4} passed, {failed} failed, {ignored} ignored  ({:.0}s)",
            stage.name, stage.seconds
        );
        total = total.add(stage.counts);
    }
    println!("tests: {} passed, {} failed", total.passed, total.failed);
}
