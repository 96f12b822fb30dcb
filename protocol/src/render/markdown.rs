//! Markdown answers to HTML that is safe by construction: CommonMark with tables and
//! strikethrough, raw HTML shown as text, link and image targets checked against the policy
//! (an image that may not load is shown as its alt text).

use std::collections::BTreeMap;

use pulldown_cmark::{
    BrokenLink, BrokenLinkCallback, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html,
};

use super::policy::{ImageOrigins, url_attribute_is_allowed};

/// Renders a bot's Markdown answer to HTML.
///
/// HTML written inside the Markdown is shown as text, not interpreted (an answer that is HTML
/// should be sent as HTML). A link whose target is not allowed keeps its text and loses its
/// target; an image loads only from one of `images`, otherwise its alt text is shown. The
/// widget still passes the result through its sanitizer, which also makes links open in a new
/// tab.
///
/// ```
/// use lexstream_protocol::render::{policy::ImageOrigins, render_markdown};
/// let html = render_markdown("**Hi** [docs](https://example.com) <b>", &ImageOrigins::none());
/// assert_eq!(html, "<p><strong>Hi</strong> <a href=\"https://example.com\">docs</a> &lt;b&gt;</p>\n");
/// let images = ImageOrigins::parse(&["https://cdn.example.com"]).unwrap();
/// let html = render_markdown("![a cat](https://cdn.example.com/cat.png) ![a dog](/dog.png)", &images);
/// assert_eq!(html, "<p><img src=\"https://cdn.example.com/cat.png\" alt=\"a cat\" /> a dog</p>\n");
/// ```
pub fn render_markdown(markdown: &str, images: &ImageOrigins) -> String {
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    push_policy_html(&mut rendered, &mut parser(markdown, None), images);
    rendered
}

/// Link reference definitions known from elsewhere ([`label_key`] → `(url, title)`): streamed
/// text carries forward those of blocks already committed.
pub(super) type KnownDefinitions = BTreeMap<String, (String, String)>;

/// Resolves a link whose definition is not in the parsed text from [`KnownDefinitions`].
pub(super) struct DefinitionResolver<'k>(Option<&'k KnownDefinitions>);

impl<'input> BrokenLinkCallback<'input> for DefinitionResolver<'_> {
    fn handle_broken_link(&mut self, link: BrokenLink<'input>) -> Option<(CowStr<'input>, CowStr<'input>)> {
        let (dest, title) = self.0?.get(&label_key(&link.reference))?;
        Some((CowStr::from(dest.clone()), CowStr::from(title.clone())))
    }
}

/// A link label as labels are matched: Unicode case-folded, as pulldown-cmark compares them
/// (labels that lower-case alike fold alike too; the fold also matches `ß` and `SS`, as the
/// parser does within one text). Folding through the parser's own `unicase` keeps std's
/// lower-casing code and tables (~7 KB gzip) out of the widget.
pub(super) fn label_key(label: &str) -> String {
    unicase::UniCase::new(label).to_folded_case()
}

/// The one Markdown parser both renderers use: one instantiation of pulldown-cmark's generic
/// parser in the widget (each distinct callback type would add a copy of it, ~30 KB gzip).
pub(super) fn parser<'a, 'k>(
    markdown: &'a str,
    known: Option<&'k KnownDefinitions>,
) -> Parser<'a, DefinitionResolver<'k>> {
    Parser::new_with_broken_link_callback(markdown, markdown_options(), Some(DefinitionResolver(known)))
}

/// The Markdown dialect answers are written in: CommonMark with tables and strikethrough.
fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Writes parsed Markdown as HTML held to the policy, appending to `html`: raw HTML becomes
/// text; a link whose target is not allowed keeps its text and loses its target; an image not
/// from one of `images` becomes its alt text.
///
/// The only way events become markup, for whole answers and streamed ones alike; `dyn`, so the
/// HTML writer is compiled once whatever iterator feeds it.
pub(super) fn push_policy_html<'a>(
    html: &mut String,
    events: &mut dyn Iterator<Item = Event<'a>>,
    images: &ImageOrigins,
) {
    let mut dropped_targets = Vec::new();
    let events = events.filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => None,
        Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
            let allowed = target_is_allowed(&tag, images);
            dropped_targets.push(!allowed);
            allowed.then_some(Event::Start(tag))
        }
        Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
            let dropped = dropped_targets.pop().unwrap_or(false);
            (!dropped).then_some(Event::End(end))
        }
        other => Some(other),
    });
    html::push_html(html, events);
}

/// Whether a link's or image's target passes the policy (e-mail autolinks get `mailto:`).
fn target_is_allowed(tag: &Tag<'_>, images: &ImageOrigins) -> bool {
    match tag {
        Tag::Link { link_type: LinkType::Email, .. } => true,
        Tag::Link { dest_url, .. } => url_attribute_is_allowed("a", "href", dest_url, images),
        Tag::Image { dest_url, .. } => url_attribute_is_allowed("img", "src", dest_url, images),
        _ => true,
    }
}
