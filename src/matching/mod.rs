//! Matching (incrocio domanda/offerta): candidates and vacancies on the ESCO/CP2011 taxonomy,
//! and their competency vectors.
//!
//! Built so far: the candidate and vacancy records with their validation ([`candidate`],
//! [`vacancy`]) and the competency
//! vectors with their CSR store ([`vectors`]). The text index, the hard rules, the scoring model
//! and the rosa are the next steps (see `ARCHITECTURE.md`).

pub mod candidate;
pub mod vacancy;
pub mod vectors;

pub use self::candidate::{Candidate, CandidateRecord, Disponibilita, Esperienza, Lingua, Stato};
pub use self::vacancy::{Vacancy, VacancyRecord};
pub use self::vectors::{CompetencyMatrix, ExperienceSignal, SparseVec, Vectorizer};
