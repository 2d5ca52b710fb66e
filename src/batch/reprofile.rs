//! `reprofile`: the 90-day re-profiling of a whole population.
//!
//! Who is due: anyone never profiled, profiled 90 or more days before `as_of`, whose input
//! changed (input digest differs) or who was profiled by another model version. Everyone else
//! is carried over unchanged from the previous output. Rows are processed in fixed-size chunks
//! on an explicit rayon pool and reassembled in input order, so the output is byte-identical
//! with 1 or N threads.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use super::people::{PeopleTable, date_from_days, days_from_date};
use crate::digest::{RecordHash, record_hash_hex};
use crate::error::{Error, InputError, Result};
use crate::files::atomic_write;
use crate::profiling::{ModelRef, Profiler, REVIEW_INTERVAL_DAYS, next_review};

const CHUNK: usize = 8_192;

/// What to do with a bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first bad row (in file order), naming row and field.
    Fail,
    /// Leave bad rows out of the output and list them in the rejects file.
    Skip,
}

/// Options of a re-profiling run.
#[derive(Debug, Clone)]
pub struct ReprofileOptions {
    /// People file (`.parquet`, `.csv`, `.jsonl`).
    pub input: PathBuf,
    /// The previous run's output, if any.
    pub previous: Option<PathBuf>,
    /// Output Parquet file.
    pub output: PathBuf,
    /// Profiling date.
    pub as_of: NaiveDate,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Bad-row policy.
    pub on_error: OnError,
    /// Where to write rejected rows (CSV), with [`OnError::Skip`].
    pub rejects: Option<PathBuf>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// Why a row is in the output as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// Never profiled before.
    New,
    /// Last profiled 90 or more days before `as_of`.
    Due,
    /// The input record changed since the last profile.
    InputChanged,
    /// The last profile came from another model or version.
    ModelChanged,
    /// Not due: the previous profile is kept unchanged.
    CarriedOver,
}

impl RowStatus {
    fn as_str(self) -> &'static str {
        match self {
            RowStatus::New => "new",
            RowStatus::Due => "due",
            RowStatus::InputChanged => "input_changed",
            RowStatus::ModelChanged => "model_changed",
            RowStatus::CarriedOver => "carried_over",
        }
    }
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    /// 1-based data row.
    pub row: usize,
    /// Record id, if readable.
    pub id: String,
    /// The field.
    pub field: String,
    /// The reason.
    pub reason: String,
}

/// Class moves between the previous and the new profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Previous class (`None` for people never profiled).
    pub from: Option<u8>,
    /// Class now.
    pub to: u8,
    /// People.
    pub count: u64,
}

/// The summary of a run (also written as JSON beside the output).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReprofileReport {
    /// Profiling date.
    pub as_of: NaiveDate,
    /// The model.
    pub model: ModelRef,
    /// The AdR rules.
    pub adr_rules: String,
    /// Rows read.
    pub input_rows: usize,
    /// Rows written.
    pub output_rows: usize,
    /// Rows per status.
    pub by_status: BTreeMap<RowStatus, u64>,
    /// Rows rejected.
    pub rejected: usize,
    /// People in the previous file but not in the input (not written).
    pub dropped_from_previous: usize,
    /// Class transitions over all written rows.
    pub transitions: Vec<Transition>,
    /// Class labels, by 1-based code.
    pub class_labels: Vec<String>,
    /// The first rejects (all are in the rejects file).
    pub rejects_sample: Vec<Reject>,
}

/// The previous output, indexed by person.
struct Previous {
    df: DataFrame,
    by_id: HashMap<String, u32>,
    digest: StringChunked,
    profiled_at: Int32Chunked,
    model: StringChunked,
    model_digest: String,
    class: Int32Chunked,
}

impl Previous {
    fn read(path: &Path) -> Result<Previous> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = ParquetReader::new(f);
        let model_digest = reader
            .get_metadata()
            .map_err(|e| Error::data(path, e))?
            .key_value_metadata
            .iter()
            .flatten()
            .find(|kv| kv.key == METADATA_MODEL_DIGEST)
            .and_then(|kv| kv.value.clone())
            .ok_or_else(|| {
                Error::data(
                    path,
                    format!(
                        "no `{METADATA_MODEL_DIGEST}` metadata: not an incrocio reprofile output"
                    ),
                )
            })?;
        let df = reader.finish().map_err(|e| Error::data(path, e))?;
        let d = |e: PolarsError| Error::data(path, e);
        let ids = df
            .column("person_id")
            .and_then(|c| c.str().cloned())
            .map_err(d)?;
        let by_id = ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| Some((id?.to_owned(), i as u32)))
            .collect();
        let digest = df
            .column("input_digest")
            .and_then(|c| c.str().cloned())
            .map_err(d)?
            .rechunk()
            .into_owned();
        let profiled_at = df
            .column("profiled_at")
            .and_then(|c| c.date().map(|x| x.physical().clone()))
            .map_err(d)?
            .rechunk()
            .into_owned();
        let model_id = df
            .column("model_id")
            .and_then(|c| c.str().cloned())
            .map_err(d)?;
        let model_version = df
            .column("model_version")
            .and_then(|c| c.i32().cloned())
            .map_err(d)?;
        let model: StringChunked = model_id
            .iter()
            .zip(model_version.iter())
            .map(|(id, v)| Some(format!("{}@v{}", id.unwrap_or(""), v.unwrap_or(0))))
            .collect();
        let class = df
            .column("class")
            .and_then(|c| c.i32().cloned())
            .map_err(d)?
            .rechunk()
            .into_owned();
        Ok(Previous {
            df,
            by_id,
            digest,
            profiled_at,
            model,
            model_digest,
            class,
        })
    }

    /// Whether row `r` was profiled from an input with digest `h`.
    fn same_digest(&self, r: u32, h: &RecordHash) -> bool {
        let mut buf = [0u8; 32];
        self.digest.get(r as usize) == Some(record_hash_hex(h, &mut buf))
    }
}

/// Columns of newly profiled rows.
#[derive(Default)]
struct Fresh {
    rows: Vec<u32>,
    index: Vec<f64>,
    class: Vec<i32>,
    linear: Vec<f64>,
    contrib: Vec<Vec<f64>>,
    eta: Vec<i32>,
    mesi: Vec<i32>,
    sosp: Vec<i32>,
    adr_eligible: Vec<bool>,
    adr: Vec<Vec<Option<i64>>>,
    digest: Vec<RecordHash>,
}

struct ChunkOut {
    /// (row, status, previous row when carried over).
    placed: Vec<(u32, RowStatus, Option<u32>)>,
    rejects: Vec<(usize, InputError)>,
    fresh: Fresh,
    transitions: BTreeMap<(Option<u8>, u8), u64>,
}

/// Re-profiles a population; see the module docs.
pub fn reprofile(profiler: &Profiler<'_>, opts: &ReprofileOptions) -> Result<ReprofileReport> {
    let t = std::time::Instant::now();
    let people = PeopleTable::read(&opts.input)?;
    let previous = opts.previous.as_deref().map(Previous::read).transpose()?;
    tracing::info!(
        rows = people.len(),
        ms = t.elapsed().as_millis() as u64,
        "read input"
    );
    let t = std::time::Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Panic(e.to_string()))?;
    let bar = progress_bar(opts.progress, people.len() as u64);
    let n_chunks = people.len().div_ceil(CHUNK);
    let chunks: Vec<ChunkOut> = pool.install(|| {
        (0..n_chunks)
            .into_par_iter()
            .map(|c| {
                let out = process_chunk(profiler, &people, previous.as_ref(), opts.as_of, c);
                bar.inc((CHUNK.min(people.len() - c * CHUNK)) as u64);
                out
            })
            .collect()
    });
    bar.finish_and_clear();
    tracing::info!(ms = t.elapsed().as_millis() as u64, "scored");
    let t = std::time::Instant::now();

    let mut rejects: Vec<(usize, InputError)> = chunks
        .iter()
        .flat_map(|c| c.rejects.iter().cloned())
        .collect();
    rejects.sort_by_key(|(row, _)| *row);
    if opts.on_error == OnError::Fail {
        if let Some((_, e)) = rejects.into_iter().next() {
            return Err(Error::Input(e));
        }
        rejects = Vec::new();
    }
    let rejects: Vec<Reject> = rejects
        .into_iter()
        .map(|(row, e)| Reject {
            row,
            id: e.record_id.clone().unwrap_or_default(),
            field: e.field.clone(),
            reason: e.reason.to_string(),
        })
        .collect();
    if let Some(path) = &opts.rejects {
        write_rejects(path, &rejects)?;
    }
    let mut df = assemble(profiler, &people, previous.as_ref(), &chunks, opts)
        .map_err(|e| Error::data(&opts.output, e))?;
    tracing::info!(ms = t.elapsed().as_millis() as u64, "assembled");
    let t = std::time::Instant::now();
    let metadata = file_metadata(profiler, opts.as_of);
    atomic_write(&opts.output, |w| {
        ParquetWriter::new(w)
            .with_compression(ParquetCompression::Snappy)
            .with_key_value_metadata(Some(metadata))
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| Error::data(&opts.output, e))
    })?;
    tracing::info!(ms = t.elapsed().as_millis() as u64, "written");
    Ok(report(
        profiler,
        opts,
        &people,
        previous.as_ref(),
        &chunks,
        rejects,
        df.height(),
    ))
}

/// Keys of the Parquet file metadata: the provenance shared by every row of an output.
pub const METADATA_MODEL_DIGEST: &str = "incrocio.model_digest";

fn file_metadata(profiler: &Profiler<'_>, as_of: NaiveDate) -> KeyValueMetadata {
    let m = profiler.model;
    KeyValueMetadata::from_static(vec![
        (
            "incrocio.engine_version".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
        ("incrocio.model".into(), m.key()),
        (METADATA_MODEL_DIGEST.into(), m.digest.clone()),
        (
            "incrocio.model_status".into(),
            format!("{:?}", m.status).to_lowercase(),
        ),
        (
            "incrocio.classes_status".into(),
            format!("{:?}", m.classes.status).to_lowercase(),
        ),
        ("incrocio.class_labels".into(), m.classes.labels.join("|")),
        ("incrocio.adr_rules".into(), profiler.adr.key()),
        (
            "incrocio.adr_rules_digest".into(),
            profiler.adr.digest.clone(),
        ),
        ("incrocio.as_of".into(), as_of.to_string()),
        ("incrocio.adr_amounts".into(), "euro cents".into()),
    ])
}

fn progress_bar(show: bool, len: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} profiling [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn process_chunk(
    profiler: &Profiler<'_>,
    people: &PeopleTable,
    previous: Option<&Previous>,
    as_of: NaiveDate,
    chunk: usize,
) -> ChunkOut {
    let model_key = profiler.model.key();
    let n_features = profiler.model.features.len();
    let mut out = ChunkOut {
        placed: Vec::with_capacity(CHUNK),
        rejects: Vec::new(),
        fresh: Fresh {
            contrib: vec![Vec::new(); n_features],
            adr: vec![Vec::new(); profiler.adr.contracts.len()],
            ..Fresh::default()
        },
        transitions: BTreeMap::new(),
    };
    let mut scratch = Vec::new();
    let mut slots = vec![0.0; n_features];
    let mut cents = vec![None; profiler.adr.contracts.len()];
    let start = chunk * CHUNK;
    for i in start..(start + CHUNK).min(people.len()) {
        let person = people
            .view(i, &mut scratch)
            .and_then(|v| v.validate(profiler.reference));
        let person = match person {
            Ok(p) => p,
            Err(e) => {
                out.rejects
                    .push((i + 1, e.with_record(people.id(i)).with_row(i + 1)));
                continue;
            }
        };
        let prev = previous.and_then(|p| p.by_id.get(&person.id).map(|&r| (p, r)));
        let status = match prev {
            None => RowStatus::New,
            Some((p, _)) if p.model_digest != profiler.model.digest => RowStatus::ModelChanged,
            Some((p, r)) if p.model.get(r as usize) != Some(model_key.as_str()) => {
                RowStatus::ModelChanged
            }
            Some((p, r)) if !p.same_digest(r, &person.input_digest) => RowStatus::InputChanged,
            Some((p, r)) => {
                let last = p.profiled_at.get(r as usize).map(date_from_days);
                if last.is_none_or(|d| (as_of - d).num_days() >= REVIEW_INTERVAL_DAYS as i64) {
                    RowStatus::Due
                } else {
                    RowStatus::CarriedOver
                }
            }
        };
        let prev_class = prev
            .and_then(|(p, r)| p.class.get(r as usize))
            .map(|c| c as u8);
        if status == RowStatus::CarriedOver {
            let class = prev_class.unwrap_or(0);
            *out.transitions.entry((prev_class, class)).or_default() += 1;
            out.placed.push((i as u32, status, prev.map(|(_, r)| r)));
            continue;
        }
        let score = match profiler.score_into(&person, as_of, &mut slots) {
            Ok(s) => s,
            Err(e) => {
                out.rejects.push((i + 1, e.with_row(i + 1)));
                continue;
            }
        };
        *out.transitions
            .entry((prev_class, score.class))
            .or_default() += 1;
        let eligible = profiler.adr_cents(&person, &score, &mut cents);
        let f = &mut out.fresh;
        f.rows.push(i as u32);
        f.index
            .push(profiler.model.classes.from_units(score.index_units));
        f.class.push(i32::from(score.class));
        f.linear.push(score.linear_predictor);
        for (col, v) in f.contrib.iter_mut().zip(&slots) {
            col.push(*v);
        }
        f.eta.push(score.at.eta as i32);
        f.mesi.push(score.at.mesi_disoccupazione as i32);
        f.sosp.push(score.at.giorni_sospensione as i32);
        f.adr_eligible.push(eligible);
        for (col, c) in f.adr.iter_mut().zip(&cents) {
            col.push(*c);
        }
        f.digest.push(person.input_digest);
        out.placed.push((i as u32, status, None));
    }
    out
}

/// Builds the output frame in input order: fresh rows and carried-over previous rows.
fn assemble(
    profiler: &Profiler<'_>,
    people: &PeopleTable,
    previous: Option<&Previous>,
    chunks: &[ChunkOut],
    opts: &ReprofileOptions,
) -> PolarsResult<DataFrame> {
    let fresh = fresh_frame(profiler, people, chunks, opts.as_of)?;
    let carried: Vec<u32> = chunks
        .iter()
        .flat_map(|c| c.placed.iter().filter_map(|(_, _, p)| *p))
        .collect();
    let mut combined = match previous {
        Some(prev) if !carried.is_empty() => {
            let taken = prev.df.take(&IdxCa::from_vec(
                "".into(),
                carried.iter().map(|&r| r as IdxSize).collect(),
            ))?;
            let taken = taken
                .drop("status")?
                .select(fresh.get_column_names().into_iter().cloned())?;
            fresh.vstack(&taken)?
        }
        _ => fresh,
    };
    // Position of each placed row in `combined`: fresh rows first, then carried ones.
    let (mut next_fresh, mut next_carried) = (
        0 as IdxSize,
        chunks.iter().map(|c| c.fresh.rows.len()).sum::<usize>() as IdxSize,
    );
    let mut perm = Vec::new();
    let mut status = Vec::new();
    for (_, s, prev) in chunks.iter().flat_map(|c| c.placed.iter()) {
        if prev.is_some() {
            perm.push(next_carried);
            next_carried += 1;
        } else {
            perm.push(next_fresh);
            next_fresh += 1;
        }
        status.push(s.as_str());
    }
    let identity = perm.iter().enumerate().all(|(i, &p)| p as usize == i);
    if !identity {
        combined = combined.take(&IdxCa::from_vec("".into(), perm))?;
    }
    combined.insert_column(1, Column::new("status".into(), status))?;
    combined.rechunk_mut();
    Ok(combined)
}

fn fresh_frame(
    profiler: &Profiler<'_>,
    people: &PeopleTable,
    chunks: &[ChunkOut],
    as_of: NaiveDate,
) -> PolarsResult<DataFrame> {
    let cat_f64 = |f: fn(&Fresh) -> &Vec<f64>| {
        chunks
            .iter()
            .flat_map(|c| f(&c.fresh).iter().copied())
            .collect::<Vec<f64>>()
    };
    let cat_i32 = |f: fn(&Fresh) -> &Vec<i32>| {
        chunks
            .iter()
            .flat_map(|c| f(&c.fresh).iter().copied())
            .collect::<Vec<i32>>()
    };
    let n: usize = chunks.iter().map(|c| c.fresh.rows.len()).sum();
    let model = profiler.model;
    let label: Vec<&str> = chunks
        .iter()
        .flat_map(|c| c.fresh.class.iter().map(|&k| model.classes.label(k as u8)))
        .collect();
    let ids: StringChunked = chunks
        .iter()
        .flat_map(|c| c.fresh.rows.iter().map(|&r| Some(people.id(r as usize))))
        .collect();
    let mut cols = vec![
        Column::new("person_id".into(), ids.into_series()),
        Column::new("index".into(), cat_f64(|f| &f.index)),
        Column::new("class".into(), cat_i32(|f| &f.class)),
        Column::new("class_label".into(), label),
        Column::new("linear_predictor".into(), cat_f64(|f| &f.linear)),
    ];
    for (k, feat) in model.features.iter().enumerate() {
        let v: Vec<f64> = chunks
            .iter()
            .flat_map(|c| c.fresh.contrib[k].iter().copied())
            .collect();
        cols.push(Column::new(format!("contrib_{}", feat.name).into(), v));
    }
    cols.push(Column::new("eta".into(), cat_i32(|f| &f.eta)));
    cols.push(Column::new(
        "mesi_disoccupazione".into(),
        cat_i32(|f| &f.mesi),
    ));
    cols.push(Column::new(
        "giorni_sospensione".into(),
        cat_i32(|f| &f.sosp),
    ));
    let eligible: Vec<bool> = chunks
        .iter()
        .flat_map(|c| c.fresh.adr_eligible.iter().copied())
        .collect();
    cols.push(Column::new("adr_eligible".into(), eligible));
    for (k, c) in profiler.adr.contracts.iter().enumerate() {
        let v: Int64Chunked = chunks
            .iter()
            .flat_map(|ch| ch.fresh.adr[k].iter().copied())
            .collect();
        cols.push(Column::new(
            format!("adr_{}_cents", c.code).into(),
            v.into_series(),
        ));
    }
    cols.push(Column::new("model_id".into(), vec![model.id.as_str(); n]));
    cols.push(Column::new(
        "model_version".into(),
        vec![model.version as i32; n],
    ));
    let mut digests = StringChunkedBuilder::new("input_digest".into(), n);
    let mut buf = [0u8; 32];
    for d in chunks.iter().flat_map(|c| c.fresh.digest.iter()) {
        digests.append_value(record_hash_hex(d, &mut buf));
    }
    cols.push(digests.finish().into_column());
    let date = |name: &str, d: NaiveDate| {
        Column::new(
            name.into(),
            Int32Chunked::from_vec(name.into(), vec![days_from_date(d); n])
                .into_date()
                .into_series(),
        )
    };
    cols.push(date("profiled_at", as_of));
    cols.push(date("next_review_at", next_review(as_of)));
    DataFrame::new(n, cols)
}

fn report(
    profiler: &Profiler<'_>,
    opts: &ReprofileOptions,
    people: &PeopleTable,
    previous: Option<&Previous>,
    chunks: &[ChunkOut],
    rejects: Vec<Reject>,
    output_rows: usize,
) -> ReprofileReport {
    let mut by_status = BTreeMap::new();
    let mut transitions = BTreeMap::new();
    let mut seen = 0usize;
    for c in chunks {
        for (_, s, _) in &c.placed {
            *by_status.entry(*s).or_insert(0) += 1;
        }
        for (k, v) in &c.transitions {
            *transitions.entry(*k).or_insert(0) += v;
        }
        seen += c.placed.len();
    }
    let in_previous = previous.map_or(0, |p| p.by_id.len());
    let matched = chunks
        .iter()
        .flat_map(|c| c.placed.iter())
        .filter(|(_, s, _)| *s != RowStatus::New)
        .count();
    let _ = seen;
    ReprofileReport {
        as_of: opts.as_of,
        model: profiler.model_ref(),
        adr_rules: profiler.adr.key(),
        input_rows: people.len(),
        output_rows,
        by_status,
        rejected: rejects.len(),
        dropped_from_previous: in_previous.saturating_sub(matched),
        transitions: transitions
            .into_iter()
            .map(|((from, to), count)| Transition { from, to, count })
            .collect(),
        class_labels: profiler.model.classes.labels.clone(),
        rejects_sample: rejects.into_iter().take(20).collect(),
    }
}

fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<()> {
    atomic_write(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(["row", "id", "field", "reason"])
            .map_err(|e| Error::data(path, e))?;
        for r in rejects {
            csv.write_record([r.row.to_string().as_str(), &r.id, &r.field, &r.reason])
                .map_err(|e| Error::data(path, e))?;
        }
        csv.flush().map_err(|e| Error::io(path, e))
    })
}
