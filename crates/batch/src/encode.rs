//! The re-profiling output's Parquet encoding, column by column.
//!
//! Polars' writer picks each column's encoding by its type. For `f64` columns it estimates the
//! distinct values, then fails to build a dictionary (it cannot group floats) and writes them
//! plain. So the ten `f64` columns of an output (index, linear predictor, contributions), of
//! which a chunk holds a few hundred distinct values each, were written in full and then
//! compressed: most of the file and of the compression work.
//!
//! Here each column says how it is encoded:
//! - `f64` values are dictionary-encoded by their bit patterns, in first-seen order, unless
//!   more than three quarters of them are distinct (polars' own rule for other types);
//! - the labels of small code sets (status, class label, model id) are a dictionary of the
//!   labels used, in first-seen order, without building the text column first;
//! - columns whose values are all distinct by construction are plain (person ids: a population
//!   lists each person once) and, when they are random bytes, not compressed (the input
//!   digests: the first 8 bytes of a SHA-256);
//! - every other column goes as polars would write it.
//!
//! The values, the schema and the file's metadata are those polars writes; only the encodings
//! change. The encoding depends on a chunk's values only, so the output stays byte-identical
//! with 1 or N threads.

use polars::prelude::{
    ArrowField, ArrowSchema, CompatLevel, PlSmallStr, PolarsError, PolarsResult,
};
use polars_arrow::array::{ArrayRef, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_parquet::write::{
    CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, Encoding, FileWriter,
    KeyValue, ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns, compress,
    fallible_streaming_iterator, get_dtype_encoding, schema_to_metadata_key, to_parquet_schema,
};
use rustc_hash::FxHashMap;

/// The codec of compressed columns.
const CODEC: CompressionOptions = CompressionOptions::Lz4Raw;

/// One column of a chunk, as it is to be written.
pub(crate) struct OutColumn {
    /// Its name and logical type, as in the file's schema.
    field: ArrowField,
    /// Its values: an array of the field's type, or a dictionary of values of that type.
    array: ArrayRef,
    encoding: Encoding,
    compression: CompressionOptions,
}

impl OutColumn {
    /// A column written as polars writes its type (`array` must be of the column's type).
    pub(crate) fn auto(name: impl Into<PlSmallStr>, array: ArrayRef) -> OutColumn {
        let field = ArrowField::new(name.into(), array.dtype().clone(), true);
        let encoding = get_dtype_encoding(&field.dtype)
            .first()
            .copied()
            .unwrap_or(Encoding::Plain);
        OutColumn {
            field,
            array,
            encoding,
            compression: CODEC,
        }
    }

    /// A column whose values are all distinct: plain, no dictionary tried.
    pub(crate) fn distinct(name: impl Into<PlSmallStr>, array: ArrayRef) -> OutColumn {
        OutColumn {
            encoding: Encoding::Plain,
            ..OutColumn::auto(name, array)
        }
    }

    /// Leaves the column uncompressed (random bytes do not compress).
    pub(crate) fn uncompressed(self) -> OutColumn {
        OutColumn {
            compression: CompressionOptions::Uncompressed,
            ..self
        }
    }

    /// An `f64` column: a dictionary of its values' bit patterns (so `-0.0` and `0.0`, or two
    /// NaNs with different payloads, stay distinct and every value is written as it is), in
    /// first-seen order, unless more than 128 values are written and more than three quarters of
    /// them are distinct.
    pub(crate) fn f64s(name: impl Into<PlSmallStr>, values: Vec<f64>) -> PolarsResult<OutColumn> {
        let field = ArrowField::new(name.into(), ArrowDataType::Float64, true);
        let limit = if values.len() > 128 {
            values.len() * 3 / 4
        } else {
            values.len()
        };
        let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
        let mut distinct: Vec<f64> = Vec::new();
        let mut keys: Vec<u32> = Vec::with_capacity(values.len());
        for &v in &values {
            let next = distinct.len() as u32;
            let key = *seen.entry(v.to_bits()).or_insert(next);
            if key == next {
                if distinct.len() == limit {
                    return Ok(OutColumn::plain_f64(field, values));
                }
                distinct.push(v);
            }
            keys.push(key);
        }
        OutColumn::dictionary(field, keys, PrimitiveArray::from_vec(distinct).boxed())
    }

    /// A dictionary-encoded column: `keys` index `values` (of the field's type).
    fn dictionary(field: ArrowField, keys: Vec<u32>, values: ArrayRef) -> PolarsResult<OutColumn> {
        let dtype =
            ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(field.dtype.clone()), false);
        let array = DictionaryArray::<u32>::try_new(dtype, PrimitiveArray::from_vec(keys), values)?;
        Ok(OutColumn {
            field,
            array: array.boxed(),
            encoding: Encoding::RleDictionary,
            compression: CODEC,
        })
    }

    fn plain_f64(field: ArrowField, values: Vec<f64>) -> OutColumn {
        OutColumn {
            field,
            array: PrimitiveArray::from_vec(values).boxed(),
            encoding: Encoding::Plain,
            compression: CODEC,
        }
    }

    /// A text column of the labels of small codes (`label(code)` for each code): a dictionary
    /// of the labels used, in first-seen order.
    pub(crate) fn labels<'a>(
        name: impl Into<PlSmallStr>,
        codes: impl ExactSizeIterator<Item = u8>,
        label: impl Fn(u8) -> &'a str,
    ) -> PolarsResult<OutColumn> {
        let field = ArrowField::new(name.into(), ArrowDataType::Utf8View, true);
        let mut key_of = [u32::MAX; 256];
        let mut used: Vec<&str> = Vec::new();
        let mut keys: Vec<u32> = Vec::with_capacity(codes.len());
        for c in codes {
            let k = &mut key_of[c as usize];
            if *k == u32::MAX {
                *k = used.len() as u32;
                used.push(label(c));
            }
            keys.push(*k);
        }
        OutColumn::dictionary(field, keys, Utf8ViewArray::from_slice_values(&used).boxed())
    }
}

/// A chunk encoded and compressed: each column's pages, and its row count.
pub(crate) struct RowGroup {
    columns: Vec<Vec<CompressedPage>>,
    rows: usize,
}

/// The output file: its schema (from the columns of an empty chunk) and the options every
/// chunk is encoded with.
pub(crate) struct Layout {
    schema: ArrowSchema,
    types: Vec<ParquetType>,
    options: WriteOptions,
}

impl Layout {
    /// The layout of files whose chunks have the columns of `empty` (a chunk of no rows).
    pub(crate) fn of(empty: &[OutColumn]) -> PolarsResult<Layout> {
        let schema: ArrowSchema = empty
            .iter()
            .map(|c| (c.field.name.clone(), c.field.clone()))
            .collect();
        let types = to_parquet_schema(&schema)?.fields().to_vec();
        Ok(Layout {
            schema,
            types,
            // Polars' defaults: minimum, maximum and null count; format version 1; 1 MiB pages.
            options: WriteOptions {
                statistics: StatisticsOptions::default(),
                version: Version::V1,
                compression: CODEC,
                data_page_size: None,
            },
        })
    }

    /// Encodes and compresses one chunk of `rows` rows into its row group.
    pub(crate) fn encode(&self, columns: Vec<OutColumn>, rows: usize) -> PolarsResult<RowGroup> {
        if columns.len() != self.types.len() {
            return Err(PolarsError::SchemaMismatch(
                format!(
                    "a chunk has {} columns, the file {}",
                    columns.len(),
                    self.types.len()
                )
                .into(),
            ));
        }
        let columns = columns
            .into_iter()
            .zip(self.schema.iter_values().zip(&self.types))
            .map(|(c, (field, type_))| {
                if c.field != *field {
                    return Err(PolarsError::SchemaMismatch(
                        format!(
                            "a chunk's column {:?} is not the file's {:?}",
                            c.field, field
                        )
                        .into(),
                    ));
                }
                let options = WriteOptions {
                    compression: c.compression,
                    ..self.options
                };
                let mut pages = Vec::new();
                for leaf in array_to_columns(&c.array, type_.clone(), options, &[c.encoding])? {
                    for page in leaf {
                        pages.push(compress(page?, Vec::new(), c.compression)?);
                    }
                }
                Ok(pages)
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        Ok(RowGroup { columns, rows })
    }

    /// A writer of files of this layout.
    pub(crate) fn writer<W: std::io::Write>(&self, w: W) -> PolarsResult<Writer<W>> {
        Ok(Writer(FileWriter::try_new(
            w,
            self.schema.clone(),
            self.options,
        )?))
    }
}

/// Writes row groups in the order given, then the footer.
pub(crate) struct Writer<W: std::io::Write>(FileWriter<W>);

impl<W: std::io::Write> Writer<W> {
    /// Writes one row group.
    pub(crate) fn write(&mut self, group: RowGroup) -> PolarsResult<()> {
        let columns = group.columns.iter().map(|pages| {
            Ok(DynStreamingIterator::new(
                fallible_streaming_iterator::convert(pages.iter().map(PolarsResult::Ok)),
            ))
        });
        self.0.write(group.rows as u64, DynIter::new(columns))
    }

    /// Writes the footer with the Arrow schema (as polars writes it) and `metadata`.
    pub(crate) fn finish(mut self, metadata: Vec<(String, String)>) -> PolarsResult<u64> {
        let mut kv = vec![schema_to_metadata_key(self.0.schema())];
        kv.extend(metadata.into_iter().map(|(key, value)| KeyValue {
            key,
            value: Some(value),
        }));
        self.0.end(Some(kv))
    }
}

/// The array of a polars column as polars writes it (one chunk).
pub(crate) fn array_of(column: &polars::prelude::Column) -> ArrayRef {
    let s = column.as_materialized_series().rechunk();
    if s.chunks().is_empty() {
        return polars_arrow::array::new_empty_array(s.dtype().to_arrow(CompatLevel::newest()));
    }
    s.to_arrow(0, CompatLevel::newest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{ParquetReader, SerReader};
    use polars_parquet::parquet::compression::Compression;

    /// Writes one row group of `columns` and reads it back with polars, with the chunk's
    /// column metadata (name, dictionary page or not, codec).
    fn round_trip(
        empty: Vec<OutColumn>,
        columns: Vec<OutColumn>,
        rows: usize,
    ) -> (polars::prelude::DataFrame, Vec<(String, bool, Compression)>) {
        let layout = Layout::of(&empty).unwrap();
        let mut bytes = Vec::new();
        let mut w = layout.writer(&mut bytes).unwrap();
        w.write(layout.encode(columns, rows).unwrap()).unwrap();
        w.finish(vec![("k".into(), "v".into())]).unwrap();
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes.clone()));
        let meta = reader.get_metadata().unwrap().clone();
        assert_eq!(
            meta.key_value_metadata
                .as_ref()
                .unwrap()
                .iter()
                .find(|kv| kv.key == "k")
                .and_then(|kv| kv.value.as_deref()),
            Some("v")
        );
        let chunks = meta.row_groups[0]
            .parquet_columns()
            .iter()
            .map(|c| {
                (
                    c.descriptor().path_in_schema[0].to_string(),
                    c.dictionary_page_offset().is_some(),
                    c.compression(),
                )
            })
            .collect();
        let df = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        (df, chunks)
    }

    #[test]
    fn f64_values_come_back_to_the_bit_from_a_dictionary_or_plain() {
        // Few distinct values (a dictionary), among them -0.0 beside 0.0 and a NaN.
        let few: Vec<f64> = (0..300)
            .map(|i| [0.25, -0.0, 0.0, f64::NAN, 1e-300][i % 5])
            .collect();
        // 300 values, 225 distinct: not more than three quarters of 300, so a dictionary.
        let three_quarters: Vec<f64> = (0..300).map(|i| (i % 225) as f64 / 7.0).collect();
        // 300 values, 226 distinct: plain.
        let most: Vec<f64> = (0..300).map(|i| (i % 226) as f64 / 7.0).collect();
        let names = ["few", "three_quarters", "most"];
        let empty = names
            .iter()
            .map(|n| OutColumn::f64s(*n, Vec::new()).unwrap())
            .collect();
        let columns = names
            .iter()
            .zip([&few, &three_quarters, &most])
            .map(|(n, v)| OutColumn::f64s(*n, v.clone()).unwrap())
            .collect();
        let (df, chunks) = round_trip(empty, columns, 300);
        for (name, values) in names.iter().zip([&few, &three_quarters, &most]) {
            let back: Vec<u64> = df
                .column(name)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_bits())
                .collect();
            let sent: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(back, sent, "{name}");
        }
        assert_eq!(
            chunks,
            vec![
                ("few".into(), true, Compression::Lz4Raw),
                ("three_quarters".into(), true, Compression::Lz4Raw),
                ("most".into(), false, Compression::Lz4Raw),
            ]
        );
    }

    #[test]
    fn labels_distinct_and_uncompressed_columns_read_back_as_written() {
        let names = ["nuovo", "scaduto", "invariato"];
        let codes = [2u8, 0, 2, 1, 2];
        let ids = ["a", "b", "c", "d", "e"];
        let digests = vec![i64::MIN, -1, 0, 1, i64::MAX];
        let build = |codes: &[u8], ids: &[&str], digests: Vec<i64>| {
            vec![
                OutColumn::labels("status", codes.iter().copied(), |c| names[c as usize]).unwrap(),
                OutColumn::distinct("id", Utf8ViewArray::from_slice_values(ids).boxed()),
                OutColumn::distinct("digest", PrimitiveArray::from_vec(digests).boxed())
                    .uncompressed(),
            ]
        };
        let (df, chunks) = round_trip(
            build(&[], &[], Vec::new()),
            build(&codes, &ids, digests.clone()),
            5,
        );
        let text = |c: &str| -> Vec<String> {
            df.column(c)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|s| s.unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            text("status"),
            ["invariato", "nuovo", "invariato", "scaduto", "invariato"]
        );
        assert_eq!(text("id"), ids);
        let back: Vec<i64> = df
            .column("digest")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(back, digests);
        assert_eq!(
            chunks,
            vec![
                ("status".into(), true, Compression::Lz4Raw),
                ("id".into(), false, Compression::Lz4Raw),
                ("digest".into(), false, Compression::Uncompressed),
            ]
        );
    }

    #[test]
    fn a_chunk_with_other_columns_than_the_file_is_refused() {
        let layout = Layout::of(&[OutColumn::f64s("a", Vec::new()).unwrap()]).unwrap();
        let wrong = vec![OutColumn::f64s("b", vec![1.0]).unwrap()];
        assert!(layout.encode(wrong, 1).is_err());
        assert!(layout.encode(Vec::new(), 0).is_err());
    }
}
