//! Reference data shipped in `data/`: territory (comuni, provinces, regions, provincial
//! indicators) and the ministerial code lists.
//!
//! The tables are compiled into the binary and parsed once ([`Reference::bundled`]), so the
//! engine runs from a fresh clone, offline, with no path to configure.

mod codes;
mod key;
mod territory;

pub use self::codes::{
    CONTRACTS, CodeList, Codes, DID_CITIZENSHIP_GROUPS, GruppoCittadinanza, LICENCES, MODES,
    QUESTIONNAIRE_FIELDS,
};
pub use self::territory::{
    Comune, ComuneIdx, EARTH_RADIUS_KM, Point, Provincia, ProvinciaIdx, Territory, haversine_km,
    haversine_km_cos, point,
};

use std::sync::OnceLock;

use crate::error::ModelError;

/// All reference tables.
#[derive(Debug)]
pub struct Reference {
    /// Comuni, provinces, regions and provincial indicators.
    pub territory: Territory,
    /// Ministerial and questionnaire code lists.
    pub codes: Codes,
}

impl Reference {
    /// The tables bundled from `data/`, parsed on first use.
    pub fn bundled() -> &'static Reference {
        static BUNDLED: OnceLock<Reference> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            // The bundled files are part of the build and covered by tests: failing to parse
            // them is a build defect, not an input error.
            Reference::parse_bundled().unwrap_or_else(|e| panic!("bundled reference data: {e}"))
        })
    }

    fn parse_bundled() -> Result<Reference, ModelError> {
        Ok(Reference {
            territory: Territory::parse(
                include_str!("../../../../data/territorio/comuni.csv"),
                include_str!("../../../../data/territorio/province.csv"),
                include_str!("../../../../data/territorio/regioni.csv"),
            )?,
            codes: Codes::parse(
                include_str!("../../../../data/codici/cittadinanze.csv"),
                include_str!("../../../../data/codici/titoli_studio.csv"),
                include_str!("../../../../data/codici/variabili_profiling.toml"),
            )?,
        })
    }
}

/// Reads a bundled CSV into string records, naming the file on error.
fn csv_rows(name: &str, text: &str) -> Result<Vec<csv::StringRecord>, ModelError> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ModelError::new(name, "csv", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_load_with_expected_sizes() {
        let r = Reference::bundled();
        assert_eq!(r.territory.comuni().len(), 7896);
        assert_eq!(r.territory.province().len(), 107);
        assert_eq!(
            r.codes.cittadinanza("000"),
            Some(GruppoCittadinanza::Italiana)
        );
        assert_eq!(r.codes.cittadinanza("215"), Some(GruppoCittadinanza::Ue)); // Francia
        assert_eq!(r.codes.livello_studio("40000000"), Some(4));
    }
}
