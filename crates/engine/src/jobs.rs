//! Operators' file jobs over the engine: opening an index, reading applicants, the matching
//! evaluation and export, the title report and synthetic data. The binary calls these and
//! prints; no file format or domain rule lives in it.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use crate::Engine;
use incrocio_core::error::{Error, Result};
use incrocio_core::files::atomic_write;
use incrocio_graduatoria::{Applicant, Graduatoria};
use incrocio_matching::eval::EvalReport;
use incrocio_matching::{CandidateIndex, MatchingModel, VacancyRecord};
use incrocio_synth::{CvSpec, PeopleSpec, Synthetic};
use incrocio_taxonomy::titles::TitleReport;

/// What [`Engine::export_corpus`] wrote.
#[derive(Debug, Clone, Copy)]
pub struct Exported {
    /// Candidate rows.
    pub candidates: usize,
    /// Query rows (vacancies).
    pub queries: usize,
}

impl Engine {
    /// The same engine with the matching model of a file instead of the catalog's default
    /// (`None` keeps the engine's).
    pub fn with_matching_file(mut self, path: Option<&Path>) -> Result<Engine> {
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            self.matching = MatchingModel::parse(&path.display().to_string(), &text)?;
        }
        Ok(self)
    }

    /// The same engine with the candidate index in `dir` opened.
    pub fn open_index(self, dir: &Path) -> Result<Engine> {
        let index = CandidateIndex::open(dir)?;
        Ok(self.with_index(index))
    }

    /// The same engine with a travel-time table (CSV, `docs/congruita.md`).
    pub fn with_travel_times_file(self, path: &Path) -> Result<Engine> {
        let t = incrocio_congruita::TravelTimes::read(path, self.reference)?;
        Ok(self.with_travel_times(t))
    }

    /// The same engine with a regional table of ADA codes per occupation.
    pub fn with_ada_table_file(self, path: &Path) -> Result<Engine> {
        let t = incrocio_congruita::AdaTable::read(path, self.taxonomy())?;
        Ok(self.with_ada_table(t))
    }

    /// Reads a graduatoria's applicants (CSV or JSON, `docs/graduatoria.md`).
    pub fn read_applicants(&self, path: &Path) -> Result<Vec<Applicant>> {
        incrocio_graduatoria::files::read_applicants(path)
    }

    /// A graduatoria as the CSV published beside its JSON.
    pub fn graduatoria_csv(&self, g: &Graduatoria) -> Result<String> {
        incrocio_graduatoria::files::graduatoria_csv(g)
    }

    /// Evaluates the engine's matching model, and lexical-only ranking, on vacancies with
    /// their true occupation (`esco`) against the open index, whose candidates are read from
    /// `cvs` for their occupations.
    pub fn evaluate_matching(
        &self,
        cvs: &Path,
        vacancies: &Path,
        today: NaiveDate,
    ) -> Result<EvalReport> {
        self.check()?;
        let idx = self.require_index()?;
        let occupations = self.candidate_occupations(cvs, today)?;
        let records: Vec<VacancyRecord> = read_jsonl(vacancies, "a vacancy record")?;
        incrocio_matching::eval::evaluate(
            idx,
            &records,
            &occupations,
            &self.matching,
            self.reference,
            self.taxonomy(),
        )
    }

    /// Each candidate of a CV file (as [`Engine::read_candidates`] reads them) with its
    /// resolved occupations: what relevance is graded against.
    pub(crate) fn candidate_occupations<C: FromIterator<(String, Vec<u32>)>>(
        &self,
        cvs: &Path,
        today: NaiveDate,
    ) -> Result<C> {
        Ok(self
            .read_candidates(cvs, today)?
            .into_iter()
            .map(|c| {
                (
                    c.record.id.clone(),
                    c.occupazioni.iter().flatten().copied().collect(),
                )
            })
            .collect())
    }

    /// Writes the open index's candidates and the vacancies as feature rows
    /// (`candidates.jsonl`, `queries.jsonl` in `out`) for learning-to-rank elsewhere.
    pub fn export_corpus(
        &self,
        cvs: &Path,
        vacancies: &Path,
        out: &Path,
        today: NaiveDate,
    ) -> Result<Exported> {
        use incrocio_matching::export::{candidate_row, query_row};
        let t = self.taxonomy();
        self.check()?;
        let idx = self.require_index()?;
        let model = &self.matching;
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        let candidates = self.read_candidates(cvs, today)?;
        let path = out.join("candidates.jsonl");
        atomic_write(&path, |w| {
            for c in &candidates {
                serde_json::to_writer(&mut *w, &candidate_row(idx, c, t))
                    .map_err(|e| Error::data(&path, e))?;
                w.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
            }
            Ok(())
        })?;
        let records: Vec<VacancyRecord> = read_jsonl(vacancies, "a vacancy record")?;
        let qpath = out.join("queries.jsonl");
        let mut lines = String::new();
        let queries = records.len();
        for mut v in records {
            let truth = v.esco.take().and_then(|u| t.occupation(&u));
            v.cp2011 = None;
            let vacancy = v.validate(self.reference, t, &model.titles)?;
            let row = serde_json::to_string(&query_row(idx, &vacancy, model, truth, t))
                .map_err(|e| Error::data(&qpath, e))?;
            lines.push_str(&row);
            lines.push('\n');
        }
        atomic_write(&qpath, |w| {
            w.write_all(lines.as_bytes())
                .map_err(|e| Error::io(&qpath, e))
        })?;
        Ok(Exported {
            candidates: candidates.len(),
            queries,
        })
    }

    /// The title-resolution report: held-out taxonomy labels (one in `holdout`) and job-ad
    /// titles with their ISCO unit groups (`text`: TSV, title and units), under the engine's
    /// resolution threshold.
    pub fn title_report(&self, text: &str, holdout: u64) -> TitleReport {
        let cases = incrocio_taxonomy::titles::isco_cases(text);
        incrocio_taxonomy::titles::report(
            self.taxonomy(),
            &cases,
            holdout,
            self.matching.titles.min_confidence,
        )
    }

    /// Title-to-title retrieval on development sets built from the taxonomy (held-out labels,
    /// and the job-ad titles of `text` with their ISCO unit groups): nDCG@10 of each method
    /// (`incrocio_research::titles`), at this engine's resolution threshold.
    pub fn title_ranking(
        &self,
        text: &str,
        judged: &incrocio_research::titles::Judgments,
        mut o: incrocio_research::titles::RankingOptions,
    ) -> incrocio_research::titles::TitleRanking {
        o.min_confidence = self.matching.titles.min_confidence;
        let ads = incrocio_taxonomy::titles::isco_cases(text);
        incrocio_research::titles::title_ranking(self.taxonomy(), &ads, judged, &o)
    }

    /// The same sets run through the rosa of each of `models` (an index each, under `dir`):
    /// [`incrocio_research::titles::rosa_ranking`].
    pub fn title_rosa_ranking(
        &self,
        text: &str,
        judged: &incrocio_research::titles::Judgments,
        o: incrocio_research::titles::RankingOptions,
        models: &[MatchingModel],
        dir: &Path,
    ) -> Result<Vec<incrocio_research::titles::RosaFigures>> {
        let ads = incrocio_taxonomy::titles::isco_cases(text);
        incrocio_research::titles::rosa_ranking(models, &ads, judged, &o, dir)
    }

    /// The title model fitted on held-out labels, as the text of its model file
    /// (`models/titles/ngram.vN.toml`); errors when `o` asks for nothing sensible.
    pub fn train_titles(
        &self,
        o: &incrocio_research::titles::TrainOptions,
        version: u32,
    ) -> Result<String> {
        let bad = |field: &str, why: &str| {
            Err(incrocio_core::Error::Input(incrocio_core::InputError::new(
                field,
                incrocio_core::FieldReason::Inconsistent(why.into()),
            )))
        };
        if o.top_k == 0 || o.top_k > 20 {
            return bad("top_k", "must be 1 to 20");
        }
        if !(0.0..=1.0).contains(&o.min_cosine) {
            return bad("min_cosine", "must be in [0, 1]");
        }
        if o.holdout_every < 2 {
            return bad("holdout", "must be at least 2");
        }
        if o.pool < 2 {
            return bad("pool", "must be at least 2");
        }
        let fit = incrocio_research::titles::train_titles(self.taxonomy(), o);
        Ok(fit.to_toml(o, self.taxonomy(), version))
    }

    /// Writes seeded synthetic people (Parquet or CSV by extension).
    pub fn synth_people(&self, path: &Path, spec: &PeopleSpec) -> Result<()> {
        incrocio_synth::write_people(path, spec, self.reference)
    }

    /// Writes seeded synthetic CVs or vacancies as JSON lines.
    pub fn synth_records(&self, path: &Path, spec: &CvSpec, what: Synthetic) -> Result<()> {
        incrocio_synth::write_jsonl(path, spec, what, self.reference, self.taxonomy())
    }

    /// Writes seeded synthetic CVs as one SAP XML document; returns how many experiences
    /// were left out for want of a CP2011 code.
    pub fn synth_sap(&self, path: &Path, spec: &CvSpec) -> Result<usize> {
        incrocio_synth::write_sap(path, spec, self.reference, self.taxonomy())
    }
}

/// Reads JSON lines (blank lines skipped); a bad line is an error naming it.
pub fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            incrocio_core::json::from_str_record(l)
                .map_err(|e| Error::data(path, format!("line {}: not {what}: {e}", n + 1)))
        })
        .collect()
}

/// The optional columns of a profiling query ([`incrocio_profiling::OPTIONAL_COLUMNS`]) that
/// the people file at `path` (Parquet or CSV, e.g. a sample of the table the query will run
/// on) does not have: `models sql --columns-of`.
pub fn absent_optional_columns(path: &Path) -> Result<Vec<String>> {
    let names = incrocio_batch::column_names(path)?;
    Ok(incrocio_profiling::OPTIONAL_COLUMNS
        .iter()
        .filter(|(c, _)| !names.iter().any(|n| n == c))
        .map(|(c, _)| (*c).to_owned())
        .collect())
}
