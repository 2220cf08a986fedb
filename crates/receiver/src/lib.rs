//! `hotmart-receiver`: the program a seller runs to receive Hotmart webhooks
//! without losing a sale.
//!
//! 1. The hottok is verified ([`hotmart_webhook::VerifyHottokLayer`]); a
//!    rejected request costs no database write (counted in memory).
//! 2. The body, its hottok masked, is stored durably with its
//!    [idempotency key](key) *before* the `200` (SQLite in WAL with
//!    `synchronous=FULL` and group commit, or PostgreSQL); a resend is
//!    deduplicated, and re-queued if it was not processed yet. A body that
//!    does not parse is stored too, and answered `200`.
//! 3. A [worker](Config::concurrency) takes due rows from the database and
//!    hands each to the sink: [`ForwardSink`] (a Standard Webhooks signed POST
//!    to the seller's app) or your [`Processor`]; failures are retried on the
//!    guide's schedule and then a longer backoff ([`RetryPolicy`]).
//!
//! Run it in-process, for example in a test:
//!
//! ```no_run
//! use hotmart_receiver::{Config, Server};
//!
//! # async fn run() -> Result<(), hotmart_receiver::BoxError> {
//! let hottok = hotmart_webhook::Hottok::new("change-me")?;
//! let mut config = Config::new(hottok, "sqlite://hotmart-webhooks.db");
//! config.listen = "127.0.0.1:0".parse()?;
//! let server = Server::new(config).bind().await?;
//! println!("listening on {}", server.local_addr());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[doc(hidden)]
pub mod cli;
pub mod config;
mod http;
pub mod key;
pub mod mask;
pub mod metrics;
pub mod retry;
pub mod sink;
pub mod store;
pub mod summary;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

pub use config::{AdminToken, Config, Limits};
pub use metrics::Metrics;
pub use retry::RetryPolicy;
pub use sink::{ForwardConfig, ForwardSink, LogProcessor, Processor, ProcessorSink, Sink};
pub use store::{Store, StoreError};

/// Any error, for the start-up paths.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A receiver to start: [`Config`], and optionally the store and the sink
/// (by default: the store `DATABASE_URL` names, and the forward sink if
/// configured, else [`LogProcessor`]).
pub struct Server {
    config: Config,
    store: Option<Arc<dyn Store>>,
    sink: Option<Arc<dyn Sink>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server with this configuration.
    pub fn new(config: Config) -> Server {
        Server {
            config,
            store: None,
            sink: None,
        }
    }

    /// Uses this store instead of opening `config.database_url`.
    pub fn store(mut self, store: Arc<dyn Store>) -> Server {
        self.store = Some(store);
        self
    }

    /// Hands deliveries to `processor` instead of the configured sink.
    pub fn processor<P: Processor>(self, processor: P) -> Server {
        self.sink(Arc::new(ProcessorSink(processor)))
    }

    /// Hands deliveries to `sink` instead of the configured one.
    pub fn sink(mut self, sink: Arc<dyn Sink>) -> Server {
        self.sink = Some(sink);
        self
    }

    /// Opens the store, binds the listener, starts the worker and serves.
    pub async fn bind(self) -> Result<RunningServer, BoxError> {
        let config = self.config;
        let store = match self.store {
            Some(store) => store,
            None => {
                store::open(
                    &config.database_url,
                    &store::OpenOptions {
                        serve: true,
                        queue_capacity: config.queue_capacity,
                    },
                )
                .await?
            }
        };
        let (sink, sink_description): (Arc<dyn Sink>, String) = match (self.sink, &config.forward) {
            (Some(sink), _) => {
                let description = sink.describe();
                (sink, description)
            }
            (None, Some(forward)) => {
                let sink = ForwardSink::new(forward.clone());
                let description = sink.describe();
                (Arc::new(sink), description)
            }
            (None, None) => (
                Arc::new(ProcessorSink(LogProcessor)),
                "logging only: no HOTMART_FORWARD_URL, so deliveries are marked processed once logged"
                    .to_owned(),
            ),
        };
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let metrics = Arc::new(Metrics::default());
        // A server database wakes the worker when another instance stores
        // due work; the HTTP side wakes it for this instance's deliveries.
        let wake = store
            .work_signal()
            .unwrap_or_else(|| Arc::new(Notify::new()));
        let heartbeat = Arc::new(AtomicI64::new(store::now_ms()));
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = worker::Worker {
            id: format!("{}-{}", std::process::id(), store::now_ms()),
            store: Arc::clone(&store),
            sink: Arc::clone(&sink),
            policy: Arc::new(config.retry.clone()),
            wake: Arc::clone(&wake),
            stop: stop_rx.clone(),
            concurrency: config.concurrency,
            lease: config.lease(),
            grace: config.limits.shutdown_grace,
            heartbeat: Arc::clone(&heartbeat),
            metrics: Arc::clone(&metrics),
        };
        let worker = tokio::spawn(worker.run());
        let retention = config
            .retention_days
            .map(|days| tokio::spawn(retention(Arc::clone(&store), days, stop_rx.clone())));
        let state = http::AppState {
            store: Arc::clone(&store),
            wake,
            metrics,
            admin: config.admin_token.clone().map(Arc::new),
            heartbeat,
            ready_max_backlog: config.ready_max_backlog,
        };
        let router = http::router(config.hottok.clone(), state, &config.limits);
        tracing::info!(
            platform = http::PLATFORM,
            address = %local_addr,
            backend = store.backend(),
            sink = %sink_description,
            admin = config.admin_token.is_some(),
            "receiver started; listening on {local_addr}"
        );
        if config.admin_token.is_none() {
            tracing::warn!(
                platform = http::PLATFORM,
                "no HOTMART_ADMIN_TOKEN: the admin routes answer 401"
            );
        }
        let mut http_stop = stop_rx;
        let limits = config.limits.clone();
        let task = tokio::spawn(async move {
            http::serve::serve(listener, router, limits, async move {
                let _ = http_stop.wait_for(|stop| *stop).await;
            })
            .await;
            let _ = worker.await;
            if let Some(retention) = retention {
                // It stops at the same signal; waiting for it drops its
                // store handle before `shutdown` returns.
                let _ = retention.await;
            }
            tracing::info!(platform = http::PLATFORM, "receiver stopped");
        });
        Ok(RunningServer {
            local_addr,
            store,
            stop: stop_tx,
            task,
        })
    }
}

/// Deletes bodies of processed rows older than `days`, at start and daily.
async fn retention(store: Arc<dyn Store>, days: u32, mut stop: watch::Receiver<bool>) {
    loop {
        let before = store::now_ms() - i64::from(days) * 86_400_000;
        match store.prune_bodies(before).await {
            Ok(n) => tracing::info!(
                platform = "HOTMART",
                pruned = n,
                days,
                "retention: bodies of processed rows deleted"
            ),
            Err(e) => tracing::error!(platform = "HOTMART", error = %e, "retention failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(86_400)) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

/// A receiver serving; stop it with [`RunningServer::shutdown`].
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    store: Arc<dyn Store>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.backend())
    }
}

impl RunningServer {
    /// The address it listens on (the port the OS picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Its store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Stops gracefully: no new connections, requests in flight finished
    /// (each answered only after its commit), attempts in flight given the
    /// grace period, then the store closed (its lock released once the last
    /// handle is gone).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }

    /// Serves until `signal` completes, then [`shutdown`](Self::shutdown).
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        tokio::select! {
            () = signal => {}
            _ = self.stop.closed() => {}
        }
        self.shutdown().await;
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when
/// this is called (inside a runtime), not when first polled, so a signal
/// arriving while the server starts is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = signals;
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => drop(s.recv().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = interrupt => {}
                () = terminate => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!(
            platform = http::PLATFORM,
            "shutdown signal received; finishing requests in flight"
        );
    }
}
