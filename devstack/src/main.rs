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
    let config = match DevstackConfig::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(ConfigError::HelpRequested) => {
            println!("{}", lexstream_devstack::USAGE);
            return Ok(());
        }
        Err(error) => anyhow::bail!("{error}\n\n{}", lexstream_devstack::USAGE),
    };
    let dist = config.dist_dir.display().to_string();
    let running = lexstream_devstack::spawn(config.clone())
        .await
        .with_context(|| format!("could not listen on {}", config.addr))?;
    tracing::info!(url = %running.url(), %dist, "devstack ready: open the URL to chat with the widget");
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("devstack stopping");
    running.stop();
    Ok(())
}
