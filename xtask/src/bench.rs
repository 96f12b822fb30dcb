//! `cargo xtask bench`: the benchmarks, printing figures (not pass/fail timings).

use std::path::PathBuf;

use crate::process::{command, run_command};
use crate::{paths, setup, widget_build};

/// The benchmarks, by the name `cargo xtask bench NAME` takes.
const BENCHES: &[&str] = &["relay_latency", "soak", "render", "coldstart", "load"];

/// The cargo profiles whose Lambda binaries `coldstart` measures, unless `COLDSTART_PROFILES`
/// names others: the shipped one and the other candidate.
const COLDSTART_PROFILES: &str = "release lambda";

/// Runs the benchmarks named in `args` (`relay` is short for `relay_latency`), or all of them.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut chosen = Vec::new();
    for arg in args {
        let name = if arg == "relay" { "relay_latency" } else { arg.as_str() };
        if !BENCHES.contains(&name) {
            return Err(format!(
                "unknown benchmark {arg:?}: choose from relay, soak, render, coldstart, load"
            ));
        }
        chosen.push(name);
    }
    if chosen.is_empty() {
        chosen.extend_from_slice(BENCHES);
    }
    for bench in chosen {
        let mut cargo = command("cargo", &["bench", "--package", "lexstream-e2e", "--bench", bench]);
        if bench == "render" {
            let dist = release_widget()?;
            cargo
                .env("LEXSTREAM_DIST", dist)
                .env("CHROMEDRIVER", paths::chromedriver())
                .env("CHROME", paths::chromium());
        }
        if bench == "coldstart" {
            let profiles = lambda_binaries()?;
            cargo.env("COLDSTART_PROFILES", profiles).env("LEXSTREAM_VENV", paths::venv_dir());
        }
        run_command(cargo)?;
    }
    Ok(())
}

/// The release widget the `render` benchmark loads: `$LEXSTREAM_DIST` when set (a widget built
/// elsewhere, e.g. another checkout's, used as it is), else `dist/` built now as `cargo xtask
/// test` builds it.
fn release_widget() -> Result<PathBuf, String> {
    setup::run()?;
    if let Some(dist) = std::env::var_os("LEXSTREAM_DIST").map(PathBuf::from) {
        if !dist.join("index.html").is_file() {
            return Err(format!(
                "LEXSTREAM_DIST={} holds no built widget (no index.html); unset it to bench this checkout's",
                dist.display()
            ));
        }
        eprintln!("xtask: benchmarking the widget in {} (LEXSTREAM_DIST; not rebuilt)", dist.display());
        return Ok(dist);
    }
    widget_build::build(true)?;
    Ok(paths::workspace_root().join("dist"))
}

/// Builds the Lambda binaries `coldstart` starts, with each profile it measures, and the Python
/// tools (awslambdaric, boto3) its Python fulfillment runs with; returns the profiles.
fn lambda_binaries() -> Result<String, String> {
    setup::python_tools()?;
    let profiles = std::env::var("COLDSTART_PROFILES").unwrap_or_else(|_| COLDSTART_PROFILES.to_owned());
    for profile in profiles.split_whitespace() {
        let mut args = vec!["build", "--profile", profile];
        for lambda in crate::dist::LAMBDAS {
            args.extend(["--package", lambda]);
        }
        run_command(command("cargo", &args))?;
    }
    Ok(profiles)
}
