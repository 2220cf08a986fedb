//! Connecting: the `DATABASE_URL`, the pool, TLS.
//!
//! Without the `postgres-tls` feature the connections are plain TCP (or a
//! Unix socket): fine on localhost or a private network. A URL that demands
//! TLS (`sslmode=require`) is then refused with one clear line instead of
//! silently connecting in the clear. With the feature, TLS uses rustls and
//! the system's root certificates (`sslmode=prefer`, the default, upgrades
//! when the server offers it).

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::SslMode;

use crate::store::{StoreError, StoreResult};

/// Whether `url` names a PostgreSQL database (`postgres://` or
/// `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// Parses the URL. The error never repeats the URL (it may hold a password).
pub(super) fn parse(url: &str) -> StoreResult<tokio_postgres::Config> {
    let config = tokio_postgres::Config::from_str(url).map_err(|e| {
        StoreError::Database(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
    })?;
    if config.get_ssl_mode() == SslMode::Require && !cfg!(feature = "postgres-tls") {
        return Err(StoreError::Database(
            "DATABASE_URL asks for sslmode=require, but this build has no TLS: \
             build with the `postgres-tls` feature"
                .into(),
        ));
    }
    Ok(config)
}

/// A pool of `size` connections.
pub(super) fn pool(
    config: tokio_postgres::Config,
    size: usize,
    timeout: std::time::Duration,
) -> StoreResult<Pool> {
    let manager_config = ManagerConfig {
        // A query on checkout would cost a round trip per insert; a broken
        // connection is detected by the next query instead.
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = manager(config, manager_config)?;
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .build()
        .map_err(|e| StoreError::Database(format!("cannot build the connection pool: {e}")))
}

#[cfg(not(feature = "postgres-tls"))]
fn manager(config: tokio_postgres::Config, mc: ManagerConfig) -> StoreResult<Manager> {
    Ok(Manager::from_config(config, tokio_postgres::NoTls, mc))
}

#[cfg(feature = "postgres-tls")]
fn manager(config: tokio_postgres::Config, mc: ManagerConfig) -> StoreResult<Manager> {
    Ok(Manager::from_config(config, tls()?, mc))
}

/// The rustls connector, trusting the system's roots.
#[cfg(feature = "postgres-tls")]
pub(super) fn tls() -> StoreResult<tokio_postgres_rustls::MakeRustlsConnect> {
    // No root found is not an error here: a server without TLS (the
    // default `sslmode=prefer` on localhost) still works, and a TLS
    // handshake then fails with the verifier's own error.
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Database(format!("postgres-tls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// One connection outside the pool (for `LISTEN`), with its driver.
pub(super) async fn dedicated(
    config: &tokio_postgres::Config,
) -> StoreResult<(tokio_postgres::Client, Box<dyn ConnectionDriver>)> {
    #[cfg(not(feature = "postgres-tls"))]
    let tls = tokio_postgres::NoTls;
    #[cfg(feature = "postgres-tls")]
    let tls = tls()?;
    let (client, connection) = config.connect(tls).await.map_err(super::db_error)?;
    Ok((client, Box::new(connection)))
}

/// A connection's message pump, whatever its TLS type.
pub(super) trait ConnectionDriver: Send {
    /// Polls for the next asynchronous message (notifications).
    fn poll_message(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<tokio_postgres::AsyncMessage, tokio_postgres::Error>>>;
}

impl<S, T> ConnectionDriver for tokio_postgres::Connection<S, T>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send,
{
    fn poll_message(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<tokio_postgres::AsyncMessage, tokio_postgres::Error>>> {
        tokio_postgres::Connection::poll_message(self, cx)
    }
}
