//! CORS as AWS's browser-facing endpoints (Cognito identity, Lex runtime) and a CDN answer it —
//! but only for the pages a developer uses: the devstack's own, loopback origins, and those named
//! with `--allow-origin`. Its service keys are fixed and published, so any other web page a
//! developer happens to visit must not be able to drive it: such a page's requests get no CORS
//! grant, its preflights and its requests to the admin routes (`/_devstack/*`) a 403.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Where the devstack's admin routes live: never reachable from a page of another origin.
const ADMIN_PREFIX: &str = "/_devstack/";

/// The hosts of loopback origins, any port: pages a developer serves on their own machine.
const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// The origins whose pages may use the devstack besides its own and loopback ones
/// (`--allow-origin`).
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedOrigins {
    extra: Arc<[String]>,
}

impl AllowedOrigins {
    /// Loopback origins, the devstack's own, and `extra` (origins like `http://dev.example:3000`).
    pub(crate) fn with_extra(extra: &[String]) -> Self {
        Self { extra: extra.iter().map(|origin| origin.trim_end_matches('/').to_owned()).collect() }
    }

    /// Whether a page of `origin` (an `Origin` header) may use the devstack, which the request
    /// reached as `host` (its `Host` header).
    ///
    /// Its own origin is `http://{host}` when `host` is an IP address: a page it served itself,
    /// reached by its address (a DNS name could be rebound to it by any site, so a name counts
    /// only as a loopback one or through `--allow-origin`).
    pub(crate) fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let Some(authority) = origin.strip_prefix("http://") else {
            return self.extra.iter().any(|extra| extra == origin);
        };
        is_loopback(authority)
            || host.is_some_and(|host| host == authority && is_ip_address(host))
            || self.extra.iter().any(|extra| extra == origin)
    }
}

/// Whether `authority` (`host` or `host:port`) names a loopback host.
fn is_loopback(authority: &str) -> bool {
    LOOPBACK_HOSTS.iter().any(|host| {
        authority.strip_prefix(host).is_some_and(|port| {
            port.is_empty()
                || port
                    .strip_prefix(':')
                    .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// Whether `authority` (`host`, `host:port`, `[v6]:port`) names its host by IP address.
fn is_ip_address(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.parse::<IpAddr>().is_ok()
}

/// The request's `Origin`, when it carries one (a browser's cross-origin request, or a
/// same-origin one that is not a `GET`); an unreadable one counts as a foreign origin.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).map(|origin| origin.to_str().unwrap_or("\u{0}"))
}

/// Answers preflights and marks responses readable by the pages of allowed origins; refuses
/// preflights and admin requests from any other origin.
pub(crate) async fn browser_origins(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let Some(origin) = origin(headers).map(str::to_owned) else {
        return next.run(request).await;
    };
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok());
    let preflight =
        request.method() == Method::OPTIONS && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !allowed.allows(&origin, host) {
        if preflight || request.uri().path().starts_with(ADMIN_PREFIX) {
            tracing::warn!(%origin, path = request.uri().path(), "refused a request from a page of another origin");
            return refused();
        }
        let mut response = next.run(request).await;
        response.headers_mut().append(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    }
    let Ok(allowed_origin) = HeaderValue::from_str(&origin) else { return refused() };
    if preflight {
        let requested_headers = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed_origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
        );
        if let Some(requested) = requested_headers {
            headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed_origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-errortype, x-amzn-requestid, x-amz-request-id"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// A 403 for a page of an origin that may not use the devstack.
fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        "the devstack answers pages of its own and loopback origins only (see --allow-origin)",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_are_allowed_on_any_port() {
        let allowed = AllowedOrigins::default();
        for origin in
            ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:5173", "http://localhost"]
        {
            assert!(allowed.allows(origin, Some("127.0.0.1:8080")), "{origin}");
        }
    }

    #[test]
    fn other_origins_are_not() {
        let allowed = AllowedOrigins::default();
        for origin in [
            "https://attacker.example",
            "http://attacker.example:8080",
            "http://localhost.attacker.example",
            "http://127.0.0.1.attacker.example:8080",
            "http://localhost:80@attacker.example",
            "http://127.0.0.2:8080",
            "https://localhost:8080",
            "null",
            "",
        ] {
            assert!(!allowed.allows(origin, Some("127.0.0.1:8080")), "{origin}");
        }
    }

    #[test]
    fn its_own_origin_counts_when_reached_by_address_not_by_name() {
        let allowed = AllowedOrigins::default();
        assert!(allowed.allows("http://192.168.1.5:8080", Some("192.168.1.5:8080")));
        assert!(allowed.allows("http://[fd00::5]:8080", Some("[fd00::5]:8080")));
        assert!(!allowed.allows("http://192.168.1.6:8080", Some("192.168.1.5:8080")));
        assert!(
            !allowed.allows("http://rebound.example:8080", Some("rebound.example:8080")),
            "DNS rebinding"
        );
    }

    #[test]
    fn extra_origins_are_allowed_exactly() {
        let allowed = AllowedOrigins::with_extra(&["https://dev.example.com/".to_owned()]);
        assert!(allowed.allows("https://dev.example.com", None));
        assert!(!allowed.allows("https://dev.example.com:8443", None));
        assert!(!allowed.allows("https://other.example.com", None));
    }
}
