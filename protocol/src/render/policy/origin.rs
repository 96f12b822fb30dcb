//! The origin of an absolute `http`/`https` URL, read strictly: a URL gets an origin only when
//! every browser would read the same host and port from it.

/// A URL as a browser reads it: leading and trailing spaces and control characters trimmed,
/// tabs and line breaks removed anywhere.
pub(super) fn as_browser_reads(url: &str) -> String {
    url.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect()
}

/// The origin of `url` (`scheme://host[:port]`, lower-cased, without the scheme's default port)
/// and what follows it (path, query, fragment; empty or starting with `/`, `?` or `#`), when
/// `url` is an absolute `http:` or `https:` URL with a plain host.
///
/// Anything a browser might read differently has no origin: a user name or password (`@`), a
/// backslash, a missing or extra `/` after the scheme, percent-encoded or non-ASCII hosts, an
/// empty or non-numeric port. Such a URL then matches no allowed origin.
pub(super) fn split_origin(url: &str) -> Option<(String, String)> {
    let url = as_browser_reads(url);
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    if after.starts_with('\\') {
        return None;
    }
    let (host, port) = host_and_port(authority)?;
    let origin = match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    };
    Some((origin, after.to_owned()))
}

/// The lower-cased host and the port of an authority (`host`, `host:port`, `[v6]`, `[v6]:port`);
/// `None` unless the host is made of letters, digits, `-` and `.` (or is a bracketed IPv6
/// address) and the port, when there is a `:`, is a number.
fn host_and_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let (host, rest) = authority.split_at(end);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.')) {
            return None;
        }
        (host, rest)
    } else {
        let end = authority.find(':').unwrap_or(authority.len());
        let (host, rest) = authority.split_at(end);
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.')) {
            return None;
        }
        (host, rest)
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Option<String> {
        split_origin(url).map(|(origin, _)| origin)
    }

    #[test]
    fn an_absolute_url_has_its_origin_lower_cased_without_the_default_port() {
        assert_eq!(origin("https://CDN.Example.com/a.png").as_deref(), Some("https://cdn.example.com"));
        assert_eq!(origin("HTTPS://cdn.example.com:443/a").as_deref(), Some("https://cdn.example.com"));
        assert_eq!(origin("http://cdn.example.com:80").as_deref(), Some("http://cdn.example.com"));
        assert_eq!(origin("https://cdn.example.com:8443?x").as_deref(), Some("https://cdn.example.com:8443"));
        assert_eq!(origin("http://[::1]:8080/x").as_deref(), Some("http://[::1]:8080"));
        assert_eq!(origin(" https://cdn.exa\nmple.com/x ").as_deref(), Some("https://cdn.example.com"));
    }

    #[test]
    fn what_follows_the_origin_is_kept() {
        let (_, rest) = split_origin("https://cdn.example.com/a/b.png?c#d").unwrap();
        assert_eq!(rest, "/a/b.png?c#d");
        assert_eq!(split_origin("https://cdn.example.com").unwrap().1, "");
    }

    #[test]
    fn urls_a_browser_might_read_differently_have_no_origin() {
        for url in [
            "/account/logout",
            "//cdn.example.com/a.png",
            "cdn.example.com/a.png",
            "https:cdn.example.com/a.png",
            "https:/cdn.example.com/a.png",
            "https:///cdn.example.com/a.png",
            "https:\\\\cdn.example.com/a.png",
            "https://cdn.example.com@evil.example/a.png",
            "https://user:pass@cdn.example.com/a.png",
            "https://evil.example\\@cdn.example.com/",
            "https://cdn.example.com\\.evil.example/",
            "https://cdn%2eexample.com/a.png",
            "https://cdn.exämple.com/a.png",
            "https://cdn.example.com:/a.png",
            "https://cdn.example.com:99999/a.png",
            "https://cdn.example.com:+443/a.png",
            "https://[/a.png",
            "https://[]/a.png",
            "javascript:alert('https://cdn.example.com')",
            "data:image/png;base64,AA==",
            "ftp://cdn.example.com/a.png",
            "",
        ] {
            assert_eq!(origin(url), None, "{url}");
        }
    }
}
