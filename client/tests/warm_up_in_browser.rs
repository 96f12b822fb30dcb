//! The warm-up's sample answer, in a real Chromium: it goes through the streamed-answer path a
//! real answer takes (the question asked, frames read and painted piece by piece by the reply's
//! own view, the reply finished on the streamed nodes), runs
//! the renderer's code for the common blocks and inlines it would otherwise compile during the
//! first answer, and leaves the page as it was; the Lex exchange it rehearses reads an answer
//! as a real one is read.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use leptos::prelude::Owner;
use lexstream_client::aws::lex::{Question, rehearse};
use lexstream_client::sanitize::sanitize_html;
use lexstream_client::warm_up::{run_sample_answer, start_when_idle};
use lexstream_protocol::lex::MessageContentType;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::render_markdown;
use lexstream_protocol::sigv4::Credentials;
use wasm_bindgen_test::*;

mod common;

use common::{UncaughtErrors, idle};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn the_sample_answer_finishes_on_its_streamed_nodes_as_the_final_answer_renders() {
    let shown = run_sample_answer().await.expect("the reply is final, on the nodes it streamed");
    let markdown = shown.text_content().unwrap();
    assert!(markdown.contains("Anything else?"), "the whole sample was painted: {markdown}");
    let images = ImageOrigins::default();
    let final_markup =
        sanitize_html(&render_markdown(lexstream_client::warm_up::SAMPLE_ANSWER, &images), &images);
    assert_eq!(shown.inner_html().replace("<div class=\"lxs-stream-tail\"></div>", ""), final_markup);
}

#[wasm_bindgen_test]
async fn the_sample_answer_uses_the_common_blocks_and_inlines() {
    let shown = run_sample_answer().await.unwrap();
    for selector in
        ["h2", "strong", "em", "del", "code", "a[href]", "ul li", "ol li", "blockquote", "table td", "pre"]
    {
        assert!(shown.query_selector(selector).unwrap().is_some(), "no {selector} in {}", shown.inner_html());
    }
}

#[wasm_bindgen_test]
async fn the_sample_answer_leaves_the_page_as_it_was() {
    let document = web_sys::window().unwrap().document().unwrap();
    let before = document.document_element().unwrap().outer_html();
    run_sample_answer().await.unwrap();
    assert_eq!(document.document_element().unwrap().outer_html(), before);
}

#[wasm_bindgen_test]
async fn the_warm_up_outlives_the_reactive_owner_that_started_it() {
    let errors = UncaughtErrors::listen();
    // The widget starts it from the effect that follows the panel's opening; the panel closed,
    // that effect runs again, and what its last run owned is disposed.
    let owner = Owner::new();
    owner.with(start_when_idle);
    owner.cleanup();
    drop(owner);
    // One step per idle callback: the sample's few steps are over well within these.
    for _ in 0..16 {
        idle().await;
    }
    assert_eq!(errors.seen(), Vec::<String>::new(), "nothing thrown while the sample ran");
}

#[wasm_bindgen_test]
fn the_rehearsed_lex_exchange_reads_the_answer_as_a_real_one_is_read() {
    let credentials = Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "secret".into(),
        session_token: None,
    };
    let question = Question {
        session_id: "s".into(),
        text: "hi",
        session_attributes: BTreeMap::new(),
        request_attributes: BTreeMap::new(),
    };
    let answer = r#"{"messages":[{"content":"**Hello**","contentType":"CustomPayload"}],
        "sessionState":{"dialogAction":{"type":"Close"},"sessionAttributes":{"topic":"orders"}},"sessionId":"s"}"#;
    let read = rehearse(&question, "eu-west-1", &credentials, answer).unwrap();
    let messages = read.messages.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].content_type, MessageContentType::CustomPayload);
    assert_eq!(messages[0].content.as_deref(), Some("**Hello**"));
    let attributes = read.session_state.unwrap().session_attributes.unwrap();
    assert_eq!(attributes.get("topic").map(String::as_str), Some("orders"));
    assert!(
        rehearse(&question, "eu-west-1", &credentials, "{not json").is_err(),
        "a broken answer is an error"
    );
}
