//! `hotmart-receiver`: the receiver as a program, configured from the
//! environment.
//!
//! * `HOTMART_WEBHOOK_SECRET` (required): the hottok of Hotmart's webhook
//!   settings; `HOTMART_WEBHOOK_SECRET_PREVIOUS` (optional) during a change.
//! * `PORT` (default 3000), `DATABASE_PATH` (default `./hotmart-webhooks.db`).
//! * `RUST_LOG` (default `info`).

use std::io::IsTerminal;
use std::process::ExitCode;

use hotmart_receiver::{LogProcessor, Settings, serve, shutdown_signal};
use hotmart_webhook::Hottok;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    let hottok = match Hottok::from_env() {
        Ok(hottok) => hottok,
        Err(err) => {
            eprintln!(
                "hotmart-receiver: {err}\n\
                 Set HOTMART_WEBHOOK_SECRET to the hottok shown in Hotmart's webhook settings \
                 (Ferramentas > Webhook > Autenticação), e.g.\n  \
                 HOTMART_WEBHOOK_SECRET=change-me cargo run --release -p hotmart-receiver"
            );
            return ExitCode::from(2);
        }
    };
    let port: u16 = match std::env::var("PORT") {
        Err(_) => 3000,
        Ok(text) => match text.parse() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("hotmart-receiver: PORT must be a port number (0-65535), got {text:?}");
                return ExitCode::from(2);
            }
        },
    };
    let database_path =
        std::env::var("DATABASE_PATH").unwrap_or_else(|_| "./hotmart-webhooks.db".to_owned());

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hotmart-receiver: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
        tracing::info!(
            platform = "HOTMART",
            "listening on {}",
            listener.local_addr()?
        );
        let settings = Settings::new(hottok, database_path);
        serve(settings, listener, LogProcessor::new, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hotmart-receiver: {err}");
            ExitCode::FAILURE
        }
    }
}
