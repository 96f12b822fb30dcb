//! The devstack over a real socket: serves the built widget with browser-ready content types.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::PathBuf;

use lexstream_devstack::{DevstackConfig, spawn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A throwaway dist directory with a page, a wasm file and a script.
fn fake_dist(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(dir.join("lexstream-abc.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("lexstream-abc.js"), "export default 1;").unwrap();
    dir
}

/// One HTTP/1.1 GET over a raw socket; returns the status line, headers and body as text.
async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn serves_page_wasm_and_script_with_their_content_types() {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        dist_dir: fake_dist("dist-ok"),
        ..Default::default()
    };
    let devstack = spawn(config).await.unwrap();

    let page = get(devstack.addr, "/").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("content-type: text/html; charset=utf-8"), "{page}");
    assert!(page.ends_with("<title>demo</title>"), "{page}");

    let wasm = get(devstack.addr, "/lexstream-abc.wasm").await;
    assert!(wasm.contains("content-type: application/wasm"), "{wasm}");
    let script = get(devstack.addr, "/lexstream-abc.js").await;
    assert!(script.contains("content-type: text/javascript"), "{script}");

    assert!(get(devstack.addr, "/healthz").await.ends_with("ok"));
    devstack.stop();
}

#[tokio::test]
async fn missing_files_and_escapes_are_refused() {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        dist_dir: fake_dist("dist-refuse"),
        ..Default::default()
    };
    let devstack = spawn(config).await.unwrap();
    assert!(get(devstack.addr, "/nope.js").await.starts_with("HTTP/1.1 404"));
    let escape = get(devstack.addr, "/%2e%2e/%2e%2e/etc/passwd").await;
    assert!(!escape.contains("root:"), "{escape}");
    devstack.stop();
}

#[tokio::test]
async fn an_unbuilt_widget_gets_a_message_saying_how_to_build_it() {
    let missing = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("never-built");
    let config =
        DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), dist_dir: missing, ..Default::default() };
    let devstack = spawn(config).await.unwrap();
    let page = get(devstack.addr, "/").await;
    assert!(page.starts_with("HTTP/1.1 503"), "{page}");
    assert!(page.contains("cargo xtask dev"), "{page}");
    devstack.stop();
}
