//! End to end in headless Chromium: the loader. A page view downloads only the loader (a few KB,
//! compressed as the devstack serves it); the widget's code comes when the visitor shows intent
//! (the pointer over the launcher, or focus on it), and the click opens the panel with focus in
//! the message box — by mouse and by keyboard alone. When the code cannot load, the launcher
//! says so instead of doing nothing.

use std::time::Duration;

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::key::Key;
use lexstream_e2e::{
    Browser, WidgetPage, dist_without_wasm, in_browser, start_devstack, start_devstack_with,
};
use serde_json::Value;

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// The most a page view may transfer of the widget's files before any intent (the budget
/// `cargo xtask size` enforces on the loader, gzip).
const PAGE_VIEW_BUDGET_BYTES: u64 = 10 * 1024;

/// The widget's files the page fetched so far, from Resource Timing: name, bytes transferred
/// (compressed, with headers), encoded and decoded body sizes.
const WIDGET_TRANSFERS: &str = r#"
    return performance.getEntriesByType('resource')
        .filter(entry => /lexstream(-widget(_bg)?)?\.(js|wasm)$/.test(new URL(entry.name).pathname))
        .map(entry => ({ name: new URL(entry.name).pathname, transferred: entry.transferSize,
                         encoded: entry.encodedBodySize, decoded: entry.decodedBodySize }));
"#;

/// Where focus is inside the widget: the `data-testid` of the focused element in its shadow
/// root (empty when focus is elsewhere).
const FOCUSED_TEST_ID: &str = r#"
    const host = document.querySelector('[data-lexstream-host]');
    const focused = document.activeElement === host ? host.shadowRoot.activeElement : null;
    return focused ? (focused.dataset.testid || focused.tagName) : '';
"#;

async fn widget_transfers(page: &WidgetPage<'_>) -> anyhow::Result<Vec<Value>> {
    Ok(page.run_script(WIDGET_TRANSFERS).await?.as_array().cloned().unwrap_or_default())
}

fn fetched(transfers: &[Value], suffix: &str) -> bool {
    transfers.iter().any(|entry| entry["name"].as_str().is_some_and(|name| name.ends_with(suffix)))
}

async fn wait_until_fetched(page: &WidgetPage<'_>, suffix: &str) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + LOAD_TIMEOUT;
    loop {
        let transfers = widget_transfers(page).await?;
        if fetched(&transfers, suffix) {
            return Ok(transfers);
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "{suffix} never fetched: {transfers:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_focus(page: &WidgetPage<'_>, test_id: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + LOAD_TIMEOUT;
    loop {
        let focused = page.run_script(FOCUSED_TEST_ID).await?;
        if focused == test_id {
            return Ok(());
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "focus on {focused}, not {test_id}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn hover_launcher(browser: &Browser, page: &WidgetPage<'_>) -> anyhow::Result<()> {
    let launcher = page.wait_for("launcher", LOAD_TIMEOUT).await?;
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: launcher,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    browser.client.perform_actions(hover).await?;
    Ok(())
}

#[tokio::test]
async fn a_page_view_loads_only_the_loader_and_intent_then_a_click_opens_the_chat() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        // Time for anything eager to happen; nothing may.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let transfers = widget_transfers(&page).await?;
        assert!(fetched(&transfers, "/lexstream.js"), "{transfers:?}");
        assert!(
            !fetched(&transfers, ".wasm") && !fetched(&transfers, "lexstream-widget.js"),
            "{transfers:?}"
        );
        let page_view: u64 = transfers.iter().filter_map(|entry| entry["transferred"].as_u64()).sum();
        assert!(
            page_view <= PAGE_VIEW_BUDGET_BYTES,
            "a page view transferred {page_view} bytes: {transfers:?}"
        );
        let loader = &transfers[0];
        assert!(
            loader["encoded"].as_u64() < loader["decoded"].as_u64(),
            "the loader is served compressed: {loader}"
        );
        println!("page view: {page_view} bytes of widget files transferred ({transfers:?})");

        hover_launcher(browser, &page).await?;
        let transfers = wait_until_fetched(&page, "_bg.wasm").await?;
        assert!(page.find("panel").await?.is_none(), "intent loads the code but opens nothing");
        let opened: u64 = transfers.iter().filter_map(|entry| entry["transferred"].as_u64()).sum();
        println!("after intent: {opened} bytes of widget files transferred ({transfers:?})");
        for entry in &transfers {
            assert!(entry["encoded"].as_u64() < entry["decoded"].as_u64(), "served compressed: {entry}");
        }

        let started = std::time::Instant::now();
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.wait_for("panel", LOAD_TIMEOUT).await?;
        wait_for_focus(&page, "input").await?;
        println!(
            "click to an open panel with focus in the message box: {:?} (seen by WebDriver)",
            started.elapsed()
        );
        let launcher = page.wait_for("launcher", LOAD_TIMEOUT).await?;
        assert_eq!(launcher.attr("aria-expanded").await?.as_deref(), Some("true"));
        assert_eq!(page.find("launcher").await?.into_iter().count(), 1, "one launcher after the handover");
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn keyboard_alone_reaches_the_launcher_and_opens_the_chat() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        let body = browser.client.find(fantoccini::Locator::Css("body")).await?;
        let tab = char::from(Key::Tab).to_string();
        let mut reached = false;
        for _ in 0..10 {
            body.send_keys(&tab).await?;
            if page.run_script(FOCUSED_TEST_ID).await? == "launcher" {
                reached = true;
                break;
            }
        }
        anyhow::ensure!(reached, "Tab never reached the launcher");
        // Focus is intent: the code is on its way before Enter.
        wait_until_fetched(&page, "_bg.wasm").await?;
        let launcher = page.wait_for("launcher", LOAD_TIMEOUT).await?;
        launcher.send_keys(&char::from(Key::Enter).to_string()).await?;
        page.wait_for("panel", LOAD_TIMEOUT).await?;
        wait_for_focus(&page, "input").await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn when_the_code_cannot_load_the_launcher_says_so() -> anyhow::Result<()> {
    let dist =
        dist_without_wasm(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dist-without-wasm"))?;
    let devstack = start_devstack_with(move |config| config.dist_dir = dist).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        let failure = page.wait_for("load-failed", LOAD_TIMEOUT).await?;
        assert_eq!(failure.attr("role").await?.as_deref(), Some("alert"));
        assert!(failure.text().await?.contains("could not be loaded"), "{}", failure.text().await?);
        let launcher = page.wait_for("launcher", LOAD_TIMEOUT).await?;
        assert_eq!(launcher.attr("aria-busy").await?, None, "no longer busy");
        assert!(page.find("panel").await?.is_none());
        Ok(())
    })
    .await
}
