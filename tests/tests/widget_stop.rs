//! End to end: the visitor stops an answer while it streams. The widget sends
//! `{"action":"stop"}`, `ws-connect` marks the turn on the session's row, the fulfillment's relay
//! sees it and ends generation; the final answer is what had been generated, marked stopped.

use std::time::Duration;

use lexstream_devstack::bedrock::DemoModelSettings;
use lexstream_e2e::{WidgetPage, in_browser, start_devstack_with};

const TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn stop_ends_the_answer_with_what_was_generated() -> anyhow::Result<()> {
    // A slow model (about 8 s for the whole demo answer) leaves time to press Stop.
    let devstack = start_devstack_with(|config| {
        config.model = DemoModelSettings { token_interval: Duration::from_millis(110) };
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("please stop me").await?;
        // Wait until some text has streamed, then stop.
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            if let Some((state, text, _)) = page.last_bot_message().await?
                && state == "streaming"
                && text.len() > 20
            {
                break;
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "nothing streamed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        page.wait_for("stop", TIMEOUT).await?.click().await?;
        let answer = page.wait_for_answer("Stopped", TIMEOUT).await?;
        assert!(answer.final_text.contains("please stop me"), "{}", answer.final_text);
        assert!(
            !answer.final_text.contains("Read more in the"),
            "the answer's last sentence was never generated: {}",
            answer.final_text
        );
        page.wait_gone("stop", TIMEOUT).await?;
        Ok(())
    })
    .await
}
