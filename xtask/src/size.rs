//! `cargo xtask size`: what a page downloads for the widget — on every page view (the loader),
//! and once the visitor reaches for the chat (the glue and the wasm) — each file raw, gzip -9
//! and brotli -q 11 as `dist/` serves them, against the budgets; and which crates take the most
//! code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::widget_build::WIDGET_FILES;
use crate::{paths, setup, widget_build};

/// The most a page view may download for the widget before the visitor shows intent, gzip.
pub(crate) const PAGE_VIEW_BUDGET_GZIP_BYTES: u64 = 10 * 1024;

/// The most the open widget may download in all, gzip (the Lex Web UI loads ~880 KB): issue 14's
/// goal, met (measured 248.6 KB).
pub(crate) const OPEN_BUDGET_GZIP_BYTES: u64 = 250 * 1024;

/// The files every page view downloads (the rest load on intent).
const PAGE_VIEW_FILES: &[&str] = &["lexstream.js"];

/// How many crates `largest contributors` lists.
const CONTRIBUTORS_SHOWN: usize = 12;

/// Builds the release widget and reports its size; fails when it is over budget.
pub(crate) fn run() -> Result<(), String> {
    setup::run()?;
    widget_build::build(true)?;
    let report = report();
    print_contributors(&release_wasm_with_names());
    report
}

/// Prints the size table of the built `dist/`; fails when a file or its compressed copies are
/// missing, or a total is over its budget.
pub(crate) fn report() -> Result<(), String> {
    let dist = paths::workspace_root().join("dist");
    println!("xtask: widget download (files in {}, as served)", dist.display());
    println!("  {:<28} {:>10} {:>10} {:>10}", "file", "raw", "gzip -9", "brotli");
    let mut page_view = [0_u64; 3];
    let mut open = [0_u64; 3];
    for name in WIDGET_FILES {
        let path = dist.join(name);
        let sizes =
            [file_size(&path)?, file_size(&suffixed(&path, "gz"))?, file_size(&suffixed(&path, "br"))?];
        println!("  {name:<28} {:>10} {:>10} {:>10}", kib(sizes[0]), kib(sizes[1]), kib(sizes[2]));
        for (index, size) in sizes.into_iter().enumerate() {
            open[index] += size;
            if PAGE_VIEW_FILES.contains(name) {
                page_view[index] += size;
            }
        }
    }
    for (label, total) in [("page view (before intent)", page_view), ("open widget (in all)", open)] {
        println!("  {label:<28} {:>10} {:>10} {:>10}", kib(total[0]), kib(total[1]), kib(total[2]));
    }
    println!(
        "size: page view {} gzip (budget {}), open widget {} gzip (budget {})",
        kib(page_view[1]),
        kib(PAGE_VIEW_BUDGET_GZIP_BYTES),
        kib(open[1]),
        kib(OPEN_BUDGET_GZIP_BYTES)
    );
    for (what, total, budget) in [
        ("a page view", page_view[1], PAGE_VIEW_BUDGET_GZIP_BYTES),
        ("the open widget", open[1], OPEN_BUDGET_GZIP_BYTES),
    ] {
        if total > budget {
            return Err(format!("{what} downloads {} gzip, over its {} budget", kib(total), kib(budget)));
        }
    }
    Ok(())
}

fn suffixed(path: &Path, extension: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

fn file_size(path: &Path) -> Result<u64, String> {
    Ok(std::fs::metadata(path)
        .map_err(|e| {
            format!("{}: {e} (build with `cargo xtask size`, which compresses too)", path.display())
        })?
        .len())
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// The widget's wasm as rustc wrote it, before wasm-bindgen and wasm-opt: it still has the
/// function names that tell which crate each function came from.
fn release_wasm_with_names() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| paths::workspace_root().join("target"));
    target.join("wasm32-unknown-unknown/release/lexstream-widget.wasm")
}

/// Prints the crates with the most code in `wasm` (sizes before wasm-opt, so shares, not the
/// final bytes), and the data segments (string constants, tables) as one line.
fn print_contributors(wasm: &Path) {
    match contributors(wasm) {
        Ok((by_crate, data_bytes)) => {
            let code_bytes: u64 = by_crate.values().sum();
            let mut ranked: Vec<_> = by_crate.into_iter().collect();
            ranked.sort_by_key(|(_, bytes)| std::cmp::Reverse(*bytes));
            println!(
                "xtask: largest contributors (code before wasm-opt, {}; {})",
                kib(code_bytes),
                wasm.display()
            );
            for (name, bytes) in ranked.iter().take(CONTRIBUTORS_SHOWN) {
                println!(
                    "  {name:<32} {:>10} {:>5.1}%",
                    kib(*bytes),
                    *bytes as f64 * 100.0 / code_bytes as f64
                );
            }
            println!("  {:<32} {:>10}", "(data segments)", kib(data_bytes));
        }
        Err(error) => eprintln!("xtask: no contributor breakdown: {error}"),
    }
}

/// Code bytes per crate, and data segment bytes.
fn contributors(wasm: &Path) -> Result<(BTreeMap<String, u64>, u64), String> {
    use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};

    let bytes = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let mut imported_functions = 0_u32;
    let mut body_sizes = Vec::new();
    let mut names = BTreeMap::new();
    let mut data_bytes = 0_u64;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.map_err(|e| e.to_string())? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.map_err(|e| e.to_string())?.ty, TypeRef::Func(_)) {
                        imported_functions += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => body_sizes.push(body.range().len() as u64),
            Payload::DataSection(data) => data_bytes += data.range().len() as u64,
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(section) = custom.as_known() {
                    for name in section.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                names.insert(naming.index, naming.name);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if names.is_empty() {
        return Err(format!("{} has no function names", wasm.display()));
    }
    let mut by_crate = BTreeMap::new();
    for (position, size) in body_sizes.into_iter().enumerate() {
        let index = imported_functions + u32::try_from(position).unwrap_or(u32::MAX);
        let name = names.get(&index).copied().unwrap_or("(unnamed)");
        // Type descriptors that the wasm-bindgen CLI reads and then removes.
        if name.contains("__wbindgen_describe") {
            continue;
        }
        let owner = crate_of(name);
        *by_crate.entry(owner).or_insert(0) += size;
    }
    Ok((by_crate, data_bytes))
}

/// The crate a (mangled) Rust function name belongs to: the first path segment of its
/// demangled form, looking inside `<… as …>`; other names are grouped by kind.
fn crate_of(symbol: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(symbol));
    let path = demangled
        .trim_start_matches(['<', '&', '*', '('])
        .trim_start_matches("mut ")
        .trim_start_matches("dyn ");
    match path.split_once("::") {
        Some((first, _)) if first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => first.to_owned(),
        _ if symbol.starts_with("__wbg") || symbol.starts_with("__wbindgen") => {
            "(wasm-bindgen glue)".to_owned()
        }
        _ => "(runtime: allocator, memcpy, …)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn functions_are_attributed_to_their_crate() {
        assert_eq!(crate_of("_ZN14pulldown_cmark5parse6Parser4next17h0123456789abcdefE"), "pulldown_cmark");
        assert_eq!(crate_of("<alloc::vec::Vec<T> as core::clone::Clone>::clone"), "alloc");
        assert_eq!(crate_of("__wbg_set_1234"), "(wasm-bindgen glue)");
        assert_eq!(crate_of("memcpy"), "(runtime: allocator, memcpy, …)");
    }
}
