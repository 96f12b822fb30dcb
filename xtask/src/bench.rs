//! `cargo xtask bench`: the benchmarks, printing figures (not pass/fail timings).

use crate::process::{command, run_command};

/// Runs every benchmark of the workspace.
pub(crate) fn run() -> Result<(), String> {
    run_command(command("cargo", &["bench", "--package", "lexstream-e2e", "--bench", "relay_latency"]))
}
