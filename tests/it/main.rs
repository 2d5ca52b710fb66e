//! Integration tests: one binary (see STYLE.md), one module per capability.
#![allow(clippy::unwrap_used)]

mod cli;
mod congruita;
mod decisions;
mod documents;
mod fuzz;
mod graduatorie;
mod hardening;
mod http;
mod matching;
mod model;
mod offers;
mod profiling;
mod reprofile;
mod research;
mod skills;
mod soft;
mod sql;
mod workspace;
mod xml;

use incrocio_core::reference::Reference;
use incrocio_engine::catalog::Catalog;

/// The catalog's default matching model (what indexes are built with by default), read once:
/// the fuzz targets ask for its title parameters in every case.
pub fn matching_model() -> incrocio_matching::MatchingModel {
    static MODEL: std::sync::OnceLock<incrocio_matching::MatchingModel> =
        std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            catalog()
                .matching(incrocio_engine::catalog::DEFAULT_MATCHING)
                .expect("bundled matching model")
                .clone()
        })
        .clone()
}

/// The title resolution of the default matching model.
pub fn titles() -> incrocio_matching::model::TitleParams {
    matching_model().titles
}

/// The models bundled with the build.
pub fn catalog() -> Catalog {
    Catalog::bundled(Reference::bundled()).expect("bundled models load")
}
