//! # incrocio
//!
//! The matching and profiling engine for Italian public employment services (Centri per
//! l'impiego). This crate is the library: every rule lives here, and the `incrocio` binary
//! only parses arguments and prints.
//!
//! - [`profiling`]: the quantitative profiling of D.Lgs. 150/2015 art. 19 — index, class,
//!   contributions and assegno di ricollocazione, from versioned model files ([`catalog`]).
//! - [`graduatoria`]: art. 16 L. 56/1987 and L. 68/1999 rankings, exact and justified, with riesame.
//! - [`batch`]: re-profiling whole populations every 90 days (Parquet, CSV, JSON lines).
//! - [`synth`]: seeded synthetic people on real comuni, for demos, tests and benches.
//! - [`reference`](mod@reference): the territory and code lists bundled from `data/`.
//! - [`matching`]: the candidate index, competency vectors, hard rules, scoring and the rosa.
//! - [`engine`]: the one API the CLI and the HTTP service share.
//! - [`http`]: the HTTP service (axum), a thin edge over [`engine`].
//! - [`research`]: fitting, simulating, evaluating and tuning the models (researchers).
//! - [`congruita`]: offerta di lavoro congrua (art. 25 D.Lgs. 150/2015, DM 10.4.2018) as a versioned rule set.
//! - [`taxonomy`]: ESCO occupations and skills, CP2011 and the CP2011 → ESCO linkage.
//!
//! ```
//! use incrocio::{catalog::Catalog, profiling::{Profiler, ProfileRecord}, reference::Reference};
//!
//! let reference = Reference::bundled();
//! let catalog = Catalog::bundled(reference)?;
//! let profiler = Profiler { model: catalog.profiling("did")?, adr: catalog.adr(None)?, reference };
//! let record: ProfileRecord = serde_json::from_str(r#"{
//!     "Id": "P1", "DataNascita": "1990-06-15", "Genere": "F", "Cittadinanza": "000",
//!     "TitoloDiStudio": "40000000", "ProvinciaDiResidenza": "NA",
//!     "CondizioneOccupazionaleUnAnnoPrima": "disoccupato", "DataDID": "2026-01-10"
//! }"#)?;
//! let profile = profiler.profile(&record, "2026-11-23".parse()?)?;
//! assert!((0.0..=1.0).contains(&profile.index));
//! assert_eq!(profile.next_review_at.to_string(), "2027-02-21");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod batch;
pub mod cancel;
pub mod catalog;
pub mod congruita;
pub mod decisions;
pub mod digest;
pub mod engine;
pub mod error;
pub mod exchange;
pub mod files;
pub mod graduatoria;
pub mod http;
pub mod json;
pub mod matching;
pub mod profiling;
pub mod reference;
pub mod research;
pub mod synth;
pub mod taxonomy;

pub use crate::error::{Error, FieldReason, InputError, ModelError, Result};
