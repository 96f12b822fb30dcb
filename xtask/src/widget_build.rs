//! Builds the widget into `dist/` with trunk, then finishes what trunk cannot: the launcher's
//! stylesheet inlined into the loader (one file for the page view), and `.gz`/`.br` beside each
//! file a page downloads, which the devstack (and a CDN) serve by `Accept-Encoding`.

use std::path::Path;

use crate::paths;
use crate::process::{command, run_command};

/// The files a page loads for the widget, in load order: the loader (every page view), then
/// the glue and the wasm (once the visitor reaches for the chat), then the streaming socket's
/// worker (when the widget connects).
pub(crate) const WIDGET_FILES: &[&str] =
    &["lexstream.js", "lexstream-widget.js", "lexstream-widget_bg.wasm", "lexstream-socket.js"];

/// The widget's scripts: the hand-written ones (`client/loader/`, copied by trunk as they are) and
/// wasm-bindgen's glue.
const SCRIPTS: [&str; 3] = ["lexstream.js", "lexstream-socket.js", "lexstream-widget.js"];

/// What the loader source holds where the launcher's stylesheet goes.
const LAUNCHER_CSS_MARKER: &str = "'/* launcher.css */'";

/// Runs `trunk build` (with `--release` when asked) and finishes `dist/`: compressed copies for
/// a release build, none for a debug one.
pub(crate) fn build(release: bool) -> Result<(), String> {
    let mut args = vec!["build"];
    if release {
        args.push("--release");
    }
    run_command(command("trunk", &args))?;
    let dist = paths::workspace_root().join("dist");
    if release {
        optimize_wasm_again(&dist.join("lexstream-widget_bg.wasm"))?;
    }
    inline_launcher_css(&dist.join("lexstream.js"))?;
    for script in SCRIPTS {
        if release {
            minify(&dist.join(script))?;
        } else {
            strip_comment_lines(&dist.join(script))?;
        }
    }
    if release {
        crate::import_names::shorten(
            &dist.join("lexstream-widget_bg.wasm"),
            &dist.join("lexstream-widget.js"),
        )?;
    }
    for name in WIDGET_FILES {
        let file = dist.join(name);
        if release {
            precompress(&file)?;
        } else {
            // A debug wasm is tens of MB (brotli -q 11 would take a minute), and the devstack
            // must not serve a stale release copy instead of it.
            remove_compressed_copies(&file)?;
        }
    }
    Ok(())
}

/// Runs wasm-opt once more on the wasm trunk optimized, without the `target_features` and
/// `producers` sections (read by tools, never by a browser): a second run on a module re-read
/// from disk finds what the first left (432 bytes of gzip less, ~8 s).
fn optimize_wasm_again(wasm: &Path) -> Result<(), String> {
    let wasm_opt = paths::binaryen_bin().join("wasm-opt");
    let wasm = wasm.to_string_lossy();
    let args = ["--strip-target-features", "--strip-producers", "-Oz", &wasm, "-o", &wasm];
    run_command(command(&wasm_opt.to_string_lossy(), &args))
}

/// Minifies a script with terser: 1.7 KB gzip less for the loader, the glue and the socket
/// worker together. The loader and the glue are modules (their top-level names are theirs to
/// shorten); the worker is a classic script. Quotes stay as written: `cargo xtask dist` finds
/// the file names in the loader by them.
fn minify(script: &Path) -> Result<(), String> {
    let terser = paths::terser_dir().join("node_modules/.bin/terser");
    let path = script.to_string_lossy();
    let mut args = vec![&*path, "--compress", "--mangle", "--format", "quote_style=3", "-o", &*path];
    if !path.ends_with("lexstream-socket.js") {
        args.push("--module");
    }
    run_command(command(&terser.to_string_lossy(), &args))
}

fn remove_compressed_copies(path: &Path) -> Result<(), String> {
    for suffix in ["gz", "br"] {
        let mut copy = path.as_os_str().to_owned();
        copy.push(".");
        copy.push(suffix);
        match std::fs::remove_file(&copy) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("removing {}: {error}", Path::new(&copy).display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Puts `client/src/launcher.css` into the loader as a JavaScript string.
fn inline_launcher_css(loader: &Path) -> Result<(), String> {
    let css_path = paths::workspace_root().join("client/src/launcher.css");
    let css =
        std::fs::read_to_string(&css_path).map_err(|e| format!("reading {}: {e}", css_path.display()))?;
    let source = std::fs::read_to_string(loader).map_err(|e| format!("reading {}: {e}", loader.display()))?;
    if !source.contains(LAUNCHER_CSS_MARKER) {
        return Err(format!("{} has no {LAUNCHER_CSS_MARKER} to replace", loader.display()));
    }
    let inlined = source.replacen(LAUNCHER_CSS_MARKER, &js_string(&minify_css(&css)), 1);
    std::fs::write(loader, inlined).map_err(|e| format!("writing {}: {e}", loader.display()))
}

/// Writes `path.gz` (gzip -9) and `path.br` (brotli -q 11) beside `path`.
pub(crate) fn precompress(path: &Path) -> Result<(), String> {
    let file = path.to_string_lossy();
    run_command(command("gzip", &["-9", "-n", "-k", "-f", &file]))?;
    run_command(command("brotli", &["-q", "11", "-k", "-f", &file]))
}

/// CSS without comments and with runs of whitespace collapsed: the loader's bytes are every
/// page view's.
fn minify_css(css: &str) -> String {
    let mut without_comments = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        without_comments.push_str(&rest[..start]);
        rest = rest[start + 2..].split_once("*/").map_or("", |(_, after)| after);
    }
    without_comments.push_str(rest);
    without_comments.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drops the whole-line comments (`// …`, and `/* … */` blocks that start a line) and the
/// indentation of a script in `dist/`: the sources keep them for readers; every visitor downloads
/// the built file. A script with a template literal that may span lines is left as it is.
fn strip_comment_lines(script: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(script).map_err(|e| format!("reading {}: {e}", script.display()))?;
    let Some(stripped) = without_comment_lines(&source) else {
        eprintln!("xtask: {} may hold a multi-line template literal; left as it is", script.display());
        return Ok(());
    };
    std::fs::write(script, stripped).map_err(|e| format!("writing {}: {e}", script.display()))
}

/// `source` without whole-line comments and indentation; `None` if a line has an odd number of
/// backticks (a template literal could span lines, and its text must not change).
fn without_comment_lines(source: &str) -> Option<String> {
    let mut kept = String::with_capacity(source.len());
    let mut in_block = false;
    for line in source.lines().map(str::trim_start) {
        if line.matches('`').count() % 2 == 1 {
            return None;
        }
        if in_block || line.starts_with("/*") {
            in_block = !line.ends_with("*/");
            continue;
        }
        if !line.is_empty() && !line.starts_with("//") {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    Some(kept)
}

/// `text` as a single-quoted JavaScript string literal.
fn js_string(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('\'');
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("\\'"),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            c => literal.push(c),
        }
    }
    literal.push('\'');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_loses_comments_and_spare_whitespace_but_not_its_rules() {
        let css = "/* theme */\n:host {\n  --a: 'x';\n}\n/* b */ .b { content: \"\\2014\"; }\n";
        assert_eq!(minify_css(css), ":host { --a: 'x'; } .b { content: \"\\2014\"; }");
    }

    #[test]
    fn scripts_lose_whole_line_comments_and_indentation_only() {
        let source = "// header\n\nconst a = 'http://x'; // kept: not a whole line\n  if (a) {\n    // why\n    go();\n  }\n";
        assert_eq!(
            without_comment_lines(source).as_deref(),
            Some("const a = 'http://x'; // kept: not a whole line\nif (a) {\ngo();\n}\n")
        );
        let glue = "    /**\n     * @returns {number}\n     */\n    get size() {\n    /* one line */\n    return 1; /* kept */\n}\n";
        assert_eq!(without_comment_lines(glue).as_deref(), Some("get size() {\nreturn 1; /* kept */\n}\n"));
    }

    #[test]
    fn a_script_that_may_hold_a_multi_line_template_literal_is_left_alone() {
        assert_eq!(without_comment_lines("const a = `one\n  // two\n`;\n"), None);
    }

    #[test]
    fn strings_escape_what_would_end_them() {
        assert_eq!(js_string("a'b\\c\nd"), "'a\\'b\\\\c\\nd'");
    }

    #[test]
    fn the_loader_source_has_the_marker_and_the_stylesheet_exists() {
        let root = paths::workspace_root();
        let loader = std::fs::read_to_string(root.join("client/loader/lexstream.js")).unwrap_or_default();
        assert_eq!(loader.matches(LAUNCHER_CSS_MARKER).count(), 1);
        assert!(root.join("client/src/launcher.css").is_file());
    }
}
