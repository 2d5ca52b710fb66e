//! Metrics of a probability model against observed outcomes: discrimination (AUC, ROC),
//! accuracy (Brier, log-loss), calibration by decile, class shares, and the same per group with
//! the error Flanders' audit measured: the share of people who *did* find work (y = 0) that the
//! model put in the high-risk classes.
//!
//! Conventions: `p` is the model's probability of the outcome `y = 1` (still unemployed at the
//! horizon). AUC is the Mann–Whitney probability that a random positive scores above a random
//! negative, ties counting ½. Deciles are by rank of `p` (ties kept in input order), ten groups
//! of sizes differing by at most one.

use serde::Serialize;

use super::stats::{Estimate, Interval, Rate, Z95};

/// One calibration bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// 1-based decile.
    pub decile: usize,
    /// People in it.
    pub n: usize,
    /// Mean predicted probability.
    pub mean_predicted: f64,
    /// Observed rate of y = 1, with its Wilson interval.
    pub observed: Rate,
}

/// A point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RocPoint {
    /// False positive rate.
    pub fpr: f64,
    /// True positive rate.
    pub tpr: f64,
}

/// Metrics of one population (everyone, or one group). Rates carry Wilson intervals and
/// calibration in the large a normal interval; AUC, Brier and log-loss carry bootstrap
/// intervals once [`crate::profiling`] has filled them (none from [`summary`] alone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// People.
    pub n: usize,
    /// Observed rate of y = 1.
    pub observed: Rate,
    /// Mean predicted probability.
    pub mean_predicted: f64,
    /// AUC (none when a class of y is absent).
    pub auc: Option<Estimate>,
    /// Mean squared error of p.
    pub brier: Estimate,
    /// Mean negative log-likelihood (p clamped to [1e-15, 1 − 1e-15]).
    pub log_loss: Estimate,
    /// Mean |predicted − observed| over the deciles, weighted by their size.
    pub calibration_gap: f64,
    /// Observed rate − mean predicted: positive when the model under-predicts the outcome.
    pub calibration_in_the_large: Estimate,
    /// People in each class (1-based class = position + 1), as a share of n.
    pub classes: Vec<Rate>,
    /// Share classed high-risk.
    pub high_risk: Rate,
    /// Of the people with y = 0 (found work), the share classed high-risk (the false
    /// positive rate of "high risk").
    pub found_work_high_risk: Rate,
    /// Of the people with y = 1 (still unemployed), the share classed high-risk (the true
    /// positive rate: equal opportunity compares it across groups).
    pub unemployed_high_risk: Rate,
}

/// AUC by the rank-sum formula with mid-ranks for ties.
pub fn auc(p: &[f64], y: &[bool]) -> Option<f64> {
    let pos = y.iter().filter(|v| **v).count();
    let neg = y.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    let pos_f = pos as f64;
    Some((rank_sum - pos_f * (pos_f + 1.0) / 2.0) / (pos_f * neg as f64))
}

/// Mean squared error of the probabilities.
pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    let se: f64 = p
        .iter()
        .zip(y)
        .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    se / p.len().max(1) as f64
}

/// The ROC curve, from (0, 0) to (1, 1), one point per distinct threshold.
pub fn roc(p: &[f64], y: &[bool]) -> Vec<RocPoint> {
    let pos = y.iter().filter(|v| **v).count().max(1) as f64;
    let neg = (y.len() - y.iter().filter(|v| **v).count()).max(1) as f64;
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut out = vec![RocPoint { fpr: 0.0, tpr: 0.0 }];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let t = p[order[i]];
        while i < order.len() && p[order[i]] == t {
            if y[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        out.push(RocPoint {
            fpr: fp / neg,
            tpr: tp / pos,
        });
    }
    out
}

/// Calibration by decile of p.
pub fn calibration(p: &[f64], y: &[bool]) -> Vec<CalibrationBin> {
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    (0..10)
        .filter_map(|d| {
            let (lo, hi) = (d * n / 10, (d + 1) * n / 10);
            if hi == lo {
                return None;
            }
            let idx = &order[lo..hi];
            let m = idx.len() as f64;
            Some(CalibrationBin {
                decile: d + 1,
                n: idx.len(),
                mean_predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / m,
                observed: Rate::of(
                    idx.iter().filter(|&&i| y[i]).count() as u64,
                    idx.len() as u64,
                ),
            })
        })
        .collect()
}

/// Observed rate − mean predicted, with the interval of the observed rate given the
/// predictions: `± z √(ō(1 − ō)/n)`. (An outcome-stratified bootstrap cannot give it: it
/// keeps the event count fixed.)
pub fn calibration_in_the_large(observed: &Rate, mean_predicted: f64) -> Estimate {
    let Some(o) = observed.value else {
        return Estimate::bare(f64::NAN);
    };
    let half = Z95 * (o * (1.0 - o) / observed.n as f64).sqrt();
    let d = o - mean_predicted;
    Estimate {
        value: d,
        ci: Some(Interval {
            low: d - half,
            high: d + half,
        }),
    }
}

/// Every metric of one population; `class` is the 1-based class of each person, `classes` how
/// many there are, and classes `>= high_risk_from` count as high risk.
pub fn summary(p: &[f64], y: &[bool], class: &[u8], classes: usize, high_risk_from: u8) -> Summary {
    let n = p.len();
    let nf = n.max(1) as f64;
    let log_loss = -p
        .iter()
        .zip(y)
        .map(|(p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y { p.ln() } else { (1.0 - p).ln() }
        })
        .sum::<f64>()
        / nf;
    let bins = calibration(p, y);
    let calibration_gap = bins
        .iter()
        .map(|b| b.n as f64 * (b.mean_predicted - b.observed.value.unwrap_or(0.0)).abs())
        .sum::<f64>()
        / nf;
    let mut counts = vec![0u64; classes];
    for &c in class {
        if let Some(x) = counts.get_mut(usize::from(c).saturating_sub(1)) {
            *x += 1;
        }
    }
    let events = y.iter().filter(|v| **v).count() as u64;
    let high = |want: Option<bool>| {
        (0..n)
            .filter(|&i| want.is_none_or(|w| y[i] == w) && class[i] >= high_risk_from)
            .count() as u64
    };
    let mean_predicted = p.iter().sum::<f64>() / nf;
    let observed = Rate::of(events, n as u64);
    Summary {
        n,
        mean_predicted,
        auc: auc(p, y).map(Estimate::bare),
        brier: Estimate::bare(brier(p, y)),
        log_loss: Estimate::bare(log_loss),
        calibration_gap,
        calibration_in_the_large: calibration_in_the_large(&observed, mean_predicted),
        observed,
        classes: counts.iter().map(|&c| Rate::of(c, n as u64)).collect(),
        high_risk: Rate::of(high(None), n as u64),
        found_work_high_risk: Rate::of(high(Some(false)), n as u64 - events),
        unemployed_high_risk: Rate::of(high(Some(true)), events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_a_four_row_example_by_hand() {
        // Positives 0.8, 0.4; negatives 0.6, 0.2. Pairs (pos > neg): (0.8,0.6) (0.8,0.2)
        // (0.4,0.2) = 3 of 4.
        let p = [0.8, 0.6, 0.4, 0.2];
        let y = [true, false, true, false];
        assert_eq!(auc(&p, &y), Some(0.75));
        // A tie between a positive and a negative counts a half: (0.5,0.5) ½ + (0.5,0.1) 1.
        assert_eq!(auc(&[0.5, 0.5, 0.1], &[true, false, false]), Some(0.75));
        assert_eq!(auc(&[0.5, 0.4], &[true, true]), None);
    }

    #[test]
    fn brier_log_loss_and_high_risk_error_by_hand() {
        let p = [0.8, 0.6, 0.4, 0.2];
        let y = [true, false, true, false];
        let class = [4, 3, 2, 1];
        let s = summary(&p, &y, &class, 4, 3);
        // Brier: (0.04 + 0.36 + 0.36 + 0.04) / 4 = 0.2.
        assert!((s.brier.value - 0.2).abs() < 1e-12);
        let ll = -(0.8f64.ln() + 0.4f64.ln() + 0.4f64.ln() + 0.8f64.ln()) / 4.0;
        assert!((s.log_loss.value - ll).abs() < 1e-12);
        // Employed (y = 0): p 0.6 (class 3, high risk) and 0.2 (class 1): 1 of 2.
        assert_eq!(s.found_work_high_risk.value, Some(0.5));
        // Still unemployed (y = 1): p 0.8 (class 4) and 0.4 (class 2): 1 of 2.
        assert_eq!(s.unemployed_high_risk.value, Some(0.5));
        assert_eq!((s.high_risk.k, s.high_risk.n), (2, 4));
        assert!(s.classes.iter().all(|c| c.value == Some(0.25)));
        // Observed 2/4 − mean predicted 0.5 = 0.
        assert!(s.calibration_in_the_large.value.abs() < 1e-12);
    }

    #[test]
    fn roc_runs_from_origin_to_one_and_deciles_cover_everyone() {
        let p: Vec<f64> = (0..25).map(|i| f64::from(i) / 25.0).collect();
        let y: Vec<bool> = (0..25).map(|i| i % 3 == 0).collect();
        let r = roc(&p, &y);
        assert_eq!(r[0], RocPoint { fpr: 0.0, tpr: 0.0 });
        assert_eq!(r.last(), Some(&RocPoint { fpr: 1.0, tpr: 1.0 }));
        let bins = calibration(&p, &y);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins.iter().map(|b| b.n).sum::<usize>(), 25);
    }
}
