//! Named character references (`&name;`) render exactly as upstream pulldown-cmark 0.13.6
//! decodes them. The widget builds against a vendored copy whose entity table is packed for size
//! (see `vendor/README.md`); these tests hold it to the upstream table.
//!
//! `fixtures/html_entities.json` was generated from the unmodified crate's `src/entities.rs`
//! (every `(b"name", "\u{…}")` row, in its order), not from the vendored copy.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeSet;

use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::render_markdown;

/// How many entities upstream knows (HTML5's named character references that end in `;`).
const UPSTREAM_ENTITY_COUNT: usize = 2125;

/// Upstream's entities, name and expansion, in its (byte) order.
fn upstream_entities() -> Vec<(String, String)> {
    serde_json::from_str(include_str!("fixtures/html_entities.json")).unwrap()
}

fn render(markdown: &str) -> String {
    render_markdown(markdown, &ImageOrigins::none())
}

/// `value` as numeric character references, which the parser decodes without the entity table.
fn numeric_references(value: &str) -> String {
    value.chars().map(|c| format!("&#x{:X};", u32::from(c))).collect()
}

#[test]
fn the_fixture_is_upstreams_whole_table_in_byte_order() {
    let entities = upstream_entities();
    assert_eq!(entities.len(), UPSTREAM_ENTITY_COUNT);
    assert!(entities.windows(2).all(|pair| pair[0].0.as_bytes() < pair[1].0.as_bytes()));
}

#[test]
fn every_named_entity_renders_as_its_upstream_expansion() {
    for (name, value) in upstream_entities() {
        let expected = render(&numeric_references(&value));
        assert_eq!(render(&format!("&{name};")), expected, "&{name};");
        // Inside text, next to other references and in a link target, too.
        assert_eq!(
            render(&format!("a&{name};b&amp;")),
            render(&format!("a{}b&#x26;", numeric_references(&value))),
            "a&{name};b"
        );
        assert_eq!(
            render(&format!("[x](/&{name};)")),
            render(&format!("[x](/{})", numeric_references(&value))),
            "link to /&{name};"
        );
    }
}

/// Every prefix of every name, and every name with a character added, is an entity exactly when
/// upstream has it; otherwise it stays text.
#[test]
fn names_near_real_ones_resolve_only_when_upstream_has_them() {
    let entities = upstream_entities();
    let names: BTreeSet<&str> = entities.iter().map(|(name, _)| name.as_str()).collect();
    let value_of = |name: &str| entities.iter().find(|(known, _)| known == name).map(|(_, value)| value);
    let mut candidates = BTreeSet::new();
    for name in &names {
        for end in 0..name.len() {
            candidates.insert(name[..end].to_owned());
        }
        for extra in ['0', '9', 'A', 'Z', 'a', 'z'] {
            candidates.insert(format!("{name}{extra}"));
            candidates.insert(format!("{extra}{name}"));
        }
    }
    for candidate in candidates {
        let expected = match value_of(&candidate) {
            Some(value) => render(&numeric_references(value)),
            None => render(&format!("&amp;{candidate};")),
        };
        assert_eq!(render(&format!("&{candidate};")), expected, "&{candidate};");
    }
}

/// What upstream renders for references that are not entities, or not references at all.
#[test]
fn non_entities_render_as_upstream_renders_them() {
    let long_name = "a".repeat(10_000);
    let long_input = format!("&{long_name};");
    let long_expected = format!("<p>&amp;{long_name};</p>\n");
    let cases: &[(&str, &str)] = &[
        ("&notanentity;", "<p>&amp;notanentity;</p>\n"),
        ("&AMP", "<p>&amp;AMP</p>\n"),
        ("&amp", "<p>&amp;amp</p>\n"),
        ("&Amp;", "<p>&amp;Amp;</p>\n"),
        ("&;", "<p>&amp;;</p>\n"),
        ("& amp;", "<p>&amp; amp;</p>\n"),
        ("&amp ;", "<p>&amp;amp ;</p>\n"),
        ("&&amp;", "<p>&amp;&amp;</p>\n"),
        ("&am&amp;p;", "<p>&amp;am&amp;p;</p>\n"),
        ("&AElig;&zwnj;", "<p>\u{c6}\u{200c}</p>\n"),
        ("&frac12;&sup1;", "<p>\u{bd}\u{b9}</p>\n"),
        ("&CounterClockwiseContourIntegral;", "<p>\u{2233}</p>\n"),
        ("&CounterClockwiseContourIntegrals;", "<p>&amp;CounterClockwiseContourIntegrals;</p>\n"),
        ("&\u{c6}lig;", "<p>&amp;\u{c6}lig;</p>\n"),
        ("&lt;b&gt;", "<p>&lt;b&gt;</p>\n"),
        ("a&NewLine;b&Tab;c", "<p>a\nb\tc</p>\n"),
        ("`&amp;`", "<p><code>&amp;amp;</code></p>\n"),
        (&long_input, &long_expected),
    ];
    for (input, expected) in cases {
        assert_eq!(render(input), *expected, "{input}");
    }
}
