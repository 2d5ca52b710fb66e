//! Reading ministerial XML: SAP documents into validated candidates (a `lavoratori` batch of
//! 1,000 synthetic CVs, seed 42, ~1.7 MB) and one DID document into a profile record.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio_core::reference::Reference;
use incrocio_engine::Engine;
use incrocio_synth::{CvSpec, write_sap};
use incrocio_taxonomy::Taxonomy;

/// The allocator the `incrocio` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let as_of = "2026-11-23".parse().expect("date");
    let engine = Engine::bundled().expect("engine");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lavoratori.xml");
    let spec = CvSpec {
        n: 1_000,
        seed: 42,
        as_of,
    };
    write_sap(&path, &spec, Reference::bundled(), Taxonomy::bundled()).expect("SAP batch");
    let sap = std::fs::read_to_string(&path).expect("read");
    let did = include_str!("../data/esempi/did.xml");
    let mut g = c.benchmark_group("exchange");
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("sap_1000_candidates", |b| {
        b.iter(|| {
            let out = engine
                .sap_candidates(
                    black_box(sap.as_bytes()),
                    as_of,
                    &incrocio_core::cancel::Cancel::never(),
                )
                .expect("read");
            assert!(out.iter().all(Result::is_ok));
            out
        })
    });
    g.throughput(Throughput::Elements(1));
    let codes = incrocio_exchange::did::DidCodes::bundled().expect("bundled DID codes");
    g.bench_function("did_one_record", |b| {
        b.iter(|| {
            incrocio_exchange::did::read(black_box(did), &codes, Reference::bundled())
                .expect("read")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
