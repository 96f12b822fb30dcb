//! SigV4 against AWS's published test-suite vectors, and sign → parse → verify round trips.

use super::*;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SCOPE: Scope<'static> = Scope { region: "us-east-1", service: "service" };

fn example_credentials() -> Credentials {
    Credentials { access_key_id: KEY.into(), secret_access_key: SECRET.into(), session_token: None }
}

fn suite_time() -> UtcDateTime {
    UtcDateTime::parse_amz_date("20150830T123600Z").unwrap()
}

fn authorization(added: &[(String, String)]) -> &str {
    &added.iter().find(|(name, _)| name == "authorization").unwrap().1
}

#[test]
fn get_vanilla() {
    let request = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &[("Host", "example.amazonaws.com")],
        body: b"",
    };
    let added = sign_headers(request, &example_credentials(), SCOPE, suite_time());
    assert_eq!(
        authorization(&added),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    let request = Request {
        method: "GET",
        path: "/",
        query: "Param2=value2&Param1=value1",
        headers: &[("Host", "example.amazonaws.com")],
        body: b"",
    };
    let added = sign_headers(request, &example_credentials(), SCOPE, suite_time());
    assert!(
        authorization(&added).ends_with("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
    );
}

#[test]
fn canonical_forms_follow_the_rules() {
    assert_eq!(uri_encode("a b/c~d", true), "a%20b%2Fc~d");
    assert_eq!(uri_encode("a b/c", false), "a%20b/c");
    // Services other than S3 sign the path encoded twice.
    assert_eq!(canonical_uri("/sessions/us-east-1%3Aabc/text"), "/sessions/us-east-1%253Aabc/text");
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/a/./b/../c//d/."), "/a/c/d/");
    assert_eq!(canonical_query("b=2&a=1&A=0&sessionId=us-east-1%3Ax"), "A=0&a=1&b=2&sessionId=us-east-1%3Ax");
    assert_eq!(canonical_query("k=a+b"), "k=a%20b");
}

#[test]
fn signed_requests_verify_and_tampering_is_detected() {
    let credentials = Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "s3cr3t".into(),
        session_token: Some("tok/+=".into()),
    };
    let scope = Scope { region: "us-east-1", service: "lex" };
    let body = br#"{"text":"hello"}"#;
    let base = [("host", "127.0.0.1:8080"), ("content-type", "application/json")];
    let path = "/bots/B/botAliases/A/botLocales/en_US/sessions/us-east-1%3Av/text";
    let request = Request { method: "POST", path, query: "", headers: &base, body };
    let added = sign_headers(request, &credentials, scope, suite_time());

    let mut headers: Vec<(&str, &str)> = base.to_vec();
    headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let find = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
    let parts =
        parse_authorization_header(find("authorization"), find("x-amz-date"), find("x-amz-security-token"))
            .unwrap();
    assert_eq!(parts.access_key_id, "ASIAEXAMPLE");
    assert_eq!(parts.service, "lex");
    assert_eq!(parts.session_token.as_deref(), Some("tok/+="));
    let received = Request { headers: &headers, ..request };
    assert_eq!(expected_signature(received, &parts, "s3cr3t"), parts.signature);
    assert_ne!(expected_signature(received, &parts, "wrong"), parts.signature);
    let tampered = Request { body: br#"{"text":"HELLO"}"#, ..received };
    assert_ne!(expected_signature(tampered, &parts, "s3cr3t"), parts.signature);
}

#[test]
fn presigned_urls_verify_and_carry_their_expiry_and_token() {
    let credentials = Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "s3cr3t".into(),
        session_token: Some("a/b+c=".into()),
    };
    let scope = Scope { region: "us-east-1", service: "execute-api" };
    let headers = [("host", "127.0.0.1:8080")];
    let request = Request {
        method: "GET",
        path: "/Prod",
        query: "sessionId=us-east-1%3Av",
        headers: &headers,
        body: b"",
    };
    let query = presign_query(request, &credentials, scope, suite_time(), 300);
    assert!(query.starts_with(
        "sessionId=us-east-1%3Av&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20150830"
    ));

    let parts = parse_presigned_query(&query).unwrap();
    assert!(parts.presigned);
    assert_eq!(parts.expires_seconds, Some(300));
    assert_eq!(parts.session_token.as_deref(), Some("a/b+c="));
    assert_eq!(parts.signed_at(), Some(suite_time().to_epoch_seconds()));
    let received = Request { query: &query, ..request };
    assert_eq!(expected_signature(received, &parts, "s3cr3t"), parts.signature);
    let other_session = query.replace("sessionId=us-east-1%3Av", "sessionId=us-east-1%3Aw");
    assert_ne!(
        expected_signature(Request { query: &other_session, ..request }, &parts, "s3cr3t"),
        parts.signature
    );
}

#[test]
fn unsigned_and_malformed_requests_are_told_apart() {
    assert_eq!(parse_authorization_header(None, None, None), Err(SignatureError::Missing));
    assert_eq!(parse_presigned_query("sessionId=x"), Err(SignatureError::Missing));
    let bad = parse_authorization_header(Some("Bearer abc"), Some("20150830T123600Z"), None).unwrap_err();
    assert!(matches!(bad, SignatureError::Malformed(_)));
    let wrong_date = parse_authorization_header(
        Some(
            "AWS4-HMAC-SHA256 Credential=K/20150831/us-east-1/lex/aws4_request, SignedHeaders=host, Signature=00",
        ),
        Some("20150830T123600Z"),
        None,
    );
    assert!(matches!(wrong_date, Err(SignatureError::Malformed(_))));
}

#[test]
fn credentials_never_print_their_secrets() {
    let printed = format!(
        "{:?}",
        Credentials {
            access_key_id: "AK".into(),
            secret_access_key: "SECRET".into(),
            session_token: Some("TOKEN".into())
        }
    );
    assert!(!printed.contains("SECRET") && !printed.contains("TOKEN"), "{printed}");
}

#[test]
fn the_signing_key_is_the_one_aws_documents() {
    // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "20120215",
        Scope { region: "us-east-1", service: "iam" },
    );
    assert_eq!(hex(&key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
