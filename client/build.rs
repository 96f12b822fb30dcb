//! Build script: the panel's stylesheet (`widget.css`) without comments and runs of whitespace,
//! written to `OUT_DIR` for `embed.rs`: its bytes are in every download of the widget, the
//! comments are for the people editing it (~0.5 KB gzip). The launcher's (`launcher.css`) is the
//! loader's to carry: the widget adds its sheet after the one the loader adopted.

use std::path::PathBuf;

/// The stylesheets, in the order they apply.
const STYLESHEETS: [&str; 1] = ["src/widget.css"];

fn main() {
    let mut css = String::new();
    for path in STYLESHEETS {
        println!("cargo::rerun-if-changed={path}");
        let sheet = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        css.push_str(&sheet);
        css.push('\n');
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out_dir.join("widget.min.css");
    std::fs::write(&target, compact(&css)).unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}

/// `css` with its `/* … */` comments dropped and every run of whitespace made one space (the
/// stylesheets hold no string in which that would matter).
fn compact(css: &str) -> String {
    let mut kept = String::with_capacity(css.len());
    let mut rest = css;
    while let Some((before, after)) = rest.split_once("/*") {
        kept.push_str(before);
        kept.push(' ');
        rest = after.split_once("*/").map_or("", |(_, after_comment)| after_comment);
    }
    kept.push_str(rest);
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}
