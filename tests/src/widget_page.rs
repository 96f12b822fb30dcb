//! The demo page with the widget, served by a devstack, as a test sees it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::Locator;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use lexstream_devstack::{DevstackConfig, RunningDevstack};

use crate::Browser;

/// A JavaScript function for scripts a test installs before the page's: given what the widget's
/// socket worker posted (`MessageEvent.data`), how many socket messages that batch holds (see
/// `client/src/transport/batch.rs`: each message's 4-byte little-endian length, then its bytes),
/// or `null` when it is not a batch ("opened", "ended").
pub const WORKER_BATCH_MESSAGES_JS: &str = r"
    (data) => {
        if (!(data instanceof ArrayBuffer)) return null;
        const lengths = new DataView(data);
        let count = 0;
        for (let at = 0; at + 4 <= data.byteLength; at += 4 + lengths.getUint32(at, true)) count += 1;
        return count;
    }
";

/// The built widget: `$LEXSTREAM_DIST`, else `dist/` at the workspace root. Fails with a clear
/// message when it has not been built.
pub fn built_dist_dir() -> anyhow::Result<PathBuf> {
    let dist = std::env::var_os("LEXSTREAM_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    if !dist.join("index.html").is_file() {
        bail!(
            "the widget is not built ({} has no index.html): run `cargo xtask test`, which builds it with trunk",
            dist.display()
        );
    }
    Ok(dist)
}

/// A copy of the built widget in `to` without its WebAssembly: a deployment the widget's code
/// cannot load from (as a blocked or offline fetch looks to the page). Returns `to`.
pub fn dist_without_wasm(to: PathBuf) -> anyhow::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to)?;
    for entry in std::fs::read_dir(built_dist_dir()?)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && !name.contains("_bg.wasm") {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(to)
}

/// Starts a devstack on a free loopback port serving the built widget.
pub async fn start_devstack() -> anyhow::Result<RunningDevstack> {
    start_devstack_with(|_| {}).await
}

/// Like [`start_devstack`], with the configuration changed by `edit` first.
pub async fn start_devstack_with(edit: impl FnOnce(&mut DevstackConfig)) -> anyhow::Result<RunningDevstack> {
    let mut config = DevstackConfig {
        addr: "127.0.0.1:0".parse()?,
        dist_dir: built_dist_dir()?,
        ..DevstackConfig::default()
    };
    edit(&mut config);
    Ok(lexstream_devstack::spawn(config).await?)
}

/// The demo page open in a browser, with helpers to reach into the widget's shadow root.
#[derive(Debug)]
pub struct WidgetPage<'a> {
    browser: &'a Browser,
}

impl<'a> WidgetPage<'a> {
    /// Opens `url` and waits (up to `timeout`) for the widget's launcher to render.
    pub async fn open(browser: &'a Browser, url: &str, timeout: Duration) -> anyhow::Result<Self> {
        browser.client.goto(url).await.with_context(|| format!("opening {url}"))?;
        let page = Self { browser };
        page.wait_for("launcher", timeout).await?;
        Ok(page)
    }

    /// The element with `data-testid` inside the widget's shadow root, if present now.
    pub async fn find(&self, test_id: &str) -> anyhow::Result<Option<Element>> {
        let host = self.browser.client.find(Locator::Css("[data-lexstream-host]")).await;
        let Ok(host) = host else { return Ok(None) };
        let shadow = host.shadow_root().await.context("the widget host has no shadow root")?;
        let selector = format!("[data-testid='{test_id}']");
        Ok(shadow.find(Locator::Css(&selector)).await.ok())
    }

    /// Waits until the element with `data-testid` is present in the widget.
    pub async fn wait_for(&self, test_id: &str, timeout: Duration) -> anyhow::Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(test_id).await? {
                return Ok(element);
            }
            if Instant::now() > deadline {
                bail!("the widget did not show [data-testid={test_id}] within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element with `data-testid` is gone from the widget.
    pub async fn wait_gone(&self, test_id: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while self.find(test_id).await?.is_some() {
            if Instant::now() > deadline {
                bail!("[data-testid={test_id}] still shown after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

/// The newest bot bubble's `data-state`, text and HTML, read inside the widget's shadow root.
const LAST_BOT_MESSAGE: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const bubbles = root.querySelectorAll('[data-testid="bot-message"]');
    const last = bubbles[bubbles.length - 1];
    return last ? [last.dataset.state, last.innerText, last.innerHTML] : null;
"#;

/// What a visitor saw of one answer.
#[derive(Debug, Clone)]
pub struct SeenAnswer {
    /// The texts shown while the answer streamed, in order (one per poll).
    pub streamed: Vec<String>,
    /// The final answer's HTML.
    pub final_html: String,
    /// The final answer's visible text.
    pub final_text: String,
}

impl WidgetPage<'_> {
    /// Types `text` in the message box and presses Enter.
    pub async fn ask(&self, text: &str) -> anyhow::Result<()> {
        let input = self.wait_for("input", Duration::from_secs(10)).await?;
        input.send_keys(text).await?;
        input.send_keys(&char::from(Key::Enter).to_string()).await?;
        Ok(())
    }

    /// Runs `script` in the page (it may read the widget's shadow root) and returns its result.
    pub async fn run_script(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        self.run_script_with(script, vec![]).await
    }

    /// Runs `script` with `arguments` (`arguments[0]`, … in the script) and returns its result.
    pub async fn run_script_with(
        &self,
        script: &str,
        arguments: Vec<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        Ok(self.browser.client.execute(script, arguments).await?)
    }

    /// Polls `script` until it returns something other than `null`/`false`, and returns that;
    /// an error naming `what` after `timeout`.
    pub async fn wait_for_script(
        &self,
        script: &str,
        what: &str,
        timeout: Duration,
    ) -> anyhow::Result<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.run_script(script).await?;
            if !(value.is_null() || value == serde_json::Value::Bool(false)) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("{what} did not happen within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The newest bot bubble: `(state, text, html)`.
    pub async fn last_bot_message(&self) -> anyhow::Result<Option<(String, String, String)>> {
        let value = self.browser.client.execute(LAST_BOT_MESSAGE, vec![]).await?;
        let field = |index: usize| value[index].as_str().unwrap_or_default().to_owned();
        Ok(value.is_array().then(|| (field(0), field(1), field(2))))
    }

    /// Watches the newest reply until it is final and its text contains `needle`, recording what
    /// streamed before.
    pub async fn wait_for_answer(&self, needle: &str, timeout: Duration) -> anyhow::Result<SeenAnswer> {
        let deadline = Instant::now() + timeout;
        let mut streamed = Vec::new();
        loop {
            match self.last_bot_message().await? {
                Some((state, text, _)) if state == "streaming" => streamed.push(text),
                Some((state, text, html)) if state == "final" && text.contains(needle) => {
                    return Ok(SeenAnswer { streamed, final_html: html, final_text: text });
                }
                Some((state, text, _)) if state == "failed" => bail!("the turn failed: {text}"),
                _ => {}
            }
            if Instant::now() > deadline {
                bail!("no final answer containing {needle:?} within {timeout:?}; streamed {streamed:?}");
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }
}
