//! End to end: a visitor signed in to the site chats as themselves. The page hands the widget an
//! ID token from the devstack's OpenID Connect provider (`setLogin`, before the widget has
//! loaded); the widget gets Cognito's authenticated identity of that person — the one AWS's own
//! SDK gets for them too (another device) — and the bot's code hook sees it as the Lex session.
//! A forged token is refused with a message the visitor reads, signing out goes back to the tab's
//! anonymous identity, a token the page refreshes keeps the visitor chatting after the first one
//! expired (and one that comes back after they signed out does not sign them in), and on the demo page a signed-in visitor's answer streams (`ws-connect` binds the
//! socket to an authenticated identity as to an anonymous one).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::bail;
use aws_sdk_cognitoidentity::Client as CognitoClient;
use aws_sdk_dynamodb::types::AttributeValue;
use fantoccini::Locator;
use lexstream_devstack::oidc::PROVIDER_NAME;
use lexstream_e2e::{
    CONNECTION_TABLE, WidgetPage, devstack_id_token, devstack_widget_config, in_browser, serve_page,
    serve_stand_in_lambda, start_devstack, start_devstack_with,
};
use lexstream_lambda_core::aws::dynamodb::KEY;
use lexstream_lambda_core::aws::local_sdk_config;
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

/// What the code hook saw of each question: its text and Lex session id.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A Lambda that records each question with its session and answers "You asked: <question>".
async fn recording_lambda(seen: Seen) -> anyhow::Result<String> {
    serve_stand_in_lambda(axum::routing::post(move |axum::Json(event): axum::Json<Value>| async move {
        let question = event["inputTranscript"].as_str().unwrap_or_default().to_owned();
        let session = event["sessionId"].as_str().unwrap_or_default().to_owned();
        seen.lock().unwrap_or_else(PoisonError::into_inner).push((question.clone(), session));
        axum::Json(json!({
            "sessionState": {
                "dialogAction": { "type": "Close" },
                "intent": { "name": "FallbackIntent", "state": "Fulfilled" }
            },
            "messages": [{ "contentType": "PlainText", "content": format!("You asked: {question}") }]
        }))
    }))
    .await
}

/// The session the code hook saw `question` in.
fn session_of(seen: &Seen, question: &str) -> Option<String> {
    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    seen.iter().find(|(asked, _)| asked == question).map(|(_, session)| session.clone())
}

/// The visitor's questions the widget shows.
const QUESTIONS_SHOWN: &str = "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    return [...root.querySelectorAll('[data-testid=\"visitor-message\"]')].map((m) => m.textContent);";

/// The Cognito identity a Lex session id belongs to (`ws-connect`'s rule: up to the first `.`).
fn identity_in(session: &str) -> &str {
    session.split_once('.').map_or(session, |(identity, _)| identity)
}

/// A shop's page embedding the widget from `widget_origin`; a visitor signed in to the shop (the
/// tab's `site.login`) is signed in to the widget on every page view.
fn shop_page(widget_origin: &str) -> String {
    let config = devstack_widget_config(widget_origin);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shop</title>
<script type="application/json" id="lexstream-config">{config}</script>
<script>
  // The site's login on each page view: hands over the signed-in visitor's token, if any, before
  // the widget's code loads (the queue form runs as soon as the loader does).
  const login = JSON.parse(sessionStorage.getItem('site.login') || 'null');
  if (login) (window.lexstream = window.lexstream || []).push((chat) => chat.setLogin(login.provider, login.token));
</script>
<script type="module" src="{widget_origin}/lexstream.js"></script>
</head>
<body><h1>Shop</h1></body>
</html>"#
    )
}

/// The identity AWS's SDK gets from the devstack's Cognito for `token` in the widget's pool.
async fn identity_elsewhere(devstack_url: &str, token: &str) -> anyhow::Result<String> {
    let cognito = CognitoClient::new(&local_sdk_config(devstack_url).await);
    let pool =
        devstack_widget_config(devstack_url)["cognito"]["poolId"].as_str().unwrap_or_default().to_owned();
    let id = cognito.get_id().identity_pool_id(pool).logins(PROVIDER_NAME, token).send().await?;
    Ok(id.identity_id.unwrap_or_default())
}

/// `token` claiming to be `subject`'s, under its own signature: a forgery.
fn forged(token: &str, subject: &str) -> anyhow::Result<String> {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else { bail!("not a JWT: {token}") };
    let mut claims: Value = serde_json::from_slice(&engine.decode(payload)?)?;
    claims["sub"] = subject.into();
    Ok(format!("{header}.{}.{signature}", engine.encode(claims.to_string())))
}

#[tokio::test]
async fn a_signed_in_visitor_chats_as_themselves_and_a_forged_token_is_refused() -> anyhow::Result<()> {
    let seen: Seen = Arc::default();
    let fulfillment_url = recording_lambda(Arc::clone(&seen)).await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    let site = serve_page(shop_page(&devstack.url())).await?;
    let token = devstack_id_token(devstack.addr, "ana", 3600).await?;
    let ana_elsewhere = identity_elsewhere(&devstack.url(), &token).await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        // Before the widget's code has loaded: sign in, open, ask.
        page.run_script_with(
                "window.errors = [];
                 lexstream.on('error', (error) => errors.push(error.message));
                 lexstream.setLogin(arguments[0], arguments[1]);
                 lexstream.open();
                 lexstream.send('Who am I?');",
                vec![json!(PROVIDER_NAME), json!(token)],
        )
        .await?;
        page.wait_for_answer("You asked: Who am I?", TIMEOUT).await?;
        let session = session_of(&seen, "Who am I?").unwrap_or_default();
        assert_eq!(
            identity_in(&session),
            ana_elsewhere,
            "Ana's Lex session is her authenticated identity's, the one she gets on any device"
        );
        let kept = page.run_script("return sessionStorage.getItem('lexstream.identityId');").await?;
        assert_eq!(kept, Value::Null, "a signed-in identity is not kept as the tab's anonymous one");

        // Someone claiming to be the boss with Ana's signature: a new conversation, refused.
        page.run_script_with(
                "lexstream.setLogin(arguments[0], arguments[1]); lexstream.send('Am I the boss?');",
                vec![json!(PROVIDER_NAME), json!(forged(&token, "boss")?)],
        )
        .await?;
        let refusal = page.wait_for_script("const root = document.querySelector('[data-lexstream-host]').shadowRoot;
             const bubbles = [...root.querySelectorAll('[data-testid=\"bot-message\"]')];
             const last = bubbles[bubbles.length - 1];
             return last && last.dataset.state === 'failed' && [last.innerText, bubbles.length, errors];",
            "the forged token's refusal", TIMEOUT)
        .await?;
        let shown = refusal[0].as_str().unwrap_or_default();
        assert!(shown.contains("Please sign in again"), "the visitor reads why: {refusal}");
        assert_eq!(refusal[1], 2, "a new person's conversation: the greeting and the refusal only: {refusal}");
        assert_eq!(refusal[2][0].as_str(), Some(shown), "the page hears it as an error: {refusal}");
        assert_eq!(session_of(&seen, "Am I the boss?"), None, "the bot never heard the forger");

        // Signed out: the tab's anonymous identity, a conversation of its own.
        page.run_script("lexstream.setLogin(null); lexstream.send('And now?');").await?;
        page.wait_for_answer("You asked: And now?", TIMEOUT).await?;
        let anonymous = page.run_script("return sessionStorage.getItem('lexstream.identityId');").await?;
        let anonymous_session = session_of(&seen, "And now?").unwrap_or_default();
        assert!(anonymous.as_str().is_some_and(|id| anonymous_session.starts_with(id)), "{anonymous}");
        assert!(!anonymous_session.starts_with(&ana_elsewhere), "{anonymous_session}");

        // Ana signs in to the shop again: on the next page view the widget mounts with her login
        // (the panel was open) and the anonymous visitor's conversation, saved in the tab, is not
        // hers to see.
        page.run_script_with(
                "sessionStorage.setItem('site.login', JSON.stringify({ provider: arguments[0], token: arguments[1] }));",
                vec![json!(PROVIDER_NAME), json!(token)],
        )
        .await?;
        browser.client.refresh().await?;
        page.wait_for("input", TIMEOUT).await?;
        let questions = page
            .run_script(QUESTIONS_SHOWN)
            .await?;
        assert_eq!(questions, json!([]), "the signed-out visitor's questions are gone");

        // Ana's own conversation stays hers across the next page view.
        page.ask("Still Ana?").await?;
        page.wait_for_answer("You asked: Still Ana?", TIMEOUT).await?;
        browser.client.refresh().await?;
        page.wait_for("input", TIMEOUT).await?;
        let questions = page
            .run_script(QUESTIONS_SHOWN)
            .await?;
        assert_eq!(questions, json!(["Still Ana?"]), "her conversation continues");
        Ok(())
    })
    .await
}

/// A shop on a devstack whose code hook records each question, and Ana's tokens there: a short
/// one — sixteen seconds: the loader asks for a new one after ten (halfway, for a token of under
/// ten minutes, but never sooner than ten seconds) — and one that lives an hour; her identity.
struct Refreshing {
    seen: Seen,
    devstack: lexstream_devstack::RunningDevstack,
    site: String,
    short: String,
    fresh: String,
    ana: String,
}

async fn refreshing() -> anyhow::Result<Refreshing> {
    let seen: Seen = Arc::default();
    let fulfillment_url = recording_lambda(Arc::clone(&seen)).await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    let site = serve_page(shop_page(&devstack.url())).await?;
    let short = devstack_id_token(devstack.addr, "ana", 16).await?;
    let fresh = devstack_id_token(devstack.addr, "ana", 3600).await?;
    let ana = identity_elsewhere(&devstack.url(), &fresh).await?;
    Ok(Refreshing { seen, devstack, site, short, fresh, ana })
}

#[tokio::test]
async fn a_token_the_page_refreshes_keeps_the_visitor_signed_in_after_the_first_expires() -> anyhow::Result<()>
{
    let Refreshing { seen, devstack, site, short, fresh, ana } = refreshing().await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        page.run_script_with(
                "window.refreshes = 0;
                 window.firstExpires = JSON.parse(atob(arguments[1].split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).exp;
                 lexstream.setLogin(arguments[0], arguments[1], async () => { refreshes += 1; return arguments[2]; });
                 lexstream.open();",
                vec![json!(PROVIDER_NAME), json!(short), json!(fresh)],
        )
        .await?;
        page.wait_for("input", TIMEOUT).await?;
        page.wait_for_script("return Date.now() / 1000 > firstExpires + 1;", "the first token expiring", TIMEOUT).await?;
        // A new conversation signs in again: only the refreshed token can do that now.
        page.run_script("lexstream.newConversation(); lexstream.send('Still me?');").await?;
        page.wait_for_answer("You asked: Still me?", TIMEOUT).await?;
        let session = session_of(&seen, "Still me?").unwrap_or_default();
        assert_eq!(identity_in(&session), ana, "{session}");
        assert_eq!(page.run_script("return refreshes;").await?, 1, "asked once: the new token lives an hour");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn on_the_demo_page_a_signed_in_visitors_answer_streams() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &format!("{}/api.html", devstack.url()), TIMEOUT).await?;
        browser.client.find(Locator::Id("sign-in")).await?.click().await?;
        let status = page
            .wait_for_script(
                "return document.getElementById('signed-in-as').textContent || null;",
                "signing in",
                TIMEOUT,
            )
            .await?;
        assert_eq!(status, "Signed in as ana");
        browser.client.find(Locator::Id("ask-about-product")).await?.click().await?;
        let answer = page.wait_for_answer("devstack demo model", TIMEOUT).await?;
        assert!(!answer.streamed.is_empty(), "the answer streamed over the signed-in visitor's socket");
        // The socket's connection record (ws-connect wrote it once the session was bound to the
        // caller's identity) is under a session of Ana's authenticated identity: this tab's own
        // (`<identity>.<tab>.<conversation>`, from what the tab keeps).
        let token = devstack_id_token(devstack.addr, "ana", 3600).await?;
        let ana = identity_elsewhere(&devstack.url(), &token).await?;
        let tab = page
            .run_script("return [sessionStorage.getItem('lexstream.tab'), sessionStorage.getItem('lexstream.conversation')];")
            .await?;
        let session = format!("{ana}.{}.{}", tab[0].as_str().unwrap_or("?"), tab[1].as_str().unwrap_or("?"));
        let dynamodb = aws_sdk_dynamodb::Client::new(&local_sdk_config(&devstack.url()).await);
        let record = dynamodb
            .get_item()
            .table_name(CONNECTION_TABLE)
            .key(KEY, AttributeValue::S(session.clone()))
            .send()
            .await?;
        assert!(record.item.is_some(), "no connection of {session}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_refresh_that_comes_back_after_the_visitor_signed_out_does_not_sign_them_in() -> anyhow::Result<()>
{
    // The page holds the refreshed token until told.
    let Refreshing { seen, devstack, site, short, fresh, ana } = refreshing().await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        page.run_script_with(
                "lexstream.setLogin(arguments[0], arguments[1], () => new Promise((give) => { window.giveToken = give; }));
                 lexstream.open();
                 lexstream.send('Signed in?');",
                vec![json!(PROVIDER_NAME), json!(short)],
        )
        .await?;
        page.wait_for_answer("You asked: Signed in?", TIMEOUT).await?;
        assert_eq!(identity_in(&session_of(&seen, "Signed in?").unwrap_or_default()), ana);
        page.wait_for_script("return typeof window.giveToken === 'function';", "the refresh being asked", TIMEOUT)
            .await?;
        // The visitor signs out while the page is still fetching Ana's new token; then it arrives.
        page.run_script_with(
                "lexstream.setLogin(null);
                 giveToken(arguments[0]);
                 setTimeout(() => lexstream.send('Signed out?'), 100);",
                vec![json!(fresh)],
        )
        .await?;
        page.wait_for_answer("You asked: Signed out?", TIMEOUT).await?;
        let session = session_of(&seen, "Signed out?").unwrap_or_default();
        assert_ne!(identity_in(&session), ana, "Ana's late token signed her back in: {session}");
        Ok(())
    })
    .await
}
