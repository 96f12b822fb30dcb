//! End to end: `ui.lang` gives the widget its language, and a language written right to left
//! mirrors the conversation — the visitor's messages on the left, the bot's on the right.

use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Sets `ui.lang` in the page's JSON config before the widget's code loads (it reads the config
/// when it mounts).
const SET_LANGUAGE: &str = "const config = document.getElementById('lexstream-config');
    const json = JSON.parse(config.textContent);
    json.ui.lang = arguments[0];
    config.textContent = JSON.stringify(json);
    return true;";

/// The host's `lang` and `dir`, the panel's computed direction, and the left edges of the
/// visitor's first message and the bot's last one.
const LAYOUT: &str = "const host = document.querySelector('[data-lexstream-host]');
    const root = host.shadowRoot;
    const left = (selector) => root.querySelector(selector).getBoundingClientRect().left;
    const bots = root.querySelectorAll('[data-testid=\"bot-message\"]');
    return {
        lang: host.getAttribute('lang'),
        dir: host.getAttribute('dir'),
        direction: getComputedStyle(root.querySelector('[data-testid=\"panel\"]')).direction,
        visitor: left('[data-testid=\"visitor-message\"]'),
        bot: bots[bots.length - 1].getBoundingClientRect().left,
    };";

#[tokio::test]
async fn a_right_to_left_language_mirrors_the_conversation() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        let set = browser.client.execute(SET_LANGUAGE, vec![json!("ar")]).await?;
        assert_eq!(set, Value::Bool(true));
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", TIMEOUT).await?;

        let layout = page.run_script(LAYOUT).await?;
        assert_eq!((&layout["lang"], &layout["dir"]), (&json!("ar"), &json!("rtl")), "{layout}");
        assert_eq!(layout["direction"], "rtl", "{layout}");
        let (visitor, bot) = (layout["visitor"].as_f64(), layout["bot"].as_f64());
        let (Some(visitor), Some(bot)) = (visitor, bot) else { anyhow::bail!("no layout: {layout}") };
        assert!(visitor < bot, "the visitor's message is on the left, the bot's on the right: {layout}");
        Ok(())
    })
    .await
}
