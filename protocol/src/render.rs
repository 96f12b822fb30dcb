//! Bot text to HTML that is safe to put in a page: Markdown or HTML in, sanitized HTML out.
//!
//! This module is the only place in Lexstream where text becomes markup. Every path ends in the
//! same ammonia policy: a fixed allow-list of formatting tags, no scripts, styles, frames,
//! forms, SVG or event-handler attributes, and links restricted to `http`, `https`, `mailto`
//! and `tel` that open in a new tab with `rel="noopener noreferrer nofollow"`.

use std::sync::OnceLock;

use ammonia::Builder;
use pulldown_cmark::{Options, Parser, html};

/// Tags a bot answer may use; everything else is removed (its text kept where that is safe).
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// URL schemes a link or image may use.
const ALLOWED_URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

fn sanitizer() -> &'static Builder<'static> {
    static SANITIZER: OnceLock<Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = Builder::empty();
        builder
            .add_tags(ALLOWED_TAGS)
            .add_tag_attributes("a", &["href", "title"])
            .add_tag_attributes("img", &["src", "alt", "title", "width", "height"])
            .add_tag_attributes("td", &["align"])
            .add_tag_attributes("th", &["align"])
            .add_tag_attributes("ol", &["start"])
            .url_schemes(ALLOWED_URL_SCHEMES.iter().copied().collect())
            .link_rel(Some("noopener noreferrer nofollow"))
            .set_tag_attribute_value("a", "target", "_blank")
            .strip_comments(true);
        builder
    })
}

/// Renders a bot's Markdown answer (CommonMark with tables and strikethrough) to sanitized HTML.
///
/// Raw HTML inside the Markdown goes through the same sanitizer as everything else.
///
/// ```
/// let html = lexstream_protocol::render::render_markdown("**Hi** [docs](https://example.com)");
/// assert_eq!(
///     html,
///     "<p><strong>Hi</strong> <a href=\"https://example.com\" target=\"_blank\" \
///      rel=\"noopener noreferrer nofollow\">docs</a></p>\n"
/// );
/// ```
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    sanitize_html(&unsafe_html)
}

/// Sanitizes an HTML answer (a bot message that is already HTML) with the same policy.
///
/// ```
/// let html = lexstream_protocol::render::sanitize_html("<p onclick=\"x()\">Hi<script>x()</script></p>");
/// assert_eq!(html, "<p>Hi</p>");
/// ```
pub fn sanitize_html(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// Escapes text for use as HTML text content (for streamed text shown before the final answer).
///
/// ```
/// assert_eq!(lexstream_protocol::render::escape_text("<b>&"), "&lt;b&gt;&amp;");
/// ```
pub fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}
