//! Serves the built widget from a directory, with the content types browsers require.

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
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = Response::new(if request.method() == Method::HEAD {
                Body::empty()
            } else {
                Body::from(bytes)
            });
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
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
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("x.js")), "text/javascript; charset=utf-8");
    }
}
