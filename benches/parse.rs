//! Criterion view of the same variants as `benches/ratios.rs`, on the three
//! reference bodies, the v1 form fixture and the layer. Absolute times on a
//! shared machine drift; quote `ratios` (shuffled per-round ratios) or
//! `callgrind.sh` (instructions) for comparisons.
//!
//! ```text
//! cargo bench --bench parse
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod common;

use common::{
    FORM, LAYER_VARIANTS, Layers, PARSE_VARIANTS, REFERENCE, applies, parse_fn, payloads,
};

fn parse(c: &mut Criterion) {
    for p in payloads()
        .into_iter()
        .filter(|p| REFERENCE.contains(&p.name.as_str()) || p.name == FORM)
    {
        let mut group = c.benchmark_group(p.name.replace('/', "_"));
        group.throughput(Throughput::Bytes(p.bytes.len() as u64));
        for &variant in PARSE_VARIANTS {
            if applies(variant, &p) {
                let f = parse_fn(variant, p.kind);
                group.bench_function(variant, |b| b.iter(|| f(black_box(&p.bytes))));
            }
        }
        group.finish();
    }
}

fn layer(c: &mut Criterion) {
    let layers = Layers::new();
    layers.check();
    let mut group = c.benchmark_group("layer");
    for &variant in LAYER_VARIANTS {
        let f = Layers::variant(variant);
        group.bench_function(variant, |b| b.iter(|| f(black_box(&layers))));
    }
    group.finish();
}

criterion_group!(benches, parse, layer);
criterion_main!(benches);
