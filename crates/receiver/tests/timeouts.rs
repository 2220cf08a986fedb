//! A hostile client cannot hold the receiver: a client trickling its
//! headers is cut off after the header-read timeout, while normal
//! deliveries keep being answered.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hyper::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_headers_is_disconnected_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("r.db"),
        |c| {
            c.limits.header_read = Duration::from_millis(500);
            c.limits.max_connections = 4;
        },
        Recorder::default(),
    )
    .await;
    let client = client();
    let addr = server.addr;
    // Three tricklers: one header byte every 100 ms, never finishing.
    let mut tricklers = Vec::new();
    for _ in 0..3 {
        tricklers.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            let head = b"POST /api/acl/webhooks/hotmart HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for byte in head.iter().cycle() {
                tick.tick().await;
                if stream.write_all(&[*byte]).await.is_err() {
                    return started.elapsed();
                }
                // A closed connection reads as end of stream (or an error).
                let mut buf = [0u8; 512];
                if let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(1), stream.read(&mut buf)).await
                    && (n == 0 || buf[..n].starts_with(b"HTTP/1.1 408"))
                {
                    return started.elapsed();
                }
                assert!(started.elapsed() < Duration::from_secs(60), "the trickler was never cut off");
            }
            unreachable!()
        }));
    }
    // Meanwhile, deliveries are answered.
    for i in 0..10 {
        let (status, _) = deliver(
            &client,
            &server,
            with_id(&v2_fixtures()[0], &format!("t-{i}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    for trickler in tricklers {
        let held = tokio::time::timeout(Duration::from_secs(90), trickler)
            .await
            .expect("cut off")
            .unwrap();
        assert!(
            held >= Duration::from_millis(400),
            "cut off too early: {held:?}"
        );
    }
    // And after them too.
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "t-after")).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("r.db"),
        |c| c.limits.header_read = Duration::from_millis(300),
        Recorder::default(),
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /api/acl/webhooks/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    // Then nothing: the server closes the idle connection.
    let idle = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle connection was held for 60 s");
    assert!(
        idle.elapsed() >= Duration::from_millis(250),
        "{:?}",
        idle.elapsed()
    );
    server.stop().await;
}
