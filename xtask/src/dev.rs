//! `cargo xtask dev`: build the widget and serve it on the devstack.

use crate::process::{command, run_command};
use crate::{paths, setup};

/// Sets up, builds the widget with trunk (debug unless `--release`), then runs the devstack in
/// the foreground with the remaining flags (e.g. `--addr 127.0.0.1:9000`).
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    setup::run()?;
    let release = args.iter().any(|arg| arg == "--release");
    let devstack_args: Vec<&str> =
        args.iter().map(String::as_str).filter(|arg| *arg != "--release").collect();

    crate::widget_build::build(release)?;

    let dist = paths::workspace_root().join("dist");
    let dist_arg = dist.to_string_lossy().into_owned();
    let mut cargo_args = vec!["run", "--quiet", "--package", "lexstream-devstack", "--", "--dist", &dist_arg];
    cargo_args.extend(devstack_args);
    eprintln!("xtask: starting the devstack; open the URL it prints (Ctrl-C stops it)");
    run_command(command("cargo", &cargo_args))
}
