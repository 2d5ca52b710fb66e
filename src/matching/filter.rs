//! The hard rules as a tantivy collector, over a decoded copy of the fast fields.
//!
//! Every document the query reaches is checked against the vacancy's hard rules (status,
//! L. 68 reservation, contract, licences, minimum education, exact great-circle radius and the
//! candidate's own travel limit, languages with CEFR level); the survivors are [`Eligible`],
//! with what scoring needs. The rules read a segment's fast fields through [`SegmentAttrs`]: the
//! columns decoded once per segment into one packed row per document (about 40 bytes), cached
//! by segment id in [`AttrCache`] and rebuilt only for segments a commit or merge creates, so a
//! search reads plain arrays instead of decoding a dozen compressed columns per document.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::index::SegmentId;
use tantivy::{Score, SegmentReader};

pub(super) use super::score::{Eligible, Experience};

/// The hard rules of one vacancy.
#[derive(Clone, Debug)]
pub(super) struct Filter {
    pub lat: f64,
    pub lon: f64,
    pub radius: f64,
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
    /// The language the model's suggestions propose, as a key without level (`code × 10`).
    pub suggest_language: u64,
    pub cache: Arc<AttrCache>,
    /// Raised when the search must stop: the remaining documents are skipped unchecked and the
    /// caller returns [`crate::Error::Cancelled`].
    pub cancel: crate::cancel::Cancel,
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
    n_lingue: u8,
    n_occupazioni: u8,
    n_isco: u8,
}

/// The decoded fast fields of a segment.
#[derive(Debug)]
pub(super) struct SegmentAttrs {
    rows: Vec<Row>,
    /// Per document: its language keys, then its occupations, then their ISCO groups.
    multi: Vec<u64>,
}

impl SegmentAttrs {
    fn decode(reader: &SegmentReader) -> tantivy::Result<SegmentAttrs> {
        let ff = reader.fast_fields();
        let slot = ff.u64("slot")?;
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
        for doc in 0..n {
            let start = multi.len() as u32;
            multi.extend(lingue.values_for_doc(doc));
            let n_lingue = (multi.len() as u32 - start) as u8;
            multi.extend(occupazioni.values_for_doc(doc));
            let n_occupazioni = (multi.len() as u32 - start) as u8 - n_lingue;
            multi.extend(isco.values_for_doc(doc));
            let n_isco = (multi.len() as u32 - start) as u8 - n_lingue - n_occupazioni;
            let mut flags = 0;
            if attivo.first(doc) == Some(true) {
                flags |= ATTIVO;
            }
            if l68.first(doc) == Some(true) {
                flags |= L68;
            }
            rows.push(Row {
                lat: lat.first(doc).unwrap_or(f64::NAN),
                lon: lon.first(doc).unwrap_or(f64::NAN),
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
        Ok(SegmentAttrs { rows, multi })
    }
}

/// Decoded segments by id.
#[derive(Debug, Default)]
pub(super) struct AttrCache {
    segments: RwLock<HashMap<SegmentId, Arc<SegmentAttrs>>>,
}

impl AttrCache {
    /// The decoded fields of a segment (decoding it on first use).
    fn get(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentAttrs>> {
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

pub(super) struct FilterSegment {
    f: Filter,
    /// Latitude window (degrees) that can hold points within the radius.
    dlat: f64,
    attrs: Arc<SegmentAttrs>,
    out: Vec<Eligible>,
    /// Documents seen, for checking the stop signal every few thousand.
    seen: u32,
    stopped: bool,
}

impl Collector for Filter {
    type Fruit = Vec<Eligible>;
    type Child = FilterSegment;

    fn for_segment(&self, _segment: u32, reader: &SegmentReader) -> tantivy::Result<FilterSegment> {
        if self.languages.len() > 8 {
            return Err(tantivy::TantivyError::InvalidArgument(
                "at most 8 required languages".into(),
            ));
        }
        Ok(FilterSegment {
            f: self.clone(),
            dlat: self.radius / 111.0 + 0.01,
            attrs: self.cache.get(reader)?,
            out: Vec::with_capacity(1024),
            seen: 0,
            stopped: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Eligible>>) -> tantivy::Result<Vec<Eligible>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for FilterSegment {
    type Fruit = Vec<Eligible>;

    fn collect(&mut self, doc: u32, score: Score) {
        self.seen = self.seen.wrapping_add(1);
        if self.seen.is_multiple_of(4096) && self.f.cancel.is_cancelled() {
            self.stopped = true;
        }
        if self.stopped {
            return;
        }
        let f = &self.f;
        let Some(row) = self.attrs.rows.get(doc as usize) else {
            return;
        };
        if row.flags & ATTIVO == 0 || (f.l68 && row.flags & L68 == 0) {
            return;
        }
        if row.contratti & f.contract == 0
            || row.patenti & f.licences != f.licences
            || row.modalita & f.mode == 0
        {
            return;
        }
        let level = (row.livello != u8::MAX).then_some(row.livello);
        if let Some(min) = f.min_level
            && level.is_none_or(|l| u64::from(l) < min)
        {
            return;
        }
        if (row.lat - f.lat).abs() > self.dlat {
            return;
        }
        let km = crate::reference::haversine_km(f.lat, f.lon, row.lat, row.lon);
        if km > f.radius || (row.km_max != u32::MAX && km > f64::from(row.km_max)) {
            return;
        }
        let start = row.start as usize;
        let values = &self.attrs.multi[start..];
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
            return;
        }
        let occ_end = usize::from(row.n_lingue) + usize::from(row.n_occupazioni);
        let occupazioni = &values[usize::from(row.n_lingue)..occ_end];
        let isco = &values[occ_end..occ_end + usize::from(row.n_isco)];
        let mut experience = Experience::default();
        if let Some(o) = f.occupation {
            experience.same = occupazioni.contains(&o);
            experience.declared = occupazioni.contains(&(o | DECLARED));
            experience.same_unit_group = f.isco.is_some_and(|i| isco.contains(&i));
            if !experience.same {
                for &c in occupazioni.iter().filter(|&&c| c & DECLARED == 0) {
                    if let Some(&(_, s)) = f.neighbours.iter().find(|(n, _)| *n == c)
                        && experience.adjacent.is_none_or(|(_, best)| s > best)
                    {
                        experience.adjacent = Some((c as u32, s));
                    }
                }
            }
        }
        self.out.push(Eligible {
            // The cell clause scores 0: the score is the text's BM25.
            bm25: score.max(0.0),
            slot: row.slot,
            km,
            level,
            suggested_language: suggested,
            experience,
        });
    }

    fn harvest(self) -> Vec<Eligible> {
        self.out
    }
}
