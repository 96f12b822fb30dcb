//! End to end in headless Chromium: a visitor asks the widget a question on the demo page; the
//! answer streams into the page before the final, formatted answer replaces it.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use lexstream_e2e::{Browser, WidgetPage, start_devstack};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The newest bot bubble's `data-state` and text, read inside the widget's shadow root.
const LAST_BOT_MESSAGE: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const bubbles = root.querySelectorAll('[data-testid="bot-message"]');
    const last = bubbles[bubbles.length - 1];
    return last ? [last.dataset.state, last.innerText, last.innerHTML] : null;
"#;

#[tokio::test]
async fn a_question_streams_word_by_word_then_the_formatted_answer_replaces_it() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let browser = Browser::start().await?;
    let result = async {
        let page = WidgetPage::open(&browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        let input = page.wait_for("input", LOAD_TIMEOUT).await?;
        input.send_keys("How does streaming work?").await?;
        input.send_keys(&char::from(Key::Enter).to_string()).await?;

        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut streamed_snapshots: Vec<String> = Vec::new();
        let final_html = loop {
            anyhow::ensure!(
                Instant::now() < deadline,
                "no final answer within {ANSWER_TIMEOUT:?}; saw {streamed_snapshots:?}"
            );
            let value = browser.client.execute(LAST_BOT_MESSAGE, vec![]).await?;
            if let Some([state, text, html]) =
                value.as_array().map(|v| v.as_slice()).and_then(|v| <&[_; 3]>::try_from(v).ok())
            {
                match state.as_str() {
                    Some("streaming") => {
                        streamed_snapshots.push(text.as_str().unwrap_or_default().to_owned());
                    }
                    Some("final")
                        if (!streamed_snapshots.is_empty() || text.as_str() != Some(""))
                            && text.as_str().is_some_and(|t| t.contains("devstack demo model")) =>
                    {
                        break html.as_str().unwrap_or_default().to_owned();
                    }
                    Some("failed") => anyhow::bail!("the turn failed: {text}"),
                    _ => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        };

        let screenshot = browser.client.screenshot().await?;
        std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("widget-answer.png"),
            screenshot,
        )?;
        // Text was visible while streaming, growing, before the final answer.
        let distinct: Vec<&String> = streamed_snapshots.iter().filter(|s| !s.is_empty()).collect();
        assert!(distinct.len() >= 3, "expected several streamed states, saw {distinct:?}");
        assert!(distinct.first().unwrap().len() < distinct.last().unwrap().len(), "the streamed text grew");
        // While streaming, Markdown is shown as text; the final answer is rendered.
        assert!(
            distinct.iter().any(|s| s.contains("**devstack demo model**")),
            "raw Markdown while streaming"
        );
        assert!(final_html.contains("<strong>devstack demo model</strong>"), "{final_html}");
        assert!(final_html.contains("<code>"), "{final_html}");
        assert!(final_html.contains("rel=\"noopener noreferrer nofollow\""), "{final_html}");

        let status =
            page.wait_for("status", LOAD_TIMEOUT).await?.prop("textContent").await?.unwrap_or_default();
        assert_eq!(status, "The answer is complete.");
        let errors: Vec<_> = browser.console().await?.into_iter().filter(|e| e.level == "SEVERE").collect();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        anyhow::Ok(())
    }
    .await;
    browser.close().await;
    devstack.stop();
    result
}

#[tokio::test]
async fn card_buttons_send_their_value() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let browser = Browser::start().await?;
    let result = async {
        let page = WidgetPage::open(&browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        let input = page.wait_for("input", LOAD_TIMEOUT).await?;
        input.send_keys("show me the options").await?;
        input.send_keys(&char::from(Key::Enter).to_string()).await?;
        let card = page.wait_for("card", ANSWER_TIMEOUT).await?;
        let button = card.find(fantoccini::Locator::Css(".lxs-card-button:nth-child(3)")).await?;
        assert_eq!(button.text().await?, "Say hello");
        button.click().await?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let value = browser.client.execute(LAST_BOT_MESSAGE, vec![]).await?;
            if value[0] == "final" && value[1].as_str().is_some_and(|t| t.contains("Ask me anything")) {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "the greeting intent did not answer: {value}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::Ok(())
    }
    .await;
    browser.close().await;
    devstack.stop();
    result
}

/// Texts of all visitor and bot bubbles, in order.
const ALL_MESSAGES: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    return [...root.querySelectorAll('[data-testid="visitor-message"], [data-testid="bot-message"]')]
        .map(node => node.innerText);
"#;

async fn ask(page: &WidgetPage<'_>, text: &str) -> anyhow::Result<()> {
    let input = page.wait_for("input", LOAD_TIMEOUT).await?;
    input.send_keys(text).await?;
    input.send_keys(&char::from(Key::Enter).to_string()).await?;
    Ok(())
}

async fn wait_for_final_containing(browser: &Browser, needle: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    loop {
        let value = browser.client.execute(LAST_BOT_MESSAGE, vec![]).await?;
        if value[0] == "final" && value[1].as_str().is_some_and(|t| t.contains(needle)) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "no final answer containing {needle:?}: {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reload_keeps_the_conversation_and_new_conversation_starts_over() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let browser = Browser::start().await?;
    let result = async {
        let page = WidgetPage::open(&browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        ask(&page, "hello").await?;
        wait_for_final_containing(&browser, "Hello!").await?;

        browser.client.refresh().await?;
        let page = WidgetPage::open(&browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.wait_for("transcript", LOAD_TIMEOUT).await?;
        let messages = browser.client.execute(ALL_MESSAGES, vec![]).await?;
        let texts: Vec<&str> = messages.as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
        assert_eq!(texts.len(), 3, "greeting, question, answer after the reload: {texts:?}");
        assert_eq!(texts[1], "hello");
        assert!(texts[2].contains("Hello!"), "{texts:?}");

        page.wait_for("new-conversation", LOAD_TIMEOUT).await?.click().await?;
        let messages = browser.client.execute(ALL_MESSAGES, vec![]).await?;
        assert_eq!(messages.as_array().unwrap().len(), 1, "only the greeting: {messages}");
        // The new conversation (a new Lex session of the same visitor) still streams.
        ask(&page, "How does streaming work?").await?;
        wait_for_final_containing(&browser, "devstack demo model").await?;
        anyhow::Ok(())
    }
    .await;
    browser.close().await;
    devstack.stop();
    result
}
