//! The AWS calls the widget makes from the browser: Cognito identity for credentials and Lex V2
//! `RecognizeText` or the AppSync flow's `/chat`, signed with the protocol crate's SigV4 (a few KB instead of the SDK).

pub mod chat_api;
pub mod cognito;
pub mod error;
mod fetch;
pub mod lex;
mod lex_json;

/// The `host[:port]` of an `http(s)://` or `ws(s)://` URL, and its path (at least `/`).
pub fn authority_and_path(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    }
}

/// Seconds since the epoch, from the browser's clock.
pub fn now_epoch_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

#[cfg(test)]
mod tests {
    use super::authority_and_path;

    #[test]
    fn urls_split_into_authority_and_path() {
        assert_eq!(
            authority_and_path("https://runtime-v2-lex.us-east-1.amazonaws.com"),
            ("runtime-v2-lex.us-east-1.amazonaws.com", "/")
        );
        assert_eq!(authority_and_path("ws://127.0.0.1:8080/Prod"), ("127.0.0.1:8080", "/Prod"));
        assert_eq!(authority_and_path("http://127.0.0.1:8080/"), ("127.0.0.1:8080", "/"));
    }
}
