//! The person's side: which open vacancies fit a person, ranked by the shortlist's model
//! mirrored, each with the congruity verdict of art. 25 D.Lgs. 150/2015.
//!
//! Mirrored: the same hard rules read from the other side (the vacancy's contract, mode,
//! licences, education, languages and L. 68 reservation against what the person accepts and
//! holds; the person's own travel limit), and the same five parts with the same weights:
//! `lessicale` is the BM25 of the person's CV words over the vacancies' title and description
//! (divided by the best among the eligible vacancies), `competenze` the cosine of the same
//! competency vectors, `esperienza` the same relation of the person's experiences to the
//! vacancy's occupation, `istruzione` the same, and `distanza` is `1 − km / r` with `r` the
//! person's travel limit, or the vacancy's search radius when the person states none.

use chrono::NaiveDate;
use serde::Serialize;

use super::board::{Posted, VacancyBoard};
use super::candidate::Stato;
use super::index::{candidate_text, lang_key};
use super::rosa::{ExperienceMatch, experience_match, skill_lists};
use super::score::{self, Contributions, Experience, Parts, Scored};
use super::{Adjacency, Candidate, MatchingModel};
use incrocio_congruita::{self as congruita, Congruity, RuleSet, RulesRef, Situation};
use incrocio_core::cancel::Cancel;
use incrocio_core::error::Result;
use incrocio_core::reference::{EARTH_RADIUS_KM, Reference, haversine_km_cos, point};
use incrocio_taxonomy::Taxonomy;

/// How far a person's search reaches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reach {
    /// The person's travel limit when stated, else any distance (offers).
    Person,
    /// At most this many km.
    Km(f64),
    /// The person's travel limit when stated, else each vacancy's own search radius.
    PersonElseVacancy,
}

/// One vacancy offered to the person.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OfferEntry {
    /// 1-based position.
    pub position: u32,
    /// Vacancy id.
    pub vacancy_id: String,
    /// Its title.
    pub titolo: String,
    /// Its resolved ESCO occupation.
    pub occupation: Option<String>,
    /// ISTAT code of the workplace.
    pub comune: String,
    /// Great-circle km from the domicilio to the workplace.
    pub distance_km: f64,
    /// The score: the sum of the parts' contributions.
    pub score: f64,
    /// Each part: value, weight and weighted contribution.
    pub contributions: Parts,
    /// How the person's experience relates to the vacancy's occupation, when it earned credit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experience: Option<ExperienceMatch>,
    /// Skills of the vacancy the person has.
    pub matched_skills: Vec<String>,
    /// Skills of the vacancy the person lacks.
    pub missing_skills: Vec<String>,
    /// Whether refusing it costs the benefit, with every rule's reasons.
    pub congruita: Congruity,
}

/// The answer to a person.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Offers {
    /// The person.
    pub candidate_id: String,
    /// The day the offers are made (durations and deadlines are read at it).
    pub data_offerta: NaiveDate,
    /// Scoring model `id@vN`.
    pub model: String,
    /// Its digest.
    pub model_digest: String,
    /// Its status.
    pub model_status: incrocio_core::status::Status,
    /// Congruity rule set.
    pub rules: RulesRef,
    /// SHA-256 of the candidate record.
    pub input_digest: String,
    /// `sha256:` of the travel-time table the distances were also judged by, if any.
    pub travel_times: Option<String>,
    /// `sha256:` of the ADA table coherence was also judged by, if any.
    pub ada_table: Option<String>,
    /// Vacancies open at `data_offerta`.
    pub open_count: usize,
    /// Open vacancies passing every hard rule.
    pub eligible_count: usize,
    /// The size asked (or the default).
    pub size: usize,
    /// The offers, best first.
    pub offers: Vec<OfferEntry>,
    /// What the caller should know.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An eligible vacancy.
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub(super) slot: u32,
    bm25: f32,
    grams: f32,
    pub(super) km: f64,
    radius: f64,
    pub(super) experience: Experience,
}

thread_local! {
    /// Per-thread BM25 accumulator, all zeros between searches (reset where touched).
    static BM25: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The same for the BM25 of the person's title grams over the vacancies' title grams.
    static GRAMS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Per-thread eligible rows, reused (a board-sized vector allocated per search costs more
    /// in fresh pages than the search itself).
    static ROWS: std::cell::RefCell<Vec<Row>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One term's BM25 over the board: its postings, the live count, the mean length and the
/// constants.
struct Bm25Term<'a> {
    n: f32,
    avg: f32,
    k1: f32,
    b: f32,
    postings: &'a [(u32, u32)],
}

impl Bm25Term<'_> {
    /// Adds the term's score to each slot holding it (`len`: the slot's length), noting the
    /// slots touched for the first time.
    fn add(&self, len: impl Fn(u32) -> u32, acc: &mut [f32], touched: &mut Vec<u32>) {
        let Bm25Term { n, avg, k1, b, .. } = *self;
        let df = self.postings.len() as f32;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        for &(slot, tf) in self.postings {
            let tf = tf as f32;
            if acc[slot as usize] == 0.0 {
                touched.push(slot);
            }
            acc[slot as usize] +=
                idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len(slot) as f32 / avg));
        }
    }
}

/// Everything one search reads.
pub struct OfferSearch<'a> {
    /// The scoring model.
    pub model: &'a MatchingModel,
    /// The taxonomy.
    pub taxonomy: &'a Taxonomy,
    /// Adjacent occupations under the model's vector parameters.
    pub adjacency: &'a Adjacency,
    /// The congruity rules.
    pub rules: &'a RuleSet,
    /// The Atlante del lavoro's ADA by CP2011 unit, when a Region supplied a table.
    pub ada: Option<&'a congruita::AdaTable>,
    /// Average minutes by public transport between two comuni (ISTAT codes), when a table
    /// was supplied.
    pub minutes: &'a dyn Fn(&str, &str) -> Option<u32>,
}

impl VacancyBoard {
    /// The best `size` open vacancies for `person` at `date`, with their verdicts.
    pub fn offers(
        &self,
        person: &Candidate,
        date: NaiveDate,
        size: usize,
        s: &OfferSearch<'_>,
        cancel: &Cancel,
    ) -> Result<Offers> {
        self.search(
            person,
            date,
            s,
            Reach::Person,
            cancel,
            |inner, eligible, warnings, open| {
                self.rank(
                    person, date, size, s, inner, eligible, warnings, open, cancel,
                )
            },
        )
    }

    /// The open vacancies at `date` passing `person`'s hard rules within `reach`, with the
    /// BM25 of the person's words and grams over each, handed to `then` with the warnings so
    /// far and the number of open vacancies. The buffers are per thread and reused.
    pub(super) fn search<T>(
        &self,
        person: &Candidate,
        date: NaiveDate,
        s: &OfferSearch<'_>,
        reach: Reach,
        cancel: &Cancel,
        then: impl FnOnce(&super::board::Inner, &[Row], Vec<String>, usize) -> Result<T>,
    ) -> Result<T> {
        let (model, t) = (s.model, s.taxonomy);
        let inner = self.read()?;
        let mut warnings = Vec::new();
        let today = super::board::day_number(date);
        let open_count = inner
            .hot
            .iter()
            .filter(|h| h.live && h.open_until >= today)
            .count();

        // Lexical: BM25 of the person's words over the vacancies, accumulated in a per-thread
        // buffer (reset where touched, so no search pays for zeroing the whole board).
        let mut bm25 = BM25.with(|b| std::mem::take(&mut *b.borrow_mut()));
        bm25.resize(inner.slots.len(), 0.0);
        let mut touched: Vec<u32> = Vec::new();
        let n = inner.live.max(1) as f32;
        let avg = (inner.total_len as f32 / n).max(1.0);
        let (k1, b) = (model.bm25.k1, model.bm25.b);
        let mut analyzer = self.analyzer();
        let text = candidate_text(person, t);
        let mut stream = analyzer.token_stream(&text);
        let mut seen = rustc_hash::FxHashSet::default();
        let mut dropped = 0usize;
        while let Some(tok) = stream.next() {
            if !seen.insert(tok.text.clone()) {
                continue;
            }
            if seen.len() > model.query.max_terms {
                dropped += 1;
                continue;
            }
            let Some(&term) = inner.terms.get(tok.text.as_str()) else {
                continue;
            };
            let bm = Bm25Term {
                n,
                avg,
                k1,
                b,
                postings: &inner.postings[term as usize],
            };
            bm.add(|slot| inner.hot[slot as usize].len, &mut bm25, &mut touched);
        }
        warnings.extend(super::rosa::dropped_terms_warning(
            dropped,
            model.query.max_terms,
        ));
        // The n-gram share: BM25 of the grams of the person's titles and `competenze_testo`
        // over the vacancies' title grams (the shortlist's, mirrored).
        let mut grams = GRAMS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        grams.resize(inner.slots.len(), 0.0);
        let mut grams_touched: Vec<u32> = Vec::new();
        if model.lessicale.ngram > 0.0 && model.titles.soft().is_some() {
            let avg = (inner.total_grams_len as f32 / n).max(1.0);
            let mut seen = rustc_hash::FxHashSet::default();
            for g in super::index::candidate_grams(person) {
                if !seen.insert(g.clone()) || seen.len() > model.query.max_terms {
                    continue;
                }
                let key = format!("{}{g}", super::board::GRAM_PREFIX);
                let Some(&term) = inner.terms.get(key.as_str()) else {
                    continue;
                };
                let postings = &inner.postings[term as usize];
                if postings.len() as f64 > model.lessicale.max_gram_share * f64::from(n) {
                    continue;
                }
                let bm = Bm25Term {
                    n,
                    avg,
                    k1,
                    b,
                    postings,
                };
                bm.add(
                    |slot| inner.hot[slot as usize].grams_len,
                    &mut grams,
                    &mut grams_touched,
                );
            }
        }
        let mut eligible = ROWS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        eligible.clear();
        let result = self
            .fill_eligible(
                person,
                date,
                s,
                &inner,
                (&bm25, &grams),
                reach,
                &mut eligible,
                &mut warnings,
                cancel,
            )
            .and_then(|()| then(&inner, &eligible, warnings, open_count));
        for slot in touched {
            bm25[slot as usize] = 0.0;
        }
        for slot in grams_touched {
            grams[slot as usize] = 0.0;
        }
        BM25.with(|b| *b.borrow_mut() = bm25);
        GRAMS.with(|b| *b.borrow_mut() = grams);
        ROWS.with(|b| *b.borrow_mut() = eligible);
        result
    }

    /// Fills `eligible` with the open vacancies at `date` passing the person's hard rules
    /// within `reach`, given the BM25 of every slot; a person who is not active gets none, and
    /// a warning saying why.
    #[allow(clippy::too_many_arguments)]
    fn fill_eligible(
        &self,
        person: &Candidate,
        date: NaiveDate,
        s: &OfferSearch<'_>,
        inner: &super::board::Inner,
        (bm25, grams): (&[f32], &[f32]),
        reach: Reach,
        eligible: &mut Vec<Row>,
        warnings: &mut Vec<String>,
        cancel: &Cancel,
    ) -> Result<()> {
        let (model, t) = (s.model, s.taxonomy);
        let r = &person.record;
        let home = &Reference::bundled().territory.comuni()[usize::from(person.comune)];
        if r.stato != Stato::Attivo {
            warnings.push(format!(
                "stato: the person is {:?} in the register, so no vacancy is proposed",
                r.stato
            ));
        } else {
            let (contracts, modes, licences) = (
                person.codes.contratti,
                person.codes.modalita,
                person.codes.patenti,
            );
            let langs: Vec<(u64, u8)> = person
                .lingue
                .iter()
                .map(|(c, l)| (lang_key(c, 0), *l))
                .collect();
            let km_max = r.disponibilita.km_max.map(f64::from);
            let isco: Vec<u32> = person
                .occupazioni
                .iter()
                .flatten()
                .filter_map(|&o| t.occupations[o as usize].isco.parse().ok())
                .collect();
            let occupations: Vec<u32> = person.occupazioni.iter().flatten().copied().collect();
            // With soft occupations: the person's credit of every occupation, once.
            let soft = model.titles.soft().map(|_| {
                let groups: Vec<(u8, &[(u32, f32)])> = person
                    .soft
                    .iter()
                    .enumerate()
                    .map(|(k, d)| (k as u8, &d[..]))
                    .chain(
                        person
                            .testo
                            .iter()
                            .enumerate()
                            .map(|(k, d)| (super::soft::FREE_TEXT_GROUP + k as u8, &d[..])),
                    )
                    .collect();
                super::soft::PersonCredit::new(
                    t,
                    s.adjacency,
                    &model.esperienza,
                    &groups,
                    &person.dichiarate,
                )
            });
            let level = person.livello_studio.unwrap_or(0);
            let level_known = person.livello_studio.is_some();
            let today = super::board::day_number(date);
            // How far the search reaches: the distance part is read against the person's limit
            // else the vacancy's radius, whatever the reach.
            let limit = match reach {
                Reach::Person | Reach::PersonElseVacancy => km_max,
                Reach::Km(km) => Some(km),
            };
            let dlat = limit.map_or(f64::INFINITY, |max| max / 111.0 + 0.01);
            // Without a limit the vacancy's own radius decides (skills analysis).
            let own_radius = limit.is_none() && reach == Reach::PersonElseVacancy;
            let here = point(home.lat, home.lon);
            let lat_rad = home.lat.to_radians();
            for (slot, h) in inner.hot.iter().enumerate() {
                if slot % 4096 == 4095 {
                    cancel.check()?;
                }
                if !h.live
                    || h.open_until < today
                    || (h.l68 && !r.collocamento_mirato)
                    || contracts & h.contract == 0
                    || modes & h.mode == 0
                    || licences & h.licences != h.licences
                    || (h.min_level != u8::MAX && (!level_known || level < h.min_level))
                    || (h.lat - home.lat).abs() > dlat
                {
                    continue;
                }
                let side = &inner.side[slot];
                if h.has_languages
                    && !side
                        .languages(&inner.slots[slot])
                        .iter()
                        .all(|(k, min)| langs.iter().any(|(h, l)| h == k && l >= min))
                {
                    continue;
                }
                // Beyond the vacancy's own radius by latitude alone (a great circle is never
                // shorter than its difference of latitude, R·|Δφ|; 1 m of margin for rounding):
                // out without the distance.
                if own_radius
                    && EARTH_RADIUS_KM * (h.lat.to_radians() - lat_rad).abs()
                        > f64::from(h.radius) + 1e-3
                {
                    continue;
                }
                let km = haversine_km_cos(here, (h.lat, h.lon, h.cos_lat));
                if limit.is_some_and(|max| km > max) || (own_radius && km > f64::from(h.radius)) {
                    continue;
                }
                let mut experience = Experience::default();
                if let Some(credit) = &soft {
                    experience.soft = credit.best(side.soft(&inner.slots[slot]));
                } else if h.occupation != u32::MAX {
                    let o = h.occupation;
                    experience.same = occupations.contains(&o);
                    experience.declared = person.dichiarate.contains(&o);
                    experience.same_unit_group = h.isco != 0 && isco.contains(&h.isco);
                    if !experience.same && !occupations.is_empty() {
                        for &(nb, sim) in s.adjacency.of(o, &model.esperienza) {
                            if occupations.contains(&nb)
                                && experience.adjacent.is_none_or(|(_, best)| sim > best)
                            {
                                experience.adjacent = Some((nb, sim));
                            }
                        }
                    }
                }
                eligible.push(Row {
                    slot: slot as u32,
                    bm25: bm25[slot],
                    grams: grams[slot],
                    km,
                    radius: km_max.unwrap_or(f64::from(h.radius)),
                    experience,
                });
            }
        }
        Ok(())
    }

    /// Scores, top-k and verdicts of the eligible vacancies.
    #[allow(clippy::too_many_arguments)]
    fn rank(
        &self,
        person: &Candidate,
        date: NaiveDate,
        size: usize,
        s: &OfferSearch<'_>,
        inner: &super::board::Inner,
        eligible: &[Row],
        warnings: Vec<String>,
        open_count: usize,
        cancel: &Cancel,
    ) -> Result<Offers> {
        let (model, t) = (s.model, s.taxonomy);
        let r = &person.record;
        // Score and rank: the shortlist's parts and weights.
        let cv = super::index::candidate_vector(self.vectorizer(), person, date, t);
        let dense = cv.to_dense(t.skills.len());
        let max_cos = if cv.nnz() == 0 { 0.0 } else { 1.0 };
        let scoring = Scoring::new(model, person, eligible);
        let posted = |e: &Row| inner.slots[e.slot as usize].as_ref();
        let values = |e: &Row, competenze: f64, _km: f64| scoring.values(e, competenze);
        let cosine = |e: &Row| posted(e).map_or(0.0, |p| cosine(&dense, &p.vector));
        let id_of =
            |i: u32| posted(&eligible[i as usize]).map_or("", |p| p.vacancy.record.id.as_str());
        let cmp =
            |a: &Scored, b: &Scored| b.0.total_cmp(&a.0).then_with(|| id_of(a.1).cmp(id_of(b.1)));
        let top = score::top_k(
            eligible,
            size,
            &cmp,
            cancel,
            |e, exact| {
                // The bound: similarity 1, or 0 when the person's vector is empty.
                let c = values(e, if exact { cosine(e) } else { max_cos }, e.km);
                score::total(&c, &model.weights)
            },
            // No tighter bound here: the vacancies' vectors are few and already in memory.
            |_| f64::INFINITY,
            &score::Warm::none(),
        )?;

        let mut offers = Vec::with_capacity(top.len());
        for (k, (total, i)) in top.into_iter().enumerate() {
            let e = &eligible[i as usize];
            let Some(p) = posted(e) else { continue };
            let v = &p.vacancy;
            let km = e.km;
            let parts = Parts::new(&values(e, cosine(e), km), &model.weights);
            let (matched_skills, missing_skills) = skill_lists(&p.vector, &cv, v, t);
            offers.push(OfferEntry {
                position: k as u32 + 1,
                vacancy_id: v.record.id.clone(),
                titolo: v.record.titolo.clone(),
                occupation: v.occupazione.map(|o| t.occupations[o as usize].uri()),
                comune: v.record.comune.clone(),
                distance_km: (km * 10.0).round() / 10.0,
                score: total,
                contributions: parts,
                experience: match e.experience.soft {
                    Some(m) => soft_explained(m, person, v, s),
                    None => experience_match(&e.experience, &model.esperienza, v.occupazione, t),
                },
                matched_skills,
                missing_skills,
                congruita: s.rules.assess(&situation(person, p, km, date, s)),
            });
        }
        Ok(Offers {
            candidate_id: r.id.clone(),
            data_offerta: date,
            model: model.key(),
            model_digest: model.digest.clone(),
            model_status: model.status,
            rules: s.rules.rules_ref(),
            input_digest: incrocio_core::digest::json_sha256_tagged(r)?,
            travel_times: None,
            ada_table: None,
            open_count,
            eligible_count: eligible.len(),
            size,
            offers,
            warnings,
        })
    }
}

/// What the parts of a person's score for an eligible vacancy read, computed once per search:
/// the shortlist's five parts mirrored (module documentation).
pub(super) struct Scoring<'a> {
    model: &'a MatchingModel,
    best_bm25: f32,
    best_grams: f32,
    level_known: bool,
}

impl<'a> Scoring<'a> {
    /// The scoring of `person` over `eligible` (the BM25 parts are divided by their best there).
    pub(super) fn new(model: &'a MatchingModel, person: &Candidate, eligible: &[Row]) -> Self {
        Scoring {
            model,
            best_bm25: eligible.iter().map(|e| e.bm25).fold(0f32, f32::max),
            best_grams: eligible.iter().map(|e| e.grams).fold(0f32, f32::max),
            level_known: person.livello_studio.is_some(),
        }
    }

    /// The five parts' values for `e`, given the cosine of the two competency vectors.
    pub(super) fn values(&self, e: &Row, competenze: f64) -> Contributions {
        let model = self.model;
        Contributions {
            lessicale: score::lessicale(
                e.bm25,
                self.best_bm25,
                e.grams,
                self.best_grams,
                model.lessicale.ngram,
            ),
            competenze: competenze.clamp(0.0, 1.0),
            esperienza: score::esperienza(&e.experience, &model.esperienza),
            istruzione: if self.level_known {
                1.0
            } else {
                model.istruzione.unknown
            },
            distanza: score::distanza(e.km, e.radius),
        }
    }

    /// The model's weights.
    pub(super) fn weights(&self) -> &super::model::Weights {
        &self.model.weights
    }

    /// The score of `e`: the weighted sum of [`Scoring::values`].
    pub(super) fn total(&self, e: &Row, competenze: f64) -> f64 {
        score::total(&self.values(e, competenze), &self.model.weights)
    }
}

/// The cosine of a person's dense competency vector with a vacancy's (both L2-normalised), as
/// offers compute it: the vacancy's entries in order, summed in `f32`.
pub(super) fn cosine(dense: &[f32], vacancy: &super::SparseVec) -> f64 {
    f64::from(
        vacancy
            .idx
            .iter()
            .zip(&vacancy.val)
            .map(|(i, w)| dense[*i as usize] * w)
            .sum::<f32>(),
    )
}

/// The explanation of a soft match found by [`super::soft::PersonCredit`], whose occupation of
/// largest term is found here, for the offers shown only.
fn soft_explained(
    mut m: super::soft::SoftMatch,
    person: &Candidate,
    v: &super::Vacancy,
    s: &OfferSearch<'_>,
) -> Option<ExperienceMatch> {
    use super::soft::{DECLARED_GROUP, FREE_TEXT_GROUP, largest_term};
    let p = &s.model.esperienza;
    if m.group != DECLARED_GROUP {
        let d = if m.group >= FREE_TEXT_GROUP {
            person.testo.get(usize::from(m.group - FREE_TEXT_GROUP))
        } else {
            person.soft.get(usize::from(m.group))
        }?;
        (m.occupation, m.probability) = largest_term(s.taxonomy, s.adjacency, p, d, &v.soft)?;
    }
    super::rosa::soft_match(&m, &v.soft, s.adjacency, p, s.taxonomy)
}

/// What the congruity rules read about this person and this vacancy.
fn situation(
    person: &Candidate,
    p: &Posted,
    km: f64,
    date: NaiveDate,
    s: &OfferSearch<'_>,
) -> Situation {
    let (r, v) = (&person.record, &p.vacancy);
    let experiences: Vec<_> = person.occupazioni.iter().flatten().copied().collect();
    Situation {
        data_offerta: date,
        scadenza: v.record.data_scadenza,
        data_did: r.data_did,
        sospensioni: r.sospensioni.clone(),
        km: Some(km),
        minuti: (s.minutes)(&r.comune_domicilio, &v.record.comune),
        occupazione_nota: v.occupazione.is_some(),
        dichiarate_note: !person.dichiarate.is_empty(),
        ada_table: s.ada.is_some(),
        links: v.occupazione.map_or_else(Vec::new, |o| {
            congruita::links(
                s.taxonomy,
                |x| s.adjacency.all(x),
                s.ada,
                o,
                &person.dichiarate,
                &experiences,
            )
        }),
        contratto: congruita::ContractTerms {
            codice: v.record.contratto.clone(),
            somministrazione: v.record.somministrazione,
            durata_mesi: v.record.durata_mesi,
            periodo: v.record.periodo,
            tempo_pieno: v.record.modalita.as_deref() == Some("FT"),
            ore_settimanali: v.record.ore_settimanali,
            retribuzione_mensile: v.record.retribuzione_mensile,
            minimo_ccnl_mensile: v.record.minimo_ccnl_mensile,
        },
        ore_ultimo_contratto: r.ore_ultimo_contratto,
        indennita_mensile: r.prestazione.map(|b| b.indennita_mensile),
    }
}
