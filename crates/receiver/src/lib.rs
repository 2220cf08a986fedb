//! A production-shaped Hotmart webhook receiver, the flagship example of
//! `hotmart-webhook`.
//!
//! During a launch, hundreds of sales arrive at once; Hotmart's own advice is
//! to save the data first. So this receiver:
//!
//! 1. verifies the hottok with [`VerifyHottokLayer`](hotmart_webhook::VerifyHottokLayer)
//!    (header for 2.0.0, body fallback for v1);
//! 2. writes the body (hottok masked) and its parsed summary to SQLite and
//!    answers `200` only after the commit (WAL, `synchronous=FULL`, group
//!    commit on one store thread: see [`store`]); duplicates (same event `id`;
//!    v1: same transaction and status) are stored once and answered `200` with
//!    `"duplicate":true`; unknown events are stored and answered `200`;
//!    unparsable bodies are stored as failed and answered `400`/`422`;
//! 3. processes stored rows *after* the answer with your [`Processor`], at
//!    least once, retried on the guide's schedule ([`RetryPolicy`]), resuming
//!    pending rows at the next start (see [`processor`] for why exactly once
//!    is impossible);
//! 4. serves the guide's test, statistics, recent-deliveries and health
//!    endpoints.
//!
//! ```no_run
//! use hotmart_receiver::{LogProcessor, Settings, serve};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let settings = Settings::new(hotmart_webhook::Hottok::from_env()?, "./hotmart-webhooks.db");
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! serve(settings, listener, LogProcessor::new, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

pub mod app;
pub mod processor;
pub mod store;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hotmart_webhook::Hottok;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub use processor::{Action, LogProcessor, Processor, RetryPolicy};
pub use store::{Store, StoreError};

/// What [`serve`] needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The accepted hottok(s).
    pub hottok: Hottok,
    /// The SQLite file (created if missing).
    pub database_path: PathBuf,
    /// When failed processing is retried.
    pub retry: RetryPolicy,
    /// How many rows are processed at once.
    pub concurrency: usize,
    /// How long handler calls in flight may finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The defaults: the guide's retry schedule, 16 rows at once, 10 s grace.
    pub fn new(hottok: Hottok, database_path: impl Into<PathBuf>) -> Self {
        Settings {
            hottok,
            database_path: database_path.into(),
            retry: RetryPolicy::guide(),
            concurrency: 16,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Runs the receiver on `listener` until `shutdown` completes, then stops
/// gracefully: requests in flight are finished (each answered only after its
/// commit), the worker stops taking rows (rows not yet processed stay pending
/// for the next start), and the store thread commits what is queued.
///
/// `make_processor` gets the opened [`Store`] (the example's
/// [`LogProcessor`] journals its effects there).
pub async fn serve<P, F>(
    settings: Settings,
    listener: TcpListener,
    make_processor: F,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    P: Processor,
    F: FnOnce(&Store) -> P,
{
    let path = settings.database_path.clone();
    let (store, store_thread) = tokio::task::spawn_blocking(move || Store::open(&path)).await??;
    let wake = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = processor::Worker {
        store: store.clone(),
        processor: Arc::new(make_processor(&store)),
        policy: Arc::new(settings.retry),
        wake: Arc::clone(&wake),
        stop: stop_rx,
        concurrency: settings.concurrency,
        grace: settings.shutdown_grace,
    };
    let worker = tokio::spawn(worker.run());
    let app = app::router(settings.hottok, store, wake);
    tracing::info!(platform = app::PLATFORM, database = %settings.database_path.display(), "receiver started");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    tokio::task::spawn_blocking(move || store_thread.stop()).await?;
    tracing::info!(platform = app::PLATFORM, "receiver stopped");
    served.map_err(Into::into)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!(
        platform = app::PLATFORM,
        "shutdown signal received; finishing requests in flight"
    );
}
