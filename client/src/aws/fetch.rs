//! `fetch` from Rust: a POST with headers and a text body, answering status and text; and the
//! same POST SigV4-signed with the visitor's credentials (the signed headers also on their own,
//! for any credentials).

use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use super::cognito::Visitor;
use super::{authority_and_path, now_epoch_seconds};

#[allow(clippy::needless_pass_by_value)] // used as `map_err(describe)`
fn describe(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| js_sys::JSON::stringify(&error).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "network error".into())
}

/// POSTs `body` to `url`; a network failure is an `Err`, any HTTP answer is `Ok((status, text))`.
pub(crate) async fn post(
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<(u16, String), String> {
    let header_map = Headers::new().map_err(describe)?;
    for (name, value) in headers {
        header_map.set(name, value).map_err(describe)?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&header_map);
    init.set_body(&JsValue::from_str(body));
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(describe)?;
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(describe)?;
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// POSTs JSON `body` to `url` signed for `service` in `region` with the visitor's credentials.
pub(crate) async fn signed_post(
    url: &str,
    service: &str,
    region: &str,
    visitor: &Visitor,
    body: &str,
) -> Result<(u16, String), String> {
    let headers = signed_headers(url, service, region, &visitor.credentials, body);
    post(url, &headers, body).await
}

/// The headers that send JSON `body` to `url` signed for `service` in `region` with `credentials`.
#[inline(never)] // one copy, which the warm-up's rehearsal compiles for the questions too
pub(crate) fn signed_headers(
    url: &str,
    service: &str,
    region: &str,
    credentials: &Credentials,
    body: &str,
) -> Vec<(String, String)> {
    let (host, path) = authority_and_path(url);
    let headers = [("host", host), ("content-type", "application/json")];
    let request = Request { method: "POST", path, query: "", headers: &headers, body: body.as_bytes() };
    let now = UtcDateTime::from_epoch_seconds(now_epoch_seconds());
    let signed = sigv4::sign_headers(request, credentials, Scope { region, service }, now);
    let mut send_headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    send_headers.extend(signed);
    send_headers
}
