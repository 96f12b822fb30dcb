//! A real DynamoDB-compatible server for tests: `moto_server` from the project's venv
//! (`cargo xtask setup` installs it), started on a free port and stopped when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// A running `moto_server`.
#[derive(Debug)]
pub struct MotoServer {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    _process: Child,
}

/// `$MOTO_SERVER`, else `.venv/bin/moto_server` at the workspace root.
fn moto_server_path() -> PathBuf {
    std::env::var_os("MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server"))
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits until it answers.
    pub async fn start() -> anyhow::Result<Self> {
        let path = moto_server_path();
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let process = Command::new(&path)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} (run `cargo xtask setup`)", path.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..150 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Self { url, _process: process });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("moto_server did not listen on port {port} within 15 s")
    }
}
