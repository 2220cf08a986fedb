//! Subscriptions and a subscription's purchases against the fake.

use hotmart_api::fake::{FakeHotmart, FakeSubscription, ManualClock};
use hotmart_api::{ErrorKind, SubscriptionFilter, SubscriptionStatus, TransactionStatus};

#[tokio::test]
async fn subscriptions_page_and_filter_by_status() {
    let fake = FakeHotmart::builder()
        .subscription(
            FakeSubscription::new("SUB1", "ACTIVE", 1_767_225_600_000).purchase(
                "HP1",
                "APPROVED",
                1_767_225_600_000,
            ),
        )
        .subscription(FakeSubscription::new(
            "SUB2",
            "CANCELLED_BY_CUSTOMER",
            1_767_225_600_000,
        ))
        .subscription(FakeSubscription::new(
            "SUB3",
            "CANCELLED_BY_CUSTOMER",
            1_767_225_600_000,
        ))
        .start()
        .await
        .unwrap();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(1),
        ManualClock::new(),
    );
    let filter = SubscriptionFilter::new().status(SubscriptionStatus::CancelledByCustomer);
    let mut codes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .subscriptions(&filter, token.as_deref())
            .await
            .unwrap();
        codes.extend(
            page.items
                .iter()
                .map(|s| s.subscriber_code.clone().unwrap()),
        );
        match page.next_page_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(codes, ["SUB2", "SUB3"]);
    let debug = format!("{:?}", client.subscriptions(&filter, None).await.unwrap());
    assert!(!debug.contains("sub@example.com"), "{debug}");
}

#[tokio::test]
async fn a_subscriptions_purchases_are_a_bare_array() {
    let fake = FakeHotmart::builder()
        .subscription(
            FakeSubscription::new("SUB1", "ACTIVE", 1_767_225_600_000)
                .purchase("HP1", "APPROVED", 1_767_225_600_000)
                .purchase("HP2", "REFUNDED", 1_769_817_600_000),
        )
        .start()
        .await
        .unwrap();
    let client = fake.client(ManualClock::new());
    let purchases = client.subscription_purchases("SUB1").await.unwrap();
    let rows: Vec<_> = purchases
        .iter()
        .map(|p| {
            (
                p.transaction.as_deref().unwrap(),
                p.status.clone().unwrap(),
                p.recurrency_number,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("HP1", TransactionStatus::Approved, Some(1)),
            ("HP2", TransactionStatus::Refunded, Some(2))
        ]
    );
    let err = client.subscription_purchases("NOPE").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Request);
    assert_eq!(err.error_code(), Some("not_found"));
    assert_eq!(err.error_description(), Some("Subscription not found"));
}
