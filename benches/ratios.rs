//! Time ratios that survive a noisy machine, allocations per parse, and a
//! single-variant mode for callgrind.
//!
//! ```text
//! cargo bench --bench ratios              # full run: table + target/bench-ratios.json
//! cargo bench --bench ratios -- --quick   # a few seconds, same table, fewer rounds
//! ratios --callgrind VARIANT PAYLOAD N    # run one variant N times (benches/callgrind.sh)
//! ```
//!
//! Every round runs every (payload, variant) cell once, in a shuffled order,
//! each cell a batch timed as a whole; a ratio is taken inside each round
//! (both sides measured within milliseconds of each other) and the table
//! shows the median over rounds. A drift of the machine's speed between
//! rounds cancels out; within a round it is spread over all variants by the
//! shuffle.

// The counting allocator below is the only unsafe code in the workspace.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

mod common;

use common::{
    LAYER_VARIANTS, Layers, PARSE_VARIANTS, Payload, applies, parse_fn, payloads, run_parse,
};

// ---------------------------------------------------------------------------
// A counting allocator, counting only while `COUNTING` is set (timed runs
// pay one relaxed load per allocation, the same for every variant).

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(layout.size() as u64, Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES.fetch_add(new_size as u64, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes requested by one call of `f` (after a warm-up call).
fn count_allocs(mut f: impl FnMut()) -> (u64, u64) {
    f();
    ALLOCS.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    f();
    COUNTING.store(false, Relaxed);
    (ALLOCS.load(Relaxed), BYTES.load(Relaxed))
}

// ---------------------------------------------------------------------------

/// A tiny xorshift: the shuffle needs no quality, only a different order per
/// round.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One measured cell: a payload (or "layer") and a variant.
struct Cell<'p> {
    group: &'p str,
    variant: &'static str,
    run: Box<dyn Fn() + 'p>,
    iters: u64,
    samples: Vec<f64>,
}

impl Cell<'_> {
    fn time_batch(&self) -> f64 {
        let start = Instant::now();
        for _ in 0..self.iters {
            (self.run)();
        }
        start.elapsed().as_nanos() as f64 / self.iters as f64
    }

    fn calibrate(&mut self, target: Duration) {
        let mut n = 1u64;
        loop {
            let start = Instant::now();
            for _ in 0..n {
                (self.run)();
            }
            let took = start.elapsed();
            if took >= target / 4 || n >= 1 << 24 {
                let per = took.as_secs_f64() / n as f64;
                self.iters = ((target.as_secs_f64() / per) as u64).max(1);
                return;
            }
            n *= 2;
        }
    }
}

struct Options {
    quick: bool,
    filter: Option<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--callgrind") {
        return callgrind(&args[i + 1..]);
    }
    let options = Options {
        quick: args.iter().any(|a| a == "--quick"),
        filter: args
            .iter()
            .position(|a| a == "--filter")
            .and_then(|i| args.get(i + 1).cloned()),
    };
    let (rounds, target) = if options.quick {
        (9, Duration::from_micros(200))
    } else {
        (41, Duration::from_millis(2))
    };

    let payloads = payloads();
    let layers = Layers::new();
    let mut cells = Vec::new();
    for p in &payloads {
        if options
            .filter
            .as_ref()
            .is_some_and(|f| !p.name.contains(f.as_str()))
        {
            continue;
        }
        for &variant in PARSE_VARIANTS {
            if applies(variant, p) {
                let p: &Payload = p;
                let f = parse_fn(variant, p.kind);
                cells.push(Cell {
                    group: &p.name,
                    variant,
                    run: Box::new(move || f(&p.bytes)),
                    iters: 0,
                    samples: Vec::new(),
                });
            }
        }
    }
    if options
        .filter
        .as_ref()
        .is_none_or(|f| "layer".contains(f.as_str()))
    {
        for &variant in LAYER_VARIANTS {
            let layers = &layers;
            cells.push(Cell {
                group: "layer",
                variant,
                run: Box::new(move || layers.run(variant)),
                iters: 0,
                samples: Vec::new(),
            });
        }
    }

    eprintln!(
        "{} cells, {rounds} rounds of ~{:?} per cell{}",
        cells.len(),
        target,
        if options.quick { " (quick)" } else { "" }
    );
    for cell in &mut cells {
        cell.calibrate(target);
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed | 1);
    let mut order: Vec<usize> = (0..cells.len()).collect();
    let started = Instant::now();
    for round in 0..rounds {
        rng.shuffle(&mut order);
        for &i in &order {
            let ns = cells[i].time_batch();
            cells[i].samples.push(ns);
        }
        if !options.quick && round % 10 == 9 {
            eprintln!("round {}/{rounds} ({:.0?})", round + 1, started.elapsed());
        }
    }

    report(&cells, &payloads, rounds);
}

/// The per-round ratio `a / b` of two cells, median over rounds.
fn ratio(a: &Cell<'_>, b: &Cell<'_>) -> f64 {
    let mut r: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .map(|(x, y)| x / y)
        .collect();
    median(&mut r)
}

/// The per-round difference `a - b` in ns, median over rounds.
fn diff(a: &Cell<'_>, b: &Cell<'_>) -> f64 {
    let mut r: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .map(|(x, y)| x - y)
        .collect();
    median(&mut r)
}

fn report(cells: &[Cell<'_>], payloads: &[Payload], rounds: usize) {
    let find = |group: &str, variant: &str| {
        cells
            .iter()
            .find(|c| c.group == group && c.variant == variant)
    };
    let mut json = BTreeMap::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "{:<38} {:>6} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>11} {:>11}",
        "payload",
        "bytes",
        "parse ns",
        "/floor",
        "value",
        "owned",
        "x Val",
        "x Own",
        "allocs",
        "value al",
        "owned al"
    );
    for p in payloads {
        let Some(floor) = find(&p.name, "ignored") else {
            continue;
        };
        let parse = find(&p.name, "parse").expect("parse cell");
        let mut per_variant = BTreeMap::new();
        let mut allocs = BTreeMap::new();
        for &variant in PARSE_VARIANTS {
            let Some(cell) = find(&p.name, variant) else {
                continue;
            };
            let (n, bytes) = count_allocs(|| run_parse(variant, p));
            // The promise of the README: a 2.0.0 body without a string
            // escape parses without a heap allocation.
            if variant == "parse" && p.bytes.first() == Some(&b'{') && !p.bytes.contains(&b'\\') {
                assert_eq!(n, 0, "{}: parse allocated {n} times ({bytes} B)", p.name);
            }
            allocs.insert(variant, (n, bytes));
            let mut samples = cell.samples.clone();
            let mut entry = serde_json::json!({
                "median_ns": median(&mut samples),
                "ratio_to_ignored_any": ratio(cell, floor),
                "allocations": n,
                "bytes_allocated": bytes,
            });
            if variant == "parse" {
                for other in ["value", "owned"] {
                    if let Some(o) = find(&p.name, other) {
                        entry[format!("times_faster_than_{other}")] = ratio(o, parse).into();
                    }
                }
            }
            per_variant.insert(variant, entry);
        }
        let fmt_ratio = |variant: &str| {
            find(&p.name, variant).map_or("-".to_owned(), |c| format!("{:.2}", ratio(c, floor)))
        };
        let fmt_speedup = |variant: &str| {
            find(&p.name, variant).map_or("-".to_owned(), |c| format!("{:.2}", ratio(c, parse)))
        };
        let fmt_alloc = |variant: &str| {
            allocs
                .get(variant)
                .map_or("-".to_owned(), |(n, b)| format!("{n}/{b}B"))
        };
        let mut parse_samples = parse.samples.clone();
        println!(
            "{:<38} {:>6} {:>8.0} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>11} {:>11}",
            p.name,
            p.bytes.len(),
            median(&mut parse_samples),
            fmt_ratio("parse"),
            fmt_ratio("value"),
            fmt_ratio("owned"),
            fmt_speedup("value"),
            fmt_speedup("owned"),
            fmt_alloc("parse"),
            fmt_alloc("value"),
            fmt_alloc("owned"),
        );
        json.insert(
            p.name.clone(),
            serde_json::json!({ "bytes": p.bytes.len(), "variants": per_variant }),
        );
    }
    println!(
        "(/floor, value, owned: time over serde_json IgnoredAny (form: form_urlencoded walk); \
         x Val, x Own: how many times faster parse is; allocs: per parse, count/bytes)"
    );

    if find("layer", "bare_header").is_some() {
        let layers = Layers::new();
        let cell = |v: &str| find("layer", v).expect("layer cell");
        let mut layer_json = BTreeMap::new();
        println!();
        println!("{:<14} {:>9} {:>9}", "layer", "median ns", "allocs");
        for &variant in LAYER_VARIANTS {
            let c = cell(variant);
            let mut s = c.samples.clone();
            let (n, bytes) = count_allocs(|| layers.run(variant));
            let m = median(&mut s);
            println!("{variant:<14} {m:>9.1} {:>9}", format!("{n}/{bytes}B"));
            layer_json.insert(
                variant,
                serde_json::json!({ "median_ns": m, "allocations": n, "bytes_allocated": bytes }),
            );
        }
        let header_over = diff(cell("layer_header"), cell("bare_header"));
        let body_over = diff(cell("layer_body"), cell("bare_form"));
        let reject = ratio(cell("reject_last"), cell("reject_first"));
        let matches = ratio(cell("matches_last"), cell("matches_first"));
        println!("header path over bare service: {header_over:+.1} ns");
        println!("body path over bare service:   {body_over:+.1} ns");
        println!(
            "wrong last byte / wrong first byte: layer {reject:.3}, Hottok::matches {matches:.3}"
        );
        layer_json.insert(
            "summary",
            serde_json::json!({
                "header_path_over_bare_ns": header_over,
                "body_path_over_bare_ns": body_over,
                "reject_last_over_first": reject,
                "matches_last_over_first": matches,
            }),
        );
        json.insert(
            "layer".to_owned(),
            serde_json::to_value(layer_json).unwrap(),
        );
    }

    let out = serde_json::json!({
        "rounds": rounds,
        "loadavg": load.trim(),
        "payloads": json,
    });
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let path = dir.join("bench-ratios.json");
    std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).expect("write json");
    println!("\nload average: {} ; wrote {}", load.trim(), path.display());
}

/// `--callgrind VARIANT PAYLOAD N`: one warm-up call, then `N` calls; the
/// script subtracts the `N = 0` run. PAYLOAD is a payload name (as in the
/// table) or `layer`.
fn callgrind(args: &[String]) {
    let [variant, payload, n] = args else {
        eprintln!("usage: ratios --callgrind VARIANT PAYLOAD N");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N");
    if payload == "layer" {
        let layers = Layers::new();
        let f = Layers::variant(variant);
        f(&layers);
        for _ in 0..n {
            f(black_box(&layers));
        }
        return;
    }
    let payloads = payloads();
    let p = payloads
        .iter()
        .find(|p| p.name == *payload)
        .unwrap_or_else(|| panic!("no payload {payload}"));
    assert!(applies(variant, p), "{variant} does not apply to {payload}");
    let f = parse_fn(variant, p.kind);
    f(&p.bytes);
    for _ in 0..n {
        f(black_box(&p.bytes));
    }
}
