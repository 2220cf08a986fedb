//! A scripted HTTP server on 127.0.0.1 (port 0) for `hotmart send` to talk
//! to, and helpers to run the real binary.

#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

pub const SECRET: &str = "s3cret-H0ttok-never-printed";

/// What the server does with one request.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    /// Never answers (the client must time out).
    Hang,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

struct Script {
    replies: Mutex<VecDeque<Reply>>,
    otherwise: Reply,
    received: Mutex<Vec<Received>>,
}

/// The server; stopped when dropped.
pub struct Server {
    pub url: String,
    script: Arc<Script>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Answers with `replies` in order, then `otherwise` forever.
    pub fn start(replies: &[Reply], otherwise: Reply) -> Server {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.iter().copied().collect()),
            otherwise,
            received: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, address) = std::sync::mpsc::channel();
        let state = Arc::clone(&script);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .route("/hook", post(handle))
                    .with_state(state);
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime ends the hanging handlers too.
        });
        let address = address.recv().unwrap();
        Server {
            url: format!("http://{address}/hook"),
            script,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.script.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(State(script): State<Arc<Script>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    script
        .received
        .lock()
        .unwrap()
        .push(Received { headers, body });
    let reply = script
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(script.otherwise);
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap(),
        Reply::Hang => std::future::pending().await,
    }
}

/// Runs `hotmart send --url URL --hottok SECRET ARGS…` to the end.
pub fn send(url: &str, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_hotmart"))
        .args(["send", "--url", url, "--hottok", SECRET])
        .args(args)
        .env_remove("HOTMART_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_no_secret(&output);
    output
}

/// Whatever happens, the hottok is never printed.
pub fn assert_no_secret(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(SECRET), "the hottok was printed: {text}");
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The `--json` lines of stdout.
pub fn records(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
