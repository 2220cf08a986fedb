//! Run: `HOTMART_WEBHOOK_SECRET=your-hottok PORT=3000 cargo run -p example-warp`

use std::process::ExitCode;

use hotmart_webhook::{Hottok, SECRET_ENV_VAR};

#[tokio::main]
async fn main() -> ExitCode {
    let hottok = match Hottok::from_env() {
        Ok(hottok) => hottok,
        Err(err) => {
            eprintln!("example-warp: {err}; set {SECRET_ENV_VAR} to your Hotmart hottok");
            return ExitCode::FAILURE;
        }
    };
    let port = match std::env::var("PORT").map(|p| p.parse::<u16>()) {
        Err(_) => 3000,
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("example-warp: PORT must be a port number");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("example-warp: cannot listen on 127.0.0.1:{port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(addr) = listener.local_addr() {
        eprintln!("listening on http://{addr}{}", example_warp::PATH);
    }
    match example_warp::serve(listener, hottok).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("example-warp: {err}");
            ExitCode::FAILURE
        }
    }
}
