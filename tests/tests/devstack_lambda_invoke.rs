//! The devstack's Lambda `Invoke` API through boto3 (a third-party client): the answer worker is
//! there by name or ARN, each invocation type answers as Lambda's does, a function error is a 200
//! with `FunctionError`, and unknown functions and keys are refused with Lambda's errors.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_devstack::DevstackConfig;
use lexstream_e2e::{venv_python, workspace_root};

#[tokio::test]
async fn boto3_invokes_the_answer_worker_as_it_would_on_lambda() {
    let config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let output = tokio::process::Command::new(venv_python())
        .arg(workspace_root().join("tests/python/devstack_lambda_invoke.py"))
        .arg(devstack.url())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_LAMBDA")
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["dryRun"], 204, "{seen}");
    assert_eq!(seen["event"], 202, "{seen}");
    assert_eq!(seen["sync"]["status"], 200, "{seen}");
    assert_eq!(seen["sync"]["functionError"], "Unhandled", "{seen}");
    assert!(
        seen["sync"]["payload"]["errorMessage"].as_str().unwrap().contains("not an answer job"),
        "{seen}"
    );
    assert_eq!(seen["unknownFunction"], "ResourceNotFoundException", "{seen}");
    assert_eq!(seen["unknownKey"], "UnrecognizedClientException", "{seen}");
    devstack.stop();
}
