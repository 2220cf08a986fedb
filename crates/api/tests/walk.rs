//! Walking the sales history against the fake: paging, faults, splitting.

use std::collections::HashSet;
use std::time::Duration;

use hotmart_api::fake::{FakeHotmart, FakeSale, Faults, ManualClock};
use hotmart_api::{ErrorKind, SalesFilter, TransactionStatus, Window};
use hotmart_webhook::Timestamp;

const DAY: i64 = 86_400_000;
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// `n` sales spread over `days` days, at odd minutes so none falls on a
/// window's middle millisecond.
fn sales(n: usize, days: i64, status: &str) -> Vec<FakeSale> {
    (0..n)
        .map(|i| {
            let at = T0 + (i as i64) * days * DAY / n as i64 + 37_000;
            FakeSale::new(format!("HP{:010}", i), status, at)
        })
        .collect()
}

fn window(days: i64) -> Window {
    Window::new(
        Timestamp::from_millis(T0),
        Timestamp::from_millis(T0 + days * DAY),
    )
    .unwrap()
}

#[tokio::test]
async fn every_page_is_read_once_until_there_is_no_next_token() {
    let fake = FakeHotmart::builder()
        .sales(sales(23, 3, "APPROVED"))
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client =
        hotmart_api::Client::with_clock(fake.credentials(), fake.config().page_size(5), clock);

    let mut walk = client.walk_sales(
        SalesFilter::new().status(TransactionStatus::Approved),
        window(3),
    );
    let mut got = Vec::new();
    while let Some(page) = walk.next_page().await.unwrap() {
        got.extend(page);
    }

    assert_eq!(got.len(), 23);
    let distinct: HashSet<_> = got.iter().map(|s| s.transaction().to_owned()).collect();
    assert_eq!(distinct.len(), 23);
    let reads = fake.page_reads();
    assert_eq!(reads.len(), 5, "{reads:?}");
    assert!(reads.values().all(|&n| n == 1), "{reads:?}");
    assert_eq!(walk.progress().pages, 5);
    assert_eq!(walk.progress().window_total, Some(23));
    assert_eq!(fake.tokens_issued(), 1, "the token is cached across pages");
}

#[tokio::test]
async fn a_walk_asks_only_for_its_status_and_window() {
    let mut all = sales(6, 2, "APPROVED");
    all.extend(sales(4, 2, "REFUNDED").into_iter().map(|mut s| {
        s.transaction = s.transaction.replace("HP", "HR");
        s
    }));
    // Outside the window.
    all.push(FakeSale::new("HP_LATE", "REFUNDED", T0 + 5 * DAY));
    let fake = FakeHotmart::builder().sales(all).start().await.unwrap();
    let client = fake.client(ManualClock::new());

    let refunds = client
        .walk_sales(
            SalesFilter::new().status(TransactionStatus::Refunded),
            window(2),
        )
        .collect()
        .await
        .unwrap();
    let codes: Vec<_> = refunds.iter().map(|s| s.transaction()).collect();
    assert_eq!(
        codes,
        [
            "HR0000000000",
            "HR0000000001",
            "HR0000000002",
            "HR0000000003"
        ]
    );
    let request = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/sales/history"))
        .unwrap();
    let q: std::collections::HashMap<_, _> = request.query.into_iter().collect();
    assert_eq!(q["transaction_status"], "REFUNDED");
    assert_eq!(q["start_date"], T0.to_string());
    assert_eq!(q["end_date"], (T0 + 2 * DAY).to_string());
    assert_eq!(q["max_results"], "500");
}

#[tokio::test]
async fn a_token_expiring_mid_walk_is_refreshed_once_and_the_page_is_not_read_twice() {
    let faults = Faults {
        expire_tokens_at: vec![3],
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sales(sales(20, 2, "COMPLETE"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(4),
        ManualClock::new(),
    );

    let got = client
        .walk_sales(
            SalesFilter::new().status(TransactionStatus::Complete),
            window(2),
        )
        .collect()
        .await
        .unwrap();

    assert_eq!(got.len(), 20);
    assert_eq!(
        fake.tokens_issued(),
        2,
        "one token, then exactly one refresh"
    );
    let reads = fake.page_reads();
    assert_eq!(reads.len(), 5);
    assert!(reads.values().all(|&n| n == 1), "{reads:?}");
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/sales/history"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 200, 401, 200, 200, 200]);
}

#[tokio::test]
async fn a_429_waits_for_rate_limit_reset_before_asking_again() {
    let faults = Faults {
        too_many_requests: vec![(2, 37)],
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sales(sales(9, 1, "APPROVED"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(3),
        clock.clone(),
    );

    let got = client
        .walk_sales(
            SalesFilter::new().status(TransactionStatus::Approved),
            window(1),
        )
        .collect()
        .await
        .unwrap();

    assert_eq!(got.len(), 9);
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(37)],
        "waited exactly the reset, once"
    );
    assert!(fake.page_reads().values().all(|&n| n == 1));
}

#[tokio::test]
async fn remaining_zero_makes_the_next_request_wait_for_the_reset() {
    let faults = Faults {
        remaining_zero: vec![(1, 12)],
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sales(sales(4, 1, "APPROVED"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(2),
        clock.clone(),
    );

    let got = client
        .walk_sales(
            SalesFilter::new().status(TransactionStatus::Approved),
            window(1),
        )
        .collect()
        .await
        .unwrap();

    assert_eq!(got.len(), 4);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(12)]);
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_backoff() {
    let faults = Faults {
        server_errors: vec![(1, 503), (2, 500), (3, 502)],
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sales(sales(3, 1, "APPROVED"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        hotmart_api::Config::default()
            .api_url(&fake.url())
            .unwrap()
            .auth_url(&fake.url())
            .unwrap(),
        clock.clone(),
    );

    // A single page (not a walk): a 502 is retried like a 500.
    let page = client
        .sales_history(
            &SalesFilter::new().status(TransactionStatus::Approved),
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 3);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    for (n, (sleep, full)) in sleeps.iter().zip([500u64, 1000, 2000]).enumerate() {
        let ms = sleep.as_millis() as u64;
        assert!(ms >= full / 2 && ms <= full, "retry {n}: {ms} ms");
    }
}

#[tokio::test]
async fn retries_end_with_an_error_carrying_hotmarts_words() {
    let faults = Faults {
        server_errors: (1..=10).map(|n| (n, 503)).collect(),
        ..Faults::default()
    };
    let fake = FakeHotmart::builder().faults(faults).start().await.unwrap();
    let client = fake.client(ManualClock::new());
    let err = client
        .sales_history(&SalesFilter::new(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.error_code(), Some("server_error"));
    assert_eq!(
        fake.history_requests(),
        6,
        "the first attempt and five retries"
    );
}

#[tokio::test]
async fn a_window_too_wide_is_split_until_hotmart_answers_and_nothing_is_read_twice() {
    let faults = Faults {
        max_window: Some(Duration::from_secs(3 * 86_400)),
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sales(sales(40, 10, "APPROVED"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(4),
        ManualClock::new(),
    );

    let mut walk = client.walk_sales(
        SalesFilter::new().status(TransactionStatus::Approved),
        window(10),
    );
    let mut got = Vec::new();
    while let Some(page) = walk.next_page().await.unwrap() {
        got.extend(page);
    }

    let distinct: HashSet<_> = got.iter().map(|s| s.transaction().to_owned()).collect();
    assert_eq!((got.len(), distinct.len()), (40, 40));
    // 10 days -> 5 + 5 -> 2.5 + 2.5 + 2.5 + 2.5: three splits.
    assert_eq!(walk.progress().splits, 3);
    let reads = fake.page_reads();
    assert!(reads.values().all(|&n| n == 1), "{reads:?}");
    for key in reads.keys() {
        let width = key.end.unwrap() - key.start.unwrap();
        assert!(width <= 3 * DAY, "only narrow windows were served: {key:?}");
    }
    // Each 502 is returned at once, not retried.
    let bad: usize = fake.requests().iter().filter(|r| r.status == 502).count();
    assert_eq!(bad, 3);
}

#[tokio::test]
async fn every_fault_at_once_still_yields_each_sale_once() {
    let faults = Faults {
        max_window: Some(Duration::from_secs(2 * 86_400)),
        too_many_requests: vec![(4, 60)],
        expire_tokens_at: vec![7],
        remaining_zero: vec![(9, 5)],
        server_errors: vec![(11, 500)],
    };
    let fake = FakeHotmart::builder()
        .sales(sales(57, 6, "CANCELLED"))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = hotmart_api::Client::with_clock(
        fake.credentials(),
        fake.config().page_size(5),
        clock.clone(),
    );

    let got = client
        .walk_sales(
            SalesFilter::new().status(TransactionStatus::Cancelled),
            window(6),
        )
        .collect()
        .await
        .unwrap();

    let distinct: HashSet<_> = got.iter().map(|s| s.transaction().to_owned()).collect();
    assert_eq!((got.len(), distinct.len()), (57, 57));
    assert_eq!(fake.tokens_issued(), 2);
    assert!(fake.page_reads().values().all(|&n| n == 1));
    let sleeps = clock.sleeps();
    assert!(sleeps.contains(&Duration::from_secs(60)), "{sleeps:?}");
    assert!(sleeps.contains(&Duration::from_secs(5)), "{sleeps:?}");
}

#[tokio::test]
async fn rows_seen_in_an_earlier_window_are_not_yielded_again() {
    // A sale exactly on the middle millisecond is in both halves.
    let mid = T0 + DAY;
    let fake = FakeHotmart::builder()
        .sale(FakeSale::new("HP_MIDDLE", "APPROVED", mid))
        .sale(FakeSale::new("HP_EARLY", "APPROVED", T0 + 1000))
        .faults(Faults {
            max_window: Some(Duration::from_secs(86_400)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let client = fake.client(ManualClock::new());
    let mut walk = client.walk_sales(
        SalesFilter::new().status(TransactionStatus::Approved),
        window(2),
    );
    let mut got = Vec::new();
    while let Some(page) = walk.next_page().await.unwrap() {
        got.extend(page);
    }
    let codes: Vec<_> = got.iter().map(|s| s.transaction()).collect();
    assert_eq!(codes, ["HP_EARLY", "HP_MIDDLE"]);
    assert_eq!(walk.progress().duplicates, 1);
}

#[tokio::test]
async fn unknown_statuses_and_send_test_rows_come_through_typed() {
    let fake = FakeHotmart::builder()
        .sale(FakeSale::new("HP1", "SOMETHING_NEW", T0 + 1))
        .sale(FakeSale::send_test("SOMETHING_NEW", T0 + 2))
        .start()
        .await
        .unwrap();
    let client = fake.client(ManualClock::new());
    let got = client
        .walk_sales(
            SalesFilter::new().status("SOMETHING_NEW".parse().unwrap()),
            window(1),
        )
        .collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].status(),
        &TransactionStatus::Other("SOMETHING_NEW".into())
    );
    assert_eq!(got[0].status().webhook_event(), None);
    assert!(!got[0].is_test());
    assert!(got[1].is_test());
    assert_eq!(
        got[0]
            .purchase
            .price
            .as_ref()
            .unwrap()
            .value
            .unwrap()
            .to_minor_units(2),
        Some(9700)
    );
}

#[tokio::test]
async fn a_window_at_the_minimum_span_is_retried_not_split_forever() {
    let faults = Faults {
        max_window: Some(Duration::from_secs(1)),
        ..Faults::default()
    };
    let fake = FakeHotmart::builder()
        .sale(FakeSale::new("HP1", "APPROVED", T0 + 1000))
        .faults(faults)
        .start()
        .await
        .unwrap();
    let clock = ManualClock::new();
    let client = hotmart_api::Client::with_clock(fake.credentials(), fake.config(), clock.clone());
    let ten_minutes = Window::new(
        Timestamp::from_millis(T0),
        Timestamp::from_millis(T0 + 600_000),
    )
    .unwrap();

    let mut walk = client.walk_sales(
        SalesFilter::new().status(TransactionStatus::Approved),
        ten_minutes,
    );
    let err = walk.next_page().await.unwrap_err();

    // 600 s -> 300 -> 150 -> 75 -> 37.5 s, under the 60 s minimum: retried.
    assert_eq!(walk.progress().splits, 4);
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(
        clock.sleeps().len(),
        5,
        "five backoffs on the narrow window"
    );
    assert_eq!(fake.history_requests(), 4 + 6);
}
