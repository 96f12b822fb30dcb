//! End to end: a visitor who asks again while an answer streams sees, as the second reply, the
//! polite refusal the fulfillment answers with — and the first answer still streams to its end.

use std::time::{Duration, Instant};

use lexstream_devstack::bedrock::DemoModelSettings;
use lexstream_e2e::{WidgetPage, in_browser, start_devstack_with};

const TIMEOUT: Duration = Duration::from_secs(30);

/// Every bot bubble's `data-state` and text, oldest first.
const BOT_MESSAGES: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    return [...root.querySelectorAll('[data-testid="bot-message"]')]
        .map((bubble) => [bubble.dataset.state, bubble.innerText]);
"#;

#[tokio::test]
async fn asking_again_while_an_answer_streams_shows_the_polite_refusal() -> anyhow::Result<()> {
    // A slow model (about 6 s for the whole demo answer) leaves time to ask again.
    let devstack = start_devstack_with(|config| {
        config.model = DemoModelSettings { token_interval: Duration::from_millis(80) };
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("tell me about streaming").await?;
        let deadline = Instant::now() + TIMEOUT;
        while !matches!(page.last_bot_message().await?, Some((state, _, _)) if state == "streaming") {
            anyhow::ensure!(Instant::now() < deadline, "nothing streamed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        page.ask("and another thing").await?;
        let refusal =
            page.wait_for_answer("Please wait for the current answer to finish, or stop it", TIMEOUT).await?;
        assert_eq!(
            refusal.final_text.trim(),
            "Please wait for the current answer to finish, or stop it, before asking again."
        );
        // The first answer goes on to its end.
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let bubbles: Vec<(String, String)> =
                serde_json::from_value(page.run_script(BOT_MESSAGES).await?)?;
            let first = bubbles.iter().rev().nth(1).cloned().unwrap_or_default();
            if first.0 == "final" {
                assert!(first.1.contains("devstack demo model"), "{first:?}");
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "the first answer did not finish: {bubbles:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await
}
