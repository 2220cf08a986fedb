//! Everything the server needs, built by hand ([`Config::new`]) or from flags
//! and environment variables (the binary's `serve`).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hotmart_webhook::Hottok;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::retry::RetryPolicy;
use crate::sink::ForwardConfig;

/// The bearer token of the admin routes. `Debug` never shows it.
#[derive(Clone)]
pub struct AdminToken([u8; 32]);

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// At least 16 characters of visible ASCII.
    pub fn new(token: &str) -> Result<AdminToken, String> {
        if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "HOTMART_ADMIN_TOKEN must be at least 16 visible ASCII characters \
                 (for example: openssl rand -hex 32)"
                    .into(),
            );
        }
        Ok(AdminToken(Sha256::digest(token.as_bytes()).into()))
    }

    /// Compares in constant time: both sides are hashed to 32 bytes first,
    /// so neither the content nor the length of the token leaks through
    /// timing.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate).into();
        self.0.ct_eq(&digest).into()
    }
}

/// HTTP timeouts and limits.
#[derive(Clone, Debug)]
pub struct Limits {
    /// A client must send its whole request head within this (slowloris);
    /// it is also how long an idle keep-alive connection stays open.
    pub header_read: Duration,
    /// A request (head to answer) must finish within this: `408`.
    pub request: Duration,
    /// A request body must arrive within this: `408`.
    pub body: Duration,
    /// Open connections at most; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// How long shutdown waits for requests and attempts in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            body: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The receiver's configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The accepted hottok(s) (`HOTMART_WEBHOOK_SECRET`, `…_PREVIOUS`).
    pub hottok: Hottok,
    /// The admin routes' bearer token; without one they answer `401`.
    pub admin_token: Option<AdminToken>,
    /// `sqlite://path` (default `sqlite://hotmart-webhooks.db`) or a path.
    pub database_url: String,
    /// Where to listen (`0.0.0.0:3000` by default; port 0 picks one).
    pub listen: SocketAddr,
    /// Forward each delivery to the seller's app; without it deliveries are
    /// only logged.
    pub forward: Option<ForwardConfig>,
    /// When failed attempts are retried.
    pub retry: RetryPolicy,
    /// Attempts in flight at once.
    pub concurrency: usize,
    /// Deliveries waiting for the database before `503`.
    pub queue_capacity: usize,
    /// Timeouts and limits.
    pub limits: Limits,
    /// Delete the bodies of processed rows older than this many days (daily).
    pub retention_days: Option<u32>,
    /// Readiness fails when the oldest due row is older than this.
    pub ready_max_backlog: Duration,
}

impl Config {
    /// The defaults, with this hottok and database.
    pub fn new(hottok: Hottok, database_url: impl Into<String>) -> Config {
        Config {
            hottok,
            admin_token: None,
            database_url: database_url.into(),
            listen: SocketAddr::from(([0, 0, 0, 0], 3000)),
            forward: None,
            retry: RetryPolicy::default(),
            concurrency: 16,
            queue_capacity: 1024,
            limits: Limits::default(),
            retention_days: None,
            ready_max_backlog: Duration::from_secs(300),
        }
    }

    /// How long a worker holds a row: longer than any attempt can take, so
    /// a row is never handed to two workers while the first still works.
    pub fn lease(&self) -> Duration {
        self.forward.as_ref().map_or(Duration::from_secs(60), |f| {
            f.timeout + Duration::from_secs(60)
        })
    }
}
