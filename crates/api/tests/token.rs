//! The access token against the fake: Basic value forms, caching, expiry in
//! seconds, refused credentials.

use std::time::Duration;

use hotmart_api::fake::{FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, FakeHotmart, FakeSale, ManualClock};
use hotmart_api::{Client, Credentials, ErrorKind, SalesFilter};

async fn one_call(client: &Client) {
    client
        .sales_history(&SalesFilter::new(), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_basic_value_works_with_or_without_its_prefix_or_alone() {
    let fake = FakeHotmart::builder().start().await.unwrap();
    let basic = fake.credentials().basic().expose().to_owned();
    for credentials in [
        Credentials::from_basic(&basic).unwrap(),
        Credentials::from_basic(&format!("Basic {basic}")).unwrap(),
        Credentials::with_basic(
            FAKE_CLIENT_ID,
            FAKE_CLIENT_SECRET,
            &format!("Basic {basic}"),
        )
        .unwrap(),
        Credentials::new(FAKE_CLIENT_ID, FAKE_CLIENT_SECRET).unwrap(),
    ] {
        let client = Client::with_clock(credentials, fake.config(), ManualClock::new());
        client.authenticate().await.unwrap();
    }
    assert_eq!(fake.tokens_issued(), 4);
    let token_request = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert!(
        token_request
            .query
            .contains(&("grant_type".into(), "client_credentials".into()))
    );
    assert!(
        token_request
            .query
            .contains(&("client_id".into(), FAKE_CLIENT_ID.into()))
    );
}

#[tokio::test]
async fn the_token_is_cached_and_refreshed_five_minutes_before_it_expires() {
    let fake = FakeHotmart::builder()
        .token_lifetime(3600)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = fake.client(clock.clone());

    one_call(&client).await;
    one_call(&client).await;
    assert_eq!(fake.tokens_issued(), 1);

    clock.advance(Duration::from_secs(3600 - 300 - 1));
    one_call(&client).await;
    assert_eq!(fake.tokens_issued(), 1, "still more than five minutes left");

    clock.advance(Duration::from_secs(2));
    one_call(&client).await;
    assert_eq!(
        fake.tokens_issued(),
        2,
        "within five minutes of expiry: refreshed"
    );
    one_call(&client).await;
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn expires_in_is_read_as_seconds_not_milliseconds() {
    // The documentation's 172799 s is two days; read as milliseconds it
    // would expire within three minutes.
    let fake = FakeHotmart::builder()
        .token_lifetime(172_799)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = fake.client(clock.clone());
    one_call(&client).await;
    clock.advance(Duration::from_secs(24 * 3600));
    one_call(&client).await;
    assert_eq!(fake.tokens_issued(), 1);
    clock.advance(Duration::from_secs(24 * 3600));
    one_call(&client).await;
    assert_eq!(fake.tokens_issued(), 2);
}

#[tokio::test]
async fn clones_share_one_token() {
    let fake = FakeHotmart::builder().start().await.unwrap();
    let client = fake.client(ManualClock::new());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.sales_history(&SalesFilter::new(), None).await.map(drop) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(fake.tokens_issued(), 1);
}

#[tokio::test]
async fn refused_credentials_are_a_credentials_error_without_the_secret() {
    let fake = FakeHotmart::builder().start().await.unwrap();
    let wrong = Credentials::new(FAKE_CLIENT_ID, "wrong-secret-value").unwrap();
    let client = Client::with_clock(wrong, fake.config(), ManualClock::new());
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.is_credentials());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.error_code(), Some("unauthorized"));
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("wrong-secret-value"), "{text}");
        assert!(text.contains("HOTMART_CLIENT_SECRET"), "{text}");
    }
    assert_eq!(fake.tokens_issued(), 0);
}

#[tokio::test]
async fn a_second_401_after_a_fresh_token_is_an_error_not_a_loop() {
    use hotmart_api::fake::Faults;
    let fake = FakeHotmart::builder()
        .sale(FakeSale::new("HP1", "APPROVED", 1_767_225_600_000))
        .faults(Faults {
            expire_tokens_at: vec![1, 2],
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let client = fake.client(ManualClock::new());
    let err = client
        .sales_history(&SalesFilter::new(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.error_code(), Some("token_expired"));
    assert_eq!(fake.tokens_issued(), 2);
    assert_eq!(fake.history_requests(), 2);
}

#[tokio::test]
async fn no_answer_is_a_transport_error_after_the_retries() {
    let fake = FakeHotmart::builder().start().await.unwrap();
    let config = fake.config();
    let credentials = fake.credentials();
    fake.shutdown().await;
    let clock = ManualClock::new();
    let client = Client::with_clock(credentials, config, clock.clone());
    let err = client.authenticate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(clock.sleeps().len(), 5);
    assert!(!err.to_string().contains(FAKE_CLIENT_SECRET), "{err}");
}
