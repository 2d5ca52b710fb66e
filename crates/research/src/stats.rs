//! Interval estimates: Wilson intervals for proportions, Newcombe's interval for a difference
//! of two independent proportions, Katz's log interval for their ratio, DeLong's test for two
//! correlated AUCs, normal p-values and bootstrap percentiles.
//!
//! Every interval here is two-sided at 95% ([`Z95`]). The formulas, and the independent
//! implementations each is checked against, are in `docs/research.md`.

use serde::{Deserialize, Serialize};

/// The 97.5% quantile of the standard normal distribution.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A two-sided 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies outside the interval (the interval excludes it).
    pub fn excludes(&self, x: f64) -> bool {
        x < self.low || x > self.high
    }
}

/// A point estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its 95% interval (none when it is undefined: an empty group, a zero count).
    pub ci: Option<Interval>,
}

impl Estimate {
    /// An estimate without an interval.
    pub fn bare(value: f64) -> Self {
        Estimate { value, ci: None }
    }
}

/// A proportion `k / n` with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Successes.
    pub k: u64,
    /// Trials.
    pub n: u64,
    /// `k / n` (none when n = 0).
    pub value: Option<f64>,
    /// Wilson 95% interval (none when n = 0).
    pub ci: Option<Interval>,
}

impl Rate {
    /// `k` of `n`.
    pub fn of(k: u64, n: u64) -> Self {
        Rate {
            k,
            n,
            value: (n > 0).then(|| k as f64 / n as f64),
            ci: wilson(k, n),
        }
    }
}

/// Wilson's score interval for `k` successes in `n` trials (Wilson 1927): the `p` with
/// `|p̂ − p| ≤ z √(p(1−p)/n)`, that is
/// `(p̂ + z²/2n ± z √(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`. None when n = 0.
pub fn wilson(k: u64, n: u64) -> Option<Interval> {
    if n == 0 || k > n {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = p + z2 / (2.0 * n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let d = 1.0 + z2 / n;
    Some(Interval {
        low: ((centre - half) / d).max(0.0),
        high: ((centre + half) / d).min(1.0),
    })
}

/// Newcombe's hybrid score interval (method 10 of Newcombe 1998) for `p1 − p2`, two
/// independent proportions: from the Wilson intervals `(l1, u1)`, `(l2, u2)`,
/// `δ − √((p1−l1)² + (u2−p2)²)` to `δ + √((u1−p1)² + (p2−l2)²)`.
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<Estimate> {
    let (a, b) = (wilson(k1, n1)?, wilson(k2, n2)?);
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let d = p1 - p2;
    Some(Estimate {
        value: d,
        ci: Some(Interval {
            low: d - ((p1 - a.low).powi(2) + (b.high - p2).powi(2)).sqrt(),
            high: d + ((a.high - p1).powi(2) + (p2 - b.low).powi(2)).sqrt(),
        }),
    })
}

/// The ratio `(k1/n1) / (k2/n2)` of two independent proportions with Katz's log interval:
/// `exp(ln r ± z √(1/k1 − 1/n1 + 1/k2 − 1/n2))`. None when a denominator is 0; no interval
/// when a count is 0 (the log is undefined).
pub fn risk_ratio(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<Estimate> {
    if n1 == 0 || n2 == 0 || k2 == 0 {
        return None;
    }
    let r = (k1 as f64 / n1 as f64) / (k2 as f64 / n2 as f64);
    if k1 == 0 {
        return Some(Estimate::bare(r));
    }
    let se = (1.0 / k1 as f64 - 1.0 / n1 as f64 + 1.0 / k2 as f64 - 1.0 / n2 as f64).sqrt();
    Some(Estimate {
        value: r,
        ci: Some(Interval {
            low: (r.ln() - Z95 * se).exp(),
            high: (r.ln() + Z95 * se).exp(),
        }),
    })
}

/// The standard normal distribution function, `Φ(x) = erfc(−x/√2)/2`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Two-sided p-value of a standard normal statistic, `2(1 − Φ(|z|)) = erfc(|z|/√2)`.
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The `q` quantile of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default). None when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// The 2.5% and 97.5% percentiles of bootstrap replicates (NaN replicates, where the statistic
/// was undefined in that resample, are left out; none when fewer than half are defined).
pub fn percentile_interval(replicates: &[f64]) -> Option<Interval> {
    let mut v: Vec<f64> = replicates
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    if v.len() * 2 < replicates.len() || v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Interval {
        low: quantile_sorted(&v, 0.025)?,
        high: quantile_sorted(&v, 0.975)?,
    })
}

/// Mid-ranks (1-based, ties get the mean of their ranks) of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = mid;
        }
        i = j + 1;
    }
    r
}

/// DeLong's structural components of one score: `v10[i]` for each positive, the share of
/// negatives it outranks (ties ½); `v01[j]` for each negative, the share of positives that
/// outrank it. Computed from mid-ranks (Sun & Xu 2014) in O(n log n).
fn placements(score: &[f64], y: &[bool]) -> (Vec<f64>, Vec<f64>) {
    let pos: Vec<f64> = score.iter().zip(y).filter(|t| *t.1).map(|t| *t.0).collect();
    let neg: Vec<f64> = score
        .iter()
        .zip(y)
        .filter(|t| !*t.1)
        .map(|t| *t.0)
        .collect();
    let (m, n) = (pos.len() as f64, neg.len() as f64);
    let all: Vec<f64> = pos.iter().chain(&neg).copied().collect();
    let (rz, rx, ry) = (midranks(&all), midranks(&pos), midranks(&neg));
    let v10 = (0..pos.len()).map(|i| (rz[i] - rx[i]) / n).collect();
    let v01 = (0..neg.len())
        .map(|j| 1.0 - (rz[pos.len() + j] - ry[j]) / m)
        .collect();
    (v10, v01)
}

fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (n - 1.0)
}

/// DeLong, DeLong & Clarke-Pearson (1988): two AUCs on the same people and their difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeLong {
    /// AUC of the first score.
    pub auc_a: f64,
    /// AUC of the second score.
    pub auc_b: f64,
    /// Standard error of `auc_a`.
    pub se_a: f64,
    /// Standard error of `auc_b`.
    pub se_b: f64,
    /// `auc_a − auc_b`, with its 95% interval.
    pub difference: Estimate,
    /// Standard error of the difference.
    pub se_difference: f64,
    /// `difference / se_difference`.
    pub z: f64,
    /// Two-sided p-value of H0: equal AUCs.
    pub p_value: f64,
}

/// DeLong's test of two correlated AUCs: `Var(A − B) = (S10_aa + S10_bb − 2 S10_ab)/m +
/// (S01_aa + S01_bb − 2 S01_ab)/n`, with m positives and n negatives and `S10`, `S01` the
/// sample covariances of the structural components. None unless both outcomes have at least
/// two people.
pub fn delong(a: &[f64], b: &[f64], y: &[bool]) -> Option<DeLong> {
    let m = y.iter().filter(|v| **v).count();
    let n = y.len() - m;
    if m < 2 || n < 2 || a.len() != y.len() || b.len() != y.len() {
        return None;
    }
    let (a10, a01) = placements(a, y);
    let (b10, b01) = placements(b, y);
    let (mf, nf) = (m as f64, n as f64);
    let auc_a = a10.iter().sum::<f64>() / mf;
    let auc_b = b10.iter().sum::<f64>() / mf;
    let var = |x10: &[f64], x01: &[f64], z10: &[f64], z01: &[f64]| {
        covariance(x10, z10) / mf + covariance(x01, z01) / nf
    };
    let vaa = var(&a10, &a01, &a10, &a01);
    let vbb = var(&b10, &b01, &b10, &b01);
    let vab = var(&a10, &a01, &b10, &b01);
    let vd = (vaa + vbb - 2.0 * vab).max(0.0);
    let d = auc_a - auc_b;
    let se = vd.sqrt();
    let z = if se > 0.0 { d / se } else { 0.0 };
    Some(DeLong {
        auc_a,
        auc_b,
        se_a: vaa.sqrt(),
        se_b: vbb.sqrt(),
        difference: Estimate {
            value: d,
            ci: Some(Interval {
                low: d - Z95 * se,
                high: d + Z95 * se,
            }),
        },
        se_difference: se,
        z,
        p_value: if se > 0.0 { two_sided_p(z) } else { 1.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_by_hand() {
        // k = 8, n = 10, z² = 3.841459: centre = 0.8 + 0.192073 = 0.992073;
        // half = 1.959964 · √(0.016 + 0.0096036) = 1.959964 · 0.160011 = 0.313616;
        // d = 1.384146 → (0.490163, 0.943317).
        let w = wilson(8, 10).unwrap();
        assert!((w.low - 0.490_162).abs() < 1e-4, "{w:?}");
        assert!((w.high - 0.943_318).abs() < 1e-4, "{w:?}");
        // 0 of n: the lower bound is 0 and the upper z²/(n + z²).
        let z = wilson(0, 20).unwrap();
        assert_eq!(z.low, 0.0);
        assert!((z.high - Z95 * Z95 / (20.0 + Z95 * Z95)).abs() < 1e-12);
        assert!(wilson(1, 0).is_none());
    }

    #[test]
    fn ratio_and_difference_by_hand() {
        // 20/100 vs 10/100: r = 2, se = √(1/20 − 1/100 + 1/10 − 1/100) = √0.13 = 0.360555.
        let r = risk_ratio(20, 100, 10, 100).unwrap();
        assert!((r.value - 2.0).abs() < 1e-12);
        let ci = r.ci.unwrap();
        assert!((ci.low - (2f64.ln() - Z95 * 0.13f64.sqrt()).exp()).abs() < 1e-12);
        assert!(risk_ratio(1, 10, 0, 10).is_none());
        assert!(risk_ratio(0, 10, 1, 10).unwrap().ci.is_none());
        let d = newcombe(20, 100, 10, 100).unwrap();
        assert!((d.value - 0.1).abs() < 1e-12);
        let ci = d.ci.unwrap();
        assert!(ci.low < 0.1 && ci.high > 0.1 && ci.low > -0.1);
    }

    #[test]
    fn delong_of_a_small_example_by_hand() {
        // Positives a = (0.9, 0.6), negatives a = (0.7, 0.1): v10 = (1, 0.5), v01 = (0.5, 0).
        // AUC = 0.75. S10 = var(1, 0.5) = 0.125; S01 = var(0.5, 0) = 0.125;
        // Var = 0.125/2 + 0.125/2 = 0.125.
        let y = [true, true, false, false];
        let a = [0.9, 0.6, 0.7, 0.1];
        let b = [0.9, 0.8, 0.7, 0.1];
        let d = delong(&a, &b, &y).unwrap();
        assert!((d.auc_a - 0.75).abs() < 1e-12);
        assert!((d.auc_b - 1.0).abs() < 1e-12);
        assert!((d.se_a - 0.125f64.sqrt()).abs() < 1e-12);
        // B: v10 = (1, 1), v01 = (0, 0): no variance; A − B has the variance of A.
        assert!((d.se_difference - 0.125f64.sqrt()).abs() < 1e-12);
        assert!((d.z - (-0.25 / 0.125f64.sqrt())).abs() < 1e-12);
        assert!(delong(&a, &b, &[true, false, false, false]).is_none());
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.quantile([1,2,3,4], 0.025) = 1 + 0.075 · 1 = 1.075.
        assert!((quantile_sorted(&v, 0.025).unwrap() - 1.075).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.975).unwrap() - 3.925).abs() < 1e-12);
        assert_eq!(two_sided_p(0.0), 1.0);
        assert!((two_sided_p(Z95) - 0.05).abs() < 1e-12);
        assert!((normal_cdf(Z95) - 0.975).abs() < 1e-12);
    }
}
