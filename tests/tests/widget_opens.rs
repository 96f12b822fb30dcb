//! End to end: the release build of the widget, served by the devstack, loads in headless
//! Chromium without console errors, and a visitor can open and close the chat.

use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const UI_TIMEOUT: Duration = Duration::from_secs(5);
/// The color the demo page forces on every `button` (as WebDriver reports computed colors).
const HOT_PINK: &str = "rgba(255, 105, 180, 1)";

#[tokio::test]
async fn visitor_opens_and_closes_the_chat_on_the_demo_page() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;

        let launcher = page.wait_for("launcher", UI_TIMEOUT).await?;
        assert_eq!(launcher.attr("aria-expanded").await?.as_deref(), Some("false"));
        // The demo page paints every `button` hot pink with !important; the widget must not care.
        let launcher_color = launcher.css_value("background-color").await?;
        assert_ne!(launcher_color, HOT_PINK, "page CSS leaked into the widget");
        let page_button_color = browser
            .client
            .find(fantoccini::Locator::Css("main button"))
            .await?
            .css_value("background-color")
            .await?;
        assert_eq!(page_button_color, HOT_PINK, "the demo page's hostile CSS is in effect");
        assert!(page.find("panel").await?.is_none(), "the panel starts closed");

        launcher.click().await?;
        let panel = page.wait_for("panel", LOAD_TIMEOUT).await?;
        assert!(panel.is_displayed().await?, "the open panel is visible");
        let transcript = page.wait_for("transcript", UI_TIMEOUT).await?;
        assert!(!transcript.text().await?.trim().is_empty(), "the panel greets the visitor");
        // The widget's launcher took the loader's place.
        let launcher = page.wait_for("launcher", UI_TIMEOUT).await?;
        assert_eq!(launcher.attr("aria-expanded").await?.as_deref(), Some("true"));

        let screenshot = browser.client.screenshot().await?;
        let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(shots.join("widget-open.png"), screenshot)?;

        page.wait_for("close", UI_TIMEOUT).await?.click().await?;
        page.wait_gone("panel", UI_TIMEOUT).await?;

        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors on the demo page: {errors:#?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn console_errors_are_seen_by_the_test_harness() -> anyhow::Result<()> {
    // Guards the check above: a console error on the page must reach the test.
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        browser.client.execute("console.error('lexstream-e2e-probe')", vec![]).await?;
        let errors = browser.console_errors().await?;
        assert!(
            errors.iter().any(|entry| entry.message.contains("lexstream-e2e-probe")),
            "console errors read back: {errors:#?}"
        );
        Ok(())
    })
    .await
}
