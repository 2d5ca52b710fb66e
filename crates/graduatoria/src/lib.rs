//! Graduatorie: rankings for hiring by public administrations (art. 16 L. 56/1987) and for the
//! collocamento mirato (L. 68/1999), with each Region's exact criteria.
//!
//! A rule set ([`GraduatoriaRules`], `models/graduatorie/*.toml`) names its act, base points,
//! criteria with their exact arithmetic, order, tie-break chain, eligibility and reserves. The
//! ranking ([`rank`]) scores every applicant in exact decimal arithmetic, orders them
//! deterministically, justifies every row (each criterion's points with the input that produced
//! them, the tie-break that decided against the neighbour) and lists every excluded applicant
//! with the reason. [`riesame`] recomputes with corrected data and explains who moved and why.
//!
//! No floating point anywhere in this module (enforced by `clippy::float_arithmetic`).

#![forbid(unsafe_code)]
#![deny(clippy::float_arithmetic)]

mod applicant;
pub mod files;
mod justify;
mod pretty;
mod rank;
mod riesame;
mod rules;

pub use self::applicant::Applicant;
pub use self::justify::{Decided, Rule, Shown, TieDetail, TieValue};
pub use self::rank::{
    CriterionPoints, Excluded, Graduatoria, GraduatoriaRequest, ListEntry, Row, TieBreak,
    check_previous, rank,
};
pub use self::riesame::{FieldChange, Move, Riesame, riesame};
pub use self::rules::{
    Bracket, Criterion, CriterionKind, Eligibility, GraduatoriaRules, Order, Reserve, Rounding,
    TieBreakKey, Variable,
};
pub use incrocio_core::status::ParamStatus;
