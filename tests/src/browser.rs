//! A headless Chromium session driven over WebDriver, with access to the browser console.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use lexstream_devstack::RunningDevstack;
use tokio::process::{Child, Command};

use crate::task_trace::TaskTrace;

/// Chromium flags for a sandbox with no network but loopback (see TOOLCHAIN.md).
const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1200,900",
];

/// One console message the page produced.
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`…
    pub level: String,
    /// The message text.
    pub message: String,
}

/// chromedriver's (non-W3C) command to read the browser console log.
#[derive(Debug)]
struct ReadBrowserLog;

impl WebDriverCompatibleCommand for ReadBrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// chromedriver's command to run a Chrome DevTools Protocol method in the page's target.
#[derive(Debug)]
struct DevToolsCommand {
    method: String,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for DevToolsCommand {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.method, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A running chromedriver and a browser session on it; both end when this is dropped or closed.
#[derive(Debug)]
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    /// Chromium's profile directory, ours to delete (left to chromedriver, killed browsers leave
    /// one `/tmp/.org.chromium.Chromium.*` behind per test).
    profile: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Browser {
    /// Starts chromedriver (`$CHROMEDRIVER` or `/usr/bin/chromedriver`) and a headless Chromium
    /// (`$CHROME` or `/usr/bin/chromium`) with console logging on.
    pub async fn start() -> anyhow::Result<Self> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chrome_path = std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port()?;
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {driver_path} (run `cargo xtask setup` to install it)"))?;

        let profile = std::env::temp_dir().join(format!("lexstream-chromium-{}-{port}", std::process::id()));
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = Capabilities::new();
        capabilities
            .insert("goog:chromeOptions".into(), serde_json::json!({ "binary": chrome_path, "args": args }));
        capabilities.insert("goog:loggingPrefs".into(), serde_json::json!({ "browser": "ALL" }));

        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Ok(Self { client, driver, profile }),
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no WebDriver session from {driver_path} on port {port}: {last_error:?}")
    }

    /// Console messages logged since the last call (chromedriver clears them when read).
    pub async fn console(&self) -> anyhow::Result<Vec<ConsoleEntry>> {
        let entries = self.client.issue_cmd(ReadBrowserLog).await.context("reading the browser log")?;
        Ok(entries
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|entry| ConsoleEntry {
                        level: entry["level"].as_str().unwrap_or_default().to_owned(),
                        message: entry["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The errors among the console messages logged since the last read (`SEVERE`: uncaught
    /// exceptions, a wasm trap, failed loads).
    pub async fn console_errors(&self) -> anyhow::Result<Vec<ConsoleEntry>> {
        Ok(self.console().await?.into_iter().filter(|entry| entry.level == "SEVERE").collect())
    }

    /// Runs the DevTools Protocol `method` (e.g. `Performance.getMetrics`) in the page's target
    /// and returns its result.
    pub async fn devtools(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let command = DevToolsCommand { method: method.to_owned(), params };
        self.client.issue_cmd(command).await.with_context(|| format!("DevTools {method}"))
    }

    /// Starts a trace of the page's main-thread tasks (which costs the page a little per task);
    /// [`TaskTrace::finish`] ends it.
    pub async fn trace_tasks(&self) -> anyhow::Result<TaskTrace> {
        let capabilities = self.client.capabilities().context("no WebDriver session")?;
        let address = capabilities
            .get("goog:chromeOptions")
            .and_then(|options| options["debuggerAddress"].as_str())
            .context("chromedriver reported no goog:chromeOptions.debuggerAddress")?;
        TaskTrace::start(address).await
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Runs `test` with a fresh browser against `devstack`, then closes the browser and stops the
/// devstack whatever the outcome, and returns the test's result.
pub async fn in_browser(
    devstack: RunningDevstack,
    test: impl AsyncFnOnce(&Browser, &RunningDevstack) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    let result = test(&browser, &devstack).await;
    browser.close().await;
    devstack.stop();
    result
}
