//! Seeded synthetic data (DID registrants, CVs, vacancies) on real reference tables, shared by the demo, the tests and the
//! benches.
//!
//! The marginals are plausible, not official statistics: they are written out below next to
//! each draw so a reader can judge them. The output depends only on `(n, seed, as_of)`: people
//! are drawn in fixed-size blocks, each from its own seeded generator, so the result is the
//! same with any number of threads.

#![forbid(unsafe_code)]

mod cvs;
mod people;

pub use self::cvs::{CV_BLOCK, CvSpec, Synthetic, cv_block, vacancy_block, write_jsonl, write_sap};
pub use self::people::{BLOCK, PeopleSpec, people_block, write_people};
