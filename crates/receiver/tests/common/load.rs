//! A launch: many deliveries over many concurrent connections, a share of
//! them duplicates (Hotmart's retries and resends).
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::Value;

use super::{HttpClient, SECRET, v2_fixtures, with_id};

/// One delivery of the plan.
#[derive(Clone)]
pub struct Delivery {
    pub id: String,
    pub body: Bytes,
    /// A repeat of an earlier id.
    pub repeat: bool,
}

/// `total` deliveries, `duplicates` of them repeating an earlier id, in a
/// fixed shuffled order (a repeat may race its original).
pub fn plan(total: usize, duplicates: usize, prefix: &str) -> Vec<Delivery> {
    let fixtures = v2_fixtures();
    let unique = total - duplicates;
    let plan: Vec<Delivery> = (0..unique)
        .map(|i| {
            let id = format!("{prefix}-{i:06}");
            Delivery {
                body: with_id(&fixtures[i % fixtures.len()], &id).into(),
                id,
                repeat: false,
            }
        })
        .collect();
    super::plan::with_duplicates_shuffled(plan, duplicates, |original| Delivery {
        repeat: true,
        ..original
    })
}

/// What one delivery got.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub id: String,
    /// `None` when the connection failed.
    pub status: Option<u16>,
    pub duplicate: Option<bool>,
    pub latency: Duration,
}

/// Sends the plan over `connections` concurrent connections to `url`;
/// `headers` are added to every request.
pub async fn run(
    client: &HttpClient,
    url: &str,
    plan: Vec<Delivery>,
    connections: usize,
    with_hottok: bool,
) -> (Vec<Outcome>, Duration) {
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (plan, next, client, url) =
            (plan.clone(), next.clone(), client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(delivery) = plan.get(i) else { break };
                let mut request = Request::post(&url).header("content-type", "application/json");
                if with_hottok {
                    request = request.header("x-hotmart-hottok", SECRET);
                }
                let request = request.body(Full::new(delivery.body.clone())).unwrap();
                let sent = Instant::now();
                let response =
                    tokio::time::timeout(Duration::from_secs(30), client.request(request)).await;
                let (status, duplicate) = match response {
                    Ok(Ok(response)) => {
                        let status = response.status().as_u16();
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        match body {
                            Ok(body) => {
                                let json: Value =
                                    serde_json::from_slice(&body).unwrap_or(Value::Null);
                                (Some(status), json["data"]["duplicate"].as_bool())
                            }
                            Err(_) => (None, None),
                        }
                    }
                    _ => (None, None),
                };
                outcomes.push(Outcome {
                    id: delivery.id.clone(),
                    status,
                    duplicate,
                    latency: sent.elapsed(),
                });
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap());
    }
    (outcomes, start.elapsed())
}

/// p50 and p99 of the latencies.
pub fn percentiles(outcomes: &[Outcome]) -> (Duration, Duration) {
    let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}
