//! The warm-up's sample answer, in a real Chromium: it goes through the streamed-answer path a
//! real answer takes (frames read, painted piece by piece, finished on the streamed nodes), runs
//! the renderer's code for the common blocks and inlines it would otherwise compile during the
//! first answer, and leaves the page as it was.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_client::sanitize::sanitize_html;
use lexstream_client::warm_up::run_sample_answer;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::render_markdown;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_sample_answer_finishes_on_its_streamed_nodes_as_the_final_answer_renders() {
    let shown = run_sample_answer().expect("the sample finishes on the nodes it streamed");
    let markdown = shown.text_content().unwrap();
    assert!(markdown.contains("Anything else?"), "the whole sample was painted: {markdown}");
    let images = ImageOrigins::default();
    let final_markup =
        sanitize_html(&render_markdown(lexstream_client::warm_up::SAMPLE_ANSWER, &images), &images);
    assert_eq!(shown.inner_html().replace("<div class=\"lxs-stream-tail\"></div>", ""), final_markup);
}

#[wasm_bindgen_test]
fn the_sample_answer_uses_the_common_blocks_and_inlines() {
    let shown = run_sample_answer().unwrap();
    for selector in
        ["h2", "strong", "em", "del", "code", "a[href]", "ul li", "ol li", "blockquote", "table td", "pre"]
    {
        assert!(shown.query_selector(selector).unwrap().is_some(), "no {selector} in {}", shown.inner_html());
    }
}

#[wasm_bindgen_test]
fn the_sample_answer_leaves_the_page_as_it_was() {
    let document = web_sys::window().unwrap().document().unwrap();
    let before = document.document_element().unwrap().outer_html();
    run_sample_answer().unwrap();
    assert_eq!(document.document_element().unwrap().outer_html(), before);
}
