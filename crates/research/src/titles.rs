//! Title-to-title retrieval on graded development sets built here from the taxonomy (issue 31):
//! how well each way of comparing two job titles ranks a pool of titles for a query title.
//!
//! **The sets.** Every `holdout`-th alternative label and CP2011 voce (by a hash of its text,
//! [`incrocio_taxonomy::titles::holdout`]) is taken out of both title indexes and becomes a
//! pool title, whose right occupations are those that had it. No pool title is in an index, so
//! no label of a test pair was seen when the indexes were built. Two titles are graded by the
//! taxonomy: 3 the same occupation, 2 the same ISCO-08 unit group, 1 the same minor group (3
//! digits), 0 otherwise (the best over their occupations). Queries are drawn from the pool by
//! seed; each ranks the rest of the pool. The hand-written job-ad titles
//! (`tests/fixtures/titles/annunci.tsv`, with ISCO unit groups) are a second query set against
//! the same pool, graded 2 (a pool title in one of the ad's unit groups) or 1 (same minor
//! group).
//!
//! **The methods**, each a score of a (query, pool title) pair, ties broken by pool order:
//! - `bm25`: BM25 (k1 1.2, b 0.75) of the query's folded words over the pool titles' words;
//! - `release`: what today's rosa does with titles, approximately: each title resolved to one
//!   occupation by the word index (at the model's `titles.min_confidence`), then 1 for the same
//!   occupation, 0.5 for the same unit group, 0 otherwise, BM25 breaking ties (the rosa's
//!   `esperienza` before its lexical part; the ESCO skill-overlap adjacency is left out here);
//! - `char_ngram`: the cosine of the two titles' character 3–5-gram vectors, no taxonomy;
//! - `soft`: each title resolved to a distribution over its top occupations by the n-gram index
//!   (softmax of the cosines over a temperature), scored by the expected match of the two
//!   distributions (1 same occupation, 0.5 same unit group, 0.25 same minor group), plus
//!   `lexical` × the n-gram cosine. The temperature and the lexical weight are chosen on a
//!   tuning set of queries disjoint from the reported ones.
//!
//! The report also gives accuracy@1/@5 of resolution by both indexes on the pool titles, and a
//! reliability table of the soft top-1 probability (is a title given 0.7 right 70% of the
//! time?) at a temperature fitted for calibration (least log-loss) on half of the pool and
//! checked on the other half, with its expected calibration error.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use incrocio_taxonomy::ngrams::{GramVec, NgramIndex};
use incrocio_taxonomy::titles::holdout;
use incrocio_taxonomy::{OccupationId, Taxonomy};

/// What to build and how many queries.
#[derive(Debug, Clone, Copy)]
pub struct RankingOptions {
    /// Hold out every N-th alternative label and voce.
    pub holdout_every: u64,
    /// Pool titles at most (drawn by seed from the held-out ones).
    pub pool: usize,
    /// Queries reported (drawn by seed from the pool).
    pub queries: usize,
    /// Queries to tune the soft method on (disjoint from the reported ones).
    pub tuning_queries: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// `titles.min_confidence` of the model the release method stands for.
    pub min_confidence: f64,
    /// Rewrite every query title as a job ad writes it ([`as_an_ad_writes_it`]), the grades
    /// unchanged: a set of the same queries with the noise of real ads.
    pub noisy: bool,
}

/// One method's figures on one query set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodFigures {
    /// The method.
    pub method: String,
    /// Mean nDCG@10 (gains `2^grade − 1`).
    pub ndcg_at_10: f64,
    /// Mean share of the pool titles of grade 2 or more found in the first 50.
    pub recall_at_50: f64,
}

/// Accuracy of resolving the pool titles to an occupation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// The index.
    pub index: String,
    /// Share whose first occupation is right.
    pub accuracy_at_1: f64,
    /// Share with a right occupation among the first five.
    pub accuracy_at_5: f64,
}

/// One bin of the reliability table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower bound of the soft top-1 probability.
    pub from: f64,
    /// Titles in the bin.
    pub n: usize,
    /// Their mean top-1 probability.
    pub mean_probability: f64,
    /// Share of them whose top-1 occupation is right.
    pub observed: f64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TitleRanking {
    /// Pool titles.
    pub pool: usize,
    /// Reported queries drawn from the pool.
    pub queries: usize,
    /// Hand-written job-ad queries.
    pub ad_queries: usize,
    /// The options.
    pub holdout_every: u64,
    /// Seed.
    pub seed: u64,
    /// The soft method's temperature and lexical weight, as tuned.
    pub soft_temperature: f64,
    /// Its lexical weight.
    pub soft_lexical: f64,
    /// By method, on the held-out queries.
    pub held_out: Vec<MethodFigures>,
    /// By method, on the job-ad queries.
    pub ads: Vec<MethodFigures>,
    /// Queries of the judged set ([`Judgments`]); 0 when some of its judged titles are not in
    /// this pool (it was pooled on another seed, size or hold-out) and it was left out.
    pub judged_queries: usize,
    /// Judged titles not in this pool.
    pub judged_missing: usize,
    /// By method, on the judged queries (empty without them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub judged: Vec<MethodFigures>,
    /// The (query, pool title) pairs some method ranks in its first 10 for a judged query that
    /// have no judgment yet: what the annotator grades next (pooling).
    #[serde(skip)]
    pub unjudged: Vec<(String, String)>,
    /// Resolution of the pool titles.
    pub resolution: Vec<Resolution>,
    /// The temperature that makes the soft distribution calibrated: the one of least mean
    /// negative log-likelihood of the right occupations, on half of the pool (by the seeded
    /// order); the ranking's temperature is tuned for nDCG and is not calibrated.
    pub calibrated_temperature: f64,
    /// Expected calibration error of the top-1 probability at that temperature, on the other
    /// half (the mean |predicted − observed| over the bins, weighted by their size).
    pub calibration_error: f64,
    /// Soft top-1 probability against accuracy at the calibrated temperature, on the other half.
    pub reliability: Vec<ReliabilityBin>,
    /// The sets run through the rosa of matching models ([`rosa_ranking`]), when asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rosa: Vec<RosaFigures>,
}

/// Top-1 probabilities in ten bins of 0.1, with how many were right: a reliability table.
#[derive(Default)]
struct Bins([(usize, f64, usize); 10]);

impl Bins {
    fn add(&mut self, prob: f64, right: bool) {
        let b = &mut self.0[((prob * 10.0) as usize).min(9)];
        b.0 += 1;
        b.1 += prob;
        b.2 += usize::from(right);
    }

    /// The expected calibration error (mean |predicted − observed| weighted by bin size) and
    /// the non-empty bins.
    fn finish(self) -> (f64, Vec<ReliabilityBin>) {
        let checked = self.0.iter().map(|b| b.0).sum::<usize>().max(1) as f64;
        let error = self
            .0
            .iter()
            .map(|&(_, sum, right)| (sum - right as f64).abs() / checked)
            .sum();
        let bins = self
            .0
            .into_iter()
            .enumerate()
            .filter(|(_, b)| b.0 > 0)
            .map(|(i, (count, sum, right))| ReliabilityBin {
                from: i as f64 / 10.0,
                n: count,
                mean_probability: sum / count as f64,
                observed: right as f64 / count as f64,
            })
            .collect();
        (error, bins)
    }
}

/// A title as every method sees it: its folded words and gram vector, and what the two
/// indexes resolve it to.
#[derive(Clone)]
struct View {
    words: Vec<String>,
    grams: GramVec,
    /// The word index's first occupation at the threshold.
    release: Option<OccupationId>,
    /// The n-gram index's top occupations with their cosines.
    top: Vec<(OccupationId, f32)>,
}

/// A pool title: its right occupations and its view.
struct Title {
    occupations: Vec<OccupationId>,
    view: View,
}

const TOP: usize = 10;

/// Whether two occupations share their ISCO-08 minor group (3 digits).
fn same_minor(t: &Taxonomy, a: OccupationId, b: OccupationId) -> bool {
    let minor = |o: OccupationId| t.occupations[o as usize].isco.get(..3);
    minor(a).is_some() && minor(a) == minor(b)
}

/// The grade of two sets of occupations: 3, 2, 1 or 0.
fn grade(t: &Taxonomy, a: &[OccupationId], b: &[OccupationId]) -> u8 {
    let mut g = 0;
    for &x in a {
        for &y in b {
            g = g.max(if x == y {
                3
            } else if t.same_isco(x, y) {
                2
            } else if same_minor(t, x, y) {
                1
            } else {
                0
            });
        }
    }
    g
}

/// The grade of an ad (its ISCO unit groups) against a pool title.
fn ad_grade(t: &Taxonomy, units: &[String], b: &[OccupationId]) -> u8 {
    let mut g = 0;
    for &y in b {
        let isco = &t.occupations[y as usize].isco;
        for u in units {
            g = g.max(if u == isco {
                2
            } else if isco.len() >= 3 && u.get(..3) == isco.get(..3) {
                1
            } else {
                0
            });
        }
    }
    g
}

/// nDCG@10 and recall@50 (of the grades 2 and up, out of at most 50) of one query's ranking,
/// against every grade it could have had.
fn query_figures(ranked: &[u8], all: &[u8]) -> (f64, f64) {
    let relevant = all.iter().filter(|&&g| g >= 2).count();
    let recall = if relevant > 0 {
        ranked.iter().take(50).filter(|&&g| g >= 2).count() as f64 / relevant.min(50) as f64
    } else {
        0.0
    };
    (ndcg_at_10(ranked, all), recall)
}

fn ndcg_at_10(ranked_grades: &[u8], all_grades: &[u8]) -> f64 {
    let dcg = |g: &[u8]| -> f64 {
        g.iter()
            .take(10)
            .enumerate()
            .map(|(i, &x)| (2f64.powi(i32::from(x)) - 1.0) / ((i + 2) as f64).log2())
            .sum()
    };
    let mut ideal = all_grades.to_vec();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let best = dcg(&ideal);
    if best > 0.0 {
        dcg(ranked_grades) / best
    } else {
        0.0
    }
}

/// Title-to-title judgments written by a person reading the titles, not derived from the
/// taxonomy: a third query set (`tests/fixtures/titles/giudizi.tsv`). Each row is `query, title,
/// grade` (3 the same job, 2 a closely related job whose holder could do it, 1 the same field,
/// 0 unrelated); the titles are pool titles as the pool holds them (normalised labels). A
/// pool title with no judgment for a query counts as 0 (pooled judgments, as TREC does): the
/// figures favour the methods whose first 10 were judged, so every method's first 10 are
/// pooled ([`TitleRanking::unjudged`]) before its figure is read.
#[derive(Debug, Clone, Default)]
pub struct Judgments {
    /// Each query, in the file's order, with its judged titles.
    pub queries: Vec<JudgedQuery>,
}

impl Judgments {
    /// Reads the TSV (a header `query, title, grade`; a row with an empty title only declares
    /// its query). Errors name the line and the reason.
    pub fn parse(text: &str) -> Result<Judgments, String> {
        let mut out = Judgments::default();
        for (n, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [query, title, grade] = cols[..] else {
                return Err(format!("line {}: want 3 tab-separated columns", n + 1));
            };
            let query = query.trim();
            if query.is_empty() {
                return Err(format!("line {}: empty query", n + 1));
            }
            let at = match out.queries.iter().position(|q| q.0 == query) {
                Some(at) => at,
                None => {
                    out.queries.push((query.to_owned(), BTreeMap::new()));
                    out.queries.len() - 1
                }
            };
            let title = title.trim();
            if title.is_empty() {
                continue;
            }
            let grade: u8 = match grade.trim().parse() {
                Ok(g) if g <= 3 => g,
                _ => return Err(format!("line {}: grade must be 0, 1, 2 or 3", n + 1)),
            };
            let key = incrocio_taxonomy::normalize_label(title);
            if out.queries[at].1.insert(key, grade).is_some() {
                return Err(format!(
                    "line {}: {title:?} judged twice for {query:?}",
                    n + 1
                ));
            }
        }
        Ok(out)
    }

    /// The judged queries when every judged title is in `pool`, else how many are not:
    /// judgments are of one pool (the seed, size and hold-out they were pooled on); another
    /// pool would count them as unjudged.
    fn in_pool(&self, pool: &[(String, Vec<OccupationId>)]) -> Result<&[JudgedQuery], usize> {
        let texts: std::collections::BTreeSet<&str> = pool.iter().map(|p| p.0.as_str()).collect();
        let missing = self
            .queries
            .iter()
            .flat_map(|q| q.1.keys())
            .filter(|k| !texts.contains(k.as_str()))
            .count();
        if missing == 0 {
            Ok(&self.queries)
        } else {
            Err(missing)
        }
    }
}

/// A judged query: its title and its grade of each judged pool title.
type JudgedQuery = (String, BTreeMap<String, u8>);

/// A judged query's grade for each pool title (0 when not judged).
fn judged_grades(grades: &BTreeMap<String, u8>, pool: &[(String, Vec<OccupationId>)]) -> Vec<u8> {
    pool.iter()
        .map(|(text, _)| grades.get(text).copied().unwrap_or(0))
        .collect()
}

/// The (query, pool title) pairs among `tops` (each judged query's first pool indexes) with
/// no judgment.
fn without_judgment<'a>(
    judged: &'a [JudgedQuery],
    pool: &'a [(String, Vec<OccupationId>)],
    tops: &'a [Vec<usize>],
) -> impl Iterator<Item = (String, String)> + 'a {
    judged.iter().zip(tops).flat_map(move |((q, g), top)| {
        top.iter()
            .filter(move |&&i| !g.contains_key(&pool[i].0))
            .map(move |&i| (q.clone(), pool[i].0.clone()))
    })
}

/// BM25 of a query's words over the pool.
struct Bm25 {
    idf: BTreeMap<String, f64>,
    avgdl: f64,
}

impl Bm25 {
    fn new(pool: &[Title]) -> Bm25 {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for t in pool {
            for w in &t.view.words {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let n = pool.len() as f64;
        Bm25 {
            idf: df
                .into_iter()
                .map(|(w, d)| (w, (1.0 + (n - d as f64 + 0.5) / (d as f64 + 0.5)).ln()))
                .collect(),
            avgdl: pool.iter().map(|t| t.view.words.len()).sum::<usize>() as f64 / n.max(1.0),
        }
    }

    fn score(&self, query: &[String], doc: &[String]) -> f64 {
        let (k1, b) = (1.2, 0.75);
        let norm = k1 * (1.0 - b + b * doc.len() as f64 / self.avgdl.max(1e-9));
        query
            .iter()
            .filter(|w| doc.contains(w))
            .map(|w| self.idf.get(w).copied().unwrap_or(0.0) * (k1 + 1.0) / (1.0 + norm))
            .sum()
    }
}

/// Softmax of the top cosines over `temperature` ([`incrocio_taxonomy::ngrams::softmax`], the
/// engine's), in f64.
fn distribution(top: &[(OccupationId, f32)], temperature: f64) -> Vec<(OccupationId, f64)> {
    incrocio_taxonomy::ngrams::softmax(top, temperature)
        .into_iter()
        .map(|(o, p)| (o, f64::from(p)))
        .collect()
}

fn expected_match(t: &Taxonomy, a: &[(OccupationId, f64)], b: &[(OccupationId, f64)]) -> f64 {
    let mut s = 0.0;
    for &(x, p) in a {
        for &(y, q) in b {
            let m = if x == y {
                1.0
            } else if t.same_isco(x, y) {
                0.5
            } else if same_minor(t, x, y) {
                0.25
            } else {
                0.0
            };
            s += p * q * m;
        }
    }
    s
}

/// Each query's own stream of the noise: from the seed and the title, so that a title reads
/// the same whatever set or order it is drawn in.
fn noise_rng(seed: u64, title: &str) -> ChaCha8Rng {
    // FNV-1a: stable across builds and platforms (the std hasher is not).
    let h = title.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ChaCha8Rng::seed_from_u64(seed ^ h)
}

/// A query title as the options ask it: as written, or as an ad writes it.
fn written(title: &str, o: &RankingOptions) -> String {
    if o.noisy {
        as_an_ad_writes_it(title, o.seed)
    } else {
        title.to_owned()
    }
}

/// `title` as a job ad may write it, drawn from `seed` and the title: a gender ending after a
/// slash (`/a`, `/trice`) on the first word (half the titles), a gender marker (`(m/f)`,
/// 30%), a call (`Cercasi`, 25%), a seniority (25%), hours or contract (30%), an abbreviation
/// of `data/titoli/abbreviazioni.tsv` for a word it expands to (30%), a comune (30%), capitals
/// (15%). What it adds is what ads add and what
/// [`incrocio_taxonomy::clean`] is written to remove: the set measures how much such noise
/// costs each method, not how often real titles carry it.
pub fn as_an_ad_writes_it(title: &str, seed: u64) -> String {
    use rand::Rng;
    let mut rng = noise_rng(seed, title);
    let mut words: Vec<String> = title.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return title.to_owned();
    }
    if rng.gen_bool(0.5) {
        let w = &mut words[0];
        let lower = w.to_lowercase();
        if lower.ends_with("tore") {
            w.push_str("/trice");
        } else if lower.chars().count() > 3 && (lower.ends_with('o') || lower.ends_with('e')) {
            w.push_str("/a");
        }
    }
    if rng.gen_bool(0.3) {
        // Longest first, so that `operatore socio sanitario` wins over `operatore`.
        const SHORT: [(&str, &str); 9] = [
            ("operatore socio sanitario", "OSS"),
            ("responsabile", "Resp."),
            ("amministrativo", "Amm."),
            ("magazziniere", "Magazz."),
            ("assistente", "Ass."),
            ("impiegato", "Imp."),
            ("operatore", "Op."),
            ("addetto", "Add."),
            ("tecnico", "Tecn."),
        ];
        let joined = words.join(" ");
        let lower = joined.to_lowercase();
        if let Some((at, long, short)) = SHORT
            .iter()
            .find_map(|(l, s)| lower.find(l).map(|at| (at, l, s)))
            && joined.is_char_boundary(at)
            && joined.is_char_boundary(at + long.len())
        {
            let rewritten = format!("{}{}{}", &joined[..at], short, &joined[at + long.len()..]);
            words = rewritten.split_whitespace().map(str::to_owned).collect();
        }
    }
    let mut out = words.join(" ");
    if rng.gen_bool(0.25) {
        let calls = ["Cercasi", "Ricerchiamo", "URGENTE", "Selezioniamo"];
        out = format!("{} {out}", calls[rng.gen_range(0..calls.len())]);
    }
    if rng.gen_bool(0.25) {
        out.push_str(if rng.gen_bool(0.5) {
            " junior"
        } else {
            " Senior"
        });
    }
    if rng.gen_bool(0.3) {
        let markers = [" (m/f)", " m/f", " (M/F)", " (m/w/d)"];
        out.push_str(markers[rng.gen_range(0..markers.len())]);
    }
    if rng.gen_bool(0.3) {
        let hours = [
            " part time",
            " full-time",
            " - tempo determinato",
            " part-time",
        ];
        out.push_str(hours[rng.gen_range(0..hours.len())]);
    }
    if rng.gen_bool(0.3) {
        let comuni = incrocio_core::reference::Reference::bundled()
            .territory
            .comuni();
        if !comuni.is_empty() {
            out.push_str(" - ");
            out.push_str(&comuni[rng.gen_range(0..comuni.len())].nome);
        }
    }
    if rng.gen_bool(0.15) {
        out = out.to_uppercase();
    }
    out
}

/// A query: its view and grades.
struct Query {
    view: View,
    /// Its grade against each pool title (the query itself graded 0 and skipped).
    grades: Vec<u8>,
    /// Its own index in the pool, if drawn from it.
    own: Option<usize>,
}

#[derive(Clone, Copy)]
enum Method {
    Bm25,
    Release,
    CharNgram,
    Soft { temperature: f64, lexical: f64 },
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Bm25 => "bm25",
            Method::Release => "release",
            Method::CharNgram => "char_ngram",
            Method::Soft { .. } => "soft",
        }
    }
}

fn figures(
    t: &Taxonomy,
    pool: &[Title],
    bm25: &Bm25,
    queries: &[Query],
    method: Method,
) -> (MethodFigures, Vec<Vec<usize>>) {
    let soft_pool: Vec<Vec<(OccupationId, f64)>> = match method {
        Method::Soft { temperature, .. } => pool
            .iter()
            .map(|p| distribution(&p.view.top, temperature))
            .collect(),
        _ => Vec::new(),
    };
    let (mut ndcg, mut recall) = (0.0, 0.0);
    let mut tops = Vec::with_capacity(queries.len());
    for q in queries {
        let q_soft = match method {
            Method::Soft { temperature, .. } => distribution(&q.view.top, temperature),
            _ => Vec::new(),
        };
        let mut scored: Vec<(f64, f64, usize)> = pool
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != q.own)
            .map(|(i, p)| {
                let (q, p) = (&q.view, &p.view);
                let (a, b) = match method {
                    Method::Bm25 => (bm25.score(&q.words, &p.words), 0.0),
                    Method::Release => {
                        let e = match (q.release, p.release) {
                            (Some(x), Some(y)) if x == y => 1.0,
                            (Some(x), Some(y)) if t.same_isco(x, y) => 0.5,
                            _ => 0.0,
                        };
                        (e, bm25.score(&q.words, &p.words))
                    }
                    Method::CharNgram => (f64::from(q.grams.cosine(&p.grams)), 0.0),
                    Method::Soft { lexical: l, .. } => (
                        expected_match(t, &q_soft, &soft_pool[i])
                            + l * f64::from(q.grams.cosine(&p.grams)),
                        0.0,
                    ),
                };
                (a, b, i)
            })
            .collect();
        scored.sort_unstable_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then(y.1.total_cmp(&x.1))
                .then(x.2.cmp(&y.2))
        });
        let ranked: Vec<u8> = scored.iter().map(|s| q.grades[s.2]).collect();
        tops.push(scored.iter().take(10).map(|s| s.2).collect());
        let all: Vec<u8> = (0..pool.len())
            .filter(|i| Some(*i) != q.own)
            .map(|i| q.grades[i])
            .collect();
        let (n, r) = query_figures(&ranked, &all);
        ndcg += n;
        recall += r;
    }
    let n = queries.len().max(1) as f64;
    let f = MethodFigures {
        method: method.name().to_owned(),
        ndcg_at_10: ndcg / n,
        recall_at_50: recall / n,
    };
    (f, tops)
}

/// The held-out titles of a development set and the title indexes built without them.
struct HeldOut {
    /// The word index.
    words: incrocio_taxonomy::titles::TitleIndex,
    /// The character n-gram index.
    grams: NgramIndex,
    /// Every `every`-th alternative label and voce, with their occupations.
    titles: Vec<(String, Vec<OccupationId>)>,
    /// Their normalised texts.
    texts: std::collections::BTreeSet<String>,
}

fn held_out(t: &Taxonomy, every: u64) -> HeldOut {
    let (words, titles) = holdout(t, every);
    let texts: std::collections::BTreeSet<String> = titles.iter().map(|h| h.0.clone()).collect();
    let grams = NgramIndex::build(t, &|text| {
        texts.contains(&incrocio_taxonomy::normalize_label(text))
    });
    HeldOut {
        words,
        grams,
        titles,
        texts,
    }
}

/// The pool (held-out titles drawn by seed, at most `o.pool`) and the order queries are drawn
/// in: the same for every method and for [`rosa_ranking`].
fn draw(
    mut held: Vec<(String, Vec<OccupationId>)>,
    o: &RankingOptions,
) -> (Vec<(String, Vec<OccupationId>)>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    held.shuffle(&mut rng);
    held.truncate(o.pool);
    let mut order: Vec<usize> = (0..held.len()).collect();
    order.shuffle(&mut rng);
    (held, order)
}

/// Builds the sets and measures every method.
pub fn title_ranking(
    t: &Taxonomy,
    ads: &[(String, Vec<String>)],
    judged: &Judgments,
    o: &RankingOptions,
) -> TitleRanking {
    let HeldOut {
        words: words_index,
        grams: ngrams,
        titles: held,
        ..
    } = held_out(t, o.holdout_every);
    let (chosen, order) = draw(held, o);
    let asked = |text: &str| written(text, o);
    let view = |text: &str| View {
        words: words_index.folded_words(text),
        grams: ngrams.vector(text),
        release: words_index
            .resolve(text, 1)
            .first()
            .filter(|m| m.confidence >= o.min_confidence)
            .map(|m| m.occupation),
        top: ngrams.resolve(text, TOP),
    };
    let pool: Vec<Title> = chosen
        .iter()
        .map(|(text, occ)| Title {
            occupations: occ.clone(),
            view: view(text),
        })
        .collect();
    let bm25 = Bm25::new(&pool);
    let query_of = |i: usize| Query {
        view: if o.noisy {
            view(&asked(&chosen[i].0))
        } else {
            pool[i].view.clone()
        },
        grades: pool
            .iter()
            .map(|p| grade(t, &pool[i].occupations, &p.occupations))
            .collect(),
        own: Some(i),
    };
    let tuning: Vec<Query> = order
        .iter()
        .take(o.tuning_queries)
        .map(|&i| query_of(i))
        .collect();
    let reported: Vec<Query> = order
        .iter()
        .skip(o.tuning_queries)
        .take(o.queries)
        .map(|&i| query_of(i))
        .collect();
    // The soft method's two constants, chosen on the tuning queries only.
    let mut best = (f64::NEG_INFINITY, 0.05, 0.5);
    for temperature in [0.02, 0.05, 0.1, 0.2] {
        for lexical in [0.0, 0.25, 0.5, 1.0] {
            let f = figures(
                t,
                &pool,
                &bm25,
                &tuning,
                Method::Soft {
                    temperature,
                    lexical,
                },
            )
            .0;
            if f.ndcg_at_10 > best.0 {
                best = (f.ndcg_at_10, temperature, lexical);
            }
        }
    }
    let soft = Method::Soft {
        temperature: best.1,
        lexical: best.2,
    };
    let methods = [Method::Bm25, Method::Release, Method::CharNgram, soft];
    let held_out = methods
        .iter()
        .map(|&m| figures(t, &pool, &bm25, &reported, m).0)
        .collect();
    let ad_queries: Vec<Query> = ads
        .iter()
        .map(|(text, units)| Query {
            view: view(&asked(text)),
            grades: pool
                .iter()
                .map(|p| ad_grade(t, units, &p.occupations))
                .collect(),
            own: None,
        })
        .collect();
    let ads_figures = methods
        .iter()
        .map(|&m| figures(t, &pool, &bm25, &ad_queries, m).0)
        .collect();
    let (usable, judged_missing) = match judged.in_pool(&chosen) {
        Ok(queries) => (queries, 0),
        Err(missing) => (&[][..], missing),
    };
    let judged_queries: Vec<Query> = usable
        .iter()
        .map(|(text, grades)| Query {
            view: view(&asked(text)),
            grades: judged_grades(grades, &chosen),
            own: None,
        })
        .collect();
    let mut unjudged = Vec::new();
    let mut judged_figures = Vec::new();
    if !judged_queries.is_empty() {
        for &m in &methods {
            let (f, tops) = figures(t, &pool, &bm25, &judged_queries, m);
            judged_figures.push(f);
            unjudged.extend(without_judgment(usable, &chosen, &tops));
        }
    }
    // Resolution on the pool titles.
    let (mut w1, mut w5, mut n1, mut n5) = (0usize, 0usize, 0usize, 0usize);
    for (p, (text, _)) in pool.iter().zip(&chosen) {
        let ok = |x: OccupationId| p.occupations.contains(&x);
        let w = words_index.resolve(text, 5);
        w1 += usize::from(w.first().is_some_and(|m| ok(m.occupation)));
        w5 += usize::from(w.iter().any(|m| ok(m.occupation)));
        n1 += usize::from(p.view.top.first().is_some_and(|m| ok(m.0)));
        n5 += usize::from(p.view.top.iter().take(5).any(|m| ok(m.0)));
    }
    // Calibration: the temperature fitted on one half of the pool, checked on the other.
    let (fit, check): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| i % 2 == 0);
    let nll = |temperature: f64| -> f64 {
        fit.iter()
            .map(|&i| {
                let right: f64 = distribution(&pool[i].view.top, temperature)
                    .iter()
                    .filter(|(o, _)| pool[i].occupations.contains(o))
                    .map(|x| x.1)
                    .sum();
                -right.max(1e-6).ln()
            })
            .sum::<f64>()
            / fit.len().max(1) as f64
    };
    let calibrated = temperatures()
        .min_by(|a, b| nll(*a).total_cmp(&nll(*b)))
        .unwrap_or(best.1);
    let mut bins = Bins::default();
    for &i in &check {
        if let Some(&(o1, prob)) = distribution(&pool[i].view.top, calibrated).first() {
            bins.add(prob, pool[i].occupations.contains(&o1));
        }
    }
    let (calibration_error, reliability) = bins.finish();
    let n = pool.len().max(1) as f64;
    TitleRanking {
        pool: pool.len(),
        queries: reported.len(),
        ad_queries: ad_queries.len(),
        holdout_every: o.holdout_every,
        seed: o.seed,
        soft_temperature: best.1,
        soft_lexical: best.2,
        calibrated_temperature: calibrated,
        calibration_error,
        held_out,
        ads: ads_figures,
        judged_queries: judged_queries.len(),
        judged_missing,
        judged: judged_figures,
        unjudged,
        resolution: vec![
            Resolution {
                index: "words".into(),
                accuracy_at_1: w1 as f64 / n,
                accuracy_at_5: w5 as f64 / n,
            },
            Resolution {
                index: "char_ngram".into(),
                accuracy_at_1: n1 as f64 / n,
                accuracy_at_5: n5 as f64 / n,
            },
        ],
        reliability,
        rosa: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judgments_are_read_by_query_and_refused_naming_the_line() {
        let j = Judgments::parse(
            "query\ttitle\tgrade\nCuoco\tCuoca Grigliera\t2\nCuoco\tsarta\t0\nBarista\t\t\n",
        )
        .unwrap();
        assert_eq!(j.queries.len(), 2);
        assert_eq!(j.queries[0].0, "Cuoco");
        // Keys are the pool's normalised labels.
        assert_eq!(j.queries[0].1.get("cuoca grigliera"), Some(&2));
        assert!(j.queries[1].1.is_empty());
        let pool = vec![
            ("cuoca grigliera".to_owned(), vec![]),
            ("x".to_owned(), vec![]),
        ];
        assert_eq!(j.in_pool(&pool).err(), Some(1));
        assert_eq!(j.in_pool(&pool[..1]).err(), Some(1));
        let both = [pool[0].clone(), ("sarta".to_owned(), vec![])];
        assert_eq!(j.in_pool(&both).map(<[_]>::len), Ok(2));
        assert_eq!(judged_grades(&j.queries[0].1, &pool), [2, 0]);
        let tops = [vec![1, 0]];
        let pairs: Vec<_> = without_judgment(&j.queries[..1], &pool, &tops).collect();
        assert_eq!(pairs, [("Cuoco".to_owned(), "x".to_owned())]);
        for (bad, why) in [
            ("q\tt\tg\nCuoco\tx\t4\n", "line 2: grade must be"),
            ("q\tt\tg\nCuoco\tx\n", "line 2: want 3"),
            ("q\tt\tg\n\tx\t1\n", "line 2: empty query"),
            ("q\tt\tg\nC\tx\t1\nC\tX\t2\n", "line 3: \"X\" judged twice"),
        ] {
            let e = Judgments::parse(bad).unwrap_err();
            assert!(e.starts_with(why), "{e}");
        }
    }

    /// An ad's rewriting of a title is the seed's and the title's alone (the same in every set
    /// and order), changes most titles, keeps the title's words, and differs by seed.
    #[test]
    fn a_title_as_an_ad_writes_it_is_drawn_from_the_seed_and_the_title() {
        let titles = [
            "Cameriere di sala",
            "Addetto alle vendite",
            "Operatore socio sanitario",
        ];
        let mut changed = 0;
        let mut differs = 0;
        for t in titles
            .iter()
            .cycle()
            .take(60)
            .enumerate()
            .map(|(i, t)| format!("{t} {i}"))
        {
            let a = as_an_ad_writes_it(&t, 42);
            assert_eq!(a, as_an_ad_writes_it(&t, 42));
            changed += usize::from(a != t);
            differs += usize::from(a != as_an_ad_writes_it(&t, 7));
            // The number at the end is never taken away (nothing is dropped but an abbreviated
            // word's letters).
            let n = t.rsplit(' ').next().unwrap();
            assert!(a.contains(n), "{t} -> {a}");
        }
        assert!(changed >= 50, "{changed} of 60 changed");
        assert!(differs >= 40, "{differs} of 60 differ by seed");
        // An abbreviation replaces the words it stands for, longest first.
        let all: Vec<String> = (0..200)
            .map(|s| as_an_ad_writes_it("operatore socio sanitario", s))
            .collect();
        assert!(
            all.iter().any(|a| a.to_lowercase().starts_with("oss")),
            "{all:?}"
        );
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_order_and_less_otherwise() {
        assert_eq!(ndcg_at_10(&[3, 2, 0], &[0, 2, 3]), 1.0);
        // Ideal DCG: 7/1 + 3/log2(3) = 8.8928; got: 3/1 + 7/log2(3) = 7.4165.
        let got = ndcg_at_10(&[2, 3, 0], &[0, 2, 3]);
        assert!((got - (3.0 + 7.0 / 3f64.log2()) / (7.0 + 3.0 / 3f64.log2())).abs() < 1e-12);
        assert_eq!(ndcg_at_10(&[0, 0], &[0, 0]), 0.0);
    }

    #[test]
    fn the_soft_distribution_sums_to_one_and_keeps_the_order() {
        let d = distribution(&[(7, 0.9), (3, 0.8), (5, 0.1)], 0.1);
        // Probabilities are f32, as the engine's.
        assert!((d.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-6);
        assert!(d[0].1 > d[1].1 && d[1].1 > d[2].1);
        // exp(-1) / (1 + exp(-1) + exp(-8)) for the second (the cosines are f32: 0.8 and 0.9
        // are off by 1e-8, so the check is to 1e-6).
        let e = (-1f64).exp();
        assert!((d[1].1 - e / (1.0 + e + (-8f64).exp())).abs() < 1e-6);
    }
}

/// One matching model's figures when the sets are run through the rosa itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosaFigures {
    /// The model (`id@vN`) and its digest.
    pub model: String,
    /// Its digest.
    pub model_digest: String,
    /// On the held-out queries.
    pub held_out: MethodFigures,
    /// On the job-ad queries.
    pub ads: MethodFigures,
    /// On the judged queries, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<MethodFigures>,
    /// The rosa's first-10 pairs of the judged queries with no judgment yet.
    #[serde(skip)]
    pub unjudged: Vec<(String, String)>,
    /// Pool titles resolved to at least one occupation by the model's title resolution.
    pub resolved: usize,
}

/// Where the candidates live and what every query vacancy shares.
const ROSA_COMUNE: &str = "058091";

/// The title-to-title sets run through the rosa, as a new user would (issue 31): each pool
/// title becomes a candidate with one experience of that title (24 months, ongoing), all in
/// one comune, and each query title a vacancy there (radius 10 km, contract A01, no other
/// requirement) whose rosa of 50 is graded as in [`title_ranking`] (the query's own candidate
/// excluded). The taxonomy's title indexes and exact labels leave out the held-out labels
/// ([`Taxonomy::with_title_indexes`]), so no pool title is known to the resolution. An index per
/// model is built under `dir`.
pub fn rosa_ranking(
    models: &[incrocio_matching::MatchingModel],
    ads: &[(String, Vec<String>)],
    judged: &Judgments,
    o: &RankingOptions,
    dir: &std::path::Path,
) -> incrocio_core::error::Result<Vec<RosaFigures>> {
    use incrocio_core::error::Error;
    use incrocio_matching::{CandidateIndex, IndexParams, IndexSource, VacancyRecord};
    let bundled = Taxonomy::bundled();
    let HeldOut {
        words,
        grams,
        titles: held,
        texts: held_texts,
    } = held_out(bundled, o.holdout_every);
    let t = Taxonomy::parse_bundled().with_title_indexes(words, grams, &|k| held_texts.contains(k));
    let (chosen, order) = draw(held, o);
    let r = incrocio_core::reference::Reference::bundled();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let input = dir.join("candidates.jsonl");
    let mut lines = String::new();
    for (i, (text, _)) in chosen.iter().enumerate() {
        let rec = serde_json::json!({
            "id": format!("P{i:05}"), "comune_domicilio": ROSA_COMUNE, "stato": "attivo",
            "esperienze": [{"titolo": text, "mesi": 24}],
        });
        lines.push_str(&rec.to_string());
        lines.push('\n');
    }
    std::fs::write(&input, lines).map_err(|e| Error::io(&input, e))?;
    let held_queries: Vec<(usize, Vec<u8>)> = order
        .iter()
        .skip(o.tuning_queries)
        .take(o.queries)
        .map(|&i| {
            let g = chosen
                .iter()
                .map(|p| grade(bundled, &chosen[i].1, &p.1))
                .collect();
            (i, g)
        })
        .collect();
    let ad_queries: Vec<Vec<u8>> = ads
        .iter()
        .map(|(_, units)| {
            chosen
                .iter()
                .map(|p| ad_grade(bundled, units, &p.1))
                .collect()
        })
        .collect();
    // The judged queries and their grades of the pool, once for every model (none when the
    // judgments are of another pool: `title_ranking` reports how many titles are missing).
    let judged = judged.in_pool(&chosen).unwrap_or(&[]);
    let judged_pool_grades: Vec<Vec<u8>> = judged
        .iter()
        .map(|(_, g)| judged_grades(g, &chosen))
        .collect();
    let mut out = Vec::new();
    for (k, model) in models.iter().enumerate() {
        let at = dir.join(format!("index-{k}"));
        let params = IndexParams::of(model);
        CandidateIndex::build(
            &at,
            &IndexSource {
                input: &input,
                as_of,
                params: &params,
                latest: as_of,
                progress: false,
            },
            &t,
        )?;
        let index = CandidateIndex::open(&at)?;
        let run = |title: &str,
                   own: Option<usize>,
                   grades: &[u8]|
         -> incrocio_core::error::Result<((f64, f64), Vec<usize>)> {
            let rec: VacancyRecord = serde_json::from_value(serde_json::json!({
                "id": "Q", "titolo": title, "comune": ROSA_COMUNE, "raggio_km": 10,
                "contratto": "A01",
            }))
            .map_err(|e| Error::data(dir, e.to_string()))?;
            let vacancy = rec.validate(r, &t, &model.titles)?;
            let exclude: Vec<String> = own.map(|i| format!("P{i:05}")).into_iter().collect();
            let rosa = index.shortlist_with(
                &vacancy,
                model,
                incrocio_matching::rosa::RosaAsk {
                    size: Some(50),
                    stamp: incrocio_matching::rosa::RosaStamp::now(Some(as_of)),
                    exclude: &exclude,
                },
                &t,
                &incrocio_core::cancel::Cancel::never(),
            )?;
            let places: Vec<usize> = rosa
                .rosa
                .iter()
                .filter_map(|e| e.candidate_id.get(1..)?.parse::<usize>().ok())
                .collect();
            let ranked: Vec<u8> = places.iter().map(|&j| grades[j]).collect();
            let all: Vec<u8> = (0..grades.len())
                .filter(|j| Some(*j) != own)
                .map(|j| grades[j])
                .collect();
            Ok((query_figures(&ranked, &all), places))
        };
        let figures = |set: Vec<((f64, f64), Vec<usize>)>| {
            let set: Vec<(f64, f64)> = set.into_iter().map(|x| x.0).collect();
            let n = set.len().max(1) as f64;
            MethodFigures {
                method: format!("rosa {}", model.key()),
                ndcg_at_10: set.iter().map(|x| x.0).sum::<f64>() / n,
                recall_at_50: set.iter().map(|x| x.1).sum::<f64>() / n,
            }
        };
        let held_set = held_queries
            .iter()
            .map(|(i, g)| run(&written(&chosen[*i].0, o), Some(*i), g))
            .collect::<incrocio_core::error::Result<Vec<_>>>()?;
        let ad_set = ads
            .iter()
            .zip(&ad_queries)
            .map(|((title, _), g)| run(&written(title, o), None, g))
            .collect::<incrocio_core::error::Result<Vec<_>>>()?;
        let judged_set = judged
            .iter()
            .zip(&judged_pool_grades)
            .map(|((title, _), g)| run(&written(title, o), None, g))
            .collect::<incrocio_core::error::Result<Vec<_>>>()?;
        let tops: Vec<Vec<usize>> = judged_set
            .iter()
            .map(|x| x.1.iter().take(10).copied().collect())
            .collect();
        let unjudged = without_judgment(judged, &chosen, &tops).collect();
        let judged_figures = (!judged_set.is_empty()).then(|| figures(judged_set));
        let soft = model.titles.soft();
        let resolved = chosen
            .iter()
            .filter(|(text, _)| match &soft {
                Some(s) => !t.title_distribution(text, s).is_empty(),
                None => t
                    .resolve_title(text, model.titles.fuzzy, model.titles.min_confidence)
                    .is_some(),
            })
            .count();
        out.push(RosaFigures {
            model: model.key(),
            model_digest: model.digest.clone(),
            held_out: figures(held_set),
            ads: figures(ad_set),
            judged: judged_figures,
            unjudged,
            resolved,
        });
        drop(index);
        std::fs::remove_dir_all(&at).map_err(|e| Error::io(&at, e))?;
    }
    std::fs::remove_file(&input).map_err(|e| Error::io(&input, e))?;
    Ok(out)
}

/// What `incrocio train titles` fits, and from what.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    /// Hold out every N-th alternative label and voce (the training's held-out titles).
    pub holdout_every: u64,
    /// Held-out titles drawn (by seed) at most.
    pub pool: usize,
    /// Seed of the draw.
    pub seed: u64,
    /// Occupations kept per title.
    pub top_k: usize,
    /// Smallest best cosine at which a title names anything (stated, not fitted).
    pub min_cosine: f64,
}

/// The fitted title model: a versioned file (`models/titles/ngram.vN.toml`) whose numbers a
/// matching model's `[titles]` states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TitleModelFit {
    /// Occupations kept per title.
    pub top_k: usize,
    /// The temperature of least mean negative log-likelihood of the right occupations on the
    /// fitting half.
    pub temperature: f64,
    /// The stated threshold.
    pub min_cosine: f64,
    /// Held-out titles in the fitting half and in the checking half.
    pub fitted_on: usize,
    /// Titles checked.
    pub checked_on: usize,
    /// Mean negative log-likelihood at the temperature, on the checking half.
    pub log_loss: f64,
    /// Expected calibration error of the top-1 probability, on the checking half.
    pub calibration_error: f64,
    /// Share of the checking half whose first occupation is right.
    pub accuracy_at_1: f64,
    /// Share with a right occupation among the `top_k`.
    pub accuracy_at_k: f64,
    /// Share of the checking half naming any occupation at `min_cosine`.
    pub resolved: f64,
    /// Reliability table of the top-1 probability on the checking half.
    pub reliability: Vec<ReliabilityBin>,
}

/// The candidate temperatures: 41 steps from 0.01 to 1, evenly spaced in logarithm.
fn temperatures() -> impl Iterator<Item = f64> {
    (0..=40).map(|k| 0.01 * 100f64.powf(f64::from(k) / 40.0))
}

/// Fits the title model's temperature on held-out labels (the index built without them):
/// deterministic, single-threaded, the same numbers for the same seed and data.
pub fn train_titles(t: &Taxonomy, o: &TrainOptions) -> TitleModelFit {
    use incrocio_taxonomy::ngrams::softmax;
    let HeldOut {
        grams: ngrams,
        titles: held,
        ..
    } = held_out(t, o.holdout_every);
    let options = RankingOptions {
        holdout_every: o.holdout_every,
        pool: o.pool,
        queries: 0,
        tuning_queries: 0,
        seed: o.seed,
        min_confidence: 0.0,
        noisy: false,
    };
    let (chosen, order) = draw(held, &options);
    let tops: Vec<Vec<(OccupationId, f32)>> = chosen
        .iter()
        .map(|(text, _)| ngrams.resolve(text, o.top_k))
        .collect();
    let (fit, check): (Vec<usize>, Vec<usize>) = order.iter().partition(|&&i| i % 2 == 0);
    let named = |i: usize| {
        tops[i]
            .first()
            .is_some_and(|x| f64::from(x.1) >= o.min_cosine)
    };
    let nll = |set: &[usize], temperature: f64| -> f64 {
        let used: Vec<usize> = set.iter().copied().filter(|&i| named(i)).collect();
        used.iter()
            .map(|&i| {
                let right: f64 = softmax(&tops[i], temperature)
                    .iter()
                    .filter(|(occ, _)| chosen[i].1.contains(occ))
                    .map(|x| f64::from(x.1))
                    .sum();
                -right.max(1e-6).ln()
            })
            .sum::<f64>()
            / used.len().max(1) as f64
    };
    let temperature = temperatures()
        .min_by(|a, b| nll(&fit, *a).total_cmp(&nll(&fit, *b)))
        .unwrap_or(0.1);
    let mut bins = Bins::default();
    let (mut at1, mut atk, mut resolved) = (0usize, 0usize, 0usize);
    for &i in &check {
        let right = |occ: &OccupationId| chosen[i].1.contains(occ);
        atk += usize::from(tops[i].iter().any(|x| right(&x.0)));
        if !named(i) {
            continue;
        }
        resolved += 1;
        if let Some(&(o1, prob)) = softmax(&tops[i], temperature).first() {
            at1 += usize::from(right(&o1));
            bins.add(f64::from(prob), right(&o1));
        }
    }
    let (calibration_error, reliability) = bins.finish();
    let n = check.len().max(1) as f64;
    TitleModelFit {
        top_k: o.top_k,
        temperature,
        min_cosine: o.min_cosine,
        fitted_on: fit.len(),
        checked_on: check.len(),
        log_loss: nll(&check, temperature),
        calibration_error,
        accuracy_at_1: at1 as f64 / n,
        accuracy_at_k: atk as f64 / n,
        resolved: resolved as f64 / n,
        reliability,
    }
}

impl TitleModelFit {
    /// The model file: the numbers a matching model's `[titles]` states, with how they were
    /// fitted and what they give, and the digest of the taxonomy they were fitted on.
    pub fn to_toml(&self, o: &TrainOptions, t: &Taxonomy, version: u32) -> String {
        let mut s = format!(
            "# The title model: a free-text job title → its top_k ESCO occupations, by the cosine of\n\
             # its character 3–5-grams (idf over the labels) with each occupation's best label (ESCO\n\
             # IT/EN preferred, alternative and hidden labels, CP2011 voci), weighted by\n\
             # softmax(cosine / temperature). Written by `incrocio train titles --seed {seed}`; the\n\
             # same command on the same data writes this file byte for byte. A matching model states\n\
             # these numbers in its [titles] (default@v4 does); nothing here is downloaded.\n\
             #\n\
             # status = \"fitted\": the temperature is fitted (least log-loss of the right occupations\n\
             # on half of the held-out labels); top_k and min_cosine are stated choices.\n\
             id = \"ngram\"\n\
             version = {version}\n\
             status = \"fitted\"\n\
             method = \"char-ngram-labels\"\n\
             gram_sizes = [3, 4, 5]\n\
             top_k = {top_k}\n\
             temperature = {temperature}\n\
             min_cosine = {min_cosine}\n\
             \n\
             [training]\n\
             seed = {seed}\n\
             holdout_every = {holdout}\n\
             pool = {pool}\n\
             taxonomy = \"{tax}\"\n\
             taxonomy_digest = \"{digest}\"\n\
             fitted_on = {fitted}\n\
             checked_on = {checked}\n\
             \n\
             [checked]\n\
             # On the checking half (held-out labels the index never saw).\n\
             log_loss = {log_loss:.6}\n\
             calibration_error = {ece:.6}\n\
             accuracy_at_1 = {a1:.6}\n\
             accuracy_at_k = {ak:.6}\n\
             resolved = {resolved:.6}\n",
            seed = o.seed,
            version = version,
            top_k = self.top_k,
            temperature = self.temperature,
            min_cosine = self.min_cosine,
            holdout = o.holdout_every,
            pool = o.pool,
            tax = incrocio_taxonomy::VERSION,
            digest = t.digest,
            fitted = self.fitted_on,
            checked = self.checked_on,
            log_loss = self.log_loss,
            ece = self.calibration_error,
            a1 = self.accuracy_at_1,
            ak = self.accuracy_at_k,
            resolved = self.resolved,
        );
        for b in &self.reliability {
            s.push_str(&format!(
                "\n[[checked.reliability]]\nfrom = {:.1}\nn = {}\nmean_probability = {:.6}\nobserved = {:.6}\n",
                b.from, b.n, b.mean_probability, b.observed
            ));
        }
        s
    }
}
