//! The HTML of the history page, written with maud: the templates are Rust
//! code checked at compile time, and every `(value)` is HTML-escaped, so an
//! event name or a body field holding `<script>` is shown as text.
//!
//! Plain semantic HTML with a small inline stylesheet: no script, no build
//! step, readable on a phone (the viewport meta, tables that scroll
//! sideways on their own).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::auth::CSRF_FIELD;
use super::chart::chart;
use super::view::{DeliveryRow, DetailView, ListView, format_time, pretty_body, understood};

/// The states the filter offers; the store may hold others, which can still
/// be typed into the URL.
pub(crate) const STATES: [&str; 4] = ["pending", "processed", "failed", "unparsed"];

const STYLE: &str = r#"
:root { color-scheme: light; --line: #ddd; --muted: #555; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .6rem 1rem; background: #263238; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
header a { color: #fff; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
a { color: #0b57d0; }
.notice { background: #e8f5e9; border: 1px solid #a5d6a7; padding: .5rem .75rem; border-radius: 4px; }
.error { background: #ffebee; border: 1px solid #ef9a9a; padding: .5rem .75rem; border-radius: 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
td.num { text-align: right; }
td.outcome { white-space: normal; min-width: 9rem; }
td form.inline button { padding: .15rem .5rem; font-size: .85rem; }
.state { font-size: .8rem; padding: .05rem .4rem; border-radius: 3px; background: #eceff1; }
.state-processed { background: #e8f5e9; color: #1b5e20; }
.state-failed { background: #ffebee; color: #b71c1c; }
.state-unparsed { background: #fff3e0; color: #e65100; }
.state-pending { background: #e3f2fd; color: #0d47a1; }
form.inline { display: inline; margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; border: 1px solid #90a4ae; background: #fff; border-radius: 4px; }
button.primary { background: #263238; color: #fff; border-color: #263238; }
nav.pages { display: flex; justify-content: space-between; margin: .75rem 0; }
pre { background: #fff; border: 1px solid var(--line); padding: .75rem; overflow-x: auto; font-size: .85rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); padding: .5rem; }
figure.chart .plot { overflow-x: auto; direction: rtl; } /* a narrow screen starts at the newest minutes */
figure.chart svg { width: 100%; min-width: 34rem; height: auto; display: block; direction: ltr; }
figcaption { font-size: .85rem; color: var(--muted); }
@media (max-width: 40rem) {
  main { padding: .6rem; }
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { border: 1px solid var(--line); border-radius: 4px; margin-bottom: .6rem; padding: .3rem .5rem; }
  table.cards td { border: 0; padding: .15rem 0; white-space: normal; text-align: left; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
}
.login { max-width: 22rem; margin: 3rem auto; display: flex; flex-direction: column; gap: .75rem; }
"#;

fn layout(title: &str, csrf: Option<&str>, signed_in: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Hotmart receiver" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { a href="/admin" { "Hotmart deliveries" } }
                    @if signed_in {
                        @if let Some(csrf) = csrf {
                            form.inline method="post" action="/admin/logout" {
                                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}

fn csrf_input(csrf: Option<&str>) -> Markup {
    html! {
        @if let Some(csrf) = csrf {
            input type="hidden" name=(CSRF_FIELD) value=(csrf);
        }
    }
}

fn iso_time(ms: i64) -> String {
    hotmart_webhook::Timestamp::from_millis(ms).to_string()
}

/// `2026-11-29 23:24:02`: the list's column says UTC once.
fn short_time(ms: i64) -> String {
    format_time(ms).trim_end_matches(" UTC").to_owned()
}

/// At most `max` characters, with an ellipsis when cut (the full text is
/// in the cell's tooltip and on the delivery's page).
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The login form; `failed` after a wrong token.
pub(crate) fn login(failed: bool) -> Markup {
    layout(
        "Log in",
        None,
        false,
        html! {
            form.login method="post" action="/admin/login" {
                h2 { "Log in" }
                @if failed {
                    p.error role="alert" { "That is not the admin token." }
                }
                label {
                    "Admin token (HOTMART_ADMIN_TOKEN)"
                    input type="password" name="token" autocomplete="current-password" required autofocus;
                }
                button.primary type="submit" { "Log in" }
            }
        },
    )
}

fn state_badge(state: &str) -> Markup {
    html! { span class=(format!("state state-{state}")) { (state) } }
}

fn reprocess_button(row: &DeliveryRow, csrf: Option<&str>) -> Markup {
    html! {
        form.inline method="post" action=(format!("/admin/deliveries/{}/reprocess", row.number)) {
            (csrf_input(csrf))
            button type="submit" { "Reprocess" }
        }
    }
}

/// The list of deliveries with the chart, filters and paging.
pub(crate) fn list(view: &ListView) -> Markup {
    let csrf = view.csrf.as_deref();
    let query = &view.query;
    layout(
        "Deliveries",
        csrf,
        true,
        html! {
            @if let Some(notice) = &view.notice {
                p.notice role="status" { (notice) }
            }
            h2 { "Deliveries per minute" }
            (chart(&view.chart))
            h2 { "Latest deliveries" }
            form.filters method="get" action="/admin" {
                label {
                    "State"
                    select name="state" {
                        option value="" { "any" }
                        @for state in STATES {
                            option value=(state) selected[query.state.as_deref() == Some(state)] { (state) }
                        }
                        @if let Some(other) = query.state.as_deref().filter(|s| !STATES.contains(s)) {
                            option value=(other) selected { (other) }
                        }
                    }
                }
                label {
                    "Event"
                    input type="text" name="event" value=[query.event.as_deref()]
                        placeholder="PURCHASE_APPROVED" size="22";
                }
                button type="submit" { "Filter" }
                @if query.state.is_some() || query.event.is_some() {
                    a href="/admin" { "Clear" }
                }
            }
            form.inline method="post" action="/admin/reprocess-failed" {
                (csrf_input(csrf))
                button type="submit" { "Reprocess all failed" }
            }
            @if view.rows.is_empty() {
                p { "No deliveries match." }
            } @else {
                div.scroll {
                    table.cards {
                        thead {
                            tr {
                                th { "Received (UTC)" }
                                th { "Event" }
                                th { "Transaction or id" }
                                th { "Outcome" }
                                th { "State" }
                                th { "Attempts" }
                                th { span hidden { "Action" } }
                            }
                        }
                        tbody {
                            @for row in &view.rows {
                                tr {
                                    td data-label="Received (UTC)" {
                                        a href=(format!("/admin/deliveries/{}", row.number)) {
                                            time datetime=(iso_time(row.received_at_ms)) { (short_time(row.received_at_ms)) }
                                        }
                                    }
                                    td data-label="Event" { (row.event.as_deref().unwrap_or("—")) }
                                    td data-label="Transaction or id" { (row.reference.as_deref().unwrap_or("—")) }
                                    td.outcome data-label="Outcome" title=(row.outcome) { (shorten(&row.outcome, 48)) }
                                    td data-label="State" { (state_badge(&row.state)) }
                                    td.num data-label="Attempts" { (row.attempts) }
                                    td {
                                        @if row.can_reprocess() { (reprocess_button(row, csrf)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav.pages aria-label="Pages" {
                span {
                    @if query.page > 0 {
                        a href=(query.href(query.page - 1)) rel="prev" { "← Newer" }
                    }
                }
                span { "Page " (query.page + 1) }
                span {
                    @if view.has_older {
                        a href=(query.href(query.page + 1)) rel="next" { "Older →" }
                    }
                }
            }
        },
    )
}

/// One delivery: the body, what the parser understood, problems, attempts.
pub(crate) fn detail(view: &DetailView) -> Markup {
    let csrf = view.csrf.as_deref();
    let delivery = &view.delivery;
    let row = &delivery.row;
    let understood = delivery.body.as_deref().map(understood);
    layout(
        &format!("Delivery {}", row.number),
        csrf,
        true,
        html! {
            p { a href="/admin" { "← All deliveries" } }
            @if let Some(notice) = &view.notice {
                p.notice role="status" { (notice) }
            }
            h2 { "Delivery " (row.number) }
            dl {
                dt { "Received" } dd { (format_time(row.received_at_ms)) }
                dt { "Event" } dd { (row.event.as_deref().unwrap_or("—")) }
                dt { "Transaction or id" } dd { (row.reference.as_deref().unwrap_or("—")) }
                dt { "Idempotency key" } dd { code { (delivery.key) } }
                dt { "Source" } dd { (delivery.source) }
                dt { "Outcome" } dd { (row.outcome) }
                dt { "State" } dd { (state_badge(&row.state)) }
                dt { "Attempts" } dd { (row.attempts) }
            }
            @if row.can_reprocess() {
                p { (reprocess_button(row, csrf)) }
            }
            h2 { "What the parser understood" }
            @match &understood {
                None => p { "The body was pruned (retention), so there is nothing to parse." },
                Some(Ok(fields)) => dl {
                    @for (label, value) in fields {
                        dt { (label) } dd { (value) }
                    }
                },
                Some(Err(error)) => p.error { "Not parsable: " (error) },
            }
            h2 { "Problems" }
            @if delivery.problems.is_empty() {
                p { "None." }
            } @else {
                ul {
                    @for problem in &delivery.problems {
                        li { (problem) }
                    }
                }
            }
            h2 { "Processing attempts" }
            @if delivery.attempts.is_empty() {
                p { "None yet." }
            } @else {
                div.scroll {
                    table {
                        thead {
                            tr { th { "#" } th { "Started" } th { "Finished" } th { "Result" } th { "Detail" } }
                        }
                        tbody {
                            @for attempt in &delivery.attempts {
                                tr {
                                    td.num { (attempt.number) }
                                    td { (format_time(attempt.started_at_ms)) }
                                    td { (attempt.finished_at_ms.map(format_time).unwrap_or_else(|| "—".to_owned())) }
                                    td { (state_badge(&attempt.outcome)) }
                                    td { (attempt.detail.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Stored body (hottok masked)" }
            @match &delivery.body {
                Some(body) => pre { code { (pretty_body(body)) } },
                None => p { "Pruned." },
            }
        },
    )
}

/// A short page for errors a person may meet (not found, bad CSRF).
pub(crate) fn message(title: &str, text: &str, signed_in: bool) -> Markup {
    layout(
        title,
        None,
        signed_in,
        html! {
            h2 { (title) }
            p { (text) }
            p { a href="/admin" { "Back to the deliveries" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::history::view::{ChartData, DeliveryDetail, ListQuery};

    const SCRIPT: &str = "<script>alert(1)</script>";

    fn row(state: &str) -> DeliveryRow {
        DeliveryRow {
            number: 7,
            received_at_ms: 0,
            event: Some(SCRIPT.to_owned()),
            reference: Some("HP<b>1</b>".to_owned()),
            outcome: SCRIPT.to_owned(),
            state: state.to_owned(),
            attempts: 2,
        }
    }

    #[test]
    fn the_list_escapes_what_hotmart_sent() {
        let view = ListView {
            rows: vec![row("failed")],
            query: ListQuery {
                event: Some(SCRIPT.to_owned()),
                ..ListQuery::default()
            },
            has_older: true,
            csrf: Some("c5rf".to_owned()),
            chart: ChartData {
                from_ms: 0,
                minutes: 60,
                counts: vec![],
            },
            notice: None,
        };
        let html = list(&view).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("HP&lt;b&gt;1&lt;/b&gt;"));
        // The filter is kept in the paging links, encoded.
        assert!(html.contains("/admin?event=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;page=1"));
        // Failed rows get a Reprocess form with the CSRF token.
        assert!(html.contains(r#"action="/admin/deliveries/7/reprocess""#));
        assert_eq!(
            html.matches(r#"name="csrf" value="c5rf""#).count(),
            3,
            "logout, all failed, one row"
        );
    }

    #[test]
    fn only_failed_and_unparsed_rows_can_be_reprocessed() {
        for (state, button) in [
            ("failed", true),
            ("unparsed", true),
            ("processed", false),
            ("pending", false),
        ] {
            let view = ListView {
                rows: vec![row(state)],
                query: ListQuery::default(),
                has_older: false,
                csrf: None,
                chart: ChartData {
                    from_ms: 0,
                    minutes: 60,
                    counts: vec![],
                },
                notice: None,
            };
            let html = list(&view).into_string();
            assert_eq!(
                html.contains("/admin/deliveries/7/reprocess"),
                button,
                "{state}"
            );
        }
    }

    #[test]
    fn the_delivery_page_escapes_the_body() {
        let body = format!(
            r#"{{"id":"e1","event":"PURCHASE_APPROVED","version":"2.0.0","data":{{"buyer":{{"name":"{SCRIPT}"}}}}}}"#
        );
        let view = DetailView {
            delivery: DeliveryDetail {
                row: row("unparsed"),
                key: SCRIPT.to_owned(),
                source: "webhook".to_owned(),
                body: Some(body.into_bytes()),
                problems: vec![SCRIPT.to_owned()],
                attempts: vec![],
            },
            csrf: Some("c5rf".to_owned()),
            notice: None,
        };
        let html = detail(&view).into_string();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&quot;name&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;")
        );
    }
}
