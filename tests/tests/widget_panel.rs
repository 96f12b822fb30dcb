//! End to end in headless Chromium: the panel's behaviour around a conversation — the log
//! follows new text until the visitor scrolls up to read, and minimizing keeps an answer under
//! way going, with a badge on the launcher when it completes.

use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How far (px) the log's bottom edge is from the end of its content.
const DISTANCE_FROM_BOTTOM: &str = r#"
    const log = document.querySelector('[data-lexstream-host]').shadowRoot.querySelector('[data-testid="transcript"]');
    return log.scrollHeight - log.scrollTop - log.clientHeight;
"#;

/// Scrolls the log to the top, as a reader would, and says whether an answer was still
/// streaming at that moment (so later text arrives while scrolled up).
const SCROLL_UP_WHILE_STREAMING: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const log = root.querySelector('[data-testid="transcript"]');
    log.scrollTop = 0;
    log.dispatchEvent(new Event('scroll'));
    const bubbles = root.querySelectorAll('[data-testid="bot-message"]');
    const state = bubbles[bubbles.length - 1].dataset.state;
    return state === 'streaming' || state === 'waiting';
"#;

const SCROLL_TOP: &str = r#"
    return document.querySelector('[data-lexstream-host]').shadowRoot.querySelector('[data-testid="transcript"]').scrollTop;
"#;

/// Waits until the visitor's bubble for `text` is in the log (the question was taken).
async fn wait_for_visitor_message(page: &WidgetPage<'_>, text: &str) -> anyhow::Result<()> {
    let script = format!(
        "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
         return [...root.querySelectorAll('[data-testid=\"visitor-message\"]')].some(n => n.innerText === {text:?});"
    );
    let deadline = std::time::Instant::now() + LOAD_TIMEOUT;
    while page.run_script(&script).await?.as_bool() != Some(true) {
        anyhow::ensure!(std::time::Instant::now() < deadline, "the question {text:?} never showed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test]
async fn the_log_follows_answers_until_the_visitor_scrolls_up() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        // Enough answers to overflow the log; each time, the newest text is in view.
        for question in ["first question", "second question", "third question"] {
            page.ask(question).await?;
            page.wait_for_answer(question, ANSWER_TIMEOUT).await?;
            let distance = page.run_script(DISTANCE_FROM_BOTTOM).await?.as_f64().unwrap_or(f64::MAX);
            assert!(distance < 2.0, "after {question:?} the log is {distance}px from its end");
        }
        // Scrolling up while an answer streams: the rest of it must not pull the reader down.
        let mut scrolled_mid_answer = false;
        for attempt in 0..3 {
            let question = format!("question to read back {attempt}");
            page.ask(&question).await?;
            wait_for_visitor_message(&page, &question).await?;
            scrolled_mid_answer = page.run_script(SCROLL_UP_WHILE_STREAMING).await?.as_bool() == Some(true);
            page.wait_for_answer(&question, ANSWER_TIMEOUT).await?;
            if scrolled_mid_answer {
                break;
            }
        }
        assert!(scrolled_mid_answer, "never managed to scroll up while an answer was under way");
        let top = page.run_script(SCROLL_TOP).await?.as_f64().unwrap_or(f64::MAX);
        assert!(top < 2.0, "the log pulled the reader {top}px down");
        // Sending again follows the conversation again.
        page.ask("back to the bottom").await?;
        page.wait_for_answer("back to the bottom", ANSWER_TIMEOUT).await?;
        let distance = page.run_script(DISTANCE_FROM_BOTTOM).await?.as_f64().unwrap_or(f64::MAX);
        assert!(distance < 2.0, "after sending, the log is {distance}px from its end");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn minimizing_keeps_the_answer_coming_and_flags_it_on_the_launcher() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.ask("answer me while I look away").await?;
        // The widget's own launcher, which took the loader's place when the chat opened.
        let launcher = page.wait_for("launcher", LOAD_TIMEOUT).await?;
        page.wait_for("minimize", LOAD_TIMEOUT).await?.click().await?;
        page.wait_gone("panel", LOAD_TIMEOUT).await?;
        assert!(page.find("unread").await?.is_none(), "no badge before the answer completes");

        page.wait_for("unread", ANSWER_TIMEOUT).await?;
        let label = launcher.attr("aria-label").await?.unwrap_or_default();
        assert_eq!(label, "Open chat (new reply)");

        launcher.click().await?;
        let answer = page.wait_for_answer("devstack demo model", LOAD_TIMEOUT).await?;
        assert!(answer.final_text.contains("answer me while I look away"), "{}", answer.final_text);
        page.wait_gone("unread", LOAD_TIMEOUT).await?;
        // The panel's views went and came back mid-answer: nothing they left for later (a paint,
        // the log's scroll follow) may throw once they are gone.
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        Ok(())
    })
    .await
}
