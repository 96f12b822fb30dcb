//! The devstack over a real socket, asked as browsers ask: pages of its own and loopback origins
//! (and `--allow-origin`s) get CORS grants and may change faults; a page of any other origin gets
//! no grant, a 403 for its preflights and for `/_devstack/*`, and cannot change the faults.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use lexstream_devstack::{DevstackConfig, RunningDevstack, spawn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ATTACKER: &str = "https://attacker.example";

/// A devstack on a free loopback port that also lets `extra` origins in.
async fn devstack(extra: &[&str]) -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        allowed_origins: extra.iter().map(|origin| (*origin).to_owned()).collect(),
        ..Default::default()
    };
    spawn(config).await.unwrap()
}

/// One HTTP/1.1 request over a raw socket with `headers` (`Name: value` lines) and a JSON body;
/// returns the status line, headers and body as text.
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[&str], body: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(&format!("{header}\r\n"));
    }
    request
        .push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// `POST /_devstack/faults` turning 410s on, as a page of `origin` (none: not a browser).
async fn set_gone_faults(addr: SocketAddr, origin: Option<&str>) -> String {
    let origin_header = origin.map(|origin| format!("Origin: {origin}"));
    let headers: Vec<&str> = origin_header.as_deref().into_iter().collect();
    request(addr, "POST", "/_devstack/faults", &headers, r#"{"gone_on_post":true}"#).await
}

fn preflight_headers(origin: &str) -> Vec<String> {
    vec![
        format!("Origin: {origin}"),
        "Access-Control-Request-Method: POST".to_owned(),
        "Access-Control-Request-Headers: x-amz-target, content-type".to_owned(),
    ]
}

async fn preflight(addr: SocketAddr, origin: &str) -> String {
    let headers = preflight_headers(origin);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    request(addr, "OPTIONS", "/", &headers, "").await
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_drive_the_devstack() {
    let devstack = devstack(&[]).await;
    let addr = devstack.addr;

    let refused = set_gone_faults(addr, Some(ATTACKER)).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(!devstack.state.faults.current().gone_on_post, "the faults did not change");
    let read = request(addr, "GET", "/_devstack/faults", &[&format!("Origin: {ATTACKER}")], "").await;
    assert!(read.starts_with("HTTP/1.1 403"), "{read}");

    let preflight = preflight(addr, ATTACKER).await;
    assert!(preflight.starts_with("HTTP/1.1 403"), "{preflight}");
    assert!(!preflight.to_ascii_lowercase().contains("access-control-allow-origin"), "{preflight}");

    let health = request(addr, "GET", "/healthz", &[&format!("Origin: {ATTACKER}")], "").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(!health.to_ascii_lowercase().contains("access-control-allow-origin"), "no grant: {health}");

    for lookalike in ["http://localhost.attacker.example:8080", "http://127.0.0.1.attacker.example", "null"] {
        let refused = set_gone_faults(addr, Some(lookalike)).await;
        assert!(refused.starts_with("HTTP/1.1 403"), "{lookalike}: {refused}");
    }
    devstack.stop();
}

#[tokio::test]
async fn loopback_pages_and_its_own_are_allowed() {
    let devstack = devstack(&[]).await;
    let addr = devstack.addr;
    let own = format!("http://{addr}");
    for origin in ["http://127.0.0.1:5173", "http://localhost:3000", "http://[::1]:8000", own.as_str()] {
        let preflight = preflight(addr, origin).await;
        assert!(preflight.starts_with("HTTP/1.1 204"), "{origin}: {preflight}");
        assert!(preflight.contains(&format!("access-control-allow-origin: {origin}")), "{preflight}");
        let set = set_gone_faults(addr, Some(origin)).await;
        assert!(set.starts_with("HTTP/1.1 200"), "{origin}: {set}");
        assert!(set.contains(&format!("access-control-allow-origin: {origin}")), "{set}");
        assert!(set.contains("vary: Origin") || set.contains("vary: origin"), "{set}");
    }
    assert!(devstack.state.faults.current().gone_on_post);
    let tool = set_gone_faults(addr, None).await;
    assert!(tool.starts_with("HTTP/1.1 200"), "a request without Origin is not a browser's: {tool}");
    devstack.stop();
}

#[tokio::test]
async fn an_allowed_extra_origin_may_use_it() {
    let devstack = devstack(&["https://dev.example.com"]).await;
    let preflight = preflight(devstack.addr, "https://dev.example.com").await;
    assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
    let set = set_gone_faults(devstack.addr, Some("https://dev.example.com")).await;
    assert!(set.starts_with("HTTP/1.1 200"), "{set}");
    let other = set_gone_faults(devstack.addr, Some("https://other.example.com")).await;
    assert!(other.starts_with("HTTP/1.1 403"), "{other}");
    devstack.stop();
}
