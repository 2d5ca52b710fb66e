//! Soft occupations (matching models of version 4 on): a title names a distribution over
//! occupations, not one guess, and the `esperienza` part is the expected match of the two
//! sides' distributions.
//!
//! The match of a candidate occupation `c` with a vacancy occupation `o` is
//! `m(c, o)` = 1 when they are the same; else the largest of `esperienza.adjacent` (the same
//! ISCO-08 unit group), `esperienza.minor_group` (the same minor group, 3 digits) and
//! `esperienza.proximity × similarity` (`c` among `o`'s adjacent occupations by ESCO skill
//! overlap); else 0. A vacancy with distribution `q` gives every occupation the credit
//! `M(c) = Σ_j q_j m(c, o_j)`, computed once per vacancy ([`SoftCredit`]). An experience with
//! distribution `p` is worth `Σ_i p_i M(c_i)` (the expected match: the probability-weighted
//! mean over both distributions), and the part is the largest over the candidate's experiences,
//! the occupations named by the free text (whose probabilities carry `titles.free_text`), and
//! the occupations declared in the patto (`esperienza.declared × q_c`, a declared occupation
//! being certain). With a code on both sides the distributions are one occupation each, and
//! the part is the v3 relation's credit.
//!
//! In the index each (experience, occupation, probability) is one value of the `occupazioni`
//! fast field ([`encode`]).

use incrocio_taxonomy::{OccupationId, Taxonomy};

use super::adjacency::Adjacency;
use super::model::EsperienzaParams;

/// Experiences whose occupations the index keeps per candidate (a record with more is refused).
pub const MAX_EXPERIENCES: usize = 100;

/// The group of the free text's first piece: groups below it are experiences.
pub const FREE_TEXT_GROUP: u8 = MAX_EXPERIENCES as u8;

/// The group of a declared occupation.
pub const DECLARED_GROUP: u8 = 127;

const OCCUPATION_BITS: u64 = 0xFFFF_FFFF;
const DECLARED_BIT: u64 = 1 << 32;
const GROUP_SHIFT: u32 = 33;
const PROBABILITY_SHIFT: u32 = 40;
/// Probabilities are kept to 1/65,535.
const PROBABILITY_SCALE: f32 = 65_535.0;

/// One value of the `occupazioni` fast field of an index with soft occupations: the occupation
/// (bits 0–31), whether it is declared (bit 32), its group (the experience's index, the free
/// text's piece from [`FREE_TEXT_GROUP`], or [`DECLARED_GROUP`]; bits 33–39) and its
/// probability to 1/65,535 (bits 40–55).
pub fn encode(o: OccupationId, group: u8, probability: f32) -> u64 {
    let q = (probability.clamp(0.0, 1.0) * PROBABILITY_SCALE).round() as u64;
    let declared = if group == DECLARED_GROUP {
        DECLARED_BIT
    } else {
        0
    };
    u64::from(o) | declared | (u64::from(group & 0x7F) << GROUP_SHIFT) | (q << PROBABILITY_SHIFT)
}

/// The occupation, group and probability of a value made by [`encode`].
pub fn decode(v: u64) -> (OccupationId, u8, f32) {
    (
        (v & OCCUPATION_BITS) as OccupationId,
        ((v >> GROUP_SHIFT) & 0x7F) as u8,
        ((v >> PROBABILITY_SHIFT) & 0xFFFF) as f32 / PROBABILITY_SCALE,
    )
}

/// How a candidate occupation relates to a vacancy occupation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The same occupation.
    Same,
    /// The same ISCO-08 unit group.
    UnitGroup,
    /// The same ISCO-08 minor group.
    MinorGroup,
    /// An adjacent occupation by ESCO skill overlap.
    Adjacent,
}

/// `m(c, o)` and the relation that gives it (none when 0).
pub fn relation(
    t: &Taxonomy,
    adjacency: &Adjacency,
    p: &EsperienzaParams,
    c: OccupationId,
    o: OccupationId,
) -> (f64, Option<Relation>) {
    if c == o {
        return (1.0, Some(Relation::Same));
    }
    let isco = |x: OccupationId| t.occupations[x as usize].isco.as_str();
    let (a, b) = (isco(c), isco(o));
    let mut best = (0.0, None);
    let mut offer = |v: f64, r: Relation| {
        if v > best.0 {
            best = (v, Some(r));
        }
    };
    if !a.is_empty() && a == b {
        offer(p.adjacent, Relation::UnitGroup);
    } else if a.len() >= 3 && a.get(..3) == b.get(..3) {
        offer(p.minor_group, Relation::MinorGroup);
    }
    if let Some(&(_, s)) = adjacency.of(o, p).iter().find(|(n, _)| *n == c) {
        offer(p.proximity * f64::from(s), Relation::Adjacent);
    }
    best
}

/// Which side of adjacency [`related`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// `x`'s neighbours (`x` is the vacancy's occupation).
    NeighboursOf,
    /// The occupations whose neighbours hold `x` (`x` is the candidate's).
    NeighbourIn,
}

/// `x` and every occupation that can relate to it (its ISCO minor group, which holds its unit
/// group, and its adjacent occupations in `direction`), sorted, each once.
fn related(
    t: &Taxonomy,
    adjacency: &Adjacency,
    p: &EsperienzaParams,
    x: OccupationId,
    direction: Direction,
) -> Vec<OccupationId> {
    let mut out: Vec<OccupationId> = vec![x];
    out.extend_from_slice(t.minor_group(x));
    match direction {
        Direction::NeighboursOf => out.extend(adjacency.of(x, p).iter().map(|&(c, _)| c)),
        Direction::NeighbourIn => out.extend(adjacency.of_reverse(x, p)),
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// What every candidate occupation is worth against one vacancy's distribution.
#[derive(Debug, Clone)]
pub struct SoftCredit {
    /// `M(c)` by occupation id.
    experience: Vec<f32>,
    /// `esperienza.declared × q_c` by occupation id.
    declared: Vec<f32>,
}

impl SoftCredit {
    /// The credits of `vacancy` (its occupations with their probabilities).
    pub fn new(
        t: &Taxonomy,
        adjacency: &Adjacency,
        p: &EsperienzaParams,
        vacancy: &[(OccupationId, f32)],
    ) -> SoftCredit {
        let n = t.occupations.len();
        let mut experience = vec![0f64; n];
        let mut declared = vec![0f32; n];
        for &(o, q) in vacancy {
            let q = f64::from(q);
            // Each occupation's term is q × m(c, o), for every occupation that can earn
            // anything: the same one, its minor group (and so its unit group), its neighbours.
            for c in related(t, adjacency, p, o, Direction::NeighboursOf) {
                let (m, _) = relation(t, adjacency, p, c, o);
                experience[c as usize] += q * m;
            }
            declared[o as usize] = declared[o as usize].max((p.declared * q) as f32);
        }
        SoftCredit {
            experience: experience.into_iter().map(|x| x.min(1.0) as f32).collect(),
            declared,
        }
    }

    /// `M(c)`.
    pub fn experience(&self, c: OccupationId) -> f32 {
        self.experience.get(c as usize).copied().unwrap_or(0.0)
    }

    /// The credit of `c` declared in the patto.
    pub fn declared(&self, c: OccupationId) -> f32 {
        self.declared.get(c as usize).copied().unwrap_or(0.0)
    }

    /// Every occupation with a credit, in id order: `(c, M(c), declared credit)` (what an
    /// external engine needs to score the part as [`SoftCredit::best`] does).
    pub fn credited(&self) -> impl Iterator<Item = (OccupationId, f32, f32)> + '_ {
        self.experience
            .iter()
            .zip(&self.declared)
            .enumerate()
            .filter(|(_, (m, d))| **m > 0.0 || **d > 0.0)
            .map(|(c, (&m, &d))| (c as OccupationId, m, d))
    }

    /// The best group of a candidate's values ([`encode`]d, in any order): its worth and its
    /// largest term (the first of equal terms). None when nothing earns credit.
    pub fn best(&self, values: &[u64]) -> Option<SoftMatch> {
        // Most candidates hold nothing the vacancy credits: find the first value that earns
        // anything before making room for groups (the values before it add nothing and open
        // no group).
        let first = values.iter().position(|&v| {
            let (c, group, p) = decode(v);
            if group == DECLARED_GROUP {
                self.declared(c) > 0.0
            } else {
                p * self.experience(c) > 0.0
            }
        })?;
        let values = &values[first..];
        // At most a few groups credit anything: room for 16 on the stack, and for a record
        // with more, the same pass again with room for every group (at most 128).
        let mut room = [Group::default(); 16];
        match self.best_in(values, &mut room) {
            Some(found) => found,
            None => self.best_in(values, &mut vec![Group::default(); 128])?,
        }
    }

    /// [`SoftCredit::best`] with `room` for the crediting groups; None when it is too small.
    fn best_in(&self, values: &[u64], room: &mut [Group]) -> Option<Option<SoftMatch>> {
        let mut used = 0usize;
        let mut best: Option<SoftMatch> = None;
        for &v in values {
            let (c, group, p) = decode(v);
            if group == DECLARED_GROUP {
                let m = SoftMatch {
                    value: self.declared(c),
                    occupation: c,
                    probability: 1.0,
                    group,
                };
                if m.value > 0.0 && best.is_none_or(|b| m.value > b.value) {
                    best = Some(m);
                }
                continue;
            }
            let term = p * self.experience(c);
            if term <= 0.0 {
                continue;
            }
            let slot = match room[..used].iter().position(|g| g.group == group) {
                Some(s) => s,
                None if used < room.len() => {
                    room[used] = Group {
                        group,
                        ..Group::default()
                    };
                    used += 1;
                    used - 1
                }
                None => return None,
            };
            let g = &mut room[slot];
            g.sum += term;
            if term > g.term {
                (g.occupation, g.probability, g.term) = (c, p, term);
            }
        }
        // Groups in order of first value; equal worths keep the first.
        for g in &room[..used] {
            let m = SoftMatch {
                value: g.sum.min(1.0),
                occupation: g.occupation,
                probability: g.probability,
                group: g.group,
            };
            if best.is_none_or(|b| m.value > b.value) {
                best = Some(m);
            }
        }
        Some(best)
    }
}

/// A crediting group being summed.
#[derive(Debug, Clone, Copy, Default)]
struct Group {
    group: u8,
    sum: f32,
    occupation: OccupationId,
    probability: f32,
    term: f32,
}

/// The best group of a candidate under soft occupations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftMatch {
    /// The `esperienza` value: the group's expected match, at most 1.
    pub value: f32,
    /// The group's occupation of largest term.
    pub occupation: OccupationId,
    /// Its probability (its weight for free text).
    pub probability: f32,
    /// The group: an experience's index, a free-text piece from [`FREE_TEXT_GROUP`], or
    /// [`DECLARED_GROUP`].
    pub group: u8,
}

/// The other direction, for offers (one person against every vacancy of a board): per group of
/// the person, `G(o) = Σ_i p_i m(c_i, o)` for every occupation `o`, so that a vacancy with
/// distribution `q` is worth `Σ_j q_j G(o_j)` to the group: the same expected match as
/// [`SoftCredit`] (equal to f32 rounding), read in a few lookups per vacancy.
#[derive(Debug, Clone)]
pub struct PersonCredit {
    /// (group, `G` by occupation id) per group with an occupation.
    groups: Vec<(u8, Vec<f32>)>,
    /// The occupations declared in the patto.
    declared: Vec<OccupationId>,
    /// `esperienza.declared`.
    declared_credit: f32,
}

impl PersonCredit {
    /// The credits of a person's groups (each experience's distribution, then each free-text
    /// piece's from [`FREE_TEXT_GROUP`]) and declared occupations.
    pub fn new(
        t: &Taxonomy,
        adjacency: &Adjacency,
        p: &EsperienzaParams,
        groups: &[(u8, &[(OccupationId, f32)])],
        declared: &[OccupationId],
    ) -> PersonCredit {
        let n = t.occupations.len();
        let mut out = Vec::new();
        for &(group, d) in groups {
            if d.is_empty() {
                continue;
            }
            let mut g = vec![0f64; n];
            for &(c, prob) in d {
                for o in related(t, adjacency, p, c, Direction::NeighbourIn) {
                    let (m, _) = relation(t, adjacency, p, c, o);
                    g[o as usize] += f64::from(prob) * m;
                }
            }
            out.push((group, g.into_iter().map(|x| x as f32).collect()));
        }
        PersonCredit {
            groups: out,
            declared: declared.to_vec(),
            declared_credit: p.declared as f32,
        }
    }

    /// The best group against a vacancy's distribution, as [`SoftCredit::best`] gives it (the
    /// occupation of largest term is left to [`largest_term`]).
    pub fn best(&self, vacancy: &[(OccupationId, f32)]) -> Option<SoftMatch> {
        let mut best: Option<SoftMatch> = None;
        for &(o, q) in vacancy {
            if self.declared.contains(&o) {
                let m = SoftMatch {
                    value: self.declared_credit * q,
                    occupation: o,
                    probability: 1.0,
                    group: DECLARED_GROUP,
                };
                if m.value > 0.0 && best.is_none_or(|b| m.value > b.value) {
                    best = Some(m);
                }
            }
        }
        for (group, g) in &self.groups {
            let v: f32 = vacancy
                .iter()
                .map(|&(o, q)| q * g.get(o as usize).copied().unwrap_or(0.0))
                .sum();
            if v > 0.0 && best.is_none_or(|b| v.min(1.0) > b.value) {
                best = Some(SoftMatch {
                    value: v.min(1.0),
                    occupation: OccupationId::MAX,
                    probability: 0.0,
                    group: *group,
                });
            }
        }
        best
    }
}

/// The occupation of `d` (a group's distribution) with the largest term `p × M(c)` against
/// `vacancy`, with its probability (the first of equals).
pub fn largest_term(
    t: &Taxonomy,
    adjacency: &Adjacency,
    p: &EsperienzaParams,
    d: &[(OccupationId, f32)],
    vacancy: &[(OccupationId, f32)],
) -> Option<(OccupationId, f32)> {
    let mut best: Option<(f64, OccupationId, f32)> = None;
    for &(c, prob) in d {
        let credit: f64 = vacancy
            .iter()
            .map(|&(o, q)| f64::from(q) * relation(t, adjacency, p, c, o).0)
            .sum();
        let term = f64::from(prob) * credit;
        if term > 0.0 && best.is_none_or(|b| term > b.0) {
            best = Some((term, c, prob));
        }
    }
    best.map(|b| (b.1, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MatchingModel;
    use proptest::prelude::*;

    fn t() -> &'static Taxonomy {
        Taxonomy::bundled()
    }

    /// Adjacency left out (`proximity` 0), so the relations are the ISCO ones only.
    const P: EsperienzaParams = EsperienzaParams {
        adjacent: 0.5,
        proximity: 0.0,
        neighbours: 0,
        min_similarity: 0.3,
        declared: 0.8,
        minor_group: 0.25,
    };

    /// A, B in one ISCO unit group; C in the same minor group, another unit; D elsewhere.
    fn four() -> [OccupationId; 4] {
        let occ = &t().occupations;
        let isco = |o: usize| occ[o].isco.as_str();
        for a in 0..occ.len() {
            if isco(a).len() != 4 {
                continue;
            }
            let b = (0..occ.len()).find(|&b| b != a && isco(b) == isco(a));
            let c = (0..occ.len()).find(|&c| {
                isco(c).len() == 4 && isco(c) != isco(a) && isco(c)[..3] == isco(a)[..3]
            });
            let d = (0..occ.len()).find(|&d| isco(d).len() == 4 && isco(d)[..1] != isco(a)[..1]);
            if let (Some(b), Some(c), Some(d)) = (b, c, d) {
                return [a as u32, b as u32, c as u32, d as u32];
            }
        }
        panic!("no four occupations")
    }

    #[test]
    fn a_value_keeps_occupation_group_and_probability() {
        for (o, g, p) in [
            (0u32, 0u8, 1.0f32),
            (3_000, 99, 0.3),
            (7, DECLARED_GROUP, 1.0),
        ] {
            let (o2, g2, p2) = decode(encode(o, g, p));
            assert_eq!((o2, g2), (o, g));
            assert!((p2 - p).abs() <= 0.5 / 65_535.0, "{p} {p2}");
        }
        // Probability 1 (a code) is exact.
        assert_eq!(decode(encode(5, 0, 1.0)).2, 1.0);
    }

    /// The expected match by hand. Vacancy q = {A: 0.6, D: 0.4}, so
    /// M(A) = 0.6 × 1 = 0.6, M(B) = 0.6 × 0.5 (unit group) = 0.3, M(C) = 0.6 × 0.25 (minor
    /// group) = 0.15, M(D) = 0.4 × 1 = 0.4.
    /// Experience 0 = {B: 0.7, C: 0.3}: 0.7 × 0.3 + 0.3 × 0.15 = 0.255.
    /// Experience 1 = {D: 1}: 0.4. Best: experience 1, 0.4.
    /// With A declared in the patto: 0.8 × 0.6 = 0.48, which wins.
    #[test]
    fn the_expected_match_by_hand() {
        let [a, b, c, d] = four();
        let adj = crate::Adjacency::shared(t(), &MatchingModel::V1_DEFAULTS.vectors);
        let q = [(a, 0.6f32), (d, 0.4)];
        let credit = SoftCredit::new(t(), &adj, &P, &q);
        assert!((credit.experience(a) - 0.6).abs() < 1e-6);
        assert!((credit.experience(b) - 0.3).abs() < 1e-6);
        assert!((credit.experience(c) - 0.15).abs() < 1e-6);
        assert!((credit.experience(d) - 0.4).abs() < 1e-6);
        let e0 = [(b, 0.7f32), (c, 0.3)];
        let e1 = [(d, 1.0f32)];
        let mut values: Vec<u64> = e0.iter().map(|&(o, p)| encode(o, 0, p)).collect();
        values.extend(e1.iter().map(|&(o, p)| encode(o, 1, p)));
        let best = credit.best(&values).unwrap();
        assert_eq!((best.group, best.occupation), (1, d));
        assert!((best.value - 0.4).abs() < 1e-4);
        let only0 = credit.best(&values[..2]).unwrap();
        assert!((only0.value - 0.255).abs() < 1e-4, "{}", only0.value);
        assert_eq!(only0.occupation, b, "0.7 × 0.3 = 0.21 > 0.3 × 0.15");
        values.push(encode(a, DECLARED_GROUP, 1.0));
        let declared = credit.best(&values).unwrap();
        assert_eq!(declared.group, DECLARED_GROUP);
        assert!((declared.value - 0.48).abs() < 1e-6);
        // The person's side gives the same values.
        let person = PersonCredit::new(t(), &adj, &P, &[(0, &e0[..]), (1, &e1[..])], &[]);
        assert!((person.best(&q).unwrap().value - 0.4).abs() < 1e-4);
        let with_declared = PersonCredit::new(t(), &adj, &P, &[(0, &e0[..])], &[a]);
        let m = with_declared.best(&q).unwrap();
        assert_eq!(m.group, DECLARED_GROUP);
        assert!((m.value - 0.48).abs() < 1e-6);
        assert_eq!(largest_term(t(), &adj, &P, &e0, &q), Some((b, 0.7)));
        // Codes on both sides: the v3 credits (same 1, unit group 0.5, none 0).
        let point = SoftCredit::new(t(), &adj, &P, &[(a, 1.0)]);
        assert_eq!(point.best(&[encode(a, 0, 1.0)]).unwrap().value, 1.0);
        assert_eq!(point.best(&[encode(b, 0, 1.0)]).unwrap().value, 0.5);
        assert_eq!(point.best(&[encode(d, 0, 1.0)]), None);
    }

    /// An adjacent occupation earns `proximity × similarity` from both directions: the
    /// vacancy's neighbours and, on the person's side, the occupations holding the candidate's
    /// among their neighbours.
    #[test]
    fn adjacency_counts_the_same_from_both_sides() {
        let p = EsperienzaParams {
            proximity: 0.6,
            neighbours: 10,
            ..P
        };
        let adj = crate::Adjacency::shared(t(), &MatchingModel::V1_DEFAULTS.vectors);
        let o = t().occupations_by_title("cuoco")[0];
        let &(c, sim) = adj
            .of(o, &p)
            .iter()
            .find(|(c, _)| t().minor_group(o).binary_search(c).is_err())
            .expect("a neighbour outside the minor group");
        let want = 0.6 * sim;
        let vacancy = SoftCredit::new(t(), &adj, &p, &[(o, 1.0)]);
        let got = vacancy.best(&[encode(c, 0, 1.0)]).unwrap().value;
        assert!((got - want).abs() < 1e-6, "{got} {want}");
        let person = PersonCredit::new(t(), &adj, &p, &[(0, &[(c, 1.0)][..])], &[]);
        let got = person.best(&[(o, 1.0)]).unwrap().value;
        assert!((got - want).abs() < 1e-6, "{got} {want}");
        assert!(adj.of_reverse(c, &p).any(|x| x == o));
    }

    proptest! {
        /// Both directions agree (to the 1/65,535 of the stored probabilities) and the value is
        /// in [0, 1].
        #[test]
        fn both_directions_agree(
            picks in proptest::collection::vec((0usize..4, 1u32..100), 1..6),
            vac in proptest::collection::vec((0usize..4, 1u32..100), 1..4),
        ) {
            let occ = four();
            let norm = |x: &[(usize, u32)]| -> Vec<(OccupationId, f32)> {
                let total: u32 = x.iter().map(|p| p.1).sum();
                let mut out: Vec<(OccupationId, f32)> = Vec::new();
                for &(i, w) in x {
                    match out.iter_mut().find(|e| e.0 == occ[i]) {
                        Some(e) => e.1 += w as f32 / total as f32,
                        None => out.push((occ[i], w as f32 / total as f32)),
                    }
                }
                out
            };
            let (d, q) = (norm(&picks), norm(&vac));
            let adj = crate::Adjacency::shared(t(), &MatchingModel::V1_DEFAULTS.vectors);
            let values: Vec<u64> = d.iter().map(|&(o, p)| encode(o, 0, p)).collect();
            let a = SoftCredit::new(t(), &adj, &P, &q).best(&values).map_or(0.0, |m| m.value);
            let b = PersonCredit::new(t(), &adj, &P, &[(0, &d[..])], &[]).best(&q).map_or(0.0, |m| m.value);
            prop_assert!((0.0..=1.0).contains(&a));
            prop_assert!((a - b).abs() < 1e-3, "{} {}", a, b);
        }
    }
}
