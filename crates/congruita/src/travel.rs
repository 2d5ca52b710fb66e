//! A table of average travel times by public transport between comuni, when a Region supplies
//! one: the DM's alternative to the distance ("o comunque è mediamente raggiungibile in … minuti
//! con i mezzi di trasporto pubblici"). Without a table, travel time is "not assessed", never
//! estimated.
//!
//! CSV with a header `origine,destinazione,minuti`: ISTAT codes of the comune of the domicilio
//! and of the workplace, and whole minutes (0–1,440). A pair is directed (the way there may take
//! longer than the way back) and appears once.

use std::path::Path;

use rustc_hash::FxHashMap;

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::reference::{ComuneIdx, Reference};

/// Minutes by public transport from a comune to another.
#[derive(Debug, Clone, Default)]
pub struct TravelTimes {
    minutes: FxHashMap<(ComuneIdx, ComuneIdx), u16>,
    digest: String,
}

impl TravelTimes {
    /// Parses a table; an unknown comune, minutes out of range or a repeated pair is an error
    /// naming the line.
    pub fn parse(text: &str, r: &Reference) -> Result<TravelTimes> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| Error::data("travel times", e.to_string()))?
            .clone();
        if headers.iter().collect::<Vec<_>>() != ["origine", "destinazione", "minuti"] {
            return Err(Error::Input(InputError::new(
                "header",
                FieldReason::Inconsistent("expected `origine,destinazione,minuti`".into()),
            )));
        }
        let mut minutes = FxHashMap::default();
        for (n, row) in rdr.records().enumerate() {
            let line = n + 2;
            let row = row.map_err(|e| Error::data("travel times", format!("line {line}: {e}")))?;
            let comune = |k: usize, field: &str| {
                let code = row.get(k).unwrap_or("");
                r.territory.comune(code).ok_or_else(|| {
                    Error::Input(
                        InputError::new(
                            field,
                            FieldReason::UnknownCode {
                                value: code.to_owned(),
                                list: "data/territorio/comuni.csv",
                            },
                        )
                        .with_row(line),
                    )
                })
            };
            let (from, to) = (comune(0, "origine")?, comune(1, "destinazione")?);
            let text = row.get(2).unwrap_or("");
            let m: u16 = text.parse().ok().filter(|m| *m <= 1_440).ok_or_else(|| {
                Error::Input(
                    InputError::new(
                        "minuti",
                        FieldReason::OutOfRange {
                            value: text.to_owned(),
                            range: "whole minutes 0 to 1,440",
                        },
                    )
                    .with_row(line),
                )
            })?;
            if minutes.insert((from, to), m).is_some() {
                return Err(Error::Input(
                    InputError::new(
                        "origine",
                        FieldReason::Inconsistent("this pair is already in the table".into()),
                    )
                    .with_row(line),
                ));
            }
        }
        Ok(TravelTimes {
            minutes,
            digest: sha256_tagged(text.as_bytes()),
        })
    }

    /// Reads a table from a file.
    pub fn read(path: &Path, r: &Reference) -> Result<TravelTimes> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        TravelTimes::parse(&text, r)
    }

    /// Minutes from the comune `from` to the comune `to`, when the table has the pair.
    pub fn minutes(&self, from: ComuneIdx, to: ComuneIdx) -> Option<u32> {
        self.minutes.get(&(from, to)).map(|&m| u32::from(m))
    }

    /// `sha256:` of the table's text.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Pairs in the table.
    pub fn len(&self) -> usize {
        self.minutes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_directed_and_bad_rows_are_named() {
        let r = Reference::bundled();
        let t = TravelTimes::parse("origine,destinazione,minuti\n058091,058120,35\n", r).unwrap();
        let (roma, fiumicino) = (
            r.territory.comune("058091").unwrap(),
            r.territory.comune("058120").unwrap(),
        );
        assert_eq!(t.minutes(roma, fiumicino), Some(35));
        assert_eq!(t.minutes(fiumicino, roma), None);
        for (text, field) in [
            ("origine,destinazione,minuti\n999999,058120,35\n", "origine"),
            (
                "origine,destinazione,minuti\n058091,058120,2000\n",
                "minuti",
            ),
            (
                "origine,destinazione,minuti\n058091,058120,3\n058091,058120,4\n",
                "origine",
            ),
        ] {
            match TravelTimes::parse(text, r).unwrap_err() {
                Error::Input(e) => assert_eq!((e.field.as_str(), e.row.is_some()), (field, true)),
                other => panic!("{other}"),
            }
        }
    }
}
