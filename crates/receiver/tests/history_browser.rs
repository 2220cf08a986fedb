//! The history page in a real browser: Debian's headless Chromium, driven
//! through chromedriver, logs in, finds a delivery that was just sent,
//! reprocesses a failed one, and saves screenshots under `target/tmp/`.
//!
//! Skipped, loudly, where Chromium or chromedriver is missing; under
//! `CI=true` that is a failure instead (`.ci/run` installs them).

mod history_support;

use std::path::Path;
use std::sync::atomic::Ordering;

use history_support::webdriver::{Browser, find_browser};
use history_support::{ADMIN_TOKEN, Receiver};
use hotmart_receiver::store::{NewDelivery, Source, State, now_ms};

/// Three hours of history, so the chart has something to show: a few
/// deliveries a minute, more as the launch goes on, some failing.
async fn seed_history(receiver: &Receiver) {
    let now = now_ms();
    let events = [
        "PURCHASE_APPROVED",
        "PURCHASE_COMPLETE",
        "PURCHASE_REFUNDED",
        "PURCHASE_BILLET_PRINTED",
    ];
    let mut n = 0u32;
    for minute in (1..180u32).rev() {
        // A launch: a slow rise with noise (a small LCG), busier at the end.
        let noise = minute.wrapping_mul(1_103_515_245).wrapping_add(12_345) >> 16;
        let count = 1 + noise % 4 + (180 - minute) / 30;
        for i in 0..count {
            n += 1;
            let failing = n % 37 == 36;
            let transaction = if failing {
                format!("HPFAIL{n:06}")
            } else {
                format!("HP{:010}", 1_700_000 + n)
            };
            let event = events[(n as usize) % events.len()];
            let body = format!(
                r#"{{"id":"seed-{n}","creation_date":1747447467789,"event":"{event}","version":"2.0.0","data":{{"purchase":{{"transaction":"{transaction}","status":"APPROVED"}}}}}}"#
            );
            let received_at = now - i64::from(minute) * 60_000 + i64::from(i) * 3_000;
            let delivery = NewDelivery {
                source: Source::Webhook,
                summary: hotmart_receiver::summary::summarize(body.as_bytes()),
                received_at,
                body: body.into_bytes(),
            };
            receiver.store().insert(delivery).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_finds_a_delivery_and_reprocesses_a_failed_one() {
    let (chromium, driver) = match find_browser() {
        Ok(found) => found,
        Err(missing) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("\n*** SKIPPED the history page's browser test: {missing} ***\n");
            return;
        }
        Err(missing) => {
            panic!("CI=true and {missing}: .ci/run installs chromium and chromium-driver")
        }
    };
    let receiver = Receiver::start().await;
    seed_history(&receiver).await;
    let failed = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL9999", "")
        .await;
    receiver.wait_for_state(failed, State::Failed, 1).await;

    let browser = Browser::start(&chromium, &driver).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));

    // Not logged in: the page sends the browser to the login form.
    browser.goto(&receiver.url("/admin")).await;
    browser
        .find(r#"input[name="token"]"#)
        .await
        .type_text(ADMIN_TOKEN)
        .await;
    browser
        .find(r#"form.login button[type="submit"]"#)
        .await
        .click()
        .await;
    browser.wait_for_text("Latest deliveries").await;
    assert!(browser.url().await.ends_with("/admin"));

    // A delivery sent now shows up, and its page shows what it held.
    let just_sent = receiver
        .deliver("PURCHASE_APPROVED", "HPBROWSER001", "")
        .await;
    receiver
        .wait_for_state(just_sent, State::Processed, 1)
        .await;
    browser.goto(&receiver.url("/admin")).await;
    browser.wait_for_text("HPBROWSER001").await;
    let link = format!(r#"a[href="/admin/deliveries/{just_sent}"]"#);
    browser.find(&link).await.click().await;
    browser
        .wait_for_text(&format!("Delivery {just_sent}"))
        .await;
    browser.wait_for_text("What the parser understood").await;
    browser
        .screenshot(&shots.join("history-delivery.png"))
        .await;

    // Filter the list down to failed deliveries, then reprocess one.
    browser.goto(&receiver.url("/admin?state=failed")).await;
    browser.wait_for_text("HPFAIL9999").await;
    receiver.processor.failing.store(false, Ordering::SeqCst);
    let button = format!(r#"form[action="/admin/deliveries/{failed}/reprocess"] button"#);
    browser.find(&button).await.click().await;
    browser.wait_for_text("Queued for processing again.").await;
    receiver.wait_for_state(failed, State::Processed, 2).await;
    browser
        .goto(&receiver.url(&format!("/admin/deliveries/{failed}")))
        .await;
    browser.wait_for_text("HPFAIL9999").await;
    browser
        .wait_for_text("the seller's app refused it (test)")
        .await;
    let badge = browser.find(".state-processed").await.text().await;
    assert_eq!(badge.as_deref(), Some("processed"));

    // One more that fails whatever happens, so the list shows its button.
    let down = receiver
        .deliver("PURCHASE_COMPLETE", "HPDOWN0001", "")
        .await;
    receiver.wait_for_state(down, State::Failed, 1).await;
    browser.goto(&receiver.url("/admin")).await;
    browser.wait_for_text("HPDOWN0001").await;
    let button = format!(r#"form[action="/admin/deliveries/{down}/reprocess"] button"#);
    browser.find(&button).await;
    let shot = shots.join("history-page.png");
    browser.screenshot(&shot).await;
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    eprintln!("screenshots: {}", shots.display());

    browser.quit().await;
    receiver.stop().await;
}
