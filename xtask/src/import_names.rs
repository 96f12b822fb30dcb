//! Short import names for the release widget. wasm-bindgen names each function the wasm imports
//! from its glue after the JS it calls and a hash (`__wbg_querySelector_9c1f…`), ~150 of them,
//! and spells each twice: in the wasm's import section and as a key of the glue's import object.
//! gzip cannot shrink the hashes. Both sides get `a`, `b`, … instead, and the module they are
//! imported from (`./lexstream-widget_bg.js`) becomes `a` too: 4.7 KB gzip less for the open
//! widget (250.2 to 245.5 KB, `cargo xtask size`).

use std::path::Path;

use wasmparser::{Imports, Parser, Payload};

/// The module wasm-bindgen's glue provides the widget's imports as (its own file name).
const GLUE_MODULE: &str = "./lexstream-widget_bg.js";

/// What the glue's module is called once shortened.
const SHORT_MODULE: &str = "a";

/// Renames the glue module's imports in `wasm` and the matching keys in `glue` (minified or
/// not). Fails, changing nothing, when the two do not match one to one.
pub(crate) fn shorten(wasm: &Path, glue: &Path) -> Result<(), String> {
    let module = std::fs::read(wasm).map_err(|e| format!("reading {}: {e}", wasm.display()))?;
    let script = std::fs::read_to_string(glue).map_err(|e| format!("reading {}: {e}", glue.display()))?;
    let (module, renamed) = rename_imports(&module)?;
    let script = rename_in_glue(&script, &renamed)?;
    std::fs::write(wasm, module).map_err(|e| format!("writing {}: {e}", wasm.display()))?;
    std::fs::write(glue, script).map_err(|e| format!("writing {}: {e}", glue.display()))
}

/// The `index`th short name: `a`…`z`, `A`…`Z`, then `aa`, `ab`, … (each a JS identifier).
fn short_name(mut index: usize) -> String {
    const LETTERS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = Vec::new();
    loop {
        name.push(LETTERS[index % LETTERS.len()]);
        index /= LETTERS.len();
        if index == 0 {
            break;
        }
        index -= 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Each renamed import: its name as built, then its short name.
type Renamed = Vec<(String, String)>;

/// The import section's id.
const IMPORT_SECTION: u8 = 2;

/// `module` with the glue module's imports renamed, and what was renamed. wasmparser reads it;
/// only the import section is written anew, every other byte is copied.
fn rename_imports(module: &[u8]) -> Result<(Vec<u8>, Renamed), String> {
    let mut section = None;
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::ImportSection(imports) = payload.map_err(|e| format!("reading the wasm: {e}"))? {
            section = Some(imports);
        }
    }
    let imports = section.ok_or_else(|| "the wasm has no import section".to_owned())?;
    let range = imports.range();
    let mut entries = Vec::new();
    for group in imports {
        match group.map_err(|e| format!("reading the wasm's imports: {e}"))? {
            Imports::Single(at, import) => entries.push((at, import)),
            _ => {
                return Err(
                    "the wasm groups its imports (compact imports), which this does not rewrite".into()
                );
            }
        }
    }
    let mut body = Vec::with_capacity(range.len());
    push_leb(&mut body, entries.len());
    let mut renamed = Vec::new();
    for (index, (at, import)) in entries.iter().enumerate() {
        let end = entries.get(index + 1).map_or(range.end, |(next, _)| *next);
        let mut names = Vec::new();
        push_name(&mut names, import.module);
        push_name(&mut names, import.name);
        // What follows the two names (the import's kind and type) is copied as it is.
        let description_at = at + names.len();
        if module.get(*at..description_at) != Some(names.as_slice()) || description_at > end {
            return Err(format!("the import {:?} is not laid out as this writes it", import.name));
        }
        if import.module == GLUE_MODULE {
            let short = short_name(renamed.len());
            push_name(&mut body, SHORT_MODULE);
            push_name(&mut body, &short);
            renamed.push((import.name.to_owned(), short));
        } else {
            body.extend_from_slice(&names);
        }
        body.extend_from_slice(&module[description_at..end]);
    }
    if renamed.is_empty() {
        return Err(format!("the wasm imports nothing from {GLUE_MODULE}"));
    }
    // The section's id and size stand just before its contents.
    let mut header = vec![IMPORT_SECTION];
    push_leb(&mut header, range.len());
    let header_at = range.start.checked_sub(header.len()).filter(|&at| module[at..range.start] == header[..]);
    let header_at =
        header_at.ok_or_else(|| "the import section's size is not written as this writes it".to_owned())?;
    let mut out = Vec::with_capacity(module.len());
    out.extend_from_slice(&module[..header_at]);
    out.push(IMPORT_SECTION);
    push_leb(&mut out, body.len());
    out.extend_from_slice(&body);
    out.extend_from_slice(&module[range.end..]);
    Ok((out, renamed))
}

/// `glue` with each renamed import's key, and the module's name, replaced. Each must occur
/// exactly once as a whole word: anything else means the glue is not the one the wasm was
/// built with.
fn rename_in_glue(glue: &str, renamed: &[(String, String)]) -> Result<String, String> {
    let mut script = replace_once(glue, &format!("\"{GLUE_MODULE}\""), &format!("\"{SHORT_MODULE}\""))?;
    for (old, new) in renamed {
        script = replace_once(&script, old, new)?;
    }
    Ok(script)
}

fn replace_once(script: &str, old: &str, new: &str) -> Result<String, String> {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let found: Vec<usize> = script
        .match_indices(old)
        .map(|(at, _)| at)
        .filter(|&at| {
            !is_word(script[..at].chars().next_back()) && !is_word(script[at + old.len()..].chars().next())
        })
        .collect();
    match found.as_slice() {
        [at] => Ok(format!("{}{new}{}", &script[..*at], &script[at + old.len()..])),
        _ => Err(format!("the glue has {} whole-word `{old}`, not one", found.len())),
    }
}

fn push_leb(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn push_name(out: &mut Vec<u8>, name: &str) {
    push_leb(out, name.len());
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use wasmparser::TypeRef;

    use super::*;

    /// A module importing a function and a global from the glue, memory from `env`, with a type
    /// section before and a custom section after the imports.
    fn module(first: &str, second: &str) -> Vec<u8> {
        let mut imports = Vec::new();
        push_leb(&mut imports, 3);
        for (module, field, description) in [
            (GLUE_MODULE, first, &[0x00, 0x00][..]),
            ("env", "memory", &[0x02, 0x01, 0x01, 0x90, 0x03][..]),
            (GLUE_MODULE, second, &[0x03, 0x7f, 0x00][..]),
        ] {
            push_name(&mut imports, module);
            push_name(&mut imports, field);
            imports.extend_from_slice(description);
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        bytes.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
        bytes.push(IMPORT_SECTION);
        push_leb(&mut bytes, imports.len());
        bytes.extend_from_slice(&imports);
        bytes.extend_from_slice(&[0x00, 0x03, 0x01, b'x', 0x2a]);
        bytes
    }

    /// Each import's module, name and type, read back.
    fn imports(bytes: &[u8]) -> Vec<(String, String, TypeRef)> {
        let mut found = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Payload::ImportSection(imports) = payload.unwrap() {
                for import in imports.into_imports() {
                    let import = import.unwrap();
                    found.push((import.module.to_owned(), import.name.to_owned(), import.ty));
                }
            }
        }
        found
    }

    #[test]
    fn the_glue_modules_imports_are_renamed_and_nothing_else_changes() {
        let (first, second) = ("__wbg_querySelector_1e8503a8a690f0a3", "__wbg_flag_741ff2bb612836f5");
        let original = module(first, second);
        let (renamed_module, renamed) = rename_imports(&original).unwrap();
        assert_eq!(renamed, [(first.to_owned(), "a".to_owned()), (second.to_owned(), "b".to_owned())]);
        let before = imports(&original);
        let after = imports(&renamed_module);
        let names: Vec<(&str, &str)> = after.iter().map(|(m, f, _)| (m.as_str(), f.as_str())).collect();
        assert_eq!(names, [("a", "a"), ("env", "memory"), ("a", "b")]);
        let types = |imports: &[(String, String, TypeRef)]| imports.iter().map(|i| i.2).collect::<Vec<_>>();
        assert_eq!(types(&after), types(&before), "kinds and types as they were");
        // The sections around the imports, byte for byte.
        assert_eq!(renamed_module[..14], original[..14]);
        assert_eq!(renamed_module[renamed_module.len() - 5..], original[original.len() - 5..]);
    }

    #[test]
    fn the_glue_gets_the_same_names_as_whole_words_only() {
        let renamed = [("__wbg_a_1".to_owned(), "a".to_owned()), ("__wbg_b_2".to_owned(), "b".to_owned())];
        let glue = r#"const i={__wbg_a_1:function(n){return x__wbg_b_2y},__wbg_b_2:function(){}};return{"./lexstream-widget_bg.js":i}"#;
        assert_eq!(
            rename_in_glue(glue, &renamed).unwrap(),
            r#"const i={a:function(n){return x__wbg_b_2y},b:function(){}};return{"a":i}"#
        );
    }

    #[test]
    fn a_glue_that_does_not_match_the_wasm_is_refused() {
        let renamed = [("__wbg_gone_3".to_owned(), "a".to_owned())];
        let error = rename_in_glue(r#"{"./lexstream-widget_bg.js":i}"#, &renamed).unwrap_err();
        assert!(error.contains("`__wbg_gone_3`"), "{error}");
        let twice = r#"{__wbg_gone_3:1,__wbg_gone_3:2,"./lexstream-widget_bg.js":i}"#;
        assert!(rename_in_glue(twice, &renamed).is_err());
    }

    #[test]
    fn a_module_cut_short_or_not_wasm_is_refused() {
        let whole = module("__wbg_x_1", "__wbg_y_2");
        assert!(rename_imports(&whole[..whole.len() - 8]).is_err());
        assert!(rename_imports(b"not wasm at all").is_err());
    }

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        assert_eq!(&names[..3], ["a", "b", "c"]);
        assert_eq!(names[52], "aa");
        let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_alphabetic())));
    }
}
