//! The Lexstream devstack: one local server that answers the requests AWS would, so the widget
//! and the Lambdas run unchanged offline — only endpoints differ.
//!
//! On one address it serves the built widget (`dist/`) and dispatches the way AWS clients
//! address services:
//! - by path: Lex V2 runtime `RecognizeText` ([`lex`]), Bedrock runtime (`/model/{id}/converse`,
//!   `converse-stream`, and `invoke`, `invoke-with-response-stream` in every model family's body
//!   format, [`bedrock`]), the WebSocket API (`/{stage}` upgrade) and its management API
//!   (`/{stage}/@connections/{id}`, [`apigw`]);
//! - by `X-Amz-Target` on `POST /`: Cognito identity (`GetId`, `GetCredentialsForIdentity`) and
//!   DynamoDB's JSON protocol ([`dynamodb`]);
//! - plus fault injection ([`faults`], `POST /_devstack/faults`) and `/healthz`.
//!
//! Browsers may use it from its own pages, loopback origins and `--allow-origin`s only: pages of
//! other origins get no CORS grant, and a 403 from `/_devstack/*`.
//!
//! Requests to the WebSocket API, `@connections` and Bedrock must be SigV4-signed by credentials the
//! devstack issued through Cognito or its service credentials ([`identities`]), unless
//! `--auth off`. Connections are recorded through the Lambdas' DynamoDB adapter, in a table of
//! the devstack's own DynamoDB endpoint, or of the DynamoDB at `AWS_ENDPOINT_URL_DYNAMODB` when
//! that is set ([`connection_table`]).

pub mod apigw;
pub mod appsync;
mod auth;
mod aws_error;
pub mod bedrock;
mod clock;
mod cognito;
mod config;
pub mod connection_table;
mod cors;
pub mod dynamodb;
pub mod faults;
pub mod identities;
pub mod lambda_host;
pub mod lambda_settings;
pub mod lex;
pub mod oidc;
mod static_files;
mod time_format;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use lexstream_lambda_core::aws::{
    ApiGatewayPusher, AppSyncPublisher, BedrockClient, BedrockModel, local_sdk_config,
};
use lexstream_lambda_core::config::{ChatConfig, ConnectConfig, FulfillmentConfig};
use tokio::net::TcpListener;

pub use auth::AuthMode;
pub use config::{ConfigError, DEFAULT_APPSYNC_API_KEY, DevstackConfig, USAGE};
pub use faults::Faults;

use crate::apigw::{Connections, ManagementApi, WebSocketApi};
use crate::aws_error::AwsError;
use crate::connection_table::ConnectionTable;
use crate::faults::SharedFaults;
use crate::identities::Identities;
use crate::lambda_settings::ProjectLambda;
use crate::lex::LexRuntime;
use crate::lex::bot::BotDefinition;
use crate::lex::fulfiller::Fulfiller;

/// The name the answer worker has in the devstack's Lambda `Invoke` API (and in the template).
pub const ANSWER_WORKER_FUNCTION: &str = "lexstream-answer-worker";

/// The model id the in-process fulfillment asks for when `BEDROCK_MODEL_ID` is not set.
pub const DEMO_MODEL_ID: &str = "lexstream.devstack-demo-v1";

/// The devstack's shared state: what tests and the admin endpoint can reach into.
#[derive(Debug, Clone)]
pub struct DevstackState {
    /// Open WebSocket connections.
    pub connections: Connections,
    /// Faults in force.
    pub faults: SharedFaults,
    /// Cognito identities and the credentials issued to them.
    pub identities: Identities,
    /// The connection table (`sessionId` → `connectionId`).
    pub table: ConnectionTable,
    /// The tables of the devstack's DynamoDB endpoint.
    pub dynamodb: dynamodb::Tables,
    /// AppSync Events subscriptions and realtime connections.
    pub events: appsync::Broker,
    /// The Lambda functions its `Invoke` API runs (e.g. an answer worker).
    pub functions: lambda_host::Functions,
}

/// Builds the devstack's HTTP routes over `state`, with Lex playing `bot` and fulfilling through
/// `fulfiller`, the AppSync chat Lambda `chat`, and `ws-connect` (`connect_config`) posting back
/// through `pusher`.
fn router(
    config: &DevstackConfig,
    state: &DevstackState,
    bot: BotDefinition,
    fulfiller: Fulfiller,
    chat: Option<appsync::ChatRoute>,
    pusher: ApiGatewayPusher,
    connect_config: ConnectConfig,
) -> Router {
    let lex_runtime = LexRuntime {
        bot: Arc::new(bot),
        fulfiller: Arc::new(fulfiller),
        auth: config.auth,
        identities: state.identities.clone(),
        sessions: Arc::default(),
    };
    let admin = Router::new()
        .route("/_devstack/faults", get(faults::get_faults).post(faults::set_faults))
        .with_state(state.faults.clone())
        .merge(
            Router::new()
                .route("/_devstack/oidc/token", post(oidc::issue_token))
                .with_state(state.identities.clone()),
        );
    let identities = state.identities.clone();
    let dynamodb_api = dynamodb::DynamoDbApi {
        auth: config.auth,
        identities: state.identities.clone(),
        tables: state.dynamodb.clone(),
    };
    let aws_json = post(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let identities = identities.clone();
        let dynamodb_api = dynamodb_api.clone();
        async move {
            if let Some(response) = dynamodb_api.handle(&uri, &headers, &body) {
                return response;
            }
            cognito::handle(&headers, &body, &identities, clock::epoch_seconds()).unwrap_or_else(|| {
                AwsError::new(
                    StatusCode::BAD_REQUEST,
                    "UnknownOperationException",
                    "no X-Amz-Target the devstack emulates",
                )
                .into_response()
            })
        }
    });
    let websocket = WebSocketApi {
        stage: config.stage.clone(),
        auth: config.auth,
        identities: state.identities.clone(),
        connections: state.connections.clone(),
        table: state.table.clone(),
        connect_config,
        pusher,
        faults: state.faults.clone(),
        limits: config.websocket_limits,
    };
    let management = ManagementApi {
        stage: config.stage.clone(),
        connections: state.connections.clone(),
        faults: state.faults.clone(),
        max_message_bytes: config.websocket_limits.max_message_bytes,
        auth: config.auth,
        identities: state.identities.clone(),
    };
    let events_api = appsync::AppSyncApi {
        auth: config.auth,
        identities: state.identities.clone(),
        api_key: config.appsync_api_key.clone(),
        namespace: config.appsync_namespace.clone(),
        keepalive: config.appsync_keepalive,
        broker: state.events.clone(),
        faults: state.faults.clone(),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(appsync::routes(events_api, chat))
        .route("/", static_files::service(config.dist_dir.clone()).merge(aws_json))
        .route(&format!("/{}", config.stage), get(apigw::websocket_upgrade).with_state(websocket))
        .merge(admin)
        .merge(bedrock::routes(
            state.faults.clone(),
            config.model_source(),
            config.auth,
            state.identities.clone(),
        ))
        .merge(lex::routes(lex_runtime))
        .merge(lambda_host::invoke_routes(lambda_host::InvokeApi {
            functions: state.functions.clone(),
            auth: config.auth,
            identities: state.identities.clone(),
        }))
        .merge(apigw::management_routes(management))
        .fallback_service(static_files::service(config.dist_dir.clone()))
        .layer(axum::middleware::from_fn_with_state(
            cors::AllowedOrigins::with_extra(&config.allowed_origins),
            cors::browser_origins,
        ))
}

/// Why the devstack could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The address could not be bound.
    #[error("could not listen: {0}")]
    Listen(#[from] std::io::Error),
    /// The DynamoDB connection table could not be prepared.
    #[error("connection table: {0}")]
    Table(#[from] lexstream_lambda_core::StoreError),
    /// The bot file is unusable.
    #[error(transparent)]
    Bot(#[from] lex::bot::BotError),
    /// The in-process Lambdas' settings are invalid.
    #[error("Lambda settings: {0}")]
    Fulfillment(#[from] lexstream_lambda_core::config::ConfigError),
    /// `--fulfillment-cmd` could not be started.
    #[error("could not start --fulfillment-cmd {0:?}: {1}")]
    FulfillmentCommand(String, std::io::Error),
    /// The in-process chat Lambda's AppSync publisher could not be built.
    #[error("AppSync publisher: {0}")]
    Chat(String),
}

/// A devstack running in the background (for tests and `cargo xtask dev`).
#[derive(Debug)]
pub struct RunningDevstack {
    /// The address it listens on (the real port when `:0` was asked for).
    pub addr: SocketAddr,
    /// Its state (connections, faults, identities, table).
    pub state: DevstackState,
    /// The API Gateway stage name it serves.
    pub stage: String,
    task: tokio::task::JoinHandle<()>,
}

impl RunningDevstack {
    /// The base URL of the devstack, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket API stage URL (`http://…/{stage}`), as `streamingEndpoint` names it.
    pub fn stage_url(&self) -> String {
        format!("{}/{}", self.url(), self.stage)
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Binds `config.addr` and serves in a background task.
pub async fn spawn(config: DevstackConfig) -> Result<RunningDevstack, SpawnError> {
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let dynamodb = dynamodb::Tables::default();
    let table = ConnectionTable::open(
        config.dynamodb_endpoint.as_deref(),
        &dynamodb,
        &format!("http://{addr}"),
        &config.table_name,
    )
    .await?;
    let state = DevstackState {
        connections: Connections::default(),
        faults: SharedFaults::default(),
        identities: Identities::default(),
        table,
        dynamodb,
        events: appsync::Broker::default(),
        functions: lambda_host::Functions::default(),
    };
    state.faults.set(config.faults.clone());
    let bot = BotDefinition::parse(&config.bot_json)?;
    let fulfiller = fulfiller(&config, &state, addr).await?;
    let chat = chat_route(&config, &state, addr).await?;
    // ws-connect's `resume` posts through this devstack's `@connections`, signed with its
    // service credentials like a deployed Lambda with its role.
    let url = format!("http://{addr}");
    let pusher = ApiGatewayPusher::new(&local_sdk_config(&url).await, &format!("{url}/{}", config.stage));
    let connect_config =
        ConnectConfig::from_lookup(lambda_settings::lookup(&config, addr, ProjectLambda::WsConnect))?;
    let app = router(&config, &state, bot, fulfiller, Some(chat), pusher, connect_config)
        .into_make_service_with_connect_info::<SocketAddr>();
    // Streamed answers (Bedrock's event streams, WebSocket frames) go out in small writes: without
    // TCP_NODELAY each write after the first waits for the client's delayed ACK (~40 ms), a delay
    // AWS's endpoints do not add.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "devstack server stopped");
        }
    });
    Ok(RunningDevstack { addr, state, stage: config.stage.clone(), task })
}

/// The variables a function run against the devstack at `addr` needs (region, credentials,
/// endpoints): what `--fulfillment-cmd` sets and the start banner prints.
pub fn function_environment(config: &DevstackConfig, addr: SocketAddr) -> Vec<(String, String)> {
    let url = format!("http://{addr}");
    lambda_host::function_environment(&url, config.dynamodb_endpoint.as_deref().unwrap_or(&url))
}

/// Where Lex's code hook runs: a hosted process (`--fulfillment-cmd`), an invoke URL
/// (`--fulfillment-url`), or the project's handler in-process.
async fn fulfiller(
    config: &DevstackConfig,
    state: &DevstackState,
    addr: SocketAddr,
) -> Result<Fulfiller, SpawnError> {
    // The project's fulfillment in-process: it talks to this devstack (Bedrock, @connections,
    // DynamoDB, Lambda) with the devstack's service credentials, like a deployed Lambda with its
    // role. Its answer worker is always there for the Lambda `Invoke` API, whichever fulfillment
    // Lex calls (a hosted `lex-fulfillment` binary in async mode invokes it too).
    let sdk_config = local_sdk_config(&format!("http://{addr}")).await;
    let settings =
        FulfillmentConfig::from_lookup(lambda_settings::lookup(config, addr, ProjectLambda::Fulfillment))?;
    let in_process =
        Fulfiller::in_process(&sdk_config, state.table.clone(), settings, config.fulfillment_timeout);
    if let Fulfiller::InProcess(local) = &in_process {
        state
            .functions
            .register(ANSWER_WORKER_FUNCTION, lambda_host::LambdaFunction::InProcess(local.answer_worker()));
    }
    if let Some(url) = &config.fulfillment_url {
        return Ok(Fulfiller::Url { url: url.clone(), timeout: config.fulfillment_timeout });
    }
    if let Some(command) = &config.fulfillment_cmd {
        let mut variables = function_environment(config, addr);
        variables.extend(lambda_settings::lambda_variables(config, addr, ProjectLambda::Fulfillment));
        let function = lambda_host::HostedFunction::new(lambda_host::FunctionSettings {
            name: "lex-fulfillment".to_owned(),
            command: lambda_host::RuntimeCommand::Shell(command.clone()),
            timeout: config.fulfillment_timeout,
            max_environments: config.fulfillment_concurrency,
            variables,
        });
        function.warm_up().await.map_err(|error| SpawnError::FulfillmentCommand(command.clone(), error))?;
        return Ok(Fulfiller::Hosted { function, timeout: config.fulfillment_timeout });
    }
    Ok(in_process)
}

/// The `appsync-chat` Lambda in-process: Bedrock and AppSync publishing both through this
/// devstack, with its service credentials and the API key, like a deployed Lambda.
async fn chat_route(
    config: &DevstackConfig,
    state: &DevstackState,
    addr: SocketAddr,
) -> Result<appsync::ChatRoute, SpawnError> {
    let sdk_config = local_sdk_config(&format!("http://{addr}")).await;
    let settings =
        ChatConfig::from_lookup(lambda_settings::lookup(config, addr, ProjectLambda::AppSyncChat))?;
    let publisher =
        AppSyncPublisher::new(&sdk_config, &settings.publish_endpoint, settings.publish_auth.clone())
            .map_err(SpawnError::Chat)?;
    Ok(appsync::ChatRoute {
        model: Arc::new(BedrockModel::new(BedrockClient::new(&sdk_config))),
        publisher: Arc::new(publisher),
        config: Arc::new(settings),
        limits: state.table.clone(),
        auth: config.auth,
        identities: state.identities.clone(),
    })
}
