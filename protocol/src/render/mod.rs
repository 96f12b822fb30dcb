//! Bot text to HTML: the allow-list every answer's markup is held to ([`policy`]), Markdown
//! rendered without raw HTML ([`render_markdown`], feature `markdown`) also while it streams
//! ([`StreamingMarkdown`]), and text escaping.
//!
//! Sanitizing an HTML answer happens in the widget, with the browser's own parser and this
//! policy: a Rust HTML parser (html5ever, ~200 KB gzip) would double the widget's download.

pub mod audit;
#[cfg(feature = "markdown")]
mod markdown;
pub mod policy;
#[cfg(feature = "markdown")]
mod streaming;

#[cfg(feature = "markdown")]
pub use markdown::render_markdown;
#[cfg(feature = "markdown")]
pub use streaming::{MarkdownUpdate, StreamingMarkdown};

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
