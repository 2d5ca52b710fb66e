//! Ranking 100,000 applicants to one notice under regional rules (exact decimal arithmetic,
//! full justification of every row, reserves and the list sent).
//!
//! Dataset: 100,000 seeded applicants (seed 42): ISEE in cents 0–60,000 €, ages 18–66, DID in the
//! last 6 years for 80%, 0–4 dependants, 5% military reservists. Also the published JSON of
//! one ranking: serde_json's pretty writer against `Graduatoria::write_pretty`. Run:
//! `cargo bench --bench graduatoria`.

use std::hint::black_box;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use incrocio_core::reference::Reference;
use incrocio_engine::catalog::Catalog;
use incrocio_graduatoria::{Applicant, GraduatoriaRequest, rank};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

/// The allocator the `incrocio` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn applicants(n: usize, seed: u64) -> Vec<Applicant> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let publication = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    (0..n)
        .map(|i| {
            let invalid = rng.gen_range(0..5u32);
            let carichi = rng.gen_range(0..5u32);
            Applicant {
                id: format!("A{i:07}"),
                data_nascita: publication - Days::new(rng.gen_range(18 * 365..66 * 365)),
                data_did: rng
                    .gen_ratio(4, 5)
                    .then(|| publication - Days::new(rng.gen_range(1..6 * 365))),
                sospensioni: vec![],
                data_iscrizione: Some(publication - Days::new(rng.gen_range(1..10 * 365))),
                isee: rng
                    .gen_ratio(9, 10)
                    .then(|| Decimal::new(rng.gen_range(0..6_000_000), 2)),
                isee_valido: rng.gen_ratio(19, 20),
                carichi,
                carichi_invalidi: if invalid == 0 { carichi.min(1) } else { 0 },
                invalidita: Some(Decimal::from(rng.gen_range(34..=100))),
                reddito: Some(Decimal::new(rng.gen_range(0..3_000_000), 2)),
                riserve: if rng.gen_ratio(1, 20) {
                    vec!["militari_volontari".into()]
                } else {
                    vec![]
                },
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::bundled(Reference::bundled()).expect("models");
    let request = GraduatoriaRequest {
        publication_date: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        deadline: None,
        posts: Some(50),
        public_employer: true,
        applicants: applicants(100_000, 42),
    };
    let mut g = c.benchmark_group("graduatoria");
    g.sample_size(10);
    for id in [
        "art16-emilia-romagna",
        "art16-campania",
        "l68-piemonte",
        "l68-nazionale-dpr246",
    ] {
        let rules = catalog.graduatoria(id).expect("rules");
        // A reserve category the rule set does not have is refused: applicants of a rule set
        // without reserves declare none.
        let mut request = request.clone();
        if rules.reserves.is_empty() {
            for a in &mut request.applicants {
                a.riserve.clear();
            }
        }
        g.bench_function(format!("{id}_100k"), |b| {
            b.iter_with_large_drop(|| black_box(rank(rules, &request).expect("rank")))
        });
    }
    // The published JSON of one of them (about 113 MB pretty): serde_json on one thread
    // against `write_pretty` (rows and inputs in parallel, the same bytes), each into a 1 MB
    // buffered writer over a sink, as the CLI writes into its file.
    let sink = || std::io::BufWriter::with_capacity(1 << 20, std::io::sink());
    let rules = catalog.graduatoria("art16-emilia-romagna").expect("rules");
    let graduatoria = rank(rules, &request).expect("rank");
    g.bench_function("json_pretty_serde_100k", |b| {
        b.iter(|| serde_json::to_writer_pretty(sink(), black_box(&graduatoria)))
    });
    g.bench_function("json_pretty_parallel_100k", |b| {
        b.iter(|| black_box(&graduatoria).write_pretty(&mut sink()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
