//! A table of the Atlante del lavoro's *aree di attività* (ADA) and the CP2011 unità
//! professionali they cover, when a Region supplies one. Coherence (art. 2 DM 10.4.2018) is
//! defined on the SEP / ADA of the Atlante; with this table, two occupations sharing an ADA are
//! related as `same_ada` (a rule set lists where that counts). Occupations reach CP2011 through
//! the taxonomy's CP2011 → ESCO links.
//!
//! CSV with a header `ada,cp2011`: an ADA code (any non-empty text, e.g. `ADA.1.2.3`) and a
//! CP2011 unit code that exists; a pair once.

use rustc_hash::{FxHashMap, FxHashSet};

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// ADA by ESCO occupation.
#[derive(Debug, Clone, Default)]
pub struct AdaTable {
    by_occupation: FxHashMap<OccupationId, Vec<u32>>,
    names: Vec<String>,
    digest: String,
}

impl AdaTable {
    /// Parses a table; an unknown CP2011 code, an empty ADA or a repeated pair is an error
    /// naming the line.
    pub fn parse(text: &str, t: &Taxonomy) -> Result<AdaTable> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| Error::data("ADA table", e.to_string()))?
            .clone();
        if headers.iter().collect::<Vec<_>>() != ["ada", "cp2011"] {
            return Err(Error::Input(InputError::new(
                "header",
                FieldReason::Inconsistent("expected `ada,cp2011`".into()),
            )));
        }
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut names = Vec::new();
        let mut seen = FxHashSet::default();
        let mut by_occupation: FxHashMap<OccupationId, Vec<u32>> = FxHashMap::default();
        for (n, row) in rdr.records().enumerate() {
            let line = n + 2;
            let row = row.map_err(|e| Error::data("ADA table", format!("line {line}: {e}")))?;
            let (ada, code) = (
                row.get(0).unwrap_or("").trim(),
                row.get(1).unwrap_or("").trim(),
            );
            if ada.is_empty() {
                return Err(Error::Input(
                    InputError::new("ada", FieldReason::Missing).with_row(line),
                ));
            }
            let unit = t.cp2011_unit(code).ok_or_else(|| {
                Error::Input(
                    InputError::new(
                        "cp2011",
                        FieldReason::UnknownCode {
                            value: code.to_owned(),
                            list: "CP2011 unità professionali",
                        },
                    )
                    .with_row(line),
                )
            })?;
            if !seen.insert((ada.to_owned(), code.to_owned())) {
                return Err(Error::Input(
                    InputError::new(
                        "ada",
                        FieldReason::Inconsistent("this pair is already in the table".into()),
                    )
                    .with_row(line),
                ));
            }
            let id = *ids.entry(ada.to_owned()).or_insert_with(|| {
                names.push(ada.to_owned());
                (names.len() - 1) as u32
            });
            for link in &unit.esco {
                let list = by_occupation.entry(link.occupation).or_default();
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
        Ok(AdaTable {
            by_occupation,
            names,
            digest: sha256_tagged(text.as_bytes()),
        })
    }

    /// Reads a table from a file.
    pub fn read(path: &std::path::Path, t: &Taxonomy) -> Result<AdaTable> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        AdaTable::parse(&text, t)
    }

    /// An ADA two occupations share, if any.
    pub fn shared(&self, a: OccupationId, b: OccupationId) -> Option<&str> {
        let (x, y) = (self.by_occupation.get(&a)?, self.by_occupation.get(&b)?);
        x.iter()
            .find(|i| y.contains(i))
            .map(|&i| self.names[i as usize].as_str())
    }

    /// `sha256:` of the table's text.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}
