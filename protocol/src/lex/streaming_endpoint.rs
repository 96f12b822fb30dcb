//! The one rule for the `streamingEndpoint` session attribute: the **https** form of the
//! WebSocket stage URL, exactly as the Lex Web UI sends it, because a fulfillment hands it to
//! `apigatewaymanagementapi` as its `endpoint_url` and boto3 refuses `wss://`.

/// The `streamingEndpoint` value for a WebSocket stage URL: `wss://` becomes `https://`
/// (`ws://` becomes `http://`, for a local devstack); an http(s) URL stays as it is. A trailing
/// `/` is dropped.
///
/// ```
/// use lexstream_protocol::lex::streaming_endpoint;
/// assert_eq!(
///     streaming_endpoint("wss://abc.execute-api.eu-west-1.amazonaws.com/Prod/"),
///     "https://abc.execute-api.eu-west-1.amazonaws.com/Prod"
/// );
/// assert_eq!(streaming_endpoint("ws://127.0.0.1:8080/Prod"), "http://127.0.0.1:8080/Prod");
/// assert_eq!(streaming_endpoint("https://x/Prod"), "https://x/Prod");
/// ```
pub fn streaming_endpoint(stage_url: &str) -> String {
    let url = stage_url.trim().trim_end_matches('/');
    if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        url.to_owned()
    }
}

/// Whether two stage URLs name the same stage, whichever form (`wss://` or `https://`) each is
/// written in.
///
/// ```
/// use lexstream_protocol::lex::same_stage;
/// assert!(same_stage("wss://a.example/Prod", "https://a.example/Prod/"));
/// assert!(!same_stage("https://a.example/Prod", "https://b.example/Prod"));
/// ```
pub fn same_stage(left: &str, right: &str) -> bool {
    streaming_endpoint(left) == streaming_endpoint(right)
}
