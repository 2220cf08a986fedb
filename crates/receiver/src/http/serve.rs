//! The connection loop: hyper's HTTP/1 server with a timer, so the
//! header-read timeout works (`axum::serve` runs without one, and a client
//! sending its headers a byte at a time held a connection forever); a cap on
//! open connections; tower-http's body timeout; graceful shutdown with a
//! deadline (hyper-util's `GracefulShutdown`).
//!
//! HTTP/1 only: Hotmart posts HTTP/1.1, and TLS (and HTTP/2, if wanted) is
//! the business of the proxy in front.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::config::Limits;

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish for `limits.shutdown_grace`,
/// and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let service = tower::ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(limits.body))
        .service(router);
    let service = TowerToHyperService::new(service);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while tasks.try_join_next().is_some() {}
        // At the cap, stop accepting: further clients wait in the kernel's
        // backlog, and those holding a slot without sending are cut by the
        // header-read timeout.
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::error!(platform = "HOTMART", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection);
        tasks.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(platform = "HOTMART", error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            platform = "HOTMART",
            "connections still open after the shutdown deadline were dropped"
        );
    }
    tasks.shutdown().await;
}
