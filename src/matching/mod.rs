//! Matching (incrocio domanda/offerta): rank candidates against a vacancy and send the rosa.
//!
//! - [`candidate`], [`vacancy`]: the records and their validation (`docs/candidate-record.md`);
//! - [`vectors`]: competency vectors over ESCO skills and their CSR store;
//! - [`index`]: the tantivy index on disk, the hard rules, scoring and the rosa;
//! - [`model`]: the scoring model file (`models/matching/`);
//! - [`eval`]: nDCG@15 / recall@15 against lexical-only relevance.

pub mod candidate;
pub mod eval;
pub mod export;
mod filter;
pub mod index;
pub mod model;
pub mod store;
pub mod vacancy;
pub mod vectors;

pub use self::candidate::{Candidate, CandidateRecord, Disponibilita, Esperienza, Lingua, Stato};
pub use self::eval::{EvalReport, Metrics, evaluate};
pub use self::index::{
    CandidateIndex, Ranked, Ranking, RosaEntry, Shortlist, Suggestion, read_candidates,
};
pub use self::model::MatchingModel;
pub use self::vacancy::{Vacancy, VacancyRecord};
pub use self::vectors::{CompetencyMatrix, ExperienceSignal, SparseVec, Vectorizer};
