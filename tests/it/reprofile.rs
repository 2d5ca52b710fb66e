//! The 90-day re-profiling job: selection, carry-over, rejects, determinism.

use std::fs::File;
use std::path::{Path, PathBuf};

use incrocio_batch::{INPUT_DIGEST_FORMAT, OnError, ReprofileOptions, RowStatus, reprofile};
use incrocio_core::digest::RecordHashFormat;
use incrocio_core::reference::Reference;
use incrocio_profiling::Profiler;
use incrocio_synth::PeopleSpec;
use incrocio_synth::write_people;
use polars::prelude::*;

const HEADER: &str = "Id,DataNascita,Genere,Cittadinanza,TitoloDiStudio,ProvinciaDiResidenza,ComuneDomicilio,CondizioneOccupazionaleUnAnnoPrima,DataDID,Sospensioni,PercettoreNASpI";

fn row(id: &str, prov: &str, did: &str) -> String {
    format!("{id},1980-01-01,F,000,40000000,{prov},,disoccupato,{did},,true")
}

fn write(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    p
}

/// How a test run differs from [`Knobs::default`]: stop at the first bad row, chunks of 2 rows
/// (several chunks even for a few rows), digests in [`INPUT_DIGEST_FORMAT`].
struct Knobs {
    on_error: OnError,
    rejects: Option<PathBuf>,
    chunk_rows: usize,
    format: RecordHashFormat,
}

impl Knobs {
    /// The defaults, input digests in `format`.
    fn digests(format: RecordHashFormat) -> Knobs {
        Knobs {
            format,
            ..Knobs::default()
        }
    }

    /// The defaults, in chunks of `rows` (a Parquet input is read a window per chunk).
    fn chunks(rows: usize) -> Knobs {
        Knobs {
            chunk_rows: rows,
            ..Knobs::default()
        }
    }
}

impl Default for Knobs {
    fn default() -> Knobs {
        Knobs {
            on_error: OnError::Fail,
            rejects: None,
            chunk_rows: 2,
            format: INPUT_DIGEST_FORMAT,
        }
    }
}

fn run(
    input: &Path,
    previous: Option<&Path>,
    output: &Path,
    as_of: &str,
    on_error: OnError,
    rejects: Option<PathBuf>,
) -> incrocio_core::Result<incrocio_batch::ReprofileReport> {
    let knobs = Knobs {
        on_error,
        rejects,
        ..Knobs::default()
    };
    run_with(input, previous, output, as_of, knobs)
}

fn run_with(
    input: &Path,
    previous: Option<&Path>,
    output: &Path,
    as_of: &str,
    knobs: Knobs,
) -> incrocio_core::Result<incrocio_batch::ReprofileReport> {
    let c = crate::catalog();
    let p = Profiler {
        model: c.profiling("did").unwrap(),
        adr: c.adr(None).unwrap(),
        reference: Reference::bundled(),
    };
    let opts = ReprofileOptions {
        input: input.to_path_buf(),
        previous: previous.map(Path::to_path_buf),
        output: output.to_path_buf(),
        as_of: as_of.parse().unwrap(),
        threads: 2,
        on_error: knobs.on_error,
        rejects: knobs.rejects,
        progress: false,
        chunk_rows: knobs.chunk_rows,
        overrides: None,
        input_digest_format: knobs.format,
    };
    reprofile(&p, &opts)
}

/// The value of a key of an output's file metadata.
fn metadata(path: &Path, key: &str) -> Option<String> {
    let mut reader = ParquetReader::new(File::open(path).unwrap());
    let kv = reader
        .get_metadata()
        .unwrap()
        .key_value_metadata
        .clone()
        .unwrap();
    kv.iter()
        .find(|x| x.key == key)
        .and_then(|x| x.value.clone())
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    df.column(col)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap_or("").to_owned())
        .collect()
}

#[test]
fn ninety_day_selection_and_carry_over() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = write(
        d,
        "people.csv",
        &[
            row("A", "RM", "2026-01-10"),
            row("B", "MI", "2026-02-01"),
            row("C", "NA", "2026-03-01"),
        ],
    );
    let first = d.join("first.parquet");
    let r = run(&people, None, &first, "2026-06-01", OnError::Fail, None).unwrap();
    assert_eq!(r.by_status.get(&RowStatus::New), Some(&3));
    assert_eq!(r.output_rows, 3);
    // Provenance shared by every row travels in the file metadata.
    let get = |k: &str| metadata(&first, k).unwrap();
    assert_eq!(get("incrocio.model"), "did@v2");
    assert_eq!(get("incrocio.model_status"), "illustrative");
    assert!(get("incrocio.model_digest").starts_with("sha256:"));
    assert_eq!(get("incrocio.adr_rules"), "adr-delibera-anpal-14-2018@v1");

    // 30 days later: B's record changed, D is new, C left the register; A is carried over.
    let people2 = write(
        d,
        "people2.csv",
        &[
            row("A", "RM", "2026-01-10"),
            row("B", "TO", "2026-02-01"),
            row("D", "BA", "2026-05-01"),
        ],
    );
    let second = d.join("second.parquet");
    let r = run(
        &people2,
        Some(&first),
        &second,
        "2026-07-01",
        OnError::Fail,
        None,
    )
    .unwrap();
    assert_eq!(r.by_status.get(&RowStatus::CarriedOver), Some(&1));
    assert_eq!(r.by_status.get(&RowStatus::InputChanged), Some(&1));
    assert_eq!(r.by_status.get(&RowStatus::New), Some(&1));
    assert_eq!(r.dropped_from_previous, 1);
    let df = read(&second);
    assert_eq!(strings(&df, "person_id"), ["A", "B", "D"]);
    assert_eq!(
        strings(&df, "status"),
        ["carried_over", "input_changed", "new"]
    );
    // The carried-over row is the previous row, unchanged (same date, digest, index).
    let prev = read(&first);
    let a_prev = prev.slice(0, 1).drop("status").unwrap();
    let a_now = df.slice(0, 1).drop("status").unwrap();
    assert!(a_prev.equals_missing(&a_now));
    let profiled = df
        .column("profiled_at")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let profiled: Vec<_> = profiled
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_owned())
        .collect();
    assert_eq!(profiled, ["2026-06-01", "2026-07-01", "2026-07-01"]);

    // Day 89 after A's profile: still carried; day 90: due.
    let third = d.join("third.parquet");
    let r = run(
        &people2,
        Some(&second),
        &third,
        "2026-08-29",
        OnError::Fail,
        None,
    )
    .unwrap();
    assert_eq!(r.by_status.get(&RowStatus::CarriedOver), Some(&3));
    let r = run(
        &people2,
        Some(&second),
        &third,
        "2026-08-30",
        OnError::Fail,
        None,
    )
    .unwrap();
    assert_eq!(r.by_status.get(&RowStatus::Due), Some(&1));
    assert_eq!(r.by_status.get(&RowStatus::CarriedOver), Some(&2));
}

/// A previous output in SHA-256 (as every engine before the format key wrote them) is compared
/// in SHA-256: an unchanged record is carried over, a changed one is re-profiled, and the new
/// file holds every digest in XXH3-64, the same as a fresh run's. And back: an XXH3 file read
/// by a run writing SHA-256.
#[test]
fn a_previous_output_is_compared_in_its_own_digest_format() {
    use RecordHashFormat::{Sha256First64, Xxh3_64};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = [row("A", "RM", "2026-01-10"), row("B", "MI", "2026-02-01")];
    let people = write(d, "people.csv", &rows);
    let old = d.join("old.parquet");
    run_with(
        &people,
        None,
        &old,
        "2026-06-01",
        Knobs::digests(Sha256First64),
    )
    .unwrap();
    let key = "incrocio.input_digest_format";
    assert_eq!(metadata(&old, key), None);
    assert!(
        metadata(&old, "incrocio.input_digest")
            .unwrap()
            .contains("SHA-256")
    );
    let fresh = d.join("fresh.parquet");
    run_with(&people, None, &fresh, "2026-06-20", Knobs::digests(Xxh3_64)).unwrap();
    assert_eq!(metadata(&fresh, key).as_deref(), Some("xxh3-64"));
    let digests = |p: &Path| -> Vec<Option<i64>> {
        read(p)
            .column("input_digest")
            .unwrap()
            .i64()
            .unwrap()
            .to_vec()
    };
    let (sha, xxh) = (digests(&old), digests(&fresh));
    assert!(sha.iter().zip(&xxh).all(|(a, b)| a.is_some() && a != b));

    // 19 days later B moved: A is carried over, B re-profiled; both digests now in XXH3.
    let moved = write(
        d,
        "moved.csv",
        &[rows[0].clone(), row("B", "TO", "2026-02-01")],
    );
    let next = d.join("next.parquet");
    let r = run_with(
        &moved,
        Some(&old),
        &next,
        "2026-06-20",
        Knobs::digests(Xxh3_64),
    )
    .unwrap();
    assert_eq!(r.by_status.get(&RowStatus::CarriedOver), Some(&1));
    assert_eq!(r.by_status.get(&RowStatus::InputChanged), Some(&1));
    assert_eq!(metadata(&next, key).as_deref(), Some("xxh3-64"));
    let now = digests(&next);
    assert_eq!(now[0], xxh[0]);
    assert_ne!(now[1], xxh[1]);
    // Apart from its status and digest, A's row is the old row.
    let strip = |df: DataFrame| df.slice(0, 1).drop_many(["status", "input_digest"]);
    assert!(strip(read(&old)).equals_missing(&strip(read(&next))));

    // Unchanged, the XXH3 file read by a run in SHA-256: everyone carried over, in SHA-256.
    let back = d.join("back.parquet");
    let r = run_with(
        &people,
        Some(&fresh),
        &back,
        "2026-06-21",
        Knobs::digests(Sha256First64),
    )
    .unwrap();
    assert_eq!(r.by_status.get(&RowStatus::CarriedOver), Some(&2));
    assert_eq!(digests(&back), sha);
    assert_eq!(metadata(&back, key), None);
}

/// A previous output naming a digest format this engine does not know is refused, naming the
/// key and the value, not read as SHA-256 (every row would be re-profiled) or as XXH3.
#[test]
fn a_previous_output_in_an_unknown_digest_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = write(d, "people.csv", &[row("A", "RM", "2026-01-10")]);
    let first = d.join("first.parquet");
    run(&people, None, &first, "2026-06-01", OnError::Fail, None).unwrap();
    // The same file, its metadata copied but for the format.
    let mut reader = ParquetReader::new(File::open(&first).unwrap());
    let kv: Vec<(String, String)> = reader
        .get_metadata()
        .unwrap()
        .key_value_metadata
        .clone()
        .unwrap()
        .into_iter()
        .map(|x| {
            let value = match x.key.as_str() {
                "incrocio.input_digest_format" => "md5-64".to_owned(),
                _ => x.value.unwrap_or_default(),
            };
            (x.key, value)
        })
        .collect();
    assert!(
        kv.iter()
            .any(|(k, v)| k == "incrocio.input_digest_format" && v == "md5-64")
    );
    let mut df = read(&first);
    let relabelled = d.join("relabelled.parquet");
    ParquetWriter::new(File::create(&relabelled).unwrap())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(&mut df)
        .unwrap();
    let e = run(
        &people,
        Some(&relabelled),
        &d.join("next.parquet"),
        "2026-06-20",
        OnError::Fail,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("incrocio.input_digest_format") && e.contains("md5-64"),
        "{e}"
    );
}

#[test]
fn bad_rows_fail_with_row_and_field_or_go_to_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = [
        row("OK1", "RM", "2026-01-10"),
        row("BADPROV", "XX", "2026-01-10"),
        row("FUTURE", "RM", "2026-12-01"),
        "YOUNG,2015-01-01,F,000,40000000,RM,,disoccupato,2026-01-10,,true".to_owned(),
        "BADCOMUNE,1980-01-01,F,000,40000000,RM,999999,disoccupato,2026-01-10,,true".to_owned(),
        "BADDATE,1980-13-01,F,000,40000000,RM,,disoccupato,2026-01-10,,true".to_owned(),
        row("OK2", "MI", "2026-01-10"),
    ];
    let people = write(d, "people.csv", &rows);
    let out = d.join("out.parquet");
    let e = run(&people, None, &out, "2026-06-01", OnError::Fail, None).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("row 2") && msg.contains("ProvinciaDiResidenza"),
        "{msg}"
    );
    assert!(!out.exists(), "no output on failure");

    let rejects = d.join("rejects.csv");
    let r = run(
        &people,
        None,
        &out,
        "2026-06-01",
        OnError::Skip,
        Some(rejects.clone()),
    )
    .unwrap();
    assert_eq!((r.input_rows, r.output_rows, r.rejected), (7, 2, 5));
    let text = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "row,id,field,reason");
    assert!(
        lines[1].starts_with("2,BADPROV,ProvinciaDiResidenza,unknown code `XX`"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("3,FUTURE,DataDID,DID date 2026-12-01 is after"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("4,YOUNG,DataNascita,impossible age 11"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("5,BADCOMUNE,ComuneDomicilio,unknown code"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("6,BADDATE,DataNascita,`1980-13-01` is not a date"),
        "{}",
        lines[5]
    );
    assert_eq!(strings(&read(&out), "person_id"), ["OK1", "OK2"]);
}

#[test]
fn byte_identical_with_one_or_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = d.join("people.parquet");
    let as_of = "2026-11-23".parse().unwrap();
    write_people(
        &people,
        &PeopleSpec {
            n: 30_000,
            seed: 3,
            as_of,
        },
        Reference::bundled(),
    )
    .unwrap();
    let c = crate::catalog();
    let p = Profiler {
        model: c.profiling("did").unwrap(),
        adr: c.adr(None).unwrap(),
        reference: Reference::bundled(),
    };
    // 8 chunks of 4,096 rows: the chunks are scored on different threads in any order.
    let mut outputs = Vec::new();
    for (threads, chunk_rows) in [(1, 4096), (2, 4096), (2, 0)] {
        let output = d.join(format!("out-{threads}-{chunk_rows}.parquet"));
        let opts = ReprofileOptions {
            input: people.clone(),
            previous: None,
            output: output.clone(),
            as_of,
            threads,
            on_error: OnError::Fail,
            rejects: None,
            progress: false,
            chunk_rows,
            overrides: None,
            input_digest_format: INPUT_DIGEST_FORMAT,
        };
        let r = reprofile(&p, &opts).unwrap();
        assert_eq!(r.output_rows, 30_000);
        outputs.push(output);
    }
    let bytes = |p: &PathBuf| std::fs::read(p).unwrap();
    assert_eq!(bytes(&outputs[0]), bytes(&outputs[1]));
    // Another chunk size changes the row groups, never the rows.
    assert!(read(&outputs[0]).equals_missing(&read(&outputs[2])));
    // Rows stay in input order across chunk boundaries.
    assert_eq!(
        strings(&read(&outputs[0]), "person_id"),
        strings(&read(&people), "Id")
    );
}

#[test]
fn csv_jsonl_and_parquet_inputs_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let as_of = "2026-11-23".parse().unwrap();
    let spec = PeopleSpec {
        n: 2_000,
        seed: 9,
        as_of,
    };
    let mut digests = Vec::new();
    for ext in ["parquet", "csv", "jsonl"] {
        let input = d.join(format!("people.{ext}"));
        write_people(&input, &spec, Reference::bundled()).unwrap();
        let out = d.join(format!("out-{ext}.parquet"));
        run(&input, None, &out, "2026-11-23", OnError::Fail, None).unwrap();
        let df = read(&out);
        digests.push((
            df.column("input_digest").unwrap().i64().unwrap().to_vec(),
            df.column("index").unwrap().f64().unwrap().to_vec(),
        ));
    }
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0], digests[2]);
}

/// A previous output in the input's order is read window by window; one in another order is
/// read whole and matched by id. Both give the same rows (issue 13.1).
#[test]
fn previous_output_in_input_order_or_not_gives_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = d.join("people.parquet");
    write_people(
        &people,
        &PeopleSpec {
            n: 20_000,
            seed: 5,
            as_of: "2026-11-23".parse().unwrap(),
        },
        Reference::bundled(),
    )
    .unwrap();
    // The same people, last first: against the first run's output, the rows do not align.
    let mut reversed = read(&people).reverse();
    let reversed_path = d.join("people-reversed.parquet");
    ParquetWriter::new(File::create(&reversed_path).unwrap())
        .finish(&mut reversed)
        .unwrap();
    let first = d.join("p1.parquet");
    run_with(&people, None, &first, "2026-11-23", Knobs::chunks(4096)).unwrap();
    // 8 days later nobody is due: every row is carried over from the previous file; 100 days
    // later everyone is due and re-profiled against the previous class.
    for as_of in ["2026-12-01", "2027-03-03"] {
        let aligned = d.join(format!("aligned-{as_of}.parquet"));
        let by_id = d.join(format!("by-id-{as_of}.parquet"));
        let a = run_with(&people, Some(&first), &aligned, as_of, Knobs::chunks(4096)).unwrap();
        let b = run_with(
            &reversed_path,
            Some(&first),
            &by_id,
            as_of,
            Knobs::chunks(4096),
        )
        .unwrap();
        assert_eq!(a.by_status, b.by_status, "{as_of}");
        assert_eq!(a.transitions, b.transitions, "{as_of}");
        assert_eq!(a.output_rows, 20_000);
        assert!(
            read(&aligned).equals_missing(&read(&by_id).reverse()),
            "{as_of}: the rows differ"
        );
    }
}

/// A population lists each person once: the first id met again is refused before anything is
/// written, naming the row where it repeats and the row where it first appeared. The same from
/// a CSV file and from a Parquet file of several row groups (read by chunks).
#[test]
fn a_repeated_id_is_refused_naming_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Rows 1–8: B repeats at row 4 (first at 2), A at row 6 (first at 1), B again at 8.
    let ids = ["A", "B", "C", "B", "D", "A", "E", "B"];
    let rows: Vec<String> = ids.iter().map(|id| row(id, "RM", "2026-01-10")).collect();
    let csv = write(d, "people.csv", &rows);
    let parquet = d.join("people.parquet");
    let mut df = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(csv.clone()))
        .unwrap()
        .finish()
        .unwrap();
    ParquetWriter::new(File::create(&parquet).unwrap())
        .with_row_group_size(Some(3))
        .finish(&mut df)
        .unwrap();
    // Several row groups, so the ids are read as several chunks.
    let ids = ParquetReader::new(File::open(&parquet).unwrap())
        .with_columns(Some(vec!["Id".into()]))
        .set_rechunk(false)
        .finish()
        .unwrap();
    assert!(ids.column("Id").unwrap().n_chunks() > 1);
    for input in [&csv, &parquet] {
        let out = d.join("out.parquet");
        let err = run(input, None, &out, "2026-11-23", OnError::Skip, None).unwrap_err();
        let incrocio_core::Error::Input(e) = err else {
            panic!("{input:?}: {err}")
        };
        assert_eq!(
            (e.field.as_str(), e.row, e.record_id.as_deref()),
            ("Id", Some(4), Some("B")),
            "{input:?}"
        );
        assert!(e.to_string().contains("also on row 2"), "{e}");
        assert!(!out.exists(), "{input:?}: nothing is written");
    }
}

#[test]
fn the_output_dictionary_encodes_its_f64_columns_and_stores_digests_uncompressed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = d.join("people.parquet");
    let output = d.join("out.parquet");
    let as_of = "2026-11-23".parse().unwrap();
    let spec = PeopleSpec {
        n: 5_000,
        seed: 11,
        as_of,
    };
    write_people(&people, &spec, Reference::bundled()).unwrap();
    run_with(&people, None, &output, "2026-11-23", Knobs::chunks(4096)).unwrap();
    let mut reader = ParquetReader::new(File::open(&output).unwrap());
    let meta = reader.get_metadata().unwrap().clone();
    assert_eq!(meta.row_groups.len(), 2, "5,000 rows in chunks of 4,096");
    for rg in &meta.row_groups {
        for c in rg.parquet_columns() {
            let name = c.descriptor().path_in_schema[0].as_str();
            let dictionary = c.dictionary_page_offset().is_some();
            let compressed = format!("{:?}", c.compression());
            match name {
                // Unique by construction: plain.
                "person_id" | "input_digest" => assert!(!dictionary, "{name}"),
                // A feature's contribution takes one value per level of the feature (at
                // most a province's worth): a dictionary. The index and the linear
                // predictor get one too when a chunk repeats enough of them.
                n if n.starts_with("contrib_") => assert!(dictionary, "{name}"),
                _ => {}
            }
            let expected = if name == "input_digest" {
                "Uncompressed"
            } else {
                "Lz4Raw"
            };
            assert_eq!(compressed, expected, "{name}");
        }
    }
    // The schema is polars' for the same columns.
    let df = read(&output);
    let dtype = |c: &str| df.column(c).unwrap().dtype().clone();
    assert_eq!(dtype("person_id"), DataType::String);
    assert_eq!(dtype("status"), DataType::String);
    assert_eq!(dtype("class_label"), DataType::String);
    assert_eq!(dtype("model_id"), DataType::String);
    assert_eq!(dtype("index"), DataType::Float64);
    assert_eq!(dtype("contrib_eta"), DataType::Float64);
    assert_eq!(dtype("class"), DataType::Int32);
    assert_eq!(dtype("input_digest"), DataType::Int64);
    assert_eq!(dtype("profiled_at"), DataType::Date);
    assert_eq!(dtype("adr_eligible"), DataType::Boolean);
    assert_eq!(df.height(), 5_000);
    // The intercept and the contributions add up to the linear predictor row by row (the
    // values survive the dictionaries).
    let intercept = crate::catalog().profiling("did").unwrap().intercept;
    let contribs: Vec<&str> = df
        .get_column_names()
        .into_iter()
        .filter(|n| n.starts_with("contrib_"))
        .map(|n| n.as_str())
        .collect();
    let linear = df.column("linear_predictor").unwrap().f64().unwrap();
    for row in (0..5_000).step_by(97) {
        let sum: f64 = intercept
            + contribs
                .iter()
                .map(|c| df.column(c).unwrap().f64().unwrap().get(row).unwrap())
                .sum::<f64>();
        let l = linear.get(row).unwrap();
        assert!((sum - l).abs() < 1e-9, "row {row}: {sum} against {l}");
    }
}

/// A Parquet date column can hold any 32-bit day count; one outside the dates chrono holds is a
/// named error on its row, not a date read as year −262143.
#[test]
fn a_parquet_date_beyond_the_calendar_is_refused_naming_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = write(
        d,
        "p.csv",
        &[row("A", "RM", "2026-01-10"), row("B", "RM", "2026-01-10")],
    );
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(csv))
        .unwrap()
        .finish()
        .unwrap();
    // 2026-01-10 is day 20,463 from 1970-01-01; row 2 holds the largest day count.
    let did = Int32Chunked::from_vec("DataDID".into(), vec![20_463, i32::MAX])
        .into_date()
        .into_column();
    df.with_column(did).unwrap();
    let profile = |df: &mut DataFrame| {
        let people = d.join("p.parquet");
        ParquetWriter::new(File::create(&people).unwrap())
            .finish(df)
            .unwrap();
        let output = d.join("out.parquet");
        run(&people, None, &output, "2026-11-23", OnError::Fail, None)
    };
    let e = profile(&mut df).unwrap_err().to_string();
    assert!(
        e.contains("row 2") && e.contains("DataDID") && e.contains("2147483647 days"),
        "{e}"
    );
    assert!(!d.join("out.parquet").exists());
    // The same file with the row left out is profiled, its date read as written.
    let r = profile(&mut df.slice(0, 1)).unwrap();
    assert_eq!(r.output_rows, 1);
}

/// Issue 29: under did@v2 an unanswered TitoloDiStudio or CondizioneOccupazionaleUnAnnoPrima
/// is scored as its reference level and listed in `missing_answers`; a row carried over from a
/// previous output keeps its list.
#[test]
fn unanswered_questions_are_listed_and_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(
        d,
        "people.csv",
        &[
            row("A", "MI", "2026-01-31"),
            "B,1980-01-01,F,000,,MI,,disoccupato,2026-01-31,,true".to_owned(),
            "C,1980-01-01,F,000,,MI,,,2026-01-31,,true".to_owned(),
        ],
    );
    let first = d.join("first.parquet");
    run(&input, None, &first, "2026-11-23", OnError::Fail, None).unwrap();
    let df = read(&first);
    assert_eq!(
        strings(&df, "missing_answers"),
        ["", "titolo_studio", "titolo_studio,condizione_anno_prima"]
    );
    // did@v2: the unanswered questions score as their reference levels (diploma 0.0, occupato
    // 0.0); A's and B's answers are a diploma (40000000, also 0.0) and disoccupato (0.45).
    let contrib = |col: &str| -> Vec<f64> {
        df.column(col)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect()
    };
    assert_eq!(contrib("contrib_titolo_studio"), [0.0, 0.0, 0.0]);
    assert_eq!(contrib("contrib_condizione_anno_prima"), [0.45, 0.45, 0.0]);
    let second = d.join("second.parquet");
    run(
        &input,
        Some(&first),
        &second,
        "2026-12-01",
        OnError::Fail,
        None,
    )
    .unwrap();
    let df2 = read(&second);
    assert_eq!(strings(&df2, "status"), ["carried_over"; 3]);
    assert_eq!(
        strings(&df2, "missing_answers"),
        strings(&df, "missing_answers")
    );
}
