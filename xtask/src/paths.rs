//! Where things live: the workspace, the tool cache outside it, the environment tools need.

use std::ffi::OsString;
use std::path::PathBuf;

/// The workspace root (the parent of this crate).
///
/// Read from the `CARGO_MANIFEST_DIR` that `cargo xtask` (`cargo run`) sets when it runs this
/// binary, not from the one compiled in: checkouts that share a `CARGO_TARGET_DIR` share one
/// xtask binary (cargo's artifact names do not depend on where a workspace lives), and the
/// compiled-in path would be the checkout that last built it.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

/// Tools installed per machine rather than per clone: `$LEXSTREAM_CACHE` or `~/.cache/lexstream`.
pub(crate) fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LEXSTREAM_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/tmp"));
    home.join(".cache/lexstream")
}

/// Where binaryen (wasm-opt) from npm is installed.
pub(crate) fn binaryen_dir() -> PathBuf {
    cache_dir().join("tools/binaryen")
}

/// The directory holding the npm-installed `wasm-opt`.
pub(crate) fn binaryen_bin() -> PathBuf {
    binaryen_dir().join("node_modules/.bin")
}

/// Where terser (npm), which minifies the widget's scripts in a release build, is installed.
pub(crate) fn terser_dir() -> PathBuf {
    cache_dir().join("tools/terser")
}

/// Where the Amplify JavaScript library (npm) is installed for the AppSync client test.
pub(crate) fn amplify_dir() -> PathBuf {
    cache_dir().join("tools/amplify")
}

/// Where axe-core (npm) is installed for the widget's accessibility audit.
pub(crate) fn axe_core_dir() -> PathBuf {
    cache_dir().join("tools/axe-core")
}

/// The project-local Python virtualenv for test tools (moto, cfn-lint, cargo-lambda).
pub(crate) fn venv_dir() -> PathBuf {
    workspace_root().join(".venv")
}

/// A separate virtualenv for the AWS SAM CLI (its pins clash with the other tools).
pub(crate) fn sam_venv_dir() -> PathBuf {
    workspace_root().join(".venv-sam")
}

/// A separate virtualenv for checkov (the template's security scan).
pub(crate) fn checkov_venv_dir() -> PathBuf {
    workspace_root().join(".venv-checkov")
}

/// Cargo's bin directory (`$CARGO_HOME/bin`), where `cargo install` puts tools.
pub(crate) fn cargo_bin() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home).join("bin");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cargo/bin")
}

/// `PATH` with our tool directories first: npm's binaryen, cargo's bin, the venvs.
pub(crate) fn tool_path() -> OsString {
    let mut dirs = vec![binaryen_bin(), cargo_bin(), venv_dir().join("bin"), sam_venv_dir().join("bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The chromedriver the browser tests use (`$CHROMEDRIVER` or Debian's).
pub(crate) fn chromedriver() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"))
}

/// The Chromium the browser tests use (`$CHROME` or Debian's).
pub(crate) fn chromium() -> PathBuf {
    std::env::var_os("CHROME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Cargo's target directory (`$CARGO_TARGET_DIR`, else `target/` in the workspace).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from)
}
