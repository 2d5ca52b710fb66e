//! Competency vectors: people and vacancies as sparse, L2-normalised vectors over ESCO skills.
//!
//! A candidate's vector sums, over their work experiences, the essential and optional skills of
//! each experience's occupation (weights `essential`, `optional`), scaled by how long it lasted
//! (`1 − e^(−months/saturation_months)`) and how recent it is (halved every `half_life_years`
//! since it ended), plus each declared skill at `declared`. A vacancy's vector is its
//! occupation's skills plus each required skill at `required`. Every component is then
//! multiplied by the skill's inverse occupation frequency (`ln(N / (1 + df))`, floored at
//! `idf_floor`), so that skills almost every occupation lists (teamwork, languages) say little,
//! and the vector is L2-normalised: the similarity of two vectors is their dot product, in
//! [0, 1]. Every number is the model file's (`[vectors]`, [`VectorParams`]).
//!
//! Vectors of an index are stored together in CSR form ([`CompetencyMatrix`]), row `i` beside
//! document `i`.

use std::io::{Read, Write};

use super::model::VectorParams;
use incrocio_taxonomy::{OccupationId, SkillId, Taxonomy};

/// A sparse vector: strictly increasing skill ids with their weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Skill ids, strictly increasing.
    pub idx: Vec<SkillId>,
    /// Weights, one per id.
    pub val: Vec<f32>,
}

impl SparseVec {
    /// The vector scattered into a dense array of `len` weights (ids beyond it are dropped).
    pub fn to_dense(&self, len: usize) -> Vec<f32> {
        let mut d = vec![0.0f32; len];
        for (i, v) in self.idx.iter().zip(&self.val) {
            if let Some(x) = d.get_mut(*i as usize) {
                *x = *v;
            }
        }
        d
    }

    /// Builds a vector from (skill, weight) pairs, summing repeated skills, dropping zeros.
    pub fn from_pairs(mut pairs: Vec<(SkillId, f32)>) -> SparseVec {
        pairs.sort_unstable_by_key(|p| p.0);
        let mut v = SparseVec::default();
        for (s, w) in pairs {
            if v.idx.last() == Some(&s) {
                if let Some(last) = v.val.last_mut() {
                    *last += w;
                }
            } else {
                v.idx.push(s);
                v.val.push(w);
            }
        }
        v
    }

    /// Number of non-zero components.
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }

    /// Scales to unit length (no-op on the zero vector).
    pub fn normalize(&mut self) {
        let norm = self.val.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            self.val.iter_mut().for_each(|x| *x /= norm);
        }
    }

    /// Dot product with another sparse vector (merge of the two sorted id lists).
    pub fn dot(&self, other: &SparseVec) -> f32 {
        dot(&self.idx, &self.val, &other.idx, &other.val)
    }

    /// The weight of a skill (0 when absent).
    pub fn get(&self, s: SkillId) -> f32 {
        self.idx.binary_search(&s).map_or(0.0, |i| self.val[i])
    }
}

fn dot(ai: &[u32], av: &[f32], bi: &[u32], bv: &[f32]) -> f32 {
    let (mut i, mut j, mut acc) = (0, 0, 0.0f32);
    while i < ai.len() && j < bi.len() {
        match ai[i].cmp(&bi[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                acc += av[i] * bv[j];
                i += 1;
                j += 1;
            }
        }
    }
    acc
}

/// A work experience as the vectoriser sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExperienceSignal {
    /// The ESCO occupation.
    pub occupation: OccupationId,
    /// Duration in months.
    pub months: u32,
    /// Whole years between its end and the profiling date (0 when ongoing).
    pub years_since_end: u32,
    /// The probability that the experience was in this occupation (1 for a code; a title's
    /// share with soft occupations).
    pub weight: f32,
}

/// Builds competency vectors from the taxonomy (holds the skill weights).
#[derive(Debug, Clone)]
pub struct Vectorizer {
    idf: Vec<f32>,
    params: VectorParams,
}

impl Vectorizer {
    /// Computes skill inverse occupation frequencies from the taxonomy.
    pub fn new(t: &Taxonomy, params: &VectorParams) -> Vectorizer {
        let mut df = vec![0u32; t.skills.len()];
        for o in 0..t.occupations.len() {
            for &(s, _) in t.skills_of(o as OccupationId) {
                df[s as usize] += 1;
            }
        }
        let n = t.occupations.len() as f32;
        let floor = params.idf_floor as f32;
        Vectorizer {
            idf: df
                .iter()
                .map(|&d| (n / (1.0 + d as f32)).ln().max(floor))
                .collect(),
            params: *params,
        }
    }

    /// The parameters the vectors are built with.
    pub fn params(&self) -> &VectorParams {
        &self.params
    }

    /// The inverse occupation frequency of a skill.
    pub fn idf(&self, s: SkillId) -> f32 {
        self.idf
            .get(s as usize)
            .copied()
            .unwrap_or(self.params.idf_floor as f32)
    }

    /// An occupation's skills, essential and optional weighted: the vacancy side of a vector.
    fn occupation_pairs(&self, t: &Taxonomy, o: OccupationId, out: &mut Vec<(SkillId, f32)>) {
        let (essential, optional) = (self.params.essential as f32, self.params.optional as f32);
        for &(s, e) in t.skills_of(o) {
            out.push((s, if e { essential } else { optional }));
        }
    }

    /// An occupation's own vector (its skills, idf-weighted, normalised): what adjacency
    /// compares.
    pub fn occupation(&self, t: &Taxonomy, o: OccupationId) -> SparseVec {
        let mut pairs = Vec::new();
        self.occupation_pairs(t, o, &mut pairs);
        self.finish(pairs)
    }

    /// A candidate's vector.
    pub fn candidate(
        &self,
        t: &Taxonomy,
        experiences: &[ExperienceSignal],
        declared: &[SkillId],
    ) -> SparseVec {
        let p = &self.params;
        let (essential, optional) = (p.essential as f32, p.optional as f32);
        let (saturation, half_life) = (p.saturation_months as f32, p.half_life_years as f32);
        let mut pairs = Vec::new();
        for e in experiences {
            let duration = 1.0 - (-(e.months as f32) / saturation).exp();
            let recency = 0.5f32.powf(e.years_since_end as f32 / half_life);
            let w = duration * recency * e.weight;
            for &(s, is_essential) in t.skills_of(e.occupation) {
                pairs.push((s, w * if is_essential { essential } else { optional }));
            }
        }
        let declared_weight = p.declared as f32;
        pairs.extend(declared.iter().map(|&s| (s, declared_weight)));
        self.finish(pairs)
    }

    /// A vacancy's vector: its occupations' skills, each weighted by the occupation's
    /// probability (one with probability 1 for a code), and its required skills.
    pub fn vacancy(
        &self,
        t: &Taxonomy,
        occupations: &[(OccupationId, f32)],
        required: &[SkillId],
    ) -> SparseVec {
        let mut pairs = Vec::new();
        for &(o, p) in occupations {
            let from = pairs.len();
            self.occupation_pairs(t, o, &mut pairs);
            if p != 1.0 {
                for x in &mut pairs[from..] {
                    x.1 *= p;
                }
            }
        }
        let required_weight = self.params.required as f32;
        pairs.extend(required.iter().map(|&s| (s, required_weight)));
        self.finish(pairs)
    }

    fn finish(&self, pairs: Vec<(SkillId, f32)>) -> SparseVec {
        let mut v = SparseVec::from_pairs(pairs);
        for (s, w) in v.idx.iter().zip(v.val.iter_mut()) {
            *w *= self.idf(*s);
        }
        v.normalize();
        v
    }
}

/// A row folded to 256 bits (one per skill, by a multiplicative hash) with its norm and its
/// number of entries: enough to bound its similarity with a vacancy without reading the row
/// ([`SketchQuery::bound`]), one cache line instead of the row's several.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sketch {
    bits: [u64; 4],
    /// The row's L2 norm, rounded up.
    norm: f32,
    /// The row's entries.
    nnz: u32,
}

/// The bit of a skill in a [`Sketch`].
fn sketch_bit(skill: SkillId) -> usize {
    (u64::from(skill).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

impl Sketch {
    /// The row's L2 norm, rounded up.
    pub fn norm(&self) -> f32 {
        self.norm
    }

    /// The sketch of a row.
    pub fn of(idx: &[SkillId], val: &[f32]) -> Sketch {
        let mut bits = [0u64; 4];
        for &i in idx {
            let b = sketch_bit(i);
            bits[b / 64] |= 1 << (b % 64);
        }
        let norm = val
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        // Rounded to f32 upwards (a rounding down is corrected by one ulp).
        let up = norm as f32;
        let norm = if f64::from(up) < norm {
            up.next_up()
        } else {
            up
        };
        Sketch {
            bits,
            norm,
            nnz: idx.len() as u32,
        }
    }
}

/// A vacancy's vector prepared for [`SketchQuery::bound`]: per sketch bit, the squared weight
/// of its skills that fold there.
#[derive(Debug, Clone)]
pub struct SketchQuery {
    bits: [u64; 4],
    mass: [f64; 256],
    /// The vector's L2 norm.
    norm: f64,
}

impl SketchQuery {
    /// The query of a dense vector (one weight per skill id).
    pub fn new(dense: &[f32]) -> SketchQuery {
        let mut q = SketchQuery {
            bits: [0; 4],
            mass: [0.0; 256],
            norm: 0.0,
        };
        for (i, &w) in dense.iter().enumerate() {
            if w != 0.0 {
                let b = sketch_bit(i as SkillId);
                q.bits[b / 64] |= 1 << (b % 64);
                q.mass[b] += f64::from(w) * f64::from(w);
            }
        }
        q.norm = q.mass.iter().sum::<f64>().sqrt();
        q
    }

    /// A value [`CompetencyMatrix::dot_dense`] of the sketched row with this vector never
    /// exceeds. The skills the two share fold into bits both sketches have, so by
    /// Cauchy–Schwarz the exact dot is at most `‖row‖ × √(Σ mass of the shared bits)`. The f32
    /// sum of at most `nnz` products is within `(nnz + 1) · 2⁻²³ · ‖row‖ · ‖vector‖` of the
    /// exact dot (twice the textbook `γ`); a relative 1e-9 covers this function's own rounding.
    pub fn bound(&self, s: &Sketch) -> f64 {
        let mut shared = 0.0f64;
        for (w, (&a, &b)) in self.bits.iter().zip(&s.bits).enumerate() {
            let mut m = a & b;
            while m != 0 {
                shared += self.mass[w * 64 + m.trailing_zeros() as usize];
                m &= m - 1;
            }
        }
        let norm = f64::from(s.norm);
        let rounding = (f64::from(s.nnz) + 1.0) * f64::powi(2.0, -23) * norm * self.norm;
        (shared.sqrt() * norm + rounding) * (1.0 + 1e-9)
    }
}

/// Many sparse vectors in compressed sparse row form: row `i` is
/// `indices[indptr[i]..indptr[i + 1]]` with `values` alongside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompetencyMatrix {
    indptr: Vec<u64>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

const MAGIC: &[u8; 8] = b"INCRCSR1";

impl CompetencyMatrix {
    /// An empty matrix.
    pub fn new() -> CompetencyMatrix {
        CompetencyMatrix {
            indptr: vec![0],
            ..CompetencyMatrix::default()
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Appends a row; returns its number.
    pub fn push(&mut self, v: &SparseVec) -> usize {
        if self.indptr.is_empty() {
            self.indptr.push(0);
        }
        self.indices.extend_from_slice(&v.idx);
        self.values.extend_from_slice(&v.val);
        self.indptr.push(self.indices.len() as u64);
        self.rows() - 1
    }

    /// Dot product of row `r` with `v`.
    pub fn dot(&self, r: usize, v: &SparseVec) -> f32 {
        let (a, b) = (self.indptr[r] as usize, self.indptr[r + 1] as usize);
        dot(&self.indices[a..b], &self.values[a..b], &v.idx, &v.val)
    }

    /// Dot product of row `r` with a vector scattered into `dense` (one weight per skill id):
    /// a gather over the row's entries, in the same order as [`CompetencyMatrix::dot`] adds
    /// them, so the result is the same to the bit.
    pub fn dot_dense(&self, r: usize, dense: &[f32]) -> f32 {
        let (idx, val) = self.row_parts(r);
        let mut acc = 0.0f32;
        for (i, v) in idx.iter().zip(val) {
            let w = dense.get(*i as usize).copied().unwrap_or(0.0);
            if w != 0.0 {
                acc += v * w;
            }
        }
        acc
    }

    /// Reads one value per cache line of row `r` (ids and weights) and returns their sum, which
    /// means nothing: it brings the row into cache, so a caller about to read several rows can
    /// touch them together and wait for their misses once.
    pub fn touch(&self, r: usize) -> f32 {
        if r >= self.rows() {
            return 0.0;
        }
        let (idx, val) = self.row_parts(r);
        idx.iter()
            .step_by(16)
            .zip(val.iter().step_by(16))
            .map(|(&i, &v)| i as f32 + v)
            .sum()
    }

    /// Row `r`'s skill ids and weights, borrowed.
    pub fn row_parts(&self, r: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[r] as usize, self.indptr[r + 1] as usize);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// Row `r` as a vector.
    pub fn row(&self, r: usize) -> SparseVec {
        let (idx, val) = self.row_parts(r);
        SparseVec {
            idx: idx.to_vec(),
            val: val.to_vec(),
        }
    }

    /// The same rows, those not `keep` emptied (no entries): slots stay where they are, the
    /// entries of the dropped rows are given back.
    pub fn keeping(&self, keep: &[bool]) -> CompetencyMatrix {
        let mut out = CompetencyMatrix {
            indptr: Vec::with_capacity(self.indptr.len()),
            indices: Vec::new(),
            values: Vec::new(),
        };
        out.indptr.push(0);
        for r in 0..self.rows() {
            if keep.get(r).copied().unwrap_or(true) {
                let (idx, val) = self.row_parts(r);
                out.indices.extend_from_slice(idx);
                out.values.extend_from_slice(val);
            }
            out.indptr.push(out.indices.len() as u64);
        }
        out.indices.shrink_to_fit();
        out.values.shrink_to_fit();
        out
    }

    /// Writes the matrix (little-endian: magic, rows, nnz, indptr, indices, values).
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(MAGIC)?;
        w.write_all(&(self.rows() as u64).to_le_bytes())?;
        w.write_all(&(self.indices.len() as u64).to_le_bytes())?;
        for x in &self.indptr {
            w.write_all(&x.to_le_bytes())?;
        }
        for x in &self.indices {
            w.write_all(&x.to_le_bytes())?;
        }
        for x in &self.values {
            w.write_all(&x.to_le_bytes())?;
        }
        Ok(())
    }

    /// Reads a matrix written by [`CompetencyMatrix::write_to`], checking its structure.
    pub fn read_from(r: &mut impl Read, budget: u64) -> std::io::Result<CompetencyMatrix> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut magic = [0u8; 8];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(bad("not an incrocio competency matrix (bad magic)"));
        }
        let mut u64s = |n: usize| -> std::io::Result<Vec<u64>> {
            let mut buf = vec![0u8; n * 8];
            r.read_exact(&mut buf)?;
            Ok(buf
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect())
        };
        let head = u64s(2)?;
        // The sizes in the header are checked against the bytes the file has before anything
        // is allocated: a corrupt header is an error, never a huge allocation.
        let needed = head[0]
            .checked_add(1)
            .and_then(|r| r.checked_mul(8))
            .and_then(|a| head[1].checked_mul(8).and_then(|b| a.checked_add(b)))
            .and_then(|n| n.checked_add(24));
        if needed.is_none_or(|n| n > budget) {
            return Err(bad("corrupt competency matrix (sizes beyond the file)"));
        }
        let (rows, nnz) = (head[0] as usize, head[1] as usize);
        let indptr = u64s(rows + 1)?;
        let mut buf = vec![0u8; nnz * 4];
        r.read_exact(&mut buf)?;
        let indices: Vec<u32> = buf
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
            .collect();
        r.read_exact(&mut buf)?;
        let values: Vec<f32> = buf
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
            .collect();
        if indptr.first() != Some(&0)
            || indptr.last() != Some(&(nnz as u64))
            || indptr.windows(2).any(|w| w[0] > w[1])
        {
            return Err(bad("corrupt competency matrix (row pointers)"));
        }
        Ok(CompetencyMatrix {
            indptr,
            indices,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> &'static Taxonomy {
        Taxonomy::bundled()
    }

    #[test]
    fn sparse_vectors_merge_and_normalise() {
        let mut v = SparseVec::from_pairs(vec![(5, 1.0), (2, 2.0), (5, 1.0), (9, 0.0)]);
        assert_eq!(v.idx, vec![2, 5, 9]);
        assert_eq!(v.val, vec![2.0, 2.0, 0.0]);
        v.normalize();
        assert!((v.dot(&v) - 1.0).abs() < 1e-6);
        let w = SparseVec::from_pairs(vec![(5, 1.0)]);
        assert!((v.dot(&w) - 2.0 / 8f32.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn same_occupation_is_closer_than_a_different_one() {
        let vz = Vectorizer::new(t(), &crate::MatchingModel::V1_DEFAULTS.vectors);
        let web = t().occupations_by_title("webmaster")[0];
        let cook = t().occupations_by_title("cuoco")[0];
        let job = vz.vacancy(t(), &[(web, 1.0)], &[]);
        let exp = |o, months, years| ExperienceSignal {
            occupation: o,
            months,
            years_since_end: years,
            weight: 1.0,
        };
        let web_dev = vz.candidate(t(), &[exp(web, 36, 0)], &[]);
        let chef = vz.candidate(t(), &[exp(cook, 36, 0)], &[]);
        assert!(job.dot(&web_dev) > 0.9, "{}", job.dot(&web_dev));
        assert!(job.dot(&chef) < 0.2, "{}", job.dot(&chef));
        // A required skill the candidate declares raises the similarity.
        let skill = t().skills_of(cook)[0].0;
        let job2 = vz.vacancy(t(), &[(web, 1.0)], &[skill]);
        let declared = vz.candidate(t(), &[exp(web, 36, 0)], &[skill]);
        assert!(job2.dot(&declared) > job2.dot(&web_dev));
    }

    #[test]
    fn older_and_shorter_experience_weighs_less() {
        let vz = Vectorizer::new(t(), &crate::MatchingModel::V1_DEFAULTS.vectors);
        let web = t().occupations_by_title("webmaster")[0];
        let cook = t().occupations_by_title("cuoco")[0];
        let job = vz.vacancy(t(), &[(web, 1.0)], &[]);
        let mix = |web_months, web_years| {
            vz.candidate(
                t(),
                &[
                    ExperienceSignal {
                        occupation: web,
                        months: web_months,
                        years_since_end: web_years,
                        weight: 1.0,
                    },
                    ExperienceSignal {
                        occupation: cook,
                        months: 24,
                        years_since_end: 0,
                        weight: 1.0,
                    },
                ],
                &[],
            )
        };
        assert!(job.dot(&mix(36, 0)) > job.dot(&mix(36, 10)));
        assert!(job.dot(&mix(36, 0)) > job.dot(&mix(3, 0)));
    }

    #[test]
    fn csr_round_trips_and_rejects_garbage() {
        let mut m = CompetencyMatrix::new();
        let a = SparseVec::from_pairs(vec![(1, 0.6), (7, 0.8)]);
        let b = SparseVec::default();
        assert_eq!(m.push(&a), 0);
        assert_eq!(m.push(&b), 1);
        let mut bytes = Vec::new();
        m.write_to(&mut bytes).unwrap();
        let back = CompetencyMatrix::read_from(&mut bytes.as_slice(), bytes.len() as u64).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.row(0), a);
        assert!((back.dot(0, &a) - 1.0).abs() < 1e-6);
        assert_eq!(back.dot(1, &a), 0.0);
        bytes[0] = b'X';
        assert!(CompetencyMatrix::read_from(&mut bytes.as_slice(), bytes.len() as u64).is_err());
    }

    proptest::proptest! {
        #[test]
        fn dense_gather_equals_the_sparse_merge_to_the_bit(
            a in proptest::collection::vec((0u32..500, 0.01f32..1.0), 0..80),
            b in proptest::collection::vec((0u32..500, 0.01f32..1.0), 0..80),
        ) {
            let (a, b) = (SparseVec::from_pairs(a), SparseVec::from_pairs(b));
            let mut m = CompetencyMatrix::new();
            m.push(&a);
            let dense = b.to_dense(500);
            proptest::prop_assert_eq!(m.dot_dense(0, &dense).to_bits(), m.dot(0, &b).to_bits());
        }

        /// The sketch's bound is never below the dot product as computed, normalised or not,
        /// with few skills (many shared, the bound near the dot) or many (most bits set).
        #[test]
        fn the_sketch_bound_is_never_below_the_dot(
            a in proptest::collection::vec((0u32..3000, -1.0f32..1.0), 0..400),
            b in proptest::collection::vec((0u32..3000, 0.0f32..1.0), 0..120),
            few in proptest::bool::ANY,
            normalise in proptest::bool::ANY,
        ) {
            let fold = |v: Vec<(u32, f32)>| v.into_iter().map(|(i, w)| (if few { i % 40 } else { i }, w)).collect::<Vec<_>>();
            let (mut a, mut b) = (SparseVec::from_pairs(fold(a)), SparseVec::from_pairs(fold(b)));
            if normalise {
                a.normalize();
                b.normalize();
            }
            let mut m = CompetencyMatrix::new();
            m.push(&a);
            let dense = b.to_dense(3000);
            let q = SketchQuery::new(&dense);
            let (idx, val) = m.row_parts(0);
            let bound = q.bound(&Sketch::of(idx, val));
            let dot = f64::from(m.dot_dense(0, &dense));
            proptest::prop_assert!(dot <= bound, "dot {} > bound {}", dot, bound);
        }
    }

    #[test]
    fn the_sketch_bound_is_tight_when_nothing_is_shared() {
        // Skills 1 and 2 fold into different bits (checked): no shared bit, so the bound is the
        // rounding margin alone.
        assert_ne!(sketch_bit(1), sketch_bit(2));
        let row = SparseVec {
            idx: vec![1],
            val: vec![1.0],
        };
        let q = SketchQuery::new(
            &SparseVec {
                idx: vec![2],
                val: vec![1.0],
            }
            .to_dense(3),
        );
        let bound = q.bound(&Sketch::of(&row.idx, &row.val));
        // (1 + 1) × 2⁻²³ × 1 × 1, times 1 + 1e-9.
        assert!(
            (bound - 2.0 * f64::powi(2.0, -23) * (1.0 + 1e-9)).abs() < 1e-18,
            "{bound}"
        );
        // The same skill: √1 × 1 + the margin.
        let same = SketchQuery::new(&row.to_dense(3)).bound(&Sketch::of(&row.idx, &row.val));
        assert!(
            (same - (1.0 + 2.0 * f64::powi(2.0, -23)) * (1.0 + 1e-9)).abs() < 1e-15,
            "{same}"
        );
    }
}
