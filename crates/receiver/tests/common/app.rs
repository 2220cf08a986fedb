//! A stand-in for the seller's app: an HTTP server on 127.0.0.1:0 that
//! records what the forward sink sends and answers as told.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

/// One request the app got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

/// How the app answers the `n`th request (from 1) for a `webhook-id`.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Status(u16),
    /// Never answers within the sink's timeout.
    Hang,
}

type Rule = Arc<dyn Fn(&str, usize) -> Answer + Send + Sync>;

/// The running app.
pub struct App {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl App {
    /// Answers each request as `rule(webhook_id, nth)` says.
    pub async fn start(rule: impl Fn(&str, usize) -> Answer + Send + Sync + 'static) -> App {
        let rule: Rule = Arc::new(rule);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let task = tokio::spawn({
            let received = Arc::clone(&received);
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        break;
                    };
                    let (rule, received) = (Arc::clone(&rule), Arc::clone(&received));
                    tokio::spawn(async move {
                        let service = service_fn(move |req: Request<Incoming>| {
                            let (rule, received) = (Arc::clone(&rule), Arc::clone(&received));
                            async move {
                                let (parts, body) = req.into_parts();
                                let body = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let id = parts
                                    .headers
                                    .get("webhook-id")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned();
                                let nth = {
                                    let mut all = received.lock().unwrap();
                                    all.push(Received {
                                        headers: parts.headers.clone(),
                                        body,
                                        at: Instant::now(),
                                    });
                                    all.iter().filter(|r| r.header("webhook-id") == id).count()
                                };
                                let status = match rule(&id, nth) {
                                    Answer::Status(s) => s,
                                    Answer::Hang => {
                                        tokio::time::sleep(Duration::from_secs(3600)).await;
                                        200
                                    }
                                };
                                Ok::<_, Infallible>(
                                    Response::builder()
                                        .status(StatusCode::from_u16(status).unwrap())
                                        .body(Full::new(Bytes::from_static(b"{}")))
                                        .unwrap(),
                                )
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        App {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/hotmart", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The requests for one `webhook-id`.
    pub fn for_id(&self, id: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.header("webhook-id") == id)
            .collect()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}
