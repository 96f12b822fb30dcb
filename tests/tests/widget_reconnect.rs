//! End to end: when API Gateway closes the widget's WebSocket (a drop, the 2-hour limit,
//! `DeleteConnection`), the widget reconnects by itself, so the next answer streams again.

use std::time::{Duration, Instant};

use lexstream_e2e::{WidgetPage, in_browser, start_devstack};
use lexstream_lambda_core::ports::ConnectionStore;

const TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_closed_stream_is_reopened_without_waiting_for_the_next_question() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", TIMEOUT).await?;

        let identity =
            browser.client.execute("return sessionStorage.getItem('lexstream.identityId');", vec![]).await?;
        let session_id = identity.as_str().expect("the widget keeps its identity").to_owned();
        let first = devstack.state.table.get(&session_id).await?.expect("connected for the first question");

        // API Gateway closes the connection (as DeleteConnection or its 2-hour limit would).
        assert!(devstack.state.connections.remove(&first.connection_id));

        let deadline = Instant::now() + TIMEOUT;
        let second = loop {
            if let Some(row) = devstack.state.table.get(&session_id).await?
                && row.connection_id != first.connection_id
                && devstack.state.connections.is_open(&row.connection_id)
            {
                break row;
            }
            anyhow::ensure!(Instant::now() < deadline, "the widget did not reconnect");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_ne!(second.connection_id, first.connection_id);

        page.ask("How does streaming work?").await?;
        let answer = page.wait_for_answer("devstack demo model", TIMEOUT).await?;
        assert!(
            answer.streamed.iter().any(|s| !s.is_empty()),
            "the next answer streamed on the new connection"
        );
        Ok(())
    })
    .await
}
