//! Batch jobs over whole populations: the only module that speaks polars.
//!
//! [`reprofile`] re-profiles everyone who is due every 90 days (art. 19 c. 5 D.Lgs. 150/2015)
//! from Parquet, CSV or JSON lines and writes Parquet atomically. [`write_records`] writes a
//! population (synthetic ones are made by `incrocio-synth`). Files are read whole: 3 million people fit in well under 2 GB.

#![forbid(unsafe_code)]

mod encode;
mod people;
mod reprofile;

pub use self::people::Format;
pub use self::people::{
    MISSING_GROUP, PeopleTable, TableColumn, column_names, write_records, write_table,
    write_with_outcome,
};
pub use self::reprofile::{
    DEFAULT_CHUNK_ROWS, INPUT_DIGEST_FORMAT, MISSING_COLUMN, OnError, Reject, ReprofileOptions,
    ReprofileReport, RowStatus, Transition, reprofile,
};
pub use incrocio_core::files::atomic_write;
