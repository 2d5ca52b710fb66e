//! The seeded, outcome-stratified bootstrap of a profiling evaluation.
//!
//! A replicate draws, with replacement, as many people with outcome 1 from those with outcome
//! 1 and as many with outcome 0 from those with outcome 0 (so every replicate has the observed
//! event count), as per-person counts. Every population (everyone, and each group of each
//! dimension) is measured on the same replicate, and with two models both are measured on the
//! same replicate, so differences between groups or models are paired. Replicate `b` draws
//! from ChaCha8 seeded with the seed and stream `b`: the result does not depend on threads.
//!
//! One replicate is one pass over the people in order of the score, O(n) (the order is sorted
//! once): the weighted Mann–Whitney AUC (ties ½), and weighted sums for the rest.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The statistics measured on each replicate, in this order.
pub const METRICS: [&str; 7] = [
    "auc",
    "brier",
    "log_loss",
    "calibration_in_the_large",
    "high_risk_share",
    "found_work_high_risk",
    "unemployed_high_risk",
];

/// Index of a statistic in a replicate row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// AUC.
    Auc = 0,
    /// Brier score.
    Brier = 1,
    /// Log-loss.
    LogLoss = 2,
    /// Observed rate − mean predicted.
    CalibrationInTheLarge = 3,
    /// Share classed high-risk.
    HighRisk = 4,
    /// Share of y = 0 classed high-risk.
    FoundWorkHighRisk = 5,
    /// Share of y = 1 classed high-risk.
    UnemployedHighRisk = 6,
}

/// One model's scores, sorted once.
#[derive(Debug, Clone)]
pub struct Scores {
    p: Vec<f64>,
    high: Vec<bool>,
    order: Vec<u32>,
    /// `block_end[k]`: `order[k]` is the last of its tie block.
    block_end: Vec<bool>,
    sq: Vec<f64>,
    nll: Vec<f64>,
}

impl Scores {
    /// Probabilities, whether each person is classed high-risk, and the outcomes.
    pub fn new(p: &[f64], high: &[bool], y: &[bool]) -> Scores {
        let mut order: Vec<u32> = (0..p.len() as u32).collect();
        order.sort_by(|&a, &b| p[a as usize].total_cmp(&p[b as usize]));
        let block_end = (0..order.len())
            .map(|k| {
                order
                    .get(k + 1)
                    .is_none_or(|&next| p[next as usize] != p[order[k] as usize])
            })
            .collect();
        let sq = p
            .iter()
            .zip(y)
            .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
            .collect();
        let nll = p
            .iter()
            .zip(y)
            .map(|(p, &y)| {
                let p = p.clamp(1e-15, 1.0 - 1e-15);
                -(if y { p.ln() } else { (1.0 - p).ln() })
            })
            .collect();
        Scores {
            p: p.to_vec(),
            high: high.to_vec(),
            order,
            block_end,
            sq,
            nll,
        }
    }
}

/// Who belongs to which population: population 0 is everyone; `groups[d][i]` is the population
/// person `i` belongs to in dimension `d`.
#[derive(Debug, Clone)]
pub struct Populations {
    /// How many populations, everyone included.
    pub count: usize,
    /// Per dimension, each person's population.
    pub groups: Vec<Vec<u32>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    w: f64,
    wpos: f64,
    wneg: f64,
    neg_below: f64,
    auc: f64,
    bpos: f64,
    bneg: f64,
    sq: f64,
    nll: f64,
    psum: f64,
    high: f64,
    high_pos: f64,
    high_neg: f64,
}

/// The statistics of every population under per-person weights (counts).
pub fn measure(s: &Scores, y: &[bool], weights: &[u32], pops: &Populations) -> Vec<[f64; 7]> {
    let mut acc = vec![Acc::default(); pops.count];
    let mut touched: Vec<usize> = Vec::with_capacity(pops.count);
    let mut mine: Vec<usize> = Vec::with_capacity(pops.groups.len() + 1);
    for (k, &i) in s.order.iter().enumerate() {
        let i = i as usize;
        let w = f64::from(weights[i]);
        if w > 0.0 {
            mine.clear();
            mine.push(0);
            mine.extend(pops.groups.iter().map(|g| g[i] as usize));
            for &g in &mine {
                let a = &mut acc[g];
                if a.bpos == 0.0 && a.bneg == 0.0 {
                    touched.push(g);
                }
                a.w += w;
                a.sq += w * s.sq[i];
                a.nll += w * s.nll[i];
                a.psum += w * s.p[i];
                let h = if s.high[i] { w } else { 0.0 };
                a.high += h;
                if y[i] {
                    a.bpos += w;
                    a.wpos += w;
                    a.high_pos += h;
                } else {
                    a.bneg += w;
                    a.wneg += w;
                    a.high_neg += h;
                }
            }
        }
        if s.block_end[k] {
            for g in touched.drain(..) {
                let a = &mut acc[g];
                a.auc += a.bpos * (a.neg_below + 0.5 * a.bneg);
                a.neg_below += a.bneg;
                a.bpos = 0.0;
                a.bneg = 0.0;
            }
        }
    }
    acc.iter()
        .map(|a| {
            let div = |x: f64, d: f64| if d > 0.0 { x / d } else { f64::NAN };
            [
                div(a.auc, a.wpos * a.wneg),
                div(a.sq, a.w),
                div(a.nll, a.w),
                div(a.wpos - a.psum, a.w),
                div(a.high, a.w),
                div(a.high_neg, a.wneg),
                div(a.high_pos, a.wpos),
            ]
        })
        .collect()
}

/// `reps[m][b][population][metric]`: `replicates` outcome-stratified bootstrap replicates of
/// every model in `models` (all on the same people and the same draws).
pub fn replicates(
    models: &[&Scores],
    y: &[bool],
    pops: &Populations,
    replicates: usize,
    seed: u64,
) -> Vec<Vec<Vec<[f64; 7]>>> {
    let pos: Vec<u32> = (0..y.len() as u32).filter(|&i| y[i as usize]).collect();
    let neg: Vec<u32> = (0..y.len() as u32).filter(|&i| !y[i as usize]).collect();
    let per_rep: Vec<Vec<Vec<[f64; 7]>>> = (0..replicates)
        .into_par_iter()
        .map_init(
            || vec![0u32; y.len()],
            |w, b| {
                w.fill(0);
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_stream(b as u64);
                for stratum in [&pos, &neg] {
                    if stratum.is_empty() {
                        continue;
                    }
                    for _ in 0..stratum.len() {
                        w[stratum[rng.gen_range(0..stratum.len())] as usize] += 1;
                    }
                }
                models.iter().map(|s| measure(s, y, w, pops)).collect()
            },
        )
        .collect();
    (0..models.len())
        .map(|m| per_rep.iter().map(|r| r[m].clone()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc;

    #[test]
    fn weighted_statistics_equal_those_of_the_expanded_sample() {
        // Weights (2, 0, 1, 3, 1) on five people: the same as listing person 0 twice, person 3
        // three times, dropping person 1.
        let p = [0.8, 0.6, 0.6, 0.3, 0.6];
        let y = [true, false, true, false, false];
        let high = [true, true, false, false, true];
        let s = Scores::new(&p, &high, &y);
        let pops = Populations {
            count: 3,
            groups: vec![vec![1, 2, 1, 2, 1]],
        };
        let w = [2, 0, 1, 3, 1];
        let m = measure(&s, &y, &w, &pops);
        let ep = [0.8, 0.8, 0.6, 0.3, 0.3, 0.3, 0.6];
        let ey = [true, true, true, false, false, false, false];
        assert!((m[0][0] - auc(&ep, &ey).unwrap()).abs() < 1e-12);
        // By hand: positives 0.8 ×2, 0.6; negatives 0.3 ×3, 0.6. Pairs: 0.8 beats all 4 (×2 =
        // 8), 0.6 beats 3 and ties 1 (3.5): 11.5 / 12.
        assert!((m[0][0] - 11.5 / 12.0).abs() < 1e-12);
        // Brier: 2·0.04 + 0.16 + 3·0.09 + 0.36 = 0.87 over 7.
        assert!((m[0][1] - 0.87 / 7.0).abs() < 1e-12);
        // Found work (4 weighted), high-risk among them: person 4 (0.6, high) → 1/4.
        assert!((m[0][5] - 0.25).abs() < 1e-12);
        // Group 1 = persons 0, 2, 4: positives 0.8 ×2, 0.6; negative 0.6 → (2 + 2 + 0.5)/3.
        assert!((m[1][0] - (1.0 + 1.0 + 0.5) / 3.0).abs() < 1e-12);
        // Group 2 = person 3 only: one outcome, no AUC.
        assert!(m[2][0].is_nan());
    }

    #[test]
    fn replicates_are_stratified_and_do_not_depend_on_threads() {
        let n: usize = 300;
        let p: Vec<f64> = (0..n).map(|i| (i % 97) as f64 / 97.0).collect();
        let y: Vec<bool> = (0..n).map(|i| (i * 7) % 10 < 3).collect();
        let high: Vec<bool> = p.iter().map(|&p| p > 0.5).collect();
        let s = Scores::new(&p, &high, &y);
        let pops = Populations {
            count: 1,
            groups: vec![],
        };
        let a = replicates(&[&s], &y, &pops, 50, 7);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| replicates(&[&s], &y, &pops, 50, 7));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a[0].len(), 50);
        let distinct: std::collections::BTreeSet<u64> =
            a[0].iter().map(|r| r[0][0].to_bits()).collect();
        assert!(distinct.len() > 40);
        // Stratified: with every prediction 0.5, calibration in the large is the replicate's
        // event rate − 0.5, and the event rate is the observed 90/300 in every replicate.
        let flat = Scores::new(&vec![0.5; n], &high, &y);
        for r in &replicates(&[&flat], &y, &pops, 50, 7)[0] {
            assert!((r[0][3] - (0.3 - 0.5)).abs() < 1e-12, "{r:?}");
        }
    }
}
