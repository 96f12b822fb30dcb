//! What bot markup may contain: the one allow-list both the Markdown renderer and the widget's
//! HTML sanitizer follow.
//!
//! The widget sanitizes with the browser's own HTML parser (an inert `DOMParser` document,
//! checked element by element against this list), so no HTML parser has to ship in the wasm.
//!
//! Images are the one kind of markup that loads something without a click: an image URL in a
//! prompt-injected answer could carry the conversation to anyone, and a relative one fires a
//! request with the host site's cookies. So an image loads only from the origins the site owner
//! lists ([`ImageOrigins`]); any other image is shown as its alt text.

mod origin;

use origin::{as_browser_reads, split_origin};

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

/// Attributes whose value is a URL, kept only when [`url_attribute_is_allowed`] says so.
pub const URL_ATTRIBUTES: &[&str] = &["href", "src"];

/// Schemes a link may use. Relative URLs (no scheme) are allowed too. (Images need more: see
/// [`ImageOrigins`].)
pub const ALLOWED_URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// `target` every link gets: answers never navigate the visitor away from the page.
pub const LINK_TARGET: &str = "_blank";

/// `rel` every link gets: the opened page can't reach back, learn the referrer or gain rank.
pub const LINK_REL: &str = "noopener noreferrer nofollow";

/// Whether `url` (as the browser will read it: entities already decoded) may be a link target:
/// no scheme at all, or one of [`ALLOWED_URL_SCHEMES`].
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
    let cleaned = as_browser_reads(url);
    let Some(end) = cleaned.find([':', '/', '?', '#']) else { return true };
    if !cleaned[end..].starts_with(':') {
        return true;
    }
    let scheme = &cleaned[..end];
    ALLOWED_URL_SCHEMES.iter().any(|allowed| allowed.eq_ignore_ascii_case(scheme))
}

/// Whether `value` may stay as the URL attribute `attribute` of an allowed element `tag`: an
/// image's `src` only from an allowed origin ([`ImageOrigins::allows`]), any other URL by its
/// scheme ([`url_is_allowed`]). Attributes that hold no URL are always allowed here.
///
/// ```
/// use lexstream_protocol::render::policy::{ImageOrigins, url_attribute_is_allowed};
/// let images = ImageOrigins::parse(&["https://cdn.example.com"]).unwrap();
/// assert!(url_attribute_is_allowed("img", "src", "https://cdn.example.com/cat.png", &images));
/// assert!(!url_attribute_is_allowed("img", "src", "/account/logout", &images));
/// assert!(url_attribute_is_allowed("a", "href", "/account", &images));
/// ```
pub fn url_attribute_is_allowed(tag: &str, attribute: &str, value: &str, images: &ImageOrigins) -> bool {
    match (tag, attribute) {
        ("img", "src") => images.allows(value),
        _ if URL_ATTRIBUTES.contains(&attribute) => url_is_allowed(value),
        _ => true,
    }
}

/// The origins images in bot answers may load from: the site owner's list
/// (`ui.allowedImageOrigins`), none by default.
///
/// An image loads only when its URL is absolute (`http:` or `https:`) and its origin is in the
/// list; relative URLs never load (they would reach the host site with its cookies), nor does a
/// URL whose host a browser might read differently (user names, backslashes, percent-encoded
/// hosts). An image that may not load is shown as its alt text.
///
/// ```
/// use lexstream_protocol::render::policy::ImageOrigins;
/// let images = ImageOrigins::parse(&["https://cdn.example.com"]).unwrap();
/// assert!(images.allows("https://CDN.example.com:443/cat.png"));
/// assert!(!images.allows("https://attacker.example/?q=secret"));
/// assert!(!images.allows("https://cdn.example.com@attacker.example/"));
/// assert!(!ImageOrigins::none().allows("https://cdn.example.com/cat.png"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageOrigins {
    /// Normalized origins (`scheme://host[:port]`, lower-cased, no default port).
    origins: Vec<String>,
}

/// An entry of a list of origins that is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an origin like \"https://cdn.example.com\"")]
pub struct NotAnOrigin(pub String);

impl ImageOrigins {
    /// No image may load: every image is shown as its alt text.
    pub fn none() -> Self {
        Self::default()
    }

    /// The origins in `entries` (`https://cdn.example.com`, `http://127.0.0.1:9000`; a
    /// trailing `/` is allowed). An entry with a path, a user name, another scheme or anything
    /// else that is not a plain origin is refused.
    pub fn parse(entries: &[&str]) -> Result<Self, NotAnOrigin> {
        let mut origins = Vec::with_capacity(entries.len());
        for &entry in entries {
            match split_origin(entry) {
                Some((origin, rest)) if rest.is_empty() || rest == "/" => {
                    if !origins.contains(&origin) {
                        origins.push(origin);
                    }
                }
                _ => return Err(NotAnOrigin(entry.to_owned())),
            }
        }
        Ok(Self { origins })
    }

    /// Whether an image at `src` (as the browser will read it: entities already decoded) may
    /// load.
    pub fn allows(&self, src: &str) -> bool {
        split_origin(src).is_some_and(|(origin, _)| self.origins.contains(&origin))
    }

    /// The allowed origins, normalized.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }
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
    fn an_image_loads_only_from_an_allowed_origin() {
        let images = ImageOrigins::parse(&["https://cdn.example.com/", "http://127.0.0.1:9000"]).unwrap();
        assert_eq!(images.origins(), ["https://cdn.example.com", "http://127.0.0.1:9000"]);
        assert!(images.allows("https://cdn.example.com/a.png"));
        assert!(images.allows("http://127.0.0.1:9000/a.png"));
        for blocked in [
            "/account/logout",
            "//cdn.example.com/a.png",
            "a.png",
            "http://cdn.example.com/a.png",
            "https://cdn.example.com:8443/a.png",
            "https://cdn.example.com.attacker.example/a.png",
            "https://attacker.example/?q=cdn.example.com",
            "http://127.0.0.1:9001/a.png",
            "data:image/png;base64,AA==",
        ] {
            assert!(!images.allows(blocked), "{blocked}");
        }
    }

    #[test]
    fn an_entry_that_is_not_an_origin_is_refused() {
        for entry in ["cdn.example.com", "https://cdn.example.com/images", "*", "https://*.example.com", ""] {
            assert_eq!(ImageOrigins::parse(&[entry]), Err(NotAnOrigin(entry.to_owned())), "{entry}");
        }
    }

    #[test]
    fn links_keep_their_own_rule_and_images_follow_the_origins() {
        let none = ImageOrigins::none();
        assert!(url_attribute_is_allowed("a", "href", "/pricing", &none));
        assert!(!url_attribute_is_allowed("a", "href", "javascript:x", &none));
        assert!(!url_attribute_is_allowed("img", "src", "https://cdn.example.com/a.png", &none));
        assert!(url_attribute_is_allowed("img", "alt", "anything", &none));
    }

    #[test]
    fn no_tag_is_both_allowed_and_dropped() {
        for tag in ALLOWED_TAGS {
            assert!(!DROPPED_WITH_CONTENT.contains(tag), "{tag}");
        }
    }
}
