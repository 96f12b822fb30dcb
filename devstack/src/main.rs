//! `lexstream-devstack`: run the local stack (`cargo xtask dev` starts it for you).

use anyhow::Context;
use lexstream_devstack::{ConfigError, DevstackConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Visitors' identifiers are logged hashed, here as in the Lambdas the devstack runs in-process.
    lexstream_lambda_core::log_hash::log_key_source();
    let config = match DevstackConfig::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(ConfigError::HelpRequested) => {
            println!("{}", lexstream_devstack::USAGE);
            return Ok(());
        }
        Err(error) => anyhow::bail!("{error}\n\n{}", lexstream_devstack::USAGE),
    };
    let running = lexstream_devstack::spawn(config.clone())
        .await
        .with_context(|| format!("could not start the devstack on {}", config.addr))?;
    println!("{}", banner(&config, &running));
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("devstack stopping");
    running.stop();
    Ok(())
}

/// What a developer needs to point the widget, an SDK or a Lambda at this devstack.
fn banner(config: &DevstackConfig, running: &lexstream_devstack::RunningDevstack) -> String {
    let url = running.url();
    let fulfillment = match (&config.fulfillment_cmd, &config.fulfillment_url) {
        (Some(command), _) => format!("`{command}` over the Lambda Runtime API"),
        (None, Some(url)) => url.clone(),
        (None, None) => "in-process (the lex-fulfillment handler)".to_owned(),
    };
    let variables: String = lexstream_devstack::function_environment(config, running.addr)
        .iter()
        .map(|(name, value)| format!("\n    export {name}={value}"))
        .collect();
    let model = match &config.model_proxy {
        Some((proxy, _)) => format!("proxied to {proxy}"),
        None => format!("demo model, {} ms per token", config.model.token_interval.as_millis()),
    };
    let bot = lexstream_devstack::lex::bot::BotDefinition::parse(&config.bot_json).map_or_else(
        |error| error.to_string(),
        |bot| {
            let aliases: Vec<&str> = bot.aliases.keys().map(String::as_str).collect();
            format!("bot {}, alias {}, locale {}", bot.bot_id, aliases.join("|"), bot.locales.join("|"))
        },
    );
    let auth = match config.auth {
        lexstream_devstack::AuthMode::SigV4 => {
            "SigV4 required (credentials from Cognito GetCredentialsForIdentity)"
        }
        lexstream_devstack::AuthMode::Off => "off",
    };
    format!(
        "\nLexstream devstack is running; the demo page with the widget is at {url}/\n\
         \n  demo page        {url}/ (serving {dist}); over AppSync Events: {url}/appsync.html\
         \n  Cognito identity {url} (any pool id such as us-east-1:00000000-0000-0000-0000-000000000000)\
         \n  Lex V2 runtime   {url} ({bot})\
         \n  WebSocket API    {ws}/{stage}?sessionId=<Cognito identity id> (stage URL {url}/{stage})\
         \n  Bedrock runtime  {url} ({model})\
         \n  AppSync Events   {url}/event (HTTP publish), {ws}/event/realtime (API key {api_key}, namespace {namespace})\
         \n  chat API         {url}/chat (the appsync-chat handler, IAM auth)\
         \n  fulfillment      {fulfillment}\
         \n  auth             {auth}\
         \n  faults           GET/POST {url}/_devstack/faults\
         \n\nA fulfillment of your own (any language, any AWS SDK) reaches this devstack with these\
         \nvariables (--fulfillment-cmd sets them for you); @connections, Bedrock and DynamoDB accept\
         \nthese service credentials only (visitors' Cognito credentials get AccessDenied):{variables}\
         \n\nPress Ctrl-C to stop.",
        dist = config.dist_dir.display(),
        ws = url.replace("http://", "ws://"),
        stage = running.stage,
        api_key = config.appsync_api_key,
        namespace = config.appsync_namespace,
    )
}
