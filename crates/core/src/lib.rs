//! What every other incrocio crate shares, and nothing domain-specific: typed errors that name
//! the field ([`error`]), cooperative cancellation ([`cancel`]), strict JSON ([`json`]),
//! SHA-256 digests ([`digest`]), atomic file writes ([`files`]), periods and the counting of
//! time between dates ([`period`]), the trust status of models and parameters ([`status`]),
//! and the bundled territory and ministerial code lists ([`reference`](mod@reference)).
//!
//! Nothing here depends on another incrocio crate; every other crate may depend on this one.

#![forbid(unsafe_code)]

pub mod cancel;
pub mod digest;
pub mod error;
pub mod files;
pub mod json;
pub mod markup;
pub mod period;
pub mod reference;
pub mod status;

pub use crate::error::{Error, FieldReason, InputError, ModelError, RecordProblem, Result};
