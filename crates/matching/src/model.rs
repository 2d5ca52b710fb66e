//! The shortlist scoring model (`models/matching/*.toml`): every number that changes a rank.
//!
//! A model file holds the weights of the five named parts of a score, the credits for
//! experience in a related occupation, the credit for an unknown level of study, the
//! parameters of the competency vectors, the narrowing suggestions offered, the title
//! resolution threshold and the query and rosa bounds. `docs/matching-model.md` explains it field
//! by field.
//!
//! `default.v1` was released before most sections existed and cannot change: a section it
//! lacks takes the values v1 was released with ([`MatchingModel::V1_DEFAULTS`], the numbers
//! that were in code then), so its rosas are unchanged. A file of version 2 or later must state
//! every section: nothing is taken from code.

use serde::{Deserialize, Serialize};

use incrocio_core::digest::sha256_tagged;
use incrocio_core::error::ModelError;
use incrocio_core::status::Status;

/// Weights of the parts (each part's value is in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Lexical relevance (normalised BM25).
    pub lessicale: f64,
    /// Competency-vector similarity.
    pub competenze: f64,
    /// Experience in the same or a related occupation.
    pub esperienza: f64,
    /// Education fit.
    pub istruzione: f64,
    /// Nearness.
    pub distanza: f64,
}

impl Weights {
    /// The weights in part order (lessicale, competenze, esperienza, istruzione, distanza).
    pub fn as_array(&self) -> [f64; 5] {
        [
            self.lessicale,
            self.competenze,
            self.esperienza,
            self.istruzione,
            self.distanza,
        ]
    }
}

/// Credits of the `esperienza` part below a same-occupation experience (which is 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsperienzaParams {
    /// Credit for an experience in the same ISCO-08 unit group.
    pub adjacent: f64,
    /// Credit per unit of similarity for an experience in an adjacent occupation (profilo di
    /// prossimità, ESCO skill overlap): the part is `proximity × similarity` (0 in v1).
    #[serde(default)]
    pub proximity: f64,
    /// Adjacent occupations considered per occupation, nearest first (0 in v1: none).
    #[serde(default)]
    pub neighbours: usize,
    /// Smallest similarity for an occupation to count as adjacent.
    #[serde(default)]
    pub min_similarity: f64,
    /// Credit when the vacancy's occupation is one the person declared in the patto di
    /// servizio (`occupazioni_disponibili`), on both sides (shortlist and offers); 0 before v3,
    /// which states it.
    #[serde(default)]
    pub declared: f64,
    /// Credit for the same ISCO-08 minor group (3 digits), with soft occupations (0 before v4).
    #[serde(default)]
    pub minor_group: f64,
}

/// The `istruzione` part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IstruzioneParams {
    /// Value when the candidate's level of study is unknown (1 when known and meeting the
    /// minimum; a candidate below the minimum is not eligible).
    pub unknown: f64,
}

/// How competency vectors are built (`src/matching/vectors.rs`). Candidate vectors are built
/// when the index is written, so an index records these and refuses a model that differs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorParams {
    /// Weight of an occupation's essential skill.
    pub essential: f64,
    /// Weight of an optional skill.
    pub optional: f64,
    /// Weight of a skill the vacancy requires explicitly.
    pub required: f64,
    /// Weight of a skill the candidate declares.
    pub declared: f64,
    /// Months of experience at which its weight reaches 1 − 1/e (`1 − e^(−months/this)`).
    pub saturation_months: f64,
    /// Years after which an ended experience weighs half.
    pub half_life_years: f64,
    /// Smallest inverse occupation frequency of a skill.
    pub idf_floor: f64,
}

/// Narrowing suggestions offered when more candidates qualify than the rosa holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionParams {
    /// Minimum levels of study (0–12) proposed.
    pub levels: Vec<u8>,
    /// Radii (km) proposed.
    pub radii_km: Vec<u32>,
    /// A language requirement proposed when the vacancy asks none: `tab_lingue` code.
    pub language: String,
    /// Its CEFR level (`A1` … `C2`).
    pub language_level: String,
    /// With soft occupations, the least expected match that counts a candidate as experienced
    /// in the vacancy's occupation for the suggestion "esperienza nella stessa professione"
    /// (stated from version 4; unread before, when the relation is exact).
    #[serde(default)]
    pub soft_same: f64,
}

/// Free-text job titles → occupations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleParams {
    /// Smallest confidence (0–1) at which a title resolves to an occupation; below it the title
    /// is "unresolved". v1: exact labels only (`1.0` and word order, gender and number forms
    /// not folded).
    pub min_confidence: f64,
    /// Whether inexact matches are tried at all (false in v1).
    pub fuzzy: bool,
    /// Soft occupations (version 4 on): a title resolves to its `top_k` most likely occupations
    /// with calibrated probabilities ([`incrocio_taxonomy::ngrams::SoftTitles`]); 0: to one
    /// occupation, by the word index and `min_confidence` (versions 1 to 3).
    #[serde(default)]
    pub top_k: u32,
    /// Softmax temperature of the n-gram cosines (fitted by `incrocio train titles`).
    #[serde(default)]
    pub temperature: f64,
    /// Smallest best n-gram cosine at which a title names any occupation.
    #[serde(default)]
    pub min_cosine: f64,
    /// The weight of the occupations a candidate's free text (`competenze_testo`, the sentences
    /// of `sintesi`) names, as a share of an experience's: their probabilities are multiplied
    /// by it (0 before version 4: free text reaches only the lexical part).
    #[serde(default)]
    pub free_text: f64,
    /// Occupations of a title's distribution below this probability are left out (version 5
    /// on; 0, none, before): a fifth occupation at 0.01 added as many skills to a vector as the
    /// first and a value to every candidate's occupations, for a credit of a hundredth.
    #[serde(default)]
    pub min_probability: f64,
    /// Whether a title is cleaned of what ads add to it before it is resolved (version 6 on;
    /// false before): gender endings and markers, ad words, abbreviations, places
    /// ([`incrocio_taxonomy::clean`]).
    #[serde(default)]
    pub clean: bool,
}

impl TitleParams {
    /// The soft resolution these parameters ask for, if any.
    pub fn soft(&self) -> Option<incrocio_taxonomy::ngrams::SoftTitles> {
        (self.top_k > 0).then_some(incrocio_taxonomy::ngrams::SoftTitles {
            top_k: self.top_k as usize,
            temperature: self.temperature,
            min_cosine: self.min_cosine,
            min_probability: self.min_probability,
            clean: self.clean,
        })
    }
}

/// The `lessicale` part (version 4 on): the share of it taken by the character n-gram
/// similarity of titles, beside the stemmed BM25 of words.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexicalParams {
    /// `lessicale = (1 − ngram) × BM25 / best BM25 + ngram × n-gram score / best n-gram score`
    /// (0 before version 4: BM25 only).
    pub ngram: f64,
    /// A gram held by more than this share of the candidates (or of the open vacancies, in
    /// offers) is not searched: it weighs little (its idf is low) and its postings cost the
    /// most (`_ad`, `ore_`). 1: every gram.
    #[serde(default = "every_gram")]
    pub max_gram_share: f64,
}

fn every_gram() -> f64 {
    1.0
}

/// Rosa size rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosaParams {
    /// Names sent when the employer does not ask for a size.
    pub default_size: u32,
    /// The most a request may ask for.
    pub max_size: u32,
}

/// Bounds on the query a vacancy makes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParams {
    /// Distinct analyzed words of title and description searched at most; the rest are
    /// dropped with a warning in the answer.
    pub max_terms: usize,
}

/// The BM25 of the lexical part. The shortlist's is tantivy's, whose `k1` and `b` are fixed
/// (1.2 and 0.75); the offers compute the same BM25 over vacancy texts. A model states them so
/// that every number of the scorer is in its file, and [`MatchingModel::parse`] refuses other
/// values: the index could not honour them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bm25Params {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation.
    pub b: f32,
}

impl Bm25Params {
    /// tantivy's BM25 (`tantivy::query::bm25`), what the index computes.
    pub const TANTIVY: Bm25Params = Bm25Params { k1: 1.2, b: 0.75 };
}

fn no_ngrams() -> LexicalParams {
    LexicalParams {
        ngram: 0.0,
        max_gram_share: 1.0,
    }
}

fn released_bm25() -> Bm25Params {
    Bm25Params::TANTIVY
}

/// A matching model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchingModel {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Illustrative, official or fitted.
    pub status: Status,
    /// What it is.
    pub description: String,
    /// Part weights.
    pub weights: Weights,
    /// Experience credits.
    pub esperienza: EsperienzaParams,
    /// The education part.
    #[serde(default = "v1_istruzione")]
    pub istruzione: IstruzioneParams,
    /// Competency vectors.
    #[serde(default = "v1_vectors")]
    pub vectors: VectorParams,
    /// Narrowing suggestions.
    #[serde(default = "v1_suggestions")]
    pub suggestions: SuggestionParams,
    /// Title resolution.
    #[serde(default = "v1_titles")]
    pub titles: TitleParams,
    /// Rosa size rules.
    pub rosa: RosaParams,
    /// Query bounds.
    #[serde(default = "v1_query")]
    pub query: QueryParams,
    /// The lexical part's BM25; files before version 4 were released with tantivy's, which
    /// they take.
    #[serde(default = "released_bm25")]
    pub bm25: Bm25Params,
    /// The lexical part's n-gram share (version 4 on).
    #[serde(default = "no_ngrams")]
    pub lessicale: LexicalParams,
    /// SHA-256 of the file.
    #[serde(skip)]
    pub digest: String,
}

/// The sections `default.v1` lacks, with the values it was released with.
pub struct V1Defaults {
    /// `[istruzione]`.
    pub istruzione: IstruzioneParams,
    /// `[vectors]`.
    pub vectors: VectorParams,
    /// `[titles]`.
    pub titles: TitleParams,
    /// `[query]`.
    pub query: QueryParams,
}

fn v1_istruzione() -> IstruzioneParams {
    MatchingModel::V1_DEFAULTS.istruzione
}
fn v1_vectors() -> VectorParams {
    MatchingModel::V1_DEFAULTS.vectors
}
fn v1_titles() -> TitleParams {
    MatchingModel::V1_DEFAULTS.titles
}
fn v1_query() -> QueryParams {
    MatchingModel::V1_DEFAULTS.query
}
fn v1_suggestions() -> SuggestionParams {
    SuggestionParams {
        levels: vec![4, 7],
        radii_km: vec![10, 25, 50],
        language: "001".into(),
        language_level: "B1".into(),
        soft_same: 0.0,
    }
}

/// The sections a file of version 2 or later must state.
const REQUIRED_FROM_V2: [&str; 5] = ["istruzione", "vectors", "suggestions", "titles", "query"];

impl MatchingModel {
    /// What `default.v1` was released with for the sections it does not state (the constants
    /// that were in code until v2): the education credit 0.5, the vector weights 1 / ½ / 2 / 1,
    /// 24 months' saturation, a 5-year half-life, an idf floor of 0.1, exact titles only and
    /// 1,024 query words.
    pub const V1_DEFAULTS: V1Defaults = V1Defaults {
        istruzione: IstruzioneParams { unknown: 0.5 },
        vectors: VectorParams {
            essential: 1.0,
            optional: 0.5,
            required: 2.0,
            declared: 1.0,
            saturation_months: 24.0,
            half_life_years: 5.0,
            idf_floor: 0.1,
        },
        titles: TitleParams {
            min_confidence: 1.0,
            fuzzy: false,
            top_k: 0,
            temperature: 0.0,
            min_cosine: 0.0,
            free_text: 0.0,
            min_probability: 0.0,
            clean: false,
        },
        query: QueryParams { max_terms: 1_024 },
    };

    /// Parses and checks a model file: weights finite, non-negative, not all zero; credits in
    /// [0, 1]; sizes and bounds in range; from version 2 every section stated.
    pub fn parse(file: &str, text: &str) -> Result<MatchingModel, ModelError> {
        let mut m: MatchingModel =
            toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
        if m.version >= 2 {
            let table: toml::Table =
                toml::from_str(text).map_err(|e| ModelError::toml(file, text, &e))?;
            if let Some(missing) = REQUIRED_FROM_V2.iter().find(|k| !table.contains_key(**k)) {
                return Err(ModelError::new(
                    file,
                    *missing,
                    "a model of version 2 or later states every section",
                ));
            }
            let declared = table
                .get("esperienza")
                .and_then(|e| e.as_table())
                .is_some_and(|e| e.contains_key("declared"));
            if m.version >= 4 && !table.contains_key("bm25") {
                return Err(ModelError::new(
                    file,
                    "bm25",
                    "a model of version 4 or later states every section",
                ));
            }
            if m.version >= 4 {
                let titles = table.get("titles").and_then(|e| e.as_table());
                let suggestions = table.get("suggestions").and_then(|e| e.as_table());
                if !suggestions.is_some_and(|t| t.contains_key("soft_same")) {
                    return Err(ModelError::new(
                        file,
                        "suggestions.soft_same",
                        "a model of version 4 or later states its soft occupations",
                    ));
                }
                for key in ["top_k", "temperature", "min_cosine", "free_text"] {
                    if !titles.is_some_and(|t| t.contains_key(key)) {
                        return Err(ModelError::new(
                            file,
                            format!("titles.{key}"),
                            "a model of version 4 or later states its soft occupations",
                        ));
                    }
                }
                let minor = table
                    .get("esperienza")
                    .and_then(|e| e.as_table())
                    .is_some_and(|e| e.contains_key("minor_group"));
                if !minor {
                    return Err(ModelError::new(
                        file,
                        "esperienza.minor_group",
                        "a model of version 4 or later states the credit of the same minor group",
                    ));
                }
                if !table.contains_key("lessicale") {
                    return Err(ModelError::new(
                        file,
                        "lessicale",
                        "a model of version 4 or later states every section",
                    ));
                }
            }
            // `[titles]` keys each version on states (absent before it, they read as 0 / false).
            let titles = table.get("titles").and_then(|e| e.as_table());
            for (since, key, what) in [
                (
                    5,
                    "min_probability",
                    "the least probability an occupation of a title keeps",
                ),
                (
                    6,
                    "clean",
                    "whether titles are cleaned of what ads add to them",
                ),
            ] {
                if m.version >= since && !titles.is_some_and(|t| t.contains_key(key)) {
                    return Err(ModelError::new(
                        file,
                        format!("titles.{key}"),
                        format!("a model of version {since} or later states {what}"),
                    ));
                }
            }
            if m.version >= 3 && !declared {
                return Err(ModelError::new(
                    file,
                    "esperienza.declared",
                    "a model of version 3 or later states the credit of a declared occupation",
                ));
            }
        }
        m.check(file)?;
        m.digest = sha256_tagged(text.as_bytes());
        Ok(m)
    }

    fn check(&self, file: &str) -> Result<(), ModelError> {
        let bad = |key: &str, reason: &str| Err(ModelError::new(file, key, reason));
        if self.bm25 != Bm25Params::TANTIVY {
            return bad(
                "bm25",
                "the index's BM25 is tantivy's, with k1 = 1.2 and b = 0.75: other values cannot be honoured",
            );
        }
        let w = self.weights;
        let names = [
            "lessicale",
            "competenze",
            "esperienza",
            "istruzione",
            "distanza",
        ];
        for (name, v) in names.iter().zip(w.as_array()) {
            if !v.is_finite() || v < 0.0 {
                return bad(&format!("weights.{name}"), "must be a finite number ≥ 0");
            }
        }
        if w.as_array().iter().sum::<f64>() <= 0.0 {
            return bad("weights", "all weights are zero");
        }
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        for (key, v) in [
            ("esperienza.adjacent", self.esperienza.adjacent),
            ("esperienza.proximity", self.esperienza.proximity),
            ("esperienza.min_similarity", self.esperienza.min_similarity),
            ("esperienza.declared", self.esperienza.declared),
            ("istruzione.unknown", self.istruzione.unknown),
            ("titles.min_confidence", self.titles.min_confidence),
            ("esperienza.minor_group", self.esperienza.minor_group),
            ("titles.min_cosine", self.titles.min_cosine),
            ("titles.free_text", self.titles.free_text),
            ("lessicale.ngram", self.lessicale.ngram),
            ("lessicale.max_gram_share", self.lessicale.max_gram_share),
            ("suggestions.soft_same", self.suggestions.soft_same),
        ] {
            if !unit(v) {
                return bad(key, "must be in [0, 1]");
            }
        }
        if self.titles.top_k > 20 {
            return bad("titles.top_k", "must be at most 20");
        }
        let p = self.titles.min_probability;
        if !(p.is_finite()
            && p >= 0.0
            && (self.titles.top_k == 0 || p * f64::from(self.titles.top_k) < 1.0))
        {
            return bad(
                "titles.min_probability",
                "must be ≥ 0 and below 1 / top_k (the most probable occupation always stays)",
            );
        }
        if self.titles.top_k > 0
            && !(self.titles.temperature.is_finite() && self.titles.temperature > 0.0)
        {
            return bad("titles.temperature", "must be a finite number > 0");
        }
        if self.esperienza.neighbours > 50 {
            return bad("esperienza.neighbours", "must be at most 50");
        }
        let v = self.vectors;
        for (key, x) in [
            ("vectors.essential", v.essential),
            ("vectors.optional", v.optional),
            ("vectors.required", v.required),
            ("vectors.declared", v.declared),
            ("vectors.idf_floor", v.idf_floor),
        ] {
            if !x.is_finite() || x < 0.0 {
                return bad(key, "must be a finite number ≥ 0");
            }
        }
        for (key, x) in [
            ("vectors.saturation_months", v.saturation_months),
            ("vectors.half_life_years", v.half_life_years),
        ] {
            if !x.is_finite() || x <= 0.0 {
                return bad(key, "must be a finite number > 0");
            }
        }
        if self.suggestions.levels.iter().any(|&l| l > 12) {
            return bad("suggestions.levels", "levels of study are 0–12");
        }
        if self
            .suggestions
            .radii_km
            .iter()
            .any(|&r| r == 0 || r > 1_500)
        {
            return bad("suggestions.radii_km", "radii are 1–1,500 km");
        }
        if super::candidate::language_key(&self.suggestions.language).is_none() {
            return bad("suggestions.language", "not a tab_lingue code");
        }
        if super::candidate::cefr(&self.suggestions.language_level).is_none() {
            return bad("suggestions.language_level", "not a CEFR level A1…C2");
        }
        if self.rosa.default_size == 0 || self.rosa.default_size > self.rosa.max_size {
            return bad("rosa.default_size", "must be between 1 and rosa.max_size");
        }
        if self.query.max_terms == 0 || self.query.max_terms > 65_536 {
            return bad("query.max_terms", "must be between 1 and 65,536");
        }
        Ok(())
    }

    /// The rosa size for a request: `size`, else the vacancy's `dimensione_rosa`, else the
    /// model's default. Outside 1 to `rosa.max_size` it is the caller's error naming the field
    /// that gave it (never clamped).
    pub fn rosa_size(
        &self,
        size: Option<u32>,
        dimensione_rosa: Option<u32>,
    ) -> Result<usize, incrocio_core::Error> {
        let (field, asked) = match (size, dimensione_rosa) {
            (Some(s), _) => ("size", s),
            (None, Some(d)) => ("vacancy.dimensione_rosa", d),
            (None, None) => return Ok(self.rosa.default_size as usize),
        };
        if asked == 0 || asked > self.rosa.max_size {
            return Err(incrocio_core::Error::Input(incrocio_core::InputError::new(
                field,
                incrocio_core::FieldReason::Inconsistent(format!(
                    "{asked} is out of range: a rosa holds 1 to {} names (rosa.max_size of {})",
                    self.rosa.max_size,
                    self.key()
                )),
            )));
        }
        Ok(asked as usize)
    }

    /// `id@vN`.
    pub fn key(&self) -> String {
        format!("{}@v{}", self.id, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_models_load_and_bad_values_are_named() {
        let file = |v: u32, text: &str| MatchingModel::parse(&format!("default.v{v}.toml"), text);
        let v3 = file(3, include_str!("../../../models/matching/default.v3.toml")).unwrap();
        assert_eq!(v3.key(), "default@v3");
        assert_eq!(v3.esperienza.declared, 0.8);
        // v1 and v2 were released without a declared-occupation credit: 0.
        let v2 = file(2, include_str!("../../../models/matching/default.v2.toml")).unwrap();
        assert_eq!(v2.esperienza.declared, 0.0);
        let v1 = file(1, include_str!("../../../models/matching/default.v1.toml")).unwrap();
        assert_eq!(v1.rosa.default_size, 15);
        // v1 takes the values it was released with.
        assert_eq!(v1.vectors, MatchingModel::V1_DEFAULTS.vectors);
        assert_eq!(v1.istruzione.unknown, 0.5);
        assert_eq!(v1.esperienza.neighbours, 0);
        let text = include_str!("../../../models/matching/default.v1.toml")
            .replace("distanza = 0.10", "distanza = -1.0");
        let e = MatchingModel::parse("x.toml", &text).unwrap_err();
        assert_eq!(e.key, "weights.distanza");
    }

    /// The BM25 constants are in the file: taken as released before v4, stated from v4, and
    /// refused when the index could not honour them.
    #[test]
    fn bm25_is_stated_from_version_4_and_must_be_the_indexs() {
        let v3 = include_str!("../../../models/matching/default.v3.toml");
        let m = MatchingModel::parse("v3.toml", v3).unwrap();
        assert_eq!(m.bm25, Bm25Params::TANTIVY);
        let v4 = include_str!("../../../models/matching/default.v4.toml");
        assert_eq!(MatchingModel::parse("v4.toml", v4).unwrap().bm25.k1, 1.2);
        let cut = v4
            .replace("[bm25]\n", "")
            .replace("k1 = 1.2\nb = 0.75\n", "");
        let e = MatchingModel::parse("v4.toml", &cut).unwrap_err();
        assert_eq!(e.key, "bm25");
        let other = v4.replace("k1 = 1.2", "k1 = 2.0");
        let e = MatchingModel::parse("v4.toml", &other).unwrap_err();
        assert_eq!(e.key, "bm25");
    }

    /// From v4 the soft occupations, the minor-group credit and the lexical n-gram share are
    /// stated, and a soft resolution needs a positive temperature.
    #[test]
    fn version_4_states_its_soft_occupations() {
        let v4 = include_str!("../../../models/matching/default.v4.toml");
        let m = MatchingModel::parse("v4.toml", v4).unwrap();
        assert_eq!(m.titles.top_k, 5);
        assert_eq!(m.esperienza.minor_group, 0.25);
        assert_eq!(m.lessicale.ngram, 0.5);
        assert!(m.titles.soft().is_some());
        for (cut, key) in [
            ("top_k = 5\n", "titles.top_k"),
            ("free_text = 0.5\n", "titles.free_text"),
            ("minor_group = 0.25\n", "esperienza.minor_group"),
            ("[lessicale]\n", "lessicale"),
            ("soft_same = 0.5\n", "suggestions.soft_same"),
        ] {
            let text = if key == "lessicale" {
                let gone = v4.replace("[lessicale]\n", "").replace("ngram = 0.5\n", "");
                gone.replace("max_gram_share = 0.02\n", "")
            } else {
                v4.replace(cut, "")
            };
            assert_eq!(MatchingModel::parse("v4.toml", &text).unwrap_err().key, key);
        }
        let cold = v4.replace("temperature = 0.07079457843841379", "temperature = 0.0");
        let e = MatchingModel::parse("v4.toml", &cold).unwrap_err();
        assert_eq!(e.key, "titles.temperature");
        let over = v4.replace("ngram = 0.5", "ngram = 1.5");
        let e = MatchingModel::parse("v4.toml", &over).unwrap_err();
        assert_eq!(e.key, "lessicale.ngram");
        // Versions 1 to 3 resolve one occupation: no soft resolution, no n-gram share.
        let v3 = include_str!("../../../models/matching/default.v3.toml");
        let m = MatchingModel::parse("v3.toml", v3).unwrap();
        assert!(m.titles.soft().is_none());
        assert_eq!(m.lessicale.ngram, 0.0);
    }

    /// From v5 a title's distribution states the least probability it keeps; it must leave the
    /// most probable occupation (below 1 / top_k), and v4 keeps every one.
    #[test]
    fn version_5_states_the_least_probability_kept() {
        let v5 = include_str!("../../../models/matching/default.v5.toml");
        let m = MatchingModel::parse("v5.toml", v5).unwrap();
        assert_eq!(m.titles.min_probability, 0.02);
        assert_eq!(m.titles.soft().unwrap().min_probability, 0.02);
        let cut = v5.replace("min_probability = 0.02\n", "");
        let e = MatchingModel::parse("v5.toml", &cut).unwrap_err();
        assert_eq!(e.key, "titles.min_probability");
        // top_k = 5: 0.2 could leave a title with nothing; just below it cannot.
        for (bad, ok) in [
            ("0.2", false),
            ("0.19", true),
            ("-0.01", false),
            ("nan", false),
        ] {
            let text = v5.replace(
                "min_probability = 0.02",
                &format!("min_probability = {bad}"),
            );
            match MatchingModel::parse("v5.toml", &text) {
                Ok(_) => assert!(ok, "{bad} accepted"),
                Err(e) => {
                    assert!(!ok, "{bad} refused: {e}");
                    assert_eq!(e.key, "titles.min_probability");
                }
            }
        }
        let v4 = include_str!("../../../models/matching/default.v4.toml");
        assert_eq!(
            MatchingModel::parse("v4.toml", v4)
                .unwrap()
                .titles
                .min_probability,
            0.0
        );
    }

    /// From v6 a model states whether titles are cleaned; v5 and before do not clean, and the
    /// index's parameter line carries it (an index built for v5 is not one for v6).
    #[test]
    fn version_6_states_whether_titles_are_cleaned() {
        let v6 = include_str!("../../../models/matching/default.v6.toml");
        let m = MatchingModel::parse("v6.toml", v6).unwrap();
        assert!(m.titles.clean);
        assert!(m.titles.soft().unwrap().clean);
        let cut = v6.replace("clean = true\n", "");
        let e = MatchingModel::parse("v6.toml", &cut).unwrap_err();
        assert_eq!(e.key, "titles.clean");
        let v5 = include_str!("../../../models/matching/default.v5.toml");
        let m5 = MatchingModel::parse("v5.toml", v5).unwrap();
        assert!(!m5.titles.clean);
        assert_ne!(crate::IndexParams::of(&m), crate::IndexParams::of(&m5));
        // Everything else is v5's.
        let same = MatchingModel {
            titles: m5.titles,
            version: m5.version,
            description: m5.description.clone(),
            digest: m5.digest.clone(),
            ..m
        };
        assert_eq!(same, m5);
    }

    #[test]
    fn from_version_2_every_section_is_stated() {
        let text = include_str!("../../../models/matching/default.v2.toml");
        let cut = text.replace("[titles]", "[titles_gone]");
        let e = MatchingModel::parse("x.toml", &cut).unwrap_err();
        assert!(e.key == "titles" || e.reason.contains("titles_gone"), "{e}");
        // From v3 the declared-occupation credit is stated.
        let v3 = include_str!("../../../models/matching/default.v3.toml");
        let e = MatchingModel::parse("x.toml", &v3.replace("declared = 0.8", "")).unwrap_err();
        assert_eq!(e.key, "esperienza.declared");
        let bad = text.replace("idf_floor = 0.1", "idf_floor = -0.1");
        assert_eq!(
            MatchingModel::parse("x.toml", &bad).unwrap_err().key,
            "vectors.idf_floor"
        );
    }
}
