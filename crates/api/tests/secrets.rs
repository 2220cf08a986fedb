//! No secret in any output: Debug, Display, errors, log lines.

use std::io::Write;
use std::sync::{Arc, Mutex};

use hotmart_api::fake::{FAKE_CLIENT_SECRET, FakeHotmart, FakeSale, Faults, ManualClock};
use hotmart_api::{Client, Credentials, SalesFilter, TransactionStatus, Window};
use hotmart_webhook::Timestamp;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_or_buyer_data_in_debug_display_errors_or_logs() {
    let logs = Buffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let t0 = 1_767_225_600_000;
    let fake = FakeHotmart::builder()
        .sales((0..12).map(|i| {
            FakeSale::new(format!("HP{i:04}"), "APPROVED", t0 + i * 3_600_000)
                .buyer_email(format!("ana{i}@buyer.example"))
        }))
        .faults(Faults {
            expire_tokens_at: vec![2],
            too_many_requests: vec![(3, 2)],
            server_errors: vec![(4, 503)],
            max_window: Some(std::time::Duration::from_secs(6 * 3600)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let credentials = fake.credentials();
    let basic = credentials.basic().expose().to_owned();
    let client = Client::with_clock(
        credentials.clone(),
        fake.config().page_size(2),
        ManualClock::new(),
    );

    let mut outputs = vec![format!("{credentials:?}"), format!("{client:?}")];
    let window = Window::new(
        Timestamp::from_millis(t0),
        Timestamp::from_millis(t0 + 86_400_000),
    )
    .unwrap();
    let mut walk = client.walk_sales(
        SalesFilter::new().status(TransactionStatus::Approved),
        window,
    );
    while let Some(page) = walk.next_page().await.unwrap() {
        outputs.push(format!("{page:?}"));
    }
    outputs.push(format!("{walk:?}"));

    // Errors: refused credentials, a refused token, no server.
    let wrong = Client::with_clock(
        Credentials::new("fake-client-id", "a-wrong-secret-1234").unwrap(),
        fake.config(),
        ManualClock::new(),
    );
    let err = wrong.authenticate().await.unwrap_err();
    outputs.push(err.to_string());
    outputs.push(format!("{err:?}"));
    let failing = FakeHotmart::builder()
        .faults(Faults {
            expire_tokens_at: vec![1, 2],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let err = failing
        .client(ManualClock::new())
        .sales_history(&SalesFilter::new(), None)
        .await
        .unwrap_err();
    outputs.push(err.to_string());
    outputs.push(format!("{err:?}"));

    let mut tokens = fake.issued_tokens();
    tokens.extend(failing.issued_tokens());
    assert!(tokens.len() >= 3);
    outputs.push(String::from_utf8(logs.0.lock().unwrap().clone()).unwrap());
    assert!(
        outputs.last().unwrap().contains("rate limit"),
        "the logs were captured"
    );

    let mut secrets = vec![
        FAKE_CLIENT_SECRET.to_owned(),
        "a-wrong-secret-1234".to_owned(),
        basic,
    ];
    secrets.extend(tokens);
    for output in &outputs {
        for secret in &secrets {
            assert!(
                !output.contains(secret.as_str()),
                "{secret:?} found in {output}"
            );
        }
        assert!(!output.contains("@buyer.example"), "buyer data in {output}");
    }
}
