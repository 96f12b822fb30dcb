//! Rendering tests: hostile Markdown/HTML executes nothing; ordinary Markdown keeps its shape.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::render::{render_markdown, sanitize_html};

/// Things that must never appear in rendered output, whatever the input.
const FORBIDDEN: &[&str] = &[
    "<script",
    "<style",
    "<iframe",
    "<svg",
    "<math",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<link",
    "<meta",
    "<base",
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "onfocus",
    "srcdoc",
    "formaction",
    "style=",
];

/// The markup of `html`: every `<…>` tag, without the text between tags. Sanitized text
/// escapes `<`, so each `<` left in the output opens a real tag a browser would build.
fn tags_of(html: &str) -> String {
    html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or(rest)).collect::<Vec<_>>().join("\n<")
}

fn assert_harmless(input: &str, output: &str) {
    let markup = format!("<{}", tags_of(output)).to_ascii_lowercase();
    for needle in FORBIDDEN {
        assert!(!markup.contains(needle), "{needle:?} survived\n input: {input}\noutput: {output}");
    }
}

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2Zz4=)",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<p onclick=\"alert(1)\" onmouseover='alert(2)'>hi</p>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=\"evil.swf\"></object><embed src=\"evil.swf\">",
    "<form action=\"https://evil.example\"><input name=p><button formaction=javascript:alert(1)>go</button></form>",
    "<link rel=stylesheet href=//evil.example/x.css><meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--<img src=x onerror=alert(1)>-->",
    "[a](vbscript:msgbox(1))",
    "<a href=\"https://ok.example\" target=\"_self\" rel=\"opener\">ok</a>",
];

#[test]
fn hostile_markdown_renders_harmless() {
    for input in HOSTILE {
        assert_harmless(input, &render_markdown(input));
    }
}

#[test]
fn hostile_html_sanitizes_harmless() {
    for input in HOSTILE {
        assert_harmless(input, &sanitize_html(input));
    }
}

#[test]
fn every_surviving_link_opens_safely_in_a_new_tab() {
    let html = render_markdown(
        "[a](https://a.example) <a href=\"https://ok.example\" target=\"_self\" rel=\"opener\">ok</a> <mailto:help@example.com>",
    );
    assert_eq!(html.matches("<a ").count(), 3, "{html}");
    assert_eq!(html.matches("target=\"_blank\"").count(), 3, "{html}");
    assert_eq!(html.matches("rel=\"noopener noreferrer nofollow\"").count(), 3, "{html}");
    assert!(!html.contains("_self") && !html.contains("\"opener\""), "{html}");
}

#[test]
fn dangerous_link_keeps_its_text_but_loses_its_target() {
    let html = render_markdown("[click me](javascript:alert(1))");
    assert!(html.contains("click me"), "{html}");
    assert!(!html.contains("href"), "{html}");
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
    let html = render_markdown(markdown);
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
        "<th>Name</th>",
        "<td>2</td>",
        "<pre><code>fn main() { println!(\"&lt;hi&gt;\"); }\n</code></pre>",
        "<blockquote>\n<p>quoted</p>\n</blockquote>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
}

#[test]
fn images_with_https_sources_survive_with_alt_text() {
    let html = render_markdown("![a cat](https://img.example/cat.png)");
    assert_eq!(html, "<p><img src=\"https://img.example/cat.png\" alt=\"a cat\"></p>\n");
}

#[test]
fn plain_html_answer_keeps_allowed_formatting() {
    let html = sanitize_html("<p>Hello <b>there</b><br><a href=\"https://x.example\">x</a></p>");
    assert_eq!(
        html,
        "<p>Hello <b>there</b><br><a href=\"https://x.example\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a></p>"
    );
}

#[test]
#[should_panic(expected = "survived")]
fn the_harmlessness_check_catches_a_live_handler() {
    assert_harmless("x", "<p>ok</p><img src=\"x\" onerror=\"alert(1)\">");
}

#[test]
fn text_that_merely_mentions_danger_is_kept_as_text() {
    let html = sanitize_html("Never click javascript:alert(1) links.");
    assert_eq!(html, "Never click javascript:alert(1) links.");
}
