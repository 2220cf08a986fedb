//! Every setting, by flag and by environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use hotmart_webhook::Hottok;

use super::Usage;
use crate::config::{AdminToken, Config};
use crate::retry::RetryPolicy;
use crate::sink::ForwardConfig;

/// The settings (secrets are never shown by `--help`).
#[derive(Debug, Args)]
pub struct Settings {
    /// The hottok of Hotmart's webhook settings (Ferramentas > Webhook).
    #[arg(
        long,
        env = "HOTMART_WEBHOOK_SECRET",
        hide_env_values = true,
        global = true
    )]
    secret: Option<String>,
    /// The previous hottok, accepted too while you change it.
    #[arg(
        long,
        env = "HOTMART_WEBHOOK_SECRET_PREVIOUS",
        hide_env_values = true,
        global = true
    )]
    secret_previous: Option<String>,
    /// Bearer token of the admin routes (statistics, lists, replay, metrics).
    #[arg(
        long,
        env = "HOTMART_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    admin_token: Option<String>,
    /// sqlite://PATH (default sqlite://hotmart-webhooks.db) or postgres://…;
    /// DATABASE_PATH (a file) is accepted too.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    /// Port to listen on, on every interface.
    #[arg(long, env = "PORT", default_value_t = 3000, global = true)]
    port: u16,
    /// Address to listen on (overrides --port), e.g. 127.0.0.1:3000.
    #[arg(long, env = "LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// POST each delivery, signed, to this URL of your app (http:// or https://).
    #[arg(long, env = "HOTMART_FORWARD_URL", global = true)]
    forward_url: Option<String>,
    /// Standard Webhooks signing secret: whsec_ followed by base64.
    #[arg(
        long,
        env = "HOTMART_FORWARD_SECRET",
        hide_env_values = true,
        global = true
    )]
    forward_secret: Option<String>,
    /// How long your app may take to answer a forwarded delivery.
    #[arg(
        long,
        env = "HOTMART_FORWARD_TIMEOUT",
        default_value = "10s",
        global = true
    )]
    forward_timeout: String,
    /// Waits after the guide's schedule (0, 1, 2, 4, 8 s) before `failed`.
    #[arg(
        long,
        env = "RETRY_BACKOFF",
        default_value = "1m,10m,1h,6h,24h",
        global = true
    )]
    retry_backoff: String,
    /// Deliveries processed at once.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 16, global = true)]
    concurrency: usize,
    /// Open connections at most.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024, global = true)]
    max_connections: usize,
    /// text or json.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    log_format: String,
    /// Readiness fails when a row has been due for longer than this.
    #[arg(long, env = "READY_MAX_BACKLOG", default_value = "5m", global = true)]
    ready_max_backlog: String,
    /// Delete bodies of processed deliveries older than this many days
    /// (daily); metadata stays. See the README (LGPD).
    #[arg(long, env = "RETENTION_DAYS", global = true)]
    retention_days: Option<u32>,
}

impl Settings {
    /// The database URL: `--database-url`/`DATABASE_URL`, else
    /// `DATABASE_PATH`, else `sqlite://hotmart-webhooks.db`.
    pub fn database_url(&self) -> String {
        if let Some(url) = &self.database_url {
            return url.clone();
        }
        match std::env::var("DATABASE_PATH") {
            Ok(path) if !path.is_empty() => format!("sqlite://{path}"),
            _ => "sqlite://hotmart-webhooks.db".to_owned(),
        }
    }

    /// `true` for JSON logs.
    pub(crate) fn json_logs(&self) -> Result<bool, Usage> {
        match self.log_format.as_str() {
            "text" => Ok(false),
            "json" => Ok(true),
            other => Err(Usage(format!(
                "LOG_FORMAT must be text or json, got {other:?}"
            ))),
        }
    }

    /// The server configuration, or the one line that says what is wrong.
    pub(crate) fn config(&self) -> Result<Config, Usage> {
        let secret = self.secret.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
            Usage(
                "HOTMART_WEBHOOK_SECRET is not set: set it to the hottok of Hotmart's webhook \
                 settings, e.g. HOTMART_WEBHOOK_SECRET=change-me cargo run --release -p hotmart-receiver"
                    .into(),
            )
        })?;
        let mut hottok =
            Hottok::new(secret).map_err(|e| Usage(format!("HOTMART_WEBHOOK_SECRET: {e}")))?;
        if let Some(previous) = self.secret_previous.as_deref().filter(|s| !s.is_empty()) {
            hottok = hottok
                .with_previous(previous)
                .map_err(|e| Usage(format!("HOTMART_WEBHOOK_SECRET_PREVIOUS: {e}")))?;
        }
        let url = self.database_url();
        if crate::store::sqlite_path(&url).is_none()
            && !url.starts_with("postgres://")
            && !url.starts_with("postgresql://")
        {
            return Err(Usage(
                "DATABASE_URL must be sqlite://PATH or postgres://USER@HOST/DB".into(),
            ));
        }
        let mut config = Config::new(hottok, url);
        if let Some(token) = self.admin_token.as_deref().filter(|s| !s.is_empty()) {
            config.admin_token = Some(AdminToken::new(token).map_err(Usage)?);
        }
        config.listen = self
            .listen
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], self.port)));
        let timeout = parse_duration(&self.forward_timeout)
            .map_err(|e| Usage(format!("HOTMART_FORWARD_TIMEOUT: {e}")))?;
        config.forward = match (&self.forward_url, &self.forward_secret) {
            (None, None) => None,
            (Some(url), Some(secret)) => {
                Some(ForwardConfig::new(url, secret, timeout).map_err(Usage)?)
            }
            (Some(_), None) => {
                return Err(Usage(
                    "HOTMART_FORWARD_URL needs HOTMART_FORWARD_SECRET (whsec_<base64>) to sign what it sends".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(Usage(
                    "HOTMART_FORWARD_SECRET is set but HOTMART_FORWARD_URL is not".into(),
                ));
            }
        };
        let backoff = self
            .retry_backoff
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Usage(format!("RETRY_BACKOFF: {e}")))?;
        config.retry = RetryPolicy::guide_then(backoff);
        if self.concurrency == 0 {
            return Err(Usage("WORKER_CONCURRENCY must be at least 1".into()));
        }
        config.concurrency = self.concurrency;
        if self.max_connections == 0 {
            return Err(Usage("MAX_CONNECTIONS must be at least 1".into()));
        }
        config.limits.max_connections = self.max_connections;
        if self.retention_days == Some(0) {
            return Err(Usage("RETENTION_DAYS must be at least 1".into()));
        }
        config.retention_days = self.retention_days;
        config.ready_max_backlog = parse_duration(&self.ready_max_backlog)
            .map_err(|e| Usage(format!("READY_MAX_BACKLOG: {e}")))?;
        Ok(config)
    }
}

/// `500ms`, `30s`, `10m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 10m, 1h or 7d"))?;
    let ms = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: the unit must be ms, s, m, h or d")),
    };
    n.checked_mul(ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("").is_err());
    }
}
