//! The graduatoria's files: applicant files (CSV/JSON) and the published graduatoria CSV.

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::{Applicant, Graduatoria};
use incrocio_core::error::{Error, FieldReason, InputError, Result};
use incrocio_core::period::parse_suspensions;

/// A CSV row of an applicants file: every column text (borrowed from the row read), empty
/// meaning absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicantRow<'a> {
    id: &'a str,
    data_nascita: &'a str,
    #[serde(default)]
    data_did: &'a str,
    #[serde(default)]
    sospensioni: &'a str,
    #[serde(default)]
    data_iscrizione: &'a str,
    #[serde(default)]
    isee: &'a str,
    #[serde(default)]
    isee_valido: &'a str,
    #[serde(default)]
    carichi: &'a str,
    #[serde(default)]
    carichi_invalidi: &'a str,
    #[serde(default)]
    invalidita: &'a str,
    #[serde(default)]
    reddito: &'a str,
    #[serde(default)]
    riserve: &'a str,
}

fn opt<T>(
    field: &str,
    raw: &str,
    expected: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, InputError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    parse(raw).map(Some).ok_or_else(|| {
        InputError::new(
            field,
            FieldReason::Malformed {
                value: raw.to_owned(),
                expected,
            },
        )
    })
}

fn date(field: &str, raw: &str) -> Result<Option<NaiveDate>, InputError> {
    opt(field, raw, "a date YYYY-MM-DD", |s| s.parse().ok())
}

fn decimal(field: &str, raw: &str) -> Result<Option<Decimal>, InputError> {
    opt(field, raw, "a decimal number with `.` as separator", |s| {
        s.parse().ok()
    })
}

/// Euro amounts: at most two decimals, so `12.500` (Italian thousands separator) is refused
/// rather than read as twelve and a half euro.
fn money(field: &str, raw: &str) -> Result<Option<Decimal>, InputError> {
    opt(
        field,
        raw,
        "an amount in euro with `.` for cents and no thousands separator (e.g. 12500.00)",
        |s| s.parse::<Decimal>().ok().filter(|d| d.scale() <= 2),
    )
}

fn count(field: &str, raw: &str) -> Result<u32, InputError> {
    Ok(opt(field, raw, "a whole number", |s| s.parse().ok())?.unwrap_or(0))
}

impl ApplicantRow<'_> {
    fn into_applicant(self) -> Result<Applicant, InputError> {
        let id = self.id.trim().to_owned();
        let with_id = |e: InputError| e.with_record(&id);
        Ok(Applicant {
            data_nascita: date("data_nascita", self.data_nascita)
                .and_then(|d| {
                    d.ok_or_else(|| InputError::new("data_nascita", FieldReason::Missing))
                })
                .map_err(with_id)?,
            data_did: date("data_did", self.data_did).map_err(with_id)?,
            sospensioni: parse_suspensions(self.sospensioni).map_err(|mut e| {
                e.field = "sospensioni".into();
                with_id(e)
            })?,
            data_iscrizione: date("data_iscrizione", self.data_iscrizione).map_err(with_id)?,
            isee: money("isee", self.isee).map_err(with_id)?,
            isee_valido: opt(
                "isee_valido",
                self.isee_valido,
                "true or false",
                |s| match s {
                    "true" | "si" | "1" => Some(true),
                    "false" | "no" | "0" => Some(false),
                    _ => None,
                },
            )
            .map_err(with_id)?
            .unwrap_or(true),
            carichi: count("carichi", self.carichi).map_err(with_id)?,
            carichi_invalidi: count("carichi_invalidi", self.carichi_invalidi).map_err(with_id)?,
            invalidita: decimal("invalidita", self.invalidita).map_err(with_id)?,
            reddito: money("reddito", self.reddito).map_err(with_id)?,
            riserve: self
                .riserve
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            id,
        })
    }
}

/// Most applicants a CSV's line count reserves room for ([`read_applicants`]).
const RESERVED_ROWS: usize = 1 << 20;

/// Reads applicants from `.csv` (header row; see `docs/graduatorie.md`) or `.json` (an array).
/// Errors name the row (CSV, 1-based after the header), the applicant and the field.
pub fn read_applicants(path: &Path) -> Result<Vec<Applicant>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "json" => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let out: Vec<Applicant> = incrocio_core::json::from_str_strict(&text)
                .map_err(|e| Error::data(path, format!("not an array of applicants: {e}")))?;
            non_empty(path, out)
        }
        "csv" => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            let headers = reader.headers().map_err(|e| Error::data(path, e))?.clone();
            if headers.is_empty() {
                return Err(Error::data(
                    path,
                    "the file is empty: it needs a header row and one row per applicant",
                ));
            }
            // A row takes at least a line: the lines bound the rows, so the applicants are
            // not copied as the vector grows (blank lines, which the reader skips, count too:
            // the reservation stops at a million rows, beyond which the vector grows as it
            // goes). One record is reused, its fields borrowed.
            let lines = memchr::memchr_iter(b'\n', &bytes).count();
            let mut out = Vec::with_capacity(lines.min(RESERVED_ROWS));
            let mut record = csv::StringRecord::new();
            let mut i = 0;
            while reader
                .read_record(&mut record)
                .map_err(|e| Error::data(path, format!("row {}: {e}", i + 1)))?
            {
                i += 1;
                let row: ApplicantRow<'_> = record
                    .deserialize(Some(&headers))
                    .map_err(|e| Error::data(path, format!("row {i}: {e}")))?;
                out.push(row.into_applicant().map_err(|e| e.with_row(i))?);
            }
            non_empty(path, out)
        }
        _ => Err(Error::data(path, "applicants must be .csv or .json")),
    }
}

/// A notice with no applicants is a mistake in the file, not an empty graduatoria.
fn non_empty(path: &Path, applicants: Vec<Applicant>) -> Result<Vec<Applicant>> {
    if applicants.is_empty() {
        return Err(Error::data(path, "no applicants in the file"));
    }
    Ok(applicants)
}

/// A tie-break in Italian, for the published CSV.
fn tie_break_it(t: &crate::TieBreak) -> String {
    let [above, this] = &t.values;
    let or_none = |v: &crate::TieValue| {
        let v = v.to_string();
        if v.is_empty() {
            "nessuna".to_owned()
        } else {
            v
        }
    };
    let (what, unit) = match t.decided_by.as_str() {
        "younger" => ("più giovane", "nascita"),
        "older" => ("più anziano di età", "nascita"),
        "more_dependant_points" => ("più punti per carichi familiari", "punti"),
        "longer_unemployment" => ("disoccupazione più lunga", "giorni"),
        "earlier_registration" => ("iscrizione più remota", "iscrizione"),
        _ => return "parità su ogni criterio: ordine per identificativo".into(),
    };
    format!(
        "{what} ({unit} {} contro {})",
        or_none(above),
        or_none(this)
    )
}

/// The graduatoria as the CPI publishes it: position, applicant id, total, each criterion's
/// points, the tie-break; then the excluded with their reason. No personal data beyond the id.
pub fn graduatoria_csv(g: &Graduatoria) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names: Vec<String> = g
        .ranking
        .first()
        .map(|r| r.criteria.iter().map(|c| c.criterion.to_string()).collect())
        .unwrap_or_default();
    let mut header = vec![
        "posizione".to_owned(),
        "id".to_owned(),
        "punteggio".to_owned(),
    ];
    header.extend(names.iter().cloned());
    header.extend(["parita".to_owned(), "esito".to_owned()]);
    let e = |e: csv::Error| Error::data("graduatoria.csv", e);
    w.write_record(&header).map_err(e)?;
    for r in &g.ranking {
        let mut rec = vec![
            r.position.to_string(),
            r.applicant_id.clone(),
            r.total.to_string(),
        ];
        for n in &names {
            rec.push(
                r.criteria
                    .iter()
                    .find(|c| *c.criterion == **n)
                    .map(|c| c.points.to_string())
                    .unwrap_or_default(),
            );
        }
        rec.push(
            r.tie_break
                .as_ref()
                .map(|t| format!("dopo {}: {}", t.after, tie_break_it(t)))
                .unwrap_or_default(),
        );
        let listed = g
            .list
            .iter()
            .find(|l| l.applicant_id == r.applicant_id)
            .map(|l| l.title.clone());
        rec.push(
            listed
                .map(|t| format!("avviato ({t})"))
                .unwrap_or_else(|| "ammesso".into()),
        );
        w.write_record(&rec).map_err(e)?;
    }
    for x in &g.excluded {
        let mut rec = vec![String::new(), x.applicant_id.clone(), String::new()];
        rec.extend(names.iter().map(|_| String::new()));
        rec.extend([String::new(), format!("escluso: {}", x.reason)]);
        w.write_record(&rec).map_err(e)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|err| Error::data("graduatoria.csv", err))?;
    String::from_utf8(bytes).map_err(|err| Error::data("graduatoria.csv", err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applicant_csv_errors_name_row_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(
            &p,
            "id,data_nascita,isee\nA,1990-01-01,12500.00\nB,1990-01-01,12.500\n",
        )
        .unwrap();
        let e = read_applicants(&p).unwrap_err().to_string();
        assert!(
            e.contains("row 2") && e.contains("id B") && e.contains("isee"),
            "{e}"
        );
        std::fs::write(&p, "id,data_nascita,stipendio\nA,1990-01-01,1\n").unwrap();
        let e = read_applicants(&p).unwrap_err().to_string();
        assert!(e.contains("stipendio"), "{e}");
        // A row short of a column is refused with its row number.
        std::fs::write(&p, "id,data_nascita,isee\nA,1990-01-01,1\nB,1990-01-01\n").unwrap();
        let e = read_applicants(&p).unwrap_err().to_string();
        assert!(e.contains("row 2"), "{e}");
    }

    /// Quoted fields (a comma, a doubled quote, a line break inside) are read whole, columns in
    /// any order, blank lines skipped, and a file whose last line has no line break loses no
    /// row.
    #[test]
    fn applicant_csv_reads_quoted_fields_and_the_last_unterminated_row() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(
            &p,
            "riserve,data_nascita,id,isee\n\
             \"militari_volontari; orfani\",1990-01-01,\"A,1\",12500.00\n\
             ,1985-02-03,\"B \"\"2\"\"\n3\",\n\n\n\
             ,1970-12-31,C,",
        )
        .unwrap();
        let a = read_applicants(&p).unwrap();
        let ids: Vec<&str> = a.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["A,1", "B \"2\"\n3", "C"]);
        assert_eq!(a[0].riserve, ["militari_volontari", "orfani"]);
        assert_eq!(a[0].isee, Some(Decimal::new(1_250_000, 2)));
        assert_eq!(a[1].isee, None);
        assert_eq!(
            a[2].data_nascita,
            NaiveDate::from_ymd_opt(1970, 12, 31).unwrap()
        );
    }
}
