//! Our small SigV4 (in `protocol`, used by the widget and the devstack) against the AWS SDK's
//! own signer, `aws-sigv4`, as an oracle: random requests must get identical signatures.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as SdkCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope, uri_encode};
use proptest::prelude::*;

const HOST: &str = "runtime-v2-lex.us-east-1.amazonaws.com";

/// The signature `aws-sigv4` computes for `request` (presigned when `presign` is set).
fn oracle_signature(
    request: Request<'_>,
    credentials: &Credentials,
    scope: Scope<'_>,
    epoch: u64,
    presign: Option<Duration>,
) -> String {
    let Request { method, path, query, headers, body } = request;
    let identity = SdkCredentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        None,
        "oracle",
    )
    .into();
    let mut settings = SigningSettings::default();
    if let Some(expires) = presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(UNIX_EPOCH + Duration::from_secs(epoch))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = if query.is_empty() {
        format!("https://{HOST}{path}")
    } else {
        format!("https://{HOST}{path}?{query}")
    };
    let body = if presign.is_some() { SignableBody::Bytes(&[]) } else { SignableBody::Bytes(body) };
    let request = SignableRequest::new(method, url, headers.iter().copied(), body).unwrap();
    let (_, signature) = sign(request, &params).unwrap().into_parts();
    signature
}

fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~:@!$'()*+,;= -]{1,12}".prop_map(|raw| uri_encode(&raw, true))
}

fn credentials() -> impl Strategy<Value = Credentials> {
    ("[A-Z0-9]{16,20}", "[A-Za-z0-9/+]{40}", proptest::option::of("[A-Za-z0-9/+=]{20,60}")).prop_map(
        |(access_key_id, secret_access_key, session_token)| Credentials {
            access_key_id,
            secret_access_key,
            session_token,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn header_signatures_match_the_sdk_signer(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        segments in proptest::collection::vec(segment(), 0..5),
        query in proptest::collection::vec(("[A-Za-z0-9_-]{1,8}", "[A-Za-z0-9 :/=+-]{0,10}"), 0..4),
        content_type in prop::sample::select(vec!["application/json", "application/x-amz-json-1.1", "text/plain;  charset=utf-8"]),
        body in proptest::collection::vec(any::<u8>(), 0..200),
        credentials in credentials(),
        service in prop::sample::select(vec!["lex", "execute-api", "cognito-identity", "bedrock"]),
        epoch in 1_500_000_000u64..2_000_000_000,
    ) {
        let path = format!("/{}", segments.join("/"));
        let query = query.iter().map(|(k, v)| format!("{k}={}", uri_encode(v, true))).collect::<Vec<_>>().join("&");
        let headers = [("host", HOST), ("content-type", content_type)];
        let scope = Scope { region: "eu-west-1", service };
        let now = UtcDateTime::from_epoch_seconds(epoch as i64);

        let request = Request { method, path: &path, query: &query, headers: &headers, body: &body };
        let added = sigv4::sign_headers(request, &credentials, scope, now);
        let ours = added.iter().find(|(name, _)| name == "authorization").unwrap().1.rsplit("Signature=").next().unwrap().to_owned();
        let theirs = oracle_signature(request, &credentials, scope, epoch, None);
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn presigned_urls_match_the_sdk_signer(
        session in "[A-Za-z0-9._:-]{2,40}",
        credentials in credentials(),
        epoch in 1_500_000_000u64..2_000_000_000,
        expires in 1u32..3600,
    ) {
        let query = format!("sessionId={}", uri_encode(&session, true));
        let headers = [("host", HOST)];
        let scope = Scope { region: "us-east-1", service: "execute-api" };
        let now = UtcDateTime::from_epoch_seconds(epoch as i64);
        let request = Request { method: "GET", path: "/Prod", query: &query, headers: &headers, body: &[] };
        let signed_query = sigv4::presign_query(request, &credentials, scope, now, expires);
        let ours = signed_query.rsplit("X-Amz-Signature=").next().unwrap().to_owned();
        let theirs = oracle_signature(request, &credentials, scope, epoch, Some(Duration::from_secs(u64::from(expires))));
        prop_assert_eq!(ours, theirs);
    }
}
