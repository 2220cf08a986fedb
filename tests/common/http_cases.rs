//! The HTTP cases every example receiver must pass, in one table, with the
//! client that sends them over a real loopback socket.
//!
//! Included, unchanged, by `examples/{axum,warp,hyper}/tests/http.rs` with
//! `#[path = "../../../tests/common/http_cases.rs"] mod cases;`, so the three
//! frameworks answer the very same requests. (It lives in `tests/common/`,
//! which cargo does not build as a test of its own; a folder under
//! `examples/` would be taken for a workspace member.)
//!
//! Every request and the whole run have a timeout; only 127.0.0.1 is used.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hotmart_webhook::test_util::{
    sample, unsigned_request, v1_form_request, v1_json_request, v2_request,
};
use hotmart_webhook::{DEFAULT_BODY_LIMIT, Hottok, PREVIOUS_SECRET_ENV_VAR, SECRET_ENV_VAR};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The hottok the servers under test accept.
pub(crate) const SECRET: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
const WRONG: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518472";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// What a case expects of the response body.
enum Expect {
    /// Exactly this JSON.
    Json(Value),
    /// The guide's error object with this `error.code`.
    ErrorCode(&'static str),
    /// Only the status is checked (a framework's own limit answers it).
    StatusOnly,
}

struct Case {
    name: &'static str,
    request: http::Request<String>,
    status: u16,
    expect: Expect,
}

fn accepted(data: Value) -> Expect {
    Expect::Json(json!({ "success": true, "data": data }))
}

/// A v2 body of `len` bytes or more: a known event padded with an unknown
/// field.
fn oversized_v2_body(len: usize) -> String {
    format!(
        r#"{{"data":{{"pad":"{}"}},"id":"big","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}}"#,
        "x".repeat(len)
    )
}

/// The table. Names are what a failure report prints.
fn cases() -> Vec<Case> {
    let over = DEFAULT_BODY_LIMIT + 1;
    vec![
        Case {
            name: "accepted v2 delivery answers 200 with its id and event",
            request: v2_request(sample::purchase_approved(), SECRET),
            status: 200,
            expect: accepted(
                json!({"id": "083bb5a0-f7e0-414b-b600-585a015403f2", "event": "PURCHASE_APPROVED"}),
            ),
        },
        Case {
            name: "accepted refund answers 200",
            request: v2_request(sample::purchase_refunded(), SECRET),
            status: 200,
            expect: accepted(
                json!({"id": "0efd923f-c6ef-405e-bbd5-df409a5b36e5", "event": "PURCHASE_REFUNDED"}),
            ),
        },
        Case {
            name: "accepted chargeback answers 200",
            request: v2_request(sample::purchase_chargeback(), SECRET),
            status: 200,
            expect: accepted(
                json!({"id": "8b2839d3-8d3c-4dee-ad79-a487d7814d6d", "event": "PURCHASE_CHARGEBACK"}),
            ),
        },
        Case {
            name: "accepted subscription cancellation answers 200",
            request: v2_request(sample::subscription_cancellation(), SECRET),
            status: 200,
            expect: accepted(
                json!({"id": "e276dd75-8c7d-43d2-8398-f42e62060b99", "event": "SUBSCRIPTION_CANCELLATION"}),
            ),
        },
        Case {
            name: "unknown event answers 200: it is not a failure",
            request: v2_request(sample::unknown_event(), SECRET),
            status: 200,
            expect: accepted(json!({"id": "12345", "event": "PURCHASE_COMPLETED"})),
        },
        Case {
            name: "accepted v1 form delivery with the hottok only in the body answers 200 with transaction and status",
            request: v1_form_request(sample::v1_purchase_approved_form(), SECRET),
            status: 200,
            expect: accepted(json!({"transaction": "HP1121336654889", "status": "APPROVED"})),
        },
        Case {
            name: "accepted v1 JSON event with the hottok only in the body answers 200",
            request: v1_json_request(sample::v1_subscription_cancellation_json(), SECRET),
            status: 200,
            expect: accepted(json!({"transaction": null, "status": null})),
        },
        Case {
            name: "wrong token in the header answers 401",
            request: v2_request(sample::purchase_approved(), WRONG),
            status: 401,
            expect: Expect::ErrorCode("WEBHOOK_AUTHENTICATION_FAILED"),
        },
        Case {
            name: "wrong token in a v1 form body answers 401",
            request: v1_form_request(sample::v1_purchase_approved_form(), WRONG),
            status: 401,
            expect: Expect::ErrorCode("WEBHOOK_AUTHENTICATION_FAILED"),
        },
        Case {
            name: "missing token answers 401",
            request: unsigned_request(sample::purchase_approved()),
            status: 401,
            expect: Expect::ErrorCode("WEBHOOK_AUTHENTICATION_FAILED"),
        },
        Case {
            name: "oversized body without the header answers 413 before it is read",
            request: unsigned_request(&oversized_v2_body(over)),
            status: 413,
            expect: Expect::ErrorCode("WEBHOOK_PAYLOAD_TOO_LARGE"),
        },
        Case {
            name: "oversized v2 body with the right token answers 413",
            request: v2_request(&oversized_v2_body(over), SECRET),
            status: 413,
            expect: Expect::StatusOnly,
        },
        Case {
            name: "authentic malformed JSON is answered 200 all the same (logged, not retried)",
            request: v2_request(r#"{"data":{"purchase":"#, SECRET),
            status: 200,
            expect: accepted(Value::Null),
        },
        Case {
            name: "an authentic delivery with a field of the wrong type is answered 200 with its id",
            request: v2_request(
                r#"{"data":{"purchase":{"price":{"value":"cheap"}}},"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0"}"#,
                SECRET,
            ),
            status: 200,
            expect: accepted(json!({"id": "1", "event": "PURCHASE_APPROVED"})),
        },
        Case {
            name: "an authentic body that is not Hotmart's is answered 200 all the same",
            request: v2_request(r#"{"hello":"world"}"#, SECRET),
            status: 200,
            expect: accepted(Value::Null),
        },
    ]
}

/// Checks one response against its case: `Err` says what differs.
fn judge(case: &Case, status: u16, content_type: Option<&str>, body: &str) -> Result<(), String> {
    if status != case.status {
        return Err(format!(
            "status {status}, expected {}; body {body}",
            case.status
        ));
    }
    if body.contains(SECRET) || body.contains(WRONG) {
        return Err(format!("the response echoes a hottok: {body}"));
    }
    if matches!(case.expect, Expect::StatusOnly) {
        return Ok(());
    }
    if content_type != Some("application/json") {
        return Err(format!(
            "content-type {content_type:?}, expected application/json"
        ));
    }
    let json: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body}"))?;
    let error_object = |code: &str| {
        json["success"] == false
            && json["error"]["code"] == code
            && json["error"]["message"].is_string()
    };
    let ok = match &case.expect {
        Expect::Json(expected) => json == *expected,
        Expect::ErrorCode(code) => error_object(code),
        Expect::StatusOnly => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected body {body}"))
    }
}

fn client() -> Client<HttpConnector, String> {
    // No pooled connections: a server may close one after answering early
    // (413 before reading), and each case stands alone.
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http()
}

/// Sends `request` to `addr`; the status, content type and body.
async fn send(
    client: &Client<HttpConnector, String>,
    addr: SocketAddr,
    mut request: http::Request<String>,
) -> Result<(u16, Option<String>, String), String> {
    let uri = format!("http://{addr}{}", request.uri());
    *request.uri_mut() = uri.parse().map_err(|e| format!("{e}"))?;
    let exchange = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("request failed: {e:?}"))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body failed: {e}"))?;
        Ok((
            status,
            content_type,
            String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        ))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
}

/// Starts `serve` on `127.0.0.1:0`, sends every case of the table, and
/// panics with the list of the cases that failed.
pub(crate) async fn run_every_case<F, Fut>(serve: F)
where
    F: FnOnce(TcpListener, Hottok) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve(listener, Hottok::new(SECRET).unwrap()));
    let client = client();
    let table = cases();
    let total = table.len();
    let run = async {
        let mut failures = Vec::new();
        for mut case in table {
            let name = case.name;
            let request = std::mem::take(&mut case.request);
            let outcome = match send(&client, addr, request).await {
                Ok((status, content_type, body)) => {
                    judge(&case, status, content_type.as_deref(), &body)
                }
                Err(e) => Err(e),
            };
            if let Err(why) = outcome {
                failures.push(format!("{name}: {why}"));
            }
        }
        failures
    };
    let failures = tokio::time::timeout(RUN_TIMEOUT, run)
        .await
        .expect("the cases did not finish in time");
    assert!(
        !server.is_finished(),
        "the server stopped: {:?}",
        server.await
    );
    server.abort();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Waits for `child` at most `limit`; kills it after that.
fn wait_bounded(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The binary exits non-zero, naming the variable on stderr, without the
/// secret.
pub(crate) fn refuses_to_start_without_the_secret(bin: &str) {
    let mut child = Command::new(bin)
        .env_remove(SECRET_ENV_VAR)
        .env_remove(PREVIOUS_SECRET_ENV_VAR)
        .env("PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status =
        wait_bounded(&mut child, Duration::from_secs(10)).expect("it started without a secret");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "exit {status}");
    assert!(stderr.contains(SECRET_ENV_VAR), "stderr: {stderr}");
}

/// The binary, given the secret and `PORT=0`, prints the address it listens
/// on and answers a delivery there.
pub(crate) async fn binary_serves_on_the_address_it_prints(bin: &str) {
    let mut child = Command::new(bin)
        .env(SECRET_ENV_VAR, SECRET)
        .env_remove(PREVIOUS_SECRET_ENV_VAR)
        .env("PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop_guard();
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no line on stderr");
    let url = line
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line}"));
    let addr: SocketAddr = url.split('/').next().unwrap().parse().unwrap();
    assert!(addr.ip().is_loopback(), "{addr}");
    assert!(url.ends_with("/api/acl/webhooks/hotmart"), "{url}");
    let (status, _, body) = send(
        &client(),
        addr,
        v2_request(sample::purchase_approved(), SECRET),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
}

/// Kills the child when the test ends, even by a panic.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

trait SpawnGuarded {
    fn kill_on_drop_guard(&mut self) -> KillOnDrop;
}

impl SpawnGuarded for Command {
    fn kill_on_drop_guard(&mut self) -> KillOnDrop {
        KillOnDrop(self.spawn().unwrap())
    }
}
