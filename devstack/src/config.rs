//! The devstack's settings, from command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lexstream_protocol::limits::{
    DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
};

use crate::apigw::WebSocketLimits;
use crate::auth::AuthMode;
use crate::bedrock::DemoModelSettings;
use crate::connection_table::DEFAULT_TABLE;
use crate::faults::Faults;

/// Where the devstack listens and what it serves.
#[derive(Debug, Clone)]
pub struct DevstackConfig {
    /// Address to listen on (`--addr`, default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// The built widget and demo page (`--dist`, default `dist`).
    pub dist_dir: PathBuf,
    /// The WebSocket API stage name (`--stage`, default `Prod`).
    pub stage: String,
    /// The demo model's pace (`--model-pace-ms`, default 35 ms per token).
    pub model: DemoModelSettings,
    /// An OpenAI-compatible server answering instead of the demo model (`--model-proxy URL`),
    /// and the model name to ask it for (`--model-proxy-model`).
    pub model_proxy: Option<(String, Option<String>)>,
    /// Request signing: `--auth sigv4` (default) or `--auth off`.
    pub auth: AuthMode,
    /// The WebSocket API's limits (`--idle-timeout-secs`, `--max-connection-secs`).
    pub websocket_limits: WebSocketLimits,
    /// The connection table's name (`CONNECTIONS_TABLE`, default `lexstream-connections`).
    pub table_name: String,
    /// A local DynamoDB-compatible server for the table (`AWS_ENDPOINT_URL_DYNAMODB`); when
    /// unset, the table lives in the devstack's own DynamoDB endpoint.
    pub dynamodb_endpoint: Option<String>,
    /// The bot definition, JSON (`--bot FILE`, default the demo bot).
    pub bot_json: String,
    /// Where the fulfillment code hook runs: `None` in-process, or a Lambda invoke URL
    /// (`--fulfillment-url`).
    pub fulfillment_url: Option<String>,
    /// A command the devstack runs as the fulfillment Lambda over the Lambda Runtime API
    /// (`--fulfillment-cmd`, e.g. `python -m awslambdaric app.handler`).
    pub fulfillment_cmd: Option<String>,
    /// Most concurrent environments of `--fulfillment-cmd` (`--fulfillment-concurrency`,
    /// default 4).
    pub fulfillment_concurrency: usize,
    /// `--answer-mode async`: the fulfillment hands streamed answers to the answer worker (run
    /// by the devstack's Lambda `Invoke` API) and answers Lex at once; `sync` (default) answers
    /// within Lex's code-hook time.
    pub async_answers: bool,
    /// How long Lex waits for the code hook (`--fulfillment-timeout-secs`, default 30); also the
    /// timeout of a `--fulfillment-cmd` function.
    pub fulfillment_timeout: Duration,
    /// Faults in force at start (`--post-latency-ms`, `--fault-gone`, `--bedrock-throttle`).
    pub faults: Faults,
    /// `--appsync-api-key`: the AppSync Events API key (for the chat Lambda's publishes).
    pub appsync_api_key: String,
    /// `--appsync-namespace`: the channel namespace answers are published in.
    pub appsync_namespace: String,
    /// `--appsync-ka-secs`: seconds between AppSync `ka` keep-alive messages.
    pub appsync_keepalive: Duration,
    /// `--answers-per-minute`: the in-process fulfillment's `ANSWERS_PER_IDENTITY_PER_MINUTE`
    /// (default the deployment's, 10; 0: no limit).
    pub answers_per_minute: u32,
    /// `--connects-per-minute`: `ws-connect`'s `CONNECTS_PER_IDENTITY_PER_MINUTE` (default the
    /// deployment's, 20; 0: no limit).
    pub connects_per_minute: u32,
    /// `--allow-origin` (repeatable): origins whose pages may use the devstack besides its own
    /// and loopback ones (`http://127.0.0.1:*`, `http://localhost:*`, `http://[::1]:*`).
    pub allowed_origins: Vec<String>,
}

impl Default for DevstackConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist_dir: PathBuf::from("dist"),
            stage: "Prod".to_owned(),
            model: DemoModelSettings::default(),
            model_proxy: None,
            auth: AuthMode::SigV4,
            websocket_limits: WebSocketLimits::default(),
            table_name: std::env::var("CONNECTIONS_TABLE").unwrap_or_else(|_| DEFAULT_TABLE.to_owned()),
            dynamodb_endpoint: std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok().filter(|url| !url.is_empty()),
            bot_json: crate::lex::bot::DEMO_BOT.to_owned(),
            fulfillment_url: None,
            fulfillment_cmd: None,
            fulfillment_concurrency: 4,
            async_answers: false,
            fulfillment_timeout: Duration::from_secs(30),
            faults: Faults::default(),
            appsync_api_key: DEFAULT_APPSYNC_API_KEY.to_owned(),
            appsync_namespace: "chat".to_owned(),
            appsync_keepalive: Duration::from_secs(60),
            answers_per_minute: DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE,
            connects_per_minute: DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
            allowed_origins: Vec::new(),
        }
    }
}

/// A flag the devstack could not use.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A flag needs a value and none followed it.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// `--addr` is not `IP:PORT`.
    #[error("--addr {0:?} is not an address like 127.0.0.1:8080")]
    BadAddr(String),
    /// A number flag got something else.
    #[error("{flag} {value:?} is not a whole number")]
    BadNumber {
        /// The flag.
        flag: String,
        /// What it got.
        value: String,
    },
    /// A file named by a flag cannot be read.
    #[error("cannot read {0}: {1}")]
    Unreadable(String, String),
    /// Two flags that exclude each other.
    #[error("{0} and {1} cannot be used together")]
    Conflict(&'static str, &'static str),
    /// `--answer-mode` got something other than `sync` or `async`.
    #[error("--answer-mode {0:?} must be sync or async")]
    BadAnswerMode(String),
    /// `--auth` got something other than `sigv4` or `off`.
    #[error("--auth {0:?} must be sigv4 or off")]
    BadAuth(String),
    /// A flag the devstack does not know.
    #[error("unknown flag {0:?} (see --help)")]
    UnknownFlag(String),
    /// `--help` was given.
    #[error("{USAGE}")]
    HelpRequested,
}

/// The AppSync Events API key the devstack accepts unless `--appsync-api-key` says otherwise.
pub const DEFAULT_APPSYNC_API_KEY: &str = "da2-lexstream-devstack";

/// What `lexstream-devstack --help` prints.
pub const USAGE: &str = "\
usage: lexstream-devstack [flags]
  --addr IP:PORT          address to listen on (default 127.0.0.1:8080)
  --dist DIR              the built widget to serve (default dist; `trunk build` makes it)
  --stage NAME            WebSocket API stage name (default Prod)
  --model-pace-ms N       demo model: milliseconds between streamed tokens (default 35)
  --model-proxy URL       answer with an OpenAI-compatible server instead of the demo model
                          (e.g. http://127.0.0.1:11434/v1 for Ollama)
  --model-proxy-model M   the model name to ask the proxy for (default: the request's model id)
  --auth sigv4|off        require SigV4 signatures from issued credentials (default sigv4)
  --bot FILE              the bot Lex plays (JSON; default: the built-in demo bot)
  --fulfillment-cmd CMD   run the code hook as a Lambda function in any language: CMD starts
                          its runtime client (e.g. \"python -m awslambdaric app.handler\" or
                          target/release/lex-fulfillment) with AWS_LAMBDA_RUNTIME_API, region,
                          credentials and endpoints set (see the start banner)
  --fulfillment-concurrency N  most concurrent --fulfillment-cmd processes (default 4)
  --fulfillment-url URL   run the code hook at this Lambda invoke URL instead of in-process
                          (e.g. http://127.0.0.1:9000/2015-03-31/functions/function/invocations)
  --fulfillment-timeout-secs N  how long Lex waits for the code hook (default 30)
  --answer-mode sync|async  async: hand streamed answers to the answer worker (the devstack's
                          Lambda Invoke API runs it), so they may outlast Lex (default sync)
  --idle-timeout-secs N   close idle WebSocket connections after N s (default 600)
  --max-connection-secs N close WebSocket connections after N s (default 7200)
  --appsync-api-key KEY   AppSync Events API key (default da2-lexstream-devstack)
  --appsync-namespace NS  AppSync Events namespace of the chat channels (default chat)
  --appsync-ka-secs N     seconds between AppSync Events keep-alives (default 60)
  --answers-per-minute N  answers one visitor identity gets per minute (default 10; 0: no limit)
  --connects-per-minute N WebSocket connects one visitor identity gets per minute (default 20;
                          0: no limit)
  --allow-origin ORIGIN   let pages of ORIGIN (e.g. http://dev.example:3000) use the devstack;
                          its own and loopback origins always may, other pages get no CORS
                          grant and a 403 from /_devstack/* (repeatable)
environment: the connection table (CONNECTIONS_TABLE, default lexstream-connections) is a
  table of the devstack's own DynamoDB endpoint (the DynamoDB JSON protocol on POST /);
  AWS_ENDPOINT_URL_DYNAMODB keeps it in that DynamoDB instead
faults (also settable at runtime: POST /_devstack/faults):
  --post-latency-ms N     every @connections post and AppSync HTTP publish takes N ms longer
  --fault-gone            every @connections post answers 410 GoneException
  --bedrock-throttle      Bedrock answers 429 ThrottlingException";

impl DevstackConfig {
    /// Reads flags (without the program name).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| ConfigError::MissingValue(flag.clone()));
            match flag.as_str() {
                "--addr" => {
                    let raw = value()?;
                    config.addr = raw.parse().map_err(|_| ConfigError::BadAddr(raw))?;
                }
                "--dist" => config.dist_dir = PathBuf::from(value()?),
                "--stage" => config.stage = value()?,
                "--model-pace-ms" => {
                    config.model.token_interval = Duration::from_millis(number(&flag, value()?)?);
                }
                "--auth" => {
                    config.auth = match value()?.as_str() {
                        "sigv4" => AuthMode::SigV4,
                        "off" => AuthMode::Off,
                        other => return Err(ConfigError::BadAuth(other.to_owned())),
                    };
                }
                "--bot" => {
                    let path = value()?;
                    config.bot_json = std::fs::read_to_string(&path)
                        .map_err(|e| ConfigError::Unreadable(path.clone(), e.to_string()))?;
                }
                "--model-proxy" => {
                    let model = config.model_proxy.take().and_then(|(_, model)| model);
                    config.model_proxy = Some((value()?, model));
                }
                "--model-proxy-model" => {
                    let url = config.model_proxy.take().map(|(url, _)| url).unwrap_or_default();
                    config.model_proxy = Some((url, Some(value()?)));
                }
                "--fulfillment-url" => config.fulfillment_url = Some(value()?),
                "--fulfillment-cmd" => config.fulfillment_cmd = Some(value()?),
                "--answer-mode" => {
                    config.async_answers = match value()?.as_str() {
                        "sync" => false,
                        "async" => true,
                        other => return Err(ConfigError::BadAnswerMode(other.to_owned())),
                    };
                }
                "--fulfillment-concurrency" => {
                    config.fulfillment_concurrency =
                        usize::try_from(number(&flag, value()?)?).unwrap_or(usize::MAX).max(1);
                }
                "--fulfillment-timeout-secs" => {
                    config.fulfillment_timeout = Duration::from_secs(number(&flag, value()?)?);
                }
                "--idle-timeout-secs" => {
                    config.websocket_limits.idle_timeout = Duration::from_secs(number(&flag, value()?)?);
                }
                "--max-connection-secs" => {
                    config.websocket_limits.max_connection_age =
                        Duration::from_secs(number(&flag, value()?)?);
                }
                "--appsync-api-key" => config.appsync_api_key = value()?,
                "--allow-origin" => config.allowed_origins.push(value()?),
                "--appsync-namespace" => config.appsync_namespace = value()?,
                "--appsync-ka-secs" => {
                    config.appsync_keepalive = Duration::from_secs(number(&flag, value()?)?);
                }
                "--answers-per-minute" => config.answers_per_minute = per_minute(&flag, value()?)?,
                "--connects-per-minute" => config.connects_per_minute = per_minute(&flag, value()?)?,
                "--post-latency-ms" => config.faults.post_latency_ms = number(&flag, value()?)?,
                "--fault-gone" => config.faults.gone_on_post = true,
                "--bedrock-throttle" => config.faults.bedrock_throttle = true,
                "--help" | "-h" => return Err(ConfigError::HelpRequested),
                _ => return Err(ConfigError::UnknownFlag(flag)),
            }
        }
        if config.fulfillment_cmd.is_some() && config.fulfillment_url.is_some() {
            return Err(ConfigError::Conflict("--fulfillment-cmd", "--fulfillment-url"));
        }
        if config.model_proxy.as_ref().is_some_and(|(url, _)| url.is_empty()) {
            return Err(ConfigError::MissingValue("--model-proxy (needed by --model-proxy-model)".into()));
        }
        Ok(config)
    }

    /// Which model answers Bedrock calls.
    pub fn model_source(&self) -> crate::bedrock::ModelSource {
        match &self.model_proxy {
            Some((base_url, model)) => {
                crate::bedrock::ModelSource::Proxy { base_url: base_url.clone(), model: model.clone() }
            }
            None => crate::bedrock::ModelSource::Demo { token_interval: self.model.token_interval },
        }
    }
}

fn number(flag: &str, value: String) -> Result<u64, ConfigError> {
    value.parse().map_err(|_| ConfigError::BadNumber { flag: flag.to_owned(), value })
}

fn per_minute(flag: &str, value: String) -> Result<u32, ConfigError> {
    value.parse().map_err(|_| ConfigError::BadNumber { flag: flag.to_owned(), value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_listen_on_loopback_8080_and_serve_dist() {
        let config = DevstackConfig::from_args(args(&[])).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.dist_dir, PathBuf::from("dist"));
    }

    #[test]
    fn flags_override_defaults() {
        let config = DevstackConfig::from_args(args(&[
            "--addr",
            "127.0.0.1:0",
            "--dist",
            "/tmp/x",
            "--model-pace-ms",
            "5",
            "--fault-gone",
            "--answers-per-minute",
            "0",
        ]))
        .unwrap();
        assert_eq!(config.answers_per_minute, 0);
        assert_eq!(config.connects_per_minute, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE);
        assert_eq!(config.model.token_interval, Duration::from_millis(5));
        assert!(config.faults.gone_on_post);
        assert_eq!(config.addr.port(), 0);
        assert_eq!(config.dist_dir, PathBuf::from("/tmp/x"));
        let config = DevstackConfig::from_args(args(&[
            "--allow-origin",
            "http://dev.example:3000",
            "--allow-origin",
            "https://staging.example",
        ]))
        .unwrap();
        assert_eq!(config.allowed_origins, ["http://dev.example:3000", "https://staging.example"]);
    }

    #[test]
    fn bad_flags_get_clear_errors() {
        let error = DevstackConfig::from_args(args(&["--addr", "localhost"])).unwrap_err();
        assert!(error.to_string().contains("not an address"), "{error}");
        let error = DevstackConfig::from_args(args(&["--dist"])).unwrap_err();
        assert_eq!(error.to_string(), "--dist needs a value");
        let error = DevstackConfig::from_args(args(&["--model-pace-ms", "fast"])).unwrap_err();
        assert_eq!(error.to_string(), "--model-pace-ms \"fast\" is not a whole number");
        let error = DevstackConfig::from_args(args(&["--fulfillment-cmd", "x", "--fulfillment-url", "y"]))
            .unwrap_err();
        assert_eq!(error.to_string(), "--fulfillment-cmd and --fulfillment-url cannot be used together");
        let error = DevstackConfig::from_args(args(&["--port", "1"])).unwrap_err();
        assert!(error.to_string().contains("unknown flag \"--port\""), "{error}");
    }
}
