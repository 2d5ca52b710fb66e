//! Matching (incrocio domanda/offerta): rank candidates against a vacancy and send the rosa.
//!
//! - [`candidate`], [`vacancy`]: the records and their validation (`docs/candidate-record.md`);
//! - [`vectors`]: competency vectors over ESCO skills and their CSR store;
//! - [`index`]: the tantivy index on disk, its upkeep and the query (with `filter`, the hard
//!   rules over runs of cell-sorted documents, before the text's BM25);
//! - [`score`]: the scoring core (parts, weights, contributions, bounded top-k), no tantivy;
//! - [`rosa`]: the rosa, its explanations and the narrowing suggestions;
//! - [`adjacency`]: adjacent occupations from ESCO skill overlap;
//! - [`model`]: the scoring model file (`models/matching/`);
//! - [`eval`]: nDCG@15 / recall@15 against lexical-only relevance.

#![forbid(unsafe_code)]

pub mod adjacency;
mod analyzer;
pub mod board;
pub mod candidate;
pub mod eval;
pub mod export;
mod filter;
pub mod index;
mod journal;
pub mod model;
pub mod offers;
mod records;
pub mod rosa;
pub mod score;
pub mod skills;
pub mod soft;
pub mod store;
pub mod territory;
pub mod vacancy;
pub mod vectors;

pub use self::adjacency::Adjacency;
pub use self::board::VacancyBoard;
pub use self::candidate::{Candidate, CandidateRecord, Disponibilita, Esperienza, Lingua, Stato};
pub use self::eval::{EvalReport, Metrics, evaluate};
pub use self::index::{CandidateIndex, IndexParams, IndexSource, read_candidates};
pub use self::model::MatchingModel;
pub use self::offers::{OfferEntry, OfferSearch, Offers, Reach};
pub use self::rosa::{
    ExperienceMatch, ExperienceRelation, Ranked, Ranking, RosaEntry, RosaStamp, Shortlist,
    Suggestion,
};
pub use self::score::{Contributions, Part, Parts};
pub use self::skills::{SkillsGap, SkillsModel};
pub use self::vacancy::{Vacancy, VacancyRecord};
pub use self::vectors::{CompetencyMatrix, ExperienceSignal, SparseVec, Vectorizer};
