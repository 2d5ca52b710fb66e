//! Scoring, ordering, justification, exclusions and the list sent to the employer.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::applicant::Applicant;
use super::justify::{Decided, Rule, Shown, TieDetail, TieValue};
use super::rules::{
    CountingDate, Criterion, CriterionKind, GraduatoriaRules, Order, TieBreakKey, Variable,
};
use incrocio_core::error::{Error, FieldReason, InputError, ModelError};
use incrocio_core::period::{unemployment_at, whole_months, whole_years};

/// What a CPI asks: rank these applicants to this notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraduatoriaRequest {
    /// Publication date of the notice (avviso).
    pub publication_date: NaiveDate,
    /// Deadline for applications (defaults to the publication date).
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// Posts to fill: the list sent is `list_multiplier` × posts, reserves applied.
    #[serde(default)]
    pub posts: Option<u32>,
    /// Whether the employer is a public administration (some L. 68 criteria apply only then).
    #[serde(default = "yes")]
    pub public_employer: bool,
    /// The applicants.
    pub applicants: Vec<Applicant>,
}

fn yes() -> bool {
    true
}

fn no_values() -> [TieValue; 2] {
    [TieValue::None, TieValue::None]
}

/// Identity of the rule set on every output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RulesRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// `sha256:` of the file.
    pub digest: String,
    /// The act.
    pub act: String,
    /// The act's date.
    pub act_date: Option<NaiveDate>,
}

/// One criterion's points for one applicant, with what produced them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CriterionPoints {
    /// Criterion name.
    // Shared with the rule set: one allocation per criterion, not one per row.
    pub criterion: std::sync::Arc<str>,
    /// The input value read (`missing` when absent or invalid).
    pub input: Shown,
    /// Points.
    pub points: Decimal,
    /// The arithmetic, in words.
    pub rule: Rule,
}

/// Why a row sits after its equal-total neighbour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TieBreak {
    /// The applicant just above with the same total.
    pub after: String,
    /// The deciding key (`unresolved` when every key ties: then ordered by applicant id).
    pub decided_by: Decided,
    /// The compared values, above vs this row.
    pub detail: TieDetail,
    /// The deciding key's raw values, above and this row (a date, a number of days or points;
    /// empty when absent or unresolved): for renderings in other languages.
    #[serde(default = "no_values")]
    pub values: [TieValue; 2],
}

/// A ranked applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Row {
    /// 1-based position.
    pub position: u32,
    /// Applicant id.
    pub applicant_id: String,
    /// Base + Σ criteria.
    pub total: Decimal,
    /// Each criterion's points.
    pub criteria: Vec<CriterionPoints>,
    /// Set when the row ties on total with the one above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie_break: Option<TieBreak>,
}

/// An applicant left out of the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Excluded {
    /// Applicant id.
    pub applicant_id: String,
    /// Why.
    pub reason: String,
}

/// A name on the list sent to the administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ListEntry {
    /// Position in the graduatoria.
    pub position: u32,
    /// Applicant id.
    pub applicant_id: String,
    /// `riserva:<category>` or `ordine_generale`.
    pub title: String,
}

/// The ranking, justified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Graduatoria {
    /// Rule set.
    pub rules: RulesRef,
    /// Publication date.
    pub publication_date: NaiveDate,
    /// Date ages and durations are counted at.
    pub counting_date: NaiveDate,
    /// Posts, if given.
    pub posts: Option<u32>,
    /// `sha256:` of the canonical request.
    pub input_digest: String,
    /// Ranked applicants.
    pub ranking: Vec<Row>,
    /// Excluded applicants with reasons.
    pub excluded: Vec<Excluded>,
    /// The list sent (empty without posts).
    pub list: Vec<ListEntry>,
    /// Flagged parameters of the rule set and other caveats.
    pub warnings: Vec<String>,
    /// The applicants as received, sorted by id (kept for riesame).
    pub inputs: Vec<Applicant>,
}

/// An applicant's score and tie-break keys.
struct Scored<'a> {
    a: &'a Applicant,
    /// The applicant's place in id order (ids are unique): the last key of the order.
    id_rank: u32,
    total: Decimal,
    /// `total` as an integer at the largest scale of the ranking (see [`sort_keys`]).
    key: i128,
    criteria: Vec<CriterionPoints>,
    dependant_points: Decimal,
    unemployment_days: i64,
}

/// Ranks a request under a rule set.
pub fn rank(rules: &GraduatoriaRules, request: &GraduatoriaRequest) -> Result<Graduatoria, Error> {
    if !rules.missing.is_empty() {
        let names: Vec<&str> = rules.missing.iter().map(|m| m.parameter.as_str()).collect();
        return Err(ModelError::new(
            &rules.key(),
            "missing",
            format!(
                "this rule set cannot rank: the act's parameters are not known: {}",
                names.join("; ")
            ),
        )
        .into());
    }
    let (Some(base), Some(order), Some(counting), Some(ties)) =
        (rules.base, rules.order, rules.counting_date, &rules.ties)
    else {
        return Err(ModelError::new(&rules.key(), "base", "incomplete rule set").into());
    };
    if let Some(d) = request.deadline.filter(|d| *d < request.publication_date) {
        return Err(InputError::new(
            "deadline",
            FieldReason::Inconsistent(format!(
                "the deadline {d} is before the publication {}",
                request.publication_date
            )),
        )
        .into());
    }
    let counting_date = match counting {
        CountingDate::Publication => request.publication_date,
        CountingDate::Deadline => request.deadline.unwrap_or(request.publication_date),
    };
    let by_id = ids_in_order(&request.applicants)?;
    check_reserves(rules, &request.applicants)?;
    let mut id_rank = vec![0u32; by_id.len()];
    for (rank, &i) in by_id.iter().enumerate() {
        id_rank[i as usize] = rank as u32;
    }
    let inputs: Vec<Applicant> = by_id
        .par_iter()
        .map(|&i| request.applicants[i as usize].clone())
        .collect();
    // The digest needs only the inputs: it runs beside the ranking, so its work fills the
    // ranking's serial stretches.
    let (input_digest, ranked) = rayon::join(
        || request_digest(request, &inputs),
        || {
            ranked(
                rules,
                request,
                &id_rank,
                base,
                order,
                &ties.chain,
                counting_date,
            )
        },
    );
    let (ranking, excluded, list) = ranked?;
    let mut warnings = rules.caveats();
    if ranking.iter().any(|r| {
        r.tie_break
            .as_ref()
            .is_some_and(|t| matches!(t.decided_by, Decided::Unresolved))
    }) {
        warnings.push(
            "some ties are not resolved by the rule set's chain: ordered by applicant id".into(),
        );
    }
    Ok(Graduatoria {
        rules: RulesRef {
            id: rules.id.clone(),
            version: rules.version,
            digest: rules.digest.clone(),
            act: rules.act.clone(),
            act_date: rules.act_date,
        },
        publication_date: request.publication_date,
        counting_date,
        posts: request.posts,
        input_digest,
        ranking,
        excluded,
        list,
        warnings,
        inputs,
    })
}

/// The ranking, the exclusions (by id) and the list sent.
type Ranked = (Vec<Row>, Vec<Excluded>, Vec<ListEntry>);

/// Scores, excludes, sorts and justifies: the ranking, the exclusions (by id) and the list sent.
fn ranked(
    rules: &GraduatoriaRules,
    request: &GraduatoriaRequest,
    id_rank: &[u32],
    base: Decimal,
    order: Order,
    chain: &[TieBreakKey],
    counting_date: NaiveDate,
) -> Result<Ranked, Error> {
    // Applicants are scored independently (in parallel); the first error in input order wins,
    // and the sort is a total order (ties end on the unique id), so the result does not depend
    // on the number of threads.
    //
    // Every row names its criteria with a shared `Arc<str>`. One counter per name, bumped by
    // both threads for every row, would bounce its cache line between the cores on each
    // clone (one per criterion per row): each job takes its own copies of the names instead.
    let outcomes: Vec<Result<Result<Scored<'_>, Excluded>, Error>> = request
        .applicants
        .par_iter()
        .zip(id_rank)
        .map_init(
            || criterion_names(rules),
            |names, (a, &id_rank)| {
                a.validate(request.publication_date, counting_date)?;
                if let Some(reason) = exclusion(rules, a, request.publication_date, counting_date) {
                    return Ok(Err(Excluded {
                        applicant_id: a.id.clone(),
                        reason,
                    }));
                }
                Ok(Ok(score(
                    rules,
                    names,
                    a,
                    id_rank,
                    base,
                    counting_date,
                    request,
                )?))
            },
        )
        .collect();
    let mut scored = Vec::with_capacity(outcomes.len());
    let mut excluded = Vec::new();
    for o in outcomes {
        match o? {
            Ok(s) => scored.push(s),
            Err(e) => excluded.push(e),
        }
    }
    let exact_keys = sort_keys(&mut scored);
    let (scored, ranking) = match integer_keys(&scored, order, chain, exact_keys) {
        // The keys, sorted beside the rows, also say which key broke each tie, without
        // comparing the totals and the applicants' values again.
        Some(mut keys) => {
            let mut scored = sorted_by_keys(scored, &mut keys);
            let ranking = rows(&mut scored, |i, _, _| {
                tie_by_keys(&keys[i - 1], &keys[i], chain)
            });
            (scored, ranking)
        }
        None => {
            scored.par_sort_by(|x, y| compare(x, y, order, chain, exact_keys).0);
            let ranking = rows(&mut scored, |_, prev, s| {
                (prev.total == s.total).then(|| compare(prev, s, order, chain, false).1)
            });
            (scored, ranking)
        }
    };
    excluded.sort_by(|x, y| x.applicant_id.cmp(&y.applicant_id));
    let list = request
        .posts
        .map(|p| list_sent(rules, &scored, &ranking, p))
        .unwrap_or_default();
    Ok((ranking, excluded, list))
}

/// Every reserve category an applicant declares must be one of the rule set's reserves.
fn check_reserves(rules: &GraduatoriaRules, applicants: &[Applicant]) -> Result<(), InputError> {
    for a in applicants {
        for (k, c) in a.riserve.iter().enumerate() {
            if !rules.reserves.iter().any(|r| &r.category == c) {
                let known: Vec<&str> = rules.reserves.iter().map(|r| r.category.as_str()).collect();
                return Err(InputError::new(
                    format!("riserve[{k}]"),
                    FieldReason::Inconsistent(format!(
                        "`{c}` is not a reserve of {} ({})",
                        rules.key(),
                        if known.is_empty() {
                            "it has none".to_owned()
                        } else {
                            format!("it has: {}", known.join(", "))
                        }
                    )),
                )
                .with_record(&a.id));
            }
        }
    }
    Ok(())
}

/// A riesame's `previous` must be a graduatoria of the same rule set (any version) and the
/// same notice (publication date), and list each applicant once in its inputs and its ranking.
pub fn check_previous(
    rules: &GraduatoriaRules,
    request: &GraduatoriaRequest,
    previous: &Graduatoria,
) -> Result<(), InputError> {
    let bad = |field: &str, reason: String| {
        Err(InputError::new(
            format!("previous.{field}"),
            FieldReason::Inconsistent(reason),
        ))
    };
    if previous.rules.id != rules.id {
        return bad(
            "rules.id",
            format!(
                "the previous graduatoria is of `{}`, not of `{}`",
                previous.rules.id, rules.id
            ),
        );
    }
    if previous.publication_date != request.publication_date {
        return bad(
            "publication_date",
            format!(
                "the previous graduatoria is of the notice published {}, not {}",
                previous.publication_date, request.publication_date
            ),
        );
    }
    if let Some((i, id)) = first_repeated(previous.inputs.iter().map(|a| a.id.as_str())) {
        return bad(
            &format!("inputs[{i}]"),
            format!("applicant `{id}` appears twice"),
        );
    }
    if let Some((i, id)) = first_repeated(previous.ranking.iter().map(|r| r.applicant_id.as_str()))
    {
        return bad(
            &format!("ranking[{i}]"),
            format!("applicant `{id}` appears twice"),
        );
    }
    if let Some((i, r)) = previous
        .ranking
        .iter()
        .enumerate()
        .find(|(i, r)| r.position as usize != i + 1)
    {
        return bad(
            &format!("ranking[{i}].position"),
            format!("position {} at row {}", r.position, i + 1),
        );
    }
    Ok(())
}

/// The position and id of the first id seen before.
fn first_repeated<'a>(ids: impl Iterator<Item = &'a str>) -> Option<(usize, &'a str)> {
    let mut seen = rustc_hash::FxHashSet::default();
    ids.enumerate().find(|(_, id)| !seen.insert(*id))
}

/// The applicants' positions in id order (sorted in parallel); an id given twice is an error
/// naming the first repeat in input order.
fn ids_in_order(applicants: &[Applicant]) -> Result<Vec<u32>, InputError> {
    let n = u32::try_from(applicants.len()).map_err(|_| {
        InputError::new(
            "applicants",
            FieldReason::OutOfRange {
                value: applicants.len().to_string(),
                range: "at most 4,294,967,295 applicants",
            },
        )
    })?;
    let mut order: Vec<u32> = (0..n).collect();
    let id = |i: u32| applicants[i as usize].id.as_str();
    order.par_sort_unstable_by(|&p, &q| id(p).cmp(id(q)).then(p.cmp(&q)));
    let repeat = order
        .windows(2)
        .filter(|w| id(w[0]) == id(w[1]))
        .map(|w| w[1])
        .min();
    match repeat {
        Some(i) => Err(InputError::new(
            "id",
            FieldReason::Inconsistent("duplicate applicant id".into()),
        )
        .with_record(id(i))),
        None => Ok(order),
    }
}

/// The request's digest: SHA-256 over the canonical JSON of the request's other fields
/// (alphabetical order, compact) followed by the 32-byte SHA-256 of each applicant's compact JSON
/// (fields in schema order), applicants sorted by id. Applicants are hashed in parallel.
fn request_digest(r: &GraduatoriaRequest, sorted: &[Applicant]) -> String {
    #[derive(Serialize, schemars::JsonSchema)]
    struct Header {
        applicants: usize,
        deadline: Option<NaiveDate>,
        posts: Option<u32>,
        public_employer: bool,
        publication_date: NaiveDate,
    }
    fn hash_json<T: Serialize>(v: &T) -> incrocio_core::digest::HashWriter {
        let mut hasher = incrocio_core::digest::HashWriter::default();
        // Writing into a hasher cannot fail, and these types always serialize.
        if serde_json::to_writer(&mut hasher, v).is_err() {
            unreachable!("serializing a graduatoria request into a hasher");
        }
        hasher
    }
    // Each applicant is serialized into a reused buffer and hashed in one call: the same bytes
    // as writing into the hasher, without a hasher update per JSON token.
    let each: Vec<[u8; 32]> = sorted
        .par_iter()
        .map_init(Vec::new, |buf, a| {
            buf.clear();
            applicant_json(a, buf);
            <sha2::Sha256 as sha2::Digest>::digest(buf.as_slice()).into()
        })
        .collect();
    let mut all = hash_json(&Header {
        applicants: sorted.len(),
        deadline: r.deadline,
        posts: r.posts,
        public_employer: r.public_employer,
        publication_date: r.publication_date,
    });
    for d in &each {
        std::io::Write::write_all(&mut all, d).unwrap_or_default();
    }
    all.finish_tagged()
}

/// An applicant's JSON, byte for byte what `serde_json::to_writer` writes (the digest of a
/// published graduatoria must not change), without serde's per-token work: field names are
/// constant bytes, numbers and dates are formatted in place. Applicants with suspensions or
/// reserves, rare, go through serde_json itself. Tested against serde_json on random
/// applicants.
fn applicant_json(a: &Applicant, buf: &mut Vec<u8>) {
    if !a.sospensioni.is_empty() || !a.riserve.is_empty() {
        if serde_json::to_writer(&mut *buf, a).is_err() {
            unreachable!("serializing an applicant into a buffer");
        }
        return;
    }
    fn date(buf: &mut Vec<u8>, d: Option<NaiveDate>) {
        match d {
            Some(d) => {
                buf.push(b'"');
                date_text(buf, d);
                buf.push(b'"');
            }
            None => buf.extend_from_slice(b"null"),
        }
    }
    fn decimal(buf: &mut Vec<u8>, x: Option<Decimal>) {
        match x {
            Some(x) => {
                buf.push(b'"');
                decimal_text(buf, x);
                buf.push(b'"');
            }
            None => buf.extend_from_slice(b"null"),
        }
    }
    buf.extend_from_slice(b"{\"id\":");
    if serde_json::to_writer(&mut *buf, &a.id).is_err() {
        unreachable!("serializing a string into a buffer");
    }
    buf.extend_from_slice(b",\"data_nascita\":");
    date(buf, Some(a.data_nascita));
    buf.extend_from_slice(b",\"data_did\":");
    date(buf, a.data_did);
    buf.extend_from_slice(b",\"data_iscrizione\":");
    date(buf, a.data_iscrizione);
    buf.extend_from_slice(b",\"isee\":");
    decimal(buf, a.isee);
    buf.extend_from_slice(b",\"isee_valido\":");
    buf.extend_from_slice(if a.isee_valido { b"true" } else { b"false" });
    buf.extend_from_slice(b",\"carichi\":");
    decimal_text(buf, Decimal::from(a.carichi));
    buf.extend_from_slice(b",\"carichi_invalidi\":");
    decimal_text(buf, Decimal::from(a.carichi_invalidi));
    buf.extend_from_slice(b",\"invalidita\":");
    decimal(buf, a.invalidita);
    buf.extend_from_slice(b",\"reddito\":");
    decimal(buf, a.reddito);
    buf.push(b'}');
}

/// A date as chrono's `Display` writes it (`2026-03-01`), formatted in place for the years
/// 0–9999 (any other goes through `Display`).
fn date_text(buf: &mut Vec<u8>, d: NaiveDate) {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        let _ = std::io::Write::write_fmt(buf, format_args!("{d}"));
        return;
    }
    let y = y as u32;
    let digit = |v: u32| b'0' + (v % 10) as u8;
    buf.extend_from_slice(&[
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ]);
}

/// A decimal as rust_decimal's `Display` writes it (`5.00`, `0.05`, `-12.5`: every digit of
/// the scale kept), formatted in place; a negative zero goes through `Display`.
fn decimal_text(buf: &mut Vec<u8>, x: Decimal) {
    let m = x.mantissa();
    if m == 0 && x.is_sign_negative() {
        let _ = std::io::Write::write_fmt(buf, format_args!("{x}"));
        return;
    }
    // itoa writes the digits without a 128-bit division per digit (a mantissa below 10^16,
    // most of them, takes none).
    let mut itoa = itoa::Buffer::new();
    let digits = itoa.format(m.unsigned_abs()).as_bytes();
    let scale = x.scale() as usize;
    if m < 0 {
        buf.push(b'-');
    }
    if scale == 0 {
        buf.extend_from_slice(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        buf.extend_from_slice(int);
        buf.push(b'.');
        buf.extend_from_slice(frac);
    } else {
        buf.extend_from_slice(b"0.");
        buf.resize(buf.len() + scale - digits.len(), b'0');
        buf.extend_from_slice(digits);
    }
}

fn exclusion(
    rules: &GraduatoriaRules,
    a: &Applicant,
    publication: NaiveDate,
    counting: NaiveDate,
) -> Option<String> {
    let e = &rules.eligibility;
    if e.did_before_publication && a.data_did.is_none_or(|d| d >= publication) {
        return Some(format!("no DID before the publication date {publication}"));
    }
    if e.registration_before_publication && a.data_iscrizione.is_none_or(|d| d >= publication) {
        return Some(format!(
            "not registered in the list before the publication date {publication}"
        ));
    }
    let age = whole_years(a.data_nascita, counting);
    if e.min_age.is_some_and(|m| age < m) {
        return Some(format!(
            "aged {age} at {counting}, below the minimum {}",
            e.min_age.unwrap_or_default()
        ));
    }
    if e.max_age.is_some_and(|m| age > m) {
        return Some(format!(
            "aged {age} at {counting}, above the maximum {}",
            e.max_age.unwrap_or_default()
        ));
    }
    None
}

/// A copy of each criterion's name, with a reference count of its own.
fn criterion_names(rules: &GraduatoriaRules) -> Vec<std::sync::Arc<str>> {
    rules
        .criteria
        .iter()
        .map(|c| c.name.as_ref().into())
        .collect()
}

fn score<'a>(
    rules: &GraduatoriaRules,
    names: &[std::sync::Arc<str>],
    a: &'a Applicant,
    id_rank: u32,
    base: Decimal,
    counting: NaiveDate,
    request: &GraduatoriaRequest,
) -> Result<Scored<'a>, InputError> {
    let mut total = base;
    let mut criteria = Vec::with_capacity(rules.criteria.len());
    let mut dependant_points = Decimal::ZERO;
    for (c, name) in rules.criteria.iter().zip(names) {
        if c.only_public_employer && !request.public_employer {
            continue;
        }
        let cp = criterion_points(rules, c, name, a, counting, request.publication_date)?;
        if matches!(c.score, CriterionKind::Dependants { .. }) {
            dependant_points += cp.points;
        }
        total += cp.points;
        criteria.push(cp);
    }
    let unemployment_days = a.data_did.map_or(0, |d| {
        unemployment_at(d, &a.sospensioni, counting.max(d)).days
    });
    Ok(Scored {
        a,
        id_rank,
        total: total.normalize(),
        key: 0,
        criteria,
        dependant_points,
        unemployment_days,
    })
}

/// The value a criterion reads, `None` when missing.
fn input(
    rules: &GraduatoriaRules,
    v: Variable,
    a: &Applicant,
    counting: NaiveDate,
    publication: NaiveDate,
) -> Result<Option<Decimal>, InputError> {
    let months_since =
        |from: Option<NaiveDate>, field: &str| -> Result<Option<Decimal>, InputError> {
            match from {
                Some(d) if d > counting => Err(InputError::new(
                    field,
                    FieldReason::Inconsistent(format!("{d} is after the counting date {counting}")),
                )
                .with_record(&a.id)),
                Some(d) => Ok(Some(Decimal::from(whole_months(d, counting)))),
                None => Ok(None),
            }
        };
    Ok(match v {
        Variable::Isee => a.isee.filter(|_| a.isee_valido),
        Variable::Eta => Some(Decimal::from(whole_years(a.data_nascita, counting))),
        Variable::MesiDisoccupazione => match a.data_did {
            Some(d) if d > counting => return months_since(Some(d), "data_did"),
            Some(d) => Some(Decimal::from(
                unemployment_at(d, &a.sospensioni, counting).months,
            )),
            None => None,
        },
        Variable::MesiIscrizione => months_since(a.data_iscrizione, "data_iscrizione")?,
        Variable::MesiDaDataConvenzionale => match (a.data_iscrizione, rules.reference_date) {
            (Some(d), Some(r)) if d >= r => Some(Decimal::from(whole_months(r, d))),
            (Some(d), Some(r)) => Some(-Decimal::from(whole_months(d, r))),
            _ => None,
        },
        Variable::Invalidita => a.invalidita,
        Variable::Reddito => a.reddito,
        Variable::DidPrimaDellaPubblicazione => Some(Decimal::from(u8::from(
            a.data_did.is_some_and(|d| d < publication),
        ))),
        Variable::Carichi => Some(Decimal::from(a.carichi)),
    })
}

fn field_of(v: Variable) -> &'static str {
    match v {
        Variable::Isee => "isee",
        Variable::Eta => "data_nascita",
        Variable::MesiDisoccupazione | Variable::DidPrimaDellaPubblicazione => "data_did",
        Variable::MesiIscrizione | Variable::MesiDaDataConvenzionale => "data_iscrizione",
        Variable::Invalidita => "invalidita",
        Variable::Reddito => "reddito",
        Variable::Carichi => "carichi",
    }
}

fn criterion_points(
    rules: &GraduatoriaRules,
    c: &Criterion,
    name: &std::sync::Arc<str>,
    a: &Applicant,
    counting: NaiveDate,
    publication: NaiveDate,
) -> Result<CriterionPoints, InputError> {
    let value = input(rules, c.variable, a, counting, publication)?;
    let Some(x) = value else {
        let points = c.missing.ok_or_else(|| {
            InputError::new(field_of(c.variable), FieldReason::Missing).with_record(&a.id)
        })?;
        let why = if c.variable == Variable::Isee && a.isee.is_some() {
            "invalid"
        } else {
            "missing"
        };
        return Ok(CriterionPoints {
            criterion: name.clone(),
            input: Shown::Missing(why),
            points,
            rule: Rule::Missing { why, points },
        });
    };
    let (points, rule) = match &c.score {
        CriterionKind::Linear {
            unit,
            rounding,
            points_per_unit,
            offset,
            min,
            max,
            zero_up_to,
            above,
        } => {
            if let Some(o) = above.iter().rev().find(|o| x > o.over) {
                (
                    o.points,
                    Rule::Above {
                        x,
                        over: o.over,
                        points: o.points,
                    },
                )
            } else if zero_up_to.is_some_and(|z| x <= z) {
                (
                    Decimal::ZERO,
                    Rule::ZeroUpTo {
                        x,
                        limit: zero_up_to.unwrap_or_default(),
                    },
                )
            } else {
                let from = zero_up_to.unwrap_or(Decimal::ZERO);
                let units = rounding.apply((x - from) / unit);
                let raw = *offset + *points_per_unit * units;
                let clamped = clamp(raw, *min, *max);
                let rule = Rule::Linear {
                    offset: *offset,
                    per_unit: *points_per_unit,
                    rounding: *rounding,
                    x,
                    from,
                    unit: *unit,
                    raw,
                    capped: (clamped != raw).then_some(clamped),
                };
                (clamped, rule)
            }
        }
        CriterionKind::Brackets { brackets } => {
            // A bracket reaches up to the next bracket's `from` (not included): a value in the
            // gap between two brackets written in whole numbers (50.5 between "34–50" and
            // "51–66") has not reached the higher bracket, so it scores in the lower one.
            let b = brackets.iter().enumerate().find(|(j, b)| {
                x >= b.from
                    && match brackets.get(j + 1) {
                        Some(next) => x < next.from,
                        None => b.to.is_none_or(|t| x <= t),
                    }
            });
            match b {
                Some((_, b)) => (
                    b.points,
                    Rule::Bracket {
                        x,
                        from: b.from,
                        to: b.to,
                        points: b.points,
                    },
                ),
                None => (Decimal::ZERO, Rule::NoBracket { x }),
            }
        }
        CriterionKind::Flag { points } => {
            if x.is_zero() {
                (Decimal::ZERO, Rule::Flag { points: None })
            } else {
                (
                    *points,
                    Rule::Flag {
                        points: Some(*points),
                    },
                )
            }
        }
        CriterionKind::Dependants {
            points_per_dependant,
            points_per_invalid_dependant,
        } => {
            let inv = Decimal::from(a.carichi_invalidi);
            let ord = x - inv;
            let per_inv = points_per_invalid_dependant.unwrap_or(*points_per_dependant);
            let p = ord * points_per_dependant + inv * per_inv;
            (
                p,
                Rule::Dependants {
                    ordinary: ord,
                    per_dependant: *points_per_dependant,
                    invalid: inv,
                    per_invalid: per_inv,
                    points: p,
                },
            )
        }
    };
    let input = match c.score {
        CriterionKind::Dependants { .. } => Shown::Dependants {
            all: x,
            invalid: a.carichi_invalidi,
        },
        _ => Shown::Value(x),
    };
    Ok(CriterionPoints {
        criterion: name.clone(),
        input,
        points: points.normalize(),
        rule,
    })
}

fn clamp(x: Decimal, min: Option<Decimal>, max: Option<Decimal>) -> Decimal {
    let x = min.map_or(x, |m| x.max(m));
    max.map_or(x, |m| x.min(m))
}

/// Sets each total's integer key at the largest scale among the totals, so the sort compares
/// integers; equal keys are exactly equal totals. False (keys unused) when a key would not fit
/// in 127 bits, which no rule set's points come near.
fn sort_keys(scored: &mut [Scored<'_>]) -> bool {
    let scale = scored.iter().map(|s| s.total.scale()).max().unwrap_or(0);
    let mut fits = true;
    for s in scored.iter_mut() {
        let key = 10i128
            .checked_pow(scale - s.total.scale())
            .and_then(|m| s.total.mantissa().checked_mul(m));
        match key {
            Some(k) => s.key = k,
            None => fits = false,
        }
    }
    fits
}

/// Most tie-break keys the integer sort handles (longer chains take [`compare`]).
const MAX_INTEGER_CHAIN: usize = 4;

/// An applicant's place in the order as integers: the total, then each tie-break key, every
/// one oriented so that the smaller sorts first, then its place in id order (unique: the
/// order is total); then its index in the list being sorted (not compared).
type SortKey = (i128, [i64; MAX_INTEGER_CHAIN], u32, u32);

/// The total order of [`compare`] as integer keys, computed once per applicant instead of on
/// every comparison; `None` when a value does not fit (then the sort compares the values).
fn integer_keys(
    scored: &[Scored<'_>],
    order: Order,
    chain: &[TieBreakKey],
    exact_keys: bool,
) -> Option<Vec<SortKey>> {
    if !exact_keys || chain.len() > MAX_INTEGER_CHAIN || scored.len() > u32::MAX as usize {
        return None;
    }
    // Dependant points at one scale, as integers (exact, like the totals).
    let dp_scale = scored
        .iter()
        .map(|s| s.dependant_points.scale())
        .max()
        .unwrap_or(0);
    let dependant = |d: Decimal| -> Option<i64> {
        let m = d
            .mantissa()
            .checked_mul(10i128.checked_pow(dp_scale - d.scale())?)?;
        i64::try_from(m).ok()
    };
    let day = |d: NaiveDate| i64::from(chrono::Datelike::num_days_from_ce(&d));
    let mut keys = Vec::with_capacity(scored.len());
    for (i, s) in scored.iter().enumerate() {
        let total = match order {
            Order::HigherFirst => s.key.checked_neg()?,
            Order::LowerFirst => s.key,
        };
        let mut tie = [0i64; MAX_INTEGER_CHAIN];
        for (slot, key) in tie.iter_mut().zip(chain) {
            *slot = match key {
                TieBreakKey::Younger => -day(s.a.data_nascita),
                TieBreakKey::Older => day(s.a.data_nascita),
                TieBreakKey::MoreDependantPoints => dependant(s.dependant_points)?.checked_neg()?,
                TieBreakKey::LongerUnemployment => s.unemployment_days.checked_neg()?,
                TieBreakKey::EarlierRegistration => s.a.data_iscrizione.map_or(i64::MAX, day),
            };
        }
        keys.push((total, tie, s.id_rank, i as u32));
    }
    Some(keys)
}

/// Sorts the integer keys (the place in id order last: the applicant id decides, as in
/// [`compare`], without reading the ids) and puts the applicants in their order.
fn sorted_by_keys<'a>(scored: Vec<Scored<'a>>, keys: &mut [SortKey]) -> Vec<Scored<'a>> {
    // Ids are unique, so the order is total and an unstable sort is deterministic.
    keys.par_sort_unstable_by(|p, q| (p.0, p.1, p.2).cmp(&(q.0, q.1, q.2)));
    let mut slots: Vec<Option<Scored<'a>>> = scored.into_iter().map(Some).collect();
    keys.iter()
        .filter_map(|k| slots.get_mut(k.3 as usize).and_then(Option::take))
        .collect()
}

/// Whether two neighbours in the sorted keys tie on total (`None`: they do not) and, if they
/// do, the tie-break key that decided (`Some(None)`: none did, the applicant id decides): the
/// decision of [`compare`] read from [`integer_keys`], where equal integers are equal values.
fn tie_by_keys(
    above: &SortKey,
    this: &SortKey,
    chain: &[TieBreakKey],
) -> Option<Option<TieBreakKey>> {
    (above.0 == this.0).then(|| {
        chain
            .iter()
            .zip(above.1.iter().zip(&this.1))
            .find(|(_, (p, q))| p != q)
            .map(|(key, _)| *key)
    })
}

/// Orders two applicants; the key is the one that decided (None: total or the id fallback).
fn compare(
    x: &Scored<'_>,
    y: &Scored<'_>,
    order: Order,
    chain: &[TieBreakKey],
    exact_keys: bool,
) -> (Ordering, Option<TieBreakKey>) {
    let by_total = match (order, exact_keys) {
        (Order::HigherFirst, true) => y.key.cmp(&x.key),
        (Order::LowerFirst, true) => x.key.cmp(&y.key),
        (Order::HigherFirst, false) => y.total.cmp(&x.total),
        (Order::LowerFirst, false) => x.total.cmp(&y.total),
    };
    if by_total != Ordering::Equal {
        return (by_total, None);
    }
    for key in chain {
        let o = match key {
            TieBreakKey::Younger => y.a.data_nascita.cmp(&x.a.data_nascita),
            TieBreakKey::Older => x.a.data_nascita.cmp(&y.a.data_nascita),
            TieBreakKey::MoreDependantPoints => y.dependant_points.cmp(&x.dependant_points),
            TieBreakKey::LongerUnemployment => y.unemployment_days.cmp(&x.unemployment_days),
            TieBreakKey::EarlierRegistration => match (x.a.data_iscrizione, y.a.data_iscrizione) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        if o != Ordering::Equal {
            return (o, Some(*key));
        }
    }
    (x.a.id.cmp(&y.a.id), None)
}

fn tie_value(s: &Scored<'_>, key: TieBreakKey) -> TieValue {
    match key {
        TieBreakKey::Younger | TieBreakKey::Older => TieValue::Born(s.a.data_nascita),
        TieBreakKey::MoreDependantPoints => TieValue::DependantPoints(s.dependant_points),
        TieBreakKey::LongerUnemployment => TieValue::DaysUnemployed(s.unemployment_days),
        TieBreakKey::EarlierRegistration => TieValue::Registered(s.a.data_iscrizione),
    }
}

/// The published rows of the sorted applicants; moves each applicant's criteria out of
/// `scored` into its row. `tie(i, above, this)` says whether the applicant at `i` ties on total
/// with the one above and which key decided (as [`tie_by_keys`]).
fn rows<T>(scored: &mut [Scored<'_>], tie: T) -> Vec<Row>
where
    T: Fn(usize, &Scored<'_>, &Scored<'_>) -> Option<Option<TieBreakKey>> + Sync,
{
    let view: &[Scored<'_>] = scored;
    let mut rows: Vec<Row> = view
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let decided = if i == 0 {
                None
            } else {
                tie(i, &view[i - 1], s)
            };
            let tie_break = decided.map(|decided| {
                let prev = &view[i - 1];
                match decided {
                    Some(k) => TieBreak {
                        after: prev.a.id.clone(),
                        decided_by: Decided::Key(k),
                        detail: TieDetail::Compared(tie_value(prev, k), tie_value(s, k)),
                        values: [tie_value(prev, k), tie_value(s, k)],
                    },
                    None => TieBreak {
                        after: prev.a.id.clone(),
                        decided_by: Decided::Unresolved,
                        detail: TieDetail::Unresolved,
                        values: no_values(),
                    },
                }
            });
            Row {
                position: (i + 1) as u32,
                applicant_id: s.a.id.clone(),
                total: s.total,
                criteria: Vec::new(),
                tie_break,
            }
        })
        .collect();
    for (row, s) in rows.iter_mut().zip(scored.iter_mut()) {
        row.criteria = std::mem::take(&mut s.criteria);
    }
    rows
}

/// The list sent: `list_multiplier × posts` names; each reserve takes
/// floor(list × percent / 100) slots, filled by the best-ranked reservists, the rest (and any
/// unfilled reserve slot) by general order. Sorted by position.
fn list_sent(
    rules: &GraduatoriaRules,
    scored: &[Scored<'_>],
    ranking: &[Row],
    posts: u32,
) -> Vec<ListEntry> {
    let size = (posts as usize * rules.list_multiplier as usize).min(ranking.len());
    let mut taken: Vec<Option<String>> = vec![None; ranking.len()];
    let mut used = 0;
    for r in &rules.reserves {
        let slots = (Decimal::from(size) * r.percent / Decimal::ONE_HUNDRED)
            .floor()
            .to_usize()
            .unwrap_or(0);
        let mut filled = 0;
        for (i, s) in scored.iter().enumerate() {
            if filled == slots || used == size {
                break;
            }
            if taken[i].is_none() && s.a.riserve.iter().any(|c| c == &r.category) {
                taken[i] = Some(format!("riserva:{}", r.category));
                filled += 1;
                used += 1;
            }
        }
    }
    for t in taken.iter_mut() {
        if used == size {
            break;
        }
        if t.is_none() {
            *t = Some("ordine_generale".into());
            used += 1;
        }
    }
    ranking
        .iter()
        .zip(taken)
        .filter_map(|(r, t)| {
            t.map(|title| ListEntry {
                position: r.position,
                applicant_id: r.applicant_id.clone(),
                title,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The integer keys give exactly the order of `compare`, for every chain and both orders,
    /// on applicants with many ties (few distinct totals, dates and points).
    #[test]
    fn integer_keys_sort_as_compare_does() {
        use super::super::rules::TieBreakKey as K;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let base = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or_default();
        let applicants: Vec<Applicant> = (0..3_000)
            .map(|i| Applicant {
                id: format!("A{:05}", (i * 7_919) % 3_000),
                data_nascita: base + chrono::Days::new(rng.gen_range(0..40)),
                data_did: None,
                sospensioni: vec![],
                data_iscrizione: rng
                    .gen_ratio(3, 4)
                    .then(|| base + chrono::Days::new(rng.gen_range(0..30))),
                isee: None,
                isee_valido: true,
                carichi: 0,
                carichi_invalidi: 0,
                invalidita: None,
                reddito: None,
                riserve: vec![],
            })
            .collect();
        let mut ids: Vec<&str> = applicants.iter().map(|a| a.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), applicants.len(), "ids must be unique");
        let scored = || -> Vec<Scored<'_>> {
            let mut rng = ChaCha8Rng::seed_from_u64(9);
            applicants
                .iter()
                .map(|a| Scored {
                    a,
                    id_rank: ids.binary_search(&a.id.as_str()).unwrap_or(usize::MAX) as u32,
                    total: Decimal::new(rng.gen_range(0..8) * 25, 1),
                    key: 0,
                    criteria: vec![],
                    dependant_points: Decimal::new(rng.gen_range(0..4) * 5, rng.gen_range(0..2)),
                    unemployment_days: rng.gen_range(0..5),
                })
                .collect()
        };
        let chains: [&[K]; 5] = [
            &[],
            &[K::Younger],
            &[K::Older, K::MoreDependantPoints],
            &[K::LongerUnemployment, K::EarlierRegistration, K::Younger],
            &[
                K::EarlierRegistration,
                K::MoreDependantPoints,
                K::LongerUnemployment,
                K::Older,
            ],
        ];
        for chain in chains {
            for order in [Order::HigherFirst, Order::LowerFirst] {
                let mut a = scored();
                let exact = sort_keys(&mut a);
                let mut keys = integer_keys(&a, order, chain, exact).unwrap();
                let sorted = sorted_by_keys(a, &mut keys);
                let fast: Vec<&str> = sorted.iter().map(|s| s.a.id.as_str()).collect();
                let mut b = scored();
                let exact = sort_keys(&mut b);
                b.sort_by(|x, y| compare(x, y, order, chain, exact).0);
                let slow: Vec<&str> = b.iter().map(|s| s.a.id.as_str()).collect();
                assert_eq!(fast, slow, "{chain:?} {order:?}");
                // Each row's tie, and the key that broke it, read from the keys as `compare`
                // decides them from the values.
                let mut ties = 0;
                for i in 1..sorted.len() {
                    let (above, this) = (&sorted[i - 1], &sorted[i]);
                    let by_values = (above.total == this.total)
                        .then(|| compare(above, this, order, chain, false).1);
                    let by_keys = tie_by_keys(&keys[i - 1], &keys[i], chain);
                    assert_eq!(by_keys, by_values, "{chain:?} {order:?} row {i}");
                    ties += usize::from(by_keys.is_some_and(|k| k.is_some()));
                }
                assert!(
                    chain.is_empty() || ties > 100,
                    "{chain:?}: {ties} ties by a key"
                );
            }
        }
    }

    #[test]
    fn dates_and_decimals_are_written_as_display_writes_them() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut buf = Vec::new();
        for _ in 0..20_000 {
            let mantissa: i64 = match rng.gen_range(0..4) {
                0 => 0,
                1 => rng.gen_range(-9..10),
                2 => rng.gen_range(-1_000_000..1_000_000),
                _ => rng.r#gen(),
            };
            let x = match rng.gen_range(0..8) {
                // Mantissas beyond 64 bits (up to rust_decimal's 96).
                0 => Decimal::from_i128_with_scale(
                    rng.gen_range(-(1i128 << 95)..(1i128 << 95)),
                    rng.gen_range(0..28),
                ),
                _ => Decimal::new(mantissa, rng.gen_range(0..12)),
            };
            buf.clear();
            decimal_text(&mut buf, x);
            assert_eq!(String::from_utf8_lossy(&buf), x.to_string());
        }
        for x in [
            Decimal::MAX,
            Decimal::MIN,
            -Decimal::ZERO,
            Decimal::new(-5, 3),
        ] {
            buf.clear();
            decimal_text(&mut buf, x);
            assert_eq!(String::from_utf8_lossy(&buf), x.to_string());
        }
        for days in (0..3_700_000).step_by(997) {
            let d = NaiveDate::from_ymd_opt(1, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new(days)))
                .unwrap_or_default();
            buf.clear();
            date_text(&mut buf, d);
            assert_eq!(String::from_utf8_lossy(&buf), d.to_string());
        }
    }

    #[test]
    fn applicant_json_is_serde_json_byte_for_byte() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let day = |rng: &mut ChaCha8Rng| {
            NaiveDate::from_ymd_opt(1940, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new(rng.gen_range(0..40_000))))
                .unwrap_or_default()
        };
        let ids = [
            "A-1",
            "quote\"d",
            "back\\slash",
            "àèìòù €",
            "tab\tnew\nline",
            "\u{1}ctl",
        ];
        for i in 0..5_000 {
            let dec = |rng: &mut ChaCha8Rng| {
                rng.gen_ratio(4, 5).then(|| {
                    Decimal::new(
                        rng.gen_range(-1_000_000_000i64..10_000_000_000),
                        rng.gen_range(0..6),
                    )
                })
            };
            let a = Applicant {
                id: format!("{}{i}", ids[i % ids.len()]),
                data_nascita: day(&mut rng),
                data_did: rng.gen_ratio(1, 2).then(|| day(&mut rng)),
                sospensioni: if rng.gen_ratio(1, 10) {
                    vec![incrocio_core::period::Sospensione {
                        dal: day(&mut rng),
                        al: None,
                    }]
                } else {
                    vec![]
                },
                data_iscrizione: rng.gen_ratio(1, 2).then(|| day(&mut rng)),
                isee: dec(&mut rng),
                isee_valido: rng.gen_ratio(1, 2),
                carichi: rng.gen_range(0..u32::MAX),
                carichi_invalidi: rng.gen_range(0..5),
                invalidita: dec(&mut rng),
                reddito: dec(&mut rng),
                riserve: if rng.gen_ratio(1, 10) {
                    vec!["militari_volontari".into()]
                } else {
                    vec![]
                },
            };
            let mut fast = Vec::new();
            applicant_json(&a, &mut fast);
            let serde = serde_json::to_vec(&a).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&serde),
                "applicant {i}"
            );
        }
    }
}
