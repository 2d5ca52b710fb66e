//! People files: reading them as [`RecordView`]s, writing synthetic ones.
//!
//! Column names are the record's field names (`Id`, `DataNascita`, `Genere`, … see
//! `docs/profile-record.md`). CSV columns are read as text so codes keep their leading zeros;
//! Parquet columns may be typed (dates as `Date`, counts as integers, flags as booleans) or
//! text; a column of another type (a float count, a numeric flag) is read value by value as
//! text, so `44.5` or `1.5` is refused naming its row rather than truncated or read as true. A
//! column the schema does not know is an error, never silently dropped.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;

use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::files::atomic_write;
use incrocio_profiling::{
    ProfileRecord, RecordView, Sospensione, format_suspensions, parse_suspensions,
};

const STR_FIELDS: [&str; 11] = [
    "CodiceFiscale",
    "Genere",
    "Cittadinanza",
    "DurataPresenzaInItalia",
    "TitoloDiStudio",
    "ProvinciaDiResidenza",
    "ComuneDomicilio",
    "CondizioneOccupazionaleUnAnnoPrima",
    "PosizioneProfessioneUltimaOccupazione",
    "AttualmenteIscrittoScuolaUniversitaOCorsoFormazione",
    "Sospensioni",
];
const INT_FIELDS: [&str; 4] = [
    "Eta",
    "DaQuantiMesiConclusoUltimoRappLavoro",
    "DaQuantiMesiStaCercandoLavoro",
    "NumeroComponentiFamiglia",
];
const BOOL_FIELDS: [&str; 4] = [
    "HaMaiAvutoUnLavoro",
    "PresenzaFigliACarico",
    "PresenzaFigliACaricoMeno18Anni",
    "PercettoreNASpI",
];
const DATE_FIELDS: [&str; 3] = ["DataNascita", "DataDID", "DataFineUltimoRapporto"];

/// A tabular file format, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// The format of `path` by extension (`.parquet`, `.csv`, `.jsonl`/`.ndjson`).
    pub fn of(path: &Path) -> Result<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") => Ok(Format::Parquet),
            Some("csv") => Ok(Format::Csv),
            Some("jsonl" | "ndjson") => Ok(Format::JsonLines),
            _ => Err(Error::data(
                path,
                "unknown file type: use .parquet, .csv or .jsonl",
            )),
        }
    }
}

/// A column of integers, flags or dates, typed or as text to parse per row: as polars columns
/// (`S` = `StringChunked`) or, in a window, as one array each (`S` = its text array).
enum Typed<T, S = StringChunked> {
    Absent,
    Native(T),
    Text(S),
}

/// People read from a file, addressable by row.
pub enum PeopleTable {
    /// Columns of a CSV file (or a labeled Parquet file), read whole.
    Frame(Box<FrameColumns>),
    /// A Parquet file read a window at a time: only the ids are held for the whole file.
    Parquet(Box<ParquetPeople>),
    /// Records of a JSON-lines file.
    Records(Vec<ProfileRecord>),
}

/// A Parquet people file, read by row windows ([`PeopleTable::window`]): each worker decodes
/// only its own rows, into memory it then frees, so a run holds the ids and the windows in
/// flight, never the whole population's columns.
pub struct ParquetPeople {
    path: std::path::PathBuf,
    n: usize,
    /// The ids as read: one chunk per row group (not made contiguous: that copy was the
    /// longest step before any worker could start).
    id: StringChunked,
    /// The arrays of `id`'s chunks, each with its first row, for reads by row.
    ids: Vec<(usize, Arr<StringType>)>,
}

impl ParquetPeople {
    fn open(path: &Path) -> Result<ParquetPeople> {
        let open = || File::open(path).map_err(|e| Error::io(path, e));
        let mut reader = ParquetReader::new(open()?);
        let schema = reader.schema().map_err(|e| Error::data(path, e))?;
        if let Some(bad) = schema.iter_names().find(|n| !known_column(n)) {
            return Err(unknown_column(path, bad));
        }
        if schema.get("Id").is_none() {
            return Err(Error::data(path, "missing column `Id`"));
        }
        let n = reader.num_rows().map_err(|e| Error::data(path, e))?;
        let ids = ParquetReader::new(open()?)
            .with_columns(Some(vec!["Id".into()]))
            .finish()
            .map_err(|e| Error::data(path, e))?;
        let id = ids
            .column("Id")
            .and_then(|c| c.cast(&DataType::String))
            .map_err(|e| Error::data(path, e))?;
        let id = id.str().map_err(|e| Error::data(path, e))?.clone();
        let mut first = 0;
        let ids = id
            .downcast_iter()
            .map(|a| {
                let at = first;
                first += a.len();
                (at, a.clone())
            })
            .collect();
        Ok(ParquetPeople {
            path: path.to_path_buf(),
            n,
            ids,
            id,
        })
    }

    /// The id of row `i` (empty when absent or out of range).
    fn id_at(&self, i: usize) -> &str {
        let k = self.ids.partition_point(|(first, _)| *first <= i);
        k.checked_sub(1)
            .and_then(|k| self.ids.get(k))
            .and_then(|(first, a)| a.get(i - first))
            .unwrap_or("")
    }

    /// Rows `start..start + len`, decoded on the calling thread.
    fn window(&self, start: usize, len: usize) -> Result<FrameColumns> {
        FrameColumns::new(&self.path, &parquet_rows(&self.path, None, start, len)?)
    }
}

/// Rows `start..start + len` of a Parquet file (the named columns, or all), read and made
/// contiguous on the calling thread: polars' own pool stays out of it, since the callers are
/// already one worker per window.
pub(super) fn parquet_rows(
    path: &Path,
    columns: Option<Vec<String>>,
    start: usize,
    len: usize,
) -> Result<DataFrame> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut df = ParquetReader::new(f)
        .with_columns(columns)
        .with_slice(Some((start, len)))
        .read_parallel(ParallelStrategy::None)
        .set_rechunk(false)
        .finish()
        .map_err(|e| Error::data(path, e))?;
    if df.height() != len {
        return Err(Error::data(
            path,
            format!(
                "rows {start}.. changed while reading: {} of {len}",
                df.height()
            ),
        ));
    }
    if df.should_rechunk() {
        let columns: Vec<Column> = df.columns().iter().map(|c| c.rechunk()).collect();
        df = DataFrame::new(len, columns).map_err(|e| Error::data(path, e))?;
    }
    Ok(df)
}

fn known_column(name: &str) -> bool {
    name == "Id"
        || STR_FIELDS.contains(&name)
        || INT_FIELDS.contains(&name)
        || BOOL_FIELDS.contains(&name)
        || DATE_FIELDS.contains(&name)
}

fn unknown_column(path: &Path, name: &str) -> Error {
    Error::data(
        path,
        format!("unknown column `{name}` (see docs/profile-record.md)"),
    )
}

/// A contiguous run of rows of a [`PeopleTable`], addressed by their row in the whole table.
///
/// Frame columns are sliced and made contiguous once per window, so each row read is a direct
/// array access, without concatenating the whole input first.
pub struct Window<'a> {
    start: usize,
    rows: WindowRows<'a>,
}

/// The rows of a window: columns (sliced, or decoded from Parquet) or JSON records.
enum WindowRows<'a> {
    Frame(Box<WindowColumns>),
    Records(&'a [ProfileRecord]),
}

impl<'a> Window<'a> {
    /// Row `i` (of the whole table) as a record view.
    pub fn view<'s>(
        &'s self,
        i: usize,
        scratch: &'s mut Vec<Sospensione>,
    ) -> Result<RecordView<'s>, InputError> {
        match &self.rows {
            WindowRows::Frame(f) => f.view(i - self.start, scratch),
            WindowRows::Records(r) => Ok(r[i - self.start].view()),
        }
    }

    /// The id of row `i` (of the whole table).
    pub fn id(&self, i: usize) -> &str {
        match &self.rows {
            WindowRows::Frame(f) => f.id.get(i - self.start).unwrap_or(""),
            WindowRows::Records(r) => &r[i - self.start].id,
        }
    }
}

impl<T: PolarsDataType> Typed<ChunkedArray<T>> {
    fn window(&self, start: usize, len: usize) -> Self {
        match self {
            Typed::Absent => Typed::Absent,
            Typed::Native(c) => Typed::Native(c.slice(start as i64, len).rechunk().into_owned()),
            Typed::Text(c) => Typed::Text(c.slice(start as i64, len).rechunk().into_owned()),
        }
    }
}

/// The typed columns of a people frame, as read (possibly in several chunks: [`Window`] makes a
/// run of rows contiguous once, instead of the whole table up front).
pub struct FrameColumns {
    n: usize,
    id: StringChunked,
    strs: Vec<Option<StringChunked>>,
    ints: Vec<Typed<Int64Chunked>>,
    bools: Vec<Typed<BooleanChunked>>,
    dates: Vec<Typed<Int32Chunked>>,
}

impl PeopleTable {
    /// Reads a people file (format by extension).
    pub fn read(path: &Path) -> Result<PeopleTable> {
        match Format::of(path)? {
            Format::JsonLines => read_jsonl(path).map(PeopleTable::Records),
            Format::Parquet => ParquetPeople::open(path).map(|p| PeopleTable::Parquet(Box::new(p))),
            _ => {
                FrameColumns::new(path, &read_frame(path)?).map(|c| PeopleTable::Frame(Box::new(c)))
            }
        }
    }

    /// Reads a labeled people file (Parquet or CSV): the people columns plus the outcome column
    /// `outcome` (0/1 or false/true; 1 = still unemployed at the model's horizon). A missing or
    /// other value is an error naming the row.
    pub fn read_labeled(path: &Path, outcome: &str) -> Result<(PeopleTable, Vec<bool>)> {
        let (table, y, _) = Self::read_labeled_with(path, outcome, &[])?;
        Ok((table, y))
    }

    /// Labeled people plus grouping columns that are not people fields (`--group-by`): each
    /// read as text, a missing value being the group `(missing)`.
    pub fn read_labeled_with(
        path: &Path,
        outcome: &str,
        group_by: &[String],
    ) -> Result<(PeopleTable, Vec<bool>, Vec<Vec<String>>)> {
        if Format::of(path)? == Format::JsonLines {
            return Err(Error::data(
                path,
                "labeled data must be Parquet or CSV (a column per field plus the outcome)",
            ));
        }
        let mut df = read_frame(path)?;
        let mut groups = Vec::with_capacity(group_by.len());
        for name in group_by {
            let col = if known_column(name) {
                df.column(name).cloned()
            } else {
                df.drop_in_place(name)
            }
            .map_err(|_| Error::data(path, format!("missing --group-by column `{name}`")))?;
            let text = col
                .cast(&DataType::String)
                .map_err(|e| Error::data(path, e))?;
            let text = text.str().map_err(|e| Error::data(path, e))?;
            groups.push(
                text.iter()
                    .map(|v| v.map_or_else(|| MISSING_GROUP.to_owned(), str::to_owned))
                    .collect(),
            );
        }
        let col = df
            .drop_in_place(outcome)
            .map_err(|_| Error::data(path, format!("missing outcome column `{outcome}`")))?;
        let text = col
            .cast(&DataType::String)
            .map_err(|e| Error::data(path, e))?;
        let text = text.str().map_err(|e| Error::data(path, e))?;
        let mut y = Vec::with_capacity(text.len());
        for (i, v) in text.iter().enumerate() {
            y.push(match v.map(str::trim) {
                Some("1" | "true") => true,
                Some("0" | "false") => false,
                other => {
                    return Err(Error::Input(
                        InputError::new(
                            outcome,
                            FieldReason::Malformed {
                                value: other.unwrap_or("").to_owned(),
                                expected: "0 or 1",
                            },
                        )
                        .with_row(i + 1),
                    ));
                }
            });
        }
        let table = FrameColumns::new(path, &df).map(|c| PeopleTable::Frame(Box::new(c)))?;
        Ok((table, y, groups))
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            PeopleTable::Frame(c) => c.n,
            PeopleTable::Parquet(p) => p.n,
            PeopleTable::Records(r) => r.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id of row `i` (empty when absent).
    pub fn id(&self, i: usize) -> &str {
        match self {
            PeopleTable::Frame(c) => c.id.get(i).unwrap_or(""),
            PeopleTable::Parquet(p) => p.id_at(i),
            PeopleTable::Records(r) => &r[i].id,
        }
    }

    /// The first id that appears on two rows, with both 1-based rows: a population lists each
    /// person once (a second row would be profiled twice and matched against the previous run
    /// by chance). Ids are hashed and sorted in parallel; equal hashes are compared as text.
    pub fn first_repeated_id(&self) -> Option<(String, usize, usize)> {
        use rayon::prelude::*;
        use std::hash::BuildHasher;
        let hash = |id: &str| rustc_hash::FxBuildHasher.hash_one(id.as_bytes());
        // Only the hashes are sorted (no rows beside them): a repeated id repeats its hash, and
        // unequal ids share a 64-bit hash about once in 10^12 populations of 3 million. The
        // rows are looked up only for a hash seen twice.
        let mut hashes: Vec<u64> = match self {
            PeopleTable::Parquet(p) => p
                .ids
                .par_iter()
                .flat_map_iter(|(_, a)| a.iter().map(|id| hash(id.unwrap_or(""))))
                .collect(),
            _ => (0..self.len())
                .into_par_iter()
                .map(|i| hash(self.id(i)))
                .collect(),
        };
        hashes.par_sort_unstable();
        let twice: rustc_hash::FxHashSet<u64> = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        drop(hashes);
        if twice.is_empty() {
            return None;
        }
        // Rows by hash, in row order; the first pair of equal ids ending earliest.
        let mut rows: rustc_hash::FxHashMap<u64, Vec<usize>> = Default::default();
        for i in 0..self.len() {
            let h = hash(self.id(i));
            if twice.contains(&h) {
                rows.entry(h).or_default().push(i);
            }
        }
        let mut found: Option<(usize, usize)> = None;
        for run in rows.values() {
            for (k, &a) in run.iter().enumerate() {
                for &b in &run[k + 1..] {
                    if self.id(a) == self.id(b) && found.is_none_or(|f| b < f.1) {
                        found = Some((a, b));
                    }
                }
            }
        }
        found.map(|(a, b)| (self.id(a).to_owned(), a + 1, b + 1))
    }

    /// Every id, in row order.
    pub fn each_id(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            PeopleTable::Frame(c) => Box::new(c.id.iter().map(|id| id.unwrap_or(""))),
            PeopleTable::Parquet(p) => Box::new(
                p.ids
                    .iter()
                    .flat_map(|(_, a)| a.iter().map(|id| id.unwrap_or(""))),
            ),
            PeopleTable::Records(r) => Box::new(r.iter().map(|p| p.id.as_str())),
        }
    }

    /// The ids of the given rows (all rows, in order, without copying when that is what is asked).
    pub fn ids(&self, rows: &[u32]) -> PolarsResult<StringChunked> {
        match self {
            PeopleTable::Frame(c) if rows.len() == c.n => Ok(c.id.clone()),
            PeopleTable::Parquet(p) if rows.len() == p.n => Ok(p.id.clone()),
            PeopleTable::Frame(c) => {
                let idx = IdxCa::from_vec("".into(), rows.iter().map(|&r| r as IdxSize).collect());
                c.id.take(&idx)
            }
            PeopleTable::Parquet(p) => {
                let idx = IdxCa::from_vec("".into(), rows.iter().map(|&r| r as IdxSize).collect());
                p.id.take(&idx)
            }
            PeopleTable::Records(r) => Ok(rows
                .iter()
                .map(|&i| Some(r[i as usize].id.as_str()))
                .collect()),
        }
    }

    /// The ids of `rows` (input rows of the chunk starting at `start`): a zero-copy slice when
    /// the chunk kept every row, a gather otherwise.
    pub fn ids_of_chunk(&self, start: usize, rows: &[u32]) -> PolarsResult<StringChunked> {
        let contiguous = rows.first().is_none_or(|&f| f as usize == start)
            && rows.windows(2).all(|w| w[1] == w[0] + 1);
        match self {
            PeopleTable::Frame(c) if contiguous => Ok(c.id.slice(start as i64, rows.len())),
            PeopleTable::Parquet(p) if contiguous => Ok(p.id.slice(start as i64, rows.len())),
            _ => self.ids(rows),
        }
    }

    /// Rows `start..start + len`, ready for fast row access (a Parquet file's rows are read
    /// here, on the calling thread).
    pub fn window(&self, start: usize, len: usize) -> Result<Window<'_>> {
        let rows = match self {
            PeopleTable::Frame(c) => {
                WindowRows::Frame(Box::new(WindowColumns::of(&c.window(start, len))))
            }
            PeopleTable::Parquet(p) => {
                WindowRows::Frame(Box::new(WindowColumns::of(&p.window(start, len)?)))
            }
            PeopleTable::Records(r) => WindowRows::Records(&r[start..start + len]),
        };
        Ok(Window { start, rows })
    }
}

/// The column names of a people file (Parquet: its schema; CSV: its header row), read without
/// its rows: what `models sql --columns-of` compares with the optional columns.
pub fn column_names(path: &Path) -> Result<Vec<String>> {
    match Format::of(path)? {
        Format::Parquet => {
            let f = File::open(path).map_err(|e| Error::io(path, e))?;
            let schema = ParquetReader::new(f)
                .schema()
                .map_err(|e| Error::data(path, e))?;
            Ok(schema.iter_names().map(|n| n.to_string()).collect())
        }
        Format::Csv => {
            let f = File::open(path).map_err(|e| Error::io(path, e))?;
            let mut header = String::new();
            BufReader::new(f)
                .read_line(&mut header)
                .map_err(|e| Error::io(path, e))?;
            let header = header.trim_start_matches('\u{feff}').trim_end();
            if header.is_empty() {
                return Err(Error::data(path, "no header row"));
            }
            Ok(header
                .split(',')
                .map(|c| c.trim_matches('"').to_owned())
                .collect())
        }
        Format::JsonLines => Err(Error::data(
            path,
            "a JSON Lines file has no schema: give a Parquet or CSV file with the table's columns",
        )),
    }
}

fn read_frame(path: &Path) -> Result<DataFrame> {
    match Format::of(path)? {
        Format::Parquet => {
            let f = File::open(path).map_err(|e| Error::io(path, e))?;
            ParquetReader::new(f)
                .finish()
                .map_err(|e| Error::data(path, e))
        }
        _ => CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .map_err(|e| Error::data(path, e)),
    }
}

/// Copies a people file (Parquet or CSV) to `output` (Parquet, atomically) with an outcome
/// column added, one value per row.
/// The group of a `--group-by` value that is missing.
pub const MISSING_GROUP: &str = "(missing)";

/// A column of a research table ([`write_table`]).
#[derive(Debug, Clone, PartialEq)]
pub enum TableColumn {
    /// Text.
    Text(Vec<String>),
    /// Floating point.
    Float(Vec<f64>),
    /// Integer.
    Int(Vec<i32>),
    /// Integer or none (a suppressed count).
    OptInt(Vec<Option<i32>>),
    /// Floating point or none.
    OptFloat(Vec<Option<f64>>),
}

/// Writes named columns of equal length as one Parquet file, atomically.
pub fn write_table(path: &Path, columns: Vec<(String, TableColumn)>) -> Result<()> {
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|(name, c)| match c {
            TableColumn::Text(v) => Column::new(name.into(), v),
            TableColumn::Float(v) => Column::new(name.into(), v),
            TableColumn::Int(v) => Column::new(name.into(), v),
            TableColumn::OptInt(v) => Column::new(name.into(), v),
            TableColumn::OptFloat(v) => Column::new(name.into(), v),
        })
        .collect();
    let mut df = DataFrame::new_infer_height(cols).map_err(|e| Error::data(path, e))?;
    atomic_write(path, |w| {
        ParquetWriter::new(w)
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| Error::data(path, e))
    })
}

/// Writes `input` with an outcome column added.
pub fn write_with_outcome(input: &Path, output: &Path, name: &str, y: &[bool]) -> Result<()> {
    let mut df = read_frame(input)?;
    if df.height() != y.len() {
        return Err(Error::data(
            input,
            format!("{} rows, {} outcomes", df.height(), y.len()),
        ));
    }
    let col: Vec<i32> = y.iter().map(|&v| i32::from(v)).collect();
    df.with_column(Column::new(name.into(), col))
        .map_err(|e| Error::data(output, e))?;
    atomic_write(output, |w| {
        ParquetWriter::new(w)
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| Error::data(output, e))
    })
}

impl FrameColumns {
    fn new(path: &Path, df: &DataFrame) -> Result<FrameColumns> {
        if let Some(bad) = df.get_column_names().into_iter().find(|n| !known_column(n)) {
            return Err(unknown_column(path, bad));
        }
        let col = |name: &str| df.column(name).ok();
        let id = col("Id").ok_or_else(|| Error::data(path, "missing column `Id`"))?;
        let id = id
            .cast(&DataType::String)
            .map_err(|e| Error::data(path, e))?;
        let as_str = |c: &Column| -> Result<StringChunked> {
            let c = c
                .cast(&DataType::String)
                .map_err(|e| Error::data(path, e))?;
            Ok(c.str().map_err(|e| Error::data(path, e))?.clone())
        };
        let mut strs = Vec::new();
        for f in STR_FIELDS {
            strs.push(col(f).map(as_str).transpose()?);
        }
        let typed = |name: &str, native: &DataType| -> Result<Option<(Column, bool)>> {
            let Some(c) = col(name) else { return Ok(None) };
            if c.dtype() == &DataType::String {
                return Ok(Some((c.clone(), false)));
            }
            let cast = c.cast(native).map_err(|e| {
                Error::data(
                    path,
                    format!(
                        "column `{name}` has type {}, expected {native}: {e}",
                        c.dtype()
                    ),
                )
            })?;
            Ok(Some((cast, true)))
        };
        // A column typed otherwise than its field (a float for a count, a number for a flag)
        // is read as text, value by value, so `1.5` is refused naming its row and field
        // rather than cast (truncated to 1, or read as true).
        let text_unless = |name: &str, ok: fn(&DataType) -> bool| -> Option<Column> {
            col(name)
                .filter(|c| c.dtype() != &DataType::String && !ok(c.dtype()))
                .cloned()
        };
        let mut ints = Vec::new();
        for f in INT_FIELDS {
            if let Some(c) = text_unless(f, DataType::is_integer) {
                ints.push(Typed::Text(as_str(&c)?));
                continue;
            }
            ints.push(match typed(f, &DataType::Int64)? {
                None => Typed::Absent,
                Some((c, true)) => {
                    Typed::Native(c.i64().map_err(|e| Error::data(path, e))?.clone())
                }
                Some((c, false)) => Typed::Text(as_str(&c)?),
            });
        }
        let mut bools = Vec::new();
        for f in BOOL_FIELDS {
            if let Some(c) = text_unless(f, DataType::is_bool) {
                bools.push(Typed::Text(as_str(&c)?));
                continue;
            }
            bools.push(match typed(f, &DataType::Boolean)? {
                None => Typed::Absent,
                Some((c, true)) => {
                    Typed::Native(c.bool().map_err(|e| Error::data(path, e))?.clone())
                }
                Some((c, false)) => Typed::Text(as_str(&c)?),
            });
        }
        let mut dates = Vec::new();
        for f in DATE_FIELDS {
            dates.push(match typed(f, &DataType::Date)? {
                None => Typed::Absent,
                Some((c, true)) => {
                    let d = c.date().map_err(|e| Error::data(path, e))?;
                    Typed::Native(d.physical().clone())
                }
                Some((c, false)) => Typed::Text(as_str(&c)?),
            });
        }
        Ok(FrameColumns {
            n: df.height(),
            id: id.str().map_err(|e| Error::data(path, e))?.clone(),
            strs,
            ints,
            bools,
            dates,
        })
    }

    fn window(&self, start: usize, len: usize) -> FrameColumns {
        let text = |c: &StringChunked| c.slice(start as i64, len).rechunk().into_owned();
        FrameColumns {
            n: len,
            id: text(&self.id),
            strs: self.strs.iter().map(|c| c.as_ref().map(text)).collect(),
            ints: self.ints.iter().map(|c| c.window(start, len)).collect(),
            bools: self.bools.iter().map(|c| c.window(start, len)).collect(),
            dates: self.dates.iter().map(|c| c.window(start, len)).collect(),
        }
    }
}

/// The array type of a polars column type.
type Arr<T> = <T as PolarsDataType>::Array;

/// A column of a window: absent, of its native type, or text to parse.
type Cell<A> = Typed<A, Arr<StringType>>;

/// The columns of a window, each as its one arrow array: a row read is a bounds check, the
/// validity bit and the value, with no chunk lookup and no dynamic call (polars'
/// `ChunkedArray::get` does both, for each of a record's 23 fields).
struct WindowColumns {
    id: Arr<StringType>,
    strs: Vec<Option<Arr<StringType>>>,
    ints: Vec<Cell<Arr<Int64Type>>>,
    bools: Vec<Cell<Arr<BooleanType>>>,
    dates: Vec<Cell<Arr<Int32Type>>>,
}

/// A column as one array (made contiguous first if it is not).
fn one<T: PolarsDataType>(c: &ChunkedArray<T>) -> Arr<T> {
    c.rechunk().downcast_as_array().clone()
}

/// A window's column as one array.
fn cell<T: PolarsDataType>(t: &Typed<ChunkedArray<T>>) -> Cell<Arr<T>> {
    match t {
        Typed::Absent => Typed::Absent,
        Typed::Native(c) => Typed::Native(one(c)),
        Typed::Text(c) => Typed::Text(one(c)),
    }
}

impl WindowColumns {
    fn of(f: &FrameColumns) -> WindowColumns {
        WindowColumns {
            id: one(&f.id),
            strs: f.strs.iter().map(|c| c.as_ref().map(one)).collect(),
            ints: f.ints.iter().map(cell).collect(),
            bools: f.bools.iter().map(cell).collect(),
            dates: f.dates.iter().map(cell).collect(),
        }
    }

    fn s(&self, k: usize, i: usize) -> Option<&str> {
        self.strs[k]
            .as_ref()
            .and_then(|c| c.get(i))
            .filter(|s| !s.is_empty())
    }

    fn int(&self, k: usize, i: usize) -> Result<Option<i64>, InputError> {
        match &self.ints[k] {
            Typed::Absent => Ok(None),
            Typed::Native(c) => Ok(c.get(i)),
            Typed::Text(c) => parse_text(INT_FIELDS[k], c.get(i), "an integer", |s| s.parse().ok()),
        }
    }

    fn flag(&self, k: usize, i: usize) -> Result<Option<bool>, InputError> {
        match &self.bools[k] {
            Typed::Absent => Ok(None),
            Typed::Native(c) => Ok(c.get(i)),
            Typed::Text(c) => parse_text(
                BOOL_FIELDS[k],
                c.get(i),
                "a flag (true/false, si/no, 1/0)",
                |s| match s.to_ascii_lowercase().as_str() {
                    "true" | "si" | "sì" | "s" | "1" => Some(true),
                    "false" | "no" | "n" | "0" => Some(false),
                    _ => None,
                },
            ),
        }
    }

    fn date(&self, k: usize, i: usize) -> Result<Option<NaiveDate>, InputError> {
        match &self.dates[k] {
            Typed::Absent => Ok(None),
            Typed::Native(c) => c
                .get(i)
                .map(|days| {
                    date_from_days(days).ok_or_else(|| {
                        InputError::new(
                            DATE_FIELDS[k],
                            FieldReason::OutOfRange {
                                value: format!("{days} days from 1970-01-01"),
                                range: "the years -262143 to 262142",
                            },
                        )
                    })
                })
                .transpose(),
            Typed::Text(c) => parse_text(DATE_FIELDS[k], c.get(i), "a date YYYY-MM-DD", |s| {
                s.parse().ok()
            }),
        }
    }

    fn view<'a>(
        &'a self,
        i: usize,
        scratch: &'a mut Vec<Sospensione>,
    ) -> Result<RecordView<'a>, InputError> {
        *scratch = match self.s(10, i) {
            Some(text) => parse_suspensions(text)?,
            None => Vec::new(),
        };
        Ok(RecordView {
            id: self.id.get(i).unwrap_or(""),
            codice_fiscale: self.s(0, i),
            data_nascita: self.date(0, i)?,
            eta: self.int(0, i)?,
            genere: self.s(1, i),
            cittadinanza: self.s(2, i),
            durata_presenza_in_italia: self.s(3, i),
            titolo_di_studio: self.s(4, i),
            provincia_di_residenza: self.s(5, i),
            comune_domicilio: self.s(6, i),
            ha_mai_avuto_un_lavoro: self.flag(0, i)?,
            condizione_occupazionale_un_anno_prima: self.s(7, i),
            mesi_concluso_ultimo_rapp_lavoro: self.int(1, i)?,
            posizione_professione_ultima_occupazione: self.s(8, i),
            mesi_sta_cercando_lavoro: self.int(2, i)?,
            iscritto_scuola_o_corso: self.s(9, i),
            numero_componenti_famiglia: self.int(3, i)?,
            presenza_figli_a_carico: self.flag(1, i)?,
            presenza_figli_a_carico_meno_18_anni: self.flag(2, i)?,
            data_did: self.date(1, i)?,
            sospensioni: scratch.as_slice(),
            percettore_naspi: self.flag(3, i)?,
            data_fine_ultimo_rapporto: self.date(2, i)?,
        })
    }
}

fn parse_text<T>(
    field: &str,
    raw: Option<&str>,
    expected: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, InputError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            InputError::new(
                field,
                FieldReason::Malformed {
                    value: s.to_owned(),
                    expected,
                },
            )
        }),
    }
}

/// Days since 1970-01-01 to a date; `None` outside the dates chrono holds (a Parquet date
/// column can hold any `i32`).
pub(super) fn date_from_days(days: i32) -> Option<NaiveDate> {
    days.checked_add(EPOCH_CE)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// A date to days since 1970-01-01.
pub(super) fn days_from_date(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_CE
}

use chrono::Datelike;
const EPOCH_CE: i32 = 719_163;

fn read_jsonl(path: &Path) -> Result<Vec<ProfileRecord>> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let rec: ProfileRecord = serde_json::from_str(&line).map_err(|e| {
            Error::Input(
                InputError::new(
                    json_field(&e),
                    FieldReason::Malformed {
                        value: e.to_string(),
                        expected: "a profile record",
                    },
                )
                .with_row(n + 1),
            )
        })?;
        out.push(rec);
    }
    Ok(out)
}

/// The field a serde_json error is about, when its message names one.
fn json_field(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    msg.split('`').nth(1).unwrap_or("record").to_owned()
}

/// Writes a population made block by block (`block(0..blocks)`, in parallel, kept in block
/// order) to `path` (format by extension), atomically.
pub fn write_records(
    path: &Path,
    blocks: usize,
    block: impl Fn(usize) -> Vec<ProfileRecord> + Send + Sync,
) -> Result<()> {
    let format = Format::of(path)?;
    let records: Vec<Vec<ProfileRecord>> = (0..blocks).into_par_iter().map(block).collect();
    match format {
        Format::JsonLines => atomic_write(path, |w| {
            for r in records.iter().flatten() {
                serde_json::to_writer(&mut *w, r).map_err(|e| Error::data(path, e))?;
                w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
            }
            Ok(())
        }),
        Format::Parquet | Format::Csv => {
            let mut df =
                people_frame(records.iter().flatten()).map_err(|e| Error::data(path, e))?;
            atomic_write(path, |w| {
                let r = if format == Format::Parquet {
                    ParquetWriter::new(w)
                        .with_compression(ParquetCompression::Snappy)
                        .finish(&mut df)
                        .map(|_| ())
                } else {
                    CsvWriter::new(w).include_header(true).finish(&mut df)
                };
                r.map_err(|e| Error::data(path, e))
            })
        }
    }
}

fn people_frame<'a>(
    records: impl Iterator<Item = &'a ProfileRecord> + Clone,
) -> PolarsResult<DataFrame> {
    let s = |name: &str, f: fn(&ProfileRecord) -> Option<&str>| {
        Column::new(
            name.into(),
            records
                .clone()
                .map(f)
                .collect::<StringChunked>()
                .into_series(),
        )
    };
    let i = |name: &str, f: fn(&ProfileRecord) -> Option<i64>| {
        Column::new(
            name.into(),
            records
                .clone()
                .map(f)
                .collect::<Int64Chunked>()
                .into_series(),
        )
    };
    let b = |name: &str, f: fn(&ProfileRecord) -> Option<bool>| {
        Column::new(
            name.into(),
            records
                .clone()
                .map(f)
                .collect::<BooleanChunked>()
                .into_series(),
        )
    };
    let d = |name: &str, f: fn(&ProfileRecord) -> Option<NaiveDate>| -> PolarsResult<Column> {
        let ca: Int32Chunked = records.clone().map(|r| f(r).map(days_from_date)).collect();
        Ok(Column::new(name.into(), ca.into_date().into_series()))
    };
    let sosp: StringChunked = records
        .clone()
        .map(|r| (!r.sospensioni.is_empty()).then(|| format_suspensions(&r.sospensioni)))
        .collect();
    let mut columns = vec![
        s("Id", |r| Some(r.id.as_str())),
        d("DataNascita", |r| r.data_nascita)?,
        s("Genere", |r| r.genere.as_deref()),
        s("Cittadinanza", |r| r.cittadinanza.as_deref()),
        s("DurataPresenzaInItalia", |r| {
            r.durata_presenza_in_italia.as_deref()
        }),
        s("TitoloDiStudio", |r| r.titolo_di_studio.as_deref()),
        s("ProvinciaDiResidenza", |r| {
            r.provincia_di_residenza.as_deref()
        }),
        s("ComuneDomicilio", |r| r.comune_domicilio.as_deref()),
        b("HaMaiAvutoUnLavoro", |r| r.ha_mai_avuto_un_lavoro),
        s("CondizioneOccupazionaleUnAnnoPrima", |r| {
            r.condizione_occupazionale_un_anno_prima.as_deref()
        }),
        i("DaQuantiMesiConclusoUltimoRappLavoro", |r| {
            r.mesi_concluso_ultimo_rapp_lavoro
        }),
        s("PosizioneProfessioneUltimaOccupazione", |r| {
            r.posizione_professione_ultima_occupazione.as_deref()
        }),
        i("DaQuantiMesiStaCercandoLavoro", |r| {
            r.mesi_sta_cercando_lavoro
        }),
        s("AttualmenteIscrittoScuolaUniversitaOCorsoFormazione", |r| {
            r.iscritto_scuola_o_corso.as_deref()
        }),
        i("NumeroComponentiFamiglia", |r| r.numero_componenti_famiglia),
        b("PresenzaFigliACarico", |r| r.presenza_figli_a_carico),
        b("PresenzaFigliACaricoMeno18Anni", |r| {
            r.presenza_figli_a_carico_meno_18_anni
        }),
        d("DataDID", |r| r.data_did)?,
        Column::new("Sospensioni".into(), sosp.into_series()),
        b("PercettoreNASpI", |r| r.percettore_naspi),
    ];
    // Written only when some record has it: files of people without it keep their columns.
    if records
        .clone()
        .any(|r| r.data_fine_ultimo_rapporto.is_some())
    {
        columns.push(d("DataFineUltimoRapporto", |r| {
            r.data_fine_ultimo_rapporto
        })?);
    }
    DataFrame::new_infer_height(columns)
}
