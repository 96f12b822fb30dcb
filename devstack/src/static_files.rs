//! Serves the built widget from a directory as a CDN would: the content types browsers require,
//! a precompressed `.br` or `.gz` copy when one lies beside the file and the browser accepts it
//! (`Content-Encoding`, `Vary: Accept-Encoding`), and caching by name: content-hashed names are
//! immutable, stable names are revalidated.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use axum::routing::{MethodRouter, get};

/// The content type for a file name, by extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a URL path to a file under `root`, refusing anything that could leave it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = url_path.trim_start_matches('/');
    let relative = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    let relative = Path::new(&relative);
    relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
        .then(|| root.join(relative))
}

/// The precompressed copies a file may have, best first: (suffix, `Content-Encoding`).
const ENCODINGS: &[(&str, &str)] = &[("br", "br"), ("gz", "gzip")];

/// Whether an `Accept-Encoding` header accepts `coding` (`q=0` refuses; `*` accepts).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|offer| {
        let mut parts = offer.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|param| {
            param.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
}

/// Whether a file name carries a content hash (`name-0123456789ab.js`, `name-0123456789ab_bg.wasm`,
/// as `cargo xtask dist` names the widget's files): such a file never changes under its name.
fn is_content_hashed(path: &Path) -> bool {
    let stem = path.file_name().and_then(|name| name.to_str()).and_then(|name| name.split('.').next());
    // wasm-bindgen's `_bg` follows the hash in the wasm's name.
    let hash = stem.and_then(|stem| stem.rsplit_once('-')).and_then(|(_, tail)| tail.split('_').next());
    hash.is_some_and(|hash| hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Cache-Control` a CDN would send for `path`.
fn cache_control(path: &Path) -> &'static str {
    if is_content_hashed(path) { "public, max-age=31536000, immutable" } else { "no-cache" }
}

/// The bytes to send for `path` and their `Content-Encoding`: the best precompressed copy the
/// browser accepts, else the file itself.
async fn read_best(path: &Path, accept_encoding: &str) -> std::io::Result<(Vec<u8>, Option<&'static str>)> {
    for (suffix, coding) in ENCODINGS {
        if !accepts(accept_encoding, coding) {
            continue;
        }
        let mut compressed = path.as_os_str().to_owned();
        compressed.push(".");
        compressed.push(suffix);
        if let Ok(bytes) = tokio::fs::read(&compressed).await {
            return Ok((bytes, Some(coding)));
        }
    }
    Ok((tokio::fs::read(path).await?, None))
}

fn plain(status: StatusCode, message: String) -> Response<Body> {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

async fn serve_file(root: PathBuf, request: Request<Body>) -> Response<Body> {
    if !root.is_dir() {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The widget is not built: {} does not exist. Run `cargo xtask dev`.", root.display()),
        );
    }
    let Some(path) = resolve(&root, request.uri().path()) else {
        return plain(StatusCode::BAD_REQUEST, "bad path".into());
    };
    let accept_encoding = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    match read_best(&path, accept_encoding).await {
        Ok((bytes, encoding)) => {
            let mut response = Response::new(if request.method() == Method::HEAD {
                Body::empty()
            } else {
                Body::from(bytes)
            });
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(&path)));
            headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            }
            response
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            plain(StatusCode::NOT_FOUND, format!("{} not found", request.uri().path()))
        }
        Err(error) => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("reading {}: {error}", path.display()))
        }
    }
}

/// A GET/HEAD handler serving files under `root`.
pub(crate) fn service(root: PathBuf) -> MethodRouter {
    get(move |request: Request<Body>| serve_file(root.clone(), request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_inside_the_root_only() {
        let root = Path::new("/srv/dist");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/app-1a2b.wasm"), Some(root.join("app-1a2b.wasm")));
        assert_eq!(resolve(root, "/demo/"), Some(root.join("demo/index.html")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/../../x"), None);
    }

    #[test]
    fn the_accepted_encodings_are_read_as_browsers_send_them() {
        let chromium = "gzip, deflate, br, zstd";
        assert!(accepts(chromium, "br") && accepts(chromium, "gzip"));
        assert!(!accepts("gzip;q=1.0, br;q=0", "br"));
        assert!(accepts("identity, *;q=0.5", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(cache_control(Path::new("/d/lexstream-widget-0123456789ab_bg.wasm")).contains("immutable"));
        assert!(cache_control(Path::new("/d/lexstream-widget-0123456789ab.js")).contains("immutable"));
        assert_eq!(cache_control(Path::new("/d/lexstream.js")), "no-cache");
        assert_eq!(cache_control(Path::new("/d/lexstream-widget_bg.wasm")), "no-cache");
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("x.js")), "text/javascript; charset=utf-8");
    }
}
