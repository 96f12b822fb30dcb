//! The canonical request: SigV4's normalized form of an HTTP request.

use super::Request;

/// Percent-encodes per SigV4: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay, everything
/// else becomes `%XX` (uppercase); `/` stays only when `encode_slash` is false.
pub fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(byte)),
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes a query string's name or value: `%XX` escapes, and `+` as a space.
pub fn query_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let escaped = bytes
                    .get(index + 1..index + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                if let Some(value) = escaped {
                    out.push(value);
                    index += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `.` and `..` segments and empty segments (RFC 3986 §5.2.4, as AWS normalizes paths),
/// keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let mut normalized = format!("/{}", kept.join("/"));
    let trailing = ["/", "/.", "/./", "/..", "/../"].iter().any(|end| path.ends_with(end));
    if trailing && !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// The canonical URI of a path as sent: normalized, then each segment encoded once more
/// (services other than S3 sign the doubly-encoded path); empty becomes `/`.
pub fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let path = if path.contains('.') || path.contains("//") { normalize_path(path) } else { path.to_owned() };
    path.split('/').map(|segment| uri_encode(segment, true)).collect::<Vec<_>>().join("/")
}

/// The canonical query string: parameters decoded, re-encoded strictly, sorted.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&query_decode(name), true), uri_encode(&query_decode(value), true))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// The sorted, lowercase, de-duplicated names of `headers`.
pub(crate) fn signed_header_names(headers: &[(&str, &str)]) -> Vec<String> {
    // Sorted as (name, "") pairs: the query's sort of pairs serves, where a sort of names would
    // add a second copy of the standard sort to the widget.
    let mut names: Vec<(String, String)> =
        headers.iter().map(|(name, _)| (name.to_ascii_lowercase(), String::new())).collect();
    names.sort();
    names.dedup();
    names.into_iter().map(|(name, _)| name).collect()
}

/// Appends a header value as SigV4 canonicalizes it: trimmed, inner runs of spaces collapsed.
fn push_canonical_value(out: &mut String, value: &str) {
    for (index, word) in value.split_whitespace().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The canonical request over the headers named in `signed_headers` (lowercase, sorted).
pub fn canonical_request(request: Request<'_>, signed_headers: &[String], payload_hash: &str) -> String {
    let mut canonical = String::with_capacity(256);
    for part in [request.method, &canonical_uri(request.path), &canonical_query(request.query)] {
        canonical.push_str(part);
        canonical.push('\n');
    }
    for name in signed_headers {
        canonical.push_str(name);
        canonical.push(':');
        let values = request.headers.iter().filter(|(header, _)| header.eq_ignore_ascii_case(name));
        for (index, (_, value)) in values.enumerate() {
            if index > 0 {
                canonical.push(',');
            }
            push_canonical_value(&mut canonical, value);
        }
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&signed_headers.join(";"));
    canonical.push('\n');
    canonical.push_str(payload_hash);
    canonical
}
