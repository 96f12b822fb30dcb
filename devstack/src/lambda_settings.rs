//! The settings the devstack gives the project's Lambdas, whether they run in its process or as
//! processes it hosts over the Lambda Runtime API: each one's environment variables, pointing at
//! this devstack (its table, its stage, its AppSync endpoint and key, the demo model). A variable
//! set in the devstack's own environment wins, as it would for a process it starts.

use std::net::SocketAddr;

use lexstream_lambda_core::config::environment;

use crate::{ANSWER_WORKER_FUNCTION, AuthMode, DEMO_MODEL_ID, DevstackConfig};

/// One of the project's Lambdas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectLambda {
    /// `ws-connect`: the WebSocket API's routes.
    WsConnect,
    /// `lex-fulfillment`, and the `answer-worker` (which reads the same settings).
    Fulfillment,
    /// `appsync-chat`: `POST /chat`.
    AppSyncChat,
}

/// The variables `lambda` gets here on top of the AWS endpoints and credentials
/// ([`crate::function_environment`]); those the devstack's own environment sets are left out.
pub fn lambda_variables(
    config: &DevstackConfig,
    addr: SocketAddr,
    lambda: ProjectLambda,
) -> Vec<(String, String)> {
    defaults(config, addr, lambda)
        .into_iter()
        .filter(|(name, _)| environment(name).is_none())
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// `lambda`'s settings as a lookup: the devstack's environment, else its defaults here.
pub(crate) fn lookup(
    config: &DevstackConfig,
    addr: SocketAddr,
    lambda: ProjectLambda,
) -> impl Fn(&str) -> Option<String> + use<> {
    let defaults = defaults(config, addr, lambda);
    move |name: &str| {
        environment(name)
            .or_else(|| defaults.iter().find(|(default, _)| *default == name).map(|(_, value)| value.clone()))
    }
}

fn defaults(config: &DevstackConfig, addr: SocketAddr, lambda: ProjectLambda) -> Vec<(&'static str, String)> {
    let answers_per_minute = ("ANSWERS_PER_IDENTITY_PER_MINUTE", config.answers_per_minute.to_string());
    match lambda {
        ProjectLambda::WsConnect => vec![
            ("CONNECTIONS_TABLE", config.table_name.clone()),
            ("SESSION_BINDING", binding(config).to_owned()),
            ("CONNECTION_TTL_SECONDS", "7500".to_owned()),
            ("CONNECTS_PER_IDENTITY_PER_MINUTE", config.connects_per_minute.to_string()),
        ],
        // Streaming fails closed: the fulfillment streams only through the table and the stage
        // it is configured with, so the devstack configures its own (plain http on loopback).
        ProjectLambda::Fulfillment => {
            let mut variables = vec![
                ("BEDROCK_MODEL_ID", DEMO_MODEL_ID.to_owned()),
                ("STREAMING_TABLE", config.table_name.clone()),
                ("STREAMING_ENDPOINT", format!("http://{addr}/{}", config.stage)),
                answers_per_minute,
            ];
            if config.async_answers {
                variables.push(("ANSWER_WORKER_FUNCTION", ANSWER_WORKER_FUNCTION.to_owned()));
            }
            variables
        }
        ProjectLambda::AppSyncChat => {
            let mut variables = vec![
                ("BEDROCK_MODEL_ID", DEMO_MODEL_ID.to_owned()),
                ("APPSYNC_HTTP_ENDPOINT", format!("http://{addr}/event")),
                ("APPSYNC_API_KEY", config.appsync_api_key.clone()),
                ("APPSYNC_NAMESPACE", config.appsync_namespace.clone()),
                ("LIMITS_TABLE", config.table_name.clone()),
                answers_per_minute,
            ];
            if config.auth == AuthMode::Off {
                variables.push(("USER_BINDING", "when-present".to_owned()));
            }
            variables
        }
    }
}

/// How `$connect` binds a session to an identity here: to the caller's Cognito identity when
/// requests are signed, else only when one is present.
fn binding(config: &DevstackConfig) -> &'static str {
    match config.auth {
        AuthMode::SigV4 => "require-identity",
        AuthMode::Off => "when-present",
    }
}
