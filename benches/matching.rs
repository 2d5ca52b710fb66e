//! Shortlist latency over a synthetic candidate index (100,000 CVs built in a temp dir), and
//! index build throughput (10,000 CVs). For the 1,000,000-CV figures use the CLI
//! (`incrocio index build`, `incrocio eval matching`, see README "Figures"), or point this bench at
//! a built index: `INCROCIO_BENCH_INDEX=DIR INCROCIO_BENCH_VACANCIES=FILE.jsonl cargo bench
//! --bench matching` times the shortlists of those vacancies over that index (what a profiler
//! should look at: nothing else runs in the loop).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio_core::reference::Reference;
use incrocio_matching::CandidateIndex;
use incrocio_synth::{CV_BLOCK, CvSpec, cv_block, vacancy_block};
use incrocio_taxonomy::Taxonomy;

/// The allocator the `incrocio` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let (r, t) = (Reference::bundled(), Taxonomy::bundled());
    let as_of = "2026-11-23".parse().expect("date");
    let model = incrocio_engine::catalog::Catalog::bundled(Reference::bundled())
        .expect("catalog")
        .matching(incrocio_engine::catalog::DEFAULT_MATCHING)
        .expect("model")
        .clone();
    let candidates = |n: usize| {
        let spec = CvSpec { n, seed: 42, as_of };
        (0..n.div_ceil(CV_BLOCK))
            .flat_map(|b| cv_block(&spec, b, r, t))
            .map(|c| {
                c.validate(r, t, spec.as_of, &model.titles)
                    .expect("valid synthetic CV")
            })
            .collect::<Vec<_>>()
    };
    if let (Ok(index), Ok(vacancies)) = (
        std::env::var("INCROCIO_BENCH_INDEX"),
        std::env::var("INCROCIO_BENCH_VACANCIES"),
    ) {
        let idx = CandidateIndex::open(std::path::Path::new(&index)).expect("index");
        let _ = idx.adjacency(t);
        let text = std::fs::read_to_string(vacancies).expect("vacancies");
        let vacancies: Vec<_> = text
            .lines()
            .map(|l| {
                let mut v: incrocio_matching::VacancyRecord =
                    serde_json::from_str(l).expect("vacancy");
                v.esco = None;
                v.cp2011 = None;
                v.validate(r, t, &model.titles).expect("valid vacancy")
            })
            .collect();
        let mut g = c.benchmark_group("matching");
        g.sample_size(10);
        g.throughput(Throughput::Elements(vacancies.len() as u64));
        g.bench_function("shortlist_given_index", |b| {
            b.iter(|| {
                for v in &vacancies {
                    black_box(idx.shortlist(v, &model, None, t).expect("shortlist"));
                }
            })
        });
        g.finish();
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = CandidateIndex::create(dir.path(), as_of, &model).expect("index");
    idx.upsert(&candidates(100_000), t).expect("upsert");
    let spec = CvSpec {
        n: 64,
        seed: 9,
        as_of,
    };
    let vacancies: Vec<_> = vacancy_block(&spec, 0, r, t, false)
        .into_iter()
        .map(|v| {
            v.validate(r, t, &model.titles)
                .expect("valid synthetic vacancy")
        })
        .collect();
    let mut g = c.benchmark_group("matching");
    g.sample_size(20);
    g.throughput(Throughput::Elements(vacancies.len() as u64));
    g.bench_function("shortlist_64_vacancies_100k_cvs", |b| {
        b.iter(|| {
            for v in &vacancies {
                black_box(idx.shortlist(v, &model, None, t).expect("shortlist"));
            }
        })
    });
    // The strict reader of CV lines (`index build`, `cvs` bulk routes): 10,000 lines as the
    // synthetic file holds them.
    let spec = CvSpec {
        n: 10_000,
        seed: 42,
        as_of,
    };
    let lines: Vec<String> = (0..spec.n.div_ceil(CV_BLOCK))
        .flat_map(|b| cv_block(&spec, b, r, t))
        .map(|c| serde_json::to_string(&c).expect("json"))
        .collect();
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("cv_lines_read_10k", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(
                    incrocio_core::json::from_str_record::<incrocio_matching::CandidateRecord>(l)
                        .expect("a valid line"),
                );
            }
        })
    });
    let small = candidates(10_000);
    g.throughput(Throughput::Elements(small.len() as u64));
    g.sample_size(10);
    g.bench_function("index_build_10k_cvs", |b| {
        b.iter(|| {
            let d = tempfile::tempdir().expect("tempdir");
            let i = CandidateIndex::create(d.path(), as_of, &model).expect("index");
            black_box(i.upsert(&small, t).expect("upsert"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
