//! `cargo xtask dist`: everything a deployment uploads, in `deploy/`: the three Lambdas as arm64
//! zips (cargo-lambda, profile `lambda`) and the release widget with content-hashed names behind
//! a stable `lexstream.js`, each with `.gz` and `.br` copies, with their sizes.

use std::path::{Path, PathBuf};

use crate::process::{command, run_command};
use crate::{paths, setup};

/// The Lambda binaries, as the template's `CodeUri`s name their zips.
pub(crate) const LAMBDAS: &[&str] = &["ws-connect", "lex-fulfillment", "answer-worker", "appsync-chat"];

/// Builds and collects everything into `deploy/`.
pub(crate) fn run() -> Result<(), String> {
    setup::run()?;
    let deploy = paths::workspace_root().join("deploy");
    let _ = std::fs::remove_dir_all(&deploy);
    let lambda_dir = deploy.join("lambda");
    let widget_dir = deploy.join("widget");
    for dir in [&lambda_dir, &widget_dir] {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }

    // The arm64 standard library, from rustup (idempotent; only `dist` needs it).
    run_command(command("rustup", &["target", "add", "aarch64-unknown-linux-gnu"]))?;
    let build_dir = target_dir().join("lambda-zips");
    let build_dir_arg = build_dir.to_string_lossy().into_owned();
    let mut args = vec!["lambda", "build", "--profile", "lambda", "--arm64", "--output-format", "zip"];
    for lambda in LAMBDAS {
        args.extend(["--package", lambda]);
    }
    args.extend(["--lambda-dir", &build_dir_arg]);
    run_command(command("cargo", &args))?;
    for lambda in LAMBDAS {
        copy(&build_dir.join(lambda).join("bootstrap.zip"), &lambda_dir.join(format!("{lambda}.zip")))?;
    }

    crate::widget_build::build(true)?;
    let dist = paths::workspace_root().join("dist");
    let glue = hashed_copy(&dist.join("lexstream-widget.js"), &widget_dir, "lexstream-widget", ".js")?;
    let wasm =
        hashed_copy(&dist.join("lexstream-widget_bg.wasm"), &widget_dir, "lexstream-widget", "_bg.wasm")?;
    let socket = hashed_copy(&dist.join("lexstream-socket.js"), &widget_dir, "lexstream-socket", ".js")?;
    let loader =
        std::fs::read_to_string(dist.join("lexstream.js")).map_err(|e| format!("reading the loader: {e}"))?;
    let loader = loader
        .replace("'lexstream-widget.js'", &format!("'{glue}'"))
        .replace("'lexstream-widget_bg.wasm'", &format!("'{wasm}'"))
        .replace("'lexstream-socket.js'", &format!("'{socket}'"));
    if [&glue, &wasm, &socket].iter().any(|name| !loader.contains(name.as_str())) {
        return Err("the loader no longer names lexstream-widget.js, lexstream-widget_bg.wasm and \
                    lexstream-socket.js as expected"
            .into());
    }
    std::fs::write(widget_dir.join("lexstream.js"), loader)
        .map_err(|e| format!("writing the loader: {e}"))?;
    // The JS API's types, for the site's own TypeScript (not downloaded by pages).
    copy(&dist.join("lexstream.d.ts"), &widget_dir.join("lexstream.d.ts"))?;
    // Uploaded beside each file, served by `Accept-Encoding` (DEPLOY.md says how).
    for name in ["lexstream.js", glue.as_str(), wasm.as_str(), socket.as_str()] {
        crate::widget_build::precompress(&widget_dir.join(name))?;
    }

    println!("xtask: deploy/ (upload with `sam deploy` and to your static host; see DEPLOY.md)");
    for dir in [&lambda_dir, &widget_dir] {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten().map(|entry| entry.path()).collect();
        entries.sort();
        for path in entries {
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            let shown = path.strip_prefix(paths::workspace_root()).unwrap_or(&path).display().to_string();
            println!("  {shown:<58} {:>9.1} KB", size as f64 / 1024.0);
        }
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| paths::workspace_root().join("target"), PathBuf::from)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

/// Copies `file` to `dir` as `<stem>-<content hash><suffix>`; returns the new name.
fn hashed_copy(file: &Path, dir: &Path, stem: &str, suffix: &str) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e} (is the widget built?)", file.display()))?;
    let name = format!("{stem}-{}{suffix}", content_hash(&bytes));
    std::fs::write(dir.join(&name), bytes).map_err(|e| format!("writing {name}: {e}"))?;
    Ok(name)
}

/// A short hash of `bytes` for cache-busting file names (FNV-1a, 64 bits; not for security).
fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{:012x}", hash >> 16)
}

#[cfg(test)]
mod tests {
    use super::content_hash;

    #[test]
    fn the_hash_changes_with_the_content_and_has_a_fixed_length() {
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
        assert_eq!(content_hash(b"a"), content_hash(b"a"));
        assert_eq!(content_hash(b"").len(), 12);
    }
}
