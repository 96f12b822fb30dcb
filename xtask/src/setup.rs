//! `cargo xtask setup`: installs what the project needs, idempotently (see TOOLCHAIN facts in
//! the README): each step checks first and installs only what is missing or at the wrong version.

use std::path::Path;
use std::process::Command;

use crate::paths;
use crate::process::{command, is_root, output, run_command};

/// Exact tool versions. trunk 0.22 needs a newer rustc; wasm-bindgen-cli must equal the crate.
const TRUNK_VERSION: &str = "0.21.14";
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const BINARYEN_VERSION: &str = "132.0.0";
const DEBIAN_BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

/// The terser release that minifies the widget's scripts (`xtask/src/widget_build.rs`).
const TERSER_VERSION: &str = "5.51.4";

/// The Amplify JS release the AppSync Events client test uses.
const AMPLIFY_VERSION: &str = "6.22.1";

/// The axe-core release the widget's accessibility audit runs (`tests/tests/widget_accessibility.rs`).
const AXE_CORE_VERSION: &str = "4.14.1";

/// Python test tools: DynamoDB-compatible server (it brings boto3), template linter, Lambda
/// builder, and AWS's Lambda runtime client for Python (runs the Python fulfillment example under
/// the devstack's Lambda Runtime API).
const PYTHON_TOOLS: &[&str] =
    &["moto[server]==5.2.5", "cfn-lint==1.58.0", "cargo-lambda==1.9.2", "awslambdaric==4.2.2"];
/// The SAM CLI, in a venv of its own.
const SAM_TOOLS: &[&str] = &["aws-sam-cli==1.170.0"];
/// checkov, the template's security scanner, in a venv of its own too (its pins are its own).
const CHECKOV_TOOLS: &[&str] = &["checkov==3.3.30"];

/// Installs everything; prints one line per step saying whether it was already there.
///
/// On a fresh machine the two `cargo install`s take most of the time and all the CPU, while the
/// downloads (apt, npm, pip) mostly wait on the network: they run side by side.
pub(crate) fn run() -> Result<(), String> {
    let downloads = std::thread::spawn(|| -> Result<(), String> {
        binaryen()?;
        npm_package(&paths::terser_dir(), "terser", TERSER_VERSION)?;
        browser()?;
        brotli()?;
        amplify()?;
        axe_core()?;
        python_venv(&paths::venv_dir(), PYTHON_TOOLS)?;
        python_venv(&paths::sam_venv_dir(), SAM_TOOLS)?;
        python_venv(&paths::checkov_venv_dir(), CHECKOV_TOOLS)
    });
    let compiled = wasm_target()
        .and_then(|()| cargo_tool("trunk", "trunk", TRUNK_VERSION, true))
        .and_then(|()| cargo_tool("wasm-bindgen", "wasm-bindgen-cli", WASM_BINDGEN_VERSION, false));
    let downloaded = downloads.join().map_err(|_| "the download steps of setup panicked".to_owned())?;
    compiled?;
    downloaded?;
    eprintln!("xtask: setup complete");
    Ok(())
}

/// Only the Python test tools' venv (what the benchmarks that run Python need).
pub(crate) fn python_tools() -> Result<(), String> {
    python_venv(&paths::venv_dir(), PYTHON_TOOLS)
}

fn present(what: &str) {
    eprintln!("xtask: setup: {what} already installed");
}

fn wasm_target() -> Result<(), String> {
    let installed = output(command("rustup", &["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        present("rust target wasm32-unknown-unknown");
        return Ok(());
    }
    run_command(command("rustup", &["target", "add", "wasm32-unknown-unknown"]))
}

/// `cargo install`s `krate` at `version` unless `binary --version` already reports it.
fn cargo_tool(binary: &str, krate: &str, version: &str, locked: bool) -> Result<(), String> {
    let reported = output(command(binary, &["--version"])).unwrap_or_default();
    if reported.split_whitespace().any(|word| word == version) {
        present(&format!("{krate} {version}"));
        return Ok(());
    }
    let mut args = vec!["install", krate, "--version", version];
    if locked {
        args.push("--locked");
    }
    let mut install = command("cargo", &args);
    // Fat LTO makes these installs take ~13 minutes on 2 cores; thin codegen and light
    // optimization are plenty for build tools (they spend their time waiting on rustc).
    install
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env_remove("CARGO_TARGET_DIR");
    run_command(install)
}

fn binaryen() -> Result<(), String> {
    let wasm_opt = paths::binaryen_bin().join("wasm-opt");
    let reported = output(command(&wasm_opt.to_string_lossy(), &["--version"])).unwrap_or_default();
    let major = BINARYEN_VERSION.split('.').next().unwrap_or(BINARYEN_VERSION);
    if reported.contains(&format!("version {major}")) {
        present(&format!("binaryen {BINARYEN_VERSION} (npm)"));
        return Ok(());
    }
    if output(command("npm", &["--version"])).is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    let dir = paths::binaryen_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let prefix = dir.to_string_lossy().into_owned();
    let package = format!("binaryen@{BINARYEN_VERSION}");
    run_command(command(
        "npm",
        &["install", "--prefix", &prefix, "--no-audit", "--no-fund", "--loglevel=error", &package],
    ))
}

fn browser() -> Result<(), String> {
    if paths::chromium().is_file() && paths::chromedriver().is_file() {
        present("chromium + chromedriver");
        return Ok(());
    }
    apt_install(DEBIAN_BROWSER_PACKAGES)
}

/// The Amplify JavaScript library, a third-party AppSync Events client the devstack is tested
/// against (`tests/tests/devstack_appsync_amplify.rs`).
fn amplify() -> Result<(), String> {
    npm_package(&paths::amplify_dir(), "aws-amplify", AMPLIFY_VERSION)
}

/// axe-core, the accessibility checker the end-to-end audit injects into the open widget
/// (`tests/tests/widget_accessibility.rs`).
fn axe_core() -> Result<(), String> {
    npm_package(&paths::axe_core_dir(), "axe-core", AXE_CORE_VERSION)
}

/// `npm install`s `name` at `version` under `dir` unless that version is already there.
fn npm_package(dir: &Path, name: &str, version: &str) -> Result<(), String> {
    let package = format!("{name}@{version}");
    let installed = dir.join("node_modules").join(name).join("package.json");
    if std::fs::read_to_string(&installed)
        .is_ok_and(|manifest| manifest.contains(&format!("\"version\": \"{version}\"")))
    {
        present(&format!("{package} (npm)"));
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let prefix = dir.to_string_lossy().into_owned();
    run_command(command(
        "npm",
        &["install", "--prefix", &prefix, "--no-audit", "--no-fund", "--loglevel=error", &package],
    ))
}

/// The `brotli` command, for `cargo xtask size` (what a CDN would serve).
fn brotli() -> Result<(), String> {
    if output(command("brotli", &["--version"])).is_some() {
        present("brotli");
        return Ok(());
    }
    apt_install(&["brotli"])
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut cmd =
            if sudo { command("sudo", &[&["apt-get"], args].concat()) } else { command("apt-get", args) };
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run_command(apt(&["update", "-q"]))?;
    run_command(apt(&[&["install", "-y", "-q", "--no-install-recommends"], packages].concat()))
}

/// Creates `venv` if needed and installs `requirements` unless the same set is recorded there.
fn python_venv(venv: &Path, requirements: &[&str]) -> Result<(), String> {
    let stamp = venv.join(".lexstream-requirements");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|recorded| recorded == wanted) {
        present(&format!("python tools in {} ({})", venv.display(), requirements.join(", ")));
        return Ok(());
    }
    let venv_arg = venv.to_string_lossy().into_owned();
    if !venv.join("bin/python").is_file() {
        run_command(command("python3", &["-m", "venv", &venv_arg]))?;
    }
    let pip = venv.join("bin/pip").to_string_lossy().into_owned();
    let mut install = vec!["install", "--quiet", "--disable-pip-version-check"];
    install.extend_from_slice(requirements);
    let mut pip_install = Command::new(&pip);
    pip_install.args(&install);
    run_command(pip_install)?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("writing {}: {e}", stamp.display()))
}
