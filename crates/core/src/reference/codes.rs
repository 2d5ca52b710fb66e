//! Ministerial code lists (citizenship, titolo di studio) and the questionnaire code lists.

use std::collections::BTreeMap;

use super::key::CodeMap;

use serde::Deserialize;

use super::csv_rows;
use crate::error::ModelError;

/// Citizenship group, the granularity profiling models use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GruppoCittadinanza {
    /// Italian (code `000`).
    Italiana,
    /// Another EU member state.
    Ue,
    /// Outside the EU.
    ExtraUe,
}

impl GruppoCittadinanza {
    /// The level name models use.
    pub fn as_str(self) -> &'static str {
        match self {
            GruppoCittadinanza::Italiana => "italiana",
            GruppoCittadinanza::Ue => "ue",
            GruppoCittadinanza::ExtraUe => "extra_ue",
        }
    }
}

/// A closed code list with optional aliases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    /// The codes, in a fixed order (their position is their compact id).
    pub codes: Vec<String>,
    /// Other spellings accepted for a code.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl CodeList {
    /// The position of a code or alias.
    pub fn position(&self, value: &str) -> Option<u8> {
        // Canonical codes first (the usual case, and no alias is spelled like a code: checked
        // when the lists are loaded), then the aliases.
        let at = |v: &str| self.codes.iter().position(|c| same(c, v)).map(|p| p as u8);
        at(value).or_else(|| self.aliases.get(value).and_then(|c| at(c)))
    }
}

/// Whether two strings are equal, compared inline 8 bytes at a time: every record looks up
/// four short codes, and a call to `memcmp` per code cost more than the comparison itself.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if u64::from_ne_bytes(p.try_into().unwrap_or([0; 8]))
            != u64::from_ne_bytes(q.try_into().unwrap_or([0; 8]))
        {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
}

/// All code lists.
#[derive(Debug)]
pub struct Codes {
    cittadinanze: CodeMap<GruppoCittadinanza>,
    titoli: CodeMap<u8>,
    questionnaire: BTreeMap<String, CodeList>,
    /// The four questionnaire lists, resolved once (hot path of validation).
    fixed: [CodeList; 4],
}

/// The questionnaire fields with a closed code list, in the order of `Codes::fixed`.
pub const QUESTIONNAIRE_FIELDS: [&str; 4] = [
    "DurataPresenzaInItalia",
    "CondizioneOccupazionaleUnAnnoPrima",
    "PosizioneProfessioneUltimaOccupazione",
    "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
];

impl Codes {
    pub(super) fn parse(
        cittadinanze: &str,
        titoli: &str,
        questionnaire: &str,
    ) -> Result<Self, ModelError> {
        let mut c = CodeMap::default();
        for row in csv_rows("data/codici/cittadinanze.csv", cittadinanze)? {
            let group = match (&row[0], &row[2]) {
                ("000", _) => GruppoCittadinanza::Italiana,
                (_, "S") => GruppoCittadinanza::Ue,
                _ => GruppoCittadinanza::ExtraUe,
            };
            c.insert(&row[0], group);
        }
        let mut t = CodeMap::default();
        for row in csv_rows("data/codici/titoli_studio.csv", titoli)? {
            let level = row[1].parse::<u8>().map_err(|_| {
                ModelError::new(
                    "data/codici/titoli_studio.csv",
                    "livello",
                    format!("bad level `{}`", &row[1]),
                )
            })?;
            t.insert(&row[0], level);
        }
        let questionnaire: BTreeMap<String, CodeList> =
            toml::from_str(questionnaire).map_err(|e| {
                ModelError::new("data/codici/variabili_profiling.toml", "", e.to_string())
            })?;
        let get = |f: &str| {
            questionnaire.get(f).cloned().ok_or_else(|| {
                ModelError::new(
                    "data/codici/variabili_profiling.toml",
                    f,
                    "code list missing",
                )
            })
        };
        for (field, list) in &questionnaire {
            if let Some(a) = list.aliases.keys().find(|a| list.codes.contains(a)) {
                return Err(ModelError::new(
                    "data/codici/variabili_profiling.toml",
                    field,
                    format!("alias `{a}` is spelled like a code of the list"),
                ));
            }
        }
        let fixed = [
            get(QUESTIONNAIRE_FIELDS[0])?,
            get(QUESTIONNAIRE_FIELDS[1])?,
            get(QUESTIONNAIRE_FIELDS[2])?,
            get(QUESTIONNAIRE_FIELDS[3])?,
        ];
        Ok(Codes {
            cittadinanze: c,
            titoli: t,
            questionnaire,
            fixed,
        })
    }

    /// The group of a ministerial citizenship code (`000` Italia), or of one of the DID's
    /// citizenship groups ([`DID_CITIZENSHIP_GROUPS`]).
    pub fn cittadinanza(&self, code: &str) -> Option<GruppoCittadinanza> {
        self.cittadinanze.get(code).or_else(|| {
            DID_CITIZENSHIP_GROUPS
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, g)| *g)
        })
    }

    /// The level (0–12) of a ministerial 8-digit titolo di studio code.
    pub fn livello_studio(&self, code: &str) -> Option<u8> {
        self.titoli.get(code)
    }

    /// The code list of `QUESTIONNAIRE_FIELDS[i]`.
    pub fn fixed(&self, i: usize) -> &CodeList {
        &self.fixed[i]
    }

    /// A questionnaire code list by field name (e.g. `CondizioneOccupazionaleUnAnnoPrima`).
    pub fn list(&self, field: &str) -> Option<&CodeList> {
        self.questionnaire.get(field)
    }

    /// Some citizenship codes of each group, sorted (for synthetic data).
    pub fn cittadinanza_codes(&self, group: GruppoCittadinanza) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .cittadinanze
            .entries()
            .filter(|(_, g)| *g == group)
            .map(|(k, _)| k)
            .collect();
        v.sort_unstable();
        v
    }

    /// Some titolo codes of a level, sorted (for synthetic data).
    pub fn titolo_codes(&self, level: u8) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .titoli
            .entries()
            .filter(|(_, l)| *l == level)
            .map(|(k, _)| k)
            .collect();
        v.sort_unstable();
        v
    }
}

/// The citizenship groups ANPAL's DID sends in `Cittadinanza` instead of a country (`A01`
/// EU, `A02` Italian, `A03` non-EU; regional SIL practice, the list is not published): a
/// record may carry them where only the group is known. Not in `tab_cittadinanze`, so never
/// drawn for synthetic people.
pub const DID_CITIZENSHIP_GROUPS: [(&str, GruppoCittadinanza); 3] = [
    ("A01", GruppoCittadinanza::Ue),
    ("A02", GruppoCittadinanza::Italiana),
    ("A03", GruppoCittadinanza::ExtraUe),
];

/// The driving licence codes of `tab_patenti` a record may carry.
pub const LICENCES: [&str; 8] = ["01", "02", "03", "04", "05", "06", "12", "13"];
/// The contract codes of `tab_tipologia_contr` a record may carry.
pub const CONTRACTS: [&str; 7] = ["A00", "A01", "A02", "A03", "A04", "A05", "A06"];
/// The working-time codes (`modalita`) a record may carry.
pub const MODES: [&str; 8] = ["Q1", "FT", "PT", "LT", "LN", "WE", "OS", "TL"];

#[cfg(test)]
mod tests {
    use super::same;

    proptest::proptest! {
        /// The inline comparison answers as `==` does: equal strings of every length across
        /// the 8-byte steps, and strings differing in one byte anywhere or in length.
        #[test]
        fn the_inline_comparison_is_equality(
            a in "[a-z_]{0,40}",
            at in 0usize..40,
        ) {
            proptest::prop_assert!(same(&a, &a.clone()));
            if let Some(&c) = a.as_bytes().get(at) {
                let mut b = a.clone().into_bytes();
                b[at] = if c == b'z' { b'_' } else { c + 1 };
                let b = String::from_utf8(b).expect("ascii");
                proptest::prop_assert_eq!(same(&a, &b), a == b);
            }
            let longer = format!("{a}x");
            proptest::prop_assert!(!same(&a, &longer));
            proptest::prop_assert!(!same(&longer, &a));
        }
    }
}
