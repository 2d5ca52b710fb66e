//! `reprofile`: the 90-day re-profiling of a whole population.
//!
//! Who is due: anyone never profiled, profiled 90 or more days before `as_of`, whose input
//! changed (input digest differs) or who was profiled by another model version. Everyone else
//! is carried over unchanged from the previous output. Rows are processed in fixed-size chunks
//! on an explicit rayon pool and reassembled in input order, so the output is byte-identical
//! with 1 or N threads.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use polars::prelude::*;
use polars_arrow::array::{BooleanArray, PrimitiveArray};
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;
use serde::Serialize;

use super::encode::{Layout, OutColumn, RowGroup, array_of};
use super::people::{PeopleTable, days_from_date, parquet_rows};
use incrocio_core::digest::RecordHashFormat;
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::files::atomic_write;
use incrocio_decisions::overrides::ActiveOverrides;
use incrocio_profiling::{ModelRef, Profiler, REVIEW_INTERVAL_DAYS, next_review};

/// Default rows per chunk of work, and per Parquet row group of the output.
pub const DEFAULT_CHUNK_ROWS: usize = 65_536;

/// The format of the `input_digest` column a run writes unless told otherwise.
pub const INPUT_DIGEST_FORMAT: RecordHashFormat = RecordHashFormat::Xxh3_64;

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
    /// Rows per chunk of work and per Parquet row group (0 = [`DEFAULT_CHUNK_ROWS`]). The output
    /// depends on it (row-group boundaries), never on the number of threads.
    pub chunk_rows: usize,
    /// Operators' overrides in force at `as_of` (from the decision log): when given, the
    /// output gains `override_class`, `override_reason`, `override_operator`,
    /// `override_expires` (null where none) and `effective_class`, beside the computed
    /// `class`.
    pub overrides: Option<std::sync::Arc<ActiveOverrides>>,
    /// The format of the `input_digest` column written ([`INPUT_DIGEST_FORMAT`] unless an
    /// older reader needs SHA-256). A previous output is read in whatever format it names.
    pub input_digest_format: RecordHashFormat,
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
    const ALL: [RowStatus; 5] = [
        RowStatus::New,
        RowStatus::Due,
        RowStatus::InputChanged,
        RowStatus::ModelChanged,
        RowStatus::CarriedOver,
    ];

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

/// The previous output, indexed by person, with its typed columns.
struct Previous {
    /// Rows in the previous file.
    rows: usize,
    /// Person ids in the previous file's row order; not read when the file's metadata shows it
    /// lists the input's people in the input's order.
    ids: Option<StringChunked>,
    /// Row of each id, built on first need (rows that match by position need no map).
    by_id: std::sync::OnceLock<HashMap<String, u32>>,
    /// Whether it was produced by the same model (id, version and digest).
    same_model: bool,
    /// The format of its `input_digest` column.
    digest_format: RecordHashFormat,
    /// Classes, for the whole file; read by window (in [`PrevColumns`]) when aligned.
    class: Option<Int32Chunked>,
    /// The columns carried over, for the whole file: present when `same_model` and the file is
    /// not aligned.
    cols: Option<PrevColumns>,
    /// When `same_model` and the file's metadata shows it lists the input's people in the
    /// input's order (the usual case: one run's output is the next run's previous), the file
    /// to read each window's carried-over columns and classes from: nothing of it is held for
    /// the whole run.
    aligned: Option<PathBuf>,
}

/// The carried-over columns as plain vectors (row access is an index, not a chunk lookup);
/// nulls read as the engine always read them (NaN, 0, false), but for the digest and the date
/// of the last profile, whose absence makes a person due.
struct PrevColumns {
    class: Vec<Option<i32>>,
    digest: Vec<Option<i64>>,
    profiled_at: Vec<Option<i32>>,
    next_review_at: Vec<i32>,
    index: Vec<f64>,
    linear: Vec<f64>,
    contrib: Vec<Vec<f64>>,
    eta: Vec<i32>,
    mesi: Vec<i32>,
    sosp: Vec<i32>,
    adr_eligible: Vec<bool>,
    adr: Vec<Vec<Option<i64>>>,
    /// Unanswered features as a mask (see [`MISSING_COLUMN`]); empty when the model scores no
    /// missing answer.
    missing: Vec<u64>,
}

/// The output column listing each row's unanswered features scored under the model's
/// missing-answer policy (comma-separated feature names in model order, null when none). It is
/// written only for a model that states such a policy (a `missing` level for some feature).
pub const MISSING_COLUMN: &str = "missing_answers";

/// Whether the model scores some unanswered feature (a `missing` level) rather than refusing it.
pub fn answers_may_be_missing(profiler: &Profiler<'_>) -> bool {
    profiler
        .model
        .features
        .iter()
        .any(|f| matches!(f.missing, incrocio_profiling::Missing::Level { .. }))
}

fn metadata_value(reader: &mut ParquetReader<File>, path: &Path, key: &str) -> Result<String> {
    reader
        .get_metadata()
        .map_err(|e| Error::data(path, e))?
        .key_value_metadata
        .iter()
        .flatten()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
        .ok_or_else(|| {
            Error::data(
                path,
                format!("no `{key}` metadata: not an incrocio reprofile output"),
            )
        })
}

/// The masks of a previous output's [`MISSING_COLUMN`].
fn missing_masks(df: &DataFrame, path: &Path, profiler: &Profiler<'_>) -> Result<Vec<u64>> {
    let c = df.column(MISSING_COLUMN).map_err(|_| {
        Error::data(
            path,
            format!(
                "no `{MISSING_COLUMN}` column (written before unanswered questions were listed): \
                 reprofile once without --previous"
            ),
        )
    })?;
    let names = c.str().map_err(|e| Error::data(path, e))?;
    let features = &profiler.model.features;
    let mut seen: HashMap<&str, u64> = HashMap::default();
    names
        .iter()
        .map(|v| {
            let Some(v) = v else { return Ok(0) };
            if let Some(m) = seen.get(v) {
                return Ok(*m);
            }
            let mut mask = 0u64;
            for name in v.split(',') {
                let i = features
                    .iter()
                    .position(|f| f.name == name)
                    .ok_or_else(|| {
                        Error::data(
                            path,
                            format!(
                                "`{MISSING_COLUMN}` names `{name}`, not a feature of the model"
                            ),
                        )
                    })?;
                mask |= 1 << i;
            }
            seen.insert(v, mask);
            Ok(mask)
        })
        .collect()
}

fn column<'a>(df: &'a DataFrame, path: &Path, name: &str) -> Result<&'a Column> {
    df.column(name).map_err(|e| Error::data(path, e))
}

fn i32s(df: &DataFrame, path: &Path, name: &str) -> Result<Int32Chunked> {
    let c = column(df, path, name)?;
    Ok(c.i32()
        .map_err(|e| Error::data(path, e))?
        .rechunk()
        .into_owned())
}

impl PrevColumns {
    /// The carried-over columns' names in a previous output.
    fn names(profiler: &Profiler<'_>) -> Vec<String> {
        let mut v: Vec<String> = [
            "class",
            "input_digest",
            "profiled_at",
            "next_review_at",
            "index",
            "linear_predictor",
            "eta",
            "mesi_disoccupazione",
            "giorni_sospensione",
            "adr_eligible",
        ]
        .map(str::to_owned)
        .to_vec();
        v.extend(
            profiler
                .model
                .features
                .iter()
                .map(|f| format!("contrib_{}", f.name)),
        );
        v.extend(
            profiler
                .adr
                .contracts
                .iter()
                .map(|c| format!("adr_{}_cents", c.code)),
        );
        if answers_may_be_missing(profiler) {
            v.push(MISSING_COLUMN.to_owned());
        }
        v
    }

    fn of(df: &DataFrame, path: &Path, profiler: &Profiler<'_>) -> Result<PrevColumns> {
        let d = |e: PolarsError| Error::data(path, e);
        let f64s = |name: &str| -> Result<Vec<f64>> {
            Ok(column(df, path, name)?
                .f64()
                .map_err(d)?
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect())
        };
        let i64s = |name: &str| -> Result<Vec<Option<i64>>> {
            Ok(column(df, path, name)?.i64().map_err(d)?.iter().collect())
        };
        let i32s = |name: &str| -> Result<Vec<i32>> {
            Ok(column(df, path, name)?
                .i32()
                .map_err(d)?
                .iter()
                .map(Option::unwrap_or_default)
                .collect())
        };
        let dates = |name: &str| -> Result<Vec<Option<i32>>> {
            Ok(column(df, path, name)?
                .date()
                .map_err(d)?
                .physical()
                .iter()
                .collect())
        };
        Ok(PrevColumns {
            class: column(df, path, "class")?
                .i32()
                .map_err(d)?
                .iter()
                .collect(),
            digest: i64s("input_digest")?,
            profiled_at: dates("profiled_at")?,
            next_review_at: dates("next_review_at")?
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
            index: f64s("index")?,
            linear: f64s("linear_predictor")?,
            contrib: profiler
                .model
                .features
                .iter()
                .map(|f| f64s(&format!("contrib_{}", f.name)))
                .collect::<Result<_>>()?,
            eta: i32s("eta")?,
            mesi: i32s("mesi_disoccupazione")?,
            sosp: i32s("giorni_sospensione")?,
            adr_eligible: column(df, path, "adr_eligible")?
                .bool()
                .map_err(d)?
                .iter()
                .map(Option::unwrap_or_default)
                .collect(),
            adr: profiler
                .adr
                .contracts
                .iter()
                .map(|c| i64s(&format!("adr_{}_cents", c.code)))
                .collect::<Result<_>>()?,
            missing: if answers_may_be_missing(profiler) {
                missing_masks(df, path, profiler)?
            } else {
                Vec::new()
            },
        })
    }
}

impl Previous {
    fn read(
        path: &Path,
        profiler: &Profiler<'_>,
        people: &PeopleTable,
        input_ids: &str,
    ) -> Result<Previous> {
        let open = || File::open(path).map_err(|e| Error::io(path, e));
        let mut reader = ParquetReader::new(open()?);
        let same_model = metadata_value(&mut reader, path, METADATA_MODEL_DIGEST)?
            == profiler.model.digest
            && metadata_value(&mut reader, path, METADATA_MODEL)? == profiler.model.key();
        // Files written before the key existed, and files written in SHA-256, have no key.
        let digest_format = match metadata_value(&mut reader, path, METADATA_INPUT_DIGEST_FORMAT) {
            Err(_) => RecordHashFormat::Sha256First64,
            Ok(name) => RecordHashFormat::from_name(&name).ok_or_else(|| {
                Error::data(
                    path,
                    format!(
                        "`{METADATA_INPUT_DIGEST_FORMAT}` is `{name}`: not a format this \
                         engine reads (sha256-64, xxh3-64)"
                    ),
                )
            })?,
        };
        let d = |e: PolarsError| Error::data(path, e);
        let rows = reader.num_rows().map_err(d)?;
        // A file written from the same ids in the same order with no row rejected (its rows
        // are its input's rows) is aligned without reading its ids.
        let same_ids = metadata_value(&mut reader, path, METADATA_INPUT_IDS).ok()
            == Some(input_ids.to_owned())
            && metadata_value(&mut reader, path, METADATA_INPUT_ROWS).ok()
                == Some(rows.to_string())
            && rows == people.len();
        if same_model && same_ids {
            return Ok(Previous {
                rows,
                ids: None,
                by_id: std::sync::OnceLock::new(),
                same_model,
                digest_format,
                class: None,
                cols: None,
                aligned: Some(path.to_path_buf()),
            });
        }
        let keys = ParquetReader::new(open()?)
            .with_columns(Some(vec!["person_id".into(), "class".into()]))
            .finish()
            .map_err(d)?;
        let ids = column(&keys, path, "person_id")?
            .str()
            .map_err(d)?
            .rechunk()
            .into_owned();
        let class = i32s(&keys, path, "class")?;
        // Without the metadata (another order, rejected rows, an older file): matched by id.
        let cols = if same_model {
            let df = ParquetReader::new(open()?)
                .with_columns(Some(PrevColumns::names(profiler)))
                .finish()
                .map_err(d)?;
            Some(PrevColumns::of(&df, path, profiler)?)
        } else {
            None
        };
        Ok(Previous {
            rows: ids.len(),
            ids: Some(ids),
            by_id: std::sync::OnceLock::new(),
            same_model,
            digest_format,
            class: Some(class),
            cols,
            aligned: None,
        })
    }

    /// The carried-over columns of rows `start..start + len` of an aligned previous file.
    fn window(
        &self,
        profiler: &Profiler<'_>,
        start: usize,
        len: usize,
    ) -> Result<Option<PrevColumns>> {
        let Some(path) = &self.aligned else {
            return Ok(None);
        };
        let df = parquet_rows(path, Some(PrevColumns::names(profiler)), start, len)?;
        PrevColumns::of(&df, path, profiler).map(Some)
    }
}

impl Previous {
    /// The previous row of person `id`, found at input row `i`.
    fn row_of(&self, id: &str, i: usize) -> Option<usize> {
        let Some(ids) = &self.ids else {
            // Aligned by the file's metadata: row i is person i.
            return Some(i);
        };
        if ids.get(i) == Some(id) {
            return Some(i);
        }
        let by_id = self.by_id.get_or_init(|| {
            ids.iter()
                .enumerate()
                .filter_map(|(r, id)| Some((id?.to_owned(), r as u32)))
                .collect()
        });
        by_id.get(id).map(|&r| r as usize)
    }

    /// The previous class of row `r`, from the whole-file column or this window's.
    fn class_of(&self, local: &Option<PrevColumns>, start: usize, r: usize) -> Option<i32> {
        match (&self.class, local) {
            (Some(c), _) => c.get(r),
            (None, Some(l)) => l.class[r - start],
            (None, None) => None,
        }
    }
}

/// Output values of a run of rows, in input order.
#[derive(Default)]
struct Rows {
    /// Input row of each output row.
    input_row: Vec<u32>,
    status: Vec<RowStatus>,
    index: Vec<f64>,
    class: Vec<i32>,
    linear: Vec<f64>,
    contrib: Vec<Vec<f64>>,
    eta: Vec<i32>,
    mesi: Vec<i32>,
    sosp: Vec<i32>,
    adr_eligible: Vec<bool>,
    adr: Vec<Vec<Option<i64>>>,
    digest: Vec<i64>,
    profiled_at: Vec<i32>,
    next_review_at: Vec<i32>,
    /// Unanswered features scored under the model's policy, as a mask.
    missing: Vec<u64>,
}

impl Rows {
    fn new(features: usize, contracts: usize, capacity: usize) -> Rows {
        Rows {
            input_row: Vec::with_capacity(capacity),
            status: Vec::with_capacity(capacity),
            index: Vec::with_capacity(capacity),
            class: Vec::with_capacity(capacity),
            linear: Vec::with_capacity(capacity),
            contrib: vec![Vec::with_capacity(capacity); features],
            eta: Vec::with_capacity(capacity),
            mesi: Vec::with_capacity(capacity),
            sosp: Vec::with_capacity(capacity),
            adr_eligible: Vec::with_capacity(capacity),
            adr: vec![Vec::with_capacity(capacity); contracts],
            digest: Vec::with_capacity(capacity),
            profiled_at: Vec::with_capacity(capacity),
            next_review_at: Vec::with_capacity(capacity),
            missing: Vec::with_capacity(capacity),
        }
    }

    /// Copies row `r` of the previous output, but for its input digest: the caller writes it
    /// in this run's format.
    fn push_previous(&mut self, p: &PrevColumns, r: usize) {
        self.index.push(p.index[r]);
        self.linear.push(p.linear[r]);
        for (col, prev) in self.contrib.iter_mut().zip(&p.contrib) {
            col.push(prev[r]);
        }
        self.eta.push(p.eta[r]);
        self.mesi.push(p.mesi[r]);
        self.sosp.push(p.sosp[r]);
        self.adr_eligible.push(p.adr_eligible[r]);
        for (col, prev) in self.adr.iter_mut().zip(&p.adr) {
            col.push(prev[r]);
        }
        self.profiled_at.push(p.profiled_at[r].unwrap_or_default());
        self.next_review_at.push(p.next_review_at[r]);
        self.missing.push(p.missing.get(r).copied().unwrap_or(0));
    }
}

struct ChunkOut {
    /// First input row of the chunk.
    start: usize,
    rows: Rows,
    rejects: Vec<(usize, InputError)>,
    transitions: BTreeMap<(Option<u8>, u8), u64>,
}

/// A chunk after encoding: its Parquet row group (compressed pages, in memory) and its counts.
struct EncodedChunk {
    /// Taken when written.
    row_group: Option<RowGroup>,
    rows: usize,
    by_status: [u64; 5],
    rejects: Vec<(usize, InputError)>,
    transitions: BTreeMap<(Option<u8>, u8), u64>,
}

/// Re-profiles a population; see the module docs.
///
/// Each chunk of rows is scored, turned into a frame without copying and encoded into its own
/// Parquet row group on the worker that scored it; the row groups are then written in input
/// order. Nothing is concatenated, so memory stays at the input plus the compressed output.
pub fn reprofile(profiler: &Profiler<'_>, opts: &ReprofileOptions) -> Result<ReprofileReport> {
    let t = std::time::Instant::now();
    let people = PeopleTable::read(&opts.input)?;
    tracing::debug!(ms = t.elapsed().as_millis() as u64, "opened input");
    // The ids' digest (one thread) beside the search for a repeated id (the others).
    let (repeated, input_ids) = rayon::join(|| people.first_repeated_id(), || ids_digest(&people));
    tracing::debug!(
        ms = t.elapsed().as_millis() as u64,
        "checked and digested ids"
    );
    if let Some((id, first, again)) = repeated {
        return Err(Error::Input(
            InputError::new(
                "Id",
                FieldReason::Inconsistent(format!(
                    "the id is also on row {first}: a population lists each person once"
                )),
            )
            .with_record(&id)
            .with_row(again),
        ));
    }
    let previous = opts
        .previous
        .as_deref()
        .map(|p| Previous::read(p, profiler, &people, &input_ids))
        .transpose()?;
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
    let chunk_rows = if opts.chunk_rows == 0 {
        DEFAULT_CHUNK_ROWS
    } else {
        opts.chunk_rows
    };
    let n_chunks = people.len().div_ceil(chunk_rows);
    let metadata = file_metadata(
        profiler,
        opts.as_of,
        people.len(),
        &input_ids,
        opts.input_digest_format,
    );
    let overrides = opts.overrides.as_deref();
    let no_rows = Rows::new(
        profiler.model.features.len(),
        profiler.adr.contracts.len(),
        0,
    );
    let layout = chunk_columns(profiler, overrides, &people, no_rows, 0)
        .and_then(|empty| Layout::of(&empty))
        .map_err(|e| Error::data(&opts.output, e))?;
    let mut chunks: Vec<EncodedChunk> = Vec::new();
    atomic_write(&opts.output, |w| {
        let data = |e: PolarsError| Error::data(&opts.output, e);
        let mut writer = layout.writer(w).map_err(data)?;
        // The pool's workers take chunks in input order (`par_bridge` hands them out one at a
        // time), score, encode and compress them and pass them to a writer thread, which puts
        // them back in input order and writes each row group while the workers go on. The
        // channel is bounded: memory holds the chunks in flight, not the output.
        let in_flight = pool.current_num_threads().max(1) * 2;
        let on_error = opts.on_error;
        let layout = &layout;
        let (written, writer) = std::thread::scope(|scope| -> Result<_> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, EncodedChunk)>(in_flight);
            let write = scope.spawn(move || -> Result<_> {
                let mut done = Vec::with_capacity(n_chunks);
                let mut waiting = BTreeMap::new();
                for (c, chunk) in rx {
                    waiting.insert(c, chunk);
                    while let Some(mut chunk) = waiting.remove(&done.len()) {
                        // Chunks are written in input order and each chunk's rejects are in
                        // row order: the first reject met is the file's first.
                        if on_error == OnError::Fail
                            && let Some((_, e)) = chunk.rejects.first()
                        {
                            return Err(Error::Input(e.clone()));
                        }
                        if let Some(group) = chunk.row_group.take() {
                            writer.write(group).map_err(data)?;
                        }
                        done.push(chunk);
                    }
                }
                Ok((done, writer))
            });
            let produced = pool.install(|| {
                (0..n_chunks).par_bridge().try_for_each(|c| -> Result<()> {
                    let out = process_chunk(
                        profiler,
                        &people,
                        previous.as_ref(),
                        opts,
                        c * chunk_rows,
                        chunk_rows,
                    )?;
                    let encoded =
                        encode_chunk(profiler, overrides, &people, layout, out).map_err(data)?;
                    bar.inc((chunk_rows.min(people.len() - c * chunk_rows)) as u64);
                    // A closed channel means the writer stopped on an error: it says which.
                    let _ = tx.send((c, encoded));
                    Ok(())
                })
            });
            drop(tx);
            let written = write
                .join()
                .map_err(|_| Error::Panic("the Parquet writer thread panicked".into()))?;
            // The writer's error (a bad row with --on-error fail) is earlier in input order
            // than any chunk the pool was still working on.
            let written = written?;
            produced?;
            if written.0.len() != n_chunks {
                return Err(Error::Panic(format!(
                    "{} of {n_chunks} chunks reached the writer",
                    written.0.len()
                )));
            }
            Ok(written)
        })?;
        chunks = written;
        bar.finish_and_clear();
        tracing::info!(
            ms = t.elapsed().as_millis() as u64,
            "scored, encoded and written"
        );
        let t = std::time::Instant::now();
        writer.finish(metadata).map_err(data)?;
        tracing::info!(ms = t.elapsed().as_millis() as u64, "finished");
        Ok(())
    })?;

    let rejects: Vec<Reject> = chunks
        .iter()
        .flat_map(|c| c.rejects.iter())
        .map(|(row, e)| Reject {
            row: *row,
            id: e.record_id.clone().unwrap_or_default(),
            field: e.field.clone(),
            reason: e.reason.to_string(),
        })
        .collect();
    if let Some(path) = &opts.rejects {
        write_rejects(path, &rejects)?;
    }
    Ok(report(
        profiler,
        opts,
        &people,
        previous.as_ref(),
        &chunks,
        rejects,
    ))
}

/// Turns a chunk's rows into its output columns (moving them, no copy) and encodes them into
/// a row group.
fn encode_chunk(
    profiler: &Profiler<'_>,
    overrides: Option<&ActiveOverrides>,
    people: &PeopleTable,
    layout: &Layout,
    out: ChunkOut,
) -> PolarsResult<EncodedChunk> {
    let mut by_status = [0u64; 5];
    for s in &out.rows.status {
        by_status[*s as usize] += 1;
    }
    let rows = out.rows.input_row.len();
    let columns = chunk_columns(profiler, overrides, people, out.rows, out.start)?;
    let row_group = layout.encode(columns, rows)?;
    Ok(EncodedChunk {
        row_group: Some(row_group),
        rows,
        by_status,
        rejects: out.rejects,
        transitions: out.transitions,
    })
}

/// Keys of the Parquet file metadata: the provenance shared by every row of an output.
pub const METADATA_MODEL_DIGEST: &str = "incrocio.model_digest";
/// `id@vN` of the model.
pub const METADATA_MODEL: &str = "incrocio.model";
/// Rows of the run's input (equal to the output's rows when no row was rejected).
pub const METADATA_INPUT_ROWS: &str = "incrocio.input_rows";
/// `sha256:` of the input's ids in order (see [`ids_digest`]).
pub const METADATA_INPUT_IDS: &str = "incrocio.input_ids_digest";
/// The [`RecordHashFormat`] of the `input_digest` column, by name; absent in a file whose
/// digests are SHA-256 (every file written before the key existed).
pub const METADATA_INPUT_DIGEST_FORMAT: &str = "incrocio.input_digest_format";

/// `sha256:` of the ids of `people` in row order, each as its length (u32, little-endian)
/// and bytes: two runs over the same people in the same order have the same digest.
fn ids_digest(people: &PeopleTable) -> String {
    use std::io::Write;
    // Fed 64 KiB at a time: two small updates per id cost more than the hashing.
    let mut h =
        std::io::BufWriter::with_capacity(1 << 16, incrocio_core::digest::HashWriter::default());
    for id in people.each_id() {
        let id = id.as_bytes();
        let _ = h.write_all(&(id.len() as u32).to_le_bytes());
        let _ = h.write_all(id);
    }
    let _ = h.flush();
    h.into_parts().0.finish_tagged()
}

fn file_metadata(
    profiler: &Profiler<'_>,
    as_of: NaiveDate,
    input_rows: usize,
    input_ids: &str,
    digest_format: RecordHashFormat,
) -> Vec<(String, String)> {
    let m = profiler.model;
    let digest = match digest_format {
        RecordHashFormat::Sha256First64 => {
            "first 8 bytes of SHA-256 of the canonical record encoding, big-endian, as a signed 64-bit integer"
        }
        RecordHashFormat::Xxh3_64 => {
            "XXH3-64 (seed 0) of the canonical record encoding, as a signed 64-bit integer"
        }
    };
    let mut metadata = vec![
        (
            "incrocio.engine_version".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
        (METADATA_MODEL.into(), m.key()),
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
        ("incrocio.input_digest".into(), digest.into()),
        (METADATA_INPUT_ROWS.into(), input_rows.to_string()),
        (METADATA_INPUT_IDS.into(), input_ids.to_owned()),
    ];
    // A SHA-256 file is written as every engine before the key wrote it.
    if digest_format != RecordHashFormat::Sha256First64 {
        metadata.push((
            METADATA_INPUT_DIGEST_FORMAT.into(),
            digest_format.name().into(),
        ));
    }
    metadata
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
    opts: &ReprofileOptions,
    start: usize,
    chunk_rows: usize,
) -> Result<ChunkOut> {
    let (as_of, format) = (opts.as_of, opts.input_digest_format);
    let n_features = profiler.model.features.len();
    let end = (start + chunk_rows).min(people.len());
    let mut out = ChunkOut {
        start,
        rows: Rows::new(n_features, profiler.adr.contracts.len(), end - start),
        rejects: Vec::new(),
        transitions: BTreeMap::new(),
    };
    let (today, review) = (days_from_date(as_of), days_from_date(next_review(as_of)));
    let mut scratch = Vec::new();
    let mut slots = vec![0.0; n_features];
    let mut cents = vec![None; profiler.adr.contracts.len()];
    let window = people.window(start, end - start)?;
    // The previous run's carried-over columns: this window's rows of an aligned file (row r of
    // the file at r − start), or the whole file.
    let local = match previous {
        Some(p) => p.window(profiler, start, end - start)?,
        None => None,
    };
    fn carried<'a>(
        local: &'a Option<PrevColumns>,
        p: &'a Previous,
        start: usize,
        r: usize,
    ) -> Option<(&'a PrevColumns, usize)> {
        match local {
            Some(l) => Some((l, r - start)),
            None => p.cols.as_ref().map(|c| (c, r)),
        }
    }
    for i in start..end {
        let checked = window.view(i, &mut scratch).and_then(|v| {
            v.validate_digesting(profiler.reference, format)
                .map(|p| (v, p))
        });
        let (view, person) = match checked {
            Ok(checked) => checked,
            Err(e) => {
                out.rejects
                    .push((i + 1, e.with_record(window.id(i)).with_row(i + 1)));
                continue;
            }
        };
        let digest = person.input_digest as i64;
        let prev = previous.and_then(|p| p.row_of(&person.id, i).map(|r| (p, r)));
        let cols = prev.and_then(|(p, r)| carried(&local, p, start, r));
        let status = match prev {
            None => RowStatus::New,
            Some((p, _)) if !p.same_model => RowStatus::ModelChanged,
            Some((p, _)) => {
                // A previous file in another format is compared in its own: the record is
                // hashed once more, and the row is written in this run's format.
                let then = if p.digest_format == format {
                    digest
                } else {
                    view.input_digest(p.digest_format) as i64
                };
                if cols.and_then(|(c, r)| c.digest[r]) != Some(then) {
                    RowStatus::InputChanged
                } else if cols
                    .and_then(|(c, r)| c.profiled_at[r])
                    .is_none_or(|d| today - d >= REVIEW_INTERVAL_DAYS as i32)
                {
                    RowStatus::Due
                } else {
                    RowStatus::CarriedOver
                }
            }
        };
        let prev_class = prev
            .and_then(|(p, r)| p.class_of(&local, start, r))
            .map(|c| c as u8);
        if status == RowStatus::CarriedOver {
            if let Some((c, r)) = cols {
                *out.transitions
                    .entry((prev_class, prev_class.unwrap_or(0)))
                    .or_default() += 1;
                let rows = &mut out.rows;
                rows.input_row.push(i as u32);
                rows.status.push(status);
                rows.class.push(i32::from(prev_class.unwrap_or(0)));
                rows.push_previous(c, r);
                rows.digest.push(digest);
            }
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
        let f = &mut out.rows;
        f.input_row.push(i as u32);
        f.status.push(status);
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
        f.digest.push(digest);
        f.profiled_at.push(today);
        f.next_review_at.push(review);
        f.missing.push(score.missing);
    }
    Ok(out)
}

/// The output columns of one chunk, taking ownership of its rows (no copy).
fn chunk_columns(
    profiler: &Profiler<'_>,
    overrides: Option<&ActiveOverrides>,
    people: &PeopleTable,
    rows: Rows,
    start: usize,
) -> PolarsResult<Vec<OutColumn>> {
    let n = rows.input_row.len();
    let model = profiler.model;
    // A slice of the input may span several of its chunks: one row group needs one chunk.
    let ids = people
        .ids_of_chunk(start, &rows.input_row)?
        .rechunk()
        .into_owned();
    let date = |name: &str, v: Vec<i32>| {
        OutColumn::auto(
            name,
            PrimitiveArray::from_vec(v)
                .to(ArrowDataType::Date32)
                .boxed(),
        )
    };
    let i32s = |name: &str, v: Vec<i32>| OutColumn::auto(name, PrimitiveArray::from_vec(v).boxed());
    let override_cols = overrides.map(|o| {
        let found: Vec<Option<&incrocio_decisions::overrides::Override>> =
            ids.iter().map(|id| id.and_then(|id| o.get(id))).collect();
        let effective: Vec<i32> = found
            .iter()
            .zip(&rows.class)
            .map(|(o, &c)| o.map_or(c, |o| i32::from(o.class)))
            .collect();
        let column = |c: Column| OutColumn::auto(c.name().clone(), array_of(&c));
        vec![
            column(
                Int32Chunked::from_iter_options(
                    "override_class".into(),
                    found.iter().map(|o| o.map(|o| i32::from(o.class))),
                )
                .into_column(),
            ),
            column(
                StringChunked::from_iter_options(
                    "override_reason".into(),
                    found.iter().map(|o| o.map(|o| o.reason.as_str())),
                )
                .into_column(),
            ),
            column(
                StringChunked::from_iter_options(
                    "override_operator".into(),
                    found.iter().map(|o| o.map(|o| o.operator.as_str())),
                )
                .into_column(),
            ),
            column(
                Int32Chunked::from_iter_options(
                    "override_expires".into(),
                    found.iter().map(|o| o.map(|o| days_from_date(o.expires))),
                )
                .into_date()
                .into_column(),
            ),
            i32s("effective_class", effective),
        ]
    });
    let status = RowStatus::ALL.map(RowStatus::as_str);
    let class_label = OutColumn::labels("class_label", rows.class.iter().map(|&k| k as u8), |k| {
        model.classes.label(k)
    })?;
    let mut cols = vec![
        // A population lists each person once: their ids are all distinct.
        OutColumn::distinct("person_id", array_of(&ids.into_column())),
        OutColumn::labels("status", rows.status.iter().map(|&s| s as u8), |s| {
            status[s as usize]
        })?,
        OutColumn::f64s("index", rows.index)?,
        i32s("class", rows.class),
        class_label,
    ];
    cols.extend(override_cols.into_iter().flatten());
    cols.push(OutColumn::f64s("linear_predictor", rows.linear)?);
    for (feat, v) in model.features.iter().zip(rows.contrib) {
        cols.push(OutColumn::f64s(format!("contrib_{}", feat.name), v)?);
    }
    cols.push(i32s("eta", rows.eta));
    cols.push(i32s("mesi_disoccupazione", rows.mesi));
    cols.push(i32s("giorni_sospensione", rows.sosp));
    cols.push(OutColumn::auto(
        "adr_eligible",
        BooleanArray::from_slice(&rows.adr_eligible).boxed(),
    ));
    for (c, v) in profiler.adr.contracts.iter().zip(rows.adr) {
        cols.push(OutColumn::auto(
            format!("adr_{}_cents", c.code),
            PrimitiveArray::<i64>::from(v).boxed(),
        ));
    }
    cols.push(OutColumn::labels(
        "model_id",
        std::iter::repeat_n(0u8, n),
        |_| model.id.as_str(),
    )?);
    cols.push(i32s("model_version", vec![model.version as i32; n]));
    // The first 8 bytes of a SHA-256: all distinct, and random bytes do not compress.
    cols.push(
        OutColumn::distinct(
            "input_digest",
            PrimitiveArray::from_vec(rows.digest).boxed(),
        )
        .uncompressed(),
    );
    cols.push(date("profiled_at", rows.profiled_at));
    cols.push(date("next_review_at", rows.next_review_at));
    if answers_may_be_missing(profiler) {
        // Few distinct masks: each one's names are joined once.
        let mut names: HashMap<u64, Option<String>> = HashMap::default();
        for &m in &rows.missing {
            names.entry(m).or_insert_with(|| model.missing_names(m));
        }
        let column = StringChunked::from_iter_options(
            MISSING_COLUMN.into(),
            rows.missing.iter().map(|m| names[m].as_deref()),
        )
        .into_column();
        cols.push(OutColumn::auto(MISSING_COLUMN, array_of(&column)));
    }
    Ok(cols)
}

fn report(
    profiler: &Profiler<'_>,
    opts: &ReprofileOptions,
    people: &PeopleTable,
    previous: Option<&Previous>,
    chunks: &[EncodedChunk],
    rejects: Vec<Reject>,
) -> ReprofileReport {
    let mut by_status = BTreeMap::new();
    let mut transitions = BTreeMap::new();
    for c in chunks {
        for s in RowStatus::ALL {
            let n = c.by_status[s as usize];
            if n > 0 {
                *by_status.entry(s).or_insert(0) += n;
            }
        }
        for (k, v) in &c.transitions {
            *transitions.entry(*k).or_insert(0) += v;
        }
    }
    let in_previous = previous.map_or(0, |p| p.rows);
    let matched: u64 = by_status
        .iter()
        .filter(|(s, _)| **s != RowStatus::New)
        .map(|(_, n)| *n)
        .sum();
    ReprofileReport {
        as_of: opts.as_of,
        model: profiler.model_ref(),
        adr_rules: profiler.adr.key(),
        input_rows: people.len(),
        output_rows: chunks.iter().map(|c| c.rows).sum(),
        by_status,
        rejected: rejects.len(),
        dropped_from_previous: in_previous.saturating_sub(matched as usize),
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
