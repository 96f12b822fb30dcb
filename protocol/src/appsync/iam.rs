//! The IAM (SigV4) authorization object of an AppSync Events realtime operation: the headers of
//! a signed `POST https://<http-host>/event` whose body is the operation's (see
//! [`signed_body`](super::signed_body) for connect and subscribe).

use std::collections::BTreeMap;

use super::{IAM_SIGNED_HEADERS, PUBLISH_PATH};
use crate::calendar::UtcDateTime;
use crate::sigv4::{Credentials, Request, Scope, sign_headers};

/// The `authorization` object (or, base64url-encoded, the `header-` subprotocol) of an operation
/// whose signed body is `body` (`signed_body(None)` to connect, `signed_body(Some(channel))` to
/// subscribe, `{"channel":…,"events":[…]}` to publish), signed for `host` (the API's HTTP host).
pub fn iam_authorization(
    host: &str,
    body: &str,
    credentials: &Credentials,
    region: &str,
    now: UtcDateTime,
) -> BTreeMap<String, String> {
    let mut headers: Vec<(&str, &str)> = IAM_SIGNED_HEADERS.to_vec();
    headers.push(("host", host));
    let request =
        Request { method: "POST", path: PUBLISH_PATH, query: "", headers: &headers, body: body.as_bytes() };
    let added = sign_headers(request, credentials, Scope { region, service: "appsync" }, now);
    // Built by insertion, not `collect`ed: a collect sorts first, with a copy of the standard sort
    // the widget has no other use for.
    let mut authorization = BTreeMap::new();
    authorization.extend(headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
    authorization.extend(added);
    authorization
}
