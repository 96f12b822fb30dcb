//! A third-party AppSync Events client against the devstack: the Amplify JavaScript library
//! (`aws-amplify`, installed by `cargo xtask setup` under `$AMPLIFY_DIR`) connects with an API
//! key, subscribes, publishes over HTTP and receives both events — AWS's own client code
//! agreeing with our emulation of the handshake, the auth subprotocol, `data` and publish.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::PathBuf;
use std::process::Command;

use lexstream_devstack::{AuthMode, DEFAULT_APPSYNC_API_KEY, DevstackConfig};

fn amplify_dir() -> PathBuf {
    let dir = std::env::var_os("AMPLIFY_DIR").map(PathBuf::from).expect(
        "AMPLIFY_DIR names the folder where `cargo xtask setup` installed aws-amplify (run via `cargo xtask test`)",
    );
    assert!(
        dir.join("node_modules/aws-amplify").is_dir(),
        "aws-amplify is not installed in {}",
        dir.display()
    );
    dir
}

/// Node 22 has a global WebSocket; Node 20 needs the flag.
fn node_flags() -> Vec<&'static str> {
    let probe =
        Command::new("node").args(["-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"]).status();
    if probe.is_ok_and(|status| status.success()) { Vec::new() } else { vec!["--experimental-websocket"] }
}

#[tokio::test]
async fn amplify_connects_subscribes_and_receives_what_it_publishes() {
    let dir = amplify_dir();
    // Amplify's `apiKey` mode carries no identity: signature checks off, so the per-user rule
    // (which needs a visitor's IAM credentials) does not apply to this client.
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        auth: AuthMode::Off,
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let script = dir.join("events_client.mjs");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/amplify/events_client.mjs"), &script).unwrap();
    let endpoint = format!("{}/event", devstack.url());
    let output = tokio::process::Command::new("node")
        .args(node_flags())
        .arg(&script)
        .args([endpoint.as_str(), DEFAULT_APPSYNC_API_KEY, "/chat/amplify-visitor"])
        .current_dir(&dir)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "amplify failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{stdout}");
    assert_eq!(events[0]["type"], "data");
    assert_eq!(events[0]["event"], serde_json::json!({ "n": 1, "text": "hello" }));
    assert_eq!(events[1]["event"], serde_json::json!({ "n": 2, "text": "world" }));
    assert!(stdout.trim_end().ends_with("done"), "{stdout}");
    devstack.stop();
}
