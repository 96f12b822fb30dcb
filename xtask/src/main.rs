//! `cargo xtask`: the project's own automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask setup` installs what building and testing need, skipping what is present.
//! - `cargo xtask dev` builds the widget and runs it on the devstack.
//! - `cargo xtask test` runs every test: native, wasm in headless Chromium, end to end.
//! - `cargo xtask bench` runs the benchmarks and prints their figures.
//! - `cargo xtask dist` builds what a deployment uploads into `deploy/`.
//! - `cargo xtask size` prints what a page downloads for the widget, against the budget.

mod bench;
mod dev;
mod dist;
mod import_names;
mod paths;
mod process;
mod setup;
mod size;
mod summary;
mod test;
mod widget_build;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup   install the toolchain pieces (wasm target, trunk, wasm-bindgen, binaryen 132,
          Chromium + chromedriver, Python test tools), skipping what is already installed
  dev     setup, build the widget, and serve it on the devstack (http://127.0.0.1:8080)
          options: --release (size-optimized build), any devstack flag (--addr IP:PORT)
  test    setup, then run every test: native, wasm in headless Chromium, end to end
  bench   run the benchmarks and print their figures: `bench relay` (relay vs post-and-wait),
          `bench soak` (turns under random socket drops and reloads: lost/duplicated characters),
          `bench render` (the release widget's main-thread ms per streamed answer in Chromium;
          LEXSTREAM_DIST=DIR benches a widget built elsewhere), `bench coldstart` (each Lambda
          binary's init time, first invocation and peak memory under the devstack's Lambda
          Runtime API host, beside a Python boto3 fulfillment; COLDSTART_PROFILES='release lambda'
          by default), `bench load` (N visitors asking at once through Lex and @connections:
          frames lost, latencies, slowdown, devstack CPU per frame; LOAD_VISITORS='1 25 100 200
          500' by default)
  dist    build the Lambdas (arm64 zips, cargo-lambda) and the release widget (hashed names)
          into deploy/ for `sam deploy` and a static host (see DEPLOY.md)
  size    release-build the widget; print every file a page loads (raw, gzip -9, brotli),
          the totals against the budgets (10 KB gzip a page view, 250 KB open), and the crates with the most code";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let result = match command.as_deref() {
        Some("setup") => setup::run(),
        Some("dev") => dev::run(&rest),
        Some("test") => test::run(),
        Some("bench") => bench::run(&rest),
        Some("size") => size::run(),
        Some("dist") => dist::run(),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
