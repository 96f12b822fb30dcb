//! The events Lambda hands the project's functions, for one visitor: API Gateway's WebSocket
//! `$connect`, a Lex V2 fulfillment code hook, an HTTP API `POST /chat` with IAM auth (payload
//! format 2.0), and the answer job the fulfillment hands the answer worker. Built from the
//! fixtures the handlers' own tests read, with the visitor's ids put in.

use serde_json::{Value, json};

const WS_CONNECT: &str = include_str!("../../server-lambdas/core/tests/fixtures/apigw_ws_connect.json");
const LEX_CODE_HOOK: &str = include_str!("../../protocol/tests/fixtures/lex_event_fallback.json");

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A Cognito identity id (`region:uuid`), different for each `n`: a visitor of its own, so
/// per-identity limits never refuse a benchmark's repeated calls.
pub fn identity_id(n: u64) -> String {
    format!("us-east-1:7f3c9a2e-5b1d-4c8e-9f00-{:012x}", n & 0xffff_ffff_ffff)
}

/// `$connect` of `identity`'s socket (IAM auth: the identity is in the request context) with
/// `?sessionId=<identity>`, as `ws-connect` receives it.
pub fn websocket_connect(identity: &str, connection_id: &str) -> Value {
    let mut event = fixture(WS_CONNECT);
    event["queryStringParameters"]["sessionId"] = json!(identity);
    event["multiValueQueryStringParameters"]["sessionId"] = json!([identity]);
    event["requestContext"]["identity"]["cognitoIdentityId"] = json!(identity);
    event["requestContext"]["connectionId"] = json!(connection_id);
    event
}

/// Lex's fulfillment code hook for `identity`'s question in turn `turn`, with the streaming
/// session attributes the widget sends (`streamingDynamoDbTable`, `streamingEndpoint`).
pub fn lex_code_hook(identity: &str, turn: &str, table: &str, stage_url: &str) -> Value {
    let mut event = fixture(LEX_CODE_HOOK);
    event["sessionId"] = json!(identity);
    event["requestAttributes"]["streamingTurnId"] = json!(turn);
    let attributes = &mut event["sessionState"]["sessionAttributes"];
    attributes["streamingDynamoDbTable"] = json!(table);
    attributes["streamingEndpoint"] = json!(stage_url);
    event
}

/// The job the fulfillment hands the answer worker for a turn it claimed.
pub fn answer_job(identity: &str, turn: &str, table: &str, stage_url: &str) -> Value {
    json!({ "event": lex_code_hook(identity, turn, table, stage_url), "turn": turn })
}

/// `POST /chat` `{userId, prompt}` from `identity` (whose user id is the identity's last segment,
/// as the widget sends it) through an HTTP API with IAM auth, as `appsync-chat` receives it (the
/// shape of AWS's payload format 2.0 example).
pub fn chat_request(identity: &str, prompt: &str) -> Value {
    let user_id = lexstream_protocol::appsync::user_segment(identity);
    let body = json!({ "userId": user_id, "prompt": prompt }).to_string();
    json!({
        "version": "2.0",
        "routeKey": "POST /chat",
        "rawPath": "/chat",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "content-length": body.len().to_string(),
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "Mozilla/5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLEKEYID",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLEROLEID:CognitoIdentityCredentials",
                    "cognitoIdentity": {
                        "amr": ["unauthenticated"],
                        "identityId": identity,
                        "identityPoolId": "us-east-1:0d2a8f6c-1111-2222-3333-444455556666"
                    },
                    "principalOrgId": null,
                    "userArn": "arn:aws:sts::123456789012:assumed-role/lexstream-unauth/CognitoIdentityCredentials",
                    "userId": "AROAEXAMPLEROLEID:CognitoIdentityCredentials"
                }
            },
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "POST",
                "path": "/chat",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0"
            },
            "requestId": "CgL1NFUWIAMFkQA=",
            "routeKey": "POST /chat",
            "stage": "$default",
            "time": "22/Nov/2026:10:15:03 +0000",
            "timeEpoch": 1_795_342_503_116_u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_carries_the_visitors_identity() {
        let identity = identity_id(7);
        assert_eq!(identity, "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-000000000007");
        let connect = websocket_connect(&identity, "conn-1");
        assert_eq!(connect["requestContext"]["routeKey"], "$connect");
        assert_eq!(connect["queryStringParameters"]["sessionId"], identity.as_str());
        assert_eq!(connect["requestContext"]["identity"]["cognitoIdentityId"], identity.as_str());
        let hook = lex_code_hook(&identity, "turn-1", "table", "http://127.0.0.1:1/Prod");
        assert_eq!(hook["invocationSource"], "FulfillmentCodeHook");
        assert_eq!(hook["sessionId"], identity.as_str());
        assert_eq!(hook["sessionState"]["sessionAttributes"]["streamingEndpoint"], "http://127.0.0.1:1/Prod");
        let job: lexstream_lambda_core::worker::AnswerJob =
            serde_json::from_value(answer_job(&identity, "turn-1", "table", "x")).expect("an answer job");
        assert_eq!((job.turn.as_str(), job.event.session_id.as_str()), ("turn-1", identity.as_str()));
        let chat = chat_request(&identity, "hi");
        assert_eq!(
            chat["requestContext"]["authorizer"]["iam"]["cognitoIdentity"]["identityId"],
            identity.as_str()
        );
        let body: Value = serde_json::from_str(chat["body"].as_str().unwrap_or("")).unwrap_or(Value::Null);
        assert_eq!(body, json!({ "userId": "7f3c9a2e-5b1d-4c8e-9f00-000000000007", "prompt": "hi" }));
    }
}
