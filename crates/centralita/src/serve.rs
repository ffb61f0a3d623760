//! `centralita serve`: opens the store, starts every listener, and stops cleanly on SIGTERM
//! or Ctrl-C.

use std::sync::Arc;

use anyhow::Context;
use centralita_api::{ApiConfig, AppState, EventHub};
use centralita_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Writes one line to standard output: for what the operator must see even with logs off (a
/// generated token, `centralita config`).
#[allow(clippy::print_stdout, reason = "the binary's deliberate output to the operator")]
pub(crate) fn print_line(line: &str) {
    println!("{line}");
}

fn init_logging(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests run several servers in one process) is harmless: keep the first.
    let _ = match config.log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The hash the API compares operator tokens against. A configured token wins; otherwise the
/// stored hash; otherwise a new token is generated, printed once and only its hash kept.
async fn operator_token_hash(config: &Config, store: &Store) -> anyhow::Result<String> {
    if !config.operator.token.is_empty() {
        return Ok(centralita_api::token_hash(&config.operator.token));
    }
    if let Some(hash) = store.operator_token_hash().await? {
        return Ok(hash);
    }
    new_operator_token(store).await
}

async fn new_operator_token(store: &Store) -> anyhow::Result<String> {
    let token = centralita_api::new_token();
    let hash = centralita_api::token_hash(&token);
    store.set_operator_token_hash(&hash).await?;
    print_line(&format!("centralita: operator token (shown once; only its hash is kept): {token}"));
    Ok(hash)
}

/// `centralita reset-operator-token`.
pub(crate) async fn reset_operator_token(config: &Config) -> anyhow::Result<()> {
    let store = Store::open(&config.data_dir).await?;
    new_operator_token(&store).await?;
    if !config.operator.token.is_empty() {
        print_line(
            "centralita: note: [operator] token is set in the configuration and wins over this one",
        );
    }
    store.close().await;
    Ok(())
}

/// Resolves when the process is asked to stop.
async fn stop_requested() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("interrupt received; shutting down"),
        () = term => tracing::info!("SIGTERM received; shutting down"),
    }
}

/// Runs the server until it is asked to stop.
pub(crate) async fn run(config: Config) -> anyhow::Result<()> {
    init_logging(&config);
    let store = Store::open(&config.data_dir)
        .await
        .with_context(|| format!("cannot open the data directory {}", config.data_dir.display()))?;
    tracing::info!(data_dir = %config.data_dir.display(), "store open");
    let operator_hash = operator_token_hash(&config, &store).await?;
    let interrupted = store
        .close_interrupted_calls()
        .await
        .context("cannot close the calls the previous run left in progress")?;
    if !interrupted.is_empty() {
        tracing::warn!(
            calls = interrupted.len(),
            "closed calls a previous run left in progress as interrupted"
        );
    }

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (stop_sip_tx, stop_sip_rx) = watch::channel(false);
    let events = EventHub::default();
    let sip =
        crate::sip::start(&config, store.clone(), events.clone(), shutdown_rx.clone(), stop_sip_rx)
            .await?;
    let sip_domain = sip_domain(&config, sip.local);
    let api_config = ApiConfig {
        max_upload_bytes: config.http.max_upload_bytes,
        max_audio_duration_ms: u64::from(config.audio.max_duration_s) * 1000,
        sip_realm: config.sip.realm.clone(),
        sip_domain: sip_domain.clone(),
        routing: config.engine_config(),
        ..ApiConfig::default()
    };
    let state = AppState::new(
        store.clone(),
        api_config.clone(),
        events.clone(),
        Arc::clone(&sip.live) as Arc<dyn centralita_api::LiveState>,
        operator_hash,
        shutdown_rx.clone(),
    );
    let web = centralita_web::WebState::new(
        store.clone(),
        events,
        Arc::clone(&sip.live) as Arc<dyn centralita_web::WebLive>,
        centralita_web::WebConfig {
            max_upload_bytes: api_config.max_upload_bytes,
            max_audio_duration_ms: api_config.max_audio_duration_ms,
            sip_realm: api_config.sip_realm.clone(),
            sip_domain,
            routing: config.engine_config(),
            ..centralita_web::WebConfig::default()
        },
        shutdown_rx,
    );
    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", config.http.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "HTTP API listening");

    let app = centralita_api::app(state).merge(centralita_web::router(web));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop_requested().await;
            let _ = shutdown_tx.send(true);
        })
        .await
        .context("HTTP server failed")?;
    // SIP drains: calls in progress go on until they end or the drain timeout passes. A second
    // signal stops at once.
    tokio::select! {
        () = sip.wait() => {}
        () = stop_requested() => {
            let _ = stop_sip_tx.send(true);
        }
    }
    sip.stopped().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The host users' phones register to: the public address if set, else the SIP listener's.
fn sip_domain(config: &Config, bound: std::net::SocketAddr) -> String {
    if !config.sip.public_address.is_empty() {
        return config.sip.public_address.clone();
    }
    let addr = bound;
    if addr.ip().is_unspecified() {
        // Bound to every interface: the phone must use one of them; loopback is the one we
        // can name for sure.
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}
