//! Deliveries per minute by outcome, drawn on the server as inline SVG:
//! stacked bars, one per minute, no script. Each bar has a `<title>` (a
//! tooltip on hover) and the figure has a text summary, so the numbers can
//! be read without seeing the colours.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::view::{ChartData, format_time};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 190.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 22.0;
const MINUTE_MS: i64 = 60_000;

/// Colours for the outcomes the receiver knows; others get the fallback
/// palette in order of appearance.
fn colour(outcome: &str, index: usize) -> &'static str {
    match outcome {
        "processed" | "success" => "#2e7d32",
        "pending" | "queued" | "processing" => "#1565c0",
        "failed" | "failure" => "#c62828",
        "unparsed" => "#ef6c00",
        "duplicate" => "#6d4c41",
        _ => ["#6a1b9a", "#00838f", "#9e9d24", "#546e7a"][index % 4],
    }
}

/// Draws the chart.
pub(crate) fn chart(data: &ChartData) -> Markup {
    let minutes = data.minutes.max(1);
    // minute index -> outcome -> count; outcomes in a stable order.
    let mut outcomes: Vec<&str> = Vec::new();
    let mut bars: BTreeMap<u32, Vec<(&str, u64)>> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for count in &data.counts {
        let offset = (count.minute_ms - data.from_ms).div_euclid(MINUTE_MS);
        let Ok(index) = u32::try_from(offset) else {
            continue;
        };
        if index >= minutes || count.count == 0 {
            continue;
        }
        if !outcomes.contains(&count.outcome.as_str()) {
            outcomes.push(&count.outcome);
        }
        bars.entry(index)
            .or_default()
            .push((&count.outcome, count.count));
        *totals.entry(&count.outcome).or_default() += count.count;
    }
    outcomes.sort_by_key(|o| order(o));
    for stack in bars.values_mut() {
        stack.sort_by_key(|(o, _)| order(o));
    }
    let peak = bars
        .values()
        .map(|stack| stack.iter().map(|(_, n)| n).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bar_w = plot_w / f64::from(minutes);
    let y = |n: u64| TOP + plot_h - plot_h * n as f64 / peak as f64;
    let colour_of = |outcome: &str| {
        let index = outcomes.iter().position(|o| *o == outcome).unwrap_or(0);
        colour(outcome, index)
    };
    let mut segments = Vec::new();
    for (index, stack) in &bars {
        let x = LEFT + f64::from(*index) * bar_w;
        let minute = data.from_ms + i64::from(*index) * MINUTE_MS;
        let mut below = 0;
        for (outcome, n) in stack {
            let top = y(below + n);
            segments.push(Segment {
                x,
                top,
                height: y(below) - top,
                colour: colour_of(outcome),
                title: format!("{}: {n} {outcome}", hour_minute(minute)),
            });
            below += n;
        }
    }
    let ticks = time_ticks(data.from_ms, minutes);
    let end_ms = data.from_ms + i64::from(minutes) * MINUTE_MS;
    let summary = if totals.is_empty() {
        "No deliveries in this period.".to_owned()
    } else {
        outcomes
            .iter()
            .map(|o| format!("{} {o}", totals[o]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    html! {
        figure.chart {
            div.plot {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
                role="img" aria-labelledby="chart-title" font-family="sans-serif" font-size="11" {
                title #chart-title {
                    "Deliveries per minute by outcome, " (format_time(data.from_ms)) " to " (format_time(end_ms))
                }
                // Grid: the peak and half of it.
                @for n in [peak, peak / 2, 0] {
                    @if n > 0 || peak == 1 {
                        line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(n)) y2=(y(n)) stroke="#ddd" {}
                        text x=(LEFT - 4.0) y=(y(n) + 4.0) text-anchor="end" fill="#555" { (n) }
                    }
                }
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(0)) y2=(y(0)) stroke="#888" {}
                @for segment in &segments {
                    rect x=(fmt(segment.x)) y=(fmt(segment.top)) width=(fmt((bar_w - 0.5).max(0.5)))
                        height=(fmt(segment.height)) fill=(segment.colour) {
                        title { (segment.title) }
                    }
                }
                @for (index, label) in &ticks {
                    @let x = LEFT + f64::from(*index) * bar_w;
                    line x1=(fmt(x)) x2=(fmt(x)) y1=(y(0)) y2=(y(0) + 4.0) stroke="#888" {}
                    text x=(fmt(x)) y=(HEIGHT - 6.0) text-anchor="middle" fill="#555" { (label) }
                }
                // Legend, top left.
                @for (i, outcome) in outcomes.iter().enumerate() {
                    @let x = LEFT + 4.0 + i as f64 * 110.0;
                    rect x=(x) y="6" width="10" height="10" fill=(colour_of(outcome)) {}
                    text x=(x + 14.0) y="15" fill="#222" { (outcome) }
                }
            }
            }
            figcaption {
                "Deliveries per minute, last " (minutes / 60) " h " (minutes % 60) " min (UTC): " (summary)
            }
        }
    }
}

struct Segment {
    x: f64,
    top: f64,
    height: f64,
    colour: &'static str,
    title: String,
}

/// Processed first (at the bottom), then the rest in a fixed order.
fn order(outcome: &str) -> (u8, String) {
    let rank = match outcome {
        "processed" | "success" => 0,
        "pending" | "queued" | "processing" => 1,
        "failed" | "failure" => 2,
        "unparsed" => 3,
        _ => 4,
    };
    (rank, outcome.to_owned())
}

/// Labels on whole hours, or on half hours when fewer than four hours are
/// shown, as (minute index, `HH:MM`).
fn time_ticks(from_ms: i64, minutes: u32) -> Vec<(u32, String)> {
    let step: i64 = if minutes <= 4 * 60 { 30 } else { 60 };
    let step_ms = step * MINUTE_MS;
    let first = (from_ms + step_ms - 1).div_euclid(step_ms) * step_ms;
    (0..)
        .map(|i| first + i * step_ms)
        .take_while(|t| *t < from_ms + i64::from(minutes) * MINUTE_MS)
        .filter_map(|t| {
            let index = u32::try_from((t - from_ms) / MINUTE_MS).ok()?;
            Some((index, hour_minute(t)))
        })
        .collect()
}

fn hour_minute(ms: i64) -> String {
    let time = format_time(ms);
    time.get(11..16).unwrap_or("").to_owned()
}

/// Two decimals are plenty for coordinates and keep the page small.
fn fmt(value: f64) -> String {
    format!("{value:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::history::view::MinuteCount;

    fn count(minute: i64, outcome: &str, count: u64) -> MinuteCount {
        MinuteCount {
            minute_ms: minute * MINUTE_MS,
            outcome: outcome.to_owned(),
            count,
        }
    }

    #[test]
    fn one_rect_per_outcome_and_minute_with_a_tooltip() {
        let data = ChartData {
            from_ms: 0,
            minutes: 60,
            counts: vec![
                count(1, "processed", 3),
                count(1, "failed", 1),
                count(5, "processed", 2),
            ],
        };
        let svg = chart(&data).into_string();
        // Three bars plus two legend squares.
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("00:01: 3 processed"));
        assert!(svg.contains("00:01: 1 failed"));
        assert!(svg.contains("5 processed, 1 failed"));
    }

    #[test]
    fn counts_outside_the_period_are_left_out() {
        let data = ChartData {
            from_ms: 60 * MINUTE_MS,
            minutes: 10,
            counts: vec![
                count(0, "processed", 3),
                count(70, "processed", 1),
                count(61, "x", 1),
            ],
        };
        let svg = chart(&data).into_string();
        assert!(svg.contains(": 1 x"));
        assert!(!svg.contains("processed"));
    }

    #[test]
    fn an_outcome_name_is_escaped() {
        let data = ChartData {
            from_ms: 0,
            minutes: 10,
            counts: vec![count(1, "<script>alert(1)</script>", 1)],
        };
        let svg = chart(&data).into_string();
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn an_empty_period_says_so() {
        let data = ChartData {
            from_ms: 0,
            minutes: 180,
            counts: vec![],
        };
        let svg = chart(&data).into_string();
        assert!(svg.contains("No deliveries in this period."));
        assert_eq!(time_ticks(0, 180).len(), 6);
    }
}
