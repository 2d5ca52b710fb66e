//! Quantitative profiling (profilazione quantitativa, D.Lgs. 150/2015 art. 19).
//!
//! A person's DID/SAP record ([`ProfileRecord`]) is validated into a [`Person`], the model's
//! variables are derived at a date ([`AtDate`]), and a GLM ([`ProfilingModel`]) turns them into an
//! index in [0, 1], a class and each feature's contribution ([`Profile`]). The assegno di
//! ricollocazione follows from the index ([`AdrRules`]). Everything here is pure: no I/O.

#![forbid(unsafe_code)]

mod adr;
mod features;
mod model;
mod record;
mod score;
mod sql;

pub use self::adr::{Adr, AdrAmount, AdrContract, AdrRules};
pub use self::features::{AtDate, Value, Variable, value};
pub use self::model::{
    Classes, Feature, Link, MAX_FEATURES, Missing, Omitted, ProfilingModel, Term,
};
pub use self::record::{AGE_RANGE, Nascita, Person, ProfileRecord, RecordView};
pub use self::score::{
    ClassRef, Contribution, Derived, MissingAnswer, ModelRef, Profile, Profiler,
    REVIEW_INTERVAL_DAYS, Score, next_review, notice,
};
pub use self::sql::{Dialect, OPTIONAL_COLUMNS, SqlOptions, check_table_name, model_sql};
pub use incrocio_core::period::{
    Sospensione, Unemployment, check_suspension_periods, format_suspensions, parse_suspensions,
    unemployment_at, whole_months, whole_years,
};
pub use incrocio_core::status::Status;
