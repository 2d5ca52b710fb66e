//! The hard rules, over a decoded copy of the fast fields.
//!
//! The index is sorted by grid cell, so the documents of one row of cells are one run of
//! document ids in each segment: [`Filter::eligible`] finds those runs by binary search, checks
//! every live document in them against the vacancy's hard rules (status, L. 68 reservation,
//! contract, licences, minimum education, exact great-circle radius and the candidate's own
//! travel limit, languages with CEFR level), and only then reads the postings of each of the
//! vacancy's words through the same runs, adding its BM25 to the survivors it holds: word by
//! word, in the words' order, which is how tantivy's union of the same clauses adds them (a
//! test holds the two to the bit). Each word is looked up in each segment's dictionary once per
//! search ([`QueryTerm`]): its index-wide document frequency, BM25 weight and postings come
//! from that one lookup, where a tantivy `TermQuery` looks it up three times. A point whose chord on the
//! unit sphere is already beyond the radius is refused before the haversine: the chord is
//! never longer than the arc, so that changes no answer. The survivors are
//! [`Eligible`], with what scoring needs. The rules read a segment's fast fields through [`SegmentAttrs`]: the
//! columns decoded once per segment into one packed row per document (about 40 bytes), cached
//! by segment id in [`AttrCache`] and rebuilt only for segments a commit or merge creates, so a
//! search reads plain arrays instead of decoding a dozen compressed columns per document.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::SegmentId;
use tantivy::postings::{Postings, TermInfo};
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, SegmentReader, Term};

pub(super) use super::score::{Distance, Eligible, Experience};

/// The hard rules of one vacancy.
#[derive(Clone, Debug)]
pub(super) struct Filter {
    pub lat: f64,
    pub lon: f64,
    pub radius: f64,
    /// The rows of grid cells the radius reaches, each as its first and last cell.
    pub cells: Vec<(u64, u64)>,
    pub contract: u64,
    pub licences: u64,
    /// The working mode offered, as a bit of `tab_modalitalav` (all bits: none stated or `Q1`).
    pub mode: u64,
    pub min_level: Option<u64>,
    /// (language key, minimum CEFR level); at most 8 are checked per document.
    pub languages: Vec<(u64, u8)>,
    pub l68: bool,
    pub occupation: Option<u64>,
    pub isco: Option<u64>,
    /// The vacancy occupation's adjacent occupations the model uses, with their similarity.
    pub neighbours: Vec<(u64, f32)>,
    /// With soft occupations: every occupation's credit against the vacancy's distribution
    /// (the index's `occupazioni` values are then [`super::soft::encode`]d).
    pub soft: Option<Arc<super::soft::SoftCredit>>,
    /// The language the model's suggestions propose, as a key without level (`code × 10`).
    pub suggest_language: u64,
    pub cache: Arc<AttrCache>,
    /// Raised when the search must stop: the remaining documents are skipped unchecked and the
    /// caller returns [`incrocio_core::Error::Cancelled`].
    pub cancel: incrocio_core::cancel::Cancel,
}

/// Marks an occupation in the `occupazioni` fast field as declared in the patto di servizio
/// (not an experience).
pub(super) const DECLARED: u64 = 1 << 32;

const ATTIVO: u8 = 1;
const L68: u8 = 2;

/// One document's hard-rule fields.
#[derive(Debug, Clone, Copy)]
struct Row {
    lat: f64,
    lon: f64,
    /// `cos` of the latitude in radians, computed once for the great-circle distance.
    cos_lat: f64,
    /// The point on the unit sphere ([`unit`]), for a cheap lower bound of the distance.
    xyz: [f64; 3],
    contratti: u64,
    patenti: u64,
    modalita: u64,
    slot: u32,
    /// `u32::MAX`: no limit.
    km_max: u32,
    /// Start of this document's values in `multi`.
    start: u32,
    /// `u8::MAX`: unknown.
    livello: u8,
    flags: u8,
    n_lingue: u16,
    n_occupazioni: u16,
    n_isco: u16,
}

/// The decoded fast fields of a segment.
#[derive(Debug)]
pub(super) struct SegmentAttrs {
    rows: Vec<Row>,
    /// Per document: its grid cell.
    cells: Vec<u64>,
    /// The cells are in document order (the index sort): a row of cells is one run of
    /// documents. Else the documents are read once, each checked against the cell rows.
    sorted: bool,
    /// Per document: its language keys, then its occupations, then their ISCO groups.
    multi: Vec<u64>,
}

/// What a territory's supply reads of one candidate ([`SegmentAttrs::each_live`]).
pub(super) struct Facts<'a> {
    /// The domicile's point (the comune's centroid).
    pub lat: f64,
    /// The domicile's point.
    pub lon: f64,
    /// In the register as active.
    pub attivo: bool,
    /// The vector row.
    pub slot: u32,
    /// The `occupazioni` values.
    pub occupazioni: &'a [u64],
}

impl SegmentAttrs {
    /// Calls `f` for every document of the segment not deleted, in document order.
    pub(super) fn each_live(
        &self,
        alive: Option<&tantivy::fastfield::AliveBitSet>,
        mut f: impl FnMut(Facts<'_>),
    ) {
        for (doc, row) in self.rows.iter().enumerate() {
            if alive.is_some_and(|a| a.is_deleted(doc as u32)) {
                continue;
            }
            let from = row.start as usize + usize::from(row.n_lingue);
            let to = from + usize::from(row.n_occupazioni);
            f(Facts {
                lat: row.lat,
                lon: row.lon,
                attivo: row.flags & ATTIVO != 0,
                slot: row.slot,
                occupazioni: self.multi.get(from..to).unwrap_or(&[]),
            });
        }
    }

    fn decode(reader: &SegmentReader) -> tantivy::Result<SegmentAttrs> {
        let ff = reader.fast_fields();
        let slot = ff.u64("slot")?;
        let cell = ff.u64("cell")?;
        let attivo = ff.bool("attivo")?;
        let lat = ff.f64("lat")?;
        let lon = ff.f64("lon")?;
        let km_max = ff.u64("km_max")?;
        let contratti = ff.u64("contratti")?;
        let patenti = ff.u64("patenti")?;
        let modalita = ff.u64("modalita")?;
        let livello = ff.u64("livello")?;
        let l68 = ff.bool("l68")?;
        let lingue = ff.u64("lingue")?;
        let occupazioni = ff.u64("occupazioni")?;
        let isco = ff.u64("isco")?;
        let n = reader.max_doc();
        let mut rows = Vec::with_capacity(n as usize);
        let mut multi = Vec::new();
        let mut cells = Vec::with_capacity(n as usize);
        for doc in 0..n {
            cells.push(cell.first(doc).unwrap_or(u64::MAX));
            let start = multi.len() as u32;
            multi.extend(lingue.values_for_doc(doc));
            let n_lingue = (multi.len() as u32 - start) as u16;
            multi.extend(occupazioni.values_for_doc(doc));
            let n_occupazioni = (multi.len() as u32 - start) as u16 - n_lingue;
            multi.extend(isco.values_for_doc(doc));
            let n_isco = (multi.len() as u32 - start) as u16 - n_lingue - n_occupazioni;
            let mut flags = 0;
            if attivo.first(doc) == Some(true) {
                flags |= ATTIVO;
            }
            if l68.first(doc) == Some(true) {
                flags |= L68;
            }
            let (lat, lon) = (
                lat.first(doc).unwrap_or(f64::NAN),
                lon.first(doc).unwrap_or(f64::NAN),
            );
            rows.push(Row {
                lat,
                lon,
                cos_lat: lat.to_radians().cos(),
                xyz: unit(lat, lon),
                contratti: contratti.first(doc).unwrap_or(0),
                patenti: patenti.first(doc).unwrap_or(0),
                modalita: modalita.first(doc).unwrap_or(u64::MAX),
                slot: slot.first(doc).unwrap_or(0) as u32,
                km_max: km_max
                    .first(doc)
                    .filter(|&k| k != u64::MAX)
                    .map_or(u32::MAX, |k| k.min(u64::from(u32::MAX - 1)) as u32),
                start,
                livello: livello
                    .first(doc)
                    .filter(|&l| l != u64::MAX)
                    .map_or(u8::MAX, |l| l.min(254) as u8),
                flags,
                n_lingue,
                n_occupazioni,
                n_isco,
            });
        }
        let sorted = cells.is_sorted();
        Ok(SegmentAttrs {
            rows,
            cells,
            sorted,
            multi,
        })
    }

    /// The runs of documents to read for the cell rows `rows` (ascending, each its first and
    /// last cell), in document order: one run per row when the cells are sorted, else every
    /// document once (the caller then checks each cell with [`in_rows`]).
    fn runs(&self, rows: &[(u64, u64)]) -> Vec<std::ops::Range<u32>> {
        if !self.sorted {
            return std::iter::once(0..self.cells.len() as u32).collect();
        }
        rows.iter()
            .map(|&(first, last)| {
                let lo = self.cells.partition_point(|&c| c < first);
                let hi = self.cells.partition_point(|&c| c <= last);
                lo as u32..hi as u32
            })
            .collect()
    }
}

/// Whether `cell` is in one of the cell rows `rows` (ascending, each its first and last cell).
fn in_rows(rows: &[(u64, u64)], cell: u64) -> bool {
    let at = rows.partition_point(|&(_, last)| last < cell);
    rows.get(at).is_some_and(|&(first, _)| first <= cell)
}

/// Decoded segments by id.
#[derive(Debug, Default)]
pub(super) struct AttrCache {
    segments: RwLock<HashMap<SegmentId, Arc<SegmentAttrs>>>,
}

impl AttrCache {
    /// The decoded fields of a segment (decoding it on first use).
    pub(super) fn get(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentAttrs>> {
        let id = reader.segment_id();
        if let Some(a) = self
            .segments
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
        {
            return Ok(a.clone());
        }
        let a = Arc::new(SegmentAttrs::decode(reader)?);
        self.segments
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, a.clone());
        Ok(a)
    }

    /// Decodes the segments of `searcher` not cached yet and forgets the ones it no longer has.
    pub fn refresh(&self, searcher: &tantivy::Searcher) -> tantivy::Result<()> {
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        self.segments
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|id, _| live.contains(id));
        for r in searcher.segment_readers() {
            self.get(r)?;
        }
        Ok(())
    }
}

/// A word of the query as BM25 scores it over the whole index, looked up once: per segment of
/// the searcher (in its order) where its postings are, and its weight made exactly as
/// tantivy's `TermQuery` makes it (the idf of the document frequency summed over the segments,
/// deleted documents counted; the field's average length over every document).
#[derive(Clone)]
pub(super) struct QueryTerm {
    field: Field,
    weight: Bm25Weight,
    infos: Vec<Option<TermInfo>>,
    /// Documents holding the word in the whole index (deleted ones too, as tantivy counts).
    pub doc_freq: u64,
}

/// The statistics BM25 reads for one field of a searcher: every document (deleted ones too)
/// and the field's average length.
#[derive(Debug, Clone, Copy)]
pub(super) struct FieldStats {
    docs: u64,
    average: f32,
}

impl FieldStats {
    /// The statistics of `field` over `searcher`'s segments.
    pub fn of(searcher: &Searcher, field: Field) -> tantivy::Result<FieldStats> {
        let (mut docs, mut tokens) = (0u64, 0u64);
        for reader in searcher.segment_readers() {
            docs += u64::from(reader.max_doc());
            tokens += reader.inverted_index(field)?.total_num_tokens();
        }
        Ok(FieldStats {
            docs,
            // As `Bm25Weight::for_terms` divides them.
            average: tokens as f32 / docs as f32,
        })
    }
}

impl QueryTerm {
    /// Looks `term` up in every segment of `searcher`.
    pub fn lookup(searcher: &Searcher, stats: FieldStats, term: &Term) -> tantivy::Result<Self> {
        let field = term.field();
        let mut infos = Vec::with_capacity(searcher.segment_readers().len());
        let mut doc_freq = 0u64;
        for reader in searcher.segment_readers() {
            let info = reader.inverted_index(field)?.get_term_info(term)?;
            doc_freq += info.as_ref().map_or(0, |i| u64::from(i.doc_freq));
            infos.push(info);
        }
        Ok(QueryTerm {
            field,
            weight: Bm25Weight::for_one_term_without_explain(doc_freq, stats.docs, stats.average),
            infos,
            doc_freq,
        })
    }

    /// Calls `add(doc, score)` for every document of the segment at `seg` (of the searcher the
    /// term was looked up in) holding the term within `runs` (ascending, disjoint), in order.
    fn scores(
        &self,
        reader: &SegmentReader,
        seg: usize,
        runs: &[std::ops::Range<u32>],
        mut add: impl FnMut(usize, u32, f32),
    ) -> tantivy::Result<()> {
        let Some(Some(info)) = self.infos.get(seg) else {
            return Ok(());
        };
        let mut postings = reader
            .inverted_index(self.field)?
            .read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        let norms = reader
            .fieldnorms_readers()
            .get_field(self.field)?
            .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        for (k, run) in runs.iter().enumerate() {
            let mut doc = postings.doc();
            if doc < run.start {
                doc = postings.seek(run.start);
            }
            while doc < run.end {
                add(
                    k,
                    doc,
                    self.weight
                        .score(norms.fieldnorm_id(doc), postings.term_freq()),
                );
                doc = postings.advance();
            }
        }
        Ok(())
    }
}

impl Filter {
    /// The workplace, as every distance of this search is measured from: the hard rules and
    /// the distances read later take the same point, so the same haversine to the bit.
    pub fn origin(&self) -> incrocio_core::reference::Point {
        incrocio_core::reference::point(self.lat, self.lon)
    }

    /// How many documents of `reader` the hard rules will read: the most
    /// [`Filter::eligible`] can append (room the caller reserves once for every segment).
    pub fn reach(&self, reader: &SegmentReader) -> tantivy::Result<usize> {
        let attrs = self.cache.get(reader)?;
        Ok(attrs.runs(&self.cells).iter().map(|r| r.len()).sum())
    }

    /// Appends to `out` every live document of `reader` (the searcher's segment at `seg`)
    /// passing the hard rules, in document order, with the BM25 of `text` (the vacancy's
    /// words, summed in that order; 0 where none matches or there are no words) and of
    /// `grams` likewise. Stops early, with what it found so far, when the cancel signal is
    /// raised: the caller checks it.
    pub fn eligible(
        &self,
        reader: &SegmentReader,
        seg: usize,
        text: &[QueryTerm],
        gram_terms: &[QueryTerm],
        out: &mut Vec<Eligible>,
    ) -> tantivy::Result<()> {
        if self.languages.len() > 8 {
            return Err(tantivy::TantivyError::InvalidArgument(
                "at most 8 required languages".into(),
            ));
        }
        let attrs = self.cache.get(reader)?;
        let alive = reader.alive_bitset();
        let check = Check::new(self);
        let runs = attrs.runs(&self.cells);
        // Room for every document in the runs (none to add when the caller reserved
        // [`Filter::reach`] of every segment): grown by doubling, the list of 60,000 eligible
        // was copied at each doubling.
        let reach: usize = runs.iter().map(|r| r.len()).sum();
        out.reserve(reach);
        let first = out.len();
        // Per document of the runs, in run order: its place in `out` from `first`, or
        // `u32::MAX` when it is not eligible.
        let mut place: Vec<u32> = Vec::with_capacity(reach);
        let mut seen = 0u32;
        for run in &runs {
            for doc in run.clone() {
                seen = seen.wrapping_add(1);
                if seen.is_multiple_of(4096) && self.cancel.is_cancelled() {
                    return Ok(());
                }
                let e = if alive.is_some_and(|a| a.is_deleted(doc))
                    || (!attrs.sorted && !in_rows(&self.cells, attrs.cells[doc as usize]))
                {
                    None
                } else {
                    check.row(&attrs, doc)
                };
                match e {
                    Some(e) => {
                        place.push((out.len() - first) as u32);
                        out.push(e);
                    }
                    None => place.push(u32::MAX),
                }
            }
        }
        if out.len() == first {
            return Ok(());
        }
        // Each word's postings are read forward through the runs, and its score added to the
        // eligible documents it holds: word by word, so a document's sum adds its words in
        // the order of `text`, from 0, as tantivy's buffered union of the same clauses does.
        // The grams of the title likewise, into their own sum.
        let eligible = &mut out[first..];
        // Where each run starts in `place`.
        let mut bases = Vec::with_capacity(runs.len());
        let mut base = 0usize;
        for run in &runs {
            bases.push(base);
            base += run.len();
        }
        for (terms, grams) in [(text, false), (gram_terms, true)] {
            for term in terms {
                if self.cancel.is_cancelled() {
                    return Ok(());
                }
                term.scores(reader, seg, &runs, |k, doc, score| {
                    let at = place[bases[k] + (doc - runs[k].start) as usize];
                    if let Some(e) = eligible.get_mut(at as usize) {
                        if grams {
                            e.grams += score;
                        } else {
                            e.bm25 += score;
                        }
                    }
                })?;
            }
        }
        for e in eligible {
            e.bm25 = e.bm25.max(0.0);
            e.grams = e.grams.max(0.0);
        }
        Ok(())
    }
}

/// What checking one document needs, computed once per search.
struct Check<'a> {
    f: &'a Filter,
    /// Latitude window (degrees) that can hold points within the radius.
    dlat: f64,
    /// The workplace ([`Filter::origin`]).
    from: incrocio_core::reference::Point,
    /// The workplace on the unit sphere.
    xyz: [f64; 3],
    /// `(radius / R)²` with a relative margin of 1e-9: a chord longer than this is surely
    /// beyond the radius.
    far: f64,
}

/// A point on the unit sphere.
fn unit(lat: f64, lon: f64) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// The squared chord between two points of the unit sphere: `R × chord` is never more than
/// the great-circle distance, so it rules points out without the trigonometry.
fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// `(km / R)²` widened by a relative 1e-9 and an absolute 1e-24 (a chord of 6 µm), far above
/// the rounding of either computation: a squared chord above it is a distance surely above
/// `km`, so the exact distance would refuse the point too.
fn far_beyond(km: f64) -> f64 {
    (km / incrocio_core::reference::EARTH_RADIUS_KM).powi(2) * (1.0 + 1e-9) + 1e-24
}

impl<'a> Check<'a> {
    fn new(f: &'a Filter) -> Check<'a> {
        Check {
            f,
            dlat: f.radius / 111.0 + 0.01,
            from: f.origin(),
            xyz: unit(f.lat, f.lon),
            far: far_beyond(f.radius),
        }
    }

    /// The document's scoring row when it passes every hard rule (BM25 still 0).
    fn row(&self, attrs: &SegmentAttrs, doc: u32) -> Option<Eligible> {
        let f = self.f;
        let row = attrs.rows.get(doc as usize)?;
        if row.flags & ATTIVO == 0 || (f.l68 && row.flags & L68 == 0) {
            return None;
        }
        if row.contratti & f.contract == 0
            || row.patenti & f.licences != f.licences
            || row.modalita & f.mode == 0
        {
            return None;
        }
        let level = (row.livello != u8::MAX).then_some(row.livello);
        if let Some(min) = f.min_level
            && level.is_none_or(|l| u64::from(l) < min)
        {
            return None;
        }
        if (row.lat - f.lat).abs() > self.dlat {
            return None;
        }
        // Points beyond the radius (or the candidate's limit) by their chord need no
        // haversine; the rest get the exact distance, which decides.
        let c2 = chord2(&self.xyz, &row.xyz);
        if c2 > self.far || (row.km_max != u32::MAX && c2 > far_beyond(f64::from(row.km_max))) {
            return None;
        }
        // Within the radius and the candidate's limit even by the upper bound: eligible, the
        // haversine left for when the distance is read. Else the haversine decides.
        let at = (row.lat, row.lon, row.cos_lat);
        let limit = if row.km_max == u32::MAX {
            f.radius
        } else {
            f.radius.min(f64::from(row.km_max))
        };
        let bounds = Distance::bounds(c2);
        let km = if bounds.1 <= limit {
            Distance::bounded(bounds, at)
        } else {
            let km = incrocio_core::reference::haversine_km_cos(self.from, at);
            if km > f.radius || (row.km_max != u32::MAX && km > f64::from(row.km_max)) {
                return None;
            }
            Distance::known(km)
        };
        let values = &attrs.multi[row.start as usize..];
        let lingue = &values[..usize::from(row.n_lingue)];
        let mut suggested = 0u8;
        let mut satisfied = 0u8;
        for v in lingue {
            let (code, level) = (v / 10 * 10, (v % 10) as u8);
            if code == f.suggest_language {
                suggested = suggested.max(level);
            }
            for (k, (need, min)) in f.languages.iter().enumerate() {
                if *need == code && level >= *min {
                    satisfied |= 1 << k;
                }
            }
        }
        if u32::from(satisfied).count_ones() as usize != f.languages.len() {
            return None;
        }
        let occ_end = usize::from(row.n_lingue) + usize::from(row.n_occupazioni);
        let occupazioni = &values[usize::from(row.n_lingue)..occ_end];
        let isco = &values[occ_end..occ_end + usize::from(row.n_isco)];
        let mut experience = Experience::default();
        if let Some(credit) = &f.soft {
            experience.soft = credit.best(occupazioni);
        } else if let Some(o) = f.occupation {
            // One pass over the occupations: the same one, the same one declared, else the
            // most similar adjacent one (the first of equals), which only counts without
            // the same one.
            for &c in occupazioni {
                if c == o {
                    experience.same = true;
                } else if c == o | DECLARED {
                    experience.declared = true;
                } else if c & DECLARED == 0
                    && let Some(&(_, s)) = f.neighbours.iter().find(|(n, _)| *n == c)
                    && experience.adjacent.is_none_or(|(_, best)| s > best)
                {
                    experience.adjacent = Some((c as u32, s));
                }
            }
            if experience.same {
                experience.adjacent = None;
            }
            experience.same_unit_group = f.isco.is_some_and(|i| isco.contains(&i));
        }
        Some(Eligible {
            bm25: 0.0,
            grams: 0.0,
            slot: row.slot,
            km,
            level,
            suggested_language: suggested,
            experience,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(cells: Vec<u64>) -> SegmentAttrs {
        SegmentAttrs {
            rows: Vec::new(),
            sorted: cells.is_sorted(),
            cells,
            multi: Vec::new(),
        }
    }

    #[test]
    fn a_row_of_cells_is_one_run_of_sorted_documents() {
        // Documents 0–7 in cells 5, 5, 7, 9, 9, 9, 12, 20.
        let a = attrs(vec![5, 5, 7, 9, 9, 9, 12, 20]);
        let rows = [(0, 4), (5, 5), (6, 9), (10, 11), (12, 100), (101, 130)];
        assert_eq!(a.runs(&rows), vec![0..0, 0..2, 2..6, 6..6, 6..8, 8..8]);
    }

    proptest::proptest! {
        /// The chord never rules out a point the haversine would keep: for any two points
        /// in and around Italy and any radius, a chord beyond `far_beyond(radius)` means a
        /// haversine distance beyond the radius.
        #[test]
        fn the_chord_rules_out_only_what_the_haversine_would(
            a in (35.0f64..48.0, 5.0f64..20.0),
            d in (-1.0f64..1.0, -1.0f64..1.0),
            scale in proptest::sample::select(vec![1e-6, 1e-3, 0.01, 0.1, 1.0, 3.0]),
            radius in 0.0f64..1600.0,
        ) {
            let b = (a.0 + d.0 * scale, a.1 + d.1 * scale);
            let km = incrocio_core::reference::haversine_km(a.0, a.1, b.0, b.1);
            if chord2(&unit(a.0, a.1), &unit(b.0, b.1)) > far_beyond(radius) {
                proptest::prop_assert!(km > radius, "{km} km, radius {radius}");
            }
            // Radii are whole kilometres: at the distance rounded up, never ruled out.
            proptest::prop_assert!(chord2(&unit(a.0, a.1), &unit(b.0, b.1)) <= far_beyond(km.ceil()));
        }

        /// The chord's bounds hold the haversine as computed, and a distance left bounded
        /// reads as the haversine to the bit and answers `within` as the haversine would.
        #[test]
        fn a_bounded_distance_reads_as_the_haversine(
            a in (35.0f64..48.0, 5.0f64..20.0),
            d in (-1.0f64..1.0, -1.0f64..1.0),
            scale in proptest::sample::select(vec![0.0, 1e-9, 1e-6, 1e-3, 0.01, 0.1, 1.0, 3.0]),
            band in 0.0f64..800.0,
        ) {
            let b = (a.0 + d.0 * scale, a.1 + d.1 * scale);
            let km = incrocio_core::reference::haversine_km(a.0, a.1, b.0, b.1);
            let c2 = chord2(&unit(a.0, a.1), &unit(b.0, b.1));
            let (lo, hi) = Distance::bounds(c2);
            proptest::prop_assert!(lo <= km && km <= hi, "{lo} <= {km} <= {hi}");
            let from = incrocio_core::reference::point(a.0, a.1);
            let dist = Distance::bounded((lo, hi), incrocio_core::reference::point(b.0, b.1));
            proptest::prop_assert_eq!(dist.km(from).to_bits(), km.to_bits());
            proptest::prop_assert!(dist.at_least() <= km);
            for x in [band, km, lo, hi, km.ceil(), km.floor()] {
                proptest::prop_assert_eq!(dist.within(x, from), km <= x, "within {}", x);
            }
        }
    }

    #[test]
    fn unsorted_cells_are_read_once_and_checked_against_the_rows() {
        let a = attrs(vec![9, 5, 7]);
        assert!(!a.sorted);
        let rows = [(5, 5), (8, 12)];
        assert_eq!(a.runs(&rows), std::iter::once(0..3).collect::<Vec<_>>());
        let kept: Vec<u64> = a
            .cells
            .iter()
            .copied()
            .filter(|&c| in_rows(&rows, c))
            .collect();
        assert_eq!(kept, vec![9, 5]);
        for (cell, inside) in [
            (4, false),
            (5, true),
            (6, false),
            (8, true),
            (12, true),
            (13, false),
        ] {
            assert_eq!(in_rows(&rows, cell), inside, "cell {cell}");
        }
    }
}
