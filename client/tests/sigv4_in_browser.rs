//! SigV4's hashing in a real Chromium, built as the widget is (sha2's compact SHA-256 on wasm32,
//! see `.cargo/config.toml`): the same digests, keyed hashes and signatures as published.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{Credentials, Request, Scope, hex, hmac_sha256, sha256_hex, sign_headers};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn sha256_gives_the_published_digests() {
    // FIPS 180-2 examples: empty, one block, two blocks, and many.
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(
        sha256_hex(&vec![b'a'; 1_000_000]),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
}

#[wasm_bindgen_test]
fn hmac_sha256_gives_the_published_codes() {
    // RFC 4231, test case 2.
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[wasm_bindgen_test]
fn a_request_signs_as_in_the_sigv4_test_suite() {
    // AWS's SigV4 test suite, `get-vanilla`.
    let credentials = Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        session_token: None,
    };
    let request = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &[("Host", "example.amazonaws.com")],
        body: b"",
    };
    let scope = Scope { region: "us-east-1", service: "service" };
    let now = UtcDateTime::parse_amz_date("20150830T123600Z").unwrap();
    let added = sign_headers(request, &credentials, scope, now);
    let authorization = &added.iter().find(|(name, _)| name == "authorization").unwrap().1;
    assert!(
        authorization.ends_with("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        "{authorization}"
    );
}
