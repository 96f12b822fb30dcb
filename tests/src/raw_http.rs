//! Hand-made HTTP requests, for what no SDK would send (unsigned calls, odd bodies).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// POSTs `body` to `path` on `addr` without any signature (plus `extra_headers`, each a whole
/// `Name: value` line) and returns the whole response as text: status line, headers and body.
pub async fn unsigned_post(
    addr: std::net::SocketAddr,
    path: &str,
    extra_headers: &[&str],
    body: &str,
) -> anyhow::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let headers: String = extra_headers.iter().map(|line| format!("{line}\r\n")).collect();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}
