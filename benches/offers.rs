//! Offers latency (person → top 15 open vacancies with congruity verdicts) over a board of
//! 100,000 synthetic open vacancies, and board build throughput (20,000 vacancies). For
//! per-person p50 / p99 use the CLI (`incrocio eval offers`, see README "Figures").

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio_core::cancel::Cancel;
use incrocio_core::reference::Reference;
use incrocio_engine::{Engine, OffersRequest};
use incrocio_synth::{CV_BLOCK, CvSpec, cv_block, vacancy_block};
use incrocio_taxonomy::Taxonomy;

/// The allocator the `incrocio` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let as_of = "2026-11-23".parse().expect("date");
    let engine = Engine::bundled().expect("engine");
    let vacancies = |n: usize, seed: u64| {
        let spec = CvSpec { n, seed, as_of };
        (0..n.div_ceil(CV_BLOCK))
            .flat_map(|b| vacancy_block(&spec, b, r, t, false))
            .map(|v| engine.validate_vacancy(v).expect("valid synthetic vacancy"))
            .collect::<Vec<_>>()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let board = engine
        .create_vacancies(dir.path(), &vacancies(100_000, 42))
        .expect("board");
    let people = cv_block(
        &CvSpec {
            n: 64,
            seed: 7,
            as_of,
        },
        0,
        r,
        t,
    );
    let engine = Engine::bundled().expect("engine").with_vacancies(board);
    let mut g = c.benchmark_group("offers");
    g.sample_size(10);
    g.throughput(Throughput::Elements(people.len() as u64));
    g.bench_function("offers_64_people_100k_vacancies", |b| {
        b.iter(|| {
            for p in &people {
                let req = OffersRequest {
                    candidate_id: None,
                    candidate: Some(p.clone()),
                    data: Some(as_of),
                    size: None,
                    rules: None,
                };
                black_box(
                    engine
                        .offers(req, as_of, "test", &Cancel::never())
                        .expect("offers")
                        .without_records()
                        .expect("no decision log"),
                );
            }
        })
    });
    let small = vacancies(20_000, 11);
    g.throughput(Throughput::Elements(small.len() as u64));
    g.bench_function("board_build_20k_vacancies", |b| {
        b.iter(|| {
            let d = tempfile::tempdir().expect("tempdir");
            black_box(
                engine
                    .create_vacancies(d.path(), &small)
                    .expect("board")
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
