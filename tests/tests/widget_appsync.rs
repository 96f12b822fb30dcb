//! End to end in headless Chromium with `transport: "appsync-events"`: the widget subscribes to
//! the visitor's own channel on the devstack's AppSync Events API, posts the question to
//! `/chat`, shows the answer streaming in, then the formatted final answer; the debug view lists
//! the connection's events and the frames.

use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_answer_streams_over_appsync_events_then_settles_formatted() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page =
            WidgetPage::open(browser, &format!("{}/appsync.html", devstack.url()), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.ask("How does AppSync streaming work?").await?;
        let answer = page.wait_for_answer("How does AppSync streaming work", ANSWER_TIMEOUT).await?;

        let distinct: Vec<&String> = answer.streamed.iter().filter(|s| !s.is_empty()).collect();
        assert!(distinct.len() >= 3, "expected several streamed states, saw {distinct:?}");
        assert!(distinct.first().unwrap().len() < distinct.last().unwrap().len(), "the streamed text grew");
        assert!(answer.final_html.contains("<strong>devstack demo model</strong>"), "{}", answer.final_html);

        // The debug view (the demo page sets `debug: true`) shows the handshake and the frames.
        let debug =
            page.wait_for("debug-log", LOAD_TIMEOUT).await?.prop("textContent").await?.unwrap_or_default();
        for expected in [
            "connection_init",
            "connection_ack",
            "subscribe_success",
            "\"type\":\"chunk\"",
            "\"type\":\"done\"",
        ] {
            assert!(debug.contains(expected), "the debug view lacks {expected}: {debug}");
        }
        let console = browser.console().await?;
        let problems: Vec<_> = console
            .iter()
            .filter(|e| {
                e.level == "SEVERE"
                    || e.message.contains("without streaming")
                    || e.message.contains("AppSync")
            })
            .collect();
        assert!(problems.is_empty(), "console errors or stream warnings: {problems:#?}");
        Ok(())
    })
    .await
}
