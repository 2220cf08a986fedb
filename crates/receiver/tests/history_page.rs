//! The history page over real sockets: login, the session cookie, CSRF,
//! logout, filters, paging, escaping, reprocessing.

mod history_support;

use history_support::{ADMIN_TOKEN, Receiver};
use hotmart_receiver::store::{DeliveryRef, State};
use hyper::header;
use hyper::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_without_a_session_is_sent_to_the_login_form() {
    let receiver = Receiver::start().await;
    for path in ["/admin", "/admin/deliveries/1"] {
        let answer = receiver.request(Method::GET, path, &[], "").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.header(header::LOCATION), Some("/admin/login"));
    }
    let form = receiver.request(Method::GET, "/admin/login", &[], "").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"name="token""#));
    assert!(form.body.contains(r#"<meta name="viewport""#));
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_strict_http_only_cookie_that_is_not_the_token() {
    let receiver = Receiver::start().await;
    let answer = receiver
        .request(
            Method::POST,
            "/admin/login",
            &[(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded".into(),
            )],
            &format!("token={ADMIN_TOKEN}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(header::LOCATION), Some("/admin"));
    let cookie = answer.header(header::SET_COOKIE).unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains(ADMIN_TOKEN));
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: a Secure cookie would never come back"
    );

    let session = cookie.split(';').next().unwrap();
    let page = receiver.get("/admin", session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Latest deliveries"));
    let csp = page.header(header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!page.body.contains("<script"), "the page needs no script");

    // Behind an HTTPS proxy the cookie is also Secure.
    let answer = receiver
        .request(
            Method::POST,
            "/admin/login",
            &[
                (
                    header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded".into(),
                ),
                (
                    header::HeaderName::from_static("x-forwarded-proto"),
                    "https".into(),
                ),
            ],
            &format!("token={ADMIN_TOKEN}"),
        )
        .await;
    assert!(
        answer
            .header(header::SET_COOKIE)
            .unwrap()
            .contains("; Secure")
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_or_a_forged_cookie_gets_no_session() {
    let receiver = Receiver::start().await;
    let answer = receiver
        .request(
            Method::POST,
            "/admin/login",
            &[(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded".into(),
            )],
            "token=admin-token-for-the-history-testX",
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.header(header::SET_COOKIE).is_none());
    assert!(answer.body.contains("That is not the admin token."));
    let bearer = [(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))];
    let metrics = receiver.request(Method::GET, "/metrics", &bearer, "").await;
    assert!(
        metrics.body.contains(r#"reason="admin_login"} 1"#),
        "a wrong login is counted: {}",
        metrics.body
    );

    let forged = "hotmart_admin=v1.99999999999.0000000000000000000000000000000000000000000000000000000000000000";
    let answer = receiver.get("/admin", forged).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        answer
            .header(header::SET_COOKIE)
            .unwrap()
            .contains("Max-Age=0")
    );
    // The token itself is not a cookie value either.
    let answer = receiver
        .get("/admin", &format!("hotmart_admin={ADMIN_TOKEN}"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_use_the_bearer_token_and_need_no_csrf_token() {
    let receiver = Receiver::start().await;
    let seq = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL0001", "")
        .await;
    receiver.wait_for_state(seq, State::Failed, 1).await;

    let bearer = [(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))];
    let page = receiver.request(Method::GET, "/admin", &bearer, "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("HPFAIL0001"));
    assert!(
        !page.body.contains(r#"name="csrf""#),
        "no cookie, so no CSRF token"
    );

    let wrong = [(
        header::AUTHORIZATION,
        "Bearer admin-token-for-the-history-testX".to_owned(),
    )];
    let answer = receiver.request(Method::GET, "/admin", &wrong, "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.header(header::WWW_AUTHENTICATE), Some("Bearer"));

    receiver
        .processor
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let path = format!("/admin/deliveries/{seq}/reprocess");
    let answer = receiver.request(Method::POST, &path, &bearer, "").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    receiver.wait_for_state(seq, State::Processed, 2).await;
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_is_refused_without_the_sessions_csrf_token() {
    let receiver = Receiver::start().await;
    let seq = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL0002", "")
        .await;
    receiver.wait_for_state(seq, State::Failed, 1).await;
    receiver
        .processor
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let cookie = receiver.login().await;
    let other_session = receiver.login().await;
    let path = format!("/admin/deliveries/{seq}/reprocess");

    let page = receiver
        .get(&format!("/admin/deliveries/{seq}"), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let others_csrf = receiver.get("/admin", &other_session).await.csrf();
    assert_ne!(csrf, others_csrf);

    for form in [
        String::new(),
        "csrf=".to_owned(),
        "csrf=0123abcd".to_owned(),
        format!("csrf={others_csrf}"),
    ] {
        let answer = receiver.post_form(&path, &cookie, &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{form}");
    }
    let all_failed = receiver
        .post_form("/admin/reprocess-failed", &cookie, "")
        .await;
    assert_eq!(all_failed.status, StatusCode::FORBIDDEN);
    let detail = receiver
        .store()
        .get(&DeliveryRef::Seq(seq))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (detail.summary.state, detail.summary.attempts),
        (State::Failed, 1)
    );

    let answer = receiver
        .post_form(&path, &cookie, &format!("csrf={csrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let location = answer.header(header::LOCATION).unwrap().to_owned();
    assert_eq!(location, format!("/admin/deliveries/{seq}?done=requeued"));
    receiver.wait_for_state(seq, State::Processed, 2).await;
    let page = receiver.get(&location, &cookie).await;
    assert!(page.body.contains("Queued for processing again."));
    assert!(
        page.body.contains("the seller&#39;s app refused it (test)")
            || page.body.contains("the seller's app refused it (test)")
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_the_csrf_token_and_clears_the_cookie() {
    let receiver = Receiver::start().await;
    let cookie = receiver.login().await;
    let csrf = receiver.get("/admin", &cookie).await.csrf();
    let refused = receiver.post_form("/admin/logout", &cookie, "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let answer = receiver
        .post_form("/admin/logout", &cookie, &format!("csrf={csrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(header::LOCATION), Some("/admin/login"));
    let cleared = answer.header(header::SET_COOKIE).unwrap();
    assert!(cleared.starts_with("hotmart_admin=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Path=/admin"));
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_filters_by_state_and_event() {
    let receiver = Receiver::start().await;
    let approved = receiver
        .deliver("PURCHASE_APPROVED", "HP0000000001", "")
        .await;
    let refunded = receiver
        .deliver("PURCHASE_REFUNDED", "HP0000000002", "")
        .await;
    let failing = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL0003", "")
        .await;
    receiver.wait_for_state(approved, State::Processed, 1).await;
    receiver.wait_for_state(refunded, State::Processed, 1).await;
    receiver.wait_for_state(failing, State::Failed, 1).await;
    let cookie = receiver.login().await;

    let all = receiver.get("/admin", &cookie).await;
    assert_eq!(all.rows(), 3);
    let by_event = receiver
        .get("/admin?event=PURCHASE_REFUNDED", &cookie)
        .await;
    assert_eq!(by_event.rows(), 1);
    assert!(by_event.body.contains("HP0000000002"));
    let by_state = receiver.get("/admin?state=failed", &cookie).await;
    assert_eq!(by_state.rows(), 1);
    assert!(by_state.body.contains("HPFAIL0003"));
    assert!(
        by_state
            .body
            .contains(r#"<option value="failed" selected>"#)
    );
    let both = receiver
        .get("/admin?state=processed&event=PURCHASE_APPROVED", &cookie)
        .await;
    assert_eq!(both.rows(), 1);
    assert!(both.body.contains("HP0000000001"));
    let none = receiver
        .get("/admin?state=failed&event=PURCHASE_REFUNDED", &cookie)
        .await;
    assert_eq!(none.rows(), 0);
    assert!(none.body.contains("No deliveries match."));
    let unknown = receiver.get("/admin?state=lost", &cookie).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    // The chart counts them by state.
    assert!(all.body.contains("<svg"));
    assert!(
        all.body.contains("2 processed, 1 failed"),
        "chart summary missing"
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_by_fifty_newest_first() {
    let receiver = Receiver::start().await;
    let mut last = 0;
    for n in 0..53 {
        last = receiver
            .deliver("PURCHASE_APPROVED", &format!("HPPAGE{n:04}"), "")
            .await;
    }
    let cookie = receiver.login().await;
    let first = receiver.get("/admin", &cookie).await;
    assert_eq!(first.rows(), 50);
    assert!(first.body.contains("HPPAGE0052"), "newest first");
    assert!(!first.body.contains("HPPAGE0002"));
    assert!(first.body.contains(r#"href="/admin?page=1" rel="next""#));
    assert!(!first.body.contains(r#"rel="prev""#));
    let second = receiver.get("/admin?page=1", &cookie).await;
    assert_eq!(second.rows(), 3);
    for n in 0..3 {
        assert!(second.body.contains(&format!("HPPAGE{n:04}")));
    }
    assert!(second.body.contains(r#"href="/admin" rel="prev""#));
    assert!(!second.body.contains(r#"rel="next""#));
    // Filters survive paging.
    let filtered = receiver
        .get("/admin?event=PURCHASE_APPROVED", &cookie)
        .await;
    assert!(
        filtered
            .body
            .contains(r#"href="/admin?event=PURCHASE_APPROVED&amp;page=1""#)
    );
    assert!(last > 0);
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_name_or_a_body_field_holding_script_is_shown_as_text() {
    let receiver = Receiver::start().await;
    let script = "<script>alert(1)</script>";
    let extra = format!(
        r#","buyer":{{"name":{}}}"#,
        serde_json::to_string(script).unwrap()
    );
    let seq = receiver.deliver(script, "HP<b>0001</b>", &extra).await;
    let cookie = receiver.login().await;

    let list = receiver.get("/admin", &cookie).await;
    assert_eq!(list.rows(), 1);
    assert!(!list.body.contains("<script"), "{}", list.body);
    assert!(!list.body.contains("<b>"));
    assert!(list.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let filtered = receiver
        .get("/admin?event=%3Cscript%3Ealert(1)%3C%2Fscript%3E", &cookie)
        .await;
    assert_eq!(filtered.rows(), 1);
    assert!(!filtered.body.contains("<script"));

    let detail = receiver
        .get(&format!("/admin/deliveries/{seq}"), &cookie)
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.body.contains("<script"), "{}", detail.body);
    assert!(
        detail
            .body
            .contains("&quot;name&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;")
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deliverys_page_masks_the_hottok_and_lists_its_attempts() {
    let receiver = Receiver::start().await;
    let extra = format!(r#","hottok":"{}""#, history_support::HOTTOK);
    let seq = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL0004", &extra)
        .await;
    receiver.wait_for_state(seq, State::Failed, 1).await;
    let cookie = receiver.login().await;
    let page = receiver
        .get(&format!("/admin/deliveries/{seq}"), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains(history_support::HOTTOK),
        "the hottok is masked"
    );
    assert!(page.body.contains("&quot;hottok&quot;: &quot;***"));
    assert!(page.body.contains("What the parser understood"));
    assert!(
        page.body
            .contains("<dt>Transaction</dt><dd>HPFAIL0004</dd>")
    );
    assert!(page.body.contains("Processing attempts"));
    assert!(page.body.contains("failure"));
    assert!(
        page.body
            .contains(&format!(r#"action="/admin/deliveries/{seq}/reprocess""#))
    );

    let missing = receiver.get("/admin/deliveries/999999", &cookie).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let nonsense = receiver.get("/admin/deliveries/..%2F1", &cookie).await;
    assert_eq!(nonsense.status, StatusCode::NOT_FOUND);
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocess_all_failed_requeues_every_failed_delivery() {
    let receiver = Receiver::start().await;
    let ok = receiver
        .deliver("PURCHASE_APPROVED", "HP0000000005", "")
        .await;
    let one = receiver
        .deliver("PURCHASE_APPROVED", "HPFAIL0005", "")
        .await;
    let two = receiver
        .deliver("PURCHASE_COMPLETE", "HPFAIL0006", "")
        .await;
    receiver.wait_for_state(ok, State::Processed, 1).await;
    receiver.wait_for_state(one, State::Failed, 1).await;
    receiver.wait_for_state(two, State::Failed, 1).await;
    receiver
        .processor
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let cookie = receiver.login().await;
    let csrf = receiver.get("/admin", &cookie).await.csrf();
    let answer = receiver
        .post_form("/admin/reprocess-failed", &cookie, &format!("csrf={csrf}"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(header::LOCATION), Some("/admin?requeued=2"));
    receiver.wait_for_state(one, State::Processed, 2).await;
    receiver.wait_for_state(two, State::Processed, 2).await;
    let page = receiver.get("/admin?requeued=2", &cookie).await;
    assert!(
        page.body
            .contains("2 failed deliveries queued for processing again.")
    );
    let detail = receiver
        .store()
        .get(&DeliveryRef::Seq(ok))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        detail.summary.attempts, 1,
        "a processed delivery is left alone"
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_the_page_says_how_to_turn_it_on() {
    let receiver = Receiver::start_with(None).await;
    let answer = receiver.request(Method::GET, "/admin", &[], "").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("HOTMART_ADMIN_TOKEN"));
    let login = receiver
        .request(
            Method::POST,
            "/admin/login",
            &[],
            "token=anything-at-all-long",
        )
        .await;
    assert_eq!(login.status, StatusCode::NOT_FOUND);
    assert!(login.header(header::SET_COOKIE).is_none());
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparsed_delivery_shows_why_and_offers_reprocess() {
    let receiver = Receiver::start().await;
    let answer = receiver
        .request(
            Method::POST,
            "/api/acl/webhooks/hotmart",
            &[
                (header::CONTENT_TYPE, "application/json".into()),
                (
                    header::HeaderName::from_static("x-hotmart-hottok"),
                    history_support::HOTTOK.into(),
                ),
            ],
            r#"{"hello":"<i>world</i>"}"#,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "authentic, so stored and 200"
    );
    let cookie = receiver.login().await;
    let list = receiver.get("/admin?state=unparsed", &cookie).await;
    assert_eq!(list.rows(), 1, "{}", list.body);
    assert!(list.body.contains("not parsable"));
    let start = list
        .body
        .find(r#"action="/admin/deliveries/"#)
        .expect("a Reprocess button");
    let seq: String = list.body[start + 26..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let page = receiver
        .get(&format!("/admin/deliveries/{seq}"), &cookie)
        .await;
    assert!(page.body.contains("Not parsable: "), "{}", page.body);
    assert!(page.body.contains("&lt;i&gt;world&lt;/i&gt;"));
    assert!(!page.body.contains("<i>"));
    receiver.stop().await;
}
