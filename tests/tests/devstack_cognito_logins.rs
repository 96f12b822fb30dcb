//! The devstack's Cognito with signed-in visitors, through AWS's own SDK client: an ID token
//! from the devstack's OpenID Connect provider in `Logins` gets the same identity every time
//! (every device) and credentials only with a valid token; a forged or expired token, or
//! credentials asked for without the login, get `NotAuthorizedException`. boto3 sees the same.

use aws_sdk_cognitoidentity::Client as CognitoClient;
use aws_sdk_cognitoidentity::error::ProvideErrorMetadata;
use lexstream_devstack::oidc::PROVIDER_NAME;
use lexstream_e2e::{POOL_ID, devstack_id_token, start_devstack, venv_python, workspace_root};
use lexstream_lambda_core::aws::local_sdk_config;
use serde_json::Value;

async fn identity_of(cognito: &CognitoClient, token: &str) -> anyhow::Result<String> {
    let id = cognito.get_id().identity_pool_id(POOL_ID).logins(PROVIDER_NAME, token).send().await?;
    Ok(id.identity_id.unwrap_or_default())
}

#[tokio::test]
async fn a_signed_in_visitor_keeps_one_identity_and_a_bad_token_is_not_authorized() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let cognito = CognitoClient::new(&local_sdk_config(&devstack.url()).await);
    let alice = devstack_id_token(devstack.addr, "alice", 3600).await?;

    // The same person, signed in twice (two devices): one identity; someone else: another.
    let identity = identity_of(&cognito, &alice).await?;
    let again = identity_of(&cognito, &devstack_id_token(devstack.addr, "alice", 3600).await?).await?;
    assert_eq!(identity, again);
    let bob = identity_of(&cognito, &devstack_id_token(devstack.addr, "bob", 3600).await?).await?;
    assert_ne!(identity, bob);

    let credentials = cognito
        .get_credentials_for_identity()
        .identity_id(&identity)
        .logins(PROVIDER_NAME, &alice)
        .send()
        .await?;
    assert!(credentials.credentials.and_then(|c| c.access_key_id).is_some_and(|key| key.starts_with("ASIA")));

    // Without the login, or with someone else's, a signed-in identity gets nothing.
    let without = cognito.get_credentials_for_identity().identity_id(&identity).send().await.unwrap_err();
    assert_eq!(without.code(), Some("NotAuthorizedException"), "{without:?}");
    let bobs_token = devstack_id_token(devstack.addr, "bob", 3600).await?;
    let other = cognito
        .get_credentials_for_identity()
        .identity_id(&identity)
        .logins(PROVIDER_NAME, &bobs_token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(other.code(), Some("NotAuthorizedException"), "{other:?}");

    // A forged token (its signature changed) and an expired one are refused, saying why.
    let (signed, signature) = alice.rsplit_once('.').unwrap_or_default();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{signed}.{flipped}{}", &signature[1..]);
    let refused =
        cognito.get_id().identity_pool_id(POOL_ID).logins(PROVIDER_NAME, forged).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("NotAuthorizedException"), "{refused:?}");
    assert!(refused.message().unwrap_or_default().starts_with("Invalid login token."), "{refused:?}");
    let expired = devstack_id_token(devstack.addr, "alice", -1).await?;
    let refused =
        cognito.get_id().identity_pool_id(POOL_ID).logins(PROVIDER_NAME, expired).send().await.unwrap_err();
    assert_eq!(refused.code(), Some("NotAuthorizedException"), "{refused:?}");
    assert!(refused.message().unwrap_or_default().contains("Token expired"), "{refused:?}");

    // Unauthenticated identities work as before.
    let anonymous = cognito.get_id().identity_pool_id(POOL_ID).send().await?;
    assert!(anonymous.identity_id.is_some_and(|id| id != identity));
    Ok(())
}

#[tokio::test]
async fn boto3_signs_in_with_the_devstacks_token_and_is_refused_a_forged_one() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let token = devstack_id_token(devstack.addr, "carol", 3600).await?;
    let script = workspace_root().join("tests/python/devstack_cognito_logins.py");
    let python = venv_python();
    let output = tokio::process::Command::new(&python)
        .arg(&script)
        .args([devstack.url().as_str(), POOL_ID, PROVIDER_NAME, token.as_str()])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} (run `cargo xtask setup`): {e}", python.display()));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(seen["sameIdentity"], true, "{seen}");
    assert_eq!(seen["accessKey"], "ASIA", "{seen}");
    assert_eq!(seen["withoutLogin"], "NotAuthorizedException", "{seen}");
    assert_eq!(seen["forged"], "NotAuthorizedException", "{seen}");
    Ok(())
}
