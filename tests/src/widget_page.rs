//! The demo page with the widget, served by a devstack, as a test sees it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::Locator;
use fantoccini::elements::Element;
use lexstream_devstack::{DevstackConfig, RunningDevstack};

use crate::Browser;

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

/// Starts a devstack on a free loopback port serving the built widget.
pub async fn start_devstack() -> anyhow::Result<RunningDevstack> {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse()?,
        dist_dir: built_dist_dir()?,
        ..DevstackConfig::default()
    };
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
