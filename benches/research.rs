//! The researchers' toolkit: an IRLS logit fit of 200,000 rows × 20 columns (the size of the
//! DID design on the demo population), and AUC + calibration of 1,000,000 predictions. Data
//! are generated here from a fixed seed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use incrocio::profiling::Link;
use incrocio::research::glm::{FitOptions, fit};
use incrocio::research::metrics::{auc, calibration};
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
