//! `hotmart send` against a scripted server over real sockets: retries,
//! history lines, `--json` records, `--all`, `--body`, launch mode and exit
//! statuses.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{Received, Reply, SECRET, Server, records, send, stderr, stdout};
use hotmart_webhook::event::EVENT_NAMES;
// Strictly: what the CLI generates must fit the typed model exactly.
use hotmart_webhook::{Webhook, parse_strict as parse};
use serde_json::Value;

/// Five retries (the default count), without waiting.
const NO_WAIT: &str = "--retry-delays=0,0,0,0,0";

fn statuses(records: &[Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect()
}

#[test]
fn five_hundred_then_two_hundred_gives_two_attempts_in_the_history() {
    let server = Server::start(&[Reply::Status(500)], Reply::Status(200));
    let output = send(&server.url, &["--json", NO_WAIT]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = records(&output);
    assert_eq!(statuses(&records), [500, 200]);
    assert_eq!(records[0]["attempt"], 1);
    assert_eq!(records[1]["attempt"], 2);
    assert_eq!(
        records[0]["id"], records[1]["id"],
        "a retry is the same event"
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].body, received[1].body,
        "a retry resends the same bytes"
    );

    // The same as history lines.
    let server = Server::start(&[Reply::Status(500)], Reply::Status(200));
    let output = send(&server.url, &[NO_WAIT]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("PURCHASE_APPROVED") && lines[0].contains("attempt 1"));
    assert!(lines[0].contains(" 500 "), "{}", lines[0]);
    assert!(
        lines[1].contains("attempt 2") && lines[1].contains(" 200 "),
        "{}",
        lines[1]
    );
    assert!(lines[1].trim_end().ends_with("ms"), "{}", lines[1]);
}

#[test]
fn a_server_that_never_answers_gives_minus_one_after_the_timeout_and_the_retries() {
    let server = Server::start(&[], Reply::Hang);
    let output = send(
        &server.url,
        &["--json", "--timeout", "0.3", "--retries", "2", NO_WAIT],
    );
    assert_eq!(output.status.code(), Some(1));
    let records = records(&output);
    assert_eq!(statuses(&records), [-1, -1, -1]);
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record["attempt"], n as u64 + 1);
        assert!(record["latency_ms"].as_f64().unwrap() >= 300.0, "{record}");
        let error = record["error"].as_str().unwrap();
        assert!(error.contains("no answer within"), "{error}");
    }
    assert!(stderr(&output).contains("1 of 1 deliveries were not answered 2xx"));
}

#[test]
fn a_closed_port_is_minus_one_and_retried() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let output = send(&url, &["--json", "--retries", "1", NO_WAIT]);
    assert_eq!(output.status.code(), Some(1));
    let records = records(&output);
    assert_eq!(statuses(&records), [-1, -1]);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
}

#[test]
fn an_https_url_speaks_tls() {
    // The scripted server speaks plain HTTP: the TLS handshake fails, which
    // shows the client took the https path (no request reaches the handler).
    let server = Server::start(&[], Reply::Status(200));
    let url = server.url.replace("http://", "https://");
    let output = send(&url, &["--json", "--retries", "0"]);
    assert_eq!(output.status.code(), Some(1));
    let records = records(&output);
    assert_eq!(statuses(&records), [-1]);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{}",
        records[0]
    );
    assert!(server.received().is_empty());
}

#[test]
fn unauthorized_is_shown_and_retried_and_the_hottok_travels_in_the_header() {
    let server = Server::start(
        &[Reply::Status(401), Reply::Status(401)],
        Reply::Status(200),
    );
    let output = send(&server.url, &["--json", NO_WAIT]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(statuses(&records(&output)), [401, 401, 200]);
    for Received { headers, .. } in server.received() {
        assert_eq!(headers["x-hotmart-hottok"], SECRET);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["user-agent"], "Jodd HTTP");
        assert_eq!(headers["connection"], "close");
    }
}

#[test]
fn the_retries_stop_at_the_cap() {
    let server = Server::start(&[], Reply::Status(500));
    let output = send(&server.url, &["--json", "--retry-delays", "0,0,0"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        statuses(&records(&output)),
        [500; 4],
        "three delays: three retries"
    );
    let output = send(&server.url, &["--json", "--retries", "0"]);
    assert_eq!(statuses(&records(&output)), [500], "--retries 0 sends once");
}

#[test]
fn all_covers_every_event_name_and_the_v1_shapes() {
    let server = Server::start(&[], Reply::Status(200));
    let output = send(&server.url, &["--all", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut sent = BTreeSet::new();
    for Received { headers, body } in server.received() {
        assert_eq!(headers["x-hotmart-hottok"], SECRET);
        let webhook = parse(&body).unwrap();
        assert!(matches!(webhook, Webhook::V2(_)));
        assert!(webhook.is_known());
        sent.insert(webhook.event_name().to_owned());
    }
    let expected: BTreeSet<String> = EVENT_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(sent, expected);
    assert_eq!(records(&output).len(), EVENT_NAMES.len());

    let server = Server::start(&[], Reply::Status(200));
    let output = send(&server.url, &["--all", "--format", "v1-form"]);
    assert_eq!(output.status.code(), Some(0));
    let mut statuses = BTreeSet::new();
    for Received { headers, body } in server.received() {
        assert!(
            headers.get("x-hotmart-hottok").is_none(),
            "v1: hottok in the body"
        );
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
        assert_eq!(form["hottok"], SECRET);
        let webhook = parse(&body).unwrap();
        assert!(matches!(webhook, Webhook::V1Purchase(_)));
        statuses.insert(form["status"].clone());
    }
    let expected = [
        "approved",
        "billet_printed",
        "canceled",
        "chargeback",
        "completed",
        "delayed",
        "dispute",
        "expired",
        "refunded",
    ];
    assert_eq!(
        statuses.iter().map(String::as_str).collect::<Vec<_>>(),
        expected
    );

    let server = Server::start(&[], Reply::Status(200));
    let output = send(&server.url, &["--all", "--format", "v1-json"]);
    assert_eq!(output.status.code(), Some(0));
    let mut kinds = BTreeSet::new();
    for Received { headers, body } in server.received() {
        assert!(headers.get("x-hotmart-hottok").is_none());
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["hottok"], SECRET);
        kinds.insert(parse(&body).unwrap().event_name().to_owned());
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "cart_abandonment",
            "subscription_cancellation",
            "switch_plan"
        ]
    );
}

#[test]
fn exit_statuses_are_zero_one_and_two() {
    let ok = Server::start(&[], Reply::Status(204));
    assert_eq!(
        send(&ok.url, &["--event", "PURCHASE_REFUNDED"])
            .status
            .code(),
        Some(0)
    );
    let failing = Server::start(&[], Reply::Status(404));
    assert_eq!(
        send(&failing.url, &["--retries", "0"]).status.code(),
        Some(1)
    );
    // Some fail, some succeed: still 1.
    let mixed = Server::start(&[Reply::Status(500)], Reply::Status(200));
    let output = send(
        &mixed.url,
        &[
            "--retries",
            "0",
            "--event",
            "SWITCH_PLAN",
            "--event",
            "CLUB_FIRST_ACCESS",
        ],
    );
    assert_eq!(output.status.code(), Some(1));

    for bad in [
        &["--event", "PURCHASE_COMPLETED"][..],
        &["--format", "v1-json", "--event", "PURCHASE_APPROVED"],
        &["--duplicates", "1.5", "--count", "10"],
        &["--duplicates", "0.2"],
        &["--concurrency", "0"],
        &["--timeout", "0"],
        &["--retry-delays", "1,-2"],
        &["--rate", "0"],
        &["--count", "0"],
        &["--all", "--event", "SWITCH_PLAN"],
        &["--body", "/nonexistent/body.json"],
    ] {
        let output = send(&ok.url, bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
        let err = stderr(&output);
        assert!(err.starts_with("error:"), "{bad:?}: {err}");
        assert!(output.stdout.is_empty());
    }
    for url in ["ftp://x/y", "not a url", "http:///no-host"] {
        let output = send(url, &[]);
        assert_eq!(output.status.code(), Some(2), "{url}");
        assert_eq!(
            stderr(&output).lines().count(),
            1,
            "one line: {}",
            stderr(&output)
        );
    }
    assert!(ok.received().len() == 1, "bad usage sends nothing");
}

#[test]
fn json_records_have_the_documented_fields() {
    let server = Server::start(&[Reply::Status(503)], Reply::Status(200));
    let output = send(
        &server.url,
        &["--json", NO_WAIT, "--event", "PURCHASE_CHARGEBACK"],
    );
    let records = records(&output);
    assert_eq!(records.len(), 2);
    let keys: BTreeSet<&str> = records[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "time",
            "event",
            "id",
            "transaction",
            "attempt",
            "status",
            "latency_ms",
            "error",
            "duplicate"
        ])
    );
    let body = &server.received()[0].body;
    let webhook = parse(body).unwrap();
    let record = &records[0];
    assert_eq!(record["event"], "PURCHASE_CHARGEBACK");
    assert_eq!(record["id"], webhook.id().unwrap());
    assert_eq!(record["transaction"], webhook.transaction().unwrap());
    assert_eq!(record["status"], 503);
    assert_eq!(record["error"], Value::Null);
    assert_eq!(record["duplicate"], false);
    assert!(record["latency_ms"].as_f64().unwrap() >= 0.0);
    let time = record["time"].as_str().unwrap();
    let parsed = hotmart_webhook::Timestamp::parse_iso8601(time).unwrap();
    let Webhook::V2(envelope) = webhook else {
        unreachable!()
    };
    let created = envelope.creation_date.unwrap().as_millis();
    assert!((parsed.as_millis() - created).abs() < 60_000, "{time}");
}

#[test]
fn a_body_file_is_sent_as_it_is_with_its_hottok_replaced() {
    let dir = std::env::temp_dir().join(format!("hotmart-send-body-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let v2 = dir.join("v2.json");
    let captured = "{\n  \"data\": {\"purchase\": {\"transaction\": \"HP1\", \"status\": \"APPROVED\"}},\n  \"hottok\": \"XXXX0000\",\n  \"id\": \"abc\", \"creation_date\": 1, \"event\": \"PURCHASE_APPROVED\", \"version\": \"2.0.0\"\n}\n";
    std::fs::write(&v2, captured).unwrap();
    let form = dir.join("v1.form");
    std::fs::write(
        &form,
        "callback_type=1&hottok=XXX000&status=approved&transaction=HP2&prod_name=A+b",
    )
    .unwrap();
    let plain = dir.join("plain.json");
    let without =
        r#"{"id":"x","creation_date":1,"event":"CLUB_FIRST_ACCESS","version":"2.0.0","data":{}}"#;
    std::fs::write(&plain, without).unwrap();

    let server = Server::start(&[], Reply::Status(200));
    let output = send(
        &server.url,
        &[
            "--json",
            "--body",
            v2.to_str().unwrap(),
            "--body",
            form.to_str().unwrap(),
            "--body",
            plain.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = server.received();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[0].body,
        captured.replace("XXXX0000", SECRET).as_bytes(),
        "only the hottok changes"
    );
    assert_eq!(received[0].headers["x-hotmart-hottok"], SECRET);
    assert_eq!(
        received[1].body,
        format!("callback_type=1&hottok={SECRET}&status=approved&transaction=HP2&prod_name=A+b")
            .as_bytes()
    );
    assert!(received[1].headers.get("x-hotmart-hottok").is_none());
    assert_eq!(received[2].body, without.as_bytes());
    assert_eq!(received[2].headers["x-hotmart-hottok"], SECRET);
    let records = records(&output);
    assert_eq!(records[0]["id"], "abc");
    assert_eq!(records[1]["event"], "purchase");
    assert_eq!(records[1]["transaction"], "HP2");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_launch_sends_count_deliveries_with_the_asked_share_of_duplicates() {
    let server = Server::start(&[], Reply::Status(200));
    let output = send(
        &server.url,
        &[
            "--count",
            "200",
            "--concurrency",
            "8",
            "--duplicates",
            "0.25",
            "--all",
            "--json",
            // No retry of a slow answer under load: the counts below are exact.
            "--timeout",
            "60",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let records = records(&output);
    let summary = &records.last().unwrap()["summary"];
    assert_eq!(summary["deliveries"], 200);
    assert_eq!(summary["succeeded"], 200);
    assert_eq!(summary["duplicates"], 50);
    assert_eq!(summary["attempts"], 200);
    assert_eq!(summary["retries"], 0);
    assert_eq!(summary["answers"]["200"], 200);
    for key in ["p50_ms", "p90_ms", "p99_ms", "per_second", "seconds"] {
        assert!(summary[key].as_f64().unwrap() >= 0.0, "{key}");
    }
    assert!(summary["p50_ms"].as_f64() <= summary["p99_ms"].as_f64());
    assert_eq!(
        records.len(),
        201,
        "one record per attempt, then the summary"
    );
    assert_eq!(
        records.iter().filter(|r| r["duplicate"] == true).count(),
        50
    );

    // Every duplicate resends an earlier body byte for byte; the others are
    // fresh events.
    let received = server.received();
    assert_eq!(received.len(), 200);
    let mut ids = HashMap::new();
    for Received { body, .. } in &received {
        let id = parse(body).unwrap().id().unwrap().to_owned();
        let first = ids.entry(id).or_insert_with(|| body.clone());
        assert_eq!(first, body, "a duplicate is the exact same body");
    }
    assert_eq!(ids.len(), 150);
    // Progress: plain lines on stderr, which is not a terminal here.
    assert!(
        stderr(&output).contains("200/200 deliveries (100%)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_text_launch_prints_the_summary_only() {
    let server = Server::start(&[Reply::Status(500)], Reply::Status(200));
    let output = send(
        &server.url,
        &[
            "--count",
            "20",
            "--concurrency",
            "4",
            "--timeout",
            "60",
            NO_WAIT,
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.starts_with("deliveries   20 (20 answered 2xx, 0 failed)"),
        "{text}"
    );
    assert!(text.contains("attempts     21 (1 retries)"), "{text}");
    assert!(text.contains("answers      200: 20, 500: 1"), "{text}");
    assert!(text.contains("latency      p50 "), "{text}");
    assert_eq!(server.received().len(), 21);
}

#[test]
fn the_rate_spaces_the_starts() {
    let server = Server::start(&[], Reply::Status(200));
    let output = send(
        &server.url,
        &[
            "--count",
            "5",
            "--concurrency",
            "5",
            "--rate",
            "20",
            "--json",
        ],
    );
    let records = records(&output);
    let summary = &records.last().unwrap()["summary"];
    // Five starts at 20 per second: the last one 200 ms after the first.
    assert!(summary["seconds"].as_f64().unwrap() >= 0.2, "{summary}");
}

#[test]
fn the_hottok_from_the_environment_is_hidden_from_help() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hotmart"))
        .args(["send", "--help"])
        .env("HOTMART_WEBHOOK_SECRET", SECRET)
        .output()
        .unwrap();
    common::assert_no_secret(&output);
    assert!(stdout(&output).contains("HOTMART_WEBHOOK_SECRET"));
}
