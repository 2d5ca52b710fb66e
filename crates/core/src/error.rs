//! Typed errors of the library.
//!
//! The top level splits what the caller got wrong ([`Error::Input`], an HTTP 4xx) from what the
//! operator must fix ([`Error::Model`], a bad model or rule file) and from the machine
//! ([`Error::Io`], [`Error::Data`]). Every input error names the field, and where known the
//! record id and row, so a rejected record can be corrected without guessing.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A record or request is invalid (the caller's fault).
    #[error(transparent)]
    Input(#[from] InputError),
    /// Several records of a request are invalid: every one, in order (the first is also the
    /// error's message).
    #[error("{} invalid records; the first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Records(Vec<InputError>),
    /// A model or rule file is invalid (the operator's fault).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A tabular file could not be read or written (schema, encoding, parquet).
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The computation needs a candidate index and none is open.
    #[error("no candidate index is open (start with --index DIR)")]
    NoIndex,
    /// The computation needs the open vacancies and no vacancy board is open.
    #[error("no vacancy board is open (start with --vacancies DIR)")]
    NoVacancies,
    /// The computation reads or writes the decision log and none is configured.
    #[error(
        "this engine keeps no decision log (set `decisions` in the configuration, or --decisions DIR)"
    )]
    NoDecisionLog,
    /// The work was stopped before it finished: its deadline passed or its caller gave up.
    #[error("the computation was stopped: its time limit passed or its caller gave up")]
    Cancelled,
    /// A worker thread panicked; the batch was aborted.
    #[error("internal error: a worker panicked: {0}")]
    Panic(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a tabular-data error with the path it concerns.
    pub fn data(path: impl Into<PathBuf>, reason: impl fmt::Display) -> Self {
        Error::Data {
            path: path.into(),
            reason: reason.to_string(),
        }
    }

    /// True when the caller (not the service) is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::Input(_))
    }
}

/// A field of an input record that cannot be used, with where it was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}field `{field}`: {reason}", location(.record_id, .row))]
pub struct InputError {
    /// The record's id, when it could be read.
    pub record_id: Option<String>,
    /// The 1-based data row in a batch file (header excluded), when reading one.
    pub row: Option<usize>,
    /// The field name, as in the record schema (e.g. `DataDID`).
    pub field: String,
    /// Why the value is rejected.
    pub reason: FieldReason,
}

fn location(record_id: &Option<String>, row: &Option<usize>) -> String {
    match (row, record_id) {
        (Some(r), Some(id)) => format!("row {r} (id {id}): "),
        (Some(r), None) => format!("row {r}: "),
        (None, Some(id)) => format!("record {id}: "),
        (None, None) => String::new(),
    }
}

impl InputError {
    /// An error on `field` with no location yet.
    pub fn new(field: impl Into<String>, reason: FieldReason) -> Self {
        InputError {
            record_id: None,
            row: None,
            field: field.into(),
            reason,
        }
    }

    /// Adds the record id.
    pub fn with_record(mut self, id: &str) -> Self {
        if !id.is_empty() {
            self.record_id = Some(id.to_owned());
        }
        self
    }

    /// Adds the 1-based data row.
    pub fn with_row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
}

/// Why a field value is rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldReason {
    /// A required value is absent.
    #[error("missing")]
    Missing,
    /// The value is not in the code list the field uses.
    #[error("unknown code `{value}` (not in {list})")]
    UnknownCode {
        /// The value received.
        value: String,
        /// The code list it was looked up in.
        list: &'static str,
    },
    /// The value does not parse as the expected type.
    #[error("`{value}` is not {expected}")]
    Malformed {
        /// The value received.
        value: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The DID date is later than the profiling date.
    #[error("DID date {did} is after the profiling date {as_of}")]
    DidAfterAsOf {
        /// The DID date.
        did: chrono::NaiveDate,
        /// The `as_of` date.
        as_of: chrono::NaiveDate,
    },
    /// The age at `as_of` is outside what the DID admits.
    #[error("impossible age {age} (the DID admits ages {min} to {max})")]
    ImpossibleAge {
        /// The computed age in years (may be negative for a birth date in the future).
        age: i64,
        /// Smallest admitted age.
        min: i64,
        /// Largest admitted age.
        max: i64,
    },
    /// A value is outside its admitted range.
    #[error("{value} is out of range ({range})")]
    OutOfRange {
        /// The value received.
        value: String,
        /// The admitted range, in words.
        range: &'static str,
    },
    /// Two fields contradict each other.
    #[error("{0}")]
    Inconsistent(String),
    /// An XML document does not parse or does not follow its schema (the field is the XPath).
    #[error("{0}")]
    Xml(String),
}

/// A model or rule file that cannot be used, naming the file and the key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: `{key}`: {reason}")]
pub struct ModelError {
    /// The file (or embedded name) the model came from.
    pub file: String,
    /// The offending key, dotted (e.g. `features[2].reference`).
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

impl ModelError {
    /// A model error at `key` of `file`.
    pub fn new(file: &str, key: impl Into<String>, reason: impl Into<String>) -> Self {
        ModelError {
            file: file.to_owned(),
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// A TOML parse or schema error, located by line.
    pub fn toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let key = e
            .span()
            .map(|s| {
                format!(
                    "line {}",
                    text[..s.start.min(text.len())].lines().count().max(1)
                )
            })
            .unwrap_or_default();
        ModelError::new(file, key, e.message().to_owned())
    }
}

/// The longest id a record may carry (person, candidate, vacancy, applicant), in characters.
pub const MAX_ID_CHARS: usize = 128;

/// Why an id cannot be used: blank, longer than [`MAX_ID_CHARS`], or with a control
/// character (a NUL, a line break) that would corrupt a published list or a log line.
pub fn check_id(id: &str) -> Result<(), FieldReason> {
    if id.trim().is_empty() {
        return Err(FieldReason::Missing);
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(FieldReason::OutOfRange {
            value: format!("{} characters", id.chars().count()),
            range: "1 to 128 characters",
        });
    }
    if id.chars().any(char::is_control) {
        return Err(FieldReason::Inconsistent(
            "an id may not contain control characters".into(),
        ));
    }
    Ok(())
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid record of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct RecordProblem {
    /// The field, with the record's place (`records[3].DataDID`).
    pub field: String,
    /// Why.
    pub reason: String,
    /// The record's id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

impl RecordProblem {
    /// From an input error.
    pub fn of(e: &InputError) -> RecordProblem {
        RecordProblem {
            field: e.field.clone(),
            reason: e.reason.to_string(),
            record_id: e.record_id.clone(),
        }
    }
}
