//! Running commands: echo them, give them our tool PATH, fail with a message that names them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::paths;

/// A command with the workspace as working directory and our tool directories on `PATH`.
pub(crate) fn command(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).current_dir(paths::workspace_root()).env("PATH", paths::tool_path());
    command
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs a command to completion with inherited output; an error names the command.
pub(crate) fn run_command(mut command: Command) -> Result<(), String> {
    let line = describe(&command);
    eprintln!("xtask: $ {line}");
    let status = command.status().map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{line}` failed ({status})")) }
}

/// Runs a command and returns its trimmed stdout, or `None` if it cannot run or fails.
pub(crate) fn output(mut command: Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs a command, echoing its stdout line by line and returning every line it printed.
pub(crate) fn run_capturing(mut command: Command) -> Result<Vec<String>, (String, Vec<String>)> {
    let line = describe(&command);
    eprintln!("xtask: $ {line}");
    let mut child = match command.stdout(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return Err((format!("could not start `{line}`: {e}"), Vec::new())),
    };
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{text}");
            lines.push(text);
        }
    }
    match child.wait() {
        Ok(status) if status.success() => Ok(lines),
        Ok(status) => Err((format!("`{line}` failed ({status})"), lines)),
        Err(e) => Err((format!("waiting for `{line}`: {e}"), lines)),
    }
}

/// Whether we are root (then `apt-get` runs directly; otherwise through `sudo`).
pub(crate) fn is_root() -> bool {
    output({
        let mut id = Command::new("id");
        id.arg("-u");
        id
    })
    .as_deref()
        == Some("0")
}
