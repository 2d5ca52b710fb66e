//! The researchers' toolkit: fit, simulate, evaluate and audit the models.
//!
//! - [`glm`]: maximum-likelihood logit/probit (IRLS), L2 penalty, standard errors;
//! - [`design`]: a profiling model's design matrix, and writing fitted coefficients back;
//! - [`profiling`]: `fit profiling`, `synth outcomes`, `eval profiling` (overall and by group);
//! - [`metrics`]: AUC, ROC, Brier, log-loss, calibration, class shares, high-risk error;
//! - [`report`]: the self-contained HTML report with SVG plots;
//! - [`tune`]: tuning the shortlist weights on judgments and selection outcomes (esiti).
//!
//! Pure computations over data handed in: files are read and written by `batch` and `cli`.

#![forbid(unsafe_code)]

pub mod bootstrap;
pub mod card;
pub mod design;
pub mod glm;
pub mod metrics;
pub mod profiling;
pub mod report;
pub mod stats;
pub mod text;
pub mod titles;
pub mod tune;
