//! Profiling throughput: scoring validated people, validating records, their input digests
//! in both formats, and the whole `reprofile` job Parquet → Parquet on a seeded synthetic
//! population.
//!
//! Dataset: `synth people --seed 42 --as-of 2026-11-23`; sizes in the bench names.
//! Run: `cargo bench --bench profiling`. Figures for 3,000,000 people come from the CLI
//! (`incrocio reprofile`, see README "Figures"), which this bench mirrors at 200,000.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio_batch::{OnError, ReprofileOptions, reprofile};
use incrocio_core::digest::RecordHashFormat;
use incrocio_core::reference::Reference;
use incrocio_engine::catalog::Catalog;
use incrocio_profiling::Profiler;
use incrocio_synth::write_people;
use incrocio_synth::{PeopleSpec, people_block};

/// The allocator the `incrocio` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let reference = Reference::bundled();
    let catalog = Catalog::bundled(reference).expect("bundled models");
    let profiler = Profiler {
        model: catalog.profiling("did").expect("did"),
        adr: catalog.adr(None).expect("adr"),
        reference,
    };
    let as_of = "2026-11-23".parse().expect("date");
    let spec = PeopleSpec {
        n: 16_384,
        seed: 42,
        as_of,
    };
    let records = people_block(&spec, 0, reference);
    let people: Vec<_> = records
        .iter()
        .map(|r| r.validate(reference).expect("valid"))
        .collect();

    let mut g = c.benchmark_group("profiling");
    g.throughput(Throughput::Elements(people.len() as u64));
    g.bench_function("score_16k", |b| {
        let mut slots = vec![0.0; profiler.model.features.len()];
        b.iter(|| {
            for p in &people {
                black_box(profiler.score_into(p, as_of, &mut slots).expect("score"));
            }
        })
    });
    g.bench_function("validate_16k", |b| {
        b.iter(|| {
            for r in &records {
                black_box(r.validate(reference).expect("valid"));
            }
        })
    });
    // The input digest alone, in the answer's format and in the batch's (the same encoding).
    for format in [RecordHashFormat::Sha256First64, RecordHashFormat::Xxh3_64] {
        g.bench_function(format!("input_digest_{}_16k", format.name()), |b| {
            b.iter(|| {
                for r in &records {
                    black_box(r.view().input_digest(format));
                }
            })
        });
    }
    g.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("people.parquet");
    let n = 200_000;
    write_people(&input, &PeopleSpec { n, seed: 42, as_of }, reference).expect("synth");
    let mut g = c.benchmark_group("reprofile");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("parquet_200k", |b| {
        b.iter(|| {
            let opts = ReprofileOptions {
                input: input.clone(),
                previous: None,
                output: dir.path().join("out.parquet"),
                as_of,
                threads: 0,
                on_error: OnError::Fail,
                rejects: None,
                progress: false,
                chunk_rows: 0,
                overrides: None,
                input_digest_format: incrocio_batch::INPUT_DIGEST_FORMAT,
            };
            black_box(reprofile(&profiler, &opts).expect("reprofile"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
