//! What bot markup may contain: the one allow-list both the Markdown renderer and the widget's
//! HTML sanitizer follow.
//!
//! The widget sanitizes with the browser's own HTML parser (an inert `DOMParser` document,
//! rebuilt element by element from this list), so no HTML parser has to ship in the wasm.

/// Elements a bot answer may use. Others are unwrapped (their text kept) unless listed in
/// [`DROPPED_WITH_CONTENT`].
pub const ALLOWED_TAGS: &[&str] = &[
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

/// Elements removed together with everything inside them: their content is code, style, a
/// nested document or form controls, never text meant for the reader.
pub const DROPPED_WITH_CONTENT: &[&str] = &[
    "script",
    "style",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "noscript",
    "noembed",
    "noframes",
    "textarea",
    "select",
    "title",
    "xmp",
    "plaintext",
    "svg",
    "math",
    "head",
    "link",
    "meta",
    "base",
];

/// Attributes an allowed element may keep; every other attribute (event handlers, `style`,
/// `class`, `id`, `target`, `srcdoc`, …) is dropped.
pub fn allowed_attributes(tag: &str) -> &'static [&'static str] {
    match tag {
        "a" => &["href", "title"],
        "img" => &["src", "alt", "title", "width", "height"],
        "td" | "th" => &["align"],
        "ol" => &["start"],
        _ => &[],
    }
}

/// Attributes whose value is a URL, kept only when [`url_is_allowed`] says so.
pub const URL_ATTRIBUTES: &[&str] = &["href", "src"];

/// Schemes a link or image may use. Relative URLs (no scheme) are allowed too.
pub const ALLOWED_URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// `target` every link gets: answers never navigate the visitor away from the page.
pub const LINK_TARGET: &str = "_blank";

/// `rel` every link gets: the opened page can't reach back, learn the referrer or gain rank.
pub const LINK_REL: &str = "noopener noreferrer nofollow";

/// Whether `url` (as the browser will read it: entities already decoded) may be a link or image
/// target: no scheme at all, or one of [`ALLOWED_URL_SCHEMES`].
///
/// Browsers ignore leading spaces and control characters and drop tabs and line breaks anywhere
/// in a URL, so those are removed before looking for the scheme.
///
/// ```
/// use lexstream_protocol::render::policy::url_is_allowed;
/// assert!(url_is_allowed("https://example.com/a?b=c:d"));
/// assert!(url_is_allowed("/pricing#plans"));
/// assert!(!url_is_allowed(" java\tscript:alert(1)"));
/// assert!(!url_is_allowed("data:text/html,<p>"));
/// ```
pub fn url_is_allowed(url: &str) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some(end) = cleaned.find([':', '/', '?', '#']) else { return true };
    if !cleaned[end..].starts_with(':') {
        return true;
    }
    let scheme = &cleaned[..end];
    ALLOWED_URL_SCHEMES.iter().any(|allowed| allowed.eq_ignore_ascii_case(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_matched_without_regard_to_case() {
        assert!(url_is_allowed("HTTPS://example.com"));
        assert!(url_is_allowed("mailto:help@example.com"));
        assert!(!url_is_allowed("JaVaScRiPt:alert(1)"));
        assert!(!url_is_allowed("vbscript:msgbox(1)"));
    }

    #[test]
    fn hidden_characters_do_not_hide_a_scheme() {
        assert!(!url_is_allowed("\u{1}javascript:alert(1)"));
        assert!(!url_is_allowed("java\nscript:alert(1)"));
        assert!(!url_is_allowed("javascript\r:alert(1)"));
    }

    #[test]
    fn a_colon_after_the_path_starts_is_not_a_scheme() {
        assert!(url_is_allowed("docs/a:b"));
        assert!(url_is_allowed("?q=javascript:x"));
        assert!(url_is_allowed("//cdn.example/x.png"));
    }

    #[test]
    fn no_tag_is_both_allowed_and_dropped() {
        for tag in ALLOWED_TAGS {
            assert!(!DROPPED_WITH_CONTENT.contains(tag), "{tag}");
        }
    }
}
