//! `cargo xtask bench`: the benchmarks, printing figures (not pass/fail timings).

use crate::process::{command, run_command};

/// The benchmarks, by the name `cargo xtask bench NAME` takes.
const BENCHES: &[&str] = &["relay_latency", "soak"];

/// Runs the benchmarks named in `args` (`relay` is short for `relay_latency`), or all of them.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut chosen = Vec::new();
    for arg in args {
        let name = if arg == "relay" { "relay_latency" } else { arg.as_str() };
        if !BENCHES.contains(&name) {
            return Err(format!("unknown benchmark {arg:?}: choose from relay, soak"));
        }
        chosen.push(name);
    }
    if chosen.is_empty() {
        chosen.extend_from_slice(BENCHES);
    }
    for bench in chosen {
        run_command(command("cargo", &["bench", "--package", "lexstream-e2e", "--bench", bench]))?;
    }
    Ok(())
}
