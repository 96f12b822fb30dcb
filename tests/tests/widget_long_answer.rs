//! Durable turns in a real Chromium on the devstack with Lex's code-hook timeout set to 5 s and
//! a model that takes about 12 s: the answer outlives Lex (async mode, the answer worker), keeps
//! streaming through a reload, and a retried turn (sync mode, Lex timing out) gives one answer.

use std::time::{Duration, Instant};

use lexstream_e2e::{Browser, WidgetPage, in_browser, start_devstack_with};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Lex's code-hook timeout in these tests.
const LEX_TIMEOUT: Duration = Duration::from_secs(5);
/// The demo answer has about 70 tokens: about 12 s at this pace.
const SLOW_TOKEN: Duration = Duration::from_millis(170);

/// Texts of all bot bubbles, in order.
const BOT_MESSAGES: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    return [...root.querySelectorAll('[data-testid="bot-message"]')].map(node => node.innerText);
"#;

async fn opened_chat<'a>(browser: &'a Browser, url: &str) -> anyhow::Result<WidgetPage<'a>> {
    let page = WidgetPage::open(browser, url, LOAD_TIMEOUT).await?;
    page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
    Ok(page)
}

/// A devstack whose Lex gives up after [`LEX_TIMEOUT`], whose model needs about 12 s, and whose
/// fulfillment hands streamed answers to the answer worker.
async fn slow_model_with_answer_worker() -> anyhow::Result<lexstream_devstack::RunningDevstack> {
    start_devstack_with(|config| {
        config.fulfillment_timeout = LEX_TIMEOUT;
        config.async_answers = true;
        config.model.token_interval = SLOW_TOKEN;
    })
    .await
}

async fn bot_messages(browser: &Browser) -> anyhow::Result<Vec<String>> {
    let value = browser.client.execute(BOT_MESSAGES, vec![]).await?;
    Ok(value.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect())
}

#[tokio::test]
async fn an_answer_longer_than_lex_allows_streams_to_the_end_and_shows_formatted() -> anyhow::Result<()> {
    let devstack = slow_model_with_answer_worker().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        let asked = Instant::now();
        page.ask("Tell me about long answers").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
        let took = asked.elapsed();
        assert!(took > LEX_TIMEOUT + Duration::from_secs(3), "the answer outlived Lex's limit: {took:?}");
        assert!(answer.final_html.contains("<strong>devstack demo model</strong>"), "{}", answer.final_html);
        assert!(answer.final_text.contains("Lexstream README"), "the whole answer: {}", answer.final_text);
        assert!(!answer.final_text.contains("being written"), "never the placeholder: {}", answer.final_text);
        let streamed: Vec<&String> = answer.streamed.iter().filter(|s| !s.is_empty()).collect();
        assert!(streamed.len() >= 5, "it streamed: {streamed:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_reload_mid_answer_shows_the_same_answer_continuing_then_final() -> anyhow::Result<()> {
    let devstack = slow_model_with_answer_worker().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        page.ask("Tell me about reloads").await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let before: String = match page.last_bot_message().await? {
            Some((state, text, _)) => {
                assert_eq!(state, "streaming", "still under way at 3 s");
                text
            }
            None => anyhow::bail!("no reply at 3 s"),
        };
        assert!(before.contains("You asked"), "text had arrived before the reload: {before:?}");

        browser.client.refresh().await?;
        // The panel was open and a reply under way: the widget loads at once and opens by itself.
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
        // After the reload the reply was shown under way again, with at least what it had.
        let resumed: Vec<&String> = answer.streamed.iter().filter(|s| !s.is_empty()).collect();
        assert!(!resumed.is_empty(), "the reply was shown streaming after the reload");
        assert!(
            resumed[0].starts_with(before.trim_end()),
            "continued, not restarted: {:?} vs {before:?}",
            resumed[0]
        );
        assert!(answer.final_html.contains("<strong>devstack demo model</strong>"), "{}", answer.final_html);
        assert_eq!(answer.final_text.matches("You asked").count(), 1, "one answer: {}", answer.final_text);
        let bots = bot_messages(browser).await?;
        assert_eq!(bots.len(), 2, "the greeting and one answer: {bots:?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_retried_turn_gives_one_answer() -> anyhow::Result<()> {
    // Sync mode: Lex gives up after 5 s with a 502 and the widget retries the same turn; the
    // retry finds the turn claimed and returns the first invocation's answer instead of asking
    // the model again.
    let devstack = start_devstack_with(|config| {
        config.fulfillment_timeout = LEX_TIMEOUT;
        config.model.token_interval = Duration::from_millis(110);
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        page.ask("Tell me about retries").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
        assert_eq!(answer.final_text.matches("You asked").count(), 1, "one answer: {}", answer.final_text);
        for seen in &answer.streamed {
            assert!(seen.matches("You asked").count() <= 1, "never two streams at once: {seen:?}");
        }
        assert!(answer.final_text.contains("Lexstream README"), "the whole answer: {}", answer.final_text);
        let bots = bot_messages(browser).await?;
        assert_eq!(bots.len(), 2, "the greeting and one answer: {bots:?}");
        Ok(())
    })
    .await
}
