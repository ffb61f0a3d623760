//! `centralita`: the one binary. `centralita serve [--config FILE]` runs everything: SIP,
//! media, the HTTP API and the web UI, with a default for every setting.

mod config;
mod history;
mod media;
mod serve;
mod sip;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// A cloud phone system for sales teams.
#[derive(Debug, Parser)]
#[command(name = "centralita", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// TOML configuration file.
        #[arg(long, value_name = "FILE", env = "CENTRALITA_CONFIG")]
        config: Option<PathBuf>,
        /// Where the database and audio files live (overrides `data_dir`).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Address of the HTTP API (overrides `[http] listen`).
        #[arg(long, value_name = "ADDR")]
        http_listen: Option<std::net::SocketAddr>,
        /// Address of SIP over UDP and TCP (overrides `[sip] listen`).
        #[arg(long, value_name = "ADDR")]
        sip_listen: Option<std::net::SocketAddr>,
    },
    /// Replaces the operator token with a new one and prints it (the server must be stopped,
    /// and `[operator] token` must be empty for the new one to be used).
    ResetOperatorToken {
        /// TOML configuration file.
        #[arg(long, value_name = "FILE", env = "CENTRALITA_CONFIG")]
        config: Option<PathBuf>,
        /// Where the database lives (overrides `data_dir`).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Prints the effective configuration (defaults, file, environment and flags merged).
    Config {
        /// TOML configuration file.
        #[arg(long, value_name = "FILE", env = "CENTRALITA_CONFIG")]
        config: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve { config, data_dir, http_listen, sip_listen } => {
            let overrides = config::Overrides { data_dir, http_listen, sip_listen };
            let config = config::Config::load(config.as_deref(), &overrides)?;
            runtime.block_on(serve::run(config))
        }
        Command::ResetOperatorToken { config, data_dir } => {
            let overrides = config::Overrides { data_dir, ..Default::default() };
            let config = config::Config::load(config.as_deref(), &overrides)?;
            runtime.block_on(serve::reset_operator_token(&config))
        }
        Command::Config { config } => {
            let config = config::Config::load(config.as_deref(), &config::Overrides::default())?;
            let mut shown = config.clone();
            if !shown.operator.token.is_empty() {
                shown.operator.token = "(set)".into();
            }
            for trunk in &mut shown.trunk {
                if trunk.password.is_some() {
                    trunk.password = Some("(set)".into());
                }
            }
            serve::print_line(&toml::to_string_pretty(&shown)?);
            Ok(())
        }
    }
}
