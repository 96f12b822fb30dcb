//! End to end over AppSync Events: when the realtime connection drops, the widget reconnects and
//! subscribes again by itself, so the next answer streams again.

use std::time::{Duration, Instant};

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_dropped_events_connection_is_reopened_and_resubscribed() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &format!("{}/appsync.html", devstack.url()), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("first question").await?;
        page.wait_for_answer("first question", TIMEOUT).await?;
        assert_eq!(devstack.state.events.subscription_count(), 1);

        assert_eq!(devstack.state.events.drop_connections(), 1, "one realtime connection to drop");
        let deadline = Instant::now() + TIMEOUT;
        // The old subscription goes with its connection (the widget waits ≥ 250 ms before
        // reconnecting); then a new one appears without a question being asked.
        while devstack.state.events.subscription_count() != 0 {
            anyhow::ensure!(Instant::now() < deadline, "the dropped subscription stayed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        while devstack.state.events.subscription_count() != 1 {
            anyhow::ensure!(Instant::now() < deadline, "the widget did not subscribe again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        page.ask("second question").await?;
        let answer = page.wait_for_answer("second question", TIMEOUT).await?;
        assert!(
            answer.streamed.iter().any(|s| !s.is_empty()),
            "the next answer streamed on the new connection"
        );
        Ok(())
    })
    .await
}
