//! The researchers' toolkit: an IRLS logit fit of 200,000 rows × 20 columns (the size of the
//! DID design on the demo population), AUC + calibration of 1,000,000 predictions, DeLong's
//! test of two scores of 200,000 people, and 100 outcome-stratified bootstrap replicates of
//! 200,000 people in 11 populations (the demo's `eval profiling` runs 1,000 per model). Data
//! are generated here from a fixed seed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio_profiling::Link;
use incrocio_research::bootstrap::{Populations, Scores, replicates};
use incrocio_research::glm::{FitOptions, fit};
use incrocio_research::metrics::{auc, calibration};
use incrocio_research::stats::delong;
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let (n, p) = (200_000usize, 20usize);
    let beta: Vec<f64> = (0..p)
        .map(|j| {
            if j == 0 {
                -0.3
            } else {
                0.4 * ((j % 5) as f64 - 2.0) / 2.0
            }
        })
        .collect();
    let mut x = Array2::<f64>::zeros((n, p));
    let mut y = Array1::<f64>::zeros(n);
    for i in 0..n {
        x[[i, 0]] = 1.0;
        for j in 1..p {
            x[[i, j]] = f64::from(u8::from(rng.r#gen::<f64>() < 0.3));
        }
        let eta: f64 = (0..p).map(|j| x[[i, j]] * beta[j]).sum();
        y[i] = f64::from(u8::from(rng.r#gen::<f64>() < Link::Logit.inverse(eta)));
    }
    let mut g = c.benchmark_group("research");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("fit_logit_200k_x_20", |b| {
        b.iter(|| black_box(fit(x.view(), y.view(), &FitOptions::default()).expect("fit")))
    });
    let m = 1_000_000usize;
    let pr: Vec<f64> = (0..m).map(|_| rng.r#gen::<f64>()).collect();
    let yb: Vec<bool> = pr.iter().map(|&q| rng.r#gen::<f64>() < q).collect();
    g.throughput(Throughput::Elements(m as u64));
    g.bench_function("auc_and_calibration_1m", |b| {
        b.iter(|| black_box((auc(&pr, &yb), calibration(&pr, &yb))))
    });
    let k = 200_000usize;
    // Scores rounded to 6 decimals, as the profiling index is.
    let pa: Vec<f64> = pr[..k].iter().map(|v| (v * 1e6).round() / 1e6).collect();
    let pb: Vec<f64> = pa
        .iter()
        .map(|v| ((v * 0.9 + 0.1 * rng.r#gen::<f64>()) * 1e6).round() / 1e6)
        .collect();
    let yk = &yb[..k];
    g.throughput(Throughput::Elements(k as u64));
    g.bench_function("delong_200k", |b| {
        b.iter(|| black_box(delong(&pa, &pb, yk)))
    });
    let high: Vec<bool> = pa.iter().map(|&v| v > 0.5).collect();
    let scores = Scores::new(&pa, &high, yk);
    // Three groupings as in `eval profiling`: 2 + 4 + 4 groups.
    let pops = Populations {
        count: 11,
        groups: vec![
            (0..k).map(|i| 1 + (i % 2) as u32).collect(),
            (0..k).map(|i| 3 + (i % 4) as u32).collect(),
            (0..k).map(|i| 7 + (i / 7 % 4) as u32).collect(),
        ],
    };
    g.bench_function("bootstrap_100_replicates_200k", |b| {
        b.iter(|| black_box(replicates(&[&scores], yk, &pops, 100, 42)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
